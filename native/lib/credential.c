/* SPDX-License-Identifier: MIT */
/* The credential chain, service principals (secret, certificate, workload
 * identity) against Entra ID, and the token caches in memory and on disk. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "amlr/credential.h"
#include "amlr/fileio.h"
#include "amlr/json.h"
#include "amlr/secret.h"
#include "credential_internal.h"
#include "http_internal.h"
#include "jwt.h"
#include "token_cache.h"

#define DEFAULT_AUTHORITY "https://login.microsoftonline.com/"
#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define FEDERATED_TOKEN_MAX (64 * 1024)
#define EXPIRES_IN_MAX_S (10LL * 366 * 24 * 3600)

static const char *const no_source_msg =
	"no credentials found: set AMLR_ACCESS_TOKEN; or AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE; or run where a managed identity is available; or sign in with 'az login'";

/* The string members of the options, in the order of cred->str[]. */
static const char **string_opt(amlr_credential_opts *o, int i)
{
	const char **all[CRED_NSTR] = {
		&o->authority_host,
		&o->tenant_id,
		&o->client_id,
		&o->client_secret,
		&o->certificate_path,
		&o->certificate_password,
		&o->federated_token_file,
		&o->access_token,
		&o->identity_endpoint,
		&o->identity_header,
		&o->msi_endpoint,
		&o->msi_secret,
		&o->imds_env_endpoint,
		&o->managed_identity_client_id,
		&o->imds_endpoint,
		&o->arc_agent_file,
		&o->arc_key_dir,
		&o->az_path,
		&o->cache_path,
	};

	return all[i];
}

static int set(const char *s)
{
	return s && *s;
}

/* --- parsing replies ---------------------------------------------------- */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int utc_time(time_t *out, int y, int mo, int d, int h, int mi, int s,
		    int offset_min)
{
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	*out = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
			h * 3600 + mi * 60 + s - offset_min * 60);
	return 1;
}

/* "Z", "+hh:mm", "-hhmm", "GMT", "UTC" or nothing (UTC): minutes east. */
static int zone_offset(int *out, const char *z)
{
	int hh, mm = 0, n = 0;

	while (*z == ' ')
		z++;
	if (!*z || strcmp(z, "Z") == 0 || strcmp(z, "GMT") == 0 ||
	    strcmp(z, "UTC") == 0) {
		*out = 0;
		return 1;
	}
	if ((*z != '+' && *z != '-') ||
	    (sscanf(z + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 &&
	     sscanf(z + 1, "%2d%2d%n", &hh, &mm, &n) != 2) ||
	    z[1 + n] != '\0')
		return 0;
	*out = (*z == '-' ? -1 : 1) * (hh * 60 + mm);
	return 1;
}

int amlr_credential__parse_time(time_t *out, const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int y, mo, d, h, mi, sec, n = 0, off;
	char ampm[3], mon[4], wday[4];
	const char *p;
	long long v;
	char *end;

	if (!s)
		return 0;
	while (*s == ' ')
		s++;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && *end == '\0' && v > 0) {
			*out = (time_t)v;
			return 1;
		}
	}
	/* RFC 3339, with 'T' or a space, optional fraction and zone. */
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
		   &sec, &n) == 6 &&
	    n > 0) {
		p = s + n;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		return zone_offset(&off, p) &&
		       utc_time(out, y, mo, d, h, mi, sec, off);
	}
	/* App Service 2017: "09/14/2017 00:00:00 PM +00:00". */
	n = 0;
	if (sscanf(s, "%2d/%2d/%4d %2d:%2d:%2d %2[AMPamp]%n", &mo, &d, &y, &h,
		   &mi, &sec, ampm, &n) == 7 &&
	    n > 0) {
		if (h == 12)
			h = 0;
		if (ampm[0] == 'P' || ampm[0] == 'p')
			h += 12;
		return zone_offset(&off, s + n) &&
		       utc_time(out, y, mo, d, h, mi, sec, off);
	}
	/* RFC 1123: "Thu, 14 Sep 2017 12:00:00 GMT". */
	n = 0;
	if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d%n", wday, &d, mon, &y, &h,
		   &mi, &sec, &n) == 7 &&
	    n > 0 && (p = strstr(months, mon)) && (p - months) % 3 == 0)
		return zone_offset(&off, s + n) &&
		       utc_time(out, y, (int)((p - months) / 3) + 1, d, h, mi,
				sec, off);
	return 0;
}

/* A number given as a JSON number or as a string of digits. */
static int json_number(int64_t *out, const amlr_json *v)
{
	const char *s = amlr_json_str(v);
	char *end;
	long long n;

	if (amlr_json_int(out, v))
		return 1;
	if (amlr_json_type_of(v) == AMLR_JSON_DOUBLE) {
		amlr_buf b = AMLR_BUF_INIT;
		double dv;
		int ok;

		/* "3599.0" is rare but legal JSON */
		ok = amlr_json_serialize(&b, v, 0) == AMLR_OK &&
		     sscanf(b.ptr, "%lf", &dv) == 1 && dv >= 0 && dv < 1e15;
		amlr_buf_release(&b);
		if (ok)
			*out = (int64_t)dv;
		return ok;
	}
	if (!s || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end)
		return 0;
	*out = n;
	return 1;
}

amlr_code amlr_credential__parse_reply(char **token_out, time_t *expires_out,
				       amlr_error *err, const char *what,
				       const char *body, size_t len, time_t now)
{
	amlr_json *doc = NULL, *v;
	const char *token;
	int64_t n;
	time_t exp = 0;
	amlr_code rc = AMLR_ESERVER;

	*token_out = NULL;
	if (amlr_json_parse(&doc, NULL, body, len) != AMLR_OK ||
	    amlr_json_type_of(doc) != AMLR_JSON_OBJECT) {
		amlr_error_set(err, rc, "%s: the token reply is not JSON",
			       what);
		goto done;
	}
	token = amlr_json_get_str(doc, "access_token");
	if (!token || !*token) {
		amlr_error_set(err, rc, "%s: the reply has no access_token",
			       what);
		goto done;
	}
	if ((v = amlr_json_get(doc, "expires_in")) && json_number(&n, v) &&
	    n >= 0) {
		/* Ten years at most: now + n must not overflow. */
		if (n > EXPIRES_IN_MAX_S) {
			amlr_error_set(err, rc,
				       "%s: the token's expires_in is out of "
				       "range",
				       what);
			goto done;
		}
		exp = now + (time_t)n;
	} else if ((v = amlr_json_get(doc, "expires_on"))) {
		if (!(json_number(&n, v) && n > 0 && (exp = (time_t)n)) &&
		    !amlr_credential__parse_time(&exp, amlr_json_str(v))) {
			amlr_error_set(err, rc,
				       "%s: cannot read the token's expires_on",
				       what);
			goto done;
		}
	} else {
		amlr_error_set(
			err, rc,
			"%s: the reply has neither expires_in nor expires_on",
			what);
		goto done;
	}
	if (!(*token_out = strdup(token))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (expires_out)
		*expires_out = exp;
	rc = AMLR_OK;
done:
	if ((token = amlr_json_get_str(doc, "access_token")))
		amlr_secret_wipe((char *)token, strlen(token));
	if ((token = amlr_json_get_str(doc, "refresh_token")))
		amlr_secret_wipe((char *)token, strlen(token));
	amlr_json_free(doc);
	return rc;
}

amlr_code amlr_credential__form_add(amlr_buf *b, const char *name,
				    const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char pct[3] = { '%', 0, 0 };
	amlr_code rc = AMLR_OK;

	if (b->len)
		rc = amlr_buf_puts(b, "&");
	if (rc == AMLR_OK)
		rc = amlr_buf_puts(b, name);
	if (rc == AMLR_OK)
		rc = amlr_buf_puts(b, "=");
	for (p = (const unsigned char *)value; rc == AMLR_OK && *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			rc = amlr_buf_put(b, p, 1);
		} else {
			pct[1] = hex[*p >> 4];
			pct[2] = hex[*p & 15];
			rc = amlr_buf_put(b, pct, 3);
		}
	}
	amlr_secret_wipe(pct, sizeof(pct));
	return rc;
}

/* --- making a credential ------------------------------------------------ */

static int allowed(const amlr_credential_opts *o, amlr_credential_kind k)
{
	return !o->chain || (o->chain & AMLR_CRED_BIT(k));
}

static enum mi_source detect_mi(const amlr_credential_opts *o)
{
	struct stat st;

	if (set(o->identity_endpoint) && set(o->identity_header))
		return MI_APP_SERVICE;
	if (set(o->msi_endpoint))
		return set(o->msi_secret) ? MI_MSI_2017 : MI_CLOUD_SHELL;
	if ((set(o->identity_endpoint) && set(o->imds_env_endpoint)) ||
	    stat(o->arc_agent_file ? o->arc_agent_file
				   : "/opt/azcmagent/bin/himds",
		 &st) == 0)
		return MI_ARC;
	return MI_IMDS;
}

/* The kind the settings select; AMLR_CRED_CHAIN: probe IMDS. */
static amlr_code resolve(amlr_credential *c, amlr_error *err)
{
	const amlr_credential_opts *o = &c->o;
	int sp = set(o->tenant_id) && set(o->client_id);

	c->mi = detect_mi(o);
	switch (o->kind) {
	case AMLR_CRED_CHAIN:
		break;
	case AMLR_CRED_TOKEN:
		if (!set(o->access_token))
			return amlr_error_set(err, AMLR_EAUTH,
					      "no access token was given");
		c->kind = o->kind;
		return AMLR_OK;
	case AMLR_CRED_CLIENT_SECRET:
	case AMLR_CRED_CLIENT_CERTIFICATE:
	case AMLR_CRED_WORKLOAD_IDENTITY:
		if (!sp ||
		    (o->kind == AMLR_CRED_CLIENT_SECRET &&
		     !set(o->client_secret)) ||
		    (o->kind == AMLR_CRED_CLIENT_CERTIFICATE &&
		     !set(o->certificate_path)) ||
		    (o->kind == AMLR_CRED_WORKLOAD_IDENTITY &&
		     !set(o->federated_token_file)))
			return amlr_error_set(
				err, AMLR_EAUTH,
				"a service principal needs AZURE_TENANT_ID, AZURE_CLIENT_ID and %s",
				o->kind == AMLR_CRED_CLIENT_SECRET
					? "AZURE_CLIENT_SECRET"
				: o->kind == AMLR_CRED_CLIENT_CERTIFICATE
					? "AZURE_CLIENT_CERTIFICATE_PATH"
					: "AZURE_FEDERATED_TOKEN_FILE");
		c->kind = o->kind;
		return AMLR_OK;
	case AMLR_CRED_MANAGED_IDENTITY:
	case AMLR_CRED_AZURE_CLI:
		c->kind = o->kind;
		return AMLR_OK;
	default:
		return amlr_error_set(err, AMLR_EINVAL,
				      "unknown credential kind %d",
				      (int)o->kind);
	}
	if (allowed(o, AMLR_CRED_TOKEN) && set(o->access_token))
		c->kind = AMLR_CRED_TOKEN;
	else if (allowed(o, AMLR_CRED_CLIENT_SECRET) && sp &&
		 set(o->client_secret))
		c->kind = AMLR_CRED_CLIENT_SECRET;
	else if (allowed(o, AMLR_CRED_CLIENT_CERTIFICATE) && sp &&
		 set(o->certificate_path))
		c->kind = AMLR_CRED_CLIENT_CERTIFICATE;
	else if (allowed(o, AMLR_CRED_WORKLOAD_IDENTITY) && sp &&
		 set(o->federated_token_file))
		c->kind = AMLR_CRED_WORKLOAD_IDENTITY;
	else if (allowed(o, AMLR_CRED_MANAGED_IDENTITY) && c->mi != MI_IMDS)
		c->kind = AMLR_CRED_MANAGED_IDENTITY;
	else if (allowed(o, AMLR_CRED_MANAGED_IDENTITY))
		c->kind = AMLR_CRED_CHAIN; /* probe IMDS first */
	else if (allowed(o, AMLR_CRED_AZURE_CLI))
		c->kind = AMLR_CRED_AZURE_CLI;
	else
		return amlr_error_set(err, AMLR_EAUTH, "%s", no_source_msg);
	c->probe_cli = allowed(o, AMLR_CRED_AZURE_CLI);
	return AMLR_OK;
}

/* Tenants go into URL paths: a GUID or a domain name, nothing else. */
static int valid_tenant(const char *t)
{
	if (!set(t))
		return 1;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t) && *t != '-' && *t != '.' &&
		    *t != '_')
			return 0;
	return 1;
}

amlr_code amlr_credential_new(amlr_credential **out, amlr_error *err,
			      const amlr_credential_opts *opts)
{
	amlr_credential *c = NULL;
	const char **s;
	amlr_code rc = AMLR_EFAIL;
	int i;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	c->o = *opts;
	for (i = 0; i < CRED_NSTR; i++) {
		s = string_opt(&c->o, i);
		if (*s && !(*s = c->str[i] = strdup(*s))) {
			amlr_error_set(err, rc, "out of memory");
			goto done;
		}
	}
	if (!set(c->o.authority_host)) {
		c->o.authority_host = DEFAULT_AUTHORITY;
	} else if (c->o.authority_host[strlen(c->o.authority_host) - 1] !=
		   '/') {
		/* One spelling per authority: it keys the cache.  str[0] is
		 * the copy of authority_host (string_opt()). */
		size_t n = strlen(c->str[0]);
		char *slashed = malloc(n + 2);

		if (!slashed) {
			amlr_error_set(err, rc, "out of memory");
			goto done;
		}
		memcpy(slashed, c->str[0], n);
		slashed[n] = '/';
		slashed[n + 1] = '\0';
		free(c->str[0]);
		c->o.authority_host = c->str[0] = slashed;
	}
	if (!valid_tenant(c->o.tenant_id)) {
		rc = amlr_error_set(err, AMLR_EINVAL, "invalid tenant id '%s'",
				    c->o.tenant_id);
		goto done;
	}
	if ((rc = resolve(c, err)) != AMLR_OK)
		goto done;
	*out = c;
	c = NULL;
done:
	amlr_credential_free(c);
	return rc;
}

void amlr_credential_free(amlr_credential *cred)
{
	size_t i;

	if (!cred)
		return;
	for (i = 0; i < CRED_NSTR; i++)
		amlr_secret_free(cred->str[i]);
	for (i = 0; i < cred->nmem; i++) {
		free(cred->mem[i].resource);
		amlr_secret_free(cred->mem[i].token);
	}
	free(cred->mem);
	amlr_jwt__signer_free(cred->signer);
	free(cred);
}

const amlr_error *amlr_credential_error(const amlr_credential *cred)
{
	return &cred->err;
}

amlr_credential_kind amlr_credential_kind_of(const amlr_credential *cred)
{
	return cred->kind;
}

const char *amlr_credential_source(const amlr_credential *cred)
{
	static const char *const mi[] = {
		"managed identity (IDENTITY_ENDPOINT)",
		"managed identity (MSI_ENDPOINT)",
		"managed identity (Cloud Shell)",
		"managed identity (Azure Arc)",
		"managed identity (IMDS)",
	};

	switch (cred->kind) {
	case AMLR_CRED_TOKEN:
		return "access token";
	case AMLR_CRED_CLIENT_SECRET:
		return "environment (client secret)";
	case AMLR_CRED_CLIENT_CERTIFICATE:
		return "environment (client certificate)";
	case AMLR_CRED_WORKLOAD_IDENTITY:
		return "workload identity (federated token file)";
	case AMLR_CRED_MANAGED_IDENTITY:
		return mi[cred->mi];
	case AMLR_CRED_AZURE_CLI:
		return "Azure CLI";
	default:
		return cred->probe_cli ? "managed identity (IMDS) or Azure CLI"
				       : "managed identity (IMDS)";
	}
}

/* --- tokens ------------------------------------------------------------- */

/*
 * The v1 resource for @p resource: without a trailing "/.default", with
 * a trailing '/' ("https://management.azure.com/").
 */
static amlr_code resource_v1(char **out, const char *resource)
{
	size_t len = strlen(resource);
	const size_t dl = strlen("/.default");

	if (len > dl && strcmp(resource + len - dl, "/.default") == 0)
		len -= dl;
	if (!(*out = malloc(len + 2)))
		return AMLR_EFAIL;
	memcpy(*out, resource, len);
	if (len && resource[len - 1] != '/')
		(*out)[len++] = '/';
	(*out)[len] = '\0';
	return AMLR_OK;
}

/* The cache key of the credential's source, or 0 when not cached on disk. */
/* A short hash of the secret (or the certificate file) a service
 * principal signs in with: "" when there is nothing to hash. */
static const char *fingerprint(amlr_credential *c, amlr_credential_kind kind)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	amlr_buf file = AMLR_BUF_INIT;
	const char *data = NULL;
	size_t len = 0;

	if (c->fingerprint[0])
		return c->fingerprint;
	if (kind == AMLR_CRED_CLIENT_SECRET && c->o.client_secret) {
		data = c->o.client_secret;
		len = strlen(data);
	} else if (kind == AMLR_CRED_CLIENT_CERTIFICATE &&
		   c->o.certificate_path &&
		   amlr_file_read(&file, NULL, c->o.certificate_path,
				  1 << 20) == AMLR_OK) {
		data = file.ptr ? file.ptr : "";
		len = file.len;
	}
	if (data && EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) == 1) {
		for (i = 0; i < 10 && i < n; i++)
			snprintf(c->fingerprint + 2 * i, 3, "%02x", md[i]);
	}
	amlr_buf_release_secret(&file);
	return c->fingerprint;
}

static int cache_key(struct token_key *k, amlr_credential *c,
		     amlr_credential_kind kind, const char *resource)
{
	k->resource = resource;
	k->credential = "";
	switch (kind) {
	case AMLR_CRED_CLIENT_SECRET:
	case AMLR_CRED_CLIENT_CERTIFICATE:
	case AMLR_CRED_WORKLOAD_IDENTITY:
		k->authority = c->o.authority_host;
		k->tenant = c->o.tenant_id;
		k->client = c->o.client_id;
		k->credential = fingerprint(c, kind);
		return 1;
	case AMLR_CRED_MANAGED_IDENTITY:
		k->authority = amlr_credential__mi_url(c);
		k->tenant = "";
		k->client = c->o.managed_identity_client_id
				    ? c->o.managed_identity_client_id
				    : "";
		return 1;
	default:
		return 0; /* explicit tokens; the Azure CLI keeps its own */
	}
}

static const struct mem_token *mem_find(const amlr_credential *c,
					const char *resource, time_t now)
{
	size_t i;

	for (i = 0; i < c->nmem; i++)
		if (strcmp(c->mem[i].resource, resource) == 0 &&
		    c->mem[i].expires > now + AMLR_TOKEN_REFRESH_MARGIN_S)
			return &c->mem[i];
	return NULL;
}

static amlr_code mem_put(amlr_credential *c, const char *resource,
			 const char *token, time_t expires)
{
	struct mem_token *m;
	size_t i;

	for (i = 0; i < c->nmem; i++)
		if (strcmp(c->mem[i].resource, resource) == 0)
			break;
	if (i == c->nmem) {
		if (!(m = realloc(c->mem, (c->nmem + 1) * sizeof(*m))))
			return AMLR_EFAIL;
		c->mem = m;
		if (!(m[i].resource = strdup(resource)))
			return AMLR_EFAIL;
		m[i].token = NULL;
		c->nmem++;
	}
	amlr_secret_free(c->mem[i].token);
	c->mem[i].expires = expires;
	if (!(c->mem[i].token = strdup(token)))
		return AMLR_EFAIL;
	return AMLR_OK;
}

/* An explicit token, with the expiry its claims state (0: unknown). */
static amlr_code explicit_token(char **token_out, time_t *expires_out,
				amlr_credential *c, time_t now)
{
	amlr_json *claims = NULL;
	int64_t exp = 0;
	char when[32];
	struct tm tm;
	time_t t;
	amlr_code rc = AMLR_OK;

	if (amlr_jwt__claims(&claims, NULL, c->o.access_token) == AMLR_OK &&
	    amlr_json_int(&exp, amlr_json_get(claims, "exp")) && exp <= now) {
		t = (time_t)exp;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc = amlr_error_set(&c->err, AMLR_EAUTH,
				    "the access token given expired at %s",
				    when);
		goto done;
	}
	if (token_out && !(*token_out = strdup(c->o.access_token))) {
		rc = amlr_error_set(&c->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (expires_out)
		*expires_out = (time_t)exp;
done:
	amlr_json_free(claims);
	return rc;
}

static amlr_code lookup(char **token_out, time_t *expires_out,
			amlr_credential *c, const char *resource, time_t now)
{
	const struct mem_token *m = mem_find(c, resource, now);
	struct token_key key;
	amlr_credential_kind kind = c->kind;

	if (m) {
		if (token_out && !(*token_out = strdup(m->token)))
			return AMLR_EFAIL;
		if (expires_out)
			*expires_out = m->expires;
		return AMLR_OK;
	}
	if (kind == AMLR_CRED_CHAIN) /* what a successful IMDS probe keys */
		kind = AMLR_CRED_MANAGED_IDENTITY;
	if (!c->o.cache_path || !cache_key(&key, c, kind, resource))
		return AMLR_ENOTFOUND;
	if (amlr_token_cache__get(token_out, expires_out, c->o.cache_path, &key,
				  now) != AMLR_OK)
		return AMLR_ENOTFOUND;
	if (c->kind == AMLR_CRED_CHAIN)
		c->kind = AMLR_CRED_MANAGED_IDENTITY;
	return AMLR_OK;
}

/* A service principal's token from Entra ID's v2 endpoint. */
static amlr_code entra_token(char **token_out, time_t *expires_out,
			     amlr_credential *c, amlr_client *client,
			     const char *resource, time_t now)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json",
		NULL,
	};
	const char *host = c->o.authority_host;
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	amlr_buf url = AMLR_BUF_INIT, scope = AMLR_BUF_INIT;
	amlr_buf form = AMLR_BUF_INIT, file = AMLR_BUF_INIT;
	char *assertion = NULL;
	const char *body;
	size_t len;
	amlr_code rc;

	if ((rc = amlr_buf_printf(&url, "%s%s%s/oauth2/v2.0/token", host,
				  host[strlen(host) - 1] == '/' ? "" : "/",
				  c->o.tenant_id)) != AMLR_OK ||
	    (rc = amlr_buf_printf(&scope, "%.*s/.default",
				  (int)strlen(resource) - 1, resource)) !=
		    AMLR_OK ||
	    (rc = amlr_credential__form_add(&form, "grant_type",
					    "client_credentials")) != AMLR_OK ||
	    (rc = amlr_credential__form_add(&form, "client_id",
					    c->o.client_id)) != AMLR_OK ||
	    (rc = amlr_credential__form_add(&form, "scope", scope.ptr)) !=
		    AMLR_OK) {
		amlr_error_set(&c->err, rc, "out of memory");
		goto done;
	}
	if (c->kind == AMLR_CRED_CLIENT_SECRET) {
		rc = amlr_credential__form_add(&form, "client_secret",
					       c->o.client_secret);
	} else {
		if (c->kind == AMLR_CRED_CLIENT_CERTIFICATE) {
			if (!c->signer &&
			    (rc = amlr_jwt__signer_load(
				     &c->signer, &c->err, c->o.certificate_path,
				     c->o.certificate_password)) != AMLR_OK)
				goto done;
			/* aud: the exact URL the assertion is posted to */
			if ((rc = amlr_jwt__client_assertion(
				     &assertion, &c->err, c->signer, url.ptr,
				     c->o.client_id, now,
				     c->o.send_certificate_chain)) != AMLR_OK)
				goto done;
		} else {
			/* rotated by its issuer: read it every time */
			if ((rc = amlr_file_read(
				     &file, &c->err, c->o.federated_token_file,
				     FEDERATED_TOKEN_MAX)) != AMLR_OK)
				goto done;
			while (file.len &&
			       isspace((unsigned char)file.ptr[file.len - 1]))
				file.ptr[--file.len] = '\0';
			if (!file.len) {
				rc = amlr_error_set(
					&c->err, AMLR_EAUTH,
					"the federated token file '%s' is empty",
					c->o.federated_token_file);
				goto done;
			}
		}
		rc = amlr_credential__form_add(&form, "client_assertion_type",
					       ASSERTION_TYPE);
		if (rc == AMLR_OK)
			rc = amlr_credential__form_add(
				&form, "client_assertion",
				assertion ? assertion : file.ptr);
	}
	if (rc != AMLR_OK) {
		amlr_error_set(&c->err, rc, "out of memory");
		goto done;
	}
	req.method = "POST";
	req.url = url.ptr;
	req.headers = headers;
	req.body = form.ptr;
	req.body_len = form.len;
	if ((rc = amlr_http_send(&resp, client, &req)) != AMLR_OK) {
		c->err = *amlr_client_error(client);
		/* Entra ID refuses credentials with 400 or 401 (AADSTS...) */
		if (c->err.http_status == 400 || c->err.http_status == 401 ||
		    c->err.http_status == 403)
			rc = c->err.code = AMLR_EAUTH;
		goto done;
	}
	body = amlr_response_body(resp, &len);
	rc = amlr_credential__parse_reply(token_out, expires_out, &c->err,
					  "Entra ID", body, len, now);
done:
	amlr_response_free(resp);
	amlr_secret_free(assertion);
	amlr_buf_release_secret(&form);
	amlr_buf_release_secret(&file);
	amlr_buf_release(&scope);
	amlr_buf_release(&url);
	return rc;
}

static amlr_code acquire(char **token_out, time_t *expires_out,
			 amlr_credential *c, amlr_client *client,
			 const char *resource, time_t now)
{
	int unavailable = 0;
	amlr_code rc;

	switch (c->kind) {
	case AMLR_CRED_CLIENT_SECRET:
	case AMLR_CRED_CLIENT_CERTIFICATE:
	case AMLR_CRED_WORKLOAD_IDENTITY:
		return entra_token(token_out, expires_out, c, client, resource,
				   now);
	case AMLR_CRED_MANAGED_IDENTITY:
		return amlr_credential__mi_token(token_out, expires_out, c,
						 client, resource, now, 0,
						 &unavailable);
	case AMLR_CRED_AZURE_CLI:
		return amlr_credential__cli_token(token_out, expires_out, c,
						  resource, &unavailable);
	default:
		break;
	}
	/* The chain's end: IMDS if anything answers there, else az. */
	rc = amlr_credential__mi_token(token_out, expires_out, c, client,
				       resource, now, 1, &unavailable);
	if (rc == AMLR_OK || !unavailable) {
		if (rc == AMLR_OK)
			c->kind = AMLR_CRED_MANAGED_IDENTITY;
		return rc;
	}
	if (!c->probe_cli)
		return amlr_error_set(&c->err, AMLR_EAUTH, "%s", no_source_msg);
	unavailable = 0;
	rc = amlr_credential__cli_token(token_out, expires_out, c, resource,
					&unavailable);
	if (rc == AMLR_OK)
		c->kind = AMLR_CRED_AZURE_CLI;
	else if (unavailable)
		rc = amlr_error_set(&c->err, AMLR_EAUTH, "%s", no_source_msg);
	return rc;
}

amlr_code amlr_credential_get_token(char **token_out, time_t *expires_out,
				    amlr_credential *cred, amlr_client *client,
				    const char *resource)
{
	struct token_key key;
	amlr_error ignored = AMLR_ERROR_INIT;
	char *res = NULL, *token = NULL;
	time_t now = time(NULL), exp = 0;
	amlr_code rc;

	*token_out = NULL;
	if (expires_out)
		*expires_out = 0;
	amlr_error_clear(&cred->err);
	if (!resource || !*resource) {
		rc = amlr_error_set(&cred->err, AMLR_EINVAL,
				    "no resource to get a token for");
		goto done;
	}
	if (resource_v1(&res, resource) != AMLR_OK) {
		rc = amlr_error_set(&cred->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (cred->kind == AMLR_CRED_TOKEN) {
		rc = explicit_token(token_out, expires_out, cred, now);
		goto done;
	}
	if ((rc = lookup(token_out, expires_out, cred, res, now)) !=
	    AMLR_ENOTFOUND) {
		if (rc != AMLR_OK)
			amlr_error_set(&cred->err, rc, "out of memory");
		goto done;
	}
	if ((rc = acquire(&token, &exp, cred, client, res, now)) != AMLR_OK)
		goto done;
	if (mem_put(cred, res, token, exp) != AMLR_OK) {
		rc = amlr_error_set(&cred->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	/* A cache that cannot be written costs a token request later, no
	 * more: the token in hand is good. */
	if (cred->o.cache_path && cache_key(&key, cred, cred->kind, res))
		amlr_token_cache__put(&ignored, cred->o.cache_path, &key, token,
				      exp, now);
	*token_out = token;
	token = NULL;
	if (expires_out)
		*expires_out = exp;
done:
	/* Callers that report the client's error see this one too. */
	if (rc != AMLR_OK && client)
		*amlr_client__err(client) = cred->err;
	amlr_secret_free(token);
	free(res);
	return rc;
}

amlr_code amlr_credential_cached_token(char **token_out, time_t *expires_out,
				       amlr_credential *cred,
				       const char *resource)
{
	char *res = NULL;
	amlr_code rc;

	if (token_out)
		*token_out = NULL;
	if (expires_out)
		*expires_out = 0;
	amlr_error_clear(&cred->err);
	if (!resource || resource_v1(&res, resource) != AMLR_OK) {
		rc = amlr_error_set(&cred->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (cred->kind == AMLR_CRED_TOKEN) {
		rc = explicit_token(token_out, expires_out, cred, time(NULL));
		if (rc == AMLR_EAUTH) {
			amlr_error_clear(&cred->err);
			rc = AMLR_ENOTFOUND;
		}
		goto done;
	}
	rc = lookup(token_out, expires_out, cred, res, time(NULL));
	if (rc == AMLR_EFAIL)
		amlr_error_set(&cred->err, rc, "out of memory");
done:
	free(res);
	return rc;
}

amlr_code amlr_credential_token_claims(amlr_json **out, amlr_error *err,
				       const char *token)
{
	return amlr_jwt__claims(out, err, token);
}
