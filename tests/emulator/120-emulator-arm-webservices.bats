#!/usr/bin/env bats
# The emulator's Resource Manager Microsoft.MachineLearning/webServices:
# every route of the 2017-01-01 and 2016-05-01-preview specs, success and
# errors, headers and body shapes, against ../shared/reference/
# (arm-machinelearning/ specs and examples, notes/arm-webservices.md,
# recorded-sessions/).
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

GUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
API=2017-01-01
PREVIEW=2016-05-01-preview

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  emu_start --provisioning-delay 300
  arm_token
  EXAMPLES="${AMLR_REFERENCE}/arm-machinelearning/stable/2017-01-01/examples"
  export EXAMPLES
}

teardown_file() {
  emu_stop # exit status 0: no sanitizer report, no leak
  assert_file_empty "${EMU_STDERR}"
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
}

# The spec example's PUT body (putWebService.json), with changes $1 (jq).
example_body() {
  jq "${1:-.}" <<<"$(jq '.parameters.createOrUpdatePayload' \
    "${EXAMPLES}/putWebService.json")" >"${BATS_TEST_TMPDIR}/body.json"
}

# Create web service $1 from the spec example (changes $2) and wait for
# its operation to end.
create() {
  example_body "${2:-.}"
  arm_json PUT "$(arm_ws_path "$1")?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  [[ "${ARM_STATUS}" == 201 || "${ARM_STATUS}" == 200 ]] || {
    echo "create $1: ${ARM_STATUS} $(cat "${ARM_BODY}")" >&2
    return 1
  }
  arm_wait "$(arm_header Azure-AsyncOperation)" >/dev/null
}

# Assert the last answer is ARM's envelope with code $1 (and detail $2).
assert_arm_error() {
  run -0 jq -r '.error.code' "${ARM_BODY}"
  assert_output "$1"
  run -0 jq -r '.error.message | length > 0' "${ARM_BODY}"
  assert_output true
  if [[ -n "${2:-}" ]]; then
    run -0 jq -r '[.error.details[].code] | join(",")' "${ARM_BODY}"
    assert_output "$2"
  fi
}

@test "PUT creates: 201, Azure-AsyncOperation on the emulator, the recorded sparse body" {
  example_body
  arm_json PUT "$(arm_ws_path put-new)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  assert_regex "$(arm_header x-ms-request-id)" "^${GUID_RE}\$"
  assert_regex "$(arm_header Azure-AsyncOperation)" \
    "^${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/locations/westus/operationsStatus/${GUID_RE}\\?api-version=${API}\$"
  assert_equal "$(arm_header Azure-AsyncOperationPercentComplete)" 0
  assert_equal "$(arm_header Content-Type)" 'application/json; charset=utf-8'
  # As recorded (TestCreateGetRemoveWebService entry 7): a sparse body.
  # The spec's example shows the whole definition; the real service did
  # not, and a client must GET after the operation anyway.
  run -0 jq -c '[keys, (.properties | keys)]' "${ARM_BODY}"
  assert_output '[["id","location","name","properties","tags","type"],["payloadsInBlobStorage","provisioningState"]]'
  run -0 jq -r '[.id, .name, .type, .location, .properties.provisioningState, (.tags | tojson)] | join(" ")' "${ARM_BODY}"
  assert_output "$(arm_ws_path put-new) put-new Microsoft.MachineLearning/webServices West US Provisioning {\"tag1\":\"value1\",\"tag2\":\"value2\"}"
}

@test "PUT over an existing service replaces it: 200, createdOn kept, modifiedOn moves" {
  create put-again
  arm GET "$(arm_ws_path put-again)?api-version=${API}"
  local created modified
  created="$(jq -r .properties.createdOn "${ARM_BODY}")"
  modified="$(jq -r .properties.modifiedOn "${ARM_BODY}")"
  sleep 0.01
  example_body '.properties.title = "Replaced" | .location = "westus"'
  arm_json PUT "$(arm_ws_path put-again)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 200
  assert [ -n "$(arm_header Azure-AsyncOperation)" ]
  arm_wait "$(arm_header Azure-AsyncOperation)" >/dev/null
  arm GET "$(arm_ws_path put-again)?api-version=${API}"
  run -0 jq -r '[.properties.title, .properties.createdOn, .location] | join("|")' "${ARM_BODY}"
  assert_output "Replaced|${created}|West US"
  assert [ "$(jq -r .properties.modifiedOn "${ARM_BODY}")" != "${modified}" ]
}

@test "GET: the spec example's fields, without keys, storage key or commitment plan" {
  create get-one
  arm GET "$(arm_ws_path get-one)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  assert_equal "$(arm_header Azure-AsyncOperation)" ''
  # getWebService.json shows id, location, tags and properties; ARM adds
  # name and type (notes §4; every recorded GET has them).
  run -0 jq -c --slurpfile ex "${EXAMPLES}/getWebService.json" \
    '(keys - ($ex[0].responses."200".body | keys))' "${ARM_BODY}"
  assert_output '["name","type"]'
  # Property names: the example's, less commitmentPlan, which the spec
  # says GET does not return and no recorded GET returns.
  run -0 jq -c --slurpfile ex "${EXAMPLES}/getWebService.json" \
    '[(.properties | keys), ($ex[0].responses."200".body.properties | keys - ["commitmentPlan"])] | .[0] == .[1]' "${ARM_BODY}"
  assert_output true
  run -0 jq -c '[.properties.storageAccount, .properties.keys, .properties.provisioningState, .properties.package.nodes.node2.parameters."Account Key"]' "${ARM_BODY}"
  assert_output '[{"name":"Storage_Name"},null,"Succeeded",{"value":"Encrypted Key","certificateThumbprint":"TheThumbprint"}]'
  run -0 jq -r .properties.swaggerLocation "${ARM_BODY}"
  assert_regex "${output}" "^${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID//-/}/services/[0-9a-f]{32}/swagger.json\$"
  # Everything else comes back as it was sent.
  run -0 jq -c --slurpfile put "${BATS_TEST_TMPDIR}/body.json" \
    '[.properties | del(.createdOn, .modifiedOn, .provisioningState, .swaggerLocation, .storageAccount)] == [$put[0].properties | del(.keys, .commitmentPlan, .storageAccount)]' "${ARM_BODY}"
  assert_output true
}

@test "GET with the preview api-version renders parameters as plain strings" {
  create get-preview '.properties.parameters = {"Global": {"value": "g1"}}'
  arm GET "$(arm_ws_path get-preview)?api-version=${PREVIEW}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -c '[.properties.package.nodes.node2.parameters."Account Key", .properties.parameters, has("payloadsInBlobStorage"), (.properties | has("payloadsInBlobStorage"))]' "${ARM_BODY}"
  assert_output '["Encrypted Key",{"Global":"g1"},false,false]'
}

@test "PUT with the preview api-version takes string parameters and stores them as objects" {
  example_body '.properties.parameters = {"P": "v"}
    | .properties.package.nodes |= map_values(
        if .parameters then .parameters |= map_values(.value) else . end)
    | .properties.package.nodes.node1.parameters = {"R Script": "x <- 1"}'
  arm_json PUT "$(arm_ws_path put-preview)?api-version=${PREVIEW}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 201
  assert_regex "$(arm_header Azure-AsyncOperation)" "api-version=${PREVIEW}\$"
  # The preview's answer has no payloadsInBlobStorage (not in that spec).
  run -0 jq -c '.properties' "${ARM_BODY}"
  assert_output '{"provisioningState":"Provisioning"}'
  arm GET "$(arm_ws_path put-preview)?api-version=${API}"
  run -0 jq -c '[.properties.parameters, .properties.package.nodes.node1.parameters]' "${ARM_BODY}"
  assert_output '[{"P":{"value":"v"}},{"R Script":{"value":"x <- 1"}}]'
}

@test "PUT refuses each api-version's wrong parameter shape: 400" {
  example_body '.properties.parameters = {"P": "v"}'
  arm_json PUT "$(arm_ws_path bad-params)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest InvalidPropertyValue
  example_body
  arm_json PUT "$(arm_ws_path bad-params)?api-version=${PREVIEW}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest InvalidPropertyValue
  arm GET "$(arm_ws_path bad-params)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
}

@test "listKeys is a GET: the keys given, or generated ones; POST gets 405" {
  create keys-given '.properties.keys = {"primary": "The Primary key", "secondary": "The Secondary key"}'
  arm GET "$(arm_ws_path keys-given)/listKeys?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -c --slurpfile ex "${EXAMPLES}/getWebServiceKeys.json" \
    '. == $ex[0].responses."200".body' "${ARM_BODY}"
  assert_output true
  create keys-made
  arm GET "$(arm_ws_path keys-made)/listKeys?api-version=${API}"
  run -0 jq -r '[.primary, .secondary] | map(test("^[A-Za-z0-9+/]{86}==$")) | all' "${ARM_BODY}"
  assert_output true
  arm POST "$(arm_ws_path keys-made)/listKeys?api-version=${API}"
  assert_equal "${ARM_STATUS}" 405
  assert_arm_error MethodNotAllowed
  assert_equal "$(arm_header Allow)" GET
  arm POST "$(arm_ws_path keys-made)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 405
  assert_equal "$(arm_header Allow)" 'DELETE, GET, PATCH, PUT'
}

@test "no answer ever carries keys, the storage key or the commitment plan" {
  create secrets '.properties.keys = {"primary": "PRIMARY-SECRET-1", "secondary": "SECONDARY-SECRET-2"} | .properties.storageAccount.key = "STORAGE-KEY-3"'
  local answers="${BATS_TEST_TMPDIR}/answers"
  arm GET "$(arm_ws_path secrets)?api-version=${API}"
  cat "${ARM_BODY}" >"${answers}"
  arm GET "$(arm_ws_path secrets)?api-version=${PREVIEW}"
  cat "${ARM_BODY}" >>"${answers}"
  arm GET "$(arm_rg_path)/webServices?api-version=${API}"
  cat "${ARM_BODY}" >>"${answers}"
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  cat "${ARM_BODY}" >>"${answers}"
  example_body '.properties = {"packageType": "Graph", "title": "t2"}'
  arm_json PATCH "$(arm_ws_path secrets)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  cat "${ARM_BODY}" >>"${answers}"
  run grep -c -e PRIMARY-SECRET -e SECONDARY-SECRET -e STORAGE-KEY \
    -e commitmentPlan "${answers}"
  assert_output 0
  # ... but the state keeps them, privately.
  run -0 bash -c "find '${BATS_FILE_TMPDIR}/emu-state/arm' -type f -name '*.json' -printf '%m\n' | sort -u"
  assert_output 600
}

@test "PATCH merges: 200 with the recorded sparse body, the rest of the service kept" {
  create patch-me
  jq '.parameters.patchPayload' "${EXAMPLES}/patchWebService.json" \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path patch-me)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 200
  assert [ -n "$(arm_header Azure-AsyncOperation)" ]
  run -0 jq -c '[keys, .properties]' "${ARM_BODY}"
  assert_output '[["id","location","name","properties","tags","type"],{"provisioningState":"Provisioning"}]'
  arm_wait "$(arm_header Azure-AsyncOperation)" >/dev/null
  arm GET "$(arm_ws_path patch-me)?api-version=${API}"
  run -0 jq -c '[.properties.title, .properties.description, (.properties.assets | keys), .properties.provisioningState, .tags.tag1]' "${ARM_BODY}"
  assert_output '["New Web Service Title","New Web Service Description",["asset1","asset2"],"Succeeded","value1"]'
}

@test "PATCH of keys replaces only the key given (TestUpdateWebService)" {
  create patch-keys '.properties.keys = {"primary": "p1", "secondary": "s1"}'
  printf '%s' '{"properties":{"packageType":"Graph","keys":{"primary":"highly secure key"},"readOnly":false,"realtimeConfiguration":{"maxConcurrentCalls":30}}}' \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path patch-keys)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 200
  arm GET "$(arm_ws_path patch-keys)/listKeys?api-version=${API}"
  run -0 jq -c . "${ARM_BODY}"
  assert_output '{"primary":"highly secure key","secondary":"s1"}'
  arm GET "$(arm_ws_path patch-keys)?api-version=${API}"
  run -0 jq -c '[.properties.realtimeConfiguration, .properties.readOnly]' "${ARM_BODY}"
  assert_output '[{"maxConcurrentCalls":30},false]'
}

@test "PATCH with an empty parameters map clears them (TestUpdateWebService's GET after it)" {
  create patch-params '.properties.parameters = {"G": {"value": "1"}}'
  printf '%s' '{"properties":{"packageType":"Graph","parameters":{}}}' \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path patch-params)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 200
  arm GET "$(arm_ws_path patch-params)?api-version=${API}"
  run -0 jq '.properties | has("parameters")' "${ARM_BODY}"
  assert_output false
}

@test "PATCH may rotate the storage key but not change the account: 400 CannotChangeStorageAccount" {
  create patch-storage
  printf '%s' '{"properties":{"packageType":"Graph","storageAccount":{"key":"rotated"}}}' \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path patch-storage)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 200
  printf '%s' '{"properties":{"packageType":"Graph","storageAccount":{"name":"other","key":"k"}}}' \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path patch-storage)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 400
  # The shape of Azure/azure-powershell#3465's error.
  assert_arm_error BadRequest CannotChangeStorageAccount
  assert_equal "$(jq -r .error.message "${ARM_BODY}")" 'The request is invalid.'
  arm GET "$(arm_ws_path patch-storage)?api-version=${API}"
  run -0 jq -r .properties.storageAccount.name "${ARM_BODY}"
  assert_output Storage_Name
}

@test "the commitment plan is immutable: a different one is 409, the same one is fine" {
  create patch-plan
  printf '%s' '{"properties":{"packageType":"Graph","commitmentPlan":{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearning/commitmentPlans/other"}}}' \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path patch-plan)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 409
  assert_arm_error Conflict CannotChangeCommitmentPlan
  example_body '.properties = {"packageType": "Graph", "commitmentPlan": .properties.commitmentPlan}'
  arm_json PATCH "$(arm_ws_path patch-plan)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 200
}

@test "a read-only service refuses PATCH and PUT with 409, and can still be deleted" {
  create read-only '.properties.readOnly = true'
  printf '%s' '{"properties":{"packageType":"Graph","title":"no"}}' \
    >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path read-only)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 409
  assert_arm_error Conflict WebServiceIsReadOnly
  example_body
  arm_json PUT "$(arm_ws_path read-only)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 409
  assert_arm_error Conflict WebServiceIsReadOnly
  arm DELETE "$(arm_ws_path read-only)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 202
}

@test "DELETE: 202 with Azure-AsyncOperation and Location, then 404 WebServiceNotFound; again: 204" {
  create delete-me
  arm DELETE "$(arm_ws_path delete-me)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 202
  assert_equal "$(stat -c %s "${ARM_BODY}")" 0
  assert_regex "$(arm_header Azure-AsyncOperation)" "/locations/westus/operationsStatus/${GUID_RE}\\?api-version=${API}\$"
  assert_regex "$(arm_header Location)" "^${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/locations/westus/operationresults/${GUID_RE}\\?api-version=${API}\$"
  run -0 arm_wait "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -r .status <<<"${output}")" Succeeded
  arm GET "$(arm_ws_path delete-me)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  # The recorded 404 (TestCreateGetRemoveWebService entry 11), exactly.
  run -0 jq -c . "${ARM_BODY}"
  assert_output '{"error":{"code":"NotFound","message":"The specified resource was not found.","details":[{"code":"WebServiceNotFound","message":"No Web Service could be found with the provided name: delete-me."}]}}'
  arm DELETE "$(arm_ws_path delete-me)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 204
  assert_equal "$(stat -c %s "${ARM_BODY}")" 0
}

@test "GET, PATCH and listKeys of a missing service: 404 WebServiceNotFound" {
  arm GET "$(arm_ws_path nowhere)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error NotFound WebServiceNotFound
  printf '%s' '{"properties":{"packageType":"Graph"}}' >"${BATS_TEST_TMPDIR}/p.json"
  arm_json PATCH "$(arm_ws_path nowhere)?api-version=${API}" \
    "${BATS_TEST_TMPDIR}/p.json"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error NotFound WebServiceNotFound
  arm GET "$(arm_ws_path nowhere)/listKeys?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error NotFound WebServiceNotFound
  arm POST "$(arm_ws_path nowhere)/CreateRegionalBlob?region=westus&api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error NotFound WebServiceNotFound
}

@test "regional payloads: 404 PerRegionPayloadNotFound until CreateRegionalBlob (202) has succeeded" {
  create regional
  arm GET "$(arm_ws_path regional)?region=westcentralus&api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error NotFound PerRegionPayloadNotFound
  # The service's own region always has its payload.
  arm GET "$(arm_ws_path regional)?region=West%20US&api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  arm POST "$(arm_ws_path regional)/CreateRegionalBlob?api-version=${API}"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest MissingRequiredParameter
  arm POST "$(arm_ws_path regional)/CreateRegionalBlob?region=westcentralus&api-version=${API}"
  assert_equal "${ARM_STATUS}" 202
  # As recorded (TestCreateAndGetRegionalProperties entry 13): a body
  # whose id is the name, no tags.
  run -0 jq -c '[keys, .id, .properties]' "${ARM_BODY}"
  assert_output '[["id","location","name","properties","type"],"regional",{"payloadsInBlobStorage":false,"provisioningState":"Provisioning"}]'
  run -0 arm_wait "$(arm_header Azure-AsyncOperation)"
  assert_equal "$(jq -r .status <<<"${output}")" Succeeded
  arm GET "$(arm_ws_path regional)?region=westcentralus&api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -r '.properties.provisioningState' "${ARM_BODY}"
  assert_output Succeeded
}

@test "CreateRegionalBlob and the operations list do not exist in the preview: 400" {
  create regional-preview
  arm POST "$(arm_ws_path regional-preview)/CreateRegionalBlob?region=westus2&api-version=${PREVIEW}"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidApiVersionParameter
  arm GET "/providers/Microsoft.MachineLearning/operations?api-version=${PREVIEW}"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidApiVersionParameter
}

@test "lists by resource group and by subscription: sparse items as recorded, no nextLink on the last page" {
  create list-a
  create list-b '.tags = null'
  arm GET "$(arm_rg_path)/webServices?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -c 'keys' "${ARM_BODY}"
  assert_output '["value"]'
  # The recorded list items' property names (TestListWebServices), which
  # are the spec example's (getWebServicesByResourceGroup.json) less
  # commitmentPlan plus machineLearningWorkspace.
  run -0 jq -c '[.value[] | select(.name == "list-a") | (keys, (.properties | keys))]' "${ARM_BODY}"
  assert_output '[["id","location","name","properties","tags","type"],["createdOn","description","diagnostics","exposeSampleData","machineLearningWorkspace","modifiedOn","packageType","payloadsInBlobStorage","provisioningState","readOnly","realtimeConfiguration","storageAccount","swaggerLocation","title"]]'
  run -0 jq -c --slurpfile ex "${EXAMPLES}/getWebServicesByResourceGroup.json" \
    '[.value[] | select(.name == "list-a") | .properties | keys] == [$ex[0].responses."200".body.value[0].properties | keys - ["commitmentPlan"] + ["machineLearningWorkspace"] | sort]' "${ARM_BODY}"
  assert_output true
  run -0 jq -c '[.value[] | select(.name == "list-b") | has("tags")]' "${ARM_BODY}"
  assert_output '[false]'
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -r '[.value[].name | select(. == "list-a" or . == "list-b")] | join(",")' "${ARM_BODY}"
  assert_output 'list-a,list-b'
}

@test "the operations list: one page of the provider's operations" {
  arm GET "/providers/Microsoft.MachineLearning/operations?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -r '[.value[] | (.name | startswith("Microsoft.MachineLearning/")) and (.display | keys == ["description","operation","provider","resource"])] | length > 0 and all' "${ARM_BODY}"
  assert_output true
  run -0 jq -r 'keys | join(",")' "${ARM_BODY}"
  assert_output value
}

@test "api-version: missing is 400 MissingApiVersionParameter, unknown is 400 InvalidApiVersionParameter listing both" {
  arm GET "$(arm_ws_path any)"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error MissingApiVersionParameter
  arm GET "$(arm_ws_path any)?api-version=2099-01-01"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidApiVersionParameter
  run -0 jq -r .error.message "${ARM_BODY}"
  assert_output "The api-version '2099-01-01' is invalid. The supported versions are '2017-01-01,2016-05-01-preview'."
}

@test "provider, type and action segments match whatever their case, and so do names" {
  create Case-Name
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourcegroups/${AMLR_RESOURCE_GROUP}/providers/microsoft.machinelearning/WEBSERVICES/case-name?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  run -0 jq -r .name "${ARM_BODY}"
  assert_output Case-Name
  arm GET "$(arm_ws_path CASE-NAME)/LISTKEYS?api-version=${API}"
  assert_equal "${ARM_STATUS}" 200
  arm POST "$(arm_ws_path case-name)/createregionalblob?region=eastus&api-version=${API}"
  assert_equal "${ARM_STATUS}" 202
}

@test "bad bodies get ARM's 400, never a crash, and create nothing" {
  local name=bad-body
  printf '%s' '{"location": "West US", "properties": ' >"${BATS_TEST_TMPDIR}/b.json"
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/b.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidRequestContent
  printf '%s' '[1, 2]' >"${BATS_TEST_TMPDIR}/b.json"
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/b.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidRequestContent
  arm PUT "$(arm_ws_path ${name})?api-version=${API}"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidRequestContent
  example_body 'del(.location)'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error LocationRequired
  example_body '.location = "Atlantis"'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error LocationNotAvailableForResourceType
  example_body 'del(.properties)'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest MissingRequiredProperty
  example_body '.properties.packageType = "Code"'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest InvalidPackageType
  example_body '.properties.realtimeConfiguration.maxConcurrentCalls = 201'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest InvalidPropertyValue
  example_body '.tags = "x"'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error InvalidRequestContent
  example_body '.properties.assets.asset1 = {"name": "no location"}'
  arm_json PUT "$(arm_ws_path ${name})?api-version=${API}" "${BATS_TEST_TMPDIR}/body.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest MissingRequiredProperty
  arm GET "$(arm_ws_path ${name})?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  # The emulator is still serving.
  arm GET "/health"
  assert_equal "${ARM_STATUS}" 200
}

@test "a PATCH body must say packageType when it has properties: 400" {
  create patch-bad
  printf '%s' '{"properties":{"title":"x"}}' >"${BATS_TEST_TMPDIR}/p.json"
  arm_json PATCH "$(arm_ws_path patch-bad)?api-version=${API}" "${BATS_TEST_TMPDIR}/p.json"
  assert_equal "${ARM_STATUS}" 400
  assert_arm_error BadRequest MissingRequiredProperty
  printf '%s' '{"tags":{"only":"tags"}}' >"${BATS_TEST_TMPDIR}/p.json"
  arm_json PATCH "$(arm_ws_path patch-bad)?api-version=${API}" "${BATS_TEST_TMPDIR}/p.json"
  assert_equal "${ARM_STATUS}" 200
  arm GET "$(arm_ws_path patch-bad)?api-version=${API}"
  run -0 jq -c .tags "${ARM_BODY}"
  assert_output '{"only":"tags"}'
}

@test "a resource group the subscription lacks: 404 ResourceGroupNotFound" {
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/no-such-group/providers/Microsoft.MachineLearning/webServices/x?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error ResourceGroupNotFound
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/no-such-group/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error ResourceGroupNotFound
}

@test "every request passes Resource Manager's token check first" {
  local keep="${ARM_TOKEN}"
  ARM_TOKEN=not-a-token
  arm GET "$(arm_ws_path any)?api-version=${API}"
  assert_equal "${ARM_STATUS}" 401
  assert_arm_error InvalidAuthenticationToken
  arm GET "/providers/Microsoft.MachineLearning/operations?api-version=${API}"
  assert_equal "${ARM_STATUS}" 401
  ARM_TOKEN="${keep}"
}

@test "x-ms-request-id on every answer; x-ms-client-request-id echoed only when asked" {
  arm GET "$(arm_ws_path any)?api-version=${API}" \
    -H 'x-ms-client-request-id: 7d9f6a4c-1111-4222-8333-944455556666'
  assert_regex "$(arm_header x-ms-request-id)" "^${GUID_RE}\$"
  assert_equal "$(arm_header x-ms-client-request-id)" ''
  arm GET "$(arm_ws_path any)?api-version=${API}" \
    -H 'x-ms-client-request-id: 7d9f6a4c-1111-4222-8333-944455556666' \
    -H 'x-ms-return-client-request-id: true'
  assert_equal "$(arm_header x-ms-client-request-id)" \
    7d9f6a4c-1111-4222-8333-944455556666
  arm GET "/providers/Microsoft.MachineLearning/operations?api-version=${API}" \
    -H 'x-ms-client-request-id: abc' -H 'x-ms-return-client-request-id: true'
  assert_equal "$(arm_header x-ms-client-request-id)" abc
  assert_regex "$(arm_header x-ms-request-id)" "^${GUID_RE}\$"
}

@test "operation status and result of an unknown operation: 404" {
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/locations/westus/operationsStatus/00000000-0000-4000-8000-000000000000?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
  assert_arm_error NotFound OperationNotFound
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/locations/westus/operationresults/00000000-0000-4000-8000-000000000000?api-version=${API}"
  assert_equal "${ARM_STATUS}" 404
}
