/* SPDX-License-Identifier: MIT */
/* amlretrain job: batch (BES) jobs: submit, start, status, wait, cancel, run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amlr/bes.h"
#include "job.h"
#include "out.h"

#define DEFAULT_TIMEOUT_S 3600

#define JOB_ID_OPT                                                 \
	{                                                          \
		"job", 'j', CLI_OPT_VALUE, "ID",                   \
			"the job id (as submit printed it)", NULL, \
			CLI_OPT_REQUIRED                           \
	}

#define REQUEST_OPTS                                                                                                  \
	{ "input",                                                                                                    \
	  'i',                                                                                                        \
	  CLI_OPT_VALUE,                                                                                              \
	  "NAME=REF",                                                                                                 \
	  "an input: CONTAINER/BLOB, sas:FILE (a blob URL with a SAS in FILE), a blob URL, or @LOCAL-FILE",           \
	  NULL,                                                                                                       \
	  CLI_OPT_REPEAT },                                                                                           \
		{ "output",                                                                                           \
		  'O',                                                                                                \
		  CLI_OPT_VALUE,                                                                                      \
		  "NAME=REF",                                                                                         \
		  "where an output goes: CONTAINER/BLOB, sas:FILE or a blob URL",                                     \
		  NULL,                                                                                               \
		  CLI_OPT_REPEAT },                                                                                   \
		{ "param",                                                                                            \
		  'p',                                                                                                \
		  CLI_OPT_VALUE,                                                                                      \
		  "NAME=VALUE",                                                                                       \
		  "a global parameter of the web service",                                                            \
		  NULL,                                                                                               \
		  CLI_OPT_REPEAT },                                                                                   \
		{ "connection-string-env",                                                                            \
		  0,                                                                                                  \
		  CLI_OPT_VALUE,                                                                                      \
		  "VAR",                                                                                              \
		  "the storage account of CONTAINER/BLOB refs and uploads (default AZURE_STORAGE_CONNECTION_STRING)", \
		  NULL,                                                                                               \
		  0 },                                                                                                \
	{                                                                                                             \
		"upload-container", 0, CLI_OPT_VALUE, "NAME",                                                         \
			"where @LOCAL-FILE inputs go (default amlretrain-inputs; created if missing)",                \
			NULL, 0                                                                                       \
	}

#define WAIT_OPTS                                                                         \
	{ "timeout",                                                                      \
	  0,                                                                              \
	  CLI_OPT_VALUE,                                                                  \
	  "DURATION",                                                                     \
	  "cancel the job if it is still running after this long (default 1h; 0: never)", \
	  NULL,                                                                           \
	  0 },                                                                            \
	{                                                                                 \
		"poll-max", 0, CLI_OPT_VALUE, "DURATION",                                 \
			"longest wait between two polls (default 10s)", NULL,             \
			0                                                                 \
	}

#define OPTS_END                                \
	{                                       \
		NULL, 0, 0, NULL, NULL, NULL, 0 \
	}

static const struct cli_opt submit_opts[] = {
	CLI_EXEC_OPTS,
	REQUEST_OPTS,
	OPTS_END,
};

static const struct cli_opt run_opts[] = {
	CLI_EXEC_OPTS,
	REQUEST_OPTS,
	WAIT_OPTS,
	OPTS_END,
};

static const struct cli_opt id_opts[] = {
	CLI_EXEC_OPTS,
	JOB_ID_OPT,
	OPTS_END,
};

static const struct cli_opt wait_opts[] = {
	CLI_EXEC_OPTS,
	JOB_ID_OPT,
	WAIT_OPTS,
	OPTS_END,
};

#define DESC_KEY                                                              \
	"The endpoint is --api-location (default $" CLI_API_LOCATION_ENV      \
	"); its API key\n"                                                    \
	"comes from $" CLI_API_KEY_ENV " or --api-key-file FILE, never from " \
	"the\n"                                                               \
	"command line."

#define DESC_REFS                                                                    \
	"REF is CONTAINER/BLOB in the account of $AZURE_STORAGE_CONNECTION_STRING\n" \
	"(or --connection-string-env VAR), sent with its account key;\n"             \
	"sas:FILE, a file holding a blob URL with a SAS (a SAS is never\n"           \
	"taken from the command line); a blob URL of that account without a\n"       \
	"SAS; or, for inputs, @LOCAL-FILE, uploaded first to --upload-container\n"   \
	"under a name holding its content's hash (run twice, stored once)."

#define DESC_STATUS                                                              \
	"Prints the job's status JSON (StatusCode, Results with each output's\n" \
	"BaseLocation, RelativeLocation and SasBlobToken, Details, JobId):\n"    \
	"`webservice set-model --from-job FILE` reads it.  -o table lists\n"     \
	"the outputs' URLs without their SAS."

#define DESC_WAIT                                                                  \
	"Polls soon, then less often (up to --poll-max), showing the state and\n"  \
	"the time waited on standard error when it is a terminal.  Exit codes:\n"  \
	"0 Finished, 10 Failed (Details in the message), 11 Cancelled, 12 still\n" \
	"running after --timeout (the job is then cancelled).  The final\n"        \
	"status goes to standard output also for Failed and Cancelled."

static const struct cli_usage submit_usage = {
	"amlretrain job submit",
	"--input NAME=REF... [--output NAME=REF...] [--param K=V...] [options]",
	"Submit a batch job (not started yet); print its id.",
	DESC_KEY "\n\n" DESC_REFS,
	submit_opts,
	NULL,
	0,
};

static const struct cli_usage start_usage = {
	"amlretrain job start",
	"--job ID [options]",
	"Start a submitted job.",
	DESC_KEY,
	id_opts,
	NULL,
	0,
};

static const struct cli_usage status_usage = {
	"amlretrain job status",
	"--job ID [options]",
	"Print a job's status (fresh SAS tokens in Results on every call).",
	DESC_KEY "\n\n" DESC_STATUS,
	id_opts,
	NULL,
	0,
};

static const struct cli_usage wait_usage = {
	"amlretrain job wait",
	"--job ID [--timeout DURATION] [options]",
	"Wait for a job to end; print its final status.",
	DESC_KEY "\n\n" DESC_WAIT "\n\n" DESC_STATUS,
	wait_opts,
	NULL,
	0,
};

static const struct cli_usage cancel_usage = {
	"amlretrain job cancel",
	"--job ID [options]",
	"Cancel a job.",
	DESC_KEY,
	id_opts,
	NULL,
	0,
};

static const struct cli_usage run_usage = {
	"amlretrain job run",
	"--input NAME=REF... [--output NAME=REF...] [--timeout DURATION] [options]",
	"Submit, start and wait for a batch job; print its final status.",
	DESC_KEY "\n\n" DESC_REFS "\n\n" DESC_WAIT "\n\n" DESC_STATUS,
	run_opts,
	NULL,
	0,
};

/* The handle on the endpoint of the options. */
static int open_bes(amlr_bes **out, struct cli_ctx *ctx,
		    const struct cli_usage *usage, const struct cli_args *args)
{
	struct cli_exec e = CLI_EXEC_INIT;
	amlr_client *client;
	int rc;

	*out = NULL;
	if ((rc = cli_exec_resolve(&e, ctx, usage, args)) != 0)
		goto done;
	if (!(client = cli_client(ctx))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (amlr_bes_new(out, client, e.location, e.key) != AMLR_OK)
		rc = cli_fail(ctx, amlr_client_error(client));
done:
	cli_exec_release(&e);
	return rc;
}

static int failed(struct cli_ctx *ctx)
{
	return cli_fail(ctx, amlr_client_error(ctx->client));
}

/* The wait options of --timeout and --poll-max. */
static int wait_options(amlr_bes_wait_opts *o, struct cli_ctx *ctx,
			const struct cli_usage *usage,
			const struct cli_args *args)
{
	const char *t = cli_arg(args, "timeout"),
		   *p = cli_arg(args, "poll-max");
	long v;

	o->timeout_ms = (uint64_t)DEFAULT_TIMEOUT_S * 1000;
	if (t) {
		if (cli_parse_duration(&v, t) != 0)
			return cli_usage_error(
				ctx, usage,
				"invalid value '%s' for '--timeout' (e.g. 90s, 30m, 2h; 0 for none)",
				t);
		o->timeout_ms = (uint64_t)v * 1000;
	}
	if (p) {
		if (cli_parse_duration(&v, p) != 0 || v < 1 || v > 3600)
			return cli_usage_error(
				ctx, usage,
				"invalid value '%s' for '--poll-max' (1s to 1h)",
				p);
		o->poll_max_ms = (unsigned)v * 1000;
		if (o->poll_min_ms > o->poll_max_ms)
			o->poll_min_ms = o->poll_max_ms;
	}
	return 0;
}

/* "amlretrain: job 539d...: Running (12.3 s)", on a terminal only. */
static int show_progress(const amlr_bes_progress *p, void *payload)
{
	struct cli_ctx *ctx = payload;

	fprintf(stderr, "\r\033[Kamlretrain: job %s: %s (%.1f s)", p->job_id,
		amlr_bes_state_name(p->state), (double)p->elapsed_ms / 1000.0);
	fflush(stderr);
	ctx->progress_shown = 1;
	return 0;
}

/* BaseLocation + RelativeLocation, without the SAS. */
static amlr_code url_of(amlr_buf *out, const amlr_json *ref)
{
	const char *base = amlr_json_get_str(ref, "BaseLocation");
	const char *rel = amlr_json_get_str(ref, "RelativeLocation");

	if (!rel)
		return AMLR_OK;
	if (!base)
		return amlr_buf_puts(out, rel);
	while (*rel == '/')
		rel++;
	return amlr_buf_printf(
		out, "%s%s%s", base,
		*base && base[strlen(base) - 1] != '/' ? "/" : "", rel);
}

/* One row of the -o table view. */
static amlr_code add_row(amlr_json *rows, const char *id, const char *state,
			 const char *name, const amlr_json *ref)
{
	amlr_json *row = NULL;
	amlr_buf url = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EFAIL;

	if (amlr_json_new_object(&row) == AMLR_OK &&
	    amlr_json_set_str(row, "job", id) == AMLR_OK &&
	    amlr_json_set_str(row, "status", state) == AMLR_OK &&
	    amlr_json_set_str(row, "output", name) == AMLR_OK &&
	    amlr_buf_puts(&url, "") == AMLR_OK &&
	    url_of(&url, ref) == AMLR_OK &&
	    amlr_json_set_str(row, "url", url.ptr) == AMLR_OK) {
		rc = amlr_json_append(rows, row); /* steals */
		row = NULL;
	}
	amlr_buf_release(&url);
	amlr_json_free(row);
	return rc;
}

/* -o table/tsv: one row per output (job, status, output, url). */
static amlr_code table_of(amlr_json **out, const amlr_json *status,
			  const char *id)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const amlr_json *results = amlr_json_get(status, "Results");
	const char *name, *state = amlr_json_get_str(status, "StatusCode");
	amlr_json *rows = NULL, *ref;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_array(&rows)) != AMLR_OK)
		return rc;
	while (rc == AMLR_OK && amlr_json_next(&name, &ref, results, &it))
		rc = add_row(rows, id, state, name, ref);
	if (rc == AMLR_OK && !amlr_json_len(rows))
		rc = add_row(rows, id, state, "", NULL);
	if (rc != AMLR_OK) {
		amlr_json_free(rows);
		return rc;
	}
	*out = rows;
	return AMLR_OK;
}

/* Print a status: the document (with JobId) as JSON, or the table. */
static int emit_status(struct cli_ctx *ctx, amlr_json *doc, const char *id)
{
	amlr_json *table = NULL;
	int rc;

	if (amlr_json_set_str(doc, "JobId", id) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	if (ctx->output == CLI_OUT_JSON)
		return cli_emit(ctx, doc);
	if (table_of(&table, doc, id) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	rc = cli_emit(ctx, table);
	amlr_json_free(table);
	return rc;
}

/* Wait for @p id and print the outcome: the shared end of wait and run. */
static int wait_and_print(struct cli_ctx *ctx, amlr_bes *bes, const char *id,
			  const amlr_bes_wait_opts *o)
{
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_error err;
	amlr_code code;
	int rc;

	code = amlr_bes_wait(&st, bes, id, o,
			     isatty(STDERR_FILENO) ? show_progress : NULL, ctx);
	cli_progress_done(ctx);
	err = *amlr_client_error(ctx->client);
	if (!st.doc) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	/* The final status, also for Failed and Cancelled. */
	if ((rc = emit_status(ctx, st.doc, id)) != 0)
		goto done;
	if (code != AMLR_OK)
		rc = cli_fail(ctx, &err);
done:
	amlr_bes_status_release(&st);
	return rc;
}

static int cmd_job_submit(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_json *req = NULL, *doc = NULL;
	amlr_bes *bes = NULL;
	char *id = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, &submit_usage, argc, argv)) != 0 ||
	    (rc = open_bes(&bes, ctx, &submit_usage, &args)) != 0 ||
	    (rc = cli_job_request(&req, ctx, &submit_usage, &args)) != 0)
		goto done;
	if (amlr_bes_submit(&id, bes, req) != AMLR_OK) {
		rc = failed(ctx);
		goto done;
	}
	if (ctx->output != CLI_OUT_JSON) {
		/* For people and scripts alike: the bare id. */
		if ((rc = cli_emit_raw(ctx, id, strlen(id))) == 0)
			rc = cli_emit_raw(ctx, "\n", 1);
		goto done;
	}
	if (amlr_json_new_string(&doc, id) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, doc);
done:
	free(id);
	amlr_json_free(doc);
	amlr_json_free(req);
	amlr_bes_free(bes);
	cli_args_release(&args);
	return rc;
}

/* start and cancel: one call, nothing printed. */
static int simple(int argc, char **argv, struct cli_ctx *ctx,
		  const struct cli_usage *usage,
		  amlr_code (*call)(amlr_bes *, const char *))
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_bes *bes = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, usage, argc, argv)) != 0 ||
	    (rc = open_bes(&bes, ctx, usage, &args)) != 0)
		goto done;
	if (call(bes, cli_arg(&args, "job")) != AMLR_OK)
		rc = failed(ctx);
done:
	amlr_bes_free(bes);
	cli_args_release(&args);
	return rc;
}

static int cmd_job_start(int argc, char **argv, struct cli_ctx *ctx)
{
	return simple(argc, argv, ctx, &start_usage, amlr_bes_start);
}

static int cmd_job_cancel(int argc, char **argv, struct cli_ctx *ctx)
{
	return simple(argc, argv, ctx, &cancel_usage, amlr_bes_cancel);
}

static int cmd_job_status(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_bes *bes = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, &status_usage, argc, argv)) != 0 ||
	    (rc = open_bes(&bes, ctx, &status_usage, &args)) != 0)
		goto done;
	if (amlr_bes_status_get(&st, bes, cli_arg(&args, "job")) != AMLR_OK) {
		rc = failed(ctx);
		goto done;
	}
	rc = emit_status(ctx, st.doc, cli_arg(&args, "job"));
done:
	amlr_bes_status_release(&st);
	amlr_bes_free(bes);
	cli_args_release(&args);
	return rc;
}

static int cmd_job_wait(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_bes_wait_opts o = AMLR_BES_WAIT_OPTS_INIT;
	amlr_bes *bes = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, &wait_usage, argc, argv)) != 0 ||
	    (rc = wait_options(&o, ctx, &wait_usage, &args)) != 0 ||
	    (rc = open_bes(&bes, ctx, &wait_usage, &args)) != 0)
		goto done;
	rc = wait_and_print(ctx, bes, cli_arg(&args, "job"), &o);
done:
	amlr_bes_free(bes);
	cli_args_release(&args);
	return rc;
}

static int cmd_job_run(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_bes_wait_opts o = AMLR_BES_WAIT_OPTS_INIT;
	amlr_json *req = NULL;
	amlr_bes *bes = NULL;
	amlr_error err;
	char *id = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, &run_usage, argc, argv)) != 0 ||
	    (rc = wait_options(&o, ctx, &run_usage, &args)) != 0 ||
	    (rc = open_bes(&bes, ctx, &run_usage, &args)) != 0 ||
	    (rc = cli_job_request(&req, ctx, &run_usage, &args)) != 0)
		goto done;
	if (amlr_bes_submit(&id, bes, req) != AMLR_OK) {
		rc = failed(ctx);
		goto done;
	}
	if (ctx->verbose)
		fprintf(stderr, "amlretrain: submitted job %s\n", id);
	if (amlr_bes_start(bes, id) != AMLR_OK) {
		/* Say which job exists now, so that it can be found. */
		err = *amlr_client_error(ctx->client);
		snprintf(err.message, sizeof(err.message),
			 "job '%.128s' was submitted but not started: %.300s",
			 id, amlr_client_error(ctx->client)->message);
		rc = cli_fail(ctx, &err);
		goto done;
	}
	rc = wait_and_print(ctx, bes, id, &o);
done:
	free(id);
	amlr_json_free(req);
	amlr_bes_free(bes);
	cli_args_release(&args);
	return rc;
}

static const struct cmd_spec verbs[] = {
	{ "submit", cmd_job_submit, 0, "Submit a batch job; print its id" },
	{ "start", cmd_job_start, 0, "Start a submitted job" },
	{ "status", cmd_job_status, 0, "Print a job's status" },
	{ "wait", cmd_job_wait, 0, "Wait for a job to end" },
	{ "cancel", cmd_job_cancel, 0, "Cancel a job" },
	{ "run", cmd_job_run, 0, "Submit, start and wait for a job" },
	{ NULL, NULL, 0, NULL },
};

int cmd_job(int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_dispatch(ctx, "amlretrain job", verbs, argc, argv);
}
