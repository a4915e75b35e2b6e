# SPDX-License-Identifier: MIT
# A Resource Manager token from an Az.Accounts sign-in (Connect-AzAccount).

function Get-AmlrAzAccessToken {
    <#
    .SYNOPSIS
    The access token of the current Az.Accounts context, as a SecureString.
    .DESCRIPTION
    Calls Get-AzAccessToken (Az.Accounts must be imported) for the
    Resource Manager of the context's environment.  Newer Az.Accounts
    versions return the token as a SecureString, older ones as a string;
    both are accepted.  The token never reaches the command line.
    #>
    [CmdletBinding()]
    [OutputType([securestring])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Caller,
        [object] $DefaultProfile
    )

    $command = Get-Command -Name 'Get-AzAccessToken' -CommandType Cmdlet, Function -ErrorAction Ignore
    if (-not $command) {
        $exception = [System.InvalidOperationException]::new(
            'Az.Accounts is not loaded: Import-Module Az.Accounts and Connect-AzAccount first, or use another Connect-AmlAccount parameter set')
        $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $exception, 'AmlRetrain.AzAccountsNotLoaded',
                [System.Management.Automation.ErrorCategory]::AuthenticationError, 'Az.Accounts'))
    }
    $arguments = @{ ErrorAction = 'Stop' }
    if ($DefaultProfile) {
        $arguments['DefaultProfile'] = $DefaultProfile
    }
    try {
        $token = & $command @arguments
    } catch {
        $exception = [System.UnauthorizedAccessException]::new(
            "Get-AzAccessToken failed: $($_.Exception.Message)", $_.Exception)
        $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $exception, 'AmlRetrain.Auth',
                [System.Management.Automation.ErrorCategory]::AuthenticationError, 'Az.Accounts'))
    }
    $value = $token.Token
    if ($value -is [securestring]) {
        return $value
    }
    if ([string]::IsNullOrEmpty($value)) {
        $exception = [System.UnauthorizedAccessException]::new('Get-AzAccessToken returned no token')
        $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $exception, 'AmlRetrain.Auth',
                [System.Management.Automation.ErrorCategory]::AuthenticationError, 'Az.Accounts'))
    }
    return ConvertTo-SecureString -String $value -AsPlainText -Force
}
