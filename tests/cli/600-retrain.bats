#!/usr/bin/env bats
# amlretrain retrain --plan: the documented retraining workflow as one
# checked, gated run (issue #7, docs/plan.md), against a fresh emulator
# per test: the example plans of manifests/plans/ as they are.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

PLANS="${BATS_TEST_DIRNAME}/../../manifests/plans"

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 50
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
}

teardown() {
  emu_stop
}

# The model URI of the Resource Manager predictive web service.
ws_model() {
  amlretrain webservice get -g "${AMLR_RESOURCE_GROUP}" \
    -n "${AMLR_PREDICTIVE_NAME}" \
    | jq -r '.properties.assets[] | select(.type == "Resource")
             | .locationInfo.uri'
}

# The model location of classic endpoint $1 of the predictive web service.
endpoint_model() {
  amlretrain endpoint get --webservice "${AMLR_PREDICTIVE_WEBSERVICE_ID}" \
    --name "$1" | jq -r '.Resources[0].Location
      | .BaseLocation + .RelativeLocation'
}

# A copy of example plan $1 with jq filter $2 applied, in the test's
# directory (relative paths in it are then the test directory's).
plan_with() {
  local out="${BATS_TEST_TMPDIR}/plan.json"
  jq "$2" "${PLANS}/$1" >"${out}"
  echo "${out}"
}

# Nothing that is a secret shows in the files or text given.
assert_no_secrets() {
  local key
  key="$(sed -n 's/.*AccountKey=\([^;]*\);.*/\1/p' \
    <<<"${AZURE_STORAGE_CONNECTION_STRING}")"
  for f in "$@"; do
    if grep -F -e "${AMLR_TRAINING_API_KEY}" -e "${key}" -e 'sig=' \
      -e "${AZURE_CLIENT_SECRET}" -e "${AMLR_WORKSPACE_TOKEN}" -- "${f}"; then
      echo "a secret is in ${f}" >&2
      return 1
    fi
  done
}

@test "retrain: --help, and --plan is required (exit 2)" {
  run -0 amlretrain retrain --help
  [[ "${output}" == *"--plan FILE"* ]]
  run -2 --separate-stderr amlretrain retrain
  [[ "${stderr}" == *"--plan"* ]]
}

@test "retrain: the Resource Manager plan promotes a better model, gated on the holdout" {
  local before after
  before="$(ws_model)"
  run -0 --separate-stderr amlretrain retrain \
    --plan "${PLANS}/census-webservice.json" \
    --report "${BATS_TEST_TMPDIR}/report.json"
  after="$(ws_model)"
  [[ "${before}" != "${after}" ]]
  [[ "${after}" == */retrain/census-webservice/*/model.ilearner ]]
  jq -e '.status == "promoted" and .job.state == "Finished"
         and .gate.passed and .gate.new > .gate.current + 0.01
         and (.evaluation.AUC | type == "number")
         and .targets[0].status == "swapped"
         and .targets[0].result.previousModelUri != null' <<<"${output}"
  # the model the report names is the one in production now
  [[ "$(jq -r .model.uri <<<"${output}")" == "${after}" ]]
  cmp <(jq -S . <<<"${output}") <(jq -S . "${BATS_TEST_TMPDIR}/report.json")
  [[ "${stderr}" == *"promoted"* && "${stderr}" == *"AUC"* ]]
  printf '%s\n' "${output}" >"${BATS_TEST_TMPDIR}/stdout"
  printf '%s\n' "${stderr}" >"${BATS_TEST_TMPDIR}/stderr"
  assert_no_secrets "${BATS_TEST_TMPDIR}/stdout" "${BATS_TEST_TMPDIR}/stderr" \
    "${BATS_TEST_TMPDIR}/report.json"
  # the backup the swap took restores the old model
  run -0 --separate-stderr amlretrain webservice rollback \
    -g "${AMLR_RESOURCE_GROUP}" -n "${AMLR_PREDICTIVE_NAME}"
  [[ "$(ws_model)" == "${before}" ]]
}

@test "retrain: no better model, no swap: the gate rejects (exit 13) and production is unchanged" {
  local before
  run -0 --separate-stderr amlretrain retrain \
    --plan "${PLANS}/census-webservice.json"
  before="$(ws_model)"
  # the same data again trains the same model: no improvement
  run -13 --separate-stderr amlretrain retrain \
    --plan "${PLANS}/census-webservice.json"
  [[ "$(ws_model)" == "${before}" ]]
  jq -e '.status == "rejected" and (.gate.passed | not)
         and .targets[0].status == "unchanged"' <<<"${output}"
  [[ "${stderr}" == *"less than the 0.01 required"* ]]
  [[ "$(last_stderr_line)" == "amlretrain: the gate rejected the new model: "* ]]
  # for wrappers, the last line is the error as JSON
  run -13 --separate-stderr amlretrain --error-format json retrain \
    --plan "${PLANS}/census-webservice.json"
  jq -e '.error.exitCode == 13 and .error.category == "GateRejected"' \
    <<<"$(last_stderr_line)"
}

@test "retrain: a model trained on bad data is rejected and changes nothing" {
  local before plan
  # census-b with every label flipped: a model that is worse than none
  awk -F, -v OFS=, 'NR > 1 { $15 = ($15 == ">50K") ? "<=50K" : ">50K" } 1' \
    "${AMLR_DATA_DIR}/census-b.csv" >"${BATS_TEST_TMPDIR}/bad.csv"
  plan="$(plan_with census-webservice.json \
    '.training.inputs.input1.file = "bad.csv"')"
  before="$(ws_model)"
  run -13 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "$(ws_model)" == "${before}" ]]
  jq -e '.gate.new < .gate.current' <<<"${output}"
}

@test "retrain: --dry-run checks everything, prints the steps, runs nothing" {
  local before
  before="$(ws_model)"
  run -0 --separate-stderr amlretrain retrain --dry-run \
    --plan "${PLANS}/census-webservice.json"
  jq -e '.dryRun and (.steps | length) >= 5' <<<"${output}"
  [[ "$(ws_model)" == "${before}" ]]
  # no job ran: nothing was uploaded
  run -4 --separate-stderr amlretrain blob list -c retrain
}

@test "retrain: bad plans exit 2 naming the field, before anything runs" {
  local before plan
  before="$(ws_model)"
  plan="$(plan_with census-webservice.json '.training.apiKey = "abc123"')"
  run -2 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "${stderr}" == *"training.apiKey: a secret cannot be written"* ]]
  [[ "${stderr}" != *abc123* ]]

  plan="$(plan_with census-webservice.json '.gate.metric = "happiness"')"
  run -2 --separate-stderr amlretrain retrain --plan "${plan}" \
    --error-format json
  jq -e '.error.target == "gate.metric"' <<<"${stderr}"

  plan="$(plan_with census-webservice.json \
    '.targets += [{"endpoint": {"managementEndpoint": "http://x",
      "workspace": "w", "webservice": "s", "name": "Bad_Name",
      "token": {"env": "AMLR_WORKSPACE_TOKEN"}}}]')"
  run -2 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "${stderr}" == *"targets[1].endpoint.name"* ]]

  plan="$(plan_with census-webservice.json \
    '.training.inputs.input1.file = "missing.csv"')"
  run -2 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "${stderr}" == *"training.inputs.input1.file: cannot read"* ]]

  plan="$(plan_with census-webservice.json '.gate.holdout.label = "salary"')"
  run -2 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "${stderr}" == *"no label column 'salary'"* ]]

  (unset AMLR_TRAINING_API_LOCATION
   run -2 --separate-stderr amlretrain retrain \
     --plan "${PLANS}/census-webservice.json"
   [[ "${stderr}" == *"AMLR_TRAINING_API_LOCATION is not set"* ]])

  [[ "$(ws_model)" == "${before}" ]]
  run -4 --separate-stderr amlretrain blob list -c retrain
}

@test "retrain: a missing target fails the pre-flight (exit 4) before any job" {
  local plan
  plan="$(plan_with census-webservice.json \
    '.targets[0].webservice.name = "no-such-service"')"
  run -4 --separate-stderr amlretrain retrain --plan "${plan}"
  run -4 --separate-stderr amlretrain blob list -c retrain
}

@test "retrain: a job that fails exits 10 with its Details, nothing swapped" {
  local before plan
  printf 'not,census\n1,2\n' >"${BATS_TEST_TMPDIR}/junk.csv"
  plan="$(plan_with census-webservice.json \
    '.training.inputs.input1.file = "junk.csv"')"
  before="$(ws_model)"
  run -10 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "$(ws_model)" == "${before}" ]]
  jq -e '.status == "failed" and .job.state == "Failed"' <<<"${output}"
}

@test "retrain: the classic plan adds the endpoint, gates through a staging endpoint, swaps" {
  run -0 --separate-stderr amlretrain retrain \
    --plan "${PLANS}/census-classic.json"
  jq -e '.status == "promoted" and .gate.passed and .gate.on == "holdout"
         and .targets[0].status == "swapped"' <<<"${output}"
  [[ "$(endpoint_model census-retrained)" == "$(jq -r .model.uri <<<"${output}")" ]]
  # the staging endpoint holds the candidate; the default endpoint, as
  # the docs require, was never touched
  [[ "$(endpoint_model census-staging)" == "$(jq -r .model.uri <<<"${output}")" ]]
  [[ "$(endpoint_model default)" == */models/census-a.ilearner ]]
  printf '%s\n%s\n' "${output}" "${stderr}" >"${BATS_TEST_TMPDIR}/all"
  assert_no_secrets "${BATS_TEST_TMPDIR}/all"

  # again: same data, same model, rejected; the endpoint keeps its model
  local kept
  kept="$(endpoint_model census-retrained)"
  run -13 --separate-stderr amlretrain retrain \
    --plan "${PLANS}/census-classic.json"
  [[ "$(endpoint_model census-retrained)" == "${kept}" ]]
}

@test "retrain: a gate on the job's evaluation alone, two targets of both kinds" {
  run -0 --separate-stderr amlretrain retrain \
    --plan "${PLANS}/census-minimum.json"
  jq -e '.gate.on == "evaluation" and .gate.current == null
         and .gate.new >= 0.75
         and ([.targets[].status] == ["swapped", "swapped"])' <<<"${output}"
  [[ "$(ws_model)" == "$(jq -r .model.uri <<<"${output}")" ]]
  [[ "$(endpoint_model census-nightly)" == "$(jq -r .model.uri <<<"${output}")" ]]

  # a minimum the model cannot reach: rejected, nothing changes
  local plan before
  before="$(ws_model)"
  plan="$(plan_with census-minimum.json '.gate.minimum = 0.99
    | .training.inputs.input1.file = env.AMLR_DATA_DIR + "/census-a.csv"')"
  run -13 --separate-stderr amlretrain retrain --plan "${plan}"
  [[ "${stderr}" == *"below the minimum 0.99"* ]]
  [[ "$(ws_model)" == "${before}" ]]
}

@test "retrain: every example plan matches docs/plan.schema.json and dry-runs against the emulator" {
  local f
  for f in "${PLANS}"/*.json; do
    python3 -c 'import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validate(json.load(open(sys.argv[2])), schema,
                    cls=jsonschema.Draft202012Validator)' \
      "${BATS_TEST_DIRNAME}/../../docs/plan.schema.json" "${f}"
    run -0 --separate-stderr amlretrain retrain --dry-run --plan "${f}"
  done
}
