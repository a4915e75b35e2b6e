/* SPDX-License-Identifier: MIT */
/* The one error model of libamlr: codes that are also exit codes. */
#ifndef AMLR_ERROR_H
#define AMLR_ERROR_H

#include "common.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Result of every fallible libamlr call, and the exit status of both
 * binaries.  Frozen: never renumber, only append (README "EXIT CODES").
 */
typedef enum {
	AMLR_OK = 0,
	AMLR_EFAIL = 1, /* unclassified failure (incl. out of memory) */
	AMLR_EINVAL = 2, /* usage: bad argument, flag, identifier, input file */
	AMLR_EAUTH = 3, /* no or expired credentials; HTTP 401/403 */
	AMLR_ENOTFOUND = 4, /* HTTP 404; the resource does not exist */
	AMLR_ECONFLICT = 5, /* HTTP 409/412; exists, etag or state mismatch */
	AMLR_ETHROTTLED = 6, /* HTTP 429/503 once retries are exhausted */
	AMLR_ENET = 7, /* DNS, connect, TLS, timeout */
	AMLR_ESERVER = 8, /* HTTP 5xx, or a reply we cannot parse */
	AMLR_EIO = 9, /* local file or output stream */
	AMLR_EJOBFAILED = 10, /* a batch job ended Failed (its Details) */
	AMLR_ECANCELLED = 11, /* a batch job ended Cancelled */
	AMLR_ETIMEOUT = 12, /* waited past the caller's --timeout */
	AMLR_EGATE = 13 /* the promotion gate rejected the new model */
} amlr_code;

#define AMLR_CODE_MAX AMLR_EGATE

#define AMLR_ERROR_MESSAGE_MAX 512
#define AMLR_ERROR_FIELD_MAX 128

/*
 * Details of the last failure, kept on a handle (a client) or in a
 * caller-owned struct for calls that have no handle.  Fixed buffers: an
 * error never allocates, so it can always be recorded, even out of memory.
 * Service fields are copied exactly from Azure's reply, truncated to fit.
 */
typedef struct amlr_error {
	amlr_code code; /* AMLR_OK when no error is recorded */
	int http_status; /* 0 when no HTTP reply was involved */
	char service_code[AMLR_ERROR_FIELD_MAX]; /* Azure's code, or "" */
	char message[AMLR_ERROR_MESSAGE_MAX]; /* one line, lower-case */
	char request_id[AMLR_ERROR_FIELD_MAX]; /* x-ms-request-id, or "" */
	char target[AMLR_ERROR_FIELD_MAX]; /* Azure's error.target, or "" */
	/* Azure's error.details as "Code: message; Code: message", or "" */
	char details[AMLR_ERROR_MESSAGE_MAX];
} amlr_error;

#define AMLR_ERROR_INIT                        \
	{                                      \
		AMLR_OK, 0, "", "", "", "", "" \
	}

/**
 * Forget a recorded error.
 *
 * @param err the error to reset; NULL is accepted and ignored
 */
AMLR_EXTERN void amlr_error_clear(amlr_error *err);

/**
 * Record an error: code plus a printf-style one-line message.  Newlines in
 * the formatted message are replaced by spaces.  Service fields are cleared.
 *
 * @param err destination; NULL is accepted (the call only returns @p code)
 * @param code the code to record, not AMLR_OK
 * @return @p code, so that `return amlr_error_set(err, AMLR_EIO, ...)` works
 */
AMLR_EXTERN amlr_code amlr_error_set(amlr_error *err, amlr_code code,
				     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * A static description of a code ("not found"); never NULL, also for
 * values outside the enum.
 */
AMLR_EXTERN const char *amlr_strerror(amlr_code code);

/**
 * The category name used in JSON error objects and mapped to PowerShell's
 * ErrorCategory ("NotFound"); never NULL.  AMLR_OK gives "".
 */
AMLR_EXTERN const char *amlr_code_category(amlr_code code);

/**
 * The code an HTTP status stands for once any retries are over: 2xx and
 * 3xx give AMLR_OK, 401/403 AMLR_EAUTH, 404/410 AMLR_ENOTFOUND, 409/412
 * AMLR_ECONFLICT, 408 AMLR_ENET, 429/503 AMLR_ETHROTTLED, other 5xx
 * AMLR_ESERVER, other 4xx AMLR_EINVAL, anything else AMLR_ESERVER.
 */
AMLR_EXTERN amlr_code amlr_code_from_http(long status);

#ifdef __cplusplus
}
#endif

#endif
