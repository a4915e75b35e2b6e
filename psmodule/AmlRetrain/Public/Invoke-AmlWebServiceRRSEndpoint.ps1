# SPDX-License-Identifier: MIT
# Invoke-AmlWebServiceRRSEndpoint: score with a web service's request-response service (azuremlps).

function Invoke-AmlWebServiceRRSEndpoint {
    <#
    .SYNOPSIS
    Scores rows with a web service endpoint's request-response service (RRS) and returns the reply.

    .DESCRIPTION
    Sends the rows to the endpoint's ApiLocation + /execute (amlretrain
    score) and returns the service's reply: Results with each output's
    ColumnNames and Values.  The rows are a whole request body in JSON
    ({"Inputs": {"input1": {"ColumnNames": [...], "Values": [[...]]}},
    "GlobalParameters": {}}), as azuremlps took it, a JSON array of row
    objects, or a CSV file with a header row.

    As a string the result is the reply's JSON, as azuremlps returned it,
    so that `$reply | ConvertFrom-Json` still works; with -OutputJsonFile
    the JSON goes to that file instead.  The API key reaches amlretrain
    through its environment, never its command line.

    .PARAMETER ApiLocation
    The endpoint's ApiLocation (Get-AmlWebServiceEndpoint), with or
    without '/execute?api-version=2.0'.  Accepts the ApiLocation property
    of a piped endpoint.

    .PARAMETER ApiKey
    The endpoint's API key, a string or a SecureString.  Accepts the
    PrimaryKey property of a piped endpoint.  Default: $env:AMLR_API_KEY.

    .PARAMETER InputJsonText
    The request: JSON text (a whole request body, or an array of row
    objects).

    .PARAMETER InputJsonFile
    (Alias -InputFile.)  A file holding the request: JSON as
    -InputJsonText, or CSV with a header row.

    .PARAMETER InputName
    The web service input the rows go to, when they are not a whole
    request body (default input1).

    .PARAMETER OutputJsonFile
    Write the reply (JSON) to this file instead of returning it.

    .EXAMPLE
    PS> $ep = Get-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id -EndpointName 'rentalloc001'
    PS> Invoke-AmlWebServiceRRSEndpoint -ApiLocation $ep.ApiLocation -ApiKey $ep.PrimaryKey -InputJsonText $request

    Scores with one endpoint.

    .EXAMPLE
    PS> Get-AmlWebServiceEndpoint -WebServiceId $scoringSvc.Id | Invoke-AmlWebServiceRRSEndpoint -InputFile ./people.csv

    Scores the same rows with every endpoint of a web service.

    .EXAMPLE
    PS> Invoke-AmlWebServiceRRSEndpoint -ApiLocation $ep.ApiLocation -ApiKey $key -InputJsonFile in.json -OutputJsonFile out.json

    azuremlps's file form.

    .INPUTS
    Objects with ApiLocation and PrimaryKey properties, such as
    AmlRetrain.ClassicEndpoint.

    .OUTPUTS
    AmlRetrain.ScoreResult: Results (each output's type and value:
    ColumnNames, ColumnTypes, Values), and the service's timings.  Nothing
    with -OutputJsonFile.

    .NOTES
    azuremlps's Invoke-AmlWebServiceRRSEndpoint.  A failure is a
    terminating error with the service's code and request id (per piped
    endpoint, a non-terminating one).
    #>
    [CmdletBinding(DefaultParameterSetName = 'Text')]
    [OutputType('AmlRetrain.ScoreResult')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $ApiLocation,
        [Parameter(ValueFromPipelineByPropertyName)] [Alias('PrimaryKey')]
        [ValidateScript({ $_ -is [string] -or $_ -is [securestring] })] [object] $ApiKey,
        [Parameter(Mandatory, ParameterSetName = 'Text')] [ValidateNotNullOrEmpty()] [string] $InputJsonText,
        [Parameter(Mandatory, ParameterSetName = 'File')] [Alias('InputFile')] [ValidateNotNullOrEmpty()]
        [string] $InputJsonFile,
        [ValidateNotNullOrEmpty()] [string] $InputName,
        [ValidateNotNullOrEmpty()] [string] $OutputJsonFile
    )

    process {
        $file = $null
        try {
            if ($PSCmdlet.ParameterSetName -eq 'Text') {
                $file = Write-AmlrSecretFile -Content $InputJsonText
                $path = $file
            } else {
                $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($InputJsonFile)
            }
            $arguments = @('score', "--api-location=$ApiLocation", "--input=$path")
            if ($InputName) {
                $arguments += "--input-name=$InputName"
            }
            $environment = @{}
            if ($null -ne $ApiKey) {
                $environment['AMLR_API_KEY'] = $ApiKey
            }
            if ($OutputJsonFile) {
                $json = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $environment `
                    -Target $ApiLocation -PerItem -Raw
                if ($null -ne $json) {
                    [System.IO.File]::WriteAllText($PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputJsonFile),
                        $json, [System.Text.UTF8Encoding]::new($false))
                }
                return
            }
            $reply = Invoke-AmlrNative -Caller $PSCmdlet -ArgumentList $arguments -SecretEnvironment $environment `
                -TypeName 'AmlRetrain.ScoreResult' -Target $ApiLocation -PerItem
            foreach ($item in $reply) {
                $item | Add-Member -MemberType ScriptMethod -Name 'ToString' -Value {
                    ConvertTo-AmlrJson -InputObject $this
                } -Force
                $item
            }
        } finally {
            if ($file) {
                [System.IO.File]::Delete($file)
            }
        }
    }
}
