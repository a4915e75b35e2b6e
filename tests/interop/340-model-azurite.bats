#!/usr/bin/env bats
# Predictive services scoring with a model in another storage account,
# Azurite 3.35.0 (issue #6): the training job writes the model there, then
# (a) a classic endpoint's [trained model] resource is PATCHed to it
# (BaseLocation + RelativeLocation + SasBlobToken, `amlretrain endpoint
# set-model --from-job`), (b) a Resource Manager web service's Resource
# asset names it (locationInfo.uri, the blob URL with its SAS); RRS scores
# with it exactly as with the same model in the emulator's own storage.
# Ground truth: ../shared/reference/notes/classic-bes-rrs.md §1.3 (Results
# of a job: BaseLocation, RelativeLocation, SasBlobToken), §3.5 (PATCH of
# an endpoint with a BES output; 400 BadArgument for a bad SAS or blob),
# §5.5 (a web service's [trained model] asset, locationInfo.uri), §2 (RRS).
# The jobs' side: 330-bes-azurite.bats.
# `run` sets output and stderr; jq programs hold '$'; JOB_ID and BES_* are
# set by the helpers:
# shellcheck disable=SC2154,SC2016,SC2030,SC2031,SC2034

bats_require_minimum_version 1.5.0

DEFS="${BATS_TEST_DIRNAME}/../../manifests/definitions"
DATA="${BATS_TEST_DIRNAME}/../../manifests/data"
RESOURCE='Census Model [trained model]'

setup_file() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  load 'azurite'
  azurite_start
  emu_start --provisioning-delay 0 -v --log "${BATS_FILE_TMPDIR}/access.log"
  arm_token
  export AZURITE_CS
  # shellcheck source=/dev/null
  source "${EMU_ENV_FILE}"
  export AZURE_STORAGE_CONNECTION_STRING
  # census-b in both accounts: the same job, once writing its model to
  # Azurite, once to the emulator's own account (the reference).
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" amlretrain blob upload \
    -c train -n census-b.csv -f "${DATA}/census-b.csv" \
    --create-container >/dev/null
  [[ "$(make_container data)" == 201 ]]
  amlretrain blob upload -c data -n census-b.csv -f "${DATA}/census-b.csv" \
    >/dev/null
  BES_BASE="${AMLR_TRAINING_ENDPOINT_API_LOCATION}"
  BES_AUTH="$(key_file "${AMLR_TRAINING_ENDPOINT_API_KEY}" train)"
  bes_request "${BATS_FILE_TMPDIR}/own-req.json" data/census-b.csv \
    data/own.ilearner ""
  bes_submit_start "${BATS_FILE_TMPDIR}/own-req.json"
  [[ "$(bes_wait "${JOB_ID}")" == Finished ]]
  cp -- "${BES_BODY}" "${BATS_FILE_TMPDIR}/own.json"
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" bes_request \
    "${BATS_FILE_TMPDIR}/az-req.json" train/census-b.csv \
    models/az.ilearner ""
  bes_submit_start "${BATS_FILE_TMPDIR}/az-req.json"
  [[ "$(bes_wait "${JOB_ID}")" == Finished ]]
  cp -- "${BES_BODY}" "${BATS_FILE_TMPDIR}/az.json"
  # Twenty holdout rows without the label, as an RRS request (§2.1).
  jq -R -s '
    [split("\n")[] | select(length > 0) | split(",")] as $rows
    | {Inputs: {input1: {ColumnNames: $rows[0][0:-1],
                         Values: [$rows[1:21][] | .[0:-1]]}},
       GlobalParameters: {}}' "${DATA}/census-b-holdout.csv" \
    >"${BATS_FILE_TMPDIR}/score.json"
}

teardown_file() {
  local rc=0
  load '../test_helper/emulator'
  load 'azurite'
  emu_stop || rc=$? # 0: no sanitizer report, no leak
  azurite_stop
  return "${rc}"
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  load '../test_helper/arm'
  load '../test_helper/bes'
  # common.bash unsets the secrets: the emulator's again.
  # shellcheck source=/dev/null
  source "${BATS_FILE_TMPDIR}/emu.env"
  export AZURE_STORAGE_CONNECTION_STRING
  export AMLR_WEBSERVICE_ID="${AMLR_PREDICTIVE_WEBSERVICE_ID}"
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  AZ_BASE="${AZURITE_URL}/devstoreaccount1/"
  MGMT_AUTH=""
}

# The signature in SAS URL or token $1.
sig_of() {
  sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p' <<<"$1"
}

# A SAS URL of Azurite's blob $1/$2 with permissions $3, valid for $4
# (default 1h), from Azurite's account key; its signature is kept in
# BATS_FILE_TMPDIR/sigs for the last test.
azurite_sas_url() {
  local url
  url="$(AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" \
    amlretrain blob sas -c "$1" -n "$2" -p "$3" -e "${4:-1h}" | jq -r .url)"
  sig_of "${url}" >>"${BATS_FILE_TMPDIR}/sigs"
  printf '%s\n' "${url}"
}

# SAS URL or token $1 with its expiry (se) in the past.
expired_sas() {
  local head="${1%%se=*}" rest="${1#*se=}"
  printf '%sse=2020-01-01T00%%3A00%%3A00Z%s\n' "${head}" \
    "${rest#"${rest%%&*}"}"
}

# The Scored Probabilities of the twenty rows by RRS at BES_BASE.
scores() {
  bes_json "/execute?api-version=2.0&details=true" \
    "${BATS_FILE_TMPDIR}/score.json"
  [[ "${BES_STATUS}" == 200 ]] || {
    echo "scores: ${BES_STATUS} $(cat "${BES_BODY}")" >&2
    return 1
  }
  jq -c '.Results.output1.value as $v
    | ($v.ColumnNames | index("Scored Probabilities")) as $i
    | [$v.Values[][$i]]' "${BES_BODY}"
}

# Scores of classic endpoint $1 of the predictive service.
endpoint_scores() {
  classic_use "${AMLR_PREDICTIVE_WEBSERVICE_ID}" "$1" && scores
}

# A PATCH body for the resource: BaseLocation, RelativeLocation, SAS $1.
patch_with() {
  jq -nc --arg n "${RESOURCE}" --arg b "${AZ_BASE}" --arg s "$1" \
    --arg r "${2:-models/az.ilearner}" \
    '{Resources: [{Name: $n, Location: {BaseLocation: $b,
      RelativeLocation: $r, SasBlobToken: $s}}]}'
}

# The predictive definition with its [trained model] asset at URI $1.
definition_at() {
  jq --arg u "$1" '.properties.assets.asset2.locationInfo.uri = $u' \
    "${DEFS}/census-predictive.json"
}

@test "classic: set-model --from-job with the model in Azurite scores as the same model in the emulator's storage" {
  local before after own sas
  run -0 --separate-stderr amlretrain endpoint add -n azm
  run -0 --separate-stderr amlretrain endpoint add -n ownm
  before="$(endpoint_scores azm)"
  [[ "${before}" == '['*']' ]]
  run -0 --separate-stderr amlretrain endpoint set-model -n azm \
    --from-job "${BATS_FILE_TMPDIR}/az.json"
  assert_equal "${stderr}" ''
  jq -e '.name == "azm" and (.location | endswith("models/az.ilearner"))
    and .previousLocation != .location' <<<"${output}"
  run -0 --separate-stderr amlretrain endpoint set-model -n ownm \
    --from-job "${BATS_FILE_TMPDIR}/own.json"
  after="$(endpoint_scores azm)"
  own="$(endpoint_scores ownm)"
  [[ "${after}" != "${before}" ]]
  assert_equal "${after}" "${own}"
  # The endpoint keeps the location with the SAS it was given (§3.3, §3.5).
  sas="$(jq -r .Results.output1.SasBlobToken "${BATS_FILE_TMPDIR}/az.json")"
  mgmt GET "$(mgmt_path "${AMLR_PREDICTIVE_WEBSERVICE_ID}" azm)"
  assert_equal "${MGMT_STATUS}" 200
  run -0 jq -r --arg n "${RESOURCE}" '.Resources[]
    | select(.Name == $n) | .Location
    | .BaseLocation, .RelativeLocation, .SasBlobToken' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' "${AZ_BASE}" models/az.ilearner "${sas}")"
  # The CLI shows the endpoint without it.
  run -0 --separate-stderr amlretrain endpoint get -n azm
  refute_output --partial "$(sig_of "${sas}")"
}

@test "classic PATCH: a read-less, expired or missing model in Azurite is refused with 400 BadArgument" {
  local wo expired ok
  run -0 --separate-stderr amlretrain endpoint add -n badm
  wo="$(azurite_sas_url models az.ilearner cw 2h)"
  mgmt_json PATCH "$(mgmt_path "${AMLR_PREDICTIVE_WEBSERVICE_ID}" badm)" \
    "$(patch_with "?${wo#*\?}")"
  assert_equal "${MGMT_STATUS}" 400
  run -0 jq -r '.error.code, .error.details[0].code,
    .error.details[0].target, .error.details[0].message' "${MGMT_BODY}"
  assert_output "$(printf '%s\n' BadArgument InvalidBlob "${RESOURCE}" \
    "'${RESOURCE}': the SAS token lacks the permission needed")"
  # A read SAS whose expiry is past (its signature is Azurite's concern).
  ok="$(azurite_sas_url models az.ilearner r)"
  expired="$(expired_sas "?${ok#*\?}")"
  mgmt_json PATCH "$(mgmt_path "${AMLR_PREDICTIVE_WEBSERVICE_ID}" badm)" \
    "$(patch_with "${expired}")"
  assert_equal "${MGMT_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.details[0].message' \
    "${MGMT_BODY}"
  assert_output "$(printf '%s\n' InvalidBlob \
    "'${RESOURCE}': the SAS token has expired or is not valid yet")"
  # A valid SAS for a blob that is not there.
  ok="$(azurite_sas_url models gone.ilearner r)"
  mgmt_json PATCH "$(mgmt_path "${AMLR_PREDICTIVE_WEBSERVICE_ID}" badm)" \
    "$(patch_with "?${ok#*\?}" models/gone.ilearner)"
  assert_equal "${MGMT_STATUS}" 400
  run -0 jq -r '.error.details[0].code, .error.details[0].message' \
    "${MGMT_BODY}"
  assert_output "$(printf '%s\n' BlobNotFound \
    "the model blob 'models/gone.ilearner' of '${RESOURCE}' does not exist")"
  # The CLI refuses the read-less SAS before sending anything.
  printf '%s\n' "?${wo#*\?}" >"${BATS_TEST_TMPDIR}/wo.sas"
  run -3 --separate-stderr amlretrain endpoint set-model -n badm \
    --base-location "${AZ_BASE}" --relative-location models/az.ilearner \
    --sas-token "@${BATS_TEST_TMPDIR}/wo.sas"
  assert_equal "${output}" ''
  assert_equal "${stderr}" "amlretrain: the model '${AZ_BASE}models/az.ilearner' cannot be read: HEAD az.ilearner: HTTP 403 AuthorizationPermissionMismatch"
  # The endpoint still scores with the web service's model.
  run -0 endpoint_scores badm
}

@test "Resource Manager: an asset at an Azurite URL with a SAS scores as the same model in the emulator's storage; a later swap is used at once" {
  local az own seeded ok
  az="$(azurite_sas_url models az.ilearner r)"
  definition_at "${az}" >"${BATS_TEST_TMPDIR}/az-def.json"
  ws_create predaz "${BATS_TEST_TMPDIR}/az-def.json"
  definition_at "${AMLR_EMULATOR_URL}/devstoreaccount1/data/own.ilearner" \
    >"${BATS_TEST_TMPDIR}/own-def.json"
  ws_create predown "${BATS_TEST_TMPDIR}/own-def.json"
  ws_create predseed "${DEFS}/census-predictive.json"
  ws_use predaz
  az="$(scores)"
  ws_use predown
  own="$(scores)"
  ws_use predseed
  seeded="$(scores)"
  assert_equal "${az}" "${own}"
  [[ "${az}" != "${seeded}" ]]
  # PATCH the seeded one's asset to the Azurite model: used at once.
  ok="$(azurite_sas_url models az.ilearner r)"
  # (PATCH replaces the assets map: all of them, asset2 changed.)
  jq --arg u "${ok}" '{properties: {packageType: "Graph",
      assets: (.properties.assets | .asset2.locationInfo.uri = $u)}}' \
    "${DEFS}/census-predictive.json" >"${BATS_TEST_TMPDIR}/patch.json"
  arm_json PATCH "$(arm_ws_path predseed)?api-version=2017-01-01" \
    "${BATS_TEST_TMPDIR}/patch.json"
  assert_equal "${ARM_STATUS}" 200
  arm_wait "$(arm_header Azure-AsyncOperation)" >/dev/null
  ws_use predseed
  run -0 scores
  assert_output "${own}"
}

@test "Resource Manager: a model in Azurite that cannot be read fails scoring with the reason, never the SAS" {
  local wo expired ok sig
  ok="$(azurite_sas_url models az.ilearner r)"
  expired="$(expired_sas "${ok}")"
  definition_at "${expired}" >"${BATS_TEST_TMPDIR}/exp.json"
  ws_create predexp "${BATS_TEST_TMPDIR}/exp.json"
  ws_use predexp
  bes_json "/execute?api-version=2.0" "${BATS_FILE_TMPDIR}/score.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.code, .error.message' "${BES_BODY}"
  assert_output "$(printf '%s\n' ModuleExecutionError \
    "resource '${RESOURCE}': model blob 'models/az.ilearner': the SAS token has expired or is not valid yet")"
  # A valid SAS, a blob not there: Azurite's answer, without the SAS.
  ok="$(azurite_sas_url models gone.ilearner r)"
  sig="$(sig_of "${ok}")"
  definition_at "${ok}" >"${BATS_TEST_TMPDIR}/gone.json"
  ws_create predgone "${BATS_TEST_TMPDIR}/gone.json"
  ws_use predgone
  bes_json "/execute?api-version=2.0" "${BATS_FILE_TMPDIR}/score.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.message' "${BES_BODY}"
  assert_output --partial "resource '${RESOURCE}': model blob 'models/gone.ilearner' at ${AZURITE_URL}/devstoreaccount1: "
  refute_output --partial "${sig}"
  refute_output --partial 'sig='
  # Not a model: the learner's reason.
  printf 'not a model\n' >"${BATS_TEST_TMPDIR}/junk.ilearner"
  AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CS}" amlretrain blob upload \
    -c models -n junk.ilearner -f "${BATS_TEST_TMPDIR}/junk.ilearner" \
    >/dev/null
  definition_at "$(azurite_sas_url models junk.ilearner r)" \
    >"${BATS_TEST_TMPDIR}/junk.json"
  ws_create predjunk "${BATS_TEST_TMPDIR}/junk.json"
  ws_use predjunk
  bes_json "/execute?api-version=2.0" "${BATS_FILE_TMPDIR}/score.json"
  assert_equal "${BES_STATUS}" 400
  run -0 jq -r '.error.message' "${BES_BODY}"
  assert_output --partial "resource '${RESOURCE}': model blob 'models/junk.ilearner': "
  # The CLI refuses an expired SAS before sending anything.
  printf '%s\n' "${expired}" >"${BATS_TEST_TMPDIR}/exp.url"
  run -2 --separate-stderr amlretrain webservice set-model -n predexp \
    --model-uri "@${BATS_TEST_TMPDIR}/exp.url"
  assert_equal "${output}" ''
  assert_equal "${stderr}" "amlretrain: the model's SAS is not valid for the next 3600 s: SAS expired at 2020-01-01T00:00:00Z"
}

@test "no signature of a model's SAS in the emulator's -v log, access log or output" {
  local sig n=0
  sig_of "$(jq -r .Results.output1.SasBlobToken "${BATS_FILE_TMPDIR}/az.json")" \
    >>"${BATS_FILE_TMPDIR}/sigs"
  # Every SAS the tests above gave the emulator.
  while read -r sig; do
    [[ -n "${sig}" ]] || continue
    n=$((n + 1))
    run -1 grep -rF -e "${sig}" "${BATS_FILE_TMPDIR}/access.log" \
      "${BATS_FILE_TMPDIR}/emu.stderr" "${BATS_FILE_TMPDIR}/emu.stdout"
  done <"${BATS_FILE_TMPDIR}/sigs"
  ((n >= 8))
  # The -v log did see the scoring and the PATCHes.
  run -0 grep -c -e '/execute' -e 'PATCH' "${BATS_FILE_TMPDIR}/emu.stderr" \
    "${BATS_FILE_TMPDIR}/access.log"
}
