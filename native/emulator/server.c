/* SPDX-License-Identifier: MIT */
/* libmicrohttpd glue: listening, request bodies, dispatch and logging. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "router.h"
#include "server.h"

#define THREADS 4u /* libmicrohttpd's thread pool */
#define IDLE_TIMEOUT 120u /* seconds before an idle connection is closed */
#define URL_MAX 80 /* "http://[" INET6_ADDRSTRLEN "]:65535" */

struct emu_server {
	struct MHD_Daemon *daemon;
	int verbose;
	struct emu_ctx ctx;
	char *state_dir;
	char url[URL_MAX];
};

/* One request's state from its first line to its completion. */
struct request {
	char *target; /* as sent, from the URI callback */
	struct timespec start;
	char method[16]; /* for the log, possibly truncated */
	int seen; /* the access handler has run once */
	unsigned int reject; /* 413 or 500 instead of routing; 0: route */
	amlr_buf body;
	unsigned int status; /* queued, for the log; 0: none */
};

/* Collects MHD's request headers into an emu_req. */
struct header_walk {
	struct emu_req *req;
	amlr_code rc;
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
 * "HOST:PORT" of @p a for messages; with @p url, "http://HOST:PORT" where
 * a wildcard address becomes loopback, which is where clients connect.
 */
static void format_addr(char *out, size_t size, const struct emu_listen *a,
			int url)
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
	snprintf(out, size, "%s%s%s%s:%u", url ? "http://" : "", v6 ? "[" : "",
		 host, v6 ? "]" : "", port);
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
	format_addr(what, sizeof(what), want, 0);
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
	return r;
}

/* Append @p s with control characters shown as '?' (log injection). */
static amlr_code put_clean(amlr_buf *b, const char *s, size_t n)
{
	amlr_code rc = AMLR_OK;
	size_t i;
	char c;

	for (i = 0; i < n && s[i] && rc == AMLR_OK; i++) {
		c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
		rc = amlr_buf_put(b, &c, 1);
	}
	return rc;
}

/* "METHOD /path STATUS 1.2 ms": never the query, which may hold a SAS. */
static void log_request(const struct request *r)
{
	amlr_buf line = AMLR_BUF_INIT;
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
	if (put_clean(&line, r->method, strlen(r->method)) == AMLR_OK &&
	    amlr_buf_puts(&line, " ") == AMLR_OK &&
	    put_clean(&line, r->target, strcspn(r->target, "?")) == AMLR_OK &&
	    amlr_buf_printf(&line, " %u %.1f ms", r->status, ms) == AMLR_OK)
		fprintf(stderr, "amlretrain-emulator: %s\n", line.ptr);
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
	if (srv->verbose && r->status)
		log_request(r);
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

/* Build the request and its response: routed, or rejected with r->reject. */
static amlr_code build(struct emu_resp *resp, struct emu_req *req,
		       struct emu_server *srv, struct MHD_Connection *conn,
		       const struct request *r, const char *method)
{
	struct header_walk w = { req, AMLR_OK };
	amlr_code rc;

	rc = emu_req_init(req, method, r->target, &srv->ctx);
	if (rc == AMLR_EFAIL)
		return rc;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &w);
	if (w.rc != AMLR_OK)
		return w.rc;
	req->body = r->body.ptr ? r->body.ptr : "";
	req->body_len = r->body.len;
	if (rc == AMLR_OK && !r->reject)
		return emu_router_dispatch(resp, req);
	if (rc != AMLR_OK)
		rc = emu_resp_arm_error(
			resp, 400, "BadRequest",
			"the request target is not a valid path");
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

/* Answer the request; MHD_NO (close the connection) only without memory. */
static enum MHD_Result respond(struct emu_server *srv,
			       struct MHD_Connection *conn, struct request *r,
			       const char *method)
{
	struct emu_req req;
	struct emu_resp resp = EMU_RESP_INIT;
	struct MHD_Response *mr = NULL;
	enum MHD_Result ret = MHD_NO;
	size_t i, len;
	char *body;

	if (build(&resp, &req, srv, conn, r, method) != AMLR_OK)
		goto done;
	len = resp.body.len;
	if (!(body = amlr_buf_detach(&resp.body)))
		goto done;
	mr = MHD_create_response_from_buffer_with_free_callback(len, body,
								free);
	if (!mr) {
		free(body);
		goto done;
	}
	for (i = 0; i < resp.nheaders; i++)
		if (MHD_add_response_header(mr, resp.headers[i].name,
					    resp.headers[i].value) != MHD_YES)
			goto done;
	ret = MHD_queue_response(conn, resp.status, mr);
	if (ret == MHD_YES)
		r->status = resp.status;
done:
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
 * of body, and once more at the end, when the request is answered.
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

amlr_code emu_server_start(struct emu_server **out, amlr_error *err,
			   const struct emu_server_opts *opts)
{
	struct emu_server *srv = NULL;
	struct emu_listen bound;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC;
	int fd = -1;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(srv = calloc(1, sizeof(*srv))) ||
	    (opts->state_dir && !(srv->state_dir = strdup(opts->state_dir)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if ((rc = open_listener(&fd, err, &bound, &opts->listen)) != AMLR_OK)
		goto done;
	format_addr(srv->url, sizeof(srv->url), &bound, 1);
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
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
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

void emu_server_free(struct emu_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	free(srv->state_dir);
	free(srv);
}
