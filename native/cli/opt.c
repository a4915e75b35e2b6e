/* SPDX-License-Identifier: MIT */
/* Parsing command lines against option tables, and printing help. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "out.h"

static const char *const output_choices[] = { "json", "table", "tsv", NULL };
static const char *const errfmt_choices[] = { "text", "json", NULL };

const struct cli_opt cli_global_opts[] = {
	{ "output", 'o', CLI_OPT_VALUE, "FORMAT",
	  "result format: json (default), table or tsv", output_choices, 0 },
	{ "error-format", 0, CLI_OPT_VALUE, "FORMAT",
	  "error format on stderr: text (default) or json", errfmt_choices, 0 },
	{ "ca-bundle", 0, CLI_OPT_VALUE, "FILE",
	  "trust the CA certificates in FILE instead of the system's", NULL,
	  0 },
	{ "cloud", 0, CLI_OPT_VALUE, "NAME|FILE",
	  "AzureCloud (default), AzureChinaCloud, AzureUSGovernment or a profile",
	  NULL, 0 },
	{ "token-file", 0, CLI_OPT_VALUE, "FILE",
	  "use the access token in FILE (first line) as the credential", NULL,
	  0 },
	{ "verbose", 'v', CLI_OPT_FLAG, NULL,
	  "more detail on stderr (request ids of failures)", NULL, 0 },
	{ "debug", 0, CLI_OPT_FLAG, NULL,
	  "trace HTTP on stderr, secrets redacted", NULL, 0 },
	{ "help", 'h', CLI_OPT_FLAG, NULL, "show this help and exit", NULL, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static size_t table_len(const struct cli_opt *t)
{
	size_t n = 0;

	while (t && t[n].name)
		n++;
	return n;
}

static int is_choice(const struct cli_opt *opt, const char *value)
{
	const char *const *c;

	if (!opt->choices)
		return 1;
	for (c = opt->choices; *c; c++)
		if (strcmp(*c, value) == 0)
			return 1;
	return 0;
}

int cli_apply_global(struct cli_ctx *ctx, const struct cli_opt *opt,
		     const char *value)
{
	if (strcmp(opt->name, "output") == 0)
		ctx->output = strcmp(value, "table") == 0 ? CLI_OUT_TABLE
			      : strcmp(value, "tsv") == 0 ? CLI_OUT_TSV
							  : CLI_OUT_JSON;
	else if (strcmp(opt->name, "error-format") == 0)
		ctx->errfmt = strcmp(value, "json") == 0 ? CLI_ERR_JSON
							 : CLI_ERR_TEXT;
	else if (strcmp(opt->name, "ca-bundle") == 0)
		ctx->ca_bundle = value;
	else if (strcmp(opt->name, "cloud") == 0)
		ctx->cloud_arg = value;
	else if (strcmp(opt->name, "token-file") == 0)
		ctx->token_file = value;
	else if (strcmp(opt->name, "verbose") == 0)
		ctx->verbose = 1;
	else if (strcmp(opt->name, "debug") == 0)
		ctx->debug = 1;
	return 0;
}

/* Find an option by long name (len bytes) or short letter. */
static const struct cli_opt *find(const struct cli_opt *t, const char *name,
				  size_t len, char alias)
{
	for (; t && t->name; t++) {
		if (alias ? t->alias == alias
			  : strlen(t->name) == len &&
				    strncmp(t->name, name, len) == 0)
			return t;
	}
	return NULL;
}

static void print_opts(FILE *f, const struct cli_opt *t)
{
	char left[64];

	for (; t && t->name; t++) {
		if (t->alias)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", t->alias,
				 t->name, t->value_name ? " " : "",
				 t->value_name ? t->value_name : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", t->name,
				 t->value_name ? " " : "",
				 t->value_name ? t->value_name : "");
		if (strlen(left) > 26)
			fprintf(f, "  %s\n  %-26s  %s\n", left, "", t->help);
		else
			fprintf(f, "  %-26s  %s\n", left, t->help);
	}
}

void cli_print_help(const struct cli_usage *u)
{
	printf("usage: %s %s\n\n%s\n", u->path, u->synopsis, u->summary);
	if (u->description)
		printf("\n%s\n", u->description);
	if (table_len(u->opts)) {
		printf("\nOptions:\n");
		print_opts(stdout, u->opts);
	}
	printf("\nGlobal options:\n");
	print_opts(stdout, cli_global_opts);
}

int cli_usage_error(struct cli_ctx *ctx, const struct cli_usage *usage,
		    const char *fmt, ...)
{
	amlr_error err = AMLR_ERROR_INIT;
	char msg[AMLR_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	amlr_error_set(&err, AMLR_EINVAL, "%s", msg);
	return cli_fail_usage(ctx, &err, usage);
}

static int grow(struct cli_args *a, size_t n)
{
	a->values = calloc(n ? n : 1, sizeof(*a->values));
	a->count = calloc(n ? n : 1, sizeof(*a->count));
	a->lists = calloc(n ? n : 1, sizeof(*a->lists));
	return a->values && a->count && a->lists ? 0 : -1;
}

static int add_value(struct cli_args *a, size_t i, const char *value)
{
	const char **l;
	int n = a->count[i];

	a->values[i] = value;
	a->count[i]++;
	if (!(a->spec[i].flags & CLI_OPT_REPEAT))
		return 0;
	if (!(l = realloc(a->lists[i], (size_t)(n + 2) * sizeof(*l))))
		return -1;
	l[n] = value;
	l[n + 1] = NULL;
	a->lists[i] = l;
	return 0;
}

/* Handle one option word; returns the argv index consumed up to, or a
 * negative usage result (-2 usage error already reported, -3 help). */
static int one_option(struct cli_args *a, struct cli_ctx *ctx,
		      const struct cli_usage *u, int argc, char **argv, int i)
{
	const char *word = argv[i], *name, *value = NULL, *eq;
	const struct cli_opt *opt;
	size_t len;
	int global = 0;

	if (word[1] == '-') {
		name = word + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if (eq)
			value = eq + 1;
		opt = find(u->opts, name, len, 0);
		if (!opt && (opt = find(cli_global_opts, name, len, 0)))
			global = 1;
	} else {
		name = word + 1;
		len = 1;
		opt = find(u->opts, NULL, 0, word[1]);
		if (!opt && (opt = find(cli_global_opts, NULL, 0, word[1])))
			global = 1;
		if (opt && word[2])
			value = word + 2;
	}
	if (!opt) {
		cli_usage_error(ctx, u, "unknown option '%s'", word);
		return -2;
	}
	if (opt->type == CLI_OPT_FLAG && value) {
		cli_usage_error(ctx, u, "option '--%s' takes no value",
				opt->name);
		return -2;
	}
	if (opt->type == CLI_OPT_VALUE && !value) {
		if (i + 1 >= argc) {
			cli_usage_error(ctx, u, "option '--%s' needs a value",
					opt->name);
			return -2;
		}
		value = argv[++i];
	}
	if (value && !is_choice(opt, value)) {
		cli_usage_error(ctx, u, "invalid value '%s' for '--%s'", value,
				opt->name);
		return -2;
	}
	if (global) {
		if (strcmp(opt->name, "help") == 0)
			return -3;
		cli_apply_global(ctx, opt, value);
		return i + 1;
	}
	if (a->count[opt - a->spec] && !(opt->flags & CLI_OPT_REPEAT) &&
	    opt->type == CLI_OPT_VALUE) {
		cli_usage_error(ctx, u, "option '--%s' given twice", opt->name);
		return -2;
	}
	if (add_value(a, (size_t)(opt - a->spec), value ? value : "") != 0) {
		cli_usage_error(ctx, u, "out of memory");
		return -2;
	}
	return i + 1;
}

int cli_parse(struct cli_args *a, struct cli_ctx *ctx,
	      const struct cli_usage *u, int argc, char **argv)
{
	size_t n = table_len(u->opts), k;
	int i, next, only_positional = 0;

	memset(a, 0, sizeof(*a));
	a->spec = u->opts;
	if (grow(a, n) != 0 ||
	    !(a->positional = calloc((size_t)argc + 1, sizeof(char *))))
		return cli_usage_error(ctx, u, "out of memory");
	for (i = 1; i < argc;) {
		if (!only_positional && strcmp(argv[i], "--") == 0) {
			only_positional = 1;
			i++;
			continue;
		}
		if (only_positional || argv[i][0] != '-' ||
		    argv[i][1] == '\0') {
			a->positional[a->npositional++] = argv[i++];
			continue;
		}
		next = one_option(a, ctx, u, argc, argv, i);
		if (next == -3) {
			cli_print_help(u);
			return -1;
		}
		if (next < 0)
			return 2;
		i = next;
	}
	if (a->npositional > u->max_positional)
		return cli_usage_error(ctx, u, "unexpected argument '%s'",
				       a->positional[u->max_positional]);
	for (k = 0; k < n; k++)
		if ((u->opts[k].flags & CLI_OPT_REQUIRED) && !a->count[k])
			return cli_usage_error(ctx, u,
					       "missing required option '--%s'",
					       u->opts[k].name);
	return 0;
}

static int index_of(const struct cli_args *a, const char *name)
{
	int i;

	for (i = 0; a->spec && a->spec[i].name; i++)
		if (strcmp(a->spec[i].name, name) == 0)
			return i;
	return -1;
}

const char *cli_arg(const struct cli_args *a, const char *name)
{
	int i = index_of(a, name);

	return i < 0 ? NULL : a->values[i];
}

int cli_has(const struct cli_args *a, const char *name)
{
	int i = index_of(a, name);

	return i >= 0 && a->count[i] > 0;
}

const char *const *cli_arg_list(const struct cli_args *a, const char *name)
{
	static const char *const none[] = { NULL };
	int i = index_of(a, name);

	return i >= 0 && a->lists[i] ? a->lists[i] : none;
}

void cli_args_release(struct cli_args *a)
{
	size_t i, n = table_len(a->spec);

	for (i = 0; a->lists && i < n; i++)
		free(a->lists[i]);
	free(a->lists);
	free(a->values);
	free(a->count);
	free(a->positional);
	memset(a, 0, sizeof(*a));
}

int cli_parse_duration(long *out, const char *text)
{
	static const long max = 3650L * 86400;
	unsigned long v;
	long unit;
	char *end;

	if (!text || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || (end[0] && end[1]))
		return -1;
	switch (end[0]) {
	case '\0':
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -1;
	}
	if (v > (unsigned long)(max / unit))
		return -1;
	*out = (long)v * unit;
	return 0;
}
