/* SPDX-License-Identifier: MIT */
/* A scripted loopback HTTP server for unit tests of the clients. */
#define _GNU_SOURCE /* strcasestr, for reading recorded requests */
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
#include <unistd.h>
#include <cmocka.h>

#include "helper_server.h"

static void read_request(int c, char *out, size_t n)
{
	size_t len = 0, want = 0;
	ssize_t got;
	char *end, *cl;

	while (len + 1 < n) {
		got = read(c, out + len, n - 1 - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		out[len] = '\0';
		if (!(end = strstr(out, "\r\n\r\n")))
			continue;
		if (!want) {
			cl = strcasestr(out, "\r\ncontent-length:");
			want = (size_t)(end + 4 - out) +
			       (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (len >= want)
			break;
	}
	out[len] = '\0';
}

static void *serve(void *arg)
{
	struct test_server *s = arg;
	struct pollfd p = { s->fd, POLLIN, 0 };
	int c;

	while (!s->stop && s->served < s->nreplies) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((c = accept(s->fd, NULL, NULL)) < 0)
			continue;
		read_request(c, s->requests[s->served], sizeof(s->requests[0]));
		if (write(c, s->replies[s->served],
			  strlen(s->replies[s->served])) < 0)
			s->stop = 1;
		s->served++;
		close(c);
	}
	return NULL;
}

void test_server_start(struct test_server *s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void test_server_stop(struct test_server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->fd);
}

void test_server_url(char *out, size_t n, const struct test_server *s,
		     const char *path)
{
	snprintf(out, n, "http://127.0.0.1:%d%s", s->port, path);
}

/* The value of header @p name in a recorded request, copied. */
void test_header_of(char *out, size_t n, const char *req, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	out[0] = '\0';
	if (!(p = strcasestr(req, pat)))
		return;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	snprintf(out, n, "%.*s", (int)strcspn(p, "\r\n"), p);
}

/* A scripted reply; the pool outlives every test's server. */
const char *test_reply(const char *status, const char *extra, const char *body)
{
	static char pool[4 * TEST_MAX_REPLIES][2048];
	static int next;
	char *b = pool[next++ % (4 * TEST_MAX_REPLIES)];

	snprintf(b, sizeof(pool[0]),
		 "HTTP/1.1 %s\r\nConnection: close\r\n"
		 "Content-Type: application/json\r\n%s"
		 "Content-Length: %zu\r\n\r\n%s",
		 status, extra, strlen(body), body);
	return b;
}
