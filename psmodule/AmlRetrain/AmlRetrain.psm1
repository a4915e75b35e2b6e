# SPDX-License-Identifier: MIT
# AmlRetrain: loads Private/ then Public/ (one function per file); the
# amlretrain binary is found once, at the first command that runs it.

if ($env:AMLR_PS_STRICT) {
    Set-StrictMode -Version Latest
}

# <loader>
# psmodule/build-package.sh replaces this block, its two marker lines
# included, with the public functions' param blocks (build-psm1.ps1): the
# packaged (installed) module parses their bodies and the private
# functions at the first call of one of them, from AmlRetrain.Bodies.ps1.
# Its import parses a fifth of what this one does, and reads two files
# instead of 40 (each .NET call a script makes costs its first time).
# Here, in the source tree, the files are read as text and run as one
# script block: one parse instead of one per file (PSFramework's
# Import-ModuleFile does the same per file).  Set AMLR_PS_DOTSOURCE to
# dot-source them one by one instead, so that errors and the debugger
# show the files' own names and lines.
$source = [System.Text.StringBuilder]::new()
foreach ($folder in 'Private', 'Public') {
    foreach ($file in [System.IO.Directory]::GetFiles("$PSScriptRoot/$folder", '*.ps1')) {
        if ($env:AMLR_PS_DOTSOURCE) {
            . $file
        } else {
            $null = $source.AppendLine([System.IO.File]::ReadAllText($file))
        }
    }
}
if ($source.Length -gt 0) {
    . ([scriptblock]::Create($source.ToString()))
}
# Not Remove-Variable: a first cmdlet call costs more than the rest of the
# import (these module variables are not exported anyway).
$source = $null
# </loader>

# Find-AmlrExe ($env:AMLR_EXE, beside the module, then PATH) runs at the
# first call of Invoke-AmlrNative, not here: import time matters.
$script:AmlrExe = $null
$script:AmlrModuleBase = $PSScriptRoot

# AmlRetrain.Format.ps1xml: loaded by Invoke-AmlrNative with the first
# object it returns, not here (see there).
$script:AmlrFormatsLoaded = $false

# The exit code of the last amlretrain run (Invoke-AmlrNative).
$script:AmlrLastExitCode = $null

# Set by Connect-AmlAccount: the credentials and settings handed to every
# amlretrain run through its environment (never its command line).
$script:AmlrConnection = $null
