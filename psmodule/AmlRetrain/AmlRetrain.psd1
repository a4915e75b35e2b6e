# SPDX-License-Identifier: MIT
# Module manifest of AmlRetrain: the Az.MachineLearning and azuremlps cmdlets over amlretrain.
@{
    RootModule           = 'AmlRetrain.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'e0bf9201-2fc5-4c90-9726-42c98f13d37b'
    Author               = 'amlretrain contributors'
    CompanyName          = 'amlretrain'
    Copyright            = '(c) amlretrain contributors. MIT License.'
    Description          = 'Retrain Azure Machine Learning Studio web services and swap the new model in safely: the Az.MachineLearning web service cmdlets and azuremlps''s classic web service cmdlets (same names, parameters and objects, so the documented retraining scripts run unchanged), gated retraining plans and fleets of endpoints, fast to import, with terminating errors that carry the service''s code and request id. Runs the amlretrain command-line tool.'
    PowerShellVersion    = '7.2'
    CompatiblePSEditions = @('Core')
    FunctionsToExport    = @(
        'Add-AmlWebServiceEndpoint'
        'Add-AzMlWebServiceRegionalProperty'
        'Connect-AmlAccount'
        'Disconnect-AmlAccount'
        'Export-AzMlWebService'
        'Get-AmlWebService'
        'Get-AmlWebServiceEndpoint'
        'Get-AzMlWebService'
        'Get-AzMlWebServiceKey'
        'Import-AzMlWebService'
        'Invoke-AmlFleet'
        'Invoke-AmlRetraining'
        'Invoke-AmlWebServiceBESEndpoint'
        'Invoke-AmlWebServiceRRSEndpoint'
        'New-AzMlWebService'
        'Remove-AmlWebServiceEndpoint'
        'Remove-AzMlWebService'
        'Restore-AzMlWebService'
        'Set-AmlWebServiceEndpointResource'
        'Set-AzMlWebServiceModel'
        'Update-AmlWebServiceEndpoint'
        'Update-AzMlWebService'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @(
        'Add-AzureRmMlWebServiceRegionalProperty'
        'Export-AzureRmMlWebService'
        'Get-AzMlWebServiceKeys'
        'Get-AzureRmMlWebService'
        'Get-AzureRmMlWebServiceKeys'
        'Import-AzureRmMlWebService'
        'New-AzureRmMlWebService'
        'Patch-AmlWebServiceEndpoint'
        'Refresh-AmlWebServiceEndpoint'
        'Remove-AzureRmMlWebService'
        'Update-AzureRmMlWebService'
    )
    PrivateData          = @{
        PSData = @{
            Tags = @('Azure', 'MachineLearning', 'AzureML', 'Retraining', 'Linux', 'Windows', 'MacOS')
        }
    }
}
