/* SPDX-License-Identifier: MIT */
/* Credentials for Resource Manager and Storage: a chain like the SDKs'. */
#ifndef AMLR_CREDENTIAL_H
#define AMLR_CREDENTIAL_H

#include "common.h"

#include <time.h>

#include "error.h"
#include "http.h"
#include "json.h"

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
 * source whose settings are present is used, in the order of the enum
 * (notes/auth-storage.md §1.7, the Azure SDK for C++'s
 * DefaultAzureCredential): a source that is configured but fails (a wrong
 * secret) stops the chain with its error.  Managed identity without any
 * of its settings means IMDS, which is probed (1 s, no retries); when
 * nothing answers there the chain goes on to the Azure CLI.
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

/* A set of kinds, for amlr_credential_opts.chain. */
#define AMLR_CRED_BIT(kind) (1u << (kind))

typedef struct amlr_credential_opts {
	amlr_credential_kind kind;
	unsigned chain; /* kinds AMLR_CRED_CHAIN may use; 0: all */
	const char *authority_host; /* "https://login.microsoftonline.com/" */
	const char *tenant_id;
	const char *client_id;
	const char *client_secret; /* secret: borrowed, never logged */
	const char *certificate_path; /* PEM with certificate and key, or PFX */
	const char *certificate_password; /* secret */
	int send_certificate_chain; /* add x5c (subject name/issuer auth) */
	const char *federated_token_file;
	const char *access_token; /* AMLR_CRED_TOKEN; secret */
	const char *identity_endpoint; /* IDENTITY_ENDPOINT */
	const char *identity_header; /* IDENTITY_HEADER; secret */
	const char *msi_endpoint; /* MSI_ENDPOINT (legacy, Cloud Shell) */
	const char *msi_secret; /* MSI_SECRET; secret */
	const char *imds_env_endpoint; /* IMDS_ENDPOINT (Azure Arc) */
	const char *managed_identity_client_id; /* user-assigned identity */
	const char *imds_endpoint; /* NULL: http://169.254.169.254 */
	const char *arc_agent_file; /* NULL: /opt/azcmagent/bin/himds */
	const char *arc_key_dir; /* NULL: /var/opt/azcmagent/tokens */
	const char *az_path; /* the az executable; NULL: "az" on PATH */
	long az_timeout_ms; /* 0: 20 s */
	const char *cache_path; /* token cache file (0600); NULL: none */
} amlr_credential_opts;

#define AMLR_CREDENTIAL_OPTS_INIT \
	{                         \
		AMLR_CRED_CHAIN   \
	}

typedef struct amlr_credential amlr_credential;

/**
 * Make a credential.  Copies the options (secrets wiped when freed).
 * Nothing is read or sent yet: files (certificate, federated token) are
 * read when a token is needed.
 *
 * @param[out] out the credential, owned by the caller
 * @param err details on failure; may be NULL
 * @return AMLR_OK; AMLR_EAUTH when the kind asked for lacks its settings
 *	(the message names them); AMLR_EINVAL for inconsistent options;
 *	AMLR_EFAIL without memory
 * Ownership: *out belongs to the caller (amlr_credential_free()).
 */
AMLR_EXTERN amlr_code amlr_credential_new(amlr_credential **out,
					  amlr_error *err,
					  const amlr_credential_opts *opts);

/** Free a credential, wiping its secrets; accepts NULL. */
AMLR_EXTERN void amlr_credential_free(amlr_credential *cred);

/**
 * A token for @p resource ("https://management.azure.com/"; a v2 scope
 * ending in "/.default" is accepted too), from memory or the cache file
 * when one is valid for more than five minutes, else acquired over
 * @p client and cached.  A cache file that cannot be read, parsed or
 * written is ignored (and replaced when possible): it never fails a call.
 *
 * @param[out] token_out the access token (free with amlr_secret_free())
 * @param[out] expires_out its expiry (may be NULL)
 * @return AMLR_OK; AMLR_EAUTH (no source available, or refused: the
 *	identity service's code and message, such as Entra ID's AADSTS
 *	text); AMLR_EINVAL (unreadable certificate, malformed settings);
 *	AMLR_ENET; AMLR_ESERVER (a reply without a token); AMLR_EIO (a file
 *	the source needs); details in amlr_credential_error() and, when
 *	@p client is not NULL, also in amlr_client_error(client)
 * Ownership: *token_out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_credential_get_token(char **token_out,
						time_t *expires_out,
						amlr_credential *cred,
						amlr_client *client,
						const char *resource);

/**
 * A token for @p resource from memory or the cache file only, with no
 * network and no child process (an explicit token counts as cached).
 *
 * @param[out] token_out the token (may be NULL: only ask whether there is
 *	one); free with amlr_secret_free()
 * @param[out] expires_out its expiry, 0 when unknown (may be NULL)
 * @return AMLR_OK; AMLR_ENOTFOUND when no token valid for more than five
 *	minutes is cached (no error is recorded then); AMLR_EFAIL
 * Ownership: *token_out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_credential_cached_token(char **token_out,
						   time_t *expires_out,
						   amlr_credential *cred,
						   const char *resource);

/**
 * Which source the credential uses, for people ("environment (client
 * secret)", "managed identity (IDENTITY_ENDPOINT)", ...).  Before the
 * first token, a chain that will probe IMDS says
 * "managed identity (IMDS) or Azure CLI"; afterwards the one that served.
 *
 * @return a static string, never NULL
 */
AMLR_EXTERN const char *amlr_credential_source(const amlr_credential *cred);

/**
 * The kind that serves tokens (never AMLR_CRED_CHAIN once a token was
 * obtained; before that, AMLR_CRED_CHAIN when IMDS must be probed).
 */
AMLR_EXTERN amlr_credential_kind
amlr_credential_kind_of(const amlr_credential *cred);

/**
 * The error of the last failed call on @p cred (code AMLR_OK after a
 * success).  Ownership: borrowed, valid until the next call.
 */
AMLR_EXTERN const amlr_error *
amlr_credential_error(const amlr_credential *cred);

/**
 * Decode (without verifying: for display only, never for decisions) the
 * claims of a JWT access token: tid, oid, appid, aud, exp, ...
 *
 * @param[out] out the claims object, owned by the caller
 * @param err details on failure; may be NULL
 * @return AMLR_OK; AMLR_EINVAL when @p token is not a JWT; AMLR_EFAIL
 * Ownership: *out belongs to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_credential_token_claims(amlr_json **out,
						   amlr_error *err,
						   const char *token);

#ifdef __cplusplus
}
#endif

#endif
