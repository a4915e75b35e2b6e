# SPDX-License-Identifier: MIT
# PowerShell values as JSON text, whole (no depth cut-off).

function ConvertTo-AmlrJson {
    <#
    .SYNOPSIS
    Serialises a value (dictionaries, PSCustomObjects, arrays, scalars) to
    JSON, compact or indented (two spaces, LF).
    .DESCRIPTION
    Not ConvertTo-Json, whose default depth of 2 silently truncates a
    definition (and which stops at 100 levels even when asked for more).
    Non-ASCII text is written as is, as the service and amlretrain do.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [AllowNull()] [AllowEmptyString()] [AllowEmptyCollection()] [object] $InputObject,
        [switch] $Indented
    )

    $options = [System.Text.Json.JsonWriterOptions]::new()
    $options.Indented = [bool]$Indented
    $options.Encoder = [System.Text.Encodings.Web.JavaScriptEncoder]::UnsafeRelaxedJsonEscaping
    $options.MaxDepth = 256
    if ($options.PSObject.Properties['NewLine']) {
        $options.NewLine = "`n"
    }
    $stream = [System.IO.MemoryStream]::new()
    $writer = [System.Text.Json.Utf8JsonWriter]::new($stream, $options)
    try {
        Write-AmlrJsonValue -Writer $writer -Value $InputObject -Depth 0
        $writer.Flush()
        return [System.Text.Encoding]::UTF8.GetString($stream.ToArray())
    } finally {
        $writer.Dispose()
        $stream.Dispose()
    }
}
