#!/usr/bin/env bats
# BES 2.0 on the emulator's Resource Manager web services: submit, start,
# status, cancel, both blob-reference forms and the legacy Input, the
# documented errors, and jobs surviving (as Failed) a kill -9.  Ground
# truth: ../shared/reference/notes/classic-bes-rrs.md §1 (operations,
# BatchExecutionRequest, BatchExecutionStatus, the C# and Python samples'
# URL building, §1.7 error codes) and §2.2 (the execution URLs of "new"
# web services: .../subscriptions/<id>/services/<id>/jobs).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# JOB_ID and BES_* are set (and read by helpers) in the test itself:
# shellcheck disable=SC2154,SC2016,SC2030,SC2031

bats_require_minimum_version 1.5.0

DEFS="${BATS_TEST_DIRNAME}/../../manifests/definitions"
DATA="${BATS_TEST_DIRNAME}/../../manifests/data"

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  emu_start --provisioning-delay 0
  arm_token
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE}")
  export AZURE_STORAGE_CONNECTION_STRING
  [[ "$(make_container train)" == 201 ]]
  amlretrain blob upload -c train -n census-b.csv -f "${DATA}/census-b.csv" \
    >/dev/null
  ws_create train "${DEFS}/census-training.json"
}

teardown_file() {
  emu_stop # exit status 0: no sanitizer report, no leak
  assert_file_empty "${EMU_STDERR}"
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  # common.bash unsets it: the emulator's development account again.
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${BATS_FILE_TMPDIR}/emu.env")
  export AZURE_STORAGE_CONNECTION_STRING
  REQ="${BATS_TEST_TMPDIR}/req.json"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

@test "the execution URL is swaggerLocation's, under the subscription without dashes" {
  ws_use train
  run -0 printf '%s\n' "${BES_BASE}"
  assert_output --regexp "^${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID//-/}/services/[0-9a-f]{32}\$"
}

@test "full cycle: submit 200 with a JSON string, start 204, poll to Finished, Results" {
  ws_use train
  bes_request "${REQ}" train/census-b.csv train/output1results.ilearner \
    /train/output2results.csv
  bes_json "/jobs?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  run -0 cat "${BES_BODY}"
  assert_output --regexp '^"[0-9a-f]{32}"$' # quotes included (§1.1)
  JOB_ID="$(jq -r . "${BES_BODY}")"
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -c '[.StatusCode, .Results, .Details]' "${BES_BODY}"
  assert_output '["NotStarted",null,null]'
  bes POST "/jobs/${JOB_ID}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 204
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  cp -- "${BES_BODY}" "${BATS_TEST_TMPDIR}/status.json"
  # BaseLocation ends in '/', RelativeLocation starts without one (§1.3).
  run -0 jq -r '.Results | to_entries[] | [.key,
    (.value.ConnectionString | tostring), .value.BaseLocation,
    .value.RelativeLocation] | @tsv' \
    "${BATS_TEST_TMPDIR}/status.json"
  assert_line --index 0 "output1	null	${AMLR_EMULATOR_URL}/devstoreaccount1/	train/output1results.ilearner"
  assert_line --index 1 "output2	null	${AMLR_EMULATOR_URL}/devstoreaccount1/	train/output2results.csv"
  # A read-only blob SAS, valid about 24 h 05 min.
  run -0 jq -r '.Results.output1.SasBlobToken' "${BATS_TEST_TMPDIR}/status.json"
  assert_output --regexp '^\?sv=[^&]+&st=[^&]+&se=[^&]+&sr=b&sp=r&sig=[^&]+$'
  # Download the model with BaseLocation + RelativeLocation + SasBlobToken.
  run -0 curl -sSf -o "${BATS_TEST_TMPDIR}/m.ilearner" \
    "$(bes_result_url output1 "${BATS_TEST_TMPDIR}/status.json")"
  run -0 head -n 1 "${BATS_TEST_TMPDIR}/m.ilearner"
  assert_output 'amlr-ilearner 1'
  # The token reads that blob only.
  run -0 curl -sS -o /dev/null -w '%{http_code}' \
    "${AMLR_EMULATOR_URL}/devstoreaccount1/train/census-b.csv$(jq -r '.Results.output1.SasBlobToken' "${BATS_TEST_TMPDIR}/status.json")"
  assert_output 403
}

@test "every status GET issues a fresh SAS token" {
  local first second
  ws_use train
  bes_request "${REQ}" train/census-b.csv train/fresh.ilearner ""
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  first="$(jq -r '.Results.output1.SasBlobToken' "${BES_BODY}")"
  sleep 1.1
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  second="$(jq -r '.Results.output1.SasBlobToken' "${BES_BODY}")"
  [[ -n "${first}" && "${first}" != "${second}" ]]
  run -0 curl -sSf -o /dev/null "$(bes_result_url output1 "${BES_BODY}")"
}

@test "outputs without an override go to the workspace storage, named after the job" {
  ws_use train
  jq -n --arg cs "${AZURE_STORAGE_CONNECTION_STRING}" \
    '{Inputs: {input1: {ConnectionString: $cs,
      RelativeLocation: "train/census-b.csv"}}, GlobalParameters: {}}' >"${REQ}"
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  run -0 jq -r '.Results | to_entries[] | .key + " " + .value.RelativeLocation' \
    "${BES_BODY}"
  assert_line --index 0 "output1 experimentoutput/${JOB_ID}/output1.ilearner"
  assert_line --index 1 "output2 experimentoutput/${JOB_ID}/output2.csv"
  run -0 curl -sSf "$(bes_result_url output2 "${BES_BODY}")"
  assert_line --index 0 --partial 'True Positive,'
}

@test "SAS form: BaseLocation + RelativeLocation + SasBlobToken, for input and output" {
  local in_sas out_sas
  ws_use train
  in_sas="$(amlretrain blob sas -c train -n census-b.csv -p r | jq -r .url)"
  out_sas="$(amlretrain blob sas -c train -n sas-out.ilearner -p cw | jq -r .url)"
  jq -n --arg base "${AMLR_EMULATOR_URL}/devstoreaccount1/" \
    --arg in "?${in_sas#*\?}" --arg out "?${out_sas#*\?}" '
    {Inputs: {input1: {BaseLocation: $base, RelativeLocation: "train/census-b.csv",
                       SasBlobToken: $in}},
     Outputs: {output1: {BaseLocation: $base,
                         RelativeLocation: "/train/sas-out.ilearner",
                         SasBlobToken: $out}},
     GlobalParameters: {}}' >"${REQ}"
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  run -0 jq -r '.Results.output1.RelativeLocation' "${BES_BODY}"
  assert_output train/sas-out.ilearner
  # A read-only SAS cannot name an output.
  jq --arg out "?${in_sas#*\?}" '.Outputs.output1.SasBlobToken = $out
    | .Outputs.output1.RelativeLocation = "train/census-b.csv"' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/ro.json"
  bes_json "/jobs?api-version=2.0" "${BATS_TEST_TMPDIR}/ro.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output InvalidBlob
}

@test "the legacy singular Input is accepted; Input with Inputs is DuplicateInputInBatchCall" {
  ws_use train
  bes_request "${REQ}" train/census-b.csv train/legacy.ilearner ""
  jq '.Input = .Inputs.input1 | del(.Inputs) | .Output = null' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/legacy.json"
  bes_submit_start "${BATS_TEST_TMPDIR}/legacy.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  jq '.Input = .Inputs.input1' "${REQ}" >"${BATS_TEST_TMPDIR}/both.json"
  bes_json "/jobs?api-version=2.0" "${BATS_TEST_TMPDIR}/both.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code' "${BES_BODY}"
  assert_output $'BadArgument\nDuplicateInputInBatchCall'
}

# Submit $1 (a request file); assert 400 with detail code $2 and target $3.
assert_refused() {
  bes_json "/jobs?api-version=2.0" "$1"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code,
    .error.details[0].target // "", (.error.message | length > 0)' "${BES_BODY}"
  assert_output "$(printf 'BadArgument\n%s\n%s\ntrue' "$2" "$3")"
}

@test "documented submit errors: InvalidBlobExtension, BlobNotFound, names, connection strings" {
  ws_use train
  # The trained model's output must end in .ilearner (§1.2).
  bes_request "${REQ}" train/census-b.csv train/model.csv ""
  assert_refused "${REQ}" InvalidBlobExtension output1
  # Evaluate Model's output is a dataset: .csv, .tsv or .arff.
  bes_request "${REQ}" train/census-b.csv train/m.ilearner train/eval.txt
  assert_refused "${REQ}" InvalidBlobExtension output2
  bes_request "${REQ}" train/no-such.csv train/m.ilearner ""
  assert_refused "${REQ}" BlobNotFound input1
  bes_request "${REQ}" nocontainer/census-b.csv train/m.ilearner ""
  assert_refused "${REQ}" BlobNotFound input1
  bes_request "${REQ}" train/census-b.csv train/m.ilearner ""
  jq '.Outputs.Output1 = .Outputs.output1' "${REQ}" >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidOutputOverrideName Output1
  jq '.Inputs.input2 = .Inputs.input1' "${REQ}" >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidInputNames input2
  jq '.Inputs = {}' "${REQ}" >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" BatchJobInputsNotSpecified input1
  jq '.Inputs.input1.RelativeLocation = "train"' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InputBlobRelativeLocationInvalid input1
  jq '.Inputs.input1.ConnectionString |= sub("AccountKey=[^;]+";
    "AccountKey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")' \
    "${REQ}" >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidBlobConnectionString input1
  printf 'not json' >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" RequestBodyInvalid ""
}

@test "auth: primary and secondary keys work; none or another is 401 ScoreRequestUnauthorized" {
  ws_use train secondary
  bes GET "/jobs/00000000000000000000000000000000?api-version=2.0"
  assert_equal "${BES_STATUS}" 404
  printf 'Authorization: Bearer nope\n' >"${BES_AUTH}"
  bes GET "/jobs/00000000000000000000000000000000?api-version=2.0"
  assert_equal "${BES_STATUS}" 401
  run -0 jq -r '.error.code, .error.message, .error.details[0].code,
    .error.details[0].message' "${BES_BODY}"
  assert_output $'Unauthorized\nRequest is unauthorized to access resource.\nScoreRequestUnauthorized\nInvalid credentials provided.'
  : >"${BES_AUTH}"
  bes POST "/jobs?api-version=2.0" --data-binary '{}'
  assert_equal "${BES_STATUS}" 401
  # Another web service's key is not this one's.
  ws_create other "${DEFS}/census-training.json"
  ws_use other
  cp -- "${BES_AUTH}" "${BATS_TEST_TMPDIR}/other-auth"
  ws_use train
  cp -- "${BATS_TEST_TMPDIR}/other-auth" "${BES_AUTH}"
  bes GET "/jobs/00000000000000000000000000000000?api-version=2.0"
  assert_equal "${BES_STATUS}" 401
}

@test "api-version must be 2.0; unknown web services and jobs are 404" {
  ws_use train
  bes GET "/jobs/00000000000000000000000000000000"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output BadVersionCall
  bes GET "/jobs/00000000000000000000000000000000?api-version=2.1"
  assert_equal "${BES_STATUS}" 400
  bes GET "/jobs/00000000000000000000000000000000?api-version=2.0"
  assert_equal "${BES_STATUS}" 404
  run -0 jq -r '.error.code' "${BES_BODY}"
  assert_output NotFound
  BES_BASE="${BES_BASE%/*}/0123456789abcdef0123456789abcdef"
  bes GET "/jobs/00000000000000000000000000000000?api-version=2.0"
  assert_equal "${BES_STATUS}" 404
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output WebServiceNotFound
}

@test "start twice, or after cancel: 400 CannotStartJob; cancel is 204 and Cancelled" {
  ws_use train
  bes_request "${REQ}" train/census-b.csv train/c.ilearner ""
  bes_json "/jobs?api-version=2.0" "${REQ}"
  JOB_ID="$(jq -r . "${BES_BODY}")"
  bes DELETE "/jobs/${JOB_ID}?api-version=2.0"
  assert_equal "${BES_STATUS}" 204
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  run -0 jq -c '[.StatusCode, .Results]' "${BES_BODY}"
  assert_output '["Cancelled",null]'
  bes POST "/jobs/${JOB_ID}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code, .error.message' "${BES_BODY}"
  assert_output $'InvalidOperation\nCannotStartJob\njob cannot be started because it is in Cancelled state'
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  bes POST "/jobs/${JOB_ID}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output CannotStartJob
}

@test "data the learner refuses: the job is Failed with Details" {
  ws_use train
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/x.csv"
  amlretrain blob upload -c train -n nolabel.csv -f "${BATS_TEST_TMPDIR}/x.csv" \
    >/dev/null
  bes_request "${REQ}" train/nolabel.csv train/x.ilearner ""
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  run -0 jq -r '.Details, .Results' "${BES_BODY}"
  assert_line --index 0 --partial "Train Model (node 'node3'): "
  assert_line --index 1 null
  # Nothing was written.
  run -22 curl -sSf -o /dev/null \
    "${AMLR_EMULATOR_URL}/devstoreaccount1/train/x.ilearner$(amlretrain blob sas -c train -n x.ilearner | jq -r '.url | sub("^[^?]*"; "")')"
}

@test "a job running when the emulator is killed (kill -9) is Failed after restart" {
  local state="${BATS_TEST_TMPDIR}/emu-state" id
  emu_start --provisioning-delay 0 --job-delay 30000
  arm_token
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE}")
  [[ "$(make_container kill)" == 201 ]]
  amlretrain blob upload -c kill -n census-b.csv -f "${DATA}/census-b.csv" >/dev/null
  ws_create train "${DEFS}/census-training.json"
  ws_use train
  bes_request "${REQ}" kill/census-b.csv kill/m.ilearner ""
  bes_submit_start "${REQ}"
  id="${JOB_ID}"
  bes_json "/jobs?api-version=2.0" "${REQ}" # a second job, never started
  local waiting
  waiting="$(jq -r . "${BES_BODY}")"
  bes GET "/jobs/${id}?api-version=2.0"
  run -0 jq -r .StatusCode "${BES_BODY}"
  assert_output Running
  emu_stop KILL || true
  [[ -d "${state}/bes" ]]
  emu_start --provisioning-delay 0
  arm_token
  ws_use train
  bes GET "/jobs/${id}?api-version=2.0"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -r '.StatusCode, .Details' "${BES_BODY}"
  assert_output $'Failed\nthe job was interrupted: the emulator stopped while it was running'
  bes GET "/jobs/${waiting}?api-version=2.0"
  run -0 jq -r .StatusCode "${BES_BODY}"
  assert_output NotStarted
  # It can still be started, and runs to the end.
  bes POST "/jobs/${waiting}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 204
  run -0 bes_wait "${waiting}"
  assert_output Finished
}
