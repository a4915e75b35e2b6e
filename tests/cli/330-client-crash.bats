#!/usr/bin/env bats
# The client killed with -9 at random points (issue #10, item 3; seeded:
# AMLR_CRASH_SEED, default 7; 12 trials each) while it swaps a web
# service's or an endpoint's model: the service holds the old model or the
# new one; every backup file is whole (parses) and private; running the
# same command again converges on the new model.  (Downloads: 210; fleets:
# 520.)
# shellcheck disable=SC2154 # output: set by bats' run

bats_require_minimum_version 1.5.0

TRIALS=12

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  RANDOM="${AMLR_CRASH_SEED:-7}"
  emu_start --provisioning-delay 150
  export AZURE_STORAGE_CONNECTION_STRING
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  amlretrain blob download -c models -n census-a.ilearner \
    -f "${BATS_TEST_TMPDIR}/m.ilearner" >/dev/null
  for m in a b; do
    amlretrain blob upload -c crash -n "${m}.ilearner" --create-container \
      -f "${BATS_TEST_TMPDIR}/m.ilearner" >/dev/null
    amlretrain blob sas -c crash -n "${m}.ilearner" -p r -e 2h |
      jq -r .url >"${BATS_TEST_TMPDIR}/${m}.url"
  done
}

teardown() {
  emu_stop
}

# Run "$@" and kill -9 it 0-400 ms later (if it is still running).
killed_during() {
  "$@" >/dev/null 2>&1 3>&- &
  local pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  kill -9 "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}

# Every backup file parses and is private.
backups_whole() {
  local f
  while IFS= read -r f; do
    jq -e . "${f}" >/dev/null || { echo "a partial backup: ${f}" >&2; return 1; }
    [[ "$(stat -c %a "${f}")" == 600 ]] || { echo "${f} is not 0600" >&2; return 1; }
  done < <(find "${AMLR_BACKUP_DIR}" -type f -name '*.json')
  [[ ! -d "${AMLR_BACKUP_DIR}" || "$(stat -c %a "${AMLR_BACKUP_DIR}")" == 700 ]]
}

@test "webservice set-model killed anywhere: old or new model, whole backups, a re-run converges" {
  local trial want before after
  ws() { amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" |
    jq -r '.properties.assets[] | select(.type == "Resource")
           | .locationInfo.uri'; }
  for ((trial = 1; trial <= TRIALS; trial++)); do
    before="$(ws)"
    want=a
    [[ "${before}" == */crash/a.ilearner ]] && want=b
    killed_during amlretrain webservice set-model -n "${AMLR_PREDICTIVE_NAME}" \
      --model-uri "@${BATS_TEST_TMPDIR}/${want}.url"
    after="$(ws)"
    [[ "${after}" == "${before}" || "${after}" == */crash/${want}.ilearner ]] ||
      { echo "trial ${trial}: ${after}" >&2; false; }
    backups_whole
    # the same command again ends with the new model
    amlretrain webservice set-model -n "${AMLR_PREDICTIVE_NAME}" \
      --model-uri "@${BATS_TEST_TMPDIR}/${want}.url" >/dev/null 2>&1
    [[ "$(ws)" == */crash/${want}.ilearner ]]
  done
}

@test "endpoint set-model killed anywhere: old or new model, whole backups, a re-run converges" {
  local trial want before after
  amlretrain endpoint add -n crash-ep >/dev/null 2>&1
  ep() { amlretrain endpoint get -n crash-ep |
    jq -r '.Resources[0].Location.RelativeLocation'; }
  for ((trial = 1; trial <= TRIALS; trial++)); do
    before="$(ep)"
    want=crash/a.ilearner
    [[ "${before}" == */a.ilearner ]] && want=crash/b.ilearner
    killed_during amlretrain endpoint set-model -n crash-ep \
      --base-location "${AMLR_EMULATOR_URL}/devstoreaccount1/" \
      --relative-location "${want}"
    after="$(ep)"
    [[ "${after}" == "${before}" || "${after}" == "${want}" ]] ||
      { echo "trial ${trial}: ${after}" >&2; false; }
    backups_whole
    amlretrain endpoint set-model -n crash-ep \
      --base-location "${AMLR_EMULATOR_URL}/devstoreaccount1/" \
      --relative-location "${want}" >/dev/null 2>&1
    [[ "$(ep)" == "${want}" ]]
  done
}
