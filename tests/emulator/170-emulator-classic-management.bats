#!/usr/bin/env bats
# The emulator's classic web-service management API on its base URL
# (AMLR_MANAGEMENT_ENDPOINT): web services and endpoints of the seed's
# workspace, add (PUT), PATCH of the [trained model], refresh, delete, the
# tier rules, the keys, the errors.  Ground truth:
# ../shared/reference/notes/classic-bes-rrs.md §3.1 (operations, 204 on
# empty lists), §3.2 (WebService), §3.3 (Endpoint, names, keys,
# MaxConcurrentCalls, ThrottleLevel), §3.4 (add endpoint, free and
# standard rules), §3.5 (PATCH: body, default and training service not
# patchable, its message), §3.6 (refresh, 304), §7.5 and §7.6 (the
# checklist and the error envelope), §0 (workspace token or endpoint key).
# `run` sets output, which shellcheck cannot see; jq programs hold '$';
# JOB_ID, BES_* and MGMT_* are set (and read by helpers) in the tests:
# shellcheck disable=SC2154,SC2016,SC2030,SC2031,SC2034

bats_require_minimum_version 1.5.0

MODEL='Census Model [trained model]'

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/bes'
  emu_start --provisioning-delay 0
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AZURE_STORAGE_CONNECTION_STRING
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" >/dev/null
  # A second model, trained on census-b by the classic training
  # service's default endpoint (its BES), to PATCH endpoints with.
  classic_use "${AMLR_TRAINING_WEBSERVICE_ID}" default
  bes_request "${BATS_FILE_TMPDIR}/req.json" data/census-b.csv \
    data/model-b.ilearner data/eval-b.csv
  bes_submit_start "${BATS_FILE_TMPDIR}/req.json"
  [[ "$(bes_wait "${JOB_ID}")" == Finished ]]
  cp -- "${BES_BODY}" "${BATS_FILE_TMPDIR}/status-b.json"
}

teardown_file() {
  emu_stop # exit status 0: no sanitizer report, no leak
  assert_file_empty "${EMU_STDERR}"
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/bes'
  # common.bash unsets the secrets: the emulator's again.
  # shellcheck source=/dev/null
  source "${BATS_FILE_TMPDIR}/emu.env"
  export AZURE_STORAGE_CONNECTION_STRING
  PRED="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  TRAIN="${AMLR_TRAINING_WEBSERVICE_ID}"
  MGMT_AUTH=""
}

teardown() {
  emu_stop # only an emulator this test started itself
}

# Start this test's own emulator with the built-in seed changed by jq
# filter $1 (emu_seed), other options after it.
own_emulator() {
  local filter="$1"
  shift
  emu_seed "${filter}" >"${BATS_TEST_TMPDIR}/seed.json"
  emu_start --seed "${BATS_TEST_TMPDIR}/seed.json" "$@"
  MGMT_AUTH=""
}

# The error's code, its first detail's code and target, one a line.
error_codes() {
  jq -r '.error.code, .error.details[0].code, (.error.details[0].target // "-")' \
    "${MGMT_BODY}"
}

@test "the env file names the management endpoint, the workspace and the census services" {
  assert_equal "${AMLR_MANAGEMENT_ENDPOINT}" "${AMLR_EMULATOR_URL}"
  assert_regex "${AMLR_WORKSPACE_ID}" '^[0-9a-f]{32}$'
  assert_equal "${AMLR_WORKSPACE_ID}" \
    "$(jq -r '.workspaces[0].id' "${AMLR_ROOT}/manifests/emulator/demo.json")"
  assert_regex "${PRED}" '^[0-9a-f]{32}$'
  assert_regex "${TRAIN}" '^[0-9a-f]{32}$'
  assert_regex "${AMLR_TRAINING_ENDPOINT_API_LOCATION}" \
    "^${AMLR_EMULATOR_URL}/workspaces/${AMLR_WORKSPACE_ID}/services/[0-9a-f]{32}\$"
  assert_regex "${AMLR_TRAINING_ENDPOINT_API_KEY}" '^[A-Za-z0-9+/]{86}==$'
  # The training service's default endpoint is that one.
  classic_use "${TRAIN}" default
  assert_equal "${BES_BASE}" "${AMLR_TRAINING_ENDPOINT_API_LOCATION}"
}

@test "GET web services: the seeded ones as WebService objects (§3.2); GET one" {
  mgmt GET "$(mgmt_path)"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r 'map(.Name) | sort | join(",")' "${MGMT_BODY}"
  assert_output 'Census Model [Predictive Exp.],Census Model [Training Exp.]'
  run -0 jq -r --arg id "${PRED}" '.[] | select(.Id == $id)
    | [(keys_unsorted | join(",")), .WorkspaceId, .DefaultEndpointName,
       .EndpointCount, (.CreationTime | test("^[0-9-]{10}T[0-9:]{8}Z$"))]
    | map(tostring) | .[]' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' \
    Id,Name,Description,CreationTime,WorkspaceId,DefaultEndpointName,EndpointCount \
    "${AMLR_WORKSPACE_ID}" default 1 true)"
  mgmt GET "$(mgmt_path "${PRED}")"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r '.Id, .Name' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' "${PRED}" 'Census Model [Predictive Exp.]')"
  # Every response carries x-ms-request-id (§3.1).
  run -0 grep -ci '^x-ms-request-id: ' "${MGMT_HEADERS}"
}

@test "404 NotFound with WorkspaceNotFound, WebServiceNotFound, EndpointNotFound" {
  mgmt GET "/workspaces/00000000000000000000000000000000/webservices"
  assert_equal "${MGMT_STATUS}" 404
  run -0 error_codes
  assert_output $'NotFound\nWorkspaceNotFound\n00000000000000000000000000000000'
  mgmt GET "$(mgmt_path 0123456789abcdef0123456789abcdef)"
  assert_equal "${MGMT_STATUS}" 404
  run -0 error_codes
  assert_output $'NotFound\nWebServiceNotFound\n0123456789abcdef0123456789abcdef'
  mgmt GET "$(mgmt_path "${PRED}" nowhere)"
  assert_equal "${MGMT_STATUS}" 404
  run -0 error_codes
  assert_output $'NotFound\nEndpointNotFound\nnowhere'
  mgmt GET "$(mgmt_path 0123456789abcdef0123456789abcdef)/endpoints"
  assert_equal "${MGMT_STATUS}" 404
}

@test "GET endpoint: the Endpoint object of §3.3, its keys, ApiLocation, Resources with a readable SAS" {
  local url
  mgmt GET "$(mgmt_path "${PRED}" default)"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r 'keys_unsorted | join(",")' "${MGMT_BODY}"
  assert_output 'Name,Description,CreationTime,WorkspaceId,WebServiceId,HelpLocation,PrimaryKey,SecondaryKey,ApiLocation,ExperimentLocation,Resources,Version,MaxConcurrentCalls,DiagnosticsTraceLevel,ThrottleLevel,PreventUpdate,SampleDataEnabled'
  run -0 jq -r '.Name, .WorkspaceId, .WebServiceId,
    (.PrimaryKey | test("^[A-Za-z0-9+/]{86}==$")),
    (.SecondaryKey | test("^[A-Za-z0-9+/]{86}==$")),
    (.PrimaryKey != .SecondaryKey),
    .ThrottleLevel, .MaxConcurrentCalls, .DiagnosticsTraceLevel,
    .PreventUpdate, .SampleDataEnabled,
    (.Resources | length), .Resources[0].Name, .Resources[0].Kind,
    (.Resources[0].Location | keys_unsorted | join(",")),
    .Resources[0].Location.RelativeLocation' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' default "${AMLR_WORKSPACE_ID}" "${PRED}" \
    true true true High 20 None false false 1 "${MODEL}" TrainedModel \
    BaseLocation,RelativeLocation,SasBlobToken models/census-a.ilearner)"
  run -0 jq -r .ApiLocation "${MGMT_BODY}"
  assert_regex "${output}" \
    "^${AMLR_EMULATOR_URL}/workspaces/${AMLR_WORKSPACE_ID}/services/[0-9a-f]{32}\$"
  run -0 jq -r .HelpLocation "${MGMT_BODY}"
  assert_regex "${output}" "/workspaces/${AMLR_WORKSPACE_ID}/webservices/${PRED}/endpoints/[0-9a-f]{32}\$"
  # BaseLocation + RelativeLocation + SasBlobToken reads the model (§1.3).
  url="$(jq -r '.Resources[0].Location
    | .BaseLocation + .RelativeLocation + .SasBlobToken' "${MGMT_BODY}")"
  run -0 curl -sSf -o "${BATS_TEST_TMPDIR}/m.ilearner" "${url}"
  run -0 head -c 13 "${BATS_TEST_TMPDIR}/m.ilearner"
  assert_output 'amlr-ilearner'
  # The list holds the same endpoint.
  mgmt GET "$(mgmt_path "${PRED}")/endpoints"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r 'length, .[0].Name' "${MGMT_BODY}"
  assert_output $'1\ndefault'
}

@test "PUT adds an endpoint (200 with the Endpoint), PUT again updates it; the default keeps its own" {
  mgmt_json PUT "$(mgmt_path "${PRED}" addtest)" \
    '{"Description":"first","ThrottleLevel":"Low"}'
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r '.Name, .Description, .ThrottleLevel, .MaxConcurrentCalls,
    .WebServiceId, (.Resources[0].Location.RelativeLocation)' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' addtest first Low 4 "${PRED}" models/census-a.ilearner)"
  local guid key
  guid="$(jq -r '.ApiLocation | split("/") | last' "${MGMT_BODY}")"
  key="$(jq -r .PrimaryKey "${MGMT_BODY}")"
  # azuremlps's body (§3.4): null members are unset, extra members ignored.
  mgmt_json PUT "$(mgmt_path "${PRED}" addtest)" \
    "{\"WebServiceId\":\"${PRED}\",\"EndpointName\":\"addtest\",\"Description\":\"second\",\"ThrottleLevel\":\"High\",\"MaxConcurrentCalls\":null,\"PreventUpdate\":false}"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r '.Description, .ThrottleLevel, .MaxConcurrentCalls,
    (.ApiLocation | split("/") | last), (.PrimaryKey == $k)' \
    --arg k "${key}" "${MGMT_BODY}"
  assert_output "$(printf '%s\n' second High 20 "${guid}" true)"
  mgmt GET "$(mgmt_path "${PRED}")"
  run -0 jq -r .EndpointCount "${MGMT_BODY}"
  assert_output 2
  mgmt DELETE "$(mgmt_path "${PRED}" addtest)"
  assert_equal "${MGMT_STATUS}" 204
}

@test "endpoint names: ^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?\$, else 400 InvalidEndpointName" {
  local name
  for name in Upper -lead trail- 'a_b' "$(printf 'a%.0s' {1..25})"; do
    mgmt_json PUT "$(mgmt_path "${PRED}" "${name}")" '{}'
    assert_equal "${MGMT_STATUS}" 400
    run -0 error_codes
    assert_output "$(printf '%s\n' BadArgument InvalidEndpointName "${name}")"
  done
  for name in a 0-z "$(printf 'b%.0s' {1..24})"; do
    mgmt_json PUT "$(mgmt_path "${PRED}" "${name}")" '{}'
    assert_equal "${MGMT_STATUS}" 200
    mgmt DELETE "$(mgmt_path "${PRED}" "${name}")"
    assert_equal "${MGMT_STATUS}" 204
  done
}

@test "standard workspace throttling: Low is 4, High 1 to 200 (default 20), others 400" {
  local ep
  ep="$(mgmt_path "${PRED}" throttle)"
  mgmt_json PUT "${ep}" '{"ThrottleLevel":"Low","MaxConcurrentCalls":50}'
  run -0 jq -r '.ThrottleLevel, .MaxConcurrentCalls' "${MGMT_BODY}"
  assert_output $'Low\n4'
  mgmt_json PUT "${ep}" '{"ThrottleLevel":"High","MaxConcurrentCalls":200}'
  run -0 jq -r '.ThrottleLevel, .MaxConcurrentCalls' "${MGMT_BODY}"
  assert_output $'High\n200'
  mgmt_json PUT "${ep}" '{"ThrottleLevel":"High","MaxConcurrentCalls":1}'
  run -0 jq -r .MaxConcurrentCalls "${MGMT_BODY}"
  assert_output 1
  for bad in 0 201 -3 '"many"'; do
    mgmt_json PUT "${ep}" "{\"ThrottleLevel\":\"High\",\"MaxConcurrentCalls\":${bad}}"
    assert_equal "${MGMT_STATUS}" 400
    run -0 error_codes
    assert_output $'BadArgument\nInvalidMaxConcurrentCalls\nMaxConcurrentCalls'
  done
  mgmt_json PUT "${ep}" '{"ThrottleLevel":"Medium"}'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nInvalidThrottleLevel\nThrottleLevel'
  # Nothing half-written: still High, 1.
  mgmt GET "${ep}"
  run -0 jq -r '.ThrottleLevel, .MaxConcurrentCalls' "${MGMT_BODY}"
  assert_output $'High\n1'
  mgmt DELETE "${ep}"
}

@test "free workspace: Low only, MaxConcurrentCalls fixed at 4, at most 3 endpoints" {
  own_emulator '.workspaces[0].sku = "Free"'
  local ep
  ep="$(mgmt_path "${PRED}" one)"
  mgmt GET "$(mgmt_path "${PRED}" default)"
  run -0 jq -r '.ThrottleLevel, .MaxConcurrentCalls' "${MGMT_BODY}"
  assert_output $'Low\n4'
  mgmt_json PUT "${ep}" '{"ThrottleLevel":"High","MaxConcurrentCalls":20}'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nThrottleLevelNotAllowed\nThrottleLevel'
  mgmt_json PUT "${ep}" '{"ThrottleLevel":"Low","MaxConcurrentCalls":20}'
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r '.ThrottleLevel, .MaxConcurrentCalls' "${MGMT_BODY}"
  assert_output $'Low\n4'
  mgmt_json PUT "$(mgmt_path "${PRED}" two)" '{}'
  assert_equal "${MGMT_STATUS}" 200
  # default, one, two: the fourth is refused, an update is not.
  mgmt_json PUT "$(mgmt_path "${PRED}" three)" '{}'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nTooManyEndpoints\nthree'
  mgmt_json PUT "$(mgmt_path "${PRED}" two)" '{"Description":"still fine"}'
  assert_equal "${MGMT_STATUS}" 200
  mgmt GET "$(mgmt_path "${PRED}")/endpoints"
  run -0 jq -r 'map(.Name) | join(",")' "${MGMT_BODY}"
  assert_output 'default,one,two'
}

@test "PATCH: a new model for a new endpoint, 200 with an empty body; GET shows it at once" {
  local ep
  ep="$(mgmt_path "${PRED}" patched)"
  mgmt_json PUT "${ep}" '{"Description":"retrained"}'
  assert_equal "${MGMT_STATUS}" 200
  # azuremlps sends charset=us-ascii and headers of its own (§3.5, §4.2).
  mgmt PATCH "${ep}" -H 'Content-Type: application/json; charset=us-ascii' \
    -H 'x-aml-sdk: dotnetsdk_0.3.8' \
    -H "x-ms-metaanalytics-authorizationtoken: ignored" \
    --data-binary "$(patch_body output1 "${BATS_FILE_TMPDIR}/status-b.json")"
  assert_equal "${MGMT_STATUS}" 200
  assert_file_empty "${MGMT_BODY}"
  mgmt GET "${ep}"
  run -0 jq -r '.Resources[0].Name, .Resources[0].Location.RelativeLocation,
    (.Resources[0].Location.BaseLocation | endswith("/devstoreaccount1/")),
    (.Resources[0].Location.SasBlobToken | startswith("?"))' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' "${MODEL}" data/model-b.ilearner true true)"
  # The default endpoint keeps the web service's model.
  mgmt GET "$(mgmt_path "${PRED}" default)"
  run -0 jq -r '.Resources[0].Location.RelativeLocation' "${MGMT_BODY}"
  assert_output models/census-a.ilearner
  mgmt DELETE "${ep}"
}

@test "PATCH refusals: default endpoint, training service, resource name, extension, missing or unreadable blob" {
  local body st="${BATS_FILE_TMPDIR}/status-b.json" ep sas base
  body="$(patch_body output1 "${st}")"
  mgmt_json PATCH "$(mgmt_path "${PRED}" default)" "${body}"
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nDefaultEndpointNotUpdatable\ndefault'
  # An endpoint of the training service: no updatable resources (§3.5).
  mgmt_json PUT "$(mgmt_path "${TRAIN}" onwrong)" '{}'
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -c .Resources "${MGMT_BODY}"
  assert_output '[]'
  mgmt_json PATCH "$(mgmt_path "${TRAIN}" onwrong)" "${body}"
  assert_equal "${MGMT_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.message' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' NoUpdatableResources \
    'Sorry, but this feature is not supported or available in this context. This Web Service has no updatable resources. We apologize for the inconvenience and are working on improving this workflow.')"
  mgmt DELETE "$(mgmt_path "${TRAIN}" onwrong)"
  ep="$(mgmt_path "${PRED}" refusals)"
  mgmt_json PUT "${ep}" '{}'
  mgmt_json PATCH "${ep}" "$(patch_body output1 "${st}" 'Other [trained model]')"
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nResourceNotFound\nOther [trained model]'
  mgmt_json PATCH "${ep}" "$(patch_body output1 "${st}" '')"
  assert_equal "${MGMT_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.message' "${MGMT_BODY}"
  assert_output $'ResourceNotFound\nResource name is empty string'
  # output2 is the evaluation CSV, not a trained model.
  mgmt_json PATCH "${ep}" "$(patch_body output2 "${st}")"
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output "$(printf '%s\n' BadArgument InvalidBlobExtension "${MODEL}")"
  # A SAS that is valid but for a blob that does not exist.
  sas="$(amlretrain blob sas -c data -n gone.ilearner | jq -r .url)"
  base="${sas%%/data/gone.ilearner*}/"
  jq -n --arg n "${MODEL}" --arg b "${base}" --arg s "?${sas#*\?}" \
    '{Resources: [{Name: $n, Location: {BaseLocation: $b,
      RelativeLocation: "data/gone.ilearner", SasBlobToken: $s}}]}' \
    >"${BATS_TEST_TMPDIR}/gone.json"
  mgmt PATCH "${ep}" -H 'Content-Type: application/json' \
    --data-binary "@${BATS_TEST_TMPDIR}/gone.json"
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output "$(printf '%s\n' BadArgument BlobNotFound "${MODEL}")"
  # The job's own SAS with its signature changed: the blob is unreadable.
  jq '.Resources[0].Location.SasBlobToken |= sub("sig=[^&]*"; "sig=AAAA")' \
    <<<"${body}" >"${BATS_TEST_TMPDIR}/badsig.json"
  mgmt PATCH "${ep}" -H 'Content-Type: application/json' \
    --data-binary "@${BATS_TEST_TMPDIR}/badsig.json"
  assert_equal "${MGMT_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.message' "${MGMT_BODY}"
  assert_line --index 0 InvalidBlob
  assert_line --index 1 --partial "signature does not match"
  # Not JSON, Resources not an array.
  mgmt_json PATCH "${ep}" '{"Resources":'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nRequestBodyInvalid\n-'
  mgmt_json PATCH "${ep}" '{"Resources":{}}'
  assert_equal "${MGMT_STATUS}" 400
  # After all that, the endpoint still has the web service's model.
  mgmt GET "${ep}"
  run -0 jq -r '.Resources[0].Location.RelativeLocation' "${MGMT_BODY}"
  assert_output models/census-a.ilearner
  mgmt DELETE "${ep}"
}

@test "PATCH settings: Description and DiagnosticsTraceLevel; bad values refused whole" {
  local ep
  ep="$(mgmt_path "${PRED}" settings)"
  mgmt_json PUT "${ep}" '{}'
  mgmt_json PATCH "${ep}" '{"Description":"patched","DiagnosticsTraceLevel":"All"}'
  assert_equal "${MGMT_STATUS}" 200
  mgmt GET "${ep}"
  run -0 jq -r '.Description, .DiagnosticsTraceLevel' "${MGMT_BODY}"
  assert_output $'patched\nAll'
  mgmt_json PATCH "${ep}" '{"Description":"not kept","DiagnosticsTraceLevel":"Verbose"}'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nInvalidDiagnosticsTraceLevel\nDiagnosticsTraceLevel'
  mgmt GET "${ep}"
  run -0 jq -r '.Description, .DiagnosticsTraceLevel' "${MGMT_BODY}"
  assert_output $'patched\nAll'
  # The default endpoint's settings may change, not its resources.
  mgmt_json PATCH "$(mgmt_path "${PRED}" default)" '{"DiagnosticsTraceLevel":"Error"}'
  assert_equal "${MGMT_STATUS}" 200
  mgmt_json PATCH "$(mgmt_path "${PRED}" default)" '{"DiagnosticsTraceLevel":"None"}'
  mgmt DELETE "${ep}"
}

@test "refresh: 304 when nothing changed; OverwriteResources brings the default's model back; default refused" {
  local ep
  ep="$(mgmt_path "${PRED}" fresh)"
  mgmt_json PUT "${ep}" '{}'
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": false}'
  assert_equal "${MGMT_STATUS}" 304
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": "True"}'
  assert_equal "${MGMT_STATUS}" 304
  mgmt_json PATCH "${ep}" "$(patch_body output1 "${BATS_FILE_TMPDIR}/status-b.json")"
  assert_equal "${MGMT_STATUS}" 200
  # Without overwriting, the patched model stays: nothing to do.
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": false}'
  assert_equal "${MGMT_STATUS}" 304
  mgmt GET "${ep}"
  run -0 jq -r '.Resources[0].Location.RelativeLocation' "${MGMT_BODY}"
  assert_output data/model-b.ilearner
  # azuremlps sends the string "True" (§3.6).
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": "True"}'
  assert_equal "${MGMT_STATUS}" 200
  mgmt GET "${ep}"
  run -0 jq -r '.Resources[0].Location.RelativeLocation' "${MGMT_BODY}"
  assert_output models/census-a.ilearner
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": true}'
  assert_equal "${MGMT_STATUS}" 304
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": "maybe"}'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nBadParameterValue\nOverwriteResources'
  mgmt_json POST "$(mgmt_path "${PRED}" default)/refresh" '{"OverwriteResources": true}'
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nDefaultEndpointNotRefreshable\ndefault'
  mgmt DELETE "${ep}"
}

@test "refresh applies a republished graph; delete: default refused while others exist; 204 lists" {
  local ep
  # The definition in its own file, so that it can change between starts.
  cp -- "${AMLR_ROOT}/manifests/definitions/census-predictive.json" \
    "${BATS_TEST_TMPDIR}/pred.json"
  emu_seed '.workspaces[0].webServices[1].definition = $f' \
    --arg f "${BATS_TEST_TMPDIR}/pred.json" >"${BATS_TEST_TMPDIR}/seed.json"
  emu_start --seed "${BATS_TEST_TMPDIR}/seed.json"
  ep="$(mgmt_path "${PRED}" old-graph)"
  mgmt_json PUT "${ep}" '{}'
  assert_equal "${MGMT_STATUS}" 200
  mgmt_json POST "${ep}/refresh" '{}'
  assert_equal "${MGMT_STATUS}" 304
  # Republish: the next start reads the changed definition (§3.3 Version).
  emu_stop
  jq '.properties.package.nodes.node2.parameters["Append score columns to output"].value = "False"' \
    "${AMLR_ROOT}/manifests/definitions/census-predictive.json" \
    >"${BATS_TEST_TMPDIR}/pred.json"
  emu_start --seed "${BATS_TEST_TMPDIR}/seed.json"
  MGMT_AUTH=""
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": false}'
  assert_equal "${MGMT_STATUS}" 200
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": false}'
  assert_equal "${MGMT_STATUS}" 304
  # The default cannot go while old-graph exists; then it can.
  mgmt DELETE "$(mgmt_path "${PRED}" default)"
  assert_equal "${MGMT_STATUS}" 400
  run -0 error_codes
  assert_output $'BadArgument\nDefaultEndpointNotDeletable\ndefault'
  mgmt DELETE "${ep}"
  assert_equal "${MGMT_STATUS}" 204
  mgmt GET "${ep}"
  assert_equal "${MGMT_STATUS}" 404
  mgmt DELETE "$(mgmt_path "${PRED}" default)"
  assert_equal "${MGMT_STATUS}" 204
  # No endpoints: 204 and no body (§3.1); the web service stays.
  mgmt GET "$(mgmt_path "${PRED}")/endpoints"
  assert_equal "${MGMT_STATUS}" 204
  assert_file_empty "${MGMT_BODY}"
  mgmt GET "$(mgmt_path "${PRED}")"
  run -0 jq -c '[.EndpointCount, .DefaultEndpointName]' "${MGMT_BODY}"
  assert_output '[0,null]'
}

@test "a workspace without web services lists 204 and no body" {
  own_emulator '.workspaces += [{id: "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
    name: "empty", location: "West Europe", sku: "Free",
    authorizationToken: "empty-workspace-token-NotForProduction"}]'
  MGMT_AUTH="$(key_file empty-workspace-token-NotForProduction empty)"
  mgmt GET /workspaces/0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f/webservices
  assert_equal "${MGMT_STATUS}" 204
  assert_file_empty "${MGMT_BODY}"
  # Its token is no key to the other workspace.
  mgmt GET "$(mgmt_path)"
  assert_equal "${MGMT_STATUS}" 401
}

@test "keys: the workspace token everywhere; an endpoint's own key for its GET, PATCH, refresh only" {
  local ep other epkey
  ep="$(mgmt_path "${PRED}" keyed)"
  other="$(mgmt_path "${PRED}" other)"
  mgmt_json PUT "${ep}" '{}'
  epkey="$(key_file "$(jq -r .SecondaryKey "${MGMT_BODY}")" endpoint)"
  mgmt_json PUT "${other}" '{}'
  MGMT_AUTH="${epkey}"
  mgmt GET "${ep}"
  assert_equal "${MGMT_STATUS}" 200
  mgmt_json PATCH "${ep}" "$(patch_body output1 "${BATS_FILE_TMPDIR}/status-b.json")"
  assert_equal "${MGMT_STATUS}" 200
  mgmt_json POST "${ep}/refresh" '{"OverwriteResources": true}'
  assert_equal "${MGMT_STATUS}" 200
  # Not another endpoint, not the lists, not add or delete.
  for req in "GET ${other}" "GET $(mgmt_path)" "GET $(mgmt_path "${PRED}")/endpoints" \
    "DELETE ${ep}" "PUT ${ep}"; do
    # shellcheck disable=SC2086 # METHOD PATH
    mgmt ${req} -H 'Content-Type: application/json' --data-binary '{}'
    assert_equal "${MGMT_STATUS}" 401
    run -0 error_codes
    assert_output $'Unauthorized\nManagementRequestUnauthorized\n-'
  done
  for key in nope "" "${AMLR_WORKSPACE_TOKEN}x"; do
    MGMT_AUTH="$(key_file "${key}" wrong)"
    mgmt GET "$(mgmt_path "${PRED}" default)"
    assert_equal "${MGMT_STATUS}" 401
  done
  MGMT_AUTH=""
  mgmt DELETE "${ep}"
  assert_equal "${MGMT_STATUS}" 204
  mgmt DELETE "${other}"
}

@test "endpoints, keys and patched models survive a restart with the same state" {
  local before
  emu_start
  MGMT_AUTH=""
  mgmt_json PUT "$(mgmt_path "${PRED}" kept)" '{"ThrottleLevel":"High","MaxConcurrentCalls":7}'
  assert_equal "${MGMT_STATUS}" 200
  before="$(jq -c '{PrimaryKey, SecondaryKey, ApiLocation, MaxConcurrentCalls}' "${MGMT_BODY}")"
  run -0 stat -c %a "${BATS_TEST_TMPDIR}/emu-state/classic/${PRED}.json"
  assert_output 600
  emu_stop
  emu_start
  mgmt GET "$(mgmt_path "${PRED}" kept)"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -c '{PrimaryKey, SecondaryKey, ApiLocation, MaxConcurrentCalls}
    | .ApiLocation |= sub("^http://[^/]*"; "")' "${MGMT_BODY}"
  assert_output "$(jq -c '.ApiLocation |= sub("^http://[^/]*"; "")' <<<"${before}")"
}

@test "seed: classic workspaces and web services are checked, naming the JSON path" {
  local f="${BATS_TEST_TMPDIR}/bad.json"
  bad() {
    emu_seed "$1" >"${f}"
    run -"$2" --separate-stderr amlretrain-emulator --listen 127.0.0.1:0 \
      --seed "${f}" 3>&-
    assert_output ''
    assert_equal "${#stderr_lines[@]}" 1
    assert_equal "${stderr}" "amlretrain-emulator: $3"
  }
  bad '.workspaces[0].id = "ABC"' 2 \
    "seed '${f}': \$.workspaces[0]: 'id' must be 32 lower-case hex digits"
  bad '.workspaces[0].sku = "Premium"' 2 \
    "seed '${f}': \$.workspaces[0]: 'sku' must be Free or Standard"
  bad '.workspaces[0].webServices[1].role = "scoring"' 2 \
    "seed '${f}': \$.workspaces[0].webServices[1]: 'role' must be training or predictive"
  bad '.webServices[0].resourceGroup = "nowhere"' 2 \
    "seed '${f}': \$.webServices[0]: resource group 'nowhere' is not in its subscription"
  bad '.models[0].storageAccount = "nostore"' 2 \
    "seed '${f}': \$.models[0]: storage account 'nostore' is not in \$.storageAccounts"
  bad '.workspaces[0].webServices[0].definition = "/nonexistent/d.json"' 9 \
    "seed: cannot read '/nonexistent/d.json'"
}
