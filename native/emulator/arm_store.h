/* SPDX-License-Identifier: MIT */
/* Resource Manager web services and their long-running operations. */
#ifndef EMU_ARM_STORE_H
#define EMU_ARM_STORE_H

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/json.h"
#include "emu.h"
#include "router.h"

/*
 * Microsoft.MachineLearning/webServices as the 2017-01-01 and
 * 2016-05-01-preview specs and the recorded sessions show them
 * (../shared/reference/notes/arm-webservices.md).  Web services and
 * operations live in memory behind one mutex; with a state directory each
 * is also a JSON file under <state>/arm/ (0600: keys and storage keys),
 * written atomically before the answer goes out, and read back at start.
 *
 * Time is evaluated lazily: an operation ends at its start plus
 * --provisioning-delay, and whoever looks after that sees it ended.  An
 * operation still in flight when the emulator stopped (kill -9 included)
 * ends at the next start, with the outcome decided when it began.
 *
 * Every function that answers a request fills a struct emu_arm_result:
 * the status, an optional body, the operation a long-running request
 * started (for the Azure-AsyncOperation and Location headers), or, with
 * a status of 400 and above, the error the route writes in ARM's
 * envelope.
 */
struct emu_arm;

#define EMU_ARM_API_STABLE "2017-01-01"
#define EMU_ARM_API_PREVIEW "2016-05-01-preview"

enum emu_arm_api {
	EMU_ARM_STABLE, /* 2017-01-01 */
	EMU_ARM_PREVIEW /* 2016-05-01-preview */
};

/* One request to the service: who, which version, which resource. */
struct emu_arm_call {
	const struct emu_req *req; /* for fault matching */
	const char *base_url; /* "http://127.0.0.1:PORT" */
	enum emu_arm_api api;
	const char *sub; /* subscription id, as in the URL */
	const char *rg; /* resource group, as in the URL; NULL: none */
	const char *name; /* web service, as in the URL; NULL: none */
};

/* What to answer. */
struct emu_arm_result {
	unsigned int status;
	amlr_buf body; /* JSON text, made under the lock; ptr NULL: none */
	char op_id[EMU_GUID_SIZE]; /* the operation the headers name */
	char op_location[64]; /* its location segment: "southcentralus" */
	int async_header; /* Azure-AsyncOperation (+ PercentComplete) */
	int location_header; /* Location: .../operationresults/{id} */
	/* status >= 400: {"error":{code, message, details:[{...}]}} */
	char code[64];
	char message[512];
	char detail_code[64]; /* "" for no details */
	char detail_message[768];
};

#define EMU_ARM_RESULT_INIT                                    \
	{                                                      \
		0, AMLR_BUF_INIT, "", "", 0, 0, "", "", "", "" \
	}

/**
 * Start the service: with a state directory, create <state>/arm/ and
 * load the web services and operations kept there, ending the operations
 * that were in flight.
 *
 * @param[out] out the service, owned by the caller
 * @param world the configuration (state dir, delay, page size) and the
 *	faults service, borrowed for the service's life
 * @return AMLR_OK; AMLR_EIO when the state cannot be read or written (a
 *	file that does not parse is reported, naming it); AMLR_EFAIL
 * Ownership: *out is the caller's, for emu_arm_free().
 */
amlr_code emu_arm_new(struct emu_arm **out, amlr_error *err,
		      struct emu_world *world);

/** Free the service (the files stay); accepts NULL. */
void emu_arm_free(struct emu_arm *arm);

/** Release what a result holds; the result is EMU_ARM_RESULT_INIT after. */
void emu_arm_result_release(struct emu_arm_result *res);

/*
 * The operations of the spec.  Each returns AMLR_OK with @p res filled
 * (errors included), or AMLR_EFAIL (memory) / AMLR_EIO (the state could
 * not be written; nothing changed) for the route to answer 500.
 * Ownership: @p body is borrowed; res->body is the caller's (release the
 * result).
 */

/** PUT: create (201) or replace (200), starting an operation. */
amlr_code emu_arm_ws_put(struct emu_arm *arm, struct emu_arm_result *res,
			 const struct emu_arm_call *call,
			 const amlr_json *body);

/** GET, optionally the payload of @p region (NULL: the service's own). */
amlr_code emu_arm_ws_get(struct emu_arm *arm, struct emu_arm_result *res,
			 const struct emu_arm_call *call, const char *region);

/** PATCH: merge @p body into the service, starting an operation. */
amlr_code emu_arm_ws_patch(struct emu_arm *arm, struct emu_arm_result *res,
			   const struct emu_arm_call *call,
			   const amlr_json *body);

/** DELETE: 202 with an operation, or 204 when there is no such service. */
amlr_code emu_arm_ws_delete(struct emu_arm *arm, struct emu_arm_result *res,
			    const struct emu_arm_call *call);

/** GET .../listKeys: {"primary","secondary"}. */
amlr_code emu_arm_ws_keys(struct emu_arm *arm, struct emu_arm_result *res,
			  const struct emu_arm_call *call);

/** POST .../CreateRegionalBlob?region=: 202 with an operation. */
amlr_code emu_arm_ws_regional(struct emu_arm *arm, struct emu_arm_result *res,
			      const struct emu_arm_call *call,
			      const char *region);

/**
 * A page of the list of call->sub (and call->rg when set): sparse items
 * in a stable order, and an absolute nextLink while more remain.
 *
 * @param skiptoken the $skiptoken of a previous nextLink, or NULL
 */
amlr_code emu_arm_ws_list(struct emu_arm *arm, struct emu_arm_result *res,
			  const struct emu_arm_call *call,
			  const char *skiptoken);

/**
 * The web service whose execution URLs (BES, RRS) are
 * /subscriptions/{sub}/services/{service_id}: @p sub is the subscription
 * without its dashes, @p service_id the 32 hex digits of swaggerLocation
 * (both case-insensitive).
 *
 * @param[out] props_out a copy of its stored "properties", keys included
 * @return AMLR_OK; AMLR_ENOTFOUND; AMLR_EFAIL
 * Ownership: *props_out is the caller's (amlr_json_free()); it holds keys.
 */
amlr_code emu_arm_ws_by_service(struct emu_arm *arm, amlr_json **props_out,
				const char *sub, const char *service_id);

/** GET .../locations/{location}/operationsStatus/{id}. */
amlr_code emu_arm_op_status(struct emu_arm *arm, struct emu_arm_result *res,
			    const struct emu_arm_call *call,
			    const char *location, const char *id);

/** GET .../locations/{location}/operationresults/{id}: 202, 200/204, error. */
amlr_code emu_arm_op_result(struct emu_arm *arm, struct emu_arm_result *res,
			    const struct emu_arm_call *call,
			    const char *location, const char *id);

#endif
