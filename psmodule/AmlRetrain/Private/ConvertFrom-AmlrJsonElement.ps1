# SPDX-License-Identifier: MIT
# One JSON value as a PowerShell value (ConvertFrom-AmlrJson's recursion).

function ConvertFrom-AmlrJsonElement {
    <#
    .SYNOPSIS
    A JsonElement as a dictionary, array, string, number, boolean or $null.
    .DESCRIPTION
    Objects become Dictionary[string, object] with OrdinalIgnoreCase keys:
    members keep their order (a dictionary enumerates in insertion order
    while nothing is removed), and assigning $d.Title or $d['ASSET3']
    keeps the key as the service spelled it (an OrderedDictionary would
    rename it).  Arrays become object[] (returned whole, never enumerated);
    integers Int64, other numbers Double; strings stay strings.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Text.Json.JsonElement] $Element
    )

    switch ($Element.ValueKind) {
        ([System.Text.Json.JsonValueKind]::Object) {
            $dictionary = [System.Collections.Generic.Dictionary[string, object]]::new(
                [System.StringComparer]::OrdinalIgnoreCase)
            foreach ($member in $Element.EnumerateObject()) {
                $dictionary[$member.Name] = ConvertFrom-AmlrJsonElement -Element $member.Value
            }
            return $dictionary
        }
        ([System.Text.Json.JsonValueKind]::Array) {
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($item in $Element.EnumerateArray()) {
                $list.Add((ConvertFrom-AmlrJsonElement -Element $item))
            }
            return , $list.ToArray()
        }
        ([System.Text.Json.JsonValueKind]::String) {
            return $Element.GetString()
        }
        ([System.Text.Json.JsonValueKind]::Number) {
            $integer = 0L
            if ($Element.TryGetInt64([ref]$integer)) {
                return $integer
            }
            return $Element.GetDouble()
        }
        ([System.Text.Json.JsonValueKind]::True) {
            return $true
        }
        ([System.Text.Json.JsonValueKind]::False) {
            return $false
        }
    }
    return $null
}
