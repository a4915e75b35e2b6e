# SPDX-License-Identifier: MIT
# The one place that runs amlretrain: arguments, secrets, output, errors.

function Invoke-AmlrNative {
    <#
    .SYNOPSIS
    Runs amlretrain once and turns its JSON output into objects.
    .DESCRIPTION
    Arguments are a string array (no command strings); secrets never travel
    on them: -SecretEnvironment sets NAME = value (a string, a SecureString,
    or $null to unset) for this run only and restores the previous values,
    after the connection's own settings (Connect-AmlAccount).  The child
    gets an empty standard input, so it never waits for a terminal.

    --error-format json is always passed.  A non-zero exit becomes an
    ErrorRecord (ConvertTo-AmlrErrorRecord): terminating, or with -PerItem
    for an item that came from the pipeline, a non-terminating error unless
    the failure makes the rest meaningless (credentials, network,
    throttling).  Exit codes listed in -NonTerminating (a failed job, a
    fleet with failed targets) are non-terminating errors whatever the
    input, and what amlretrain printed is still returned.  Exit codes
    listed in -AllowExitCode are no error at all: the caller reads the
    code in $script:AmlrLastExitCode (set by every run) and decides.
    "amlretrain: warning: ..." lines become warnings, other messages
    verbose output, the --debug trace (added under -Debug; the
    tool redacts secrets) debug output.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Caller,
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [hashtable] $SecretEnvironment = @{},
        [string] $TypeName,
        [object] $Target,
        [string] $Activity,
        [switch] $PerItem,
        [int[]] $NonTerminating = @(),
        [int[]] $AllowExitCode = @(),
        [switch] $Raw
    )

    if (-not $script:AmlrExe) {
        $script:AmlrExe = Find-AmlrExe -ModuleBase $script:AmlrModuleBase
    }
    if (-not $script:AmlrExe) {
        $exception = [System.Management.Automation.CommandNotFoundException]::new(
            'the amlretrain binary was not found: set AMLR_EXE to its path, or put it on PATH')
        $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $exception, 'AmlRetrain.ExecutableNotFound',
                [System.Management.Automation.ErrorCategory]::ObjectNotFound, 'amlretrain'))
    }

    $PSNativeCommandUseErrorActionPreference = $false   # exit codes are mapped below
    $ErrorActionPreference = 'Continue'                 # stderr lines must not throw
    $environment = Get-AmlrConnectionEnvironment -Caller $Caller
    foreach ($key in $SecretEnvironment.Keys) {
        $environment[$key] = $SecretEnvironment[$key]
    }
    $argv = [System.Collections.Generic.List[string]]::new()
    $argv.Add('--error-format')
    $argv.Add('json')
    if ($DebugPreference -ne 'SilentlyContinue') {
        $argv.Add('--debug')
    }
    $argv.AddRange($ArgumentList)

    $saved = @{}
    $out = [System.Collections.Generic.List[string]]::new()
    $err = [System.Collections.Generic.List[string]]::new()
    $encoding = [Console]::OutputEncoding
    $code = $null
    $launchError = $null
    try {
        if ($encoding.CodePage -ne 65001) {
            [Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)
        }
        foreach ($key in $environment.Keys) {
            $value = $environment[$key]
            if ($value -is [securestring]) {
                $value = [System.Net.NetworkCredential]::new('', $value).Password
            } elseif ($null -eq $value) {
                $value = [NullString]::Value   # unset; a plain $null would set ''
            }
            $saved[$key] = [Environment]::GetEnvironmentVariable($key)
            [Environment]::SetEnvironmentVariable($key, $value)
        }
        if ($environment.Count -gt 0) {
            Write-Debug "environment of this run: $(@($environment.Keys | Sort-Object) -join ', ')"
        }
        Write-Verbose "amlretrain $($argv -join ' ')"   # safe: no secrets on argv
        if ($Activity) {
            Write-Progress -Activity $Activity -Status 'Waiting for amlretrain'
        }
        try {
            @() | & $script:AmlrExe @argv 2>&1 | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) {
                    $err.Add("$_")
                } else {
                    $out.Add($_)
                }
            }
            $code = $LASTEXITCODE
        } catch [System.Management.Automation.CommandNotFoundException] {
            $launchError = $_
        } catch [System.ComponentModel.Win32Exception] {
            $launchError = $_
        }
    } finally {
        foreach ($key in $saved.Keys) {
            $value = $saved[$key]
            if ($null -eq $value) {
                $value = [NullString]::Value
            }
            [Environment]::SetEnvironmentVariable($key, $value)
        }
        if ([Console]::OutputEncoding.CodePage -ne $encoding.CodePage) {
            [Console]::OutputEncoding = $encoding
        }
        if ($Activity) {
            Write-Progress -Activity $Activity -Completed
        }
    }
    if ($launchError) {
        $exception = [System.Management.Automation.CommandNotFoundException]::new(
            "cannot run amlretrain '$($script:AmlrExe)': $($launchError.Exception.Message)",
            $launchError.Exception)
        $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $exception, 'AmlRetrain.ExecutableNotFound',
                [System.Management.Automation.ErrorCategory]::ObjectNotFound, $script:AmlrExe))
    }

    foreach ($line in $err) {
        if ($line.StartsWith('amlretrain: warning: ')) {
            Write-Warning $line.Substring(21)
        } elseif ($line.StartsWith('amlretrain: ')) {
            Write-Verbose $line.Substring(12)
        } elseif (-not $line.StartsWith('{"error"')) {
            Write-Debug $line
        }
    }
    $script:AmlrLastExitCode = $code
    if ($code -ne 0 -and $code -notin $AllowExitCode) {
        $record = ConvertTo-AmlrErrorRecord -ExitCode $code -Stderr $err -Target $Target
        $fatal = $code -in 3, 6, 7
        if ($code -in $NonTerminating) {
            $Caller.WriteError($record)
        } elseif ($PerItem -and -not $fatal -and $Caller.MyInvocation.ExpectingInput) {
            $Caller.WriteError($record)
            return
        } else {
            $Caller.ThrowTerminatingError($record)
        }
    }
    if ($out.Count -eq 0) {
        return
    }
    $text = $out -join "`n"
    if ($Raw) {
        return $text
    }
    if ($TypeName -and -not $script:AmlrFormatsLoaded) {
        # The views load with the first object rather than at import
        # (FormatsToProcess): Update-FormatData rebuilds the session's
        # whole format table, the largest part of the import time.
        # Not subject to the caller's -WhatIf or -Confirm: nothing changes.
        Update-FormatData -PrependPath ([System.IO.Path]::Combine($script:AmlrModuleBase, 'AmlRetrain.Format.ps1xml')) `
            -WhatIf:$false -Confirm:$false
        $script:AmlrFormatsLoaded = $true
    }
    ConvertFrom-AmlrJson -Json $text -TypeName $TypeName
}
