#!/usr/bin/env bats
# amlretrain endpoint against the emulator: the classic management API
# (../shared/reference/notes/classic-bes-rrs.md §3: paths, Endpoint
# object, add/PATCH/refresh bodies and rules), verb by verb.
# stderr, stderr_lines, output: set by bats' run; exports in a test stay
# in its subshell, as they should:
# shellcheck disable=SC2154,SC2030,SC2031

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
  export EMU_ENV_FILE
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
}

# An endpoint name of this test's own: tests share the emulator.
ep_name() {
  printf 'ep%s\n' "${BATS_TEST_NUMBER}"
}

@test "every verb has --help" {
  local verb verbs=(webservices list get add remove refresh set-model rollback)
  run -0 --separate-stderr amlretrain endpoint --help
  for verb in "${verbs[@]}"; do
    assert_line --regexp "^  ${verb} +[A-Z]"
  done
  for verb in "${verbs[@]}"; do
    run -0 --separate-stderr amlretrain endpoint "${verb}" --help
    assert_line --index 0 --partial "usage: amlretrain endpoint ${verb}"
    assert_equal "${stderr}" ''
  done
}

@test "usage errors exit 2 with one line, before anything is sent" {
  # A management endpoint where nothing listens: a request would exit 7.
  local port
  port="$(unused_port)"
  export AMLR_MANAGEMENT_ENDPOINT="http://127.0.0.1:${port}"
  run -2 --separate-stderr amlretrain endpoint get
  assert_equal "${stderr_lines[0]}" "amlretrain: missing required option '--name'"
  assert_output ''
  run -2 --separate-stderr amlretrain endpoint frobnicate
  assert_equal "${stderr_lines[0]}" "amlretrain: unknown verb 'frobnicate'"
  run -2 --separate-stderr env -u AMLR_WORKSPACE_ID \
    amlretrain endpoint list
  assert_equal "${stderr_lines[0]}" 'amlretrain: no workspace: use --workspace or set AMLR_WORKSPACE_ID'
  run -2 --separate-stderr env -u AMLR_WEBSERVICE_ID \
    amlretrain endpoint list
  assert_equal "${stderr_lines[0]}" 'amlretrain: no web service: use --webservice or set AMLR_WEBSERVICE_ID'
  run -2 --separate-stderr amlretrain endpoint add -n x \
    --throttle-level Medium
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value 'Medium' for '--throttle-level'"
  run -2 --separate-stderr amlretrain endpoint add -n x \
    --throttle-level High --max-concurrent-calls 201
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value '201' for '--max-concurrent-calls' (1-200)"
  run -2 --separate-stderr amlretrain endpoint rollback
  assert_equal "${stderr_lines[0]}" 'amlretrain: give --name (the newest backup) or --backup FILE'
  # An explicit --location wins over the environment's endpoint.
  run -2 --separate-stderr amlretrain endpoint list --location Mars
  assert_equal "${stderr}" "amlretrain: unsupported location 'Mars' (South Central US, West Europe, Southeast Asia, Japan East, Germany Central, West Central US)"
}

@test "endpoint names follow the service's rule (notes §3.3), checked before any request" {
  local name
  local port
  port="$(unused_port)"
  export AMLR_MANAGEMENT_ENDPOINT="http://127.0.0.1:${port}"
  for name in Upper under_score -lead trail- 'a b' a/b \
    abcdefghijklmnopqrstuvwxy; do
    run -2 --separate-stderr amlretrain endpoint get -n "${name}"
    assert_regex "${stderr_lines[0]}" "^amlretrain: invalid endpoint name '.*': 1-24 lower-case letters, digits and hyphens, not starting or ending with a hyphen$"
    assert_output ''
  done
  # 24 characters is fine: the request is sent (and fails to connect).
  run -7 --separate-stderr amlretrain endpoint get \
    -n abcdefghijklmnopqrstuvwx
}

@test "webservices lists the workspace's classic web services; --webservice shows one" {
  run -0 --separate-stderr amlretrain endpoint webservices
  jq -e --arg p "${AMLR_PREDICTIVE_WEBSERVICE_ID}" \
    --arg t "${AMLR_TRAINING_WEBSERVICE_ID}" \
    'map(.Id) | index($p) != null and index($t) != null' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint webservices \
    --webservice "${AMLR_TRAINING_WEBSERVICE_ID}"
  jq -e --arg t "${AMLR_TRAINING_WEBSERVICE_ID}" \
    '.Id == $t and .DefaultEndpointName == "default"' <<<"${output}"
}

@test "list and get: the default endpoint, keys and SAS tokens left out" {
  run -0 --separate-stderr amlretrain endpoint list
  jq -e 'map(select(.Name == "default")) | length == 1' <<<"${output}"
  jq -e 'all(.[]; .PrimaryKey == null and .SecondaryKey == null)' \
    <<<"${output}"
  jq -e '[.[].Resources[]?.Location.SasBlobToken] | all(. == null)' \
    <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint get -n default
  jq -e '.Name == "default" and .PrimaryKey == null
    and (.ApiLocation | test("/workspaces/.*/services/[0-9a-f]{32}$"))
    and (.Resources | map(select(.Name | test("\\[trained model\\]$")))
         | length == 1)' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint get -n default --show-keys
  jq -e '(.PrimaryKey | length) > 0' <<<"${output}"
  local key="${output}"
  # One request for every endpoint's keys (Get-AmlWebServiceEndpoint).
  run -0 --separate-stderr amlretrain endpoint list --show-keys
  jq -e --argjson d "${key}" 'map(select(.Name == "default"))[0]
    | .PrimaryKey == $d.PrimaryKey and .SecondaryKey == $d.SecondaryKey
      and (.SecondaryKey | length) > 0' <<<"${output}"
  jq -e '[.[].Resources[]?.Location.SasBlobToken] | all(. == null)' \
    <<<"${output}"
}

@test "-o table: Name, ThrottleLevel, MaxConcurrentCalls and the model's location" {
  run -0 --separate-stderr amlretrain -o table endpoint list
  assert_regex "${lines[0]}" '^Name +ThrottleLevel +MaxConcurrentCalls +Resource +Location$'
  assert_regex "${lines[2]}" '^default +(Low|High) +[0-9]+ +.*\[trained model\] +http.*\.ilearner$'
  refute_output --partial 'sig='
}

@test "add: a new endpoint, then again (nothing to do), as runbooks rerun it" {
  local name
  name="$(ep_name)"
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --description 'first one'
  assert_equal "${stderr}" "amlretrain: endpoint '${name}' added"
  jq -e --arg n "${name}" '.Name == $n and .Description == "first one"
    and .ThrottleLevel == "Low" and .MaxConcurrentCalls == 4' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --description 'first one'
  assert_equal "${stderr}" "amlretrain: endpoint '${name}' exists already with these settings: nothing to do"
  jq -e --arg n "${name}" '.Name == $n' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint list
  jq -e --arg n "${name}" 'map(select(.Name == $n)) | length == 1' \
    <<<"${output}"
}

@test "add: an existing endpoint with other settings gets the given ones" {
  local name
  name="$(ep_name)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --throttle-level High --max-concurrent-calls 50
  assert_equal "${stderr}" "amlretrain: endpoint '${name}' exists: setting ThrottleLevel High, MaxConcurrentCalls 50"
  jq -e '.ThrottleLevel == "High" and .MaxConcurrentCalls == 50' \
    <<<"${output}"
  # The level it has (High) stays when only the calls are given.
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --max-concurrent-calls 60
  jq -e '.ThrottleLevel == "High" and .MaxConcurrentCalls == 60' \
    <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --max-concurrent-calls 60 --throttle-level High
  assert_equal "${stderr}" "amlretrain: endpoint '${name}' exists already with these settings: nothing to do"
}

@test "add: Low with --max-concurrent-calls warns and sends null (azuremlps)" {
  local name
  name="$(ep_name)"
  run -0 --separate-stderr amlretrain --debug endpoint add -n "${name}" \
    --throttle-level Low --max-concurrent-calls 10
  [[ "${stderr}" == *$'\namlretrain: warning: --max-concurrent-calls is ignored with ThrottleLevel Low (4 concurrent calls): sending null\n'* ]]
  # The PUT's body, as the --debug trace shows it.
  [[ "${stderr}" == *'> {"Description":null,"ThrottleLevel":"Low","MaxConcurrentCalls":null,"PreventUpdate":false}'* ]]
  jq -e '.ThrottleLevel == "Low" and .MaxConcurrentCalls == 4' <<<"${output}"
}

@test "add: --prevent-update sets PreventUpdate; a rerun without it keeps it" {
  local name
  name="$(ep_name)"
  run -0 --separate-stderr amlretrain --debug endpoint add -n "${name}" \
    --prevent-update
  # azuremlps's body (notes §3.4): PreventUpdate is always sent.
  [[ "${stderr}" == *'> {"Description":null,"ThrottleLevel":"Low","MaxConcurrentCalls":null,"PreventUpdate":true}'* ]]
  jq -e '.PreventUpdate == true' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --prevent-update
  assert_equal "${stderr}" "amlretrain: endpoint '${name}' exists already with these settings: nothing to do"
  run -0 --separate-stderr amlretrain endpoint add -n "${name}" \
    --description 'changed'
  jq -e '.PreventUpdate == true and .Description == "changed"' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint add -n "${name}b"
  jq -e '.PreventUpdate == false' <<<"${output}"
}

@test "get: an unknown endpoint exits 4, a wrong token 3, with the service's codes" {
  run -4 --separate-stderr amlretrain --error-format json endpoint get \
    -n nosuchendpoint
  assert_output ''
  jq -e '.error.exitCode == 4 and .error.httpStatus == 404' \
    <<<"$(last_stderr_line)"
  AMLR_WORKSPACE_TOKEN=wrong-token run -3 --separate-stderr \
    amlretrain --error-format json endpoint list
  jq -e '.error.exitCode == 3 and .error.httpStatus == 401' \
    <<<"$(last_stderr_line)"
  refute_output --partial 'wrong-token'
  run -3 --separate-stderr env -u AMLR_WORKSPACE_TOKEN \
    amlretrain endpoint list
  assert_equal "${stderr}" 'amlretrain: no credentials: set AMLR_WORKSPACE_TOKEN, or use --token-file FILE (a workspace token) or --endpoint-key-file FILE'
}

@test "credentials from --token-file (global) and from an endpoint's key file" {
  local tok="${BATS_TEST_TMPDIR}/tok" key="${BATS_TEST_TMPDIR}/key"
  printf '%s\n' "${AMLR_WORKSPACE_TOKEN}" >"${tok}"
  run -0 --separate-stderr env -u AMLR_WORKSPACE_TOKEN \
    amlretrain --token-file "${tok}" endpoint get -n default
  jq -e '.Name == "default"' <<<"${output}"
  # The global option after the verb, too.
  run -0 --separate-stderr env -u AMLR_WORKSPACE_TOKEN \
    amlretrain endpoint get -n default --token-file "${tok}"
  amlretrain endpoint get -n default --show-keys | jq -r .PrimaryKey >"${key}"
  run -0 --separate-stderr env -u AMLR_WORKSPACE_TOKEN \
    amlretrain endpoint get -n default --endpoint-key-file "${key}"
  jq -e '.Name == "default"' <<<"${output}"
}

@test "remove: never the default, asks unless --yes, then it is gone" {
  local name
  name="$(ep_name)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  run -2 --separate-stderr amlretrain endpoint remove -n default --yes
  assert_equal "${stderr_lines[0]}" 'amlretrain: refusing to remove the default endpoint: it belongs to the web service'
  run -2 --separate-stderr amlretrain endpoint remove -n "${name}" </dev/null
  assert_equal "${stderr_lines[0]}" "amlretrain: refusing to remove '${name}' without --yes: stdin is not a terminal"
  run -0 --separate-stderr amlretrain endpoint remove -n "${name}" --yes
  assert_output ''
  run -4 --separate-stderr amlretrain endpoint get -n "${name}"
}

@test "refresh: refreshed, or unchanged (304); never the default" {
  local name
  name="$(ep_name)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  run -2 --separate-stderr amlretrain endpoint refresh -n default
  assert_equal "${stderr_lines[0]}" 'amlretrain: the default endpoint cannot be refreshed: it follows the web service'
  run -0 --separate-stderr amlretrain endpoint refresh -n "${name}"
  jq -e --arg n "${name}" '.name == $n and (.result == "refreshed"
    or .result == "unchanged") and .overwriteResources == false' \
    <<<"${output}"
  assert_regex "${stderr}" "^amlretrain: endpoint '${name}' (refreshed|unchanged: nothing to refresh)$"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

@test "a free workspace: Low only, three endpoints counting the default (notes §3.4)" {
  local dir="${AMLR_ROOT}/manifests/emulator" seed="${BATS_TEST_TMPDIR}/seed.json"
  # The built-in seed with its workspace made Free; its files by full path.
  jq --arg d "${dir}/" '
    walk(if type == "string" and startswith("../") then $d + . else . end)
    | .workspaces[0].sku = "Free"' "${dir}/demo.json" >"${seed}"
  emu_start --seed "${seed}"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  run -2 --separate-stderr amlretrain --error-format json endpoint add \
    -n free1 --throttle-level High --max-concurrent-calls 10
  jq -e '.error.httpStatus == 400
    and (.error.details | test("ThrottleLevelNotAllowed"))' \
    <<<"$(last_stderr_line)"
  run -0 --separate-stderr amlretrain endpoint add -n free1
  jq -e '.ThrottleLevel == "Low" and .MaxConcurrentCalls == 4' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint add -n free2
  run -2 --separate-stderr amlretrain --error-format json endpoint add \
    -n free3
  jq -e '.error.details | test("TooManyEndpoints")' <<<"$(last_stderr_line)"
}
