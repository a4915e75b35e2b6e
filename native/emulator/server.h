/* SPDX-License-Identifier: MIT */
/* The emulator's HTTP server: libmicrohttpd glue, bodies, request log. */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

struct emu_server_opts {
	struct emu_listen listen;
	const char *state_dir; /* handed to handlers; NULL for none */
	struct emu_world *world; /* handed to handlers */
	int verbose; /* a stderr line per request, libmicrohttpd's errors */
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
 *	(in use, not local); AMLR_EFAIL without memory
 * Ownership: *out is the caller's, for emu_server_free().
 */
amlr_code emu_server_start(struct emu_server **out, amlr_error *err,
			   const struct emu_server_opts *opts);

/** "http://127.0.0.1:PORT", the bound port filled in.  Borrowed. */
const char *emu_server_url(const struct emu_server *srv);

/** Stop serving (open connections are closed) and free; accepts NULL. */
void emu_server_free(struct emu_server *srv);

#endif
