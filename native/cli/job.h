/* SPDX-License-Identifier: MIT */
/* What `job` and `score` share: the endpoint, its key, job requests, CSV. */
#ifndef CLI_JOB_H
#define CLI_JOB_H

#include "cmd.h"
#include "opt.h"

#define CLI_API_LOCATION_ENV "AMLR_API_LOCATION"
#define CLI_API_KEY_ENV "AMLR_API_KEY"

/* The option rows naming the endpoint and its key (cli_exec_resolve()). */
#define CLI_EXEC_OPTS                                                                                             \
	{ "api-location",                                                                                         \
	  0,                                                                                                      \
	  CLI_OPT_VALUE,                                                                                          \
	  "URL",                                                                                                  \
	  "the endpoint's ApiLocation, with or without /jobs or ?api-version=2.0 (default $" CLI_API_LOCATION_ENV \
	  ")",                                                                                                    \
	  NULL,                                                                                                   \
	  0 },                                                                                                    \
	{                                                                                                         \
		"api-key-file", 0, CLI_OPT_VALUE, "FILE",                                                         \
			"read the API key from FILE (default: $" CLI_API_KEY_ENV                                  \
			")",                                                                                      \
			NULL, 0                                                                                   \
	}

/* An endpoint: where, and the key (a secret). */
struct cli_exec {
	const char *location; /* borrowed from argv or the environment */
	char *key;
};

#define CLI_EXEC_INIT      \
	{                  \
		NULL, NULL \
	}

/*
 * The endpoint of --api-location (else $AMLR_API_LOCATION) and the key
 * of --api-key-file (first line) or $AMLR_API_KEY.  Returns 0, or the exit
 * code after printing the error (2 without a location, 3 without a key).
 */
int cli_exec_resolve(struct cli_exec *out, struct cli_ctx *ctx,
		     const struct cli_usage *usage,
		     const struct cli_args *args);

void cli_exec_release(struct cli_exec *exec);

/*
 * The BatchExecutionRequest of --input NAME=REF, --output NAME=REF and
 * --param K=V (the REF forms: README, `job`).  Everything is checked
 * before anything is sent; then @file inputs are uploaded (once: the blob
 * name holds the content's hash).  Returns 0, or the exit code after
 * printing the error.
 */
int cli_job_request(amlr_json **out, struct cli_ctx *ctx,
		    const struct cli_usage *usage, const struct cli_args *args);

/*
 * Set GlobalParameters members of @p request from --param K=V (values
 * as strings).  Returns 0, or the exit code after printing the error.
 */
int cli_job_params(amlr_json *request, struct cli_ctx *ctx,
		   const struct cli_usage *usage, const struct cli_args *args);

/*
 * Parse CSV text (RFC 4180: quoted fields with "" inside, LF or CRLF, a
 * header row first, every row as wide as the header; empty lines are
 * skipped).  On failure the message names the line (1-based).
 *
 * @param[out] names the header (array of strings)
 * @param[out] rows the rows (arrays of strings)
 * @return AMLR_OK, AMLR_EINVAL, AMLR_EFAIL
 */
amlr_code cli_csv_parse(amlr_json **names, amlr_json **rows, amlr_error *err,
			const char *text, size_t len);

#endif
