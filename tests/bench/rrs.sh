#!/usr/bin/env bash
# Benchmark (issue 6): RRS single-row scoring on the emulator (the census
# predictive web service, a real model behind it) with wrk on loopback:
# at least 5,000 requests/s, p99 under 20 ms.  Baseline in the same run,
# same wrk settings: the emulator's GET /health (no auth, no model).
# Usage: rrs.sh [SECONDS] [CONNECTIONS]   (default 10, 8: under the web
# service's 20 concurrent calls, beyond which it answers 503).  Not a
# test: prints figures and BENCH| lines (tests/bench/report).
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly ROOT
AMLR_BUILD="${AMLR_BUILD:-${ROOT}/build}"
export PATH="${AMLR_BUILD}/bin:${PATH}"

pid=""
tmp=""

cleanup() {
  if [[ -n "${pid}" ]]; then
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  fi
  [[ -z "${tmp}" ]] || rm -rf -- "${tmp}"
}

die() {
  echo "rrs: $*" >&2
  exit 1
}

# Requests/s and p99 (ms) of a wrk --latency report; fails on errors.
# Arguments: the report.
# Outputs: "RPS P99MS"
figures() {
  if grep -qE 'Non-2xx|Socket errors' "$1"; then
    die "wrk saw errors: $(grep -E 'Non-2xx|Socket errors' "$1")"
  fi
  awk '/Requests\/sec/ { rps = $2 }
    $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }
    END { printf "%.0f %.2f\n", rps, p99 }' "$1"
}

main() {
  local seconds="${1:-10}" conns="${2:-8}" i loc ours base
  command -v wrk >/dev/null || die "wrk is missing (make deps installs it)"
  [[ -x "${AMLR_BUILD}/bin/amlretrain-emulator" ]] ||
    die "no emulator in ${AMLR_BUILD}/bin (run make)"
  tmp="$(mktemp -d)"
  trap cleanup EXIT
  export HOME="${tmp}"
  # Scoring is not Resource Manager: no ARM budget to lift.
  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${tmp}/env" \
    --state-dir "${tmp}/state" >/dev/null 2>"${tmp}/emu.err" 3>&- &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    [[ -s "${tmp}/env" ]] && break
    kill -0 "${pid}" 2>/dev/null || die "the emulator exited: $(cat "${tmp}/emu.err")"
    sleep 0.05
  done
  # shellcheck source=/dev/null
  source "${tmp}/env"

  # The predictive web service's RRS URL, and its key in a 0600 file
  # that the Lua script reads: the key never reaches a command line.
  loc="$(amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" \
    | jq -r '.properties.swaggerLocation | sub("/swagger.json$"; "")')"
  (umask 077 && amlretrain webservice keys -n "${AMLR_PREDICTIVE_NAME}" \
    | jq -jr .primary >"${tmp}/key")
  # One census row, the classic ("details") request format.
  head -n 2 "${AMLR_DATA_DIR}/census-b-holdout.csv" | jq -Rsc '
    split("\n") | map(select(length > 0) | split(","))
    | {Inputs: {input1: {ColumnNames: .[0], Values: .[1:]}},
       GlobalParameters: {}}' >"${tmp}/body.json"
  cat >"${tmp}/post.lua" <<LUA
local f = assert(io.open("${tmp}/key"))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()
f = assert(io.open("${tmp}/body.json"))
wrk.body = f:read("*a")
f:close()
LUA
  # Check the request once: a scored row comes back.
  amlretrain score --api-location "${loc}" --api-key-file "${tmp}/key" \
    --input "${tmp}/body.json" \
    | jq -e '.Results.output1.value.Values[0] | length == 17' >/dev/null ||
    die "the scoring request does not score"

  echo "RRS single-row scoring: ${seconds} s, ${conns} connections," \
    "2 threads, $(nproc) cores"
  wrk -t2 -c"${conns}" -d"${seconds}s" --latency -s "${tmp}/post.lua" \
    "${loc}/execute?api-version=2.0&details=true" | tee "${tmp}/ours"
  echo "Baseline: GET /health, the same settings"
  wrk -t2 -c"${conns}" -d"${seconds}s" --latency \
    "${AMLR_EMULATOR_URL}/health" | tee "${tmp}/base"
  read -r -a ours < <(figures "${tmp}/ours")
  read -r -a base < <(figures "${tmp}/base")
  printf 'BENCH|RRS single-row scoring, requests/s (wrk, %s connections)|%s req/s|%s req/s (GET /health)|%s|>= 5000 req/s\n' \
    "${conns}" "${ours[0]}" "${base[0]}" \
    "$(awk -v a="${ours[0]}" -v b="${base[0]}" 'BEGIN { printf "%.2f", a / b }')"
  printf 'BENCH|RRS single-row scoring, p99 latency|%s ms|%s ms (GET /health)|%s|< 20 ms\n' \
    "${ours[1]}" "${base[1]}" \
    "$(awk -v a="${ours[1]}" -v b="${base[1]}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')"
}

main "$@"
