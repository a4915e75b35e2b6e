# shellcheck shell=bash
# Loaded by every bats file: assertion libraries, the fresh binaries first
# on PATH, and a private HOME.

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

# The build under test (make check-cli sets AMLR_BUILD; default: build/).
AMLR_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
AMLR_BUILD="${AMLR_BUILD:-${AMLR_ROOT}/build}"
PATH="${AMLR_BUILD}/bin:${PATH}"
# The reference material (specs, recorded sessions), copied into the repo.
AMLR_REFERENCE="${AMLR_REFERENCE_DIR:-${AMLR_ROOT}/tests/fixtures/reference}"
export AMLR_ROOT AMLR_BUILD AMLR_REFERENCE PATH

# Nothing a test does may touch the real home or reach a real service.
export HOME="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-/tmp}}"
unset AMLR_ACCESS_TOKEN AZURE_CLIENT_SECRET AZURE_STORAGE_CONNECTION_STRING
# The credential chain's last resort probes IMDS (169.254.169.254): point
# it at a closed loopback port so that no test ever leaves the machine.
export AZURE_POD_IDENTITY_AUTHORITY_HOST='http://127.0.0.1:9/'


# The last line of $stderr (set by `run --separate-stderr`), where
# --error-format json puts its one JSON object.
last_stderr_line() {
  # shellcheck disable=SC2154 # set by bats' run --separate-stderr
  printf '%s\n' "${stderr##*$'\n'}"
}

# A loopback TCP port with no listener: connecting to it is refused.
unused_port() {
  local port
  for port in $(shuf -i 20000-60000 -n 20); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return 0
    fi
  done
  return 1
}
