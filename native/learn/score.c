/* SPDX-License-Identifier: MIT */
/* Score Model: predictions for rows and for whole CSV files. */
#include <stdlib.h>
#include <string.h>

#include "learn_internal.h"

learn_code learn_score_row(learn_prediction *out, const learn_model *m,
			   const char *const *names, const char *const *values,
			   size_t n, char *err)
{
	struct learn_sparse x = { 0, NULL, NULL };
	size_t *cols = NULL;
	learn_code rc = LEARN_ENOMEM;

	if (err)
		err[0] = '\0';
	if (!(cols = calloc(m->n_features ? m->n_features : 1,
			    sizeof(*cols))) ||
	    learn_encode_alloc(&x, m) != LEARN_OK) {
		learn_err_set(err, "out of memory");
		goto done;
	}
	if ((rc = learn_encode_bind(cols, m, names, n, err)) != LEARN_OK ||
	    (rc = learn_encode_row(&x, m, cols, values, 0, err)) != LEARN_OK)
		goto done;
	learn_encode_predict(out, m, learn_encode_dot(m, &x));
done:
	learn_encode_release(&x);
	free(cols);
	return rc;
}

learn_code learn_score_csv(FILE *out, const learn_model *m, FILE *in, char *err)
{
	struct learn_sparse x = { 0, NULL, NULL };
	const char *const *f;
	const char **row = NULL;
	learn_csv *csv = NULL;
	learn_prediction p;
	size_t *cols = NULL, n, extra;
	char label[32], prob[32];
	learn_code rc;

	if (err)
		err[0] = '\0';
	if ((rc = learn_csv_open(&csv, in, err)) != LEARN_OK)
		goto done;
	n = learn_csv_columns(csv);
	extra = m->algorithm == LEARN_LOGISTIC_REGRESSION ? 2 : 1;
	rc = LEARN_ENOMEM;
	if (!(cols = calloc(m->n_features ? m->n_features : 1,
			    sizeof(*cols))) ||
	    !(row = calloc(n + 2, sizeof(*row))) ||
	    learn_encode_alloc(&x, m) != LEARN_OK) {
		learn_err_set(err, "out of memory");
		goto done;
	}
	if ((rc = learn_encode_bind(cols, m, learn_csv_header(csv), n, err)))
		goto done;
	memcpy(row, learn_csv_header(csv), n * sizeof(*row));
	row[n] = "Scored Labels";
	row[n + 1] = "Scored Probabilities";
	if ((rc = learn_csv_write_row(out, row, n + extra, err)) != LEARN_OK)
		goto done;
	for (;;) {
		if ((rc = learn_csv_next(&f, csv, err)) != LEARN_OK || !f)
			goto done;
		if ((rc = learn_encode_row(&x, m, cols, f, learn_csv_line(csv),
					   err)) != LEARN_OK)
			goto done;
		learn_encode_predict(&p, m, learn_encode_dot(m, &x));
		memcpy(row, f, n * sizeof(*row));
		if (m->algorithm == LEARN_LOGISTIC_REGRESSION) {
			row[n] = p.label;
			row[n + 1] = learn_format_double(prob, sizeof(prob),
							 p.probability);
		} else {
			row[n] = learn_format_double(label, sizeof(label),
						     p.value);
		}
		if ((rc = learn_csv_write_row(out, row, n + extra, err)))
			goto done;
	}
done:
	learn_encode_release(&x);
	free(cols);
	free(row);
	learn_csv_free(csv);
	return rc;
}
