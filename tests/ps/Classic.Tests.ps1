# SPDX-License-Identifier: MIT
# The classic (azuremlps) cmdlets end to end against a freshly started
# emulator: the "many models" script of ../shared/reference/notes/
# classic-bes-rrs.md section 5.4 nearly verbatim (endpoints added, each
# trained on its own data through BES, patched, then scored with
# different predictions), each cmdlet's success and error paths (not
# found, refused token, invalid input, job failed, timeout), -WhatIf and
# pipeline input; then, through the echo stand-in, the arguments and that
# no secret is ever on amlretrain's command line.

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    # A started job waits 1.5 s before it runs: long enough for a
    # -TimeoutSec 1 to expire, short enough for the rest.
    $script:Emulator = Start-TestEmulator -ArgumentList @('--job-delay', '1500')
    $script:ScoringId = $env:AMLR_PREDICTIVE_WEBSERVICE_ID
    $script:TrainingId = $env:AMLR_TRAINING_WEBSERVICE_ID
    $script:Rows = "$Scratch/rows.csv"
    # The same five people for every endpoint (the label column is left in:
    # the predictive service passes it through).
    [System.IO.File]::WriteAllLines($Rows, @(Get-Content -TotalCount 6 "$env:AMLR_DATA_DIR/census-b-holdout.csv"))
    Import-Module $ModulePath -Force

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

    function Assert-ServiceError {
        # A terminating error with the service's code and request id.
        param($Record, [string] $Category, [string] $Code, [int] $ExitCode)
        $Record | Should -Not -BeNullOrEmpty -Because 'the failure must be terminating'
        $Record.CategoryInfo.Category | Should -Be $Category
        $Record.FullyQualifiedErrorId | Should -BeLike "AmlRetrain.$Code,*"
        $Record.Exception.Data['ServiceCode'] | Should -Be $Code
        $Record.Exception.Data['ExitCode'] | Should -Be $ExitCode
        $Record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        $Record.Exception.Message | Should -Match "Request Id: $($Record.Exception.Data['RequestId'])"
    }

    function Send-Blob {
        # Uploads a local file to the emulator's storage (the test's setup).
        param([Parameter(Mandatory)] [string] $Container, [Parameter(Mandatory)] [string] $Name,
            [Parameter(Mandatory)] [string] $Path)
        $null = & amlretrain blob upload -c $Container -n $Name -f $Path --create-container
        $LASTEXITCODE | Should -Be 0
    }

    function Get-Probability {
        # The Scored Probabilities column of an RRS reply.
        param([Parameter(Mandatory)] $Reply)
        $table = $Reply.Results['output1']['value']
        $column = [array]::IndexOf([string[]]$table['ColumnNames'], 'Scored Probabilities')
        $column | Should -BeGreaterOrEqual 0
        return , @($table['Values'] | ForEach-Object { [double]$_[$column] })
    }
}

AfterAll {
    Remove-Module AmlRetrain -Force -ErrorAction Ignore
    Stop-TestEmulator $Emulator
    Remove-TestScratch
}

Describe 'the "many models" script (notes section 5.4)' {
    It 'adds an endpoint per location, trains each on its own data, patches it, and each then predicts differently' {
        # The locations' training data, in the workspace's storage account.
        $files = "$env:AMLR_DATA_DIR/census-a.csv", "$env:AMLR_DATA_DIR/census-b.csv",
        "$env:AMLR_DATA_DIR/census-b-holdout.csv"
        for ($i = 1; $i -le 3; $i++) {
            Send-Blob -Container 'hai' -Name ('retrain/census/rental' + $i.ToString().PadLeft(3, '0') + '.csv') -Path $files[$i - 1]
        }
        $connectionString = $env:AZURE_STORAGE_CONNECTION_STRING
        $sas = (& amlretrain blob sas -c hai -p rl -e 24h | ConvertFrom-Json).url

        # The article's script: "Bike Rental" is "Census Model" here, 10
        # locations are 3, and the training service takes its data as an
        # input rather than a global parameter URI (the emulator's census
        # training service reads input1).
        $scoringSvc = Get-AmlWebService | where Name -eq 'Census Model [Predictive Exp.]'
        $trainingSvc = Get-AmlWebService | where Name -eq 'Census Model [Training Exp.]'

        # Create 3 endpoints on the scoring web service.
        For ($i = 1; $i -le 3; $i++) {
            $seq = $i.ToString().PadLeft(3, '0');
            $endpointName = 'rentalloc' + $seq;
            Write-Verbose ('adding endpoint ' + $endpointName + '...')
            Add-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName $endpointName -Description $endpointName
        }

        # Invoke the retraining API 3 times to produce 3 models in .ilearner format.
        $trainingSvcEp = (Get-AmlWebServiceEndpoint -WebServiceId $trainingSvc.Id)[0];
        $submitJobRequestUrl = $trainingSvcEp.ApiLocation + '/jobs?api-version=2.0';
        $apiKey = $trainingSvcEp.PrimaryKey;
        $statuses = For ($i = 1; $i -le 3; $i++) {
            $seq = $i.ToString().PadLeft(3, '0');
            $inputFileName = 'hai/retrain/census/rental' + $seq + '.csv';
            $configContent = '{ "Inputs": { "input1": { "ConnectionString": "' + $connectionString + '", "RelativeLocation": "' + $inputFileName + '" } }, "Outputs": { "output1": { "ConnectionString": "' + $connectionString + '", "RelativeLocation": "hai/retrain/census/model' + $seq + '.ilearner" } } }';
            Write-Verbose ('training model on ' + $inputFileName + ' for rental location ' + $seq + '...');
            Invoke-AmlWebServiceBESEndpoint -JobConfigString $configContent -SubmitJobRequestUrl $submitJobRequestUrl -ApiKey $apiKey
        }

        # Patch the 3 endpoints with respective .ilearner models.
        $baseLoc = $sas.Substring(0, $sas.IndexOf('/hai?') + 1)
        $sasToken = $sas.Substring($sas.IndexOf('?'))
        For ($i = 1; $i -le 3; $i++) {
            $seq = $i.ToString().PadLeft(3, '0');
            $endpointName = 'rentalloc' + $seq;
            $relativeLoc = 'hai/retrain/census/model' + $seq + '.ilearner';
            Write-Verbose ('Patching endpoint ' + $endpointName + '...');
            Patch-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName $endpointName -ResourceName 'Census Model [trained model]' -BaseLocation $baseLoc -RelativeLocation $relativeLoc -SasBlobToken $sasToken
        }

        # The jobs ended Finished, each writing its own model.
        $statuses.Count | Should -Be 3
        foreach ($status in $statuses) {
            $status.StatusCode | Should -Be 'Finished'
            $status.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.BatchJobStatus'
        }
        ($statuses | ForEach-Object { $_.Results['output1']['RelativeLocation'] }) |
            Should -Be @('hai/retrain/census/model001.ilearner', 'hai/retrain/census/model002.ilearner',
                'hai/retrain/census/model003.ilearner')
        # Each endpoint points at its model, and scores the same rows differently.
        $probabilities = @{}
        For ($i = 1; $i -le 3; $i++) {
            $seq = $i.ToString().PadLeft(3, '0');
            $ep = Get-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName ('rentalloc' + $seq)
            $ep.Resources[0]['Location']['RelativeLocation'] | Should -Be ('hai/retrain/census/model' + $seq + '.ilearner')
            $reply = Invoke-AmlWebServiceRRSEndpoint -ApiLocation $ep.ApiLocation -ApiKey $ep.PrimaryKey -InputFile $Rows
            $probabilities[$seq] = Get-Probability $reply
            $probabilities[$seq].Count | Should -Be 5
        }
        $probabilities['001'] | Should -Not -Be $probabilities['002']
        $probabilities['001'] | Should -Not -Be $probabilities['003']
        $probabilities['002'] | Should -Not -Be $probabilities['003']
    }
}

Describe 'Get-AmlWebService' {
    It 'lists the workspace''s web services with the azuremlps properties, and gets one by id' {
        $all = Get-AmlWebService
        $all.Id | Should -Contain $ScoringId
        $all.Id | Should -Contain $TrainingId
        $one = Get-AmlWebService -WebServiceId $ScoringId
        $one.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.ClassicWebService'
        $one.Name | Should -Be 'Census Model [Predictive Exp.]'
        $one.WorkspaceId | Should -Be $env:AMLR_WORKSPACE_ID
        $one.DefaultEndpointName | Should -Be 'default'
        $one.EndpointCount | Should -BeGreaterOrEqual 1
        ($one | Out-String) | Should -Match "$ScoringId\s+Census Model \[Predictive Exp\.\]\s+\d+"
    }

    It 'a missing web service is a terminating ObjectNotFound error with the code, details and request id' {
        $record = Get-Failure { Get-AmlWebService -WebServiceId '0123456789abcdef0123456789abcdef' }
        Assert-ServiceError $record -Category 'ObjectNotFound' -Code 'NotFound' -ExitCode 4
        $record.Exception.Message | Should -Match 'WebServiceNotFound'
    }

    It 'a refused token (string or SecureString) is a terminating AuthenticationError' {
        $record = Get-Failure { Get-AmlWebService -AuthorizationToken 'not-the-token' }
        Assert-ServiceError $record -Category 'AuthenticationError' -Code 'Unauthorized' -ExitCode 3
        $secure = ConvertTo-SecureString 'not-the-token' -AsPlainText -Force
        $record = Get-Failure { Get-AmlWebService -AuthorizationToken $secure }
        Assert-ServiceError $record -Category 'AuthenticationError' -Code 'Unauthorized' -ExitCode 3
        (Get-AmlWebService -AuthorizationToken (ConvertTo-SecureString $env:AMLR_WORKSPACE_TOKEN -AsPlainText -Force)).Id |
            Should -Contain $ScoringId
    }

    It 'reads the workspace and token of a config.json (-ConfigFile); the explicit parameters win' {
        $config = "$Scratch/config.json"
        [System.IO.File]::WriteAllText($config, (@{ WorkspaceId = $env:AMLR_WORKSPACE_ID
                    AuthorizationToken = $env:AMLR_WORKSPACE_TOKEN
                } | ConvertTo-Json -Depth 100))
        $saved = $env:AMLR_WORKSPACE_ID, $env:AMLR_WORKSPACE_TOKEN
        $env:AMLR_WORKSPACE_ID = $null
        $env:AMLR_WORKSPACE_TOKEN = $null
        try {
            (Get-AmlWebService -ConfigFile $config).Id | Should -Contain $ScoringId
            Push-Location $Scratch
            try {
                (Get-AmlWebService -ConfigFile 'config.json').Id | Should -Contain $ScoringId
            } finally {
                Pop-Location
            }
            $record = Get-Failure { Get-AmlWebService -ConfigFile $config -AuthorizationToken 'explicit-wins' }
            $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $record = Get-Failure { Get-AmlWebService }
            $record.CategoryInfo.Category | Should -Be 'InvalidArgument' -Because 'no workspace anywhere'
        } finally {
            $env:AMLR_WORKSPACE_ID, $env:AMLR_WORKSPACE_TOKEN = $saved
        }
    }

    It 'a missing or malformed config file is a terminating error before anything runs' {
        $record = Get-Failure { Get-AmlWebService -ConfigFile "$Scratch/absent.json" }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.ConfigFileNotFound,Get-AmlWebService'
        [System.IO.File]::WriteAllText("$Scratch/bad-config.json", '["not", "an object"]')
        $record = Get-Failure { Get-AmlWebService -ConfigFile "$Scratch/bad-config.json" }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'Get-AmlWebServiceEndpoint' {
    It 'lists the endpoints, default first, with their keys; one by name; from a piped web service' {
        $list = Get-AmlWebServiceEndpoint -WebServiceId $TrainingId
        $list[0].Name | Should -Be 'default'
        $list[0].PSObject.TypeNames[0] | Should -Be 'AmlRetrain.ClassicEndpoint'
        $list[0].ApiLocation | Should -Be $env:AMLR_TRAINING_ENDPOINT_API_LOCATION
        $list[0].PrimaryKey | Should -Be $env:AMLR_TRAINING_ENDPOINT_API_KEY
        $list[0].SecondaryKey | Should -Not -BeNullOrEmpty
        $one = Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'default'
        $one.WebServiceId | Should -Be $ScoringId
        $one.Resources[0]['Name'] | Should -Be 'Census Model [trained model]'
        $one.Resources[0]['Location']['SasBlobToken'] | Should -BeNullOrEmpty
        (Get-AmlWebService -WebServiceId $TrainingId | Get-AmlWebServiceEndpoint).Name | Should -Contain 'default'
        ($one | Out-String) | Should -Not -Match ([regex]::Escape($one.PrimaryKey))
    }

    It 'a missing endpoint is ObjectNotFound; per piped item non-terminating' {
        $record = Get-Failure { Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'nosuch' }
        Assert-ServiceError $record -Category 'ObjectNotFound' -Code 'NotFound' -ExitCode 4
        $record.Exception.Message | Should -Match 'EndpointNotFound'
        $errors = $null
        $found = [pscustomobject]@{ WebServiceId = $ScoringId; EndpointName = 'nosuch' },
        [pscustomobject]@{ WebServiceId = $ScoringId; EndpointName = 'default' } |
            Get-AmlWebServiceEndpoint -ErrorVariable errors -ErrorAction SilentlyContinue
        @($found).Count | Should -Be 1
        $found.Name | Should -Be 'default'
        $errors.Count | Should -Be 1
    }
}

Describe 'Add-AmlWebServiceEndpoint and Remove-AmlWebServiceEndpoint' {
    It 'adds with the given settings, again without change, and removes; -WhatIf does neither' {
        Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' -WhatIf
        (Get-Failure { Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' }).CategoryInfo.Category |
            Should -Be 'ObjectNotFound'
        $ep = Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' -Description 'first' `
            -ThrottleLevel High -MaxConcurrentCalls 10
        $ep.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.ClassicEndpoint'
        $ep.Description | Should -Be 'first'
        $ep.ThrottleLevel | Should -Be 'High'
        $ep.MaxConcurrentCalls | Should -Be 10
        $ep.PreventUpdate | Should -BeFalse
        $verbose = Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' -Description 'first' `
            -ThrottleLevel High -MaxConcurrentCalls 10 -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) |
            Should -Match 'nothing to do'
        Remove-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' -WhatIf
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1').Name | Should -Be 'add-1'
        Remove-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' | Should -BeNullOrEmpty
        (Get-Failure { Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'add-1' }).CategoryInfo.Category |
            Should -Be 'ObjectNotFound'
    }

    It '-PreventUpdate sets the endpoint''s PreventUpdate (azuremlps)' {
        $ep = Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'prevent-1' -PreventUpdate
        $ep.PreventUpdate | Should -BeTrue
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'prevent-1').PreventUpdate |
            Should -BeTrue
        Remove-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'prevent-1'
    }

    It 'adds and removes piped endpoints' {
        $added = 'pipe-a', 'pipe-b' | ForEach-Object { [pscustomobject]@{ Id = $ScoringId; EndpointName = $_ } } |
            Add-AmlWebServiceEndpoint
        $added.Name | Should -Be @('pipe-a', 'pipe-b')
        Get-AmlWebServiceEndpoint -WebServiceId $ScoringId | Where-Object Name -Like 'pipe-*' | Remove-AmlWebServiceEndpoint
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId).Name | Should -Not -Contain 'pipe-a'
    }

    It 'an invalid name, a Low level with MaxConcurrentCalls, the default endpoint: refused or warned, before anything changes' {
        $record = Get-Failure { Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'Bad_Name' }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match "invalid endpoint name 'Bad_Name'"
        $warnings = $null
        $ep = Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'low-1' -ThrottleLevel Low `
            -MaxConcurrentCalls 50 -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
        $ep.MaxConcurrentCalls | Should -Be 4
        $record = Get-Failure { Remove-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'default' }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'default endpoint'
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'default').Name | Should -Be 'default'
    }

    It 'a missing web service is ObjectNotFound' {
        $record = Get-Failure { Add-AmlWebServiceEndpoint -WebServiceId '0123456789abcdef0123456789abcdef' -EndpointName 'x1' }
        Assert-ServiceError $record -Category 'ObjectNotFound' -Code 'NotFound' -ExitCode 4
    }
}

Describe 'Invoke-AmlWebServiceBESEndpoint' {
    BeforeAll {
        $script:Training = Get-AmlWebServiceEndpoint -WebServiceId $TrainingId -EndpointName 'default'
        Send-Blob -Container 'bes' -Name 'census-b.csv' -Path "$env:AMLR_DATA_DIR/census-b.csv"
    }

    It 'runs a job from -ApiLocation -Input -Output (a local file, a SAS URL), with progress; the result is the status JSON as a string' {
        $sas = (& amlretrain blob sas -c bes -n census-b.csv -p r -e 1h | ConvertFrom-Json).url
        $status = Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey $Training.PrimaryKey `
            -Input @{ input1 = $sas } -Output @{ output1 = 'bes/friendly.ilearner'; output2 = 'bes/friendly-eval.csv' }
        $status.StatusCode | Should -Be 'Finished'
        $status.JobId | Should -Match '^[0-9a-f]{32}$'
        $status.Results['output1']['RelativeLocation'] | Should -Be 'bes/friendly.ilearner'
        $status.Results['output1']['SasBlobToken'] | Should -Match 'sig='
        ("$status" | ConvertFrom-Json).Results.output2.RelativeLocation | Should -Be 'bes/friendly-eval.csv'
        $status = Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation `
            -ApiKey (ConvertTo-SecureString $Training.PrimaryKey -AsPlainText -Force) `
            -Input @{ input1 = (Get-Item "$env:AMLR_DATA_DIR/census-a.csv") } -Output @{ output1 = 'bes/local.ilearner' }
        $status.StatusCode | Should -Be 'Finished'
    }

    It 'takes the job from -JobConfigFile with the SAS form' {
        $sas = (& amlretrain blob sas -c bes -p rwl -e 1h | ConvertFrom-Json).url
        $base = $sas.Substring(0, $sas.IndexOf('/bes?') + 1)
        $token = $sas.Substring($sas.IndexOf('?'))
        $config = "$Scratch/job.json"
        [System.IO.File]::WriteAllText($config, ([ordered]@{
                    Inputs = @{ input1 = [ordered]@{ BaseLocation = $base; RelativeLocation = 'bes/census-b.csv'; SasBlobToken = $token } }
                    Outputs = @{ output1 = [ordered]@{ BaseLocation = $base; RelativeLocation = 'bes/sasform.ilearner'; SasBlobToken = $token } }
                } | ConvertTo-Json -Depth 100))
        $status = Invoke-AmlWebServiceBESEndpoint -SubmitJobRequestUrl "$($Training.ApiLocation)/jobs?api-version=2.0" `
            -ApiKey $Training.PrimaryKey -JobConfigFile $config
        $status.Results['output1']['RelativeLocation'] | Should -Be 'bes/sasform.ilearner'
    }

    It 'a job that ends Failed is an InvalidResult error with the job''s Details, and its status is returned' {
        [System.IO.File]::WriteAllText("$Scratch/bad.csv", "a,b`n1,2`n")
        $errors = $null
        $status = Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey $Training.PrimaryKey `
            -Input @{ input1 = "@$Scratch/bad.csv" } -Output @{ output1 = 'bes/never.ilearner' } `
            -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $errors[0].Exception.Data['ExitCode'] | Should -Be 10
        $errors[0].Exception.Message | Should -Match "no column 'income'"
        $status.StatusCode | Should -Be 'Failed'
        $status.Details | Should -Match "no column 'income'"
        # -ErrorAction Stop: terminating.
        $record = Get-Failure {
            Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey $Training.PrimaryKey `
                -Input @{ input1 = "@$Scratch/bad.csv" } -Output @{ output1 = 'bes/never.ilearner' } -ErrorAction Stop
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidResult'
    }

    It 'a job still running after -TimeoutSec is cancelled: an OperationTimeout error' {
        $record = Get-Failure {
            Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey $Training.PrimaryKey `
                -Input @{ input1 = 'bes/census-b.csv' } -Output @{ output1 = 'bes/slow.ilearner' } -TimeoutSec 1 `
                -ErrorAction Stop
        }
        $record.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $record.Exception.Data['ExitCode'] | Should -Be 12
        $record.Exception | Should -BeOfType [System.TimeoutException]
    }

    It 'a wrong API key is an AuthenticationError; a missing input blob InvalidArgument; no config at all too' {
        $record = Get-Failure {
            Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey 'wrong-key' `
                -Input @{ input1 = 'bes/census-b.csv' } -Output @{ output1 = 'bes/x.ilearner' }
        }
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        $record = Get-Failure {
            Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey $Training.PrimaryKey `
                -Input @{ input1 = 'bes/absent.csv' } -Output @{ output1 = 'bes/x.ilearner' }
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'absent\.csv'
        $record = Get-Failure { Invoke-AmlWebServiceBESEndpoint -SubmitJobRequestUrl $Training.ApiLocation }
        $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.InvalidArgument,Invoke-AmlWebServiceBESEndpoint'
        $record = Get-Failure {
            Invoke-AmlWebServiceBESEndpoint -SubmitJobRequestUrl $Training.ApiLocation -JobConfigString '{"Inputs": 5}'
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'Set-AmlWebServiceEndpointResource (Patch-AmlWebServiceEndpoint)' {
    BeforeAll {
        $script:Training = Get-AmlWebServiceEndpoint -WebServiceId $TrainingId -EndpointName 'default'
        $null = Add-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1'
        $script:Status = Invoke-AmlWebServiceBESEndpoint -ApiLocation $Training.ApiLocation -ApiKey $Training.PrimaryKey `
            -Input @{ input1 = "@$env:AMLR_DATA_DIR/census-b.csv" } -Output @{ output1 = 'patch/census-b.ilearner' }
    }

    It 'takes a piped job status; the SAS is in no output; Update-AmlWebServiceEndpoint -OverwriteResources puts the default''s model back' {
        $signature = [regex]::Match($Status.Results['output1']['SasBlobToken'], 'sig=([^&]+)').Groups[1].Value
        $streams = $Status | Set-AmlWebServiceEndpointResource -WebServiceId $ScoringId -EndpointName 'patch-1' `
            -Verbose -Debug 4>&1 5>&1
        $swap = $streams | Where-Object { $_.PSObject.TypeNames -contains 'AmlRetrain.EndpointModelSwap' }
        $swap.Location | Should -BeLike '*/patch/census-b.ilearner'
        $swap.PreviousLocation | Should -BeLike '*/models/census-a.ilearner'
        [System.IO.File]::Exists($swap.Backup) | Should -BeTrue
        ($streams | Out-String) | Should -Not -Match ([regex]::Escape($signature))
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1').Resources[0]['Location']['RelativeLocation'] |
            Should -Be 'patch/census-b.ilearner'
        $refresh = Update-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1'
        $refresh.Result | Should -Be 'unchanged'
        $refresh = Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1' |
            Refresh-AmlWebServiceEndpoint -OverwriteResources
        $refresh.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.EndpointRefresh'
        $refresh.Result | Should -Be 'refreshed'
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1').Resources[0]['Location']['RelativeLocation'] |
            Should -Be 'models/census-a.ilearner'
        Update-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1' -OverwriteResources -WhatIf |
            Should -BeNullOrEmpty
    }

    It '-WhatIf changes nothing; the default endpoint is refused; a model that cannot be read is refused first' {
        $out = $Status.Results['output1']
        Patch-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1' -BaseLocation $out['BaseLocation'] `
            -RelativeLocation $out['RelativeLocation'] -SasBlobToken $out['SasBlobToken'] -WhatIf
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1').Resources[0]['Location']['RelativeLocation'] |
            Should -Be 'models/census-a.ilearner'
        $record = Get-Failure { Set-AmlWebServiceEndpointResource -JobStatus $Status -WebServiceId $ScoringId -EndpointName 'default' }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'default'
        $container = (& amlretrain blob sas -c patch -p rl -e 24h | ConvertFrom-Json).url
        $token = $container.Substring($container.IndexOf('?'))
        $record = Get-Failure {
            Patch-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1' -BaseLocation $out['BaseLocation'] `
                -RelativeLocation 'patch/absent.ilearner' -SasBlobToken (ConvertTo-SecureString $token -AsPlainText -Force)
        }
        $record.Exception.Message | Should -Match 'absent\.ilearner'
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        (Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'patch-1').Resources[0]['Location']['RelativeLocation'] |
            Should -Be 'models/census-a.ilearner'
    }

    It 'a wrong resource name is an InvalidArgument error naming it; a missing endpoint ObjectNotFound' {
        $record = Get-Failure {
            Set-AmlWebServiceEndpointResource -JobStatus $Status -WebServiceId $ScoringId -EndpointName 'patch-1' `
                -ResourceName 'No Such [trained model]'
        }
        $record.CategoryInfo.Category | Should -BeIn 'InvalidArgument', 'ObjectNotFound'
        $record.Exception.Message | Should -Match 'No Such'
        $record = Get-Failure { Set-AmlWebServiceEndpointResource -JobStatus $Status -WebServiceId $ScoringId -EndpointName 'patch-none' }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        # Piped: non-terminating, the other items go on.
        $errors = $null
        $Status, $Status | Set-AmlWebServiceEndpointResource -WebServiceId $ScoringId -EndpointName 'patch-none' `
            -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 2
    }
}

Describe 'Invoke-AmlWebServiceRRSEndpoint' {
    It 'scores JSON text, a CSV file and piped endpoints; writes -OutputJsonFile' {
        $ep = Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'default'
        $request = [ordered]@{
            Inputs = @{ input1 = [ordered]@{
                    ColumnNames = @('age', 'workclass', 'fnlwgt', 'education', 'education-num', 'marital-status', 'occupation',
                        'relationship', 'race', 'sex', 'capital-gain', 'capital-loss', 'hours-per-week', 'native-country')
                    Values = @(, @('40', 'Private', '206560', 'Some-college', '10', 'Married-civ-spouse', 'Sales', 'Husband',
                            'White', 'Male', '0', '0', '52', 'United-States'))
                }
            }
            GlobalParameters = @{}
        } | ConvertTo-Json -Depth 100
        $reply = Invoke-AmlWebServiceRRSEndpoint -ApiLocation $ep.ApiLocation -ApiKey $ep.PrimaryKey -InputJsonText $request
        $reply.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.ScoreResult'
        (Get-Probability $reply).Count | Should -Be 1
        ("$reply" | ConvertFrom-Json).Results.output1.value.ColumnNames | Should -Contain 'Scored Labels'
        $byPipe = $ep | Invoke-AmlWebServiceRRSEndpoint -InputFile $Rows
        (Get-Probability $byPipe).Count | Should -Be 5
        Invoke-AmlWebServiceRRSEndpoint -ApiLocation "$($ep.ApiLocation)/execute?api-version=2.0&details=true" `
            -ApiKey $ep.PrimaryKey -InputJsonFile $Rows -OutputJsonFile "$Scratch/out.json" | Should -BeNullOrEmpty
        ([System.IO.File]::ReadAllText("$Scratch/out.json") | ConvertFrom-Json).Results.output1.value.Values.Count |
            Should -Be 5
    }

    It 'a wrong key is an AuthenticationError; rows without the columns an InvalidArgument error' {
        $ep = Get-AmlWebServiceEndpoint -WebServiceId $ScoringId -EndpointName 'default'
        $record = Get-Failure { Invoke-AmlWebServiceRRSEndpoint -ApiLocation $ep.ApiLocation -ApiKey 'wrong' -InputFile $Rows }
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        [System.IO.File]::WriteAllText("$Scratch/cols.csv", "a,b`n1,2`n")
        $record = Get-Failure { Invoke-AmlWebServiceRRSEndpoint -ApiLocation $ep.ApiLocation -ApiKey $ep.PrimaryKey -InputFile "$Scratch/cols.csv" }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'no secret in -Verbose or -Debug output' {
    It 'the workspace token, the endpoint keys, the connection string and the SAS tokens stay out of the streams' {
        $training = Get-AmlWebServiceEndpoint -WebServiceId $TrainingId -EndpointName 'default'
        $accountKey = [regex]::Match($env:AZURE_STORAGE_CONNECTION_STRING, 'AccountKey=([^;]+)').Groups[1].Value
        $sas = (& amlretrain blob sas -c bes -p rwl -e 1h | ConvertFrom-Json).url
        $signature = [regex]::Match($sas, 'sig=([^&]+)').Groups[1].Value
        $config = '{"Inputs": {"input1": {"ConnectionString": "' + $env:AZURE_STORAGE_CONNECTION_STRING +
        '", "RelativeLocation": "bes/census-b.csv"}}, "Outputs": {"output1": {"BaseLocation": "' +
        $sas.Substring(0, $sas.IndexOf('/bes?') + 1) + '", "RelativeLocation": "bes/streams.ilearner", "SasBlobToken": "' +
        $sas.Substring($sas.IndexOf('?')) + '"}}}'
        $streams = @(
            Get-AmlWebServiceEndpoint -WebServiceId $TrainingId -AuthorizationToken $env:AMLR_WORKSPACE_TOKEN -Verbose -Debug 4>&1 5>&1
            Invoke-AmlWebServiceBESEndpoint -SubmitJobRequestUrl $training.ApiLocation -ApiKey $training.PrimaryKey `
                -JobConfigString $config -Verbose -Debug 4>&1 5>&1
            try {
                Invoke-AmlWebServiceRRSEndpoint -ApiLocation $training.ApiLocation -ApiKey 'wrong-Rrs-K3y' -InputFile $Rows `
                    -Verbose -Debug 4>&1 5>&1
            } catch {
                $_.Exception.Message | Should -Match 'ScoreRequestUnauthorized'
            }
        )
        $records = $streams | Where-Object {
            $_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.DebugRecord]
        }
        $records.Count | Should -BeGreaterThan 10
        $text = $records | Out-String
        foreach ($secret in $env:AMLR_WORKSPACE_TOKEN, $training.PrimaryKey, $training.SecondaryKey, $accountKey, $signature,
            'wrong-Rrs-K3y') {
            $text | Should -Not -Match ([regex]::Escape($secret))
        }
        ($streams | Where-Object { $_.PSObject.TypeNames -contains 'AmlRetrain.BatchJobStatus' }).StatusCode |
            Should -Be 'Finished'
    }
}

Describe 'the classic cmdlets through the echo stand-in' {
    BeforeAll {
        $script:SavedExe = $env:AMLR_EXE
        $env:AMLR_EXE = New-EchoExe -Directory $Scratch
        $env:ECHO_LOG = "$Scratch/echo.log"
        Import-Module $ModulePath -Force

        function Set-EchoResult {
            param([int] $ExitCode = 0, [string] $Stderr, [string] $StdoutFile)
            $env:ECHO_EXIT = $ExitCode
            $env:ECHO_STDERR = $Stderr
            $env:ECHO_STDOUT = $StdoutFile
        }
    }

    AfterAll {
        $env:AMLR_EXE = $SavedExe
        foreach ($name in 'ECHO_EXIT', 'ECHO_STDERR', 'ECHO_STDOUT', 'ECHO_LOG') {
            [Environment]::SetEnvironmentVariable($name, $null)
        }
        Import-Module $ModulePath -Force
    }

    BeforeEach {
        Remove-Item -Force -ErrorAction Ignore $env:ECHO_LOG
        Set-EchoResult
    }

    It 'the workspace token goes in the environment only, from -AuthorizationToken (string or SecureString) or config.json' {
        Get-AmlWebService -AuthorizationToken 'ws-TOKEN-1' -WorkspaceId 'ws1' -Location 'West Europe' | Out-Null
        Get-AmlWebService -AuthorizationToken (ConvertTo-SecureString 'ws-TOKEN-2' -AsPlainText -Force) | Out-Null
        [System.IO.File]::WriteAllText("$Scratch/echo-config.json",
            '{"WorkspaceId": "ws3", "AuthorizationToken": "ws-TOKEN-3", "Location": "Japan East"}')
        Get-AmlWebService -ConfigFile "$Scratch/echo-config.json" -WebServiceId 'svc' | Out-Null
        Get-AmlWebService -ConfigFile "$Scratch/echo-config.json" -WorkspaceId 'ws4' | Out-Null
        $calls = Get-EchoCall
        $calls[0].argv | Should -Be @('--error-format', 'json', 'endpoint', 'webservices', '--workspace=ws1',
            '--location=West Europe')
        $calls[0].env['AMLR_WORKSPACE_TOKEN'] | Should -Be 'ws-TOKEN-1'
        $calls[1].env['AMLR_WORKSPACE_TOKEN'] | Should -Be 'ws-TOKEN-2'
        $calls[2].argv | Should -Be @('--error-format', 'json', 'endpoint', 'webservices', '--workspace=ws3',
            '--location=Japan East', '--webservice=svc')
        $calls[2].env['AMLR_WORKSPACE_TOKEN'] | Should -Be 'ws-TOKEN-3'
        $calls[3].argv[4] | Should -Be '--workspace=ws4'
        foreach ($call in $calls) {
            $call.argv -join ' ' | Should -Not -Match 'TOKEN'
        }
        $env:AMLR_WORKSPACE_TOKEN | Should -Not -Match 'ws-TOKEN'
    }

    It 'Add, Remove, Update pass their options; -WhatIf runs nothing (Patch, the fleet, a batch job neither)' {
        Add-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -WhatIf
        Remove-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -WhatIf
        Update-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -WhatIf
        Patch-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -BaseLocation 'https://a/' -RelativeLocation 'c/m.ilearner' -WhatIf
        Invoke-AmlFleet -Targets "$Scratch/t.csv" -Mode SetModel -WhatIf
        Invoke-AmlWebServiceBESEndpoint -ApiLocation 'https://r/' -Input @{ input1 = 'c/in.csv' } -WhatIf
        Get-EchoCall | Should -BeNullOrEmpty
        Add-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -Description 'd e' -ThrottleLevel High `
            -MaxConcurrentCalls 20 | Out-Null
        Remove-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1'
        Update-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -OverwriteResources | Out-Null
        $calls = Get-EchoCall
        $calls[0].argv | Should -Be @('--error-format', 'json', 'endpoint', 'add', '--webservice=svc', '--name=ep1',
            '--description=d e', '--throttle-level=High', '--max-concurrent-calls=20')
        $calls[1].argv | Should -Be @('--error-format', 'json', 'endpoint', 'remove', '--webservice=svc', '--name=ep1', '--yes')
        $calls[2].argv | Should -Be @('--error-format', 'json', 'endpoint', 'refresh', '--webservice=svc', '--name=ep1',
            '--overwrite-resources')
    }

    It 'Patch-AmlWebServiceEndpoint: the SAS goes through --sas-token=@FILE (0600, deleted), never argv or -Verbose' {
        $streams = Patch-AmlWebServiceEndpoint -WebServiceId 'svc' -EndpointName 'ep1' -ResourceName 'M [trained model]' `
            -BaseLocation 'https://acct.blob.core.windows.net/' -RelativeLocation 'c/m.ilearner' `
            -SasBlobToken '?sv=2015&sr=c&sig=SiGnAtUrE1' -Verbose 4>&1
        ($streams | Out-String) | Should -Not -Match 'SiGnAtUrE1'
        $call = (Get-EchoCall)[0]
        $call.argv[0..7] | Should -Be @('--error-format', 'json', 'endpoint', 'set-model', '--webservice=svc', '--name=ep1',
            '--resource=M [trained model]', '--base-location=https://acct.blob.core.windows.net/')
        $call.argv -join ' ' | Should -Not -Match 'SiGnAtUrE1'
        $file = ($call.argv | Where-Object { $_ -like '--sas-token=@*' }).Substring('--sas-token=@'.Length)
        $call.files[$file].mode | Should -Be '600'
        $call.files[$file].content | Should -Be '?sv=2015&sr=c&sig=SiGnAtUrE1'
        Test-Path -LiteralPath $file | Should -BeFalse
    }

    It 'Set-AmlWebServiceEndpointResource -JobStatus: the status (with its SAS) through --from-job=FILE' {
        $status = [pscustomobject]@{ StatusCode = 'Finished'; JobId = 'j1'
            Results = @{ out9 = @{ BaseLocation = 'https://a/'; RelativeLocation = 'c/m.ilearner'; SasBlobToken = '?sig=SiGnAtUrE2' } }
        }
        $status | Set-AmlWebServiceEndpointResource -WebServiceId 'svc' -EndpointName 'ep1' -JobOutput 'out9' | Out-Null
        $call = (Get-EchoCall)[0]
        $call.argv -join ' ' | Should -Not -Match 'SiGnAtUrE2'
        $call.argv[-1] | Should -Be '--job-output=out9'
        $file = ($call.argv | Where-Object { $_ -like '--from-job=*' }).Substring('--from-job='.Length)
        $call.files[$file].mode | Should -Be '600'
        ($call.files[$file].content | ConvertFrom-Json).Results.out9.SasBlobToken | Should -Be '?sig=SiGnAtUrE2'
    }

    It 'Invoke-AmlWebServiceBESEndpoint: the key and connection string in the environment, SAS URLs in 0600 files' {
        Set-EchoResult -ExitCode 2
        $config = @{
            Inputs = @{ input1 = @{ ConnectionString = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=S3cr3tKey=='
                    RelativeLocation = 'data/in.csv'
                }
            }
            Outputs = @{ output1 = @{ BaseLocation = 'https://a.blob.core.windows.net/'; RelativeLocation = 'm/x.ilearner'
                    SasBlobToken = '?sv=1&sig=SiGnAtUrE3'
                }
            }
            GlobalParameters = @{ Threshold = '0.5' }
        } | ConvertTo-Json -Depth 100
        { Invoke-AmlWebServiceBESEndpoint -SubmitJobRequestUrl 'https://r.services.azureml.net/workspaces/w/services/s/jobs?api-version=2.0' `
                -ApiKey 'Api-KEY-1' -JobConfigString $config } | Should -Throw
        $call = (Get-EchoCall)[0]
        $call.argv[0..4] | Should -Be @('--error-format', 'json', 'job', 'submit',
            '--api-location=https://r.services.azureml.net/workspaces/w/services/s/jobs?api-version=2.0')
        $call.argv | Should -Contain '--input=input1=data/in.csv'
        $call.argv | Should -Contain '--param=Threshold=0.5'
        $call.argv | Should -Contain '--connection-string-env=AMLR_JOB_CONNECTION_STRING'
        $call.argv -join ' ' | Should -Not -Match 'S3cr3tKey|SiGnAtUrE3|Api-KEY-1'
        $call.env['AMLR_API_KEY'] | Should -Be 'Api-KEY-1'
        $call.env['AMLR_JOB_CONNECTION_STRING'] | Should -Match 'AccountKey=S3cr3tKey=='
        $output = $call.argv | Where-Object { $_ -like '--output=output1=sas:*' }
        $file = $output.Substring('--output=output1=sas:'.Length)
        $call.files[$file].mode | Should -Be '600'
        $call.files[$file].content | Should -Be 'https://a.blob.core.windows.net/m/x.ilearner?sv=1&sig=SiGnAtUrE3'
        Test-Path -LiteralPath $file | Should -BeFalse
    }

    It 'Invoke-AmlWebServiceBESEndpoint refuses a secret global parameter and two storage accounts, running nothing' {
        $record = $null
        try {
            Invoke-AmlWebServiceBESEndpoint -ApiLocation 'https://r/' -GlobalParameter @{ URI = 'https://a/b.csv?sig=x' }
        } catch {
            $record = $_
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'command line'
        $config = '{"Inputs": {"input1": {"ConnectionString": "AccountName=a;AccountKey=k1", "RelativeLocation": "c/i.csv"}},' +
        ' "Outputs": {"output1": {"ConnectionString": "AccountName=b;AccountKey=k2", "RelativeLocation": "c/o.ilearner"}}}'
        { Invoke-AmlWebServiceBESEndpoint -SubmitJobRequestUrl 'https://r/' -JobConfigString $config } |
            Should -Throw -ErrorId 'AmlRetrain.InvalidJobReference,Invoke-AmlWebServiceBESEndpoint'
        Get-EchoCall | Should -BeNullOrEmpty
    }

    It 'Invoke-AmlWebServiceRRSEndpoint: the key in the environment, the request in a 0600 file' {
        $ep = [pscustomobject]@{ ApiLocation = 'https://r/workspaces/w/services/s'; PrimaryKey = 'Rrs-KEY-1' }
        $ep | Invoke-AmlWebServiceRRSEndpoint -InputJsonText '{"Inputs": {}}' -InputName 'in2' | Out-Null
        $call = (Get-EchoCall)[0]
        $call.argv[0..3] | Should -Be @('--error-format', 'json', 'score', '--api-location=https://r/workspaces/w/services/s')
        $call.argv[-1] | Should -Be '--input-name=in2'
        $call.argv -join ' ' | Should -Not -Match 'Rrs-KEY-1'
        $call.env['AMLR_API_KEY'] | Should -Be 'Rrs-KEY-1'
        $file = ($call.argv | Where-Object { $_ -like '--input=*' }).Substring('--input='.Length)
        $call.files[$file].mode | Should -Be '600'
        $call.files[$file].content | Should -Be '{"Inputs": {}}'
    }
}
