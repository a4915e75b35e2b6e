#!/usr/bin/env bats
# The emulator as a target of hostile or broken clients (issue 10, point
# 6): oversized headers and bodies, slow clients holding connections,
# path traversal in blob names, malformed percent-encoding, JSON nested
# past any sense.  Each is answered with a 4xx or held without cost; the
# emulator stays up, its memory bounded, and other clients are served.
# shellcheck disable=SC2154 # output, status: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
  export EMU_STDERR
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop # 0: no sanitizer report
}

setup() {
  load '../test_helper/common'
  # shellcheck source=/dev/null
  source "${BATS_FILE_TMPDIR}/emu.env"
  export AZURE_STORAGE_CONNECTION_STRING
}

# curl's status for a request; the body in ${BATS_TEST_TMPDIR}/body.
code() {
  curl -sS --max-time 10 -o "${BATS_TEST_TMPDIR}/body" -w '%{http_code}' "$@"
}

# The emulator answers /health at once, and is the same process.
assert_serving() {
  assert_equal "$(code "${AMLR_EMULATOR_URL}/health")" 200
  kill -0 "${AMLR_EMULATOR_PID}"
}

# The emulator's resident set, in KiB.
rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/${AMLR_EMULATOR_PID}/status"
}

@test "a 200 KiB header is refused with 431, memory stays bounded" {
  local before header="${BATS_TEST_TMPDIR}/header" n
  before="$(rss_kib)"
  printf 'X-Big: %s\r\n' "$(head -c 204800 /dev/zero | tr '\0' a)" >"${header}"
  for ((n = 0; n < 20; n++)); do
    assert_equal "$(code -H "@${header}" "${AMLR_EMULATOR_URL}/health")" 431
  done
  # 2,000 headers of 100 bytes: over the connection's memory as well.
  for ((n = 0; n < 2000; n++)); do
    printf 'X-H%d: %s\r\n' "${n}" "$(printf '%0100d' 0)"
  done >"${header}"
  assert_equal "$(code -H "@${header}" "${AMLR_EMULATOR_URL}/health")" 431
  assert_serving
  # 21 requests of 200 KiB did not stay in memory (8 MiB of slack).
  (($(rss_kib) < before + 8192))
}

@test "a body over 64 MiB is refused before it is read" {
  # Announced, not sent: the 413 comes from the length alone.
  assert_equal "$(code -X PUT -H 'Content-Length: 1073741824' \
    -H 'Expect:' --data-binary x "${AMLR_EMULATOR_URL}/health")" 413
  assert_serving
}

@test "slow clients holding 200 connections do not keep others waiting" {
  local fds=() fd n port before start
  port="${AMLR_EMULATOR_URL##*:}"
  before="$(rss_kib)"
  # Each sends the start of a request and then nothing (slowloris).
  for ((n = 0; n < 200; n++)); do
    exec {fd}<>"/dev/tcp/127.0.0.1/${port}"
    printf 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"${fd}"
    fds+=("${fd}")
  done
  start="$(date +%s%N)"
  for ((n = 0; n < 20; n++)); do
    assert_equal "$(code "${AMLR_EMULATOR_URL}/health")" 200
  done
  # 20 requests beside them in well under the 10 s curl would wait.
  (($(date +%s%N) - start < 5000000000))
  for fd in "${fds[@]}"; do
    exec {fd}>&-
  done
  assert_serving
  # 200 held connections cost less than 16 MiB.
  (($(rss_kib) < before + 16384))
}

@test "blob names with '..' stay names in their container: nothing escapes" {
  local url query base name state
  state="${BATS_FILE_TMPDIR}/emu-state"
  amlretrain blob upload -c hostile -n seed.txt -f "${BATS_TEST_FILENAME}" \
    --create-container >/dev/null
  url="$(amlretrain blob sas -c hostile -p rcwl -e 1h | jq -r .url)"
  query="${url#*\?}" base="${url%%\?*}"
  for name in '../../escape1' '%2e%2e/%2e%2e/escape2' '..%2F..%2Fescape3'; do
    assert_equal "$(code --path-as-is -X PUT -H 'x-ms-blob-type: BlockBlob' \
      --data-binary "${name}" "${base}/${name}?${query}")" 201
  done
  # Listed as they were named, and read back by that name.
  run -0 curl -sS "${base}?restype=container&comp=list&${query}"
  assert_output --partial '<Name>../../escape1</Name>'
  assert_output --partial '<Name>../../escape2</Name>'
  assert_output --partial '<Name>../../escape3</Name>'
  run -0 curl -sS --path-as-is "${base}/../../escape1?${query}"
  assert_output '../../escape1'
  # No file of that name anywhere under the test's directories; the
  # state directory holds only what the emulator names itself.
  run -0 find "${BATS_FILE_TMPDIR}" "${BATS_TEST_TMPDIR}" -name 'escape*'
  assert_output ''
  run -0 find "${state}" -mindepth 1 -maxdepth 1
  refute_output --partial 'escape'
  # The other container's blobs, and the other accounts', are untouched.
  run -0 amlretrain blob list -c hostile
  assert_equal "$(jq length <<<"${output}")" 4
}

@test "malformed percent-encoding in the path or the query: 400 BadRequest" {
  local target
  for target in '/devstoreaccount1/hostile/x%2' '/devstoreaccount1/hostile/%zz' \
    '/devstoreaccount1/hostile/a%00b' '/health?x=%g0' '/health?%=1'; do
    assert_equal "$(code --path-as-is "${AMLR_EMULATOR_URL}${target}")" 400
    jq -e '.error.code == "BadRequest"
      and (.error.message | test("malformed"))' "${BATS_TEST_TMPDIR}/body"
  done
  assert_serving
}

@test "JSON nested 100,000 deep is refused with 400, not a crash" {
  local body="${BATS_TEST_TMPDIR}/nested.json"
  head -c 100000 /dev/zero | tr '\0' '[' >"${body}"
  printf 'Authorization: Bearer %s\n' "${AMLR_WORKSPACE_TOKEN:?}" \
    >"${BATS_TEST_TMPDIR}/auth"
  # The classic management API's PUT of an endpoint.
  assert_equal "$(code -X PUT -H "@${BATS_TEST_TMPDIR}/auth" \
    -H 'Content-Type: application/json' --data-binary "@${body}" \
    "${AMLR_MANAGEMENT_ENDPOINT}/workspaces/${AMLR_WORKSPACE_ID}/webservices/${AMLR_PREDICTIVE_WEBSERVICE_ID}/endpoints/deep")" 400
  # And a BES job submitted with it.
  printf '{"Inputs":%s' "$(cat "${body}")" >"${body}.bes"
  printf 'Authorization: Bearer %s\n' "${AMLR_TRAINING_API_KEY:?}" \
    >"${BATS_TEST_TMPDIR}/auth"
  assert_equal "$(code -X POST -H "@${BATS_TEST_TMPDIR}/auth" \
    -H 'Content-Type: application/json' --data-binary "@${body}.bes" \
    "${AMLR_TRAINING_API_LOCATION}/jobs?api-version=2.0")" 400
  assert_serving
}
