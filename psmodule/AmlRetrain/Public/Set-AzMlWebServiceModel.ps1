# SPDX-License-Identifier: MIT
# Set-AzMlWebServiceModel: swap a new trained model into a web service in one safe step.

function Set-AzMlWebServiceModel {
    <#
    .SYNOPSIS
    Swaps a new trained model (.ilearner) into a web service: get, back up, patch, update, verify.

    .DESCRIPTION
    The documented retraining steps (get, export, edit the trained-model
    asset's locationInfo.uri, import, update) in one command, made safe:
    the new model is checked first (readable with its SAS, or with the
    account key of $env:AZURE_STORAGE_CONNECTION_STRING, an .ilearner, the
    SAS valid for the -SasMargin to come); the current definition is
    backed up (Restore-AzMlWebService re-applies it); the update is
    followed to its end and verified.  The web service gets the model's
    URI without the SAS, as the service expects.

    The trained-model asset is the one Resource asset whose name ends in
    '[trained model]', unless -Asset names one.

    .PARAMETER ResourceGroupName
    The resource group of the web service.  Accepts the property of a
    piped object of that name.

    .PARAMETER Name
    The name of the web service.  Accepts the property of a piped object
    of that name.

    .PARAMETER ModelUri
    The new .ilearner blob's URL, typically BaseLocation +
    RelativeLocation + SasBlobToken of the retraining job's output.  It
    may carry a SAS: it reaches amlretrain in a private temporary file,
    never on its command line, and the SAS is neither stored nor printed.

    .PARAMETER Asset
    The asset to change, by id or name (default: the one '[trained model]').

    .PARAMETER BackupDirectory
    Where the backup of the current definition goes.  Default:
    $env:AMLR_BACKUP_DIR, else ~/.local/state/amlretrain/backups.

    .PARAMETER SkipPreflight
    Do not check the model before the update.

    .PARAMETER SasMargin
    Refuse a model whose SAS expires sooner than this, e.g. '30m', '2h'
    (default 1h).

    .EXAMPLE
    PS> Set-AzMlWebServiceModel -ResourceGroupName $rg -Name $name -ModelUri ($out.BaseLocation + $out.RelativeLocation + $out.SasBlobToken)

    Swaps in the model a retraining job wrote.

    .EXAMPLE
    PS> Get-AzMlWebService -ResourceGroupName $rg -Name $name | Set-AzMlWebServiceModel -ModelUri $sasUrl -WhatIf

    Shows what would change; sends nothing.

    .INPUTS
    Objects with Name and ResourceGroupName properties, such as
    AmlRetrain.WebService.

    .OUTPUTS
    AmlRetrain.ModelSwap: Id, Name, Asset, PreviousModelUri, ModelUri,
    Backup, ProvisioningState.

    .NOTES
    No Az.MachineLearning counterpart (amlretrain webservice set-model).
    A failure is a terminating error with the service's code and request
    id, naming the backup to restore; for items from the pipeline it is a
    non-terminating error per item.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('AmlRetrain.ModelSwap')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $ModelUri,
        [string] $Asset,
        [string] $BackupDirectory,
        [switch] $SkipPreflight,
        [string] $SasMargin
    )

    process {
        $model = $ModelUri.Split('?')[0]   # never the SAS
        if (-not $PSCmdlet.ShouldProcess($Name, "Swap in the trained model '$model'")) {
            return
        }
        $arguments = @('webservice', 'set-model', "--resource-group=$ResourceGroupName", "--name=$Name")
        if ($Asset) {
            $arguments += "--asset=$Asset"
        }
        if ($BackupDirectory) {
            $arguments += "--backup-dir=$($PSCmdlet.GetUnresolvedProviderPathFromPSPath($BackupDirectory))"
        }
        if ($SkipPreflight) {
            $arguments += '--skip-preflight'
        }
        if ($SasMargin) {
            $arguments += "--sas-margin=$SasMargin"
        }
        $file = Write-AmlrSecretFile -Content $ModelUri -Extension '.url'
        try {
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList ($arguments + "--model-uri=@$file") `
                -TypeName 'AmlRetrain.ModelSwap' -PerItem -Activity "Swapping the model of web service '$Name'" `
                -Target (Get-AmlrWebServiceId -ResourceGroupName $ResourceGroupName -Name $Name)
        } finally {
            [System.IO.File]::Delete($file)
        }
    }
}
