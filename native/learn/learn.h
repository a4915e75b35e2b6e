/* SPDX-License-Identifier: MIT */
/* learn/: CSV ingest, training, evaluation, .ilearner models, scoring. */
#ifndef LEARN_H
#define LEARN_H

/*
 * The learner behind the emulator's retraining: plain C11 and libm, no
 * dependency on the rest of the project.
 *
 * Ownership, as in libamlr (amlr.h):
 *
 * 1. A pointer handed out through an out-parameter (the first parameters,
 *    named out or *_out) belongs to the caller, who releases it with the
 *    matching _free() (objects) or free() (plain buffers, as said).  Every
 *    _free() accepts NULL.
 * 2. A pointer *returned* by a function is borrowed from the object it
 *    came from and stays valid while that object lives unchanged.
 * 3. Input strings and streams are borrowed for the duration of the call;
 *    streams are neither closed nor rewound to where they were.
 *
 * Errors: every fallible call returns a learn_code and, unless @p err is
 * NULL, writes one line into @p err, a caller-provided buffer of
 * LEARN_ERR_SIZE bytes: lower-case, no full stop, the subject quoted, and
 * "line N: " first for anything found in a CSV ("line 7: unterminated
 * quoted field").  On success @p err is left empty.  The library never
 * prints, exits or reads the environment.
 *
 * Values: leading and trailing blanks (spaces, tabs) of a CSV value or a
 * column name are ignored when it is interpreted (as a number, a category,
 * a class, a column to match), as in the UCI original of the Adult census
 * data, whose values follow ", ".  A value is missing when it is empty,
 * "?" or "NA".  A number is written in decimal ("12", "-0.5", "1e3");
 * "inf", "nan" and hexadecimal are text.  Numbers are read and written in
 * the C locale's format, the default of every C program: do not switch
 * LC_NUMERIC to a locale with a decimal comma in a process that uses this.
 *
 * Threads: no global state; distinct objects may be used from distinct
 * threads at once, and a model may be scored from many threads at once.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the error buffers that the functions below fill. */
#define LEARN_ERR_SIZE 256

/** Result codes; frozen numbers, append only. */
typedef enum {
	LEARN_OK = 0,
	LEARN_ENOMEM = 1, /* out of memory */
	LEARN_EINVAL = 2, /* bad argument or option */
	LEARN_ECSV = 3, /* malformed CSV; the message names the line */
	LEARN_EDATA = 4, /* well-formed data that cannot be used */
	LEARN_EMODEL = 5, /* .ilearner refused: corrupt, truncated, unknown */
	LEARN_EIO = 6, /* a stream could not be read or written */
	LEARN_ENUMERIC = 7 /* numerical failure (singular normal equations) */
} learn_code;

/** A static description of @p code, never NULL. */
const char *learn_strerror(learn_code code);

/* --- CSV (RFC 4180) ---------------------------------------------------- */

/*
 * A streaming CSV reader: the first record is the header, every later
 * record must have as many fields.  Fields may be quoted ("a ""b"", c"),
 * quoted fields may hold commas and line breaks, records end with CRLF or
 * LF, the last one may lack its line break, and a UTF-8 byte order mark
 * before the header is dropped.  Empty lines are skipped.  Memory is one
 * record (a field holds at most LEARN_CSV_MAX_FIELD bytes, a record at
 * most LEARN_CSV_MAX_RECORD and LEARN_CSV_MAX_COLUMNS fields).
 */
typedef struct learn_csv learn_csv;

#define LEARN_CSV_MAX_FIELD (1u << 16)
#define LEARN_CSV_MAX_RECORD (1u << 20)
#define LEARN_CSV_MAX_COLUMNS 4096u

/**
 * Start reading @p in and read its header.
 *
 * @param[out] out the reader
 * @param in the stream, read from its current position
 * @param err LEARN_ERR_SIZE bytes for the message, or NULL
 * @return LEARN_OK; LEARN_ECSV (no header, a malformed one); LEARN_EIO;
 *         LEARN_ENOMEM
 * Ownership: *out belongs to the caller (learn_csv_free()); @p in is
 * borrowed for the reader's life.
 */
learn_code learn_csv_open(learn_csv **out, FILE *in, char *err);

/** Number of columns (fields in the header). */
size_t learn_csv_columns(const learn_csv *r);

/** The header's fields; borrowed from @p r for its whole life. */
const char *const *learn_csv_header(const learn_csv *r);

/**
 * Read the next record.
 *
 * @param[out] fields_out learn_csv_columns() fields, or NULL at the end
 *             of the input; borrowed until the next call on @p r
 * @return LEARN_OK (also at the end); LEARN_ECSV (unterminated quoted
 *         field, text after a closing quote, a quote inside an unquoted
 *         field, a NUL byte, a ragged record, an oversized field);
 *         LEARN_EIO
 */
learn_code learn_csv_next(const char *const **fields_out, learn_csv *r,
			  char *err);

/** The line (1-based) where the record last returned, or the header, began. */
unsigned long learn_csv_line(const learn_csv *r);

/** Free a reader; accepts NULL. */
void learn_csv_free(learn_csv *r);

/**
 * Write one record and its CRLF line break.  A field is quoted when it
 * holds a comma, a quote, CR or LF, or begins or ends with a blank.
 *
 * @return LEARN_OK or LEARN_EIO
 */
learn_code learn_csv_write_row(FILE *out, const char *const *fields, size_t n,
			       char *err);

/**
 * Format @p v in the shortest "%.*g" form that reads back as the same
 * double (at most 17 digits); "NaN", "Infinity", "-Infinity" otherwise.
 *
 * @return @p buf; 32 bytes always suffice
 */
char *learn_format_double(char *buf, size_t size, double v);

/* --- models and training ---------------------------------------------- */

/** A trained model: schema, encoding, standardisation, weights. */
typedef struct learn_model learn_model;

typedef enum {
	LEARN_LOGISTIC_REGRESSION = 1, /* Two-Class Logistic Regression */
	LEARN_LINEAR_REGRESSION = 2 /* Linear Regression (ridge) */
} learn_algorithm;

typedef enum {
	LEARN_TYPE_AUTO = 0, /* inferred: numeric if every value is a number */
	LEARN_TYPE_NUMERIC = 1,
	LEARN_TYPE_CATEGORICAL = 2
} learn_type;

/** What a missing categorical value becomes. */
typedef enum {
	LEARN_MISSING_LEVEL = 0, /* a level of its own (weight learnt) */
	LEARN_MISSING_ZERO = 1 /* all-zero one-hot: ignored */
} learn_missing;

/** A column whose type is declared rather than inferred. */
typedef struct {
	const char *name;
	learn_type type;
} learn_column_type;

/** Training options; start from LEARN_TRAIN_OPTS_INIT. */
typedef struct {
	learn_algorithm algorithm;
	/** The label column's name; required. */
	const char *label;
	/**
	 * Two-class: the positive class.  NULL: the larger of the two label
	 * values, compared as numbers when both are numbers, else bytewise
	 * (strcmp), so that ">50K" is positive against "<=50K".
	 */
	const char *positive_class;
	/** L2 weight; < 0: the default (1 logistic, 0.001 linear). */
	double l2;
	/** Newton iterations at most (logistic). */
	unsigned max_iterations;
	/** Stop when half the Newton decrement is below tol * max(1, |f|). */
	double tolerance;
	/** Levels kept per categorical column; the rest share "other". */
	unsigned max_levels;
	learn_missing categorical_missing;
	/** Feature columns in order; NULL: every column but the label. */
	const char *const *features;
	size_t n_features;
	/** Declared column types; the others are inferred. */
	const learn_column_type *types;
	size_t n_types;
	/**
	 * Logistic: bytes at most for the encoded rows, kept so that Newton
	 * iterations after the first need not parse the CSV again (about
	 * 12 bytes per non-zero feature value and 16 per row); past it every
	 * pass streams.  0: always stream.  The model is the same either way.
	 */
	size_t cache_bytes;
} learn_train_opts;

#define LEARN_TRAIN_OPTS_INIT                                               \
	{                                                                   \
		LEARN_LOGISTIC_REGRESSION, NULL, NULL, -1.0, 100, 1e-7, 64, \
			LEARN_MISSING_LEVEL, NULL, 0, NULL, 0, 64u << 20    \
	}

/** Encoded features (weights) at most, after one-hot encoding. */
#define LEARN_MAX_WEIGHTS 2048u

/**
 * Train a model on a CSV with a header row.
 *
 * Two passes over the data (from the stream's current position, which
 * must be seekable: a file or fmemopen()): the first infers types, counts
 * levels and computes means and standard deviations; the second (linear)
 * accumulates the normal equations, or each Newton iteration (logistic)
 * accumulates gradient and Hessian.  Memory grows with the model, not with
 * the data (plus opts->cache_bytes at most for encoded rows).  Rows whose
 * label is missing are skipped (and counted); a column without a name is
 * not a feature unless named in opts->features.  The result is
 * deterministic: the same data and options give a model that saves to the
 * same bytes.  See docs/ilearner-format.md for the model.
 *
 * @param[out] out the model
 * @param in the training data
 * @param opts the options; opts->label is required
 * @return LEARN_OK; LEARN_EINVAL (options, a stream that cannot seek);
 *         LEARN_ECSV; LEARN_EDATA (no label or feature column, no rows,
 *         not two classes, a non-numeric value in a numeric column, too
 *         many encoded features); LEARN_ENUMERIC; LEARN_EIO; LEARN_ENOMEM
 * Ownership: *out belongs to the caller (learn_model_free()).
 */
learn_code learn_train(learn_model **out, FILE *in,
		       const learn_train_opts *opts, char *err);

/** learn_train() on @p len bytes of CSV in memory. */
learn_code learn_train_mem(learn_model **out, const char *data, size_t len,
			   const learn_train_opts *opts, char *err);

/** Free a model; accepts NULL. */
void learn_model_free(learn_model *m);

/* --- the .ilearner format (docs/ilearner-format.md) -------------------- */

/**
 * Serialise @p m in the .ilearner format.
 *
 * @param[out] out the bytes (NUL-terminated text; free())
 * @param[out] len_out their number, without the NUL
 * @return LEARN_OK or LEARN_ENOMEM
 * Ownership: *out belongs to the caller (free()).
 */
learn_code learn_model_save(char **out, size_t *len_out, const learn_model *m,
			    char *err);

/** learn_model_save() to a stream; LEARN_EIO when it fails. */
learn_code learn_model_write(FILE *out, const learn_model *m, char *err);

/**
 * Parse an .ilearner.
 *
 * @param[out] out the model
 * @return LEARN_OK; LEARN_EMODEL for anything but a valid model: not an
 *         .ilearner (magic), an unsupported format version, a truncated
 *         file, a checksum mismatch, an unknown algorithm, inconsistent
 *         content; LEARN_ENOMEM
 * Ownership: *out belongs to the caller (learn_model_free()).
 */
learn_code learn_model_load(learn_model **out, const char *data, size_t len,
			    char *err);

/** learn_model_load() from a stream, read to its end (at most 64 MiB). */
learn_code learn_model_read(learn_model **out, FILE *in, char *err);

/* Inspection; the strings are borrowed from the model. */
learn_algorithm learn_model_algorithm(const learn_model *m);
/** "two-class-logistic-regression" or "linear-regression". */
const char *learn_algorithm_name(learn_algorithm algorithm);
const char *learn_model_label(const learn_model *m);
/** Two-class: the positive (1) or negative (0) class; NULL for linear. */
const char *learn_model_class(const learn_model *m, int positive);
size_t learn_model_feature_count(const learn_model *m);
const char *learn_model_feature_name(const learn_model *m, size_t i);
learn_type learn_model_feature_type(const learn_model *m, size_t i);
/** Training rows used, and rows skipped for a missing label. */
uint64_t learn_model_rows(const learn_model *m);
uint64_t learn_model_rows_skipped(const learn_model *m);
/** Newton iterations done (0 for linear), and whether they converged. */
unsigned learn_model_iterations(const learn_model *m);
int learn_model_converged(const learn_model *m);

/**
 * A coefficient in the data's own units: of numeric column @p column
 * (level NULL), or of one level of a categorical column (its one-hot
 * indicator; level "" names the missing level, NULL the "other" level).
 * The intercept (learn_model_intercept()) absorbs the standardisation.
 *
 * @return LEARN_OK or LEARN_EINVAL (no such feature or level)
 */
learn_code learn_model_coef(double *out, const learn_model *m,
			    const char *column, const char *level, char *err);

/** The intercept in the data's own units. */
double learn_model_intercept(const learn_model *m);

/* --- scoring (Score Model) ---------------------------------------------- */

/** One prediction. */
typedef struct {
	/** Scored Labels: the class, borrowed from the model; NULL (linear). */
	const char *label;
	/** Scored Probabilities: P(positive class); NaN for linear. */
	double probability;
	/** Linear: the prediction; two-class: the probability. */
	double value;
} learn_prediction;

/** The threshold on P(positive): positive when probability >= it. */
#define LEARN_THRESHOLD 0.5

/**
 * Score one row given as column names and values (any order, extra
 * columns ignored).  Encoding as in training: a missing numeric value
 * takes the training mean; a categorical level that the model does not
 * know counts as "other" when the column has an "other" level, else as
 * all-zero one-hot.
 *
 * @return LEARN_OK; LEARN_EDATA (a feature column is absent: the message
 *         names it; a numeric feature's value is not a number)
 */
learn_code learn_score_row(learn_prediction *out, const learn_model *m,
			   const char *const *names, const char *const *values,
			   size_t n, char *err);

/**
 * Score Model: read a CSV (header, columns in any order), write it back
 * with "Scored Labels" and "Scored Probabilities" (two-class) or "Scored
 * Labels" (linear) appended, CRLF line breaks.  On error, @p out may hold
 * part of the result: write to a temporary file or a memory stream and
 * discard it.
 *
 * @return LEARN_OK; LEARN_ECSV; LEARN_EDATA (a feature column absent,
 *         named in the message; a bad number, with its line); LEARN_EIO
 */
learn_code learn_score_csv(FILE *out, const learn_model *m, FILE *in,
			   char *err);

/* --- evaluation (Evaluate Model) -------------------------------------- */

/** Metrics of one evaluation. */
typedef struct {
	learn_algorithm algorithm;
	uint64_t rows;
	/* two-class, at LEARN_THRESHOLD */
	uint64_t tp, fn, fp, tn;
	double accuracy, precision, recall, f1, auc, log_loss;
	/* linear */
	double mae, rmse, rae, rse, r2;
} learn_metrics;

/**
 * An accumulator of (truth, score) pairs.  Memory: 16 bytes per pair, as
 * the exact AUC sorts all scores.
 */
typedef struct learn_eval learn_eval;

/** @return LEARN_OK, LEARN_EINVAL, LEARN_ENOMEM; *out: learn_eval_free(). */
learn_code learn_eval_new(learn_eval **out, learn_algorithm algorithm,
			  char *err);

/**
 * Add one pair: two-class, truth 1 (positive) or 0 and the probability of
 * the positive class in [0, 1]; linear, the true and the predicted value.
 *
 * @return LEARN_OK, LEARN_EINVAL (a value out of range, not finite),
 *         LEARN_ENOMEM
 */
learn_code learn_eval_add(learn_eval *e, double truth, double score, char *err);

/**
 * The metrics of the pairs added so far (more may be added after).
 * Two-class: counts, accuracy, precision (0 without predicted positives),
 * recall (0 without positives), F1 (0 when precision + recall is 0), AUC
 * by average ranks (ties count one half; NaN without both classes), log
 * loss averaged, probabilities clipped to [1e-15, 1 - 1e-15].  Linear:
 * MAE, RMSE, relative absolute and squared errors (against the mean of
 * the true values) and R^2 = 1 - RSE (NaN when the truth is constant).
 *
 * @return LEARN_OK, LEARN_EDATA (no pairs), LEARN_ENOMEM
 */
learn_code learn_eval_finish(learn_metrics *out, learn_eval *e, char *err);

/** Free an accumulator; accepts NULL. */
void learn_eval_free(learn_eval *e);

/**
 * Score a labelled CSV with @p m and evaluate: the label column is the
 * model's; rows with a missing label are skipped; a two-class label must
 * be one of the model's classes.
 *
 * @return LEARN_OK, LEARN_ECSV, LEARN_EDATA, LEARN_EIO, LEARN_ENOMEM
 */
learn_code learn_evaluate_csv(learn_metrics *out, const learn_model *m,
			      FILE *in, char *err);

/**
 * Write @p mt as Evaluate Model's result: a header and one row, CRLF.
 * Two-class: True Positive, False Negative, False Positive, True Negative,
 * Threshold, Accuracy, Precision, Recall, F1 Score, AUC, Average Log Loss.
 * Linear: Mean Absolute Error, Root Mean Squared Error, Relative Absolute
 * Error, Relative Squared Error, Coefficient of Determination.
 *
 * @return LEARN_OK or LEARN_EIO
 */
learn_code learn_metrics_write_csv(FILE *out, const learn_metrics *mt,
				   char *err);

/* --- census-like data (docs/census-data.md) ---------------------------- */

/**
 * Write @p rows census-like rows (the Adult Census Income columns, a
 * header first, LF line breaks) drawn deterministically from @p seed.  Version
 * "a" is the original relationship; in "b" the weights of education-num,
 * hours-per-week and occupation on income have drifted.
 *
 * @return LEARN_OK, LEARN_EINVAL (unknown version), LEARN_EIO
 */
learn_code learn_census_generate(FILE *out, const char *version, size_t rows,
				 uint64_t seed, char *err);

#ifdef __cplusplus
}
#endif

#endif
