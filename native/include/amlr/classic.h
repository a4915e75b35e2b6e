/* SPDX-License-Identifier: MIT */
/* Classic (Studio) web services and their endpoints: the management API. */
#ifndef AMLR_CLASSIC_H
#define AMLR_CLASSIC_H

#include "common.h"

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "http.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A session with the classic management API of one workspace
 * (notes/classic-bes-rrs.md §3): `M/workspaces/{ws}/webservices[/{id}
 * [/endpoints[/{name}[/refresh]]]]`, no api-version, every request with
 * `Authorization: Bearer <workspace token or endpoint key>`.  It borrows a
 * client (whose error record holds the details of a failure) and keeps a
 * copy of the token, wiped on free.
 */
typedef struct amlr_classic amlr_classic;

/* The location azuremlps assumes: every free workspace is there. */
#define AMLR_CLASSIC_DEFAULT_LOCATION "South Central US"

typedef struct amlr_classic_opts {
	/* Management base URL (e.g. https://management.azureml.net); NULL:
	 * derived from location. */
	const char *endpoint;
	/* azuremlps Location name; NULL: AMLR_CLASSIC_DEFAULT_LOCATION */
	const char *location;
	const char *workspace_id; /* required */
	const char *token; /* workspace token or endpoint key: a secret */
} amlr_classic_opts;

#define AMLR_CLASSIC_OPTS_INIT         \
	{                              \
		NULL, NULL, NULL, NULL \
	}

/* The settings of a new endpoint (PUT body). */
typedef struct amlr_classic_endpoint_settings {
	const char *description; /* NULL: JSON null */
	const char *throttle_level; /* "Low" or "High"; NULL: JSON null */
	int max_concurrent_calls; /* 1-200; 0: JSON null */
	int prevent_update; /* PreventUpdate: 1 true, 0 false (as azuremlps) */
} amlr_classic_endpoint_settings;

#define AMLR_CLASSIC_ENDPOINT_SETTINGS_INIT \
	{                                   \
		NULL, NULL, 0, 0            \
	}

/* One resource of a PATCH: where its new trained model is. */
typedef struct amlr_classic_resource {
	const char *name; /* "Census Model [trained model]" */
	const char *base_location; /* "https://acct.blob.core.windows.net/" */
	const char *relative_location; /* "container/x.ilearner" */
	const char *sas_blob_token; /* "?sv=...": a secret; NULL: JSON null */
} amlr_classic_resource;

/**
 * The management base URL of an azuremlps Location name (case and
 * blanks ignored): "South Central US" → https://management.azureml.net,
 * "West Europe" → https://europewest.management.azureml.net, "Southeast
 * Asia", "Japan East", "West Central US", "Germany Central" (.de),
 * "Integration Test" (azureml-int.net).
 *
 * @param[out] out the URL, without a trailing slash
 * @return AMLR_OK; AMLR_EINVAL for a location azuremlps does not know
 *	("unsupported location"); AMLR_EFAIL
 * Ownership: *out belongs to the caller (free()).
 */
AMLR_EXTERN amlr_code amlr_classic_location_url(char **out, amlr_error *err,
						const char *location);

/**
 * Check an endpoint name against the service's rule: 1-24 characters of
 * a-z, 0-9 and '-', neither first nor last a '-'
 * (`^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$`).
 *
 * @return AMLR_OK or AMLR_EINVAL with a message naming the rule
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_classic_check_endpoint_name(amlr_error *err,
						       const char *name);

/**
 * Start a session.
 *
 * @param[out] out the session, owned by the caller
 * @param client the HTTP client, borrowed: it must outlive the session
 * @return AMLR_OK; AMLR_EINVAL (no workspace id or token, a bad endpoint
 *	URL, an unsupported location); AMLR_EFAIL.  Details on the client.
 * Ownership: *out belongs to the caller (amlr_classic_free()); the
 *	strings of @p opts are copied.
 */
AMLR_EXTERN amlr_code amlr_classic_new(amlr_classic **out, amlr_client *client,
				       const amlr_classic_opts *opts);

/** Free a session, wiping its token; accepts NULL. */
AMLR_EXTERN void amlr_classic_free(amlr_classic *classic);

/** The management base URL in use (no trailing slash).  Borrowed. */
AMLR_EXTERN const char *amlr_classic_endpoint(const amlr_classic *classic);

/**
 * The web services of the workspace (GET .../webservices).
 *
 * @param[out] out an array; empty when the service answers 204
 * @return AMLR_OK, the codes of amlr_http_send() (AMLR_EAUTH,
 *	AMLR_ENOTFOUND, ...), AMLR_ESERVER for a reply that is not a JSON
 *	array
 * Ownership: *out belongs to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_classic_webservice_list(amlr_json **out,
						   amlr_classic *classic);

/**
 * One web service (GET .../webservices/{id}).
 *
 * @return AMLR_OK, AMLR_EINVAL (no id), the codes of amlr_http_send(),
 *	AMLR_ESERVER
 * Ownership: *out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_classic_webservice_get(amlr_json **out,
						  amlr_classic *classic,
						  const char *webservice_id);

/**
 * The endpoints of a web service (GET .../endpoints).
 *
 * @param[out] out an array; empty when the service answers 204
 * @return as amlr_classic_webservice_get()
 * Ownership: *out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_classic_endpoint_list(amlr_json **out,
						 amlr_classic *classic,
						 const char *webservice_id);

/**
 * One endpoint (GET .../endpoints/{name}).  The name is checked before
 * anything is sent.
 *
 * @return AMLR_OK; AMLR_EINVAL (bad name); AMLR_ENOTFOUND (404, or 204
 *	with no endpoint); the codes of amlr_http_send(); AMLR_ESERVER
 * Ownership: *out belongs to the caller.  It holds the endpoint's keys
 *	and resource SASs: secrets.
 */
AMLR_EXTERN amlr_code amlr_classic_endpoint_get(amlr_json **out,
						amlr_classic *classic,
						const char *webservice_id,
						const char *name);

/**
 * Add an endpoint, or set the settings of an existing one (PUT
 * .../endpoints/{name} with {"Description","ThrottleLevel",
 * "MaxConcurrentCalls"}; retried like any idempotent request).
 *
 * @param[out] out the reply's Endpoint JSON, or NULL when the reply has no
 *	JSON body; @p out may be NULL
 * @param settings NULL for all nulls
 * @return AMLR_OK; AMLR_EINVAL (bad name, MaxConcurrentCalls outside
 *	0-200); the codes of amlr_http_send()
 * Ownership: *out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_classic_endpoint_add(
	amlr_json **out, amlr_classic *classic, const char *webservice_id,
	const char *name, const amlr_classic_endpoint_settings *settings);

/**
 * The body of a resource PATCH: {"Resources":[{"Name","Location":
 * {"BaseLocation","RelativeLocation","SasBlobToken"}}]}, appended to
 * @p out.  It holds the SAS tokens: release it with
 * amlr_buf_release_secret().
 *
 * @return AMLR_OK; AMLR_EINVAL (no resource, a resource without a name
 *	or locations); AMLR_EFAIL
 * Ownership: appended to the caller's buffer; nothing kept.
 */
AMLR_EXTERN amlr_code amlr_classic_patch_body(amlr_buf *out, amlr_error *err,
					      const amlr_classic_resource *res,
					      size_t n);

/**
 * Point resources of an endpoint at new trained models (PATCH
 * .../endpoints/{name}); any 2xx is success.
 *
 * @return AMLR_OK; AMLR_EINVAL (bad name, bad resources); the codes of
 *	amlr_http_send()
 * Ownership: nothing kept; the SASs are wiped from the request body.
 */
AMLR_EXTERN amlr_code amlr_classic_endpoint_patch(
	amlr_classic *classic, const char *webservice_id, const char *name,
	const amlr_classic_resource *res, size_t n);

/**
 * Delete an endpoint (DELETE .../endpoints/{name}).
 *
 * @return AMLR_OK; AMLR_EINVAL (bad name); the codes of amlr_http_send()
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_classic_endpoint_delete(amlr_classic *classic,
						   const char *webservice_id,
						   const char *name);

/**
 * Refresh an endpoint from its web service's default endpoint (POST
 * .../endpoints/{name}/refresh with {"OverwriteResources": bool}); sent
 * once, never retried (a repeat would answer 304 and hide the refresh).
 *
 * @param[out] refreshed 1 when the service refreshed it, 0 when it
 *	answered 304 (nothing changed); may be NULL
 * @return AMLR_OK; AMLR_EINVAL (bad name); the codes of amlr_http_send()
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_classic_endpoint_refresh(int *refreshed,
						    amlr_classic *classic,
						    const char *webservice_id,
						    const char *name,
						    int overwrite_resources);

#ifdef __cplusplus
}
#endif

#endif
