#!/usr/bin/env bats
# The secret canary's scanner (tests/canary/canary.py, docs/canary.md) on
# small records with planted secrets: it finds each one where it must not
# be, lets it be where it belongs, and checks private files' modes -- so
# that make check-canary cannot pass by finding nothing.
# The planted values are made at run time and removed at the end: the
# canary itself scans what this file leaves behind.
# shellcheck disable=SC2154 # output, lines: set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  SCAN="${AMLR_ROOT}/tests/canary/canary.py"
  REC="${BATS_TEST_TMPDIR}/record"
  FILES="${BATS_TEST_TMPDIR}/files"
  mkdir -p "${REC}/runs" "${FILES}"
  # A client secret the emulator would log, a SAS signature and a token
  # signature it would not: the scanner takes those from where they show.
  SECRET="cs-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
  SIG="$(head -c 32 /dev/urandom | base64)"
  SIG_ENC="$(jq -rn --arg s "${SIG}" '$s | @uri')"
  printf 'client-secret\t%s\n' "${SECRET}" >"${REC}/secrets.emulator"
}

teardown() {
  rm -rf -- "${REC}" "${FILES}"
}

# A recorded run, as tests/canary/record leaves it.
# Arguments: its name under runs/ (amlretrain.PID.TIME), then argv words
#   up to --, then STREAM=TEXT (out, err, both)
plant_run() {
  local run="${REC}/runs/$1" a
  shift
  : >"${run}.argv"
  while (($# > 0)) && [[ "$1" != -- ]]; do
    printf '%s\0' "$1" >>"${run}.argv"
    shift
  done
  shift
  pwd >"${run}.cwd"
  for a in "$@"; do
    printf '%s\n' "${a#*=}" >"${run}.${a%%=*}"
  done
}

@test "a planted secret is found on stderr, masked in the report, and fails the scan" {
  plant_run amlretrain.1.1 --debug login -- out='{"ok":true}' \
    err="Authorization: Bearer x client_secret=${SECRET}"
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 1'
  assert_line --partial 'canary: LEAK stderr: client-secret at byte'
  assert_line --partial "amlretrain --debug login (${SECRET:0:4}…(${#SECRET} chars))"
  refute_output --partial "${SECRET}"
  assert_line --regexp '^canary: commands recorded: 1 amlretrain, 0 amlretrain-emulator, 0 scripts of scripts/$'
}

@test "a SAS is allowed on blob sas' stdout; its signature anywhere else is a leak" {
  plant_run amlretrain.1.1 blob sas -c models -n m -- \
    out="{\"url\":\"https://a/models/m?sv=2021&sig=${SIG_ENC}\"}"
  run -0 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 0'
  assert_line --regexp '^canary: secrets checked: [0-9]+ \(.*sas-signature [0-9]+'
  # The same signature, decoded, in a report file and on an argv.
  printf '{"model":"%s"}\n' "${SIG}" >"${FILES}/report.json"
  plant_run amlretrain.2.2 webservice set-model --model-uri "x?sig=${SIG_ENC}" \
    --report "${FILES}/report.json" --
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 2'
  assert_line --partial "canary: LEAK file: sas-signature at byte 10 of ${FILES}/report.json"
  assert_line --partial 'canary: LEAK argv: sas-signature'
  # The report masks it, on the command line it quotes too.
  refute_output --partial "${SIG_ENC}"
  refute_output --partial "${SIG}"
}

# A record whose client ran from T0 (epoch seconds) for about 0.1 s, as
# the sampler saw it: ticks every 20 ms, the run gone from the third.
# Arguments: T0
plant_lifetime() {
  local t0="$1"
  printf '%s.000000\n%s.020000\n%s.040000\n%s.060000\n%s.080000\n' \
    "${t0}" "${t0}" "${t0}" "${t0}" "${t0}" >"${REC}/cmdlines.ticks"
  printf '1\tclient\t%s.000000\t%s.020000\n' "${t0}" "${t0}" \
    >"${REC}/cmdlines.lives"
}

@test "sampled command lines of ours are scanned, the test harness's are counted apart" {
  plant_run amlretrain.1.1 version -- out='{}'
  {
    printf 'curl -H Authorization: %s http://x\n' "${SECRET}"
    printf 'jq -n --arg k %s\n' "${SECRET}"
    printf 'pwsh -NoProfile -Command Connect-AmlAccount -ClientSecret %s\n' \
      "${SECRET}"
    printf '/bin/bash %s/scripts/retrain-webservice.sh --key %s\n' \
      "${AMLR_ROOT}" "${SECRET}"
  } >"${REC}/cmdlines"
  # Offsets in our processes' command lines, one per line: the pwsh's,
  # then the script's (which depends on where the repository is).
  local pwsh='pwsh -NoProfile -Command Connect-AmlAccount -ClientSecret '
  local script="/bin/bash ${AMLR_ROOT}/scripts/retrain-webservice.sh --key "
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 2'
  assert_line --partial "canary: LEAK cmdline: client-secret at byte ${#pwsh} of command lines of our processes"
  assert_line --partial "canary: LEAK cmdline: client-secret at byte $((${#pwsh} + ${#SECRET} + 1 + ${#script})) of command lines of our processes"
  assert_line --regexp '2 test-harness command lines \(curl, jq, grep\.\.\.; 2 secrets in them\)'
}

@test "files: what ours wrote or were handed is scanned, the tests' own files are not; the token cache is where auth.c puts it" {
  local t0=1700000000 f
  plant_lifetime "${t0}"
  # The emulator names its log: anything written there after it started
  # is its output.
  plant_run "amlretrain-emulator.2.${t0}000000" --log "${FILES}/emulator.log" --
  printf 'log: %s\n' "${SECRET}" >"${FILES}/emulator.log"
  # Beside a file the client was handed, after it started: its own (the
  # state file fleet keeps beside its targets).
  printf 'name\nep1\n' >"${FILES}/t.csv"
  touch -d "@$((t0 - 60))" "${FILES}/t.csv"
  printf '{"k":"%s"}\n' "${SECRET}" >"${FILES}/t.csv.state"
  # Written by the test, when none of ours ran: a key file, an input.
  printf '%s\n' "${SECRET}" >"${FILES}/secret.key"
  printf '{"k":"%s"}\n' "${SECRET}" >"${FILES}/req.json"
  touch -d "@$((t0 - 60))" "${FILES}/req.json"
  # The client was handed req.json (older than its start): an input.
  plant_run "amlretrain.1.${t0}000000" job submit --file "${FILES}/req.json" -- out='{}'
  plant_run "amlretrain.3.${t0}000000" fleet set-model --targets "${FILES}/t.csv" -- out='{}'
  printf '\n\n%s\n\n' "${FILES}/xdg" >"${REC}/runs/amlretrain.1.${t0}000000.env"
  mkdir -p "${FILES}/xdg/amlretrain"
  chmod 0700 "${FILES}/xdg/amlretrain"
  f="${FILES}/xdg/amlretrain/tokens.json"
  printf '{"t":"%s"}\n' "${SECRET}" >"${f}"
  chmod 0600 "${f}"
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 2'
  assert_line --partial "canary: LEAK file: client-secret at byte 5 of ${FILES}/emulator.log"
  assert_line --partial "canary: LEAK file: client-secret at byte 6 of ${FILES}/t.csv.state"
  refute_line --partial 'secret.key'
  refute_line --partial 'req.json'
  refute_line --partial 'NOT PRIVATE'
  assert_line --regexp '^canary: not ours, not counted: 3 files the tests wrote'
  assert_line --partial 'where a secret belongs (documented output, token cache, emulator state, key files handed to amlretrain): 1'
  assert_line --regexp '1 token caches and 0 backups checked'
}

@test "a script of scripts/ records itself through BASH_ENV; what it writes in its test directory while it runs is scanned" {
  local t0=1700000000 dir="${BATS_TEST_TMPDIR}/canary" n
  mkdir -p "${dir}/runs"
  # The hook: argv, streams (a pipe here) of a script of scripts/ only.
  BASH_ENV="${AMLR_ROOT}/tests/canary/script-hook.bash" CANARY_DIR="${dir}" \
    CANARY_ROOT="${AMLR_ROOT}" run -2 --separate-stderr \
    "${AMLR_ROOT}/scripts/retrain-webservice" --bogus "${SECRET}"
  BASH_ENV="${AMLR_ROOT}/tests/canary/script-hook.bash" CANARY_DIR="${dir}" \
    CANARY_ROOT="${AMLR_ROOT}" run -0 bash -c 'echo not a script of ours'
  # stderr went to a file: a watcher copies it once the script is gone.
  for ((n = 0; n < 50; n++)); do
    kill -0 "$(cat "${dir}/watchers")" 2>/dev/null || break
    sleep 0.1
  done
  n="$(find "${dir}/runs" -name '*.argv' | wc -l)"
  assert_equal "${n}" 1
  assert_equal "$(tr '\0' ' ' <"${dir}"/runs/script-retrain-webservice.*.argv)" \
    "--bogus ${SECRET} "
  assert_equal "$(cat "${dir}"/runs/script-retrain-webservice.*.err)" "${stderr}"
  rm -rf -- "${dir}"
  # The scan: a script ran from t0 for 0.1 s with this test directory.
  plant_lifetime "${t0}"
  printf '1\tscript\t%s.000000\t%s.020000\tx\tbash\n' "${t0}" "${t0}" \
    >"${REC}/cmdlines.lives"
  plant_run "script-run-plan.1.${t0}000000" --plan p.json -- out='{}'
  printf '\n\n\n\n%s\n\n' "${FILES}" >"${REC}/runs/script-run-plan.1.${t0}000000.env"
  printf 'x %s\n' "${SECRET}" >"${FILES}/during.log"
  touch -d "@${t0}.05" "${FILES}/during.log"
  printf 'x %s\n' "${SECRET}" >"${FILES}/after.log"
  touch -d "@$((t0 + 5))" "${FILES}/after.log"
  # A key file the script wrote for the client (--api-key-file): where
  # the secret belongs, but only if 0600.
  printf '%s\n' "${SECRET}" >"${FILES}/training.key"
  chmod 0644 "${FILES}/training.key"
  touch -d "@${t0}.06" "${FILES}/training.key"
  plant_run "amlretrain.2.${t0}070000" job run --api-key-file "${FILES}/training.key" --
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 1'
  assert_line --partial "canary: LEAK file: client-secret at byte 2 of ${FILES}/during.log"
  assert_line "canary: NOT PRIVATE key file ${FILES}/training.key has mode 644, not 600"
  assert_line --regexp '^canary: commands recorded: 1 amlretrain, 0 amlretrain-emulator, 1 scripts of scripts/$'
}

@test "a SAS on amlretrain's argv that it refused without repeating it is not a leak; repeated, it is" {
  plant_run amlretrain.1.1 job run --input "input1=https://a/c/b?sig=${SIG_ENC}" -- \
    err="amlretrain: refusing a SAS on the command line (--input 'input1'): write the URL to a file and pass input1=sas:FILE"
  run -0 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 0'
  assert_line --regexp '^canary: refused on the command line .*: 1$'
  plant_run amlretrain.2.2 job run --input "input1=https://a/c/b?sig=${SIG_ENC}" -- \
    err="amlretrain: refusing a SAS on the command line: https://a/c/b?sig=${SIG_ENC}"
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 1'
  assert_line --partial 'canary: LEAK stderr: sas-signature'
}

@test "a token cache or a backup that is not 0600 in 0700 fails the scan" {
  local b="${FILES}/backups"
  mkdir -p "${FILES}/home/.cache/amlretrain" "${b}"
  chmod 0755 "${FILES}/home/.cache/amlretrain"
  printf '{}\n' >"${FILES}/home/.cache/amlretrain/tokens.json"
  chmod 0600 "${FILES}/home/.cache/amlretrain/tokens.json"
  chmod 0700 "${b}"
  printf '{}\n' >"${b}/ws.json"
  chmod 0644 "${b}/ws.json"
  plant_run amlretrain.1.1 webservice get -n ws -- out='{}'
  printf '%s\n%s\n\n\n' "${b}" "${FILES}/home" >"${REC}/runs/amlretrain.1.1.env"
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_line 'canary: occurrences found: 0'
  assert_line "canary: NOT PRIVATE token cache ${FILES}/home/.cache/amlretrain/tokens.json is in a directory of mode 755, not 700"
  assert_line "canary: NOT PRIVATE backup ${b}/ws.json has mode 644, not 600"
}

@test "with no secret known nothing is checked, and that fails" {
  : >"${REC}/secrets.emulator"
  plant_run amlretrain.1.1 version -- out='{}'
  run -1 --separate-stderr python3 "${SCAN}" scan "${REC}" "${FILES}"
  assert_equal "${stderr}" 'canary: no secret known: nothing was checked'
}

@test "the recorder passes the pid, the exit status and both streams through, and notes the run" {
  local dir="${BATS_TEST_TMPDIR}/canary" out n
  mkdir -p "${dir}/runs" "${dir}/build/bin"
  ln -s "${AMLR_ROOT}/tests/canary/record" "${dir}/build/bin/amlretrain"
  printf 'CANARY_DIR=%q\nCANARY_REAL=%q\n' "${dir}" "${AMLR_BUILD}/bin" \
    >"${dir}/build/bin/canary.conf"
  AMLR_API_KEY="${SECRET}" run -2 --separate-stderr \
    "${dir}/build/bin/amlretrain" webservice get --bogus
  assert_output ''
  [[ "${stderr}" == amlretrain:*--bogus* ]]
  # stderr went to a file: a watcher copies it once the process is gone.
  for ((n = 0; n < 50; n++)); do
    kill -0 "$(cat "${dir}/watchers")" 2>/dev/null || break
    sleep 0.1
  done
  out="$(cat "${dir}"/runs/amlretrain.*.err)"
  assert_equal "${out}" "${stderr}"
  assert_equal "$(tr '\0' ' ' <"${dir}"/runs/amlretrain.*.argv)" \
    'webservice get --bogus '
  assert_equal "$(cat "${dir}/secrets.client")" "env:AMLR_API_KEY	${SECRET}"
  # The real binary runs under its name: /proc/PID/cmdline shows
  # amlretrain, as for a run from PATH (tests sample it).  cat stands in
  # for the real binary here, printing its own command line.
  mkdir -p "${dir}/real"
  ln -s /bin/cat "${dir}/real/amlretrain"
  printf 'CANARY_DIR=%q\nCANARY_REAL=%q\n' "${dir}" "${dir}/real" \
    >"${dir}/build/bin/canary.conf"
  "${dir}/build/bin/amlretrain" /proc/self/cmdline >"${dir}/cmdline"
  assert_equal "$(tr '\0' ' ' <"${dir}/cmdline")" 'amlretrain /proc/self/cmdline '
  rm -rf -- "${dir}"
}

@test "the sampler keeps the run's processes only (CANARY_DIR in their environment) and when ours lived" {
  local dir="${BATS_TEST_TMPDIR}/sampled" sampler p1 p2 n
  mkdir -p "${dir}"
  python3 "${SCAN}" sample "${dir}/cmdlines" "${AMLR_ROOT}" 3>&- &
  sampler=$!
  CANARY_DIR="${dir}" bash -c 'exec -a amlretrain sleep 0.6' 3>&- &
  p1=$!
  bash -c 'exec -a amlretrain sleep 0.61' 3>&- &
  p2=$!
  wait "${p1}" "${p2}"
  sleep 0.1
  kill "${sampler}"
  wait "${sampler}"
  assert_equal "$(cat "${dir}/cmdlines")" 'amlretrain 0.6'
  run -0 cut -f 1,2 "${dir}/cmdlines.lives"
  assert_output "${p1}	client"
  n="$(wc -l <"${dir}/cmdlines.ticks")"
  assert [ "${n}" -gt 5 ]
}
