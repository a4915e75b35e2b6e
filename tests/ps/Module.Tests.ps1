# SPDX-License-Identifier: MIT
# Module hygiene (STYLE.md sections 8, 10 and 13; PSFramework's
# tests/general/): the manifest, the exports, approved verbs, aliases,
# ShouldProcess, comment-based help, the one runner of amlretrain, the
# layout rules PSScriptAnalyzer's CmdletDesign and CodeFormattingOTBS
# presets would check (PSScriptAnalyzer is not available here).

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:ModuleRoot = Split-Path -Parent $ModulePath
    $script:Manifest = Import-PowerShellDataFile -Path $ModulePath
    $script:PublicFiles = Get-ChildItem -Path "$ModuleRoot/Public" -Filter '*.ps1'
    $script:PrivateFiles = Get-ChildItem -Path "$ModuleRoot/Private" -Filter '*.ps1'
    $script:AllFiles = @(Get-ChildItem -Path "$RepoRoot/psmodule" -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1') +
        @(Get-ChildItem -Path "$RepoRoot/tests/ps" -File -Include '*.ps1' -Recurse)
    $script:Approved = (Get-Verb).Verb

    function Get-FunctionAst {
        # The function definitions at the top level of a file.
        param([Parameter(Mandatory)] [string] $Path)
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty -Because "$Path must parse"
        return , @($ast.EndBlock.Statements | Where-Object { $_ -is [System.Management.Automation.Language.FunctionDefinitionAst] })
    }

    function Get-AttributeAst {
        # The attributes of a function's param block named $Name.
        param($Function, [string] $Name)
        if (-not $Function.Body.ParamBlock) {
            return @()
        }
        return @($Function.Body.ParamBlock.Attributes | Where-Object { $_.TypeName.Name -eq $Name })
    }

    $env:AMLR_EXE = New-EchoExe -Directory $TestDrive
    $env:ECHO_LOG = "$TestDrive/echo.log"
    $script:ImportWarnings = $null
    Import-Module $ModulePath -Force -WarningVariable script:ImportWarnings
    $script:Module = Get-Module AmlRetrain
}

AfterAll {
    Remove-Module AmlRetrain -Force -ErrorAction Ignore
    $env:AMLR_EXE = $null
    $env:ECHO_LOG = $null
    Remove-TestScratch
}

Describe 'the manifest' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $ModulePath -ErrorAction Stop
        $info.Name | Should -Be 'AmlRetrain'
        $info.PowerShellVersion | Should -Be ([version]'7.2')
    }

    It 'lists every export explicitly: no wildcard, no cmdlet, no variable' {
        foreach ($key in 'FunctionsToExport', 'AliasesToExport', 'CmdletsToExport', 'VariablesToExport') {
            $Manifest.ContainsKey($key) | Should -BeTrue -Because "$key missing means '*'"
            @($Manifest[$key]) -join ',' | Should -Not -Match '\*'
        }
        @($Manifest.CmdletsToExport).Count | Should -Be 0
        @($Manifest.VariablesToExport).Count | Should -Be 0
    }

    It 'exports exactly the Public functions, one per file, named after it' {
        $defined = foreach ($file in $PublicFiles) {
            $functions = Get-FunctionAst -Path $file.FullName
            $functions.Count | Should -Be 1 -Because "$($file.Name) holds one function"
            $functions[0].Name | Should -Be $file.BaseName
            $functions[0].Name
        }
        ($defined | Sort-Object) | Should -Be (@($Manifest.FunctionsToExport) | Sort-Object)
        ($Module.ExportedFunctions.Keys | Sort-Object) | Should -Be (@($Manifest.FunctionsToExport) | Sort-Object)
    }

    It 'Private files hold one function each, named after the file, none exported' {
        foreach ($file in $PrivateFiles) {
            $functions = Get-FunctionAst -Path $file.FullName
            $functions.Count | Should -Be 1 -Because "$($file.Name) holds one function"
            $functions[0].Name | Should -Be $file.BaseName
            $Module.ExportedFunctions.Keys | Should -Not -Contain $functions[0].Name
        }
    }

    It 'exports as aliases exactly the [Alias()] names of the public functions' {
        $declared = foreach ($file in $PublicFiles) {
            $function = (Get-FunctionAst -Path $file.FullName)[0]
            foreach ($attribute in (Get-AttributeAst $function 'Alias')) {
                $attribute.PositionalArguments.Value
            }
        }
        ($declared | Sort-Object) | Should -Be (@($Manifest.AliasesToExport) | Sort-Object)
        foreach ($alias in $Manifest.AliasesToExport) {
            $Module.ExportedAliases.Keys | Should -Contain $alias
            $Manifest.FunctionsToExport | Should -Contain $Module.ExportedAliases[$alias].ResolvedCommandName
        }
    }

    It 'has the AzureRM names and the plural key cmdlet as aliases' {
        foreach ($name in 'Get-AzureRmMlWebService', 'Export-AzureRmMlWebService', 'Import-AzureRmMlWebService',
            'New-AzureRmMlWebService', 'Update-AzureRmMlWebService', 'Remove-AzureRmMlWebService',
            'Get-AzMlWebServiceKeys', 'Get-AzureRmMlWebServiceKeys', 'Add-AzureRmMlWebServiceRegionalProperty') {
            (Get-Command -Name $name).CommandType | Should -Be 'Alias'
        }
    }
}

Describe 'commands' {
    It 'every function uses an approved verb (aliases aside), and Import-Module does not warn' {
        foreach ($file in @($PublicFiles) + @($PrivateFiles)) {
            $verb = $file.BaseName.Split('-')[0]
            $Approved | Should -Contain $verb -Because "$($file.BaseName) must use an approved verb"
        }
        $ImportWarnings | Should -BeNullOrEmpty
    }

    It 'every function that changes state declares SupportsShouldProcess' {
        $changing = 'New', 'Set', 'Update', 'Remove', 'Add', 'Restore', 'Export', 'Connect', 'Disconnect', 'Clear', 'Reset'
        foreach ($file in @($PublicFiles) + @($PrivateFiles)) {
            $function = (Get-FunctionAst -Path $file.FullName)[0]
            if ($function.Name.Split('-')[0] -notin $changing) {
                continue
            }
            $binding = Get-AttributeAst $function 'CmdletBinding'
            $binding.NamedArguments.ArgumentName | Should -Contain 'SupportsShouldProcess' -Because $function.Name
        }
    }

    It 'every exported function declares [OutputType()] with a view for each AmlRetrain type' {
        $views = ([xml](Get-Content -Raw "$ModuleRoot/AmlRetrain.Format.ps1xml")).Configuration.ViewDefinitions.View |
            ForEach-Object { $_.ViewSelectedBy.TypeName }
        foreach ($name in $Manifest.FunctionsToExport) {
            foreach ($type in (Get-Command $name).OutputType.Name) {
                if ($type -like 'AmlRetrain.*') {
                    $views | Should -Contain $type -Because "$name outputs $type"
                }
            }
        }
    }

    It 'only Invoke-AmlrNative runs the binary; no Invoke-Expression, no Write-Host' {
        foreach ($file in @($PublicFiles) + @($PrivateFiles) + @(Get-Item "$ModuleRoot/AmlRetrain.psm1")) {
            $text = [System.IO.File]::ReadAllText($file.FullName)
            if ($file.Name -ne 'Invoke-AmlrNative.ps1') {
                $text | Should -Not -Match 'AmlrExe\s+@' -Because "$($file.Name) must go through Invoke-AmlrNative"
            }
            $text | Should -Not -Match '(?i)\b(Invoke-Expression|iex|Write-Host)\b' -Because $file.Name
        }
        [System.IO.File]::ReadAllText("$ModuleRoot/Private/Invoke-AmlrNative.ps1") | Should -Match '& \$script:AmlrExe @argv'
    }

    It 'never calls ConvertTo-Json without a -Depth of 100 or more' {
        foreach ($file in @($PublicFiles) + @($PrivateFiles)) {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
            $calls = $ast.FindAll({
                    param($node)
                    $node -is [System.Management.Automation.Language.CommandAst] -and
                    $node.GetCommandName() -eq 'ConvertTo-Json'
                }, $true)
            foreach ($call in $calls) {
                $text = $call.Extent.Text
                $text -match '-Depth\s+(\d+)' | Should -BeTrue -Because "$($file.Name): $text"
                [int]$Matches[1] | Should -BeGreaterOrEqual 100
            }
        }
    }

    It 'the views of AmlRetrain.Format.ps1xml are in place once a command has returned an object' {
        $env:ECHO_STDOUT = $Fixture
        $env:ECHO_EXIT = 0
        Import-AzMlWebService -InputFile $Fixture | Out-Null
        foreach ($type in 'AmlRetrain.WebService', 'AmlRetrain.WebServiceKeys', 'AmlRetrain.ModelSwap', 'AmlRetrain.Account') {
            (Get-FormatData -TypeName $type).FormatViewDefinition | Should -Not -BeNullOrEmpty -Because $type
        }
    }

    It 'the psm1 loads only Private/ and Public/' {
        $text = [System.IO.File]::ReadAllText("$ModuleRoot/AmlRetrain.psm1")
        $text | Should -Match "'Private', 'Public'"
        (Get-ChildItem -Path $ModuleRoot -Directory).Name | Sort-Object | Should -Be @('en-US', 'Private', 'Public')
    }

    It 'the packaged module (psmodule/build-package.sh) has the same commands, help and behaviour, and parses its bodies at the first call' {
        $null = & "$RepoRoot/psmodule/build-package.sh" "$TestDrive/package"
        $LASTEXITCODE | Should -Be 0
        $root = "$TestDrive/package/AmlRetrain"
        (Get-ChildItem -Path $root -Recurse -File).Name | Sort-Object |
            Should -Be @('about_AmlRetrain.help.txt', 'AmlRetrain-help.xml', 'AmlRetrain.Bodies.ps1', 'AmlRetrain.Format.ps1xml',
                'AmlRetrain.psd1', 'AmlRetrain.psm1')
        $text = [System.IO.File]::ReadAllText("$root/AmlRetrain.psm1")
        $bodies = [System.IO.File]::ReadAllText("$root/AmlRetrain.Bodies.ps1")
        $text | Should -Not -Match '<loader>|GetFiles'
        # The help is MAML (build-help.ps1) and no comment is left to parse
        # (build-psm1.ps1), but the pointers to the help.
        $text | Should -Not -Match '(?m)<#|\.SYNOPSIS|#(?! \.ExternalHelp AmlRetrain-help\.xml$)'
        ([regex]::Matches($text, '(?m)^    # \.ExternalHelp AmlRetrain-help\.xml$')).Count | Should -Be @($PublicFiles).Count
        # The import parses the public functions' param blocks; what they
        # do, and the private functions, are in AmlRetrain.Bodies.ps1.
        $text.Length | Should -BeLessThan ($bodies.Length / 2)
        foreach ($file in $PublicFiles) {
            $text | Should -Match "(?m)^function $($file.BaseName) \{" -Because "$($file.BaseName) is in the psm1"
            $bodies | Should -Match "(?m)^    '$($file.BaseName)' = @\{" -Because "the body of $($file.BaseName) is in the bodies"
        }
        foreach ($file in $PrivateFiles) {
            $bodies | Should -Match "(?m)^function script:$($file.BaseName) \{" -Because "$($file.BaseName) is in the bodies"
            $text | Should -Not -Match "(?m)^function $($file.BaseName) \{" -Because "$($file.BaseName) is not parsed at import"
        }
        # Get-Help text as the source tree's comments give it, aliases
        # aside (MAML has them, comment-based help does not).
        $helpText = {
            param([string] $Manifest)
            $module = Import-Module $Manifest -PassThru -Force
            foreach ($name in $module.ExportedFunctions.Keys | Sort-Object) {
                (Get-Help -Name $name -Full | Out-String -Width 120) -split "`n" |
                    Where-Object { $_.Trim() -and $_ -notmatch '^\s+Aliases\s' }
            }
            Remove-Module $module -Force
        }
        $source = & $helpText $ModulePath
        $source.Count | Should -BeGreaterThan 1000
        & $helpText "$root/AmlRetrain.psd1" | Should -Be $source
        # The same parameters, sets and attributes as the source tree's.
        $parameters = {
            param([string] $Manifest)
            $module = Import-Module $Manifest -PassThru -Force
            foreach ($command in $module.ExportedFunctions.Values | Sort-Object Name) {
                $command.Name
                $command.CmdletBinding, $command.DefaultParameterSet, $command.OutputType.Name -join '|'
                foreach ($set in $command.ParameterSets) {
                    "$($set.Name)|$($set.IsDefault)"
                    foreach ($parameter in $set.Parameters) {
                        $parameter.Name, $parameter.ParameterType, $parameter.IsMandatory, $parameter.Position,
                        $parameter.ValueFromPipeline, $parameter.ValueFromPipelineByPropertyName,
                        ($parameter.Aliases -join ','), ($parameter.Attributes.TypeId.Name | Sort-Object) -join '|'
                    }
                }
            }
            Remove-Module $module -Force
        }
        $expected = & $parameters $ModulePath
        $expected.Count | Should -BeGreaterThan 500
        & $parameters "$root/AmlRetrain.psd1" | Should -Be $expected
        try {
            Get-Module AmlRetrain | Remove-Module -Force
            $packaged = Import-Module "$root/AmlRetrain.psd1" -PassThru -Force -WarningVariable warnings
            $warnings | Should -BeNullOrEmpty
            ($packaged.ExportedFunctions.Keys | Sort-Object) | Should -Be (@($Manifest.FunctionsToExport) | Sort-Object)
            ($packaged.ExportedAliases.Keys | Sort-Object) | Should -Be (@($Manifest.AliasesToExport) | Sort-Object)
            @((Get-Help Set-AmlWebServiceEndpointResource -Full).Examples.Example).Count | Should -BeGreaterThan 0
            (Get-Help Get-AmlWebServiceEndpoint -Parameter WebServiceId | Out-String) | Should -Match 'Aliases\s+Id'
            $env:ECHO_STDOUT = $Fixture
            $env:ECHO_EXIT = 0
            Remove-Item -Force -ErrorAction Ignore $env:ECHO_LOG
            & $packaged { Get-Command -Name Invoke-AmlrNative -ErrorAction Ignore } | Should -BeNullOrEmpty
            (Get-AzMlWebService -Name 'ws' -ResourceGroupName 'rg').PSObject.TypeNames[0] | Should -Be 'AmlRetrain.WebService'
            (Get-EchoCall)[0].argv | Should -Be @('--error-format', 'json', 'webservice', 'get', '--name=ws', '--resource-group=rg')
            & $packaged { (Get-Command -Name Invoke-AmlrNative).CommandType } | Should -Be 'Function'
            $loaded = & $packaged { $script:AmlrBody }
            $null = Get-AzMlWebServiceKey -Name 'ws' -ResourceGroupName 'rg'
            [object]::ReferenceEquals((& $packaged { $script:AmlrBody }), $loaded) | Should -BeTrue -Because 'the bodies load once'
            # Private functions stay private.
            Get-Command -Name Invoke-AmlrNative -ErrorAction Ignore | Should -BeNullOrEmpty
            # What a Pester Mock of a private function needs first (README).
            $packaged = Import-Module "$root/AmlRetrain.psd1" -PassThru -Force
            & $packaged { Initialize-AmlrBody }
            & $packaged { (Get-Command -Name Invoke-AmlrNative).CommandType } | Should -Be 'Function'
            # Without its bodies the module stops at the first command,
            # whatever the error action, and says what to do (in strict
            # mode too).
            Copy-Item -Recurse -Path $root -Destination "$TestDrive/broken"
            Remove-Item "$TestDrive/broken/AmlRetrain.Bodies.ps1"
            Remove-Module AmlRetrain -Force
            $env:AMLR_PS_STRICT = '1'
            try {
                Import-Module "$TestDrive/broken/AmlRetrain.psd1" -Force
            } finally {
                Remove-Item Env:AMLR_PS_STRICT
            }
            $caught = $null
            try {
                Get-AzMlWebService -Name 'ws' -ResourceGroupName 'rg' -ErrorAction SilentlyContinue
            } catch {
                $caught = $_
            }
            $caught.FullyQualifiedErrorId | Should -Be 'AmlRetrain.BodiesNotLoaded,Get-AzMlWebService'
            "$caught" | Should -Match 'AmlRetrain\.Bodies\.ps1 could not be loaded .*reinstall the module$'
            { & (Get-Module AmlRetrain) { Initialize-AmlrBody } } | Should -Throw -ErrorId 'AmlRetrain.BodiesNotLoaded'
        } finally {
            Remove-Module AmlRetrain -Force -ErrorAction Ignore
            Import-Module $ModulePath -Force
        }
    }

    It 'psmodule/build-psm1.ps1 refuses what the package would do otherwise, and keeps the code of what it strips comments from' {
        # A module of one public and one private function, built alone.
        $source = "$TestDrive/synthetic/AmlRetrain"
        $null = New-Item -ItemType Directory -Force -Path "$source/Public", "$source/Private"
        Set-Content -Path "$source/AmlRetrain.psm1" -Value "# <loader>`n# </loader>`n`$script:Ready = 1"
        Set-Content -Path "$source/Private/Get-Priv.ps1" -Value 'function Get-Priv { ''p'' }'
        $build = {
            param([string] $Function)
            Set-Content -Path "$source/Public/Get-Thing.ps1" -Value $Function
            $out = "$TestDrive/synthetic/out"
            Remove-Item -Recurse -Force -ErrorAction Ignore $out
            $null = New-Item -ItemType Directory -Path $out
            $stderr = & $env:AMLR_PWSH -NoProfile -NonInteractive -File "$RepoRoot/psmodule/build-psm1.ps1" `
                -Source $source -OutDir $out 2>&1 | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Error = $stderr.Trim(); Files = @(Get-ChildItem $out).Name }
        }
        $refused = @(
            @('process { $PSBoundParameters.Keys }', '\$PSBoundParameters would be the body''s own'),
            @('process { 1, 2 | ForEach-Object { $PSBoundParameters } }', '\$PSBoundParameters would be the body''s own'),
            @('end { $local:MyInvocation }', '\$MyInvocation would be the body''s own'),
            @('end { $PSScriptRoot }', '\$PSScriptRoot would be the body''s own'),
            @('end { Get-Variable -Name PSBoundParameters -ValueOnly }', 'Get-Variable of a variable'),
            @('end { Write-Warning ''w'' }', 'Write-Warning would describe the body.*\$PSCmdlet\.WriteWarning\(\)'),
            @('end { Write-Error ''e'' }', 'Write-Error would describe the body')
        )
        foreach ($case in $refused) {
            $result = & $build "function Get-Thing {`n    [CmdletBinding()]`n    param([string] `$Name)`n    $($case[0])`n}"
            $result.ExitCode | Should -Be 2 -Because $case[0]
            $result.Error | Should -Match "^build-psm1: .*Get-Thing\.ps1: 4: $($case[1])" -Because $case[0]
            $result.Files | Should -BeNullOrEmpty -Because 'nothing is written'
        }
        $result = & $build "function Get-Thing([string] `$Name) {`n    'x'`n}"
        $result.Error | Should -Match 'Get-Thing: parameters go in its param block'
        $result = & $build "function Get-Thing {`n    param([ValidateScript({ Get-Priv })] [string] `$Name)`n}"
        $result.Error | Should -Match ': 2: the param block calls Get-Priv, which the package loads at the first call'
        $result = & $build "#requires -Version 7.2`nfunction Get-Thing { }"
        $result.Error | Should -Match 'one function, named Get-Thing, and nothing else \(no #requires\)'

        # Comments after a line continuation: the same statements without them.
        $function = @(
            'function Get-Thing {', '    [CmdletBinding()]', '    param()', '    end {'
            '        Write-Output a `', '        # a comment alone on its line', '        Write-Output b'
            '        Write-Output c `  # after an escaped space', '        Write-Output d <# inline #> e'
            '        Get-Priv', '    }', '}'
        ) -join "`n"
        $result = & $build $function
        $result.ExitCode | Should -Be 0 -Because $result.Error
        ($result.Files | Sort-Object) | Should -Be @('AmlRetrain.Bodies.ps1', 'AmlRetrain.psm1')
        $built = Import-Module "$TestDrive/synthetic/out/AmlRetrain.psm1" -PassThru -Force
        try {
            $fromPackage = @(Get-Thing)
        } finally {
            Remove-Module $built -Force
        }
        $expected = & ([scriptblock]::Create("$function`n function Get-Priv { 'p' }`n Get-Thing"))
        $fromPackage | Should -Be @($expected)
        $fromPackage | Should -Be @('a', 'b', 'c', 'd', 'e', 'p')
        Get-Module AmlRetrain | Should -Not -BeNullOrEmpty -Because 'the module under test is still loaded'
    }

    It 'Import-Module -Prefix gives prefixed names, for use beside Microsoft''s module' {
        $prefixed = Import-Module $ModulePath -Prefix Amlr -PassThru -Force
        try {
            $prefixed.ExportedFunctions.Keys | Should -Contain 'Get-AmlrAzMlWebService'
        } finally {
            Remove-Module AmlRetrain -Force
            Import-Module $ModulePath -Force
        }
    }

    It 'runs under Set-StrictMode -Version Latest with AMLR_PS_STRICT' {
        $env:AMLR_PS_STRICT = '1'
        try {
            Import-Module $ModulePath -Force
            $env:ECHO_STDOUT = $Fixture
            $env:ECHO_EXIT = 0
            $ws = Get-AzMlWebService -Name 'ws' -ResourceGroupName 'rg'
            $ws | Should -Not -BeNullOrEmpty
            Get-AzMlWebService -Name 'ws' -ResourceGroupName 'rg' | Update-AzMlWebService -Name 'ws' -ResourceGroupName 'rg' |
                Should -Not -BeNullOrEmpty
        } finally {
            $env:AMLR_PS_STRICT = $null
            Import-Module $ModulePath -Force
        }
    }
}

Describe 'help' {
    It '<Name> has a synopsis, a description, examples, inputs, outputs, notes and every parameter described' -ForEach @(
        (Import-PowerShellDataFile -Path "$PSScriptRoot/../../psmodule/AmlRetrain/AmlRetrain.psd1").FunctionsToExport |
            ForEach-Object { @{ Name = $_ } }
    ) {
        $help = Get-Help -Name $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"   # not the generated syntax
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
        }
        ($help.inputTypes | Out-String).Trim() | Should -Not -BeNullOrEmpty
        ($help.returnValues | Out-String).Trim() | Should -Not -BeNullOrEmpty
        ($help.alertSet | Out-String).Trim() | Should -Not -BeNullOrEmpty
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters +
            [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        # get_Keys(): Update-AzMlWebService has a parameter named Keys.
        foreach ($parameter in (Get-Command $Name).Parameters.get_Keys() | Where-Object { $_ -notin $common }) {
            $described = $help.parameters.parameter | Where-Object { $_.name -eq $parameter }
            ($described.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name"
        }
    }

    It 'about_AmlRetrain is found and documents the name clash' {
        $about = Get-Help about_AmlRetrain | Out-String
        $about | Should -Match 'about_Command_Precedence'
        $about | Should -Match '-Prefix Amlr'
        $about | Should -Match '-NoClobber'
        $about | Should -Match 'Az\.MachineLearning\\Get-AzMlWebService'
    }
}

Describe 'layout' {
    It '<Name>: SPDX line, spaces not tabs, no trailing blanks, final newline, LF' -ForEach @(
        @(Get-ChildItem -Path "$PSScriptRoot/../../psmodule" -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1', '*.ps1xml') +
        @(Get-ChildItem -Path $PSScriptRoot -File -Filter '*.ps1') | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }
    ) {
        $text = [System.IO.File]::ReadAllText($Path)
        $text | Should -Match '^(<\?xml[^\n]*\n)?(#|<!--) SPDX-License-Identifier: MIT'
        $text | Should -Not -Match "`t"
        $text | Should -Not -Match "`r"
        $text | Should -Not -Match '[ ]+\n'
        $text | Should -Match '\n$'
    }

    It '<Name>: one-true-brace style and four-space indentation' -ForEach @(
        @(Get-ChildItem -Path "$PSScriptRoot/../../psmodule" -Recurse -File -Include '*.ps1', '*.psm1') +
        @(Get-ChildItem -Path $PSScriptRoot -File -Filter '*.ps1') | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }
    ) {
        $tokens = $null
        $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $lines = [System.IO.File]::ReadAllLines($Path)
        # An opening brace on a line of its own (PSPlaceOpenBrace, OnSameLine).
        foreach ($token in $tokens | Where-Object { $_.Kind -eq 'LCurly' }) {
            $line = $lines[$token.Extent.StartLineNumber - 1]
            $line.Trim() | Should -Not -Be '{' -Because "line $($token.Extent.StartLineNumber)"
        }
        # '} else {' and '} catch {' on one line (PSPlaceCloseBrace, OTBS).
        for ($i = 1; $i -lt $lines.Count; $i++) {
            $lines[$i] | Should -Not -Match '^\s*(else|elseif|catch|finally)\b' -Because "line $($i + 1)"
        }
        # Indentation in steps of four, outside here-strings and comments.
        $inHereString = $false
        $inComment = $false
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $line = $lines[$i]
            if ($line -match "@['""]\s*$") { $inHereString = $true; continue }
            if ($inHereString) { if ($line -match "^['""]@") { $inHereString = $false }; continue }
            if ($line -match '^\s*<#') { $inComment = $true }
            if (-not $inComment -and $line -match '^( *)\S') {
                ($Matches[1].Length % 4) | Should -Be 0 -Because "line $($i + 1) of $Name"
            }
            if ($line -match '#>\s*$') { $inComment = $false }
        }
    }

    It 'PSScriptAnalyzerSettings.psd1 names the two presets'' rules, and a reason for each exclusion' {
        $settings = Import-PowerShellDataFile -Path "$RepoRoot/psmodule/PSScriptAnalyzerSettings.psd1"
        $settings.IncludeRules | Should -Contain 'PSUseApprovedVerbs'
        $settings.IncludeRules | Should -Contain 'PSUseShouldProcessForStateChangingFunctions'
        $settings.IncludeRules | Should -Contain 'PSPlaceOpenBrace'
        $text = [System.IO.File]::ReadAllText("$RepoRoot/psmodule/PSScriptAnalyzerSettings.psd1")
        foreach ($rule in $settings.ExcludeRules) {
            $text | Should -Match "#[^\n]+\n\s*'$rule'" -Because "the exclusion of $rule needs a reason"
        }
    }
}
