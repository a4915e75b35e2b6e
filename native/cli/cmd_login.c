/* SPDX-License-Identifier: MIT */
/* amlretrain login: get a token now (and cache it), show who signed in. */
#include <time.h>

#include "auth.h"
#include "cmd.h"
#include "opt.h"
#include "out.h"

static const struct cli_opt opts[] = {
	{ "resource", 0, CLI_OPT_VALUE, "URL",
	  "the token's resource (default: the cloud's Resource Manager)", NULL,
	  0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct cli_usage usage = {
	"amlretrain login",
	"[--resource URL] [options]",
	"Get a token with the configured credentials, cache it, and show whose it is.",
	"The credentials come from the environment, first found first\n"
	"(README, \"Credentials\"): --token-file or AMLR_ACCESS_TOKEN; a\n"
	"service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID with\n"
	"AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or\n"
	"AZURE_FEDERATED_TOKEN_FILE); a managed identity (IDENTITY_ENDPOINT\n"
	"and IDENTITY_HEADER, MSI_ENDPOINT, Azure Arc, IMDS); the Azure CLI's\n"
	"sign-in.  Tokens are cached (0600) under $XDG_CACHE_HOME/amlretrain or\n"
	"~/.cache/amlretrain and reused until five minutes before they expire,\n"
	"by this and every other command.  The token itself is never printed.\n"
	"Exit 3 when the credentials are missing or refused.",
	opts,
	NULL,
	0,
};

int cmd_login(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	const amlr_cloud *cloud;
	amlr_json *doc = NULL;
	const char *resource;
	char *token = NULL;
	time_t expires = 0;
	int rc;

	if ((rc = cli_parse(&args, ctx, &usage, argc, argv)) != 0)
		goto done;
	if (!(cloud = cli_cloud(ctx))) {
		rc = AMLR_EINVAL;
		goto done;
	}
	resource = cli_arg(&args, "resource");
	if (!resource)
		resource = cloud->arm_audience;
	if ((rc = cli_token(&token, &expires, ctx, resource)) != 0 ||
	    (rc = cli_identity_json(&doc, ctx, token, expires, resource)) != 0)
		goto done;
	rc = cli_emit(ctx, doc);
done:
	amlr_json_free(doc);
	amlr_secret_free(token);
	cli_args_release(&args);
	return rc;
}
