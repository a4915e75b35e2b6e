/* SPDX-License-Identifier: MIT */
/* Shared pieces of the amlretrain endpoint verbs (classic endpoints). */
#ifndef CLI_ENDPOINT_CLI_H
#define CLI_ENDPOINT_CLI_H

#include "amlr/classic.h"
#include "cmd.h"
#include "opt.h"

/* The option rows that say where the endpoint is and who we are. */
#define EP_OPT_WORKSPACE                                                      \
	{                                                                     \
		"workspace", 'w', CLI_OPT_VALUE, "ID",                        \
			"workspace id (default: $AMLR_WORKSPACE_ID)", NULL, 0 \
	}
#define EP_OPT_WEBSERVICE                                                      \
	{                                                                      \
		"webservice", 's', CLI_OPT_VALUE, "ID",                        \
			"web service id (default: $AMLR_WEBSERVICE_ID)", NULL, \
			0                                                      \
	}
#define EP_OPT_NAME                                                        \
	{                                                                  \
		"name", 'n', CLI_OPT_VALUE, "NAME", "endpoint name", NULL, \
			CLI_OPT_REQUIRED                                   \
	}
#define EP_OPT_SERVICE                                                                                 \
	{ "management-endpoint",                                                                       \
	  0,                                                                                           \
	  CLI_OPT_VALUE,                                                                               \
	  "URL",                                                                                       \
	  "management API base URL (default: by --location if given, else $AMLR_MANAGEMENT_ENDPOINT)", \
	  NULL,                                                                                        \
	  0 },                                                                                         \
		{ "location",                                                                          \
		  0,                                                                                   \
		  CLI_OPT_VALUE,                                                                       \
		  "NAME",                                                                              \
		  "the workspace's region, as azuremlps names it (default: South Central US)",         \
		  NULL,                                                                                \
		  0 },                                                                                 \
	{                                                                                              \
		"endpoint-key-file", 0, CLI_OPT_VALUE, "FILE",                                         \
			"authenticate with an endpoint's API key read from FILE ('-': stdin)",         \
			NULL, 0                                                                        \
	}
#define EP_OPT_END                              \
	{                                       \
		NULL, 0, 0, NULL, NULL, NULL, 0 \
	}

/* What ep_open() must find in the options. */
#define EP_NEED_WEBSERVICE 1u
#define EP_NEED_NAME 2u

/* A command's session: ids borrowed from argv and the environment. */
struct ep_session {
	amlr_classic *classic;
	const char *workspace;
	const char *webservice;
	const char *name;
};

/*
 * Check the ids the options name (usage errors, exit 2, before anything
 * else), then read the credential (exit 3 when there is none) and start
 * the session.  Returns 0, or the exit code after printing the error.
 */
int ep_open(struct ep_session *s, struct cli_ctx *ctx,
	    const struct cli_usage *usage, const struct cli_args *args,
	    unsigned need);

/* Check the ids only (no credential, no session); 0 or exit 2. */
int ep_check_ids(struct ep_session *s, struct cli_ctx *ctx,
		 const struct cli_usage *usage, const struct cli_args *args,
		 unsigned need);

/* Start the session of ids already checked by ep_check_ids(). */
int ep_connect(struct ep_session *s, struct cli_ctx *ctx,
	       const struct cli_args *args);

void ep_close(struct ep_session *s);

/* Report the last failure of the session's client. */
int ep_fail(struct cli_ctx *ctx);

/*
 * The first line of FILE ('-': stdin), blanks trimmed, for secrets (free
 * with amlr_secret_free()).  @p what names it in messages.  Returns 0 or
 * the exit code after the error.
 */
int ep_read_secret_file(char **out, struct cli_ctx *ctx, const char *path,
			const char *what);

/* A line for people on stderr. */
void ep_note(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Emit an endpoint (or an array of them): JSON without the SAS tokens of
 * its resources (and without its keys unless @p show_keys), or the table
 * of Name, ThrottleLevel, MaxConcurrentCalls, Resource and its location.
 * Changes @p doc.  Returns 0 or the exit code.
 */
int ep_emit(struct cli_ctx *ctx, amlr_json *doc, int show_keys);

/*
 * The resource of @p ep whose model to change: @p wanted, else the one
 * whose name ends in "[trained model]"; exit 2 listing the candidates
 * when there is none or several.  *out is borrowed from @p ep.
 */
int ep_find_resource(const amlr_json **out, struct cli_ctx *ctx,
		     const amlr_json *ep, const char *wanted);

/* BaseLocation + RelativeLocation of a resource (no SAS), or NULL. */
char *ep_resource_location(const amlr_json *res);

int cmd_endpoint_set_model(int argc, char **argv, struct cli_ctx *ctx);
int cmd_endpoint_rollback(int argc, char **argv, struct cli_ctx *ctx);

#endif
