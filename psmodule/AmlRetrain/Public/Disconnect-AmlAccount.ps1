# SPDX-License-Identifier: MIT
# Disconnect-AmlAccount: forget the credentials Connect-AmlAccount chose.

function Disconnect-AmlAccount {
    <#
    .SYNOPSIS
    Forgets the credentials Connect-AmlAccount chose for this session.

    .DESCRIPTION
    Later AmlRetrain commands use the credentials of the environment again
    (as amlretrain itself does).  The secret held in this session's memory
    is dropped.  Tokens amlretrain cached (0600, under
    ~/.cache/amlretrain) stay valid until they expire; they are only used
    with the credentials they were issued for.

    .EXAMPLE
    PS> Disconnect-AmlAccount

    Forgets the connection.

    .INPUTS
    None.

    .OUTPUTS
    None.

    .NOTES
    Modelled on Az.Accounts' Disconnect-AzAccount.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param()

    if ($script:AmlrConnection -and $PSCmdlet.ShouldProcess('AmlRetrain session', 'Forget the connection')) {
        $script:AmlrConnection = $null
    }
}
