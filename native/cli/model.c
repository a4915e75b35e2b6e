/* SPDX-License-Identifier: MIT */
/* Naming a new trained model, and checking it can be read before a swap. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amlr/blob.h"
#include "amlr/connstr.h"
#include "amlr/definition.h"
#include "amlr/sas.h"
#include "model.h"
#include "out.h"

#define JOB_MAX ((size_t)4 << 20)
#define DEFAULT_MARGIN_S 3600

void cli_model_release(struct cli_model *m)
{
	free(m->uri);
	amlr_secret_free(m->sas);
	m->uri = NULL;
	m->sas = NULL;
}

/* Split "URI?SAS" into its two halves (the SAS may be absent) and check
 * the URI before any request is sent. */
static int split(struct cli_model *m, struct cli_ctx *ctx, const char *full)
{
	amlr_error err = AMLR_ERROR_INIT;
	const char *q = strchr(full, '?');

	if (!(m->uri = q ? strndup(full, (size_t)(q - full)) : strdup(full)) ||
	    (q && q[1] && !(m->sas = strdup(q + 1))))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	if (amlr_definition_check_model_uri(&err, m->uri) != AMLR_OK)
		return cli_fail(ctx, &err);
	return 0;
}

/* A member of an object, whatever the casing ("Results", "results"). */
static amlr_json *member_ci(const amlr_json *obj, const char *name)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *val;

	while (amlr_json_next(&key, &val, obj, &it))
		if (strcasecmp(key, name) == 0)
			return val;
	return NULL;
}

void cli_job_output_release(struct cli_job_output *o)
{
	free(o->base);
	free(o->relative);
	amlr_secret_free(o->sas);
	memset(o, 0, sizeof(*o));
}

int cli_model_job_output(struct cli_job_output *o, struct cli_ctx *ctx,
			 const char *path, const char *output)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *job = NULL, *out;
	const char *base, *rel, *sas;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	if (amlr_file_read(&text, &err, path, JOB_MAX) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (amlr_json_parse(&job, &err, text.ptr ? text.ptr : "", text.len) !=
	    AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: %s", path, err.message);
		goto done;
	}
	out = member_ci(member_ci(job, "Results"), output);
	base = amlr_json_str(member_ci(out, "BaseLocation"));
	rel = amlr_json_str(member_ci(out, "RelativeLocation"));
	sas = amlr_json_str(member_ci(out, "SasBlobToken"));
	if (!base || !rel || !*base || !*rel) {
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"%s: no Results.%s.BaseLocation and RelativeLocation (is it a finished job's status?)",
			path, output);
		goto done;
	}
	if (!(o->base = strdup(base)) || !(o->relative = strdup(rel)) ||
	    (sas && *sas && !(o->sas = strdup(sas))))
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
done:
	if (rc)
		cli_job_output_release(o);
	amlr_json_free(job);
	amlr_buf_release_secret(&text);
	return rc;
}

int cli_model_from_parts(struct cli_model *m, struct cli_ctx *ctx,
			 const char *base, const char *rel, const char *sas)
{
	amlr_buf full = AMLR_BUF_INIT;
	int rc;

	if (amlr_buf_printf(&full, "%s%s%s%s%s", base,
			    base[0] && base[strlen(base) - 1] != '/' &&
					    rel[0] != '/'
				    ? "/"
				    : "",
			    rel, sas && *sas && *sas != '?' ? "?" : "",
			    sas ? sas : "") != AMLR_OK)
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
	else
		rc = split(m, ctx, full.ptr);
	amlr_buf_release_secret(&full);
	return rc;
}

/* BaseLocation + RelativeLocation + SasBlobToken of a job's output. */
static int from_job(struct cli_model *m, struct cli_ctx *ctx, const char *path,
		    const char *output)
{
	struct cli_job_output o;
	int rc;

	if ((rc = cli_model_job_output(&o, ctx, path, output)) != 0)
		return rc;
	rc = cli_model_from_parts(m, ctx, o.base, o.relative, o.sas);
	cli_job_output_release(&o);
	return rc;
}

int cli_model_from_args(struct cli_model *m, struct cli_ctx *ctx,
			const struct cli_usage *usage,
			const struct cli_args *args)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	const char *uri = cli_arg(args, "model-uri");
	const char *job = cli_arg(args, "from-job");
	const char *output = cli_arg(args, "job-output");
	int rc = 0;

	if (!uri == !job)
		return cli_usage_error(
			ctx, usage,
			"give the model with either --model-uri or --from-job");
	if (output && !job)
		return cli_usage_error(ctx, usage,
				       "--job-output goes with --from-job");
	if (job)
		return from_job(m, ctx, job, output ? output : "output1");
	if (uri[0] != '@') {
		if (strstr(uri, "sig="))
			return cli_usage_error(
				ctx, usage,
				"refusing a SAS on the command line: pass the model URI as --model-uri @FILE");
		return split(m, ctx, uri);
	}
	if (amlr_file_read(&text, &err, uri + 1, 64 * 1024) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	text.len = strcspn(text.ptr ? text.ptr : "", "\r\n");
	if (!text.len) {
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: no URI in the file",
			       uri + 1);
		goto done;
	}
	text.ptr[text.len] = '\0';
	rc = split(m, ctx, text.ptr);
done:
	amlr_buf_release_secret(&text);
	return rc;
}

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "/container/dir/name%20x" → "container", "dir/name x"; -1 when the
 * path names no blob or is badly encoded. */
static int blob_path(char **container, char **name, const char *path)
{
	const char *slash;
	char *d;
	size_t i;

	while (*path == '/')
		path++;
	if (!(slash = strchr(path, '/')) || !slash[1])
		return -1;
	if (!(*container = strndup(path, (size_t)(slash - path))) ||
	    !(*name = strdup(slash + 1)))
		return -1;
	for (i = 0, d = *name; (*name)[i]; i++) {
		if ((*name)[i] == '%') {
			if (hex((*name)[i + 1]) < 0 || hex((*name)[i + 2]) < 0)
				return -1;
			*d++ = (char)(hex((*name)[i + 1]) * 16 +
				      hex((*name)[i + 2]));
			i += 2;
		} else {
			*d++ = (*name)[i];
		}
	}
	*d = '\0';
	return 0;
}

/* The account client for the model: its SAS, or the connection string's
 * key when that account is the model's.  *rc is set when it fails. */
static amlr_blob *model_reader(char **container, char **name,
			       struct cli_ctx *ctx, const struct cli_model *m,
			       int *rc)
{
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf full = AMLR_BUF_INIT;
	amlr_connstr *cs = NULL;
	amlr_blob *blob = NULL;
	const char *env = getenv("AZURE_STORAGE_CONNECTION_STRING");
	const char *endpoint;
	size_t n;

	*rc = 0;
	/* The same trust as every other request of the run. */
	cli_http_opts(ctx, &opts.http);
	if (m->sas) {
		if (amlr_buf_printf(&full, "%s?%s", m->uri, m->sas) !=
			    AMLR_OK ||
		    amlr_blob_from_url(&blob, container, name, &err, full.ptr,
				       &opts) != AMLR_OK)
			*rc = cli_failf(ctx, err.code ? err.code : AMLR_EFAIL,
					"the model's SAS: %s", err.message);
		goto done;
	}
	if (env && amlr_connstr_parse(&cs, &err, env) == AMLR_OK &&
	    (endpoint = amlr_connstr_blob_endpoint(cs)) &&
	    (n = strlen(endpoint)) && strncmp(m->uri, endpoint, n) == 0 &&
	    (m->uri[n] == '/' || endpoint[n - 1] == '/')) {
		if (blob_path(container, name, m->uri + n) != 0 ||
		    amlr_blob_from_connstr(&blob, &err, cs, &opts) != AMLR_OK)
			*rc = cli_failf(ctx, err.code ? err.code : AMLR_EFAIL,
					"the storage account: %s",
					err.message[0] ? err.message
						       : "out of memory");
		goto done;
	}
	*rc = cli_failf(
		ctx, AMLR_EINVAL,
		"cannot check that the model can be read: give it with its SAS (--model-uri @FILE, --from-job), or set AZURE_STORAGE_CONNECTION_STRING for its account, or use --skip-preflight");
done:
	amlr_connstr_free(cs);
	amlr_buf_release_secret(&full);
	return blob;
}

int cli_model_account_sas(char **sas_out, struct cli_ctx *ctx, const char *uri,
			  const char *env_name, long ttl_s)
{
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_connstr *cs = NULL;
	amlr_blob *blob = NULL;
	char *container = NULL, *name = NULL, *url = NULL, *q;
	const char *env, *endpoint;
	size_t n;
	int rc = 0;

	*sas_out = NULL;
	if (!env_name)
		env_name = "AZURE_STORAGE_CONNECTION_STRING";
	env = getenv(env_name);
	cli_http_opts(ctx, &opts.http);
	if (!env || !*env || amlr_connstr_parse(&cs, &err, env) != AMLR_OK ||
	    !amlr_connstr_key(cs) ||
	    !(endpoint = amlr_connstr_blob_endpoint(cs)) ||
	    !(n = strlen(endpoint)) || strncmp(uri, endpoint, n) != 0 ||
	    !(uri[n] == '/' || endpoint[n - 1] == '/')) {
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"no SAS for the model '%s': give one with --sas-token @FILE, or set %s to the connection string (with its account key) of its storage account",
			uri, env_name);
		goto done;
	}
	if (blob_path(&container, &name, uri + n) != 0) {
		rc = cli_failf(ctx, AMLR_EINVAL, "the model '%s' names no blob",
			       uri);
		goto done;
	}
	if (amlr_blob_from_connstr(&blob, &err, cs, &opts) != AMLR_OK) {
		rc = cli_failf(ctx, err.code ? err.code : AMLR_EFAIL,
			       "the storage account: %s", err.message);
		goto done;
	}
	/* Read-only, for the model's blob alone, short-lived. */
	if (amlr_blob_sas_url(&url, blob, container, name, "r",
			      time(NULL) + ttl_s) != AMLR_OK) {
		err = *amlr_blob_error(blob);
		rc = cli_failf(ctx, err.code ? err.code : AMLR_EFAIL,
			       "cannot make a SAS for the model: %s",
			       err.message);
		goto done;
	}
	if (!(q = strchr(url, '?')) || !(*sas_out = strdup(q)))
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
done:
	amlr_secret_free(url);
	amlr_blob_free(blob);
	amlr_connstr_free(cs);
	free(container);
	free(name);
	return rc;
}

int cli_model_preflight(struct cli_ctx *ctx, const struct cli_usage *usage,
			const struct cli_args *args, const struct cli_model *m)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob_props props;
	amlr_sas *sas = NULL;
	amlr_blob *blob = NULL;
	char *container = NULL, *name = NULL;
	const char *margin_arg = cli_arg(args, "sas-margin");
	long margin = DEFAULT_MARGIN_S;
	size_t n = strlen(m->uri);
	int rc = 0;

	memset(&props, 0, sizeof(props));
	if (cli_has(args, "skip-preflight"))
		return 0;
	if (margin_arg && cli_parse_duration(&margin, margin_arg) != 0)
		return cli_usage_error(
			ctx, usage,
			"invalid value '%s' for '--sas-margin' (e.g. 30m, 1h, 2d)",
			margin_arg);
	if (n < 9 || strcasecmp(m->uri + n - 9, ".ilearner") != 0)
		return cli_failf(
			ctx, AMLR_EINVAL,
			"the model '%s' is not an .ilearner blob (use --skip-preflight to swap it in anyway)",
			m->uri);
	if (m->sas) {
		if (amlr_sas_parse(&sas, &err, m->sas, 0) != AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EINVAL, "the model's SAS: %s",
				       err.message);
			goto done;
		}
		if (amlr_sas_check_time(&err, sas, time(NULL), margin) !=
		    AMLR_OK) {
			rc = cli_failf(
				ctx, AMLR_EINVAL,
				"the model's SAS is not valid for the next %ld s: %s",
				margin, err.message);
			goto done;
		}
	}
	if (!(blob = model_reader(&container, &name, ctx, m, &rc)))
		goto done;
	if (!name) {
		rc = cli_failf(ctx, AMLR_EINVAL, "the model '%s' names no blob",
			       m->uri);
		goto done;
	}
	if (amlr_blob_get_properties(&props, blob, container, name) !=
	    AMLR_OK) {
		err = *amlr_blob_error(blob);
		rc = cli_failf(ctx, err.code,
			       "the model '%s' cannot be read: %s", m->uri,
			       err.message);
		goto done;
	}
done:
	amlr_blob_props_release(&props);
	amlr_blob_free(blob);
	amlr_sas_free(sas);
	free(container);
	free(name);
	return rc;
}
