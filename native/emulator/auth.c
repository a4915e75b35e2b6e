/* SPDX-License-Identifier: MIT */
/* Resource Manager's bearer-token check: who calls, may they, as ARM says. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amlr/buf.h"
#include "auth.h"
#include "emu.h"
#include "seed.h"
#include "tokens.h"

/* The audiences Resource Manager accepts besides the emulator's own URL. */
static const char *const arm_audiences[] = {
	"https://management.core.windows.net/",
	"https://management.core.windows.net",
	"https://management.azure.com/",
	"https://management.azure.com",
	NULL,
};

/* Whether @p aud is @p url, with or without one trailing slash. */
static int same_url(const char *aud, const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (strncasecmp(aud, url, n) != 0)
		return 0;
	return aud[n] == '\0' || (aud[n] == '/' && aud[n + 1] == '\0');
}

static int arm_audience(const char *aud, const char *base_url)
{
	size_t i;

	for (i = 0; arm_audiences[i]; i++)
		if (strcmp(aud, arm_audiences[i]) == 0)
			return 1;
	return base_url && same_url(aud, base_url);
}

/* A time as .NET's en-US general format writes it: "1/5/2026 9:03:07 PM". */
static void dotnet_time(char *out, size_t size, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	int h;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&tt, &tm);
	h = tm.tm_hour % 12;
	snprintf(out, size, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_year + 1900, h ? h : 12, tm.tm_min,
		 tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

/*
 * Answer 401 in ARM's envelope with the WWW-Authenticate challenge ARM
 * sends, naming the authority to get a token from.
 */
static void refuse_401(struct emu_resp *resp, const struct emu_req *req,
		       const char *tenant_id, const char *code,
		       const char *message, const char *challenge)
{
	amlr_buf www = AMLR_BUF_INIT;

	emu_resp_release(resp);
	if (emu_resp_arm_error(resp, 401, code, "%s", message) != AMLR_OK)
		goto done;
	if (amlr_buf_printf(&www,
			    "Bearer authorization_uri=\"%s/%s\", "
			    "error=\"invalid_token\", error_description=\"%s\"",
			    req->ctx->base_url, tenant_id ? tenant_id : "",
			    challenge) == AMLR_OK)
		(void)emu_resp_set_header(resp, "WWW-Authenticate", www.ptr);
done:
	amlr_buf_release(&www);
}

/*
 * The action a request performs, as Azure RBAC names it:
 * "Microsoft.MachineLearning/webServices/read" for a GET of
 * .../providers/Microsoft.MachineLearning/webServices/{name},
 * ".../webServices/CreateRegionalBlob/action" for a POST; requests
 * outside a provider are Microsoft.Resources' (subscriptions, groups).
 * The scope is the path, without the action segment of a POST.
 */
static amlr_code action_of(amlr_buf *action, amlr_buf *scope,
			   const struct emu_req *req)
{
	const char *p = req->path, *seg, *ns = NULL, *last = NULL;
	const char *verb = "read";
	size_t len, n, idx = 0;
	int post = strcmp(req->method, "POST") == 0, groups = 0;
	amlr_code rc = AMLR_OK;

	if (strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "PATCH") == 0)
		verb = "write";
	else if (strcmp(req->method, "DELETE") == 0)
		verb = "delete";
	else if (post)
		verb = "action";
	/* After "/providers/{namespace}": type, name, type, name, ... */
	for (seg = p; *seg && rc == AMLR_OK; seg += len) {
		seg += *seg == '/';
		len = strcspn(seg, "/");
		if (len == 0)
			continue;
		last = seg;
		if (!ns && len == 9 && strncasecmp(seg, "providers", 9) == 0 &&
		    seg[len] == '/') {
			ns = seg + len + 1;
			n = strcspn(ns, "/");
			rc = amlr_buf_printf(action, "%.*s", (int)n, ns);
			len += 1 + n;
		} else if (ns && idx++ % 2 == 0) {
			rc = amlr_buf_printf(action, "/%.*s", (int)len, seg);
		} else if (!ns && len == 14 &&
			   strncasecmp(seg, "resourceGroups", 14) == 0) {
			groups = 1;
		}
	}
	if (rc == AMLR_OK && !ns)
		rc = amlr_buf_puts(action,
				   groups ? "Microsoft.Resources/"
					    "subscriptions/resourceGroups"
					  : "Microsoft.Resources/"
					    "subscriptions");
	if (rc == AMLR_OK)
		rc = amlr_buf_printf(action, "/%s", verb);
	n = post && last ? (size_t)(last - p) - 1 : strlen(p);
	if (rc == AMLR_OK)
		rc = amlr_buf_put(scope, p, n);
	return rc;
}

static void refuse_403(struct emu_resp *resp, const struct emu_req *req,
		       const char *object_id)
{
	amlr_buf action = AMLR_BUF_INIT, scope = AMLR_BUF_INIT;

	emu_resp_release(resp);
	if (action_of(&action, &scope, req) != AMLR_OK)
		goto done;
	(void)emu_resp_arm_error(
		resp, 403, "AuthorizationFailed",
		"The client '%s' with object id '%s' does not have "
		"authorization to perform action '%s' over scope '%s' or the "
		"scope is invalid. If access was recently granted, please "
		"refresh your credentials.",
		object_id, object_id, action.ptr, scope.ptr);
done:
	amlr_buf_release(&action);
	amlr_buf_release(&scope);
}

/* The bearer token of the Authorization header: NULL if not "Bearer x". */
static const char *bearer(const char *header)
{
	const char *p = header;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return NULL;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Refusal for a token that failed emu_tokens_verify(). */
static void refuse_token(struct emu_resp *resp, const struct emu_req *req,
			 const char *tenant_id, enum emu_token_check check,
			 const struct emu_token_claims *claims)
{
	char msg[256], exp[40], now[40];

	switch (check) {
	case EMU_TOKEN_EXPIRED:
		dotnet_time(exp, sizeof(exp), claims->exp);
		dotnet_time(now, sizeof(now), (long long)time(NULL));
		snprintf(msg, sizeof(msg),
			 "The access token expiry UTC time '%s' is earlier "
			 "than current UTC time '%s'.",
			 exp, now);
		refuse_401(resp, req, tenant_id, "ExpiredAuthenticationToken",
			   msg, "The access token has expired.");
		break;
	case EMU_TOKEN_NOT_YET_VALID:
		dotnet_time(exp, sizeof(exp), claims->nbf);
		dotnet_time(now, sizeof(now), (long long)time(NULL));
		snprintf(msg, sizeof(msg),
			 "The access token validity start UTC time '%s' is "
			 "later than current UTC time '%s'.",
			 exp, now);
		refuse_401(resp, req, tenant_id, "InvalidAuthenticationToken",
			   msg, "The access token is not yet valid.");
		break;
	default:
		refuse_401(resp, req, tenant_id, "InvalidAuthenticationToken",
			   "The access token is invalid.",
			   "The access token is invalid.");
		break;
	}
}

int emu_auth_arm(struct emu_caller *out, const struct emu_req *req,
		 struct emu_resp *resp, const char *subscription_id)
{
	const struct emu_world *world = req->ctx->world;
	const struct emu_seed *seed = world->seed;
	const struct emu_seed_subscription *sub = NULL;
	struct emu_token_claims claims;
	enum emu_token_check check = EMU_TOKEN_MALFORMED;
	const char *header, *token, *tenant_id;
	char msg[768];
	int role;

	memset(&claims, 0, sizeof(claims));
	if (!seed || !world->tokens) {
		(void)emu_resp_arm_error(resp, 500, "InternalServerError",
					 "the identity service is not running");
		return 0;
	}
	if (subscription_id)
		sub = emu_seed_subscription(seed, subscription_id);
	/* The challenge names the subscription's tenant, as ARM's does. */
	tenant_id = sub ? sub->tenant->id : seed->tenants[0].id;
	if (!(header = emu_req_header(req, "Authorization"))) {
		refuse_401(resp, req, tenant_id, "AuthenticationFailed",
			   "Authentication failed. The 'Authorization' header "
			   "is missing.",
			   "The authentication failed because of missing "
			   "'Authorization' header.");
		return 0;
	}
	if (!(token = bearer(header))) {
		refuse_401(resp, req, tenant_id, "AuthenticationFailed",
			   "Authentication failed. The 'Authorization' header "
			   "is provided in an invalid format.",
			   "The authentication failed because of an invalid "
			   "'Authorization' header format.");
		return 0;
	}
	if (emu_tokens_verify(&check, &claims, world->tokens, token) !=
	    AMLR_OK) {
		(void)emu_resp_arm_error(resp, 500, "InternalServerError",
					 "out of memory");
		return 0;
	}
	if (check != EMU_TOKEN_VALID) {
		refuse_token(resp, req, tenant_id, check, &claims);
		return 0;
	}
	if (!arm_audience(claims.aud, req->ctx->base_url)) {
		snprintf(msg, sizeof(msg),
			 "The access token has been obtained for wrong "
			 "audience or resource '%s'. It should exactly match "
			 "with one of the allowed audiences "
			 "'https://management.core.windows.net/',"
			 "'https://management.core.windows.net',"
			 "'https://management.azure.com/',"
			 "'https://management.azure.com'.",
			 claims.aud);
		refuse_401(resp, req, tenant_id,
			   "InvalidAuthenticationTokenAudience", msg, msg);
		return 0;
	}
	if (subscription_id && !sub) {
		emu_resp_release(resp);
		(void)emu_resp_arm_error(resp, 404, "SubscriptionNotFound",
					 "The subscription '%s' could not be "
					 "found.",
					 subscription_id);
		return 0;
	}
	/*
	 * A token of another tenant: ARM answers 401 and points at the
	 * subscription's tenant, so that a client can get a token there.
	 */
	if (sub && strcasecmp(sub->tenant->id, claims.tid) != 0) {
		snprintf(msg, sizeof(msg),
			 "The access token is from the wrong issuer '%s'. It "
			 "must match the tenant '%s/%s/' associated with this "
			 "subscription. Please use the authority (URL) '%s/%s' "
			 "to get the token. Note, if the subscription is "
			 "transferred to another tenant there is no impact to "
			 "the services, but information about new tenant "
			 "could take time to propagate (up to an hour). If you "
			 "just transferred your subscription and see this "
			 "error message, please try back later.",
			 claims.iss, req->ctx->base_url, sub->tenant->id,
			 req->ctx->base_url, sub->tenant->id);
		refuse_401(resp, req, sub->tenant->id,
			   "InvalidAuthenticationTokenTenant", msg,
			   "The access token is from the wrong issuer.");
		return 0;
	}
	if (sub) {
		role = emu_seed_role(sub, claims.oid);
		if (role < 0 || !emu_seed_role_allows((enum emu_seed_role)role,
						      req->method)) {
			refuse_403(resp, req, claims.oid);
			return 0;
		}
	}
	if (out) {
		memset(out, 0, sizeof(*out));
		snprintf(out->tenant_id, sizeof(out->tenant_id), "%s",
			 claims.tid);
		snprintf(out->object_id, sizeof(out->object_id), "%s",
			 claims.oid);
		snprintf(out->app_id, sizeof(out->app_id), "%s", claims.appid);
	}
	return 1;
}
