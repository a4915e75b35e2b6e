# SPDX-License-Identifier: MIT
# The Resource Manager cmdlets end to end against a freshly started
# emulator: the documented retraining script (../shared/reference/notes/
# azure-powershell-ml.md section 11, issue 8) as written, the predictive
# service then scoring with the new model (RRS before and after), and each cmdlet's
# success, error (not found, credentials, read-only 409, operation Failed),
# -WhatIf and pipeline paths.

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Emulator = Start-TestEmulator -ArgumentList @('--provisioning-delay', '100')
    $script:Rg = $env:AMLR_RESOURCE_GROUP
    $script:StorageKey = 'c3RvcmFnZS1rZXk='
    Import-Module $ModulePath -Force

    function New-TestWebService {
        # A web service from the fixture, through New-AzMlWebService.
        param([Parameter(Mandatory)] [string] $Name, [string] $DefinitionFile = $Fixture)
        New-AzMlWebService -ResourceGroupName $Rg -Location 'West US' -Name $Name -DefinitionFile $DefinitionFile `
            -StorageAccountKey $StorageKey
    }

    function New-ModelBlob {
        # An .ilearner blob in the emulator's storage: its URL, and a URL
        # with a read SAS.
        param([Parameter(Mandatory)] [string] $Name)
        $file = "$TestDrive/$Name"
        [System.IO.File]::WriteAllText($file, "model $Name`n")
        $null = & amlretrain blob upload -c models -n $Name -f $file --create-container
        $LASTEXITCODE | Should -Be 0
        $sas = (& amlretrain blob sas -c models -n $Name -p r -e 24h | ConvertFrom-Json).url
        return [pscustomobject]@{ Uri = $sas.Split('?')[0]; SasUrl = $sas }
    }

    function Get-ModelUri {
        param([Parameter(Mandatory)] [string] $Name)
        return (Get-AzMlWebService -ResourceGroupName $Rg -Name $Name).Properties.Assets['asset3'].LocationInfo.Uri
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

    function Assert-ServiceError {
        # A terminating error with the service's code and request id.
        param($Record, [string] $Category, [string] $Code, [int] $ExitCode)
        $Record | Should -Not -BeNullOrEmpty -Because 'the failure must be terminating'
        $Record.CategoryInfo.Category | Should -Be $Category
        $Record.FullyQualifiedErrorId | Should -BeLike "AmlRetrain.$Code,*"
        $Record.Exception.Data['ServiceCode'] | Should -Be $Code
        $Record.Exception.Data['ExitCode'] | Should -Be $ExitCode
        $Record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        $Record.Exception.Message | Should -Match "Code: $Code"
        $Record.Exception.Message | Should -Match "Request Id: $($Record.Exception.Data['RequestId'])"
    }
}

AfterAll {
    Remove-Module AmlRetrain -Force -ErrorAction Ignore
    Stop-TestEmulator $Emulator
    Remove-TestScratch
}

Describe 'the documented retraining script' {
    It 'runs as written with the AzureRM names (issue 8), and the web service takes the new model' {
        $name = 'retrain-azurerm'
        $rg = $Rg
        $file = "$TestDrive/mlservice_export.json"
        New-TestWebService -Name $name | Out-Null
        $before = Get-ModelUri -Name $name
        $model = New-ModelBlob -Name 'retrained-azurerm.ilearner'

        $wsd = Get-AzureRmMlWebService -Name $name -ResourceGroupName $rg
        Export-AzureRmMlWebService -WebService $wsd -OutputFile $file
        # edit properties.assets.<id>.locationInfo.uri to the new .ilearner
        [System.IO.File]::WriteAllText($file, [System.IO.File]::ReadAllText($file).Replace($before, $model.Uri))
        $wsd = Import-AzureRmMlWebService -InputFile $file
        Update-AzureRmMlWebService -Name $name -ResourceGroupName $rg -ServiceUpdates $wsd

        Get-ModelUri -Name $name | Should -Be $model.Uri
        (Get-AzMlWebService -ResourceGroupName $Rg -Name $name).Properties.Title |
            Should -Be 'Retrain Sample [Predictive Exp.]'
    }

    It 'runs as written on the census predictive service, which then scores with the new model (issue 8)' {
        $name = $env:AMLR_PREDICTIVE_NAME
        $rg = $Rg
        $file = "$TestDrive/census_export.json"
        $rows = "$TestDrive/rows.csv"
        [System.IO.File]::WriteAllLines($rows, @(Get-Content -TotalCount 6 "$env:AMLR_DATA_DIR/census-b-holdout.csv"))
        $api = (Get-AzMlWebService -Name $name -ResourceGroupName $rg).Properties.SwaggerLocation -replace '/swagger\.json$', ''
        $key = (Get-AzMlWebServiceKey -Name $name -ResourceGroupName $rg).Primary
        $before = Invoke-AmlWebServiceRRSEndpoint -ApiLocation $api -ApiKey $key -InputFile $rows
        # Retrain on the drifted data with the training web service's BES.
        $job = Invoke-AmlWebServiceBESEndpoint -ApiLocation $env:AMLR_TRAINING_API_LOCATION -ApiKey $env:AMLR_TRAINING_API_KEY `
            -Input @{ input1 = "@$env:AMLR_DATA_DIR/census-b.csv" } -Output @{ output1 = 'models/census-retrained.ilearner' }
        $job.StatusCode | Should -Be 'Finished'
        $newModel = $job.Results['output1']['BaseLocation'] + $job.Results['output1']['RelativeLocation']

        $wsd = Get-AzureRmMlWebService -Name $name -ResourceGroupName $rg
        Export-AzureRmMlWebService -WebService $wsd -OutputFile $file
        # edit properties.assets.<id>.locationInfo.uri to the new .ilearner
        $old = ($wsd.Properties.Assets.Values | Where-Object { $_['name'] -like '*`[trained model`]' }).LocationInfo.Uri
        [System.IO.File]::WriteAllText($file, [System.IO.File]::ReadAllText($file).Replace($old, $newModel))
        $wsd = Import-AzureRmMlWebService -InputFile $file
        Update-AzureRmMlWebService -Name $name -ResourceGroupName $rg -ServiceUpdates $wsd

        $after = Invoke-AmlWebServiceRRSEndpoint -ApiLocation $api -ApiKey $key -InputFile $rows
        $scores = {
            param($Reply)
            $table = $Reply.Results['output1']['value']
            $column = [array]::IndexOf([string[]]$table['ColumnNames'], 'Scored Probabilities')
            , @($table['Values'] | ForEach-Object { [double]$_[$column] })
        }
        (& $scores $before).Count | Should -Be 5
        (& $scores $after).Count | Should -Be 5
        (& $scores $after) | Should -Not -Be (& $scores $before)
        ((Get-AzMlWebService -Name $name -ResourceGroupName $rg).Properties.Assets.Values |
            Where-Object { $_['name'] -like '*`[trained model`]' }).LocationInfo.Uri | Should -Be $newModel
    }

    It 'runs as written with the Az names (notes section 11)' {
        $name = 'retrain-az'
        $file = "$TestDrive/az_export.json"
        New-TestWebService -Name $name | Out-Null
        $before = Get-ModelUri -Name $name
        $model = New-ModelBlob -Name 'retrained-az.ilearner'

        $wsd = Get-AzMlWebService -Name $name `
            -ResourceGroupName $Rg
        Export-AzMlWebService -WebService $wsd -OutputFile $file
        #   edit the JSON: point the trained-model asset at the new .ilearner blob
        [System.IO.File]::WriteAllText($file, [System.IO.File]::ReadAllText($file).Replace($before, $model.Uri))
        $wsd = Import-AzMlWebService -InputFile $file
        Update-AzMlWebService -Name $name `
            -ResourceGroupName $Rg -ServiceUpdates $wsd

        Get-ModelUri -Name $name | Should -Be $model.Uri
    }

    It 'works in memory: $wsd.Properties.Assets[''asset3''].LocationInfo.Uri reads and writes' {
        $name = 'retrain-memory'
        New-TestWebService -Name $name | Out-Null
        $model = New-ModelBlob -Name 'retrained-memory.ilearner'
        $wsd = Get-AzMlWebService -Name $name -ResourceGroupName $Rg
        $wsd.Properties.Assets['asset3'].LocationInfo.Uri | Should -Match '\.ilearner$'
        $wsd.Properties.Assets['asset3'].LocationInfo.Uri = $model.Uri
        $updated = Update-AzMlWebService -Name $name -ResourceGroupName $Rg -ServiceUpdates $wsd
        $updated.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebService'
        $updated.Properties.Assets['asset3'].LocationInfo.Uri | Should -Be $model.Uri
        Get-ModelUri -Name $name | Should -Be $model.Uri
    }

    It 'the last line copied without -ServiceUpdates warns and keeps the old model' {
        $name = 'retrain-mistake'
        New-TestWebService -Name $name | Out-Null
        $before = Get-ModelUri -Name $name
        $wsd = Get-AzMlWebService -Name $name -ResourceGroupName $Rg
        $wsd.Properties.Assets['asset3'].LocationInfo.Uri = (New-ModelBlob -Name 'never.ilearner').Uri
        $warnings = $null
        Update-AzMlWebService -Name $name -ResourceGroupName $Rg -WarningVariable warnings -WarningAction SilentlyContinue |
            Out-Null
        "$warnings" | Should -Match 'nothing to update.*-ServiceUpdates'
        Get-ModelUri -Name $name | Should -Be $before
    }
}

Describe 'Get-AzMlWebService' {
    BeforeAll {
        New-TestWebService -Name 'get-1' | Out-Null
        New-TestWebService -Name 'get-2' | Out-Null
    }

    It 'gets one web service with its whole definition' {
        $ws = Get-AzMlWebService -ResourceGroupName $Rg -Name 'get-1'
        $ws.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebService'
        $ws.Name | Should -Be 'get-1'
        $ws.ResourceGroupName | Should -Be $Rg
        $ws.Id | Should -Be "/subscriptions/$env:AZURE_SUBSCRIPTION_ID/resourceGroups/$Rg/providers/Microsoft.MachineLearning/webServices/get-1"
        $ws.Type | Should -Be 'Microsoft.MachineLearning/webServices'
        $ws.Tags['team'] | Should -Be 'ml'
        $ws.Properties.ProvisioningState | Should -Be 'Succeeded'
        $ws.Properties.Package.Nodes['node4'].AssetId | Should -Be 'asset3'
        $ws.Properties.Assets.Keys | Should -Be @('asset1', 'asset2', 'asset3')
        $ws.Properties.Description | Should -Be 'Scores income — “retrained” weekly; see C:\models\README'
        ($ws | Out-String) | Should -Match 'get-1\s+amlr-rg\s+West US\s+Succeeded'
    }

    It 'lists a resource group and the subscription, every item an AmlRetrain.WebService' {
        $names = (Get-AzMlWebService -ResourceGroupName $Rg).Name
        $names | Should -Contain 'get-1'
        $names | Should -Contain 'get-2'
        $all = Get-AzMlWebService
        $all.Name | Should -Contain 'get-2'
        $all | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebService' }
    }

    It 'a missing web service is a terminating ObjectNotFound error with the code, details and request id' {
        $record = Get-Failure { Get-AzMlWebService -ResourceGroupName $Rg -Name 'no-such-service' }
        Assert-ServiceError $record -Category 'ObjectNotFound' -Code 'NotFound' -ExitCode 4
        $record.Exception.Message | Should -Match 'WebServiceNotFound'
        $record.TargetObject | Should -BeLike '*/webServices/no-such-service'
    }

    It 'a refused token is a terminating AuthenticationError' {
        $env:AMLR_ACCESS_TOKEN = 'not-a-token'
        try {
            $record = Get-Failure { Get-AzMlWebService -ResourceGroupName $Rg -Name 'get-1' }
        } finally {
            $env:AMLR_ACCESS_TOKEN = $null
        }
        Assert-ServiceError $record -Category 'AuthenticationError' -Code 'InvalidAuthenticationToken' -ExitCode 3
    }
}

Describe 'Export-AzMlWebService and Import-AzMlWebService' {
    BeforeAll {
        $script:Ws = New-TestWebService -Name 'export-1'
    }

    It 'writes the file amlretrain webservice export writes, byte for byte' {
        $file = "$TestDrive/export-1.json"
        Get-AzMlWebService -ResourceGroupName $Rg -Name 'export-1' | Export-AzMlWebService -OutputFile $file |
            Should -BeNullOrEmpty
        & amlretrain webservice export -n 'export-1' --out "$TestDrive/export-1.cli.json"
        [System.IO.File]::ReadAllBytes($file) | Should -Be ([System.IO.File]::ReadAllBytes("$TestDrive/export-1.cli.json"))
        $text = [System.IO.File]::ReadAllText($file)
        $text | Should -Not -Match '"(provisioningState|createdOn|modifiedOn|swaggerLocation)"'
        $text | Should -Not -Match '(?m)^  "(id|name|type)"'
        $text | Should -Match '^\{\n  "properties": \{\n    "packageType": "Graph",'
    }

    It '-ToJsonString returns the same text' {
        $json = Export-AzMlWebService -WebService $Ws -ToJsonString
        $json | Should -BeOfType [string]
        $json | Should -Be ([System.IO.File]::ReadAllText("$TestDrive/export-1.cli.json"))
    }

    It 'an existing file is kept under -WhatIf and replaced with -Force' {
        $file = "$TestDrive/keep.json"
        [System.IO.File]::WriteAllText($file, 'old')
        Export-AzMlWebService -WebService $Ws -OutputFile $file -WhatIf
        [System.IO.File]::ReadAllText($file) | Should -Be 'old'
        Export-AzMlWebService -WebService $Ws -OutputFile $file -Force
        [System.IO.File]::ReadAllText($file) | Should -Match '"packageType": "Graph"'
        Get-ChildItem -Path $TestDrive -Filter 'keep.json.tmp-*' | Should -BeNullOrEmpty
    }

    It 'a definition without packageType is an InvalidArgument error naming the JSON path; other piped objects go on' {
        $bad = Import-AzMlWebService -InputFile $Fixture
        $null = $bad.Properties.Remove('packageType')
        $record = Get-Failure { Export-AzMlWebService -WebService $bad -ToJsonString }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'properties\.packageType'
        $errors = $null
        $out = $bad, $Ws | Export-AzMlWebService -ToJsonString -ErrorVariable errors -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $errors.Count | Should -Be 1
    }

    It 'imports any casing, a BOM and CRLF as Import-AzMlWebService does' {
        $plain = Import-AzMlWebService -InputFile $Fixture
        $odd = Import-AzMlWebService -InputFile $FixtureResource
        $odd.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebService'
        $odd.Properties.Assets['asset3'].LocationInfo.Uri | Should -Be $plain.Properties.Assets['asset3'].LocationInfo.Uri
        Export-AzMlWebService -WebService $odd -ToJsonString |
            Should -Be ([System.IO.File]::ReadAllText($Fixture))
    }

    It '-JsonString round-trips an export' {
        $wsd = Import-AzMlWebService -JsonString (Export-AzMlWebService -WebService $Ws -ToJsonString)
        Export-AzMlWebService -WebService $wsd -ToJsonString |
            Should -Be ([System.IO.File]::ReadAllText("$TestDrive/export-1.cli.json"))
    }

    It 'a missing file is a ReadError; bad JSON an InvalidArgument error' {
        $record = Get-Failure { Import-AzMlWebService -InputFile "$TestDrive/missing.json" }
        $record.CategoryInfo.Category | Should -Be 'ReadError'
        $record.Exception.Data['ExitCode'] | Should -Be 9
        [System.IO.File]::WriteAllText("$TestDrive/cut.json", '{"properties": {"packageType": "Gr')
        $record = Get-Failure { Import-AzMlWebService -InputFile "$TestDrive/cut.json" }
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'New-AzMlWebService' {
    It 'creates from a file and from a piped object, with -Location' {
        $ws = New-TestWebService -Name 'new-file'
        $ws.Properties.ProvisioningState | Should -Be 'Succeeded'
        $ws.Location | Should -Be 'West US'
        $ws = Import-AzMlWebService -InputFile $Fixture |
            New-AzMlWebService -ResourceGroupName $Rg -Location 'East US' -Name 'new-object' -StorageAccountKey $StorageKey
        $ws.Name | Should -Be 'new-object'
        $ws.Location | Should -Be 'East US'
    }

    It 'never replaces an existing web service without -Force' {
        New-TestWebService -Name 'new-twice' | Out-Null
        $record = Get-Failure { New-TestWebService -Name 'new-twice' }
        $record.CategoryInfo.Category | Should -Be 'ResourceExists'
        $record.Exception.Message | Should -Match 'exists'
        New-AzMlWebService -ResourceGroupName $Rg -Location 'West US' -Name 'new-twice' -DefinitionFile $Fixture `
            -StorageAccountKey $StorageKey -Force | Should -Not -BeNullOrEmpty
    }

    It '-WhatIf creates nothing' {
        New-AzMlWebService -ResourceGroupName $Rg -Location 'West US' -Name 'new-whatif' -DefinitionFile $Fixture -WhatIf
        $record = Get-Failure { Get-AzMlWebService -ResourceGroupName $Rg -Name 'new-whatif' }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'an operation that ends Failed is a terminating InvalidResult error with the request id' {
        Add-EmulatorFault @{ method = 'PUT'; path = '/subscriptions/**/webServices/new-lro'; kind = 'lro-failed'; count = 1 }
        try {
            $record = Get-Failure { New-TestWebService -Name 'new-lro' }
        } finally {
            Clear-EmulatorFault
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidResult'
        $record.Exception.Data['ExitCode'] | Should -Be 8
        $record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        $record.Exception.Message | Should -Match 'Failed'
    }
}

Describe 'Update-AzMlWebService' {
    It 'updates single properties; -WhatIf sends nothing' {
        New-TestWebService -Name 'update-1' | Out-Null
        Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-1' -Title 'Not sent' -WhatIf
        (Get-AzMlWebService -ResourceGroupName $Rg -Name 'update-1').Properties.Title |
            Should -Be 'Retrain Sample [Predictive Exp.]'
        $ws = Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-1' -Title 'Income, retrained' `
            -RealtimeConfiguration @{ maxConcurrentCalls = 30 }
        $ws.Properties.Title | Should -Be 'Income, retrained'
        $ws.Properties.RealtimeConfiguration.MaxConcurrentCalls | Should -Be 30
        $ws.Properties.Assets.Count | Should -Be 3
    }

    It 'takes -ServiceUpdates from the pipeline, and backs up what it replaces' {
        New-TestWebService -Name 'update-pipe' | Out-Null
        $wsd = Get-AzMlWebService -ResourceGroupName $Rg -Name 'update-pipe'
        $wsd.Properties.Description = 'piped'
        ($wsd | Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-pipe').Properties.Description | Should -Be 'piped'
        $backup = Get-ChildItem -Path $env:AMLR_BACKUP_DIR -Filter '*update-pipe*.json'
        @($backup).Count | Should -Be 1
        [System.IO.File]::ReadAllText($backup.FullName) | Should -Not -Match '"piped"'
    }

    It 'a read-only web service refuses the change: ResourceExists with the code Conflict (HTTP 409)' {
        $file = "$TestDrive/readonly.json"
        [System.IO.File]::WriteAllText($file, [System.IO.File]::ReadAllText($Fixture).Replace('"readOnly": false', '"readOnly": true'))
        New-TestWebService -Name 'update-ro' -DefinitionFile $file | Out-Null
        $record = Get-Failure { Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-ro' -Title 'changed' }
        Assert-ServiceError $record -Category 'ResourceExists' -Code 'Conflict' -ExitCode 5
        $record.Exception.Data['HttpStatus'] | Should -Be 409
    }

    It 'an update whose operation ends Failed is terminating, names the backup, and Restore-AzMlWebService re-applies it' {
        New-TestWebService -Name 'update-lro' | Out-Null
        Add-EmulatorFault @{ method = 'PATCH'; path = '/subscriptions/**/webServices/update-lro'; kind = 'lro-failed'; count = 1 }
        try {
            $record = Get-Failure { Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-lro' -Title 'half' }
        } finally {
            Clear-EmulatorFault
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidResult'
        $record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        $record.ErrorDetails.RecommendedAction -match 'rollback --backup (\S+\.json)' | Should -BeTrue
        $backup = $Matches[1]
        $ws = Restore-AzMlWebService -BackupFile $backup
        $ws.Properties.Title | Should -Be 'Retrain Sample [Predictive Exp.]'
    }

    It 'a missing web service is ObjectNotFound' {
        $record = Get-Failure { Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-none' -Title 'x' }
        Assert-ServiceError $record -Category 'ObjectNotFound' -Code 'NotFound' -ExitCode 4
    }

    It '-IsReadOnly -Force makes the web service read-only' {
        New-TestWebService -Name 'update-make-ro' | Out-Null
        (Update-AzMlWebService -ResourceGroupName $Rg -Name 'update-make-ro' -IsReadOnly -Force).Properties.ReadOnly |
            Should -BeTrue
    }
}

Describe 'Remove-AzMlWebService' {
    It 'removes with -Force; -WhatIf keeps the web service' {
        New-TestWebService -Name 'remove-1' | Out-Null
        Remove-AzMlWebService -ResourceGroupName $Rg -Name 'remove-1' -WhatIf
        (Get-AzMlWebService -ResourceGroupName $Rg -Name 'remove-1').Name | Should -Be 'remove-1'
        Remove-AzureRmMlWebService -ResourceGroupName $Rg -Name 'remove-1' -Force | Should -BeNullOrEmpty
        (Get-Failure { Get-AzMlWebService -ResourceGroupName $Rg -Name 'remove-1' }).CategoryInfo.Category |
            Should -Be 'ObjectNotFound'
    }

    It 'removes every piped web service' {
        $piped = 'remove-a', 'remove-b' | ForEach-Object { New-TestWebService -Name $_ }
        $piped | Remove-AzMlWebService -Force
        $names = (Get-AzMlWebService -ResourceGroupName $Rg).Name
        $names | Should -Not -Contain 'remove-a'
        $names | Should -Not -Contain 'remove-b'
    }

    It 'a refused token stops it with an AuthenticationError' {
        New-TestWebService -Name 'remove-auth' | Out-Null
        $env:AMLR_ACCESS_TOKEN = 'not-a-token'
        try {
            $record = Get-Failure { Remove-AzMlWebService -ResourceGroupName $Rg -Name 'remove-auth' -Force }
        } finally {
            $env:AMLR_ACCESS_TOKEN = $null
        }
        Assert-ServiceError $record -Category 'AuthenticationError' -Code 'InvalidAuthenticationToken' -ExitCode 3
        (Get-AzMlWebService -ResourceGroupName $Rg -Name 'remove-auth').Name | Should -Be 'remove-auth'
    }
}

Describe 'Get-AzMlWebServiceKey' {
    It 'gets the keys by name and from a piped web service' {
        $ws = New-TestWebService -Name 'keys-1'
        $keys = Get-AzMlWebServiceKey -ResourceGroupName $Rg -Name 'keys-1'
        $keys.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebServiceKeys'
        $keys.Primary | Should -Not -BeNullOrEmpty
        $keys.Secondary | Should -Not -Be $keys.Primary
        ($ws | Get-AzureRmMlWebServiceKeys).Primary | Should -Be $keys.Primary
    }

    It 'a missing web service is ObjectNotFound' {
        $record = Get-Failure { Get-AzMlWebServiceKeys -ResourceGroupName $Rg -Name 'keys-none' }
        Assert-ServiceError $record -Category 'ObjectNotFound' -Code 'NotFound' -ExitCode 4
    }
}

Describe 'Add-AzMlWebServiceRegionalProperty' {
    It 'adds a region to a piped web service; Get-AzMlWebService -Region reads it' {
        $ws = New-TestWebService -Name 'region-1'
        $regional = $ws | Add-AzMlWebServiceRegionalProperty -Region 'West Europe' -Force
        $regional.Name | Should -Be 'region-1'
        (Get-AzMlWebService -ResourceGroupName $Rg -Name 'region-1' -Region 'West Europe').Name | Should -Be 'region-1'
    }

    It '-WhatIf adds nothing' {
        New-TestWebService -Name 'region-whatif' | Out-Null
        Add-AzureRmMlWebServiceRegionalProperty -ResourceGroupName $Rg -Name 'region-whatif' -Region 'Japan East' -WhatIf
        $record = Get-Failure { Get-AzMlWebService -ResourceGroupName $Rg -Name 'region-whatif' -Region 'Japan East' }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $record.Exception.Message | Should -Match 'PerRegionPayloadNotFound'
    }

    It 'a missing web service is ObjectNotFound' {
        $record = Get-Failure {
            Add-AzMlWebServiceRegionalProperty -ResourceGroupName $Rg -Name 'region-none' -Region 'West Europe' -Force
        }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
    }
}

Describe 'Set-AzMlWebServiceModel and Restore-AzMlWebService' {
    It 'swaps in a model given with a SAS, which no output, stream or backup shows; Restore undoes it' {
        New-TestWebService -Name 'swap-1' | Out-Null
        $before = Get-ModelUri -Name 'swap-1'
        $model = New-ModelBlob -Name 'swap-1.ilearner'
        $signature = [regex]::Match($model.SasUrl, 'sig=([^&]+)').Groups[1].Value
        $signature | Should -Not -BeNullOrEmpty
        $streams = Set-AzMlWebServiceModel -ResourceGroupName $Rg -Name 'swap-1' -ModelUri $model.SasUrl -Verbose -Debug `
            3>&1 4>&1 5>&1 6>&1
        $swap = $streams | Where-Object { $_.PSObject.TypeNames -contains 'AmlRetrain.ModelSwap' }
        $swap.PreviousModelUri | Should -Be $before
        $swap.ModelUri | Should -Be $model.Uri
        $swap.ProvisioningState | Should -Be 'Succeeded'
        ($streams | Out-String) | Should -Not -Match ([regex]::Escape($signature))
        ($streams | Out-String) | Should -Match 'set-model'
        Get-ChildItem -Path $env:AMLR_BACKUP_DIR -File | ForEach-Object {
            [System.IO.File]::ReadAllText($_.FullName) | Should -Not -Match ([regex]::Escape($signature))
        }
        Get-ModelUri -Name 'swap-1' | Should -Be $model.Uri
        (Restore-AzMlWebService -ResourceGroupName $Rg -Name 'swap-1').Properties.Assets['asset3'].LocationInfo.Uri |
            Should -Be $before
    }

    It 'takes Name and ResourceGroupName from a piped web service; -WhatIf changes nothing' {
        $ws = New-TestWebService -Name 'swap-pipe'
        $before = Get-ModelUri -Name 'swap-pipe'
        $model = New-ModelBlob -Name 'swap-pipe.ilearner'
        $ws | Set-AzMlWebServiceModel -ModelUri $model.SasUrl -WhatIf
        Get-ModelUri -Name 'swap-pipe' | Should -Be $before
        ($ws | Set-AzMlWebServiceModel -ModelUri $model.SasUrl).ModelUri | Should -Be $model.Uri
    }

    It 'refuses a model that cannot be read, before any change' {
        New-TestWebService -Name 'swap-missing' | Out-Null
        $before = Get-ModelUri -Name 'swap-missing'
        $sas = (& amlretrain blob sas -c models -p rl -e 24h | ConvertFrom-Json).url
        $missing = $sas.Replace('/models?', '/models/absent.ilearner?')
        $record = Get-Failure { Set-AzMlWebServiceModel -ResourceGroupName $Rg -Name 'swap-missing' -ModelUri $missing }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $record.Exception.Message | Should -Match 'cannot be read'
        Get-ModelUri -Name 'swap-missing' | Should -Be $before
    }

    It 'an operation that ends Failed is terminating and names the backup' {
        New-TestWebService -Name 'swap-lro' | Out-Null
        $model = New-ModelBlob -Name 'swap-lro.ilearner'
        Add-EmulatorFault @{ method = 'PATCH'; path = '/subscriptions/**/webServices/swap-lro'; kind = 'lro-failed'; count = 1 }
        try {
            $record = Get-Failure { Set-AzMlWebServiceModel -ResourceGroupName $Rg -Name 'swap-lro' -ModelUri $model.SasUrl }
        } finally {
            Clear-EmulatorFault
        }
        $record.CategoryInfo.Category | Should -Be 'InvalidResult'
        $record.Exception.Data['RequestId'] | Should -Match '^[0-9a-f-]{36}$'
        $record.ErrorDetails.RecommendedAction | Should -Match 'swap-lro'
    }

    It 'Restore-AzMlWebService without a backup is ObjectNotFound' {
        $record = Get-Failure { Restore-AzMlWebService -ResourceGroupName $Rg -Name 'never-changed' }
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $record.Exception.Message | Should -Match 'no backup'
    }
}

Describe 'no secret in -Verbose or -Debug output' {
    It 'signing in, reading keys and setting a storage key keep every secret out of the streams' {
        $secrets = @($env:AZURE_CLIENT_SECRET, $StorageKey, 'Ne3w-Prim4ry-K3y')
        $credential = [pscredential]::new($env:AZURE_CLIENT_ID,
            (ConvertTo-SecureString $env:AZURE_CLIENT_SECRET -AsPlainText -Force))
        New-TestWebService -Name 'secret-1' | Out-Null
        try {
            $streams = @(
                Connect-AmlAccount -ServicePrincipal -Credential $credential -Tenant $env:AZURE_TENANT_ID -Verbose -Debug 4>&1 5>&1
                Update-AzMlWebService -ResourceGroupName $Rg -Name 'secret-1' -StorageAccountKey $StorageKey `
                    -Keys @{ primary = 'Ne3w-Prim4ry-K3y'; secondary = 'Ne3w-S3condary-K3y' } -Verbose -Debug 4>&1 5>&1
                Get-AzMlWebServiceKey -ResourceGroupName $Rg -Name 'secret-1' -Verbose -Debug 4>&1 5>&1
            )
        } finally {
            Disconnect-AmlAccount
        }
        $records = $streams | Where-Object {
            $_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.DebugRecord]
        }
        $records.Count | Should -BeGreaterThan 5
        $text = $records | Out-String
        foreach ($secret in $secrets) {
            $text | Should -Not -Match ([regex]::Escape($secret))
        }
        ($streams | Where-Object { $_.PSObject.TypeNames -contains 'AmlRetrain.WebServiceKeys' }).Primary |
            Should -Be 'Ne3w-Prim4ry-K3y'
    }
}
