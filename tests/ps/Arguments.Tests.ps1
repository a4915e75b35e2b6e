# SPDX-License-Identifier: MIT
# What each cmdlet hands to amlretrain, seen through an echo stand-in
# (AMLR_EXE): its arguments, never a secret on them; secrets only in the
# child's environment or a 0600 file deleted afterwards; exit codes and
# JSON error lines as ErrorRecords (STYLE.md sections 7 and 8).

Describe 'AmlRetrain through an echo stand-in' {
    BeforeAll {
        . "$PSScriptRoot/Common.ps1"
        $env:AMLR_EXE = New-EchoExe -Directory $TestDrive
        $env:ECHO_LOG = "$TestDrive/echo.log"
        $env:AZURE_SUBSCRIPTION_ID = '00000000-0000-0000-0000-00000000aaaa'
        $env:AMLR_RESOURCE_GROUP = $null
        Import-Module $ModulePath -Force

        $resource = "$TestDrive/resource.json"
        $id = '/subscriptions/00000000-0000-0000-0000-00000000aaaa/resourceGroups/rg1/providers/Microsoft.MachineLearning/webServices/ws1'
        [System.IO.File]::WriteAllText($resource,
            "{`"id`": `"$id`", `"name`": `"ws1`", " + [System.IO.File]::ReadAllText($Fixture).TrimStart().Substring(1))
        $script:Resource = $resource
        $script:WebServiceId = $id

        function Set-EchoResult {
            param([int] $ExitCode = 0, [string] $Stderr, [string] $StdoutFile)
            $env:ECHO_EXIT = $ExitCode
            $env:ECHO_STDERR = $Stderr
            $env:ECHO_STDOUT = $StdoutFile
        }

        function Get-ErrorLine {
            param([int] $ExitCode, [string] $Category, $Code, [string] $Message, $Status, $RequestId)
            return ([ordered]@{ error = [ordered]@{ exitCode = $ExitCode; category = $Category; code = $Code
                        message = $Message; httpStatus = $Status; requestId = $RequestId
                    }
                } | ConvertTo-Json -Compress -Depth 5)
        }
    }

    AfterAll {
        Remove-Module AmlRetrain -Force -ErrorAction Ignore
        Remove-TestScratch
        $env:AMLR_EXE = $null
        foreach ($name in 'ECHO_EXIT', 'ECHO_STDERR', 'ECHO_STDOUT', 'ECHO_LOG') {
            [Environment]::SetEnvironmentVariable($name, $null)
        }
    }

    BeforeEach {
        Remove-Item -Force -ErrorAction Ignore $env:ECHO_LOG
        Set-EchoResult -StdoutFile $Resource
        Disconnect-AmlAccount
    }

    Context 'arguments' {
        It 'Get-AzMlWebService -Name -ResourceGroupName runs "webservice get" with --error-format json' {
            $ws = Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1'
            $call = Get-EchoCall
            $call.Count | Should -Be 1
            $call[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'get', '--name=ws1', '--resource-group=rg1')
            $ws.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebService'
            $ws.ResourceGroupName | Should -Be 'rg1'
        }

        It 'lists a resource group, or the subscription' {
            Get-AzMlWebService -ResourceGroupName 'rg1' | Out-Null
            Get-AzMlWebService | Out-Null
            $calls = Get-EchoCall
            $calls[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'list', '--resource-group=rg1')
            $calls[1].argv | Should -Be @('--error-format', 'json', 'webservice', 'list')
        }

        It 'refuses -Name without a resource group before running anything' {
            { Get-AzMlWebService -Name 'ws1' } | Should -Throw -ErrorId 'AmlRetrain.InvalidArgument,Get-AzMlWebService'
            Get-EchoCall | Should -BeNullOrEmpty
        }

        It 'keeps values that look like options whole, and the child stdin is an empty pipe' {
            Get-AzMlWebService -Name '-ws' -ResourceGroupName 'rg with space' | Out-Null
            $call = (Get-EchoCall)[0]
            $call.argv[4..5] | Should -Be @('--name=-ws', '--resource-group=rg with space')
            $call.stdin | Should -Match '^pipe:'
        }

        It 'Get-AzMlWebServiceKey binds a web service object from the pipeline' {
            $ws = Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1'
            $ws | Get-AzMlWebServiceKeys | Out-Null
            (Get-EchoCall)[1].argv | Should -Be @('--error-format', 'json', 'webservice', 'keys', '--resource-group=rg1', '--name=ws1')
        }

        It 'Remove-AzMlWebService -Force passes --yes; -WhatIf runs nothing' {
            Remove-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -WhatIf
            Get-EchoCall | Should -BeNullOrEmpty
            Remove-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -Force | Should -BeNullOrEmpty
            (Get-EchoCall)[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'remove', '--resource-group=rg1', '--name=ws1', '--yes')
        }

        It 'Add-AzMlWebServiceRegionalProperty binds Name and ResourceGroupName by property name' {
            [pscustomobject]@{ Name = 'ws1'; ResourceGroupName = 'rg1' } |
                Add-AzureRmMlWebServiceRegionalProperty -Region 'West Europe' -Force | Out-Null
            (Get-EchoCall)[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'add-region',
                '--resource-group=rg1', '--name=ws1', '--region=West Europe')
        }

        It 'New-AzMlWebService passes the file, the location and --force; -WhatIf runs nothing' {
            New-AzMlWebService -ResourceGroupName 'rg1' -Location 'West US' -Name 'ws2' -DefinitionFile $Fixture -WhatIf
            Get-EchoCall | Should -BeNullOrEmpty
            New-AzureRmMlWebService -ResourceGroupName 'rg1' -Location 'West US' -Name 'ws2' -DefinitionFile $Fixture -Force |
                Out-Null
            (Get-EchoCall)[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'new', '--resource-group=rg1',
                '--name=ws2', '--location=West US', '--force', "--file=$Fixture")
        }

        It 'Restore-AzMlWebService runs rollback by name or backup file' {
            Restore-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' | Out-Null
            Restore-AzMlWebService -BackupFile "$TestDrive/b.json" -BackupDirectory $TestDrive | Out-Null
            $calls = Get-EchoCall
            $calls[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'rollback', '--resource-group=rg1', '--name=ws1')
            $calls[1].argv | Should -Be @('--error-format', 'json', 'webservice', 'rollback', "--backup=$TestDrive/b.json",
                "--backup-dir=$TestDrive")
        }

        It 'finds amlretrain through AMLR_EXE, beside the module, then on PATH' {
            $module = Get-Module AmlRetrain
            $dir = "$TestDrive/bin"
            $null = New-Item -ItemType Directory -Force -Path $dir
            Copy-Item -Path $env:AMLR_EXE -Destination "$dir/amlretrain"
            $savedExe = $env:AMLR_EXE
            $savedPath = $env:PATH
            try {
                & $module { Find-AmlrExe -ModuleBase $args[0] } "$TestDrive/elsewhere" | Should -Be $savedExe
                $env:AMLR_EXE = $null
                & $module { Find-AmlrExe -ModuleBase $args[0] } $dir | Should -Be "$dir/amlretrain"
                $env:PATH = "$dir$([System.IO.Path]::PathSeparator)$savedPath"
                & $module { Find-AmlrExe -ModuleBase $args[0] } "$TestDrive/elsewhere" | Should -Be "$dir/amlretrain"
                $env:PATH = "$TestDrive/empty"
                & $module { Find-AmlrExe -ModuleBase $args[0] } "$TestDrive/elsewhere" | Should -BeNullOrEmpty
            } finally {
                $env:AMLR_EXE = $savedExe
                $env:PATH = $savedPath
            }
        }

        It 'finds the amlretrain of the tree make install put the module in' {
            $module = Get-Module AmlRetrain
            $root = "$TestDrive/prefix"
            $base = "$root/share/amlretrain/powershell/AmlRetrain"
            $other = "$TestDrive/other/lib/amlretrain/powershell/AmlRetrain"
            $null = New-Item -ItemType Directory -Force -Path $base, "$root/bin", $other, "$TestDrive/other/bin"
            Copy-Item -Path $env:AMLR_EXE -Destination "$root/bin/amlretrain"
            Copy-Item -Path $env:AMLR_EXE -Destination "$TestDrive/other/bin/amlretrain"
            $savedExe = $env:AMLR_EXE
            $savedPath = $env:PATH
            try {
                $env:AMLR_EXE = $null
                $env:PATH = "$TestDrive/empty"
                & $module { Find-AmlrExe -ModuleBase $args[0] } $base | Should -Be "$root/bin/amlretrain"
                # Only that layout: <prefix>/share/amlretrain/powershell/AmlRetrain.
                & $module { Find-AmlrExe -ModuleBase $args[0] } $other | Should -BeNullOrEmpty
                # AMLR_EXE still comes first.
                $env:AMLR_EXE = $savedExe
                & $module { Find-AmlrExe -ModuleBase $args[0] } $base | Should -Be $savedExe
            } finally {
                $env:AMLR_EXE = $savedExe
                $env:PATH = $savedPath
            }
        }

        It 'every command that changes something changes nothing under -WhatIf' {
            $ws = Import-AzMlWebService -InputFile $Resource
            Remove-Item $env:ECHO_LOG
            Update-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -ServiceUpdates $ws -WhatIf
            New-AzMlWebService -ResourceGroupName 'rg1' -Location 'l' -Name 'ws1' -NewWebServiceDefinition $ws -WhatIf
            Remove-AzMlWebService -MlWebService $ws -WhatIf
            Add-AzMlWebServiceRegionalProperty -ResourceGroupName 'rg1' -Name 'ws1' -Region 'r' -WhatIf
            Set-AzMlWebServiceModel -ResourceGroupName 'rg1' -Name 'ws1' -ModelUri 'https://a/m.ilearner' -WhatIf
            Restore-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -WhatIf
            Connect-AmlAccount -AccessToken 'tok' -WhatIf
            Get-EchoCall | Should -BeNullOrEmpty
            Export-AzMlWebService -WebService $ws -OutputFile "$TestDrive/whatif.json" -WhatIf
            Test-Path -LiteralPath "$TestDrive/whatif.json" | Should -BeFalse
            Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' | Out-Null
            (Get-EchoCall)[-1].env.ContainsKey('AMLR_ACCESS_TOKEN') | Should -BeFalse
        }

        It 'relative paths are resolved against the PowerShell location' {
            Push-Location $TestDrive
            try {
                Import-AzMlWebService -InputFile 'resource.json' | Out-Null
            } finally {
                Pop-Location
            }
            (Get-EchoCall)[0].argv[-1] | Should -Be "--file=$Resource"
        }
    }

    Context 'secrets never reach the command line' {
        It 'Connect-AmlAccount -ServicePrincipal: the secret goes in the environment of each run, and is restored after' {
            $env:AZURE_CLIENT_SECRET = 'the-outer-value'
            $secret = ConvertTo-SecureString 'Sp-S3cret~value' -AsPlainText -Force
            $credential = [pscredential]::new('11111111-2222-3333-4444-555555555555', $secret)
            try {
                Connect-AmlAccount -ServicePrincipal -Credential $credential -Tenant 'tenant-1' -Subscription 'sub-1' | Out-Null
                Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' | Out-Null
                $env:AZURE_CLIENT_SECRET | Should -Be 'the-outer-value'
            } finally {
                $env:AZURE_CLIENT_SECRET = $null
            }
            $calls = Get-EchoCall
            $calls[0].argv | Should -Be @('--error-format', 'json', 'login')
            foreach ($call in $calls) {
                $call.argv -join ' ' | Should -Not -Match 'Sp-S3cret'
                $call.env['AZURE_CLIENT_SECRET'] | Should -Be 'Sp-S3cret~value'
                $call.env['AZURE_CLIENT_ID'] | Should -Be '11111111-2222-3333-4444-555555555555'
                $call.env['AZURE_TENANT_ID'] | Should -Be 'tenant-1'
                $call.env['AZURE_SUBSCRIPTION_ID'] | Should -Be 'sub-1'
                $call.env['AZURE_TOKEN_CREDENTIALS'] | Should -Be 'EnvironmentCredential'
            }
            Disconnect-AmlAccount
            Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' | Out-Null
            (Get-EchoCall)[-1].env.ContainsKey('AZURE_CLIENT_SECRET') | Should -BeFalse
        }

        It 'Connect-AmlAccount -AccessToken and -Identity set only the environment' {
            Connect-AmlAccount -AccessToken (ConvertTo-SecureString 'eyJ.token.value' -AsPlainText -Force) | Out-Null
            $call = (Get-EchoCall)[0]
            $call.env['AMLR_ACCESS_TOKEN'] | Should -Be 'eyJ.token.value'
            $call.argv -join ' ' | Should -Not -Match 'eyJ'
            $env:AMLR_ACCESS_TOKEN | Should -BeNullOrEmpty
            Connect-AmlAccount -Identity -AccountId 'mi-client' | Out-Null
            $call = (Get-EchoCall)[1]
            $call.env['AZURE_TOKEN_CREDENTIALS'] | Should -Be 'ManagedIdentityCredential'
            $call.env['AZURE_CLIENT_ID'] | Should -Be 'mi-client'
            $call.env.ContainsKey('AMLR_ACCESS_TOKEN') | Should -BeFalse
        }

        It 'Connect-AmlAccount with a certificate: its path and password in the environment, no secret' {
            $env:AZURE_CLIENT_SECRET = 'outer-secret'
            try {
                Push-Location $TestDrive
                Connect-AmlAccount -ServicePrincipal -ApplicationId 'app-2' -Tenant 'tenant-2' -CertificatePath 'sp.pem' `
                    -CertificatePassword (ConvertTo-SecureString 'pfx-PASS' -AsPlainText -Force) | Out-Null
            } finally {
                Pop-Location
                $env:AZURE_CLIENT_SECRET = $null
            }
            $call = (Get-EchoCall)[0]
            $call.env['AZURE_CLIENT_CERTIFICATE_PATH'] | Should -Be "$TestDrive/sp.pem"
            $call.env['AZURE_CLIENT_CERTIFICATE_PASSWORD'] | Should -Be 'pfx-PASS'
            $call.env['AZURE_CLIENT_ID'] | Should -Be 'app-2'
            $call.env.ContainsKey('AZURE_CLIENT_SECRET') | Should -BeFalse
            $call.argv -join ' ' | Should -Not -Match 'pfx-PASS'
        }

        It 'a failed sign-in keeps the previous connection' {
            Connect-AmlAccount -AccessToken 'first-token' | Out-Null
            Set-EchoResult -ExitCode 3 -Stderr (Get-ErrorLine 3 'Auth' 'invalid_client' 'AADSTS7000215: Invalid client secret provided.' 401 'req-1')
            $credential = [pscredential]::new('app', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
            { Connect-AmlAccount -ServicePrincipal -Credential $credential -Tenant 't' } |
                Should -Throw -ErrorId 'AmlRetrain.invalid_client,Connect-AmlAccount'
            Set-EchoResult -StdoutFile $Resource
            Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' | Out-Null
            (Get-EchoCall)[-1].env['AMLR_ACCESS_TOKEN'] | Should -Be 'first-token'
        }

        It 'New-AzMlWebService -StorageAccountKey: in the environment only' {
            New-AzMlWebService -ResourceGroupName 'rg1' -Location 'West US' -Name 'ws2' -DefinitionFile $Fixture `
                -StorageAccountKey 'c3RvcmFnZS1rZXk=' | Out-Null
            $call = (Get-EchoCall)[0]
            $call.env['AMLR_STORAGE_ACCOUNT_KEY'] | Should -Be 'c3RvcmFnZS1rZXk='
            $call.argv -join ' ' | Should -Not -Match 'c3RvcmFnZS1rZXk'
            $env:AMLR_STORAGE_ACCOUNT_KEY | Should -BeNullOrEmpty
        }

        It 'Update-AzMlWebService -Keys -StorageAccountKey: in a 0600 file, deleted afterwards' {
            $keys = @{ Primary = 'primary-KEY-1'; Secondary = (ConvertTo-SecureString 'secondary-KEY-2' -AsPlainText -Force) }
            Update-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -Keys $keys -StorageAccountKey 'acct-KEY-3' `
                -Title 'T' | Out-Null
            $call = (Get-EchoCall)[0]
            $call.argv[0..5] | Should -Be @('--error-format', 'json', 'webservice', 'update', '--resource-group=rg1', '--name=ws1')
            $call.argv -join ' ' | Should -Not -Match 'KEY-'
            $file = $call.argv[-1].Substring('--file='.Length)
            $call.files[$file].mode | Should -Be '600'
            $body = $call.files[$file].content | ConvertFrom-Json -AsHashtable
            $body.properties.packageType | Should -Be 'Graph'
            $body.properties.title | Should -Be 'T'
            $body.properties.keys.Primary | Should -Be 'primary-KEY-1'
            $body.properties.keys.Secondary | Should -Be 'secondary-KEY-2'
            $body.properties.storageAccount.key | Should -Be 'acct-KEY-3'
            $body.properties.ContainsKey('readOnly') | Should -BeFalse
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'Set-AzMlWebServiceModel: the SAS URL goes through --model-uri=@FILE, and no output shows it' {
            $url = 'https://acct.blob.core.windows.net/models/m.ilearner?sv=2021-08-06&sr=b&sp=r&sig=SiGnAtUrE%3D'
            $streams = Set-AzMlWebServiceModel -ResourceGroupName 'rg1' -Name 'ws1' -ModelUri $url -Verbose -Debug 4>&1 5>&1
            ($streams | Out-String) | Should -Not -Match 'SiGnAtUrE'
            $call = (Get-EchoCall)[0]
            $call.argv -join ' ' | Should -Not -Match 'SiGnAtUrE'
            $call.argv | Should -Contain '--debug'
            $option = $call.argv | Where-Object { $_ -like '--model-uri=@*' }
            $file = $option.Substring('--model-uri=@'.Length)
            $call.files[$file].mode | Should -Be '600'
            $call.files[$file].content | Should -Be $url
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'Set-AzMlWebServiceModel -WhatIf runs nothing' {
            $url = 'https://acct.blob.core.windows.net/models/m.ilearner?sig=SiGnAtUrE'
            Set-AzMlWebServiceModel -ResourceGroupName 'rg1' -Name 'ws1' -ModelUri $url -WhatIf | Should -BeNullOrEmpty
            Get-EchoCall | Should -BeNullOrEmpty
        }

        It 'Import-AzMlWebService -JsonString goes through a 0600 file' {
            Import-AzMlWebService -JsonString ([System.IO.File]::ReadAllText($Fixture)) | Out-Null
            $call = (Get-EchoCall)[0]
            $file = $call.argv[-1].Substring('--file='.Length)
            $call.argv[2..3] | Should -Be @('webservice', 'import')
            $call.files[$file].mode | Should -Be '600'
            $call.files[$file].content | Should -Be ([System.IO.File]::ReadAllText($Fixture))
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It '-Debug shows the names of the variables set, never their values' {
            Connect-AmlAccount -AccessToken 'tok-VALUE-1' | Out-Null
            $debug = Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' -Debug 5>&1 |
                Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | Out-String
            $debug | Should -Match 'AMLR_ACCESS_TOKEN'
            $debug | Should -Not -Match 'tok-VALUE-1'
        }
    }

    Context 'Update-AzMlWebService' {
        It 'with nothing to update, warns and only reads the web service' {
            $warnings = $null
            $ws = Update-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings.Count | Should -Be 1
            "$($warnings[0])" | Should -Match '-ServiceUpdates \$wsd'
            (Get-EchoCall).Count | Should -Be 1
            (Get-EchoCall)[0].argv[3] | Should -Be 'get'
            $ws.Name | Should -Be 'ws1'
        }

        It '-ServiceUpdates sends the whole object, edited in memory, without its read-only members' {
            $wsd = Import-AzMlWebService -InputFile $Resource
            $wsd.Properties.Assets['ASSET3'].LocationInfo.Uri = 'https://acct.blob.core.windows.net/models/new.ilearner'
            $wsd.Properties.Title = 'Retrained'
            $wsd | Update-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' | Out-Null
            $call = (Get-EchoCall)[1]
            $file = $call.argv[-1].Substring('--file='.Length)
            $sent = $call.files[$file].content | ConvertFrom-Json -AsHashtable
            $sent.properties.assets.asset3.locationInfo.uri | Should -Be 'https://acct.blob.core.windows.net/models/new.ilearner'
            $sent.properties.title | Should -Be 'Retrained'
            $sent.location | Should -Be 'South Central US'
            $sent.ContainsKey('id') | Should -BeFalse
            $sent.properties.package.nodes.node2.parameters['R Script'].value | Should -Match '^# map 0-based'
            $sent.properties.exampleRequest.inputs.input1[1][0] | Should -Be 50
        }

        It '-WhatIf sends nothing' {
            Update-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -Title 'x' -WhatIf
            Get-EchoCall | Should -BeNullOrEmpty
        }

        It 'a warning of amlretrain becomes a PowerShell warning' {
            Set-EchoResult -Stderr "amlretrain: warning: 'ws1' already matches the file: nothing to update" -StdoutFile $Resource
            $warnings = $null
            Update-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -Title 'x' -WarningVariable warnings -WarningAction SilentlyContinue |
                Out-Null
            "$warnings" | Should -Be "'ws1' already matches the file: nothing to update"
        }
    }

    Context 'errors' {
        It 'exit <ExitCode> (<Category>) is a terminating <ErrorCategory> error with the code and the request id' -ForEach @(
            @{ ExitCode = 1; Category = 'Failed'; Status = $null; ErrorCategory = 'NotSpecified'; Type = [System.InvalidOperationException] }
            @{ ExitCode = 2; Category = 'InvalidArgument'; Status = 400; ErrorCategory = 'InvalidArgument'; Type = [System.ArgumentException] }
            @{ ExitCode = 3; Category = 'Auth'; Status = 401; ErrorCategory = 'AuthenticationError'; Type = [System.UnauthorizedAccessException] }
            @{ ExitCode = 3; Category = 'Auth'; Status = 403; ErrorCategory = 'PermissionDenied'; Type = [System.UnauthorizedAccessException] }
            @{ ExitCode = 4; Category = 'NotFound'; Status = 404; ErrorCategory = 'ObjectNotFound'; Type = [System.Management.Automation.ItemNotFoundException] }
            @{ ExitCode = 5; Category = 'Conflict'; Status = 409; ErrorCategory = 'ResourceExists'; Type = [System.InvalidOperationException] }
            @{ ExitCode = 6; Category = 'Throttled'; Status = 429; ErrorCategory = 'LimitsExceeded'; Type = [System.InvalidOperationException] }
            @{ ExitCode = 7; Category = 'Network'; Status = $null; ErrorCategory = 'ConnectionError'; Type = [System.Net.Http.HttpRequestException] }
            @{ ExitCode = 8; Category = 'Server'; Status = 500; ErrorCategory = 'InvalidResult'; Type = [System.InvalidOperationException] }
            @{ ExitCode = 9; Category = 'LocalIO'; Status = $null; ErrorCategory = 'ReadError'; Type = [System.IO.IOException] }
            @{ ExitCode = 10; Category = 'JobFailed'; Status = $null; ErrorCategory = 'InvalidResult'; Type = [System.InvalidOperationException] }
            @{ ExitCode = 11; Category = 'Cancelled'; Status = $null; ErrorCategory = 'OperationStopped'; Type = [System.InvalidOperationException] }
            @{ ExitCode = 12; Category = 'Timeout'; Status = $null; ErrorCategory = 'OperationTimeout'; Type = [System.TimeoutException] }
            @{ ExitCode = 13; Category = 'GateRejected'; Status = $null; ErrorCategory = 'InvalidResult'; Type = [System.InvalidOperationException] }
        ) {
            Set-EchoResult -ExitCode $ExitCode -Stderr (Get-ErrorLine $ExitCode $Category 'SvcCode' 'something failed' $Status 'req-42')
            $record = $null
            try {
                Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1'
            } catch {
                $record = $_
            }
            $record | Should -Not -BeNullOrEmpty
            $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.SvcCode,Get-AzMlWebService'
            $record.CategoryInfo.Category | Should -Be $ErrorCategory
            $record.Exception | Should -BeOfType $Type
            $record.Exception.Message | Should -Match 'something failed'
            $record.Exception.Message | Should -Match 'Code: SvcCode'
            $record.Exception.Message | Should -Match 'Request Id: req-42'
            $record.Exception.Data['RequestId'] | Should -Be 'req-42'
            $record.Exception.Data['ServiceCode'] | Should -Be 'SvcCode'
            $record.Exception.Data['ExitCode'] | Should -Be $ExitCode
            $record.TargetObject | Should -Be $WebServiceId
        }

        It 'without a service code the id names the category; notes become the recommended action' {
            Set-EchoResult -ExitCode 8 -Stderr ("amlretrain: the update of 'ws1' did not complete; the previous definition is in /b/x.json`n" +
                (Get-ErrorLine 8 'Server' $null 'the operation ended Failed' $null 'req-7'))
            $record = $null
            try {
                Update-AzMlWebService -ResourceGroupName 'rg1' -Name 'ws1' -Title 't'
            } catch {
                $record = $_
            }
            $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.Server,Update-AzMlWebService'
            $record.ErrorDetails.RecommendedAction | Should -Match '/b/x\.json'
        }

        It 'honours -ErrorAction: the error is terminating, so a script stops' {
            Set-EchoResult -ExitCode 4 -Stderr (Get-ErrorLine 4 'NotFound' 'NotFound' 'not found' 404 'r')
            $reached = $false
            try {
                Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1' -ErrorAction Continue
                $reached = $true
            } catch {
                $null = $_
            }
            $reached | Should -BeFalse
        }

        It 'items from the pipeline fail one by one; credentials failures stop the pipeline' {
            $ws = Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1'
            Remove-Item $env:ECHO_LOG
            Set-EchoResult -ExitCode 4 -Stderr (Get-ErrorLine 4 'NotFound' 'NotFound' 'not found' 404 'r')
            $errors = $null
            $ws, $ws | Get-AzMlWebServiceKey -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errors.Count | Should -Be 2
            (Get-EchoCall).Count | Should -Be 2
            { $ws, $ws | Get-AzMlWebServiceKey -ErrorAction Stop } | Should -Throw -ErrorId 'AmlRetrain.NotFound,Get-AzMlWebServiceKey'

            Remove-Item $env:ECHO_LOG
            Set-EchoResult -ExitCode 3 -Stderr (Get-ErrorLine 3 'Auth' 'InvalidAuthenticationToken' 'bad token' 401 'r')
            { $ws, $ws | Get-AzMlWebServiceKey -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'AmlRetrain.InvalidAuthenticationToken,Get-AzMlWebServiceKey'
            (Get-EchoCall).Count | Should -Be 1
        }

        It 'an object without a resource id is an InvalidArgument error' {
            { Get-AzMlWebServiceKey -MlWebService ([pscustomobject]@{ Id = 'nope' }) } |
                Should -Throw -ErrorId 'AmlRetrain.InvalidResourceId,Get-AzMlWebServiceKey'
            Get-EchoCall | Should -BeNullOrEmpty
        }

        It 'a missing binary is a terminating ObjectNotFound error' {
            $module = Get-Module AmlRetrain
            $saved = & $module { $script:AmlrExe }
            & $module { $script:AmlrExe = '/nonexistent/amlretrain' }
            try {
                $record = $null
                try {
                    Get-AzMlWebService -Name 'ws1' -ResourceGroupName 'rg1'
                } catch {
                    $record = $_
                }
                $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.ExecutableNotFound,Get-AzMlWebService'
                $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            } finally {
                & $module { param($path) $script:AmlrExe = $path } $saved
            }
        }

        It 'Import-AzMlWebService -JsonString of blanks is an error before anything runs' {
            { Import-AzMlWebService -JsonString '   ' } | Should -Throw '*definition is not specified*'
            Get-EchoCall | Should -BeNullOrEmpty
        }
    }
}
