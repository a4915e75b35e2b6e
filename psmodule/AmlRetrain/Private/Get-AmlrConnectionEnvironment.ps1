# SPDX-License-Identifier: MIT
# The environment Connect-AmlAccount set up for every amlretrain run.

function Get-AmlrConnectionEnvironment {
    <#
    .SYNOPSIS
    A new hashtable NAME = value (string, SecureString, or $null to unset)
    for the next amlretrain run; empty without Connect-AmlAccount.
    .DESCRIPTION
    A connection made with -UseAzContext asks Az.Accounts for a token at
    every run (Get-AzAccessToken caches and refreshes it), so that a
    long session never runs with an expired one.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Caller
    )

    $environment = @{}
    $connection = $script:AmlrConnection
    if (-not $connection) {
        return $environment
    }
    foreach ($key in $connection.Environment.Keys) {
        $environment[$key] = $connection.Environment[$key]
    }
    if ($connection.Kind -eq 'AzContext') {
        $environment['AMLR_ACCESS_TOKEN'] = Get-AmlrAzAccessToken -Caller $Caller `
            -DefaultProfile $connection.DefaultProfile
    }
    return $environment
}
