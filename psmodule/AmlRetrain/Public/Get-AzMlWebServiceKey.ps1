# SPDX-License-Identifier: MIT
# Get-AzMlWebServiceKey: the primary and secondary keys of a web service.

function Get-AzMlWebServiceKey {
    <#
    .SYNOPSIS
    Gets the keys of a web service (the secrets its callers use).

    .DESCRIPTION
    Returns the primary and secondary keys of the web service's scoring
    endpoints.  They are secrets: mind where the output goes.

    .PARAMETER ResourceGroupName
    The resource group of the web service.

    .PARAMETER Name
    The name of the web service.

    .PARAMETER MlWebService
    A web service object (Get-AzMlWebService); its resource group and name
    are taken from its Id.  Accepts pipeline input.

    .EXAMPLE
    PS> (Get-AzMlWebServiceKey -ResourceGroupName $rg -Name $name).Primary

    The primary key.

    .EXAMPLE
    PS> Get-AzMlWebService -ResourceGroupName $rg | Get-AzMlWebServiceKey

    The keys of every web service of a resource group.

    .INPUTS
    AmlRetrain.WebService, bound to -MlWebService.

    .OUTPUTS
    AmlRetrain.WebServiceKeys: Primary, Secondary.

    .NOTES
    Compatible with Az.MachineLearning's Get-AzMlWebServiceKey (aliases
    Get-AzMlWebServiceKeys, the name before Az 1.1.0, and
    Get-AzureRmMlWebServiceKeys).  Differences: a failure is a terminating
    error with the service's code and request id, except for items from
    the pipeline (a non-terminating error per item); -DefaultProfile is
    not supported.
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByNameAndResourceGroup')]
    [Alias('Get-AzMlWebServiceKeys', 'Get-AzureRmMlWebServiceKeys')]
    [OutputType('AmlRetrain.WebServiceKeys')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'GetByNameAndResourceGroup')] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory, ParameterSetName = 'GetByNameAndResourceGroup')] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory, ValueFromPipeline, ParameterSetName = 'GetByInstance')] [object] $MlWebService
    )

    process {
        $group = $ResourceGroupName
        $service = $Name
        if ($PSCmdlet.ParameterSetName -eq 'GetByInstance') {
            $resolved = Resolve-AmlrWebServiceId -Caller $PSCmdlet -WebService $MlWebService
            if (-not $resolved) {
                return
            }
            $group = $resolved.ResourceGroupName
            $service = $resolved.Name
        }
        Invoke-AmlrNative -Caller $PSCmdlet -PerItem -TypeName 'AmlRetrain.WebServiceKeys' `
            -Target (Get-AmlrWebServiceId -ResourceGroupName $group -Name $service) `
            -ArgumentList @('webservice', 'keys', "--resource-group=$group", "--name=$service")
    }
}
