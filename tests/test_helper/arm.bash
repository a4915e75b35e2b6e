# shellcheck shell=bash
# ARM_STATUS and the other ARM_* globals are for the callers:
# shellcheck disable=SC2034
# Talking to the emulator's Resource Manager from bats: a token for the
# seed's service principal, requests with curl, and their answers.
#
# After emu_start (test_helper/emulator.bash), which sources the env file:
#   arm_token                         # ARM_TOKEN, once per file is enough
#   arm GET "${ARM_WS}/x" ; echo "${ARM_STATUS}"; jq . "${ARM_BODY}"
#   arm_header Azure-AsyncOperation
# The secret travels in a file, never on a command line.

# Get a Resource Manager token for the seed's service principal with the
# client-credentials flow of Entra ID's v2 endpoint.
# Globals read: AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID,
#   AZURE_CLIENT_SECRET (from the emulator's env file)
# Globals set: ARM_TOKEN
# Returns: 0, or 1 with the token endpoint's answer on stderr
arm_token() {
  local form reply
  form="$(mktemp "${BATS_FILE_TMPDIR:-/tmp}/token-form.XXXXXX")"
  {
    printf 'grant_type=client_credentials'
    printf '&client_id=%s' "${AZURE_CLIENT_ID}"
    printf '&scope=%s' 'https%3A%2F%2Fmanagement.azure.com%2F.default'
    printf '&client_secret='
    jq -jn --arg s "${AZURE_CLIENT_SECRET}" '$s|@uri'
  } >"${form}"
  reply="$(curl -sS --data-binary "@${form}" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    "${AZURE_AUTHORITY_HOST}${AZURE_TENANT_ID}/oauth2/v2.0/token")" || {
    rm -f -- "${form}"
    return 1
  }
  rm -f -- "${form}"
  ARM_TOKEN="$(jq -r '.access_token // empty' <<<"${reply}")"
  if [[ -z "${ARM_TOKEN}" ]]; then
    echo "arm_token: no token: ${reply}" >&2
    return 1
  fi
  export ARM_TOKEN
}

# The path of the seed's resource group, and of web service $1 in it.
# Globals read: AZURE_SUBSCRIPTION_ID, AMLR_RESOURCE_GROUP
arm_rg_path() {
  printf '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearning\n' \
    "${AZURE_SUBSCRIPTION_ID}" "${AMLR_RESOURCE_GROUP}"
}

arm_ws_path() {
  printf '%s/webServices/%s\n' "$(arm_rg_path)" "$1"
}

# Send one request to the emulator with the bearer token.
# Arguments: METHOD PATH_OR_URL [curl arguments...]; a path is appended
#   to AMLR_EMULATOR_URL, a URL (http...) is used as it is
# Globals read: ARM_TOKEN, AMLR_EMULATOR_URL, BATS_TEST_TMPDIR (in
#   setup_file, BATS_FILE_TMPDIR: files running in parallel never share)
# Globals set: ARM_STATUS (the HTTP status), ARM_BODY and ARM_HEADERS
#   (files with the body and the headers)
arm() {
  local method="$1" target="$2" auth
  shift 2
  [[ "${target}" == http* ]] || target="${AMLR_EMULATOR_URL}${target}"
  local dir="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:?}}"
  ARM_BODY="${dir}/arm-body"
  ARM_HEADERS="${dir}/arm-headers"
  auth="${dir}/arm-auth"
  printf 'Authorization: Bearer %s\n' "${ARM_TOKEN:-}" >"${auth}"
  ARM_STATUS="$(curl -sS -X "${method}" -o "${ARM_BODY}" \
    -D "${ARM_HEADERS}" -w '%{http_code}' -H "@${auth}" "$@" \
    "${target}")"
}

# Send a JSON body (file $3) with arm.
# Arguments: METHOD PATH_OR_URL FILE [curl arguments...]
arm_json() {
  local method="$1" target="$2" file="$3"
  shift 3
  arm "${method}" "${target}" -H 'Content-Type: application/json' \
    --data-binary "@${file}" "$@"
}

# The value of response header $1 of the last arm call ("" if absent).
arm_header() {
  local name value
  while IFS=: read -r name value; do
    if [[ "${name,,}" == "${1,,}" ]]; then
      value="${value# }"
      printf '%s\n' "${value%$'\r'}"
      return 0
    fi
  done <"${ARM_HEADERS}"
  printf '\n'
}

# Poll an Azure-AsyncOperation URL until its status is terminal (10 s at
# most); prints the last status document.
# Arguments: URL
arm_wait() {
  local url="$1" i state
  for ((i = 0; i < 200; i++)); do
    arm GET "${url}"
    state="$(jq -r '.status // empty' "${ARM_BODY}")"
    if [[ "${state}" == Succeeded || "${state}" == Failed ||
      "${state}" == Canceled ]]; then
      cat -- "${ARM_BODY}"
      return 0
    fi
    sleep 0.05
  done
  echo "arm_wait: still '${state}' after 10 s: ${url}" >&2
  return 1
}
