/* SPDX-License-Identifier: MIT */
/* The fleet engine against scripted servers: bound, retries, journal. */
#define _GNU_SOURCE /* strcasestr */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/connstr.h"
#include "amlr/fleet.h"
#include "helper_server.h"

#define WS "0123456789abcdef0123456789abcdef"
#define WSID "fedcba9876543210fedcba9876543210"
#define TOKEN "workspace-token-SECRET1"
#define API_KEY "api-key-SECRET2"
#define SAS "?sv=2022-11-02&sr=b&sp=r&sig=SECRET3"
#define RESOURCE "Census Model [trained model]"
#define EPS "/workspaces/" WS "/webservices/" WSID "/endpoints/"
#define JOBS "/workspaces/" WS "/services/svc1/jobs"

/* A fleet's settings pointing at a server on @p port. */
struct setup {
	amlr_fleet_opts o;
	char mgmt[64];
	char api[128];
	char connstr[512];
	char blob_base[128]; /* BaseLocation of the account */
	char journal[256];
	char dir[64];
};

static void setup_init(struct setup *s, int port, amlr_fleet_mode mode)
{
	amlr_fleet_opts o = AMLR_FLEET_OPTS_INIT;

	memset(s, 0, sizeof(*s));
	snprintf(s->mgmt, sizeof(s->mgmt), "http://127.0.0.1:%d", port);
	snprintf(s->api, sizeof(s->api),
		 "http://127.0.0.1:%d/workspaces/" WS "/services/svc1", port);
	snprintf(s->connstr, sizeof(s->connstr),
		 "DefaultEndpointsProtocol=http;AccountName=" AMLR_DEV_ACCOUNT
		 ";AccountKey=" AMLR_DEV_ACCOUNT_KEY
		 ";BlobEndpoint=http://127.0.0.1:%d/" AMLR_DEV_ACCOUNT,
		 port);
	snprintf(s->blob_base, sizeof(s->blob_base),
		 "http://127.0.0.1:%d/" AMLR_DEV_ACCOUNT "/", port);
	snprintf(s->dir, sizeof(s->dir), "/tmp/test_fleet.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->journal, sizeof(s->journal), "%s/state", s->dir);
	o.mode = mode;
	o.http.retry.max_attempts = 4;
	o.http.retry.base_delay_ms = 1; /* a server's hint shows as such */
	o.http.retry.max_delay_ms = 1;
	o.management_endpoint = s->mgmt;
	o.workspace_id = WS;
	o.workspace_token = TOKEN;
	o.webservice_id = WSID;
	o.connection_string = s->connstr;
	o.api_location = s->api;
	o.api_key = API_KEY;
	o.container = "models";
	o.resource = RESOURCE;
	o.concurrency = 1;
	o.poll_min_ms = 10;
	o.poll_max_ms = 10;
	o.journal = s->journal;
	s->o = o;
}

static void setup_release(struct setup *s)
{
	unlink(s->journal);
	rmdir(s->dir);
}

/* An endpoint whose resource is at @p base + @p rel. */
static const char *endpoint_reply(const char *name, const char *base,
				  const char *rel)
{
	char body[1024];

	snprintf(
		body, sizeof(body),
		"{\"Name\":\"%s\",\"Resources\":[{\"Name\":\"" RESOURCE
		"\",\"Kind\":\"TrainedModel\",\"Location\":{\"BaseLocation\":\"%s\",\"RelativeLocation\":\"%s\",\"SasBlobToken\":\"?sig=x\"}}]}",
		name, base, rel);
	return test_reply("200 OK", "", body);
}

static void add(amlr_fleet *f, const char *name, const char *ref)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_fleet_target t = { name, ref, ref, NULL };

	assert_int_equal(amlr_fleet_add(f, &err, &t), AMLR_OK);
}

static char *slurp(const char *path)
{
	amlr_buf b = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;

	assert_int_equal(amlr_file_read(&b, &err, path, 1 << 20), AMLR_OK);
	return b.ptr ? amlr_buf_detach(&b) : strdup("");
}

static void write_file(const char *path, const char *text)
{
	amlr_error err = AMLR_ERROR_INIT;

	assert_int_equal(
		amlr_file_write_atomic(&err, path, text, strlen(text), 0600),
		AMLR_OK);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The request line of recorded request @p i: "PATCH /path HTTP/1.1". */
static int request_is(const struct test_server *srv, int i, const char *method,
		      const char *path)
{
	char want[512];

	snprintf(want, sizeof(want), "%s %s ", method, path);
	return strncmp(srv->requests[i], want, strlen(want)) == 0;
}

/* --- a server that answers many connections at once ------------------- */

/*
 * Accepts connections and holds their requests until none has come for
 * 150 ms, noting how many were open at once, then answers them all:
 * PATCH with 200, GET with the endpoint at the model of every target.
 */
struct wide_server {
	int fd, port;
	int max_open, served;
	volatile int stop;
	char get_reply[2048];
	pthread_t thread;
};

static void wide_answer(struct wide_server *w, int c)
{
	char req[8192];
	size_t len = 0, want = 0;
	ssize_t got;
	char *end, *cl;
	const char *reply;

	while (len + 1 < sizeof(req)) {
		got = read(c, req + len, sizeof(req) - 1 - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		req[len] = '\0';
		if (!(end = strstr(req, "\r\n\r\n")))
			continue;
		if (!want) {
			cl = strcasestr(req, "\r\ncontent-length:");
			want = (size_t)(end + 4 - req) +
			       (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (len >= want)
			break;
	}
	req[len] = '\0';
	reply = strncmp(req, "GET ", 4) == 0
			? w->get_reply
			: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	if (write(c, reply, strlen(reply)) < 0)
		w->stop = 1;
	w->served++;
	close(c);
}

static void *wide_serve(void *arg)
{
	struct wide_server *w = arg;
	struct pollfd p = { w->fd, POLLIN, 0 };
	int open_fds[64], n = 0, i, c;

	while (!w->stop) {
		if (poll(&p, 1, 150) > 0) {
			if ((c = accept(w->fd, NULL, NULL)) >= 0 && n < 64)
				open_fds[n++] = c;
			if (n > w->max_open)
				w->max_open = n;
			continue;
		}
		for (i = 0; i < n; i++)
			wide_answer(w, open_fds[i]);
		n = 0;
	}
	for (i = 0; i < n; i++)
		close(open_fds[i]);
	return NULL;
}

static void wide_start(struct wide_server *w)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	w->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(w->fd >= 0);
	assert_int_equal(bind(w->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(w->fd, 64), 0);
	assert_int_equal(getsockname(w->fd, (struct sockaddr *)&a, &len), 0);
	w->port = ntohs(a.sin_port);
}

/* --- tests -------------------------------------------------------------- */

static void test_fleet__concurrency_bound_respected(void **state)
{
	struct wide_server w;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char name[16], body[512];
	size_t i;

	(void)state;
	memset(&w, 0, sizeof(w));
	wide_start(&w);
	setup_init(&s, w.port, AMLR_FLEET_SET_MODEL);
	snprintf(
		body, sizeof(body),
		"{\"Name\":\"e\",\"Resources\":[{\"Name\":\"" RESOURCE
		"\",\"Location\":{\"BaseLocation\":\"%s\",\"RelativeLocation\":\"models/m.ilearner\"}}]}",
		s.blob_base);
	snprintf(
		w.get_reply, sizeof(w.get_reply),
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		strlen(body), body);
	assert_int_equal(pthread_create(&w.thread, NULL, wide_serve, &w), 0);
	s.o.concurrency = 3;
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "ep%zu", i);
		add(f, name, "models/m.ilearner");
	}
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	w.stop = 1;
	pthread_join(w.thread, NULL);
	close(w.fd);
	/* Never more than 3 at once, and 3 were used. */
	assert_int_equal(w.max_open, 3);
	assert_int_equal(w.served, 20); /* a PATCH and a GET each */
	for (i = 0; i < 10; i++) {
		assert_int_equal(amlr_fleet_result_at(f, i)->status,
				 AMLR_FLEET_DONE);
		assert_int_equal(amlr_fleet_result_at(f, i)->code, AMLR_OK);
	}
	assert_null(amlr_fleet_result_at(f, 10));
	amlr_fleet_free(f);
	setup_release(&s);
}

/* One set-model target whose PATCH first meets @p throttled. */
static uint64_t throttled_patch_ms(const char *throttled)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	uint64_t t0, t;

	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 3;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_SET_MODEL);
	srv.replies[0] = throttled;
	srv.replies[1] = test_reply("200 OK", "", "");
	srv.replies[2] =
		endpoint_reply("ep1", s.blob_base, "models/m.ilearner");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "models/m.ilearner");
	t0 = now_ms();
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	t = now_ms() - t0;
	test_server_stop(&srv);
	assert_int_equal(srv.served, 3);
	assert_true(request_is(&srv, 0, "PATCH", EPS "ep1"));
	assert_true(request_is(&srv, 1, "PATCH", EPS "ep1"));
	assert_true(request_is(&srv, 2, "GET", EPS "ep1"));
	assert_int_equal(amlr_fleet_result_at(f, 0)->status, AMLR_FLEET_DONE);
	amlr_fleet_free(f);
	setup_release(&s);
	return t;
}

static void test_fleet__retry_after_honoured(void **state)
{
	uint64_t t;

	(void)state;
	/* The policy's own backoff is 1 ms: the waits are the server's. */
	t = throttled_patch_ms(
		test_reply("429 Too Many Requests", "Retry-After: 1\r\n",
			   "{\"error\":{\"code\":\"Throttled\"}}"));
	assert_true(t >= 1000);
	assert_true(t < 5000);
	t = throttled_patch_ms(
		test_reply("503 Service Unavailable",
			   "x-ms-retry-after-ms: 300\r\nRetry-After: 5\r\n",
			   "{\"error\":{\"code\":\"ServiceUnavailable\"}}"));
	assert_true(t >= 300);
	assert_true(t < 4000); /* the milliseconds, not the 5 s */
}

static void test_fleet__submit_not_retried_after_reset(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	const amlr_fleet_result *r;
	char *journal;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 2;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_RETRAIN);
	srv.replies[0] = ""; /* the connection closes: sent, no answer */
	srv.replies[1] = test_reply("200 OK", "", "\"job2\"");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "data/ep1.csv");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	usleep(200 * 1000);
	test_server_stop(&srv);
	assert_int_equal(srv.served, 1); /* no second submission */
	assert_true(request_is(&srv, 0, "POST", JOBS "?api-version=2.0"));
	r = amlr_fleet_result_at(f, 0);
	assert_int_equal(r->status, AMLR_FLEET_FAILED);
	assert_int_equal(r->code, AMLR_ENET);
	assert_string_equal(r->phase, "submit");
	assert_null(r->job_id);
	assert_non_null(strstr(r->message, "not started"));
	journal = slurp(s.journal);
	assert_null(strstr(journal, "\"submitted\""));
	assert_non_null(strstr(journal, "\"failed\""));
	free(journal);
	amlr_fleet_free(f);
	setup_release(&s);
}

static void test_fleet__retrain_journals_the_job_before_starting(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	const amlr_fleet_result *r;
	char status[1024], model[256], header[256];
	char *journal;
	const char *sub, *run;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 7;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_RETRAIN);
	snprintf(
		status, sizeof(status),
		"{\"StatusCode\":\"Finished\",\"Results\":{\"output1\":{\"ConnectionString\":null,\"BaseLocation\":\"%s\",\"RelativeLocation\":\"models/ep1.ilearner\",\"SasBlobToken\":\"" SAS
		"\"}},\"Details\":null}",
		s.blob_base);
	/* A 503 to the submission: refused, so it is tried again. */
	srv.replies[0] = test_reply("503 Service Unavailable",
				    "x-ms-retry-after-ms: 10\r\n", "{}");
	srv.replies[1] = test_reply("200 OK", "", "\"job1\"");
	srv.replies[2] = test_reply("204 No Content", "", "");
	srv.replies[3] = test_reply(
		"200 OK", "", "{\"StatusCode\":\"Running\",\"Results\":null}");
	srv.replies[4] = test_reply("200 OK", "", status);
	srv.replies[5] = test_reply("200 OK", "", "");
	srv.replies[6] =
		endpoint_reply("ep1", s.blob_base, "models/ep1.ilearner");
	s.o.prefix = "run1";
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "data/ep1.csv");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	test_server_stop(&srv);
	assert_int_equal(srv.served, 7);
	assert_true(request_is(&srv, 1, "POST", JOBS "?api-version=2.0"));
	assert_non_null(
		strstr(srv.requests[1],
		       "\"RelativeLocation\":\"models/run1/ep1.ilearner\""));
	assert_non_null(strstr(srv.requests[1],
			       "\"RelativeLocation\":\"data/ep1.csv\""));
	test_header_of(header, sizeof(header), srv.requests[1],
		       "Authorization");
	assert_string_equal(header, "Bearer " API_KEY);
	assert_true(request_is(&srv, 2, "POST",
			       JOBS "/job1/start?api-version=2.0"));
	assert_true(request_is(&srv, 3, "GET", JOBS "/job1?api-version=2.0"));
	assert_true(request_is(&srv, 5, "PATCH", EPS "ep1"));
	assert_non_null(strstr(srv.requests[5], SAS));
	test_header_of(header, sizeof(header), srv.requests[5],
		       "Authorization");
	assert_string_equal(header, "Bearer " TOKEN);
	assert_true(request_is(&srv, 6, "GET", EPS "ep1"));
	r = amlr_fleet_result_at(f, 0);
	assert_int_equal(r->status, AMLR_FLEET_DONE);
	assert_string_equal(r->job_id, "job1");
	snprintf(model, sizeof(model), "%smodels/ep1.ilearner", s.blob_base);
	assert_string_equal(r->model, model);
	/* The id is journalled before the start; no secret is. */
	journal = slurp(s.journal);
	sub = strstr(journal, "\"phase\":\"submitted\",\"jobId\":\"job1\"");
	run = strstr(journal, "\"phase\":\"running\"");
	assert_non_null(sub);
	assert_non_null(run);
	assert_true(sub < run);
	assert_non_null(strstr(journal, "\"phase\":\"done\""));
	assert_null(strstr(journal, "SECRET"));
	assert_null(strstr(journal, "AccountKey"));
	assert_null(strstr(journal, AMLR_DEV_ACCOUNT_KEY));
	free(journal);
	amlr_fleet_free(f);
	setup_release(&s);
}

static void test_fleet__failed_job_surfaces_details(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	const amlr_fleet_result *r;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 3;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_RETRAIN);
	srv.replies[0] = test_reply("200 OK", "", "\"job1\"");
	srv.replies[1] = test_reply("204 No Content", "", "");
	srv.replies[2] = test_reply(
		"200 OK", "",
		"{\"StatusCode\":2,\"Details\":\"column 'age' not found\"}");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "data/ep1.csv");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	test_server_stop(&srv);
	r = amlr_fleet_result_at(f, 0);
	assert_int_equal(r->status, AMLR_FLEET_FAILED);
	assert_int_equal(r->code, AMLR_EJOBFAILED);
	assert_non_null(strstr(r->message, "column 'age' not found"));
	amlr_fleet_free(f);
	setup_release(&s);
}

static void test_fleet__job_timeout_cancels(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	const amlr_fleet_result *r;
	char *journal;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	srv.nreplies = 4;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_RETRAIN);
	srv.replies[0] = test_reply("200 OK", "", "\"job1\"");
	srv.replies[1] = test_reply("204 No Content", "", "");
	srv.replies[2] =
		test_reply("200 OK", "", "{\"StatusCode\":\"Running\"}");
	srv.replies[3] = test_reply("204 No Content", "", "");
	s.o.job_timeout_ms = 5;
	s.o.poll_min_ms = 50;
	s.o.poll_max_ms = 50;
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "data/ep1.csv");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	test_server_stop(&srv);
	assert_int_equal(srv.served, 4);
	assert_true(
		request_is(&srv, 3, "DELETE", JOBS "/job1?api-version=2.0"));
	r = amlr_fleet_result_at(f, 0);
	assert_int_equal(r->status, AMLR_FLEET_FAILED);
	assert_int_equal(r->code, AMLR_ETIMEOUT);
	assert_non_null(strstr(r->message, "cancelled"));
	/* A rerun starts over with a new job: this one was given up. */
	journal = slurp(s.journal);
	assert_non_null(strstr(journal, "\"exitCode\":12"));
	free(journal);
	amlr_fleet_free(f);
	setup_release(&s);
}

static void
test_fleet__resume_skips_done_and_looks_before_patching(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char text[2048], model[256];

	(void)state;
	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 3;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_SET_MODEL);
	snprintf(model, sizeof(model), "%smodels/m.ilearner", s.blob_base);
	/* ep1 done; ep2 killed after its PATCH went out, before "patched". */
	snprintf(
		text, sizeof(text),
		"{\"fleet\":\"amlretrain\",\"version\":1,\"mode\":\"set-model\",\"workspace\":\"" WS
		"\",\"webservice\":\"" WSID "\"}\n"
		"{\"endpoint\":\"ep1\",\"phase\":\"patching\",\"model\":\"%s\",\"exitCode\":0}\n"
		"{\"endpoint\":\"ep2\",\"phase\":\"patching\",\"model\":\"%s\",\"exitCode\":0}\n"
		"{\"endpoint\":\"ep1\",\"phase\":\"patched\",\"model\":\"%s\",\"exitCode\":0}\n"
		"{\"endpoint\":\"ep1\",\"phase\":\"done\",\"model\":\"%s\",\"exitCode\":0}\n",
		model, model, model, model);
	write_file(s.journal, text);
	/* ep2: the look finds it patched already; ep3: patch and verify. */
	srv.replies[0] =
		endpoint_reply("ep2", s.blob_base, "models/m.ilearner");
	srv.replies[1] = test_reply("200 OK", "", "");
	srv.replies[2] =
		endpoint_reply("ep3", s.blob_base, "models/m.ilearner");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "models/m.ilearner");
	add(f, "ep2", "models/m.ilearner");
	add(f, "ep3", "models/m.ilearner");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	test_server_stop(&srv);
	assert_int_equal(srv.served, 3);
	assert_true(request_is(&srv, 0, "GET", EPS "ep2"));
	assert_true(request_is(&srv, 1, "PATCH", EPS "ep3"));
	assert_true(request_is(&srv, 2, "GET", EPS "ep3"));
	assert_int_equal(amlr_fleet_result_at(f, 0)->status,
			 AMLR_FLEET_DONE_EARLIER);
	assert_int_equal(amlr_fleet_result_at(f, 1)->status, AMLR_FLEET_DONE);
	assert_true(amlr_fleet_result_at(f, 1)->resumed);
	assert_int_equal(amlr_fleet_result_at(f, 2)->status, AMLR_FLEET_DONE);
	assert_false(amlr_fleet_result_at(f, 2)->resumed);
	amlr_fleet_free(f);
	setup_release(&s);
}

static void test_fleet__resume_reuses_journalled_job(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char text[1024], status[1024];

	(void)state;
	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 5;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_RETRAIN);
	/* Killed after the id was journalled: maybe started, maybe not. */
	snprintf(
		text, sizeof(text),
		"{\"fleet\":\"amlretrain\",\"version\":1,\"mode\":\"retrain\",\"workspace\":\"" WS
		"\",\"webservice\":\"" WSID "\"}\n"
		"{\"endpoint\":\"ep1\",\"phase\":\"submitted\",\"jobId\":\"job7\",\"exitCode\":0}\n");
	write_file(s.journal, text);
	snprintf(
		status, sizeof(status),
		"{\"StatusCode\":\"Finished\",\"Results\":{\"output1\":{\"BaseLocation\":\"%s\",\"RelativeLocation\":\"models/ep1.ilearner\",\"SasBlobToken\":\"" SAS
		"\"}}}",
		s.blob_base);
	srv.replies[0] =
		test_reply("200 OK", "", "{\"StatusCode\":\"NotStarted\"}");
	srv.replies[1] = test_reply("204 No Content", "", "");
	srv.replies[2] = test_reply("200 OK", "", status);
	srv.replies[3] = test_reply("200 OK", "", "");
	srv.replies[4] =
		endpoint_reply("ep1", s.blob_base, "models/ep1.ilearner");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "data/ep1.csv");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	test_server_stop(&srv);
	assert_int_equal(srv.served, 5);
	/* No submission: the journalled job is looked at, then started. */
	assert_true(request_is(&srv, 0, "GET", JOBS "/job7?api-version=2.0"));
	assert_true(request_is(&srv, 1, "POST",
			       JOBS "/job7/start?api-version=2.0"));
	assert_true(request_is(&srv, 2, "GET", JOBS "/job7?api-version=2.0"));
	assert_true(request_is(&srv, 3, "PATCH", EPS "ep1"));
	assert_string_equal(amlr_fleet_result_at(f, 0)->job_id, "job7");
	assert_int_equal(amlr_fleet_result_at(f, 0)->status, AMLR_FLEET_DONE);
	amlr_fleet_free(f);
	setup_release(&s);
}

static void test_fleet__torn_journal_line(void **state)
{
	struct test_server srv;
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *view = NULL, *header = NULL;
	char text[2048], model[256];
	char *after;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	/* Scripted before the start: the server stops at the end. */
	srv.nreplies = 1;
	test_server_start(&srv);
	setup_init(&s, srv.port, AMLR_FLEET_SET_MODEL);
	snprintf(model, sizeof(model), "%smodels/m.ilearner", s.blob_base);
	snprintf(
		text, sizeof(text),
		"{\"fleet\":\"amlretrain\",\"version\":1,\"mode\":\"set-model\",\"workspace\":\"" WS
		"\",\"webservice\":\"" WSID "\"}\n"
		"{\"endpoint\":\"ep1\",\"phase\":\"patched\",\"model\":\"%s\",\"exitCode\":0}\n"
		"{\"endpoint\":\"ep1\",\"phase\":\"do",
		model);
	write_file(s.journal, text);
	assert_int_equal(
		amlr_fleet_journal_read(&view, &header, &err, s.journal),
		AMLR_OK);
	assert_int_equal(amlr_json_len(view), 1);
	assert_string_equal(amlr_json_get_str(amlr_json_at(view, 0), "phase"),
			    "patched");
	assert_string_equal(amlr_json_get_str(header, "mode"), "set-model");
	amlr_json_free(view);
	amlr_json_free(header);
	/* The run goes on from "patched": it verifies, no PATCH. */
	srv.replies[0] =
		endpoint_reply("ep1", s.blob_base, "models/m.ilearner");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	add(f, "ep1", "models/m.ilearner");
	assert_int_equal(amlr_fleet_run(f, &err), AMLR_OK);
	test_server_stop(&srv);
	assert_int_equal(srv.served, 1);
	assert_true(request_is(&srv, 0, "GET", EPS "ep1"));
	assert_int_equal(amlr_fleet_result_at(f, 0)->status, AMLR_FLEET_DONE);
	amlr_fleet_free(f);
	/* The torn piece stays a line of its own; the new one is whole. */
	after = slurp(s.journal);
	assert_non_null(strstr(after, "\"phase\":\"do\n{\"endpoint\":\"ep1\""));
	free(after);
	assert_int_equal(amlr_fleet_journal_read(&view, NULL, &err, s.journal),
			 AMLR_OK);
	assert_string_equal(amlr_json_get_str(amlr_json_at(view, 0), "phase"),
			    "done");
	amlr_json_free(view);
	setup_release(&s);
}

static void test_fleet__journal_of_another_fleet_refused(void **state)
{
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	struct stat st;

	(void)state;
	setup_init(&s, 9, AMLR_FLEET_SET_MODEL);
	write_file(
		s.journal,
		"{\"fleet\":\"amlretrain\",\"version\":1,\"mode\":\"retrain\",\"workspace\":\"" WS
		"\",\"webservice\":\"" WSID "\"}\n");
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_EINVAL);
	assert_null(f);
	assert_non_null(strstr(err.message, "another fleet"));
	/* A new journal is made private. */
	unlink(s.journal);
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	assert_int_equal(stat(s.journal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	amlr_fleet_free(f);
	amlr_fleet_free(NULL);
	setup_release(&s);
}

static void test_fleet__targets_checked(void **state)
{
	struct setup s;
	amlr_fleet *f = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_fleet_target t = { "ep1", NULL, "models/m.ilearner", NULL };

	(void)state;
	setup_init(&s, 9, AMLR_FLEET_SET_MODEL);
	s.o.journal = NULL;
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_OK);
	assert_int_equal(amlr_fleet_add(f, &err, &t), AMLR_OK);
	assert_int_equal(amlr_fleet_add(f, &err, &t), AMLR_EINVAL);
	assert_non_null(strstr(err.message, "listed twice"));
	t.endpoint = "Bad_Name";
	assert_int_equal(amlr_fleet_add(f, &err, &t), AMLR_EINVAL);
	t.endpoint = "ep2";
	t.model = "models/m.csv";
	assert_int_equal(amlr_fleet_add(f, &err, &t), AMLR_EINVAL);
	assert_non_null(strstr(err.message, ".ilearner"));
	t.model = "m.ilearner";
	assert_int_equal(amlr_fleet_add(f, &err, &t), AMLR_EINVAL);
	assert_int_equal(amlr_fleet_count(f), 1);
	amlr_fleet_free(f);
	/* Options: an https-or-loopback rule, an account key. */
	s.o.management_endpoint = "http://example.com";
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_EINVAL);
	s.o.management_endpoint = s.mgmt;
	s.o.connection_string = "AccountName=a;SharedAccessSignature=sv=1";
	assert_int_equal(amlr_fleet_new(&f, &err, &s.o), AMLR_EINVAL);
	setup_release(&s);
}

static void test_fleet__shard_is_fnv1a(void **state)
{
	(void)state;
	/* FNV-1a 32 of "" is 2166136261, of "a" 0xe40c292c. */
	assert_int_equal(amlr_fleet_shard_of("", 1000), 2166136261u % 1000);
	assert_int_equal(amlr_fleet_shard_of("a", 1000), 0xe40c292cu % 1000);
	assert_int_equal(amlr_fleet_shard_of("anything", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet__concurrency_bound_respected),
		cmocka_unit_test(test_fleet__retry_after_honoured),
		cmocka_unit_test(test_fleet__submit_not_retried_after_reset),
		cmocka_unit_test(
			test_fleet__retrain_journals_the_job_before_starting),
		cmocka_unit_test(test_fleet__failed_job_surfaces_details),
		cmocka_unit_test(test_fleet__job_timeout_cancels),
		cmocka_unit_test(
			test_fleet__resume_skips_done_and_looks_before_patching),
		cmocka_unit_test(test_fleet__resume_reuses_journalled_job),
		cmocka_unit_test(test_fleet__torn_journal_line),
		cmocka_unit_test(test_fleet__journal_of_another_fleet_refused),
		cmocka_unit_test(test_fleet__targets_checked),
		cmocka_unit_test(test_fleet__shard_is_fnv1a),
	};

	amlr_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
