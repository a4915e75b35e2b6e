# SPDX-License-Identifier: MIT
# Get-AmlWebServiceEndpoint: the endpoints of a classic web service (azuremlps).

function Get-AmlWebServiceEndpoint {
    <#
    .SYNOPSIS
    Gets the endpoints of a classic web service, or one of them, with their keys.

    .DESCRIPTION
    Gets an endpoint (amlretrain endpoint get --show-keys), or without
    -EndpointName every endpoint of the web service, in the service's
    order (amlretrain endpoint list --show-keys: one request).  As with
    azuremlps, PrimaryKey and SecondaryKey are filled in: ApiLocation and
    PrimaryKey are what Invoke-AmlWebServiceBESEndpoint and
    Invoke-AmlWebServiceRRSEndpoint take.  The SAS tokens of the
    resources are never shown (null).

    .PARAMETER WebServiceId
    The web service.  Accepts the Id of a piped web service
    (Get-AmlWebService) or the WebServiceId of a piped endpoint.

    .PARAMETER EndpointName
    Get this endpoint only (e.g. 'default').  Accepts the EndpointName
    property of a piped object.

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
    PS> $trainingSvcEp = (Get-AmlWebServiceEndpoint -WebServiceId $trainingSvc.Id)[0]
    PS> $submitJobRequestUrl = $trainingSvcEp.ApiLocation + '/jobs?api-version=2.0'
    PS> $apiKey = $trainingSvcEp.PrimaryKey

    The training web service's default endpoint: where and with which key
    to run its batch jobs.

    .EXAMPLE
    PS> Get-AmlWebService | Get-AmlWebServiceEndpoint | Format-Table

    Every endpoint of every web service.

    .INPUTS
    Objects with an Id (AmlRetrain.ClassicWebService) or a WebServiceId
    property, and optionally EndpointName.

    .OUTPUTS
    AmlRetrain.ClassicEndpoint: Name, Description, CreationTime,
    WorkspaceId, WebServiceId, HelpLocation, PrimaryKey, SecondaryKey,
    ApiLocation, ExperimentLocation, Resources, Version,
    MaxConcurrentCalls, DiagnosticsTraceLevel, ThrottleLevel,
    PreventUpdate, SampleDataEnabled.

    .NOTES
    azuremlps's Get-AmlWebServiceEndpoint.  The keys are secrets: the
    default view does not show them.  A failure is a terminating error
    with the service's code and request id (per piped item, a
    non-terminating one).
    #>
    [CmdletBinding()]
    [OutputType('AmlRetrain.ClassicEndpoint')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('Id')] [ValidateNotNullOrEmpty()]
        [string] $WebServiceId,
        [Parameter(ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $EndpointName,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        $common = $settings.Arguments + "--webservice=$WebServiceId" + '--show-keys'
        if ($EndpointName) {
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList (@('endpoint', 'get') + $common +
                "--name=$EndpointName") -SecretEnvironment $settings.Environment `
                -TypeName 'AmlRetrain.ClassicEndpoint' -Target "$WebServiceId/$EndpointName" -PerItem
        } else {
            Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList (@('endpoint', 'list') + $common) `
                -SecretEnvironment $settings.Environment -TypeName 'AmlRetrain.ClassicEndpoint' `
                -Target $WebServiceId -PerItem
        }
    }
}
