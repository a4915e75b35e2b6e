/* SPDX-License-Identifier: MIT */
/* Who is calling: checking bearer tokens on Resource Manager requests. */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include "amlr/error.h"
#include "router.h"

/* The caller a valid token names. */
struct emu_caller {
	char tenant_id[64]; /* tid */
	char object_id[64]; /* oid: the principal */
	char app_id[64]; /* appid / azp: the client id */
};

/**
 * Admit a Resource Manager request for @p subscription_id (NULL for calls
 * outside any subscription, such as the operations list): the
 * Authorization header must carry a bearer token this emulator issued for
 * Resource Manager's audience, not expired, whose principal has access to
 * the subscription.  Otherwise answers as ARM does, in @p resp: 401 with
 * `WWW-Authenticate: Bearer authorization_uri="...", error="invalid_token",
 * ...` and InvalidAuthenticationToken / ExpiredAuthenticationToken /
 * InvalidAuthenticationTokenAudience / InvalidAuthenticationTokenTenant (a
 * token of another tenant than the subscription's, pointing at the right
 * one, as ARM does), or 403 AuthorizationFailed (a principal without a
 * role there), or 404 SubscriptionNotFound for a subscription the seed
 * does not have.
 *
 * @param[out] out the caller, when admitted (may be NULL)
 * @return 1 when admitted, 0 when @p resp holds the refusal
 */
int emu_auth_arm(struct emu_caller *out, const struct emu_req *req,
		 struct emu_resp *resp, const char *subscription_id);

#endif
