#!/usr/bin/env bats
# Crash safety (issue #10, item 3): the emulator killed with -9 at random
# points (seeded: AMLR_CRASH_SEED, default 42; 13 trials per operation, 52
# in all) while a client uploads a multi-block blob, swaps an endpoint's
# model, swaps a web service's model or runs a batch job.  After a restart
# every resource is in its old or its new state, never a mix; no
# uncommitted blob is visible; no job is left Running.
# shellcheck disable=SC2154 # output: set by bats' run

bats_require_minimum_version 1.5.0

TRIALS=13

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  RANDOM="${AMLR_CRASH_SEED:-42}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export AMLR_HTTP_RETRIES=1 AMLR_HTTP_RETRY_DELAY_MS=10 AMLR_HTTP_TIMEOUT=5
  emu_start --provisioning-delay 100
  export AZURE_STORAGE_CONNECTION_STRING
}

teardown() {
  [[ -n "${client:-}" ]] && kill -9 "${client}" 2>/dev/null
  emu_stop KILL || true
}

# Run "$@" in the background, kill -9 the emulator 0-250 ms later, let the
# client fail, and start the emulator again on the same state.
crash_during() {
  "$@" >/dev/null 2>&1 3>&- &
  client=$!
  sleep "0.$(printf '%03d' $((RANDOM % 250)))"
  emu_stop KILL || true
  wait "${client}" 2>/dev/null || true
  client=
  emu_start --provisioning-delay 100
  export AZURE_STORAGE_CONNECTION_STRING
}

@test "a multi-block upload killed anywhere: the blob is the old or the new one, whole" {
  local trial got
  head -c $((3 * 1024 * 1024)) /dev/urandom >"${BATS_TEST_TMPDIR}/v0"
  amlretrain blob upload -c crash -n big.bin -f "${BATS_TEST_TMPDIR}/v0" \
    --create-container >/dev/null
  for ((trial = 1; trial <= TRIALS; trial++)); do
    head -c $((3 * 1024 * 1024)) /dev/urandom >"${BATS_TEST_TMPDIR}/v${trial}"
    crash_during amlretrain blob upload -c crash -n big.bin \
      -f "${BATS_TEST_TMPDIR}/v${trial}" --block-size 256K --parallel 2
    rm -f "${BATS_TEST_TMPDIR}/got"
    amlretrain blob download -c crash -n big.bin -f "${BATS_TEST_TMPDIR}/got"
    got=
    for v in "${BATS_TEST_TMPDIR}"/v*; do
      cmp -s "${v}" "${BATS_TEST_TMPDIR}/got" && got="${v}"
    done
    [[ -n "${got}" ]] || { echo "trial ${trial}: a blob that is no version" >&2; false; }
    # The newest becomes the reference only if it was committed.
    cmp -s "${got}" "${BATS_TEST_TMPDIR}/v${trial}" ||
      cp "${got}" "${BATS_TEST_TMPDIR}/v${trial}"
    # Only the committed blob is listed.
    run -0 amlretrain blob list -c crash
    assert_equal "$(jq length <<<"${output}")" 1
  done
}

@test "an endpoint's model swap killed anywhere: the old model or the new one" {
  local trial want before after
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  amlretrain blob download -c models -n census-a.ilearner \
    -f "${BATS_TEST_TMPDIR}/m.ilearner"
  for m in a b; do
    amlretrain blob upload -c crash -n "${m}.ilearner" --create-container \
      -f "${BATS_TEST_TMPDIR}/m.ilearner" >/dev/null
  done
  amlretrain endpoint add -n crash-ep >/dev/null 2>&1
  ep() { amlretrain endpoint get -n crash-ep |
    jq -r '.Resources[0].Location.RelativeLocation'; }
  for ((trial = 1; trial <= TRIALS; trial++)); do
    before="$(ep)"
    want=crash/a.ilearner
    [[ "${before}" == */a.ilearner ]] && want=crash/b.ilearner
    crash_during amlretrain endpoint set-model -n crash-ep \
      --base-location "${AMLR_EMULATOR_URL}/devstoreaccount1/" \
      --relative-location "${want}"
    after="$(ep)"
    [[ "${after}" == "${before}" || "${after}" == "${want}" ]] ||
      { echo "trial ${trial}: ${after}" >&2; false; }
  done
}

@test "a web service's model swap killed anywhere: the old model or the new one, and it settles" {
  local trial want before after uri
  amlretrain blob download -c models -n census-a.ilearner \
    -f "${BATS_TEST_TMPDIR}/m.ilearner"
  for m in a b; do
    amlretrain blob upload -c crash -n "${m}.ilearner" --create-container \
      -f "${BATS_TEST_TMPDIR}/m.ilearner" >/dev/null
  done
  ws() { amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" |
    jq -r '.properties.assets[] | select(.type == "Resource")
           | .locationInfo.uri'; }
  for ((trial = 1; trial <= TRIALS; trial++)); do
    before="$(ws)"
    want=a
    [[ "${before}" == */a.ilearner ]] && want=b
    uri="${BATS_TEST_TMPDIR}/${want}.url"
    amlretrain blob sas -c crash -n "${want}.ilearner" -p r -e 2h |
      jq -r .url >"${uri}"
    crash_during amlretrain webservice set-model -n "${AMLR_PREDICTIVE_NAME}" \
      --model-uri "@${uri}"
    after="$(ws)"
    [[ "${after}" == "${before}" || "${after}" == */crash/${want}.ilearner ]] ||
      { echo "trial ${trial}: ${after}" >&2; false; }
    # an operation in flight at the kill ends: the service settles
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" |
        jq -e '.properties.provisioningState == "Succeeded"' >/dev/null && break
      sleep 0.2
    done
    amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" |
      jq -e '.properties.provisioningState == "Succeeded"' >/dev/null
  done
}

@test "a batch job killed anywhere: Finished or Failed after the restart, never left Running" {
  local trial id state key="${BATS_TEST_TMPDIR}/key" api
  printf '%s' "${AMLR_TRAINING_ENDPOINT_API_KEY}" >"${key}"
  amlretrain blob upload -c crash -n train.csv --create-container \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  for ((trial = 1; trial <= TRIALS; trial++)); do
    api="${AMLR_TRAINING_ENDPOINT_API_LOCATION}"
    amlretrain job submit --api-location "${api}" --api-key-file "${key}" \
      --input input1=crash/train.csv \
      --output "output1=crash/m${trial}.ilearner" >"${BATS_TEST_TMPDIR}/id"
    id="$(jq -r . "${BATS_TEST_TMPDIR}/id")"
    amlretrain job start --api-location "${api}" --api-key-file "${key}" \
      --job "${id}"
    # the job runs in the emulator: kill it at some point of the run
    crash_during true
    run -0 amlretrain job status --api-location \
      "${AMLR_TRAINING_ENDPOINT_API_LOCATION}" --api-key-file "${key}" \
      --job "${id}"
    state="$(jq -r .StatusCode <<<"${output}")"
    case "${state}" in
    Finished)
      # its model is whole: the blob exists, committed
      amlretrain blob show -c crash -n "m${trial}.ilearner" >/dev/null ;;
    Failed)
      jq -e '.Details | length > 0' <<<"${output}" >/dev/null ;;
    *) echo "trial ${trial}: ${state} after a restart" >&2; false ;;
    esac
  done
}
