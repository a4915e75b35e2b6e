# shellcheck shell=bash
# Replaying a recorded session (../shared/reference/recorded-sessions/)
# against the emulator: replay_seed, replay_session.
#
# A recording is in the Azure SDK HttpRecorder format (its README): the
# entries are grouped by request key, not in the order they were sent.
# replay_timeline restores that order from each response's Date header,
# reads before writes within a second (every write of these tests waited
# for what it needed), and ARM's x-ms-ratelimit-remaining-subscription-reads
# counter, which counts down with each read.
#
# Only the Microsoft.MachineLearning webServices requests and their
# operation-status polls are replayed; the rest is the tests' scaffolding
# (resource provider, resource groups, storage accounts, commitment
# plans made with New-AzureRmResource), which a web-service client never
# sends.  The emulator is started with a seed that has the recording's
# subscription and resource groups, so paths go out exactly as recorded;
# only the host changes, and the ids the service chose (operation ids,
# nextLink tokens) are mapped to the emulator's.
#
# For each request, the emulator's status code, the set of top-level and
# `properties` field names of its body, the error code and detail codes
# of an error, the shapes of list items, and the presence of
# Azure-AsyncOperation and Location must match the recording, except for
# the deviations the caller lists in REPLAY_DEVIATIONS.

# The Resource Manager paths replayed (case-insensitive, as ARM's).
REPLAY_ML_RE='/providers/Microsoft\.MachineLearning/(webServices|locations/[^/]+/operationsStatus/)'

# Write to $2 the emulator seed $3 (default: manifests/emulator/
# demo.json, as emu_seed prints it) plus the subscription of recording $1
# with its resource groups, the default subscription's role assignments
# and tenant.
replay_seed() {
  local rec="$1" out="$2" base="${3:-}"
  local sub groups
  if [[ -z "${base}" ]]; then
    base="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}/replay-base-seed.json"
    emu_seed >"${base}"
  fi
  sub="$(jq -r '.Variables.SubscriptionId' "${rec}")"
  groups="$(jq -c --arg re "${REPLAY_ML_RE}" '
    [.Entries[].RequestUri | select(test($re; "i"))
     | capture("/resourceGroups/(?<g>[^/]+)/"; "i").g?] | unique
    | map({name: ., location: "southcentralus"})' "${rec}")"
  jq --arg sub "${sub}" --argjson groups "${groups}" '
    .subscriptions += [{
      id: $sub,
      tenantId: .subscriptions[0].tenantId,
      displayName: "Recorded subscription",
      roleAssignments: .subscriptions[0].roleAssignments,
      resourceGroups: $groups
    }]' "${base}" >"${out}"
}

# The replayed entries of recording $1, in the order they were sent: one
# compact JSON object per line.
replay_timeline() {
  jq -c --arg re "${REPLAY_ML_RE}" '
    def h($n): (.ResponseHeaders[$n] // [null])[0];
    def q($n): (.RequestHeaders[$n] // [null])[0];
    .Entries | to_entries | map(.value + {idx: .key})
    | map(select(.RequestUri | test($re; "i")))
    | map(. + {
        t: (h("Date") | strptime("%a, %d %b %Y %H:%M:%S GMT") | mktime),
        r: (h("x-ms-ratelimit-remaining-subscription-reads")
            | if . then tonumber else null end)})
    | sort_by([.t, (if .r then 0 else 1 end), -(.r // 0), .idx])
    | .[] | {
        idx, method: .RequestMethod, uri: .RequestUri,
        body: .RequestBody, ctype: q("Content-Type"),
        crid: q("x-ms-client-request-id"),
        status: .StatusCode, rbody: .ResponseBody,
        async: h("Azure-AsyncOperation"), location: h("Location")}' "$1"
}

# What an entry is: opstatus, list, keys, regional, or the method (put,
# get, patch, delete) of a web service.
replay_kind() {
  local method="$1" path="${2%%\?*}"
  shopt -s nocasematch
  if [[ "${path}" == */operationsStatus/* ]]; then
    echo opstatus
  elif [[ "${path}" == */listKeys ]]; then
    echo keys
  elif [[ "${path}" == */CreateRegionalBlob ]]; then
    echo regional
  elif [[ "${path}" == */webServices ]]; then
    echo list
  else
    echo "${method,,}"
  fi
  shopt -u nocasematch
}

# The comparable shape of a response body (JSON text on stdin): field
# names at the top and in properties, error codes, list item shapes.
replay_shape() {
  jq -sc '
    def names: if type == "object" then keys else [] end;
    .[0] | if type != "object" then {top: [], props: []} else {
      top: names,
      props: ((.properties // {}) | names),
      error: (.error.code // null),
      details: [(.error.details // [])[] | .code],
      items: ([(.value // [])[] | {top: names,
                                   props: ((.properties // {}) | names)}]
              | unique)
    } end' 2>/dev/null || echo '{"top":["<not JSON>"],"props":[]}'
}

# The shape of the recording's last poll (in time) of operation $2: what
# a finished operation looks like there.
replay_last_poll_shape() {
  replay_timeline "$1" | jq -rs --arg op "$2" '
    [.[] | select(.uri | split("?")[0] | endswith("/" + $op))]
    | last | .rbody' | replay_shape
}

# Whether "KIND SCOPE extra|missing FIELD" is a listed deviation.
replay_allowed() {
  local d
  for d in "${REPLAY_DEVIATIONS[@]}"; do
    [[ "${d%%  #*}" == "$1" ]] && return 0
  done
  return 1
}

# Compare field sets: prints one line per deviation not listed.
# Arguments: KIND SCOPE RECORDED_JSON_ARRAY EMULATOR_JSON_ARRAY
replay_compare_fields() {
  local kind="$1" scope="$2" rec="$3" ours="$4" f
  while IFS= read -r f; do
    [[ -n "${f}" ]] || continue
    replay_allowed "${kind} ${scope} extra ${f}" ||
      echo "${kind}: ${scope} field '${f}' is not in the recording"
  done < <(jq -rn --argjson a "${ours}" --argjson b "${rec}" '($a - $b)[]')
  while IFS= read -r f; do
    [[ -n "${f}" ]] || continue
    replay_allowed "${kind} ${scope} missing ${f}" ||
      echo "${kind}: ${scope} field '${f}' of the recording is missing"
  done < <(jq -rn --argjson a "${ours}" --argjson b "${rec}" '($b - $a)[]')
}

# Send recording $1's requests to the emulator at AMLR_EMULATOR_URL (with
# ARM_TOKEN, test_helper/arm.bash) and compare.  Prints one line per
# request and one per deviation.
# Globals read: REPLAY_DEVIATIONS (array of "KIND SCOPE extra|missing
#   FIELD  # reason"), BATS_TEST_TMPDIR
# Returns: 0 when every answer matches, 1 otherwise
replay_session() {
  local rec="$1" dir="${BATS_TEST_TMPDIR:-/tmp}/replay"
  local -A ops=() next=()
  local entry idx method uri body_file kind target url path rec_status
  local rec_shape our_shape rec_async our_async rec_loc our_loc line
  local rec_state state i n=0 bad=0 problems crid ctype has_body
  local -a args
  mkdir -p "${dir}"
  body_file="${dir}/request"
  while IFS= read -r entry; do
    n=$((n + 1))
    # Fields split at US (0x1f): a tab, being white space, would merge
    # the empty ones.
    IFS=$'\x1f' read -r idx method uri crid ctype rec_status rec_async \
      rec_loc rec_state has_body < <(jq -r '[.idx, .method, .uri,
        (.crid // "none"), (.ctype // "application/json"), .status,
        (.async // ""), (.location // ""),
        ((.rbody | fromjson? | .status?) // ""),
        (if (.body // "") == "" then 0 else 1 end)]
        | map(tostring) | join("\u001f")' <<<"${entry}")
    kind="$(replay_kind "${method}" "${uri}")"
    path="${uri%%\?*}"
    target="${AMLR_EMULATOR_URL}${uri}"
    problems=""
    # Map the ids the service chose to the emulator's.
    if [[ "${kind}" == opstatus ]]; then
      target="${ops[${path##*/}]:-}"
      if [[ -z "${target}" ]]; then
        echo "entry ${idx}: ${method} ${path}: no emulator operation maps to it"
        bad=1
        continue
      fi
    elif [[ "${uri}" == *"\$skiptoken="* ]]; then
      target="${next[${path,,}]:-}"
      if [[ -z "${target}" ]]; then
        echo "entry ${idx}: ${method} ${path}: no emulator nextLink to follow"
        bad=1
        continue
      fi
    fi
    args=(-H "x-ms-client-request-id: ${crid}" -H 'accept-language: en-US')
    if ((has_body)); then
      jq -j .body <<<"${entry}" >"${body_file}"
      args+=(-H "Content-Type: ${ctype}" --data-binary "@${body_file}")
    fi
    state=""
    for ((i = 0; i < 300; i++)); do
      arm "${method}" "${target}" "${args[@]}"
      [[ "${kind}" == opstatus ]] || break
      # The recorded client polled until the status was terminal: poll
      # again (as it would have) until this one is too.
      state="$(jq -r '.status // empty' "${ARM_BODY}" 2>/dev/null || true)"
      [[ "${rec_state}" == Succeeded || "${rec_state}" == Failed ]] || break
      [[ "${state}" == Succeeded || "${state}" == Failed ]] && break
      sleep 0.05
    done
    if [[ "${ARM_STATUS}" != "${rec_status}" ]]; then
      problems+="status ${ARM_STATUS}, recorded ${rec_status}; "
    fi
    if [[ -z "$(arm_header x-ms-request-id)" ]]; then
      problems+="no x-ms-request-id; "
    fi
    if [[ -n "$(arm_header x-ms-client-request-id)" ]]; then
      problems+="x-ms-client-request-id echoed unasked; "
    fi
    our_async="$(arm_header Azure-AsyncOperation)"
    our_loc="$(arm_header Location)"
    if [[ -n "${rec_async}" && -z "${our_async}" ]] ||
      [[ -z "${rec_async}" && -n "${our_async}" ]]; then
      problems+="Azure-AsyncOperation '${our_async}', recorded '${rec_async}'; "
    fi
    if [[ -n "${rec_loc}" && -z "${our_loc}" ]] ||
      [[ -z "${rec_loc}" && -n "${our_loc}" ]]; then
      problems+="Location '${our_loc}', recorded '${rec_loc}'; "
    fi
    if [[ -n "${rec_async}" && -n "${our_async}" ]]; then
      url="${rec_async%%\?*}"
      ops[${url##*/}]="${our_async}"
    fi
    rec_shape="$(jq -r .rbody <<<"${entry}" | replay_shape)"
    our_shape="$(replay_shape <"${ARM_BODY}")"
    # The recorded client polled while the operation ran; a replay slowed
    # down (a loaded machine) may find ours already finished.  That is
    # timing, not shape: compare it with the recording's last poll instead.
    if [[ "${kind}" == opstatus ]] &&
      [[ "${rec_state}" != Succeeded && "${rec_state}" != Failed ]] &&
      [[ "${state}" == Succeeded || "${state}" == Failed ]]; then
      rec_shape="$(replay_last_poll_shape "${rec}" "${path##*/}")"
    fi
    if [[ "${kind}" == list ]]; then
      url="$(jq -r '.nextLink // empty' "${ARM_BODY}")"
      [[ -z "${url}" ]] || next[${path,,}]="${url}"
    fi
    while IFS= read -r line; do
      [[ -n "${line}" ]] && problems+="${line}; "
    done < <(
      replay_compare_fields "${kind}" top \
        "$(jq -c .top <<<"${rec_shape}")" "$(jq -c .top <<<"${our_shape}")"
      replay_compare_fields "${kind}" properties \
        "$(jq -c .props <<<"${rec_shape}")" \
        "$(jq -c .props <<<"${our_shape}")"
      jq -rn --argjson r "${rec_shape}" --argjson o "${our_shape}" '
        (if ($r.error // null) != ($o.error // null) then
           "error code \($o.error), recorded \($r.error)" else empty end),
        (if ($r.details // []) != ($o.details // []) then
           "detail codes \($o.details), recorded \($r.details)"
         else empty end),
        (($o.items // [])[] as $i
         | if (($r.items // []) | index([$i])) then empty
           else "list item shape \($i) is not among the recorded ones"
           end)'
    )
    if [[ -n "${problems}" ]]; then
      echo "entry ${idx}: ${method} ${path} (${kind}): ${problems%; }"
      bad=1
    else
      echo "entry ${idx}: ${method} ${path} (${kind}): ${ARM_STATUS} as recorded"
    fi
  done < <(replay_timeline "${rec}")
  if ((n == 0)); then
    echo "no request of ${rec} was replayed"
    return 1
  fi
  return "${bad}"
}
