# SPDX-License-Identifier: MIT
# Write the MAML help (en-US/AmlRetrain-help.xml) of the packaged module from
# the comment-based help of the source tree's functions, as Get-Help reads
# it: the package's functions then carry one '.ExternalHelp' line instead of
# their help comments, which the parser would otherwise read at every
# import (psmodule/build-package.sh).
# Usage: pwsh -NoProfile -File build-help.ps1 -Manifest PSD1 -OutFile XML

[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Manifest,
    [Parameter(Mandatory)] [string] $OutFile
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

# The text of a help property: a string, or paragraphs with a Text member.
function Get-HelpText([object] $Value) {
    if ($null -eq $Value) {
        return ''
    }
    if ($Value -is [string]) {
        return $Value
    }
    (@($Value) | ForEach-Object { if ($_.PSObject.Properties['Text']) { $_.Text } else { "$_" } }) -join "`n"
}

# The value of a property that comment-based help may leave out.
function Get-Member0([object] $Object, [string] $Name) {
    if ($null -ne $Object -and $Object.PSObject.Properties[$Name]) {
        return $Object.$Name
    }
    $null
}

function Write-Para([System.Xml.XmlWriter] $Writer, [string] $Element, [object] $Value) {
    $Writer.WriteStartElement('maml', $Element, $maml)
    foreach ($para in @($Value | Where-Object { $null -ne $_ })) {
        $text = Get-HelpText $para
        if ($text) {
            $Writer.WriteElementString('maml', 'para', $maml, $text)
        }
    }
    $Writer.WriteEndElement()
}

# A parameter, with its aliases from the command's metadata (comment-based
# help leaves them out).
function Write-Parameter([System.Xml.XmlWriter] $Writer, [object] $Parameter, [bool] $InSyntax,
    [System.Management.Automation.CommandInfo] $Command) {
    $Writer.WriteStartElement('command', 'parameter', $command)
    $Writer.WriteAttributeString('required', [string] (Get-Member0 $Parameter 'required'))
    $Writer.WriteAttributeString('variableLength', 'true')
    $Writer.WriteAttributeString('globbing', [string] (Get-Member0 $Parameter 'globbing'))
    $Writer.WriteAttributeString('pipelineInput', [string] (Get-Member0 $Parameter 'pipelineInput'))
    $Writer.WriteAttributeString('position', [string] (Get-Member0 $Parameter 'position'))
    $metadata = $Command.Parameters[$Parameter.name]
    $aliases = if ($metadata -and $metadata.Aliases.Count) { $metadata.Aliases -join ', ' } else { 'none' }
    $Writer.WriteAttributeString('aliases', $aliases)
    $Writer.WriteElementString('maml', 'name', $maml, $Parameter.name)
    Write-Para $Writer 'description' (Get-Member0 $Parameter 'description')
    $value = Get-Member0 $Parameter 'parameterValue'
    if ($value) {
        $Writer.WriteStartElement('command', 'parameterValue', $command)
        $Writer.WriteAttributeString('required', $(if ($value -eq 'SwitchParameter') { 'false' } else { 'true' }))
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString([string] $value)
        $Writer.WriteEndElement()
    }
    if (-not $InSyntax) {
        $type = Get-Member0 $Parameter 'type'
        if ($type) {
            $Writer.WriteStartElement('dev', 'type', $dev)
            $Writer.WriteElementString('maml', 'name', $maml, [string] $type.name)
            $Writer.WriteElementString('maml', 'uri', $maml, '')
            $Writer.WriteEndElement()
        }
        $Writer.WriteElementString('dev', 'defaultValue', $dev, [string] (Get-Member0 $Parameter 'defaultValue'))
    }
    $Writer.WriteEndElement()
}

function Write-Command([System.Xml.XmlWriter] $Writer, [object] $Help,
    [System.Management.Automation.CommandInfo] $Command) {
    $verb, $noun = $Help.Name -split '-', 2
    $Writer.WriteStartElement('command', 'command', $command)
    $Writer.WriteStartElement('command', 'details', $command)
    $Writer.WriteElementString('command', 'name', $command, $Help.Name)
    $Writer.WriteElementString('command', 'verb', $command, $verb)
    $Writer.WriteElementString('command', 'noun', $command, $noun)
    Write-Para $Writer 'description' (, $Help.Synopsis)
    $Writer.WriteEndElement()
    Write-Para $Writer 'description' (Get-Member0 $Help 'description')

    $Writer.WriteStartElement('command', 'syntax', $command)
    foreach ($item in @((Get-Member0 $Help 'syntax').syntaxItem)) {
        $Writer.WriteStartElement('command', 'syntaxItem', $command)
        $Writer.WriteElementString('maml', 'name', $maml, $item.name)
        foreach ($parameter in @(Get-Member0 $item 'parameter' | Where-Object { $_ })) {
            Write-Parameter $Writer $parameter $true $Command
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $command)
    $parameters = Get-Member0 $Help 'parameters'
    foreach ($parameter in @((Get-Member0 $parameters 'parameter') | Where-Object { $_ })) {
        Write-Parameter $Writer $parameter $false $Command
    }
    $Writer.WriteEndElement()

    foreach ($kind in @(@('inputTypes', 'inputType'), @('returnValues', 'returnValue'))) {
        $Writer.WriteStartElement('command', $kind[0], $command)
        foreach ($entry in @((Get-Member0 (Get-Member0 $Help $kind[0]) $kind[1]) | Where-Object { $_ })) {
            $Writer.WriteStartElement('command', $kind[1], $command)
            $Writer.WriteStartElement('dev', 'type', $dev)
            $Writer.WriteElementString('maml', 'name', $maml, [string] $entry.type.name)
            $Writer.WriteEndElement()
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('maml', 'alertSet', $maml)
    foreach ($alert in @((Get-Member0 (Get-Member0 $Help 'alertSet') 'alert') | Where-Object { $_ })) {
        Write-Para $Writer 'alert' (, $alert)
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $command)
    foreach ($example in @((Get-Member0 (Get-Member0 $Help 'examples') 'example') | Where-Object { $_ })) {
        $Writer.WriteStartElement('command', 'example', $command)
        $Writer.WriteElementString('maml', 'title', $maml, $example.title)
        Write-Para $Writer 'introduction' (Get-Member0 $example 'introduction')
        $Writer.WriteElementString('dev', 'code', $dev, $example.code)
        $Writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($para in @(Get-Member0 $example 'remarks')) {
            $Writer.WriteElementString('maml', 'para', $maml, (Get-HelpText $para))
        }
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'relatedLinks', $command)
    foreach ($link in @((Get-Member0 (Get-Member0 $Help 'relatedLinks') 'navigationLink') | Where-Object { $_ })) {
        $Writer.WriteStartElement('maml', 'navigationLink', $maml)
        $Writer.WriteElementString('maml', 'linkText', $maml, [string] (Get-Member0 $link 'linkText'))
        $Writer.WriteElementString('maml', 'uri', $maml, [string] (Get-Member0 $link 'uri'))
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()
}

$module = Import-Module $Manifest -PassThru -Force
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$temporary = "$OutFile.tmp"
$writer = [System.Xml.XmlWriter]::Create($temporary, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'command', $null, $command)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    foreach ($name in $module.ExportedFunctions.Keys | Sort-Object) {
        Write-Command $writer (Get-Help -Name $name -Full) (Get-Command -Name $name -Module $module.Name)
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
} finally {
    $writer.Dispose()
}
Move-Item -Force -LiteralPath $temporary -Destination $OutFile
