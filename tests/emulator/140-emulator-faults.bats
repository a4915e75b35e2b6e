#!/usr/bin/env bats
# amlretrain-emulator's fault injection: every kind, count and rate, the
# --faults file, the /_emulator/faults admin route and the logs.
# Error shapes: ARM's envelope and Retry-After (reference notes
# auth-storage.md §2), Storage's XML error and x-ms-error-code (§3.7),
# libcurl's view of resets and short bodies (§5).
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

GUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
}

teardown() {
  emu_stop
}

# Request with curl; the status goes to $status_code, headers and body to
# files in the test's directory.  Arguments: curl arguments
http() {
  status_code="$(curl -sS -o "${BATS_TEST_TMPDIR}/body" \
    -D "${BATS_TEST_TMPDIR}/headers" -w '%{http_code}' "$@")"
}

# The value of response header $1 from the last http call ("" if absent).
header() {
  local name value
  while IFS=: read -r name value; do
    if [[ "${name,,}" == "${1,,}" ]]; then
      value="${value# }"
      printf '%s\n' "${value%$'\r'}"
      return 0
    fi
  done <"${BATS_TEST_TMPDIR}/headers"
  printf '\n'
}

# Add a fault through the admin route; fails unless it answers 201.
# Arguments: the fault as JSON
add_fault() {
  local code
  code="$(curl -sS -o "${BATS_TEST_TMPDIR}/added" -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' --data "$1" \
    "${AMLR_EMULATOR_URL}/_emulator/faults")"
  if [[ "${code}" != 201 ]]; then
    echo "add_fault: HTTP ${code}: $(cat "${BATS_TEST_TMPDIR}/added")" >&2
    return 1
  fi
}

# Write $2 to the fault file $1 (in the test's directory).
fault_file() {
  printf '%s\n' "$2" >"${BATS_TEST_TMPDIR}/$1"
}

# The statuses of GET $1 repeated $2 times, space-separated.
statuses() {
  local i out=()
  for ((i = 0; i < $2; i++)); do
    out+=("$(curl -sS -o /dev/null -w '%{http_code}' "${AMLR_EMULATOR_URL}$1")")
  done
  printf '%s\n' "${out[*]}"
}

@test "a status fault answers its status in ARM's envelope for count requests" {
  fault_file f.json '[{"method": "GET", "path": "/health", "kind": "status",
    "status": 503, "retryAfter": 3, "retryAfterMs": 250, "count": 2}]'
  emu_start --faults "${BATS_TEST_TMPDIR}/f.json"
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 503
  assert_equal "$(header Retry-After)" 3
  assert_equal "$(header x-ms-retry-after-ms)" 250
  assert_regex "$(header x-ms-request-id)" "^${GUID_RE}\$"
  assert_regex "$(header Content-Type)" '^application/json'
  run -0 jq -r '.error.code' "${BATS_TEST_TMPDIR}/body"
  assert_output ServiceUnavailable
  run -0 jq -e '.error.message | test("fault 1")' "${BATS_TEST_TMPDIR}/body"
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 503
  # Count spent: served normally again.
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 200
  assert_equal "$(header Retry-After)" ''
  run -0 jq -r .status "${BATS_TEST_TMPDIR}/body"
  assert_output Healthy
}

@test "a status fault defaults to 500 InternalServerError and copies code and message" {
  emu_start
  add_fault '{"path": "/health", "kind": "status", "count": 1}'
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 500
  run -0 jq -r '.error.code' "${BATS_TEST_TMPDIR}/body"
  assert_output InternalServerError
  add_fault '{"path": "/health", "kind": "status", "status": 429,
    "code": "SubscriptionRequestsThrottled", "message": "Try again.",
    "count": 1}'
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 429
  run -0 jq -c .error "${BATS_TEST_TMPDIR}/body"
  assert_output '{"code":"SubscriptionRequestsThrottled","message":"Try again."}'
}

@test "errorFormat storage answers Blob Storage's XML error with x-ms-error-code" {
  emu_start
  add_fault '{"method": "PUT", "path": "/devstoreaccount1/**",
    "kind": "status", "status": 503, "errorFormat": "storage", "count": 1}'
  http -X PUT --data 'x' "${AMLR_EMULATOR_URL}/devstoreaccount1/c/a/b.txt"
  assert_equal "${status_code}" 503
  assert_equal "$(header x-ms-error-code)" ServerBusy
  assert_equal "$(header Content-Type)" application/xml
  run -0 cat "${BATS_TEST_TMPDIR}/body"
  assert_output --partial '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>'
  assert_output --partial "RequestId:$(header x-ms-request-id)"
  assert_output --regexp 'Time:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z</Message></Error>$'
}

@test "errorFormat entra answers Entra ID's OAuth error object" {
  emu_start
  add_fault '{"method": "POST", "path": "/*/oauth2/v2.0/token",
    "kind": "status", "status": 401, "errorFormat": "entra",
    "code": "invalid_client",
    "message": "AADSTS7000215: Invalid client secret provided."}'
  http -X POST -H 'client-request-id: 8a1c1f4e-0000-4000-8000-000000000001' \
    --data 'grant_type=client_credentials' \
    "${AMLR_EMULATOR_URL}/contoso/oauth2/v2.0/token"
  assert_equal "${status_code}" 401
  run -0 jq -r '[.error, .trace_id, .correlation_id] | @tsv' \
    "${BATS_TEST_TMPDIR}/body"
  assert_output "$(printf 'invalid_client\t%s\t8a1c1f4e-0000-4000-8000-000000000001' \
    "$(header x-ms-request-id)")"
  run -0 jq -e '(.error_description | startswith("AADSTS7000215: Invalid client secret provided.\r\nTrace ID: ")) and (.error_codes | type == "array")' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "headers adds any header, e.g. an expired token's WWW-Authenticate" {
  emu_start
  add_fault '{"path": "/subscriptions/**", "kind": "status", "status": 401,
    "code": "ExpiredAuthenticationToken",
    "headers": {"WWW-Authenticate": "Bearer error=\"invalid_token\", error_description=\"The access token expiry UTC time is earlier than current UTC time.\""},
    "count": 1}'
  http "${AMLR_EMULATOR_URL}/subscriptions/s1/resourceGroups/rg"
  assert_equal "${status_code}" 401
  assert_equal "$(header WWW-Authenticate)" \
    'Bearer error="invalid_token", error_description="The access token expiry UTC time is earlier than current UTC time."'
  run -0 jq -r .error.code "${BATS_TEST_TMPDIR}/body"
  assert_output ExpiredAuthenticationToken
}

@test "a body fault answers a body that cannot be parsed" {
  emu_start
  add_fault '{"path": "/health", "kind": "body", "body": "{\"status\": \"Heal",
    "count": 1}'
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 200
  assert_regex "$(header Content-Type)" '^application/json'
  run -0 cat "${BATS_TEST_TMPDIR}/body"
  assert_output '{"status": "Heal'
  run -4 jq . "${BATS_TEST_TMPDIR}/body"
  add_fault '{"path": "/health", "kind": "body", "status": 502,
    "contentType": "text/html", "body": "<html>Bad Gateway</html>"}'
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 502
  assert_equal "$(header Content-Type)" text/html
  run -0 cat "${BATS_TEST_TMPDIR}/body"
  assert_output '<html>Bad Gateway</html>'
}

@test "a reset closes the connection without any response" {
  emu_start
  add_fault '{"path": "/health", "kind": "reset", "count": 1}'
  run -52 --separate-stderr curl -sS "${AMLR_EMULATOR_URL}/health"
  assert_output ''
  assert_regex "${stderr}" 'Empty reply from server'
  # The next request is served.
  run -0 curl -sS "${AMLR_EMULATOR_URL}/health"
  assert_output --partial Healthy
}

@test "a truncated body: the whole Content-Length is promised, half is sent" {
  emu_start
  run -0 curl -sS -o "${BATS_TEST_TMPDIR}/whole" "${AMLR_EMULATOR_URL}/health"
  whole="$(wc -c <"${BATS_TEST_TMPDIR}/whole")"
  add_fault '{"path": "/health", "kind": "truncate", "count": 1}'
  run -18 --separate-stderr curl -sS -D "${BATS_TEST_TMPDIR}/headers" \
    -o "${BATS_TEST_TMPDIR}/part" "${AMLR_EMULATOR_URL}/health"
  assert_regex "${stderr}" "transfer closed with $((whole - whole / 2)) bytes remaining"
  assert_equal "$(header Content-Length)" "${whole}"
  assert_equal "$(wc -c <"${BATS_TEST_TMPDIR}/part")" "$((whole / 2))"
  assert_equal "$(head -c "$((whole / 2))" "${BATS_TEST_TMPDIR}/whole")" \
    "$(cat "${BATS_TEST_TMPDIR}/part")"
}

@test "a delay holds requests while others are served; a client timeout fires" {
  emu_start
  add_fault '{"method": "GET", "path": "/slow", "kind": "delay",
    "delayMs": 2000}'
  # A client with a shorter timeout gives up (curl exit 28).
  run -28 --separate-stderr curl -sS --max-time 0.5 "${AMLR_EMULATOR_URL}/slow"
  # More delayed requests than the server has threads: they wait without
  # holding a thread, so another request is answered at once meanwhile.
  local i pids=()
  SECONDS=0
  for ((i = 0; i < 6; i++)); do
    curl -sS -o /dev/null -w '%{http_code}' "${AMLR_EMULATOR_URL}/slow" \
      >"${BATS_TEST_TMPDIR}/slow.${i}" 3>&- &
    pids+=($!)
  done
  sleep 0.3
  run -0 curl -sS -o /dev/null -w '%{http_code} %{time_total}' \
    "${AMLR_EMULATOR_URL}/health"
  assert_regex "${output}" '^200 0\.[0-9]+$'
  wait "${pids[@]}"
  ((SECONDS >= 2))
  for ((i = 0; i < 6; i++)); do
    # Then served (whatever the route says), not dropped.
    assert_regex "$(cat "${BATS_TEST_TMPDIR}/slow.${i}")" '^[1-5][0-9]{2}$'
  done
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq '.value[0].hits' <<<"${output}")" 7
}

@test "the emulator stops cleanly with delayed requests pending" {
  emu_start
  add_fault '{"path": "/health", "kind": "delay", "delayMs": 30000}'
  curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/health" 2>/dev/null 3>&- &
  local client=$!
  sleep 0.3
  SECONDS=0
  emu_stop TERM 5
  ((SECONDS <= 3))
  wait "${client}" || true
}

@test "matching: '*' within a segment, '**' across, any case, method filter" {
  emu_start
  add_fault '{"method": "GET", "kind": "status", "status": 500,
    "path": "/subscriptions/*/resourceGroups/*/providers/Microsoft.MachineLearning/webServices/*"}'
  add_fault '{"method": "*", "kind": "status", "status": 502,
    "path": "/a/**/b"}'
  ws=/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearning/webServices/ws1
  run -0 statuses "${ws}" 1
  assert_output 500
  run -0 statuses "${ws,,}?api-version=2017-01-01" 1 # any case, query ignored
  assert_output 500
  # Served normally (whatever the route says) when the fault does not match.
  run -0 statuses "${ws}/listKeys" 1 # '*' stays within its segment
  refute_output 500
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X PUT "${AMLR_EMULATOR_URL}${ws}"
  refute_output 500 # GET only
  run -0 statuses /a/b 1 # '**' as a segment matches none too
  assert_output 502
  run -0 statuses /a/x/y/b 1
  assert_output 502
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X DELETE "${AMLR_EMULATOR_URL}/A/x/B"
  assert_output 502
  run -0 statuses /a/x/b/c 1
  refute_output 502
}

@test "rate faults hit a fraction chosen by --fault-seed, the same for the same seed" {
  fault_file f.json '[{"path": "/health", "kind": "status", "status": 503,
    "rate": 0.5}]'
  emu_start --faults "${BATS_TEST_TMPDIR}/f.json" --fault-seed 7
  first="$(statuses /health 40)"
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  hits="$(jq '.value[0].hits' <<<"${output}")"
  assert_equal "$(jq '.faultSeed' <<<"${output}")" 7
  assert_equal "$(grep -o 503 <<<"${first// /$'\n'}" | wc -l)" "${hits}"
  # Roughly half, and not all or nothing.
  ((hits >= 10 && hits <= 30))
  emu_stop
  emu_start --faults "${BATS_TEST_TMPDIR}/f.json" --fault-seed 7
  assert_equal "$(statuses /health 40)" "${first}"
  emu_stop
  emu_start --faults "${BATS_TEST_TMPDIR}/f.json" --fault-seed 8
  second="$(statuses /health 40)"
  [[ "${second}" != "${first}" ]]
}

@test "rate with count: at most count injections" {
  emu_start --fault-seed 3
  add_fault '{"path": "/health", "kind": "status", "rate": 0.9, "count": 3}'
  run -0 statuses /health 30
  assert_equal "$(grep -o 500 <<<"${output// /$'\n'}" | wc -l)" 3
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c '.value[0] | [.remaining, .hits]' <<<"${output}")" '[0,3]'
}

@test "admin route: POST adds, GET lists with remaining and hits, DELETE removes" {
  emu_start
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c .value <<<"${output}")" '[]'
  http -X POST --data '{"method": "get", "path": "/health", "kind": "delay",
    "delayMs": 10, "count": 2}' "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "${status_code}" 201
  run -0 jq -c . "${BATS_TEST_TMPDIR}/body"
  assert_output '{"id":1,"method":"get","path":"/health","kind":"delay","delayMs":10,"count":2,"remaining":2,"hits":0}'
  add_fault '{"path": "/nothing", "kind": "reset"}'
  run -0 statuses /health 1
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c '[.value[] | [.id, .kind, .remaining, .hits]]' <<<"${output}")" \
    '[[1,"delay",1,1],[2,"reset",null,0]]'
  http -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults/1"
  assert_equal "${status_code}" 204
  http -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults/1"
  assert_equal "${status_code}" 404
  run -0 jq -r .error.code "${BATS_TEST_TMPDIR}/body"
  assert_output NotFound
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c '[.value[].id]' <<<"${output}")" '[2]'
  run -0 curl -sS -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_output '{"removed":1}'
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c .value <<<"${output}")" '[]'
}

@test "admin route: an invalid fault is a 400 naming the member" {
  emu_start
  local -A cases=(
    ['{"path": "/x", "kind": "explode"}']='$.kind: expected "status", "body", "delay", "reset", "truncate" or "lro-failed"'
    ['{"path": "/x", "kind": "status", "delayMs": 5}']="\$.delayMs: not used by kind 'status'"
    ['{"path": "/x", "kind": "reset", "cout": 2}']='$.cout: unknown member'
    ['{"path": "x", "kind": "reset"}']="\$.path: expected a path starting with '/' with at most 8 wildcards"
    ['{"kind": "reset"}']="\$: member 'path' is required"
    ['{"path": "/x", "kind": "delay"}']="\$: member 'delayMs' is required"
    ['{"path": "/x", "kind": "status", "status": 200}']='$.status: expected an integer from 400 to 599'
    ['{"path": "/x", "kind": "reset", "rate": 0}']='$.rate: expected a number above 0 and at most 1'
    ['{"path": "/x", "kind": "reset", "count": 0}']='$.count: expected an integer from 1 to 1000000000'
    ['{"path": "/x", "kind": "status", "headers": {"Content-Length": "1"}}']="\$.headers: 'Content-Length' is not a header name a fault may set"
    ['[]']='$: expected an object'
    ['{"path": "/x",']='the body is not valid JSON'
  )
  local body
  for body in "${!cases[@]}"; do
    http -X POST --data "${body}" "${AMLR_EMULATOR_URL}/_emulator/faults"
    assert_equal "${status_code}" 400
    run -0 jq -r '.error | "\(.code) \(.message)"' "${BATS_TEST_TMPDIR}/body"
    assert_output --partial "BadRequest ${cases[${body}]}"
  done
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c .value <<<"${output}")" '[]'
}

@test "paths under /_emulator/ never meet a fault" {
  emu_start
  add_fault '{"path": "/**", "kind": "status", "status": 500}'
  run -0 statuses /health 1
  assert_output 500
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X DELETE \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_output 200
  run -0 statuses /health 1
  assert_output 200
}

@test "an lro-failed fault fails the operation the request starts, and is logged" {
  local spec="${AMLR_REFERENCE}/arm-machinelearning/stable/2017-01-01"
  jq '.parameters.createOrUpdatePayload' "${spec}/examples/putWebService.json" \
    >"${BATS_TEST_TMPDIR}/ws.json"
  emu_start --provisioning-delay 100 --log "${BATS_TEST_TMPDIR}/access.log"
  add_fault '{"method": "PUT", "kind": "lro-failed", "count": 1,
    "path": "/subscriptions/*/resourceGroups/*/providers/Microsoft.MachineLearning/webServices/*",
    "code": "ProvisioningFailed", "message": "The deployment failed."}'
  # The server itself leaves the request alone: other methods and paths
  # are served and do not spend the fault.
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X PUT "${AMLR_EMULATOR_URL}/health"
  assert_output 405
  arm_token
  arm_json PUT "$(arm_ws_path doomed)?api-version=2017-01-01" "${BATS_TEST_TMPDIR}/ws.json"
  assert_equal "${ARM_STATUS}" 201
  run -0 arm_wait "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -c '[.status, .error.code, .error.message]' <<<"${output}")" \
    '["Failed","ProvisioningFailed","The deployment failed."]'
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c '.value[0] | [.remaining, .hits]' <<<"${output}")" '[0,1]'
  run -0 grep -E ' PUT /subscriptions/[^ ]+/webServices/doomed 201 ' "${BATS_TEST_TMPDIR}/access.log"
  assert_output --regexp ' fault=lro-failed fault-id=1$'
}

@test "--faults FILE: an invalid file exits 2 naming the JSON path" {
  local -A cases=(
    ['{"path": "/x", "kind": "reset"}']='$: expected an array of faults'
    ['[{"path": "/x", "kind": "reset"}, {"path": "/y", "kind": "boom"}]']='$[1].kind: expected "status", "body", "delay", "reset", "truncate" or "lro-failed"'
    ['[{"path": "/x", "kind": "reset", "cout": 1}]']='$[0].cout: unknown member'
    ['[{"path": "/x", "kind": "status", "retryAfter": "soon"}]']='$[0].retryAfter: expected an integer from 0 to 86400'
    ['[{"path": "/x", "kind": "status", "errorFormat": "xml"}]']='$[0].errorFormat: expected "arm", "storage" or "entra"'
    ['[{"method": "GE T", "path": "/x", "kind": "reset"}]']='$[0].method: expected a method such as "GET", or "*"'
    ['[7]']='$[0]: expected a fault object'
  )
  local text
  for text in "${!cases[@]}"; do
    fault_file bad.json "${text}"
    run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
      --faults "${BATS_TEST_TMPDIR}/bad.json"
    assert_output ''
    assert_equal "${stderr}" \
      "amlretrain-emulator: invalid fault file '${BATS_TEST_TMPDIR}/bad.json': ${cases[${text}]}"
  done
  fault_file bad.json '[{"path": "/x", "kind": "reset"'
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --faults "${BATS_TEST_TMPDIR}/bad.json"
  assert_regex "${stderr_lines[0]}" "^amlretrain-emulator: invalid fault file '.*/bad.json': "
}

@test "--faults FILE that cannot be read exits 9" {
  run -9 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --faults "${BATS_TEST_TMPDIR}/missing.json"
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr}" "^amlretrain-emulator: cannot read the fault file: cannot open '.*/missing.json': No such file or directory\$"
}

@test "every injected fault is logged on stderr with -v and in the access log" {
  fault_file f.json '[
    {"path": "/health", "method": "GET", "kind": "status", "status": 503, "count": 1},
    {"path": "/health", "method": "GET", "kind": "body", "body": "{", "count": 1},
    {"path": "/health", "method": "GET", "kind": "delay", "delayMs": 50, "count": 1},
    {"path": "/health", "method": "GET", "kind": "reset", "count": 1},
    {"path": "/health", "method": "GET", "kind": "truncate", "count": 1}]'
  emu_start -v --faults "${BATS_TEST_TMPDIR}/f.json" --log "${BATS_TEST_TMPDIR}/access.log"
  local i
  for ((i = 0; i < 6; i++)); do
    curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/health?sig=SECRETSIG" || true
  done
  emu_stop
  run -0 grep -c ' fault=' "${BATS_TEST_TMPDIR}/access.log"
  assert_output 5
  run -0 cat "${BATS_TEST_TMPDIR}/access.log"
  assert_line --index 0 --regexp "^[0-9T:.-]+Z GET /health 503 [0-9.]+ [0-9]+ ${GUID_RE} - fault=status:503 fault-id=1\$"
  assert_line --index 1 --regexp "^[0-9T:.-]+Z GET /health 200 [0-9.]+ 1 ${GUID_RE} - fault=body:200 fault-id=2\$"
  assert_line --index 2 --regexp "^[0-9T:.-]+Z GET /health 200 [0-9.]+ 38 ${GUID_RE} - fault=delay:50 fault-id=3\$"
  assert_line --index 3 --regexp '^[0-9T:.-]+Z GET /health - [0-9.]+ 0 - - fault=reset fault-id=4$'
  assert_line --index 4 --regexp "^[0-9T:.-]+Z GET /health 200 [0-9.]+ 19 ${GUID_RE} - fault=truncate fault-id=5\$"
  assert_line --index 5 --regexp "^[0-9T:.-]+Z GET /health 200 [0-9.]+ 38 ${GUID_RE} -\$"
  refute_output --partial SECRETSIG
  run -0 grep -E '^amlretrain-emulator: GET /health ' "${EMU_STDERR}"
  assert_line --index 0 --regexp '^amlretrain-emulator: GET /health 503 [0-9.]+ ms fault=status:503 fault-id=1$'
  assert_line --index 1 --regexp '^amlretrain-emulator: GET /health 200 [0-9.]+ ms fault=body:200 fault-id=2$'
  assert_line --index 2 --regexp '^amlretrain-emulator: GET /health 200 [0-9.]+ ms fault=delay:50 fault-id=3$'
  assert_line --index 3 --regexp '^amlretrain-emulator: GET /health - [0-9.]+ ms fault=reset fault-id=4$'
  assert_line --index 4 --regexp '^amlretrain-emulator: GET /health 200 [0-9.]+ ms fault=truncate fault-id=5$'
  assert_line --index 5 --regexp '^amlretrain-emulator: GET /health 200 [0-9.]+ ms$'
  run -1 grep -F SECRETSIG "${EMU_STDERR}"
}

@test "the client retries through a count fault and a reset" {
  emu_start
  add_fault '{"path": "/health", "kind": "status", "status": 503,
    "retryAfterMs": 50, "count": 2}'
  run -0 --separate-stderr timeout 30 amlretrain rest --url "${AMLR_EMULATOR_URL}/health"
  run -0 jq -r .status <<<"${output}"
  assert_output Healthy
  add_fault '{"path": "/health", "kind": "reset", "count": 1}'
  run -0 --separate-stderr timeout 30 amlretrain rest --url "${AMLR_EMULATOR_URL}/health"
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/faults"
  assert_equal "$(jq -c '[.value[].hits]' <<<"${output}")" '[2,1]'
}
