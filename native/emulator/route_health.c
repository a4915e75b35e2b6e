/* SPDX-License-Identifier: MIT */
/* GET /health: whether the emulator is up, and which version it is. */
#include "router.h"

static amlr_code health_get(struct emu_req *req, struct emu_resp *resp)
{
	amlr_json *body = NULL;
	amlr_code rc;

	(void)req;
	if ((rc = amlr_json_new_object(&body)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "status", "Healthy")) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "version", EMU_VERSION)) != AMLR_OK)
		goto done;
	rc = emu_resp_json(resp, 200, body);
done:
	amlr_json_free(body);
	return rc;
}

/* HEAD /health is served by the GET route, without the body. */
const struct emu_route emu_health_routes[] = {
	{ "GET", "/health", health_get },
	EMU_ROUTES_END,
};
