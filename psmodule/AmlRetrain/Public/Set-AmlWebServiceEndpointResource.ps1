# SPDX-License-Identifier: MIT
# Set-AmlWebServiceEndpointResource: point a classic endpoint at a new trained model (azuremlps's Patch-AmlWebServiceEndpoint).

function Set-AmlWebServiceEndpointResource {
    <#
    .SYNOPSIS
    Points a classic endpoint's trained model at a new .ilearner (the classic retraining PATCH), safely.

    .DESCRIPTION
    The documented classic retraining step: the endpoint's '[trained
    model]' resource takes the BaseLocation, RelativeLocation and
    SasBlobToken of a batch job's output (amlretrain endpoint set-model).
    Either give the three values, as azuremlps did, or -JobStatus: the
    final status of the training job (Invoke-AmlWebServiceBESEndpoint's
    result, piped or not), whose output1 (or -JobOutput) is the model.

    Beyond the PATCH: the default endpoint is refused before anything is
    sent; the model is checked first (an .ilearner, readable with its
    SAS, valid for -SasMargin to come); the endpoint's current locations
    are backed up (never the SAS) to a 0600 file; the endpoint is read
    back and must point at the new model.  Without a SAS, one is signed
    with the account key of $env:AZURE_STORAGE_CONNECTION_STRING.  The SAS
    reaches amlretrain in a private temporary file, never on its command
    line, and is never printed.

    .PARAMETER WebServiceId
    The predictive web service.  Accepts the WebServiceId property of a
    piped object.

    .PARAMETER EndpointName
    The (non-default) endpoint to change.  Accepts the EndpointName
    property of a piped object.

    .PARAMETER ResourceName
    The resource to change, e.g. 'Census Model [trained model]' (default:
    the endpoint's one '[trained model]').

    .PARAMETER BaseLocation
    The storage account's blob endpoint, e.g.
    'https://acct.blob.core.windows.net/' (the job output's BaseLocation).

    .PARAMETER RelativeLocation
    The blob's path in it, container/name.ilearner (the job output's
    RelativeLocation).

    .PARAMETER SasBlobToken
    The SAS token that reads the blob ('?sv=...&sig=...'), a string or a
    SecureString.  A container SAS may serve every model of the container.

    .PARAMETER JobStatus
    The final status of the training job (an object or its JSON text), as
    Invoke-AmlWebServiceBESEndpoint returns it.  Accepted from the
    pipeline.

    .PARAMETER JobOutput
    The job's output that holds the trained model (default output1).

    .PARAMETER BackupDirectory
    Where the backup of the endpoint's current locations goes.  Default:
    $env:AMLR_BACKUP_DIR, else ~/.local/state/amlretrain/backups.

    .PARAMETER SkipPreflight
    Do not check that the model is readable first.

    .PARAMETER SasMargin
    Refuse a model whose SAS expires sooner than this, e.g. '30m', '2h'
    (default 1h).

    .PARAMETER WorkspaceId
    The workspace id (32 hex digits).  Default: config.json, else
    $env:AMLR_WORKSPACE_ID.

    .PARAMETER AuthorizationToken
    The workspace's authorization token (Studio: Settings, Authorization
    tokens), a string or a SecureString.  Default: config.json, else
    $env:AMLR_WORKSPACE_TOKEN.  It reaches amlretrain through its
    environment, never its command line.

    .PARAMETER Location
    The workspace's region, as azuremlps names it ('South Central US',
    'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
    'West Central US'); it chooses the management host.  Default:
    config.json, else $env:AMLR_MANAGEMENT_ENDPOINT (the emulator's), else
    South Central US.

    .PARAMETER ConfigFile
    A config.json ({"WorkspaceId", "AuthorizationToken", "Location"}), as
    azuremlps reads it: absolute, or relative to the current location (else
    to the module's folder).  A config.json beside the module is read
    first; the explicit parameters override both.

    .EXAMPLE
    PS> Patch-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName 'rentalloc001' -ResourceName 'Bike Rental [trained model]' -BaseLocation 'https://acct.blob.core.windows.net/' -RelativeLocation 'models/model001.ilearner' -SasBlobToken $sasToken

    The "many models" article's line, unchanged (azuremlps's name).

    .EXAMPLE
    PS> $status = Invoke-AmlWebServiceBESEndpoint -ApiLocation $training.ApiLocation -ApiKey $training.PrimaryKey -Input @{ input1 = '@census.csv' } -Output @{ output1 = 'models/census.ilearner' }
    PS> $status | Set-AmlWebServiceEndpointResource -WebServiceId $scoringSvc.Id -EndpointName 'retrain01'

    Trains a model, then swaps it into an endpoint.

    .INPUTS
    A job status (object or JSON text), or objects with WebServiceId and
    EndpointName properties.

    .OUTPUTS
    AmlRetrain.EndpointModelSwap: Name, WebServiceId, WorkspaceId,
    Resource, PreviousLocation, Location (never a SAS), Backup.

    .NOTES
    azuremlps's Patch-AmlWebServiceEndpoint (Patch is not an approved
    verb: that name is an alias).  A failure is a terminating error with
    the service's code and request id, naming the backup to restore (per
    piped item, a non-terminating one).
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Location')]
    [Alias('Patch-AmlWebServiceEndpoint')]
    [OutputType('AmlRetrain.EndpointModelSwap')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $WebServiceId,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $EndpointName,
        [ValidateNotNullOrEmpty()] [string] $ResourceName,
        [Parameter(Mandatory, ParameterSetName = 'Location')] [ValidateNotNullOrEmpty()] [string] $BaseLocation,
        [Parameter(Mandatory, ParameterSetName = 'Location')] [ValidateNotNullOrEmpty()] [string] $RelativeLocation,
        [Parameter(ParameterSetName = 'Location')]
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $SasBlobToken,
        [Parameter(Mandatory, ParameterSetName = 'JobStatus', ValueFromPipeline)] [ValidateNotNull()]
        [object] $JobStatus,
        [Parameter(ParameterSetName = 'JobStatus')] [ValidateNotNullOrEmpty()] [string] $JobOutput,
        [string] $BackupDirectory,
        [switch] $SkipPreflight,
        [string] $SasMargin,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        $model = if ($PSCmdlet.ParameterSetName -eq 'Location') {
            $BaseLocation.TrimEnd('/') + '/' + $RelativeLocation.TrimStart('/')
        } else {
            'the model of the job'
        }
        if (-not $PSCmdlet.ShouldProcess("endpoint '$EndpointName' of web service $WebServiceId",
                "Point the trained model at '$model'")) {
            return
        }
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        $arguments = @('endpoint', 'set-model') + $settings.Arguments + "--webservice=$WebServiceId" +
        "--name=$EndpointName"
        if ($ResourceName) {
            $arguments += "--resource=$ResourceName"
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
        $file = $null
        try {
            if ($PSCmdlet.ParameterSetName -eq 'JobStatus') {
                $text = if ($JobStatus -is [string]) { $JobStatus } else { ConvertTo-AmlrJson -InputObject $JobStatus }
                $file = Write-AmlrSecretFile -Content $text
                $arguments += "--from-job=$file"
                if ($JobOutput) {
                    $arguments += "--job-output=$JobOutput"
                }
            } else {
                $arguments += "--base-location=$BaseLocation"
                $arguments += "--relative-location=$RelativeLocation"
                if ($null -ne $SasBlobToken) {
                    $token = $SasBlobToken
                    if ($token -is [securestring]) {
                        $token = [System.Net.NetworkCredential]::new('', $token).Password
                    }
                    $file = Write-AmlrSecretFile -Content $token -Extension '.sas'
                    $arguments += "--sas-token=@$file"
                }
            }
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $settings.Environment `
                -TypeName 'AmlRetrain.EndpointModelSwap' -Target "$WebServiceId/$EndpointName" -PerItem `
                -Activity "Swapping the model of endpoint '$EndpointName'"
        } finally {
            if ($file) {
                [System.IO.File]::Delete($file)
            }
        }
    }
}
