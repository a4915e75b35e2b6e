/* SPDX-License-Identifier: MIT */
/* The promotion gate's measurements: a holdout scored, an evaluation read. */
#ifndef CLI_GATE_H
#define CLI_GATE_H

#include "amlr/json.h"
#include "amlr/plan.h"
#include "cmd.h"

/*
 * A labelled holdout, read once: its feature columns and rows as the
 * scoring request wants them, and the true labels apart.
 */
struct cli_holdout {
	amlr_json *names; /* feature column names (label left out) */
	amlr_json *rows; /* arrays of strings */
	char **truth; /* the label of each row */
	size_t n;
};

#define CLI_HOLDOUT_INIT            \
	{                           \
		NULL, NULL, NULL, 0 \
	}

/*
 * Read CSV @p path with a header row; @p label must be one of its columns.
 * Returns 0 or the exit code after printing the error (2: a bad file).
 */
int cli_holdout_load(struct cli_holdout *out, struct cli_ctx *ctx,
		     const char *path, const char *label);

void cli_holdout_release(struct cli_holdout *h);

/*
 * Score @p h through the request-response API at @p api_location (key
 * @p api_key) and measure @p gate's metric on it: two-class when the
 * output has "Scored Probabilities" (the positive class is the gate's, or
 * the label scored with a probability of 0.5 and more), else regression.
 * *value is NAN when the metric is undefined (e.g. AUC of one class).
 * Returns 0 or the exit code after printing the error.
 */
int cli_gate_measure(double *value, struct cli_ctx *ctx,
		     const char *api_location, const char *api_key,
		     const amlr_plan_gate *gate, const struct cli_holdout *h);

/*
 * Evaluate Model's result @p csv (a header and a row) as an object of
 * column -> number (null for a cell that is not one), into @p into.
 * Returns 0, or the exit code after printing the error.
 */
int cli_gate_evaluation(amlr_json *into, struct cli_ctx *ctx, const char *csv,
			size_t len);

/*
 * The value of the metric @p name (canonical: amlr_plan_metric()) in
 * such an object, case-insensitively; NAN when absent or null.
 */
double cli_gate_metric(const amlr_json *evaluation, const char *name);

#endif
