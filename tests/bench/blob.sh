#!/usr/bin/env bash
# Blob throughput: amlretrain blob upload/download of a large file against
# the emulator, beside curl against the same emulator in the same run, and
# the client's peak RSS (issue 5: >= 0.8x curl, RSS < 64 MiB).
# Usage: blob.sh [MiB]   (default 512)
set -o errexit -o nounset -o pipefail
shopt -s inherit_errexit

readonly MIB="${1:-512}"
readonly PIECE_MIB=64 # the emulator takes request bodies up to 64 MiB

tmp="$(mktemp -d)"
[[ -z "${KEEP_BENCH:-}" ]] || echo "bench files in ${tmp}" >&2
emu_pid=""
cleanup() {
  [[ -z "${emu_pid}" ]] || kill "${emu_pid}" 2>/dev/null || true
  [[ -z "${emu_pid}" ]] || wait "${emu_pid}" 2>/dev/null || true
  [[ -n "${KEEP_BENCH:-}" ]] || rm -rf -- "${tmp}"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v m="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", m / (b - a) }'; }

# Peak RSS in KiB of a command (GNU time).
rss_of() { sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$1"; }

main() {
  local i t0 t1 up_amlr down_amlr up_curl down_curl rss_up rss_down url n
  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${tmp}/env" \
    --state-dir "${tmp}/state" >/dev/null 2>"${tmp}/emu.err" 3>&- &
  emu_pid=$!
  for ((i = 0; i < 200; i++)); do
    [[ -s "${tmp}/env" ]] && break
    sleep 0.05
  done
  # shellcheck source=/dev/null
  source "${tmp}/env"
  export AZURE_STORAGE_CONNECTION_STRING
  head -c "$((MIB << 20))" /dev/urandom >"${tmp}/file"
  amlretrain blob upload -c bench -n warm -f "${tmp}/env" \
    --create-container >/dev/null

  t0="$(now)"
  /usr/bin/time -v -o "${tmp}/time.up" amlretrain blob upload -c bench \
    -n big -f "${tmp}/file" >/dev/null
  t1="$(now)"
  up_amlr="$(rate "${MIB}" "${t0}" "${t1}")"
  rss_up="$(rss_of "${tmp}/time.up")"

  rm -f "${tmp}/back"
  t0="$(now)"
  /usr/bin/time -v -o "${tmp}/time.down" amlretrain blob download -c bench \
    -n big -f "${tmp}/back" >/dev/null
  t1="$(now)"
  down_amlr="$(rate "${MIB}" "${t0}" "${t1}")"
  rss_down="$(rss_of "${tmp}/time.down")"
  cmp "${tmp}/file" "${tmp}/back"

  # curl: the same bytes as Put Block requests of 64 MiB (the emulator's
  # body limit), then Put Block List; one GET of the whole blob.
  url="$(amlretrain blob sas -c bench -n bycurl -p racwd -e 1h | jq -r .url)"
  split -b "${PIECE_MIB}m" -d -a 4 "${tmp}/file" "${tmp}/piece."
  n=0
  t0="$(now)"
  for piece in "${tmp}"/piece.*; do
    curl -sS -f -o /dev/null -T "${piece}" -H 'Expect:' \
      "${url}&comp=block&blockid=$(printf 'blk-%06d' "${n}" | base64 | jq -Rr @uri)"
    n=$((n + 1))
  done
  {
    printf '<BlockList>'
    for ((i = 0; i < n; i++)); do
      printf '<Latest>%s</Latest>' "$(printf 'blk-%06d' "${i}" | base64)"
    done
    printf '</BlockList>'
  } >"${tmp}/list.xml"
  curl -sS -f -o /dev/null -T "${tmp}/list.xml" "${url}&comp=blocklist"
  t1="$(now)"
  up_curl="$(rate "${MIB}" "${t0}" "${t1}")"
  rm -f "${tmp}"/piece.*

  t0="$(now)"
  curl -sS -f -o "${tmp}/back.curl" "${url}"
  t1="$(now)"
  down_curl="$(rate "${MIB}" "${t0}" "${t1}")"
  cmp "${tmp}/file" "${tmp}/back.curl"

  printf '%-22s %10s %10s %8s %12s\n' "${MIB} MiB" amlretrain curl ratio 'peak RSS'
  printf '%-22s %7s/s %7s/s %8s %9s KiB\n' upload "${up_amlr}M" "${up_curl}M" \
    "$(awk -v a="${up_amlr}" -v b="${up_curl}" 'BEGIN { printf "%.2f", a / b }')" "${rss_up}"
  printf '%-22s %7s/s %7s/s %8s %9s KiB\n' download "${down_amlr}M" \
    "${down_curl}M" \
    "$(awk -v a="${down_amlr}" -v b="${down_curl}" 'BEGIN { printf "%.2f", a / b }')" "${rss_down}"
  # The rows of docs/BENCHMARKS.md (tests/bench/report).
  printf 'BENCH|blob upload, %s MiB|%s MiB/s (peak RSS %s MiB)|%s MiB/s (curl)|%s|>= 0.8x curl, RSS < 64 MiB\n' \
    "${MIB}" "${up_amlr}" "$((rss_up / 1024))" "${up_curl}" \
    "$(awk -v a="${up_amlr}" -v b="${up_curl}" 'BEGIN { printf "%.2f", a / b }')"
  printf 'BENCH|blob download, %s MiB|%s MiB/s (peak RSS %s MiB)|%s MiB/s (curl)|%s|>= 0.8x curl, RSS < 64 MiB\n' \
    "${MIB}" "${down_amlr}" "$((rss_down / 1024))" "${down_curl}" \
    "$(awk -v a="${down_amlr}" -v b="${down_curl}" 'BEGIN { printf "%.2f", a / b }')"
}

main "$@"
