/* SPDX-License-Identifier: MIT */
/* Fuzz amlr_plan_load(): retraining plans (docs/plan.md). */
#include "fuzz.h"

#include <fcntl.h>
#include <unistd.h>

#include "amlr/plan.h"

/* The plan is read from a file in a private directory, rewritten per input. */
static char plan_dir[] = "/tmp/amlr-fuzz-plan-XXXXXX";
static char plan_path[sizeof(plan_dir) + 16];

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Every variable is set, except AMLR_FUZZ_UNSET (the error path). */
static const char *env(const char *name, void *payload)
{
	(void)payload;
	if (strcmp(name, "AMLR_FUZZ_UNSET") == 0)
		return NULL;
	return strcmp(name, "AMLR_FUZZ_EMPTY") == 0 ? "" : "value-of-var";
}

/* A file secret the seeds may name: "secret.txt" beside the plan. */
static int write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && write(fd, data, size) == (ssize_t)size;

	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	return ok;
}

/* Leave nothing behind in /tmp. */
static void cleanup(void)
{
	char path[sizeof(plan_dir) + 16];

	unlink(plan_path);
	snprintf(path, sizeof(path), "%s/secret.txt", plan_dir);
	unlink(path);
	rmdir(plan_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char secret[sizeof(plan_dir) + 16];

	(void)argc;
	(void)argv;
	FUZZ_CHECK(mkdtemp(plan_dir) != NULL);
	snprintf(plan_path, sizeof(plan_path), "%s/plan.json", plan_dir);
	snprintf(secret, sizeof(secret), "%s/secret.txt", plan_dir);
	FUZZ_CHECK(write_file(secret, "s3cret\n", 7));
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	amlr_plan *plan = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char why[256];
	amlr_code rc;
	size_t i;

	FUZZ_CHECK(write_file(plan_path, data, size));
	rc = amlr_plan_load(&plan, &err, plan_path, env, NULL);
	if (rc != AMLR_OK) {
		FUZZ_CHECK(plan == NULL && err.code == rc && err.message[0]);
		return 0;
	}
	FUZZ_CHECK(plan->n_targets > 0 && plan->targets != NULL);
	for (i = 0; i < plan->n_targets; i++)
		FUZZ_CHECK(plan->targets[i].path != NULL);
	if (plan->has_gate) {
		FUZZ_CHECK(plan->gate.metric != NULL);
		(void)amlr_plan_gate_pass(why, sizeof(why), &plan->gate, 0.8,
					  0.9);
	}
	amlr_plan_free(plan);
	return 0;
}
