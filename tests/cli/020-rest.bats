#!/usr/bin/env bats
# amlretrain rest against the emulator: the HTTP client end to end.
# shellcheck disable=SC2154 # stderr, stderr_lines: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
}

@test "rest GET prints the JSON reply, exit 0" {
  run -0 --separate-stderr amlretrain rest --url "${AMLR_EMULATOR_URL}/health"
  jq -e '.status == "Healthy"' <<<"${output}"
  assert_equal "${stderr}" ''
}

@test "rest -o table renders the reply" {
  run -0 amlretrain -o table rest --url "${AMLR_EMULATOR_URL}/health"
  assert_line --index 0 --regexp '^status +version$'
  assert_line --index 2 --regexp '^Healthy +[0-9.]+$'
}

@test "HTTP 404 exits 4 with the service's code and request id" {
  run -4 --separate-stderr amlretrain --error-format json rest \
    --url "${AMLR_EMULATOR_URL}/no/such/route"
  assert_output ''
  jq -e '.error.exitCode == 4 and .error.category == "NotFound"
    and .error.code == "NotFound" and .error.httpStatus == 404
    and (.error.requestId | length) == 36
    and (.error.message | contains("/no/such/route"))' \
    <<<"$(last_stderr_line)"
}

@test "HTTP 404 in text form: one line, and -v adds the request id" {
  run -4 --separate-stderr amlretrain rest --url "${AMLR_EMULATOR_URL}/nope"
  assert_equal "${#stderr_lines[@]}" 1
  [[ "${stderr_lines[0]}" == 'amlretrain: '* ]]
  run -4 --separate-stderr amlretrain -v rest --url "${AMLR_EMULATOR_URL}/nope"
  assert_regex "${stderr_lines[1]}" '^amlretrain: request-id [0-9a-f-]{36} \(HTTP 404 NotFound\)$'
}

@test "HTTP 405 (a bad request of ours) exits 2" {
  run -2 --separate-stderr amlretrain --error-format json rest \
    -m DELETE --url "${AMLR_EMULATOR_URL}/health"
  jq -e '.error.httpStatus == 405 and .error.code == "MethodNotAllowed"' \
    <<<"$(last_stderr_line)"
}

@test "connection refused exits 7" {
  local port
  port="$(unused_port)"
  run -7 --separate-stderr amlretrain --error-format json rest \
    --url "http://127.0.0.1:${port}/health"
  jq -e '.error.category == "Network" and .error.httpStatus == null' \
    <<<"$(last_stderr_line)"
}

@test "plain http to a non-loopback host is refused, exit 2" {
  run -2 --separate-stderr amlretrain rest --url http://example.com/
  assert_equal "${stderr_lines[0]}" "amlretrain: refusing 'http://example.com/': only https, or http to a loopback address"
}

@test "secret headers and SAS URLs are refused on the command line" {
  run -2 --separate-stderr amlretrain rest --url "${AMLR_EMULATOR_URL}/health" \
    -H 'Authorization: Bearer SECRET-TOKEN'
  assert_equal "${stderr_lines[0]}" "amlretrain: refusing header 'Authorization' on the command line: it would expose a secret"
  refute_output --partial 'SECRET-TOKEN'
  [[ "${stderr}" != *SECRET-TOKEN* ]]
  run -2 --separate-stderr amlretrain rest \
    --url "${AMLR_EMULATOR_URL}/c/b?sv=1&sig=SECRET-SIG"
  [[ "${stderr}" != *SECRET-SIG* ]]
  assert_regex "${stderr_lines[0]}" 'pass it as --url @FILE'
}

@test "--url @FILE reads a SAS URL; --debug and errors never show the signature" {
  local f="${BATS_TEST_TMPDIR}/url"
  printf '%s\n' "${AMLR_EMULATOR_URL}/c/b?sv=2021-08-06&sig=SECRET-SIG" >"${f}"
  run -4 --separate-stderr amlretrain --debug --error-format json rest --url "@${f}"
  [[ "${stderr}" != *SECRET-SIG* ]]
  [[ "${stderr}" == *'sig=REDACTED'* ]]
  [[ "${stderr}" == *'> GET /c/b?sv=2021-08-06&sig=REDACTED HTTP/1.1'* ]]
  jq -e '.error.message | contains("/c/b") and (contains("sig") | not)' \
    <<<"$(last_stderr_line)"
}

@test "--debug traces request and reply headers on stderr only" {
  run -0 --separate-stderr amlretrain --debug rest --url "${AMLR_EMULATOR_URL}/health"
  jq -e '.status == "Healthy"' <<<"${output}"
  [[ "${stderr}" == *'> GET /health HTTP/1.1'* ]]
  [[ "${stderr}" == *'> x-ms-client-request-id: '* ]]
  [[ "${stderr}" == *'< HTTP/1.1 200'* ]]
}

@test "--output-file writes the body, nothing on stdout" {
  local f="${BATS_TEST_TMPDIR}/health.json"
  run -0 --separate-stderr amlretrain rest --url "${AMLR_EMULATOR_URL}/health" \
    --output-file "${f}"
  assert_output ''
  jq -e '.status == "Healthy"' "${f}"
  assert_file_not_exist "${f}".tmp-*
}

@test "--output-file into a missing directory exits 9 and creates nothing" {
  run -9 --separate-stderr amlretrain rest --url "${AMLR_EMULATOR_URL}/health" \
    --output-file "${BATS_TEST_TMPDIR}/no/such/dir/out.json"
  assert_output ''
  assert_regex "${stderr_lines[0]}" "^amlretrain: cannot create '.*/no/such/dir/out.json'"
  assert_dir_not_exist "${BATS_TEST_TMPDIR}/no"
}

@test "--body @FILE sends the file; a missing body file exits 9" {
  printf '{"a":1}' >"${BATS_TEST_TMPDIR}/body.json"
  # /health takes no body: 405 proves the request left with it.
  run -2 amlretrain rest -m PUT --url "${AMLR_EMULATOR_URL}/health" \
    --body "@${BATS_TEST_TMPDIR}/body.json"
  run -9 --separate-stderr amlretrain rest -m PUT \
    --url "${AMLR_EMULATOR_URL}/health" --body "@${BATS_TEST_TMPDIR}/missing"
  assert_regex "${stderr_lines[0]}" "cannot read '.*/missing'"
}
