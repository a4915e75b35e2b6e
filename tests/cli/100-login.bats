#!/usr/bin/env bats
# amlretrain login and account show against the emulator: every credential
# source, the token cache, and secrets kept out of every output
# (notes/auth-storage.md §1: token endpoints, managed identity, Azure CLI).
# shellcheck disable=SC2154 # output, stderr, stderr_lines: set by bats' run
# shellcheck disable=SC2030,SC2031 # each test's exports stay in the test

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # -v: one stderr line per request, to count token requests.
  emu_start -v --managed-identity
  export LOGIN_ENV="${EMU_ENV_FILE}" LOGIN_EMU_LOG="${EMU_STDERR}"
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # common.bash unsets the secret; the emulator's exports bring it back.
  # shellcheck source=/dev/null
  source "${LOGIN_ENV}"
  unset XDG_CACHE_HOME AZURE_TOKEN_CREDENTIALS AZURE_CLIENT_CERTIFICATE_PATH \
    AZURE_FEDERATED_TOKEN_FILE MSI_ENDPOINT MSI_SECRET IMDS_ENDPOINT
  # Never probe the real IMDS address from a test: a closed loopback port.
  AZURE_POD_IDENTITY_AUTHORITY_HOST="http://127.0.0.1:$(unused_port)"
  export AZURE_POD_IDENTITY_AUTHORITY_HOST
  CACHE_DIR="${HOME}/.cache/amlretrain"
  CACHE_FILE="${CACHE_DIR}/tokens.json"
}

teardown() {
  emu_stop
}

# Token requests the emulator has answered so far (all of its tenants).
token_requests() {
  grep -cE ' POST /[^ ]+/oauth2/(v2\.0/)?token ' "$1" || true
}

# Unpadded base64url of stdin.
b64url() {
  base64 -w0 | tr '+/' '-_' | tr -d '='
}

# An unsigned JWT with the given claims (the client never verifies it).
fake_jwt() {
  printf '%s.%s.c2ln\n' "$(printf '{"alg":"none"}' | b64url)" \
    "$(printf '%s' "$1" | b64url)"
}

# Fails when any argument's text appears in $output or $stderr.
refute_secrets() {
  local s
  for s in "$@"; do
    [[ -n "${s}" ]] || continue
    if [[ "${output}${stderr:-}" == *"${s}"* ]]; then
      echo "a secret leaked into the output" >&2
      return 1
    fi
  done
}

@test "login --help prints the usage on stdout, exit 0" {
  run -0 --separate-stderr amlretrain login --help
  assert_line --index 0 'usage: amlretrain login [--resource URL] [options]'
  assert_output --partial 'AZURE_CLIENT_SECRET'
  assert_equal "${stderr}" ''
}

@test "login with an unknown option exits 2 with one line and the usage" {
  run -2 --separate-stderr amlretrain login --secret x
  assert_output ''
  assert_equal "${stderr_lines[0]}" "amlretrain: unknown option '--secret'"
}

@test "login with the seed's service principal secret" {
  local before
  before="$(token_requests "${LOGIN_EMU_LOG}")"
  run -0 --separate-stderr amlretrain login
  assert_equal "${stderr}" ''
  jq -e --arg t "${AZURE_TENANT_ID}" --arg c "${AZURE_CLIENT_ID}" \
    --arg s "${AZURE_SUBSCRIPTION_ID}" '
    .source == "clientSecret"
    and .sourceDescription == "environment (client secret)"
    and .tenantId == $t and .clientId == $c
    and .objectId == "ccc81484-2567-4331-b0c5-f36405f0f2c6"
    and .subscription == $s and .cloud == "Custom"
    and .resource == "https://management.azure.com/"
    and (.expiresOn | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))
    and (keys | length) == 9' <<<"${output}"
  refute_secrets "${AZURE_CLIENT_SECRET}" 'eyJ'
  assert_equal "$(token_requests "${LOGIN_EMU_LOG}")" "$((before + 1))"
}

@test "the token cache is a 0600 file in a 0700 directory, without secrets" {
  run -0 amlretrain login
  assert_file_exists "${CACHE_FILE}"
  assert_equal "$(stat -c %a "${CACHE_FILE}")" 600
  assert_equal "$(stat -c %a "${CACHE_DIR}")" 700
  jq -e --arg t "${AZURE_TENANT_ID}" '.version == 1
    and (.tokens | length) == 1 and .tokens[0].tenant == $t
    and .tokens[0].resource == "https://management.azure.com/"' \
    "${CACHE_FILE}"
  run ! grep -qF -- "${AZURE_CLIENT_SECRET}" "${CACHE_FILE}"
  run -0 ls -la "${CACHE_DIR}"
  refute_secrets "${AZURE_CLIENT_SECRET}" 'eyJ'
}

@test "a second login is served from the cache: no token request" {
  local before
  run -0 amlretrain login
  before="$(token_requests "${LOGIN_EMU_LOG}")"
  run -0 --separate-stderr amlretrain --debug login
  jq -e '.source == "clientSecret"' <<<"${output}"
  assert_equal "$(token_requests "${LOGIN_EMU_LOG}")" "${before}"
  assert_equal "${stderr}" \
    '* token for https://management.azure.com/ from the cache'
  # account show reads the same cache, without network either.
  run -0 --separate-stderr amlretrain account show
  jq -e '.fromCache == true and .source == "clientSecret"' <<<"${output}"
  assert_equal "$(token_requests "${LOGIN_EMU_LOG}")" "${before}"
}

@test "Resource Manager accepts the token login cached" {
  local url
  run -0 amlretrain login
  # The header goes through a file: a token never on a command line.
  jq -r '"Authorization: Bearer " + .tokens[0].accessToken' "${CACHE_FILE}" \
    >"${BATS_TEST_TMPDIR}/auth-header"
  url="${AMLR_ARM_ENDPOINT%/}/subscriptions/${AZURE_SUBSCRIPTION_ID}"
  url+="/resourceGroups/${AMLR_RESOURCE_GROUP}/providers"
  url+="/Microsoft.MachineLearning/webServices?api-version=2017-01-01"
  run -0 curl -sS -H "@${BATS_TEST_TMPDIR}/auth-header" "${url}"
  jq -e '.value | type == "array"' <<<"${output}"
  printf 'Authorization: Bearer x\n' >"${BATS_TEST_TMPDIR}/auth-header"
  run -0 curl -sS -H "@${BATS_TEST_TMPDIR}/auth-header" "${url}"
  jq -e '.error.code == "InvalidAuthenticationToken"' <<<"${output}"
}

@test "a token for another resource is a new request, cached apart" {
  local before
  run -0 amlretrain login
  before="$(token_requests "${LOGIN_EMU_LOG}")"
  run -0 --separate-stderr amlretrain login --resource https://storage.azure.com/
  jq -e '.resource == "https://storage.azure.com/"' <<<"${output}"
  assert_equal "$(token_requests "${LOGIN_EMU_LOG}")" "$((before + 1))"
  jq -e '(.tokens | length) == 2' "${CACHE_FILE}"
}

@test "a corrupt cache file is ignored and replaced" {
  mkdir -p "${CACHE_DIR}"
  printf '{"version":1,"tokens":[{"acc' >"${CACHE_FILE}"
  chmod 0600 "${CACHE_FILE}"
  run -0 --separate-stderr amlretrain login
  assert_equal "${stderr}" ''
  jq -e '(.tokens | length) == 1' "${CACHE_FILE}"
}

@test "XDG_CACHE_HOME moves the cache" {
  export XDG_CACHE_HOME="${BATS_TEST_TMPDIR}/xdg"
  run -0 amlretrain login
  assert_file_exists "${XDG_CACHE_HOME}/amlretrain/tokens.json"
  assert_file_not_exists "${CACHE_FILE}"
}

@test "a wrong secret exits 3 with Entra ID's AADSTS message" {
  export AZURE_CLIENT_SECRET='wrong~Secret.value-NotTheSeeds'
  run -3 --separate-stderr amlretrain login
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr}" "^amlretrain: AADSTS7000215: Invalid client secret provided\."
  run -3 --separate-stderr amlretrain --error-format json --debug login
  jq -e '.error.exitCode == 3 and .error.category == "Auth"
    and .error.code == "invalid_client" and .error.httpStatus == 401
    and (.error.message | startswith("AADSTS7000215: "))' \
    <<<"$(last_stderr_line)"
  refute_secrets "${AZURE_CLIENT_SECRET}"
  assert_file_not_exists "${CACHE_FILE}"
}

@test "--debug traces the token request with the secret and token redacted" {
  run -0 --separate-stderr amlretrain --debug login
  assert_regex "${stderr}" '> POST /[0-9a-f-]+/oauth2/v2\.0/token HTTP/1\.1'
  assert_regex "${stderr}" 'client_secret=REDACTED'
  assert_regex "${stderr}" '"access_token":"REDACTED"'
  refute_secrets "${AZURE_CLIENT_SECRET}" 'eyJ'
}

@test "managed identity: IDENTITY_ENDPOINT and IDENTITY_HEADER" {
  local header="${IDENTITY_HEADER}"
  unset AZURE_CLIENT_SECRET AZURE_CLIENT_ID
  run -0 --separate-stderr amlretrain --debug login
  jq -e '.source == "managedIdentity"
    and .sourceDescription == "managed identity (IDENTITY_ENDPOINT)"
    and .objectId == "2ba5d85f-9f4e-4d4b-9c71-ff406f465492"
    and .clientId == "124419b2-234d-4ce2-8f15-74b03730a184"' <<<"${output}"
  assert_regex "${stderr}" '> GET /msi/token\?api-version=2019-08-01&resource='
  assert_regex "${stderr}" 'X-IDENTITY-HEADER: REDACTED'
  refute_secrets "${header}" 'eyJ'
  # Cached too: the next run sends nothing.
  run -0 --separate-stderr amlretrain --debug login
  assert_equal "${stderr}" \
    '* token for https://management.azure.com/ from the cache'
}

@test "managed identity: AZURE_CLIENT_ID picks a user-assigned identity" {
  unset AZURE_CLIENT_SECRET
  export AZURE_CLIENT_ID=53d8668c-1811-4ae7-a3a6-2e068b44e26c
  run -0 --separate-stderr amlretrain login
  jq -e '.source == "managedIdentity"
    and .objectId == "b5daac1c-4508-4b4e-ab6b-54aa86ab0a2e"' <<<"${output}"
}

@test "managed identity: a wrong IDENTITY_HEADER exits 3" {
  unset AZURE_CLIENT_SECRET AZURE_CLIENT_ID
  export IDENTITY_HEADER=not-the-emulators
  run -3 --separate-stderr amlretrain --error-format json login
  assert_output ''
  jq -e '.error.exitCode == 3 and .error.httpStatus == 401' \
    <<<"$(last_stderr_line)"
}

# A seed with one tenant and one certificate principal, and its PEM
# (certificate and key, the key encrypted when a password is given).
make_cert_seed() {
  local dir="$1" password="${2:-}"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "${dir}/key.pem" \
    -out "${dir}/cert.pem" -subj /CN=amlr-login-test -days 1 2>/dev/null
  if [[ -n "${password}" ]]; then
    PW="${password}" openssl pkcs8 -topk8 -v2 aes-256-cbc -passout env:PW \
      -in "${dir}/key.pem" -out "${dir}/key-enc.pem"
    cat "${dir}/key-enc.pem" "${dir}/cert.pem" >"${dir}/sp.pem"
  else
    cat "${dir}/key.pem" "${dir}/cert.pem" >"${dir}/sp.pem"
  fi
  chmod 0600 "${dir}/sp.pem"
  cat >"${dir}/seed.json" <<'JSON'
{
  "tenants": [{ "id": "0c5b1b8e-5d0c-4a8e-9a4e-5e3f3f0a1b2c" }],
  "servicePrincipals": [{
    "tenantId": "0c5b1b8e-5d0c-4a8e-9a4e-5e3f3f0a1b2c",
    "clientId": "7d2f6a50-3c9b-4f0e-8e1a-2b3c4d5e6f70",
    "objectId": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
    "displayName": "cert-principal",
    "certificates": [{ "file": "cert.pem" }]
  }],
  "subscriptions": [{
    "id": "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d",
    "tenantId": "0c5b1b8e-5d0c-4a8e-9a4e-5e3f3f0a1b2c",
    "roleAssignments": [{
      "principalId": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
      "roleDefinitionName": "Contributor"
    }],
    "resourceGroups": [{ "name": "cert-rg", "location": "westeurope" }]
  }]
}
JSON
}

@test "a certificate principal signs an RS256 assertion" {
  make_cert_seed "${BATS_TEST_TMPDIR}"
  emu_start -v --seed "${BATS_TEST_TMPDIR}/seed.json"
  unset AZURE_CLIENT_SECRET
  export AZURE_CLIENT_CERTIFICATE_PATH="${BATS_TEST_TMPDIR}/sp.pem"
  assert_equal "${AZURE_CLIENT_ID}" 7d2f6a50-3c9b-4f0e-8e1a-2b3c4d5e6f70
  run -0 --separate-stderr amlretrain --debug login
  jq -e '.source == "clientCertificate"
    and .tenantId == "0c5b1b8e-5d0c-4a8e-9a4e-5e3f3f0a1b2c"
    and .objectId == "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"' <<<"${output}"
  assert_regex "${stderr}" 'client_assertion=REDACTED'
  refute_secrets "$(sed -n '2p' "${BATS_TEST_TMPDIR}/key.pem")" 'eyJ'
  assert_equal "$(token_requests "${EMU_STDERR}")" 1
}

@test "a certificate with an encrypted key needs its password" {
  make_cert_seed "${BATS_TEST_TMPDIR}" 'c3rt pass!'
  emu_start --seed "${BATS_TEST_TMPDIR}/seed.json"
  unset AZURE_CLIENT_SECRET
  export AZURE_CLIENT_CERTIFICATE_PATH="${BATS_TEST_TMPDIR}/sp.pem"
  export AZURE_CLIENT_CERTIFICATE_PASSWORD='c3rt pass!'
  run -0 amlretrain login
  jq -e '.source == "clientCertificate"' <<<"${output}"
  rm -rf -- "${CACHE_DIR}"
  export AZURE_CLIENT_CERTIFICATE_PASSWORD=wrong
  run -2 --separate-stderr amlretrain login
  assert_output ''
  assert_regex "${stderr}" "wrong password"
  refute_secrets 'c3rt pass!'
}

@test "a certificate the tenant does not know exits 3" {
  make_cert_seed "${BATS_TEST_TMPDIR}"
  emu_start --seed "${BATS_TEST_TMPDIR}/seed.json"
  # Another certificate, same principal: its thumbprint is unknown.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "${BATS_TEST_TMPDIR}/k2" \
    -out "${BATS_TEST_TMPDIR}/c2" -subj /CN=other -days 1 2>/dev/null
  cat "${BATS_TEST_TMPDIR}/k2" "${BATS_TEST_TMPDIR}/c2" \
    >"${BATS_TEST_TMPDIR}/other.pem"
  unset AZURE_CLIENT_SECRET
  export AZURE_CLIENT_CERTIFICATE_PATH="${BATS_TEST_TMPDIR}/other.pem"
  run -3 --separate-stderr amlretrain --error-format json login
  jq -e '.error.exitCode == 3 and .error.code == "invalid_client"
    and (.error.message | startswith("AADSTS"))' <<<"$(last_stderr_line)"
}

@test "AMLR_ACCESS_TOKEN is used as given: no token request" {
  local before token
  before="$(token_requests "${LOGIN_EMU_LOG}")"
  token="$(fake_jwt '{"tid":"t-1","oid":"o-1","appid":"a-1","exp":4070908800}')"
  AMLR_ACCESS_TOKEN="${token}" run -0 --separate-stderr amlretrain login
  jq -e '.source == "accessToken"
    and .sourceDescription == "access token (AMLR_ACCESS_TOKEN)"
    and .tenantId == "t-1" and .objectId == "o-1" and .clientId == "a-1"
    and .expiresOn == "2099-01-01T00:00:00Z"' <<<"${output}"
  refute_secrets "${token}"
  assert_equal "$(token_requests "${LOGIN_EMU_LOG}")" "${before}"
  assert_file_not_exists "${CACHE_FILE}"
}

@test "an expired AMLR_ACCESS_TOKEN exits 3" {
  AMLR_ACCESS_TOKEN="$(fake_jwt '{"exp":1000000000}')" \
    run -3 --separate-stderr amlretrain login
  assert_equal "${stderr}" \
    'amlretrain: the access token given expired at 2001-09-09T01:46:40Z'
}

@test "--token-file reads the token from a file" {
  local token
  token="$(fake_jwt '{"tid":"t-2","exp":4070908800}')"
  printf '%s\n' "${token}" >"${BATS_TEST_TMPDIR}/token"
  chmod 0600 "${BATS_TEST_TMPDIR}/token"
  AMLR_ACCESS_TOKEN=ignored run -0 --separate-stderr amlretrain login \
    --token-file "${BATS_TEST_TMPDIR}/token"
  jq -e '.sourceDescription == "access token (--token-file)"
    and .tenantId == "t-2"' <<<"${output}"
  refute_secrets "${token}"
  run -2 --separate-stderr amlretrain login \
    --token-file "${BATS_TEST_TMPDIR}/missing"
  assert_output ''
  assert_regex "${stderr}" "^amlretrain: cannot open '.*/missing'"
  : >"${BATS_TEST_TMPDIR}/empty"
  run -2 --separate-stderr amlretrain login \
    --token-file "${BATS_TEST_TMPDIR}/empty"
  assert_regex "${stderr}" "token file '.*/empty' is empty"
}

# An `az` that records its arguments and prints $1, or fails printing $2.
fake_az() {
  mkdir -p "${BATS_TEST_TMPDIR}/bin"
  printf '%s\n' "$1" >"${BATS_TEST_TMPDIR}/az.out"
  printf '%s' "${2:-}" >"${BATS_TEST_TMPDIR}/az.err"
  cat >"${BATS_TEST_TMPDIR}/bin/az" <<SH
#!/bin/sh
d='${BATS_TEST_TMPDIR}'
printf '%s\\n' "\$@" >"\$d/az.args"
if [ -s "\$d/az.err" ]; then cat "\$d/az.err" >&2; echo >&2; exit 1; fi
cat "\$d/az.out"
SH
  chmod 0755 "${BATS_TEST_TMPDIR}/bin/az"
  PATH="${BATS_TEST_TMPDIR}/bin:${PATH}"
}

# Nothing of the emulator's settings: only what the test sets.
forget_emulator() {
  unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET \
    AZURE_AUTHORITY_HOST AMLR_ARM_ENDPOINT IDENTITY_ENDPOINT IDENTITY_HEADER
}

@test "the Azure CLI's sign-in: az account get-access-token" {
  local token
  forget_emulator
  token="$(fake_jwt '{"tid":"az-tenant","oid":"az-user","exp":4070908800}')"
  fake_az "{\"accessToken\":\"${token}\",\"expiresOn\":\"2099-01-01 00:00:00.000000\",\"expires_on\":4070908800,\"subscription\":\"s\",\"tenant\":\"az-tenant\",\"tokenType\":\"Bearer\"}"
  run -0 --separate-stderr amlretrain login
  jq -e '.source == "azureCli" and .sourceDescription == "Azure CLI"
    and .tenantId == "az-tenant" and .objectId == "az-user"
    and .cloud == "AzureCloud"
    and .expiresOn == "2099-01-01T00:00:00Z"' <<<"${output}"
  refute_secrets "${token}"
  assert_equal "$(cat "${BATS_TEST_TMPDIR}/az.args")" "$(printf '%s\n' \
    account get-access-token --output json --resource \
    https://management.azure.com/)"
}

@test "the Azure CLI not signed in: exit 3 with az's message" {
  forget_emulator
  fake_az '' "ERROR: Please run 'az login' to setup account."
  export AZURE_TOKEN_CREDENTIALS=AzureCliCredential
  run -3 --separate-stderr amlretrain login
  assert_equal "${stderr}" \
    "amlretrain: azure cli: ERROR: Please run 'az login' to setup account."
}

@test "no credentials at all: exit 3, one line naming the settings" {
  forget_emulator
  # Only amlretrain on PATH: no az to fall back on.
  run -3 --separate-stderr env PATH="${AMLR_BUILD}/bin" amlretrain \
    --error-format json login
  assert_output ''
  jq -e '.error.exitCode == 3 and .error.category == "Auth"
    and (.error.message | startswith("no credentials found: "))
    and (.error.message | contains("AZURE_CLIENT_SECRET"))' \
    <<<"$(last_stderr_line)"
}

@test "AZURE_TOKEN_CREDENTIALS restricts the chain; a bad value exits 2" {
  export AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential
  unset AZURE_CLIENT_ID
  run -0 amlretrain login
  jq -e '.source == "managedIdentity"' <<<"${output}"
  export AZURE_TOKEN_CREDENTIALS=sometimes
  run -2 --separate-stderr amlretrain login
  assert_regex "${stderr}" "^amlretrain: invalid AZURE_TOKEN_CREDENTIALS 'sometimes'"
}

@test "account show before any login acquires one token, then caches it" {
  local before
  before="$(token_requests "${LOGIN_EMU_LOG}")"
  run -0 --separate-stderr amlretrain account show
  jq -e --arg arm "${AMLR_ARM_ENDPOINT}" --arg c "${CACHE_FILE}" '
    .fromCache == false and .source == "clientSecret"
    and .resourceManager == $arm and .authorityHost == $arm
    and .tokenCache == $c and .objectId != null' <<<"${output}"
  assert_equal "$(token_requests "${LOGIN_EMU_LOG}")" "$((before + 1))"
  run -0 --separate-stderr amlretrain account show -o tsv
  assert_regex "${output}" $'^clientSecret\t'
  assert_regex "${output}" $'\ttrue$'
  refute_secrets "${AZURE_CLIENT_SECRET}" 'eyJ'
}

@test "account: --help, and an unknown verb exits 2" {
  run -0 amlretrain account show --help
  assert_line --index 0 'usage: amlretrain account show [--resource URL] [options]'
  run -2 --separate-stderr amlretrain account list
  assert_equal "${stderr_lines[0]}" "amlretrain: unknown verb 'list'"
}

@test "--cloud: built-in names, a profile file, the emulator's env file" {
  local token
  token="$(fake_jwt '{"tid":"t","exp":4070908800}')"
  unset AZURE_AUTHORITY_HOST AMLR_ARM_ENDPOINT
  AMLR_ACCESS_TOKEN="${token}" run -0 amlretrain --cloud azurechinacloud \
    account show
  jq -e '.cloud == "AzureChinaCloud"
    and .authorityHost == "https://login.chinacloudapi.cn/"
    and .resourceManager == "https://management.chinacloudapi.cn/"' \
    <<<"${output}"
  AMLR_CLOUD=AzureUSGovernment AMLR_ACCESS_TOKEN="${token}" run -0 \
    amlretrain account show
  jq -e '.resource == "https://management.usgovcloudapi.net/"' <<<"${output}"
  # A profile: the emulator's endpoints under a name of our own.
  printf '{"name":"Lab","authorityHost":"%s","resourceManager":"%s"}\n' \
    "${AMLR_EMULATOR_URL}" "${AMLR_EMULATOR_URL}" >"${BATS_TEST_TMPDIR}/lab.json"
  run -0 --separate-stderr amlretrain login \
    --cloud "${BATS_TEST_TMPDIR}/lab.json"
  jq -e '.cloud == "Lab" and .source == "clientSecret"
    and .resource == "'"${AMLR_EMULATOR_URL}"'/"' <<<"${output}"
  # The emulator's exports as a profile.
  rm -rf -- "${CACHE_DIR}"
  run -0 --separate-stderr amlretrain --cloud "${LOGIN_ENV}" login
  jq -e '.cloud == "Custom" and .source == "clientSecret"' <<<"${output}"
  run -2 --separate-stderr amlretrain --cloud Nowhere login
  assert_equal "${stderr}" "amlretrain: unknown cloud 'Nowhere' (expected AzureCloud, AzureChinaCloud, AzureUSGovernment, or a profile file)"
  printf '{"name":"x"}' >"${BATS_TEST_TMPDIR}/bad.json"
  run -2 --separate-stderr amlretrain --cloud "${BATS_TEST_TMPDIR}/bad.json" \
    login
  assert_regex "${stderr}" "missing 'authorityHost'"
}

@test "a wrong secret fails even when the right one's token is cached" {
  run -0 amlretrain login
  jq -e '(.tokens | length) == 1' "${CACHE_FILE}"
  AZURE_CLIENT_SECRET='not-the-secret' run -3 --separate-stderr amlretrain login
  assert_regex "${stderr}" 'AADSTS7000215'
  # The right one is still served from the cache.
  run -0 amlretrain login
}
