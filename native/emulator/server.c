/* SPDX-License-Identifier: MIT */
/* libmicrohttpd glue: listening, request bodies, faults, dispatch, logs. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amlr/fileio.h"
#include "emu.h"
#include "faults.h"
#include "router.h"
#include "server.h"
#include "throttle.h"

#define THREADS 4u /* libmicrohttpd's thread pool */
#define IDLE_TIMEOUT 120u /* seconds before an idle connection is closed */
#define URL_MAX 80 /* "https://[" INET6_ADDRSTRLEN "]:65535" */
#define TLS_FILE_MAX ((size_t)1 << 20)
#define ID_MAX 64 /* of a request id in the log */

/* A request whose delay fault holds it, until libmicrohttpd resumes it. */
struct delayed {
	struct MHD_Connection *conn;
	struct timespec due; /* CLOCK_MONOTONIC */
	struct delayed *next;
};

struct emu_server {
	struct MHD_Daemon *daemon;
	int verbose;
	struct emu_ctx ctx;
	char *state_dir;
	char url[URL_MAX];
	int log_fd; /* the access log; -1: none */
	pthread_mutex_t log_lock;
	amlr_buf tls_cert; /* PEM, for the daemon's lifetime */
	amlr_buf tls_key; /* secret: wiped on free */
	char *ca_bundle; /* absolute path of the certificate, for the env */
	/* Delayed requests, resumed by the timer thread when due. */
	pthread_mutex_t delay_lock;
	pthread_cond_t delay_cond;
	struct delayed *delayed;
	int stopping;
	int timer_started;
	int locks_made;
	pthread_t timer;
	long flight_limit; /* --concurrency-limit; 0: none */
	atomic_long in_flight; /* requests counted against it */
};

/* One request's state from its first line to its completion. */
struct request {
	char *target; /* as sent, from the URI callback */
	struct timespec start;
	struct timespec arrived; /* CLOCK_REALTIME, for the log */
	char method[16]; /* for the log, possibly truncated */
	int seen; /* the access handler has run once */
	unsigned int reject; /* 413 or 500 instead of routing; 0: route */
	amlr_buf body;
	unsigned int status; /* queued, for the log; 0: none */
	int fault_done; /* the fault engine has been asked */
	int truncate; /* cut the body when sending it */
	size_t bytes_out; /* body bytes handed to libmicrohttpd */
	char request_id[ID_MAX + 1]; /* x-ms-request-id sent; "" none */
	char client_request_id[ID_MAX + 1]; /* from the request; "" none */
	char note[EMU_FAULT_NOTE_SIZE]; /* the injected fault; "" none */
	int counted; /* in srv->in_flight until answered */
};

/* Collects MHD's request headers into an emu_req. */
struct header_walk {
	struct emu_req *req;
	amlr_code rc;
};

/* A body sent only up to @c cut, for truncate faults. */
struct cut_body {
	char *body;
	size_t cut;
	size_t *sent; /* the request's bytes_out */
};

amlr_code emu_server_parse_listen(struct emu_listen *out, amlr_error *err,
				  const char *spec)
{
	char host[INET6_ADDRSTRLEN];
	const char *h, *port, *p;
	size_t hlen;
	unsigned long n = 0;
	int v6 = spec[0] == '[';
	int ok;

	memset(out, 0, sizeof(*out));
	if (v6) {
		h = spec + 1;
		p = strchr(h, ']');
		port = p && p[1] == ':' ? p + 2 : NULL;
	} else {
		h = spec;
		p = strrchr(spec, ':');
		port = p ? p + 1 : NULL;
	}
	hlen = p ? (size_t)(p - h) : 0;
	ok = port && hlen > 0 && hlen < sizeof(host) && *port &&
	     strlen(port) <= 5 && strspn(port, "0123456789") == strlen(port);
	if (ok) {
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		n = strtoul(port, NULL, 10);
		ok = n <= 65535;
	}
	if (ok && v6) {
		out->addr.in6.sin6_family = AF_INET6;
		out->addr.in6.sin6_port = htons((unsigned short)n);
		out->len = sizeof(out->addr.in6);
		ok = inet_pton(AF_INET6, host, &out->addr.in6.sin6_addr) == 1;
	} else if (ok) {
		out->addr.in.sin_family = AF_INET;
		out->addr.in.sin_port = htons((unsigned short)n);
		out->len = sizeof(out->addr.in);
		ok = inet_pton(AF_INET,
			       strcmp(host, "localhost") ? host : "127.0.0.1",
			       &out->addr.in.sin_addr) == 1;
	}
	if (!ok)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid --listen value '%s': expected IPV4:PORT, localhost:PORT or [IPV6]:PORT",
			spec);
	return AMLR_OK;
}

/*
 * "HOST:PORT" of @p a for messages; with the scheme @p url ("https"),
 * "https://HOST:PORT" where a wildcard address becomes loopback, which is
 * where clients connect.
 */
static void format_addr(char *out, size_t size, const struct emu_listen *a,
			const char *url)
{
	char host[INET6_ADDRSTRLEN] = "?";
	struct in6_addr any6 = IN6ADDR_ANY_INIT;
	int v6 = a->addr.sa.sa_family == AF_INET6;
	unsigned int port;

	if (v6) {
		port = ntohs(a->addr.in6.sin6_port);
		if (url && !memcmp(&a->addr.in6.sin6_addr, &any6, sizeof(any6)))
			snprintf(host, sizeof(host), "::1");
		else
			inet_ntop(AF_INET6, &a->addr.in6.sin6_addr, host,
				  sizeof(host));
	} else {
		port = ntohs(a->addr.in.sin_port);
		if (url && a->addr.in.sin_addr.s_addr == htonl(INADDR_ANY))
			snprintf(host, sizeof(host), "127.0.0.1");
		else
			inet_ntop(AF_INET, &a->addr.in.sin_addr, host,
				  sizeof(host));
	}
	snprintf(out, size, "%s%s%s%s%s:%u", url ? url : "", url ? "://" : "",
		 v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/*
 * A listening, non-blocking socket.  Binding it here rather than in
 * libmicrohttpd gives a precise error (address in use: exit 7) and the
 * bound port before any thread can see the server's URL.
 */
static amlr_code open_listener(int *out, amlr_error *err,
			       struct emu_listen *bound,
			       const struct emu_listen *want)
{
	char what[URL_MAX];
	int fd = -1, one = 1, flags;
	amlr_code rc = AMLR_ENET;

	*out = -1;
	*bound = *want;
	format_addr(what, sizeof(what), want, NULL);
	fd = socket(want->addr.sa.sa_family, SOCK_STREAM, 0);
	if (fd < 0 || (flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (want->addr.sa.sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))) {
		amlr_error_set(err, rc, "cannot create a socket for %s: %s",
			       what, strerror(errno));
		goto done;
	}
	if (bind(fd, &want->addr.sa, want->len) != 0 ||
	    listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, &bound->addr.sa, &bound->len) != 0) {
		amlr_error_set(err, rc, "cannot listen on %s: %s", what,
			       strerror(errno));
		goto done;
	}
	*out = fd;
	fd = -1;
	rc = AMLR_OK;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* libmicrohttpd's own errors, shown only with --verbose. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	flockfile(stderr);
	fputs("amlretrain-emulator: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	funlockfile(stderr);
}

/* The first thing seen of a request: its target, before any parsing. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *r;

	(void)cls;
	(void)conn;
	if (!(r = calloc(1, sizeof(*r))))
		return NULL;
	if (!(r->target = strdup(uri))) {
		free(r);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	clock_gettime(CLOCK_REALTIME, &r->arrived);
	return r;
}

/*
 * Append @p n bytes of @p s with control characters and spaces shown as
 * '?': a log line is one line of space-separated fields (log injection).
 */
static amlr_code put_clean(amlr_buf *b, const char *s, size_t n)
{
	amlr_code rc = AMLR_OK;
	size_t i;
	char c;

	for (i = 0; i < n && s[i] && rc == AMLR_OK; i++) {
		c = (unsigned char)s[i] <= 0x20 || s[i] == 0x7f ? '?' : s[i];
		rc = amlr_buf_put(b, &c, 1);
	}
	return rc;
}

/* Copy an id for the log: at most ID_MAX of [A-Za-z0-9._:{}-]. */
static void copy_id(char out[ID_MAX + 1], const char *id)
{
	size_t i;
	char c;

	for (i = 0; id && id[i] && i < ID_MAX; i++) {
		c = id[i];
		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					 (c >= '0' && c <= '9') ||
					 strchr("._:{}-", c)
				 ? c
				 : '?';
	}
	out[i] = '\0';
}

/*
 * The request's lines: "METHOD /path STATUS 1.2 ms" on stderr with
 * --verbose, and the access log line (server.h).  Never the query, which
 * may hold a SAS, nor any header but the ids.
 */
static void log_request(struct emu_server *srv, const struct request *r)
{
	amlr_buf line = AMLR_BUF_INIT, access = AMLR_BUF_INIT;
	struct timespec now;
	struct tm tm;
	char status[16];
	double ms;
	ssize_t n;
	size_t off;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
	if (r->status)
		snprintf(status, sizeof(status), "%u", r->status);
	else
		snprintf(status, sizeof(status), "-");
	if (put_clean(&line, r->method, strlen(r->method)) != AMLR_OK ||
	    amlr_buf_puts(&line, " ") != AMLR_OK ||
	    put_clean(&line, r->target, strcspn(r->target, "?")) != AMLR_OK)
		goto done;
	if (srv->verbose) {
		flockfile(stderr);
		fprintf(stderr, "amlretrain-emulator: %s %s %.1f ms%s%s\n",
			line.ptr, status, ms, r->note[0] ? " " : "", r->note);
		funlockfile(stderr);
	}
	if (srv->log_fd < 0)
		goto done;
	gmtime_r(&r->arrived.tv_sec, &tm);
	if (amlr_buf_printf(
		    &access,
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %.1f %zu %s %s%s%s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, r->arrived.tv_nsec / 1000000,
		    line.ptr, status, ms, r->bytes_out,
		    r->request_id[0] ? r->request_id : "-",
		    r->client_request_id[0] ? r->client_request_id : "-",
		    r->note[0] ? " " : "", r->note) != AMLR_OK)
		goto done;
	/* One write per line, O_APPEND: lines never interleave. */
	pthread_mutex_lock(&srv->log_lock);
	for (off = 0; off < access.len; off += (size_t)n) {
		n = write(srv->log_fd, access.ptr + off, access.len - off);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			break;
	}
	pthread_mutex_unlock(&srv->log_lock);
done:
	amlr_buf_release(&access);
	amlr_buf_release(&line);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct emu_server *srv = cls;
	struct request *r = *req_cls;

	(void)conn;
	(void)toe;
	if (!r)
		return;
	if (r->counted) /* the client went away while it was delayed */
		atomic_fetch_sub(&srv->in_flight, 1);
	if (r->seen) /* answered, faulted, or the client went away */
		log_request(srv, r);
	amlr_buf_release(&r->body);
	free(r->target);
	free(r);
	*req_cls = NULL;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
				  const char *name, const char *value)
{
	struct header_walk *w = cls;

	(void)kind;
	w->rc = emu_req_add_header(w->req, name, value ? value : "");
	return w->rc == AMLR_OK ? MHD_YES : MHD_NO;
}

/* --- delays ------------------------------------------------------------*/

/* Resume the delayed requests as they fall due, until the server stops. */
static void *timer_main(void *arg)
{
	struct emu_server *srv = arg;
	struct delayed *due, **pp, *d;
	struct timespec now;

	pthread_mutex_lock(&srv->delay_lock);
	while (!srv->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		due = NULL;
		for (pp = &srv->delayed; (d = *pp);) {
			if (d->due.tv_sec < now.tv_sec ||
			    (d->due.tv_sec == now.tv_sec &&
			     d->due.tv_nsec <= now.tv_nsec)) {
				*pp = d->next;
				d->next = due;
				due = d;
			} else {
				pp = &d->next;
			}
		}
		if (due) {
			/* libmicrohttpd's locks are never taken under ours. */
			pthread_mutex_unlock(&srv->delay_lock);
			while ((d = due)) {
				due = d->next;
				MHD_resume_connection(d->conn);
				free(d);
			}
			pthread_mutex_lock(&srv->delay_lock);
			continue;
		}
		if (!srv->delayed) {
			pthread_cond_wait(&srv->delay_cond, &srv->delay_lock);
			continue;
		}
		/* Sleep until the earliest is due, or a new one comes. */
		now = srv->delayed->due;
		for (d = srv->delayed->next; d; d = d->next)
			if (d->due.tv_sec < now.tv_sec ||
			    (d->due.tv_sec == now.tv_sec &&
			     d->due.tv_nsec < now.tv_nsec))
				now = d->due;
		pthread_cond_timedwait(&srv->delay_cond, &srv->delay_lock,
				       &now);
	}
	pthread_mutex_unlock(&srv->delay_lock);
	return NULL;
}

/*
 * Suspend @p conn for @p ms; the timer resumes it and libmicrohttpd calls
 * the access handler again.  Returns 0 when the request must go on now
 * (the server is stopping, or no memory: the delay is then skipped).
 */
static int delay_request(struct emu_server *srv, struct MHD_Connection *conn,
			 long ms)
{
	struct delayed *d;

	if (!(d = calloc(1, sizeof(*d))))
		return 0;
	d->conn = conn;
	clock_gettime(CLOCK_MONOTONIC, &d->due);
	d->due.tv_sec += ms / 1000;
	d->due.tv_nsec += (ms % 1000) * 1000000L;
	if (d->due.tv_nsec >= 1000000000L) {
		d->due.tv_sec++;
		d->due.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&srv->delay_lock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->delay_lock);
		free(d);
		return 0;
	}
	MHD_suspend_connection(conn);
	d->next = srv->delayed;
	srv->delayed = d;
	pthread_cond_signal(&srv->delay_cond);
	pthread_mutex_unlock(&srv->delay_lock);
	return 1;
}

/* --- answering -----------------------------------------------------------*/

/* What build() decided besides the response. */
enum outcome {
	OUT_RESPOND, /* queue the response */
	OUT_WAIT, /* delayed: the connection is suspended */
	OUT_RESET /* close the connection without a response */
};

/*
 * --concurrency-limit: count the request in, or answer 503 at once (1
 * when admitted, 0 when @p resp holds the 503, -1 without memory).
 */
static int admit_flight(struct emu_server *srv, struct request *r,
			struct emu_resp *resp, const struct emu_req *req)
{
	if (srv->flight_limit <= 0 || strncmp(req->path, "/_emulator", 10) == 0)
		return 1;
	if (atomic_fetch_add(&srv->in_flight, 1) < srv->flight_limit) {
		r->counted = 1;
		return 1;
	}
	atomic_fetch_sub(&srv->in_flight, 1);
	if (emu_resp_arm_error(
		    resp, 503, "ServiceUnavailable",
		    "the server is busy: %ld requests in flight already (--concurrency-limit)",
		    srv->flight_limit) != AMLR_OK ||
	    emu_resp_set_header(resp, "Retry-After", "1") != AMLR_OK ||
	    emu_resp_set_header(resp, "x-ms-retry-after-ms", "100") !=
		    AMLR_OK ||
	    emu_router_finish(resp, req) != AMLR_OK)
		return -1;
	return 0;
}

/*
 * Apply the request's fault, then the throttle, then the route.  With a
 * fault of status or body kind, or a 429, the response is already whole.
 */
static amlr_code serve(enum outcome *out, struct emu_resp *resp,
		       struct emu_req *req, struct emu_server *srv,
		       struct MHD_Connection *conn, struct request *r)
{
	struct emu_world *world = srv->ctx.world;
	struct emu_fault_action act;
	char header[64], value[24];
	int admitted;
	amlr_code rc;

	*out = OUT_RESPOND;
	if (!r->fault_done) {
		r->fault_done = 1;
		if ((admitted = admit_flight(srv, r, resp, req)) <= 0)
			return admitted < 0 ? AMLR_EFAIL : AMLR_OK;
		rc = emu_faults_pick(&act, resp, world ? world->faults : NULL,
				     req);
		if (rc != AMLR_OK)
			return rc;
		switch (act.kind) {
		case EMU_FAULT_STATUS:
		case EMU_FAULT_BODY:
			return AMLR_OK;
		case EMU_FAULT_RESET:
			*out = OUT_RESET;
			return AMLR_OK;
		case EMU_FAULT_DELAY:
			if (delay_request(srv, conn, act.delay_ms)) {
				*out = OUT_WAIT;
				return AMLR_OK;
			}
			break;
		case EMU_FAULT_TRUNCATE:
			r->truncate = 1;
			break;
		case EMU_FAULT_NONE:
		case EMU_FAULT_LRO_FAILED:
			break;
		}
	}
	admitted = emu_throttle_admit(
		header, value, world ? world->throttle : NULL, req, resp);
	if (admitted < 0)
		return AMLR_EFAIL;
	if (!admitted)
		return AMLR_OK;
	if ((rc = emu_router_dispatch(resp, req)) != AMLR_OK)
		return rc;
	if (header[0])
		rc = emu_resp_set_header(resp, header, value);
	return rc;
}

/* Build the request and its response: served, or rejected with r->reject. */
static amlr_code build(enum outcome *out, struct emu_resp *resp,
		       struct emu_req *req, struct emu_server *srv,
		       struct MHD_Connection *conn, struct request *r,
		       const char *method)
{
	struct header_walk w = { req, AMLR_OK };
	amlr_code rc;

	*out = OUT_RESPOND;
	rc = emu_req_init(req, method, r->target, &srv->ctx);
	if (rc == AMLR_EFAIL)
		return rc;
	req->note = r->note;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &w);
	if (w.rc != AMLR_OK)
		return w.rc;
	copy_id(r->client_request_id,
		emu_req_header(req, "x-ms-client-request-id"));
	req->body = r->body.ptr ? r->body.ptr : "";
	req->body_len = r->body.len;
	if (rc == AMLR_OK && !r->reject)
		return serve(out, resp, req, srv, conn, r);
	if (rc != AMLR_OK)
		rc = emu_resp_arm_error(
			resp, 400, "BadRequest",
			"the request target is malformed (not a path, a NUL byte, or a '%%' without two hex digits)");
	else if (r->reject == 413)
		rc = emu_resp_arm_error(
			resp, 413, "RequestEntityTooLarge",
			"the request body is larger than %zu bytes",
			EMU_BODY_MAX);
	else
		rc = emu_resp_arm_error(resp, 500, "InternalServerError",
					"the emulator ran out of memory");
	if (rc == AMLR_OK)
		rc = emu_router_finish(resp, req);
	return rc;
}

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cut_body *c = cls;
	size_t n;

	if (pos >= c->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = c->cut - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, c->body + pos, n);
	*c->sent = (size_t)pos + n;
	return (ssize_t)n;
}

static void cut_free(void *cls)
{
	struct cut_body *c = cls;

	free(c->body);
	free(c);
}

/*
 * The libmicrohttpd response for @p body (taken): whole, or for a
 * truncate fault announcing all @p len bytes and sending half.
 */
static struct MHD_Response *make_response(struct request *r, char *body,
					  size_t len)
{
	struct MHD_Response *mr;
	struct cut_body *c;

	if (!r->truncate) {
		mr = MHD_create_response_from_buffer_with_free_callback(
			len, body, free);
		if (!mr)
			free(body);
		return mr;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		free(body);
		return NULL;
	}
	c->body = body;
	c->cut = len / 2;
	c->sent = &r->bytes_out;
	mr = MHD_create_response_from_callback(len, 4096, cut_read, c,
					       cut_free);
	if (!mr)
		cut_free(c);
	return mr;
}

/* Whether a response with @p status to @p method carries its body. */
static int has_body(const char *method, unsigned int status)
{
	return strcmp(method, "HEAD") != 0 && status >= 200 && status != 204 &&
	       status != 304;
}

/*
 * Answer the request; MHD_NO (close the connection) for a reset fault
 * and without memory.
 */
static enum MHD_Result respond(struct emu_server *srv,
			       struct MHD_Connection *conn, struct request *r,
			       const char *method)
{
	struct emu_req req;
	struct emu_resp resp = EMU_RESP_INIT;
	struct MHD_Response *mr = NULL;
	enum MHD_Result ret = MHD_NO;
	enum outcome out = OUT_RESPOND;
	size_t i, len;
	char *body;

	if (build(&out, &resp, &req, srv, conn, r, method) != AMLR_OK ||
	    out == OUT_RESET)
		goto done;
	if (out == OUT_WAIT) {
		ret = MHD_YES;
		goto done;
	}
	len = resp.body.len;
	if (!(body = amlr_buf_detach(&resp.body)))
		goto done;
	if (!(mr = make_response(r, body, len)))
		goto done;
	for (i = 0; i < resp.nheaders; i++)
		if (MHD_add_response_header(mr, resp.headers[i].name,
					    resp.headers[i].value) != MHD_YES)
			goto done;
	ret = MHD_queue_response(conn, resp.status, mr);
	if (ret != MHD_YES)
		goto done;
	r->status = resp.status;
	copy_id(r->request_id, emu_resp_header(&resp, "x-ms-request-id"));
	if (!r->truncate && has_body(method, resp.status))
		r->bytes_out = len;
done:
	/* Answered (or reset): no longer in flight for the limit. */
	if (out != OUT_WAIT && r->counted) {
		r->counted = 0;
		atomic_fetch_sub(&srv->in_flight, 1);
	}
	if (mr)
		MHD_destroy_response(mr);
	emu_resp_release(&resp);
	emu_req_release(&req);
	return ret;
}

/* Whether the declared Content-Length already exceeds EMU_BODY_MAX. */
static int declared_too_large(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (!v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	return end != v && (errno == ERANGE || n > EMU_BODY_MAX);
}

/*
 * libmicrohttpd calls this once when the headers are in, once per chunk
 * of body, and once more at the end, when the request is answered (and
 * again after a delay fault resumes it).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct emu_server *srv = cls;
	struct request *r = *req_cls;
	size_t n = *upload_data_size;

	(void)url;
	(void)version;
	if (!r)
		return MHD_NO; /* on_uri ran out of memory */
	if (!r->seen) {
		r->seen = 1;
		snprintf(r->method, sizeof(r->method), "%s", method);
		if (!declared_too_large(conn))
			return MHD_YES;
		/* Answer now; libmicrohttpd then closes the connection. */
		r->reject = 413;
		return respond(srv, conn, r, method);
	}
	if (r->status) {
		*upload_data_size = 0; /* answered early: drop the rest */
		return MHD_YES;
	}
	if (n > 0) {
		/* Once rejected, the rest of the body is read and dropped. */
		if (!r->reject && n > EMU_BODY_MAX - r->body.len)
			r->reject = 413;
		else if (!r->reject &&
			 amlr_buf_put(&r->body, upload_data, n) != AMLR_OK)
			r->reject = 500;
		if (r->reject)
			amlr_buf_release(&r->body);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return respond(srv, conn, r, method);
}

/* --- start and stop --------------------------------------------------------*/

/* The access log, appended, private to the user. */
static amlr_code open_log(struct emu_server *srv, amlr_error *err,
			  const char *path)
{
	struct stat st;

	srv->log_fd =
		open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (srv->log_fd < 0 || fstat(srv->log_fd, &st) != 0 ||
	    (S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 &&
	     fchmod(srv->log_fd, 0600) != 0))
		return amlr_error_set(err, AMLR_EIO,
				      "cannot open the access log '%s': %s",
				      path, strerror(errno));
	return AMLR_OK;
}

/* Refuse a passphrase prompt: the key must be unencrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * Read the certificate and key, and check them with OpenSSL first: its
 * messages are clearer than a daemon that will not start.
 */
static amlr_code load_tls(struct emu_server *srv, amlr_error *err,
			  const char *cert_path, const char *key_path)
{
	amlr_error sub = AMLR_ERROR_INIT;
	amlr_buf abs = AMLR_BUF_INIT;
	char cwd[PATH_MAX] = "";
	BIO *bio = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	amlr_code rc;

	if ((rc = amlr_file_read(&srv->tls_cert, &sub, cert_path,
				 TLS_FILE_MAX)) != AMLR_OK ||
	    (rc = amlr_file_read(&srv->tls_key, &sub, key_path,
				 TLS_FILE_MAX)) != AMLR_OK) {
		amlr_error_set(err, rc, "cannot read the TLS files: %s",
			       sub.message);
		goto done;
	}
	/* The env file may be read elsewhere: an absolute path. */
	if (cert_path[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		rc = amlr_error_set(err, AMLR_EIO,
				    "cannot find the current directory: %s",
				    strerror(errno));
		goto done;
	}
	if (amlr_buf_printf(&abs, "%s%s%s", cwd, cwd[0] ? "/" : "",
			    cert_path) != AMLR_OK ||
	    !(srv->ca_bundle = amlr_buf_detach(&abs))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = AMLR_EINVAL;
	if (!srv->tls_cert.ptr || !srv->tls_key.ptr) {
		amlr_error_set(err, rc, "'%s' is empty",
			       srv->tls_cert.ptr ? key_path : cert_path);
		goto done;
	}
	if (!(bio = BIO_new_mem_buf(srv->tls_cert.ptr,
				    (int)srv->tls_cert.len)) ||
	    !(cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
		amlr_error_set(err, rc, "'%s' is not a PEM certificate",
			       cert_path);
		goto done;
	}
	BIO_free(bio);
	if (!(bio = BIO_new_mem_buf(srv->tls_key.ptr, (int)srv->tls_key.len)) ||
	    !(key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL))) {
		amlr_error_set(err, rc,
			       "'%s' is not an unencrypted PEM private key",
			       key_path);
		goto done;
	}
	if (X509_check_private_key(cert, key) != 1) {
		amlr_error_set(
			err, rc,
			"the key '%s' does not match the certificate '%s'",
			key_path, cert_path);
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_buf_release(&abs);
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
	BIO_free(bio);
	return rc;
}

/* The locks and the timer thread of delayed requests. */
static amlr_code start_timer(struct emu_server *srv, amlr_error *err)
{
	pthread_condattr_t attr;
	int e;

	if (pthread_mutex_init(&srv->log_lock, NULL) != 0)
		return amlr_error_set(err, AMLR_EFAIL, "cannot create a lock");
	if (pthread_mutex_init(&srv->delay_lock, NULL) != 0) {
		pthread_mutex_destroy(&srv->log_lock);
		return amlr_error_set(err, AMLR_EFAIL, "cannot create a lock");
	}
	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&srv->delay_cond, &attr) != 0) {
		pthread_mutex_destroy(&srv->delay_lock);
		pthread_mutex_destroy(&srv->log_lock);
		return amlr_error_set(err, AMLR_EFAIL,
				      "cannot create a condition variable");
	}
	pthread_condattr_destroy(&attr);
	srv->locks_made = 1;
	if ((e = pthread_create(&srv->timer, NULL, timer_main, srv)) != 0)
		return amlr_error_set(err, AMLR_EFAIL,
				      "cannot start a thread: %s", strerror(e));
	srv->timer_started = 1;
	return AMLR_OK;
}

amlr_code emu_server_start(struct emu_server **out, amlr_error *err,
			   const struct emu_server_opts *opts)
{
	struct emu_server *srv = NULL;
	struct emu_listen bound;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL },
					 { MHD_OPTION_END, 0, NULL },
					 { MHD_OPTION_END, 0, NULL } };
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
			     MHD_ALLOW_SUSPEND_RESUME;
	int fd = -1;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(srv = calloc(1, sizeof(*srv)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	srv->log_fd = -1;
	srv->flight_limit = opts->concurrency_limit;
	atomic_init(&srv->in_flight, 0);
	if (opts->state_dir && !(srv->state_dir = strdup(opts->state_dir))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if ((rc = start_timer(srv, err)) != AMLR_OK)
		goto done;
	if (opts->log_file &&
	    (rc = open_log(srv, err, opts->log_file)) != AMLR_OK)
		goto done;
	if (opts->tls_cert || opts->tls_key) {
		if (!opts->tls_cert || !opts->tls_key) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"options '--tls-cert' and '--tls-key' go together");
			goto done;
		}
		if ((rc = load_tls(srv, err, opts->tls_cert, opts->tls_key)) !=
		    AMLR_OK)
			goto done;
		flags |= MHD_USE_TLS;
		tls[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls[0].ptr_value = srv->tls_cert.ptr;
		tls[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls[1].ptr_value = srv->tls_key.ptr;
	}
	if ((rc = open_listener(&fd, err, &bound, &opts->listen)) != AMLR_OK)
		goto done;
	format_addr(srv->url, sizeof(srv->url), &bound,
		    srv->ca_bundle ? "https" : "http");
	srv->verbose = opts->verbose;
	srv->ctx.base_url = srv->url;
	srv->ctx.state_dir = srv->state_dir;
	srv->ctx.world = opts->world;
	if (srv->verbose)
		flags |= MHD_USE_ERROR_LOG;
	if (bound.addr.sa.sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
		THREADS, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!srv->daemon) {
		rc = amlr_error_set(err, AMLR_ENET, "cannot serve on %s",
				    srv->url);
		goto done;
	}
	fd = -1; /* the daemon's now */
	*out = srv;
	srv = NULL;
	rc = AMLR_OK;
done:
	/* A failed start may or may not have closed the socket already. */
	if (fd >= 0 && fcntl(fd, F_GETFD) != -1)
		close(fd);
	emu_server_free(srv);
	return rc;
}

const char *emu_server_url(const struct emu_server *srv)
{
	return srv->url;
}

amlr_code emu_server_env(amlr_buf *out, const struct emu_server *srv)
{
	const char *p;
	amlr_code rc;

	if (!srv->ca_bundle)
		return AMLR_OK;
	/* Single quotes, each ' written as '\'': any path survives. */
	rc = amlr_buf_puts(out, "export AMLR_CA_BUNDLE='");
	for (p = srv->ca_bundle; *p && rc == AMLR_OK; p++)
		rc = *p == '\'' ? amlr_buf_puts(out, "'\\''")
				: amlr_buf_put(out, p, 1);
	if (rc == AMLR_OK)
		rc = amlr_buf_puts(out, "'\n");
	return rc;
}

void emu_server_free(struct emu_server *srv)
{
	struct delayed *list, *d;

	if (!srv)
		return;
	if (srv->timer_started) {
		pthread_mutex_lock(&srv->delay_lock);
		srv->stopping = 1;
		pthread_cond_signal(&srv->delay_cond);
		pthread_mutex_unlock(&srv->delay_lock);
		pthread_join(srv->timer, NULL);
	}
	/* libmicrohttpd must not stop with suspended connections. */
	if (srv->locks_made) {
		pthread_mutex_lock(&srv->delay_lock);
		list = srv->delayed;
		srv->delayed = NULL;
		pthread_mutex_unlock(&srv->delay_lock);
		while ((d = list)) {
			list = d->next;
			MHD_resume_connection(d->conn);
			free(d);
		}
	}
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	if (srv->locks_made) {
		pthread_cond_destroy(&srv->delay_cond);
		pthread_mutex_destroy(&srv->delay_lock);
		pthread_mutex_destroy(&srv->log_lock);
	}
	if (srv->log_fd >= 0)
		close(srv->log_fd);
	amlr_buf_release(&srv->tls_cert);
	amlr_buf_release_secret(&srv->tls_key);
	free(srv->ca_bundle);
	free(srv->state_dir);
	free(srv);
}
