/* SPDX-License-Identifier: MIT */
/* amlr_code names, categories and the HTTP status mapping. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "amlr/error.h"

static const struct {
	const char *text;
	const char *category;
} codes[] = {
	[AMLR_OK] = { "success", "" },
	[AMLR_EFAIL] = { "failure", "Failed" },
	[AMLR_EINVAL] = { "invalid argument", "InvalidArgument" },
	[AMLR_EAUTH] = { "authentication failed", "Auth" },
	[AMLR_ENOTFOUND] = { "not found", "NotFound" },
	[AMLR_ECONFLICT] = { "conflict", "Conflict" },
	[AMLR_ETHROTTLED] = { "throttled", "Throttled" },
	[AMLR_ENET] = { "network error", "Network" },
	[AMLR_ESERVER] = { "server error", "Server" },
	[AMLR_EIO] = { "local i/o error", "LocalIO" },
	[AMLR_EJOBFAILED] = { "job failed", "JobFailed" },
	[AMLR_ECANCELLED] = { "job cancelled", "Cancelled" },
	[AMLR_ETIMEOUT] = { "timed out", "Timeout" },
	[AMLR_EGATE] = { "rejected by the promotion gate", "GateRejected" },
};

void amlr_error_clear(amlr_error *err)
{
	if (!err)
		return;
	err->code = AMLR_OK;
	err->http_status = 0;
	err->service_code[0] = '\0';
	err->message[0] = '\0';
	err->request_id[0] = '\0';
	err->target[0] = '\0';
	err->details[0] = '\0';
}

amlr_code amlr_error_set(amlr_error *err, amlr_code code, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (!err)
		return code;
	amlr_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	for (p = err->message; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return code;
}

const char *amlr_strerror(amlr_code code)
{
	if ((unsigned)code > AMLR_CODE_MAX)
		return "unknown error";
	return codes[code].text;
}

const char *amlr_code_category(amlr_code code)
{
	if ((unsigned)code > AMLR_CODE_MAX)
		return "Failed";
	return codes[code].category;
}

amlr_code amlr_code_from_http(long status)
{
	if (status >= 100 && status < 400)
		return AMLR_OK;
	switch (status) {
	case 401:
	case 403:
		return AMLR_EAUTH;
	case 404:
	case 410:
		return AMLR_ENOTFOUND;
	case 409:
	case 412:
		return AMLR_ECONFLICT;
	case 408:
		return AMLR_ENET;
	case 429:
	case 503:
		return AMLR_ETHROTTLED;
	default:
		break;
	}
	if (status >= 400 && status < 500)
		return AMLR_EINVAL;
	return AMLR_ESERVER;
}
