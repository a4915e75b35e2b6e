/* SPDX-License-Identifier: MIT */
/* Matching requests to routes; request and response helpers. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "router.h"

/* Every service's table, searched in this order. */
static const struct emu_route *const route_tables[] = {
	emu_admin_routes,
	emu_identity_routes,
	emu_arm_routes,
	emu_bes_routes,
	emu_health_routes,
	emu_classic_routes,
	emu_blob_routes, /* last: its patterns catch any two segments */
	NULL,
};

#define ALLOW_MAX 16 /* distinct methods named in one Allow header */

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * The byte at @p s (of @p n left) after percent-decoding, and how many
 * bytes it took; a '%' not followed by two hex digits stands for itself.
 */
static int decode_one(const char *s, size_t n, size_t *used)
{
	int hi, lo;

	if (s[0] == '%' && n >= 3 &&
	    (hi = hex_value((unsigned char)s[1])) >= 0 &&
	    (lo = hex_value((unsigned char)s[2])) >= 0) {
		*used = 3;
		return hi * 16 + lo;
	}
	*used = 1;
	return (unsigned char)s[0];
}

/*
 * Percent-decode @p n bytes of @p src into @p dst (which may be @p src:
 * the result is never longer), '+' as space if @p plus; NUL-terminates.
 * Returns -1 when the text decodes to a NUL byte or has a '%' not
 * followed by two hex digits (malformed: Azure answers 400), else 0.
 */
static int decode(char *dst, const char *src, size_t n, int plus)
{
	size_t used;
	int c;

	while (n > 0) {
		c = decode_one(src, n, &used);
		if (plus && used == 1 && c == '+')
			c = ' ';
		if (c == '\0' || (used == 1 && c == '%'))
			return -1;
		*dst++ = (char)c;
		src += used;
		n -= used;
	}
	*dst = '\0';
	return 0;
}

/* Split the query in place into decoded name=value arguments. */
static amlr_code parse_query(struct emu_req *req)
{
	const char *q;
	char *p, *end, *eq;
	size_t n = 1;

	for (q = req->query; *q; q++)
		n += *q == '&';
	if (!(req->query_mem = strdup(req->query)) ||
	    !(req->args = calloc(n, sizeof(*req->args))))
		return AMLR_EFAIL;
	for (p = req->query_mem; *p; p = end) {
		end = p + strcspn(p, "&");
		if (*end)
			*end++ = '\0';
		if (!*p)
			continue;
		eq = p + strcspn(p, "=");
		if (*eq)
			*eq++ = '\0';
		if (decode(p, p, strlen(p), 1) != 0 ||
		    decode(eq, eq, strlen(eq), 1) != 0)
			return AMLR_EINVAL;
		req->args[req->nargs].name = p;
		req->args[req->nargs].value = eq;
		req->nargs++;
	}
	return AMLR_OK;
}

amlr_code emu_req_init(struct emu_req *req, const char *method,
		       const char *target, const struct emu_ctx *ctx)
{
	char *q;
	size_t n;
	amlr_code rc = AMLR_EFAIL;

	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = "";
	req->query = "";
	req->body = "";
	req->raw_path = "";
	req->ctx = ctx;
	if (!(req->target_mem = strdup(target)))
		goto done;
	if ((q = strchr(req->target_mem, '?'))) {
		*q = '\0';
		req->query = q + 1;
	}
	req->raw_path = req->target_mem;
	n = strlen(req->raw_path);
	if (!(req->path_mem = malloc(n + 1)))
		goto done;
	if (req->raw_path[0] != '/' ||
	    decode(req->path_mem, req->raw_path, n, 0) != 0) {
		rc = AMLR_EINVAL;
		goto done;
	}
	req->path = req->path_mem;
	rc = parse_query(req);
done:
	return rc;
}

amlr_code emu_req_add_header(struct emu_req *req, const char *name,
			     const char *value)
{
	struct emu_kv *p;
	size_t cap;

	if (req->nheaders == req->headers_cap) {
		cap = req->headers_cap ? req->headers_cap * 2 : 16;
		if (!(p = realloc(req->headers, cap * sizeof(*p))))
			return AMLR_EFAIL;
		req->headers = p;
		req->headers_cap = cap;
	}
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders].value = value;
	req->nheaders++;
	return AMLR_OK;
}

static const char *kv_find(const struct emu_kv *kv, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NULL;
}

const char *emu_req_header(const struct emu_req *req, const char *name)
{
	return kv_find(req->headers, req->nheaders, name);
}

const char *emu_req_query(const struct emu_req *req, const char *name)
{
	return kv_find(req->args, req->nargs, name);
}

const char *emu_req_param(const struct emu_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

void emu_req_release(struct emu_req *req)
{
	free(req->target_mem);
	free(req->path_mem);
	free(req->query_mem);
	free(req->args);
	free(req->headers);
	amlr_buf_release(&req->params_mem);
	memset(req, 0, sizeof(*req));
}

static struct emu_header *resp_find(const struct emu_resp *resp,
				    const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return &resp->headers[i];
	return NULL;
}

amlr_code emu_resp_set_header(struct emu_resp *resp, const char *name,
			      const char *value)
{
	struct emu_header *h, *p;
	char *v = NULL;
	amlr_code rc = AMLR_EINVAL;

	if (strpbrk(name, "\r\n:") || !*name || strpbrk(value, "\r\n"))
		goto done;
	rc = AMLR_EFAIL;
	if (!(v = strdup(value)))
		goto done;
	if ((h = resp_find(resp, name))) {
		free(h->value);
		h->value = v;
		v = NULL;
		rc = AMLR_OK;
		goto done;
	}
	p = realloc(resp->headers, (resp->nheaders + 1) * sizeof(*p));
	if (!p)
		goto done;
	resp->headers = p;
	h = &p[resp->nheaders];
	if (!(h->name = strdup(name)))
		goto done;
	h->value = v;
	v = NULL;
	resp->nheaders++;
	rc = AMLR_OK;
done:
	free(v);
	return rc;
}

const char *emu_resp_header(const struct emu_resp *resp, const char *name)
{
	const struct emu_header *h = resp_find(resp, name);

	return h ? h->value : NULL;
}

amlr_code emu_resp_body(struct emu_resp *resp, unsigned int status,
			const char *content_type, const void *body, size_t len)
{
	amlr_code rc;

	resp->status = status;
	amlr_buf_clear(&resp->body);
	if (content_type && (rc = emu_resp_set_header(resp, "Content-Type",
						      content_type)) != AMLR_OK)
		return rc;
	return amlr_buf_put(&resp->body, body, len);
}

amlr_code emu_resp_json(struct emu_resp *resp, unsigned int status,
			const amlr_json *json)
{
	amlr_code rc;

	if ((rc = emu_resp_body(resp, status, "application/json; charset=utf-8",
				"", 0)) != AMLR_OK)
		return rc;
	return amlr_json_serialize(&resp->body, json, 0);
}

amlr_code emu_resp_arm_error(struct emu_resp *resp, unsigned int status,
			     const char *code, const char *fmt, ...)
{
	amlr_buf msg = AMLR_BUF_INIT;
	amlr_json *env = NULL, *error = NULL;
	va_list ap;
	amlr_code rc;

	va_start(ap, fmt);
	rc = amlr_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc != AMLR_OK || (rc = amlr_json_new_object(&env)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&error)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(error, "code", code)) != AMLR_OK ||
	    (rc = amlr_json_set_str(error, "message", msg.ptr)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(env, "error", error); /* steals */
	error = NULL;
	if (rc == AMLR_OK)
		rc = emu_resp_json(resp, status, env);
done:
	amlr_json_free(error);
	amlr_json_free(env);
	amlr_buf_release(&msg);
	return rc;
}

void emu_resp_release(struct emu_resp *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	amlr_buf_release(&resp->body);
	resp->headers = NULL;
	resp->nheaders = 0;
	resp->status = 0;
}

/* Whether the percent-encoded segment @p s decodes to the literal @p lit. */
static int segment_equal(const char *lit, size_t lit_len, const char *s,
			 size_t n)
{
	size_t i = 0, used;
	int c;

	while (n > 0) {
		c = decode_one(s, n, &used);
		if (i >= lit_len ||
		    ascii_lower(c) != ascii_lower((unsigned char)lit[i]))
			return 0;
		i++;
		s += used;
		n -= used;
	}
	return i == lit_len;
}

/* Append "name\0value\0", the value percent-decoded. */
static amlr_code capture(amlr_buf *caps, const char *name, size_t name_len,
			 const char *value, size_t value_len)
{
	if (amlr_buf_grow(caps, name_len + value_len + 2) != AMLR_OK)
		return AMLR_EFAIL;
	memcpy(caps->ptr + caps->len, name, name_len);
	caps->len += name_len;
	caps->ptr[caps->len++] = '\0';
	/* Cannot fail: the whole path already decoded without a NUL. */
	(void)decode(caps->ptr + caps->len, value, value_len, 0);
	caps->len += strlen(caps->ptr + caps->len) + 1;
	caps->ptr[caps->len] = '\0';
	return AMLR_OK;
}

/*
 * Whether @p path (as sent) matches @p pattern: 1 yes, 0 no, -1 out of
 * memory.  With @p caps, the captures are appended to it.
 */
static int match(const char *pattern, const char *path, amlr_buf *caps)
{
	size_t pn, sn;
	int rest;

	for (;;) {
		if (!*pattern || !*path)
			return !*pattern && !*path;
		if (*pattern != '/' || *path != '/')
			return 0;
		pattern++;
		path++;
		pn = strcspn(pattern, "/");
		sn = strcspn(path, "/");
		if (pn >= 2 && pattern[0] == '{' && pattern[pn - 1] == '}') {
			rest = pn >= 3 && pattern[pn - 2] == '*';
			if (rest)
				sn = strlen(path);
			if (sn == 0)
				return 0;
			if (caps && capture(caps, pattern + 1, pn - 2 - rest,
					    path, sn) != AMLR_OK)
				return -1;
		} else if (!segment_equal(pattern, pn, path, sn)) {
			return 0;
		}
		pattern += pn;
		path += sn;
	}
}

/* Point req->params at the captures in req->params_mem. */
static void set_params(struct emu_req *req)
{
	const char *p = req->params_mem.ptr;
	/* No capture: ptr is NULL, and NULL + 0 is undefined behaviour. */
	const char *end = p ? p + req->params_mem.len : NULL;

	req->nparams = 0;
	while (p && p < end && req->nparams < EMU_PARAMS_MAX) {
		req->params[req->nparams].name = p;
		p += strlen(p) + 1;
		req->params[req->nparams].value = p;
		p += strlen(p) + 1;
		req->nparams++;
	}
}

/* Add @p method to the set @p allow (of *n) unless it is there. */
static void allow_add(const char **allow, size_t *n, const char *method)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(allow[i], method) == 0)
			return;
	if (*n < ALLOW_MAX)
		allow[(*n)++] = method;
}

/* Answer 405 with an Allow header naming the path's methods. */
static amlr_code not_allowed(struct emu_resp *resp, const struct emu_req *req,
			     const char **allow, size_t n)
{
	amlr_buf list = AMLR_BUF_INIT;
	size_t i;
	amlr_code rc = AMLR_OK;

	for (i = 0; i < n && rc == AMLR_OK; i++)
		if (strcmp(allow[i], "GET") == 0)
			allow_add(allow, &n, "HEAD");
	for (i = 0; i < n && rc == AMLR_OK; i++)
		rc = amlr_buf_printf(&list, "%s%s", i ? ", " : "", allow[i]);
	if (rc == AMLR_OK)
		rc = emu_resp_arm_error(resp, 405, "MethodNotAllowed",
					"method %s is not allowed for %s",
					req->method, req->path);
	if (rc == AMLR_OK)
		rc = emu_resp_set_header(resp, "Allow", list.ptr);
	amlr_buf_release(&list);
	return rc;
}

/* Run the route's handler; a failure or a missing status becomes a 500. */
static amlr_code run(struct emu_resp *resp, struct emu_req *req,
		     const struct emu_route *route)
{
	amlr_code rc;

	if (match(route->pattern, req->raw_path, &req->params_mem) < 0)
		return AMLR_EFAIL;
	set_params(req);
	rc = route->handler(req, resp);
	if (rc == AMLR_OK && resp->status >= 100 && resp->status <= 999)
		return AMLR_OK;
	emu_resp_release(resp);
	return emu_resp_arm_error(
		resp, 500, "InternalServerError",
		"the emulator failed on %s %s: %s", req->method, req->path,
		rc == AMLR_OK ? "no status" : amlr_strerror(rc));
}

amlr_code emu_router_dispatch(struct emu_resp *resp, struct emu_req *req)
{
	const struct emu_route *route = NULL, *get = NULL, *r;
	const char *allow[ALLOW_MAX];
	size_t t, nallow = 0;
	int head = strcmp(req->method, "HEAD") == 0;
	amlr_code rc;

	/*
	 * A service that knows the path but not the method answers 405: the
	 * tables after it (the blob service's catch-all last) are not asked.
	 */
	for (t = 0; route_tables[t] && !route && !get && !nallow; t++) {
		for (r = route_tables[t]; r->pattern && !route; r++) {
			if (match(r->pattern, req->raw_path, NULL) != 1)
				continue;
			if (!r->method || strcmp(r->method, req->method) == 0)
				route = r;
			else if (head && !get && strcmp(r->method, "GET") == 0)
				get = r;
			else
				allow_add(allow, &nallow, r->method);
		}
	}
	if (!route)
		route = get;
	if (route)
		rc = run(resp, req, route);
	else if (nallow > 0)
		rc = not_allowed(resp, req, allow, nallow);
	else
		rc = emu_resp_arm_error(resp, 404, "NotFound",
					"no route for %s %s", req->method,
					req->path);
	if (rc == AMLR_OK)
		rc = emu_router_finish(resp, req);
	return rc;
}

amlr_code emu_router_finish(struct emu_resp *resp, const struct emu_req *req)
{
	char id[EMU_GUID_SIZE];
	const char *corr;
	amlr_code rc;

	if ((rc = emu_guid_new(id)) != AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "x-ms-request-id", id)) != AMLR_OK)
		return rc;
	corr = emu_req_header(req, "x-ms-correlation-request-id");
	if (corr)
		rc = emu_resp_set_header(resp, "x-ms-correlation-request-id",
					 corr);
	return rc == AMLR_EINVAL ? AMLR_OK : rc;
}

amlr_code emu_guid_new(char out[EMU_GUID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, j = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return AMLR_EFAIL;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[b[i] >> 4];
		out[j++] = hex[b[i] & 0x0f];
	}
	out[j] = '\0';
	return AMLR_OK;
}
