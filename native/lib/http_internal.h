/* SPDX-License-Identifier: MIT */
/* Pieces of the HTTP client shared inside libamlr and with its tests. */
#ifndef AMLR_HTTP_INTERNAL_H
#define AMLR_HTTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "amlr/buf.h"

#include "amlr/error.h"
#include "amlr/http.h"

/*
 * Whether a libcurl failure (a CURLcode) may go away on another try:
 * resolving, connecting, a timeout, a reset, a reply cut short.  Every
 * transfer of the library (http.c, blob.c, fleet.c) asks this.
 */
int amlr_http__transient(int curl_code);

/*
 * Fill @p err for a final HTTP error status: code from
 * amlr_code_from_http(), Azure's code and message copied from the body
 * (ARM/classic {"error":{"code","message"}}, a bare {"code","message"},
 * Entra ID {"error","error_description"}, Storage XML <Error><Code>
 * <Message>) or the x-ms-error-code header, and the request id.  When the
 * body says nothing, the message names the method, the URL without its
 * query (which may hold a SAS) and the status.
 */
void amlr_http__error_from_reply(amlr_error *err, long status,
				 const char *method, const char *url,
				 const char *body, size_t len,
				 const char *x_ms_error_code,
				 const char *request_id);

/*
 * Copy @p url without its query and fragment into @p out (size @p n),
 * for messages: a query may carry a SAS signature.
 */
void amlr_http__url_for_message(char *out, size_t n, const char *url);

/*
 * The client's error record, for modules built on the client (arm.c, ...)
 * that report their own failures on it.
 */
amlr_error *amlr_client__err(amlr_client *client);

#define AMLR_HTTP__GUID_SIZE 37 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */

/* A fresh version-4 GUID, lower-case: request and correlation ids. */
void amlr_http__new_guid(char out[AMLR_HTTP__GUID_SIZE]);

/* A uniformly random number for backoff jitter (not a secret). */
uint32_t amlr_http__random_u32(void);

/* Milliseconds of the monotonic clock. */
uint64_t amlr_http__now_ms(void);

/* Sleep @p ms milliseconds, through signals. */
void amlr_http__sleep_ms(uint64_t ms);

/* "amlretrain/V libcurl/V" plus @p extra (may be NULL), appended. */
amlr_code amlr_http__user_agent(amlr_buf *out, const char *extra);

/* The headers of the final reply of a transfer (names and values owned). */
struct amlr_http__header {
	char *name;
	char *value;
};

struct amlr_http__headers {
	struct amlr_http__header *v;
	size_t n;
	size_t cap;
};

/*
 * libcurl's CURLOPT_HEADERFUNCTION, collecting into the struct
 * amlr_http__headers of CURLOPT_HEADERDATA: a new status line (100
 * Continue, then the final reply) starts the list anew; values are
 * trimmed.
 */
size_t amlr_http__on_header(char *data, size_t size, size_t n, void *userp);

/* The value of header @p name (case-insensitive; the last one), or NULL. */
const char *amlr_http__headers_get(const struct amlr_http__headers *h,
				   const char *name);

/* Empty the list (values wiped: they may be secrets), keep its memory. */
void amlr_http__headers_clear(struct amlr_http__headers *h);

/* Empty the list and free its memory. */
void amlr_http__headers_release(struct amlr_http__headers *h);

/* 1 when @p host (as in a URL: "[::1]" for IPv6) is a loopback host. */
int amlr_http__is_loopback(const char *host);

#endif
