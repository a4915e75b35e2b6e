/* SPDX-License-Identifier: MIT */
/* Training: schema pass, then ridge normal equations or damped Newton. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "learn_internal.h"

/*
 * Distinct values tracked per column in the first pass.  Beyond, new
 * values are only counted: a categorical column that rich keeps its most
 * frequent tracked levels and sends the rest to "other".
 */
#define DISTINCT_CAP 4096u

struct strset_entry {
	char *key;
	uint64_t count;
};

struct strset {
	struct strset_entry *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
	uint64_t untracked; /* values not tracked for want of room */
};

struct colstat {
	int used;
	learn_type type; /* declared, or AUTO */
	uint64_t missing;
	uint64_t non_numeric;
	uint64_t n_num;
	double mean; /* Welford over the numeric values */
	double m2;
	struct strset levels;
};

/*
 * The encoded rows, kept while they fit in opts->cache_bytes, so that the
 * Newton iterations after the first need not parse the CSV again.  Past
 * the budget the cache is dropped and every pass streams: memory stays
 * bounded whatever the size of the data.  Either way the sums are the
 * same, in the same order: the model does not depend on the budget.
 */
enum cache_state { CACHE_BUILDING, CACHE_COMPLETE, CACHE_OFF };

struct cache {
	enum cache_state state;
	size_t rows;
	size_t nnz;
	size_t cap_rows;
	size_t cap_nnz;
	size_t *start; /* rows + 1 */
	uint32_t *idx;
	double *val;
	double *y;
	size_t limit;
};

struct trainer {
	FILE *in;
	off_t start;
	const learn_train_opts *o;
	struct learn_model *m;
	size_t n_columns;
	size_t label_col;
	size_t *cols; /* feature -> column */
	struct colstat *stats; /* per column */
	struct learn_sparse x;
	struct cache cache;
	double l2;
	char *err;
};

/* --- a counting set of strings ------------------------------------------ */

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

static learn_code strset_grow(struct strset *set)
{
	struct strset_entry *old = set->slots, *slots;
	size_t cap = set->cap ? set->cap * 2 : 16, i, j;

	if (!(slots = calloc(cap, sizeof(*slots))))
		return LEARN_ENOMEM;
	for (i = 0; i < set->cap; i++) {
		if (!old[i].key)
			continue;
		j = hash(old[i].key, strlen(old[i].key)) & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = old[i];
	}
	free(old);
	set->slots = slots;
	set->cap = cap;
	return LEARN_OK;
}

static learn_code strset_add(struct strset *set, const char *s, size_t len)
{
	size_t j;
	char *key;

	if (set->cap) {
		j = hash(s, len) & (set->cap - 1);
		for (; set->slots[j].key; j = (j + 1) & (set->cap - 1)) {
			if (!learn_value_cmp(s, len, set->slots[j].key)) {
				set->slots[j].count++;
				return LEARN_OK;
			}
		}
	}
	if (set->n >= DISTINCT_CAP) {
		set->untracked++;
		return LEARN_OK;
	}
	if ((set->n + 1) * 2 > set->cap) {
		if (strset_grow(set) != LEARN_OK)
			return LEARN_ENOMEM;
	}
	if (!(key = malloc(len + 1)))
		return LEARN_ENOMEM;
	memcpy(key, s, len);
	key[len] = '\0';
	j = hash(s, len) & (set->cap - 1);
	while (set->slots[j].key)
		j = (j + 1) & (set->cap - 1);
	set->slots[j].key = key;
	set->slots[j].count = 1;
	set->n++;
	return LEARN_OK;
}

static void strset_release(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i].key);
	free(set->slots);
	set->slots = NULL;
	set->cap = set->n = 0;
}

/* The entries, packed (pointers into the set). */
static struct strset_entry *strset_entries(const struct strset *set)
{
	struct strset_entry *e;
	size_t i, n = 0;

	if (!(e = calloc(set->n ? set->n : 1, sizeof(*e))))
		return NULL;
	for (i = 0; i < set->cap; i++)
		if (set->slots[i].key)
			e[n++] = set->slots[i];
	return e;
}

static int by_count_then_key(const void *a, const void *b)
{
	const struct strset_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int by_entry_key(const void *a, const void *b)
{
	const struct strset_entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* --- options and columns ------------------------------------------------- */

static int header_find(const char *const *header, size_t n, const char *name,
		       size_t *col, int *twice)
{
	const char *s;
	size_t c, len;
	int found = 0;

	*twice = 0;
	for (c = 0; c < n; c++) {
		s = learn_value_trim(header[c], &len);
		if (learn_value_cmp(s, len, name))
			continue;
		if (found)
			*twice = 1;
		else
			*col = c;
		found = 1;
	}
	return found;
}

static learn_code find_column(size_t *col, const char *const *header, size_t n,
			      const char *name, char *err)
{
	int twice;

	if (!header_find(header, n, name, col, &twice)) {
		learn_err_set(err, "no column '%s' in the header", name);
		return LEARN_EDATA;
	}
	if (twice) {
		learn_err_set(err, "column '%s' appears twice in the header",
			      name);
		return LEARN_EDATA;
	}
	return LEARN_OK;
}

static learn_code check_opts(const learn_train_opts *o, char *err)
{
	if (o->algorithm != LEARN_LOGISTIC_REGRESSION &&
	    o->algorithm != LEARN_LINEAR_REGRESSION) {
		learn_err_set(err, "unknown algorithm %d", (int)o->algorithm);
		return LEARN_EINVAL;
	}
	if (!o->label || !*o->label) {
		learn_err_set(err, "no label column given");
		return LEARN_EINVAL;
	}
	if (o->algorithm == LEARN_LINEAR_REGRESSION && o->positive_class) {
		learn_err_set(err, "a positive class needs two-class "
				   "logistic regression");
		return LEARN_EINVAL;
	}
	if (isnan(o->l2) || isinf(o->l2)) {
		learn_err_set(err, "the L2 weight must be a finite number");
		return LEARN_EINVAL;
	}
	if (!(o->tolerance > 0) || isinf(o->tolerance)) {
		learn_err_set(err, "the tolerance must be above 0");
		return LEARN_EINVAL;
	}
	if (o->max_levels < 1) {
		learn_err_set(err, "max_levels must be at least 1");
		return LEARN_EINVAL;
	}
	if (o->categorical_missing != LEARN_MISSING_LEVEL &&
	    o->categorical_missing != LEARN_MISSING_ZERO) {
		learn_err_set(err, "unknown missing-value policy %d",
			      (int)o->categorical_missing);
		return LEARN_EINVAL;
	}
	if (o->n_features && !o->features) {
		learn_err_set(err, "n_features without features");
		return LEARN_EINVAL;
	}
	if (o->n_types && !o->types) {
		learn_err_set(err, "n_types without types");
		return LEARN_EINVAL;
	}
	return LEARN_OK;
}

/* Label and feature columns from the header; names into the model. */
static learn_code resolve_columns(struct trainer *t, const learn_csv *csv)
{
	const learn_train_opts *o = t->o;
	const char *const *header = learn_csv_header(csv);
	size_t n = learn_csv_columns(csv), i, k, c, nf = 0, len;
	struct learn_model *m = t->m;
	const char *s;
	learn_code rc;

	t->n_columns = n;
	if (!(t->stats = calloc(n, sizeof(*t->stats))) ||
	    !(t->cols = calloc(n, sizeof(*t->cols))) ||
	    !(m->features = calloc(n, sizeof(*m->features))) ||
	    !(m->label = strdup(o->label))) {
		learn_err_set(t->err, "out of memory");
		return LEARN_ENOMEM;
	}
	if ((rc = find_column(&t->label_col, header, n, o->label, t->err)))
		return rc;
	t->stats[t->label_col].used = 1;
	if (o->features) {
		for (i = 0; i < o->n_features; i++) {
			if ((rc = find_column(&c, header, n, o->features[i],
					      t->err)))
				return rc;
			if (c == t->label_col) {
				learn_err_set(
					t->err,
					"column '%s' is the label, not a feature",
					o->features[i]);
				return LEARN_EINVAL;
			}
			if (t->stats[c].used) {
				learn_err_set(t->err,
					      "feature '%s' is named twice",
					      o->features[i]);
				return LEARN_EINVAL;
			}
			t->stats[c].used = 1;
			t->cols[nf++] = c;
		}
	} else {
		for (c = 0; c < n; c++) {
			s = learn_value_trim(header[c], &len);
			/* an unnamed column is an index, not a feature */
			if (c == t->label_col || len == 0)
				continue;
			t->stats[c].used = 1;
			t->cols[nf++] = c;
		}
	}
	if (nf == 0) {
		learn_err_set(t->err, "no feature columns besides label '%s'",
			      o->label);
		return LEARN_EDATA;
	}
	for (k = 0; k < nf; k++) {
		s = learn_value_trim(header[t->cols[k]], &len);
		if (!(m->features[k].name = malloc(len + 1))) {
			learn_err_set(t->err, "out of memory");
			return LEARN_ENOMEM;
		}
		memcpy(m->features[k].name, s, len);
		m->features[k].name[len] = '\0';
		m->n_features = k + 1;
		for (i = 0; i < k; i++) {
			if (strcmp(m->features[i].name, m->features[k].name))
				continue;
			learn_err_set(t->err,
				      "column '%s' appears twice in the header",
				      m->features[k].name);
			return LEARN_EDATA;
		}
	}
	for (i = 0; i < o->n_types; i++) {
		if (!o->types[i].name ||
		    !header_find(header, n, o->types[i].name, &c,
				 &(int){ 0 })) {
			learn_err_set(
				t->err,
				"a type is declared for '%s', which is not a column",
				o->types[i].name ? o->types[i].name : "(null)");
			return LEARN_EINVAL;
		}
		if (o->types[i].type != LEARN_TYPE_AUTO &&
		    o->types[i].type != LEARN_TYPE_NUMERIC &&
		    o->types[i].type != LEARN_TYPE_CATEGORICAL) {
			learn_err_set(t->err, "unknown type %d for '%s'",
				      (int)o->types[i].type, o->types[i].name);
			return LEARN_EINVAL;
		}
		t->stats[c].type = o->types[i].type;
	}
	return LEARN_OK;
}

/* --- the first pass: types, levels, means -------------------------------- */

static learn_code open_pass(learn_csv **csv, struct trainer *t)
{
	if (fseeko(t->in, t->start, SEEK_SET) != 0) {
		learn_err_set(t->err, "cannot rewind the training input: %s",
			      strerror(errno));
		return LEARN_EIO;
	}
	clearerr(t->in);
	return learn_csv_open(csv, t->in, t->err);
}

static learn_code label_class(struct trainer *t, const char *s, size_t len,
			      unsigned long line)
{
	struct strset *set = &t->stats[t->label_col].levels;
	struct strset_entry *e = NULL;
	learn_code rc;
	size_t j;

	if (set->n == 2) {
		j = hash(s, len) & (set->cap - 1);
		for (; set->slots[j].key; j = (j + 1) & (set->cap - 1))
			if (!learn_value_cmp(s, len, set->slots[j].key))
				return strset_add(set, s, len);
		if (!(e = strset_entries(set))) {
			learn_err_set(t->err, "out of memory");
			return LEARN_ENOMEM;
		}
		qsort(e, 2, sizeof(*e), by_entry_key);
		learn_err_set(
			t->err,
			"line %lu: label '%s' has a third class '%.*s' (two-class logistic regression: '%s', '%s' so far)",
			line, t->o->label, (int)(len > 64 ? 64 : len), s,
			e[0].key, e[1].key);
		free(e);
		return LEARN_EDATA;
	}
	if ((rc = strset_add(set, s, len)) != LEARN_OK)
		learn_err_set(t->err, "out of memory");
	return rc;
}

static learn_code stat_value(struct trainer *t, struct colstat *st, size_t c,
			     const char *s, size_t len, unsigned long line,
			     const char *const *header)
{
	double v, d;

	if (learn_value_missing(s, len)) {
		st->missing++;
		return LEARN_OK;
	}
	if (st->type != LEARN_TYPE_CATEGORICAL) {
		if (learn_value_number(&v, s, len)) {
			st->n_num++;
			d = v - st->mean;
			st->mean += d / (double)st->n_num;
			st->m2 += d * (v - st->mean);
		} else if (st->type == LEARN_TYPE_NUMERIC) {
			learn_err_set(
				t->err,
				"line %lu: column '%s': '%.*s' is not a number",
				line, header[c], (int)(len > 64 ? 64 : len), s);
			return LEARN_EDATA;
		} else {
			st->non_numeric++;
		}
	}
	if (st->type != LEARN_TYPE_NUMERIC &&
	    strset_add(&st->levels, s, len) != LEARN_OK) {
		learn_err_set(t->err, "out of memory");
		return LEARN_ENOMEM;
	}
	return LEARN_OK;
}

static learn_code first_pass(struct trainer *t)
{
	const char *const *f;
	const char *const *header;
	learn_csv *csv = NULL;
	struct learn_model *m = t->m;
	const char *s;
	size_t k, len;
	unsigned long line;
	learn_code rc;
	double v;

	if ((rc = open_pass(&csv, t)) != LEARN_OK)
		goto done;
	if ((rc = resolve_columns(t, csv)) != LEARN_OK)
		goto done;
	header = learn_csv_header(csv);
	for (;;) {
		if ((rc = learn_csv_next(&f, csv, t->err)) != LEARN_OK)
			goto done;
		if (!f)
			break;
		line = learn_csv_line(csv);
		s = learn_value_trim(f[t->label_col], &len);
		if (learn_value_missing(s, len)) {
			m->rows_skipped++;
			continue;
		}
		if (t->o->algorithm == LEARN_LOGISTIC_REGRESSION) {
			if ((rc = label_class(t, s, len, line)) != LEARN_OK)
				goto done;
		} else if (!learn_value_number(&v, s, len)) {
			learn_err_set(
				t->err,
				"line %lu: label '%s': '%.*s' is not a number",
				line, t->o->label, (int)(len > 64 ? 64 : len),
				s);
			rc = LEARN_EDATA;
			goto done;
		}
		m->rows++;
		for (k = 0; k < m->n_features; k++) {
			s = learn_value_trim(f[t->cols[k]], &len);
			if ((rc = stat_value(t, &t->stats[t->cols[k]],
					     t->cols[k], s, len, line,
					     header)) != LEARN_OK)
				goto done;
		}
	}
	if (m->rows == 0) {
		learn_err_set(t->err,
			      "no rows to train on (%llu without a label '%s')",
			      (unsigned long long)m->rows_skipped, t->o->label);
		rc = LEARN_EDATA;
	}
done:
	learn_csv_free(csv);
	return rc;
}

/* --- the schema ---------------------------------------------------------- */

static learn_code choose_classes(struct trainer *t)
{
	const struct strset *set = &t->stats[t->label_col].levels;
	struct strset_entry *e = NULL;
	struct learn_model *m = t->m;
	const char *want = t->o->positive_class, *s;
	size_t len;
	double a, b;
	int pos;
	learn_code rc = LEARN_EDATA;

	if (!(e = strset_entries(set))) {
		learn_err_set(t->err, "out of memory");
		return LEARN_ENOMEM;
	}
	qsort(e, set->n, sizeof(*e), by_entry_key);
	if (set->n < 2) {
		learn_err_set(
			t->err,
			"label '%s' has one class only ('%s'): two-class logistic regression needs two",
			t->o->label, e[0].key);
		goto done;
	}
	if (want) {
		s = learn_value_trim(want, &len);
		if (!learn_value_cmp(s, len, e[0].key)) {
			pos = 0;
		} else if (!learn_value_cmp(s, len, e[1].key)) {
			pos = 1;
		} else {
			learn_err_set(
				t->err,
				"positive class '%s' is not a value of label '%s' ('%s', '%s')",
				want, t->o->label, e[0].key, e[1].key);
			goto done;
		}
	} else if (learn_value_number(&a, e[0].key, strlen(e[0].key)) &&
		   learn_value_number(&b, e[1].key, strlen(e[1].key)) &&
		   a != b) {
		pos = a > b ? 0 : 1;
	} else {
		pos = strcmp(e[0].key, e[1].key) > 0 ? 0 : 1;
	}
	rc = LEARN_ENOMEM;
	if (!(m->classes[1] = strdup(e[pos].key)) ||
	    !(m->classes[0] = strdup(e[1 - pos].key))) {
		learn_err_set(t->err, "out of memory");
		goto done;
	}
	rc = LEARN_OK;
done:
	free(e);
	return rc;
}

static learn_code make_levels(struct trainer *t, struct learn_feature *f,
			      const struct colstat *st)
{
	struct strset_entry *e = NULL;
	size_t n = st->levels.n, keep, i;
	learn_code rc = LEARN_ENOMEM;

	if (!(e = strset_entries(&st->levels)))
		goto oom;
	keep = n < t->o->max_levels ? n : t->o->max_levels;
	/* the most frequent levels, ties in byte order, listed sorted */
	qsort(e, n, sizeof(*e), by_count_then_key);
	if (keep && !(f->levels = calloc(keep, sizeof(*f->levels))))
		goto oom;
	for (i = 0; i < keep; i++) {
		if (!(f->levels[i] = strdup(e[i].key)))
			goto oom;
		f->n_levels = i + 1;
	}
	qsort(f->levels, keep, sizeof(*f->levels), by_key);
	f->has_other = n > keep || st->levels.untracked > 0;
	f->has_missing = t->o->categorical_missing == LEARN_MISSING_LEVEL &&
			 st->missing > 0;
	rc = LEARN_OK;
	goto done;
oom:
	learn_err_set(t->err, "out of memory");
done:
	free(e);
	return rc;
}

static learn_code build_schema(struct trainer *t)
{
	struct learn_model *m = t->m;
	struct learn_feature *f;
	const struct colstat *st;
	learn_code rc;
	double sd;
	size_t k;

	if (t->o->algorithm == LEARN_LOGISTIC_REGRESSION &&
	    (rc = choose_classes(t)) != LEARN_OK)
		return rc;
	for (k = 0; k < m->n_features; k++) {
		f = &m->features[k];
		st = &t->stats[t->cols[k]];
		f->type = st->type;
		if (f->type == LEARN_TYPE_AUTO)
			f->type = st->non_numeric ? LEARN_TYPE_CATEGORICAL
						  : LEARN_TYPE_NUMERIC;
		if (f->type == LEARN_TYPE_CATEGORICAL) {
			if ((rc = make_levels(t, f, st)) != LEARN_OK)
				return rc;
			continue;
		}
		/*
		 * Population standard deviation of the values present; a
		 * constant (or absent) column keeps scale 1 and so encodes
		 * as 0 everywhere.
		 */
		f->center = st->n_num ? st->mean : 0;
		f->impute = f->center;
		sd = st->n_num ? sqrt(st->m2 / (double)st->n_num) : 0;
		/*
		 * An .ilearner holds finite numbers only (1e300 squared is
		 * not one): refuse what could not be saved and loaded.
		 */
		if (!isfinite(f->center) || !isfinite(sd)) {
			learn_err_set(t->err,
				      "column '%s': values too large to "
				      "standardise",
				      f->name);
			return LEARN_EDATA;
		}
		f->scale = sd > 1e-12 * fmax(1.0, fabs(f->center)) ? sd : 1;
	}
	return learn_model_layout(m, t->err);
}

/* --- the second pass(es) ------------------------------------------------- */

/*
 * The system's unknowns: theta[0] the bias (not penalised), theta[1 + i]
 * the weight of encoded feature i.  Matrices are dim x dim, row-major,
 * only the upper triangle filled.
 */
struct system {
	size_t dim;
	double f; /* objective (logistic) */
	double *g; /* gradient, or X'y (linear) */
	double *h; /* Hessian, or X'X (linear) */
};

static learn_code system_alloc(struct system *s, size_t dim)
{
	s->dim = dim;
	s->f = 0;
	s->g = calloc(dim, sizeof(*s->g));
	s->h = calloc(dim * dim, sizeof(*s->h));
	return s->g && s->h ? LEARN_OK : LEARN_ENOMEM;
}

static void system_release(struct system *s)
{
	free(s->g);
	free(s->h);
	s->g = s->h = NULL;
}

/* h += c * [1 x]'[1 x] (upper triangle), g += r * [1 x] */
static void accumulate(struct system *s, const struct learn_sparse *x, double c,
		       double r)
{
	double *h = s->h, *row;
	size_t dim = s->dim, a, b, ia;
	double ca;

	h[0] += c;
	s->g[0] += r;
	for (a = 0; a < x->n; a++) {
		ia = 1 + x->idx[a];
		h[ia] += c * x->val[a];
		s->g[ia] += r * x->val[a];
		ca = c * x->val[a];
		row = h + ia * dim;
		for (b = a; b < x->n; b++)
			row[1 + x->idx[b]] += ca * x->val[b];
	}
}

static void cache_release(struct cache *c)
{
	free(c->start);
	free(c->idx);
	free(c->val);
	free(c->y);
	c->start = NULL;
	c->idx = NULL;
	c->val = NULL;
	c->y = NULL;
	c->rows = c->nnz = c->cap_rows = c->cap_nnz = 0;
}

static int cache_realloc(void **p, size_t n, size_t size)
{
	void *q = realloc(*p, n * size);

	if (!q)
		return -1;
	*p = q;
	return 0;
}

static size_t cache_bytes(size_t rows, size_t nnz)
{
	return rows * (sizeof(size_t) + sizeof(double)) +
	       nnz * (sizeof(uint32_t) + sizeof(double));
}

/* Keep one encoded row; past the budget (or memory), stop caching. */
static void cache_add(struct cache *c, const struct learn_sparse *x, double y)
{
	size_t n;

	if (c->state != CACHE_BUILDING)
		return;
	if (c->rows + 2 > c->cap_rows) {
		n = c->cap_rows ? c->cap_rows * 2 : 1024;
		if (cache_bytes(n, c->cap_nnz) > c->limit ||
		    cache_realloc((void **)&c->start, n, sizeof(*c->start)) ||
		    cache_realloc((void **)&c->y, n, sizeof(*c->y)))
			goto off;
		c->cap_rows = n;
	}
	if (c->nnz + x->n > c->cap_nnz) {
		n = c->cap_nnz ? c->cap_nnz * 2 : 4096;
		while (n < c->nnz + x->n)
			n *= 2;
		if (cache_bytes(c->cap_rows, n) > c->limit ||
		    cache_realloc((void **)&c->idx, n, sizeof(*c->idx)) ||
		    cache_realloc((void **)&c->val, n, sizeof(*c->val)))
			goto off;
		c->cap_nnz = n;
	}
	if (c->rows == 0)
		c->start[0] = 0;
	memcpy(c->idx + c->nnz, x->idx, x->n * sizeof(*x->idx));
	memcpy(c->val + c->nnz, x->val, x->n * sizeof(*x->val));
	c->nnz += x->n;
	c->y[c->rows++] = y;
	c->start[c->rows] = c->nnz;
	return;
off:
	cache_release(c);
	c->state = CACHE_OFF;
}

/* One row's share of the sums; @p y is the label, or the class (0, 1). */
static void add_row(struct system *s, const struct trainer *t,
		    const double *theta, const struct learn_sparse *x, double y)
{
	double z, p, e;
	size_t i;

	if (t->m->algorithm == LEARN_LINEAR_REGRESSION) {
		accumulate(s, x, 1.0, y);
		return;
	}
	z = theta[0];
	for (i = 0; i < x->n; i++)
		z += theta[1 + x->idx[i]] * x->val[i];
	/* log(1 + e^-|z|) + max(z, 0) - y z, without overflow */
	e = exp(-fabs(z));
	s->f += log1p(e) + (z > 0 ? z : 0) - y * z;
	p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
	accumulate(s, x, p * (1 - p), p - y);
}

/* The pass from the cache. */
static void cached_pass(struct system *s, const struct trainer *t,
			const double *theta)
{
	const struct cache *c = &t->cache;
	struct learn_sparse x;
	size_t r;

	for (r = 0; r < c->rows; r++) {
		x.n = c->start[r + 1] - c->start[r];
		x.idx = c->idx + c->start[r];
		x.val = c->val + c->start[r];
		add_row(s, t, theta, &x, c->y[r]);
	}
}

/*
 * One pass over the data.  Linear: X'X and X'y.  Logistic at @p theta:
 * the objective sum(log-loss) + l2/2 |w|^2, its gradient and Hessian.
 */
static learn_code data_pass(struct system *s, struct trainer *t,
			    const double *theta)
{
	const struct learn_model *m = t->m;
	const char *const *f;
	learn_csv *csv = NULL;
	const char *v;
	size_t i, len;
	double y;
	learn_code rc = LEARN_OK;
	int cls;

	s->f = 0;
	memset(s->g, 0, s->dim * sizeof(*s->g));
	memset(s->h, 0, s->dim * s->dim * sizeof(*s->h));
	if (t->cache.state == CACHE_COMPLETE) {
		cached_pass(s, t, theta);
		goto penalty;
	}
	if ((rc = open_pass(&csv, t)) != LEARN_OK)
		goto done;
	if (learn_csv_columns(csv) != t->n_columns) {
		learn_err_set(t->err,
			      "the training input changed between passes");
		rc = LEARN_EIO;
		goto done;
	}
	for (;;) {
		if ((rc = learn_csv_next(&f, csv, t->err)) != LEARN_OK)
			goto done;
		if (!f)
			break;
		v = learn_value_trim(f[t->label_col], &len);
		if (learn_value_missing(v, len))
			continue;
		if ((rc = learn_encode_row(&t->x, m, t->cols, f,
					   learn_csv_line(csv), t->err)))
			goto done;
		if (m->algorithm == LEARN_LINEAR_REGRESSION) {
			if (!learn_value_number(&y, v, len))
				cls = -1;
			else
				cls = 0;
		} else {
			cls = learn_encode_class(m, v, len);
			y = cls;
		}
		if (cls < 0) {
			learn_err_set(
				t->err,
				"the training input changed between passes");
			rc = LEARN_EIO;
			goto done;
		}
		add_row(s, t, theta, &t->x, y);
		cache_add(&t->cache, &t->x, y);
	}
	if (t->cache.state == CACHE_BUILDING)
		t->cache.state = CACHE_COMPLETE;
penalty:
	if (m->algorithm == LEARN_LOGISTIC_REGRESSION) {
		for (i = 1; i < s->dim; i++) {
			s->f += 0.5 * t->l2 * theta[i] * theta[i];
			s->g[i] += t->l2 * theta[i];
		}
	}
	for (i = 1; i < s->dim; i++)
		s->h[i * s->dim + i] += t->l2;
done:
	learn_csv_free(csv);
	return rc;
}

static void set_weights(struct learn_model *m, const double *theta)
{
	m->bias = theta[0];
	if (m->n_weights)
		memcpy(m->weights, theta + 1, m->n_weights * sizeof(*theta));
}

static learn_code train_linear(struct trainer *t)
{
	struct system s = { 0, 0, NULL, NULL };
	learn_code rc;
	size_t i;

	if ((rc = system_alloc(&s, t->m->n_weights + 1)) != LEARN_OK) {
		learn_err_set(t->err, "out of memory");
		goto done;
	}
	if ((rc = data_pass(&s, t, NULL)) != LEARN_OK)
		goto done;
	if (learn_linalg_cholesky_solve(s.h, s.g, s.dim) != 0) {
		learn_err_set(
			t->err,
			"the normal equations are singular (collinear or constant features): use an L2 weight above 0");
		rc = LEARN_ENUMERIC;
		goto done;
	}
	/* Labels near DBL_MAX overflow X'y: no model to save. */
	for (i = 0; i < s.dim; i++) {
		if (!isfinite(s.g[i])) {
			learn_err_set(t->err, "training diverged");
			rc = LEARN_ENUMERIC;
			goto done;
		}
	}
	set_weights(t->m, s.g);
	t->m->iterations = 0;
	t->m->converged = 1;
done:
	system_release(&s);
	return rc;
}

/* d = -H^-1 g, with a growing ridge if H is numerically singular. */
static learn_code newton_direction(double *d, double *work,
				   const struct system *s, char *err)
{
	double jitter = 0, dmax = 0;
	size_t i, n = s->dim;
	int tries;

	for (i = 0; i < n; i++)
		dmax = fmax(dmax, fabs(s->h[i * n + i]));
	for (tries = 0; tries < 8; tries++) {
		memcpy(work, s->h, n * n * sizeof(*work));
		for (i = 0; i < n; i++) {
			work[i * n + i] += jitter;
			d[i] = -s->g[i];
		}
		if (learn_linalg_cholesky_solve(work, d, n) == 0)
			return LEARN_OK;
		jitter = jitter ? jitter * 100 : 1e-10 * fmax(1.0, dmax);
	}
	learn_err_set(err, "the Newton system is singular");
	return LEARN_ENUMERIC;
}

static learn_code train_logistic(struct trainer *t)
{
	struct system cur = { 0, 0, NULL, NULL }, next = { 0, 0, NULL, NULL };
	struct system tmp;
	double *theta = NULL, *trial = NULL, *d = NULL, *work = NULL;
	size_t dim = t->m->n_weights + 1, i;
	double dec, step;
	learn_code rc = LEARN_ENOMEM;

	if (system_alloc(&cur, dim) || system_alloc(&next, dim) ||
	    !(theta = calloc(dim, sizeof(*theta))) ||
	    !(trial = calloc(dim, sizeof(*trial))) ||
	    !(d = calloc(dim, sizeof(*d))) ||
	    !(work = calloc(dim * dim, sizeof(*work)))) {
		learn_err_set(t->err, "out of memory");
		goto done;
	}
	if ((rc = data_pass(&cur, t, theta)) != LEARN_OK)
		goto done;
	t->m->iterations = 0;
	t->m->converged = 0;
	for (;;) {
		if ((rc = newton_direction(d, work, &cur, t->err)) != LEARN_OK)
			goto done;
		dec = 0;
		for (i = 0; i < dim; i++)
			dec -= cur.g[i] * d[i];
		if (dec / 2 <= t->o->tolerance * fmax(1.0, fabs(cur.f))) {
			t->m->converged = 1;
			break;
		}
		if (t->m->iterations >= t->o->max_iterations)
			break;
		/* backtracking (Armijo) on the full Newton step */
		for (step = 1;; step /= 2) {
			if (step < 1e-10) {
				/* no descent left at double precision */
				t->m->converged = 1;
				goto finish;
			}
			for (i = 0; i < dim; i++)
				trial[i] = theta[i] + step * d[i];
			if ((rc = data_pass(&next, t, trial)) != LEARN_OK)
				goto done;
			if (next.f <= cur.f - 1e-4 * step * dec)
				break;
		}
		memcpy(theta, trial, dim * sizeof(*theta));
		tmp = cur;
		cur = next;
		next = tmp;
		t->m->iterations++;
	}
finish:
	for (i = 0; i < dim; i++) {
		if (!isfinite(theta[i])) {
			learn_err_set(t->err, "training diverged");
			rc = LEARN_ENUMERIC;
			goto done;
		}
	}
	set_weights(t->m, theta);
	rc = LEARN_OK;
done:
	system_release(&cur);
	system_release(&next);
	free(theta);
	free(trial);
	free(d);
	free(work);
	return rc;
}

/* --- entry points -------------------------------------------------------- */

learn_code learn_train(learn_model **out, FILE *in,
		       const learn_train_opts *opts, char *err)
{
	struct trainer t;
	struct learn_model *m = NULL;
	learn_code rc;
	size_t i;

	*out = NULL;
	if (err)
		err[0] = '\0';
	memset(&t, 0, sizeof(t));
	t.in = in;
	t.o = opts;
	t.err = err;
	t.cache.limit = opts->cache_bytes;
	/* linear regression reads the data once: nothing to cache for */
	t.cache.state = opts->algorithm == LEARN_LOGISTIC_REGRESSION &&
					opts->cache_bytes
				? CACHE_BUILDING
				: CACHE_OFF;
	if ((rc = check_opts(opts, err)) != LEARN_OK)
		goto done;
	if ((t.start = ftello(in)) < 0) {
		learn_err_set(err, "the training input must be seekable "
				   "(a file or a memory stream)");
		rc = LEARN_EINVAL;
		goto done;
	}
	if (!(m = learn_model_alloc())) {
		learn_err_set(err, "out of memory");
		rc = LEARN_ENOMEM;
		goto done;
	}
	t.m = m;
	m->algorithm = opts->algorithm;
	t.l2 = opts->l2 >= 0				      ? opts->l2
	       : opts->algorithm == LEARN_LOGISTIC_REGRESSION ? 1.0
							      : 0.001;
	m->l2 = t.l2;
	m->tolerance = opts->tolerance;
	m->max_iterations = opts->max_iterations;
	m->max_levels = opts->max_levels;
	m->categorical_missing = opts->categorical_missing;
	if ((rc = first_pass(&t)) != LEARN_OK ||
	    (rc = build_schema(&t)) != LEARN_OK)
		goto done;
	if (learn_encode_alloc(&t.x, m) != LEARN_OK) {
		learn_err_set(err, "out of memory");
		rc = LEARN_ENOMEM;
		goto done;
	}
	rc = m->algorithm == LEARN_LINEAR_REGRESSION ? train_linear(&t)
						     : train_logistic(&t);
	if (rc != LEARN_OK)
		goto done;
	*out = m;
	m = NULL;
done:
	if (t.stats)
		for (i = 0; i < t.n_columns; i++)
			strset_release(&t.stats[i].levels);
	free(t.stats);
	free(t.cols);
	cache_release(&t.cache);
	learn_encode_release(&t.x);
	learn_model_free(m);
	return rc;
}

learn_code learn_train_mem(learn_model **out, const char *data, size_t len,
			   const learn_train_opts *opts, char *err)
{
	learn_code rc;
	FILE *in;

	*out = NULL;
	if (err)
		err[0] = '\0';
	if (len == 0) {
		learn_err_set(err, "line 1: no header row (empty input)");
		return LEARN_ECSV;
	}
	if (!(in = fmemopen((void *)(uintptr_t)data, len, "r"))) {
		learn_err_set(err, "cannot open the data: %s", strerror(errno));
		return errno == ENOMEM ? LEARN_ENOMEM : LEARN_EIO;
	}
	rc = learn_train(out, in, opts, err);
	fclose(in);
	return rc;
}
