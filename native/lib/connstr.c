/* SPDX-License-Identifier: MIT */
/* Connection strings: keys, the development shortcut, the blob endpoint. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amlr/buf.h"
#include "amlr/connstr.h"
#include "amlr/secret.h"
#include "amlr/sharedkey.h"

enum key {
	K_PROTOCOL,
	K_ACCOUNT,
	K_KEY,
	K_SUFFIX,
	K_BLOB,
	K_QUEUE,
	K_TABLE,
	K_FILE,
	K_BLOB2,
	K_QUEUE2,
	K_TABLE2,
	K_FILE2,
	K_SAS,
	K_DEV,
	K_DEV_PROXY,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"DefaultEndpointsProtocol",
	"AccountName",
	"AccountKey",
	"EndpointSuffix",
	"BlobEndpoint",
	"QueueEndpoint",
	"TableEndpoint",
	"FileEndpoint",
	"BlobSecondaryEndpoint",
	"QueueSecondaryEndpoint",
	"TableSecondaryEndpoint",
	"FileSecondaryEndpoint",
	"SharedAccessSignature",
	"UseDevelopmentStorage",
	"DevelopmentStorageProxyUri",
};

struct amlr_connstr {
	char *values[K_COUNT];
	char *blob_endpoint;
};

void amlr_connstr_free(amlr_connstr *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < K_COUNT; i++)
		amlr_secret_free(cs->values[i]);
	free(cs->blob_endpoint);
	free(cs);
}

static int key_index(const char *name, size_t n)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if (strlen(key_names[i]) == n &&
		    strncasecmp(key_names[i], name, n) == 0)
			return i;
	return -1;
}

const char *amlr_connstr_get(const amlr_connstr *cs, const char *key)
{
	int i = key_index(key, strlen(key));

	return i < 0 ? NULL : cs->values[i];
}

const char *amlr_connstr_blob_endpoint(const amlr_connstr *cs)
{
	return cs->blob_endpoint;
}

const char *amlr_connstr_account(const amlr_connstr *cs)
{
	return cs->values[K_ACCOUNT];
}

const char *amlr_connstr_key(const amlr_connstr *cs)
{
	return cs->values[K_KEY];
}

const char *amlr_connstr_sas(const amlr_connstr *cs)
{
	return cs->values[K_SAS];
}

/* Strip blanks around a pair's parts, as the SDKs do. */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static amlr_code parse_pairs(amlr_connstr *cs, amlr_error *err,
			     const char *text)
{
	const char *s, *end, *eq, *v;
	size_t klen, vlen;
	int i;

	for (s = text; *s; s = *end ? end + 1 : end) {
		end = s + strcspn(s, ";");
		klen = (size_t)(end - s);
		trim(&s, &klen);
		if (klen == 0)
			continue;
		if (!(eq = memchr(s, '=', klen)))
			return amlr_error_set(
				err, AMLR_EINVAL,
				"malformed connection string: a part has no '=' (expected Key=value pairs separated by ';')");
		v = eq + 1;
		vlen = (size_t)(s + klen - v);
		klen = (size_t)(eq - s);
		trim(&s, &klen);
		trim(&v, &vlen);
		if (klen == 0)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"malformed connection string: a part has an empty key");
		if ((i = key_index(s, klen)) < 0)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"unknown connection string key '%.*s'",
				(int)(klen > 40 ? 40 : klen), s);
		if (cs->values[i])
			return amlr_error_set(
				err, AMLR_EINVAL,
				"connection string key '%s' given twice",
				key_names[i]);
		if (!(cs->values[i] = strndup(v, vlen)))
			return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	}
	return AMLR_OK;
}

/* http(s)://HOST...: "https:///" has no host (and would end up "https:"). */
static int is_http_url(const char *s)
{
	return (strncasecmp(s, "https://", 8) == 0 && s[8] && s[8] != '/') ||
	       (strncasecmp(s, "http://", 7) == 0 && s[7] && s[7] != '/');
}

/* UseDevelopmentStorage=true: the well-known account on 127.0.0.1:10000. */
static amlr_code apply_dev(amlr_connstr *cs, amlr_error *err)
{
	const char *proxy = cs->values[K_DEV_PROXY];
	amlr_buf b = AMLR_BUF_INIT;
	size_t i;

	if (strcasecmp(cs->values[K_DEV], "true") != 0)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"connection string key 'UseDevelopmentStorage' must be true");
	for (i = 0; i < K_COUNT; i++)
		if (i != K_DEV && i != K_DEV_PROXY && cs->values[i])
			return amlr_error_set(
				err, AMLR_EINVAL,
				"connection string key '%s' cannot be used with UseDevelopmentStorage",
				key_names[i]);
	if (proxy && !is_http_url(proxy))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"connection string key 'DevelopmentStorageProxyUri' is not an http(s) URL");
	if (amlr_buf_printf(&b, "%s:10000/" AMLR_DEV_ACCOUNT,
			    proxy ? proxy : "http://127.0.0.1") != AMLR_OK ||
	    !(cs->values[K_BLOB] = amlr_buf_detach(&b)) ||
	    !(cs->values[K_ACCOUNT] = strdup(AMLR_DEV_ACCOUNT)) ||
	    !(cs->values[K_KEY] = strdup(AMLR_DEV_ACCOUNT_KEY)) ||
	    !(cs->values[K_PROTOCOL] = strdup("http"))) {
		amlr_buf_release(&b);
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	}
	return AMLR_OK;
}

static amlr_code resolve_endpoint(amlr_connstr *cs, amlr_error *err)
{
	const char *proto = cs->values[K_PROTOCOL];
	const char *suffix = cs->values[K_SUFFIX];
	amlr_buf b = AMLR_BUF_INIT;
	size_t n;
	int i;

	if (proto && strcasecmp(proto, "https") != 0 &&
	    strcasecmp(proto, "http") != 0)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"connection string key 'DefaultEndpointsProtocol' must be http or https");
	for (i = K_BLOB; i <= K_FILE2; i++)
		if (cs->values[i] && !is_http_url(cs->values[i]))
			return amlr_error_set(
				err, AMLR_EINVAL,
				"connection string key '%s' is not an http(s) URL",
				key_names[i]);
	if (cs->values[K_BLOB]) {
		if (amlr_buf_puts(&b, cs->values[K_BLOB]) != AMLR_OK)
			goto oom;
	} else if (cs->values[K_ACCOUNT]) {
		if (amlr_buf_printf(
			    &b, "%s://%s.blob.%s", proto ? proto : "https",
			    cs->values[K_ACCOUNT],
			    suffix ? suffix : "core.windows.net") != AMLR_OK)
			goto oom;
	} else {
		return amlr_error_set(
			err, AMLR_EINVAL,
			"connection string has neither BlobEndpoint nor AccountName");
	}
	n = b.len;
	while (n > 0 && b.ptr[n - 1] == '/')
		b.ptr[--n] = '\0';
	b.len = n;
	if (!(cs->blob_endpoint = amlr_buf_detach(&b)))
		goto oom;
	return AMLR_OK;
oom:
	amlr_buf_release(&b);
	return amlr_error_set(err, AMLR_EFAIL, "out of memory");
}

amlr_code amlr_connstr_parse(amlr_connstr **out, amlr_error *err,
			     const char *text)
{
	amlr_connstr *cs = NULL;
	char *sas;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(cs = calloc(1, sizeof(*cs)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if ((rc = parse_pairs(cs, err, text)) != AMLR_OK)
		goto done;
	if (cs->values[K_DEV] && (rc = apply_dev(cs, err)) != AMLR_OK)
		goto done;
	rc = AMLR_EINVAL;
	if (cs->values[K_KEY] && !cs->values[K_ACCOUNT]) {
		amlr_error_set(
			err, rc,
			"connection string has an AccountKey but no AccountName");
		goto done;
	}
	if (cs->values[K_KEY] && !amlr_sharedkey_key_valid(cs->values[K_KEY])) {
		amlr_error_set(
			err, rc,
			"connection string key 'AccountKey' is not base64");
		goto done;
	}
	if (cs->values[K_ACCOUNT] && !*cs->values[K_ACCOUNT]) {
		amlr_error_set(err, rc,
			       "connection string key 'AccountName' is empty");
		goto done;
	}
	if ((sas = cs->values[K_SAS]) && sas[0] == '?')
		memmove(sas, sas + 1, strlen(sas));
	if (sas && !*sas) {
		amlr_error_set(
			err, rc,
			"connection string key 'SharedAccessSignature' is empty");
		goto done;
	}
	if ((rc = resolve_endpoint(cs, err)) != AMLR_OK)
		goto done;
	*out = cs;
	cs = NULL;
	rc = AMLR_OK;
done:
	amlr_connstr_free(cs);
	return rc;
}
