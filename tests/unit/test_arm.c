/* SPDX-License-Identifier: MIT */
/* Resource Manager sessions against a scripted server: paging, operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/arm.h"
#include "amlr/credential.h"
#include "amlr/webservice.h"
#include "helper_server.h"

struct fixture {
	struct test_server srv;
	amlr_client *client;
	amlr_credential *cred;
	amlr_arm *arm;
	char endpoint[64];
	char urls[TEST_MAX_REPLIES][256];
};

/* Start the session; the script must be in f->srv.replies already. */
static void start(struct fixture *f)
{
	amlr_client_opts co = AMLR_CLIENT_OPTS_INIT;
	amlr_credential_opts cr = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_arm_opts ao = AMLR_ARM_OPTS_INIT;

	co.retry.max_attempts = 1;
	assert_int_equal(amlr_client_new(&f->client, &co), AMLR_OK);
	cr.kind = AMLR_CRED_TOKEN;
	cr.access_token = "TOKEN-1";
	assert_int_equal(amlr_credential_new(&f->cred, NULL, &cr), AMLR_OK);
	test_server_start(&f->srv);
	test_server_url(f->endpoint, sizeof(f->endpoint), &f->srv, "/");
	ao.endpoint = f->endpoint;
	ao.poll_min_ms = 10;
	ao.poll_max_ms = 50;
	ao.lro_timeout_ms = 5000;
	assert_int_equal(amlr_arm_new(&f->arm, f->client, f->cred, &ao),
			 AMLR_OK);
}

static void finish(struct fixture *f)
{
	test_server_stop(&f->srv);
	amlr_arm_free(f->arm);
	amlr_credential_free(f->cred);
	amlr_client_free(f->client);
}

/* The port is known only once the server listens: replies that carry
 * URLs of the server are made with a placeholder and fixed up here. */
static const char *with_port(struct fixture *f, int i, const char *fmt)
{
	char port[16];
	const char *p = strstr(fmt, "PORT");

	snprintf(port, sizeof(port), "%d", f->srv.port);
	if (!p)
		return fmt;
	snprintf(f->urls[i], sizeof(f->urls[i]), "%.*s%s%s", (int)(p - fmt),
		 fmt, port, p + 4);
	return f->urls[i];
}

static void test_arm__send_authenticates_and_versions(void **state)
{
	struct fixture f;
	amlr_json *ws = NULL;
	char auth[64], accept[64];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply("200 OK", "", "{\"name\":\"ws1\"}");
	f.srv.nreplies = 1;
	start(&f);
	assert_int_equal(
		amlr_arm_get(&ws, f.arm, "/subscriptions/s/x", "2017-01-01"),
		AMLR_OK);
	assert_string_equal(amlr_json_get_str(ws, "name"), "ws1");
	finish(&f);
	assert_non_null(
		strstr(f.srv.requests[0],
		       "GET /subscriptions/s/x?api-version=2017-01-01 "));
	test_header_of(auth, sizeof(auth), f.srv.requests[0], "Authorization");
	assert_string_equal(auth, "Bearer TOKEN-1");
	test_header_of(accept, sizeof(accept), f.srv.requests[0], "Accept");
	assert_string_equal(accept, "application/json");
	amlr_json_free(ws);
}

static void test_arm__list_follows_every_next_link(void **state)
{
	struct fixture f;
	amlr_json *items = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	/* Three pages, the middle one empty: only a missing nextLink ends
	 * the list (notes/auth-storage.md §2, Paging). */
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = 3;
	start(&f);
	f.srv.replies[0] = test_reply(
		"200 OK", "",
		with_port(
			&f, 0,
			"{\"value\":[{\"n\":1},{\"n\":2}],\"nextLink\":\"http://127.0.0.1:PORT/p2?api-version=2017-01-01&$skiptoken=a\"}"));
	f.srv.replies[1] = test_reply(
		"200 OK", "",
		with_port(
			&f, 1,
			"{\"value\":[],\"nextLink\":\"http://127.0.0.1:PORT/p3?api-version=2017-01-01&$skiptoken=b\"}"));
	f.srv.replies[2] = test_reply(
		"200 OK", "", "{\"value\":[{\"n\":3}],\"nextLink\":null}");
	assert_int_equal(amlr_arm_list(&items, f.arm, "subscriptions/s/ws",
				       "2017-01-01"),
			 AMLR_OK);
	finish(&f);
	assert_int_equal(amlr_json_len(items), 3);
	/* nextLinks are sent verbatim, with no second api-version. */
	assert_non_null(strstr(f.srv.requests[1],
			       "GET /p2?api-version=2017-01-01&$skiptoken=a "));
	assert_non_null(strstr(f.srv.requests[2],
			       "GET /p3?api-version=2017-01-01&$skiptoken=b "));
	amlr_json_free(items);
}

static void test_arm__list_refuses_a_next_link_loop(void **state)
{
	struct fixture f;
	amlr_json *items = NULL;
	const char *page;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = 3;
	start(&f);
	page = test_reply(
		"200 OK", "",
		with_port(
			&f, 0,
			"{\"value\":[],\"nextLink\":\"http://127.0.0.1:PORT/same\"}"));
	f.srv.replies[0] = page;
	f.srv.replies[1] = page;
	f.srv.replies[2] = page;
	assert_int_equal(amlr_arm_list(&items, f.arm, "subscriptions/s/ws",
				       "2017-01-01"),
			 AMLR_ESERVER);
	assert_null(items);
	finish(&f);
}

/* PATCH → Azure-AsyncOperation polled until Succeeded → final GET. */
static void test_arm__wait_async_operation(void **state)
{
	struct fixture f;
	amlr_response *resp = NULL;
	amlr_json *ws = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = 5;
	start(&f);
	f.srv.replies[0] = test_reply(
		"200 OK",
		with_port(
			&f, 0,
			"Azure-AsyncOperation: http://127.0.0.1:PORT/op/1?api-version=2017-01-01\r\nx-ms-request-id: rid-patch\r\n"),
		"{\"properties\":{\"provisioningState\":\"Provisioning\"}}");
	f.srv.replies[1] =
		test_reply("200 OK", "", "{\"status\":\"InProgress\"}");
	f.srv.replies[2] = test_reply(
		"200 OK", "",
		"{\"provisioningState\":\"Provisioning\",\"status\":\"Provisioning\"}");
	f.srv.replies[3] = test_reply(
		"200 OK", "",
		"{\"status\":\"Succeeded\",\"provisioningState\":\"Succeeded\"}");
	f.srv.replies[4] = test_reply(
		"200 OK", "",
		"{\"name\":\"ws1\",\"properties\":{\"provisioningState\":\"Succeeded\"}}");
	assert_int_equal(amlr_arm_send(&resp, f.arm, "PATCH", "ws/ws1",
				       "2017-01-01", "{}", 0),
			 AMLR_OK);
	assert_int_equal(
		amlr_arm_wait(&ws, f.arm, resp, "ws/ws1", "2017-01-01"),
		AMLR_OK);
	finish(&f);
	assert_int_equal(f.srv.served, 5);
	assert_non_null(
		strstr(f.srv.requests[1], "GET /op/1?api-version=2017-01-01 "));
	assert_non_null(strstr(f.srv.requests[4],
			       "GET /ws/ws1?api-version=2017-01-01 "));
	assert_string_equal(amlr_json_get_str(ws, "name"), "ws1");
	amlr_json_free(ws);
	amlr_response_free(resp);
}

static void test_arm__wait_reports_a_failed_operation(void **state)
{
	struct fixture f;
	amlr_response *resp = NULL;
	amlr_json *ws = NULL;
	const amlr_error *e;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = 2;
	start(&f);
	f.srv.replies[0] = test_reply(
		"201 Created",
		with_port(
			&f, 0,
			"Azure-AsyncOperation: http://127.0.0.1:PORT/op/2\r\nx-ms-request-id: rid-put\r\n"),
		"{}");
	/* This provider's own shape: provisioningState and errorInfo. */
	f.srv.replies[1] = test_reply(
		"200 OK", "",
		"{\"provisioningState\":\"Failed\",\"errorInfo\":{\"code\":\"InvalidAsset\",\"message\":\"asset3 cannot be read\"}}");
	assert_int_equal(amlr_arm_send(&resp, f.arm, "PUT", "ws/ws1",
				       "2017-01-01", "{}", 0),
			 AMLR_OK);
	assert_int_equal(
		amlr_arm_wait(&ws, f.arm, resp, "ws/ws1", "2017-01-01"),
		AMLR_ESERVER);
	assert_null(ws);
	e = amlr_client_error(f.client);
	assert_string_equal(e->service_code, "InvalidAsset");
	assert_string_equal(
		e->message,
		"the operation ended Failed: asset3 cannot be read");
	assert_string_equal(e->request_id, "rid-put");
	finish(&f);
	amlr_response_free(resp);
}

static void test_arm__wait_location_then_done(void **state)
{
	struct fixture f;
	amlr_response *resp = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = 3;
	start(&f);
	f.srv.replies[0] = test_reply(
		"202 Accepted",
		with_port(&f, 0, "Location: http://127.0.0.1:PORT/loc/1\r\n"),
		"");
	f.srv.replies[1] = test_reply("202 Accepted", "", "");
	f.srv.replies[2] = test_reply("204 No Content", "", "");
	assert_int_equal(amlr_arm_send(&resp, f.arm, "DELETE", "ws/ws1",
				       "2017-01-01", NULL, 0),
			 AMLR_OK);
	assert_int_equal(amlr_arm_wait(NULL, f.arm, resp, NULL, "2017-01-01"),
			 AMLR_OK);
	finish(&f);
	assert_int_equal(f.srv.served, 3);
	assert_non_null(strstr(f.srv.requests[2], "GET /loc/1 "));
	amlr_response_free(resp);
}

static void test_arm__wait_polls_provisioning_state(void **state)
{
	struct fixture f;
	amlr_response *resp = NULL;
	amlr_json *ws = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = test_reply(
		"200 OK", "",
		"{\"properties\":{\"provisioningState\":\"Provisioning\"}}");
	f.srv.replies[1] = test_reply(
		"200 OK", "",
		"{\"properties\":{\"provisioningState\":\"Provisioning\"}}");
	f.srv.replies[2] = test_reply(
		"200 OK", "",
		"{\"name\":\"w\",\"properties\":{\"provisioningState\":\"Succeeded\"}}");
	f.srv.replies[3] = test_reply(
		"200 OK", "",
		"{\"name\":\"w\",\"properties\":{\"provisioningState\":\"Succeeded\"}}");
	f.srv.nreplies = 4;
	start(&f);
	assert_int_equal(amlr_arm_send(&resp, f.arm, "PATCH", "ws/w",
				       "2017-01-01", "{}", 0),
			 AMLR_OK);
	assert_int_equal(amlr_arm_wait(&ws, f.arm, resp, "ws/w", "2017-01-01"),
			 AMLR_OK);
	finish(&f);
	assert_int_equal(f.srv.served, 4);
	assert_string_equal(amlr_json_get_str(ws, "name"), "w");
	amlr_json_free(ws);
	amlr_response_free(resp);
}

static void test_arm__wait_honours_retry_after(void **state)
{
	struct fixture f;
	amlr_response *resp = NULL;
	struct timespec t0, t1;
	long ms;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = 2;
	start(&f);
	f.srv.replies[0] = test_reply(
		"202 Accepted",
		with_port(
			&f, 0,
			"Azure-AsyncOperation: http://127.0.0.1:PORT/op/3\r\nRetry-After: 1\r\n"),
		"");
	f.srv.replies[1] =
		test_reply("200 OK", "", "{\"status\":\"Succeeded\"}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(amlr_arm_send(&resp, f.arm, "POST", "ws/w/x",
				       "2017-01-01", NULL, 0),
			 AMLR_OK);
	assert_int_equal(amlr_arm_wait(NULL, f.arm, resp, NULL, "2017-01-01"),
			 AMLR_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	finish(&f);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* Waited the second the service asked for, not poll_min_ms. */
	assert_true(ms >= 950);
	amlr_response_free(resp);
}

static void test_arm__wait_gives_up_after_timeout(void **state)
{
	struct fixture f;
	amlr_response *resp = NULL;
	amlr_arm_opts ao = AMLR_ARM_OPTS_INIT;
	amlr_arm *slow = NULL;
	int i;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.srv.replies[0] = "placeholder";
	f.srv.nreplies = TEST_MAX_REPLIES;
	start(&f);
	f.srv.replies[0] = test_reply(
		"202 Accepted",
		with_port(&f, 0,
			  "Azure-AsyncOperation: http://127.0.0.1:PORT/op\r\n"),
		"");
	for (i = 1; i < TEST_MAX_REPLIES; i++)
		f.srv.replies[i] =
			test_reply("200 OK", "", "{\"status\":\"InProgress\"}");
	ao.endpoint = f.endpoint;
	ao.poll_min_ms = 20;
	ao.poll_max_ms = 20;
	ao.lro_timeout_ms = 150;
	assert_int_equal(amlr_arm_new(&slow, f.client, f.cred, &ao), AMLR_OK);
	assert_int_equal(
		amlr_arm_send(&resp, slow, "POST", "x", "2017-01-01", NULL, 0),
		AMLR_OK);
	assert_int_equal(amlr_arm_wait(NULL, slow, resp, NULL, "2017-01-01"),
			 AMLR_ENET);
	assert_non_null(strstr(amlr_client_error(f.client)->message,
			       "still InProgress"));
	amlr_arm_free(slow);
	finish(&f);
	amlr_response_free(resp);
}

static void test_arm__webservice_paths(void **state)
{
	amlr_webservice_ref ref = { "sub-1", "rg 1", "Retrain.2016.8.17",
				    NULL };
	amlr_error err = AMLR_ERROR_INIT;
	char *p = NULL;

	(void)state;
	assert_int_equal(amlr_webservice_path(&p, &err, &ref), AMLR_OK);
	assert_string_equal(
		p,
		"subscriptions/sub-1/resourceGroups/rg%201/providers/Microsoft.MachineLearning/webServices/Retrain.2016.8.17");
	free(p);
	ref.name = "a/b";
	assert_int_equal(amlr_webservice_path(&p, &err, &ref), AMLR_EINVAL);
	assert_string_equal(err.message, "invalid web service name 'a/b'");
	ref.name = "trailing ";
	assert_int_equal(amlr_webservice_path(&p, &err, &ref), AMLR_EINVAL);
	ref.name = "ok";
	ref.subscription_id = NULL;
	assert_int_equal(amlr_webservice_path(&p, &err, &ref), AMLR_EINVAL);
	assert_string_equal(err.message, "no subscription given");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm__send_authenticates_and_versions),
		cmocka_unit_test(test_arm__list_follows_every_next_link),
		cmocka_unit_test(test_arm__list_refuses_a_next_link_loop),
		cmocka_unit_test(test_arm__wait_async_operation),
		cmocka_unit_test(test_arm__wait_reports_a_failed_operation),
		cmocka_unit_test(test_arm__wait_location_then_done),
		cmocka_unit_test(test_arm__wait_polls_provisioning_state),
		cmocka_unit_test(test_arm__wait_honours_retry_after),
		cmocka_unit_test(test_arm__wait_gives_up_after_timeout),
		cmocka_unit_test(test_arm__webservice_paths),
	};
	int rc;

	amlr_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	amlr_global_cleanup();
	return rc;
}
