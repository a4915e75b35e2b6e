/* SPDX-License-Identifier: MIT */
/* The BES client against a scripted server (classic-bes-rrs.md §1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/bes.h"
#include "helper_server.h"

#define KEY "KEY-SECRET-123"
#define ID "539d0bc2fde945b6ac986b851d0000f0"

static amlr_client *client(void)
{
	amlr_client_opts o = AMLR_CLIENT_OPTS_INIT;
	amlr_client *c = NULL;

	o.retry.max_attempts = 4;
	o.retry.base_delay_ms = 10;
	o.retry.max_delay_ms = 40;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	assert_int_equal(amlr_client_new(&c, &o), AMLR_OK);
	return c;
}

/* A handle on the server's /workspaces/ws/services/svc, given as @p tail
 * after it (e.g. "/jobs?api-version=2.0", as the C# sample's BaseUrl). */
static amlr_bes *bes_on(amlr_client *c, const struct test_server *s,
			const char *tail)
{
	char u[256], path[128];
	amlr_bes *b = NULL;

	snprintf(path, sizeof(path), "/workspaces/ws/services/svc%s", tail);
	test_server_url(u, sizeof(u), s, path);
	assert_int_equal(amlr_bes_new(&b, c, u, KEY), AMLR_OK);
	return b;
}

static void request_line(char *out, size_t n, const char *req)
{
	snprintf(out, n, "%.*s", (int)strcspn(req, "\r\n"), req);
}

static const char *status_body(const char *code)
{
	static char b[8][512];
	static int next;
	char *p = b[next++ % 8];

	snprintf(p, sizeof(b[0]),
		 "{\"StatusCode\":%s,\"Results\":null,\"Details\":null}", code);
	return p;
}

static void test_bes__submit_start_cancel(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client();
	amlr_bes *b;
	amlr_json *req = NULL;
	char line[256], auth[128], *id = NULL;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", "\"" ID "\"");
	s.replies[1] = test_reply("204 No Content", "", "");
	s.replies[2] = test_reply("204 No Content", "", "");
	s.nreplies = 3;
	test_server_start(&s);
	/* The URL as the C# sample's BaseUrl: .../jobs, with the query. */
	b = bes_on(c, &s, "/jobs?api-version=2.0");
	assert_int_equal(amlr_json_parse(&req, NULL, "{\"Inputs\":{}}", 13),
			 AMLR_OK);
	assert_int_equal(amlr_bes_submit(&id, b, req), AMLR_OK);
	assert_string_equal(id, ID); /* quotes stripped (§1.1) */
	assert_int_equal(amlr_bes_start(b, id), AMLR_OK);
	assert_int_equal(amlr_bes_cancel(b, id), AMLR_OK);
	test_server_stop(&s);
	request_line(line, sizeof(line), s.requests[0]);
	assert_string_equal(
		line,
		"POST /workspaces/ws/services/svc/jobs?api-version=2.0 HTTP/1.1");
	assert_non_null(strstr(s.requests[0], "\r\n\r\n{\"Inputs\":{}}"));
	test_header_of(auth, sizeof(auth), s.requests[0], "Authorization");
	assert_string_equal(auth, "Bearer " KEY);
	request_line(line, sizeof(line), s.requests[1]);
	assert_string_equal(line, "POST /workspaces/ws/services/svc/jobs/" ID
				  "/start?api-version=2.0 HTTP/1.1");
	request_line(line, sizeof(line), s.requests[2]);
	assert_string_equal(line, "DELETE /workspaces/ws/services/svc/jobs/" ID
				  "?api-version=2.0 HTTP/1.1");
	free(id);
	amlr_json_free(req);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__submit_not_retried_after_send(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client();
	amlr_bes *b;
	amlr_json *req = NULL;
	char *id = NULL;

	(void)state;
	/* The connection closes after the request arrived, with no reply:
	 * the job may exist; another POST could make a second one. */
	s.replies[0] = "";
	s.replies[1] = test_reply("200 OK", "", "\"" ID "\"");
	s.nreplies = 2;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	assert_int_equal(amlr_json_parse(&req, NULL, "{}", 2), AMLR_OK);
	assert_int_equal(amlr_bes_submit(&id, b, req), AMLR_ENET);
	assert_null(id);
	test_server_stop(&s);
	assert_int_equal(s.served, 1);
	/* A 500 after the request is not retried either... */
	memset(&s, 0, sizeof(s));
	s.replies[0] = test_reply("500 Internal Server Error", "", "");
	s.replies[1] = test_reply("200 OK", "", "\"" ID "\"");
	s.nreplies = 2;
	test_server_start(&s);
	amlr_bes_free(b);
	b = bes_on(c, &s, "/");
	assert_int_equal(amlr_bes_submit(&id, b, req), AMLR_ESERVER);
	test_server_stop(&s);
	assert_int_equal(s.served, 1);
	/* ...but a 503 says the job was not registered: sent again. */
	memset(&s, 0, sizeof(s));
	s.replies[0] =
		test_reply("503 Service Unavailable", "Retry-After: 0\r\n", "");
	s.replies[1] = test_reply("200 OK", "", "\"" ID "\"");
	s.nreplies = 2;
	test_server_start(&s);
	amlr_bes_free(b);
	b = bes_on(c, &s, "/");
	assert_int_equal(amlr_bes_submit(&id, b, req), AMLR_OK);
	assert_string_equal(id, ID);
	free(id);
	test_server_stop(&s);
	assert_int_equal(s.served, 2);
	amlr_json_free(req);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__submit_reply_without_id(void **state)
{
	struct test_server s = { 0 };
	amlr_client *c = client();
	amlr_bes *b;
	amlr_json *req = NULL;
	char *id = NULL;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", "{\"a\":1}");
	s.replies[1] = test_reply("200 OK", "", ID "\n"); /* bare: taken */
	s.nreplies = 2;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	assert_int_equal(amlr_json_parse(&req, NULL, "{}", 2), AMLR_OK);
	assert_int_equal(amlr_bes_submit(&id, b, req), AMLR_ESERVER);
	assert_non_null(strstr(amlr_client_error(c)->message, "job id"));
	assert_int_equal(amlr_bes_submit(&id, b, req), AMLR_OK);
	assert_string_equal(id, ID);
	test_server_stop(&s);
	free(id);
	amlr_json_free(req);
	amlr_bes_free(b);
	amlr_client_free(c);
}

/* Status @p body parsed: state, StatusCode, and Results/Details kept. */
static void expect_status(amlr_client *c, const char *body, amlr_bes_state want,
			  const char *want_doc)
{
	struct test_server s = { 0 };
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_bes *b;

	s.replies[0] = test_reply("200 OK", "", body);
	s.nreplies = 1;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	assert_int_equal(amlr_bes_status_get(&st, b, ID), AMLR_OK);
	test_server_stop(&s);
	assert_int_equal(st.state, want);
	assert_int_equal(amlr_json_serialize(&text, st.doc, 0), AMLR_OK);
	assert_string_equal(text.ptr, want_doc);
	amlr_buf_release(&text);
	amlr_bes_status_release(&st);
	amlr_bes_status_release(&st); /* twice is fine */
	amlr_bes_free(b);
}

static void test_bes__status_forms(void **state)
{
	amlr_client *c = client();

	(void)state;
	/* The swagger's strings (§1.3), unknown members kept as they are. */
	expect_status(
		c,
		"{\"StatusCode\":\"NotStarted\",\"Results\":null,\"Details\":null,\"CreatedAt\":\"x\"}",
		AMLR_BES_NOT_STARTED,
		"{\"StatusCode\":\"NotStarted\",\"Results\":null,\"Details\":null,\"CreatedAt\":\"x\"}");
	expect_status(
		c, status_body("\"Running\""), AMLR_BES_RUNNING,
		"{\"StatusCode\":\"Running\",\"Results\":null,\"Details\":null}");
	expect_status(
		c,
		"{\"StatusCode\":\"Failed\",\"Results\":null,\"Details\":\"Train Model: no label\"}",
		AMLR_BES_FAILED,
		"{\"StatusCode\":\"Failed\",\"Results\":null,\"Details\":\"Train Model: no label\"}");
	expect_status(
		c, status_body("\"Cancelled\""), AMLR_BES_CANCELLED,
		"{\"StatusCode\":\"Cancelled\",\"Results\":null,\"Details\":null}");
	/* azuremlps's one-L spelling (§1.5). */
	expect_status(
		c, status_body("\"Canceled\""), AMLR_BES_CANCELLED,
		"{\"StatusCode\":\"Cancelled\",\"Results\":null,\"Details\":null}");
	expect_status(
		c,
		"{\"StatusCode\":\"Finished\",\"Results\":{\"output1\":{\"ConnectionString\":null,\"RelativeLocation\":\"c/m.ilearner\",\"BaseLocation\":\"https://a.blob.core.windows.net/\",\"SasBlobToken\":\"?sv=1&sig=S\"}},\"Details\":null}",
		AMLR_BES_FINISHED,
		"{\"StatusCode\":\"Finished\",\"Results\":{\"output1\":{\"ConnectionString\":null,\"RelativeLocation\":\"c/m.ilearner\",\"BaseLocation\":\"https://a.blob.core.windows.net/\",\"SasBlobToken\":\"?sv=1&sig=S\"}},\"Details\":null}");
	amlr_client_free(c);
}

static void test_bes__status_legacy_forms(void **state)
{
	amlr_client *c = client();

	(void)state;
	/* 2015: integer codes and the singular Result (§1.3, §1.6). */
	expect_status(
		c, "{\"StatusCode\":1,\"Result\":null,\"Details\":null}",
		AMLR_BES_RUNNING,
		"{\"StatusCode\":\"Running\",\"Details\":null,\"Results\":null}");
	expect_status(
		c,
		"{\"StatusCode\":4,\"Result\":{\"ConnectionString\":null,\"RelativeLocation\":\"c/o.csv\",\"BaseLocation\":\"https://a.blob.core.windows.net/\",\"SasBlobToken\":\"?sig=S\"},\"Details\":null}",
		AMLR_BES_FINISHED,
		"{\"StatusCode\":\"Finished\",\"Details\":null,\"Results\":{\"output1\":{\"ConnectionString\":null,\"RelativeLocation\":\"c/o.csv\",\"BaseLocation\":\"https://a.blob.core.windows.net/\",\"SasBlobToken\":\"?sig=S\"}}}");
	expect_status(
		c, "{\"StatusCode\":0}", AMLR_BES_NOT_STARTED,
		"{\"StatusCode\":\"NotStarted\",\"Results\":null,\"Details\":null}");
	expect_status(
		c, "{\"Status Code\":2,\"Details\":\"boom\"}", AMLR_BES_FAILED,
		"{\"StatusCode\":\"Failed\",\"Details\":\"boom\",\"Results\":null}");
	expect_status(
		c, "{\"StatusCode\":3}", AMLR_BES_CANCELLED,
		"{\"StatusCode\":\"Cancelled\",\"Results\":null,\"Details\":null}");
	amlr_client_free(c);
}

static void test_bes__status_unknown_code_is_server_error(void **state)
{
	static const char *const bodies[] = { "{\"StatusCode\":7}",
					      "{\"StatusCode\":\"Paused\"}",
					      "{\"Results\":null}", "[1]",
					      "not json" };
	struct test_server s = { 0 };
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	amlr_bes *b;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		s.replies[i] = test_reply("200 OK", "", bodies[i]);
	s.nreplies = 5;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	for (i = 0; i < 5; i++) {
		assert_int_equal(amlr_bes_status_get(&st, b, ID), AMLR_ESERVER);
		assert_null(st.doc);
		assert_non_null(strstr(amlr_client_error(c)->message, ID));
	}
	test_server_stop(&s);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__errors_from_the_envelope(void **state)
{
	static const char unauthorized[] =
		"{\"error\":{\"code\":\"Unauthorized\",\"message\":\"Request is unauthorized to access resource.\",\"details\":[{\"code\":\"ScoreRequestUnauthorized\",\"message\":\"Invalid credentials provided.\"}]}}";
	static const char cannot_start[] =
		"{\"error\":{\"code\":\"InvalidOperation\",\"message\":\"job cannot be started because it is in Cancelled state\",\"details\":[{\"code\":\"CannotStartJob\",\"message\":\"x\"}]}}";
	static const char not_found[] =
		"{\"error\":{\"code\":\"NotFound\",\"message\":\"Resource not found.\",\"details\":[{\"code\":\"WebServiceNotFound\",\"message\":\"none\"}]}}";
	struct test_server s = { 0 };
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	const amlr_error *e;
	amlr_bes *b;

	(void)state;
	s.replies[0] = test_reply("401 Unauthorized", "", unauthorized);
	s.replies[1] = test_reply("400 Bad Request", "", cannot_start);
	s.replies[2] = test_reply("404 Not Found", "", not_found);
	s.nreplies = 3;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	assert_int_equal(amlr_bes_status_get(&st, b, ID), AMLR_EAUTH);
	e = amlr_client_error(c);
	assert_string_equal(e->service_code, "Unauthorized");
	assert_string_equal(e->message,
			    "Request is unauthorized to access resource.");
	assert_string_equal(
		e->details,
		"ScoreRequestUnauthorized: Invalid credentials provided.");
	assert_int_equal(amlr_bes_start(b, ID), AMLR_EINVAL);
	assert_string_equal(amlr_client_error(c)->service_code,
			    "InvalidOperation");
	assert_int_equal(amlr_bes_cancel(b, ID), AMLR_ENOTFOUND);
	assert_non_null(
		strstr(amlr_client_error(c)->details, "WebServiceNotFound"));
	test_server_stop(&s);
	/* A malformed id is refused before anything is sent. */
	assert_int_equal(amlr_bes_start(b, "../x"), AMLR_EINVAL);
	assert_int_equal(amlr_bes_status_get(&st, b, ""), AMLR_EINVAL);
	assert_int_equal(s.served, 3);
	amlr_bes_free(b);
	amlr_client_free(c);
}

struct seen {
	unsigned delays[16];
	unsigned n;
	amlr_bes_state last;
	uint64_t elapsed;
};

static int record(const amlr_bes_progress *p, void *payload)
{
	struct seen *s = payload;

	if (s->n < 16)
		s->delays[s->n++] = p->next_poll_ms;
	s->last = p->state;
	s->elapsed = p->elapsed_ms;
	assert_string_equal(p->job_id, ID);
	assert_int_equal(p->polls, s->n);
	return 0;
}

static void test_bes__poll_delays_grow_to_a_cap(void **state)
{
	amlr_bes_wait_opts o = AMLR_BES_WAIT_OPTS_INIT;
	unsigned i, prev = 0;

	(void)state;
	/* Defaults: 250 ms, then x1.5 each time, never above 10 s. */
	assert_int_equal(amlr_bes_poll_delay_ms(NULL, 1), 250);
	assert_int_equal(amlr_bes_poll_delay_ms(&o, 2), 375);
	assert_int_equal(amlr_bes_poll_delay_ms(&o, 3), 562);
	for (i = 1; i < 40; i++) {
		assert_true(amlr_bes_poll_delay_ms(&o, i) >= prev);
		prev = amlr_bes_poll_delay_ms(&o, i);
		assert_true(prev <= 10000);
	}
	assert_int_equal(prev, 10000);
	o.poll_min_ms = 100;
	o.poll_max_ms = 120;
	assert_int_equal(amlr_bes_poll_delay_ms(&o, 1), 100);
	assert_int_equal(amlr_bes_poll_delay_ms(&o, 2), 120);
}

static void test_bes__wait_backs_off_until_finished(void **state)
{
	struct test_server s = { 0 };
	amlr_bes_wait_opts o = AMLR_BES_WAIT_OPTS_INIT;
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	struct seen seen = { { 0 }, 0, AMLR_BES_NOT_STARTED, 0 };
	amlr_client *c = client();
	amlr_bes *b;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", status_body("\"NotStarted\""));
	s.replies[1] = test_reply("200 OK", "", status_body("\"Running\""));
	s.replies[2] = test_reply("200 OK", "", status_body("1"));
	s.replies[3] = test_reply("200 OK", "", status_body("\"Running\""));
	s.replies[4] = test_reply(
		"200 OK", "",
		"{\"StatusCode\":\"Finished\",\"Results\":{\"output1\":{\"RelativeLocation\":\"c/m.ilearner\"}},\"Details\":null}");
	s.nreplies = 5;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	o.poll_min_ms = 20;
	o.poll_max_ms = 50;
	assert_int_equal(amlr_bes_wait(&st, b, ID, &o, record, &seen), AMLR_OK);
	test_server_stop(&s);
	assert_int_equal(s.served, 5);
	assert_int_equal(seen.n, 5);
	assert_int_equal(seen.delays[0], 20);
	assert_int_equal(seen.delays[1], 30);
	assert_int_equal(seen.delays[2], 45);
	assert_int_equal(seen.delays[3], 50);
	assert_int_equal(seen.delays[4], 0); /* over */
	assert_int_equal(seen.last, AMLR_BES_FINISHED);
	assert_true(seen.elapsed >= 20 + 30 + 45 + 50);
	assert_int_equal(st.state, AMLR_BES_FINISHED);
	assert_string_equal(
		amlr_json_get_str(
			amlr_json_get(amlr_json_get(st.doc, "Results"),
				      "output1"),
			"RelativeLocation"),
		"c/m.ilearner");
	amlr_bes_status_release(&st);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__wait_failed_and_cancelled(void **state)
{
	struct test_server s = { 0 };
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	amlr_bes *b;

	(void)state;
	s.replies[0] = test_reply(
		"200 OK", "",
		"{\"StatusCode\":\"Failed\",\"Results\":null,\"Details\":\"Train Model (node 'node3'): no column 'income'\\nat line 2\"}");
	s.replies[1] = test_reply("200 OK", "", status_body("\"Cancelled\""));
	s.nreplies = 2;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	assert_int_equal(amlr_bes_wait(&st, b, ID, NULL, NULL, NULL),
			 AMLR_EJOBFAILED);
	/* Details in the one-line message; the status is still given. */
	assert_string_equal(
		amlr_client_error(c)->message,
		"job '" ID
		"' failed: Train Model (node 'node3'): no column 'income' at line 2");
	assert_int_equal(st.state, AMLR_BES_FAILED);
	assert_non_null(st.details);
	amlr_bes_status_release(&st);
	assert_int_equal(amlr_bes_wait(&st, b, ID, NULL, NULL, NULL),
			 AMLR_ECANCELLED);
	assert_string_equal(amlr_client_error(c)->message,
			    "job '" ID "' was cancelled");
	assert_int_equal(st.state, AMLR_BES_CANCELLED);
	amlr_bes_status_release(&st);
	test_server_stop(&s);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__wait_timeout_cancels_the_job(void **state)
{
	struct test_server s = { 0 };
	amlr_bes_wait_opts o = AMLR_BES_WAIT_OPTS_INIT;
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	amlr_bes *b;
	char line[256];

	(void)state;
	/* First poll at once; the next wait is cut to the timeout (100 ms
	 * rather than 200); still Running then: DELETE (§1.4). */
	s.replies[0] = test_reply("200 OK", "", status_body("\"Running\""));
	s.replies[1] = test_reply("200 OK", "", status_body("\"Running\""));
	s.replies[2] = test_reply("204 No Content", "", "");
	s.nreplies = 3;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	o.poll_min_ms = 200;
	o.timeout_ms = 100;
	assert_int_equal(amlr_bes_wait(&st, b, ID, &o, NULL, NULL),
			 AMLR_ETIMEOUT);
	test_server_stop(&s);
	assert_int_equal(s.served, 3);
	request_line(line, sizeof(line), s.requests[2]);
	assert_string_equal(line, "DELETE /workspaces/ws/services/svc/jobs/" ID
				  "?api-version=2.0 HTTP/1.1");
	assert_string_equal(amlr_client_error(c)->message,
			    "job '" ID
			    "' still Running after 0.1 s: cancelled");
	assert_int_equal(amlr_client_error(c)->code, AMLR_ETIMEOUT);
	assert_null(st.doc);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__wait_timeout_cancel_fails(void **state)
{
	struct test_server s = { 0 };
	amlr_bes_wait_opts o = AMLR_BES_WAIT_OPTS_INIT;
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	amlr_bes *b;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", status_body("\"NotStarted\""));
	s.replies[1] = test_reply("200 OK", "", status_body("\"NotStarted\""));
	s.replies[2] = test_reply(
		"404 Not Found", "",
		"{\"error\":{\"code\":\"NotFound\",\"message\":\"gone\"}}");
	s.nreplies = 3;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	o.timeout_ms = 50;
	o.poll_min_ms = 1000;
	assert_int_equal(amlr_bes_wait(&st, b, ID, &o, NULL, NULL),
			 AMLR_ETIMEOUT);
	test_server_stop(&s);
	assert_non_null(strstr(amlr_client_error(c)->message,
			       "cancelling it failed: gone"));
	amlr_bes_free(b);
	amlr_client_free(c);
}

static int stop(const amlr_bes_progress *p, void *payload)
{
	(void)p;
	(void)payload;
	return 1;
}

static void test_bes__progress_callback_stops_the_wait(void **state)
{
	struct test_server s = { 0 };
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	amlr_bes *b;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", status_body("\"Running\""));
	s.nreplies = 1;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	assert_int_equal(amlr_bes_wait(&st, b, ID, NULL, stop, NULL), AMLR_EIO);
	test_server_stop(&s);
	assert_int_equal(s.served, 1); /* no cancel: the job runs on */
	assert_null(st.doc);
	amlr_bes_free(b);
	amlr_client_free(c);
}

struct trace {
	amlr_buf all;
};

static void collect(amlr_trace_kind kind, const char *text, size_t len,
		    void *payload)
{
	struct trace *t = payload;

	(void)kind;
	amlr_buf_put(&t->all, text, len);
}

static void test_bes__key_only_in_header_and_redacted(void **state)
{
	struct test_server s = { 0 };
	struct trace t = { AMLR_BUF_INIT };
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_client *c = client();
	amlr_bes *b;

	(void)state;
	s.replies[0] = test_reply("200 OK", "", status_body("\"Running\""));
	s.nreplies = 1;
	test_server_start(&s);
	b = bes_on(c, &s, "");
	amlr_client_set_trace_cb(c, collect, &t);
	assert_int_equal(amlr_bes_status_get(&st, b, ID), AMLR_OK);
	test_server_stop(&s);
	assert_non_null(strstr(s.requests[0], "Bearer " KEY));
	assert_non_null(t.all.ptr);
	assert_null(strstr(t.all.ptr, KEY));
	assert_non_null(strstr(t.all.ptr, "Authorization: REDACTED"));
	amlr_buf_release(&t.all);
	amlr_bes_status_release(&st);
	amlr_bes_free(b);
	amlr_client_free(c);
}

static void test_bes__new_checks_its_arguments(void **state)
{
	amlr_client *c = client();
	amlr_bes *b = NULL;

	(void)state;
	assert_int_equal(amlr_bes_new(&b, c, "ftp://x/y", KEY), AMLR_EINVAL);
	assert_int_equal(amlr_bes_new(&b, c, "https://host", KEY), AMLR_EINVAL);
	assert_int_equal(amlr_bes_new(&b, c, "https://h/s", ""), AMLR_EINVAL);
	assert_int_equal(amlr_bes_new(&b, c, "https://h/s", "a\r\nX: y"),
			 AMLR_EINVAL);
	assert_null(b);
	assert_int_equal(amlr_bes_new(&b, c,
				      "https://h/workspaces/w/services/s/jobs/",
				      KEY),
			 AMLR_OK);
	assert_string_equal(amlr_bes_api_location(b),
			    "https://h/workspaces/w/services/s");
	amlr_bes_free(b);
	assert_int_equal(
		amlr_bes_new(
			&b, c,
			"https://h/w/services/s/execute?api-version=2.0&details=true",
			KEY),
		AMLR_OK);
	assert_string_equal(amlr_bes_api_location(b), "https://h/w/services/s");
	amlr_bes_free(b);
	amlr_bes_free(NULL);
	amlr_bes_status_release(NULL);
	assert_string_equal(amlr_bes_state_name((amlr_bes_state)9), "Unknown");
	amlr_client_free(c);
}

static void test_bes__input_blob_name_is_content_addressed(void **state)
{
	char dir[] = "/tmp/amlr-bes-XXXXXX", path[256], *name = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/census b.csv", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("abc", f);
	fclose(f);
	/* SHA-256("abc") = ba7816bf8f01cfea... */
	assert_int_equal(amlr_bes_input_blob_name(&name, &err, path), AMLR_OK);
	assert_string_equal(name, "census-b-ba7816bf8f01cfea.csv");
	free(name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/train", dir); /* no extension */
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	/* SHA-256("") = e3b0c44298fc1c14... */
	assert_int_equal(amlr_bes_input_blob_name(&name, &err, path), AMLR_OK);
	assert_string_equal(name, "train-e3b0c44298fc1c14");
	free(name);
	unlink(path);
	assert_int_equal(amlr_bes_input_blob_name(&name, &err, path), AMLR_EIO);
	assert_null(name);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bes__submit_start_cancel),
		cmocka_unit_test(test_bes__submit_not_retried_after_send),
		cmocka_unit_test(test_bes__submit_reply_without_id),
		cmocka_unit_test(test_bes__status_forms),
		cmocka_unit_test(test_bes__status_legacy_forms),
		cmocka_unit_test(test_bes__status_unknown_code_is_server_error),
		cmocka_unit_test(test_bes__errors_from_the_envelope),
		cmocka_unit_test(test_bes__poll_delays_grow_to_a_cap),
		cmocka_unit_test(test_bes__wait_backs_off_until_finished),
		cmocka_unit_test(test_bes__wait_failed_and_cancelled),
		cmocka_unit_test(test_bes__wait_timeout_cancels_the_job),
		cmocka_unit_test(test_bes__wait_timeout_cancel_fails),
		cmocka_unit_test(test_bes__progress_callback_stops_the_wait),
		cmocka_unit_test(test_bes__key_only_in_header_and_redacted),
		cmocka_unit_test(test_bes__new_checks_its_arguments),
		cmocka_unit_test(
			test_bes__input_blob_name_is_content_addressed),
	};
	int rc;

	amlr_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	amlr_global_cleanup();
	return rc;
}
