#!/usr/bin/env bats
# No secret the commands handle ever shows: not on stdout or stderr, not in
# --debug traces, backups, the emulator's logs or a listing of the cache.
# shellcheck disable=SC2154 # stderr: set by bats' run

bats_require_minimum_version 1.5.0

FIXTURE="${BATS_TEST_DIRNAME}/../fixtures/definitions/retrain-sample.json"

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 50 -v --log "${BATS_FILE_TMPDIR}/access.log"
  export EMU_ENV_FILE EMU_STDERR
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop
}

setup() {
  load '../test_helper/common'
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export AMLR_STORAGE_ACCOUNT_KEY='U1RPUkFHRS1LRVktU0VDUkVULTQy'
}

# Run a command with --debug, appending everything it prints to the log.
record() {
  local log="${BATS_TEST_TMPDIR}/all-output"
  run --separate-stderr amlretrain --debug "$@"
  printf '%s\n%s\n' "${output}" "${stderr}" >>"${log}"
  ((status == 0)) || {
    echo "amlretrain $* exited ${status}: ${stderr}" >&2
    return 1
  }
}

@test "the workflow's secrets never leave their place" {
  local url sig token account_key out="${BATS_TEST_TMPDIR}/all-output" s
  record login
  record webservice new -n ws-secret --file "${FIXTURE}" -l 'West US'
  record webservice get -n ws-secret
  record webservice export -n ws-secret --out "${BATS_TEST_TMPDIR}/ws.json"
  printf 'model\n' >"${BATS_TEST_TMPDIR}/m.ilearner"
  record blob upload -c models -n m.ilearner -f "${BATS_TEST_TMPDIR}/m.ilearner" \
    --create-container
  url="${BATS_TEST_TMPDIR}/model.url"
  amlretrain blob sas -c models -n m.ilearner -p r -e 2h | jq -r .url >"${url}"
  record webservice set-model -n ws-secret --model-uri "@${url}"
  record webservice rollback -n ws-secret
  record blob download -c models -n m.ilearner -f "${BATS_TEST_TMPDIR}/copy"
  record account show

  # The secrets: the service principal's secret, the bearer token the CLI
  # cached, the storage account key, the SAS signature, the key for PUT.
  sig="$(sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p' "${url}")"
  token="$(jq -r '.. | objects | .accessToken? // .access_token? // empty' \
    "${HOME}/.cache/amlretrain/tokens.json" | head -n 1)"
  account_key="$(sed -n 's/.*AccountKey=\([^;]*\).*/\1/p' \
    <<<"${AZURE_STORAGE_CONNECTION_STRING}")"
  [[ -n "${AZURE_CLIENT_SECRET}" && -n "${sig}" && -n "${token}" &&
    -n "${account_key}" ]]
  # Where they must not be: everything printed (with --debug), the
  # backups, the exported file, the emulator's stderr and access log.
  for s in "${AZURE_CLIENT_SECRET}" "${token}" "${account_key}" "${sig}" \
    "${AMLR_STORAGE_ACCOUNT_KEY}"; do
    run ! grep -rqF -- "${s}" "${out}" "${AMLR_BACKUP_DIR}" \
      "${BATS_TEST_TMPDIR}/ws.json" "${EMU_STDERR}" \
      "${BATS_FILE_TMPDIR}/access.log"
  done
  # The --debug traces did run: they show the redaction.
  run grep -c 'Authorization: REDACTED' "${out}"
  assert [ "${output}" -gt 0 ]
  # Files that hold secrets are private.
  assert_equal "$(stat -c %a "${HOME}/.cache/amlretrain/tokens.json")" 600
  run -0 find "${AMLR_BACKUP_DIR}" -type f ! -perm 600
  assert_output ''
}
