/* SPDX-License-Identifier: MIT */
/* Batch Execution Service jobs: their state, files and worker threads. */
#ifndef EMU_BES_STORE_H
#define EMU_BES_STORE_H

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/json.h"
#include "emu.h"
#include "learn.h"
#include "router.h"

/*
 * BES 2.0 jobs of Resource Manager web services and of classic endpoints
 * (../shared/reference/notes/classic-bes-rrs.md §1).  A job is submitted
 * (NotStarted), started (Running: queued for a worker thread), then
 * Finished, Failed or Cancelled.  Blob references are resolved when the
 * job is submitted, so that a job file keeps only account, container and
 * blob names, never a key or a SAS: in the emulator's own storage
 * accounts, by connection string (its account key) or by BaseLocation and
 * a SAS; or in any other account (bes_external.h), whose key or SAS the
 * job keeps in memory only.
 *
 * A running job reads its input blobs from the blob store (or the other
 * account), runs the web service's graph as it is when the job runs
 * (graph.h) and writes every output blob through the blob store (or the
 * other account), which commits each whole or not at all.  Jobs live in
 * memory behind one lock and, with a state directory, as
 * <state>/bes/<job id>.json, replaced atomically at every change; a job
 * found Running at start (the emulator stopped during it, kill -9
 * included) is Failed, as is one NotStarted with blobs in another account
 * (its credentials are gone).
 */
struct emu_bes;

/* What to answer: a status and a body, or an error for the envelope. */
struct emu_bes_result {
	unsigned int status;
	amlr_buf body; /* JSON; ptr NULL: none */
	/* status >= 400: {"error":{code, message, details:[{code, target,
	 * message}]}} */
	char code[64];
	char detail_code[64];
	char target[128];
	char message[512];
};

#define EMU_BES_RESULT_INIT                      \
	{                                        \
		0, AMLR_BUF_INIT, "", "", "", "" \
	}

/* The two kinds of execution URLs, {base}/.../services/{target}. */
enum emu_bes_kind {
	EMU_BES_ARM, /* /subscriptions/{sub without dashes}/services/{id} */
	EMU_BES_CLASSIC /* /workspaces/{workspace}/services/{endpoint guid} */
};

/* The web service a request is for, found and authenticated by the route. */
struct emu_bes_call {
	const char *base_url; /* "http://127.0.0.1:PORT", for BaseLocation */
	enum emu_bes_kind kind;
	const char *scope; /* the subscription without dashes, or workspace */
	const char *target; /* the service's or endpoint's 32 hex digits */
	const amlr_json *props; /* its definition's properties (borrowed) */
};

/**
 * The one lookup of what an execution URL runs: a Resource Manager web
 * service (arm_store.h, emu_arm_ws_by_service()) or a classic endpoint
 * (classic_store.h, emu_classic_exec_props()), as a definition's
 * "properties": the graph, its [trained model] assets naming the model
 * used now (--swap-delay), "keys" {primary, secondary} and
 * realtimeConfiguration.maxConcurrentCalls.
 *
 * @return AMLR_OK; AMLR_ENOTFOUND; AMLR_EFAIL
 * Ownership: *props_out is the caller's; it holds keys.
 */
amlr_code emu_bes_props(amlr_json **props_out, struct emu_world *world,
			enum emu_bes_kind kind, const char *scope,
			const char *target);

/**
 * Take one of the @p max concurrent RRS calls of an endpoint (or web
 * service): 1 taken, 0 all in use (answer 503 RequestThrottled).
 * Give it back with emu_bes_slot_put().  Thread-safe.
 */
int emu_bes_slot_take(struct emu_bes *bes, enum emu_bes_kind kind,
		      const char *scope, const char *target, long max);

/** Give back a call slot taken by emu_bes_slot_take(). */
void emu_bes_slot_put(struct emu_bes *bes, enum emu_bes_kind kind,
		      const char *scope, const char *target);

/**
 * Resolve an AzureBlobDataReference @p ref (connection string or
 * BaseLocation + SAS, as a job's inputs and outputs) named @p name into
 * *out = {"account","container","blob"}, checking the key or the SAS for
 * reading (@p write 0) or writing: the emulator's own accounts only;
 * jobs and emu_bes_resolve_external() also take other accounts' blobs.
 *
 * @return 1 resolved; 0 refused (@p res: 400 BadArgument with the
 *	detail code); -1 without memory
 * Ownership: *out is the caller's.
 */
int emu_bes_resolve(amlr_json **out, struct emu_bes_result *res,
		    struct emu_bes *bes, const char *base_url, const char *name,
		    const amlr_json *ref, int write);

/**
 * As emu_bes_resolve(), a blob of another storage account too (a classic
 * PATCH's model; bes_external.h): then *out is the external record and
 * *secret_out its credential (the account key of a ConnectionString, or
 * the SAS token without '?'); NULL for the emulator's own accounts.
 *
 * @return 1 resolved; 0 refused (@p res); -1 without memory
 * Ownership: *out and *secret_out (a secret: amlr_secret_free()) are the
 *	caller's.
 */
int emu_bes_resolve_external(amlr_json **out, char **secret_out,
			     struct emu_bes_result *res, struct emu_bes *bes,
			     const char *base_url, const char *name,
			     const amlr_json *ref, int write);

/**
 * A blob {"account","container","blob"} as a client reads it: BaseLocation
 * ({base_url}/ACCOUNT/), RelativeLocation (CONTAINER/BLOB) and a fresh
 * read-only SasBlobToken, plus "ConnectionString": null when @p connstr.
 *
 * @return AMLR_OK; AMLR_EFAIL (memory, or not an account of the seed)
 * Ownership: *out is the caller's; it holds a SAS.
 */
amlr_code emu_bes_blob_ref(amlr_json **out, struct emu_bes *bes,
			   const char *base_url, const amlr_json *loc,
			   int connstr);

/**
 * Append @p s percent-encoded for a URL path: everything but unreserved
 * characters and '/'.
 *
 * @return AMLR_OK or AMLR_EFAIL
 */
amlr_code emu_bes_url_path(amlr_buf *out, const char *s);

/*
 * The error envelope of BES, RRS and the classic management API
 * (notes §1.7, §3.1), `{"error":{"code","message","details":[{"code",
 * "target","message"}]}}`, in route_bes.c: shared by the routes.
 */
amlr_code emu_bes_send_error(struct emu_resp *resp, unsigned status,
			     const char *code, const char *detail,
			     const char *target, const char *message);

/** Answer @p res: its body, or its error in the envelope. */
amlr_code emu_bes_answer(struct emu_resp *resp, struct emu_bes_result *res);

/**
 * Start the service: load the jobs under <state>/bes/ (failing those that
 * were running) and start the worker threads.
 *
 * @return AMLR_OK; AMLR_EIO (the state directory); AMLR_EFAIL
 * Ownership: *out is the caller's, for emu_bes_free(); @p world is
 *	borrowed for the service's life (its arm and blob services are used
 *	by the workers).
 */
amlr_code emu_bes_new(struct emu_bes **out, amlr_error *err,
		      struct emu_world *world);

/** Stop the workers (a running job ends first) and free; accepts NULL. */
void emu_bes_free(struct emu_bes *bes);

/** Release what a result holds; it is EMU_BES_RESULT_INIT after. */
void emu_bes_result_release(struct emu_bes_result *res);

/*
 * The operations.  Each returns AMLR_OK with @p res filled (errors
 * included) or AMLR_EFAIL / AMLR_EIO for the route to answer 500.
 */

/** POST .../jobs: 200 with the job id as a JSON string. */
amlr_code emu_bes_submit(struct emu_bes *bes, struct emu_bes_result *res,
			 const struct emu_bes_call *call,
			 const amlr_json *body);

/** POST .../jobs/{id}/start: 204, or 400 CannotStartJob. */
amlr_code emu_bes_start(struct emu_bes *bes, struct emu_bes_result *res,
			const struct emu_bes_call *call, const char *id);

/** GET .../jobs/{id}: 200 with StatusCode, Results (fresh SAS), Details. */
amlr_code emu_bes_status(struct emu_bes *bes, struct emu_bes_result *res,
			 const struct emu_bes_call *call, const char *id);

/** DELETE .../jobs/{id}: 204 (a job not yet ended is Cancelled). */
amlr_code emu_bes_cancel(struct emu_bes *bes, struct emu_bes_result *res,
			 const struct emu_bes_call *call, const char *id);

/**
 * Where a blob URL (a model's locationInfo.uri) is in the emulator's own
 * storage: "{base_url}/ACCOUNT/CONTAINER/BLOB", path-style on any
 * loopback host and port (the URL of an earlier start), or
 * "https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB"; the query
 * ignored, names percent-decoded.
 *
 * @return AMLR_OK; AMLR_EINVAL (another host, no blob name); AMLR_EFAIL
 * Ownership: the three strings are the caller's (free()).
 */
amlr_code emu_bes_blob_of_url(char **account, char **container, char **blob,
			      const char *base_url, const char *url);

/**
 * Make the seed's models and Resource Manager web services (seed.h),
 * each unless an earlier start made it (with a state directory): train
 * each model on its CSV into its blob, then create each web service from
 * its definition file in its resource group.
 *
 * @return AMLR_OK; AMLR_EIO (a file not readable, not JSON, a definition
 *	refused); AMLR_EFAIL
 */
amlr_code emu_bes_seed(struct emu_bes *bes, amlr_error *err);

/**
 * Append the exports of the seeded Resource Manager web services: for
 * the first of role "training", AMLR_TRAINING_API_LOCATION (its
 * execution URL, to which .../jobs is added) and AMLR_TRAINING_API_KEY
 * (its primary key); for the first "predictive", AMLR_PREDICTIVE_NAME;
 * and AMLR_DATA_DIR, the seed's dataDirectory (the census samples).
 *
 * @return AMLR_OK or AMLR_EFAIL
 */
amlr_code emu_bes_env(amlr_buf *out, struct emu_bes *bes, const char *url);

/**
 * Lend the model at @p uri (a blob of the emulator's storage, as
 * emu_bes_blob_of_url() reads it).  Models are cached by URI and ETag:
 * the blob's properties are read at every call and the model parsed
 * again only when its ETag changed, so a model swapped in is used at
 * once.  Lent models are shared between threads, read only.
 *
 * A URI that is not a blob of one of the emulator's accounts but has a
 * query is a blob of another storage account with its SAS (issue #6;
 * bes_external.h): the SAS must grant reading and be valid now; the blob
 * is read with libamlr (3 tries, 20 s at most, EXTERNAL_MODEL_MAX bytes)
 * and cached by URI and ETag too, but its ETag is asked again (one HEAD)
 * at most every 5 s: a model swapped in (a new URI) is used at once, a
 * blob overwritten in place within 5 s.
 *
 * @param err EMU_GRAPH_ERR_SIZE bytes (graph.h) for the reason; never
 *	the SAS
 * @return AMLR_OK; AMLR_EINVAL (not such a blob, absent, not a model,
 *	another account unreachable or refusing); AMLR_EFAIL; AMLR_EIO
 * Ownership: *out is lent until emu_bes_model_put(@p bes, *handle).
 */
amlr_code emu_bes_model_get(const learn_model **out, void **handle, char *err,
			    struct emu_bes *bes, const char *base_url,
			    const char *uri);

/**
 * Whether model URI @p uri is a blob of another storage account, read
 * with the SAS in its query: it has one and its origin is not the
 * emulator's (emu_bes_ext_is_own()).  An Azurite URL is external even
 * though its account has the name of one of the emulator's.
 *
 * @return 1 external, 0 the emulator's
 */
int emu_bes_model_is_external(struct emu_bes *bes, const char *base_url,
			      const char *uri);

/** Give back a model lent by emu_bes_model_get(). */
void emu_bes_model_put(struct emu_bes *bes, void *handle);

#endif
