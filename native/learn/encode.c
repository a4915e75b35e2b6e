/* SPDX-License-Identifier: MIT */
/* Features of a row as the model sees them: one-hot, standardised. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn_internal.h"

learn_code learn_encode_bind(size_t *cols, const struct learn_model *m,
			     const char *const *names, size_t n, char *err)
{
	const char *s;
	size_t i, c, len;
	int found;

	for (i = 0; i < m->n_features; i++) {
		found = 0;
		for (c = 0; c < n; c++) {
			s = learn_value_trim(names[c], &len);
			if (learn_value_cmp(s, len, m->features[i].name))
				continue;
			if (found) {
				learn_err_set(
					err,
					"column '%s' appears twice in the input",
					m->features[i].name);
				return LEARN_EDATA;
			}
			cols[i] = c;
			found = 1;
		}
		if (!found) {
			learn_err_set(
				err,
				"the input has no column '%s' (a feature of the model)",
				m->features[i].name);
			return LEARN_EDATA;
		}
	}
	return LEARN_OK;
}

learn_code learn_encode_alloc(struct learn_sparse *x,
			      const struct learn_model *m)
{
	size_t n = m->n_features ? m->n_features : 1;

	x->n = 0;
	x->idx = malloc(n * sizeof(*x->idx));
	x->val = malloc(n * sizeof(*x->val));
	if (!x->idx || !x->val) {
		learn_encode_release(x);
		return LEARN_ENOMEM;
	}
	return LEARN_OK;
}

void learn_encode_release(struct learn_sparse *x)
{
	free(x->idx);
	free(x->val);
	x->idx = NULL;
	x->val = NULL;
	x->n = 0;
}

int learn_encode_level(const struct learn_feature *f, const char *s, size_t len)
{
	size_t lo = 0, hi = f->n_levels, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = learn_value_cmp(s, len, f->levels[mid]);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void push(struct learn_sparse *x, size_t i, double v)
{
	x->idx[x->n] = (uint32_t)i;
	x->val[x->n] = v;
	x->n++;
}

learn_code learn_encode_row(struct learn_sparse *x, const struct learn_model *m,
			    const size_t *cols, const char *const *fields,
			    unsigned long line, char *err)
{
	const struct learn_feature *f;
	const char *s;
	size_t i, len;
	double v;
	int k;

	x->n = 0;
	for (i = 0; i < m->n_features; i++) {
		f = &m->features[i];
		s = learn_value_trim(fields[cols[i]], &len);
		if (f->type == LEARN_TYPE_NUMERIC) {
			if (learn_value_missing(s, len)) {
				v = f->impute;
			} else if (!learn_value_number(&v, s, len)) {
				if (line)
					learn_err_set(
						err,
						"line %lu: column '%s': '%.*s' is not a number",
						line, f->name,
						(int)(len > 64 ? 64 : len), s);
				else
					learn_err_set(
						err,
						"column '%s': '%.*s' is not a number",
						f->name,
						(int)(len > 64 ? 64 : len), s);
				return LEARN_EDATA;
			}
			push(x, f->offset, (v - f->center) / f->scale);
			continue;
		}
		if (learn_value_missing(s, len)) {
			if (f->has_missing)
				push(x, f->offset + f->width - 1, 1.0);
			continue;
		}
		if ((k = learn_encode_level(f, s, len)) >= 0)
			push(x, f->offset + (size_t)k, 1.0);
		else if (f->has_other)
			push(x, f->offset + f->n_levels, 1.0);
	}
	return LEARN_OK;
}

double learn_encode_dot(const struct learn_model *m,
			const struct learn_sparse *x)
{
	double z = m->bias;
	size_t i;

	for (i = 0; i < x->n; i++)
		z += m->weights[x->idx[i]] * x->val[i];
	return z;
}

void learn_encode_predict(learn_prediction *out, const struct learn_model *m,
			  double z)
{
	double e;

	if (m->algorithm != LEARN_LOGISTIC_REGRESSION) {
		out->label = NULL;
		out->probability = NAN;
		out->value = z;
		return;
	}
	/* exp() of a non-positive number only: no overflow */
	if (z >= 0) {
		out->probability = 1.0 / (1.0 + exp(-z));
	} else {
		e = exp(z);
		out->probability = e / (1.0 + e);
	}
	out->value = out->probability;
	out->label = m->classes[out->probability >= LEARN_THRESHOLD ? 1 : 0];
}

int learn_encode_class(const struct learn_model *m, const char *s, size_t len)
{
	if (!learn_value_cmp(s, len, m->classes[1]))
		return 1;
	if (!learn_value_cmp(s, len, m->classes[0]))
		return 0;
	return -1;
}
