# SPDX-License-Identifier: MIT
# Locates the amlretrain binary the module runs.

function Find-AmlrExe {
    <#
    .SYNOPSIS
    The path of the amlretrain binary, or $null when there is none.
    .DESCRIPTION
    In this order: $env:AMLR_EXE; amlretrain beside the module or in its
    bin/ folder; the bin/ of the tree `make install` put the module in
    (<prefix>/share/amlretrain/powershell/AmlRetrain with
    <prefix>/bin/amlretrain); amlretrain on PATH.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $ModuleBase
    )

    if ($env:AMLR_EXE) {
        return $env:AMLR_EXE
    }
    $name = if ($IsWindows) { 'amlretrain.exe' } else { 'amlretrain' }
    $candidates = @("$ModuleBase/$name", "$ModuleBase/bin/$name")
    $installed = [System.IO.DirectoryInfo]::new($ModuleBase)
    if ($installed.Parent.Name -eq 'powershell' -and $installed.Parent.Parent.Name -eq 'amlretrain' -and
        $installed.Parent.Parent.Parent.Name -eq 'share') {
        $candidates += [System.IO.Path]::Combine($installed.Parent.Parent.Parent.Parent.FullName, 'bin', $name)
    }
    foreach ($candidate in $candidates) {
        if ([System.IO.File]::Exists($candidate)) {
            return $candidate
        }
    }
    # Not Get-Command: its first call costs half a second of import time.
    foreach ($dir in "$env:PATH".Split([System.IO.Path]::PathSeparator)) {
        if ($dir -and [System.IO.File]::Exists("$dir/$name")) {
            return [System.IO.Path]::GetFullPath("$dir/$name")
        }
    }
    return $null
}
