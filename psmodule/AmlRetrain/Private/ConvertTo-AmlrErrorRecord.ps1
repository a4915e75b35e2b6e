# SPDX-License-Identifier: MIT
# amlretrain's exit code and JSON error line as a PowerShell ErrorRecord.

function ConvertTo-AmlrErrorRecord {
    <#
    .SYNOPSIS
    An ErrorRecord for a failed amlretrain run.
    .DESCRIPTION
    Reads the last '{"error":...}' line of stderr (--error-format json).
    The message carries the service's message and details, its code and
    target, the HTTP status and the request id; the exception's Data holds
    them too (ExitCode, Category, ServiceCode, HttpStatus, RequestId,
    Target, Details).  FullyQualifiedErrorId is
    AmlRetrain.<service code or category>; the category follows STYLE.md
    section 7 (README, EXIT CODES).  Other "amlretrain: ..." lines (such
    as where a backup is) go to ErrorDetails.RecommendedAction.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)] [int] $ExitCode,
        [AllowEmptyCollection()] [string[]] $Stderr = @(),
        [object] $Target
    )

    $info = $null
    $notes = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Stderr) {
        if ($line.StartsWith('{"error"')) {
            try {
                $info = (ConvertFrom-AmlrJson -Json $line).Error
            } catch {
                $notes.Add($line)
            }
        } elseif ($line.StartsWith('amlretrain: ') -and -not $line.StartsWith('amlretrain: warning: ')) {
            $notes.Add($line.Substring(12))
        }
    }

    $category = 'Failed'
    $message = "amlretrain failed with exit code $ExitCode"
    $serviceCode = $null
    $httpStatus = $null
    $requestId = $null
    $serviceTarget = $null
    $serviceDetails = $null
    if ($info) {
        if ($info['category']) { $category = [string]$info['category'] }
        if ($info['message']) { $message = [string]$info['message'] }
        $serviceCode = $info['code']
        $httpStatus = $info['httpStatus']
        $requestId = $info['requestId']
        $serviceTarget = $info['target']
        $serviceDetails = $info['details']
    } elseif ($notes.Count -gt 0) {
        $message = $notes[$notes.Count - 1]
        $notes.RemoveAt($notes.Count - 1)
    }
    # The detail codes (WebServiceNotFound, CannotChangeStorageAccount, ...)
    # stay in the message, where scripts match them.
    if ($serviceDetails) {
        $message = "$message Details: $serviceDetails"
    }
    $facts = [System.Collections.Generic.List[string]]::new()
    if ($serviceCode) { $facts.Add("Code: $serviceCode") }
    if ($serviceTarget) { $facts.Add("Target: $serviceTarget") }
    if ($httpStatus) { $facts.Add("HTTP $httpStatus") }
    if ($requestId) { $facts.Add("Request Id: $requestId") }
    if ($facts.Count -gt 0) {
        $message = "$message ($($facts -join ', '))"
    }

    $errorCategory = [System.Management.Automation.ErrorCategory]::NotSpecified
    $exception = $null
    switch ($ExitCode) {
        2 {
            $errorCategory = 'InvalidArgument'
            $exception = [System.ArgumentException]::new($message)
        }
        3 {
            $errorCategory = if ($httpStatus -eq 403) { 'PermissionDenied' } else { 'AuthenticationError' }
            $exception = [System.UnauthorizedAccessException]::new($message)
        }
        4 {
            $errorCategory = 'ObjectNotFound'
            $exception = [System.Management.Automation.ItemNotFoundException]::new($message)
        }
        5 { $errorCategory = 'ResourceExists' }
        6 { $errorCategory = 'LimitsExceeded' }
        7 {
            $errorCategory = 'ConnectionError'
            $exception = [System.Net.Http.HttpRequestException]::new($message)
        }
        8 { $errorCategory = 'InvalidResult' }
        9 {
            $writing = $message -match '\b(write|writing|written|create|rename|flush|disk|space)\b'
            $errorCategory = if ($writing) { 'WriteError' } else { 'ReadError' }
            $exception = [System.IO.IOException]::new($message)
        }
        10 { $errorCategory = 'InvalidResult' }
        11 { $errorCategory = 'OperationStopped' }
        12 {
            $errorCategory = 'OperationTimeout'
            $exception = [System.TimeoutException]::new($message)
        }
        13 { $errorCategory = 'InvalidResult' }
    }
    if (-not $exception) {
        $exception = [System.InvalidOperationException]::new($message)
    }
    $exception.Data['ExitCode'] = $ExitCode
    $exception.Data['Category'] = $category
    $exception.Data['ServiceCode'] = $serviceCode
    $exception.Data['HttpStatus'] = $httpStatus
    $exception.Data['RequestId'] = $requestId
    $exception.Data['Target'] = $serviceTarget
    $exception.Data['Details'] = $serviceDetails

    $id = if ($serviceCode) { "AmlRetrain.$serviceCode" } else { "AmlRetrain.$category" }
    $record = [System.Management.Automation.ErrorRecord]::new($exception, $id, $errorCategory, $Target)
    if ($notes.Count -gt 0) {
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($message)
        $record.ErrorDetails.RecommendedAction = $notes -join ' '
    }
    return $record
}
