#!/usr/bin/env bats
# RRS execute on the emulator's Resource Manager web services: the
# classic request and response with details=true, format=swagger, the
# errors, and scoring with the model the [trained model] asset names at
# that moment, so that a retrain-and-swap changes predictions.  Ground
# truth: ../shared/reference/notes/classic-bes-rrs.md §2 (request and
# response shapes, runtime fields, ColumnTypes as .NET names), §1.7
# (error envelope), §1.4 and §5.1 (the retraining walkthrough).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# JOB_ID and BES_* are set (and read by helpers) in the test itself:
# shellcheck disable=SC2154,SC2016,SC2030,SC2031,SC2034

bats_require_minimum_version 1.5.0

DEFS="${BATS_TEST_DIRNAME}/../../manifests/definitions"
DATA="${BATS_TEST_DIRNAME}/../../manifests/data"
COLS='["age","workclass","fnlwgt","education","education-num","marital-status","occupation","relationship","race","sex","capital-gain","capital-loss","hours-per-week","native-country"]'
ROW1='["52","Private","209642","HS-grad","9","Married-civ-spouse","Exec-managerial","Husband","White","Male","0","0","45","United-States"]'
ROW2='[39,"State-gov",77516,"Bachelors",13,"Never-married","Adm-clerical","Not-in-family","White","Male",2174,0,40,"United-States"]'

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
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-a.csv -f "${DATA}/census-a.csv" \
    >/dev/null
  amlretrain blob upload -c data -n census-b.csv -f "${DATA}/census-b.csv" \
    >/dev/null
  ws_create train "${DEFS}/census-training.json"
  # The first model: trained on census-a, as the predictive service's.
  ws_use train
  bes_request "${BATS_FILE_TMPDIR}/req.json" data/census-a.csv \
    data/model-a.ilearner ""
  bes_submit_start "${BATS_FILE_TMPDIR}/req.json"
  [[ "$(bes_wait "${JOB_ID}")" == Finished ]]
  jq --arg u "${AMLR_EMULATOR_URL}/devstoreaccount1/data/model-a.ilearner" \
    '.properties.assets.asset2.locationInfo.uri = $u' \
    "${DEFS}/census-predictive.json" >"${BATS_FILE_TMPDIR}/pred.json"
  ws_create pred "${BATS_FILE_TMPDIR}/pred.json"
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
  # common.bash unsets the secrets: the emulator's again.
  # shellcheck source=/dev/null
  source "${BATS_FILE_TMPDIR}/emu.env"
  REQ="${BATS_TEST_TMPDIR}/rrs.json"
  jq -n --argjson c "${COLS}" --argjson r1 "${ROW1}" --argjson r2 "${ROW2}" \
    '{Inputs: {input1: {ColumnNames: $c, Values: [$r1, $r2]}},
      GlobalParameters: {}}' >"${REQ}"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

@test "details=true: a table of the input columns, Scored Labels and Scored Probabilities, with .NET types" {
  ws_use pred
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -r '.Results.output1.type,
    (.Results.output1.value.ColumnNames | .[-3:] | join(",")),
    (.Results.output1.value.ColumnTypes | .[0], .[1], .[-2], .[-1]),
    (.Results.output1.value.Values | length),
    (.Results.output1.value.Values[1][0]),
    ([.Results.output1.value.Values[][] | type] | unique | join(",")),
    (.ContainerAllocationDurationMs | type), (.ExecutionDurationMs | type),
    .IsWarmContainer' "${BES_BODY}"
  assert_output "$(printf '%s\n' table 'native-country,Scored Labels,Scored Probabilities' \
    Int32 String String Double 2 39 string number number true)"
  # Labels are classes of the model; probabilities in [0, 1].
  run -0 jq -r '.Results.output1.value.Values[] | .[-2:] |
    ((.[0] == "<=50K" or .[0] == ">50K") and
     (.[1] | tonumber) >= 0 and (.[1] | tonumber) <= 1)' "${BES_BODY}"
  assert_output $'true\ntrue'
}

@test "without details=true there are no ColumnTypes" {
  ws_use pred
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -c '.Results.output1.value | [has("ColumnNames"),
    has("ColumnTypes"), (.Values | length)]' "${BES_BODY}"
  assert_output '[true,false,2]'
}

@test "format=swagger: rows as objects in, rows as objects out" {
  ws_use pred
  jq -n --argjson c "${COLS}" --argjson r1 "${ROW1}" \
    '{Inputs: {input1: [[$c, $r1] | transpose | map({(.[0]): .[1]}) | add]},
      GlobalParameters: {}}' >"${BATS_TEST_TMPDIR}/sw.json"
  bes_json "/execute?api-version=2.0&format=swagger" "${BATS_TEST_TMPDIR}/sw.json"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -r '(.Results.output1 | length), .Results.output1[0].age,
    (.Results.output1[0] | has("Scored Labels") and has("Scored Probabilities")),
    has("IsWarmContainer")' "${BES_BODY}"
  assert_output $'1\n52\ntrue\nfalse'
  # The same row scores the same in both formats.
  local p_swagger
  p_swagger="$(jq -r '.Results.output1[0]["Scored Probabilities"]' "${BES_BODY}")"
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  run -0 jq -r '.Results.output1.value.Values[0][-1]' "${BES_BODY}"
  assert_output "${p_swagger}"
}

@test "retrain and swap: after set-model --from-job the predictions change" {
  local before after
  ws_use pred
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  before="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  # Retrain on the drifted data (census-b), as the walkthrough does.
  ws_use train
  bes_request "${BATS_TEST_TMPDIR}/job.json" data/census-b.csv \
    data/model-b.ilearner data/eval-b.csv
  bes_submit_start "${BATS_TEST_TMPDIR}/job.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  cp -- "${BES_BODY}" "${BATS_TEST_TMPDIR}/status.json"
  run -0 --separate-stderr amlretrain webservice set-model -n pred \
    --from-job "${BATS_TEST_TMPDIR}/status.json"
  run -0 jq -r '.modelUri, .previousModelUri' <<<"${output}"
  assert_line --index 0 "${AMLR_EMULATOR_URL}/devstoreaccount1/data/model-b.ilearner"
  assert_line --index 1 "${AMLR_EMULATOR_URL}/devstoreaccount1/data/model-a.ilearner"
  ws_use pred
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  after="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  [[ "${before}" != "${after}" ]]
  # And they are model-b's: scoring is deterministic for a model.
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  run -0 jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}"
  assert_output "${after}"
}

@test "errors: key, api-version, body, Inputs, ragged rows" {
  ws_use pred secondary
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  printf 'Authorization: Bearer nope\n' >"${BES_AUTH}"
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  assert_equal "${BES_STATUS}" 401
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output ScoreRequestUnauthorized
  ws_use pred
  bes_json "/execute?details=true" "${REQ}"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output BadVersionCall
  printf '{"Inputs":' >"${BATS_TEST_TMPDIR}/bad.json"
  bes_json "/execute?api-version=2.0" "${BATS_TEST_TMPDIR}/bad.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output RequestBodyInvalid
  printf '{"GlobalParameters":{}}' >"${BATS_TEST_TMPDIR}/bad.json"
  bes_json "/execute?api-version=2.0" "${BATS_TEST_TMPDIR}/bad.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output MissingRequestInput
  jq '.Inputs.input1.Values[1] |= .[1:]' "${REQ}" >"${BATS_TEST_TMPDIR}/bad.json"
  bes_json "/execute?api-version=2.0" "${BATS_TEST_TMPDIR}/bad.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code, .error.message' "${BES_BODY}"
  assert_output $'BadUserArgument\nInputParseError\ninput \'input1\': row 2 must have 14 values'
  # A feature column the model needs is missing: the error names it.
  jq '.Inputs.input1 |= {ColumnNames: .ColumnNames[1:],
    Values: [.Values[] | .[1:]]}' "${REQ}" >"${BATS_TEST_TMPDIR}/bad.json"
  bes_json "/execute?api-version=2.0" "${BATS_TEST_TMPDIR}/bad.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.message' "${BES_BODY}"
  assert_output --partial "Score Model (node 'node2'): "
  assert_output --partial age
}

@test "RRS cannot produce a trained model; a missing model blob is named" {
  ws_use train
  jq '.Inputs.input1.ColumnNames += ["income"]
    | .Inputs.input1.Values |= map(. + [">50K"])' "${REQ}" \
    >"${BATS_TEST_TMPDIR}/t.json"
  bes_json "/execute?api-version=2.0" "${BATS_TEST_TMPDIR}/t.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.details[0].target' "${BES_BODY}"
  assert_output $'InvalidOutputType\noutput1'
  jq --arg u "${AMLR_EMULATOR_URL}/devstoreaccount1/data/gone.ilearner" \
    '.properties.assets.asset2.locationInfo.uri = $u' \
    "${DEFS}/census-predictive.json" >"${BATS_TEST_TMPDIR}/gone.json"
  ws_create gone "${BATS_TEST_TMPDIR}/gone.json"
  ws_use gone
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.message' "${BES_BODY}"
  assert_line --index 0 ModuleExecutionError
  assert_line --index 1 "resource 'Census Model [trained model]': model blob 'data/gone.ilearner': BlobNotFound"
}

@test "a new model written over the same blob (a new ETag) is scored at once" {
  local b other back
  ws_use pred
  arm GET "$(arm_ws_path pred)?api-version=2017-01-01"
  run -0 jq -r '.properties.assets.asset2.locationInfo.uri' "${ARM_BODY}"
  assert_output "${AMLR_EMULATOR_URL}/devstoreaccount1/data/model-b.ilearner"
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  b="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  # Overwrite model-b's blob with model-a's bytes: same URI, new ETag.
  curl -sSf -o "${BATS_TEST_TMPDIR}/a.ilearner" \
    "$(amlretrain blob sas -c data -n model-a.ilearner | jq -r .url)"
  curl -sSf -o "${BATS_TEST_TMPDIR}/b.ilearner" \
    "$(amlretrain blob sas -c data -n model-b.ilearner | jq -r .url)"
  amlretrain blob upload -c data -n model-b.ilearner \
    -f "${BATS_TEST_TMPDIR}/a.ilearner" >/dev/null
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  other="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  [[ "${other}" != "${b}" ]]
  # And back: the cache never serves the model of an older ETag.
  amlretrain blob upload -c data -n model-b.ilearner \
    -f "${BATS_TEST_TMPDIR}/b.ilearner" >/dev/null
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  back="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  assert_equal "${back}" "${b}"
}

@test "a corrupted model blob is refused with the learner's reason" {
  printf 'amlr-ilearner 1\nalgorithm two-class-logistic-regression\n' \
    >"${BATS_TEST_TMPDIR}/bad.ilearner"
  amlretrain blob upload -c data -n bad.ilearner \
    -f "${BATS_TEST_TMPDIR}/bad.ilearner" >/dev/null
  jq --arg u "https://devstoreaccount1.blob.core.windows.net/data/bad.ilearner" \
    '.properties.assets.asset2.locationInfo.uri = $u' \
    "${DEFS}/census-predictive.json" >"${BATS_TEST_TMPDIR}/badm.json"
  ws_create badmodel "${BATS_TEST_TMPDIR}/badm.json"
  ws_use badmodel
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.message' "${BES_BODY}"
  assert_output --partial "resource 'Census Model [trained model]': model blob 'data/bad.ilearner': "
}

@test "the default world: census services, a first model and the exports; a full cycle from the env file alone" {
  local p_a p_b
  emu_start --provisioning-delay 0
  run -0 grep -c -E "^export (AMLR_TRAINING_API_LOCATION|AMLR_TRAINING_API_KEY|AMLR_PREDICTIVE_NAME|AMLR_DATA_DIR)=" \
    "${EMU_ENV_FILE}"
  assert_output 4
  assert_equal "${AMLR_PREDICTIVE_NAME}" census-predictive
  assert_file_exists "${AMLR_DATA_DIR}/census-a.csv"
  assert_file_exists "${AMLR_DATA_DIR}/census-b.csv"
  assert_regex "${AMLR_TRAINING_API_LOCATION}" \
    "^${AMLR_EMULATOR_URL}/subscriptions/[0-9a-f]{32}/services/[0-9a-f]{32}\$"
  arm_token
  # The predictive service scores with the first model right away.
  ws_use "${AMLR_PREDICTIVE_NAME}"
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  p_a="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  # Retrain with the exported location and key only.
  BES_BASE="${AMLR_TRAINING_API_LOCATION}"
  BES_AUTH="${BATS_TEST_TMPDIR}/demo-auth"
  printf 'Authorization: Bearer %s\n' "${AMLR_TRAINING_API_KEY}" >"${BES_AUTH}"
  [[ "$(make_container retrain)" == 201 ]]
  amlretrain blob upload -c retrain -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  bes_request "${BATS_TEST_TMPDIR}/job.json" retrain/census-b.csv \
    retrain/output1results.ilearner retrain/output2results.csv
  bes_submit_start "${BATS_TEST_TMPDIR}/job.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  cp -- "${BES_BODY}" "${BATS_TEST_TMPDIR}/status.json"
  run -0 --separate-stderr amlretrain webservice set-model \
    -n "${AMLR_PREDICTIVE_NAME}" --from-job "${BATS_TEST_TMPDIR}/status.json"
  ws_use "${AMLR_PREDICTIVE_NAME}"
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  p_b="$(jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}")"
  [[ "${p_a}" != "${p_b}" ]]
  # A restart with the same state keeps the swapped model (no re-seeding);
  # --demo is still accepted, and changes nothing.
  emu_stop
  emu_start --provisioning-delay 0 --demo
  arm_token
  ws_use "${AMLR_PREDICTIVE_NAME}"
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  run -0 jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}"
  assert_output "${p_b}"
  emu_stop
  assert_file_empty "${EMU_STDERR}"
}
