/* SPDX-License-Identifier: MIT */
/* Models: layout, inspection, and the .ilearner format (docs/). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn_internal.h"

#define MAGIC "amlr-ilearner"
#define FORMAT_VERSION 1
#define MAX_FILE (64u << 20)
#define MAX_FEATURES 100000u

/* --- the model object --------------------------------------------------- */

struct learn_model *learn_model_alloc(void)
{
	return calloc(1, sizeof(struct learn_model));
}

void learn_model_free(learn_model *m)
{
	size_t i, k;

	if (!m)
		return;
	for (i = 0; i < m->n_features; i++) {
		free(m->features[i].name);
		for (k = 0; k < m->features[i].n_levels; k++)
			free(m->features[i].levels[k]);
		free(m->features[i].levels);
	}
	free(m->features);
	free(m->weights);
	free(m->label);
	free(m->classes[0]);
	free(m->classes[1]);
	free(m);
}

learn_code learn_model_layout(struct learn_model *m, char *err)
{
	struct learn_feature *f;
	size_t i, n = 0;

	for (i = 0; i < m->n_features; i++) {
		f = &m->features[i];
		f->offset = n;
		if (f->type == LEARN_TYPE_NUMERIC)
			f->width = 1;
		else
			f->width = f->n_levels + (f->has_other ? 1 : 0) +
				   (f->has_missing ? 1 : 0);
		n += f->width;
		if (n > LEARN_MAX_WEIGHTS) {
			learn_err_set(
				err,
				"too many encoded features (more than %u after one-hot encoding)",
				LEARN_MAX_WEIGHTS);
			return LEARN_EDATA;
		}
	}
	free(m->weights);
	m->n_weights = n;
	if (!(m->weights = calloc(n ? n : 1, sizeof(*m->weights)))) {
		learn_err_set(err, "out of memory");
		return LEARN_ENOMEM;
	}
	return LEARN_OK;
}

learn_algorithm learn_model_algorithm(const learn_model *m)
{
	return m->algorithm;
}

const char *learn_algorithm_name(learn_algorithm algorithm)
{
	switch (algorithm) {
	case LEARN_LOGISTIC_REGRESSION:
		return "two-class-logistic-regression";
	case LEARN_LINEAR_REGRESSION:
		return "linear-regression";
	}
	return "unknown";
}

const char *learn_model_label(const learn_model *m)
{
	return m->label;
}

const char *learn_model_class(const learn_model *m, int positive)
{
	if (m->algorithm != LEARN_LOGISTIC_REGRESSION)
		return NULL;
	return m->classes[positive ? 1 : 0];
}

size_t learn_model_feature_count(const learn_model *m)
{
	return m->n_features;
}

const char *learn_model_feature_name(const learn_model *m, size_t i)
{
	return i < m->n_features ? m->features[i].name : NULL;
}

learn_type learn_model_feature_type(const learn_model *m, size_t i)
{
	return i < m->n_features ? m->features[i].type : LEARN_TYPE_AUTO;
}

uint64_t learn_model_rows(const learn_model *m)
{
	return m->rows;
}

uint64_t learn_model_rows_skipped(const learn_model *m)
{
	return m->rows_skipped;
}

unsigned learn_model_iterations(const learn_model *m)
{
	return m->iterations;
}

int learn_model_converged(const learn_model *m)
{
	return m->converged;
}

learn_code learn_model_coef(double *out, const learn_model *m,
			    const char *column, const char *level, char *err)
{
	const struct learn_feature *f = NULL;
	size_t i;
	int k;

	for (i = 0; i < m->n_features && !f; i++)
		if (!strcmp(m->features[i].name, column))
			f = &m->features[i];
	if (!f) {
		learn_err_set(err, "no feature '%s' in the model", column);
		return LEARN_EINVAL;
	}
	if (f->type == LEARN_TYPE_NUMERIC) {
		if (level) {
			learn_err_set(err, "feature '%s' is numeric: no levels",
				      column);
			return LEARN_EINVAL;
		}
		*out = m->weights[f->offset] / f->scale;
		return LEARN_OK;
	}
	if (!level && f->has_other) {
		*out = m->weights[f->offset + f->n_levels];
		return LEARN_OK;
	}
	if (level && !*level && f->has_missing) {
		*out = m->weights[f->offset + f->width - 1];
		return LEARN_OK;
	}
	if (level && *level &&
	    (k = learn_encode_level(f, level, strlen(level))) >= 0) {
		*out = m->weights[f->offset + (size_t)k];
		return LEARN_OK;
	}
	learn_err_set(err, "feature '%s' has no level '%s'", column,
		      !level   ? "(other)"
		      : *level ? level
			       : "(missing)");
	return LEARN_EINVAL;
}

double learn_model_intercept(const learn_model *m)
{
	const struct learn_feature *f;
	double b = m->bias;
	size_t i;

	for (i = 0; i < m->n_features; i++) {
		f = &m->features[i];
		if (f->type == LEARN_TYPE_NUMERIC)
			b -= m->weights[f->offset] * f->center / f->scale;
	}
	return b;
}

/* --- writing ------------------------------------------------------------ */

struct sb {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

static void sb_grow(struct sb *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (!(p = realloc(b->p, cap))) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	sb_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void sb_double(struct sb *b, double v)
{
	char num[32];

	sb_printf(b, "%s", learn_format_double(num, sizeof(num), v));
}

/* A string in quotes: \" \\ and \xHH for control bytes; UTF-8 as is. */
static void sb_quoted(struct sb *b, const char *s)
{
	const unsigned char *p;

	sb_printf(b, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7F)
			sb_printf(b, "\\x%02x", *p);
		else
			sb_printf(b, "%c", *p);
	}
	sb_printf(b, "\"");
}

learn_code learn_model_save(char **out, size_t *len_out, const learn_model *m,
			    char *err)
{
	const struct learn_feature *f;
	struct sb b = { NULL, 0, 0, 0 };
	size_t i, k;
	uint32_t crc;

	*out = NULL;
	*len_out = 0;
	if (err)
		err[0] = '\0';
	sb_printf(&b, "%s %d\n", MAGIC, FORMAT_VERSION);
	sb_printf(&b, "algorithm %s\n", learn_algorithm_name(m->algorithm));
	sb_printf(&b, "label ");
	sb_quoted(&b, m->label);
	if (m->algorithm == LEARN_LOGISTIC_REGRESSION) {
		sb_printf(&b, "\nnegative-class ");
		sb_quoted(&b, m->classes[0]);
		sb_printf(&b, "\npositive-class ");
		sb_quoted(&b, m->classes[1]);
	}
	sb_printf(&b, "\nl2 ");
	sb_double(&b, m->l2);
	sb_printf(&b, "\ntolerance ");
	sb_double(&b, m->tolerance);
	sb_printf(&b, "\nmax-iterations %u\nmax-levels %u\n", m->max_iterations,
		  m->max_levels);
	sb_printf(&b, "categorical-missing %s\n",
		  m->categorical_missing == LEARN_MISSING_ZERO ? "zero"
							       : "level");
	sb_printf(&b, "rows %" PRIu64 "\nrows-skipped %" PRIu64 "\n", m->rows,
		  m->rows_skipped);
	sb_printf(&b, "iterations %u\nconverged %s\nbias ", m->iterations,
		  m->converged ? "yes" : "no");
	sb_double(&b, m->bias);
	sb_printf(&b, "\nfeatures %zu\n", m->n_features);
	for (i = 0; i < m->n_features; i++) {
		f = &m->features[i];
		if (f->type == LEARN_TYPE_NUMERIC) {
			sb_printf(&b, "numeric ");
			sb_quoted(&b, f->name);
			sb_printf(&b, " center ");
			sb_double(&b, f->center);
			sb_printf(&b, " scale ");
			sb_double(&b, f->scale);
			sb_printf(&b, " impute ");
			sb_double(&b, f->impute);
			sb_printf(&b, " weight ");
			sb_double(&b, m->weights[f->offset]);
			sb_printf(&b, "\n");
			continue;
		}
		sb_printf(&b, "categorical ");
		sb_quoted(&b, f->name);
		sb_printf(&b, " levels %zu other %s missing %s\n", f->n_levels,
			  f->has_other ? "yes" : "no",
			  f->has_missing ? "yes" : "no");
		for (k = 0; k < f->n_levels; k++) {
			sb_printf(&b, "level ");
			sb_quoted(&b, f->levels[k]);
			sb_printf(&b, " ");
			sb_double(&b, m->weights[f->offset + k]);
			sb_printf(&b, "\n");
		}
		if (f->has_other) {
			sb_printf(&b, "other ");
			sb_double(&b, m->weights[f->offset + f->n_levels]);
			sb_printf(&b, "\n");
		}
		if (f->has_missing) {
			sb_printf(&b, "missing ");
			sb_double(&b, m->weights[f->offset + f->width - 1]);
			sb_printf(&b, "\n");
		}
	}
	if (!b.oom) {
		crc = learn_crc32_update(0, b.p, b.len);
		sb_printf(&b, "checksum crc32 %08" PRIx32 "\n", crc);
	}
	if (b.oom) {
		free(b.p);
		learn_err_set(err, "out of memory");
		return LEARN_ENOMEM;
	}
	*out = b.p;
	*len_out = b.len;
	return LEARN_OK;
}

learn_code learn_model_write(FILE *out, const learn_model *m, char *err)
{
	learn_code rc;
	char *data = NULL;
	size_t len;

	if ((rc = learn_model_save(&data, &len, m, err)) != LEARN_OK)
		goto done;
	if (fwrite(data, 1, len, out) != len || fflush(out) != 0) {
		learn_err_set(err, "cannot write the model: %s",
			      strerror(errno));
		rc = LEARN_EIO;
	}
done:
	free(data);
	return rc;
}

/* --- reading ------------------------------------------------------------ */

/* A cursor over the lines of the body; one line at a time. */
struct lex {
	const char *p; /* next byte of the current line */
	const char *eol; /* its '\n' */
	const char *next; /* the next line */
	const char *end; /* end of the body */
	unsigned long line;
	char *err;
};

static learn_code bad(struct lex *lx, const char *what)
{
	learn_err_set(lx->err, "invalid .ilearner: line %lu: %s", lx->line,
		      what);
	return LEARN_EMODEL;
}

/* Start the next line, which must begin with @p keyword and a space. */
static learn_code line_start(struct lex *lx, const char *keyword)
{
	size_t kl = strlen(keyword);
	char msg[96];

	if (lx->next >= lx->end) {
		snprintf(msg, sizeof(msg), "'%s' expected, the content ended",
			 keyword);
		lx->line++;
		return bad(lx, msg);
	}
	lx->p = lx->next;
	lx->eol = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
	if (!lx->eol)
		lx->eol = lx->end;
	lx->next = lx->eol + 1;
	lx->line++;
	if ((size_t)(lx->eol - lx->p) <= kl || memcmp(lx->p, keyword, kl) ||
	    lx->p[kl] != ' ') {
		snprintf(msg, sizeof(msg), "'%s' expected", keyword);
		return bad(lx, msg);
	}
	lx->p += kl + 1;
	return LEARN_OK;
}

/* Peek: does the next line begin with @p keyword and a space? */
static int line_is(const struct lex *lx, const char *keyword)
{
	size_t kl = strlen(keyword);

	return (size_t)(lx->end - lx->next) > kl &&
	       !memcmp(lx->next, keyword, kl) && lx->next[kl] == ' ';
}

/* The next space-separated token (not a quoted string). */
static learn_code token(struct lex *lx, const char **s, size_t *len)
{
	const char *q = lx->p;

	while (q < lx->eol && *q != ' ')
		q++;
	if (q == lx->p)
		return bad(lx, "a value is missing");
	*s = lx->p;
	*len = (size_t)(q - lx->p);
	lx->p = q < lx->eol ? q + 1 : q;
	return LEARN_OK;
}

static learn_code word(struct lex *lx, const char *want)
{
	const char *s;
	size_t len;
	char msg[64];

	if (token(lx, &s, &len) != LEARN_OK || learn_value_cmp(s, len, want)) {
		snprintf(msg, sizeof(msg), "'%s' expected", want);
		return bad(lx, msg);
	}
	return LEARN_OK;
}

static learn_code eol(struct lex *lx)
{
	if (lx->p != lx->eol)
		return bad(lx, "unexpected text at the end of the line");
	return LEARN_OK;
}

static learn_code number(struct lex *lx, double *out)
{
	const char *s;
	size_t len;
	char buf[40];

	if (token(lx, &s, &len) != LEARN_OK)
		return LEARN_EMODEL;
	if (len >= sizeof(buf))
		return bad(lx, "a number is too long");
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!learn_value_number(out, buf, len))
		return bad(lx, "a finite number expected");
	return LEARN_OK;
}

static learn_code count(struct lex *lx, uint64_t *out, uint64_t max)
{
	const char *s;
	size_t len, i;
	uint64_t v = 0;

	if (token(lx, &s, &len) != LEARN_OK)
		return LEARN_EMODEL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10)
			return bad(lx, "a count is out of range");
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return LEARN_OK;
}

static learn_code yesno(struct lex *lx, int *out)
{
	const char *s;
	size_t len;

	if (token(lx, &s, &len) != LEARN_OK)
		return LEARN_EMODEL;
	if (!learn_value_cmp(s, len, "yes"))
		*out = 1;
	else if (!learn_value_cmp(s, len, "no"))
		*out = 0;
	else
		return bad(lx, "'yes' or 'no' expected");
	return LEARN_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A quoted string; *out is a new NUL-terminated copy. */
static learn_code quoted(struct lex *lx, char **out)
{
	const char *q = lx->p;
	char *s, *w;
	int h1, h2;

	if (q >= lx->eol || *q != '"')
		return bad(lx, "a quoted string expected");
	if (!(s = malloc((size_t)(lx->eol - q) + 1))) {
		learn_err_set(lx->err, "out of memory");
		return LEARN_ENOMEM;
	}
	w = s;
	for (q++; q < lx->eol && *q != '"'; q++) {
		if (*q == '\0' || (unsigned char)*q < 0x20)
			break;
		if (*q != '\\') {
			*w++ = *q;
			continue;
		}
		if (q + 1 < lx->eol && (q[1] == '"' || q[1] == '\\')) {
			*w++ = *++q;
		} else if (q + 3 < lx->eol && q[1] == 'x' &&
			   (h1 = hexval(q[2])) >= 0 &&
			   (h2 = hexval(q[3])) >= 0 && (h1 || h2)) {
			*w++ = (char)(h1 * 16 + h2);
			q += 3;
		} else {
			break;
		}
	}
	if (q >= lx->eol || *q != '"') {
		free(s);
		return bad(lx, "a malformed quoted string");
	}
	*w = '\0';
	q++;
	if (q < lx->eol) {
		if (*q != ' ') {
			free(s);
			return bad(lx, "a space expected after a string");
		}
		q++;
	}
	lx->p = q;
	*out = s;
	return LEARN_OK;
}

static learn_code parse_feature(struct lex *lx, struct learn_feature *f,
				double *weights, size_t *n_weights)
{
	learn_code rc;
	uint64_t n;
	size_t k;

	if (line_is(lx, "numeric")) {
		f->type = LEARN_TYPE_NUMERIC;
		if ((rc = line_start(lx, "numeric")) ||
		    (rc = quoted(lx, &f->name)) || (rc = word(lx, "center")) ||
		    (rc = number(lx, &f->center)) || (rc = word(lx, "scale")) ||
		    (rc = number(lx, &f->scale)) || (rc = word(lx, "impute")) ||
		    (rc = number(lx, &f->impute)) ||
		    (rc = word(lx, "weight")) ||
		    (rc = number(lx, &weights[*n_weights])) || (rc = eol(lx)))
			return rc;
		if (!(f->scale > 0))
			return bad(lx, "a scale must be positive");
		(*n_weights)++;
		return LEARN_OK;
	}
	f->type = LEARN_TYPE_CATEGORICAL;
	if ((rc = line_start(lx, "categorical")) ||
	    (rc = quoted(lx, &f->name)) || (rc = word(lx, "levels")) ||
	    (rc = count(lx, &n, LEARN_MAX_WEIGHTS)) ||
	    (rc = word(lx, "other")) || (rc = yesno(lx, &f->has_other)) ||
	    (rc = word(lx, "missing")) || (rc = yesno(lx, &f->has_missing)) ||
	    (rc = eol(lx)))
		return rc;
	if (*n_weights + n + (unsigned)f->has_other + (unsigned)f->has_missing >
	    LEARN_MAX_WEIGHTS)
		return bad(lx, "too many weights");
	if (n && !(f->levels = calloc((size_t)n, sizeof(*f->levels)))) {
		learn_err_set(lx->err, "out of memory");
		return LEARN_ENOMEM;
	}
	for (k = 0; k < n; k++) {
		if ((rc = line_start(lx, "level")) ||
		    (rc = quoted(lx, &f->levels[k])))
			return rc;
		f->n_levels = k + 1;
		if ((rc = number(lx, &weights[(*n_weights)++])) ||
		    (rc = eol(lx)))
			return rc;
		if (!f->levels[k][0])
			return bad(lx, "an empty level");
		if (k && strcmp(f->levels[k - 1], f->levels[k]) >= 0)
			return bad(lx, "levels are not in sorted order");
	}
	if (f->has_other &&
	    ((rc = line_start(lx, "other")) ||
	     (rc = number(lx, &weights[(*n_weights)++])) || (rc = eol(lx))))
		return rc;
	if (f->has_missing &&
	    ((rc = line_start(lx, "missing")) ||
	     (rc = number(lx, &weights[(*n_weights)++])) || (rc = eol(lx))))
		return rc;
	return LEARN_OK;
}

static learn_code parse_body(struct learn_model *m, struct lex *lx)
{
	double *weights = NULL;
	size_t n_weights = 0, i;
	const char *s;
	size_t len;
	uint64_t n;
	learn_code rc;
	char msg[96];
	int b;

	if ((rc = line_start(lx, "algorithm")) || (rc = token(lx, &s, &len)))
		goto done;
	if (!learn_value_cmp(s, len, "two-class-logistic-regression")) {
		m->algorithm = LEARN_LOGISTIC_REGRESSION;
	} else if (!learn_value_cmp(s, len, "linear-regression")) {
		m->algorithm = LEARN_LINEAR_REGRESSION;
	} else {
		snprintf(msg, sizeof(msg), "unknown algorithm '%.*s'",
			 (int)(len > 40 ? 40 : len), s);
		rc = bad(lx, msg);
		goto done;
	}
	if ((rc = eol(lx)) || (rc = line_start(lx, "label")) ||
	    (rc = quoted(lx, &m->label)) || (rc = eol(lx)))
		goto done;
	if (m->algorithm == LEARN_LOGISTIC_REGRESSION &&
	    ((rc = line_start(lx, "negative-class")) ||
	     (rc = quoted(lx, &m->classes[0])) || (rc = eol(lx)) ||
	     (rc = line_start(lx, "positive-class")) ||
	     (rc = quoted(lx, &m->classes[1])) || (rc = eol(lx))))
		goto done;
	if (m->algorithm == LEARN_LOGISTIC_REGRESSION &&
	    !strcmp(m->classes[0], m->classes[1])) {
		rc = bad(lx, "the two classes are the same");
		goto done;
	}
	if ((rc = line_start(lx, "l2")) || (rc = number(lx, &m->l2)) ||
	    (rc = eol(lx)))
		goto done;
	if (m->l2 < 0) {
		rc = bad(lx, "a negative L2 weight");
		goto done;
	}
	if ((rc = line_start(lx, "tolerance")) ||
	    (rc = number(lx, &m->tolerance)) || (rc = eol(lx)) ||
	    (rc = line_start(lx, "max-iterations")) ||
	    (rc = count(lx, &n, UINT32_MAX)) || (rc = eol(lx)))
		goto done;
	m->max_iterations = (unsigned)n;
	if ((rc = line_start(lx, "max-levels")) ||
	    (rc = count(lx, &n, UINT32_MAX)) || (rc = eol(lx)))
		goto done;
	m->max_levels = (unsigned)n;
	if ((rc = line_start(lx, "categorical-missing")) ||
	    (rc = token(lx, &s, &len)))
		goto done;
	if (!learn_value_cmp(s, len, "level")) {
		m->categorical_missing = LEARN_MISSING_LEVEL;
	} else if (!learn_value_cmp(s, len, "zero")) {
		m->categorical_missing = LEARN_MISSING_ZERO;
	} else {
		rc = bad(lx, "'level' or 'zero' expected");
		goto done;
	}
	if ((rc = eol(lx)) || (rc = line_start(lx, "rows")) ||
	    (rc = count(lx, &m->rows, UINT64_MAX)) || (rc = eol(lx)) ||
	    (rc = line_start(lx, "rows-skipped")) ||
	    (rc = count(lx, &m->rows_skipped, UINT64_MAX)) || (rc = eol(lx)) ||
	    (rc = line_start(lx, "iterations")) ||
	    (rc = count(lx, &n, UINT32_MAX)) || (rc = eol(lx)))
		goto done;
	m->iterations = (unsigned)n;
	if ((rc = line_start(lx, "converged")) || (rc = yesno(lx, &b)) ||
	    (rc = eol(lx)) || (rc = line_start(lx, "bias")) ||
	    (rc = number(lx, &m->bias)) || (rc = eol(lx)) ||
	    (rc = line_start(lx, "features")) ||
	    (rc = count(lx, &n, MAX_FEATURES)) || (rc = eol(lx)))
		goto done;
	m->converged = b;
	rc = LEARN_ENOMEM;
	if ((n && !(m->features = calloc((size_t)n, sizeof(*m->features)))) ||
	    !(weights = calloc(LEARN_MAX_WEIGHTS, sizeof(*weights)))) {
		learn_err_set(lx->err, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		m->n_features = i + 1;
		if ((rc = parse_feature(lx, &m->features[i], weights,
					&n_weights)) != LEARN_OK)
			goto done;
	}
	if (lx->next < lx->end) {
		lx->line++;
		rc = bad(lx, "unexpected line after the last feature");
		goto done;
	}
	if ((rc = learn_model_layout(m, lx->err)) != LEARN_OK)
		goto done;
	if (m->n_weights != n_weights) {
		rc = bad(lx, "inconsistent number of weights");
		goto done;
	}
	if (n_weights)
		memcpy(m->weights, weights, n_weights * sizeof(*weights));
	rc = LEARN_OK;
done:
	free(weights);
	return rc;
}

learn_code learn_model_load(learn_model **out, const char *data, size_t len,
			    char *err)
{
	struct learn_model *m = NULL;
	struct lex lx;
	const char *nl, *last, *body;
	unsigned long version = 0;
	size_t ml = strlen(MAGIC), i;
	uint32_t stored = 0, crc;
	learn_code rc = LEARN_EMODEL;
	int h;

	*out = NULL;
	if (err)
		err[0] = '\0';
	if (len == 0) {
		learn_err_set(err, "not an .ilearner: the file is empty");
		goto done;
	}
	if (len <= ml || memcmp(data, MAGIC, ml) || data[ml] != ' ') {
		learn_err_set(err, "not an .ilearner: no '%s' header", MAGIC);
		goto done;
	}
	for (i = ml + 1;
	     i < len && data[i] >= '0' && data[i] <= '9' && version < 1000000;
	     i++)
		version = version * 10 + (unsigned long)(data[i] - '0');
	if (i == ml + 1 || i >= len || data[i] != '\n') {
		learn_err_set(err, "not an .ilearner: malformed '%s' header",
			      MAGIC);
		goto done;
	}
	if (version != FORMAT_VERSION) {
		learn_err_set(
			err,
			"unsupported .ilearner format version %lu (this build reads version %d)",
			version, FORMAT_VERSION);
		goto done;
	}
	body = data + i + 1;
	/* The last line is "checksum crc32 XXXXXXXX\n" over all before it. */
	last = NULL;
	if (data[len - 1] == '\n') {
		last = data + len - 1;
		while (last > body && last[-1] != '\n')
			last--;
	}
	if (!last || (size_t)(data + len - last) != 24 ||
	    memcmp(last, "checksum crc32 ", 15)) {
		learn_err_set(
			err,
			"truncated .ilearner: the checksum line is missing");
		goto done;
	}
	for (i = 15; i < 23; i++) {
		if ((h = hexval(last[i])) < 0) {
			learn_err_set(
				err,
				"truncated .ilearner: the checksum line is malformed");
			goto done;
		}
		stored = stored << 4 | (uint32_t)h;
	}
	crc = learn_crc32_update(0, data, (size_t)(last - data));
	if (crc != stored) {
		learn_err_set(
			err,
			"corrupted .ilearner: checksum mismatch (stored %08" PRIx32
			", computed %08" PRIx32 ")",
			stored, crc);
		goto done;
	}
	if (!(m = learn_model_alloc())) {
		learn_err_set(err, "out of memory");
		rc = LEARN_ENOMEM;
		goto done;
	}
	nl = body;
	lx.p = lx.eol = NULL;
	lx.next = nl;
	lx.end = last;
	lx.line = 1;
	lx.err = err;
	if ((rc = parse_body(m, &lx)) != LEARN_OK)
		goto done;
	*out = m;
	m = NULL;
done:
	learn_model_free(m);
	return rc;
}

learn_code learn_model_read(learn_model **out, FILE *in, char *err)
{
	char *buf = NULL, *p;
	size_t len = 0, cap = 0, n;
	learn_code rc;

	*out = NULL;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE) {
				learn_err_set(
					err,
					"not an .ilearner: larger than %u bytes",
					MAX_FILE);
				rc = LEARN_EMODEL;
				goto done;
			}
			cap = cap ? cap * 2 : 8192;
			if (!(p = realloc(buf, cap))) {
				learn_err_set(err, "out of memory");
				rc = LEARN_ENOMEM;
				goto done;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, in);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		learn_err_set(err, "cannot read the model: %s",
			      strerror(errno));
		rc = LEARN_EIO;
		goto done;
	}
	rc = learn_model_load(out, buf ? buf : "", len, err);
done:
	free(buf);
	return rc;
}
