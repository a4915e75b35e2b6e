#!/usr/bin/env bats
# BES and RRS on classic endpoints (their ApiLocation), swagger.json on
# both kinds of execution URLs, MaxConcurrentCalls (503 RequestThrottled),
# --swap-delay, and classic jobs surviving (as Failed) a kill -9.  Ground
# truth: ../shared/reference/notes/classic-bes-rrs.md §0 (ApiLocation is
# .../workspaces/{ws}/services/{endpoint guid}; endpoint keys), §1.1 (the
# BES operations and swagger.json, api-version optional), §1.7 (503
# RequestThrottled, 401 ScoreRequestUnauthorized), §2 (RRS), §3.3
# (MaxConcurrentCalls affects RRS only, not BES), §3.5 (a new model is
# used "in approximately 30 seconds"), and arm-webservices.md §5.1
# (realtimeConfiguration.maxConcurrentCalls).
# `run` sets output, which shellcheck cannot see; jq programs hold '$';
# JOB_ID, BES_* and MGMT_* are set (and read by helpers) in the tests:
# shellcheck disable=SC2154,SC2016,SC2030,SC2031,SC2034

bats_require_minimum_version 1.5.0

COLS='["age","workclass","fnlwgt","education","education-num","marital-status","occupation","relationship","race","sex","capital-gain","capital-loss","hours-per-week","native-country"]'
ROW1='["52","Private","209642","HS-grad","9","Married-civ-spouse","Exec-managerial","Husband","White","Male","0","0","45","United-States"]'
ROW2='[39,"State-gov",77516,"Bachelors",13,"Never-married","Adm-clerical","Not-in-family","White","Male",2174,0,40,"United-States"]'

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/bes'
  emu_start --provisioning-delay 0 --execute-delay 0
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AZURE_STORAGE_CONNECTION_STRING
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
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
  export AZURE_STORAGE_CONNECTION_STRING
  PRED="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  TRAIN="${AMLR_TRAINING_WEBSERVICE_ID}"
  MGMT_AUTH=""
  REQ="${BATS_TEST_TMPDIR}/rrs.json"
  jq -n --argjson c "${COLS}" --argjson r1 "${ROW1}" --argjson r2 "${ROW2}" \
    '{Inputs: {input1: {ColumnNames: $c, Values: [$r1, $r2]}},
      GlobalParameters: {}}' >"${REQ}"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

# The probabilities RRS gives REQ's rows at BES_BASE.
scores() {
  bes_json "/execute?api-version=2.0&details=true" "${REQ}"
  [[ "${BES_STATUS}" == 200 ]] || {
    echo "scores: ${BES_STATUS} $(cat "${BES_BODY}")" >&2
    return 1
  }
  jq -c '[.Results.output1.value.Values[][-1]]' "${BES_BODY}"
}

# Train on census-b with the classic training endpoint: the job's status
# is left in file $1.
train_b() {
  classic_use "${TRAIN}" default
  bes_request "${BATS_TEST_TMPDIR}/job.json" data/census-b.csv \
    "data/$2.ilearner" "data/$2.csv"
  bes_submit_start "${BATS_TEST_TMPDIR}/job.json"
  [[ "$(bes_wait "${JOB_ID}")" == Finished ]]
  cp -- "${BES_BODY}" "$1"
}

@test "BES on the training service's default endpoint: submit, start, status, Results (§1.1, §1.3)" {
  BES_BASE="${AMLR_TRAINING_ENDPOINT_API_LOCATION}"
  BES_AUTH="$(key_file "${AMLR_TRAINING_ENDPOINT_API_KEY}" train)"
  bes_request "${BATS_TEST_TMPDIR}/job.json" data/census-b.csv \
    data/t1.ilearner data/t1.csv
  bes_json "/jobs?api-version=2.0" "${BATS_TEST_TMPDIR}/job.json"
  assert_equal "${BES_STATUS}" 200
  run -0 cat "${BES_BODY}"
  assert_output --regexp '^"[0-9a-f]{32}"$'
  JOB_ID="$(jq -r . "${BES_BODY}")"
  bes POST "/jobs/${JOB_ID}/start?api-version=2.0"
  assert_equal "${BES_STATUS}" 204
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  run -0 jq -r '.Results | to_entries[] | [.key, .value.RelativeLocation,
    (.value.BaseLocation | endswith("/")), (.value.SasBlobToken | startswith("?"))]
    | map(tostring) | join(" ")' "${BES_BODY}"
  assert_output $'output1 data/t1.ilearner true true\noutput2 data/t1.csv true true'
  # The job belongs to that endpoint: not to another one's URL.
  classic_use "${PRED}" default
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  assert_equal "${BES_STATUS}" 404
  # The endpoint's secondary key works too; the workspace token does not.
  classic_use "${TRAIN}" default SecondaryKey
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  assert_equal "${BES_STATUS}" 200
  BES_AUTH="$(key_file "${AMLR_WORKSPACE_TOKEN}" ws)"
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  assert_equal "${BES_STATUS}" 401
  run -0 jq -r '.error.code, .error.details[0].code' "${BES_BODY}"
  assert_output $'Unauthorized\nScoreRequestUnauthorized'
}

@test "RRS on classic endpoints: each scores with its own model; keys are per endpoint; unknown guid 404" {
  local a b
  train_b "${BATS_TEST_TMPDIR}/status.json" rrs-b
  classic_use "${PRED}" default
  a="$(scores)"
  mgmt_json PUT "$(mgmt_path "${PRED}" rrs)" '{}'
  assert_equal "${MGMT_STATUS}" 200
  # A new endpoint starts with the web service's model.
  classic_use "${PRED}" rrs
  run -0 scores
  assert_output "${a}"
  mgmt_json PATCH "$(mgmt_path "${PRED}" rrs)" \
    "$(patch_body output1 "${BATS_TEST_TMPDIR}/status.json")"
  assert_equal "${MGMT_STATUS}" 200
  b="$(scores)"
  [[ "${a}" != "${b}" ]]
  # format=swagger too, with the same model.
  jq -n --argjson c "${COLS}" --argjson r1 "${ROW1}" \
    '{Inputs: {input1: [[$c, $r1] | transpose | map({(.[0]): .[1]}) | add]},
      GlobalParameters: {}}' >"${BATS_TEST_TMPDIR}/sw.json"
  bes_json "/execute?api-version=2.0&format=swagger" "${BATS_TEST_TMPDIR}/sw.json"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -c '[.Results.output1[0]["Scored Probabilities"]]' "${BES_BODY}"
  assert_output "$(jq -c '.[:1]' <<<"${b}")"
  # The default endpoint is unchanged; the other endpoint's key is no key.
  classic_use "${PRED}" default
  run -0 scores
  assert_output "${a}"
  classic_use "${PRED}" rrs
  BES_AUTH="$(key_file "${AMLR_TRAINING_ENDPOINT_API_KEY}" other)"
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 401
  BES_BASE="${AMLR_MANAGEMENT_ENDPOINT}/workspaces/${AMLR_WORKSPACE_ID}/services/0123456789abcdef0123456789abcdef"
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 404
  run -0 jq -r '.error.details[0].code' "${BES_BODY}"
  assert_output WebServiceNotFound
  mgmt DELETE "$(mgmt_path "${PRED}" rrs)"
  assert_equal "${MGMT_STATUS}" 204
}

@test "swagger.json: a swagger 2.0 document of the endpoint, without a key, api-version optional" {
  classic_use "${PRED}" default
  run -0 curl -sSf "${BES_BASE}/swagger.json"
  run -0 jq -r '.swagger, .info["x-endpoint-name"], .info.title, .basePath,
    .securityDefinitions.api_key.in, .securityDefinitions.api_key.name,
    ([.paths | to_entries[] | .value | to_entries[] | .value.operationId]
      | sort | join(",")),
    (.paths["/execute?api-version=2.0&format=swagger"].post.security[0] | has("api_key")),
    .definitions.ExecutionRequest.properties.Inputs.properties.input1.items["$ref"],
    (.definitions.input1Item.properties.age | .type + "/" + .format),
    .definitions.input1Item.properties.workclass.type,
    (.definitions.output1Item.properties["Scored Probabilities"] | .type + "/" + .format),
    (.definitions.BatchExecutionStatus.properties.StatusCode.enum | join(","))' \
    <<<"${output}"
  assert_output "$(printf '%s\n' 2.0 default 'Census Model [Predictive Exp.]' \
    "${BES_BASE#"${AMLR_EMULATOR_URL}"}" header Authorization \
    canceljob,execute,getSwaggerDocument,getjobstatus,startjob,submitjob true \
    '#/definitions/input1Item' integer/int32 string number/double \
    NotStarted,Running,Failed,Cancelled,Finished)"
  run -0 curl -sSf "${BES_BASE}/swagger.json?api-version=2.0"
  run -22 curl -sSf "${BES_BASE}/swagger.json?api-version=1.0"
  # The training service's: outputs output1 and output2.
  classic_use "${TRAIN}" default
  run -0 curl -sSf "${BES_BASE}/swagger.json"
  run -0 jq -r '.definitions.ExecutionResults.properties.Results.properties | keys | join(",")' <<<"${output}"
  assert_output output1,output2
  # A Resource Manager web service's execution URL has one as well.
  run -0 curl -sSf "${AMLR_TRAINING_API_LOCATION}/swagger.json"
  run -0 jq -r '.swagger, .info.title, (.paths | has("/jobs?api-version=2.0"))' <<<"${output}"
  assert_output $'2.0\nCensus Model [Training Exp.]\ntrue'
}

@test "MaxConcurrentCalls: calls beyond it get 503 RequestThrottled at once; BES is not limited" {
  local i codes pids=()
  emu_start --execute-delay 2500
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  mgmt_json PUT "$(mgmt_path "${PRED}" one-call)" \
    '{"ThrottleLevel":"High","MaxConcurrentCalls":1}'
  assert_equal "${MGMT_STATUS}" 200
  classic_use "${PRED}" one-call
  curl -sS -o "${BATS_TEST_TMPDIR}/first" -w '%{http_code}\n' -H "@${BES_AUTH}" \
    -H 'Content-Type: application/json' --data-binary "@${REQ}" \
    "${BES_BASE}/execute?api-version=2.0" >"${BATS_TEST_TMPDIR}/first.code" 3>&- &
  pids=("$!")
  sleep 0.5
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 503
  run -0 jq -r '.error.code, .error.details[0].code' "${BES_BODY}"
  assert_output $'ServiceUnavailable\nRequestThrottled'
  # Meanwhile the endpoint's BES is not limited (§3.3).
  jq -n --arg cs "${AZURE_STORAGE_CONNECTION_STRING}" \
    '{Inputs: {input1: {ConnectionString: $cs,
      RelativeLocation: "data/census-b.csv"}}, GlobalParameters: {}}' \
    >"${BATS_TEST_TMPDIR}/job.json"
  bes_json "/jobs?api-version=2.0" "${BATS_TEST_TMPDIR}/job.json"
  assert_equal "${BES_STATUS}" 200
  wait "${pids[@]}" # not the emulator's
  pids=()
  assert_equal "$(cat "${BATS_TEST_TMPDIR}/first.code")" 200
  # The slot is free again.
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 200
  # Three at once pass, the fourth is refused.  A held call holds one of
  # the server's 4 threads, and a thread takes the connections that came
  # while it was free: so the calls start one by one, each on a free
  # thread (Low's 4 cannot be exceeded here, a fifth call would wait).
  mgmt_json PUT "$(mgmt_path "${PRED}" one-call)" \
    '{"ThrottleLevel":"High","MaxConcurrentCalls":3}'
  for ((i = 0; i < 3; i++)); do
    curl -sS -o /dev/null -w '%{http_code}\n' -H "@${BES_AUTH}" \
      -H 'Content-Type: application/json' --data-binary "@${REQ}" \
      "${BES_BASE}/execute?api-version=2.0" >"${BATS_TEST_TMPDIR}/c${i}" 3>&- &
    pids+=("$!")
    sleep 0.25
  done
  sleep 0.2
  bes_json "/execute?api-version=2.0" "${REQ}"
  assert_equal "${BES_STATUS}" 503
  wait "${pids[@]}" # not the emulator's
  codes="$(cat "${BATS_TEST_TMPDIR}"/c[0-2] | sort | uniq -c | tr -s ' ')"
  assert_equal "${codes}" " 3 200"
}

@test "--swap-delay: a PATCHed model scores only after the delay; GET shows it at once" {
  local a b
  emu_start --swap-delay 2000
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  train_b "${BATS_TEST_TMPDIR}/status.json" swap-b
  mgmt_json PUT "$(mgmt_path "${PRED}" swapping)" '{}'
  classic_use "${PRED}" swapping
  a="$(scores)"
  mgmt_json PATCH "$(mgmt_path "${PRED}" swapping)" \
    "$(patch_body output1 "${BATS_TEST_TMPDIR}/status.json")"
  assert_equal "${MGMT_STATUS}" 200
  mgmt GET "$(mgmt_path "${PRED}" swapping)"
  run -0 jq -r '.Resources[0].Location.RelativeLocation' "${MGMT_BODY}"
  assert_output data/swap-b.ilearner
  run -0 scores
  assert_output "${a}"
  sleep 2.2
  b="$(scores)"
  [[ "${a}" != "${b}" ]]
}

@test "--swap-delay on a Resource Manager web service: the updated model scores after the delay" {
  local a b
  emu_start --provisioning-delay 0 --swap-delay 2000
  arm_token
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  train_b "${BATS_TEST_TMPDIR}/status.json" arm-b
  ws_use "${AMLR_PREDICTIVE_NAME}"
  a="$(scores)"
  run -0 --separate-stderr amlretrain webservice set-model \
    -n "${AMLR_PREDICTIVE_NAME}" --from-job "${BATS_TEST_TMPDIR}/status.json"
  arm GET "$(arm_ws_path "${AMLR_PREDICTIVE_NAME}")?api-version=2017-01-01"
  run -0 jq -r '.properties.assets.asset2.locationInfo.uri' "${ARM_BODY}"
  assert_output --partial /data/arm-b.ilearner
  run -0 scores
  assert_output "${a}"
  sleep 2.2
  b="$(scores)"
  [[ "${a}" != "${b}" ]]
}

@test "a classic job running when the emulator is killed (kill -9) is Failed after restart" {
  emu_start --job-delay 5000
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  classic_use "${TRAIN}" default
  bes_request "${BATS_TEST_TMPDIR}/job.json" data/census-b.csv \
    data/k.ilearner data/k.csv
  bes_submit_start "${BATS_TEST_TMPDIR}/job.json"
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  run -0 jq -r .StatusCode "${BES_BODY}"
  assert_output Running
  run -0 jq -r '.kind, .scope, .state' \
    "${BATS_TEST_TMPDIR}/emu-state/bes/${JOB_ID}.json"
  assert_output "$(printf '%s\n' classic "${AMLR_WORKSPACE_ID}" Running)"
  emu_stop KILL || true # 137: killed, as meant
  emu_start
  # The same endpoint, its key kept in the state: the job is Failed.
  classic_use "${TRAIN}" default
  bes GET "/jobs/${JOB_ID}?api-version=2.0"
  assert_equal "${BES_STATUS}" 200
  run -0 jq -r '.StatusCode, .Details' "${BES_BODY}"
  assert_output $'Failed\nthe job was interrupted: the emulator stopped while it was running'
}
