/* SPDX-License-Identifier: MIT */
/* Resource Manager routes: ML webServices and the subscriptions list. */
#include <string.h>
#include <strings.h>

#include "amlr/json.h"
#include "arm_store.h"
#include "auth.h"
#include "emu.h"
#include "router.h"
#include "seed.h"

#define PROVIDER "/providers/Microsoft.MachineLearning"
#define RG_PATH "/subscriptions/{sub}/resourceGroups/{rg}" PROVIDER
#define WS_PATH RG_PATH "/webServices/{name}"
#define JSON_TYPE "application/json; charset=utf-8"

enum action {
	OPERATIONS,
	LIST_SUB,
	LIST_RG,
	WS_PUT,
	WS_GET,
	WS_PATCH,
	WS_DELETE,
	WS_KEYS,
	WS_REGIONAL,
	OP_STATUS,
	OP_RESULT
};

/* Actions only 2017-01-01 has (notes §2.1). */
#define STABLE_ONLY(a) ((a) == OPERATIONS || (a) == WS_REGIONAL)

/*
 * GET /providers/Microsoft.MachineLearning/operations: one page, the
 * actions of this provider as RBAC names them.  The display texts are
 * [inferred]: no recording shows the real list.
 */
static const char operations_json[] =
	"{\"value\":["
	"{\"name\":\"Microsoft.MachineLearning/webServices/read\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Machine Learning Web Service\","
	"\"operation\":\"Read any Machine Learning Web Service\","
	"\"description\":\"Reads any Machine Learning Web Service.\"}},"
	"{\"name\":\"Microsoft.MachineLearning/webServices/write\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Machine Learning Web Service\","
	"\"operation\":\"Create or Update any Machine Learning Web Service\","
	"\"description\":\"Creates or updates any Machine Learning Web "
	"Service.\"}},"
	"{\"name\":\"Microsoft.MachineLearning/webServices/delete\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Machine Learning Web Service\","
	"\"operation\":\"Delete any Machine Learning Web Service\","
	"\"description\":\"Deletes any Machine Learning Web Service.\"}},"
	"{\"name\":\"Microsoft.MachineLearning/webServices/listkeys/read\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Machine Learning Web Service\","
	"\"operation\":\"List keys of any Machine Learning Web Service\","
	"\"description\":\"Lists the keys of any Machine Learning Web "
	"Service.\"}},"
	"{\"name\":\"Microsoft.MachineLearning/webServices/"
	"CreateRegionalBlob/action\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Machine Learning Web Service\","
	"\"operation\":\"Create regional properties of any Machine Learning "
	"Web Service\","
	"\"description\":\"Creates the regional properties of any Machine "
	"Learning Web Service.\"}},"
	"{\"name\":\"Microsoft.MachineLearning/locations/operationsstatus/"
	"read\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Operation Status\","
	"\"operation\":\"Read any Operation Status\","
	"\"description\":\"Reads the status of any long-running "
	"operation.\"}},"
	"{\"name\":\"Microsoft.MachineLearning/operations/read\","
	"\"display\":{\"provider\":\"Microsoft Machine Learning\","
	"\"resource\":\"Operation\","
	"\"operation\":\"Read any Operation\","
	"\"description\":\"Lists the operations of the Machine Learning "
	"resource provider.\"}}"
	"]}";

/* Append @p s percent-encoded as a path segment. */
static amlr_code put_segment(amlr_buf *out, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	amlr_code rc = AMLR_OK;

	for (; *s && rc == AMLR_OK; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			rc = amlr_buf_put(out, s, 1);
		else
			rc = amlr_buf_printf(out, "%%%c%c", digits[c >> 4],
					     digits[c & 15]);
	}
	return rc;
}

/* The api-version string of @p call. */
static const char *api_string(const struct emu_arm_call *call)
{
	return call->api == EMU_ARM_STABLE ? EMU_ARM_API_STABLE
					   : EMU_ARM_API_PREVIEW;
}

/*
 * Admit the request as ARM's front door does: a valid token with access
 * to the subscription (auth.h), a supported api-version, an existing
 * resource group.  Returns 1, or 0 with the refusal in @p resp.
 */
static int admit(struct emu_resp *resp, struct emu_arm_call *call,
		 const struct emu_req *req, enum action a)
{
	const struct emu_seed *seed = req->ctx->world->seed;
	const struct emu_seed_subscription *sub = NULL;
	const char *v;

	memset(call, 0, sizeof(*call));
	call->req = req;
	call->base_url = req->ctx->base_url;
	call->sub = emu_req_param(req, "sub");
	call->rg = emu_req_param(req, "rg");
	call->name = emu_req_param(req, "name");
	if (!emu_auth_arm(NULL, req, resp, call->sub))
		return 0;
	v = emu_req_query(req, "api-version");
	if (!v || !*v) {
		(void)emu_resp_arm_error(
			resp, 400, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is "
			"required for all requests.");
		return 0;
	}
	if (strcasecmp(v, EMU_ARM_API_STABLE) == 0) {
		call->api = EMU_ARM_STABLE;
	} else if (!STABLE_ONLY(a) && strcasecmp(v, EMU_ARM_API_PREVIEW) == 0) {
		call->api = EMU_ARM_PREVIEW;
	} else {
		(void)emu_resp_arm_error(
			resp, 400, "InvalidApiVersionParameter",
			"The api-version '%s' is invalid. The supported "
			"versions are '%s'.",
			v,
			STABLE_ONLY(a) ? EMU_ARM_API_STABLE
				       : EMU_ARM_API_STABLE
				"," EMU_ARM_API_PREVIEW);
		return 0;
	}
	if (call->rg) {
		if (seed && call->sub)
			sub = emu_seed_subscription(seed, call->sub);
		if (!sub || !emu_seed_group(sub, call->rg)) {
			(void)emu_resp_arm_error(
				resp, 404, "ResourceGroupNotFound",
				"Resource group '%s' could not be found.",
				call->rg);
			return 0;
		}
	}
	return 1;
}

/* The service's error: {"error":{code, message, details:[{...}]}}. */
static amlr_code arm_error(struct emu_resp *resp,
			   const struct emu_arm_result *res)
{
	amlr_json *env = NULL, *error = NULL, *details = NULL, *d = NULL;
	amlr_code rc;

	if (!res->detail_code[0])
		return emu_resp_arm_error(resp, res->status, res->code, "%s",
					  res->message);
	if ((rc = amlr_json_new_object(&env)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&error)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&details)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&d)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(d, "code", res->detail_code)) != AMLR_OK ||
	    (rc = amlr_json_set_str(d, "message", res->detail_message)) !=
		    AMLR_OK)
		goto done;
	rc = amlr_json_append(details, d); /* steals */
	d = NULL;
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_str(error, "code", res->code)) != AMLR_OK ||
	    (rc = amlr_json_set_str(error, "message", res->message)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(error, "details", details); /* steals */
	details = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = amlr_json_set(env, "error", error); /* steals */
	error = NULL;
	if (rc == AMLR_OK)
		rc = emu_resp_json(resp, res->status, env);
done:
	amlr_json_free(d);
	amlr_json_free(details);
	amlr_json_free(error);
	amlr_json_free(env);
	return rc;
}

/*
 * The operation's URLs, as the recordings show them:
 * Azure-AsyncOperation .../locations/{loc}/operationsStatus/{id} (with
 * Azure-AsyncOperationPercentComplete) and, on DELETE, Location
 * .../locations/{loc}/operationresults/{id}.
 */
static amlr_code op_headers(struct emu_resp *resp,
			    const struct emu_arm_call *call,
			    const struct emu_arm_result *res)
{
	amlr_buf url = AMLR_BUF_INIT;
	size_t base;
	amlr_code rc;

	if ((rc = amlr_buf_printf(&url, "%s/subscriptions/", call->base_url)) !=
		    AMLR_OK ||
	    (rc = put_segment(&url, call->sub)) != AMLR_OK ||
	    (rc = amlr_buf_printf(&url, PROVIDER "/locations/")) != AMLR_OK ||
	    (rc = put_segment(&url, res->op_location)) != AMLR_OK)
		goto done;
	base = url.len;
	if (res->async_header &&
	    ((rc = amlr_buf_printf(&url, "/operationsStatus/%s?api-version=%s",
				   res->op_id, api_string(call))) != AMLR_OK ||
	     (rc = emu_resp_set_header(resp, "Azure-AsyncOperation",
				       url.ptr)) != AMLR_OK ||
	     (rc = emu_resp_set_header(resp,
				       "Azure-AsyncOperationPercentComplete",
				       "0")) != AMLR_OK))
		goto done;
	url.len = base;
	url.ptr[base] = '\0';
	if (res->location_header &&
	    ((rc = amlr_buf_printf(&url, "/operationresults/%s?api-version=%s",
				   res->op_id, api_string(call))) != AMLR_OK ||
	     (rc = emu_resp_set_header(resp, "Location", url.ptr)) != AMLR_OK))
		goto done;
done:
	amlr_buf_release(&url);
	return rc;
}

static amlr_code respond(struct emu_resp *resp, const struct emu_arm_call *call,
			 const struct emu_arm_result *res)
{
	amlr_code rc;

	if (res->status >= 400)
		return arm_error(resp, res);
	if (res->body.ptr)
		rc = emu_resp_body(resp, res->status, JSON_TYPE, res->body.ptr,
				   res->body.len);
	else
		rc = emu_resp_body(resp, res->status, NULL, "", 0);
	if (rc == AMLR_OK)
		rc = op_headers(resp, call, res);
	return rc;
}

/*
 * x-ms-client-request-id comes back only when the client asks with
 * x-ms-return-client-request-id: true (auth-storage.md §2; the recorded
 * responses, whose requests did not ask, have none).
 */
static amlr_code echo_client_id(struct emu_resp *resp,
				const struct emu_req *req)
{
	const char *ask = emu_req_header(req, "x-ms-return-client-request-id");
	const char *id = emu_req_header(req, "x-ms-client-request-id");

	if (!ask || strcasecmp(ask, "true") != 0 || !id)
		return AMLR_OK;
	/* A value with CR or LF is not echoed (EINVAL): not an error. */
	return emu_resp_set_header(resp, "x-ms-client-request-id", id) ==
			       AMLR_EFAIL
		       ? AMLR_EFAIL
		       : AMLR_OK;
}

static amlr_code run(struct emu_arm *arm, struct emu_arm_result *res,
		     const struct emu_arm_call *call, const struct emu_req *req,
		     enum action a, const amlr_json *body)
{
	switch (a) {
	case LIST_SUB:
	case LIST_RG:
		return emu_arm_ws_list(arm, res, call,
				       emu_req_query(req, "$skiptoken"));
	case WS_PUT:
		return emu_arm_ws_put(arm, res, call, body);
	case WS_GET:
		return emu_arm_ws_get(arm, res, call,
				      emu_req_query(req, "region"));
	case WS_PATCH:
		return emu_arm_ws_patch(arm, res, call, body);
	case WS_DELETE:
		return emu_arm_ws_delete(arm, res, call);
	case WS_KEYS:
		return emu_arm_ws_keys(arm, res, call);
	case WS_REGIONAL:
		return emu_arm_ws_regional(arm, res, call,
					   emu_req_query(req, "region"));
	case OP_STATUS:
		return emu_arm_op_status(arm, res, call,
					 emu_req_param(req, "loc"),
					 emu_req_param(req, "id"));
	case OP_RESULT:
		return emu_arm_op_result(arm, res, call,
					 emu_req_param(req, "loc"),
					 emu_req_param(req, "id"));
	case OPERATIONS:
		break;
	}
	return AMLR_EFAIL;
}

/* Every route: admit, parse a body, run, answer, echo. */
static amlr_code serve(struct emu_req *req, struct emu_resp *resp,
		       enum action a)
{
	struct emu_arm *arm = req->ctx->world->arm;
	struct emu_arm_result res = EMU_ARM_RESULT_INIT;
	struct emu_arm_call call;
	amlr_error perr = AMLR_ERROR_INIT;
	amlr_json *body = NULL;
	amlr_code rc = AMLR_OK;

	if (!arm) {
		rc = emu_resp_arm_error(resp, 500, "InternalServerError",
					"the Resource Manager service is not "
					"running");
		goto done;
	}
	if (!admit(resp, &call, req, a))
		goto echo;
	if (a == OPERATIONS) {
		rc = emu_resp_body(resp, 200, JSON_TYPE, operations_json,
				   sizeof(operations_json) - 1);
		goto echo;
	}
	if ((a == WS_PUT || a == WS_PATCH) &&
	    amlr_json_parse(&body, &perr, req->body, req->body_len) !=
		    AMLR_OK) {
		rc = emu_resp_arm_error(
			resp, 400, "InvalidRequestContent",
			"The request content was invalid and could not be "
			"deserialized: '%s'.",
			req->body_len ? perr.message : "the body is empty");
		goto echo;
	}
	if ((rc = run(arm, &res, &call, req, a, body)) != AMLR_OK)
		goto done; /* the router answers 500 */
	rc = respond(resp, &call, &res);
echo:
	if (rc == AMLR_OK)
		rc = echo_client_id(resp, req);
done:
	amlr_json_free(body);
	emu_arm_result_release(&res);
	return rc;
}

static amlr_code h_operations(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, OPERATIONS);
}

static amlr_code h_list_sub(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, LIST_SUB);
}

static amlr_code h_list_rg(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, LIST_RG);
}

static amlr_code h_put(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, WS_PUT);
}

static amlr_code h_get(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, WS_GET);
}

static amlr_code h_patch(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, WS_PATCH);
}

static amlr_code h_delete(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, WS_DELETE);
}

static amlr_code h_keys(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, WS_KEYS);
}

static amlr_code h_regional(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, WS_REGIONAL);
}

static amlr_code h_op_status(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, OP_STATUS);
}

static amlr_code h_op_result(struct emu_req *req, struct emu_resp *resp)
{
	return serve(req, resp, OP_RESULT);
}

/*
 * Microsoft.Resources' subscriptions, which clients list at sign-in
 * (azure-cli's `az login`: GET /subscriptions?api-version=2019-11-01,
 * auth-storage.md, appendix).  The api-versions are those of the published
 * Subscriptions API; the policy values are [inferred], the same for every
 * subscription.
 */
#define SUBSCRIPTION_APIS                                                 \
	"2014-04-01-preview,2015-11-01,2016-06-01,2018-06-01,2019-06-01," \
	"2019-11-01,2020-01-01,2021-01-01,2022-12-01"

/* Whether the request names a Subscriptions api-version; else answers. */
static int subscription_api(struct emu_resp *resp, const struct emu_req *req)
{
	const char *v = emu_req_query(req, "api-version");
	const char *p = SUBSCRIPTION_APIS;
	size_t n, len;

	if (!v || !*v) {
		(void)emu_resp_arm_error(
			resp, 400, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is "
			"required for all requests.");
		return 0;
	}
	len = strlen(v);
	for (; *p; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (n == len && strncasecmp(p, v, n) == 0)
			return 1;
	}
	(void)emu_resp_arm_error(resp, 400, "InvalidApiVersionParameter",
				 "The api-version '%s' is invalid. The "
				 "supported versions are '%s'.",
				 v, SUBSCRIPTION_APIS);
	return 0;
}

/*
 * One subscription as the Subscriptions API shows it: id, authorization
 * source, managing tenants, subscriptionId, tenantId, displayName, state,
 * subscriptionPolicies.
 */
static amlr_code subscription_json(amlr_json **out,
				   const struct emu_seed_subscription *s)
{
	amlr_json *o = NULL, *v = NULL;
	amlr_buf id = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_object(&o)) != AMLR_OK ||
	    (rc = amlr_buf_printf(&id, "/subscriptions/%s", s->id)) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(o, "id", id.ptr)) != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "authorizationSource", "RoleBased")) !=
		    AMLR_OK ||
	    (rc = amlr_json_new_array(&v)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(o, "managedByTenants", v); /* steals */
	v = NULL;
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "subscriptionId", s->id)) != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "tenantId", s->tenant->id)) != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "displayName",
				    s->display_name ? s->display_name
						    : s->id)) != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "state", "Enabled")) != AMLR_OK ||
	    (rc = amlr_json_new_object(&v)) != AMLR_OK ||
	    (rc = amlr_json_set_str(v, "locationPlacementId",
				    "Public_2014-09-01")) != AMLR_OK ||
	    (rc = amlr_json_set_str(v, "quotaId", "PayAsYouGo_2014-09-01")) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(v, "spendingLimit", "Off")) != AMLR_OK)
		goto done;
	rc = amlr_json_set(o, "subscriptionPolicies", v); /* steals */
	v = NULL;
	if (rc == AMLR_OK) {
		*out = o;
		o = NULL;
	}
done:
	amlr_json_free(v);
	amlr_json_free(o);
	amlr_buf_release(&id);
	return rc;
}

/*
 * GET /subscriptions: the subscriptions of the token's tenant where its
 * principal has a role, in seed order, on one page.
 */
static amlr_code h_subscriptions(struct emu_req *req, struct emu_resp *resp)
{
	const struct emu_seed *seed = req->ctx->world->seed;
	const struct emu_seed_subscription *s;
	struct emu_caller caller;
	amlr_json *body = NULL, *list = NULL, *item = NULL;
	amlr_code rc = AMLR_OK;
	size_t i;

	if (!emu_auth_arm(&caller, req, resp, NULL) ||
	    !subscription_api(resp, req))
		goto echo;
	if ((rc = amlr_json_new_object(&body)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&list)) != AMLR_OK)
		goto done;
	for (i = 0; i < seed->nsubscriptions; i++) {
		s = &seed->subscriptions[i];
		if (strcasecmp(s->tenant->id, caller.tenant_id) != 0 ||
		    emu_seed_role(s, caller.object_id) < 0)
			continue;
		if ((rc = subscription_json(&item, s)) != AMLR_OK)
			goto done;
		rc = amlr_json_append(list, item); /* steals */
		item = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	rc = amlr_json_set(body, "value", list); /* steals */
	list = NULL;
	if (rc != AMLR_OK || (rc = emu_resp_json(resp, 200, body)) != AMLR_OK)
		goto done;
echo:
	rc = echo_client_id(resp, req);
done:
	amlr_json_free(item);
	amlr_json_free(list);
	amlr_json_free(body);
	return rc;
}

/*
 * GET /subscriptions/{sub}: one subscription, for a principal with a role
 * there (emu_auth_arm() answers 404 SubscriptionNotFound and 403).
 */
static amlr_code h_subscription(struct emu_req *req, struct emu_resp *resp)
{
	const char *id = emu_req_param(req, "sub");
	amlr_json *body = NULL;
	amlr_code rc = AMLR_OK;

	if (!emu_auth_arm(NULL, req, resp, id) || !subscription_api(resp, req))
		goto echo;
	if ((rc = subscription_json(&body,
				    emu_seed_subscription(req->ctx->world->seed,
							  id))) != AMLR_OK ||
	    (rc = emu_resp_json(resp, 200, body)) != AMLR_OK)
		goto done;
echo:
	rc = echo_client_id(resp, req);
done:
	amlr_json_free(body);
	return rc;
}

/*
 * Any other method on these paths: 405 with Allow, in ARM's envelope.
 * The router would say so itself, but a later table (blobs) catches any
 * path with every method; these routes keep ARM's paths ARM's.
 */
static amlr_code not_allowed(struct emu_req *req, struct emu_resp *resp,
			     const char *allow)
{
	amlr_code rc;

	rc = emu_resp_arm_error(resp, 405, "MethodNotAllowed",
				"The requested resource does not support http "
				"method '%s'.",
				req->method);
	if (rc == AMLR_OK)
		rc = emu_resp_set_header(resp, "Allow", allow);
	return rc;
}

static amlr_code h_only_get(struct emu_req *req, struct emu_resp *resp)
{
	return not_allowed(req, resp, "GET");
}

static amlr_code h_only_post(struct emu_req *req, struct emu_resp *resp)
{
	return not_allowed(req, resp, "POST");
}

static amlr_code h_ws_methods(struct emu_req *req, struct emu_resp *resp)
{
	return not_allowed(req, resp, "DELETE, GET, PATCH, PUT");
}

/*
 * Literals match case-insensitively (router.h), as ARM matches provider,
 * type and action segments.  listKeys is a GET (the spec and the
 * recordings); a POST to it gets 405.
 */
const struct emu_route emu_arm_routes[] = {
	{ "GET", "/subscriptions", h_subscriptions },
	{ "GET", "/subscriptions/{sub}", h_subscription },
	{ "GET", PROVIDER "/operations", h_operations },
	{ "GET", "/subscriptions/{sub}" PROVIDER "/webServices", h_list_sub },
	{ "GET",
	  "/subscriptions/{sub}" PROVIDER
	  "/locations/{loc}/operationsStatus/{id}",
	  h_op_status },
	{ "GET",
	  "/subscriptions/{sub}" PROVIDER
	  "/locations/{loc}/operationresults/{id}",
	  h_op_result },
	{ "GET", RG_PATH "/webServices", h_list_rg },
	{ "PUT", WS_PATH, h_put },
	{ "GET", WS_PATH, h_get },
	{ "PATCH", WS_PATH, h_patch },
	{ "DELETE", WS_PATH, h_delete },
	{ "GET", WS_PATH "/listKeys", h_keys },
	{ "POST", WS_PATH "/CreateRegionalBlob", h_regional },
	{ NULL, "/subscriptions", h_only_get },
	{ NULL, "/subscriptions/{sub}", h_only_get },
	{ NULL, PROVIDER "/operations", h_only_get },
	{ NULL, "/subscriptions/{sub}" PROVIDER "/webServices", h_only_get },
	{ NULL,
	  "/subscriptions/{sub}" PROVIDER
	  "/locations/{loc}/operationsStatus/{id}",
	  h_only_get },
	{ NULL,
	  "/subscriptions/{sub}" PROVIDER
	  "/locations/{loc}/operationresults/{id}",
	  h_only_get },
	{ NULL, RG_PATH "/webServices", h_only_get },
	{ NULL, WS_PATH, h_ws_methods },
	{ NULL, WS_PATH "/listKeys", h_only_get },
	{ NULL, WS_PATH "/CreateRegionalBlob", h_only_post },
	EMU_ROUTES_END,
};
