/* SPDX-License-Identifier: MIT */
/* The HTTP client: one reused libcurl handle, retries, redacted traces. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "amlr/http.h"
#include "amlr/redact.h"
#include "amlr/secret.h"
#include "amlr/version.h"
#include "http_internal.h"

#define GUID_LEN (AMLR_HTTP__GUID_SIZE - 1)
#define TRACE_BODY_MAX 4096

struct amlr_response {
	long status;
	amlr_buf body;
	struct amlr_http__headers headers;
};

struct amlr_client {
	CURL *curl;
	amlr_error err;
	amlr_client_opts opts; /* strings point into the copies below */
	char *user_agent;
	char *ca_bundle;
	char correlation_id[GUID_LEN + 1];
	amlr_trace_cb trace;
	void *trace_payload;
	char curl_err[CURL_ERROR_SIZE];
};

/* The body being sent: from memory or from a file, rewindable. */
struct body_src {
	const char *mem;
	int fd;
	curl_off_t len;
	curl_off_t pos;
};

/* --- small helpers ------------------------------------------------------ */

static void trace(amlr_client *c, amlr_trace_kind kind, const char *text,
		  size_t len)
{
	amlr_buf red = AMLR_BUF_INIT;

	if (!c->trace)
		return;
	if (amlr_redact(&red, text, len) == AMLR_OK) {
		if (red.len > TRACE_BODY_MAX && kind >= AMLR_TRACE_DATA_OUT) {
			red.len = TRACE_BODY_MAX;
			amlr_buf_printf(&red, "... (%zu bytes in all)", len);
		}
		c->trace(kind, red.ptr, red.len, c->trace_payload);
	}
	amlr_buf_release_secret(&red);
}

static void tracef(amlr_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tracef(amlr_client *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!c->trace)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		trace(c, AMLR_TRACE_INFO, line,
		      (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* --- responses ---------------------------------------------------------- */

void amlr_response_free(amlr_response *resp)
{
	if (!resp)
		return;
	amlr_http__headers_release(&resp->headers);
	amlr_buf_release_secret(&resp->body);
	free(resp);
}

long amlr_response_status(const amlr_response *resp)
{
	return resp->status;
}

const char *amlr_response_body(const amlr_response *resp, size_t *len)
{
	if (len)
		*len = resp->body.len;
	return resp->body.ptr ? resp->body.ptr : "";
}

const char *amlr_response_header(const amlr_response *resp, const char *name)
{
	return amlr_http__headers_get(&resp->headers, name);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	amlr_response *r = userp;

	if (amlr_buf_put(&r->body, data, size * n) != AMLR_OK)
		return 0;
	return size * n;
}

/* --- request bodies ----------------------------------------------------- */

static size_t on_read(char *dst, size_t size, size_t n, void *userp)
{
	struct body_src *b = userp;
	size_t want = size * n;
	ssize_t got;

	if ((curl_off_t)want > b->len - b->pos)
		want = (size_t)(b->len - b->pos);
	if (want == 0)
		return 0;
	if (b->mem) {
		memcpy(dst, b->mem + b->pos, want);
		got = (ssize_t)want;
	} else {
		do
			got = pread(b->fd, dst, want, (off_t)b->pos);
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return CURL_READFUNC_ABORT;
	}
	b->pos += got;
	return (size_t)got;
}

static int on_seek(void *userp, curl_off_t offset, int origin)
{
	struct body_src *b = userp;

	if (origin != SEEK_SET || offset < 0 || offset > b->len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->pos = offset;
	return CURL_SEEKFUNC_OK;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t len,
		    void *userp)
{
	amlr_client *c = userp;

	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		trace(c, AMLR_TRACE_INFO, data, len);
		break;
	case CURLINFO_HEADER_OUT:
		trace(c, AMLR_TRACE_HEADER_OUT, data, len);
		break;
	case CURLINFO_HEADER_IN:
		trace(c, AMLR_TRACE_HEADER_IN, data, len);
		break;
	default:
		/* Bodies are traced whole, after the transfer, so that a
		 * secret never straddles two redaction passes. */
		break;
	}
	return 0;
}

/* --- the client --------------------------------------------------------- */

amlr_code amlr_client_new(amlr_client **out, const amlr_client_opts *opts)
{
	static const amlr_client_opts defaults = AMLR_CLIENT_OPTS_INIT;
	amlr_client *c = NULL;
	amlr_buf ua = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!(c = calloc(1, sizeof(*c))))
		goto done;
	c->opts = *opts;
	if (c->opts.retry.max_attempts == 0)
		c->opts.retry.max_attempts = 1;
	if (amlr_http__user_agent(&ua, opts->user_agent) != AMLR_OK)
		goto done;
	if (!(c->user_agent = amlr_buf_detach(&ua)))
		goto done;
	if (opts->ca_bundle && !(c->ca_bundle = strdup(opts->ca_bundle)))
		goto done;
	c->opts.user_agent = c->user_agent;
	c->opts.ca_bundle = c->ca_bundle;
	if (opts->correlation_id)
		snprintf(c->correlation_id, sizeof(c->correlation_id), "%s",
			 opts->correlation_id);
	else
		amlr_http__new_guid(c->correlation_id);
	c->opts.correlation_id = c->correlation_id;
	if (!(c->curl = curl_easy_init()))
		goto done;
	*out = c;
	c = NULL;
	rc = AMLR_OK;
done:
	amlr_buf_release(&ua);
	amlr_client_free(c);
	return rc;
}

void amlr_client_free(amlr_client *client)
{
	if (!client)
		return;
	if (client->curl)
		curl_easy_cleanup(client->curl);
	free(client->user_agent);
	free(client->ca_bundle);
	free(client);
}

const amlr_error *amlr_client_error(const amlr_client *client)
{
	return &client->err;
}

amlr_error *amlr_client__err(amlr_client *client)
{
	return &client->err;
}

void amlr_client_set_trace_cb(amlr_client *client, amlr_trace_cb cb,
			      void *payload)
{
	client->trace = cb;
	client->trace_payload = payload;
}

const char *amlr_client_correlation_id(const amlr_client *client)
{
	return client->correlation_id;
}

/* 169.254.0.0/16 in dotted form (IMDS, App Service identity). */
static int is_link_local(const char *host)
{
	int a, b, c, d;
	char tail;

	return strncmp(host, "169.254.", 8) == 0 &&
	       sscanf(host, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) == 4 &&
	       c >= 0 && c <= 255 && d >= 0 && d <= 255;
}

/*
 * https anywhere; http only to loopback (or with AMLR_REQ_LINK_LOCAL to
 * 169.254.0.0/16), which also bypasses any proxy.
 */
static amlr_code check_url(amlr_client *c, const char *url, int *loopback,
			   unsigned flags)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	char where[256];
	amlr_code rc = AMLR_EINVAL;

	amlr_http__url_for_message(where, sizeof(where), url ? url : "");
	if (!u) {
		rc = amlr_error_set(&c->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (!url || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		amlr_error_set(&c->err, rc, "invalid URL '%s'", where);
		goto done;
	}
	*loopback = amlr_http__is_loopback(host) ||
		    ((flags & AMLR_REQ_LINK_LOCAL) && is_link_local(host));
	if (strcmp(scheme, "https") != 0 &&
	    !(strcmp(scheme, "http") == 0 && *loopback)) {
		amlr_error_set(
			&c->err, rc,
			"refusing '%s': only https, or http to a loopback address",
			where);
		goto done;
	}
	rc = AMLR_OK;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static amlr_code build_headers(struct curl_slist **out, amlr_client *c,
			       const amlr_request *req, const char *request_id)
{
	struct curl_slist *list = NULL, *tmp;
	char line[128];
	const char *const *h;

	*out = NULL;
	for (h = req->headers; h && *h; h++) {
		if (!(tmp = curl_slist_append(list, *h)))
			goto fail;
		list = tmp;
	}
	snprintf(line, sizeof(line), "x-ms-client-request-id: %s", request_id);
	if (!(tmp = curl_slist_append(list, line)))
		goto fail;
	list = tmp;
	snprintf(line, sizeof(line), "x-ms-correlation-request-id: %s",
		 c->correlation_id);
	if (!(tmp = curl_slist_append(list, line)))
		goto fail;
	list = tmp;
	/* No 100-continue round trip: Azure answers errors on the body. */
	if (!(tmp = curl_slist_append(list, "Expect:")))
		goto fail;
	*out = tmp;
	return AMLR_OK;
fail:
	curl_slist_free_all(list);
	return amlr_error_set(&c->err, AMLR_EFAIL, "out of memory");
}

static void setup_transfer(amlr_client *c, const amlr_request *req,
			   struct curl_slist *headers, struct body_src *body,
			   amlr_response *resp, int loopback)
{
	CURL *h = c->curl;
	int has_body = req->body || req->body_file;
	int is_head = strcasecmp(req->method, "HEAD") == 0;
	int bodyless = is_head || strcasecmp(req->method, "GET") == 0 ||
		       strcasecmp(req->method, "DELETE") == 0;

	curl_easy_reset(h); /* keeps the connection cache */
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, amlr_http__on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp->headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (req->flags & AMLR_REQ_PROBE)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 c->opts.connect_timeout_ms > 0 &&
						 c->opts.connect_timeout_ms <
							 1000
					 ? c->opts.connect_timeout_ms
					 : 1000L);
	else if (c->opts.connect_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 c->opts.connect_timeout_ms);
	if (c->opts.timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
	if (c->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	if (loopback)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (c->trace) {
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
	if (is_head)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (has_body || !bodyless) {
		/* Upload mode for every body: a known Content-Length, no
		 * implicit Content-Type, rewindable for retries. */
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, body->len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, body);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, body);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
}

/* Connection failures before any byte of the request left. */
static int never_sent(CURLcode cc, long request_size)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
		return request_size == 0;
	default:
		return 0;
	}
}

int amlr_http__transient(int curl_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* How long the server asked us to wait, if it did. */
static int server_delay(uint64_t *ms, const amlr_response *r)
{
	return amlr_retry_parse_after_ms(
		       ms, amlr_response_header(r, "x-ms-retry-after-ms")) ||
	       amlr_retry_parse_after_ms(
		       ms, amlr_response_header(r, "retry-after-ms")) ||
	       amlr_retry_parse_after(
		       ms, amlr_response_header(r, "Retry-After"), time(NULL));
}

static amlr_code open_body(struct body_src *b, amlr_client *c,
			   const amlr_request *req)
{
	struct stat st;

	b->fd = -1;
	b->mem = NULL;
	b->len = 0;
	b->pos = 0;
	if (req->body) {
		b->mem = req->body;
		b->len = (curl_off_t)req->body_len;
	} else if (req->body_file) {
		if ((b->fd = open(req->body_file, O_RDONLY | O_CLOEXEC)) < 0 ||
		    fstat(b->fd, &st) != 0)
			return amlr_error_set(&c->err, AMLR_EIO,
					      "cannot read '%s': %s",
					      req->body_file, strerror(errno));
		b->len = (curl_off_t)st.st_size;
	}
	return AMLR_OK;
}

static void trace_bodies(amlr_client *c, const amlr_request *req,
			 const amlr_response *resp)
{
	if (!c->trace)
		return;
	if (req->body)
		trace(c, AMLR_TRACE_DATA_OUT, req->body, req->body_len);
	else if (req->body_file)
		tracef(c, "request body: file '%s'", req->body_file);
	if (resp->body.len)
		trace(c, AMLR_TRACE_DATA_IN, resp->body.ptr, resp->body.len);
}

amlr_code amlr_http_send(amlr_response **out, amlr_client *c,
			 const amlr_request *req)
{
	char request_id[GUID_LEN + 1], where[256];
	struct curl_slist *headers = NULL;
	struct body_src body = { NULL, -1, 0, 0 };
	amlr_response *resp = NULL;
	uint64_t start = amlr_http__now_ms(), delay;
	unsigned attempt;
	int loopback = 0, retry, non_idem;
	long request_size, status = 0;
	CURLcode cc = CURLE_OK;
	amlr_code rc;

	*out = NULL;
	amlr_error_clear(&c->err);
	if (!req->method || !*req->method) {
		rc = amlr_error_set(&c->err, AMLR_EINVAL, "no HTTP method");
		goto done;
	}
	if ((rc = check_url(c, req->url, &loopback, req->flags)) != AMLR_OK)
		goto done;
	amlr_http__new_guid(request_id);
	if ((rc = build_headers(&headers, c, req, request_id)) != AMLR_OK ||
	    (rc = open_body(&body, c, req)) != AMLR_OK)
		goto done;
	if (!(resp = calloc(1, sizeof(*resp)))) {
		rc = amlr_error_set(&c->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	amlr_http__url_for_message(where, sizeof(where), req->url);
	non_idem = (req->flags & AMLR_REQ_NON_IDEMPOTENT) != 0;
	for (attempt = 1;; attempt++) {
		amlr_http__headers_clear(&resp->headers);
		amlr_buf_clear(&resp->body);
		body.pos = 0;
		c->curl_err[0] = '\0';
		setup_transfer(c, req, headers, &body, resp, loopback);
		cc = curl_easy_perform(c->curl);
		status = 0;
		request_size = 0;
		curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE,
				  &request_size);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
					  &status);
			/* 429 and 503 say the request was not carried out:
			 * safe to send again even when it is not idempotent */
			retry = amlr_retry_status_retryable(status) &&
				(!non_idem || status == 429 || status == 503);
		} else {
			retry = amlr_http__transient(cc) &&
				(!non_idem || never_sent(cc, request_size));
		}
		if (!retry || attempt >= c->opts.retry.max_attempts ||
		    (req->flags & AMLR_REQ_PROBE))
			break;
		if (cc != CURLE_OK || !server_delay(&delay, resp))
			delay = amlr_retry_backoff_ms(&c->opts.retry, attempt,
						      amlr_http__random_u32());
		if (amlr_http__now_ms() - start + delay >
		    c->opts.retry.max_total_ms)
			break;
		if (cc == CURLE_OK)
			tracef(c,
			       "retry %u of %u in %llu ms: HTTP %ld from %s %s",
			       attempt, c->opts.retry.max_attempts - 1,
			       (unsigned long long)delay, status, req->method,
			       where);
		else
			tracef(c, "retry %u of %u in %llu ms: %s", attempt,
			       c->opts.retry.max_attempts - 1,
			       (unsigned long long)delay,
			       curl_easy_strerror(cc));
		amlr_http__sleep_ms(delay);
	}
	if (cc != CURLE_OK) {
		/* A body cut short is a reply we cannot use: the server's
		 * fault; the rest are the network's, or ours. */
		rc = amlr_error_set(&c->err,
				    cc == CURLE_ABORTED_BY_CALLBACK ? AMLR_EIO
				    : cc == CURLE_PARTIAL_FILE ? AMLR_ESERVER
							       : AMLR_ENET,
				    "%s %s: %s", req->method, where,
				    c->curl_err[0] ? c->curl_err
						   : curl_easy_strerror(cc));
		snprintf(c->err.request_id, sizeof(c->err.request_id), "%s",
			 request_id);
		goto done;
	}
	trace_bodies(c, req, resp);
	resp->status = status;
	if (status >= 400 && !(req->flags & AMLR_REQ_ANY_STATUS)) {
		const char *rid = amlr_response_header(resp, "x-ms-request-id");

		if (!rid)
			rid = amlr_response_header(resp, "request-id");
		amlr_http__error_from_reply(
			&c->err, status, req->method, req->url, resp->body.ptr,
			resp->body.len,
			amlr_response_header(resp, "x-ms-error-code"),
			rid ? rid : request_id);
		rc = c->err.code;
		goto done;
	}
	*out = resp;
	resp = NULL;
	rc = AMLR_OK;
done:
	if (body.fd >= 0)
		close(body.fd);
	curl_slist_free_all(headers);
	amlr_response_free(resp);
	return rc;
}
