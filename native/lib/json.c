/* SPDX-License-Identifier: MIT */
/* amlr_json over json-c: parsing, access, building and serialising. */
#include <stdio.h>
#include <string.h>

#include "amlr/json.h"
#include "json_internal.h"

/* Deep enough for any web-service definition, shallow enough for the stack. */
#define MAX_DEPTH 64

amlr_code amlr_json_parse(amlr_json **out, amlr_error *err, const char *text,
			  size_t len)
{
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t used;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (len > INT32_MAX) {
		rc = amlr_error_set(err, AMLR_EINVAL, "JSON text too large");
		goto done;
	}
	if (!(tok = json_tokener_new_ex(MAX_DEPTH))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "invalid JSON: unexpected end of text");
		goto done;
	}
	if (jerr != json_tokener_success) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "invalid JSON at offset %zu: %s",
				    json_tokener_get_parse_end(tok),
				    json_tokener_error_desc(jerr));
		goto done;
	}
	for (used = json_tokener_get_parse_end(tok); used < len; used++) {
		if (!strchr(" \t\r\n", text[used])) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"invalid JSON at offset %zu: text after the value",
				used);
			goto done;
		}
	}
	*out = amlr_json__wrap(obj);
	obj = NULL;
	rc = AMLR_OK;
done:
	json_object_put(obj);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

amlr_json *amlr_json_ref(amlr_json *json)
{
	if (json)
		json_object_get(amlr_json__c(json));
	return json;
}

void amlr_json_free(amlr_json *json)
{
	json_object_put(amlr_json__c(json));
}

amlr_json_type amlr_json_type_of(const amlr_json *json)
{
	switch (json_object_get_type(amlr_json__c(json))) {
	case json_type_boolean:
		return AMLR_JSON_BOOL;
	case json_type_int:
		return AMLR_JSON_INT;
	case json_type_double:
		return AMLR_JSON_DOUBLE;
	case json_type_string:
		return AMLR_JSON_STRING;
	case json_type_array:
		return AMLR_JSON_ARRAY;
	case json_type_object:
		return AMLR_JSON_OBJECT;
	case json_type_null:
	default:
		return AMLR_JSON_NULL;
	}
}

amlr_json *amlr_json_get(const amlr_json *obj, const char *key)
{
	json_object *val = NULL;

	if (!json_object_is_type(amlr_json__c(obj), json_type_object))
		return NULL;
	json_object_object_get_ex(amlr_json__c(obj), key, &val);
	return amlr_json__wrap(val);
}

amlr_json *amlr_json_at(const amlr_json *arr, size_t i)
{
	json_object *a = amlr_json__c(arr);

	if (!json_object_is_type(a, json_type_array) ||
	    i >= json_object_array_length(a))
		return NULL;
	return amlr_json__wrap(json_object_array_get_idx(a, i));
}

size_t amlr_json_len(const amlr_json *json)
{
	json_object *o = amlr_json__c(json);

	if (json_object_is_type(o, json_type_array))
		return json_object_array_length(o);
	if (json_object_is_type(o, json_type_object))
		return (size_t)json_object_object_length(o);
	return 0;
}

const char *amlr_json_str(const amlr_json *json)
{
	json_object *o = amlr_json__c(json);

	return json_object_is_type(o, json_type_string)
		       ? json_object_get_string(o)
		       : NULL;
}

const char *amlr_json_get_str(const amlr_json *obj, const char *key)
{
	return amlr_json_str(amlr_json_get(obj, key));
}

int amlr_json_int(int64_t *out, const amlr_json *json)
{
	json_object *o = amlr_json__c(json);

	if (!json_object_is_type(o, json_type_int))
		return 0;
	*out = json_object_get_int64(o);
	return 1;
}

int amlr_json_number(double *out, const amlr_json *json)
{
	json_object *o = amlr_json__c(json);

	if (!json_object_is_type(o, json_type_int) &&
	    !json_object_is_type(o, json_type_double))
		return 0;
	*out = json_object_get_double(o);
	return 1;
}

int amlr_json_bool(int *out, const amlr_json *json)
{
	json_object *o = amlr_json__c(json);

	if (!json_object_is_type(o, json_type_boolean))
		return 0;
	*out = json_object_get_boolean(o) ? 1 : 0;
	return 1;
}

int amlr_json_next(const char **key, amlr_json **val, const amlr_json *obj,
		   amlr_json_iter *it)
{
	json_object *o = amlr_json__c(obj);
	struct lh_entry *e;

	if (!json_object_is_type(o, json_type_object))
		return 0;
	if (!it->started) {
		e = json_object_get_object(o)->head;
		it->started = 1;
	} else {
		e = it->pos ? lh_entry_next((struct lh_entry *)it->pos) : NULL;
	}
	it->pos = e;
	if (!e)
		return 0;
	*key = lh_entry_k(e);
	*val = amlr_json__wrap((json_object *)lh_entry_v(e));
	return 1;
}

static amlr_code wrap_new(amlr_json **out, json_object *obj)
{
	*out = amlr_json__wrap(obj);
	return obj ? AMLR_OK : AMLR_EFAIL;
}

amlr_code amlr_json_new_object(amlr_json **out)
{
	return wrap_new(out, json_object_new_object());
}

amlr_code amlr_json_new_array(amlr_json **out)
{
	return wrap_new(out, json_object_new_array());
}

amlr_code amlr_json_new_string(amlr_json **out, const char *s)
{
	return wrap_new(out, json_object_new_string(s));
}

amlr_code amlr_json_new_int(amlr_json **out, int64_t v)
{
	return wrap_new(out, json_object_new_int64(v));
}

amlr_code amlr_json_new_double(amlr_json **out, double v)
{
	char text[32];

	/* 15 significant digits: 0.86 stays "0.86", not 0.85999999999999999 */
	snprintf(text, sizeof(text), "%.15g", v);
	return wrap_new(out, json_object_new_double_s(v, text));
}

amlr_code amlr_json_new_bool(amlr_json **out, int v)
{
	return wrap_new(out, json_object_new_boolean(v ? 1 : 0));
}

amlr_code amlr_json_set(amlr_json *obj, const char *key, amlr_json *val)
{
	json_object *v = amlr_json__c(val);

	if (!json_object_is_type(amlr_json__c(obj), json_type_object) ||
	    json_object_object_add(amlr_json__c(obj), key, v) != 0) {
		json_object_put(v);
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

amlr_code amlr_json_set_str(amlr_json *obj, const char *key, const char *s)
{
	json_object *v = NULL;

	if (s && !(v = json_object_new_string(s)))
		return AMLR_EFAIL;
	return amlr_json_set(obj, key, amlr_json__wrap(v)); /* steals v */
}

amlr_code amlr_json_set_int(amlr_json *obj, const char *key, int64_t v)
{
	json_object *o = json_object_new_int64(v);

	if (!o)
		return AMLR_EFAIL;
	return amlr_json_set(obj, key, amlr_json__wrap(o)); /* steals o */
}

amlr_code amlr_json_append(amlr_json *arr, amlr_json *val)
{
	json_object *v = amlr_json__c(val);

	if (!json_object_is_type(amlr_json__c(arr), json_type_array) ||
	    json_object_array_add(amlr_json__c(arr), v) != 0) {
		json_object_put(v);
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

amlr_code amlr_json_serialize(amlr_buf *out, const amlr_json *json,
			      unsigned flags)
{
	int jflags = JSON_C_TO_STRING_NOSLASHESCAPE;
	size_t len;
	const char *s;

	if (flags & AMLR_JSON_PRETTY)
		jflags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	else
		jflags |= JSON_C_TO_STRING_PLAIN;
	s = json_object_to_json_string_length(amlr_json__c(json), jflags, &len);
	if (!s)
		return AMLR_EFAIL;
	return amlr_buf_put(out, s, len);
}
