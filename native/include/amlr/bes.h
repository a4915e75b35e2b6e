/* SPDX-License-Identifier: MIT */
/* Batch Execution Service (BES 2.0): submit, start, status, cancel, wait. */
#ifndef AMLR_BES_H
#define AMLR_BES_H

#include "common.h"

#include <stdint.h>

#include "error.h"
#include "http.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The batch side of one web service endpoint: its ApiLocation
 * (".../workspaces/{ws}/services/{guid}" on classic endpoints,
 * ".../subscriptions/{sub}/services/{id}" on Resource Manager web
 * services) and its API key, over a client (borrowed) whose retries,
 * traces and error record every call uses.  The key goes out only in the
 * Authorization header (redacted in traces) and is wiped when the handle
 * is freed.  Reference: classic-bes-rrs.md §1.
 */
typedef struct amlr_bes amlr_bes;

/* A job's state: the values of the legacy integer StatusCode (§1.3). */
typedef enum {
	AMLR_BES_NOT_STARTED = 0,
	AMLR_BES_RUNNING = 1,
	AMLR_BES_FAILED = 2,
	AMLR_BES_CANCELLED = 3,
	AMLR_BES_FINISHED = 4
} amlr_bes_state;

/* A job's status, normalised: see amlr_bes_status_get(). */
typedef struct amlr_bes_status {
	amlr_bes_state state;
	const char *details; /* Details (Failed), or NULL; borrowed from doc */
	/*
	 * The status document with StatusCode as a string, the legacy
	 * singular Result as Results.output1, Details, and the service's
	 * other members unchanged.  Results entries are as the service gave
	 * them (ConnectionString, BaseLocation, RelativeLocation,
	 * SasBlobToken: a secret).
	 */
	amlr_json *doc;
} amlr_bes_status;

#define AMLR_BES_STATUS_INIT                     \
	{                                        \
		AMLR_BES_NOT_STARTED, NULL, NULL \
	}

/* How amlr_bes_wait() polls. */
typedef struct amlr_bes_wait_opts {
	unsigned poll_min_ms; /* first wait; 0: 250 */
	unsigned poll_max_ms; /* cap of the waits; 0: 10000 */
	uint64_t timeout_ms; /* 0: wait for ever */
	int no_cancel; /* non-zero: leave the job running on a timeout */
} amlr_bes_wait_opts;

#define AMLR_BES_WAIT_OPTS_INIT  \
	{                        \
		250, 10000, 0, 0 \
	}

/* What amlr_bes_wait() reports after each poll. */
typedef struct amlr_bes_progress {
	const char *job_id;
	amlr_bes_state state;
	uint64_t elapsed_ms;
	unsigned polls;
	unsigned next_poll_ms; /* the wait before the next poll */
} amlr_bes_progress;

/* Called after every poll; non-zero stops the wait (AMLR_EIO). */
typedef int (*amlr_bes_progress_cb)(const amlr_bes_progress *progress,
				    void *payload);

/**
 * Make a handle for an endpoint.  @p api_location is taken with or
 * without a trailing '/', "/jobs" or "/execute", and with or without a
 * query ("?api-version=2.0"), which is dropped.
 *
 * @param[out] out the handle, owned by the caller
 * @param client the client every call goes through (borrowed)
 * @param api_location https:// (or http:// to loopback) URL
 * @param api_key the endpoint's primary or secondary key (a secret)
 * @return AMLR_OK; AMLR_EINVAL (no URL or key, a key that cannot go in
 *	a header); AMLR_EFAIL; details on the client
 * Ownership: *out belongs to the caller (amlr_bes_free()); @p client is
 *	borrowed for its lifetime; the strings are copied.
 */
AMLR_EXTERN amlr_code amlr_bes_new(amlr_bes **out, amlr_client *client,
				   const char *api_location,
				   const char *api_key);

/** Free a handle, wiping its key; accepts NULL. */
AMLR_EXTERN void amlr_bes_free(amlr_bes *bes);

/**
 * The ApiLocation in its normal form (no query, no trailing '/', "/jobs"
 * or "/execute").
 *
 * @return the URL
 * Ownership: borrowed from @p bes.
 */
AMLR_EXTERN const char *amlr_bes_api_location(const amlr_bes *bes);

/**
 * Submit a job: POST {api}/jobs?api-version=2.0 with a
 * BatchExecutionRequest ({"Inputs", "Outputs", "GlobalParameters"}).
 * Never retried once the request may have reached the service (a retry
 * could register a second job), unless the service answered 429 or 503:
 * refused, not registered.
 *
 * @param[out] job_id_out the job id (the JSON string of the reply,
 *	quotes stripped)
 * @param request the request document
 * @return AMLR_OK; the client's codes (AMLR_EINVAL for a 400 with the
 *	service's code and details, AMLR_EAUTH, AMLR_ENOTFOUND, AMLR_ENET,
 *	...); AMLR_ESERVER when the reply is no job id
 * Ownership: *job_id_out belongs to the caller (free()).
 */
AMLR_EXTERN amlr_code amlr_bes_submit(char **job_id_out, amlr_bes *bes,
				      const amlr_json *request);

/**
 * Start a submitted job: POST {api}/jobs/{id}/start (204).
 *
 * @return AMLR_OK; AMLR_EINVAL (a malformed id, or CannotStartJob); the
 *	client's codes
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_bes_start(amlr_bes *bes, const char *job_id);

/**
 * Get a job's status: GET {api}/jobs/{id}.  StatusCode is accepted as a
 * string or as the legacy integer 0-4, Results or the legacy Result,
 * Details; other members are kept as they are.  Every call gets fresh
 * SAS tokens in Results.
 *
 * @param[out] out the status (released with amlr_bes_status_release())
 * @return AMLR_OK; AMLR_EINVAL (malformed id); the client's codes;
 *	AMLR_ESERVER (not JSON, or no known StatusCode)
 * Ownership: out->doc belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_bes_status_get(amlr_bes_status *out, amlr_bes *bes,
					  const char *job_id);

/** Release a status (accepts NULL); it is AMLR_BES_STATUS_INIT afterwards. */
AMLR_EXTERN void amlr_bes_status_release(amlr_bes_status *status);

/**
 * Cancel a job: DELETE {api}/jobs/{id} (204).
 *
 * @return AMLR_OK; AMLR_EINVAL (malformed id); the client's codes
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_bes_cancel(amlr_bes *bes, const char *job_id);

/**
 * Poll a job until it ends: the first poll at once, then waits of
 * poll_min_ms growing by half each time up to poll_max_ms.  Past
 * timeout_ms the job is cancelled (DELETE, as Microsoft's sample does)
 * unless no_cancel is set.
 *
 * @param[out] out the final status (Finished, Failed or Cancelled; also
 *	set for those two failures)
 * @param opts NULL for the defaults
 * @param cb progress callback, or NULL
 * @return AMLR_OK (Finished); AMLR_EJOBFAILED (its Details in the error
 *	message); AMLR_ECANCELLED; AMLR_ETIMEOUT (the message says whether
 *	the cancel worked); AMLR_EIO (the callback stopped it); the codes
 *	of amlr_bes_status_get()
 * Ownership: out->doc belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_bes_wait(amlr_bes_status *out, amlr_bes *bes,
				    const char *job_id,
				    const amlr_bes_wait_opts *opts,
				    amlr_bes_progress_cb cb, void *payload);

/**
 * The wait after poll number @p poll (1-based) before the next one:
 * min(poll_max_ms, poll_min_ms * 1.5^(poll-1)), with the defaults for
 * zero fields (and for @p opts NULL).
 *
 * @return milliseconds
 * Ownership: nothing kept.
 */
AMLR_EXTERN unsigned amlr_bes_poll_delay_ms(const amlr_bes_wait_opts *opts,
					    unsigned poll);

/**
 * The swagger's name of a state.
 *
 * @return "NotStarted", "Running", "Failed", "Cancelled", "Finished", or
 *	"Unknown" for other values; never NULL
 * Ownership: a static string.
 */
AMLR_EXTERN const char *amlr_bes_state_name(amlr_bes_state state);

/**
 * A content-addressed blob name for a local file, for uploading job
 * inputs without duplicates: "<stem>-<first 16 hex of its SHA-256>.<ext>"
 * ("census.csv" -> "census-3f2a...9c.csv").  Characters of the stem
 * outside [A-Za-z0-9._-] become '-'.
 *
 * @param[out] out the name
 * @return AMLR_OK; AMLR_EIO (the file cannot be read); AMLR_EFAIL
 * Ownership: *out belongs to the caller (free()).
 */
AMLR_EXTERN amlr_code amlr_bes_input_blob_name(char **out, amlr_error *err,
					       const char *path);

#ifdef __cplusplus
}
#endif

#endif
