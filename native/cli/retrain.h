/* SPDX-License-Identifier: MIT */
/* A plan's run: what the steps share (cmd_retrain.c, retrain_target.c). */
#ifndef CLI_RETRAIN_H
#define CLI_RETRAIN_H

#include "amlr/plan.h"
#include "cmd.h"

struct retrain_run {
	struct cli_ctx *ctx;
	amlr_plan *plan;
	char id[40]; /* the run's id: names its blobs, in the report */
	char *tmpdir; /* private (0700): the job's status file */
	char *job_file; /* the final job status JSON (0600), for --from-job */
	char *model_uri; /* the new model, BaseLocation + RelativeLocation */
	amlr_json *report; /* the report being written */
};

/* Where a target scores: its request-response URL and key (a secret). */
struct retrain_scoring {
	char *api_location;
	char *api_key;
};

void retrain_scoring_release(struct retrain_scoring *s);

/*
 * A line for people on stderr: "amlretrain: retrain: ...".
 */
void retrain_note(struct retrain_run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Check that @p t can be reached and exists (an endpoint may be missing
 * when the plan creates it: *exists tells).  Nothing changes.  Returns 0
 * or the exit code after printing the error.
 */
int retrain_target_check(int *exists, struct retrain_run *run,
			 const amlr_plan_target *t);

/*
 * Where @p t scores now.  An endpoint that does not exist yet scores as
 * its web service's default endpoint would (what it will start from).
 */
int retrain_target_scoring(struct retrain_scoring *out, struct retrain_run *run,
			   const amlr_plan_target *t);

/*
 * Put the new model (run->job_file, output @p output) into @p t: create
 * the endpoint first when the plan says so; a staging web service that
 * does not exist is made from targets[0]'s definition.  Every change goes
 * through the CLI's own commands, in-process: pre-flight, backup,
 * change, verification.  Its result (the command's JSON) into *result.
 */
int retrain_target_swap(amlr_json **result, struct retrain_run *run,
			const amlr_plan_target *t, int staging);

/* "resourceGroup/name" or "webservice/endpoint", for people. */
const char *retrain_target_label(char *buf, size_t size,
				 const amlr_plan_target *t);

#endif
