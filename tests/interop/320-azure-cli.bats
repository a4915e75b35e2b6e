#!/usr/bin/env bats
# Microsoft's azure-cli (Debian's 2.45) against the emulator served over
# https, as reference notes auth-storage.md ("Appendix: pointing Debian's
# azure-cli at a local https stand-in") describes: a custom cloud whose
# identity service is the AD FS style authority https://127.0.0.1:PORT/adfs
# (MSAL skips instance discovery there), `az login --service-principal`
# with the seed's principal, then amlretrain's Azure CLI credential (`az
# account get-access-token`, README "Credentials") reusing that login to
# manage web services, and `az rest` reading what amlretrain changed.
# The emulator's side of it (its subscription list, the AD FS token
# endpoint taking MSAL's request) is checked with curl even without az.
# `make deps` installs azure-cli (scripts/install-deps); where az is absent
# its tests say so and are skipped.
# shellcheck disable=SC2154 # output, stderr, stderr_lines: set by bats' run
# shellcheck disable=SC2016 # $names in single quotes are jq's
# shellcheck disable=SC2030,SC2031 # each test (a subshell) has its ARM_TOKEN

bats_require_minimum_version 1.5.0

FIXTURE="${BATS_TEST_DIRNAME}/../fixtures/definitions/retrain-sample.json"
SEED="${BATS_TEST_DIRNAME}/../../manifests/emulator/demo.json"
CLOUD=AmlrEmulator

# The azure-cli settings of every az call here: its profile, token cache
# and logs under the file's directory (never the user's ~/.azure), the
# emulator's certificate as the only CA, no telemetry, no colour.
az_environment() {
  export AZURE_CONFIG_DIR="${BATS_FILE_TMPDIR}/azure"
  export REQUESTS_CA_BUNDLE="${AMLR_CA_BUNDLE}"
  export AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_NO_COLOR=true
  export AZURE_CORE_ONLY_SHOW_ERRORS=true AZURE_CORE_OUTPUT=json
}

# Register the emulator as a custom cloud in the current AZURE_CONFIG_DIR
# and make it the active one (the appendix's registration).
az_register_cloud() {
  az cloud register --name "${CLOUD}" \
    --endpoint-active-directory "${AMLR_EMULATOR_URL}/adfs" \
    --endpoint-resource-manager "${AMLR_EMULATOR_URL}/" \
    --endpoint-active-directory-resource-id \
    https://management.core.windows.net/ \
    --endpoint-active-directory-graph-resource-id https://graph.windows.net/ \
    --endpoint-management "${AMLR_EMULATOR_URL}/" &&
    az cloud set --name "${CLOUD}"
}

# The seed's service principal's secret, from the emulator's env file.
# Outputs: the secret (for a pipe, never for a command line)
sp_secret() {
  (
    # shellcheck source=/dev/null
    source "${EMU_ENV_FILE}"
    printf '%s' "${AZURE_CLIENT_SECRET}"
  )
}

# az login --service-principal as the seed's principal.  az 2.45 takes
# the password only as an argument, but expands `@FILE` in any argument
# and reads `@-` from standard input: the secret goes through a pipe,
# never onto a command line (`ps`) or into a file.
# Arguments: the --tenant value ("adfs", as the appendix has it, or a
#   tenant's domain or id)
az_login() {
  sp_secret | az login --service-principal -u "${AZURE_CLIENT_ID}" \
    --password @- --tenant "$1"
}

setup_file() {
  local d="${BATS_FILE_TMPDIR}"
  load '../test_helper/common'
  load '../test_helper/emulator'
  # A self-signed certificate for the loopback address: the test's CA.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "${d}/key.pem" -out "${d}/cert.pem" 2>/dev/null
  chmod 600 "${d}/key.pem"
  emu_start --tls-cert "${d}/cert.pem" --tls-key "${d}/key.pem" \
    --provisioning-delay 100 --log "${d}/access.log"
  export EMU_ENV_FILE EMU_DIR
  if ! command -v az >/dev/null; then
    echo '# azure-cli (az) is NOT installed: the azure-cli interop tests are SKIPPED; run make deps' >&3
    return 0
  fi
  az_environment
  # Once for the file; each test reads this login and copies it to change it.
  az_register_cloud >"${d}/register.out"
  if ! az_login adfs >"${d}/login.json" 2>"${d}/login.err"; then
    echo "setup_file: az login failed: $(cat -- "${d}/login.err")" >&2
    return 1
  fi
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/arm'
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  # curl (test_helper/arm.bash) trusts the emulator's certificate too.
  export CURL_CA_BUNDLE="${AMLR_CA_BUNDLE}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export AMLR_STORAGE_ACCOUNT_KEY='c3RvcmFnZS1rZXk='
  az_environment
}

# Skip, saying why, when azure-cli is absent (make deps installs it).
need_az() {
  if ! command -v az >/dev/null; then
    skip 'azure-cli (az) is not installed: run make deps (scripts/install-deps)'
  fi
}

# amlretrain with only the Azure CLI credential: no secret in its
# environment, nor any other service principal setting.
amlr_via_az() {
  env -u AZURE_CLIENT_SECRET -u AZURE_CLIENT_ID -u AZURE_TENANT_ID \
    -u AMLR_ACCESS_TOKEN AZURE_TOKEN_CREDENTIALS=AzureCliCredential \
    amlretrain "$@"
}

# The Resource Manager URL of web service $1 (2017-01-01).
ws_url() {
  printf '%s%s?api-version=2017-01-01\n' "${AMLR_EMULATOR_URL}" \
    "$(arm_ws_path "$1")"
}

# Post the form in file $2 to the token endpoint path $1; the reply goes
# to ${BATS_TEST_TMPDIR}/token.json, the status to stdout.
post_form() {
  curl -sS -o "${BATS_TEST_TMPDIR}/token.json" -w '%{http_code}' \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "@$2" "${AMLR_EMULATOR_URL}$1"
}

# A principal of the seed: its field $2 (clientId, secret) by displayName $1.
seed_principal() {
  jq -r --arg n "$1" --arg f "$2" '.servicePrincipals[]
    | select(.displayName == $n)
    | if $f == "secret" then .secrets[0].value else .[$f] end' "${SEED}"
}

@test "az logs in to the emulator's custom cloud with the seed's principal" {
  need_az
  # The login of setup_file: the seed's subscription, the principal.
  run -0 jq -e --arg sub "${AZURE_SUBSCRIPTION_ID}" \
    --arg client "${AZURE_CLIENT_ID}" --arg cloud "${CLOUD}" 'length == 1
    and .[0].id == $sub and .[0].name == "Emulator Subscription"
    and .[0].state == "Enabled" and .[0].isDefault
    and .[0].cloudName == $cloud and .[0].user.name == $client
    and .[0].user.type == "servicePrincipal"' "${BATS_FILE_TMPDIR}/login.json"
  run -0 --separate-stderr az account show
  jq -e --arg sub "${AZURE_SUBSCRIPTION_ID}" \
    '.id == $sub and .environmentName == "AmlrEmulator"' <<<"${output}"
  # What az asked, in the appendix's order: discovery of the AD FS style
  # authority, a token, the subscription list (paths only: the access log
  # never holds a query or a body).
  run -0 grep -oE ' (GET|POST) /(adfs[^ ]*|subscriptions) [0-9]+' \
    "${BATS_FILE_TMPDIR}/access.log"
  assert_line --index 0 ' GET /adfs/adfs/.well-known/openid-configuration 200'
  assert_line --index 1 ' GET /adfs/.well-known/openid-configuration 200'
  assert_line --index 2 ' POST /adfs/oauth2/token 200'
  assert_line --index 3 ' GET /subscriptions 200'
}

@test "az get-access-token: a Resource Manager token the emulator accepts" {
  need_az
  run -0 --separate-stderr az account get-access-token \
    --resource https://management.azure.com/
  jq -e --arg sub "${AZURE_SUBSCRIPTION_ID}" '.tokenType == "Bearer"
    and .subscription == $sub and (.accessToken | length > 100)
    and (.expiresOn | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} "))' <<<"${output}"
  export ARM_TOKEN
  ARM_TOKEN="$(jq -r .accessToken <<<"${output}")"
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}?api-version=2019-11-01"
  assert_equal "${ARM_STATUS}" 200
  # az's own audience (the cloud's resource id) works as well.
  run -0 --separate-stderr az rest --method get \
    --url "${AMLR_EMULATOR_URL}/subscriptions?api-version=2019-11-01"
  jq -e --arg sub "${AZURE_SUBSCRIPTION_ID}" \
    '[.value[].subscriptionId] == [$sub]' <<<"${output}"
}

@test "amlretrain's Azure CLI credential signs in with az's login" {
  need_az
  export XDG_CACHE_HOME="${BATS_TEST_TMPDIR}/cache"
  run -0 --separate-stderr amlr_via_az login
  jq -e --arg sub "${AZURE_SUBSCRIPTION_ID}" --arg tid "${AZURE_TENANT_ID}" \
    --arg client "${AZURE_CLIENT_ID}" '.source == "azureCli"
    and .tenantId == $tid and .clientId == $client
    and .objectId == "ccc81484-2567-4331-b0c5-f36405f0f2c6"
    and .subscription == $sub and .resource == "https://management.azure.com/"' \
    <<<"${output}"
  # Tokens from az stay in az's cache, never in amlretrain's.
  assert_file_not_exist "${XDG_CACHE_HOME}/amlretrain/tokens.json"
}

@test "amlretrain manages a web service with az's login; az rest sees each change" {
  need_az
  local url def="${BATS_TEST_TMPDIR}/ws.json" model sas all secret
  url="$(ws_url ws-az)"
  secret="$(sp_secret)"
  # new: az rest reads the web service amlretrain created.
  run -0 --separate-stderr amlr_via_az webservice new -n ws-az \
    --file "${FIXTURE}" -l 'West US'
  all="${output}${stderr}"
  jq -e '.name == "ws-az" and .properties.provisioningState == "Succeeded"' \
    <<<"${output}"
  run -0 --separate-stderr az rest --method get --url "${url}"
  jq -e '.name == "ws-az" and .location == "West US"
    and .properties.title == "Retrain Sample [Predictive Exp.]"' <<<"${output}"
  # update: a new title.
  amlr_via_az webservice export -n ws-az --out - |
    jq '.properties.title = "Retrained through az"' >"${def}"
  run -0 --separate-stderr amlr_via_az webservice update -n ws-az \
    --file "${def}"
  all+="${output}${stderr}"
  run -0 --separate-stderr az rest --method get --url "${url}"
  jq -e '.properties.title == "Retrained through az"' <<<"${output}"
  # set-model: a new .ilearner from the emulator's blob storage.
  model="${BATS_TEST_TMPDIR}/v2.ilearner"
  printf 'model v2\n' >"${model}"
  amlretrain blob upload -c models -n az/v2.ilearner -f "${model}" \
    --create-container >/dev/null
  amlretrain blob sas -c models -n az/v2.ilearner -p r -e 24h |
    jq -r .url >"${BATS_TEST_TMPDIR}/model.url"
  sas="$(cat "${BATS_TEST_TMPDIR}/model.url")"
  # The pre-flight reads the model over https with the test CA too.
  run -0 --separate-stderr amlr_via_az webservice set-model -n ws-az \
    --model-uri "@${BATS_TEST_TMPDIR}/model.url"
  all+="${output}${stderr}"
  run -0 --separate-stderr az rest --method get --url "${url}"
  jq -e --arg uri "${sas%%\?*}" \
    '.properties.assets.asset3.locationInfo.uri == $uri
    and .properties.title == "Retrained through az"' <<<"${output}"
  # remove: az rest then finds nothing (az exits 1 on a 404).
  run -0 --separate-stderr amlr_via_az webservice remove -n ws-az --yes
  run -1 --separate-stderr az rest --method get --url "${url}"
  assert_regex "${stderr}" 'WebServiceNotFound'
  # The principal's secret showed nowhere.
  [[ "${all}" != *"${secret}"* ]]
  run -1 grep -rF "${secret}" "${AMLR_BACKUP_DIR}" \
    "${BATS_FILE_TMPDIR}/access.log"
}

@test "az logged out: amlretrain's Azure CLI credential exits 3 and says so" {
  need_az
  local dir="${BATS_TEST_TMPDIR}/azure-logged-out"
  cp -R -- "${AZURE_CONFIG_DIR}" "${dir}"
  AZURE_CONFIG_DIR="${dir}" az logout
  AZURE_CONFIG_DIR="${dir}" run -3 --separate-stderr amlr_via_az \
    webservice list
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr}" "^amlretrain: azure cli: .*'az login'"
  AZURE_CONFIG_DIR="${dir}" run -3 --separate-stderr amlr_via_az \
    --error-format json webservice get -n any
  jq -e '.error.exitCode == 3 and .error.category == "Auth"
    and (.error.message | startswith("azure cli: "))' <<<"$(last_stderr_line)"
  # The file's own login is untouched.
  run -0 --separate-stderr amlr_via_az webservice list
}

@test "az login --tenant DOMAIN resolves the tenant through the AD FS style authority" {
  need_az
  export AZURE_CONFIG_DIR="${BATS_TEST_TMPDIR}/azure-domain"
  az_register_cloud >/dev/null
  run -0 --separate-stderr az_login amlremulator.onmicrosoft.com
  jq -e --arg tid "${AZURE_TENANT_ID}" --arg sub "${AZURE_SUBSCRIPTION_ID}" \
    '[.[] | {id, tenantId}] == [{id: $sub, tenantId: $tid}]' <<<"${output}"
  # A wrong secret: Entra's AADSTS7000215, and az stays logged out.
  run -1 --separate-stderr az login --service-principal \
    -u "${AZURE_CLIENT_ID}" --password @- --tenant adfs <<<'not-the-secret'
  assert_regex "${stderr}" 'AADSTS7000215: Invalid client secret provided'
}

@test "emulator: GET /subscriptions lists the caller's subscriptions as ARM does" {
  local sub="${AZURE_SUBSCRIPTION_ID}"
  arm_token
  arm GET '/subscriptions?api-version=2019-11-01'
  assert_equal "${ARM_STATUS}" 200
  jq -e --arg sub "${sub}" --arg tid "${AZURE_TENANT_ID}" '.value == [{
    id: ("/subscriptions/" + $sub), authorizationSource: "RoleBased",
    managedByTenants: [], subscriptionId: $sub, tenantId: $tid,
    displayName: "Emulator Subscription", state: "Enabled",
    subscriptionPolicies: {locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off"}}]' \
    "${ARM_BODY}"
  arm GET "/subscriptions/${sub}?api-version=2020-01-01"
  assert_equal "${ARM_STATUS}" 200
  jq -e --arg sub "${sub}" '.subscriptionId == $sub
    and .id == "/subscriptions/" + $sub' "${ARM_BODY}"
  # ARM's refusals, in its envelope.
  arm GET '/subscriptions'
  assert_equal "${ARM_STATUS} $(jq -r .error.code "${ARM_BODY}")" \
    '400 MissingApiVersionParameter'
  arm GET '/subscriptions?api-version=2017-01-01'
  assert_equal "${ARM_STATUS} $(jq -r .error.code "${ARM_BODY}")" \
    '400 InvalidApiVersionParameter'
  arm GET '/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2019-11-01'
  assert_equal "${ARM_STATUS} $(jq -r .error.code "${ARM_BODY}")" \
    '404 SubscriptionNotFound'
  arm POST '/subscriptions?api-version=2019-11-01'
  assert_equal "${ARM_STATUS} $(arm_header Allow)" '405 GET'
  # Without a token: 401 and ARM's challenge.
  run -0 curl -sS -o "${BATS_TEST_TMPDIR}/body" -D "${BATS_TEST_TMPDIR}/hdr" \
    -w '%{http_code}' "${AMLR_EMULATOR_URL}/subscriptions?api-version=2019-11-01"
  assert_output 401
  jq -e '.error.code == "AuthenticationFailed"' "${BATS_TEST_TMPDIR}/body"
  grep -qi '^WWW-Authenticate: Bearer authorization_uri=' \
    "${BATS_TEST_TMPDIR}/hdr"
}

@test "emulator: a principal sees only its tenant's subscriptions where it has a role" {
  # Another tenant's principal: its own tenant's subscription only.
  AZURE_TENANT_ID="$(jq -r '.tenants[1].id' "${SEED}")" \
    AZURE_CLIENT_ID="$(seed_principal fabrikam-ci clientId)" \
    AZURE_CLIENT_SECRET="$(seed_principal fabrikam-ci secret)" arm_token
  arm GET '/subscriptions?api-version=2019-11-01'
  assert_equal "${ARM_STATUS}" 200
  jq -e --arg sub "${AZURE_SUBSCRIPTION_ID}" '(.value | length) == 1
    and .value[0].subscriptionId != $sub
    and .value[0].displayName == "Fabrikam Subscription"' "${ARM_BODY}"
  # A principal without any role: an empty list, and 403 on the one.
  AZURE_CLIENT_ID="$(seed_principal amlretrain-no-access clientId)" \
    AZURE_CLIENT_SECRET="$(seed_principal amlretrain-no-access secret)" \
    arm_token
  arm GET '/subscriptions?api-version=2019-11-01'
  assert_equal "${ARM_STATUS} $(jq -c .value "${ARM_BODY}")" '200 []'
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}?api-version=2019-11-01"
  assert_equal "${ARM_STATUS} $(jq -r .error.code "${ARM_BODY}")" \
    '403 AuthorizationFailed'
}

@test "emulator: the AD FS token endpoint takes MSAL's request (scope, client_info, claims)" {
  local form="${BATS_TEST_TMPDIR}/form"
  # As MSAL inside az sends it: a v2 scope on the one AD FS endpoint.
  {
    printf 'grant_type=client_credentials&client_id=%s' "${AZURE_CLIENT_ID}"
    printf '&client_info=1&claims=%s' \
      "$(jq -rn '{access_token: {xms_cc: {values: ["CP1"]}}} | tojson | @uri')"
    printf '&scope=%s' \
      "$(jq -rn '"https://management.core.windows.net//.default offline_access openid profile" | @uri')"
    printf '&client_secret='
    jq -jn --arg s "${AZURE_CLIENT_SECRET}" '$s | @uri'
  } >"${form}"
  run -0 post_form /adfs/oauth2/token "${form}"
  assert_output 200
  # The v2 shape: numbers, no resource.
  jq -e '.token_type == "Bearer" and (.expires_in | type == "number")
    and (has("resource") | not)' "${BATS_TEST_TMPDIR}/token.json"
  export ARM_TOKEN
  ARM_TOKEN="$(jq -r .access_token "${BATS_TEST_TMPDIR}/token.json")"
  arm GET '/subscriptions?api-version=2019-11-01'
  assert_equal "${ARM_STATUS}" 200
  # A v1 `resource` there keeps the v1 shape (string numbers, resource).
  {
    printf 'grant_type=client_credentials&client_id=%s' "${AZURE_CLIENT_ID}"
    printf '&resource=https%%3A%%2F%%2Fmanagement.azure.com%%2F'
    printf '&client_secret='
    jq -jn --arg s "${AZURE_CLIENT_SECRET}" '$s | @uri'
  } >"${form}"
  run -0 post_form /adfs/oauth2/token "${form}"
  assert_output 200
  jq -e '(.expires_in | type == "string")
    and .resource == "https://management.azure.com/"' \
    "${BATS_TEST_TMPDIR}/token.json"
  # A tenant's own v1 endpoint still wants `resource`.
  run -0 post_form "/${AZURE_TENANT_ID}/oauth2/token" <(
    printf 'grant_type=client_credentials&client_id=%s&scope=x%%2F.default' \
      "${AZURE_CLIENT_ID}"
  )
  assert_output 400
  jq -e '.error == "invalid_request" and .error_codes == [900144]' \
    "${BATS_TEST_TMPDIR}/token.json"
}

@test "emulator: tenant discovery under the AD FS style authority, as az login --tenant asks" {
  run -0 curl -sS -f "${AMLR_EMULATOR_URL}/adfs/adfs/.well-known/openid-configuration"
  jq -e --arg base "${AMLR_EMULATOR_URL}" '.issuer == $base + "/adfs"
    and .token_endpoint == $base + "/adfs/oauth2/token"' <<<"${output}"
  # A domain resolves to its tenant id: az reads it from the issuer.
  run -0 curl -sS -f \
    "${AMLR_EMULATOR_URL}/adfs/amlremulator.onmicrosoft.com/.well-known/openid-configuration"
  jq -e --arg base "${AMLR_EMULATOR_URL}" --arg tid "${AZURE_TENANT_ID}" \
    '.issuer == $base + "/" + $tid + "/"' <<<"${output}"
  run -0 curl -sS -o /dev/null -w '%{http_code}' \
    "${AMLR_EMULATOR_URL}/adfs/no-such.example/.well-known/openid-configuration"
  assert_output 400
}
