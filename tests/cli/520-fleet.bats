#!/usr/bin/env bats
# amlretrain fleet against the emulator: the "many models" scenario
# (notes/classic-bes-rrs.md §5.4: one endpoint per location, each trained
# on its own data through BES §1, then its [trained model] resource
# PATCHed §3.5) for hundreds of endpoints at once, under injected faults
# (faults.h: rate-based 500s, 429 with Retry-After, resets), killed and
# resumed, split into shards.  The emulator's access log (--log) shows
# what reached the services.
# stderr, output, lines: set by bats' run; exports in a test stay in its
# subshell, as they should:
# shellcheck disable=SC2154,SC2030,SC2031

bats_require_minimum_version 1.5.0

DATA="${BATS_TEST_DIRNAME}/../../manifests/data"

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start_in_memory --log "${BATS_FILE_TMPDIR}/access.log"
  export EMU_ENV_FILE
}

# emu_start without a state directory: the classic store then keeps its
# hundreds of endpoints in memory instead of rewriting (and fsyncing) one
# file of all of them on every PUT and PATCH, which would dominate the
# run.  Same variables and readiness wait as emu_start.
emu_start_in_memory() {
  local i
  EMU_DIR="${BATS_FILE_TMPDIR}"
  EMU_ENV_FILE="${EMU_DIR}/emu.env"
  amlretrain-emulator --listen 127.0.0.1:0 --env-file "${EMU_ENV_FILE}" \
    "$@" >"${EMU_DIR}/emu.stdout" 2>"${EMU_DIR}/emu.stderr" 3>&- &
  EMU_PID=$!
  for ((i = 0; i < 200; i++)); do
    if [[ -s "${EMU_ENV_FILE}" ]]; then
      # shellcheck source=/dev/null
      source "${EMU_ENV_FILE}"
      return 0
    fi
    kill -0 "${EMU_PID}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

teardown_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  EMU_PID="${AMLR_EMULATOR_PID}" emu_stop
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  export AMLR_API_LOCATION="${AMLR_TRAINING_ENDPOINT_API_LOCATION}"
  export AMLR_API_KEY="${AMLR_TRAINING_ENDPOINT_API_KEY}"
  LOG="${BATS_FILE_TMPDIR}/access.log"
  EPS="/workspaces/${AMLR_WORKSPACE_ID}/webservices/${AMLR_PREDICTIVE_WEBSERVICE_ID}/endpoints"
  cd "${BATS_TEST_TMPDIR}" || return 1
}

# Write a targets file of $2 endpoints named $1-001... with their own
# training data: 120 rows of census-a or census-b (alternately), each
# endpoint a different slice, as @files.
# Arguments: name prefix, count, targets file
make_retrain_targets() {
  local prefix="$1" n="$2" out="$3" i src start
  mkdir -p data
  echo 'endpoint,input' >"${out}"
  for ((i = 1; i <= n; i++)); do
    if ((i % 2)); then src="${DATA}/census-a.csv"; else src="${DATA}/census-b.csv"; fi
    start=$(((i * 17) % 4800 + 1))
    awk -v s="${start}" 'NR == 1 || (NR > s && NR <= s + 120)' "${src}" \
      >"data/${prefix}-${i}.csv"
    printf '%s-%03d,@data/%s-%d.csv\n' "${prefix}" "${i}" "${prefix}" \
      "${i}" >>"${out}"
  done
}

# Add a fault (faults.h) through the admin API.
add_fault() {
  curl -sS -f -o /dev/null -X POST --data "$1" \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
}

clear_faults() {
  curl -sS -f -o /dev/null -X DELETE "${AMLR_EMULATOR_URL}/_emulator/faults"
}

# Let the last requests reach the access log.
settle_log() {
  sleep 0.3
}

@test "fleet --help, and usage errors exit 2 before anything is sent" {
  run -0 --separate-stderr amlretrain fleet retrain --help
  assert_output --partial 'amlretrain fleet retrain'
  assert_output --partial '--shard'
  run -0 --separate-stderr amlretrain fleet --help
  assert_output --partial 'set-model'
  printf 'endpoint,model\nep1,models/census-a.ilearner\n' >t.csv
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --concurrency 0
  assert_output ''
  assert_equal "${stderr_lines[0]}" "amlretrain: invalid value '0' for '--concurrency' (1 to 256)"
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --concurrency 257
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --shard 3/2
  assert_output ''
  run -2 --separate-stderr amlretrain fleet set-model
  assert_output ''
  run -2 --separate-stderr amlretrain fleet retrain --targets t.csv
  assert_output ''
  assert_file_not_exists t.csv.state
}

@test "a bad targets file exits 2 naming the line; nothing is sent" {
  local before
  settle_log
  before="$(wc -l <"${LOG}")"
  # A missing column.
  printf 'name,model\nep1,models/census-a.ilearner\n' >t.csv
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv
  assert_output ''
  assert_equal "${stderr}" "amlretrain: t.csv: line 1: the header has no 'endpoint' column"
  # A name outside the service's rule, after an empty line.
  printf 'endpoint,model\nep1,models/a.ilearner\n\nEp_2,models/a.ilearner\n' >t.csv
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv
  assert_output ''
  assert_regex "${stderr}" "^amlretrain: t.csv: line 4: invalid endpoint name 'Ep_2'"
  # The same endpoint twice.
  printf 'endpoint,model\nep1,models/a.ilearner\nep2,models/a.ilearner\nep1,models/b.ilearner\n' >t.csv
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv
  assert_equal "${stderr}" "amlretrain: t.csv: line 4: endpoint 'ep1' is listed twice (first on line 2)"
  # A model that is not a trained model.
  printf 'endpoint,model\nep1,models/a.csv\n' >t.csv
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv
  assert_equal "${stderr}" "amlretrain: t.csv: line 2: the model 'models/a.csv' is not a .ilearner blob"
  # An input file that is not there, with --error-format json.
  printf 'endpoint,input\nep1,@nowhere.csv\n' >t.csv
  run -2 --separate-stderr amlretrain --error-format json fleet retrain \
    --targets t.csv --container models
  assert_output ''
  jq -e '.error.exitCode == 2 and (.error.message | test("line 2: cannot read .nowhere.csv."))' \
    <<<"$(last_stderr_line)"
  settle_log
  assert_equal "$(wc -l <"${LOG}")" "${before}"
  assert_file_not_exists t.csv.state
}

@test "retrain 200 endpoints under faults: each job, PATCH and check exactly once" {
  local n=200 out
  make_retrain_targets loc 200 targets.csv
  settle_log
  : >"${BATS_TEST_TMPDIR}/mark"
  out="$(wc -l <"${LOG}")"
  # 500s on the management API, resets on GETs (management and job
  # status) and PATCHes, 429s with Retry-After on job submissions.
  add_fault '{"method": "*", "path": "/workspaces/*/webservices/**", "kind": "status", "status": 500, "rate": 0.03}'
  add_fault '{"method": "POST", "path": "/workspaces/*/services/*/jobs", "kind": "status", "status": 429, "retryAfter": 1, "count": 5}'
  add_fault '{"method": "GET", "path": "/workspaces/**", "kind": "reset", "rate": 0.02}'
  add_fault '{"method": "PATCH", "path": "/workspaces/**", "kind": "reset", "rate": 0.03}'
  run -0 --separate-stderr amlretrain fleet retrain --targets targets.csv \
    --create --container models --prefix fleet --concurrency 32
  clear_faults
  assert_equal "$(jq 'length' <<<"${output}")" "${n}"
  jq -e 'all(.status == "done" and .exitCode == 0 and .phase == "done"
             and (.jobId | test("^[0-9a-f]+$")) and .message == null)' \
    <<<"${output}"
  jq -e --arg u "${AMLR_EMULATOR_URL}" \
    'all(.model == "\($u)/devstoreaccount1/models/fleet/\(.endpoint).ilearner")' \
    <<<"${output}"
  # Every job is its own, and ran once.
  assert_equal "$(jq '[.[].jobId] | unique | length' <<<"${output}")" "${n}"
  settle_log
  tail -n +"$((out + 1))" "${LOG}" >run.log
  # The faults did meet the run.
  assert [ "$(grep -c ' fault=status:500 ' run.log)" -gt 0 ]
  assert [ "$(grep -c ' fault=status:429 ' run.log)" -eq 5 ]
  assert [ "$(grep -c ' fault=reset ' run.log)" -gt 0 ]
  # One accepted submission per endpoint, one start per job.
  assert_equal "$(grep -cE '^[^ ]+ POST /workspaces/[^ ]+/jobs 200 ' run.log)" "${n}"
  jq -r '.[].jobId' <<<"${output}" | sort >jobs.txt
  grep -E '^[^ ]+ POST /workspaces/[^ ]+/jobs/[^/ ]+/start 204 ' run.log |
    awk '{ print $3 }' | sed -E 's|.*/jobs/([^/]+)/start|\1|' | sort >started
  diff -u jobs.txt started
  # Exactly one applied PATCH and one endpoint created per endpoint.
  grep -E "^[^ ]+ PATCH ${EPS}/[^ ]+ 200 " run.log | awk '{ print $3 }' |
    sort | uniq -c | awk '$1 != 1' >dup
  assert_equal "$(wc -l <dup)" 0
  assert_equal "$(grep -cE "^[^ ]+ PATCH ${EPS}/loc-[0-9]+ 200 " run.log)" "${n}"
  assert_equal "$(grep -cE "^[^ ]+ PUT ${EPS}/loc-[0-9]+ 200 " run.log)" "${n}"
  # The endpoints use their models now.
  run -0 amlretrain endpoint get --name loc-007
  jq -e --arg u "${AMLR_EMULATOR_URL}" \
    '.Resources[0].Location.RelativeLocation == "models/fleet/loc-007.ilearner"' \
    <<<"${output}"
  # The journal: no secret in it, private; a second run sends nothing.
  run -0 stat -c %a targets.csv.state
  assert_output 600
  run -1 grep -E 'sig=|AccountKey|Bearer' targets.csv.state
  settle_log
  out="$(wc -l <"${LOG}")"
  run -0 --separate-stderr amlretrain fleet retrain --targets targets.csv \
    --create --container models --prefix fleet
  jq -e 'all(.status == "done-earlier" and .resumed)' <<<"${output}"
  settle_log
  run -1 grep -cvE ' (HEAD|GET) /devstoreaccount1/' <(tail -n +"$((out + 1))" "${LOG}")
  assert_output 0
}

@test "a run killed half-way resumes: no second job started, no second PATCH" {
  local pid i n=24
  # An emulator of its own whose jobs take a while, to kill in between
  # (with its state directory: what a real service keeps, it keeps).
  emu_start --log "${BATS_TEST_TMPDIR}/kill.log" --job-delay 300
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  export AMLR_API_LOCATION="${AMLR_TRAINING_ENDPOINT_API_LOCATION}"
  export AMLR_API_KEY="${AMLR_TRAINING_ENDPOINT_API_KEY}"
  make_retrain_targets kill "${n}" targets.csv
  amlretrain fleet retrain --targets targets.csv --create --container models \
    --concurrency 10 >first.json 2>first.err 3>&- &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    if [[ -f targets.csv.state ]] &&
      (($(grep -c '"phase":"done"' targets.csv.state) >= 3)); then
      break
    fi
    sleep 0.05
  done
  kill -9 "${pid}"
  wait "${pid}" || true
  # Half-way: some done, some waiting for their jobs, some not begun.
  run -0 amlretrain fleet status --state targets.csv.state
  jq -e 'any(.phase == "done") and any(.phase == "running" or .phase == "submitted")' \
    <<<"${output}"
  assert [ "$(jq 'length' <<<"${output}")" -lt "${n}" ]
  run -0 --separate-stderr amlretrain fleet retrain --targets targets.csv \
    --create --container models --concurrency 10
  jq -e 'all(.status == "done" or .status == "done-earlier")' <<<"${output}"
  jq -e 'any(.resumed and .status == "done")' <<<"${output}"
  assert_equal "$(jq '[.[].jobId] | unique | length' <<<"${output}")" "${n}"
  emu_stop
  # Every job that was started, was started once: the journalled ones.
  jq -r '.[].jobId' <<<"${output}" | sort >jobs.txt
  grep -E '^[^ ]+ POST /workspaces/[^ ]+/jobs/[^/ ]+/start 204 ' \
    "${BATS_TEST_TMPDIR}/kill.log" | awk '{ print $3 }' |
    sed -E 's|.*/jobs/([^/]+)/start|\1|' | sort >started
  diff -u jobs.txt started
  # One applied PATCH per endpoint over both runs.
  grep -E "^[^ ]+ PATCH /workspaces/[^ ]+/endpoints/kill-[0-9]+ 200 " \
    "${BATS_TEST_TMPDIR}/kill.log" | awk '{ print $3 }' | sort | uniq -c |
    awk '{ print $1 }' | sort -u >counts
  assert_equal "$(cat counts)" 1
  assert_equal "$(grep -cE "^[^ ]+ PATCH /workspaces/[^ ]+/endpoints/kill-[0-9]+ 200 " \
    "${BATS_TEST_TMPDIR}/kill.log")" "${n}"
}

@test "shards 1/2 and 2/2 cover the list exactly; status shows the journal" {
  local i
  echo 'endpoint,model' >t.csv
  for ((i = 1; i <= 80; i++)); do
    printf 'shard-%03d,models/census-a.ilearner\n' "${i}" >>t.csv
  done
  run -0 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --create --shard 1/2 --state one.state
  jq -r '.[].endpoint' <<<"${output}" >one
  jq -e 'all(.status == "done")' <<<"${output}"
  run -0 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --create --shard 2/2 --state two.state
  jq -r '.[].endpoint' <<<"${output}" >two
  # Disjoint, together the whole list, neither empty nor lopsided.
  assert [ "$(wc -l <one)" -gt 20 ]
  assert [ "$(wc -l <two)" -gt 20 ]
  assert_equal "$(sort one two | uniq -d | wc -l)" 0
  diff -u <(tail -n +2 t.csv | cut -d, -f1 | sort) <(sort one two)
  # The split depends on the names only, not on the order of the list.
  { head -1 t.csv; tail -n +2 t.csv | sort -r; } >r.csv
  run -0 --separate-stderr amlretrain fleet set-model --targets r.csv \
    --shard 1/2 --state one.state
  jq -e 'all(.status == "done-earlier")' <<<"${output}"
  diff -u <(sort one) <(jq -r '.[].endpoint' <<<"${output}" | sort)
  # status: the journal's view, without sending anything.
  run -0 --separate-stderr amlretrain fleet status --state one.state
  assert_equal "$(jq 'length' <<<"${output}")" "$(wc -l <one)"
  jq -e 'all(.phase == "done" and .resumeFrom == "done" and .exitCode == 0
             and (.model | endswith("/models/census-a.ilearner")))' \
    <<<"${output}"
  run -0 --separate-stderr amlretrain fleet status --state one.state -o table
  assert_line --index 0 --regexp '^endpoint +phase '
  run -4 --separate-stderr amlretrain fleet status --state nothing.state
  assert_output ''
  assert_equal "${stderr}" "amlretrain: state file 'nothing.state' not found"
  run -2 --separate-stderr amlretrain fleet status
}

@test "set-model: a failing target has its own exit code; the run goes on" {
  printf 'endpoint,model\nok-1,models/census-a.ilearner\nmissing-1,models/census-a.ilearner\nok-2,models/census-a.ilearner\n' >t.csv
  amlretrain endpoint add --name ok-1 >/dev/null
  amlretrain endpoint add --name ok-2 >/dev/null
  # Without --create, an endpoint that does not exist fails alone (4).
  run -4 --separate-stderr amlretrain fleet set-model --targets t.csv -o table
  assert_line --index 0 --regexp '^endpoint +status +exit +job +message'
  assert_line --index 2 --regexp '^ok-1 +done +0 '
  assert_line --index 3 --regexp '^missing-1 +failed +4 +.*not found'
  assert_line --index 4 --regexp '^ok-2 +done +0 '
  assert_regex "${stderr}" "missing-1: .*not found"
  # Rerun with --create: only the failed one is done now.
  run -0 --separate-stderr amlretrain fleet set-model --targets t.csv --create
  jq -e '[.[].status] == ["done-earlier", "done", "done-earlier"]' \
    <<<"${output}"
}

@test "no credentials, a wrong token, a service without models: one error, no output" {
  printf 'endpoint,model\nx1,models/census-a.ilearner\n' >t.csv
  run -3 --separate-stderr env -u AMLR_WORKSPACE_TOKEN amlretrain fleet \
    set-model --targets t.csv
  assert_output ''
  assert_equal "${stderr}" "amlretrain: no workspace token: set AMLR_WORKSPACE_TOKEN or use --token-file FILE"
  run -3 --separate-stderr env AMLR_WORKSPACE_TOKEN=wrong amlretrain \
    --error-format json fleet set-model --targets t.csv --state wrong.state
  assert_output ''
  jq -e '.error.exitCode == 3 and .error.code == "Unauthorized"' <<<"$(last_stderr_line)"
  # The training web service has no [trained model] resource to update.
  run -2 --separate-stderr amlretrain fleet set-model --targets t.csv \
    --webservice "${AMLR_TRAINING_WEBSERVICE_ID}" --state training.state
  assert_output ''
  assert_regex "${stderr}" "has a \[trained model\] resource to update\$"
}
