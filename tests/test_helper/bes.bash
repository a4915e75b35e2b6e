# shellcheck shell=bash
# BES_STATUS and the other BES_* globals are for the callers:
# shellcheck disable=SC2034
# Batch Execution (BES) and Request-Response (RRS) on the emulator's
# Resource Manager web services, from bats, with curl and jq only.
#
# After emu_start and arm_token (test_helper/arm.bash):
#   ws_create train "${AMLR_ROOT}/manifests/definitions/census-training.json"
#   ws_use train                        # BES_BASE, and the key in a file
#   bes POST "/jobs?api-version=2.0" --data-binary @req.json
#   echo "${BES_STATUS}"; jq . "${BES_BODY}"
# Keys travel in files, never on a command line.

# Create (PUT) web service $1 from definition file $2 and wait until it
# is provisioned.
ws_create() {
  arm_json PUT "$(arm_ws_path "$1")?api-version=2017-01-01" "$2"
  [[ "${ARM_STATUS}" == 201 || "${ARM_STATUS}" == 200 ]] || {
    echo "ws_create $1: ${ARM_STATUS} $(cat "${ARM_BODY}")" >&2
    return 1
  }
  arm_wait "$(arm_header Azure-AsyncOperation)" >/dev/null
}

# Point BES_BASE at web service $1's execution URL (its swaggerLocation
# without /swagger.json) and BES_AUTH at a header file with its key $2
# (primary, the default, or secondary).
ws_use() {
  arm GET "$(arm_ws_path "$1")?api-version=2017-01-01"
  BES_BASE="$(jq -r '.properties.swaggerLocation' "${ARM_BODY}")"
  BES_BASE="${BES_BASE%/swagger.json}"
  arm GET "$(arm_ws_path "$1")/listKeys?api-version=2017-01-01"
  BES_AUTH="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}/bes-auth-$1"
  jq -r --arg k "${2:-primary}" '"Authorization: Bearer " + .[$k]' \
    "${ARM_BODY}" >"${BES_AUTH}"
}

# One request to BES_BASE with the key of ws_use.
# Arguments: METHOD PATH (after BES_BASE, query included) [curl args...]
# Globals set: BES_STATUS, BES_BODY (a file)
bes() {
  local method="$1" path="$2"
  shift 2
  BES_BODY="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}/bes-body"
  BES_STATUS="$(curl -sS -X "${method}" -o "${BES_BODY}" -w '%{http_code}' \
    -H "@${BES_AUTH}" "$@" "${BES_BASE}${path}")"
}

# POST JSON file $2 to path $1 with bes.
bes_json() {
  bes POST "$1" -H 'Content-Type: application/json' --data-binary "@$2"
}

# The emulator's storage account: ACCT and KEY from the connection string.
storage_account() {
  local cs="${AZURE_STORAGE_CONNECTION_STRING}"
  KEY="${cs#*AccountKey=}"
  KEY="${KEY%%;*}"
  ACCT="${cs#*AccountName=}"
  ACCT="${ACCT%%;*}"
}

# Create container $1 in the emulator's storage account (with an account
# SAS that allows creating containers); prints the HTTP status.
make_container() {
  local sv=2022-11-02 se=2099-01-01T00:00:00Z hexkey sig enc
  storage_account
  hexkey="$(base64 -d <<<"${KEY}" | od -An -tx1 | tr -d ' \n')"
  sig="$(printf '%s' "${ACCT}"$'\n'c$'\n'b$'\n'c$'\n\n'"${se}"$'\n\n'"https,http"$'\n'"${sv}"$'\n\n' |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:${hexkey}" -binary |
    base64)"
  enc() { jq -rn --arg v "$1" '$v | @uri'; }
  curl -sS -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Length: 0' \
    "${AMLR_EMULATOR_URL}/${ACCT}/$1?restype=container&sv=${sv}&ss=b&srt=c&sp=c&se=$(enc "${se}")&spr=$(enc https,http)&sig=$(enc "${sig}")"
}

# Write a BES request to file $1: input1 from blob $2, and outputs
# output1 and output2 to blobs $3 and $4 ("" leaves one out), all by the
# connection string.
bes_request() {
  jq -n --arg cs "${AZURE_STORAGE_CONNECTION_STRING}" --arg in "$2" \
    --arg o1 "$3" --arg o2 "${4:-}" '
    def ref($p): {ConnectionString: $cs, RelativeLocation: $p};
    {Inputs: {input1: ref($in)},
     Outputs: ({} + (if $o1 != "" then {output1: ref($o1)} else {} end)
                  + (if $o2 != "" then {output2: ref($o2)} else {} end)),
     GlobalParameters: {}}' >"$1"
}

# Submit request file $1 and start the job; JOB_ID is set.
bes_submit_start() {
  bes_json "/jobs?api-version=2.0" "$1"
  [[ "${BES_STATUS}" == 200 ]] || {
    echo "submit: ${BES_STATUS} $(cat "${BES_BODY}")" >&2
    return 1
  }
  JOB_ID="$(jq -r . "${BES_BODY}")"
  bes POST "/jobs/${JOB_ID}/start?api-version=2.0"
  [[ "${BES_STATUS}" == 204 ]] || {
    echo "start: ${BES_STATUS} $(cat "${BES_BODY}")" >&2
    return 1
  }
}

# Poll job $1 until it ends (30 s at most); leaves its status in BES_BODY
# and prints its StatusCode.
bes_wait() {
  local i state
  for ((i = 0; i < 600; i++)); do
    bes GET "/jobs/$1?api-version=2.0"
    state="$(jq -r '.StatusCode' "${BES_BODY}")"
    case "${state}" in
      Finished | Failed | Cancelled)
        printf '%s\n' "${state}"
        return 0
        ;;
    esac
    sleep 0.05
  done
  echo "bes_wait: job $1 still '${state}' after 30 s" >&2
  return 1
}

# The URL of output $1 of the finished job whose status is file $2.
bes_result_url() {
  jq -r --arg o "$1" \
    '.Results[$o] | .BaseLocation + .RelativeLocation + .SasBlobToken' "$2"
}

# --- the classic management API (notes §3) --------------------------------

# Write a header file with bearer key $1 (never on a command line) and
# print its path; $2 names it (default "auth").
key_file() {
  local f="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}/key-${2:-auth}"
  printf 'Authorization: Bearer %s\n' "$1" >"${f}"
  printf '%s\n' "${f}"
}

# The management path of the web services of the seed's workspace, of
# web service $1, or of its endpoint $2.
mgmt_path() {
  local p="/workspaces/${AMLR_WORKSPACE_ID}/webservices"
  [[ -z "${1:-}" ]] || p+="/$1"
  [[ -z "${2:-}" ]] || p+="/endpoints/$2"
  printf '%s\n' "${p}"
}

# One management request with the key in header file MGMT_AUTH (default:
# the workspace token).
# Arguments: METHOD PATH (after AMLR_MANAGEMENT_ENDPOINT) [curl args...]
# Globals set: MGMT_STATUS, MGMT_BODY and MGMT_HEADERS (files)
mgmt() {
  local method="$1" path="$2" dir="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}"
  shift 2
  [[ -n "${MGMT_AUTH:-}" ]] ||
    MGMT_AUTH="$(key_file "${AMLR_WORKSPACE_TOKEN}" workspace)"
  MGMT_BODY="${dir}/mgmt-body"
  MGMT_HEADERS="${dir}/mgmt-headers"
  MGMT_STATUS="$(curl -sS -X "${method}" -o "${MGMT_BODY}" \
    -D "${MGMT_HEADERS}" -w '%{http_code}' -H "@${MGMT_AUTH}" "$@" \
    "${AMLR_MANAGEMENT_ENDPOINT}${path}")"
}

# mgmt with JSON body $3 (text).
mgmt_json() {
  mgmt "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3"
}

# Point BES_BASE at endpoint $2 of classic web service $1 (its
# ApiLocation) and BES_AUTH at a header file with its key $3 (PrimaryKey,
# the default, or SecondaryKey).
classic_use() {
  local saved="${MGMT_AUTH:-}"
  MGMT_AUTH=""
  mgmt GET "$(mgmt_path "$1" "$2")"
  MGMT_AUTH="${saved}"
  [[ "${MGMT_STATUS}" == 200 ]] || {
    echo "classic_use $1 $2: ${MGMT_STATUS} $(cat "${MGMT_BODY}")" >&2
    return 1
  }
  BES_BASE="$(jq -r .ApiLocation "${MGMT_BODY}")"
  BES_AUTH="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}/bes-auth-$2"
  jq -r --arg k "${3:-PrimaryKey}" '"Authorization: Bearer " + .[$k]' \
    "${MGMT_BODY}" >"${BES_AUTH}"
}

# The PATCH body putting output $1 of the finished job whose status is
# file $2 into resource $3 (default "Census Model [trained model]").
patch_body() {
  jq -c --arg o "$1" --arg n "${3-Census Model [trained model]}" \
    '{Resources: [{Name: $n, Location: (.Results[$o]
      | {BaseLocation, RelativeLocation, SasBlobToken})}]}' "$2"
}
