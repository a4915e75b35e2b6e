/* SPDX-License-Identifier: MIT */
/* The RRS client against a scripted server (classic-bes-rrs.md §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/rrs.h"
#include "helper_server.h"

#define KEY "RRS-KEY-SECRET"

static amlr_client *client(void)
{
	amlr_client_opts o = AMLR_CLIENT_OPTS_INIT;
	amlr_client *c = NULL;

	o.retry.max_attempts = 3;
	o.retry.base_delay_ms = 10;
	o.retry.max_delay_ms = 40;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	assert_int_equal(amlr_client_new(&c, &o), AMLR_OK);
	return c;
}

static amlr_rrs *rrs_on(amlr_client *c, const struct test_server *s,
			const char *tail)
{
	char u[256], path[128];
	amlr_rrs *r = NULL;

	snprintf(path, sizeof(path), "/workspaces/ws/services/svc%s", tail);
	test_server_url(u, sizeof(u), s, path);
	assert_int_equal(amlr_rrs_new(&r, c, u, KEY), AMLR_OK);
	return r;
}

static amlr_json *parse(const char *text)
{
	amlr_json *j = NULL;

	assert_int_equal(amlr_json_parse(&j, NULL, text, strlen(text)),
			 AMLR_OK);
	return j;
}

static char *text_of(const amlr_json *j)
{
	amlr_buf b = AMLR_BUF_INIT;

	assert_int_equal(amlr_json_serialize(&b, j, 0), AMLR_OK);
	return amlr_buf_detach(&b);
}

static void request_line(char *out, size_t n, const char *req)
{
	snprintf(out, n, "%.*s", (int)strcspn(req, "\r\n"), req);
}

static void test_rrs__execute_details_and_swagger(void **state)
{
	static const char details_reply[] =
		"{\"Results\":{\"output1\":{\"type\":\"table\",\"value\":{\"ColumnNames\":[\"age\",\"Scored Labels\"],\"ColumnTypes\":[\"Int32\",\"String\"],\"Values\":[[\"44\",\">50K\"]]}}},\"ContainerAllocationDurationMs\":0,\"ExecutionDurationMs\":42,\"IsWarmContainer\":true}";
	static const char swagger_reply[] =
		"{\"Results\":{\"output1\":[{\"age\":\"44\",\"Scored Labels\":\">50K\"}]}}";
	struct test_server s = { 0 };
	amlr_client *c = client();
	amlr_json *req = parse(
		"{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"age\"],\"Values\":[[\"44\"]]}},\"GlobalParameters\":{}}");
	amlr_json *out = NULL;
	amlr_rrs *r;
	char line[256], auth[64], *text;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", details_reply);
	s.replies[1] = test_reply("200 OK", "", swagger_reply);
	s.nreplies = 2;
	test_server_start(&s);
	/* Copied with its operation and query: both are dropped. */
	r = rrs_on(c, &s, "/execute?api-version=2.0&details=true");
	assert_int_equal(amlr_rrs_execute(&out, r, AMLR_RRS_DETAILS, req),
			 AMLR_OK);
	text = text_of(out);
	assert_string_equal(text, details_reply); /* as it is */
	free(text);
	amlr_json_free(out);
	assert_int_equal(amlr_rrs_execute(&out, r, AMLR_RRS_SWAGGER, req),
			 AMLR_OK);
	test_server_stop(&s);
	request_line(line, sizeof(line), s.requests[0]);
	assert_string_equal(
		line,
		"POST /workspaces/ws/services/svc/execute?api-version=2.0&details=true HTTP/1.1");
	request_line(line, sizeof(line), s.requests[1]);
	assert_string_equal(
		line,
		"POST /workspaces/ws/services/svc/execute?api-version=2.0&format=swagger HTTP/1.1");
	test_header_of(auth, sizeof(auth), s.requests[0], "Authorization");
	assert_string_equal(auth, "Bearer " KEY);
	test_header_of(auth, sizeof(auth), s.requests[0], "Content-Type");
	assert_string_equal(auth, "application/json; charset=utf-8");
	assert_non_null(
		strstr(s.requests[0],
		       "\r\n\r\n{\"Inputs\":{\"input1\":{\"ColumnNames\""));
	assert_string_equal(
		amlr_json_get_str(
			amlr_json_at(
				amlr_json_get(amlr_json_get(out, "Results"),
					      "output1"),
				0),
			"Scored Labels"),
		">50K");
	amlr_json_free(out);
	amlr_json_free(req);
	amlr_rrs_free(r);
	amlr_client_free(c);
}

static void test_rrs__errors_and_retries(void **state)
{
	static const char bad[] =
		"{\"error\":{\"code\":\"BadArgument\",\"message\":\"Invalid argument provided.\",\"details\":[{\"code\":\"InputParseError\",\"target\":\"input1\",\"message\":\"Parsing of input vector failed.\"}]}}";
	struct test_server s = { 0 };
	amlr_client *c = client();
	amlr_json *req = parse("{\"Inputs\":{}}");
	amlr_json *out = NULL;
	const amlr_error *e;
	amlr_rrs *r;

	(void)state;
	/* Scoring changes nothing: a 503 is tried again (§1.7). */
	s.replies[0] =
		test_reply("503 Service Unavailable", "Retry-After: 0\r\n", "");
	s.replies[1] = test_reply("200 OK", "", "{\"Results\":{}}");
	s.replies[2] = test_reply("400 Bad Request", "", bad);
	s.replies[3] = test_reply("200 OK", "", "<html>oops</html>");
	s.nreplies = 4;
	test_server_start(&s);
	r = rrs_on(c, &s, "");
	assert_int_equal(amlr_rrs_execute(&out, r, AMLR_RRS_DETAILS, req),
			 AMLR_OK);
	amlr_json_free(out);
	assert_int_equal(amlr_rrs_execute(&out, r, AMLR_RRS_DETAILS, req),
			 AMLR_EINVAL);
	assert_null(out);
	e = amlr_client_error(c);
	assert_string_equal(e->service_code, "BadArgument");
	assert_string_equal(e->details,
			    "InputParseError: Parsing of input vector failed.");
	assert_int_equal(amlr_rrs_execute(&out, r, AMLR_RRS_DETAILS, req),
			 AMLR_ESERVER);
	assert_null(out);
	test_server_stop(&s);
	assert_int_equal(s.served, 4);
	amlr_json_free(req);
	amlr_rrs_free(r);
	amlr_rrs_free(NULL);
	amlr_client_free(c);
}

static void test_rrs__request_from_rows(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *names = parse("[\"age\",\"sex\",\"ok\"]");
	amlr_json *rows = parse("[[44,\"Male\",true],[\"39\",null,false]]");
	amlr_json *bad = parse("[[1,\"a\",true],[2,\"b\"]]");
	amlr_json *nested = parse("[[1,[2],true]]");
	amlr_json *out = NULL;
	char *text;

	(void)state;
	/* details: cells as text (§2.1) */
	assert_int_equal(amlr_rrs_request_from_rows(&out, &err,
						    AMLR_RRS_DETAILS, "input1",
						    names, rows),
			 AMLR_OK);
	text = text_of(out);
	assert_string_equal(
		text,
		"{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"age\",\"sex\",\"ok\"],\"Values\":[[\"44\",\"Male\",\"true\"],[\"39\",null,\"false\"]]}},\"GlobalParameters\":{}}");
	free(text);
	amlr_json_free(out);
	/* swagger: an array of row objects (§2.2) */
	assert_int_equal(amlr_rrs_request_from_rows(&out, &err,
						    AMLR_RRS_SWAGGER, "data",
						    names, rows),
			 AMLR_OK);
	text = text_of(out);
	assert_string_equal(
		text,
		"{\"Inputs\":{\"data\":[{\"age\":44,\"sex\":\"Male\",\"ok\":true},{\"age\":\"39\",\"sex\":null,\"ok\":false}]},\"GlobalParameters\":{}}");
	free(text);
	amlr_json_free(out);
	out = NULL;
	assert_int_equal(amlr_rrs_request_from_rows(&out, &err,
						    AMLR_RRS_DETAILS, "input1",
						    names, bad),
			 AMLR_EINVAL);
	assert_string_equal(err.message,
			    "row 2 has 2 values; there are 3 columns");
	assert_null(out);
	assert_int_equal(amlr_rrs_request_from_rows(&out, &err,
						    AMLR_RRS_SWAGGER, "input1",
						    names, nested),
			 AMLR_EINVAL);
	assert_string_equal(err.message,
			    "row 1, column 'sex': not a single value");
	assert_null(out);
	amlr_json_free(nested);
	amlr_json_free(bad);
	amlr_json_free(rows);
	amlr_json_free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rrs__execute_details_and_swagger),
		cmocka_unit_test(test_rrs__errors_and_retries),
		cmocka_unit_test(test_rrs__request_from_rows),
	};
	int rc;

	amlr_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	amlr_global_cleanup();
	return rc;
}
