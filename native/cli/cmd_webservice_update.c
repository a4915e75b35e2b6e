/* SPDX-License-Identifier: MIT */
/* amlretrain webservice update|new|set-model|rollback: safe changes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backup.h"
#include "model.h"
#include "out.h"
#include "webservice_cli.h"

#define OPT_BACKUP_DIR                                                             \
	{                                                                          \
		"backup-dir", 0, CLI_OPT_VALUE, "DIR",                             \
			"where backups go (default: $AMLR_BACKUP_DIR, else under " \
			"~/.local/state/amlretrain)",                              \
			NULL, 0                                                    \
	}
#define OPT_DRY_RUN                                                        \
	{                                                                  \
		"dry-run", 0, CLI_OPT_FLAG, NULL,                          \
			"print the request instead of sending it", NULL, 0 \
	}

/* Everything a change needs, released by change_release(). */
struct change {
	struct cli_args args;
	amlr_webservice_ref ref;
	amlr_arm *arm;
	amlr_json *current; /* GET reply before the change */
	amlr_json *current_def; /* ...normalised */
	amlr_json *wanted; /* the definition to apply */
	amlr_json *result; /* GET reply after the change */
	char *backup_dir;
	char *backup;
	amlr_buf body;
};

static void change_release(struct change *c)
{
	cli_args_release(&c->args);
	amlr_json_free(c->current);
	amlr_json_free(c->current_def);
	amlr_json_free(c->wanted);
	amlr_json_free(c->result);
	free(c->backup_dir);
	free(c->backup);
	amlr_buf_release_secret(&c->body);
}

/* GET the web service as it is now, normalised too. */
static int load_current(struct change *c, struct cli_ctx *ctx)
{
	amlr_error err = AMLR_ERROR_INIT;

	if (amlr_webservice_get(&c->current, c->arm, &c->ref, NULL) != AMLR_OK)
		return cli_fail(ctx, amlr_client_error(ctx->client));
	if (amlr_definition_normalize(&c->current_def, &err, c->current) !=
	    AMLR_OK)
		return cli_failf(ctx, AMLR_ESERVER,
				 "the web service's definition: %s",
				 err.message);
	return 0;
}

static void note(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line for people on stderr, before any error line. */
static void note(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	cli_progress_done(ctx);
	fputs("amlretrain: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The backup directory, made before any request: a directory that
 * cannot be made fails the command with nothing sent. */
static int prepare_backup(struct change *c, struct cli_ctx *ctx)
{
	if (c->backup_dir || cli_has(&c->args, "dry-run"))
		return 0;
	return cli_backup_dir(&c->backup_dir, ctx,
			      cli_arg(&c->args, "backup-dir"));
}

/* Each Resource asset whose model the change moves: check it first. */
static int preflight_changes(struct change *c, struct cli_ctx *ctx,
			     const struct cli_usage *usage)
{
	amlr_json *assets =
		amlr_json_get(amlr_json_get(c->wanted, "properties"), "assets");
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	struct cli_model m = CLI_MODEL_INIT;
	const char *id, *now, *then, *type;
	amlr_json *asset;
	int rc = 0;

	while (!rc && amlr_json_next(&id, &asset, assets, &it)) {
		type = amlr_json_get_str(asset, "type");
		if (!type || strcasecmp(type, "Resource") != 0)
			continue;
		then = amlr_definition_model_uri(c->wanted, id);
		now = amlr_definition_model_uri(c->current_def, id);
		if (!then || (now && strcmp(now, then) == 0))
			continue;
		if (!(m.uri = strdup(then)))
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		rc = cli_model_preflight(ctx, usage, &c->args, &m);
		cli_model_release(&m);
	}
	return rc;
}

/* After the operation: every Resource asset points where we asked. */
static int verify(struct change *c, struct cli_ctx *ctx)
{
	amlr_json *assets =
		amlr_json_get(amlr_json_get(c->wanted, "properties"), "assets");
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *id, *want, *got;
	amlr_json *asset;

	while (amlr_json_next(&id, &asset, assets, &it)) {
		want = amlr_definition_model_uri(c->wanted, id);
		got = amlr_definition_model_uri(c->result, id);
		if (want && (!got || strcmp(want, got) != 0))
			return cli_failf(
				ctx, AMLR_ESERVER,
				"the update succeeded, but asset '%s' still points at '%s'",
				id, got ? got : "nothing");
	}
	return 0;
}

static int dry_run(struct change *c, struct cli_ctx *ctx, const char *method)
{
	amlr_json *req = NULL, *body = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char *path = NULL;
	int rc = 0;

	if (amlr_webservice_path(&path, &err, &c->ref) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (amlr_json_parse(&body, &err, c->body.ptr, c->body.len) ||
	    amlr_json_new_object(&req) ||
	    amlr_json_set_str(req, "method", method) ||
	    amlr_json_set_str(req, "path", path) ||
	    amlr_json_set_str(req, "apiVersion",
			      c->ref.api_version
				      ? c->ref.api_version
				      : AMLR_WEBSERVICE_API_VERSION) ||
	    amlr_json_set(req, "body", amlr_json_ref(body))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, req);
done:
	free(path);
	amlr_json_free(body);
	amlr_json_free(req);
	return rc;
}

/*
 * The common tail of update, set-model and rollback: back up what is
 * there, send the PATCH, wait, read back and verify.
 */
static int apply(struct change *c, struct cli_ctx *ctx,
		 const struct cli_usage *usage, int check_models)
{
	amlr_definition_body_opts bo = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	int rc;

	bo.api_version = c->ref.api_version;
	if (amlr_definition_request_body(&c->body, &err, c->wanted, &bo) !=
	    AMLR_OK)
		return cli_fail(ctx, &err);
	if (cli_has(&c->args, "dry-run"))
		return dry_run(c, ctx, "PATCH");
	if ((check_models && (rc = preflight_changes(c, ctx, usage)) != 0) ||
	    (rc = prepare_backup(c, ctx)) != 0 ||
	    (rc = cli_backup_write(&c->backup, ctx, c->backup_dir, &c->ref,
				   c->current)) != 0)
		return rc;
	if (ctx->verbose)
		note(ctx, "backup of '%s' written to %s", c->ref.name,
		     c->backup);
	if (amlr_webservice_write(&c->result, c->arm, &c->ref, "PATCH",
				  c->body.ptr) != AMLR_OK) {
		note(ctx,
		     "the update of '%s' did not complete; the previous definition is in %s ('amlretrain webservice rollback --backup %s' re-applies it)",
		     c->ref.name, c->backup, c->backup);
		return cli_fail(ctx, amlr_client_error(ctx->client));
	}
	cli_progress_done(ctx);
	return verify(c, ctx);
}

/* --- update ------------------------------------------------------------- */

static const struct cli_opt update_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	{ "file", 'f', CLI_OPT_VALUE, "FILE",
	  "the definition to apply ('-': stdin)", NULL, CLI_OPT_REQUIRED },
	OPT_BACKUP_DIR,
	CLI_PREFLIGHT_OPTS,
	OPT_DRY_RUN,
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage update_usage = {
	"amlretrain webservice update",
	"-g GROUP -n NAME --file FILE",
	"Apply a definition file to a web service (PATCH), safely.",
	"What Update-AzMlWebService -ServiceUpdates does, plus: a model the\n"
	"file points at is checked first (readable, an .ilearner); the current\n"
	"definition is backed up; the operation is followed to its end\n"
	"(Retry-After honoured, else short polls growing with the wait); the\n"
	"result is read back and the model references verified.  A file that\n"
	"changes nothing sends nothing, with a warning.",
	update_opts,
	NULL,
	0,
};

int cmd_webservice_update(int argc, char **argv, struct cli_ctx *ctx)
{
	struct change c;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = cli_parse(&c.args, ctx, &update_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&c.ref, ctx, &update_usage, &c.args)) != 0 ||
	    (rc = cli_ws_read_definition(&c.wanted, ctx,
					 cli_arg(&c.args, "file"))) != 0 ||
	    (rc = prepare_backup(&c, ctx)) != 0 ||
	    (rc = cli_arm(&c.arm, ctx)) != 0 ||
	    (rc = load_current(&c, ctx)) != 0)
		goto done;
	if (amlr_definition_equal(c.current_def, c.wanted)) {
		note(ctx,
		     "warning: '%s' already matches the file: nothing to update",
		     c.ref.name);
		rc = cli_emit(ctx, c.current);
		goto done;
	}
	if ((rc = apply(&c, ctx, &update_usage, 1)) != 0 ||
	    cli_has(&c.args, "dry-run"))
		goto done;
	rc = cli_emit(ctx, c.result);
done:
	change_release(&c);
	return rc;
}

/* --- set-model ---------------------------------------------------------- */

static const struct cli_opt set_model_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	CLI_MODEL_OPTS,
	{ "asset", 0, CLI_OPT_VALUE, "ID|NAME",
	  "the asset to change (default: the one '[trained model]')", NULL, 0 },
	OPT_BACKUP_DIR,
	CLI_PREFLIGHT_OPTS,
	OPT_DRY_RUN,
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage set_model_usage = {
	"amlretrain webservice set-model",
	"-g GROUP -n NAME (--model-uri URI | --from-job FILE)",
	"Swap a new trained model into a web service, the documented way.",
	"Get the web service, back up its definition, point its trained-model\n"
	"asset at the new .ilearner, update (PATCH) and verify: the steps of\n"
	"Microsoft's retraining walkthrough in one command.  The model is\n"
	"checked first (readable with its SAS or the account key of\n"
	"AZURE_STORAGE_CONNECTION_STRING, the SAS valid for --sas-margin); the\n"
	"web service gets its URI without the SAS.  Prints what changed.",
	set_model_opts,
	NULL,
	0,
};

static int summary(struct cli_ctx *ctx, const struct change *c,
		   const char *asset, const char *before, const char *after)
{
	amlr_json *doc = NULL;
	int rc;

	if (amlr_json_new_object(&doc) ||
	    amlr_json_set_str(doc, "id", amlr_json_get_str(c->result, "id")) ||
	    amlr_json_set_str(doc, "name", c->ref.name) ||
	    amlr_json_set_str(doc, "asset", asset) ||
	    amlr_json_set_str(doc, "previousModelUri", before) ||
	    amlr_json_set_str(doc, "modelUri", after) ||
	    amlr_json_set_str(doc, "backup", c->backup) ||
	    amlr_json_set_str(
		    doc, "provisioningState",
		    amlr_json_get_str(amlr_json_get(c->result, "properties"),
				      "provisioningState"))) {
		amlr_json_free(doc);
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	}
	rc = cli_emit(ctx, doc);
	amlr_json_free(doc);
	return rc;
}

int cmd_webservice_set_model(int argc, char **argv, struct cli_ctx *ctx)
{
	struct change c;
	struct cli_model model = CLI_MODEL_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	const char *asset = NULL, *before;
	char *previous = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = cli_parse(&c.args, ctx, &set_model_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&c.ref, ctx, &set_model_usage, &c.args)) != 0 ||
	    (rc = cli_model_from_args(&model, ctx, &set_model_usage,
				      &c.args)) != 0 ||
	    (rc = prepare_backup(&c, ctx)) != 0 ||
	    (rc = cli_arm(&c.arm, ctx)) != 0 ||
	    (rc = load_current(&c, ctx)) != 0)
		goto done;
	if (amlr_definition_find_model(&asset, &err, c.current_def,
				       cli_arg(&c.args, "asset")) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	before = amlr_definition_model_uri(c.current_def, asset);
	if (before && !(previous = strdup(before))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (previous && strcmp(previous, model.uri) == 0) {
		note(ctx,
		     "warning: '%s' already uses this model: nothing to do",
		     c.ref.name);
		c.result = amlr_json_ref(c.current);
		rc = summary(ctx, &c, asset, previous, model.uri);
		goto done;
	}
	/* The model is checked with its SAS, which the service never gets. */
	if ((rc = cli_model_preflight(ctx, &set_model_usage, &c.args,
				      &model)) != 0)
		goto done;
	if (!(c.wanted = amlr_json_ref(c.current_def)) ||
	    amlr_definition_set_model_uri(c.wanted, &err, asset, model.uri) !=
		    AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	/* Checked above, with its SAS: apply() must not check it again. */
	if ((rc = apply(&c, ctx, &set_model_usage, 0)) != 0 ||
	    cli_has(&c.args, "dry-run"))
		goto done;
	rc = summary(ctx, &c, asset, previous, model.uri);
done:
	free(previous);
	cli_model_release(&model);
	change_release(&c);
	return rc;
}

/* --- rollback ----------------------------------------------------------- */

static const struct cli_opt rollback_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	{ "name", 'n', CLI_OPT_VALUE, "NAME",
	  "web service name (default: the one of --backup)", NULL, 0 },
	{ "backup", 'b', CLI_OPT_VALUE, "FILE",
	  "the backup to re-apply (default: the newest of the web service)",
	  NULL, 0 },
	OPT_BACKUP_DIR,
	OPT_DRY_RUN,
	WS_OPT_END,
};

static const struct cli_usage rollback_usage = {
	"amlretrain webservice rollback",
	"(-g GROUP -n NAME | --backup FILE)",
	"Re-apply a backup taken before a change.",
	"The newest backup of the web service, or the one named.  What is\n"
	"there now is backed up first, so a rollback can be undone too.",
	rollback_opts,
	NULL,
	0,
};

int cmd_webservice_rollback(int argc, char **argv, struct cli_ctx *ctx)
{
	struct change c;
	struct cli_backup b = CLI_BACKUP_INIT;
	const char *file;
	char *found = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = cli_parse(&c.args, ctx, &rollback_usage, argc, argv)) != 0)
		goto done;
	file = cli_arg(&c.args, "backup");
	if (!file) {
		if (!cli_arg(&c.args, "name")) {
			rc = cli_usage_error(
				ctx, &rollback_usage,
				"give --name (the newest backup) or --backup FILE");
			goto done;
		}
		if ((rc = cli_ws_ref(&c.ref, ctx, &rollback_usage, &c.args)) !=
			    0 ||
		    (rc = cli_backup_dir(&c.backup_dir, ctx,
					 cli_arg(&c.args, "backup-dir"))) !=
			    0 ||
		    (rc = cli_backup_latest(&found, ctx, c.backup_dir,
					    &c.ref)) != 0)
			goto done;
		file = found;
	}
	if ((rc = cli_backup_read(&b, ctx, file)) != 0)
		goto done;
	if (cli_arg(&c.args, "name") &&
	    strcasecmp(cli_arg(&c.args, "name"), b.name) != 0) {
		rc = cli_failf(ctx, AMLR_EINVAL,
			       "'%s' is a backup of '%s', not of '%s'", file,
			       b.name, cli_arg(&c.args, "name"));
		goto done;
	}
	c.ref.subscription_id = b.subscription_id;
	c.ref.resource_group = b.resource_group;
	c.ref.name = b.name;
	c.ref.api_version = b.api_version;
	c.wanted = amlr_json_ref(b.definition);
	if ((rc = prepare_backup(&c, ctx)) != 0 ||
	    (rc = cli_arm(&c.arm, ctx)) != 0 ||
	    (rc = load_current(&c, ctx)) != 0)
		goto done;
	if (amlr_definition_equal(c.current_def, c.wanted)) {
		note(ctx,
		     "warning: '%s' already matches %s: nothing to roll back",
		     c.ref.name, file);
		rc = cli_emit(ctx, c.current);
		goto done;
	}
	/* The backup's models were in service before: no pre-flight. */
	if ((rc = apply(&c, ctx, &rollback_usage, 0)) != 0 ||
	    cli_has(&c.args, "dry-run"))
		goto done;
	if (ctx->verbose)
		note(ctx, "'%s' restored from %s", c.ref.name, file);
	rc = cli_emit(ctx, c.result);
done:
	free(found);
	cli_backup_release(&b);
	change_release(&c);
	return rc;
}

/* --- new ---------------------------------------------------------------- */

static const struct cli_opt new_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	{ "file", 'f', CLI_OPT_VALUE, "FILE", "the definition ('-': stdin)",
	  NULL, CLI_OPT_REQUIRED },
	{ "location", 'l', CLI_OPT_VALUE, "LOCATION",
	  "the region (default: the file's)", NULL, 0 },
	{ "force", 0, CLI_OPT_FLAG, NULL,
	  "replace the web service if it exists (PUT overwrites it)", NULL, 0 },
	OPT_DRY_RUN,
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage new_usage = {
	"amlretrain webservice new",
	"-g GROUP -n NAME --file FILE [-l LOCATION]",
	"Create a web service from a definition file (PUT), as New-AzMlWebService does.",
	"An existing web service is never replaced without --force.  GET never\n"
	"returns the storage account key, so an exported file lacks it: it\n"
	"comes from $AMLR_STORAGE_ACCOUNT_KEY, or is asked for on a terminal.",
	new_opts,
	NULL,
	0,
};

/* properties.storageAccount.key, from the environment or the terminal. */
static int storage_key(amlr_json *def, struct cli_ctx *ctx)
{
	amlr_json *sa = amlr_json_get(amlr_json_get(def, "properties"),
				      "storageAccount");
	const char *key = getenv("AMLR_STORAGE_ACCOUNT_KEY");
	char *typed = NULL;
	int rc = 0;

	if (!sa || amlr_json_get_str(sa, "key"))
		return 0;
	if ((!key || !*key) && isatty(STDIN_FILENO)) {
		typed = cli_read_secret("storage account key: ");
		key = typed;
	}
	if (!key || !*key)
		rc = cli_failf(
			ctx, AMLR_EINVAL,
			"the definition has no storageAccount.key (GET never returns it): set AMLR_STORAGE_ACCOUNT_KEY");
	else if (amlr_json_set_str(sa, "key", key) != AMLR_OK)
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
	amlr_secret_free(typed);
	return rc;
}

int cmd_webservice_new(int argc, char **argv, struct cli_ctx *ctx)
{
	amlr_definition_body_opts bo = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	struct change c;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = cli_parse(&c.args, ctx, &new_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&c.ref, ctx, &new_usage, &c.args)) != 0 ||
	    (rc = cli_ws_read_definition(&c.wanted, ctx,
					 cli_arg(&c.args, "file"))) != 0 ||
	    (rc = storage_key(c.wanted, ctx)) != 0)
		goto done;
	bo.api_version = c.ref.api_version;
	bo.location = cli_arg(&c.args, "location");
	bo.create = 1;
	if (amlr_definition_request_body(&c.body, &err, c.wanted, &bo) !=
	    AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (cli_has(&c.args, "dry-run")) {
		rc = dry_run(&c, ctx, "PUT");
		goto done;
	}
	if ((rc = cli_arm(&c.arm, ctx)) != 0)
		goto done;
	if (!cli_has(&c.args, "force")) {
		if (amlr_webservice_get(&c.current, c.arm, &c.ref, NULL) ==
		    AMLR_OK) {
			rc = cli_failf(
				ctx, AMLR_ECONFLICT,
				"web service '%s' exists; --force replaces it",
				c.ref.name);
			goto done;
		}
		if (amlr_client_error(ctx->client)->code != AMLR_ENOTFOUND) {
			rc = cli_fail(ctx, amlr_client_error(ctx->client));
			goto done;
		}
	}
	if (amlr_webservice_write(&c.result, c.arm, &c.ref, "PUT",
				  c.body.ptr) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
		goto done;
	}
	cli_progress_done(ctx);
	rc = cli_emit(ctx, c.result);
done:
	change_release(&c);
	return rc;
}
