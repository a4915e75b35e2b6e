/* SPDX-License-Identifier: MIT */
/* Fuzz CSV ingest: the reader, training on small inputs, scoring. */
#include "fuzz.h"

#include "learn.h"

/* Training is fuzzed on small inputs only: it is iterative. */
#define FUZZ_TRAIN_MAX 4096

/* The reader: records until the end or an error, every field a string. */
static void read_all(const uint8_t *data, size_t size)
{
	char err[LEARN_ERR_SIZE];
	const char *const *fields;
	learn_csv *r = NULL;
	FILE *in;
	size_t i, n;

	if (!size || !(in = fmemopen((void *)data, size, "r")))
		return;
	if (learn_csv_open(&r, in, err) != LEARN_OK) {
		FUZZ_CHECK(r == NULL && err[0]);
		goto done;
	}
	n = learn_csv_columns(r);
	FUZZ_CHECK(n > 0 && n <= LEARN_CSV_MAX_COLUMNS);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(learn_csv_header(r)[i] != NULL);
	while (learn_csv_next(&fields, r, err) == LEARN_OK && fields)
		for (i = 0; i < n; i++)
			FUZZ_CHECK(fields[i] != NULL);
	(void)learn_csv_line(r);
done:
	learn_csv_free(r);
	fclose(in);
}

/* A model trained on the input scores it and survives save and load. */
static void train(const uint8_t *data, size_t size, learn_algorithm alg)
{
	learn_train_opts opts = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE], label[64];
	learn_model *m = NULL, *again = NULL;
	char *saved = NULL, *saved2 = NULL, *scored = NULL;
	size_t len = 0, len2 = 0, slen = 0;
	const char *nl, *comma;
	FILE *in = NULL, *out = NULL;

	/* The label: the header's first field, unquoted, as it is. */
	nl = memchr(data, '\n', size);
	comma = memchr(data, ',',
		       nl ? (size_t)(nl - (const char *)data) : size);
	if (!comma || (size_t)(comma - (const char *)data) >= sizeof(label))
		return;
	memcpy(label, data, (size_t)(comma - (const char *)data));
	label[comma - (const char *)data] = '\0';
	opts.algorithm = alg;
	opts.label = label;
	opts.max_iterations = 5;
	if (learn_train_mem(&m, (const char *)data, size, &opts, err) !=
	    LEARN_OK) {
		FUZZ_CHECK(m == NULL && err[0]);
		return;
	}
	FUZZ_CHECK(learn_model_save(&saved, &len, m, err) == LEARN_OK);
	FUZZ_CHECK(learn_model_load(&again, saved, len, err) == LEARN_OK);
	FUZZ_CHECK(learn_model_save(&saved2, &len2, again, err) == LEARN_OK);
	FUZZ_CHECK(len == len2 && memcmp(saved, saved2, len) == 0);
	if ((in = fmemopen((void *)data, size, "r")) &&
	    (out = open_memstream(&scored, &slen)))
		(void)learn_score_csv(out, m, in, err);
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	free(scored);
	free(saved);
	free(saved2);
	learn_model_free(again);
	learn_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_all(data, size);
	if (size > 0 && size <= FUZZ_TRAIN_MAX) {
		train(data, size, LEARN_LOGISTIC_REGRESSION);
		train(data, size, LEARN_LINEAR_REGRESSION);
	}
	return 0;
}
