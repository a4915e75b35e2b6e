# SPDX-License-Identifier: MIT
# Update-AzMlWebService: PATCH a web service from an object or from single properties.

function Update-AzMlWebService {
    <#
    .SYNOPSIS
    Updates a web service (PATCH): from a whole web service object, or from the properties given.

    .DESCRIPTION
    With -ServiceUpdates, sends the object's definition (typically one
    imported after editing an export: the documented retraining steps).
    Otherwise sends only the properties given (-Title, -Description,
    -Assets, ...).  Fields absent from the update are left as they are.

    Called with neither, it changes nothing and warns: that is the
    documented script's last line copied without -ServiceUpdates $wsd,
    which with Microsoft's cmdlet silently keeps the old model.  The
    current web service is returned.

    amlretrain makes the update safe: a model the update points at is
    checked first (readable, an .ilearner); the current definition is
    backed up (Restore-AzMlWebService re-applies it); the long-running
    operation is followed to its end with short polls that grow (or the
    service's Retry-After) rather than a fixed 5 s; the result is read
    back and the model references verified.  An update identical to the
    current definition sends nothing, with a warning.

    .PARAMETER ResourceGroupName
    The resource group of the web service.

    .PARAMETER Name
    The name of the web service.

    .PARAMETER ServiceUpdates
    A web service object (Import-AzMlWebService, Get-AzMlWebService) whose
    definition to apply.  Accepts pipeline input.

    .PARAMETER Title
    A new title.

    .PARAMETER Description
    A new description.

    .PARAMETER IsReadOnly
    Make the web service read-only: it can then no longer be updated,
    only removed.  Asks first unless -Force.

    .PARAMETER Keys
    New keys: an object or hashtable with Primary and Secondary (strings
    or SecureStrings).  They reach amlretrain in a private temporary file.

    .PARAMETER StorageAccountKey
    The key of the web service's storage account.  It reaches amlretrain
    in a private temporary file, never on its command line.

    .PARAMETER Diagnostics
    The diagnostics configuration, e.g. @{ level = 'All' }.

    .PARAMETER RealtimeConfiguration
    The request-response configuration, e.g. @{ maxConcurrentCalls = 30 }.

    .PARAMETER Assets
    Assets to change, keyed by asset id, e.g.
    @{ asset3 = @{ locationInfo = @{ uri = $newModel } } }.

    .PARAMETER InputSpecification
    The input schema (Swagger).  Alias: Input, Microsoft's name.

    .PARAMETER Output
    The output schema (Swagger).

    .PARAMETER Parameters
    Global parameter values, keyed by name, e.g. @{ p1 = @{ value = 'x' } }.

    .PARAMETER Package
    The graph package (nodes, edges, graphParameters).

    .PARAMETER BackupDirectory
    Where the backup of the current definition goes.  Default:
    $env:AMLR_BACKUP_DIR, else ~/.local/state/amlretrain/backups.

    .PARAMETER SkipPreflight
    Do not check that a new model is readable before the update.

    .PARAMETER Force
    Do not ask before making the web service read-only.

    .EXAMPLE
    PS> $wsd = Get-AzMlWebService -Name $name -ResourceGroupName $rg
    PS> Export-AzMlWebService -WebService $wsd -OutputFile ./ws.json
    PS> # edit properties.assets.asset3.locationInfo.uri in ./ws.json
    PS> $wsd = Import-AzMlWebService -InputFile ./ws.json
    PS> Update-AzMlWebService -Name $name -ResourceGroupName $rg -ServiceUpdates $wsd

    The documented retraining script.

    .EXAMPLE
    PS> $wsd = Get-AzMlWebService -Name $name -ResourceGroupName $rg
    PS> $wsd.Properties.Assets['asset3'].LocationInfo.Uri = $newModelUri
    PS> Update-AzMlWebService -Name $name -ResourceGroupName $rg -ServiceUpdates $wsd

    The same swap in memory, without a file.

    .EXAMPLE
    PS> Update-AzMlWebService -Name $name -ResourceGroupName $rg -Title 'Income model, retrained' -WhatIf

    Shows what would change; sends nothing.

    .INPUTS
    AmlRetrain.WebService, bound to -ServiceUpdates.

    .OUTPUTS
    AmlRetrain.WebService: the web service after the update.

    .NOTES
    Compatible with Az.MachineLearning's Update-AzMlWebService (alias
    Update-AzureRmMlWebService).  Differences: called with nothing to
    update it warns and sends nothing (Microsoft's sends a PATCH that
    changes nothing); an update from properties sends readOnly only when
    -IsReadOnly is given (Microsoft's always sends readOnly: false);
    -Assets and -Parameters take plain hashtables; it asks for
    confirmation only before making the service read-only, where
    Microsoft's asks "Are you sure...?" on every call without -Force,
    which stops unattended runs of the documented script (-Confirm asks
    every time); a failure is a terminating error with the service's code
    and request id, and names the backup to restore; -DefaultProfile is
    not supported.
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'UpdateFromParameters')]
    [Alias('Update-AzureRmMlWebService')]
    [OutputType('AmlRetrain.WebService')]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $Name,
        [Parameter(Mandatory, ValueFromPipeline, ParameterSetName = 'UpdateFromObject')] [object] $ServiceUpdates,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [string] $Title,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [string] $Description,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [switch] $IsReadOnly,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [object] $Keys,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [string] $StorageAccountKey,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [object] $Diagnostics,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [object] $RealtimeConfiguration,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [hashtable] $Assets,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [Alias('Input')] [object] $InputSpecification,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [object] $Output,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [hashtable] $Parameters,
        [Parameter(ParameterSetName = 'UpdateFromParameters')] [object] $Package,
        [string] $BackupDirectory,
        [switch] $SkipPreflight,
        [switch] $Force
    )

    process {
        $target = Get-AmlrWebServiceId -ResourceGroupName $ResourceGroupName -Name $Name
        $readOnly = $false
        if ($PSCmdlet.ParameterSetName -eq 'UpdateFromObject') {
            $definition = ConvertTo-AmlrDefinitionJson -WebService $ServiceUpdates
            $properties = Get-AmlrMemberValue -InputObject $ServiceUpdates -Name 'properties'
            $readOnly = (Get-AmlrMemberValue -InputObject $properties -Name 'readOnly') -eq $true
        } else {
            $fields = [ordered]@{
                Title = 'title'; Description = 'description'; Keys = 'keys'; Diagnostics = 'diagnostics'
                RealtimeConfiguration = 'realtimeConfiguration'; Assets = 'assets'
                InputSpecification = 'input'; Output = 'output'; Parameters = 'parameters'; Package = 'package'
            }
            # The function's bound parameters: $PSBoundParameters is the body's own in the
            # packaged module, which dot-sources it (psmodule/build-psm1.ps1).
            $bound = $PSCmdlet.MyInvocation.BoundParameters
            $properties = [ordered]@{ packageType = 'Graph' }
            foreach ($field in $fields.GetEnumerator()) {   # not .Keys: a key is named Keys
                if ($bound.ContainsKey($field.Key)) {
                    $properties[$field.Value] = $bound[$field.Key]
                }
            }
            if ($bound.ContainsKey('IsReadOnly')) {
                $properties['readOnly'] = [bool]$IsReadOnly
                $readOnly = [bool]$IsReadOnly
            }
            if ($bound.ContainsKey('StorageAccountKey')) {
                $properties['storageAccount'] = [ordered]@{ key = $StorageAccountKey }
            }
            if ($properties.Count -eq 1) {
                $PSCmdlet.WriteWarning("Update-AzMlWebService: nothing to update for '$Name': pass the " +
                    'imported definition with -ServiceUpdates $wsd (the documented last step needs it), ' +
                    'or properties such as -Title; the web service is left as it is')
                Invoke-AmlrNative -Caller $PSCmdlet -TypeName 'AmlRetrain.WebService' -Target $target `
                    -ArgumentList @('webservice', 'get', "--resource-group=$ResourceGroupName", "--name=$Name")
                return
            }
            $definition = ConvertTo-AmlrJson -InputObject ([ordered]@{ properties = $properties })
        }

        if (-not $PSCmdlet.ShouldProcess($Name, 'Update the machine learning web service')) {
            return
        }
        if ($readOnly -and -not $Force -and -not $PSCmdlet.ShouldContinue(
                "Your update will make the web service '$Name' read-only: it can then no longer be updated, only removed. Continue?",
                'Making the web service read-only')) {
            return
        }
        $arguments = @('webservice', 'update', "--resource-group=$ResourceGroupName", "--name=$Name")
        if ($BackupDirectory) {
            $arguments += "--backup-dir=$($PSCmdlet.GetUnresolvedProviderPathFromPSPath($BackupDirectory))"
        }
        if ($SkipPreflight) {
            $arguments += '--skip-preflight'
        }
        $file = Write-AmlrSecretFile -Content $definition
        try {
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList ($arguments + "--file=$file") `
                -TypeName 'AmlRetrain.WebService' -Target $target -PerItem `
                -Activity "Updating web service '$Name'"
        } finally {
            [System.IO.File]::Delete($file)
        }
    }
}
