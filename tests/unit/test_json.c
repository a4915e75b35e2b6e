/* SPDX-License-Identifier: MIT */
/* JSON helpers: parsing rules, access, building, serialising, buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/json.h"

static amlr_json *parse(const char *text)
{
	amlr_json *j = NULL;

	assert_int_equal(amlr_json_parse(&j, NULL, text, strlen(text)),
			 AMLR_OK);
	return j;
}

static void test_json__parse_and_access(void **state)
{
	amlr_json *j = parse("\xEF\xBB\xBF {\"name\":\"ws1\",\"n\":3,"
			     "\"tags\":[\"a\",\"b\"],\"p\":{\"x\":null}} \n");
	int64_t n = 0;

	(void)state;
	assert_int_equal(amlr_json_type_of(j), AMLR_JSON_OBJECT);
	assert_string_equal(amlr_json_get_str(j, "name"), "ws1");
	assert_true(amlr_json_int(&n, amlr_json_get(j, "n")));
	assert_int_equal(n, 3);
	assert_int_equal(amlr_json_len(amlr_json_get(j, "tags")), 2);
	assert_string_equal(
		amlr_json_str(amlr_json_at(amlr_json_get(j, "tags"), 1)), "b");
	assert_null(amlr_json_at(amlr_json_get(j, "tags"), 2));
	assert_null(amlr_json_get(amlr_json_get(j, "p"), "x"));
	assert_null(amlr_json_get(j, "missing"));
	assert_null(amlr_json_get_str(j, "n"));
	amlr_json_free(j);
}

static void test_json__parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "{\"a\":1} x", "[1,2", "nul", "[01]",
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *j = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			amlr_json_parse(&j, &err, bad[i], strlen(bad[i])),
			AMLR_EINVAL);
		assert_null(j);
		assert_non_null(strstr(err.message, "invalid JSON"));
	}
}

static void test_json__depth_is_bounded(void **state)
{
	char deep[400];
	amlr_json *j = NULL;

	(void)state;
	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	assert_int_equal(amlr_json_parse(&j, NULL, deep, sizeof(deep)),
			 AMLR_EINVAL);
	assert_null(j);
}

static void test_json__iterate_in_document_order(void **state)
{
	amlr_json *j = parse("{\"z\":1,\"a\":2,\"m\":3}");
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *val;
	char order[4] = "";
	size_t n = 0;

	(void)state;
	while (amlr_json_next(&key, &val, j, &it))
		order[n++] = key[0];
	assert_string_equal(order, "zam");
	amlr_json_free(j);
}

static void test_json__build_and_serialize(void **state)
{
	amlr_json *o = NULL, *a = NULL, *s = NULL;
	amlr_buf b = AMLR_BUF_INIT;

	(void)state;
	assert_int_equal(amlr_json_new_object(&o), AMLR_OK);
	assert_int_equal(amlr_json_new_array(&a), AMLR_OK);
	assert_int_equal(amlr_json_new_string(&s, "x"), AMLR_OK);
	assert_int_equal(amlr_json_append(a, s), AMLR_OK); /* steals s */
	assert_int_equal(amlr_json_set_str(o, "uri", "https://a/b.ilearner"),
			 AMLR_OK);
	assert_int_equal(amlr_json_set_int(o, "n", -7), AMLR_OK);
	assert_int_equal(amlr_json_set(o, "list", a), AMLR_OK); /* steals */
	assert_int_equal(amlr_json_set_str(o, "none", NULL), AMLR_OK);
	assert_int_equal(amlr_json_serialize(&b, o, 0), AMLR_OK);
	/* Slashes are not escaped; keys keep their order. */
	assert_string_equal(
		b.ptr,
		"{\"uri\":\"https://a/b.ilearner\",\"n\":-7,\"list\":[\"x\"],\"none\":null}");
	amlr_buf_release(&b);
	assert_int_equal(amlr_json_serialize(&b, o, AMLR_JSON_PRETTY), AMLR_OK);
	assert_non_null(strstr(b.ptr, "\n  \"n\": -7"));
	amlr_buf_release(&b);
	amlr_json_free(o);
	amlr_json_free(NULL);
}

static void test_json__set_on_non_object_frees_value(void **state)
{
	amlr_json *a = NULL, *s = NULL;

	(void)state;
	assert_int_equal(amlr_json_new_array(&a), AMLR_OK);
	assert_int_equal(amlr_json_new_string(&s, "leak?"), AMLR_OK);
	/* Steals s even on failure: the leak checker of check-asan would
	 * report it otherwise. */
	assert_int_equal(amlr_json_set(a, "k", s), AMLR_EFAIL);
	amlr_json_free(a);
}

static void test_json__buf(void **state)
{
	amlr_buf b = AMLR_BUF_INIT;
	char *s;

	(void)state;
	assert_int_equal(amlr_buf_printf(&b, "%s-%d", "a", 1), AMLR_OK);
	assert_int_equal(amlr_buf_put(&b, "xyz", 2), AMLR_OK);
	assert_string_equal(b.ptr, "a-1xy");
	assert_int_equal(b.len, 5);
	amlr_buf_clear(&b);
	assert_string_equal(b.ptr, "");
	s = amlr_buf_detach(&b);
	assert_string_equal(s, "");
	assert_null(b.ptr);
	free(s);
	assert_int_equal(amlr_buf_puts(&b, "secret"), AMLR_OK);
	amlr_buf_release_secret(&b);
	assert_null(b.ptr);
	amlr_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json__parse_and_access),
		cmocka_unit_test(test_json__parse_errors),
		cmocka_unit_test(test_json__depth_is_bounded),
		cmocka_unit_test(test_json__iterate_in_document_order),
		cmocka_unit_test(test_json__build_and_serialize),
		cmocka_unit_test(test_json__set_on_non_object_frees_value),
		cmocka_unit_test(test_json__buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
