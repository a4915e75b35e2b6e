/* SPDX-License-Identifier: MIT */
/* Azure Storage Shared Key signing: string-to-sign and HMAC-SHA256. */
#ifndef AMLR_SHAREDKEY_H
#define AMLR_SHAREDKEY_H

#include "common.h"

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The x-ms-version libamlr sends: supported by Azure and Azurite 3.35.0. */
#define AMLR_STORAGE_VERSION "2025-11-05"

/* Size of a base64 HMAC-SHA256 signature with its NUL. */
#define AMLR_SHAREDKEY_SIG_SIZE 45

/* Size of an RFC 1123 date ("Sun, 06 Nov 1994 08:49:37 GMT") with NUL. */
#define AMLR_HTTP_DATE_SIZE 30

/**
 * Build the Shared Key string-to-sign of a Blob request (version
 * 2015-02-21 and later): the verb, the eleven standard headers (a
 * Content-Length of 0 signed as empty), the canonicalized x-ms- headers
 * (lower-case names, sorted, values trimmed and inner blanks collapsed),
 * then "/" + @p account + @p path and the query arguments, decoded,
 * lower-cased names, sorted, repeated names joined by commas.
 *
 * @param[out] out the string is appended here
 * @param account the storage account name
 * @param method "PUT", "GET", ... (upper case)
 * @param path the URI path exactly as sent, still percent-encoded
 *	("/devstoreaccount1/models/dir/a.txt")
 * @param query the query as sent, without '?', or NULL
 * @param headers "Name: value" lines, NULL-terminated (may be NULL)
 * @return AMLR_OK, AMLR_EINVAL (a header line without ':'), AMLR_EFAIL
 * Ownership: nothing kept; @p out is the caller's.
 */
AMLR_EXTERN amlr_code amlr_sharedkey_string_to_sign(
	amlr_buf *out, const char *account, const char *method,
	const char *path, const char *query, const char *const *headers);

/**
 * Sign @p msg: Base64(HMAC-SHA256(Base64Decode(@p key), @p msg)).
 *
 * @param[out] out the signature, NUL-terminated
 * @param err details on failure; may be NULL
 * @param key the account key, base64 (a secret: never in a message)
 * @return AMLR_OK; AMLR_EINVAL when @p key is not base64; AMLR_EFAIL
 * Ownership: nothing kept; the decoded key is wiped.
 */
AMLR_EXTERN amlr_code amlr_sharedkey_hmac(char out[AMLR_SHAREDKEY_SIG_SIZE],
					  amlr_error *err, const char *key,
					  const char *msg, size_t len);

/**
 * Whether @p key is a usable account key: non-empty, valid base64.
 *
 * @return 1 or 0
 * Ownership: nothing kept; the decoded key is wiped.
 */
AMLR_EXTERN int amlr_sharedkey_key_valid(const char *key);

/**
 * The header value "SharedKey ACCOUNT:SIGNATURE" for a request.  The same
 * arguments as amlr_sharedkey_string_to_sign(); @p headers must be exactly
 * the headers that will be sent (x-ms-date included).
 *
 * @param[out] out the value; owned by the caller, wipe with
 *	amlr_secret_free()
 * @return AMLR_OK, AMLR_EINVAL (bad key or header), AMLR_EFAIL
 * Ownership: *out is the caller's.
 */
AMLR_EXTERN amlr_code amlr_sharedkey_authorization(
	char **out, amlr_error *err, const char *account, const char *key,
	const char *method, const char *path, const char *query,
	const char *const *headers);

/**
 * Format @p t as an RFC 1123 date in GMT, with fixed English names
 * whatever the locale ("Mon, 01 Jan 2024 00:00:00 GMT").
 */
AMLR_EXTERN void amlr_http_date(char out[AMLR_HTTP_DATE_SIZE], time_t t);

#ifdef __cplusplus
}
#endif

#endif
