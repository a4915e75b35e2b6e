# SPDX-License-Identifier: MIT
# Invoke-AmlWebServiceBESEndpoint: run a batch (BES) job to its end (azuremlps).

function Invoke-AmlWebServiceBESEndpoint {
    <#
    .SYNOPSIS
    Runs a batch execution (BES) job of a web service: submit, start, wait; returns its final status.

    .DESCRIPTION
    The training web service's batch job is how a retrained model is made
    (only BES writes trained models).  Give the job as azuremlps took it
    (-SubmitJobRequestUrl, -ApiKey, -JobConfigString or -JobConfigFile: a
    BatchExecutionRequest with Inputs, Outputs and GlobalParameters), or
    with friendlier parameters (-ApiLocation, -Input, -Output,
    -GlobalParameter).  The job is submitted, started and followed with
    Write-Progress (its state and the time waited), polling soon and then
    less often (not azuremlps's busy loop), until it ends: Finished,
    Failed, Cancelled (or the service's other spelling, Canceled).

    The result is the final status: StatusCode, Results (each output's
    BaseLocation, RelativeLocation, SasBlobToken), Details, JobId.  As a
    string it is the status JSON that azuremlps returned, so that
    `$status | ConvertFrom-Json` still works; Set-AmlWebServiceEndpointResource
    -JobStatus takes it as it is.  A job that ends Failed or Cancelled, or
    is still running after -TimeoutSec (it is then cancelled), is a
    non-terminating error carrying the job's Details (the final status is
    still returned); -ErrorAction Stop makes it terminating.

    The API key, the connection strings and the SAS tokens reach
    amlretrain through its environment or private temporary files, never
    its command line.  -WhatIf checks the job's description and shows the
    inputs, outputs and parameters (SAS tokens as files), running nothing.

    .PARAMETER SubmitJobRequestUrl
    The endpoint's ApiLocation + '/jobs?api-version=2.0', as azuremlps
    took it.

    .PARAMETER JobConfigString
    The job request (JSON): {"Inputs": {NAME: REF}, "Outputs": {NAME: REF},
    "GlobalParameters": {...}} where REF is {"ConnectionString",
    "RelativeLocation": "container/blob"} or {"BaseLocation",
    "RelativeLocation", "SasBlobToken"}.  Wins over -JobConfigFile.

    .PARAMETER JobConfigFile
    A file holding the job request (JSON), as -JobConfigString.

    .PARAMETER ApiLocation
    The endpoint's ApiLocation (Get-AmlWebServiceEndpoint), with or
    without '/jobs'.

    .PARAMETER Inputs
    (Alias -Input.)  The job's inputs: a hashtable NAME = REF, where REF is 'container/blob'
    in the account of $env:AZURE_STORAGE_CONNECTION_STRING, a blob URL (with
    a SAS or without), '@PATH' or a FileInfo (a local file, uploaded first
    under a name holding its content's hash), or a job request's blob
    reference (a hashtable as in -JobConfigString).

    .PARAMETER Outputs
    (Alias -Output.)  Where the job's outputs go: a hashtable NAME = REF, as -Input (no
    local files).  A trained model's RelativeLocation ends in .ilearner.

    .PARAMETER GlobalParameter
    The web service parameters: a hashtable NAME = VALUE.  They are
    passed on amlretrain's command line: a value holding a SAS ('sig=')
    or an account key is refused.

    .PARAMETER ApiKey
    The endpoint's API key (its PrimaryKey), a string or a SecureString.
    Default: $env:AMLR_API_KEY.

    .PARAMETER TimeoutSec
    Cancel the job and fail if it is still running after this many
    seconds (default 3600; 0: wait for ever).

    .EXAMPLE
    PS> $trainingSvcEp = (Get-AmlWebServiceEndpoint -WebServiceId $trainingSvc.Id)[0]
    PS> $submitJobRequestUrl = $trainingSvcEp.ApiLocation + '/jobs?api-version=2.0'
    PS> $configContent = '{ "Inputs": { "input1": { "ConnectionString": "' + $cs + '", "RelativeLocation": "data/loc001.csv" } }, "Outputs": { "output1": { "ConnectionString": "' + $cs + '", "RelativeLocation": "models/model001.ilearner" } } }'
    PS> Invoke-AmlWebServiceBESEndpoint -JobConfigString $configContent -SubmitJobRequestUrl $submitJobRequestUrl -ApiKey $trainingSvcEp.PrimaryKey

    The "many models" article's call: trains a model on one location's data.

    .EXAMPLE
    PS> $status = Invoke-AmlWebServiceBESEndpoint -ApiLocation $ep.ApiLocation -ApiKey $ep.PrimaryKey -Input @{ input1 = '@./census.csv' } -Output @{ output1 = 'models/census.ilearner'; output2 = 'models/evaluation.csv' }
    PS> $status.Results['output1'].RelativeLocation

    Uploads a local file, trains on it, and reads where the model went.

    .INPUTS
    None.

    .OUTPUTS
    AmlRetrain.BatchJobStatus: StatusCode, Results, Details, JobId.

    .NOTES
    azuremlps's Invoke-AmlWebServiceBESEndpoint, without its busy polling
    and its endless loop on a job reported Cancelled.  The job's failure
    is a non-terminating error (exit 10 Failed: category InvalidResult,
    with Details; 11 Cancelled: OperationStopped; 12 timeout:
    OperationTimeout).  Other failures (a refused key, a bad request) are
    terminating errors with the service's code and request id.
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Url')]
    [OutputType('AmlRetrain.BatchJobStatus')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Url')] [ValidateNotNullOrEmpty()] [string] $SubmitJobRequestUrl,
        [Parameter(ParameterSetName = 'Url')] [ValidateNotNullOrEmpty()] [string] $JobConfigString,
        [Parameter(ParameterSetName = 'Url')] [ValidateNotNullOrEmpty()] [string] $JobConfigFile,
        [Parameter(Mandatory, ParameterSetName = 'Location')] [ValidateNotNullOrEmpty()] [string] $ApiLocation,
        [Parameter(ParameterSetName = 'Location')] [Alias('Input')] [hashtable] $Inputs,
        [Parameter(ParameterSetName = 'Location')] [Alias('Output')] [hashtable] $Outputs,
        [Parameter(ParameterSetName = 'Location')] [hashtable] $GlobalParameter,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $ApiKey,
        [ValidateRange(0, 2147483)] [int] $TimeoutSec = 3600
    )

    $state = @{ Files = [System.Collections.Generic.List[string]]::new(); ConnectionString = $null }
    $invalid = {
        param([string] $Message, [string] $Target)
        $exception = [System.ArgumentException]::new($Message)
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                'AmlRetrain.InvalidArgument', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Target))
    }
    try {
        $inputRefs = [ordered]@{}
        $outputRefs = [ordered]@{}
        $parameters = [ordered]@{}
        if ($PSCmdlet.ParameterSetName -eq 'Url') {
            $location = $SubmitJobRequestUrl
            if (-not $JobConfigString) {
                if (-not $JobConfigFile) {
                    & $invalid 'give the job as -JobConfigString or -JobConfigFile' $SubmitJobRequestUrl
                }
                $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($JobConfigFile)
                if (-not [System.IO.File]::Exists($path)) {
                    $exception = [System.Management.Automation.ItemNotFoundException]::new(
                        "the job configuration file '$JobConfigFile' does not exist")
                    $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                            'AmlRetrain.FileNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound,
                            $JobConfigFile))
                }
                $JobConfigString = [System.IO.File]::ReadAllText($path)
            }
            try {
                $config = ConvertFrom-AmlrJson -Json $JobConfigString
            } catch {
                $config = $null
            }
            if ($config -isnot [System.Management.Automation.PSCustomObject]) {
                & $invalid 'the job configuration is not a JSON object {"Inputs", "Outputs", "GlobalParameters"}' 'JobConfig'
            }
            foreach ($pair in @(@('Inputs', $inputRefs), @('Outputs', $outputRefs), @('GlobalParameters', $parameters))) {
                $section = Get-AmlrMemberValue -InputObject $config -Name $pair[0]
                if ($null -eq $section) {
                    continue
                }
                if ($section -isnot [System.Collections.IDictionary]) {
                    & $invalid "the job configuration's $($pair[0]) must be an object" 'JobConfig'
                }
                foreach ($entry in $section.GetEnumerator()) {
                    $pair[1][[string]$entry.Key] = $entry.Value
                }
            }
            $single = Get-AmlrMemberValue -InputObject $config -Name 'Input'
            if ($null -ne $single) {
                $inputRefs['input1'] = $single   # the legacy single-input form
            }
        } else {
            $location = $ApiLocation
            foreach ($pair in @(@($Inputs, $inputRefs), @($Outputs, $outputRefs), @($GlobalParameter, $parameters))) {
                if ($pair[0]) {
                    foreach ($key in $pair[0].Keys) {
                        $pair[1][[string]$key] = $pair[0][$key]
                    }
                }
            }
        }

        $arguments = [System.Collections.Generic.List[string]]::new()
        $arguments.Add("--api-location=$location")
        foreach ($name in $inputRefs.Keys) {
            $ref = ConvertTo-AmlrJobReference -Caller $PSCmdlet -Name $name -Reference $inputRefs[$name] -State $state
            $arguments.Add("--input=$name=$ref")
        }
        foreach ($name in $outputRefs.Keys) {
            $ref = ConvertTo-AmlrJobReference -Caller $PSCmdlet -Name $name -Reference $outputRefs[$name] -State $state
            $arguments.Add("--output=$name=$ref")
        }
        foreach ($name in $parameters.Keys) {
            $value = [string]$parameters[$name]
            if ($value -match '(?i)([?&]sig=|AccountKey=|SharedAccessSignature=)') {
                & $invalid "global parameter '$name' holds a secret (a SAS or an account key), which would be visible on amlretrain's command line" $name
            }
            $arguments.Add("--param=$name=$value")
        }
        $environment = @{}
        if ($null -ne $ApiKey) {
            $environment['AMLR_API_KEY'] = $ApiKey
        }
        $common = @("--api-location=$location")
        if ($state.ConnectionString) {
            $environment['AMLR_JOB_CONNECTION_STRING'] = $state.ConnectionString
            $arguments.Add('--connection-string-env=AMLR_JOB_CONNECTION_STRING')
        }

        $described = @($arguments | Select-Object -Skip 1) -join ' '
        if (-not $PSCmdlet.ShouldProcess($location, "Run a batch job ($described)")) {
            return
        }
        $activity = 'Batch Execution Service'
        Write-Progress -Activity $activity -Status 'Submitting the job'
        $jobId = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList (@('job', 'submit') + $arguments) `
            -SecretEnvironment $environment -Target $location
        Write-Progress -Activity $activity -Status "Starting job $jobId"
        $null = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList (@('job', 'start', "--job=$jobId") + $common) `
            -SecretEnvironment $environment -Target $jobId

        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $pause = 250
        while ($true) {
            $status = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList (@('job', 'status', "--job=$jobId") + $common) `
                -SecretEnvironment $environment -Target $jobId
            $code = [string](Get-AmlrMemberValue -InputObject $status -Name 'StatusCode')
            Write-Progress -Activity $activity -Status "Job ${jobId}: $code" `
                -CurrentOperation "waited $([int]$clock.Elapsed.TotalSeconds) s"
            if ($code -in 'Finished', 'Failed', 'Cancelled', 'Canceled') {
                break
            }
            # The last second goes to amlretrain job wait, which cancels the
            # job when the time is up.
            if ($TimeoutSec -gt 0 -and $clock.Elapsed.TotalSeconds + $pause / 1000 -ge $TimeoutSec - 1) {
                break
            }
            Start-Sleep -Milliseconds $pause
            $pause = [Math]::Min(5000, [int]($pause * 1.5))
        }
        # amlretrain job wait gives the outcome: the status, and the error
        # of a Failed (exit 10) or Cancelled (11) job; still running past
        # the timeout, it cancels the job (12).  Those are non-terminating
        # errors (-ErrorAction Stop makes them terminating): the final
        # status is returned all the same, as azuremlps returned it.
        $timeout = '0'
        if ($TimeoutSec -gt 0) {
            $timeout = "$([Math]::Max(1, [int][Math]::Ceiling($TimeoutSec - $clock.Elapsed.TotalSeconds)))s"
        }
        $final = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList (@('job', 'wait', "--job=$jobId",
                "--timeout=$timeout") + $common) -SecretEnvironment $environment -Target $jobId `
            -TypeName 'AmlRetrain.BatchJobStatus' -NonTerminating 10, 11, 12
        if ($final) {
            $final | Add-Member -MemberType ScriptMethod -Name 'ToString' -Value {
                ConvertTo-AmlrJson -InputObject $this
            } -Force
        }
        $final
    } finally {
        Write-Progress -Activity 'Batch Execution Service' -Completed
        foreach ($file in $state.Files) {
            [System.IO.File]::Delete($file)
        }
    }
}
