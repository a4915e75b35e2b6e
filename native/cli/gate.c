/* SPDX-License-Identifier: MIT */
/* The promotion gate's measurements: a holdout scored, an evaluation read. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amlr/rrs.h"
#include "gate.h"
#include "learn.h"
#include "out.h"

/* Rows per scoring request: small enough for any endpoint's body limit. */
#define CHUNK_ROWS 500

void cli_holdout_release(struct cli_holdout *h)
{
	size_t i;

	amlr_json_free(h->names);
	amlr_json_free(h->rows);
	for (i = 0; i < h->n; i++)
		free(h->truth[i]);
	free(h->truth);
	memset(h, 0, sizeof(*h));
}

/* Append the fields of a record but column @p skip as strings. */
static amlr_code add_row(amlr_json *to, const char *const *f, size_t n,
			 size_t skip)
{
	amlr_json *row = NULL, *cell;
	amlr_code rc;
	size_t i;

	if ((rc = amlr_json_new_array(&row)) != AMLR_OK)
		return rc;
	for (i = 0; i < n && rc == AMLR_OK; i++) {
		if (i == skip)
			continue;
		if ((rc = amlr_json_new_string(&cell, f[i])) == AMLR_OK)
			rc = amlr_json_append(row, cell);
	}
	if (rc == AMLR_OK)
		return amlr_json_append(to, row);
	amlr_json_free(row);
	return rc;
}

int cli_holdout_load(struct cli_holdout *out, struct cli_ctx *ctx,
		     const char *path, const char *label)
{
	char err[LEARN_ERR_SIZE] = "";
	const char *const *f;
	learn_csv *csv = NULL;
	size_t cols, label_at, cap = 0;
	char **grown;
	FILE *in;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!(in = fopen(path, "r")))
		return cli_failf(ctx, AMLR_EINVAL, "cannot read holdout '%s'",
				 path);
	if (learn_csv_open(&csv, in, err) != LEARN_OK) {
		rc = cli_failf(ctx, AMLR_EINVAL, "holdout '%s': %s", path, err);
		goto done;
	}
	cols = learn_csv_columns(csv);
	for (label_at = 0; label_at < cols; label_at++)
		if (!strcmp(learn_csv_header(csv)[label_at], label))
			break;
	if (label_at == cols) {
		rc = cli_failf(ctx, AMLR_EINVAL,
			       "holdout '%s' has no label column '%s'", path,
			       label);
		goto done;
	}
	if (amlr_json_new_array(&out->names) != AMLR_OK ||
	    amlr_json_new_array(&out->rows) != AMLR_OK ||
	    add_row(out->names, learn_csv_header(csv), cols, label_at) !=
		    AMLR_OK)
		goto nomem;
	/* the names were added as a row: take them out of it */
	{
		amlr_json *names = amlr_json_ref(amlr_json_at(out->names, 0));

		amlr_json_free(out->names);
		out->names = names;
	}
	for (;;) {
		if (learn_csv_next(&f, csv, err) != LEARN_OK) {
			rc = cli_failf(ctx, AMLR_EINVAL, "holdout '%s': %s",
				       path, err);
			goto done;
		}
		if (!f)
			break;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 256;
			if (!(grown = realloc(out->truth,
					      cap * sizeof(*out->truth))))
				goto nomem;
			out->truth = grown;
		}
		if (!(out->truth[out->n] = strdup(f[label_at])))
			goto nomem;
		out->n++;
		if (add_row(out->rows, f, cols, label_at) != AMLR_OK)
			goto nomem;
	}
	if (!out->n)
		rc = cli_failf(ctx, AMLR_EINVAL, "holdout '%s' has no rows",
			       path);
	goto done;
nomem:
	rc = cli_failf(ctx, AMLR_EFAIL, "out of memory reading the holdout");
done:
	learn_csv_free(csv);
	fclose(in);
	if (rc)
		cli_holdout_release(out);
	return rc;
}

/* The column named @p name of a details-format output, or -1. */
static long column_of(const amlr_json *names, const char *name)
{
	size_t i;

	for (i = 0; i < amlr_json_len(names); i++)
		if (amlr_json_str(amlr_json_at(names, i)) &&
		    !strcmp(amlr_json_str(amlr_json_at(names, i)), name))
			return (long)i;
	return -1;
}

static double cell_number(const amlr_json *row, long col)
{
	const amlr_json *v = amlr_json_at(row, (size_t)col);
	const char *s = amlr_json_str(v);
	double d;
	char *end;

	if (amlr_json_number(&d, v))
		return d;
	if (!s)
		return NAN;
	d = strtod(s, &end);
	return end == s || *end ? NAN : d;
}

static double metric_of(const learn_metrics *m, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} at[] = {
		{ "AUC", offsetof(learn_metrics, auc) },
		{ "Accuracy", offsetof(learn_metrics, accuracy) },
		{ "Precision", offsetof(learn_metrics, precision) },
		{ "Recall", offsetof(learn_metrics, recall) },
		{ "F1 Score", offsetof(learn_metrics, f1) },
		{ "Average Log Loss", offsetof(learn_metrics, log_loss) },
		{ "Mean Absolute Error", offsetof(learn_metrics, mae) },
		{ "Root Mean Squared Error", offsetof(learn_metrics, rmse) },
		{ "Relative Absolute Error", offsetof(learn_metrics, rae) },
		{ "Relative Squared Error", offsetof(learn_metrics, rse) },
		{ "Coefficient of Determination", offsetof(learn_metrics, r2) },
	};
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (!strcmp(at[i].name, name))
			return *(const double *)(const void *)((const char *)m +
							       at[i].off);
	return NAN;
}

/*
 * Feed one scored chunk (rows [first, first + n) of @p h) to the
 * accumulator, made on the first chunk once the output tells the kind.
 */
static int feed(learn_eval **e, char **positive, struct cli_ctx *ctx,
		const amlr_json *reply, const struct cli_holdout *h,
		size_t first, const amlr_plan_gate *gate)
{
	const amlr_json *results = amlr_json_get(reply, "Results");
	const amlr_json *value, *names, *rows, *row;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	char err[LEARN_ERR_SIZE] = "";
	const char *out_name, *label;
	amlr_json *out;
	long lab, prob;
	double p, truth;
	size_t i;

	if (!amlr_json_next(&out_name, &out, results, &it) ||
	    !(value = amlr_json_get(out, "value")) ||
	    !(names = amlr_json_get(value, "ColumnNames")) ||
	    !(rows = amlr_json_get(value, "Values")))
		return cli_failf(ctx, AMLR_ESERVER,
				 "the scoring reply has no Results table");
	lab = column_of(names, "Scored Labels");
	prob = column_of(names, "Scored Probabilities");
	if (lab < 0)
		return cli_failf(ctx, AMLR_ESERVER,
				 "the scoring reply has no 'Scored Labels' "
				 "column: is this a predictive service?");
	if (amlr_json_len(rows) > h->n - first)
		return cli_failf(ctx, AMLR_ESERVER,
				 "the scoring reply has more rows than sent");
	if (!*e && learn_eval_new(e,
				  prob >= 0 ? LEARN_LOGISTIC_REGRESSION
					    : LEARN_LINEAR_REGRESSION,
				  err) != LEARN_OK)
		return cli_failf(ctx, AMLR_EFAIL, "%s", err);
	if (prob >= 0 && !*positive && gate->positive_class &&
	    !(*positive = strdup(gate->positive_class)))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	for (i = 0; prob >= 0 && !*positive && i < amlr_json_len(rows); i++) {
		row = amlr_json_at(rows, i);
		label = amlr_json_str(amlr_json_at(row, (size_t)lab));
		if (label && cell_number(row, prob) >= 0.5 &&
		    !(*positive = strdup(label)))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	}
	for (i = 0; i < amlr_json_len(rows); i++) {
		row = amlr_json_at(rows, i);
		if (prob >= 0) {
			p = cell_number(row, prob);
			truth = *positive &&
				!strcmp(h->truth[first + i], *positive);
		} else {
			p = cell_number(row, lab);
			truth = strtod(h->truth[first + i], NULL);
		}
		if (isnan(p))
			return cli_failf(ctx, AMLR_ESERVER,
					 "row %zu of the scoring reply has no "
					 "number where one is expected",
					 first + i + 1);
		if (learn_eval_add(*e, truth, p, err) != LEARN_OK)
			return cli_failf(ctx, AMLR_ESERVER, "row %zu: %s",
					 first + i + 1, err);
	}
	return 0;
}

int cli_gate_measure(double *value, struct cli_ctx *ctx,
		     const char *api_location, const char *api_key,
		     const amlr_plan_gate *gate, const struct cli_holdout *h)
{
	amlr_error aerr = AMLR_ERROR_INIT;
	char err[LEARN_ERR_SIZE] = "";
	amlr_client *client = cli_client(ctx);
	amlr_json *chunk = NULL, *req = NULL, *reply = NULL;
	learn_eval *e = NULL;
	learn_metrics m;
	char *positive = NULL;
	amlr_rrs *rrs = NULL;
	size_t first, i;
	amlr_code ac;
	int rc = 0;

	*value = NAN;
	if (!client)
		return AMLR_EFAIL;
	if ((ac = amlr_rrs_new(&rrs, client, api_location, api_key)) !=
	    AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(client));
		goto done;
	}
	for (first = 0; first < h->n && !rc; first += CHUNK_ROWS) {
		amlr_json_free(chunk);
		amlr_json_free(req);
		amlr_json_free(reply);
		chunk = req = reply = NULL;
		if (amlr_json_new_array(&chunk) != AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			break;
		}
		for (i = first; i < h->n && i < first + CHUNK_ROWS; i++)
			if (amlr_json_append(chunk, amlr_json_ref(amlr_json_at(
							    h->rows, i))) !=
			    AMLR_OK)
				rc = cli_failf(ctx, AMLR_EFAIL,
					       "out of memory");
		if (rc)
			break;
		if (amlr_rrs_request_from_rows(&req, &aerr, AMLR_RRS_DETAILS,
					       "input1", h->names,
					       chunk) != AMLR_OK) {
			rc = cli_fail(ctx, &aerr);
			break;
		}
		if (amlr_rrs_execute(&reply, rrs, AMLR_RRS_DETAILS, req) !=
		    AMLR_OK) {
			rc = cli_fail(ctx, amlr_client_error(client));
			break;
		}
		rc = feed(&e, &positive, ctx, reply, h, first, gate);
	}
	if (!rc && learn_eval_finish(&m, e, err) != LEARN_OK)
		rc = cli_failf(ctx, AMLR_ESERVER, "holdout metrics: %s", err);
	if (!rc)
		*value = metric_of(&m, gate->metric);
done:
	free(positive);
	learn_eval_free(e);
	amlr_json_free(chunk);
	amlr_json_free(req);
	amlr_json_free(reply);
	amlr_rrs_free(rrs);
	return rc;
}

int cli_gate_evaluation(amlr_json *into, struct cli_ctx *ctx, const char *csv,
			size_t len)
{
	char err[LEARN_ERR_SIZE] = "";
	const char *const *f = NULL;
	learn_csv *r = NULL;
	amlr_json *n;
	double d;
	char *end;
	FILE *in;
	size_t i;
	int rc = 0;

	if (!(in = fmemopen((void *)csv, len, "r")))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	if (learn_csv_open(&r, in, err) != LEARN_OK ||
	    learn_csv_next(&f, r, err) != LEARN_OK || !f) {
		rc = cli_failf(ctx, AMLR_ESERVER,
			       "the job's evaluation is not a result of "
			       "Evaluate Model: %s",
			       *err ? err : "no row");
		goto done;
	}
	for (i = 0; i < learn_csv_columns(r) && !rc; i++) {
		d = strtod(f[i], &end);
		n = NULL;
		if (end != f[i] && !*end && isfinite(d) &&
		    amlr_json_new_double(&n, d) != AMLR_OK)
			n = NULL;
		if (amlr_json_set(into, learn_csv_header(r)[i], n) != AMLR_OK)
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
	}
done:
	learn_csv_free(r);
	fclose(in);
	return rc;
}

double cli_gate_metric(const amlr_json *evaluation, const char *name)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *v;
	double d;

	while (amlr_json_next(&key, &v, evaluation, &it))
		if (!strcasecmp(key, name) && amlr_json_number(&d, v))
			return d;
	return NAN;
}
