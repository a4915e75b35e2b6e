#!/usr/bin/env bats
# amlretrain score against the emulator's request-response service (RRS
# 2.0): CSV (RFC 4180) and JSON rows in, the service's reply out, in both
# formats, -o table, and the errors.  Ground truth:
# ../shared/reference/notes/classic-bes-rrs.md §2.1 (details=true:
# ColumnNames/Values, cells as strings), §2.2 (format=swagger: row
# objects), §1.7 (errors).
# shellcheck disable=SC2154 # output, stderr, stderr_lines: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --demo --provisioning-delay 0
  export EMU_ENV_FILE
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  # The predictive web service's ApiLocation, and its key in a file.
  amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" |
    jq -r '.properties.swaggerLocation | sub("/swagger.json$"; "")' \
      >"${BATS_FILE_TMPDIR}/location"
  (umask 077 && amlretrain webservice keys -n "${AMLR_PREDICTIVE_NAME}" |
    jq -r .primary >"${BATS_FILE_TMPDIR}/key")
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop
}

setup() {
  load '../test_helper/common'
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  AMLR_API_LOCATION="$(cat "${BATS_FILE_TMPDIR}/location")"
  AMLR_API_KEY="$(cat "${BATS_FILE_TMPDIR}/key")"
  export AMLR_API_LOCATION AMLR_API_KEY
  ROWS="${BATS_TEST_TMPDIR}/rows.csv"
  head -n 6 "${AMLR_DATA_DIR}/census-b.csv" >"${ROWS}"
}

@test "score --help" {
  run -0 --separate-stderr amlretrain score --help
  assert_line --index 0 --partial 'usage: amlretrain score --input FILE|-'
  assert_output --partial '--format FORMAT'
  assert_output --partial '--api-key-file FILE'
}

@test "usage errors exit 2 with one line" {
  run -2 --separate-stderr amlretrain score
  assert_equal "${stderr_lines[0]}" "amlretrain: missing required option '--input'"
  run -2 --separate-stderr amlretrain score --input "${ROWS}" --format xml
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value 'xml' for '--format'"
  run -2 --separate-stderr amlretrain score --input "${BATS_TEST_TMPDIR}/none.csv"
  assert_regex "${stderr_lines[0]}" "^amlretrain: cannot (read|open) '.*/none.csv'"
  run -2 --separate-stderr amlretrain score --input "${ROWS}" --param k
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value 'k' for '--param': expected NAME=VALUE"
  run -2 --separate-stderr env -u AMLR_API_LOCATION amlretrain score --input "${ROWS}"
  assert_equal "${stderr_lines[0]}" 'amlretrain: no API location: pass --api-location URL or set AMLR_API_LOCATION'
  assert_output ''
}

@test "a CSV that does not parse is exit 2, naming the line" {
  local f="${BATS_TEST_TMPDIR}/bad.csv"
  printf 'a,b\n1,2\n3,"x\n4,5\n' >"${f}"
  run -2 --separate-stderr amlretrain score --input "${f}"
  assert_equal "${stderr}" "amlretrain: ${f}: line 3: a quoted field is not closed"
  printf 'a,b\r\n1,2\r\n\r\n3\r\n' >"${f}"
  run -2 --separate-stderr amlretrain score --input "${f}"
  assert_equal "${stderr}" "amlretrain: ${f}: line 4: 1 fields; the header has 2"
  printf 'a,b\n1,x"y\n' >"${f}"
  run -2 --separate-stderr amlretrain score --input "${f}"
  assert_equal "${stderr}" "amlretrain: ${f}: line 2: a quote inside an unquoted field (quote the whole field)"
  printf 'a,b\n"1"x,2\n' >"${f}"
  run -2 --separate-stderr amlretrain score --input "${f}"
  assert_equal "${stderr}" "amlretrain: ${f}: line 2: text after the closing quote of a field"
  : >"${f}"
  run -2 --separate-stderr amlretrain score --input "${f}"
  assert_equal "${stderr}" "amlretrain: ${f}: no header row"
  assert_output ''
}

@test "CSV in, the service's details reply out as it is" {
  run -0 --separate-stderr amlretrain score --input "${ROWS}"
  assert_equal "${stderr}" ''
  jq -e '.Results.output1.type == "table"
    and (.Results.output1.value.ColumnNames[-2:] == ["Scored Labels", "Scored Probabilities"])
    and (.Results.output1.value.ColumnTypes | length > 0)
    and (.Results.output1.value.Values | length == 5)
    and has("ExecutionDurationMs")' <<<"${output}"
}

@test "RFC 4180 quoting: commas, doubled quotes, CRLF, quoted newlines reach the service intact" {
  local f="${BATS_TEST_TMPDIR}/q.csv"
  head -n 1 "${AMLR_DATA_DIR}/census-b.csv" | tr -d '\r' >"${f}"
  printf '32,"Private",278444,Assoc-acdm,12,Never-married,Farming-fishing,Not-in-family,White,Male,0,0,40,"United-States, ""US""",<=50K\r\n' >>"${f}"
  printf '40,"Self-emp\nnot-inc",100000,HS-grad,9,Married-civ-spouse,Sales,Husband,White,Male,0,0,50,Mexico,>50K\n' >>"${f}"
  run -0 --separate-stderr amlretrain score --input "${f}"
  run -0 jq -r '.Results.output1.value.Values[] | .[13], .[1]' <<<"${output}"
  assert_output $'United-States, "US"\nPrivate\nMexico\nSelf-emp\nnot-inc'
}

@test "JSON rows give the same predictions as CSV; a whole request body is sent as it is" {
  local csv json
  run -0 --separate-stderr amlretrain score --input "${ROWS}"
  csv="$(jq -c '[.Results.output1.value.Values[][-1]]' <<<"${output}")"
  # An array of row objects (numbers as numbers).
  jq -R -s 'split("\n") | map(select(length > 0) | split(",")) | .[0] as $h
    | .[1:] | map([$h, .] | transpose | map({(.[0]): (.[1] | tonumber? // .)}) | add)' \
    "${ROWS}" >"${BATS_TEST_TMPDIR}/rows.json"
  run -0 --separate-stderr amlretrain score --input "${BATS_TEST_TMPDIR}/rows.json"
  json="$(jq -c '[.Results.output1.value.Values[][-1]]' <<<"${output}")"
  assert_equal "${json}" "${csv}"
  # A request body, from standard input.
  jq -R -s 'split("\n") | map(select(length > 0) | split(","))
    | {Inputs: {input1: {ColumnNames: .[0], Values: .[1:]}}, GlobalParameters: {}}' \
    "${ROWS}" >"${BATS_TEST_TMPDIR}/body.json"
  run -0 --separate-stderr amlretrain score --input - <"${BATS_TEST_TMPDIR}/body.json"
  assert_equal "$(jq -c '[.Results.output1.value.Values[][-1]]' <<<"${output}")" "${csv}"
  printf '{"rows": []}' >"${BATS_TEST_TMPDIR}/nobody.json"
  run -2 --separate-stderr amlretrain score --input "${BATS_TEST_TMPDIR}/nobody.json"
  assert_regex "${stderr}" 'must be a request body with "Inputs"'
  printf '[1, 2]' >"${BATS_TEST_TMPDIR}/scalars.json"
  run -2 --separate-stderr amlretrain score --input "${BATS_TEST_TMPDIR}/scalars.json"
  assert_regex "${stderr}" 'row 1 is not a JSON object'
}

@test "--format swagger: row objects in and out" {
  run -0 --separate-stderr amlretrain score --format swagger --input "${ROWS}"
  jq -e '(.Results.output1 | length == 5)
    and (.Results.output1[0] | has("Scored Labels") and has("age"))' <<<"${output}"
  # Its predictions are the details format's.
  assert_equal "$(jq -c '[.Results.output1[]["Scored Probabilities"]]' <<<"${output}")" \
    "$(amlretrain score --input "${ROWS}" | jq -c '[.Results.output1.value.Values[][-1]]')"
}

@test "-o table: the output rows under their column names, in both formats" {
  local fmt
  for fmt in details swagger; do
    run -0 --separate-stderr amlretrain -o table score --format "${fmt}" \
      --input "${ROWS}"
    assert_line --index 0 --regexp '^age +workclass +.*income +Scored Labels +Scored Probabilities$'
    assert_line --index 1 --regexp '^---'
    assert_equal "${#lines[@]}" 7
    assert_line --index 2 --regexp '^32 +Private +278444 '
  done
  run -0 --separate-stderr amlretrain -o tsv score --input "${ROWS}"
  assert_equal "${#lines[@]}" 5
}

@test "--param and --input-name go into the request (traced, key redacted)" {
  run -0 --separate-stderr amlretrain --debug score --input "${ROWS}" \
    --param threshold=0.5
  assert_regex "${stderr}" '"GlobalParameters":\{"threshold":"0.5"\}'
  assert_regex "${stderr}" 'Authorization: REDACTED'
  [[ "${stderr}" != *"${AMLR_API_KEY}"* ]]
  run -2 --separate-stderr amlretrain --error-format json score \
    --input "${ROWS}" --input-name nosuch
  jq -e '.error.exitCode == 2' <<<"$(last_stderr_line)"
}

@test "wrong key: exit 3; unknown API location: exit 4" {
  printf 'not-the-key\n' >"${BATS_TEST_TMPDIR}/wrong"
  run -3 --separate-stderr amlretrain score --api-key-file "${BATS_TEST_TMPDIR}/wrong" \
    --input "${ROWS}"
  assert_equal "${stderr}" 'amlretrain: Request is unauthorized to access resource. (ScoreRequestUnauthorized: Invalid credentials provided.)'
  assert_output ''
  run -4 --separate-stderr amlretrain score \
    --api-location "${AMLR_API_LOCATION%/*}/0123456789abcdef0123456789abcdef" \
    --input "${ROWS}"
  assert_output ''
}
