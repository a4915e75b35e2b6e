/* SPDX-License-Identifier: MIT */
/* SAS: the known-answer vectors V3 and V4 of auth-storage.md §3.3, parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/connstr.h"
#include "amlr/sas.h"
#include "amlr/secret.h"

#define ACCOUNT "devstoreaccount1"
#define V3_QUERY \
	"sv=2022-11-02&ss=b&srt=sco&sp=rl&st=2024-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&spr=https%2Chttp&sig=WchMkpdkhqLK%2FCgJ1opbzKzZipD7T62gfp7nwjHqOek%3D"
#define V4_QUERY \
	"sv=2022-11-02&spr=https%2Chttp&st=2024-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=mMu95LQIrM7tvSJpvJh6scwfNmfmg%2BSSzZ9ooQjIK3k%3D"

/* V3: an account SAS Azurite accepted for a container listing. */
static void test_sas__v3_account(void **state)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_buf sts = AMLR_BUF_INIT;
	char *token = NULL;

	(void)state;
	v.version = "2022-11-02";
	v.permissions = "rl";
	v.services = "b";
	v.resource_types = "sco";
	v.start = "2024-01-01T00:00:00Z";
	v.expiry = "2099-01-01T00:00:00Z";
	v.protocol = "https,http";
	assert_int_equal(amlr_sas_account_string_to_sign(&sts, ACCOUNT, &v),
			 AMLR_OK);
	assert_string_equal(
		sts.ptr,
		"devstoreaccount1\nrl\nb\nsco\n2024-01-01T00:00:00Z\n2099-01-01T00:00:00Z\n\nhttps,http\n2022-11-02\n\n");
	assert_int_equal(amlr_sas_account_new(&token, NULL, ACCOUNT,
					      AMLR_DEV_ACCOUNT_KEY, &v),
			 AMLR_OK);
	assert_string_equal(token, V3_QUERY);
	amlr_secret_free(token);
	amlr_buf_release(&sts);
}

/* V4: a service (blob) SAS Azurite accepted for a read. */
static void test_sas__v4_service_blob(void **state)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_buf sts = AMLR_BUF_INIT;
	char *token = NULL;

	(void)state;
	v.version = "2022-11-02";
	v.permissions = "r";
	v.start = "2024-01-01T00:00:00Z";
	v.expiry = "2099-01-01T00:00:00Z";
	v.protocol = "https,http";
	v.resource = "b";
	assert_int_equal(amlr_sas_service_string_to_sign(
				 &sts, ACCOUNT, "models", "dir/a.txt", &v),
			 AMLR_OK);
	assert_string_equal(
		sts.ptr,
		"r\n2024-01-01T00:00:00Z\n2099-01-01T00:00:00Z\n/blob/devstoreaccount1/models/dir/a.txt\n\n\nhttps,http\n2022-11-02\nb\n\n\n\n\n\n\n");
	v.resource = NULL; /* sr=b is the default for a blob */
	assert_int_equal(amlr_sas_service_new(&token, NULL, ACCOUNT,
					      AMLR_DEV_ACCOUNT_KEY, "models",
					      "dir/a.txt", &v),
			 AMLR_OK);
	assert_string_equal(token, V4_QUERY);
	amlr_secret_free(token);
	amlr_buf_release(&sts);
}

/* Older versions sign fewer lines (no ses; before 2018-11-09 no sr). */
static void test_sas__layouts_follow_version(void **state)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_buf a = AMLR_BUF_INIT, b = AMLR_BUF_INIT, c = AMLR_BUF_INIT;

	(void)state;
	v.permissions = "r";
	v.expiry = "2099-01-01";
	v.resource = "c";
	v.version = "2019-02-02";
	assert_int_equal(
		amlr_sas_service_string_to_sign(&a, "acct", "c", NULL, &v),
		AMLR_OK);
	assert_string_equal(
		a.ptr,
		"r\n\n2099-01-01\n/blob/acct/c\n\n\n\n2019-02-02\nc\n\n\n\n\n\n");
	v.version = "2017-11-09";
	assert_int_equal(
		amlr_sas_service_string_to_sign(&b, "acct", "c", NULL, &v),
		AMLR_OK);
	assert_string_equal(
		b.ptr,
		"r\n\n2099-01-01\n/blob/acct/c\n\n\n\n2017-11-09\n\n\n\n\n");
	v.services = "b";
	v.resource_types = "o";
	v.version = "2019-02-02";
	assert_int_equal(amlr_sas_account_string_to_sign(&c, "acct", &v),
			 AMLR_OK);
	assert_string_equal(c.ptr,
			    "acct\nr\nb\no\n\n2099-01-01\n\n\n2019-02-02\n");
	amlr_buf_release(&a);
	amlr_buf_release(&b);
	amlr_buf_release(&c);
}

/* Parsing V4 gives back the decoded fields and the same token. */
static void test_sas__parse_round_trip(void **state)
{
	amlr_sas *sas = NULL;
	amlr_sas_values v;
	char *q = NULL;

	(void)state;
	assert_int_equal(
		amlr_sas_parse(&sas, NULL, "?" V4_QUERY, AMLR_SAS_STRICT),
		AMLR_OK);
	assert_int_equal(amlr_sas_is_account(sas), 0);
	assert_string_equal(amlr_sas_get(sas, "spr"), "https,http");
	assert_string_equal(amlr_sas_get(sas, "sig"),
			    "mMu95LQIrM7tvSJpvJh6scwfNmfmg+SSzZ9ooQjIK3k=");
	amlr_sas_values_of(&v, sas);
	assert_string_equal(v.expiry, "2099-01-01T00:00:00Z");
	assert_int_equal(amlr_sas_to_query(&q, sas), AMLR_OK);
	assert_string_equal(q, V4_QUERY);
	amlr_secret_free(q);
	amlr_sas_free(sas);
	assert_int_equal(amlr_sas_parse(&sas, NULL, V3_QUERY, AMLR_SAS_STRICT),
			 AMLR_OK);
	assert_int_equal(amlr_sas_is_account(sas), 1);
	amlr_sas_free(sas);
}

/* Each bad token: EINVAL, a message naming the field, never the sig. */
static void test_sas__parse_refuses_bad_tokens(void **state)
{
	static const struct {
		const char *query;
		const char *message;
	} cases[] = {
		{ "sv=2022-11-02&sr=b&sp=r&se=2099-01-01", "no signature" },
		{ "sr=b&sp=r&se=2099-01-01&sig=AAAA", "no version" },
		{ "sv=2022-11-02&sr=b&sp=r&sig=AAAA", "no expiry" },
		{ "sv=2022-11-02&sr=b&se=2099-01-01&sig=AAAA", "permissions" },
		{ "sv=2022-11-02&sr=b&sp=rq&se=2099-01-01&sig=AAAA",
		  "permissions (sp) 'rq'" },
		{ "sv=2022-11-02&sr=b&sp=r&se=2099-13-01&sig=AAAA",
		  "expiry time (se)" },
		{ "sv=2022-11-02&sr=b&sp=r&se=2099-01-01&sig=%%%", "base64" },
		{ "sv=2022-11-02&sr=x&sp=r&se=2099-01-01&sig=AAAA",
		  "signed resource (sr)" },
		{ "sv=2022-11-02&sp=r&se=2099-01-01&sig=AAAA",
		  "no signed resource" },
		{ "sv=2022-11-02&ss=b&srt=x&sp=r&se=2099-01-01&sig=AAAA",
		  "resource types (srt)" },
		{ "sv=2022-11-02&sr=b&sp=r&se=2099-01-01&spr=http&sig=AAAA",
		  "protocol (spr)" },
		{ "sv=2022-11-02&sr=b&sp=r&se=2099-01-01&sig=AAAA&sig=AAAA",
		  "given twice" },
		{ "sv=2022-11-02&sr=b&sp=r&se=2099-01-01&bogus=1&sig=AAAA",
		  "unknown SAS field 'bogus'" },
		{ "sv=22-11-02&sr=b&sp=r&se=2099-01-01&sig=AAAA",
		  "version (sv)" },
		/* tests/fuzz/regressions/sas: to_query() dropped the si */
		{ "sv=2022-11-02&ss=b&srt=sco&sp=rl&si=p1&sig=AAAA",
		  "account SAS cannot name a stored access policy (si)" },
		{ "sv=2022-11-02&sr=c&si=&sig=AAAA",
		  "stored access policy (si) is empty" },
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_sas *sas = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		amlr_error_clear(&err);
		assert_int_equal(amlr_sas_parse(&sas, &err, cases[i].query,
						AMLR_SAS_STRICT),
				 AMLR_EINVAL);
		assert_null(sas);
		if (!strstr(err.message, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message,
				 cases[i].message);
		assert_null(strstr(err.message, "AAAA"));
	}
	/* Outside strict mode other query arguments are not SAS fields. */
	assert_int_equal(amlr_sas_parse(&sas, &err,
					"restype=container&comp=list&" V3_QUERY,
					0),
			 AMLR_OK);
	amlr_sas_free(sas);
}

static void test_sas__times(void **state)
{
	char s[AMLR_SAS_TIME_SIZE];
	time_t t;

	(void)state;
	assert_int_equal(amlr_sas_parse_time(&t, "2024-01-01T00:00:00Z"),
			 AMLR_OK);
	assert_int_equal((long long)t, 1704067200LL);
	assert_int_equal(amlr_sas_parse_time(&t, "2024-01-01"), AMLR_OK);
	assert_int_equal((long long)t, 1704067200LL);
	assert_int_equal(amlr_sas_parse_time(&t, "2024-02-29T12:30Z"), AMLR_OK);
	assert_int_equal((long long)t, 1709209800LL);
	assert_int_equal(
		amlr_sas_parse_time(&t, "2024-01-01T00:00:00.1234567Z"),
		AMLR_OK);
	assert_int_equal(amlr_sas_parse_time(&t, "2023-02-29"), AMLR_EINVAL);
	assert_int_equal(amlr_sas_parse_time(&t, "2024-01-01T00:00:00"),
			 AMLR_EINVAL);
	assert_int_equal(amlr_sas_parse_time(&t, "2024-01-01 00:00:00Z"),
			 AMLR_EINVAL);
	assert_int_equal(amlr_sas_parse_time(&t, "2024-1-01"), AMLR_EINVAL);
	amlr_sas_format_time(s, 4070908800); /* 2099-01-01 */
	assert_string_equal(s, "2099-01-01T00:00:00Z");
}

static void test_sas__check_time(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_sas *sas = NULL;

	(void)state;
	assert_int_equal(amlr_sas_parse(&sas, NULL, V4_QUERY, AMLR_SAS_STRICT),
			 AMLR_OK);
	assert_int_equal(amlr_sas_check_time(&err, sas, 1704067200, 0),
			 AMLR_OK);
	assert_int_equal(amlr_sas_check_time(&err, sas, 1704067199, 0),
			 AMLR_EAUTH);
	assert_non_null(strstr(err.message, "not valid before"));
	assert_int_equal(amlr_sas_check_time(&err, sas, 4070908800, 0),
			 AMLR_EAUTH);
	assert_string_equal(err.message, "SAS expired at 2099-01-01T00:00:00Z");
	assert_int_equal(amlr_sas_check_time(&err, sas, 4070908800 - 60, 3600),
			 AMLR_EAUTH);
	amlr_sas_free(sas);
	amlr_sas_free(NULL);
}

static void test_sas__make_refuses_bad_values(void **state)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	char *token = NULL;

	(void)state;
	v.permissions = "r";
	assert_int_equal(amlr_sas_service_new(&token, &err, ACCOUNT,
					      AMLR_DEV_ACCOUNT_KEY, "c", "b",
					      &v),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "expiry"));
	v.expiry = "2099-01-01";
	assert_int_equal(
		amlr_sas_service_new(&token, &err, ACCOUNT, "@@", "c", "b", &v),
		AMLR_EINVAL);
	assert_null(token);
	assert_int_equal(amlr_sas_account_new(&token, &err, ACCOUNT,
					      AMLR_DEV_ACCOUNT_KEY, &v),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "services (ss)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sas__v3_account),
		cmocka_unit_test(test_sas__v4_service_blob),
		cmocka_unit_test(test_sas__layouts_follow_version),
		cmocka_unit_test(test_sas__parse_round_trip),
		cmocka_unit_test(test_sas__parse_refuses_bad_tokens),
		cmocka_unit_test(test_sas__times),
		cmocka_unit_test(test_sas__check_time),
		cmocka_unit_test(test_sas__make_refuses_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
