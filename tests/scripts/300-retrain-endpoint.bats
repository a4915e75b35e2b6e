#!/usr/bin/env bats
# scripts/retrain-endpoint: the documented classic steps
# (../shared/reference/notes/classic-bes-rrs.md §1.4, §5.2, §5.3: a new
# endpoint on the predictive service, the training service's BES job,
# the PATCH of the endpoint's '[trained model]', scoring to check)
# against a fresh emulator.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 50
  export EMU_ENV_FILE
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
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  SCRIPT="${AMLR_ROOT}/scripts/retrain-endpoint"
}

# The model location of endpoint $1 of the predictive web service.
endpoint_model() {
  amlretrain endpoint get -n "$1" | jq -r '.Resources[0].Location
    | .BaseLocation + .RelativeLocation'
}

@test "retrain-endpoint: adds the missing endpoint, retrains, patches, and the same rows score differently" {
  run -4 amlretrain endpoint get -n weekly
  run -0 --separate-stderr "${SCRIPT}" -n weekly \
    --data "${AMLR_DATA_DIR}/census-b.csv" \
    --score-data "${AMLR_DATA_DIR}/census-b-holdout.csv" --rows 4
  local i
  for i in 1 2 3 4 5 6; do
    [[ "${stderr}" == *"step ${i}/6: "* ]]
  done
  [[ "${stderr}" == *"  missing: adding it"* ]]
  [[ "${stderr}" == *"  job "*": Finished"* ]]
  # A header and 4 rows: row, label and probability before and after.
  [[ "${#lines[@]}" -eq 5 ]]
  assert_line --index 0 \
    $'row\tlabel before\tprobability before\tlabel after\tprobability after'
  # The drifted data's model scores these people differently (the
  # holdout's first person: 0.4923 with census-a's model).
  awk -F '\t' 'NR > 1 && $3 != $5 { d++ } END { exit !(d == NR - 1) }' \
    <<<"${output}"
  [[ "$(awk -F '\t' 'NR == 2 { print $3 }' <<<"${output}")" == 0.4923 ]]
  [[ "$(endpoint_model weekly)" == "${AMLR_EMULATOR_URL}/devstoreaccount1/amlretrain-models/weekly/"*.ilearner ]]
  # The PATCH was backed up first (endpoint rollback's input).
  compgen -G "${AMLR_BACKUP_DIR}/classic_*weekly*.json" >/dev/null
  # Keys went through files only, never to the output.
  local key
  key="$(amlretrain endpoint get -n weekly --show-keys | jq -r .PrimaryKey)"
  [[ -n "${key}" && "${output}${stderr}" != *"${key}"* ]]
  [[ "${output}${stderr}" != *"${AMLR_TRAINING_ENDPOINT_API_KEY}"* ]]
  [[ "${output}${stderr}" != *"${AMLR_WORKSPACE_TOKEN}"* ]]
}

@test "retrain-endpoint: an existing endpoint is kept, its model replaced again" {
  local before
  before="$(endpoint_model weekly)"
  run -0 --separate-stderr "${SCRIPT}" -n weekly \
    --data "${AMLR_DATA_DIR}/census-a.csv" -c other-models
  [[ "${stderr}" == *"step 1/6: endpoint 'weekly'"*"  exists"* ]]
  [[ "$(endpoint_model weekly)" == "${AMLR_EMULATOR_URL}/devstoreaccount1/other-models/weekly/"*.ilearner ]]
  [[ "$(endpoint_model weekly)" != "${before}" ]]
  [[ "${#lines[@]}" -eq 6 ]]
}

@test "retrain-endpoint: bad training data fails the job: exit 10 with its Details, the endpoint keeps its model" {
  local before
  before="$(endpoint_model weekly)"
  printf 'a,b\n1,2\n3,4\n' >"${BATS_TEST_TMPDIR}/bad.csv"
  run -10 --separate-stderr "${SCRIPT}" -n weekly \
    --data "${BATS_TEST_TMPDIR}/bad.csv" \
    --score-data "${AMLR_DATA_DIR}/census-b-holdout.csv"
  assert_output ''
  [[ "${stderr}" == *"step 4/6: retrain on"* ]]
  [[ "${stderr}" != *"step 5/6"* ]]
  jq -e '.error.exitCode == 10 and .error.category == "JobFailed"
    and (.error.message | test("no column .income."))' \
    <<<"$(grep '^{"error"' <<<"${stderr}")"
  [[ "${stderr##*$'\n'}" == "retrain-endpoint: 'amlretrain job run' failed: exit 10 (JobFailed)" ]]
  [[ "$(endpoint_model weekly)" == "${before}" ]]
}

@test "retrain-endpoint: an unknown predictive web service exits 4 before any job" {
  run -4 --separate-stderr "${SCRIPT}" -n weekly \
    -s 00000000000000000000000000000000 \
    --data "${AMLR_DATA_DIR}/census-b.csv"
  assert_output ''
  [[ "${stderr}" != *"step 2/6"* ]]
}

@test "retrain-endpoint: a refused workspace token exits 3; keys never reach the output" {
  AMLR_WORKSPACE_TOKEN=not-the-token run -3 --separate-stderr "${SCRIPT}" \
    -n weekly --data "${AMLR_DATA_DIR}/census-b.csv"
  assert_output ''
  [[ "${stderr}" != *not-the-token* ]]
}
