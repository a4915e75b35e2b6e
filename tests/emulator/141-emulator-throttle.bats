#!/usr/bin/env bats
# amlretrain-emulator's Resource Manager throttling: per-subscription read
# and write budgets, x-ms-ratelimit-remaining-subscription-reads/-writes,
# 429 with Retry-After and ARM's error envelope (reference notes
# auth-storage.md §2; the recorded sessions carry the same headers, reads
# on GET, writes on PUT, PATCH, POST and DELETE).
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

SUB=00000000-0000-0000-0000-000000000001
RG_PATH="/subscriptions/${SUB}/resourceGroups/rg1"

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
}

teardown() {
  emu_stop
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

# Fails when the last http call was throttled.
assert_not_throttled() {
  if [[ "${status_code}" == 429 ]]; then
    echo "throttled: $(cat "${BATS_TEST_TMPDIR}/body")" >&2
    return 1
  fi
}

READS=x-ms-ratelimit-remaining-subscription-reads
WRITES=x-ms-ratelimit-remaining-subscription-writes

@test "each read takes a token; an empty budget answers 429 with Retry-After" {
  emu_start --arm-reads 3
  local left
  for left in 2 1 0; do
    http "${AMLR_EMULATOR_URL}${RG_PATH}?api-version=2017-01-01"
    assert_not_throttled
    assert_equal "$(header "${READS}")" "${left}"
    assert_equal "$(header "${WRITES}")" ''
  done
  http "${AMLR_EMULATOR_URL}${RG_PATH}?api-version=2017-01-01"
  assert_equal "${status_code}" 429
  assert_equal "$(header "${READS}")" 0
  # 3 tokens an hour: one is back in 1200 s (a few may have trickled in).
  retry="$(header Retry-After)"
  ((retry >= 1190 && retry <= 1200))
  assert_regex "$(header x-ms-request-id)" '^[0-9a-f-]{36}$'
  run -0 jq -r .error.code "${BATS_TEST_TMPDIR}/body"
  assert_output SubscriptionRequestsThrottled
  run -0 jq -r .error.message "${BATS_TEST_TMPDIR}/body"
  assert_output "Number of 'read' requests for subscription '${SUB}' actually exceeded the limit of '3' for time interval '01:00:00'. Please try again after '${retry}' seconds."
}

@test "HEAD is a read" {
  emu_start --arm-reads 2
  http -I "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_equal "$(header "${READS}")" 1
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_equal "$(header "${READS}")" 0
  http -I "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_equal "${status_code}" 429
}

@test "PUT, PATCH, POST and DELETE are writes, with their own budget" {
  emu_start --arm-writes 4 --arm-reads 10
  local method left=3
  for method in PUT PATCH POST DELETE; do
    http -X "${method}" --data '{}' "${AMLR_EMULATOR_URL}${RG_PATH}/x"
    assert_not_throttled
    assert_equal "$(header "${WRITES}")" "${left}"
    assert_equal "$(header "${READS}")" ''
    left=$((left - 1))
  done
  http -X PUT --data '{}' "${AMLR_EMULATOR_URL}${RG_PATH}/x"
  assert_equal "${status_code}" 429
  assert_equal "$(header "${WRITES}")" 0
  ((900 <= $(header Retry-After)))
  run -0 jq -r .error.message "${BATS_TEST_TMPDIR}/body"
  assert_output --regexp "^Number of 'write' requests for subscription '${SUB}' actually exceeded the limit of '4' "
  # Reads are still allowed.
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_not_throttled
  assert_equal "$(header "${READS}")" 9
}

@test "budgets are per subscription; ids compare case-insensitively" {
  emu_start --arm-reads 1
  http "${AMLR_EMULATOR_URL}/subscriptions/AAAA-1/resourceGroups/rg"
  assert_not_throttled
  http "${AMLR_EMULATOR_URL}/SUBSCRIPTIONS/aaaa-1/providers/Microsoft.MachineLearning/webServices"
  assert_equal "${status_code}" 429
  http "${AMLR_EMULATOR_URL}/subscriptions/bbbb-2"
  assert_not_throttled
  assert_equal "$(header "${READS}")" 0
}

@test "requests outside /subscriptions/{id} are neither charged nor marked" {
  emu_start --arm-reads 1
  local path
  for path in /health /subscriptions /subscriptions/ /other/subscriptions/x; do
    http "${AMLR_EMULATOR_URL}${path}"
    http "${AMLR_EMULATOR_URL}${path}"
    assert_not_throttled
    assert_equal "$(header "${READS}")" ''
  done
  # Methods ARM does not charge.
  http -X OPTIONS "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_equal "$(header "${READS}")" ''
  assert_equal "$(header "${WRITES}")" ''
}

@test "the budget refills over the hour" {
  emu_start
  # 3600 reads an hour: one a second, slow enough that a loaded machine
  # does not refill a token between emptying the budget and the next read.
  run -0 curl -sS -X POST --data "{\"reads\": 3600,
    \"subscriptionId\": \"${SUB}\", \"readsRemaining\": 0}" \
    "${AMLR_EMULATOR_URL}/_emulator/throttle"
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_equal "${status_code}" 429
  assert_equal "$(header Retry-After)" 1
  sleep 3.2
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_not_throttled
  left="$(header "${READS}")"
  ((left >= 2 && left <= 8)) # one a second, for 3.2 s and then some
}

@test "admin route: GET shows the budgets, POST changes them" {
  emu_start --arm-reads 5 --arm-writes 3
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  http -X DELETE "${AMLR_EMULATOR_URL}${RG_PATH}"
  run -0 curl -sS "${AMLR_EMULATOR_URL}/_emulator/throttle"
  assert_equal "$(jq -c . <<<"${output}")" \
    "{\"reads\":5,\"writes\":3,\"subscriptions\":[{\"subscriptionId\":\"${SUB}\",\"readsRemaining\":4,\"writesRemaining\":2}]}"
  # New capacities refill every budget.
  run -0 curl -sS -X POST --data '{"reads": 100, "writes": 50}' \
    "${AMLR_EMULATOR_URL}/_emulator/throttle"
  assert_equal "$(jq -c '[.reads, .writes, .subscriptions[0].readsRemaining, .subscriptions[0].writesRemaining]' <<<"${output}")" \
    '[100,50,100,50]'
  run -0 curl -sS -X POST --data '{"subscriptionId": "other", "writesRemaining": 0}' \
    "${AMLR_EMULATOR_URL}/_emulator/throttle"
  http -X PUT --data '{}' "${AMLR_EMULATOR_URL}/subscriptions/other/resourceGroups/rg"
  assert_equal "${status_code}" 429
  local -A cases=(
    ['{"reads": 0}']='$.reads: expected an integer from 1 to 1000000000'
    ['{"readz": 1}']='$.readz: unknown member'
    ['{"readsRemaining": 1}']='$.subscriptionId: required with readsRemaining or writesRemaining'
    ['{"subscriptionId": "s", "writesRemaining": 51}']='$.writesRemaining: expected an integer from 0 to 50'
    ['{"subscriptionId": "a/b"}']='$.subscriptionId: expected a subscription id'
    ['"x"']='$: expected an object'
  )
  local body
  for body in "${!cases[@]}"; do
    http -X POST --data "${body}" "${AMLR_EMULATOR_URL}/_emulator/throttle"
    assert_equal "${status_code}" 400
    run -0 jq -r '"\(.error.code) \(.error.message)"' "${BATS_TEST_TMPDIR}/body"
    assert_output "BadRequest ${cases[${body}]}"
  done
}

@test "throttled reads make the client exit 6 when Retry-After is beyond its budget" {
  emu_start --arm-reads 1
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  run -6 --separate-stderr timeout 30 amlretrain --error-format json rest \
    --url "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_output ''
  run -0 jq -r '.error | "\(.exitCode) \(.category) \(.httpStatus) \(.code)"' \
    <<<"$(last_stderr_line)"
  assert_output '6 Throttled 429 SubscriptionRequestsThrottled'
}

@test "a fault answers before the throttle and is not charged" {
  emu_start --arm-reads 2
  curl -sS -o /dev/null -X POST --data \
    '{"path": "/subscriptions/**", "kind": "status", "status": 500, "count": 3}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  local i
  for ((i = 0; i < 3; i++)); do
    http "${AMLR_EMULATOR_URL}${RG_PATH}"
    assert_equal "${status_code}" 500
    assert_equal "$(header "${READS}")" ''
  done
  http "${AMLR_EMULATOR_URL}${RG_PATH}"
  assert_equal "$(header "${READS}")" 1
}

@test "RRS and BES execution calls are not Resource Manager: an exhausted budget does not throttle scoring" {
  # Execution endpoints live on the web service's own host (reference
  # notes classic-bes-rrs.md §2), not on management.azure.com: ARM's
  # hourly limits (auth-storage.md §2) do not apply to them.
  emu_start --provisioning-delay 0 --arm-reads 2 --arm-writes 1
  arm_token
  ws_use "${AMLR_PREDICTIVE_NAME}" # the two reads
  local exec_sub try
  exec_sub="${BES_BASE#*/subscriptions/}"
  exec_sub="${exec_sub%%/*}"
  for sub in "${AZURE_SUBSCRIPTION_ID}" "${exec_sub}"; do
    run -0 curl -sS -X POST --data "{\"subscriptionId\": \"${sub}\",
      \"readsRemaining\": 0, \"writesRemaining\": 0}" \
      "${AMLR_EMULATOR_URL}/_emulator/throttle"
  done
  jq -n '{Inputs: {input1: {ColumnNames: ["age","workclass","fnlwgt",
    "education","education-num","marital-status","occupation",
    "relationship","race","sex","capital-gain","capital-loss",
    "hours-per-week","native-country"], Values: [["52","Private","209642",
    "HS-grad","9","Married-civ-spouse","Exec-managerial","Husband",
    "White","Male","0","0","45","United-States"]]}},
    GlobalParameters: {}}' >"${BATS_TEST_TMPDIR}/req.json"
  for ((try = 0; try < 5; try++)); do
    bes POST "/execute?api-version=2.0&details=true" \
      -D "${BATS_TEST_TMPDIR}/headers" -H 'Content-Type: application/json' \
      --data-binary "@${BATS_TEST_TMPDIR}/req.json"
    assert_equal "${BES_STATUS}" 200
    assert_equal "$(header "${WRITES}")" ''
    run -0 jq '.Results.output1.value.Values | length' "${BES_BODY}"
    assert_output 1
  done
  # A BES read and write: answered by BES (404, 400), not by the throttle.
  bes GET "/jobs/nosuchjob?api-version=2.0" -D "${BATS_TEST_TMPDIR}/headers"
  assert_equal "${BES_STATUS}" 404
  assert_equal "$(header "${READS}")" ''
  bes POST "/jobs?api-version=2.0" -D "${BATS_TEST_TMPDIR}/headers" \
    -H 'Content-Type: application/json' --data '{}'
  assert_equal "${BES_STATUS}" 400
  assert_equal "$(header "${WRITES}")" ''
  # Resource Manager itself is still throttled, on both subscriptions.
  http -X PUT --data '{}' \
    "${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/rg"
  assert_equal "${status_code}" 429
  http "${AMLR_EMULATOR_URL}/subscriptions/${exec_sub}/providers/Microsoft.MachineLearning/webServices"
  assert_equal "${status_code}" 429
}
