/* SPDX-License-Identifier: MIT */
/* Classic Studio web services and endpoints: the management API's state. */
#ifndef EMU_CLASSIC_STORE_H
#define EMU_CLASSIC_STORE_H

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/json.h"
#include "bes_store.h"
#include "emu.h"

/*
 * The classic web-service management API
 * (../shared/reference/notes/classic-bes-rrs.md §3).  Workspaces (id,
 * authorization token, Free or Standard) come from the seed; so do their
 * web services, made at start from a definition file (a Resource Manager
 * definition's "properties": the graph graph.h runs) unless an earlier
 * start made them, and republished when the file changed.  A web service
 * has endpoints, the first one "default", each with its own 32-hex guid
 * (its ApiLocation, {base}/workspaces/{ws}/services/{guid}, is where BES
 * and RRS run it), keys, throttling and [trained model] resources:
 *
 *  - the default endpoint runs the web service's definition as it is;
 *  - another endpoint runs the definition it was created or refreshed
 *    with, each [trained model] Resource asset reading the blob its
 *    resource names (PATCH), after --swap-delay.
 *
 * A web service's state is its own JSON file, <state>/classic/<id>.json,
 * and one file per endpoint, <state>/classic/<id>/endpoints/<name>.json
 * (all 0600: keys), each replaced atomically before an answer goes out
 * and read back at start: a write changes one endpoint, whatever their
 * number.  Endpoints share their definition graph (reference-counted,
 * never changed in place); an endpoint file holds "webservice" for the
 * web service's own.  A <id>.json of the earlier layout (the endpoints
 * inside) is converted at start.  Every function is thread-safe (one
 * lock).
 */
struct emu_classic;

/* A management request, as the route parsed it. */
struct emu_classic_call {
	const char *base_url; /* "http://127.0.0.1:PORT": ApiLocation, ... */
	const char *ws; /* {ws} of the URL */
	const char *svc; /* {wsid}; NULL for the list of web services */
	const char *ep; /* {name}; NULL for the web service's own routes */
	const char *bearer; /* the Authorization: Bearer value, or NULL */
};

/**
 * Load <state>/classic/ and create the seed's classic web services that
 * are missing, each with its default endpoint.
 *
 * @return AMLR_OK; AMLR_EIO (the state directory, a definition file);
 *	AMLR_EFAIL
 * Ownership: *out is the caller's, for emu_classic_free(); @p world is
 *	borrowed for the service's life.
 */
amlr_code emu_classic_new(struct emu_classic **out, amlr_error *err,
			  struct emu_world *world);

/** Free the service (the files stay); accepts NULL. */
void emu_classic_free(struct emu_classic *c);

/**
 * Append the exports: AMLR_MANAGEMENT_ENDPOINT (@p url); for the seed's
 * first workspace AMLR_WORKSPACE_ID and AMLR_WORKSPACE_TOKEN; for its
 * first classic web services of role "training" and "predictive"
 * AMLR_TRAINING_WEBSERVICE_ID and AMLR_PREDICTIVE_WEBSERVICE_ID, and the
 * training service's default endpoint's AMLR_TRAINING_ENDPOINT_API_LOCATION
 * and AMLR_TRAINING_ENDPOINT_API_KEY.
 *
 * @return AMLR_OK or AMLR_EFAIL
 */
amlr_code emu_classic_env(amlr_buf *out, struct emu_classic *c,
			  const char *url);

/*
 * The operations (§3.1).  Each authenticates (the workspace token, or for
 * the endpoint's own GET, PATCH and refresh its primary or secondary
 * key), then returns AMLR_OK with @p res filled (errors included:
 * 401 Unauthorized/ManagementRequestUnauthorized, 404 NotFound/
 * WorkspaceNotFound|WebServiceNotFound|EndpointNotFound, 400 BadArgument
 * with a specific detail code), or AMLR_EFAIL / AMLR_EIO for a 500.
 * Ownership: @p body is borrowed; release @p res.
 */

/** GET /workspaces/{ws}/webservices: 200 WebService[], 204 when none. */
amlr_code emu_classic_list_services(struct emu_classic *c,
				    struct emu_bes_result *res,
				    const struct emu_classic_call *call);

/** GET /workspaces/{ws}/webservices/{wsid}: 200 WebService. */
amlr_code emu_classic_get_service(struct emu_classic *c,
				  struct emu_bes_result *res,
				  const struct emu_classic_call *call);

/** GET .../endpoints: 200 Endpoint[], 204 when none. */
amlr_code emu_classic_list_endpoints(struct emu_classic *c,
				     struct emu_bes_result *res,
				     const struct emu_classic_call *call);

/** GET .../endpoints/{name}: 200 Endpoint. */
amlr_code emu_classic_get_endpoint(struct emu_classic *c,
				   struct emu_bes_result *res,
				   const struct emu_classic_call *call);

/** PUT .../endpoints/{name}: create or update; 200 Endpoint. */
amlr_code emu_classic_put_endpoint(struct emu_classic *c,
				   struct emu_bes_result *res,
				   const struct emu_classic_call *call,
				   const amlr_json *body);

/** PATCH .../endpoints/{name}: resources and settings; 200, no body. */
amlr_code emu_classic_patch_endpoint(struct emu_classic *c,
				     struct emu_bes_result *res,
				     const struct emu_classic_call *call,
				     const amlr_json *body);

/** DELETE .../endpoints/{name}: 204. */
amlr_code emu_classic_delete_endpoint(struct emu_classic *c,
				      struct emu_bes_result *res,
				      const struct emu_classic_call *call);

/** POST .../endpoints/{name}/refresh: 200, or 304 when nothing changed. */
amlr_code emu_classic_refresh_endpoint(struct emu_classic *c,
				       struct emu_bes_result *res,
				       const struct emu_classic_call *call,
				       const amlr_json *body);

/**
 * What endpoint @p guid of workspace @p ws runs, for emu_bes_props(): its
 * graph with each [trained model] asset on the model used now, "keys"
 * and realtimeConfiguration.maxConcurrentCalls.
 *
 * @return AMLR_OK; AMLR_ENOTFOUND; AMLR_EFAIL
 * Ownership: *props_out is the caller's; it holds keys.
 */
amlr_code emu_classic_exec_props(struct emu_classic *c, amlr_json **props_out,
				 const char *ws, const char *guid);

#endif
