# shellcheck shell=bash
# Starting and stopping amlretrain-emulator for bats: emu_start, emu_stop.
#
# In setup_file (one emulator for the whole file):
#   setup_file() { load '../test_helper/common'; load '../test_helper/emulator'
#                  emu_start; }
#   teardown_file() { emu_stop; }
# AMLR_EMULATOR_URL and AMLR_EMULATOR_PID are exported to the tests.
# EMU_PID is not exported, so a test's own `teardown() { emu_stop; }` only
# ever stops an emulator that the test itself started.

# Start the emulator on a free loopback port and wait (10 s at most) until
# it serves: its env file appears and is sourced, exporting
# AMLR_EMULATOR_URL and AMLR_EMULATOR_PID.  Files go to the test's (or, in
# setup_file, the file's) temporary directory.
# Arguments: extra options for amlretrain-emulator
# Globals set: EMU_PID, EMU_DIR, EMU_ENV_FILE, EMU_STDOUT, EMU_STDERR
# Returns: 0 once serving, 1 if it exited or never became ready
emu_start() {
  local i
  EMU_DIR="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR}}"
  EMU_ENV_FILE="${EMU_DIR}/emu.env"
  EMU_STDOUT="${EMU_DIR}/emu.stdout"
  EMU_STDERR="${EMU_DIR}/emu.stderr"
  rm -f -- "${EMU_ENV_FILE}"
  # 3>&-: a background process holding bats' fd 3 would hang the run.
  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${EMU_ENV_FILE}" \
    --state-dir "${EMU_DIR}/emu-state" "$@" \
    >"${EMU_STDOUT}" 2>"${EMU_STDERR}" 3>&- &
  EMU_PID=$!
  for ((i = 0; i < 200; i++)); do
    if [[ -s "${EMU_ENV_FILE}" ]]; then
      # shellcheck source=/dev/null
      source "${EMU_ENV_FILE}"
      return 0
    fi
    if ! kill -0 "${EMU_PID}" 2>/dev/null; then
      wait "${EMU_PID}" || true
      unset EMU_PID
      echo "emu_start: the emulator exited: $(cat -- "${EMU_STDERR}")" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "emu_start: the emulator was not ready after 10 s" >&2
  emu_stop KILL
  return 1
}

# Stop the emulator started by emu_start (or any background process whose
# pid is in EMU_PID) and reap it; without one, do nothing.
# Arguments: signal name (default TERM), seconds to wait (default 10)
# Returns: the emulator's exit status; 124 when it outlived the wait and
#   had to be killed
emu_stop() {
  local sig="${1:-TERM}" limit="${2:-10}" pid="${EMU_PID:-}" rc=0 i
  [[ -n "${pid}" ]] || return 0
  unset EMU_PID
  kill -s "${sig}" "${pid}" 2>/dev/null || true
  for ((i = 0; i < limit * 20; i++)); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "${pid}" 2>/dev/null; then
    kill -s KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
    return 124
  fi
  wait "${pid}" 2>/dev/null || rc=$?
  return "${rc}"
}

# The port of AMLR_EMULATOR_URL.
# Outputs: the port number
emu_port() {
  printf '%s\n' "${AMLR_EMULATOR_URL##*:}"
}

# Print the built-in seed, manifests/emulator/demo.json, with the files it
# names (definitions, training data, the data directory) made absolute, so
# that a changed copy works from any directory.
# Arguments: a jq filter applied after (default .), then jq options
#   (--arg NAME VALUE, ...) for it
# Outputs: the seed
emu_seed() {
  local filter="${1:-.}"
  [[ $# -eq 0 ]] || shift
  jq --arg emu_seed_dir "${AMLR_ROOT}/manifests/emulator" "$@" '
    def abs: if startswith("/") then . else $emu_seed_dir + "/" + . end;
    (.workspaces[]?.webServices[]?.definition) |= abs
    | (.webServices[]?.definition) |= abs
    | (.models[]?.trainingData) |= abs
    | if has("dataDirectory") then .dataDirectory |= abs else . end
    | '"${filter}" "${AMLR_ROOT}/manifests/emulator/demo.json"
}
