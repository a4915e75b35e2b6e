/* SPDX-License-Identifier: MIT */
/* The Resource Manager session of a run, and its progress line. */
#include <stdio.h>
#include <unistd.h>

#include "auth.h"
#include "cmd.h"
#include "out.h"

/* "waiting for the operation: Provisioning (3.2 s)", on a terminal only. */
static int show_progress(const amlr_arm_progress *p, void *payload)
{
	struct cli_ctx *ctx = payload;

	fprintf(stderr,
		"\r\033[Kamlretrain: waiting for the operation: %s (%.1f s)",
		p->status, (double)p->elapsed_ms / 1000.0);
	fflush(stderr);
	ctx->progress_shown = 1;
	return 0;
}

void cli_progress_done(struct cli_ctx *ctx)
{
	if (!ctx->progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	ctx->progress_shown = 0;
}

int cli_arm(amlr_arm **out, struct cli_ctx *ctx)
{
	amlr_arm_opts opts = AMLR_ARM_OPTS_INIT;
	const amlr_cloud *cloud;
	amlr_credential *cred;
	amlr_client *client;
	int rc = 0;

	*out = ctx->arm;
	if (ctx->arm)
		return 0;
	if (!(cloud = cli_cloud(ctx)))
		return AMLR_EINVAL;
	if (!(cred = cli_credential(ctx, &rc)))
		return rc;
	if (!(client = cli_client(ctx)))
		return AMLR_EFAIL;
	opts.endpoint = cloud->arm_endpoint;
	opts.audience = cloud->arm_audience;
	if (amlr_arm_new(&ctx->arm, client, cred, &opts) != AMLR_OK)
		return cli_fail(ctx, amlr_client_error(client));
	if (isatty(STDERR_FILENO))
		amlr_arm_set_progress_cb(ctx->arm, show_progress, ctx);
	*out = ctx->arm;
	return 0;
}
