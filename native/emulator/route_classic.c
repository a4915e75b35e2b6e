/* SPDX-License-Identifier: MIT */
/* The classic web-service management API on the emulator's base URL. */
#include <string.h>
#include <strings.h>

#include "bes_store.h"
#include "classic_store.h"
#include "router.h"

/*
 * The paths of ../shared/reference/notes/classic-bes-rrs.md §3.1 under
 * the management endpoint (the emulator's base URL, exported as
 * AMLR_MANAGEMENT_ENDPOINT), no api-version.  The key is
 * `Authorization: Bearer <workspace token or endpoint key>`; the
 * Content-Type's charset and unknown headers (x-aml-sdk,
 * x-ms-metaanalytics-authorizationtoken) are ignored (§3.5, §7.5).
 */
#define WS "/workspaces/{ws}/webservices"
#define EP WS "/{svc}/endpoints/{ep}"

enum op {
	OP_LIST_SERVICES,
	OP_GET_SERVICE,
	OP_LIST_ENDPOINTS,
	OP_GET_ENDPOINT,
	OP_PUT_ENDPOINT,
	OP_PATCH_ENDPOINT,
	OP_DELETE_ENDPOINT,
	OP_REFRESH_ENDPOINT
};

static amlr_code route(struct emu_req *req, struct emu_resp *resp, enum op op)
{
	struct emu_classic *c = req->ctx->world->classic;
	struct emu_bes_result res = EMU_BES_RESULT_INIT;
	struct emu_classic_call call;
	const char *auth = emu_req_header(req, "Authorization");
	amlr_json *body = NULL;
	size_t skip;
	amlr_code rc = AMLR_EFAIL;

	memset(&call, 0, sizeof(call));
	call.base_url = req->ctx->base_url;
	call.ws = emu_req_param(req, "ws");
	call.svc = emu_req_param(req, "svc");
	call.ep = emu_req_param(req, "ep");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		skip = 7 + strspn(auth + 7, " ");
		call.bearer = auth + skip;
	}
	if ((op == OP_PUT_ENDPOINT || op == OP_PATCH_ENDPOINT ||
	     op == OP_REFRESH_ENDPOINT) &&
	    req->body_len &&
	    amlr_json_parse(&body, NULL, req->body, req->body_len) != AMLR_OK) {
		rc = emu_bes_send_error(resp, 400, "BadArgument",
					"RequestBodyInvalid", NULL,
					"The request body is not valid JSON.");
		goto done;
	}
	switch (op) {
	case OP_LIST_SERVICES:
		rc = emu_classic_list_services(c, &res, &call);
		break;
	case OP_GET_SERVICE:
		rc = emu_classic_get_service(c, &res, &call);
		break;
	case OP_LIST_ENDPOINTS:
		rc = emu_classic_list_endpoints(c, &res, &call);
		break;
	case OP_GET_ENDPOINT:
		rc = emu_classic_get_endpoint(c, &res, &call);
		break;
	case OP_PUT_ENDPOINT:
		rc = emu_classic_put_endpoint(c, &res, &call, body);
		break;
	case OP_PATCH_ENDPOINT:
		rc = emu_classic_patch_endpoint(c, &res, &call, body);
		break;
	case OP_DELETE_ENDPOINT:
		rc = emu_classic_delete_endpoint(c, &res, &call);
		break;
	case OP_REFRESH_ENDPOINT:
		rc = emu_classic_refresh_endpoint(c, &res, &call, body);
		break;
	}
	if (rc == AMLR_OK)
		rc = emu_bes_answer(resp, &res);
done:
	emu_bes_result_release(&res);
	amlr_json_free(body);
	return rc;
}

static amlr_code h_list_services(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_LIST_SERVICES);
}

static amlr_code h_get_service(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_GET_SERVICE);
}

static amlr_code h_list_endpoints(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_LIST_ENDPOINTS);
}

static amlr_code h_get_endpoint(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_GET_ENDPOINT);
}

static amlr_code h_put_endpoint(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_PUT_ENDPOINT);
}

static amlr_code h_patch_endpoint(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_PATCH_ENDPOINT);
}

static amlr_code h_delete_endpoint(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_DELETE_ENDPOINT);
}

static amlr_code h_refresh_endpoint(struct emu_req *req, struct emu_resp *resp)
{
	return route(req, resp, OP_REFRESH_ENDPOINT);
}

const struct emu_route emu_classic_routes[] = {
	{ "GET", WS, h_list_services },
	{ "GET", WS "/{svc}", h_get_service },
	{ "GET", WS "/{svc}/endpoints", h_list_endpoints },
	{ "GET", EP, h_get_endpoint },
	{ "PUT", EP, h_put_endpoint },
	{ "PATCH", EP, h_patch_endpoint },
	{ "DELETE", EP, h_delete_endpoint },
	{ "POST", EP "/refresh", h_refresh_endpoint },
	EMU_ROUTES_END,
};
