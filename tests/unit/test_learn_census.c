/* SPDX-License-Identifier: MIT */
/* Census-like data: determinism, columns, committed samples, the drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "learn.h"

/*
 * The committed samples (docs/census-data.md): regenerate them from the
 * repository's root with
 *   AMLR_REGENERATE_CENSUS=1 build/tests/test_learn_census
 */
static const struct sample {
	const char *path;
	const char *version;
	size_t rows;
	uint64_t seed;
} samples[] = {
	{ "manifests/data/census-a.csv", "a", 5000, 1 },
	{ "manifests/data/census-b.csv", "b", 5000, 2 },
	{ "manifests/data/census-b-holdout.csv", "b", 1000, 3 },
};

static char *generate(const char *version, size_t rows, uint64_t seed,
		      size_t *len)
{
	char err[LEARN_ERR_SIZE];
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(learn_census_generate(f, version, rows, seed, err),
			 LEARN_OK);
	fclose(f);
	if (len)
		*len = size;
	return buf;
}

static void test_learn_census__deterministic(void **state)
{
	char *a = generate("a", 500, 9, NULL), *b = generate("a", 500, 9, NULL);
	char *c = generate("a", 500, 10, NULL);

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

/* The same seed draws the same people; only their income may differ. */
static void test_learn_census__versions_differ_in_income_only(void **state)
{
	char *a = generate("a", 2000, 5, NULL),
	     *b = generate("b", 2000, 5, NULL);
	char *pa = a, *pb = b, *ea, *eb;
	int lines = 0, differ = 0;

	(void)state;
	while (*pa && *pb) {
		ea = strchr(pa, '\n');
		eb = strchr(pb, '\n');
		assert_non_null(ea);
		assert_non_null(eb);
		/* up to the last comma */
		while (ea[-1] != ',')
			ea--;
		while (eb[-1] != ',')
			eb--;
		assert_int_equal(ea - pa, eb - pb);
		assert_memory_equal(pa, pb, (size_t)(ea - pa));
		differ += strncmp(ea, eb, 5) != 0;
		pa = strchr(ea, '\n') + 1;
		pb = strchr(eb, '\n') + 1;
		lines++;
	}
	assert_int_equal(lines, 2001);
	assert_true(differ > 100);
	free(a);
	free(b);
}

static void test_learn_census__columns_and_values(void **state)
{
	static const char *const header[] = { "age",
					      "workclass",
					      "fnlwgt",
					      "education",
					      "education-num",
					      "marital-status",
					      "occupation",
					      "relationship",
					      "race",
					      "sex",
					      "capital-gain",
					      "capital-loss",
					      "hours-per-week",
					      "native-country",
					      "income" };
	static const char *const education[] = {
		"Preschool", "1st-4th",	     "5th-6th",	    "7th-8th",
		"9th",	     "10th",	     "11th",	    "12th",
		"HS-grad",   "Some-college", "Assoc-voc",   "Assoc-acdm",
		"Bachelors", "Masters",	     "Prof-school", "Doctorate"
	};
	const char *const *f;
	char err[LEARN_ERR_SIZE];
	learn_csv *r = NULL;
	size_t len, i;
	char *text = generate("b", 5000, 3, &len);
	FILE *in = fmemopen(text, len, "r");
	long age, edu, hours, rich = 0, rows = 0, unknown = 0;

	(void)state;
	assert_non_null(in);
	assert_int_equal(learn_csv_open(&r, in, err), LEARN_OK);
	assert_int_equal(learn_csv_columns(r), 15);
	for (i = 0; i < 15; i++)
		assert_string_equal(learn_csv_header(r)[i], header[i]);
	for (;;) {
		assert_int_equal(learn_csv_next(&f, r, err), LEARN_OK);
		if (!f)
			break;
		rows++;
		age = strtol(f[0], NULL, 10);
		edu = strtol(f[4], NULL, 10);
		hours = strtol(f[12], NULL, 10);
		assert_true(age >= 17 && age <= 90);
		assert_true(edu >= 1 && edu <= 16);
		assert_string_equal(f[3], education[edu - 1]);
		assert_true(hours >= 1 && hours <= 99);
		assert_true(!strcmp(f[9], "Male") || !strcmp(f[9], "Female"));
		/* an unknown work class has an unknown occupation */
		if (!strcmp(f[1], "?"))
			assert_string_equal(f[6], "?");
		unknown += !strcmp(f[1], "?") || !strcmp(f[13], "?");
		if (!strcmp(f[14], ">50K"))
			rich++;
		else
			assert_string_equal(f[14], "<=50K");
	}
	assert_int_equal(rows, 5000);
	/* as in the original: about a quarter earn more than 50K */
	assert_true(rich > 750 && rich < 1750);
	/* and some values are missing, written "?" */
	assert_true(unknown > 200);
	learn_csv_free(r);
	fclose(in);
	free(text);
}

static int regenerate(const struct sample *s, const char *text, size_t len)
{
	char tmp[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	if (!(f = fopen(tmp, "wb")))
		return -1;
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0)
		return -1;
	return rename(tmp, s->path);
}

/* The samples in the repository are what the generator writes. */
static void test_learn_census__committed_samples_match(void **state)
{
	const char *again = getenv("AMLR_REGENERATE_CENSUS");
	char *want, *got;
	size_t wlen, glen, i;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		want = generate(samples[i].version, samples[i].rows,
				samples[i].seed, &wlen);
		if (again && !strcmp(again, "1"))
			assert_int_equal(regenerate(&samples[i], want, wlen),
					 0);
		assert_true(wlen <= 1024 * 1024);
		if (!(f = fopen(samples[i].path, "rb")))
			fail_msg("cannot open %s: run from the repository's "
				 "root",
				 samples[i].path);
		got = malloc(wlen + 1);
		assert_non_null(got);
		glen = fread(got, 1, wlen + 1, f);
		fclose(f);
		if (glen != wlen || memcmp(got, want, wlen))
			fail_msg(
				"%s differs from the generator's output; if "
				"the generator changed on purpose, regenerate: "
				"AMLR_REGENERATE_CENSUS=1 "
				"build/tests/test_learn_census",
				samples[i].path);
		free(got);
		free(want);
	}
}

static learn_model *train(const char *version, size_t rows, uint64_t seed)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	size_t len;
	char *csv = generate(version, rows, seed, &len);

	o.label = "income";
	if (learn_train_mem(&m, csv, len, &o, err) != LEARN_OK)
		fail_msg("training: %s", err);
	free(csv);
	return m;
}

static double auc_on(const learn_model *m, const char *csv, size_t len)
{
	char err[LEARN_ERR_SIZE];
	learn_metrics mt;
	FILE *in = fmemopen((void *)(uintptr_t)csv, len, "r");

	assert_non_null(in);
	if (learn_evaluate_csv(&mt, m, in, err) != LEARN_OK)
		fail_msg("evaluation: %s", err);
	fclose(in);
	return mt.auc;
}

/*
 * The retraining story: on fresh data of the drifted version b, a model
 * retrained on b beats the model trained on a by a clear margin (and on
 * fresh a data, the other way round).
 */
static void test_learn_census__drift_rewards_retraining(void **state)
{
	learn_model *ma = train("a", 5000, 101), *mb = train("b", 5000, 102);
	size_t lb, la;
	char *fresh_b = generate("b", 20000, 103, &lb);
	char *fresh_a = generate("a", 20000, 104, &la);
	double a_on_b = auc_on(ma, fresh_b, lb),
	       b_on_b = auc_on(mb, fresh_b, lb);
	double a_on_a = auc_on(ma, fresh_a, la),
	       b_on_a = auc_on(mb, fresh_a, la);

	(void)state;
	print_message("AUC on fresh b: model a %.4f, model b %.4f; on fresh a: "
		      "model a %.4f, model b %.4f\n",
		      a_on_b, b_on_b, a_on_a, b_on_a);
	assert_true(b_on_b >= a_on_b + 0.05);
	assert_true(a_on_a >= b_on_a + 0.05);
	/* and both models are good on their own data */
	assert_true(b_on_b > 0.75 && a_on_a > 0.75);
	learn_model_free(ma);
	learn_model_free(mb);
	free(fresh_a);
	free(fresh_b);
}

static void test_learn_census__unknown_version(void **state)
{
	char err[LEARN_ERR_SIZE];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	assert_int_equal(learn_census_generate(f, "c", 10, 1, err),
			 LEARN_EINVAL);
	assert_string_equal(err, "unknown census version 'c' (a or b)");
	assert_int_equal(ftell(f), 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_census__deterministic),
		cmocka_unit_test(
			test_learn_census__versions_differ_in_income_only),
		cmocka_unit_test(test_learn_census__columns_and_values),
		cmocka_unit_test(test_learn_census__committed_samples_match),
		cmocka_unit_test(test_learn_census__drift_rewards_retraining),
		cmocka_unit_test(test_learn_census__unknown_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
