# SPDX-License-Identifier: MIT
# Retrain-Census: an Azure Automation runbook that retrains and promotes the census model as a plan says.

<#
.SYNOPSIS
    Retrains the census model with a plan and promotes it only if the gate
    passes: an Azure Automation runbook (PowerShell 7.2) using AmlRetrain.

.DESCRIPTION
    Signs in with the Automation account's managed identity
    (Connect-AmlAccount -Identity), then runs the retraining plan
    (Invoke-AmlRetraining -Plan: upload the new data, run the training web
    service's batch job, score a holdout with the current and the new
    model, and swap the new one into every target only if the gate says
    it is better; docs/plan.md) and writes the run's report to the job's
    output.

    The plan names its secrets only by reference ({"env": "NAME"}). This
    runbook fills those environment variables, for its own process only,
    from encrypted Automation variables of the same names
    (Get-AutomationVariable), so that no secret is written in the plan, the
    runbook or a command line.

    Outcomes: promoted, the report is the output; the gate rejected the
    model (nothing was swapped), a warning and the report, the job still
    completes unless -FailOnRejection; any other failure (sign-in, the
    batch job failed, a target refused the model) is a terminating error,
    so the Automation job ends Failed and its alert fires.

.PARAMETER PlanPath
    The plan file (JSON, docs/plan.md). On a Hybrid Runbook Worker, a path
    on the worker, e.g. /usr/local/share/amlretrain/plans/census-webservice.json
    (installed by make install); in the Azure sandbox, a file the runbook
    downloaded first.

.PARAMETER ReportPath
    Also write the report (JSON) to this file.

.PARAMETER IdentityClientId
    The client id of a user-assigned managed identity of the Automation
    account. Default: its system-assigned identity.

.PARAMETER SecretVariable
    The names of the environment variables the plan reads secrets from,
    each filled from the encrypted Automation variable of the same name
    when one exists.

.PARAMETER FailOnRejection
    Make a rejected model a failed job (exit 13 of amlretrain) instead of
    a warning.

.EXAMPLE
    Start-AzAutomationRunbook -ResourceGroupName ops -AutomationAccountName ml-ops `
        -Name Retrain-Census -RunOn linux-workers `
        -Parameters @{ PlanPath = '/usr/local/share/amlretrain/plans/census-webservice.json' }

    Runs the plan on the Hybrid Worker group linux-workers.

.EXAMPLE
    New-AzAutomationSchedule -ResourceGroupName ops -AutomationAccountName ml-ops `
        -Name nightly -StartTime (Get-Date '02:00').AddDays(1) -DayInterval 1
    Register-AzAutomationScheduledRunbook -ResourceGroupName ops -AutomationAccountName ml-ops `
        -RunbookName Retrain-Census -ScheduleName nightly -RunOn linux-workers `
        -Parameters @{ PlanPath = '/usr/local/share/amlretrain/plans/census-webservice.json' }

    Every night at 02:00.

.INPUTS
    None.

.OUTPUTS
    The run's report (PSCustomObject): plan, run, status, job, model,
    evaluation, gate, targets, timingsMs. Never a secret.

.NOTES
    Needs the AmlRetrain module in the Automation account (Modules, runtime
    7.2) or installed on the Hybrid Worker (make install puts it under
    share/amlretrain/powershell), and amlretrain on the worker's PATH or in
    $env:AMLR_EXE. The managed identity needs a role that may read and
    update the web services (Contributor on their resource group) for
    Resource Manager targets; classic endpoints use the workspace token of
    the plan's token reference. One run at a time: give the schedule no
    overlap, or on Linux use scripts/run-plan (flock) from cron instead.
#>
[CmdletBinding()]
[OutputType([pscustomobject])]
param(
    [Parameter(Mandatory)]
    [ValidateNotNullOrEmpty()]
    [string] $PlanPath,

    [string] $ReportPath,

    [string] $IdentityClientId,

    [string[]] $SecretVariable = @(
        'AZURE_STORAGE_CONNECTION_STRING',
        'AMLR_TRAINING_API_KEY',
        'AMLR_TRAINING_ENDPOINT_API_KEY',
        'AMLR_WORKSPACE_TOKEN'
    ),

    [switch] $FailOnRejection
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

Import-Module AmlRetrain

# Secrets from encrypted Automation variables into this process only.
if (Get-Command -Name Get-AutomationVariable -ErrorAction SilentlyContinue) {
    foreach ($name in $SecretVariable) {
        $value = Get-AutomationVariable -Name $name -ErrorAction SilentlyContinue
        if ($null -ne $value) {
            [Environment]::SetEnvironmentVariable($name, [string] $value)
        }
    }
}

$connect = @{ Identity = $true }
if ($IdentityClientId) {
    $connect.AccountId = $IdentityClientId
}
$account = Connect-AmlAccount @connect
Write-Verbose "signed in: $($account.Source) $($account.ClientId)"

$retrain = @{ Plan = $PlanPath }
if ($ReportPath) {
    $retrain.ReportFile = $ReportPath
}
# A rejected model is a non-terminating error (exit 13, InvalidResult)
# after which the report still comes; every other failure terminates.
$rejection = $null
$report = Invoke-AmlRetraining @retrain -ErrorAction SilentlyContinue -ErrorVariable rejection
if ($rejection) {
    if ($FailOnRejection) {
        Write-Output $report
        throw $rejection[0]
    }
    Write-Warning "the gate rejected the new model; nothing was swapped: $($rejection[0].Exception.Message)"
}
Write-Output $report
