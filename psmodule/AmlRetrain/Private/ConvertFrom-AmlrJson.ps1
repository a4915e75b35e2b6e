# SPDX-License-Identifier: MIT
# amlretrain's JSON output as PowerShell objects.

function ConvertFrom-AmlrJson {
    <#
    .SYNOPSIS
    Turns one JSON document into objects: a top-level array enumerates.
    .DESCRIPTION
    Each top-level object becomes a PSCustomObject whose property names
    start upper-case (Id, Name, Properties: as on Microsoft's objects),
    with -TypeName first among its type names, and a ResourceGroupName
    when its Id is a resource id.  Nested objects become dictionaries with
    case-insensitive keys, in the service's order, so that a definition
    reads and writes as Microsoft's do:
    $wsd.Properties.Assets['asset3'].LocationInfo.Uri.

    Not ConvertFrom-Json: that turns date-like strings into DateTime
    values, which would not go back to the service as they came, and
    gives no keyed access to assets, nodes and parameters.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Json,
        [string] $TypeName
    )

    $options = [System.Text.Json.JsonDocumentOptions]::new()
    $options.MaxDepth = 256
    $document = [System.Text.Json.JsonDocument]::Parse($Json, $options)
    try {
        $root = $document.RootElement
        $items = if ($root.ValueKind -eq [System.Text.Json.JsonValueKind]::Array) {
            $root.EnumerateArray()
        } else {
            , $root
        }
        foreach ($element in $items) {
            if ($element.ValueKind -ne [System.Text.Json.JsonValueKind]::Object) {
                ConvertFrom-AmlrJsonElement -Element $element
                continue
            }
            $properties = [ordered]@{}
            foreach ($member in $element.EnumerateObject()) {
                $name = $member.Name
                if ($name.Length -gt 0) {
                    $name = $name.Substring(0, 1).ToUpperInvariant() + $name.Substring(1)
                }
                $properties[$name] = ConvertFrom-AmlrJsonElement -Element $member.Value
            }
            if ($properties['Id'] -is [string] -and
                $properties['Id'] -match '/resourceGroups/([^/]+)/providers/' -and
                -not $properties.Contains('ResourceGroupName')) {
                $properties['ResourceGroupName'] = $Matches[1]
            }
            $object = [pscustomobject]$properties
            if ($TypeName) {
                $object.PSObject.TypeNames.Insert(0, $TypeName)
            }
            $object
        }
    } finally {
        $document.Dispose()
    }
}
