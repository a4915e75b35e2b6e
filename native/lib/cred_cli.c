/* SPDX-License-Identifier: MIT */
/* Reusing the Azure CLI's sign-in: az account get-access-token, no shell. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/json.h"
#include "amlr/secret.h"
#include "credential_internal.h"

#define AZ_TIMEOUT_MS 20000
#define AZ_OUTPUT_MAX (1024 * 1024)

extern char **environ;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Start az with stdin from /dev/null and both outputs into pipes. */
static int spawn(pid_t *pid, int *out_fd, int *err_fd, const char *az,
		 char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int i, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (cloexec_pipe(out) != 0 || cloexec_pipe(err) != 0) {
		rc = errno;
		goto done;
	}
	/* The CLI ignores SIGPIPE; az must not inherit that. */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if ((rc = posix_spawnp(pid, az, &fa, &attr, argv, environ)) != 0)
		goto done;
	*out_fd = out[0];
	*err_fd = err[0];
	out[0] = err[0] = -1; /* handed over */
done:
	for (i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/*
 * Read both pipes until they close or the deadline passes.
 * Returns 0, -1 on timeout, -2 when the output is too large.
 */
static int collect(amlr_buf *out, amlr_buf *err, int out_fd, int err_fd,
		   int64_t deadline)
{
	struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	amlr_buf *dst[2] = { out, err };
	char chunk[4096];
	ssize_t got;
	int64_t left;
	int i, open_fds = 2, rc = 0;

	while (open_fds > 0) {
		if ((left = deadline - now_ms()) <= 0) {
			rc = -1;
			break;
		}
		if (poll(p, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			got = read(p[i].fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			if (dst[i]->len + (size_t)got > AZ_OUTPUT_MAX ||
			    amlr_buf_put(dst[i], chunk, (size_t)got) !=
				    AMLR_OK) {
				rc = -2;
				open_fds = 0;
				break;
			}
		}
	}
	amlr_secret_wipe(chunk, sizeof(chunk));
	return rc;
}

/* The first line of az's complaint, for the message. */
static void first_line(char *out, size_t n, const amlr_buf *err)
{
	const char *s = err->ptr ? err->ptr : "";
	size_t len;

	while (*s == '\n' || *s == '\r' || *s == ' ')
		s++;
	len = strcspn(s, "\r\n");
	snprintf(out, n, "%.*s", (int)len, s);
}

/* `expires_on` (epoch) first; else `expiresOn`, local time. */
static int az_expiry(time_t *out, const amlr_json *doc)
{
	const char *s = amlr_json_get_str(doc, "expires_on");
	int64_t n;
	struct tm tm;
	char *end;
	long long v;

	if (amlr_json_int(&n, amlr_json_get(doc, "expires_on")) && n > 0) {
		*out = (time_t)n;
		return 1;
	}
	if (s && *s) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && !*end && v > 0) {
			*out = (time_t)v;
			return 1;
		}
	}
	if (!(s = amlr_json_get_str(doc, "expiresOn")))
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	return (*out = mktime(&tm)) != (time_t)-1;
}

amlr_code amlr_credential__cli_token(char **token_out, time_t *expires_out,
				     amlr_credential *c, const char *resource,
				     int *unavailable)
{
	const char *az = c->o.az_path ? c->o.az_path : "az";
	const char *argv[] = { az,	   "account", "get-access-token",
			       "--output", "json",    "--resource",
			       resource,   NULL };
	amlr_buf out = AMLR_BUF_INIT, errs = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	const char *token;
	char line[256];
	long timeout =
		c->o.az_timeout_ms > 0 ? c->o.az_timeout_ms : AZ_TIMEOUT_MS;
	int out_fd = -1, err_fd = -1, status = 0, e, cut;
	pid_t pid = -1;
	time_t exp;
	amlr_code rc = AMLR_EAUTH;

	*unavailable = 0;
	*token_out = NULL;
	/* posix_spawnp()'s argv is char *const[] but never written */
	if ((e = spawn(&pid, &out_fd, &err_fd, az, (char *const *)argv)) != 0) {
		if (e == ENOENT || e == EACCES)
			*unavailable = 1;
		amlr_error_set(&c->err, rc, "azure cli: cannot run '%s': %s",
			       az, strerror(e));
		goto done;
	}
	cut = collect(&out, &errs, out_fd, err_fd, now_ms() + timeout);
	if (cut)
		kill(pid, SIGKILL); /* our own child, by its pid */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (cut) {
		if (cut == -2)
			amlr_error_set(&c->err, rc,
				       "azure cli: more output than %d bytes",
				       AZ_OUTPUT_MAX);
		else
			amlr_error_set(
				&c->err, rc,
				"azure cli: 'az account get-access-token' did not finish within %ld ms",
				timeout);
		goto done;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		*unavailable = 1; /* a wrapper script that found no az */
		amlr_error_set(&c->err, rc, "azure cli: '%s' not found", az);
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		first_line(line, sizeof(line), &errs);
		amlr_error_set(
			&c->err, rc, "azure cli: %s",
			line[0] ? line
				: "'az account get-access-token' failed");
		goto done;
	}
	if (amlr_json_parse(&doc, NULL, out.ptr ? out.ptr : "", out.len) !=
		    AMLR_OK ||
	    !(token = amlr_json_get_str(doc, "accessToken")) || !*token) {
		amlr_error_set(
			&c->err, rc,
			"azure cli: unexpected output from 'az account get-access-token'");
		goto done;
	}
	if (!az_expiry(&exp, doc)) {
		amlr_error_set(
			&c->err, rc,
			"azure cli: no expiry in the output of 'az account get-access-token'");
		goto done;
	}
	if (!(*token_out = strdup(token))) {
		rc = amlr_error_set(&c->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (expires_out)
		*expires_out = exp;
	rc = AMLR_OK;
done:
	if ((token = amlr_json_get_str(doc, "accessToken")))
		amlr_secret_wipe((char *)token, strlen(token));
	amlr_json_free(doc);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	amlr_buf_release_secret(&out);
	amlr_buf_release(&errs);
	return rc;
}
