#!/usr/bin/env bats
# scripts/run-plan: 'amlretrain retrain --plan' as a cron job or an Azure
# Automation Hybrid Worker step: a lock against overlapping runs (exit 75,
# EX_TEMPFAIL), a timestamped log without secrets, amlretrain's exit
# status for the scheduler; the example plans of manifests/plans/ as they
# are, against a fresh emulator.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 50
  export EMU_ENV_FILE
}

teardown_file() {
  emu_stop
}

setup() {
  load '../test_helper/common'
  # common unsets the secrets; the emulator's env file brings them back.
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export XDG_RUNTIME_DIR="${BATS_TEST_TMPDIR}/run"
  mkdir -p "${XDG_RUNTIME_DIR}"
  SCRIPT="${AMLR_ROOT}/scripts/run-plan"
  PLAN="${AMLR_ROOT}/manifests/plans/census-webservice.json"
}

# Every secret the emulator's env file holds.
secrets() {
  printf '%s\n' "${AZURE_CLIENT_SECRET}" "${AMLR_WORKSPACE_TOKEN}" \
    "${AMLR_TRAINING_API_KEY}" "${AMLR_TRAINING_ENDPOINT_API_KEY}"
  sed -n 's/.*AccountKey=\([^;]*\).*/\1/p' \
    <<<"${AZURE_STORAGE_CONNECTION_STRING}"
}

@test "run-plan: promoted (0), then the same plan again is rejected by the gate (13); both in a timestamped log without secrets" {
  local log="${BATS_TEST_TMPDIR}/logs/census.log" s
  run -0 --separate-stderr "${SCRIPT}" "${PLAN}" --log "${log}" \
    --report "${BATS_TEST_TMPDIR}/first.json"
  jq -e '.status == "promoted" and .gate.passed == true' <<<"${output}"
  jq -e '.status == "promoted"' "${BATS_TEST_TMPDIR}/first.json"
  [[ "${stderr}" == *"run-plan: plan ${PLAN}: exit 0 (OK)" ]]

  # The model it promoted is now the current one: no improvement.
  run -13 --separate-stderr "${SCRIPT}" "${PLAN}" --log "${log}"
  jq -e '.status == "rejected" and .gate.passed == false' <<<"${output}"
  [[ "${stderr}" == *"run-plan: plan ${PLAN}: exit 13 (GateRejected)" ]]

  # Both runs in the log, every line stamped with UTC time.
  [[ "$(grep -c 'run-plan: plan .*: started (pid [0-9]*)$' "${log}")" -eq 2 ]]
  grep -q ': exit 0 (OK)$' "${log}"
  grep -q ': exit 13 (GateRejected)$' "${log}"
  grep -q 'gate *AUC .* passes' "${log}"
  grep -q 'less than the 0.01 required' "${log}"
  ! grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ' \
    "${log}" || false
  [[ "$(stat -c %a "${log}")" == 600 ]]
  # No secret anywhere: not in the log, the reports or the output.
  while IFS= read -r s; do
    [[ -n "${s}" ]]
    ! grep -rqF -- "${s}" "${BATS_TEST_TMPDIR}/logs" \
      "${BATS_TEST_TMPDIR}/first.json" || false
    [[ "${output}${stderr}" != *"${s}"* ]]
  done < <(secrets)
}

@test "run-plan: while another run holds the lock, exit 75 at once and run nothing" {
  local lock="${BATS_TEST_TMPDIR}/plan.lock" log="${BATS_TEST_TMPDIR}/p.log"
  exec 8>"${lock}"
  flock --nonblock 8
  run -75 --separate-stderr "${SCRIPT}" "${PLAN}" --lock "${lock}" \
    --log "${log}" --report "${BATS_TEST_TMPDIR}/report.json"
  exec 8>&-
  assert_output ''
  [[ "${stderr}" == "run-plan: plan ${PLAN}: another run holds ${lock}; not started" ]]
  grep -qE "^[0-9-]{10}T[0-9:]{8}Z run-plan: plan .*: another run holds" \
    "${log}"
  [[ ! -e "${BATS_TEST_TMPDIR}/report.json" ]]
  # Released: the next run goes ahead (dry run: it changes nothing).
  run -0 --separate-stderr "${SCRIPT}" "${PLAN}" --lock "${lock}" --dry-run
}

@test "run-plan: the default lock is per plan name, under XDG_RUNTIME_DIR" {
  exec 8>"${XDG_RUNTIME_DIR}/amlretrain-run-plan-census-webservice.lock"
  flock --nonblock 8
  run -75 --separate-stderr "${SCRIPT}" "${PLAN}" --dry-run
  # Another plan is not blocked by it.
  run -0 --separate-stderr "${SCRIPT}" \
    "${AMLR_ROOT}/manifests/plans/census-classic.json" --dry-run
  exec 8>&-
}

@test "run-plan: a job that fails (bad data) exits 10, logged" {
  local log="${BATS_TEST_TMPDIR}/p.log"
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/bad.csv"
  jq --arg f "${BATS_TEST_TMPDIR}/bad.csv" \
    '.training.inputs.input1.file = $f | del(."$schema")' "${PLAN}" \
    >"${BATS_TEST_TMPDIR}/bad-plan.json"
  run -10 --separate-stderr "${SCRIPT}" "${BATS_TEST_TMPDIR}/bad-plan.json" \
    --log "${log}"
  grep -q "no column 'income'" "${log}"
  grep -q ': exit 10 (JobFailed)$' "${log}"
}

@test "run-plan: a bad plan exits 2 (amlretrain's refusal), logged" {
  local log="${BATS_TEST_TMPDIR}/p.log"
  jq '.targets = []' "${PLAN}" >"${BATS_TEST_TMPDIR}/bad-plan.json"
  run -2 --separate-stderr "${SCRIPT}" "${BATS_TEST_TMPDIR}/bad-plan.json" \
    --log "${log}"
  assert_output ''
  grep -q ': exit 2 (InvalidArgument)$' "${log}"
  grep -q '"exitCode":2' "${log}"
}
