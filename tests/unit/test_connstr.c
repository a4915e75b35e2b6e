/* SPDX-License-Identifier: MIT */
/* Connection strings: every documented key, the development shortcut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/connstr.h"

/* Azurite's documented string for its well-known account. */
static void test_connstr__azurite_string(void **state)
{
	amlr_connstr *cs = NULL;

	(void)state;
	assert_int_equal(
		amlr_connstr_parse(
			&cs, NULL,
			"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" AMLR_DEV_ACCOUNT_KEY
			";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"),
		AMLR_OK);
	assert_string_equal(amlr_connstr_account(cs), "devstoreaccount1");
	assert_string_equal(amlr_connstr_key(cs), AMLR_DEV_ACCOUNT_KEY);
	assert_string_equal(amlr_connstr_blob_endpoint(cs),
			    "http://127.0.0.1:10000/devstoreaccount1");
	assert_null(amlr_connstr_sas(cs));
	amlr_connstr_free(cs);
}

static void test_connstr__development_shortcut(void **state)
{
	amlr_connstr *cs = NULL;

	(void)state;
	assert_int_equal(
		amlr_connstr_parse(&cs, NULL, "UseDevelopmentStorage=true"),
		AMLR_OK);
	assert_string_equal(amlr_connstr_blob_endpoint(cs),
			    "http://127.0.0.1:10000/devstoreaccount1");
	assert_string_equal(amlr_connstr_account(cs), AMLR_DEV_ACCOUNT);
	assert_string_equal(amlr_connstr_key(cs), AMLR_DEV_ACCOUNT_KEY);
	amlr_connstr_free(cs);
	assert_int_equal(
		amlr_connstr_parse(
			&cs, NULL,
			"UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.2"),
		AMLR_OK);
	assert_string_equal(amlr_connstr_blob_endpoint(cs),
			    "http://127.0.0.2:10000/devstoreaccount1");
	amlr_connstr_free(cs);
}

/* Name and suffix; keys in any case; blanks and empty pairs tolerated. */
static void test_connstr__cloud_account(void **state)
{
	amlr_connstr *cs = NULL;

	(void)state;
	assert_int_equal(
		amlr_connstr_parse(
			&cs, NULL,
			" defaultendpointsprotocol = https ;; ACCOUNTNAME=acct;accountkey=YWJj;EndpointSuffix=core.chinacloudapi.cn;"),
		AMLR_OK);
	assert_string_equal(amlr_connstr_blob_endpoint(cs),
			    "https://acct.blob.core.chinacloudapi.cn");
	assert_string_equal(amlr_connstr_get(cs, "EndpointSuffix"),
			    "core.chinacloudapi.cn");
	amlr_connstr_free(cs);
	assert_int_equal(amlr_connstr_parse(&cs, NULL, "AccountName=acct"),
			 AMLR_OK);
	assert_string_equal(amlr_connstr_blob_endpoint(cs),
			    "https://acct.blob.core.windows.net");
	assert_null(amlr_connstr_key(cs));
	amlr_connstr_free(cs);
}

/* A SAS value keeps its '=' and '&'; BlobEndpoint wins, '/' trimmed. */
static void test_connstr__sas_and_endpoints(void **state)
{
	amlr_connstr *cs = NULL;

	(void)state;
	assert_int_equal(
		amlr_connstr_parse(
			&cs, NULL,
			"BlobEndpoint=https://acct.blob.core.windows.net/;QueueEndpoint=https://acct.queue.core.windows.net;TableEndpoint=https://t;FileEndpoint=https://f;BlobSecondaryEndpoint=https://s;SharedAccessSignature=sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2099-01-01&sig=a%2Bb%3D"),
		AMLR_OK);
	assert_string_equal(amlr_connstr_blob_endpoint(cs),
			    "https://acct.blob.core.windows.net");
	assert_string_equal(
		amlr_connstr_sas(cs),
		"sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2099-01-01&sig=a%2Bb%3D");
	assert_null(amlr_connstr_account(cs));
	amlr_connstr_free(cs);
	assert_int_equal(
		amlr_connstr_parse(
			&cs, NULL,
			"BlobEndpoint=https://x;SharedAccessSignature=?sv=1"),
		AMLR_OK);
	assert_string_equal(amlr_connstr_sas(cs), "sv=1");
	amlr_connstr_free(cs);
}

/* Each malformed string: EINVAL and a message naming the key only. */
static void test_connstr__malformed(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "AccountName=a;AccountKey", "has no '='" },
		{ "=x;AccountName=a", "empty key" },
		{ "AccountName=a;AcountKey=c2VjcmV0",
		  "unknown connection string key 'AcountKey'" },
		{ "AccountName=a;AccountName=b", "'AccountName' given twice" },
		{ "AccountName=a;AccountKey=secret!!",
		  "'AccountKey' is not base64" },
		{ "AccountKey=c2VjcmV0", "no AccountName" },
		{ "DefaultEndpointsProtocol=ftp;AccountName=a",
		  "must be http or https" },
		{ "BlobEndpoint=127.0.0.1:10000",
		  "'BlobEndpoint' is not an http(s) URL" },
		/* tests/fuzz/regressions/connstr: no host, endpoint "https:" */
		{ "BlobEndpoint=https:///",
		  "'BlobEndpoint' is not an http(s) URL" },
		{ "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http:///",
		  "'DevelopmentStorageProxyUri' is not an http(s) URL" },
		{ "DefaultEndpointsProtocol=https",
		  "neither BlobEndpoint nor AccountName" },
		{ "", "neither BlobEndpoint nor AccountName" },
		{ "UseDevelopmentStorage=yes", "must be true" },
		{ "UseDevelopmentStorage=true;AccountName=x",
		  "cannot be used with UseDevelopmentStorage" },
		{ "AccountName=;BlobEndpoint=http://x",
		  "'AccountName' is empty" },
		{ "BlobEndpoint=http://x;SharedAccessSignature=",
		  "'SharedAccessSignature' is empty" },
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_connstr *cs = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		amlr_error_clear(&err);
		assert_int_equal(amlr_connstr_parse(&cs, &err, cases[i].text),
				 AMLR_EINVAL);
		assert_null(cs);
		if (!strstr(err.message, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message,
				 cases[i].message);
		assert_null(strstr(err.message, "c2VjcmV0"));
		assert_null(strstr(err.message, "secret!!"));
	}
	amlr_connstr_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connstr__azurite_string),
		cmocka_unit_test(test_connstr__development_shortcut),
		cmocka_unit_test(test_connstr__cloud_account),
		cmocka_unit_test(test_connstr__sas_and_endpoints),
		cmocka_unit_test(test_connstr__malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
