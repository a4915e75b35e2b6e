#!/usr/bin/env bats
# A download that is interrupted resumes where it stopped (issue 5: "download
# (ranged, parallel for large blobs, resumable, written atomically)"): the
# bytes already fetched are kept in FILE.partial, for that very version of
# the blob (ETag and length) only, and the target appears whole or not at all.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  LOG="${BATS_TEST_TMPDIR}/access.log"
  emu_start --log "${LOG}"
  export AZURE_STORAGE_CONNECTION_STRING
  head -c $((1024 * 1024)) /dev/urandom >"${BATS_TEST_TMPDIR}/big.bin"
  amlretrain blob upload -c resume -n big.bin --create-container \
    -f "${BATS_TEST_TMPDIR}/big.bin" >/dev/null
}

teardown() {
  emu_stop
}

# Ranged GETs of the blob in the access log after line $1.
range_gets() {
  tail -n "+$(($1 + 1))" "${LOG}" | grep -c ' GET /devstoreaccount1/resume/big.bin '
}

# Start a slow download (each range of 64 KiB held 250 ms) and kill -9 it
# once part of it is on disk.
interrupted_download() {
  local out="$1" pid i
  curl -fsS -X POST -H 'Content-Type: application/json' \
    --data '{"method":"GET","path":"/devstoreaccount1/resume/big.bin","kind":"delay","delayMs":250}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults" >/dev/null
  amlretrain blob download -c resume -n big.bin -f "${out}" \
    --block-size 64K --parallel 1 >/dev/null 2>&1 3>&- &
  pid=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s "${out}.partial" ]] &&
      (($(stat -c %s "${out}.partial") >= 3 * 65536)) && break
    sleep 0.05
  done
  kill -9 "${pid}"
  wait "${pid}" || true
  curl -fsS -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults" >/dev/null
}

@test "a killed download resumes from its .partial: only the missing ranges are fetched" {
  local out="${BATS_TEST_TMPDIR}/copy.bin" have mark
  interrupted_download "${out}"
  assert_file_not_exists "${out}"
  have="$(stat -c %s "${out}.partial")"
  ((have >= 3 * 65536 && have < 1024 * 1024))
  [[ -s "${out}.partial.version" ]]
  mark="$(wc -l <"${LOG}")"
  run -0 --separate-stderr amlretrain blob download -c resume -n big.bin \
    -f "${out}" --block-size 64K --parallel 1
  cmp "${out}" "${BATS_TEST_TMPDIR}/big.bin"
  assert_file_not_exists "${out}.partial"
  assert_file_not_exists "${out}.partial.version"
  # A fresh download takes 16 ranges; the resumed one only the rest.
  (($(range_gets "${mark}") <= 16 - have / 65536 + 1))
}

@test "a .partial of another version of the blob is not reused" {
  local out="${BATS_TEST_TMPDIR}/copy.bin"
  interrupted_download "${out}"
  [[ -s "${out}.partial" ]]
  head -c $((1024 * 1024)) /dev/urandom >"${BATS_TEST_TMPDIR}/new.bin"
  amlretrain blob upload -c resume -n big.bin \
    -f "${BATS_TEST_TMPDIR}/new.bin" >/dev/null
  run -0 --separate-stderr amlretrain blob download -c resume -n big.bin \
    -f "${out}" --block-size 64K --parallel 1
  cmp "${out}" "${BATS_TEST_TMPDIR}/new.bin"
  assert_file_not_exists "${out}.partial"
}

@test "a download that fails for good locally leaves no .partial behind" {
  local out="${BATS_TEST_TMPDIR}/none.bin"
  run -4 --separate-stderr amlretrain blob download -c resume -n missing \
    -f "${out}"
  assert_equal "$(find "${BATS_TEST_TMPDIR}" -name 'none.bin*' | wc -l)" 0
}
