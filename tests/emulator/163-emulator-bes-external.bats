#!/usr/bin/env bats
# BES jobs whose blobs are in another storage account (issue #6), without
# Azurite (tests/interop/330-bes-azurite.bats has the real runs): what is
# checked at submit without the network, an account that refuses
# connections failing the job quickly with Details, external jobs not yet
# run failed by a restart, and keys and SASs never written or logged.
# Ground truth: ../shared/reference/notes/classic-bes-rrs.md §1.2
# (AzureBlobDataReference: ConnectionString + RelativeLocation, or
# BaseLocation + RelativeLocation + SasBlobToken; .ilearner outputs),
# §1.3 (Failed: Details; Results null), §1.7 (InvalidBlob,
# InvalidBlobConnectionString, InvalidBlobExtension).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

DEFS="${BATS_TEST_DIRNAME}/../../manifests/definitions"
DATA="${BATS_TEST_DIRNAME}/../../manifests/data"
# An account key and a SAS signature that must never show anywhere.
KEY="$(printf 'external-account-key-never-shown' | base64 -w0)"
SIG='U2lnbmF0dXJlT2ZUaGVFeHRlcm5hbFNBUw=='
SIG_ENC='U2lnbmF0dXJlT2ZUaGVFeHRlcm5hbFNBUw%3D%3D'

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  emu_start --provisioning-delay 0 -v --log "${BATS_FILE_TMPDIR}/access.log"
  arm_token
  ws_create train "${DEFS}/census-training.json"
}

teardown_file() {
  emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  REQ="${BATS_TEST_TMPDIR}/req.json"
  # An account on a loopback port where nothing listens.
  DEAD="http://127.0.0.1:$(unused_port)/extacct"
  DEAD_CS="DefaultEndpointsProtocol=http;AccountName=extacct;AccountKey=${KEY};BlobEndpoint=${DEAD}"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

# A SAS token with permissions $1 expiring at $2 (default 2099).
sas() {
  printf '?sv=2022-11-02&se=%s&sr=b&sp=%s&sig=%s\n' \
    "${2:-2099-01-01T00%3A00%3A00Z}" "$1" "${SIG_ENC}"
}

# Submit $1 (a request file); assert 400 with detail code $2, target $3
# and a message matching $4.
assert_refused() {
  bes_json "/jobs?api-version=2.0" "$1"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code,
    .error.details[0].target, .error.message' "${BES_BODY}"
  assert_line --index 0 BadArgument
  assert_line --index 1 "$2"
  assert_line --index 2 "$3"
  assert_line --index 3 --regexp "$4"
}

@test "an account that refuses connections: the job is accepted, then Failed quickly with Details" {
  ws_use train
  AZURE_STORAGE_CONNECTION_STRING="${DEAD_CS}" bes_request "${REQ}" \
    data/census.csv results/m.ilearner results/eval.csv
  SECONDS=0
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  ((SECONDS < 20))
  run -0 jq -r '.Details, (.Results | tostring)' "${BES_BODY}"
  assert_line --index 0 --regexp "^input 'input1': blob 'data/census.csv' at ${DEAD}: .+"
  assert_line --index 1 null
}

@test "submit checks external references without the network: extension, credential, SAS" {
  local cs_nokey="DefaultEndpointsProtocol=http;AccountName=extacct;BlobEndpoint=${DEAD}"
  ws_use train
  # The documented rules hold in any account (§1.2, §1.7).
  AZURE_STORAGE_CONNECTION_STRING="${DEAD_CS}" bes_request "${REQ}" \
    data/census.csv results/model.csv ""
  assert_refused "${REQ}" InvalidBlobExtension output1 "\\.ilearner"
  # A connection string with neither key nor SAS.
  AZURE_STORAGE_CONNECTION_STRING="${cs_nokey}" bes_request "${REQ}" \
    data/census.csv results/m.ilearner ""
  assert_refused "${REQ}" InvalidBlobConnectionString input1 \
    "neither an AccountKey nor a SharedAccessSignature"
  # The SAS form: a token is needed, one that reads inputs, writes outputs,
  # is valid now and parses.
  jq -n --arg base "${DEAD}/" '{Inputs: {input1: {BaseLocation: $base,
    RelativeLocation: "data/census.csv"}}, GlobalParameters: {}}' >"${REQ}"
  assert_refused "${REQ}" InvalidBlob input1 "there is no SAS token"
  jq --arg t "$(sas w)" '.Inputs.input1.SasBlobToken = $t' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidBlob input1 \
    "lacks the permission needed"
  jq --arg t "$(sas r 2001-01-01T00%3A00%3A00Z)" \
    '.Inputs.input1.SasBlobToken = $t' "${REQ}" >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidBlob input1 "expired"
  jq '.Inputs.input1.SasBlobToken = "?sv=2022-11-02&sp=r"' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidBlob input1 "not valid"
  jq --arg t "$(sas r)" --arg o "$(sas r)" --arg base "${DEAD}/" '
    .Inputs.input1.SasBlobToken = $t
    | .Outputs = {output1: {BaseLocation: $base,
                            RelativeLocation: "results/m.ilearner",
                            SasBlobToken: $o}}' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidBlob output1 \
    "lacks the permission needed"
  # Plain http only to loopback addresses, as libamlr's clients.
  jq --arg t "$(sas r)" '.Inputs.input1.SasBlobToken = $t
    | .Inputs.input1.BaseLocation = "http://192.0.2.1/extacct/"' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/r.json"
  assert_refused "${BATS_TEST_TMPDIR}/r.json" InvalidBlob input1 "loopback"
  # Valid ones are accepted: the account is asked only when the job runs.
  jq --arg t "$(sas r)" '.Inputs.input1.SasBlobToken = $t' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/r.json"
  bes_json "/jobs?api-version=2.0" "${BATS_TEST_TMPDIR}/r.json"
  assert_equal "${BES_STATUS}" 200
}

@test "the emulator's own account under another loopback name is still its own" {
  local own
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${BATS_FILE_TMPDIR}/emu.env")
  export AZURE_STORAGE_CONNECTION_STRING
  [[ "$(make_container own)" == 201 ]]
  amlretrain blob upload -c own -n census-b.csv -f "${DATA}/census-b.csv" \
    >/dev/null
  own="${AZURE_STORAGE_CONNECTION_STRING//127.0.0.1/localhost}"
  [[ "${own}" == *"BlobEndpoint=http://localhost:"* ]]
  ws_use train
  AZURE_STORAGE_CONNECTION_STRING="${own}" bes_request "${REQ}" \
    own/census-b.csv own/m.ilearner ""
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  run -0 jq -r '.Results.output1.BaseLocation' "${BES_BODY}"
  assert_output "${AMLR_EMULATOR_URL}/devstoreaccount1/"
}

@test "restart: an external job not yet run is Failed, saying why; the emulator's own jobs wait" {
  local ext own state="${BATS_TEST_TMPDIR}/emu-state"
  emu_start --provisioning-delay 0
  arm_token
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE}")
  export AZURE_STORAGE_CONNECTION_STRING
  [[ "$(make_container train)" == 201 ]]
  amlretrain blob upload -c train -n census-b.csv -f "${DATA}/census-b.csv" \
    >/dev/null
  ws_create train "${DEFS}/census-training.json"
  ws_use train
  AZURE_STORAGE_CONNECTION_STRING="${DEAD_CS}" bes_request "${REQ}" \
    data/census.csv results/m.ilearner ""
  bes_json "/jobs?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  ext="$(jq -r . "${BES_BODY}")"
  bes_request "${REQ}" train/census-b.csv train/m.ilearner ""
  bes_json "/jobs?api-version=2.0" "${REQ}"
  own="$(jq -r . "${BES_BODY}")"
  # The job file says where the blobs are, not how to get in.
  run -0 jq -c '.inputs.input1' "${state}/bes/${ext}.json"
  assert_output "{\"account\":\"extacct\",\"container\":\"data\",\"blob\":\"census.csv\",\"endpoint\":\"${DEAD}\",\"auth\":\"key\",\"external\":true}"
  emu_stop
  emu_start --provisioning-delay 0
  arm_token
  ws_use train
  bes GET "/jobs/${ext}?api-version=2.0"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -r '.StatusCode, .Details, (.Results | tostring)' "${BES_BODY}"
  assert_output $'Failed\nthe job\'s storage credentials were not kept across the emulator\'s restart; submit it again\nnull'
  bes POST "/jobs/${ext}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 400
  bes GET "/jobs/${own}?api-version=2.0"
  run -0 jq -r .StatusCode "${BES_BODY}"
  assert_output NotStarted
  bes POST "/jobs/${own}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 204
  run -0 bes_wait "${own}"
  assert_output Finished
  run -1 grep -rlF -e "${KEY}" "${state}"
}

@test "keys and SASs of external blobs are never written or logged" {
  local dir="${BATS_FILE_TMPDIR}" f
  ws_use train
  # One more of each form, so that both kinds of secret went through.
  AZURE_STORAGE_CONNECTION_STRING="${DEAD_CS}" bes_request "${REQ}" \
    data/census.csv results/m.ilearner ""
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  jq -n --arg base "${DEAD}/" --arg t "$(sas r)" --arg o "$(sas cw)" '
    {Inputs: {input1: {BaseLocation: $base, RelativeLocation: "data/c.csv",
                       SasBlobToken: $t}},
     Outputs: {output1: {BaseLocation: $base, RelativeLocation: "results/m.ilearner",
                         SasBlobToken: $o}},
     GlobalParameters: {}}' >"${REQ}"
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  run -0 jq -r .Details "${BES_BODY}"
  assert_output --regexp "^input 'input1': blob 'data/c.csv' at ${DEAD}: "
  # The access log and -v lines have the requests, never a secret.
  [[ -s "${dir}/access.log" && -s "${dir}/emu.stderr" ]]
  grep -q '/jobs' "${dir}/access.log"
  for f in "${dir}/access.log" "${dir}/emu.stderr" "${dir}/emu.stdout"; do
    run -1 grep -F -e "${KEY}" -e "${SIG}" -e "${SIG_ENC}" "${f}"
  done
  run -1 grep -rF -e "${KEY}" -e "${SIG}" -e "${SIG_ENC}" "${dir}/emu-state"
  # The job files hold the external blobs' records.
  grep -rlq '"external":true' "${dir}/emu-state/bes"
}
