/* SPDX-License-Identifier: MIT */
/* amlretrain version: this build and the libraries it runs with. */
#include "cmd.h"
#include "opt.h"
#include "out.h"

static const struct cli_opt opts[] = {
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct cli_usage usage = {
	"amlretrain version",
	"[options]",
	"Show the versions of amlretrain and of the libraries it uses.",
	NULL,
	opts,
	NULL,
	0,
};

int cmd_version(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	const amlr_dep_version *d;
	amlr_json *doc = NULL;
	int rc, ok;

	if ((rc = cli_parse(&args, ctx, &usage, argc, argv)) != 0)
		goto done;
	ok = amlr_json_new_object(&doc) == AMLR_OK &&
	     amlr_json_set_str(doc, "amlretrain", amlr_version()) == AMLR_OK;
	for (d = amlr_dep_versions(); ok && d->name; d++)
		ok = amlr_json_set_str(doc, d->name, d->version) == AMLR_OK;
	if (!ok || amlr_json_set_str(doc, "libmicrohttpd", AMLR_MHD_VERSION) !=
			   AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_emit(ctx, doc);
done:
	amlr_json_free(doc);
	cli_args_release(&args);
	return rc;
}
