# shellcheck shell=bash
# Shared by the scripts in scripts/: strict mode, messages, numbered
# steps, running amlretrain with its exit code passed through, and the
# local emulator's lifecycle.  Sourced, not executed.

set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

# The script's name, for messages.
AMLR_PROG="${0##*/}"
# Steps printed so far and announced in all (amlr::steps).
AMLR_STEP=0
AMLR_STEPS=0

# Print a message on stderr.
# Arguments: the text.
amlr::note() {
  printf '%s: %s\n' "${AMLR_PROG}" "$*" >&2
}

# Print a message on stderr and exit with a code.
# Arguments: exit code, message.
amlr::die() {
  local code="$1"
  shift
  printf '%s: %s\n' "${AMLR_PROG}" "$*" >&2
  exit "${code}"
}

# A usage error: the message, the script's usage line (the first line of
# its usage() output) and a hint, on stderr; exit 2.
# Arguments: message.
amlr::usage_error() {
  printf '%s: %s\n' "${AMLR_PROG}" "$*" >&2
  if declare -F usage >/dev/null; then
    usage | head -n 1 >&2
  fi
  printf "Try '%s --help' for more information.\n" "${AMLR_PROG}" >&2
  exit 2
}

# Check that an option has a value.
# Arguments: the option, the number of arguments left (including it).
amlr::need_arg() {
  (($2 >= 2)) || amlr::usage_error "option '$1' needs a value"
}

# Exit 1 naming the first missing command.
# Arguments: command names.
amlr::need_cmd() {
  local c
  for c in "$@"; do
    command -v "${c}" >/dev/null 2>&1 ||
      amlr::die 1 "'${c}' is required but not installed (make deps)"
  done
}

# Announce how many steps amlr::step will print.
# Arguments: the number.
amlr::steps() {
  AMLR_STEPS="$1"
  AMLR_STEP=0
}

# Print the next step's heading on stderr: "step N/M: TEXT".
# Arguments: the text.
amlr::step() {
  AMLR_STEP=$((AMLR_STEP + 1))
  if ((AMLR_STEPS > 0)); then
    printf 'step %d/%d: %s\n' "${AMLR_STEP}" "${AMLR_STEPS}" "$*" >&2
  else
    printf '==> %s\n' "$*" >&2
  fi
}

# The category of an amlretrain exit code (README, EXIT CODES).
# Arguments: the code.
# Outputs: the category's name.
amlr::category() {
  local -a names=(OK Failed InvalidArgument Auth NotFound Conflict Throttled
    Network Server LocalIO JobFailed Cancelled Timeout GateRejected)
  if (($1 >= 0 && $1 < ${#names[@]})); then
    printf '%s\n' "${names[$1]}"
  else
    printf 'exit %s\n' "$1"
  fi
}

# Run amlretrain with --error-format json (its last stderr line is then
# one JSON object); when it fails, say which command and exit with its
# code, so that the caller's scheduler sees amlretrain's own code.
# Arguments: amlretrain's arguments.
# Outputs: amlretrain's stdout.
amlr::cli() {
  local rc=0 what="$1"
  [[ "${2:-}" == -* ]] || what+="${2:+ $2}"
  amlretrain --error-format json "$@" || rc=$?
  if ((rc != 0)); then
    amlr::die "${rc}" "'amlretrain ${what}' failed: exit ${rc}" \
      "($(amlr::category "${rc}"))"
  fi
}

# Write the primary key in JSON on stdin (the first of .primary,
# .PrimaryKey) to a new 0600 file: keys stay off command lines.
# Arguments: the file.
amlr::key_file() {
  (umask 077 && jq -er '.primary // .PrimaryKey' >"$1") ||
    amlr::die 1 "no key in the reply for $1"
}

# Find the binaries: $AMLR_BUILD/bin first when set (make sets it), else
# amlretrain on PATH, else the checkout's build/bin beside the scripts.
# Arguments: the scripts' directory.
amlr::use_build() {
  local build="${AMLR_BUILD:-}"
  if [[ -z "${build}" ]] && ! command -v amlretrain >/dev/null 2>&1; then
    build="$1/../build"
  fi
  if [[ -n "${build}" && -x "${build}/bin/amlretrain" ]]; then
    PATH="$(cd "${build}/bin" && pwd):${PATH}"
  fi
  amlr::need_cmd amlretrain jq
}

# Start amlretrain-emulator on a free loopback port and export what it
# prints (AMLR_EMULATOR_URL, ...).  Sets AMLR_EMULATOR_PID.
# Arguments: a work directory for its env file, state and logs; then
#   options for the emulator.
amlr::emulator_start() {
  local dir="$1" i
  rm -f -- "${dir}/emulator.env"
  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${dir}/emulator.env" \
    --state-dir "${dir}/state" --log "${dir}/emulator-access.log" \
    "${@:2}" 2>"${dir}/emulator.log" 3>&- &
  AMLR_EMULATOR_PID=$!
  for ((i = 0; i < 200; i++)); do
    if [[ -s "${dir}/emulator.env" ]]; then
      set -o allexport
      # shellcheck source=/dev/null
      source "${dir}/emulator.env"
      set +o allexport
      return 0
    fi
    if ! kill -0 "${AMLR_EMULATOR_PID}" 2>/dev/null; then
      break
    fi
    sleep 0.05
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
