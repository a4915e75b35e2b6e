/* SPDX-License-Identifier: MIT */
/* Fuzz the token parsers: JWT claims, token replies, expiry times. */
#include "fuzz.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/credential.h"
#include "amlr/json.h"
#include "amlr/secret.h"
#include "credential_internal.h"
#include "jwt.h"
#include "token_cache.h"
#include "tokens.h"

/* The time every reply is read at: 2023-11-14T22:13:20Z. */
#define FUZZ_NOW ((time_t)1700000000)

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The token cache file, rewritten per input, in a private directory. */
static char cache_dir[] = "/tmp/amlr-fuzz-token-XXXXXX";
static char cache_path[sizeof(cache_dir) + 16];
static char lock_path[sizeof(cache_dir) + 32];

static const struct token_key cache_key = {
	"https://login.microsoftonline.com/", "tenant", "client",
	"https://management.azure.com/", ""
};

static void cleanup(void)
{
	unlink(cache_path);
	unlink(lock_path);
	rmdir(cache_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(mkdtemp(cache_dir) != NULL);
	snprintf(cache_path, sizeof(cache_path), "%s/tokens.json", cache_dir);
	snprintf(lock_path, sizeof(lock_path), "%s.lock", cache_path);
	atexit(cleanup);
	return 0;
}

/* The input as a token cache file (0600): read it, then merge into it. */
static void token_cache(const uint8_t *data, size_t size)
{
	amlr_error err = AMLR_ERROR_INIT;
	char *token = NULL;
	time_t expires;
	int fd;

	unlink(cache_path);
	fd = open(cache_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(close(fd) == 0);
	if (amlr_token_cache__get(&token, &expires, cache_path, &cache_key,
				  FUZZ_NOW) == AMLR_OK)
		FUZZ_CHECK(token && expires > FUZZ_NOW);
	amlr_secret_free(token);
	token = NULL;
	/*
	 * A put keeps what it can of the file and adds its token.  It
	 * fsync()s: one input in 16 (by its size, so that a reproducer does
	 * the same) keeps the harness fast.
	 */
	if (size % 16 == 0 &&
	    amlr_token_cache__put(&err, cache_path, &cache_key, "new-token",
				  FUZZ_NOW + 3600, FUZZ_NOW) == AMLR_OK) {
		FUZZ_CHECK(amlr_token_cache__get(&token, &expires, cache_path,
						 &cache_key,
						 FUZZ_NOW) == AMLR_OK);
		FUZZ_CHECK(strcmp(token, "new-token") == 0 &&
			   expires == FUZZ_NOW + 3600);
	}
	amlr_secret_free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	amlr_json *claims = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf raw = AMLR_BUF_INIT;
	struct emu_jwt jwt = EMU_JWT_INIT;
	char *text = fuzz_strdup(data, size), *token = NULL;
	time_t expires = 0, t;
	amlr_code rc;

	if (!text)
		return 0;
	/* A JWT, as the CLI shows an access token's claims. */
	rc = amlr_jwt__claims(&claims, &err, text);
	FUZZ_CHECK(rc == AMLR_OK ? claims != NULL : claims == NULL);
	amlr_json_free(claims);
	claims = NULL;
	rc = amlr_credential_token_claims(&claims, &err, text);
	FUZZ_CHECK(rc == AMLR_OK ? claims != NULL : claims == NULL);
	amlr_json_free(claims);
	/* The same as the emulator reads a bearer token or an assertion. */
	(void)emu_tokens_jwt_parse(&jwt, text);
	emu_tokens_jwt_release(&jwt);
	/* base64url, as the JWT's parts are decoded. */
	(void)amlr_jwt__b64url_decode(&raw, text, size);
	amlr_buf_release_secret(&raw);
	/* A token reply of Entra ID or a managed identity (bytes, not C). */
	rc = amlr_credential__parse_reply(&token, &expires, &err, "fuzz",
					  (const char *)data, size, FUZZ_NOW);
	FUZZ_CHECK(rc == AMLR_OK ? token != NULL && *token : token == NULL);
	amlr_secret_free(token);
	/* An expiry as the services write it. */
	(void)amlr_credential__parse_time(&t, text);
	token_cache(data, size);
	free(text);
	return 0;
}
