/* SPDX-License-Identifier: MIT */
/* Credentials and the cloud for commands, from the environment and options. */
#ifndef CLI_AUTH_H
#define CLI_AUTH_H

#include <time.h>

#include "amlr/cloud.h"
#include "amlr/credential.h"
#include "amlr/json.h"

struct cli_ctx;

/*
 * Where settings come from (README, "Credentials"):
 *  - the cloud: --cloud NAME|FILE, else AMLR_CLOUD, else AzureCloud;
 *    AZURE_AUTHORITY_HOST and AMLR_ARM_ENDPOINT override its identity
 *    service and Resource Manager endpoints;
 *  - the credential: --token-file FILE, AMLR_ACCESS_TOKEN, then the Azure
 *    SDKs' names (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
 *    AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_CERTIFICATE_PASSWORD,
 *    AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, AZURE_FEDERATED_TOKEN_FILE,
 *    IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET,
 *    IMDS_ENDPOINT, AZURE_POD_IDENTITY_AUTHORITY_HOST,
 *    AZURE_TOKEN_CREDENTIALS) in the chain's order;
 *  - the token cache: $XDG_CACHE_HOME/amlretrain/tokens.json, else
 *    ~/.cache/amlretrain/tokens.json (directory 0700, file 0600).
 * Each is made once per run, on first use, and freed by cli_auth_release().
 */

/* The cloud; NULL after printing an error (the run's exit code is 2). */
const amlr_cloud *cli_cloud(struct cli_ctx *ctx);

/* The credential; NULL after printing an error (*rc gets the code). */
amlr_credential *cli_credential(struct cli_ctx *ctx, int *rc);

/*
 * A token for @p resource (NULL: the cloud's Resource Manager audience),
 * from the cache when valid, else acquired.  Returns 0, or the exit code
 * after printing the error.  *token is freed with amlr_secret_free().
 */
int cli_token(char **token, time_t *expires, struct cli_ctx *ctx,
	      const char *resource);

/* A Resource Manager token: what every ARM command calls first. */
int cli_arm_token(char **token, struct cli_ctx *ctx);

/* The token cache file, or NULL when there is none (no home). */
const char *cli_token_cache_path(struct cli_ctx *ctx);

/*
 * Where an explicit token came from ("--token-file", "AMLR_ACCESS_TOKEN"),
 * or NULL when the credential is not an explicit token.
 */
const char *cli_token_origin(struct cli_ctx *ctx);

/* The default subscription: AZURE_SUBSCRIPTION_ID, or NULL. */
const char *cli_subscription_default(void);

/* A stable camelCase name of a credential kind ("clientSecret"). */
const char *cli_credential_kind_name(amlr_credential_kind kind);

/*
 * What login and account show print about @p token (never the token):
 * source, sourceDescription, cloud, tenantId, clientId, objectId (from
 * the token's claims when it is a JWT, else the settings, else null),
 * subscription, resource, expiresOn (RFC 3339 UTC, or null).
 * Returns 0 or the exit code after printing the error.
 */
int cli_identity_json(amlr_json **out, struct cli_ctx *ctx, const char *token,
		      time_t expires, const char *resource);

/* Free what the functions above made; safe to call when nothing was. */
void cli_auth_release(struct cli_ctx *ctx);

#endif
