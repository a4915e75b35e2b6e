# SPDX-License-Identifier: MIT
# Update-AmlWebServiceEndpoint: refresh a classic endpoint (azuremlps's Refresh-AmlWebServiceEndpoint).

function Update-AmlWebServiceEndpoint {
    <#
    .SYNOPSIS
    Brings an endpoint of a classic web service up to its web service's current graph (refresh).

    .DESCRIPTION
    A non-default endpoint stays on the graph it was created or last
    refreshed with; this refreshes it (amlretrain endpoint refresh).
    Without -OverwriteResources its trained models are kept.  The result
    says whether it was refreshed or unchanged (the service's 304); the
    default endpoint follows the web service by itself.

    .PARAMETER WebServiceId
    The web service.  Accepts the WebServiceId property of a piped
    endpoint.

    .PARAMETER EndpointName
    The endpoint to refresh.  Accepts the EndpointName or the Name of a
    piped endpoint.

    .PARAMETER OverwriteResources
    Also replace the endpoint's trained models with the default endpoint's.

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
    PS> Update-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName 'rentalloc001'

    Refreshes an endpoint, keeping its trained model.

    .EXAMPLE
    PS> Refresh-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName 'rentalloc001' -OverwriteResources

    azuremlps's name: also takes the default endpoint's trained model.

    .INPUTS
    Objects with WebServiceId and Name (or EndpointName) properties, such
    as AmlRetrain.ClassicEndpoint.

    .OUTPUTS
    AmlRetrain.EndpointRefresh: Name, WebServiceId, Result (refreshed or
    unchanged), OverwriteResources.

    .NOTES
    azuremlps's Refresh-AmlWebServiceEndpoint (Refresh is not an approved
    verb: that name is an alias).  A failure is a terminating error with
    the service's code and request id (per piped item, a non-terminating
    one).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [Alias('Refresh-AmlWebServiceEndpoint')]
    [OutputType('AmlRetrain.EndpointRefresh')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $WebServiceId,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('Name')] [ValidateNotNullOrEmpty()]
        [string] $EndpointName,
        [switch] $OverwriteResources,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("endpoint '$EndpointName' of web service $WebServiceId", 'Refresh')) {
            return
        }
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        $arguments = @('endpoint', 'refresh') + $settings.Arguments + "--webservice=$WebServiceId" +
        "--name=$EndpointName"
        if ($OverwriteResources) {
            $arguments += '--overwrite-resources'
        }
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $settings.Environment `
            -TypeName 'AmlRetrain.EndpointRefresh' -Target "$WebServiceId/$EndpointName" -PerItem
    }
}
