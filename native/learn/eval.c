/* SPDX-License-Identifier: MIT */
/* Evaluate Model: binary and regression metrics, written as CSV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn_internal.h"

/* Probabilities are clipped so that one confident mistake stays finite. */
#define LOG_LOSS_EPS 1e-15

struct learn_eval {
	learn_algorithm algorithm;
	size_t n;
	size_t cap;
	double *truth;
	double *score;
};

struct pair {
	double score;
	double truth;
};

learn_code learn_eval_new(learn_eval **out, learn_algorithm algorithm,
			  char *err)
{
	*out = NULL;
	if (err)
		err[0] = '\0';
	if (algorithm != LEARN_LOGISTIC_REGRESSION &&
	    algorithm != LEARN_LINEAR_REGRESSION) {
		learn_err_set(err, "unknown algorithm %d", (int)algorithm);
		return LEARN_EINVAL;
	}
	if (!(*out = calloc(1, sizeof(**out)))) {
		learn_err_set(err, "out of memory");
		return LEARN_ENOMEM;
	}
	(*out)->algorithm = algorithm;
	return LEARN_OK;
}

void learn_eval_free(learn_eval *e)
{
	if (!e)
		return;
	free(e->truth);
	free(e->score);
	free(e);
}

learn_code learn_eval_add(learn_eval *e, double truth, double score, char *err)
{
	double *t, *s;
	size_t cap;

	if (e->algorithm == LEARN_LOGISTIC_REGRESSION) {
		if (truth != 0 && truth != 1) {
			learn_err_set(err, "a two-class truth must be 0 or 1");
			return LEARN_EINVAL;
		}
		if (!(score >= 0 && score <= 1)) {
			learn_err_set(err, "a probability must be in [0, 1]");
			return LEARN_EINVAL;
		}
	} else if (!isfinite(truth) || !isfinite(score)) {
		learn_err_set(err, "values must be finite numbers");
		return LEARN_EINVAL;
	}
	if (e->n == e->cap) {
		cap = e->cap ? e->cap * 2 : 1024;
		if (!(t = realloc(e->truth, cap * sizeof(*t)))) {
			learn_err_set(err, "out of memory");
			return LEARN_ENOMEM;
		}
		e->truth = t;
		if (!(s = realloc(e->score, cap * sizeof(*s)))) {
			learn_err_set(err, "out of memory");
			return LEARN_ENOMEM;
		}
		e->score = s;
		e->cap = cap;
	}
	e->truth[e->n] = truth;
	e->score[e->n] = score;
	e->n++;
	return LEARN_OK;
}

static int by_score(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return (x->score > y->score) - (x->score < y->score);
}

/*
 * AUC as the Mann-Whitney statistic: the probability that a positive
 * scores above a negative, ties counting one half; the same as the
 * trapezoid area under the ROC curve with tied scores as one point.
 */
static learn_code auc(double *out, const learn_eval *e, uint64_t pos, char *err)
{
	struct pair *p;
	size_t i, j, k;
	uint64_t neg = e->n - pos, in_group;
	double ranks = 0;

	if (pos == 0 || neg == 0) {
		*out = NAN;
		return LEARN_OK;
	}
	if (!(p = malloc(e->n * sizeof(*p)))) {
		learn_err_set(err, "out of memory");
		return LEARN_ENOMEM;
	}
	for (i = 0; i < e->n; i++) {
		p[i].score = e->score[i];
		p[i].truth = e->truth[i];
	}
	qsort(p, e->n, sizeof(*p), by_score);
	for (i = 0; i < e->n; i = j) {
		in_group = 0;
		for (j = i; j < e->n && p[j].score == p[i].score; j++)
			;
		for (k = i; k < j; k++)
			in_group += p[k].truth == 1;
		/* ranks i+1 .. j share their average */
		ranks += (double)in_group * ((double)(i + 1) + (double)j) / 2;
	}
	free(p);
	*out = (ranks - (double)pos * ((double)pos + 1) / 2) /
	       ((double)pos * (double)neg);
	return LEARN_OK;
}

static learn_code finish_binary(learn_metrics *mt, const learn_eval *e,
				char *err)
{
	double p, ll = 0;
	uint64_t pos = 0;
	size_t i;

	for (i = 0; i < e->n; i++) {
		p = e->score[i];
		if (e->truth[i] == 1) {
			pos++;
			if (p >= LEARN_THRESHOLD)
				mt->tp++;
			else
				mt->fn++;
			ll -= log(fmax(p, LOG_LOSS_EPS));
		} else {
			if (p >= LEARN_THRESHOLD)
				mt->fp++;
			else
				mt->tn++;
			ll -= log(fmax(1 - p, LOG_LOSS_EPS));
		}
	}
	mt->accuracy = (double)(mt->tp + mt->tn) / (double)e->n;
	mt->precision = mt->tp + mt->fp
				? (double)mt->tp / (double)(mt->tp + mt->fp)
				: 0;
	mt->recall = mt->tp + mt->fn
			     ? (double)mt->tp / (double)(mt->tp + mt->fn)
			     : 0;
	mt->f1 = mt->precision + mt->recall > 0
			 ? 2 * mt->precision * mt->recall /
				   (mt->precision + mt->recall)
			 : 0;
	mt->log_loss = ll / (double)e->n;
	return auc(&mt->auc, e, pos, err);
}

static void finish_regression(learn_metrics *mt, const learn_eval *e)
{
	double mean = 0, ae = 0, se = 0, dev_a = 0, dev_s = 0, r;
	size_t i;

	for (i = 0; i < e->n; i++)
		mean += e->truth[i];
	mean /= (double)e->n;
	for (i = 0; i < e->n; i++) {
		r = e->truth[i] - e->score[i];
		ae += fabs(r);
		se += r * r;
		dev_a += fabs(e->truth[i] - mean);
		dev_s += (e->truth[i] - mean) * (e->truth[i] - mean);
	}
	mt->mae = ae / (double)e->n;
	mt->rmse = sqrt(se / (double)e->n);
	mt->rae = dev_a > 0 ? ae / dev_a : NAN;
	mt->rse = dev_s > 0 ? se / dev_s : NAN;
	mt->r2 = dev_s > 0 ? 1 - se / dev_s : NAN;
}

learn_code learn_eval_finish(learn_metrics *out, learn_eval *e, char *err)
{
	learn_metrics mt;

	if (err)
		err[0] = '\0';
	memset(&mt, 0, sizeof(mt));
	mt.algorithm = e->algorithm;
	mt.rows = e->n;
	mt.accuracy = mt.precision = mt.recall = mt.f1 = mt.auc = NAN;
	mt.log_loss = mt.mae = mt.rmse = mt.rae = mt.rse = mt.r2 = NAN;
	if (e->n == 0) {
		learn_err_set(err, "nothing to evaluate: no rows");
		return LEARN_EDATA;
	}
	if (e->algorithm == LEARN_LOGISTIC_REGRESSION) {
		if (finish_binary(&mt, e, err) != LEARN_OK)
			return LEARN_ENOMEM;
	} else {
		finish_regression(&mt, e);
	}
	*out = mt;
	return LEARN_OK;
}

learn_code learn_evaluate_csv(learn_metrics *out, const learn_model *m,
			      FILE *in, char *err)
{
	struct learn_sparse x = { 0, NULL, NULL };
	const char *const *f;
	learn_csv *csv = NULL;
	learn_eval *e = NULL;
	learn_prediction p;
	size_t *cols = NULL, n, label_col = 0, c, len;
	const char *s;
	double y;
	int cls, found = 0;
	learn_code rc;

	if (err)
		err[0] = '\0';
	if ((rc = learn_eval_new(&e, m->algorithm, err)) != LEARN_OK ||
	    (rc = learn_csv_open(&csv, in, err)) != LEARN_OK)
		goto done;
	n = learn_csv_columns(csv);
	for (c = 0; c < n; c++) {
		s = learn_value_trim(learn_csv_header(csv)[c], &len);
		if (!learn_value_cmp(s, len, m->label)) {
			if (found) {
				learn_err_set(
					err,
					"column '%s' appears twice in the input",
					m->label);
				rc = LEARN_EDATA;
				goto done;
			}
			label_col = c;
			found = 1;
		}
	}
	if (!found) {
		learn_err_set(
			err,
			"the input has no column '%s' (the label of the model)",
			m->label);
		rc = LEARN_EDATA;
		goto done;
	}
	rc = LEARN_ENOMEM;
	if (!(cols = calloc(m->n_features ? m->n_features : 1,
			    sizeof(*cols))) ||
	    learn_encode_alloc(&x, m) != LEARN_OK) {
		learn_err_set(err, "out of memory");
		goto done;
	}
	if ((rc = learn_encode_bind(cols, m, learn_csv_header(csv), n, err)))
		goto done;
	for (;;) {
		if ((rc = learn_csv_next(&f, csv, err)) != LEARN_OK)
			goto done;
		if (!f)
			break;
		s = learn_value_trim(f[label_col], &len);
		if (learn_value_missing(s, len))
			continue;
		if (m->algorithm == LEARN_LOGISTIC_REGRESSION) {
			if ((cls = learn_encode_class(m, s, len)) < 0) {
				learn_err_set(
					err,
					"line %lu: label '%.*s' is not a class of the model ('%s', '%s')",
					learn_csv_line(csv),
					(int)(len > 64 ? 64 : len), s,
					m->classes[0], m->classes[1]);
				rc = LEARN_EDATA;
				goto done;
			}
			y = cls;
		} else if (!learn_value_number(&y, s, len)) {
			learn_err_set(
				err,
				"line %lu: label '%s': '%.*s' is not a number",
				learn_csv_line(csv), m->label,
				(int)(len > 64 ? 64 : len), s);
			rc = LEARN_EDATA;
			goto done;
		}
		if ((rc = learn_encode_row(&x, m, cols, f, learn_csv_line(csv),
					   err)) != LEARN_OK)
			goto done;
		learn_encode_predict(&p, m, learn_encode_dot(m, &x));
		if ((rc = learn_eval_add(e, y, p.value, err)) != LEARN_OK)
			goto done;
	}
	rc = learn_eval_finish(out, e, err);
done:
	learn_encode_release(&x);
	free(cols);
	learn_csv_free(csv);
	learn_eval_free(e);
	return rc;
}

learn_code learn_metrics_write_csv(FILE *out, const learn_metrics *mt,
				   char *err)
{
	static const char *const binary[] = {
		"True Positive", "False Negative",  "False Positive",
		"True Negative", "Threshold",	    "Accuracy",
		"Precision",	 "Recall",	    "F1 Score",
		"AUC",		 "Average Log Loss"
	};
	static const char *const regression[] = {
		"Mean Absolute Error", "Root Mean Squared Error",
		"Relative Absolute Error", "Relative Squared Error",
		"Coefficient of Determination"
	};
	char num[11][32];
	const char *row[11];
	double v[7];
	size_t i;
	learn_code rc;

	if (err)
		err[0] = '\0';
	if (mt->algorithm == LEARN_LOGISTIC_REGRESSION) {
		snprintf(num[0], sizeof(num[0]), "%llu",
			 (unsigned long long)mt->tp);
		snprintf(num[1], sizeof(num[1]), "%llu",
			 (unsigned long long)mt->fn);
		snprintf(num[2], sizeof(num[2]), "%llu",
			 (unsigned long long)mt->fp);
		snprintf(num[3], sizeof(num[3]), "%llu",
			 (unsigned long long)mt->tn);
		v[0] = LEARN_THRESHOLD;
		v[1] = mt->accuracy;
		v[2] = mt->precision;
		v[3] = mt->recall;
		v[4] = mt->f1;
		v[5] = mt->auc;
		v[6] = mt->log_loss;
		for (i = 0; i < 7; i++)
			learn_format_double(num[4 + i], sizeof(num[0]), v[i]);
		for (i = 0; i < 11; i++)
			row[i] = num[i];
		if ((rc = learn_csv_write_row(out, binary, 11, err)))
			return rc;
		return learn_csv_write_row(out, row, 11, err);
	}
	v[0] = mt->mae;
	v[1] = mt->rmse;
	v[2] = mt->rae;
	v[3] = mt->rse;
	v[4] = mt->r2;
	for (i = 0; i < 5; i++)
		row[i] = learn_format_double(num[i], sizeof(num[0]), v[i]);
	if ((rc = learn_csv_write_row(out, regression, 5, err)))
		return rc;
	return learn_csv_write_row(out, row, 5, err);
}
