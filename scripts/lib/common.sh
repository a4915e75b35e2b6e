# shellcheck shell=bash
# Shared by the scripts in scripts/: messages, failing with a code, and the
# local emulator's lifecycle.  Sourced, not executed.

# Print a step heading on stderr.
# Arguments: the text.
amlr::step() {
  printf '==> %s\n' "$*" >&2
}

# Print a message on stderr and exit with a code.
# Arguments: exit code, message.
amlr::die() {
  local code="$1"
  shift
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit "${code}"
}

# Start amlretrain-emulator on a free loopback port and export what it
# prints (AMLR_EMULATOR_URL, ...).  Sets AMLR_EMULATOR_PID.
# Arguments: a work directory for its env file, state and log; then
#   options for the emulator.
amlr::emulator_start() {
  local dir="$1" i
  rm -f -- "${dir}/emulator.env"
  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${dir}/emulator.env" \
    --state-dir "${dir}/state" -v "${@:2}" 2>"${dir}/emulator.log" &
  AMLR_EMULATOR_PID=$!
  for ((i = 0; i < 100; i++)); do
    if [[ -s "${dir}/emulator.env" ]]; then
      # shellcheck source=/dev/null
      source "${dir}/emulator.env"
      return 0
    fi
    if ! kill -0 "${AMLR_EMULATOR_PID}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  amlr::die 1 "the emulator did not start; see ${dir}/emulator.log"
}

# Stop the emulator started by amlr::emulator_start, if it runs.
amlr::emulator_stop() {
  if [[ -n "${AMLR_EMULATOR_PID:-}" ]]; then
    kill -TERM "${AMLR_EMULATOR_PID}" 2>/dev/null || true
    wait "${AMLR_EMULATOR_PID}" 2>/dev/null || true
    AMLR_EMULATOR_PID=""
  fi
}
