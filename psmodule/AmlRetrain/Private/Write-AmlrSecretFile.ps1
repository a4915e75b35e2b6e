# SPDX-License-Identifier: MIT
# A private (0600) temporary file for what must not go on a command line.

function Write-AmlrSecretFile {
    <#
    .SYNOPSIS
    Writes text (UTF-8, no BOM) to a new temporary file readable by its
    owner only, and returns its path; the caller deletes it.
    .DESCRIPTION
    The file is created exclusively (never an existing file or link) with
    mode 0600 from the start on Linux and macOS; on Windows the temporary
    folder is the user's own.  Definitions (which may hold keys) and model
    URIs (which may carry a SAS) reach amlretrain this way: as --file FILE
    or --model-uri @FILE.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [AllowEmptyString()] [string] $Content,
        [string] $Extension = '.json'
    )

    $path = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(),
        "amlr-$([guid]::NewGuid().ToString('N'))$Extension")
    $options = [System.IO.FileStreamOptions]::new()
    $options.Mode = [System.IO.FileMode]::CreateNew
    $options.Access = [System.IO.FileAccess]::Write
    $chmod = $false
    if (-not $IsWindows) {
        if ($options.PSObject.Properties['UnixCreateMode']) {
            $options.UnixCreateMode = [System.IO.UnixFileMode]'UserRead, UserWrite'
        } else {
            $chmod = $true   # .NET 6 (PowerShell 7.2): no create mode
        }
    }
    $stream = [System.IO.FileStream]::new($path, $options)
    try {
        if ($chmod) {
            & chmod 0600 -- $path
        }
        $bytes = [System.Text.UTF8Encoding]::new($false).GetBytes($Content)
        $stream.Write($bytes, 0, $bytes.Length)
    } finally {
        $stream.Dispose()
    }
    return $path
}
