# shellcheck shell=bash
# Starting and stopping Azurite (installed by `make deps`) for bats.

# Start azurite-blob on a free loopback port, in memory, without
# telemetry; wait (30 s at most) for its "listens on" line.
# Globals set: AZURITE_PID, AZURITE_URL, AZURITE_CS (connection string)
# Returns: 0 once serving, 1 when it is not installed or did not start
azurite_start() {
  local home dir bin log i
  # common.bash points HOME at the test's directory: find the real one.
  home="$(getent passwd "$(id -u)" | cut -d: -f6)"
  dir="${AMLR_AZURITE_DIR:-${home}/.cache/amlretrain/azurite-3.35.0}"
  bin="${dir}/node_modules/.bin/azurite-blob"
  if [[ ! -x "${bin}" ]]; then
    echo "azurite_start: Azurite is not installed in ${dir}: run 'make deps'" >&2
    return 1
  fi
  log="${BATS_FILE_TMPDIR}/azurite.log"
  # Made here: the loop below may read it before Azurite's shell does.
  : >"${log}"
  "${bin}" --blobHost 127.0.0.1 --blobPort 0 --inMemoryPersistence \
    --silent --disableTelemetry >"${log}" 2>&1 3>&- &
  AZURITE_PID=$!
  for ((i = 0; i < 600; i++)); do
    AZURITE_URL="$(sed -n 's/.*successfully listens on \(http:[^ ]*\).*/\1/p' "${log}")"
    if [[ -n "${AZURITE_URL}" ]]; then
      AZURITE_CS="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=${AZURITE_URL}/devstoreaccount1;"
      export AZURITE_PID AZURITE_URL AZURITE_CS
      return 0
    fi
    kill -0 "${AZURITE_PID}" 2>/dev/null || break
    sleep 0.05
  done
  echo "azurite_start: Azurite did not start: $(cat "${log}")" >&2
  return 1
}

# Stop the Azurite started by azurite_start and reap it.
azurite_stop() {
  [[ -n "${AZURITE_PID:-}" ]] || return 0
  kill "${AZURITE_PID}" 2>/dev/null || true
  wait "${AZURITE_PID}" 2>/dev/null || true
  unset AZURITE_PID
}
