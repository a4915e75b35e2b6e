# SPDX-License-Identifier: MIT
# Import-AzMlWebService: a JSON definition (file or string) as a web service object.

function Import-AzMlWebService {
    <#
    .SYNOPSIS
    Reads a web service definition from a JSON file or string into a web service object.

    .DESCRIPTION
    Accepts what Microsoft's Import-AzMlWebService reads: any key casing, a
    UTF-8 byte order mark, CRLF line ends, unknown members, and both the
    2017-01-01 and the older 2016-05-01-preview parameter shapes.
    amlretrain checks the definition (offline: no request is sent); an
    error names the JSON path at fault.  The object can be changed in
    memory and passed to Update-AzMlWebService -ServiceUpdates or
    New-AzMlWebService -NewWebServiceDefinition.

    .PARAMETER InputFile
    The definition file, relative to the current PowerShell location.

    .PARAMETER JsonString
    The definition as a string.

    .EXAMPLE
    PS> $wsd = Import-AzMlWebService -InputFile ./mlservice_export.json
    PS> Update-AzMlWebService -Name $name -ResourceGroupName $rg -ServiceUpdates $wsd

    The documented last steps of retraining, after editing the exported file.

    .EXAMPLE
    PS> $wsd = Import-AzMlWebService -JsonString (Get-Content -Raw ./definition.json)

    Imports a definition held in a string.

    .INPUTS
    None.

    .OUTPUTS
    AmlRetrain.WebService.

    .NOTES
    Compatible with Az.MachineLearning's Import-AzMlWebService (alias
    Import-AzureRmMlWebService).  Differences: the 2016-05-01-preview
    parameter shape (bare strings) is accepted and converted, where
    Microsoft's cmdlet fails with "Error converting value"; a missing
    properties.packageType is an error rather than a definition that
    silently loses its package; "~" is expanded in -InputFile.  A missing
    file is a ReadError (exit code 9 of amlretrain).
    #>
    [CmdletBinding()]
    [Alias('Import-AzureRmMlWebService')]
    [OutputType('AmlRetrain.WebService')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'ImportFromJSONFile')] [ValidateNotNullOrEmpty()] [string] $InputFile,
        [Parameter(Mandatory, ParameterSetName = 'ImportFromJSONString.')] [ValidateNotNullOrEmpty()] [string] $JsonString
    )

    process {
        if ($PSCmdlet.ParameterSetName -eq 'ImportFromJSONFile') {
            $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($InputFile)
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList @('webservice', 'import', "--file=$path") `
                -TypeName 'AmlRetrain.WebService' -Target $path
            return
        }
        if ([string]::IsNullOrWhiteSpace($JsonString)) {
            $exception = [System.ArgumentException]::new('The Azure ML web service definition is not specified.')
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                    'AmlRetrain.InvalidArgument', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null))
        }
        $source = Write-AmlrSecretFile -Content $JsonString
        try {
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList @('webservice', 'import', "--file=$source") `
                -TypeName 'AmlRetrain.WebService'
        } finally {
            [System.IO.File]::Delete($source)
        }
    }
}
