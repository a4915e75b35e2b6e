# SPDX-License-Identifier: MIT
# Add-AmlWebServiceEndpoint: a new endpoint on a classic web service (azuremlps).

function Add-AmlWebServiceEndpoint {
    <#
    .SYNOPSIS
    Adds an endpoint to a classic web service.

    .DESCRIPTION
    Adds an endpoint (amlretrain endpoint add): add it to the predictive
    web service, since only its non-default endpoints can take a retrained
    model.  Running it again is safe: an endpoint that exists with the
    same settings is left alone (a verbose message says so), one whose
    settings differ gets the given ones.  With -ThrottleLevel Low,
    -MaxConcurrentCalls is ignored with a warning, as azuremlps does.  Free
    workspaces allow Low only, and 3 endpoints per web service.

    .PARAMETER WebServiceId
    The web service (its Id).  Accepts the Id of a piped web service or
    the WebServiceId property of a piped object.

    .PARAMETER EndpointName
    The new endpoint's name: 1 to 24 lower-case letters, digits and
    hyphens, not starting or ending with a hyphen.  Accepts the
    EndpointName property of a piped object.

    .PARAMETER Description
    Its description (2000 characters at most).

    .PARAMETER ThrottleLevel
    Low (the default: 4 concurrent calls) or High (see -MaxConcurrentCalls).

    .PARAMETER MaxConcurrentCalls
    1 to 200, with -ThrottleLevel High.

    .PARAMETER PreventUpdate
    Sets the endpoint's PreventUpdate flag (otherwise sent as false, as
    azuremlps does; an existing endpoint keeps its own).

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
    PS> Add-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName 'rentalloc001' -Description 'rentalloc001'

    Adds an endpoint to the scoring web service.

    .EXAMPLE
    PS> 1..10 | ForEach-Object { 'rentalloc' + $_.ToString().PadLeft(3, '0') } |
    >>     ForEach-Object { Add-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName $_ -ThrottleLevel High -MaxConcurrentCalls 20 }

    Adds ten endpoints of a standard workspace.

    .INPUTS
    Objects with an Id or WebServiceId property and an EndpointName property.

    .OUTPUTS
    AmlRetrain.ClassicEndpoint: the endpoint as the service has it now
    (its keys left out: Get-AmlWebServiceEndpoint reads them).

    .NOTES
    azuremlps's Add-AmlWebServiceEndpoint, which printed a message; this
    one returns the endpoint (the message is verbose output).
    A failure is a terminating error with the
    service's code and request id (per piped item, a non-terminating one).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('AmlRetrain.ClassicEndpoint')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('Id')] [ValidateNotNullOrEmpty()]
        [string] $WebServiceId,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $EndpointName,
        [string] $Description,
        [ValidateSet('Low', 'High')] [string] $ThrottleLevel,
        [ValidateRange(1, 200)] [int] $MaxConcurrentCalls,
        [switch] $PreventUpdate,
        [ValidateNotNullOrEmpty()] [string] $WorkspaceId,
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $AuthorizationToken,
        [ValidateSet('South Central US', 'West Europe', 'Southeast Asia', 'Japan East', 'Germany Central',
            'West Central US')] [string] $Location,
        [ValidateNotNullOrEmpty()] [string] $ConfigFile
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("web service $WebServiceId", "Add endpoint '$EndpointName'")) {
            return
        }
        $settings = Resolve-AmlrClassicSetting -Caller $PSCmdlet -WorkspaceId $WorkspaceId `
            -AuthorizationToken $AuthorizationToken -Location $Location -ConfigFile $ConfigFile
        # The function's bound parameters: $PSBoundParameters is the body's own in the
        # packaged module, which dot-sources it (psmodule/build-psm1.ps1).
        $bound = $PSCmdlet.MyInvocation.BoundParameters
        $arguments = @('endpoint', 'add') + $settings.Arguments + "--webservice=$WebServiceId" + "--name=$EndpointName"
        if ($bound.ContainsKey('Description')) {
            $arguments += "--description=$Description"
        }
        if ($ThrottleLevel) {
            $arguments += "--throttle-level=$ThrottleLevel"
        }
        if ($bound.ContainsKey('MaxConcurrentCalls')) {
            $arguments += "--max-concurrent-calls=$MaxConcurrentCalls"
        }
        if ($PreventUpdate) {
            $arguments += '--prevent-update'
        }
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $settings.Environment `
            -TypeName 'AmlRetrain.ClassicEndpoint' -Target "$WebServiceId/$EndpointName" -PerItem
    }
}
