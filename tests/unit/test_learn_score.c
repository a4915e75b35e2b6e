/* SPDX-License-Identifier: MIT */
/* Score Model: output columns, column order, unseen levels, errors. */
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

static const char train_csv[] = "age,sex,hours,income\n"
				"25,Female,20,<=50K\n"
				"52,Male,60,>50K\n"
				"47,Female,45,>50K\n"
				"33,Male,40,<=50K\n"
				"61,Male,50,>50K\n"
				"19,Female,15,<=50K\n"
				"38,Other,40,<=50K\n"
				"44,Male,38,>50K\n";

static learn_model *model(learn_algorithm algorithm, const char *label)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;

	o.algorithm = algorithm;
	o.label = label;
	if (learn_train_mem(&m, train_csv, sizeof(train_csv) - 1, &o, err))
		fail_msg("training: %s", err);
	return m;
}

static learn_code score(char **out, const learn_model *m, const char *text,
			char *err)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *in = tmpfile(), *o = open_memstream(&buf, &size);
	learn_code rc;

	assert_non_null(in);
	assert_non_null(o);
	fputs(text, in);
	rewind(in);
	rc = learn_score_csv(o, m, in, err);
	fclose(o);
	fclose(in);
	*out = buf;
	return rc;
}

/* z from the model's own coefficients (units of the data). */
static double margin(const learn_model *m, double age, const char *sex,
		     double hours)
{
	char err[LEARN_ERR_SIZE];
	double a, h, s = 0;

	assert_int_equal(learn_model_coef(&a, m, "age", NULL, err), LEARN_OK);
	assert_int_equal(learn_model_coef(&h, m, "hours", NULL, err), LEARN_OK);
	if (sex)
		assert_int_equal(learn_model_coef(&s, m, "sex", sex, err),
				 LEARN_OK);
	return learn_model_intercept(m) + a * age + h * hours + s;
}

/* Expect @p prefix at *p, then a probability near @p want, then CRLF. */
static void expect_row(const char **p, const char *prefix, double want)
{
	char *end;
	double got;

	assert_int_equal(strncmp(*p, prefix, strlen(prefix)), 0);
	got = strtod(*p + strlen(prefix), &end);
	assert_true(fabs(got - want) < 1e-12);
	assert_int_equal(strncmp(end, "\r\n", 2), 0);
	*p = end + 2;
}

static void test_learn_score__columns_in_any_order(void **state)
{
	static const char header[] = "id,hours,note,sex,age,Scored Labels,"
				     "Scored Probabilities\r\n";
	learn_model *m = model(LEARN_LOGISTIC_REGRESSION, "income");
	char err[LEARN_ERR_SIZE];
	const char *p;
	char *out;

	(void)state;
	/* shuffled, an extra column kept (quoted where needed), no label */
	assert_int_equal(score(&out, m,
			       "id,hours,note,sex,age\r\n"
			       "7,60,\"big, old\",Male,52\r\n"
			       "8,15,,Female,19\r\n",
			       err),
			 LEARN_OK);
	assert_int_equal(strncmp(out, header, strlen(header)), 0);
	p = out + strlen(header);
	expect_row(&p, "7,60,\"big, old\",Male,52,>50K,",
		   1 / (1 + exp(-margin(m, 52, "Male", 60))));
	expect_row(&p, "8,15,,Female,19,<=50K,",
		   1 / (1 + exp(-margin(m, 19, "Female", 15))));
	assert_string_equal(p, "");
	free(out);
	learn_model_free(m);
}

static void test_learn_score__row_matches_csv(void **state)
{
	learn_model *m = model(LEARN_LOGISTIC_REGRESSION, "income");
	const char *names[] = { "sex", "age", "hours", "extra" };
	const char *values[] = { "Male", "52", "60", "x" };
	char err[LEARN_ERR_SIZE], p[32], line[128];
	learn_prediction pr;
	char *out;

	(void)state;
	assert_int_equal(learn_score_row(&pr, m, names, values, 4, err),
			 LEARN_OK);
	assert_true(fabs(pr.probability -
			 1 / (1 + exp(-margin(m, 52, "Male", 60)))) < 1e-12);
	assert_true(pr.value == pr.probability);
	assert_string_equal(pr.label, pr.probability >= 0.5 ? ">50K" : "<=50K");
	assert_int_equal(score(&out, m, "sex,age,hours\nMale,52,60\n", err),
			 LEARN_OK);
	snprintf(line, sizeof(line), "Male,52,60,%s,%s\r\n", pr.label,
		 learn_format_double(p, sizeof(p), pr.probability));
	assert_non_null(strstr(out, line));
	free(out);
	learn_model_free(m);
}

static void test_learn_score__unseen_and_missing(void **state)
{
	learn_model *m = model(LEARN_LOGISTIC_REGRESSION, "income");
	const char *names[] = { "age", "sex", "hours" };
	const char *values[] = { "40", "Unknown", "40" };
	char err[LEARN_ERR_SIZE];
	learn_prediction pr, mean;
	double z;

	(void)state;
	/* a level never seen: all-zero one-hot, only age and hours count */
	assert_int_equal(learn_score_row(&pr, m, names, values, 3, err),
			 LEARN_OK);
	z = margin(m, 40, NULL, 40);
	assert_true(fabs(pr.probability - 1 / (1 + exp(-z))) < 1e-12);
	/* a missing sex is all-zero too (no missing level was learnt) */
	values[1] = "?";
	assert_int_equal(learn_score_row(&pr, m, names, values, 3, err),
			 LEARN_OK);
	assert_true(fabs(pr.probability - 1 / (1 + exp(-z))) < 1e-12);
	/* a missing age is the training mean (319 / 8) */
	values[0] = "";
	values[1] = "Male";
	assert_int_equal(learn_score_row(&pr, m, names, values, 3, err),
			 LEARN_OK);
	values[0] = "39.875";
	assert_int_equal(learn_score_row(&mean, m, names, values, 3, err),
			 LEARN_OK);
	assert_true(fabs(pr.probability - mean.probability) < 1e-15);
	learn_model_free(m);
}

static void test_learn_score__other_level_for_unseen(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	const char *names[] = { "c" };
	const char *values[] = { "never-seen" };
	char err[LEARN_ERR_SIZE];
	learn_prediction pr;
	learn_model *m = NULL;
	double other;

	(void)state;
	o.label = "y";
	o.max_levels = 1;
	assert_int_equal(
		learn_train_mem(&m, "c,y\na,1\na,1\nb,0\nc,0\n", 20, &o, err),
		LEARN_OK);
	/* with an "other" level, an unknown value is "other" */
	assert_int_equal(learn_model_coef(&other, m, "c", NULL, err), LEARN_OK);
	assert_int_equal(learn_score_row(&pr, m, names, values, 1, err),
			 LEARN_OK);
	assert_true(fabs(pr.probability -
			 1 / (1 + exp(-learn_model_intercept(m) - other))) <
		    1e-15);
	learn_model_free(m);
}

static void test_learn_score__errors(void **state)
{
	learn_model *m = model(LEARN_LOGISTIC_REGRESSION, "income");
	const char *names[] = { "age", "sex" };
	const char *values[] = { "40", "Male" };
	char err[LEARN_ERR_SIZE];
	learn_prediction pr;
	char *out;

	(void)state;
	assert_int_equal(learn_score_row(&pr, m, names, values, 2, err),
			 LEARN_EDATA);
	assert_string_equal(err, "the input has no column 'hours' (a feature "
				 "of the model)");
	assert_int_equal(score(&out, m, "age,sex\n40,Male\n", err),
			 LEARN_EDATA);
	assert_string_equal(err, "the input has no column 'hours' (a feature "
				 "of the model)");
	free(out);
	assert_int_equal(score(&out, m,
			       "age,sex,hours\n40,Male,1\n"
			       "forty,Male,2\n",
			       err),
			 LEARN_EDATA);
	assert_string_equal(err, "line 3: column 'age': 'forty' is not a "
				 "number");
	free(out);
	assert_int_equal(score(&out, m, "age,sex,hours\n40,Male\n", err),
			 LEARN_ECSV);
	assert_string_equal(err, "line 2: 2 fields where the header has 3");
	free(out);
	assert_int_equal(score(&out, m, "age,sex,hours,age\n1,a,2,3\n", err),
			 LEARN_EDATA);
	assert_string_equal(err, "column 'age' appears twice in the input");
	free(out);
	learn_model_free(m);
}

static void test_learn_score__regression_scored_labels(void **state)
{
	learn_model *m = model(LEARN_LINEAR_REGRESSION, "hours");
	char err[LEARN_ERR_SIZE], want[256];
	double a, b, f, s;
	char *out;

	(void)state;
	/* features age, sex, income; predicting hours */
	assert_int_equal(learn_model_coef(&a, m, "age", NULL, err), LEARN_OK);
	assert_int_equal(learn_model_coef(&s, m, "sex", "Male", err), LEARN_OK);
	assert_int_equal(learn_model_coef(&f, m, "income", ">50K", err),
			 LEARN_OK);
	b = learn_model_intercept(m);
	assert_null(learn_model_class(m, 1));
	assert_int_equal(score(&out, m, "age,sex,income\n50,Male,>50K\n", err),
			 LEARN_OK);
	snprintf(want, sizeof(want),
		 "age,sex,income,Scored Labels\r\n"
		 "50,Male,>50K,");
	assert_int_equal(strncmp(out, want, strlen(want)), 0);
	assert_true(fabs(strtod(out + strlen(want), NULL) -
			 (b + 50 * a + s + f)) < 1e-9);
	free(out);
	learn_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_score__columns_in_any_order),
		cmocka_unit_test(test_learn_score__row_matches_csv),
		cmocka_unit_test(test_learn_score__unseen_and_missing),
		cmocka_unit_test(test_learn_score__other_level_for_unseen),
		cmocka_unit_test(test_learn_score__errors),
		cmocka_unit_test(test_learn_score__regression_scored_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
