# SPDX-License-Identifier: MIT
# The resource group and name of a web service object, from its Id.

function Resolve-AmlrWebServiceId {
    <#
    .SYNOPSIS
    @{ ResourceGroupName; Name } parsed from the object's resource id, as
    Microsoft's cmdlets parse it (the subscription part is not used).
    .DESCRIPTION
    An object without a valid id is an InvalidArgument error: terminating,
    or for an item from the pipeline non-terminating (then $null is
    returned).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Caller,
        [Parameter(Mandatory)] [AllowNull()] [object] $WebService
    )

    $id = [string](Get-AmlrMemberValue -InputObject $WebService -Name 'id')
    $pattern = '^/subscriptions/[^/]+/resourceGroups/(?<group>[^/]+)/providers/Microsoft\.MachineLearning/webServices/(?<name>[^/]+)$'
    if ($id -match $pattern) {
        return @{ ResourceGroupName = $Matches['group']; Name = $Matches['name'] }
    }
    $exception = [System.ArgumentException]::new(
        'The passed in machine learning web service object does not have a valid ARM resource id.')
    $record = [System.Management.Automation.ErrorRecord]::new($exception,
        'AmlRetrain.InvalidResourceId', [System.Management.Automation.ErrorCategory]::InvalidArgument, $WebService)
    if ($Caller.MyInvocation.ExpectingInput) {
        $Caller.WriteError($record)
        return $null
    }
    $Caller.ThrowTerminatingError($record)
}
