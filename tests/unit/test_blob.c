/* SPDX-License-Identifier: MIT */
/* The blob client's offline parts: URLs, names, endpoints, freeing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/blob.h"
#include "amlr/secret.h"

#define SAS \
	"sv=2022-11-02&spr=https%2Chttp&st=2024-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=mMu95LQIrM7tvSJpvJh6scwfNmfmg%2BSSzZ9ooQjIK3k%3D"

/* Path-style (IP host): the account is the first path segment. */
static void test_blob__url_path_style(void **state)
{
	amlr_blob *b = NULL;
	char *c = NULL, *n = NULL;
	amlr_error err = AMLR_ERROR_INIT;

	(void)state;
	assert_int_equal(
		amlr_blob_from_url(
			&b, &c, &n, &err,
			"http://127.0.0.1:10000/devstoreaccount1/models/dir/a%20b.txt?" SAS,
			NULL),
		AMLR_OK);
	assert_string_equal(c, "models");
	assert_string_equal(n, "dir/a b.txt");
	assert_string_equal(amlr_blob_endpoint(b),
			    "http://127.0.0.1:10000/devstoreaccount1");
	assert_string_equal(amlr_blob_account(b), "devstoreaccount1");
	amlr_blob_free(b);
	free(c);
	free(n);
}

/* Host-style: the account is the host's first label; a container URL. */
static void test_blob__url_host_style_container(void **state)
{
	amlr_blob *b = NULL;
	char *c = NULL, *n = NULL;

	(void)state;
	assert_int_equal(
		amlr_blob_from_url(
			&b, &c, &n, NULL,
			"https://acct.blob.core.windows.net/models?" SAS, NULL),
		AMLR_OK);
	assert_string_equal(c, "models");
	assert_null(n);
	assert_string_equal(amlr_blob_endpoint(b),
			    "https://acct.blob.core.windows.net");
	assert_string_equal(amlr_blob_account(b), "acct");
	amlr_blob_free(b);
	free(c);
}

static void test_blob__url_refused(void **state)
{
	static const struct {
		const char *url;
		const char *message;
	} cases[] = {
		{ "https://acct.blob.core.windows.net/models/x", "no SAS" },
		{ "https://acct.blob.core.windows.net/?" SAS, "no container" },
		{ "http://example.com/models/x?" SAS, "only https" },
		{ "https://acct.blob.core.windows.net/models/x?sv=2022-11-02&sr=b&sp=r&sig=AAAA",
		  "no expiry" },
		{ "not a url", "invalid blob URL" },
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob *b = NULL;
	char *c = NULL, *n = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		amlr_error_clear(&err);
		assert_int_equal(amlr_blob_from_url(&b, &c, &n, &err,
						    cases[i].url, NULL),
				 AMLR_EINVAL);
		assert_null(b);
		assert_null(c);
		assert_null(n);
		if (!strstr(err.message, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message,
				 cases[i].message);
		assert_null(strstr(err.message, "mMu95"));
	}
}

static void test_blob__new_checks_credentials(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob *b = NULL;

	(void)state;
	assert_int_equal(amlr_blob_new(&b, &err, "https://a.blob.x", NULL,
				       "YWJj", NULL, NULL),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "needs an account"));
	assert_int_equal(amlr_blob_new(&b, &err, "https://a.blob.x", "a",
				       "not base64!", NULL, NULL),
			 AMLR_EINVAL);
	assert_null(strstr(err.message, "not base64!"));
	assert_int_equal(amlr_blob_new(&b, &err, "http://10.0.0.1/a", "a",
				       AMLR_DEV_ACCOUNT_KEY, NULL, NULL),
			 AMLR_EINVAL);
	assert_null(b);
	assert_int_equal(amlr_blob_new(&b, &err, "http://[::1]:10000/acct/",
				       "acct", AMLR_DEV_ACCOUNT_KEY, NULL,
				       NULL),
			 AMLR_OK);
	assert_string_equal(amlr_blob_endpoint(b), "http://[::1]:10000/acct");
	amlr_blob_free(b);
}

/* Making a SAS URL needs no network: V4's signature for the same values. */
static void test_blob__sas_url_needs_key(void **state)
{
	amlr_blob *b = NULL;
	char *url = NULL, *c = NULL, *n = NULL;

	(void)state;
	assert_int_equal(
		amlr_blob_new(
			&b, NULL, "http://127.0.0.1:10000/devstoreaccount1",
			"devstoreaccount1", AMLR_DEV_ACCOUNT_KEY, NULL, NULL),
		AMLR_OK);
	assert_int_equal(amlr_blob_sas_url(&url, b, "models", "dir/a b.txt",
					   "r", time(NULL) + 3600),
			 AMLR_OK);
	assert_int_equal(
		strncmp(url,
			"http://127.0.0.1:10000/devstoreaccount1/models/dir/a%20b.txt?sv=",
			64),
		0);
	assert_non_null(strstr(url, "&sr=b&sp=r&sig="));
	amlr_secret_free(url);
	assert_int_equal(
		amlr_blob_sas_url(&url, b, "models", "x", "r", time(NULL) - 1),
		AMLR_EINVAL);
	assert_int_equal(
		amlr_blob_sas_url(&url, b, "Models", "x", "r", time(NULL) + 60),
		AMLR_EINVAL);
	assert_null(url);
	amlr_blob_free(b);
	assert_int_equal(
		amlr_blob_from_url(&b, &c, &n, NULL,
				   "http://127.0.0.1/devstoreaccount1/ccc?" SAS,
				   NULL),
		AMLR_OK);
	assert_int_equal(
		amlr_blob_sas_url(&url, b, "ccc", NULL, "r", time(NULL) + 60),
		AMLR_EINVAL);
	assert_non_null(strstr(amlr_blob_error(b)->message, "account key"));
	amlr_blob_free(b);
	free(c);
	free(n);
}

static void test_blob__container_names(void **state)
{
	(void)state;
	assert_int_equal(amlr_blob_container_name_valid("models"), 1);
	assert_int_equal(amlr_blob_container_name_valid("a-b-1"), 1);
	assert_int_equal(amlr_blob_container_name_valid("ab"), 0);
	assert_int_equal(amlr_blob_container_name_valid("Models"), 0);
	assert_int_equal(amlr_blob_container_name_valid("-ab"), 0);
	assert_int_equal(amlr_blob_container_name_valid("a--b"), 0);
	assert_int_equal(amlr_blob_container_name_valid("ab-"), 0);
}

/*
 * "." and ".." segments are refused before any URL is made: libcurl (as
 * every URL resolver) would remove them and name another blob, or another
 * container ("../other/x").  Dots elsewhere are names like any other.
 */
static void test_blob__dot_segments_refused(void **state)
{
	static const char *const bad[] = { "..",     ".",     "../other/x",
					   "a/../b", "a/./b", "a/..",
					   "./a" };
	static const char *const good[] = { "..a", "a..", ".hidden", "a/...",
					    "v1.2/model.ilearner" };
	amlr_blob *b = NULL;
	char *url = NULL;
	size_t i;

	(void)state;
	assert_int_equal(
		amlr_blob_new(
			&b, NULL, "http://127.0.0.1:10000/devstoreaccount1",
			"devstoreaccount1", AMLR_DEV_ACCOUNT_KEY, NULL, NULL),
		AMLR_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(amlr_blob_sas_url(&url, b, "models", bad[i],
						   "r", time(NULL) + 60),
				 AMLR_EINVAL);
		assert_null(url);
		assert_non_null(strstr(amlr_blob_error(b)->message,
				       "no '.' or '..' segment"));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(amlr_blob_sas_url(&url, b, "models", good[i],
						   "r", time(NULL) + 60),
				 AMLR_OK);
		amlr_secret_free(url);
		url = NULL;
	}
	amlr_blob_free(b);
}

static void test_blob__free_accepts_null(void **state)
{
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;

	(void)state;
	amlr_blob_free(NULL);
	amlr_blob_props_release(NULL);
	amlr_blob_props_release(&p);
}

static int setup(void **state)
{
	(void)state;
	return amlr_global_init() == AMLR_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	amlr_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob__url_path_style),
		cmocka_unit_test(test_blob__url_host_style_container),
		cmocka_unit_test(test_blob__url_refused),
		cmocka_unit_test(test_blob__new_checks_credentials),
		cmocka_unit_test(test_blob__sas_url_needs_key),
		cmocka_unit_test(test_blob__container_names),
		cmocka_unit_test(test_blob__dot_segments_refused),
		cmocka_unit_test(test_blob__free_accepts_null),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
