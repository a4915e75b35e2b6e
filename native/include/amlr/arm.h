/* SPDX-License-Identifier: MIT */
/* Azure Resource Manager: authenticated calls, paging, long-running operations.
 */
#ifndef AMLR_ARM_H
#define AMLR_ARM_H

#include "common.h"

#include "credential.h"
#include "error.h"
#include "http.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct amlr_arm_opts {
	const char *endpoint; /* "https://management.azure.com/" */
	const char *audience; /* token resource; NULL: the endpoint */
	unsigned poll_min_ms; /* first wait of a long-running operation */
	unsigned poll_max_ms; /* longest wait between two polls */
	unsigned lro_timeout_ms; /* give up waiting after this long */
} amlr_arm_opts;

#define AMLR_ARM_OPTS_INIT                                                 \
	{                                                                  \
		"https://management.azure.com/", NULL, 100, 10000, 1800000 \
	}

/*
 * A Resource Manager session over a client (borrowed) and a credential
 * (borrowed): both must outlive it.  Errors are recorded on the client
 * (amlr_client_error()).
 */
typedef struct amlr_arm amlr_arm;

/* What a long-running operation reports while it runs. */
typedef struct amlr_arm_progress {
	const char *status; /* "Provisioning", "InProgress", ... */
	unsigned long long elapsed_ms;
	unsigned polls;
} amlr_arm_progress;

/* Called after every poll; return non-zero to stop waiting (AMLR_EIO). */
typedef int (*amlr_arm_progress_cb)(const amlr_arm_progress *progress,
				    void *payload);

/**
 * Make a session.
 *
 * @param[out] out the session, owned by the caller
 * @return AMLR_OK, AMLR_EINVAL (bad endpoint), AMLR_EFAIL
 * Ownership: *out belongs to the caller (amlr_arm_free()); @p client and
 *	@p cred are borrowed for its lifetime.
 */
AMLR_EXTERN amlr_code amlr_arm_new(amlr_arm **out, amlr_client *client,
				   amlr_credential *cred,
				   const amlr_arm_opts *opts);

/** Free a session; accepts NULL. */
AMLR_EXTERN void amlr_arm_free(amlr_arm *arm);

/** Install (or with NULL remove) the progress callback of operations. */
AMLR_EXTERN void
amlr_arm_set_progress_cb(amlr_arm *arm, amlr_arm_progress_cb cb, void *payload);

/**
 * Send one request.  @p path is relative to the endpoint
 * ("subscriptions/..."; a leading '/' is fine) or an absolute URL (a
 * nextLink or a status URL, sent as is); `api-version=` is added when the
 * URL has none.  The bearer token comes from the credential.
 *
 * @param body JSON text or NULL
 * @param flags AMLR_REQ_NON_IDEMPOTENT for requests never to repeat
 * @param[out] out the response (any 1xx-3xx status)
 * @return AMLR_OK or the client's error codes (amlr_http_send())
 * Ownership: *out belongs to the caller (amlr_response_free()).
 */
AMLR_EXTERN amlr_code amlr_arm_send(amlr_response **out, amlr_arm *arm,
				    const char *method, const char *path,
				    const char *api_version, const char *body,
				    unsigned flags);

/**
 * GET a resource and parse it.
 *
 * @return AMLR_OK, the codes of amlr_arm_send(), AMLR_ESERVER when the
 *	reply is not JSON
 * Ownership: *out belongs to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_arm_get(amlr_json **out, amlr_arm *arm,
				   const char *path, const char *api_version);

/**
 * GET a list and every page after it (nextLink followed verbatim until it
 * is absent or null; empty pages do not end it), as one array of items.
 *
 * @return AMLR_OK, the codes of amlr_arm_send(), AMLR_ESERVER (a page that
 *	is not a list, or a nextLink loop)
 * Ownership: *out (a JSON array) belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_arm_list(amlr_json **out, amlr_arm *arm,
				    const char *path, const char *api_version);

/**
 * Follow the long-running operation that @p initial started: poll the
 * Azure-AsyncOperation URL, else the Location URL, else the resource's
 * provisioningState; wait Retry-After when the service gives it, otherwise
 * adaptively (short at first, then an eighth of the time elapsed, within
 * poll_min_ms..poll_max_ms).  When the operation succeeds and
 * @p resource_path is not NULL, GET the resource and return it.
 *
 * @param[out] out the resource after the operation (NULL for a DELETE or
 *	when @p resource_path is NULL); may be NULL
 * @return AMLR_OK; AMLR_ESERVER when the operation ended Failed or
 *	Canceled (the service's code and message on the client's error);
 *	AMLR_ENET when it was still running after lro_timeout_ms; AMLR_EIO
 *	when the progress callback stopped it; the codes of amlr_arm_send()
 * Ownership: *out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_arm_wait(amlr_json **out, amlr_arm *arm,
				    const amlr_response *initial,
				    const char *resource_path,
				    const char *api_version);

#ifdef __cplusplus
}
#endif

#endif
