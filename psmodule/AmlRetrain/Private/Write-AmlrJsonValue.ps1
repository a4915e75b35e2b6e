# SPDX-License-Identifier: MIT
# One value to a Utf8JsonWriter (ConvertTo-AmlrJson's recursion).

function Write-AmlrJsonValue {
    <#
    .SYNOPSIS
    Writes one value: null, string, boolean, number, date, dictionary,
    PSCustomObject, other objects (their properties) or list.
    .DESCRIPTION
    A SecureString is written as its text: it is how -Keys and similar
    parameters reach the 0600 definition file amlretrain reads.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Text.Json.Utf8JsonWriter] $Writer,
        [Parameter(Mandatory)] [AllowNull()] [AllowEmptyString()] [AllowEmptyCollection()] [object] $Value,
        [Parameter(Mandatory)] [int] $Depth
    )

    if ($Depth -gt 200) {
        throw [System.InvalidOperationException]::new('the value is nested more than 200 levels deep (a cycle?)')
    }
    if ($null -eq $Value) {
        $Writer.WriteNullValue()
        return
    }
    if ($Value -is [psobject] -and $Value.PSObject.BaseObject -isnot [System.Management.Automation.PSCustomObject]) {
        $Value = $Value.PSObject.BaseObject
    }
    if ($Value -is [string] -or $Value -is [char] -or $Value -is [enum] -or $Value -is [guid] -or $Value -is [uri]) {
        $Writer.WriteStringValue([string]$Value)
    } elseif ($Value -is [bool]) {
        $Writer.WriteBooleanValue($Value)
    } elseif ($Value -is [int] -or $Value -is [long] -or $Value -is [short] -or $Value -is [byte] -or
        $Value -is [sbyte] -or $Value -is [uint16] -or $Value -is [uint32]) {
        $Writer.WriteNumberValue([long]$Value)
    } elseif ($Value -is [uint64] -or $Value -is [decimal] -or $Value -is [System.Numerics.BigInteger]) {
        $Writer.WriteNumberValue([decimal]$Value)
    } elseif ($Value -is [double] -or $Value -is [float]) {
        $Writer.WriteNumberValue([double]$Value)
    } elseif ($Value -is [datetime]) {
        $Writer.WriteStringValue($Value.ToUniversalTime().ToString('o', [cultureinfo]::InvariantCulture))
    } elseif ($Value -is [datetimeoffset]) {
        $Writer.WriteStringValue($Value.ToString('o', [cultureinfo]::InvariantCulture))
    } elseif ($Value -is [securestring]) {
        $Writer.WriteStringValue([System.Net.NetworkCredential]::new('', $Value).Password)
    } elseif ($Value -is [System.Collections.IDictionary]) {
        $Writer.WriteStartObject()
        foreach ($entry in $Value.GetEnumerator()) {
            $Writer.WritePropertyName([string]$entry.Key)
            Write-AmlrJsonValue -Writer $Writer -Value $entry.Value -Depth ($Depth + 1)
        }
        $Writer.WriteEndObject()
    } elseif ($Value -is [System.Collections.IEnumerable]) {
        $Writer.WriteStartArray()
        foreach ($item in $Value) {
            Write-AmlrJsonValue -Writer $Writer -Value $item -Depth ($Depth + 1)
        }
        $Writer.WriteEndArray()
    } else {
        $Writer.WriteStartObject()
        foreach ($property in $Value.PSObject.Properties) {
            if ($property.MemberType -notin 'NoteProperty', 'Property') {
                continue
            }
            $Writer.WritePropertyName($property.Name)
            Write-AmlrJsonValue -Writer $Writer -Value $property.Value -Depth ($Depth + 1)
        }
        $Writer.WriteEndObject()
    }
}
