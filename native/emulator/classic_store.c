/* SPDX-License-Identifier: MIT */
/* Classic Studio web services and endpoints: the management API's state. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "amlr/fileio.h"
#include "amlr/secret.h"
#include "bes_external.h"
#include "blob_store.h"
#include "classic_store.h"
#include "json_internal.h"
#include "secrets_log.h"
#include "seed.h"

#define STATE_FILE_MAX ((size_t)64 << 20)
#define KEY_BYTES 64 /* keys: 88 base64 characters (§3.3) */
#define NAME_MAX_LEN 24
#define DESCRIPTION_MAX 2000
#define FREE_ENDPOINTS 3 /* a free workspace's web service, default too */
#define MAX_ENDPOINTS 10000
#define LOW_CALLS 4
#define HIGH_CALLS_DEFAULT 20
#define HIGH_CALLS_MAX 200
#define DEFAULT_EP "default"

/* What the Update Resource page of a training service says (§3.5). */
static const char no_resources[] =
	"Sorry, but this feature is not supported or available in this "
	"context. This Web Service has no updatable resources. We apologize "
	"for the inconvenience and are working on improving this workflow.";

struct emu_classic {
	pthread_mutex_t lock;
	struct emu_world *world;
	char *dir; /* <state>/classic; NULL: in memory only */
	json_object **svcs; /* web service documents, by name */
	size_t n;
	size_t cap;
};

/*
 * A web service's document (its state file):
 *   {"Id", "Name", "Description", "CreationTime", "WorkspaceId",
 *    "definition": {the properties}, "endpoints": [endpoint...]}
 * an endpoint:
 *   {"Name", "Description", "CreationTime", "Guid", "PrimaryKey",
 *    "SecondaryKey", "Version", "MaxConcurrentCalls", "ThrottleLevel",
 *    "DiagnosticsTraceLevel", "PreventUpdate", "SampleDataEnabled",
 *    and, but for the default endpoint, "definition" (the graph it was
 *    created or refreshed with) and "resources": [{"Name", "uri",
 *    "previousUri", "swappedMs"}]: the model of each [trained model]
 *    asset, the one before a PATCH still used until swappedMs plus
 *    --swap-delay}
 */

/* --- small helpers ------------------------------------------------------ */

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* Add @p v (stolen, also on failure; NULL is out of memory) to @p o. */
static amlr_code jset(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return AMLR_EFAIL;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* A string member; NULL stores JSON null. */
static amlr_code jset_str(json_object *o, const char *key, const char *s)
{
	if (!s)
		return json_object_object_add(o, key, NULL) == 0 ? AMLR_OK
								 : AMLR_EFAIL;
	return jset(o, key, json_object_new_string(s));
}

static json_object *jcopy(json_object *src)
{
	json_object *dst = NULL;

	if (!src || json_object_deep_copy(src, &dst, NULL) != 0)
		return NULL;
	return dst;
}

/* Whether @p key is present and not JSON null. */
static int given(json_object *o, const char *key)
{
	return jget(o, key) != NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "2026-05-01T10:00:00Z" */
static amlr_code jset_now(json_object *o, const char *key)
{
	char text[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return jset_str(o, key, text);
}

static void hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static amlr_code jset_guid(json_object *o, const char *key)
{
	unsigned char raw[16];
	char text[33];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return AMLR_EFAIL;
	hex(text, raw, sizeof(raw));
	return jset_str(o, key, text);
}

/* A random 64-byte key in base64: an endpoint's Primary or SecondaryKey. */
static amlr_code jset_key(json_object *o, const char *key)
{
	unsigned char raw[KEY_BYTES];
	char text[4 * ((KEY_BYTES + 2) / 3) + 1];
	amlr_code rc = AMLR_EFAIL;

	if (RAND_bytes(raw, sizeof(raw)) == 1) {
		EVP_EncodeBlock((unsigned char *)text, raw, sizeof(raw));
		emu_secrets_log_record("endpoint-key", text);
		rc = jset_str(o, key, text);
	}
	amlr_secret_wipe(raw, sizeof(raw));
	amlr_secret_wipe(text, sizeof(text));
	return rc;
}

/* Fill @p res with an error; returns 0 (refused) for the callers. */
static int refuse(struct emu_bes_result *res, unsigned status, const char *code,
		  const char *detail, const char *target, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int refuse(struct emu_bes_result *res, unsigned status, const char *code,
		  const char *detail, const char *target, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	snprintf(res->code, sizeof(res->code), "%s", code);
	snprintf(res->detail_code, sizeof(res->detail_code), "%s",
		 detail ? detail : "");
	snprintf(res->target, sizeof(res->target), "%s", target ? target : "");
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return 0;
}

static int bad(struct emu_bes_result *res, const char *detail,
	       const char *target, const char *message)
{
	return refuse(res, 400, "BadArgument", detail, target, "%s", message);
}

/* An endpoint name as §3.3 allows: ^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$ */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= NAME_MAX_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
	       s[0] != '-' && s[n - 1] != '-';
}

/* --- documents ---------------------------------------------------------- */

static json_object *endpoints_of(json_object *svc)
{
	return jget(svc, "endpoints");
}

/*
 * In memory only (never saved), INDEX: {name: endpoint} of "endpoints",
 * so that a request finds its endpoint in constant time.
 */
#define INDEX "endpointIndex"

static json_object *find_endpoint(json_object *svc, const char *name,
				  size_t *index)
{
	json_object *eps = endpoints_of(svc), *ep, *by_name = jget(svc, INDEX);
	size_t i, n;

	if (!json_object_is_type(eps, json_type_array))
		return NULL;
	if (name && by_name) {
		if (!(ep = jget(by_name, name)) || !index)
			return ep;
		n = json_object_array_length(eps);
		for (i = 0; i < n; i++)
			if (json_object_array_get_idx(eps, i) == ep)
				break;
		*index = i;
		return i < n ? ep : NULL;
	}
	for (i = 0; name && i < json_object_array_length(eps); i++) {
		ep = json_object_array_get_idx(eps, i);
		if (strcmp(jstr(ep, "Name"), name) == 0) {
			if (index)
				*index = i;
			return ep;
		}
	}
	return NULL;
}

static size_t find_service(struct emu_classic *c, const char *ws,
			   const char *id)
{
	size_t i;

	for (i = 0; id && i < c->n; i++)
		if (strcasecmp(jstr(c->svcs[i], "Id"), id) == 0 &&
		    strcasecmp(jstr(c->svcs[i], "WorkspaceId"), ws) == 0)
			return i;
	return (size_t)-1;
}

static int is_default(json_object *ep)
{
	return strcmp(jstr(ep, "Name"), DEFAULT_EP) == 0;
}

/* Each Resource asset of @p props: @p i-th, or NULL past the last. */
static json_object *resource_asset(json_object *props, size_t i)
{
	json_object *assets = jget(props, "assets"), *asset;
	struct json_object_iter it;
	size_t k = 0;

	if (!json_object_is_type(assets, json_type_object))
		return NULL;
	json_object_object_foreachC(assets, it)
	{
		asset = it.val;
		if (jstr(asset, "type") &&
		    strcmp(jstr(asset, "type"), "Resource") == 0 &&
		    jstr(asset, "name") && k++ == i)
			return asset;
	}
	return NULL;
}

static json_object *find_resource(json_object *resources, const char *name)
{
	json_object *r;
	size_t i;

	if (!json_object_is_type(resources, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(resources); i++) {
		r = json_object_array_get_idx(resources, i);
		if (strcmp(jstr(r, "Name"), name) == 0)
			return r;
	}
	return NULL;
}

/* The model a resource's asset uses now: the previous one during a swap. */
static const char *effective_uri(const struct emu_classic *c, json_object *r)
{
	int64_t at = json_object_get_int64(jget(r, "swappedMs"));

	if (jstr(r, "previousUri") &&
	    now_ms() < at + c->world->cfg.swap_delay_ms)
		return jstr(r, "previousUri");
	return jstr(r, "uri");
}

/* Point resource @p r at @p uri, the model used so far kept for the swap. */
static amlr_code swap_to(const struct emu_classic *c, json_object *r,
			 const char *uri)
{
	char *prev = strdup(effective_uri(c, r) ? effective_uri(c, r) : "");
	amlr_code rc = AMLR_EFAIL;

	if (prev && jset_str(r, "previousUri", prev) == AMLR_OK &&
	    jset(r, "swappedMs", json_object_new_int64(now_ms())) == AMLR_OK)
		rc = jset_str(r, "uri", uri);
	free(prev);
	return rc;
}

/* The resources of a definition: each [trained model] asset's own model. */
static json_object *resources_of(json_object *props)
{
	json_object *list = json_object_new_array(), *r, *asset;
	size_t i;

	for (i = 0; list && (asset = resource_asset(props, i)); i++) {
		if (!(r = json_object_new_object()) ||
		    json_object_array_add(list, r) != 0) {
			json_object_put(r);
			goto fail;
		}
		if (jset_str(r, "Name", jstr(asset, "name")) != AMLR_OK ||
		    jset_str(r, "uri",
			     jstr(jget(asset, "locationInfo"), "uri")
				     ? jstr(jget(asset, "locationInfo"), "uri")
				     : "") != AMLR_OK)
			goto fail;
	}
	return list;
fail:
	json_object_put(list);
	return NULL;
}

/* A new endpoint of @p svc named @p name, Low (Standard default: High). */
static json_object *new_endpoint(json_object *svc, const char *name,
				 int free_tier)
{
	json_object *ep = json_object_new_object();
	int dflt = strcmp(name, DEFAULT_EP) == 0;
	int high = dflt && !free_tier;

	if (!ep || jset_str(ep, "Name", name) != AMLR_OK ||
	    jset_str(ep, "Description", dflt ? "" : name) != AMLR_OK ||
	    jset_now(ep, "CreationTime") != AMLR_OK ||
	    jset_guid(ep, "Guid") != AMLR_OK ||
	    jset_key(ep, "PrimaryKey") != AMLR_OK ||
	    jset_key(ep, "SecondaryKey") != AMLR_OK ||
	    jset_now(ep, "Version") != AMLR_OK ||
	    jset(ep, "MaxConcurrentCalls",
		 json_object_new_int(high ? HIGH_CALLS_DEFAULT : LOW_CALLS)) !=
		    AMLR_OK ||
	    jset_str(ep, "ThrottleLevel", high ? "High" : "Low") != AMLR_OK ||
	    jset_str(ep, "DiagnosticsTraceLevel", "None") != AMLR_OK ||
	    jset(ep, "PreventUpdate", json_object_new_boolean(0)) != AMLR_OK ||
	    jset(ep, "SampleDataEnabled", json_object_new_boolean(0)) !=
		    AMLR_OK)
		goto fail;
	if (!dflt &&
	    (jset(ep, "definition", json_object_get(jget(svc, "definition"))) !=
		     AMLR_OK ||
	     jset(ep, "resources", resources_of(jget(svc, "definition"))) !=
		     AMLR_OK))
		goto fail;
	return ep;
fail:
	json_object_put(ep);
	return NULL;
}

/* --- state files ---------------------------------------------------------- */

/*
 * A copy of endpoint @p ep to change: every member copied but the
 * definition graph, shared (a graph is never changed in place).
 */
static json_object *ep_copy(json_object *ep)
{
	struct json_object_iterator it = json_object_iter_begin(ep);
	struct json_object_iterator end = json_object_iter_end(ep);
	json_object *dst = json_object_new_object(), *v;
	const char *key;

	while (dst && !json_object_iter_equal(&it, &end)) {
		key = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		v = strcmp(key, "definition") == 0 ? json_object_get(v)
						   : jcopy(v);
		if ((v || !json_object_iter_peek_value(&it)) &&
		    json_object_object_add(dst, key, v) == 0) {
			json_object_iter_next(&it);
			continue;
		}
		json_object_put(v);
		json_object_put(dst);
		dst = NULL;
	}
	return dst;
}

/* Create directory @p path (0700) unless it exists. */
static amlr_code make_dir(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? AMLR_OK : AMLR_EIO;
}

/* Write @p o to @p path, atomically, 0600 (keys). */
static amlr_code write_json(const char *path, json_object *o)
{
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return text ? amlr_file_write_atomic(NULL, path, text, strlen(text),
					     0600)
		    : AMLR_EFAIL;
}

/* <dir>/<wsid>/endpoints, or that directory's file @p name.json. */
static amlr_code ep_path(amlr_buf *path, const struct emu_classic *c,
			 json_object *svc, const char *name)
{
	amlr_buf_clear(path);
	if (!name)
		return amlr_buf_printf(path, "%s/%s/endpoints", c->dir,
				       jstr(svc, "Id"));
	return amlr_buf_printf(path, "%s/%s/endpoints/%s.json", c->dir,
			       jstr(svc, "Id"), name);
}

/*
 * Save endpoint @p ep of @p svc in its own file,
 * <state>/classic/<wsid>/endpoints/<name>.json: one write whatever the
 * number of endpoints.  A definition that is the web service's own is
 * saved as the string "webservice".
 */
static amlr_code save_endpoint(struct emu_classic *c, json_object *svc,
			       json_object *ep)
{
	amlr_buf path = AMLR_BUF_INIT;
	json_object *def = jget(ep, "definition");
	int shared = def && def == jget(svc, "definition");
	amlr_code rc;

	if (!c->dir)
		return AMLR_OK;
	if ((rc = amlr_buf_printf(&path, "%s/%s", c->dir, jstr(svc, "Id"))) !=
		    AMLR_OK ||
	    (rc = make_dir(path.ptr)) != AMLR_OK ||
	    (rc = ep_path(&path, c, svc, NULL)) != AMLR_OK ||
	    (rc = make_dir(path.ptr)) != AMLR_OK ||
	    (rc = ep_path(&path, c, svc, jstr(ep, "Name"))) != AMLR_OK)
		goto done;
	if (shared) {
		json_object_get(def);
		if ((rc = jset_str(ep, "definition", "webservice")) !=
		    AMLR_OK) {
			json_object_put(def);
			goto done;
		}
	}
	rc = write_json(path.ptr, ep);
	if (shared && json_object_object_add(ep, "definition", def) != 0) {
		json_object_put(def);
		rc = AMLR_EFAIL;
	}
done:
	amlr_buf_release(&path);
	return rc;
}

/* Remove endpoint @p name's file; one that is not there is removed. */
static amlr_code remove_endpoint(struct emu_classic *c, json_object *svc,
				 const char *name)
{
	amlr_buf path = AMLR_BUF_INIT;
	amlr_code rc;

	if (!c->dir)
		return AMLR_OK;
	if ((rc = ep_path(&path, c, svc, name)) == AMLR_OK &&
	    unlink(path.ptr) != 0 && errno != ENOENT)
		rc = AMLR_EIO;
	amlr_buf_release(&path);
	return rc;
}

/* Save the web service's own file, <state>/classic/<wsid>.json. */
static amlr_code save(struct emu_classic *c, json_object *svc)
{
	amlr_buf path = AMLR_BUF_INIT;
	json_object *eps = json_object_get(endpoints_of(svc)), *by_name;
	amlr_code rc;

	if (!c->dir) {
		json_object_put(eps);
		return AMLR_OK;
	}
	json_object_object_del(svc, "endpoints");
	if ((by_name = json_object_get(jget(svc, INDEX))))
		json_object_object_del(svc, INDEX);
	if ((rc = amlr_buf_printf(&path, "%s/%s.json", c->dir,
				  jstr(svc, "Id"))) == AMLR_OK)
		rc = write_json(path.ptr, svc);
	if (json_object_object_add(svc, "endpoints", eps) != 0) {
		json_object_put(eps);
		rc = AMLR_EFAIL;
	}
	if (by_name && json_object_object_add(svc, INDEX, by_name) != 0) {
		json_object_put(by_name);
		rc = AMLR_EFAIL;
	}
	amlr_buf_release(&path);
	return rc;
}

/* Save @p svc and every endpoint of it (at start only). */
static amlr_code save_all(struct emu_classic *c, json_object *svc)
{
	json_object *eps = endpoints_of(svc);
	size_t k;
	amlr_code rc = AMLR_OK;

	for (k = 0; rc == AMLR_OK && k < json_object_array_length(eps); k++)
		rc = save_endpoint(c, svc, json_object_array_get_idx(eps, k));
	return rc == AMLR_OK ? save(c, svc) : rc;
}

/* (Re)build @p svc's INDEX. */
static amlr_code index_endpoints(json_object *svc)
{
	json_object *eps = endpoints_of(svc), *by_name, *ep;
	size_t k;

	if (!(by_name = json_object_new_object()) ||
	    jset(svc, INDEX, by_name) != AMLR_OK)
		return AMLR_EFAIL;
	for (k = 0; k < json_object_array_length(eps); k++) {
		ep = json_object_array_get_idx(eps, k);
		if (jset(by_name, jstr(ep, "Name"), json_object_get(ep)) !=
		    AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* Keep @p svc (taken) in place of the document at @p i, or appended. */
static amlr_code keep(struct emu_classic *c, json_object *svc, size_t i)
{
	json_object **v;

	if (index_endpoints(svc) != AMLR_OK) {
		json_object_put(svc);
		return AMLR_EFAIL;
	}

	if (i < c->n) {
		json_object_put(c->svcs[i]); /* @p svc itself: a second ref */
		c->svcs[i] = svc;
		return AMLR_OK;
	}
	if (c->n == c->cap) {
		v = realloc(c->svcs, (c->cap ? c->cap * 2 : 8) * sizeof(*v));
		if (!v) {
			json_object_put(svc);
			return AMLR_EFAIL;
		}
		c->svcs = v;
		c->cap = c->cap ? c->cap * 2 : 8;
	}
	c->svcs[c->n++] = svc;
	return AMLR_OK;
}

/*
 * Keep endpoint @p ep (taken) of web service @p svc, saved first: in place
 * of the one at @p k, or appended.  Both, or neither.
 */
static amlr_code commit_ep(struct emu_classic *c, json_object *svc,
			   json_object *ep, size_t k)
{
	json_object *eps = endpoints_of(svc);
	amlr_code rc = save_endpoint(c, svc, ep);

	if (rc == AMLR_OK && (k < json_object_array_length(eps)
				      ? json_object_array_put_idx(eps, k, ep)
				      : json_object_array_add(eps, ep)) == 0)
		return jset(jget(svc, INDEX), jstr(ep, "Name"),
			    json_object_get(ep)) == AMLR_OK
			       ? AMLR_OK
			       : index_endpoints(svc);
	json_object_put(ep);
	return rc == AMLR_OK ? AMLR_EFAIL : rc;
}

static int valid_doc(json_object *svc)
{
	json_object *eps = endpoints_of(svc), *ep;
	size_t i;

	if (!jstr(svc, "Id") || !jstr(svc, "WorkspaceId") ||
	    !jstr(svc, "Name") || !jget(svc, "definition") ||
	    !json_object_is_type(eps, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(eps); i++) {
		ep = json_object_array_get_idx(eps, i);
		if (!jstr(ep, "Name") || !jstr(ep, "Guid") ||
		    !jstr(ep, "PrimaryKey") || !jstr(ep, "SecondaryKey") ||
		    (!is_default(ep) &&
		     !json_object_is_type(jget(ep, "resources"),
					  json_type_array)))
			return 0;
	}
	return 1;
}

/* Default first, then by creation, then by name. */
static int by_creation(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a,
		    *y = *(json_object *const *)b;
	const char *tx = jstr(x, "CreationTime"), *ty = jstr(y, "CreationTime");
	int d = is_default(y) - is_default(x);

	if (!d && tx && ty)
		d = strcmp(tx, ty);
	return d ? d : strcmp(jstr(x, "Name"), jstr(y, "Name"));
}

/*
 * Share the definition graphs of @p svc's endpoints: "webservice" (or a
 * graph equal to it) is the web service's own; equal graphs are one.
 */
static amlr_code share_definitions(json_object *svc)
{
	json_object *eps = endpoints_of(svc), *ep, *def, *own, *seen[16];
	size_t i, j, nseen = 0;

	own = jget(svc, "definition");
	for (i = 0; i < json_object_array_length(eps); i++) {
		ep = json_object_array_get_idx(eps, i);
		def = jget(ep, "definition");
		if (!def)
			continue;
		if (json_object_is_type(def, json_type_string)) {
			if (strcmp(json_object_get_string(def), "webservice"))
				return AMLR_EIO;
			def = own;
		} else if (json_object_equal(def, own)) {
			def = own;
		} else {
			for (j = 0; j < nseen; j++)
				if (json_object_equal(def, seen[j]))
					break;
			if (j < nseen)
				def = seen[j];
			else if (nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = def;
		}
		if (def != jget(ep, "definition") &&
		    jset(ep, "definition", json_object_get(def)) != AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* Whether @p name is an endpoint file's: NAME.json, NAME an endpoint's. */
static int ep_file(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && n - 5 <= NAME_MAX_LEN &&
	       strcmp(name + n - 5, ".json") == 0 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n - 5;
}

/* Read @p svc's endpoint files into its "endpoints", in order. */
static amlr_code load_endpoints(struct emu_classic *c, amlr_error *err,
				json_object *svc)
{
	amlr_buf dir = AMLR_BUF_INIT, path = AMLR_BUF_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	json_object *eps = json_object_new_array(), *ep;
	struct dirent *e;
	DIR *d = NULL;
	size_t n;
	amlr_code rc = AMLR_EFAIL;

	if (!eps || jset(svc, "endpoints", eps) != AMLR_OK ||
	    ep_path(&dir, c, svc, NULL) != AMLR_OK)
		goto done;
	rc = AMLR_OK;
	if (!(d = opendir(dir.ptr))) {
		if (errno != ENOENT)
			rc = amlr_error_set(err, AMLR_EIO,
					    "cannot read '%s': %s", dir.ptr,
					    strerror(errno));
		goto done;
	}
	while (rc == AMLR_OK && (e = readdir(d))) {
		if (!ep_file(e->d_name))
			continue; /* temporary files of atomic writes, ... */
		amlr_buf_clear(&path);
		amlr_buf_release_secret(&text);
		if ((rc = amlr_buf_printf(&path, "%s/%s", dir.ptr,
					  e->d_name)) != AMLR_OK ||
		    (rc = amlr_file_read(&text, err, path.ptr,
					 STATE_FILE_MAX)) != AMLR_OK)
			break;
		ep = json_tokener_parse(text.ptr ? text.ptr : "");
		if (!json_object_is_type(ep, json_type_object)) {
			json_object_put(ep);
			rc = amlr_error_set(err, AMLR_EIO,
					    "cannot read endpoint file '%s'",
					    path.ptr);
			break;
		}
		if (json_object_array_add(eps, ep) != 0) {
			json_object_put(ep);
			rc = AMLR_EFAIL;
		}
	}
	n = json_object_array_length(eps);
	if (rc == AMLR_OK && n > 1)
		json_object_array_sort(eps, by_creation);
	if (rc == AMLR_OK && (rc = share_definitions(svc)) == AMLR_EIO)
		rc = amlr_error_set(err, rc,
				    "cannot read endpoint files of "
				    "'%s'",
				    dir.ptr);
done:
	if (d)
		closedir(d);
	amlr_buf_release(&dir);
	amlr_buf_release(&path);
	amlr_buf_release_secret(&text);
	return rc;
}

/*
 * Read <state>/classic/: each web service's file, <wsid>.json, and its
 * endpoints' files.  A file of the earlier layout (the endpoints inside)
 * is converted: endpoint files first, then the web service's.
 */
static amlr_code load_dir(struct emu_classic *c, amlr_error *err)
{
	amlr_buf path = AMLR_BUF_INIT, text = AMLR_BUF_INIT;
	json_object *svc;
	struct dirent *e;
	DIR *d;
	size_t len;
	int old;
	amlr_code rc = AMLR_OK;

	if (mkdir(c->dir, 0700) != 0 && errno != EEXIST)
		return amlr_error_set(err, AMLR_EIO, "cannot create '%s': %s",
				      c->dir, strerror(errno));
	if (!(d = opendir(c->dir)))
		return amlr_error_set(err, AMLR_EIO, "cannot read '%s': %s",
				      c->dir, strerror(errno));
	while (rc == AMLR_OK && (e = readdir(d))) {
		len = strlen(e->d_name);
		if (len != 32 + 5 || strcmp(e->d_name + 32, ".json") != 0)
			continue; /* temporary files of atomic writes, ... */
		amlr_buf_clear(&path);
		amlr_buf_release_secret(&text);
		if ((rc = amlr_buf_printf(&path, "%s/%s", c->dir, e->d_name)) !=
			    AMLR_OK ||
		    (rc = amlr_file_read(&text, err, path.ptr,
					 STATE_FILE_MAX)) != AMLR_OK)
			break;
		svc = json_tokener_parse(text.ptr ? text.ptr : "");
		old = jget(svc, "endpoints") != NULL;
		if (svc && jstr(svc, "Id") && !old &&
		    (rc = load_endpoints(c, err, svc)) != AMLR_OK) {
			json_object_put(svc);
			break;
		}
		if (!svc || !valid_doc(svc) ||
		    (old && share_definitions(svc) != AMLR_OK)) {
			json_object_put(svc);
			rc = amlr_error_set(err, AMLR_EIO,
					    "cannot read web service file '%s'",
					    path.ptr);
			break;
		}
		if (old && (rc = save_all(c, svc)) != AMLR_OK) {
			json_object_put(svc);
			rc = amlr_error_set(err, AMLR_EIO,
					    "cannot convert web service file "
					    "'%s'",
					    path.ptr);
			break;
		}
		rc = keep(c, svc, (size_t)-1);
	}
	closedir(d);
	amlr_buf_release(&path);
	amlr_buf_release_secret(&text);
	if (rc == AMLR_EFAIL && !err->message[0])
		amlr_error_set(err, rc, "out of memory");
	return rc;
}

static int by_name(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a,
		    *y = *(json_object *const *)b;
	int d = strcmp(jstr(x, "Name"), jstr(y, "Name"));

	return d ? d : strcmp(jstr(x, "Id"), jstr(y, "Id"));
}

/* --- the seed ---------------------------------------------------------------
 */

/* The "properties" of definition file @p file. */
static amlr_code read_definition(json_object **out, amlr_error *err,
				 const char *file)
{
	amlr_buf text = AMLR_BUF_INIT;
	json_object *doc = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_file_read(&text, NULL, file, 16u << 20)) != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EIO, "seed: cannot read '%s'",
				    file);
		goto done;
	}
	doc = json_tokener_parse(text.ptr ? text.ptr : "");
	if (!json_object_is_type(jget(doc, "properties"), json_type_object)) {
		rc = amlr_error_set(err, AMLR_EIO,
				    "seed: '%s' is not a definition (JSON with "
				    "\"properties\")",
				    file);
		goto done;
	}
	if (!(*out = jcopy(jget(doc, "properties"))))
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
done:
	json_object_put(doc);
	amlr_buf_release(&text);
	return rc;
}

/*
 * Create seed web service @p v of workspace @p w with its default
 * endpoint, or republish it when its definition file changed (the
 * default endpoint follows; the others keep theirs until refreshed).
 */
static amlr_code seed_service(struct emu_classic *c, amlr_error *err,
			      const struct emu_seed_workspace *w,
			      const struct emu_seed_service *v)
{
	json_object *def = NULL, *svc = NULL, *eps, *ep;
	size_t i = find_service(c, w->id, v->id);
	amlr_code rc;

	if ((rc = read_definition(&def, err, v->definition)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (i != (size_t)-1) {
		if (json_object_equal(def, jget(c->svcs[i], "definition")))
			goto ok;
		/* At start: changed in place, then every file saved. */
		svc = json_object_get(c->svcs[i]);
		rc = jset(svc, "definition", def); /* steals */
		def = NULL;
		if (rc != AMLR_OK)
			goto fail;
		if ((ep = find_endpoint(svc, DEFAULT_EP, NULL)) &&
		    jset_now(ep, "Version") != AMLR_OK)
			goto fail;
	} else {
		if (!(svc = json_object_new_object()) ||
		    jset_str(svc, "Id", v->id) != AMLR_OK ||
		    jset_str(svc, "Name", v->name) != AMLR_OK ||
		    jset_str(svc, "Description",
			     v->description ? v->description : "") != AMLR_OK ||
		    jset_now(svc, "CreationTime") != AMLR_OK ||
		    jset_str(svc, "WorkspaceId", w->id) != AMLR_OK)
			goto fail;
		rc = jset(svc, "definition", def); /* steals */
		def = NULL;
		if (rc != AMLR_OK)
			goto fail;
		rc = AMLR_EFAIL;
		if (!(eps = json_object_new_array()) ||
		    jset(svc, "endpoints", eps) != AMLR_OK ||
		    !(ep = new_endpoint(svc, DEFAULT_EP, w->free_tier)) ||
		    json_object_array_add(eps, ep) != 0)
			goto fail;
	}
	if ((rc = save_all(c, svc)) != AMLR_OK)
		goto fail;
	rc = keep(c, svc, i); /* takes svc */
	svc = NULL;
	if (rc != AMLR_OK)
		goto fail;
ok:
	rc = AMLR_OK;
	goto done;
fail:
	if (rc == AMLR_EIO)
		amlr_error_set(err, rc, "cannot write the state of '%s'",
			       v->name);
	else
		amlr_error_set(err, rc = AMLR_EFAIL, "out of memory");
done:
	json_object_put(def);
	json_object_put(svc);
	return rc;
}

/* --- the service -------------------------------------------------------- */

amlr_code emu_classic_new(struct emu_classic **out, amlr_error *err,
			  struct emu_world *world)
{
	const struct emu_seed *seed = world->seed;
	struct emu_classic *c;
	amlr_buf dir = AMLR_BUF_INIT;
	size_t i, j;
	amlr_code rc = AMLR_OK;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	c->world = world;
	if (world->cfg.state_dir) {
		if (amlr_buf_printf(&dir, "%s/classic", world->cfg.state_dir) !=
		    AMLR_OK) {
			rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
			goto done;
		}
		c->dir = amlr_buf_detach(&dir);
		if ((rc = load_dir(c, err)) != AMLR_OK)
			goto done;
	}
	for (i = 0; rc == AMLR_OK && i < seed->nworkspaces; i++)
		for (j = 0; rc == AMLR_OK && j < seed->workspaces[i].nservices;
		     j++)
			rc = seed_service(c, err, &seed->workspaces[i],
					  &seed->workspaces[i].services[j]);
	if (rc != AMLR_OK)
		goto done;
	if (c->n > 1)
		qsort(c->svcs, c->n, sizeof(*c->svcs), by_name);
	*out = c;
	c = NULL;
done:
	amlr_buf_release(&dir);
	emu_classic_free(c);
	return rc;
}

void emu_classic_free(struct emu_classic *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		json_object_put(c->svcs[i]);
	free(c->svcs);
	free(c->dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static amlr_code export(amlr_buf *out, const char *name, const char *value)
{
	return amlr_buf_printf(out, "export %s='%s'\n", name, value);
}

amlr_code emu_classic_env(amlr_buf *out, struct emu_classic *c, const char *url)
{
	const struct emu_seed *seed = c->world->seed;
	const struct emu_seed_workspace *w = NULL;
	const struct emu_seed_service *training = NULL, *predictive = NULL;
	json_object *ep;
	size_t i, j;
	amlr_code rc;

	if ((rc = export(out, "AMLR_MANAGEMENT_ENDPOINT", url)) != AMLR_OK ||
	    !seed->nworkspaces)
		return rc;
	w = &seed->workspaces[0];
	if ((rc = export(out, "AMLR_WORKSPACE_ID", w->id)) != AMLR_OK ||
	    (rc = export(out, "AMLR_WORKSPACE_TOKEN", w->token)) != AMLR_OK)
		return rc;
	for (i = 0; i < seed->nworkspaces; i++)
		for (j = 0; j < seed->workspaces[i].nservices; j++) {
			const struct emu_seed_service *v =
				&seed->workspaces[i].services[j];

			if (!v->role)
				continue;
			if (!training && strcmp(v->role, "training") == 0) {
				training = v;
				w = &seed->workspaces[i];
			}
			if (!predictive && strcmp(v->role, "predictive") == 0)
				predictive = v;
		}
	if (predictive && (rc = export(out, "AMLR_PREDICTIVE_WEBSERVICE_ID",
				       predictive->id)) != AMLR_OK)
		return rc;
	if (!training)
		return AMLR_OK;
	if ((rc = export(out, "AMLR_TRAINING_WEBSERVICE_ID", training->id)) !=
	    AMLR_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	i = find_service(c, w->id, training->id);
	ep = i == (size_t)-1 ? NULL
			     : find_endpoint(c->svcs[i], DEFAULT_EP, NULL);
	if (ep &&
	    (rc = amlr_buf_printf(out,
				  "export AMLR_TRAINING_ENDPOINT_API_LOCATION="
				  "'%s/workspaces/%s/services/%s'\n",
				  url, w->id, jstr(ep, "Guid"))) == AMLR_OK)
		rc = export(out, "AMLR_TRAINING_ENDPOINT_API_KEY",
			    jstr(ep, "PrimaryKey"));
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* --- rendering ------------------------------------------------------------ */

static amlr_code body_of(struct emu_bes_result *res, unsigned status,
			 json_object *doc)
{
	const char *text = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text)
		return AMLR_EFAIL;
	res->status = status;
	return amlr_buf_puts(&res->body, text);
}

static json_object *render_service(json_object *svc)
{
	json_object *o = json_object_new_object();
	json_object *eps = endpoints_of(svc);

	if (!o || jset_str(o, "Id", jstr(svc, "Id")) != AMLR_OK ||
	    jset_str(o, "Name", jstr(svc, "Name")) != AMLR_OK ||
	    jset_str(o, "Description", jstr(svc, "Description")) != AMLR_OK ||
	    jset_str(o, "CreationTime", jstr(svc, "CreationTime")) != AMLR_OK ||
	    jset_str(o, "WorkspaceId", jstr(svc, "WorkspaceId")) != AMLR_OK ||
	    jset_str(o, "DefaultEndpointName",
		     find_endpoint(svc, DEFAULT_EP, NULL) ? DEFAULT_EP
							  : NULL) != AMLR_OK ||
	    jset(o, "EndpointCount",
		 json_object_new_int((int)json_object_array_length(eps))) !=
		    AMLR_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A resource's Location: the blob with a fresh read SAS (§3.3). */
static json_object *render_location(struct emu_classic *c, const char *base_url,
				    const char *uri)
{
	char *account = NULL, *container = NULL, *blob = NULL;
	char *base = NULL, *rel = NULL, *sas = NULL;
	amlr_buf token = AMLR_BUF_INIT;
	amlr_json *ref = NULL, *loc = NULL;
	json_object *o = NULL;

	if (!emu_bes_model_is_external(c->world->bes, base_url, uri) &&
	    emu_bes_blob_of_url(&account, &container, &blob, base_url, uri) ==
		    AMLR_OK &&
	    emu_seed_storage(c->world->seed, account) &&
	    amlr_json_new_object(&loc) == AMLR_OK &&
	    amlr_json_set_str(loc, "account", account) == AMLR_OK &&
	    amlr_json_set_str(loc, "container", container) == AMLR_OK &&
	    amlr_json_set_str(loc, "blob", blob) == AMLR_OK &&
	    emu_bes_blob_ref(&ref, c->world->bes, base_url, loc, 0) ==
		    AMLR_OK) {
		o = json_object_get(amlr_json__c(ref));
	} else if (emu_bes_ext_split_url(&base, &rel, &sas, uri) == AMLR_OK &&
		   (o = json_object_new_object())) {
		/* Another account's, with the SAS it was given (issue #6). */
		if (jset_str(o, "BaseLocation", base) != AMLR_OK ||
		    jset_str(o, "RelativeLocation", rel) != AMLR_OK ||
		    amlr_buf_printf(&token, "?%s", sas) != AMLR_OK ||
		    jset_str(o, "SasBlobToken", token.ptr) != AMLR_OK) {
			json_object_put(o);
			o = NULL;
		}
	} else if ((o = json_object_new_object())) {
		/* Not a blob of the emulator: shown as it is. */
		if (jset_str(o, "BaseLocation", uri) != AMLR_OK ||
		    jset_str(o, "RelativeLocation", "") != AMLR_OK ||
		    jset_str(o, "SasBlobToken", NULL) != AMLR_OK) {
			json_object_put(o);
			o = NULL;
		}
	}
	amlr_buf_release_secret(&token);
	amlr_secret_free(sas);
	free(base);
	free(rel);
	amlr_json_free(ref);
	amlr_json_free(loc);
	free(account);
	free(container);
	free(blob);
	return o;
}

static json_object *render_resources(struct emu_classic *c,
				     const char *base_url, json_object *svc,
				     json_object *ep)
{
	json_object *list = NULL, *own = NULL, *r, *o, *loc;
	size_t i;

	if (is_default(ep) ? !(own = resources_of(jget(svc, "definition")))
			   : !(own = json_object_get(jget(ep, "resources"))))
		return NULL;
	if (!(list = json_object_new_array()))
		goto fail;
	for (i = 0; i < json_object_array_length(own); i++) {
		r = json_object_array_get_idx(own, i);
		if (!(o = json_object_new_object()) ||
		    json_object_array_add(list, o) != 0) {
			json_object_put(o);
			goto fail;
		}
		if (jset_str(o, "Name", jstr(r, "Name")) != AMLR_OK ||
		    jset_str(o, "Kind", "TrainedModel") != AMLR_OK ||
		    !(loc = render_location(c, base_url, jstr(r, "uri"))) ||
		    jset(o, "Location", loc) != AMLR_OK)
			goto fail;
	}
	json_object_put(own);
	return list;
fail:
	json_object_put(own);
	json_object_put(list);
	return NULL;
}

static amlr_code jset_urlf(json_object *o, const char *key, const char *fmt,
			   ...) __attribute__((format(printf, 3, 4)));

static amlr_code jset_urlf(json_object *o, const char *key, const char *fmt,
			   ...)
{
	amlr_buf b = AMLR_BUF_INIT;
	va_list ap;
	amlr_code rc;

	va_start(ap, fmt);
	rc = amlr_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == AMLR_OK)
		rc = jset_str(o, key, b.ptr);
	amlr_buf_release(&b);
	return rc;
}

/* The Endpoint object of §3.3. */
static json_object *render_endpoint(struct emu_classic *c, const char *base_url,
				    json_object *svc, json_object *ep)
{
	static const char *const copied[] = {
		"MaxConcurrentCalls", "DiagnosticsTraceLevel", "ThrottleLevel",
		"PreventUpdate",      "SampleDataEnabled",     NULL
	};
	const char *ws = jstr(svc, "WorkspaceId"), *id = jstr(svc, "Id");
	const char *guid = jstr(ep, "Guid");
	json_object *o = json_object_new_object(), *res;
	size_t i;

	if (!o || jset_str(o, "Name", jstr(ep, "Name")) != AMLR_OK ||
	    jset_str(o, "Description", jstr(ep, "Description")) != AMLR_OK ||
	    jset_str(o, "CreationTime", jstr(ep, "CreationTime")) != AMLR_OK ||
	    jset_str(o, "WorkspaceId", ws) != AMLR_OK ||
	    jset_str(o, "WebServiceId", id) != AMLR_OK ||
	    jset_urlf(o, "HelpLocation",
		      "%s/apihelp/workspaces/%s/webservices/%s/endpoints/%s",
		      base_url, ws, id, guid) != AMLR_OK ||
	    jset_str(o, "PrimaryKey", jstr(ep, "PrimaryKey")) != AMLR_OK ||
	    jset_str(o, "SecondaryKey", jstr(ep, "SecondaryKey")) != AMLR_OK ||
	    jset_urlf(o, "ApiLocation", "%s/workspaces/%s/services/%s",
		      base_url, ws, guid) != AMLR_OK ||
	    jset_urlf(o, "ExperimentLocation",
		      "%s/workspaces/%s/experiments/%s", base_url, ws,
		      id) != AMLR_OK ||
	    !(res = render_resources(c, base_url, svc, ep)) ||
	    jset(o, "Resources", res) != AMLR_OK ||
	    jset_str(o, "Version", jstr(ep, "Version")) != AMLR_OK)
		goto fail;
	for (i = 0; copied[i]; i++)
		if (jset(o, copied[i], json_object_get(jget(ep, copied[i]))) !=
			    AMLR_OK &&
		    given(ep, copied[i]))
			goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* --- admitting a request ----------------------------------------------------
 */

/*
 * Find the workspace, web service (call->svc) and endpoint (call->ep) of
 * the call and check its key: the workspace token always, the endpoint's
 * own keys where @p ep_key allows.  1 admitted (*svc_out set when asked,
 * *ep_out when it exists), 0 refused in @p res.  Under the lock.
 */
static int admit(struct emu_bes_result *res, size_t *svc_out,
		 json_object **ep_out, struct emu_classic *c,
		 const struct emu_classic_call *call, int ep_key,
		 int ep_required)
{
	const struct emu_seed_workspace *w =
		emu_seed_workspace(c->world->seed, call->ws);
	const char *bearer = call->bearer ? call->bearer : "";
	size_t i = (size_t)-1;
	json_object *ep = NULL;
	int ok;

	*svc_out = (size_t)-1;
	if (ep_out)
		*ep_out = NULL;
	if (!w)
		return refuse(res, 404, "NotFound", "WorkspaceNotFound",
			      call->ws, "workspace '%s' not found", call->ws);
	if (call->svc && (i = find_service(c, w->id, call->svc)) != (size_t)-1)
		ep = find_endpoint(c->svcs[i], call->ep, NULL);
	ok = *bearer && amlr_secret_equal(bearer, w->token);
	if (!ok && ep_key && ep) {
		/* Both compared, in time independent of the keys. */
		ok = amlr_secret_equal(bearer, jstr(ep, "PrimaryKey"));
		ok |= amlr_secret_equal(bearer, jstr(ep, "SecondaryKey"));
		ok = ok && *bearer;
	}
	if (!ok)
		return refuse(res, 401, "Unauthorized",
			      "ManagementRequestUnauthorized", NULL,
			      "Request is unauthorized to access resource: "
			      "send the workspace or endpoint key as "
			      "'Authorization: Bearer <key>'.");
	if (call->svc && i == (size_t)-1)
		return refuse(res, 404, "NotFound", "WebServiceNotFound",
			      call->svc, "web service '%s' not found",
			      call->svc);
	if (ep_required && !ep)
		return refuse(res, 404, "NotFound", "EndpointNotFound",
			      call->ep, "endpoint '%s' not found", call->ep);
	*svc_out = i;
	if (ep_out)
		*ep_out = ep;
	return 1;
}

/* --- the operations ------------------------------------------------------- */

amlr_code emu_classic_list_services(struct emu_classic *c,
				    struct emu_bes_result *res,
				    const struct emu_classic_call *call)
{
	json_object *list = NULL, *o;
	size_t i, k;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &k, NULL, c, call, 0, 0))
		goto done;
	rc = AMLR_EFAIL;
	if (!(list = json_object_new_array()))
		goto done;
	for (i = 0; i < c->n; i++) {
		if (strcasecmp(jstr(c->svcs[i], "WorkspaceId"), call->ws) != 0)
			continue;
		if (!(o = render_service(c->svcs[i])) ||
		    json_object_array_add(list, o) != 0) {
			json_object_put(o);
			goto done;
		}
	}
	rc = json_object_array_length(list) ? body_of(res, 200, list) : AMLR_OK;
	if (!json_object_array_length(list))
		res->status = 204; /* none: 204, no body (§3.1) */
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(list);
	return rc;
}

amlr_code emu_classic_get_service(struct emu_classic *c,
				  struct emu_bes_result *res,
				  const struct emu_classic_call *call)
{
	json_object *o = NULL;
	size_t i;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &i, NULL, c, call, 0, 0))
		goto done;
	rc = (o = render_service(c->svcs[i])) ? body_of(res, 200, o)
					      : AMLR_EFAIL;
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(o);
	return rc;
}

amlr_code emu_classic_list_endpoints(struct emu_classic *c,
				     struct emu_bes_result *res,
				     const struct emu_classic_call *call)
{
	json_object *list = NULL, *o, *eps;
	size_t i, k;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &k, NULL, c, call, 0, 0))
		goto done;
	rc = AMLR_EFAIL;
	eps = endpoints_of(c->svcs[k]);
	if (!(list = json_object_new_array()))
		goto done;
	for (i = 0; i < json_object_array_length(eps); i++) {
		if (!(o = render_endpoint(c, call->base_url, c->svcs[k],
					  json_object_array_get_idx(eps, i))) ||
		    json_object_array_add(list, o) != 0) {
			json_object_put(o);
			goto done;
		}
	}
	rc = AMLR_OK;
	if (json_object_array_length(list))
		rc = body_of(res, 200, list);
	else
		res->status = 204;
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(list);
	return rc;
}

amlr_code emu_classic_get_endpoint(struct emu_classic *c,
				   struct emu_bes_result *res,
				   const struct emu_classic_call *call)
{
	json_object *o = NULL, *ep;
	size_t i;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &i, &ep, c, call, 1, 1))
		goto done;
	rc = (o = render_endpoint(c, call->base_url, c->svcs[i], ep))
		     ? body_of(res, 200, o)
		     : AMLR_EFAIL;
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(o);
	return rc;
}

/* A boolean setting: JSON true/false or "True"/"False" (.NET's). */
static int flag(int *out, json_object *v)
{
	const char *s;

	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 1;
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
		*out = strcasecmp(s, "true") == 0;
		return 1;
	}
	return 0;
}

/* Whether @p s is one of the NULL-terminated @p values. */
static int one_of(const char *s, const char *const *values)
{
	size_t i;

	for (i = 0; s && values[i]; i++)
		if (strcmp(s, values[i]) == 0)
			return 1;
	return 0;
}

/*
 * Apply the settings of a PUT or PATCH body to endpoint @p ep (§3.3,
 * §3.4): Description, DiagnosticsTraceLevel, SampleDataEnabled,
 * PreventUpdate, ThrottleLevel and MaxConcurrentCalls with the tier's
 * rules.  Unset (absent or null) members keep the endpoint's value.
 * 1 done, 0 refused, -1 without memory.
 */
static int apply_settings(struct emu_bes_result *res, json_object *ep,
			  json_object *body, int free_tier)
{
	static const char *const levels[] = { "None", "Error", "All", NULL };
	static const char *const throttles[] = { "Low", "High", NULL };
	static const char *const flags[] = { "PreventUpdate",
					     "SampleDataEnabled", NULL };
	json_object *v;
	const char *level;
	int64_t calls;
	size_t i;
	int b;

	if ((v = jget(body, "Description"))) {
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) > DESCRIPTION_MAX)
			return bad(
				res, "InvalidDescription", "Description",
				"Description must be a string of at most 2000 characters");
		if (jset_str(ep, "Description", json_object_get_string(v)) !=
		    AMLR_OK)
			return -1;
	}
	if ((v = jget(body, "DiagnosticsTraceLevel"))) {
		if (!one_of(json_object_get_string(v), levels) ||
		    !json_object_is_type(v, json_type_string))
			return bad(
				res, "InvalidDiagnosticsTraceLevel",
				"DiagnosticsTraceLevel",
				"DiagnosticsTraceLevel must be None, Error or All");
		if (jset_str(ep, "DiagnosticsTraceLevel",
			     json_object_get_string(v)) != AMLR_OK)
			return -1;
	}
	for (i = 0; flags[i]; i++) {
		if (!(v = jget(body, flags[i])))
			continue;
		if (!flag(&b, v))
			return refuse(res, 400, "BadArgument",
				      "BadParameterValue", flags[i],
				      "%s must be true or false", flags[i]);
		if (jset(ep, flags[i], json_object_new_boolean(b)) != AMLR_OK)
			return -1;
	}
	level = jstr(ep, "ThrottleLevel");
	if ((v = jget(body, "ThrottleLevel"))) {
		if (!json_object_is_type(v, json_type_string) ||
		    !one_of(json_object_get_string(v), throttles))
			return bad(res, "InvalidThrottleLevel", "ThrottleLevel",
				   "ThrottleLevel must be Low or High");
		level = json_object_get_string(v);
	}
	if (free_tier && strcmp(level, "High") == 0)
		return bad(res, "ThrottleLevelNotAllowed", "ThrottleLevel",
			   "a free workspace allows ThrottleLevel Low only");
	calls = json_object_get_int64(jget(ep, "MaxConcurrentCalls"));
	if (strcmp(level, "Low") == 0) {
		calls = LOW_CALLS; /* MaxConcurrentCalls is ignored */
	} else if ((v = jget(body, "MaxConcurrentCalls"))) {
		errno = 0;
		calls = json_object_get_int64(v);
		if ((!json_object_is_type(v, json_type_int) &&
		     !json_object_is_type(v, json_type_string)) ||
		    errno || calls < 1 || calls > HIGH_CALLS_MAX)
			return bad(
				res, "InvalidMaxConcurrentCalls",
				"MaxConcurrentCalls",
				"MaxConcurrentCalls must be 1 to 200 with ThrottleLevel High");
	} else if (strcmp(jstr(ep, "ThrottleLevel"), "High") != 0) {
		calls = HIGH_CALLS_DEFAULT;
	}
	/* json-c reads a string member with strtoll: "12" counts, "x" not. */
	if ((v = jget(body, "MaxConcurrentCalls")) &&
	    json_object_is_type(v, json_type_string) &&
	    strspn(json_object_get_string(v), "0123456789") !=
		    strlen(json_object_get_string(v)))
		return bad(res, "InvalidMaxConcurrentCalls",
			   "MaxConcurrentCalls",
			   "MaxConcurrentCalls must be a whole number");
	if (jset_str(ep, "ThrottleLevel", level) != AMLR_OK ||
	    jset(ep, "MaxConcurrentCalls", json_object_new_int64(calls)) !=
		    AMLR_OK)
		return -1;
	return 1;
}

/* The body as an object ("" for none): 1, 0 refused. */
static int body_object(struct emu_bes_result *res, const amlr_json *body)
{
	if (!body || json_object_is_type(amlr_json__c(body), json_type_object))
		return 1;
	return bad(res, "RequestBodyInvalid", NULL,
		   "the request body must be a JSON object");
}

amlr_code emu_classic_put_endpoint(struct emu_classic *c,
				   struct emu_bes_result *res,
				   const struct emu_classic_call *call,
				   const amlr_json *body)
{
	const struct emu_seed_workspace *w;
	json_object *svc, *ep, *o = NULL, *copy = NULL;
	json_object *b = body ? amlr_json__c(body) : NULL;
	size_t i, n, k;
	int ok;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &i, &ep, c, call, 0, 0) || !body_object(res, body))
		goto done;
	w = emu_seed_workspace(c->world->seed, call->ws);
	if (!ep && !name_ok(call->ep)) {
		bad(res, "InvalidEndpointName", call->ep,
		    "an endpoint name is 1 to 24 lower-case letters, digits "
		    "and hyphens, starting and ending with a letter or digit");
		goto done;
	}
	n = json_object_array_length(endpoints_of(c->svcs[i]));
	if (!ep && n >= (w->free_tier ? FREE_ENDPOINTS : MAX_ENDPOINTS)) {
		refuse(res, 400, "BadArgument", "TooManyEndpoints", call->ep,
		       "a web service of a %s workspace has at most %d "
		       "endpoints",
		       w->free_tier ? "free" : "standard",
		       w->free_tier ? FREE_ENDPOINTS : MAX_ENDPOINTS);
		goto done;
	}
	/* Only the endpoint changes: a copy, saved, then kept. */
	rc = AMLR_EFAIL;
	svc = c->svcs[i];
	k = n;
	if (ep ? !find_endpoint(svc, call->ep, &k) || !(copy = ep_copy(ep))
	       : !(copy = new_endpoint(svc, call->ep, w->free_tier)))
		goto done;
	if ((ok = apply_settings(res, copy, b, w->free_tier)) != 1) {
		rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
		goto done;
	}
	if (!(o = render_endpoint(c, call->base_url, svc, copy)))
		goto done;
	rc = commit_ep(c, svc, copy, k);
	copy = NULL;
	if (rc == AMLR_OK)
		rc = body_of(res, 200, o);
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(copy);
	json_object_put(o);
	return rc;
}

/*
 * A resource's model in another storage account (issue #6): readable with
 * its SAS (checked by emu_bes_resolve_external()), there (one HEAD; an
 * account not answering passes, scoring says so), kept as
 * "ENDPOINT/CONTAINER/BLOB?SAS" in *uri_out: the endpoint's definition
 * holds the SAS, as the service kept it (emu_bes_model_get() reads it).
 * 1, 0 refused, -1.
 */
static int external_resource(char **uri_out, struct emu_bes_result *res,
			     const char *name, const amlr_json *where,
			     const char *secret)
{
	const char *auth = amlr_json_get_str(where, "auth");
	const char *container = amlr_json_get_str(where, "container");
	const char *blob = amlr_json_get_str(where, "blob");
	amlr_buf uri = AMLR_BUF_INIT;
	int ok;

	if (!auth || strcmp(auth, "sas") != 0)
		return refuse(res, 400, "BadArgument", "InvalidBlob", name,
			      "the model of '%s' is in another storage "
			      "account: give its BaseLocation and a "
			      "SasBlobToken that reads it",
			      name);
	ok = emu_bes_ext_check_input(res, name, where, secret);
	if (ok == 0 && strcmp(res->detail_code, "BlobNotFound") == 0) {
		snprintf(res->message, sizeof(res->message),
			 "the model blob '%s/%s' of '%s' does not exist",
			 container, blob, name);
	} else if (ok == 0 && strncmp(res->message, "input ", 6) == 0) {
		/* "input blob ...": the model's */
		memmove(res->message + 5, res->message + 6,
			strlen(res->message + 6) + 1);
		memcpy(res->message, "model", 5);
	}
	if (ok != 1)
		return ok;
	if (amlr_buf_printf(&uri, "%s/",
			    amlr_json_get_str(where, "endpoint")) != AMLR_OK ||
	    emu_bes_url_path(&uri, container) != AMLR_OK ||
	    amlr_buf_puts(&uri, "/") != AMLR_OK ||
	    emu_bes_url_path(&uri, blob) != AMLR_OK ||
	    amlr_buf_printf(&uri, "?%s", secret) != AMLR_OK) {
		amlr_buf_release_secret(&uri);
		return -1;
	}
	*uri_out = amlr_buf_detach(&uri);
	return *uri_out ? 1 : -1;
}

/*
 * Check one element of PATCH's Resources and resolve its blob into
 * *uri_out ("https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB",
 * without the SAS).  1, 0 refused, -1.
 */
static int patch_resource(char **uri_out, struct emu_bes_result *res,
			  struct emu_classic *c, const char *base_url,
			  json_object *resources, json_object *item)
{
	const char *name = jstr(item, "Name");
	json_object *loc = jget(item, "Location");
	const char *rel = jstr(loc, "RelativeLocation");
	struct emu_blob_fail bf;
	struct emu_blob_info info;
	amlr_json *where = NULL;
	amlr_buf uri = AMLR_BUF_INIT;
	uint64_t off, len;
	char *secret = NULL;
	size_t n;
	int ok = -1;

	*uri_out = NULL;
	if (!name || !*name) {
		ok = bad(res, "ResourceNotFound", "Name",
			 "Resource name is empty string");
		goto done;
	}
	if (!find_resource(resources, name)) {
		ok = refuse(res, 400, "BadArgument", "ResourceNotFound", name,
			    "'%s' is not an updatable resource of this "
			    "endpoint",
			    name);
		goto done;
	}
	n = rel ? strcspn(rel, "?") : 0;
	if (!json_object_is_type(loc, json_type_object) || !rel || n < 9 ||
	    strncasecmp(rel + n - 9, ".ilearner", 9) != 0) {
		ok = refuse(res, 400, "BadArgument", "InvalidBlobExtension",
			    name,
			    "the Location of '%s' must be a trained model "
			    "blob ending in .ilearner",
			    name);
		goto done;
	}
	if ((ok = emu_bes_resolve_external(&where, &secret, res, c->world->bes,
					   base_url, name, amlr_json__wrap(loc),
					   0)) != 1)
		goto done;
	if (secret) {
		ok = external_resource(uri_out, res, name, where, secret);
		goto done;
	}
	memset(&bf, 0, sizeof(bf));
	switch (emu_blob_read(c->world->blob, &bf,
			      amlr_json_get_str(where, "account"),
			      amlr_json_get_str(where, "container"),
			      amlr_json_get_str(where, "blob"), NULL, NULL,
			      &info, &off, &len, NULL)) {
	case AMLR_OK:
		break;
	case AMLR_ENOTFOUND:
	case AMLR_EINVAL:
	case AMLR_ECONFLICT:
		ok = refuse(res, 400, "BadArgument", "BlobNotFound", name,
			    "the model blob '%s/%s' of '%s' does not exist",
			    amlr_json_get_str(where, "container"),
			    amlr_json_get_str(where, "blob"), name);
		goto done;
	default:
		ok = -1;
		goto done;
	}
	ok = -1;
	if (amlr_buf_printf(&uri, "https://%s.blob.core.windows.net/",
			    amlr_json_get_str(where, "account")) != AMLR_OK ||
	    emu_bes_url_path(&uri, amlr_json_get_str(where, "container")) !=
		    AMLR_OK ||
	    amlr_buf_puts(&uri, "/") != AMLR_OK ||
	    emu_bes_url_path(&uri, amlr_json_get_str(where, "blob")) != AMLR_OK)
		goto done;
	*uri_out = amlr_buf_detach(&uri);
	ok = *uri_out ? 1 : -1;
done:
	amlr_json_free(where);
	amlr_secret_free(secret);
	amlr_buf_release(&uri);
	return ok;
}

amlr_code emu_classic_patch_endpoint(struct emu_classic *c,
				     struct emu_bes_result *res,
				     const struct emu_classic_call *call,
				     const amlr_json *body)
{
	const struct emu_seed_workspace *w;
	json_object *svc, *ep, *list, *item, *resources, *copy = NULL;
	json_object *b = body ? amlr_json__c(body) : NULL;
	char **uris = NULL;
	size_t i, j, k, n = 0;
	int ok;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &i, &ep, c, call, 1, 1) || !body_object(res, body))
		goto done;
	w = emu_seed_workspace(c->world->seed, call->ws);
	list = jget(b, "Resources");
	if (list && !json_object_is_type(list, json_type_array)) {
		bad(res, "RequestBodyInvalid", "Resources",
		    "Resources must be an array of {Name, Location}");
		goto done;
	}
	n = list ? json_object_array_length(list) : 0;
	if (list && is_default(ep)) {
		bad(res, "DefaultEndpointNotUpdatable", call->ep,
		    "the default endpoint's resources cannot be updated: add "
		    "an endpoint to the web service and update that one");
		goto done;
	}
	if (list && !resource_asset(jget(ep, "definition"), 0)) {
		bad(res, "NoUpdatableResources", call->ep, no_resources);
		goto done;
	}
	rc = AMLR_EFAIL;
	if (n && !(uris = calloc(n, sizeof(*uris))))
		goto done;
	for (k = 0; k < n; k++) {
		ok = patch_resource(&uris[k], res, c, call->base_url,
				    jget(ep, "resources"),
				    json_object_array_get_idx(list, k));
		if (ok != 1) {
			rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
			goto done;
		}
	}
	/* Everything checked: change a copy, save it, then keep it. */
	svc = c->svcs[i];
	if (!find_endpoint(svc, call->ep, &j) || !(ep = ep_copy(ep)))
		goto done;
	copy = ep;
	if ((ok = apply_settings(res, ep, b, w->free_tier)) != 1) {
		rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
		goto done;
	}
	resources = jget(ep, "resources");
	for (k = 0; k < n; k++) {
		item = json_object_array_get_idx(list, k);
		if (swap_to(c, find_resource(resources, jstr(item, "Name")),
			    uris[k]) != AMLR_OK)
			goto done;
	}
	if (n && jset_now(ep, "Version") != AMLR_OK)
		goto done;
	rc = commit_ep(c, svc, copy, j);
	copy = NULL;
	if (rc == AMLR_OK)
		res->status = 200; /* and no body (§3.5) */
done:
	pthread_mutex_unlock(&c->lock);
	for (k = 0; uris && k < n; k++)
		free(uris[k]);
	free(uris);
	json_object_put(copy);
	return rc;
}

amlr_code emu_classic_delete_endpoint(struct emu_classic *c,
				      struct emu_bes_result *res,
				      const struct emu_classic_call *call)
{
	json_object *svc, *ep;
	size_t i, k = 0;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &i, &ep, c, call, 0, 1))
		goto done;
	if (is_default(ep) &&
	    json_object_array_length(endpoints_of(c->svcs[i])) > 1) {
		bad(res, "DefaultEndpointNotDeletable", call->ep,
		    "the default endpoint cannot be deleted while the web "
		    "service has other endpoints");
		goto done;
	}
	rc = AMLR_EFAIL;
	svc = c->svcs[i];
	if (!find_endpoint(svc, call->ep, &k))
		goto done;
	if ((rc = remove_endpoint(c, svc, call->ep)) != AMLR_OK)
		goto done;
	json_object_object_del(jget(svc, INDEX), call->ep);
	rc = json_object_array_del_idx(endpoints_of(svc), k, 1) == 0
		     ? AMLR_OK
		     : AMLR_EFAIL;
	if (rc == AMLR_OK)
		res->status = 204;
done:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

amlr_code emu_classic_refresh_endpoint(struct emu_classic *c,
				       struct emu_bes_result *res,
				       const struct emu_classic_call *call,
				       const amlr_json *body)
{
	json_object *b = body ? amlr_json__c(body) : NULL;
	json_object *svc, *ep, *def, *fresh = NULL, *mine, *r, *own;
	json_object *v, *copy = NULL;
	int overwrite = 0, changed;
	size_t i, j, k;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&c->lock);
	if (!admit(res, &i, &ep, c, call, 1, 1) || !body_object(res, body))
		goto done;
	if ((v = jget(b, "OverwriteResources")) && !flag(&overwrite, v)) {
		refuse(res, 400, "BadArgument", "BadParameterValue",
		       "OverwriteResources",
		       "OverwriteResources must be true or false");
		goto done;
	}
	if (is_default(ep)) {
		bad(res, "DefaultEndpointNotRefreshable", call->ep,
		    "the default endpoint always runs the web service as "
		    "published: only other endpoints are refreshed");
		goto done;
	}
	rc = AMLR_EFAIL;
	def = jget(c->svcs[i], "definition");
	if (!(fresh = resources_of(def)))
		goto done;
	mine = jget(ep, "resources");
	changed = !json_object_equal(def, jget(ep, "definition"));
	for (k = 0; !changed && k < json_object_array_length(fresh); k++) {
		r = json_object_array_get_idx(fresh, k);
		own = find_resource(mine, jstr(r, "Name"));
		changed = !own || (overwrite && strcmp(jstr(own, "uri"),
						       jstr(r, "uri")) != 0);
	}
	if (!changed) {
		res->status = 304; /* nothing to refresh (§3.6) */
		rc = AMLR_OK;
		goto done;
	}
	svc = c->svcs[i];
	if (!find_endpoint(svc, call->ep, &j) || !(copy = ep_copy(ep)))
		goto done;
	ep = copy;
	if (jset(ep, "definition", json_object_get(def)) != AMLR_OK)
		goto done;
	/* Each resource of the new graph: its own model, or the default's. */
	for (k = 0; k < json_object_array_length(fresh); k++) {
		r = json_object_array_get_idx(fresh, k);
		own = find_resource(jget(ep, "resources"), jstr(r, "Name"));
		if (own && !overwrite &&
		    jset_str(r, "uri", jstr(own, "uri")) != AMLR_OK)
			goto done;
		if (own && jset_str(r, "previousUri", effective_uri(c, own)) !=
				   AMLR_OK)
			goto done;
		if (own && jset(r, "swappedMs",
				json_object_new_int64(now_ms())) != AMLR_OK)
			goto done;
	}
	if (jset(ep, "resources", fresh) != AMLR_OK) {
		fresh = NULL;
		goto done;
	}
	fresh = NULL;
	if (jset_now(ep, "Version") != AMLR_OK)
		goto done;
	rc = commit_ep(c, svc, copy, j);
	copy = NULL;
	if (rc == AMLR_OK)
		res->status = 200;
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(fresh);
	json_object_put(copy);
	return rc;
}

amlr_code emu_classic_exec_props(struct emu_classic *c, amlr_json **props_out,
				 const char *ws, const char *guid)
{
	json_object *props = NULL, *eps, *ep = NULL, *asset, *r, *keys, *rt;
	size_t i, k;
	amlr_code rc = AMLR_ENOTFOUND;

	*props_out = NULL;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n && !ep; i++) {
		if (strcasecmp(jstr(c->svcs[i], "WorkspaceId"), ws) != 0)
			continue;
		eps = endpoints_of(c->svcs[i]);
		for (k = 0; k < json_object_array_length(eps) && !ep; k++)
			if (strcasecmp(jstr(json_object_array_get_idx(eps, k),
					    "Guid"),
				       guid) == 0)
				ep = json_object_array_get_idx(eps, k);
	}
	if (!ep)
		goto done;
	rc = AMLR_EFAIL;
	if (!(props = jcopy(is_default(ep) ? jget(c->svcs[i - 1], "definition")
					   : jget(ep, "definition"))))
		goto done;
	for (k = 0; !is_default(ep) && (asset = resource_asset(props, k));
	     k++) {
		r = find_resource(jget(ep, "resources"), jstr(asset, "name"));
		if (r && jset_str(jget(asset, "locationInfo"), "uri",
				  effective_uri(c, r)) != AMLR_OK)
			goto done;
	}
	if (!(keys = json_object_new_object()) ||
	    jset(props, "keys", keys) != AMLR_OK ||
	    jset_str(keys, "primary", jstr(ep, "PrimaryKey")) != AMLR_OK ||
	    jset_str(keys, "secondary", jstr(ep, "SecondaryKey")) != AMLR_OK ||
	    !(rt = json_object_new_object()) ||
	    jset(props, "realtimeConfiguration", rt) != AMLR_OK ||
	    jset(rt, "maxConcurrentCalls",
		 json_object_get(jget(ep, "MaxConcurrentCalls"))) != AMLR_OK ||
	    jset_str(props, "endpointName", jstr(ep, "Name")) != AMLR_OK)
		goto done;
	*props_out = amlr_json__wrap(props);
	props = NULL;
	rc = AMLR_OK;
done:
	pthread_mutex_unlock(&c->lock);
	json_object_put(props);
	return rc;
}
