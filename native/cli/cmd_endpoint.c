/* SPDX-License-Identifier: MIT */
/* amlretrain endpoint: classic web services' endpoints (notes §3). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "endpoint_cli.h"
#include "out.h"

#define SECRET_FILE_MAX (64 * 1024)

/* --- the session --------------------------------------------------------- */

static const char *env_or(const char *value, const char *name)
{
	const char *v = value ? value : getenv(name);

	return v && *v ? v : NULL;
}

int ep_check_ids(struct ep_session *s, struct cli_ctx *ctx,
		 const struct cli_usage *usage, const struct cli_args *args,
		 unsigned need)
{
	amlr_error err = AMLR_ERROR_INIT;

	memset(s, 0, sizeof(*s));
	s->workspace = env_or(cli_arg(args, "workspace"), "AMLR_WORKSPACE_ID");
	s->webservice =
		env_or(cli_arg(args, "webservice"), "AMLR_WEBSERVICE_ID");
	s->name = cli_arg(args, "name");
	if (!s->workspace)
		return cli_usage_error(
			ctx, usage,
			"no workspace: use --workspace or set AMLR_WORKSPACE_ID");
	if ((need & EP_NEED_WEBSERVICE) && !s->webservice)
		return cli_usage_error(
			ctx, usage,
			"no web service: use --webservice or set AMLR_WEBSERVICE_ID");
	if ((need & EP_NEED_NAME) &&
	    amlr_classic_check_endpoint_name(&err, s->name) != AMLR_OK)
		return cli_usage_error(ctx, usage, "%s", err.message);
	return 0;
}

int ep_read_secret_file(char **out, struct cli_ctx *ctx, const char *path,
			const char *what)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	size_t start = 0, end;
	int rc = 0;

	*out = NULL;
	if (amlr_file_read(&text, &err, path, SECRET_FILE_MAX) != AMLR_OK) {
		rc = cli_failf(ctx, err.code, "%s: %s", what, err.message);
		goto done;
	}
	if (text.ptr) {
		while (text.ptr[start] == ' ' || text.ptr[start] == '\t')
			start++;
		end = start + strcspn(text.ptr + start, "\r\n");
		while (end > start &&
		       (text.ptr[end - 1] == ' ' || text.ptr[end - 1] == '\t'))
			end--;
		if (end > start &&
		    !(*out = strndup(text.ptr + start, end - start))) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	if (!*out)
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: '%s' is empty", what,
			       path);
done:
	amlr_buf_release_secret(&text);
	return rc;
}

/*
 * The credential, first found: --endpoint-key-file, the global
 * --token-file (a workspace token), AMLR_WORKSPACE_TOKEN,
 * AMLR_ENDPOINT_KEY.  Never from argv.
 */
static int credential(char **out, struct cli_ctx *ctx,
		      const struct cli_args *args)
{
	const char *key_file = cli_arg(args, "endpoint-key-file");
	const char *v;

	*out = NULL;
	if (key_file)
		return ep_read_secret_file(out, ctx, key_file,
					   "the endpoint key file");
	if (ctx->token_file)
		return ep_read_secret_file(out, ctx, ctx->token_file,
					   "the workspace token file");
	if ((v = env_or(NULL, "AMLR_WORKSPACE_TOKEN")) ||
	    (v = env_or(NULL, "AMLR_ENDPOINT_KEY"))) {
		if (!(*out = strdup(v)))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return 0;
	}
	return cli_failf(
		ctx, AMLR_EAUTH,
		"no credentials: set AMLR_WORKSPACE_TOKEN, or use --token-file FILE (a workspace token) or --endpoint-key-file FILE");
}

int ep_connect(struct ep_session *s, struct cli_ctx *ctx,
	       const struct cli_args *args)
{
	amlr_classic_opts o = AMLR_CLASSIC_OPTS_INIT;
	amlr_client *client;
	char *token = NULL;
	int rc;

	if ((rc = credential(&token, ctx, args)) != 0)
		return rc;
	if (!(client = cli_client(ctx))) {
		amlr_secret_free(token);
		return AMLR_EFAIL;
	}
	/* An explicit --location beats the environment's endpoint. */
	o.endpoint = cli_arg(args, "management-endpoint");
	o.location = cli_arg(args, "location");
	if (!o.endpoint && !o.location)
		o.endpoint = env_or(NULL, "AMLR_MANAGEMENT_ENDPOINT");
	o.workspace_id = s->workspace;
	o.token = token;
	if (amlr_classic_new(&s->classic, client, &o) != AMLR_OK)
		rc = ep_fail(ctx);
	amlr_secret_free(token);
	return rc;
}

int ep_open(struct ep_session *s, struct cli_ctx *ctx,
	    const struct cli_usage *usage, const struct cli_args *args,
	    unsigned need)
{
	int rc;

	if ((rc = ep_check_ids(s, ctx, usage, args, need)) != 0)
		return rc;
	return ep_connect(s, ctx, args);
}

void ep_close(struct ep_session *s)
{
	amlr_classic_free(s->classic);
	s->classic = NULL;
}

int ep_fail(struct cli_ctx *ctx)
{
	return cli_fail(ctx, amlr_client_error(ctx->client));
}

void ep_note(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	fputs("amlretrain: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- output -------------------------------------------------------------- */

char *ep_resource_location(const amlr_json *res)
{
	amlr_json *loc = amlr_json_get(res, "Location");
	const char *base = amlr_json_get_str(loc, "BaseLocation");
	const char *rel = amlr_json_get_str(loc, "RelativeLocation");
	amlr_buf b = AMLR_BUF_INIT;

	if (!base || !rel)
		return NULL;
	if (amlr_buf_printf(
		    &b, "%s%s%s", base,
		    *base && base[strlen(base) - 1] != '/' && *rel != '/' ? "/"
									  : "",
		    rel) != AMLR_OK) {
		amlr_buf_release(&b);
		return NULL;
	}
	return amlr_buf_detach(&b);
}

/* Blank out what must not reach stdout. */
static amlr_code scrub(amlr_json *ep, int show_keys)
{
	amlr_json *res = amlr_json_get(ep, "Resources"), *loc;
	size_t i;

	if (!show_keys &&
	    ((amlr_json_get(ep, "PrimaryKey") &&
	      amlr_json_set(ep, "PrimaryKey", NULL) != AMLR_OK) ||
	     (amlr_json_get(ep, "SecondaryKey") &&
	      amlr_json_set(ep, "SecondaryKey", NULL) != AMLR_OK)))
		return AMLR_EFAIL;
	for (i = 0; i < amlr_json_len(res); i++) {
		loc = amlr_json_get(amlr_json_at(res, i), "Location");
		if (amlr_json_get(loc, "SasBlobToken") &&
		    amlr_json_set(loc, "SasBlobToken", NULL) != AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* One table row: the settings and the (first) resource's model. */
static amlr_code table_row(amlr_json **out, const amlr_json *ep)
{
	amlr_json *row = NULL, *v;
	const amlr_json *res = amlr_json_at(amlr_json_get(ep, "Resources"), 0);
	char *where = ep_resource_location(res);
	int64_t n;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (amlr_json_new_object(&row) != AMLR_OK ||
	    amlr_json_set_str(row, "Name", amlr_json_get_str(ep, "Name")) ||
	    amlr_json_set_str(row, "ThrottleLevel",
			      amlr_json_get_str(ep, "ThrottleLevel")))
		goto done;
	v = amlr_json_get(ep, "MaxConcurrentCalls");
	if ((amlr_json_int(&n, v)
		     ? amlr_json_set_int(row, "MaxConcurrentCalls", n)
		     : amlr_json_set(row, "MaxConcurrentCalls", NULL)) !=
		    AMLR_OK ||
	    amlr_json_set_str(row, "Resource",
			      amlr_json_get_str(res, "Name")) ||
	    amlr_json_set_str(row, "Location", where))
		goto done;
	*out = row;
	row = NULL;
	rc = AMLR_OK;
done:
	free(where);
	amlr_json_free(row);
	return rc;
}

int ep_emit(struct cli_ctx *ctx, amlr_json *doc, int show_keys)
{
	amlr_json *rows = NULL, *row = NULL;
	int array = amlr_json_type_of(doc) == AMLR_JSON_ARRAY;
	size_t i, n = array ? amlr_json_len(doc) : 1;
	int rc;

	for (i = 0; i < n; i++)
		if (scrub(array ? amlr_json_at(doc, i) : doc, show_keys) !=
		    AMLR_OK)
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	if (ctx->output == CLI_OUT_JSON)
		return cli_emit(ctx, doc);
	if (amlr_json_new_array(&rows) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	for (i = 0; i < n; i++) {
		if (table_row(&row, array ? amlr_json_at(doc, i) : doc) !=
			    AMLR_OK ||
		    amlr_json_append(rows, row) != AMLR_OK) {
			amlr_json_free(rows);
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		}
	}
	rc = cli_emit(ctx, rows);
	amlr_json_free(rows);
	return rc;
}

static int ends_with_ci(const char *s, const char *tail)
{
	size_t n = s ? strlen(s) : 0, m = strlen(tail);

	return n >= m && strcasecmp(s + n - m, tail) == 0;
}

int ep_find_resource(const amlr_json **out, struct cli_ctx *ctx,
		     const amlr_json *ep, const char *wanted)
{
	const amlr_json *res = amlr_json_get(ep, "Resources"), *r, *hit = NULL;
	amlr_buf names = AMLR_BUF_INIT;
	const char *name;
	size_t i, hits = 0;
	int rc = 0;

	*out = NULL;
	for (i = 0; i < amlr_json_len(res); i++) {
		r = amlr_json_at(res, i);
		name = amlr_json_get_str(r, "Name");
		if (!name)
			continue;
		if (amlr_buf_printf(&names, "%s'%s'", names.len ? ", " : "",
				    name) != AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
		/* Names are copied exactly (notes §3.5): an exact match. */
		if (wanted ? strcmp(name, wanted) == 0
			   : ends_with_ci(name, "[trained model]")) {
			hit = r;
			hits++;
		}
	}
	if (hits == 1) {
		*out = hit;
		goto done;
	}
	if (wanted)
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"endpoint '%s' has no resource '%s' (it has: %s)",
			amlr_json_get_str(ep, "Name"), wanted,
			names.len ? names.ptr : "none");
	else if (hits)
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"endpoint '%s' has several trained models: choose one with --resource (%s)",
			amlr_json_get_str(ep, "Name"), names.ptr);
	else
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"endpoint '%s' has no '[trained model]' resource (it has: %s); is it an endpoint of the predictive web service?",
			amlr_json_get_str(ep, "Name"),
			names.len ? names.ptr : "none");
done:
	amlr_buf_release(&names);
	return rc;
}

/* --- webservices --------------------------------------------------------- */

static const struct cli_opt webservices_opts[] = {
	EP_OPT_WORKSPACE,
	{ "webservice", 's', CLI_OPT_VALUE, "ID",
	  "show this web service only (default: list them all)", NULL, 0 },
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage webservices_usage = {
	"amlretrain endpoint webservices",
	"[--webservice ID] [options]",
	"List the classic web services of a workspace (or show one).",
	"What Get-AmlWebService shows: Id, Name, Description, CreationTime,\n"
	"WorkspaceId, DefaultEndpointName, EndpointCount.",
	webservices_opts,
	NULL,
	0,
};

static int cmd_endpoint_webservices(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct ep_session s;
	amlr_json *doc = NULL;
	const char *id;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = cli_parse(&args, ctx, &webservices_usage, argc, argv)) != 0 ||
	    (rc = ep_open(&s, ctx, &webservices_usage, &args, 0)) != 0)
		goto done;
	/* Only an explicit --webservice narrows it, not the default. */
	id = cli_arg(&args, "webservice");
	if ((id ? amlr_classic_webservice_get(&doc, s.classic, id)
		: amlr_classic_webservice_list(&doc, s.classic)) != AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	rc = cli_emit(ctx, doc);
done:
	amlr_json_free(doc);
	ep_close(&s);
	cli_args_release(&args);
	return rc;
}

/* --- list ---------------------------------------------------------------- */

static const struct cli_opt list_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	{ "show-keys", 0, CLI_OPT_FLAG, NULL,
	  "include PrimaryKey and SecondaryKey (secrets: mind where stdout goes)",
	  NULL, 0 },
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage list_usage = {
	"amlretrain endpoint list",
	"[--webservice ID] [options]",
	"List the endpoints of a classic web service.",
	"Keys are left out (null) unless --show-keys, and the SAS tokens of\n"
	"resources always.",
	list_opts,
	NULL,
	0,
};

static int cmd_endpoint_list(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct ep_session s;
	amlr_json *doc = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = cli_parse(&args, ctx, &list_usage, argc, argv)) != 0 ||
	    (rc = ep_open(&s, ctx, &list_usage, &args, EP_NEED_WEBSERVICE)) !=
		    0)
		goto done;
	if (amlr_classic_endpoint_list(&doc, s.classic, s.webservice) !=
	    AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	rc = ep_emit(ctx, doc, cli_has(&args, "show-keys"));
done:
	amlr_json_free(doc);
	ep_close(&s);
	cli_args_release(&args);
	return rc;
}

/* --- get ----------------------------------------------------------------- */

static const struct cli_opt get_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	EP_OPT_NAME,
	{ "show-keys", 0, CLI_OPT_FLAG, NULL,
	  "include PrimaryKey and SecondaryKey (secrets: mind where stdout goes)",
	  NULL, 0 },
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage get_usage = {
	"amlretrain endpoint get",
	"--name NAME [--webservice ID] [options]",
	"Show an endpoint of a classic web service.",
	"ApiLocation is where to score (RRS: /execute) and run jobs (BES:\n"
	"/jobs); the keys are left out (null) unless --show-keys, and the\n"
	"resources' SAS tokens always.",
	get_opts,
	NULL,
	0,
};

static int cmd_endpoint_get(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct ep_session s;
	amlr_json *doc = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = cli_parse(&args, ctx, &get_usage, argc, argv)) != 0 ||
	    (rc = ep_open(&s, ctx, &get_usage, &args,
			  EP_NEED_WEBSERVICE | EP_NEED_NAME)) != 0)
		goto done;
	if (amlr_classic_endpoint_get(&doc, s.classic, s.webservice, s.name) !=
	    AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	rc = ep_emit(ctx, doc, cli_has(&args, "show-keys"));
done:
	amlr_json_free(doc);
	ep_close(&s);
	cli_args_release(&args);
	return rc;
}

/* --- add ----------------------------------------------------------------- */

static const char *const throttle_choices[] = { "Low", "High", NULL };

static const struct cli_opt add_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	EP_OPT_NAME,
	{ "description", 'd', CLI_OPT_VALUE, "TEXT",
	  "description (2000 characters at most)", NULL, 0 },
	{ "throttle-level", 0, CLI_OPT_VALUE, "LEVEL",
	  "Low (default: 4 concurrent calls) or High (see --max-concurrent-calls)",
	  throttle_choices, 0 },
	{ "max-concurrent-calls", 0, CLI_OPT_VALUE, "N",
	  "1-200, with --throttle-level High", NULL, 0 },
	{ "prevent-update", 0, CLI_OPT_FLAG, NULL,
	  "set PreventUpdate (azuremlps -PreventUpdate)", NULL, 0 },
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage add_usage = {
	"amlretrain endpoint add",
	"--name NAME [--webservice ID] [--description TEXT] [--throttle-level Low|High]",
	"Add an endpoint to a classic web service (PUT), as Add-AmlWebServiceEndpoint does.",
	"Add it to the predictive web service: only its non-default endpoints\n"
	"can take a retrained model.  An endpoint that exists with the same\n"
	"settings is left alone (a success that says so: runbooks may run it\n"
	"again); one whose settings differ gets the given ones.  With Low,\n"
	"--max-concurrent-calls is ignored with a warning and sent as null,\n"
	"as azuremlps does.  PreventUpdate is sent false unless\n"
	"--prevent-update (an existing endpoint keeps its own).  Free\n"
	"workspaces allow Low only, and 3 endpoints.",
	add_opts,
	NULL,
	0,
};

/* The endpoint's PreventUpdate: 1 true, 0 false or absent. */
static int prevent_update_of(const amlr_json *ep)
{
	int b = 0;

	return amlr_json_bool(&b, amlr_json_get(ep, "PreventUpdate")) && b;
}

/* Whether the existing endpoint already has the settings asked for. */
static int same_settings(const amlr_json *ep,
			 const amlr_classic_endpoint_settings *want,
			 int throttle_given)
{
	const char *d = amlr_json_get_str(ep, "Description");
	const char *t = amlr_json_get_str(ep, "ThrottleLevel");
	int64_t n = 0;

	if (want->description && (!d || strcmp(d, want->description) != 0))
		return 0;
	if (throttle_given && (!t || strcasecmp(t, want->throttle_level) != 0))
		return 0;
	if (want->max_concurrent_calls &&
	    (!amlr_json_int(&n, amlr_json_get(ep, "MaxConcurrentCalls")) ||
	     n != want->max_concurrent_calls))
		return 0;
	if (want->prevent_update && !prevent_update_of(ep))
		return 0;
	return 1;
}

/* Settings for a PUT on an existing endpoint: what was not given stays. */
static void merge_settings(amlr_classic_endpoint_settings *want,
			   const amlr_json *ep, int throttle_given)
{
	int64_t n = 0;

	if (!want->description)
		want->description = amlr_json_get_str(ep, "Description");
	if (!throttle_given && amlr_json_get_str(ep, "ThrottleLevel"))
		want->throttle_level = amlr_json_get_str(ep, "ThrottleLevel");
	if (!want->max_concurrent_calls &&
	    strcasecmp(want->throttle_level, "High") == 0 &&
	    amlr_json_int(&n, amlr_json_get(ep, "MaxConcurrentCalls")) &&
	    n > 0 && n <= 200)
		want->max_concurrent_calls = (int)n;
	if (prevent_update_of(ep))
		want->prevent_update = 1;
}

static int cmd_endpoint_add(int argc, char **argv, struct cli_ctx *ctx)
{
	amlr_classic_endpoint_settings want =
		AMLR_CLASSIC_ENDPOINT_SETTINGS_INIT;
	struct cli_args args = CLI_ARGS_INIT;
	struct ep_session s;
	amlr_json *current = NULL, *result = NULL;
	const char *n_arg;
	char *end;
	long n = 0;
	int rc, throttle_given;

	memset(&s, 0, sizeof(s));
	if ((rc = cli_parse(&args, ctx, &add_usage, argc, argv)) != 0 ||
	    (rc = ep_check_ids(&s, ctx, &add_usage, &args,
			       EP_NEED_WEBSERVICE | EP_NEED_NAME)) != 0)
		goto done;
	want.description = cli_arg(&args, "description");
	want.prevent_update = cli_has(&args, "prevent-update");
	throttle_given = cli_has(&args, "throttle-level");
	want.throttle_level =
		throttle_given ? cli_arg(&args, "throttle-level") : "Low";
	if ((n_arg = cli_arg(&args, "max-concurrent-calls"))) {
		errno = 0;
		n = strtol(n_arg, &end, 10);
		if (errno || end == n_arg || *end || n < 1 || n > 200) {
			rc = cli_usage_error(
				ctx, &add_usage,
				"invalid value '%s' for '--max-concurrent-calls' (1-200)",
				n_arg);
			goto done;
		}
	}
	if (want.description && strlen(want.description) > 2000) {
		rc = cli_usage_error(
			ctx, &add_usage,
			"the description is longer than 2000 characters");
		goto done;
	}
	if ((rc = ep_connect(&s, ctx, &args)) != 0)
		goto done;
	if (amlr_classic_endpoint_get(&current, s.classic, s.webservice,
				      s.name) != AMLR_OK &&
	    amlr_client_error(ctx->client)->code != AMLR_ENOTFOUND) {
		rc = ep_fail(ctx);
		goto done;
	}
	/* The level it will have: the one given, else the one it has. */
	if (!throttle_given && amlr_json_get_str(current, "ThrottleLevel"))
		want.throttle_level =
			amlr_json_get_str(current, "ThrottleLevel");
	if (n && strcasecmp(want.throttle_level, "Low") == 0) {
		ep_note(ctx,
			"warning: --max-concurrent-calls is ignored with ThrottleLevel Low (4 concurrent calls): sending null");
		n = 0;
	}
	want.max_concurrent_calls = (int)n;
	if (current) {
		if (same_settings(current, &want, throttle_given)) {
			ep_note(ctx,
				"endpoint '%s' exists already with these settings: nothing to do",
				s.name);
			rc = ep_emit(ctx, current, 0);
			goto done;
		}
		merge_settings(&want, current, throttle_given);
		ep_note(ctx,
			"endpoint '%s' exists: setting ThrottleLevel %s, MaxConcurrentCalls %d%s",
			s.name, want.throttle_level, want.max_concurrent_calls,
			cli_has(&args, "description") ? " and its description"
						      : "");
	}
	if (amlr_classic_endpoint_add(NULL, s.classic, s.webservice, s.name,
				      &want) != AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	/* The PUT's reply is undocumented (notes §3.1): read it back. */
	if (amlr_classic_endpoint_get(&result, s.classic, s.webservice,
				      s.name) != AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	if (!current)
		ep_note(ctx, "endpoint '%s' added", s.name);
	rc = ep_emit(ctx, result, 0);
done:
	amlr_json_free(current);
	amlr_json_free(result);
	ep_close(&s);
	cli_args_release(&args);
	return rc;
}

/* --- remove -------------------------------------------------------------- */

static const struct cli_opt remove_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	EP_OPT_NAME,
	{ "yes", 'y', CLI_OPT_FLAG, NULL, "do not ask for confirmation", NULL,
	  0 },
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage remove_usage = {
	"amlretrain endpoint remove",
	"--name NAME [--webservice ID] [--yes]",
	"Remove an endpoint of a classic web service (DELETE).",
	"Asks on a terminal; elsewhere --yes is needed.  The default endpoint\n"
	"is never removed (it follows the web service).",
	remove_opts,
	NULL,
	0,
};

static int cmd_endpoint_remove(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct ep_session s;
	char prompt[512];
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = cli_parse(&args, ctx, &remove_usage, argc, argv)) != 0 ||
	    (rc = ep_check_ids(&s, ctx, &remove_usage, &args,
			       EP_NEED_WEBSERVICE | EP_NEED_NAME)) != 0)
		goto done;
	if (strcmp(s.name, "default") == 0) {
		rc = cli_usage_error(
			ctx, &remove_usage,
			"refusing to remove the default endpoint: it belongs to the web service");
		goto done;
	}
	if (!cli_has(&args, "yes")) {
		if (!isatty(STDIN_FILENO)) {
			rc = cli_usage_error(
				ctx, &remove_usage,
				"refusing to remove '%s' without --yes: stdin is not a terminal",
				s.name);
			goto done;
		}
		snprintf(prompt, sizeof(prompt),
			 "Remove endpoint '%s' of web service '%s'?", s.name,
			 s.webservice);
		if (!cli_confirm(prompt)) {
			rc = cli_failf(ctx, AMLR_EINVAL, "not removed");
			goto done;
		}
	}
	if ((rc = ep_connect(&s, ctx, &args)) != 0)
		goto done;
	if (amlr_classic_endpoint_delete(s.classic, s.webservice, s.name) !=
	    AMLR_OK)
		rc = ep_fail(ctx);
done:
	ep_close(&s);
	cli_args_release(&args);
	return rc;
}

/* --- refresh ------------------------------------------------------------- */

static const struct cli_opt refresh_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	EP_OPT_NAME,
	{ "overwrite-resources", 0, CLI_OPT_FLAG, NULL,
	  "also replace the endpoint's trained models with the default's", NULL,
	  0 },
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage refresh_usage = {
	"amlretrain endpoint refresh",
	"--name NAME [--webservice ID] [--overwrite-resources]",
	"Bring an endpoint up to its web service's current graph.",
	"A non-default endpoint stays on the graph it was created or last\n"
	"refreshed with.  Without --overwrite-resources its trained models are\n"
	"kept.  Prints whether it was refreshed or unchanged (the service's\n"
	"304); the default endpoint follows the web service by itself.",
	refresh_opts,
	NULL,
	0,
};

static int cmd_endpoint_refresh(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct ep_session s;
	amlr_json *doc = NULL, *flag = NULL;
	int rc, refreshed = 0, overwrite;

	memset(&s, 0, sizeof(s));
	if ((rc = cli_parse(&args, ctx, &refresh_usage, argc, argv)) != 0 ||
	    (rc = ep_check_ids(&s, ctx, &refresh_usage, &args,
			       EP_NEED_WEBSERVICE | EP_NEED_NAME)) != 0)
		goto done;
	if (strcmp(s.name, "default") == 0) {
		rc = cli_usage_error(
			ctx, &refresh_usage,
			"the default endpoint cannot be refreshed: it follows the web service");
		goto done;
	}
	overwrite = cli_has(&args, "overwrite-resources");
	if ((rc = ep_connect(&s, ctx, &args)) != 0)
		goto done;
	if (amlr_classic_endpoint_refresh(&refreshed, s.classic, s.webservice,
					  s.name, overwrite) != AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	ep_note(ctx,
		refreshed ? "endpoint '%s' refreshed"
			  : "endpoint '%s' unchanged: nothing to refresh",
		s.name);
	if (amlr_json_new_bool(&flag, overwrite) ||
	    amlr_json_new_object(&doc) ||
	    amlr_json_set_str(doc, "name", s.name) ||
	    amlr_json_set_str(doc, "webServiceId", s.webservice) ||
	    amlr_json_set_str(doc, "result",
			      refreshed ? "refreshed" : "unchanged") ||
	    amlr_json_set(doc, "overwriteResources", amlr_json_ref(flag))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, doc);
done:
	amlr_json_free(flag);
	amlr_json_free(doc);
	ep_close(&s);
	cli_args_release(&args);
	return rc;
}

/* --- the noun ------------------------------------------------------------ */

static const struct cmd_spec verbs[] = {
	{ "webservices", cmd_endpoint_webservices, 0,
	  "List the classic web services of the workspace" },
	{ "list", cmd_endpoint_list, 0, "List a web service's endpoints" },
	{ "get", cmd_endpoint_get, 0, "Show an endpoint" },
	{ "add", cmd_endpoint_add, 0, "Add an endpoint (idempotent)" },
	{ "remove", cmd_endpoint_remove, 0, "Remove an endpoint" },
	{ "refresh", cmd_endpoint_refresh, 0,
	  "Bring an endpoint up to its web service's graph" },
	{ "set-model", cmd_endpoint_set_model, 0,
	  "Point an endpoint's trained model at a new .ilearner, safely" },
	{ "rollback", cmd_endpoint_rollback, 0,
	  "Re-apply the model locations of a backup" },
	{ NULL, NULL, 0, NULL },
};

int cmd_endpoint(int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_dispatch(ctx, "amlretrain endpoint", verbs, argc, argv);
}
