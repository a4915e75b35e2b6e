# SPDX-License-Identifier: MIT
# PSScriptAnalyzer settings for psmodule/: the rules of its CmdletDesign and
# CodeFormattingOTBS presets.  PSScriptAnalyzer is not served by the package
# sources this project reaches; tests/ps/Module.Tests.ps1 checks the same
# rules where it can (approved verbs, ShouldProcess, help, exports, layout).
# Usage: Invoke-ScriptAnalyzer -Path psmodule -Recurse -Settings psmodule/PSScriptAnalyzerSettings.psd1
@{
    IncludeRules = @(
        # CmdletDesign.psd1
        'PSUseApprovedVerbs'
        'PSReservedCmdletChar'
        'PSReservedParams'
        'PSShouldProcess'
        'PSUseShouldProcessForStateChangingFunctions'
        'PSUseSingularNouns'
        'PSMissingModuleManifestField'
        'PSAvoidDefaultValueSwitchParameter'
        # CodeFormattingOTBS.psd1
        'PSPlaceOpenBrace'
        'PSPlaceCloseBrace'
        'PSUseConsistentWhitespace'
        'PSUseConsistentIndentation'
        'PSUseCorrectCasing'
    )
    ExcludeRules = @(
        # CodeFormattingOTBS aligns '=' in hashtables: our hashtables are short, and realigning a block for one new key makes noisy diffs.
        'PSAlignAssignmentStatement'
    )
    Rules = @{
        PSPlaceOpenBrace = @{
            Enable = $true
            OnSameLine = $true
            NewLineAfter = $true
            IgnoreOneLineBlock = $true
        }
        PSPlaceCloseBrace = @{
            Enable = $true
            NewLineAfter = $false
            IgnoreOneLineBlock = $true
            NoEmptyLineBefore = $false
        }
        PSUseConsistentIndentation = @{
            Enable = $true
            Kind = 'space'
            PipelineIndentation = 'IncreaseIndentationForFirstPipeline'
            IndentationSize = 4
        }
        PSUseConsistentWhitespace = @{
            Enable = $true
            CheckInnerBrace = $true
            CheckOpenBrace = $true
            CheckOpenParen = $true
            CheckOperator = $true
            CheckPipe = $true
            CheckPipeForRedundantWhitespace = $false
            CheckSeparator = $true
            CheckParameter = $false
            # The manifest lines up its keys (PSAlignAssignmentStatement is off).
            IgnoreAssignmentOperatorInsideHashTable = $true
        }
        PSUseCorrectCasing = @{
            Enable = $true
        }
    }
}
