/* SPDX-License-Identifier: MIT */
/* The token cache file shared by amlretrain processes (0600, locked). */
#ifndef AMLR_TOKEN_CACHE_H
#define AMLR_TOKEN_CACHE_H

#include <time.h>

#include "amlr/error.h"

/* Tokens are refreshed when fewer seconds than this remain. */
#define AMLR_TOKEN_REFRESH_MARGIN_S 300

/* What a cached token is for; every member non-NULL ("" when unused). */
struct token_key {
	const char *authority; /* identity service (or managed-identity URL) */
	const char *tenant;
	const char *client;
	const char *resource; /* v1 form: "https://management.azure.com/" */
	const char *credential; /* a fingerprint of the secret, or "" */
};

/*
 * The file is one JSON object, {"version":1,"tokens":[{"authority",
 * "tenant","client","resource","expiresOn":EPOCH,"accessToken"}, ...]},
 * written atomically with mode 0600.  A file that is not a regular file
 * owned by the user with mode 0600, or does not parse, is ignored (and
 * replaced by the next put).  Writers take an exclusive flock() on
 * "<path>.lock" around read-merge-write, so that concurrent processes
 * never lose each other's tokens; readers need no lock because the file
 * is only ever replaced whole.
 */

/*
 * The token for @p key if it is valid for more than
 * AMLR_TOKEN_REFRESH_MARGIN_S seconds after @p now.
 *
 * @param[out] token_out the token (amlr_secret_free()); may be NULL
 * @param[out] expires_out its expiry; may be NULL
 * @return AMLR_OK; AMLR_ENOTFOUND (none, expiring, or no usable file);
 *	AMLR_EFAIL without memory
 */
amlr_code amlr_token_cache__get(char **token_out, time_t *expires_out,
				const char *path, const struct token_key *key,
				time_t now);

/*
 * Store @p token for @p key (replacing the key's previous token) and drop
 * expired entries.
 *
 * @return AMLR_OK; AMLR_EIO (the file or its lock cannot be written: the
 *	cache is then left as it was); AMLR_EFAIL
 */
amlr_code amlr_token_cache__put(amlr_error *err, const char *path,
				const struct token_key *key, const char *token,
				time_t expires, time_t now);

#endif
