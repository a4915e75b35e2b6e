/* SPDX-License-Identifier: MIT */
/* Benchmark helper: census-like data from learn's generator, and the
 * in-process training time of learn (bes-train.sh's baseline). */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#include "learn.h"

static int usage(void)
{
	fputs("usage: census-tool gen a|b ROWS SEED >FILE\n"
	      "       census-tool train FILE   (prints milliseconds)\n",
	      stderr);
	return 2;
}

static int parse_u64(unsigned long long *out, const char *s)
{
	char *end = NULL;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

static int gen(const char *version, const char *rows, const char *seed)
{
	unsigned long long n = 0, sd = 0;
	char err[LEARN_ERR_SIZE] = "";
	learn_code lc;

	if (parse_u64(&n, rows) != 0 || parse_u64(&sd, seed) != 0)
		return usage();
	lc = learn_census_generate(stdout, version, (size_t)n, (uint64_t)sd,
				   err);
	if (lc != LEARN_OK) {
		fprintf(stderr, "census-tool: %s\n", err);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int train(const char *path)
{
	learn_train_opts opts = LEARN_TRAIN_OPTS_INIT;
	char err[LEARN_ERR_SIZE] = "";
	learn_model *model = NULL;
	struct timespec t0, t1;
	FILE *in = NULL;
	int rc = 1;

	opts.label = "income";
	in = fopen(path, "rb");
	if (in == NULL) {
		fprintf(stderr, "census-tool: cannot open '%s'\n", path);
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (learn_train(&model, in, &opts, err) != LEARN_OK) {
		fprintf(stderr, "census-tool: %s\n", err);
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				 (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	rc = 0;
done:
	learn_model_free(model);
	if (in != NULL)
		fclose(in);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "train") == 0)
		return train(argv[2]);
	return usage();
}
