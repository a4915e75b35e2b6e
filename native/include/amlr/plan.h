/* SPDX-License-Identifier: MIT */
/* Retraining plans: reading and checking the JSON of docs/plan.md. */
#ifndef AMLR_PLAN_H
#define AMLR_PLAN_H

#include "common.h"
#include "error.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A plan names a training web service and its data, the gate a new model
 * must pass and the targets it then replaces the model of (docs/plan.md,
 * schema docs/plan.schema.json).  amlr_plan_load() reads and checks it
 * whole before anything runs: every field's type, unknown fields, metric
 * names, endpoint names, that secrets are references ({"env": VAR} or
 * {"file": PATH}) and nowhere written inline; "${VAR}" in strings is
 * replaced from the environment the caller lends.  A failure names the
 * offending field's path ("targets[1].endpoint.name") in err->target and
 * in the message, with AMLR_EINVAL.
 */

#define AMLR_PLAN_VERSION 1

typedef enum {
	AMLR_PLAN_WEBSERVICE = 1, /* a Resource Manager web service */
	AMLR_PLAN_ENDPOINT = 2 /* an endpoint of a classic web service */
} amlr_plan_target_kind;

/* One web service input: a local file uploaded first, or a blob. */
typedef struct amlr_plan_input {
	char *name; /* "input1" */
	char *file; /* a local CSV (resolved against the plan's directory) */
	char *blob; /* "container/blob" in the plan's storage account */
} amlr_plan_input;

typedef struct amlr_plan_target {
	amlr_plan_target_kind kind;
	char *path; /* "targets[0]", for messages */
	/* AMLR_PLAN_WEBSERVICE */
	char *subscription; /* NULL: the session's */
	char *resource_group;
	char *name;
	/* AMLR_PLAN_ENDPOINT */
	char *management_endpoint;
	char *workspace;
	char *webservice;
	char *endpoint;
	int create; /* add the endpoint when it is missing */
	char *throttle_level; /* "Low", "High" or NULL */
	long max_concurrent_calls; /* 0: the service's default */
	char *token; /* the workspace token (a secret), or NULL */
	char *resource; /* the [trained model] resource, NULL: the only one */
} amlr_plan_target;

/* The comparison a gate makes; current = targets[0]'s model. */
typedef struct amlr_plan_gate {
	char *metric; /* canonical: "AUC", "Accuracy", ... (amlr_plan_metric) */
	int higher_is_better;
	int has_min_improvement; /* new must beat current by this much */
	double min_improvement;
	int has_tolerance; /* new may be worse than current by this much */
	double tolerance;
	int has_minimum; /* new's value must be at least / at most this */
	double minimum;
	int has_maximum;
	double maximum;
	char *holdout; /* labelled CSV scored by current and new; NULL: none */
	char *label; /* its label column */
	char *positive_class; /* two-class: NULL to infer from the scores */
	/* where the new model is scored before it may go anywhere: an
	 * endpoint (created when missing) or a web service (a copy of the
	 * first target's, made when missing); NULL without a holdout */
	struct amlr_plan_target *staging;
} amlr_plan_gate;

typedef struct amlr_plan {
	char *name;
	char *dir; /* the plan file's directory */
	char *connection_string; /* storage account (a secret) */
	/* training */
	char *api_location;
	char *api_key; /* a secret */
	amlr_plan_input *inputs;
	size_t n_inputs;
	char *model_output; /* "output1" */
	char *evaluation_output; /* "output2", or NULL */
	char *container; /* where inputs and outputs go */
	amlr_json *parameters; /* GlobalParameters (strings), or NULL */
	long timeout_ms;
	int has_gate;
	amlr_plan_gate gate;
	amlr_plan_target *targets;
	size_t n_targets;
	char *report; /* report file, or NULL */
} amlr_plan;

/* Where "${VAR}" and {"env": VAR} are looked up: the value or NULL. */
typedef const char *(*amlr_plan_env_fn)(const char *name, void *payload);

/**
 * Read and check the plan in file @p path.
 *
 * @param env how environment variables are read (the library itself
 *	never reads the environment); NULL: no variable is set
 * @return AMLR_OK; AMLR_EINVAL (a bad plan: err->target is the field's
 *	path); AMLR_EIO (the plan or a secret file cannot be read);
 *	AMLR_EFAIL
 * Ownership: *out is the caller's, for amlr_plan_free(); secrets in it
 *	are wiped there.
 */
AMLR_EXTERN amlr_code amlr_plan_load(amlr_plan **out, amlr_error *err,
				     const char *path, amlr_plan_env_fn env,
				     void *payload);

/** Free a plan, wiping its secrets; accepts NULL. */
AMLR_EXTERN void amlr_plan_free(amlr_plan *plan);

/**
 * The canonical name of a gate metric ("auc", "F1 Score", "rmse" ...) as
 * Evaluate Model's result names its column, and whether higher is better.
 *
 * @return the name (static), or NULL for a metric not known
 */
AMLR_EXTERN const char *amlr_plan_metric(const char *name,
					 int *higher_is_better);

/**
 * Apply @p gate to a metric of the current model (@p current; NAN when
 * there is none, e.g. a gate on an absolute minimum only) and of the new
 * one.  Writes one line saying why into @p why.
 *
 * @return 1 when the new model passes, 0 when it is rejected
 */
AMLR_EXTERN int amlr_plan_gate_pass(char *why, size_t why_size,
				    const amlr_plan_gate *gate, double current,
				    double candidate);

#ifdef __cplusplus
}
#endif

#endif
