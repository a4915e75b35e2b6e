/* SPDX-License-Identifier: MIT */
/* The HTTP client against a scripted loopback server: retries, ids, traces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "helper_server.h"

static amlr_client *client(unsigned attempts, unsigned max_total_ms)
{
	amlr_client_opts o = AMLR_CLIENT_OPTS_INIT;
	amlr_client *c = NULL;

	o.retry.max_attempts = attempts;
	o.retry.base_delay_ms = 10;
	o.retry.max_delay_ms = 40;
	o.retry.max_total_ms = max_total_ms;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	assert_int_equal(amlr_client_new(&c, &o), AMLR_OK);
	return c;
}

static const char arm_throttled[] =
	"{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}}";

static void test_http__retries_503_then_succeeds(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client(4, 10000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	char u[128], id1[64], id2[64], corr[64];

	(void)state;
	s.replies[0] =
		test_reply("503 Service Unavailable", "Retry-After: 0\r\n", "");
	s.replies[1] = test_reply("200 OK", "", "{\"ok\":true}");
	s.nreplies = 2;
	test_server_start(&s);
	test_server_url(u, sizeof(u), &s, "/health");
	req.url = u;
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_OK);
	assert_int_equal(amlr_response_status(resp), 200);
	assert_string_equal(amlr_response_body(resp, NULL), "{\"ok\":true}");
	assert_string_equal(amlr_response_header(resp, "content-type"),
			    "application/json");
	test_server_stop(&s);
	assert_int_equal(s.served, 2);
	/* One request id across the retries, the client's correlation id. */
	test_header_of(id1, sizeof(id1), s.requests[0],
		       "x-ms-client-request-id");
	test_header_of(id2, sizeof(id2), s.requests[1],
		       "x-ms-client-request-id");
	test_header_of(corr, sizeof(corr), s.requests[1],
		       "x-ms-correlation-request-id");
	assert_int_equal(strlen(id1), 36);
	assert_string_equal(id1, id2);
	assert_string_equal(corr, amlr_client_correlation_id(c));
	amlr_response_free(resp);
	amlr_client_free(c);
}

static void test_http__throttled_until_attempts_run_out(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client(3, 10000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	const amlr_error *e;
	char u[128];
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		s.replies[i] = test_reply("429 Too Many Requests",
					  "x-ms-retry-after-ms: 5\r\n"
					  "x-ms-request-id: rid-429\r\n",
					  arm_throttled);
	s.nreplies = 3;
	test_server_start(&s);
	test_server_url(u, sizeof(u), &s, "/subscriptions");
	req.url = u;
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_ETHROTTLED);
	assert_null(resp);
	test_server_stop(&s);
	assert_int_equal(s.served, 3);
	e = amlr_client_error(c);
	assert_int_equal(e->code, AMLR_ETHROTTLED);
	assert_int_equal(e->http_status, 429);
	assert_string_equal(e->service_code, "TooManyRequests");
	assert_string_equal(e->message, "slow down");
	assert_string_equal(e->request_id, "rid-429");
	amlr_client_free(c);
}

/* A request that is not idempotent (a job submit) is sent again only
 * when the service said it did not carry it out (429, 503). */
static void non_idempotent(const char *first, amlr_code want, int served)
{
	struct test_server s = { 0 };
	amlr_client *c = client(4, 10000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	char u[128];

	s.replies[0] = test_reply(first, "Retry-After: 0\r\n", "");
	s.replies[1] = test_reply("200 OK", "", "");
	s.nreplies = 2;
	test_server_start(&s);
	test_server_url(u, sizeof(u), &s, "/jobs");
	req.method = "POST";
	req.url = u;
	req.body = "{}";
	req.body_len = 2;
	req.flags = AMLR_REQ_NON_IDEMPOTENT;
	assert_int_equal(amlr_http_send(&resp, c, &req), want);
	test_server_stop(&s);
	assert_int_equal(s.served, served);
	amlr_response_free(resp);
	amlr_client_free(c);
}

static void test_http__non_idempotent_not_retried(void **state)
{
	(void)state;
	/* the submit may have happened */
	non_idempotent("500 Internal Server Error", AMLR_ESERVER, 1);
	non_idempotent("502 Bad Gateway", AMLR_ESERVER, 1);
	/* refused: it did not */
	non_idempotent("503 Service Unavailable", AMLR_OK, 2);
	non_idempotent("429 Too Many Requests", AMLR_OK, 2);
}

static void test_http__not_found_is_final(void **state)
{
	static const char body[] =
		"{\"error\":{\"code\":\"WebServiceNotFound\",\"message\":\"Web service ws1 was not found\"}}";
	struct test_server s = { 0 };
	amlr_client *c = client(4, 10000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	const amlr_error *e;
	char u[128];

	(void)state;
	s.replies[0] = test_reply("404 Not Found",
				  "x-ms-request-id: rid-404\r\n", body);
	s.nreplies = 1;
	test_server_start(&s);
	test_server_url(u, sizeof(u), &s, "/ws1?api-version=2017-01-01");
	req.url = u;
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_ENOTFOUND);
	test_server_stop(&s);
	assert_int_equal(s.served, 1);
	e = amlr_client_error(c);
	assert_string_equal(e->service_code, "WebServiceNotFound");
	assert_string_equal(e->request_id, "rid-404");
	amlr_client_free(c);
}

static void test_http__retry_after_beyond_budget_gives_up(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client(4, 1000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	char u[128];
	time_t t0 = time(NULL);

	(void)state;
	s.replies[0] =
		test_reply("429 Too Many Requests", "Retry-After: 30\r\n", "");
	s.nreplies = 1;
	test_server_start(&s);
	test_server_url(u, sizeof(u), &s, "/x");
	req.url = u;
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_ETHROTTLED);
	test_server_stop(&s);
	assert_int_equal(s.served, 1);
	assert_true(time(NULL) - t0 < 10); /* did not sit out the 30 s */
	amlr_client_free(c);
}

static void test_http__connection_refused_is_network_error(void **state)
{
	amlr_client *c = client(2, 5000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	struct test_server s = { 0 };
	char u[128];

	(void)state;
	/* A port that was free a moment ago and has no listener now. */
	s.nreplies = 0;
	test_server_start(&s);
	test_server_stop(&s);
	test_server_url(u, sizeof(u), &s, "/x");
	req.url = u;
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_ENET);
	assert_int_equal(amlr_client_error(c)->code, AMLR_ENET);
	assert_int_equal(strlen(amlr_client_error(c)->request_id), 36);
	amlr_client_free(c);
}

static void test_http__only_https_or_loopback(void **state)
{
	static const char *const refused[] = {
		"http://example.com/x",
		"http://127.0.0.1.example.com/x",
		"ftp://127.0.0.1/x",
		"file:///etc/passwd",
		"not a url",
	};
	amlr_client *c = client(1, 1000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		req.url = refused[i];
		assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_EINVAL);
		assert_null(resp);
	}
	amlr_client_free(c);
}

struct seen {
	amlr_buf all;
};

static void collect(amlr_trace_kind kind, const char *text, size_t len,
		    void *payload)
{
	struct seen *s = payload;

	(void)kind;
	amlr_buf_put(&s->all, text, len);
	amlr_buf_puts(&s->all, "\n");
}

static void test_http__trace_is_redacted(void **state)
{
	static const char body[] =
		"{\"token_type\":\"Bearer\",\"access_token\":\"TOKEN-SECRET\"}";
	struct test_server s = { 0 };
	struct seen seen = { AMLR_BUF_INIT };
	amlr_client *c = client(1, 1000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	const char *headers[] = {
		"Authorization: Bearer HEADER-SECRET",
		"Content-Type: application/x-www-form-urlencoded", NULL
	};
	static const char form[] =
		"grant_type=client_credentials&client_secret=FORM-SECRET";
	char u[160];

	(void)state;
	s.replies[0] = test_reply("200 OK", "", body);
	s.nreplies = 1;
	test_server_start(&s);
	snprintf(u, sizeof(u),
		 "http://127.0.0.1:%d/c/b?sv=2021&sig=QUERY-SECRET", s.port);
	req.method = "POST";
	req.url = u;
	req.headers = headers;
	req.body = form;
	req.body_len = strlen(form);
	amlr_client_set_trace_cb(c, collect, &seen);
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_OK);
	test_server_stop(&s);
	/* The secrets went out and came back ... */
	assert_non_null(strstr(s.requests[0], "HEADER-SECRET"));
	assert_non_null(strstr(amlr_response_body(resp, NULL), "TOKEN-SECRET"));
	/* ... and none of them reached the trace. */
	assert_non_null(seen.all.ptr);
	assert_null(strstr(seen.all.ptr, "SECRET"));
	assert_non_null(strstr(seen.all.ptr, "Authorization: REDACTED"));
	assert_non_null(strstr(seen.all.ptr, "sig=REDACTED"));
	assert_non_null(strstr(seen.all.ptr, "client_secret=REDACTED"));
	assert_non_null(strstr(seen.all.ptr, "\"access_token\":\"REDACTED\""));
	amlr_buf_release(&seen.all);
	amlr_response_free(resp);
	amlr_client_free(c);
}

static void test_http__body_from_file(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client(1, 1000);
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	char u[128], path[] = "/tmp/amlr-body-XXXXXX", len[32];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"a\":1}", 7), 7);
	close(fd);
	s.replies[0] = test_reply("201 Created", "", "");
	s.nreplies = 1;
	test_server_start(&s);
	test_server_url(u, sizeof(u), &s, "/put");
	req.method = "PUT";
	req.url = u;
	req.body_file = path;
	assert_int_equal(amlr_http_send(&resp, c, &req), AMLR_OK);
	test_server_stop(&s);
	assert_int_equal(amlr_response_status(resp), 201);
	assert_non_null(strstr(s.requests[0], "PUT /put HTTP/1.1"));
	test_header_of(len, sizeof(len), s.requests[0], "content-length");
	assert_string_equal(len, "7");
	assert_non_null(strstr(s.requests[0], "\r\n\r\n{\"a\":1}"));
	unlink(path);
	amlr_response_free(resp);
	amlr_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http__retries_503_then_succeeds),
		cmocka_unit_test(test_http__throttled_until_attempts_run_out),
		cmocka_unit_test(test_http__non_idempotent_not_retried),
		cmocka_unit_test(test_http__not_found_is_final),
		cmocka_unit_test(test_http__retry_after_beyond_budget_gives_up),
		cmocka_unit_test(
			test_http__connection_refused_is_network_error),
		cmocka_unit_test(test_http__only_https_or_loopback),
		cmocka_unit_test(test_http__trace_is_redacted),
		cmocka_unit_test(test_http__body_from_file),
	};
	int rc;

	amlr_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	amlr_global_cleanup();
	return rc;
}
