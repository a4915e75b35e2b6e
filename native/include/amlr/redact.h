/* SPDX-License-Identifier: MIT */
/* Removing secrets from text before anyone sees it. */
#ifndef AMLR_REDACT_H
#define AMLR_REDACT_H

#include "common.h"

#include <stddef.h>

#include "buf.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMLR_REDACTED "REDACTED"

/**
 * Append @p text to @p out with every secret value replaced by
 * "REDACTED":
 *  - header values of Authorization, Proxy-Authorization, api-key,
 *    Ocp-Apim-Subscription-Key, X-IDENTITY-HEADER, Cookie, Set-Cookie,
 *    secret (legacy managed identity's MSI_SECRET);
 *  - SAS signatures (`sig=` in a query or SAS token);
 *  - `AccountKey=` and `SharedAccessSignature=` in connection strings;
 *  - form fields client_secret, client_assertion, assertion, password,
 *    refresh_token, access_token;
 *  - JSON members access_token, refresh_token, id_token, client_secret,
 *    client_assertion, password, primary, secondary, primaryKey,
 *    secondaryKey, key, apiKey, sasToken, SasBlobToken.
 * Names match case-insensitively.  Everything else is copied unchanged.
 *
 * @return AMLR_OK or AMLR_EFAIL (out of memory)
 */
AMLR_EXTERN amlr_code amlr_redact(amlr_buf *out, const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif
