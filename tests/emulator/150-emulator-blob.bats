#!/usr/bin/env bats
# The emulator's Blob Storage endpoint, driven by curl with SAS tokens
# signed here by openssl (auth-storage.md §3.3), independently of libamlr.
# shellcheck disable=SC2154 # output, lines: set by bats' run

bats_require_minimum_version 1.5.0

ACCT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
SV=2022-11-02
FUTURE=2099-01-01T00:00:00Z

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

teardown() {
  emu_stop # only an emulator this test started itself
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE:-${BATS_FILE_TMPDIR}/emu.env}")
  export AZURE_STORAGE_CONNECTION_STRING
}

# Base64 HMAC-SHA256 of $1 with the account key.
hmac() {
  local hexkey
  hexkey="$(base64 -d <<<"${KEY}" | od -An -tx1 | tr -d ' \n')"
  printf '%s' "$1" | openssl dgst -sha256 -mac HMAC \
    -macopt "hexkey:${hexkey}" -binary | base64
}

urlenc() {
  jq -rn --arg v "$1" '$v | @uri'
}

# An account SAS (sv >= 2020-12-06 layout).
# Arguments: permissions, resource types, [expiry], [protocol]
account_sas() {
  local sp="$1" srt="$2" se="${3:-${FUTURE}}" spr="${4:-https,http}" sig
  sig="$(hmac "${ACCT}"$'\n'"${sp}"$'\n'b$'\n'"${srt}"$'\n\n'"${se}"$'\n\n'"${spr}"$'\n'"${SV}"$'\n\n')"
  printf 'sv=%s&ss=b&srt=%s&sp=%s&se=%s&spr=%s&sig=%s' "${SV}" "${srt}" \
    "${sp}" "$(urlenc "${se}")" "$(urlenc "${spr}")" "$(urlenc "${sig}")"
}

# A service SAS. Arguments: permissions, sr, resource (container[/blob]),
# [expiry], [protocol]
service_sas() {
  local sp="$1" sr="$2" res="$3" se="${4:-${FUTURE}}" spr="${5:-https,http}" sig
  sig="$(hmac "${sp}"$'\n\n'"${se}"$'\n'"/blob/${ACCT}/${res}"$'\n\n\n'"${spr}"$'\n'"${SV}"$'\n'"${sr}"$'\n\n\n\n\n\n\n')"
  printf 'sv=%s&spr=%s&se=%s&sr=%s&sp=%s&sig=%s' "${SV}" "$(urlenc "${spr}")" \
    "$(urlenc "${se}")" "${sr}" "${sp}" "$(urlenc "${sig}")"
}

# curl one request; prints the status, keeps headers and body in files.
# Arguments: method, path (after the account), query, [curl options]
req() {
  local method="$1" path="$2" query="$3"
  shift 3
  curl -sS -o "${BATS_TEST_TMPDIR}/body" -D "${BATS_TEST_TMPDIR}/headers" \
    -w '%{http_code}' -X "${method}" "$@" \
    "${AMLR_EMULATOR_URL}/${ACCT}${path}?${query}"
}

header() {
  grep -i "^$1:" "${BATS_TEST_TMPDIR}/headers" | tail -n 1 | cut -d' ' -f2- |
    tr -d '\r'
}

error_code() {
  xmllint --xpath 'string(/Error/Code)' "${BATS_TEST_TMPDIR}/body"
}

make_container() {
  run -0 req PUT "/$1" "restype=container&$(account_sas c c)" -H 'Content-Length: 0'
  assert_output 201
}

@test "create container: 201, again 409 ContainerAlreadyExists as Azure" {
  make_container emu-c1
  [[ "$(header ETag)" == '"0x'* ]]
  run -0 req PUT /emu-c1 "restype=container&$(account_sas c c)" -H 'Content-Length: 0'
  assert_output 409
  assert_equal "$(error_code)" ContainerAlreadyExists
  assert_equal "$(header x-ms-error-code)" ContainerAlreadyExists
  assert_regex "$(header x-ms-request-id)" '^[0-9a-f-]{36}$'
  assert_equal "$(header x-ms-version)" "${AMLR_STORAGE_VERSION:-2025-11-05}"
  assert_equal "$(header Content-Type)" application/xml
}

@test "Put Blob, Get Blob, ranged Get (206), HEAD with service SASs" {
  make_container emu-c2
  run -0 req PUT /emu-c2/dir/a.txt "$(service_sas cw c emu-c2)" \
    -H 'x-ms-blob-type: BlockBlob' -H 'Content-Type: text/plain' \
    --data-binary 'hello world'
  assert_output 201
  assert_equal "$(header Content-MD5)" "$(printf 'hello world' | openssl md5 -binary | base64)"
  run -0 req GET /emu-c2/dir/a.txt "$(service_sas r b emu-c2/dir/a.txt)"
  assert_output 200
  assert_equal "$(cat "${BATS_TEST_TMPDIR}/body")" 'hello world'
  assert_equal "$(header Content-Type)" text/plain
  run -0 req GET /emu-c2/dir/a.txt "$(service_sas r b emu-c2/dir/a.txt)" \
    -H 'x-ms-range: bytes=6-'
  assert_output 206
  assert_equal "$(cat "${BATS_TEST_TMPDIR}/body")" 'world'
  assert_equal "$(header Content-Range)" 'bytes 6-10/11'
  run -0 req GET /emu-c2/dir/a.txt "$(service_sas r b emu-c2/dir/a.txt)" \
    -H 'Range: bytes=11-20'
  assert_output 416
  assert_equal "$(error_code)" InvalidRange
  run -0 req HEAD /emu-c2/dir/a.txt "$(service_sas r b emu-c2/dir/a.txt)" -I
  assert_output 200
  assert_equal "$(header Content-Length)" 11
  assert_equal "$(header x-ms-blob-type)" BlockBlob
}

@test "a Content-MD5 that does not match the body: 400 Md5Mismatch" {
  make_container emu-md5
  run -0 req PUT /emu-md5/x "$(service_sas w c emu-md5)" \
    -H 'x-ms-blob-type: BlockBlob' -H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==' \
    --data-binary 'abc'
  assert_output 400
  assert_equal "$(error_code)" Md5Mismatch
}

@test "auth: a tampered signature is refused, 403 AuthenticationFailed" {
  local q
  q="$(service_sas rl c emu-c1)"
  run -0 req GET /emu-c1 "restype=container&comp=list&${q%%&sig=*}&sig=$(printf 'A%.0s' {1..43})%3D"
  assert_output 403
  assert_equal "$(error_code)" AuthenticationFailed
  # Any signed field changed breaks the signature too.
  run -0 req GET /emu-c1 "restype=container&comp=list&${q/sp=rl/sp=rwdl}"
  assert_output 403
  assert_equal "$(header x-ms-error-code)" AuthenticationFailed
}

@test "auth: a SAS without the permission, 403 AuthorizationPermissionMismatch" {
  make_container emu-perm
  run -0 req PUT /emu-perm/x "$(service_sas r c emu-perm)" \
    -H 'x-ms-blob-type: BlockBlob' --data-binary 'abc'
  assert_output 403
  assert_equal "$(error_code)" AuthorizationPermissionMismatch
  run -0 req DELETE /emu-perm "restype=container&$(account_sas rwl c)"
  assert_output 403
  assert_equal "$(error_code)" AuthorizationPermissionMismatch
}

@test "auth: an expired SAS, 403 AuthenticationFailed" {
  run -0 req GET /emu-c1 "restype=container&comp=list&$(service_sas l c emu-c1 2020-01-01T00:00:00Z)"
  assert_output 403
  assert_equal "$(error_code)" AuthenticationFailed
  assert_regex "$(cat "${BATS_TEST_TMPDIR}/body")" 'time frame'
}

@test "auth: an https-only SAS over http, 403 AuthorizationProtocolMismatch" {
  run -0 req GET /emu-c1 "restype=container&comp=list&$(service_sas l c emu-c1 "${FUTURE}" https)"
  assert_output 403
  assert_equal "$(error_code)" AuthorizationProtocolMismatch
}

@test "auth: resource type, blob SAS on a container, no credentials" {
  run -0 req GET /emu-c1 "restype=container&comp=list&$(account_sas l o)"
  assert_output 403
  assert_equal "$(error_code)" AuthorizationResourceTypeMismatch
  run -0 req GET /emu-c1 "restype=container&comp=list&$(service_sas l b emu-c1/x)"
  assert_output 403
  run -0 req GET /emu-c1 'restype=container&comp=list'
  assert_output 401
  assert_equal "$(error_code)" NoAuthenticationInformation
}

@test "Shared Key: vector V1 with its 2024 date is refused as stale" {
  run -0 curl -sS -o "${BATS_TEST_TMPDIR}/body" -w '%{http_code}' -X PUT \
    -H 'x-ms-date: Mon, 01 Jan 2024 00:00:00 GMT' \
    -H 'x-ms-version: 2021-12-02' -H 'Content-Length: 0' \
    -H 'Authorization: SharedKey devstoreaccount1:AzGBiDhBCT/L47KgLxsysBHCEkZo5q2if5fjEnvd9do=' \
    "${AMLR_EMULATOR_URL}/${ACCT}/models?restype=container"
  assert_output 403
  assert_equal "$(error_code)" AuthenticationFailed
}

@test "x-ms-version: required with Shared Key, a date when given" {
  run -0 curl -sS -o "${BATS_TEST_TMPDIR}/body" -w '%{http_code}' \
    -H 'Authorization: SharedKey devstoreaccount1:AAAA' \
    "${AMLR_EMULATOR_URL}/${ACCT}/emu-c1?restype=container&comp=list"
  assert_output 400
  assert_equal "$(error_code)" MissingRequiredHeader
  run -0 req GET /emu-c1 "restype=container&comp=list&$(service_sas l c emu-c1)" \
    -H 'x-ms-version: latest'
  assert_output 400
  assert_equal "$(error_code)" InvalidHeaderValue
}

@test "Shared Key: a fresh signed request passes, a wrong key fails" {
  run -0 amlretrain blob list -c emu-c2
  jq -e '.[0].name == "dir/a.txt"' <<<"${output}"
  export BAD="${AZURE_STORAGE_CONNECTION_STRING/AccountKey=Eby8/AccountKey=Xby8}"
  run -3 --separate-stderr amlretrain --error-format json blob list -c emu-c2 \
    --connection-string-env BAD
  jq -e '.error.code == "AuthenticationFailed" and .error.httpStatus == 403' \
    <<<"${stderr##*$'\n'}"
}

@test "blocks stay invisible until Put Block List commits them" {
  local q
  make_container emu-blocks
  q="$(service_sas rcwl c emu-blocks)"
  run -0 req PUT /emu-blocks/m.bin "comp=block&blockid=$(urlenc "$(printf 'blk-0001' | base64)")&${q}" \
    --data-binary 'first-'
  assert_output 201
  run -0 req PUT /emu-blocks/m.bin "comp=block&blockid=$(urlenc "$(printf 'blk-0002' | base64)")&${q}" \
    --data-binary 'second'
  assert_output 201
  run -0 req GET /emu-blocks/m.bin "${q}"
  assert_output 404
  assert_equal "$(error_code)" BlobNotFound
  run -0 req PUT /emu-blocks/m.bin "comp=blocklist&${q}" \
    -H 'Content-Type: application/xml' \
    --data-binary "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>$(printf 'blk-0001' | base64)</Latest><Latest>YmxrLTAwMDk=</Latest></BlockList>"
  assert_output 400
  assert_equal "$(error_code)" InvalidBlockList
  run -0 req PUT /emu-blocks/m.bin "comp=blocklist&${q}" \
    -H 'Content-Type: application/xml' \
    --data-binary "<BlockList><Latest>$(printf 'blk-0001' | base64)</Latest><Uncommitted>$(printf 'blk-0002' | base64)</Uncommitted></BlockList>"
  assert_output 201
  run -0 req GET /emu-blocks/m.bin "${q}"
  assert_output 200
  assert_equal "$(cat "${BATS_TEST_TMPDIR}/body")" 'first-second'
}

@test "List Blobs: prefix, delimiter, maxresults and NextMarker" {
  local q n next
  make_container emu-list
  q="$(service_sas rcwl c emu-list)"
  for n in a/1 a/2 b c; do
    req PUT "/emu-list/${n}" "${q}" -H 'x-ms-blob-type: BlockBlob' \
      --data-binary x >/dev/null
  done
  run -0 req GET /emu-list "restype=container&comp=list&delimiter=/&maxresults=2&${q}"
  assert_output 200
  run -0 xmllint --xpath '//Blobs/*/Name/text()' "${BATS_TEST_TMPDIR}/body"
  assert_output $'a/\nb'
  next="$(xmllint --xpath 'string(//NextMarker)' "${BATS_TEST_TMPDIR}/body")"
  assert_equal "${next}" c
  run -0 req GET /emu-list "restype=container&comp=list&delimiter=/&maxresults=2&marker=${next}&${q}"
  run -0 xmllint --xpath 'string(//NextMarker)' "${BATS_TEST_TMPDIR}/body"
  assert_output ''
  run -0 req GET /emu-list "restype=container&comp=list&prefix=a/&${q}"
  run -0 xmllint --xpath '//Blob/Name/text()' "${BATS_TEST_TMPDIR}/body"
  assert_output $'a/1\na/2'
  run -0 req GET /emu-list "restype=container&comp=list&maxresults=0&${q}"
  assert_output 400
}

@test "Delete Blob 202 then 404; Delete Container 202 then 404" {
  local q
  make_container emu-del
  q="$(account_sas rwdlc co)"
  req PUT /emu-del/x "${q}" -H 'x-ms-blob-type: BlockBlob' --data-binary x
  run -0 req DELETE /emu-del/x "${q}"
  assert_output 202
  run -0 req DELETE /emu-del/x "${q}"
  assert_output 404
  run -0 req DELETE /emu-del "restype=container&${q}"
  assert_output 202
  run -0 req GET /emu-del "restype=container&comp=list&${q}"
  assert_output 404
  assert_equal "$(error_code)" ContainerNotFound
}

@test "blob names cannot escape the state directory" {
  local q
  make_container emu-names
  q="$(service_sas rcwl c emu-names)"
  run -0 req PUT /emu-names/..%2F..%2F..%2Fescaped "${q}" --path-as-is \
    -H 'x-ms-blob-type: BlockBlob' --data-binary 'x'
  assert_output 201
  run -0 req GET /emu-names "restype=container&comp=list&${q}"
  run -0 xmllint --xpath '//Blob/Name/text()' "${BATS_TEST_TMPDIR}/body"
  assert_output '../../../escaped'
  assert_equal "$(find "${BATS_FILE_TMPDIR}" -name '*escaped*' | wc -l)" 0
}

@test "an unknown account is answered as an unknown route" {
  run -0 curl -sS -o /dev/null -w '%{http_code}' \
    "${AMLR_EMULATOR_URL}/nosuchaccount/c/b"
  assert_output 404
}

@test "kill -9 during a block upload leaves no visible blob" {
  local f="${BATS_TEST_TMPDIR}/big.bin" state="${BATS_TEST_TMPDIR}/state" i up
  emu_stop
  mkdir -p "${state}"
  emu_start --state-dir "${state}"
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE}")
  export AZURE_STORAGE_CONNECTION_STRING
  printf 'committed before the crash\n' >"${BATS_TEST_TMPDIR}/kept.txt"
  amlretrain blob upload -c crash -n kept -f "${BATS_TEST_TMPDIR}/kept.txt" \
    --create-container >/dev/null
  head -c 20971520 /dev/urandom >"${f}"
  amlretrain blob upload -c crash -n partial -f "${f}" --block-size 64K \
    --parallel 2 >/dev/null 2>&1 3>&- &
  up=$!
  for ((i = 0; i < 500; i++)); do
    (($(find "${state}/blob" -path '*/data/*' | wc -l) > 10)) && break
    sleep 0.01
  done
  kill -9 "${AMLR_EMULATOR_PID}"
  emu_stop KILL 2 || true
  wait "${up}" || true
  (($(find "${state}/blob" -path '*/data/*' | wc -l) > 10))
  emu_start --state-dir "${state}"
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE}")
  run -4 amlretrain blob show -c crash -n partial
  run -0 amlretrain blob list -c crash
  jq -e '[.[].name] == ["kept"]' <<<"${output}"
  # The orphaned blocks were removed at start: only the kept blob's data
  # in the container (the seed's model has its own, in another one).
  assert_equal "$(find "${state}/blob" \
    -path "*/$(printf crash | od -An -tx1 | tr -d ' \n')/data/*" | wc -l)" 1
  emu_stop
}
