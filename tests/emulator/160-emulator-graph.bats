#!/usr/bin/env bats
# The emulator executes web-service graphs of Studio modules
# (docs/emulator-modules.md): the census definitions of manifests/
# through BES and RRS, the other modules of the catalogue, graph
# parameters, and the error naming an unsupported module.  Ground truth:
# ../shared/reference/notes/classic-bes-rrs.md (§1.2 outputs in the
# walkthrough's order, §2.1 Score Model's columns) and
# notes/arm-webservices.md (GraphPackage, GraphParameter).
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
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-a.csv -f "${DATA}/census-a.csv" \
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
}

@test "the census definitions pass amlretrain webservice import" {
  local f
  for f in census-training census-predictive; do
    run -0 --separate-stderr amlretrain webservice import \
      --file "${DEFS}/${f}.json"
    assert_equal "${stderr}" ""
    run -0 jq -r '.properties.packageType' <<<"${output}"
    assert_output Graph
  done
  # The predictive service has the one [trained model] Resource asset.
  run -0 jq -r '[.properties.assets[] | select(.type == "Resource")
    | .name] | join(",")' "${DEFS}/census-predictive.json"
  assert_output 'Census Model [trained model]'
}

@test "training graph: output1 is the trained model, output2 the evaluation" {
  ws_use train
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/g1.ilearner data/g1.csv
  bes_submit_start "${BATS_TEST_TMPDIR}/req.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  cp -- "${BES_BODY}" "${BATS_TEST_TMPDIR}/status.json"
  run -0 curl -sSf "$(bes_result_url output1 "${BATS_TEST_TMPDIR}/status.json")"
  assert_line --index 0 'amlr-ilearner 1'
  assert_line 'algorithm two-class-logistic-regression'
  assert_line 'label "income"'
  run -0 curl -sSf "$(bes_result_url output2 "${BATS_TEST_TMPDIR}/status.json")"
  assert_line --index 0 --partial 'True Positive,False Negative,False Positive,True Negative,Threshold,Accuracy,Precision,Recall,F1 Score,AUC,Average Log Loss'
  # A model of income on census-a is better than chance (AUC > 0.75).
  run -0 awk -F, 'NR == 2 { print ($10 > 0.75 && $10 <= 1) ? "ok" : $10 }' \
    <<<"${output//$'\r'/}"
  assert_output ok
}

@test "training is deterministic: the same data gives the same model bytes" {
  local a b
  ws_use train
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/d1.ilearner ""
  bes_submit_start "${BATS_TEST_TMPDIR}/req.json"
  run -0 bes_wait "${JOB_ID}"
  a="$(curl -sSf "$(bes_result_url output1 "${BES_BODY}")" | sha256sum)"
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/d2.ilearner ""
  bes_submit_start "${BATS_TEST_TMPDIR}/req.json"
  run -0 bes_wait "${JOB_ID}"
  b="$(curl -sSf "$(bes_result_url output1 "${BES_BODY}")" | sha256sum)"
  assert_equal "${a}" "${b}"
}

@test "Select Columns in Dataset and Linear Regression: a regression model of the columns kept" {
  jq '.properties.assets.asset1.name = "Linear Regression"
    | .properties.assets.asset1.locationInfo.uri = "aml://module/31960a6f789b4cf7a9c3d1d0c1a2b7e4"
    | .properties.assets.asset5 = {name: "Select Columns in Dataset",
        type: "Module",
        locationInfo: {uri: "aml://module/506153734175476c4f62416c57734963.1ec722fa0cd247b2b1fdd6b7d7e2de4b.v1-default-1"}}
    | .properties.package.nodes.node8 = {assetId: "asset5", parameters:
        {"Column Selector": {value: "age, education-num, hours-per-week"}}}
    | .properties.package.nodes.node3.parameters["Label column"].value = "hours-per-week"
    | .properties.package.edges |= map(
        if .sourceNodeId == "node1" then .sourceNodeId = "node8" else . end)
    | .properties.package.edges += [{sourceNodeId: "node1",
        targetNodeId: "node8", targetPortId: "Dataset"}]' \
    "${DEFS}/census-training.json" >"${BATS_TEST_TMPDIR}/lin.json"
  ws_create lin "${BATS_TEST_TMPDIR}/lin.json"
  ws_use lin
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/lin.ilearner data/lin.csv
  bes_submit_start "${BATS_TEST_TMPDIR}/req.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  cp -- "${BES_BODY}" "${BATS_TEST_TMPDIR}/status.json"
  run -0 curl -sSf "$(bes_result_url output1 "${BATS_TEST_TMPDIR}/status.json")"
  assert_line 'algorithm linear-regression'
  assert_line 'label "hours-per-week"'
  assert_line 'features 2'
  refute_line --partial '"occupation"'
  run -0 curl -sSf "$(bes_result_url output2 "${BATS_TEST_TMPDIR}/status.json")"
  assert_line --index 0 --partial 'Mean Absolute Error,Root Mean Squared Error'
}

@test "an unsupported module fails the job with an error naming it" {
  jq '.properties.assets.asset1.name = "Execute R Script"
    | .properties.assets.asset1.locationInfo.uri = "aml://module/506153734175476c4f62416c57734963.30375a04ac3548ef8fba5f1e4f8a3e1d.v1-default-1647"' \
    "${DEFS}/census-training.json" >"${BATS_TEST_TMPDIR}/r.json"
  ws_create rscript "${BATS_TEST_TMPDIR}/r.json"
  ws_use rscript
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/r.ilearner ""
  bes_submit_start "${BATS_TEST_TMPDIR}/req.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  run -0 jq -r '.Details, .Results' "${BES_BODY}"
  assert_line --index 0 "unsupported module 'Execute R Script' (node 'node2')"
  assert_line --index 1 null
}

@test "an unsupported module in a predictive graph: RRS answers 400 naming it" {
  jq '.properties.assets.asset1.name = "Execute R Script"
    | .properties.assets.asset1.locationInfo.uri = "aml://module/x.30375a04ac3548ef8fba5f1e4f8a3e1d.v1"' \
    "${DEFS}/census-predictive.json" >"${BATS_TEST_TMPDIR}/r.json"
  ws_create rpred "${BATS_TEST_TMPDIR}/r.json"
  ws_use rpred
  jq -n '{Inputs: {input1: {ColumnNames: ["age"], Values: [["39"]]}},
    GlobalParameters: {}}' >"${BATS_TEST_TMPDIR}/rrs.json"
  bes_json "/execute?api-version=2.0&details=true" "${BATS_TEST_TMPDIR}/rrs.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.message' "${BES_BODY}"
  assert_line --index 0 ModuleExecutionError
  assert_line --index 1 "unsupported module 'Execute R Script' (node 'node2')"
}

@test "graph parameters: required in GlobalParameters, and they set the node parameter" {
  jq '.properties.package.graphParameters = {"Label": {type: "String",
        links: [{nodeId: "node3", parameterKey: "Label column"}]}}
    | .properties.package.nodes.node3.parameters["Label column"].value = "no-such-column"' \
    "${DEFS}/census-training.json" >"${BATS_TEST_TMPDIR}/gp.json"
  ws_create gp "${BATS_TEST_TMPDIR}/gp.json"
  ws_use gp
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/gp.ilearner ""
  bes_json "/jobs?api-version=2.0" "${BATS_TEST_TMPDIR}/req.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code, .error.details[0].target' \
    "${BES_BODY}"
  assert_output $'BadArgument\nMissingRequiredGlobalParameters\nLabel'
  jq '.GlobalParameters = {Label: "income"}' "${BATS_TEST_TMPDIR}/req.json" \
    >"${BATS_TEST_TMPDIR}/req2.json"
  bes_submit_start "${BATS_TEST_TMPDIR}/req2.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Finished
  run -0 curl -sSf "$(bes_result_url output1 "${BES_BODY}")"
  assert_line 'label "income"'
}

@test "a label column the data lacks fails the job, naming Train Model" {
  jq '.properties.package.nodes.node3.parameters["Label column"].value = "salary"' \
    "${DEFS}/census-training.json" >"${BATS_TEST_TMPDIR}/bad.json"
  ws_create badlabel "${BATS_TEST_TMPDIR}/bad.json"
  ws_use badlabel
  bes_request "${BATS_TEST_TMPDIR}/req.json" data/census-a.csv \
    data/bad.ilearner ""
  bes_submit_start "${BATS_TEST_TMPDIR}/req.json"
  run -0 bes_wait "${JOB_ID}"
  assert_output Failed
  run -0 jq -r '.Details' "${BES_BODY}"
  assert_output --partial "Train Model (node 'node3'): "
  assert_output --partial salary
}
