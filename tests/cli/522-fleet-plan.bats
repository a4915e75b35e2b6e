#!/usr/bin/env bats
# amlretrain fleet set-model --plan: a fleet over a retraining plan's
# endpoint targets (issue #7: "over a list of targets (from a plan or a
# CSV)"), each given the model of a finished batch job.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

PLANS="${BATS_TEST_DIRNAME}/../../manifests/plans"

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
  export AZURE_STORAGE_CONNECTION_STRING
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  printf '%s' "${AMLR_TRAINING_ENDPOINT_API_KEY}" >"${BATS_TEST_TMPDIR}/key"
}

teardown() {
  emu_stop
}

# A plan of example census-classic.json whose targets are endpoints $@.
plan_of() {
  local names
  names="$(printf '%s\n' "$@" | jq -R . | jq -s .)"
  jq --argjson names "${names}" \
    '.targets = [$names[] as $n | .targets[0] | .endpoint.name = $n]' \
    "${PLANS}/census-classic.json" >"${BATS_TEST_TMPDIR}/plan.json"
  echo "${BATS_TEST_TMPDIR}/plan.json"
}

# A finished job's status, its model in the emulator's storage account.
trained() {
  amlretrain blob upload -c fleetplan -n census-b.csv --create-container \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  amlretrain job run --api-location "${AMLR_TRAINING_ENDPOINT_API_LOCATION}" \
    --api-key-file "${BATS_TEST_TMPDIR}/key" \
    --input input1=fleetplan/census-b.csv \
    --output output1=fleetplan/model.ilearner >"${BATS_TEST_TMPDIR}/job.json"
}

@test "fleet set-model --plan: every endpoint of the plan gets the job's model, created as the plan says" {
  local plan n
  trained
  plan="$(plan_of fp-one fp-two fp-three)"
  run -0 --separate-stderr amlretrain fleet set-model --plan "${plan}" \
    --from-job "${BATS_TEST_TMPDIR}/job.json"
  jq -e 'length == 3 and all(.[]; .status == "done" and .exitCode == 0)' \
    <<<"${output}"
  for n in fp-one fp-two fp-three; do
    run -0 amlretrain endpoint get -n "${n}"
    jq -e '.Resources[0].Location.RelativeLocation == "fleetplan/model.ilearner"' \
      <<<"${output}"
  done
  # the state file is the plan's: a second run has nothing to do
  [[ -s "${plan}.state" ]]
  run -0 --separate-stderr amlretrain fleet set-model --plan "${plan}" \
    --from-job "${BATS_TEST_TMPDIR}/job.json"
  jq -e 'all(.[]; .status == "done-earlier" and .resumed)' <<<"${output}"
}

@test "fleet set-model --plan: plans that are no fleet exit 2 naming the target, nothing sent" {
  local plan
  trained
  plan="${BATS_TEST_TMPDIR}/ws.json"
  jq '.targets = [{"webservice": {"resourceGroup": "rg", "name": "ws"}}]' \
    "${PLANS}/census-classic.json" >"${plan}"
  run -2 --separate-stderr amlretrain fleet set-model --plan "${plan}" \
    --from-job "${BATS_TEST_TMPDIR}/job.json"
  [[ "${stderr}" == *"plan: targets[0]: a fleet swaps classic endpoints"* ]]

  plan="$(plan_of fp-a fp-b)"
  jq '.targets[1].endpoint.webservice = "0123456789abcdef0123456789abcdef"' \
    "${plan}" >"${plan}.2" && mv "${plan}.2" "${plan}"
  run -2 --separate-stderr amlretrain fleet set-model --plan "${plan}" \
    --from-job "${BATS_TEST_TMPDIR}/job.json"
  [[ "${stderr}" == *"plan: targets[1]: a fleet is one web service"* ]]

  run -2 --separate-stderr amlretrain fleet set-model --plan "${plan}"
  [[ "${stderr}" == *"'--plan' needs '--from-job FILE'"* ]]
  run -2 --separate-stderr amlretrain fleet set-model
  [[ "${stderr}" == *"give '--targets FILE' or '--plan FILE'"* ]]
  run -4 amlretrain endpoint get -n fp-a
}
