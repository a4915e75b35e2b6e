/* SPDX-License-Identifier: MIT */
/* learn/ internals shared between its files: the model, values, helpers. */
#ifndef LEARN_INTERNAL_H
#define LEARN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "learn.h"

/* One feature of a model, in the order of its weights. */
struct learn_feature {
	char *name;
	learn_type type; /* LEARN_TYPE_NUMERIC or LEARN_TYPE_CATEGORICAL */
	/* numeric: x = (value - center) / scale; missing: value = impute */
	double center;
	double scale;
	double impute;
	/* categorical: sorted levels, then "other", then "missing" */
	char **levels;
	size_t n_levels;
	int has_other;
	int has_missing;
	size_t offset; /* first weight */
	size_t width; /* 1 (numeric) or n_levels + has_other + has_missing */
};

struct learn_model {
	learn_algorithm algorithm;
	char *label;
	char *classes[2]; /* two-class: [0] negative, [1] positive */
	struct learn_feature *features;
	size_t n_features;
	double *weights; /* n_weights, on the standardised features */
	size_t n_weights;
	double bias;
	/* training metadata */
	double l2;
	double tolerance;
	unsigned max_iterations;
	unsigned max_levels;
	learn_missing categorical_missing;
	uint64_t rows;
	uint64_t rows_skipped;
	unsigned iterations;
	int converged;
};

/* A row after encoding: the non-zero entries, indexes increasing. */
struct learn_sparse {
	size_t n;
	uint32_t *idx;
	double *val;
};

/* err.c: the message buffer (LEARN_ERR_SIZE bytes, or NULL). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void learn_err_set(char *err, const char *fmt, ...);

/* value.c: interpreting CSV values. */

/* The value without leading and trailing blanks: a pointer and *len. */
const char *learn_value_trim(const char *s, size_t *len);
/* 1 when the trimmed value is missing ("", "?", "NA"). */
int learn_value_missing(const char *s, size_t len);
/* 1 and *out when the trimmed value is a finite decimal number. */
int learn_value_number(double *out, const char *s, size_t len);
/* strcmp() between a trimmed value and a NUL-terminated string. */
int learn_value_cmp(const char *s, size_t len, const char *z);

/* csv.c: learn_csv_write_row() with another line break (@p eol). */
learn_code learn_csv_write_record(FILE *out, const char *const *fields,
				  size_t n, const char *eol, char *err);

/* crc32.c: CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's crc32(). */
uint32_t learn_crc32_update(uint32_t crc, const void *data, size_t len);

/* model.c */
struct learn_model *learn_model_alloc(void);
/* Lay the weights out (offsets, widths); allocate them zeroed. */
learn_code learn_model_layout(struct learn_model *m, char *err);

/* encode.c: features of a row, as training and scoring see them. */

/* cols[j] = the column of feature j among @p names; EDATA names it. */
learn_code learn_encode_bind(size_t *cols, const struct learn_model *m,
			     const char *const *names, size_t n, char *err);
learn_code learn_encode_alloc(struct learn_sparse *x,
			      const struct learn_model *m);
void learn_encode_release(struct learn_sparse *x);
/* The index of a trimmed value among @p f's levels, or -1. */
int learn_encode_level(const struct learn_feature *f, const char *s,
		       size_t len);
/* Encode @p fields (a record) through @p cols; @p line for messages. */
learn_code learn_encode_row(struct learn_sparse *x, const struct learn_model *m,
			    const size_t *cols, const char *const *fields,
			    unsigned long line, char *err);
/* bias + w . x */
double learn_encode_dot(const struct learn_model *m,
			const struct learn_sparse *x);
/* The prediction for the margin @p z. */
void learn_encode_predict(learn_prediction *out, const struct learn_model *m,
			  double z);
/* The class of a trimmed label value: 1, 0, or -1 (neither). */
int learn_encode_class(const struct learn_model *m, const char *s, size_t len);

/* linalg.c: dense symmetric positive definite systems. */

/*
 * Solve A x = b for a symmetric positive definite @p n x @p n matrix (only
 * its upper triangle, row-major, is read); @p a is overwritten with the
 * Cholesky factor and @p b with x.  Returns 0, or -1 when A is not
 * numerically positive definite.
 */
int learn_linalg_cholesky_solve(double *a, double *b, size_t n);

#endif
