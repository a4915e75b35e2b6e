/* SPDX-License-Identifier: MIT */
/* /_emulator/: faults and throttling at run time; the client never calls it. */
#include <errno.h>
#include <stdlib.h>

#include "emu.h"
#include "faults.h"
#include "router.h"
#include "throttle.h"

/*
 *   GET    /_emulator/faults       the faults: {"faultSeed", "value": [...]}
 *   POST   /_emulator/faults       add one (a fault object, faults.h): 201
 *   DELETE /_emulator/faults       remove all: {"removed": N}
 *   DELETE /_emulator/faults/{id}  remove one: 204, or 404
 *   GET    /_emulator/throttle     the budgets (throttle.h)
 *   POST   /_emulator/throttle     change them; answers the new budgets
 *
 * Errors are in ARM's envelope: 400 BadRequest names the JSON member.
 * These paths never meet a fault and are never throttled.
 */

static struct emu_world *world_of(const struct emu_req *req)
{
	return req->ctx ? req->ctx->world : NULL;
}

/* The body as JSON, or a 400 in @p resp (then *out stays NULL). */
static amlr_code parse_body(amlr_json **out, const struct emu_req *req,
			    struct emu_resp *resp)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_code rc;

	*out = NULL;
	rc = amlr_json_parse(out, &err, req->body, req->body_len);
	if (rc == AMLR_EINVAL)
		return emu_resp_arm_error(resp, 400, "BadRequest",
					  "the body is not valid JSON: %s",
					  err.message);
	if (rc == AMLR_OK && amlr_json_type_of(*out) != AMLR_JSON_OBJECT) {
		amlr_json_free(*out);
		*out = NULL;
		return emu_resp_arm_error(resp, 400, "BadRequest",
					  "$: expected an object");
	}
	return rc;
}

/* 503 when the emulator runs without the service (never from main.c). */
static amlr_code unavailable(struct emu_resp *resp, const char *what)
{
	return emu_resp_arm_error(resp, 503, "ServiceUnavailable",
				  "%s is not set up in this emulator", what);
}

static amlr_code faults_get(struct emu_req *req, struct emu_resp *resp)
{
	struct emu_world *w = world_of(req);
	amlr_json *list = NULL;
	amlr_code rc;

	if (!w || !w->faults)
		return unavailable(resp, "fault injection");
	if ((rc = emu_faults_list(&list, w->faults)) == AMLR_OK)
		rc = emu_resp_json(resp, 200, list);
	amlr_json_free(list);
	return rc;
}

static amlr_code faults_post(struct emu_req *req, struct emu_resp *resp)
{
	struct emu_world *w = world_of(req);
	amlr_json *fault = NULL, *added = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_code rc;

	if (!w || !w->faults)
		return unavailable(resp, "fault injection");
	if ((rc = parse_body(&fault, req, resp)) != AMLR_OK || !fault)
		goto done;
	rc = emu_faults_add(&added, &err, w->faults, fault, "$");
	if (rc == AMLR_EINVAL)
		rc = emu_resp_arm_error(resp, 400, "BadRequest", "%s",
					err.message);
	else if (rc == AMLR_OK)
		rc = emu_resp_json(resp, 201, added);
done:
	amlr_json_free(added);
	amlr_json_free(fault);
	return rc;
}

static amlr_code faults_delete(struct emu_req *req, struct emu_resp *resp)
{
	struct emu_world *w = world_of(req);
	amlr_json *body = NULL;
	size_t n;
	amlr_code rc;

	if (!w || !w->faults)
		return unavailable(resp, "fault injection");
	n = emu_faults_clear(w->faults);
	if ((rc = amlr_json_new_object(&body)) == AMLR_OK &&
	    (rc = amlr_json_set_int(body, "removed", (int64_t)n)) == AMLR_OK)
		rc = emu_resp_json(resp, 200, body);
	amlr_json_free(body);
	return rc;
}

static amlr_code fault_delete(struct emu_req *req, struct emu_resp *resp)
{
	struct emu_world *w = world_of(req);
	const char *id = emu_req_param(req, "id");
	char *end;
	long n;

	if (!w || !w->faults)
		return unavailable(resp, "fault injection");
	errno = 0;
	n = strtol(id, &end, 10);
	if (errno || end == id || *end || n < 1 ||
	    !emu_faults_remove(w->faults, n))
		return emu_resp_arm_error(resp, 404, "NotFound",
					  "there is no fault '%s'", id);
	return emu_resp_body(resp, 204, NULL, "", 0);
}

static amlr_code throttle_get(struct emu_req *req, struct emu_resp *resp)
{
	struct emu_world *w = world_of(req);
	amlr_json *budgets = NULL;
	amlr_code rc;

	if (!w || !w->throttle)
		return unavailable(resp, "throttling");
	if ((rc = emu_throttle_get(&budgets, w->throttle)) == AMLR_OK)
		rc = emu_resp_json(resp, 200, budgets);
	amlr_json_free(budgets);
	return rc;
}

static amlr_code throttle_post(struct emu_req *req, struct emu_resp *resp)
{
	struct emu_world *w = world_of(req);
	amlr_json *settings = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_code rc;

	if (!w || !w->throttle)
		return unavailable(resp, "throttling");
	if ((rc = parse_body(&settings, req, resp)) != AMLR_OK || !settings)
		goto done;
	rc = emu_throttle_set(&err, w->throttle, settings);
	if (rc == AMLR_EINVAL)
		rc = emu_resp_arm_error(resp, 400, "BadRequest", "%s",
					err.message);
	else if (rc == AMLR_OK)
		rc = throttle_get(req, resp);
done:
	amlr_json_free(settings);
	return rc;
}

const struct emu_route emu_admin_routes[] = {
	{ "GET", "/_emulator/faults", faults_get },
	{ "POST", "/_emulator/faults", faults_post },
	{ "DELETE", "/_emulator/faults", faults_delete },
	{ "DELETE", "/_emulator/faults/{id}", fault_delete },
	{ "GET", "/_emulator/throttle", throttle_get },
	{ "POST", "/_emulator/throttle", throttle_post },
	EMU_ROUTES_END,
};
