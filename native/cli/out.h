/* SPDX-License-Identifier: MIT */
/* stdout for results (json, table, tsv), stderr for people and wrappers. */
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include <stddef.h>

#include "amlr/amlr.h"

struct cli_ctx;
struct cli_usage;

/* Write a result in the format the user chose; 0 or AMLR_EIO. */
int cli_emit(struct cli_ctx *ctx, const amlr_json *doc);

/* Write bytes unchanged (a non-JSON body); 0 or AMLR_EIO. */
int cli_emit_raw(struct cli_ctx *ctx, const char *data, size_t len);

/*
 * Report a failure on stderr: "amlretrain: <message>" (text), or one JSON
 * object as the last line (--error-format json).  Returns err->code.
 */
int cli_fail(struct cli_ctx *ctx, const amlr_error *err);

/* Like cli_fail() for usage errors: adds the synopsis and a --help hint. */
int cli_fail_usage(struct cli_ctx *ctx, const amlr_error *err,
		   const struct cli_usage *usage);

/* Report a failure with a code and message of our own. */
int cli_failf(struct cli_ctx *ctx, amlr_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Flush and close stdout; a write error there (a closed pipe, a full disk)
 * turns @p rc into AMLR_EIO with a message.  Returns the exit code.
 */
int cli_finish(struct cli_ctx *ctx, int rc);

#endif
