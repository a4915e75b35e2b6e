# SPDX-License-Identifier: MIT
# Remove-AmlWebServiceEndpoint: delete an endpoint of a classic web service (azuremlps).

function Remove-AmlWebServiceEndpoint {
    <#
    .SYNOPSIS
    Removes an endpoint of a classic web service.

    .DESCRIPTION
    Deletes an endpoint (amlretrain endpoint remove).  The default
    endpoint is never removed: it follows the web service (an
    InvalidArgument error, before anything is sent).

    .PARAMETER WebServiceId
    The web service.  Accepts the WebServiceId property of a piped
    endpoint.

    .PARAMETER EndpointName
    The endpoint to remove.  Accepts the EndpointName or the Name of a
    piped endpoint (Get-AmlWebServiceEndpoint).

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
    PS> Remove-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName 'rentalloc001'

    Removes one endpoint.

    .EXAMPLE
    PS> Get-AmlWebServiceEndpoint -WebServiceId $id | Where-Object Name -like 'rentalloc*' | Remove-AmlWebServiceEndpoint -WhatIf

    Shows which endpoints would be removed; removes nothing.

    .INPUTS
    Objects with WebServiceId and Name (or EndpointName) properties, such
    as AmlRetrain.ClassicEndpoint.

    .OUTPUTS
    None.

    .NOTES
    azuremlps's Remove-AmlWebServiceEndpoint.  A failure is a terminating
    error with the service's code and request id (per piped item, a
    non-terminating one).
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $WebServiceId,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('Name')] [ValidateNotNullOrEmpty()]
        [string] $EndpointName,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("endpoint '$EndpointName' of web service $WebServiceId", 'Remove')) {
            return
        }
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        $arguments = @('endpoint', 'remove') + $settings.Arguments + "--webservice=$WebServiceId" +
        "--name=$EndpointName" + '--yes'
        $null = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $settings.Environment `
            -Target "$WebServiceId/$EndpointName" -PerItem
    }
}
