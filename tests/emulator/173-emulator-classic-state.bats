#!/usr/bin/env bats
# The classic store's state files: one file per endpoint, so that a write
# changes one endpoint whatever their number (issue 7's fleets of
# endpoints), all 0600 (they hold keys); the earlier layout (the endpoints
# inside the web service's file) still loads, and is converted.  The
# objects are those of ../shared/reference/notes/classic-bes-rrs.md §3.3.
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
}

teardown() {
  emu_stop
}

# PUT endpoint $1 of the predictive web service with JSON body $2.
put_endpoint() {
  curl -sS -f -o /dev/null -X PUT \
    -H "Authorization: Bearer ${AMLR_WORKSPACE_TOKEN}" \
    -H 'Content-Type: application/json' --data "$2" "${EPS}/$1"
}

# The endpoints as [Name, Description, PrimaryKey, MaxConcurrentCalls].
endpoints() {
  curl -sS -f -H "Authorization: Bearer ${AMLR_WORKSPACE_TOKEN}" "${EPS}" |
    jq -c '[.[] | [.Name, .Description, .PrimaryKey, .MaxConcurrentCalls]]'
}

start() {
  emu_start --provisioning-delay 0
  EPS="${AMLR_MANAGEMENT_ENDPOINT}/workspaces/${AMLR_WORKSPACE_ID}/webservices/${AMLR_PREDICTIVE_WEBSERVICE_ID}/endpoints"
  DIR="${EMU_DIR}/emu-state/classic"
  SVC="${DIR}/${AMLR_PREDICTIVE_WEBSERVICE_ID}"
}

@test "one file per endpoint, 0600; a write changes that endpoint's file only" {
  start
  put_endpoint ep1 '{"Description": "one"}'
  put_endpoint ep2 '{"Description": "two"}'
  run -0 ls "${SVC}/endpoints"
  assert_output $'default.json\nep1.json\nep2.json'
  run -0 stat -c '%a' "${SVC}.json" "${SVC}/endpoints/default.json" \
    "${SVC}/endpoints/ep1.json" "${SVC}/endpoints/ep2.json"
  assert_output $'600\n600\n600\n600'
  # The web service's file holds no endpoint; an endpoint's file holds
  # "webservice" for the web service's own definition graph.
  run -0 jq -c 'has("endpoints"), (.definition | type)' "${SVC}.json"
  assert_output $'false\n"object"'
  run -0 jq -c '.definition, .Description' "${SVC}/endpoints/ep1.json"
  assert_output $'"webservice"\n"one"'
  cp -- "${SVC}/endpoints/ep1.json" "${BATS_TEST_TMPDIR}/ep1.before"
  cp -- "${SVC}.json" "${BATS_TEST_TMPDIR}/svc.before"
  put_endpoint ep2 '{"Description": "two, again"}'
  cmp -- "${SVC}/endpoints/ep1.json" "${BATS_TEST_TMPDIR}/ep1.before"
  cmp -- "${SVC}.json" "${BATS_TEST_TMPDIR}/svc.before"
  run -0 jq -c .Description "${SVC}/endpoints/ep2.json"
  assert_output '"two, again"'
  # DELETE removes the file; a restart reads back what is left.
  curl -sS -f -o /dev/null -X DELETE \
    -H "Authorization: Bearer ${AMLR_WORKSPACE_TOKEN}" "${EPS}/ep1"
  assert_file_not_exists "${SVC}/endpoints/ep1.json"
  endpoints >"${BATS_TEST_TMPDIR}/before"
  emu_stop
  start
  run -0 endpoints
  assert_output "$(cat "${BATS_TEST_TMPDIR}/before")"
  run -0 jq -r '.[][0]' <<<"${output}"
  assert_output $'default\nep2'
}

@test "state of the earlier layout (endpoints inside the web service's file) loads and is converted" {
  start
  put_endpoint ep1 '{"Description": "one"}'
  put_endpoint ep2 '{"Description": "two"}'
  endpoints >"${BATS_TEST_TMPDIR}/before"
  emu_stop
  # Rebuild the earlier layout: each endpoint inside, its graph inline.
  jq -s '.[0] as $svc | $svc + {endpoints: [.[1:][]
      | if .definition == "webservice" then .definition = $svc.definition
        else . end]}' "${SVC}.json" "${SVC}/endpoints/default.json" \
    "${SVC}/endpoints/ep1.json" "${SVC}/endpoints/ep2.json" \
    >"${BATS_TEST_TMPDIR}/old.json"
  rm -r -- "${SVC}"
  install -m 600 "${BATS_TEST_TMPDIR}/old.json" "${SVC}.json"
  start
  run -0 endpoints
  assert_output "$(cat "${BATS_TEST_TMPDIR}/before")"
  run -0 jq -c 'has("endpoints")' "${SVC}.json"
  assert_output false
  run -0 jq -r .definition "${SVC}/endpoints/ep2.json"
  assert_output webservice
  run -0 stat -c '%a' "${SVC}/endpoints/ep1.json"
  assert_output 600
  emu_stop
  assert_file_empty "${EMU_STDERR}"
}

@test "a damaged endpoint file stops the start, naming it" {
  start
  put_endpoint ep1 '{}'
  emu_stop
  printf '{"Name": ' >"${SVC}/endpoints/ep1.json"
  run -1 emu_start --provisioning-delay 0
  assert_output --partial "ep1.json"
}
