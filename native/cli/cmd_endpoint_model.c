/* SPDX-License-Identifier: MIT */
/* amlretrain endpoint set-model|rollback: the classic model swap, safely. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "endpoint_cli.h"
#include "model.h"
#include "out.h"

/* How long a SAS made from the account key lives (rollback, set-model). */
#define ACCOUNT_SAS_TTL_S 3600

#define EP_OPT_SAS                                                                                                                                       \
	{ "sas-token",                                                                                                                                   \
	  0,                                                                                                                                             \
	  CLI_OPT_VALUE,                                                                                                                                 \
	  "@FILE|-",                                                                                                                                     \
	  "the model's SAS token, from a file or stdin (never on the command line)",                                                                     \
	  NULL,                                                                                                                                          \
	  0 },                                                                                                                                           \
	{                                                                                                                                                \
		"connection-string-env", 0, CLI_OPT_VALUE, "VAR",                                                                                        \
			"without --sas-token, sign one with the account key of the connection string in VAR (default: AZURE_STORAGE_CONNECTION_STRING)", \
			NULL, 0                                                                                                                          \
	}
#define EP_OPT_BACKUP_DIR                                                          \
	{                                                                          \
		"backup-dir", 0, CLI_OPT_VALUE, "DIR",                             \
			"where backups go (default: $AMLR_BACKUP_DIR, else under " \
			"~/.local/state/amlretrain)",                              \
			NULL, 0                                                    \
	}
#define EP_OPT_DRY_RUN                                                     \
	{                                                                  \
		"dry-run", 0, CLI_OPT_FLAG, NULL,                          \
			"print the request instead of sending it", NULL, 0 \
	}

/* What a swap needs, released by swap_release(). */
struct swap {
	struct cli_args args;
	struct ep_session s;
	amlr_json *current; /* GET before */
	amlr_json *after; /* GET after */
	amlr_json *backed_up; /* resources of a backup being re-applied */
	amlr_classic_resource *res; /* what the PATCH sends */
	char **owned; /* strings res points at (SASs among them) */
	size_t nres, nowned;
	char *backup_dir;
	char *backup;
};

static void swap_release(struct swap *w)
{
	size_t i;

	for (i = 0; i < w->nowned; i++)
		amlr_secret_free(w->owned[i]);
	free(w->owned);
	free(w->res);
	free(w->backup_dir);
	free(w->backup);
	amlr_json_free(w->current);
	amlr_json_free(w->after);
	amlr_json_free(w->backed_up);
	ep_close(&w->s);
	cli_args_release(&w->args);
}

/* Keep @p s (a heap string) until swap_release(); returns it. */
static char *own(struct swap *w, char *s)
{
	char **v;

	if (!s || !(v = realloc(w->owned, (w->nowned + 1) * sizeof(*v)))) {
		amlr_secret_free(s);
		return NULL;
	}
	w->owned = v;
	w->owned[w->nowned++] = s;
	return s;
}

static int add_resource(struct swap *w, struct cli_ctx *ctx, const char *name,
			const char *base, const char *rel, const char *sas)
{
	amlr_classic_resource *v = realloc(w->res, (w->nres + 1) * sizeof(*v));

	if (!v)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	w->res = v;
	v[w->nres].name = name;
	v[w->nres].base_location = base;
	v[w->nres].relative_location = rel;
	v[w->nres].sas_blob_token = sas;
	w->nres++;
	return 0;
}

/* The default endpoint follows the web service: never patched (notes
 * §3.5, "Only non-default endpoints can be patched"). */
static int refuse_default(struct cli_ctx *ctx, const struct cli_usage *usage,
			  const char *name)
{
	if (strcmp(name, "default") != 0)
		return 0;
	return cli_usage_error(
		ctx, usage,
		"the default endpoint cannot take a new model: add an endpoint ('amlretrain endpoint add') and set its model");
}

/* --sas-token @FILE|-: a SAS never comes from argv. */
static int sas_option(char **out, struct cli_ctx *ctx,
		      const struct cli_usage *usage, const char *arg)
{
	char *raw = NULL;
	int rc;

	*out = NULL;
	if (!arg)
		return 0;
	if (strcmp(arg, "-") != 0 && arg[0] != '@')
		return cli_usage_error(
			ctx, usage,
			"refusing a SAS on the command line: pass it as --sas-token @FILE or --sas-token - (stdin)");
	if ((rc = ep_read_secret_file(&raw, ctx, arg[0] == '@' ? arg + 1 : arg,
				      "the SAS token")) != 0)
		return rc;
	/* The service wants the leading '?' (notes §1.7 Results). */
	if (raw[0] == '?') {
		*out = raw;
		return 0;
	}
	if (!(*out = malloc(strlen(raw) + 2))) {
		amlr_secret_free(raw);
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	}
	(*out)[0] = '?';
	memcpy(*out + 1, raw, strlen(raw) + 1);
	amlr_secret_free(raw);
	return 0;
}

static int prepare_backup(struct swap *w, struct cli_ctx *ctx)
{
	if (w->backup_dir || cli_has(&w->args, "dry-run"))
		return 0;
	return cli_backup_dir(&w->backup_dir, ctx,
			      cli_arg(&w->args, "backup-dir"));
}

/* Every resource's location, without its SAS: what a backup keeps. */
static int backup_endpoint(struct swap *w, struct cli_ctx *ctx)
{
	const char *parts[] = { "classic", w->s.workspace, w->s.webservice,
				w->s.name, NULL };
	amlr_json *doc = NULL, *meta = NULL, *list = NULL, *item = NULL,
		  *loc = NULL;
	const amlr_json *res = amlr_json_get(w->current, "Resources"), *r, *l;
	char taken[40];
	size_t i;
	int rc = 0;

	cli_backup_taken_at(taken, sizeof(taken));
	if (amlr_json_new_object(&doc) || amlr_json_new_object(&meta) ||
	    amlr_json_new_array(&list) ||
	    amlr_json_set_int(meta, "version", 1) ||
	    amlr_json_set_str(meta, "kind", "classicEndpoint") ||
	    amlr_json_set_str(meta, "managementEndpoint",
			      amlr_classic_endpoint(w->s.classic)) ||
	    amlr_json_set_str(meta, "workspaceId", w->s.workspace) ||
	    amlr_json_set_str(meta, "webServiceId", w->s.webservice) ||
	    amlr_json_set_str(meta, "endpointName", w->s.name) ||
	    amlr_json_set_str(meta, "takenAt", taken) ||
	    amlr_json_set(doc, "amlretrainBackup", amlr_json_ref(meta)) ||
	    amlr_json_set(doc, "resources", amlr_json_ref(list)))
		goto oom;
	for (i = 0; i < amlr_json_len(res); i++) {
		r = amlr_json_at(res, i);
		l = amlr_json_get(r, "Location");
		/* Never the SasBlobToken: backups hold no secrets. */
		if (amlr_json_new_object(&item) || amlr_json_new_object(&loc) ||
		    amlr_json_set_str(item, "Name",
				      amlr_json_get_str(r, "Name")) ||
		    amlr_json_set(item, "Location", amlr_json_ref(loc)) ||
		    amlr_json_set_str(loc, "BaseLocation",
				      amlr_json_get_str(l, "BaseLocation")) ||
		    amlr_json_set_str(loc, "RelativeLocation",
				      amlr_json_get_str(l, "RelativeLocation")))
			goto oom;
		amlr_json_free(loc);
		loc = NULL;
		if (amlr_json_append(list, item)) {
			item = NULL;
			goto oom;
		}
		item = NULL;
	}
	rc = cli_backup_save(&w->backup, ctx, w->backup_dir, parts, doc);
	if (!rc && ctx->verbose)
		ep_note(ctx, "backup of endpoint '%s' written to %s", w->s.name,
			w->backup);
	goto done;
oom:
	rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
done:
	amlr_json_free(loc);
	amlr_json_free(item);
	amlr_json_free(list);
	amlr_json_free(meta);
	amlr_json_free(doc);
	return rc;
}

/* --dry-run: the PATCH as it would go, its SAS tokens redacted. */
static int dry_run(struct swap *w, struct cli_ctx *ctx)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf body = AMLR_BUF_INIT, url = AMLR_BUF_INIT;
	amlr_json *req = NULL, *parsed = NULL, *list, *loc;
	size_t i;
	int rc = 0;

	if (amlr_classic_patch_body(&body, &err, w->res, w->nres) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (amlr_json_parse(&parsed, &err, body.ptr, body.len) ||
	    amlr_buf_printf(&url,
			    "%s/workspaces/%s/webservices/%s/endpoints/%s",
			    amlr_classic_endpoint(w->s.classic), w->s.workspace,
			    w->s.webservice, w->s.name))
		goto oom;
	list = amlr_json_get(parsed, "Resources");
	for (i = 0; i < amlr_json_len(list); i++) {
		loc = amlr_json_get(amlr_json_at(list, i), "Location");
		if (amlr_json_get(loc, "SasBlobToken") &&
		    amlr_json_set_str(loc, "SasBlobToken", AMLR_REDACTED))
			goto oom;
	}
	if (amlr_json_new_object(&req) ||
	    amlr_json_set_str(req, "method", "PATCH") ||
	    amlr_json_set_str(req, "url", url.ptr) ||
	    amlr_json_set(req, "body", amlr_json_ref(parsed)))
		goto oom;
	rc = cli_emit(ctx, req);
	goto done;
oom:
	rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
done:
	amlr_json_free(req);
	amlr_json_free(parsed);
	amlr_buf_release_secret(&body);
	amlr_buf_release(&url);
	return rc;
}

/* The resource named @p name of an endpoint, or NULL.  Borrowed. */
static const amlr_json *resource_named(const amlr_json *ep, const char *name)
{
	const amlr_json *res = amlr_json_get(ep, "Resources");
	size_t i;

	for (i = 0; i < amlr_json_len(res); i++)
		if (amlr_json_get_str(amlr_json_at(res, i), "Name") &&
		    strcmp(amlr_json_get_str(amlr_json_at(res, i), "Name"),
			   name) == 0)
			return amlr_json_at(res, i);
	return NULL;
}

/* Whether resource @p r of @p ep is at @p base + @p rel already. */
static int points_at(const amlr_json *ep, const amlr_classic_resource *r)
{
	amlr_json *want = NULL, *loc = NULL;
	char *now, *then;
	int same;

	now = ep_resource_location(resource_named(ep, r->name));
	if (amlr_json_new_object(&want) || amlr_json_new_object(&loc) ||
	    amlr_json_set(want, "Location", amlr_json_ref(loc)) ||
	    amlr_json_set_str(loc, "BaseLocation", r->base_location) ||
	    amlr_json_set_str(loc, "RelativeLocation", r->relative_location))
		then = NULL;
	else
		then = ep_resource_location(want);
	same = now && then && strcmp(now, then) == 0;
	free(now);
	free(then);
	amlr_json_free(loc);
	amlr_json_free(want);
	return same;
}

/*
 * The common tail of set-model and rollback: back up what is there,
 * PATCH, read back and verify every resource.
 */
static int apply(struct swap *w, struct cli_ctx *ctx)
{
	size_t i;
	int rc;

	if ((rc = prepare_backup(w, ctx)) != 0 ||
	    (rc = backup_endpoint(w, ctx)) != 0)
		return rc;
	if (amlr_classic_endpoint_patch(w->s.classic, w->s.webservice,
					w->s.name, w->res,
					w->nres) != AMLR_OK) {
		ep_note(ctx,
			"the model of endpoint '%s' was not changed; its previous locations are in %s ('amlretrain endpoint rollback --backup %s' re-applies them)",
			w->s.name, w->backup, w->backup);
		return ep_fail(ctx);
	}
	if (amlr_classic_endpoint_get(&w->after, w->s.classic, w->s.webservice,
				      w->s.name) != AMLR_OK)
		return ep_fail(ctx);
	for (i = 0; i < w->nres; i++)
		if (!points_at(w->after, &w->res[i]))
			return cli_failf(
				ctx, AMLR_ESERVER,
				"the PATCH succeeded, but resource '%s' of endpoint '%s' does not point at the new model (rollback: 'amlretrain endpoint rollback --backup %s')",
				w->res[i].name, w->s.name, w->backup);
	return 0;
}

/* The result: the endpoint and where each resource points now. */
static int summary(struct swap *w, struct cli_ctx *ctx,
		   const char *restored_from)
{
	amlr_json *doc = NULL, *list = NULL, *item = NULL;
	const amlr_json *ep = w->after ? w->after : w->current;
	char *before = NULL, *now = NULL;
	size_t i;
	int rc;

	if (amlr_json_new_object(&doc) || amlr_json_new_array(&list) ||
	    amlr_json_set_str(doc, "name", w->s.name) ||
	    amlr_json_set_str(doc, "webServiceId", w->s.webservice) ||
	    amlr_json_set_str(doc, "workspaceId", w->s.workspace))
		goto oom;
	if (w->nres == 1) {
		before = ep_resource_location(
			resource_named(w->current, w->res[0].name));
		now = ep_resource_location(resource_named(ep, w->res[0].name));
		if (amlr_json_set_str(doc, "resource", w->res[0].name) ||
		    amlr_json_set_str(doc, "previousLocation", before) ||
		    amlr_json_set_str(doc, "location", now))
			goto oom;
	} else {
		for (i = 0; i < w->nres; i++) {
			free(now);
			now = ep_resource_location(
				resource_named(ep, w->res[i].name));
			if (amlr_json_new_object(&item) ||
			    amlr_json_set_str(item, "resource",
					      w->res[i].name) ||
			    amlr_json_set_str(item, "location", now) ||
			    amlr_json_append(list, item)) {
				item = NULL;
				goto oom;
			}
			item = NULL;
		}
		if (amlr_json_set(doc, "resources", amlr_json_ref(list)))
			goto oom;
	}
	if ((restored_from &&
	     amlr_json_set_str(doc, "restoredFrom", restored_from)) ||
	    amlr_json_set_str(doc, "backup", w->backup))
		goto oom;
	rc = cli_emit(ctx, doc);
	goto done;
oom:
	rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
done:
	free(before);
	free(now);
	amlr_json_free(item);
	amlr_json_free(list);
	amlr_json_free(doc);
	return rc;
}

/* --- set-model ----------------------------------------------------------- */

static const struct cli_opt set_model_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	EP_OPT_NAME,
	{ "resource", 'r', CLI_OPT_VALUE, "NAME",
	  "the resource to change (default: the one '[trained model]')", NULL,
	  0 },
	{ "from-job", 0, CLI_OPT_VALUE, "FILE",
	  "take the model from a batch job's status JSON ('-': stdin)", NULL,
	  0 },
	{ "job-output", 0, CLI_OPT_VALUE, "NAME",
	  "the job's output holding the model (default: output1)", NULL, 0 },
	{ "base-location", 0, CLI_OPT_VALUE, "URL",
	  "or give it: the storage account's blob endpoint", NULL, 0 },
	{ "relative-location", 0, CLI_OPT_VALUE, "PATH",
	  "...and the blob's path in it (container/name.ilearner)", NULL, 0 },
	EP_OPT_SAS,
	EP_OPT_BACKUP_DIR,
	CLI_PREFLIGHT_OPTS,
	EP_OPT_DRY_RUN,
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage set_model_usage = {
	"amlretrain endpoint set-model",
	"--name NAME (--from-job FILE | --base-location URL --relative-location PATH) [options]",
	"Point an endpoint's trained model at a new .ilearner, safely.",
	"The documented classic retraining step (PATCH of the endpoint's\n"
	"'[trained model]' resource with a BES output's BaseLocation,\n"
	"RelativeLocation and SasBlobToken), plus: the default endpoint is\n"
	"refused before anything is sent; the model is checked first (an\n"
	".ilearner, readable with its SAS, which must stay valid for\n"
	"--sas-margin); the endpoint's current locations are backed up (never\n"
	"its SAS) to a 0600 file; the endpoint is read back and must point at\n"
	"the new model (exit 8 otherwise).  Without a SAS (no --sas-token,\n"
	"none in the job), one is signed, read-only, valid for --sas-margin\n"
	"and an hour more, with the account key of\n"
	"$AZURE_STORAGE_CONNECTION_STRING (or --connection-string-env VAR).",
	set_model_opts,
	NULL,
	0,
};

/* The new model's locations and SAS, from the job or the options. */
static int new_model(struct swap *w, struct cli_ctx *ctx,
		     const struct cli_usage *usage, const char **base,
		     const char **rel, const char **sas)
{
	struct cli_job_output o;
	const char *job = cli_arg(&w->args, "from-job");
	const char *sas_arg = cli_arg(&w->args, "sas-token");
	char *s = NULL;
	int rc;

	*base = cli_arg(&w->args, "base-location");
	*rel = cli_arg(&w->args, "relative-location");
	*sas = NULL;
	if (!job == !(*base || *rel))
		return cli_usage_error(
			ctx, usage,
			"give the model with either --from-job or --base-location and --relative-location");
	if (cli_has(&w->args, "job-output") && !job)
		return cli_usage_error(ctx, usage,
				       "--job-output goes with --from-job");
	if (job && sas_arg)
		return cli_usage_error(
			ctx, usage,
			"--sas-token goes with --base-location (the job's output has its own)");
	if (!job && (!*base || !*rel))
		return cli_usage_error(
			ctx, usage,
			"--base-location and --relative-location go together");
	if (!job && (strstr(*base, "sig=") || strstr(*rel, "sig=")))
		return cli_usage_error(
			ctx, usage,
			"refusing a SAS on the command line: pass it as --sas-token @FILE or -");
	if (job) {
		if ((rc = cli_model_job_output(
			     &o, ctx, job,
			     cli_has(&w->args, "job-output")
				     ? cli_arg(&w->args, "job-output")
				     : "output1")) != 0)
			return rc;
		*base = own(w, o.base);
		*rel = own(w, o.relative);
		*sas = o.sas ? own(w, o.sas) : NULL;
		if (!*base || !*rel || (o.sas && !*sas))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return 0;
	}
	if ((rc = sas_option(&s, ctx, usage, sas_arg)) != 0)
		return rc;
	if (s && !(*sas = own(w, s)))
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	return 0;
}

int cmd_endpoint_set_model(int argc, char **argv, struct cli_ctx *ctx)
{
	const struct cli_usage *u = &set_model_usage;
	struct cli_model m = CLI_MODEL_INIT;
	const amlr_json *target;
	const char *base, *rel, *sas;
	char *made = NULL;
	long margin = ACCOUNT_SAS_TTL_S;
	struct swap w;
	int rc;

	memset(&w, 0, sizeof(w));
	if ((rc = cli_parse(&w.args, ctx, u, argc, argv)) != 0 ||
	    (rc = ep_check_ids(&w.s, ctx, u, &w.args,
			       EP_NEED_WEBSERVICE | EP_NEED_NAME)) != 0 ||
	    (rc = refuse_default(ctx, u, w.s.name)) != 0 ||
	    (rc = new_model(&w, ctx, u, &base, &rel, &sas)) != 0 ||
	    (rc = cli_model_from_parts(&m, ctx, base, rel, NULL)) != 0)
		goto done;
	if (!sas) {
		/* It must outlive the pre-flight's margin by the usual hour. */
		if (cli_arg(&w.args, "sas-margin") &&
		    cli_parse_duration(&margin,
				       cli_arg(&w.args, "sas-margin")) != 0) {
			rc = cli_usage_error(
				ctx, u,
				"invalid value '%s' for '--sas-margin' (e.g. 30m, 1h, 2d)",
				cli_arg(&w.args, "sas-margin"));
			goto done;
		}
		if ((rc = cli_model_account_sas(
			     &made, ctx, m.uri,
			     cli_arg(&w.args, "connection-string-env"),
			     margin + ACCOUNT_SAS_TTL_S)) != 0)
			goto done;
		sas = own(&w, made);
		made = NULL;
		if (!sas) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	if (!(m.sas = strdup(sas[0] == '?' ? sas + 1 : sas))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = prepare_backup(&w, ctx)) != 0 ||
	    (rc = ep_connect(&w.s, ctx, &w.args)) != 0)
		goto done;
	if (amlr_classic_endpoint_get(&w.current, w.s.classic, w.s.webservice,
				      w.s.name) != AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	if ((rc = ep_find_resource(&target, ctx, w.current,
				   cli_arg(&w.args, "resource"))) != 0 ||
	    (rc = add_resource(&w, ctx, amlr_json_get_str(target, "Name"), base,
			       rel, sas)) != 0)
		goto done;
	if (points_at(w.current, &w.res[0])) {
		ep_note(ctx,
			"warning: endpoint '%s' already uses this model: nothing to do",
			w.s.name);
		rc = summary(&w, ctx, NULL);
		goto done;
	}
	/* Checked with its SAS, which is also what the service gets. */
	if ((rc = cli_model_preflight(ctx, u, &w.args, &m)) != 0)
		goto done;
	if (cli_has(&w.args, "dry-run")) {
		rc = dry_run(&w, ctx);
		goto done;
	}
	if ((rc = apply(&w, ctx)) != 0)
		goto done;
	rc = summary(&w, ctx, NULL);
done:
	amlr_secret_free(made);
	cli_model_release(&m);
	swap_release(&w);
	return rc;
}

/* --- rollback ------------------------------------------------------------ */

static const struct cli_opt rollback_opts[] = {
	EP_OPT_WORKSPACE,
	EP_OPT_WEBSERVICE,
	{ "name", 'n', CLI_OPT_VALUE, "NAME",
	  "endpoint name (default: the one of --backup)", NULL, 0 },
	{ "backup", 'b', CLI_OPT_VALUE, "FILE",
	  "the backup to re-apply (default: the newest of the endpoint)", NULL,
	  0 },
	EP_OPT_SAS,
	EP_OPT_BACKUP_DIR,
	EP_OPT_DRY_RUN,
	EP_OPT_SERVICE,
	EP_OPT_END,
};

static const struct cli_usage rollback_usage = {
	"amlretrain endpoint rollback",
	"(--name NAME | --backup FILE) [options]",
	"Re-apply the model locations an endpoint had before a set-model.",
	"The newest backup of the endpoint, or the one named.  Backups hold no\n"
	"SAS: the old model's comes from --sas-token @FILE, or is signed\n"
	"(read-only, for an hour) with the account key of\n"
	"$AZURE_STORAGE_CONNECTION_STRING (or --connection-string-env VAR) when\n"
	"that is the model's account.  What is there now is backed up first,\n"
	"so a rollback can be undone too.",
	rollback_opts,
	NULL,
	0,
};

/* A backup's ids, checked against the options. */
static int backup_ids(struct swap *w, struct cli_ctx *ctx, const char *file)
{
	const amlr_json *meta = amlr_json_get(w->backed_up, "amlretrainBackup");
	const char *kind = amlr_json_get_str(meta, "kind");
	const char *ws = amlr_json_get_str(meta, "workspaceId");
	const char *wsid = amlr_json_get_str(meta, "webServiceId");
	const char *name = amlr_json_get_str(meta, "endpointName");
	const char *want = cli_arg(&w->args, "name");

	if (!kind || strcmp(kind, "classicEndpoint") != 0 || !ws || !wsid ||
	    !name ||
	    amlr_json_type_of(amlr_json_get(w->backed_up, "resources")) !=
		    AMLR_JSON_ARRAY)
		return cli_failf(ctx, AMLR_EINVAL,
				 "%s: not a backup of a classic endpoint",
				 file);
	if (want && strcmp(want, name) != 0)
		return cli_failf(
			ctx, AMLR_EINVAL,
			"'%s' is a backup of endpoint '%s', not of '%s'", file,
			name, want);
	w->s.workspace = ws;
	w->s.webservice = wsid;
	w->s.name = name;
	return 0;
}

/* The resources of the backup, each with a SAS to read its model. */
static int backup_resources(struct swap *w, struct cli_ctx *ctx,
			    const char *sas)
{
	const amlr_json *list = amlr_json_get(w->backed_up, "resources");
	const amlr_json *r, *l;
	const char *name, *base, *rel, *use;
	char *made = NULL, *where;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < amlr_json_len(list); i++) {
		r = amlr_json_at(list, i);
		l = amlr_json_get(r, "Location");
		name = amlr_json_get_str(r, "Name");
		base = amlr_json_get_str(l, "BaseLocation");
		rel = amlr_json_get_str(l, "RelativeLocation");
		/* A resource that had no model is left as it is. */
		if (!name || !base || !rel || !*base || !*rel)
			continue;
		use = sas;
		if (!use) {
			if (!(where = ep_resource_location(r)))
				return cli_failf(ctx, AMLR_EFAIL,
						 "out of memory");
			rc = cli_model_account_sas(
				&made, ctx, where,
				cli_arg(&w->args, "connection-string-env"),
				ACCOUNT_SAS_TTL_S);
			free(where);
			if (rc)
				return rc;
			if (!(use = own(w, made)))
				return cli_failf(ctx, AMLR_EFAIL,
						 "out of memory");
			made = NULL;
		}
		rc = add_resource(w, ctx, name, base, rel, use);
	}
	if (!rc && !w->nres)
		rc = cli_failf(ctx, AMLR_EINVAL,
			       "the backup has no model location to re-apply");
	return rc;
}

int cmd_endpoint_rollback(int argc, char **argv, struct cli_ctx *ctx)
{
	const struct cli_usage *u = &rollback_usage;
	const char *file, *sas = NULL;
	const char *parts[5];
	char *found = NULL, *s = NULL, what[128];
	size_t i;
	struct swap w;
	int rc, same = 1;

	memset(&w, 0, sizeof(w));
	if ((rc = cli_parse(&w.args, ctx, u, argc, argv)) != 0)
		goto done;
	file = cli_arg(&w.args, "backup");
	if (!file && !cli_arg(&w.args, "name")) {
		rc = cli_usage_error(
			ctx, u,
			"give --name (the newest backup) or --backup FILE");
		goto done;
	}
	if ((rc = sas_option(&s, ctx, u, cli_arg(&w.args, "sas-token"))) != 0)
		goto done;
	if (s && !(sas = own(&w, s))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (!file) {
		if ((rc = ep_check_ids(&w.s, ctx, u, &w.args,
				       EP_NEED_WEBSERVICE | EP_NEED_NAME)) !=
			    0 ||
		    (rc = refuse_default(ctx, u, w.s.name)) != 0 ||
		    (rc = cli_backup_dir(&w.backup_dir, ctx,
					 cli_arg(&w.args, "backup-dir"))) != 0)
			goto done;
		parts[0] = "classic";
		parts[1] = w.s.workspace;
		parts[2] = w.s.webservice;
		parts[3] = w.s.name;
		parts[4] = NULL;
		snprintf(what, sizeof(what), "endpoint '%s'", w.s.name);
		if ((rc = cli_backup_newest(&found, ctx, w.backup_dir, parts,
					    what)) != 0)
			goto done;
		file = found;
	}
	if ((rc = cli_backup_load(&w.backed_up, ctx, file)) != 0 ||
	    (rc = backup_ids(&w, ctx, file)) != 0 ||
	    (rc = refuse_default(ctx, u, w.s.name)) != 0 ||
	    (rc = backup_resources(&w, ctx, sas)) != 0 ||
	    (rc = prepare_backup(&w, ctx)) != 0 ||
	    (rc = ep_connect(&w.s, ctx, &w.args)) != 0)
		goto done;
	if (amlr_classic_endpoint_get(&w.current, w.s.classic, w.s.webservice,
				      w.s.name) != AMLR_OK) {
		rc = ep_fail(ctx);
		goto done;
	}
	for (i = 0; i < w.nres; i++) {
		if (!resource_named(w.current, w.res[i].name)) {
			rc = cli_failf(
				ctx, AMLR_EINVAL,
				"endpoint '%s' has no resource '%s' any more",
				w.s.name, w.res[i].name);
			goto done;
		}
		same = same && points_at(w.current, &w.res[i]);
	}
	if (same) {
		ep_note(ctx,
			"warning: endpoint '%s' already matches %s: nothing to roll back",
			w.s.name, file);
		rc = summary(&w, ctx, file);
		goto done;
	}
	if (cli_has(&w.args, "dry-run")) {
		rc = dry_run(&w, ctx);
		goto done;
	}
	/* The backup's models were in service before: no pre-flight. */
	if ((rc = apply(&w, ctx)) != 0)
		goto done;
	if (ctx->verbose)
		ep_note(ctx, "endpoint '%s' restored from %s", w.s.name, file);
	rc = summary(&w, ctx, file);
done:
	free(found);
	swap_release(&w);
	return rc;
}
