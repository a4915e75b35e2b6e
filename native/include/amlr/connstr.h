/* SPDX-License-Identifier: MIT */
/* Azure Storage connection strings: parsing and what they resolve to. */
#ifndef AMLR_CONNSTR_H
#define AMLR_CONNSTR_H

#include "common.h"

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The development storage account (Azurite's, the emulator's). */
#define AMLR_DEV_ACCOUNT "devstoreaccount1"
#define AMLR_DEV_ACCOUNT_KEY \
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

/* A parsed connection string. */
typedef struct amlr_connstr amlr_connstr;

/**
 * Parse a connection string: `Key=value` pairs separated by ';' (each
 * split at its first '=', empty pairs and a trailing ';' tolerated, keys
 * matched case-insensitively).  Documented keys: DefaultEndpointsProtocol,
 * AccountName, AccountKey, EndpointSuffix, BlobEndpoint, QueueEndpoint,
 * TableEndpoint, FileEndpoint, the four *SecondaryEndpoint,
 * SharedAccessSignature, UseDevelopmentStorage, DevelopmentStorageProxyUri.
 * `UseDevelopmentStorage=true` stands for the development account at
 * http://127.0.0.1:10000/devstoreaccount1.
 *
 * The blob endpoint is BlobEndpoint, else PROTOCOL://ACCOUNT.blob.SUFFIX
 * (https, core.windows.net by default).  Credentials: AccountName and
 * AccountKey (Shared Key), else SharedAccessSignature, else none.
 *
 * Refused (AMLR_EINVAL, the message names the key, never a value): a pair
 * without '=', an unknown or repeated key, an AccountKey that is not
 * base64, an AccountKey without AccountName, a protocol other than http or
 * https, an endpoint that is not an http(s) URL, no way to the blob
 * endpoint, UseDevelopmentStorage other than true or mixed with account
 * keys.
 *
 * @param[out] out the parsed string, owned by the caller
 * @return AMLR_OK, AMLR_EINVAL, AMLR_EFAIL
 * Ownership: *out is the caller's (amlr_connstr_free()); @p text is not
 *	kept.
 */
AMLR_EXTERN amlr_code amlr_connstr_parse(amlr_connstr **out, amlr_error *err,
					 const char *text);

/** Free, wiping the secrets; accepts NULL. */
AMLR_EXTERN void amlr_connstr_free(amlr_connstr *cs);

/**
 * The value given for @p key (any case), or NULL.  Ownership: borrowed.
 */
AMLR_EXTERN const char *amlr_connstr_get(const amlr_connstr *cs,
					 const char *key);

/** The blob endpoint, without a trailing '/'.  Borrowed; never NULL. */
AMLR_EXTERN const char *amlr_connstr_blob_endpoint(const amlr_connstr *cs);

/** The account name, or NULL (a SAS-only string may have none). */
AMLR_EXTERN const char *amlr_connstr_account(const amlr_connstr *cs);

/** The account key (a secret), or NULL.  Borrowed. */
AMLR_EXTERN const char *amlr_connstr_key(const amlr_connstr *cs);

/** The SAS token without '?' (a secret), or NULL.  Borrowed. */
AMLR_EXTERN const char *amlr_connstr_sas(const amlr_connstr *cs);

#ifdef __cplusplus
}
#endif

#endif
