/* SPDX-License-Identifier: MIT */
/* amlretrain webservice export|import|patch-model: definition files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "out.h"
#include "webservice_cli.h"

#define DEFINITION_MAX ((size_t)256 << 20)

int cli_ws_read_definition(amlr_json **out, struct cli_ctx *ctx,
			   const char *path)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	int rc = 0;

	*out = NULL;
	if (amlr_file_read(&text, &err, path, DEFINITION_MAX) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (amlr_definition_import(out, &err, text.ptr ? text.ptr : "",
				   text.len) != AMLR_OK) {
		rc = cli_failf(ctx, err.code, "%s: %s", path, err.message);
		goto done;
	}
done:
	amlr_buf_release_secret(&text);
	return rc;
}

int cli_write_output(struct cli_ctx *ctx, const char *path, const char *text,
		     size_t len, int secret, int force)
{
	amlr_error err = AMLR_ERROR_INIT;
	struct stat st;
	mode_t mask;

	if (strcmp(path, "-") == 0)
		return cli_emit_raw(ctx, text, len);
	if (!force && lstat(path, &st) == 0)
		return cli_failf(ctx, AMLR_EINVAL,
				 "'%s' exists; use --force to replace it",
				 path);
	mask = umask(0);
	umask(mask);
	if (amlr_file_write_atomic(&err, path, text, len,
				   secret ? 0600 : 0666 & ~mask) != AMLR_OK)
		return cli_fail(ctx, &err);
	return 0;
}

/* --- export ------------------------------------------------------------- */

static const struct cli_opt export_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	{ "out", 0, CLI_OPT_VALUE, "FILE",
	  "where to write the definition ('-': stdout)", NULL,
	  CLI_OPT_REQUIRED },
	{ "force", 'f', CLI_OPT_FLAG, NULL, "replace an existing file", NULL,
	  0 },
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage export_usage = {
	"amlretrain webservice export",
	"-g GROUP -n NAME --out FILE",
	"Write a web service's definition to a file, as Export-AzMlWebService does.",
	"The layout is the Az module's: read-only fields left out, its key\n"
	"order, 2-space indentation, LF, UTF-8 without BOM.  The file is\n"
	"written atomically and an existing one is kept unless --force.",
	export_opts,
	NULL,
	0,
};

int cmd_webservice_export(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_webservice_ref ref;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *ws = NULL;
	amlr_arm *arm;
	int rc;

	if ((rc = cli_parse(&args, ctx, &export_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&ref, ctx, &export_usage, &args)) != 0 ||
	    (rc = cli_arm(&arm, ctx)) != 0)
		goto done;
	if (amlr_webservice_get(&ws, arm, &ref, NULL) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
		goto done;
	}
	if (amlr_definition_export(&text, &err, ws) != AMLR_OK) {
		/* A reply we cannot lay out is the service's fault. */
		rc = cli_failf(ctx, AMLR_ESERVER,
			       "the web service's definition: %s", err.message);
		goto done;
	}
	rc = cli_write_output(ctx, cli_arg(&args, "out"), text.ptr, text.len,
			      amlr_definition_has_secrets(ws),
			      cli_has(&args, "force"));
done:
	amlr_buf_release_secret(&text);
	amlr_json_free(ws);
	cli_args_release(&args);
	return rc;
}

/* --- import ------------------------------------------------------------- */

static const struct cli_opt import_opts[] = {
	{ "file", 'f', CLI_OPT_VALUE, "FILE",
	  "the definition file ('-': stdin)", NULL, CLI_OPT_REQUIRED },
	WS_OPT_END,
};

static const struct cli_usage import_usage = {
	"amlretrain webservice import",
	"--file FILE",
	"Check a definition file and print it normalised (offline).",
	"Accepts what Import-AzMlWebService reads: any key casing, a UTF-8 BOM,\n"
	"CRLF, unknown fields, and both api-versions' parameter shapes.  Errors\n"
	"name the JSON path.  Nothing is sent anywhere.",
	import_opts,
	NULL,
	0,
};

int cmd_webservice_import(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_json *def = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, &import_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_read_definition(&def, ctx, cli_arg(&args, "file"))) !=
		    0)
		goto done;
	rc = cli_emit(ctx, def);
done:
	amlr_json_free(def);
	cli_args_release(&args);
	return rc;
}

/* --- patch-model -------------------------------------------------------- */

static const struct cli_opt patch_opts[] = {
	{ "file", 'f', CLI_OPT_VALUE, "FILE",
	  "the definition file ('-': stdin)", NULL, CLI_OPT_REQUIRED },
	CLI_MODEL_OPTS,
	{ "asset", 0, CLI_OPT_VALUE, "ID|NAME",
	  "the asset to change (default: the one '[trained model]')", NULL, 0 },
	{ "out", 0, CLI_OPT_VALUE, "FILE",
	  "where to write the result (default: stdout)", NULL, 0 },
	{ "force", 0, CLI_OPT_FLAG, NULL, "replace an existing --out file",
	  NULL, 0 },
	WS_OPT_END,
};

static const struct cli_usage patch_usage = {
	"amlretrain webservice patch-model",
	"--file FILE (--model-uri URI | --from-job FILE) [--out FILE]",
	"Point a definition file's trained model at a new .ilearner (offline).",
	"Only that asset's locationInfo.uri changes; everything else stays as\n"
	"it was.  Without --asset the asset is the one Resource whose name\n"
	"ends in '[trained model]'; none or several is an error listing the\n"
	"candidates.  The URI is written without its SAS, as the service\n"
	"expects: it reads the model with its own storage account key.",
	patch_opts,
	NULL,
	0,
};

int cmd_webservice_patch_model(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct cli_model model = CLI_MODEL_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *def = NULL;
	const char *asset = NULL, *out;
	int rc;

	if ((rc = cli_parse(&args, ctx, &patch_usage, argc, argv)) != 0 ||
	    (rc = cli_model_from_args(&model, ctx, &patch_usage, &args)) != 0 ||
	    (rc = cli_ws_read_definition(&def, ctx, cli_arg(&args, "file"))) !=
		    0)
		goto done;
	if (amlr_definition_find_model(&asset, &err, def,
				       cli_arg(&args, "asset")) != AMLR_OK ||
	    amlr_definition_set_model_uri(def, &err, asset, model.uri) !=
		    AMLR_OK ||
	    amlr_definition_export(&text, &err, def) != AMLR_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	out = cli_arg(&args, "out");
	rc = cli_write_output(ctx, out ? out : "-", text.ptr, text.len,
			      amlr_definition_has_secrets(def),
			      cli_has(&args, "force"));
done:
	cli_model_release(&model);
	amlr_buf_release_secret(&text);
	amlr_json_free(def);
	cli_args_release(&args);
	return rc;
}
