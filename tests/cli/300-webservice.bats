#!/usr/bin/env bats
# amlretrain webservice against the emulator: the documented "new web
# service" retraining path (notes/azure-powershell-ml.md §11), verb by verb.
# shellcheck disable=SC2154 # stderr, stderr_lines: set by bats' run

bats_require_minimum_version 1.5.0

FIXTURE="${BATS_TEST_DIRNAME}/../fixtures/definitions/retrain-sample.json"

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 100
  export EMU_ENV_FILE
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop
}

setup() {
  load '../test_helper/common'
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export AMLR_STORAGE_ACCOUNT_KEY='c3RvcmFnZS1rZXk='
}

# A fresh web service from the fixture, named after the test.
new_ws() {
  local name="$1"
  run -0 --separate-stderr amlretrain webservice new -n "${name}" \
    --file "${FIXTURE}" -l 'West US'
}

# Add a fault to the emulator (its admin API; the client never uses it).
fault() {
  curl -fsS -X POST -H 'Content-Type: application/json' \
    --data "$1" "${AMLR_EMULATOR_URL}/_emulator/faults" >/dev/null
}

clear_faults() {
  curl -fsS -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults" >/dev/null
}

# An .ilearner in the emulator's blob storage; prints the path of a file
# holding its URL with a read SAS valid for $2 (default 24h).
model_blob() {
  local name="$1" expiry="${2:-24h}" f="${BATS_TEST_TMPDIR}/${1}.url"
  printf 'model %s\n' "${name}" >"${BATS_TEST_TMPDIR}/${name}"
  amlretrain blob upload -c models -n "${name}" \
    -f "${BATS_TEST_TMPDIR}/${name}" --create-container >/dev/null
  amlretrain blob sas -c models -n "${name}" -p r -e "${expiry}" \
    | jq -r .url >"${f}"
  echo "${f}"
}

model_uri() {
  amlretrain webservice get -n "$1" \
    | jq -r '.properties.assets.asset3.locationInfo.uri'
}

@test "every verb has --help" {
  local verb
  for verb in get list keys add-region export import patch-model update \
    new set-model rollback remove; do
    run -0 --separate-stderr amlretrain webservice "${verb}" --help
    assert_line --index 0 --partial "usage: amlretrain webservice ${verb}"
  done
}

@test "usage errors exit 2 before anything is sent" {
  run -2 --separate-stderr amlretrain webservice get
  assert_equal "${stderr_lines[0]}" "amlretrain: missing required option '--name'"
  run -2 --separate-stderr env -u AZURE_SUBSCRIPTION_ID \
    amlretrain webservice get -n x
  assert_regex "${stderr_lines[0]}" 'no subscription'
  run -2 --separate-stderr amlretrain webservice get -n 'a/b'
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid web service name 'a/b'"
  run -2 --separate-stderr amlretrain webservice get -n x --api-version 2099-01-01
  assert_regex "${stderr_lines[0]}" "invalid value '2099-01-01' for '--api-version'"
}

@test "new, get, list, keys: a web service's life as the recordings show it" {
  new_ws ws-basic
  jq -e '.name == "ws-basic" and .properties.provisioningState == "Succeeded"
    and (.properties | has("keys") | not)' <<<"${output}"
  run -0 --separate-stderr amlretrain webservice get -n ws-basic
  # GET never returns the keys or the storage account key (spec, §8).
  jq -e '(.properties | has("keys") | not)
    and (.properties.storageAccount | has("key") | not)' <<<"${output}"
  run -0 amlretrain webservice list
  jq -e 'map(.name) | index("ws-basic") != null' <<<"${output}"
  run -0 amlretrain webservice list -g "${AMLR_RESOURCE_GROUP}" -o table
  assert_line --index 0 --regexp '^id +name +type +location'
  run -0 amlretrain webservice keys -n ws-basic
  jq -e '.primary and .secondary' <<<"${output}"
}

@test "new refuses to replace an existing web service without --force" {
  new_ws ws-exists
  run -5 --separate-stderr amlretrain webservice new -n ws-exists \
    --file "${FIXTURE}"
  assert_equal "${stderr_lines[0]}" "amlretrain: web service 'ws-exists' exists; --force replaces it"
  run -0 amlretrain webservice new -n ws-exists --file "${FIXTURE}" --force
}

@test "a missing web service exits 4 with the service's code" {
  run -4 --separate-stderr amlretrain --error-format json webservice get -n nope
  assert_output ''
  jq -e '.error.exitCode == 4 and .error.httpStatus == 404
    and (.error.code | type == "string") and (.error.requestId | length > 0)' \
    <<<"$(last_stderr_line)"
}

@test "a bad token exits 3" {
  AMLR_ACCESS_TOKEN=not-a-token run -3 --separate-stderr \
    amlretrain --error-format json webservice get -n x
  jq -e '.error.httpStatus == 401' <<<"$(last_stderr_line)"
}

@test "export writes the Az layout atomically and keeps an existing file" {
  local out="${BATS_TEST_TMPDIR}/ws.json"
  new_ws ws-export
  run -0 --separate-stderr amlretrain webservice export -n ws-export --out "${out}"
  assert_output ''
  # No read-only fields, 2-space indentation, LF, no BOM.
  jq -e 'has("id") | not' "${out}"
  jq -e '.properties | has("provisioningState") | not' "${out}"
  run -0 head -c 3 "${out}"
  assert_output $'{\n '
  run -1 grep -c $'\r' "${out}"
  echo 'old' >"${out}"
  run -2 --separate-stderr amlretrain webservice export -n ws-export --out "${out}"
  assert_regex "${stderr_lines[0]}" 'exists; use --force'
  assert_equal "$(cat "${out}")" 'old'
  run -0 amlretrain webservice export -n ws-export --out "${out}" --force
  run -0 amlretrain webservice export -n ws-export --out -
  jq -e '.properties.packageType == "Graph"' <<<"${output}"
}

@test "import accepts BOM, CRLF and any casing; errors name the JSON path" {
  local f="${BATS_TEST_TMPDIR}/crlf.json"
  printf '\xef\xbb\xbf' >"${f}"
  jq '{Properties: .properties, Location: .location}' "${FIXTURE}" \
    | sed 's/$/\r/' >>"${f}"
  run -0 --separate-stderr amlretrain webservice import --file "${f}"
  jq -e '.properties.packageType == "Graph"' <<<"${output}"
  jq 'del(.properties.packageType)' "${FIXTURE}" >"${f}"
  run -2 --separate-stderr amlretrain webservice import --file "${f}"
  assert_regex "${stderr_lines[0]}" 'properties\.packageType'
  head -c 200 "${FIXTURE}" >"${f}"
  run -2 --separate-stderr amlretrain webservice import --file "${f}"
  assert_output ''
  run -9 --separate-stderr amlretrain webservice import --file "${f}.missing"
}

@test "patch-model changes only the model URI" {
  local out="${BATS_TEST_TMPDIR}/patched.json"
  run -0 amlretrain webservice patch-model --file "${FIXTURE}" \
    --model-uri https://acct.blob.core.windows.net/c/new.ilearner --out "${out}"
  run -1 diff "${FIXTURE}" "${out}"
  assert_equal "$(grep -c '^[<>]' <<<"${output}")" 2
  assert_output --partial '>           "uri": "https://acct.blob.core.windows.net/c/new.ilearner"'
}

@test "patch-model: no trained model, or a SAS on the command line, exit 2" {
  local f="${BATS_TEST_TMPDIR}/nomodel.json"
  jq 'del(.properties.assets.asset3)' "${FIXTURE}" >"${f}"
  run -2 --separate-stderr amlretrain webservice patch-model --file "${f}" \
    --model-uri https://a.blob.core.windows.net/c/m.ilearner
  assert_regex "${stderr_lines[0]}" 'trained model'
  run -2 --separate-stderr amlretrain webservice patch-model --file "${FIXTURE}" \
    --model-uri 'https://a.blob.core.windows.net/c/m.ilearner?sv=1&sig=SECRET'
  [[ "${stderr}" != *SECRET* ]]
}

@test "update: a file that changes nothing sends nothing, with a warning" {
  local f="${BATS_TEST_TMPDIR}/same.json"
  new_ws ws-noop
  amlretrain webservice export -n ws-noop --out "${f}"
  run -0 --separate-stderr amlretrain webservice update -n ws-noop --file "${f}"
  assert_regex "${stderr}" "warning: 'ws-noop' already matches the file"
  run -0 find "${AMLR_BACKUP_DIR}" -type f
  assert_output ''
}

@test "update applies a change, backs up first, and --dry-run sends nothing" {
  local f="${BATS_TEST_TMPDIR}/new-title.json" backup
  new_ws ws-update
  amlretrain webservice export -n ws-update --out - \
    | jq '.properties.title = "Retrained"' >"${f}"
  run -0 --separate-stderr amlretrain webservice update -n ws-update \
    --file "${f}" --dry-run
  jq -e '.method == "PATCH" and .body.properties.title == "Retrained"' <<<"${output}"
  run -0 amlretrain webservice get -n ws-update
  jq -e '.properties.title != "Retrained"' <<<"${output}"
  run -0 --separate-stderr amlretrain webservice update -n ws-update --file "${f}"
  jq -e '.properties.title == "Retrained"' <<<"${output}"
  backup="$(ls "${AMLR_BACKUP_DIR}"/*ws-update*.json)"
  assert_equal "$(stat -c %a "${backup}")" 600
  jq -e '.definition.properties.title != "Retrained"' "${backup}"
}

@test "set-model swaps the model, never stores or prints its SAS, rollback undoes it" {
  local url before sig
  new_ws ws-swap
  before="$(model_uri ws-swap)"
  url="$(model_blob swap-v2.ilearner)"
  sig="$(sed -n 's/.*sig=\([^&]*\).*/\1/p' "${url}")"
  run -0 --separate-stderr amlretrain --debug webservice set-model -n ws-swap \
    --model-uri "@${url}"
  jq -e --arg before "${before}" '.previousModelUri == $before
    and (.modelUri | endswith("/models/swap-v2.ilearner"))
    and .provisioningState == "Succeeded"' <<<"${output}"
  [[ "${output}${stderr}" != *"${sig}"* ]]
  run ! grep -rF "${sig}" "${AMLR_BACKUP_DIR}"
  assert_equal "$(model_uri ws-swap)" "$(cut -d'?' -f1 "${url}")"
  run -0 --separate-stderr amlretrain webservice rollback -n ws-swap
  assert_equal "$(model_uri ws-swap)" "${before}"
}

@test "set-model from a batch job's status JSON" {
  local url job="${BATS_TEST_TMPDIR}/job.json"
  new_ws ws-job
  url="$(model_blob job-v2.ilearner)"
  jq -n --arg base "${AMLR_EMULATOR_URL}/devstoreaccount1/" \
    --arg sas "?$(cut -d'?' -f2 "${url}")" \
    '{StatusCode: "Finished", Results: {output1: {BaseLocation: $base,
      RelativeLocation: "models/job-v2.ilearner", SasBlobToken: $sas}}}' >"${job}"
  run -0 --separate-stderr amlretrain webservice set-model -n ws-job --from-job "${job}"
  assert_equal "$(model_uri ws-job)" "$(cut -d'?' -f1 "${url}")"
  run -2 --separate-stderr amlretrain webservice set-model -n ws-job \
    --from-job "${job}" --job-output output9
  assert_regex "${stderr_lines[0]}" 'no Results\.output9'
}

@test "pre-flight refuses a missing, non-.ilearner or soon-expiring model" {
  local url before
  new_ws ws-preflight
  before="$(model_uri ws-preflight)"
  # A container SAS, so that the missing blob is a 404, not a 403.
  url="${BATS_TEST_TMPDIR}/absent.url"
  amlretrain blob sas -c models -p rl -e 24h | jq -r .url \
    | sed 's|/models?|/models/absent.ilearner?|' >"${url}"
  run -4 --separate-stderr amlretrain webservice set-model -n ws-preflight \
    --model-uri "@${url}"
  assert_regex "${stderr_lines[0]}" "cannot be read"
  url="$(model_blob soon.ilearner 10m)"
  run -2 --separate-stderr amlretrain webservice set-model -n ws-preflight \
    --model-uri "@${url}"
  assert_regex "${stderr_lines[0]}" "SAS is not valid for the next 3600 s"
  run -2 --separate-stderr amlretrain webservice set-model -n ws-preflight \
    --model-uri https://a.blob.core.windows.net/c/model.csv
  assert_regex "${stderr_lines[0]}" 'not an .ilearner'
  assert_equal "$(model_uri ws-preflight)" "${before}"
  # The margin is the user's call; so is skipping the check.
  run -0 amlretrain webservice set-model -n ws-preflight --model-uri "@${url}" \
    --sas-margin 5m
  run -0 amlretrain webservice set-model -n ws-preflight \
    --model-uri https://a.blob.core.windows.net/c/unchecked.ilearner --skip-preflight
}

@test "an operation that ends Failed exits 8 and keeps the backup" {
  local url backup
  new_ws ws-lro
  url="$(model_blob lro.ilearner)"
  fault '{"method":"PATCH","path":"/subscriptions/*/resourceGroups/*/providers/Microsoft.MachineLearning/webServices/ws-lro","kind":"lro-failed","count":1}'
  run -8 --separate-stderr amlretrain webservice set-model -n ws-lro \
    --model-uri "@${url}"
  clear_faults
  assert_regex "${stderr}" "did not complete; the previous definition is in .*rollback --backup"
  backup="$(ls "${AMLR_BACKUP_DIR}"/*ws-lro*.json)"
  assert_file_exist "${backup}"
  run -0 amlretrain webservice rollback --backup "${backup}"
}

@test "429 and 500 are retried; the change lands once" {
  new_ws ws-retry
  fault '{"method":"GET","path":"/subscriptions/**/webServices/ws-retry","kind":"status","status":429,"retryAfter":0,"count":1}'
  fault '{"method":"GET","path":"/subscriptions/**/webServices/ws-retry","kind":"status","status":500,"count":2}'
  run -0 --separate-stderr amlretrain webservice get -n ws-retry
  clear_faults
  jq -e '.name == "ws-retry"' <<<"${output}"
}

@test "a reply cut short exits 8 and leaves no partial file" {
  local out="${BATS_TEST_TMPDIR}/cut.json"
  new_ws ws-cut
  fault '{"method":"GET","path":"/subscriptions/**/webServices/ws-cut","kind":"truncate","count":10}'
  run -8 --separate-stderr amlretrain webservice export -n ws-cut --out "${out}"
  clear_faults
  assert_file_not_exist "${out}"
  run -0 find "${BATS_TEST_TMPDIR}" -name 'cut.json.tmp-*'
  assert_output ''
}

@test "a read-only web service refuses a change: exit 5" {
  local f="${BATS_TEST_TMPDIR}/ro.json"
  jq '.properties.readOnly = true' "${FIXTURE}" >"${f}"
  run -0 amlretrain webservice new -n ws-ro --file "${f}" -l 'West US'
  jq '.properties.title = "changed"' "${f}" >"${f}.2"
  run -5 --separate-stderr amlretrain webservice update -n ws-ro --file "${f}.2"
}

@test "remove needs --yes off a terminal; then the web service is gone" {
  new_ws ws-remove
  run -2 --separate-stderr amlretrain webservice remove -n ws-remove </dev/null
  assert_regex "${stderr_lines[0]}" 'without --yes'
  run -0 amlretrain webservice remove -n ws-remove --yes
  run -4 amlretrain webservice get -n ws-remove
}

@test "rollback without a backup exits 4" {
  run -4 --separate-stderr amlretrain webservice rollback -n never-changed
  assert_regex "${stderr_lines[0]}" "no backup of web service 'never-changed'"
}

@test "a principal without a role on the subscription gets exit 3 (403)" {
  local secret
  secret="$(jq -r '.servicePrincipals[] | select(.displayName == "amlretrain-no-access")
    | .secrets[0] | if type == "object" then (.value // .secret) else . end' \
    "${AMLR_ROOT}/manifests/emulator/demo.json")"
  AZURE_CLIENT_ID="$(jq -r '.servicePrincipals[] | select(.displayName == "amlretrain-no-access") | .clientId' \
    "${AMLR_ROOT}/manifests/emulator/demo.json")" \
    AZURE_CLIENT_SECRET="${secret}" \
    run -3 --separate-stderr amlretrain --error-format json webservice list
  jq -e '.error.httpStatus == 403 and .error.code == "AuthorizationFailed"' \
    <<<"$(last_stderr_line)"
}

@test "moving a web service to another storage account is refused with the service's reason" {
  local f="${BATS_TEST_TMPDIR}/other-account.json"
  new_ws ws-storage
  amlretrain webservice export -n ws-storage --out - \
    | jq '.properties.storageAccount = {name: "otheraccount", key: "b3RoZXI="}' >"${f}"
  run --separate-stderr amlretrain --error-format json webservice update \
    -n ws-storage --file "${f}"
  assert [ "${status}" -ne 0 ]
  jq -e '(.error.details // "" | contains("CannotChangeStorageAccount"))
    or .error.code == "CannotChangeStorageAccount"' <<<"$(last_stderr_line)"
  # Refused, and nothing changed.
  run -0 amlretrain webservice get -n ws-storage
  jq -e '.properties.storageAccount.name != "otheraccount"' <<<"${output}"
}

@test "add-region creates the regional properties, then get --region works" {
  new_ws ws-region
  run -4 --separate-stderr amlretrain --error-format json webservice get \
    -n ws-region --region 'Southeast Asia'
  jq -e '.error.details | contains("PerRegionPayloadNotFound")' <<<"$(last_stderr_line)"
  run -0 --separate-stderr amlretrain webservice add-region -n ws-region \
    --region 'Southeast Asia'
  jq -e '.name == "ws-region"' <<<"${output}"
  run -0 amlretrain webservice get -n ws-region --region 'Southeast Asia'
}

@test "bad input sends nothing: a model URI that is not https, a backup dir that cannot be made" {
  local log="${BATS_TEST_TMPDIR}/requests"
  new_ws ws-badinput
  # A counting fault on every request of this web service: its hits tell
  # whether anything was sent.
  fault '{"method":"*","path":"/subscriptions/**/webServices/ws-badinput","kind":"delay","delayMs":0,"count":1000}'
  run -2 --separate-stderr amlretrain webservice set-model -n ws-badinput \
    --model-uri ftp://example.com/model.ilearner
  assert_regex "${stderr_lines[0]}" 'must be an https:// URL'
  run -2 --separate-stderr amlretrain webservice set-model -n ws-badinput \
    --model-uri http://example.com/model.ilearner
  printf 'x\n' >"${BATS_TEST_TMPDIR}/not-a-dir"
  run -9 --separate-stderr amlretrain webservice update -n ws-badinput \
    --file "${FIXTURE}" --backup-dir "${BATS_TEST_TMPDIR}/not-a-dir/backups"
  assert_regex "${stderr_lines[0]}" "cannot create"
  curl -fsS "${AMLR_EMULATOR_URL}/_emulator/faults" >"${log}"
  clear_faults
  jq -e '[.value[] | select(.path | endswith("ws-badinput"))][0].hits == 0' "${log}"
}
