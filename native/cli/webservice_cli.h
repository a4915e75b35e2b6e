/* SPDX-License-Identifier: MIT */
/* What the files of `amlretrain webservice` share. */
#ifndef CLI_WEBSERVICE_CLI_H
#define CLI_WEBSERVICE_CLI_H

#include "amlr/definition.h"
#include "amlr/webservice.h"
#include "cmd.h"
#include "opt.h"

extern const char *const cli_ws_api_versions[];

/* Option rows every verb naming one web service has. */
#define WS_OPT_SUBSCRIPTION                                               \
	{                                                                 \
		"subscription", 0, CLI_OPT_VALUE, "ID",                   \
			"subscription (default: $AZURE_SUBSCRIPTION_ID)", \
			NULL, 0                                           \
	}
#define WS_OPT_RESOURCE_GROUP                                             \
	{                                                                 \
		"resource-group", 'g', CLI_OPT_VALUE, "NAME",             \
			"resource group (default: $AMLR_RESOURCE_GROUP)", \
			NULL, 0                                           \
	}
#define WS_OPT_NAME                                                           \
	{                                                                     \
		"name", 'n', CLI_OPT_VALUE, "NAME", "web service name", NULL, \
			CLI_OPT_REQUIRED                                      \
	}
#define WS_OPT_API_VERSION                                            \
	{                                                             \
		"api-version", 0, CLI_OPT_VALUE, "VERSION",           \
			"2017-01-01 (default) or 2016-05-01-preview", \
			cli_ws_api_versions, 0                        \
	}
#define WS_OPT_END                              \
	{                                       \
		NULL, 0, 0, NULL, NULL, NULL, 0 \
	}

/* Offline verbs (cmd_webservice_file.c). */
int cmd_webservice_export(int argc, char **argv, struct cli_ctx *ctx);
int cmd_webservice_import(int argc, char **argv, struct cli_ctx *ctx);
int cmd_webservice_patch_model(int argc, char **argv, struct cli_ctx *ctx);

/* Verbs that change a web service (cmd_webservice_update.c). */
int cmd_webservice_update(int argc, char **argv, struct cli_ctx *ctx);
int cmd_webservice_new(int argc, char **argv, struct cli_ctx *ctx);
int cmd_webservice_set_model(int argc, char **argv, struct cli_ctx *ctx);
int cmd_webservice_rollback(int argc, char **argv, struct cli_ctx *ctx);

/*
 * Read and import a definition file ("-": stdin).  Returns 0, or the exit
 * code after printing the error (2 for a bad file, 9 when unreadable).
 */
int cli_ws_read_definition(amlr_json **out, struct cli_ctx *ctx,
			   const char *path);

/*
 * Write text to @p path atomically (mode 0600 when @p secret, else
 * 0666 & ~umask), or to stdout for "-".  Refuses an existing file unless
 * @p force.  Returns 0 or the exit code after printing the error.
 */
int cli_write_output(struct cli_ctx *ctx, const char *path, const char *text,
		     size_t len, int secret, int force);

#endif
