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

# The web services of resource group $1 in list order (names in lower
# case, sorted): those the built-in seed makes there and $2...
group_names() {
  local g="$1"
  shift
  jq -r --arg g "${g}" --args '[.webServices[]? | select(.resourceGroup == $g)
    | .name | ascii_downcase] + $ARGS.positional | sort | .[]' "$@" \
    <"${AMLR_ROOT}/manifests/emulator/demo.json"
}

# The page lines `pages` prints for names $@ in pages of 2, without the
# nextLinks: "a b|", ..., the last "x|-".
expected_pages() {
  local -a names=("$@")
  local i
  for ((i = 0; i < ${#names[@]}; i += 2)); do
    if ((i + 2 < ${#names[@]})); then
      printf '%s|\n' "${names[*]:i:2}"
    else
      printf '%s|-\n' "${names[*]:i:2}"
    fi
  done
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

@test "the subscription's 7 services and the seeded ones come in pages of 2, each once, in a stable order" {
  local -a all
  mapfile -t all < <(group_names amlr-rg ws-c ws-a ws-e ws-b ws-d)
  mapfile -t -O "${#all[@]}" all < <(group_names amlr-rg-westeurope \
    other-1 other-2)
  run -0 pages "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  assert_equal "${#lines[@]}" $(((${#all[@]} + 1) / 2))
  run -0 bash -c "cut -d'|' -f1 <<<'${output}' | tr '\n' ' '"
  assert_output "${all[*]} "
}

@test "nextLink is absolute, on the emulator, with api-version and \$skiptoken" {
  arm GET "/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  run -0 jq -r .nextLink "${ARM_BODY}"
  assert_regex "${output}" "^${AMLR_EMULATOR_URL}/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.MachineLearning/webServices\\?api-version=${API}&%24skiptoken=[0-9a-f]+\$"
  # Sparse items on every page.
  run -0 jq -r '[.value[].properties | has("package") or has("assets") or has("keys")] | any' "${ARM_BODY}"
  assert_output false
}

@test "a group's list pages too; the other group fits one page without a nextLink" {
  local -a all
  mapfile -t all < <(group_names amlr-rg ws-c ws-a ws-e ws-b ws-d)
  run -0 pages "$(arm_rg_path)/webServices?api-version=${API}"
  # Every nextLink stays in the group's list.
  run -0 bash -c "grep -c '|http.*/resourceGroups/amlr-rg/providers/' <<<'${output}'"
  assert_output "$(((${#all[@]} - 1) / 2))"
  run -0 pages "$(arm_rg_path)/webServices?api-version=${API}"
  run -0 sed 's/|http.*/|/' <<<"${output}"
  assert_output "$(expected_pages "${all[@]}")"
  run -0 pages "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/amlr-rg-westeurope/providers/Microsoft.MachineLearning/webServices?api-version=${API}"
  assert_output 'other-1 other-2|-'
}

@test "the preview's nextLink keeps the preview api-version" {
  arm GET "$(arm_rg_path)/webServices?api-version=2016-05-01-preview"
  run -0 jq -r .nextLink "${ARM_BODY}"
  assert_regex "${output}" 'api-version=2016-05-01-preview&%24skiptoken='
}

@test "a service created meanwhile shows up once, a deleted one disappears, nobody twice" {
  local next i
  next="$(arm_rg_path)/webServices?api-version=${API}"
  # Up to the page that ends with ws-b (after the seeded services).
  for ((i = 0; i < 20; i++)); do
    arm GET "${next}"
    next="$(jq -r .nextLink "${ARM_BODY}")"
    [[ "$(jq -r '.value[-1].name' "${ARM_BODY}")" != ws-b ]] || break
  done
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
