# SPDX-License-Identifier: MIT
# Write the packaged module's code (psmodule/build-package.sh): its
# AmlRetrain.psm1 and AmlRetrain.Bodies.ps1, from the source tree's
# AmlRetrain.psm1 and its functions in Private/ and Public/.
#
# Import-Module parses the whole psm1, and pwsh's parser is slow at its
# first use in a process: the ~90 KB of functions were most of what the
# module added to a pwsh start.  So the psm1 holds only what the import
# needs: each public function's help pointer ('.ExternalHelp'), attributes
# and param block, which Get-Command, Get-Help, tab completion and
# parameter binding read; each of its begin/process/end blocks is
# dot-sourced from AmlRetrain.Bodies.ps1, which the begin block of the
# first command to run loads, once (Initialize-AmlrBody).  Dot-sourced, a
# body runs in the function's own scope, as if written there: its
# parameters, $PSCmdlet, $_ and the variables one block leaves for the
# next are the function's, and 'return' ends the block; the few things
# that would differ the build refuses (Assert-Packable).  The private
# functions are defined by that same load, in the module's scope
# ('function script:NAME').  No comment is kept (the help is MAML,
# build-help.ps1): pwsh built without ReadyToRun compiles the tokenizer's
# comment paths at every start.
#
# Usage: pwsh -NoProfile -File build-psm1.ps1 -Source DIR -OutDir DIR

[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Source,
    [Parameter(Mandatory)] [string] $OutDir
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Language = [System.Management.Automation.Language.Parser]

# The tokens and AST of FILE's text; stops on a syntax error.
function Read-Script([string] $Path, [string] $Text) {
    $tokens = $null
    $errors = $null
    $ast = $Language::ParseInput($Text, $Path, [ref] $tokens, [ref] $errors)
    if ($errors) {
        throw "${Path}: $($errors[0].Extent.StartLineNumber): $($errors[0].Message)"
    }
    [pscustomobject]@{ Ast = $ast; Tokens = $tokens }
}

# TEXT without its comments (the tokenizer's: none is in a string); a
# line that held only a comment goes with it, unless the line before it
# is continued (a backtick at its end).  Stops unless what is left has the
# same tokens, comments and blank lines aside.
function Remove-Comment([string] $Path, [string] $Text) {
    $parsed = Read-Script $Path $Text
    $out = [System.Text.StringBuilder]::new()
    $at = 0
    foreach ($token in $parsed.Tokens) {
        if ($token.Kind -ne 'Comment') {
            continue
        }
        $start = $token.Extent.StartOffset
        $end = $token.Extent.EndOffset
        $blank = $start
        while ($blank -gt $at -and ($Text[$blank - 1] -eq ' ' -or $Text[$blank - 1] -eq "`t")) {
            $blank--
        }
        if ($blank -eq 0 -or $Text[$blank - 1] -ne '`') {
            $start = $blank
        }
        $lineEnd = $Text.IndexOf("`n", $end)
        $continued = $Text.Substring(0, $start).TrimEnd("`n", "`r").EndsWith('`')
        if (($start -eq 0 -or $Text[$start - 1] -eq "`n") -and $lineEnd -ge 0 -and -not $continued -and
            -not $Text.Substring($end, $lineEnd - $end).Trim()) {
            $end = $lineEnd + 1
        }
        $null = $out.Append($Text, $at, $start - $at)
        $at = $end
    }
    $null = $out.Append($Text, $at, $Text.Length - $at)
    $stripped = $out.ToString()
    # The tokens but comments, a run of new lines as one.
    $code = {
        param($tokens)
        $last = $null
        foreach ($token in $tokens) {
            if ($token.Kind -eq 'Comment' -or ($token.Kind -eq 'NewLine' -and $last -eq 'NewLine')) {
                continue
            }
            $last = "$($token.Kind)"
            "$($token.Kind) $($token.Text)"
        }
    }
    if ((@(& $code $parsed.Tokens) -join "`n") -cne (@(& $code (Read-Script $Path $stripped).Tokens) -join "`n")) {
        throw "${Path}: its code would change without its comments"
    }
    $stripped
}

# Stops on what a public function would do otherwise in the package.  A
# dot-sourced body has its own $PSBoundParameters, $MyInvocation, $args,
# $input, $PSScriptRoot and $PSCommandPath (anywhere in it: the blocks of
# ForEach-Object and the like see the body's), and Write-Error, -Warning,
# -Verbose, -Debug and -Information would describe the body, not the
# command ($PSCmdlet.WriteWarning() and the like do not).  $PSCmdlet, $_
# and every other variable are the function's.  Parameters are declared
# in the param block (the one the psm1 keeps), and what it runs at binding
# cannot call a private function: those are loaded by the first block.
function Assert-Packable([string] $Path, [System.Management.Automation.Language.FunctionDefinitionAst] $Function,
    [string[]] $Private) {
    $language = 'System.Management.Automation.Language'
    $own = 'PSBoundParameters', 'MyInvocation', 'args', 'input', 'PSScriptRoot', 'PSCommandPath'
    $writers = 'Write-Error', 'Write-Warning', 'Write-Verbose', 'Write-Debug', 'Write-Information'
    $refuse = {
        param($Ast, [string] $Why)
        throw "${Path}: $($Ast.Extent.StartLineNumber): $Why"
    }
    if ($Function.Parameters) {
        & $refuse $Function "$($Function.Name): parameters go in its param block"
    }
    $body = $Function.Body
    $clean = if ($body.PSObject.Properties['CleanBlock']) { $body.CleanBlock }
    foreach ($block in $body.BeginBlock, $body.ProcessBlock, $body.EndBlock, $clean) {
        if (-not $block) {
            continue
        }
        foreach ($ast in $block.FindAll({ $true }, $true)) {
            $variable = if ($ast -is "$language.VariableExpressionAst") { $ast.VariablePath.UserPath -replace '^\w+:' }
            if ($variable -in $own) {
                & $refuse $ast ("`$$variable would be the body's own in the package:" +
                    ' use $PSCmdlet.MyInvocation(.BoundParameters)')
            }
            if ($ast -isnot "$language.CommandAst") {
                continue
            }
            $name = $ast.GetCommandName()
            if ($name -in $writers) {
                & $refuse $ast "$name would describe the body, not the command, in the package: use `$PSCmdlet.$($name -replace '-')()"
            }
            $named = @($ast.CommandElements.Extent.Text -replace "['""]" | Where-Object { $_ -in $own })
            if ($name -eq 'Get-Variable' -and $named) {
                & $refuse $ast "Get-Variable of a variable that would be the body's own in the package"
            }
        }
    }
    if ($body.ParamBlock) {
        foreach ($ast in $body.ParamBlock.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            if ($ast.GetCommandName() -in $Private) {
                & $refuse $ast "the param block calls $($ast.GetCommandName()), which the package loads at the first call"
            }
        }
    }
}

# The one function of a Private/ or Public/ file, comments removed.
# A public one is checked (Assert-Packable, PRIVATE: the private
# functions' names).
function Read-Function([System.IO.FileInfo] $File, [string[]] $Private) {
    $text = [System.IO.File]::ReadAllText($File.FullName)
    $parsed = Read-Script $File.FullName $text
    $functions = @($parsed.Ast.EndBlock.Statements)
    if ($functions.Count -ne 1 -or $functions[0] -isnot [System.Management.Automation.Language.FunctionDefinitionAst] -or
        $functions[0].Name -cne $File.BaseName -or $parsed.Ast.ParamBlock -or $parsed.Ast.BeginBlock -or
        $parsed.Ast.ProcessBlock -or $parsed.Ast.ScriptRequirements) {
        throw "$($File.FullName): one function, named $($File.BaseName), and nothing else (no #requires)"
    }
    if ($File.Directory.Name -eq 'Public') {
        Assert-Packable $File.FullName $functions[0] $Private
    }
    (Read-Script $File.FullName (Remove-Comment $File.FullName $text)).Ast.EndBlock.Statements[0]
}

# The '# <loader>' ... '# </loader>' block of the source psm1 and what is
# around it.
function Split-Loader([string] $Path) {
    $text = [System.IO.File]::ReadAllText($Path)
    $match = [regex]::Match($text, '(?ms)^# <loader>\r?\n.*?^# </loader>\r?\n')
    if (-not $match.Success) {
        throw "${Path}: needs one '# <loader>' and one '# </loader>' line"
    }
    [pscustomobject]@{
        Head = Remove-Comment $Path $text.Substring(0, $match.Index)
        Tail = Remove-Comment $Path $text.Substring($match.Index + $match.Length)
    }
}

# A public function's named blocks as { ... } script block text, by name:
# begin, process, end (and clean, where pwsh has it).  A body without
# named blocks is its end block.
function Get-Block([System.Management.Automation.Language.FunctionDefinitionAst] $Function) {
    $body = $Function.Body
    if ($body.DynamicParamBlock) {
        throw "$($Function.Name): dynamicparam is not supported by build-psm1.ps1"
    }
    $blocks = [ordered]@{}
    foreach ($name in 'Begin', 'Process', 'End', 'Clean') {
        $block = if ($body.PSObject.Properties["${name}Block"]) { $body."${name}Block" }
        if (-not $block) {
            continue
        }
        # An unnamed block's extent starts with the function's attributes
        # and param block: its code is what follows them.
        $blocks[$name.ToLowerInvariant()] = if ($block.Unnamed) {
            $start = if ($body.ParamBlock) { $body.ParamBlock.Extent.EndOffset } else { $block.Extent.StartOffset }
            $script = $block.Extent.StartScriptPosition.GetFullScript()
            "{$($script.Substring($start, $block.Extent.EndOffset - $start))`n}"
        } else {
            $block.Extent.Text -replace '^\w+\s*', ''
        }
    }
    $blocks
}

# A public function as the psm1 holds it: help pointer, attributes, param
# block, and a dot-sourced body per block.
function Format-Stub([System.Management.Automation.Language.FunctionDefinitionAst] $Function, [string[]] $Blocks) {
    $name = $Function.Name
    $param = $Function.Body.ParamBlock
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add("function $name {")
    $lines.Add('    # .ExternalHelp AmlRetrain-help.xml')
    if ($param) {
        foreach ($attribute in $param.Attributes) {
            $lines.Add("    $($attribute.Extent.Text)")
        }
        $lines.Add("    $($param.Extent.Text)")
    }
    # begin loads the bodies, once: a failure stops the command.
    $lines.Add("    begin { Initialize-AmlrBody `$PSCmdlet$(if ('begin' -in $Blocks) { "; . `$script:AmlrBody['$name'].begin" }) }")
    foreach ($block in $Blocks | Where-Object { $_ -ne 'begin' }) {
        $lines.Add("    $block { . `$script:AmlrBody['$name'].$block }")
    }
    $lines.Add('}')
    $lines -join "`n"
}

function Main {
    $psm1 = [System.Text.StringBuilder]::new()
    $bodies = [System.Text.StringBuilder]::new()
    $loader = Split-Loader (Join-Path $Source 'AmlRetrain.psm1')
    $null = $psm1.AppendLine($loader.Head)
    $null = $bodies.AppendLine('# The private functions and public function bodies of AmlRetrain.psm1,')
    $null = $bodies.AppendLine('# dot-sourced at the first call of a public function (psmodule/build-psm1.ps1).')
    $null = $bodies.AppendLine()

    $privateFiles = @(Get-ChildItem -Path (Join-Path $Source 'Private') -Filter '*.ps1' | Sort-Object Name)
    foreach ($file in $privateFiles) {
        $function = Read-Function $file
        $null = $bodies.AppendLine(($function.Extent.Text -replace '^(function|filter)\s+', '$1 script:'))
    }

    $null = $bodies.AppendLine('@{')
    foreach ($file in Get-ChildItem -Path (Join-Path $Source 'Public') -Filter '*.ps1' | Sort-Object Name) {
        $function = Read-Function $file $privateFiles.BaseName
        $blocks = Get-Block $function
        if ($blocks.Count -eq 0) {
            throw "$($file.FullName): $($function.Name) has no body"
        }
        $null = $psm1.AppendLine((Format-Stub $function @($blocks.Keys)))
        $null = $bodies.AppendLine("    '$($function.Name)' = @{")
        foreach ($entry in $blocks.GetEnumerator()) {
            $null = $bodies.AppendLine("        $($entry.Key) = $($entry.Value)")
        }
        $null = $bodies.AppendLine('    }')
    }
    $null = $bodies.AppendLine('}')

    # Loads AmlRetrain.Bodies.ps1 once: its functions into the module's
    # scope, its table of bodies into $script:AmlrBody; stops CALLER (a
    # command's $PSCmdlet), or throws, when it cannot.
    $null = $psm1.AppendLine(@'
$script:AmlrBody = $null
function Initialize-AmlrBody([System.Management.Automation.PSCmdlet] $Caller) {
    if ($null -ne $script:AmlrBody) {
        return
    }
    $path = "$PSScriptRoot/AmlRetrain.Bodies.ps1"
    $bodies = $null
    $failure = $null
    try {
        $ErrorActionPreference = 'Stop'
        $bodies = . $path
    } catch {
        $failure = $_.Exception.Message -replace '\s*\n\s*', ' '
    }
    if ($bodies -isnot [hashtable]) {
        $exception = [System.InvalidOperationException]::new(
            "the AmlRetrain module is incomplete: $path could not be loaded ($failure); reinstall the module")
        $record = [System.Management.Automation.ErrorRecord]::new(
            $exception, 'AmlRetrain.BodiesNotLoaded', [System.Management.Automation.ErrorCategory]::ResourceUnavailable, $path)
        if ($Caller) {
            $Caller.ThrowTerminatingError($record)
        }
        throw $record
    }
    $script:AmlrBody = $bodies
}
'@)
    $null = $psm1.AppendLine($loader.Tail)

    # Both parse, or the package is not written.
    $null = Read-Script 'AmlRetrain.psm1' $psm1.ToString()
    $null = Read-Script 'AmlRetrain.Bodies.ps1' $bodies.ToString()
    [System.IO.File]::WriteAllText((Join-Path $OutDir 'AmlRetrain.psm1'), $psm1.ToString())
    [System.IO.File]::WriteAllText((Join-Path $OutDir 'AmlRetrain.Bodies.ps1'), $bodies.ToString())
}

try {
    Main
} catch {
    [Console]::Error.WriteLine("build-psm1: $($_.Exception.Message)")
    exit 2
}
