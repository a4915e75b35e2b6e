#!/usr/bin/env bats
# The recorded sessions of Microsoft's own cmdlets, replayed against the
# emulator: same requests, same status codes, same field sets
# (../shared/reference/recorded-sessions/README.md; issue 3's acceptance).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

RECORDINGS="${AMLR_REFERENCE_DIR:-$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)/tests/fixtures/reference}/recorded-sessions"

# Deviations kept on purpose: "KIND SCOPE extra|missing FIELD  # reason"
# (read by replay_session).
# shellcheck disable=SC2034
REPLAY_DEVIATIONS=(
  "opstatus top extra provisioningState  # the spec's AsyncOperationStatus names the state provisioningState while ARM's pollers read status: the emulator carries both (notes/arm-webservices.md §3, §12.5)"
  "opstatus top extra startTime  # the service stamped startTime after the first poll in TestUpdateWebService (entry 8); the emulator knows it from the start"
)

setup_file() {
  load '../test_helper/common'
  [[ -d "${RECORDINGS}" ]] || RECORDINGS="${AMLR_REFERENCE}/recorded-sessions"
  export RECORDINGS
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/replay'
}

teardown() {
  emu_stop
}

# Replay recording $1 against a fresh emulator with its subscription.
# Arguments: FILE [extra emulator options]
replay() {
  local rec="${RECORDINGS}/$1"
  shift
  assert_file_exist "${rec}"
  replay_seed "${rec}" "${BATS_TEST_TMPDIR}/seed.json"
  emu_start --seed "${BATS_TEST_TMPDIR}/seed.json" \
    --provisioning-delay 3000 "$@"
  arm_token
  run replay_session "${rec}"
  printf '%s\n' "${output}" # shown when the test fails
  assert_success
  # Every request of the file was sent, none left out.
  assert_equal "$(grep -c '^entry ' <<<"${output}")" \
    "$(jq --arg re "${REPLAY_ML_RE}" \
      '[.Entries[] | select(.RequestUri | test($re; "i"))] | length' \
      "${rec}")"
}

@test "replay: TestCreateGetRemoveWebService (PUT 201, polls, GET, listKeys, DELETE 202, GET 404 WebServiceNotFound)" {
  replay TestCreateGetRemoveWebService.json
}

@test "replay: TestCreateWebServiceFromFile (PUT of an exported definition, polls, GET, DELETE)" {
  replay TestCreateWebServiceFromFile.json
}

@test "replay: TestUpdateWebService (PUT, two PATCHes with polls and GETs, listKeys, DELETE)" {
  replay TestUpdateWebService.json
}

@test "replay: TestListWebServices (three PUTs, lists by group and by subscription across a nextLink)" {
  # A page of 2 makes the subscription list (3 services) span two pages
  # as the recorded one (1042 + 93 items) did, and each group's list one.
  replay TestListWebServices.json --page-size 2
}

@test "replay: TestCreateAndGetRegionalProperties (GET ?region= 404 PerRegionPayloadNotFound, CreateRegionalBlob 202, GET ?region= 200)" {
  replay TestCreateAndGetRegionalProperties.json
}

@test "replay: the commitment-plan recordings are deliberately skipped" {
  local f
  # Reason: commitment plans are not emulated yet (issue 3 says do not
  # fake them).  This test keeps the list honest: these are exactly the
  # recordings not replayed above, and they hold no webServices request.
  for f in TestCreateGetRemoveCommitmentPlan.json TestUpdateCommitmentPlan.json \
    TestListCommitmentPlans.json; do
    assert_file_exist "${RECORDINGS}/${f}"
    run -0 jq --arg re "${REPLAY_ML_RE}" \
      '[.Entries[] | select(.RequestUri | test($re; "i"))] | length' \
      "${RECORDINGS}/${f}"
    assert_output 0
  done
  run -0 bash -c "ls '${RECORDINGS}' | grep -c '\\.json\$'"
  assert_output 8
}
