#!/usr/bin/env bats
# The emulator's long-running operations on web services: the state
# machine Provisioning -> Succeeded (or Failed) after --provisioning-delay,
# the operation-status resource (status and provisioningState, error and
# errorInfo) and the Location result, as notes/arm-webservices.md §3 and
# the recorded polls show them.
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

API=2017-01-01

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  EXAMPLES="${AMLR_REFERENCE}/arm-machinelearning/stable/2017-01-01/examples"
  jq '.parameters.createOrUpdatePayload' "${EXAMPLES}/putWebService.json" \
    >"${BATS_TEST_TMPDIR}/body.json"
}

teardown() {
  emu_stop
}

# Milliseconds since the epoch.
now_ms() {
  date +%s%3N
}

@test "PUT stays Provisioning for --provisioning-delay, then Succeeded: status document and resource agree" {
  emu_start --provisioning-delay 1500
  arm_token
  local start op
  start="$(now_ms)"
  arm_json PUT "$(arm_ws_path lro)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  op="$(arm_header Azure-AsyncOperation)"
  arm GET "${op}"
  assert_equal "${ARM_STATUS}" 200
  # In progress: as recorded (id, name, status, startTime,
  # percentComplete), plus the spec's provisioningState; no endTime yet.
  run -0 jq -c '[keys, .status, .provisioningState, .percentComplete < 1, .name == (.id | split("/") | last)]' "${ARM_BODY}"
  assert_output '[["id","name","percentComplete","provisioningState","startTime","status"],"Provisioning","Provisioning",true,true]'
  run -0 jq -r .id "${ARM_BODY}"
  assert_regex "${output}" "^/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/locations/westus/operationsStatus/"
  arm GET "$(arm_ws_path lro)?api-version=${API}"
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Provisioning
  run -0 arm_wait "${op}"
  # Done: endTime, 1.0, and not before the delay.
  run -0 jq -c '[keys, .status, .provisioningState, .percentComplete]' <<<"${output}"
  assert_output '[["endTime","id","name","percentComplete","provisioningState","startTime","status"],"Succeeded","Succeeded",1]'
  assert [ "$(($(now_ms) - start))" -ge 1400 ]
  arm GET "$(arm_ws_path lro)?api-version=${API}"
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Succeeded
}

@test "PATCH, DELETE and CreateRegionalBlob run the same state machine" {
  emu_start --provisioning-delay 600
  arm_token
  arm_json PUT "$(arm_ws_path lro2)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  run -0 arm_wait "$(arm_header Azure-AsyncOperation)"
  printf '%s' '{"properties":{"packageType":"Graph","title":"t"}}' >"${BATS_TEST_TMPDIR}/p.json"
  arm_json PATCH "$(arm_ws_path lro2)?api-version=${API}" "${BATS_TEST_TMPDIR}/p.json"
  arm GET "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -r .status "${ARM_BODY}")" Provisioning
  arm GET "$(arm_ws_path lro2)?api-version=${API}"
  assert_equal "$(jq -r .properties.provisioningState "${ARM_BODY}")" Provisioning
  sleep 0.7
  arm GET "$(arm_ws_path lro2)?api-version=${API}"
  assert_equal "$(jq -r .properties.provisioningState "${ARM_BODY}")" Succeeded
  arm POST "$(arm_ws_path lro2)/CreateRegionalBlob?region=eastus2&api-version=${API}"
  arm GET "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -r .status "${ARM_BODY}")" Provisioning
  arm DELETE "$(arm_ws_path lro2)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 202
  arm GET "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -r .status "${ARM_BODY}")" Provisioning
}

@test "the Location of a DELETE: 202 while it runs, then 204" {
  emu_start --provisioning-delay 800
  arm_token
  arm_json PUT "$(arm_ws_path lro3)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  run -0 arm_wait "$(arm_header Azure-AsyncOperation)"
  arm DELETE "$(arm_ws_path lro3)?api-version=${API}"
  local location
  location="$(arm_header Location)"
  arm GET "${location}"
  assert_equal "${ARM_STATUS}" 202
  assert_equal "$(arm_header Location)" "${location}"
  sleep 0.9
  arm GET "${location}"
  assert_equal "${ARM_STATUS}" 204
}

@test "--provisioning-delay 0: operations are over when they are answered" {
  emu_start --provisioning-delay 0
  arm_token
  arm_json PUT "$(arm_ws_path lro4)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Succeeded
  arm GET "$(arm_header Azure-AsyncOperation)"
  run -0 jq -r .status "${ARM_BODY}"
  assert_output Succeeded
}

@test "an injected lro-failed fault: the operation ends Failed with error and errorInfo, the service Failed" {
  cat >"${BATS_TEST_TMPDIR}/faults.json" <<'EOF'
[{"method": "PUT", "path": "/subscriptions/*/resourceGroups/*/providers/Microsoft.MachineLearning/webServices/doomed",
  "kind": "lro-failed", "code": "InternalOperationError", "message": "The web service could not be deployed.", "count": 1}]
EOF
  emu_start --provisioning-delay 300 --faults "${BATS_TEST_TMPDIR}/faults.json"
  arm_token
  arm_json PUT "$(arm_ws_path doomed)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Provisioning
  local op location
  op="$(arm_header Azure-AsyncOperation)"
  run -0 arm_wait "${op}"
  run -0 jq -c '[.status, .provisioningState, .error, .errorInfo, has("endTime")]' <<<"${output}"
  assert_output '["Failed","Failed",{"code":"InternalOperationError","message":"The web service could not be deployed."},{"code":"InternalOperationError","message":"The web service could not be deployed."},true]'
  arm GET "$(arm_ws_path doomed)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Failed
  # The fault was for one request: the next PUT succeeds.
  arm_json PUT "$(arm_ws_path doomed)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 200
  run -0 arm_wait "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -r .status <<<"${output}")" Succeeded
}
