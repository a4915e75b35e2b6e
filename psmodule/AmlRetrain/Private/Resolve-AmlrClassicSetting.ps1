# SPDX-License-Identifier: MIT
# Workspace, token and location of the classic cmdlets, as azuremlps resolves them.

function Resolve-AmlrClassicSetting {
    <#
    .SYNOPSIS
    The amlretrain arguments (--workspace, --location) and environment
    (AMLR_WORKSPACE_TOKEN) of a classic management cmdlet.
    .DESCRIPTION
    azuremlps's order (../shared/reference/notes/classic-bes-rrs.md
    section 4.1), later ones winning: the environment amlretrain reads by
    itself (AMLR_WORKSPACE_ID, AMLR_WORKSPACE_TOKEN,
    AMLR_MANAGEMENT_ENDPOINT: what the emulator exports); config.json
    beside the module; the file -ConfigFile names (absolute, or relative
    to the current location, else to the module's folder as azuremlps
    reads it; a missing file is an error); -WorkspaceId,
    -AuthorizationToken and -Location.  Unlike azuremlps, the explicit
    parameters win whatever the order they are written in.  The token
    travels in the child's environment only, never on its command line.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Caller,
        [AllowEmptyString()] [string] $WorkspaceId,
        [AllowNull()] [object] $AuthorizationToken,
        [AllowEmptyString()] [string] $Location,
        [AllowEmptyString()] [string] $ConfigFile
    )

    $settings = @{ WorkspaceId = $null; AuthorizationToken = $null; Location = $null }
    $files = [System.Collections.Generic.List[string]]::new()
    $beside = [System.IO.Path]::Combine($script:AmlrModuleBase, 'config.json')
    if ([System.IO.File]::Exists($beside)) {
        $files.Add($beside)
    }
    if ($ConfigFile) {
        $path = $Caller.GetUnresolvedProviderPathFromPSPath($ConfigFile)
        if (-not [System.IO.Path]::IsPathRooted($ConfigFile) -and -not [System.IO.File]::Exists($path)) {
            $path = [System.IO.Path]::Combine($script:AmlrModuleBase, $ConfigFile)
        }
        if (-not [System.IO.File]::Exists($path)) {
            $exception = [System.Management.Automation.ItemNotFoundException]::new(
                "the configuration file '$ConfigFile' does not exist")
            $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                    'AmlRetrain.ConfigFileNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound,
                    $ConfigFile))
        }
        $files.Add($path)
    }
    foreach ($file in $files) {
        try {
            $config = ConvertFrom-AmlrJson -Json ([System.IO.File]::ReadAllText($file))
        } catch {
            $config = $null
        }
        if ($config -isnot [System.Management.Automation.PSCustomObject]) {
            $exception = [System.ArgumentException]::new(
                "the configuration file '$file' is not a JSON object {WorkspaceId, AuthorizationToken, Location}")
            $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                    'AmlRetrain.InvalidConfigFile', [System.Management.Automation.ErrorCategory]::InvalidArgument,
                    $file))
        }
        foreach ($name in @($settings.Keys)) {
            $value = Get-AmlrMemberValue -InputObject $config -Name $name
            if ($value -is [string] -and $value) {
                $settings[$name] = $value
            }
        }
    }
    if ($WorkspaceId) {
        $settings['WorkspaceId'] = $WorkspaceId
    }
    if ($null -ne $AuthorizationToken -and "$AuthorizationToken" -ne '') {
        $settings['AuthorizationToken'] = $AuthorizationToken
    }
    if ($Location) {
        $settings['Location'] = $Location
    }

    $arguments = [System.Collections.Generic.List[string]]::new()
    $environment = @{}
    if ($settings['WorkspaceId']) {
        $arguments.Add("--workspace=$($settings['WorkspaceId'])")
    }
    if ($settings['Location']) {
        $arguments.Add("--location=$($settings['Location'])")
    }
    if ($settings['AuthorizationToken']) {
        $environment['AMLR_WORKSPACE_TOKEN'] = $settings['AuthorizationToken']
    }
    return @{ Arguments = $arguments.ToArray(); Environment = $environment }
}
