#!/usr/bin/env bash
# What Import-Module AmlRetrain adds to a bare pwsh start: the median of 5
# `pwsh -NoProfile -Command exit` beside the median of 5 with the import
# (issue 8: at most 150 ms more), wall-clock and CPU time, runs interleaved:
# the packaged module (psmodule/build-package.sh: one AmlRetrain.psm1 and
# MAML help, the form to install) and the source tree's (one file per
# function, comment-based help).  For scale, also the import of an empty module (a manifest
# and one function): what any module costs in that pwsh.
# Usage: ps-import.sh [RUNS]   (default 5)
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly ROOT
readonly RUNS="${1:-5}"
readonly SOURCE_MODULE="${ROOT}/psmodule/AmlRetrain/AmlRetrain.psd1"

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

main() {
  local pwsh i tmp
  if ! pwsh="$("${ROOT}/tests/test_helper/run-pester" --which-pwsh)"; then
    echo "ps-import: no pwsh (make deps installs it when dotnet is present): skipped"
    return 0
  fi
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -rf -- '${tmp}'" EXIT
  export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
  mkdir -p "${tmp}/Empty"
  "${ROOT}/psmodule/build-package.sh" "${tmp}/package"
  local module="${tmp}/package/AmlRetrain/AmlRetrain.psd1"
  printf '%s\n' "@{ RootModule = 'Empty.psm1'; ModuleVersion = '1.0'" \
    "FunctionsToExport = @('Get-Empty'); CmdletsToExport = @()" \
    'VariablesToExport = @(); AliasesToExport = @() }' >"${tmp}/Empty/Empty.psd1"
  echo 'function Get-Empty { }' >"${tmp}/Empty/Empty.psm1"
  # A first start of each warms the disk cache and pwsh's own caches.
  "${pwsh}" -NoProfile -NonInteractive -Command exit
  "${pwsh}" -NoProfile -NonInteractive -Command "Import-Module '${module}'"
  "${pwsh}" -NoProfile -NonInteractive -Command "Import-Module '${SOURCE_MODULE}'"
  for ((i = 0; i < RUNS; i++)); do
    measure "${pwsh}" -NoProfile -NonInteractive -Command exit >>"${tmp}/bare"
    measure "${pwsh}" -NoProfile -NonInteractive \
      -Command "Import-Module '${module}'" >>"${tmp}/import"
    measure "${pwsh}" -NoProfile -NonInteractive \
      -Command "Import-Module '${SOURCE_MODULE}'" >>"${tmp}/source"
    measure "${pwsh}" -NoProfile -NonInteractive \
      -Command "Import-Module '${tmp}/Empty/Empty.psd1'" >>"${tmp}/empty"
  done
  local bare_wall bare_cpu import_wall import_cpu empty_wall empty_cpu version
  local source_wall source_cpu
  bare_wall="$(cut -d' ' -f1 "${tmp}/bare" | median)"
  bare_cpu="$(cut -d' ' -f2 "${tmp}/bare" | median)"
  import_wall="$(cut -d' ' -f1 "${tmp}/import" | median)"
  import_cpu="$(cut -d' ' -f2 "${tmp}/import" | median)"
  source_wall="$(cut -d' ' -f1 "${tmp}/source" | median)"
  source_cpu="$(cut -d' ' -f2 "${tmp}/source" | median)"
  empty_wall="$(cut -d' ' -f1 "${tmp}/empty" | median)"
  empty_cpu="$(cut -d' ' -f2 "${tmp}/empty" | median)"
  # shellcheck disable=SC2016 # PowerShell code
  version="$("${pwsh}" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()')"
  printf '%-40s %10s %10s\n' "pwsh ${version}, median of ${RUNS}" 'wall ms' 'cpu ms'
  printf '%-40s %10d %10d\n' 'pwsh -NoProfile -Command exit' "${bare_wall}" "${bare_cpu}"
  printf '%-40s %10d %10d\n' '... Import-Module AmlRetrain' "${import_wall}" "${import_cpu}"
  printf '%-40s %10d %10d   (budget: 150 ms)\n' 'added by the import' \
    "$((import_wall - bare_wall))" "$((import_cpu - bare_cpu))"
  printf '%-40s %10d %10d\n' 'added by the source tree'\''s import' \
    "$((source_wall - bare_wall))" "$((source_cpu - bare_cpu))"
  printf '%-40s %10d %10d\n' 'added by an empty module (scale)' \
    "$((empty_wall - bare_wall))" "$((empty_cpu - bare_cpu))"
  printf 'BENCH|Import-Module AmlRetrain (packaged), added to a bare pwsh %s start (median of %s)|+%d ms wall, +%d ms CPU|%d ms wall, %d ms CPU (pwsh -NoProfile -Command exit); an empty module adds %d ms wall|%s|<= 150 ms added\n' \
    "${version}" "${RUNS}" "$((import_wall - bare_wall))" "$((import_cpu - bare_cpu))" \
    "${bare_wall}" "${bare_cpu}" "$((empty_wall - bare_wall))" \
    "$(awk -v a="${import_wall}" -v b="${bare_wall}" 'BEGIN { printf "%.2f", a / b }')"
}

main "$@"
