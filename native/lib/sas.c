/* SPDX-License-Identifier: MIT */
/* Shared Access Signatures: string-to-sign, tokens, parsing, times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/sas.h"
#include "amlr/secret.h"
#include "amlr/sharedkey.h"
#include "sharedkey_internal.h"

/* Every field a SAS token may carry; the index is the field's slot. */
enum field {
	F_SV,
	F_SS,
	F_SRT,
	F_SPR,
	F_ST,
	F_SE,
	F_SIP,
	F_SI,
	F_SR,
	F_SP,
	F_SES,
	F_RSCC,
	F_RSCD,
	F_RSCE,
	F_RSCL,
	F_RSCT,
	F_SDD,
	F_SKOID,
	F_SKTID,
	F_SKT,
	F_SKE,
	F_SKS,
	F_SKV,
	F_SAOID,
	F_SUOID,
	F_SCID,
	F_SIG,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"sv",	"ss",	"srt",	 "spr",	  "st",	   "se",   "sip",
	"si",	"sr",	"sp",	 "ses",	  "rscc",  "rscd", "rsce",
	"rscl", "rsct", "sdd",	 "skoid", "sktid", "skt",  "ske",
	"sks",	"skv",	"saoid", "suoid", "scid",  "sig",
};

/* The order tokens are written in (as the vectors of the notes). */
static const enum field account_order[] = { F_SV,  F_SS,  F_SRT,  F_SP,
					    F_ST,  F_SE,  F_SIP,  F_SPR,
					    F_SES, F_SIG, F_COUNT };
static const enum field service_order[] = {
	F_SV,	F_SPR,	 F_ST,	  F_SE,	   F_SIP,  F_SI,   F_SR,
	F_SP,	F_SDD,	 F_SKOID, F_SKTID, F_SKT,  F_SKE,  F_SKS,
	F_SKV,	F_SAOID, F_SUOID, F_SCID,  F_SES,  F_RSCC, F_RSCD,
	F_RSCE, F_RSCL,	 F_RSCT,  F_SIG,   F_COUNT
};

#define ACCOUNT_PERMISSIONS "rwdxylacuptfi"
#define BLOB_PERMISSIONS "racwdxyltmeopi"

struct amlr_sas {
	char *values[F_COUNT];
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *version_of(const amlr_sas_values *v)
{
	return v->version ? v->version : AMLR_SAS_VERSION;
}

/* --- string-to-sign ----------------------------------------------------- */

amlr_code amlr_sas_account_string_to_sign(amlr_buf *out, const char *account,
					  const amlr_sas_values *v)
{
	const char *sv = version_of(v);
	amlr_code rc;

	rc = amlr_buf_printf(out, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n",
			     account, or_empty(v->permissions),
			     or_empty(v->services), or_empty(v->resource_types),
			     or_empty(v->start), or_empty(v->expiry),
			     or_empty(v->ip), or_empty(v->protocol), sv);
	/* The encryption-scope line arrived with 2020-12-06. */
	if (rc == AMLR_OK && strcmp(sv, "2020-12-06") >= 0)
		rc = amlr_buf_printf(out, "%s\n",
				     or_empty(v->encryption_scope));
	return rc;
}

amlr_code amlr_sas_service_string_to_sign(amlr_buf *out, const char *account,
					  const char *container,
					  const char *blob,
					  const amlr_sas_values *v)
{
	const char *sv = version_of(v);
	amlr_code rc;

	rc = amlr_buf_printf(out, "%s\n%s\n%s\n/blob/%s/%s%s%s\n%s\n%s\n%s\n%s",
			     or_empty(v->permissions), or_empty(v->start),
			     or_empty(v->expiry), account, container,
			     blob ? "/" : "", blob ? blob : "",
			     or_empty(v->identifier), or_empty(v->ip),
			     or_empty(v->protocol), sv);
	if (rc == AMLR_OK && strcmp(sv, "2018-11-09") >= 0)
		rc = amlr_buf_printf(out, "\n%s\n%s", or_empty(v->resource),
				     or_empty(v->snapshot));
	if (rc == AMLR_OK && strcmp(sv, "2020-12-06") >= 0)
		rc = amlr_buf_printf(out, "\n%s",
				     or_empty(v->encryption_scope));
	if (rc == AMLR_OK)
		rc = amlr_buf_printf(out, "\n%s\n%s\n%s\n%s\n%s",
				     or_empty(v->cache_control),
				     or_empty(v->content_disposition),
				     or_empty(v->content_encoding),
				     or_empty(v->content_language),
				     or_empty(v->content_type));
	return rc;
}

/* --- checks shared by making and parsing -------------------------------- */

static int only_letters(const char *s, const char *allowed)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!strchr(allowed, *s))
			return 0;
	return 1;
}

static int valid_version(const char *sv)
{
	size_t i;

	if (strlen(sv) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? sv[i] != '-'
				     : !(sv[i] >= '0' && sv[i] <= '9'))
			return 0;
	return 1;
}

static int valid_protocol(const char *spr)
{
	return strcmp(spr, "https") == 0 || strcmp(spr, "https,http") == 0;
}

/* Checks the fields common to both kinds; the message names the field. */
static amlr_code check_common(amlr_error *err, const amlr_sas_values *v,
			      const char *permissions)
{
	time_t t;

	if (!valid_version(version_of(v)))
		return amlr_error_set(err, AMLR_EINVAL,
				      "invalid SAS version (sv) '%s'",
				      version_of(v));
	/* An empty si names no policy: it must not waive se and sp. */
	if (v->identifier && !*v->identifier)
		return amlr_error_set(err, AMLR_EINVAL,
				      "SAS stored access policy (si) is empty");
	if (!v->identifier && (!v->expiry || !*v->expiry))
		return amlr_error_set(err, AMLR_EINVAL,
				      "SAS has no expiry (se)");
	if (!v->identifier && !only_letters(v->permissions, permissions))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid SAS permissions (sp) '%s': expected letters of '%s'",
			or_empty(v->permissions), permissions);
	if (v->permissions && v->identifier &&
	    !only_letters(v->permissions, permissions))
		return amlr_error_set(err, AMLR_EINVAL,
				      "invalid SAS permissions (sp) '%s'",
				      v->permissions);
	if (v->start && amlr_sas_parse_time(&t, v->start) != AMLR_OK)
		return amlr_error_set(err, AMLR_EINVAL,
				      "invalid SAS start time (st) '%s'",
				      v->start);
	if (v->expiry && amlr_sas_parse_time(&t, v->expiry) != AMLR_OK)
		return amlr_error_set(err, AMLR_EINVAL,
				      "invalid SAS expiry time (se) '%s'",
				      v->expiry);
	if (v->protocol && !valid_protocol(v->protocol))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid SAS protocol (spr) '%s': expected https or https,http",
			v->protocol);
	return AMLR_OK;
}

static amlr_code check_account(amlr_error *err, const amlr_sas_values *v)
{
	amlr_code rc;

	/*
	 * Stored access policies are a service SAS's: the account
	 * string-to-sign has no si (notes/auth-storage.md §3.3).
	 */
	if (v->identifier)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"an account SAS cannot name a stored access policy (si)");
	if ((rc = check_common(err, v, ACCOUNT_PERMISSIONS)) != AMLR_OK)
		return rc;
	if (!only_letters(v->services, "bqtf"))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid SAS services (ss) '%s': expected letters of 'bqtf'",
			or_empty(v->services));
	if (!only_letters(v->resource_types, "sco"))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid SAS resource types (srt) '%s': expected letters of 'sco'",
			or_empty(v->resource_types));
	return AMLR_OK;
}

static amlr_code check_service(amlr_error *err, const amlr_sas_values *v)
{
	static const char *const resources[] = {
		"b", "c", "bs", "bv", "d", NULL
	};
	const char *const *r;
	amlr_code rc;

	if ((rc = check_common(err, v, BLOB_PERMISSIONS)) != AMLR_OK)
		return rc;
	for (r = resources; *r && v->resource; r++)
		if (strcmp(*r, v->resource) == 0)
			break;
	if (!v->resource || !*r)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid SAS signed resource (sr) '%s': expected b, c, bs, bv or d",
			or_empty(v->resource));
	return AMLR_OK;
}

/* --- making tokens ------------------------------------------------------ */

/* The value of field @p f in @p v (sv defaulted). */
static const char *value_of(const amlr_sas_values *v, enum field f)
{
	switch (f) {
	case F_SV:
		return version_of(v);
	case F_SS:
		return v->services;
	case F_SRT:
		return v->resource_types;
	case F_SPR:
		return v->protocol;
	case F_ST:
		return v->start;
	case F_SE:
		return v->expiry;
	case F_SIP:
		return v->ip;
	case F_SI:
		return v->identifier;
	case F_SR:
		return v->resource;
	case F_SP:
		return v->permissions;
	case F_SES:
		return v->encryption_scope;
	case F_RSCC:
		return v->cache_control;
	case F_RSCD:
		return v->content_disposition;
	case F_RSCE:
		return v->content_encoding;
	case F_RSCL:
		return v->content_language;
	case F_RSCT:
		return v->content_type;
	default:
		return NULL;
	}
}

/* Append "name=value" pairs in @p order, skipping absent fields. */
static amlr_code put_fields(amlr_buf *out, const enum field *order,
			    const char *const *values)
{
	size_t i;

	for (i = 0; order[i] != F_COUNT; i++) {
		if (!values[order[i]])
			continue;
		if (amlr_buf_printf(out, "%s%s=", out->len ? "&" : "",
				    field_names[order[i]]) != AMLR_OK ||
		    amlr_sharedkey__url_encode(out, values[order[i]], NULL) !=
			    AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

static amlr_code make_token(char **out, amlr_error *err, const char *key,
			    const amlr_buf *sts, const amlr_sas_values *v,
			    const enum field *order)
{
	const char *values[F_COUNT];
	char sig[AMLR_SHAREDKEY_SIG_SIZE];
	amlr_buf q = AMLR_BUF_INIT;
	size_t i;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_sharedkey_hmac(sig, err, key, sts->ptr, sts->len)) !=
	    AMLR_OK)
		goto done;
	for (i = 0; i < F_COUNT; i++)
		values[i] = value_of(v, (enum field)i);
	values[F_SIG] = sig;
	rc = AMLR_EFAIL;
	if (put_fields(&q, order, values) != AMLR_OK ||
	    !(*out = amlr_buf_detach(&q))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_secret_wipe(sig, sizeof(sig));
	amlr_buf_release_secret(&q);
	return rc;
}

amlr_code amlr_sas_account_new(char **out, amlr_error *err, const char *account,
			       const char *key, const amlr_sas_values *v)
{
	amlr_buf sts = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if ((rc = check_account(err, v)) != AMLR_OK)
		goto done;
	if ((rc = amlr_sas_account_string_to_sign(&sts, account, v)) !=
	    AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	rc = make_token(out, err, key, &sts, v, account_order);
done:
	amlr_buf_release_secret(&sts);
	return rc;
}

amlr_code amlr_sas_service_new(char **out, amlr_error *err, const char *account,
			       const char *key, const char *container,
			       const char *blob, const amlr_sas_values *v)
{
	amlr_sas_values w = *v;
	amlr_buf sts = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if (!w.resource)
		w.resource = blob ? "b" : "c";
	if ((rc = check_service(err, &w)) != AMLR_OK)
		goto done;
	if ((rc = amlr_sas_service_string_to_sign(&sts, account, container,
						  blob, &w)) != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	rc = make_token(out, err, key, &sts, &w, service_order);
done:
	amlr_buf_release_secret(&sts);
	return rc;
}

/* --- parsing ------------------------------------------------------------ */

void amlr_sas_free(amlr_sas *sas)
{
	size_t i;

	if (!sas)
		return;
	for (i = 0; i < F_COUNT; i++)
		amlr_secret_free(sas->values[i]);
	free(sas);
}

static int field_index(const char *name)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (strcmp(field_names[i], name) == 0)
			return i;
	return -1;
}

const char *amlr_sas_get(const amlr_sas *sas, const char *name)
{
	int i = field_index(name);

	return i < 0 ? NULL : sas->values[i];
}

int amlr_sas_is_account(const amlr_sas *sas)
{
	return sas->values[F_SR] == NULL;
}

void amlr_sas_values_of(amlr_sas_values *out, const amlr_sas *sas)
{
	const amlr_sas_values init = AMLR_SAS_VALUES_INIT;

	*out = init;
	out->version = sas->values[F_SV];
	out->permissions = sas->values[F_SP];
	out->start = sas->values[F_ST];
	out->expiry = sas->values[F_SE];
	out->ip = sas->values[F_SIP];
	out->protocol = sas->values[F_SPR];
	out->services = sas->values[F_SS];
	out->resource_types = sas->values[F_SRT];
	out->resource = sas->values[F_SR];
	out->identifier = sas->values[F_SI];
	out->encryption_scope = sas->values[F_SES];
	out->cache_control = sas->values[F_RSCC];
	out->content_disposition = sas->values[F_RSCD];
	out->content_encoding = sas->values[F_RSCE];
	out->content_language = sas->values[F_RSCL];
	out->content_type = sas->values[F_RSCT];
}

/* Split one "name=value" argument; sets *slot to the decoded value. */
static amlr_code parse_arg(amlr_sas *sas, amlr_error *err, const char *s,
			   size_t n, unsigned flags)
{
	amlr_buf name = AMLR_BUF_INIT, value = AMLR_BUF_INIT;
	const char *eq = memchr(s, '=', n);
	size_t nlen = eq ? (size_t)(eq - s) : n;
	int i;
	amlr_code rc;

	if ((rc = amlr_sharedkey__url_decode(&name, s, nlen, 1)) != AMLR_OK) {
		amlr_error_set(err, rc, "invalid SAS token");
		goto done;
	}
	i = name.ptr ? field_index(name.ptr) : -1;
	if (i < 0) {
		if (flags & AMLR_SAS_STRICT)
			rc = amlr_error_set(err, AMLR_EINVAL,
					    "unknown SAS field '%.40s'",
					    name.ptr ? name.ptr : "");
		goto done;
	}
	if (sas->values[i]) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "SAS field '%s' given twice",
				    field_names[i]);
		goto done;
	}
	if (eq && (rc = amlr_sharedkey__url_decode(&value, eq + 1, n - nlen - 1,
						   1)) != AMLR_OK) {
		amlr_error_set(err, rc, "invalid SAS field '%s'",
			       field_names[i]);
		goto done;
	}
	if (amlr_buf_put(&value, "", 0) != AMLR_OK ||
	    !(sas->values[i] = amlr_buf_detach(&value))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_buf_release(&name);
	amlr_buf_release_secret(&value);
	return rc;
}

amlr_code amlr_sas_parse(amlr_sas **out, amlr_error *err, const char *query,
			 unsigned flags)
{
	amlr_sas *sas = NULL;
	amlr_sas_values v;
	unsigned char *raw = NULL;
	const char *s, *end;
	size_t n = 0;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(sas = calloc(1, sizeof(*sas)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (query[0] == '?')
		query++;
	for (s = query; *s; s = *end ? end + 1 : end) {
		end = s + strcspn(s, "&");
		if (end > s && (rc = parse_arg(sas, err, s, (size_t)(end - s),
					       flags)) != AMLR_OK)
			goto done;
	}
	rc = AMLR_EINVAL;
	if (!sas->values[F_SIG] || !*sas->values[F_SIG]) {
		amlr_error_set(err, rc, "SAS has no signature (sig)");
		goto done;
	}
	if (!sas->values[F_SV]) {
		amlr_error_set(err, rc, "SAS has no version (sv)");
		goto done;
	}
	if (amlr_sharedkey__b64_decode(&raw, &n, sas->values[F_SIG]) !=
	    AMLR_OK) {
		amlr_error_set(err, rc, "SAS signature (sig) is not base64");
		goto done;
	}
	amlr_sas_values_of(&v, sas);
	if (sas->values[F_SR] && (sas->values[F_SS] || sas->values[F_SRT])) {
		amlr_error_set(
			err, rc,
			"SAS has both sr and ss/srt: neither a service nor an account SAS");
		goto done;
	}
	if (!sas->values[F_SR] && !sas->values[F_SS] && !sas->values[F_SRT]) {
		amlr_error_set(
			err, rc,
			"SAS has no signed resource (sr) nor services (ss)");
		goto done;
	}
	if ((rc = sas->values[F_SR] ? check_service(err, &v)
				    : check_account(err, &v)) != AMLR_OK)
		goto done;
	*out = sas;
	sas = NULL;
	rc = AMLR_OK;
done:
	free(raw);
	amlr_sas_free(sas);
	return rc;
}

amlr_code amlr_sas_to_query(char **out, const amlr_sas *sas)
{
	amlr_buf q = AMLR_BUF_INIT;

	*out = NULL;
	if (put_fields(&q, sas->values[F_SR] ? service_order : account_order,
		       (const char *const *)sas->values) != AMLR_OK ||
	    !(*out = amlr_buf_detach(&q))) {
		amlr_buf_release_secret(&q);
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* --- times -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* @p n digits at @p s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

amlr_code amlr_sas_parse_time(time_t *out, const char *t)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, s = 0;
	size_t len = strlen(t);
	const char *p;

	if (len < 10 || t[4] != '-' || t[7] != '-' ||
	    (y = digits(t, 4)) < 1970 || (mo = digits(t + 5, 2)) < 1 ||
	    mo > 12 || (d = digits(t + 8, 2)) < 1 || d > mdays[mo - 1])
		return AMLR_EINVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0)))
		return AMLR_EINVAL;
	p = t + 10;
	if (*p) {
		if (len < 17 || p[0] != 'T' || p[3] != ':' ||
		    (h = digits(p + 1, 2)) < 0 || h > 23 ||
		    (mi = digits(p + 4, 2)) < 0 || mi > 59)
			return AMLR_EINVAL;
		p += 6;
		if (*p == ':') {
			if ((s = digits(p + 1, 2)) < 0 || s > 59)
				return AMLR_EINVAL;
			p += 3;
			if (*p == '.') {
				p++;
				if (*p < '0' || *p > '9')
					return AMLR_EINVAL;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (strcmp(p, "Z") != 0)
			return AMLR_EINVAL;
	}
	*out = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
			h * 3600 + mi * 60 + s);
	return AMLR_OK;
}

void amlr_sas_format_time(char out[AMLR_SAS_TIME_SIZE], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, AMLR_SAS_TIME_SIZE, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u);
}

amlr_code amlr_sas_check_time(amlr_error *err, const amlr_sas *sas, time_t now,
			      long margin_s)
{
	time_t t;

	if (sas->values[F_ST] &&
	    amlr_sas_parse_time(&t, sas->values[F_ST]) == AMLR_OK && now < t)
		return amlr_error_set(err, AMLR_EAUTH,
				      "SAS not valid before %s",
				      sas->values[F_ST]);
	if (sas->values[F_SE] &&
	    amlr_sas_parse_time(&t, sas->values[F_SE]) == AMLR_OK &&
	    now + margin_s >= t)
		return amlr_error_set(err, AMLR_EAUTH, "SAS %s at %s",
				      now >= t ? "expired"
					       : "expires within the margin",
				      sas->values[F_SE]);
	return AMLR_OK;
}
