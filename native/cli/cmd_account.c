/* SPDX-License-Identifier: MIT */
/* amlretrain account show: the credentials, cloud and token in use. */
#include <time.h>

#include "auth.h"
#include "cmd.h"
#include "opt.h"
#include "out.h"

static const struct cli_opt show_opts[] = {
	{ "resource", 0, CLI_OPT_VALUE, "URL",
	  "the token's resource (default: the cloud's Resource Manager)", NULL,
	  0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct cli_usage show_usage = {
	"amlretrain account show",
	"[--resource URL] [options]",
	"Show which credentials, cloud and subscription commands use.",
	"Prints the source of the credentials, the identity in the token\n"
	"(tenantId, clientId, objectId), the subscription (AZURE_SUBSCRIPTION_ID),\n"
	"the cloud's endpoints, the token cache file and the token's expiry.\n"
	"A token valid for more than five minutes is taken from the cache\n"
	"without any network access (fromCache: true); otherwise one is\n"
	"acquired and cached, as 'amlretrain login' does.  The token itself\n"
	"is never printed.",
	show_opts,
	NULL,
	0,
};

static int cmd_account_show(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	const amlr_cloud *cloud;
	amlr_credential *cred;
	amlr_json *doc = NULL, *flag = NULL;
	const char *resource;
	char *token = NULL;
	time_t expires = 0;
	int rc, cached;

	if ((rc = cli_parse(&args, ctx, &show_usage, argc, argv)) != 0)
		goto done;
	if (!(cloud = cli_cloud(ctx))) {
		rc = AMLR_EINVAL;
		goto done;
	}
	if (!(cred = cli_credential(ctx, &rc)))
		goto done;
	resource = cli_arg(&args, "resource");
	if (!resource)
		resource = cloud->arm_audience;
	cached = amlr_credential_cached_token(&token, &expires, cred,
					      resource) == AMLR_OK;
	if (!cached && (rc = cli_token(&token, &expires, ctx, resource)) != 0)
		goto done;
	if ((rc = cli_identity_json(&doc, ctx, token, expires, resource)) != 0)
		goto done;
	if (amlr_json_set_str(doc, "authorityHost", cloud->authority_host) !=
		    AMLR_OK ||
	    amlr_json_set_str(doc, "resourceManager", cloud->arm_endpoint) !=
		    AMLR_OK ||
	    amlr_json_set_str(doc, "tokenCache", cli_token_cache_path(ctx)) !=
		    AMLR_OK ||
	    amlr_json_new_bool(&flag, cached) != AMLR_OK ||
	    amlr_json_set(doc, "fromCache", flag) != AMLR_OK) { /* steals */
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, doc);
done:
	amlr_json_free(doc);
	amlr_secret_free(token);
	cli_args_release(&args);
	return rc;
}

static const struct cmd_spec verbs[] = {
	{ "show", cmd_account_show, 0,
	  "Show the credentials, cloud, subscription and token expiry" },
	{ NULL, NULL, 0, NULL },
};

int cmd_account(int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_dispatch(ctx, "amlretrain account", verbs, argc, argv);
}
