#!/usr/bin/env bats
# amlretrain blob against the emulator's Blob Storage (issue 5).
# shellcheck disable=SC2154 # output, stderr, stderr_lines: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
  # The emulator's env file exports the development account's string.
  export AZURE_STORAGE_CONNECTION_STRING
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # common.bash unsets it for tests without an emulator; reload it.
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${BATS_FILE_TMPDIR}/emu.env")
  export AZURE_STORAGE_CONNECTION_STRING
  printf 'hello world\n' >"${BATS_TEST_TMPDIR}/small.txt"
}

# How many block data files the emulator holds.
data_files() {
  find "${BATS_FILE_TMPDIR}/emu-state/blob" -path '*/data/*' | wc -l
}

# A file of N KiB of random bytes.
random_file() {
  head -c "$(($2 * 1024))" /dev/urandom >"$1"
}

@test "blob --help and blob upload --help print usage, exit 0" {
  run -0 --separate-stderr amlretrain blob --help
  assert_output --partial 'upload'
  assert_output --partial 'sas'
  run -0 --separate-stderr amlretrain blob upload --help
  assert_output --partial '--create-container'
  assert_output --partial 'AZURE_STORAGE_CONNECTION_STRING'
  assert_equal "${stderr}" ''
}

@test "usage errors exit 2 with one line and the synopsis" {
  run -2 --separate-stderr amlretrain blob upload -c models -n x
  assert_output ''
  assert_equal "${stderr_lines[0]}" "amlretrain: missing required option '--file'"
  run -2 --separate-stderr amlretrain blob list -c Bad_Name
  assert_regex "${stderr_lines[0]}" "invalid container name 'Bad_Name'"
  # A '..' segment would be resolved away by the URL: another container.
  run -2 --separate-stderr amlretrain blob upload -c models \
    -n '../other/x' -f "${BATS_TEST_TMPDIR}/small.txt"
  assert_equal "${stderr}" "amlretrain: invalid blob name '../other/x': 1 to 1024 characters, no '.' or '..' segment (a URL resolves them away)"
  run -2 --separate-stderr amlretrain blob upload -c models -n x \
    -f "${BATS_TEST_TMPDIR}/small.txt" --block-size 12
  assert_regex "${stderr_lines[0]}" "'--block-size'"
  run -2 --separate-stderr amlretrain blob frobnicate
  assert_regex "${stderr_lines[0]}" "unknown verb 'frobnicate'"
}

@test "a SAS URL on the command line is refused (exit 2), never used" {
  run -2 --separate-stderr amlretrain blob show \
    --url 'http://127.0.0.1:1/devstoreaccount1/c/b?sv=2022-11-02&sig=abc'
  assert_regex "${stderr_lines[0]}" 'refusing a URL on the command line'
}

@test "no credentials: exit 3; a malformed connection string: exit 2" {
  unset AZURE_STORAGE_CONNECTION_STRING
  run -3 --separate-stderr amlretrain --error-format json blob list -c models
  jq -e '.error.category == "Auth"' <<<"$(last_stderr_line)"
  export MY_CS='AccountName=devstoreaccount1;AccountKey=not-base64!!;BlobEndpoint=http://127.0.0.1:1/x'
  run -2 --separate-stderr amlretrain blob list -c models \
    --connection-string-env MY_CS
  assert_equal "${stderr}" "amlretrain: connection string key 'AccountKey' is not base64"
  refute_output --partial 'not-base64!!'
}

@test "upload (one Put Blob), show, download, list: JSON on stdout" {
  local f="${BATS_TEST_TMPDIR}/small.txt" out="${BATS_TEST_TMPDIR}/back.txt"
  run -0 --separate-stderr amlretrain blob upload -c cli-small -n dir/a.txt \
    -f "${f}" --content-type text/plain --create-container
  jq -e '.name == "dir/a.txt" and .contentLength == 12
    and .contentMd5 == "b1kCrCNwJL3QwXbLkwY9xA=="' <<<"${output}"
  assert_equal "${stderr}" ''
  run -0 --separate-stderr amlretrain blob show -c cli-small -n dir/a.txt
  jq -e '.contentType == "text/plain" and .blobType == "BlockBlob"
    and (.etag | startswith("\"0x"))' <<<"${output}"
  run -0 --separate-stderr amlretrain blob download -c cli-small \
    -n dir/a.txt -f "${out}"
  cmp "${f}" "${out}"
  run -0 --separate-stderr amlretrain blob list -c cli-small
  jq -e 'length == 1 and .[0].name == "dir/a.txt"' <<<"${output}"
}

@test "multi-block upload and parallel ranged download round-trip" {
  local f="${BATS_TEST_TMPDIR}/big.bin" out="${BATS_TEST_TMPDIR}/big.out"
  random_file "${f}" 3000
  run -0 --separate-stderr amlretrain blob upload -c cli-big -n big.bin \
    -f "${f}" --create-container --block-size 256K --parallel 4
  # Each block was sent with its Content-MD5, checked by the service.
  jq -e '.contentLength == 3072000 and .blobType == "BlockBlob"' \
    <<<"${output}"
  run -0 --separate-stderr amlretrain blob download -c cli-big -n big.bin \
    -f "${out}" --block-size 100K --parallel 3
  cmp "${f}" "${out}"
  assert_equal "${stderr}" ''
}

@test "list: prefix, delimiter, and pages followed through NextMarker" {
  local f="${BATS_TEST_TMPDIR}/small.txt" n
  for n in a/1 a/2 b/1 c d; do
    amlretrain blob upload -c cli-list -n "${n}" -f "${f}" \
      --create-container >/dev/null
  done
  run -0 --separate-stderr amlretrain blob list -c cli-list --page-size 2
  jq -e '[.[].name] == ["a/1","a/2","b/1","c","d"]' <<<"${output}"
  run -0 --separate-stderr amlretrain blob list -c cli-list --delimiter / \
    --page-size 1
  jq -e '[.[] | [.name, (.isPrefix // false)]]
    == [["a/",true],["b/",true],["c",false],["d",false]]' <<<"${output}"
  run -0 --separate-stderr amlretrain blob list -c cli-list --prefix a/
  jq -e '[.[].name] == ["a/1","a/2"]' <<<"${output}"
  run -0 --separate-stderr amlretrain -o tsv blob list -c cli-list --prefix c
  assert_regex "${output}" $'^c\tcli-list\t12\t'
}

@test "missing blob or container: exit 4 with Storage's code" {
  run -4 --separate-stderr amlretrain --error-format json blob show \
    -c cli-small -n no/such
  assert_output ''
  jq -e '.error.code == "BlobNotFound" and .error.httpStatus == 404
    and (.error.requestId | length) == 36
    and .error.message == "blob '"'"'no/such'"'"' not found in container '"'"'cli-small'"'"'"' \
    <<<"$(last_stderr_line)"
  run -4 --separate-stderr amlretrain --error-format json blob list \
    -c no-such-container
  jq -e '.error.code == "ContainerNotFound"' <<<"$(last_stderr_line)"
}

@test "delete removes the blob; deleting again exits 4" {
  amlretrain blob upload -c cli-del -n gone -f "${BATS_TEST_TMPDIR}/small.txt" \
    --create-container >/dev/null
  run -0 --separate-stderr amlretrain blob delete -c cli-del -n gone
  assert_output ''
  run -4 --separate-stderr amlretrain blob show -c cli-del -n gone
  run -4 --separate-stderr amlretrain blob delete -c cli-del -n gone
}

@test "sas: a read SAS works with curl and --url @FILE, not for writing" {
  local url="${BATS_TEST_TMPDIR}/sas.url" out="${BATS_TEST_TMPDIR}/via-sas"
  amlretrain blob upload -c cli-sas -n m.ilearner \
    -f "${BATS_TEST_TMPDIR}/small.txt" --create-container >/dev/null
  run -0 --separate-stderr amlretrain blob sas -c cli-sas -n m.ilearner \
    -p r -e 2h
  jq -e '(.url | test("sp=r&sig=")) and (.expiry | endswith("Z"))' \
    <<<"${output}"
  jq -r .url <<<"${output}" >"${url}"
  run -0 curl -sS -f "$(cat "${url}")"
  assert_output 'hello world'
  run -0 --separate-stderr amlretrain blob download --url @"${url}" \
    -f "${out}"
  cmp "${out}" "${BATS_TEST_TMPDIR}/small.txt"
  run -3 --separate-stderr amlretrain --error-format json blob upload \
    --url - -f "${BATS_TEST_TMPDIR}/small.txt" <"${url}"
  jq -e '.error.code == "AuthorizationPermissionMismatch"' \
    <<<"$(last_stderr_line)"
  run -2 --separate-stderr amlretrain blob sas -c cli-sas -n m.ilearner \
    -e 2001-01-01T00:00:00Z
  assert_regex "${stderr_lines[0]}" 'expiry is in the past'
}

@test "a failed download leaves the target as it was, no temporary file" {
  local out="${BATS_TEST_TMPDIR}/keep.txt"
  echo 'old content' >"${out}"
  run -4 --separate-stderr amlretrain blob download -c cli-small -n missing \
    -f "${out}"
  assert_equal "$(cat "${out}")" 'old content'
  run -9 --separate-stderr amlretrain blob download -c cli-small \
    -n dir/a.txt -f "${BATS_TEST_TMPDIR}/no/such/dir/x"
  assert_regex "${stderr_lines[0]}" "cannot create"
  assert_equal "$(find "${BATS_TEST_TMPDIR}" -name '*.tmp-*' | wc -l)" 0
}

@test "a full disk during download: exit 9, nothing at the destination" {
  local f="${BATS_TEST_TMPDIR}/big.bin" out="${BATS_TEST_TMPDIR}/full.bin"
  random_file "${f}" 600
  amlretrain blob upload -c cli-full -n big -f "${f}" --create-container \
    >/dev/null
  # RLIMIT_FSIZE makes writes past 256 KiB fail (EFBIG), as a full disk.
  # shellcheck disable=SC2016 # $1 expands in the inner shell
  run -9 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 256;
    exec amlretrain blob download -c cli-full -n big -f "$1"' _ "${out}"
  assert_file_not_exists "${out}"
  assert_equal "$(find "${BATS_TEST_TMPDIR}" -name 'full.bin*' | wc -l)" 0
}

@test "a file that shrinks or disappears during upload: exit 9, no blob" {
  local f="${BATS_TEST_TMPDIR}/shrinks.bin" i
  random_file "${f}" 16384
  amlretrain blob upload -c cli-shrink -n first -f "${BATS_TEST_TMPDIR}/small.txt" \
    --create-container >/dev/null
  local before
  before="$(data_files)"
  amlretrain blob upload -c cli-shrink -n shrinks -f "${f}" \
    --block-size 16K --parallel 1 \
    >"${BATS_TEST_TMPDIR}/up.out" 2>"${BATS_TEST_TMPDIR}/up.err" 3>&- &
  local pid=$!
  # Truncate once some blocks are in: the emulator's data files appear.
  for ((i = 0; i < 500; i++)); do
    (($(data_files) > before + 4)) && break
    sleep 0.01
  done
  truncate -s 100K "${f}"
  local rc=0
  wait "${pid}" || rc=$?
  assert_equal "${rc}" 9
  assert_regex "$(cat "${BATS_TEST_TMPDIR}/up.err")" "'.*shrinks.bin' (shrank|changed) during the upload; nothing was committed"
  run -4 amlretrain blob show -c cli-shrink -n shrinks

  random_file "${f}" 16384
  amlretrain blob upload -c cli-shrink -n vanishes -f "${f}" \
    --block-size 16K --parallel 1 \
    >"${BATS_TEST_TMPDIR}/up.out" 2>"${BATS_TEST_TMPDIR}/up.err" 3>&- &
  pid=$!
  before="$(data_files)"
  for ((i = 0; i < 500; i++)); do
    (($(data_files) > before + 4)) && break
    sleep 0.01
  done
  rm -f "${f}"
  rc=0
  wait "${pid}" || rc=$?
  assert_equal "${rc}" 9
  assert_regex "$(cat "${BATS_TEST_TMPDIR}/up.err")" 'disappeared during the upload'
  run -4 amlretrain blob show -c cli-shrink -n vanishes
}

@test "--debug traces requests with the signature and SAS redacted" {
  run -0 --separate-stderr amlretrain --debug blob show -c cli-small \
    -n dir/a.txt
  assert_regex "${stderr}" '> HEAD /devstoreaccount1/cli-small/dir/a.txt'
  assert_regex "${stderr}" 'Authorization: REDACTED'
  refute_regex "${stderr}" 'SharedKey devstoreaccount1:'
}
