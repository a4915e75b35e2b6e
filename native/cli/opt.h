/* SPDX-License-Identifier: MIT */
/* Option tables: one per command, driving both parsing and --help. */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <stddef.h>

struct cli_ctx;

enum cli_opt_type {
	CLI_OPT_FLAG, /* no value */
	CLI_OPT_VALUE /* takes a value: --name VALUE or --name=VALUE */
};

/* Option flags. */
#define CLI_OPT_REQUIRED 1u
#define CLI_OPT_REPEAT 2u /* may be given more than once */

struct cli_opt {
	const char *name; /* long name without "--"; NULL ends a table */
	char alias; /* short letter, or 0 */
	enum cli_opt_type type;
	const char *value_name; /* "FILE", shown in help */
	const char *help;
	const char *const *choices; /* allowed values, NULL-terminated */
	unsigned flags;
};

/* What a command is, for its --help and usage lines. */
struct cli_usage {
	const char *path; /* "amlretrain rest" */
	const char *synopsis; /* "--url URL [options]" */
	const char *summary; /* one line */
	const char *description; /* paragraphs, or NULL */
	const struct cli_opt *opts; /* the command's own table */
	const char *positional; /* name of positional arguments, or NULL */
	size_t max_positional;
};

/* Parsed arguments; values point into argv. */
struct cli_args {
	const struct cli_opt *spec;
	const char **values; /* values[i]: last value of spec[i], or NULL */
	int *count; /* times spec[i] was given */
	const char ***lists; /* every value of repeatable spec[i] */
	char **positional;
	size_t npositional;
};

#define CLI_ARGS_INIT                           \
	{                                       \
		NULL, NULL, NULL, NULL, NULL, 0 \
	}

/*
 * Parse argv (argv[0] is the command word) against the command's table and
 * the global options (which update ctx).  On a usage error prints one line
 * and the short usage on stderr and returns 2; for --help prints the help
 * on stdout and returns -1 (the caller exits 0); else returns 0.
 */
int cli_parse(struct cli_args *args, struct cli_ctx *ctx,
	      const struct cli_usage *usage, int argc, char **argv);

/* The last value of option @p name, or NULL. */
const char *cli_arg(const struct cli_args *args, const char *name);

/* Whether a flag (or any option) @p name was given. */
int cli_has(const struct cli_args *args, const char *name);

/* Every value of a repeatable option, NULL-terminated (never NULL). */
const char *const *cli_arg_list(const struct cli_args *args, const char *name);

void cli_args_release(struct cli_args *args);

/* Print the full help of a command on stdout. */
void cli_print_help(const struct cli_usage *usage);

/* Report a usage error: one line, the synopsis and a hint; returns 2. */
int cli_usage_error(struct cli_ctx *ctx, const struct cli_usage *usage,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A duration with a unit: "90s", "30m", "24h", "7d" (a bare number is
 * seconds), up to ten years, into seconds.  Returns 0, or -1 when
 * malformed.
 */
int cli_parse_duration(long *out, const char *text);

/* The global options, shared by every command. */
extern const struct cli_opt cli_global_opts[];

/* Apply global option @p opt with @p value to ctx; 0 or a usage error. */
int cli_apply_global(struct cli_ctx *ctx, const struct cli_opt *opt,
		     const char *value);

#endif
