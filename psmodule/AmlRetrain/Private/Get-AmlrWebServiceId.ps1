# SPDX-License-Identifier: MIT
# The resource id of a web service, for error records' TargetObject.

function Get-AmlrWebServiceId {
    <#
    .SYNOPSIS
    /subscriptions/SUB/resourceGroups/GROUP/providers/
    Microsoft.MachineLearning/webServices/NAME, with the subscription of
    the connection or AZURE_SUBSCRIPTION_ID ('*' when neither is set).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [AllowEmptyString()] [string] $ResourceGroupName,
        [Parameter(Mandatory)] [string] $Name
    )

    $subscription = $env:AZURE_SUBSCRIPTION_ID
    if ($script:AmlrConnection -and $script:AmlrConnection.Environment['AZURE_SUBSCRIPTION_ID']) {
        $subscription = $script:AmlrConnection.Environment['AZURE_SUBSCRIPTION_ID']
    }
    if (-not $subscription) {
        $subscription = '*'
    }
    if (-not $ResourceGroupName) {
        $ResourceGroupName = if ($env:AMLR_RESOURCE_GROUP) { $env:AMLR_RESOURCE_GROUP } else { '*' }
    }
    return "/subscriptions/$subscription/resourceGroups/$ResourceGroupName/providers/Microsoft.MachineLearning/webServices/$Name"
}
