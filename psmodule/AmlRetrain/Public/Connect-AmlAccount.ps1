# SPDX-License-Identifier: MIT
# Connect-AmlAccount: choose the credentials every AmlRetrain command uses, and sign in.

function Connect-AmlAccount {
    <#
    .SYNOPSIS
    Signs in to Azure for the AmlRetrain commands of this session.

    .DESCRIPTION
    Chooses the credentials that every later AmlRetrain command hands to
    amlretrain, signs in once with them (`amlretrain login`: the token is
    cached, 0600, and reused until five minutes before it expires), and
    returns who signed in.  Nothing secret is returned or put on a command
    line: secrets stay in this session's memory and reach amlretrain
    through the environment of each run only.

    Without parameters, the credentials come from the environment, first
    found first: AMLR_ACCESS_TOKEN; AZURE_TENANT_ID + AZURE_CLIENT_ID with
    AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or
    AZURE_FEDERATED_TOKEN_FILE; a managed identity (IDENTITY_ENDPOINT,
    MSI_ENDPOINT, Azure Arc, IMDS); the Azure CLI's sign-in.

    A failed sign-in is a terminating AuthenticationError with the
    identity service's message (such as AADSTS7000215 for a wrong secret);
    the previous connection, if any, is kept.

    .PARAMETER ServicePrincipal
    Sign in as a service principal (with -Credential, or -ApplicationId
    and -CertificatePath).

    .PARAMETER Credential
    The service principal: user name = application (client) id, password
    = client secret.

    .PARAMETER ApplicationId
    The application (client) id of a service principal that signs in with
    a certificate.

    .PARAMETER CertificatePath
    The certificate of the service principal: PEM with certificate and
    private key, or PFX.

    .PARAMETER CertificatePassword
    The password of a PFX certificate.

    .PARAMETER Tenant
    The tenant (directory) id of the service principal.

    .PARAMETER Identity
    Sign in with the managed identity of the machine (Azure Automation,
    App Service, Azure Arc and Hybrid Runbook Workers, virtual machines).

    .PARAMETER AccountId
    With -Identity: the client id of a user-assigned identity.

    .PARAMETER AccessToken
    A Resource Manager access token (string or SecureString) to use as is.

    .PARAMETER UseAzContext
    Reuse the sign-in of Az.Accounts (Connect-AzAccount): each command
    asks Get-AzAccessToken for a current token.  Az.Accounts must be
    imported.

    .PARAMETER DefaultProfile
    With -UseAzContext: the Az context to use (Get-AzContext).

    .PARAMETER Subscription
    The subscription of later commands.  Default: $env:AZURE_SUBSCRIPTION_ID
    (or, with -UseAzContext, the Az context's).

    .PARAMETER Environment
    The cloud: AzureCloud (default), AzureChinaCloud, AzureUSGovernment,
    or a cloud profile file.

    .EXAMPLE
    PS> $sp = Get-Credential -UserName $appId -Message 'client secret'
    PS> Connect-AmlAccount -ServicePrincipal -Credential $sp -Tenant $tenantId -Subscription $subscriptionId

    Signs in as a service principal with a secret.

    .EXAMPLE
    PS> Connect-AmlAccount -Identity

    In an Azure Automation runbook: the account's managed identity.

    .EXAMPLE
    PS> Connect-AzAccount; Connect-AmlAccount -UseAzContext

    Reuses an Az.Accounts sign-in.

    .EXAMPLE
    PS> Connect-AmlAccount

    Credentials from the environment (AZURE_CLIENT_SECRET, ...).

    .INPUTS
    None.

    .OUTPUTS
    AmlRetrain.Account: Source, TenantId, ClientId, ObjectId, Subscription,
    Cloud, ExpiresOn (never a token or a secret).

    .NOTES
    Modelled on Az.Accounts' Connect-AzAccount, which AmlRetrain does not
    need; the parameter names are the same where they exist there.
    Certificates come from files (no Windows certificate store);
    interactive and device-code sign-in are not supported.
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Environment')]
    [OutputType('AmlRetrain.Account')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [Parameter(Mandatory, ParameterSetName = 'Certificate')]
        [switch] $ServicePrincipal,

        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [pscredential] $Credential,

        [Parameter(Mandatory, ParameterSetName = 'Certificate')]
        [Alias('ClientId')] [ValidateNotNullOrEmpty()] [string] $ApplicationId,

        [Parameter(Mandatory, ParameterSetName = 'Certificate')]
        [ValidateNotNullOrEmpty()] [string] $CertificatePath,

        [Parameter(ParameterSetName = 'Certificate')]
        [securestring] $CertificatePassword,

        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [Parameter(Mandatory, ParameterSetName = 'Certificate')]
        [Alias('TenantId')] [ValidateNotNullOrEmpty()] [string] $Tenant,

        [Parameter(Mandatory, ParameterSetName = 'Identity')]
        [switch] $Identity,

        [Parameter(ParameterSetName = 'Identity')]
        [ValidateNotNullOrEmpty()] [string] $AccountId,

        [Parameter(Mandatory, ParameterSetName = 'AccessToken')]
        [ValidateNotNull()] [object] $AccessToken,

        [Parameter(Mandatory, ParameterSetName = 'AzContext')]
        [switch] $UseAzContext,

        [Parameter(ParameterSetName = 'AzContext')]
        [object] $DefaultProfile,

        [Alias('SubscriptionId')] [ValidateNotNullOrEmpty()] [string] $Subscription,

        [Alias('Cloud')] [ValidateNotNullOrEmpty()] [string] $Environment
    )

    $settings = @{}
    $kind = $PSCmdlet.ParameterSetName
    switch ($kind) {
        'ServicePrincipal' {
            $settings['AZURE_TOKEN_CREDENTIALS'] = 'EnvironmentCredential'
            $settings['AMLR_ACCESS_TOKEN'] = $null
            $settings['AZURE_TENANT_ID'] = $Tenant
            $settings['AZURE_CLIENT_ID'] = $Credential.UserName
            $settings['AZURE_CLIENT_SECRET'] = $Credential.Password
            $settings['AZURE_CLIENT_CERTIFICATE_PATH'] = $null
            $settings['AZURE_FEDERATED_TOKEN_FILE'] = $null
            $who = "service principal '$($Credential.UserName)'"
        }
        'Certificate' {
            $settings['AZURE_TOKEN_CREDENTIALS'] = 'EnvironmentCredential'
            $settings['AMLR_ACCESS_TOKEN'] = $null
            $settings['AZURE_TENANT_ID'] = $Tenant
            $settings['AZURE_CLIENT_ID'] = $ApplicationId
            $settings['AZURE_CLIENT_SECRET'] = $null
            $settings['AZURE_CLIENT_CERTIFICATE_PATH'] = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($CertificatePath)
            $settings['AZURE_CLIENT_CERTIFICATE_PASSWORD'] = $CertificatePassword
            $settings['AZURE_FEDERATED_TOKEN_FILE'] = $null
            $who = "service principal '$ApplicationId' (certificate)"
        }
        'Identity' {
            $settings['AZURE_TOKEN_CREDENTIALS'] = 'ManagedIdentityCredential'
            $settings['AMLR_ACCESS_TOKEN'] = $null
            $settings['AZURE_CLIENT_ID'] = if ($AccountId) { $AccountId } else { $null }
            $who = if ($AccountId) { "managed identity '$AccountId'" } else { 'the managed identity' }
        }
        'AccessToken' {
            if ($AccessToken -isnot [securestring] -and $AccessToken -isnot [string]) {
                $exception = [System.ArgumentException]::new('-AccessToken takes a string or a SecureString')
                $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                        'AmlRetrain.InvalidArgument', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null))
            }
            $settings['AMLR_ACCESS_TOKEN'] = $AccessToken
            $who = 'an access token'
        }
        'AzContext' {
            $settings['AMLR_ACCESS_TOKEN'] = $null   # replaced at every run
            if (-not $Subscription) {
                $context = Get-Command -Name 'Get-AzContext' -ErrorAction Ignore
                if ($context) {
                    $contextArguments = @{}
                    if ($DefaultProfile) {
                        $contextArguments['DefaultProfile'] = $DefaultProfile
                    }
                    $current = & $context @contextArguments
                    if ($current -and $current.Subscription -and $current.Subscription.Id) {
                        $settings['AZURE_SUBSCRIPTION_ID'] = [string]$current.Subscription.Id
                    }
                }
            }
            $who = 'the Az.Accounts sign-in'
        }
        default {
            $who = 'the credentials of the environment'
        }
    }
    if ($Subscription) {
        $settings['AZURE_SUBSCRIPTION_ID'] = $Subscription
    }
    if ($Environment) {
        $profilePath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Environment)
        $settings['AMLR_CLOUD'] = if ([System.IO.File]::Exists($profilePath)) { $profilePath } else { $Environment }
    }

    if (-not $PSCmdlet.ShouldProcess($who, 'Sign in for AmlRetrain commands')) {
        return
    }
    $previous = $script:AmlrConnection
    $script:AmlrConnection = @{ Kind = $kind; Environment = $settings; DefaultProfile = $DefaultProfile }
    $connected = $false
    try {
        Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList @('login') -TypeName 'AmlRetrain.Account' -Target $who
        $connected = $true
    } finally {
        if (-not $connected) {
            $script:AmlrConnection = $previous
        }
    }
}
