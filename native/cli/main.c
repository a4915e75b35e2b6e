/* SPDX-License-Identifier: MIT */
/* amlretrain: global options and the noun table. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cmd.h"
#include "opt.h"
#include "out.h"

static const struct cmd_spec nouns[] = {
	{ "login", cmd_login, 0,
	  "Get a Resource Manager token now and cache it; show who signed in" },
	{ "account", cmd_account, 0,
	  "Show the credentials, cloud and subscription in use" },
	{ "blob", cmd_blob, 0,
	  "Upload, download, list and share blobs in Azure Storage" },
	{ "endpoint", cmd_endpoint, 0,
	  "Manage classic web services' endpoints; swap in a new model" },
	{ "fleet", cmd_fleet, 0,
	  "Retrain and swap the models of many classic endpoints at once" },
	{ "job", cmd_job, 0,
	  "Run batch (BES) jobs: submit, start, status, wait, cancel, run" },
	{ "retrain", cmd_retrain, 0,
	  "Retrain and promote a model as a plan says, behind a gate" },
	{ "rest", cmd_rest, 0,
	  "Send one HTTP request through amlretrain's client" },
	{ "score", cmd_score, 0,
	  "Score CSV or JSON rows with a web service (request-response)" },
	{ "version", cmd_version, 0, "Show version and library versions" },
	{ "webservice", cmd_webservice, 0,
	  "Manage Resource Manager web services; swap in a new model" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_usage main_usage = {
	"amlretrain",
	"[global options] <command> [<verb>] [options]",
	"Retrain Azure Machine Learning Studio web services and swap the new model in safely.",
	"Results are JSON on stdout; messages go to stderr.  The exit code\n"
	"tells what happened (README, EXIT CODES).  Run 'amlretrain <command>\n"
	"--help' for the options of a command.",
	NULL,
	NULL,
	0,
};

static void print_commands(FILE *f, const struct cmd_spec *t)
{
	fprintf(f, "\nCommands:\n");
	for (; t->name; t++)
		fprintf(f, "  %-12s  %s\n", t->name, t->summary);
}

void cli_trace(amlr_trace_kind kind, const char *text, size_t len,
	       void *payload)
{
	static const char *const prefix[] = { "* ", "> ", "< ", "> ", "< " };
	size_t i = 0, j;

	(void)payload;
	while (i < len) {
		for (j = i; j < len && text[j] != '\n'; j++)
			;
		if (j > i && !(j - i == 1 && text[i] == '\r'))
			fprintf(stderr, "%s%.*s\n", prefix[kind],
				(int)(j - i - (text[j - 1] == '\r')), text + i);
		i = j + 1;
	}
}

/* A positive whole number from the environment, or @p dflt. */
static long env_long(const char *name, long dflt, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end || n < 1 || n > max ? dflt : n;
}

void cli_http_opts(const struct cli_ctx *ctx, amlr_client_opts *o)
{
	o->ca_bundle = ctx->ca_bundle;
	o->timeout_ms =
		env_long("AMLR_HTTP_TIMEOUT", o->timeout_ms / 1000, 86400) *
		1000;
	o->retry.max_attempts =
		(unsigned)env_long("AMLR_HTTP_RETRIES",
				   (long)o->retry.max_attempts - 1, 20) +
		1;
	o->retry.base_delay_ms =
		(unsigned)env_long("AMLR_HTTP_RETRY_DELAY_MS",
				   (long)o->retry.base_delay_ms, 600000);
}

amlr_client *cli_client(struct cli_ctx *ctx)
{
	amlr_client_opts opts = AMLR_CLIENT_OPTS_INIT;

	if (ctx->client)
		return ctx->client;
	cli_http_opts(ctx, &opts);
	if (amlr_client_new(&ctx->client, &opts) != AMLR_OK) {
		cli_failf(ctx, AMLR_EFAIL, "cannot set up the HTTP client");
		return NULL;
	}
	if (ctx->debug)
		amlr_client_set_trace_cb(ctx->client, cli_trace, NULL);
	return ctx->client;
}

int cli_dispatch(struct cli_ctx *ctx, const char *path,
		 const struct cmd_spec *verbs, int argc, char **argv)
{
	const struct cli_usage u = {
		path, "<verb> [options]", "", NULL, NULL, NULL, 0
	};
	const struct cmd_spec *v;

	if (argc < 2)
		return cli_usage_error(ctx, &u, "missing verb");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: %s <verb> [options]\n", path);
		print_commands(stdout, verbs);
		return 0;
	}
	for (v = verbs; v->name; v++)
		if (strcmp(v->name, argv[1]) == 0)
			return v->fn(argc - 1, argv + 1, ctx);
	return cli_usage_error(ctx, &u, "unknown verb '%s'", argv[1]);
}

int cli_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cmd_spec *n;

	for (n = nouns; n->name; n++)
		if (strcmp(n->name, argv[0]) == 0)
			return n->fn(argc, argv, ctx);
	return cli_failf(ctx, AMLR_EFAIL, "no command '%s'", argv[0]);
}

static void print_version(void)
{
	const amlr_dep_version *d;

	printf("amlretrain %s\n", amlr_version());
	for (d = amlr_dep_versions(); d->name; d++)
		printf("%s %s\n", d->name, d->version);
	printf("libmicrohttpd %s (amlretrain-emulator)\n", AMLR_MHD_VERSION);
}

/* Global options before the command word; returns the command's index,
 * 0 when the run is over (*rc set). */
static int parse_globals(struct cli_ctx *ctx, int argc, char **argv, int *rc)
{
	const struct cli_opt *o;
	const char *word, *value;
	size_t len;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		word = argv[i];
		if (strcmp(word, "--version") == 0) {
			print_version();
			*rc = 0;
			return 0;
		}
		if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
			cli_print_help(&main_usage);
			print_commands(stdout, nouns);
			*rc = 0;
			return 0;
		}
		len = strcspn(word + 2, "=");
		for (o = cli_global_opts; o->name; o++)
			if (word[1] == '-' ? strlen(o->name) == len &&
						     strncmp(o->name, word + 2,
							     len) == 0
					   : o->alias && o->alias == word[1] &&
						     !word[2])
				break;
		if (!o->name) {
			*rc = cli_usage_error(ctx, &main_usage,
					      "unknown option '%s'", word);
			return 0;
		}
		value = NULL;
		if (o->type == CLI_OPT_VALUE) {
			if (word[1] == '-' && word[2 + len] == '=')
				value = word + 3 + len;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				*rc = cli_usage_error(
					ctx, &main_usage,
					"option '--%s' needs a value", o->name);
				return 0;
			}
		}
		if (value && o->choices) {
			const char *const *c;

			for (c = o->choices; *c && strcmp(*c, value); c++)
				;
			if (!*c) {
				*rc = cli_usage_error(
					ctx, &main_usage,
					"invalid value '%s' for '--%s'", value,
					o->name);
				return 0;
			}
		}
		cli_apply_global(ctx, o, value);
	}
	if (i >= argc) {
		*rc = cli_usage_error(ctx, &main_usage, "missing command");
		return 0;
	}
	return i;
}

int main(int argc, char **argv)
{
	/* designated: fields added to cli_ctx start zeroed */
	struct cli_ctx ctx = { .output = CLI_OUT_JSON, .errfmt = CLI_ERR_TEXT };
	const struct cmd_spec *n;
	int i, rc = 0;

	/* A closed pipe must be an error we report (exit 9), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* AMLR_CA_BUNDLE is the default of --ca-bundle. */
	ctx.ca_bundle = getenv("AMLR_CA_BUNDLE");
	if (ctx.ca_bundle && !*ctx.ca_bundle)
		ctx.ca_bundle = NULL;
	if (amlr_global_init() != AMLR_OK)
		return cli_failf(&ctx, AMLR_EFAIL, "cannot initialise libcurl");
	if (!(i = parse_globals(&ctx, argc, argv, &rc)))
		goto done;
	for (n = nouns; n->name; n++)
		if (strcmp(n->name, argv[i]) == 0)
			break;
	if (!n->name) {
		rc = cli_usage_error(&ctx, &main_usage, "unknown command '%s'",
				     argv[i]);
		goto done;
	}
	rc = n->fn(argc - i, argv + i, &ctx);
	if (rc < 0) /* --help was printed */
		rc = 0;
done:
	rc = cli_finish(&ctx, rc);
	amlr_arm_free(ctx.arm);
	cli_auth_release(&ctx);
	amlr_client_free(ctx.client);
	amlr_global_cleanup();
	return rc;
}
