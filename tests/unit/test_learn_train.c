/* SPDX-License-Identifier: MIT */
/* learn/ training against closed forms and independent reference solvers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "learn.h"

#define MAXP 8

/* A small deterministic generator (the tests' own, not the library's). */
static uint64_t lcg_state;

static double lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
	return (double)(lcg_state >> 11) * 0x1.0p-53;
}

static learn_model *train_text(const char *csv, const learn_train_opts *o)
{
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	learn_code rc = learn_train_mem(&m, csv, strlen(csv), o, err);

	if (rc != LEARN_OK)
		fail_msg("training failed: %s", err);
	return m;
}

static learn_code train_fails(const char *csv, const learn_train_opts *o,
			      char *err)
{
	learn_model *m = NULL;
	learn_code rc = learn_train_mem(&m, csv, strlen(csv), o, err);

	assert_null(m);
	return rc;
}

static char *model_text(const learn_model *m)
{
	char err[LEARN_ERR_SIZE];
	char *s = NULL;
	size_t len;

	assert_int_equal(learn_model_save(&s, &len, m, err), LEARN_OK);
	assert_int_equal(strlen(s), len);
	return s;
}

static double coef(const learn_model *m, const char *col, const char *level)
{
	char err[LEARN_ERR_SIZE];
	double v = NAN;

	if (learn_model_coef(&v, m, col, level, err) != LEARN_OK)
		fail_msg("coef: %s", err);
	return v;
}

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want))))
		fail_msg("got %.17g, want %.17g (tolerance %g)", got, want,
			 tol);
}

/* Solve a 3x3 system by Cramer's rule (independent of learn's Cholesky). */
static double det3(double a[3][3])
{
	return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
	       a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
	       a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

static void cramer3(double x[3], double a[3][3], const double b[3])
{
	double d = det3(a), t[3][3];
	int i, j, k;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++)
				t[i][j] = j == k ? b[i] : a[i][j];
		x[k] = det3(t) / d;
	}
}

/* --- linear regression --------------------------------------------------- */

static const double lx[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const double lx2[10] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3 };
static const double ly[10] = { 5.1,  6.9,  9.2,	 10.8, 13.1,
			       15.2, 16.8, 19.1, 20.9, 23.2 };

static char *linear_csv(int two)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int i;

	assert_non_null(f);
	fputs(two ? "x,x2,y\n" : "x,y\n", f);
	for (i = 0; i < 10; i++) {
		if (two)
			fprintf(f, "%.17g,%.17g,%.17g\n", lx[i], lx2[i], ly[i]);
		else
			fprintf(f, "%.17g,%.17g\n", lx[i], ly[i]);
	}
	fclose(f);
	return buf;
}

static void test_learn_train__linear_simple_least_squares(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	double mx = 0, my = 0, sxy = 0, sxx = 0, b, a;
	char *csv = linear_csv(0);
	learn_model *m;
	int i;

	(void)state;
	/* the textbook closed form: b = Sxy / Sxx, a = mean(y) - b mean(x) */
	for (i = 0; i < 10; i++) {
		mx += lx[i] / 10;
		my += ly[i] / 10;
	}
	for (i = 0; i < 10; i++) {
		sxy += (lx[i] - mx) * (ly[i] - my);
		sxx += (lx[i] - mx) * (lx[i] - mx);
	}
	b = sxy / sxx;
	a = my - b * mx;
	o.algorithm = LEARN_LINEAR_REGRESSION;
	o.label = "y";
	o.l2 = 0;
	m = train_text(csv, &o);
	assert_close(coef(m, "x", NULL), b, 1e-12);
	assert_close(learn_model_intercept(m), a, 1e-12);
	assert_int_equal(learn_model_rows(m), 10);
	assert_int_equal(learn_model_iterations(m), 0);
	learn_model_free(m);
	free(csv);
}

static void test_learn_train__linear_two_features_normal_equations(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	double a[3][3] = { { 0 } }, r[3] = { 0 }, beta[3], v[3];
	char *csv = linear_csv(1);
	learn_model *m;
	int i, j, k;

	(void)state;
	/* X'X beta = X'y in the data's own units, X = [1 x x2] */
	for (i = 0; i < 10; i++) {
		v[0] = 1;
		v[1] = lx[i];
		v[2] = lx2[i];
		for (j = 0; j < 3; j++) {
			r[j] += v[j] * ly[i];
			for (k = 0; k < 3; k++)
				a[j][k] += v[j] * v[k];
		}
	}
	cramer3(beta, a, r);
	o.algorithm = LEARN_LINEAR_REGRESSION;
	o.label = "y";
	o.l2 = 0;
	m = train_text(csv, &o);
	assert_close(learn_model_intercept(m), beta[0], 1e-10);
	assert_close(coef(m, "x", NULL), beta[1], 1e-10);
	assert_close(coef(m, "x2", NULL), beta[2], 1e-10);
	learn_model_free(m);
	free(csv);
}

/*
 * Ridge: the penalty applies to the weights of the standardised features
 * (population standard deviation), not to the bias; docs/ilearner-format.md.
 */
static void test_learn_train__linear_ridge_on_standardised(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	double mean[2] = { 0 }, sd[2] = { 0 }, z[2], a[3][3] = { { 0 } };
	double r[3] = { 0 }, t[3], lambda = 2.5, v[3];
	const double *cols[2] = { lx, lx2 };
	char *csv = linear_csv(1);
	learn_model *m;
	int i, j, k;

	(void)state;
	for (j = 0; j < 2; j++) {
		for (i = 0; i < 10; i++)
			mean[j] += cols[j][i] / 10;
		for (i = 0; i < 10; i++)
			sd[j] += (cols[j][i] - mean[j]) *
				 (cols[j][i] - mean[j]) / 10;
		sd[j] = sqrt(sd[j]);
	}
	for (i = 0; i < 10; i++) {
		for (j = 0; j < 2; j++)
			z[j] = (cols[j][i] - mean[j]) / sd[j];
		v[0] = 1;
		v[1] = z[0];
		v[2] = z[1];
		for (j = 0; j < 3; j++) {
			r[j] += v[j] * ly[i];
			for (k = 0; k < 3; k++)
				a[j][k] += v[j] * v[k];
		}
	}
	a[1][1] += lambda;
	a[2][2] += lambda;
	cramer3(t, a, r);
	o.algorithm = LEARN_LINEAR_REGRESSION;
	o.label = "y";
	o.l2 = lambda;
	m = train_text(csv, &o);
	assert_close(coef(m, "x", NULL), t[1] / sd[0], 1e-10);
	assert_close(coef(m, "x2", NULL), t[2] / sd[1], 1e-10);
	assert_close(learn_model_intercept(m),
		     t[0] - t[1] * mean[0] / sd[0] - t[2] * mean[1] / sd[1],
		     1e-10);
	learn_model_free(m);
	free(csv);
}

static void test_learn_train__linear_singular_without_l2(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];

	(void)state;
	o.algorithm = LEARN_LINEAR_REGRESSION;
	o.label = "y";
	o.l2 = 0;
	/* b is a copy of a: collinear */
	assert_int_equal(train_fails("a,b,y\n1,1,2\n2,2,4\n3,3,7\n", &o, err),
			 LEARN_ENUMERIC);
	assert_non_null(strstr(err, "singular"));
	/* a small L2 (the default 0.001) makes it solvable */
	o.l2 = -1;
	learn_model_free(train_text("a,b,y\n1,1,2\n2,2,4\n3,3,7\n", &o));
}

static void test_learn_train__linear_label_must_be_numeric(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];

	(void)state;
	o.algorithm = LEARN_LINEAR_REGRESSION;
	o.label = "y";
	assert_int_equal(train_fails("x,y\n1,2\n2,high\n", &o, err),
			 LEARN_EDATA);
	assert_string_equal(err, "line 3: label 'y': 'high' is not a number");
}

/* --- logistic regression ------------------------------------------------- */

/*
 * Rows for logistic tests: numeric u, v, a categorical c in {"p", "q",
 * "r"}, a label in {"no", "yes"}.  The same rows as arrays for the
 * reference solver.
 */
struct logit_data {
	int n;
	double u[400], v[400];
	int c[400];
	int y[400];
};

static const char *const clevels[3] = { "p", "q", "r" };

static char *logit_csv(const struct logit_data *d)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int i;

	assert_non_null(f);
	fputs("u,c,label,v\n", f);
	for (i = 0; i < d->n; i++)
		fprintf(f, "%.17g,%s,%s,%.17g\n", d->u[i], clevels[d->c[i]],
			d->y[i] ? "yes" : "no", d->v[i]);
	fclose(f);
	return buf;
}

/*
 * The reference: plain gradient descent on the same objective, sum of
 * log-losses + lambda/2 |w|^2 over standardised u, v and the one-hot c
 * (bias not penalised), run long with a safe step.  Returns the weights
 * in the data's units: [intercept, u, v, c=p, c=q, c=r].
 */
static void logit_reference(double out[6], const struct logit_data *d,
			    double lambda)
{
	double mu = 0, su = 0, mv = 0, sv = 0, w[6] = { 0 }, g[6], x[6];
	double z, p, step, lip;
	int i, j, it;

	for (i = 0; i < d->n; i++) {
		mu += d->u[i] / d->n;
		mv += d->v[i] / d->n;
	}
	for (i = 0; i < d->n; i++) {
		su += (d->u[i] - mu) * (d->u[i] - mu) / d->n;
		sv += (d->v[i] - mv) * (d->v[i] - mv) / d->n;
	}
	su = sqrt(su);
	sv = sqrt(sv);
	/* a Lipschitz bound of the gradient: sum |x_i|^2 / 4 + lambda */
	lip = lambda;
	for (i = 0; i < d->n; i++)
		lip += (1 + pow((d->u[i] - mu) / su, 2) +
			pow((d->v[i] - mv) / sv, 2) + 1) /
		       4;
	step = 1 / lip;
	for (it = 0; it < 40000; it++) {
		memset(g, 0, sizeof(g));
		for (i = 0; i < d->n; i++) {
			x[0] = 1;
			x[1] = (d->u[i] - mu) / su;
			x[2] = (d->v[i] - mv) / sv;
			x[3] = d->c[i] == 0;
			x[4] = d->c[i] == 1;
			x[5] = d->c[i] == 2;
			for (z = 0, j = 0; j < 6; j++)
				z += w[j] * x[j];
			p = 1 / (1 + exp(-z));
			for (j = 0; j < 6; j++)
				g[j] += (p - d->y[i]) * x[j];
		}
		for (j = 1; j < 6; j++)
			g[j] += lambda * w[j];
		for (j = 0; j < 6; j++)
			w[j] -= step * g[j];
	}
	out[1] = w[1] / su;
	out[2] = w[2] / sv;
	out[3] = w[3];
	out[4] = w[4];
	out[5] = w[5];
	out[0] = w[0] - w[1] * mu / su - w[2] * mv / sv;
}

static void check_against_reference(const struct logit_data *d, double l2)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char *csv = logit_csv(d);
	double ref[6];
	learn_model *m;
	int i;

	logit_reference(ref, d, l2);
	o.label = "label";
	o.l2 = l2;
	o.tolerance = 1e-14;
	m = train_text(csv, &o);
	assert_true(learn_model_converged(m));
	assert_true(learn_model_iterations(m) < 30);
	assert_string_equal(learn_model_class(m, 1), "yes");
	assert_string_equal(learn_model_class(m, 0), "no");
	assert_close(learn_model_intercept(m), ref[0], 1e-6);
	assert_close(coef(m, "u", NULL), ref[1], 1e-6);
	assert_close(coef(m, "v", NULL), ref[2], 1e-6);
	for (i = 0; i < 3; i++)
		assert_close(coef(m, "c", clevels[i]), ref[3 + i], 1e-6);
	learn_model_free(m);
	free(csv);
}

static void test_learn_train__logistic_noisy_matches_reference(void **state)
{
	static struct logit_data d;
	double z;
	int i;

	(void)state;
	lcg_state = 42;
	d.n = 300;
	for (i = 0; i < d.n; i++) {
		d.u[i] = 20 + 10 * lcg();
		d.v[i] = lcg() * 1000;
		d.c[i] = (int)(lcg() * 3);
		z = 0.4 * (d.u[i] - 25) - 0.002 * (d.v[i] - 500) +
		    (d.c[i] == 2 ? 1 : 0);
		d.y[i] = lcg() < 1 / (1 + exp(-z));
	}
	check_against_reference(&d, 1.0);
}

/* Separable data: without L2 the weights would grow for ever. */
static void test_learn_train__logistic_separable_converges(void **state)
{
	static struct logit_data d;
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	const char *names[3] = { "u", "v", "c" };
	const char *values[3];
	char ubuf[32], vbuf[32];
	learn_prediction p;
	learn_model *m;
	char *csv;
	int i;

	(void)state;
	lcg_state = 7;
	d.n = 120;
	for (i = 0; i < d.n; i++) {
		d.y[i] = i % 2;
		d.u[i] = d.y[i] ? 1 + lcg() : -1 - lcg();
		d.v[i] = lcg();
		d.c[i] = i % 3;
	}
	check_against_reference(&d, 1.0);
	/* a small L2 still converges, and separates the training rows */
	csv = logit_csv(&d);
	o.label = "label";
	o.l2 = 1e-3;
	m = train_text(csv, &o);
	assert_true(learn_model_converged(m));
	for (i = 0; i < d.n; i++) {
		snprintf(ubuf, sizeof(ubuf), "%.17g", d.u[i]);
		snprintf(vbuf, sizeof(vbuf), "%.17g", d.v[i]);
		values[0] = ubuf;
		values[1] = vbuf;
		values[2] = clevels[d.c[i]];
		assert_int_equal(learn_score_row(&p, m, names, values, 3, err),
				 LEARN_OK);
		assert_string_equal(p.label, d.y[i] ? "yes" : "no");
	}
	learn_model_free(m);
	free(csv);
}

static void test_learn_train__positive_class(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	learn_model *m;
	double w;

	(void)state;
	o.label = "income";
	o.tolerance = 1e-12;
	/* the larger value, bytewise: ">50K" > "<=50K" */
	m = train_text("x,income\n1,<=50K\n2,>50K\n3,>50K\n0,<=50K\n", &o);
	assert_string_equal(learn_model_class(m, 1), ">50K");
	assert_string_equal(learn_model_class(m, 0), "<=50K");
	w = coef(m, "x", NULL);
	assert_true(w > 0);
	learn_model_free(m);
	/* named explicitly: the coefficient changes sign */
	o.positive_class = "<=50K";
	m = train_text("x,income\n1,<=50K\n2,>50K\n3,>50K\n0,<=50K\n", &o);
	assert_string_equal(learn_model_class(m, 1), "<=50K");
	assert_close(coef(m, "x", NULL), -w, 1e-9);
	learn_model_free(m);
	/* numbers compare as numbers: 10 > 9 although "10" < "9" */
	o.positive_class = NULL;
	o.label = "y";
	m = train_text("x,y\n1,9\n2,10\n", &o);
	assert_string_equal(learn_model_class(m, 1), "10");
	learn_model_free(m);
}

static void test_learn_train__label_classes_checked(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];

	(void)state;
	o.label = "y";
	assert_int_equal(train_fails("x,y\n1,a\n2,a\n", &o, err), LEARN_EDATA);
	assert_string_equal(err, "label 'y' has one class only ('a'): "
				 "two-class logistic regression needs two");
	assert_int_equal(train_fails("x,y\n1,a\n2,b\n3,a\n4,c\n", &o, err),
			 LEARN_EDATA);
	assert_string_equal(err, "line 5: label 'y' has a third class 'c' "
				 "(two-class logistic regression: 'a', 'b' "
				 "so far)");
	o.positive_class = "z";
	assert_int_equal(train_fails("x,y\n1,a\n2,b\n", &o, err), LEARN_EDATA);
	assert_string_equal(err, "positive class 'z' is not a value of label "
				 "'y' ('a', 'b')");
}

/*
 * Numbers that overflow on the way (tests/fuzz/regressions/csv): refused,
 * not saved as a model with Infinity or NaN that no reader would load.
 */
static void test_learn_train__overflow_refused(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];

	(void)state;
	o.label = "y";
	o.algorithm = LEARN_LINEAR_REGRESSION;
	assert_int_equal(train_fails("y,x1,x2\n1.5,1,0\n2.5,2,1\n3.5,3,0\n"
				     "-0.5,1e-300,1e300\n",
				     &o, err),
			 LEARN_EDATA);
	assert_string_equal(err,
			    "column 'x2': values too large to standardise");
	assert_int_equal(train_fails("y,x\n1e308,1\n1e308,2\n-1e308,3\n"
				     "1e308,4\n",
				     &o, err),
			 LEARN_ENUMERIC);
	assert_string_equal(err, "training diverged");
}

static void test_learn_train__missing_values(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	learn_model *m;
	char *text;

	(void)state;
	o.label = "y";
	/* v: 1, 3, 5 present (mean 3); c: one missing; y: one missing */
	m = train_text("v,c,y\n"
		       "1,a,0\n?,b,1\n3,,0\n,a,1\nNA,?,0\n5,b,1\n7,a,\n",
		       &o);
	assert_int_equal(learn_model_rows(m), 6);
	assert_int_equal(learn_model_rows_skipped(m), 1);
	text = model_text(m);
	assert_non_null(strstr(text, "numeric \"v\" center 3 scale "
				     "1.632993161855452 impute 3 weight "));
	assert_non_null(strstr(text, "categorical \"c\" levels 2 other no "
				     "missing yes\nlevel \"a\" "));
	free(text);
	learn_model_free(m);
	/* ignored rather than a level of their own */
	o.categorical_missing = LEARN_MISSING_ZERO;
	m = train_text("v,c,y\n1,a,0\n?,b,1\n3,,0\n,a,1\nNA,?,0\n5,b,1\n", &o);
	text = model_text(m);
	assert_non_null(strstr(text, "categorical-missing zero\n"));
	assert_non_null(strstr(text, "categorical \"c\" levels 2 other no "
				     "missing no\n"));
	free(text);
	learn_model_free(m);
}

static void test_learn_train__types_inferred_or_declared(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	const learn_column_type types[] = { { "n", LEARN_TYPE_CATEGORICAL } };
	const learn_column_type num[] = { { "w", LEARN_TYPE_NUMERIC } };
	char err[LEARN_ERR_SIZE];
	learn_model *m;
	char *text;

	(void)state;
	o.label = "y";
	/* one word makes a column categorical; blanks around values go */
	m = train_text("n,w,y\n1, 2 ,0\n2,x,1\n10,3,0\n", &o);
	assert_int_equal(learn_model_feature_type(m, 0), LEARN_TYPE_NUMERIC);
	assert_int_equal(learn_model_feature_type(m, 1),
			 LEARN_TYPE_CATEGORICAL);
	text = model_text(m);
	assert_non_null(strstr(text, "categorical \"w\" levels 3 other no "
				     "missing no\nlevel \"2\" "));
	free(text);
	learn_model_free(m);
	/* declared categorical: levels in byte order */
	o.types = types;
	o.n_types = 1;
	m = train_text("n,w,y\n1,2,0\n2,x,1\n10,3,0\n", &o);
	text = model_text(m);
	assert_non_null(strstr(text, "categorical \"n\" levels 3 other no "
				     "missing no\nlevel \"1\" "));
	assert_non_null(strstr(text, "\nlevel \"10\" "));
	assert_true(strstr(text, "\nlevel \"10\" ") <
		    strstr(text, "\nlevel \"2\" "));
	free(text);
	learn_model_free(m);
	/* declared numeric: a word is an error with its line */
	o.types = num;
	assert_int_equal(train_fails("n,w,y\n1,2,0\n2,x,1\n", &o, err),
			 LEARN_EDATA);
	assert_string_equal(err, "line 3: column 'w': 'x' is not a number");
}

static void test_learn_train__levels_capped_into_other(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	learn_model *m;
	char *text;
	double w;

	(void)state;
	o.label = "y";
	o.max_levels = 2;
	/* counts: d 4, b 3, a 2, c 1; ties none: keep d and b, sorted */
	m = train_text("c,y\nd,1\nd,0\nd,1\nd,1\nb,0\nb,0\nb,1\na,1\na,0\n"
		       "c,1\n",
		       &o);
	text = model_text(m);
	assert_non_null(strstr(text, "categorical \"c\" levels 2 other yes "
				     "missing no\nlevel \"b\" "));
	assert_non_null(strstr(text, "\nlevel \"d\" "));
	assert_null(strstr(text, "\nlevel \"a\""));
	free(text);
	/* "other" has a weight of its own */
	w = coef(m, "c", NULL);
	assert_true(isfinite(w));
	learn_model_free(m);
}

static char *census(const char *version, size_t rows, uint64_t seed)
{
	char err[LEARN_ERR_SIZE];
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(learn_census_generate(f, version, rows, seed, err),
			 LEARN_OK);
	fclose(f);
	return buf;
}

static void test_learn_train__deterministic(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char *csv = census("a", 3000, 11), *t1, *t2, *t3;
	learn_model *m;

	(void)state;
	o.label = "income";
	m = train_text(csv, &o);
	t1 = model_text(m);
	learn_model_free(m);
	m = train_text(csv, &o);
	t2 = model_text(m);
	learn_model_free(m);
	/* streaming every pass, without the cache: the same bytes */
	o.cache_bytes = 0;
	m = train_text(csv, &o);
	t3 = model_text(m);
	learn_model_free(m);
	assert_string_equal(t1, t2);
	assert_string_equal(t1, t3);
	/* a cache too small for the data: dropped mid-way, same bytes */
	o.cache_bytes = 100000;
	m = train_text(csv, &o);
	free(t3);
	t3 = model_text(m);
	learn_model_free(m);
	assert_string_equal(t1, t3);
	free(t1);
	free(t2);
	free(t3);
	free(csv);
}

static void test_learn_train__columns_and_options(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	const char *feats[] = { "b" };
	const char *bad[] = { "y" };
	char err[LEARN_ERR_SIZE];
	learn_model *m;

	(void)state;
	assert_int_equal(train_fails("a,y\n1,0\n", &o, err), LEARN_EINVAL);
	assert_string_equal(err, "no label column given");
	o.label = "income";
	assert_int_equal(train_fails("a,y\n1,0\n", &o, err), LEARN_EDATA);
	assert_string_equal(err, "no column 'income' in the header");
	o.label = "y";
	assert_int_equal(train_fails("y\n1\n0\n", &o, err), LEARN_EDATA);
	assert_string_equal(err, "no feature columns besides label 'y'");
	assert_int_equal(train_fails("a,y,a\n1,0,1\n", &o, err), LEARN_EDATA);
	assert_string_equal(err, "column 'a' appears twice in the header");
	assert_int_equal(train_fails("a,y\n", &o, err), LEARN_EDATA);
	assert_string_equal(err, "no rows to train on (0 without a label 'y')");
	assert_int_equal(train_fails("", &o, err), LEARN_ECSV);
	assert_string_equal(err, "line 1: no header row (empty input)");
	assert_int_equal(train_fails("a,y\n1,0\n2,1,3\n", &o, err), LEARN_ECSV);
	assert_string_equal(err, "line 3: 3 fields where the header has 2");
	/* chosen features only, in the given order */
	o.features = feats;
	o.n_features = 1;
	m = train_text("a,b,y\n1,2,0\n2,1,1\n", &o);
	assert_int_equal(learn_model_feature_count(m), 1);
	assert_string_equal(learn_model_feature_name(m, 0), "b");
	learn_model_free(m);
	o.features = bad;
	assert_int_equal(train_fails("a,b,y\n1,2,0\n2,1,1\n", &o, err),
			 LEARN_EINVAL);
	assert_string_equal(err, "column 'y' is the label, not a feature");
	o.features = NULL;
	o.n_features = 0;
	o.tolerance = 0;
	assert_int_equal(train_fails("a,y\n1,0\n", &o, err), LEARN_EINVAL);
	o.tolerance = 1e-7;
	o.algorithm = (learn_algorithm)9;
	assert_int_equal(train_fails("a,y\n1,0\n", &o, err), LEARN_EINVAL);
}

static void test_learn_train__needs_a_seekable_input(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	int fds[2];
	FILE *in;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "a,y\n1,0\n2,1\n", 12), 12);
	close(fds[1]);
	in = fdopen(fds[0], "r");
	assert_non_null(in);
	o.label = "y";
	assert_int_equal(learn_train(&m, in, &o, err), LEARN_EINVAL);
	assert_null(m);
	assert_string_equal(err, "the training input must be seekable (a file "
				 "or a memory stream)");
	fclose(in);
}

/* Training reads from the stream's position: a prefix is not data. */
static void test_learn_train__from_stream_position(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	FILE *in = tmpfile();

	(void)state;
	assert_non_null(in);
	fputs("junk\"line\nx,y\n1,a\n2,b\n3,a\n4,b\n", in);
	fseek(in, 10, SEEK_SET);
	o.label = "y";
	assert_int_equal(learn_train(&m, in, &o, err), LEARN_OK);
	assert_int_equal(learn_model_rows(m), 4);
	learn_model_free(m);
	fclose(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_train__linear_simple_least_squares),
		cmocka_unit_test(
			test_learn_train__linear_two_features_normal_equations),
		cmocka_unit_test(
			test_learn_train__linear_ridge_on_standardised),
		cmocka_unit_test(test_learn_train__linear_singular_without_l2),
		cmocka_unit_test(
			test_learn_train__linear_label_must_be_numeric),
		cmocka_unit_test(
			test_learn_train__logistic_noisy_matches_reference),
		cmocka_unit_test(
			test_learn_train__logistic_separable_converges),
		cmocka_unit_test(test_learn_train__positive_class),
		cmocka_unit_test(test_learn_train__label_classes_checked),
		cmocka_unit_test(test_learn_train__overflow_refused),
		cmocka_unit_test(test_learn_train__missing_values),
		cmocka_unit_test(test_learn_train__types_inferred_or_declared),
		cmocka_unit_test(test_learn_train__levels_capped_into_other),
		cmocka_unit_test(test_learn_train__deterministic),
		cmocka_unit_test(test_learn_train__columns_and_options),
		cmocka_unit_test(test_learn_train__needs_a_seekable_input),
		cmocka_unit_test(test_learn_train__from_stream_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
