/* SPDX-License-Identifier: MIT */
/* Access tokens the emulated Entra ID issues and Resource Manager checks. */
#ifndef EMU_TOKENS_H
#define EMU_TOKENS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/json.h"
#include "emu.h"

/*
 * Tokens are JWTs signed RS256 with a key made at the first start and kept
 * (0600) under the state directory, when there is one, so that tokens stay
 * valid across a restart.  The service also remembers the client
 * assertions' jti values while they are valid (replay refusal) and holds
 * the managed-identity endpoint's secret (IDENTITY_HEADER).  Thread-safe.
 */
struct emu_tokens;

#define EMU_CLAIM_MAX 256 /* longest aud or iss kept; others are GUIDs */

/* The claims of an access token. */
struct emu_token_claims {
	char aud[EMU_CLAIM_MAX]; /* the resource asked for, as asked */
	char iss[EMU_CLAIM_MAX]; /* "<authority>/<tid>/" */
	char tid[64]; /* the tenant */
	char oid[64]; /* the principal's object id (also sub) */
	char appid[64]; /* the client id */
	char appidacr[2]; /* "0" managed identity, "1" secret, "2" cert */
	long long iat;
	long long nbf;
	long long exp;
};

/* What emu_tokens_verify() found. */
enum emu_token_check {
	EMU_TOKEN_VALID,
	EMU_TOKEN_MALFORMED, /* not a JWT of ours: bad encoding, JSON, alg */
	EMU_TOKEN_BAD_SIGNATURE, /* well-formed, but not signed by us */
	EMU_TOKEN_NOT_YET_VALID, /* nbf in the future */
	EMU_TOKEN_EXPIRED /* exp in the past */
};

/**
 * Start the service: load the signing key from the state directory, or
 * make one (and save it there, 0600, atomically), and make a fresh
 * IDENTITY_HEADER secret.
 *
 * @param[out] out the service, owned by the caller
 * @param cfg lifetime and state directory; borrowed for the call
 * @return AMLR_OK; AMLR_EIO when the key file cannot be read, parsed or
 *	written; AMLR_EFAIL
 * Ownership: *out is the caller's, for emu_tokens_free().
 */
amlr_code emu_tokens_new(struct emu_tokens **out, amlr_error *err,
			 const struct emu_config *cfg);

/** Free the service, wiping its key and secrets; accepts NULL. */
void emu_tokens_free(struct emu_tokens *tokens);

/**
 * Issue a token: @p in gives aud, iss, tid, oid, appid and appidacr; the
 * times are set here from now and the configured lifetime.
 *
 * @param[out] out the JWT (free with amlr_secret_free())
 * @param[out] claims_out the claims as issued (may be NULL)
 * @return AMLR_OK or AMLR_EFAIL
 * Ownership: *out is the caller's.
 */
amlr_code emu_tokens_issue(char **out, struct emu_token_claims *claims_out,
			   struct emu_tokens *tokens,
			   const struct emu_token_claims *in);

/**
 * Check a token this emulator issued: encoding, signature, nbf and exp
 * (no clock skew: the emulator's clock is the only one).
 *
 * @param[out] check the verdict
 * @param[out] claims the claims, set when the token is well-formed and
 *	its signature verifies (also when expired)
 * @return AMLR_OK with the verdict; AMLR_EFAIL without memory
 */
amlr_code emu_tokens_verify(enum emu_token_check *check,
			    struct emu_token_claims *claims,
			    const struct emu_tokens *tokens, const char *jwt);

/** The configured token lifetime in seconds. */
long emu_tokens_lifetime(const struct emu_tokens *tokens);

/**
 * The JSON Web Key Set of the signing key ({"keys":[{"kty":"RSA",...}]}),
 * for the OpenID discovery's jwks_uri.
 * Ownership: *out is the caller's.
 */
amlr_code emu_tokens_jwks(amlr_json **out, const struct emu_tokens *tokens);

/**
 * Remember the jti of a client assertion until @p exp: 1 when it was not
 * seen before (now remembered), 0 when it is a replay, -1 without memory.
 */
int emu_tokens_claim_jti(struct emu_tokens *tokens, const char *client_id,
			 const char *jti, long long exp);

/** The managed-identity endpoint's secret (X-IDENTITY-HEADER).  Borrowed. */
const char *emu_tokens_identity_header(const struct emu_tokens *tokens);

/* A parsed JWT (JWS compact serialisation). */
struct emu_jwt {
	amlr_json *header;
	amlr_json *claims;
	char *signing_input; /* "<header>.<claims>" as sent */
	unsigned char *sig;
	size_t sig_len;
};

#define EMU_JWT_INIT                      \
	{                                 \
		NULL, NULL, NULL, NULL, 0 \
	}

/**
 * Split and decode a JWT: three base64url parts, header and claims JSON
 * objects.
 *
 * @return AMLR_OK; AMLR_EINVAL when malformed; AMLR_EFAIL.  Either way,
 *	end with emu_tokens_jwt_release().
 */
amlr_code emu_tokens_jwt_parse(struct emu_jwt *jwt, const char *text);

/** Free what a parsed JWT holds; accepts EMU_JWT_INIT. */
void emu_tokens_jwt_release(struct emu_jwt *jwt);

/**
 * Whether the RS256 signature of @p jwt verifies with @p pkey: 1 yes,
 * 0 no (OpenSSL's error queue is cleared).
 */
int emu_tokens_jwt_verify_rs256(const struct emu_jwt *jwt, EVP_PKEY *pkey);

/** Append base64url (no padding) of @p len bytes to @p out. */
amlr_code emu_tokens_b64url(amlr_buf *out, const void *data, size_t len);

/**
 * Append the identity exports to @p out (route_identity.c):
 * AZURE_AUTHORITY_HOST, AMLR_ARM_ENDPOINT, AZURE_TENANT_ID,
 * AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_SUBSCRIPTION_ID,
 * AMLR_RESOURCE_GROUP, AMLR_LOCATION from the seed, and with
 * --managed-identity IDENTITY_ENDPOINT and IDENTITY_HEADER.
 */
amlr_code emu_identity_env(amlr_buf *out, const struct emu_world *world,
			   const char *url);

#endif
