/* SPDX-License-Identifier: MIT */
/* Blob Storage, path-style as Azurite: /ACCOUNT/CONTAINER[/BLOB]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "amlr/blob.h"
#include "amlr/sas.h"
#include "amlr/secret.h"
#include "amlr/sharedkey.h"
#include "blob_store.h"
#include "router.h"
#include "seed.h"

#define DATE_SKEW_S (15 * 60) /* Azure refuses older or newer requests */
#define LIST_MAX 5000u
#define OLDEST_SAS_VERSION "2015-04-05"

/* What an operation needs of a SAS. */
struct op {
	const char *name;
	const char *perms; /* any one of these letters */
	char resource_type; /* account SAS srt: 'c' container, 'o' object */
	int service_sas; /* a service SAS may authorise it */
};

static const struct op op_create_container = { "create container", "cw", 'c',
					       0 };
static const struct op op_delete_container = { "delete container", "d", 'c',
					       0 };
static const struct op op_container_props = { "get container properties", "r",
					      'c', 1 };
static const struct op op_list = { "list blobs", "l", 'c', 1 };
static const struct op op_write = { "write blob", "wc", 'o', 1 };
static const struct op op_read = { "read blob", "r", 'o', 1 };
static const struct op op_delete = { "delete blob", "d", 'o', 1 };

/* --- responses ---------------------------------------------------------- */

static amlr_code common_headers(struct emu_req *req, struct emu_resp *resp)
{
	const char *v = emu_req_header(req, "x-ms-version");
	const char *id = emu_req_header(req, "x-ms-client-request-id");
	amlr_code rc;

	rc = emu_resp_set_header(resp, "x-ms-version",
				 v ? v : AMLR_STORAGE_VERSION);
	if (rc == AMLR_OK && id &&
	    emu_resp_set_header(resp, "x-ms-client-request-id", id) ==
		    AMLR_EFAIL)
		rc = AMLR_EFAIL;
	return rc;
}

/* Storage's XML error, with x-ms-error-code; detail may be NULL. */
static amlr_code storage_error(struct emu_req *req, struct emu_resp *resp,
			       unsigned status, const char *code,
			       const char *message, const char *detail)
{
	amlr_buf x = AMLR_BUF_INIT;
	char now[AMLR_SAS_TIME_SIZE];
	amlr_code rc = AMLR_EFAIL;

	amlr_sas_format_time(now, time(NULL));
	if (amlr_buf_printf(&x,
			    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
			    "<Error><Code>%s</Code><Message>",
			    code) != AMLR_OK ||
	    emu_blob_xml_escape(&x, message) != AMLR_OK ||
	    amlr_buf_printf(&x, "\nTime:%s</Message>", now) != AMLR_OK)
		goto done;
	if (detail &&
	    (amlr_buf_puts(&x, "<AuthenticationErrorDetail>") != AMLR_OK ||
	     emu_blob_xml_escape(&x, detail) != AMLR_OK ||
	     amlr_buf_puts(&x, "</AuthenticationErrorDetail>") != AMLR_OK))
		goto done;
	if (amlr_buf_puts(&x, "</Error>") != AMLR_OK)
		goto done;
	emu_resp_release(resp);
	/* HEAD: no body, so no Content-Type or length that promises one. */
	if (strcmp(req->method, "HEAD") == 0)
		rc = emu_resp_body(resp, status, NULL, "", 0);
	else
		rc = emu_resp_body(resp, status, "application/xml", x.ptr,
				   x.len);
	if (rc != AMLR_OK || (rc = emu_resp_set_header(resp, "x-ms-error-code",
						       code)) != AMLR_OK)
		goto done;
	rc = common_headers(req, resp);
done:
	amlr_buf_release(&x);
	return rc;
}

static amlr_code fail_answer(struct emu_req *req, struct emu_resp *resp,
			     const struct emu_blob_fail *f, amlr_code rc)
{
	if (rc == AMLR_EFAIL || rc == AMLR_EIO || !f->code)
		return storage_error(
			req, resp, 500, "InternalError",
			"Server encountered an internal error. Please try again after some time.",
			NULL);
	if (f->status == 304) {
		emu_resp_release(resp);
		resp->status = 304;
		return common_headers(req, resp);
	}
	return storage_error(req, resp, f->status, f->code, f->message, NULL);
}

static amlr_code set_info_headers(struct emu_resp *resp,
				  const struct emu_blob_info *i)
{
	if (emu_resp_set_header(resp, "ETag", i->etag) != AMLR_OK ||
	    emu_resp_set_header(resp, "Last-Modified", i->last_modified) !=
		    AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

/* --- authentication ----------------------------------------------------- */

static const char *account_key(const struct emu_req *req, const char *account)
{
	const struct emu_world *w = req->ctx->world;
	const struct emu_seed_storage *a =
		w && w->seed ? emu_seed_storage(w->seed, account) : NULL;

	return a ? a->key : NULL;
}

/* Parse an RFC 1123 date ("Mon, 01 Jan 2024 00:00:00 GMT"). */
static int parse_http_date(time_t *out, const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, y, h, mi, sec, m;
	const char *p;
	char sas[64];

	if (sscanf(s, "%*3s, %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &h, &mi,
		   &sec) != 6 ||
	    !(p = strstr(months, mon)) || strlen(mon) != 3)
		return -1;
	m = (int)(p - months) / 3 + 1;
	snprintf(sas, sizeof(sas), "%04u-%02u-%02uT%02u:%02u:%02uZ",
		 (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u,
		 (unsigned)h % 100u, (unsigned)mi % 100u, (unsigned)sec % 100u);
	return amlr_sas_parse_time(out, sas) == AMLR_OK ? 0 : -1;
}

/* Every request header as "Name: value", for the string-to-sign. */
static amlr_code header_lines(char ***out, const struct emu_req *req)
{
	char **lines = calloc(req->nheaders + 1, sizeof(*lines));
	amlr_buf b = AMLR_BUF_INIT;
	size_t i;

	*out = lines;
	if (!lines)
		return AMLR_EFAIL;
	for (i = 0; i < req->nheaders; i++) {
		amlr_buf_clear(&b);
		if (amlr_buf_printf(&b, "%s: %s", req->headers[i].name,
				    req->headers[i].value) != AMLR_OK ||
		    !(lines[i] = amlr_buf_detach(&b)))
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

static void lines_free(char **lines)
{
	size_t i;

	for (i = 0; lines && lines[i]; i++)
		free(lines[i]);
	free(lines);
}

/* 1: admitted; 0: *resp holds the 403; -1: out of memory. */
static int shared_key(struct emu_req *req, struct emu_resp *resp,
		      const char *account, const char *key, const char *auth)
{
	const char *date = emu_req_header(req, "x-ms-date");
	char **lines = NULL;
	char *want = NULL;
	amlr_buf sts = AMLR_BUF_INIT;
	time_t t;
	int ok = -1;

	if (!date)
		date = emu_req_header(req, "Date");
	if (!date || parse_http_date(&t, date) != 0 ||
	    t < time(NULL) - DATE_SKEW_S || t > time(NULL) + DATE_SKEW_S) {
		ok = storage_error(
			     req, resp, 403, "AuthenticationFailed",
			     "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
			     "Request date header (x-ms-date) missing, malformed or more than 15 minutes from the current time.") ==
				     AMLR_OK
			     ? 0
			     : -1;
		goto done;
	}
	/* The path exactly as sent: what the client signed. */
	if (header_lines(&lines, req) != AMLR_OK ||
	    amlr_sharedkey_authorization(&want, NULL, account, key, req->method,
					 req->raw_path, req->query,
					 (const char *const *)lines) != AMLR_OK)
		goto done;
	if (amlr_secret_equal(auth, want)) {
		ok = 1;
		goto done;
	}
	amlr_sharedkey_string_to_sign(&sts, account, req->method, req->raw_path,
				      req->query, (const char *const *)lines);
	ok = storage_error(
		     req, resp, 403, "AuthenticationFailed",
		     "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
		     sts.ptr ? sts.ptr : "") == AMLR_OK
		     ? 0
		     : -1;
done:
	amlr_buf_release(&sts);
	amlr_secret_free(want);
	lines_free(lines);
	return ok;
}

static int deny(struct emu_req *req, struct emu_resp *resp, const char *code,
		const char *message, const char *detail)
{
	return storage_error(req, resp, 403, code, message, detail) == AMLR_OK
		       ? 0
		       : -1;
}

#define MSG_AUTH \
	"Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature."

static int sas_check(struct emu_req *req, struct emu_resp *resp,
		     const char *account, const char *key,
		     const char *container, const char *blob,
		     const struct op *op)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_sas *sas = NULL;
	amlr_sas_values v;
	amlr_buf sts = AMLR_BUF_INIT;
	char sig[AMLR_SHAREDKEY_SIG_SIZE] = "";
	const char *sr, *sp, *p;
	time_t st, se, now = time(NULL);
	int https = strncmp(req->ctx->base_url, "https:", 6) == 0, ok = -1;

	if (amlr_sas_parse(&sas, &err, req->query, 0) != AMLR_OK) {
		ok = deny(req, resp, "AuthenticationFailed", MSG_AUTH,
			  err.message);
		goto done;
	}
	amlr_sas_values_of(&v, sas);
	sr = amlr_sas_get(sas, "sr");
	if (strcmp(v.version, OLDEST_SAS_VERSION) < 0) {
		ok = deny(req, resp, "AuthenticationFailed", MSG_AUTH,
			  "The signed version (sv) is not supported.");
		goto done;
	}
	if (v.identifier) {
		ok = deny(
			req, resp, "AuthenticationFailed", MSG_AUTH,
			"Stored access policies (si) are not supported by the emulator.");
		goto done;
	}
	if (sr && (!op->service_sas || (strcmp(sr, "c") != 0 && !blob))) {
		ok = deny(
			req, resp, "AuthorizationResourceTypeMismatch",
			"This request is not authorized to perform this operation using this resource type.",
			NULL);
		goto done;
	}
	if (sr ? amlr_sas_service_string_to_sign(
			 &sts, account, container,
			 strcmp(sr, "c") == 0 ? NULL : blob, &v)
	       : amlr_sas_account_string_to_sign(&sts, account, &v))
		goto done;
	if (amlr_sharedkey_hmac(sig, NULL, key, sts.ptr, sts.len) != AMLR_OK)
		goto done;
	if (!amlr_secret_equal(sig, amlr_sas_get(sas, "sig"))) {
		ok = deny(req, resp, "AuthenticationFailed", MSG_AUTH,
			  "Signature did not match.");
		goto done;
	}
	if ((v.start && amlr_sas_parse_time(&st, v.start) == AMLR_OK &&
	     now < st) ||
	    (v.expiry && amlr_sas_parse_time(&se, v.expiry) == AMLR_OK &&
	     now >= se)) {
		ok = deny(
			req, resp, "AuthenticationFailed", MSG_AUTH,
			"Signed expiry time has passed or signed start time is in the future: the signature is not valid in the specified time frame.");
		goto done;
	}
	if (v.protocol && strcmp(v.protocol, "https") == 0 && !https) {
		ok = deny(
			req, resp, "AuthorizationProtocolMismatch",
			"This request is not authorized to perform this operation using this protocol.",
			NULL);
		goto done;
	}
	if (!sr && !strchr(v.services, 'b')) {
		ok = deny(
			req, resp, "AuthorizationServiceMismatch",
			"This request is not authorized to perform this operation using this service.",
			NULL);
		goto done;
	}
	if (!sr && !strchr(v.resource_types, op->resource_type)) {
		ok = deny(
			req, resp, "AuthorizationResourceTypeMismatch",
			"This request is not authorized to perform this operation using this resource type.",
			NULL);
		goto done;
	}
	sp = v.permissions ? v.permissions : "";
	for (p = op->perms; *p && !strchr(sp, *p); p++)
		;
	if (!*p) {
		ok = deny(
			req, resp, "AuthorizationPermissionMismatch",
			"This request is not authorized to perform this operation using this permission.",
			NULL);
		goto done;
	}
	ok = 1;
done:
	amlr_secret_wipe(sig, sizeof(sig));
	amlr_buf_release(&sts);
	amlr_sas_free(sas);
	return ok;
}

/* Admit the request for @p op; 1 yes, 0 refused in *resp, -1 failure. */
static int authorize(struct emu_req *req, struct emu_resp *resp,
		     const char *account, const char *key,
		     const char *container, const char *blob,
		     const struct op *op)
{
	const char *auth = emu_req_header(req, "Authorization");
	const char *version = emu_req_header(req, "x-ms-version");
	time_t t;

	/* Every authorised request names its version (a SAS has sv). */
	if (auth && !version)
		return storage_error(
			       req, resp, 400, "MissingRequiredHeader",
			       "An HTTP header that's mandatory for this request is not specified.",
			       "x-ms-version") == AMLR_OK
			       ? 0
			       : -1;
	if (version && (strlen(version) != 10 ||
			amlr_sas_parse_time(&t, version) != AMLR_OK))
		return storage_error(
			       req, resp, 400, "InvalidHeaderValue",
			       "The value for one of the HTTP headers is not in the correct format.",
			       "x-ms-version") == AMLR_OK
			       ? 0
			       : -1;
	if (auth)
		return shared_key(req, resp, account, key, auth);
	if (emu_req_query(req, "sig"))
		return sas_check(req, resp, account, key, container, blob, op);
	return storage_error(
		       req, resp, 401, "NoAuthenticationInformation",
		       "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
		       NULL) == AMLR_OK
		       ? 0
		       : -1;
}

/* --- operations --------------------------------------------------------- */

static amlr_code created(struct emu_req *req, struct emu_resp *resp,
			 unsigned status, const struct emu_blob_info *i)
{
	amlr_code rc;

	if ((rc = emu_resp_body(resp, status, NULL, "", 0)) != AMLR_OK ||
	    (i && (rc = set_info_headers(resp, i)) != AMLR_OK))
		return rc;
	return common_headers(req, resp);
}

static amlr_code md5_b64(char out[32], const void *data, size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, d, &n, EVP_md5(), NULL))
		return AMLR_EFAIL;
	EVP_EncodeBlock((unsigned char *)out, d, (int)n);
	return AMLR_OK;
}

/* A Content-MD5 sent must match the body: 400 Md5Mismatch otherwise. */
static int md5_ok(struct emu_req *req, char computed[32])
{
	const char *given = emu_req_header(req, "Content-MD5");

	if (md5_b64(computed, req->body, req->body_len) != AMLR_OK)
		return -1;
	return !given || strcmp(given, computed) == 0;
}

static void cond_of(struct emu_blob_cond *c, const struct emu_req *req)
{
	c->if_match = emu_req_header(req, "If-Match");
	c->if_none_match = emu_req_header(req, "If-None-Match");
}

static amlr_code put_blob(struct emu_req *req, struct emu_resp *resp,
			  struct emu_blob *store, const char *account,
			  const char *container, const char *name)
{
	const char *type = emu_req_header(req, "x-ms-blob-type");
	const char *ct = emu_req_header(req, "x-ms-blob-content-type");
	const char *md5 = emu_req_header(req, "x-ms-blob-content-md5");
	struct emu_blob_fail f = { 0, NULL, "" };
	struct emu_blob_cond cond;
	struct emu_blob_info info;
	char computed[32];
	int ok;
	amlr_code rc;

	if (!type)
		return storage_error(
			req, resp, 400, "MissingRequiredHeader",
			"An HTTP header that's mandatory for this request is not specified.",
			NULL);
	if (strcmp(type, "BlockBlob") != 0)
		return storage_error(
			req, resp, 400, "InvalidHeaderValue",
			"The value for one of the HTTP headers is not in the correct format: the emulator stores block blobs only.",
			NULL);
	if ((ok = md5_ok(req, computed)) < 0)
		return AMLR_EFAIL;
	if (!ok)
		return storage_error(
			req, resp, 400, "Md5Mismatch",
			"The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
			NULL);
	if (!ct)
		ct = emu_req_header(req, "Content-Type");
	cond_of(&cond, req);
	rc = emu_blob_put(store, &f, account, container, name, req->body,
			  req->body_len, ct ? ct : "application/octet-stream",
			  md5 ? md5 : computed, &cond, &info);
	if (rc != AMLR_OK)
		return fail_answer(req, resp, &f, rc);
	if ((rc = created(req, resp, 201, &info)) != AMLR_OK)
		return rc;
	if ((rc = emu_resp_set_header(resp, "Content-MD5", computed)) !=
	    AMLR_OK)
		return rc;
	return emu_resp_set_header(resp, "x-ms-request-server-encrypted",
				   "true");
}

static amlr_code put_block(struct emu_req *req, struct emu_resp *resp,
			   struct emu_blob *store, const char *account,
			   const char *container, const char *name)
{
	const char *id = emu_req_query(req, "blockid");
	struct emu_blob_fail f = { 0, NULL, "" };
	char computed[32];
	int ok;
	amlr_code rc;

	if (!id || !*id)
		return storage_error(
			req, resp, 400, "MissingRequiredQueryParameter",
			"A query parameter that's mandatory for this request is not specified.",
			NULL);
	if ((ok = md5_ok(req, computed)) < 0)
		return AMLR_EFAIL;
	if (!ok)
		return storage_error(
			req, resp, 400, "Md5Mismatch",
			"The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
			NULL);
	rc = emu_blob_put_block(store, &f, account, container, name, id,
				req->body, req->body_len);
	if (rc != AMLR_OK)
		return fail_answer(req, resp, &f, rc);
	if ((rc = created(req, resp, 201, NULL)) != AMLR_OK)
		return rc;
	return emu_resp_set_header(resp, "Content-MD5", computed);
}

static amlr_code put_block_list(struct emu_req *req, struct emu_resp *resp,
				struct emu_blob *store, const char *account,
				const char *container, const char *name)
{
	const char *ct = emu_req_header(req, "x-ms-blob-content-type");
	const char *md5 = emu_req_header(req, "x-ms-blob-content-md5");
	struct emu_blob_fail f = { 0, NULL, "" };
	struct emu_blob_cond cond;
	struct emu_blob_info info;
	amlr_code rc;

	cond_of(&cond, req);
	rc = emu_blob_put_block_list(
		store, &f, account, container, name, req->body, req->body_len,
		ct ? ct : "application/octet-stream", md5, &cond, &info);
	if (rc != AMLR_OK)
		return fail_answer(req, resp, &f, rc);
	return created(req, resp, 201, &info);
}

/* "bytes=A-B" or "bytes=A-"; 0 when absent or not of that form. */
static int parse_range(struct emu_blob_range *r, const char *v)
{
	unsigned long long a, b;
	char *end;

	memset(r, 0, sizeof(*r));
	if (!v || strncmp(v, "bytes=", 6) != 0 || v[6] < '0' || v[6] > '9')
		return 0;
	a = strtoull(v + 6, &end, 10);
	if (*end != '-')
		return 0;
	if (end[1] == '\0') {
		b = UINT64_MAX;
	} else {
		if (end[1] < '0' || end[1] > '9')
			return 0;
		b = strtoull(end + 1, &end, 10);
		if (*end || b < a)
			return 0;
	}
	r->given = 1;
	r->first = a;
	r->last = b;
	return 1;
}

static amlr_code get_blob(struct emu_req *req, struct emu_resp *resp,
			  struct emu_blob *store, const char *account,
			  const char *container, const char *name)
{
	const char *rv = emu_req_header(req, "x-ms-range");
	int head = strcmp(req->method, "HEAD") == 0;
	struct emu_blob_fail f = { 0, NULL, "" };
	struct emu_blob_range range;
	struct emu_blob_cond cond;
	struct emu_blob_info info;
	uint64_t off = 0, len = 0;
	char cr[96];
	amlr_code rc;

	parse_range(&range, rv ? rv : emu_req_header(req, "Range"));
	if (head)
		range.given = 0;
	cond_of(&cond, req);
	emu_resp_release(resp);
	rc = emu_blob_read(store, &f, account, container, name, &cond, &range,
			   &info, &off, &len, head ? NULL : &resp->body);
	if (rc != AMLR_OK) {
		if (f.status == 416) {
			rc = storage_error(req, resp, 416, f.code, f.message,
					   NULL);
			snprintf(cr, sizeof(cr), "bytes */%llu",
				 (unsigned long long)info.size);
			return rc == AMLR_OK
				       ? emu_resp_set_header(
						 resp, "Content-Range", cr)
				       : rc;
		}
		return fail_answer(req, resp, &f, rc);
	}
	if (head) {
		/*
		 * The server's Content-Length is the body's length and a HEAD
		 * body is never sent: reserve it without touching the pages.
		 */
		if (amlr_buf_grow(&resp->body, (size_t)info.size) != AMLR_OK)
			return AMLR_EFAIL;
		resp->body.len = (size_t)info.size;
		resp->body.ptr[resp->body.len] = '\0';
		len = info.size;
	}
	resp->status = range.given ? 206 : 200;
	if ((rc = emu_resp_set_header(resp, "Content-Type",
				      info.content_type)) != AMLR_OK ||
	    (rc = set_info_headers(resp, &info)) != AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "x-ms-creation-time",
				      info.created)) != AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "x-ms-blob-type", "BlockBlob")) !=
		    AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "Accept-Ranges", "bytes")) !=
		    AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "x-ms-lease-state", "available")) !=
		    AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "x-ms-lease-status", "unlocked")) !=
		    AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "x-ms-server-encrypted", "true")) !=
		    AMLR_OK)
		return rc;
	if (info.md5[0] &&
	    (rc = emu_resp_set_header(resp,
				      range.given ? "x-ms-blob-content-md5"
						  : "Content-MD5",
				      info.md5)) != AMLR_OK)
		return rc;
	if (range.given) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu",
			 (unsigned long long)off,
			 (unsigned long long)(off + len - 1),
			 (unsigned long long)info.size);
		if ((rc = emu_resp_set_header(resp, "Content-Range", cr)) !=
		    AMLR_OK)
			return rc;
	}
	return common_headers(req, resp);
}

static amlr_code list_blobs(struct emu_req *req, struct emu_resp *resp,
			    struct emu_blob *store, const char *account,
			    const char *container)
{
	const char *prefix = emu_req_query(req, "prefix");
	const char *delim = emu_req_query(req, "delimiter");
	const char *marker = emu_req_query(req, "marker");
	const char *maxs = emu_req_query(req, "maxresults");
	struct emu_blob_fail f = { 0, NULL, "" };
	amlr_buf x = AMLR_BUF_INIT, items = AMLR_BUF_INIT;
	unsigned long max = LIST_MAX;
	char *next = NULL, *end;
	amlr_code rc = AMLR_EFAIL;

	if (maxs) {
		max = strtoul(maxs, &end, 10);
		if (!*maxs || *end || max < 1 || max > LIST_MAX) {
			rc = storage_error(
				req, resp, 400, "OutOfRangeQueryParameterValue",
				"One of the query parameters specified in the request URI is outside the permissible range.",
				NULL);
			goto done;
		}
	}
	rc = emu_blob_list(store, &f, account, container, prefix, delim, marker,
			   (unsigned)max, &items, &next);
	if (rc != AMLR_OK) {
		rc = fail_answer(req, resp, &f, rc);
		goto done;
	}
	rc = AMLR_EFAIL;
	if (amlr_buf_puts(&x, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
			      "<EnumerationResults ServiceEndpoint=\"") !=
		    AMLR_OK ||
	    emu_blob_xml_escape(&x, req->ctx->base_url) != AMLR_OK ||
	    amlr_buf_puts(&x, "/") != AMLR_OK ||
	    emu_blob_xml_escape(&x, account) != AMLR_OK ||
	    amlr_buf_puts(&x, "/\" ContainerName=\"") != AMLR_OK ||
	    emu_blob_xml_escape(&x, container) != AMLR_OK ||
	    amlr_buf_puts(&x, "\">") != AMLR_OK)
		goto done;
	if (prefix && (amlr_buf_puts(&x, "<Prefix>") != AMLR_OK ||
		       emu_blob_xml_escape(&x, prefix) != AMLR_OK ||
		       amlr_buf_puts(&x, "</Prefix>") != AMLR_OK))
		goto done;
	if (marker && (amlr_buf_puts(&x, "<Marker>") != AMLR_OK ||
		       emu_blob_xml_escape(&x, marker) != AMLR_OK ||
		       amlr_buf_puts(&x, "</Marker>") != AMLR_OK))
		goto done;
	if (maxs &&
	    amlr_buf_printf(&x, "<MaxResults>%lu</MaxResults>", max) != AMLR_OK)
		goto done;
	if (delim && (amlr_buf_puts(&x, "<Delimiter>") != AMLR_OK ||
		      emu_blob_xml_escape(&x, delim) != AMLR_OK ||
		      amlr_buf_puts(&x, "</Delimiter>") != AMLR_OK))
		goto done;
	if (amlr_buf_puts(&x, "<Blobs>") != AMLR_OK ||
	    (items.len && amlr_buf_put(&x, items.ptr, items.len) != AMLR_OK) ||
	    amlr_buf_puts(&x, "</Blobs><NextMarker>") != AMLR_OK ||
	    (next && emu_blob_xml_escape(&x, next) != AMLR_OK) ||
	    amlr_buf_puts(&x, "</NextMarker></EnumerationResults>") != AMLR_OK)
		goto done;
	if ((rc = emu_resp_body(resp, 200, "application/xml", x.ptr, x.len)) ==
	    AMLR_OK)
		rc = common_headers(req, resp);
done:
	free(next);
	amlr_buf_release(&items);
	amlr_buf_release(&x);
	return rc;
}

/* --- dispatch ----------------------------------------------------------- */

static int query_is(const struct emu_req *req, const char *name,
		    const char *value)
{
	const char *v = emu_req_query(req, name);

	return v && strcasecmp(v, value) == 0;
}

/*
 * The routes catch every path of two or more segments, after all other
 * services: a first segment that is no storage account is answered as the
 * router answers unknown paths.
 */
static int known_account(struct emu_req *req, struct emu_resp *resp,
			 const char *account, const char **key)
{
	*key = account_key(req, account);
	if (*key && req->ctx->world->blob)
		return 1;
	emu_resp_arm_error(resp, 404, "NotFound", "no route for %s %s",
			   req->method, req->path);
	return 0;
}

static amlr_code bad_op(struct emu_req *req, struct emu_resp *resp)
{
	return storage_error(
		req, resp, 400, "UnsupportedHttpVerb",
		"The resource doesn't support the specified HTTP verb or query parameters.",
		NULL);
}

static amlr_code container_route(struct emu_req *req, struct emu_resp *resp)
{
	const char *account = emu_req_param(req, "account");
	const char *container = emu_req_param(req, "container");
	struct emu_blob *store = req->ctx->world->blob;
	struct emu_blob_fail f = { 0, NULL, "" };
	struct emu_blob_info info;
	const struct op *op = NULL;
	const char *key;
	int is_container = query_is(req, "restype", "container");
	int ok;
	amlr_code rc;

	if (!known_account(req, resp, account, &key))
		return AMLR_OK;
	if (!amlr_blob_container_name_valid(container))
		return storage_error(
			req, resp, 400, "InvalidResourceName",
			"The specified resource name contains invalid characters.",
			NULL);
	if (!is_container)
		return bad_op(req, resp);
	if (strcmp(req->method, "PUT") == 0 && !emu_req_query(req, "comp"))
		op = &op_create_container;
	else if (strcmp(req->method, "DELETE") == 0 &&
		 !emu_req_query(req, "comp"))
		op = &op_delete_container;
	else if ((strcmp(req->method, "GET") == 0 ||
		  strcmp(req->method, "HEAD") == 0) &&
		 query_is(req, "comp", "list"))
		op = &op_list;
	else if ((strcmp(req->method, "GET") == 0 ||
		  strcmp(req->method, "HEAD") == 0) &&
		 !emu_req_query(req, "comp"))
		op = &op_container_props;
	if (!op)
		return bad_op(req, resp);
	if ((ok = authorize(req, resp, account, key, container, NULL, op)) <= 0)
		return ok < 0 ? AMLR_EFAIL : AMLR_OK;
	if (op == &op_list)
		return list_blobs(req, resp, store, account, container);
	if (op == &op_create_container)
		rc = emu_blob_container_create(store, &f, account, container,
					       &info);
	else if (op == &op_delete_container)
		rc = emu_blob_container_delete(store, &f, account, container);
	else
		rc = emu_blob_container_get(store, &f, account, container,
					    &info);
	if (rc != AMLR_OK)
		return fail_answer(req, resp, &f, rc);
	if (op == &op_delete_container)
		return created(req, resp, 202, NULL);
	return created(req, resp, op == &op_create_container ? 201 : 200,
		       &info);
}

static amlr_code blob_route(struct emu_req *req, struct emu_resp *resp)
{
	const char *account = emu_req_param(req, "account");
	const char *container = emu_req_param(req, "container");
	const char *name = emu_req_param(req, "blob");
	const char *comp = emu_req_query(req, "comp");
	struct emu_blob *store = req->ctx->world->blob;
	struct emu_blob_fail f = { 0, NULL, "" };
	const struct op *op = NULL;
	const char *key;
	int ok;
	amlr_code rc;

	if (!known_account(req, resp, account, &key))
		return AMLR_OK;
	if (!amlr_blob_container_name_valid(container) || strlen(name) > 1024)
		return storage_error(
			req, resp, 400, "InvalidResourceName",
			"The specified resource name contains invalid characters.",
			NULL);
	if (strcmp(req->method, "PUT") == 0 &&
	    (!comp || strcmp(comp, "block") == 0 ||
	     strcmp(comp, "blocklist") == 0))
		op = &op_write;
	else if ((strcmp(req->method, "GET") == 0 ||
		  strcmp(req->method, "HEAD") == 0) &&
		 !comp)
		op = &op_read;
	else if (strcmp(req->method, "DELETE") == 0 && !comp)
		op = &op_delete;
	if (!op)
		return bad_op(req, resp);
	if ((ok = authorize(req, resp, account, key, container, name, op)) <= 0)
		return ok < 0 ? AMLR_EFAIL : AMLR_OK;
	if (op == &op_read)
		return get_blob(req, resp, store, account, container, name);
	if (op == &op_delete) {
		rc = emu_blob_delete(store, &f, account, container, name);
		if (rc != AMLR_OK)
			return fail_answer(req, resp, &f, rc);
		return created(req, resp, 202, NULL);
	}
	if (!comp)
		return put_blob(req, resp, store, account, container, name);
	if (strcmp(comp, "block") == 0)
		return put_block(req, resp, store, account, container, name);
	return put_block_list(req, resp, store, account, container, name);
}

/* Last in route_tables[]: these patterns would shadow other services. */
const struct emu_route emu_blob_routes[] = {
	{ NULL, "/{account}/{container}", container_route },
	{ NULL, "/{account}/{container}/{blob*}", blob_route },
	EMU_ROUTES_END,
};
