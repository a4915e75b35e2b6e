/* SPDX-License-Identifier: MIT */
/* Credentials for Resource Manager and Storage: a chain like the SDKs'. */
#ifndef AMLR_CREDENTIAL_H
#define AMLR_CREDENTIAL_H

#include "common.h"

#include <time.h>

#include "error.h"
#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where tokens come from.  The caller (the CLI) fills the options from the
 * environment with the Azure SDKs' names (AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH,
 * AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_FEDERATED_TOKEN_FILE,
 * AZURE_AUTHORITY_HOST, IDENTITY_ENDPOINT, IDENTITY_HEADER, ...): the
 * library never reads the environment.  With AMLR_CRED_CHAIN the first
 * source whose settings are present is used, in the order of the enum.
 */
typedef enum {
	AMLR_CRED_CHAIN = 0, /* the first available of the sources below */
	AMLR_CRED_TOKEN, /* an access token given as is */
	AMLR_CRED_CLIENT_SECRET, /* service principal with a secret */
	AMLR_CRED_CLIENT_CERTIFICATE, /* service principal, RS256 assertion */
	AMLR_CRED_WORKLOAD_IDENTITY, /* federated token file as assertion */
	AMLR_CRED_MANAGED_IDENTITY, /* App Service/Automation, Arc, IMDS */
	AMLR_CRED_AZURE_CLI /* az account get-access-token */
} amlr_credential_kind;

typedef struct amlr_credential_opts {
	amlr_credential_kind kind;
	const char *authority_host; /* "https://login.microsoftonline.com/" */
	const char *tenant_id;
	const char *client_id;
	const char *client_secret; /* secret: borrowed, never logged */
	const char *certificate_path; /* PEM with certificate and key */
	const char *certificate_password; /* secret */
	const char *federated_token_file;
	const char *access_token; /* AMLR_CRED_TOKEN; secret */
	const char *identity_endpoint; /* IDENTITY_ENDPOINT */
	const char *identity_header; /* IDENTITY_HEADER; secret */
	const char *imds_endpoint; /* NULL: http://169.254.169.254 */
	const char *arc_key_dir; /* Arc challenge files must be here */
	const char *az_path; /* the az executable; NULL: "az" on PATH */
	const char *cache_path; /* token cache file (0600); NULL: none */
} amlr_credential_opts;

#define AMLR_CREDENTIAL_OPTS_INIT { AMLR_CRED_CHAIN }

typedef struct amlr_credential amlr_credential;

/**
 * Make a credential.  Copies the options (secrets wiped when freed).
 *
 * @param[out] out the credential, owned by the caller
 * @return AMLR_OK; AMLR_EAUTH when no source is configured (the message
 *	says which settings each source needs); AMLR_EINVAL for
 *	inconsistent options; AMLR_EFAIL without memory
 * Ownership: *out belongs to the caller (amlr_credential_free()).
 */
AMLR_EXTERN amlr_code amlr_credential_new(amlr_credential **out,
					  amlr_error *err,
					  const amlr_credential_opts *opts);

/** Free a credential, wiping its secrets; accepts NULL. */
AMLR_EXTERN void amlr_credential_free(amlr_credential *cred);

/**
 * A token for @p resource ("https://management.azure.com/"), from the
 * cache when one is valid for more than five minutes, else acquired over
 * @p client and cached.
 *
 * @param[out] token_out the access token (free with amlr_secret_free())
 * @param[out] expires_out its expiry (may be NULL)
 * @return AMLR_OK; AMLR_EAUTH (refused: the identity service's code and
 *	message on the client's error, or in @p err), AMLR_ENET, AMLR_ESERVER,
 *	AMLR_EIO (cache file)
 * Ownership: *token_out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_credential_get_token(char **token_out,
						time_t *expires_out,
						amlr_credential *cred,
						amlr_client *client,
						const char *resource);

/**
 * Which source the credential uses, for people ("environment (client
 * secret)", "managed identity (IDENTITY_ENDPOINT)", ...).  Static.
 */
AMLR_EXTERN const char *amlr_credential_source(const amlr_credential *cred);

/**
 * The error of the last failed call on @p cred when it had no client to
 * record it on.  Borrowed.
 */
AMLR_EXTERN const amlr_error *amlr_credential_error(const amlr_credential *cred);

#ifdef __cplusplus
}
#endif

#endif
