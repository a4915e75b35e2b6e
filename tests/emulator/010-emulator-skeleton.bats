#!/usr/bin/env bats
# amlretrain-emulator's foundation: options, env file, routing, signals.
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

GUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
}

teardown_file() {
  emu_stop
  assert_file_empty "${EMU_STDERR}" # no sanitizer report, no noise
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
}

teardown() {
  emu_stop # only an emulator this test started: EMU_PID is not exported
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

# Wait (5 s at most) until file $1 has $2 lines.
wait_for_lines() {
  local i
  for ((i = 0; i < 100; i++)); do
    if [[ -f "$1" ]] && (($(wc -l <"$1") >= $2)); then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

@test "--help prints the usage on stdout and exits 0" {
  run -0 --separate-stderr amlretrain-emulator --help
  assert_line --index 0 'usage: amlretrain-emulator [options]'
  assert_line --partial -- '--listen HOST:PORT'
  assert_line --partial -- '--env-file FILE'
  assert_line --partial -- '--print-env'
  assert_line --partial -- '--state-dir DIR'
  assert_line --partial -- '-v, --verbose'
  assert_equal "${stderr}" ''
}

@test "-h is --help" {
  run -0 --separate-stderr amlretrain-emulator -h
  assert_line --index 0 'usage: amlretrain-emulator [options]'
}

@test "--version names the emulator and libmicrohttpd" {
  run -0 --separate-stderr amlretrain-emulator --version
  assert_line --index 0 'amlretrain-emulator 0.1.0'
  assert_line --index 1 --regexp '^libmicrohttpd [0-9]+\.[0-9]+\.[0-9]+$'
  assert_equal "${stderr}" ''
}

@test "an unknown option exits 2 with one error line and a usage hint" {
  run -2 --separate-stderr timeout 10 amlretrain-emulator --no-such-option
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 2
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: unknown option '--no-such-option'"
  assert_regex "${stderr_lines[1]}" '^usage: amlretrain-emulator '
}

@test "an unknown option with a value does not echo the value" {
  run -2 --separate-stderr timeout 10 amlretrain-emulator --key=hunter2
  assert_output ''
  assert_equal "${stderr_lines[0]}" "amlretrain-emulator: unknown option '--key'"
  refute_regex "${stderr}" 'hunter2'
}

@test "usage errors: missing value, stray argument, value on a flag" {
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen
  assert_output ''
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: option '--listen' needs a value"
  run -2 --separate-stderr timeout 10 amlretrain-emulator serve
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: unexpected argument 'serve'"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --print-env=yes
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: option '--print-env' takes no value"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --env-file ''
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: option '--env-file' needs a non-empty value"
}

@test "a bad --listen value exits 2" {
  local value
  for value in nohost :8080 127.0.0.1 127.0.0.1: 127.0.0.1:65536 \
    127.0.0.1:-1 127.0.0.1:8o8 256.1.1.1:80 example.com:80 '[::1]' \
    '[::1]8080' '[nope]:80'; do
    run -2 --separate-stderr timeout 10 amlretrain-emulator --listen "${value}"
    assert_output ''
    assert_equal "${#stderr_lines[@]}" 2
    assert_regex "${stderr_lines[0]}" \
      "^amlretrain-emulator: invalid --listen value '.*': expected "
  done
}

@test "port 0 picks a free port; the env file is 0600 with the exports" {
  local env_file="${BATS_FILE_TMPDIR}/emu.env"
  assert_file_exist "${env_file}"
  assert_equal "$(stat -c '%a' "${env_file}")" 600
  run -0 cat "${env_file}"
  # Every line is one shell export; services add their own lines.
  local line
  for line in "${lines[@]}"; do
    assert_regex "${line}" "^export [A-Z_][A-Z0-9_]*='[^']*'$"
  done
  assert_line --index 0 --regexp \
    "^export AMLR_EMULATOR_URL='http://127\.0\.0\.1:[1-9][0-9]*'$"
  assert_line --index 1 --regexp "^export AMLR_EMULATOR_PID='[1-9][0-9]*'$"
  assert_regex "${AMLR_EMULATOR_URL}" '^http://127\.0\.0\.1:[1-9][0-9]*$'
  kill -0 "${AMLR_EMULATOR_PID}"
  assert_dir_exist "${BATS_FILE_TMPDIR}/emu-state"
}

@test "GET /health answers Healthy with the version" {
  run -0 curl -fsS "${AMLR_EMULATOR_URL}/health"
  jq -e '. == {"status": "Healthy", "version": "0.1.0"}' <<<"${output}"
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 200
  assert_equal "$(header Content-Type)" 'application/json; charset=utf-8'
  assert_regex "$(header x-ms-request-id)" "^${GUID_RE}$"
}

@test "HEAD /health answers 200 without a body" {
  local fd raw="${BATS_TEST_TMPDIR}/raw"
  http -I "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 200
  assert_equal "$(header Content-Length)" 38
  # HTTP/1.0: the server closes after the answer, which ends the headers.
  exec {fd}<>"/dev/tcp/127.0.0.1/$(emu_port)"
  printf 'HEAD /health HTTP/1.0\r\n\r\n' >&"${fd}"
  timeout 5 cat <&"${fd}" >"${raw}"
  exec {fd}>&-
  assert_equal "$(tail -c 4 "${raw}" | od -An -tx1 | tr -d ' \n')" 0d0a0d0a
}

@test "an unknown path is a 404 in ARM's error envelope" {
  http "${AMLR_EMULATOR_URL}/no/such/route?api-version=2017-01-01"
  assert_equal "${status_code}" 404
  assert_equal "$(header Content-Type)" 'application/json; charset=utf-8'
  assert_regex "$(header x-ms-request-id)" "^${GUID_RE}$"
  jq -e '. == {"error": {"code": "NotFound",
    "message": "no route for GET /no/such/route"}}' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "every response gets its own request id" {
  local first
  http "${AMLR_EMULATOR_URL}/health"
  first="$(header x-ms-request-id)"
  http "${AMLR_EMULATOR_URL}/health"
  assert_regex "${first}" "^${GUID_RE}$"
  [[ "$(header x-ms-request-id)" != "${first}" ]]
}

@test "a known path with a wrong method is a 405 with Allow" {
  http -X DELETE "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 405
  assert_equal "$(header Allow)" 'GET, HEAD'
  assert_regex "$(header x-ms-request-id)" "^${GUID_RE}$"
  jq -e '.error.code == "MethodNotAllowed"' "${BATS_TEST_TMPDIR}/body"
}

@test "literal path segments match case-insensitively" {
  http "${AMLR_EMULATOR_URL}/HEALTH"
  assert_equal "${status_code}" 200
}

@test "the correlation id is echoed, and only when sent" {
  local id='2b5e7a8c-0d3f-4e61-9a7b-3c1d2e4f5a6b'
  http -H "x-ms-correlation-request-id: ${id}" "${AMLR_EMULATOR_URL}/nowhere"
  assert_equal "${status_code}" 404
  assert_equal "$(header x-ms-correlation-request-id)" "${id}"
  http "${AMLR_EMULATOR_URL}/health"
  assert_equal "$(header x-ms-correlation-request-id)" ''
}

@test "a body larger than 64 MiB is refused with 413" {
  http -H 'Content-Length: 67108865' --data-binary x \
    "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 413
  jq -e '.error.code == "RequestEntityTooLarge"' "${BATS_TEST_TMPDIR}/body"
  http --data-binary small "${AMLR_EMULATOR_URL}/health"
  assert_equal "${status_code}" 405
}

@test "--print-env prints the exports on stdout once serving" {
  local out="${BATS_TEST_TMPDIR}/out"
  amlretrain-emulator --listen 127.0.0.1:0 --print-env >"${out}" 3>&- &
  EMU_PID=$!
  wait_for_lines "${out}" 2
  run -0 cat "${out}"
  assert_line --index 0 --regexp \
    "^export AMLR_EMULATOR_URL='http://127\.0\.0\.1:[1-9][0-9]*'$"
  assert_line --index 1 "export AMLR_EMULATOR_PID='${EMU_PID}'"
  # shellcheck source=/dev/null
  source "${out}"
  run -0 curl -fsS "${AMLR_EMULATOR_URL}/health"
}

@test "--print-env and --env-file say the same" {
  emu_start --print-env
  wait_for_lines "${EMU_STDOUT}" 2
  assert_equal "$(cat "${EMU_STDOUT}")" "$(cat "${EMU_ENV_FILE}")"
}

@test "an address already in use exits 7 with one line" {
  local port
  port="$(emu_port)"
  run -7 --separate-stderr timeout 10 \
    amlretrain-emulator --listen "127.0.0.1:${port}"
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: cannot listen on 127.0.0.1:${port}: Address already in use"
}

@test "an env file that cannot be written exits 9" {
  run -9 --separate-stderr timeout 10 amlretrain-emulator \
    --listen 127.0.0.1:0 --env-file "${BATS_TEST_TMPDIR}/no/such/dir/emu.env"
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" "^amlretrain-emulator: cannot create '"
}

@test "--state-dir is created with its parents" {
  emu_start --state-dir "${BATS_TEST_TMPDIR}/a/b/state"
  assert_dir_exist "${BATS_TEST_TMPDIR}/a/b/state"
}

@test "SIGTERM stops it within 2 s despite open connections" {
  local idle busy line rc=0
  emu_start
  exec {busy}<>"/dev/tcp/127.0.0.1/$(emu_port)"
  exec {idle}<>"/dev/tcp/127.0.0.1/$(emu_port)"
  # A kept-alive connection after one answer, and one that sent nothing.
  printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"${busy}"
  read -r -t 5 line <&"${busy}"
  assert_equal "${line%$'\r'}" 'HTTP/1.1 200 OK'
  emu_stop TERM 2 || rc=$?
  exec {busy}>&- {idle}>&-
  assert_equal "${rc}" 0
  assert_file_not_exist "${EMU_ENV_FILE}"
}

@test "SIGINT stops it within 2 s and removes the env file" {
  local conn rc=0
  emu_start
  exec {conn}<>"/dev/tcp/127.0.0.1/$(emu_port)"
  printf 'GET /he' >&"${conn}" # half a request
  emu_stop INT 2 || rc=$?
  exec {conn}>&-
  assert_equal "${rc}" 0
  assert_file_not_exist "${EMU_ENV_FILE}"
}

@test "--verbose logs one line per request, never the query" {
  local rc=0
  emu_start --verbose
  curl -fsS -o /dev/null "${AMLR_EMULATOR_URL}/health?sig=s3cr3t%2Bsig"
  curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/missing"
  emu_stop || rc=$?
  assert_equal "${rc}" 0
  run -0 cat "${EMU_STDERR}"
  assert_line --regexp '^amlretrain-emulator: GET /health 200 [0-9.]+ ms$'
  assert_line --regexp '^amlretrain-emulator: GET /missing 404 [0-9.]+ ms$'
  refute_output --partial 's3cr3t'
}

@test "without --verbose it stays quiet" {
  emu_start
  curl -fsS -o /dev/null "${AMLR_EMULATOR_URL}/health"
  emu_stop
  assert_file_empty "${EMU_STDERR}"
  assert_file_empty "${EMU_STDOUT}"
}
