# SPDX-License-Identifier: MIT
# Get-AmlWebService: the classic web services of a workspace (azuremlps).

function Get-AmlWebService {
    <#
    .SYNOPSIS
    Gets the classic web services of an Azure Machine Learning Studio workspace, or one of them.

    .DESCRIPTION
    Lists the workspace's classic web services, or with -WebServiceId gets
    one, from the classic management API (amlretrain endpoint
    webservices).  Each has Id, Name, Description, CreationTime,
    WorkspaceId, DefaultEndpointName and EndpointCount, as azuremlps's
    objects have.

    The workspace, its token and its region come from the parameters, a
    config.json, or the environment (AMLR_WORKSPACE_ID,
    AMLR_WORKSPACE_TOKEN, AMLR_MANAGEMENT_ENDPOINT: what the emulator's
    env file exports), so that azuremlps scripts run unchanged.

    .PARAMETER WebServiceId
    Get this web service only.  Accepts the WebServiceId property of a
    piped object (such as an endpoint).

    .PARAMETER WorkspaceId
    The workspace id (32 hex digits).  Default: config.json, else
    $env:AMLR_WORKSPACE_ID.

    .PARAMETER AuthorizationToken
    The workspace's authorization token (Studio: Settings, Authorization
    tokens), a string or a SecureString.  Default: config.json, else
    $env:AMLR_WORKSPACE_TOKEN.  It reaches amlretrain through its
    environment, never its command line.

    .PARAMETER Location
    The workspace's region, as azuremlps names it ('South Central US',
    'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
    'West Central US'); it chooses the management host.  Default:
    config.json, else $env:AMLR_MANAGEMENT_ENDPOINT (the emulator's), else
    South Central US.

    .PARAMETER ConfigFile
    A config.json ({"WorkspaceId", "AuthorizationToken", "Location"}), as
    azuremlps reads it: absolute, or relative to the current location (else
    to the module's folder).  A config.json beside the module is read
    first; the explicit parameters override both.

    .EXAMPLE
    PS> $scoringSvc = Get-AmlWebService | Where-Object Name -eq 'Bike Rental Scoring'

    Finds a web service by name (the "many models" article's first step).

    .EXAMPLE
    PS> Get-AmlWebService | Format-Table Id, Name, EndpointCount

    Lists the workspace's web services.

    .EXAMPLE
    PS> Get-AmlWebService -WebServiceId $id -ConfigFile C:\aml\config.json

    Gets one web service of the workspace a config.json names.

    .INPUTS
    Objects with a WebServiceId property (such as AmlRetrain.ClassicEndpoint).

    .OUTPUTS
    AmlRetrain.ClassicWebService: Id, Name, Description, CreationTime,
    WorkspaceId, DefaultEndpointName, EndpointCount.

    .NOTES
    azuremlps's Get-AmlWebService.  A failure (no such web service,
    refused token) is a terminating error with the service's code and
    request id.
    #>
    [CmdletBinding()]
    [OutputType('AmlRetrain.ClassicWebService')]
    param(
        [Parameter(ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $WebServiceId,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        $arguments = @('endpoint', 'webservices') + $settings.Arguments
        if ($WebServiceId) {
            $arguments += "--webservice=$WebServiceId"
        }
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $settings.Environment `
            -TypeName 'AmlRetrain.ClassicWebService' -Target $WebServiceId -PerItem
    }
}
