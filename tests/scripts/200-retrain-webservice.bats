#!/usr/bin/env bats
# scripts/retrain-webservice: the documented "new web service" steps
# (../shared/reference/notes/classic-bes-rrs.md §5.5: sign in, get,
# export, edit the '[trained model]' asset's locationInfo.uri without the
# SAS, import, update) against a fresh emulator.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 50
  export EMU_ENV_FILE
  # A retrained model: the training service's batch job on the drifted
  # data (the job status JSON that --from-job reads).
  AMLR_API_LOCATION="${AMLR_TRAINING_API_LOCATION}" \
    AMLR_API_KEY="${AMLR_TRAINING_API_KEY}" \
    amlretrain job run --input "input1=@${AMLR_DATA_DIR}/census-b.csv" \
    --output output1=models/retrained.ilearner \
    --output output2=models/evaluation.csv >"${BATS_FILE_TMPDIR}/job.json"
}

teardown_file() {
  emu_stop
}

setup() {
  load '../test_helper/common'
  # common unsets the secrets; the emulator's env file brings them back.
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  SCRIPT="${AMLR_ROOT}/scripts/retrain-webservice"
}

# The model URI the predictive web service serves now.
served_model() {
  amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" | jq -r '
    .properties.assets[] | select(.type == "Resource") | .locationInfo.uri'
}

@test "retrain-webservice --from-job: seven visible steps, the web service serves the job's model" {
  local before
  before="$(served_model)"
  run -0 --separate-stderr "${SCRIPT}" -n "${AMLR_PREDICTIVE_NAME}" \
    --from-job "${BATS_FILE_TMPDIR}/job.json"
  local i
  for i in 1 2 3 4 5 6 7; do
    [[ "${stderr}" == *"step ${i}/7: "* ]]
  done
  [[ "${stderr}" == *"step 1/7: sign in (amlretrain login)"* ]]
  [[ "${stderr}" == *"step 5/7: import the patched file (offline check)"* ]]
  jq -e --arg b "${before}" --arg e "${AMLR_EMULATOR_URL}" '
    .name == "census-predictive" and .previousModelUri == $b
    and .modelUri == $e + "/devstoreaccount1/models/retrained.ilearner"
    and .provisioningState == "Succeeded"' <<<"${output}"
  [[ "$(served_model)" == "${AMLR_EMULATOR_URL}/devstoreaccount1/models/retrained.ilearner" ]]
  # update backed the old definition up first (rollback's input).
  compgen -G "${AMLR_BACKUP_DIR}/*census-predictive*.json" >/dev/null
}

@test "retrain-webservice --model-uri @FILE: a SAS URL from a file; the service gets it without the SAS, nobody sees the SAS" {
  local sas
  # Another model: upload the job's model under a second name.
  amlretrain blob download -c models -n retrained.ilearner \
    -f "${BATS_TEST_TMPDIR}/m.ilearner" >/dev/null
  amlretrain blob upload -c models -n second.ilearner \
    -f "${BATS_TEST_TMPDIR}/m.ilearner" >/dev/null
  amlretrain blob sas -c models -n second.ilearner -p r -e 2h \
    | jq -r .url >"${BATS_TEST_TMPDIR}/sas-url.txt"
  sas="$(cut -d'?' -f2 "${BATS_TEST_TMPDIR}/sas-url.txt")"
  [[ "${sas}" == *sig=* ]]
  run -0 --separate-stderr "${SCRIPT}" -n "${AMLR_PREDICTIVE_NAME}" \
    --model-uri "@${BATS_TEST_TMPDIR}/sas-url.txt" \
    --work-dir "${BATS_TEST_TMPDIR}/work"
  jq -e --arg e "${AMLR_EMULATOR_URL}" \
    '.modelUri == $e + "/devstoreaccount1/models/second.ilearner"' \
    <<<"${output}"
  [[ "$(served_model)" == "${AMLR_EMULATOR_URL}/devstoreaccount1/models/second.ilearner" ]]
  [[ "${output}${stderr}" != *"${sas}"* ]]
  # --work-dir keeps the exported and patched definitions, SAS-free.
  [[ -s "${BATS_TEST_TMPDIR}/work/webservice.json" ]]
  jq -e '.properties.assets[] | select(.type == "Resource")
    | .locationInfo.uri | endswith("/models/second.ilearner")' \
    "${BATS_TEST_TMPDIR}/work/webservice-patched.json"
  ! grep -rqF -- "${sas}" "${BATS_TEST_TMPDIR}/work" || false
}

@test "retrain-webservice --dry-run: steps 1-5 and the request, nothing changes" {
  local before
  before="$(served_model)"
  run -0 --separate-stderr "${SCRIPT}" -n "${AMLR_PREDICTIVE_NAME}" \
    --from-job "${BATS_FILE_TMPDIR}/job.json" --dry-run
  jq -e '.dryRun == true' <<<"${output}"
  [[ "${stderr}" == *"step 6/7: update (dry run: the request, not sent)"* ]]
  [[ "${stderr}" == *"step 7/7: verify: skipped (dry run; nothing changed)"* ]]
  [[ "$(served_model)" == "${before}" ]]
}

@test "retrain-webservice: a model that cannot be read fails the pre-flight with amlretrain's exit 4; nothing changes" {
  local before
  before="$(served_model)"
  run -4 --separate-stderr "${SCRIPT}" -n "${AMLR_PREDICTIVE_NAME}" \
    --model-uri "${AMLR_EMULATOR_URL}/devstoreaccount1/models/none.ilearner"
  assert_output ''
  [[ "${stderr}" == *"step 6/7: update"* ]]
  [[ "${stderr}" != *"step 7/7"* ]]
  jq -e '.error.exitCode == 4' <<<"$(grep '^{"error"' <<<"${stderr}")"
  [[ "${stderr##*$'\n'}" == "retrain-webservice: 'amlretrain webservice update' failed: exit 4 (NotFound)" ]]
  [[ "$(served_model)" == "${before}" ]]
}

@test "retrain-webservice: no such web service exits 4 at step 2" {
  run -4 --separate-stderr "${SCRIPT}" -n no-such-service \
    --from-job "${BATS_FILE_TMPDIR}/job.json"
  assert_output ''
  [[ "${stderr}" == *"step 2/7: get web service"* ]]
  [[ "${stderr}" != *"step 3/7"* ]]
  [[ "${stderr##*$'\n'}" == *"'amlretrain webservice get' failed: exit 4 (NotFound)" ]]
}

@test "retrain-webservice: refused credentials exit 3 at the sign-in" {
  AZURE_CLIENT_SECRET=wrong-secret run -3 --separate-stderr "${SCRIPT}" \
    -n "${AMLR_PREDICTIVE_NAME}" --from-job "${BATS_FILE_TMPDIR}/job.json"
  assert_output ''
  [[ "${stderr}" == *"step 1/7: sign in"* ]]
  [[ "${stderr}" != *"step 2/7"* ]]
  [[ "${stderr}" != *wrong-secret* ]]
}
