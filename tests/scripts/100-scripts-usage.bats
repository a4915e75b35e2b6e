#!/usr/bin/env bats
# The bash workflows of scripts/ (issue #9): --help, and usage errors that
# exit 2 with the usage line before anything is sent.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

SCRIPTS=(retrain-webservice retrain-endpoint create-endpoints run-plan
  run-demo)

setup() {
  load '../test_helper/common'
  # No service: a usage error must be found before any request.
  local port
  port="$(unused_port)"
  export AMLR_MANAGEMENT_ENDPOINT="http://127.0.0.1:${port}"
  export AMLR_WORKSPACE_ID=0123456789abcdef0123456789abcdef
  export AMLR_PREDICTIVE_WEBSERVICE_ID=11111111111111111111111111111111
  export AMLR_TRAINING_WEBSERVICE_ID=22222222222222222222222222222222
  export AMLR_RESOURCE_GROUP=rg
}

@test "every script: --help prints its usage on stdout, exit 0" {
  local s
  for s in "${SCRIPTS[@]}"; do
    run -0 --separate-stderr "${AMLR_ROOT}/scripts/${s}" --help
    assert_line --index 0 --regexp "^usage: ${s} "
    if [[ "${s}" != run-demo ]]; then
      assert_output --regexp '[Ee]xit status'
    fi
    [[ -z "${stderr}" ]]
  done
}

@test "every script: an unknown option exits 2 with one error and the usage on stderr" {
  local s
  for s in "${SCRIPTS[@]}"; do
    run -2 --separate-stderr "${AMLR_ROOT}/scripts/${s}" --no-such-option
    assert_output ''
    [[ "${stderr}" == "${s}: unknown option '--no-such-option'"$'\n'"usage: ${s} "* ]]
    [[ "${stderr}" == *"Try '${s} --help' for more information." ]]
  done
}

@test "scripts/lib/common.sh is not executable and every script is" {
  [[ ! -x "${AMLR_ROOT}/scripts/lib/common.sh" ]]
  local s
  for s in "${SCRIPTS[@]}"; do
    [[ -x "${AMLR_ROOT}/scripts/${s}" ]]
  done
}

@test "retrain-webservice: the model is required, and only one source of it" {
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-webservice" -n ws
  assert_output ''
  [[ "${stderr}" == "retrain-webservice: give the new model: --model-uri or --from-job"$'\n'* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-webservice" -n ws \
    --model-uri https://a.blob.core.windows.net/c/m.ilearner --from-job x.json
  [[ "${stderr}" == *"--model-uri and --from-job exclude each other"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-webservice" \
    --from-job "${BATS_TEST_TMPDIR}/missing.json" -n ws
  [[ "${stderr}" == *"cannot read --from-job"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-webservice" \
    --model-uri https://a.blob.core.windows.net/c/m.ilearner
  [[ "${stderr}" == *"missing --name"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-webservice" -n
  [[ "${stderr}" == *"option '-n' needs a value"* ]]
}

@test "retrain-endpoint: the default endpoint, missing or unreadable data" {
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/d.csv"
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-endpoint" \
    -n default --data "${BATS_TEST_TMPDIR}/d.csv"
  [[ "${stderr}" == *"the default endpoint never takes a retrained model"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-endpoint" -n ep1
  [[ "${stderr}" == *"missing --data"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-endpoint" -n ep1 \
    --data "${BATS_TEST_TMPDIR}/none.csv"
  [[ "${stderr}" == *"cannot read --data"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-endpoint" -n ep1 \
    --data "${BATS_TEST_TMPDIR}/d.csv" --rows 0
  [[ "${stderr}" == *"--rows must be a number"* ]]
  unset AMLR_TRAINING_WEBSERVICE_ID
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/retrain-endpoint" -n ep1 \
    --data "${BATS_TEST_TMPDIR}/d.csv"
  [[ "${stderr}" == *"missing --training"* ]]
}

@test "create-endpoints: data or count, valid names, before anything is sent" {
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/create-endpoints"
  [[ "${stderr}" == *"give the data: --data-dir DIR or --count N"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/create-endpoints" --count 0
  [[ "${stderr}" == *"--count must be a number from 1 to 100"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/create-endpoints" --count 101
  [[ "${stderr}" == *"--count must be a number from 1 to 100"* ]]
  mkdir "${BATS_TEST_TMPDIR}/sets"
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/sets/Not_A_Name.csv"
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/create-endpoints" \
    --data-dir "${BATS_TEST_TMPDIR}/sets"
  [[ "${stderr}" == *"'Not_A_Name' is not an endpoint name"* ]]
  rm "${BATS_TEST_TMPDIR}/sets/Not_A_Name.csv"
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/create-endpoints" \
    --data-dir "${BATS_TEST_TMPDIR}/sets"
  [[ "${stderr}" == *"no .csv file in"* ]]
}

@test "run-plan: one plan, readable" {
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/run-plan"
  [[ "${stderr}" == *"missing the plan"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/run-plan" \
    "${BATS_TEST_TMPDIR}/none.json"
  [[ "${stderr}" == *"cannot read plan"* ]]
  run -2 --separate-stderr "${AMLR_ROOT}/scripts/run-plan" a.json b.json
  [[ "${stderr}" == *"more than one plan: 'b.json'"* ]]
}
