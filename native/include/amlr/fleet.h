/* SPDX-License-Identifier: MIT */
/* Fleets: retrain and swap the models of many classic endpoints at once. */
#ifndef AMLR_FLEET_H
#define AMLR_FLEET_H

#include "common.h"

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A fleet: many targets, each a classic endpoint of one predictive web
 * service (notes/classic-bes-rrs.md §3, §5.4), driven at once over one
 * libcurl multi handle with at most `concurrency` targets in progress,
 * each with at most one request in flight.  Per target:
 *
 *   create (optional)  GET the endpoint; 404: PUT it
 *   retrain mode       submit a BES job (§1) with the target's input and
 *                      Outputs.<output> = CONTAINER/PREFIX/<endpoint>.ilearner,
 *                      journal its id, start it, poll it (capped backoff)
 *   patch              PATCH the endpoint's [trained model] resource with
 *                      the job's output (retrain) or the target's model
 *                      blob and a read SAS made from the account key
 *   verify             GET the endpoint: the resource is at the new model
 *
 * Idempotent requests (GET, PUT, PATCH, DELETE, job status, job start)
 * are retried on 408/429/5xx, resets and timeouts as the retry policy
 * says, honouring Retry-After and x-ms-retry-after-ms; a job submission
 * is retried only when it was never sent (connection refused) or was
 * refused with 429/503.
 *
 * The journal (state file) is an append-only file of JSON lines, one per
 * phase change of a target; a job is started only once its id is in the
 * journal, and a run on the same journal resumes every target where it
 * stopped (docs/fleet.md).  Nothing secret reaches it, the errors or the
 * traces.
 */
typedef struct amlr_fleet amlr_fleet;

typedef enum {
	AMLR_FLEET_SET_MODEL = 0, /* PATCH each endpoint to a given blob */
	AMLR_FLEET_RETRAIN = 1 /* train per endpoint with BES, then PATCH */
} amlr_fleet_mode;

#define AMLR_FLEET_DEFAULT_CONCURRENCY 16
#define AMLR_FLEET_MAX_CONCURRENCY 256

typedef struct amlr_fleet_opts {
	amlr_fleet_mode mode;
	amlr_client_opts http; /* CA bundle, timeouts, retry policy */
	/* Management API base URL, e.g. https://management.azureml.net */
	const char *management_endpoint;
	const char *workspace_id;
	const char *workspace_token; /* a secret */
	const char *webservice_id; /* the predictive web service */
	/*
	 * The storage account (account-key form: AccountName, AccountKey,
	 * optionally BlobEndpoint); a secret.  Inputs and outputs of jobs
	 * and the model blobs of set-model are in it.
	 */
	const char *connection_string;
	const char *api_location; /* retrain: the training endpoint */
	const char *api_key; /* retrain: its key (a secret) */
	const char *container; /* retrain: where the models go */
	const char *prefix; /* retrain: a folder in it, or NULL */
	const char *input_name; /* NULL: "input1" */
	const char *output_name; /* NULL: "output1" */
	const char *resource; /* NULL: from the target, else discovered */
	int create; /* add missing endpoints */
	unsigned concurrency; /* 0: AMLR_FLEET_DEFAULT_CONCURRENCY */
	uint64_t job_timeout_ms; /* per job; 0: none */
	unsigned poll_min_ms; /* 0: 250 */
	unsigned poll_max_ms; /* 0: 5000 */
	unsigned sas_lifetime_s; /* set-model SAS; 0: 24 h 5 min */
	const char *journal; /* the state file, or NULL for none */
} amlr_fleet_opts;

#define AMLR_FLEET_OPTS_INIT                                                   \
	{                                                                      \
		AMLR_FLEET_SET_MODEL, AMLR_CLIENT_OPTS_INIT, NULL, NULL, NULL, \
			NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,  \
			0, 0, 0, 0, 0, 0, NULL                                 \
	}

/* One target (a row of the CSV); the strings are copied. */
typedef struct amlr_fleet_target {
	const char *endpoint; /* the endpoint's name (checked) */
	const char *input; /* retrain: "container/blob" */
	const char *model; /* set-model: "container/blob.ilearner" */
	const char *resource; /* its [trained model] resource, or NULL */
} amlr_fleet_target;

/* Where a target ended. */
typedef enum {
	AMLR_FLEET_DONE = 0, /* patched and verified in this run */
	AMLR_FLEET_DONE_EARLIER = 1, /* the journal says it was done */
	AMLR_FLEET_FAILED = 2,
	AMLR_FLEET_NOT_RUN = 3 /* the run stopped before it (engine error) */
} amlr_fleet_status;

/* A target's result; every string borrowed from the fleet. */
typedef struct amlr_fleet_result {
	const char *endpoint;
	amlr_fleet_status status;
	const char *phase; /* the last phase reached ("done", "polling") */
	amlr_code code; /* AMLR_OK, or why it failed */
	const char *message; /* one line, or NULL */
	const char *job_id; /* retrain, or NULL */
	const char *model; /* the model's URL without SAS, or NULL */
	int resumed; /* it went on from the journal's phase */
} amlr_fleet_result;

/* Counts for a progress line. */
typedef struct amlr_fleet_progress {
	size_t total, done, failed, in_flight, queued;
	uint64_t elapsed_ms;
} amlr_fleet_progress;

/* Called at most every 200 ms while the run goes on, and once at its end. */
typedef void (*amlr_fleet_progress_cb)(const amlr_fleet_progress *progress,
				       void *payload);

/**
 * Make a fleet: check the options (URLs, ids, the connection string has
 * an account key, retrain options) and, when @p opts->journal is set,
 * read the journal (a torn last line is ignored) and open it for
 * appending (created 0600).
 *
 * @param[out] out the fleet
 * @return AMLR_OK; AMLR_EINVAL (missing or bad options, a journal of
 *	another fleet: another mode or web service); AMLR_EIO (the
 *	journal); AMLR_EFAIL.  Details in @p err.
 * Ownership: *out belongs to the caller (amlr_fleet_free()); the strings
 *	of @p opts are copied, the secrets wiped on free.
 */
AMLR_EXTERN amlr_code amlr_fleet_new(amlr_fleet **out, amlr_error *err,
				     const amlr_fleet_opts *opts);

/** Free a fleet, wiping its secrets; accepts NULL. */
AMLR_EXTERN void amlr_fleet_free(amlr_fleet *fleet);

/**
 * Add a target.
 *
 * @return AMLR_OK; AMLR_EINVAL (a bad endpoint name, a duplicate, no
 *	input or model for the mode, a model not ending in .ilearner, a
 *	blob reference without "container/name"); AMLR_EFAIL.  Details in
 *	@p err.
 * Ownership: the strings are copied.
 */
AMLR_EXTERN amlr_code amlr_fleet_add(amlr_fleet *fleet, amlr_error *err,
				     const amlr_fleet_target *target);

/** Install (or with NULL remove) the progress callback. */
AMLR_EXTERN void amlr_fleet_set_progress_cb(amlr_fleet *fleet,
					    amlr_fleet_progress_cb cb,
					    void *payload);

/** Install (or with NULL remove) a trace callback (AMLR_TRACE_INFO). */
AMLR_EXTERN void amlr_fleet_set_trace_cb(amlr_fleet *fleet, amlr_trace_cb cb,
					 void *payload);

/**
 * Run every target to its end (once per fleet: make a new one, which
 * reads the journal again, for another run).  Targets fail one by one
 * (their results say why); the run itself fails only when it cannot go
 * on safely.
 *
 * @return AMLR_OK when every target has a result (some may have failed);
 *	AMLR_EINVAL (no [trained model] resource can be discovered);
 *	the codes of the discovery request; AMLR_EIO (the journal cannot
 *	be written: the run stops at once); AMLR_EFAIL.  Details in @p err.
 * Ownership: nothing kept beyond the results.
 */
AMLR_EXTERN amlr_code amlr_fleet_run(amlr_fleet *fleet, amlr_error *err);

/** The number of targets added. */
AMLR_EXTERN size_t amlr_fleet_count(const amlr_fleet *fleet);

/**
 * The result of target @p i (in the order added), or NULL past the end.
 * Ownership: borrowed from the fleet, valid until it is freed or run.
 */
AMLR_EXTERN const amlr_fleet_result *
amlr_fleet_result_at(const amlr_fleet *fleet, size_t i);

/** "done", "done-earlier", "failed", "not-run"; never NULL. */
AMLR_EXTERN const char *amlr_fleet_status_name(amlr_fleet_status status);

/**
 * Read a journal: the last state of every target it names, in the order
 * they first appear: [{"endpoint", "phase", "jobId", "model",
 * "exitCode", "message", "time", "resumeFrom", "resumeJobId"}] (null
 * when unknown).  resumeFrom is the phase a new run goes on from:
 * "start" when nothing is kept (no record, or the job failed, was
 * cancelled or timed out), else the last phase reached; resumeJobId the
 * job it goes on with.  Lines that are not JSON objects (a torn last
 * write) are skipped.
 *
 * @param[out] out the array
 * @param[out] header_out the journal's first line ({"fleet", "mode",
 *	"workspace", "webservice", ...}) or NULL; may be NULL
 * @return AMLR_OK; AMLR_ENOTFOUND (no such file); AMLR_EIO; AMLR_EFAIL
 * Ownership: *out and *header_out belong to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_fleet_journal_read(amlr_json **out,
					      amlr_json **header_out,
					      amlr_error *err,
					      const char *path);

/**
 * The shard (0 to @p n - 1) of an endpoint: the 32-bit FNV-1a hash of its
 * name modulo @p n, so that the split does not depend on the list's order.
 */
AMLR_EXTERN unsigned amlr_fleet_shard_of(const char *endpoint, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
