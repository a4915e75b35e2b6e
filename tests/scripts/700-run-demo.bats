#!/usr/bin/env bats
# scripts/run-demo (make demo): both paths retrained behind the gate on
# the emulator's default seed, and a summary in which the predictions
# change (issue #9: "its summary shows the predictions changing").
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
}

@test "run-demo: both paths promoted, the same people's predictions change, reports and logs kept, the emulator stopped" {
  local work="${BATS_TEST_TMPDIR}/demo"
  run -0 --separate-stderr "${AMLR_ROOT}/scripts/run-demo" --work-dir "${work}"
  local i
  for i in 1 2 3 4 5 6 7 8 9; do
    [[ "${stderr}" == *"step ${i}/9: "* ]]
  done
  assert_line --regexp '^  web service +AUC on the holdout 0\.6065 -> 0\.8221: promoted$'
  assert_line --regexp '^  classic endpoint +AUC on the holdout 0\.6065 -> 0\.8221: promoted$'
  assert_line --regexp '^  new model \(job\) +Accuracy 0\.7976, AUC 0\.8312, F1 0\.5627$'
  # Five people, each with "p -> q" for both paths, and q != p.
  local rows
  rows="$(grep -E '^    [0-9]+ ' <<<"${output}")"
  [[ "$(wc -l <<<"${rows}")" -eq 5 ]]
  awk '{ n = 0; for (f = 1; f <= NF; f++) if ($f == "->") {
           n++; if ($(f - 1) == $(f + 1)) exit 1 }
         if (n != 2) exit 1 }' <<<"${rows}"
  # The first person of the holdout, scored by census-a's model and then
  # by the model retrained on the drifted data.
  assert_line --regexp '^    40 +Some-college +52 +>50K +0\.492 -> 0\.574 +0\.492 -> 0\.574$'
  jq -e '.status == "promoted"' "${work}/census-webservice-report.json"
  jq -e '.status == "promoted"' "${work}/census-classic-report.json"
  grep -q ': exit 0 (OK)$' "${work}/census-webservice.log"
  grep -q ': exit 0 (OK)$' "${work}/census-classic.log"
  [[ -s "${work}/emulator-access.log" ]]
  assert_line "  Reports: ${work}/census-webservice-report.json"
  # No key file left behind; the emulator is gone (its env file too).
  run ! compgen -G "${work}/*.key"
  [[ ! -e "${work}/emulator.env" ]]
}
