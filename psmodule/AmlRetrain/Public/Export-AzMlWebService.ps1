# SPDX-License-Identifier: MIT
# Export-AzMlWebService: a web service object as a JSON definition, to a file or a string.

function Export-AzMlWebService {
    <#
    .SYNOPSIS
    Exports a web service object's definition as JSON, to a file or as a string.

    .DESCRIPTION
    Serialises the web service object (as it is in memory, with any change
    made to it) in the layout of Microsoft's Export-AzMlWebService and of
    `amlretrain webservice export`: read-only members left out (id, name,
    type, createdOn, modifiedOn, provisioningState, swaggerLocation), the
    Az key order, two-space indentation, LF line ends, UTF-8 without BOM.
    amlretrain checks and normalises the definition first (offline: no
    request is sent).

    With -OutputFile the file is written atomically (a temporary file
    beside it, then a rename): it is never left half-written.  An existing
    file is replaced only after you confirm, or with -Force; -WhatIf
    writes nothing.  With -ToJsonString the JSON is written to the
    pipeline.

    .PARAMETER WebService
    The web service object, from Get-AzMlWebService or
    Import-AzMlWebService.  Accepts pipeline input.

    .PARAMETER OutputFile
    The file to write, relative to the current PowerShell location.

    .PARAMETER ToJsonString
    Write the JSON to the pipeline instead of a file.

    .PARAMETER Force
    Replace an existing -OutputFile without asking.

    .EXAMPLE
    PS> $wsd = Get-AzMlWebService -Name $name -ResourceGroupName $rg
    PS> Export-AzMlWebService -WebService $wsd -OutputFile ./mlservice_export.json

    The documented first step of retraining: the definition, to edit.

    .EXAMPLE
    PS> Get-AzMlWebService -Name $name -ResourceGroupName $rg | Export-AzMlWebService -ToJsonString

    The definition as a string.

    .INPUTS
    AmlRetrain.WebService (or any object with Properties, Location and Tags).

    .OUTPUTS
    System.String with -ToJsonString; nothing with -OutputFile.

    .NOTES
    Compatible with Az.MachineLearning's Export-AzMlWebService (alias
    Export-AzureRmMlWebService).  Differences: the file is written
    atomically; line ends are LF on every platform; the definition is
    validated (a definition without properties.packageType is an error
    naming that JSON path); -DefaultProfile is not supported.  An object
    that cannot be exported is a terminating error, or, for an item from
    the pipeline, a non-terminating one, so that the other items are
    still exported.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [Alias('Export-AzureRmMlWebService')]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, ValueFromPipeline)] [object] $WebService,
        [Parameter(Mandatory, ParameterSetName = 'ExportToFile')] [ValidateNotNullOrEmpty()] [string] $OutputFile,
        [Parameter(Mandatory, ParameterSetName = 'ExportToJSON')] [switch] $ToJsonString,
        [switch] $Force
    )

    process {
        $source = Write-AmlrSecretFile -Content (ConvertTo-AmlrDefinitionJson -WebService $WebService)
        try {
            $text = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList @('webservice', 'import', "--file=$source") `
                -Raw -PerItem -Target $WebService
        } finally {
            [System.IO.File]::Delete($source)
        }
        if ($null -eq $text) {
            return
        }
        $json = Format-AmlrJson -Json $text
        if ($PSCmdlet.ParameterSetName -eq 'ExportToJSON') {
            return $json
        }

        $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputFile)
        if (-not $PSCmdlet.ShouldProcess($path, 'Write the web service definition')) {
            return
        }
        if ([System.IO.File]::Exists($path) -and -not $Force -and
            -not $PSCmdlet.ShouldContinue("Overwrite the output file '$path'?", 'Overwriting the output file')) {
            return
        }
        $temporary = "$path.tmp-$([guid]::NewGuid().ToString('N'))"
        try {
            $bytes = [System.Text.UTF8Encoding]::new($false).GetBytes($json)
            $stream = [System.IO.FileStream]::new($temporary, [System.IO.FileMode]::CreateNew)
            try {
                $stream.Write($bytes, 0, $bytes.Length)
                $stream.Flush($true)
            } finally {
                $stream.Dispose()
            }
            [System.IO.File]::Move($temporary, $path, $true)
        } catch {
            if ([System.IO.File]::Exists($temporary)) {
                [System.IO.File]::Delete($temporary)
            }
            $exception = [System.IO.IOException]::new("cannot write '$path': $($_.Exception.Message)", $_.Exception)
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                    'AmlRetrain.LocalIO', [System.Management.Automation.ErrorCategory]::WriteError, $path))
        }
    }
}
