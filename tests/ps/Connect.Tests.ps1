# SPDX-License-Identifier: MIT
# Connect-AmlAccount against the emulator's identity service: the
# environment's credentials, a service principal (PSCredential), an access
# token, the managed identity (Azure Automation style), and the reuse of an
# Az.Accounts sign-in (README "Credentials"; notes/auth-storage.md).

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Emulator = Start-TestEmulator -ArgumentList @('--managed-identity')
    Import-Module $ModulePath -Force
    $script:Secret = $env:AZURE_CLIENT_SECRET
    $script:ClientId = $env:AZURE_CLIENT_ID
    $script:Identity = @{ IDENTITY_ENDPOINT = $env:IDENTITY_ENDPOINT; IDENTITY_HEADER = $env:IDENTITY_HEADER }
    New-AzMlWebService -ResourceGroupName $env:AMLR_RESOURCE_GROUP -Location 'West US' -Name 'connect-1' `
        -DefinitionFile $Fixture -StorageAccountKey 'c3RvcmFnZS1rZXk=' | Out-Null
    # Each test chooses its own credentials: none in the environment.
    $env:AZURE_CLIENT_SECRET = $null
    $env:IDENTITY_ENDPOINT = $null
    $env:IDENTITY_HEADER = $null

    function Get-Token {
        # A Resource Manager token from the emulator's Entra ID endpoint.
        $body = @{
            grant_type = 'client_credentials'; client_id = $ClientId; client_secret = $Secret
            scope = 'https://management.azure.com/.default'
        }
        return (Invoke-RestMethod -Method Post -Body $body `
                -Uri "$($env:AZURE_AUTHORITY_HOST)$($env:AZURE_TENANT_ID)/oauth2/v2.0/token").access_token
    }

    function Test-Access {
        # Whether a Resource Manager call with the current credentials works.
        (Get-AzMlWebService -ResourceGroupName $env:AMLR_RESOURCE_GROUP -Name 'connect-1').Name | Should -Be 'connect-1'
    }
}

AfterAll {
    Disconnect-AmlAccount
    Remove-Module AmlRetrain -Force -ErrorAction Ignore
    Remove-Module Az.Accounts -Force -ErrorAction Ignore
    Stop-TestEmulator $Emulator
    Remove-TestScratch
}

Describe 'Connect-AmlAccount' {
    AfterEach {
        Disconnect-AmlAccount
    }

    It 'without parameters uses the credentials of the environment' {
        $env:AZURE_CLIENT_SECRET = $Secret
        try {
            $account = Connect-AmlAccount
            Test-Access
        } finally {
            $env:AZURE_CLIENT_SECRET = $null
        }
        $account.PSObject.TypeNames[0] | Should -Be 'AmlRetrain.Account'
        $account.Source | Should -Be 'clientSecret'
        $account.TenantId | Should -Be $env:AZURE_TENANT_ID
        ($account | Out-String) | Should -Match ('Subscription\s*:\s*' + $env:AZURE_SUBSCRIPTION_ID)
    }

    It '-ServicePrincipal -Credential signs in, and every later command uses it' {
        $credential = [pscredential]::new($ClientId, (ConvertTo-SecureString $Secret -AsPlainText -Force))
        $account = Connect-AmlAccount -ServicePrincipal -Credential $credential -Tenant $env:AZURE_TENANT_ID `
            -Subscription $env:AZURE_SUBSCRIPTION_ID
        $account.Source | Should -Be 'clientSecret'
        $account.ClientId | Should -Be $ClientId
        $account.Subscription | Should -Be $env:AZURE_SUBSCRIPTION_ID
        ($account | ConvertTo-Json -Depth 5) | Should -Not -Match ([regex]::Escape($Secret))
        Test-Access
        $env:AZURE_CLIENT_SECRET | Should -BeNullOrEmpty
    }

    It 'a wrong secret is a terminating AuthenticationError with Entra ID''s message, and the connection is kept' {
        Connect-AmlAccount -AccessToken (Get-Token) | Out-Null
        $bad = [pscredential]::new($ClientId, (ConvertTo-SecureString 'wrong-secret' -AsPlainText -Force))
        $record = $null
        # A token cache of its own: amlretrain login reuses a cached token of
        # the same tenant and client without asking Entra ID again.
        $cache = $env:XDG_CACHE_HOME
        $env:XDG_CACHE_HOME = "$TestDrive/fresh-cache"
        try {
            Connect-AmlAccount -ServicePrincipal -Credential $bad -Tenant $env:AZURE_TENANT_ID
        } catch {
            $record = $_
        } finally {
            $env:XDG_CACHE_HOME = $cache
        }
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.invalid_client,Connect-AmlAccount'
        $record.Exception.Message | Should -Match 'AADSTS7000215'
        $record.Exception.Data['RequestId'] | Should -Not -BeNullOrEmpty
        $record.Exception.Message | Should -Not -Match 'wrong-secret'
        Test-Access
    }

    It '-AccessToken uses the token as is' {
        Connect-AmlAccount -AccessToken (ConvertTo-SecureString (Get-Token) -AsPlainText -Force) | Out-Null
        Test-Access
        Disconnect-AmlAccount
        Connect-AmlAccount -AccessToken 'not-a-token' | Out-Null
        $record = $null
        try {
            Test-Access
        } catch {
            $record = $_
        }
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $record.Exception.Data['ServiceCode'] | Should -Be 'InvalidAuthenticationToken'
    }

    It '-Identity signs in with the managed identity, as in an Automation runbook' {
        $env:IDENTITY_ENDPOINT = $Identity.IDENTITY_ENDPOINT
        $env:IDENTITY_HEADER = $Identity.IDENTITY_HEADER
        try {
            $account = Connect-AmlAccount -Identity
            Test-Access
        } finally {
            $env:IDENTITY_ENDPOINT = $null
            $env:IDENTITY_HEADER = $null
        }
        $account.Source | Should -Be 'managedIdentity'
        $env:AZURE_CLIENT_ID | Should -Be $ClientId
    }

    It '-UseAzContext asks Az.Accounts for a token at every command' {
        $token = Get-Token
        New-Module -Name 'Az.Accounts' -ArgumentList $token, $env:AZURE_SUBSCRIPTION_ID -ScriptBlock {
            param($Token, $Subscription)
            $script:Calls = 0
            function Get-AzAccessToken {
                $script:Calls++
                [pscustomobject]@{ Token = (ConvertTo-SecureString $Token -AsPlainText -Force); ExpiresOn = [datetime]::UtcNow.AddHours(1) }
            }
            function Get-AzContext {
                [pscustomobject]@{ Subscription = [pscustomobject]@{ Id = $Subscription } }
            }
            function Get-StubCall {
                $script:Calls
            }
        } | Import-Module
        try {
            $saved = $env:AZURE_SUBSCRIPTION_ID
            $env:AZURE_SUBSCRIPTION_ID = $null
            try {
                Connect-AmlAccount -UseAzContext | Out-Null
                Test-Access
                Test-Access
            } finally {
                $env:AZURE_SUBSCRIPTION_ID = $saved
            }
            Get-StubCall | Should -Be 3
        } finally {
            Remove-Module Az.Accounts -Force
        }
    }

    It '-UseAzContext without Az.Accounts is an AuthenticationError' {
        $record = $null
        try {
            Connect-AmlAccount -UseAzContext
        } catch {
            $record = $_
        }
        $record.FullyQualifiedErrorId | Should -Be 'AmlRetrain.AzAccountsNotLoaded,Connect-AmlAccount'
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'Disconnect-AmlAccount forgets the credentials' {
        $credential = [pscredential]::new($ClientId, (ConvertTo-SecureString $Secret -AsPlainText -Force))
        Connect-AmlAccount -ServicePrincipal -Credential $credential -Tenant $env:AZURE_TENANT_ID | Out-Null
        Test-Access
        Disconnect-AmlAccount
        $record = $null
        try {
            Test-Access
        } catch {
            $record = $_
        }
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }
}
