#!/usr/bin/env bats
# amlretrain job against the emulator's batch service (BES 2.0): submit,
# start, status, wait, cancel and run; the REF forms; keys and SASs kept
# off the command line; the exit codes of Failed, Cancelled and timeouts;
# and the documented retraining path: run, then swap the model in with
# `webservice set-model --from-job`.  Ground truth:
# ../shared/reference/notes/classic-bes-rrs.md §1.1 (operations), §1.2
# (the account-key and SAS forms), §1.3 (status), §1.4 (the C# sample:
# poll, cancel on timeout), §1.7 (errors).
# shellcheck disable=SC2154 # output, stderr, stderr_lines: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --demo --provisioning-delay 0
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
  use_emulator "${EMU_ENV_FILE}"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

# Source emulator env file $1; point the job commands at its training
# web service (the key in the environment, never on a command line).
use_emulator() {
  # shellcheck source=/dev/null
  source "$1"
  export AMLR_API_LOCATION="${AMLR_TRAINING_API_LOCATION}"
  export AMLR_API_KEY="${AMLR_TRAINING_API_KEY}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  DATA="${AMLR_DATA_DIR}"
}

# Upload the drifted census data as blob train/census-b.csv.
upload_training_data() {
  amlretrain blob upload -c train -n census-b.csv -f "${DATA}/census-b.csv" \
    --create-container >/dev/null
}

# The predictive web service's ApiLocation and a file with its key.
predictive_endpoint() {
  PRED_LOC="$(amlretrain webservice get -n "${AMLR_PREDICTIVE_NAME}" |
    jq -r '.properties.swaggerLocation | sub("/swagger.json$"; "")')"
  PRED_KEY="${BATS_TEST_TMPDIR}/pred.key"
  (umask 077 && amlretrain webservice keys -n "${AMLR_PREDICTIVE_NAME}" |
    jq -r .primary >"${PRED_KEY}")
}

@test "every verb has --help; job --help lists them" {
  local verb
  for verb in submit start status wait cancel run; do
    run -0 --separate-stderr amlretrain job "${verb}" --help
    assert_line --index 0 --partial "usage: amlretrain job ${verb}"
    assert_output --partial '--api-key-file FILE'
    assert_equal "${stderr}" ''
  done
  run -0 --separate-stderr amlretrain job --help
  assert_line --index 0 'usage: amlretrain job <verb> [options]'
  assert_output --partial 'run '
  run -0 --separate-stderr amlretrain --help
  assert_output --partial 'job '
}

@test "usage errors exit 2 with one line, and send nothing" {
  run -2 --separate-stderr amlretrain job status
  assert_equal "${stderr_lines[0]}" "amlretrain: missing required option '--job'"
  assert_output ''
  run -2 --separate-stderr env -u AMLR_API_LOCATION \
    amlretrain job status --job 0123
  assert_equal "${stderr_lines[0]}" 'amlretrain: no API location: pass --api-location URL or set AMLR_API_LOCATION'
  run -2 --separate-stderr amlretrain job run --input input1
  assert_equal "${stderr_lines[0]}" 'amlretrain: invalid --input: expected NAME=REF'
  run -2 --separate-stderr amlretrain job run --input input1=nocontainer
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid --input 'input1': expected CONTAINER/BLOB, sas:FILE, a blob URL or (inputs) @FILE"
  run -2 --separate-stderr amlretrain job run --input input1=A_B/x.csv
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid --input 'input1': invalid container name 'A_B'"
  run -2 --separate-stderr amlretrain job submit --input input1=train/a.csv \
    --output output1=@model.ilearner
  assert_equal "${stderr_lines[0]}" "amlretrain: --output 'output1': @FILE is for inputs; name a blob (CONTAINER/BLOB, sas:FILE)"
  run -2 --separate-stderr amlretrain job submit --input input1=train/a.csv \
    --input input1=train/b.csv
  assert_equal "${stderr_lines[0]}" "amlretrain: --input 'input1' given twice"
  run -2 --separate-stderr amlretrain job run --input input1=train/a.csv \
    --param noequals
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value 'noequals' for '--param': expected NAME=VALUE"
  run -2 --separate-stderr amlretrain job wait --job 0123 --timeout soon
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value 'soon' for '--timeout' (e.g. 90s, 30m, 2h; 0 for none)"
  run -2 --separate-stderr amlretrain job wait --job 0123 --poll-max 0
  assert_regex "${stderr_lines[0]}" "invalid value '0' for '--poll-max'"
  run -2 --separate-stderr amlretrain job run \
    --input "input1=@${BATS_TEST_TMPDIR}/missing.csv"
  assert_regex "${stderr_lines[0]}" "^amlretrain: cannot (read|open) '.*/missing.csv'"
  run -2 --separate-stderr amlretrain job status --job '../../x'
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid job id '../../x': letters, digits, '-' and '_' only"
  run -2 --separate-stderr amlretrain job explode
  assert_equal "${stderr_lines[0]}" "amlretrain: unknown verb 'explode'"
  # A bad REF after a good @FILE: nothing was uploaded.
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/ok.csv"
  run -2 --separate-stderr amlretrain job run \
    --input "input1=@${BATS_TEST_TMPDIR}/ok.csv" --output output1=bad
  run -4 --separate-stderr amlretrain blob list -c amlretrain-inputs
}

@test "keys: none is exit 3, a wrong one is 401 (exit 3), --api-key-file works" {
  run -3 --separate-stderr env -u AMLR_API_KEY \
    amlretrain job status --job 00000000000000000000000000000000
  assert_equal "${stderr}" 'amlretrain: no API key: set AMLR_API_KEY or pass --api-key-file FILE'
  run -3 --separate-stderr env AMLR_API_KEY=wrong-key \
    amlretrain --error-format json job status --job 00000000000000000000000000000000
  assert_output ''
  jq -e '.error.exitCode == 3 and .error.code == "Unauthorized"
    and (.error.details | startswith("ScoreRequestUnauthorized"))' \
    <<<"$(last_stderr_line)"
  # The key from a file (first line): the job is unknown, so 404.
  printf '%s\n' "${AMLR_API_KEY}" >"${BATS_TEST_TMPDIR}/key"
  run -4 --separate-stderr env -u AMLR_API_KEY amlretrain job status \
    --api-key-file "${BATS_TEST_TMPDIR}/key" --job 00000000000000000000000000000000
  printf '\n' >"${BATS_TEST_TMPDIR}/empty"
  run -2 --separate-stderr amlretrain job status \
    --api-key-file "${BATS_TEST_TMPDIR}/empty" --job 0123
  assert_equal "${stderr}" "amlretrain: no API key in '${BATS_TEST_TMPDIR}/empty'"
}

@test "an unknown API location is exit 4 (WebServiceNotFound)" {
  run -4 --separate-stderr amlretrain --error-format json job status \
    --api-location "${AMLR_API_LOCATION%/*}/0123456789abcdef0123456789abcdef" \
    --job 00000000000000000000000000000000
  jq -e '.error.exitCode == 4 and (.error.details | startswith("WebServiceNotFound"))' \
    <<<"$(last_stderr_line)"
}

@test "the API location is taken with /jobs and ?api-version=2.0 too" {
  local loc
  for loc in "${AMLR_API_LOCATION}/" "${AMLR_API_LOCATION}/jobs" \
    "${AMLR_API_LOCATION}/jobs?api-version=2.0"; do
    run -4 --separate-stderr amlretrain --error-format json job status \
      --api-location "${loc}" --job 00000000000000000000000000000000
    # The service answered about the job, not about the web service.
    jq -e '.error.code == "NotFound" and (.error.details // "" | contains("WebServiceNotFound") | not)' \
      <<<"$(last_stderr_line)"
  done
}

@test "submit, status, start, wait with CONTAINER/BLOB refs; cancel; wait on a cancelled job is exit 11" {
  local id doc
  upload_training_data
  run -0 --separate-stderr amlretrain job submit \
    --input input1=train/census-b.csv \
    --output output1=train/model.ilearner --output output2=train/eval.csv
  assert_output --regexp '^"[0-9a-f]{32}"$' # a JSON string (§1.1)
  id="$(jq -r . <<<"${output}")"
  run -0 --separate-stderr amlretrain job status --job "${id}"
  jq -e --arg id "${id}" '.StatusCode == "NotStarted" and .Results == null
    and .JobId == $id' <<<"${output}"
  run -0 --separate-stderr amlretrain job start --job "${id}"
  assert_output ''
  run -0 --separate-stderr amlretrain job wait --job "${id}"
  assert_equal "${stderr}" '' # no progress line when stderr is no terminal
  doc="${output}"
  jq -e '.StatusCode == "Finished" and .Details == null' <<<"${doc}"
  run -0 jq -r '.Results | to_entries[] | [.key, (.value.ConnectionString | tostring),
    .value.BaseLocation, .value.RelativeLocation] | @tsv' <<<"${doc}"
  assert_line --index 0 "output1	null	${AMLR_EMULATOR_URL}/devstoreaccount1/	train/model.ilearner"
  assert_line --index 1 "output2	null	${AMLR_EMULATOR_URL}/devstoreaccount1/	train/eval.csv"
  # The model is there, readable with the job's SAS.
  run -0 curl -sSf "$(jq -r '.Results.output1 | .BaseLocation + .RelativeLocation + .SasBlobToken' <<<"${doc}")"
  assert_line --index 0 'amlr-ilearner 1'
  # A second job, cancelled before it starts.
  run -0 --separate-stderr amlretrain job submit --input input1=train/census-b.csv
  id="$(jq -r . <<<"${output}")"
  run -0 --separate-stderr amlretrain job cancel --job "${id}"
  assert_output ''
  run -0 --separate-stderr amlretrain job status --job "${id}"
  jq -e '.StatusCode == "Cancelled"' <<<"${output}"
  run -11 --separate-stderr amlretrain job wait --job "${id}"
  assert_equal "${stderr}" "amlretrain: job '${id}' was cancelled"
  jq -e '.StatusCode == "Cancelled"' <<<"${output}"
  # Starting it now: the service's InvalidOperation/CannotStartJob, exit 2.
  run -2 --separate-stderr amlretrain job start --job "${id}"
  assert_equal "${stderr}" 'amlretrain: job cannot be started because it is in Cancelled state (CannotStartJob: job cannot be started because it is in Cancelled state)'
}

@test "run with @local-file: uploaded once under a content-addressed name" {
  local f="${BATS_TEST_TMPDIR}/drifted census.csv"
  cp -- "${DATA}/census-b.csv" "${f}"
  run -0 --separate-stderr amlretrain job run --input "input1=@${f}" \
    --output output1=models/at-file.ilearner
  jq -e '.StatusCode == "Finished"
    and .Results.output1.RelativeLocation == "models/at-file.ilearner"' <<<"${output}"
  run -0 --separate-stderr amlretrain job run --input "input1=@${f}" \
    --output output1=models/at-file2.ilearner
  jq -e '.StatusCode == "Finished"' <<<"${output}"
  run -0 --separate-stderr amlretrain blob list -c amlretrain-inputs
  jq -e 'length == 1' <<<"${output}"
  jq -e '.[0].name | test("^drifted-census-[0-9a-f]{16}\\.csv$")' <<<"${output}"
  # Other content: another blob; --upload-container moves them.
  head -n 200 "${DATA}/census-b.csv" >"${f}"
  run -0 --separate-stderr amlretrain job run --input "input1=@${f}" \
    --upload-container my-uploads
  run -0 --separate-stderr amlretrain blob list -c my-uploads
  jq -e 'length == 1' <<<"${output}"
  run -0 --separate-stderr amlretrain blob list -c amlretrain-inputs
  jq -e 'length == 1' <<<"${output}"
}

@test "sas:FILE refs go in the SAS form; a blob URL without a SAS uses the account key" {
  local in="${BATS_TEST_TMPDIR}/in.url" out="${BATS_TEST_TMPDIR}/out.url" sig
  upload_training_data
  amlretrain blob sas -c train -n census-b.csv -p r | jq -r .url >"${in}"
  amlretrain blob sas -c train -n sas-model.ilearner -p cw | jq -r .url >"${out}"
  sig="$(sed 's/.*sig=//' "${in}")"
  run -0 --separate-stderr amlretrain --debug job run --input "input1=sas:${in}" \
    --output "output1=sas:${out}"
  jq -e '.StatusCode == "Finished"
    and .Results.output1.RelativeLocation == "train/sas-model.ilearner"' <<<"${output}"
  # The SAS form went out (traced with the token redacted).
  assert_regex "${stderr}" "\"input1\":\\{\"BaseLocation\":\"${AMLR_EMULATOR_URL}/devstoreaccount1/\",\"RelativeLocation\":\"train/census-b.csv\",\"SasBlobToken\":\"REDACTED\"\\}"
  [[ "${stderr}" != *"${sig}"* && "${output}" != *"${sig}"* ]]
  # A URL of the connection string's account, without a SAS.
  run -0 --separate-stderr amlretrain job run \
    --input "input1=${AMLR_EMULATOR_URL}/devstoreaccount1/train/census-b.csv" \
    --output output1=train/url-model.ilearner
  jq -e '.StatusCode == "Finished"' <<<"${output}"
  # The account of --connection-string-env instead.
  run -3 --separate-stderr amlretrain job submit \
    --connection-string-env NO_SUCH_VAR --input input1=train/census-b.csv
  assert_equal "${stderr}" "amlretrain: --input 'input1': no storage account: set NO_SUCH_VAR to its connection string, or pass a SAS URL as sas:FILE"
  run -0 --separate-stderr env -u AZURE_STORAGE_CONNECTION_STRING \
    OTHER_CS="${AZURE_STORAGE_CONNECTION_STRING}" amlretrain job submit \
    --connection-string-env OTHER_CS --input input1=train/census-b.csv
  assert_output --regexp '^"[0-9a-f]{32}"$'
  # Another account's URL needs its SAS.
  run -2 --separate-stderr amlretrain job run \
    --input input1=https://other.blob.core.windows.net/train/census-b.csv
  assert_equal "${stderr}" "amlretrain: --input 'input1': the URL is not in the account of AZURE_STORAGE_CONNECTION_STRING: give it with its SAS as sas:FILE"
  # A SAS-only file that is not a URL.
  printf 'not a url\n' >"${BATS_TEST_TMPDIR}/junk.url"
  run -2 --separate-stderr amlretrain job run \
    --input "input1=sas:${BATS_TEST_TMPDIR}/junk.url"
  assert_regex "${stderr}" "^amlretrain: --input 'input1': .*/junk.url: "
}

@test "a SAS on the command line is refused and never repeated, not even with --debug" {
  local in="${BATS_TEST_TMPDIR}/in.url" sig
  upload_training_data
  amlretrain blob sas -c train -n census-b.csv -p r | jq -r .url >"${in}"
  sig="$(sed 's/.*sig=//' "${in}")"
  run -2 --separate-stderr amlretrain --debug job run --input "input1=$(cat "${in}")"
  assert_equal "${stderr_lines[0]}" "amlretrain: refusing a SAS on the command line (--input 'input1'): write the URL to a file and pass input1=sas:FILE"
  assert_output ''
  [[ "${stderr}" != *"${sig}"* ]]
  run -2 --separate-stderr amlretrain --error-format json job submit \
    --input input1=train/census-b.csv --output "output1=$(cat "${in}")"
  [[ "${stderr}" != *"${sig}"* ]]
  jq -e '.error.exitCode == 2' <<<"$(last_stderr_line)"
  # A bare query-string signature is refused as well.
  run -2 --separate-stderr amlretrain job run --input "input1=train/x.csv?sig=abc"
  assert_regex "${stderr_lines[0]}" 'refusing a SAS on the command line'
}

@test "a job that fails: exit 10, Details in the message, the status on stdout" {
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/nolabel.csv"
  run -10 --separate-stderr amlretrain job run \
    --input "input1=@${BATS_TEST_TMPDIR}/nolabel.csv" \
    --output output1=models/never.ilearner
  assert_regex "${stderr}" "^amlretrain: job '[0-9a-f]{32}' failed: Train Model \(node 'node3'\): "
  jq -e '.StatusCode == "Failed" and .Results == null
    and (.Details | startswith("Train Model"))' <<<"${output}"
  run -10 --separate-stderr amlretrain --error-format json job wait \
    --job "$(jq -r .JobId <<<"${output}")"
  jq -e '.error.exitCode == 10 and .error.category == "JobFailed"' \
    <<<"$(last_stderr_line)"
}

@test "-o table lists the outputs' URLs without their SAS" {
  upload_training_data
  run -0 --separate-stderr amlretrain -o table job run \
    --input input1=train/census-b.csv --output output1=train/t.ilearner \
    --output output2=train/t.csv
  assert_line --index 0 --regexp '^job +status +output +url$'
  assert_line --index 2 --regexp "^[0-9a-f]{32}  Finished  output1  ${AMLR_EMULATOR_URL}/devstoreaccount1/train/t.ilearner\$"
  assert_line --index 3 --regexp "  output2  ${AMLR_EMULATOR_URL}/devstoreaccount1/train/t.csv\$"
  refute_output --partial 'sig='
  run -0 --separate-stderr amlretrain -o table job submit \
    --input input1=train/census-b.csv
  run -0 --separate-stderr amlretrain -o tsv job status --job "${output}"
  assert_output --regexp '^[0-9a-f]{32}	NotStarted		$'
}

@test "wait --timeout cancels a job that runs too long: exit 12, Cancelled afterwards" {
  local id
  emu_start --demo --provisioning-delay 0 --job-delay 5000
  use_emulator "${EMU_ENV_FILE}"
  upload_training_data
  run -0 --separate-stderr amlretrain job submit --input input1=train/census-b.csv
  id="$(jq -r . <<<"${output}")"
  run -0 --separate-stderr amlretrain job start --job "${id}"
  run -12 --separate-stderr amlretrain --error-format json job wait \
    --job "${id}" --timeout 1s
  assert_output ''
  jq -e --arg id "${id}" '.error.exitCode == 12 and .error.category == "Timeout"
    and .error.message == "job '\''\($id)'\'' still Running after 1 s: cancelled"' \
    <<<"$(last_stderr_line)"
  run -0 --separate-stderr amlretrain job status --job "${id}"
  jq -e '.StatusCode == "Cancelled"' <<<"${output}"
  # On a terminal: the state and the time waited, cleared at the end.
  run -0 --separate-stderr amlretrain job submit --input input1=train/census-b.csv
  id="$(jq -r . <<<"${output}")"
  amlretrain job start --job "${id}"
  run -12 script -qec "amlretrain job wait --job ${id} --timeout 1s" /dev/null
  assert_output --partial $'\r\e[Kamlretrain: job '"${id}"': Running ('
  assert_output --partial $'\r\e[Kamlretrain: job \''"${id}"$'\' still Running after 1 s: cancelled'
  # run: the same, in one command.
  run -12 --separate-stderr amlretrain job run --input input1=train/census-b.csv \
    --timeout 1s --poll-max 1s
  assert_regex "${stderr}" "^amlretrain: job '[0-9a-f]{32}' still Running after 1 s: cancelled\$"
}

@test "run, then webservice set-model --from-job with its output: the predictions change" {
  local before after
  predictive_endpoint
  head -n 21 "${DATA}/census-b.csv" >"${BATS_TEST_TMPDIR}/rows.csv"
  run -0 --separate-stderr amlretrain score --api-location "${PRED_LOC}" \
    --api-key-file "${PRED_KEY}" --input "${BATS_TEST_TMPDIR}/rows.csv"
  before="$(jq -c '[.Results.output1.value.Values[][-1]]' <<<"${output}")"
  upload_training_data
  run -0 --separate-stderr amlretrain job run --input input1=train/census-b.csv \
    --output output1=models/retrained.ilearner --output output2=models/evaluation.csv
  printf '%s\n' "${output}" >"${BATS_TEST_TMPDIR}/job.json"
  # The document is what set-model reads, unchanged.
  run -0 --separate-stderr amlretrain webservice set-model \
    -n "${AMLR_PREDICTIVE_NAME}" --from-job "${BATS_TEST_TMPDIR}/job.json"
  jq -e '.modelUri | endswith("/models/retrained.ilearner")' <<<"${output}"
  run -0 --separate-stderr amlretrain score --api-location "${PRED_LOC}" \
    --api-key-file "${PRED_KEY}" --input "${BATS_TEST_TMPDIR}/rows.csv"
  after="$(jq -c '[.Results.output1.value.Values[][-1]]' <<<"${output}")"
  jq -e 'length == 20' <<<"${after}"
  [[ "${before}" != "${after}" ]]
}
