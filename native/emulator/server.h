/* SPDX-License-Identifier: MIT */
/* The emulator's HTTP server: libmicrohttpd glue, bodies, request log. */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "amlr/buf.h"
#include "amlr/error.h"

struct emu_world;

#define EMU_BODY_MAX ((size_t)64 << 20) /* larger request bodies get 413 */

/* An address to listen on, from emu_server_parse_listen(). */
struct emu_listen {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t len;
};

/*
 * What the server does with each request, in order:
 *
 *  1. reads the body (413 beyond EMU_BODY_MAX);
 *  2. applies the fault world->faults picks for it (faults.h), unless
 *     the path is under /_emulator/: a status or body fault is the
 *     answer; a delay suspends the request (other requests are served
 *     meanwhile), then goes on; a reset closes the connection; a
 *     truncated response goes on and is cut when sent;
 *  3. charges Resource Manager requests to world->throttle (throttle.h):
 *     an empty budget answers 429; otherwise the response gets the
 *     x-ms-ratelimit-remaining-subscription-* header;
 *  4. routes it (router.h);
 *  5. logs it: with verbose, "amlretrain-emulator: GET /path 200 1.2 ms"
 *     on stderr; with log_file, one line in the access log:
 *
 *	2026-05-01T10:00:00.123Z GET /path 200 1.2 57 REQUEST-ID CLIENT-ID
 *
 *     time (UTC, when the request arrived), method, path as sent without
 *     the query, status ("-" when none was sent: a reset, or the client
 *     went away), duration in ms, body bytes sent, x-ms-request-id and
 *     the request's x-ms-client-request-id ("-" when absent), then, when
 *     a fault was injected, " fault=KIND[:DETAIL] fault-id=N" (as on
 *     stderr).  Never a query string, another header or a body: no
 *     secret reaches the log.
 */
struct emu_server_opts {
	struct emu_listen listen;
	const char *state_dir; /* handed to handlers; NULL for none */
	struct emu_world *world; /* handed to handlers; faults, throttle */
	int verbose; /* a stderr line per request, libmicrohttpd's errors */
	const char *log_file; /* the access log, appended, 0600; or NULL */
	/*
	 * At most this many requests in flight in the whole server (from
	 * arrival to the queued answer, delays included; /_emulator/ paths
	 * not counted); beyond it 503 ServiceUnavailable at once, with
	 * Retry-After: 1 and x-ms-retry-after-ms: 100.  0: no limit.
	 */
	long concurrency_limit;
	/*
	 * https with this certificate (PEM; may hold the chain after it) and
	 * its unencrypted key; both or neither.  A self-signed certificate
	 * is its own CA: emu_server_env() points AMLR_CA_BUNDLE at the file.
	 * For a certificate signed by a CA, append the CA's certificate to
	 * the file, which then serves as the bundle too.
	 */
	const char *tls_cert;
	const char *tls_key;
};

/* A running server; opaque. */
struct emu_server;

/**
 * Parse HOST:PORT, where HOST is an IPv4 address, "localhost" or an IPv6
 * address in brackets ("[::1]:8080") and PORT is 0 to 65535 (0: any free
 * port).
 *
 * @return AMLR_OK or AMLR_EINVAL (with a message naming the value)
 */
amlr_code emu_server_parse_listen(struct emu_listen *out, amlr_error *err,
				  const char *spec);

/**
 * Bind, listen and start serving on libmicrohttpd's thread pool.  Block
 * the signals the caller waits for first: the threads inherit the mask.
 *
 * @param[out] out the running server, owned by the caller
 * @return AMLR_OK; AMLR_ENET when the address cannot be bound or served
 *	(in use, not local); AMLR_EIO when the access log cannot be opened
 *	or a TLS file cannot be read; AMLR_EINVAL when a TLS file is not a
 *	PEM certificate or unencrypted key, or they do not match;
 *	AMLR_EFAIL without memory
 * Ownership: *out is the caller's, for emu_server_free().
 */
amlr_code emu_server_start(struct emu_server **out, amlr_error *err,
			   const struct emu_server_opts *opts);

/**
 * "http://127.0.0.1:PORT" ("https://..." with TLS), the bound port filled
 * in.  Borrowed.
 */
const char *emu_server_url(const struct emu_server *srv);

/**
 * Append the server's exports for the env file: with TLS,
 * `export AMLR_CA_BUNDLE='/absolute/path/of/the/cert.pem'`; else nothing.
 *
 * @return AMLR_OK; AMLR_EFAIL without memory
 */
amlr_code emu_server_env(amlr_buf *out, const struct emu_server *srv);

/** Stop serving (open connections are closed) and free; accepts NULL. */
void emu_server_free(struct emu_server *srv);

#endif
