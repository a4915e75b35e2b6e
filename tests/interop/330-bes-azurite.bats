#!/usr/bin/env bats
# BES jobs of the emulator whose input and outputs are in Azurite 3.35.0,
# another storage account (issue #6): the emulator reads and writes them
# with libamlr's blob client, by connection string (account key) or by
# BaseLocation + SasBlobToken, and hands back Results that read them.
# Ground truth: ../shared/reference/notes/classic-bes-rrs.md §1.2 (the two
# AzureBlobDataReference forms; .ilearner and .csv outputs), §1.3 (Results:
# ConnectionString null, BaseLocation with a trailing '/', RelativeLocation
# CONTAINER/BLOB, a fresh read-only SasBlobToken on every GET; Details of a
# Failed job), §1.7 (BlobNotFound).  The emulator's side without Azurite:
# tests/emulator/163-emulator-bes-external.bats.
# `run` sets output; jq programs hold '$'; JOB_ID and BES_* are set by the
# helpers, JOB_ID in the test itself too:
# shellcheck disable=SC2154,SC2016,SC2030,SC2031

bats_require_minimum_version 1.5.0

DEFS="${BATS_TEST_DIRNAME}/../../manifests/definitions"

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  load 'azurite'
  azurite_start
  emu_start --provisioning-delay 0 -v --log "${BATS_FILE_TMPDIR}/access.log"
  arm_token
  ws_create train "${DEFS}/census-training.json"
  # The training data in Azurite, and in the emulator's own account for
  # the same job run there.
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" amlretrain blob upload \
    -c train -n census-a.csv -f "${AMLR_DATA_DIR}/census-a.csv" \
    --create-container >/dev/null
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${EMU_ENV_FILE}")
  export AZURE_STORAGE_CONNECTION_STRING
  [[ "$(make_container train)" == 201 ]]
  amlretrain blob upload -c train -n census-a.csv \
    -f "${AMLR_DATA_DIR}/census-a.csv" >/dev/null
  # What the emulator writes to its own account: the reference outputs.
  ws_use train
  bes_request "${BATS_FILE_TMPDIR}/own.json" train/census-a.csv \
    train/own.ilearner train/own.csv
  bes_submit_start "${BATS_FILE_TMPDIR}/own.json"
  bes_wait "${JOB_ID}" >/dev/null
  [[ "$(jq -r .StatusCode "${BES_BODY}")" == Finished ]]
  curl -sSf -o "${BATS_FILE_TMPDIR}/own.ilearner" \
    "$(bes_result_url output1 "${BES_BODY}")"
  curl -sSf -o "${BATS_FILE_TMPDIR}/own.csv" \
    "$(bes_result_url output2 "${BES_BODY}")"
}

teardown_file() {
  load '../test_helper/emulator'
  load 'azurite'
  emu_stop
  azurite_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  # common.bash unsets it: the emulator's own account again.
  # shellcheck source=/dev/null
  source <(grep AZURE_STORAGE_CONNECTION_STRING "${BATS_FILE_TMPDIR}/emu.env")
  export AZURE_STORAGE_CONNECTION_STRING
  REQ="${BATS_TEST_TMPDIR}/req.json"
  AZ_BASE="${AZURITE_URL}/devstoreaccount1/"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

# A blob URL with a SAS from Azurite's account key: container $1, blob $2,
# permissions $3.
azurite_sas_url() {
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" \
    amlretrain blob sas -c "$1" -n "$2" -p "$3" -e 1h | jq -r .url
}

# Download blob $1/$2 from Azurite into file $3 with the CLI.
azurite_get() {
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" \
    amlretrain blob download -c "$1" -n "$2" -f "$3" >/dev/null
}

@test "connection string: input and outputs in Azurite; Results read them with a fresh read-only SAS" {
  local sfile="${BATS_TEST_TMPDIR}/status.json" first
  ws_use train
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" bes_request "${REQ}" \
    train/census-a.csv results/model.ilearner results/eval.csv
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  cp -- "${BES_BODY}" "${sfile}"
  run -0 jq -r '.Results | to_entries[] | [.key,
    (.value.ConnectionString | tostring), .value.BaseLocation,
    .value.RelativeLocation] | @tsv' "${sfile}"
  assert_line --index 0 "output1	null	${AZ_BASE}	results/model.ilearner"
  assert_line --index 1 "output2	null	${AZ_BASE}	results/eval.csv"
  run -0 jq -r '.Results.output1.SasBlobToken' "${sfile}"
  assert_output --regexp '^\?sv=[^&]+&st=[^&]+&se=[^&]+&sr=b&sp=r&sig=[^&]+$'
  # BaseLocation + RelativeLocation + SasBlobToken reads them from Azurite,
  # which checks the signature: what the emulator writes to its own account.
  curl -sSf -o "${BATS_TEST_TMPDIR}/m.ilearner" \
    "$(bes_result_url output1 "${sfile}")"
  curl -sSf -o "${BATS_TEST_TMPDIR}/e.csv" \
    "$(bes_result_url output2 "${sfile}")"
  run -0 head -n 1 "${BATS_TEST_TMPDIR}/m.ilearner"
  assert_output 'amlr-ilearner 1'
  cmp "${BATS_TEST_TMPDIR}/m.ilearner" "${BATS_FILE_TMPDIR}/own.ilearner"
  cmp "${BATS_TEST_TMPDIR}/e.csv" "${BATS_FILE_TMPDIR}/own.csv"
  # Read-only: Azurite refuses a write with it.
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X PUT \
    -H 'x-ms-blob-type: BlockBlob' --data-binary x \
    "$(bes_result_url output1 "${sfile}")"
  assert_output 403
  # Nothing went to the emulator's own account.
  run -4 --separate-stderr amlretrain blob show -c results -n model.ilearner
  # Every GET signs a fresh token.
  first="$(jq -r '.Results.output1.SasBlobToken' "${sfile}")"
  sleep 1.1
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  [[ "$(jq -r '.Results.output1.SasBlobToken' "${BES_BODY}")" != "${first}" ]]
  curl -sSf -o /dev/null "$(bes_result_url output1 "${BES_BODY}")"
}

@test "the CLI: job run with --connection-string-env naming Azurite's account" {
  export AZURITE_CS AMLR_API_LOCATION="${AMLR_TRAINING_API_LOCATION}"
  export AMLR_API_KEY="${AMLR_TRAINING_API_KEY}"
  run -0 --separate-stderr amlretrain job run \
    --connection-string-env AZURITE_CS --input input1=train/census-a.csv \
    --output output1=cli/m.ilearner --output output2=cli/e.csv
  jq -e --arg b "${AZ_BASE}" '.StatusCode == "Finished"
    and .Results.output1.BaseLocation == $b
    and .Results.output1.RelativeLocation == "cli/m.ilearner"' <<<"${output}"
  azurite_get cli m.ilearner "${BATS_TEST_TMPDIR}/m.ilearner"
  cmp "${BATS_TEST_TMPDIR}/m.ilearner" "${BATS_FILE_TMPDIR}/own.ilearner"
}

@test "SAS form: input by a read SAS, outputs by write SASs; Results hand back the SAS given" {
  local in rw wo dir="${BATS_FILE_TMPDIR}" f
  # A blob SAS cannot make a container: it exists already.
  printf 'x\n' >"${BATS_TEST_TMPDIR}/x"
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" amlretrain blob upload \
    -c sasout -n placeholder -f "${BATS_TEST_TMPDIR}/x" --create-container \
    >/dev/null
  in="$(azurite_sas_url train census-a.csv r)"
  rw="$(azurite_sas_url sasout m.ilearner rcw)"
  wo="$(azurite_sas_url sasout e.csv cw)"
  ws_use train
  jq -n --arg base "${AZ_BASE}" --arg in "?${in#*\?}" \
    --arg rw "?${rw#*\?}" --arg wo "?${wo#*\?}" '
    def ref($rel; $sas): {BaseLocation: $base, RelativeLocation: $rel,
                          SasBlobToken: $sas};
    {Inputs: {input1: ref("train/census-a.csv"; $in)},
     Outputs: {output1: ref("/sasout/m.ilearner"; $rw),
               output2: ref("sasout/e.csv"; $wo)},
     GlobalParameters: {}}' >"${REQ}"
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  run -0 jq -r '.Results | to_entries[] | [.key, .value.BaseLocation,
    .value.RelativeLocation, .value.SasBlobToken] | @tsv' "${BES_BODY}"
  assert_line --index 0 "output1	${AZ_BASE}	sasout/m.ilearner	?${rw#*\?}"
  assert_line --index 1 "output2	${AZ_BASE}	sasout/e.csv	?${wo#*\?}"
  # The read-write SAS reads the model; the write-only one is handed back
  # as given (documented): the CLI reads that output with the account key.
  curl -sSf -o "${BATS_TEST_TMPDIR}/m.ilearner" \
    "$(bes_result_url output1 "${BES_BODY}")"
  cmp "${BATS_TEST_TMPDIR}/m.ilearner" "${dir}/own.ilearner"
  azurite_get sasout e.csv "${BATS_TEST_TMPDIR}/e.csv"
  cmp "${BATS_TEST_TMPDIR}/e.csv" "${dir}/own.csv"
  # No signature of them in the emulator's logs or state.
  for f in "${in}" "${rw}" "${wo}"; do
    f="${f##*sig=}"
    f="${f%%&*}"
    [[ -n "${f}" ]]
    run -1 grep -rF -e "${f}" "${dir}/access.log" "${dir}/emu.stderr" \
      "${dir}/emu.stdout" "${dir}/emu-state"
  done
}

@test "an input missing in Azurite: BlobNotFound at submit; deleted after it, the job is Failed with Details" {
  ws_use train
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" bes_request "${REQ}" \
    train/no-such.csv results/x.ilearner ""
  bes_json "/jobs?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.details[0].target,
    .error.message' "${BES_BODY}"
  assert_output $'BlobNotFound\ninput1\ninput blob \'train/no-such.csv\' not found'
  printf 'a,b\n' >"${BATS_TEST_TMPDIR}/gone.csv"
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" amlretrain blob upload \
    -c train -n gone.csv -f "${BATS_TEST_TMPDIR}/gone.csv" >/dev/null
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" bes_request "${REQ}" \
    train/gone.csv results/gone.ilearner ""
  bes_json "/jobs?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  JOB_ID="$(jq -r . "${BES_BODY}")"
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" amlretrain blob delete \
    -c train -n gone.csv >/dev/null
  bes POST "/jobs/${JOB_ID}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 204
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  run -0 jq -r '.Details, (.Results | tostring)' "${BES_BODY}"
  assert_line --index 0 "input 'input1': blob 'train/gone.csv' at ${AZURITE_URL}/devstoreaccount1: blob 'gone.csv' not found in container 'train'"
  assert_line --index 1 null
}

@test "restart (--state DIR): an Azurite job not yet started is Failed, saying why; a finished one keeps its Results" {
  local id done_id
  emu_start --provisioning-delay 0
  arm_token
  ws_create train "${DEFS}/census-training.json"
  ws_use train
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" bes_request "${REQ}" \
    train/census-a.csv results/done.ilearner ""
  bes_submit_start "${REQ}"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  done_id="${JOB_ID}"
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" bes_request "${REQ}" \
    train/census-a.csv results/r.ilearner ""
  bes_json "/jobs?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  id="$(jq -r . "${BES_BODY}")"
  bes GET "/jobs/${id}?api-version=2.0"
  run -0 jq -r .StatusCode "${BES_BODY}"
  assert_output NotStarted
  emu_stop
  emu_start --provisioning-delay 0
  arm_token
  ws_use train
  bes GET "/jobs/${id}?api-version=2.0"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -r '.StatusCode, .Details' "${BES_BODY}"
  assert_output $'Failed\nthe job\'s storage credentials were not kept across the emulator\'s restart; submit it again'
  # Nothing was written to Azurite.
  run -4 --separate-stderr env AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" \
    amlretrain blob show -c results -n r.ilearner
  # The finished job still says where its outputs are; without the key no
  # read SAS can be signed, and Details says so.
  bes GET "/jobs/${done_id}?api-version=2.0"
  run -0 jq -r '.StatusCode, .Results.output1.BaseLocation,
    .Results.output1.RelativeLocation,
    (.Results.output1.SasBlobToken | tostring), .Details' "${BES_BODY}"
  assert_output "$(printf '%s\n' Finished "${AZ_BASE}" results/done.ilearner \
    null "no SasBlobToken for outputs in other storage accounts: the job's storage credentials were not kept across the emulator's restart")"
}
