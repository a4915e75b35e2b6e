# SPDX-License-Identifier: MIT
# Invoke-AmlRetraining (amlretrain retrain --plan, docs/plan.md) and
# Invoke-AmlFleet (amlretrain fleet) against a freshly started emulator:
# a plan's dry run under -WhatIf, a promotion, a rejection by the gate (a
# non-terminating error with the gate's reason unless -ErrorAction Stop),
# bad plans; a fleet retrained and swapped, failed targets, bad targets.

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Emulator = Start-TestEmulator
    $script:ScoringId = $env:AMLR_PREDICTIVE_WEBSERVICE_ID
    Import-Module $ModulePath -Force

    function New-TestPlan {
        # manifests/plans/census-classic.json under another name, target
        # endpoint and staging endpoint, with changes to its gate.
        param([Parameter(Mandatory)] [string] $Name, [hashtable] $Gate = @{})
        $plan = [System.IO.File]::ReadAllText("$RepoRoot/manifests/plans/census-classic.json") |
            ConvertFrom-Json -AsHashtable
        $plan.Remove('$schema')
        $plan['name'] = $Name
        $plan['gate']['staging']['endpoint']['name'] = "$Name-staging"
        $plan['targets'][0]['endpoint']['name'] = $Name
        foreach ($key in $Gate.Keys) {
            $plan['gate'][$key] = $Gate[$key]
        }
        $path = "$Scratch/$Name.json"
        [System.IO.File]::WriteAllText($path, ($plan | ConvertTo-Json -Depth 100))
        return $path
    }

    function Get-Failure {
        # The ErrorRecord a script block throws (terminating), or $null.
        param([Parameter(Mandatory)] [scriptblock] $ScriptBlock)
        try {
            & $ScriptBlock | Out-Null
        } catch {
            return $_
        }
        return $null
    }

    function Get-ModelLocation {
        # Where an endpoint of the predictive web service takes its model.
        param([Parameter(Mandatory)] [string] $Name)
        $location = (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName $Name).Resources[0]['Location']
        return $location['BaseLocation'] + $location['RelativeLocation']
    }
}

AfterAll {
    Remove-Module AmlRetrain -Force -ErrorAction Ignore
    Stop-TestEmulator $Emulator
    Remove-TestScratch
}

Describe 'Invoke-AmlRetraining' {
    It '-WhatIf checks the plan and lists its steps, changing nothing' {
        $plan = New-TestPlan -Name 'plan-whatif'
        $report = Invoke-AmlRetraining -Plan $plan -WhatIf
        $report.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.RetrainReport'
        $report.DryRun | Should -BeTrue
        $report.Steps | Should -Contain 'gate on AUC'
        $record = Get-Failure { Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'plan-whatif' }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        # Several plans from the pipeline, as paths or files.
        $reports = (Get-Item $plan), (New-TestPlan -Name 'plan-whatif-2') | Invoke-AmlRetraining -WhatIf
        $reports.Plan | Should -Be @('plan-whatif', 'plan-whatif-2')
    }

    It 'promotes a model the gate lets through: the target endpoint takes it, the report says so' {
        $plan = New-TestPlan -Name 'plan-pass'
        $report = Invoke-AmlRetraining -Plan $plan -ReportFile "$Scratch/plan-pass-report.json"
        $report.Plan | Should -Be 'plan-pass'
        $report.Gate['passed'] | Should -BeTrue
        $report.Gate['new'] | Should -BeGreaterThan $report.Gate['current']
        $report.Model['uri'] | Should -BeLike '*/model.ilearner'
        Get-ModelLocation -Name 'plan-pass' | Should -Be $report.Model['uri']
        ([System.IO.File]::ReadAllText("$Scratch/plan-pass-report.json") | ConvertFrom-Json).plan | Should -Be 'plan-pass'
    }

    It 'a rejected model is a non-terminating GateRejected error with the gate''s reason; the report still comes, nothing changed' {
        $plan = New-TestPlan -Name 'plan-reject' -Gate @{ minimum = 0.99 }
        $errors = $null
        $report = Invoke-AmlRetraining -Plan $plan -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'AmlRetrain.GateRejected,Invoke-AmlRetraining'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $errors[0].Exception.Data['ExitCode'] | Should -Be 13
        $errors[0].Exception.Message | Should -Match 'below the minimum 0\.99'
        $report.Status | Should -Be 'rejected'
        $report.Gate['passed'] | Should -BeFalse
        # The target was never created, let alone changed.
        $record = Get-Failure { Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'plan-reject' }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        # -ErrorAction Stop: terminating.
        $record = Get-Failure { Invoke-AmlRetraining -Plan (New-TestPlan -Name 'plan-reject-2' -Gate @{ minimum = 0.99 }) -ErrorAction Stop }
        $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.GateRejected,Invoke-AmlRetraining'
    }

    It 'a missing or invalid plan is a terminating error naming it, before anything runs' {
        $record = Get-Failure { Invoke-AmlRetraining -Plan "$Scratch/absent.json" }
        $record | Should -Not -BeNullOrEmpty
        $record.Exception.Message | Should -Match 'absent\.json'
        [System.IO.File]::WriteAllText("$Scratch/bad-plan.json", '{"version": 1, "name": "bad plan!"}')
        $record = Get-Failure { Invoke-AmlRetraining -Plan "$Scratch/bad-plan.json" -WhatIf }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Data['ExitCode'] | Should -Be 2
    }
}

Describe 'Invoke-AmlFleet' {
    It '-Mode Retrain trains a model per endpoint, adds the missing endpoints and swaps each model in' {
        $targets = "$Scratch/fleet.csv"
        [System.IO.File]::WriteAllLines($targets, @('endpoint,input', "fleet-a,@$env:AMLR_DATA_DIR/census-a.csv",
                "fleet-b,@$env:AMLR_DATA_DIR/census-b.csv"))
        $training = Get-AmlWebServiceEndpoint -WebServiceId $env:AMLR_TRAINING_WEBSERVICE_ID -EndpointName 'default'
        $result = Invoke-AmlFleet -Targets $targets -Mode Retrain -WebServiceId $ScoringId -Container 'fleet' -Create `
            -ApiLocation $training.ApiLocation -ApiKey (ConvertTo-SecureString $training.PrimaryKey -AsPlainText -Force)
        $result.Count | Should -Be 2
        $result[0].PSObject.TypeNames[0] | Should -Be 'AmlRetrain.FleetTarget'
        $result.Endpoint | Should -Be @('fleet-a', 'fleet-b')
        $result.Status | Should -Be @('done', 'done')
        $result.JobId | ForEach-Object { $_ | Should -Match '^[0-9a-f]{32}$' }
        Get-ModelLocation -Name 'fleet-a' | Should -BeLike '*/fleet/fleet-a.ilearner'
        Get-ModelLocation -Name 'fleet-b' | Should -BeLike '*/fleet/fleet-b.ilearner'
        # Again: resumed from the state file, nothing run twice.
        $again = Invoke-AmlFleet -Targets $targets -Mode Retrain -WebServiceId $ScoringId -Container 'fleet' `
            -ApiLocation $training.ApiLocation -ApiKey $training.PrimaryKey
        $again.Resumed | Should -Be @($true, $true)
        $again.JobId | Should -Be $result.JobId
    }

    It '-Mode SetModel: a failed target is a non-terminating error; the others are done and every target is reported' {
        $targets = "$Scratch/models.csv"
        [System.IO.File]::WriteAllLines($targets, @('endpoint,model', 'fleet-a,fleet/fleet-b.ilearner',
                'fleet-none,fleet/fleet-a.ilearner'))
        $errors = $null
        $result = Invoke-AmlFleet -Targets $targets -Mode SetModel -WebServiceId $ScoringId -ErrorVariable errors `
            -ErrorAction SilentlyContinue
        $result.Status | Should -Be @('done', 'failed')
        $result[1].ExitCode | Should -Be 4
        $result[1].Message | Should -Match "endpoint 'fleet-none' not found"
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].Exception.Message | Should -Match 'fleet-none'
        Get-ModelLocation -Name 'fleet-a' | Should -BeLike '*/fleet/fleet-b.ilearner'
    }

    It 'a bad targets file is a terminating InvalidArgument error naming the line, before anything is sent' {
        $targets = "$Scratch/bad.csv"
        [System.IO.File]::WriteAllLines($targets, @('endpoint,model', 'Fleet_Bad,fleet/x.ilearner'))
        $record = Get-Failure { Invoke-AmlFleet -Targets $targets -Mode SetModel -WebServiceId $ScoringId }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'line 2'
        $record = Get-Failure { Invoke-AmlFleet -Targets $targets -Mode Retrain -WebServiceId $ScoringId }
        $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.InvalidArgument,Invoke-AmlFleet'
        $record.Exception.Message | Should -Match '-Container'
    }

    It 'a refused token stops it with an AuthenticationError' {
        $targets = "$Scratch/models-auth.csv"
        [System.IO.File]::WriteAllLines($targets, @('endpoint,model', 'fleet-a,fleet/fleet-a.ilearner'))
        $record = Get-Failure {
            Invoke-AmlFleet -Targets $targets -Mode SetModel -WebServiceId $ScoringId -AuthorizationToken 'wrong-token'
        }
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }
}
