#!/usr/bin/env bats
# scripts/create-endpoints: "Create many Machine Learning models and web
# service endpoints from one experiment"
# (../shared/reference/notes/classic-bes-rrs.md §5.4): one endpoint per
# data set on the predictive service, each with its own model, checked by
# scoring the same rows everywhere; against a fresh emulator.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  emu_start --provisioning-delay 50
  export EMU_ENV_FILE
}

teardown_file() {
  emu_stop
}

setup() {
  load '../test_helper/common'
  # common unsets the secrets; the emulator's env file brings them back.
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  SCRIPT="${AMLR_ROOT}/scripts/create-endpoints"
}

@test "create-endpoints --count 3: three endpoints, three models, three different predictions" {
  run -0 --separate-stderr "${SCRIPT}" --count 3 --prefix loc \
    --work-dir "${BATS_TEST_TMPDIR}/work"
  [[ "${stderr}" == *"step 3/4: retrain and patch 3 endpoints (amlretrain fleet retrain --create)"* ]]
  [[ "${#lines[@]}" -eq 4 ]]
  assert_line --index 0 $'endpoint\tstatus\tmodel\trow 1\trow 2\trow 3'
  local i
  for i in 1 2 3; do
    assert_line --index "${i}" --regexp \
      "^loc00${i}"$'\t'"done"$'\t'"amlretrain-models/loc00${i}\\.ilearner"$'\t'
  done
  # Trained on different slices: no two endpoints score row 1 alike.
  [[ "$(awk -F '\t' 'NR > 1 { print $4 }' <<<"${output}" | sort -u \
    | wc -l)" -eq 3 ]]
  # The endpoints exist on the predictive service with those models.
  run -0 amlretrain endpoint list
  jq -e '[.[] | select(.Name | startswith("loc"))
    | .Resources[0].Location.RelativeLocation] | sort
    == ["amlretrain-models/loc001.ilearner",
        "amlretrain-models/loc002.ilearner",
        "amlretrain-models/loc003.ilearner"]' <<<"${output}"
  # Each slice has the census header and about a third of 10,000 rows.
  [[ "$(head -n 1 "${BATS_TEST_TMPDIR}/work/slices/loc002.csv")" == "$(head -n 1 "${AMLR_DATA_DIR}/census-a.csv")" ]]
  [[ "$(wc -l <"${BATS_TEST_TMPDIR}/work/slices/loc002.csv")" -eq 3334 ]]
}

@test "create-endpoints --data-dir: endpoint names from the file names" {
  mkdir "${BATS_TEST_TMPDIR}/sets"
  head -n 1500 "${AMLR_DATA_DIR}/census-a.csv" \
    >"${BATS_TEST_TMPDIR}/sets/North-1.csv"
  head -n 1500 "${AMLR_DATA_DIR}/census-b.csv" \
    >"${BATS_TEST_TMPDIR}/sets/south-2.csv"
  run -0 --separate-stderr "${SCRIPT}" --data-dir "${BATS_TEST_TMPDIR}/sets"
  [[ "${#lines[@]}" -eq 3 ]]
  assert_line --index 1 --regexp $'^north-1\tdone\t'
  assert_line --index 2 --regexp $'^south-2\tdone\t'
  run -0 amlretrain endpoint get -n south-2
}

@test "create-endpoints: a job that fails (bad data) exits with its code, 10" {
  mkdir "${BATS_TEST_TMPDIR}/sets"
  printf 'a,b\n1,2\n' >"${BATS_TEST_TMPDIR}/sets/broken.csv"
  run -10 --separate-stderr "${SCRIPT}" --data-dir "${BATS_TEST_TMPDIR}/sets"
  assert_output ''
  [[ "${stderr}" == *"  broken: failed"*"no column 'income'"* ]]
  [[ "${stderr##*$'\n'}" == "create-endpoints: 'amlretrain fleet retrain' failed: exit 10 (JobFailed)" ]]
}

@test "create-endpoints: a bad name stops everything before any request" {
  mkdir "${BATS_TEST_TMPDIR}/sets"
  head -n 50 "${AMLR_DATA_DIR}/census-a.csv" >"${BATS_TEST_TMPDIR}/sets/ok.csv"
  head -n 50 "${AMLR_DATA_DIR}/census-a.csv" \
    >"${BATS_TEST_TMPDIR}/sets/much-too-long-an-endpoint-name.csv"
  run -2 --separate-stderr "${SCRIPT}" --data-dir "${BATS_TEST_TMPDIR}/sets"
  [[ "${stderr}" == *"'much-too-long-an-endpoint-name' is not an endpoint name"* ]]
  run -4 amlretrain endpoint get -n ok
}
