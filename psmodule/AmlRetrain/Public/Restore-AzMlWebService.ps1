# SPDX-License-Identifier: MIT
# Restore-AzMlWebService: re-apply the backup taken before a change (rollback).

function Restore-AzMlWebService {
    <#
    .SYNOPSIS
    Re-applies a web service's definition as it was before a change.

    .DESCRIPTION
    Update-AzMlWebService and Set-AzMlWebServiceModel back up the current
    definition before they change anything.  This re-applies the newest
    backup of the web service, or the one named by -BackupFile.  What is
    there now is backed up first, so a restore can be undone too.  A web
    service that already matches its backup is left alone, with a warning.

    .PARAMETER ResourceGroupName
    The resource group of the web service.  Accepts the property of a
    piped object of that name.

    .PARAMETER Name
    The name of the web service.  Accepts the property of a piped object
    of that name.

    .PARAMETER BackupFile
    The backup to re-apply (its web service is the one it names).

    .PARAMETER BackupDirectory
    Where backups are.  Default: $env:AMLR_BACKUP_DIR, else
    ~/.local/state/amlretrain/backups.

    .EXAMPLE
    PS> Restore-AzMlWebService -ResourceGroupName $rg -Name $name

    Undoes the last change.

    .EXAMPLE
    PS> Restore-AzMlWebService -BackupFile ./backups/sub_rg_income_20261101T101500.000Z.json -WhatIf

    Shows what would be restored; sends nothing.

    .INPUTS
    Objects with Name and ResourceGroupName properties, such as
    AmlRetrain.WebService.

    .OUTPUTS
    AmlRetrain.WebService: the web service after the restore.

    .NOTES
    No Az.MachineLearning counterpart (amlretrain webservice rollback).
    No backup is an ObjectNotFound error.  A failure is a terminating
    error with the service's code and request id; for items from the
    pipeline it is a non-terminating error per item.
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'ByName')]
    [OutputType('AmlRetrain.WebService')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'ByName')] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'ByName')] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory, ParameterSetName = 'ByBackup')] [ValidateNotNullOrEmpty()] [string] $BackupFile,
        [string] $BackupDirectory
    )

    process {
        $arguments = @('webservice', 'rollback')
        if ($PSCmdlet.ParameterSetName -eq 'ByBackup') {
            $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($BackupFile)
            $arguments += "--backup=$path"
            $what = $path
            $target = $path
        } else {
            $arguments += @("--resource-group=$ResourceGroupName", "--name=$Name")
            $what = $Name
            $target = Get-AmlrWebServiceId -ResourceGroupName $ResourceGroupName -Name $Name
        }
        if ($BackupDirectory) {
            $arguments += "--backup-dir=$($PSCmdlet.GetUnresolvedProviderPathFromPSPath($BackupDirectory))"
        }
        if (-not $PSCmdlet.ShouldProcess($what, 'Restore the web service from its backup')) {
            return
        }
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -TypeName 'AmlRetrain.WebService' `
            -Target $target -PerItem -Activity "Restoring web service '$what'"
    }
}
