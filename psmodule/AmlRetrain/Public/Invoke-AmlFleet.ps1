# SPDX-License-Identifier: MIT
# Invoke-AmlFleet: retrain or swap the models of many classic endpoints at once.

function Invoke-AmlFleet {
    <#
    .SYNOPSIS
    Retrains and swaps in a model per classic endpoint, for many endpoints at once (the "many models" workflow).

    .DESCRIPTION
    Runs amlretrain's fleet runner over a targets file (CSV with a header
    row, one endpoint of the predictive web service per row):

    - -Mode Retrain: columns endpoint, input (CONTAINER/BLOB or @LOCAL-FILE)
      and optionally resource; each endpoint gets a batch job of the
      training web service (-ApiLocation, -ApiKey) on its own data,
      writing CONTAINER/PREFIX/<endpoint>.ilearner, then that model.
    - -Mode SetModel: columns endpoint, model (CONTAINER/BLOB.ilearner) and
      optionally resource; each endpoint gets its model.

    Up to -Concurrency targets are in progress at once; throttling and
    transient failures are retried.  Every change is journalled in a
    state file: running the same command again resumes (finished targets
    are not touched again, started jobs are waited for, never run twice).
    The storage account is $env:AZURE_STORAGE_CONNECTION_STRING's.

    One object per target is returned (Endpoint, Status, Phase, ExitCode,
    JobId, Model, Message, Resumed).  When targets failed, a
    non-terminating error reports the first one (the others are in the
    objects); a bad targets file is a terminating error naming the line,
    before anything is sent.

    .PARAMETER Targets
    The targets file (CSV).  Accepts a path from the pipeline.

    .PARAMETER Mode
    Retrain (train a model per endpoint, then swap it in) or SetModel
    (swap in the models the file names).

    .PARAMETER WebServiceId
    The predictive web service.  Default: $env:AMLR_WEBSERVICE_ID.

    .PARAMETER Container
    With Retrain: the container the trained models go to.

    .PARAMETER Prefix
    With Retrain: a folder for the models in the container.

    .PARAMETER ApiLocation
    With Retrain: the training web service's ApiLocation.  Default:
    $env:AMLR_API_LOCATION.

    .PARAMETER ApiKey
    With Retrain: its API key, a string or a SecureString.  Default:
    $env:AMLR_API_KEY.

    .PARAMETER TimeoutSec
    With Retrain: cancel a job still running after this many seconds
    (default 3600; 0: never).

    .PARAMETER ResourceName
    The trained-model resource of rows without one (default: found on the
    web service).

    .PARAMETER Create
    Add the endpoints that do not exist yet.

    .PARAMETER Concurrency
    Targets in progress at once, 1 to 256 (default 16).

    .PARAMETER Shard
    Only the targets of shard K of N ('K/N', by a hash of the endpoint
    name), to split a fleet between runners.

    .PARAMETER StateFile
    The journal to resume from and append to (default: the targets file's
    name + .state).

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
    PS> Invoke-AmlFleet -Targets ./locations.csv -Mode Retrain -WebServiceId $scoringSvc.Id -Container models -Create -ApiLocation $trainingEp.ApiLocation -ApiKey $trainingEp.PrimaryKey

    Trains a model per location and swaps each into its own endpoint,
    adding the endpoints that are missing.

    .EXAMPLE
    PS> Invoke-AmlFleet -Targets ./models.csv -Mode SetModel -WebServiceId $scoringSvc.Id | Where-Object Status -ne 'done'

    Points every endpoint at its model; shows the ones that failed.

    .INPUTS
    Targets file paths (strings or FileInfo objects).

    .OUTPUTS
    AmlRetrain.FleetTarget: Endpoint, Status, Phase, ExitCode, JobId,
    Model, Message, Resumed.

    .NOTES
    No azuremlps counterpart: the article's loops of
    Invoke-AmlWebServiceBESEndpoint and Patch-AmlWebServiceEndpoint, in
    parallel and resumable (amlretrain fleet).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('AmlRetrain.FleetTarget')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName', 'Path')] [ValidateNotNullOrEmpty()] [string] $Targets,
        [Parameter(Mandatory)] [ValidateSet('Retrain', 'SetModel')] [string] $Mode,
        [ValidateNotNullOrEmpty()] [string] $WebServiceId,
        [ValidateNotNullOrEmpty()] [string] $Container,
        [ValidateNotNullOrEmpty()] [string] $Prefix,
        [ValidateNotNullOrEmpty()] [string] $ApiLocation,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $ApiKey,
        [ValidateRange(0, 2147483)] [int] $TimeoutSec = 3600,
        [ValidateNotNullOrEmpty()] [string] $ResourceName,
        [switch] $Create,
        [ValidateRange(1, 256)] [int] $Concurrency,
        [ValidatePattern('^\d+/\d+$')] [string] $Shard,
        [ValidateNotNullOrEmpty()] [string] $StateFile,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Targets)
        $verb = if ($Mode -eq 'Retrain') { 'retrain' } else { 'set-model' }
        $what = if ($Mode -eq 'Retrain') { 'Retrain and swap in a model per endpoint' } else { 'Swap in a model per endpoint' }
        if (-not $PSCmdlet.ShouldProcess($path, $what)) {
            return
        }
        if ($Mode -eq 'Retrain' -and -not $Container) {
            $exception = [System.Management.Automation.PSArgumentNullException]::new('Container',
                '-Mode Retrain needs -Container: where the trained models go.')
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                    'AmlRetrain.InvalidArgument', [System.Management.Automation.ErrorCategory]::InvalidArgument, $path))
        }
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        $arguments = @('fleet', $verb, "--targets=$path") + $settings.Arguments
        $environment = $settings.Environment
        if ($WebServiceId) {
            $arguments += "--webservice=$WebServiceId"
        }
        if ($ResourceName) {
            $arguments += "--resource=$ResourceName"
        }
        if ($Create) {
            $arguments += '--create'
        }
        if ($Concurrency) {
            $arguments += "--concurrency=$Concurrency"
        }
        if ($Shard) {
            $arguments += "--shard=$Shard"
        }
        if ($StateFile) {
            $arguments += "--state=$($PSCmdlet.GetUnresolvedProviderPathFromPSPath($StateFile))"
        }
        if ($Mode -eq 'Retrain') {
            $arguments += "--container=$Container"
            $arguments += "--timeout=$(if ($TimeoutSec -gt 0) { "${TimeoutSec}s" } else { '0' })"
            if ($Prefix) {
                $arguments += "--prefix=$Prefix"
            }
            if ($ApiLocation) {
                $arguments += "--api-location=$ApiLocation"
            }
            if ($null -ne $ApiKey) {
                $environment['AMLR_API_KEY'] = $ApiKey
            }
        }
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $environment `
            -TypeName 'AmlRetrain.FleetTarget' -Target $path -PerItem -NonTerminating 1, 4, 5, 8, 9, 10, 11, 12 `
            -Activity "Fleet: $what ($([System.IO.Path]::GetFileName($path)))"
    }
}
