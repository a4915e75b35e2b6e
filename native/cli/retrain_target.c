/* SPDX-License-Identifier: MIT */
/* A plan's targets: checking them, where they score, swapping the model. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/classic.h"
#include "amlr/connstr.h"
#include "amlr/definition.h"
#include "amlr/fileio.h"
#include "amlr/secret.h"
#include "out.h"
#include "retrain.h"

#define ARGV_MAX 24

void retrain_scoring_release(struct retrain_scoring *s)
{
	free(s->api_location);
	amlr_secret_free(s->api_key);
	s->api_location = NULL;
	s->api_key = NULL;
}

void retrain_note(struct retrain_run *run, const char *fmt, ...)
{
	va_list ap;

	cli_progress_done(run->ctx);
	fputs("amlretrain: retrain: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *retrain_target_label(char *buf, size_t size,
				 const amlr_plan_target *t)
{
	if (t->kind == AMLR_PLAN_WEBSERVICE)
		snprintf(buf, size, "web service %s/%s", t->resource_group,
			 t->name);
	else
		snprintf(buf, size, "endpoint %s of %s", t->endpoint,
			 t->webservice);
	return buf;
}

static const char *subscription_of(const amlr_plan_target *t)
{
	return t->subscription ? t->subscription
			       : getenv("AZURE_SUBSCRIPTION_ID");
}

static void ws_ref(amlr_webservice_ref *ref, const amlr_plan_target *t)
{
	memset(ref, 0, sizeof(*ref));
	ref->subscription_id = subscription_of(t);
	ref->resource_group = t->resource_group;
	ref->name = t->name;
}

static int classic_of(amlr_classic **out, struct retrain_run *run,
		      const amlr_plan_target *t)
{
	amlr_classic_opts o = AMLR_CLASSIC_OPTS_INIT;
	amlr_client *client = cli_client(run->ctx);

	if (!client)
		return AMLR_EFAIL;
	o.endpoint = t->management_endpoint;
	o.workspace_id = t->workspace;
	o.token = t->token;
	if (amlr_classic_new(out, client, &o) != AMLR_OK)
		return cli_fail(run->ctx, amlr_client_error(client));
	return 0;
}

/* GET the endpoint @p name of @p t's web service; *ep NULL when absent. */
static int endpoint_get(amlr_json **ep, struct retrain_run *run,
			const amlr_plan_target *t, const char *name)
{
	amlr_classic *c = NULL;
	amlr_code ac;
	int rc;

	*ep = NULL;
	if ((rc = classic_of(&c, run, t)) != 0)
		return rc;
	ac = amlr_classic_endpoint_get(ep, c, t->webservice, name);
	if (ac == AMLR_ENOTFOUND)
		rc = 0;
	else if (ac != AMLR_OK)
		rc = cli_fail(run->ctx, amlr_client_error(run->ctx->client));
	amlr_classic_free(c);
	return rc;
}

static int webservice_get(amlr_json **ws, struct retrain_run *run,
			  const amlr_plan_target *t)
{
	amlr_webservice_ref ref;
	amlr_arm *arm;
	amlr_code ac;
	int rc;

	*ws = NULL;
	if ((rc = cli_arm(&arm, run->ctx)) != 0)
		return rc;
	ws_ref(&ref, t);
	if (!ref.subscription_id)
		return cli_failf(run->ctx, AMLR_EINVAL,
				 "%s: no subscription: set "
				 "AZURE_SUBSCRIPTION_ID or give "
				 "\"subscription\"",
				 t->path);
	ac = amlr_webservice_get(ws, arm, &ref, NULL);
	if (ac == AMLR_ENOTFOUND)
		return 0;
	if (ac != AMLR_OK)
		return cli_fail(run->ctx, amlr_client_error(run->ctx->client));
	return 0;
}

int retrain_target_check(int *exists, struct retrain_run *run,
			 const amlr_plan_target *t)
{
	amlr_json *got = NULL;
	char label[256];
	int rc;

	*exists = 0;
	rc = t->kind == AMLR_PLAN_WEBSERVICE
		     ? webservice_get(&got, run, t)
		     : endpoint_get(&got, run, t, t->endpoint);
	if (rc)
		return rc;
	*exists = got != NULL;
	amlr_json_free(got);
	if (*exists || (t->kind == AMLR_PLAN_ENDPOINT && t->create))
		return 0;
	return cli_failf(run->ctx, AMLR_ENOTFOUND, "%s: %s does not exist%s",
			 t->path, retrain_target_label(label, sizeof(label), t),
			 t->kind == AMLR_PLAN_ENDPOINT
				 ? " (say \"create\": true to add it)"
				 : "");
}

/* A web service's execution URL: its swagger's, without /swagger.json. */
static int ws_scoring(struct retrain_scoring *out, struct retrain_run *run,
		      const amlr_plan_target *t)
{
	amlr_json *ws = NULL, *keys = NULL;
	amlr_webservice_ref ref;
	const char *swagger, *key;
	size_t n;
	int rc;

	if ((rc = webservice_get(&ws, run, t)) != 0)
		goto done;
	if (!ws) {
		rc = cli_failf(run->ctx, AMLR_ENOTFOUND,
			       "%s: web service %s/%s does not exist", t->path,
			       t->resource_group, t->name);
		goto done;
	}
	swagger = amlr_json_get_str(amlr_json_get(ws, "properties"),
				    "swaggerLocation");
	n = swagger ? strlen(swagger) : 0;
	if (n > 13 && !strcmp(swagger + n - 13, "/swagger.json"))
		n -= 13;
	ws_ref(&ref, t);
	if (!swagger ||
	    amlr_webservice_keys(&keys, run->ctx->arm, &ref) != AMLR_OK) {
		rc = swagger ? cli_fail(run->ctx,
					amlr_client_error(run->ctx->client))
			     : cli_failf(run->ctx, AMLR_ESERVER,
					 "%s: the web service has no "
					 "swaggerLocation to score at",
					 t->path);
		goto done;
	}
	key = amlr_json_get_str(keys, "primary");
	if (!key || !(out->api_location = strndup(swagger, n)) ||
	    !(out->api_key = strdup(key)))
		rc = cli_failf(run->ctx, AMLR_ESERVER,
			       "%s: the web service's keys are missing",
			       t->path);
done:
	if (keys)
		amlr_json_free(keys);
	amlr_json_free(ws);
	return rc;
}

int retrain_target_scoring(struct retrain_scoring *out, struct retrain_run *run,
			   const amlr_plan_target *t)
{
	amlr_json *ep = NULL;
	const char *api, *key;
	int rc;

	memset(out, 0, sizeof(*out));
	if (t->kind == AMLR_PLAN_WEBSERVICE)
		return ws_scoring(out, run, t);
	if ((rc = endpoint_get(&ep, run, t, t->endpoint)) != 0)
		return rc;
	if (!ep && (rc = endpoint_get(&ep, run, t, "default")) != 0)
		return rc;
	if (!ep)
		return cli_failf(run->ctx, AMLR_ENOTFOUND,
				 "%s: web service %s has no endpoint to score "
				 "with",
				 t->path, t->webservice);
	api = amlr_json_get_str(ep, "ApiLocation");
	key = amlr_json_get_str(ep, "PrimaryKey");
	if (!api || !key || !(out->api_location = strdup(api)) ||
	    !(out->api_key = strdup(key)))
		rc = cli_failf(run->ctx, AMLR_ESERVER,
			       "%s: the endpoint has no ApiLocation or key",
			       t->path);
	amlr_json_free(ep);
	return rc;
}

/* The words of a command run in-process; names and values borrowed. */
struct words {
	char *v[ARGV_MAX + 1];
	int n;
};

static void word(struct words *w, const char *s)
{
	if (w->n < ARGV_MAX)
		w->v[w->n++] = (char *)s;
	w->v[w->n] = NULL;
}

/* "--name value", when there is a value. */
static void option(struct words *w, const char *name, const char *value)
{
	if (!value)
		return;
	word(w, name);
	word(w, value);
}

/* Run `amlretrain WORDS...` in-process, taking its result (may be NULL). */
static int run_words(amlr_json **result, struct retrain_run *run,
		     struct words *w)
{
	struct cli_ctx *ctx = run->ctx;
	amlr_json **saved = ctx->capture, *got = NULL;
	enum cli_output output = ctx->output;
	int rc;

	ctx->capture = &got;
	ctx->output = CLI_OUT_JSON;
	rc = cli_run(ctx, w->n, w->v);
	ctx->capture = saved;
	ctx->output = output;
	if (result)
		*result = got;
	else
		amlr_json_free(got);
	return rc;
}

/* `webservice VERB` for @p t, its name options set. */
static void ws_words(struct words *w, const char *verb,
		     const amlr_plan_target *t)
{
	word(w, "webservice");
	word(w, verb);
	option(w, "--subscription", t->subscription);
	option(w, "-g", t->resource_group);
	option(w, "-n", t->name);
}

/* `endpoint VERB` for @p t, its name options set. */
static void endpoint_words(struct words *w, const char *verb,
			   const amlr_plan_target *t)
{
	word(w, "endpoint");
	word(w, verb);
	option(w, "--management-endpoint", t->management_endpoint);
	option(w, "--workspace", t->workspace);
	option(w, "--webservice", t->webservice);
	option(w, "--name", t->endpoint);
}

/*
 * A staging web service that does not exist yet: targets[0]'s definition
 * with the new model, created with `webservice new`.  The storage
 * account key (which GET never returns) is the plan's account's.
 */
static int ws_create_staging(amlr_json **result, struct retrain_run *run,
			     const amlr_plan_target *t)
{
	const amlr_plan_target *from = &run->plan->targets[0];
	amlr_error err = AMLR_ERROR_INIT;
	amlr_connstr *cs = NULL;
	amlr_json *ws = NULL, *def = NULL;
	amlr_buf text = AMLR_BUF_INIT;
	struct words w = { { NULL }, 0 };
	const char *asset;
	char *file = NULL;
	int rc;

	if ((rc = webservice_get(&ws, run, from)) != 0)
		goto done;
	if (!ws) {
		rc = cli_failf(run->ctx, AMLR_ENOTFOUND,
			       "%s: web service %s/%s does not exist",
			       from->path, from->resource_group, from->name);
		goto done;
	}
	if (amlr_definition_normalize(&def, &err, ws) != AMLR_OK ||
	    amlr_definition_find_model(&asset, &err, def, NULL) != AMLR_OK ||
	    amlr_definition_set_model_uri(def, &err, asset, run->model_uri) !=
		    AMLR_OK ||
	    amlr_definition_export(&text, &err, def) != AMLR_OK) {
		rc = cli_fail(run->ctx, &err);
		goto done;
	}
	if (amlr_connstr_parse(&cs, &err, run->plan->connection_string) !=
		    AMLR_OK ||
	    !amlr_connstr_key(cs)) {
		rc = cli_failf(run->ctx, AMLR_EINVAL,
			       "gate.staging: a new web service needs the "
			       "storage account key of storage."
			       "connectionString");
		goto done;
	}
	setenv("AMLR_STORAGE_ACCOUNT_KEY", amlr_connstr_key(cs), 1);
	if (!(file = malloc(strlen(run->tmpdir) + 32))) {
		rc = cli_failf(run->ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	snprintf(file, strlen(run->tmpdir) + 32, "%s/staging.json",
		 run->tmpdir);
	if (amlr_file_write_atomic(&err, file, text.ptr, text.len, 0600) !=
	    AMLR_OK) {
		rc = cli_fail(run->ctx, &err);
		goto done;
	}
	ws_words(&w, "new", t);
	option(&w, "-f", file);
	rc = run_words(result, run, &w);
done:
	unsetenv("AMLR_STORAGE_ACCOUNT_KEY");
	free(file);
	amlr_buf_release(&text);
	amlr_connstr_free(cs);
	amlr_json_free(def);
	amlr_json_free(ws);
	return rc;
}

static int endpoint_add(struct retrain_run *run, const amlr_plan_target *t)
{
	struct words w = { { NULL }, 0 };
	char calls[16];

	snprintf(calls, sizeof(calls), "%ld", t->max_concurrent_calls);
	endpoint_words(&w, "add", t);
	option(&w, "--throttle-level", t->throttle_level);
	option(&w, "--max-concurrent-calls",
	       t->max_concurrent_calls ? calls : NULL);
	return run_words(NULL, run, &w);
}

int retrain_target_swap(amlr_json **result, struct retrain_run *run,
			const amlr_plan_target *t, int staging)
{
	struct words w = { { NULL }, 0 };
	amlr_json *got = NULL;
	int exists = 0, rc;

	*result = NULL;
	if (t->kind == AMLR_PLAN_WEBSERVICE) {
		if (staging && (rc = webservice_get(&got, run, t)) != 0)
			return rc;
		exists = got != NULL;
		amlr_json_free(got);
		if (staging && !exists)
			return ws_create_staging(result, run, t);
		ws_words(&w, "set-model", t);
	} else {
		/* the endpoint commands read the workspace token here */
		setenv("AMLR_WORKSPACE_TOKEN", t->token, 1);
		rc = endpoint_get(&got, run, t, t->endpoint);
		exists = got != NULL;
		amlr_json_free(got);
		if (!rc && !exists)
			rc = endpoint_add(run, t);
		if (rc)
			goto done;
		endpoint_words(&w, "set-model", t);
		option(&w, "--resource", t->resource);
	}
	option(&w, "--from-job", run->job_file);
	option(&w, "--job-output", run->plan->model_output);
	rc = run_words(result, run, &w);
done:
	unsetenv("AMLR_WORKSPACE_TOKEN");
	return rc;
}
