/* SPDX-License-Identifier: MIT */
/* Definitions: import, Az-compatible export, model patching, request bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/definition.h"
#include "json_internal.h"

/*
 * The ground truth is read from tests/fixtures/reference/ (a copy of
 * ../shared/reference/; relative to the repo root, where `make check-unit`
 * runs), or $AMLR_REFERENCE_DIR.  Without it
 * the tests fail: they must not pass by testing nothing.
 *
 *  - recorded-sessions/ (every .json): Microsoft's recordings of the AzureRM
 *    cmdlets (README there); their request bodies are the bytes
 *    Newtonsoft wrote for Export/New/Update (CRLF line ends on Windows);
 *  - arm-machinelearning/stable/2017-01-01/examples/ (every .json) and both
 *    webservices.json specs (readOnly markers, property order, casing);
 *  - notes/azure-powershell-ml.md §4-§7, §11 and notes/arm-webservices.md
 *    §4-§8 (what export drops, what GET never returns).
 */

#define FIXTURES "tests/fixtures/definitions"
#define G2 "{\"properties\": {\"packageType\": \"Graph\", "

static const char *ref_dir(void)
{
	static char dir[512];
	const char *env = getenv("AMLR_REFERENCE_DIR");
	FILE *f;
	char probe[600];

	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "%s",
		 env && *env ? env : "tests/fixtures/reference");
	snprintf(probe, sizeof(probe), "%s/recorded-sessions/README.md", dir);
	if (!(f = fopen(probe, "r"))) {
		fail_msg("reference material not found at '%s' (run from the "
			 "repository root, or set AMLR_REFERENCE_DIR)",
			 dir);
	}
	fclose(f);
	return dir;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		fail_msg("cannot read '%s'", path);
	do {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			assert_non_null(buf = realloc(buf, cap));
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *slurp_ref(const char *rel, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", ref_dir(), rel);
	return slurp(path, len);
}

static char *slurp_fixture(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	return slurp(path, len);
}

static amlr_json *fixture_def(void);

static json_object *parse_c(const char *text, size_t len)
{
	amlr_json *j = NULL;
	amlr_error err = AMLR_ERROR_INIT;

	if (amlr_json_parse(&j, &err, text, len) != AMLR_OK)
		fail_msg("unparseable JSON: %s", err.message);
	return amlr_json__c(j);
}

static amlr_json *import_ok(const char *text, size_t len)
{
	amlr_json *d = NULL;
	amlr_error err = AMLR_ERROR_INIT;

	if (amlr_definition_import(&d, &err, text, len) != AMLR_OK)
		fail_msg("import failed: %s", err.message);
	assert_int_equal(err.code, AMLR_OK);
	return d;
}

static char *export_ok(const amlr_json *d)
{
	amlr_buf b = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;

	if (amlr_definition_export(&b, &err, d) != AMLR_OK)
		fail_msg("export failed: %s", err.message);
	return amlr_buf_detach(&b);
}

static char *crlf_to_lf(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	assert_non_null(out);
	for (; *s; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			*o++ = *s;
	*o = '\0';
	return out;
}

static json_object *path_get(json_object *o, const char *a, const char *b,
			     const char *c)
{
	const char *keys[3] = { a, b, c };
	size_t i;

	for (i = 0; i < 3 && keys[i] && o; i++)
		if (!json_object_object_get_ex(o, keys[i], &o))
			return NULL;
	return o;
}

/* --- the corpus: every web-service body of the reference material ------ */

struct body {
	char where[200];
	json_object
		*obj; /* a resource as the service or the cmdlets wrote it */
};

static struct {
	struct body *v;
	size_t n, cap, recorded, examples;
	int loaded;
} corpus;

static void corpus_add(const char *file, const char *what, json_object *o)
{
	struct body *b;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "properties", NULL))
		return;
	if (corpus.n == corpus.cap) {
		corpus.cap = corpus.cap ? corpus.cap * 2 : 64;
		assert_non_null(
			corpus.v = realloc(corpus.v, corpus.cap * sizeof(*b)));
	}
	b = &corpus.v[corpus.n++];
	snprintf(b->where, sizeof(b->where), "%s %s", file, what);
	b->obj = json_object_get(o);
}

/* A body, or each item of a list page ({"value": [...]}). */
static void corpus_add_body(const char *file, const char *what, json_object *o)
{
	json_object *items;
	char w[160];
	size_t i;

	if (json_object_object_get_ex(o, "properties", NULL)) {
		corpus_add(file, what, o);
		return;
	}
	if (!json_object_object_get_ex(o, "value", &items) ||
	    !json_object_is_type(items, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(items); i++) {
		snprintf(w, sizeof(w), "%s value[%zu]", what, i);
		corpus_add(file, w, json_object_array_get_idx(items, i));
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of a reference directory, sorted. */
static size_t list_json(char ***out, const char *rel)
{
	char path[1024];
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, len;

	snprintf(path, sizeof(path), "%s/%s", ref_dir(), rel);
	if (!(d = opendir(path)))
		fail_msg("cannot list '%s'", path);
	while ((e = readdir(d))) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		assert_non_null(v = realloc(v, (n + 1) * sizeof(*v)));
		assert_non_null(v[n] = malloc(strlen(rel) + len + 2));
		snprintf(v[n], strlen(rel) + len + 2, "%s/%s", rel, e->d_name);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	return n;
}

static int is_webservice_uri(const char *uri)
{
	char low[2048];
	size_t i;

	for (i = 0; uri[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)uri[i]);
	low[i] = '\0';
	return strstr(low,
		      "/providers/microsoft.machinelearning/webservices") !=
	       NULL;
}

static void load_recording(const char *rel)
{
	static const char *const kinds[] = { "RequestBody", "ResponseBody" };
	json_object *file, *entries, *e, *s, *body;
	char *text, what[64];
	size_t len, i, k, before = corpus.n;

	text = slurp_ref(rel, &len);
	file = parse_c(text, len);
	free(text);
	assert_true(json_object_object_get_ex(file, "Entries", &entries));
	for (i = 0; i < json_object_array_length(entries); i++) {
		e = json_object_array_get_idx(entries, i);
		if (!is_webservice_uri(json_object_get_string(
			    path_get(e, "RequestUri", NULL, NULL))))
			continue;
		for (k = 0; k < 2; k++) {
			s = path_get(e, kinds[k], NULL, NULL);
			if (!json_object_get_string_len(s))
				continue;
			body = parse_c(json_object_get_string(s),
				       (size_t)json_object_get_string_len(s));
			snprintf(what, sizeof(what), "Entries[%zu].%s", i,
				 kinds[k]);
			corpus_add_body(rel, what, body);
			json_object_put(body);
		}
	}
	json_object_put(file);
	corpus.recorded += corpus.n - before;
}

static void load_example(const char *rel)
{
	json_object *file, *params, *resps, *body;
	struct lh_entry *e;
	char what[64];
	char *text;
	size_t len, before = corpus.n;

	text = slurp_ref(rel, &len);
	file = parse_c(text, len);
	free(text);
	if (json_object_object_get_ex(file, "parameters", &params))
		for (e = json_object_get_object(params)->head; e; e = e->next) {
			snprintf(what, sizeof(what), "parameters.%s",
				 (const char *)lh_entry_k(e));
			corpus_add_body(rel, what,
					(json_object *)lh_entry_v(e));
		}
	if (json_object_object_get_ex(file, "responses", &resps))
		for (e = json_object_get_object(resps)->head; e; e = e->next) {
			body = path_get((json_object *)lh_entry_v(e), "body",
					NULL, NULL);
			snprintf(what, sizeof(what), "responses.%s.body",
				 (const char *)lh_entry_k(e));
			if (body)
				corpus_add_body(rel, what, body);
		}
	json_object_put(file);
	corpus.examples += corpus.n - before;
}

static void corpus_load(void)
{
	char **names;
	size_t n, i;

	if (corpus.loaded)
		return;
	n = list_json(&names, "recorded-sessions");
	for (i = 0; i < n; i++) {
		load_recording(names[i]);
		free(names[i]);
	}
	free(names);
	n = list_json(&names, "arm-machinelearning/stable/2017-01-01/examples");
	for (i = 0; i < n; i++) {
		load_example(names[i]);
		free(names[i]);
	}
	free(names);
	/*
	 * The files are frozen (SHA-256 sums in their READMEs): 1167 bodies
	 * in the recordings (1130 of them sparse list items), 10 in the
	 * examples.  A smaller count means the corpus was not found whole.
	 */
	assert_int_equal(corpus.recorded, 1167);
	assert_int_equal(corpus.examples, 10);
	corpus.loaded = 1;
}

static int has_package_type(json_object *o)
{
	return path_get(o, "properties", "packageType", NULL) != NULL;
}

/* What an export must hold: the body without read-only members and nulls. */
static void drop_nulls(json_object *o)
{
	struct lh_entry *e, *next;
	size_t i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			drop_nulls(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	for (e = json_object_get_object(o)->head; e; e = next) {
		next = e->next;
		if (!lh_entry_v(e))
			json_object_object_del(o, (const char *)lh_entry_k(e));
		else
			drop_nulls((json_object *)lh_entry_v(e));
	}
}

static json_object *expected_export(json_object *body)
{
	static const char *const top[] = { "id", "name", "type" };
	static const char *const props[] = { "createdOn", "modifiedOn",
					     "provisioningState",
					     "swaggerLocation" };
	json_object *copy = NULL, *p;
	size_t i;

	assert_int_equal(json_object_deep_copy(body, &copy, NULL), 0);
	for (i = 0; i < 3; i++)
		json_object_object_del(copy, top[i]);
	p = path_get(copy, "properties", NULL, NULL);
	for (i = 0; i < 4; i++)
		json_object_object_del(p, props[i]);
	drop_nulls(copy);
	return copy;
}

/* --- round trips over the whole corpus ------------------------------- */

static void test_definition__round_trip_every_reference_body(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d1 = NULL, *d2 = NULL;
	json_object *want, *got;
	char *e1, *e2, *again, *raw;
	size_t i, strict = 0;

	(void)state;
	corpus_load();
	for (i = 0; i < corpus.n; i++) {
		struct body *b = &corpus.v[i];

		e1 = export_ok(amlr_json__wrap(b->obj));
		/* the layout: LF, no BOM, a final newline, 2-space indent */
		assert_true(e1[0] == '{' && !strchr(e1, '\r'));
		assert_string_equal(e1 + strlen(e1) - 2, "}\n");
		/* the content: everything but read-only members and nulls */
		want = expected_export(b->obj);
		got = parse_c(e1, strlen(e1));
		if (!json_object_equal(want, got))
			fail_msg("%s: export lost or changed content",
				 b->where);
		json_object_put(want);
		json_object_put(got);
		/* stable: the same bytes every time */
		again = export_ok(amlr_json__wrap(b->obj));
		assert_string_equal(again, e1);
		free(again);
		raw = strdup(json_object_to_json_string_ext(
			b->obj, JSON_C_TO_STRING_PLAIN));
		if (!has_package_type(b->obj)) {
			/* sparse LRO replies and list items: not a definition
			 */
			assert_int_equal(amlr_definition_import(&d2, &err, e1,
								strlen(e1)),
					 AMLR_EINVAL);
			assert_null(d2);
			assert_string_equal(
				err.message,
				"properties.packageType: required but missing");
			free(raw);
			free(e1);
			continue;
		}
		strict++;
		d1 = import_ok(raw, strlen(raw));
		d2 = import_ok(e1, strlen(e1));
		if (!amlr_definition_equal(d1, d2))
			fail_msg("%s: import -> export -> import changed it",
				 b->where);
		e2 = export_ok(d2);
		assert_string_equal(e2, e1);
		free(e2);
		e2 = export_ok(d1);
		assert_string_equal(e2, e1);
		free(e2);
		amlr_json_free(d1);
		amlr_json_free(d2);
		d2 = NULL;
		free(raw);
		free(e1);
	}
	assert_int_equal(strict, 1126); /* the others lack packageType */
}

/*
 * The cmdlets' own bytes: each recorded PUT/PATCH body of a definition is
 * what Newtonsoft wrote for an imported object, so importing it and
 * building the body again must give it back exactly (LF for CRLF).
 */
static void test_definition__request_bodies_match_recordings(void **state)
{
	amlr_definition_body_opts opts = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;
	amlr_json *d;
	json_object *file, *entries, *e, *body;
	char **names, *text, *want;
	const char *method;
	size_t n, f, i, len, checked = 0;

	(void)state;
	n = list_json(&names, "recorded-sessions");
	for (f = 0; f < n; f++) {
		text = slurp_ref(names[f], &len);
		file = parse_c(text, len);
		free(text);
		json_object_object_get_ex(file, "Entries", &entries);
		for (i = 0; i < json_object_array_length(entries); i++) {
			e = json_object_array_get_idx(entries, i);
			method = json_object_get_string(
				path_get(e, "RequestMethod", NULL, NULL));
			body = path_get(e, "RequestBody", NULL, NULL);
			if (!is_webservice_uri(json_object_get_string(
				    path_get(e, "RequestUri", NULL, NULL))) ||
			    !json_object_get_string_len(body) ||
			    !strstr(json_object_get_string(body), "\"assets\""))
				continue;
			d = import_ok(json_object_get_string(body),
				      (size_t)json_object_get_string_len(body));
			opts.create = strcmp(method, "PUT") == 0;
			amlr_buf_clear(&b);
			if (amlr_definition_request_body(&b, &err, d, &opts) !=
			    AMLR_OK)
				fail_msg("%s %zu: %s", names[f], i,
					 err.message);
			want = crlf_to_lf(json_object_get_string(body));
			if (strcmp(b.ptr, want) != 0)
				fail_msg("%s Entries[%zu]: the %s body differs",
					 names[f], i, method);
			free(want);
			amlr_json_free(d);
			checked++;
		}
		json_object_put(file);
		free(names[f]);
	}
	free(names);
	amlr_buf_release_secret(&b);
	/* five PUTs (three in TestListWebServices) and the full PATCH */
	assert_int_equal(checked, 8);
}

static char *recorded_body(const char *file, size_t entry, const char *kind)
{
	json_object *rec, *s;
	char path[256], *text, *out;
	size_t len;

	snprintf(path, sizeof(path), "recorded-sessions/%s", file);
	text = slurp_ref(path, &len);
	rec = parse_c(text, len);
	free(text);
	s = path_get(json_object_array_get_idx(
			     path_get(rec, "Entries", NULL, NULL), entry),
		     kind, NULL, NULL);
	assert_non_null(s);
	out = crlf_to_lf(json_object_get_string(s));
	json_object_put(rec);
	return out;
}

/*
 * TestCreateWebServiceFromFile: Export-AzureRmMlWebService -OutputFile,
 * then New-AzureRmMlWebService -DefinitionFile -Location southcentralus.
 * The definition the test exported is the imported test data (recorded as
 * TestCreateGetRemoveWebService's PUT body), with that run's storage
 * account and commitment plan filled in as the scenario tests do.
 */
static void
test_definition__export_file_then_new_matches_recording(void **state)
{
	amlr_definition_body_opts opts = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;
	amlr_json *d, *file_def;
	json_object *sa, *cp, *want_def;
	char *src = recorded_body("TestCreateGetRemoveWebService.json", 7,
				  "RequestBody");
	char *want = recorded_body("TestCreateWebServiceFromFile.json", 7,
				   "RequestBody");
	char *exported;

	(void)state;
	d = import_ok(src, strlen(src));
	want_def = parse_c(want, strlen(want));
	sa = path_get(amlr_json__c(d), "properties", "storageAccount", NULL);
	cp = path_get(amlr_json__c(d), "properties", "commitmentPlan", NULL);
	json_object_object_add(
		sa, "name",
		json_object_get(path_get(want_def, "properties",
					 "storageAccount", "name")));
	json_object_object_add(
		sa, "key",
		json_object_get(path_get(want_def, "properties",
					 "storageAccount", "key")));
	json_object_object_add(
		cp, "id",
		json_object_get(path_get(want_def, "properties",
					 "commitmentPlan", "id")));
	exported = export_ok(d);
	file_def = import_ok(exported, strlen(exported));
	opts.create = 1;
	opts.location = "southcentralus";
	assert_int_equal(
		amlr_definition_request_body(&b, &err, file_def, &opts),
		AMLR_OK);
	assert_string_equal(b.ptr, want);
	/* without -Location, a PUT keeps the definition's own */
	amlr_buf_clear(&b);
	opts.location = NULL;
	assert_int_equal(
		amlr_definition_request_body(&b, &err, file_def, &opts),
		AMLR_OK);
	assert_non_null(
		strstr(b.ptr, "\n  \"location\": \"South Central US\","));
	amlr_buf_release_secret(&b);
	json_object_put(want_def);
	amlr_json_free(d);
	amlr_json_free(file_def);
	free(exported);
	free(src);
	free(want);
}

/*
 * TestUpdateWebService: the imported definition with a new description,
 * sent by Update-AzureRmMlWebService -ServiceUpdates as a PATCH.
 */
static void test_definition__update_patch_matches_recording(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;
	amlr_json *d;
	char *src =
		recorded_body("TestUpdateWebService.json", 7, "RequestBody");
	char *want =
		recorded_body("TestUpdateWebService.json", 15, "RequestBody");

	(void)state;
	d = import_ok(src, strlen(src));
	assert_int_equal(amlr_json_set_str(amlr_json_get(d, "properties"),
					   "description",
					   "This has now changed."),
			 AMLR_OK);
	assert_int_equal(amlr_definition_request_body(&b, &err, d, NULL),
			 AMLR_OK);
	assert_string_equal(b.ptr, want);
	amlr_buf_release_secret(&b);
	amlr_json_free(d);
	free(src);
	free(want);
}

/*
 * A GET reply exports to what the cmdlets send, less what GET never
 * returns (keys, storageAccount.key, commitmentPlan; notes §3): the
 * export of TestCreateGetRemoveWebService's GET equals its PUT body
 * without those, except the encrypted Account Key the service re-encrypted.
 */
static void test_definition__export_of_get_is_put_without_secrets(void **state)
{
	char *get = recorded_body("TestCreateGetRemoveWebService.json", 10,
				  "ResponseBody");
	char *put = recorded_body("TestCreateGetRemoveWebService.json", 7,
				  "RequestBody");
	json_object *g = parse_c(get, strlen(get)),
		    *p = parse_c(put, strlen(put));
	json_object *props = path_get(p, "properties", NULL, NULL), *exp;
	json_object *params, *key;
	char *eg, *ep;

	(void)state;
	json_object_object_del(props, "keys");
	json_object_object_del(path_get(props, "storageAccount", NULL, NULL),
			       "key");
	json_object_object_del(props, "commitmentPlan");
	params = path_get(props, "package", "nodes", "node1");
	key = path_get(path_get(g, "properties", "package", "nodes"), "node1",
		       "parameters", "Account Key");
	json_object_object_add(path_get(params, "parameters", NULL, NULL),
			       "Account Key", json_object_get(key));
	assert_false(amlr_definition_has_secrets(amlr_json__wrap(g)));
	eg = export_ok(amlr_json__wrap(g));
	ep = export_ok(amlr_json__wrap(p));
	assert_string_equal(eg, ep);
	/* and nothing secret was invented */
	exp = parse_c(eg, strlen(eg));
	assert_null(path_get(exp, "properties", "keys", NULL));
	assert_null(path_get(exp, "properties", "commitmentPlan", NULL));
	assert_int_equal(json_object_object_length(path_get(
				 exp, "properties", "storageAccount", NULL)),
			 1);
	json_object_put(exp);
	json_object_put(g);
	json_object_put(p);
	free(eg);
	free(ep);
	free(get);
	free(put);
}

/* Keys the definition does carry are exported, as Az does (notes §4). */
static void test_definition__export_keeps_keys_it_was_given(void **state)
{
	char *put = recorded_body("TestCreateWebServiceFromFile.json", 7,
				  "RequestBody");
	json_object *p = parse_c(put, strlen(put)), *exp;
	char *e;

	(void)state;
	assert_true(amlr_definition_has_secrets(amlr_json__wrap(p)));
	e = export_ok(amlr_json__wrap(p));
	exp = parse_c(e, strlen(e));
	assert_true(json_object_equal(path_get(exp, "properties", "keys", NULL),
				      path_get(p, "properties", "keys", NULL)));
	assert_true(json_object_equal(
		path_get(exp, "properties", "storageAccount", "key"),
		path_get(p, "properties", "storageAccount", "key")));
	json_object_put(exp);
	json_object_put(p);
	free(e);
	free(put);
}

/* What makes a definition file a secret (0600, wiped buffers). */
static void test_definition__has_secrets(void **state)
{
	static const char *const secret[] = {
		G2 "\"keys\": {\"primary\": \"p\"}}}",
		G2 "\"storageAccount\": {\"name\": \"a\", \"key\": \"k\"}}}",
		G2 "\"assets\": {\"a1\": {\"name\": \"n\", \"type\": "
		   "\"Resource\", \"locationInfo\": {\"uri\": \"https://h/m\", "
		   "\"credentials\": \"DefaultEndpointsProtocol=https;"
		   "AccountName=a;AccountKey=k\"}}}}}",
		G2 "\"payloadsInBlobStorage\": true, \"payloadsLocation\": "
		   "{\"uri\": \"https://h/p\", \"credentials\": \"c\"}}}",
	};
	static const char *const plain[] = {
		G2 "\"storageAccount\": {\"name\": \"a\"}}}",
		G2 "\"assets\": {\"a1\": {\"name\": \"n\", \"type\": "
		   "\"Module\", \"locationInfo\": {\"uri\": \"aml://m\", "
		   "\"credentials\": \"\"}}}}}",
		"{\"properties\": {\"packageType\": \"Graph\", "
		"\"keys\": null}}",
	};
	amlr_json *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		d = import_ok(secret[i], strlen(secret[i]));
		if (!amlr_definition_has_secrets(d))
			fail_msg("secret case %zu not seen", i);
		amlr_json_free(d);
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		d = import_ok(plain[i], strlen(plain[i]));
		assert_false(amlr_definition_has_secrets(d));
		amlr_json_free(d);
	}
	d = fixture_def();
	assert_false(amlr_definition_has_secrets(d));
	amlr_json_free(d);
}

/* --- what import accepts -------------------------------------------- */

/*
 * A GET-shaped resource with PascalCase member names (the Az repository's
 * test data uses "Assets", "LocationInfo", "Uri", "Value"), a UTF-8 BOM,
 * CRLF, escaped slashes and \u escapes, read-only members and a null:
 * its export is byte for byte the canonical one.
 */
static void test_definition__import_casing_bom_crlf_resource(void **state)
{
	size_t len, wlen;
	char *text = slurp_fixture("retrain-sample-resource.json", &len);
	char *want = slurp_fixture("retrain-sample.json", &wlen);
	amlr_json *d, *canon;
	char *e;

	(void)state;
	assert_memory_equal(text, "\xEF\xBB\xBF", 3);
	assert_non_null(strstr(text, "\r\n"));
	d = import_ok(text, len);
	/* read-only members survive import, in the spec's casing */
	assert_string_equal(amlr_json_get_str(d, "name"),
			    "RetrainSamplePre.2016.8.17.0.3.51.237");
	assert_string_equal(amlr_json_get_str(amlr_json_get(d, "properties"),
					      "provisioningState"),
			    "Succeeded");
	e = export_ok(d);
	assert_string_equal(e, want);
	canon = import_ok(want, wlen);
	assert_true(amlr_definition_equal(d, canon));
	free(e);
	amlr_json_free(d);
	amlr_json_free(canon);
	free(text);
	free(want);
}

/* 2016-05-01-preview parameters (plain strings) become 2017-01-01's. */
static void test_definition__import_preview_parameters(void **state)
{
	size_t len, wlen;
	char *text = slurp_fixture("preview-shape.json", &len);
	char *want = slurp_fixture("preview-shape.export.json", &wlen);
	amlr_json *d;
	char *e;

	(void)state;
	d = import_ok(text, len);
	e = export_ok(d);
	assert_string_equal(e, want);
	free(e);
	amlr_json_free(d);
	free(text);
	free(want);
}

/* UTF-8 to UTF-16 (what Windows PowerShell 5.1's Out-File writes). */
static char *to_utf16(const char *s, size_t *len, int big)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char *out = malloc(strlen(s) * 4 + 2), *o = out;
	uint32_t c, hi, lo;

	assert_non_null(out);
	*o++ = big ? 0xFE : 0xFF;
	*o++ = big ? 0xFF : 0xFE;
	while (*p) {
		if (*p < 0x80) {
			c = *p++;
		} else if (*p < 0xE0) {
			c = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
			p += 2;
		} else if (*p < 0xF0) {
			c = (uint32_t)(p[0] & 0x0F) << 12 |
			    (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
			p += 3;
		} else {
			c = (uint32_t)(p[0] & 0x07) << 18 |
			    (uint32_t)(p[1] & 0x3F) << 12 |
			    (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
			p += 4;
		}
		if (c >= 0x10000) {
			hi = 0xD800 + ((c - 0x10000) >> 10);
			lo = 0xDC00 + ((c - 0x10000) & 0x3FF);
			*o++ = (unsigned char)(big ? hi >> 8 : hi & 0xFF);
			*o++ = (unsigned char)(big ? hi & 0xFF : hi >> 8);
			c = lo;
		}
		*o++ = (unsigned char)(big ? c >> 8 : c & 0xFF);
		*o++ = (unsigned char)(big ? c & 0xFF : c >> 8);
	}
	*len = (size_t)(o - out);
	return (char *)out;
}

static void test_definition__import_utf16(void **state)
{
	size_t len, ulen;
	char *want = slurp_fixture("retrain-sample.json", &len);
	char *u16, *e, *with_emoji;
	amlr_json *d;
	int big;

	(void)state;
	for (big = 0; big < 2; big++) {
		u16 = to_utf16(want, &ulen, big);
		d = import_ok(u16, ulen);
		e = export_ok(d);
		assert_string_equal(e, want);
		free(e);
		amlr_json_free(d);
		free(u16);
	}
	/* a character outside the BMP travels as a surrogate pair */
	with_emoji = strdup("{\"properties\": {\"packageType\": \"Graph\", "
			    "\"title\": \"model \xF0\x9F\x93\x88\"}}");
	u16 = to_utf16(with_emoji, &ulen, 0);
	d = import_ok(u16, ulen);
	assert_string_equal(
		amlr_json_get_str(amlr_json_get(d, "properties"), "title"),
		"model \xF0\x9F\x93\x88");
	amlr_json_free(d);
	free(u16);
	free(with_emoji);
	free(want);
}

/* Unknown members are kept, after the known ones, in their own casing. */
static void test_definition__import_keeps_unknown_members(void **state)
{
	static const char text[] =
		"{\"Etag\": \"W/1\", \"properties\": {\"x-custom\": [1, 2.50],"
		" \"packageType\": \"Graph\", \"Title\": \"t\","
		" \"assets\": {\"a1\": {\"name\": \"n\", \"type\": \"Module\","
		" \"locationInfo\": {\"uri\": \"aml://m\", \"Extra\": null}}}},"
		" \"location\": \"West US\"}";
	static const char want[] = "{\n"
				   "  \"properties\": {\n"
				   "    \"packageType\": \"Graph\",\n"
				   "    \"title\": \"t\",\n"
				   "    \"assets\": {\n"
				   "      \"a1\": {\n"
				   "        \"name\": \"n\",\n"
				   "        \"type\": \"Module\",\n"
				   "        \"locationInfo\": {\n"
				   "          \"uri\": \"aml://m\",\n"
				   "          \"Extra\": null\n"
				   "        }\n"
				   "      }\n"
				   "    },\n"
				   "    \"x-custom\": [\n"
				   "      1,\n"
				   "      2.50\n"
				   "    ]\n"
				   "  },\n"
				   "  \"location\": \"West US\",\n"
				   "  \"Etag\": \"W/1\"\n"
				   "}\n";
	amlr_json *d = import_ok(text, strlen(text));
	char *e = export_ok(d);

	(void)state;
	assert_string_equal(e, want);
	free(e);
	amlr_json_free(d);
}

/* Newtonsoft's escapes: control characters, U+0085, U+2028, U+2029. */
static void test_definition__export_escapes_like_newtonsoft(void **state)
{
	static const char text[] =
		"{\"properties\": {\"packageType\": \"Graph\", \"title\":"
		" \"a\\\"b\\\\c\\/d\\u0001\\u001f\\b\\f\\n\\r\\t"
		"\\u0085\\u2028\\u2029\\u00e9\\u20ac<>&'\\u007f\"}}";
	static const char want[] =
		"{\n  \"properties\": {\n    \"packageType\": \"Graph\",\n"
		"    \"title\": \"a\\\"b\\\\c/d\\u0001\\u001f\\b\\f\\n\\r\\t"
		"\\u0085\\u2028\\u2029\xC3\xA9\xE2\x82\xAC<>&'\x7F\"\n"
		"  }\n}\n";
	amlr_json *d = import_ok(text, strlen(text));
	char *e = export_ok(d);

	(void)state;
	assert_string_equal(e, want);
	free(e);
	amlr_json_free(d);
}

/* --- what import refuses -------------------------------------------- */

struct bad_case {
	const char *text;
	const char *message; /* the whole message, or its start with '*' */
};

static void check_bad(const struct bad_case *c, size_t n)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d;
	size_t i, k;

	for (i = 0; i < n; i++) {
		d = (amlr_json *)&err; /* must be reset to NULL */
		if (amlr_definition_import(&d, &err, c[i].text,
					   strlen(c[i].text)) != AMLR_EINVAL)
			fail_msg("case %zu accepted: %s", i, c[i].text);
		assert_null(d);
		assert_int_equal(err.code, AMLR_EINVAL);
		k = strlen(c[i].message);
		if (c[i].message[k - 1] == '*'
			    ? strncmp(err.message, c[i].message, k - 1) != 0
			    : strcmp(err.message, c[i].message) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i,
				 err.message, c[i].message);
	}
}

#define G "{\"properties\": {\"packageType\": \"Graph\", "

static void test_definition__import_errors_name_the_path(void **state)
{
	static const struct bad_case cases[] = {
		{ "[]", "definition: expected a JSON object, not an array" },
		{ "{}", "properties: required but missing" },
		{ "{\"properties\": null}", "properties: required but null" },
		{ "{\"properties\": \"x\"}",
		  "properties: expected an object, not a string" },
		{ "{\"properties\": {}}",
		  "properties.packageType: required but missing" },
		{ "{\"Properties\": {\"PackageType\": 1}}",
		  "properties.packageType: expected a string, not an integer" },
		{ "{\"properties\": {\"packageType\": \"Code\"}}",
		  "properties.packageType: unsupported package type 'Code' (only 'Graph' exists)" },
		{ "{\"packageType\": \"Graph\", \"assets\": {}}",
		  "properties: required but missing (the file holds the properties alone; wrap them as {\"properties\": ...})" },
		{ "{\"properties\": {\"packageType\": \"Graph\"}, "
		  "\"Properties\": {}}",
		  "properties: given twice, as 'properties' and 'Properties'" },
		{ G "\"assets\": {\"asset1\": {\"name\": \"Import Data\", "
		    "\"type\": \"Module\", \"locationInfo\": \"aml://x\"}}}}",
		  "properties.assets.asset1.locationInfo: expected an object, not a string" },
		{ G "\"assets\": {\"asset1\": {\"name\": \"Import Data\", "
		    "\"type\": \"Module\", \"locationInfo\": {}}}}}",
		  "properties.assets.asset1.locationInfo.uri: required but missing" },
		{ G "\"assets\": {\"my asset\": {\"type\": \"Module\", "
		    "\"locationInfo\": {\"uri\": \"aml://x\"}}}}}",
		  "properties.assets['my asset'].name: required but missing" },
		{ G "\"assets\": []}}",
		  "properties.assets: expected an object, not an array" },
		{ G "\"readOnly\": \"false\"}}",
		  "properties.readOnly: expected a boolean, not a string" },
		{ G "\"realtimeConfiguration\": {\"maxConcurrentCalls\": 2}}}",
		  "properties.realtimeConfiguration.maxConcurrentCalls: 2 is out of range (4 to 200)" },
		{ G "\"realtimeConfiguration\": "
		    "{\"maxConcurrentCalls\": 30.5}}}",
		  "properties.realtimeConfiguration.maxConcurrentCalls: expected an integer, not a number" },
		{ G "\"package\": {\"edges\": {}}}}",
		  "properties.package.edges: expected an array, not an object" },
		{ G "\"package\": {\"edges\": [{}, {\"targetNodeId\": 4}]}}}",
		  "properties.package.edges[1].targetNodeId: expected a string, not an integer" },
		{ G "\"package\": {\"nodes\": {\"node1\": {\"parameters\": "
		    "{\"Account Key\": {\"value\": \"k\", "
		    "\"certificateThumbprint\": 5}}}}}}}",
		  "properties.package.nodes.node1.parameters['Account Key'].certificateThumbprint: expected a string, not an integer" },
		{ G "\"package\": {\"graphParameters\": {\"p\": "
		    "{\"type\": \"String\"}}}}}",
		  "properties.package.graphParameters.p.links: required but missing" },
		{ G "\"input\": {\"type\": \"object\"}}}",
		  "properties.input.properties: required but missing" },
		{ G "\"diagnostics\": {}}}",
		  "properties.diagnostics.level: required but missing" },
		{ G "\"commitmentPlan\": {\"id\": null}}}",
		  "properties.commitmentPlan.id: required but null" },
		{ G "\"exampleRequest\": {\"inputs\": {\"input1\": "
		    "[[1, 123456789012345678901234]]}}}}",
		  "properties.exampleRequest.inputs.input1[0][1]: integer out of range (beyond 64 bits)" },
		{ G "\"exampleRequest\": {\"inputs\": {\"input1\": [1]}}}}",
		  "properties.exampleRequest.inputs.input1[0]: expected an array, not an integer" },
		{ "{\"properties\": {\"packageType\": \"Graph\"}, "
		  "\"tags\": {\"env\": 1}}",
		  "tags.env: expected a string, not an integer" },
		{ "{\"properties\": {\"packageType\": \"Graph\"}, "
		  "\"location\": [\"West US\"]}",
		  "location: expected a string, not an array" },
	};

	(void)state;
	check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_definition__import_errors_give_the_position(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "the definition is empty" },
		{ " \r\n\t", "the definition is empty" },
		{ "\xEF\xBB\xBF", "the definition is empty" },
		{ "{\n  \"properties\": {\n    \"packageType\": \"Graph\",\n"
		  "  }\n}",
		  "invalid JSON (*" },
		{ "{\"properties\": {\"packageType\": \"Graph\"}} x",
		  "invalid JSON (unexpected character) at line 1, column 42 (byte 41)" },
		{ "{\"properties\": {\"packageType\": \"Gr",
		  "invalid JSON: the text ends too early (truncated?) at line 1, column 35 (byte 34)" },
		{ "\xEF\xBB\xBF{\r\n  \"properties\": {",
		  "invalid JSON: the text ends too early (truncated?) at line 2, column 18 (byte 23)" },
		{ "{\n  \"a\": \"\xC3\x28\"}",
		  "invalid UTF-8 at line 2, column 9 (byte 10)" },
		{ "{\"a\": \"\xED\xA0\x80\"}",
		  "invalid UTF-8 at line 1, column 8 (byte 7)" },
		{ "{\"a\": \"\xC0\xAF\"}",
		  "invalid UTF-8 at line 1, column 8 (byte 7)" },
		{ "\xFF\xFE{\0\0",
		  "invalid UTF-16: the text ends in the middle of a character" },
		{ "\xFF\xFE\0\0{\0\0\0",
		  "the definition is UTF-32 text; save it as UTF-8" },
	};
	static const char multi[] = "{\n  \"properties\": {\n"
				    "    \"packageType\": \"Graph\",\n  }\n}";
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d = NULL;
	size_t i;

	(void)state;
	check_bad(cases, 10);
	/* the last two hold NUL bytes: give them their real length */
	assert_int_equal(amlr_definition_import(&d, &err, cases[10].text, 5),
			 AMLR_EINVAL);
	assert_string_equal(err.message, cases[10].message);
	assert_int_equal(amlr_definition_import(&d, &err, cases[11].text, 8),
			 AMLR_EINVAL);
	assert_string_equal(err.message, cases[11].message);
	/* the stray comma is reported where the parser stopped: line 4 */
	assert_int_equal(amlr_definition_import(&d, &err, multi, strlen(multi)),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "at line 4, column "));
	for (i = 0; i < strlen(err.message); i++)
		assert_true(err.message[i] != '\n');
}

/*
 * Cutting a valid file at every byte offset is always a clean
 * AMLR_EINVAL: never a crash (run under ASan by check-asan), never a
 * half-built definition.
 */
static void truncate_everywhere(const char *text, size_t len, size_t end)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d;
	size_t cut;
	char *copy;

	for (cut = 0; cut < end; cut++) {
		/* a copy of exactly cut bytes, so that ASan sees overreads */
		assert_non_null(copy = malloc(cut ? cut : 1));
		memcpy(copy, text, cut);
		d = (amlr_json *)&err;
		if (amlr_definition_import(&d, &err, copy, cut) != AMLR_EINVAL)
			fail_msg("a cut at byte %zu was accepted", cut);
		assert_null(d);
		assert_true(err.message[0] != '\0');
		free(copy);
	}
	d = import_ok(text, len);
	amlr_json_free(d);
}

static void test_definition__truncation_at_every_offset(void **state)
{
	size_t len, u16len, i, n = 0;
	char *text = slurp_fixture("retrain-sample-resource.json", &len);
	char *canon = slurp_fixture("retrain-sample.json", &i);
	char *u16 = to_utf16(canon, &u16len, 0);

	(void)state;
	/* the last '}' is the last byte whose loss breaks the file */
	for (n = len; n > 0 && text[n - 1] != '}'; n--)
		;
	truncate_everywhere(text, len, n);
	for (n = u16len; n > 0 && !(u16[n - 2] == '}' && u16[n - 1] == 0); n--)
		;
	truncate_everywhere(u16, u16len, n - 1);
	free(u16);
	free(canon);
	free(text);
}

/* --- the trained model --------------------------------------------- */

static amlr_json *fixture_def(void)
{
	size_t len;
	char *text = slurp_fixture("retrain-sample.json", &len);
	amlr_json *d = import_ok(text, len);

	free(text);
	return d;
}

static void expect_einval(amlr_code rc, const amlr_error *err,
			  const char *const *parts)
{
	assert_int_equal(rc, AMLR_EINVAL);
	assert_int_equal(err->code, AMLR_EINVAL);
	for (; *parts; parts++)
		if (!strstr(err->message, *parts))
			fail_msg("'%s' lacks '%s'", err->message, *parts);
}

static void test_definition__find_model(void **state)
{
	static const char *const not_resource[] = {
		"asset asset1 'Execute R Script' is of type 'Module', not a Resource",
		NULL
	};
	static const char *const unknown[] = {
		"no asset 'Nope' in properties.assets, which has: ",
		"asset1 'Execute R Script' (Module), asset2 'Score Model' (Module), asset3 'Retrain Sample [trained model]' (Resource)",
		NULL
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d = fixture_def();
	const char *id = NULL;

	(void)state;
	assert_int_equal(amlr_definition_find_model(&id, &err, d, NULL),
			 AMLR_OK);
	assert_string_equal(id, "asset3");
	assert_int_equal(err.code, AMLR_OK);
	assert_int_equal(amlr_definition_find_model(&id, &err, d, "asset3"),
			 AMLR_OK);
	assert_string_equal(id, "asset3");
	assert_int_equal(
		amlr_definition_find_model(&id, &err, d,
					   "Retrain Sample [trained model]"),
		AMLR_OK);
	assert_string_equal(id, "asset3");
	assert_string_equal(amlr_definition_model_uri(d, id),
			    "https://mltestaccount.blob.core.windows.net/"
			    "azuremlassetscontainer/"
			    "baca7bca650f46218633552c0bcbba0e.ilearner");
	expect_einval(amlr_definition_find_model(&id, &err, d, "asset1"), &err,
		      not_resource);
	assert_null(id);
	expect_einval(amlr_definition_find_model(&id, &err, d, "Nope"), &err,
		      unknown);
	assert_null(amlr_definition_model_uri(d, "asset9"));
	amlr_json_free(d);
}

static amlr_code add_asset(amlr_json *d, const char *id, const char *name,
			   const char *type, const char *uri)
{
	amlr_json *a = NULL, *loc = NULL;

	assert_int_equal(amlr_json_new_object(&a), AMLR_OK);
	assert_int_equal(amlr_json_new_object(&loc), AMLR_OK);
	assert_int_equal(amlr_json_set_str(loc, "uri", uri), AMLR_OK);
	assert_int_equal(amlr_json_set_str(a, "name", name), AMLR_OK);
	assert_int_equal(amlr_json_set_str(a, "type", type), AMLR_OK);
	assert_int_equal(amlr_json_set(a, "locationInfo", loc), AMLR_OK);
	return amlr_json_set(
		amlr_json_get(amlr_json_get(d, "properties"), "assets"), id, a);
}

static void test_definition__find_model_refuses_ambiguity(void **state)
{
	static const char *const several[] = {
		"several Resource assets are named '... [trained model]': ",
		"asset3 'Retrain Sample [trained model]' (Resource), asset4 'Old Sample [Trained Model]' (resource); name one of them",
		NULL
	};
	static const char *const same_name[] = {
		"several assets are named 'Score Model': asset2 'Score Model' (Module), asset5 'Score Model' (Resource); name one by its id",
		NULL
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d = fixture_def();
	const char *id = NULL;

	(void)state;
	/* the docs spell it "[Trained Model]" too: case does not matter */
	assert_int_equal(add_asset(d, "asset4", "Old Sample [Trained Model]",
				   "resource", "https://a.blob/x.ilearner"),
			 AMLR_OK);
	expect_einval(amlr_definition_find_model(&id, &err, d, NULL), &err,
		      several);
	assert_null(id);
	/* naming one resolves it */
	assert_int_equal(amlr_definition_find_model(&id, &err, d, "asset4"),
			 AMLR_OK);
	assert_string_equal(id, "asset4");
	assert_int_equal(add_asset(d, "asset5", "Score Model", "Resource",
				   "https://a.blob/y.ilearner"),
			 AMLR_OK);
	expect_einval(amlr_definition_find_model(&id, &err, d, "Score Model"),
		      &err, same_name);
	assert_int_equal(amlr_definition_find_model(&id, &err, d, "asset5"),
			 AMLR_OK);
	amlr_json_free(d);
}

/*
 * None of the reference bodies has a trained model (their graphs use
 * modules only): the search says so and lists every asset.  List items
 * and LRO replies have no assets at all.
 */
static void test_definition__find_model_absent_in_reference(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	const char *id;
	char *e;
	amlr_json *d;
	size_t i, with_assets = 0;

	(void)state;
	corpus_load();
	for (i = 0; i < corpus.n; i++) {
		e = export_ok(amlr_json__wrap(corpus.v[i].obj));
		if (!has_package_type(corpus.v[i].obj)) {
			free(e);
			continue;
		}
		d = import_ok(e, strlen(e));
		id = "x";
		assert_int_equal(amlr_definition_find_model(&id, &err, d, NULL),
				 AMLR_EINVAL);
		assert_null(id);
		if (amlr_json_get(amlr_json_get(d, "properties"), "assets")) {
			with_assets++;
			assert_non_null(strstr(err.message,
					       "no Resource asset is named "
					       "'... [trained model]'; name "
					       "the model's asset, one of: "
					       "asset1 '"));
			assert_non_null(strstr(err.message, "asset2 '"));
		} else {
			assert_string_equal(
				err.message,
				"properties.assets: missing (a web service list item is not a whole definition; get the web service by name)");
		}
		amlr_json_free(d);
		free(e);
	}
	assert_int_equal(with_assets, 23);
}

static void test_definition__find_model_payload_in_blob(void **state)
{
	static const char text[] =
		"{\"properties\": {\"packageType\": \"Graph\", "
		"\"payloadsInBlobStorage\": true, \"payloadsLocation\": "
		"{\"uri\": \"https://a.blob.core.windows.net/p/def.json\"}}}";
	static const char *const blob[] = { "payloadsLocation", NULL };
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d = import_ok(text, strlen(text));
	const char *id;

	(void)state;
	expect_einval(amlr_definition_find_model(&id, &err, d, NULL), &err,
		      blob);
	amlr_json_free(d);
}

/* Exactly one line differs: the asset's "uri". */
static void assert_one_line_changed(const char *before, const char *after,
				    const char *want_line)
{
	const char *a = before, *b = after, *ea, *eb;
	size_t diffs = 0;

	while (*a && *b) {
		ea = strchr(a, '\n');
		eb = strchr(b, '\n');
		assert_non_null(ea);
		assert_non_null(eb);
		if ((size_t)(ea - a) != (size_t)(eb - b) ||
		    memcmp(a, b, (size_t)(ea - a)) != 0) {
			diffs++;
			assert_int_equal((size_t)(eb - b), strlen(want_line));
			assert_memory_equal(b, want_line, strlen(want_line));
		}
		a = ea + 1;
		b = eb + 1;
	}
	assert_true(!*a && !*b);
	assert_int_equal(diffs, 1);
}

static void test_definition__patch_changes_only_the_model_uri(void **state)
{
	static const char uri[] =
		"https://mltestaccount.blob.core.windows.net/"
		"experimentoutput/retrained/model-2024-06-01.ilearner";
	size_t len;
	char *canon = slurp_fixture("retrain-sample.json", &len);
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d = fixture_def(), *again;
	const char *id;
	char *before, *after, line[256];

	(void)state;
	before = export_ok(d);
	assert_string_equal(before, canon);
	assert_int_equal(amlr_definition_find_model(&id, &err, d, NULL),
			 AMLR_OK);
	assert_int_equal(amlr_definition_set_model_uri(d, &err, id, uri),
			 AMLR_OK);
	assert_int_equal(err.code, AMLR_OK);
	assert_string_equal(amlr_definition_model_uri(d, id), uri);
	after = export_ok(d);
	snprintf(line, sizeof(line), "          \"uri\": \"%s\"", uri);
	assert_one_line_changed(before, after, line);
	/* and the patched file imports back to the same definition */
	again = import_ok(after, strlen(after));
	assert_true(amlr_definition_equal(again, d));
	amlr_json_free(again);
	again = import_ok(before, strlen(before));
	assert_false(amlr_definition_equal(again, d));
	amlr_json_free(again);
	free(before);
	free(after);
	free(canon);
	amlr_json_free(d);
}

/*
 * Over every reference definition with assets: give it a trained model
 * as the retraining docs show it (asset3), patch it, and compare every
 * other byte of the export.
 */
static void test_definition__patch_every_reference_definition(void **state)
{
	static const char old_uri[] =
		"https://mltestaccount.blob.core.windows.net/"
		"azuremlassetscontainer/baca7bca650f46218633552c0bcbba0e.ilearner";
	static const char new_uri[] =
		"http://127.0.0.1:10000/devstoreaccount1/models/new.ilearner";
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d, *d2;
	const char *id;
	char *e, *before, *after, line[256];
	size_t i, patched = 0;

	(void)state;
	corpus_load();
	snprintf(line, sizeof(line), "          \"uri\": \"%s\"", new_uri);
	for (i = 0; i < corpus.n; i++) {
		if (!path_get(corpus.v[i].obj, "properties", "assets", NULL))
			continue;
		e = export_ok(amlr_json__wrap(corpus.v[i].obj));
		d = import_ok(e, strlen(e));
		assert_int_equal(add_asset(d, "asset3",
					   "Retrain Sample [trained model]",
					   "Resource", old_uri),
				 AMLR_OK);
		before = export_ok(d);
		d2 = import_ok(before, strlen(before));
		assert_int_equal(
			amlr_definition_find_model(&id, &err, d2, NULL),
			AMLR_OK);
		assert_string_equal(id, "asset3");
		assert_int_equal(
			amlr_definition_set_model_uri(d2, &err, id, new_uri),
			AMLR_OK);
		after = export_ok(d2);
		assert_one_line_changed(before, after, line);
		free(before);
		free(after);
		free(e);
		amlr_json_free(d);
		amlr_json_free(d2);
		patched++;
	}
	assert_int_equal(patched, 23);
}

static void test_definition__model_uri_rules(void **state)
{
	static const char *const good[] = {
		"https://acct.blob.core.windows.net/c/m.ilearner",
		"HTTPS://acct.blob.core.windows.net/c/m.ilearner",
		"http://127.0.0.1:10000/devstoreaccount1/c/m.ilearner",
		"http://localhost:8080/devstoreaccount1/c/m.ilearner",
		"http://[::1]:8080/devstoreaccount1/c/m.ilearner",
		"https://acct.blob.core.windows.net/c/m.ilearner?comp=x",
	};
	static const char *const bad[] = {
		"http://acct.blob.core.windows.net/c/m.ilearner",
		"http://127.0.0.1.example.com/c/m.ilearner",
		"ftp://acct/c/m.ilearner",
		"aml://module/x",
		"acct.blob.core.windows.net/c/m.ilearner",
		"",
		"https://acct.blob.core.windows.net/c/m ilearner",
		"https://user:SECRETPASS@acct.blob.core.windows.net/c/m",
		"https://acct.blob.core.windows.net/c/m?sv=2019-02-02&sig=SECRETSIG%3D&se=2030",
		"https://acct.blob.core.windows.net/c/m?SIG=SECRETSIG",
	};
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *d = fixture_def();
	char *before = export_ok(d), *after;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (amlr_definition_set_model_uri(d, &err, "asset3", bad[i]) !=
		    AMLR_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strncmp(err.message, "model URI: ", 11) == 0);
		/* the URI may hold a secret: never in the message */
		assert_null(strstr(err.message, "SECRET"));
		assert_null(strstr(err.message, "acct"));
	}
	/* a refused URI changes nothing */
	after = export_ok(d);
	assert_string_equal(after, before);
	free(after);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (amlr_definition_set_model_uri(d, &err, "asset3", good[i]) !=
		    AMLR_OK)
			fail_msg("'%s' refused: %s", good[i], err.message);
		assert_string_equal(amlr_definition_model_uri(d, "asset3"),
				    good[i]);
	}
	assert_int_equal(
		amlr_definition_set_model_uri(d, &err, "asset9", good[0]),
		AMLR_EINVAL);
	assert_string_equal(err.message,
			    "properties.assets: no asset 'asset9'");
	free(before);
	amlr_json_free(d);
}

/* --- request bodies ------------------------------------------------- */

static void test_definition__request_body_options(void **state)
{
	amlr_definition_body_opts opts = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;
	amlr_json *d = fixture_def(), *nolocation = NULL, *sparse = NULL;
	json_object *body, *params;
	static const char bare[] =
		"{\"properties\": {\"packageType\": \"Graph\"}}";
	static const char sparse_text[] =
		"{\"location\": \"West US\", \"properties\": "
		"{\"title\": \"t\"}}";

	(void)state;
	opts.api_version = "2015-01-01";
	assert_int_equal(amlr_definition_request_body(&b, &err, d, &opts),
			 AMLR_EINVAL);
	assert_string_equal(err.message,
			    "unknown api-version '2015-01-01' (expected "
			    "2017-01-01 or 2016-05-01-preview)");
	/* the preview shape: parameters as strings, no 2017-only members */
	opts.api_version = AMLR_DEFINITION_API_PREVIEW;
	assert_int_equal(amlr_definition_request_body(&b, &err, d, &opts),
			 AMLR_OK);
	body = parse_c(b.ptr, b.len);
	params = path_get(body, "properties", "package", "nodes");
	assert_string_equal(
		json_object_get_string(
			path_get(path_get(params, "node3", "parameters", NULL),
				 "Append score columns to output", NULL, NULL)),
		"True");
	assert_null(
		path_get(body, "properties", "payloadsInBlobStorage", NULL));
	json_object_put(body);
	/* a PUT needs a location; PATCH does not */
	amlr_buf_clear(&b);
	assert_int_equal(amlr_json_set(d, "location", NULL), AMLR_OK);
	opts.api_version = NULL;
	opts.create = 1;
	assert_int_equal(amlr_definition_request_body(&b, &err, d, &opts),
			 AMLR_EINVAL);
	assert_string_equal(err.message,
			    "location: required but missing (a new web "
			    "service needs a location)");
	opts.location = "West Europe";
	amlr_buf_clear(&b);
	assert_int_equal(amlr_definition_request_body(&b, &err, d, &opts),
			 AMLR_OK);
	/* the location goes where the Az module writes it */
	assert_non_null(strstr(b.ptr, "\n  },\n  \"location\": \"West Europe\","
				      "\n  \"tags\": {"));
	opts.create = 0;
	opts.location = NULL;
	amlr_buf_clear(&b);
	assert_int_equal(amlr_json_parse(&nolocation, NULL, bare, strlen(bare)),
			 AMLR_OK);
	assert_int_equal(
		amlr_definition_request_body(&b, &err, nolocation, NULL),
		AMLR_OK);
	assert_string_equal(b.ptr, "{\n  \"properties\": {\n    "
				   "\"packageType\": \"Graph\"\n  }\n}");
	/* a body is always a valid definition */
	assert_int_equal(amlr_json_parse(&sparse, NULL, sparse_text,
					 strlen(sparse_text)),
			 AMLR_OK);
	assert_int_equal(amlr_definition_request_body(&b, &err, sparse, NULL),
			 AMLR_EINVAL);
	assert_string_equal(err.message,
			    "properties.packageType: required but missing");
	amlr_buf_release_secret(&b);
	amlr_json_free(sparse);
	amlr_json_free(nolocation);
	amlr_json_free(d);
}

/* What the preview shape cannot say is an error, not a silent loss. */
static void test_definition__request_body_preview_refusals(void **state)
{
	amlr_definition_body_opts opts = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;
	char *put = recorded_body("TestCreateGetRemoveWebService.json", 7,
				  "RequestBody");
	amlr_json *d = import_ok(put, strlen(put)), *n = NULL;
	static const char number[] =
		"{\"properties\": {\"packageType\": \"Graph\", \"parameters\":"
		" {\"Threshold\": {\"value\": 0.5}}}}";
	static const char blob[] =
		"{\"properties\": {\"packageType\": \"Graph\","
		" \"payloadsInBlobStorage\": true}}";

	(void)state;
	opts.api_version = AMLR_DEFINITION_API_PREVIEW;
	assert_int_equal(amlr_definition_request_body(&b, &err, d, &opts),
			 AMLR_EINVAL);
	assert_string_equal(
		err.message,
		"properties.package.nodes.node1.parameters['Account Key']: an encrypted value (certificateThumbprint) cannot be sent with api-version 2016-05-01-preview");
	amlr_json_free(d);
	d = import_ok(number, strlen(number));
	assert_int_equal(amlr_definition_request_body(&b, &err, d, &opts),
			 AMLR_EINVAL);
	assert_string_equal(
		err.message,
		"properties.parameters.Threshold: api-version 2016-05-01-preview takes only string values, not a number");
	n = import_ok(blob, strlen(blob));
	assert_int_equal(amlr_definition_request_body(&b, &err, n, &opts),
			 AMLR_EINVAL);
	assert_string_equal(
		err.message,
		"properties.payloadsInBlobStorage: payloads kept in blob storage cannot be sent with api-version 2016-05-01-preview");
	amlr_buf_release(&b);
	amlr_json_free(n);
	amlr_json_free(d);
	free(put);
}

/* --- equality ------------------------------------------------------ */

static void test_definition__equal(void **state)
{
	static const char a[] = "{\"properties\": {\"packageType\": \"Graph\", "
				"\"title\": \"t\", \"readOnly\": false}, "
				"\"location\": \"West US\"}";
	static const char b[] = "{\"location\": \"West US\", \"id\": \"/x\", "
				"\"properties\": {\"ReadOnly\": false, "
				"\"createdOn\": \"2017-01-01T01:01:01Z\", "
				"\"title\": \"t\", \"PACKAGETYPE\": \"Graph\", "
				"\"description\": null}}";
	static const char c[] = "{\"properties\": {\"packageType\": \"Graph\", "
				"\"title\": \"t\", \"readOnly\": true}, "
				"\"location\": \"West US\"}";
	amlr_json *ja = NULL, *jb = NULL, *jc = NULL;

	(void)state;
	assert_int_equal(amlr_json_parse(&ja, NULL, a, strlen(a)), AMLR_OK);
	assert_int_equal(amlr_json_parse(&jb, NULL, b, strlen(b)), AMLR_OK);
	assert_int_equal(amlr_json_parse(&jc, NULL, c, strlen(c)), AMLR_OK);
	/* order, casing, read-only members and nulls do not count */
	assert_true(amlr_definition_equal(ja, jb));
	assert_true(amlr_definition_equal(jb, ja));
	assert_false(amlr_definition_equal(ja, jc));
	/* what cannot be normalised compares as plain JSON */
	assert_true(amlr_definition_equal(NULL, NULL));
	assert_false(amlr_definition_equal(ja, NULL));
	amlr_json_free(ja);
	amlr_json_free(jb);
	amlr_json_free(jc);
}

/* --- the spec itself ------------------------------------------------ */

/*
 * Generate, from a webservices.json spec, a WebService with every member
 * the spec defines (maps with one entry, arrays with one element), its
 * names in UPPER CASE; and beside it what the export must say: the
 * spec's casing, without the members the spec marks readOnly (and
 * without the top-level name, read-only in 2017-01-01 which the Az module
 * speaks), preview parameters in the 2017-01-01 shape.
 */
struct spec {
	json_object *defs;
	int preview;
};

static json_object *resolve(const struct spec *s, json_object *schema,
			    const char **name)
{
	const char *ref;
	json_object *r;

	while (json_object_object_get_ex(schema, "$ref", &r)) {
		ref = json_object_get_string(r);
		assert_true(strncmp(ref, "#/definitions/", 14) == 0);
		*name = ref + 14;
		assert_true(json_object_object_get_ex(s->defs, *name, &schema));
	}
	return schema;
}

/* The members of a definition: its allOf parents', its own, subtypes'. */
static void collect_members(const struct spec *s, json_object *schema,
			    const char *name, json_object *into)
{
	json_object *all, *props, *sub, *ref;
	struct lh_entry *e, *p;
	const char *pname = NULL;
	char want[200];
	size_t i;

	if (json_object_object_get_ex(schema, "allOf", &all))
		for (i = 0; i < json_object_array_length(all); i++) {
			sub = resolve(s, json_object_array_get_idx(all, i),
				      &pname);
			collect_members(s, sub, pname, into);
		}
	if (json_object_object_get_ex(schema, "properties", &props))
		for (e = json_object_get_object(props)->head; e; e = e->next)
			json_object_object_add(
				into, (const char *)lh_entry_k(e),
				json_object_get((json_object *)lh_entry_v(e)));
	if (!name || !json_object_object_get_ex(schema, "discriminator", NULL))
		return;
	snprintf(want, sizeof(want), "#/definitions/%s", name);
	for (e = json_object_get_object(s->defs)->head; e; e = e->next) {
		if (!json_object_object_get_ex((json_object *)lh_entry_v(e),
					       "allOf", &all))
			continue;
		for (i = 0; i < json_object_array_length(all); i++) {
			ref = path_get(json_object_array_get_idx(all, i),
				       "$ref", NULL, NULL);
			if (!ref || strcmp(json_object_get_string(ref), want) ||
			    !json_object_object_get_ex(
				    (json_object *)lh_entry_v(e), "properties",
				    &props))
				continue;
			for (p = json_object_get_object(props)->head; p;
			     p = p->next)
				json_object_object_add(
					into, (const char *)lh_entry_k(p),
					json_object_get(
						(json_object *)lh_entry_v(p)));
		}
	}
}

static void upper(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

static void generate(const struct spec *s, json_object *schema, int depth,
		     int param, json_object **in, json_object **want);

static void generate_object(const struct spec *s, json_object *schema,
			    const char *name, int depth, json_object **in,
			    json_object **want)
{
	json_object *members = json_object_new_object(), *ci, *cw, *ro;
	struct lh_entry *e;
	const char *key;
	char up[128];

	collect_members(s, schema, name, members);
	*in = json_object_new_object();
	*want = json_object_new_object();
	for (e = json_object_get_object(members)->head; e; e = e->next) {
		key = (const char *)lh_entry_k(e);
		generate(s, (json_object *)lh_entry_v(e), depth + 1,
			 strcmp(key, "parameters") == 0, &ci, &cw);
		upper(up, sizeof(up), key);
		json_object_object_add(*in, up, ci);
		ro = path_get((json_object *)lh_entry_v(e), "readOnly", NULL,
			      NULL);
		if ((ro && json_object_get_boolean(ro)) ||
		    (depth == 0 && strcmp(key, "name") == 0))
			json_object_put(cw);
		else
			json_object_object_add(*want, key, cw);
	}
	json_object_put(members);
}

static void generate(const struct spec *s, json_object *schema, int depth,
		     int param, json_object **in, json_object **want)
{
	const char *name = NULL, *type;
	json_object *t, *extra, *items, *en, *min, *ci, *cw, *props;

	schema = resolve(s, schema, &name);
	t = path_get(schema, "type", NULL, NULL);
	type = t ? json_object_get_string(t) : "object";
	if (json_object_object_get_ex(schema, "additionalProperties", &extra)) {
		*in = json_object_new_object();
		*want = json_object_new_object();
		if (depth > 12)
			return;
		generate(s, extra, depth + 1, 0, &ci, &cw);
		if (param && json_object_is_type(ci, json_type_string)) {
			/* a preview parameter: a plain string */
			json_object_put(cw);
			cw = json_object_new_object();
			json_object_object_add(cw, "value",
					       json_object_get(ci));
		}
		json_object_object_add(*in, "Entry One", ci);
		json_object_object_add(*want, "Entry One", cw);
		return;
	}
	if (strcmp(type, "object") == 0) {
		if (json_object_object_get_ex(schema, "properties", &props) ||
		    json_object_object_get_ex(schema, "allOf", NULL)) {
			generate_object(s, schema, name, depth, in, want);
			return;
		}
		/* "type": "object" without members: any value */
		*in = json_object_new_string("any value");
	} else if (strcmp(type, "array") == 0) {
		*in = json_object_new_array();
		*want = json_object_new_array();
		assert_true(json_object_object_get_ex(schema, "items", &items));
		if (depth > 12)
			return;
		generate(s, items, depth + 1, 0, &ci, &cw);
		json_object_array_add(*in, ci);
		json_object_array_add(*want, cw);
		return;
	} else if (strcmp(type, "boolean") == 0) {
		*in = json_object_new_boolean(1);
	} else if (strcmp(type, "integer") == 0) {
		min = path_get(schema, "minimum", NULL, NULL);
		*in = json_object_new_int64(min ? json_object_get_int64(min)
						: 7);
	} else if (strcmp(type, "number") == 0) {
		*in = json_object_new_double_s(0.5, "0.5");
	} else if (json_object_object_get_ex(schema, "enum", &en)) {
		*in = json_object_get(json_object_array_get_idx(en, 0));
	} else {
		*in = json_object_new_string("text");
	}
	*want = json_object_get(*in);
}

/* Member order must be the same, object by object. */
static void assert_same_order(json_object *a, json_object *b)
{
	struct lh_entry *ea, *eb;
	size_t i;

	if (json_object_is_type(a, json_type_array)) {
		for (i = 0; i < json_object_array_length(a); i++)
			assert_same_order(json_object_array_get_idx(a, i),
					  json_object_array_get_idx(b, i));
		return;
	}
	if (!json_object_is_type(a, json_type_object))
		return;
	for (ea = json_object_get_object(a)->head,
	    eb = json_object_get_object(b)->head;
	     ea && eb; ea = ea->next, eb = eb->next) {
		assert_string_equal((const char *)lh_entry_k(ea),
				    (const char *)lh_entry_k(eb));
		assert_same_order((json_object *)lh_entry_v(ea),
				  (json_object *)lh_entry_v(eb));
	}
	assert_true(!ea && !eb);
}

/* Az's order: properties, location, tags; packageType and package first. */
static json_object *az_order(json_object *want)
{
	static const char *const top[] = { "properties", "location", "tags" };
	json_object *out = json_object_new_object(), *p, *np, *v;
	struct lh_entry *e;
	size_t i;

	for (i = 0; i < 3; i++)
		if (json_object_object_get_ex(want, top[i], &v))
			json_object_object_add(out, top[i], json_object_get(v));
	p = path_get(want, "properties", NULL, NULL);
	np = json_object_new_object();
	json_object_object_add(
		np, "packageType",
		json_object_get(path_get(p, "packageType", NULL, NULL)));
	json_object_object_add(
		np, "package",
		json_object_get(path_get(p, "package", NULL, NULL)));
	for (e = json_object_get_object(p)->head; e; e = e->next)
		if (!json_object_object_get_ex(np, (const char *)lh_entry_k(e),
					       NULL))
			json_object_object_add(
				np, (const char *)lh_entry_k(e),
				json_object_get((json_object *)lh_entry_v(e)));
	json_object_object_add(out, "properties", np);
	return out;
}

static void check_spec(const char *rel, int preview)
{
	struct spec s = { NULL, preview };
	json_object *file, *ws, *in, *want, *ordered, *got;
	const char *name = "WebService";
	amlr_json *d;
	char *text, *e;
	size_t len;

	text = slurp_ref(rel, &len);
	file = parse_c(text, len);
	free(text);
	assert_true(json_object_object_get_ex(file, "definitions", &s.defs));
	assert_true(json_object_object_get_ex(s.defs, "WebService", &ws));
	generate_object(&s, ws, name, 0, &in, &want);
	text = strdup(
		json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN));
	d = import_ok(text, strlen(text));
	e = export_ok(d);
	got = parse_c(e, strlen(e));
	if (!json_object_equal(got, want))
		fail_msg("%s: export\n%s\nwant\n%s", rel, e,
			 json_object_to_json_string_ext(
				 want, JSON_C_TO_STRING_PRETTY));
	ordered = az_order(want);
	assert_same_order(got, ordered);
	json_object_put(ordered);
	json_object_put(got);
	free(e);
	free(text);
	amlr_json_free(d);
	json_object_put(in);
	json_object_put(want);
	json_object_put(file);
}

static void test_definition__every_spec_member_2017(void **state)
{
	(void)state;
	check_spec("arm-machinelearning/stable/2017-01-01/webservices.json", 0);
}

static void test_definition__every_spec_member_preview(void **state)
{
	(void)state;
	check_spec("arm-machinelearning/preview/2016-05-01-preview/"
		   "webservices.json",
		   1);
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < corpus.n; i++)
		json_object_put(corpus.v[i].obj);
	free(corpus.v);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_definition__round_trip_every_reference_body),
		cmocka_unit_test(
			test_definition__request_bodies_match_recordings),
		cmocka_unit_test(
			test_definition__export_file_then_new_matches_recording),
		cmocka_unit_test(
			test_definition__update_patch_matches_recording),
		cmocka_unit_test(
			test_definition__export_of_get_is_put_without_secrets),
		cmocka_unit_test(
			test_definition__export_keeps_keys_it_was_given),
		cmocka_unit_test(test_definition__has_secrets),
		cmocka_unit_test(
			test_definition__import_casing_bom_crlf_resource),
		cmocka_unit_test(test_definition__import_preview_parameters),
		cmocka_unit_test(test_definition__import_utf16),
		cmocka_unit_test(test_definition__import_keeps_unknown_members),
		cmocka_unit_test(
			test_definition__export_escapes_like_newtonsoft),
		cmocka_unit_test(test_definition__import_errors_name_the_path),
		cmocka_unit_test(
			test_definition__import_errors_give_the_position),
		cmocka_unit_test(test_definition__truncation_at_every_offset),
		cmocka_unit_test(test_definition__find_model),
		cmocka_unit_test(test_definition__find_model_refuses_ambiguity),
		cmocka_unit_test(
			test_definition__find_model_absent_in_reference),
		cmocka_unit_test(test_definition__find_model_payload_in_blob),
		cmocka_unit_test(
			test_definition__patch_changes_only_the_model_uri),
		cmocka_unit_test(
			test_definition__patch_every_reference_definition),
		cmocka_unit_test(test_definition__model_uri_rules),
		cmocka_unit_test(test_definition__request_body_options),
		cmocka_unit_test(
			test_definition__request_body_preview_refusals),
		cmocka_unit_test(test_definition__equal),
		cmocka_unit_test(test_definition__every_spec_member_2017),
		cmocka_unit_test(test_definition__every_spec_member_preview),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
