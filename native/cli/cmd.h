/* SPDX-License-Identifier: MIT */
/*
 * Commands of amlretrain.
 *
 * Recipe for a new command (after git's builtin.h):
 *  1. write `int cmd_<noun>_<verb>(int argc, char **argv, struct cli_ctx *)`
 *     in native/cli/cmd_<noun>.c with a static `struct cli_opt` table and a
 *     `struct cli_usage`; parse with cli_parse(), return an amlr_code (the
 *     exit code); results go through out.h, errors through cli_fail();
 *  2. add a row to the noun's verb table (or a noun row in main.c);
 *  3. nothing in the Makefile: every .c file in native/cli is in the CLI;
 *  4. bats tests in tests/cli/: --help, a usage error (exit 2), each exit
 *     code the command can give;
 *  5. README (USAGE) and, when it fits, a PowerShell function.
 */
#ifndef CLI_CMD_H
#define CLI_CMD_H

#include "amlr/amlr.h"
#include "amlr/arm.h"
#include "amlr/webservice.h"

enum cli_output { CLI_OUT_JSON, CLI_OUT_TABLE, CLI_OUT_TSV };
enum cli_errfmt { CLI_ERR_TEXT, CLI_ERR_JSON };

struct cli_ctx {
	enum cli_output output;
	enum cli_errfmt errfmt;
	int verbose;
	int debug;
	const char *ca_bundle;
	amlr_client *client; /* made on first use by cli_client() */
	const char *cloud_arg; /* --cloud NAME|FILE (auth.h) */
	const char *token_file; /* --token-file FILE (auth.h) */
	struct cli_auth *auth; /* cloud and credential, made by auth.c */
	amlr_arm *arm; /* Resource Manager session, made by cli_arm() */
	int progress_shown; /* a progress line is on stderr (session.c) */
	/* set: cli_emit() hands its document here (a reference) instead of
	 * printing it, for commands run in-process by others (cli_run()) */
	amlr_json **capture;
	amlr_error last_error; /* the last failure cli_fail() reported */
};

typedef int (*cli_cmd_fn)(int argc, char **argv, struct cli_ctx *ctx);

/* Capability flags of a noun or verb. */
#define CMD_NEED_AUTH 1u /* credentials are resolved before it runs */

struct cmd_spec {
	const char *name; /* NULL ends a table */
	cli_cmd_fn fn;
	unsigned flags;
	const char *summary;
};

/*
 * Run the verb argv[1] of noun argv[0] from @p verbs; handles --help and
 * unknown verbs (exit 2).
 */
int cli_dispatch(struct cli_ctx *ctx, const char *path,
		 const struct cmd_spec *verbs, int argc, char **argv);

/*
 * Run the command argv[0] (a noun) in-process, as main() would: a plan
 * runs the very commands a user would type.  Set ctx->capture to take
 * the command's result instead of its printing.  Returns the exit code.
 */
int cli_run(struct cli_ctx *ctx, int argc, char **argv);

/*
 * HTTP options as the user set them: --ca-bundle, and from the
 * environment AMLR_HTTP_TIMEOUT (seconds per attempt), AMLR_HTTP_RETRIES
 * (retries after the first try; 0 is not allowed: at least 1) and
 * AMLR_HTTP_RETRY_DELAY_MS (the first backoff's ceiling).  For every
 * client the CLI makes, blob clients included.
 */
void cli_http_opts(const struct cli_ctx *ctx, amlr_client_opts *o);

/*
 * The --debug trace of every client (HTTP, blob, fleet): one stderr line
 * per line of @p text, marked "* " (info), "> " (sent) or "< " (received).
 */
void cli_trace(amlr_trace_kind kind, const char *text, size_t len,
	       void *payload);

/* The shared client, made on first use; NULL after printing an error. */
amlr_client *cli_client(struct cli_ctx *ctx);

/*
 * The Resource Manager session (credential from the environment, the
 * cloud's endpoint), made on first use.  Returns 0, or the exit code after
 * printing the error.
 */
int cli_arm(amlr_arm **out, struct cli_ctx *ctx);

/*
 * The web service the options -g/-n/--subscription/--api-version name,
 * with AZURE_SUBSCRIPTION_ID and AMLR_RESOURCE_GROUP as defaults.  The
 * strings are borrowed from argv and the environment.  Returns 0 or 2
 * after a usage error.
 */
struct cli_args;
struct cli_usage;
int cli_ws_ref(amlr_webservice_ref *ref, struct cli_ctx *ctx,
	       const struct cli_usage *usage, const struct cli_args *args);

/* Erase the progress line of a long-running operation, if one is shown. */
void cli_progress_done(struct cli_ctx *ctx);

/*
 * Read a secret typed on the terminal without echo (the prompt goes to
 * stderr).  Returns it (free with amlr_secret_free()), or NULL.
 */
char *cli_read_secret(const char *prompt);

/* Ask a yes/no question on the terminal; 1 for yes. */
int cli_confirm(const char *question);

int cmd_version(int argc, char **argv, struct cli_ctx *ctx);
int cmd_webservice(int argc, char **argv, struct cli_ctx *ctx);
int cmd_rest(int argc, char **argv, struct cli_ctx *ctx);
int cmd_blob(int argc, char **argv, struct cli_ctx *ctx);
int cmd_login(int argc, char **argv, struct cli_ctx *ctx);
int cmd_account(int argc, char **argv, struct cli_ctx *ctx);
int cmd_retrain(int argc, char **argv, struct cli_ctx *ctx);
int cmd_endpoint(int argc, char **argv, struct cli_ctx *ctx);
int cmd_job(int argc, char **argv, struct cli_ctx *ctx);
int cmd_fleet(int argc, char **argv, struct cli_ctx *ctx);
int cmd_score(int argc, char **argv, struct cli_ctx *ctx);

#endif
