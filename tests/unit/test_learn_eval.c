/* SPDX-License-Identifier: MIT */
/* Evaluate Model: metrics against hand-computed cases, CSV output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "learn.h"

static void assert_near(double got, double want)
{
	if (!(fabs(got - want) <= 1e-12))
		fail_msg("got %.17g, want %.17g", got, want);
}

static learn_metrics binary(const double *truth, const double *p, size_t n)
{
	char err[LEARN_ERR_SIZE];
	learn_eval *e = NULL;
	learn_metrics mt;
	size_t i;

	assert_int_equal(learn_eval_new(&e, LEARN_LOGISTIC_REGRESSION, err),
			 LEARN_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(learn_eval_add(e, truth[i], p[i], err),
				 LEARN_OK);
	assert_int_equal(learn_eval_finish(&mt, e, err), LEARN_OK);
	learn_eval_free(e);
	return mt;
}

static void test_learn_eval__auc_with_ties(void **state)
{
	/*
	 * Positives 0.9, 0.5, 0.5; negatives 0.5, 0.1.  Of the 6 pairs, 4
	 * rank the positive higher and 2 tie (0.5 vs 0.5): AUC = 5/6.
	 */
	const double t[] = { 1, 0, 1, 0, 1 };
	const double p[] = { 0.9, 0.5, 0.5, 0.1, 0.5 };
	learn_metrics mt = binary(t, p, 5);

	(void)state;
	assert_near(mt.auc, 5.0 / 6);
	assert_int_equal(mt.rows, 5);
}

static void test_learn_eval__auc_extremes(void **state)
{
	const double t[] = { 1, 1, 0, 0 };
	const double good[] = { 0.8, 0.7, 0.3, 0.2 };
	const double bad[] = { 0.2, 0.3, 0.7, 0.8 };
	const double flat[] = { 0.4, 0.4, 0.4, 0.4 };
	const double one_class[] = { 1, 1 };

	(void)state;
	assert_near(binary(t, good, 4).auc, 1);
	assert_near(binary(t, bad, 4).auc, 0);
	assert_near(binary(t, flat, 4).auc, 0.5);
	/* undefined without both classes */
	assert_true(isnan(binary(one_class, good, 2).auc));
}

static void test_learn_eval__counts_and_rates(void **state)
{
	/* threshold 0.5: p >= 0.5 is positive */
	const double t[] = { 1, 1, 1, 0, 0, 0, 0, 1 };
	const double p[] = { 0.9, 0.5, 0.2, 0.6, 0.1, 0.3, 0.49, 0.7 };
	learn_metrics mt = binary(t, p, 8);

	(void)state;
	assert_int_equal(mt.tp, 3); /* 0.9, 0.5, 0.7 */
	assert_int_equal(mt.fn, 1); /* 0.2 */
	assert_int_equal(mt.fp, 1); /* 0.6 */
	assert_int_equal(mt.tn, 3); /* 0.1, 0.3, 0.49 */
	assert_near(mt.accuracy, 6.0 / 8);
	assert_near(mt.precision, 3.0 / 4);
	assert_near(mt.recall, 3.0 / 4);
	assert_near(mt.f1, 3.0 / 4);
	/* pairs: 16; positives above negatives: 0.9 4, 0.7 4, 0.5 3,
	 * 0.2 1 (above 0.1): 12 */
	assert_near(mt.auc, 12.0 / 16);
}

static void test_learn_eval__log_loss(void **state)
{
	const double t[] = { 1, 0 };
	const double p[] = { 0.8, 0.3 };
	const double sure_wrong[] = { 0, 1 };
	learn_metrics mt = binary(t, p, 2);

	(void)state;
	assert_near(mt.log_loss, -(log(0.8) + log(0.7)) / 2);
	/* certain and wrong: clipped to 1e-15, finite */
	mt = binary(t, sure_wrong, 2);
	assert_near(mt.log_loss, -log(1e-15));
}

static void test_learn_eval__no_predicted_positive(void **state)
{
	const double t[] = { 1, 0, 0 };
	const double p[] = { 0.1, 0.2, 0.3 };
	learn_metrics mt = binary(t, p, 3);

	(void)state;
	assert_int_equal(mt.tp + mt.fp, 0);
	assert_near(mt.precision, 0);
	assert_near(mt.recall, 0);
	assert_near(mt.f1, 0);
	assert_near(mt.auc, 0);
}

static void test_learn_eval__regression(void **state)
{
	const double y[] = { 1, 2, 3, 4 };
	const double f[] = { 1.5, 2, 2.5, 5 };
	char err[LEARN_ERR_SIZE];
	learn_eval *e = NULL;
	learn_metrics mt;
	int i;

	(void)state;
	assert_int_equal(learn_eval_new(&e, LEARN_LINEAR_REGRESSION, err),
			 LEARN_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(learn_eval_add(e, y[i], f[i], err), LEARN_OK);
	assert_int_equal(learn_eval_finish(&mt, e, err), LEARN_OK);
	/* errors 0.5 0 0.5 1; deviations from the mean 2.5: 1.5 .5 .5 1.5 */
	assert_near(mt.mae, 0.5);
	assert_near(mt.rmse, sqrt(1.5 / 4));
	assert_near(mt.rae, 2.0 / 4);
	assert_near(mt.rse, 1.5 / 5);
	assert_near(mt.r2, 1 - 1.5 / 5);
	learn_eval_free(e);
}

static void test_learn_eval__bad_input(void **state)
{
	char err[LEARN_ERR_SIZE];
	learn_eval *e = NULL;
	learn_metrics mt;

	(void)state;
	assert_int_equal(learn_eval_new(&e, (learn_algorithm)5, err),
			 LEARN_EINVAL);
	assert_null(e);
	assert_int_equal(learn_eval_new(&e, LEARN_LOGISTIC_REGRESSION, err),
			 LEARN_OK);
	assert_int_equal(learn_eval_finish(&mt, e, err), LEARN_EDATA);
	assert_string_equal(err, "nothing to evaluate: no rows");
	assert_int_equal(learn_eval_add(e, 2, 0.5, err), LEARN_EINVAL);
	assert_int_equal(learn_eval_add(e, 1, 1.5, err), LEARN_EINVAL);
	assert_int_equal(learn_eval_add(e, 1, NAN, err), LEARN_EINVAL);
	learn_eval_free(e);
	assert_int_equal(learn_eval_new(&e, LEARN_LINEAR_REGRESSION, err),
			 LEARN_OK);
	assert_int_equal(learn_eval_add(e, INFINITY, 1, err), LEARN_EINVAL);
	learn_eval_free(e);
}

static char *metrics_csv(const learn_metrics *mt)
{
	char err[LEARN_ERR_SIZE];
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(learn_metrics_write_csv(f, mt, err), LEARN_OK);
	fclose(f);
	return buf;
}

static void test_learn_eval__csv_columns(void **state)
{
	const double t[] = { 1, 0, 1, 0 };
	const double p[] = { 0.75, 0.25, 0.25, 0.75 };
	learn_metrics mt = binary(t, p, 4);
	char *s = metrics_csv(&mt);

	(void)state;
	assert_string_equal(s, "True Positive,False Negative,False Positive,"
			       "True Negative,Threshold,Accuracy,Precision,"
			       "Recall,F1 Score,AUC,Average Log Loss\r\n"
			       "1,1,1,1,0.5,0.5,0.5,0.5,0.5,0.5,"
			       "0.8369882167858358\r\n");
	free(s);
	memset(&mt, 0, sizeof(mt));
	mt.algorithm = LEARN_LINEAR_REGRESSION;
	mt.mae = 0.5;
	mt.rmse = 0.25;
	mt.rae = 2;
	mt.rse = 0.125;
	mt.r2 = NAN;
	s = metrics_csv(&mt);
	assert_string_equal(s, "Mean Absolute Error,Root Mean Squared Error,"
			       "Relative Absolute Error,Relative Squared "
			       "Error,Coefficient of Determination\r\n"
			       "0.5,0.25,2,0.125,NaN\r\n");
	free(s);
}

static FILE *stream(const char *text)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	fputs(text, f);
	rewind(f);
	return f;
}

static void test_learn_eval__evaluate_csv(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	const char *train = "x,y\n0,a\n1,a\n2,b\n3,b\n";
	learn_model *m = NULL;
	learn_metrics mt;
	FILE *in;

	(void)state;
	o.label = "y";
	assert_int_equal(learn_train_mem(&m, train, strlen(train), &o, err),
			 LEARN_OK);
	/* the missing label is skipped; the rest are separated */
	in = stream("y,x\nb,3\na,0\n?,1\nb,2.5\n");
	assert_int_equal(learn_evaluate_csv(&mt, m, in, err), LEARN_OK);
	fclose(in);
	assert_int_equal(mt.rows, 3);
	assert_int_equal(mt.tp, 2);
	assert_int_equal(mt.tn, 1);
	assert_near(mt.auc, 1);
	in = stream("y,x\nb,3\nc,0\n");
	assert_int_equal(learn_evaluate_csv(&mt, m, in, err), LEARN_EDATA);
	assert_string_equal(err, "line 3: label 'c' is not a class of the "
				 "model ('a', 'b')");
	fclose(in);
	in = stream("x\n3\n");
	assert_int_equal(learn_evaluate_csv(&mt, m, in, err), LEARN_EDATA);
	assert_string_equal(err, "the input has no column 'y' (the label of "
				 "the model)");
	fclose(in);
	learn_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_eval__auc_with_ties),
		cmocka_unit_test(test_learn_eval__auc_extremes),
		cmocka_unit_test(test_learn_eval__counts_and_rates),
		cmocka_unit_test(test_learn_eval__log_loss),
		cmocka_unit_test(test_learn_eval__no_predicted_positive),
		cmocka_unit_test(test_learn_eval__regression),
		cmocka_unit_test(test_learn_eval__bad_input),
		cmocka_unit_test(test_learn_eval__csv_columns),
		cmocka_unit_test(test_learn_eval__evaluate_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
