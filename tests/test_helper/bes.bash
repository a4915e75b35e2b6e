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
