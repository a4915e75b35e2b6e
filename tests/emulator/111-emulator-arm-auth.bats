#!/usr/bin/env bats
# Resource Manager's bearer-token check in amlretrain-emulator (auth.c):
# missing, malformed, forged, expired, wrong-audience and other-tenant
# tokens, principals without a role, unknown subscriptions.  ARM's
# envelope and WWW-Authenticate challenge: ../shared/reference/notes/
# auth-storage.md §2 and arm-webservices.md §9 (401 for a missing or bad
# token).  Resource: the web services list of the seed's resource group.
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

OTHER_TENANT='4ce1b6f4-8110-48e9-bba9-a8efe4c032a5'
OTHER_CLIENT='b84d5f36-897d-454b-b6bd-6cc883262a57'
OTHER_SUB='06ced51f-c552-4917-a701-8a8b0322fb77'
NO_ACCESS_CLIENT='e160ea12-44b1-4fc1-840f-b8a139118477'
NO_ACCESS_OBJECT='d927f005-8412-4384-97ff-acca3f13c362'
READER_MI_CLIENT='53d8668c-1811-4ae7-a3a6-2e068b44e26c'
READER_MI_OBJECT='b5daac1c-4508-4b4e-ab6b-54aa86ab0a2e'
API='api-version=2017-01-01'

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --managed-identity
}

teardown_file() {
  emu_stop
  assert_file_empty "${EMU_STDERR}"
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # common.bash unsets AZURE_CLIENT_SECRET; the emulator's is wanted here.
  # shellcheck source=/dev/null
  source "${BATS_FILE_TMPDIR}/emu.env"
  set_paths
}

teardown() {
  emu_stop # only an emulator this test started
}

# The paths of the seed's web services list, in its subscription and in
# the other tenant's.
set_paths() {
  LIST="/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/${AMLR_RESOURCE_GROUP}/providers/Microsoft.MachineLearning/webServices"
  OTHER_LIST="/subscriptions/${OTHER_SUB}/resourceGroups/fabrikam-rg/providers/Microsoft.MachineLearning/webServices"
}

b64url() {
  base64 -w0 | tr '+/' '-_' | tr -d '='
}

b64url_decode() {
  local s="$1"
  s="${s//-/+}"
  s="${s//_//}"
  while ((${#s} % 4)); do
    s+='='
  done
  printf '%s' "${s}" | base64 -d
}

# Request with curl; the status goes to $status_code, headers and body to
# files in the test's directory.  Arguments: curl arguments
http() {
  status_code="$(curl -sS -o "${BATS_TEST_TMPDIR}/body" \
    -D "${BATS_TEST_TMPDIR}/headers" -w '%{http_code}' "$@")"
}

# The value of response header $1 from the last http call ("" if absent).
header() {
  local name value
  while IFS=: read -r name value; do
    if [[ "${name,,}" == "${1,,}" ]]; then
      value="${value# }"
      printf '%s\n' "${value%$'\r'}"
      return 0
    fi
  done <"${BATS_TEST_TMPDIR}/headers"
  printf '\n'
}

# A token by client credentials (v1), printed.  The form goes through a
# file: the secret never reaches a command line.
# Arguments: tenant, client id, secret, resource (default ARM's)
token() {
  local form="${BATS_TEST_TMPDIR}/form"
  {
    printf 'grant_type=client_credentials&client_id=%s&resource=' "$2"
    printf '%s' "${4:-https://management.azure.com/}" | jq -sRj '@uri'
    printf '&client_secret='
    printf '%s' "$3" | jq -sRj '@uri'
  } >"${form}"
  curl -sS --data-binary "@${form}" \
    "${AMLR_EMULATOR_URL}/$1/oauth2/token" | jq -er .access_token
}

# A token of the seed's exported service principal.
# Arguments: resource (default ARM's)
my_token() {
  token "${AZURE_TENANT_ID}" "${AZURE_CLIENT_ID}" "${AZURE_CLIENT_SECRET}" "$@"
}

# GET (or METHOD $3) path $1 with Authorization header value $2 (none if
# empty), the header passed in a file.  Extra curl arguments after $3.
arm() {
  local path="$1" auth="$2" method="${3:-GET}" hdr="${BATS_TEST_TMPDIR}/auth"
  shift 3 2>/dev/null || shift $#
  local -a args=(-X "${method}")
  if [[ -n "${auth}" ]]; then
    printf 'Authorization: %s\n' "${auth}" >"${hdr}"
    args+=(-H "@${hdr}")
  fi
  http "${args[@]}" "$@" "${AMLR_EMULATOR_URL}${path}?${API}"
}

# Assert the last answer is ARM's error $2 with HTTP status $1.
assert_arm_error() {
  assert_equal "${status_code}" "$1"
  jq -e --arg c "$2" '.error.code == $c and (.error.message | length > 0)' \
    "${BATS_TEST_TMPDIR}/body" || {
    cat -- "${BATS_TEST_TMPDIR}/body" >&2
    return 1
  }
  [[ -n "$(header x-ms-request-id)" ]]
}

# Assert the challenge ARM sends with a 401: authority of tenant $1 and
# error description $2.
assert_challenge() {
  assert_equal "$(header WWW-Authenticate)" \
    "Bearer authorization_uri=\"${AMLR_EMULATOR_URL}/$1\", error=\"invalid_token\", error_description=\"$2\""
}

@test "a valid token of a Contributor is admitted" {
  arm "${LIST}" "Bearer $(my_token)"
  assert_equal "${status_code}" 200
  jq -e '.value | type == "array"' "${BATS_TEST_TMPDIR}/body"
  assert_equal "$(header WWW-Authenticate)" ''
}

@test "the scheme is case-insensitive, as in HTTP" {
  arm "${LIST}" "bearer $(my_token)"
  assert_equal "${status_code}" 200
}

@test "no token: 401 AuthenticationFailed with ARM's challenge" {
  arm "${LIST}" ''
  assert_arm_error 401 AuthenticationFailed
  jq -e '.error.message == "Authentication failed. The '"'"'Authorization'"'"' header is missing."' \
    "${BATS_TEST_TMPDIR}/body"
  assert_challenge "${AZURE_TENANT_ID}" \
    "The authentication failed because of missing 'Authorization' header."
}

@test "another scheme: 401 AuthenticationFailed, invalid format" {
  arm "${LIST}" "Basic $(printf 'a:b' | base64)"
  assert_arm_error 401 AuthenticationFailed
  jq -e '.error.message | contains("invalid format")' "${BATS_TEST_TMPDIR}/body"
  [[ "$(header WWW-Authenticate)" == 'Bearer authorization_uri='* ]]
}

@test "malformed tokens: 401 InvalidAuthenticationToken" {
  local t
  for t in 'abc' 'a.b' 'a.b.c.d' '!!!.@@@.###' \
    "$(printf '[1]' | b64url).$(printf '{}' | b64url).c2ln" \
    "$(printf '{"alg":"RS256"}' | b64url).$(printf 'nope' | b64url).c2ln"; do
    arm "${LIST}" "Bearer ${t}"
    assert_arm_error 401 InvalidAuthenticationToken
    assert_challenge "${AZURE_TENANT_ID}" 'The access token is invalid.'
  done
  arm "${LIST}" 'Bearer '
  assert_equal "${status_code}" 401
}

@test "a token whose claims were changed: 401 InvalidAuthenticationToken" {
  local t head claims sig
  t="$(my_token)"
  head="${t%%.*}"
  sig="${t##*.}"
  claims="${t#*.}"
  claims="$(b64url_decode "${claims%%.*}" |
    jq -c '.oid = "00000000-0000-0000-0000-000000000000"' | b64url)"
  arm "${LIST}" "Bearer ${head}.${claims}.${sig}"
  assert_arm_error 401 InvalidAuthenticationToken
  # The original still works: only the forgery was refused.
  arm "${LIST}" "Bearer ${t}"
  assert_equal "${status_code}" 200
}

@test "a token signed by another key, or unsigned: 401 InvalidAuthenticationToken" {
  local t input key="${BATS_TEST_TMPDIR}/other.key" sig none
  t="$(my_token)"
  input="${t%.*}"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "${key}" 2>/dev/null
  sig="$(printf '%s' "${input}" | openssl dgst -sha256 -sign "${key}" -binary |
    b64url)"
  arm "${LIST}" "Bearer ${input}.${sig}"
  assert_arm_error 401 InvalidAuthenticationToken
  none="$(printf '{"alg":"none","typ":"JWT"}' | b64url).${input#*.}."
  arm "${LIST}" "Bearer ${none}"
  assert_arm_error 401 InvalidAuthenticationToken
}

@test "an expired token: 401 ExpiredAuthenticationToken" {
  local t
  # Lifetimes are whole seconds: with 2 the token is valid for at least
  # one, long enough to see it admitted first.
  emu_start --token-lifetime 2
  set_paths
  t="$(my_token)"
  arm "${LIST}" "Bearer ${t}"
  assert_equal "${status_code}" 200
  sleep 3
  arm "${LIST}" "Bearer ${t}"
  assert_arm_error 401 ExpiredAuthenticationToken
  jq -e '.error.message | test("^The access token expiry UTC time '"'"'[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2} (AM|PM)'"'"' is earlier than current UTC time '"'"'[^'"'"']+'"'"'[.]$")' \
    "${BATS_TEST_TMPDIR}/body"
  assert_challenge "${AZURE_TENANT_ID}" 'The access token has expired.'
}

@test "tokens stay valid across a restart with the same state directory" {
  local t
  emu_start
  set_paths
  t="$(my_token)"
  emu_stop
  emu_start
  arm "${LIST}" "Bearer ${t}"
  assert_equal "${status_code}" 200
}

@test "a Storage token: 401 InvalidAuthenticationTokenAudience" {
  arm "${LIST}" "Bearer $(my_token https://storage.azure.com/)"
  assert_arm_error 401 InvalidAuthenticationTokenAudience
  jq -e '.error.message | startswith("The access token has been obtained for wrong audience or resource '"'"'https://storage.azure.com/'"'"'.")' \
    "${BATS_TEST_TMPDIR}/body"
  [[ "$(header WWW-Authenticate)" == "Bearer authorization_uri=\"${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}\", error=\"invalid_token\", error_description=\"The access token has been obtained for wrong audience"* ]]
}

@test "every Resource Manager audience is accepted" {
  local r
  for r in https://management.azure.com/ https://management.azure.com \
    https://management.core.windows.net/ "${AMLR_ARM_ENDPOINT}"; do
    arm "${LIST}" "Bearer $(my_token "${r}")"
    assert_equal "${status_code}" 200
  done
}

@test "another tenant's token: 401 InvalidAuthenticationTokenTenant pointing at the right tenant" {
  local t
  t="$(token "${OTHER_TENANT}" "${OTHER_CLIENT}" \
    fB28Q~other.tenant_principal-NotForProduct)"
  arm "${LIST}" "Bearer ${t}"
  assert_arm_error 401 InvalidAuthenticationTokenTenant
  jq -e --arg u "${AMLR_EMULATOR_URL}" --arg o "${OTHER_TENANT}" \
    --arg t "${AZURE_TENANT_ID}" '.error.message | startswith(
      "The access token is from the wrong issuer '"'"'\($u)/\($o)/'"'"'. It must match the tenant '"'"'\($u)/\($t)/'"'"' associated with this subscription.")' \
    "${BATS_TEST_TMPDIR}/body"
  assert_challenge "${AZURE_TENANT_ID}" \
    'The access token is from the wrong issuer.'
  # In its own tenant's subscription the same token is admitted.
  arm "${OTHER_LIST}" "Bearer ${t}"
  assert_equal "${status_code}" 200
  # And the first tenant's principal is refused there.
  arm "${OTHER_LIST}" "Bearer $(my_token)"
  assert_arm_error 401 InvalidAuthenticationTokenTenant
  assert_challenge "${OTHER_TENANT}" 'The access token is from the wrong issuer.'
}

@test "a principal without a role: 403 AuthorizationFailed naming action and scope" {
  local t
  t="$(token "${AZURE_TENANT_ID}" "${NO_ACCESS_CLIENT}" \
    nA78Q~no.access_principal-NotForProduction)"
  arm "${LIST}" "Bearer ${t}"
  assert_arm_error 403 AuthorizationFailed
  jq -e --arg o "${NO_ACCESS_OBJECT}" --arg s "${LIST}" '.error.message ==
    "The client '"'"'\($o)'"'"' with object id '"'"'\($o)'"'"' does not have authorization to perform action '"'"'Microsoft.MachineLearning/webServices/read'"'"' over scope '"'"'\($s)'"'"' or the scope is invalid. If access was recently granted, please refresh your credentials."' \
    "${BATS_TEST_TMPDIR}/body"
  assert_equal "$(header WWW-Authenticate)" ''
}

@test "a Reader may read but not write (403 .../webServices/write)" {
  local hdr="${BATS_TEST_TMPDIR}/identity-header" t
  printf 'X-IDENTITY-HEADER: %s\n' "${IDENTITY_HEADER}" >"${hdr}"
  t="$(curl -sS -H "@${hdr}" \
    "${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://management.azure.com/&client_id=${READER_MI_CLIENT}" |
    jq -er .access_token)"
  arm "${LIST}" "Bearer ${t}"
  assert_equal "${status_code}" 200
  arm "${LIST}/ws1" "Bearer ${t}" PUT -H 'Content-Type: application/json' \
    --data '{}'
  assert_arm_error 403 AuthorizationFailed
  jq -e --arg o "${READER_MI_OBJECT}" '.error.message | contains(
    "'"'"'\($o)'"'"' does not have authorization to perform action '"'"'Microsoft.MachineLearning/webServices/write'"'"' over scope")' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "the system managed identity (Contributor) is admitted" {
  local hdr="${BATS_TEST_TMPDIR}/identity-header" t
  printf 'X-IDENTITY-HEADER: %s\n' "${IDENTITY_HEADER}" >"${hdr}"
  t="$(curl -sS -H "@${hdr}" \
    "${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://management.azure.com/" |
    jq -er .access_token)"
  arm "${LIST}" "Bearer ${t}"
  assert_equal "${status_code}" 200
}

@test "a certificate principal's token is checked like any other" {
  local dir="${BATS_TEST_TMPDIR}" client=9b4c1f0e-6a2d-4e8b-a7c3-5d1e2f3a4b5c
  local now thumb header claims input sig aud form="${BATS_TEST_TMPDIR}/form"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "${dir}/c.key" \
    -out "${dir}/c.pem" -days 2 -subj /CN=arm-auth 2>/dev/null
  # shellcheck disable=SC2016 # $names are jq's
  emu_seed '
    .servicePrincipals += [{tenantId: $t, clientId: $c,
      objectId: "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f",
      certificates: [{file: "c.pem"}]}]
    | .subscriptions[0].roleAssignments += [{
      principalId: "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f",
      roleDefinitionName: "Owner"}]' \
    --arg c "${client}" --arg t "${AZURE_TENANT_ID}" >"${dir}/seed.json"
  emu_start --seed "${dir}/seed.json"
  set_paths
  aud="${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/token"
  now="$(date +%s)"
  thumb="$(openssl x509 -in "${dir}/c.pem" -outform DER |
    openssl dgst -sha1 -binary | b64url)"
  header="$(jq -cn --arg t "${thumb}" '{alg: "RS256", typ: "JWT", x5t: $t}')"
  claims="$(jq -cn --arg aud "${aud}" --arg c "${client}" --argjson n "${now}" \
    '{aud: $aud, iss: $c, sub: $c, jti: "j-\($n)", nbf: $n, exp: ($n + 600)}')"
  input="$(printf '%s' "${header}" | b64url).$(printf '%s' "${claims}" | b64url)"
  sig="$(printf '%s' "${input}" | openssl dgst -sha256 -sign "${dir}/c.key" \
    -binary | b64url)"
  {
    printf 'grant_type=client_credentials&client_id=%s' "${client}"
    printf '&resource=https%%3A%%2F%%2Fmanagement.azure.com%%2F'
    printf '&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer'
    printf '&client_assertion=%s.%s' "${input}" "${sig}"
  } >"${form}"
  arm "${LIST}" "Bearer $(curl -sS --data-binary "@${form}" "${aud}" |
    jq -er .access_token)"
  assert_equal "${status_code}" 200
}

@test "an unknown subscription: 404 SubscriptionNotFound" {
  local sub=11111111-2222-3333-4444-555555555555
  arm "/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.MachineLearning/webServices" \
    "Bearer $(my_token)"
  assert_arm_error 404 SubscriptionNotFound
  jq -e --arg s "${sub}" '.error.message == "The subscription '"'"'\($s)'"'"' could not be found."' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "the token is checked before the subscription is looked up" {
  arm "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.MachineLearning/webServices" ''
  assert_arm_error 401 AuthenticationFailed
}

@test "outside a subscription (operations list) any valid token will do" {
  local t
  t="$(token "${AZURE_TENANT_ID}" "${NO_ACCESS_CLIENT}" \
    nA78Q~no.access_principal-NotForProduction)"
  arm /providers/Microsoft.MachineLearning/operations "Bearer ${t}"
  assert_equal "${status_code}" 200
  arm /providers/Microsoft.MachineLearning/operations ''
  assert_arm_error 401 AuthenticationFailed
}
