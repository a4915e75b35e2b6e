/* SPDX-License-Identifier: MIT */
/* amlretrain blob: upload, download, list, show, delete, sas. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amlr/blob.h"
#include "amlr/connstr.h"
#include "amlr/sas.h"
#include "cmd.h"
#include "opt.h"
#include "out.h"

#define DEFAULT_ENV "AZURE_STORAGE_CONNECTION_STRING"

/* The options every verb shares come first in each table. */
#define COMMON_OPTS                                                                                                         \
	{ "container",                                                                                                      \
	  'c',                                                                                                              \
	  CLI_OPT_VALUE,                                                                                                    \
	  "NAME",                                                                                                           \
	  "the container (or from --url)",                                                                                  \
	  NULL,                                                                                                             \
	  0 },                                                                                                              \
		{ "connection-string-env",                                                                                  \
		  0,                                                                                                        \
		  CLI_OPT_VALUE,                                                                                            \
		  "VAR",                                                                                                    \
		  "read the connection string from environment variable VAR (default " DEFAULT_ENV                          \
		  ")",                                                                                                      \
		  NULL,                                                                                                     \
		  0 },                                                                                                      \
		{ "url",                                                                                                    \
		  'u',                                                                                                      \
		  CLI_OPT_VALUE,                                                                                            \
		  "@FILE",                                                                                                  \
		  "a container or blob URL with a SAS, read from FILE (- for standard input), never from the command line", \
		  NULL,                                                                                                     \
		  0 },                                                                                                      \
		{ "block-size",                                                                                             \
		  0,                                                                                                        \
		  CLI_OPT_VALUE,                                                                                            \
		  "BYTES",                                                                                                  \
		  "block of uploads, range of downloads (K, M suffixes; default 8M)",                                       \
		  NULL,                                                                                                     \
		  0 },                                                                                                      \
	{                                                                                                                   \
		"parallel", 0, CLI_OPT_VALUE, "N",                                                                          \
			"transfers at once (default 4)", NULL, 0                                                            \
	}

#define NAME_OPT                                            \
	{                                                   \
		"name", 'n', CLI_OPT_VALUE, "BLOB",         \
			"the blob (or from --url)", NULL, 0 \
	}

#define OPTS_END                                \
	{                                       \
		NULL, 0, 0, NULL, NULL, NULL, 0 \
	}

static const struct cli_opt upload_opts[] = {
	COMMON_OPTS,
	NAME_OPT,
	{ "file", 'f', CLI_OPT_VALUE, "PATH", "the local file to upload", NULL,
	  CLI_OPT_REQUIRED },
	{ "content-type", 0, CLI_OPT_VALUE, "TYPE",
	  "the blob's Content-Type (default application/octet-stream)", NULL,
	  0 },
	{ "create-container", 0, CLI_OPT_FLAG, NULL,
	  "create the container first if it does not exist", NULL, 0 },
	OPTS_END,
};

static const struct cli_opt download_opts[] = {
	COMMON_OPTS,
	NAME_OPT,
	{ "file", 'f', CLI_OPT_VALUE, "PATH",
	  "where to write the blob (atomically)", NULL, CLI_OPT_REQUIRED },
	OPTS_END,
};

static const struct cli_opt list_opts[] = {
	COMMON_OPTS,
	{ "prefix", 0, CLI_OPT_VALUE, "PREFIX", "only names starting so", NULL,
	  0 },
	{ "delimiter", 0, CLI_OPT_VALUE, "DELIM",
	  "fold names at DELIM into prefixes (virtual directories)", NULL, 0 },
	{ "page-size", 0, CLI_OPT_VALUE, "N",
	  "blobs per request (1 to 5000; all pages are read)", NULL, 0 },
	OPTS_END,
};

static const struct cli_opt show_opts[] = {
	COMMON_OPTS,
	NAME_OPT,
	OPTS_END,
};

static const struct cli_opt delete_opts[] = {
	COMMON_OPTS,
	NAME_OPT,
	OPTS_END,
};

static const struct cli_opt sas_opts[] = {
	COMMON_OPTS,
	{ "name", 'n', CLI_OPT_VALUE, "BLOB",
	  "the blob; without it the SAS is for the container", NULL, 0 },
	{ "permissions", 'p', CLI_OPT_VALUE, "LETTERS",
	  "r read, a add, c create, w write, d delete, l list (default r)",
	  NULL, 0 },
	{ "expiry", 'e', CLI_OPT_VALUE, "WHEN",
	  "lifetime (30m, 24h, 7d) or a UTC time 2030-01-01T00:00:00Z (default 24h)",
	  NULL, 0 },
	OPTS_END,
};

#define DESC_CREDS                                                                \
	"The account comes from a connection string in the environment\n"         \
	"(--connection-string-env VAR, default " DEFAULT_ENV "), or\n"            \
	"from a SAS URL in a file or on standard input (--url @FILE, --url -):\n" \
	"secrets never go on the command line.  Progress goes to standard\n"      \
	"error when it is a terminal."

static const struct cli_usage upload_usage = {
	"amlretrain blob upload",
	"-c CONTAINER -n BLOB -f FILE [options]",
	"Upload a file as a block blob (in parallel blocks when large).",
	DESC_CREDS,
	upload_opts,
	NULL,
	0,
};

static const struct cli_usage download_usage = {
	"amlretrain blob download",
	"-c CONTAINER -n BLOB -f FILE [options]",
	"Download a blob into a file, atomically: all of it or nothing.",
	DESC_CREDS,
	download_opts,
	NULL,
	0,
};

static const struct cli_usage list_usage = {
	"amlretrain blob list",
	"-c CONTAINER [options]",
	"List the blobs of a container (a JSON array).",
	DESC_CREDS,
	list_opts,
	NULL,
	0,
};

static const struct cli_usage show_usage = {
	"amlretrain blob show",
	"-c CONTAINER -n BLOB [options]",
	"Show a blob's properties.",
	DESC_CREDS,
	show_opts,
	NULL,
	0,
};

static const struct cli_usage delete_usage = {
	"amlretrain blob delete",
	"-c CONTAINER -n BLOB [options]",
	"Delete a blob.",
	DESC_CREDS,
	delete_opts,
	NULL,
	0,
};

static const struct cli_usage sas_usage = {
	"amlretrain blob sas",
	"-c CONTAINER [-n BLOB] [-p PERMISSIONS] [-e EXPIRY] [options]",
	"Print a blob (or container) URL with a SAS signed by the account key.",
	"Needs a connection string with AccountKey.  Prints\n"
	"{\"url\": ..., \"expiry\": ...}: the URL is a secret; keep it off\n"
	"command lines (pass it on as a file).",
	sas_opts,
	NULL,
	0,
};

/* What a verb works on, resolved from the options. */
struct target {
	amlr_blob *blob;
	char *container;
	char *name;
};

static void target_release(struct target *t)
{
	amlr_blob_free(t->blob);
	free(t->container);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

/* Bytes with an optional K/M/G suffix (powers of 1024). */
static int parse_size(size_t *out, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end || v < 1024 || v > ((unsigned long long)4000 << 20))
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_uint(unsigned *out, const char *s, unsigned min, unsigned max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* A SAS URL from @FILE or "-": the first line, kept off argv. */
static int read_url(char **out, struct cli_ctx *ctx,
		    const struct cli_usage *usage, const char *arg)
{
	amlr_buf buf = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;

	*out = NULL;
	if (strcmp(arg, "-") != 0 && arg[0] != '@')
		return cli_usage_error(
			ctx, usage,
			"refusing a URL on the command line (it carries a SAS): pass --url @FILE or --url -");
	if (amlr_file_read(&buf, &err, strcmp(arg, "-") == 0 ? "-" : arg + 1,
			   64 * 1024) != AMLR_OK) {
		amlr_buf_release_secret(&buf);
		err.code = AMLR_EINVAL;
		return cli_fail(ctx, &err);
	}
	buf.len = strcspn(buf.ptr ? buf.ptr : "", "\r\n");
	if (buf.ptr)
		buf.ptr[buf.len] = '\0';
	if (!buf.len) {
		amlr_buf_release_secret(&buf);
		return cli_failf(ctx, AMLR_EINVAL, "no URL in '%s'", arg);
	}
	*out = amlr_buf_detach(&buf);
	return *out ? 0 : cli_failf(ctx, AMLR_EFAIL, "out of memory");
}

/* Options shared by every verb: credentials, container, name, tuning. */
static int resolve(struct target *t, struct cli_ctx *ctx,
		   const struct cli_usage *usage, const struct cli_args *args,
		   int need_name)
{
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_connstr *cs = NULL;
	const char *env = cli_arg(args, "connection-string-env");
	const char *url_arg = cli_arg(args, "url");
	const char *c = cli_arg(args, "container");
	const char *n = cli_arg(args, "name");
	const char *v;
	char *url = NULL;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	cli_http_opts(ctx, &opts.http);
	if ((v = cli_arg(args, "block-size")) &&
	    parse_size(&opts.block_size, v) != 0)
		return cli_usage_error(
			ctx, usage,
			"invalid value '%s' for '--block-size' (1K to 4000M)",
			v);
	if ((v = cli_arg(args, "parallel")) &&
	    parse_uint(&opts.parallel, v, 1, 32) != 0)
		return cli_usage_error(
			ctx, usage,
			"invalid value '%s' for '--parallel' (1 to 32)", v);
	if (url_arg && env)
		return cli_usage_error(
			ctx, usage,
			"--url and --connection-string-env exclude each other");
	if (url_arg) {
		if ((rc = read_url(&url, ctx, usage, url_arg)) != 0)
			goto done;
		if (amlr_blob_from_url(&t->blob, &t->container, &t->name, &err,
				       url, &opts) != AMLR_OK) {
			rc = cli_fail(ctx, &err);
			goto done;
		}
	} else {
		const char *text = getenv(env ? env : DEFAULT_ENV);

		if (!text || !*text) {
			rc = cli_failf(
				ctx, AMLR_EAUTH,
				"no storage credentials: set %s to a connection string, or pass --url @FILE",
				env ? env : DEFAULT_ENV);
			goto done;
		}
		if (amlr_connstr_parse(&cs, &err, text) != AMLR_OK ||
		    amlr_blob_from_connstr(&t->blob, &err, cs, &opts) !=
			    AMLR_OK) {
			rc = cli_fail(ctx, &err);
			goto done;
		}
	}
	if (c) {
		free(t->container);
		if (!(t->container = strdup(c))) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	if (n) {
		free(t->name);
		if (!(t->name = strdup(n))) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	if (!t->container) {
		rc = cli_usage_error(ctx, usage, "missing --container");
		goto done;
	}
	if (need_name && !t->name) {
		rc = cli_usage_error(ctx, usage, "missing --name");
		goto done;
	}
	if (!amlr_blob_container_name_valid(t->container)) {
		rc = cli_usage_error(
			ctx, usage,
			"invalid container name '%s': 3 to 63 lower-case letters, digits and single hyphens",
			t->container);
		goto done;
	}
	if (ctx->debug)
		amlr_blob_set_trace_cb(t->blob, cli_trace, NULL);
done:
	amlr_connstr_free(cs);
	amlr_secret_free(url);
	if (rc != 0)
		target_release(t);
	return rc;
}

/* --- progress ----------------------------------------------------------- */

struct progress {
	struct timespec start;
	int shown;
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(uint64_t done, uint64_t total, void *payload)
{
	struct progress *p = payload;
	double secs = since(&p->start), rate = secs > 0 ? done / secs : 0;
	double eta = rate > 0 ? (double)(total - done) / rate : 0;

	fprintf(stderr, "\r%8.1f / %.1f MiB  %6.1f MiB/s  ETA %4.0fs ",
		done / 1048576.0, total / 1048576.0, rate / 1048576.0, eta);
	p->shown = 1;
}

static void progress_start(struct progress *p, amlr_blob *b)
{
	memset(p, 0, sizeof(*p));
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	if (isatty(STDERR_FILENO))
		amlr_blob_set_progress_cb(b, on_progress, p);
}

static void progress_end(const struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
}

/* --- output ------------------------------------------------------------- */

static amlr_code set_opt_str(amlr_json *o, const char *key, const char *v)
{
	return amlr_json_set_str(o, key, v); /* NULL gives null */
}

static amlr_code props_json(amlr_json **out, const amlr_blob_props *p)
{
	amlr_json *o = NULL, *b = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_object(&o)) != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "name", p->name)) != AMLR_OK ||
	    (rc = amlr_json_set_str(o, "container", p->container)) != AMLR_OK)
		goto done;
	if (p->is_prefix) {
		if ((rc = amlr_json_new_bool(&b, 1)) != AMLR_OK ||
		    (rc = amlr_json_set(o, "isPrefix", b)) != AMLR_OK)
			goto done;
		b = NULL;
		*out = o;
		o = NULL;
		goto done;
	}
	if ((rc = amlr_json_set_int(o, "contentLength",
				    (int64_t)p->content_length)) != AMLR_OK ||
	    (rc = set_opt_str(o, "contentType", p->content_type)) != AMLR_OK ||
	    (rc = set_opt_str(o, "contentMd5", p->content_md5)) != AMLR_OK ||
	    (rc = set_opt_str(o, "etag", p->etag)) != AMLR_OK ||
	    (rc = set_opt_str(o, "lastModified", p->last_modified)) !=
		    AMLR_OK ||
	    (rc = set_opt_str(o, "creationTime", p->creation_time)) !=
		    AMLR_OK ||
	    (rc = set_opt_str(o, "blobType", p->blob_type)) != AMLR_OK)
		goto done;
	*out = o;
	o = NULL;
done:
	amlr_json_free(b);
	amlr_json_free(o);
	return rc;
}

static int emit_props(struct cli_ctx *ctx, const amlr_blob_props *p)
{
	amlr_json *doc = NULL;
	int rc;

	if (props_json(&doc, p) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	rc = cli_emit(ctx, doc);
	amlr_json_free(doc);
	return rc;
}

static int blob_failed(struct cli_ctx *ctx, const struct target *t)
{
	return cli_fail(ctx, amlr_blob_error(t->blob));
}

/* --- verbs -------------------------------------------------------------- */

static int cmd_blob_upload(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct target t = { NULL, NULL, NULL };
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	struct progress pr;
	amlr_code code;
	int rc;

	if ((rc = cli_parse(&args, ctx, &upload_usage, argc, argv)) != 0 ||
	    (rc = resolve(&t, ctx, &upload_usage, &args, 1)) != 0)
		goto done;
	if (cli_has(&args, "create-container") &&
	    amlr_blob_container_create(NULL, t.blob, t.container) != AMLR_OK) {
		rc = blob_failed(ctx, &t);
		goto done;
	}
	progress_start(&pr, t.blob);
	code = amlr_blob_upload(&p, t.blob, t.container, t.name,
				cli_arg(&args, "file"),
				cli_arg(&args, "content-type"));
	progress_end(&pr);
	if (code != AMLR_OK) {
		rc = blob_failed(ctx, &t);
		goto done;
	}
	rc = emit_props(ctx, &p);
done:
	amlr_blob_props_release(&p);
	target_release(&t);
	cli_args_release(&args);
	return rc;
}

static int cmd_blob_download(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct target t = { NULL, NULL, NULL };
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	struct progress pr;
	mode_t mask;
	amlr_code code;
	int rc;

	if ((rc = cli_parse(&args, ctx, &download_usage, argc, argv)) != 0 ||
	    (rc = resolve(&t, ctx, &download_usage, &args, 1)) != 0)
		goto done;
	mask = umask(0);
	umask(mask);
	progress_start(&pr, t.blob);
	code = amlr_blob_download(&p, t.blob, t.container, t.name,
				  cli_arg(&args, "file"), 0666 & ~mask);
	progress_end(&pr);
	if (code != AMLR_OK) {
		rc = blob_failed(ctx, &t);
		goto done;
	}
	rc = emit_props(ctx, &p);
done:
	amlr_blob_props_release(&p);
	target_release(&t);
	cli_args_release(&args);
	return rc;
}

struct collect {
	amlr_json *arr;
	amlr_code rc;
};

static int collect_item(const amlr_blob_props *item, void *payload)
{
	struct collect *c = payload;
	amlr_json *o = NULL;

	if ((c->rc = props_json(&o, item)) != AMLR_OK)
		return 1;
	if ((c->rc = amlr_json_append(c->arr, o)) != AMLR_OK) { /* steals */
		amlr_json_free(o);
		return 1;
	}
	return 0;
}

static int cmd_blob_list(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct target t = { NULL, NULL, NULL };
	struct collect c = { NULL, AMLR_OK };
	unsigned page = 0;
	const char *v;
	int rc;

	if ((rc = cli_parse(&args, ctx, &list_usage, argc, argv)) != 0)
		goto done;
	if ((v = cli_arg(&args, "page-size")) &&
	    parse_uint(&page, v, 1, 5000) != 0) {
		rc = cli_usage_error(
			ctx, &list_usage,
			"invalid value '%s' for '--page-size' (1 to 5000)", v);
		goto done;
	}
	if ((rc = resolve(&t, ctx, &list_usage, &args, 0)) != 0)
		goto done;
	if (amlr_json_new_array(&c.arr) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (amlr_blob_list(t.blob, t.container, cli_arg(&args, "prefix"),
			   cli_arg(&args, "delimiter"), page, collect_item,
			   &c) != AMLR_OK) {
		rc = blob_failed(ctx, &t);
		goto done;
	}
	if (c.rc != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, c.arr);
done:
	amlr_json_free(c.arr);
	target_release(&t);
	cli_args_release(&args);
	return rc;
}

static int cmd_blob_show(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct target t = { NULL, NULL, NULL };
	amlr_blob_props p = AMLR_BLOB_PROPS_INIT;
	int rc;

	if ((rc = cli_parse(&args, ctx, &show_usage, argc, argv)) != 0 ||
	    (rc = resolve(&t, ctx, &show_usage, &args, 1)) != 0)
		goto done;
	if (amlr_blob_get_properties(&p, t.blob, t.container, t.name) !=
	    AMLR_OK) {
		rc = blob_failed(ctx, &t);
		goto done;
	}
	rc = emit_props(ctx, &p);
done:
	amlr_blob_props_release(&p);
	target_release(&t);
	cli_args_release(&args);
	return rc;
}

static int cmd_blob_delete(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct target t = { NULL, NULL, NULL };
	int rc;

	if ((rc = cli_parse(&args, ctx, &delete_usage, argc, argv)) != 0 ||
	    (rc = resolve(&t, ctx, &delete_usage, &args, 1)) != 0)
		goto done;
	if (amlr_blob_delete(t.blob, t.container, t.name) != AMLR_OK)
		rc = blob_failed(ctx, &t);
done:
	target_release(&t);
	cli_args_release(&args);
	return rc;
}

/* "30m", "24h", "7d", or an absolute SAS time. */
static int parse_expiry(time_t *out, const char *s, time_t now)
{
	unsigned long v;
	char *end;

	if (amlr_sas_parse_time(out, s) == AMLR_OK)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || s[0] == '-' || !end[0] || end[1] || v == 0 ||
	    v > 3650UL * 24 * 60)
		return -1;
	switch (*end) {
	case 'm':
		*out = now + (time_t)v * 60;
		return 0;
	case 'h':
		*out = now + (time_t)v * 3600;
		return v <= 3650UL * 24 ? 0 : -1;
	case 'd':
		*out = now + (time_t)v * 86400;
		return v <= 3650UL ? 0 : -1;
	default:
		return -1;
	}
}

static int cmd_blob_sas(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct target t = { NULL, NULL, NULL };
	amlr_json *doc = NULL;
	char se[AMLR_SAS_TIME_SIZE];
	const char *perms, *exp;
	char *url = NULL;
	time_t expiry;
	int rc;

	if ((rc = cli_parse(&args, ctx, &sas_usage, argc, argv)) != 0)
		goto done;
	perms = cli_arg(&args, "permissions") ? cli_arg(&args, "permissions")
					      : "r";
	exp = cli_arg(&args, "expiry") ? cli_arg(&args, "expiry") : "24h";
	if (parse_expiry(&expiry, exp, time(NULL)) != 0) {
		rc = cli_usage_error(
			ctx, &sas_usage,
			"invalid value '%s' for '--expiry' (30m, 24h, 7d or YYYY-MM-DDThh:mm:ssZ)",
			exp);
		goto done;
	}
	if ((rc = resolve(&t, ctx, &sas_usage, &args, 0)) != 0)
		goto done;
	if (amlr_blob_sas_url(&url, t.blob, t.container, t.name, perms,
			      expiry) != AMLR_OK) {
		rc = blob_failed(ctx, &t);
		goto done;
	}
	amlr_sas_format_time(se, expiry);
	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_set_str(doc, "url", url) != AMLR_OK ||
	    amlr_json_set_str(doc, "expiry", se) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, doc);
done:
	amlr_json_free(doc);
	amlr_secret_free(url);
	target_release(&t);
	cli_args_release(&args);
	return rc;
}

static const struct cmd_spec verbs[] = {
	{ "upload", cmd_blob_upload, 0, "Upload a file as a block blob" },
	{ "download", cmd_blob_download, 0, "Download a blob into a file" },
	{ "list", cmd_blob_list, 0, "List the blobs of a container" },
	{ "show", cmd_blob_show, 0, "Show a blob's properties" },
	{ "delete", cmd_blob_delete, 0, "Delete a blob" },
	{ "sas", cmd_blob_sas, 0, "Print a URL with a SAS for a blob" },
	{ NULL, NULL, 0, NULL },
};

int cmd_blob(int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_dispatch(ctx, "amlretrain blob", verbs, argc, argv);
}
