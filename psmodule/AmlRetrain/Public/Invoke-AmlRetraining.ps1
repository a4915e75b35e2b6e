# SPDX-License-Identifier: MIT
# Invoke-AmlRetraining: retrain and promote a model as a plan says, behind a gate.

function Invoke-AmlRetraining {
    <#
    .SYNOPSIS
    Retrains a model and swaps it into its targets as a plan says, only if it passes the plan's gate.

    .DESCRIPTION
    The whole retraining workflow in one command (amlretrain retrain
    --plan): upload the new data, run the training web service's batch
    job, read its evaluation, score the holdout with the current and the
    new model, apply the gate, then for each target (classic endpoints,
    Resource Manager web services) pre-flight, back up, swap, verify.
    The plan format is docs/plan.md; secrets are only named in it
    (environment variables, files), never written.

    The result is the run's report: every id, the old and new metrics
    and the gate's decision, the targets and the timings, never a secret.
    A rejected model changes nothing in production: that is a
    non-terminating error (category InvalidResult, exit code 13) with
    the gate's reason, after which the report is still returned; with
    -ErrorAction Stop it is terminating.

    -WhatIf checks the plan and its targets and lists the steps, changing
    nothing (amlretrain retrain --dry-run).

    .PARAMETER Plan
    The plan file (JSON, docs/plan.md).  Accepts a path from the
    pipeline.

    .PARAMETER ReportFile
    Where the report (JSON) is written too (default: the plan's
    "report", if any).

    .EXAMPLE
    PS> Invoke-AmlRetraining -Plan ./census-classic.json -WhatIf

    Checks the plan and shows its steps.

    .EXAMPLE
    PS> $report = Invoke-AmlRetraining -Plan ./census-classic.json -ErrorAction Stop
    PS> $report.Gate

    Retrains; a rejected model stops the script.

    .EXAMPLE
    PS> Get-ChildItem ./plans/*.json | Invoke-AmlRetraining -ErrorVariable rejected

    Runs several plans; the rejected ones are in $rejected.

    .INPUTS
    Plan file paths (strings or FileInfo objects).

    .OUTPUTS
    AmlRetrain.RetrainReport: the report (Plan, Gate, Targets, TimingsMs,
    ...), or with -WhatIf the steps (Plan, DryRun, Steps).

    .NOTES
    No azuremlps or Az counterpart.  Other failures (a bad plan, a failed
    job, a refused token) are terminating errors with the service's code
    and request id; for plans from the pipeline, non-terminating per plan.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('AmlRetrain.RetrainReport')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName', 'Path')] [ValidateNotNullOrEmpty()] [string] $Plan,
        [ValidateNotNullOrEmpty()] [string] $ReportFile
    )

    process {
        $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Plan)
        $arguments = @('retrain', "--plan=$path")
        if ($ReportFile) {
            $arguments += "--report=$($PSCmdlet.GetUnresolvedProviderPathFromPSPath($ReportFile))"
        }
        if (-not $PSCmdlet.ShouldProcess($path, 'Retrain and swap in the new model if the gate passes')) {
            if (-not $WhatIfPreference) {
                return   # declined at -Confirm
            }
            $arguments += '--dry-run'
        }
        $report = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -TypeName 'AmlRetrain.RetrainReport' `
            -Target $path -PerItem -AllowExitCode 13 -Activity "Retraining as '$Plan' says"
        if ($script:AmlrLastExitCode -eq 13) {
            # Rejected (exit 13): the gate's reason, from the report.
            $gate = Get-AmlrMemberValue -InputObject $report -Name 'gate'
            $reason = [string](Get-AmlrMemberValue -InputObject $gate -Name 'reason')
            if (-not $reason) {
                $reason = 'see the report'
            }
            $line = ConvertTo-AmlrJson -InputObject ([ordered]@{ error = [ordered]@{ exitCode = 13
                        category = 'GateRejected'; code = 'GateRejected'
                        message = "the gate rejected the new model of plan '$Plan': $reason; nothing was changed"
                    }
                })
            $PSCmdlet.WriteError((ConvertTo-AmlrErrorRecord -ExitCode 13 -Stderr $line -Target $path))
        }
        $report
    }
}
