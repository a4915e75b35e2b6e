/* SPDX-License-Identifier: MIT */
/* amlretrain retrain --plan: upload, train, gate, swap, report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amlr/bes.h"
#include "amlr/blob.h"
#include "amlr/connstr.h"
#include "amlr/fileio.h"
#include "amlr/secret.h"
#include "gate.h"
#include "opt.h"
#include "out.h"
#include "retrain.h"

static const struct cli_opt retrain_opts[] = {
	{ "plan", 'p', CLI_OPT_VALUE, "FILE", "the plan (docs/plan.md)", NULL,
	  CLI_OPT_REQUIRED },
	{ "dry-run", 0, CLI_OPT_FLAG, NULL,
	  "check the plan and its targets, print the steps, change nothing",
	  NULL, 0 },
	{ "report", 0, CLI_OPT_VALUE, "FILE",
	  "write the run report here (default: the plan's \"report\")", NULL,
	  0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct cli_usage retrain_usage = {
	"amlretrain retrain",
	"--plan FILE [--dry-run] [--report FILE]",
	"Retrain and promote a model as a plan says: upload, train, gate, swap.",
	"The run: upload the training data, run the training web service's\n"
	"batch job, read its evaluation, score the holdout with the current\n"
	"and the new model, apply the gate, then for each target: pre-flight,\n"
	"back up, swap, verify.  The report (JSON) goes to stdout and to the\n"
	"report file; a summary for people to stderr.  A rejected model\n"
	"changes nothing in production (exit 13).  Plans: docs/plan.md.",
	retrain_opts,
	NULL,
	0,
};

static const char *env_of(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t ms_since(double t)
{
	return (int64_t)((now_s() - t) * 1000 + 0.5);
}

static void iso_now(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static amlr_code set_num(amlr_json *obj, const char *key, double v)
{
	amlr_json *n = NULL;

	if (isnan(v))
		return amlr_json_set(obj, key, NULL);
	if (amlr_json_new_double(&n, v) != AMLR_OK)
		return AMLR_EFAIL;
	return amlr_json_set(obj, key, n);
}

static amlr_json *report_obj(struct retrain_run *run, const char *key)
{
	amlr_json *o = amlr_json_get(run->report, key);

	if (o)
		return o;
	if (amlr_json_new_object(&o) != AMLR_OK ||
	    amlr_json_set(run->report, key, o) != AMLR_OK)
		return NULL;
	return o;
}

/* Every local file the plan reads, before anything else happens. */
static int check_files(struct retrain_run *run)
{
	const amlr_plan *p = run->plan;
	size_t i;

	for (i = 0; i < p->n_inputs; i++)
		if (p->inputs[i].file && access(p->inputs[i].file, R_OK) != 0)
			return cli_failf(run->ctx, AMLR_EINVAL,
					 "plan: training.inputs.%s.file: "
					 "cannot read '%s'",
					 p->inputs[i].name, p->inputs[i].file);
	return 0;
}

/* --dry-run: the steps, as people would do them by hand. */
static int dry_run(struct retrain_run *run)
{
	const amlr_plan *p = run->plan;
	amlr_json *doc = NULL, *steps = NULL, *step;
	amlr_buf line = AMLR_BUF_INIT;
	char label[256];
	size_t i;
	int rc = 0;

#define STEP(...)                                                       \
	do {                                                            \
		amlr_buf_clear(&line);                                  \
		if (amlr_buf_printf(&line, __VA_ARGS__) != AMLR_OK ||   \
		    amlr_json_new_string(&step, line.ptr) != AMLR_OK || \
		    amlr_json_append(steps, step) != AMLR_OK)           \
			goto nomem;                                     \
	} while (0)

	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_new_array(&steps) != AMLR_OK ||
	    amlr_json_set_str(doc, "plan", p->name) != AMLR_OK ||
	    amlr_json_new_bool(&step, 1) != AMLR_OK ||
	    amlr_json_set(doc, "dryRun", step) != AMLR_OK)
		goto nomem;
	for (i = 0; i < p->n_inputs; i++)
		if (p->inputs[i].file)
			STEP("upload %s to container %s", p->inputs[i].file,
			     p->container);
	STEP("run the batch job at %s (timeout %ld s)", p->api_location,
	     p->timeout_ms / 1000);
	if (p->evaluation_output)
		STEP("read the evaluation (%s)", p->evaluation_output);
	if (p->has_gate && p->gate.holdout) {
		STEP("score %s with the current model of %s", p->gate.holdout,
		     retrain_target_label(label, sizeof(label),
					  &p->targets[0]));
		STEP("put the new model into the staging %s and score it",
		     retrain_target_label(label, sizeof(label),
					  p->gate.staging));
	}
	if (p->has_gate)
		STEP("gate on %s", p->gate.metric);
	for (i = 0; i < p->n_targets; i++)
		STEP("swap the model of %s (pre-flight, back up, verify)",
		     retrain_target_label(label, sizeof(label),
					  &p->targets[i]));
	if (amlr_json_set(doc, "steps", steps) != AMLR_OK) {
		steps = NULL;
		goto nomem;
	}
	steps = NULL;
	rc = cli_emit(run->ctx, doc);
	goto done;
nomem:
	rc = cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
done:
#undef STEP
	amlr_buf_release(&line);
	amlr_json_free(steps);
	amlr_json_free(doc);
	return rc;
}

/* A blob reference of the account-key form (notes §1.2). */
static amlr_code blob_ref(amlr_json **out, const char *cs, const char *rel)
{
	amlr_code rc;

	if ((rc = amlr_json_new_object(out)) != AMLR_OK)
		return rc;
	if ((rc = amlr_json_set_str(*out, "ConnectionString", cs)) ||
	    (rc = amlr_json_set_str(*out, "RelativeLocation", rel))) {
		amlr_json_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Upload the input files (content-addressed names) and name the blobs. */
static int upload(amlr_json *inputs, struct retrain_run *run)
{
	const amlr_plan *p = run->plan;
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_connstr *cs = NULL;
	amlr_blob *blob = NULL;
	amlr_json *ref = NULL, *done = report_obj(run, "inputs");
	amlr_buf rel = AMLR_BUF_INIT;
	char *name = NULL;
	size_t i;
	int rc = 0;

	cli_http_opts(run->ctx, &opts.http);
	if (amlr_connstr_parse(&cs, &err, p->connection_string) != AMLR_OK ||
	    amlr_blob_from_connstr(&blob, &err, cs, &opts) != AMLR_OK) {
		rc = cli_failf(run->ctx, AMLR_EINVAL,
			       "plan: storage.connectionString: %s",
			       err.message);
		goto done;
	}
	for (i = 0; i < p->n_inputs && !rc; i++) {
		amlr_buf_clear(&rel);
		free(name);
		name = NULL;
		if (p->inputs[i].blob) {
			rc = amlr_buf_puts(&rel, p->inputs[i].blob);
		} else {
			if (amlr_bes_input_blob_name(&name, &err,
						     p->inputs[i].file) !=
			    AMLR_OK) {
				rc = cli_fail(run->ctx, &err);
				break;
			}
			retrain_note(run, "uploading %s as %s/%s",
				     p->inputs[i].file, p->container, name);
			if (amlr_blob_container_create(
				    NULL, blob, p->container) != AMLR_OK ||
			    amlr_blob_upload(NULL, blob, p->container, name,
					     p->inputs[i].file,
					     "text/csv") != AMLR_OK) {
				rc = cli_fail(run->ctx, amlr_blob_error(blob));
				break;
			}
			rc = amlr_buf_printf(&rel, "%s/%s", p->container, name);
		}
		if (rc || blob_ref(&ref, p->connection_string, rel.ptr) ||
		    amlr_json_set(inputs, p->inputs[i].name, ref) || !done ||
		    amlr_json_set_str(done, p->inputs[i].name, rel.ptr))
			rc = cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	}
done:
	free(name);
	amlr_buf_release(&rel);
	amlr_blob_free(blob);
	amlr_connstr_free(cs);
	return rc;
}

static int show_job(const amlr_bes_progress *p, void *payload)
{
	struct cli_ctx *ctx = payload;

	fprintf(stderr, "\r\033[Kamlretrain: retrain: job %s: %s (%.1f s)",
		p->job_id, amlr_bes_state_name(p->state),
		(double)p->elapsed_ms / 1000.0);
	fflush(stderr);
	ctx->progress_shown = 1;
	return 0;
}

/* The batch job: submit, start, wait; its status saved for --from-job. */
static int train(struct retrain_run *run, amlr_json *inputs)
{
	const amlr_plan *p = run->plan;
	amlr_bes_wait_opts wo = AMLR_BES_WAIT_OPTS_INIT;
	amlr_bes_status st = AMLR_BES_STATUS_INIT;
	amlr_json *req = NULL, *outs = NULL, *ref = NULL;
	amlr_json *job = report_obj(run, "job");
	amlr_error err = AMLR_ERROR_INIT;
	amlr_client *client = cli_client(run->ctx);
	amlr_buf rel = AMLR_BUF_INIT, text = AMLR_BUF_INIT;
	amlr_bes *bes = NULL;
	char *id = NULL;
	amlr_code ac;
	int rc = 0;

	if (!client || !job)
		return AMLR_EFAIL;
	if (amlr_json_new_object(&req) || amlr_json_new_object(&outs) ||
	    amlr_json_set(req, "Inputs", amlr_json_ref(inputs)) ||
	    amlr_buf_printf(&rel, "%s/%s/%s/model.ilearner", p->container,
			    p->name, run->id) ||
	    blob_ref(&ref, p->connection_string, rel.ptr) ||
	    amlr_json_set(outs, p->model_output, ref))
		goto nomem;
	amlr_buf_clear(&rel);
	if (p->evaluation_output &&
	    (amlr_buf_printf(&rel, "%s/%s/%s/evaluation.csv", p->container,
			     p->name, run->id) ||
	     blob_ref(&ref, p->connection_string, rel.ptr) ||
	     amlr_json_set(outs, p->evaluation_output, ref)))
		goto nomem;
	if (amlr_json_set(req, "Outputs", outs)) {
		outs = NULL;
		goto nomem;
	}
	outs = NULL;
	ref = amlr_json_ref(p->parameters);
	if ((!ref && amlr_json_new_object(&ref)) ||
	    amlr_json_set(req, "GlobalParameters", ref))
		goto nomem;
	if (amlr_bes_new(&bes, client, p->api_location, p->api_key) !=
		    AMLR_OK ||
	    amlr_bes_submit(&id, bes, req) != AMLR_OK) {
		rc = cli_fail(run->ctx, amlr_client_error(client));
		goto done;
	}
	if (amlr_json_set_str(job, "id", id) ||
	    amlr_json_set_str(job, "apiLocation", amlr_bes_api_location(bes)))
		goto nomem;
	retrain_note(run, "job %s submitted to %s", id,
		     amlr_bes_api_location(bes));
	if (amlr_bes_start(bes, id) != AMLR_OK) {
		rc = cli_fail(run->ctx, amlr_client_error(client));
		goto done;
	}
	wo.timeout_ms = (uint64_t)p->timeout_ms;
	ac = amlr_bes_wait(&st, bes, id, &wo,
			   isatty(STDERR_FILENO) ? show_job : NULL, run->ctx);
	cli_progress_done(run->ctx);
	amlr_json_set_str(job, "state", amlr_bes_state_name(st.state));
	if (ac != AMLR_OK) {
		rc = cli_fail(run->ctx, amlr_client_error(client));
		goto done;
	}
	amlr_buf_clear(&rel);
	if (amlr_json_serialize(&text, st.doc, AMLR_JSON_PRETTY) ||
	    amlr_buf_printf(&rel, "%s/job.json", run->tmpdir) ||
	    !(run->job_file = strdup(rel.ptr)))
		goto nomem;
	if (amlr_file_write_atomic(&err, run->job_file, text.ptr, text.len,
				   0600) != AMLR_OK) {
		rc = cli_fail(run->ctx, &err);
		goto done;
	}
	goto done;
nomem:
	rc = cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
done:
	free(id);
	amlr_bes_status_release(&st);
	amlr_bes_free(bes);
	amlr_buf_release_secret(&text);
	amlr_buf_release(&rel);
	amlr_json_free(outs);
	amlr_json_free(req);
	return rc;
}

/* An output of the finished job: its blob URL, with and without SAS. */
static int job_output(char **url, char **sas_url, struct retrain_run *run,
		      const amlr_json *status, const char *name)
{
	const amlr_json *r =
		amlr_json_get(amlr_json_get(status, "Results"), name);
	const char *base = amlr_json_get_str(r, "BaseLocation");
	const char *rel = amlr_json_get_str(r, "RelativeLocation");
	const char *sas = amlr_json_get_str(r, "SasBlobToken");
	amlr_buf b = AMLR_BUF_INIT;

	*url = NULL;
	if (sas_url)
		*sas_url = NULL;
	if (!base || !rel)
		return cli_failf(run->ctx, AMLR_ESERVER,
				 "the job's Results have no '%s' blob", name);
	while (*rel == '/')
		rel++;
	if (amlr_buf_printf(&b, "%s%s%s", base,
			    base[0] && base[strlen(base) - 1] == '/' ? "" : "/",
			    rel) != AMLR_OK ||
	    !(*url = strdup(b.ptr)) ||
	    (sas_url && sas &&
	     (amlr_buf_printf(&b, "%s%s", *sas == '?' ? "" : "?", sas) ||
	      !(*sas_url = strdup(b.ptr))))) {
		amlr_buf_release_secret(&b);
		return cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	}
	amlr_buf_release_secret(&b);
	return 0;
}

/* The job's status document, as saved. */
static int job_status(amlr_json **out, struct retrain_run *run)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	int rc = 0;

	if (amlr_file_read(&text, &err, run->job_file, 0) != AMLR_OK ||
	    amlr_json_parse(out, &err, text.ptr, text.len) != AMLR_OK)
		rc = cli_fail(run->ctx, &err);
	amlr_buf_release_secret(&text);
	return rc;
}

/* Read the evaluation output into the report; *value the gate's metric. */
static int evaluation(double *value, struct retrain_run *run,
		      const amlr_json *status)
{
	const amlr_plan *p = run->plan;
	amlr_json *ev = report_obj(run, "evaluation");
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_buf text = AMLR_BUF_INIT, path = AMLR_BUF_INIT;
	char *url = NULL, *sas_url = NULL, *container = NULL, *name = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob *blob = NULL;
	int rc;

	*value = NAN;
	if ((rc = job_output(&url, &sas_url, run, status,
			     p->evaluation_output)) != 0)
		goto done;
	if (!sas_url) {
		rc = cli_failf(run->ctx, AMLR_ESERVER,
			       "the job's '%s' has no SasBlobToken to read it",
			       p->evaluation_output);
		goto done;
	}
	cli_http_opts(run->ctx, &opts.http);
	if (amlr_blob_from_url(&blob, &container, &name, &err, sas_url,
			       &opts) != AMLR_OK) {
		rc = cli_fail(run->ctx, &err);
		goto done;
	}
	if (amlr_buf_printf(&path, "%s/evaluation.csv", run->tmpdir) ||
	    amlr_blob_download(NULL, blob, container, name, path.ptr, 0600) !=
		    AMLR_OK) {
		rc = cli_fail(run->ctx, amlr_blob_error(blob));
		goto done;
	}
	if (amlr_file_read(&text, &err, path.ptr, 1u << 20) != AMLR_OK) {
		rc = cli_fail(run->ctx, &err);
		goto done;
	}
	if (!ev) {
		rc = cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = cli_gate_evaluation(ev, run->ctx, text.ptr, text.len)) != 0)
		goto done;
	if (p->has_gate && !p->gate.holdout &&
	    isnan(*value = cli_gate_metric(ev, p->gate.metric)))
		rc = cli_failf(run->ctx, AMLR_EINVAL,
			       "plan: gate.metric: the job's evaluation has "
			       "no number for '%s': is it a metric of this "
			       "kind of model?",
			       p->gate.metric);
done:
	free(url);
	amlr_secret_free(sas_url);
	free(container);
	free(name);
	amlr_blob_free(blob);
	amlr_buf_release(&path);
	amlr_buf_release(&text);
	return rc;
}

/* Measure the gate's metric on the holdout with @p t's model. */
static int measure(double *value, struct retrain_run *run,
		   const amlr_plan_target *t, const struct cli_holdout *h)
{
	struct retrain_scoring s = { NULL, NULL };
	int rc;

	if ((rc = retrain_target_scoring(&s, run, t)) == 0)
		rc = cli_gate_measure(value, run->ctx, s.api_location,
				      s.api_key, &run->plan->gate, h);
	retrain_scoring_release(&s);
	return rc;
}

/* The gate: 0 passed, AMLR_EGATE rejected, another code on failure. */
static int gate(struct retrain_run *run, const struct cli_holdout *h,
		double evaluated)
{
	const amlr_plan_gate *g = &run->plan->gate;
	amlr_json *rep = report_obj(run, "gate"), *staged = NULL, *verdict;
	double current = NAN, candidate = evaluated;
	char why[512];
	int rc = 0, pass;

	if (!rep)
		return cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	if (g->holdout) {
		retrain_note(run, "scoring the holdout with the current model");
		if ((rc = measure(&current, run, &run->plan->targets[0], h)))
			return rc;
		retrain_note(run, "putting the new model into staging");
		if ((rc = retrain_target_swap(&staged, run, g->staging, 1)))
			return rc;
		amlr_json_free(staged);
		retrain_note(run, "scoring the holdout with the new model");
		if ((rc = measure(&candidate, run, g->staging, h)))
			return rc;
	}
	pass = amlr_plan_gate_pass(why, sizeof(why), g, current, candidate);
	if (amlr_json_set_str(rep, "metric", g->metric) ||
	    amlr_json_set_str(rep, "on",
			      g->holdout ? "holdout" : "evaluation") ||
	    set_num(rep, "current", current) ||
	    set_num(rep, "new", candidate) ||
	    amlr_json_new_bool(&verdict, pass) ||
	    amlr_json_set(rep, "passed", verdict) ||
	    amlr_json_set_str(rep, "reason", why))
		return cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	retrain_note(run, "gate: %s", why);
	return pass ? 0 : AMLR_EGATE;
}

/*
 * Swap every target in order; stop at the first that fails.  With
 * @p reason set, swap none: each is listed as left unchanged, and why.
 */
static int swap_all(struct retrain_run *run, const char *reason)
{
	const amlr_plan *p = run->plan;
	amlr_json *list = NULL, *item, *result;
	char label[256];
	size_t i;
	int rc = 0;

	if (amlr_json_new_array(&list) != AMLR_OK ||
	    amlr_json_set(run->report, "targets", list) != AMLR_OK)
		return cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	for (i = 0; i < p->n_targets; i++) {
		item = NULL;
		result = NULL;
		if (amlr_json_new_object(&item) != AMLR_OK)
			return cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
		amlr_json_set_str(item, "target", p->targets[i].path);
		amlr_json_set_str(item, "name",
				  retrain_target_label(label, sizeof(label),
						       &p->targets[i]));
		if (reason) {
			amlr_json_set_str(item, "status", "unchanged");
			amlr_json_set_str(item, "reason", reason);
		} else if (!rc) {
			retrain_note(run, "swapping the model of %s", label);
			rc = retrain_target_swap(&result, run, &p->targets[i],
						 0);
			amlr_json_set_str(item, "status",
					  rc ? "failed" : "swapped");
			amlr_json_set_int(item, "exitCode", rc);
			amlr_json_set(item, "result", result);
		} else {
			amlr_json_set_str(item, "status", "not attempted");
		}
		amlr_json_append(list, item);
	}
	return rc;
}

static int write_report(struct retrain_run *run, const char *path)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	int rc = 0;

	if (!path)
		return 0;
	if (amlr_json_serialize(&text, run->report, AMLR_JSON_PRETTY) ||
	    amlr_buf_puts(&text, "\n"))
		rc = cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	else if (amlr_file_write_atomic(&err, path, text.ptr, text.len, 0644) !=
		 AMLR_OK)
		rc = cli_fail(run->ctx, &err);
	amlr_buf_release(&text);
	return rc;
}

static int make_tmpdir(struct retrain_run *run)
{
	const char *base = getenv("TMPDIR");
	amlr_buf b = AMLR_BUF_INIT;

	if (amlr_buf_printf(&b, "%s/amlretrain-retrain-XXXXXX",
			    base && *base ? base : "/tmp") != AMLR_OK)
		return cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
	if (!mkdtemp(b.ptr)) {
		amlr_buf_release(&b);
		return cli_failf(run->ctx, AMLR_EIO,
				 "cannot make a private temporary directory");
	}
	run->tmpdir = amlr_buf_detach(&b);
	return 0;
}

static void remove_tmpdir(struct retrain_run *run)
{
	static const char *const files[] = { "job.json", "evaluation.csv",
					     "staging.json", NULL };
	amlr_buf b = AMLR_BUF_INIT;
	size_t i;

	if (!run->tmpdir)
		return;
	for (i = 0; files[i]; i++) {
		amlr_buf_clear(&b);
		if (amlr_buf_printf(&b, "%s/%s", run->tmpdir, files[i]) ==
		    AMLR_OK)
			unlink(b.ptr);
	}
	rmdir(run->tmpdir);
	amlr_buf_release(&b);
}

/* The human summary, on stderr. */
static void summary(struct retrain_run *run, const char *report)
{
	const amlr_json *g = amlr_json_get(run->report, "gate");
	const amlr_json *list = amlr_json_get(run->report, "targets");
	const amlr_json *t;
	size_t i;

	fprintf(stderr, "amlretrain: retrain: plan %s, run %s: %s\n",
		run->plan->name, run->id,
		amlr_json_get_str(run->report, "status"));
	if (run->model_uri)
		fprintf(stderr, "  new model  %s\n", run->model_uri);
	if (g)
		fprintf(stderr, "  gate       %s\n",
			amlr_json_get_str(g, "reason"));
	for (i = 0; i < amlr_json_len(list); i++) {
		t = amlr_json_at(list, i);
		fprintf(stderr, "  %-10s %s\n", amlr_json_get_str(t, "status"),
			amlr_json_get_str(t, "name"));
	}
	if (report)
		fprintf(stderr, "  report     %s\n", report);
}

static const char *status_of(int rc)
{
	return rc == 0 ? "promoted" : rc == AMLR_EGATE ? "rejected" : "failed";
}

int cmd_retrain(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct cli_holdout h = CLI_HOLDOUT_INIT;
	struct retrain_run run;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *inputs = NULL, *status = NULL, *times = NULL;
	const char *report_path = NULL;
	char started[32], finished[32];
	double t0 = now_s(), t, evaluated = NAN;
	int rc, exists = 0, rrc;
	size_t i;

	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	if ((rc = cli_parse(&args, ctx, &retrain_usage, argc, argv)) != 0)
		goto done;
	if (amlr_plan_load(&run.plan, &err, cli_arg(&args, "plan"), env_of,
			   NULL) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	report_path = cli_arg(&args, "report") ? cli_arg(&args, "report")
					       : run.plan->report;
	if ((rc = check_files(&run)) != 0 ||
	    (run.plan->has_gate && run.plan->gate.holdout &&
	     (rc = cli_holdout_load(&h, ctx, run.plan->gate.holdout,
				    run.plan->gate.label)) != 0))
		goto done;
	/* pre-flight: every target reachable, before anything changes */
	for (i = 0; i < run.plan->n_targets; i++)
		if ((rc = retrain_target_check(&exists, &run,
					       &run.plan->targets[i])) != 0)
			goto done;
	if (run.plan->has_gate && run.plan->gate.staging &&
	    run.plan->gate.staging->kind == AMLR_PLAN_ENDPOINT &&
	    (rc = retrain_target_check(&exists, &run,
				       run.plan->gate.staging)) != 0)
		goto done;
	if (cli_has(&args, "dry-run")) {
		rc = dry_run(&run);
		goto done;
	}
	iso_now(started, sizeof(started));
	{
		char stamp[24];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(run.id, sizeof(run.id), "%s-%05ld", stamp,
			 (long)(getpid() % 100000));
	}
	if (amlr_json_new_object(&run.report) ||
	    amlr_json_set_str(run.report, "plan", run.plan->name) ||
	    amlr_json_set_str(run.report, "run", run.id) ||
	    amlr_json_set_str(run.report, "startedAt", started) ||
	    amlr_json_new_object(&inputs) || amlr_json_new_object(&times)) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = make_tmpdir(&run)) != 0)
		goto done;
	t = now_s();
	if ((rc = upload(inputs, &run)) != 0)
		goto finish;
	amlr_json_set_int(times, "upload", ms_since(t));
	t = now_s();
	if ((rc = train(&run, inputs)) != 0 ||
	    (rc = job_status(&status, &run)) != 0 ||
	    (rc = job_output(&run.model_uri, NULL, &run, status,
			     run.plan->model_output)) != 0)
		goto finish;
	amlr_json_set_int(times, "job", ms_since(t));
	if (strlen(run.model_uri) < 9 ||
	    strcmp(run.model_uri + strlen(run.model_uri) - 9, ".ilearner")) {
		rc = cli_failf(ctx, AMLR_EINVAL,
			       "plan: training.outputs.model: the job's '%s' "
			       "is not a trained model (.ilearner): %s",
			       run.plan->model_output, run.model_uri);
		goto finish;
	}
	{
		amlr_json *m = report_obj(&run, "model");

		if (m)
			amlr_json_set_str(m, "uri", run.model_uri);
	}
	if (run.plan->evaluation_output &&
	    (rc = evaluation(&evaluated, &run, status)) != 0)
		goto finish;
	t = now_s();
	if (run.plan->has_gate && (rc = gate(&run, &h, evaluated)) != 0) {
		if (rc == AMLR_EGATE)
			swap_all(&run, "the gate rejected the new model");
		goto finish;
	}
	amlr_json_set_int(times, "gate", ms_since(t));
	t = now_s();
	rc = swap_all(&run, NULL);
	amlr_json_set_int(times, "swap", ms_since(t));
finish:
	amlr_json_set_int(times, "total", ms_since(t0));
	iso_now(finished, sizeof(finished));
	amlr_json_set_str(run.report, "status", status_of(rc));
	amlr_json_set_str(run.report, "finishedAt", finished);
	amlr_json_set(run.report, "timingsMs", times);
	times = NULL;
	if ((rrc = write_report(&run, report_path)) != 0 && !rc)
		rc = rrc;
	summary(&run, report_path);
	if ((rrc = cli_emit(ctx, run.report)) != 0 && !rc)
		rc = rrc;
	/* the last line of stderr says why the run failed (for wrappers) */
	if (rc == AMLR_EGATE)
		cli_failf(ctx, AMLR_EGATE,
			  "the gate rejected the new model: %s",
			  amlr_json_get_str(amlr_json_get(run.report, "gate"),
					    "reason"));
	else if (rc && ctx->errfmt == CLI_ERR_JSON)
		cli_fail(ctx, &ctx->last_error);
done:
	remove_tmpdir(&run);
	free(run.tmpdir);
	free(run.job_file);
	free(run.model_uri);
	amlr_json_free(run.report);
	amlr_json_free(status);
	amlr_json_free(inputs);
	amlr_json_free(times);
	cli_holdout_release(&h);
	amlr_plan_free(run.plan);
	cli_args_release(&args);
	return rc;
}
