/* SPDX-License-Identifier: MIT */
/* Blob Storage client: signed requests, a pool of parallel transfers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "amlr/blob.h"
#include "amlr/fileio.h"
#include "amlr/redact.h"
#include "amlr/sas.h"
#include "amlr/secret.h"
#include "amlr/sharedkey.h"
#include "amlr/version.h"
#include "blob_internal.h"
#include "http_internal.h"
#include "sharedkey_internal.h"

#define MIB ((size_t)1 << 20)
#define DEFAULT_BLOCK (8 * MIB)
#define DEFAULT_PARALLEL 4u
#define MAX_PARALLEL 32u
#define MAX_BLOCKS 50000u /* committed blocks per blob */
#define CONTROL_BODY_MAX (32 * MIB) /* list pages, error documents */
#define ERROR_BODY_MAX ((size_t)64 << 10)
#define GUID_SIZE 37
#define EXTRA_MAX 8
#define TRACE_MAX 4096

enum slot_state { IDLE, RUNNING, WAITING, HELD };

/* One request to make: what a slot is told to do. */
struct task {
	const char *method;
	const char *container;
	const char *name; /* NULL: the container itself */
	amlr_buf query; /* operation arguments, encoded; no SAS */
	char *extra[EXTRA_MAX]; /* "Name: value" lines */
	size_t nextra;
	const void *body; /* upload from memory, or NULL */
	size_t body_len;
	int upload; /* PUT with a body (possibly empty) */
	size_t resp_max; /* largest body accepted */
	size_t index; /* block or range number */
	uint64_t offset, length; /* range of a download */
};

/* A transfer slot: an easy handle and the state of its current task. */
struct slot {
	CURL *h;
	enum slot_state state;
	struct task t;
	struct curl_slist *headers;
	amlr_buf url;
	amlr_buf resp; /* body of the reply */
	struct amlr_http__headers rh; /* headers of the final reply */
	unsigned char *buf; /* block data of an upload */
	size_t pos; /* upload position */
	unsigned attempt;
	uint64_t first_ms, not_before_ms;
	long status;
	int overflow; /* the reply body passed resp_max */
	char request_id[GUID_SIZE];
	char errbuf[CURL_ERROR_SIZE];
	struct amlr_blob *owner;
};

struct amlr_blob {
	CURLM *multi;
	struct slot *slots;
	unsigned nslots;
	amlr_error err;
	amlr_blob_opts opts;
	char *endpoint; /* without trailing '/' */
	char *path_prefix; /* the endpoint's path ("/devstoreaccount1" or "") */
	char *account;
	char *key; /* secret */
	char *sas; /* secret */
	char *user_agent;
	char *ca_bundle;
	char *version;
	int loopback;
	char correlation_id[GUID_SIZE];
	amlr_trace_cb trace;
	void *trace_payload;
	amlr_blob_progress_cb progress;
	void *progress_payload;
};

/* What the pool asks of an operation. */
struct job {
	/* Give @p s its next task: 1 given, 0 none left, -1 failed (err). */
	int (*next)(struct slot *s, void *ctx);
	/* A task succeeded: consume it (may set the slot HELD). */
	amlr_code (*done)(struct slot *s, void *ctx);
	void *ctx;
	unsigned width;
};

/* --- small helpers ------------------------------------------------------ */

static amlr_code oom(amlr_blob *b)
{
	return amlr_error_set(&b->err, AMLR_EFAIL, "out of memory");
}

static void trace_text(amlr_blob *b, amlr_trace_kind kind, const char *text,
		       size_t len)
{
	amlr_buf red = AMLR_BUF_INIT;

	if (!b->trace)
		return;
	if (amlr_redact(&red, text, len > TRACE_MAX ? TRACE_MAX : len) ==
	    AMLR_OK)
		b->trace(kind, red.ptr, red.len, b->trace_payload);
	amlr_buf_release_secret(&red);
}

static void tracef(amlr_blob *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tracef(amlr_blob *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!b->trace)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		trace_text(b, AMLR_TRACE_INFO, line,
			   (size_t)n < sizeof(line) ? (size_t)n
						    : sizeof(line) - 1);
}

void amlr_blob_props_release(amlr_blob_props *p)
{
	const amlr_blob_props init = AMLR_BLOB_PROPS_INIT;

	if (!p)
		return;
	free(p->container);
	free(p->name);
	free(p->content_type);
	free(p->content_md5);
	free(p->etag);
	free(p->last_modified);
	free(p->creation_time);
	free(p->blob_type);
	*p = init;
}

int amlr_blob_container_name_valid(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 3 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
		if (c == '-' && name[i + 1] == '-')
			return 0;
	}
	return 1;
}

/*
 * A blob name: 1 to 1024 characters, and no "." or ".." segment between
 * slashes, which URL resolution (libcurl's, every client's) would remove,
 * sending the request to another blob or another container.
 */
static int name_valid(const char *name)
{
	size_t n = strlen(name), len;
	const char *seg;

	if (n == 0 || n > 1024)
		return 0;
	for (seg = name;; seg += len + 1) {
		len = strcspn(seg, "/");
		if ((len == 1 || len == 2) && strncmp(seg, "..", len) == 0)
			return 0;
		if (!seg[len])
			return 1;
	}
}

/* --- tasks and slots ---------------------------------------------------- */

static void task_release(struct task *t)
{
	size_t i;

	amlr_buf_release(&t->query);
	for (i = 0; i < t->nextra; i++)
		free(t->extra[i]);
	memset(t, 0, sizeof(*t));
}

static void task_init(struct task *t, const char *method, const char *container,
		      const char *name)
{
	memset(t, 0, sizeof(*t));
	t->method = method;
	t->container = container;
	t->name = name;
	t->resp_max = ERROR_BODY_MAX;
}

static amlr_code task_header(struct task *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static amlr_code task_header(struct task *t, const char *fmt, ...)
{
	amlr_buf b = AMLR_BUF_INIT;
	va_list ap;
	amlr_code rc;

	if (t->nextra >= EXTRA_MAX)
		return AMLR_EFAIL;
	va_start(ap, fmt);
	rc = amlr_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc != AMLR_OK || !(t->extra[t->nextra] = amlr_buf_detach(&b))) {
		amlr_buf_release(&b);
		return AMLR_EFAIL;
	}
	t->nextra++;
	return AMLR_OK;
}

/* Append "&name=value" (value encoded) to the task's query. */
static amlr_code task_arg(struct task *t, const char *name, const char *value)
{
	if (amlr_buf_printf(&t->query, "%s%s=", t->query.len ? "&" : "",
			    name) != AMLR_OK)
		return AMLR_EFAIL;
	return amlr_sharedkey__url_encode(&t->query, value, NULL);
}

static const char *rh_get(const struct slot *s, const char *name)
{
	return amlr_http__headers_get(&s->rh, name);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct slot *s = userp;
	size_t len = size * n;

	if (len > s->t.resp_max - s->resp.len) {
		s->overflow = 1;
		return 0;
	}
	if (amlr_buf_put(&s->resp, data, len) != AMLR_OK)
		return 0;
	return len;
}

static size_t on_read(char *dst, size_t size, size_t n, void *userp)
{
	struct slot *s = userp;
	size_t want = size * n;

	if (want > s->t.body_len - s->pos)
		want = s->t.body_len - s->pos;
	if (want)
		memcpy(dst, (const char *)s->t.body + s->pos, want);
	s->pos += want;
	return want;
}

static int on_seek(void *userp, curl_off_t offset, int origin)
{
	struct slot *s = userp;

	if (origin != SEEK_SET || offset < 0 ||
	    (uint64_t)offset > (uint64_t)s->t.body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	s->pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t len,
		    void *userp)
{
	struct slot *s = userp;

	(void)h;
	if (type == CURLINFO_TEXT)
		trace_text(s->owner, AMLR_TRACE_INFO, data, len);
	else if (type == CURLINFO_HEADER_OUT)
		trace_text(s->owner, AMLR_TRACE_HEADER_OUT, data, len);
	else if (type == CURLINFO_HEADER_IN)
		trace_text(s->owner, AMLR_TRACE_HEADER_IN, data, len);
	return 0;
}

/* --- requests ----------------------------------------------------------- */

/* The path of a container or blob as sent: each name encoded, '/' kept. */
static amlr_code put_path(amlr_buf *out, const amlr_blob *b,
			  const struct task *t)
{
	if (amlr_buf_puts(out, b->path_prefix) != AMLR_OK ||
	    amlr_buf_puts(out, "/") != AMLR_OK ||
	    amlr_sharedkey__url_encode(out, t->container, NULL) != AMLR_OK)
		return AMLR_EFAIL;
	if (t->name &&
	    (amlr_buf_puts(out, "/") != AMLR_OK ||
	     amlr_sharedkey__url_encode(out, t->name, "/") != AMLR_OK))
		return AMLR_EFAIL;
	return AMLR_OK;
}

static amlr_code build_url(amlr_buf *url, amlr_buf *path, const amlr_blob *b,
			   const struct task *t)
{
	size_t host_len = strlen(b->endpoint) - strlen(b->path_prefix);

	if (put_path(path, b, t) != AMLR_OK ||
	    amlr_buf_put(url, b->endpoint, host_len) != AMLR_OK ||
	    amlr_buf_put(url, path->ptr, path->len) != AMLR_OK)
		return AMLR_EFAIL;
	if (t->query.len &&
	    amlr_buf_printf(url, "?%s", t->query.ptr) != AMLR_OK)
		return AMLR_EFAIL;
	if (b->sas && amlr_buf_printf(url, "%c%s", t->query.len ? '&' : '?',
				      b->sas) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

static amlr_code list_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *tmp = curl_slist_append(*list, line);

	if (!tmp)
		return AMLR_EFAIL;
	*list = tmp;
	return AMLR_OK;
}

/* Headers of one try, signed now (a fresh x-ms-date each time). */
static amlr_code build_headers(amlr_blob *b, struct slot *s, const char *path)
{
	const char *sign[EXTRA_MAX + 8];
	char date[AMLR_HTTP_DATE_SIZE];
	char l_date[64], l_ver[64], l_id[80], l_corr[80], l_len[64];
	char *auth = NULL;
	amlr_buf line = AMLR_BUF_INIT;
	size_t n = 0, i;
	amlr_code rc = AMLR_EFAIL;

	amlr_http_date(date, time(NULL));
	snprintf(l_date, sizeof(l_date), "x-ms-date: %s", date);
	snprintf(l_ver, sizeof(l_ver), "x-ms-version: %s", b->version);
	snprintf(l_id, sizeof(l_id), "x-ms-client-request-id: %s",
		 s->request_id);
	snprintf(l_corr, sizeof(l_corr), "x-ms-correlation-request-id: %s",
		 b->correlation_id);
	snprintf(l_len, sizeof(l_len), "Content-Length: %zu", s->t.body_len);
	sign[n++] = l_date;
	sign[n++] = l_ver;
	sign[n++] = l_id;
	sign[n++] = l_corr;
	for (i = 0; i < s->t.nextra; i++)
		sign[n++] = s->t.extra[i];
	for (i = 0; i < n; i++)
		if (list_add(&s->headers, sign[i]) != AMLR_OK)
			goto done;
	/* libcurl sends Content-Length itself (CURLOPT_INFILESIZE). */
	if (s->t.upload)
		sign[n++] = l_len;
	sign[n] = NULL;
	if (b->key) {
		if ((rc = amlr_sharedkey_authorization(
			     &auth, &b->err, b->account, b->key, s->t.method,
			     path, s->t.query.len ? s->t.query.ptr : NULL,
			     sign)) != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
		if (amlr_buf_printf(&line, "Authorization: %s", auth) !=
			    AMLR_OK ||
		    list_add(&s->headers, line.ptr) != AMLR_OK)
			goto done;
	}
	/* No 100-continue round trip: errors come on the reply anyway. */
	if (list_add(&s->headers, "Expect:") != AMLR_OK)
		goto done;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL && b->err.code == AMLR_OK)
		oom(b);
	amlr_secret_free(auth);
	amlr_buf_release_secret(&line);
	return rc;
}

/* Set up and add one try of the slot's task to the multi handle. */
static amlr_code start(amlr_blob *b, struct slot *s)
{
	amlr_buf path = AMLR_BUF_INIT;
	CURL *h = s->h;
	amlr_code rc = AMLR_EFAIL;

	curl_slist_free_all(s->headers);
	s->headers = NULL;
	amlr_buf_release_secret(&s->url);
	amlr_buf_clear(&s->resp);
	amlr_http__headers_clear(&s->rh);
	s->pos = 0;
	s->status = 0;
	s->overflow = 0;
	s->errbuf[0] = '\0';
	if (build_url(&s->url, &path, b, &s->t) != AMLR_OK) {
		oom(b);
		goto done;
	}
	if ((rc = build_headers(b, s, path.ptr)) != AMLR_OK)
		goto done;
	curl_easy_reset(h); /* keeps the connection cache */
	curl_easy_setopt(h, CURLOPT_URL, s->url.ptr);
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, b->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, amlr_http__on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s->rh);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	if (b->opts.http.connect_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 b->opts.http.connect_timeout_ms);
	if (b->opts.http.timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
				 b->opts.http.timeout_ms);
	if (b->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, b->ca_bundle);
	if (b->loopback)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (b->trace) {
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
	if (strcmp(s->t.method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (s->t.upload) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)s->t.body_len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, s);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, s);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, s->t.method);
	if (curl_multi_add_handle(b->multi, h) != CURLM_OK) {
		rc = amlr_error_set(&b->err, AMLR_EFAIL,
				    "cannot start a transfer");
		goto done;
	}
	s->state = RUNNING;
	rc = AMLR_OK;
done:
	amlr_buf_release(&path);
	return rc;
}

/* Whether another try fits the policy; sets when it may start. */
static int schedule_retry(amlr_blob *b, struct slot *s, int use_server)
{
	const amlr_retry_policy *p = &b->opts.http.retry;
	uint64_t delay = 0, now = amlr_http__now_ms();
	int given;

	if (s->attempt >= p->max_attempts)
		return 0;
	given = use_server &&
		(amlr_retry_parse_after_ms(&delay,
					   rh_get(s, "x-ms-retry-after-ms")) ||
		 amlr_retry_parse_after(&delay, rh_get(s, "Retry-After"),
					time(NULL)));
	if (!given)
		delay = amlr_retry_backoff_ms(p, s->attempt,
					      amlr_http__random_u32());
	if (now - s->first_ms + delay > p->max_total_ms)
		return 0;
	if (use_server)
		tracef(b, "retry %u of %u in %llu ms: HTTP %ld from %s",
		       s->attempt, p->max_attempts - 1,
		       (unsigned long long)delay, s->status, s->t.method);
	else
		tracef(b, "retry %u of %u in %llu ms: %s", s->attempt,
		       p->max_attempts - 1, (unsigned long long)delay,
		       s->errbuf[0] ? s->errbuf : "transfer failed");
	s->attempt++;
	s->not_before_ms = now + delay;
	s->state = WAITING;
	return 1;
}

static amlr_code reply_error(amlr_blob *b, const struct slot *s)
{
	const char *rid = rh_get(s, "x-ms-request-id");
	const char *code;

	amlr_http__error_from_reply(&b->err, s->status, s->t.method, s->url.ptr,
				    s->resp.ptr, s->resp.len,
				    rh_get(s, "x-ms-error-code"),
				    rid ? rid : s->request_id);
	/* A reply without a body (HEAD) names the problem by code only. */
	code = b->err.service_code;
	if (s->resp.len == 0 && strcmp(code, "BlobNotFound") == 0 && s->t.name)
		snprintf(b->err.message, sizeof(b->err.message),
			 "blob '%s' not found in container '%s'", s->t.name,
			 s->t.container);
	else if (s->resp.len == 0 && strcmp(code, "ContainerNotFound") == 0)
		snprintf(b->err.message, sizeof(b->err.message),
			 "container '%s' not found", s->t.container);
	else if (s->resp.len == 0 && *code)
		snprintf(b->err.message, sizeof(b->err.message),
			 "%s %s: HTTP %ld %s", s->t.method,
			 s->t.name ? s->t.name : s->t.container, s->status,
			 code);
	return b->err.code;
}

/* A try ended: succeed, schedule another, or fail the operation. */
static amlr_code finish(amlr_blob *b, struct job *job, struct slot *s,
			CURLcode cc)
{
	char where[256];

	s->state = IDLE;
	amlr_http__url_for_message(where, sizeof(where), s->url.ptr);
	if (cc != CURLE_OK) {
		if (s->overflow)
			return amlr_error_set(&b->err, AMLR_ESERVER,
					      "%s %s: the reply is too large",
					      s->t.method, where);
		if (amlr_http__transient(cc) && schedule_retry(b, s, 0))
			return AMLR_OK;
		/* as amlr_http_send(): a body cut short is the server's */
		amlr_error_set(
			&b->err,
			cc == CURLE_PARTIAL_FILE ? AMLR_ESERVER : AMLR_ENET,
			"%s %s: %s", s->t.method, where,
			s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
		snprintf(b->err.request_id, sizeof(b->err.request_id), "%s",
			 s->request_id);
		return b->err.code;
	}
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status >= 200 && s->status < 300)
		return job->done ? job->done(s, job->ctx) : AMLR_OK;
	if (amlr_retry_status_retryable(s->status) && schedule_retry(b, s, 1))
		return AMLR_OK;
	if (s->status >= 300 && s->status < 400) {
		amlr_error_set(&b->err, AMLR_ESERVER,
			       "%s %s: unexpected HTTP %ld", s->t.method, where,
			       s->status);
		b->err.http_status = (int)s->status;
		return AMLR_ESERVER;
	}
	return reply_error(b, s);
}

static void stop_all(amlr_blob *b, unsigned width)
{
	unsigned i;

	for (i = 0; i < width; i++) {
		if (b->slots[i].state == RUNNING)
			curl_multi_remove_handle(b->multi, b->slots[i].h);
		b->slots[i].state = IDLE;
	}
}

static struct slot *slot_of(CURL *h)
{
	char *p = NULL;

	curl_easy_getinfo(h, CURLINFO_PRIVATE, &p);
	return (struct slot *)(void *)p;
}

/* Run tasks from @p job on up to job->width slots until done or failed. */
static amlr_code pool_run(amlr_blob *b, struct job *job)
{
	struct slot *s;
	CURLMsg *msg;
	uint64_t now, wait;
	unsigned i;
	int exhausted = 0, busy, running, left, r, finished;
	amlr_code rc = AMLR_OK;

	if (job->width > b->nslots)
		job->width = b->nslots;
	for (;;) {
		now = amlr_http__now_ms();
		wait = 250;
		busy = 0;
		for (i = 0; i < job->width && rc == AMLR_OK; i++) {
			s = &b->slots[i];
			if (s->state == IDLE && !exhausted) {
				task_release(&s->t);
				r = job->next(s, job->ctx);
				if (r < 0) {
					rc = b->err.code ? b->err.code
							 : AMLR_EFAIL;
					break;
				}
				if (r == 0) {
					exhausted = 1;
				} else {
					s->attempt = 1;
					s->first_ms = now;
					amlr_http__new_guid(s->request_id);
					rc = start(b, s);
				}
			} else if (s->state == WAITING &&
				   s->not_before_ms <= now) {
				rc = start(b, s);
			}
			if (s->state == WAITING && s->not_before_ms > now &&
			    s->not_before_ms - now < wait)
				wait = s->not_before_ms - now;
			if (s->state == RUNNING || s->state == WAITING)
				busy = 1;
		}
		if (rc != AMLR_OK || !busy)
			break;
		curl_multi_perform(b->multi, &running);
		finished = 0;
		while (rc == AMLR_OK &&
		       (msg = curl_multi_info_read(b->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			s = slot_of(msg->easy_handle);
			curl_multi_remove_handle(b->multi, s->h);
			rc = finish(b, job, s, msg->data.result);
			finished = 1;
		}
		if (rc != AMLR_OK)
			break;
		/* A slot came free: give it work now, not after a wait. */
		if (!finished)
			curl_multi_poll(b->multi, NULL, 0, (int)wait, NULL);
	}
	stop_all(b, job->width);
	return rc;
}

/* One request: the reply stays in slot 0 until the next call. */
struct one_ctx {
	struct task *t;
	int given;
};

static int one_next(struct slot *s, void *ctx)
{
	struct one_ctx *c = ctx;

	if (c->given)
		return 0;
	c->given = 1;
	s->t = *c->t; /* the slot takes over the task's memory */
	memset(c->t, 0, sizeof(*c->t));
	return 1;
}

static amlr_code run_one(amlr_blob *b, struct task *t)
{
	struct one_ctx c = { t, 0 };
	struct job job = { one_next, NULL, &c, 1 };
	amlr_code rc = pool_run(b, &job);

	task_release(t);
	return rc;
}

/* --- the client --------------------------------------------------------- */

static amlr_code check_endpoint(amlr_blob *b, const char *endpoint)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *path = NULL;
	amlr_code rc = AMLR_EINVAL;
	size_t n;

	if (!u) {
		rc = oom(b);
		goto done;
	}
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		amlr_error_set(&b->err, rc, "invalid blob endpoint URL");
		goto done;
	}
	b->loopback = amlr_http__is_loopback(host);
	if (strcmp(scheme, "https") != 0 &&
	    !(strcmp(scheme, "http") == 0 && b->loopback)) {
		amlr_error_set(
			&b->err, rc,
			"refusing blob endpoint '%s': only https, or http to a loopback address",
			host);
		goto done;
	}
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		path[--n] = '\0';
	if (!(b->path_prefix = strdup(path)) ||
	    !(b->endpoint = strdup(endpoint))) {
		rc = oom(b);
		goto done;
	}
	n = strlen(b->endpoint);
	while (n > 0 && b->endpoint[n - 1] == '/')
		b->endpoint[--n] = '\0';
	/* The endpoint must end with its path, as libcurl normalised it. */
	if (n < strlen(b->path_prefix) ||
	    strcmp(b->endpoint + n - strlen(b->path_prefix), b->path_prefix) !=
		    0 ||
	    strchr(b->endpoint, '?') || strchr(b->endpoint, '#')) {
		amlr_error_set(&b->err, rc, "invalid blob endpoint URL");
		goto done;
	}
	rc = AMLR_OK;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

static amlr_code setup(amlr_blob *b, const amlr_blob_opts *opts)
{
	static const amlr_blob_opts defaults = AMLR_BLOB_OPTS_INIT;
	amlr_buf ua = AMLR_BUF_INIT;
	unsigned i;

	b->opts = opts ? *opts : defaults;
	if (!b->opts.block_size)
		b->opts.block_size = DEFAULT_BLOCK;
	if (!b->opts.single_put_max)
		b->opts.single_put_max = b->opts.block_size;
	if (!b->opts.parallel)
		b->opts.parallel = DEFAULT_PARALLEL;
	if (b->opts.parallel > MAX_PARALLEL)
		b->opts.parallel = MAX_PARALLEL;
	if (!b->opts.http.retry.max_attempts)
		b->opts.http.retry.max_attempts = 1;
	if (amlr_http__user_agent(&ua, b->opts.http.user_agent) != AMLR_OK ||
	    !(b->user_agent = amlr_buf_detach(&ua)))
		goto fail;
	if (b->opts.http.ca_bundle &&
	    !(b->ca_bundle = strdup(b->opts.http.ca_bundle)))
		goto fail;
	if (!(b->version = strdup(b->opts.version ? b->opts.version
						  : AMLR_STORAGE_VERSION)))
		goto fail;
	b->opts.http.user_agent = b->user_agent;
	b->opts.http.ca_bundle = b->ca_bundle;
	b->opts.version = b->version;
	if (b->opts.http.correlation_id)
		snprintf(b->correlation_id, sizeof(b->correlation_id), "%s",
			 b->opts.http.correlation_id);
	else
		amlr_http__new_guid(b->correlation_id);
	b->opts.http.correlation_id = b->correlation_id;
	if (!(b->multi = curl_multi_init()))
		goto fail;
	curl_multi_setopt(b->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)b->opts.parallel);
	b->nslots = b->opts.parallel;
	if (!(b->slots = calloc(b->nslots, sizeof(*b->slots))))
		goto fail;
	for (i = 0; i < b->nslots; i++) {
		b->slots[i].owner = b;
		if (!(b->slots[i].h = curl_easy_init()))
			goto fail;
	}
	return AMLR_OK;
fail:
	amlr_buf_release(&ua);
	return oom(b);
}

amlr_code amlr_blob_new(amlr_blob **out, amlr_error *err, const char *endpoint,
			const char *account, const char *key, const char *sas,
			const amlr_blob_opts *opts)
{
	amlr_blob *b = NULL;
	amlr_sas *parsed = NULL;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(b = calloc(1, sizeof(*b)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if ((rc = setup(b, opts)) != AMLR_OK ||
	    (rc = check_endpoint(b, endpoint)) != AMLR_OK)
		goto fail;
	rc = AMLR_EINVAL;
	if (key && !account) {
		amlr_error_set(&b->err, rc, "an account key needs an account");
		goto fail;
	}
	if (key && !amlr_sharedkey_key_valid(key)) {
		amlr_error_set(&b->err, rc,
			       "the storage account key is not base64");
		goto fail;
	}
	if (!key && sas && *sas == '?')
		sas++;
	if (!key && sas &&
	    (rc = amlr_sas_parse(&parsed, &b->err, sas, AMLR_SAS_STRICT)) !=
		    AMLR_OK)
		goto fail;
	rc = AMLR_EFAIL;
	if ((account && !(b->account = strdup(account))) ||
	    (key && !(b->key = strdup(key))) ||
	    (!key && sas && !(b->sas = strdup(sas)))) {
		oom(b);
		goto fail;
	}
	*out = b;
	b = NULL;
	rc = AMLR_OK;
	goto done;
fail:
	if (err)
		*err = b->err;
done:
	amlr_sas_free(parsed);
	amlr_blob_free(b);
	return rc;
}

amlr_code amlr_blob_from_connstr(amlr_blob **out, amlr_error *err,
				 const amlr_connstr *cs,
				 const amlr_blob_opts *opts)
{
	return amlr_blob_new(out, err, amlr_connstr_blob_endpoint(cs),
			     amlr_connstr_account(cs), amlr_connstr_key(cs),
			     amlr_connstr_key(cs) ? NULL : amlr_connstr_sas(cs),
			     opts);
}

/* An IP address or a dotless name: the account is in the path. */
static int path_style_host(const char *host)
{
	return host[0] == '[' || !strchr(host, '.') ||
	       strspn(host, "0123456789.") == strlen(host);
}

static amlr_code decode_dup(char **out, const char *s, size_t n)
{
	amlr_buf b = AMLR_BUF_INIT;

	if (amlr_sharedkey__url_decode(&b, s, n, 0) != AMLR_OK ||
	    amlr_buf_put(&b, "", 0) != AMLR_OK ||
	    !(*out = amlr_buf_detach(&b))) {
		amlr_buf_release(&b);
		return AMLR_EINVAL;
	}
	return AMLR_OK;
}

amlr_code amlr_blob_from_url(amlr_blob **out, char **container_out,
			     char **name_out, amlr_error *err, const char *url,
			     const amlr_blob_opts *opts)
{
	const char *q = strchr(url, '?'), *p, *seg;
	amlr_buf endpoint = AMLR_BUF_INIT;
	char *sas = NULL, *host = NULL, *account = NULL;
	CURLU *u = curl_url();
	size_t n;
	amlr_code rc = AMLR_EINVAL;

	*out = NULL;
	*container_out = NULL;
	*name_out = NULL;
	if (!u) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !(p = strstr(url, "://")) || strchr(url, '#')) {
		amlr_error_set(err, rc, "invalid blob URL");
		goto done;
	}
	if (!q || !q[1]) {
		amlr_error_set(
			err, rc,
			"the blob URL has no SAS token (?sv=...&sig=...)");
		goto done;
	}
	if (!(sas = strdup(q + 1))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	/* Past "scheme://authority" comes the path, encoded as given. */
	p += 3;
	p += strcspn(p, "/?");
	seg = p;
	if (amlr_buf_put(&endpoint, url, (size_t)(p - url)) != AMLR_OK)
		goto oom;
	if (path_style_host(host)) {
		if (*seg == '/')
			seg++;
		n = strcspn(seg, "/?");
		if (n == 0) {
			amlr_error_set(err, rc,
				       "the blob URL names no account");
			goto done;
		}
		if (amlr_buf_put(&endpoint, seg - 1, n + 1) != AMLR_OK ||
		    decode_dup(&account, seg, n) != AMLR_OK)
			goto oom;
		seg += n;
	} else if (decode_dup(&account, host, strcspn(host, ".")) != AMLR_OK) {
		goto oom;
	}
	if (*seg == '/')
		seg++;
	n = strcspn(seg, "/?");
	if (n == 0) {
		amlr_error_set(err, rc, "the blob URL names no container");
		goto done;
	}
	if (decode_dup(container_out, seg, n) != AMLR_OK)
		goto oom;
	seg += n;
	if (*seg == '/' && seg + 1 < q &&
	    decode_dup(name_out, seg + 1, (size_t)(q - seg - 1)) != AMLR_OK)
		goto oom;
	rc = amlr_blob_new(out, err, endpoint.ptr, account, NULL, sas, opts);
	goto done;
oom:
	rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
done:
	if (rc != AMLR_OK) {
		free(*container_out);
		free(*name_out);
		*container_out = NULL;
		*name_out = NULL;
	}
	amlr_secret_free(sas);
	free(account);
	amlr_buf_release(&endpoint);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

void amlr_blob_free(amlr_blob *b)
{
	unsigned i;

	if (!b)
		return;
	for (i = 0; b->slots && i < b->nslots; i++) {
		struct slot *s = &b->slots[i];

		task_release(&s->t);
		curl_slist_free_all(s->headers);
		amlr_buf_release_secret(&s->url);
		amlr_buf_release(&s->resp);
		amlr_http__headers_release(&s->rh);
		free(s->buf);
		if (s->h)
			curl_easy_cleanup(s->h);
	}
	free(b->slots);
	if (b->multi)
		curl_multi_cleanup(b->multi);
	free(b->endpoint);
	free(b->path_prefix);
	free(b->account);
	amlr_secret_free(b->key);
	amlr_secret_free(b->sas);
	free(b->user_agent);
	free(b->ca_bundle);
	free(b->version);
	free(b);
}

const amlr_error *amlr_blob_error(const amlr_blob *blob)
{
	return &blob->err;
}

const char *amlr_blob_endpoint(const amlr_blob *blob)
{
	return blob->endpoint;
}

const char *amlr_blob_account(const amlr_blob *blob)
{
	return blob->account;
}

void amlr_blob_set_trace_cb(amlr_blob *blob, amlr_trace_cb cb, void *payload)
{
	blob->trace = cb;
	blob->trace_payload = payload;
}

void amlr_blob_set_progress_cb(amlr_blob *blob, amlr_blob_progress_cb cb,
			       void *payload)
{
	blob->progress = cb;
	blob->progress_payload = payload;
}

/* Free the slots' big buffers once an operation is over. */
static void shrink(amlr_blob *b)
{
	unsigned i;

	for (i = 0; i < b->nslots; i++) {
		free(b->slots[i].buf);
		b->slots[i].buf = NULL;
		if (b->slots[i].resp.cap > ERROR_BODY_MAX)
			amlr_buf_release(&b->slots[i].resp);
	}
}

static amlr_code check_names(amlr_blob *b, const char *container,
			     const char *name)
{
	amlr_error_clear(&b->err);
	if (!container || !amlr_blob_container_name_valid(container))
		return amlr_error_set(
			&b->err, AMLR_EINVAL,
			"invalid container name '%s': 3 to 63 lower-case letters, digits and single hyphens",
			container ? container : "");
	if (name && !name_valid(name))
		return amlr_error_set(
			&b->err, AMLR_EINVAL,
			"invalid blob name '%s': 1 to 1024 characters, no '.' or '..' segment (a URL resolves them away)",
			name);
	return AMLR_OK;
}

/* --- containers --------------------------------------------------------- */

amlr_code amlr_blob_container_create(int *created, amlr_blob *b,
				     const char *container)
{
	struct task t;
	amlr_code rc;

	if (created)
		*created = 0;
	if ((rc = check_names(b, container, NULL)) != AMLR_OK)
		return rc;
	task_init(&t, "PUT", container, NULL);
	t.upload = 1;
	if (task_arg(&t, "restype", "container") != AMLR_OK) {
		task_release(&t);
		return oom(b);
	}
	rc = run_one(b, &t);
	if (rc == AMLR_ECONFLICT &&
	    strcmp(b->err.service_code, "ContainerAlreadyExists") == 0) {
		amlr_error_clear(&b->err);
		return AMLR_OK;
	}
	if (rc == AMLR_OK && created)
		*created = 1;
	return rc;
}

amlr_code amlr_blob_container_delete(amlr_blob *b, const char *container)
{
	struct task t;
	amlr_code rc;

	if ((rc = check_names(b, container, NULL)) != AMLR_OK)
		return rc;
	task_init(&t, "DELETE", container, NULL);
	if (task_arg(&t, "restype", "container") != AMLR_OK) {
		task_release(&t);
		return oom(b);
	}
	return run_one(b, &t);
}

/* --- properties --------------------------------------------------------- */

static amlr_code dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return AMLR_EFAIL;
	return AMLR_OK;
}

static amlr_code props_from_headers(amlr_blob_props *p, const struct slot *s,
				    const char *container, const char *name)
{
	const char *len = rh_get(s, "Content-Length");
	char *end;

	p->content_length = len ? strtoull(len, &end, 10) : 0;
	if (dup_opt(&p->container, container) != AMLR_OK ||
	    dup_opt(&p->name, name) != AMLR_OK ||
	    dup_opt(&p->content_type, rh_get(s, "Content-Type")) != AMLR_OK ||
	    dup_opt(&p->content_md5, rh_get(s, "Content-MD5")) != AMLR_OK ||
	    dup_opt(&p->etag, rh_get(s, "ETag")) != AMLR_OK ||
	    dup_opt(&p->last_modified, rh_get(s, "Last-Modified")) != AMLR_OK ||
	    dup_opt(&p->creation_time, rh_get(s, "x-ms-creation-time")) !=
		    AMLR_OK ||
	    dup_opt(&p->blob_type, rh_get(s, "x-ms-blob-type")) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

amlr_code amlr_blob_get_properties(amlr_blob_props *out, amlr_blob *b,
				   const char *container, const char *name)
{
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	struct task t;
	amlr_code rc;

	*out = p;
	if ((rc = check_names(b, container, name)) != AMLR_OK)
		return rc;
	task_init(&t, "HEAD", container, name);
	if ((rc = run_one(b, &t)) != AMLR_OK)
		return rc;
	if (props_from_headers(&p, &b->slots[0], container, name) != AMLR_OK) {
		amlr_blob_props_release(&p);
		return oom(b);
	}
	*out = p;
	return AMLR_OK;
}

amlr_code amlr_blob_delete(amlr_blob *b, const char *container,
			   const char *name)
{
	struct task t;
	amlr_code rc;

	if ((rc = check_names(b, container, name)) != AMLR_OK)
		return rc;
	task_init(&t, "DELETE", container, name);
	return run_one(b, &t);
}

/* --- upload ------------------------------------------------------------- */

struct upload {
	amlr_blob *b;
	const char *path;
	int fd;
	uint64_t size;
	size_t block;
	size_t nblocks, next_block;
	uint64_t sent;
	const char *content_type;
};

static amlr_code md5_b64(char out[32], const void *data, size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, d, &n, EVP_md5(), NULL))
		return AMLR_EFAIL;
	EVP_EncodeBlock((unsigned char *)out, d, (int)n);
	return AMLR_OK;
}

static amlr_code block_id(amlr_buf *out, size_t index)
{
	char raw[32];

	/* Same length for every block of a blob, as the service wants. */
	snprintf(raw, sizeof(raw), "amlr-%010zu", index);
	return amlr_sharedkey__b64_encode(out, raw, strlen(raw));
}

/* Read exactly @p len bytes at @p off; a short read means it shrank. */
static amlr_code read_at(struct upload *u, void *dst, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(u->fd, (char *)dst + got, len - got,
			  (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return amlr_error_set(&u->b->err, AMLR_EIO,
					      "cannot read '%s': %s", u->path,
					      strerror(errno));
		if (r == 0)
			return amlr_error_set(
				&u->b->err, AMLR_EIO,
				"'%s' shrank during the upload; nothing was committed",
				u->path);
		got += (size_t)r;
	}
	return AMLR_OK;
}

static int upload_next(struct slot *s, void *ctx)
{
	struct upload *u = ctx;
	amlr_buf id = AMLR_BUF_INIT;
	char md5[32];
	uint64_t off;
	size_t len;
	int r = -1;

	if (u->next_block >= u->nblocks)
		return 0;
	off = (uint64_t)u->next_block * u->block;
	len = (size_t)(u->size - off < u->block ? u->size - off : u->block);
	if (!s->buf && !(s->buf = malloc(u->block))) {
		oom(u->b);
		goto done;
	}
	if (read_at(u, s->buf, len, off) != AMLR_OK)
		goto done;
	if (md5_b64(md5, s->buf, len) != AMLR_OK) {
		amlr_error_set(&u->b->err, AMLR_EFAIL, "MD5 failed");
		goto done;
	}
	task_init(&s->t, "PUT", NULL, NULL);
	s->t.upload = 1;
	s->t.body = s->buf;
	s->t.body_len = len;
	s->t.index = u->next_block;
	if (block_id(&id, u->next_block) != AMLR_OK ||
	    task_arg(&s->t, "comp", "block") != AMLR_OK ||
	    task_arg(&s->t, "blockid", id.ptr) != AMLR_OK ||
	    task_header(&s->t, "Content-MD5: %s", md5) != AMLR_OK) {
		oom(u->b);
		goto done;
	}
	u->next_block++;
	r = 1;
done:
	amlr_buf_release(&id);
	return r;
}

static amlr_code upload_done(struct slot *s, void *ctx)
{
	struct upload *u = ctx;

	u->sent += s->t.body_len;
	if (u->b->progress)
		u->b->progress(u->sent, u->size, u->b->progress_payload);
	return AMLR_OK;
}

/* The tasks of the pool need container and name: set by a wrapper. */
struct named {
	struct job inner;
	const char *container;
	const char *name;
};

static int named_next(struct slot *s, void *ctx)
{
	struct named *n = ctx;
	int r = n->inner.next(s, n->inner.ctx);

	if (r == 1) {
		s->t.container = n->container;
		s->t.name = n->name;
	}
	return r;
}

static amlr_code named_done(struct slot *s, void *ctx)
{
	struct named *n = ctx;

	return n->inner.done(s, n->inner.ctx);
}

static amlr_code run_named(amlr_blob *b, const char *container,
			   const char *name, struct job *inner)
{
	struct named n;
	struct job job;

	n.inner = *inner;
	n.container = container;
	n.name = name;
	job.next = named_next;
	job.done = named_done;
	job.ctx = &n;
	job.width = inner->width;
	return pool_run(b, &job);
}

/* Whether the file at @p path is still the one open, unchanged. */
static amlr_code check_unchanged(struct upload *u, const struct stat *before)
{
	struct stat now, named;

	if (fstat(u->fd, &now) != 0 || now.st_size != before->st_size ||
	    now.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
		return amlr_error_set(
			&u->b->err, AMLR_EIO,
			"'%s' changed during the upload; nothing was committed",
			u->path);
	if (stat(u->path, &named) != 0 || named.st_ino != now.st_ino ||
	    named.st_dev != now.st_dev)
		return amlr_error_set(
			&u->b->err, AMLR_EIO,
			"'%s' disappeared during the upload; nothing was committed",
			u->path);
	return AMLR_OK;
}

static amlr_code commit_blocks(amlr_blob *b, struct upload *u,
			       const char *container, const char *name)
{
	amlr_buf xml = AMLR_BUF_INIT, id = AMLR_BUF_INIT;
	struct task t;
	size_t i;
	amlr_code rc = AMLR_EFAIL;

	task_init(&t, "PUT", container, name);
	if (amlr_buf_puts(&xml, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
				"<BlockList>") != AMLR_OK)
		goto done;
	for (i = 0; i < u->nblocks; i++) {
		amlr_buf_clear(&id);
		if (block_id(&id, i) != AMLR_OK ||
		    amlr_buf_printf(&xml, "<Latest>%s</Latest>", id.ptr) !=
			    AMLR_OK)
			goto done;
	}
	if (amlr_buf_puts(&xml, "</BlockList>") != AMLR_OK ||
	    task_arg(&t, "comp", "blocklist") != AMLR_OK ||
	    task_header(&t, "Content-Type: application/xml") != AMLR_OK ||
	    task_header(&t, "x-ms-blob-content-type: %s", u->content_type) !=
		    AMLR_OK)
		goto done;
	t.upload = 1;
	t.body = xml.ptr;
	t.body_len = xml.len;
	rc = run_one(b, &t);
	goto out;
done:
	rc = oom(b);
out:
	task_release(&t);
	amlr_buf_release(&xml);
	amlr_buf_release(&id);
	return rc;
}

static amlr_code put_whole(amlr_blob *b, struct upload *u,
			   const char *container, const char *name,
			   char md5[32])
{
	unsigned char *data = NULL;
	struct task t;
	amlr_code rc;

	task_init(&t, "PUT", container, name);
	if (!(data = malloc(u->size ? (size_t)u->size : 1))) {
		rc = oom(b);
		goto done;
	}
	if ((rc = read_at(u, data, (size_t)u->size, 0)) != AMLR_OK)
		goto done;
	if (md5_b64(md5, data, (size_t)u->size) != AMLR_OK) {
		rc = amlr_error_set(&b->err, AMLR_EFAIL, "MD5 failed");
		goto done;
	}
	if (task_header(&t, "Content-Type: %s", u->content_type) != AMLR_OK ||
	    task_header(&t, "Content-MD5: %s", md5) != AMLR_OK ||
	    task_header(&t, "x-ms-blob-type: BlockBlob") != AMLR_OK) {
		rc = oom(b);
		goto done;
	}
	t.upload = 1;
	t.body = data;
	t.body_len = (size_t)u->size;
	rc = run_one(b, &t);
	if (rc == AMLR_OK && b->progress)
		b->progress(u->size, u->size, b->progress_payload);
done:
	task_release(&t);
	free(data);
	return rc;
}

amlr_code amlr_blob_upload(amlr_blob_props *out, amlr_blob *b,
			   const char *container, const char *name,
			   const char *path, const char *content_type)
{
	struct upload u;
	struct stat st;
	struct job job;
	char md5[32] = "";
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	amlr_code rc;

	if (out)
		*out = p;
	memset(&u, 0, sizeof(u));
	u.fd = -1;
	u.b = b;
	u.path = path;
	u.content_type =
		content_type ? content_type : "application/octet-stream";
	if ((rc = check_names(b, container, name)) != AMLR_OK)
		goto done;
	if ((u.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(u.fd, &st) != 0) {
		rc = amlr_error_set(&b->err, AMLR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = amlr_error_set(&b->err, AMLR_EIO,
				    "cannot upload '%s': not a regular file",
				    path);
		goto done;
	}
	u.size = (uint64_t)st.st_size;
	u.block = b->opts.block_size;
	if (u.size <= b->opts.single_put_max) {
		if ((rc = put_whole(b, &u, container, name, md5)) != AMLR_OK)
			goto done;
	} else {
		/* Bigger blocks when the file needs more than the limit. */
		if ((u.size + u.block - 1) / u.block > MAX_BLOCKS)
			u.block = (size_t)((u.size + MAX_BLOCKS - 1) /
					   MAX_BLOCKS);
		u.nblocks = (size_t)((u.size + u.block - 1) / u.block);
		job.next = upload_next;
		job.done = upload_done;
		job.ctx = &u;
		job.width = b->opts.parallel;
		if ((rc = run_named(b, container, name, &job)) != AMLR_OK ||
		    (rc = check_unchanged(&u, &st)) != AMLR_OK)
			goto done;
		if ((rc = commit_blocks(b, &u, container, name)) != AMLR_OK)
			goto done;
	}
	if (out) {
		if (dup_opt(&p.container, container) != AMLR_OK ||
		    dup_opt(&p.name, name) != AMLR_OK ||
		    dup_opt(&p.content_type, u.content_type) != AMLR_OK ||
		    dup_opt(&p.content_md5, md5[0] ? md5 : NULL) != AMLR_OK ||
		    dup_opt(&p.etag, rh_get(&b->slots[0], "ETag")) != AMLR_OK ||
		    dup_opt(&p.last_modified,
			    rh_get(&b->slots[0], "Last-Modified")) != AMLR_OK ||
		    dup_opt(&p.blob_type, "BlockBlob") != AMLR_OK) {
			amlr_blob_props_release(&p);
			rc = oom(b);
			goto done;
		}
		p.content_length = u.size;
		*out = p;
	}
	rc = AMLR_OK;
done:
	if (u.fd >= 0)
		close(u.fd);
	shrink(b);
	return rc;
}

/* --- download ----------------------------------------------------------- */

struct download {
	amlr_blob *b;
	amlr_afile *f;
	const char *etag;
	uint64_t size;
	size_t block;
	uint64_t next_off;
	size_t next_index, next_write;
	uint64_t written;
	EVP_MD_CTX *md5;
};

static amlr_code hash_prefix(const void *data, size_t n, void *payload)
{
	return EVP_DigestUpdate(payload, data, n) ? AMLR_OK : AMLR_EFAIL;
}

/* A failure after which what was downloaded is worth keeping. */
static int resumable(amlr_code rc)
{
	return rc == AMLR_ENET || rc == AMLR_ETHROTTLED || rc == AMLR_ESERVER;
}

static int download_next(struct slot *s, void *ctx)
{
	struct download *d = ctx;
	uint64_t len;

	if (d->next_off >= d->size)
		return 0;
	len = d->size - d->next_off < d->block ? d->size - d->next_off
					       : d->block;
	task_init(&s->t, "GET", NULL, NULL);
	s->t.offset = d->next_off;
	s->t.length = len;
	s->t.index = d->next_index;
	s->t.resp_max =
		(size_t)len > ERROR_BODY_MAX ? (size_t)len : ERROR_BODY_MAX;
	if (task_header(&s->t, "x-ms-range: bytes=%llu-%llu",
			(unsigned long long)d->next_off,
			(unsigned long long)(d->next_off + len - 1)) !=
		    AMLR_OK ||
	    (d->etag &&
	     task_header(&s->t, "If-Match: %s", d->etag) != AMLR_OK)) {
		oom(d->b);
		return -1;
	}
	d->next_off += len;
	d->next_index++;
	return 1;
}

static amlr_code write_range(struct download *d, struct slot *s)
{
	amlr_code rc;

	if ((rc = amlr_afile_write(d->f, &d->b->err, s->resp.ptr,
				   s->resp.len)) != AMLR_OK)
		return rc;
	if (d->md5 && !EVP_DigestUpdate(d->md5, s->resp.ptr, s->resp.len))
		return amlr_error_set(&d->b->err, AMLR_EFAIL, "MD5 failed");
	d->written += s->resp.len;
	d->next_write++;
	s->state = IDLE;
	if (d->b->progress)
		d->b->progress(d->written, d->size, d->b->progress_payload);
	return AMLR_OK;
}

static amlr_code download_done(struct slot *s, void *ctx)
{
	struct download *d = ctx;
	amlr_blob *b = d->b;
	unsigned i;
	int again;
	amlr_code rc;

	if (s->resp.len != s->t.length)
		return amlr_error_set(
			&b->err, AMLR_ESERVER,
			"short reply: %zu bytes of the range at %llu, %llu expected",
			s->resp.len, (unsigned long long)s->t.offset,
			(unsigned long long)s->t.length);
	if (s->t.index != d->next_write) {
		s->state = HELD; /* written once the earlier ranges are */
		return AMLR_OK;
	}
	if ((rc = write_range(d, s)) != AMLR_OK)
		return rc;
	do {
		again = 0;
		for (i = 0; i < b->nslots; i++) {
			if (b->slots[i].state == HELD &&
			    b->slots[i].t.index == d->next_write) {
				if ((rc = write_range(d, &b->slots[i])) !=
				    AMLR_OK)
					return rc;
				again = 1;
			}
		}
	} while (again);
	return AMLR_OK;
}

amlr_code amlr_blob_download(amlr_blob_props *out, amlr_blob *b,
			     const char *container, const char *name,
			     const char *path, mode_t mode)
{
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	struct download d;
	struct job job;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char md5[32], version[AMLR_ERROR_FIELD_MAX + 32];
	int keep = 0;
	amlr_code rc;

	if (out)
		*out = p;
	memset(&d, 0, sizeof(d));
	d.b = b;
	if ((rc = amlr_blob_get_properties(&p, b, container, name)) != AMLR_OK)
		goto done;
	/* What an interrupted download of this very version left, continued */
	snprintf(version, sizeof(version), "%s %llu", p.etag ? p.etag : "-",
		 (unsigned long long)p.content_length);
	if ((rc = amlr_afile_open_resumable(&d.f, &b->err, path, mode, version,
					    &d.written)) != AMLR_OK)
		goto done;
	d.size = p.content_length;
	d.etag = p.etag;
	d.block = b->opts.block_size;
	if (d.written > d.size) {
		rc = amlr_error_set(&b->err, AMLR_EIO,
				    "'%s.partial' is longer than the blob",
				    path);
		goto done;
	}
	d.next_off = d.written;
	if (p.content_md5 && (!(d.md5 = EVP_MD_CTX_new()) ||
			      !EVP_DigestInit_ex(d.md5, EVP_md5(), NULL))) {
		rc = oom(b);
		goto done;
	}
	if (d.md5 && d.written &&
	    (rc = amlr_afile_reread(d.f, &b->err, d.written, hash_prefix,
				    d.md5)) != AMLR_OK)
		goto done;
	job.next = download_next;
	job.done = download_done;
	job.ctx = &d;
	job.width = b->opts.parallel;
	if ((rc = run_named(b, container, name, &job)) != AMLR_OK) {
		keep = resumable(rc) && d.written > 0;
		goto done;
	}
	if (d.written != d.size) {
		rc = amlr_error_set(&b->err, AMLR_ESERVER,
				    "download of '%s' incomplete", name);
		goto done;
	}
	if (d.md5) {
		if (!EVP_DigestFinal_ex(d.md5, digest, &dlen)) {
			rc = amlr_error_set(&b->err, AMLR_EFAIL, "MD5 failed");
			goto done;
		}
		EVP_EncodeBlock((unsigned char *)md5, digest, (int)dlen);
		if (strcmp(md5, p.content_md5) != 0) {
			rc = amlr_error_set(
				&b->err, AMLR_ESERVER,
				"MD5 of the downloaded '%s' does not match the blob's Content-MD5",
				name);
			goto done;
		}
	}
	if ((rc = amlr_afile_commit(d.f, &b->err)) != AMLR_OK)
		goto done;
	if (out) {
		*out = p;
		p = (amlr_blob_props)AMLR_BLOB_PROPS_INIT;
	}
	rc = AMLR_OK;
done:
	EVP_MD_CTX_free(d.md5);
	if (keep)
		amlr_afile_keep(d.f);
	amlr_afile_free(d.f);
	amlr_blob_props_release(&p);
	shrink(b);
	return rc;
}

/* --- list --------------------------------------------------------------- */

static xmlNode *child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* The text of @p parent's child @p name, or NULL; caller xmlFree()s. */
static char *child_text(xmlNode *parent, const char *name)
{
	xmlNode *n = child(parent, name);

	return n ? (char *)xmlNodeGetContent(n) : NULL;
}

static amlr_code xml_dup(char **out, xmlNode *parent, const char *name)
{
	char *t = child_text(parent, name);
	amlr_code rc = AMLR_OK;

	*out = NULL;
	if (t && !(*out = strdup(t)))
		rc = AMLR_EFAIL;
	xmlFree(t);
	return rc;
}

/* A <Name Encoded="true"> holds a percent-encoded name. */
static amlr_code item_name(char **out, xmlNode *item)
{
	xmlNode *n = child(item, "Name");
	xmlChar *enc = n ? xmlGetProp(n, (const xmlChar *)"Encoded") : NULL;
	char *text = n ? (char *)xmlNodeGetContent(n) : NULL;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!text)
		rc = AMLR_ESERVER;
	else if (enc && strcmp((const char *)enc, "true") == 0)
		rc = decode_dup(out, text, strlen(text)) == AMLR_OK
			     ? AMLR_OK
			     : AMLR_ESERVER;
	else if ((*out = strdup(text)))
		rc = AMLR_OK;
	xmlFree(enc);
	xmlFree(text);
	return rc;
}

static amlr_code list_item(amlr_blob_props *p, xmlNode *item,
			   const char *container)
{
	xmlNode *props = child(item, "Properties");
	char *len = child_text(props, "Content-Length");
	amlr_code rc;

	p->is_prefix = strcmp((const char *)item->name, "BlobPrefix") == 0;
	p->content_length = len ? strtoull(len, NULL, 10) : 0;
	xmlFree(len);
	if ((rc = item_name(&p->name, item)) != AMLR_OK)
		return rc;
	if (dup_opt(&p->container, container) != AMLR_OK)
		return AMLR_EFAIL;
	if (p->is_prefix)
		return AMLR_OK;
	if (xml_dup(&p->content_type, props, "Content-Type") != AMLR_OK ||
	    xml_dup(&p->content_md5, props, "Content-MD5") != AMLR_OK ||
	    xml_dup(&p->etag, props, "Etag") != AMLR_OK ||
	    xml_dup(&p->last_modified, props, "Last-Modified") != AMLR_OK ||
	    xml_dup(&p->creation_time, props, "Creation-Time") != AMLR_OK ||
	    xml_dup(&p->blob_type, props, "BlobType") != AMLR_OK)
		return AMLR_EFAIL;
	if (p->content_md5 && !*p->content_md5) {
		free(p->content_md5);
		p->content_md5 = NULL;
	}
	return AMLR_OK;
}

/* Parse one page; *marker gets NextMarker (NULL at the end). */
amlr_code amlr_blob__parse_list(amlr_error *err, const char *body, size_t len,
				const char *container, char **marker,
				amlr_blob_list_cb cb, void *payload, int *stop)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *blobs, *n;
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	char *next = NULL;
	amlr_code rc = AMLR_ESERVER;

	*marker = NULL;
	if (len > 0x7fffffff ||
	    !(doc = xmlReadMemory(body, (int)len, NULL, NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR |
					  XML_PARSE_NOWARNING)) ||
	    !(root = xmlDocGetRootElement(doc)) ||
	    strcmp((const char *)root->name, "EnumerationResults") != 0) {
		amlr_error_set(err, rc, "cannot parse the blob list of '%s'",
			       container);
		goto done;
	}
	blobs = child(root, "Blobs");
	for (n = blobs ? blobs->children : NULL; n && !*stop; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    (strcmp((const char *)n->name, "Blob") != 0 &&
		     strcmp((const char *)n->name, "BlobPrefix") != 0))
			continue;
		if ((rc = list_item(&p, n, container)) != AMLR_OK) {
			if (rc == AMLR_EFAIL)
				amlr_error_set(err, rc, "out of memory");
			else
				amlr_error_set(
					err, rc,
					"cannot parse the blob list of '%s'",
					container);
			goto done;
		}
		*stop = cb(&p, payload) != 0;
		amlr_blob_props_release(&p);
	}
	next = child_text(root, "NextMarker");
	if (next && *next && !(*marker = strdup(next))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_blob_props_release(&p);
	xmlFree(next);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

amlr_code amlr_blob_list(amlr_blob *b, const char *container,
			 const char *prefix, const char *delimiter,
			 unsigned page_size, amlr_blob_list_cb cb,
			 void *payload)
{
	struct task t;
	char *marker = NULL, *next = NULL;
	char num[16];
	int stop = 0;
	amlr_code rc;

	if ((rc = check_names(b, container, NULL)) != AMLR_OK)
		return rc;
	do {
		task_init(&t, "GET", container, NULL);
		t.resp_max = CONTROL_BODY_MAX;
		snprintf(num, sizeof(num), "%u", page_size);
		if (task_arg(&t, "restype", "container") != AMLR_OK ||
		    task_arg(&t, "comp", "list") != AMLR_OK ||
		    (prefix && *prefix &&
		     task_arg(&t, "prefix", prefix) != AMLR_OK) ||
		    (delimiter && *delimiter &&
		     task_arg(&t, "delimiter", delimiter) != AMLR_OK) ||
		    (marker && task_arg(&t, "marker", marker) != AMLR_OK) ||
		    (page_size && task_arg(&t, "maxresults", num) != AMLR_OK)) {
			task_release(&t);
			rc = oom(b);
			goto done;
		}
		if ((rc = run_one(b, &t)) != AMLR_OK)
			goto done;
		rc = amlr_blob__parse_list(&b->err, b->slots[0].resp.ptr,
					   b->slots[0].resp.len, container,
					   &next, cb, payload, &stop);
		if (rc != AMLR_OK)
			goto done;
		free(marker);
		marker = next;
		next = NULL;
	} while (marker && !stop);
	rc = AMLR_OK;
done:
	free(marker);
	free(next);
	shrink(b);
	return rc;
}

/* --- SAS URLs ----------------------------------------------------------- */

amlr_code amlr_blob_sas_url(char **out, amlr_blob *b, const char *container,
			    const char *name, const char *permissions,
			    time_t expiry)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	char st[AMLR_SAS_TIME_SIZE], se[AMLR_SAS_TIME_SIZE];
	char *token = NULL;
	amlr_buf url = AMLR_BUF_INIT, path = AMLR_BUF_INIT;
	struct task t;
	time_t now = time(NULL);
	amlr_code rc;

	*out = NULL;
	task_init(&t, "GET", container, name);
	if ((rc = check_names(b, container, name)) != AMLR_OK)
		goto done;
	rc = AMLR_EINVAL;
	if (!b->key) {
		amlr_error_set(
			&b->err, rc,
			"making a SAS needs the account key (a connection string with AccountKey)");
		goto done;
	}
	if (expiry <= now) {
		amlr_error_set(&b->err, rc, "the SAS expiry is in the past");
		goto done;
	}
	amlr_sas_format_time(st, now - 15 * 60);
	amlr_sas_format_time(se, expiry);
	v.permissions = permissions;
	v.start = st;
	v.expiry = se;
	v.protocol = "https,http";
	if ((rc = amlr_sas_service_new(&token, &b->err, b->account, b->key,
				       container, name, &v)) != AMLR_OK)
		goto done;
	if (build_url(&url, &path, b, &t) != AMLR_OK ||
	    amlr_buf_printf(&url, "?%s", token) != AMLR_OK ||
	    !(*out = amlr_buf_detach(&url))) {
		rc = oom(b);
		goto done;
	}
	rc = AMLR_OK;
done:
	task_release(&t);
	amlr_secret_free(token);
	amlr_buf_release_secret(&url);
	amlr_buf_release(&path);
	return rc;
}
