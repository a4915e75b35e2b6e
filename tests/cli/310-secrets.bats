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

# Every command line of every amlretrain process, sampled from /proc while
# $@ runs -- and, exactly, from a stand-in first on PATH that notes its
# arguments and runs the real binary (a sample can miss a short run).
# The sampler forks only for an amlretrain process (read, not cat: a
# sweep must stay short on a loaded machine).  It is stopped whether $@
# succeeds or fails (errexit would leave it running and bats waiting for
# it), and by teardown should the test be interrupted.
with_cmdlines() {
  local seen="${BATS_TEST_TMPDIR}/cmdlines" shim rc=0
  shim="${BATS_TEST_TMPDIR}/shim"
  if [[ ! -x "${shim}/amlretrain" ]]; then
    mkdir -p "${shim}"
    printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec "%s" "$@"\n' \
      "${seen}" "$(command -v amlretrain)" >"${shim}/amlretrain"
    chmod +x "${shim}/amlretrain"
    PATH="${shim}:${PATH}"
  fi
  (
    while :; do
      for p in /proc/[0-9]*; do
        c=''
        read -r c <"${p}/comm" 2>/dev/null || continue
        [[ "${c}" == amlretrain* ]] || continue
        tr '\0' ' ' <"${p}/cmdline" 2>/dev/null && echo
      done
      sleep 0.01
    done
  ) >>"${seen}" 2>/dev/null 3>&- &
  CMDLINE_SAMPLER=$!
  "$@" || rc=$?
  stop_sampler
  return "${rc}"
}

stop_sampler() {
  [[ -n "${CMDLINE_SAMPLER:-}" ]] || return 0
  kill "${CMDLINE_SAMPLER}" 2>/dev/null || true
  wait "${CMDLINE_SAMPLER}" 2>/dev/null || true
  CMDLINE_SAMPLER=''
}

teardown() {
  stop_sampler
}

@test "the classic path, batch jobs, scoring and plans keep their secrets too, on every command line" {
  local out="${BATS_TEST_TMPDIR}/all-output" job="${BATS_TEST_TMPDIR}/job.json"
  local key_file="${BATS_TEST_TMPDIR}/train.key" s sig ep_key report
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  printf '%s' "${AMLR_TRAINING_ENDPOINT_API_KEY}" >"${key_file}"
  with_cmdlines record blob upload -c canary -n census-b.csv \
    -f "${AMLR_DATA_DIR}/census-b.csv" --create-container
  # The job's status (stdout) carries its outputs' read SAS: that is what
  # set-model --from-job reads, so it goes to a file, not to the log;
  # its --debug trace (stderr) is checked with the rest.
  with_cmdlines amlretrain --debug job run \
    --api-location "${AMLR_TRAINING_ENDPOINT_API_LOCATION}" \
    --api-key-file "${key_file}" --input input1=canary/census-b.csv \
    --output output1=canary/model.ilearner --output output2=canary/ev.csv \
    >"${job}" 2>>"${out}"
  sig="$(jq -r '.Results.output1.SasBlobToken' "${job}" |
    sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p')"
  with_cmdlines record endpoint add -n canary-ep
  with_cmdlines record endpoint set-model -n canary-ep --from-job "${job}"
  with_cmdlines record endpoint get -n canary-ep
  ep_key="$(amlretrain endpoint get -n canary-ep --show-keys | jq -r .PrimaryKey)"
  printf '%s' "${ep_key}" >"${BATS_TEST_TMPDIR}/ep.key"
  head -n 4 "${AMLR_DATA_DIR}/census-b.csv" | cut -d, -f1-14 \
    >"${BATS_TEST_TMPDIR}/rows.csv"
  with_cmdlines record score --api-key-file "${BATS_TEST_TMPDIR}/ep.key" \
    --api-location "$(amlretrain endpoint get -n canary-ep | jq -r .ApiLocation)" \
    --input "${BATS_TEST_TMPDIR}/rows.csv"
  with_cmdlines record endpoint rollback -n canary-ep
  report="${BATS_TEST_TMPDIR}/report.json"
  with_cmdlines record retrain --report "${report}" \
    --plan "${BATS_TEST_DIRNAME}/../../manifests/plans/census-classic.json"

  [[ -n "${sig}" && -n "${ep_key}" && -n "${AMLR_WORKSPACE_TOKEN}" ]]
  # the job status file holds the SAS by design; nothing else may
  for s in "${AMLR_TRAINING_ENDPOINT_API_KEY}" "${AMLR_WORKSPACE_TOKEN}" \
    "${ep_key}" "${sig}" "${AZURE_CLIENT_SECRET}" \
    "$(sed -n 's/.*AccountKey=\([^;]*\).*/\1/p' \
      <<<"${AZURE_STORAGE_CONNECTION_STRING}")"; do
    run ! grep -rqF -- "${s}" "${out}" "${AMLR_BACKUP_DIR}" "${report}" \
      "${BATS_TEST_TMPDIR}/cmdlines" "${EMU_STDERR}" \
      "${BATS_FILE_TMPDIR}/access.log"
  done
  # the sampler did see the commands
  run grep -c 'amlretrain' "${BATS_TEST_TMPDIR}/cmdlines"
  assert [ "${output}" -gt 0 ]
  run -0 find "${AMLR_BACKUP_DIR}" -type f ! -perm 600
  assert_output ''
}
