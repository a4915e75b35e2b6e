# SPDX-License-Identifier: MIT
# A member of an object or a dictionary, looked up case-insensitively.

function Get-AmlrMemberValue {
    <#
    .SYNOPSIS
    The value of member -Name of a dictionary, a PSCustomObject or any
    object (whatever its casing), or $null when it has none.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [AllowNull()] [object] $InputObject,
        [Parameter(Mandatory)] [string] $Name
    )

    if ($null -eq $InputObject) {
        return $null
    }
    if ($InputObject -is [System.Collections.IDictionary]) {
        # Not .Keys: a definition's properties may have a member named keys.
        foreach ($entry in $InputObject.GetEnumerator()) {
            if ([string]::Equals([string]$entry.Key, $Name, [System.StringComparison]::OrdinalIgnoreCase)) {
                return , $entry.Value
            }
        }
        return $null
    }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($property) {
        return , $property.Value
    }
    return $null
}
