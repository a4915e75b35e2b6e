#!/usr/bin/env bats
# The C client (amlretrain blob) against Microsoft's Azurite 3.35.0, the
# reference storage emulator (auth-storage.md §4): it checks Shared Key and
# SAS signatures, so these pass only if our signing is byte-exact.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load 'azurite'
  azurite_start
}

teardown_file() {
  load 'azurite'
  azurite_stop
}

setup() {
  load '../test_helper/common'
  export AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}"
  printf 'hello world\n' >"${BATS_TEST_TMPDIR}/small.txt"
}

@test "Azurite: create container, small upload (Put Blob), show, download" {
  local out="${BATS_TEST_TMPDIR}/back.txt"
  run -0 --separate-stderr amlretrain blob upload -c interop -n dir/a.txt \
    -f "${BATS_TEST_TMPDIR}/small.txt" --content-type text/plain \
    --create-container
  jq -e '.contentLength == 12' <<<"${output}"
  run -0 --separate-stderr amlretrain blob show -c interop -n dir/a.txt
  jq -e '.contentType == "text/plain" and .contentMd5 == "b1kCrCNwJL3QwXbLkwY9xA=="' \
    <<<"${output}"
  run -0 --separate-stderr amlretrain blob download -c interop -n dir/a.txt \
    -f "${out}"
  cmp "${out}" "${BATS_TEST_TMPDIR}/small.txt"
}

@test "Azurite: multi-block upload and ranged parallel download" {
  local f="${BATS_TEST_TMPDIR}/big.bin" out="${BATS_TEST_TMPDIR}/big.out"
  head -c 5000000 /dev/urandom >"${f}"
  run -0 --separate-stderr amlretrain blob upload -c interop -n big.bin \
    -f "${f}" --create-container --block-size 512K --parallel 4
  jq -e '.contentLength == 5000000' <<<"${output}"
  run -0 --separate-stderr amlretrain blob show -c interop -n big.bin
  jq -e '.contentLength == 5000000 and .blobType == "BlockBlob"' \
    <<<"${output}"
  run -0 --separate-stderr amlretrain blob download -c interop -n big.bin \
    -f "${out}" --block-size 300K --parallel 4
  cmp "${f}" "${out}"
}

@test "Azurite: list with pages (NextMarker) and a delimiter" {
  local n
  for n in p/1 p/2 q r; do
    amlretrain blob upload -c listing -n "${n}" \
      -f "${BATS_TEST_TMPDIR}/small.txt" --create-container >/dev/null
  done
  run -0 --separate-stderr amlretrain blob list -c listing --page-size 1
  jq -e '[.[].name] == ["p/1","p/2","q","r"]' <<<"${output}"
  run -0 --separate-stderr amlretrain blob list -c listing --delimiter /
  jq -e '[.[].name] == ["p/","q","r"]' <<<"${output}"
}

@test "Azurite: a SAS we generate is accepted by Azurite, used by curl" {
  amlretrain blob upload -c sas -n m.ilearner \
    -f "${BATS_TEST_TMPDIR}/small.txt" --create-container >/dev/null
  run -0 --separate-stderr amlretrain blob sas -c sas -n m.ilearner -p r \
    -e 1h
  jq -r .url <<<"${output}" >"${BATS_TEST_TMPDIR}/url"
  run -0 curl -sS -f "$(cat "${BATS_TEST_TMPDIR}/url")"
  assert_output 'hello world'
  # A container SAS for listing, through the CLI's --url.
  run -0 --separate-stderr amlretrain blob sas -c sas -p rl -e 1h
  jq -r .url <<<"${output}" >"${BATS_TEST_TMPDIR}/curl"
  run -0 --separate-stderr amlretrain blob list --url @"${BATS_TEST_TMPDIR}/curl"
  jq -e '[.[].name] == ["m.ilearner"]' <<<"${output}"
}

@test "Azurite: a tampered signature is refused with 403" {
  local url
  amlretrain blob upload -c sas -n t.txt -f "${BATS_TEST_TMPDIR}/small.txt" \
    --create-container >/dev/null
  url="$(amlretrain blob sas -c sas -n t.txt -p r -e 1h | jq -r .url)"
  # Another well-formed signature (a malformed one makes Azurite answer
  # 500): 43 base64 digits and '='.
  run -0 curl -sS -o /dev/null -w '%{http_code}' \
    "${url%%&sig=*}&sig=$(printf 'A%.0s' {1..43})%3D"
  assert_output 403
  run -0 curl -sS -o /dev/null -w '%{http_code}' "${url/sp=r/sp=rw}"
  assert_output 403
  export BAD="${AZURITE_CS/AccountKey=Eby8/AccountKey=Xby8}"
  run -3 --separate-stderr amlretrain --error-format json blob show -c sas \
    -n t.txt --connection-string-env BAD
  jq -e '.error.httpStatus == 403' <<<"${stderr##*$'\n'}"
}
