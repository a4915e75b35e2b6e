# SPDX-License-Identifier: MIT
# JSON text re-indented as Export-AzMlWebService and amlretrain write it.

function Format-AmlrJson {
    <#
    .SYNOPSIS
    The same JSON, indented by two spaces with LF line ends and a final
    newline; numbers and strings are kept exactly.
    .DESCRIPTION
    The layout of `amlretrain webservice export` (and of Newtonsoft's
    Formatting.Indented): "key": value, non-ASCII text as is.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Json
    )

    $readOptions = [System.Text.Json.JsonDocumentOptions]::new()
    $readOptions.MaxDepth = 256
    $options = [System.Text.Json.JsonWriterOptions]::new()
    $options.Indented = $true
    $options.Encoder = [System.Text.Encodings.Web.JavaScriptEncoder]::UnsafeRelaxedJsonEscaping
    $options.MaxDepth = 256
    if ($options.PSObject.Properties['NewLine']) {
        $options.NewLine = "`n"
    }
    $document = [System.Text.Json.JsonDocument]::Parse($Json, $readOptions)
    $stream = [System.IO.MemoryStream]::new()
    $writer = [System.Text.Json.Utf8JsonWriter]::new($stream, $options)
    try {
        $document.RootElement.WriteTo($writer)
        $writer.Flush()
        return [System.Text.Encoding]::UTF8.GetString($stream.ToArray()).Replace("`r`n", "`n") + "`n"
    } finally {
        $writer.Dispose()
        $stream.Dispose()
        $document.Dispose()
    }
}
