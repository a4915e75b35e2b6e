/* SPDX-License-Identifier: MIT */
/* The classic management API: web services and endpoints of a workspace. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/classic.h"
#include "amlr/secret.h"
#include "http_internal.h"

#define NAME_MAX_LEN 24

struct amlr_classic {
	amlr_client *client; /* borrowed */
	char *endpoint; /* no trailing '/' */
	char *workspace; /* percent-encoded */
	char *token; /* a secret */
};

/* azuremlps's SetApiUrl table (notes/classic-bes-rrs.md §0). */
static const struct {
	const char *location; /* lower case, no blanks */
	const char *url;
} locations[] = {
	{ "southcentralus", "https://management.azureml.net" },
	{ "westeurope", "https://europewest.management.azureml.net" },
	{ "southeastasia", "https://asiasoutheast.management.azureml.net" },
	{ "japaneast", "https://japaneast.management.azureml.net" },
	{ "germanycentral", "https://germanycentral.management.azureml.de" },
	{ "westcentralus", "https://uswestcentral.management.azureml.net" },
	{ "integrationtest", "https://management.azureml-int.net" },
};

amlr_code amlr_classic_location_url(char **out, amlr_error *err,
				    const char *location)
{
	char key[64];
	size_t i, n = 0;

	*out = NULL;
	if (!location || !*location)
		location = AMLR_CLASSIC_DEFAULT_LOCATION;
	for (i = 0; location[i]; i++) {
		if (isspace((unsigned char)location[i]))
			continue;
		if (n + 1 >= sizeof(key))
			break;
		key[n++] = (char)tolower((unsigned char)location[i]);
	}
	key[n] = '\0';
	for (i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		if (location[0] && strcmp(key, locations[i].location) == 0) {
			if (!(*out = strdup(locations[i].url)))
				return amlr_error_set(err, AMLR_EFAIL,
						      "out of memory");
			return AMLR_OK;
		}
	}
	return amlr_error_set(
		err, AMLR_EINVAL,
		"unsupported location '%s' (South Central US, West Europe, Southeast Asia, Japan East, Germany Central, West Central US)",
		location);
}

amlr_code amlr_classic_check_endpoint_name(amlr_error *err, const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0)
		return amlr_error_set(err, AMLR_EINVAL,
				      "no endpoint name given");
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			break;
	if (n > NAME_MAX_LEN || i < n || name[0] == '-' || name[n - 1] == '-')
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid endpoint name '%.*s': 1-24 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
			64, name);
	return AMLR_OK;
}

/* An identifier as one path segment: unreserved characters kept, every
 * other byte %XX, so that no id can add a segment or a query. */
static char *escape(const char *s)
{
	amlr_buf b = AMLR_BUF_INIT;
	const unsigned char *p;
	int ok = amlr_buf_puts(&b, "") == AMLR_OK;

	for (p = (const unsigned char *)s; ok && *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			ok = amlr_buf_put(&b, p, 1) == AMLR_OK;
		else
			ok = amlr_buf_printf(&b, "%%%02X", *p) == AMLR_OK;
	}
	if (!ok) {
		amlr_buf_release(&b);
		return NULL;
	}
	return amlr_buf_detach(&b);
}

amlr_code amlr_classic_new(amlr_classic **out, amlr_client *client,
			   const amlr_classic_opts *opts)
{
	amlr_error *err = amlr_client__err(client);
	amlr_classic *c = NULL;
	char *url = NULL;
	size_t n;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	amlr_error_clear(err);
	if (!opts || !opts->workspace_id || !*opts->workspace_id) {
		rc = amlr_error_set(err, AMLR_EINVAL, "no workspace id given");
		goto done;
	}
	if (!opts->token || !*opts->token) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "no workspace token or endpoint key given");
		goto done;
	}
	if (opts->endpoint && *opts->endpoint) {
		if (strncmp(opts->endpoint, "https://", 8) != 0 &&
		    strncmp(opts->endpoint, "http://", 7) != 0) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"the management endpoint must be an http(s) URL");
			goto done;
		}
		if (!(url = strdup(opts->endpoint)))
			goto done;
	} else if ((rc = amlr_classic_location_url(
			    &url, err, opts->location)) != AMLR_OK) {
		goto done;
	}
	rc = AMLR_EFAIL;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	if (!(c = calloc(1, sizeof(*c))))
		goto done;
	c->client = client;
	c->endpoint = url;
	url = NULL;
	if (!(c->workspace = escape(opts->workspace_id)) ||
	    !(c->token = strdup(opts->token)))
		goto done;
	*out = c;
	c = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	free(url);
	amlr_classic_free(c);
	return rc;
}

void amlr_classic_free(amlr_classic *c)
{
	if (!c)
		return;
	free(c->endpoint);
	free(c->workspace);
	amlr_secret_free(c->token);
	free(c);
}

const char *amlr_classic_endpoint(const amlr_classic *c)
{
	return c->endpoint;
}

/*
 * M/workspaces/{ws}/webservices[/{id}[/endpoints[/{name}]]] + @p tail;
 * a NULL @p id or @p name ends the path before it.  The name is checked
 * first: nothing is sent for a name the service would refuse.
 */
static amlr_code build_url(amlr_buf *url, amlr_classic *c, const char *id,
			   int endpoints, const char *name, const char *tail)
{
	amlr_error *err = amlr_client__err(c->client);
	char *eid = NULL, *ename = NULL;
	amlr_code rc = AMLR_EFAIL;

	if ((id || endpoints) && (!id || !*id)) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "no web service id given");
		goto done;
	}
	if (name &&
	    (rc = amlr_classic_check_endpoint_name(err, name)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if ((id && !(eid = escape(id))) || (name && !(ename = escape(name))))
		goto done;
	if (amlr_buf_printf(url, "%s/workspaces/%s/webservices", c->endpoint,
			    c->workspace) != AMLR_OK ||
	    (eid && amlr_buf_printf(url, "/%s", eid) != AMLR_OK) ||
	    (endpoints && amlr_buf_puts(url, "/endpoints") != AMLR_OK) ||
	    (ename && amlr_buf_printf(url, "/%s", ename) != AMLR_OK) ||
	    (tail && amlr_buf_puts(url, tail) != AMLR_OK))
		goto done;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	free(eid);
	free(ename);
	return rc;
}

/* One request with the session's bearer token. */
static amlr_code send_req(amlr_response **out, amlr_classic *c,
			  const char *method, const char *url, const char *body,
			  unsigned flags)
{
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_buf auth = AMLR_BUF_INIT;
	const char *headers[4] = { NULL, "Accept: application/json", NULL,
				   NULL };
	amlr_code rc;

	*out = NULL;
	if (amlr_buf_printf(&auth, "Authorization: Bearer %s", c->token) !=
	    AMLR_OK) {
		rc = amlr_error_set(amlr_client__err(c->client), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	headers[0] = auth.ptr;
	if (body)
		headers[2] = "Content-Type: application/json; charset=utf-8";
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.flags = flags;
	rc = amlr_http_send(out, c->client, &req);
done:
	amlr_buf_release_secret(&auth);
	return rc;
}

/* The reply's JSON body, which must be of type @p want; 204 (or an empty
 * body) gives an empty array when an array is wanted. */
static amlr_code reply_json(amlr_json **out, amlr_classic *c,
			    const amlr_response *resp, amlr_json_type want,
			    const char *what)
{
	amlr_error perr = AMLR_ERROR_INIT;
	size_t len;
	const char *body = amlr_response_body(resp, &len);
	size_t i = 0;

	*out = NULL;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (amlr_response_status(resp) == 204 || i == len) {
		if (want == AMLR_JSON_ARRAY)
			return amlr_json_new_array(out) == AMLR_OK
				       ? AMLR_OK
				       : amlr_error_set(
						 amlr_client__err(c->client),
						 AMLR_EFAIL, "out of memory");
		return amlr_error_set(amlr_client__err(c->client),
				      AMLR_ENOTFOUND, "%s: the reply is empty",
				      what);
	}
	if (amlr_json_parse(out, &perr, body, len) != AMLR_OK)
		return amlr_error_set(amlr_client__err(c->client), AMLR_ESERVER,
				      "%s: the reply is not JSON (%s)", what,
				      perr.message);
	if (amlr_json_type_of(*out) != want) {
		amlr_json_free(*out);
		*out = NULL;
		return amlr_error_set(amlr_client__err(c->client), AMLR_ESERVER,
				      "%s: the reply is not a JSON %s", what,
				      want == AMLR_JSON_ARRAY ? "array"
							      : "object");
	}
	return AMLR_OK;
}

/* GET a path and parse the reply. */
static amlr_code get_json(amlr_json **out, amlr_classic *c, const char *id,
			  int endpoints, const char *name, amlr_json_type want,
			  const char *what)
{
	amlr_buf url = AMLR_BUF_INIT;
	amlr_response *resp = NULL;
	amlr_code rc;

	*out = NULL;
	amlr_error_clear(amlr_client__err(c->client));
	if ((rc = build_url(&url, c, id, endpoints, name, NULL)) != AMLR_OK ||
	    (rc = send_req(&resp, c, "GET", url.ptr, NULL, 0)) != AMLR_OK)
		goto done;
	rc = reply_json(out, c, resp, want, what);
	if (rc == AMLR_ENOTFOUND && name)
		amlr_error_set(amlr_client__err(c->client), rc,
			       "endpoint '%s' not found", name);
done:
	amlr_response_free(resp);
	amlr_buf_release(&url);
	return rc;
}

amlr_code amlr_classic_webservice_list(amlr_json **out, amlr_classic *c)
{
	return get_json(out, c, NULL, 0, NULL, AMLR_JSON_ARRAY,
			"the web service list");
}

amlr_code amlr_classic_webservice_get(amlr_json **out, amlr_classic *c,
				      const char *webservice_id)
{
	if (!webservice_id) {
		*out = NULL;
		amlr_error_clear(amlr_client__err(c->client));
		return amlr_error_set(amlr_client__err(c->client), AMLR_EINVAL,
				      "no web service id given");
	}
	return get_json(out, c, webservice_id, 0, NULL, AMLR_JSON_OBJECT,
			"the web service");
}

amlr_code amlr_classic_endpoint_list(amlr_json **out, amlr_classic *c,
				     const char *webservice_id)
{
	return get_json(out, c, webservice_id, 1, NULL, AMLR_JSON_ARRAY,
			"the endpoint list");
}

amlr_code amlr_classic_endpoint_get(amlr_json **out, amlr_classic *c,
				    const char *webservice_id, const char *name)
{
	if (!name) {
		*out = NULL;
		amlr_error_clear(amlr_client__err(c->client));
		return amlr_classic_check_endpoint_name(
			amlr_client__err(c->client), name);
	}
	return get_json(out, c, webservice_id, 1, name, AMLR_JSON_OBJECT,
			"the endpoint");
}

/* Send a body to .../endpoints/{name}[tail]; the reply is returned. */
static amlr_code write_endpoint(amlr_response **resp, amlr_classic *c,
				const char *method, const char *webservice_id,
				const char *name, const char *tail,
				const char *body, unsigned flags)
{
	amlr_buf url = AMLR_BUF_INIT;
	amlr_code rc;

	*resp = NULL;
	if (!name) {
		rc = amlr_classic_check_endpoint_name(
			amlr_client__err(c->client), name);
		goto done;
	}
	if ((rc = build_url(&url, c, webservice_id, 1, name, tail)) != AMLR_OK)
		goto done;
	rc = send_req(resp, c, method, url.ptr, body, flags);
done:
	amlr_buf_release(&url);
	return rc;
}

amlr_code amlr_classic_endpoint_add(amlr_json **out, amlr_classic *c,
				    const char *webservice_id, const char *name,
				    const amlr_classic_endpoint_settings *s)
{
	static const amlr_classic_endpoint_settings none =
		AMLR_CLASSIC_ENDPOINT_SETTINGS_INIT;
	amlr_error *err = amlr_client__err(c->client);
	amlr_json *body = NULL, *reply = NULL, *flag = NULL;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_response *resp = NULL;
	const char *rbody;
	size_t len;
	amlr_code rc = AMLR_EFAIL;

	if (out)
		*out = NULL;
	amlr_error_clear(err);
	if (!s)
		s = &none;
	if (s->max_concurrent_calls < 0 || s->max_concurrent_calls > 200) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"MaxConcurrentCalls must be between 1 and 200, not %d",
			s->max_concurrent_calls);
		goto done;
	}
	if (amlr_json_new_object(&body) != AMLR_OK ||
	    amlr_json_set_str(body, "Description", s->description) != AMLR_OK ||
	    amlr_json_set_str(body, "ThrottleLevel", s->throttle_level) !=
		    AMLR_OK ||
	    (s->max_concurrent_calls
		     ? amlr_json_set_int(body, "MaxConcurrentCalls",
					 s->max_concurrent_calls)
		     : amlr_json_set(body, "MaxConcurrentCalls", NULL)) !=
		    AMLR_OK ||
	    amlr_json_new_bool(&flag, s->prevent_update != 0) != AMLR_OK ||
	    amlr_json_set(body, "PreventUpdate", flag) != AMLR_OK ||
	    amlr_json_serialize(&text, body, 0) != AMLR_OK) {
		amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = write_endpoint(&resp, c, "PUT", webservice_id, name, NULL,
				 text.ptr, 0)) != AMLR_OK)
		goto done;
	rbody = amlr_response_body(resp, &len);
	/* The reply's body is not documented (notes §3.1): take it when it
	 * is an Endpoint object, else report success without one. */
	if (out && len &&
	    amlr_json_parse(&reply, NULL, rbody, len) == AMLR_OK &&
	    amlr_json_type_of(reply) == AMLR_JSON_OBJECT) {
		*out = reply;
		reply = NULL;
	}
done:
	amlr_json_free(reply);
	amlr_json_free(body);
	amlr_response_free(resp);
	amlr_buf_release(&text);
	return rc;
}

amlr_code amlr_classic_patch_body(amlr_buf *out, amlr_error *err,
				  const amlr_classic_resource *res, size_t n)
{
	amlr_json *doc = NULL, *list = NULL, *item = NULL, *loc = NULL;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EFAIL;
	size_t i;

	if (!res || n == 0)
		return amlr_error_set(err, AMLR_EINVAL, "no resource to patch");
	for (i = 0; i < n; i++)
		if (!res[i].name || !*res[i].name || !res[i].base_location ||
		    !*res[i].base_location || !res[i].relative_location ||
		    !*res[i].relative_location)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"a resource needs a name, a BaseLocation and a RelativeLocation");
	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_new_array(&list) != AMLR_OK ||
	    amlr_json_set(doc, "Resources", amlr_json_ref(list)) != AMLR_OK)
		goto done;
	for (i = 0; i < n; i++) {
		/* The order of the docs' samples: Name, then BaseLocation,
		 * RelativeLocation, SasBlobToken. */
		if (amlr_json_new_object(&item) != AMLR_OK ||
		    amlr_json_new_object(&loc) != AMLR_OK ||
		    amlr_json_set_str(item, "Name", res[i].name) != AMLR_OK ||
		    amlr_json_set(item, "Location", amlr_json_ref(loc)) !=
			    AMLR_OK ||
		    amlr_json_set_str(loc, "BaseLocation",
				      res[i].base_location) != AMLR_OK ||
		    amlr_json_set_str(loc, "RelativeLocation",
				      res[i].relative_location) != AMLR_OK ||
		    amlr_json_set_str(loc, "SasBlobToken",
				      res[i].sas_blob_token) != AMLR_OK)
			goto done;
		amlr_json_free(loc);
		loc = NULL;
		if (amlr_json_append(list, item) != AMLR_OK) {
			item = NULL;
			goto done;
		}
		item = NULL;
	}
	if (amlr_json_serialize(&text, doc, 0) != AMLR_OK ||
	    amlr_buf_put(out, text.ptr, text.len) != AMLR_OK)
		goto done;
	rc = AMLR_OK;
done:
	if (rc != AMLR_OK)
		amlr_error_set(err, rc, "out of memory");
	amlr_json_free(loc);
	amlr_json_free(item);
	amlr_json_free(list);
	amlr_json_free(doc);
	amlr_buf_release_secret(&text);
	return rc;
}

amlr_code amlr_classic_endpoint_patch(amlr_classic *c,
				      const char *webservice_id,
				      const char *name,
				      const amlr_classic_resource *res,
				      size_t n)
{
	amlr_error *err = amlr_client__err(c->client);
	amlr_buf body = AMLR_BUF_INIT;
	amlr_response *resp = NULL;
	amlr_code rc;

	amlr_error_clear(err);
	if (name &&
	    (rc = amlr_classic_check_endpoint_name(err, name)) != AMLR_OK)
		goto done;
	if ((rc = amlr_classic_patch_body(&body, err, res, n)) != AMLR_OK)
		goto done;
	rc = write_endpoint(&resp, c, "PATCH", webservice_id, name, NULL,
			    body.ptr, 0);
done:
	amlr_response_free(resp);
	amlr_buf_release_secret(&body);
	return rc;
}

amlr_code amlr_classic_endpoint_delete(amlr_classic *c,
				       const char *webservice_id,
				       const char *name)
{
	amlr_response *resp = NULL;
	amlr_code rc;

	amlr_error_clear(amlr_client__err(c->client));
	rc = write_endpoint(&resp, c, "DELETE", webservice_id, name, NULL, NULL,
			    0);
	amlr_response_free(resp);
	return rc;
}

amlr_code amlr_classic_endpoint_refresh(int *refreshed, amlr_classic *c,
					const char *webservice_id,
					const char *name,
					int overwrite_resources)
{
	amlr_response *resp = NULL;
	amlr_code rc;

	if (refreshed)
		*refreshed = 0;
	amlr_error_clear(amlr_client__err(c->client));
	rc = write_endpoint(&resp, c, "POST", webservice_id, name, "/refresh",
			    overwrite_resources
				    ? "{\"OverwriteResources\":true}"
				    : "{\"OverwriteResources\":false}",
			    AMLR_REQ_NON_IDEMPOTENT);
	if (rc == AMLR_OK && refreshed)
		*refreshed = amlr_response_status(resp) != 304;
	amlr_response_free(resp);
	return rc;
}
