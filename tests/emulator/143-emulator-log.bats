#!/usr/bin/env bats
# amlretrain-emulator's access log (--log FILE): one line per request with
# time, method, path, status, duration, bytes, request ids (and the fault);
# appended, mode 0600, and never a secret.
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

GUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  LOG="${BATS_TEST_TMPDIR}/access.log"
}

teardown() {
  emu_stop
}

# Wait (5 s at most) until file $1 has $2 lines.
wait_for_lines() {
  local i
  for ((i = 0; i < 100; i++)); do
    if [[ -f "$1" ]] && (($(wc -l <"$1") >= $2)); then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

@test "one line per request: time, method, path, status, ms, bytes, ids" {
  emu_start --log "${LOG}"
  run -0 curl -sS -D "${BATS_TEST_TMPDIR}/headers" \
    -H 'x-ms-client-request-id: 9f0c1d2e-0000-4000-8000-00000000000a' \
    "${AMLR_EMULATOR_URL}/health?api-version=2017-01-01"
  bytes="${#output}"
  id="$(grep -i '^x-ms-request-id:' "${BATS_TEST_TMPDIR}/headers" | tr -d '\r')"
  id="${id#*: }"
  run -0 curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/no/such/path"
  wait_for_lines "${LOG}" 2
  run -0 cat "${LOG}"
  assert_equal "${#lines[@]}" 2
  assert_line --index 0 --regexp "^${TIME_RE} GET /health 200 [0-9]+\.[0-9] ${bytes} ${id} 9f0c1d2e-0000-4000-8000-00000000000a\$"
  assert_line --index 1 --regexp "^${TIME_RE} GET /no/such/path [0-9]{3} [0-9]+\.[0-9] [0-9]+ ${GUID_RE} -\$"
  # The time is now, in UTC.
  assert_regex "${lines[0]}" "^$(date -u +%Y-%m-%dT%H)"
}

@test "HEAD and 204 responses log 0 body bytes" {
  emu_start --log "${LOG}"
  curl -sS -o /dev/null -I "${AMLR_EMULATOR_URL}/health"
  curl -sS -o /dev/null -X POST --data '{"path": "/x", "kind": "reset"}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  curl -sS -o /dev/null -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults/1"
  wait_for_lines "${LOG}" 3
  run -0 cat "${LOG}"
  assert_line --index 0 --regexp "^${TIME_RE} HEAD /health 200 [0-9.]+ 0 ${GUID_RE} -\$"
  assert_line --index 1 --regexp "^${TIME_RE} POST /_emulator/faults 201 [0-9.]+ [1-9][0-9]* ${GUID_RE} -\$"
  assert_line --index 2 --regexp "^${TIME_RE} DELETE /_emulator/faults/1 204 [0-9.]+ 0 ${GUID_RE} -\$"
}

@test "the log is appended to, never truncated, and made private (0600)" {
  printf 'an earlier line\n' >"${LOG}"
  chmod 644 "${LOG}"
  emu_start --log "${LOG}"
  curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/health"
  wait_for_lines "${LOG}" 2
  assert_equal "$(stat -c %a "${LOG}")" 600
  emu_stop
  emu_start --log "${LOG}"
  curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/health"
  wait_for_lines "${LOG}" 3
  run -0 cat "${LOG}"
  assert_equal "${#lines[@]}" 3
  assert_line --index 0 'an earlier line'
  assert_line --index 2 --regexp "^${TIME_RE} GET /health 200 "
  rm -f "${LOG}"
  emu_stop
  emu_start --log "${LOG}"
  assert_equal "$(stat -c %a "${LOG}")" 600
}

@test "no secret reaches the log or stderr: queries, headers, bodies, tokens" {
  emu_start -v --log "${LOG}"
  local secret="${AZURE_CLIENT_SECRET:-canary-client-secret-5f2d}"
  local tenant="${AZURE_TENANT_ID:-contoso}"
  local token=canary.bearer.token-93be sig=canary-sas-signature-77c1
  # A client-credentials request: the secret goes in the body.  With the
  # identity service present, its token is the one to look for.
  run -0 curl -sS -X POST \
    --data-urlencode grant_type=client_credentials \
    --data-urlencode "client_id=${AZURE_CLIENT_ID:-app}" \
    --data-urlencode "client_secret=${secret}" \
    --data-urlencode 'scope=https://management.azure.com/.default' \
    "${AMLR_EMULATOR_URL}/${tenant}/oauth2/v2.0/token"
  if jq -e '.access_token | strings' <<<"${output}" >/dev/null 2>&1; then
    token="$(jq -r .access_token <<<"${output}")"
  fi
  curl -sS -o /dev/null -H "Authorization: Bearer ${token}" \
    -H "x-ms-client-request-id: 3d8ddd93-0000-4000-8000-000000000001" \
    "${AMLR_EMULATOR_URL}/subscriptions/s1/resourceGroups/rg?api-version=2017-01-01"
  curl -sS -o /dev/null -X PUT -H 'x-ms-blob-type: BlockBlob' \
    -H "Authorization: SharedKey devstoreaccount1:${sig}" --data "${secret}" \
    "${AMLR_EMULATOR_URL}/devstoreaccount1/models/m.ilearner?sv=2021-08-06&sig=${sig}&se=2099-01-01"
  curl -sS -o /dev/null "${AMLR_EMULATOR_URL}/health?code=${secret}"
  emu_stop
  run -0 cat "${LOG}"
  assert_equal "${#lines[@]}" 4
  assert_line --index 0 --regexp "^${TIME_RE} POST /${tenant}/oauth2/v2.0/token [0-9]{3} "
  assert_line --index 1 --partial ' GET /subscriptions/s1/resourceGroups/rg '
  assert_line --index 1 --partial ' 3d8ddd93-0000-4000-8000-000000000001'
  assert_line --index 2 --partial ' PUT /devstoreaccount1/models/m.ilearner '
  local s
  for s in "${secret}" "${token}" "${sig}"; do
    run -1 grep -F -- "${s}" "${LOG}" "${EMU_STDERR}"
  done
  # No query string at all.
  run -1 grep -F -e '?' -e 'api-version' -e 'sv=' "${LOG}"
}

@test "the client request id is logged only as a safe token" {
  emu_start --log "${LOG}"
  curl -sS -o /dev/null -H 'x-ms-client-request-id: a b"c\d' \
    "${AMLR_EMULATOR_URL}/health"
  curl -sS -o /dev/null -H "x-ms-client-request-id: $(printf 'x%.0s' {1..200})" \
    "${AMLR_EMULATOR_URL}/health"
  wait_for_lines "${LOG}" 2
  run -0 cat "${LOG}"
  assert_line --index 0 --regexp " a\?b\?c\?d\$"
  assert_line --index 1 --regexp " x{64}\$"
}

@test "concurrent requests each get one whole line" {
  emu_start --log "${LOG}"
  seq 1 60 | xargs -P 8 -I N curl -sS -o /dev/null \
    -H 'x-ms-client-request-id: id-N' "${AMLR_EMULATOR_URL}/health?n=N"
  wait_for_lines "${LOG}" 60
  run -0 grep -cE "^${TIME_RE} GET /health 200 [0-9.]+ 38 ${GUID_RE} id-[0-9]+\$" "${LOG}"
  assert_output 60
  assert_equal "$(wc -l <"${LOG}")" 60
  assert_equal "$(grep -oE 'id-[0-9]+$' "${LOG}" | sort -u | wc -l)" 60
}

@test "a log that cannot be opened exits 9" {
  run -9 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --log "${BATS_TEST_TMPDIR}/no/such/dir/access.log"
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr}" \
    "amlretrain-emulator: cannot open the access log '${BATS_TEST_TMPDIR}/no/such/dir/access.log': No such file or directory"
}
