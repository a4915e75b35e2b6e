/* SPDX-License-Identifier: MIT */
/* The classic management client against a scripted server (notes §3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/classic.h"
#include "helper_server.h"

#define WS "0123456789abcdef0123456789abcdef"
#define WSID "fedcba9876543210fedcba9876543210"
#define TOKEN "workspace-token-1"
#define BASE "/workspaces/" WS "/webservices"

struct fixture {
	struct test_server srv;
	amlr_client *client;
	amlr_classic *classic;
	char endpoint[64];
};

/* Start the session; the script must be in f->srv.replies already. */
static void start(struct fixture *f)
{
	amlr_client_opts co = AMLR_CLIENT_OPTS_INIT;
	amlr_classic_opts o = AMLR_CLASSIC_OPTS_INIT;

	co.retry.max_attempts = 1;
	assert_int_equal(amlr_client_new(&f->client, &co), AMLR_OK);
	test_server_start(&f->srv);
	/* A trailing slash, as users paste it: no "//" may follow. */
	test_server_url(f->endpoint, sizeof(f->endpoint), &f->srv, "/");
	o.endpoint = f->endpoint;
	o.workspace_id = WS;
	o.token = TOKEN;
	assert_int_equal(amlr_classic_new(&f->classic, f->client, &o), AMLR_OK);
}

static void finish(struct fixture *f)
{
	test_server_stop(&f->srv);
	amlr_classic_free(f->classic);
	amlr_client_free(f->client);
}

/* The body of recorded request @p i (after the blank line). */
static const char *body_of(const struct fixture *f, int i)
{
	const char *p = strstr(f->srv.requests[i], "\r\n\r\n");

	return p ? p + 4 : "";
}

static void test_classic__list_webservices_url_and_auth(void **state)
{
	struct fixture f;
	amlr_json *list = NULL;
	char auth[64];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "",
				      "[{\"Id\":\"" WSID "\",\"Name\":\"p\"}]");
	f.srv.nreplies = 1;
	start(&f);
	assert_int_equal(amlr_classic_webservice_list(&list, f.classic),
			 AMLR_OK);
	finish(&f);
	/* No api-version on the management host (notes §3.1). */
	assert_non_null(strstr(f.srv.requests[0], "GET " BASE " HTTP/1.1"));
	test_header_of(auth, sizeof(auth), f.srv.requests[0], "Authorization");
	assert_string_equal(auth, "Bearer " TOKEN);
	assert_int_equal(amlr_json_len(list), 1);
	assert_string_equal(amlr_json_get_str(amlr_json_at(list, 0), "Id"),
			    WSID);
	amlr_json_free(list);
}

static void test_classic__no_content_is_an_empty_list(void **state)
{
	struct fixture f;
	amlr_json *ws = NULL, *eps = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	/* 204 = none, for web services and endpoints (notes §3.1). */
	f.srv.replies[0] = test_reply("204 No Content", "", "");
	f.srv.replies[1] = test_reply("204 No Content", "", "");
	f.srv.nreplies = 2;
	start(&f);
	assert_int_equal(amlr_classic_webservice_list(&ws, f.classic), AMLR_OK);
	assert_int_equal(amlr_classic_endpoint_list(&eps, f.classic, WSID),
			 AMLR_OK);
	finish(&f);
	assert_int_equal(amlr_json_type_of(ws), AMLR_JSON_ARRAY);
	assert_int_equal(amlr_json_len(ws), 0);
	assert_int_equal(amlr_json_type_of(eps), AMLR_JSON_ARRAY);
	assert_int_equal(amlr_json_len(eps), 0);
	assert_non_null(strstr(f.srv.requests[1],
			       "GET " BASE "/" WSID "/endpoints HTTP/1.1"));
	amlr_json_free(ws);
	amlr_json_free(eps);
}

static void test_classic__get_endpoint_no_content_is_not_found(void **state)
{
	struct fixture f;
	amlr_json *ep = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	/* The swagger lists 204 for GET endpoint (notes §3.1). */
	f.srv.replies[0] = test_reply("204 No Content", "", "");
	f.srv.nreplies = 1;
	start(&f);
	assert_int_equal(amlr_classic_endpoint_get(&ep, f.classic, WSID, "ep2"),
			 AMLR_ENOTFOUND);
	assert_string_equal(amlr_client_error(f.client)->message,
			    "endpoint 'ep2' not found");
	finish(&f);
	assert_null(ep);
}

static void test_classic__ids_stay_one_path_segment(void **state)
{
	struct fixture f;
	amlr_json *eps = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "[]");
	f.srv.nreplies = 1;
	start(&f);
	assert_int_equal(amlr_classic_endpoint_list(&eps, f.classic, "a/b?c"),
			 AMLR_OK);
	finish(&f);
	assert_non_null(strstr(f.srv.requests[0],
			       "GET " BASE "/a%2Fb%3Fc/endpoints HTTP/1.1"));
	amlr_json_free(eps);
}

static void test_classic__get_webservice_and_endpoint(void **state)
{
	struct fixture f;
	amlr_json *ws = NULL, *ep = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "{\"Id\":\"" WSID "\"}");
	f.srv.replies[1] = test_reply("200 OK", "", "{\"Name\":\"ep-1\"}");
	f.srv.nreplies = 2;
	start(&f);
	assert_int_equal(amlr_classic_webservice_get(&ws, f.classic, WSID),
			 AMLR_OK);
	assert_int_equal(
		amlr_classic_endpoint_get(&ep, f.classic, WSID, "ep-1"),
		AMLR_OK);
	finish(&f);
	assert_non_null(
		strstr(f.srv.requests[0], "GET " BASE "/" WSID " HTTP/1.1"));
	assert_non_null(strstr(f.srv.requests[1], "GET " BASE "/" WSID
						  "/endpoints/ep-1 HTTP/1.1"));
	assert_string_equal(amlr_json_get_str(ep, "Name"), "ep-1");
	amlr_json_free(ws);
	amlr_json_free(ep);
}

static void test_classic__add_sends_the_settings(void **state)
{
	amlr_classic_endpoint_settings s = AMLR_CLASSIC_ENDPOINT_SETTINGS_INIT;
	struct fixture f;
	amlr_json *ep = NULL;
	char ctype[64];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "{\"Name\":\"ep2\"}");
	f.srv.replies[1] = test_reply("201 Created", "", "");
	f.srv.nreplies = 2;
	start(&f);
	s.description = "second \"one\"";
	s.throttle_level = "High";
	s.max_concurrent_calls = 20;
	s.prevent_update = 1;
	assert_int_equal(
		amlr_classic_endpoint_add(&ep, f.classic, WSID, "ep2", &s),
		AMLR_OK);
	assert_string_equal(amlr_json_get_str(ep, "Name"), "ep2");
	amlr_json_free(ep);
	/* Unset values are JSON null and PreventUpdate false, as azuremlps
	 * sends them (notes §3.4);
	 * a reply without a body is success without an Endpoint. */
	assert_int_equal(
		amlr_classic_endpoint_add(&ep, f.classic, WSID, "ep3", NULL),
		AMLR_OK);
	assert_null(ep);
	finish(&f);
	assert_non_null(strstr(f.srv.requests[0],
			       "PUT " BASE "/" WSID "/endpoints/ep2 HTTP/1.1"));
	test_header_of(ctype, sizeof(ctype), f.srv.requests[0], "Content-Type");
	assert_non_null(strstr(ctype, "application/json"));
	assert_string_equal(
		body_of(&f, 0),
		"{\"Description\":\"second \\\"one\\\"\",\"ThrottleLevel\":\"High\",\"MaxConcurrentCalls\":20,\"PreventUpdate\":true}");
	assert_string_equal(
		body_of(&f, 1),
		"{\"Description\":null,\"ThrottleLevel\":null,\"MaxConcurrentCalls\":null,\"PreventUpdate\":false}");
}

static void test_classic__patch_body_and_request(void **state)
{
	amlr_classic_resource r = { "Census Model [trained model]",
				    "https://acct.blob.core.windows.net/",
				    "models/new.ilearner",
				    "?sv=2022-11-02&sr=b&sp=r&sig=SECRET" };
	struct fixture f;
	char auth[64];

	(void)state;
	memset(&f, 0, sizeof(f));
	/* The success code is not documented: any 2xx (notes §3.5). */
	f.srv.replies[0] = test_reply("200 OK", "", "");
	f.srv.replies[1] = test_reply("204 No Content", "", "");
	f.srv.nreplies = 2;
	start(&f);
	assert_int_equal(
		amlr_classic_endpoint_patch(f.classic, WSID, "ep2", &r, 1),
		AMLR_OK);
	assert_int_equal(
		amlr_classic_endpoint_patch(f.classic, WSID, "ep2", &r, 1),
		AMLR_OK);
	finish(&f);
	assert_non_null(strstr(f.srv.requests[0], "PATCH " BASE "/" WSID
						  "/endpoints/ep2 HTTP/1.1"));
	test_header_of(auth, sizeof(auth), f.srv.requests[0], "Authorization");
	assert_string_equal(auth, "Bearer " TOKEN);
	/* An object with a Resources array, never a bare array; the docs'
	 * member order. */
	assert_string_equal(
		body_of(&f, 0),
		"{\"Resources\":[{\"Name\":\"Census Model [trained model]\",\"Location\":{\"BaseLocation\":\"https://acct.blob.core.windows.net/\",\"RelativeLocation\":\"models/new.ilearner\",\"SasBlobToken\":\"?sv=2022-11-02&sr=b&sp=r&sig=SECRET\"}}]}");
}

static void test_classic__patch_body_refuses_incomplete_resources(void **state)
{
	amlr_classic_resource r = { "m [trained model]", "https://a/", NULL,
				    NULL };
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;

	(void)state;
	assert_int_equal(amlr_classic_patch_body(&b, &err, &r, 1), AMLR_EINVAL);
	assert_int_equal(amlr_classic_patch_body(&b, &err, NULL, 0),
			 AMLR_EINVAL);
	assert_int_equal(b.len, 0);
	amlr_buf_release(&b);
}

static void test_classic__refresh_reports_unchanged(void **state)
{
	struct fixture f;
	int refreshed = -1;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "");
	/* 304 = nothing changed, not refreshed (notes §3.6). */
	f.srv.replies[1] = test_reply("304 Not Modified", "", "");
	f.srv.nreplies = 2;
	start(&f);
	assert_int_equal(amlr_classic_endpoint_refresh(&refreshed, f.classic,
						       WSID, "ep2", 1),
			 AMLR_OK);
	assert_int_equal(refreshed, 1);
	assert_int_equal(amlr_classic_endpoint_refresh(&refreshed, f.classic,
						       WSID, "ep2", 0),
			 AMLR_OK);
	assert_int_equal(refreshed, 0);
	finish(&f);
	assert_non_null(strstr(f.srv.requests[0],
			       "POST " BASE "/" WSID
			       "/endpoints/ep2/refresh HTTP/1.1"));
	assert_string_equal(body_of(&f, 0), "{\"OverwriteResources\":true}");
	assert_string_equal(body_of(&f, 1), "{\"OverwriteResources\":false}");
}

static void test_classic__delete(void **state)
{
	struct fixture f;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "");
	f.srv.nreplies = 1;
	start(&f);
	assert_int_equal(amlr_classic_endpoint_delete(f.classic, WSID, "ep2"),
			 AMLR_OK);
	finish(&f);
	assert_non_null(strstr(f.srv.requests[0], "DELETE " BASE "/" WSID
						  "/endpoints/ep2 HTTP/1.1"));
}

static void test_classic__errors_carry_the_service_envelope(void **state)
{
	struct fixture f;
	amlr_json *ep = NULL;
	const amlr_error *e;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply(
		"404 Not Found", "x-ms-request-id: rid-404\r\n",
		"{\"error\":{\"code\":\"NotFound\",\"message\":\"Endpoint not found.\",\"details\":[{\"code\":\"EndpointNotFound\",\"target\":\"ep9\",\"message\":\"No endpoint ep9.\"}]}}");
	f.srv.replies[1] = test_reply(
		"401 Unauthorized", "",
		"{\"error\":{\"code\":\"Unauthorized\",\"message\":\"Bad key.\",\"details\":[{\"code\":\"ManagementRequestUnauthorized\",\"message\":\"Invalid credentials provided.\"}]}}");
	f.srv.replies[2] = test_reply(
		"400 Bad Request", "",
		"{\"error\":{\"code\":\"BadArgument\",\"message\":\"The default endpoint cannot be patched.\"}}");
	f.srv.nreplies = 3;
	start(&f);
	assert_int_equal(amlr_classic_endpoint_get(&ep, f.classic, WSID, "ep9"),
			 AMLR_ENOTFOUND);
	e = amlr_client_error(f.client);
	assert_int_equal(e->http_status, 404);
	assert_string_equal(e->service_code, "NotFound");
	assert_string_equal(e->message, "Endpoint not found.");
	assert_string_equal(e->request_id, "rid-404");
	assert_string_equal(e->details, "EndpointNotFound: No endpoint ep9.");
	assert_int_equal(amlr_classic_endpoint_list(&ep, f.classic, WSID),
			 AMLR_EAUTH);
	assert_string_equal(
		amlr_client_error(f.client)->details,
		"ManagementRequestUnauthorized: Invalid credentials provided.");
	assert_int_equal(amlr_classic_endpoint_delete(f.classic, WSID, "ep9"),
			 AMLR_EINVAL);
	assert_string_equal(amlr_client_error(f.client)->service_code,
			    "BadArgument");
	finish(&f);
	assert_null(ep);
}

static void test_classic__replies_that_are_not_json(void **state)
{
	struct fixture f;
	amlr_json *ep = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "<html>");
	f.srv.replies[1] = test_reply("200 OK", "", "{\"Name\":\"x\"}");
	f.srv.nreplies = 2;
	start(&f);
	assert_int_equal(amlr_classic_endpoint_get(&ep, f.classic, WSID, "ep2"),
			 AMLR_ESERVER);
	/* An object where a list belongs. */
	assert_int_equal(amlr_classic_endpoint_list(&ep, f.classic, WSID),
			 AMLR_ESERVER);
	finish(&f);
	assert_null(ep);
}

static void test_classic__name_rule_before_any_request(void **state)
{
	static const char *const bad[] = { "",
					   "Upper",
					   "-lead",
					   "trail-",
					   "under_score",
					   "dot.ted",
					   "with space",
					   "a/b",
					   "abcdefghijklmnopqrstuvwxy", /* 25 */
					   NULL };
	static const char *const good[] = { "a",
					    "0",
					    "a-b",
					    "default",
					    "abcdefghijklmnopqrstuvwx", /* 24 */
					    "rentalloc001",
					    NULL };
	amlr_classic_resource r = { "m", "https://a/", "c/m.ilearner", NULL };
	amlr_error err = AMLR_ERROR_INIT;
	struct fixture f;
	amlr_json *ep = NULL;
	size_t i;

	(void)state;
	for (i = 0; bad[i]; i++)
		assert_int_equal(amlr_classic_check_endpoint_name(&err, bad[i]),
				 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "1-24 lower-case letters"));
	assert_int_equal(amlr_classic_check_endpoint_name(&err, NULL),
			 AMLR_EINVAL);
	for (i = 0; good[i]; i++)
		assert_int_equal(
			amlr_classic_check_endpoint_name(&err, good[i]),
			AMLR_OK);
	memset(&f, 0, sizeof(f));
	f.srv.nreplies = 1; /* would answer, but must never be asked */
	f.srv.replies[0] = test_reply("200 OK", "", "{}");
	start(&f);
	assert_int_equal(
		amlr_classic_endpoint_get(&ep, f.classic, WSID, "Bad_Name"),
		AMLR_EINVAL);
	assert_int_equal(
		amlr_classic_endpoint_add(NULL, f.classic, WSID, "-x", NULL),
		AMLR_EINVAL);
	assert_int_equal(
		amlr_classic_endpoint_patch(f.classic, WSID, "a_b", &r, 1),
		AMLR_EINVAL);
	assert_int_equal(amlr_classic_endpoint_delete(f.classic, WSID, "A"),
			 AMLR_EINVAL);
	assert_int_equal(
		amlr_classic_endpoint_refresh(NULL, f.classic, WSID, "", 1),
		AMLR_EINVAL);
	assert_int_equal(amlr_client_error(f.client)->code, AMLR_EINVAL);
	finish(&f);
	assert_int_equal(f.srv.served, 0);
}

static void test_classic__location_table(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	char *url = NULL;

	(void)state;
	/* azuremlps's SetApiUrl (notes §0). */
	assert_int_equal(
		amlr_classic_location_url(&url, &err, "South Central US"),
		AMLR_OK);
	assert_string_equal(url, "https://management.azureml.net");
	free(url);
	assert_int_equal(amlr_classic_location_url(&url, &err, NULL), AMLR_OK);
	assert_string_equal(url, "https://management.azureml.net");
	free(url);
	assert_int_equal(amlr_classic_location_url(&url, &err, "West Europe"),
			 AMLR_OK);
	assert_string_equal(url, "https://europewest.management.azureml.net");
	free(url);
	assert_int_equal(
		amlr_classic_location_url(&url, &err, "germany central"),
		AMLR_OK);
	assert_string_equal(url,
			    "https://germanycentral.management.azureml.de");
	free(url);
	assert_int_equal(
		amlr_classic_location_url(&url, &err, "Southeast Asia"),
		AMLR_OK);
	assert_string_equal(url,
			    "https://asiasoutheast.management.azureml.net");
	free(url);
	assert_int_equal(
		amlr_classic_location_url(&url, &err, "West Central US"),
		AMLR_OK);
	assert_string_equal(url,
			    "https://uswestcentral.management.azureml.net");
	free(url);
	assert_int_equal(amlr_classic_location_url(&url, &err, "Japan East"),
			 AMLR_OK);
	assert_string_equal(url, "https://japaneast.management.azureml.net");
	free(url);
	assert_int_equal(amlr_classic_location_url(&url, &err, "East US"),
			 AMLR_EINVAL);
	assert_null(url);
	assert_non_null(strstr(err.message, "unsupported location 'East US'"));
}

static void test_classic__new_checks_options(void **state)
{
	amlr_classic_opts o = AMLR_CLASSIC_OPTS_INIT;
	amlr_client *client = NULL;
	amlr_classic *c = NULL;

	(void)state;
	assert_int_equal(amlr_client_new(&client, NULL), AMLR_OK);
	o.token = TOKEN;
	assert_int_equal(amlr_classic_new(&c, client, &o), AMLR_EINVAL);
	o.workspace_id = WS;
	o.token = NULL;
	assert_int_equal(amlr_classic_new(&c, client, &o), AMLR_EINVAL);
	o.token = TOKEN;
	o.location = "Mars";
	assert_int_equal(amlr_classic_new(&c, client, &o), AMLR_EINVAL);
	o.location = "West Europe";
	assert_int_equal(amlr_classic_new(&c, client, &o), AMLR_OK);
	assert_string_equal(amlr_classic_endpoint(c),
			    "https://europewest.management.azureml.net");
	amlr_classic_free(c);
	o.endpoint = "ftp://x";
	assert_int_equal(amlr_classic_new(&c, client, &o), AMLR_EINVAL);
	assert_null(c);
	amlr_classic_free(NULL);
	amlr_client_free(client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic__list_webservices_url_and_auth),
		cmocka_unit_test(test_classic__no_content_is_an_empty_list),
		cmocka_unit_test(test_classic__ids_stay_one_path_segment),
		cmocka_unit_test(test_classic__get_webservice_and_endpoint),
		cmocka_unit_test(
			test_classic__get_endpoint_no_content_is_not_found),
		cmocka_unit_test(test_classic__add_sends_the_settings),
		cmocka_unit_test(test_classic__patch_body_and_request),
		cmocka_unit_test(
			test_classic__patch_body_refuses_incomplete_resources),
		cmocka_unit_test(test_classic__refresh_reports_unchanged),
		cmocka_unit_test(test_classic__delete),
		cmocka_unit_test(
			test_classic__errors_carry_the_service_envelope),
		cmocka_unit_test(test_classic__replies_that_are_not_json),
		cmocka_unit_test(test_classic__name_rule_before_any_request),
		cmocka_unit_test(test_classic__location_table),
		cmocka_unit_test(test_classic__new_checks_options),
	};

	amlr_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
