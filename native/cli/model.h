/* SPDX-License-Identifier: MIT */
/* A new trained model named on the command line, and its pre-flight check. */
#ifndef CLI_MODEL_H
#define CLI_MODEL_H

#include "cmd.h"
#include "opt.h"

/* A model: where it is, and the SAS that reads it (kept apart: a secret). */
struct cli_model {
	char *uri; /* https://acct.blob.../container/x.ilearner, no query */
	char *sas; /* its SAS token without '?', or NULL; a secret */
};

#define CLI_MODEL_INIT     \
	{                  \
		NULL, NULL \
	}

/* The option rows naming a model (with cli_model_from_args()). */
#define CLI_MODEL_OPTS                                                           \
	{ "model-uri",                                                           \
	  'm',                                                                   \
	  CLI_OPT_VALUE,                                                         \
	  "URI|@FILE",                                                           \
	  "the new .ilearner; a URI with a SAS only as @FILE",                   \
	  NULL,                                                                  \
	  0 },                                                                   \
		{ "from-job",                                                    \
		  0,                                                             \
		  CLI_OPT_VALUE,                                                 \
		  "FILE",                                                        \
		  "take it from a batch job's status JSON ('-': stdin)",         \
		  NULL,                                                          \
		  0 },                                                           \
	{                                                                        \
		"job-output", 0, CLI_OPT_VALUE, "NAME",                          \
			"the job's output holding the model (default: output1)", \
			NULL, 0                                                  \
	}

/* Pre-flight option rows (with cli_model_preflight()). */
#define CLI_PREFLIGHT_OPTS                                                 \
	{ "skip-preflight",                                                \
	  0,                                                               \
	  CLI_OPT_FLAG,                                                    \
	  NULL,                                                            \
	  "do not check that the model is readable first",                 \
	  NULL,                                                            \
	  0 },                                                             \
	{                                                                  \
		"sas-margin", 0, CLI_OPT_VALUE, "DURATION",                \
			"refuse a model SAS expiring sooner (default 1h)", \
			NULL, 0                                            \
	}

/*
 * The model that --model-uri or --from-job/--job-output name.  A SAS on
 * the command line is refused (it would be visible to every user).
 * Returns 0, or the exit code after printing the error.
 */
int cli_model_from_args(struct cli_model *out, struct cli_ctx *ctx,
			const struct cli_usage *usage,
			const struct cli_args *args);

/*
 * Check, unless --skip-preflight, that the model can be read: a SAS that
 * is valid for at least --sas-margin more and lets us read the blob, or
 * else the account key of AZURE_STORAGE_CONNECTION_STRING when it is the
 * model's account; the blob exists and ends in ".ilearner".  Returns 0, or
 * the exit code after printing the error.
 */
int cli_model_preflight(struct cli_ctx *ctx, const struct cli_usage *usage,
			const struct cli_args *args,
			const struct cli_model *model);

/*
 * A read-only SAS ("?sv=...", a secret: amlr_secret_free()) for the model
 * blob at @p uri, valid @p ttl_s seconds, signed with the account key of
 * the connection string in environment variable @p env_name (NULL:
 * AZURE_STORAGE_CONNECTION_STRING) when that is the model's account; exit
 * 2 saying what is needed otherwise.  Returns 0 or the exit code after
 * printing the error.
 */
int cli_model_account_sas(char **sas_out, struct cli_ctx *ctx, const char *uri,
			  const char *env_name, long ttl_s);

void cli_model_release(struct cli_model *model);

/* A batch job's output: where its blob is, and the SAS (a secret). */
struct cli_job_output {
	char *base; /* BaseLocation, "https://acct.blob.../" */
	char *relative; /* RelativeLocation, "container/x.ilearner" */
	char *sas; /* SasBlobToken ("?sv=..."), or NULL */
};

/*
 * Output @p output (matched case-insensitively) of the job status JSON in
 * file @p path ('-': stdin).  Returns 0, or the exit code after printing
 * the error (exit 2 when the output has no locations).
 */
int cli_model_job_output(struct cli_job_output *out, struct cli_ctx *ctx,
			 const char *path, const char *output);

void cli_job_output_release(struct cli_job_output *o);

/*
 * The model at BaseLocation @p base + RelativeLocation @p rel, with the
 * SAS @p sas (with or without '?', or NULL), checked as --model-uri is.
 * Returns 0, or the exit code after printing the error.
 */
int cli_model_from_parts(struct cli_model *out, struct cli_ctx *ctx,
			 const char *base, const char *rel, const char *sas);

#endif
