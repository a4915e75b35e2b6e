#!/usr/bin/env bash
# Benchmark of issue 7 (fleet), against the emulator: `fleet set-model`
# over N classic endpoints (default 1000) with 20 ms injected latency per
# management request (a delay fault) and an emulator concurrency limit of
# 32, beside a sequential bash loop of curl doing the same PATCHes.
# Prints both times, the ratio (target: at least 20x) and the failures.
# Usage: fleet.sh [N]   Not a test: prints figures.
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly ROOT
export PATH="${AMLR_BUILD:-${ROOT}/build}/bin:${PATH}"
readonly N="${1:-1000}"
readonly LIMIT=32
readonly DELAY_MS=20
readonly MODEL='models/census-a.ilearner' # in the emulator's seed
readonly RESOURCE='Census Model [trained model]'

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
  echo "fleet.sh: $*" >&2
  exit 1
}

now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

# Start an emulator (in memory) with the concurrency limit; sources its env.
start() {
  local i
  amlretrain-emulator --env-file "${tmp}/env" --log "${tmp}/access.log" \
    --concurrency-limit "${LIMIT}" 2>"${tmp}/emulator.log" &
  pid=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s "${tmp}/env" ]] && break
    sleep 0.05
  done
  [[ -s "${tmp}/env" ]] || die "the emulator did not start"
  # shellcheck source=/dev/null
  source "${tmp}/env"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
}

# The sequential loop a script would run: one curl PATCH per endpoint,
# the token and the SAS in files (never on a command line).
curl_loop() {
  local base="${AMLR_MANAGEMENT_ENDPOINT}/workspaces/${AMLR_WORKSPACE_ID}/webservices/${AMLR_PREDICTIVE_WEBSERVICE_ID}/endpoints"
  local name code failed=0
  while IFS=, read -r name _; do
    code="$(curl -sS -o /dev/null -w '%{http_code}' -X PATCH \
      -H @"${tmp}/headers" --data-binary @"${tmp}/patch.json" \
      "${base}/${name}")" || code=000
    [[ "${code}" == 2* ]] || failed=$((failed + 1))
  done < <(tail -n +2 "${tmp}/targets.csv")
  echo "${failed}"
}

main() {
  local i t0 fleet_ms curl_ms fleet_failed curl_failed sas_url ratio
  tmp="$(mktemp -d)"
  trap cleanup EXIT
  start
  echo 'endpoint,model' >"${tmp}/targets.csv"
  for ((i = 1; i <= N; i++)); do
    printf 'bench-%04d,%s\n' "${i}" "${MODEL}" >>"${tmp}/targets.csv"
  done
  # Not timed: the endpoints exist before either contender runs.
  amlretrain fleet set-model --targets "${tmp}/targets.csv" --create \
    --concurrency "${LIMIT}" --state "${tmp}/setup.state" >/dev/null ||
    die "cannot create the ${N} endpoints"
  curl -sS -f -o /dev/null -X POST \
    --data "{\"path\": \"/workspaces/*/webservices/**\", \"kind\": \"delay\", \"delayMs\": ${DELAY_MS}}" \
    "${AMLR_EMULATOR_URL}/_emulator/faults"

  t0="$(now_ms)"
  fleet_failed="$(amlretrain fleet set-model --targets "${tmp}/targets.csv" \
    --concurrency "${LIMIT}" --state "${tmp}/bench.state" |
    jq '[.[] | select(.status != "done")] | length')" || true
  fleet_ms=$(($(now_ms) - t0))

  sas_url="$(amlretrain blob sas -c "${MODEL%%/*}" -n "${MODEL#*/}" |
    jq -r .url)"
  umask 077
  printf 'Authorization: Bearer %s\nContent-Type: application/json\n' \
    "${AMLR_WORKSPACE_TOKEN}" >"${tmp}/headers"
  jq -n --arg name "${RESOURCE}" --arg url "${sas_url}" '{Resources: [{
      Name: $name,
      Location: {BaseLocation: ($url | sub("/models/.*"; "/")),
                 RelativeLocation: ($url | sub("^.*/(?<p>models/[^?]*).*$"; "\(.p)")),
                 SasBlobToken: ($url | sub("^[^?]*"; ""))}}]}' \
    >"${tmp}/patch.json"
  t0="$(now_ms)"
  curl_failed="$(curl_loop)"
  curl_ms=$(($(now_ms) - t0))

  echo "fleet set-model: ${N} endpoints in ${fleet_ms} ms (PATCH and check each; ${LIMIT} at once), ${fleet_failed} failed"
  echo "curl loop:       ${N} PATCHes in ${curl_ms} ms (one at a time), ${curl_failed} failed"
  ratio="$(awk -v f="${fleet_ms}" -v c="${curl_ms}" \
    'BEGIN { printf "%.1f", c / (f ? f : 1) }')"
  echo "ratio:           ${ratio}x faster (target: at least 20x)"
  printf 'BENCH|fleet set-model, %s endpoints, %s ms latency, limit %s|%s ms (%s failed)|%s ms (curl loop, %s failed)|%sx faster|>= 20x faster, 0 failed\n' \
    "${N}" "${DELAY_MS}" "${LIMIT}" "${fleet_ms}" "${fleet_failed}" \
    "${curl_ms}" "${curl_failed}" "${ratio}"
}

main "$@"
