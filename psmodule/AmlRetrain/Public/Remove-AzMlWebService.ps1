# SPDX-License-Identifier: MIT
# Remove-AzMlWebService: delete a web service and wait until it is gone.

function Remove-AzMlWebService {
    <#
    .SYNOPSIS
    Removes a web service.

    .DESCRIPTION
    Deletes the web service and waits until the operation ends.  Asks for
    confirmation unless -Force.  Removing a web service that does not
    exist succeeds, as the service itself answers.

    .PARAMETER ResourceGroupName
    The resource group of the web service.

    .PARAMETER Name
    The name of the web service.

    .PARAMETER MlWebService
    A web service object (Get-AzMlWebService); its resource group and name
    are taken from its Id.  Accepts pipeline input.

    .PARAMETER Force
    Do not ask for confirmation.

    .EXAMPLE
    PS> Remove-AzMlWebService -ResourceGroupName $rg -Name 'income-old' -Force

    Removes one web service without asking.

    .EXAMPLE
    PS> Get-AzMlWebService -ResourceGroupName 'scratch' | Remove-AzMlWebService -Force

    Removes every web service of a resource group.

    .INPUTS
    AmlRetrain.WebService, bound to -MlWebService.

    .OUTPUTS
    None.

    .NOTES
    Compatible with Az.MachineLearning's Remove-AzMlWebService (alias
    Remove-AzureRmMlWebService).  Differences: a failure is a terminating
    error with the service's code and request id, except for items from
    the pipeline, where each failure is a non-terminating error and the
    other items are still removed (credential, network and throttling
    failures still stop the command); -DefaultProfile is not supported.
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'RemoveByNameAndResourceGroup')]
    [Alias('Remove-AzureRmMlWebService')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'RemoveByNameAndResourceGroup')] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory, ParameterSetName = 'RemoveByNameAndResourceGroup')] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory, ValueFromPipeline, ParameterSetName = 'RemoveByObject')] [object] $MlWebService,
        [switch] $Force
    )

    process {
        $group = $ResourceGroupName
        $service = $Name
        if ($PSCmdlet.ParameterSetName -eq 'RemoveByObject') {
            $resolved = Resolve-AmlrWebServiceId -Caller $PSCmdlet -WebService $MlWebService
            if (-not $resolved) {
                return
            }
            $group = $resolved.ResourceGroupName
            $service = $resolved.Name
        }
        if (-not $PSCmdlet.ShouldProcess($service, 'Remove the machine learning web service')) {
            return
        }
        if (-not $Force -and -not $PSCmdlet.ShouldContinue(
                "Are you sure you want to remove the machine learning web service '$service'?",
                'Removing the web service')) {
            return
        }
        $null = Invoke-AmlrNative -Caller $PSCmdlet -PerItem -Activity "Removing web service '$service'" `
            -Target (Get-AmlrWebServiceId -ResourceGroupName $group -Name $service) `
            -ArgumentList @('webservice', 'remove', "--resource-group=$group", "--name=$service", '--yes')
    }
}
