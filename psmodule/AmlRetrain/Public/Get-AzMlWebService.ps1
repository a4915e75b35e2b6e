# SPDX-License-Identifier: MIT
# Get-AzMlWebService: one web service, or the web services of a group or subscription.

function Get-AzMlWebService {
    <#
    .SYNOPSIS
    Gets a Resource Manager (new) web service of Azure Machine Learning Studio, or lists them.

    .DESCRIPTION
    With -Name and -ResourceGroupName, gets one web service with its whole
    definition (package, assets, input and output schemas, parameters),
    ready for Export-AzMlWebService or Update-AzMlWebService.  With only
    -ResourceGroupName, lists the web services of that resource group;
    with neither, those of the subscription.  Every page of a list is
    followed.  List items are as sparse as the service makes them (no
    package, assets or parameters): get a web service by name to change it.

    The keys are never part of the result (the service does not return
    them): use Get-AzMlWebServiceKey.

    .PARAMETER ResourceGroupName
    The resource group of the web service(s).  Default: $env:AMLR_RESOURCE_GROUP
    when -Name is given.

    .PARAMETER Name
    The name of the web service.  Requires a resource group.

    .PARAMETER Region
    With -Name: the properties of this region of a multi-region web service
    (see Add-AzMlWebServiceRegionalProperty).

    .EXAMPLE
    PS> $wsd = Get-AzMlWebService -Name 'RetrainSamplePre' -ResourceGroupName 'Default-MachineLearning-SouthCentralUS'
    PS> $wsd.Properties.Assets['asset3'].LocationInfo.Uri

    Gets a web service and reads the location of its trained model.

    .EXAMPLE
    PS> Get-AzMlWebService -ResourceGroupName 'Default-MachineLearning-SouthCentralUS'

    Lists the web services of a resource group.

    .EXAMPLE
    PS> (Get-AzMlWebService -Name $name -ResourceGroupName $rg).Id

    The resource id of a web service.

    .INPUTS
    None.

    .OUTPUTS
    AmlRetrain.WebService.  Id, Name, Type, Location, Tags (a dictionary),
    Properties (a dictionary with case-insensitive keys: Properties.Assets,
    Properties.Package.Nodes, ...), and ResourceGroupName.

    .NOTES
    Compatible with Az.MachineLearning's Get-AzMlWebService (alias
    Get-AzureRmMlWebService).  Differences: the result is a PSCustomObject
    (type name AmlRetrain.WebService) whose nested objects are ordered
    dictionaries rather than SDK classes; property access such as
    $wsd.Properties.Assets['asset3'].LocationInfo.Uri reads and writes the
    same way.  It has an extra ResourceGroupName property.  A failure is a
    terminating error carrying the service's error code and request id
    (Microsoft's cmdlet writes a non-terminating one).  -DefaultProfile is
    not supported: credentials come from Connect-AmlAccount or the
    environment.  Without -ResourceGroupName, -Name uses
    $env:AMLR_RESOURCE_GROUP.
    #>
    [CmdletBinding()]
    [Alias('Get-AzureRmMlWebService')]
    [OutputType('AmlRetrain.WebService')]
    param(
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName,
        [ValidateNotNullOrEmpty()] [string] $Name,
        [ValidateNotNullOrEmpty()] [string] $Region
    )

    process {
        if (-not $Name) {
            $arguments = @('webservice', 'list')
            if ($ResourceGroupName) {
                $arguments += "--resource-group=$ResourceGroupName"
            }
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -TypeName 'AmlRetrain.WebService'
            return
        }
        if (-not $ResourceGroupName -and -not $env:AMLR_RESOURCE_GROUP) {
            $exception = [System.Management.Automation.PSArgumentNullException]::new('ResourceGroupName',
                'The resource group name is missing: use -ResourceGroupName (or set AMLR_RESOURCE_GROUP).')
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                    'AmlRetrain.InvalidArgument', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Name))
        }
        $arguments = @('webservice', 'get', "--name=$Name")
        if ($ResourceGroupName) {
            $arguments += "--resource-group=$ResourceGroupName"
        }
        if ($Region) {
            $arguments += "--region=$Region"
        }
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -TypeName 'AmlRetrain.WebService' `
            -Target (Get-AmlrWebServiceId -ResourceGroupName $ResourceGroupName -Name $Name)
    }
}
