/* SPDX-License-Identifier: MIT */
/* The trained-model asset of a definition: finding it, repointing it. */
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "amlr/definition.h"
#include "definition_internal.h"
#include "http_internal.h"

#define MODEL_SUFFIX "[trained model]"

/* The assets object of a definition, or an error saying why there is none. */
static amlr_code get_assets(json_object **out, amlr_error *err,
			    const amlr_json *def)
{
	json_object *props = NULL, *assets = NULL, *blob = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(amlr_json__c(def), "properties",
				       &props) ||
	    !json_object_is_type(props, json_type_object))
		return amlr_error_set(err, AMLR_EINVAL,
				      "properties: required but missing");
	if (json_object_object_get_ex(props, "assets", &assets) &&
	    json_object_is_type(assets, json_type_object)) {
		*out = assets;
		return AMLR_OK;
	}
	if (json_object_object_get_ex(props, "payloadsInBlobStorage", &blob) &&
	    json_object_get_boolean(blob))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"properties.assets: not in the definition: the service keeps its payload in blob storage (properties.payloadsLocation)");
	return amlr_error_set(
		err, AMLR_EINVAL,
		"properties.assets: missing (a web service list item is not a whole definition; get the web service by name)");
}

static const char *asset_str(json_object *asset, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(asset, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int is_resource(json_object *asset)
{
	const char *type = asset_str(asset, "type");

	return type && strcasecmp(type, "Resource") == 0;
}

static int is_model(json_object *asset)
{
	const char *name = asset_str(asset, "name");
	size_t n, k = strlen(MODEL_SUFFIX);

	if (!name || !is_resource(asset))
		return 0;
	n = strlen(name);
	return n >= k && strcasecmp(name + n - k, MODEL_SUFFIX) == 0;
}

static struct lh_entry *entry_of(json_object *obj, const char *key)
{
	struct lh_entry *e;

	for (e = json_object_get_object(obj)->head; e; e = e->next)
		if (strcmp((const char *)lh_entry_k(e), key) == 0)
			return e;
	return NULL;
}

/* A list for a message; empty if building it ran out of memory. */
#define LIST(b) ((b).ptr ? (b).ptr : "")

enum pick { PICK_MODEL, PICK_NAME, PICK_ALL };

/*
 * Append the assets that @p how selects as "asset3 'Name' (Resource)",
 * comma-separated; returns how many there were and the last one's id.
 */
static size_t list_assets(amlr_buf *b, const char **last, json_object *assets,
			  enum pick how, const char *name)
{
	struct lh_entry *e;
	json_object *a;
	const char *an, *at;
	size_t n = 0;

	for (e = json_object_get_object(assets)->head; e; e = e->next) {
		a = (json_object *)lh_entry_v(e);
		an = asset_str(a, "name");
		at = asset_str(a, "type");
		if ((how == PICK_MODEL && !is_model(a)) ||
		    (how == PICK_NAME && (!an || strcmp(an, name) != 0)))
			continue;
		if (b)
			amlr_buf_printf(b, "%s%s '%s' (%s)", n ? ", " : "",
					(const char *)lh_entry_k(e),
					an ? an : "", at ? at : "no type");
		*last = (const char *)lh_entry_k(e);
		n++;
	}
	return n;
}

amlr_code amlr_definition_find_model(const char **asset_id_out, amlr_error *err,
				     const amlr_json *def, const char *asset)
{
	json_object *assets = NULL, *a;
	struct lh_entry *e;
	amlr_buf list = AMLR_BUF_INIT;
	const char *id = NULL;
	size_t n;
	amlr_code rc;

	*asset_id_out = NULL;
	amlr_error_clear(err);
	if ((rc = get_assets(&assets, err, def)) != AMLR_OK)
		goto done;
	rc = AMLR_EINVAL;
	if (!json_object_object_length(assets)) {
		amlr_error_set(err, rc, "properties.assets: no assets at all");
		goto done;
	}
	if (!asset) {
		n = list_assets(&list, &id, assets, PICK_MODEL, NULL);
		if (n > 1) {
			amlr_error_set(
				err, rc,
				"several Resource assets are named '... %s': %s; name one of them",
				MODEL_SUFFIX, LIST(list));
			goto done;
		}
		if (n == 0) {
			list_assets(&list, &id, assets, PICK_ALL, NULL);
			amlr_error_set(
				err, rc,
				"no Resource asset is named '... %s'; name the model's asset, one of: %s",
				MODEL_SUFFIX, LIST(list));
			goto done;
		}
		*asset_id_out = id;
		rc = AMLR_OK;
		goto done;
	}
	if ((e = entry_of(assets, asset))) {
		/* an asset id: the key itself, borrowed from the definition */
		id = (const char *)lh_entry_k(e);
	} else {
		n = list_assets(&list, &id, assets, PICK_NAME, asset);
		if (n > 1) {
			amlr_error_set(
				err, rc,
				"several assets are named '%s': %s; name one by its id",
				asset, LIST(list));
			goto done;
		}
		if (n == 0) {
			list_assets(&list, &id, assets, PICK_ALL, NULL);
			amlr_error_set(
				err, rc,
				"no asset '%s' in properties.assets, which has: %s",
				asset, LIST(list));
			goto done;
		}
		e = entry_of(assets, id);
	}
	a = (json_object *)lh_entry_v(e);
	if (!is_resource(a)) {
		amlr_error_set(
			err, rc,
			"asset %s '%s' is of type '%s', not a Resource (a trained model)",
			id, asset_str(a, "name") ? asset_str(a, "name") : "",
			asset_str(a, "type") ? asset_str(a, "type") : "none");
		goto done;
	}
	*asset_id_out = id;
	rc = AMLR_OK;
done:
	amlr_buf_release(&list);
	return rc;
}

const char *amlr_definition_model_uri(const amlr_json *def,
				      const char *asset_id)
{
	json_object *props = NULL, *assets = NULL, *asset = NULL, *loc = NULL;

	if (!asset_id ||
	    !json_object_object_get_ex(amlr_json__c(def), "properties",
				       &props) ||
	    !json_object_object_get_ex(props, "assets", &assets) ||
	    !json_object_object_get_ex(assets, asset_id, &asset) ||
	    !json_object_object_get_ex(asset, "locationInfo", &loc))
		return NULL;
	return asset_str(loc, "uri");
}

/* 1 when the query string holds a parameter named sig (a SAS signature). */
static int has_signature(const char *query)
{
	const char *p = query;

	while (p && *p) {
		if (strncasecmp(p, "sig=", 4) == 0 || strcasecmp(p, "sig") == 0)
			return 1;
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return 0;
}

/*
 * https anywhere, http only to a loopback host; no user information, no
 * SAS.  Messages never quote the URI: it may carry a secret.
 */
amlr_code amlr_definition_check_model_uri(amlr_error *err, const char *uri)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL;
	const char *c;
	amlr_code rc = AMLR_EINVAL;

	for (c = uri; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7F) {
			amlr_error_set(
				err, rc,
				"model URI: contains a space or a control character");
			goto done;
		}
	}
	if (!(u = curl_url())) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !(strcmp(scheme, "https") == 0 ||
	      (strcmp(scheme, "http") == 0 && amlr_http__is_loopback(host)))) {
		amlr_error_set(
			err, rc,
			"model URI: must be an https:// URL (or http:// to a loopback host)");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		amlr_error_set(err, rc,
			       "model URI: must not carry user credentials");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK &&
	    has_signature(query)) {
		amlr_error_set(
			err, rc,
			"model URI: carries a SAS signature (sig=); give the blob URL without its query, the service reads the model with its storage account");
		goto done;
	}
	rc = AMLR_OK;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(query);
	curl_url_cleanup(u);
	return rc;
}

amlr_code amlr_definition_set_model_uri(amlr_json *def, amlr_error *err,
					const char *asset_id, const char *uri)
{
	json_object *assets = NULL, *asset = NULL, *loc = NULL, *old = NULL;
	json_object *val;
	amlr_code rc;

	amlr_error_clear(err);
	if (!asset_id || !uri)
		return amlr_error_set(err, AMLR_EINVAL,
				      "model URI: no asset or URI given");
	if ((rc = amlr_definition_check_model_uri(err, uri)) != AMLR_OK ||
	    (rc = get_assets(&assets, err, def)) != AMLR_OK)
		return rc;
	if (!json_object_object_get_ex(assets, asset_id, &asset) ||
	    !json_object_is_type(asset, json_type_object))
		return amlr_error_set(err, AMLR_EINVAL,
				      "properties.assets: no asset '%s'",
				      asset_id);
	if (!json_object_object_get_ex(asset, "locationInfo", &loc) ||
	    !json_object_is_type(loc, json_type_object) ||
	    !json_object_object_get_ex(loc, "uri", &old))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"properties.assets.%s.locationInfo.uri: required but missing",
			asset_id);
	if (!(val = json_object_new_string(uri)))
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	/* An existing key keeps its place: only the value changes. */
	if (json_object_object_add(loc, "uri", val) != 0)
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	return AMLR_OK;
}
