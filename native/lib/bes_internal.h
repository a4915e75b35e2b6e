/* SPDX-License-Identifier: MIT */
/* The execution endpoint shared by the BES and RRS clients. */
#ifndef AMLR_BES_INTERNAL_H
#define AMLR_BES_INTERNAL_H

#include <stddef.h>

#include "amlr/error.h"
#include "amlr/http.h"

/* An ApiLocation with its key, over a borrowed client. */
struct amlr_bes__endpoint {
	amlr_client *client; /* borrowed */
	char *base; /* normal form: no query, no trailing '/', /jobs, /execute
		     */
	char *key; /* a secret: wiped on release */
};

/*
 * Check and copy @p api_location (normalised) and @p api_key; errors are
 * recorded on the client.
 */
amlr_code amlr_bes__endpoint_init(struct amlr_bes__endpoint *ep,
				  amlr_client *client, const char *api_location,
				  const char *api_key);

/* Free the copies, wiping the key. */
void amlr_bes__endpoint_release(struct amlr_bes__endpoint *ep);

/*
 * Send METHOD base + @p path (which starts with '/' and carries its
 * query) with the key in the Authorization header and @p body as JSON
 * (or none); the header is wiped after the call.
 */
amlr_code amlr_bes__send(amlr_response **out, struct amlr_bes__endpoint *ep,
			 const char *method, const char *path, const char *body,
			 size_t len, unsigned flags);

#endif
