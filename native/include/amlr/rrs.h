/* SPDX-License-Identifier: MIT */
/* Request-Response Service (RRS 2.0): scoring rows with a web service. */
#ifndef AMLR_RRS_H
#define AMLR_RRS_H

#include "common.h"

#include "error.h"
#include "http.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The request-response side of one endpoint: its ApiLocation and API key
 * over a client (borrowed), as amlr_bes.  Reference: classic-bes-rrs.md
 * §2.
 */
typedef struct amlr_rrs amlr_rrs;

/* The two request and response formats of execute (§2.1, §2.2). */
typedef enum {
	AMLR_RRS_DETAILS, /* &details=true: ColumnNames, Values (and types) */
	AMLR_RRS_SWAGGER /* &format=swagger: arrays of row objects */
} amlr_rrs_format;

/**
 * Make a handle.  @p api_location as for amlr_bes_new() (a trailing
 * "/execute" or "/jobs" and any query are dropped).
 *
 * @return AMLR_OK; AMLR_EINVAL (no URL or key, a key that cannot go in a
 *	header); AMLR_EFAIL; details on the client
 * Ownership: *out belongs to the caller (amlr_rrs_free()); @p client is
 *	borrowed for its lifetime; the strings are copied.
 */
AMLR_EXTERN amlr_code amlr_rrs_new(amlr_rrs **out, amlr_client *client,
				   const char *api_location,
				   const char *api_key);

/** Free a handle, wiping its key; accepts NULL. */
AMLR_EXTERN void amlr_rrs_free(amlr_rrs *rrs);

/**
 * Score: POST {api}/execute?api-version=2.0&details=true (or
 * &format=swagger) with @p request ({"Inputs": ..., "GlobalParameters":
 * ...}, in the shape of @p format) and parse the reply.  Scoring changes
 * nothing, so it is retried as any idempotent call.
 *
 * @param[out] out the service's reply, as it is
 * @return AMLR_OK; the client's codes (AMLR_EINVAL for a 400 with the
 *	service's code and details, AMLR_EAUTH, AMLR_ENOTFOUND, ...);
 *	AMLR_ESERVER when the reply is not JSON
 * Ownership: *out belongs to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_rrs_execute(amlr_json **out, amlr_rrs *rrs,
				       amlr_rrs_format format,
				       const amlr_json *request);

/**
 * Turn rows into the request body of @p format for input @p input_name:
 * details gets {"ColumnNames": names, "Values": rows of strings}, swagger
 * an array of {name: value} objects.  @p rows is an array of row arrays
 * (cells of any scalar type; numbers and booleans are sent as text in
 * the details format, as the service's own samples do).
 *
 * @param[out] out {"Inputs": {input_name: ...}, "GlobalParameters": {}}
 * @param names array of column names (strings)
 * @param rows array of arrays, each as long as @p names
 * @return AMLR_OK; AMLR_EINVAL (a row of another length, a cell that is
 *	an object or array: the message names the row, 1-based); AMLR_EFAIL
 * Ownership: *out belongs to the caller; @p names and @p rows are not
 *	kept.
 */
AMLR_EXTERN amlr_code amlr_rrs_request_from_rows(
	amlr_json **out, amlr_error *err, amlr_rrs_format format,
	const char *input_name, const amlr_json *names, const amlr_json *rows);

#ifdef __cplusplus
}
#endif

#endif
