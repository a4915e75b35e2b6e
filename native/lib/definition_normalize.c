/* SPDX-License-Identifier: MIT */
/* The schema of a web-service definition, and its normalisation. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "amlr/definition.h"
#include "definition_internal.h"

/*
 * The schema of a Microsoft.MachineLearning/webServices resource, from
 * ../shared/reference/arm-machinelearning/stable/2017-01-01/webservices.json
 * (preview differences in notes/arm-webservices.md §2.1).  Members are
 * listed in the order Export-AzMlWebService writes them: the .NET SDK's
 * property order, which is the spec's, except that the polymorphic
 * converter puts the discriminator packageType and the Graph subtype's
 * package first, and that Newtonsoft writes the derived WebService's
 * properties before the base Resource's location and tags
 * (notes/azure-powershell-ml.md §4; the recorded request bodies in
 * recorded-sessions/ are byte for byte in this order).
 */
enum kind {
	T_ANY, /* any value: the spec's "type": "object" without members */
	T_STRING,
	T_BOOL,
	T_INT,
	T_OBJECT, /* members from a field table */
	T_MAP, /* a dictionary: keys verbatim, values of one type */
	T_ARRAY,
	T_PARAM /* WebServiceParameter, or a preview plain value */
};

struct field;

struct type {
	enum kind kind;
	const struct type *elem; /* T_MAP, T_ARRAY */
	const struct field *fields; /* T_OBJECT, T_PARAM */
	size_t nfields;
};

#define F_RO 1u /* read-only in the spec: export leaves it out */
#define F_REQ 2u /* required by the spec */
#define F_GRAPH 4u /* packageType: only "Graph" exists */
#define F_NEW 8u /* 2017-01-01 only: not in preview bodies */

struct field {
	const char *name;
	const struct type *type;
	unsigned flags;
	int64_t min, max; /* T_INT bounds when max > 0 */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define OBJECT(f)                           \
	{                                   \
		T_OBJECT, NULL, f, COUNT(f) \
	}
#define MAP_OF(t)                 \
	{                         \
		T_MAP, t, NULL, 0 \
	}
#define ARRAY_OF(t)                 \
	{                           \
		T_ARRAY, t, NULL, 0 \
	}

static const struct type t_any = { T_ANY, NULL, NULL, 0 };
static const struct type t_string = { T_STRING, NULL, NULL, 0 };
static const struct type t_bool = { T_BOOL, NULL, NULL, 0 };
static const struct type t_int = { T_INT, NULL, NULL, 0 };
static const struct type t_string_map = MAP_OF(&t_string);
static const struct type t_any_map = MAP_OF(&t_any);
static const struct type t_any_array = ARRAY_OF(&t_any);
static const struct type t_rows = ARRAY_OF(&t_any_array);
static const struct type t_rows_map = MAP_OF(&t_rows);

static const struct field f_param[] = {
	{ "value", &t_any, 0, 0, 0 },
	{ "certificateThumbprint", &t_string, 0, 0, 0 },
};
static const struct type t_param = { T_PARAM, NULL, f_param, COUNT(f_param) };
static const struct type t_params = MAP_OF(&t_param);

static const struct field f_blob[] = {
	{ "uri", &t_string, F_REQ, 0, 0 },
	{ "credentials", &t_string, 0, 0, 0 },
};
static const struct type t_blob = OBJECT(f_blob);

static const struct field f_port[] = {
	{ "type", &t_string, 0, 0, 0 },
};
static const struct type t_port = OBJECT(f_port);
static const struct type t_ports = MAP_OF(&t_port);

/* ModuleAssetParameter and ModeValueInfo refer to each other. */
static const struct type t_module_params;
static const struct field f_mode_value[] = {
	{ "interfaceString", &t_string, 0, 0, 0 },
	{ "parameters", &t_module_params, 0, 0, 0 },
};
static const struct type t_mode_value = OBJECT(f_mode_value);
static const struct type t_mode_values = MAP_OF(&t_mode_value);
static const struct field f_module_param[] = {
	{ "name", &t_string, 0, 0, 0 },
	{ "parameterType", &t_string, 0, 0, 0 },
	{ "modeValuesInfo", &t_mode_values, 0, 0, 0 },
};
static const struct type t_module_param = OBJECT(f_module_param);
static const struct type t_module_params = ARRAY_OF(&t_module_param);

static const struct field f_asset[] = {
	{ "name", &t_string, F_REQ, 0, 0 },
	{ "id", &t_string, 0, 0, 0 },
	{ "type", &t_string, F_REQ, 0, 0 },
	{ "locationInfo", &t_blob, F_REQ, 0, 0 },
	{ "inputPorts", &t_ports, 0, 0, 0 },
	{ "outputPorts", &t_ports, 0, 0, 0 },
	{ "metadata", &t_string_map, 0, 0, 0 },
	{ "parameters", &t_module_params, 0, 0, 0 },
};
static const struct type t_asset = OBJECT(f_asset);
static const struct type t_assets = MAP_OF(&t_asset);

static const struct field f_column[] = {
	{ "type", &t_string, F_REQ, 0, 0 },
	{ "format", &t_string, 0, 0, 0 },
	{ "enum", &t_any_array, 0, 0, 0 },
	{ "x-ms-isnullable", &t_bool, 0, 0, 0 },
	{ "x-ms-isordered", &t_bool, 0, 0, 0 },
};
static const struct type t_column = OBJECT(f_column);
static const struct type t_columns = MAP_OF(&t_column);

static const struct field f_table[] = {
	{ "title", &t_string, 0, 0, 0 },
	{ "description", &t_string, 0, 0, 0 },
	{ "type", &t_string, F_REQ, 0, 0 },
	{ "format", &t_string, 0, 0, 0 },
	{ "properties", &t_columns, 0, 0, 0 },
};
static const struct type t_table = OBJECT(f_table);
static const struct type t_tables = MAP_OF(&t_table);

static const struct field f_io[] = {
	{ "title", &t_string, 0, 0, 0 },
	{ "description", &t_string, 0, 0, 0 },
	{ "type", &t_string, F_REQ, 0, 0 },
	{ "properties", &t_tables, F_REQ, 0, 0 },
};
static const struct type t_io = OBJECT(f_io);

static const struct field f_example[] = {
	{ "inputs", &t_rows_map, 0, 0, 0 },
	{ "globalParameters", &t_any_map, 0, 0, 0 },
};
static const struct type t_example = OBJECT(f_example);

static const struct field f_node[] = {
	{ "assetId", &t_string, 0, 0, 0 },
	{ "inputId", &t_string, 0, 0, 0 },
	{ "outputId", &t_string, 0, 0, 0 },
	{ "parameters", &t_params, 0, 0, 0 },
};
static const struct type t_node = OBJECT(f_node);
static const struct type t_nodes = MAP_OF(&t_node);

static const struct field f_edge[] = {
	{ "sourceNodeId", &t_string, 0, 0, 0 },
	{ "sourcePortId", &t_string, 0, 0, 0 },
	{ "targetNodeId", &t_string, 0, 0, 0 },
	{ "targetPortId", &t_string, 0, 0, 0 },
};
static const struct type t_edge = OBJECT(f_edge);
static const struct type t_edges = ARRAY_OF(&t_edge);

static const struct field f_link[] = {
	{ "nodeId", &t_string, F_REQ, 0, 0 },
	{ "parameterKey", &t_string, F_REQ, 0, 0 },
};
static const struct type t_link = OBJECT(f_link);
static const struct type t_links = ARRAY_OF(&t_link);

static const struct field f_graph_param[] = {
	{ "description", &t_string, 0, 0, 0 },
	{ "type", &t_string, F_REQ, 0, 0 },
	{ "links", &t_links, F_REQ, 0, 0 },
};
static const struct type t_graph_param = OBJECT(f_graph_param);
static const struct type t_graph_params = MAP_OF(&t_graph_param);

static const struct field f_package[] = {
	{ "nodes", &t_nodes, 0, 0, 0 },
	{ "edges", &t_edges, 0, 0, 0 },
	{ "graphParameters", &t_graph_params, 0, 0, 0 },
};
static const struct type t_package = OBJECT(f_package);

static const struct field f_keys[] = {
	{ "primary", &t_string, 0, 0, 0 },
	{ "secondary", &t_string, 0, 0, 0 },
};
static const struct type t_keys = OBJECT(f_keys);

static const struct field f_realtime[] = {
	{ "maxConcurrentCalls", &t_int, 0, 4, 200 },
};
static const struct type t_realtime = OBJECT(f_realtime);

static const struct field f_diagnostics[] = {
	{ "level", &t_string, F_REQ, 0, 0 },
	{ "expiry", &t_string, 0, 0, 0 },
};
static const struct type t_diagnostics = OBJECT(f_diagnostics);

static const struct field f_storage[] = {
	{ "name", &t_string, 0, 0, 0 },
	{ "key", &t_string, 0, 0, 0 },
};
static const struct type t_storage = OBJECT(f_storage);

static const struct field f_id_ref[] = {
	{ "id", &t_string, F_REQ, 0, 0 },
};
static const struct type t_id_ref = OBJECT(f_id_ref);

static const struct field f_properties[] = {
	{ "packageType", &t_string, F_REQ | F_GRAPH, 0, 0 },
	{ "package", &t_package, 0, 0, 0 },
	{ "title", &t_string, 0, 0, 0 },
	{ "description", &t_string, 0, 0, 0 },
	{ "createdOn", &t_string, F_RO, 0, 0 },
	{ "modifiedOn", &t_string, F_RO, 0, 0 },
	{ "provisioningState", &t_string, F_RO, 0, 0 },
	{ "keys", &t_keys, 0, 0, 0 },
	{ "readOnly", &t_bool, 0, 0, 0 },
	{ "swaggerLocation", &t_string, F_RO, 0, 0 },
	{ "exposeSampleData", &t_bool, 0, 0, 0 },
	{ "realtimeConfiguration", &t_realtime, 0, 0, 0 },
	{ "diagnostics", &t_diagnostics, 0, 0, 0 },
	{ "storageAccount", &t_storage, 0, 0, 0 },
	{ "machineLearningWorkspace", &t_id_ref, 0, 0, 0 },
	{ "commitmentPlan", &t_id_ref, 0, 0, 0 },
	{ "input", &t_io, 0, 0, 0 },
	{ "output", &t_io, 0, 0, 0 },
	{ "exampleRequest", &t_example, 0, 0, 0 },
	{ "assets", &t_assets, 0, 0, 0 },
	{ "parameters", &t_params, 0, 0, 0 },
	{ "payloadsInBlobStorage", &t_bool, F_NEW, 0, 0 },
	{ "payloadsLocation", &t_blob, F_NEW, 0, 0 },
};
static const struct type t_properties = OBJECT(f_properties);

/* id, name and type are read-only in 2017-01-01, which the Az module uses. */
static const struct field f_resource[] = {
	{ "id", &t_string, F_RO, 0, 0 },
	{ "name", &t_string, F_RO, 0, 0 },
	{ "type", &t_string, F_RO, 0, 0 },
	{ "properties", &t_properties, F_REQ, 0, 0 },
	{ "location", &t_string, 0, 0, 0 },
	{ "tags", &t_string_map, 0, 0, 0 },
};
static const struct type t_resource = OBJECT(f_resource);

/* --- normalisation ----------------------------------------------------- */

#define W_STRICT AMLR_DEFINITION__STRICT
#define W_DROP_RO AMLR_DEFINITION__DROP_RO
#define W_PREVIEW AMLR_DEFINITION__PREVIEW

#define PATH_MAX_LEN 512

struct walk {
	amlr_error *err;
	unsigned mode;
	size_t len;
	char path[PATH_MAX_LEN];
};

static const char *type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
	default:
		return "a string";
	}
}

static const char *here(const struct walk *w)
{
	return w->len ? w->path : "definition";
}

static amlr_code expected(struct walk *w, const char *what, json_object *got)
{
	return amlr_error_set(w->err, AMLR_EINVAL, "%s: expected %s, not %s",
			      here(w), what, type_name(got));
}

static amlr_code oom(struct walk *w)
{
	return amlr_error_set(w->err, AMLR_EFAIL, "out of memory");
}

static size_t push_key(struct walk *w, const char *key)
{
	size_t old = w->len;

	amlr_definition__path_key(w->path, sizeof(w->path), &w->len, key);
	return old;
}

static size_t push_index(struct walk *w, size_t i)
{
	size_t old = w->len;
	int n;

	if (w->len < sizeof(w->path)) {
		n = snprintf(w->path + w->len, sizeof(w->path) - w->len,
			     "[%zu]", i);
		if (n > 0)
			w->len = (size_t)n < sizeof(w->path) - w->len
					 ? w->len + (size_t)n
					 : sizeof(w->path) - 1;
	}
	return old;
}

static void pop(struct walk *w, size_t old)
{
	w->len = old;
	w->path[old] = '\0';
}

/*
 * json-c saturates integers beyond 64 bits: refuse them rather than
 * change a value silently.  (Numbers with a fraction or an exponent keep
 * their text.)
 */
static amlr_code check_numbers(struct walk *w, json_object *o)
{
	struct lh_entry *e;
	size_t i, n, old;
	amlr_code rc = AMLR_OK;

	switch (json_object_get_type(o)) {
	case json_type_int:
		if (json_object_get_int64(o) == INT64_MIN ||
		    json_object_get_uint64(o) == UINT64_MAX)
			return amlr_error_set(
				w->err, AMLR_EINVAL,
				"%s: integer out of range (beyond 64 bits)",
				here(w));
		return AMLR_OK;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n && rc == AMLR_OK; i++) {
			old = push_index(w, i);
			rc = check_numbers(w, json_object_array_get_idx(o, i));
			if (rc == AMLR_OK)
				pop(w, old);
		}
		return rc;
	case json_type_object:
		for (e = json_object_get_object(o)->head; e && rc == AMLR_OK;
		     e = e->next) {
			old = push_key(w, (const char *)lh_entry_k(e));
			rc = check_numbers(w, (json_object *)lh_entry_v(e));
			if (rc == AMLR_OK)
				pop(w, old);
		}
		return rc;
	default:
		return AMLR_OK;
	}
}

static amlr_code copy_any(struct walk *w, json_object **out, json_object *in)
{
	amlr_code rc;

	*out = NULL;
	if (!in) /* JSON null */
		return AMLR_OK;
	if ((rc = check_numbers(w, in)) != AMLR_OK)
		return rc;
	if (json_object_deep_copy(in, out, NULL) != 0)
		return oom(w);
	return AMLR_OK;
}

static amlr_code walk_value(struct walk *w, json_object **out, json_object *in,
			    const struct type *t);

static amlr_code walk_fields(struct walk *w, json_object **out, json_object *in,
			     const struct type *t);

/* Add @p val to @p obj under @p key; steals @p val. */
static amlr_code add(struct walk *w, json_object *obj, const char *key,
		     json_object *val)
{
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return oom(w);
	}
	return AMLR_OK;
}

static amlr_code check_field(struct walk *w, const struct field *f,
			     json_object *v)
{
	int64_t n;

	if ((f->flags & F_GRAPH) && (w->mode & W_STRICT) &&
	    json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "Graph") != 0)
		return amlr_error_set(
			w->err, AMLR_EINVAL,
			"%s: unsupported package type '%s' (only 'Graph' exists)",
			here(w), json_object_get_string(v));
	if (f->max > 0 && json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		if (n < f->min || n > f->max)
			return amlr_error_set(
				w->err, AMLR_EINVAL,
				"%s: %lld is out of range (%lld to %lld)",
				here(w), (long long)n, (long long)f->min,
				(long long)f->max);
	}
	return AMLR_OK;
}

/* The one member of @p in whose name is @p name in any casing, or NULL. */
static amlr_code find_member(struct walk *w, struct lh_entry **out,
			     json_object *in, const char *name)
{
	struct lh_entry *e;
	size_t old;

	*out = NULL;
	for (e = json_object_get_object(in)->head; e; e = e->next) {
		if (strcasecmp((const char *)lh_entry_k(e), name) != 0)
			continue;
		if (*out) {
			old = push_key(w, name);
			amlr_error_set(w->err, AMLR_EINVAL,
				       "%s: given twice, as '%s' and '%s'",
				       here(w), (const char *)lh_entry_k(*out),
				       (const char *)lh_entry_k(e));
			pop(w, old);
			return AMLR_EINVAL;
		}
		*out = e;
	}
	return AMLR_OK;
}

static int is_known(const struct type *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strcasecmp(t->fields[i].name, key) == 0)
			return 1;
	return 0;
}

static amlr_code walk_member(struct walk *w, json_object *obj,
			     const struct field *f, json_object *v)
{
	json_object *nv = NULL;
	size_t old = push_key(w, f->name);
	amlr_code rc;

	if ((w->mode & W_PREVIEW) && (f->flags & F_NEW)) {
		/* Preview bodies carry the payload inline or not at all. */
		if (json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v))
			rc = amlr_error_set(
				w->err, AMLR_EINVAL,
				"%s: payloads kept in blob storage cannot be sent with api-version %s",
				here(w), AMLR_DEFINITION_API_PREVIEW);
		else
			rc = AMLR_OK;
		goto done;
	}
	if ((rc = walk_value(w, &nv, v, f->type)) != AMLR_OK ||
	    (rc = check_field(w, f, v)) != AMLR_OK)
		goto done;
	rc = add(w, obj, f->name, nv); /* steals nv */
	nv = NULL;
done:
	json_object_put(nv);
	if (rc == AMLR_OK)
		pop(w, old);
	return rc;
}

static amlr_code walk_fields(struct walk *w, json_object **out, json_object *in,
			     const struct type *t)
{
	json_object *obj = NULL, *v, *nv = NULL;
	struct lh_entry *e;
	const struct field *f;
	const char *key;
	size_t i, old;
	amlr_code rc = AMLR_EINVAL;

	if (!json_object_is_type(in, json_type_object)) {
		expected(w, "an object", in);
		goto done;
	}
	if (!(obj = json_object_new_object())) {
		rc = oom(w);
		goto done;
	}
	for (i = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		if ((rc = find_member(w, &e, in, f->name)) != AMLR_OK)
			goto done;
		v = e ? (json_object *)lh_entry_v(e) : NULL;
		if (!v) {
			/* absent, or null: the SDK omits nulls */
			if ((w->mode & W_STRICT) && (f->flags & F_REQ)) {
				old = push_key(w, f->name);
				rc = amlr_error_set(w->err, AMLR_EINVAL,
						    "%s: required but %s",
						    here(w),
						    e ? "null" : "missing");
				pop(w, old);
				goto done;
			}
			continue;
		}
		if ((w->mode & W_DROP_RO) && (f->flags & F_RO))
			continue;
		if ((rc = walk_member(w, obj, f, v)) != AMLR_OK)
			goto done;
	}
	/* Unknown members stay as they are, after the known ones. */
	for (e = json_object_get_object(in)->head; e; e = e->next) {
		key = (const char *)lh_entry_k(e);
		if (is_known(t, key))
			continue;
		old = push_key(w, key);
		if ((rc = copy_any(w, &nv, (json_object *)lh_entry_v(e))) !=
			    AMLR_OK ||
		    (rc = add(w, obj, key, nv)) != AMLR_OK)
			goto done;
		nv = NULL;
		pop(w, old);
	}
	*out = obj;
	obj = NULL;
	rc = AMLR_OK;
done:
	json_object_put(obj);
	return rc;
}

/*
 * A parameter: {"value", "certificateThumbprint"} in 2017-01-01; a plain
 * value in 2016-05-01-preview, which becomes {"value": ...}.  Preview
 * bodies turn it back into the plain string.
 */
static amlr_code walk_param(struct walk *w, json_object **out, json_object *in,
			    const struct type *t)
{
	json_object *obj = NULL, *value = NULL, *thumb;
	amlr_code rc;

	if (json_object_is_type(in, json_type_object)) {
		if ((rc = walk_fields(w, &obj, in, t)) != AMLR_OK)
			goto done;
	} else {
		if ((rc = copy_any(w, &value, in)) != AMLR_OK)
			goto done;
		if (!(obj = json_object_new_object())) {
			rc = oom(w);
			goto done;
		}
		rc = add(w, obj, "value", value); /* steals value */
		value = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	if (w->mode & W_PREVIEW) {
		thumb = json_object_object_get(obj, "certificateThumbprint");
		value = json_object_object_get(obj, "value");
		if (json_object_get_string_len(thumb) > 0) {
			rc = amlr_error_set(
				w->err, AMLR_EINVAL,
				"%s: an encrypted value (certificateThumbprint) cannot be sent with api-version %s",
				here(w), AMLR_DEFINITION_API_PREVIEW);
			value = NULL;
			goto done;
		}
		if (value && !json_object_is_type(value, json_type_string)) {
			rc = amlr_error_set(
				w->err, AMLR_EINVAL,
				"%s: api-version %s takes only string values, not %s",
				here(w), AMLR_DEFINITION_API_PREVIEW,
				type_name(value));
			value = NULL;
			goto done;
		}
		value = value ? json_object_get(value)
			      : json_object_new_string("");
		if (!value) {
			rc = oom(w);
			goto done;
		}
		*out = value;
		value = NULL;
		goto done;
	}
	*out = obj;
	obj = NULL;
done:
	json_object_put(value);
	json_object_put(obj);
	return rc;
}

static amlr_code walk_container(struct walk *w, json_object **out,
				json_object *in, const struct type *t)
{
	json_object *obj = NULL, *v, *nv = NULL;
	struct lh_entry *e;
	size_t i, n, old;
	int is_map = t->kind == T_MAP;
	amlr_code rc = AMLR_EINVAL;

	if (!json_object_is_type(in,
				 is_map ? json_type_object : json_type_array)) {
		expected(w, is_map ? "an object" : "an array", in);
		goto done;
	}
	if (!(obj = is_map ? json_object_new_object()
			   : json_object_new_array())) {
		rc = oom(w);
		goto done;
	}
	e = is_map ? json_object_get_object(in)->head : NULL;
	n = is_map ? 0 : json_object_array_length(in);
	for (i = 0; is_map ? e != NULL : i < n; i++) {
		v = is_map ? (json_object *)lh_entry_v(e)
			   : json_object_array_get_idx(in, i);
		old = is_map ? push_key(w, (const char *)lh_entry_k(e))
			     : push_index(w, i);
		/* Dictionary and array entries keep a null as it is. */
		if (v && (rc = walk_value(w, &nv, v, t->elem)) != AMLR_OK)
			goto done;
		if (is_map)
			rc = add(w, obj, (const char *)lh_entry_k(e), nv);
		else if (json_object_array_add(obj, nv) != 0)
			rc = oom(w);
		else
			rc = AMLR_OK;
		if (rc != AMLR_OK) {
			if (!is_map)
				json_object_put(nv);
			nv = NULL;
			goto done;
		}
		nv = NULL;
		pop(w, old);
		if (is_map)
			e = e->next;
	}
	*out = obj;
	obj = NULL;
	rc = AMLR_OK;
done:
	json_object_put(obj);
	return rc;
}

static amlr_code walk_value(struct walk *w, json_object **out, json_object *in,
			    const struct type *t)
{
	*out = NULL;
	switch (t->kind) {
	case T_STRING:
		if (!json_object_is_type(in, json_type_string))
			return expected(w, "a string", in);
		return copy_any(w, out, in);
	case T_BOOL:
		if (!json_object_is_type(in, json_type_boolean))
			return expected(w, "a boolean", in);
		return copy_any(w, out, in);
	case T_INT:
		if (!json_object_is_type(in, json_type_int))
			return expected(w, "an integer", in);
		return copy_any(w, out, in);
	case T_OBJECT:
		return walk_fields(w, out, in, t);
	case T_MAP:
	case T_ARRAY:
		return walk_container(w, out, in, t);
	case T_PARAM:
		return walk_param(w, out, in, t);
	case T_ANY:
	default:
		return copy_any(w, out, in);
	}
}

amlr_code amlr_definition__normalize(json_object **out, amlr_error *err,
				     json_object *in, unsigned mode)
{
	struct walk w;
	struct lh_entry *e = NULL;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.mode = mode;
	if (!json_object_is_type(in, json_type_object))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"definition: expected a JSON object, not %s",
			type_name(in));
	/* A common mistake: the properties object alone. */
	if ((mode & W_STRICT) &&
	    find_member(&w, &e, in, "properties") == AMLR_OK && !e &&
	    find_member(&w, &e, in, "packageType") == AMLR_OK && e)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"properties: required but missing (the file holds the properties alone; wrap them as {\"properties\": ...})");
	return walk_fields(&w, out, in, &t_resource);
}
