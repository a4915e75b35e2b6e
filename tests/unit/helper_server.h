/* SPDX-License-Identifier: MIT */
/* A scripted loopback HTTP server for unit tests of the clients. */
#ifndef TEST_HELPER_SERVER_H
#define TEST_HELPER_SERVER_H

#include <pthread.h>
#include <stddef.h>

#define TEST_MAX_REPLIES 16

/*
 * Answers each connection with the next scripted reply (full HTTP text,
 * "Connection: close"), recording each request, until the script runs
 * out or test_server_stop().
 */
struct test_server {
	int fd;
	int port;
	const char *replies[TEST_MAX_REPLIES];
	int nreplies;
	int served;
	char requests[TEST_MAX_REPLIES][16384];
	volatile int stop;
	pthread_t thread;
};

/* Listen on a free loopback port and serve in a thread. */
void test_server_start(struct test_server *s);

/* Stop serving and join the thread. */
void test_server_stop(struct test_server *s);

/* "http://127.0.0.1:PORT" + @p path into @p out. */
void test_server_url(char *out, size_t n, const struct test_server *s,
		     const char *path);

/* The value of header @p name in a recorded request, copied ("" if none). */
void test_header_of(char *out, size_t n, const char *req, const char *name);

/*
 * A reply "HTTP/1.1 <status>" with Content-Type application/json, the
 * @p extra header lines (each ending in \r\n) and @p body; from a pool
 * that outlives every test's server.
 */
const char *test_reply(const char *status, const char *extra, const char *body);

#endif
