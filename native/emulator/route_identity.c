/* SPDX-License-Identifier: MIT */
/* Entra ID stand-in: token endpoints, discovery, managed identity, env. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "amlr/secret.h"
#include "emu.h"
#include "router.h"
#include "seed.h"
#include "tokens.h"

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define CLOCK_SKEW_S 60 /* tolerated between a client's clock and ours */
#define MSI_API_VERSION "2019-08-01"

/* The resources tokens are issued for besides the emulator's own URL. */
static const char *const known_resources[] = {
	"https://management.azure.com",
	"https://management.core.windows.net",
	"https://storage.azure.com",
	NULL,
};

/* Tenant names that stand for the directory's first tenant (ADFS style). */
#define ADFS_TENANT "adfs"

/* A form-encoded body, decoded; the memory is wiped (it holds secrets). */
struct form {
	char *mem;
	size_t mem_len;
	struct emu_kv *kv;
	size_t n;
};

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

/* Decode in place ('+' is a space); -1 when it decodes to a NUL byte. */
static int form_decode(char *s)
{
	char *d = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s == '+') {
			*d++ = ' ';
		} else if (*s == '%' &&
			   (hi = hexval((unsigned char)s[1])) >= 0 &&
			   (lo = hexval((unsigned char)s[2])) >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			*d++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
	return 0;
}

/* Parse application/x-www-form-urlencoded; AMLR_EINVAL when malformed. */
static amlr_code form_parse(struct form *f, const char *body, size_t len)
{
	char *p, *end, *eq;
	size_t i, n = 1;

	memset(f, 0, sizeof(f[0]));
	if (memchr(body, '\0', len))
		return AMLR_EINVAL;
	for (i = 0; i < len; i++)
		n += body[i] == '&';
	if (!(f->mem = strndup(body, len)) ||
	    !(f->kv = calloc(n, sizeof(*f->kv))))
		return AMLR_EFAIL;
	f->mem_len = len;
	for (p = f->mem; *p; p = end) {
		end = p + strcspn(p, "&");
		if (*end)
			*end++ = '\0';
		if (!*p)
			continue;
		eq = p + strcspn(p, "=");
		if (*eq)
			*eq++ = '\0';
		if (form_decode(p) != 0 || form_decode(eq) != 0)
			return AMLR_EINVAL;
		f->kv[f->n].name = p;
		f->kv[f->n].value = eq;
		f->n++;
	}
	return AMLR_OK;
}

/* The first parameter named @p name, NULL when absent or empty. */
static const char *form_get(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->kv[i].name, name) == 0)
			return *f->kv[i].value ? f->kv[i].value : NULL;
	return NULL;
}

static void form_release(struct form *f)
{
	if (f->mem)
		amlr_secret_wipe(f->mem, f->mem_len);
	free(f->mem);
	free(f->kv);
	memset(f, 0, sizeof(f[0]));
}

/* "2026-11-26 10:00:00Z", as Entra's error timestamps. */
static void entra_time(char out[32], time_t t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* Whether @p s looks like a GUID, safe to echo. */
static int is_guid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hexval((unsigned char)s[i]) < 0) {
			return 0;
		}
	}
	return 1;
}

/* Set the headers Entra sends with every token-endpoint answer. */
static amlr_code no_store(struct emu_resp *resp, const struct emu_req *req)
{
	const char *corr = emu_req_header(req, "client-request-id");
	amlr_code rc;

	if ((rc = emu_resp_set_header(resp, "Cache-Control",
				      "no-store, no-cache")) != AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "Pragma", "no-cache")) != AMLR_OK)
		return rc;
	if (is_guid(corr))
		rc = emu_resp_set_header(resp, "client-request-id", corr);
	return rc;
}

static amlr_code entra_error(struct emu_resp *resp, const struct emu_req *req,
			     unsigned int status, const char *error, long code,
			     const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Answer as Entra ID does: error, "AADSTSnnn: ...\r\nTrace ID: ...\r\n
 * Correlation ID: ...\r\nTimestamp: ...", error_codes, timestamp,
 * trace_id, correlation_id, error_uri.
 */
static amlr_code entra_error(struct emu_resp *resp, const struct emu_req *req,
			     unsigned int status, const char *error, long code,
			     const char *fmt, ...)
{
	char trace[EMU_GUID_SIZE], corr[EMU_GUID_SIZE], when[32];
	const char *given = emu_req_header(req, "client-request-id");
	amlr_buf msg = AMLR_BUF_INIT, desc = AMLR_BUF_INIT, uri = AMLR_BUF_INIT;
	amlr_json *body = NULL, *codes = NULL, *n = NULL;
	va_list ap;
	amlr_code rc;

	if ((rc = emu_guid_new(trace)) != AMLR_OK)
		goto done;
	if (is_guid(given))
		snprintf(corr, sizeof(corr), "%s", given);
	else if ((rc = emu_guid_new(corr)) != AMLR_OK)
		goto done;
	entra_time(when, time(NULL));
	va_start(ap, fmt);
	rc = amlr_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc != AMLR_OK ||
	    (rc = amlr_buf_printf(&desc,
				  "AADSTS%ld: %s\r\nTrace ID: %s\r\n"
				  "Correlation ID: %s\r\nTimestamp: %s",
				  code, msg.ptr, trace, corr, when)) !=
		    AMLR_OK ||
	    (rc = amlr_buf_printf(&uri, "%s/error?code=%ld", req->ctx->base_url,
				  code)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_new_object(&body)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&codes)) != AMLR_OK ||
	    (rc = amlr_json_new_int(&n, code)) != AMLR_OK)
		goto done;
	rc = amlr_json_append(codes, n); /* steals */
	n = NULL;
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "error", error)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "error_description", desc.ptr)) !=
		    AMLR_OK)
		goto done;
	rc = amlr_json_set(body, "error_codes", codes); /* steals */
	codes = NULL;
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "timestamp", when)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "trace_id", trace)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "correlation_id", corr)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "error_uri", uri.ptr)) != AMLR_OK)
		goto done;
	if ((rc = emu_resp_json(resp, status, body)) == AMLR_OK)
		rc = no_store(resp, req);
done:
	amlr_json_free(n);
	amlr_json_free(codes);
	amlr_json_free(body);
	amlr_buf_release(&msg);
	amlr_buf_release(&desc);
	amlr_buf_release(&uri);
	return rc;
}

static amlr_code missing_param(struct emu_resp *resp, const struct emu_req *req,
			       const char *name)
{
	return entra_error(resp, req, 400, "invalid_request", 900144,
			   "The request body must contain the following "
			   "parameter: '%s'.",
			   name);
}

/* The tenant of {tenant}: its id or domain, or "adfs" for the first. */
static const struct emu_seed_tenant *path_tenant(const struct emu_req *req)
{
	const struct emu_seed *seed = req->ctx->world->seed;
	const char *name = emu_req_param(req, "tenant");

	if (strcasecmp(name, ADFS_TENANT) == 0)
		return &seed->tenants[0];
	return emu_seed_tenant(seed, name);
}

static amlr_code unknown_tenant(struct emu_resp *resp,
				const struct emu_req *req, const char *error)
{
	return entra_error(resp, req, 400, error, 90002,
			   "Tenant '%s' not found. Check to make sure you "
			   "have the correct tenant ID and are signing into "
			   "the correct cloud. Check with your subscription "
			   "administrator, this may happen if there are no "
			   "active subscriptions for the tenant.",
			   emu_req_param(req, "tenant"));
}

static const char *tenant_name(const struct emu_seed_tenant *t)
{
	return t->domain ? t->domain : t->id;
}

/*
 * Whether Entra would issue a token for @p resource here: Resource
 * Manager's and Storage's identifiers and the emulator's own URL, with or
 * without a trailing slash.
 */
static int known_resource(const char *resource, const char *base_url)
{
	const char *r;
	size_t i, n;

	for (i = 0; known_resources[i] || base_url; i++) {
		r = known_resources[i] ? known_resources[i] : base_url;
		n = strlen(r);
		while (n > 0 && r[n - 1] == '/')
			n--;
		if (strncasecmp(resource, r, n) == 0 &&
		    (resource[n] == '\0' ||
		     (resource[n] == '/' && resource[n + 1] == '\0')))
			return 1;
		if (!known_resources[i])
			break;
	}
	return 0;
}

/*
 * The resource of a v2 `scope`: exactly one "<resource>/.default" among
 * the OpenID scopes MSAL may add.  NULL (after answering) when invalid.
 */
static amlr_code scope_resource(char **out, struct emu_resp *resp,
				const struct emu_req *req, const char *scope)
{
	const char *p = scope, *found = NULL;
	size_t len, found_len = 0, nfound = 0;

	*out = NULL;
	while (*p) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len == 0)
			break;
		if ((len == 6 && strncmp(p, "openid", 6) == 0) ||
		    (len == 7 && strncmp(p, "profile", 7) == 0) ||
		    (len == 14 && strncmp(p, "offline_access", 14) == 0)) {
			p += len;
			continue;
		}
		nfound++;
		found = p;
		found_len = len;
		p += len;
	}
	if (nfound != 1 || found_len <= 9 ||
	    strncmp(found + found_len - 9, "/.default", 9) != 0)
		return entra_error(resp, req, 400, "invalid_scope", 70011,
				   "The provided value for the input "
				   "parameter 'scope' is not valid. The scope "
				   "%s is not valid.",
				   scope);
	if (!(*out = strndup(found, found_len - 9)))
		return AMLR_EFAIL;
	return AMLR_OK;
}

/* Uppercase hex of @p n bytes. */
static void hex_upper(char *out, const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The principal's certificate named by the assertion's x5t#S256 or x5t. */
static const struct emu_seed_cert *
assertion_cert(char thumb_hex[65], const struct emu_seed_principal *p,
	       const amlr_json *header)
{
	const char *x5t256 = amlr_json_get_str(header, "x5t#S256");
	const char *x5t = amlr_json_get_str(header, "x5t");
	amlr_buf b = AMLR_BUF_INIT;
	const struct emu_seed_cert *found = NULL;
	size_t i;

	thumb_hex[0] = '\0';
	for (i = 0; i < p->ncerts && !found; i++) {
		amlr_buf_clear(&b);
		if (x5t256) {
			if (emu_tokens_b64url(&b, p->certs[i].sha256, 32) ==
				    AMLR_OK &&
			    strcmp(b.ptr, x5t256) == 0)
				found = &p->certs[i];
		} else if (x5t) {
			if (emu_tokens_b64url(&b, p->certs[i].sha1, 20) ==
				    AMLR_OK &&
			    strcmp(b.ptr, x5t) == 0)
				found = &p->certs[i];
		}
	}
	amlr_buf_release(&b);
	if (found)
		hex_upper(thumb_hex, x5t256 ? found->sha256 : found->sha1,
			  x5t256 ? 32 : 20);
	return found;
}

/* Whether @p jwt's PS256 signature verifies with @p pkey. */
static int verify_ps256(const struct emu_jwt *jwt, EVP_PKEY *pkey)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (!jwt->sig_len || !(md = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)
		goto done;
	ok = EVP_DigestVerify(md, jwt->sig, jwt->sig_len,
			      (const unsigned char *)jwt->signing_input,
			      strlen(jwt->signing_input)) == 1;
done:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* Whether the assertion's aud is this token endpoint (any tenant name). */
static int assertion_audience(const struct emu_req *req,
			      const struct emu_seed_tenant *tenant,
			      const char *aud)
{
	const char *names[3];
	const char *ends[2] = { "/oauth2/token", "/oauth2/v2.0/token" };
	amlr_buf want = AMLR_BUF_INIT;
	size_t i, j;
	int ok = 0;

	names[0] = emu_req_param(req, "tenant");
	names[1] = tenant->id;
	names[2] = tenant->domain ? tenant->domain : tenant->id;
	for (i = 0; i < 3 && !ok; i++) {
		for (j = 0; j < 2 && !ok; j++) {
			amlr_buf_clear(&want);
			if (amlr_buf_printf(&want, "%s/%s%s",
					    req->ctx->base_url, names[i],
					    ends[j]) != AMLR_OK)
				break;
			ok = strcasecmp(want.ptr, aud) == 0;
		}
	}
	amlr_buf_release(&want);
	return ok;
}

static int64_t claim_time(const amlr_json *claims, const char *name, int *has)
{
	int64_t v = 0;

	*has = amlr_json_int(&v, amlr_json_get(claims, name));
	return v;
}

static void iso_time(char out[32], long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Check a client assertion (certificate credential or workload identity):
 * signed RS256 or PS256 by a certificate registered for @p p, for this
 * endpoint, issued by and about the client, in its time window, and not
 * seen before.  Returns AMLR_OK with *ok = 1, or answers and sets 0.
 */
static amlr_code check_assertion(int *ok, struct emu_resp *resp,
				 const struct emu_req *req,
				 const struct emu_seed_principal *p,
				 const char *assertion)
{
	struct emu_tokens *tokens = req->ctx->world->tokens;
	struct emu_jwt jwt = EMU_JWT_INIT;
	const struct emu_seed_cert *cert;
	const char *alg, *aud, *iss, *sub, *jti;
	char thumb[65], t_now[32], t_nbf[32], t_exp[32];
	long long now = (long long)time(NULL), nbf, exp;
	int has_nbf, has_exp, signed_ok, fresh;
	amlr_code rc;

	*ok = 0;
	rc = emu_tokens_jwt_parse(&jwt, assertion);
	if (rc == AMLR_EINVAL) {
		rc = entra_error(resp, req, 401, "invalid_client", 700027,
				 "Client assertion is not a valid JWT.");
		goto done;
	}
	if (rc != AMLR_OK)
		goto done;
	alg = amlr_json_get_str(jwt.header, "alg");
	if (!alg || (strcmp(alg, "RS256") != 0 && strcmp(alg, "PS256") != 0)) {
		rc = entra_error(resp, req, 401, "invalid_client", 700027,
				 "Client assertion failed signature "
				 "validation. The signing algorithm '%s' is "
				 "not supported; use RS256 or PS256.",
				 alg ? alg : "none");
		goto done;
	}
	if (!(cert = assertion_cert(thumb, p, jwt.header))) {
		rc = entra_error(resp, req, 401, "invalid_client", 700027,
				 "The certificate with identifier used to "
				 "sign the client assertion is not registered "
				 "on application. [Reason - The key was not "
				 "found., Thumbprint of key used by client: "
				 "'%s', Please visit the Azure Portal, Graph "
				 "Explorer or directly use MS Graph to see "
				 "configured keys for app Id '%s'.]",
				 amlr_json_get_str(jwt.header, "x5t")
					 ? amlr_json_get_str(jwt.header, "x5t")
					 : "",
				 p->client_id);
		goto done;
	}
	if (strcmp(alg, "RS256") == 0)
		signed_ok = emu_tokens_jwt_verify_rs256(
			&jwt, X509_get0_pubkey(cert->x509));
	else
		signed_ok = verify_ps256(&jwt, X509_get0_pubkey(cert->x509));
	if (!signed_ok) {
		rc = entra_error(
			resp, req, 401, "invalid_client", 700027,
			"Client assertion failed signature "
			"validation. [Reason - The signature does not "
			"match the certificate, Thumbprint of key used "
			"by client: '%s']",
			thumb);
		goto done;
	}
	aud = amlr_json_get_str(jwt.claims, "aud");
	if (!aud || !assertion_audience(req, p->tenant, aud)) {
		rc = entra_error(resp, req, 401, "invalid_client", 700027,
				 "Client assertion audience claim does not "
				 "match Realm issuer. The 'aud' claim must be "
				 "the token endpoint, '%s/%s/oauth2/v2.0/"
				 "token'.",
				 req->ctx->base_url,
				 emu_req_param(req, "tenant"));
		goto done;
	}
	iss = amlr_json_get_str(jwt.claims, "iss");
	sub = amlr_json_get_str(jwt.claims, "sub");
	if (!iss || !sub || strcasecmp(iss, p->client_id) != 0 ||
	    strcasecmp(sub, p->client_id) != 0) {
		rc = entra_error(resp, req, 401, "invalid_client", 700021,
				 "Client assertion application identifier "
				 "doesn't match 'client_id' parameter. Review "
				 "the documentation at https://docs.microsoft"
				 ".com/azure/active-directory/develop/active-"
				 "directory-certificate-credentials .");
		goto done;
	}
	exp = claim_time(jwt.claims, "exp", &has_exp);
	nbf = claim_time(jwt.claims, "nbf", &has_nbf);
	if (!has_exp || now - CLOCK_SKEW_S >= exp ||
	    (has_nbf && nbf > now + CLOCK_SKEW_S)) {
		iso_time(t_now, now);
		iso_time(t_nbf, has_nbf ? nbf : now);
		iso_time(t_exp, exp);
		rc = entra_error(resp, req, 401, "invalid_client", 700024,
				 "Client assertion is not within its valid "
				 "time range. Current time: %s, assertion "
				 "valid from %s, expiry time of assertion %s. "
				 "Review the documentation at https://docs."
				 "microsoft.com/azure/active-directory/develop/"
				 "active-directory-certificate-credentials .",
				 t_now, t_nbf, has_exp ? t_exp : "(none)");
		goto done;
	}
	jti = amlr_json_get_str(jwt.claims, "jti");
	if (!jti || !*jti) {
		rc = entra_error(resp, req, 401, "invalid_client", 700027,
				 "Client assertion must contain a 'jti' "
				 "claim.");
		goto done;
	}
	fresh = emu_tokens_claim_jti(tokens, p->client_id, jti,
				     exp + CLOCK_SKEW_S);
	if (fresh < 0) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (!fresh) {
		rc = entra_error(resp, req, 401, "invalid_client", 700027,
				 "Client assertion contains a token "
				 "identifier (jti) that was already used. "
				 "Make a new assertion for each request.");
		goto done;
	}
	*ok = 1;
	rc = AMLR_OK;
done:
	emu_tokens_jwt_release(&jwt);
	return rc;
}

/* Whether @p secret is one of the principal's, in constant time each. */
static int secret_matches(const struct emu_seed_principal *p,
			  const char *secret)
{
	size_t i;
	int ok = 0;

	for (i = 0; i < p->nsecrets; i++)
		ok |= amlr_secret_equal(p->secrets[i], secret);
	return ok;
}

/* Append "name":"value" members; v1 numbers are strings. */
static amlr_code set_num(amlr_json *body, const char *key, long long v,
			 int as_string)
{
	char s[32];

	if (!as_string)
		return amlr_json_set_int(body, key, v);
	snprintf(s, sizeof(s), "%lld", v);
	return amlr_json_set_str(body, key, s);
}

/*
 * Issue a token for @p p (or managed identity fields) and answer in the
 * v1 or v2 shape.
 */
static amlr_code issue(struct emu_resp *resp, const struct emu_req *req,
		       const struct emu_token_claims *in, const char *resource,
		       int v2)
{
	struct emu_tokens *tokens = req->ctx->world->tokens;
	struct emu_token_claims c;
	amlr_json *body = NULL;
	char *jwt = NULL;
	long long life;
	amlr_code rc;

	if ((rc = emu_tokens_issue(&jwt, &c, tokens, in)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&body)) != AMLR_OK)
		goto done;
	life = c.exp - c.iat;
	if ((rc = amlr_json_set_str(body, "token_type", "Bearer")) != AMLR_OK ||
	    (rc = set_num(body, "expires_in", life, !v2)) != AMLR_OK ||
	    (rc = set_num(body, "ext_expires_in", life, !v2)) != AMLR_OK)
		goto done;
	if (!v2 &&
	    ((rc = set_num(body, "expires_on", c.exp, 1)) != AMLR_OK ||
	     (rc = set_num(body, "not_before", c.nbf, 1)) != AMLR_OK ||
	     (rc = amlr_json_set_str(body, "resource", resource)) != AMLR_OK))
		goto done;
	if ((rc = amlr_json_set_str(body, "access_token", jwt)) != AMLR_OK ||
	    (rc = emu_resp_json(resp, 200, body)) != AMLR_OK)
		goto done;
	rc = no_store(resp, req);
done:
	amlr_json_free(body);
	amlr_secret_free(jwt);
	return rc;
}

/* POST /{tenant}/oauth2/token and /{tenant}/oauth2/v2.0/token. */
static amlr_code token(struct emu_req *req, struct emu_resp *resp, int v2)
{
	const struct emu_seed *seed = req->ctx->world->seed;
	const struct emu_seed_tenant *tenant;
	const struct emu_seed_principal *p;
	struct emu_token_claims in;
	struct form f;
	const char *grant, *client_id, *secret, *atype, *assertion, *asked;
	char *resource = NULL;
	int ok, by_scope = v2;
	amlr_code rc;

	memset(&in, 0, sizeof(in));
	rc = form_parse(&f, req->body, req->body_len);
	if (rc == AMLR_EINVAL) {
		rc = entra_error(resp, req, 400, "invalid_request", 90100,
				 "The request body is not a valid "
				 "application/x-www-form-urlencoded form.");
		goto done;
	}
	if (rc != AMLR_OK)
		goto done;
	if (!(tenant = path_tenant(req))) {
		rc = unknown_tenant(resp, req, "invalid_request");
		goto done;
	}
	if (!(grant = form_get(&f, "grant_type"))) {
		rc = missing_param(resp, req, "grant_type");
		goto done;
	}
	if (strcmp(grant, "client_credentials") != 0) {
		rc = entra_error(resp, req, 400, "unsupported_grant_type",
				 70003,
				 "The app requested an unsupported grant type "
				 "'%s'.",
				 grant);
		goto done;
	}
	if (!(client_id = form_get(&f, "client_id"))) {
		rc = missing_param(resp, req, "client_id");
		goto done;
	}
	/*
	 * AD FS 2019's one token endpoint takes a v2 `scope` as well as a v1
	 * `resource`, and MSAL (inside azure-cli) sends `scope` there; the
	 * answer then has the v2 shape.  MSAL's other parameters (client_info,
	 * claims: client capabilities) need nothing from us.
	 */
	if (!v2 && strcasecmp(emu_req_param(req, "tenant"), ADFS_TENANT) == 0 &&
	    !form_get(&f, "resource") && form_get(&f, "scope"))
		by_scope = 1;
	asked = form_get(&f, by_scope ? "scope" : "resource");
	if (!asked) {
		rc = missing_param(resp, req, by_scope ? "scope" : "resource");
		goto done;
	}
	if (by_scope) {
		if ((rc = scope_resource(&resource, resp, req, asked)) !=
			    AMLR_OK ||
		    !resource)
			goto done;
	} else if (!(resource = strdup(asked))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (!known_resource(resource, req->ctx->base_url) ||
	    strlen(resource) >= sizeof(in.aud)) {
		rc = entra_error(resp, req, 400, "invalid_resource", 500011,
				 "The resource principal named %s was not "
				 "found in the tenant named %s. This can "
				 "happen if the application has not been "
				 "installed by the administrator of the tenant "
				 "or consented to by any user in the tenant. "
				 "You might have sent your authentication "
				 "request to the wrong tenant.",
				 resource, tenant_name(tenant));
		goto done;
	}
	if (!(p = emu_seed_principal(seed, tenant, client_id))) {
		rc = entra_error(resp, req, 400, "unauthorized_client", 700016,
				 "Application with identifier '%s' was not "
				 "found in the directory '%s'. This can happen "
				 "if the application has not been installed by "
				 "the administrator of the tenant or consented "
				 "to by any user in the tenant. You may have "
				 "sent your authentication request to the "
				 "wrong tenant.",
				 client_id, tenant_name(tenant));
		goto done;
	}
	secret = form_get(&f, "client_secret");
	atype = form_get(&f, "client_assertion_type");
	assertion = form_get(&f, "client_assertion");
	if (secret) {
		if (!secret_matches(p, secret)) {
			rc = entra_error(resp, req, 401, "invalid_client",
					 7000215,
					 "Invalid client secret provided. "
					 "Ensure the secret being sent in the "
					 "request is the client secret value, "
					 "not the client secret ID, for a "
					 "secret added to app '%s'.",
					 p->client_id);
			goto done;
		}
		snprintf(in.appidacr, sizeof(in.appidacr), "1");
	} else if (atype || assertion) {
		if (!atype || strcmp(atype, ASSERTION_TYPE) != 0) {
			rc = entra_error(resp, req, 401, "invalid_client",
					 700027,
					 "Client assertion type must be '%s'.",
					 ASSERTION_TYPE);
			goto done;
		}
		if (!assertion) {
			rc = missing_param(resp, req, "client_assertion");
			goto done;
		}
		if ((rc = check_assertion(&ok, resp, req, p, assertion)) !=
			    AMLR_OK ||
		    !ok)
			goto done;
		snprintf(in.appidacr, sizeof(in.appidacr), "2");
	} else {
		rc = entra_error(resp, req, 401, "invalid_client", 7000216,
				 "'client_assertion', 'client_secret' or "
				 "'request' is required for the "
				 "'client_credentials' grant type.");
		goto done;
	}
	/* v2 keeps the scope's resource as asked; v1 the resource as sent. */
	snprintf(in.aud, sizeof(in.aud), "%s", resource);
	snprintf(in.iss, sizeof(in.iss), "%s/%s/", req->ctx->base_url,
		 tenant->id);
	snprintf(in.tid, sizeof(in.tid), "%s", tenant->id);
	snprintf(in.oid, sizeof(in.oid), "%s", p->object_id);
	snprintf(in.appid, sizeof(in.appid), "%s", p->client_id);
	rc = issue(resp, req, &in, resource, by_scope);
done:
	free(resource);
	form_release(&f);
	return rc;
}

static amlr_code token_v1(struct emu_req *req, struct emu_resp *resp)
{
	return token(req, resp, 0);
}

static amlr_code token_v2(struct emu_req *req, struct emu_resp *resp)
{
	return token(req, resp, 1);
}

/* Set @p key to an array of the strings @p vals (NULL-terminated). */
static amlr_code set_strs(amlr_json *obj, const char *key,
			  const char *const *vals)
{
	amlr_json *arr = NULL, *s = NULL;
	amlr_code rc;
	size_t i;

	if ((rc = amlr_json_new_array(&arr)) != AMLR_OK)
		return rc;
	for (i = 0; vals[i] && rc == AMLR_OK; i++) {
		if ((rc = amlr_json_new_string(&s, vals[i])) == AMLR_OK)
			rc = amlr_json_append(arr, s); /* steals */
		s = NULL;
	}
	if (rc != AMLR_OK) {
		amlr_json_free(arr);
		return rc;
	}
	return amlr_json_set(obj, key, arr); /* steals */
}

/* Set @p key to "<base>/<tenant><suffix>". */
static amlr_code set_url(amlr_json *obj, const char *key, const char *base,
			 const char *tenant, const char *suffix)
{
	amlr_buf b = AMLR_BUF_INIT;
	amlr_code rc;

	if ((rc = amlr_buf_printf(&b, "%s/%s%s", base, tenant, suffix)) ==
	    AMLR_OK)
		rc = amlr_json_set_str(obj, key, b.ptr);
	amlr_buf_release(&b);
	return rc;
}

/*
 * The OpenID Connect discovery document: v2 for MSAL, v1 (and the ADFS
 * flavour) for older clients.  For the common endpoints the issuer keeps
 * Entra's "{tenantid}" placeholder.
 */
static amlr_code openid(struct emu_req *req, struct emu_resp *resp, int v2)
{
	static const char *const auth_methods[] = { "client_secret_post",
						    "private_key_jwt",
						    "client_secret_basic",
						    NULL };
	static const char *const modes[] = { "query", "fragment", "form_post",
					     NULL };
	static const char *const subjects[] = { "pairwise", NULL };
	static const char *const algs[] = { "RS256", NULL };
	static const char *const types[] = { "code", "id_token",
					     "code id_token", "id_token token",
					     NULL };
	static const char *const scopes[] = { "openid", "profile", "email",
					      "offline_access", NULL };
	const char *base = req->ctx->base_url;
	const char *name = emu_req_param(req, "tenant");
	const struct emu_seed_tenant *tenant = NULL;
	const char *seg, *issuer_tenant;
	const char *ver = v2 ? "/v2.0" : "";
	int common = strcasecmp(name, "common") == 0 ||
		     strcasecmp(name, "organizations") == 0;
	int adfs = strcasecmp(name, ADFS_TENANT) == 0;
	amlr_json *body = NULL, *no = NULL;
	amlr_buf suffix = AMLR_BUF_INIT;
	amlr_code rc;

	if (!common && !adfs && !(tenant = path_tenant(req))) {
		rc = unknown_tenant(resp, req, "invalid_tenant");
		goto done;
	}
	seg = common || adfs ? name : tenant->id;
	issuer_tenant = common ? "{tenantid}" : seg;
	if ((rc = amlr_json_new_object(&body)) != AMLR_OK)
		goto done;
	rc = amlr_buf_printf(&suffix, "/oauth2%s/token", ver);
	if (rc != AMLR_OK ||
	    (rc = set_url(body, "token_endpoint", base, seg, suffix.ptr)) ||
	    (rc = set_strs(body, "token_endpoint_auth_methods_supported",
			   auth_methods)) ||
	    (rc = set_url(body, "jwks_uri", base, seg,
			  v2 ? "/discovery/v2.0/keys" : "/discovery/keys")) ||
	    (rc = set_strs(body, "response_modes_supported", modes)) ||
	    (rc = set_strs(body, "subject_types_supported", subjects)) ||
	    (rc = set_strs(body, "id_token_signing_alg_values_supported",
			   algs)) ||
	    (rc = set_strs(body, "response_types_supported", types)) ||
	    (rc = set_strs(body, "scopes_supported", scopes)) ||
	    (rc = set_url(body, "issuer", base, issuer_tenant,
			  v2 ? "/v2.0" : (adfs ? "" : "/"))))
		goto done;
	amlr_buf_clear(&suffix);
	if ((rc = amlr_json_new_bool(&no, 0)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(body, "request_uri_parameter_supported", no);
	no = NULL; /* stolen */
	if (rc != AMLR_OK ||
	    (rc = amlr_buf_printf(&suffix, "/oauth2%s/authorize", ver)) ||
	    (rc = set_url(body, "authorization_endpoint", base, seg,
			  suffix.ptr)))
		goto done;
	amlr_buf_clear(&suffix);
	if ((rc = amlr_buf_printf(&suffix, "/oauth2%s/devicecode", ver)) ||
	    (rc = set_url(body, "device_authorization_endpoint", base, seg,
			  suffix.ptr)))
		goto done;
	amlr_buf_clear(&suffix);
	if ((rc = amlr_buf_printf(&suffix, "/oauth2%s/logout", ver)) ||
	    (rc = set_url(body, "end_session_endpoint", base, seg,
			  suffix.ptr)) ||
	    (rc = amlr_json_set_str(body, "tenant_region_scope", "NA")) ||
	    (rc = amlr_json_set_str(body, "cloud_instance_name",
				    "microsoftonline.com")) ||
	    (rc = amlr_json_set_str(body, "cloud_graph_host_name",
				    "graph.windows.net")) ||
	    (rc = amlr_json_set_str(body, "msgraph_host",
				    "graph.microsoft.com")))
		goto done;
	rc = emu_resp_json(resp, 200, body);
done:
	amlr_json_free(body);
	amlr_buf_release(&suffix);
	return rc;
}

static amlr_code openid_v1(struct emu_req *req, struct emu_resp *resp)
{
	return openid(req, resp, 0);
}

static amlr_code openid_v2(struct emu_req *req, struct emu_resp *resp)
{
	return openid(req, resp, 1);
}

/* GET .../discovery/keys: the key that signs our tokens. */
static amlr_code jwks(struct emu_req *req, struct emu_resp *resp)
{
	amlr_json *set = NULL;
	amlr_code rc;

	if ((rc = emu_tokens_jwks(&set, req->ctx->world->tokens)) == AMLR_OK)
		rc = emu_resp_json(resp, 200, set);
	amlr_json_free(set);
	return rc;
}

/*
 * GET /common/discovery/instance: MSAL's instance discovery.  Whatever
 * authority it asks about, the emulator is the one host to use.
 */
static amlr_code instance(struct emu_req *req, struct emu_resp *resp)
{
	const char *base = req->ctx->base_url;
	const char *host = strstr(base, "://");
	const char *hosts[2];
	amlr_json *body = NULL, *meta = NULL, *entry = NULL;
	amlr_buf url = AMLR_BUF_INIT;
	amlr_code rc;

	hosts[0] = host ? host + 3 : base;
	hosts[1] = NULL;
	if ((rc = amlr_json_new_object(&body)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&meta)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&entry)) != AMLR_OK ||
	    (rc = amlr_buf_printf(&url,
				  "%s/{tenant}/v2.0/.well-known/"
				  "openid-configuration",
				  base)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(body, "tenant_discovery_endpoint",
				    url.ptr)) ||
	    (rc = amlr_json_set_str(body, "api-version", "1.1")) ||
	    (rc = amlr_json_set_str(entry, "preferred_network", hosts[0])) ||
	    (rc = amlr_json_set_str(entry, "preferred_cache", hosts[0])) ||
	    (rc = set_strs(entry, "aliases", hosts)))
		goto done;
	rc = amlr_json_append(meta, entry); /* steals */
	entry = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = amlr_json_set(body, "metadata", meta); /* steals */
	meta = NULL;
	if (rc == AMLR_OK)
		rc = emu_resp_json(resp, 200, body);
done:
	amlr_json_free(entry);
	amlr_json_free(meta);
	amlr_json_free(body);
	amlr_buf_release(&url);
	return rc;
}

/* App Service's managed-identity error: {statusCode, message, ...}. */
static amlr_code msi_error(struct emu_resp *resp, unsigned int status,
			   const char *message)
{
	char corr[EMU_GUID_SIZE];
	amlr_json *body = NULL;
	amlr_code rc;

	if ((rc = emu_guid_new(corr)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&body)) != AMLR_OK ||
	    (rc = amlr_json_set_int(body, "statusCode", status)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "message", message)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "correlationId", corr)) != AMLR_OK)
		goto done;
	rc = emu_resp_json(resp, status, body);
done:
	amlr_json_free(body);
	return rc;
}

/*
 * GET (or POST, form-encoded, as Automation's samples do) /msi/token:
 * the App Service / Azure Automation managed-identity endpoint,
 * api-version 2019-08-01, secret in X-IDENTITY-HEADER.
 */
static amlr_code msi_token(struct emu_req *req, struct emu_resp *resp)
{
	const struct emu_world *world = req->ctx->world;
	const struct emu_seed_identity *mi;
	struct emu_token_claims in, c;
	struct form f;
	const char *header, *version, *resource, *client_id, *principal_id;
	amlr_json *body = NULL;
	char *jwt = NULL;
	char exp[32];
	int post = strcmp(req->method, "POST") == 0;
	amlr_code rc;

	memset(&f, 0, sizeof(f));
	memset(&in, 0, sizeof(in));
	if (!world->cfg.managed_identity) {
		rc = emu_resp_arm_error(resp, 404, "NotFound",
					"the managed identity endpoint is off; "
					"start the emulator with "
					"--managed-identity");
		goto done;
	}
	header = emu_req_header(req, "X-IDENTITY-HEADER");
	if (!header || !amlr_secret_equal(header, emu_tokens_identity_header(
							  world->tokens))) {
		rc = msi_error(resp, 401,
			       header ? "The X-IDENTITY-HEADER value is "
					"not valid."
				      : "The X-IDENTITY-HEADER header is "
					"required.");
		goto done;
	}
	if (post) {
		rc = form_parse(&f, req->body, req->body_len);
		if (rc == AMLR_EINVAL) {
			rc = msi_error(resp, 400,
				       "The request body is not a "
				       "valid form.");
			goto done;
		}
		if (rc != AMLR_OK)
			goto done;
	}
	version = emu_req_query(req, "api-version");
	resource = post ? form_get(&f, "resource")
			: emu_req_query(req, "resource");
	client_id = post ? form_get(&f, "client_id")
			 : emu_req_query(req, "client_id");
	principal_id = post ? form_get(&f, "principal_id")
			    : emu_req_query(req, "principal_id");
	if (!version || strcmp(version, MSI_API_VERSION) != 0) {
		rc = msi_error(resp, 400,
			       "The api-version parameter must be "
			       "'" MSI_API_VERSION "'.");
		goto done;
	}
	if (!resource || !*resource) {
		rc = msi_error(resp, 400,
			       "The resource parameter is required.");
		goto done;
	}
	if (!known_resource(resource, req->ctx->base_url) ||
	    strlen(resource) >= sizeof(in.aud)) {
		rc = msi_error(resp, 400,
			       "AADSTS500011: The resource principal named "
			       "in the request was not found in the tenant.");
		goto done;
	}
	if (client_id && !*client_id)
		client_id = NULL;
	if (principal_id && !*principal_id)
		principal_id = NULL;
	if (emu_req_query(req, "mi_res_id") ||
	    !(mi = emu_seed_identity(world->seed, client_id, principal_id))) {
		rc = msi_error(resp, 400,
			       "Unable to load the requested managed "
			       "identity.");
		goto done;
	}
	snprintf(in.aud, sizeof(in.aud), "%s", resource);
	snprintf(in.iss, sizeof(in.iss), "%s/%s/", req->ctx->base_url,
		 mi->tenant->id);
	snprintf(in.tid, sizeof(in.tid), "%s", mi->tenant->id);
	snprintf(in.oid, sizeof(in.oid), "%s", mi->object_id);
	snprintf(in.appid, sizeof(in.appid), "%s", mi->client_id);
	snprintf(in.appidacr, sizeof(in.appidacr), "2");
	if ((rc = emu_tokens_issue(&jwt, &c, world->tokens, &in)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&body)) != AMLR_OK)
		goto done;
	snprintf(exp, sizeof(exp), "%lld", c.exp);
	if ((rc = amlr_json_set_str(body, "access_token", jwt)) ||
	    (rc = amlr_json_set_str(body, "expires_on", exp)) ||
	    (rc = amlr_json_set_str(body, "resource", resource)) ||
	    (rc = amlr_json_set_str(body, "token_type", "Bearer")) ||
	    (rc = amlr_json_set_str(body, "client_id", mi->client_id)))
		goto done;
	rc = emu_resp_json(resp, 200, body);
done:
	amlr_json_free(body);
	amlr_secret_free(jwt);
	form_release(&f);
	return rc;
}

/* Append `export NAME='value'`, quoting for the shell. */
static amlr_code export(amlr_buf *out, const char *name, const char *value)
{
	amlr_code rc;

	if ((rc = amlr_buf_printf(out, "export %s='", name)) != AMLR_OK)
		return rc;
	for (; *value && rc == AMLR_OK; value++)
		rc = *value == '\'' ? amlr_buf_puts(out, "'\\''")
				    : amlr_buf_put(out, value, 1);
	return rc == AMLR_OK ? amlr_buf_puts(out, "'\n") : rc;
}

/*
 * The subscription a client of @p p should use: the first of its tenant
 * where it has a role, else the first of its tenant, else the first.
 */
static const struct emu_seed_subscription *
env_subscription(const struct emu_seed *seed,
		 const struct emu_seed_tenant *tenant, const char *object_id)
{
	const struct emu_seed_subscription *any = NULL;
	size_t i;

	for (i = 0; i < seed->nsubscriptions; i++) {
		const struct emu_seed_subscription *s = &seed->subscriptions[i];

		if (s->tenant != tenant)
			continue;
		if (object_id && emu_seed_role(s, object_id) >= 0)
			return s;
		if (!any)
			any = s;
	}
	if (!any && seed->nsubscriptions)
		any = &seed->subscriptions[0];
	return any;
}

amlr_code emu_identity_env(amlr_buf *out, const struct emu_world *world,
			   const char *url)
{
	const struct emu_seed *seed = world->seed;
	const struct emu_seed_principal *p = NULL;
	const struct emu_seed_tenant *tenant = &seed->tenants[0];
	const struct emu_seed_subscription *sub;
	amlr_buf v = AMLR_BUF_INIT;
	amlr_code rc;

	if (seed->nprincipals) {
		p = &seed->principals[0];
		tenant = p->tenant;
	}
	sub = env_subscription(seed, tenant, p ? p->object_id : NULL);
	if ((rc = amlr_buf_printf(&v, "%s/", url)) != AMLR_OK ||
	    (rc = export(out, "AZURE_AUTHORITY_HOST", v.ptr)) ||
	    (rc = export(out, "AMLR_ARM_ENDPOINT", v.ptr)) ||
	    (rc = export(out, "AZURE_TENANT_ID", tenant->id)))
		goto done;
	if (p && ((rc = export(out, "AZURE_CLIENT_ID", p->client_id)) ||
		  (p->nsecrets &&
		   (rc = export(out, "AZURE_CLIENT_SECRET", p->secrets[0])))))
		goto done;
	if (sub && (rc = export(out, "AZURE_SUBSCRIPTION_ID", sub->id)))
		goto done;
	if (sub && sub->ngroups &&
	    ((rc = export(out, "AMLR_RESOURCE_GROUP", sub->groups[0].name)) ||
	     (rc = export(out, "AMLR_LOCATION", sub->groups[0].location))))
		goto done;
	if (world->cfg.managed_identity) {
		amlr_buf_clear(&v);
		if ((rc = amlr_buf_printf(&v, "%s/msi/token", url)) ||
		    (rc = export(out, "IDENTITY_ENDPOINT", v.ptr)) ||
		    (rc = export(out, "IDENTITY_HEADER",
				 emu_tokens_identity_header(world->tokens))))
			goto done;
	}
done:
	amlr_buf_release(&v);
	return rc;
}

/*
 * Literal routes first; the {tenant} ones take a tenant id, a domain,
 * "common"/"organizations" (discovery only) or "adfs".  Under the AD FS
 * style authority (".../adfs"), azure-cli resolves `az login --tenant
 * NAME` by appending NAME to it (/adfs/adfs/..., /adfs/<domain>/...) and
 * reading the tenant from the issuer: the same documents answer there.
 */
const struct emu_route emu_identity_routes[] = {
	{ "GET", "/common/discovery/instance", instance },
	{ "GET", "/" ADFS_TENANT "/{tenant}/.well-known/openid-configuration",
	  openid_v1 },
	{ "GET", "/msi/token", msi_token },
	{ "POST", "/msi/token", msi_token },
	{ "POST", "/{tenant}/oauth2/token", token_v1 },
	{ "POST", "/{tenant}/oauth2/v2.0/token", token_v2 },
	{ "GET", "/{tenant}/v2.0/.well-known/openid-configuration", openid_v2 },
	{ "GET", "/{tenant}/.well-known/openid-configuration", openid_v1 },
	{ "GET", "/{tenant}/discovery/v2.0/keys", jwks },
	{ "GET", "/{tenant}/discovery/keys", jwks },
	EMU_ROUTES_END,
};
