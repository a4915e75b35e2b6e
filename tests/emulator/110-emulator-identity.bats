#!/usr/bin/env bats
# amlretrain-emulator's Entra ID stand-in: token endpoints (secret and
# certificate credentials), discovery, managed identity, seed, exports.
# Shapes and codes: ../shared/reference/notes/auth-storage.md §1.2 (v1/v2
# responses and errors), §1.3 (client assertions), §1.6 (App Service
# managed identity), §1.7 (environment names).
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

GUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
DEFAULT_SEED_TENANT='6f577a24-dae7-49b1-b84a-efe3b6148402'
SYSTEM_MI_CLIENT='124419b2-234d-4ce2-8f15-74b03730a184'
USER_MI_CLIENT='53d8668c-1811-4ae7-a3a6-2e068b44e26c'
USER_MI_OBJECT='b5daac1c-4508-4b4e-ab6b-54aa86ab0a2e'
CERT_CLIENT='9b4c1f0e-6a2d-4e8b-a7c3-5d1e2f3a4b5c'
CERT_OBJECT='0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f'
PEM_CLIENT='3e5f7a9b-1c2d-4e6f-8a0b-2c4d6e8f0a1b'

# base64url without padding, of standard input.
b64url() {
  base64 -w0 | tr '+/' '-_' | tr -d '='
}

# Decode base64url $1 (without padding) to standard output.
b64url_decode() {
  local s="$1"
  s="${s//-/+}"
  s="${s//_//}"
  while ((${#s} % 4)); do
    s+='='
  done
  printf '%s' "${s}" | base64 -d
}

# The claims (part 2) of JWT $1, as JSON.
jwt_claims() {
  local rest="${1#*.}"
  b64url_decode "${rest%%.*}"
}

# The header (part 1) of JWT $1, as JSON.
jwt_header() {
  b64url_decode "${1%%.*}"
}

# Make a self-signed RSA certificate and key: $1.pem and $1.key.
make_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" \
    -out "$1.pem" -days 2 -subj "/CN=$(basename "$1")" 2>/dev/null
}

# A client assertion signed with key $1 for certificate $2, audience $3,
# client id $4.  Variations through globals: A_ALG (RS256, PS256 or none),
# A_THUMB (x5t or x5t#S256), A_EXP and A_NBF (seconds from now), A_JTI,
# A_ISS (default: the client id).
assertion() {
  local key="$1" cert="$2" aud="$3" client="$4" now thumb header claims
  local input sig='' digest=sha1
  local alg="${A_ALG:-RS256}" kind="${A_THUMB:-x5t}"
  now="$(date +%s)"
  [[ "${kind}" == 'x5t#S256' ]] && digest=sha256
  thumb="$(openssl x509 -in "${cert}" -outform DER |
    openssl dgst "-${digest}" -binary | b64url)"
  header="$(jq -cn --arg alg "${alg}" --arg k "${kind}" --arg t "${thumb}" \
    '{alg: $alg, typ: "JWT"} + {($k): $t}')"
  claims="$(jq -cn --arg aud "${aud}" --arg iss "${A_ISS:-${client}}" \
    --arg sub "${client}" --arg jti "${A_JTI-$(cat /proc/sys/kernel/random/uuid)}" \
    --argjson now "${now}" --argjson exp "${A_EXP:-600}" \
    --argjson nbf "${A_NBF:-0}" \
    '{aud: $aud, iss: $iss, sub: $sub, jti: $jti, nbf: ($now + $nbf),
      iat: $now, exp: ($now + $exp)}')"
  input="$(printf '%s' "${header}" | b64url).$(printf '%s' "${claims}" | b64url)"
  case "${alg}" in
  RS256)
    sig="$(printf '%s' "${input}" |
      openssl dgst -sha256 -sign "${key}" -binary | b64url)"
    ;;
  PS256)
    sig="$(printf '%s' "${input}" |
      openssl dgst -sha256 -sign "${key}" -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:32 -binary | b64url)"
    ;;
  esac
  printf '%s.%s\n' "${input}" "${sig}"
}

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  local dir="${BATS_FILE_TMPDIR}"
  # The default seed plus two certificate principals: one whose
  # certificate is a file beside the seed, one given inline as PEM.
  mkdir -p "${dir}/certs"
  make_cert "${dir}/certs/principal"
  make_cert "${dir}/certs/inline"
  make_cert "${dir}/certs/stranger"
  # shellcheck disable=SC2016 # $names are jq's
  emu_seed '
    .servicePrincipals += [
      {tenantId: $t, clientId: $c, objectId: $o,
       displayName: "amlretrain-cert",
       certificates: [{file: "certs/principal.pem"}]},
      {tenantId: $t, clientId: $p,
       objectId: "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918",
       certificates: [{pem: $pem}]}]' \
    --arg c "${CERT_CLIENT}" --arg o "${CERT_OBJECT}" \
    --arg p "${PEM_CLIENT}" --rawfile pem "${dir}/certs/inline.pem" \
    --arg t "${DEFAULT_SEED_TENANT}" >"${dir}/seed.json"
  emu_start --seed "${dir}/seed.json" --managed-identity
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
  CERTS="${BATS_FILE_TMPDIR}/certs"
  TOKEN_V1="${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/token"
  TOKEN_V2="${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/v2.0/token"
}

teardown() {
  emu_stop # only an emulator this test started
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

# POST a form of NAME=VALUE arguments to URL $1, values percent-encoded;
# arguments after `--` go to curl.  The form goes through a file: secrets
# never reach a command line.
post_form() {
  local url="$1" form="${BATS_TEST_TMPDIR}/form" kv sep=''
  shift
  : >"${form}"
  while (($# > 0)) && [[ "$1" != -- ]]; do
    kv="$1"
    shift
    printf '%s%s=' "${sep}" "${kv%%=*}" >>"${form}"
    printf '%s' "${kv#*=}" | jq -sRj '@uri' >>"${form}"
    sep='&'
  done
  (($# == 0)) || shift
  http -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "@${form}" "$@" "${url}"
}

# Client credentials with the exported secret; extra NAME=VALUE arguments.
# Arguments: URL, then form fields
secret_token() {
  local url="$1"
  shift
  post_form "${url}" grant_type=client_credentials \
    "client_id=${AZURE_CLIENT_ID}" "client_secret=${AZURE_CLIENT_SECRET}" "$@"
}

# Assert the last answer is Entra's error $2 (HTTP $1) with AADSTS code $3.
assert_entra_error() {
  local body="${BATS_TEST_TMPDIR}/body"
  assert_equal "${status_code}" "$1"
  jq -e --arg e "$2" --argjson c "$3" '
    .error == $e and .error_codes == [$c]
    and (.error_description | startswith("AADSTS\($c): "))
    and (.error_description | test("\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
    and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
    and (.trace_id | type == "string") and (.correlation_id | type == "string")
    and .error_uri == "'"${AMLR_EMULATOR_URL}"'/error?code=\($c)"
    and (keys == ["correlation_id","error","error_codes","error_description","error_uri","timestamp","trace_id"])' \
    "${body}" || {
    cat -- "${body}" >&2
    return 1
  }
}

@test "v1 token: Entra's v1 shape, numbers as strings, the resource as asked" {
  secret_token "${TOKEN_V1}" resource=https://management.azure.com/
  assert_equal "${status_code}" 200
  jq -e '
    keys == ["access_token","expires_in","expires_on","ext_expires_in",
             "not_before","resource","token_type"]
    and .token_type == "Bearer" and .resource == "https://management.azure.com/"
    and (.expires_in | test("^[0-9]+$")) and .expires_in == "3600"
    and .ext_expires_in == "3600"
    and ((.expires_on | tonumber) - (.not_before | tonumber) == 3600)
    and (.access_token | split(".") | length == 3)' \
    "${BATS_TEST_TMPDIR}/body"
  assert_equal "$(header Cache-Control)" 'no-store, no-cache'
  [[ "$(header Content-Type)" == application/json* ]]
}

@test "v1 token: expires_on is about now plus the lifetime" {
  local before after on
  before="$(date +%s)"
  secret_token "${TOKEN_V1}" resource=https://management.core.windows.net/
  after="$(date +%s)"
  assert_equal "${status_code}" 200
  on="$(jq -r .expires_on "${BATS_TEST_TMPDIR}/body")"
  ((on >= before + 3600 && on <= after + 3600))
}

@test "v2 token: numbers, no v1 fields; the tenant may be its domain" {
  secret_token "${AMLR_EMULATOR_URL}/amlremulator.onmicrosoft.com/oauth2/v2.0/token" \
    scope=https://management.azure.com/.default
  assert_equal "${status_code}" 200
  jq -e '
    keys == ["access_token","expires_in","ext_expires_in","token_type"]
    and .token_type == "Bearer" and .expires_in == 3600
    and .ext_expires_in == 3600' "${BATS_TEST_TMPDIR}/body"
}

@test "access token: RS256 JWT with aud, iss, tid, oid, appid, iat, nbf, exp" {
  local token claims
  secret_token "${TOKEN_V2}" scope=https://management.azure.com/.default
  assert_equal "${status_code}" 200
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_header "${token}" | jq -e '.alg == "RS256" and .typ == "JWT"
    and (.kid | length > 0)'
  claims="$(jwt_claims "${token}")"
  jq -e --arg url "${AMLR_EMULATOR_URL}" --arg t "${AZURE_TENANT_ID}" \
    --arg c "${AZURE_CLIENT_ID}" '
    .aud == "https://management.azure.com"
    and .iss == "\($url)/\($t)/" and .tid == $t and .appid == $c
    and .oid == "ccc81484-2567-4331-b0c5-f36405f0f2c6" and .sub == .oid
    and .appidacr == "1" and .idtyp == "app"
    and (.iat | type == "number") and .nbf == .iat and .exp == .iat + 3600' \
    <<<"${claims}"
}

@test "access token: the signature verifies with the emulator's key (0600)" {
  local token pub
  secret_token "${TOKEN_V1}" resource=https://management.azure.com/
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  assert_equal "$(stat -c %a "${BATS_FILE_TMPDIR}/emu-state/identity-signing-key.pem")" 600
  pub="${BATS_TEST_TMPDIR}/pub.pem"
  openssl pkey -in "${BATS_FILE_TMPDIR}/emu-state/identity-signing-key.pem" \
    -pubout -out "${pub}"
  b64url_decode "${token##*.}" >"${BATS_TEST_TMPDIR}/sig"
  printf '%s' "${token%.*}" >"${BATS_TEST_TMPDIR}/input"
  run -0 openssl dgst -sha256 -verify "${pub}" \
    -signature "${BATS_TEST_TMPDIR}/sig" "${BATS_TEST_TMPDIR}/input"
  assert_output 'Verified OK'
}

@test "v2 token: aud is the scope's resource, trailing slash kept (//.default)" {
  local token
  secret_token "${TOKEN_V2}" 'scope=https://management.azure.com//.default'
  assert_equal "${status_code}" 200
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_claims "${token}" | jq -e '.aud == "https://management.azure.com/"'
  secret_token "${TOKEN_V2}" 'scope=https://storage.azure.com/.default'
  assert_equal "${status_code}" 200
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_claims "${token}" | jq -e '.aud == "https://storage.azure.com"'
}

@test "v2 token: MSAL's extra OpenID scopes are ignored" {
  secret_token "${TOKEN_V2}" \
    'scope=https://management.azure.com/.default offline_access openid profile'
  assert_equal "${status_code}" 200
}

@test "v1 token: the emulator's own URL is a Resource Manager resource" {
  local token
  secret_token "${TOKEN_V1}" "resource=${AMLR_ARM_ENDPOINT}"
  assert_equal "${status_code}" 200
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_claims "${token}" | jq -e --arg r "${AMLR_ARM_ENDPOINT}" '.aud == $r'
}

@test "unknown tenant: 400 invalid_request AADSTS90002" {
  secret_token "${AMLR_EMULATOR_URL}/nosuchtenant.onmicrosoft.com/oauth2/token" \
    resource=https://management.azure.com/
  assert_entra_error 400 invalid_request 90002
  jq -e '.error_description | contains("Tenant '"'"'nosuchtenant.onmicrosoft.com'"'"' not found")' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "unknown client: 400 unauthorized_client AADSTS700016 naming both" {
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    client_id=00000000-1111-2222-3333-444444444444 client_secret=x \
    scope=https://management.azure.com/.default
  assert_entra_error 400 unauthorized_client 700016
  jq -e '.error_description | startswith("AADSTS700016: Application with identifier '"'"'00000000-1111-2222-3333-444444444444'"'"' was not found in the directory '"'"'amlremulator.onmicrosoft.com'"'"'.")' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "a principal of another tenant is unknown in this one: AADSTS700016" {
  post_form "${TOKEN_V1}" grant_type=client_credentials \
    client_id=b84d5f36-897d-454b-b6bd-6cc883262a57 \
    client_secret=fB28Q~other.tenant_principal-NotForProduct \
    resource=https://management.azure.com/
  assert_entra_error 400 unauthorized_client 700016
}

@test "wrong secret: 401 invalid_client AADSTS7000215" {
  post_form "${TOKEN_V1}" grant_type=client_credentials \
    "client_id=${AZURE_CLIENT_ID}" "client_secret=${AZURE_CLIENT_SECRET}x" \
    resource=https://management.azure.com/
  assert_entra_error 401 invalid_client 7000215
  post_form "${TOKEN_V1}" grant_type=client_credentials \
    "client_id=${AZURE_CLIENT_ID}" "client_secret=${AZURE_CLIENT_SECRET%?}" \
    resource=https://management.azure.com/
  assert_entra_error 401 invalid_client 7000215
}

@test "the body is form-decoded: %XX for every byte works, '+' is a space" {
  local form="${BATS_TEST_TMPDIR}/raw-form" hex
  hex="$(printf '%s' "${AZURE_CLIENT_SECRET}" | od -An -tx1 | tr -d ' \n' |
    sed 's/../%&/g')"
  printf 'grant_type=client_credentials&client_id=%s&resource=%s&client_secret=%s' \
    "${AZURE_CLIENT_ID}" 'https%3A%2F%2Fmanagement.azure.com%2F' "${hex}" \
    >"${form}"
  http -X POST --data-binary "@${form}" "${TOKEN_V1}"
  assert_equal "${status_code}" 200
  # A client that does not encode: '+' in the body means a space.
  printf 'grant_type=client_credentials&client_id=%s&resource=%s&client_secret=%s' \
    "${AZURE_CLIENT_ID}" 'https%3A%2F%2Fmanagement.azure.com%2F' \
    "${AZURE_CLIENT_SECRET//./+}" >"${form}"
  http -X POST --data-binary "@${form}" "${TOKEN_V1}"
  assert_entra_error 401 invalid_client 7000215
}

@test "another grant type: 400 unsupported_grant_type AADSTS70003" {
  post_form "${TOKEN_V2}" grant_type=password "client_id=${AZURE_CLIENT_ID}" \
    scope=https://management.azure.com/.default
  assert_entra_error 400 unsupported_grant_type 70003
}

@test "missing parameters: 400 invalid_request AADSTS900144 naming each" {
  post_form "${TOKEN_V1}" "client_id=${AZURE_CLIENT_ID}"
  assert_entra_error 400 invalid_request 900144
  jq -e '.error_description | contains("parameter: '"'"'grant_type'"'"'.")' \
    "${BATS_TEST_TMPDIR}/body"
  post_form "${TOKEN_V1}" grant_type=client_credentials
  assert_entra_error 400 invalid_request 900144
  jq -e '.error_description | contains("'"'"'client_id'"'"'")' \
    "${BATS_TEST_TMPDIR}/body"
  secret_token "${TOKEN_V1}"
  assert_entra_error 400 invalid_request 900144
  jq -e '.error_description | contains("'"'"'resource'"'"'")' \
    "${BATS_TEST_TMPDIR}/body"
  secret_token "${TOKEN_V2}"
  assert_entra_error 400 invalid_request 900144
  jq -e '.error_description | contains("'"'"'scope'"'"'")' \
    "${BATS_TEST_TMPDIR}/body"
  http -X POST "${TOKEN_V2}"
  assert_entra_error 400 invalid_request 900144
}

@test "a scope without /.default, or two resources: 400 invalid_scope AADSTS70011" {
  secret_token "${TOKEN_V2}" scope=https://management.azure.com/user_impersonation
  assert_entra_error 400 invalid_scope 70011
  secret_token "${TOKEN_V2}" \
    'scope=https://management.azure.com/.default https://storage.azure.com/.default'
  assert_entra_error 400 invalid_scope 70011
}

@test "an unknown resource: 400 invalid_resource AADSTS500011" {
  secret_token "${TOKEN_V1}" resource=https://vault.azure.net
  assert_entra_error 400 invalid_resource 500011
  secret_token "${TOKEN_V2}" scope=https://graph.microsoft.com/.default
  assert_entra_error 400 invalid_resource 500011
}

@test "no credential: 401 invalid_client AADSTS7000216" {
  post_form "${TOKEN_V1}" grant_type=client_credentials \
    "client_id=${AZURE_CLIENT_ID}" resource=https://management.azure.com/
  assert_entra_error 401 invalid_client 7000216
}

@test "client-request-id comes back as the correlation id" {
  local id=5b0c8a4e-2f1d-4c3b-9a8e-7d6c5b4a3f2e
  post_form "${TOKEN_V1}" grant_type=client_credentials \
    client_id=00000000-1111-2222-3333-444444444444 client_secret=x \
    resource=https://management.azure.com/ -- -H "client-request-id: ${id}"
  assert_entra_error 400 unauthorized_client 700016
  jq -e --arg id "${id}" '.correlation_id == $id
    and (.error_description | contains("Correlation ID: \($id)"))
    and (.trace_id | test("'"${GUID_RE}"'"))' "${BATS_TEST_TMPDIR}/body"
  assert_equal "$(header client-request-id)" "${id}"
}

@test "certificate: an RS256 assertion with x5t gets a token (appidacr 2)" {
  local a token
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" scope=https://management.azure.com/.default \
    "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    "client_assertion=${a}"
  assert_equal "${status_code}" 200
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_claims "${token}" | jq -e --arg c "${CERT_CLIENT}" --arg o "${CERT_OBJECT}" \
    '.appid == $c and .oid == $o and .appidacr == "2"'
}

@test "certificate: x5t#S256, PS256, the v1 endpoint and an inline PEM work" {
  local a
  a="$(A_THUMB='x5t#S256' assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V1}" "${CERT_CLIENT}")"
  post_form "${TOKEN_V1}" grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" resource=https://management.azure.com/ \
    "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    "client_assertion=${a}"
  assert_equal "${status_code}" 200
  jq -e '.resource == "https://management.azure.com/"' "${BATS_TEST_TMPDIR}/body"
  a="$(A_ALG=PS256 assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" scope=https://management.azure.com/.default \
    "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    "client_assertion=${a}"
  assert_equal "${status_code}" 200
  a="$(assertion "${CERTS}/inline.key" "${CERTS}/inline.pem" \
    "${TOKEN_V2}" "${PEM_CLIENT}")"
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    "client_id=${PEM_CLIENT}" scope=https://management.azure.com/.default \
    "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    "client_assertion=${a}"
  assert_equal "${status_code}" 200
}

@test "workload identity: a federated token file's assertion is accepted" {
  local file="${BATS_TEST_TMPDIR}/federated-token"
  assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}" >"${file}"
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" scope=https://storage.azure.com/.default \
    "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    "client_assertion=$(<"${file}")"
  assert_equal "${status_code}" 200
}

# POST assertion $1 for the certificate principal to the v2 endpoint (of
# the emulator the test talks to).
post_assertion() {
  post_form "${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/v2.0/token" \
    grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" scope=https://management.azure.com/.default \
    "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    "client_assertion=$1"
}

@test "certificate: a tampered assertion fails signature validation (AADSTS700027)" {
  local a head claims sig forged
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  head="${a%%.*}"
  sig="${a##*.}"
  claims="$(jwt_claims "${a}" | jq -c '.exp += 3600' | b64url)"
  forged="${head}.${claims}.${sig}"
  post_assertion "${forged}"
  assert_entra_error 401 invalid_client 700027
  jq -e '.error_description | contains("signature validation")' \
    "${BATS_TEST_TMPDIR}/body"
  # The untouched assertion still works: only the forgery was refused.
  post_assertion "${a}"
  assert_equal "${status_code}" 200
}

@test "certificate: signed by another key with the registered thumbprint (AADSTS700027)" {
  local a
  a="$(assertion "${CERTS}/stranger.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
}

@test "certificate: an unregistered certificate (AADSTS700027 not registered)" {
  local a
  a="$(assertion "${CERTS}/stranger.key" "${CERTS}/stranger.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
  jq -e '.error_description | contains("is not registered on application")' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "certificate: unsigned (alg none) and garbage assertions (AADSTS700027)" {
  local a
  a="$(A_ALG=none assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
  post_assertion 'not.a.jwt'
  assert_entra_error 401 invalid_client 700027
}

@test "certificate: expired or not yet valid assertions (AADSTS700024)" {
  local a
  a="$(A_EXP=-120 A_NBF=-720 assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700024
  jq -e '.error_description | contains("not within its valid time range")' \
    "${BATS_TEST_TMPDIR}/body"
  a="$(A_NBF=600 A_EXP=1200 assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700024
}

@test "certificate: a small clock skew is tolerated" {
  local a
  a="$(A_NBF=20 assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_equal "${status_code}" 200
}

@test "certificate: a reused jti is refused while the assertion is valid" {
  local a
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_equal "${status_code}" 200
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
  jq -e '.error_description | contains("already used")' \
    "${BATS_TEST_TMPDIR}/body"
  # Same jti, newly signed: still a replay.
  a="$(A_JTI="$(jwt_claims "${a}" | jq -r .jti)" assertion \
    "${CERTS}/principal.key" "${CERTS}/principal.pem" "${TOKEN_V2}" \
    "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
}

@test "certificate: aud must be this token endpoint (AADSTS700027)" {
  local a
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "https://login.microsoftonline.com/${AZURE_TENANT_ID}/oauth2/v2.0/token" \
    "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
  # The tenant's domain in aud names the same endpoint.
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${AMLR_EMULATOR_URL}/amlremulator.onmicrosoft.com/oauth2/v2.0/token" \
    "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_equal "${status_code}" 200
}

@test "certificate: iss and sub must be the client id (AADSTS700021)" {
  local a
  a="$(A_ISS="${AZURE_CLIENT_ID}" assertion "${CERTS}/principal.key" \
    "${CERTS}/principal.pem" "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700021
}

@test "certificate: a jti is required; a wrong assertion type is refused" {
  local a
  a="$(A_JTI='' assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_entra_error 401 invalid_client 700027
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${TOKEN_V2}" "${CERT_CLIENT}")"
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" scope=https://management.azure.com/.default \
    client_assertion_type=urn:ietf:params:oauth:client-assertion-type:saml2-bearer \
    "client_assertion=${a}"
  assert_entra_error 401 invalid_client 700027
}

@test "a principal without secrets refuses every secret" {
  post_form "${TOKEN_V2}" grant_type=client_credentials \
    "client_id=${CERT_CLIENT}" client_secret=anything \
    scope=https://management.azure.com/.default
  assert_entra_error 401 invalid_client 7000215
}

@test "openid-configuration v2: endpoints point back at the emulator" {
  local u="${AMLR_EMULATOR_URL}" t="${AZURE_TENANT_ID}"
  http "${u}/amlremulator.onmicrosoft.com/v2.0/.well-known/openid-configuration"
  assert_equal "${status_code}" 200
  jq -e --arg u "${u}" --arg t "${t}" '
    .token_endpoint == "\($u)/\($t)/oauth2/v2.0/token"
    and .issuer == "\($u)/\($t)/v2.0"
    and .authorization_endpoint == "\($u)/\($t)/oauth2/v2.0/authorize"
    and .jwks_uri == "\($u)/\($t)/discovery/v2.0/keys"
    and (.token_endpoint_auth_methods_supported | index("private_key_jwt"))
    and .id_token_signing_alg_values_supported == ["RS256"]
    and .request_uri_parameter_supported == false' \
    "${BATS_TEST_TMPDIR}/body"
  http "${u}/common/v2.0/.well-known/openid-configuration"
  assert_equal "${status_code}" 200
  jq -e --arg u "${u}" '.issuer == "\($u)/{tenantid}/v2.0"
    and .token_endpoint == "\($u)/common/oauth2/v2.0/token"' \
    "${BATS_TEST_TMPDIR}/body"
}

@test "openid-configuration v1 and ADFS style" {
  local u="${AMLR_EMULATOR_URL}" t="${AZURE_TENANT_ID}"
  http "${u}/${t}/.well-known/openid-configuration"
  assert_equal "${status_code}" 200
  jq -e --arg u "${u}" --arg t "${t}" '
    .token_endpoint == "\($u)/\($t)/oauth2/token"
    and .issuer == "\($u)/\($t)/"' "${BATS_TEST_TMPDIR}/body"
  http "${u}/adfs/.well-known/openid-configuration"
  assert_equal "${status_code}" 200
  jq -e --arg u "${u}" '.token_endpoint == "\($u)/adfs/oauth2/token"
    and .issuer == "\($u)/adfs"
    and .authorization_endpoint == "\($u)/adfs/oauth2/authorize"' \
    "${BATS_TEST_TMPDIR}/body"
  # The ADFS authority issues tokens for the first tenant.
  secret_token "${u}/adfs/oauth2/v2.0/token" \
    scope=https://management.core.windows.net//.default
  assert_equal "${status_code}" 200
}

@test "openid-configuration of an unknown tenant: 400 invalid_tenant AADSTS90002" {
  http "${AMLR_EMULATOR_URL}/nosuchtenant.example/v2.0/.well-known/openid-configuration"
  assert_entra_error 400 invalid_tenant 90002
}

@test "instance discovery names the emulator as the one host" {
  local host="${AMLR_EMULATOR_URL#*://}"
  http "${AMLR_EMULATOR_URL}/common/discovery/instance?api-version=1.1&authorization_endpoint=https%3A%2F%2Flogin.microsoftonline.com%2Fcommon%2Foauth2%2Fv2.0%2Fauthorize"
  assert_equal "${status_code}" 200
  jq -e --arg u "${AMLR_EMULATOR_URL}" --arg h "${host}" '
    .tenant_discovery_endpoint == "\($u)/{tenant}/v2.0/.well-known/openid-configuration"
    and .["api-version"] == "1.1"
    and .metadata == [{preferred_network: $h, preferred_cache: $h,
                       aliases: [$h]}]' "${BATS_TEST_TMPDIR}/body"
}

@test "the JWKS holds the key that signs tokens" {
  local token kid
  secret_token "${TOKEN_V1}" resource=https://management.azure.com/
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  kid="$(jwt_header "${token}" | jq -r .kid)"
  http "${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/discovery/v2.0/keys"
  assert_equal "${status_code}" 200
  jq -e --arg kid "${kid}" '.keys | length == 1 and .[0].kty == "RSA"
    and .[0].kid == $kid and .[0].use == "sig" and .[0].e == "AQAB"
    and (.[0].n | test("^[A-Za-z0-9_-]{300,}$"))' "${BATS_TEST_TMPDIR}/body"
  http "${AMLR_EMULATOR_URL}/common/discovery/keys"
  assert_equal "${status_code}" 200
}

# GET the managed-identity endpoint with the identity header from a file.
# Arguments: query string, then curl arguments
msi() {
  local q="$1" hdr="${BATS_TEST_TMPDIR}/identity-header"
  shift
  printf 'X-IDENTITY-HEADER: %s\n' "${IDENTITY_HEADER}" >"${hdr}"
  http -H "@${hdr}" "$@" "${IDENTITY_ENDPOINT}?${q}"
}

@test "managed identity: App Service shape with the system identity" {
  local token
  assert_equal "${IDENTITY_ENDPOINT}" "${AMLR_EMULATOR_URL}/msi/token"
  msi 'api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F'
  assert_equal "${status_code}" 200
  jq -e --arg c "${SYSTEM_MI_CLIENT}" '
    keys == ["access_token","client_id","expires_on","resource","token_type"]
    and .token_type == "Bearer" and .client_id == $c
    and .resource == "https://management.azure.com/"
    and (.expires_on | test("^[0-9]+$"))' "${BATS_TEST_TMPDIR}/body"
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_claims "${token}" | jq -e --arg c "${SYSTEM_MI_CLIENT}" '
    .appid == $c and .oid == "2ba5d85f-9f4e-4d4b-9c71-ff406f465492"
    and .aud == "https://management.azure.com/"'
}

@test "managed identity: a user-assigned identity by client_id or principal_id" {
  msi "api-version=2019-08-01&resource=https://management.azure.com/&client_id=${USER_MI_CLIENT}"
  assert_equal "${status_code}" 200
  jq -e --arg c "${USER_MI_CLIENT}" '.client_id == $c' "${BATS_TEST_TMPDIR}/body"
  msi "api-version=2019-08-01&resource=https://management.azure.com/&principal_id=${USER_MI_OBJECT}"
  assert_equal "${status_code}" 200
  jq -e --arg c "${USER_MI_CLIENT}" '.client_id == $c' "${BATS_TEST_TMPDIR}/body"
  msi 'api-version=2019-08-01&resource=https://management.azure.com/&client_id=00000000-0000-0000-0000-000000000000'
  assert_equal "${status_code}" 400
  jq -e '.statusCode == 400 and (.message | length > 0)' "${BATS_TEST_TMPDIR}/body"
}

@test "managed identity: the Automation samples' POST form works too" {
  local hdr="${BATS_TEST_TMPDIR}/identity-header"
  printf 'X-IDENTITY-HEADER: %s\n' "${IDENTITY_HEADER}" >"${hdr}"
  http -X POST -H "@${hdr}" -H 'Metadata: true' \
    --data 'resource=https%3A%2F%2Fstorage.azure.com%2F' \
    "${IDENTITY_ENDPOINT}?api-version=2019-08-01"
  assert_equal "${status_code}" 200
  jq -e '.resource == "https://storage.azure.com/"' "${BATS_TEST_TMPDIR}/body"
}

@test "managed identity: missing or wrong X-IDENTITY-HEADER is 401" {
  http "${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://management.azure.com/"
  assert_equal "${status_code}" 401
  jq -e '.statusCode == 401' "${BATS_TEST_TMPDIR}/body"
  http -H 'X-IDENTITY-HEADER: not-the-secret' \
    "${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://management.azure.com/"
  assert_equal "${status_code}" 401
  IDENTITY_HEADER="${IDENTITY_HEADER%?}" msi \
    'api-version=2019-08-01&resource=https://management.azure.com/'
  assert_equal "${status_code}" 401
}

@test "managed identity: bad api-version or resource is 400" {
  msi 'api-version=2017-09-01&resource=https://management.azure.com/'
  assert_equal "${status_code}" 400
  msi 'resource=https://management.azure.com/'
  assert_equal "${status_code}" 400
  msi 'api-version=2019-08-01'
  assert_equal "${status_code}" 400
  msi 'api-version=2019-08-01&resource=https://vault.azure.net'
  assert_equal "${status_code}" 400
}

# Wait (5 s at most) until file $1 is not empty.
wait_for_file() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$1" ]] && return 0
    sleep 0.05
  done
  return 1
}

@test "--print-env exports every name, single-quoted, as the env file" {
  local name
  emu_start --print-env --managed-identity
  wait_for_file "${EMU_STDOUT}"
  for name in AMLR_EMULATOR_URL AZURE_AUTHORITY_HOST AMLR_ARM_ENDPOINT \
    AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET \
    AZURE_SUBSCRIPTION_ID AMLR_RESOURCE_GROUP AMLR_LOCATION \
    IDENTITY_ENDPOINT IDENTITY_HEADER; do
    grep -Eq "^export ${name}='[^']+'\$" "${EMU_STDOUT}" || {
      echo "missing: ${name}" >&2
      return 1
    }
  done
  assert_equal "$(cat -- "${EMU_STDOUT}")" "$(cat -- "${EMU_ENV_FILE}")"
  assert_equal "${AZURE_AUTHORITY_HOST}" "${AMLR_EMULATOR_URL}/"
  assert_equal "${AMLR_ARM_ENDPOINT}" "${AMLR_EMULATOR_URL}/"
  assert_equal "${AZURE_TENANT_ID}" "${DEFAULT_SEED_TENANT}"
  assert_equal "${AZURE_CLIENT_ID}" 1823824e-fbc9-4b97-a02c-789405762845
  assert_equal "${AZURE_SUBSCRIPTION_ID}" aff76706-c240-4893-80a2-a07cca67b456
  assert_equal "${AMLR_RESOURCE_GROUP}" amlr-rg
  assert_equal "${AMLR_LOCATION}" southcentralus
  assert_equal "${IDENTITY_ENDPOINT}" "${AMLR_EMULATOR_URL}/msi/token"
  [[ "${IDENTITY_HEADER}" =~ ^[A-Za-z0-9_-]{40,}$ ]]
  # The exported secret is the principal's: it gets a token.
  secret_token "${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/token" \
    resource=https://management.azure.com/
  assert_equal "${status_code}" 200
}

@test "without --managed-identity: no IDENTITY_* exports, the endpoint is off" {
  local hdr="${BATS_TEST_TMPDIR}/identity-header"
  # The file's emulator exported IDENTITY_HEADER; this one must not.
  unset IDENTITY_ENDPOINT IDENTITY_HEADER
  emu_start
  run -1 grep -E '^export IDENTITY_' "${EMU_ENV_FILE}"
  printf 'X-IDENTITY-HEADER: x\n' >"${hdr}"
  http -H "@${hdr}" \
    "${AMLR_EMULATOR_URL}/msi/token?api-version=2019-08-01&resource=https://management.azure.com/"
  assert_equal "${status_code}" 404
  jq -e '.error.code == "NotFound"' "${BATS_TEST_TMPDIR}/body"
}

@test "--token-lifetime sets expires_in and exp" {
  local token
  emu_start --token-lifetime 1
  secret_token "${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/token" \
    resource=https://management.azure.com/
  assert_equal "${status_code}" 200
  jq -e '.expires_in == "1" and ((.expires_on | tonumber) - (.not_before | tonumber) == 1)' \
    "${BATS_TEST_TMPDIR}/body"
  token="$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")"
  jwt_claims "${token}" | jq -e '.exp == .iat + 1'
}

@test "the signing key survives a restart with the same state directory" {
  local key1
  emu_start
  key1="$(sha256sum <"${BATS_TEST_TMPDIR}/emu-state/identity-signing-key.pem")"
  emu_stop
  emu_start
  assert_equal "$(sha256sum <"${BATS_TEST_TMPDIR}/emu-state/identity-signing-key.pem")" \
    "${key1}"
}

@test "the built-in seed is manifests/emulator/demo.json" {
  local builtin file
  emu_start --print-env
  wait_for_file "${EMU_STDOUT}"
  builtin="$(grep -v '^export AMLR_EMULATOR_PID=' "${EMU_STDOUT}" |
    sed "s|${AMLR_EMULATOR_URL}|URL|g")"
  emu_stop
  rm -f -- "${BATS_TEST_TMPDIR}/emu.stdout"
  emu_start --print-env --seed "${AMLR_ROOT}/manifests/emulator/demo.json"
  wait_for_file "${EMU_STDOUT}"
  file="$(grep -v '^export AMLR_EMULATOR_PID=' "${EMU_STDOUT}" |
    sed "s|${AMLR_EMULATOR_URL}|URL|g")"
  assert_equal "${file}" "${builtin}"
  # Every principal of the file gets a token with its secret.
  while IFS=$'\t' read -r tenant client secret; do
    post_form "${AMLR_EMULATOR_URL}/${tenant}/oauth2/token" \
      grant_type=client_credentials "client_id=${client}" \
      "client_secret=${secret}" resource=https://management.azure.com/
    assert_equal "${status_code}" 200
  done < <(jq -r '.servicePrincipals[] | [.tenantId, .clientId, .secrets[0].value] | @tsv' \
    "${AMLR_ROOT}/manifests/emulator/demo.json")
}

@test "the seed manifest and its schema agree (python3-jsonschema)" {
  local check='import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[2])), schema)'
  run -0 python3 -c "${check}" "${AMLR_ROOT}/manifests/emulator/seed.schema.json" \
    "${AMLR_ROOT}/manifests/emulator/demo.json"
  run -0 python3 -c "${check}" "${AMLR_ROOT}/manifests/emulator/seed.schema.json" \
    "${BATS_FILE_TMPDIR}/seed.json"
  jq '.tenants[0].name = "x"' "${AMLR_ROOT}/manifests/emulator/demo.json" \
    >"${BATS_TEST_TMPDIR}/bad.json"
  run -1 python3 -c "${check}" "${AMLR_ROOT}/manifests/emulator/seed.schema.json" \
    "${BATS_TEST_TMPDIR}/bad.json"
}

# Start the emulator with seed file $1 and expect exit 2 and one stderr
# line with message $2.
bad_seed() {
  run -2 --separate-stderr amlretrain-emulator --listen 127.0.0.1:0 \
    --seed "$1" 3>&-
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr}" "amlretrain-emulator: seed '$1': $2"
}

# Write the default seed changed by jq filter $1 to bad.json; print its path.
seed_with() {
  emu_seed "$1" >"${BATS_TEST_TMPDIR}/bad.json"
  printf '%s\n' "${BATS_TEST_TMPDIR}/bad.json"
}

@test "an invalid seed: exit 2, one line naming the JSON path" {
  local f
  f="$(seed_with 'del(.tenants)')"
  bad_seed "${f}" "\$: missing member 'tenants'"
  f="$(seed_with '.tenants = []')"
  bad_seed "${f}" "\$: 'tenants' must not be empty"
  f="$(seed_with '.servicePrincipals[1].clientId = 42')"
  bad_seed "${f}" "\$.servicePrincipals[1]: 'clientId' must be a non-empty string"
  f="$(seed_with '.servicePrincipals[0].clientId = "not-a-guid"')"
  bad_seed "${f}" "\$.servicePrincipals[0]: 'clientId' must be a GUID"
  f="$(seed_with '.servicePrincipals[2].tenantId = "nowhere.example"')"
  bad_seed "${f}" "\$.servicePrincipals[2]: tenant 'nowhere.example' is not in \$.tenants"
  f="$(seed_with '.subscriptions[0].roleAssignments[1].principalId = "00000000-0000-0000-0000-000000000000"')"
  bad_seed "${f}" "\$.subscriptions[0].roleAssignments[1]: principal '00000000-0000-0000-0000-000000000000' is neither a service principal nor a managed identity"
  f="$(seed_with '.subscriptions[0].roleAssignments[0].roleDefinitionName = "Janitor"')"
  bad_seed "${f}" "\$.subscriptions[0].roleAssignments[0]: 'roleDefinitionName' must be Owner, Contributor or Reader"
  f="$(seed_with '.subscriptions[1].resourceGroups += [{name: "FABRIKAM-RG", location: "x"}]')"
  bad_seed "${f}" "\$.subscriptions[1].resourceGroups[1]: duplicate resource group 'FABRIKAM-RG'"
  f="$(seed_with '.storageAccounts[1].name = "Bad_Name"')"
  bad_seed "${f}" "\$.storageAccounts[1]: 'name' must be 3 to 24 lower-case letters and digits"
  f="$(seed_with '.managedIdentities[0].colour = "blue"')"
  bad_seed "${f}" "\$.managedIdentities[0]: unknown member 'colour'"
  f="$(seed_with '.servicePrincipals[0].certificates = [{pem: "-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n"}]')"
  bad_seed "${f}" "\$.servicePrincipals[0].certificates[0]: not a PEM certificate"
  printf '{"tenants": [' >"${BATS_TEST_TMPDIR}/bad.json"
  run -2 --separate-stderr amlretrain-emulator --listen 127.0.0.1:0 \
    --seed "${BATS_TEST_TMPDIR}/bad.json" 3>&-
  assert_equal "${#stderr_lines[@]}" 1
  [[ "${stderr}" == "amlretrain-emulator: seed '${BATS_TEST_TMPDIR}/bad.json': \$: "* ]]
}

@test "a missing seed or certificate file: exit 9, one line" {
  run -9 --separate-stderr amlretrain-emulator --listen 127.0.0.1:0 \
    --seed "${BATS_TEST_TMPDIR}/none.json" 3>&-
  assert_equal "${stderr}" "amlretrain-emulator: cannot read seed '${BATS_TEST_TMPDIR}/none.json'"
  seed_with '.servicePrincipals[0].certificates = [{file: "missing.pem"}]' >/dev/null
  run -9 --separate-stderr amlretrain-emulator --listen 127.0.0.1:0 \
    --seed "${BATS_TEST_TMPDIR}/bad.json" 3>&-
  assert_equal "${stderr}" "amlretrain-emulator: seed '${BATS_TEST_TMPDIR}/bad.json': \$.servicePrincipals[0].certificates[0]: cannot read certificate '${BATS_TEST_TMPDIR}/missing.pem'"
}

@test "no secret, token, assertion or identity header reaches stderr (-v) or the log" {
  local a hdr="${BATS_TEST_TMPDIR}/identity-header" log="${BATS_TEST_TMPDIR}/access.log"
  local -a secrets
  emu_start -v --log "${log}" --managed-identity \
    --seed "${BATS_FILE_TMPDIR}/seed.json"
  secret_token "${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/token" \
    resource=https://management.azure.com/
  assert_equal "${status_code}" 200
  secrets+=("$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")")
  # A secret in a query string (a client's mistake): the URL goes to curl
  # in a config file, off the command line.
  printf 'url = "%s/%s/oauth2/token?client_secret=%s"\n' \
    "${AMLR_EMULATOR_URL}" "${AZURE_TENANT_ID}" "${AZURE_CLIENT_SECRET}" \
    >"${BATS_TEST_TMPDIR}/curl.cfg"
  http -X POST -K "${BATS_TEST_TMPDIR}/curl.cfg" --data-binary \
    "@${BATS_TEST_TMPDIR}/form"
  a="$(assertion "${CERTS}/principal.key" "${CERTS}/principal.pem" \
    "${AMLR_EMULATOR_URL}/${AZURE_TENANT_ID}/oauth2/v2.0/token" "${CERT_CLIENT}")"
  post_assertion "${a}"
  assert_equal "${status_code}" 200
  secrets+=("$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")")
  printf 'X-IDENTITY-HEADER: %s\n' "${IDENTITY_HEADER}" >"${hdr}"
  http -H "@${hdr}" "${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://management.azure.com/"
  assert_equal "${status_code}" 200
  secrets+=("$(jq -r .access_token "${BATS_TEST_TMPDIR}/body")")
  emu_stop
  secrets+=("${AZURE_CLIENT_SECRET}" "${a}" "${a##*.}" "${IDENTITY_HEADER}")
  # -v logged the requests (so the check below looked at something).
  grep -q "POST /${AZURE_TENANT_ID}/oauth2/token 200" "${EMU_STDERR}"
  grep -q "GET /msi/token 200" "${EMU_STDERR}"
  for s in "${secrets[@]}"; do
    [[ -n "${s}" ]]
    run -1 grep -rF -- "${s}" "${EMU_STDERR}"
    # --log is written by the server when it keeps an access log.
    if [[ -e "${log}" ]]; then
      run -1 grep -F -- "${s}" "${log}"
    fi
  done
}
