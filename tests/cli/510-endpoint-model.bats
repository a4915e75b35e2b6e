#!/usr/bin/env bats
# amlretrain endpoint set-model and rollback against the emulator: the
# documented classic retraining path (notes/classic-bes-rrs.md §5.2-5.4:
# add an endpoint to the predictive service, run the training service's
# BES, PATCH the endpoint's [trained model] resource with output1), and
# what amlretrain adds: pre-flight, backups without secrets, read-back
# verification, rollback.
# stderr, stderr_lines, output: set by bats' run; exports in a test stay
# in its subshell, as they should:
# shellcheck disable=SC2154,SC2030,SC2031

bats_require_minimum_version 1.5.0

DATA="${BATS_TEST_DIRNAME}/../../manifests/data"

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start
  export EMU_ENV_FILE
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  amlretrain blob upload -c data -n census-b.csv -f "${DATA}/census-b.csv" \
    --create-container >/dev/null
  # Twenty holdout rows without the label, as an RRS request (§2.1).
  jq -R -s '
    [split("\n")[] | select(length > 0) | split(",")] as $rows
    | {Inputs: {input1: {ColumnNames: $rows[0][0:-1],
                         Values: [$rows[1:21][] | .[0:-1]]}},
       GlobalParameters: {}}' "${DATA}/census-b-holdout.csv" \
    >"${BATS_FILE_TMPDIR}/score.json"
  # One retraining job on census-b for the whole file (§1.4): its
  # status JSON, with Results.output1 and a fresh SAS, is the input of
  # set-model --from-job.
  train_job data/census-b.csv "models/census-b.ilearner" \
    "${BATS_FILE_TMPDIR}/job.json"
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
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  JOB="${BATS_FILE_TMPDIR}/job.json"
}

# Run a BES job on the training service's default endpoint with curl (its
# key in a header file, never on a command line) and wait for it.
# Arguments: input blob (container/name), output1 blob, status file
train_job() {
  local req="${BATS_FILE_TMPDIR}/req.json" auth="${BATS_FILE_TMPDIR}/auth"
  local base="${AMLR_TRAINING_ENDPOINT_API_LOCATION}" id state i
  printf 'Authorization: Bearer %s\n' "${AMLR_TRAINING_ENDPOINT_API_KEY}" \
    >"${auth}"
  jq -n --arg cs "${AZURE_STORAGE_CONNECTION_STRING}" --arg in "$1" \
    --arg out "$2" '
    {Inputs: {input1: {ConnectionString: $cs, RelativeLocation: $in}},
     Outputs: {output1: {ConnectionString: $cs, RelativeLocation: $out}},
     GlobalParameters: {}}' >"${req}"
  id="$(curl -fsS -H "@${auth}" -H 'Content-Type: application/json' \
    --data-binary "@${req}" "${base}/jobs?api-version=2.0" | jq -r .)"
  curl -fsS -X POST -H "@${auth}" -H 'Content-Length: 0' \
    "${base}/jobs/${id}/start?api-version=2.0"
  for ((i = 0; i < 600; i++)); do
    curl -fsS -H "@${auth}" "${base}/jobs/${id}?api-version=2.0" >"$3"
    state="$(jq -r .StatusCode "$3")"
    [[ "${state}" == Finished ]] && return 0
    [[ "${state}" == Failed || "${state}" == Cancelled ]] && break
    sleep 0.05
  done
  echo "train_job: ${state}: $(cat "$3")" >&2
  return 1
}

# The Scored Probabilities of the twenty rows, scored by endpoint $1 (RRS
# on its ApiLocation with its own key).
score() {
  local ep="${BATS_TEST_TMPDIR}/ep.json" auth="${BATS_TEST_TMPDIR}/ep-auth"
  amlretrain endpoint get -n "$1" --show-keys >"${ep}"
  jq -r '"Authorization: Bearer " + .PrimaryKey' "${ep}" >"${auth}"
  curl -fsS -H "@${auth}" -H 'Content-Type: application/json' \
    --data-binary "@${BATS_FILE_TMPDIR}/score.json" \
    "$(jq -r .ApiLocation "${ep}")/execute?api-version=2.0&details=true" |
    jq -c '.Results.output1.value as $v
      | ($v.ColumnNames | index("Scored Probabilities")) as $i
      | [$v.Values[][$i]]'
}

# The signature of the job's SAS: it must never show anywhere.
job_sig() {
  jq -r '.Results.output1.SasBlobToken' "${JOB}" | sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p'
}

@test "set-model --from-job swaps the model in: the predictions change; rollback restores them" {
  local name before after back sig
  name="rt$(date +%s%N | tail -c 9)"
  sig="$(job_sig)"
  [[ -n "${sig}" ]]
  run -0 --separate-stderr amlretrain endpoint add -n "${name}"
  before="$(score "${name}")"
  [[ "${before}" == '['*']' ]]

  run -0 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --from-job "${JOB}"
  jq -e --arg n "${name}" '.name == $n
    and (.resource | test("\\[trained model\\]$"))
    and (.location | endswith("models/census-b.ilearner"))
    and .previousLocation != .location and (.backup | length > 0)' \
    <<<"${output}"
  # The backup: 0600 in a 0700 directory, the old location, no SAS.
  back="$(jq -r .backup <<<"${output}")"
  assert_equal "$(stat -c %a "${back}")" 600
  assert_equal "$(stat -c %a "${AMLR_BACKUP_DIR}")" 700
  jq -e --arg n "${name}" '.amlretrainBackup.endpointName == $n
    and (.resources[0].Location | has("SasBlobToken") | not)' "${back}"
  run ! grep -q -e 'sig=' -e 'SasBlobToken' "${back}"
  refute_output --partial "${sig}"
  refute_output --partial 'sig='
  assert_equal "${stderr}" ''
  after="$(score "${name}")"
  [[ "${after}" != "${before}" ]]

  # Rollback: the SAS for the old model is signed with the account key.
  run -0 --separate-stderr amlretrain endpoint rollback -n "${name}"
  jq -e --arg b "${back}" '.restoredFrom == $b' <<<"${output}"
  refute_output --partial 'sig='
  assert_equal "$(score "${name}")" "${before}"
  # Undone, the rollback left a backup of its own.
  assert_equal "$(find "${AMLR_BACKUP_DIR}" -type f | wc -l)" 2
  run -0 --separate-stderr amlretrain endpoint get -n "${name}"
  run ! grep -q 'census-b.ilearner' <<<"${output}"
}

@test "the job's SAS never shows: not in --debug traces, not in --dry-run" {
  local name sig
  name="dr$(date +%s%N | tail -c 9)"
  sig="$(job_sig)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  run -0 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --from-job "${JOB}" --dry-run
  jq -e '.method == "PATCH"
    and (.url | endswith("/endpoints/'"${name}"'"))
    and .body.Resources[0].Location.SasBlobToken == "REDACTED"
    and (.body.Resources[0].Location.RelativeLocation
         | endswith("census-b.ilearner"))' <<<"${output}"
  refute_output --partial "${sig}"
  # Nothing changed, nothing was backed up.
  run -0 --separate-stderr amlretrain endpoint get -n "${name}"
  run ! grep -q 'census-b.ilearner' <<<"${output}"
  assert_file_not_exists "${AMLR_BACKUP_DIR}"
  run -0 --separate-stderr amlretrain --debug endpoint set-model \
    -n "${name}" --from-job "${JOB}"
  [[ "${stderr}" == *'> PATCH '* ]]
  [[ "${stderr}" == *'"SasBlobToken":"REDACTED"'* ]]
  refute_output --partial "${sig}"
  [[ "${stderr}" != *"${sig}"* ]]
  [[ "${stderr}" != *"${AMLR_WORKSPACE_TOKEN}"* ]]
}

@test "set-model refuses the default endpoint and a SAS on argv, before any request" {
  local port
  port="$(unused_port)"
  export AMLR_MANAGEMENT_ENDPOINT="http://127.0.0.1:${port}"
  run -2 --separate-stderr amlretrain endpoint set-model -n default \
    --from-job "${JOB}"
  assert_equal "${stderr_lines[0]}" "amlretrain: the default endpoint cannot take a new model: add an endpoint ('amlretrain endpoint add') and set its model"
  assert_output ''
  run -2 --separate-stderr amlretrain endpoint set-model -n x \
    --base-location http://127.0.0.1:1/devstoreaccount1/ \
    --relative-location models/m.ilearner --sas-token 'sv=2022-11-02&sig=abc'
  assert_equal "${stderr_lines[0]}" 'amlretrain: refusing a SAS on the command line: pass it as --sas-token @FILE or --sas-token - (stdin)'
  run -2 --separate-stderr amlretrain endpoint set-model -n x
  assert_equal "${stderr_lines[0]}" 'amlretrain: give the model with either --from-job or --base-location and --relative-location'
  run -2 --separate-stderr amlretrain endpoint set-model -n x \
    --from-job "${JOB}" --job-output output9
  assert_regex "${stderr_lines[0]}" 'no Results.output9.BaseLocation and RelativeLocation'
}

@test "set-model with --base-location, --relative-location and --sas-token @FILE" {
  local name sas="${BATS_TEST_TMPDIR}/sas"
  name="bl$(date +%s%N | tail -c 9)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  jq -r .Results.output1.SasBlobToken "${JOB}" >"${sas}"
  run -0 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --base-location "$(jq -r .Results.output1.BaseLocation "${JOB}")" \
    --relative-location "$(jq -r .Results.output1.RelativeLocation "${JOB}")" \
    --sas-token "@${sas}"
  jq -e '.location | endswith("models/census-b.ilearner")' <<<"${output}"
  # The same model again: nothing to do, nothing sent.
  run -0 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --from-job "${JOB}"
  assert_equal "${stderr}" "amlretrain: warning: endpoint '${name}' already uses this model: nothing to do"
}

@test "pre-flight: a model that is not an .ilearner, or cannot be read, is refused (exit 2/4)" {
  local name sas="${BATS_TEST_TMPDIR}/sas" base
  name="pf$(date +%s%N | tail -c 9)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  base="$(jq -r .Results.output1.BaseLocation "${JOB}")"
  jq -r .Results.output1.SasBlobToken "${JOB}" >"${sas}"
  run -2 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --base-location "${base}" --relative-location data/census-b.csv \
    --sas-token "@${sas}"
  assert_regex "${stderr_lines[0]}" 'is not an .ilearner blob'
  # No SAS and no account key for it: exit 2 saying what is needed.
  run -2 --separate-stderr env -u AZURE_STORAGE_CONNECTION_STRING \
    amlretrain endpoint set-model -n "${name}" --base-location "${base}" \
    --relative-location models/census-b.ilearner
  assert_regex "${stderr_lines[0]}" 'no SAS for the model .* give one with --sas-token @FILE, or set AZURE_STORAGE_CONNECTION_STRING'
  # Signed with the account key, but the blob does not exist.
  run -4 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --base-location "${base}" --relative-location models/nothing.ilearner
  assert_regex "${stderr_lines[0]}" 'cannot be read'
  run -0 --separate-stderr amlretrain endpoint get -n "${name}"
  run ! grep -q 'nothing.ilearner' <<<"${output}"
}

@test "rollback: no backup exits 4; a backup of another endpoint is refused" {
  local name
  name="rb$(date +%s%N | tail -c 9)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  run -4 --separate-stderr amlretrain endpoint rollback -n "${name}"
  assert_regex "${stderr_lines[0]}" "no backup of endpoint '${name}'"
  amlretrain endpoint set-model -n "${name}" --from-job "${JOB}" >/dev/null
  run -2 --separate-stderr amlretrain endpoint rollback -n other \
    --backup "$(find "${AMLR_BACKUP_DIR}" -type f)"
  assert_regex "${stderr_lines[0]}" "is a backup of endpoint '${name}', not of 'other'"
}

# Add a fault to the emulator (its admin API; the client never uses it).
fault() {
  curl -fsS -X POST -H 'Content-Type: application/json' \
    --data "$1" "${AMLR_EMULATOR_URL}/_emulator/faults" >/dev/null
}

@test "a PATCH the service answers 200 but does not apply: exit 8 naming the backup" {
  local name
  name="v8$(date +%s%N | tail -c 9)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  fault '{"method":"PATCH","path":"/workspaces/**/endpoints/'"${name}"'","kind":"body","status":200,"count":1}'
  run -8 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --from-job "${JOB}"
  assert_output ''
  assert_regex "${stderr}" "^amlretrain: the PATCH succeeded, but resource 'Census Model \[trained model\]' of endpoint '${name}' does not point at the new model \(rollback: 'amlretrain endpoint rollback --backup ${AMLR_BACKUP_DIR}/classic_.*_${name}_.*\.json'\)$"
}

@test "a PATCH the service refuses: its error, and where the backup is" {
  local name
  name="v2$(date +%s%N | tail -c 9)"
  amlretrain endpoint add -n "${name}" >/dev/null 2>&1
  fault '{"method":"PATCH","path":"/workspaces/**/endpoints/'"${name}"'","kind":"status","status":400,"code":"BadArgument","message":"The trained model URL is invalid.","count":1}'
  run -2 --separate-stderr amlretrain endpoint set-model -n "${name}" \
    --from-job "${JOB}"
  assert_output ''
  assert_regex "${stderr_lines[0]}" "^amlretrain: the model of endpoint '${name}' was not changed; its previous locations are in ${AMLR_BACKUP_DIR}/.*\.json \('amlretrain endpoint rollback --backup .*' re-applies them\)$"
  assert_equal "${stderr_lines[1]}" 'amlretrain: The trained model URL is invalid.'
  run -0 --separate-stderr amlretrain endpoint get -n "${name}"
  run ! grep -q 'census-b.ilearner' <<<"${output}"
}

teardown() {
  emu_stop # only an emulator this test started itself
}

@test "an endpoint with several trained models: --resource chooses, else exit 2 listing them" {
  local dir="${AMLR_ROOT}/manifests/emulator" t="${BATS_TEST_TMPDIR}"
  # The predictive service with a second [trained model] resource.
  jq '.properties.assets.asset9 = (.properties.assets.asset2
      | .name = "Second Model [trained model]")' \
    "${AMLR_ROOT}/manifests/definitions/census-predictive.json" >"${t}/pred.json"
  jq --arg d "${dir}/" --arg p "${t}/pred.json" '
    walk(if type == "string" and startswith("../") then $d + . else . end)
    | .workspaces[0].webServices |= map(if .role == "predictive"
                                         then .definition = $p else . end)' \
    "${dir}/demo.json" >"${t}/seed.json"
  emu_start --seed "${t}/seed.json"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  amlretrain endpoint add -n two >/dev/null 2>&1
  run -2 --separate-stderr amlretrain endpoint set-model -n two \
    --from-job "${JOB}"
  assert_equal "${stderr}" "amlretrain: endpoint 'two' has several trained models: choose one with --resource ('Census Model [trained model]', 'Second Model [trained model]')"
  run -2 --separate-stderr amlretrain endpoint set-model -n two \
    --from-job "${JOB}" --resource 'Third [trained model]'
  assert_regex "${stderr}" "has no resource 'Third \[trained model\]'"
  run -0 --separate-stderr amlretrain endpoint set-model -n two \
    --from-job "${JOB}" --resource 'Second Model [trained model]' --dry-run
  jq -e '.body.Resources | length == 1
    and .[0].Name == "Second Model [trained model]"' <<<"${output}"
}
