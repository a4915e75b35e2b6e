/* SPDX-License-Identifier: MIT */
/* amlretrain fleet: retrain and swap the models of many classic endpoints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "amlr/bes.h"
#include "amlr/blob.h"
#include "amlr/classic.h"
#include "amlr/connstr.h"
#include "amlr/fleet.h"
#include "amlr/plan.h"
#include "endpoint_cli.h"
#include "job.h"
#include "model.h"
#include "out.h"

#define TARGETS_MAX ((size_t)64 << 20)
#define DEFAULT_TIMEOUT_S 3600
#define DEFAULT_UPLOAD_CONTAINER "amlretrain-inputs"
#define CONNSTR_ENV "AZURE_STORAGE_CONNECTION_STRING"

#define OPT_END                                 \
	{                                       \
		NULL, 0, 0, NULL, NULL, NULL, 0 \
	}

#define FLEET_TARGET_OPTS                                                                                 \
	{ "targets",                                                                                      \
	  't',                                                                                            \
	  CLI_OPT_VALUE,                                                                                  \
	  "FILE",                                                                                         \
	  "the targets: CSV with a header row (endpoint, input or model, resource)",                      \
	  NULL,                                                                                           \
	  0 },                                                                                            \
		EP_OPT_WORKSPACE, EP_OPT_WEBSERVICE,                                                      \
		{ "management-endpoint",                                                                  \
		  0,                                                                                      \
		  CLI_OPT_VALUE,                                                                          \
		  "URL",                                                                                  \
		  "management API base URL (default: $AMLR_MANAGEMENT_ENDPOINT, else by --location)",     \
		  NULL,                                                                                   \
		  0 },                                                                                    \
		{ "location",                                                                             \
		  0,                                                                                      \
		  CLI_OPT_VALUE,                                                                          \
		  "NAME",                                                                                 \
		  "the workspace's region, as azuremlps names it (default: South Central US)",            \
		  NULL,                                                                                   \
		  0 },                                                                                    \
		{ "connection-string-env",                                                                \
		  0,                                                                                      \
		  CLI_OPT_VALUE,                                                                          \
		  "VAR",                                                                                  \
		  "the storage account of the blobs (default " CONNSTR_ENV                                \
		  ")",                                                                                    \
		  NULL,                                                                                   \
		  0 },                                                                                    \
		{ "resource",                                                                             \
		  0,                                                                                      \
		  CLI_OPT_VALUE,                                                                          \
		  "NAME",                                                                                 \
		  "the [trained model] resource of rows without one (default: found on the web service)", \
		  NULL,                                                                                   \
		  0 },                                                                                    \
		{ "create",                                                                               \
		  0,                                                                                      \
		  CLI_OPT_FLAG,                                                                           \
		  NULL,                                                                                   \
		  "add the endpoints that do not exist yet",                                              \
		  NULL,                                                                                   \
		  0 },                                                                                    \
		{ "concurrency",                                                                          \
		  'j',                                                                                    \
		  CLI_OPT_VALUE,                                                                          \
		  "N",                                                                                    \
		  "targets in progress at once, 1 to 256 (default 16)",                                   \
		  NULL,                                                                                   \
		  0 },                                                                                    \
		{ "shard",                                                                                \
		  0,                                                                                      \
		  CLI_OPT_VALUE,                                                                          \
		  "K/N",                                                                                  \
		  "only the targets of shard K of N (by a hash of the endpoint name)",                    \
		  NULL,                                                                                   \
		  0 },                                                                                    \
	{                                                                                                 \
		"state", 0, CLI_OPT_VALUE, "FILE",                                                        \
			"the journal to resume from and append to (default FILE.state of --targets)",     \
			NULL, 0                                                                           \
	}

static const struct cli_opt set_model_opts[] = {
	FLEET_TARGET_OPTS,
	{ "plan", 0, CLI_OPT_VALUE, "FILE",
	  "or the endpoint targets of a retraining plan (docs/plan.md)", NULL,
	  0 },
	{ "from-job", 0, CLI_OPT_VALUE, "FILE",
	  "with --plan: the model, a batch job's output ('-': stdin)", NULL,
	  0 },
	{ "job-output", 0, CLI_OPT_VALUE, "NAME",
	  "the job's output holding the model (default: output1)", NULL, 0 },
	OPT_END,
};

static const struct cli_opt retrain_opts[] = {
	FLEET_TARGET_OPTS,
	CLI_EXEC_OPTS,
	{ "container", 'c', CLI_OPT_VALUE, "NAME",
	  "where the trained models go: NAME/PREFIX/<endpoint>.ilearner", NULL,
	  CLI_OPT_REQUIRED },
	{ "prefix", 'p', CLI_OPT_VALUE, "PATH",
	  "a folder for the models in the container", NULL, 0 },
	{ "timeout", 0, CLI_OPT_VALUE, "DURATION",
	  "cancel a job still running after this long (default 1h; 0: never)",
	  NULL, 0 },
	{ "upload-container", 0, CLI_OPT_VALUE, "NAME",
	  "where @LOCAL-FILE inputs go (default " DEFAULT_UPLOAD_CONTAINER ")",
	  NULL, 0 },
	{ "input-name", 0, CLI_OPT_VALUE, "NAME",
	  "the training service's input (default input1)", NULL, 0 },
	{ "output-name", 0, CLI_OPT_VALUE, "NAME",
	  "its trained-model output (default output1)", NULL, 0 },
	OPT_END,
};

static const struct cli_opt status_opts[] = {
	{ "state", 0, CLI_OPT_VALUE, "FILE", "the journal to show", NULL, 0 },
	{ "targets", 't', CLI_OPT_VALUE, "FILE",
	  "the targets file whose FILE.state to show", NULL, 0 },
	OPT_END,
};

#define DESC_RUN                                                                 \
	"Every endpoint of the CSV (--targets) is a classic endpoint of the\n"   \
	"predictive web service (--webservice).  Up to --concurrency targets\n"  \
	"are in progress at once; throttling (429/503, Retry-After) and\n"       \
	"transient failures are retried.  Each change of a target is\n"          \
	"appended to the state file; running the same command again resumes:\n"  \
	"finished targets are not touched again, started jobs are waited for,\n" \
	"never run twice (docs/fleet.md).  The workspace token comes from\n"     \
	"$AMLR_WORKSPACE_TOKEN or --token-file; the storage account from\n"      \
	"$" CONNSTR_ENV " (AccountName and AccountKey).\n\n"                     \
	"Prints a JSON array, one object per target (endpoint, status,\n"        \
	"phase, exitCode, jobId, model, message, resumed); -o table for\n"       \
	"people.  Exit 0 when every target is done, else the exit code of the\n" \
	"first failed target in the list.  A bad CSV (a missing column, a bad\n" \
	"or repeated endpoint name) exits 2 naming the line, before anything\n"  \
	"is sent."

static const struct cli_usage set_model_usage = {
	"amlretrain fleet set-model",
	"(--targets FILE | --plan FILE --from-job FILE) [--create] [--concurrency N] [--shard K/N] [options]",
	"Point many endpoints at their trained models (CSV column model).",
	"The model column is CONTAINER/BLOB.ilearner in the storage account;\n"
	"each PATCH carries a read SAS made with the account key.  With\n"
	"--plan, the targets are the plan's endpoints (one web service, one\n"
	"workspace and token; \"create\" adds them) and every one gets the\n"
	"model of --from-job, which must be in the storage account.\n\n" DESC_RUN,
	set_model_opts,
	NULL,
	0,
};

static const struct cli_usage retrain_usage = {
	"amlretrain fleet retrain",
	"--targets FILE --container NAME [--create] [--concurrency N] [options]",
	"Retrain a model per endpoint with BES, then swap each one in.",
	"The input column is CONTAINER/BLOB in the storage account or\n"
	"@LOCAL-FILE, uploaded first under a name holding its content's hash.\n"
	"Each job writes CONTAINER/PREFIX/<endpoint>.ilearner; the training\n"
	"endpoint is --api-location (default $" CLI_API_LOCATION_ENV
	") with the key\n"
	"of $" CLI_API_KEY_ENV " or --api-key-file.\n\n" DESC_RUN,
	retrain_opts,
	NULL,
	0,
};

static const struct cli_usage status_usage = {
	"amlretrain fleet status",
	"--state FILE | --targets FILE",
	"Show what a fleet's state file says, without sending anything.",
	"One object per endpoint: its last phase, job, model, exit code and\n"
	"message, and where a new run would go on from (resumeFrom).",
	status_opts,
	NULL,
	0,
};

/* --- the targets file ----------------------------------------------------- */

/* One row of the CSV: strings borrowed from the parsed document. */
struct row {
	const char *endpoint, *ref, *resource;
	size_t line;
	char *blob; /* @file inputs: container/name after the upload */
};

struct targets {
	amlr_json *names, *rows;
	struct row *v;
	size_t n;
	amlr_plan *plan; /* --plan: the rows' strings are its */
	struct cli_job_output job; /* --from-job: the model of every row */
};

static void targets_release(struct targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].blob);
	free(t->v);
	amlr_json_free(t->names);
	amlr_json_free(t->rows);
	amlr_plan_free(t->plan);
	cli_job_output_release(&t->job);
	memset(t, 0, sizeof(*t));
}

static const char *plan_env(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

/*
 * The endpoint targets of a plan, all of one web service, workspace and
 * token (what a fleet is), each getting the model of the job's output;
 * the plan's ids, management endpoint and token into the fleet's.
 * Returns 0, or exit 2 naming the field on a plan that is no fleet.
 */
static int plan_targets(struct targets *t, struct ep_session *ids, char **mgmt,
			char **token, int *create, struct cli_ctx *ctx,
			const struct cli_args *args)
{
	const char *path = cli_arg(args, "plan");
	const char *output = cli_arg(args, "job-output");
	amlr_error err = AMLR_ERROR_INIT;
	const amlr_plan_target *a, *first = NULL;
	size_t i, n = 0, k;

	memset(t, 0, sizeof(*t));
	if (amlr_plan_load(&t->plan, &err, path, plan_env, NULL) != AMLR_OK)
		return cli_fail(ctx, &err);
	for (i = 0; i < t->plan->n_targets; i++) {
		a = &t->plan->targets[i];
		if (a->kind != AMLR_PLAN_ENDPOINT)
			return cli_failf(ctx, AMLR_EINVAL,
					 "plan: %s: a fleet swaps classic "
					 "endpoints; use 'retrain --plan' for "
					 "web services",
					 a->path);
		if (!first)
			first = a;
		else if (strcmp(a->management_endpoint,
				first->management_endpoint) ||
			 strcasecmp(a->workspace, first->workspace) ||
			 strcasecmp(a->webservice, first->webservice) ||
			 strcmp(a->token, first->token))
			return cli_failf(ctx, AMLR_EINVAL,
					 "plan: %s: a fleet is one web service "
					 "of one workspace (as %s)",
					 a->path, first->path);
		*create |= a->create;
	}
	if (cli_model_job_output(&t->job, ctx, cli_arg(args, "from-job"),
				 output ? output : "output1") != 0)
		return AMLR_EINVAL;
	k = strlen(t->job.relative);
	while (t->job.relative[0] == '/')
		memmove(t->job.relative, t->job.relative + 1, k--);
	if (k < 10 || strcmp(t->job.relative + k - 9, ".ilearner") != 0)
		return cli_failf(ctx, AMLR_EINVAL,
				 "%s: the job's model '%s' is not a .ilearner "
				 "blob",
				 cli_arg(args, "from-job"), t->job.relative);
	if (!(t->v = calloc(t->plan->n_targets, sizeof(*t->v))) ||
	    !(*mgmt = strdup(first->management_endpoint)) ||
	    !(*token = strdup(first->token)))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	for (i = 0; i < t->plan->n_targets; i++, n++) {
		t->v[n].endpoint = t->plan->targets[i].endpoint;
		t->v[n].resource = t->plan->targets[i].resource;
		t->v[n].ref = t->job.relative;
		t->v[n].line = i;
	}
	t->n = n;
	ids->workspace = first->workspace;
	ids->webservice = first->webservice;
	return 0;
}

/*
 * The line (1-based) each record after the header starts on, as
 * cli_csv_parse() reads them: empty lines skipped, quoted fields may hold
 * newlines.  @p out has room for @p max entries.
 */
static size_t record_lines(size_t *out, size_t max, const char *text,
			   size_t len)
{
	size_t i = 0, line = 1, n = 0, start;
	int quoted, header = 1;

	while (i < len) {
		if (text[i] == '\n' ||
		    (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')) {
			i += text[i] == '\r' ? 2 : 1;
			line++;
			continue; /* an empty line */
		}
		start = line;
		quoted = 0;
		for (; i < len; i++) {
			if (text[i] == '"')
				quoted = !quoted;
			else if (text[i] == '\n') {
				line++;
				if (!quoted) {
					i++;
					break;
				}
			}
		}
		if (header)
			header = 0;
		else if (n < max)
			out[n++] = start;
	}
	return n;
}

static int column(const amlr_json *names, const char *name)
{
	size_t i;
	const char *s;

	for (i = 0; i < amlr_json_len(names); i++) {
		s = amlr_json_str(amlr_json_at(names, i));
		if (s && strcmp(s, name) == 0)
			return (int)i;
	}
	return -1;
}

/* Read and check the whole file; exit 2 naming the line on bad input. */
static int read_targets(struct targets *t, struct cli_ctx *ctx,
			const char *path, int retrain)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	size_t *lines = NULL, nlines, i, k;
	const char *want = retrain ? "input" : "model";
	const amlr_json *row;
	struct row *r;
	int ce, cr, cres, rc = 0;

	memset(t, 0, sizeof(*t));
	if (amlr_file_read(&text, &err, path, TARGETS_MAX) != AMLR_OK) {
		rc = cli_failf(ctx,
			       err.code == AMLR_EFAIL ? err.code : AMLR_EINVAL,
			       "targets: %s", err.message);
		goto done;
	}
	if (cli_csv_parse(&t->names, &t->rows, &err, text.ptr ? text.ptr : "",
			  text.len) != AMLR_OK) {
		rc = cli_failf(ctx, err.code, "%s: %s", path, err.message);
		goto done;
	}
	ce = column(t->names, "endpoint");
	cr = column(t->names, want);
	cres = column(t->names, "resource");
	if (ce < 0 || cr < 0) {
		rc = cli_failf(ctx, AMLR_EINVAL,
			       "%s: line 1: the header has no '%s' column",
			       path, ce < 0 ? "endpoint" : want);
		goto done;
	}
	t->n = amlr_json_len(t->rows);
	if (!t->n) {
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: no targets", path);
		goto done;
	}
	if (!(t->v = calloc(t->n, sizeof(*t->v))) ||
	    !(lines = calloc(t->n, sizeof(*lines)))) {
		t->n = 0;
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	nlines = record_lines(lines, t->n, text.ptr ? text.ptr : "", text.len);
	for (i = 0; i < t->n; i++) {
		r = &t->v[i];
		row = amlr_json_at(t->rows, i);
		r->line = i < nlines ? lines[i] : i + 2;
		r->endpoint = amlr_json_str(amlr_json_at(row, (size_t)ce));
		r->ref = amlr_json_str(amlr_json_at(row, (size_t)cr));
		r->resource = cres < 0 ? NULL
				       : amlr_json_str(amlr_json_at(
						 row, (size_t)cres));
		if (r->resource && !*r->resource)
			r->resource = NULL;
		if (amlr_classic_check_endpoint_name(&err, r->endpoint) !=
		    AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EINVAL, "%s: line %zu: %s",
				       path, r->line, err.message);
			goto done;
		}
		for (k = 0; k < i; k++)
			if (strcmp(t->v[k].endpoint, r->endpoint) == 0) {
				rc = cli_failf(
					ctx, AMLR_EINVAL,
					"%s: line %zu: endpoint '%s' is listed twice (first on line %zu)",
					path, r->line, r->endpoint,
					t->v[k].line);
				goto done;
			}
		if (!r->ref || !*r->ref) {
			rc = cli_failf(ctx, AMLR_EINVAL,
				       "%s: line %zu: no %s for endpoint '%s'",
				       path, r->line, want, r->endpoint);
			goto done;
		}
		if (retrain && r->ref[0] == '@') {
			if (access(r->ref + 1, R_OK) != 0) {
				rc = cli_failf(
					ctx, AMLR_EINVAL,
					"%s: line %zu: cannot read '%s': %s",
					path, r->line, r->ref + 1,
					strerror(errno));
				goto done;
			}
			continue;
		}
		k = strcspn(r->ref, "/");
		if (!r->ref[k] || k == 0 || !r->ref[k + 1] ||
		    strchr(r->ref, '?')) {
			rc = cli_failf(
				ctx, AMLR_EINVAL,
				"%s: line %zu: invalid %s '%s': expected CONTAINER/BLOB%s",
				path, r->line, want, r->ref,
				retrain ? " or @LOCAL-FILE" : ".ilearner");
			goto done;
		}
		k = strlen(r->ref);
		if (!retrain &&
		    (k < 10 || strcmp(r->ref + k - 9, ".ilearner") != 0)) {
			rc = cli_failf(
				ctx, AMLR_EINVAL,
				"%s: line %zu: the model '%s' is not a .ilearner blob",
				path, r->line, r->ref);
			goto done;
		}
	}
done:
	free(lines);
	amlr_buf_release(&text);
	return rc;
}

/* --- options ----------------------------------------------------------------
 */

struct run_opts {
	unsigned concurrency;
	unsigned shard_k, shard_n; /* 0/0: all */
	uint64_t timeout_ms;
	const char *state;
	char *state_buf;
};

static int parse_uint(unsigned *out, const char *s, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int run_options(struct run_opts *o, struct cli_ctx *ctx,
		       const struct cli_usage *usage,
		       const struct cli_args *args, int retrain)
{
	const char *c = cli_arg(args, "concurrency");
	const char *s = cli_arg(args, "shard");
	const char *t = retrain ? cli_arg(args, "timeout") : NULL;
	const char *slash, *list;
	char k[16];
	long v;

	memset(o, 0, sizeof(*o));
	o->concurrency = AMLR_FLEET_DEFAULT_CONCURRENCY;
	if (c &&
	    parse_uint(&o->concurrency, c, 1, AMLR_FLEET_MAX_CONCURRENCY) != 0)
		return cli_usage_error(
			ctx, usage,
			"invalid value '%s' for '--concurrency' (1 to %d)", c,
			AMLR_FLEET_MAX_CONCURRENCY);
	if (s) {
		slash = strchr(s, '/');
		if (!slash || (size_t)(slash - s) >= sizeof(k))
			return cli_usage_error(
				ctx, usage,
				"invalid value '%s' for '--shard' (K/N, 1 <= K <= N)",
				s);
		memcpy(k, s, (size_t)(slash - s));
		k[slash - s] = '\0';
		if (parse_uint(&o->shard_n, slash + 1, 1, 1000000) != 0 ||
		    parse_uint(&o->shard_k, k, 1, o->shard_n) != 0)
			return cli_usage_error(
				ctx, usage,
				"invalid value '%s' for '--shard' (K/N, 1 <= K <= N)",
				s);
	}
	o->timeout_ms = (uint64_t)DEFAULT_TIMEOUT_S * 1000;
	if (t) {
		if (cli_parse_duration(&v, t) != 0)
			return cli_usage_error(
				ctx, usage,
				"invalid value '%s' for '--timeout' (e.g. 90s, 30m, 2h; 0 for none)",
				t);
		o->timeout_ms = (uint64_t)v * 1000;
	}
	if (!cli_arg(args, "targets") == !(!retrain && cli_arg(args, "plan")))
		return cli_usage_error(
			ctx, usage,
			retrain ? "'--targets' is required"
				: "give '--targets FILE' or '--plan FILE'");
	if (!retrain && cli_arg(args, "plan") && !cli_arg(args, "from-job"))
		return cli_usage_error(ctx, usage,
				       "'--plan' needs '--from-job FILE'");
	list = cli_arg(args, "targets") ? cli_arg(args, "targets")
					: cli_arg(args, "plan");
	o->state = cli_arg(args, "state");
	if (!o->state) {
		if (!(o->state_buf = malloc(strlen(list) + 7)))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		memcpy(o->state_buf, list, strlen(list));
		memcpy(o->state_buf + strlen(list), ".state", 7);
		o->state = o->state_buf;
	}
	return 0;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The workspace token: --token-file, else $AMLR_WORKSPACE_TOKEN. */
static int workspace_token(char **out, struct cli_ctx *ctx)
{
	const char *v;

	*out = NULL;
	if (ctx->token_file)
		return ep_read_secret_file(out, ctx, ctx->token_file,
					   "the workspace token file");
	if (!(v = env_nonempty("AMLR_WORKSPACE_TOKEN")))
		return cli_failf(
			ctx, AMLR_EAUTH,
			"no workspace token: set AMLR_WORKSPACE_TOKEN or use --token-file FILE");
	if (!(*out = strdup(v)))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	return 0;
}

/* The management base URL (as `endpoint`: --location beats the env). */
static int management_url(char **out, struct cli_ctx *ctx,
			  const struct cli_args *args)
{
	amlr_error err = AMLR_ERROR_INIT;
	const char *v = cli_arg(args, "management-endpoint");

	*out = NULL;
	if (!v && !cli_arg(args, "location"))
		v = env_nonempty("AMLR_MANAGEMENT_ENDPOINT");
	if (v) {
		if (!(*out = strdup(v)))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return 0;
	}
	if (amlr_classic_location_url(out, &err, cli_arg(args, "location")) !=
	    AMLR_OK)
		return cli_fail(ctx, &err);
	return 0;
}

/* --- uploads ----------------------------------------------------------------
 */

/* Upload the @file inputs of the selected rows (once per content). */
static int upload_inputs(struct targets *t, const unsigned char *selected,
			 struct cli_ctx *ctx, const struct cli_args *args,
			 const char *connstr)
{
	amlr_blob_opts bo = AMLR_BLOB_OPTS_INIT;
	amlr_blob_props props = AMLR_BLOB_PROPS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_connstr *cs = NULL;
	amlr_blob *blob = NULL;
	amlr_buf ref = AMLR_BUF_INIT;
	const char *container = cli_arg(args, "upload-container");
	char *name = NULL;
	size_t i;
	int made = 0, rc = 0;
	amlr_code c;

	if (!container)
		container = DEFAULT_UPLOAD_CONTAINER;
	for (i = 0; i < t->n; i++) {
		if (!selected[i] || t->v[i].ref[0] != '@')
			continue;
		if (!blob) {
			bo.http.ca_bundle = ctx->ca_bundle;
			if (amlr_connstr_parse(&cs, &err, connstr) != AMLR_OK ||
			    amlr_blob_from_connstr(&blob, &err, cs, &bo) !=
				    AMLR_OK) {
				rc = cli_fail(ctx, &err);
				goto done;
			}
		}
		free(name);
		name = NULL;
		if (amlr_bes_input_blob_name(&name, &err, t->v[i].ref + 1) !=
		    AMLR_OK) {
			rc = cli_fail(ctx, &err);
			goto done;
		}
		c = amlr_blob_get_properties(&props, blob, container, name);
		amlr_blob_props_release(&props);
		if (c == AMLR_ENOTFOUND) {
			if ((!made && amlr_blob_container_create(NULL, blob,
								 container) !=
					      AMLR_OK) ||
			    amlr_blob_upload(NULL, blob, container, name,
					     t->v[i].ref + 1,
					     "text/csv") != AMLR_OK) {
				rc = cli_fail(ctx, amlr_blob_error(blob));
				goto done;
			}
			made = 1;
		} else if (c != AMLR_OK) {
			rc = cli_fail(ctx, amlr_blob_error(blob));
			goto done;
		}
		amlr_buf_clear(&ref);
		if (amlr_buf_printf(&ref, "%s/%s", container, name) !=
			    AMLR_OK ||
		    !(t->v[i].blob = strdup(ref.ptr))) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
done:
	free(name);
	amlr_buf_release(&ref);
	amlr_blob_free(blob);
	amlr_connstr_free(cs);
	return rc;
}

/* --- running ----------------------------------------------------------------
 */

static void show_progress(const amlr_fleet_progress *p, void *payload)
{
	struct cli_ctx *ctx = payload;

	fprintf(stderr,
		"\r\033[Kfleet: %zu/%zu done, %zu failed, %zu in flight, %.1f s",
		p->done, p->total, p->failed, p->in_flight,
		(double)p->elapsed_ms / 1000.0);
	fflush(stderr);
	ctx->progress_shown = 1;
}

static amlr_code set_bool(amlr_json *o, const char *key, int v)
{
	amlr_json *b = NULL;

	if (amlr_json_new_bool(&b, v) != AMLR_OK)
		return AMLR_EFAIL;
	return amlr_json_set(o, key, b); /* steals */
}

/* The results as JSON (or, for tables, the columns people read). */
static int emit_results(struct cli_ctx *ctx, const amlr_fleet *f)
{
	const amlr_fleet_result *r;
	amlr_json *arr = NULL, *o = NULL;
	int table = ctx->output != CLI_OUT_JSON;
	size_t i;
	int rc;

	if (amlr_json_new_array(&arr) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	for (i = 0; (r = amlr_fleet_result_at(f, i)); i++) {
		if (amlr_json_new_object(&o) != AMLR_OK ||
		    amlr_json_append(arr, o) != AMLR_OK ||
		    amlr_json_set_str(o, "endpoint", r->endpoint) != AMLR_OK ||
		    amlr_json_set_str(o, "status",
				      amlr_fleet_status_name(r->status)) !=
			    AMLR_OK ||
		    (!table &&
		     amlr_json_set_str(o, "phase", r->phase) != AMLR_OK) ||
		    amlr_json_set_int(o, table ? "exit" : "exitCode",
				      r->code) != AMLR_OK ||
		    amlr_json_set_str(o, table ? "job" : "jobId", r->job_id) !=
			    AMLR_OK ||
		    (!table &&
		     amlr_json_set_str(o, "model", r->model) != AMLR_OK) ||
		    amlr_json_set_str(o, "message", r->message) != AMLR_OK ||
		    (!table && set_bool(o, "resumed", r->resumed) != AMLR_OK)) {
			amlr_json_free(arr);
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		}
	}
	rc = cli_emit(ctx, arr);
	amlr_json_free(arr);
	return rc;
}

static int fleet_run(int argc, char **argv, struct cli_ctx *ctx, int retrain)
{
	const struct cli_usage *usage =
		retrain ? &retrain_usage : &set_model_usage;
	amlr_fleet_opts fo = AMLR_FLEET_OPTS_INIT;
	amlr_fleet_target ft;
	amlr_error err = AMLR_ERROR_INIT;
	struct cli_args args = CLI_ARGS_INIT;
	struct cli_exec exec = CLI_EXEC_INIT;
	struct targets t;
	struct run_opts ro;
	struct ep_session ids;
	const amlr_fleet_result *r = NULL;
	unsigned char *selected = NULL;
	const char *cs_env, *connstr;
	char *token = NULL, *mgmt = NULL;
	amlr_fleet *f = NULL;
	size_t i;
	int rc, erc, first = 0, plan_create = 0;

	memset(&t, 0, sizeof(t));
	memset(&ro, 0, sizeof(ro));
	if ((rc = cli_parse(&args, ctx, usage, argc, argv)) != 0 ||
	    (rc = run_options(&ro, ctx, usage, &args, retrain)) != 0)
		goto done;
	/* The whole list is checked before anything else happens. */
	if (cli_arg(&args, "plan")) {
		memset(&ids, 0, sizeof(ids));
		if ((rc = plan_targets(&t, &ids, &mgmt, &token, &plan_create,
				       ctx, &args)) != 0)
			goto done;
	} else if ((rc = ep_check_ids(&ids, ctx, usage, &args,
				      EP_NEED_WEBSERVICE)) != 0 ||
		   (rc = read_targets(&t, ctx, cli_arg(&args, "targets"),
				      retrain)) != 0) {
		goto done;
	}
	if (!(selected = calloc(t.n, 1))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; i < t.n; i++)
		selected[i] = !ro.shard_n ||
			      amlr_fleet_shard_of(t.v[i].endpoint,
						  ro.shard_n) == ro.shard_k - 1;
	cs_env = cli_arg(&args, "connection-string-env");
	if (!cs_env)
		cs_env = CONNSTR_ENV;
	if (!(connstr = env_nonempty(cs_env))) {
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"no storage account: set %s to its connection string",
			cs_env);
		goto done;
	}
	if ((!token && (rc = workspace_token(&token, ctx)) != 0) ||
	    (retrain &&
	     (rc = cli_exec_resolve(&exec, ctx, usage, &args)) != 0) ||
	    (!mgmt && (rc = management_url(&mgmt, ctx, &args)) != 0))
		goto done;
	if (retrain &&
	    (rc = upload_inputs(&t, selected, ctx, &args, connstr)) != 0)
		goto done;
	fo.mode = retrain ? AMLR_FLEET_RETRAIN : AMLR_FLEET_SET_MODEL;
	cli_http_opts(ctx, &fo.http);
	fo.management_endpoint = mgmt;
	fo.workspace_id = ids.workspace;
	fo.workspace_token = token;
	fo.webservice_id = ids.webservice;
	fo.connection_string = connstr;
	fo.api_location = exec.location;
	fo.api_key = exec.key;
	fo.container = cli_arg(&args, "container");
	fo.prefix = cli_arg(&args, "prefix");
	fo.input_name = cli_arg(&args, "input-name");
	fo.output_name = cli_arg(&args, "output-name");
	fo.resource = cli_arg(&args, "resource");
	fo.create = cli_has(&args, "create") || plan_create;
	fo.concurrency = ro.concurrency;
	fo.job_timeout_ms = ro.timeout_ms;
	fo.journal = ro.state;
	if (amlr_fleet_new(&f, &err, &fo) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	for (i = 0; i < t.n; i++) {
		if (!selected[i])
			continue;
		ft.endpoint = t.v[i].endpoint;
		ft.input = retrain ? (t.v[i].blob ? t.v[i].blob : t.v[i].ref)
				   : NULL;
		ft.model = retrain ? NULL : t.v[i].ref;
		ft.resource = t.v[i].resource;
		if (amlr_fleet_add(f, &err, &ft) != AMLR_OK) {
			rc = t.plan ? cli_failf(ctx, err.code,
						"plan: targets[%zu]: %s",
						t.v[i].line, err.message)
				    : cli_failf(ctx, err.code,
						"%s: line %zu: %s",
						cli_arg(&args, "targets"),
						t.v[i].line, err.message);
			goto done;
		}
	}
	if (isatty(STDERR_FILENO))
		amlr_fleet_set_progress_cb(f, show_progress, ctx);
	if (ctx->debug)
		amlr_fleet_set_trace_cb(f, cli_trace, NULL);
	rc = amlr_fleet_run(f, &err);
	cli_progress_done(ctx);
	/* The results also after an engine failure, if anything happened. */
	for (i = 0; rc != AMLR_OK && (r = amlr_fleet_result_at(f, i)) &&
		    r->status == AMLR_FLEET_NOT_RUN;
	     i++)
		;
	if ((rc == AMLR_OK || r) && (erc = emit_results(ctx, f)) != 0 &&
	    rc == AMLR_OK) {
		rc = erc;
		goto done;
	}
	if (rc != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	for (i = 0; (r = amlr_fleet_result_at(f, i)); i++)
		if (r->status == AMLR_FLEET_FAILED ||
		    r->status == AMLR_FLEET_NOT_RUN) {
			if (!first)
				first = r->code ? (int)r->code : AMLR_EFAIL;
			fprintf(stderr, "amlretrain: %s: %s\n", r->endpoint,
				r->message ? r->message : "failed");
		}
	rc = first;
done:
	amlr_fleet_free(f);
	amlr_secret_free(token);
	free(mgmt);
	free(selected);
	free(ro.state_buf);
	cli_exec_release(&exec);
	targets_release(&t);
	cli_args_release(&args);
	return rc;
}

static int cmd_fleet_retrain(int argc, char **argv, struct cli_ctx *ctx)
{
	return fleet_run(argc, argv, ctx, 1);
}

static int cmd_fleet_set_model(int argc, char **argv, struct cli_ctx *ctx)
{
	return fleet_run(argc, argv, ctx, 0);
}

/* The columns of the status table: endpoint, phase, exit, job, resume. */
static int table_view(amlr_json **out, const amlr_json *view)
{
	const amlr_json *v;
	amlr_json *o = NULL;
	int64_t code = 0;
	size_t i;

	if (amlr_json_new_array(out) != AMLR_OK)
		return -1;
	for (i = 0; (v = amlr_json_at(view, i)); i++) {
		amlr_json_int(&code, amlr_json_get(v, "exitCode"));
		if (amlr_json_new_object(&o) != AMLR_OK ||
		    amlr_json_append(*out, o) != AMLR_OK ||
		    amlr_json_set_str(o, "endpoint",
				      amlr_json_get_str(v, "endpoint")) !=
			    AMLR_OK ||
		    amlr_json_set_str(o, "phase",
				      amlr_json_get_str(v, "phase")) !=
			    AMLR_OK ||
		    amlr_json_set_int(o, "exit", code) != AMLR_OK ||
		    amlr_json_set_str(o, "job",
				      amlr_json_get_str(v, "jobId")) !=
			    AMLR_OK ||
		    amlr_json_set_str(o, "resumeFrom",
				      amlr_json_get_str(v, "resumeFrom")) !=
			    AMLR_OK ||
		    amlr_json_set_str(o, "message",
				      amlr_json_get_str(v, "message")) !=
			    AMLR_OK) {
			amlr_json_free(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

static int cmd_fleet_status(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *view = NULL, *rows = NULL;
	amlr_buf path = AMLR_BUF_INIT;
	const char *state;
	int rc;

	if ((rc = cli_parse(&args, ctx, &status_usage, argc, argv)) != 0)
		goto done;
	state = cli_arg(&args, "state");
	if (!state && cli_arg(&args, "targets")) {
		if (amlr_buf_printf(&path, "%s.state",
				    cli_arg(&args, "targets")) != AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
		state = path.ptr;
	}
	if (!state) {
		rc = cli_usage_error(ctx, &status_usage,
				     "give --state FILE or --targets FILE");
		goto done;
	}
	if (amlr_fleet_journal_read(&view, NULL, &err, state) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (ctx->output != CLI_OUT_JSON &&
	    (rc = table_view(&rows, view)) != 0) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, rows ? rows : view);
done:
	amlr_json_free(rows);
	amlr_json_free(view);
	amlr_buf_release(&path);
	cli_args_release(&args);
	return rc;
}

static const struct cmd_spec verbs[] = {
	{ "retrain", cmd_fleet_retrain, 0,
	  "Retrain a model per endpoint (BES), then swap each one in" },
	{ "set-model", cmd_fleet_set_model, 0,
	  "Point many endpoints at their trained models" },
	{ "status", cmd_fleet_status, 0,
	  "Show a fleet's state file without sending anything" },
	{ NULL, NULL, 0, NULL },
};

int cmd_fleet(int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_dispatch(ctx, "amlretrain fleet", verbs, argc, argv);
}
