# SPDX-License-Identifier: MIT
# A web service object as the definition JSON amlretrain reads.

function ConvertTo-AmlrDefinitionJson {
    <#
    .SYNOPSIS
    The definition of a web service object as compact JSON:
    {"properties": ..., "location": ..., "tags": ...}.
    .DESCRIPTION
    Accepts what Get-/Import-AzMlWebService return, a hashtable of the same
    shape, or another object with Properties, Location and Tags members
    (such as Microsoft's WebService).  The read-only members (id, name,
    type; properties.createdOn, modifiedOn, provisioningState,
    swaggerLocation) are left out, as Microsoft's serialiser leaves them
    out of exports and request bodies.  Everything else goes whole: no
    depth limit, no type conversion.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [object] $WebService
    )

    $readOnly = 'createdOn', 'modifiedOn', 'provisioningState', 'swaggerLocation'
    $definition = [ordered]@{}
    $properties = Get-AmlrMemberValue -InputObject $WebService -Name 'properties'
    if ($null -ne $properties) {
        $copy = [ordered]@{}
        if ($properties -is [System.Collections.IDictionary]) {
            foreach ($entry in $properties.GetEnumerator()) {
                if ([string]$entry.Key -notin $readOnly) {
                    $copy[[string]$entry.Key] = $entry.Value
                }
            }
        } else {
            foreach ($property in $properties.PSObject.Properties) {
                if ($property.MemberType -in 'NoteProperty', 'Property' -and $property.Name -notin $readOnly) {
                    $copy[$property.Name] = $property.Value
                }
            }
        }
        $definition['properties'] = $copy
    }
    foreach ($name in 'location', 'tags') {
        $value = Get-AmlrMemberValue -InputObject $WebService -Name $name
        if ($null -ne $value) {
            $definition[$name] = $value
        }
    }
    return ConvertTo-AmlrJson -InputObject $definition
}
