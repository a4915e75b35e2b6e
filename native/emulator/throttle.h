/* SPDX-License-Identifier: MIT */
/* Resource Manager's per-subscription read and write budgets (429). */
#ifndef EMU_THROTTLE_H
#define EMU_THROTTLE_H

#include "amlr/error.h"
#include "amlr/json.h"
#include "emu.h"
#include "router.h"

/*
 * Every Resource Manager request (/subscriptions/{id} and paths under its
 * /resourceGroups and /providers; not the RRS and BES execution endpoints
 * under /subscriptions/{id}/services) draws one token from that
 * subscription's bucket: reads (GET, HEAD) from one of --arm-reads
 * tokens, writes (PUT, PATCH, POST, DELETE) from one of --arm-writes,
 * each refilled evenly over an hour, as ARM's hourly limits
 * (../reference/notes/auth-storage.md §2).  The response carries
 * x-ms-ratelimit-remaining-subscription-reads (or -writes): the tokens
 * left.  An empty bucket answers 429 with Retry-After (seconds until a
 * token is back) and ARM's SubscriptionRequestsThrottled error, without
 * routing the request.  Subscription ids compare case-insensitively.
 */

struct emu_throttle;

/**
 * Make the budgets, full, with the capacities cfg->arm_reads and
 * cfg->arm_writes.
 *
 * @return AMLR_OK; AMLR_EFAIL without memory
 * Ownership: *out is the caller's, for emu_throttle_free().
 */
amlr_code emu_throttle_new(struct emu_throttle **out, amlr_error *err,
			   const struct emu_config *cfg);

/** Free the budgets; accepts NULL. */
void emu_throttle_free(struct emu_throttle *throttle);

/**
 * Charge @p req to its subscription's budget, if it is a Resource Manager
 * request (see above) with a read or write method.
 * Thread-safe.
 *
 * @param[out] header the ratelimit header to add to the response ("" when
 *	the request is not charged), and its value
 * @return 1 to route the request; 0 when @p resp holds the 429 (complete,
 *	x-ms-request-id included); -1 without memory
 */
int emu_throttle_admit(char header[64], char value[24],
		       struct emu_throttle *throttle, const struct emu_req *req,
		       struct emu_resp *resp);

/**
 * The budgets: `{"reads": N, "writes": N, "subscriptions": [
 * {"subscriptionId", "readsRemaining", "writesRemaining"}]}`.
 *
 * Ownership: *out is the caller's.
 */
amlr_code emu_throttle_get(amlr_json **out, struct emu_throttle *throttle);

/**
 * Change the budgets (POST /_emulator/throttle), from a JSON object:
 * "reads" and "writes" set the capacities (1 to 1000000000) and refill
 * every bucket; "subscriptionId" with "readsRemaining" and/or
 * "writesRemaining" sets the tokens left in that subscription's buckets
 * (0 to the capacity).  Other members are errors.
 *
 * @return AMLR_OK; AMLR_EINVAL with a message naming the member; AMLR_EFAIL
 */
amlr_code emu_throttle_set(amlr_error *err, struct emu_throttle *throttle,
			   const amlr_json *settings);

#endif
