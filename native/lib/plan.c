/* SPDX-License-Identifier: MIT */
/* Reading and checking retraining plans (docs/plan.md). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amlr/buf.h"
#include "amlr/fileio.h"
#include "amlr/plan.h"
#include "amlr/secret.h"

#define PLAN_MAX_BYTES (1u << 20)
#define SECRET_MAX_BYTES (64u << 10)
#define PATH_SIZE 128

/* What a check walks with: where errors go, the environment, the plan. */
struct reader {
	amlr_error *err;
	amlr_plan_env_fn env;
	void *payload;
	amlr_plan *plan;
};

static const struct {
	const char *name; /* Evaluate Model's column */
	const char *alias;
	int higher_is_better;
} metrics[] = {
	{ "AUC", "auc", 1 },
	{ "Accuracy", "accuracy", 1 },
	{ "Precision", "precision", 1 },
	{ "Recall", "recall", 1 },
	{ "F1 Score", "f1", 1 },
	{ "Average Log Loss", "logloss", 0 },
	{ "Mean Absolute Error", "mae", 0 },
	{ "Root Mean Squared Error", "rmse", 0 },
	{ "Relative Absolute Error", "rae", 0 },
	{ "Relative Squared Error", "rse", 0 },
	{ "Coefficient of Determination", "r2", 1 },
};

const char *amlr_plan_metric(const char *name, int *higher_is_better)
{
	size_t i;

	for (i = 0; name && i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (strcasecmp(name, metrics[i].name) == 0 ||
		    strcasecmp(name, metrics[i].alias) == 0) {
			if (higher_is_better)
				*higher_is_better = metrics[i].higher_is_better;
			return metrics[i].name;
		}
	return NULL;
}

/* A bad plan: "plan: PATH: reason", PATH also in err->target. */
static amlr_code bad(struct reader *r, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static amlr_code bad(struct reader *r, const char *path, const char *fmt, ...)
{
	char reason[AMLR_ERROR_MESSAGE_MAX - PATH_SIZE - 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	amlr_error_set(r->err, AMLR_EINVAL, "plan: %s: %s", path, reason);
	if (r->err)
		snprintf(r->err->target, sizeof(r->err->target), "%s", path);
	return AMLR_EINVAL;
}

/* "path.key" (truncated to fit: it is only ever shown) */
static void join(char *out, const char *path, const char *key)
{
	if (snprintf(out, PATH_SIZE, "%s%s%s", path, *path ? "." : "", key) >=
	    PATH_SIZE)
		memcpy(out + PATH_SIZE - 4, "...", 4);
}

/* Refuse members of @p obj not in the NULL-ended @p known. */
static amlr_code only(struct reader *r, const amlr_json *obj, const char *path,
		      const char *const *known)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *val;
	char sub[PATH_SIZE];
	size_t i;

	while (amlr_json_next(&key, &val, obj, &it)) {
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			join(sub, path, key);
			return bad(r, sub, "unknown field");
		}
	}
	return AMLR_OK;
}

static amlr_code want_object(struct reader *r, const amlr_json *v,
			     const char *path)
{
	if (amlr_json_type_of(v) != AMLR_JSON_OBJECT)
		return bad(r, path, "must be an object");
	return AMLR_OK;
}

/* Text that can only be a secret, written where none belongs. */
static const char *secret_kind(const char *s)
{
	if (strstr(s, "AccountKey=") || strstr(s, "accountkey="))
		return "an account key";
	if (strstr(s, "SharedAccessSignature="))
		return "a shared access signature";
	if (strstr(s, "sig=") &&
	    (strstr(s, "?") || strstr(s, "sv=") || strstr(s, "&")))
		return "a SAS signature";
	return NULL;
}

/* Replace "${NAME}" with the variable's value, into a new string. */
static amlr_code expand(char **out, struct reader *r, const char *s,
			const char *path)
{
	amlr_buf b = AMLR_BUF_INIT;
	const char *p = s, *end, *value;
	char name[128];
	amlr_code rc = AMLR_OK;

	*out = NULL;
	while (*p && rc == AMLR_OK) {
		if (p[0] != '$' || p[1] != '{') {
			rc = amlr_buf_put(&b, p, 1);
			p++;
			continue;
		}
		if (!(end = strchr(p + 2, '}')) ||
		    (size_t)(end - p - 2) >= sizeof(name) || end == p + 2) {
			rc = bad(r, path, "an unfinished \"${\"");
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 2), p + 2);
		value = r->env ? r->env(name, r->payload) : NULL;
		if (!value || !*value) {
			rc = bad(r, path,
				 "environment variable %s is not set (named "
				 "as ${%s})",
				 name, name);
			break;
		}
		rc = amlr_buf_puts(&b, value);
		p = end + 1;
	}
	if (rc == AMLR_OK && amlr_buf_puts(&b, "") == AMLR_OK)
		*out = amlr_buf_detach(&b);
	else if (rc == AMLR_OK)
		rc = AMLR_EFAIL;
	amlr_buf_release(&b);
	return rc;
}

/*
 * Member @p key of @p obj as an expanded string into *out; a missing
 * member is an error when @p required, else leaves *out NULL.
 */
static amlr_code str_field(char **out, struct reader *r, const amlr_json *obj,
			   const char *path, const char *key, int required)
{
	const amlr_json *v = amlr_json_get(obj, key);
	char sub[PATH_SIZE];
	const char *kind;
	amlr_code rc;

	join(sub, path, key);
	*out = NULL;
	if (!v)
		return required ? bad(r, sub, "is required") : AMLR_OK;
	if (!amlr_json_str(v) || !*amlr_json_str(v))
		return bad(r, sub, "must be a non-empty string");
	if ((kind = secret_kind(amlr_json_str(v))))
		return bad(r, sub,
			   "holds %s: secrets are never written in a plan; "
			   "name them with {\"env\": \"VAR\"} or "
			   "{\"file\": \"PATH\"} where a secret is expected",
			   kind);
	rc = expand(out, r, amlr_json_str(v), sub);
	return rc;
}

static amlr_code num_field(int *has, double *out, struct reader *r,
			   const amlr_json *obj, const char *path,
			   const char *key)
{
	const amlr_json *v = amlr_json_get(obj, key);
	char sub[PATH_SIZE];

	*has = 0;
	if (!v)
		return AMLR_OK;
	join(sub, path, key);
	if (!amlr_json_number(out, v) || !isfinite(*out))
		return bad(r, sub, "must be a number");
	*has = 1;
	return AMLR_OK;
}

/* A path relative to the plan's directory, made absolute. */
static amlr_code file_field(char **out, struct reader *r, const amlr_json *obj,
			    const char *path, const char *key, int required)
{
	amlr_buf b = AMLR_BUF_INIT;
	char *s = NULL;
	amlr_code rc;

	if ((rc = str_field(&s, r, obj, path, key, required)) != AMLR_OK ||
	    !s) {
		*out = s;
		return rc;
	}
	if (s[0] == '/') {
		*out = s;
		return AMLR_OK;
	}
	rc = amlr_buf_printf(&b, "%s/%s", r->plan->dir, s);
	free(s);
	*out = rc == AMLR_OK ? amlr_buf_detach(&b) : NULL;
	amlr_buf_release(&b);
	return *out ? AMLR_OK : AMLR_EFAIL;
}

/*
 * A secret: {"env": "VAR"} or {"file": "PATH"} (its content, without a
 * final newline); a string written inline is refused.
 */
static amlr_code secret_field(char **out, struct reader *r,
			      const amlr_json *obj, const char *path,
			      const char *key, int required)
{
	static const char *const known[] = { "env", "file", NULL };
	const amlr_json *v = amlr_json_get(obj, key);
	amlr_buf b = AMLR_BUF_INIT;
	amlr_error ferr = AMLR_ERROR_INIT;
	char sub[PATH_SIZE], *file = NULL;
	const char *var, *value;
	amlr_code rc;

	join(sub, path, key);
	*out = NULL;
	if (!v)
		return required ? bad(r, sub, "is required") : AMLR_OK;
	if (amlr_json_type_of(v) == AMLR_JSON_STRING)
		return bad(r, sub,
			   "a secret cannot be written in a plan; use "
			   "{\"env\": \"VAR\"} or {\"file\": \"PATH\"}");
	if ((rc = want_object(r, v, sub)) != AMLR_OK ||
	    (rc = only(r, v, sub, known)) != AMLR_OK)
		return rc;
	if ((var = amlr_json_get_str(v, "env")) && !amlr_json_get(v, "file")) {
		value = r->env ? r->env(var, r->payload) : NULL;
		if (!value || !*value)
			return bad(r, sub, "environment variable %s is not set",
				   var);
		return (*out = strdup(value)) ? AMLR_OK : AMLR_EFAIL;
	}
	if (amlr_json_get(v, "env") || !amlr_json_get(v, "file"))
		return bad(
			r, sub,
			"must be {\"env\": \"VAR\"} or {\"file\": \"PATH\"}");
	if ((rc = file_field(&file, r, v, sub, "file", 1)) != AMLR_OK)
		return rc;
	rc = amlr_file_read(&b, &ferr, file, SECRET_MAX_BYTES);
	if (rc != AMLR_OK) {
		rc = amlr_error_set(r->err, AMLR_EIO, "plan: %s.file: %s", sub,
				    ferr.message);
		goto done;
	}
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
		b.ptr[--b.len] = '\0';
	if (!b.len) {
		rc = bad(r, sub, "the file '%s' is empty", file);
		goto done;
	}
	rc = amlr_buf_puts(&b, "");
	if (rc == AMLR_OK && !(*out = strdup(b.ptr)))
		rc = AMLR_EFAIL;
done:
	free(file);
	amlr_buf_release_secret(&b);
	return rc;
}

/* Endpoint names of the classic management API (notes §3.3). */
static int endpoint_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 24 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static amlr_code read_webservice(amlr_plan_target *t, struct reader *r,
				 const amlr_json *v, const char *path)
{
	static const char *const known[] = { "subscription", "resourceGroup",
					     "name", NULL };
	amlr_code rc;

	t->kind = AMLR_PLAN_WEBSERVICE;
	if ((rc = want_object(r, v, path)) != AMLR_OK ||
	    (rc = only(r, v, path, known)) != AMLR_OK ||
	    (rc = str_field(&t->subscription, r, v, path, "subscription", 0)) !=
		    AMLR_OK ||
	    (rc = str_field(&t->resource_group, r, v, path, "resourceGroup",
			    1)) != AMLR_OK)
		return rc;
	return str_field(&t->name, r, v, path, "name", 1);
}

static amlr_code read_endpoint(amlr_plan_target *t, struct reader *r,
			       const amlr_json *v, const char *path)
{
	static const char *const known[] = { "managementEndpoint",
					     "workspace",
					     "webservice",
					     "name",
					     "create",
					     "throttleLevel",
					     "maxConcurrentCalls",
					     "token",
					     "resource",
					     NULL };
	const amlr_json *create = amlr_json_get(v, "create");
	const amlr_json *calls = amlr_json_get(v, "maxConcurrentCalls");
	char sub[PATH_SIZE];
	int64_t n;
	amlr_code rc;

	t->kind = AMLR_PLAN_ENDPOINT;
	if ((rc = want_object(r, v, path)) != AMLR_OK ||
	    (rc = only(r, v, path, known)) != AMLR_OK ||
	    (rc = str_field(&t->management_endpoint, r, v, path,
			    "managementEndpoint", 1)) != AMLR_OK ||
	    (rc = str_field(&t->workspace, r, v, path, "workspace", 1)) !=
		    AMLR_OK ||
	    (rc = str_field(&t->webservice, r, v, path, "webservice", 1)) !=
		    AMLR_OK ||
	    (rc = str_field(&t->endpoint, r, v, path, "name", 1)) != AMLR_OK ||
	    (rc = str_field(&t->throttle_level, r, v, path, "throttleLevel",
			    0)) != AMLR_OK ||
	    (rc = str_field(&t->resource, r, v, path, "resource", 0)) !=
		    AMLR_OK)
		return rc;
	join(sub, path, "name");
	if (!endpoint_name_valid(t->endpoint))
		return bad(r, sub,
			   "'%s' is not an endpoint name: 1 to 24 lower-case "
			   "letters, digits and hyphens, not starting or "
			   "ending with a hyphen",
			   t->endpoint);
	if (strcmp(t->endpoint, "default") == 0)
		return bad(r, sub,
			   "the default endpoint cannot take a new model; "
			   "name another endpoint (created when missing with "
			   "\"create\": true)");
	join(sub, path, "throttleLevel");
	if (t->throttle_level && strcmp(t->throttle_level, "Low") != 0 &&
	    strcmp(t->throttle_level, "High") != 0)
		return bad(r, sub, "must be \"Low\" or \"High\"");
	join(sub, path, "create");
	if (create && !amlr_json_bool(&t->create, create))
		return bad(r, sub, "must be true or false");
	join(sub, path, "maxConcurrentCalls");
	if (calls && (!amlr_json_int(&n, calls) || n < 1 || n > 200))
		return bad(r, sub, "must be an integer from 1 to 200");
	if (calls)
		t->max_concurrent_calls = (long)n;
	return secret_field(&t->token, r, v, path, "token", 1);
}

/* {"webservice": {...}} or {"endpoint": {...}} */
static amlr_code read_target(amlr_plan_target *t, struct reader *r,
			     const amlr_json *v, const char *path)
{
	static const char *const known[] = { "webservice", "endpoint", NULL };
	const amlr_json *ws = amlr_json_get(v, "webservice");
	const amlr_json *ep = amlr_json_get(v, "endpoint");
	char sub[PATH_SIZE];
	amlr_code rc;

	if (!(t->path = strdup(path)))
		return AMLR_EFAIL;
	if ((rc = want_object(r, v, path)) != AMLR_OK ||
	    (rc = only(r, v, path, known)) != AMLR_OK)
		return rc;
	if (!ws == !ep)
		return bad(r, path,
			   "must hold exactly one of \"webservice\" or "
			   "\"endpoint\"");
	join(sub, path, ws ? "webservice" : "endpoint");
	return ws ? read_webservice(t, r, ws, sub)
		  : read_endpoint(t, r, ep, sub);
}

static void target_release(amlr_plan_target *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->subscription);
	free(t->resource_group);
	free(t->name);
	free(t->management_endpoint);
	free(t->workspace);
	free(t->webservice);
	free(t->endpoint);
	free(t->throttle_level);
	amlr_secret_free(t->token);
	free(t->resource);
}

/* "90s", "30m", "2h", "1d" or a number of seconds. */
static int parse_timeout(long *ms, const amlr_json *v)
{
	const char *s = amlr_json_str(v);
	double n;
	char *end;

	if (amlr_json_number(&n, v)) {
		*ms = (long)(n * 1000);
		return n > 0 && n < 30 * 86400.0;
	}
	if (!s)
		return 0;
	errno = 0;
	n = strtod(s, &end);
	if (errno || end == s || n <= 0)
		return 0;
	if (!strcmp(end, "s") || !*end)
		n *= 1;
	else if (!strcmp(end, "m"))
		n *= 60;
	else if (!strcmp(end, "h"))
		n *= 3600;
	else if (!strcmp(end, "d"))
		n *= 86400;
	else
		return 0;
	if (n >= 30 * 86400.0)
		return 0;
	*ms = (long)(n * 1000);
	return 1;
}

static amlr_code read_inputs(struct reader *r, const amlr_json *v,
			     const char *path)
{
	static const char *const known[] = { "file", "blob", NULL };
	amlr_plan *p = r->plan;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *name;
	amlr_json *in;
	amlr_plan_input *pi;
	char sub[PATH_SIZE];
	amlr_code rc;

	if ((rc = want_object(r, v, path)) != AMLR_OK)
		return rc;
	if (!(p->inputs = calloc(amlr_json_len(v) + 1, sizeof(*p->inputs))))
		return AMLR_EFAIL;
	while (amlr_json_next(&name, &in, v, &it)) {
		join(sub, path, name);
		pi = &p->inputs[p->n_inputs++];
		if (!(pi->name = strdup(name)))
			return AMLR_EFAIL;
		if ((rc = want_object(r, in, sub)) != AMLR_OK ||
		    (rc = only(r, in, sub, known)) != AMLR_OK ||
		    (rc = file_field(&pi->file, r, in, sub, "file", 0)) !=
			    AMLR_OK ||
		    (rc = str_field(&pi->blob, r, in, sub, "blob", 0)) !=
			    AMLR_OK)
			return rc;
		if (!pi->file == !pi->blob)
			return bad(r, sub,
				   "must hold exactly one of \"file\" or "
				   "\"blob\"");
		if (pi->blob && (!strchr(pi->blob, '/') ||
				 pi->blob[strlen(pi->blob) - 1] == '/'))
			return bad(r, sub,
				   "blob must be \"container/blob\", not '%s'",
				   pi->blob);
	}
	return AMLR_OK;
}

static amlr_code read_parameters(struct reader *r, const amlr_json *v,
				 const char *path)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *name;
	amlr_json *val;
	char sub[PATH_SIZE], num[64], *s = NULL;
	double d;
	amlr_code rc;

	if ((rc = want_object(r, v, path)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&r->plan->parameters)) != AMLR_OK)
		return rc;
	while (amlr_json_next(&name, &val, v, &it)) {
		join(sub, path, name);
		if (amlr_json_number(&d, val)) {
			snprintf(num, sizeof(num), "%.17g", d);
			rc = amlr_json_set_str(r->plan->parameters, name, num);
		} else if (amlr_json_str(val)) {
			if ((rc = str_field(&s, r, v, path, name, 1)) ==
			    AMLR_OK)
				rc = amlr_json_set_str(r->plan->parameters,
						       name, s);
			free(s);
			s = NULL;
		} else {
			rc = bad(r, sub, "must be a string or a number");
		}
		if (rc != AMLR_OK)
			return rc;
	}
	return AMLR_OK;
}

static amlr_code read_training(struct reader *r, const amlr_json *v)
{
	static const char *const known[] = { "apiLocation", "apiKey",
					     "inputs",	    "outputs",
					     "container",   "parameters",
					     "timeout",	    NULL };
	static const char *const out_known[] = { "model", "evaluation", NULL };
	amlr_plan *p = r->plan;
	const amlr_json *outs = amlr_json_get(v, "outputs");
	const amlr_json *t = amlr_json_get(v, "timeout");
	amlr_code rc;

	if ((rc = want_object(r, v, "training")) != AMLR_OK ||
	    (rc = only(r, v, "training", known)) != AMLR_OK ||
	    (rc = str_field(&p->api_location, r, v, "training", "apiLocation",
			    1)) != AMLR_OK ||
	    (rc = secret_field(&p->api_key, r, v, "training", "apiKey", 1)) !=
		    AMLR_OK ||
	    (rc = str_field(&p->container, r, v, "training", "container", 0)) !=
		    AMLR_OK)
		return rc;
	if (strncmp(p->api_location, "https://", 8) != 0 &&
	    strncmp(p->api_location, "http://", 7) != 0)
		return bad(r, "training.apiLocation",
			   "must be an http(s) URL, not '%s'", p->api_location);
	if (amlr_json_get(v, "inputs") &&
	    (rc = read_inputs(r, amlr_json_get(v, "inputs"),
			      "training.inputs")) != AMLR_OK)
		return rc;
	if (amlr_json_get(v, "parameters") &&
	    (rc = read_parameters(r, amlr_json_get(v, "parameters"),
				  "training.parameters")) != AMLR_OK)
		return rc;
	if (outs &&
	    ((rc = want_object(r, outs, "training.outputs")) != AMLR_OK ||
	     (rc = only(r, outs, "training.outputs", out_known)) != AMLR_OK ||
	     (rc = str_field(&p->model_output, r, outs, "training.outputs",
			     "model", 0)) != AMLR_OK ||
	     (rc = str_field(&p->evaluation_output, r, outs, "training.outputs",
			     "evaluation", 0)) != AMLR_OK))
		return rc;
	if (!p->model_output && !(p->model_output = strdup("output1")))
		return AMLR_EFAIL;
	if (!p->container && !(p->container = strdup("amlretrain")))
		return AMLR_EFAIL;
	p->timeout_ms = 3600L * 1000;
	if (t && !parse_timeout(&p->timeout_ms, t))
		return bad(r, "training.timeout",
			   "must be a duration such as \"90s\", \"30m\" or "
			   "\"2h\" (under 30 days)");
	return AMLR_OK;
}

static amlr_code read_gate(struct reader *r, const amlr_json *v)
{
	static const char *const known[] = { "metric",	  "minImprovement",
					     "tolerance", "minimum",
					     "maximum",	  "holdout",
					     "staging",	  NULL };
	static const char *const holdout_known[] = { "file", "label",
						     "positiveClass", NULL };
	amlr_plan_gate *g = &r->plan->gate;
	const amlr_json *h = amlr_json_get(v, "holdout");
	const amlr_json *st = amlr_json_get(v, "staging");
	char *metric = NULL;
	amlr_code rc;

	r->plan->has_gate = 1;
	if ((rc = want_object(r, v, "gate")) != AMLR_OK ||
	    (rc = only(r, v, "gate", known)) != AMLR_OK ||
	    (rc = str_field(&metric, r, v, "gate", "metric", 1)) != AMLR_OK)
		goto done;
	if (!amlr_plan_metric(metric, &g->higher_is_better)) {
		rc = bad(r, "gate.metric",
			 "unknown metric '%s'; one of AUC, Accuracy, "
			 "Precision, Recall, F1 Score, Average Log Loss (two-"
			 "class), Mean Absolute Error, Root Mean Squared "
			 "Error, Relative Absolute Error, Relative Squared "
			 "Error, Coefficient of Determination (regression), "
			 "or auc, accuracy, precision, recall, f1, logloss, "
			 "mae, rmse, rae, rse, r2",
			 metric);
		goto done;
	}
	if (!(g->metric = strdup(amlr_plan_metric(metric, NULL)))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if ((rc = num_field(&g->has_min_improvement, &g->min_improvement, r, v,
			    "gate", "minImprovement")) != AMLR_OK ||
	    (rc = num_field(&g->has_tolerance, &g->tolerance, r, v, "gate",
			    "tolerance")) != AMLR_OK ||
	    (rc = num_field(&g->has_minimum, &g->minimum, r, v, "gate",
			    "minimum")) != AMLR_OK ||
	    (rc = num_field(&g->has_maximum, &g->maximum, r, v, "gate",
			    "maximum")) != AMLR_OK)
		goto done;
	if (g->has_min_improvement && g->has_tolerance) {
		rc = bad(r, "gate.tolerance",
			 "give minImprovement or tolerance, not both");
		goto done;
	}
	if ((g->has_min_improvement && g->min_improvement < 0) ||
	    (g->has_tolerance && g->tolerance < 0)) {
		rc = bad(r,
			 g->has_tolerance ? "gate.tolerance"
					  : "gate.minImprovement",
			 "must not be negative");
		goto done;
	}
	if (!g->has_min_improvement && !g->has_tolerance && !g->has_minimum &&
	    !g->has_maximum) {
		rc = bad(r, "gate",
			 "says nothing to check: give minImprovement or "
			 "tolerance (against the current model on the "
			 "holdout) and/or minimum or maximum");
		goto done;
	}
	if (h &&
	    ((rc = want_object(r, h, "gate.holdout")) != AMLR_OK ||
	     (rc = only(r, h, "gate.holdout", holdout_known)) != AMLR_OK ||
	     (rc = file_field(&g->holdout, r, h, "gate.holdout", "file", 1)) !=
		     AMLR_OK ||
	     (rc = str_field(&g->label, r, h, "gate.holdout", "label", 1)) !=
		     AMLR_OK ||
	     (rc = str_field(&g->positive_class, r, h, "gate.holdout",
			     "positiveClass", 0)) != AMLR_OK))
		goto done;
	if ((g->has_min_improvement || g->has_tolerance) && !h) {
		rc = bad(r, "gate.holdout",
			 "is required to compare the new model with the "
			 "current one");
		goto done;
	}
	if (h && !st) {
		rc = bad(r, "gate.staging",
			 "is required with a holdout: the new model is scored "
			 "there before it goes anywhere");
		goto done;
	}
	if (st) {
		if (!(g->staging = calloc(1, sizeof(*g->staging)))) {
			rc = AMLR_EFAIL;
			goto done;
		}
		if ((rc = read_target(g->staging, r, st, "gate.staging")) !=
		    AMLR_OK)
			goto done;
	}
	if (!h && !r->plan->evaluation_output) {
		rc = bad(r, "gate",
			 "without a holdout the gate reads the job's "
			 "evaluation: name it in training.outputs.evaluation");
		goto done;
	}
done:
	free(metric);
	return rc;
}

static amlr_code read_targets(struct reader *r, const amlr_json *v)
{
	amlr_plan *p = r->plan;
	char sub[PATH_SIZE];
	size_t i, j, n = amlr_json_len(v);
	amlr_plan_target *a, *b;
	amlr_code rc;

	if (amlr_json_type_of(v) != AMLR_JSON_ARRAY || n == 0)
		return bad(r, "targets", "must be a non-empty array");
	if (!(p->targets = calloc(n, sizeof(*p->targets))))
		return AMLR_EFAIL;
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "targets[%zu]", i);
		p->n_targets = i + 1;
		if ((rc = read_target(&p->targets[i], r, amlr_json_at(v, i),
				      sub)) != AMLR_OK)
			return rc;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++) {
			a = &p->targets[i];
			b = &p->targets[j];
			if (a->kind == b->kind &&
			    (a->kind == AMLR_PLAN_WEBSERVICE
				     ? !strcasecmp(a->name, b->name) &&
					       !strcasecmp(a->resource_group,
							   b->resource_group)
				     : !strcmp(a->endpoint, b->endpoint) &&
					       !strcasecmp(a->webservice,
							   b->webservice)))
				return bad(r, a->path, "repeats %s", b->path);
		}
	return AMLR_OK;
}

static amlr_code read_plan(struct reader *r, const amlr_json *doc)
{
	static const char *const known[] = { "$schema", "version",  "name",
					     "storage", "training", "gate",
					     "targets", "report",   NULL };
	static const char *const storage_known[] = { "connectionString", NULL };
	amlr_plan *p = r->plan;
	const amlr_json *st = amlr_json_get(doc, "storage");
	const amlr_json *gate = amlr_json_get(doc, "gate");
	int64_t version;
	size_t i;
	amlr_code rc;

	if ((rc = want_object(r, doc, "(plan)")) != AMLR_OK ||
	    (rc = only(r, doc, "", known)) != AMLR_OK)
		return rc;
	if (!amlr_json_int(&version, amlr_json_get(doc, "version")) ||
	    version != AMLR_PLAN_VERSION)
		return bad(r, "version", "must be %d", AMLR_PLAN_VERSION);
	if ((rc = str_field(&p->name, r, doc, "", "name", 1)) != AMLR_OK)
		return rc;
	for (i = 0; p->name[i]; i++)
		if (!isalnum((unsigned char)p->name[i]) &&
		    !strchr("-_.", p->name[i]))
			break;
	if (p->name[i] || i > 64)
		return bad(r, "name",
			   "must be 1 to 64 letters, digits, '-', '_' or "
			   "'.' (it names the run's blobs)");
	if (!st)
		return bad(r, "storage", "is required");
	if ((rc = want_object(r, st, "storage")) != AMLR_OK ||
	    (rc = only(r, st, "storage", storage_known)) != AMLR_OK ||
	    (rc = secret_field(&p->connection_string, r, st, "storage",
			       "connectionString", 1)) != AMLR_OK)
		return rc;
	if (!amlr_json_get(doc, "training"))
		return bad(r, "training", "is required");
	if ((rc = read_training(r, amlr_json_get(doc, "training"))) != AMLR_OK)
		return rc;
	if (gate && (rc = read_gate(r, gate)) != AMLR_OK)
		return rc;
	if (!amlr_json_get(doc, "targets"))
		return bad(r, "targets", "is required");
	if ((rc = read_targets(r, amlr_json_get(doc, "targets"))) != AMLR_OK)
		return rc;
	if (p->has_gate && p->gate.staging &&
	    p->gate.staging->kind == AMLR_PLAN_WEBSERVICE &&
	    p->targets[0].kind != AMLR_PLAN_WEBSERVICE)
		return bad(r, "gate.staging",
			   "a staging web service is made from targets[0], "
			   "which must then be a web service");
	return file_field(&p->report, r, doc, "", "report", 0);
}

amlr_code amlr_plan_load(amlr_plan **out, amlr_error *err, const char *path,
			 amlr_plan_env_fn env, void *payload)
{
	struct reader r = { err, env, payload, NULL };
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	const char *slash;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_file_read(&text, err, path, PLAN_MAX_BYTES)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_parse(&doc, err, text.ptr, text.len)) != AMLR_OK) {
		if (rc == AMLR_EINVAL && err)
			amlr_error_set(err, AMLR_EINVAL,
				       "plan '%s' is not valid JSON: %s", path,
				       err->message);
		goto done;
	}
	rc = AMLR_EFAIL;
	if (!(r.plan = calloc(1, sizeof(*r.plan))))
		goto done;
	slash = strrchr(path, '/');
	if (!(r.plan->dir = slash ? strndup(path, (size_t)(slash - path) +
							  (slash == path))
				  : strdup(".")))
		goto done;
	if ((rc = read_plan(&r, doc)) != AMLR_OK)
		goto done;
	*out = r.plan;
	r.plan = NULL;
done:
	amlr_plan_free(r.plan);
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return rc;
}

void amlr_plan_free(amlr_plan *p)
{
	size_t i;

	if (!p)
		return;
	free(p->name);
	free(p->dir);
	amlr_secret_free(p->connection_string);
	free(p->api_location);
	amlr_secret_free(p->api_key);
	for (i = 0; i < p->n_inputs; i++) {
		free(p->inputs[i].name);
		free(p->inputs[i].file);
		free(p->inputs[i].blob);
	}
	free(p->inputs);
	free(p->model_output);
	free(p->evaluation_output);
	free(p->container);
	amlr_json_free(p->parameters);
	free(p->gate.metric);
	free(p->gate.holdout);
	free(p->gate.label);
	free(p->gate.positive_class);
	target_release(p->gate.staging);
	free(p->gate.staging);
	for (i = 0; i < p->n_targets; i++)
		target_release(&p->targets[i]);
	free(p->targets);
	free(p->report);
	free(p);
}

int amlr_plan_gate_pass(char *why, size_t why_size, const amlr_plan_gate *g,
			double current, double candidate)
{
	/* gain: how much better the new model is, in the metric's sense */
	double gain =
		g->higher_is_better ? candidate - current : current - candidate;

	if (isnan(candidate)) {
		snprintf(why, why_size, "%s of the new model is undefined",
			 g->metric);
		return 0;
	}
	if (g->has_minimum && candidate < g->minimum) {
		snprintf(why, why_size, "%s %.6g is below the minimum %.6g",
			 g->metric, candidate, g->minimum);
		return 0;
	}
	if (g->has_maximum && candidate > g->maximum) {
		snprintf(why, why_size, "%s %.6g is above the maximum %.6g",
			 g->metric, candidate, g->maximum);
		return 0;
	}
	if ((g->has_min_improvement || g->has_tolerance) && isnan(current)) {
		snprintf(why, why_size,
			 "%s of the current model is undefined: nothing to "
			 "compare with",
			 g->metric);
		return 0;
	}
	if (g->has_min_improvement && !(gain >= g->min_improvement)) {
		snprintf(why, why_size,
			 "%s %.6g -> %.6g: an improvement of %.6g, less than "
			 "the %.6g required",
			 g->metric, current, candidate, gain,
			 g->min_improvement);
		return 0;
	}
	if (g->has_tolerance && !(gain >= -g->tolerance)) {
		snprintf(why, why_size,
			 "%s %.6g -> %.6g: worse by %.6g, more than the "
			 "tolerance %.6g",
			 g->metric, current, candidate, -gain, g->tolerance);
		return 0;
	}
	if (isnan(current))
		snprintf(why, why_size, "%s %.6g passes", g->metric, candidate);
	else
		snprintf(why, why_size, "%s %.6g -> %.6g (%+.6g) passes",
			 g->metric, current, candidate,
			 g->higher_is_better ? gain : -gain);
	return 1;
}
