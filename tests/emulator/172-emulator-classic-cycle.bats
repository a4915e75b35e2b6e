#!/usr/bin/env bats
# The documented classic retraining cycle against the emulator's default
# world, with curl (and jq, openssl for the SAS) only: upload the new data
# through the blob API, run the classic training service's BES, download
# the .ilearner through the returned SAS, add an endpoint to the
# predictive service, score, PATCH its [trained model] with the job's
# output1, and score again with the new model, after --swap-delay.
# Ground truth: ../shared/reference/notes/classic-bes-rrs.md §5.1 and §5.2
# (the walkthrough: BES of the training service, a new endpoint on the
# predictive one, PATCH with BaseLocation, RelativeLocation, SasBlobToken,
# the new model live in about 30 s), §1.4 (the C# sample's flow), §1.3
# (Results), §3.4 and §3.5 (add and PATCH endpoint), §2.1 (RRS).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

COLS='["age","workclass","fnlwgt","education","education-num","marital-status","occupation","relationship","race","sex","capital-gain","capital-loss","hours-per-week","native-country"]'
ROWS='[["52","Private","209642","HS-grad","9","Married-civ-spouse","Exec-managerial","Husband","White","Male","0","0","45","United-States"],["39","State-gov","77516","Bachelors","13","Never-married","Adm-clerical","Not-in-family","White","Male","2174","0","40","United-States"],["28","Private","338409","Bachelors","13","Married-civ-spouse","Prof-specialty","Wife","Black","Female","0","0","40","Cuba"]]'

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
}

teardown() {
  emu_stop
}

# An account SAS of the storage account in AZURE_STORAGE_CONNECTION_STRING
# for permissions $1 on resource types $2 (the query string, no '?').
account_sas() {
  local cs="${AZURE_STORAGE_CONNECTION_STRING}" acct key hexkey sig
  local sv=2022-11-02 se=2099-01-01T00:00:00Z
  key="${cs#*AccountKey=}"
  key="${key%%;*}"
  acct="${cs#*AccountName=}"
  acct="${acct%%;*}"
  hexkey="$(base64 -d <<<"${key}" | od -An -tx1 | tr -d ' \n')"
  sig="$(printf '%s\n%s\nb\n%s\n\n%s\n\nhttps,http\n%s\n\n' "${acct}" "$1" "$2" \
    "${se}" "${sv}" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:${hexkey}" -binary | base64)"
  jq -rn --arg sv "${sv}" --arg sp "$1" --arg srt "$2" --arg se "${se}" \
    --arg sig "${sig}" \
    '"sv=\($sv)&ss=b&srt=\($srt)&sp=\($sp)&se=\($se | @uri)&spr=https%2Chttp&sig=\($sig | @uri)"'
}

@test "the classic retraining cycle with curl only: BES, download, add endpoint, score, PATCH, score again" {
  local sas blob st job url auth mauth ep api before after i state
  emu_start --swap-delay 1500
  auth="${BATS_TEST_TMPDIR}/train.key"
  mauth="${BATS_TEST_TMPDIR}/workspace.key"
  printf 'Authorization: Bearer %s\n' "${AMLR_TRAINING_ENDPOINT_API_KEY}" >"${auth}"
  printf 'Authorization: Bearer %s\n' "${AMLR_WORKSPACE_TOKEN}" >"${mauth}"
  blob="${AMLR_EMULATOR_URL}/devstoreaccount1"

  # 1. Upload the drifted data with the blob API (§1.4 UploadFileToBlob).
  sas="$(account_sas cw co)"
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Length: 0' \
    "${blob}/retrain?restype=container&${sas}"
  assert_output 201
  run -0 curl -sS -o /dev/null -w '%{http_code}' -X PUT \
    -H 'x-ms-blob-type: BlockBlob' -H 'Content-Type: text/csv' \
    --data-binary "@${AMLR_DATA_DIR}/census-b.csv" \
    "${blob}/retrain/census-b.csv?${sas}"
  assert_output 201

  # 2. The training service's BES: submit, start, poll (§1.1, §1.4).
  jq -n --arg cs "${AZURE_STORAGE_CONNECTION_STRING}" '
    def ref($p): {ConnectionString: $cs, RelativeLocation: $p};
    {Inputs: {input1: ref("retrain/census-b.csv")},
     Outputs: {output1: ref("retrain/output1results.ilearner"),
               output2: ref("retrain/output2results.csv")},
     GlobalParameters: {}}' >"${BATS_TEST_TMPDIR}/job.json"
  run -0 curl -sSf -H "@${auth}" -H 'Content-Type: application/json' \
    --data-binary "@${BATS_TEST_TMPDIR}/job.json" \
    "${AMLR_TRAINING_ENDPOINT_API_LOCATION}/jobs?api-version=2.0"
  job="$(jq -r . <<<"${output}")"
  assert_regex "${job}" '^[0-9a-f]{32}$'
  run -0 curl -sSf -o /dev/null -w '%{http_code}' -X POST -H "@${auth}" \
    -H 'Content-Type: application/json' -d '{}' \
    "${AMLR_TRAINING_ENDPOINT_API_LOCATION}/jobs/${job}/start?api-version=2.0"
  assert_output 204
  st="${BATS_TEST_TMPDIR}/status.json"
  for ((i = 0; i < 600; i++)); do
    curl -sSf -H "@${auth}" -o "${st}" \
      "${AMLR_TRAINING_ENDPOINT_API_LOCATION}/jobs/${job}?api-version=2.0"
    state="$(jq -r .StatusCode "${st}")"
    [[ "${state}" == NotStarted || "${state}" == Running ]] || break
    sleep 0.05
  done
  assert_equal "${state}" Finished

  # 3. Download the trained model through the returned SAS (§1.3).
  url="$(jq -r '.Results.output1 | .BaseLocation + .RelativeLocation + .SasBlobToken' "${st}")"
  run -0 curl -sSf -o "${BATS_TEST_TMPDIR}/model.ilearner" "${url}"
  run -0 head -c 13 "${BATS_TEST_TMPDIR}/model.ilearner"
  assert_output amlr-ilearner
  url="$(jq -r '.Results.output2 | .BaseLocation + .RelativeLocation + .SasBlobToken' "${st}")"
  run -0 curl -sSf "${url}"
  assert_line --index 0 --partial AUC

  # 4. Add an endpoint to the predictive service (§3.4, §5.2 step 1).
  ep="${AMLR_MANAGEMENT_ENDPOINT}/workspaces/${AMLR_WORKSPACE_ID}/webservices/${AMLR_PREDICTIVE_WEBSERVICE_ID}/endpoints/newendpoint2"
  run -0 curl -sSf -X PUT -H "@${mauth}" -H 'Content-Type: application/json' \
    -d '{"Description":"retrained census model","ThrottleLevel":"Low"}' "${ep}"
  api="$(jq -r .ApiLocation <<<"${output}")"
  jq -r '"Authorization: Bearer " + .PrimaryKey' <<<"${output}" \
    >"${BATS_TEST_TMPDIR}/ep.key"

  # 5. Score with the endpoint: still the web service's model (§2.1).
  jq -n --argjson c "${COLS}" --argjson v "${ROWS}" \
    '{Inputs: {input1: {ColumnNames: $c, Values: $v}}, GlobalParameters: {}}' \
    >"${BATS_TEST_TMPDIR}/score.json"
  score() {
    curl -sSf -H "@${BATS_TEST_TMPDIR}/ep.key" -H 'Content-Type: application/json' \
      --data-binary "@${BATS_TEST_TMPDIR}/score.json" \
      "${api}/execute?api-version=2.0&details=true" |
      jq -c '[.Results.output1.value.Values[][-1]]'
  }
  before="$(score)"
  run -0 jq length <<<"${before}"
  assert_output 3

  # 6. PATCH the endpoint with the job's output1, with its own key (§3.5).
  jq '{Resources: [{Name: "Census Model [trained model]",
    Location: (.Results.output1 | {BaseLocation, RelativeLocation, SasBlobToken})}]}' \
    "${st}" >"${BATS_TEST_TMPDIR}/patch.json"
  run -0 curl -sS -o "${BATS_TEST_TMPDIR}/patch.out" -w '%{http_code}' -X PATCH \
    -H "@${BATS_TEST_TMPDIR}/ep.key" -H 'Content-Type: application/json' \
    --data-binary "@${BATS_TEST_TMPDIR}/patch.json" "${ep}"
  assert_output 200
  assert_file_empty "${BATS_TEST_TMPDIR}/patch.out"

  # 7. Live after the swap delay ("in approximately 30 seconds", §3.5).
  run -0 score
  assert_output "${before}"
  sleep 1.7
  after="$(score)"
  [[ "${after}" != "${before}" ]]
  # The new scores are the downloaded model's: the default endpoint,
  # still on the first model, scores as before.
  api="$(jq -r .ApiLocation <(curl -sSf -H "@${mauth}" "${ep%/newendpoint2}/default"))"
  curl -sSf -H "@${mauth}" "${ep%/newendpoint2}/default" |
    jq -r '"Authorization: Bearer " + .PrimaryKey' >"${BATS_TEST_TMPDIR}/ep.key"
  run -0 score
  assert_output "${before}"
}
