/* SPDX-License-Identifier: MIT */
/* amlretrain webservice: the noun, and the verbs that read or remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "webservice_cli.h"

const char *const cli_ws_api_versions[] = { AMLR_WEBSERVICE_API_VERSION,
					    AMLR_WEBSERVICE_API_PREVIEW, NULL };

int cli_ws_ref(amlr_webservice_ref *ref, struct cli_ctx *ctx,
	       const struct cli_usage *usage, const struct cli_args *args)
{
	const char *rg = cli_arg(args, "resource-group");

	memset(ref, 0, sizeof(*ref));
	ref->subscription_id = cli_arg(args, "subscription");
	if (!ref->subscription_id)
		ref->subscription_id = getenv("AZURE_SUBSCRIPTION_ID");
	if (!ref->subscription_id || !*ref->subscription_id)
		return cli_usage_error(
			ctx, usage,
			"no subscription: use --subscription or set AZURE_SUBSCRIPTION_ID");
	ref->resource_group = rg ? rg : getenv("AMLR_RESOURCE_GROUP");
	ref->name = cli_arg(args, "name");
	ref->api_version = cli_arg(args, "api-version");
	if (ref->name && (!ref->resource_group || !*ref->resource_group))
		return cli_usage_error(
			ctx, usage,
			"no resource group: use --resource-group or set AMLR_RESOURCE_GROUP");
	return 0;
}

/* --- get ---------------------------------------------------------------- */

static const struct cli_opt get_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	{ "region", 0, CLI_OPT_VALUE, "REGION",
	  "the properties of this region (see add-region)", NULL, 0 },
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage get_usage = {
	"amlretrain webservice get",
	"-g GROUP -n NAME [options]",
	"Show a web service (without its keys: see 'keys').",
	NULL,
	get_opts,
	NULL,
	0,
};

static int cmd_webservice_get(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_webservice_ref ref;
	amlr_json *ws = NULL;
	amlr_arm *arm;
	int rc;

	if ((rc = cli_parse(&args, ctx, &get_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&ref, ctx, &get_usage, &args)) != 0)
		goto done;
	if ((rc = cli_arm(&arm, ctx)) != 0)
		goto done;
	if (amlr_webservice_get(&ws, arm, &ref, cli_arg(&args, "region")) !=
	    AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
		goto done;
	}
	rc = cli_emit(ctx, ws);
done:
	amlr_json_free(ws);
	cli_args_release(&args);
	return rc;
}

/* --- list --------------------------------------------------------------- */

static const struct cli_opt list_opts[] = {
	WS_OPT_SUBSCRIPTION,
	{ "resource-group", 'g', CLI_OPT_VALUE, "NAME",
	  "only this resource group (default: the whole subscription)", NULL,
	  0 },
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage list_usage = {
	"amlretrain webservice list",
	"[-g GROUP] [options]",
	"List the web services of a resource group or a subscription.",
	"Every page is followed.  Items are as sparse as the service makes\n"
	"them: use 'get' for a whole definition.",
	list_opts,
	NULL,
	0,
};

static int cmd_webservice_list(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_webservice_ref ref;
	amlr_json *list = NULL;
	amlr_arm *arm;
	int rc;

	if ((rc = cli_parse(&args, ctx, &list_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&ref, ctx, &list_usage, &args)) != 0)
		goto done;
	if ((rc = cli_arm(&arm, ctx)) != 0)
		goto done;
	/* Only an explicit -g narrows the list; the default group does not. */
	if (amlr_webservice_list(&list, arm, ref.subscription_id,
				 cli_arg(&args, "resource-group"),
				 ref.api_version) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
		goto done;
	}
	rc = cli_emit(ctx, list);
done:
	amlr_json_free(list);
	cli_args_release(&args);
	return rc;
}

/* --- keys --------------------------------------------------------------- */

static const struct cli_opt keys_opts[] = {
	WS_OPT_SUBSCRIPTION, WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,	     WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage keys_usage = {
	"amlretrain webservice keys",
	"-g GROUP -n NAME [options]",
	"Show the keys of a web service (its scoring endpoints' secrets).",
	"The keys are printed on stdout, which is what this command is for:\n"
	"mind where stdout goes.",
	keys_opts,
	NULL,
	0,
};

static int cmd_webservice_keys(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_webservice_ref ref;
	amlr_json *keys = NULL;
	amlr_arm *arm;
	int rc;

	if ((rc = cli_parse(&args, ctx, &keys_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&ref, ctx, &keys_usage, &args)) != 0)
		goto done;
	if ((rc = cli_arm(&arm, ctx)) != 0)
		goto done;
	if (amlr_webservice_keys(&keys, arm, &ref) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
		goto done;
	}
	rc = cli_emit(ctx, keys);
done:
	amlr_json_free(keys);
	cli_args_release(&args);
	return rc;
}

/* --- add-region --------------------------------------------------------- */

static const struct cli_opt region_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	{ "region", 0, CLI_OPT_VALUE, "REGION",
	  "the region to add, e.g. 'Southeast Asia'", NULL, CLI_OPT_REQUIRED },
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage region_usage = {
	"amlretrain webservice add-region",
	"-g GROUP -n NAME --region REGION",
	"Create the regional properties of a web service (CreateRegionalBlob).",
	"Waits for the operation, then shows the web service as 'get --region'\n"
	"does.",
	region_opts,
	NULL,
	0,
};

static int cmd_webservice_add_region(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_webservice_ref ref;
	amlr_json *ws = NULL;
	amlr_arm *arm;
	const char *region;
	int rc;

	if ((rc = cli_parse(&args, ctx, &region_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&ref, ctx, &region_usage, &args)) != 0)
		goto done;
	if ((rc = cli_arm(&arm, ctx)) != 0)
		goto done;
	region = cli_arg(&args, "region");
	if (amlr_webservice_add_region(arm, &ref, region) != AMLR_OK ||
	    amlr_webservice_get(&ws, arm, &ref, region) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
		goto done;
	}
	rc = cli_emit(ctx, ws);
done:
	amlr_json_free(ws);
	cli_args_release(&args);
	return rc;
}

/* --- remove ------------------------------------------------------------- */

static const struct cli_opt remove_opts[] = {
	WS_OPT_SUBSCRIPTION,
	WS_OPT_RESOURCE_GROUP,
	WS_OPT_NAME,
	{ "yes", 'y', CLI_OPT_FLAG, NULL,
	  "do not ask (required when stdin is not a terminal)", NULL, 0 },
	WS_OPT_API_VERSION,
	WS_OPT_END,
};

static const struct cli_usage remove_usage = {
	"amlretrain webservice remove",
	"-g GROUP -n NAME [--yes]",
	"Remove a web service, waiting until it is gone.",
	"Asks for confirmation on a terminal; elsewhere --yes is required.\n"
	"Removing a web service that does not exist succeeds, as the service\n"
	"says.",
	remove_opts,
	NULL,
	0,
};

static int cmd_webservice_remove(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	amlr_webservice_ref ref;
	amlr_arm *arm;
	char prompt[512];
	int rc;

	if ((rc = cli_parse(&args, ctx, &remove_usage, argc, argv)) != 0 ||
	    (rc = cli_ws_ref(&ref, ctx, &remove_usage, &args)) != 0)
		goto done;
	if (!cli_has(&args, "yes")) {
		if (!isatty(STDIN_FILENO)) {
			rc = cli_usage_error(
				ctx, &remove_usage,
				"refusing to remove '%s' without --yes: stdin is not a terminal",
				ref.name);
			goto done;
		}
		snprintf(prompt, sizeof(prompt),
			 "Remove web service '%s' of resource group '%s'?",
			 ref.name, ref.resource_group);
		if (!cli_confirm(prompt)) {
			rc = cli_failf(ctx, AMLR_EINVAL, "not removed");
			goto done;
		}
	}
	if ((rc = cli_arm(&arm, ctx)) != 0)
		goto done;
	if (amlr_webservice_remove(arm, &ref) != AMLR_OK)
		rc = cli_fail(ctx, amlr_client_error(ctx->client));
done:
	cli_args_release(&args);
	return rc;
}

/* --- the noun ----------------------------------------------------------- */

static const struct cmd_spec verbs[] = {
	{ "get", cmd_webservice_get, CMD_NEED_AUTH, "Show a web service" },
	{ "list", cmd_webservice_list, CMD_NEED_AUTH,
	  "List web services (every page)" },
	{ "keys", cmd_webservice_keys, CMD_NEED_AUTH,
	  "Show a web service's keys" },
	{ "add-region", cmd_webservice_add_region, CMD_NEED_AUTH,
	  "Create regional properties (CreateRegionalBlob)" },
	{ "export", cmd_webservice_export, CMD_NEED_AUTH,
	  "Write a web service's definition to a file" },
	{ "import", cmd_webservice_import, 0,
	  "Check and normalise a definition file (offline)" },
	{ "patch-model", cmd_webservice_patch_model, 0,
	  "Point a definition file at a new .ilearner (offline)" },
	{ "update", cmd_webservice_update, CMD_NEED_AUTH,
	  "Apply a definition file (PATCH), safely" },
	{ "new", cmd_webservice_new, CMD_NEED_AUTH,
	  "Create or replace a web service from a file (PUT)" },
	{ "set-model", cmd_webservice_set_model, CMD_NEED_AUTH,
	  "Swap in a new trained model: get, back up, patch, update, verify" },
	{ "rollback", cmd_webservice_rollback, CMD_NEED_AUTH,
	  "Re-apply a backup" },
	{ "remove", cmd_webservice_remove, CMD_NEED_AUTH,
	  "Remove a web service" },
	{ NULL, NULL, 0, NULL },
};

int cmd_webservice(int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_dispatch(ctx, "amlretrain webservice", verbs, argc, argv);
}
