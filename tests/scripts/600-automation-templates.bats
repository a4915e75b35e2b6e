#!/usr/bin/env bats
# The automation templates of manifests/ (issue #9, item 4): the Data
# Factory pipeline (../shared/reference/notes/classic-bes-rrs.md §6:
# AzureMLBatchExecution, then AzureMLUpdateResource on Succeeded; AzureML
# linked services, the scoring one with updateResourceEndpoint), and the
# Azure Automation runbook, run in pwsh with the emulator's managed
# identity.
# shellcheck disable=SC2154 # output, stderr: set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load '../test_helper/common'
  ADF="${AMLR_ROOT}/manifests/adf/retrain-pipeline.json"
  RUNBOOK="${AMLR_ROOT}/manifests/automation/Retrain-Census.ps1"
}

# The pipeline resource of the template.
pipeline() {
  jq '.resources[] | select(.type == "Microsoft.DataFactory/factories/pipelines")' \
    "${ADF}"
}

@test "adf: a deployment template: schema, the three linked services and one pipeline" {
  jq -e '."$schema" | test("deploymentTemplate.json#$")' "${ADF}"
  jq -e '[.resources[].type] | sort == [
    "Microsoft.DataFactory/factories/linkedservices",
    "Microsoft.DataFactory/factories/linkedservices",
    "Microsoft.DataFactory/factories/linkedservices",
    "Microsoft.DataFactory/factories/pipelines"]' "${ADF}"
  # AzureML linked services: mlEndpoint and apiKey; only the scoring one
  # has updateResourceEndpoint.  Storage for the inputs and the model.
  jq -e '[.resources[] | select(.properties.type == "AzureML")
    | .properties.typeProperties] | length == 2
    and all(.[]; has("mlEndpoint") and .apiKey.type == "SecureString")
    and ([.[] | select(has("updateResourceEndpoint"))] | length == 1)' \
    "${ADF}"
  jq -e '[.resources[] | select(.properties.type == "AzureBlobStorage")]
    | length == 1' "${ADF}"
}

@test "adf: Retrain (AzureMLBatchExecution) then UpdateScoringModel (AzureMLUpdateResource) on Succeeded" {
  local p
  p="$(pipeline)"
  jq -e '.properties.activities | length == 2
    and .[0].type == "AzureMLBatchExecution"
    and .[1].type == "AzureMLUpdateResource"
    and .[1].dependsOn == [{activity: .[0].name,
                            dependencyConditions: ["Succeeded"]}]' <<<"${p}"
  # The batch job: input1, output1 (the model) and output2 (evaluation),
  # as the training web service of the walkthrough names them.
  jq -e '.properties.activities[0].typeProperties
    | (.webServiceInputs | keys == ["input1"])
    and (.webServiceOutputs | keys == ["output1", "output2"])
    and ([.webServiceInputs[], .webServiceOutputs[]]
         | all(.LinkedServiceName.type == "LinkedServiceReference"
               and (.FilePath.value | startswith("@pipeline().parameters."))))' \
    <<<"${p}"
  # The update takes the model the job wrote, from the same storage.
  jq -e '.properties.activities as $a
    | $a[1].typeProperties.trainedModelFilePath
      == $a[0].typeProperties.webServiceOutputs.output1.FilePath
    and $a[1].typeProperties.trainedModelLinkedServiceName
      == $a[0].typeProperties.webServiceOutputs.output1.LinkedServiceName
    and ($a[1].typeProperties.trainedModelName.value
         == "@pipeline().parameters.trainedModelName")' <<<"${p}"
  # The update runs on the linked service with updateResourceEndpoint.
  [[ "$(jq -r '.properties.activities[1].linkedServiceName.referenceName' \
    <<<"${p}")" == "[parameters('scoringLinkedServiceName')]" ]]
  jq -e '.resources[] | select(.name
    == "[concat(parameters('"'"'factoryName'"'"'), '"'"'/'"'"', parameters('"'"'scoringLinkedServiceName'"'"'))]")
    | .properties.typeProperties | has("updateResourceEndpoint")' "${ADF}"
}

@test "adf: names are parameters, every parameter used is declared, and secrets are secure parameters only" {
  local used declared
  used="$(grep -oE "parameters\('[A-Za-z]+'\)" "${ADF}" \
    | sed -E "s/parameters\('(.*)'\)/\1/" | sort -u)"
  declared="$(jq -r '.parameters | keys[]' "${ADF}" | sort)"
  [[ "${used}" == "${declared}" ]]
  jq -e '[.parameters | to_entries[]
    | select(.key | test("Key$|ConnectionString$"))
    | .value.type] | unique == ["secureString"]' "${ADF}"
  jq -e '[.. | objects | select(.type? == "SecureString") | .value]
    | all(test("^\\[parameters\\(.[A-Za-z]+.\\)\\]$"))' "${ADF}"
  jq -e '.parameters.pipelineName.defaultValue
    and .parameters.trainedModelName.defaultValue
      == "Census Model [trained model]"' "${ADF}"
  # Every pipeline parameter the activities use is declared.
  used="$(pipeline | grep -oE '@pipeline\(\)\.parameters\.[A-Za-z]+' \
    | sed 's/.*\.//' | sort -u)"
  declared="$(pipeline | jq -r '.properties.parameters | keys[]' | sort)"
  [[ "${used}" == "${declared}" ]]
}

@test "runbook: comment-based help, managed identity, the plan, no secret" {
  grep -q '^\.SYNOPSIS$' <(sed 's/^ *//' "${RUNBOOK}")
  local k
  for k in .DESCRIPTION .PARAMETER .EXAMPLE .INPUTS .OUTPUTS .NOTES; do
    grep -q "^    ${k}\b\|^${k}\b" "${RUNBOOK}"
  done
  # shellcheck disable=SC2016 # PowerShell's $, literally
  grep -qF '$connect = @{ Identity = $true }' "${RUNBOOK}"
  grep -q 'Connect-AmlAccount @connect' "${RUNBOOK}"
  grep -q 'Invoke-AmlRetraining @retrain' "${RUNBOOK}"
  grep -q 'Get-AutomationVariable' "${RUNBOOK}"
  run ! grep -qiE 'AccountKey=|sig=|password *=' "${RUNBOOK}"
}

# pwsh as tests/test_helper/run-pester finds it (make deps installs it).
find_pwsh() {
  local home
  home="$(getent passwd "$(id -u)" | cut -d: -f6)"
  HOME="${home}" "${AMLR_ROOT}/tests/test_helper/run-pester" --which-pwsh
}

@test "runbook: in pwsh with the emulator's managed identity: promoted, then rejected with a warning" {
  local pwsh
  if ! pwsh="$(find_pwsh)"; then
    if command -v dotnet >/dev/null; then
      echo "pwsh not found although dotnet is present; run 'make deps'" >&2
      return 1
    fi
    skip "no pwsh and no dotnet to install it (as make check-ps)"
  fi
  if ! grep -q "'Invoke-AmlRetraining'" \
    "${AMLR_ROOT}/psmodule/AmlRetrain/AmlRetrain.psd1"; then
    skip "AmlRetrain does not export Invoke-AmlRetraining yet"
  fi
  # It parses, and Get-Help reads its comment-based help.
  run -0 --separate-stderr "${pwsh}" -NoProfile -NonInteractive -Command "
    \$e = \$null
    [void][Management.Automation.Language.Parser]::ParseFile('${RUNBOOK}',
      [ref]\$null, [ref]\$e)
    'errors: ' + \$e.Count
    (Get-Help '${RUNBOOK}' -Full).parameters.parameter.name -join ','
    (Get-Help '${RUNBOOK}').Synopsis"
  assert_line --index 0 'errors: 0'
  assert_line --index 1 \
    'PlanPath,ReportPath,IdentityClientId,SecretVariable,FailOnRejection'
  assert_line --index 2 --partial 'Retrains the census model with a plan'

  load '../test_helper/emulator'
  emu_start --managed-identity --provisioning-delay 50
  [[ -n "${IDENTITY_ENDPOINT}" && -n "${IDENTITY_HEADER}" ]]
  export AMLR_BACKUP_DIR="${BATS_TEST_TMPDIR}/backups"
  export PSModulePath="${AMLR_ROOT}/psmodule"
  # The runbook signs in with -Identity: no service principal secret.
  unset AZURE_CLIENT_SECRET

  run -0 --separate-stderr "${pwsh}" -NoProfile -NonInteractive \
    -File "${RUNBOOK}" -PlanPath \
    "${AMLR_ROOT}/manifests/plans/census-webservice.json" \
    -ReportPath "${BATS_TEST_TMPDIR}/first.json"
  jq -e '.status == "promoted"' "${BATS_TEST_TMPDIR}/first.json"
  [[ "${output}" == *"TimingsMs"* ]]

  run -0 --separate-stderr "${pwsh}" -NoProfile -NonInteractive \
    -File "${RUNBOOK}" -PlanPath \
    "${AMLR_ROOT}/manifests/plans/census-webservice.json" \
    -ReportPath "${BATS_TEST_TMPDIR}/second.json"
  jq -e '.status == "rejected"' "${BATS_TEST_TMPDIR}/second.json"
  [[ "${output}${stderr}" == *"the gate rejected the new model; nothing was swapped"* ]]

  run -1 --separate-stderr "${pwsh}" -NoProfile -NonInteractive \
    -File "${RUNBOOK}" -PlanPath \
    "${AMLR_ROOT}/manifests/plans/census-webservice.json" -FailOnRejection
  emu_stop
}
