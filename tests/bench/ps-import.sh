#!/usr/bin/env bash
# What Import-Module AmlRetrain adds to a bare pwsh start: the median of 11
# `pwsh -NoProfile -Command exit` beside the median of 11 with the import
# (issue 8: at most 150 ms more, median of 5; a pwsh start here varies by
# +-150 ms from run to run), wall-clock and CPU time, runs interleaved:
# the packaged module (psmodule/build-package.sh, the form to install: MAML
# help, the public functions' param blocks in AmlRetrain.psm1, their
# bodies and the private functions parsed at the first call) and the
# source tree's (one file per function, comment-based help).  Also what
# the import and a first command (Disconnect-AmlAccount, which runs no
# amlretrain) add, where the packaged module's bodies are parsed, and for
# scale the import of an empty module (a manifest and one function): what
# any module costs in that pwsh.  Every command ends with 'exit', as the
# bare one does: pwsh takes a slower way out of a -Command without it.
# Measured in the pwsh of `make deps` (the .NET tool: IL-only assemblies,
# JIT-compiled at every start) and, when `make deps` could build it, in the
# same pwsh built ReadyToRun as the official packages ship it
# (tests/bench/pwsh-r2r, scripts/install-deps): one BENCH line for each.
# Usage: ps-import.sh [RUNS]   (default 11)
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly ROOT
readonly RUNS="${1:-11}"
readonly SOURCE_MODULE="${ROOT}/psmodule/AmlRetrain/AmlRetrain.psd1"
# Where scripts/install-deps builds the ReadyToRun pwsh (AMLR_PWSH_R2R
# names another).
TOOLS_DIR="${AMLR_TOOLS_DIR:-${HOME}/.cache/amlretrain/tools}"
readonly TOOLS_DIR
readonly PWSH_VERSION=7.6.9

# Runs a command; prints "WALL_MS CPU_MS" (CPU: user + system, GNU time).
measure() {
  local t0 t1 cpu
  t0="$(date +%s%N)"
  cpu="$(/usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -n 1)"
  t1="$(date +%s%N)"
  awk -v w="$(((t1 - t0) / 1000000))" -v c="${cpu}" \
    'BEGIN { split(c, a, " "); printf "%d %d\n", w, (a[1] + a[2]) * 1000 }'
}

# The median of the numbers on standard input.
median() {
  sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# One round in PWSH, each scenario's "WALL_MS CPU_MS" appended to
# PREFIX.bare, .import, .first, .source and .empty.
round() {
  local prefix="$1" pwsh="$2" module="$3" empty="$4"
  measure "${pwsh}" -NoProfile -NonInteractive -Command exit >>"${prefix}.bare"
  measure "${pwsh}" -NoProfile -NonInteractive \
    -Command "Import-Module '${module}'; exit" >>"${prefix}.import"
  measure "${pwsh}" -NoProfile -NonInteractive \
    -Command "Import-Module '${module}'; Disconnect-AmlAccount; exit" >>"${prefix}.first"
  measure "${pwsh}" -NoProfile -NonInteractive \
    -Command "Import-Module '${SOURCE_MODULE}'; exit" >>"${prefix}.source"
  measure "${pwsh}" -NoProfile -NonInteractive \
    -Command "Import-Module '${empty}'; exit" >>"${prefix}.empty"
}

# A first start of each scenario warms the disk cache and pwsh's own.
warm() {
  local pwsh="$1" module="$2" empty="$3"
  "${pwsh}" -NoProfile -NonInteractive -Command exit
  "${pwsh}" -NoProfile -NonInteractive -Command "Import-Module '${module}'"
  "${pwsh}" -NoProfile -NonInteractive -Command "Import-Module '${module}'; Disconnect-AmlAccount"
  "${pwsh}" -NoProfile -NonInteractive -Command "Import-Module '${SOURCE_MODULE}'"
  "${pwsh}" -NoProfile -NonInteractive -Command "Import-Module '${empty}'"
}

# Prints the table and the BENCH line of the rounds in PREFIX.*; NAME is
# the pwsh's ("pwsh 7.6.9"), NOTE what the scenario says of it after
# "start" (", as ...", or nothing).
summary() {
  local prefix="$1" name="$2" note="${3:-}"
  local bare_wall bare_cpu import_wall import_cpu empty_wall empty_cpu
  local source_wall source_cpu first_wall first_cpu
  bare_wall="$(cut -d' ' -f1 "${prefix}.bare" | median)"
  bare_cpu="$(cut -d' ' -f2 "${prefix}.bare" | median)"
  import_wall="$(cut -d' ' -f1 "${prefix}.import" | median)"
  import_cpu="$(cut -d' ' -f2 "${prefix}.import" | median)"
  first_wall="$(cut -d' ' -f1 "${prefix}.first" | median)"
  first_cpu="$(cut -d' ' -f2 "${prefix}.first" | median)"
  source_wall="$(cut -d' ' -f1 "${prefix}.source" | median)"
  source_cpu="$(cut -d' ' -f2 "${prefix}.source" | median)"
  empty_wall="$(cut -d' ' -f1 "${prefix}.empty" | median)"
  empty_cpu="$(cut -d' ' -f2 "${prefix}.empty" | median)"
  printf '%-40s %10s %10s\n' "${name}, median of ${RUNS}" 'wall ms' 'cpu ms'
  printf '%-40s %10d %10d\n' 'pwsh -NoProfile -Command exit' "${bare_wall}" "${bare_cpu}"
  printf '%-40s %10d %10d\n' '... Import-Module AmlRetrain' "${import_wall}" "${import_cpu}"
  printf '%-40s %10d %10d   (budget: 150 ms)\n' 'added by the import' \
    "$((import_wall - bare_wall))" "$((import_cpu - bare_cpu))"
  printf '%-40s %10d %10d\n' 'added by the import and a first command' \
    "$((first_wall - bare_wall))" "$((first_cpu - bare_cpu))"
  printf '%-40s %10d %10d\n' 'added by the source tree'\''s import' \
    "$((source_wall - bare_wall))" "$((source_cpu - bare_cpu))"
  printf '%-40s %10d %10d\n' 'added by an empty module (scale)' \
    "$((empty_wall - bare_wall))" "$((empty_cpu - bare_cpu))"
  printf 'BENCH|Import-Module AmlRetrain (packaged), added to a bare %s start%s (median of %s)|+%d ms wall, +%d ms CPU|%d ms wall, %d ms CPU (pwsh -NoProfile -Command exit); an empty module adds %d ms wall|%s|<= 150 ms added\n' \
    "${name}" "${note}" "${RUNS}" "$((import_wall - bare_wall))" "$((import_cpu - bare_cpu))" \
    "${bare_wall}" "${bare_cpu}" "$((empty_wall - bare_wall))" \
    "$(awk -v a="${import_wall}" -v b="${bare_wall}" 'BEGIN { printf "%.2f", a / b }')"
}

# The pwsh version PWSH reports.
version_of() {
  # shellcheck disable=SC2016 # PowerShell code
  "$1" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'
}

main() {
  local pwsh r2r='' i tmp
  if ! pwsh="$("${ROOT}/tests/test_helper/run-pester" --which-pwsh)"; then
    echo "ps-import: no pwsh (make deps installs it when dotnet is present): skipped"
    return 0
  fi
  if [[ -n "${AMLR_PWSH_R2R:-}" ]]; then
    r2r="${AMLR_PWSH_R2R}"
  elif [[ -x "${TOOLS_DIR}/pwsh-r2r-${PWSH_VERSION}/pwsh" ]]; then
    r2r="${TOOLS_DIR}/pwsh-r2r-${PWSH_VERSION}/pwsh"
  fi
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -rf -- '${tmp}'" EXIT
  export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
  mkdir -p "${tmp}/Empty"
  "${ROOT}/psmodule/build-package.sh" "${tmp}/package"
  local module="${tmp}/package/AmlRetrain/AmlRetrain.psd1"
  local empty="${tmp}/Empty/Empty.psd1"
  printf '%s\n' "@{ RootModule = 'Empty.psm1'; ModuleVersion = '1.0'" \
    "FunctionsToExport = @('Get-Empty'); CmdletsToExport = @()" \
    'VariablesToExport = @(); AliasesToExport = @() }' >"${empty}"
  echo 'function Get-Empty { }' >"${tmp}/Empty/Empty.psm1"
  warm "${pwsh}" "${module}" "${empty}"
  [[ -z "${r2r}" ]] || warm "${r2r}" "${module}" "${empty}"
  # The two pwsh alternate, so that the load of the moment weighs on both.
  for ((i = 0; i < RUNS; i++)); do
    round "${tmp}/tool" "${pwsh}" "${module}" "${empty}"
    [[ -z "${r2r}" ]] || round "${tmp}/r2r" "${r2r}" "${module}" "${empty}"
  done
  summary "${tmp}/tool" "pwsh $(version_of "${pwsh}")"
  if [[ -z "${r2r}" ]]; then
    echo "ps-import: no ReadyToRun pwsh (make deps builds it into ${TOOLS_DIR}/pwsh-r2r-${PWSH_VERSION}): measured in the .NET tool's only"
    return 0
  fi
  echo
  summary "${tmp}/r2r" "pwsh $(version_of "${r2r}") ReadyToRun" \
    ', as the official packages ship it'
}

main "$@"
