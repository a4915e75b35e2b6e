/* SPDX-License-Identifier: MIT */
/* Shared Key: the string-to-sign of a Blob request and its HMAC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "amlr/secret.h"
#include "amlr/sharedkey.h"
#include "sharedkey_internal.h"

/* The standard headers of the string-to-sign, in order. */
static const char *const std_headers[] = {
	"Content-Encoding",
	"Content-Language",
	"Content-Length",
	"Content-MD5",
	"Content-Type",
	"Date",
	"If-Modified-Since",
	"If-Match",
	"If-None-Match",
	"If-Unmodified-Since",
	"Range",
	NULL,
};

/* A name and value, both pointing into memory owned elsewhere. */
struct pair {
	char *name;
	char *value;
};

/* --- encodings ---------------------------------------------------------- */

amlr_code amlr_sharedkey__b64_encode(amlr_buf *out, const void *data,
				     size_t len)
{
	size_t need = 4 * ((len + 2) / 3);
	int n;

	if (len > (size_t)0x3fffffff || amlr_buf_grow(out, need) != AMLR_OK)
		return AMLR_EFAIL;
	n = EVP_EncodeBlock((unsigned char *)out->ptr + out->len, data,
			    (int)len);
	out->len += (size_t)n;
	out->ptr[out->len] = '\0';
	return AMLR_OK;
}

amlr_code amlr_sharedkey__b64_decode(unsigned char **out, size_t *n,
				     const char *s)
{
	size_t len = strlen(s), pad = 0, i;
	unsigned char *p;
	int got;

	*out = NULL;
	*n = 0;
	if (len == 0 || len % 4 != 0 || len > (size_t)0x3fffffff)
		return AMLR_EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			if (i < len - 2)
				return AMLR_EINVAL;
			pad++;
		} else if (pad ||
			   !(c == '+' || c == '/' || (c >= '0' && c <= '9') ||
			     (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z'))) {
			return AMLR_EINVAL;
		}
	}
	if (!(p = malloc(len / 4 * 3 + 1)))
		return AMLR_EFAIL;
	got = EVP_DecodeBlock(p, (const unsigned char *)s, (int)len);
	if (got < 0 || (size_t)got < pad) {
		free(p);
		return AMLR_EINVAL;
	}
	*out = p;
	*n = (size_t)got - pad; /* EVP_DecodeBlock counts padding as bytes */
	return AMLR_OK;
}

amlr_code amlr_sharedkey__url_encode(amlr_buf *out, const char *s,
				     const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	char esc[3];

	for (; *s; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep && strchr(keep, c))) {
			if (amlr_buf_put(out, s, 1) != AMLR_OK)
				return AMLR_EFAIL;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (amlr_buf_put(out, esc, 3) != AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

amlr_code amlr_sharedkey__url_decode(amlr_buf *out, const char *s, size_t n,
				     int plus)
{
	size_t i;
	int hi, lo;
	char c;

	if (amlr_buf_grow(out, n) != AMLR_OK)
		return AMLR_EFAIL;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (plus && c == '+') {
			c = ' ';
		}
		if (c == '\0')
			return AMLR_EINVAL;
		out->ptr[out->len++] = c;
	}
	out->ptr[out->len] = '\0';
	return AMLR_OK;
}

/* --- canonicalization --------------------------------------------------- */

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static void pairs_free(struct pair *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++) {
		free(p[i].name);
		amlr_secret_free(p[i].value);
	}
	free(p);
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* A header value trimmed, runs of blanks outside quotes made one space. */
static char *canonical_value(const char *v)
{
	size_t n = strlen(v), i, j = 0;
	char *out;
	int quoted = 0, blank = 0;

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
			 v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (!(out = malloc(n + 1)))
		return NULL;
	for (i = 0; i < n; i++) {
		char c = v[i];
		int is_blank = c == ' ' || c == '\t' || c == '\r' || c == '\n';

		if (c == '"')
			quoted = !quoted;
		if (is_blank && !quoted) {
			blank = 1;
			continue;
		}
		if (blank)
			out[j++] = ' ';
		blank = 0;
		out[j++] = c;
	}
	out[j] = '\0';
	return out;
}

/* The value of standard header @p name among @p headers, or "". */
static const char *std_value(const char *const *headers, const char *name,
			     size_t *len)
{
	size_t n = strlen(name);
	const char *h, *v;

	for (; headers && *headers; headers++) {
		h = *headers;
		if (strncasecmp(h, name, n) != 0 || h[n] != ':')
			continue;
		v = h + n + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		*len = strlen(v);
		while (*len > 0 && (v[*len - 1] == ' ' || v[*len - 1] == '\t' ||
				    v[*len - 1] == '\r' || v[*len - 1] == '\n'))
			(*len)--;
		return v;
	}
	*len = 0;
	return "";
}

static amlr_code put_std_headers(amlr_buf *out, const char *const *headers)
{
	const char *v;
	size_t i, len;

	for (i = 0; std_headers[i]; i++) {
		v = std_value(headers, std_headers[i], &len);
		/* A zero length is signed as empty (since 2015-02-21). */
		if (strcmp(std_headers[i], "Content-Length") == 0 && len == 1 &&
		    v[0] == '0')
			len = 0;
		if (amlr_buf_put(out, v, len) != AMLR_OK ||
		    amlr_buf_put(out, "\n", 1) != AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

static amlr_code put_ms_headers(amlr_buf *out, const char *const *headers)
{
	struct pair *p = NULL;
	const char *const *h;
	const char *colon;
	size_t n = 0, cap = 0, i;
	amlr_code rc = AMLR_EFAIL;

	for (h = headers; h && *h; h++)
		cap++;
	if (cap && !(p = calloc(cap, sizeof(*p))))
		goto done;
	for (h = headers; h && *h; h++) {
		if (!(colon = strchr(*h, ':'))) {
			rc = AMLR_EINVAL;
			goto done;
		}
		if (strncasecmp(*h, "x-ms-", 5) != 0)
			continue;
		if (!(p[n].name = strndup(*h, (size_t)(colon - *h))) ||
		    !(p[n].value = canonical_value(colon + 1))) {
			n++;
			goto done;
		}
		lower(p[n].name);
		n++;
	}
	if (n)
		qsort(p, n, sizeof(*p), pair_cmp);
	for (i = 0; i < n; i++)
		if (amlr_buf_printf(out, "%s:%s\n", p[i].name, p[i].value) !=
		    AMLR_OK)
			goto done;
	rc = AMLR_OK;
done:
	pairs_free(p, n);
	return rc;
}

static amlr_code put_query(amlr_buf *out, const char *query)
{
	struct pair *p = NULL;
	amlr_buf tmp = AMLR_BUF_INIT;
	const char *s, *end, *eq;
	size_t n = 0, cap = 1, i;
	amlr_code rc = AMLR_EFAIL;

	if (!query || !*query)
		return AMLR_OK;
	for (s = query; *s; s++)
		cap += *s == '&';
	if (!(p = calloc(cap, sizeof(*p))))
		goto done;
	for (s = query; *s; s = *end ? end + 1 : end) {
		end = s + strcspn(s, "&");
		if (end == s)
			continue;
		eq = memchr(s, '=', (size_t)(end - s));
		if (!eq)
			eq = end;
		amlr_buf_clear(&tmp);
		if ((rc = amlr_sharedkey__url_decode(&tmp, s, (size_t)(eq - s),
						     1)) != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
		if (!(p[n].name = amlr_buf_detach(&tmp)))
			goto done;
		n++;
		lower(p[n - 1].name);
		if (eq < end)
			eq++;
		if ((rc = amlr_sharedkey__url_decode(
			     &tmp, eq, (size_t)(end - eq), 1)) != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
		if (!(p[n - 1].value = amlr_buf_detach(&tmp)))
			goto done;
	}
	qsort(p, n, sizeof(*p), pair_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(p[i].name, p[i - 1].name) == 0) {
			if (amlr_buf_printf(out, ",%s", p[i].value) != AMLR_OK)
				goto done;
		} else if (amlr_buf_printf(out, "\n%s:%s", p[i].name,
					   p[i].value) != AMLR_OK) {
			goto done;
		}
	}
	rc = AMLR_OK;
done:
	amlr_buf_release_secret(&tmp);
	pairs_free(p, n);
	return rc;
}

amlr_code amlr_sharedkey_string_to_sign(amlr_buf *out, const char *account,
					const char *method, const char *path,
					const char *query,
					const char *const *headers)
{
	amlr_code rc;

	if (amlr_buf_printf(out, "%s\n", method) != AMLR_OK)
		return AMLR_EFAIL;
	if ((rc = put_std_headers(out, headers)) != AMLR_OK ||
	    (rc = put_ms_headers(out, headers)) != AMLR_OK)
		return rc;
	if (amlr_buf_printf(out, "/%s%s", account, path) != AMLR_OK)
		return AMLR_EFAIL;
	return put_query(out, query);
}

/* --- signing ------------------------------------------------------------ */

int amlr_sharedkey_key_valid(const char *key)
{
	unsigned char *raw = NULL;
	size_t n = 0;
	int ok;

	ok = key && amlr_sharedkey__b64_decode(&raw, &n, key) == AMLR_OK &&
	     n > 0;
	if (raw)
		amlr_secret_wipe(raw, n);
	free(raw);
	return ok;
}

amlr_code amlr_sharedkey_hmac(char out[AMLR_SHAREDKEY_SIG_SIZE],
			      amlr_error *err, const char *key, const char *msg,
			      size_t len)
{
	unsigned char *raw = NULL, mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	size_t n = 0;
	amlr_code rc;

	out[0] = '\0';
	rc = key ? amlr_sharedkey__b64_decode(&raw, &n, key) : AMLR_EINVAL;
	if (rc == AMLR_EINVAL || (rc == AMLR_OK && n == 0)) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "the storage account key is not base64");
		goto done;
	}
	if (rc != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (n > 0x7fffffff ||
	    !HMAC(EVP_sha256(), raw, (int)n, (const unsigned char *)msg, len,
		  mac, &mlen)) {
		rc = amlr_error_set(err, AMLR_EFAIL, "HMAC-SHA256 failed");
		goto done;
	}
	EVP_EncodeBlock((unsigned char *)out, mac, (int)mlen);
	rc = AMLR_OK;
done:
	if (raw)
		amlr_secret_wipe(raw, n);
	free(raw);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

amlr_code amlr_sharedkey_authorization(char **out, amlr_error *err,
				       const char *account, const char *key,
				       const char *method, const char *path,
				       const char *query,
				       const char *const *headers)
{
	amlr_buf sts = AMLR_BUF_INIT, v = AMLR_BUF_INIT;
	char sig[AMLR_SHAREDKEY_SIG_SIZE];
	amlr_code rc;

	*out = NULL;
	rc = amlr_sharedkey_string_to_sign(&sts, account, method, path, query,
					   headers);
	if (rc != AMLR_OK) {
		amlr_error_set(err, rc,
			       rc == AMLR_EINVAL ? "invalid request header"
						 : "out of memory");
		goto done;
	}
	if ((rc = amlr_sharedkey_hmac(sig, err, key, sts.ptr, sts.len)) !=
	    AMLR_OK)
		goto done;
	if (amlr_buf_printf(&v, "SharedKey %s:%s", account, sig) != AMLR_OK ||
	    !(*out = amlr_buf_detach(&v))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_secret_wipe(sig, sizeof(sig));
	amlr_buf_release_secret(&v);
	amlr_buf_release_secret(&sts);
	return rc;
}

void amlr_http_date(char out[AMLR_HTTP_DATE_SIZE], time_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, AMLR_HTTP_DATE_SIZE,
		 "%s, %02u %s %04u %02u:%02u:%02u GMT",
		 days[(unsigned)tm.tm_wday % 7u], (unsigned)tm.tm_mday % 100u,
		 months[(unsigned)tm.tm_mon % 12u],
		 (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u);
}
