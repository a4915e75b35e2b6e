/* SPDX-License-Identifier: MIT */
/* Fuzz learn_model_load(): .ilearner files as the emulator receives them. */
#include "fuzz.h"

#include "learn.h"

/* Score one row of empty values with every feature present. */
static void score(const learn_model *m)
{
	const char *names[16], *values[16];
	learn_prediction p;
	char err[LEARN_ERR_SIZE];
	size_t i, n = learn_model_feature_count(m);

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++) {
		names[i] = learn_model_feature_name(m, i);
		values[i] = "";
		FUZZ_CHECK(names[i] != NULL);
	}
	(void)learn_score_row(&p, m, names, values, n, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	learn_model *m = NULL, *again = NULL;
	char err[LEARN_ERR_SIZE];
	char *saved = NULL, *saved2 = NULL;
	size_t len = 0, len2 = 0;

	if (learn_model_load(&m, (const char *)data, size, err) != LEARN_OK) {
		FUZZ_CHECK(m == NULL && err[0]);
		return 0;
	}
	(void)learn_algorithm_name(learn_model_algorithm(m));
	(void)learn_model_label(m);
	(void)learn_model_class(m, 1);
	(void)learn_model_rows(m);
	(void)learn_model_intercept(m);
	score(m);
	/* A model that loads saves to bytes that load to the same model. */
	FUZZ_CHECK(learn_model_save(&saved, &len, m, err) == LEARN_OK);
	FUZZ_CHECK(learn_model_load(&again, saved, len, err) == LEARN_OK);
	FUZZ_CHECK(learn_model_save(&saved2, &len2, again, err) == LEARN_OK);
	FUZZ_CHECK(len == len2 && memcmp(saved, saved2, len) == 0);
	free(saved);
	free(saved2);
	learn_model_free(again);
	learn_model_free(m);
	return 0;
}
