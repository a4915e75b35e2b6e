/* SPDX-License-Identifier: MIT */
/* Injected failures: configured at start or at run time, logged. */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include "amlr/error.h"
#include "amlr/json.h"
#include "emu.h"
#include "router.h"

/*
 * A fault matches a method (or any) and a path pattern and applies to the
 * next N matching requests, or to a fraction of them chosen by a PRNG
 * seeded from --fault-seed.  Kinds: a status with an ARM error body
 * (optionally Retry-After), a delay, a connection reset, a truncated body,
 * and "lro-failed": the long-running operation the request starts ends
 * Failed.  The server applies every kind but the last before routing; the
 * Resource Manager service asks for the last one itself.
 *
 * The faults are JSON objects, an array of them in --faults FILE, one per
 * POST /_emulator/faults (route_admin.c):
 *
 *   method     "GET", "PUT", ... or "*" (the default): any method
 *   path       required; '*' matches within a segment, '**' across
 *              segments (as a whole segment, also none at all); the path
 *              is matched percent-decoded, without the query, ignoring
 *              case: "/subscriptions/ * /resourceGroups/ **" (no spaces)
 *   kind       required, one of
 *     status     answer @c status (default 500) with an error body in
 *                @c errorFormat: "arm" (the default) `{"error":{"code",
 *                "message"}}`, "storage" `<Error><Code/><Message/></Error>`
 *                with x-ms-error-code, or "entra" `{"error",
 *                "error_description", "error_codes", ...}`; @c code and
 *                @c message default from the status; @c retryAfter
 *                (seconds) and @c retryAfterMs add Retry-After and
 *                x-ms-retry-after-ms; @c headers (an object) adds any
 *                other header (e.g. WWW-Authenticate for an expired token)
 *     body       answer @c status (default 200) with @c body verbatim
 *                (default "") as @c contentType (default JSON): replies
 *                that cannot be parsed; @c headers as for status
 *     delay      wait @c delayMs (required), then serve normally: other
 *                requests are served meanwhile
 *     reset      close the connection without any response
 *     truncate   serve normally but send only the first half of the body
 *                (of a body of n bytes, n / 2) after a Content-Length of
 *                n, then close: the client sees fewer bytes than
 *                promised.  A response without a body is sent whole.
 *     lro-failed the operation the request starts ends Failed with
 *                @c code (default "InternalServerError") and @c message
 *   count      inject into the next N matching requests (N >= 1)
 *   rate       inject into this fraction (0 < rate <= 1) of the matching
 *              requests, decided by a PRNG per fault seeded from
 *              --fault-seed and the fault's id: the same requests in the
 *              same order meet the same faults.  With count as well, at
 *              most count injections.  Neither: every matching request.
 *
 * Members a kind does not use, and unknown members, are errors.  Faults
 * are tried in the order they were added; the first that matches and
 * fires applies, so one request meets at most one fault (lro-failed
 * faults are separate).  Spent faults stay listed, with remaining 0, until
 * cleared.  Paths under /_emulator/ never meet a fault.  Each fault gets
 * an id (1, 2, ...), shown in the listing and in the log.
 */

/* What the server does to a request. */
enum emu_fault_kind {
	EMU_FAULT_NONE = 0, /* serve normally */
	EMU_FAULT_STATUS, /* the response is ready (an error) */
	EMU_FAULT_BODY, /* the response is ready (a given body) */
	EMU_FAULT_DELAY, /* wait delay_ms, then serve normally */
	EMU_FAULT_RESET, /* close the connection, no response */
	EMU_FAULT_TRUNCATE, /* serve, then send half of the body */
	EMU_FAULT_LRO_FAILED /* only through emu_faults_take_lro_failure() */
};

#define EMU_FAULT_NOTE_SIZE 96 /* "fault=status:503 fault-id=12" */

/* The fault chosen for a request, from emu_faults_pick(). */
struct emu_fault_action {
	enum emu_fault_kind kind;
	long delay_ms; /* EMU_FAULT_DELAY */
	char note[EMU_FAULT_NOTE_SIZE]; /* for the logs; "" with NONE */
};

/**
 * Make the fault engine, loading --faults FILE (cfg->faults_file) when
 * given; the rate faults' PRNGs start from cfg->fault_seed.
 *
 * @param[out] out the engine, owned by the caller
 * @return AMLR_OK; AMLR_EIO when the file cannot be read; AMLR_EINVAL when
 *	it is not a JSON array of valid faults (the message names the file
 *	and the JSON path, e.g. "$[1].kind"); AMLR_EFAIL without memory
 * Ownership: *out is the caller's, for emu_faults_free().
 */
amlr_code emu_faults_new(struct emu_faults **out, amlr_error *err,
			 const struct emu_config *cfg);

/** Free the engine and its faults; accepts NULL. */
void emu_faults_free(struct emu_faults *faults);

/**
 * Choose the fault for @p req before it is routed, consuming one of the
 * fault's count.  For EMU_FAULT_STATUS and EMU_FAULT_BODY, @p resp then
 * holds the whole answer (x-ms-request-id included); otherwise it is left
 * alone.  The note is also written to req's log note.  Thread-safe.
 *
 * @param faults NULL for no faults
 * @return AMLR_OK (out->kind EMU_FAULT_NONE when no fault applies);
 *	AMLR_EFAIL without memory
 */
amlr_code emu_faults_pick(struct emu_fault_action *out, struct emu_resp *resp,
			  struct emu_faults *faults, const struct emu_req *req);

/**
 * Add one fault (a JSON object as described above).
 *
 * @param[out] added the fault as emu_faults_list() shows it, or NULL
 * @param where the JSON path of @p fault for messages ("$", "$[3]")
 * @return AMLR_OK; AMLR_EINVAL with a message naming the member;
 *	AMLR_EFAIL
 * Ownership: @p fault is borrowed; *added is the caller's.
 */
amlr_code emu_faults_add(amlr_json **added, amlr_error *err,
			 struct emu_faults *faults, const amlr_json *fault,
			 const char *where);

/**
 * The faults, in order, as `{"faultSeed": N, "value": [fault...]}`, each
 * fault as given plus "id", "remaining" (count left; null without a
 * count) and "hits" (requests it was injected into).
 *
 * Ownership: *out is the caller's.
 */
amlr_code emu_faults_list(amlr_json **out, struct emu_faults *faults);

/** Remove every fault; returns how many there were. */
size_t emu_faults_clear(struct emu_faults *faults);

/** Remove the fault with @p id; returns 1 if there was one, else 0. */
int emu_faults_remove(struct emu_faults *faults, long id);

/**
 * Whether a long-running operation started by this request must end
 * Failed (a matching "lro-failed" fault, consumed).  Thread-safe.
 *
 * @param[out] code the error code to report (e.g. "InternalServerError")
 * @param[out] message its message
 * @param faults NULL for no faults
 * @return 1 when the operation must fail, else 0
 */
int emu_faults_take_lro_failure(struct emu_faults *faults,
				const struct emu_req *req, char code[64],
				char message[256]);

#endif
