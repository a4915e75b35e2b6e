/* SPDX-License-Identifier: MIT */
/* learn/ CSV: RFC 4180 reading and writing, edge cases, errors by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "learn.h"

/* A stream over @p len bytes (tmpfile: fmemopen dislikes 0 bytes). */
static FILE *stream(const char *data, size_t len)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	rewind(f);
	return f;
}

/*
 * Read all of @p text; the records as "f1|f2|...\n" each, prefixed by
 * their line ("2:"), header first.  Returns the code; *dump is malloc'd.
 */
static learn_code dump_len(char **dump, const char *text, size_t len, char *err)
{
	const char *const *f;
	learn_csv *r = NULL;
	FILE *in = stream(text, len);
	char *buf = NULL;
	size_t size = 0, i, n;
	FILE *out = open_memstream(&buf, &size);
	learn_code rc;

	assert_non_null(out);
	if ((rc = learn_csv_open(&r, in, err)) == LEARN_OK) {
		n = learn_csv_columns(r);
		f = learn_csv_header(r);
		for (;;) {
			fprintf(out, "%lu:", learn_csv_line(r));
			for (i = 0; i < n; i++)
				fprintf(out, "%s%s", i ? "|" : "", f[i]);
			fputc('\n', out);
			if ((rc = learn_csv_next(&f, r, err)) != LEARN_OK || !f)
				break;
		}
	}
	learn_csv_free(r);
	fclose(out);
	fclose(in);
	*dump = buf;
	return rc;
}

static learn_code dump(char **out, const char *text, char *err)
{
	return dump_len(out, text, strlen(text), err);
}

static void assert_reads(const char *text, const char *want)
{
	char err[LEARN_ERR_SIZE] = "";
	char *got = NULL;

	assert_int_equal(dump(&got, text, err), LEARN_OK);
	assert_string_equal(err, "");
	assert_string_equal(got, want);
	free(got);
}

static void assert_fails(const char *text, size_t len, learn_code want,
			 const char *msg)
{
	char err[LEARN_ERR_SIZE] = "";
	char *got = NULL;

	assert_int_equal(dump_len(&got, text, len, err), want);
	assert_string_equal(err, msg);
	free(got);
}

static void test_learn_csv__rfc4180_quoting(void **state)
{
	(void)state;
	/* "" escapes, a comma and a line break inside quotes, CRLF */
	assert_reads("a,b,c\r\n"
		     "\"x \"\"y\"\"\",\",\",\"line1\r\nline2\"\r\n"
		     "1,\"\",3\r\n",
		     "1:a|b|c\n"
		     "2:x \"y\"|,|line1\r\nline2\n"
		     "4:1||3\n");
}

static void test_learn_csv__line_endings(void **state)
{
	(void)state;
	/* LF, no final line break */
	assert_reads("a,b\n1,2\n3,4", "1:a|b\n2:1|2\n3:3|4\n");
	/* CRLF with a final one; a lone CR ends a line too */
	assert_reads("a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n");
	assert_reads("a,b\r1,2\r", "1:a|b\n2:1|2\n");
	/* empty lines are skipped, a byte order mark is dropped */
	assert_reads("\xEF\xBB\xBF"
		     "a,b\n\n1,2\r\n\r\n\n3,4\n\n",
		     "1:a|b\n3:1|2\n6:3|4\n");
}

static void test_learn_csv__empty_fields_kept(void **state)
{
	(void)state;
	assert_reads("a,b,c\n,,\n x , ,\"\"\n", "1:a|b|c\n2:||\n3: x | |\n");
}

static void test_learn_csv__unterminated_quote(void **state)
{
	(void)state;
	/* the line where the quoted field began */
	assert_fails("a,b\n1,2\n3,\"abc\n4,5\n", 19, LEARN_ECSV,
		     "line 3: unterminated quoted field");
}

static void test_learn_csv__ragged_rows(void **state)
{
	(void)state;
	assert_fails("a,b\n1,2\n1,2,3\n", 14, LEARN_ECSV,
		     "line 3: 3 fields where the header has 2");
	assert_fails("a,b\n1,2\n\n7\n", 11, LEARN_ECSV,
		     "line 4: 1 field where the header has 2");
}

static void test_learn_csv__no_header(void **state)
{
	(void)state;
	assert_fails("", 0, LEARN_ECSV, "line 1: no header row (empty input)");
	assert_fails("\r\n\n", 3, LEARN_ECSV,
		     "line 1: no header row (empty input)");
}

static void test_learn_csv__malformed_quotes(void **state)
{
	(void)state;
	assert_fails("a\n\"x\"y\n", 7, LEARN_ECSV,
		     "line 2: text after a closing quote");
	assert_fails("a\nx\"y\n", 6, LEARN_ECSV,
		     "line 2: quote inside an unquoted field");
	assert_fails("a\nx\0y\n", 6, LEARN_ECSV, "line 2: NUL byte in a field");
}

static void test_learn_csv__oversized_field(void **state)
{
	size_t n = LEARN_CSV_MAX_FIELD + 10;
	char *text = malloc(n + 4);

	(void)state;
	assert_non_null(text);
	memcpy(text, "a\n", 2);
	memset(text + 2, 'x', n);
	memcpy(text + 2 + n, "\n", 1);
	assert_fails(text, n + 3, LEARN_ECSV,
		     "line 2: a field is longer than 65536 bytes");
	free(text);
}

/* Records that straddle the reader's 64 KiB buffer come back whole. */
static void test_learn_csv__buffer_boundaries(void **state)
{
	const char *const *f;
	char err[LEARN_ERR_SIZE];
	char want[64];
	learn_csv *r = NULL;
	FILE *in = tmpfile();
	int i;

	(void)state;
	assert_non_null(in);
	fputs("id,quoted,plain\n", in);
	for (i = 0; i < 20000; i++)
		fprintf(in, "%d,\"q \"\"%d\"\",\r\nz\",p%07d\r\n", i, i, i);
	rewind(in);
	assert_int_equal(learn_csv_open(&r, in, err), LEARN_OK);
	for (i = 0; i < 20000; i++) {
		assert_int_equal(learn_csv_next(&f, r, err), LEARN_OK);
		assert_non_null(f);
		assert_int_equal(learn_csv_line(r), 2 + 2 * (unsigned long)i);
		snprintf(want, sizeof(want), "%d", i);
		assert_string_equal(f[0], want);
		snprintf(want, sizeof(want), "q \"%d\",\r\nz", i);
		assert_string_equal(f[1], want);
		snprintf(want, sizeof(want), "p%07d", i);
		assert_string_equal(f[2], want);
	}
	assert_int_equal(learn_csv_next(&f, r, err), LEARN_OK);
	assert_null(f);
	learn_csv_free(r);
	fclose(in);
}

static void test_learn_csv__writer_quotes_when_needed(void **state)
{
	static const char *const row[] = { "a",	   "b,c", "d\"e", " f",
					   "g\nh", "",	  "i j" };
	char err[LEARN_ERR_SIZE];
	char *buf = NULL, *got = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(out);
	assert_int_equal(learn_csv_write_row(out, row, 7, err), LEARN_OK);
	assert_int_equal(learn_csv_write_row(out, row, 7, err), LEARN_OK);
	fclose(out);
	assert_string_equal(buf,
			    "a,\"b,c\",\"d\"\"e\",\" f\",\"g\nh\",,i j\r\n"
			    "a,\"b,c\",\"d\"\"e\",\" f\",\"g\nh\",,i j\r\n");
	/* and the reader gives the same fields back */
	assert_int_equal(dump(&got, buf, err), LEARN_OK);
	assert_string_equal(got, "1:a|b,c|d\"e| f|g\nh||i j\n"
				 "3:a|b,c|d\"e| f|g\nh||i j\n");
	free(got);
	free(buf);
}

static void test_learn_csv__format_double(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(learn_format_double(b, sizeof(b), 0.1), "0.1");
	assert_string_equal(learn_format_double(b, sizeof(b), 0.92), "0.92");
	assert_string_equal(learn_format_double(b, sizeof(b), 1.0 / 3),
			    "0.3333333333333333");
	assert_string_equal(learn_format_double(b, sizeof(b), 0.1 + 0.2),
			    "0.30000000000000004");
	assert_string_equal(learn_format_double(b, sizeof(b), 12), "12");
	assert_string_equal(learn_format_double(b, sizeof(b), -2.5e-300),
			    "-2.5e-300");
	assert_string_equal(learn_format_double(b, sizeof(b), 0.0 / 0.0),
			    "NaN");
	assert_string_equal(learn_format_double(b, sizeof(b), -1.0 / 0.0),
			    "-Infinity");
	/* the shortest form reads back exactly */
	assert_true(strtod(learn_format_double(b, sizeof(b), 5e-324), NULL) ==
		    5e-324);
}

static void test_learn_csv__free_accepts_null(void **state)
{
	(void)state;
	learn_csv_free(NULL);
	learn_model_free(NULL);
	learn_eval_free(NULL);
	assert_string_equal(learn_strerror(LEARN_ECSV), "malformed CSV");
	assert_string_equal(learn_strerror((learn_code)99), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_csv__rfc4180_quoting),
		cmocka_unit_test(test_learn_csv__line_endings),
		cmocka_unit_test(test_learn_csv__empty_fields_kept),
		cmocka_unit_test(test_learn_csv__unterminated_quote),
		cmocka_unit_test(test_learn_csv__ragged_rows),
		cmocka_unit_test(test_learn_csv__no_header),
		cmocka_unit_test(test_learn_csv__malformed_quotes),
		cmocka_unit_test(test_learn_csv__oversized_field),
		cmocka_unit_test(test_learn_csv__buffer_boundaries),
		cmocka_unit_test(test_learn_csv__writer_quotes_when_needed),
		cmocka_unit_test(test_learn_csv__format_double),
		cmocka_unit_test(test_learn_csv__free_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
