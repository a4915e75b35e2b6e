# SPDX-License-Identifier: MIT
# Module manifest of AmlRetrain: the Az.MachineLearning cmdlets over amlretrain.
@{
    RootModule           = 'AmlRetrain.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'e0bf9201-2fc5-4c90-9726-42c98f13d37b'
    Author               = 'amlretrain contributors'
    CompanyName          = 'amlretrain'
    Copyright            = '(c) amlretrain contributors. MIT License.'
    Description          = 'Retrain Azure Machine Learning Studio web services and swap the new model in safely: the Az.MachineLearning web service cmdlets (same names, parameters and objects, so the documented retraining script runs unchanged), fast to import, with terminating errors that carry the service''s code and request id. Runs the amlretrain command-line tool.'
    PowerShellVersion    = '7.2'
    CompatiblePSEditions = @('Core')
    FunctionsToExport    = @(
        'Add-AzMlWebServiceRegionalProperty'
        'Connect-AmlAccount'
        'Disconnect-AmlAccount'
        'Export-AzMlWebService'
        'Get-AzMlWebService'
        'Get-AzMlWebServiceKey'
        'Import-AzMlWebService'
        'New-AzMlWebService'
        'Remove-AzMlWebService'
        'Restore-AzMlWebService'
        'Set-AzMlWebServiceModel'
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
        'Remove-AzureRmMlWebService'
        'Update-AzureRmMlWebService'
    )
    PrivateData          = @{
        PSData = @{
            Tags = @('Azure', 'MachineLearning', 'AzureML', 'Retraining', 'Linux', 'Windows', 'MacOS')
        }
    }
}
