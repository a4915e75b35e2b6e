#!/usr/bin/env bats
# Paging of the emulator's web-service lists: --page-size items a page,
# an absolute nextLink with $skiptoken while more remain, followed
# verbatim (notes/arm-webservices.md §8, auth-storage.md §2 "Paging").
# `run` sets output, which shellcheck cannot see; jq programs hold '$':
# shellcheck disable=SC2154,SC2016

bats_require_minimum_version 1.5.0

API=2017-01-01

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  emu_start --page-size 2 --provisioning-delay 0
  arm_token
  local body="${BATS_FILE_TMPDIR}/body.json" name
  jq '.parameters.createOrUpdatePayload' \
    "${AMLR_REFERENCE}/arm-machinelearning/stable/2017-01-01/examples/putWebService.json" \
    >"${body}"
  # Five services in the first group (created out of order), two in the
  # second: 7 in the subscription.
  for name in ws-c ws-a ws-e ws-b ws-d; do
    arm_json PUT "$(arm_ws_path "${name}")?api-version=${API}" "${body}"
    [[ "${ARM_STATUS}" == 201 ]] || return 1
  done
  for name in other-1 other-2; do
    arm_json PUT "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/amlr-rg-westeurope/providers/Microsoft.MachineLearning/webServices/${name}?api-version=${API}" "${body}"
    [[ "${ARM_STATUS}" == 201 ]] || return 1
  done
}

teardown_file() {
  emu_stop # exit status 0: no sanitizer report, no leak
  assert_file_empty "${EMU_STDERR}"
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
}

# Follow a list from $1 through its nextLinks; prints one line per page:
# the names on it, then "|", then the nextLink or "-".
pages() {
  local url="$1" i
  for ((i = 0; i < 20; i++)); do
    arm GET "${url}"
    [[ "${ARM_STATUS}" == 200 ]] || {
      echo "HTTP ${ARM_STATUS}: $(cat "${ARM_BODY}")"
      return 1
    }
    url="$(jq -r '.nextLink // empty' "${ARM_BODY}")"
    jq -r '[.value[].name] | join(" ")' "${ARM_BODY}" | tr '\n' '|'
    echo "${url:--}"
    [[ -n "${url}" ]] || return 0
  done
  return 1
}

@test "the subscription's 7 services come in 4 pages of 2, 2, 2 and 1, each once, in a stable order" {
  run -0 pages "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  assert_equal "${#lines[@]}" 4
  run -0 bash -c "cut -d'|' -f1 <<<'${output}' | tr '\n' ' '"
  assert_output 'ws-a ws-b ws-c ws-d ws-e other-1 other-2 '
}

@test "nextLink is absolute, on the emulator, with api-version and \$skiptoken" {
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  run -0 jq -r .nextLink "${ARM_BODY}"
  assert_regex "${output}" "^${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices\\?api-version=${API}&%24skiptoken=[0-9a-f]+\$"
  # Sparse items on every page.
  run -0 jq -r '[.value[].properties | has("package") or has("assets") or has("keys")] | any' "${ARM_BODY}"
  assert_output false
}

@test "a group's list pages too: 2, 2, 1; the other group fits one page without a nextLink" {
  run -0 pages "$(arm_rg_path)/webServices?api-version=${API}"
  assert_equal "${#lines[@]}" 3
  assert_line --index 0 --regexp '^ws-a ws-b\|http'
  assert_line --index 1 --regexp '^ws-c ws-d\|http.*/resourceGroups/amlr-rg/providers/'
  assert_line --index 2 'ws-e|-'
  run -0 pages "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/amlr-rg-westeurope/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  assert_output 'other-1 other-2|-'
}

@test "the preview's nextLink keeps the preview api-version" {
  arm GET "$(arm_rg_path)/webServices?api-version=2016-05-01-preview"
  run -0 jq -r .nextLink "${ARM_BODY}"
  assert_regex "${output}" 'api-version=2016-05-01-preview&%24skiptoken='
}

@test "a service created meanwhile shows up once, a deleted one disappears, nobody twice" {
  arm GET "$(arm_rg_path)/webServices?api-version=${API}"
  local next
  next="$(jq -r .nextLink "${ARM_BODY}")"
  arm_json PUT "$(arm_ws_path ws-aa)?api-version=${API}" "${BATS_FILE_TMPDIR}/body.json"
  arm DELETE "$(arm_ws_path ws-d)?api-version=${API}"
  run -0 pages "${next}"
  run -0 bash -c "cut -d'|' -f1 <<<'${output}' | tr '\n' ' '"
  # ws-aa sorts before the token (after ws-a, ws-b were served): not
  # shown again on later pages; ws-d is gone.
  assert_output 'ws-c ws-e '
}

@test "a bad \$skiptoken: 400" {
  arm GET "$(arm_rg_path)/webServices?api-version=${API}&%24skiptoken=zz"
  assert_equal "${ARM_STATUS}" 400
  run -0 jq -r '.error.details[0].code' "${ARM_BODY}"
  assert_output InvalidSkipToken
  # A token of another group's list is no good here either.
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/amlr-rg-westeurope/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  local token
  token="$(jq -r '.nextLink | capture("skiptoken=(?<t>.*)").t' "${ARM_BODY}")"
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/amlr-rg-westeurope/providers/Microsoft.MachineLearning/webServices?api-version=${API}&\$skiptoken=${token}"
  assert_equal "${ARM_STATUS}" 400
}
