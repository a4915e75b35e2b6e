#!/usr/bin/env bats
# Durable Resource Manager state under --state DIR: written atomically,
# read back at start, including after kill -9; operations in flight at a
# crash end at the next start, never vanish (issue 3, item 5).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

API=2017-01-01

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  jq '.parameters.createOrUpdatePayload
      | .properties.keys = {"primary": "kept-primary", "secondary": "kept-secondary"}' \
    "${AMLR_REFERENCE}/arm-machinelearning/stable/2017-01-01/examples/putWebService.json" \
    >"${BATS_TEST_TMPDIR}/body.json"
  STATE="${BATS_TEST_TMPDIR}/emu-state"
}

teardown() {
  emu_stop KILL || true # the tests' own kills are the point, not this one
}

@test "after kill -9 the services are served as before, keys included; deleted ones stay deleted" {
  emu_start --provisioning-delay 0
  arm_token
  arm_json PUT "$(arm_ws_path durable)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  arm_json PUT "$(arm_ws_path gone)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  arm DELETE "$(arm_ws_path gone)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 202
  arm GET "$(arm_ws_path durable)?api-version=${API}"
  cp "${ARM_BODY}" "${BATS_TEST_TMPDIR}/before.json"
  emu_stop KILL || true
  emu_start --provisioning-delay 0
  arm_token
  arm GET "$(arm_ws_path durable)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  # Everything but the URL of the (new) port is the same.
  run -0 jq -n --slurpfile a "${BATS_TEST_TMPDIR}/before.json" \
    --slurpfile b "${ARM_BODY}" \
    '($a[0] | del(.properties.swaggerLocation)) == ($b[0] | del(.properties.swaggerLocation))
     and ($a[0].properties.swaggerLocation | sub("^http://[^/]+"; "")) == ($b[0].properties.swaggerLocation | sub("^http://[^/]+"; ""))'
  assert_output true
  arm GET "$(arm_ws_path durable)/listKeys?api-version=${API}"
  run -0 jq -c . "${ARM_BODY}"
  assert_output '{"primary":"kept-primary","secondary":"kept-secondary"}'
  arm GET "$(arm_ws_path gone)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  # One file per service and per operation, private to the user.
  run -0 bash -c "find '${STATE}/arm' -type f -printf '%m\n' | sort -u"
  assert_output 600
}

@test "an operation in flight at kill -9 ends Succeeded at the next start, and its service with it" {
  emu_start --provisioning-delay 600000
  arm_token
  arm_json PUT "$(arm_ws_path in-flight)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  local op
  op="$(arm_header Azure-AsyncOperation)"
  arm GET "${op}"
  assert_equal "$(jq -r .status "${ARM_BODY}")" Provisioning
  emu_stop KILL || true
  emu_start --provisioning-delay 600000
  arm_token
  # The operation is still there, under the new port, and over.
  arm GET "${AMLR_EMULATOR_URL}/${op#http://*/}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -c '[.status, .provisioningState, has("endTime"), .percentComplete]' "${ARM_BODY}"
  assert_output '["Succeeded","Succeeded",true,1]'
  arm GET "$(arm_ws_path in-flight)?api-version=${API}"
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Succeeded
  # A second restart sees the same outcome.
  emu_stop KILL || true
  emu_start
  arm_token
  arm GET "${AMLR_EMULATOR_URL}/${op#http://*/}"
  assert_equal "$(jq -r .status "${ARM_BODY}")" Succeeded
}

@test "an operation meant to fail, in flight at kill -9, ends Failed at the next start, with its error" {
  cat >"${BATS_TEST_TMPDIR}/faults.json" <<'EOF'
[{"method": "PUT", "path": "/subscriptions/**/webServices/doomed", "kind": "lro-failed",
  "code": "DeploymentFailed", "message": "The deployment failed.", "count": 1}]
EOF
  emu_start --provisioning-delay 600000 --faults "${BATS_TEST_TMPDIR}/faults.json"
  arm_token
  arm_json PUT "$(arm_ws_path doomed)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  local op
  op="$(arm_header Azure-AsyncOperation)"
  emu_stop KILL || true
  emu_start
  arm_token
  arm GET "${AMLR_EMULATOR_URL}/${op#http://*/}"
  run -0 jq -c '[.status, .error.code, .errorInfo.message]' "${ARM_BODY}"
  assert_output '["Failed","DeploymentFailed","The deployment failed."]'
  arm GET "$(arm_ws_path doomed)?api-version=${API}"
  run -0 jq -r .properties.provisioningState "${ARM_BODY}"
  assert_output Failed
}

@test "a service whose operation file was lost gets its operation back, ended" {
  emu_start --provisioning-delay 600000
  arm_token
  arm_json PUT "$(arm_ws_path lost-op)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  local op
  op="$(arm_header Azure-AsyncOperation)"
  emu_stop KILL || true
  # As if the crash came between the service's file and the operation's.
  rm -f -- "${STATE}"/arm/operations/*.json
  emu_start
  arm_token
  arm GET "${AMLR_EMULATOR_URL}/${op#http://*/}"
  assert_equal "${ARM_STATUS}" 200
  assert_equal "$(jq -r .status "${ARM_BODY}")" Succeeded
}

@test "temporary files a crash left are removed; a damaged state file stops the start, naming it" {
  emu_start --provisioning-delay 0
  arm_token
  arm_json PUT "$(arm_ws_path damaged)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  emu_stop KILL || true
  printf 'half' >"${STATE}/arm/webservices/x.json.tmp-AbC123"
  emu_start
  assert_file_not_exist "${STATE}/arm/webservices/x.json.tmp-AbC123"
  emu_stop
  printf '{"half": ' >"${STATE}/arm/webservices/0bad.json"
  run -9 --separate-stderr amlretrain-emulator --listen 127.0.0.1:0 \
    --state-dir "${STATE}" 3>&-
  assert_output ''
  assert_regex "${stderr}" "^amlretrain-emulator: state file '.*/arm/webservices/0bad.json' is not a valid web service\$"
}

@test "a clean stop (SIGTERM) keeps the state as well" {
  emu_start --provisioning-delay 0
  arm_token
  arm_json PUT "$(arm_ws_path clean-stop)?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  emu_stop # fails the test unless the emulator exits 0
  emu_start
  arm_token
  arm GET "$(arm_ws_path clean-stop)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
}
