# SPDX-License-Identifier: MIT
# Add-AzMlWebServiceRegionalProperty: make a web service available in another region.

function Add-AzMlWebServiceRegionalProperty {
    <#
    .SYNOPSIS
    Creates the properties of a web service for another region (CreateRegionalBlob).

    .DESCRIPTION
    Asks the service to create the regional properties of a web service,
    waits until the operation ends, and returns the web service as seen
    in that region (Get-AzMlWebService -Region).  Asks for confirmation
    unless -Force.

    .PARAMETER ResourceGroupName
    The resource group of the web service.  Accepts the property of a
    piped object of that name.

    .PARAMETER Name
    The name of the web service.  Accepts the property of a piped object
    of that name.

    .PARAMETER Region
    The region to add, e.g. 'Southeast Asia'.

    .PARAMETER Force
    Do not ask for confirmation.

    .EXAMPLE
    PS> Add-AzMlWebServiceRegionalProperty -ResourceGroupName $rg -Name $name -Region 'Southeast Asia' -Force

    Adds a region.

    .EXAMPLE
    PS> Get-AzMlWebService -ResourceGroupName $rg -Name $name | Add-AzMlWebServiceRegionalProperty -Region 'West Europe' -Force

    The same, from a web service object (its Name and ResourceGroupName).

    .INPUTS
    Objects with Name and ResourceGroupName properties, such as
    AmlRetrain.WebService.

    .OUTPUTS
    AmlRetrain.WebService: the web service's properties in that region.

    .NOTES
    Compatible with Az.MachineLearning's Add-AzMlWebServiceRegionalProperty
    (alias Add-AzureRmMlWebServiceRegionalProperty).  Differences: a
    failure is a terminating error with the service's code and request
    id, except for items from the pipeline (a non-terminating error per
    item); -DefaultProfile is not supported.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [Alias('Add-AzureRmMlWebServiceRegionalProperty')]
    [OutputType('AmlRetrain.WebService')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $Region,
        [switch] $Force
    )

    process {
        if (-not $PSCmdlet.ShouldProcess($Name, "Create the properties of the web service for region '$Region'")) {
            return
        }
        if (-not $Force -and -not $PSCmdlet.ShouldContinue(
                "Are you sure you want to create new regional properties for the machine learning web service '$Name' in region '$Region'?",
                'Creating regional properties')) {
            return
        }
        Invoke-AmlrNative -Caller $PSCmdlet -PerItem -TypeName 'AmlRetrain.WebService' `
            -Activity "Adding region '$Region' to web service '$Name'" `
            -Target (Get-AmlrWebServiceId -ResourceGroupName $ResourceGroupName -Name $Name) `
            -ArgumentList @('webservice', 'add-region', "--resource-group=$ResourceGroupName", "--name=$Name",
                "--region=$Region")
    }
}
