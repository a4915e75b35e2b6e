/* SPDX-License-Identifier: MIT */
/* The emulator's requests, responses and the route tables joining them. */
#ifndef EMU_ROUTER_H
#define EMU_ROUTER_H

#include <stddef.h>

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/json.h"
#include "amlr/version.h"

/*
 * Adding a service, one route file each (route_arm.c, route_blob.c, ...):
 *
 *  1. In route_<service>.c, write handlers
 *	static amlr_code get_thing(struct emu_req *req, struct emu_resp *resp)
 *     that read the request with emu_req_*() and answer with emu_resp_*(),
 *     and a table ended by EMU_ROUTES_END:
 *	const struct emu_route emu_<service>_routes[] = {
 *		{ "GET", "/things/{name}", get_thing },
 *		EMU_ROUTES_END,
 *	};
 *  2. Declare the table below and list it in route_tables[] in router.c.
 *  3. Add route_<service> to EMU_OBJS in the Makefile; add a bats file.
 *
 * Patterns are paths of '/'-separated segments: a literal (matched
 * case-insensitively after percent-decoding, as ARM names are), `{name}`
 * (one non-empty segment, percent-decoded, read with emu_req_param()) or,
 * as the last segment only, `{name*}` (the non-empty rest of the path,
 * slashes included: blob names).  The first matching route wins, tables
 * in route_tables[] order, so put literal routes before captures.  A route
 * with method NULL takes every method; HEAD falls back to the GET route
 * of the same path, whose body the server then leaves out.
 *
 * Handlers run concurrently on the server's threads: state shared between
 * requests needs its own lock.  The server sets Content-Length and Date;
 * a handler never does.
 *
 * The router adds what every response carries (x-ms-request-id, and
 * x-ms-correlation-request-id when the request had one), answers unknown
 * paths with 404 and known paths with a wrong method with 405 (both in
 * ARM's error envelope), and turns a handler's failure into a 500.
 */

#define EMU_VERSION AMLR_VERSION /* the emulator ships with libamlr */
#define EMU_PARAMS_MAX 8 /* captures per pattern */
#define EMU_GUID_SIZE 37 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */

/* What every handler may reach besides its request; owned by the server. */
struct emu_ctx {
	const char *base_url; /* "http://127.0.0.1:PORT", for URLs in replies */
	const char *state_dir; /* where services persist state; NULL: none */
	struct emu_world *world; /* emu.h: configuration, services' state */
};

/* A borrowed name and value (headers, query arguments, captures). */
struct emu_kv {
	const char *name;
	const char *value;
};

/*
 * One request, built by the server (emu_req_init(), emu_req_add_header(),
 * body) and read by handlers.  The strings live until emu_req_release().
 */
struct emu_req {
	const char *method; /* as sent: "GET" */
	const char *path; /* percent-decoded, without the query */
	const char *query; /* raw, after '?'; "" when there is none */
	const char *body; /* NUL-terminated for convenience; "" when none */
	size_t body_len;
	const struct emu_ctx *ctx;
	/*
	 * Where the fault engine notes a fault it injected into this request,
	 * for the logs: a buffer of EMU_FAULT_NOTE_SIZE (faults.h) set by the
	 * server after emu_req_init(); NULL for none.
	 */
	char *note;

	/* private: use emu_req_header(), emu_req_query(), emu_req_param() */
	char *target_mem; /* the target as sent, split at '?' */
	const char *raw_path; /* as sent, without the query */
	char *path_mem;
	char *query_mem; /* the decoded arguments */
	struct emu_kv *args;
	size_t nargs;
	struct emu_kv *headers;
	size_t nheaders;
	size_t headers_cap;
	amlr_buf params_mem; /* "name\0value\0" per capture */
	struct emu_kv params[EMU_PARAMS_MAX];
	size_t nparams;
};

/* A response header; both strings owned by the response. */
struct emu_header {
	char *name;
	char *value;
};

/* One response, built by a handler; `emu_resp r = EMU_RESP_INIT;`. */
struct emu_resp {
	unsigned int status; /* 0 until set */
	amlr_buf body;
	struct emu_header *headers;
	size_t nheaders;
};

#define EMU_RESP_INIT                     \
	{                                 \
		0, AMLR_BUF_INIT, NULL, 0 \
	}

typedef amlr_code emu_handler(struct emu_req *req, struct emu_resp *resp);

struct emu_route {
	const char *method; /* "GET", "PUT", ...; NULL for any */
	const char *pattern; /* "/things/{name}" */
	emu_handler *handler;
};

#define EMU_ROUTES_END           \
	{                        \
		NULL, NULL, NULL \
	}

/* The route tables, one per route file. */
extern const struct emu_route emu_admin_routes[];
extern const struct emu_route emu_arm_routes[];
extern const struct emu_route emu_bes_routes[];
extern const struct emu_route emu_blob_routes[];
extern const struct emu_route emu_classic_routes[];
extern const struct emu_route emu_health_routes[];
extern const struct emu_route emu_identity_routes[];

/**
 * Start a request from the method and the request target as sent
 * ("/a%20b?x=1"): splits and decodes the path and the query.
 *
 * @return AMLR_OK; AMLR_EINVAL when the path or the query decodes to a
 *	NUL byte or has a malformed percent-escape, or the path does not
 *	start with '/' (answer 400); AMLR_EFAIL without memory.  Either
 *	way, end with emu_req_release().
 * Ownership: @p method and @p ctx are borrowed for the request's life.
 */
amlr_code emu_req_init(struct emu_req *req, const char *method,
		       const char *target, const struct emu_ctx *ctx);

/** Record a request header; both strings borrowed for the request's life. */
amlr_code emu_req_add_header(struct emu_req *req, const char *name,
			     const char *value);

/** The first header named @p name (case-insensitive), or NULL. */
const char *emu_req_header(const struct emu_req *req, const char *name);

/**
 * The first query argument named @p name (case-insensitive, as ARM's
 * api-version), percent- and '+'-decoded; "" for `?name`; NULL if absent.
 */
const char *emu_req_query(const struct emu_req *req, const char *name);

/** The capture `{name}` of the matched pattern (exact name), or NULL. */
const char *emu_req_param(const struct emu_req *req, const char *name);

/** Free what the request owns; accepts a request that failed to init. */
void emu_req_release(struct emu_req *req);

/**
 * Set header @p name, replacing an earlier value (case-insensitive name).
 * @return AMLR_OK; AMLR_EINVAL for CR or LF in either; AMLR_EFAIL
 */
amlr_code emu_resp_set_header(struct emu_resp *resp, const char *name,
			      const char *value);

/** The value of header @p name (case-insensitive), or NULL.  Borrowed. */
const char *emu_resp_header(const struct emu_resp *resp, const char *name);

/**
 * Set status, Content-Type and body (replacing any earlier body).
 * @param content_type NULL for none
 */
amlr_code emu_resp_body(struct emu_resp *resp, unsigned int status,
			const char *content_type, const void *body, size_t len);

/** Set status and a compact JSON body (application/json; charset=utf-8). */
amlr_code emu_resp_json(struct emu_resp *resp, unsigned int status,
			const amlr_json *json);

/**
 * Answer in ARM's error envelope,
 * `{"error":{"code":"NotFound","message":"..."}}`, replacing any body.
 */
amlr_code emu_resp_arm_error(struct emu_resp *resp, unsigned int status,
			     const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** Forget status, headers and body; accepts EMU_RESP_INIT. */
void emu_resp_release(struct emu_resp *resp);

/**
 * Route @p req, run its handler and finish @p resp with the headers every
 * response carries (emu_router_finish()).
 *
 * @return AMLR_OK with a complete response (404/405/500 included);
 *	AMLR_EFAIL without memory, when @p resp is unusable
 */
amlr_code emu_router_dispatch(struct emu_resp *resp, struct emu_req *req);

/**
 * Add the headers every response carries: a fresh x-ms-request-id, and
 * x-ms-correlation-request-id echoed from the request.  For responses the
 * server makes itself (400, 413); emu_router_dispatch() calls it.
 */
amlr_code emu_router_finish(struct emu_resp *resp, const struct emu_req *req);

/** Write a fresh random (version 4) GUID, lower-case, into @p out. */
amlr_code emu_guid_new(char out[EMU_GUID_SIZE]);

#endif
