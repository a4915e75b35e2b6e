/* SPDX-License-Identifier: MIT */
/* The token cache: a 0600 JSON file, replaced atomically, writers locked. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/fileio.h"
#include "amlr/json.h"
#include "amlr/secret.h"
#include "token_cache.h"

#define CACHE_MAX (4 * 1024 * 1024)
#define CACHE_VERSION 1
#define LOCK_WAIT_MS 5000

/*
 * The cache's bytes, only from a regular file of ours that nobody else
 * can read: anything else is treated as no cache at all.
 */
static amlr_code read_cache(amlr_buf *out, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd;
	amlr_code rc = AMLR_ENOTFOUND;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return rc;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) ||
	    st.st_size > CACHE_MAX)
		goto done;
	if (amlr_buf_grow(out, (size_t)st.st_size + 1) != AMLR_OK) {
		rc = AMLR_EFAIL;
		goto done;
	}
	for (;;) {
		if (out->len + 1 >= out->cap &&
		    amlr_buf_grow(out, 4096) != AMLR_OK) {
			rc = AMLR_EFAIL;
			goto done;
		}
		n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto done;
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		if (out->len > CACHE_MAX)
			goto done;
	}
	rc = AMLR_OK;
done:
	close(fd);
	return rc;
}

/* Overwrite an entry's token in place before the entry is freed. */
static void wipe_entry(const amlr_json *entry)
{
	const char *t = amlr_json_get_str(entry, "accessToken");

	if (t)
		amlr_secret_wipe((char *)t, strlen(t));
}

static void wipe_tokens(const amlr_json *tokens)
{
	size_t i;

	for (i = 0; i < amlr_json_len(tokens); i++)
		wipe_entry(amlr_json_at(tokens, i));
}

/* The "tokens" array of a usable cache file, or NULL. */
static amlr_code load(amlr_json **doc_out, amlr_json **tokens_out,
		      const char *path)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL, *tokens;
	int64_t version;
	amlr_code rc;

	*doc_out = NULL;
	*tokens_out = NULL;
	if ((rc = read_cache(&text, path)) != AMLR_OK)
		goto done;
	rc = AMLR_ENOTFOUND;
	if (amlr_json_parse(&doc, NULL, text.ptr, text.len) != AMLR_OK)
		goto done;
	tokens = amlr_json_get(doc, "tokens");
	if (!amlr_json_int(&version, amlr_json_get(doc, "version")) ||
	    version != CACHE_VERSION ||
	    amlr_json_type_of(tokens) != AMLR_JSON_ARRAY) {
		wipe_tokens(tokens);
		goto done;
	}
	*doc_out = doc;
	*tokens_out = tokens;
	doc = NULL;
	rc = AMLR_OK;
done:
	amlr_json_free(doc);
	amlr_buf_release_secret(&text);
	return rc;
}

static int str_is(const amlr_json *entry, const char *member, const char *v)
{
	const char *s = amlr_json_get_str(entry, member);

	return s && strcmp(s, v) == 0;
}

/* An entry without "credential" (an older file) matches only "". */
static const char *credential_of(const amlr_json *entry)
{
	const char *s = amlr_json_get_str(entry, "credential");

	return s ? s : "";
}

static int matches(const amlr_json *entry, const struct token_key *key)
{
	return str_is(entry, "authority", key->authority) &&
	       str_is(entry, "tenant", key->tenant) &&
	       str_is(entry, "client", key->client) &&
	       str_is(entry, "resource", key->resource) &&
	       strcmp(credential_of(entry),
		      key->credential ? key->credential : "") == 0;
}

static int64_t expiry_of(const amlr_json *entry)
{
	int64_t v;

	return amlr_json_int(&v, amlr_json_get(entry, "expiresOn")) ? v : 0;
}

amlr_code amlr_token_cache__get(char **token_out, time_t *expires_out,
				const char *path, const struct token_key *key,
				time_t now)
{
	amlr_json *doc = NULL, *tokens, *e;
	const char *token;
	size_t i;
	amlr_code rc;

	if (token_out)
		*token_out = NULL;
	if ((rc = load(&doc, &tokens, path)) != AMLR_OK)
		goto done;
	rc = AMLR_ENOTFOUND;
	for (i = 0; i < amlr_json_len(tokens); i++) {
		e = amlr_json_at(tokens, i);
		if (!matches(e, key) ||
		    !(token = amlr_json_get_str(e, "accessToken")) || !*token ||
		    expiry_of(e) <= (int64_t)now + AMLR_TOKEN_REFRESH_MARGIN_S)
			continue;
		if (token_out && !(*token_out = strdup(token))) {
			rc = AMLR_EFAIL;
			goto done;
		}
		if (expires_out)
			*expires_out = (time_t)expiry_of(e);
		rc = AMLR_OK;
		break;
	}
done:
	if (doc)
		wipe_tokens(amlr_json_get(doc, "tokens"));
	amlr_json_free(doc);
	return rc;
}

static void sleep_10ms(void)
{
	struct timespec ts = { 0, 10 * 1000000L };

	nanosleep(&ts, NULL);
}

/* An exclusive lock on "<path>.lock", waiting a few seconds at most. */
static amlr_code lock_cache(int *fd_out, amlr_error *err, const char *path)
{
	char lock[4096];
	int fd, waited;

	*fd_out = -1;
	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock))
		return amlr_error_set(err, AMLR_EIO,
				      "token cache path too long");
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return amlr_error_set(err, AMLR_EIO, "cannot open '%s': %s",
				      lock, strerror(errno));
	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += 10) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    waited >= LOCK_WAIT_MS) {
			amlr_error_set(
				err, AMLR_EIO, "cannot lock '%s': %s", lock,
				errno == EWOULDBLOCK ? "held by another process"
						     : strerror(errno));
			close(fd);
			return AMLR_EIO;
		}
		sleep_10ms();
	}
	*fd_out = fd;
	return AMLR_OK;
}

static amlr_code new_entry(amlr_json **out, const struct token_key *key,
			   const char *token, time_t expires)
{
	amlr_json *e = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_object(&e)) != AMLR_OK ||
	    (rc = amlr_json_set_str(e, "authority", key->authority)) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(e, "tenant", key->tenant)) != AMLR_OK ||
	    (rc = amlr_json_set_str(e, "client", key->client)) != AMLR_OK ||
	    (rc = amlr_json_set_str(e, "resource", key->resource)) != AMLR_OK ||
	    (key->credential && key->credential[0] &&
	     (rc = amlr_json_set_str(e, "credential", key->credential)) !=
		     AMLR_OK) ||
	    (rc = amlr_json_set_int(e, "expiresOn", (int64_t)expires)) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(e, "accessToken", token)) != AMLR_OK) {
		amlr_json_free(e);
		return rc;
	}
	*out = e;
	return AMLR_OK;
}

/* The new file's text: the old entries still valid, minus @p key's. */
static amlr_code serialize(amlr_buf *out, const amlr_json *old_tokens,
			   const struct token_key *key, const char *token,
			   time_t expires, time_t now)
{
	amlr_json *doc = NULL, *list = NULL, *e = NULL, *keep;
	struct token_key k;
	size_t i;
	amlr_code rc;

	if ((rc = amlr_json_new_object(&doc)) != AMLR_OK ||
	    (rc = amlr_json_set_int(doc, "version", CACHE_VERSION)) !=
		    AMLR_OK ||
	    (rc = amlr_json_new_array(&list)) != AMLR_OK)
		goto done;
	for (i = 0; i < amlr_json_len(old_tokens); i++) {
		keep = amlr_json_at(old_tokens, i);
		k.authority = amlr_json_get_str(keep, "authority");
		k.tenant = amlr_json_get_str(keep, "tenant");
		k.client = amlr_json_get_str(keep, "client");
		k.resource = amlr_json_get_str(keep, "resource");
		k.credential = credential_of(keep);
		if (matches(keep, key) || expiry_of(keep) <= (int64_t)now ||
		    !amlr_json_get_str(keep, "accessToken") || !k.authority ||
		    !k.tenant || !k.client || !k.resource)
			continue;
		if ((rc = new_entry(&e, &k,
				    amlr_json_get_str(keep, "accessToken"),
				    (time_t)expiry_of(keep))) != AMLR_OK)
			goto done;
		rc = amlr_json_append(list, e); /* steals */
		e = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	if ((rc = new_entry(&e, key, token, expires)) != AMLR_OK)
		goto done;
	rc = amlr_json_append(list, e); /* steals */
	e = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = amlr_json_set(doc, "tokens", list); /* steals */
	list = NULL;
	if (rc == AMLR_OK)
		rc = amlr_json_serialize(out, doc, 0);
	if (rc == AMLR_OK)
		rc = amlr_buf_puts(out, "\n");
done:
	wipe_entry(e);
	wipe_tokens(list);
	if (doc)
		wipe_tokens(amlr_json_get(doc, "tokens"));
	amlr_json_free(e);
	amlr_json_free(list);
	amlr_json_free(doc);
	return rc;
}

amlr_code amlr_token_cache__put(amlr_error *err, const char *path,
				const struct token_key *key, const char *token,
				time_t expires, time_t now)
{
	amlr_json *old = NULL, *old_tokens = NULL;
	amlr_buf text = AMLR_BUF_INIT;
	int lock = -1;
	amlr_code rc;

	if ((rc = lock_cache(&lock, err, path)) != AMLR_OK)
		goto done;
	/* A missing or unusable file counts as empty: it is replaced. */
	if ((rc = load(&old, &old_tokens, path)) == AMLR_EFAIL ||
	    (rc = serialize(&text, old_tokens, key, token, expires, now)) !=
		    AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = amlr_file_write_atomic(err, path, text.ptr, text.len, 0600);
done:
	wipe_tokens(old_tokens);
	amlr_json_free(old);
	amlr_buf_release_secret(&text);
	if (lock >= 0)
		close(lock); /* releases the flock */
	return rc;
}
