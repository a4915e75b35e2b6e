/* SPDX-License-Identifier: MIT */
/* Shared Key: the known-answer vectors V1 and V2 of auth-storage.md §3.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/connstr.h"
#include "amlr/secret.h"
#include "amlr/sharedkey.h"
#include "sharedkey_internal.h"

#define DATE "x-ms-date: Mon, 01 Jan 2024 00:00:00 GMT"
#define VERSION "x-ms-version: 2021-12-02"

/* V1: create container "models" on Azurite (201 there). */
static void test_sharedkey__v1_create_container(void **state)
{
	const char *headers[] = { DATE, VERSION, "Content-Length: 0", NULL };
	amlr_buf sts = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	char *auth = NULL;

	(void)state;
	assert_int_equal(
		amlr_sharedkey_string_to_sign(&sts, "devstoreaccount1", "PUT",
					      "/devstoreaccount1/models",
					      "restype=container", headers),
		AMLR_OK);
	assert_string_equal(
		sts.ptr,
		"PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\nx-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/models\nrestype:container");
	assert_int_equal(
		amlr_sharedkey_authorization(&auth, &err, "devstoreaccount1",
					     AMLR_DEV_ACCOUNT_KEY, "PUT",
					     "/devstoreaccount1/models",
					     "restype=container", headers),
		AMLR_OK);
	assert_string_equal(
		auth,
		"SharedKey devstoreaccount1:AzGBiDhBCT/L47KgLxsysBHCEkZo5q2if5fjEnvd9do=");
	amlr_secret_free(auth);
	amlr_buf_release(&sts);
}

/* V2: Put Blob of "hello world\n" with a Content-Type. */
static void test_sharedkey__v2_put_blob(void **state)
{
	const char *headers[] = { "Content-Type: text/plain",
				  "x-ms-blob-type: BlockBlob",
				  DATE,
				  VERSION,
				  "Content-Length: 12",
				  NULL };
	amlr_buf sts = AMLR_BUF_INIT;
	char sig[AMLR_SHAREDKEY_SIG_SIZE];

	(void)state;
	assert_int_equal(amlr_sharedkey_string_to_sign(
				 &sts, "devstoreaccount1", "PUT",
				 "/devstoreaccount1/models/dir/a.txt", NULL,
				 headers),
			 AMLR_OK);
	assert_string_equal(
		sts.ptr,
		"PUT\n\n\n12\n\ntext/plain\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\nx-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/models/dir/a.txt");
	assert_int_equal(amlr_sharedkey_hmac(sig, NULL, AMLR_DEV_ACCOUNT_KEY,
					     sts.ptr, sts.len),
			 AMLR_OK);
	assert_string_equal(sig,
			    "5aeysLOgBQEI6mT+zYuy/kKWmjcX/qjJN4Iyh0ijmmI=");
	amlr_buf_release(&sts);
}

/* The documentation's example: query arguments sorted, timeout kept. */
static void test_sharedkey__doc_example_query_order(void **state)
{
	const char *headers[] = { "x-ms-version: 2009-09-19",
				  "x-ms-date: Sun, 11 Oct 2009 21:49:13 GMT",
				  NULL };
	amlr_buf sts = AMLR_BUF_INIT;

	(void)state;
	assert_int_equal(amlr_sharedkey_string_to_sign(
				 &sts, "myaccount", "GET", "/mycontainer",
				 "restype=container&comp=metadata&timeout=20",
				 headers),
			 AMLR_OK);
	assert_string_equal(
		sts.ptr,
		"GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20");
	amlr_buf_release(&sts);
}

/* Query values decoded, names lower-cased, repeated names joined. */
static void test_sharedkey__query_decoded_and_joined(void **state)
{
	amlr_buf sts = AMLR_BUF_INIT;
	const char *tail;

	(void)state;
	assert_int_equal(
		amlr_sharedkey_string_to_sign(
			&sts, "a", "PUT", "/c/b",
			"comp=block&blockid=YmxrLTAwMDE%3D&Include=snapshots&include=metadata",
			NULL),
		AMLR_OK);
	tail = strstr(sts.ptr, "/a/c/b");
	assert_non_null(tail);
	assert_string_equal(
		tail,
		"/a/c/b\nblockid:YmxrLTAwMDE=\ncomp:block\ninclude:metadata,snapshots");
	amlr_buf_release(&sts);
}

/* x-ms- headers: lower-cased, sorted, values trimmed and collapsed. */
static void test_sharedkey__headers_canonical(void **state)
{
	const char *headers[] = { "X-MS-Meta-B:   two   words  ",
				  "x-ms-meta-a: \"keep  this\"",
				  "Range: bytes=0-9",
				  "If-Match: \"0x1\"",
				  "x-ms-meta-empty:",
				  NULL };
	amlr_buf sts = AMLR_BUF_INIT;

	(void)state;
	assert_int_equal(amlr_sharedkey_string_to_sign(&sts, "a", "GET", "/c",
						       NULL, headers),
			 AMLR_OK);
	assert_string_equal(
		sts.ptr,
		"GET\n\n\n\n\n\n\n\n\"0x1\"\n\n\nbytes=0-9\nx-ms-meta-a:\"keep  this\"\nx-ms-meta-b:two words\nx-ms-meta-empty:\n/a/c");
	amlr_buf_release(&sts);
}

/* Signing "0" as the length instead of "" is what Azurite refuses. */
static void test_sharedkey__zero_length_signed_empty(void **state)
{
	const char *with[] = { "Content-Length: 0", NULL };
	const char *without[] = { NULL };
	amlr_buf a = AMLR_BUF_INIT, b = AMLR_BUF_INIT;

	(void)state;
	assert_int_equal(
		amlr_sharedkey_string_to_sign(&a, "a", "PUT", "/c", NULL, with),
		AMLR_OK);
	assert_int_equal(amlr_sharedkey_string_to_sign(&b, "a", "PUT", "/c",
						       NULL, without),
			 AMLR_OK);
	assert_string_equal(a.ptr, b.ptr);
	amlr_buf_release(&a);
	amlr_buf_release(&b);
}

static void test_sharedkey__bad_key_refused(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	char sig[AMLR_SHAREDKEY_SIG_SIZE];
	char *auth = NULL;

	(void)state;
	assert_int_equal(amlr_sharedkey_hmac(sig, &err, "not*base64", "x", 1),
			 AMLR_EINVAL);
	assert_int_equal(err.code, AMLR_EINVAL);
	assert_null(strstr(err.message, "not*base64"));
	assert_int_equal(amlr_sharedkey_authorization(&auth, &err, "a", "abc",
						      "GET", "/", NULL, NULL),
			 AMLR_EINVAL);
	assert_null(auth);
	assert_int_equal(amlr_sharedkey_key_valid(AMLR_DEV_ACCOUNT_KEY), 1);
	assert_int_equal(amlr_sharedkey_key_valid("YQ="), 0);
	assert_int_equal(amlr_sharedkey_key_valid(""), 0);
}

static void test_sharedkey__http_date_fixed_names(void **state)
{
	char d[AMLR_HTTP_DATE_SIZE];

	(void)state;
	amlr_http_date(d, 1704067200); /* 2024-01-01T00:00:00Z */
	assert_string_equal(d, "Mon, 01 Jan 2024 00:00:00 GMT");
	amlr_http_date(d, 784111777);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
}

static void test_sharedkey__base64_round_trip(void **state)
{
	amlr_buf b = AMLR_BUF_INIT, u = AMLR_BUF_INIT;
	unsigned char *raw = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(amlr_sharedkey__b64_encode(&b, "blk-000001", 10),
			 AMLR_OK);
	assert_string_equal(b.ptr, "YmxrLTAwMDAwMQ==");
	assert_int_equal(amlr_sharedkey__b64_decode(&raw, &n, b.ptr), AMLR_OK);
	assert_int_equal(n, 10);
	assert_memory_equal(raw, "blk-000001", 10);
	free(raw);
	assert_int_equal(amlr_sharedkey__b64_decode(&raw, &n, "YQ=a"),
			 AMLR_EINVAL);
	assert_int_equal(amlr_sharedkey__url_encode(&u, "a b/c+=ü", "/"),
			 AMLR_OK);
	assert_string_equal(u.ptr, "a%20b/c%2B%3D%C3%BC");
	amlr_buf_release(&u);
	amlr_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sharedkey__v1_create_container),
		cmocka_unit_test(test_sharedkey__v2_put_blob),
		cmocka_unit_test(test_sharedkey__doc_example_query_order),
		cmocka_unit_test(test_sharedkey__query_decoded_and_joined),
		cmocka_unit_test(test_sharedkey__headers_canonical),
		cmocka_unit_test(test_sharedkey__zero_length_signed_empty),
		cmocka_unit_test(test_sharedkey__bad_key_refused),
		cmocka_unit_test(test_sharedkey__http_date_fixed_names),
		cmocka_unit_test(test_sharedkey__base64_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
