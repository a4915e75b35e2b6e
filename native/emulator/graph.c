/* SPDX-License-Identifier: MIT */
/* Executing a web service's graph of Studio modules with learn/. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* The modules of the catalogue (docs/emulator-modules.md). */
enum mod {
	MOD_INPUT = 1, /* a web service input: {"inputId": "input1"} */
	MOD_OUTPUT, /* a web service output: {"outputId": "output1"} */
	MOD_SELECT,
	MOD_TRAIN,
	MOD_LOGREG,
	MOD_LINREG,
	MOD_SCORE,
	MOD_EVALUATE,
	MOD_RESOURCE /* a "[trained model]" Resource asset */
};

static const struct module {
	enum mod mod;
	const char *name; /* the asset name Studio gives the module */
	const char *id; /* in aml://module/<id>, or one '.' segment of it */
} catalogue[] = {
	{ MOD_SELECT, "Select Columns in Dataset",
	  "1ec722fa0cd247b2b1fdd6b7d7e2de4b" },
	{ MOD_TRAIN, "Train Model", "5cc7053e5f6b4fb4a4d2b1d5f1e9a2c0" },
	{ MOD_LOGREG, "Two-Class Logistic Regression",
	  "b0fd7660eeb846d4b6ae3bd8a0b2e6b1" },
	{ MOD_LINREG, "Linear Regression", "31960a6f789b4cf7a9c3d1d0c1a2b7e4" },
	{ MOD_SCORE, "Score Model", "401b4f92e72446aa8d8f4fc4a6b5cf2c" },
	{ MOD_EVALUATE, "Evaluate Model", "927d65ac3b50474fa8fe8f0d2b1b6e53" },
	{ 0, NULL, NULL },
};

#define URI_PREFIX "aml://module/"
#define MAX_IN 4 /* incoming edges a node may have */

enum val_kind {
	VAL_NONE = 0,
	VAL_DATA, /* CSV text */
	VAL_LEARNER, /* an untrained algorithm */
	VAL_MODEL /* a trained model */
};

/* What a node produced. */
struct val {
	enum val_kind kind;
	amlr_buf csv; /* VAL_DATA */
	learn_algorithm algorithm; /* VAL_LEARNER */
	double l2; /* VAL_LEARNER; < 0: the learner's default */
	learn_model *model; /* VAL_MODEL: owned, or lent with @handle */
	void *handle; /* a lent model's, for models->release() */
	/* VAL_DATA made by Score Model: the model and the data it scored */
	const learn_model *scored_by;
	const struct val *scored_from;
};

struct node {
	const char *id;
	enum mod mod;
	const char *label; /* module or asset name, for messages */
	const char *io_name; /* inputId / outputId */
	const char *uri; /* a Resource's locationInfo.uri */
	const amlr_json *params;
	size_t in[MAX_IN];
	size_t n_in;
	int state; /* 0 not visited, 1 on the path, 2 done */
	struct val v;
};

/* A node parameter that a graph parameter sets. */
struct override {
	size_t node;
	const char *key;
	char *value;
};

struct graph {
	struct node *nodes;
	size_t n;
	char *err;
	const struct emu_graph_input *inputs;
	size_t n_inputs;
	const struct emu_graph_models *models;
	struct override *ov;
	size_t n_ov;
};

static void fail(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, EMU_GRAPH_ERR_SIZE, fmt, ap);
	va_end(ap);
}

/* --- reading the definition ------------------------------------------ */

/* Whether @p id is @p uri's id or one of its '.'-separated segments. */
static int uri_names(const char *uri, const char *id)
{
	size_t n = strlen(id);
	const char *p;

	if (strncmp(uri, URI_PREFIX, strlen(URI_PREFIX)) != 0)
		return 0;
	p = uri + strlen(URI_PREFIX);
	while (*p) {
		if (strncmp(p, id, n) == 0 && (p[n] == '\0' || p[n] == '.'))
			return 1;
		p = strchr(p, '.');
		if (!p)
			break;
		p++;
	}
	return 0;
}

static enum mod find_module(const char *name, const char *uri)
{
	size_t i;

	for (i = 0; uri && catalogue[i].mod; i++)
		if (uri_names(uri, catalogue[i].id))
			return catalogue[i].mod;
	for (i = 0; name && catalogue[i].mod; i++)
		if (strcmp(name, catalogue[i].name) == 0)
			return catalogue[i].mod;
	return 0;
}

/* A parameter's value: the 2017-01-01 {"value": ...} or a string. */
static const char *param_value(const amlr_json *p)
{
	if (amlr_json_type_of(p) == AMLR_JSON_STRING)
		return amlr_json_str(p);
	return amlr_json_get_str(p, "value");
}

/* A node parameter, as a graph parameter may have replaced it. */
static const char *param(const struct graph *g, const struct node *nd,
			 const char *name)
{
	size_t i;

	for (i = 0; i < g->n_ov; i++)
		if (&g->nodes[g->ov[i].node] == nd &&
		    strcmp(g->ov[i].key, name) == 0)
			return g->ov[i].value;
	return param_value(amlr_json_get(nd->params, name));
}

static size_t node_index(const struct graph *g, const char *id)
{
	size_t i;

	for (i = 0; id && i < g->n; i++)
		if (strcmp(g->nodes[i].id, id) == 0)
			return i;
	return (size_t)-1;
}

static amlr_code read_node(struct graph *g, struct node *nd,
			   const amlr_json *spec, const amlr_json *assets)
{
	const amlr_json *asset;
	const char *asset_id, *type;

	nd->params = amlr_json_get(spec, "parameters");
	if ((nd->io_name = amlr_json_get_str(spec, "inputId"))) {
		nd->mod = MOD_INPUT;
		nd->label = "Web Service Input";
		return AMLR_OK;
	}
	if ((nd->io_name = amlr_json_get_str(spec, "outputId"))) {
		nd->mod = MOD_OUTPUT;
		nd->label = "Web Service Output";
		return AMLR_OK;
	}
	if (!(asset_id = amlr_json_get_str(spec, "assetId"))) {
		fail(g->err, "node '%s' has no inputId, outputId or assetId",
		     nd->id);
		return AMLR_EINVAL;
	}
	if (!(asset = amlr_json_get(assets, asset_id))) {
		fail(g->err, "node '%s' names asset '%s', which is not defined",
		     nd->id, asset_id);
		return AMLR_EINVAL;
	}
	nd->label = amlr_json_get_str(asset, "name");
	nd->uri =
		amlr_json_get_str(amlr_json_get(asset, "locationInfo"), "uri");
	if (!nd->label)
		nd->label = asset_id;
	type = amlr_json_get_str(asset, "type");
	if (type && strcmp(type, "Resource") == 0) {
		nd->mod = MOD_RESOURCE;
		if (!nd->uri) {
			fail(g->err, "resource '%s' has no locationInfo.uri",
			     nd->label);
			return AMLR_EINVAL;
		}
		return AMLR_OK;
	}
	if (!(nd->mod = find_module(nd->label, nd->uri))) {
		fail(g->err, "unsupported module '%s' (node '%s')", nd->label,
		     nd->id);
		return AMLR_EINVAL;
	}
	return AMLR_OK;
}

/* Visit @p i depth-first; a node met again on the path is a cycle. */
static amlr_code check_cycles(struct graph *g, size_t i)
{
	struct node *nd = &g->nodes[i];
	size_t k;
	amlr_code rc;

	if (nd->state == 2)
		return AMLR_OK;
	if (nd->state == 1) {
		fail(g->err, "the graph has a cycle through node '%s'", nd->id);
		return AMLR_EINVAL;
	}
	nd->state = 1;
	for (k = 0; k < nd->n_in; k++)
		if ((rc = check_cycles(g, nd->in[k])) != AMLR_OK)
			return rc;
	nd->state = 2;
	return AMLR_OK;
}

static void graph_release(struct graph *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		amlr_buf_release(&g->nodes[i].v.csv);
		if (g->nodes[i].v.handle)
			g->models->release(g->nodes[i].v.handle,
					   g->models->payload);
		else
			learn_model_free(g->nodes[i].v.model);
	}
	for (i = 0; i < g->n_ov; i++)
		free(g->ov[i].value);
	free(g->ov);
	free(g->nodes);
	g->nodes = NULL;
	g->n = 0;
	g->ov = NULL;
	g->n_ov = 0;
}

static amlr_code graph_build(struct graph *g, const amlr_json *props)
{
	const amlr_json *pkg, *nodes, *edges, *assets, *e;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *val;
	struct node *nd;
	size_t i, src, dst;
	amlr_code rc;

	pkg = amlr_json_get(props, "package");
	nodes = amlr_json_get(pkg, "nodes");
	edges = amlr_json_get(pkg, "edges");
	assets = amlr_json_get(props, "assets");
	if (amlr_json_type_of(nodes) != AMLR_JSON_OBJECT ||
	    amlr_json_len(nodes) == 0) {
		fail(g->err, "the definition has no package nodes");
		return AMLR_EINVAL;
	}
	if (!(g->nodes = calloc(amlr_json_len(nodes), sizeof(*g->nodes))))
		return AMLR_EFAIL;
	while (amlr_json_next(&key, &val, nodes, &it)) {
		nd = &g->nodes[g->n++];
		nd->id = key;
		if ((rc = read_node(g, nd, val, assets)) != AMLR_OK)
			return rc;
	}
	for (i = 0; i < amlr_json_len(edges); i++) {
		e = amlr_json_at(edges, i);
		src = node_index(g, amlr_json_get_str(e, "sourceNodeId"));
		dst = node_index(g, amlr_json_get_str(e, "targetNodeId"));
		if (src == (size_t)-1 || dst == (size_t)-1) {
			fail(g->err,
			     "edge %zu joins a node that does not exist", i);
			return AMLR_EINVAL;
		}
		nd = &g->nodes[dst];
		if (nd->n_in == MAX_IN) {
			fail(g->err, "node '%s' has too many incoming edges",
			     nd->id);
			return AMLR_EINVAL;
		}
		nd->in[nd->n_in++] = src;
	}
	for (i = 0; i < g->n; i++)
		if ((rc = check_cycles(g, i)) != AMLR_OK)
			return rc;
	for (i = 0; i < g->n; i++)
		g->nodes[i].state = 0;
	return AMLR_OK;
}

/* --- column selection ------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode @p s into @p out. */
static amlr_code url_decode(amlr_buf *out, const char *s)
{
	int hi, lo;
	char c;
	amlr_code rc = AMLR_OK;

	while (*s && rc == AMLR_OK) {
		if (s[0] == '%' && (hi = hexval((unsigned char)s[1])) >= 0 &&
		    (lo = hexval((unsigned char)s[2])) >= 0) {
			c = (char)(hi * 16 + lo);
			s += 3;
		} else {
			c = *s++;
		}
		rc = amlr_buf_put(out, &c, 1);
	}
	if (rc == AMLR_OK && !out->ptr)
		rc = amlr_buf_puts(out, "");
	return rc;
}

/* Trim blanks around @p s in place. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static size_t column_index(const char *const *header, size_t n,
			   const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(header[i], name) == 0)
			return i;
	return (size_t)-1;
}

/* Whether member @p key of @p obj is JSON true. */
static int json_true(const amlr_json *obj, const char *key)
{
	const amlr_json *v = amlr_json_get(obj, key);
	amlr_buf b = AMLR_BUF_INIT;
	int yes;

	if (amlr_json_type_of(v) != AMLR_JSON_BOOL)
		return 0;
	yes = amlr_json_serialize(&b, v, 0) == AMLR_OK &&
	      strcmp(b.ptr, "true") == 0;
	amlr_buf_release(&b);
	return yes;
}

/*
 * Apply a Column Selector to a header: Studio's JSON
 * {"isFilter":true,"rules":[{"ruleType":"AllColumns"},
 * {"ruleType":"ColumnNames","columns":["a"],"exclude":false}]}, as stored
 * percent-encoded or plain, or a comma-separated list of names.  keep[i]
 * is set for the columns kept.
 */
static amlr_code select_columns(char *err, unsigned char *keep,
				const char *const *header, size_t n,
				const char *selector)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL, *rules, *rule, *cols;
	const char *type, *name;
	char *list = NULL, *p, *comma;
	size_t i, j, k;
	int exclude, all;
	amlr_code rc;

	if ((rc = url_decode(&text, selector)) != AMLR_OK)
		goto done;
	memset(keep, 0, n);
	if (trim(text.ptr)[0] != '{') {
		if (!(list = strdup(text.ptr))) {
			rc = AMLR_EFAIL;
			goto done;
		}
		for (p = list; p; p = comma) {
			if ((comma = strchr(p, ',')))
				*comma++ = '\0';
			name = trim(p);
			if (!*name)
				continue;
			if ((k = column_index(header, n, name)) == (size_t)-1) {
				fail(err, "column '%s' not found", name);
				rc = AMLR_EINVAL;
				goto done;
			}
			keep[k] = 1;
		}
		goto done;
	}
	if (amlr_json_parse(&doc, NULL, text.ptr, text.len) != AMLR_OK ||
	    amlr_json_type_of(rules = amlr_json_get(doc, "rules")) !=
		    AMLR_JSON_ARRAY) {
		fail(err, "the column selector is not valid");
		rc = AMLR_EINVAL;
		goto done;
	}
	for (i = 0; i < amlr_json_len(rules); i++) {
		rule = amlr_json_at(rules, i);
		type = amlr_json_get_str(rule, "ruleType");
		all = type && strcmp(type, "AllColumns") == 0;
		if (!all && (!type || strcmp(type, "ColumnNames") != 0)) {
			fail(err, "column selector rule '%s' is not supported",
			     type ? type : "(none)");
			rc = AMLR_EINVAL;
			goto done;
		}
		exclude = json_true(rule, "exclude");
		if (all) {
			memset(keep, exclude ? 0 : 1, n);
			continue;
		}
		cols = amlr_json_get(rule, "columns");
		for (j = 0; j < amlr_json_len(cols); j++) {
			name = amlr_json_str(amlr_json_at(cols, j));
			if (!name ||
			    (k = column_index(header, n, name)) == (size_t)-1) {
				fail(err, "column '%s' not found",
				     name ? name : "(not a string)");
				rc = AMLR_EINVAL;
				goto done;
			}
			keep[k] = !exclude;
		}
	}
done:
	amlr_json_free(doc);
	amlr_buf_release(&text);
	free(list);
	return rc;
}

/* --- running the modules ---------------------------------------------- */

/* A stream reading @p csv; NULL without memory. */
static FILE *read_csv(const amlr_buf *csv)
{
	return fmemopen(csv->ptr, csv->len, "r");
}

/* A stream writing into memory, with its buffer. */
struct sink {
	FILE *f;
	char *ptr;
	size_t len;
};

/* Close @p s and move what it holds into @p out. */
static amlr_code sink_take(amlr_buf *out, struct sink *s)
{
	amlr_code rc;
	int bad;

	bad = fclose(s->f) != 0;
	s->f = NULL;
	rc = bad ? AMLR_EFAIL : amlr_buf_put(out, s->ptr ? s->ptr : "", s->len);
	free(s->ptr);
	s->ptr = NULL;
	return rc;
}

static void sink_release(struct sink *s)
{
	if (s->f)
		fclose(s->f);
	free(s->ptr);
	s->f = NULL;
	s->ptr = NULL;
}

static amlr_code run_select(struct graph *g, struct node *nd,
			    const struct val *in)
{
	char lerr[LEARN_ERR_SIZE] = "";
	const char *const *fields, *const *header;
	const char **row = NULL;
	unsigned char *keep = NULL;
	const char *selector = param(g, nd, "Column Selector");
	learn_csv *r = NULL;
	struct sink out = { NULL, NULL, 0 };
	FILE *f = NULL;
	size_t n, i, k;
	learn_code lc = LEARN_OK;
	amlr_code rc = AMLR_EFAIL;

	if (!selector) {
		fail(g->err, "%s (node '%s'): no Column Selector", nd->label,
		     nd->id);
		return AMLR_EINVAL;
	}
	if (!(f = read_csv(&in->csv)) ||
	    !(out.f = open_memstream(&out.ptr, &out.len)))
		goto done;
	if ((lc = learn_csv_open(&r, f, lerr)) != LEARN_OK)
		goto done;
	n = learn_csv_columns(r);
	header = learn_csv_header(r);
	if (!(keep = calloc(n, 1)) || !(row = calloc(n, sizeof(*row))))
		goto done;
	if ((rc = select_columns(lerr, keep, header, n, selector)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	for (fields = header;;) {
		for (i = k = 0; i < n; i++)
			if (keep[i])
				row[k++] = fields[i];
		if ((lc = learn_csv_write_row(out.f, row, k, lerr)) !=
			    LEARN_OK ||
		    (lc = learn_csv_next(&fields, r, lerr)) != LEARN_OK ||
		    !fields)
			break;
	}
	if (lc == LEARN_OK)
		rc = sink_take(&nd->v.csv, &out);
done:
	if (lc != LEARN_OK || (rc == AMLR_EINVAL && lerr[0])) {
		fail(g->err, "%s (node '%s'): %s", nd->label, nd->id, lerr);
		rc = AMLR_EINVAL;
	}
	if (rc == AMLR_OK)
		nd->v.kind = VAL_DATA;
	learn_csv_free(r);
	if (f)
		fclose(f);
	sink_release(&out);
	free(keep);
	free(row);
	return rc;
}

/* The label column: a name, or a Column Selector naming one column. */
static amlr_code label_column(char **out, char *err, const char *raw)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL, *cols;
	const char *name;
	amlr_code rc;

	if ((rc = url_decode(&text, raw)) != AMLR_OK)
		goto done;
	if (trim(text.ptr)[0] != '{') {
		name = trim(text.ptr);
	} else {
		rc = AMLR_EINVAL;
		if (amlr_json_parse(&doc, NULL, text.ptr, text.len) != AMLR_OK)
			goto bad;
		cols = amlr_json_get(
			amlr_json_at(amlr_json_get(doc, "rules"), 0),
			"columns");
		if (amlr_json_len(cols) != 1 ||
		    !(name = amlr_json_str(amlr_json_at(cols, 0))))
			goto bad;
	}
	rc = (*out = strdup(name)) ? AMLR_OK : AMLR_EFAIL;
	goto done;
bad:
	fail(err, "the label column must name exactly one column");
done:
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return rc;
}

static amlr_code run_train(struct graph *g, struct node *nd,
			   const struct val *learner, const struct val *data)
{
	learn_train_opts opts = LEARN_TRAIN_OPTS_INIT;
	char lerr[LEARN_ERR_SIZE] = "";
	const char *raw = param(g, nd, "Label column");
	char *label = NULL;
	learn_code lc;
	amlr_code rc;

	if (!raw || !*raw) {
		fail(g->err, "%s (node '%s'): no Label column", nd->label,
		     nd->id);
		return AMLR_EINVAL;
	}
	if ((rc = label_column(&label, lerr, raw)) != AMLR_OK) {
		if (rc == AMLR_EINVAL)
			fail(g->err, "%s (node '%s'): %s", nd->label, nd->id,
			     lerr);
		return rc;
	}
	opts.algorithm = learner->algorithm;
	opts.label = label;
	opts.l2 = learner->l2;
	lc = learn_train_mem(&nd->v.model, data->csv.ptr, data->csv.len, &opts,
			     lerr);
	free(label);
	if (lc == LEARN_ENOMEM)
		return AMLR_EFAIL;
	if (lc != LEARN_OK) {
		fail(g->err, "%s (node '%s'): %s", nd->label, nd->id, lerr);
		return AMLR_EINVAL;
	}
	nd->v.kind = VAL_MODEL;
	return AMLR_OK;
}

static amlr_code run_learner(struct graph *g, struct node *nd)
{
	const char *raw = param(g, nd, "L2 regularization weight");
	char *end;
	double l2 = -1.0;

	if (raw && *raw) {
		errno = 0;
		l2 = strtod(raw, &end);
		if (errno || *end || !isfinite(l2) || l2 < 0) {
			fail(g->err,
			     "%s (node '%s'): L2 regularization weight '%s' is not a number >= 0",
			     nd->label, nd->id, raw);
			return AMLR_EINVAL;
		}
	}
	nd->v.kind = VAL_LEARNER;
	nd->v.algorithm = nd->mod == MOD_LOGREG ? LEARN_LOGISTIC_REGRESSION
						: LEARN_LINEAR_REGRESSION;
	nd->v.l2 = l2;
	return AMLR_OK;
}

static amlr_code run_score(struct graph *g, struct node *nd,
			   const struct val *model, const struct val *data)
{
	char lerr[LEARN_ERR_SIZE] = "";
	struct sink out = { NULL, NULL, 0 };
	FILE *f = NULL;
	learn_code lc = LEARN_OK;
	amlr_code rc = AMLR_EFAIL;

	if (!(f = read_csv(&data->csv)) ||
	    !(out.f = open_memstream(&out.ptr, &out.len)))
		goto done;
	if ((lc = learn_score_csv(out.f, model->model, f, lerr)) != LEARN_OK)
		goto done;
	if ((rc = sink_take(&nd->v.csv, &out)) != AMLR_OK)
		goto done;
	nd->v.kind = VAL_DATA;
	nd->v.scored_by = model->model;
	nd->v.scored_from = data;
done:
	if (lc != LEARN_OK) {
		fail(g->err, "%s (node '%s'): %s", nd->label, nd->id, lerr);
		rc = lc == LEARN_ENOMEM ? AMLR_EFAIL : AMLR_EINVAL;
	}
	if (f)
		fclose(f);
	sink_release(&out);
	return rc;
}

static amlr_code run_evaluate(struct graph *g, struct node *nd,
			      const struct val *scored)
{
	char lerr[LEARN_ERR_SIZE] = "";
	struct sink out = { NULL, NULL, 0 };
	learn_metrics mt;
	FILE *f = NULL;
	learn_code lc = LEARN_OK;
	amlr_code rc = AMLR_EFAIL;

	if (!scored->scored_by) {
		fail(g->err,
		     "%s (node '%s'): its input is not a scored dataset",
		     nd->label, nd->id);
		return AMLR_EINVAL;
	}
	if (!(f = read_csv(&scored->scored_from->csv)) ||
	    !(out.f = open_memstream(&out.ptr, &out.len)))
		goto done;
	if ((lc = learn_evaluate_csv(&mt, scored->scored_by, f, lerr)) !=
		    LEARN_OK ||
	    (lc = learn_metrics_write_csv(out.f, &mt, lerr)) != LEARN_OK)
		goto done;
	if ((rc = sink_take(&nd->v.csv, &out)) != AMLR_OK)
		goto done;
	nd->v.kind = VAL_DATA;
done:
	if (lc != LEARN_OK) {
		fail(g->err, "%s (node '%s'): %s", nd->label, nd->id, lerr);
		rc = lc == LEARN_ENOMEM ? AMLR_EFAIL : AMLR_EINVAL;
	}
	if (f)
		fclose(f);
	sink_release(&out);
	return rc;
}

static amlr_code run_input(struct graph *g, struct node *nd)
{
	size_t i;

	for (i = 0; i < g->n_inputs; i++) {
		if (strcmp(g->inputs[i].name, nd->io_name) != 0)
			continue;
		if (g->inputs[i].len == 0) {
			fail(g->err, "web service input '%s' is empty",
			     nd->io_name);
			return AMLR_EINVAL;
		}
		nd->v.kind = VAL_DATA;
		return amlr_buf_put(&nd->v.csv, g->inputs[i].data,
				    g->inputs[i].len);
	}
	fail(g->err, "web service input '%s' was not given", nd->io_name);
	return AMLR_EINVAL;
}

static amlr_code eval_node(struct graph *g, size_t i);

/* The value of the first input of @p nd of kind @p kind, or NULL. */
static const struct val *input_of(struct graph *g, const struct node *nd,
				  enum val_kind kind)
{
	size_t k;

	for (k = 0; k < nd->n_in; k++)
		if (g->nodes[nd->in[k]].v.kind == kind)
			return &g->nodes[nd->in[k]].v;
	return NULL;
}

static const char *kind_name(enum val_kind kind)
{
	switch (kind) {
	case VAL_DATA:
		return "a dataset";
	case VAL_LEARNER:
		return "an untrained model";
	case VAL_MODEL:
		return "a trained model";
	default:
		return "nothing";
	}
}

/* Fetch input @p kind of @p nd into @p *v, or fail naming what is missing. */
static amlr_code need(const struct val **v, struct graph *g,
		      const struct node *nd, enum val_kind kind)
{
	if ((*v = input_of(g, nd, kind)))
		return AMLR_OK;
	fail(g->err, "%s (node '%s') needs %s as input", nd->label, nd->id,
	     kind_name(kind));
	return AMLR_EINVAL;
}

/*
 * Whether node @p i's only readers are Evaluate Model nodes, which need
 * the model and the data it scores, not the scored table (a training
 * graph's Score Model): then the table is never written, the data is
 * read once, by Evaluate.
 */
static int only_evaluated(const struct graph *g, size_t i)
{
	size_t j, k;

	for (j = 0; j < g->n; j++)
		for (k = 0; k < g->nodes[j].n_in; k++)
			if (g->nodes[j].in[k] == i &&
			    g->nodes[j].mod != MOD_EVALUATE)
				return 0;
	return 1;
}

static amlr_code eval_node(struct graph *g, size_t i)
{
	struct node *nd = &g->nodes[i];
	const struct val *a, *b;
	const learn_model *lent;
	char lerr[EMU_GRAPH_ERR_SIZE] = "";
	size_t k;
	amlr_code rc = AMLR_OK;

	if (nd->state == 2)
		return AMLR_OK;
	nd->state = 2; /* acyclic: checked when built */
	for (k = 0; k < nd->n_in; k++)
		if ((rc = eval_node(g, nd->in[k])) != AMLR_OK)
			return rc;
	switch (nd->mod) {
	case MOD_INPUT:
		return run_input(g, nd);
	case MOD_OUTPUT:
		if (nd->n_in != 1) {
			fail(g->err,
			     "web service output '%s' must have exactly one incoming edge",
			     nd->io_name);
			return AMLR_EINVAL;
		}
		return AMLR_OK;
	case MOD_SELECT:
		if ((rc = need(&a, g, nd, VAL_DATA)) != AMLR_OK)
			return rc;
		return run_select(g, nd, a);
	case MOD_LOGREG:
	case MOD_LINREG:
		return run_learner(g, nd);
	case MOD_TRAIN:
		if ((rc = need(&a, g, nd, VAL_LEARNER)) != AMLR_OK ||
		    (rc = need(&b, g, nd, VAL_DATA)) != AMLR_OK)
			return rc;
		return run_train(g, nd, a, b);
	case MOD_SCORE:
		if ((rc = need(&a, g, nd, VAL_MODEL)) != AMLR_OK ||
		    (rc = need(&b, g, nd, VAL_DATA)) != AMLR_OK)
			return rc;
		if (only_evaluated(g, i)) {
			/* Evaluate scores as it reads: no scored table. */
			nd->v.kind = VAL_DATA;
			nd->v.scored_by = a->model;
			nd->v.scored_from = b;
			return AMLR_OK;
		}
		return run_score(g, nd, a, b);
	case MOD_EVALUATE:
		if ((rc = need(&a, g, nd, VAL_DATA)) != AMLR_OK)
			return rc;
		return run_evaluate(g, nd, a);
	case MOD_RESOURCE:
		if (!g->models) {
			fail(g->err, "resource '%s' cannot be loaded here",
			     nd->label);
			return AMLR_EINVAL;
		}
		if ((rc = g->models->load(&lent, &nd->v.handle, lerr, nd->label,
					  nd->uri, g->models->payload)) !=
		    AMLR_OK) {
			fail(g->err, "resource '%s': %s", nd->label, lerr);
			return rc;
		}
		/* Lent: only ever read (scored), released through handle. */
		nd->v.model = (learn_model *)lent;
		nd->v.kind = VAL_MODEL;
		return AMLR_OK;
	}
	fail(g->err, "node '%s' has no module", nd->id);
	return AMLR_EINVAL;
}

/* --- graph parameters -------------------------------------------------- */

/* A global parameter's value as text (numbers and booleans as JSON). */
static amlr_code value_text(char **out, const amlr_json *v)
{
	amlr_buf b = AMLR_BUF_INIT;
	amlr_code rc;

	if (amlr_json_type_of(v) == AMLR_JSON_STRING)
		return (*out = strdup(amlr_json_str(v))) ? AMLR_OK : AMLR_EFAIL;
	if ((rc = amlr_json_serialize(&b, v, 0)) != AMLR_OK)
		return rc;
	*out = amlr_buf_detach(&b);
	return *out ? AMLR_OK : AMLR_EFAIL;
}

/* The value of graph parameter @p name, or NULL (borrowed). */
static const amlr_json *global_value(const amlr_json *props,
				     const amlr_json *globals, const char *name)
{
	const amlr_json *v = amlr_json_get(globals, name), *p;

	if (v)
		return v;
	p = amlr_json_get(amlr_json_get(props, "parameters"), name);
	if (amlr_json_type_of(p) == AMLR_JSON_OBJECT)
		return amlr_json_get(p, "value");
	return p;
}

const char *emu_graph_missing_global(const amlr_json *props,
				     const amlr_json *globals)
{
	const amlr_json *gp;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *name;
	amlr_json *val;

	gp = amlr_json_get(amlr_json_get(props, "package"), "graphParameters");
	while (amlr_json_next(&name, &val, gp, &it))
		if (!global_value(props, globals, name))
			return name;
	return NULL;
}

static amlr_code apply_globals(struct graph *g, const amlr_json *props,
			       const amlr_json *globals)
{
	const amlr_json *gp, *links, *link, *v;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *name, *key;
	amlr_json *val;
	struct override *o;
	size_t i, nd, total = 0;

	gp = amlr_json_get(amlr_json_get(props, "package"), "graphParameters");
	while (amlr_json_next(&name, &val, gp, &it))
		total += amlr_json_len(amlr_json_get(val, "links"));
	if (total == 0)
		return AMLR_OK;
	if (!(g->ov = calloc(total, sizeof(*g->ov))))
		return AMLR_EFAIL;
	it = (amlr_json_iter)AMLR_JSON_ITER_INIT;
	while (amlr_json_next(&name, &val, gp, &it)) {
		if (!(v = global_value(props, globals, name))) {
			fail(g->err, "graph parameter '%s' has no value", name);
			return AMLR_EINVAL;
		}
		links = amlr_json_get(val, "links");
		for (i = 0; i < amlr_json_len(links); i++) {
			link = amlr_json_at(links, i);
			key = amlr_json_get_str(link, "parameterKey");
			nd = node_index(g, amlr_json_get_str(link, "nodeId"));
			if (nd == (size_t)-1 || !key) {
				fail(g->err,
				     "graph parameter '%s' links a node that does not exist",
				     name);
				return AMLR_EINVAL;
			}
			o = &g->ov[g->n_ov];
			o->node = nd;
			o->key = key;
			if (value_text(&o->value, v) != AMLR_OK)
				return AMLR_EFAIL;
			g->n_ov++;
		}
	}
	return AMLR_OK;
}

/* --- the interface ------------------------------------------------------ */

const char *emu_graph_io_name(const amlr_json *props, int output, size_t i)
{
	const amlr_json *nodes;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key, *name;
	amlr_json *val;

	nodes = amlr_json_get(amlr_json_get(props, "package"), "nodes");
	while (amlr_json_next(&key, &val, nodes, &it)) {
		name = amlr_json_get_str(val, output ? "outputId" : "inputId");
		if (name && i-- == 0)
			return name;
	}
	return NULL;
}

amlr_code emu_graph_check(char err[EMU_GRAPH_ERR_SIZE], const amlr_json *props)
{
	struct graph g = { NULL, 0, err, NULL, 0, NULL, NULL, 0 };
	amlr_code rc;

	err[0] = '\0';
	rc = graph_build(&g, props);
	graph_release(&g);
	return rc;
}

static size_t find_output(const struct graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->nodes[i].mod == MOD_OUTPUT &&
		    strcmp(g->nodes[i].io_name, name) == 0)
			return i;
	return (size_t)-1;
}

amlr_code emu_graph_output_kind(enum emu_graph_kind *out,
				char err[EMU_GRAPH_ERR_SIZE],
				const amlr_json *props, const char *name)
{
	struct graph g = { NULL, 0, err, NULL, 0, NULL, NULL, 0 };
	const struct node *nd;
	size_t i;
	amlr_code rc;

	err[0] = '\0';
	if ((rc = graph_build(&g, props)) != AMLR_OK)
		goto done;
	if ((i = find_output(&g, name)) == (size_t)-1) {
		fail(err, "web service output '%s' does not exist", name);
		rc = AMLR_ENOTFOUND;
		goto done;
	}
	nd = &g.nodes[i];
	*out = EMU_GRAPH_DATASET;
	if (nd->n_in == 1 && (g.nodes[nd->in[0]].mod == MOD_TRAIN ||
			      g.nodes[nd->in[0]].mod == MOD_RESOURCE))
		*out = EMU_GRAPH_MODEL;
done:
	graph_release(&g);
	return rc;
}

void emu_graph_outputs_free(struct emu_graph_output *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].data);
	}
	free(v);
}

/* Fill @p o with the value output node @p nd received. */
static amlr_code take_output(struct emu_graph_output *o, struct graph *g,
			     const struct node *nd)
{
	const struct val *v = &g->nodes[nd->in[0]].v;
	char lerr[LEARN_ERR_SIZE] = "";

	if (!(o->name = strdup(nd->io_name)))
		return AMLR_EFAIL;
	if (v->kind == VAL_MODEL) {
		o->kind = EMU_GRAPH_MODEL;
		return learn_model_save(&o->data, &o->len, v->model, lerr) ==
				       LEARN_OK
			       ? AMLR_OK
			       : AMLR_EFAIL;
	}
	if (v->kind != VAL_DATA) {
		fail(g->err, "web service output '%s' receives %s", nd->io_name,
		     kind_name(v->kind));
		return AMLR_EINVAL;
	}
	o->kind = EMU_GRAPH_DATASET;
	if (!(o->data = malloc(v->csv.len + 1)))
		return AMLR_EFAIL;
	memcpy(o->data, v->csv.ptr, v->csv.len);
	o->data[v->csv.len] = '\0';
	o->len = v->csv.len;
	return AMLR_OK;
}

amlr_code emu_graph_run(struct emu_graph_output **out, size_t *n_out,
			char err[EMU_GRAPH_ERR_SIZE], const amlr_json *props,
			const struct emu_graph_input *inputs, size_t n_inputs,
			const amlr_json *globals, const char *const *wanted,
			size_t n_wanted, const struct emu_graph_models *models)
{
	struct graph g = { NULL, 0, err, inputs, n_inputs, models, NULL, 0 };
	struct emu_graph_output *res = NULL;
	size_t *which = NULL, n = 0, i, k;
	amlr_code rc;

	*out = NULL;
	*n_out = 0;
	err[0] = '\0';
	if ((rc = graph_build(&g, props)) != AMLR_OK ||
	    (rc = apply_globals(&g, props, globals)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (!(which = calloc(g.n + n_wanted + 1, sizeof(*which))))
		goto done;
	if (wanted) {
		for (k = 0; k < n_wanted; k++) {
			if ((i = find_output(&g, wanted[k])) == (size_t)-1) {
				fail(err,
				     "web service output '%s' does not exist",
				     wanted[k]);
				rc = AMLR_ENOTFOUND;
				goto done;
			}
			which[n++] = i;
		}
	} else {
		for (i = 0; i < g.n; i++)
			if (g.nodes[i].mod == MOD_OUTPUT)
				which[n++] = i;
	}
	if (!(res = calloc(n + 1, sizeof(*res))))
		goto done;
	for (k = 0; k < n; k++)
		if ((rc = eval_node(&g, which[k])) != AMLR_OK)
			goto done;
	for (k = 0; k < n; k++)
		if ((rc = take_output(&res[k], &g, &g.nodes[which[k]])) !=
		    AMLR_OK)
			goto done;
	*out = res;
	*n_out = n;
	res = NULL;
done:
	if (res)
		emu_graph_outputs_free(res, n);
	free(which);
	graph_release(&g);
	return rc;
}
