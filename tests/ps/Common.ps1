# SPDX-License-Identifier: MIT
# Dot-sourced by the Pester files' BeforeAll: paths, a private HOME, the
# emulator (one per file), its faults API, and the echo stand-in.

$script:RepoRoot = [System.IO.Path]::GetFullPath("$PSScriptRoot/../..")
# The module under test: the source tree's, or the packaged one that
# `make check-ps` builds and runs the suites against again (AMLR_PS_MODULE,
# the path of its manifest).
$script:ModulePath = if ($env:AMLR_PS_MODULE) {
    $env:AMLR_PS_MODULE
} else {
    "$RepoRoot/psmodule/AmlRetrain/AmlRetrain.psd1"
}
$script:Fixture = "$RepoRoot/tests/fixtures/definitions/retrain-sample.json"
$script:FixtureResource = "$RepoRoot/tests/fixtures/definitions/retrain-sample-resource.json"

# Nothing a test does may touch the real home or reach a real service.
# HOME, backups and the emulator's state live in a scratch folder of the
# run's temporary directory, not in TestDrive: Pester empties TestDrive of
# what each Describe block created when the block ends, which would pull
# files from under a running emulator.  Remove-TestScratch deletes it.
$script:Scratch = Join-Path ([System.IO.Path]::GetTempPath()) "amlr-ps-$([guid]::NewGuid().ToString('N'))"
$null = New-Item -ItemType Directory -Force -Path $Scratch
foreach ($name in 'AMLR_ACCESS_TOKEN', 'AZURE_CLIENT_SECRET', 'AZURE_STORAGE_CONNECTION_STRING',
    'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER',
    'MSI_ENDPOINT', 'AZURE_TOKEN_CREDENTIALS', 'AMLR_EXE', 'AMLR_CLOUD') {
    Remove-Item -Path "Env:$name" -ErrorAction Ignore   # not SetEnvironmentVariable($name, $null): that sets ''
}
$env:HOME = "$Scratch/home"
$env:XDG_CACHE_HOME = "$Scratch/home/.cache"
$env:AMLR_BACKUP_DIR = "$Scratch/backups"
# The credential chain's last resort probes IMDS: a closed loopback port.
$env:AZURE_POD_IDENTITY_AUTHORITY_HOST = 'http://127.0.0.1:9/'
$null = New-Item -ItemType Directory -Force -Path $env:HOME

function Import-EmulatorEnvironment {
    # Exports the emulator's env file (export NAME='value' lines) into this
    # process and returns them as a hashtable.
    param([Parameter(Mandatory)] [string] $Path)
    $values = @{}
    foreach ($line in [System.IO.File]::ReadAllLines($Path)) {
        if ($line -match "^export ([A-Za-z_][A-Za-z0-9_]*)='(.*)'$") {
            $values[$Matches[1]] = $Matches[2].Replace("'\''", "'")
            [Environment]::SetEnvironmentVariable($Matches[1], $values[$Matches[1]])
        }
    }
    return $values
}

function Start-TestEmulator {
    # Starts amlretrain-emulator on a free loopback port with its state in
    # the scratch folder, waits (10 s at most) for its env file and imports it.
    param([string[]] $ArgumentList = @())
    $dir = "$Scratch/emulator"
    $null = New-Item -ItemType Directory -Force -Path $dir
    $envFile = "$dir/emu.env"
    $exe = (Get-Command -Name 'amlretrain-emulator' -CommandType Application -ErrorAction Stop)[0].Source
    $arguments = @('--listen', '127.0.0.1:0', '--env-file', $envFile, '--state-dir', "$dir/state",
        '--log', "$dir/access.log") + $ArgumentList
    $process = Start-Process -FilePath $exe -ArgumentList $arguments -PassThru `
        -RedirectStandardOutput "$dir/stdout" -RedirectStandardError "$dir/stderr"
    for ($i = 0; $i -lt 200; $i++) {
        if ([System.IO.File]::Exists($envFile) -and (Get-Item $envFile).Length -gt 0) {
            $values = Import-EmulatorEnvironment -Path $envFile
            return [pscustomobject]@{ Process = $process; EnvFile = $envFile; Environment = $values }
        }
        if ($process.HasExited) {
            throw "the emulator exited: $(Get-Content -Raw "$dir/stderr")"
        }
        Start-Sleep -Milliseconds 50
    }
    $process.Kill()
    throw 'the emulator was not ready after 10 s'
}

function Stop-TestEmulator {
    # SIGTERM (a clean stop), then waits; SIGKILL after 10 s.
    param($Emulator)
    if (-not $Emulator -or $Emulator.Process.HasExited) {
        return
    }
    & kill -TERM $Emulator.Process.Id
    if (-not $Emulator.Process.WaitForExit(10000)) {
        $Emulator.Process.Kill()
    }
    # AMLR_PS_KEEP=DIR keeps the emulator's log and output for a post-mortem.
    if ($env:AMLR_PS_KEEP) {
        $keep = Join-Path $env:AMLR_PS_KEEP ([System.IO.Path]::GetFileName($Scratch))
        $null = New-Item -ItemType Directory -Force -Path $keep
        Copy-Item -Path "$Scratch/emulator/access.log", "$Scratch/emulator/stdout", "$Scratch/emulator/stderr" `
            -Destination $keep -ErrorAction Ignore
    }
}

function Remove-TestScratch {
    # Deletes the scratch folder (after Stop-TestEmulator), unless the
    # secret canary (tests/canary/run) keeps it to scan.
    if ($env:AMLR_PESTER_KEEP_TMP) { return }
    Remove-Item -LiteralPath $Scratch -Recurse -Force -ErrorAction Ignore
}

function Add-EmulatorFault {
    # Adds a fault through the emulator's admin API (the client never uses it).
    param([Parameter(Mandatory)] [hashtable] $Fault)
    $null = Invoke-RestMethod -Method Post -Uri "$env:AMLR_EMULATOR_URL/_emulator/faults" `
        -ContentType 'application/json' -Body ($Fault | ConvertTo-Json -Compress)
}

function Clear-EmulatorFault {
    $null = Invoke-RestMethod -Method Delete -Uri "$env:AMLR_EMULATOR_URL/_emulator/faults"
}

function New-EchoExe {
    # A stand-in for amlretrain (after Crescendo's EchoTool): appends one
    # JSON line per run to $env:ECHO_LOG with its argv, every AZURE_* and
    # AMLR_* variable of its environment, what its standard input is, and
    # the mode and content of the files named by --file=, --model-uri=@,
    # --sas-token=@, --from-job=, --input= and the sas:FILE of --input= and
    # --output=; then prints $env:ECHO_STDERR to stderr and the file
    # $env:ECHO_STDOUT (default: {}) to stdout, and exits $env:ECHO_EXIT.
    param([Parameter(Mandatory)] [string] $Directory)
    $path = "$Directory/echo-amlretrain"
    $script = @'
#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
files='{}'
argv='[]'
for arg in "$@"; do
  argv="$(jq -c --arg a "${arg}" '. + [$a]' <<<"${argv}")"
  case "${arg}" in
    --file=*) f="${arg#--file=}" ;;
    --model-uri=@*) f="${arg#--model-uri=@}" ;;
    --sas-token=@*) f="${arg#--sas-token=@}" ;;
    --from-job=*) f="${arg#--from-job=}" ;;
    --input=*=sas:* | --output=*=sas:*) f="${arg#*=sas:}" ;;
    --input=*) f="${arg#--input=}" ;;
    *) continue ;;
  esac
  if [[ -f "${f}" ]]; then
    files="$(jq -c --arg p "${f}" --arg m "$(stat -c %a "${f}")" --rawfile c "${f}" \
      '. + {($p): {mode: $m, content: $c}}' <<<"${files}")"
  fi
done
jq -nc --argjson argv "${argv}" --argjson files "${files}" \
  --arg stdin "$(readlink /proc/self/fd/0 || true)" \
  '{argv: $argv, stdin: $stdin, files: $files,
    env: ($ENV | with_entries(select(.key | test("^(AZURE_|AMLR_)"))))}' \
  >>"${ECHO_LOG:?}"
if [[ -n "${ECHO_STDERR:-}" ]]; then printf '%s\n' "${ECHO_STDERR}" >&2; fi
if [[ -n "${ECHO_STDOUT:-}" ]]; then cat -- "${ECHO_STDOUT}"; else echo '{}'; fi
exit "${ECHO_EXIT:-0}"
'@
    [System.IO.File]::WriteAllText($path, $script.Replace("`r`n", "`n"))
    & chmod 0755 $path
    return $path
}

function Get-EchoCall {
    # The runs the echo stand-in recorded, oldest first.
    # (The comma keeps a one-run list a list.)
    if (-not [System.IO.File]::Exists($env:ECHO_LOG)) {
        return , @()
    }
    return , @([System.IO.File]::ReadAllLines($env:ECHO_LOG) | ForEach-Object { $_ | ConvertFrom-Json -AsHashtable })
}
