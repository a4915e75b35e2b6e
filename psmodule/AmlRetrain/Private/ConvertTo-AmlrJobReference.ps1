# SPDX-License-Identifier: MIT
# A batch job's input or output, as amlretrain job submit takes it (NAME=REF).

function ConvertTo-AmlrJobReference {
    <#
    .SYNOPSIS
    The REF of an --input/--output NAME=REF option, for a job request's
    blob reference or a friendlier value; secrets go to 0600 files.
    .DESCRIPTION
    -Reference is a job request's blob reference (a dictionary or object,
    notes section 1.2): {ConnectionString, RelativeLocation} becomes
    CONTAINER/BLOB in the account of that connection string, which is
    stored in -State.ConnectionString (all must be the same account);
    {BaseLocation, RelativeLocation, SasBlobToken} becomes sas:FILE, a
    0600 file with the blob URL and its SAS; without a SAS the blob URL.
    Or a string: a URL with a SAS ('?...sig=') becomes sas:FILE; '@PATH'
    and a FileInfo a local file to upload (@FULL-PATH); anything else
    (CONTAINER/BLOB, a URL without a SAS) is passed as it is.  The files
    created are added to -State.Files, which the caller deletes.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Caller,
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [AllowNull()] [object] $Reference,
        [Parameter(Mandatory)] [hashtable] $State
    )

    $invalid = {
        param([string] $Message)
        $exception = [System.ArgumentException]::new($Message)
        $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception,
                'AmlRetrain.InvalidJobReference', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Name))
    }
    $sasFile = {
        param([string] $Url)
        $file = Write-AmlrSecretFile -Content $Url -Extension '.url'
        $State.Files.Add($file)
        return "sas:$file"
    }

    if ($Reference -is [System.IO.FileInfo]) {
        return "@$($Reference.FullName)"
    }
    if ($Reference -is [string]) {
        if ($Reference.StartsWith('@')) {
            return '@' + $Caller.GetUnresolvedProviderPathFromPSPath($Reference.Substring(1))
        }
        if ($Reference -match '^https?://[^?]+\?.*\bsig=') {
            return & $sasFile $Reference
        }
        if (-not $Reference) {
            & $invalid "'$Name' is empty"
        }
        return $Reference
    }
    if ($null -eq $Reference -or $Reference -is [System.ValueType]) {
        & $invalid "'$Name' must be a blob reference: {ConnectionString, RelativeLocation} or {BaseLocation, RelativeLocation, SasBlobToken}"
    }
    $connection = [string](Get-AmlrMemberValue -InputObject $Reference -Name 'ConnectionString')
    $base = [string](Get-AmlrMemberValue -InputObject $Reference -Name 'BaseLocation')
    $relative = [string](Get-AmlrMemberValue -InputObject $Reference -Name 'RelativeLocation')
    $sas = [string](Get-AmlrMemberValue -InputObject $Reference -Name 'SasBlobToken')
    if (-not $relative) {
        & $invalid "'$Name' has no RelativeLocation"
    }
    if ($connection) {
        if ($State.ConnectionString -and $State.ConnectionString -ne $connection) {
            & $invalid "'$Name' names another storage account than the other inputs and outputs: give it as BaseLocation, RelativeLocation and SasBlobToken"
        }
        $State.ConnectionString = $connection
        return $relative.TrimStart('/')
    }
    if (-not $base) {
        & $invalid "'$Name' has neither a ConnectionString nor a BaseLocation"
    }
    $url = $base.TrimEnd('/') + '/' + $relative.TrimStart('/')
    if ($sas) {
        return & $sasFile ($url + '?' + $sas.TrimStart('?'))
    }
    return $url
}
