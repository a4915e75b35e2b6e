/* SPDX-License-Identifier: MIT */
/* The .ilearner format: round trip, checksum, refusals
 * (docs/ilearner-format.md). */
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
#include "learn_internal.h"

/* CRC-32 the table-driven way, independent of learn's bitwise loop. */
static uint32_t ref_crc32(const char *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < 256; i++) {
		uint32_t v = (uint32_t)i;

		for (k = 0; k < 8; k++)
			v = v & 1 ? 0xEDB88320u ^ (v >> 1) : v >> 1;
		table[i] = v;
	}
	for (i = 0; i < n; i++)
		c = table[(c ^ (unsigned char)p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

/* @p body (everything before the checksum line) with a valid checksum. */
static char *seal(const char *body)
{
	size_t n = strlen(body);
	char *s = malloc(n + 32);

	assert_non_null(s);
	snprintf(s, n + 32, "%schecksum crc32 %08x\n", body,
		 (unsigned)ref_crc32(body, n));
	return s;
}

/* The example of docs/ilearner-format.md. */
static const char example[] =
	"amlr-ilearner 1\n"
	"algorithm two-class-logistic-regression\n"
	"label \"income\"\n"
	"negative-class \"<=50K\"\n"
	"positive-class \">50K\"\n"
	"l2 1\n"
	"tolerance 1e-07\n"
	"max-iterations 100\n"
	"max-levels 64\n"
	"categorical-missing level\n"
	"rows 4\n"
	"rows-skipped 0\n"
	"iterations 3\n"
	"converged yes\n"
	"bias -1\n"
	"features 2\n"
	"numeric \"age\" center 40 scale 10 impute 40 weight 0.5\n"
	"categorical \"sex\" levels 2 other no missing no\n"
	"level \"Female\" -0.25\n"
	"level \"Male\" 0.25\n"
	"checksum crc32 185bf006\n";

static learn_code load(learn_model **m, const char *s, size_t n, char *err)
{
	*m = NULL;
	return learn_model_load(m, s, n, err);
}

static void assert_refused(const char *s, size_t n, const char *msg)
{
	char err[LEARN_ERR_SIZE] = "";
	learn_model *m = NULL;

	assert_int_equal(load(&m, s, n, err), LEARN_EMODEL);
	assert_null(m);
	if (msg)
		assert_string_equal(err, msg);
}

static void test_learn_model__crc32_check_value(void **state)
{
	(void)state;
	assert_int_equal(learn_crc32_update(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(learn_crc32_update(0, "", 0), 0);
	assert_int_equal(ref_crc32(example, sizeof(example) - 25), 0x185bf006u);
}

static void test_learn_model__documented_example_scores(void **state)
{
	const char *names[] = { "sex", "age" };
	const char *values[] = { "Male", "60" };
	char err[LEARN_ERR_SIZE];
	learn_prediction p;
	learn_model *m;
	char *again;
	size_t len;

	(void)state;
	assert_int_equal(load(&m, example, sizeof(example) - 1, err), LEARN_OK);
	assert_int_equal(learn_model_algorithm(m), LEARN_LOGISTIC_REGRESSION);
	assert_string_equal(learn_model_label(m), "income");
	assert_int_equal(learn_model_feature_count(m), 2);
	assert_string_equal(learn_model_feature_name(m, 1), "sex");
	assert_int_equal(learn_model_rows(m), 4);
	assert_int_equal(learn_model_iterations(m), 3);
	/* z = -1 + 0.5 (60 - 40) / 10 + 0.25 */
	assert_int_equal(learn_score_row(&p, m, names, values, 2, err),
			 LEARN_OK);
	assert_true(fabs(p.probability - 1 / (1 + exp(-0.25))) < 1e-15);
	assert_string_equal(p.label, ">50K");
	/* age missing: the training mean 40 */
	values[1] = "?";
	assert_int_equal(learn_score_row(&p, m, names, values, 2, err),
			 LEARN_OK);
	assert_true(fabs(p.probability - 1 / (1 + exp(0.75))) < 1e-15);
	assert_string_equal(p.label, "<=50K");
	/* written back byte for byte */
	assert_int_equal(learn_model_save(&again, &len, m, err), LEARN_OK);
	assert_string_equal(again, example);
	free(again);
	learn_model_free(m);
}

static char *trained(size_t *len)
{
	static const char csv[] = "a,\"b \"\"q\"\"\",c,y\n"
				  "1,x\\y,p,n\n2,\"t\ta\",q,yes\n"
				  "3,x\\y,,yes\n4,z,p,n\n";
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	char *s = NULL;

	o.label = "y";
	assert_int_equal(learn_train_mem(&m, csv, sizeof(csv) - 1, &o, err),
			 LEARN_OK);
	assert_int_equal(learn_model_save(&s, len, m, err), LEARN_OK);
	learn_model_free(m);
	return s;
}

static void test_learn_model__round_trip_is_byte_identical(void **state)
{
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL, *m2 = NULL;
	size_t len, len2;
	char *s = trained(&len), *s2 = NULL;
	FILE *f = tmpfile();

	(void)state;
	/* names and levels with quotes, backslashes and a tab */
	assert_non_null(strstr(s, "categorical \"b \\\"q\\\"\" levels 3 "));
	assert_non_null(strstr(s, "level \"t\\x09a\" "));
	assert_non_null(strstr(s, "level \"x\\\\y\" "));
	assert_int_equal(load(&m, s, len, err), LEARN_OK);
	assert_int_equal(learn_model_save(&s2, &len2, m, err), LEARN_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(s, s2, len);
	/* through a stream too */
	assert_non_null(f);
	assert_int_equal(learn_model_write(f, m, err), LEARN_OK);
	rewind(f);
	assert_int_equal(learn_model_read(&m2, f, err), LEARN_OK);
	free(s2);
	assert_int_equal(learn_model_save(&s2, &len2, m2, err), LEARN_OK);
	assert_memory_equal(s, s2, len);
	fclose(f);
	learn_model_free(m);
	learn_model_free(m2);
	free(s);
	free(s2);
}

static void test_learn_model__corrupted_refused(void **state)
{
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	size_t len, i;
	char *s = trained(&len);

	(void)state;
	/* any single flipped bit in the content breaks the checksum */
	for (i = 0; i < len; i += 7) {
		s[i] ^= 0x04;
		assert_int_not_equal(load(&m, s, len, err), LEARN_OK);
		assert_null(m);
		s[i] ^= 0x04;
	}
	/* a weight's digit changed: "checksum mismatch" */
	i = (size_t)(strstr(s, "\nbias ") - s) + 7;
	s[i] = s[i] == '1' ? '2' : '1';
	assert_refused(s, len, NULL);
	assert_int_equal(load(&m, s, len, err), LEARN_EMODEL);
	assert_non_null(strstr(err, "corrupted .ilearner: checksum mismatch"));
	free(s);
}

static void test_learn_model__truncated_refused(void **state)
{
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL;
	size_t len, n;
	char *s = trained(&len);

	(void)state;
	/* every proper prefix is refused */
	for (n = 0; n < len; n++) {
		assert_int_equal(load(&m, s, n, err), LEARN_EMODEL);
		assert_null(m);
	}
	assert_refused(s, 0, "not an .ilearner: the file is empty");
	assert_refused(s, len - 30,
		       "truncated .ilearner: the checksum line "
		       "is missing");
	assert_refused(s, len - 1,
		       "truncated .ilearner: the checksum line "
		       "is missing");
	free(s);
}

static void test_learn_model__wrong_magic_or_version(void **state)
{
	char *s;

	(void)state;
	assert_refused("hello\n", 6,
		       "not an .ilearner: no 'amlr-ilearner' header");
	assert_refused("amlr-ilearner x\n", 16,
		       "not an .ilearner: malformed 'amlr-ilearner' header");
	s = seal("amlr-ilearner 2\nalgorithm future\n");
	assert_refused(s, strlen(s),
		       "unsupported .ilearner format version 2 (this build "
		       "reads version 1)");
	free(s);
}

/* Replace the first @p from in @p s by @p to; a new string. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s) + strlen(to) + 1;
	char *r = malloc(n);

	assert_non_null(at);
	assert_non_null(r);
	snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return r;
}

/* @p from replaced by @p to in the example, resealed, must be refused. */
static void assert_content_refused(const char *from, const char *to,
				   const char *msg)
{
	char *body = replace(example, from, to), *s;

	*strstr(body, "checksum crc32 ") = '\0';
	s = seal(body);
	assert_refused(s, strlen(s), msg);
	free(body);
	free(s);
}

static void test_learn_model__inconsistent_content_refused(void **state)
{
	(void)state;
	assert_content_refused("two-class-logistic-regression",
			       "boosted-decision-tree",
			       "invalid .ilearner: line 2: unknown algorithm "
			       "'boosted-decision-tree'");
	assert_content_refused("level \"Female\" -0.25\nlevel \"Male\"",
			       "level \"Male\" -0.25\nlevel \"Female\"",
			       "invalid .ilearner: line 20: levels are not in "
			       "sorted order");
	assert_content_refused("features 2", "features 3",
			       "invalid .ilearner: line 21: 'categorical' "
			       "expected, the content ended");
	assert_content_refused("features 2", "features 1",
			       "invalid .ilearner: line 18: unexpected line "
			       "after the last feature");
	assert_content_refused("scale 10", "scale 0",
			       "invalid .ilearner: line 17: a scale must be "
			       "positive");
	assert_content_refused("weight 0.5", "weight nan",
			       "invalid .ilearner: line 17: a finite number "
			       "expected");
	assert_content_refused("\"<=50K\"", "\">50K\"",
			       "invalid .ilearner: line 5: the two classes "
			       "are the same");
	assert_content_refused("label \"income\"", "label income",
			       "invalid .ilearner: line 3: a quoted string "
			       "expected");
	assert_content_refused("rows 4", "rows four",
			       "invalid .ilearner: line 11: a count is out "
			       "of range");
	assert_content_refused("bias -1\n", "bias -1 x\n",
			       "invalid .ilearner: line 15: unexpected text "
			       "at the end of the line");
}

static void test_learn_model__linear_round_trip(void **state)
{
	learn_train_opts o = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE];
	learn_model *m = NULL, *m2 = NULL;
	char *s = NULL, *s2 = NULL;
	size_t len, len2;

	(void)state;
	o.algorithm = LEARN_LINEAR_REGRESSION;
	o.label = "y";
	assert_int_equal(
		learn_train_mem(&m, "x,y\n1,2\n2,4.5\n3,6\n", 18, &o, err),
		LEARN_OK);
	assert_int_equal(learn_model_save(&s, &len, m, err), LEARN_OK);
	assert_non_null(strstr(s, "\nalgorithm linear-regression\n"
				  "label \"y\"\nl2 0.001\n"));
	assert_null(learn_model_class(m, 1));
	assert_int_equal(learn_model_load(&m2, s, len, err), LEARN_OK);
	assert_int_equal(learn_model_save(&s2, &len2, m2, err), LEARN_OK);
	assert_string_equal(s, s2);
	learn_model_free(m);
	learn_model_free(m2);
	free(s);
	free(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_model__crc32_check_value),
		cmocka_unit_test(test_learn_model__documented_example_scores),
		cmocka_unit_test(
			test_learn_model__round_trip_is_byte_identical),
		cmocka_unit_test(test_learn_model__corrupted_refused),
		cmocka_unit_test(test_learn_model__truncated_refused),
		cmocka_unit_test(test_learn_model__wrong_magic_or_version),
		cmocka_unit_test(
			test_learn_model__inconsistent_content_refused),
		cmocka_unit_test(test_learn_model__linear_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
