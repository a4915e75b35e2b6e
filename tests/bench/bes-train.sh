#!/usr/bin/env bash
# Benchmark (issue 6): a BES training job on 100,000 census rows x 14
# columns (learn's generator, version b) in the emulator, from start to
# Finished, at most 2 s; rows/s and the emulator's peak RSS (VmHWM from
# /proc).  Baseline in the same run: learn training the same file
# in-process (tests/bench/census-tool.c), no HTTP, blob or job around it.
# Usage: bes-train.sh [ROWS]   (default 100000).  Not a test: prints
# figures and BENCH| lines (tests/bench/report), exits 0 once it measured.
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly ROOT
AMLR_BUILD="${AMLR_BUILD:-${ROOT}/build}"
export PATH="${AMLR_BUILD}/bin:${PATH}"

pid=""
tmp=""

cleanup() {
  if [[ -n "${pid}" ]]; then
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  fi
  [[ -z "${tmp}" ]] || rm -rf -- "${tmp}"
}

die() {
  echo "bes-train: $*" >&2
  exit 1
}

# Milliseconds since $1 (an EPOCHREALTIME value).
ms_since() {
  awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}

# A /proc/PID/status field in KiB.
proc_kib() {
  awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

main() {
  local rows="${1:-100000}" i t0 ours base state id idle peak rate cols
  [[ "${rows}" =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a number"
  [[ -x "${AMLR_BUILD}/bin/amlretrain-emulator" ]] ||
    die "no emulator in ${AMLR_BUILD}/bin (run make)"
  tmp="$(mktemp -d)"
  trap cleanup EXIT
  export HOME="${tmp}"

  # The generator and the in-process baseline, against the build's learn.
  "${CC:-cc}" -std=c11 -O2 -I"${ROOT}/native/learn" -o "${tmp}/census-tool" \
    "${SCRIPT_DIR}/census-tool.c" "${AMLR_BUILD}"/learn/*.o -lm ||
    die "cannot build census-tool"
  "${tmp}/census-tool" gen b "${rows}" 7 >"${tmp}/train.csv"
  cols="$(head -n 1 "${tmp}/train.csv" | awk -F, '{ print NF - 1 }')"

  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${tmp}/env" \
    --state-dir "${tmp}/state" >/dev/null 2>"${tmp}/emu.err" 3>&- &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    [[ -s "${tmp}/env" ]] && break
    kill -0 "${pid}" 2>/dev/null || die "the emulator exited: $(cat "${tmp}/emu.err")"
    sleep 0.05
  done
  # shellcheck source=/dev/null
  source "${tmp}/env"
  export AMLR_API_LOCATION="${AMLR_TRAINING_API_LOCATION}"
  export AMLR_API_KEY="${AMLR_TRAINING_API_KEY}"
  amlretrain blob upload -c bench -n train.csv -f "${tmp}/train.csv" \
    --create-container >/dev/null
  idle="$(proc_kib "${pid}" VmRSS)"

  # Submit, then time start -> Finished, polling every 20 ms.
  id="$(amlretrain job submit --input input1=bench/train.csv \
    --output output1=bench/model.ilearner \
    --output output2=bench/evaluation.csv | jq -r .)"
  t0="${EPOCHREALTIME}"
  amlretrain job start --job "${id}"
  for ((i = 0; i < 6000; i++)); do
    state="$(amlretrain job status --job "${id}" | jq -r .StatusCode)"
    [[ "${state}" == Finished || "${state}" == Failed ]] && break
    sleep 0.02
  done
  ours="$(ms_since "${t0}")"
  [[ "${state}" == Finished ]] ||
    die "the job ended ${state}: $(amlretrain job status --job "${id}" | jq -r .Details)"
  peak="$(proc_kib "${pid}" VmHWM)"
  base="$("${tmp}/census-tool" train "${tmp}/train.csv")"
  rate="$(awk -v r="${rows}" -v m="${ours}" 'BEGIN { printf "%.0f", r / (m / 1000) }')"

  echo "BES training, ${rows} rows x ${cols} columns ($(du -h "${tmp}/train.csv" | cut -f1)):"
  echo "  job start -> Finished: ${ours} ms (${rate} rows/s); learn in-process: ${base} ms"
  echo "  emulator RSS: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB"
  printf 'BENCH|BES training job, %s rows x %s columns (start to Finished)|%s ms (%s rows/s)|%s ms (learn in-process)|%s|<= 2000 ms\n' \
    "${rows}" "${cols}" "${ours}" "${rate}" "${base}" \
    "$(awk -v a="${ours}" -v b="${base}" 'BEGIN { printf "%.2f", a / b }')"
  printf 'BENCH|BES training job: emulator peak RSS (VmHWM)|%s MiB|%s MiB (idle, data uploaded)|%s|reported\n' \
    "$((peak / 1024))" "$((idle / 1024))" \
    "$(awk -v a="${peak}" -v b="${idle}" 'BEGIN { printf "%.2f", a / b }')"
}

main "$@"
