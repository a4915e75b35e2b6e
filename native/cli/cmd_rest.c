/* SPDX-License-Identifier: MIT */
/* amlretrain rest: one HTTP request through the client's retry policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmd.h"
#include "opt.h"
#include "out.h"

static const char *const methods[] = { "GET",  "HEAD",	 "PUT", "PATCH",
				       "POST", "DELETE", NULL };

static const struct cli_opt opts[] = {
	{ "method", 'm', CLI_OPT_VALUE, "METHOD",
	  "GET (default), HEAD, PUT, PATCH, POST or DELETE", methods, 0 },
	{ "url", 'u', CLI_OPT_VALUE, "URL",
	  "https:// URL (http:// only to loopback); @FILE reads it from FILE",
	  NULL, CLI_OPT_REQUIRED },
	{ "header", 'H', CLI_OPT_VALUE, "'NAME: VALUE'",
	  "add a request header (never a secret one)", NULL, CLI_OPT_REPEAT },
	{ "body", 'b', CLI_OPT_VALUE, "BODY",
	  "request body: text, @FILE, or - for standard input", NULL, 0 },
	{ "output-file", 0, CLI_OPT_VALUE, "FILE",
	  "write the response body to FILE (atomically) instead of stdout",
	  NULL, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct cli_usage usage = {
	"amlretrain rest",
	"--url URL [options]",
	"Send one HTTP request with amlretrain's client and print the reply.",
	"The request goes through the same client as every command: TLS\n"
	"verification, retries with backoff on 408/429/5xx and connection\n"
	"errors (Retry-After honoured), request ids.  A JSON reply is printed\n"
	"in the chosen --output format, any other reply as it came.  An HTTP\n"
	"error status gives its exit code (README, EXIT CODES).  No\n"
	"credentials are sent; headers carrying secrets are refused, because\n"
	"a command line is visible to every user of the machine.",
	opts,
	NULL,
	0,
};

/* Headers whose value is a secret: refused on the command line. */
static const char *const secret_headers[] = {
	"authorization",
	"proxy-authorization",
	"api-key",
	"ocp-apim-subscription-key",
	"x-identity-header",
	"cookie",
	NULL,
};

static int check_header(struct cli_ctx *ctx, const char *h)
{
	const char *colon = strchr(h, ':');
	const char *const *s;
	size_t n;

	if (!colon || colon == h)
		return cli_usage_error(
			ctx, &usage,
			"invalid header '%s' (expected 'NAME: VALUE')", h);
	n = (size_t)(colon - h);
	for (s = secret_headers; *s; s++)
		if (strlen(*s) == n && strncasecmp(h, *s, n) == 0)
			return cli_usage_error(
				ctx, &usage,
				"refusing header '%.*s' on the command line: it would expose a secret",
				(int)n, h);
	return 0;
}

static int has_content_type(const char *const *headers)
{
	for (; *headers; headers++)
		if (strncasecmp(*headers, "content-type:", 13) == 0)
			return 1;
	return 0;
}

/* A URL given as @FILE: the first line of the file, kept off argv. */
static int read_url(char **out, struct cli_ctx *ctx, const char *arg)
{
	amlr_buf buf = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;

	*out = NULL;
	if (arg[0] != '@') {
		if (strstr(arg, "sig=") || strstr(arg, "SIG="))
			return cli_usage_error(
				ctx, &usage,
				"refusing a SAS URL on the command line: pass it as --url @FILE");
		if (!(*out = strdup(arg)))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return 0;
	}
	if (amlr_file_read(&buf, &err, arg + 1, 64 * 1024) != AMLR_OK) {
		amlr_buf_release_secret(&buf);
		err.code = AMLR_EINVAL;
		return cli_fail(ctx, &err);
	}
	buf.len = strcspn(buf.ptr ? buf.ptr : "", "\r\n");
	if (buf.ptr)
		buf.ptr[buf.len] = '\0';
	*out = amlr_buf_detach(&buf);
	return *out ? 0 : cli_failf(ctx, AMLR_EFAIL, "out of memory");
}

static int emit_reply(struct cli_ctx *ctx, const amlr_response *resp,
		      const char *output_file)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *doc = NULL;
	size_t len;
	const char *body = amlr_response_body(resp, &len);
	mode_t mask;
	int rc;

	if (output_file) {
		mask = umask(0);
		umask(mask);
		if (amlr_file_write_atomic(&err, output_file, body, len,
					   0666 & ~mask) != AMLR_OK)
			return cli_fail(ctx, &err);
		return 0;
	}
	if (len == 0)
		return 0;
	if (amlr_json_parse(&doc, NULL, body, len) == AMLR_OK) {
		rc = cli_emit(ctx, doc);
		amlr_json_free(doc);
		return rc;
	}
	return cli_emit_raw(ctx, body, len);
}

int cmd_rest(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf stdin_body = AMLR_BUF_INIT;
	const char **headers = NULL;
	const char *const *given;
	const char *body;
	char *url = NULL;
	amlr_client *client;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_parse(&args, ctx, &usage, argc, argv)) != 0)
		goto done;
	given = cli_arg_list(&args, "header");
	for (i = 0; given[i]; i++)
		if ((rc = check_header(ctx, given[i])) != 0)
			goto done;
	n = i;
	if ((rc = read_url(&url, ctx, cli_arg(&args, "url"))) != 0)
		goto done;
	body = cli_arg(&args, "body");
	if (!(headers = calloc(n + 2, sizeof(*headers)))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		headers[i] = given[i];
	if (body && !has_content_type(given))
		headers[n] = "Content-Type: application/json";
	if (body && strcmp(body, "-") == 0) {
		if (amlr_file_read(&stdin_body, &err, "-", 0) != AMLR_OK) {
			rc = cli_fail(ctx, &err);
			goto done;
		}
		req.body = stdin_body.ptr ? stdin_body.ptr : "";
		req.body_len = stdin_body.len;
	} else if (body && body[0] == '@') {
		req.body_file = body + 1;
	} else if (body) {
		req.body = body;
		req.body_len = strlen(body);
	}
	req.method =
		cli_arg(&args, "method") ? cli_arg(&args, "method") : "GET";
	req.url = url;
	req.headers = headers;
	if (!(client = cli_client(ctx))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (amlr_http_send(&resp, client, &req) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(client));
		goto done;
	}
	rc = emit_reply(ctx, resp, cli_arg(&args, "output-file"));
done:
	amlr_response_free(resp);
	amlr_buf_release(&stdin_body);
	amlr_secret_free(url);
	free(headers);
	cli_args_release(&args);
	return rc;
}
