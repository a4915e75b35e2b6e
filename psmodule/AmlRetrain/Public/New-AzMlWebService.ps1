# SPDX-License-Identifier: MIT
# New-AzMlWebService: create a web service (PUT) from a definition file or object.

function New-AzMlWebService {
    <#
    .SYNOPSIS
    Creates a web service from a definition file or a web service object.

    .DESCRIPTION
    Sends the definition with PUT and waits until the web service is
    provisioned, then returns it.  An existing web service of that name is
    never replaced unless -Force is given (PUT would overwrite it, with
    no way back).

    Definitions exported from an existing web service lack the storage
    account key (the service never returns it): give it with
    -StorageAccountKey, or set $env:AMLR_STORAGE_ACCOUNT_KEY.

    .PARAMETER ResourceGroupName
    The resource group of the new web service.

    .PARAMETER Location
    The region of the new web service, e.g. 'South Central US'.

    .PARAMETER Name
    The name of the new web service.

    .PARAMETER DefinitionFile
    A definition file (Export-AzMlWebService's format), relative to the
    current PowerShell location.

    .PARAMETER NewWebServiceDefinition
    A web service object (Import-AzMlWebService, Get-AzMlWebService).
    Accepts pipeline input.

    .PARAMETER StorageAccountKey
    The storage account key, when the definition lacks it.  It reaches
    amlretrain through its environment, never its command line.

    .PARAMETER Force
    Replace the web service if it exists.

    .EXAMPLE
    PS> New-AzMlWebService -ResourceGroupName $rg -Location 'South Central US' -Name 'income-v2' -DefinitionFile ./ws.json

    Creates a web service from a file.

    .EXAMPLE
    PS> Import-AzMlWebService -InputFile ./ws.json | New-AzMlWebService -ResourceGroupName $rg -Location 'West US' -Name 'income-west' -StorageAccountKey $key

    Creates a web service from an imported object.

    .INPUTS
    AmlRetrain.WebService, bound to -NewWebServiceDefinition.

    .OUTPUTS
    AmlRetrain.WebService: the new web service.

    .NOTES
    Compatible with Az.MachineLearning's New-AzMlWebService (alias
    New-AzureRmMlWebService).  Differences: an existing web service is
    replaced only with -Force (Microsoft's cmdlet asks "Are you sure...?"
    and then overwrites); -Location is used for an object too (Microsoft's
    ignores it there); -StorageAccountKey is new; a failure is a
    terminating error with the service's code and request id (for an item
    from the pipeline, a non-terminating one); -DefaultProfile is not
    supported.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [Alias('New-AzureRmMlWebService')]
    [OutputType('AmlRetrain.WebService')]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $Location,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory, ParameterSetName = 'CreateFromFile')] [ValidateNotNullOrEmpty()] [string] $DefinitionFile,
        [Parameter(Mandatory, ValueFromPipeline, ParameterSetName = 'CreateFromInstance')] [object] $NewWebServiceDefinition,
        [string] $StorageAccountKey,
        [switch] $Force
    )

    process {
        if (-not $PSCmdlet.ShouldProcess($Name, 'Create the machine learning web service')) {
            return
        }
        # The function's bound parameters: $PSBoundParameters is the body's own in the
        # packaged module, which dot-sources it (psmodule/build-psm1.ps1).
        $bound = $PSCmdlet.MyInvocation.BoundParameters
        $secrets = @{}
        if ($bound.ContainsKey('StorageAccountKey')) {
            $secrets['AMLR_STORAGE_ACCOUNT_KEY'] = $StorageAccountKey
        }
        $arguments = @('webservice', 'new', "--resource-group=$ResourceGroupName", "--name=$Name",
            "--location=$Location")
        if ($Force) {
            $arguments += '--force'
        }
        $target = Get-AmlrWebServiceId -ResourceGroupName $ResourceGroupName -Name $Name
        $activity = "Creating web service '$Name'"
        if ($PSCmdlet.ParameterSetName -eq 'CreateFromFile') {
            $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($DefinitionFile)
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList ($arguments + "--file=$path") `
                -SecretEnvironment $secrets -TypeName 'AmlRetrain.WebService' -Target $target -Activity $activity
            return
        }
        $file = Write-AmlrSecretFile -Content (ConvertTo-AmlrDefinitionJson -WebService $NewWebServiceDefinition)
        try {
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList ($arguments + "--file=$file") `
                -SecretEnvironment $secrets -TypeName 'AmlRetrain.WebService' -Target $target -Activity $activity `
                -PerItem
        } finally {
            [System.IO.File]::Delete($file)
        }
    }
}
