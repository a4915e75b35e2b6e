/* SPDX-License-Identifier: MIT */
/* The error model: frozen codes, categories, HTTP mapping, details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/error.h"
#include "http_internal.h"

static void test_error__codes_are_frozen(void **state)
{
	(void)state;
	/* These numbers are exit codes users script against (STYLE.md §4). */
	assert_int_equal(AMLR_OK, 0);
	assert_int_equal(AMLR_EFAIL, 1);
	assert_int_equal(AMLR_EINVAL, 2);
	assert_int_equal(AMLR_EAUTH, 3);
	assert_int_equal(AMLR_ENOTFOUND, 4);
	assert_int_equal(AMLR_ECONFLICT, 5);
	assert_int_equal(AMLR_ETHROTTLED, 6);
	assert_int_equal(AMLR_ENET, 7);
	assert_int_equal(AMLR_ESERVER, 8);
	assert_int_equal(AMLR_EIO, 9);
	assert_int_equal(AMLR_EJOBFAILED, 10);
	assert_int_equal(AMLR_ECANCELLED, 11);
	assert_int_equal(AMLR_ETIMEOUT, 12);
	assert_int_equal(AMLR_EGATE, 13);
}

static void test_error__categories(void **state)
{
	static const char *const want[] = {
		"",	    "Failed",	    "InvalidArgument", "Auth",
		"NotFound", "Conflict",	    "Throttled",       "Network",
		"Server",   "LocalIO",	    "JobFailed",       "Cancelled",
		"Timeout",  "GateRejected",
	};
	int c;

	(void)state;
	for (c = 0; c <= AMLR_CODE_MAX; c++) {
		assert_string_equal(amlr_code_category((amlr_code)c), want[c]);
		assert_non_null(amlr_strerror((amlr_code)c));
	}
	assert_non_null(amlr_strerror((amlr_code)99));
	assert_string_equal(amlr_code_category((amlr_code)99), "Failed");
}

static void test_error__http_mapping(void **state)
{
	(void)state;
	assert_int_equal(amlr_code_from_http(200), AMLR_OK);
	assert_int_equal(amlr_code_from_http(202), AMLR_OK);
	assert_int_equal(amlr_code_from_http(304), AMLR_OK);
	assert_int_equal(amlr_code_from_http(400), AMLR_EINVAL);
	assert_int_equal(amlr_code_from_http(401), AMLR_EAUTH);
	assert_int_equal(amlr_code_from_http(403), AMLR_EAUTH);
	assert_int_equal(amlr_code_from_http(404), AMLR_ENOTFOUND);
	assert_int_equal(amlr_code_from_http(410), AMLR_ENOTFOUND);
	assert_int_equal(amlr_code_from_http(409), AMLR_ECONFLICT);
	assert_int_equal(amlr_code_from_http(412), AMLR_ECONFLICT);
	assert_int_equal(amlr_code_from_http(408), AMLR_ENET);
	assert_int_equal(amlr_code_from_http(429), AMLR_ETHROTTLED);
	assert_int_equal(amlr_code_from_http(503), AMLR_ETHROTTLED);
	assert_int_equal(amlr_code_from_http(500), AMLR_ESERVER);
	assert_int_equal(amlr_code_from_http(502), AMLR_ESERVER);
	assert_int_equal(amlr_code_from_http(504), AMLR_ESERVER);
	assert_int_equal(amlr_code_from_http(415), AMLR_EINVAL);
	assert_int_equal(amlr_code_from_http(0), AMLR_ESERVER);
}

static void test_error__set_is_one_line(void **state)
{
	amlr_error e = AMLR_ERROR_INIT;

	(void)state;
	assert_int_equal(amlr_error_set(&e, AMLR_EIO, "a\nb\r\tc %d", 7),
			 AMLR_EIO);
	assert_int_equal(e.code, AMLR_EIO);
	assert_string_equal(e.message, "a b  c 7");
	amlr_error_clear(&e);
	assert_int_equal(e.code, AMLR_OK);
	assert_string_equal(e.message, "");
	/* NULL is allowed: the code still comes back. */
	assert_int_equal(amlr_error_set(NULL, AMLR_EINVAL, "x"), AMLR_EINVAL);
	amlr_error_clear(NULL);
}

/* Error bodies as recorded from Azure (../shared/reference/). */
static void test_error__arm_envelope(void **state)
{
	static const char body[] =
		"{\"error\":{\"code\":\"WebServiceNotFound\",\"message\":\"Web service amlws-1 was not found\"}}";
	amlr_error e = AMLR_ERROR_INIT;

	(void)state;
	amlr_http__error_from_reply(
		&e, 404, "GET", "https://management.azure.com/x?api-version=1",
		body, strlen(body), NULL, "rid-1");
	assert_int_equal(e.code, AMLR_ENOTFOUND);
	assert_int_equal(e.http_status, 404);
	assert_string_equal(e.service_code, "WebServiceNotFound");
	assert_string_equal(e.message, "Web service amlws-1 was not found");
	assert_string_equal(e.request_id, "rid-1");
}

static void test_error__arm_target_and_details(void **state)
{
	/* The provider's 404 as tests/fixtures/reference/recorded-sessions
	 * show it: a generic code, the specific one in details. */
	static const char body[] =
		"{\"error\":{\"code\":\"NotFound\",\"message\":\"The specified resource was not found.\",\"target\":\"ws1\",\"details\":[{\"code\":\"WebServiceNotFound\",\"message\":\"No Web Service could be found with the provided name: ws1.\"},{\"code\":\"Second\"}]}}";
	amlr_error e = AMLR_ERROR_INIT;

	(void)state;
	amlr_http__error_from_reply(&e, 404, "GET", "https://x/ws1", body,
				    strlen(body), NULL, "rid");
	assert_string_equal(e.service_code, "NotFound");
	assert_string_equal(e.target, "ws1");
	assert_string_equal(
		e.details,
		"WebServiceNotFound: No Web Service could be found with the provided name: ws1.; Second");
	amlr_error_clear(&e);
	assert_string_equal(e.details, "");
	assert_string_equal(e.target, "");
}

static void test_error__entra_envelope(void **state)
{
	static const char body[] =
		"{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: 1\\r\\nCorrelation ID: 2\",\"error_codes\":[7000215]}";
	amlr_error e = AMLR_ERROR_INIT;

	(void)state;
	amlr_http__error_from_reply(&e, 401, "POST", "https://login/x", body,
				    strlen(body), NULL, NULL);
	assert_int_equal(e.code, AMLR_EAUTH);
	assert_string_equal(e.service_code, "invalid_client");
	assert_string_equal(e.message,
			    "AADSTS7000215: Invalid client secret provided.");
	assert_string_equal(e.request_id, "");
}

static void test_error__storage_xml(void **state)
{
	static const char body[] =
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:abc\nTime:2024</Message></Error>";
	amlr_error e = AMLR_ERROR_INIT;

	(void)state;
	amlr_http__error_from_reply(
		&e, 403, "PUT",
		"https://a.blob.core.windows.net/c/b?sig=SECRET", body + 3,
		strlen(body) - 3, "AuthenticationFailed", "req-9");
	assert_int_equal(e.code, AMLR_EAUTH);
	assert_string_equal(e.service_code, "AuthenticationFailed");
	assert_string_equal(e.message,
			    "Server failed to authenticate the request.");
}

static void test_error__no_body_names_url_without_query(void **state)
{
	amlr_error e = AMLR_ERROR_INIT;

	(void)state;
	amlr_http__error_from_reply(
		&e, 503, "GET",
		"https://a.blob.core.windows.net/c/b?sv=1&sig=SECRET", "", 0,
		NULL, NULL);
	assert_int_equal(e.code, AMLR_ETHROTTLED);
	assert_string_equal(
		e.message,
		"GET https://a.blob.core.windows.net/c/b returned HTTP 503");
	assert_null(strstr(e.message, "SECRET"));
}

static void test_error__loopback_hosts(void **state)
{
	(void)state;
	assert_true(amlr_http__is_loopback("127.0.0.1"));
	assert_true(amlr_http__is_loopback("127.1.2.3"));
	assert_true(amlr_http__is_loopback("localhost"));
	assert_true(amlr_http__is_loopback("[::1]"));
	assert_false(amlr_http__is_loopback("127.0.0.1.evil.example"));
	assert_false(amlr_http__is_loopback("128.0.0.1"));
	assert_false(amlr_http__is_loopback("localhost.example"));
	assert_false(amlr_http__is_loopback(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error__codes_are_frozen),
		cmocka_unit_test(test_error__categories),
		cmocka_unit_test(test_error__http_mapping),
		cmocka_unit_test(test_error__set_is_one_line),
		cmocka_unit_test(test_error__arm_envelope),
		cmocka_unit_test(test_error__arm_target_and_details),
		cmocka_unit_test(test_error__entra_envelope),
		cmocka_unit_test(test_error__storage_xml),
		cmocka_unit_test(test_error__no_body_names_url_without_query),
		cmocka_unit_test(test_error__loopback_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
