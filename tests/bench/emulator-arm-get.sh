#!/usr/bin/env bash
# Benchmark (issue 3): GET of a Resource Manager web service on loopback
# with wrk.  Target: >= 5,000 requests/s on 2 cores, p99 < 20 ms.
# Usage: emulator-arm-get.sh [SECONDS] [CONNECTIONS]   (default 10, 32)
# Not a test: prints the figures, exits 0 once it could measure.
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly ROOT
AMLR_BUILD="${AMLR_BUILD:-${ROOT}/build}"
EXAMPLE="${ROOT}/tests/fixtures/reference/arm-machinelearning/stable/2017-01-01/examples/putWebService.json"
readonly EXAMPLE

# Globals for the EXIT trap: the emulator's pid and the scratch directory.
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
  echo "emulator-arm-get: $*" >&2
  exit 1
}

main() {
  local seconds="${1:-10}" conns="${2:-32}" i status api
  command -v wrk >/dev/null || die "wrk is missing (make deps installs it)"
  [[ -x "${AMLR_BUILD}/bin/amlretrain-emulator" ]] ||
    die "no emulator in ${AMLR_BUILD}/bin (run make)"
  tmp="$(mktemp -d)"
  trap cleanup EXIT
  "${AMLR_BUILD}/bin/amlretrain-emulator" --listen 127.0.0.1:0 \
    --env-file "${tmp}/env" --provisioning-delay 0 \
    --arm-reads 1000000000 >"${tmp}/out" 2>"${tmp}/err" &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    [[ -s "${tmp}/env" ]] && break
    kill -0 "${pid}" 2>/dev/null || die "the emulator exited: $(cat "${tmp}/err")"
    sleep 0.05
  done
  # shellcheck source=/dev/null
  source "${tmp}/env"

  # A token for the seed's principal; the secret goes in a file.
  {
    printf 'grant_type=client_credentials&client_id=%s' "${AZURE_CLIENT_ID}"
    printf '&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default'
    printf '&client_secret='
    jq -jn --arg s "${AZURE_CLIENT_SECRET}" '$s|@uri'
  } >"${tmp}/form"
  curl -sS --data-binary "@${tmp}/form" \
    "${AZURE_AUTHORITY_HOST}${AZURE_TENANT_ID}/oauth2/v2.0/token" |
    jq -jr '.access_token' >"${tmp}/token"
  [[ -s "${tmp}/token" ]] || die "no token"
  printf 'Authorization: Bearer %s\n' "$(cat "${tmp}/token")" >"${tmp}/auth"

  # The spec example's web service (a 5 kB definition).
  api='api-version=2017-01-01'
  local path="/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/${AMLR_RESOURCE_GROUP}/providers/Microsoft.MachineLearning/webServices/bench"
  jq '.parameters.createOrUpdatePayload' "${EXAMPLE}" >"${tmp}/body.json"
  status="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "@${tmp}/auth" \
    -H 'Content-Type: application/json' --data-binary "@${tmp}/body.json" \
    "${AMLR_EMULATOR_URL}${path}?${api}")"
  [[ "${status}" == 201 ]] || die "PUT answered ${status}"
  status="$(curl -sS -o "${tmp}/get.json" -w '%{http_code}' \
    -H "@${tmp}/auth" "${AMLR_EMULATOR_URL}${path}?${api}")"
  [[ "${status}" == 200 ]] || die "GET answered ${status}"

  # wrk reads the token from a file: it never reaches a command line.
  cat >"${tmp}/auth.lua" <<EOF
local f = assert(io.open("${tmp}/token"))
wrk.headers["Authorization"] = "Bearer " .. f:read("*a")
f:close()
local non200 = 0
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
EOF
  echo "GET ${path}?${api}: $(stat -c %s "${tmp}/get.json") bytes," \
    "${seconds} s, ${conns} connections, 2 threads, $(nproc) cores"
  wrk -t2 -c"${conns}" -d"${seconds}s" --latency -s "${tmp}/auth.lua" \
    "${AMLR_EMULATOR_URL}${path}?${api}" | tee "${tmp}/wrk"
  if grep -q 'Non-2xx' "${tmp}/wrk"; then
    die "some answers were not 200"
  fi
  awk '/Requests\/sec/ {rps = $2}
       $1 == "99%" {p99 = $2}
       END {printf "emulator-arm-get: %s requests/s, p99 %s (target >= 5000/s, < 20ms)\n", rps, p99
         # The rows of docs/BENCHMARKS.md (tests/bench/report).
         printf "BENCH|emulator: GET of a Resource Manager web service, requests/s|%s req/s|none|-|>= 5000 req/s\n", rps
         printf "BENCH|emulator: GET of a Resource Manager web service, p99 latency|%s|none|-|< 20 ms\n", p99}' \
    "${tmp}/wrk"
}

main "$@"
