/* SPDX-License-Identifier: MIT */
/* Retraining plans: what is read, what is refused and why, the gate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "amlr/plan.h"

static char dir[] = "/tmp/amlr-test-plan-XXXXXX";

static const char *env_of(const char *name, void *payload)
{
	(void)payload;
	if (!strcmp(name, "API"))
		return "http://127.0.0.1:1/subscriptions/s/services/x";
	if (!strcmp(name, "KEY"))
		return "the-api-key";
	if (!strcmp(name, "CONN"))
		return "UseDevelopmentStorage=true";
	if (!strcmp(name, "TOKEN"))
		return "the-workspace-token";
	if (!strcmp(name, "MGMT"))
		return "http://127.0.0.1:1";
	return NULL;
}

/* Write @p text as plan.json in the test directory and load it. */
static amlr_code load(amlr_plan **plan, amlr_error *err, const char *text)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/plan.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return amlr_plan_load(plan, err, path, env_of, NULL);
}

#define HEAD                                                               \
	"{\"version\":1,\"name\":\"p\",\"storage\":{\"connectionString\":" \
	"{\"env\":\"CONN\"}},"
#define TRAINING                                                        \
	"\"training\":{\"apiLocation\":\"${API}\",\"apiKey\":{\"env\":" \
	"\"KEY\"},\"inputs\":{\"input1\":{\"file\":\"data.csv\"}},"     \
	"\"outputs\":{\"model\":\"output1\",\"evaluation\":\"output2\"}},"
#define WS_TARGET "{\"webservice\":{\"resourceGroup\":\"rg\",\"name\":\"ws\"}}"
#define EP_TARGET                                                          \
	"{\"endpoint\":{\"managementEndpoint\":\"${MGMT}\",\"workspace\":" \
	"\"w\",\"webservice\":\"s\",\"name\":\"ep1\",\"create\":true,"     \
	"\"token\":{\"env\":\"TOKEN\"}}}"

/* The field a refusal names, and that it is a usage error. */
static void refused(const char *text, const char *target, const char *words)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_plan *plan = NULL;

	assert_int_equal(load(&plan, &err, text), AMLR_EINVAL);
	assert_null(plan);
	assert_string_equal(err.target, target);
	if (!strstr(err.message, words))
		fail_msg("'%s' does not say '%s'", err.message, words);
	assert_non_null(strstr(err.message, target));
}

static void test_plan__full_plan_is_read(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_plan *p = NULL;

	(void)state;
	assert_int_equal(
		load(&p, &err,
		     HEAD TRAINING
		     "\"gate\":{\"metric\":\"auc\",\"minImprovement\":0.01,"
		     "\"holdout\":{\"file\":\"/data/h.csv\",\"label\":"
		     "\"income\"},\"staging\":" EP_TARGET "},"
		     "\"targets\":[" WS_TARGET "," EP_TARGET
		     "],\"report\":\"r.json\"}"),
		AMLR_OK);
	assert_string_equal(p->api_location,
			    "http://127.0.0.1:1/subscriptions/s/services/x");
	assert_string_equal(p->api_key, "the-api-key");
	assert_string_equal(p->connection_string, "UseDevelopmentStorage=true");
	assert_int_equal(p->n_inputs, 1);
	assert_string_equal(p->inputs[0].name, "input1");
	/* relative paths are the plan's directory's */
	assert_true(strncmp(p->inputs[0].file, dir, strlen(dir)) == 0);
	assert_string_equal(p->model_output, "output1");
	assert_string_equal(p->evaluation_output, "output2");
	assert_string_equal(p->container, "amlretrain");
	assert_int_equal(p->timeout_ms, 3600L * 1000);
	assert_true(p->has_gate);
	assert_string_equal(p->gate.metric, "AUC");
	assert_true(p->gate.higher_is_better);
	assert_string_equal(p->gate.holdout, "/data/h.csv");
	assert_int_equal(p->gate.staging->kind, AMLR_PLAN_ENDPOINT);
	assert_int_equal(p->n_targets, 2);
	assert_int_equal(p->targets[0].kind, AMLR_PLAN_WEBSERVICE);
	assert_string_equal(p->targets[1].endpoint, "ep1");
	assert_string_equal(p->targets[1].token, "the-workspace-token");
	assert_true(p->targets[1].create);
	assert_string_equal(p->targets[1].path, "targets[1]");
	amlr_plan_free(p);
}

static void test_plan__secret_from_file(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_plan *p = NULL;
	char path[64];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/key", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("key-from-file\n", f);
	fclose(f);
	assert_int_equal(load(&p, &err,
			      HEAD
			      "\"training\":{\"apiLocation\":\"https://x/y\","
			      "\"apiKey\":{\"file\":\"key\"}},"
			      "\"targets\":[" WS_TARGET "]}"),
			 AMLR_OK);
	assert_string_equal(p->api_key, "key-from-file");
	assert_int_equal(p->n_inputs, 0);
	amlr_plan_free(p);
}

static void test_plan__inline_secrets_refused(void **state)
{
	(void)state;
	refused(HEAD "\"training\":{\"apiLocation\":\"https://x/y\","
		     "\"apiKey\":\"abc\"},\"targets\":[" WS_TARGET "]}",
		"training.apiKey", "a secret cannot be written in a plan");
	refused("{\"version\":1,\"name\":\"p\",\"storage\":{"
		"\"connectionString\":\"AccountName=a;AccountKey=k\"}}",
		"storage.connectionString", "secret cannot be written");
	/* a SAS hidden in a field that is not a secret */
	refused(HEAD "\"training\":{\"apiLocation\":\"https://x/y?sv=1&"
		     "sig=abc\",\"apiKey\":{\"env\":\"KEY\"}},\"targets\":["
		     "]}",
		"training.apiLocation", "SAS signature");
}

static void test_plan__structure_refused_with_path(void **state)
{
	(void)state;
	refused("{\"version\":2}", "version", "must be 1");
	refused(HEAD TRAINING "\"targets\":[" WS_TARGET "],\"gaet\":{}}",
		"gaet", "unknown field");
	refused(HEAD TRAINING "\"targets\":[]}", "targets", "non-empty array");
	refused(HEAD TRAINING "\"targets\":[{\"webservice\":{\"name\":"
			      "\"ws\"}}]}",
		"targets[0].webservice.resourceGroup", "is required");
	refused(HEAD TRAINING "\"targets\":[{\"webservice\":{"
			      "\"resourceGroup\":\"rg\",\"name\":7}}]}",
		"targets[0].webservice.name", "non-empty string");
	refused(HEAD TRAINING "\"targets\":[" WS_TARGET "," WS_TARGET "]}",
		"targets[1]", "repeats targets[0]");
	refused(HEAD "\"training\":{\"apiLocation\":\"${NOPE}\"}}",
		"training.apiLocation", "NOPE is not set");
	refused(HEAD "\"training\":{\"apiLocation\":\"ftp://x\",\"apiKey\":"
		     "{\"env\":\"KEY\"}}}",
		"training.apiLocation", "http(s) URL");
	refused(HEAD "\"training\":{\"apiLocation\":\"https://x\",\"apiKey\":"
		     "{\"env\":\"KEY\"},\"inputs\":{\"input1\":{\"blob\":"
		     "\"noslash\"}}}}",
		"training.inputs.input1", "container/blob");
	refused(HEAD "\"training\":{\"apiLocation\":\"https://x\",\"apiKey\":"
		     "{\"env\":\"KEY\"},\"timeout\":\"10 parsecs\"}}",
		"training.timeout", "duration");
}

static void test_plan__endpoint_rules(void **state)
{
	(void)state;
	/* ../shared/reference/notes/classic-bes-rrs.md §3.3: the name rule */
	refused(HEAD TRAINING "\"targets\":[{\"endpoint\":{"
			      "\"managementEndpoint\":\"m\",\"workspace\":"
			      "\"w\",\"webservice\":\"s\",\"name\":\"Bad_Name"
			      "\",\"token\":{\"env\":\"TOKEN\"}}}]}",
		"targets[0].endpoint.name", "not an endpoint name");
	/* §3.5: only non-default endpoints can be patched */
	refused(HEAD TRAINING "\"targets\":[{\"endpoint\":{"
			      "\"managementEndpoint\":\"m\",\"workspace\":"
			      "\"w\",\"webservice\":\"s\",\"name\":\"default"
			      "\",\"token\":{\"env\":\"TOKEN\"}}}]}",
		"targets[0].endpoint.name", "default endpoint");
	refused(HEAD TRAINING "\"targets\":[{\"endpoint\":{"
			      "\"managementEndpoint\":\"m\",\"workspace\":"
			      "\"w\",\"webservice\":\"s\",\"name\":\"a\","
			      "\"maxConcurrentCalls\":500,\"token\":{\"env\":"
			      "\"TOKEN\"}}}]}",
		"targets[0].endpoint.maxConcurrentCalls", "1 to 200");
}

static void test_plan__gate_rules(void **state)
{
	(void)state;
	refused(HEAD TRAINING "\"gate\":{\"metric\":\"happiness\","
			      "\"minimum\":1},\"targets\":[" WS_TARGET "]}",
		"gate.metric", "unknown metric 'happiness'");
	refused(HEAD TRAINING "\"gate\":{\"metric\":\"AUC\"},\"targets\":["
			      "" WS_TARGET "]}",
		"gate", "says nothing to check");
	refused(HEAD TRAINING "\"gate\":{\"metric\":\"AUC\","
			      "\"minImprovement\":0.1},\"targets\":["
			      "" WS_TARGET "]}",
		"gate.holdout", "is required");
	refused(HEAD TRAINING "\"gate\":{\"metric\":\"AUC\","
			      "\"minImprovement\":0.1,\"holdout\":{\"file\":"
			      "\"h.csv\",\"label\":\"income\"}},\"targets\":["
			      "" WS_TARGET "]}",
		"gate.staging", "is required");
	refused(HEAD TRAINING "\"gate\":{\"metric\":\"AUC\","
			      "\"minImprovement\":0.1,\"tolerance\":0.1},"
			      "\"targets\":[" WS_TARGET "]}",
		"gate.tolerance", "not both");
	refused(HEAD "\"training\":{\"apiLocation\":\"https://x\",\"apiKey\":"
		     "{\"env\":\"KEY\"}},\"gate\":{\"metric\":\"AUC\","
		     "\"minimum\":0.8},\"targets\":[" WS_TARGET "]}",
		"gate", "training.outputs.evaluation");
}

static void test_plan__metric_names(void **state)
{
	int higher = -1;

	(void)state;
	assert_string_equal(amlr_plan_metric("f1", &higher), "F1 Score");
	assert_int_equal(higher, 1);
	assert_string_equal(
		amlr_plan_metric("Root Mean Squared Error", &higher),
		"Root Mean Squared Error");
	assert_int_equal(higher, 0);
	assert_string_equal(amlr_plan_metric("LOGLOSS", &higher),
			    "Average Log Loss");
	assert_int_equal(higher, 0);
	assert_null(amlr_plan_metric("auroc", NULL));
}

static void test_plan__gate_decisions(void **state)
{
	amlr_plan_gate g = { 0 };
	char why[256], auc[] = "AUC", rmse[] = "Root Mean Squared Error";
	char accuracy[] = "Accuracy";

	(void)state;
	g.metric = auc;
	g.higher_is_better = 1;
	g.has_min_improvement = 1;
	g.min_improvement = 0.01;
	assert_true(amlr_plan_gate_pass(why, sizeof(why), &g, 0.80, 0.82));
	assert_false(amlr_plan_gate_pass(why, sizeof(why), &g, 0.80, 0.805));
	assert_non_null(strstr(why, "less than"));
	assert_false(amlr_plan_gate_pass(why, sizeof(why), &g, NAN, 0.9));
	assert_false(amlr_plan_gate_pass(why, sizeof(why), &g, 0.8, NAN));

	/* lower is better: an error metric may grow by the tolerance */
	memset(&g, 0, sizeof(g));
	g.metric = rmse;
	g.has_tolerance = 1;
	g.tolerance = 0.5;
	assert_true(amlr_plan_gate_pass(why, sizeof(why), &g, 10, 10.4));
	assert_true(amlr_plan_gate_pass(why, sizeof(why), &g, 10, 3));
	assert_false(amlr_plan_gate_pass(why, sizeof(why), &g, 10, 10.6));
	assert_non_null(strstr(why, "tolerance"));

	/* absolute bounds, no current model needed */
	memset(&g, 0, sizeof(g));
	g.metric = accuracy;
	g.higher_is_better = 1;
	g.has_minimum = 1;
	g.minimum = 0.75;
	assert_true(amlr_plan_gate_pass(why, sizeof(why), &g, NAN, 0.8));
	assert_false(amlr_plan_gate_pass(why, sizeof(why), &g, NAN, 0.7));
	assert_non_null(strstr(why, "below the minimum"));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan__full_plan_is_read),
		cmocka_unit_test(test_plan__secret_from_file),
		cmocka_unit_test(test_plan__inline_secrets_refused),
		cmocka_unit_test(test_plan__structure_refused_with_path),
		cmocka_unit_test(test_plan__endpoint_rules),
		cmocka_unit_test(test_plan__gate_rules),
		cmocka_unit_test(test_plan__metric_names),
		cmocka_unit_test(test_plan__gate_decisions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
