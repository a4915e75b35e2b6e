/* SPDX-License-Identifier: MIT */
/* The credential's parts shared by credential.c, cred_msi.c, cred_cli.c. */
#ifndef AMLR_CREDENTIAL_INTERNAL_H
#define AMLR_CREDENTIAL_INTERNAL_H

#include <time.h>

#include "amlr/buf.h"
#include "amlr/credential.h"
#include "jwt.h"

/* Where a managed identity's tokens come from (notes/auth-storage.md §1.6). */
enum mi_source {
	MI_APP_SERVICE, /* IDENTITY_ENDPOINT + IDENTITY_HEADER (Automation) */
	MI_MSI_2017, /* MSI_ENDPOINT + MSI_SECRET */
	MI_CLOUD_SHELL, /* MSI_ENDPOINT alone */
	MI_ARC, /* Azure Arc: a 401 challenge naming a key file */
	MI_IMDS /* the instance metadata service of Azure VMs */
};

/* A token kept in memory for the life of the credential. */
struct mem_token {
	char *resource;
	char *token;
	time_t expires;
};

/* The string options, copied; their pointers in `o` point at the copies. */
#define CRED_NSTR 19

struct amlr_credential {
	amlr_credential_opts o;
	char *str[CRED_NSTR];
	/*
	 * The source: AMLR_CRED_CHAIN here means "probe IMDS, else the
	 * Azure CLI" (probe_cli says whether the CLI may follow).
	 */
	amlr_credential_kind kind;
	int probe_cli;
	enum mi_source mi;
	struct jwt_signer *signer; /* loaded on first use */
	/* What the cache keys a service principal's tokens by besides its
	 * id: a hash of its secret or certificate file, so that another
	 * secret never reuses a token; "" until computed. */
	char fingerprint[24];
	struct mem_token *mem;
	size_t nmem;
	amlr_error err;
};

/*
 * A token reply of Entra ID or a managed-identity endpoint: access_token,
 * and expires_in (number or string) or else expires_on (epoch number or
 * string, or a date).  @p what names the service in messages.
 *
 * @return AMLR_OK, AMLR_ESERVER (no token or expiry), AMLR_EFAIL
 */
amlr_code amlr_credential__parse_reply(char **token_out, time_t *expires_out,
				       amlr_error *err, const char *what,
				       const char *body, size_t len,
				       time_t now);

/*
 * An expiry as services write it: epoch seconds, RFC 3339
 * ("2017-09-14T12:00:00Z", offsets, fractions, a space for 'T'), RFC 1123
 * ("Thu, 14 Sep 2017 12:00:00 GMT") or App Service 2017's
 * "09/14/2017 00:00:00 PM +00:00".
 *
 * @return 1 and *out set, or 0 when @p s is none of these
 */
int amlr_credential__parse_time(time_t *out, const char *s);

/* Append name=value to a form or query, percent-encoded, '&' between. */
amlr_code amlr_credential__form_add(amlr_buf *b, const char *name,
				    const char *value);

/*
 * A token from the managed identity's source, for @p resource (v1 form).
 * With @p probe (IMDS only) one short attempt: when nothing answers, or
 * IMDS says no identity is assigned (400), *unavailable is set and
 * AMLR_EAUTH returned.  Errors go to cred->err.
 */
amlr_code amlr_credential__mi_token(char **token_out, time_t *expires_out,
				    amlr_credential *cred, amlr_client *client,
				    const char *resource, time_t now, int probe,
				    int *unavailable);

/* The URL that identifies the managed identity's source (cache key). */
const char *amlr_credential__mi_url(const amlr_credential *cred);

/*
 * A token from `az account get-access-token --resource R --output json`.
 * When az is not installed *unavailable is set and AMLR_EAUTH returned.
 * Errors go to cred->err.
 */
amlr_code amlr_credential__cli_token(char **token_out, time_t *expires_out,
				     amlr_credential *cred,
				     const char *resource, int *unavailable);

#endif
