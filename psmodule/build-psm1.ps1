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
# dot-sourced from AmlRetrain.Bodies.ps1, which the first call of any of
# them loads once (Initialize-AmlrBody).  Dot-sourced, a body runs in the
# function's own scope, as if written there: its parameters, $PSCmdlet,
# $PSBoundParameters, $_ and the variables one block leaves for the next
# are the function's, and 'return' ends the block.  The private functions
# are defined by that same first load, in the module's scope
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
# line that held only a comment goes with it.
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
        while ($start -gt $at -and ($Text[$start - 1] -eq ' ' -or $Text[$start - 1] -eq "`t")) {
            $start--
        }
        $lineEnd = $Text.IndexOf("`n", $end)
        if (($start -eq 0 -or $Text[$start - 1] -eq "`n") -and $lineEnd -ge 0 -and
            -not $Text.Substring($end, $lineEnd - $end).Trim()) {
            $end = $lineEnd + 1
        }
        $null = $out.Append($Text, $at, $start - $at)
        $at = $end
    }
    $null = $out.Append($Text, $at, $Text.Length - $at)
    $out.ToString()
}

# Stops on a public function body's use of a variable that a dot-sourced
# script block has its own of ($PSCmdlet, $_ and the rest are the
# function's).
function Assert-BodyVariable([string] $Path, [System.Management.Automation.Language.FunctionDefinitionAst] $Function) {
    $body = $Function.Body
    $own = $body.FindAll({
            param($ast)
            if ($ast -isnot [System.Management.Automation.Language.VariableExpressionAst] -or
                $ast.VariablePath.UserPath -notin 'PSBoundParameters', 'MyInvocation', 'args', 'input') {
                return $false
            }
            $scope = $ast.Parent
            while ($scope -isnot [System.Management.Automation.Language.ScriptBlockAst]) {
                $scope = $scope.Parent
            }
            $scope -eq $body
        }, $true)
    foreach ($variable in $own) {
        throw "${Path}: $($variable.Extent.StartLineNumber): `$$($variable.VariablePath.UserPath) would be the" +
        ' body''s own in the package, not the function''s: use $PSCmdlet.MyInvocation(.BoundParameters)'
    }
}

# The one function of a Private/ or Public/ file, comments removed.
function Read-Function([System.IO.FileInfo] $File) {
    $text = [System.IO.File]::ReadAllText($File.FullName)
    $parsed = Read-Script $File.FullName $text
    $functions = @($parsed.Ast.EndBlock.Statements)
    if ($functions.Count -ne 1 -or $functions[0] -isnot [System.Management.Automation.Language.FunctionDefinitionAst] -or
        $functions[0].Name -cne $File.BaseName -or $parsed.Ast.ParamBlock -or $parsed.Ast.BeginBlock -or
        $parsed.Ast.ProcessBlock) {
        throw "$($File.FullName): one function, named $($File.BaseName), and nothing else"
    }
    if ($File.Directory.Name -eq 'Public') {
        Assert-BodyVariable $File.FullName $functions[0]
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
    # The first block to run loads the bodies.
    $first = $true
    foreach ($block in $Blocks) {
        $load = if ($first) { 'Initialize-AmlrBody; ' } else { '' }
        $lines.Add("    $block { $load. `$script:AmlrBody['$name'].$block }")
        $first = $false
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

    foreach ($file in Get-ChildItem -Path (Join-Path $Source 'Private') -Filter '*.ps1' | Sort-Object Name) {
        $function = Read-Function $file
        $text = $function.Extent.Text
        $null = $bodies.AppendLine(($text -replace '^function\s+', 'function script:'))
    }

    $null = $bodies.AppendLine('@{')
    foreach ($file in Get-ChildItem -Path (Join-Path $Source 'Public') -Filter '*.ps1' | Sort-Object Name) {
        $function = Read-Function $file
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
    # scope, its table of bodies into $script:AmlrBody.
    $null = $psm1.AppendLine(@'
$script:AmlrBody = $null
function Initialize-AmlrBody {
    if ($null -eq $script:AmlrBody) {
        $script:AmlrBody = . "$PSScriptRoot/AmlRetrain.Bodies.ps1"
    }
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
