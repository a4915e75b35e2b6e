# SPDX-License-Identifier: MIT
# Checks a pwsh built from this project (scripts/install-deps,
# install_pwsh_r2r): prints its version, whether System.Management.Automation
# is ReadyToRun, and where Get-Date comes from (the built-in modules under
# $PSHOME/Modules), after using the cmdlets and views every script relies
# on.  Throws on any failure.
$ErrorActionPreference = 'Stop'
$sma = [System.Management.Automation.PSObject].Assembly.Location
$stream = [System.IO.File]::OpenRead($sma)
try {
    $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
    # A ReadyToRun image has a native header; an IL-only one has none.
    $r2r = $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0
} finally {
    $stream.Dispose()
}
$kind = if ($r2r) { 'ReadyToRun' } else { 'IL-only' }
$table = '{"answer":42}' | ConvertFrom-Json | Out-String
if ($table -notmatch 'answer\s+-+\s+42') {
    throw "ConvertFrom-Json | Out-String printed '$table'"
}
# The built-in views: a process as a table under its column headers.
$process = Get-Process -Id $PID | Out-String
if ($process -notmatch 'ProcessName') {
    throw "Get-Process | Out-String printed '$process'"
}
Update-FormatData
'{0} {1} {2}' -f $PSVersionTable.PSVersion, $kind, (Get-Command Get-Date).Source
