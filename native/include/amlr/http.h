/* SPDX-License-Identifier: MIT */
/* The HTTP client every service call goes through (libcurl underneath). */
#ifndef AMLR_HTTP_H
#define AMLR_HTTP_H

#include "common.h"

#include <stddef.h>

#include "error.h"
#include "retry.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A client: one reused libcurl easy handle (connection reuse), one
 * correlation id for its lifetime (x-ms-correlation-request-id), the retry
 * policy, the trace callback and the details of the last error.  Not for
 * concurrent use from several threads.
 */
typedef struct amlr_client amlr_client;

/* What the trace callback is told about. */
typedef enum {
	AMLR_TRACE_INFO, /* connection and retry decisions */
	AMLR_TRACE_HEADER_OUT,
	AMLR_TRACE_HEADER_IN,
	AMLR_TRACE_DATA_OUT,
	AMLR_TRACE_DATA_IN
} amlr_trace_kind;

/*
 * Receives diagnostics, already redacted (amlr_redact()).  @p text is not
 * NUL-terminated and is valid only during the call.
 */
typedef void (*amlr_trace_cb)(amlr_trace_kind kind, const char *text,
			      size_t len, void *payload);

typedef struct amlr_client_opts {
	const char *user_agent; /* product token appended to amlretrain/V */
	const char *ca_bundle; /* CA file replacing the system's, or NULL */
	const char *correlation_id; /* NULL: a fresh GUID per client */
	long connect_timeout_ms; /* 0: libcurl's default */
	long timeout_ms; /* per attempt; 0: none */
	amlr_retry_policy retry;
} amlr_client_opts;

#define AMLR_CLIENT_OPTS_INIT                                           \
	{                                                               \
		NULL, NULL, NULL, 10000, 120000, AMLR_RETRY_POLICY_INIT \
	}

/* Request flags. */
/* Retried only when never sent, or refused with 429/503. */
#define AMLR_REQ_NON_IDEMPOTENT 1u
/* Also accept http:// to 169.254.0.0/16 (IMDS, App Service identity
 * endpoints), never through a proxy. */
#define AMLR_REQ_LINK_LOCAL 2u
/* One attempt, connect timeout 1 s at most: is anything listening? */
#define AMLR_REQ_PROBE 4u
/* A final 4xx/5xx is returned as a response (AMLR_OK), not an error. */
#define AMLR_REQ_ANY_STATUS 8u

typedef struct amlr_request {
	const char *method; /* "GET", "PUT", "PATCH", "POST", "DELETE", ... */
	const char *url; /* https://..., or http:// to a loopback host */
	/* "Name: value" lines, NULL-terminated, or NULL */
	const char *const *headers;
	const void *body; /* in memory (body_len bytes), or NULL */
	size_t body_len;
	const char *body_file; /* or a file sent as the body, or NULL */
	unsigned flags;
} amlr_request;

#define AMLR_REQUEST_INIT                           \
	{                                           \
		"GET", NULL, NULL, NULL, 0, NULL, 0 \
	}

/* A response: status, the headers of the final reply, the body. */
typedef struct amlr_response amlr_response;

/**
 * Make a client.
 *
 * @param[out] out the client, owned by the caller
 * @param opts settings, copied; NULL for the defaults
 * @return AMLR_OK, AMLR_EFAIL (libcurl or memory)
 * Ownership: *out belongs to the caller (amlr_client_free()).
 */
AMLR_EXTERN amlr_code amlr_client_new(amlr_client **out,
				      const amlr_client_opts *opts);

/** Free a client; accepts NULL. */
AMLR_EXTERN void amlr_client_free(amlr_client *client);

/**
 * Details of the last failed call on @p client; code AMLR_OK when the last
 * call succeeded.  Ownership: borrowed, valid until the next call.
 */
AMLR_EXTERN const amlr_error *amlr_client_error(const amlr_client *client);

/** Install (or with NULL remove) the trace callback. */
AMLR_EXTERN void amlr_client_set_trace_cb(amlr_client *client, amlr_trace_cb cb,
					  void *payload);

/** The correlation id sent with every request.  Borrowed. */
AMLR_EXTERN const char *amlr_client_correlation_id(const amlr_client *client);

/**
 * Send a request, retrying as the client's policy says.  Each request gets
 * its own x-ms-client-request-id (kept across its retries); every request
 * carries the client's x-ms-correlation-request-id.  Only https:// URLs are
 * accepted, and http:// to 127.0.0.0/8, ::1 or localhost (never through a
 * proxy).  Redirects are not followed.
 *
 * @param[out] out the response when the final status is 1xx-3xx
 * @return AMLR_OK; for a final 4xx/5xx the code of
 *         amlr_code_from_http() with Azure's code, message and request id
 *         on the client; AMLR_EINVAL (bad URL or request), AMLR_ENET
 *         (connect, TLS, timeout, reset), AMLR_ESERVER (a body cut short),
 *         AMLR_EIO (body file), AMLR_EFAIL
 * Ownership: *out belongs to the caller (amlr_response_free()).
 */
AMLR_EXTERN amlr_code amlr_http_send(amlr_response **out, amlr_client *client,
				     const amlr_request *req);

/** The HTTP status of a response. */
AMLR_EXTERN long amlr_response_status(const amlr_response *resp);

/**
 * The body (always NUL-terminated; *len gets its length if @p len is not
 * NULL).  Ownership: borrowed from @p resp.
 */
AMLR_EXTERN const char *amlr_response_body(const amlr_response *resp,
					   size_t *len);

/**
 * The value of header @p name in the final reply (case-insensitive; the
 * last one when repeated), without surrounding blanks, or NULL.
 * Ownership: borrowed from @p resp.
 */
AMLR_EXTERN const char *amlr_response_header(const amlr_response *resp,
					     const char *name);

/** Free a response, wiping its body (it may hold tokens); accepts NULL. */
AMLR_EXTERN void amlr_response_free(amlr_response *resp);

#ifdef __cplusplus
}
#endif

#endif
