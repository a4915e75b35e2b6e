/* SPDX-License-Identifier: MIT */
/* Web-service definitions: import, export, request bodies, comparison. */
#include <string.h>
#include <strings.h>

#include "amlr/definition.h"
#include "definition_internal.h"

amlr_code amlr_definition_normalize(amlr_json **out, amlr_error *err,
				    const amlr_json *resource)
{
	json_object *obj = NULL;
	amlr_code rc;

	amlr_error_clear(err);
	rc = amlr_definition__normalize(&obj, err, amlr_json__c(resource),
					AMLR_DEFINITION__STRICT);
	*out = amlr_json__wrap(obj);
	return rc;
}

amlr_code amlr_definition_import(amlr_json **out, amlr_error *err,
				 const char *text, size_t len)
{
	json_object *parsed = NULL, *obj = NULL;
	amlr_code rc;

	*out = NULL;
	amlr_error_clear(err);
	if ((rc = amlr_definition__parse(&parsed, err, text, len)) != AMLR_OK)
		goto done;
	if ((rc = amlr_definition__normalize(
		     &obj, err, parsed, AMLR_DEFINITION__STRICT)) != AMLR_OK)
		goto done;
	*out = amlr_json__wrap(obj);
	obj = NULL;
done:
	json_object_put(obj);
	json_object_put(parsed);
	return rc;
}

amlr_code amlr_definition_export(amlr_buf *out, amlr_error *err,
				 const amlr_json *resource)
{
	json_object *obj = NULL;
	amlr_code rc;

	amlr_error_clear(err);
	if ((rc = amlr_definition__normalize(&obj, err, amlr_json__c(resource),
					     AMLR_DEFINITION__DROP_RO)) !=
	    AMLR_OK)
		goto done;
	if ((rc = amlr_definition__write(out, obj)) != AMLR_OK ||
	    (rc = amlr_buf_put(out, "\n", 1)) != AMLR_OK)
		amlr_error_set(err, rc, "out of memory");
done:
	json_object_put(obj);
	return rc;
}

/*
 * A shallow copy of @p in with its location (in any casing) replaced by
 * @p location; the normalisation then puts it in its place.
 */
static amlr_code with_location(json_object **out, amlr_error *err,
			       json_object *in, const char *location)
{
	json_object *obj = NULL, *loc = NULL;
	struct lh_entry *e;
	const char *key;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(obj = json_object_new_object()) ||
	    !(loc = json_object_new_string(location)))
		goto done;
	for (e = json_object_get_object(in)->head; e; e = e->next) {
		key = (const char *)lh_entry_k(e);
		if (strcasecmp(key, "location") == 0)
			continue;
		if (json_object_object_add(
			    obj, key,
			    json_object_get((json_object *)lh_entry_v(e))) != 0)
			goto done;
	}
	if (json_object_object_add(obj, "location", loc) != 0)
		goto done;
	loc = NULL;
	*out = obj;
	obj = NULL;
	rc = AMLR_OK;
done:
	if (rc != AMLR_OK)
		amlr_error_set(err, rc, "out of memory");
	json_object_put(loc);
	json_object_put(obj);
	return rc;
}

amlr_code amlr_definition_request_body(amlr_buf *out, amlr_error *err,
				       const amlr_json *def,
				       const amlr_definition_body_opts *opts)
{
	static const amlr_definition_body_opts defaults =
		AMLR_DEFINITION_BODY_OPTS_INIT;
	json_object *in = amlr_json__c(def), *moved = NULL, *obj = NULL;
	const char *api;
	unsigned mode = AMLR_DEFINITION__STRICT | AMLR_DEFINITION__DROP_RO;
	amlr_code rc;

	amlr_error_clear(err);
	if (!opts)
		opts = &defaults;
	api = opts->api_version ? opts->api_version : AMLR_DEFINITION_API_2017;
	if (strcmp(api, AMLR_DEFINITION_API_PREVIEW) == 0) {
		mode |= AMLR_DEFINITION__PREVIEW;
	} else if (strcmp(api, AMLR_DEFINITION_API_2017) != 0) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"unknown api-version '%s' (expected %s or %s)", api,
			AMLR_DEFINITION_API_2017, AMLR_DEFINITION_API_PREVIEW);
		goto done;
	}
	/* (a definition that is no object fails the normalisation) */
	if (opts->location && json_object_is_type(in, json_type_object)) {
		if ((rc = with_location(&moved, err, in, opts->location)) !=
		    AMLR_OK)
			goto done;
		in = moved;
	}
	if ((rc = amlr_definition__normalize(&obj, err, in, mode)) != AMLR_OK)
		goto done;
	if (opts->create && json_object_get_string_len(json_object_object_get(
				    obj, "location")) == 0) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"location: required but missing (a new web service needs a location)");
		goto done;
	}
	if ((rc = amlr_definition__write(out, obj)) != AMLR_OK)
		amlr_error_set(err, rc, "out of memory");
done:
	json_object_put(obj);
	json_object_put(moved);
	return rc;
}

int amlr_definition_equal(const amlr_json *a, const amlr_json *b)
{
	json_object *na = NULL, *nb = NULL;
	int eq;

	if (amlr_definition__normalize(&na, NULL, amlr_json__c(a),
				       AMLR_DEFINITION__DROP_RO) == AMLR_OK &&
	    amlr_definition__normalize(&nb, NULL, amlr_json__c(b),
				       AMLR_DEFINITION__DROP_RO) == AMLR_OK)
		eq = json_object_equal(na, nb);
	else
		eq = json_object_equal(amlr_json__c(a), amlr_json__c(b));
	json_object_put(na);
	json_object_put(nb);
	return eq;
}

static int has_credentials(json_object *location)
{
	json_object *c = NULL;

	return json_object_object_get_ex(location, "credentials", &c) &&
	       json_object_get_string_len(c) > 0;
}

int amlr_definition_has_secrets(const amlr_json *def)
{
	json_object *props = NULL, *v = NULL, *assets = NULL, *loc;
	struct lh_entry *e;

	if (!json_object_object_get_ex(amlr_json__c(def), "properties",
				       &props) ||
	    !json_object_is_type(props, json_type_object))
		return 0;
	if ((json_object_object_get_ex(props, "keys", &v) && v) ||
	    (json_object_object_get_ex(props, "storageAccount", &v) &&
	     json_object_object_get_ex(v, "key", NULL)))
		return 1;
	if (json_object_object_get_ex(props, "payloadsLocation", &v) &&
	    has_credentials(v))
		return 1;
	if (!json_object_object_get_ex(props, "assets", &assets) ||
	    !json_object_is_type(assets, json_type_object))
		return 0;
	for (e = json_object_get_object(assets)->head; e; e = e->next) {
		loc = NULL;
		if (json_object_object_get_ex((json_object *)lh_entry_v(e),
					      "locationInfo", &loc) &&
		    has_credentials(loc))
			return 1;
	}
	return 0;
}
