/* SPDX-License-Identifier: MIT */
/* The endpoint and key of `job` and `score`; job requests from NAME=REF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/bes.h"
#include "amlr/blob.h"
#include "amlr/connstr.h"
#include "job.h"
#include "out.h"

#define DEFAULT_CS_ENV "AZURE_STORAGE_CONNECTION_STRING"
#define DEFAULT_UPLOAD_CONTAINER "amlretrain-inputs"
#define LINE_MAX_BYTES (64 * 1024)

/* The first line of a file (a key, a SAS URL): a secret, kept off argv. */
static int first_line(char **out, struct cli_ctx *ctx, const char *path,
		      const char *what)
{
	amlr_buf buf = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;

	*out = NULL;
	if (amlr_file_read(&buf, &err, path, LINE_MAX_BYTES) != AMLR_OK) {
		amlr_buf_release_secret(&buf);
		err.code = AMLR_EINVAL;
		return cli_fail(ctx, &err);
	}
	buf.len = strcspn(buf.ptr ? buf.ptr : "", "\r\n");
	while (buf.len &&
	       (buf.ptr[buf.len - 1] == ' ' || buf.ptr[buf.len - 1] == '\t'))
		buf.len--;
	if (buf.ptr)
		buf.ptr[buf.len] = '\0';
	if (!buf.len) {
		amlr_buf_release_secret(&buf);
		return cli_failf(ctx, AMLR_EINVAL, "no %s in '%s'", what, path);
	}
	*out = amlr_buf_detach(&buf);
	return *out ? 0 : cli_failf(ctx, AMLR_EFAIL, "out of memory");
}

void cli_exec_release(struct cli_exec *e)
{
	amlr_secret_free(e->key);
	e->key = NULL;
	e->location = NULL;
}

int cli_exec_resolve(struct cli_exec *e, struct cli_ctx *ctx,
		     const struct cli_usage *usage, const struct cli_args *args)
{
	const char *file = cli_arg(args, "api-key-file");
	const char *env;

	e->key = NULL;
	e->location = cli_arg(args, "api-location");
	if (!e->location || !*e->location)
		e->location = getenv(CLI_API_LOCATION_ENV);
	if (!e->location || !*e->location)
		return cli_usage_error(
			ctx, usage,
			"no API location: pass --api-location URL or set " CLI_API_LOCATION_ENV);
	if (strstr(e->location, "sig=") || strstr(e->location, "://") == NULL)
		return cli_usage_error(
			ctx, usage,
			"invalid API location: expected https://HOST/workspaces/WS/services/ID");
	if (file)
		return first_line(&e->key, ctx, file, "API key");
	env = getenv(CLI_API_KEY_ENV);
	if (!env || !*env)
		return cli_failf(ctx, AMLR_EAUTH,
				 "no API key: set " CLI_API_KEY_ENV
				 " or pass --api-key-file FILE");
	if (!(e->key = strdup(env)))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	return 0;
}

/* Split "NAME=VALUE" (borrowed) at its first '='; -1 when malformed. */
static int split_pair(char **name, const char **value, const char *arg)
{
	const char *eq = strchr(arg, '=');

	*name = NULL;
	if (!eq || eq == arg || !eq[1])
		return -1;
	if (!(*name = strndup(arg, (size_t)(eq - arg))))
		return -1;
	*value = eq + 1;
	return 0;
}

int cli_job_params(amlr_json *request, struct cli_ctx *ctx,
		   const struct cli_usage *usage, const struct cli_args *args)
{
	const char *const *p = cli_arg_list(args, "param");
	amlr_json *params = amlr_json_get(request, "GlobalParameters");
	amlr_json *fresh = NULL;
	const char *eq;
	char *name;
	int rc = 0;

	if (!*p)
		return 0;
	if (amlr_json_type_of(params) != AMLR_JSON_OBJECT) {
		if (amlr_json_new_object(&fresh) != AMLR_OK ||
		    amlr_json_set(request, "GlobalParameters", fresh) !=
			    AMLR_OK) /* steals */
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		params = fresh;
	}
	for (; *p && !rc; p++) {
		if (!(eq = strchr(*p, '=')) || eq == *p)
			return cli_usage_error(
				ctx, usage,
				"invalid value '%s' for '--param': expected NAME=VALUE",
				*p);
		if (!(name = strndup(*p, (size_t)(eq - *p))))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		if (amlr_json_set_str(params, name, eq + 1) != AMLR_OK)
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		free(name);
	}
	return rc;
}

/* A local file to upload before the job is submitted. */
struct upload {
	const char *path; /* borrowed from argv */
	char *name;
};

/* What resolving the refs of one request needs. */
struct refs {
	struct cli_ctx *ctx;
	const struct cli_usage *usage;
	const char *cs_env;
	const char *container; /* of uploads */
	char *cs_text; /* the connection string (a secret), once read */
	amlr_connstr *cs;
	struct upload *uploads;
	size_t nuploads;
};

static void refs_release(struct refs *r)
{
	size_t i;

	for (i = 0; i < r->nuploads; i++)
		free(r->uploads[i].name);
	free(r->uploads);
	amlr_connstr_free(r->cs);
	amlr_secret_free(r->cs_text);
}

/* The storage account of the connection string, with its key. */
static int need_account(struct refs *r, const char *opt, const char *name)
{
	amlr_error err = AMLR_ERROR_INIT;
	const char *text;

	if (r->cs)
		return 0;
	text = getenv(r->cs_env);
	if (!text || !*text)
		return cli_failf(
			r->ctx, AMLR_EAUTH,
			"--%s '%s': no storage account: set %s to its connection string, or pass a SAS URL as sas:FILE",
			opt, name, r->cs_env);
	if (amlr_connstr_parse(&r->cs, &err, text) != AMLR_OK) {
		err.code = AMLR_EINVAL;
		return cli_fail(r->ctx, &err);
	}
	if (!amlr_connstr_key(r->cs) || !amlr_connstr_account(r->cs))
		return cli_failf(
			r->ctx, AMLR_EINVAL,
			"--%s '%s': the connection string in %s has no AccountKey, which the account-key form needs (use sas:FILE)",
			opt, name, r->cs_env);
	if (!(r->cs_text = strdup(text)))
		return cli_failf(r->ctx, AMLR_EFAIL, "out of memory");
	return 0;
}

static int set_or_oom(struct cli_ctx *ctx, amlr_json *o, const char *k,
		      const char *v)
{
	if (amlr_json_set_str(o, k, v) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	return 0;
}

/* The account-key form (§1.2): ConnectionString + RelativeLocation. */
static int account_ref(amlr_json *ref, struct refs *r, const char *opt,
		       const char *name, const char *relative)
{
	int rc;

	if ((rc = need_account(r, opt, name)) != 0)
		return rc;
	if ((rc = set_or_oom(r->ctx, ref, "ConnectionString", r->cs_text)) ||
	    (rc = set_or_oom(r->ctx, ref, "RelativeLocation", relative)))
		return rc;
	return 0;
}

/* container/blob, checked. */
static int check_relative(struct refs *r, const char *opt, const char *name,
			  const char *rel)
{
	const char *slash = strchr(rel, '/');
	char container[64];

	if (!slash || !slash[1] || (size_t)(slash - rel) >= sizeof(container))
		return cli_usage_error(
			r->ctx, r->usage,
			"invalid --%s '%s': expected CONTAINER/BLOB, sas:FILE, a blob URL or (inputs) @FILE",
			opt, name);
	snprintf(container, sizeof(container), "%.*s", (int)(slash - rel), rel);
	if (!amlr_blob_container_name_valid(container))
		return cli_usage_error(
			r->ctx, r->usage,
			"invalid --%s '%s': invalid container name '%s'", opt,
			name, container);
	return 0;
}

/* sas:FILE: the SAS form (§1.2) from a blob URL with a SAS. */
static int sas_ref(amlr_json *ref, struct refs *r, const char *opt,
		   const char *name, const char *file)
{
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf base = AMLR_BUF_INIT, rel = AMLR_BUF_INIT;
	amlr_blob *blob = NULL;
	char *url = NULL, *container = NULL, *blob_name = NULL;
	int rc;

	if ((rc = first_line(&url, r->ctx, file, "blob URL")) != 0)
		goto done;
	if (amlr_blob_from_url(&blob, &container, &blob_name, &err, url,
			       &opts) != AMLR_OK) {
		rc = cli_failf(r->ctx, AMLR_EINVAL, "--%s '%s': %s: %s", opt,
			       name, file, err.message);
		goto done;
	}
	if (!blob_name) {
		rc = cli_failf(
			r->ctx, AMLR_EINVAL,
			"--%s '%s': %s: the URL names a container, not a blob",
			opt, name, file);
		goto done;
	}
	if (amlr_buf_printf(&base, "%s/", amlr_blob_endpoint(blob)) !=
		    AMLR_OK ||
	    amlr_buf_printf(&rel, "%s/%s", container, blob_name) != AMLR_OK) {
		rc = cli_failf(r->ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = set_or_oom(r->ctx, ref, "BaseLocation", base.ptr)) ||
	    (rc = set_or_oom(r->ctx, ref, "RelativeLocation", rel.ptr)) ||
	    (rc = set_or_oom(r->ctx, ref, "SasBlobToken", strchr(url, '?'))))
		goto done;
done:
	amlr_buf_release(&base);
	amlr_buf_release(&rel);
	amlr_blob_free(blob);
	free(container);
	free(blob_name);
	amlr_secret_free(url);
	return rc;
}

/* A blob URL without a SAS: the connection string's account, if it is
 * that account's. */
static int url_ref(amlr_json *ref, struct refs *r, const char *opt,
		   const char *name, const char *url)
{
	const char *ep;
	size_t n;
	int rc;

	if ((rc = need_account(r, opt, name)) != 0)
		return rc;
	ep = amlr_connstr_blob_endpoint(r->cs);
	n = strlen(ep);
	if (strncmp(url, ep, n) != 0 || url[n] != '/')
		return cli_failf(
			r->ctx, AMLR_EINVAL,
			"--%s '%s': the URL is not in the account of %s: give it with its SAS as sas:FILE",
			opt, name, r->cs_env);
	if ((rc = check_relative(r, opt, name, url + n + 1)) != 0)
		return rc;
	return account_ref(ref, r, opt, name, url + n + 1);
}

/* @FILE: uploaded (later) to the upload container. */
static int file_ref(amlr_json *ref, struct refs *r, const char *opt,
		    const char *name, const char *path)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf rel = AMLR_BUF_INIT;
	struct upload *u;
	char *blob_name = NULL;
	int rc;

	if (amlr_bes_input_blob_name(&blob_name, &err, path) != AMLR_OK) {
		if (err.code == AMLR_EIO)
			err.code = AMLR_EINVAL;
		return cli_fail(r->ctx, &err);
	}
	if (!(u = realloc(r->uploads, (r->nuploads + 1) * sizeof(*u))) ||
	    amlr_buf_printf(&rel, "%s/%s", r->container, blob_name) !=
		    AMLR_OK) {
		if (u)
			r->uploads = u;
		free(blob_name);
		amlr_buf_release(&rel);
		return cli_failf(r->ctx, AMLR_EFAIL, "out of memory");
	}
	r->uploads = u;
	u[r->nuploads].path = path;
	u[r->nuploads].name = blob_name;
	r->nuploads++;
	rc = account_ref(ref, r, opt, name, rel.ptr);
	amlr_buf_release(&rel);
	return rc;
}

/* One NAME=REF into @p into (Inputs or Outputs). */
static int one_ref(amlr_json *into, struct refs *r, const char *opt,
		   const char *arg)
{
	amlr_json *ref = NULL;
	const char *value;
	char *name = NULL;
	int rc;

	if (split_pair(&name, &value, arg) != 0) {
		rc = cli_usage_error(r->ctx, r->usage,
				     "invalid --%s: expected NAME=REF", opt);
		goto done;
	}
	/* A SAS on the command line is visible to every user (ps): the
	 * value is not repeated in the message either. */
	if (strstr(value, "sig=") || strstr(value, "SharedAccessSignature") ||
	    ((strncmp(value, "https://", 8) == 0 ||
	      strncmp(value, "http://", 7) == 0) &&
	     strchr(value, '?'))) {
		rc = cli_usage_error(
			r->ctx, r->usage,
			"refusing a SAS on the command line (--%s '%s'): write the URL to a file and pass %s=sas:FILE",
			opt, name, name);
		goto done;
	}
	if (amlr_json_get(into, name)) {
		rc = cli_usage_error(r->ctx, r->usage, "--%s '%s' given twice",
				     opt, name);
		goto done;
	}
	if (amlr_json_new_object(&ref) != AMLR_OK) {
		rc = cli_failf(r->ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (strncmp(value, "sas:", 4) == 0)
		rc = sas_ref(ref, r, opt, name, value + 4);
	else if (value[0] == '@' && strcmp(opt, "input") == 0)
		rc = file_ref(ref, r, opt, name, value + 1);
	else if (value[0] == '@')
		rc = cli_usage_error(
			r->ctx, r->usage,
			"--output '%s': @FILE is for inputs; name a blob (CONTAINER/BLOB, sas:FILE)",
			name);
	else if (strncmp(value, "https://", 8) == 0 ||
		 strncmp(value, "http://", 7) == 0)
		rc = url_ref(ref, r, opt, name, value);
	else if ((rc = check_relative(r, opt, name, value)) == 0)
		rc = account_ref(ref, r, opt, name, value);
	if (rc)
		goto done;
	if (amlr_json_set(into, name, ref) != AMLR_OK) /* steals */
		rc = cli_failf(r->ctx, AMLR_EFAIL, "out of memory");
	ref = NULL;
done:
	amlr_json_free(ref);
	free(name);
	return rc;
}

/* Upload the @FILE inputs, unless a blob of that name (and so of that
 * content) is there already. */
static int upload_all(struct refs *r)
{
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	amlr_blob_props props = AMLR_BLOB_PROPS_INIT;
	amlr_blob *blob = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_code code;
	size_t i;
	int rc = 0;

	if (!r->nuploads)
		return 0;
	cli_http_opts(r->ctx, &opts.http);
	if (amlr_blob_from_connstr(&blob, &err, r->cs, &opts) != AMLR_OK)
		return cli_fail(r->ctx, &err);
	if (r->ctx->debug)
		amlr_blob_set_trace_cb(blob, cli_trace, NULL);
	if (amlr_blob_container_create(NULL, blob, r->container) != AMLR_OK) {
		rc = cli_fail(r->ctx, amlr_blob_error(blob));
		goto done;
	}
	for (i = 0; i < r->nuploads; i++) {
		code = amlr_blob_get_properties(&props, blob, r->container,
						r->uploads[i].name);
		amlr_blob_props_release(&props);
		if (code == AMLR_OK)
			continue;
		if (code != AMLR_ENOTFOUND ||
		    amlr_blob_upload(NULL, blob, r->container,
				     r->uploads[i].name, r->uploads[i].path,
				     NULL) != AMLR_OK) {
			rc = cli_fail(r->ctx, amlr_blob_error(blob));
			goto done;
		}
	}
done:
	amlr_blob_free(blob);
	return rc;
}

static int refs_of(amlr_json **out, struct refs *r, const struct cli_args *a,
		   const char *opt)
{
	const char *const *v = cli_arg_list(a, opt);
	int rc = 0;

	if (amlr_json_new_object(out) != AMLR_OK)
		return cli_failf(r->ctx, AMLR_EFAIL, "out of memory");
	for (; *v && !rc; v++)
		rc = one_ref(*out, r, opt, *v);
	return rc;
}

int cli_job_request(amlr_json **out, struct cli_ctx *ctx,
		    const struct cli_usage *usage, const struct cli_args *args)
{
	struct refs r;
	amlr_json *doc = NULL, *inputs = NULL, *outputs = NULL;
	amlr_code code = AMLR_OK;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.usage = usage;
	r.cs_env = cli_arg(args, "connection-string-env")
			   ? cli_arg(args, "connection-string-env")
			   : DEFAULT_CS_ENV;
	r.container = cli_arg(args, "upload-container")
			      ? cli_arg(args, "upload-container")
			      : DEFAULT_UPLOAD_CONTAINER;
	if (!amlr_blob_container_name_valid(r.container)) {
		rc = cli_usage_error(
			ctx, usage,
			"invalid container name '%s' for '--upload-container'",
			r.container);
		goto done;
	}
	if ((rc = refs_of(&inputs, &r, args, "input")) != 0 ||
	    (rc = refs_of(&outputs, &r, args, "output")) != 0)
		goto done;
	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    (code = amlr_json_set(doc, "Inputs", inputs)) != AMLR_OK) {
		inputs = NULL;
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	inputs = NULL;
	code = amlr_json_set(doc, "Outputs", outputs); /* steals */
	outputs = NULL;
	if (code != AMLR_OK ||
	    amlr_json_set(doc, "GlobalParameters", NULL) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = cli_job_params(doc, ctx, usage, args)) != 0)
		goto done;
	if (!amlr_json_get(doc, "GlobalParameters")) {
		amlr_json *empty = NULL;

		if (amlr_json_new_object(&empty) != AMLR_OK ||
		    amlr_json_set(doc, "GlobalParameters", empty) != AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	/* Everything checked: now the uploads. */
	if ((rc = upload_all(&r)) != 0)
		goto done;
	*out = doc;
	doc = NULL;
done:
	amlr_json_free(inputs);
	amlr_json_free(outputs);
	amlr_json_free(doc);
	refs_release(&r);
	return rc;
}
