#!/usr/bin/env bats
# amlretrain fleet against a throttling emulator (--concurrency-limit N:
# beyond N requests in flight, 503 with Retry-After at once, as the
# services' RequestThrottled / TooManyConcurrentRequests, notes
# classic-bes-rrs.md §1.7): the fleet waits as told and every endpoint
# still ends patched once.
# stderr, output: set by bats' run:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  cd "${BATS_TEST_TMPDIR}" || return 1
}

teardown() {
  emu_stop
}

@test "the emulator's --concurrency-limit answers 503 with Retry-After beyond N" {
  local i pids=()
  emu_start --concurrency-limit 2
  curl -sS -f -o /dev/null -X POST \
    --data '{"path": "/health", "kind": "delay", "delayMs": 400}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  for ((i = 0; i < 5; i++)); do
    curl -sS -o /dev/null -D "h${i}" "${AMLR_EMULATOR_URL}/health" 3>&- &
    pids+=("$!")
  done
  wait "${pids[@]}"
  run -0 grep -l '^HTTP/1.1 503' h0 h1 h2 h3 h4
  assert_equal "${#lines[@]}" 3
  run -0 grep -h -i '^HTTP/1.1 200' h0 h1 h2 h3 h4
  assert_equal "${#lines[@]}" 2
  run -0 cat h0 h1 h2 h3 h4
  assert_equal "$(grep -ci '^retry-after: 1' <<<"${output}")" 3
  assert_equal "$(grep -ci '^x-ms-retry-after-ms: 100' <<<"${output}")" 3
  # The admin API is never turned away.
  run -0 curl -sS -f "${AMLR_EMULATOR_URL}/_emulator/faults"
  run -2 amlretrain-emulator --concurrency-limit 0
}

@test "fleet set-model with 4x the emulator's limit: all done, each PATCH once" {
  local n=30 i
  emu_start --log "${BATS_TEST_TMPDIR}/access.log" --concurrency-limit 4
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  curl -sS -f -o /dev/null -X POST \
    --data '{"path": "/workspaces/*/webservices/**", "kind": "delay", "delayMs": 20}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  echo 'endpoint,model' >t.csv
  for ((i = 1; i <= n; i++)); do
    printf 'busy-%02d,models/census-a.ilearner\n' "${i}" >>t.csv
  done
  run -0 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --create --concurrency 16
  jq -e 'all(.status == "done" and .exitCode == 0)' <<<"${output}"
  assert_equal "$(jq 'length' <<<"${output}")" "${n}"
  sleep 0.3
  # Turned away, and came back: one applied PATCH per endpoint.
  assert [ "$(grep -c ' 503 ' access.log)" -gt 0 ]
  assert_equal "$(grep -cE ' PATCH /workspaces/[^ ]+/endpoints/busy-[0-9]+ 200 ' access.log)" "${n}"
  run -0 bash -c "grep -E ' PATCH [^ ]+ 200 ' access.log | awk '{ print \$3 }' | sort | uniq -d"
  assert_output ''
}
