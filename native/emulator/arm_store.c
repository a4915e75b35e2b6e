/* SPDX-License-Identifier: MIT */
/* Web services and operations of the emulated Resource Manager. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
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
#include "arm_store.h"
#include "faults.h"
#include "json_internal.h"
#include "secrets_log.h"

#define TYPE "Microsoft.MachineLearning/webServices"
#define STATE_FILE_MAX ((size_t)256 << 20)
#define CALLS_MIN 4 /* realtimeConfiguration.maxConcurrentCalls */
#define CALLS_MAX 200
#define CALLS_DEFAULT 20 /* what every recorded service shows */
#define TIME_SIZE 96 /* room for any int the compiler imagines */
#define KEY_BYTES 64 /* generated keys: 88 base64 characters, as recorded */

enum view {
	VIEW_FULL, /* GET */
	VIEW_LIST, /* list items: "sparsely populated" */
	VIEW_PUT, /* PUT's answer: provisioning state only, as recorded */
	VIEW_PATCH, /* PATCH's answer */
	VIEW_REGIONAL /* CreateRegionalBlob's answer (its id is the name) */
};

/*
 * A record: a web service or an operation, as the JSON document that is
 * also its state file.  @key orders the table: "sub\nrg\nname" in lower
 * case for web services (names are case-insensitive), the id for
 * operations.
 */
struct rec {
	char *key;
	json_object *doc;
};

/* Records sorted by key. */
struct table {
	struct rec *v;
	size_t n;
	size_t cap;
};

struct emu_arm {
	pthread_mutex_t lock;
	struct emu_world *world;
	char *ws_dir; /* <state>/arm/webservices; NULL: in memory only */
	char *op_dir; /* <state>/arm/operations */
	struct table ws;
	struct table ops;
};

/* Locations a web service may be in: normalised and display names. */
static const struct location {
	const char *norm;
	const char *display;
} locations[] = {
	{ "southcentralus", "South Central US" },
	{ "westeurope", "West Europe" },
	{ "southeastasia", "Southeast Asia" },
	{ "japaneast", "Japan East" },
	{ "westcentralus", "West Central US" },
	{ "eastus2", "East US 2" },
	{ "germanycentral", "Germany Central" },
	{ "eastus", "East US" },
	{ "westus", "West US" },
	{ "westus2", "West US 2" },
	{ "centralus", "Central US" },
	{ "northcentralus", "North Central US" },
	{ "northeurope", "North Europe" },
	{ "uksouth", "UK South" },
	{ "eastasia", "East Asia" },
	{ "australiaeast", "Australia East" },
	{ "brazilsouth", "Brazil South" },
	{ "canadacentral", "Canada Central" },
	{ "centralindia", "Central India" },
	{ NULL, NULL },
};

/* Properties a list item keeps (the recorded TestListWebServices). */
static const char *const list_props[] = {
	"title",
	"description",
	"readOnly",
	"realtimeConfiguration",
	"diagnostics",
	"storageAccount",
	"machineLearningWorkspace",
	"packageType",
	"exposeSampleData",
	NULL,
};

/* Properties only the service sets: ignored in PUT and PATCH bodies. */
static const char *const computed_props[] = {
	"createdOn", "modifiedOn", "provisioningState", "swaggerLocation", NULL,
};

/* --- small helpers ------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "2017-04-26T17:08:46.4480000Z", the service's seven fractional digits. */
static void format_time(char out[TIME_SIZE], int64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	snprintf(out, TIME_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%03d0000Z",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* A location or region as ARM compares them: lower case, no spaces. */
static void normalize(char *out, size_t size, const char *in)
{
	size_t j = 0;

	for (; *in && j + 1 < size; in++)
		if (*in != ' ')
			out[j++] = (char)(*in >= 'A' && *in <= 'Z' ? *in + 32
								   : *in);
	out[j] = '\0';
}

static const struct location *find_location(const char *name)
{
	char norm[64];
	size_t i;

	if (strlen(name) >= sizeof(norm))
		return NULL;
	normalize(norm, sizeof(norm), name);
	for (i = 0; locations[i].norm; i++)
		if (strcmp(locations[i].norm, norm) == 0)
			return &locations[i];
	return NULL;
}

static int same_region(const char *a, const char *b)
{
	char na[128], nb[128];

	normalize(na, sizeof(na), a);
	normalize(nb, sizeof(nb), b);
	return strcmp(na, nb) == 0;
}

static amlr_code lower_dup(char **out, const char *s)
{
	char *p;

	if (!(*out = strdup(s)))
		return AMLR_EFAIL;
	for (p = *out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return AMLR_OK;
}

/* The table key of web service sub/rg/name. */
static amlr_code ws_key(char **out, const char *sub, const char *rg,
			const char *name)
{
	amlr_buf b = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_buf_printf(&b, "%s\n%s\n%s", sub, rg, name)) == AMLR_OK)
		rc = lower_dup(out, b.ptr);
	amlr_buf_release(&b);
	return rc;
}

/* Lower-case hex of @p n bytes, NUL-terminated (@p out holds 2n+1). */
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

/* --- JSON access (json-c: values borrowed from their parents) ------------ */

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

static int64_t jint(json_object *o, const char *key)
{
	return json_object_get_int64(jget(o, key));
}

static int jtrue(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
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

static amlr_code jset_str(json_object *o, const char *key, const char *s)
{
	return jset(o, key, json_object_new_string(s));
}

/* Share @p v (a new reference) into @p o. */
static amlr_code jshare(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return jset(o, key, json_object_new_null());
	return jset(o, key, json_object_get(v));
}

static json_object *jcopy(json_object *src)
{
	json_object *dst = NULL;

	if (!src)
		return NULL;
	if (json_object_deep_copy(src, &dst, NULL) != 0)
		return NULL;
	return dst;
}

/* Whether @p v is present and not JSON null. */
static int given(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) && v;
}

/* --- results ------------------------------------------------------------ */

__attribute__((format(printf, 6, 7))) static void
fail(struct emu_arm_result *res, unsigned int status, const char *code,
     const char *message, const char *detail_code, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	snprintf(res->code, sizeof(res->code), "%s", code);
	snprintf(res->message, sizeof(res->message), "%s", message);
	snprintf(res->detail_code, sizeof(res->detail_code), "%s",
		 detail_code ? detail_code : "");
	res->detail_message[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(res->detail_message, sizeof(res->detail_message), fmt,
			  ap);
		va_end(ap);
	}
}

/* The service's own errors carry a generic code and a specific detail. */
#define BAD_REQUEST(res, dcode, ...)                                   \
	fail(res, 400, "BadRequest", "The request is invalid.", dcode, \
	     __VA_ARGS__)
#define CONFLICT(res, dcode, ...)                                       \
	fail(res, 409, "Conflict",                                      \
	     "The request conflicts with the current state of the web " \
	     "service.",                                                \
	     dcode, __VA_ARGS__)

static void fail_not_found(struct emu_arm_result *res, const char *name)
{
	fail(res, 404, "NotFound", "The specified resource was not found.",
	     "WebServiceNotFound",
	     "No Web Service could be found with the provided name: %s.", name);
}

/* Serialise @p doc as the answer's body. */
static amlr_code answer(struct emu_arm_result *res, unsigned int status,
			json_object *doc)
{
	res->status = status;
	amlr_buf_clear(&res->body);
	if (amlr_buf_puts(&res->body, "") != AMLR_OK)
		return AMLR_EFAIL;
	return amlr_json_serialize(&res->body, amlr_json__wrap(doc), 0);
}

void emu_arm_result_release(struct emu_arm_result *res)
{
	struct emu_arm_result init = EMU_ARM_RESULT_INIT;

	amlr_buf_release_secret(&res->body); /* listKeys answers hold keys */
	*res = init;
}

/* --- the tables ----------------------------------------------------------- */

/* Index of @p key, or where it would go; *found says which. */
static size_t table_find(const struct table *t, const char *key, int *found)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->v[mid].key, key);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct rec *table_get(const struct table *t, const char *key)
{
	int found;
	size_t i = table_find(t, key, &found);

	return found ? &t->v[i] : NULL;
}

/* Insert or replace; takes @p key and @p doc, also on failure. */
static amlr_code table_put(struct table *t, char *key, json_object *doc)
{
	struct rec *v;
	size_t i, cap;
	int found;

	i = table_find(t, key, &found);
	if (found) {
		free(key);
		json_object_put(t->v[i].doc);
		t->v[i].doc = doc;
		return AMLR_OK;
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if (!(v = realloc(t->v, cap * sizeof(*v)))) {
			free(key);
			json_object_put(doc);
			return AMLR_EFAIL;
		}
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i].key = key;
	t->v[i].doc = doc;
	t->n++;
	return AMLR_OK;
}

static void table_del(struct table *t, const char *key)
{
	int found;
	size_t i = table_find(t, key, &found);

	if (!found)
		return;
	free(t->v[i].key);
	json_object_put(t->v[i].doc);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

static void table_release(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		json_object_put(t->v[i].doc);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* --- state files ------------------------------------------------------- */

/* The file of a record: a SHA-256 of the key (names may hold anything). */
static amlr_code rec_path(amlr_buf *out, const char *dir, const char *key)
{
	unsigned char md[32];
	char name[65];
	unsigned int len = 0;

	if (EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL) != 1)
		return AMLR_EFAIL;
	hex(name, md, sizeof(md));
	return amlr_buf_printf(out, "%s/%s.json", dir, name);
}

/* Write @p doc atomically, 0600 (it holds keys); nothing without a dir. */
static amlr_code save(const char *dir, const char *key, json_object *doc)
{
	amlr_buf path = AMLR_BUF_INIT, text = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_code rc = AMLR_OK;

	if (!dir)
		goto done;
	if ((rc = rec_path(&path, dir, key)) != AMLR_OK ||
	    (rc = amlr_json_serialize(&text, amlr_json__wrap(doc), 0)) !=
		    AMLR_OK ||
	    (rc = amlr_buf_puts(&text, "\n")) != AMLR_OK)
		goto done;
	rc = amlr_file_write_atomic(&err, path.ptr, text.ptr, text.len, 0600);
done:
	amlr_buf_release_secret(&text);
	amlr_buf_release(&path);
	return rc;
}

/* Remove a record's file and make that durable. */
static amlr_code unsave(const char *dir, const char *key)
{
	amlr_buf path = AMLR_BUF_INIT;
	amlr_code rc = AMLR_OK;
	int fd;

	if (!dir)
		goto done;
	if ((rc = rec_path(&path, dir, key)) != AMLR_OK)
		goto done;
	if (unlink(path.ptr) != 0 && errno != ENOENT) {
		rc = AMLR_EIO;
		goto done;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(fd) != 0)
			rc = AMLR_EIO;
		close(fd);
	}
done:
	amlr_buf_release(&path);
	return rc;
}

/* --- web service documents ------------------------------------------------ */

/*
 * A web service's document (and state file):
 *   {"subscriptionId","resourceGroup","name","location","tags"?,
 *    "properties": {as stored, 2017-01-01 form, keys and storage key too},
 *    "createdOn": ms, "modifiedOn": ms, "serviceId": "32 hex",
 *    "operation": {"id","endMs","failed"}, "regions": {"westus": endMs}}
 */

static const char *ws_state(json_object *ws, int64_t now)
{
	json_object *op = jget(ws, "operation");

	if (now < jint(op, "endMs"))
		return "Provisioning";
	return jtrue(op, "failed") ? "Failed" : "Succeeded";
}

static amlr_code ws_id(amlr_buf *out, json_object *ws)
{
	return amlr_buf_printf(
		out,
		"/subscriptions/%s/resourceGroups/%s/providers/" TYPE "/%s",
		jstr(ws, "subscriptionId"), jstr(ws, "resourceGroup"),
		jstr(ws, "name"));
}

/* The preview's plain-string form of a 2017-01-01 parameter value. */
static json_object *preview_value(json_object *param)
{
	json_object *v = jget(param, "value");

	if (!v)
		return json_object_new_string("");
	if (json_object_is_type(v, json_type_string))
		return json_object_get(v);
	return json_object_new_string(
		json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* A parameters map rendered for @p api (new object). */
static json_object *render_params(json_object *map, enum emu_arm_api api)
{
	struct json_object_iterator it, end;
	json_object *out;

	if (api == EMU_ARM_STABLE)
		return json_object_get(map);
	if (!(out = json_object_new_object()))
		return NULL;
	it = json_object_iter_begin(map);
	end = json_object_iter_end(map);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if (jset(out, json_object_iter_peek_name(&it),
			 preview_value(json_object_iter_peek_value(&it))) !=
		    AMLR_OK) {
			json_object_put(out);
			return NULL;
		}
	return out;
}

/* The graph package with its nodes' parameters rendered for @p api. */
static json_object *render_package(json_object *pkg, enum emu_arm_api api)
{
	struct json_object_iterator it, end;
	json_object *out = NULL, *nodes, *node, *params;

	if (api == EMU_ARM_STABLE || !(nodes = jget(pkg, "nodes")))
		return json_object_get(pkg);
	if (!(out = jcopy(pkg)))
		return NULL;
	nodes = jget(out, "nodes");
	it = json_object_iter_begin(nodes);
	end = json_object_iter_end(nodes);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		node = json_object_iter_peek_value(&it);
		if (!(params = jget(node, "parameters")))
			continue;
		if (jset(node, "parameters", render_params(params, api)) !=
		    AMLR_OK) {
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

/* Add one stored property to a rendered properties object. */
static amlr_code render_prop(json_object *out, const char *key, json_object *v,
			     enum emu_arm_api api)
{
	json_object *sa;
	const char *name;

	if (strcmp(key, "storageAccount") == 0) {
		/* Only the name: the key is never returned. */
		if (!(sa = json_object_new_object()))
			return AMLR_EFAIL;
		if ((name = jstr(v, "name")) &&
		    jset_str(sa, "name", name) != AMLR_OK) {
			json_object_put(sa);
			return AMLR_EFAIL;
		}
		return jset(out, key, sa);
	}
	if (strcmp(key, "parameters") == 0)
		return jset(out, key, render_params(v, api));
	if (strcmp(key, "package") == 0)
		return jset(out, key, render_package(v, api));
	return jshare(out, key, v);
}

/*
 * The service as @p view shows it.  Never keys, the storage key or the
 * commitment plan (the spec: "not returned from calls to GET operations";
 * the recorded GETs and lists agree, the spec's examples do not).
 */
static json_object *render(json_object *ws, enum emu_arm_api api,
			   const char *base_url, enum view view, int64_t now)
{
	struct json_object_iterator it, end;
	json_object *doc = NULL, *props = NULL, *stored, *v;
	amlr_buf id = AMLR_BUF_INIT, swagger = AMLR_BUF_INIT;
	const char *key, *sub;
	char t[TIME_SIZE], nodash[64];
	size_t i, j;
	amlr_code rc = AMLR_EFAIL;

	stored = jget(ws, "properties");
	if (!(doc = json_object_new_object()) ||
	    !(props = json_object_new_object()))
		goto done;
	if (view == VIEW_REGIONAL)
		rc = amlr_buf_puts(&id, jstr(ws, "name"));
	else
		rc = ws_id(&id, ws);
	if (rc != AMLR_OK || (rc = jset_str(doc, "id", id.ptr)) != AMLR_OK ||
	    (rc = jset_str(doc, "name", jstr(ws, "name"))) != AMLR_OK ||
	    (rc = jset_str(doc, "type", TYPE)) != AMLR_OK ||
	    (rc = jset_str(doc, "location", jstr(ws, "location"))) != AMLR_OK)
		goto done;
	if (view != VIEW_REGIONAL && given(ws, "tags") &&
	    (rc = jshare(doc, "tags", jget(ws, "tags"))) != AMLR_OK)
		goto done;
	if (api == EMU_ARM_STABLE && view != VIEW_PATCH &&
	    (rc = jset(props, "payloadsInBlobStorage",
		       json_object_new_boolean(jtrue(
			       stored, "payloadsInBlobStorage")))) != AMLR_OK)
		goto done;
	if ((rc = jset_str(props, "provisioningState", ws_state(ws, now))) !=
	    AMLR_OK)
		goto done;
	if (view == VIEW_PUT || view == VIEW_PATCH || view == VIEW_REGIONAL)
		goto finish;
	format_time(t, jint(ws, "createdOn"));
	if ((rc = jset_str(props, "createdOn", t)) != AMLR_OK)
		goto done;
	format_time(t, jint(ws, "modifiedOn"));
	if ((rc = jset_str(props, "modifiedOn", t)) != AMLR_OK)
		goto done;
	/* As the service writes it: the subscription without its dashes. */
	sub = jstr(ws, "subscriptionId");
	for (i = j = 0; sub[i] && j + 1 < sizeof(nodash); i++)
		if (sub[i] != '-')
			nodash[j++] = sub[i];
	nodash[j] = '\0';
	if ((rc = amlr_buf_printf(
		     &swagger, "%s/subscriptions/%s/services/%s/swagger.json",
		     base_url, nodash, jstr(ws, "serviceId"))) != AMLR_OK ||
	    (rc = jset_str(props, "swaggerLocation", swagger.ptr)) != AMLR_OK)
		goto done;
	it = json_object_iter_begin(stored);
	end = json_object_iter_end(stored);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		if (strcmp(key, "keys") == 0 ||
		    strcmp(key, "commitmentPlan") == 0 ||
		    strcmp(key, "payloadsInBlobStorage") == 0 ||
		    (api == EMU_ARM_PREVIEW &&
		     strcmp(key, "payloadsLocation") == 0) ||
		    (view == VIEW_LIST && !in_list(list_props, key)))
			continue;
		if ((rc = render_prop(props, key, v, api)) != AMLR_OK)
			goto done;
	}
finish:
	rc = jset(doc, "properties", props);
	props = NULL;
done:
	amlr_buf_release(&id);
	amlr_buf_release(&swagger);
	json_object_put(props);
	if (rc != AMLR_OK) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

/* --- validating bodies ---------------------------------------------------- */

/* Member @p key of @p o, if given, must have type @p type. */
static int want(struct emu_arm_result *res, json_object *o, const char *key,
		json_type type, const char *path, const char *what)
{
	json_object *v = jget(o, key);

	if (!v || json_object_is_type(v, type))
		return 1;
	BAD_REQUEST(res, "InvalidPropertyValue", "'%s.%s' must be %s.", path,
		    key, what);
	return 0;
}

/* Every member of map @p o must have type @p type. */
static int want_each(struct emu_arm_result *res, json_object *o, json_type type,
		     const char *path, const char *what)
{
	struct json_object_iterator it, end;
	json_object *v;

	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		v = json_object_iter_peek_value(&it);
		if (json_object_is_type(v, type))
			continue;
		BAD_REQUEST(res, "InvalidPropertyValue", "'%s.%s' must be %s.",
			    path, json_object_iter_peek_name(&it), what);
		return 0;
	}
	return 1;
}

/*
 * A parameters map: values are WebServiceParameter objects in 2017-01-01
 * and plain strings in the preview (the one wire difference, §2.1).
 */
static int check_params(struct emu_arm_result *res, json_object *map,
			enum emu_arm_api api, const char *path)
{
	struct json_object_iterator it, end;
	json_object *v;

	if (api == EMU_ARM_PREVIEW)
		return want_each(
			res, map, json_type_string, path,
			"a string in api-version " EMU_ARM_API_PREVIEW);
	if (!want_each(res, map, json_type_object, path,
		       "an object {\"value\", \"certificateThumbprint\"} in "
		       "api-version " EMU_ARM_API_STABLE))
		return 0;
	it = json_object_iter_begin(map);
	end = json_object_iter_end(map);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		v = json_object_iter_peek_value(&it);
		if (!want(res, v, "certificateThumbprint", json_type_string,
			  path, "a string"))
			return 0;
	}
	return 1;
}

/* The preview's string parameters in the stored (2017-01-01) form. */
static amlr_code canonical_params(json_object *parent, enum emu_arm_api api)
{
	struct json_object_iterator it, end;
	json_object *map = jget(parent, "parameters"), *out, *p;

	if (api == EMU_ARM_STABLE || !map)
		return AMLR_OK;
	if (!(out = json_object_new_object()))
		return AMLR_EFAIL;
	it = json_object_iter_begin(map);
	end = json_object_iter_end(map);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		if (!(p = json_object_new_object()) ||
		    jset(out, json_object_iter_peek_name(&it), p) != AMLR_OK ||
		    jshare(p, "value", json_object_iter_peek_value(&it)) !=
			    AMLR_OK) {
			json_object_put(out);
			return AMLR_EFAIL;
		}
	}
	return jset(parent, "parameters", out);
}

/* Check the graph package; with @p fix, store its parameters canonically. */
static int check_package(struct emu_arm_result *res, json_object *pkg,
			 enum emu_arm_api api, amlr_code *rc)
{
	struct json_object_iterator it, end;
	json_object *nodes, *node;
	char path[320];

	if (!want(res, pkg, "nodes", json_type_object, "properties.package",
		  "an object") ||
	    !want(res, pkg, "edges", json_type_array, "properties.package",
		  "an array") ||
	    !want(res, pkg, "graphParameters", json_type_object,
		  "properties.package", "an object"))
		return 0;
	if (!(nodes = jget(pkg, "nodes")))
		return 1;
	if (!want_each(res, nodes, json_type_object, "properties.package.nodes",
		       "an object"))
		return 0;
	it = json_object_iter_begin(nodes);
	end = json_object_iter_end(nodes);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		node = json_object_iter_peek_value(&it);
		snprintf(path, sizeof(path), "properties.package.nodes.%s",
			 json_object_iter_peek_name(&it));
		if (!want(res, node, "parameters", json_type_object, path,
			  "an object"))
			return 0;
		if (!jget(node, "parameters"))
			continue;
		snprintf(path, sizeof(path),
			 "properties.package.nodes.%s.parameters",
			 json_object_iter_peek_name(&it));
		if (!check_params(res, jget(node, "parameters"), api, path))
			return 0;
		if ((*rc = canonical_params(node, api)) != AMLR_OK)
			return 0;
	}
	return 1;
}

/* Each asset needs name, type and locationInfo.uri (AssetItem). */
static int check_assets(struct emu_arm_result *res, json_object *assets)
{
	struct json_object_iterator it, end;
	json_object *a;
	const char *name;

	if (!want_each(res, assets, json_type_object, "properties.assets",
		       "an object"))
		return 0;
	it = json_object_iter_begin(assets);
	end = json_object_iter_end(assets);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		a = json_object_iter_peek_value(&it);
		name = json_object_iter_peek_name(&it);
		if (!jstr(a, "name") || !jstr(a, "type") ||
		    !jstr(jget(a, "locationInfo"), "uri")) {
			BAD_REQUEST(
				res, "MissingRequiredProperty",
				"Asset '%s' needs 'name', 'type' and 'locationInfo.uri'.",
				name);
			return 0;
		}
	}
	return 1;
}

/*
 * Validate the properties of a PUT or PATCH body in place (a private
 * copy): JSON nulls are dropped, preview parameters become 2017-01-01
 * objects.  Returns 1 when valid, 0 with @p res or *rc set.
 */
static int check_props(struct emu_arm_result *res, json_object *props,
		       enum emu_arm_api api, amlr_code *rc)
{
	static const struct {
		const char *key;
		json_type type;
		const char *what;
	} types[] = {
		{ "title", json_type_string, "a string" },
		{ "description", json_type_string, "a string" },
		{ "readOnly", json_type_boolean, "a boolean" },
		{ "exposeSampleData", json_type_boolean, "a boolean" },
		{ "payloadsInBlobStorage", json_type_boolean, "a boolean" },
		{ "realtimeConfiguration", json_type_object, "an object" },
		{ "diagnostics", json_type_object, "an object" },
		{ "storageAccount", json_type_object, "an object" },
		{ "machineLearningWorkspace", json_type_object, "an object" },
		{ "commitmentPlan", json_type_object, "an object" },
		{ "keys", json_type_object, "an object" },
		{ "input", json_type_object, "an object" },
		{ "output", json_type_object, "an object" },
		{ "exampleRequest", json_type_object, "an object" },
		{ "assets", json_type_object, "an object" },
		{ "parameters", json_type_object, "an object" },
		{ "package", json_type_object, "an object" },
		{ "payloadsLocation", json_type_object, "an object" },
	};
	struct json_object_iterator it, end;
	const char *nulls[64];
	json_object *v;
	const char *s;
	size_t i, n = 0;
	int64_t calls;

	/* JSON null stands for "not given". */
	it = json_object_iter_begin(props);
	end = json_object_iter_end(props);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if (!json_object_iter_peek_value(&it) && n < 64)
			nulls[n++] = json_object_iter_peek_name(&it);
	for (i = 0; i < n; i++)
		json_object_object_del(props, nulls[i]);
	s = jstr(props, "packageType");
	if (!s) {
		BAD_REQUEST(res, "MissingRequiredProperty",
			    "'properties.packageType' is required.");
		return 0;
	}
	if (strcmp(s, "Graph") != 0) {
		BAD_REQUEST(res, "InvalidPackageType",
			    "Package type '%s' is not supported; the only "
			    "valid value is 'Graph'.",
			    s);
		return 0;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!want(res, props, types[i].key, types[i].type, "properties",
			  types[i].what))
			return 0;
	if ((v = jget(props, "realtimeConfiguration")) &&
	    jget(v, "maxConcurrentCalls")) {
		calls = jint(v, "maxConcurrentCalls");
		if (!json_object_is_type(jget(v, "maxConcurrentCalls"),
					 json_type_int) ||
		    calls < CALLS_MIN || calls > CALLS_MAX) {
			BAD_REQUEST(res, "InvalidPropertyValue",
				    "'properties.realtimeConfiguration."
				    "maxConcurrentCalls' must be an integer "
				    "from %d to %d.",
				    CALLS_MIN, CALLS_MAX);
			return 0;
		}
	}
	if ((v = jget(props, "diagnostics")) && !jstr(v, "level")) {
		BAD_REQUEST(res, "MissingRequiredProperty",
			    "'properties.diagnostics.level' is required.");
		return 0;
	}
	if (!want(res, jget(props, "storageAccount"), "name", json_type_string,
		  "properties.storageAccount", "a string") ||
	    !want(res, jget(props, "storageAccount"), "key", json_type_string,
		  "properties.storageAccount", "a string") ||
	    !want(res, jget(props, "keys"), "primary", json_type_string,
		  "properties.keys", "a string") ||
	    !want(res, jget(props, "keys"), "secondary", json_type_string,
		  "properties.keys", "a string") ||
	    !want(res, jget(props, "commitmentPlan"), "id", json_type_string,
		  "properties.commitmentPlan", "a string"))
		return 0;
	if ((v = jget(props, "assets")) && !check_assets(res, v))
		return 0;
	if ((v = jget(props, "parameters")) &&
	    !check_params(res, v, api, "properties.parameters"))
		return 0;
	if ((*rc = canonical_params(props, api)) != AMLR_OK)
		return 0;
	if ((v = jget(props, "package")) && !check_package(res, v, api, rc))
		return 0;
	for (i = 0; computed_props[i]; i++)
		json_object_object_del(props, computed_props[i]);
	return 1;
}

/* tags: an object of strings, or absent (null). */
static int check_tags(struct emu_arm_result *res, json_object *body)
{
	json_object *tags = jget(body, "tags");

	if (!tags)
		return 1;
	if (json_object_is_type(tags, json_type_object) &&
	    want_each(res, tags, json_type_string, "tags", "a string"))
		return 1;
	if (!json_object_is_type(tags, json_type_object))
		fail(res, 400, "InvalidRequestContent",
		     "The request content was invalid and could not be "
		     "deserialized: 'tags' must be an object of strings.",
		     NULL, NULL);
	return 0;
}

/* The request body must be an object (else ARM's own 400). */
static int check_object(struct emu_arm_result *res, json_object *body)
{
	if (json_object_is_type(body, json_type_object))
		return 1;
	fail(res, 400, "InvalidRequestContent",
	     "The request content was invalid and could not be deserialized: "
	     "expected a JSON object.",
	     NULL, NULL);
	return 0;
}

static int same_id(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/*
 * The rules that protect an existing service (spec descriptions,
 * Azure/azure-powershell#3465): read-only services only go away, the
 * commitment plan never changes, nor does the storage account.
 */
static int check_update(struct emu_arm_result *res, json_object *ws,
			json_object *props)
{
	json_object *old = jget(ws, "properties");
	const char *plan, *sa;

	if (jtrue(old, "readOnly")) {
		CONFLICT(res, "WebServiceIsReadOnly",
			 "Web service '%s' is read-only: it can no longer be "
			 "updated or patched, only removed.",
			 jstr(ws, "name"));
		return 0;
	}
	plan = jstr(jget(props, "commitmentPlan"), "id");
	if (plan && !same_id(plan, jstr(jget(old, "commitmentPlan"), "id"))) {
		CONFLICT(res, "CannotChangeCommitmentPlan",
			 "The commitment plan of web service '%s' is set at "
			 "creation and cannot be changed.",
			 jstr(ws, "name"));
		return 0;
	}
	sa = jstr(jget(props, "storageAccount"), "name");
	if (sa && jstr(jget(old, "storageAccount"), "name") &&
	    !same_id(sa, jstr(jget(old, "storageAccount"), "name"))) {
		BAD_REQUEST(res, "CannotChangeStorageAccount",
			    "The storage account of web service '%s' is '%s' "
			    "and cannot be changed to '%s'.",
			    jstr(ws, "name"),
			    jstr(jget(old, "storageAccount"), "name"), sa);
		return 0;
	}
	return 1;
}

/* --- operations ----------------------------------------------------------- */

/*
 * An operation's document (and state file):
 *   {"id","subscriptionId","location","kind","resourceGroup","name",
 *    "startMs","endMs","failed", "error": {"code","message"}?}
 */

/* Whether the faults service wants this request's operation to fail. */
static int take_failure(struct emu_arm *arm, const struct emu_arm_call *call,
			char code[64], char message[256])
{
	code[0] = message[0] = '\0';
	if (!arm->world->faults || !call->req)
		return 0;
	if (!emu_faults_take_lro_failure(arm->world->faults, call->req, code,
					 message))
		return 0;
	if (!code[0])
		snprintf(code, 64, "InternalServerError");
	if (!message[0])
		snprintf(message, 256, "The operation failed (injected).");
	return 1;
}

/*
 * A new operation on web service @p ws (its location names the URL),
 * starting now and ending after the provisioning delay; its id goes into
 * @p res for the headers.
 */
static amlr_code new_op(json_object **out, struct emu_arm *arm,
			struct emu_arm_result *res,
			const struct emu_arm_call *call, json_object *ws,
			const char *kind, int64_t now)
{
	char code[64], message[256];
	json_object *op = NULL, *error = NULL;
	amlr_code rc = AMLR_EFAIL;
	int failed;

	*out = NULL;
	if (emu_guid_new(res->op_id) != AMLR_OK)
		goto done;
	normalize(res->op_location, sizeof(res->op_location),
		  jstr(ws, "location"));
	failed = take_failure(arm, call, code, message);
	if (!(op = json_object_new_object()) ||
	    jset_str(op, "id", res->op_id) != AMLR_OK ||
	    jset_str(op, "subscriptionId", jstr(ws, "subscriptionId")) !=
		    AMLR_OK ||
	    jset_str(op, "location", res->op_location) != AMLR_OK ||
	    jset_str(op, "kind", kind) != AMLR_OK ||
	    jset_str(op, "resourceGroup", jstr(ws, "resourceGroup")) !=
		    AMLR_OK ||
	    jset_str(op, "name", jstr(ws, "name")) != AMLR_OK ||
	    jset(op, "startMs", json_object_new_int64(now)) != AMLR_OK ||
	    jset(op, "endMs",
		 json_object_new_int64(
			 now + arm->world->cfg.provisioning_delay_ms)) !=
		    AMLR_OK ||
	    jset(op, "failed", json_object_new_boolean(failed)) != AMLR_OK)
		goto done;
	if (failed) {
		if (!(error = json_object_new_object()) ||
		    jset_str(error, "code", code) != AMLR_OK ||
		    jset_str(error, "message", message) != AMLR_OK)
			goto done;
		rc = jset(op, "error", error);
		error = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	*out = op;
	op = NULL;
	rc = AMLR_OK;
done:
	json_object_put(error);
	json_object_put(op);
	return rc;
}

/* Point web service document @p ws at operation @p op. */
static amlr_code link_op(json_object *ws, json_object *op)
{
	json_object *ref = json_object_new_object();

	if (!ref || jset_str(ref, "id", jstr(op, "id")) != AMLR_OK ||
	    jset(ref, "endMs", json_object_new_int64(jint(op, "endMs"))) !=
		    AMLR_OK ||
	    jset(ref, "failed", json_object_new_boolean(jtrue(op, "failed"))) !=
		    AMLR_OK) {
		json_object_put(ref);
		return AMLR_EFAIL;
	}
	return jset(ws, "operation", ref);
}

/* Persist and keep operation @p op (taken). */
static amlr_code keep_op(struct emu_arm *arm, json_object *op)
{
	char *key = NULL;
	amlr_code rc;

	if ((rc = lower_dup(&key, jstr(op, "id"))) != AMLR_OK ||
	    (rc = save(arm->op_dir, key, op)) != AMLR_OK) {
		free(key);
		json_object_put(op);
		return rc;
	}
	return table_put(&arm->ops, key, op);
}

/*
 * Persist and keep web service document @p ws (taken) and then its new
 * operation @p op (taken): the service first, so that an operation a
 * client has heard of always has its service's change behind it.
 */
static amlr_code commit(struct emu_arm *arm, json_object *ws, json_object *op)
{
	char *key = NULL;
	amlr_code rc;

	rc = ws_key(&key, jstr(ws, "subscriptionId"), jstr(ws, "resourceGroup"),
		    jstr(ws, "name"));
	if (rc == AMLR_OK)
		rc = save(arm->ws_dir, key, ws);
	if (rc != AMLR_OK) {
		free(key);
		json_object_put(ws);
		json_object_put(op);
		return rc;
	}
	if ((rc = table_put(&arm->ws, key, ws)) != AMLR_OK) {
		json_object_put(op);
		return rc;
	}
	return keep_op(arm, op);
}

/* --- the service ---------------------------------------------------------- */

static struct rec *find_ws(struct emu_arm *arm, const struct emu_arm_call *call)
{
	struct rec *r;
	char *key = NULL;

	if (ws_key(&key, call->sub, call->rg, call->name) != AMLR_OK)
		return NULL;
	r = table_get(&arm->ws, key);
	free(key);
	return r;
}

/* Base64 of @p n random bytes: a generated web service key. */
static amlr_code random_key(json_object *keys, const char *which)
{
	unsigned char raw[KEY_BYTES];
	char text[4 * ((KEY_BYTES + 2) / 3) + 1];
	amlr_code rc = AMLR_EFAIL;

	if (RAND_bytes(raw, sizeof(raw)) == 1) {
		EVP_EncodeBlock((unsigned char *)text, raw, sizeof(raw));
		emu_secrets_log_record("webservice-key", text);
		rc = jset_str(keys, which, text);
	}
	amlr_secret_wipe(raw, sizeof(raw));
	amlr_secret_wipe(text, sizeof(text));
	return rc;
}

/* Defaults the service fills in (the recorded services all show them). */
static amlr_code fill_defaults(json_object *props)
{
	json_object *rt;

	if (!given(props, "readOnly") &&
	    jset(props, "readOnly", json_object_new_boolean(0)) != AMLR_OK)
		return AMLR_EFAIL;
	if (!given(props, "exposeSampleData") &&
	    jset(props, "exposeSampleData", json_object_new_boolean(0)) !=
		    AMLR_OK)
		return AMLR_EFAIL;
	if (!given(props, "payloadsInBlobStorage") &&
	    jset(props, "payloadsInBlobStorage", json_object_new_boolean(0)) !=
		    AMLR_OK)
		return AMLR_EFAIL;
	if (!given(props, "storageAccount") &&
	    jset(props, "storageAccount", json_object_new_object()) != AMLR_OK)
		return AMLR_EFAIL;
	rt = jget(props, "realtimeConfiguration");
	if (!rt) {
		if (!(rt = json_object_new_object()) ||
		    jset(props, "realtimeConfiguration", rt) != AMLR_OK)
			return AMLR_EFAIL;
	}
	if (!given(rt, "maxConcurrentCalls") &&
	    jset(rt, "maxConcurrentCalls",
		 json_object_new_int(CALLS_DEFAULT)) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

/* Keys, storage key and commitment plan a replacing PUT did not give. */
static amlr_code carry_over(json_object *props, json_object *old)
{
	json_object *keys = jget(props, "keys"), *sa;
	const char *which[] = { "primary", "secondary" };
	const char *s;
	size_t i;

	if (!keys) {
		if (!(keys = json_object_new_object()) ||
		    jset(props, "keys", keys) != AMLR_OK)
			return AMLR_EFAIL;
	}
	for (i = 0; i < 2; i++) {
		if (jstr(keys, which[i]))
			continue;
		s = jstr(jget(old, "keys"), which[i]);
		if (s ? jset_str(keys, which[i], s) != AMLR_OK
		      : random_key(keys, which[i]) != AMLR_OK)
			return AMLR_EFAIL;
	}
	sa = jget(props, "storageAccount");
	if (!jstr(sa, "key") &&
	    (s = jstr(jget(old, "storageAccount"), "key")) &&
	    same_id(jstr(sa, "name"),
		    jstr(jget(old, "storageAccount"), "name")) &&
	    jset_str(sa, "key", s) != AMLR_OK)
		return AMLR_EFAIL;
	if (!given(props, "commitmentPlan") && given(old, "commitmentPlan") &&
	    jshare(props, "commitmentPlan", jget(old, "commitmentPlan")) !=
		    AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

/* A new service id: 32 hex digits, as in the recorded swagger URLs. */
static amlr_code service_id(char out[33])
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return AMLR_EFAIL;
	hex(out, raw, sizeof(raw));
	return AMLR_OK;
}

/*
 * --swap-delay: a [trained model] asset whose uri a PUT or PATCH changed
 * keeps being scored with the model it named before for that long
 * (emu_arm_ws_by_service()); GET shows the new uri at once.  Noted in the
 * web service's document as "modelSwaps": {asset key: {"previousUri",
 * "swappedMs"}}, carried over from @p old.
 */
static const char *model_in_use(json_object *ws, const char *key,
				const char *uri, int64_t now, long delay)
{
	json_object *sw = jget(jget(ws, "modelSwaps"), key);

	if (sw && jstr(sw, "previousUri") &&
	    now < jint(sw, "swappedMs") + delay)
		return jstr(sw, "previousUri");
	return uri;
}

static amlr_code note_swaps(json_object *ws, json_object *old, int64_t now,
			    long delay)
{
	json_object *swaps, *assets = jget(jget(ws, "properties"), "assets");
	json_object *before = jget(jget(old, "properties"), "assets"), *sw;
	struct json_object_iterator it, end;
	const char *key, *uri, *was;

	if (!old)
		return AMLR_OK;
	if (!(swaps = jget(ws, "modelSwaps"))) {
		swaps = jcopy(jget(old, "modelSwaps"));
		if (jset(ws, "modelSwaps",
			 swaps ? swaps : json_object_new_object()) != AMLR_OK)
			return AMLR_EFAIL;
		swaps = jget(ws, "modelSwaps");
	}
	if (!json_object_is_type(assets, json_type_object))
		return AMLR_OK;
	it = json_object_iter_begin(assets);
	end = json_object_iter_end(assets);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		uri = jstr(
			jget(json_object_iter_peek_value(&it), "locationInfo"),
			"uri");
		was = jstr(jget(jget(before, key), "locationInfo"), "uri");
		if (!uri || !was || strcmp(uri, was) == 0)
			continue;
		was = model_in_use(old, key, was, now, delay);
		if (!(sw = json_object_new_object()) ||
		    jset(swaps, key, sw) != AMLR_OK ||
		    jset_str(sw, "previousUri", was) != AMLR_OK ||
		    jset(sw, "swappedMs", json_object_new_int64(now)) !=
			    AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* Validate a PUT body into *props_out (a private, canonical copy). */
static int check_put(struct emu_arm_result *res, json_object **props_out,
		     json_object *body, enum emu_arm_api api, amlr_code *rc)
{
	const char *location;
	json_object *props;
	amlr_buf list = AMLR_BUF_INIT;
	size_t i;
	int ok = 0;

	*props_out = NULL;
	if (!check_object(res, body))
		goto done;
	if (!(location = jstr(body, "location")) || !*location) {
		fail(res, 400, "LocationRequired",
		     "The location property is required for this definition.",
		     NULL, NULL);
		goto done;
	}
	if (!find_location(location)) {
		for (i = 0; locations[i].norm; i++)
			if (amlr_buf_printf(&list, "%s%s", i ? "," : "",
					    locations[i].norm) != AMLR_OK) {
				*rc = AMLR_EFAIL;
				goto done;
			}
		fail(res, 400, "LocationNotAvailableForResourceType",
		     "The provided location is not available for the resource "
		     "type.",
		     "LocationNotAvailableForResourceType",
		     "The provided location '%s' is not available for resource "
		     "type '" TYPE "'. List of available regions for the "
		     "resource type is '%s'.",
		     location, list.ptr);
		goto done;
	}
	if (!check_tags(res, body))
		goto done;
	props = jget(body, "properties");
	if (!props || !json_object_is_type(props, json_type_object)) {
		BAD_REQUEST(res, "MissingRequiredProperty",
			    "'properties' is required and must be an object.");
		goto done;
	}
	if (!(*props_out = jcopy(props))) {
		*rc = AMLR_EFAIL;
		goto done;
	}
	ok = check_props(res, *props_out, api, rc);
done:
	amlr_buf_release(&list);
	if (!ok) {
		json_object_put(*props_out);
		*props_out = NULL;
	}
	return ok;
}

amlr_code emu_arm_ws_put(struct emu_arm *arm, struct emu_arm_result *res,
			 const struct emu_arm_call *call,
			 const amlr_json *body_json)
{
	json_object *body = amlr_json__c(body_json);
	json_object *props = NULL, *ws = NULL, *op = NULL, *old = NULL;
	json_object *shown = NULL, *doc = NULL;
	struct rec *cur;
	char sid[33];
	unsigned int status;
	int64_t now = now_ms();
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!check_put(res, &props, body, call->api, &rc))
		goto done;
	if ((cur = find_ws(arm, call))) {
		old = cur->doc;
		if (!check_update(res, old, props))
			goto done;
	}
	rc = AMLR_EFAIL;
	if (carry_over(props, old ? jget(old, "properties") : NULL) !=
		    AMLR_OK ||
	    fill_defaults(props) != AMLR_OK)
		goto done;
	if (!old && service_id(sid) != AMLR_OK)
		goto done;
	if (!(ws = json_object_new_object()) ||
	    jset_str(ws, "subscriptionId",
		     old ? jstr(old, "subscriptionId") : call->sub) !=
		    AMLR_OK ||
	    jset_str(ws, "resourceGroup",
		     old ? jstr(old, "resourceGroup") : call->rg) != AMLR_OK ||
	    jset_str(ws, "name", old ? jstr(old, "name") : call->name) !=
		    AMLR_OK ||
	    jset_str(ws, "location",
		     find_location(jstr(body, "location"))->display) != AMLR_OK)
		goto done;
	if (given(body, "tags") &&
	    jset(ws, "tags", jcopy(jget(body, "tags"))) != AMLR_OK)
		goto done;
	rc = jset(ws, "properties", props);
	props = NULL;
	if (rc != AMLR_OK ||
	    (rc = jset(ws, "createdOn",
		       json_object_new_int64(old ? jint(old, "createdOn")
						 : now))) != AMLR_OK ||
	    (rc = jset(ws, "modifiedOn", json_object_new_int64(now))) !=
		    AMLR_OK ||
	    (rc = jset_str(ws, "serviceId",
			   old ? jstr(old, "serviceId") : sid)) != AMLR_OK ||
	    (rc = jset(ws, "regions", json_object_new_object())) != AMLR_OK ||
	    (rc = note_swaps(ws, old, now, arm->world->cfg.swap_delay_ms)) !=
		    AMLR_OK ||
	    (rc = new_op(&op, arm, res, call, ws, "put", now)) != AMLR_OK ||
	    (rc = link_op(ws, op)) != AMLR_OK)
		goto done;
	status = old ? 200 : 201; /* commit() frees the old document */
	shown = json_object_get(ws);
	res->async_header = 1;
	rc = commit(arm, ws, op);
	ws = op = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if ((doc = render(shown, call->api, call->base_url, VIEW_PUT, now)))
		rc = answer(res, status, doc);
done:
	json_object_put(doc);
	json_object_put(shown);
	json_object_put(props);
	json_object_put(ws);
	json_object_put(op);
	/* Last: rendered documents share values with the stored ones, and
	 * json-c's reference counts are not atomic. */
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

/* Whether the payload of @p region exists (the service's own always). */
static int has_region(json_object *ws, const char *region, int64_t now)
{
	char norm[128];
	json_object *end;

	if (same_region(region, jstr(ws, "location")))
		return 1;
	normalize(norm, sizeof(norm), region);
	end = jget(jget(ws, "regions"), norm);
	return end && now >= json_object_get_int64(end);
}

amlr_code emu_arm_ws_get(struct emu_arm *arm, struct emu_arm_result *res,
			 const struct emu_arm_call *call, const char *region)
{
	json_object *doc = NULL;
	struct rec *cur;
	int64_t now = now_ms();
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!(cur = find_ws(arm, call))) {
		fail_not_found(res, call->name);
		goto done;
	}
	/* The preview has no region parameter: it is ignored there. */
	if (region && *region && call->api == EMU_ARM_STABLE &&
	    !has_region(cur->doc, region, now)) {
		fail(res, 404, "NotFound",
		     "The specified resource was not found.",
		     "PerRegionPayloadNotFound",
		     "Web Service Definition for region %s was not found. "
		     "Please use the same URL making a POST call and wait for "
		     "it succeeded, then try GET again.",
		     region);
		goto done;
	}
	rc = AMLR_EFAIL;
	if ((doc = render(cur->doc, call->api, call->base_url, VIEW_FULL, now)))
		rc = answer(res, 200, doc);
done:
	json_object_put(doc);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

/* Merge sub-fields @p fields of object @p key from @p src into @p dst. */
static amlr_code merge_fields(json_object *dst, json_object *src,
			      const char *key, const char *const *fields)
{
	json_object *to = jget(dst, key), *from = jget(src, key);
	size_t i;

	if (!to) {
		if (!(to = json_object_new_object()) ||
		    jset(dst, key, to) != AMLR_OK)
			return AMLR_EFAIL;
	}
	for (i = 0; fields[i]; i++)
		if (jstr(from, fields[i]) &&
		    jset_str(to, fields[i], jstr(from, fields[i])) != AMLR_OK)
			return AMLR_EFAIL;
	return AMLR_OK;
}

/*
 * PATCH semantics (notes §7, [inferred] granularity): each property given
 * replaces the stored one, but storageAccount and keys merge field by
 * field (key rotation sends only the key; `-Keys @{Primary=...}` keeps the
 * secondary, TestUpdateWebService), and an empty parameters map clears
 * them (the recorded GET after such a PATCH has no parameters at all).
 */
static amlr_code merge_props(json_object *stored, json_object *props)
{
	static const char *const sa_fields[] = { "name", "key", NULL };
	static const char *const key_fields[] = { "primary", "secondary",
						  NULL };
	struct json_object_iterator it, end;
	const char *key;
	json_object *v;
	amlr_code rc = AMLR_OK;

	it = json_object_iter_begin(props);
	end = json_object_iter_end(props);
	for (; rc == AMLR_OK && !json_object_iter_equal(&it, &end);
	     json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		if (strcmp(key, "storageAccount") == 0)
			rc = merge_fields(stored, props, key, sa_fields);
		else if (strcmp(key, "keys") == 0)
			rc = merge_fields(stored, props, key, key_fields);
		else if (strcmp(key, "parameters") == 0 &&
			 json_object_object_length(v) == 0)
			json_object_object_del(stored, key);
		else if (strcmp(key, "commitmentPlan") != 0)
			rc = jshare(stored, key, v);
	}
	return rc;
}

amlr_code emu_arm_ws_patch(struct emu_arm *arm, struct emu_arm_result *res,
			   const struct emu_arm_call *call,
			   const amlr_json *body_json)
{
	json_object *body = amlr_json__c(body_json);
	json_object *props = NULL, *ws = NULL, *op = NULL, *shown = NULL;
	json_object *doc = NULL, *given_props;
	struct rec *cur;
	int64_t now = now_ms();
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!(cur = find_ws(arm, call))) {
		fail_not_found(res, call->name);
		goto done;
	}
	if (!check_object(res, body) || !check_tags(res, body))
		goto done;
	given_props = jget(body, "properties");
	if (given_props &&
	    !json_object_is_type(given_props, json_type_object)) {
		BAD_REQUEST(res, "InvalidPropertyValue",
			    "'properties' must be an object.");
		goto done;
	}
	if (!(props = given_props ? jcopy(given_props)
				  : json_object_new_object())) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (given_props && !check_props(res, props, call->api, &rc))
		goto done;
	if (!check_update(res, cur->doc, props))
		goto done;
	rc = AMLR_EFAIL;
	if (!(ws = jcopy(cur->doc)) ||
	    merge_props(jget(ws, "properties"), props) != AMLR_OK)
		goto done;
	/* location is read-only in 2017-01-01 and ignored, as tools send it. */
	if (given(body, "tags") &&
	    jset(ws, "tags", jcopy(jget(body, "tags"))) != AMLR_OK)
		goto done;
	if ((rc = jset(ws, "modifiedOn", json_object_new_int64(now))) !=
		    AMLR_OK ||
	    (rc = note_swaps(ws, cur->doc, now,
			     arm->world->cfg.swap_delay_ms)) != AMLR_OK ||
	    (rc = new_op(&op, arm, res, call, ws, "patch", now)) != AMLR_OK ||
	    (rc = link_op(ws, op)) != AMLR_OK)
		goto done;
	shown = json_object_get(ws);
	res->async_header = 1;
	rc = commit(arm, ws, op);
	ws = op = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if ((doc = render(shown, call->api, call->base_url, VIEW_PATCH, now)))
		rc = answer(res, 200, doc);
done:
	json_object_put(doc);
	json_object_put(shown);
	json_object_put(props);
	json_object_put(ws);
	json_object_put(op);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

amlr_code emu_arm_ws_delete(struct emu_arm *arm, struct emu_arm_result *res,
			    const struct emu_arm_call *call)
{
	json_object *ws = NULL, *op = NULL;
	struct rec *cur;
	char *key = NULL;
	int64_t now = now_ms();
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!(cur = find_ws(arm, call))) {
		/* Nothing to remove: done at once (the spec allows 204). */
		res->status = 204;
		goto done;
	}
	if ((rc = new_op(&op, arm, res, call, cur->doc, "delete", now)) !=
	    AMLR_OK)
		goto done;
	res->status = 202;
	res->async_header = 1;
	res->location_header = 1;
	if (jtrue(op, "failed")) {
		/* The service stays, Failed, as after a failed ARM delete. */
		rc = AMLR_EFAIL;
		if (!(ws = jcopy(cur->doc)) || link_op(ws, op) != AMLR_OK)
			goto done;
		rc = commit(arm, ws, op);
		ws = op = NULL;
		goto done;
	}
	if ((rc = lower_dup(&key, cur->key)) != AMLR_OK ||
	    (rc = unsave(arm->ws_dir, key)) != AMLR_OK)
		goto done;
	table_del(&arm->ws, key);
	rc = keep_op(arm, op);
	op = NULL;
done:
	free(key);
	json_object_put(ws);
	json_object_put(op);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

amlr_code emu_arm_ws_keys(struct emu_arm *arm, struct emu_arm_result *res,
			  const struct emu_arm_call *call)
{
	json_object *doc = NULL, *keys;
	struct rec *cur;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!(cur = find_ws(arm, call))) {
		fail_not_found(res, call->name);
		goto done;
	}
	keys = jget(jget(cur->doc, "properties"), "keys");
	rc = AMLR_EFAIL;
	if (!(doc = json_object_new_object()) ||
	    jshare(doc, "primary", jget(keys, "primary")) != AMLR_OK ||
	    jshare(doc, "secondary", jget(keys, "secondary")) != AMLR_OK)
		goto done;
	rc = answer(res, 200, doc);
done:
	json_object_put(doc);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

amlr_code emu_arm_ws_regional(struct emu_arm *arm, struct emu_arm_result *res,
			      const struct emu_arm_call *call,
			      const char *region)
{
	json_object *ws = NULL, *op = NULL, *shown = NULL, *doc = NULL;
	struct rec *cur;
	char norm[128];
	int64_t now = now_ms();
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!region || !*region || strlen(region) >= sizeof(norm)) {
		BAD_REQUEST(res, "MissingRequiredParameter",
			    "The query parameter 'region' is required.");
		goto done;
	}
	if (!(cur = find_ws(arm, call))) {
		fail_not_found(res, call->name);
		goto done;
	}
	normalize(norm, sizeof(norm), region);
	rc = AMLR_EFAIL;
	if (!(ws = jcopy(cur->doc)) ||
	    jset(ws, "modifiedOn", json_object_new_int64(now)) != AMLR_OK ||
	    (rc = new_op(&op, arm, res, call, ws, "regional", now)) != AMLR_OK)
		goto done;
	/* The regional payload exists once the operation has succeeded. */
	if (!jtrue(op, "failed") &&
	    (rc = jset(jget(ws, "regions"), norm,
		       json_object_new_int64(jint(op, "endMs")))) != AMLR_OK)
		goto done;
	if ((rc = link_op(ws, op)) != AMLR_OK)
		goto done;
	shown = json_object_get(ws);
	res->async_header = 1;
	rc = commit(arm, ws, op);
	ws = op = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if ((doc = render(shown, call->api, call->base_url, VIEW_REGIONAL,
			  now)))
		rc = answer(res, 202, doc);
done:
	json_object_put(doc);
	json_object_put(shown);
	json_object_put(ws);
	json_object_put(op);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

/* Append @p s percent-encoded for a path segment or query value. */
static amlr_code put_encoded(amlr_buf *out, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	amlr_code rc = AMLR_OK;

	for (; *s && rc == AMLR_OK; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			rc = amlr_buf_put(out, s, 1);
		else
			rc = amlr_buf_printf(out, "%%%c%c", digits[c >> 4],
					     digits[c & 15]);
	}
	return rc;
}

/* The key a $skiptoken (hex of the last key served) stands for. */
static int decode_token(char **out, const char *token)
{
	size_t n = strlen(token), i;
	char *key;
	int hi, lo;

	*out = NULL;
	if (n == 0 || n % 2 || !(key = malloc(n / 2 + 1)))
		return 0;
	for (i = 0; i < n; i += 2) {
		hi = isxdigit((unsigned char)token[i]) ? token[i] : -1;
		lo = isxdigit((unsigned char)token[i + 1]) ? token[i + 1] : -1;
		if (hi < 0 || lo < 0) {
			free(key);
			return 0;
		}
		hi = hi <= '9' ? hi - '0' : (hi | 32) - 'a' + 10;
		lo = lo <= '9' ? lo - '0' : (lo | 32) - 'a' + 10;
		key[i / 2] = (char)(hi * 16 + lo);
		if (!key[i / 2]) {
			free(key);
			return 0;
		}
	}
	key[n / 2] = '\0';
	*out = key;
	return 1;
}

/* The absolute nextLink continuing after @p last_key. */
static amlr_code next_link(amlr_buf *out, const struct emu_arm_call *call,
			   const char *last_key)
{
	char *token = NULL;
	size_t n = strlen(last_key);
	amlr_code rc = AMLR_EFAIL;

	if (!(token = malloc(2 * n + 1)))
		goto done;
	hex(token, (const unsigned char *)last_key, n);
	if ((rc = amlr_buf_printf(out, "%s/subscriptions/", call->base_url)) !=
		    AMLR_OK ||
	    (rc = put_encoded(out, call->sub)) != AMLR_OK)
		goto done;
	if (call->rg &&
	    ((rc = amlr_buf_puts(out, "/resourceGroups/")) != AMLR_OK ||
	     (rc = put_encoded(out, call->rg)) != AMLR_OK))
		goto done;
	/* As the service wrote it: api-version first, "%24skiptoken". */
	rc = amlr_buf_printf(
		out, "/providers/" TYPE "?api-version=%s&%%24skiptoken=%s",
		call->api == EMU_ARM_STABLE ? EMU_ARM_API_STABLE
					    : EMU_ARM_API_PREVIEW,
		token);
done:
	free(token);
	return rc;
}

amlr_code emu_arm_ws_list(struct emu_arm *arm, struct emu_arm_result *res,
			  const struct emu_arm_call *call,
			  const char *skiptoken)
{
	amlr_buf prefix = AMLR_BUF_INIT, link = AMLR_BUF_INIT;
	json_object *doc = NULL, *value = NULL, *item;
	char *after = NULL, *lower = NULL;
	size_t i, n = 0, page = (size_t)arm->world->cfg.page_size;
	int64_t now = now_ms();
	int found;
	amlr_code rc = AMLR_EFAIL;

	if (page == 0)
		page = EMU_DEFAULT_PAGE_SIZE;
	pthread_mutex_lock(&arm->lock);
	if (amlr_buf_printf(&prefix, "%s\n", call->sub) != AMLR_OK ||
	    (call->rg &&
	     amlr_buf_printf(&prefix, "%s\n", call->rg) != AMLR_OK) ||
	    lower_dup(&lower, prefix.ptr) != AMLR_OK)
		goto done;
	if (skiptoken && (!decode_token(&after, skiptoken) ||
			  strncmp(after, lower, strlen(lower)) != 0)) {
		rc = AMLR_OK;
		BAD_REQUEST(res, "InvalidSkipToken",
			    "The $skiptoken is not valid for this list.");
		goto done;
	}
	i = table_find(&arm->ws, after ? after : lower, &found);
	if (after && found)
		i++;
	if (!(doc = json_object_new_object()) ||
	    !(value = json_object_new_array()))
		goto done;
	for (; i < arm->ws.n &&
	       strncmp(arm->ws.v[i].key, lower, strlen(lower)) == 0;
	     i++) {
		if (n == page) {
			if (next_link(&link, call, arm->ws.v[i - 1].key) !=
			    AMLR_OK)
				goto done;
			break;
		}
		if (!(item = render(arm->ws.v[i].doc, call->api, call->base_url,
				    VIEW_LIST, now)) ||
		    json_object_array_add(value, item) != 0) {
			json_object_put(item);
			goto done;
		}
		n++;
	}
	rc = jset(doc, "value", value);
	value = NULL;
	if (rc == AMLR_OK && link.ptr)
		rc = jset_str(doc, "nextLink", link.ptr);
	if (rc == AMLR_OK)
		rc = answer(res, 200, doc);
done:
	json_object_put(value);
	json_object_put(doc);
	amlr_buf_release(&prefix);
	amlr_buf_release(&link);
	free(after);
	free(lower);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

/* The operation @p id of call->sub at @p location, or NULL (404 set). */
static struct rec *find_op(struct emu_arm *arm, struct emu_arm_result *res,
			   const struct emu_arm_call *call,
			   const char *location, const char *id, amlr_code *rc)
{
	struct rec *r = NULL;
	char *key = NULL;

	if ((*rc = lower_dup(&key, id)) != AMLR_OK)
		return NULL;
	r = table_get(&arm->ops, key);
	free(key);
	if (r && (!same_id(jstr(r->doc, "subscriptionId"), call->sub) ||
		  !same_region(jstr(r->doc, "location"), location)))
		r = NULL;
	if (!r)
		fail(res, 404, "NotFound",
		     "The specified resource was not found.",
		     "OperationNotFound",
		     "No operation could be found with the id: %s.", id);
	return r;
}

/* The code and message a failed operation reports (new object). */
static json_object *op_error(json_object *op)
{
	json_object *error = json_object_new_object();
	const char *code = jstr(jget(op, "error"), "code");
	const char *message = jstr(jget(op, "error"), "message");

	if (error &&
	    (jset_str(error, "code", code ? code : "InternalServerError") !=
		     AMLR_OK ||
	     jset_str(error, "message",
		      message ? message : "The operation failed.") !=
		     AMLR_OK)) {
		json_object_put(error);
		error = NULL;
	}
	return error;
}

/* The operation-status document: ARM's status and the spec's fields. */
static json_object *render_op(json_object *op, int64_t now)
{
	json_object *doc = NULL;
	amlr_buf id = AMLR_BUF_INIT;
	const char *state;
	char t[TIME_SIZE], pct[8];
	int64_t start = jint(op, "startMs"), end = jint(op, "endMs");
	int running = now < end;
	amlr_code rc = AMLR_EFAIL;

	state = running		      ? "Provisioning"
		: jtrue(op, "failed") ? "Failed"
				      : "Succeeded";
	if (running)
		snprintf(pct, sizeof(pct), "%.1f",
			 0.9 * (double)(now - start) / (double)(end - start));
	else
		snprintf(pct, sizeof(pct), "1.0");
	if (amlr_buf_printf(
		    &id,
		    "/subscriptions/%s/providers/Microsoft.MachineLearning"
		    "/locations/%s/operationsStatus/%s",
		    jstr(op, "subscriptionId"), jstr(op, "location"),
		    jstr(op, "id")) != AMLR_OK ||
	    !(doc = json_object_new_object()) ||
	    jset_str(doc, "id", id.ptr) != AMLR_OK ||
	    jset_str(doc, "name", jstr(op, "id")) != AMLR_OK ||
	    jset_str(doc, "status", state) != AMLR_OK)
		goto done;
	format_time(t, start);
	if (jset_str(doc, "startTime", t) != AMLR_OK)
		goto done;
	format_time(t, end);
	if (!running && jset_str(doc, "endTime", t) != AMLR_OK)
		goto done;
	if (jset(doc, "percentComplete",
		 json_object_new_double_s(strtod(pct, NULL), pct)) != AMLR_OK ||
	    jset_str(doc, "provisioningState", state) != AMLR_OK)
		goto done;
	if (!running && jtrue(op, "failed") &&
	    (jset(doc, "error", op_error(op)) != AMLR_OK ||
	     jset(doc, "errorInfo", op_error(op)) != AMLR_OK))
		goto done;
	rc = AMLR_OK;
done:
	amlr_buf_release(&id);
	if (rc != AMLR_OK) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

amlr_code emu_arm_op_status(struct emu_arm *arm, struct emu_arm_result *res,
			    const struct emu_arm_call *call,
			    const char *location, const char *id)
{
	json_object *doc = NULL;
	struct rec *op;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!(op = find_op(arm, res, call, location, id, &rc)))
		goto done;
	rc = AMLR_EFAIL;
	if ((doc = render_op(op->doc, now_ms())))
		rc = answer(res, 200, doc);
done:
	json_object_put(doc);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

amlr_code emu_arm_op_result(struct emu_arm *arm, struct emu_arm_result *res,
			    const struct emu_arm_call *call,
			    const char *location, const char *id)
{
	struct emu_arm_call target = *call;
	json_object *doc = NULL, *error = NULL;
	struct rec *op, *ws;
	const char *kind;
	int64_t now = now_ms();
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&arm->lock);
	if (!(op = find_op(arm, res, call, location, id, &rc)))
		goto done;
	snprintf(res->op_id, sizeof(res->op_id), "%s", jstr(op->doc, "id"));
	snprintf(res->op_location, sizeof(res->op_location), "%s",
		 jstr(op->doc, "location"));
	if (now < jint(op->doc, "endMs")) {
		res->status = 202;
		res->location_header = 1;
		goto done;
	}
	if (jtrue(op->doc, "failed")) {
		error = op_error(op->doc);
		fail(res, 500,
		     error ? jstr(error, "code") : "InternalServerError",
		     error ? jstr(error, "message") : "The operation failed.",
		     NULL, NULL);
		goto done;
	}
	kind = jstr(op->doc, "kind");
	target.rg = jstr(op->doc, "resourceGroup");
	target.name = jstr(op->doc, "name");
	res->status = 204;
	if (strcmp(kind, "put") != 0 && strcmp(kind, "patch") != 0)
		goto done;
	if (!(ws = find_ws(arm, &target)))
		goto done;
	rc = AMLR_EFAIL;
	if ((doc = render(ws->doc, call->api, call->base_url, VIEW_FULL, now)))
		rc = answer(res, 200, doc);
done:
	json_object_put(doc);
	json_object_put(error);
	pthread_mutex_unlock(&arm->lock);
	return rc;
}

/* --- start: loading and resolving the state ------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether @p doc looks like a web service (@p ops 0) or an operation. */
static int valid_doc(json_object *doc, int ops)
{
	static const char *const ws_strings[] = {
		"subscriptionId", "resourceGroup", "name",
		"location",	  "serviceId",	   NULL
	};
	static const char *const op_strings[] = {
		"id",	"subscriptionId", "location",
		"kind", "resourceGroup",  "name",
		NULL
	};
	const char *const *want_s = ops ? op_strings : ws_strings;
	size_t i;

	for (i = 0; want_s[i]; i++)
		if (!jstr(doc, want_s[i]))
			return 0;
	if (ops)
		return json_object_is_type(jget(doc, "endMs"), json_type_int);
	return json_object_is_type(jget(doc, "properties"), json_type_object) &&
	       json_object_is_type(jget(doc, "regions"), json_type_object) &&
	       jstr(jget(doc, "operation"), "id") &&
	       json_object_is_type(jget(doc, "createdOn"), json_type_int);
}

/* Read every record of @p dir; remove temporary files a crash left. */
static amlr_code load_dir(struct emu_arm *arm, amlr_error *err, const char *dir,
			  int ops)
{
	amlr_buf path = AMLR_BUF_INIT, text = AMLR_BUF_INIT;
	amlr_json *parsed = NULL;
	json_object *doc;
	struct dirent *e;
	DIR *d = NULL;
	char *key = NULL;
	amlr_code rc = AMLR_OK;

	if (!(d = opendir(dir))) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot read '%s': %s", dir,
				    strerror(errno));
		goto done;
	}
	while (rc == AMLR_OK && (e = readdir(d))) {
		amlr_buf_clear(&path);
		if (e->d_name[0] == '.')
			continue;
		if ((rc = amlr_buf_printf(&path, "%s/%s", dir, e->d_name)) !=
		    AMLR_OK)
			break;
		if (strstr(e->d_name, ".tmp-")) {
			(void)unlink(path.ptr);
			continue;
		}
		if (!ends_with(e->d_name, ".json"))
			continue;
		amlr_buf_release_secret(&text);
		if ((rc = amlr_file_read(&text, err, path.ptr,
					 STATE_FILE_MAX)) != AMLR_OK)
			break;
		if (amlr_json_parse(&parsed, NULL, text.ptr, text.len) !=
			    AMLR_OK ||
		    !valid_doc(amlr_json__c(parsed), ops)) {
			rc = amlr_error_set(err, AMLR_EIO,
					    "state file '%s' is not a valid %s",
					    path.ptr,
					    ops ? "operation" : "web service");
			break;
		}
		doc = amlr_json__c(parsed);
		rc = ops ? lower_dup(&key, jstr(doc, "id"))
			 : ws_key(&key, jstr(doc, "subscriptionId"),
				  jstr(doc, "resourceGroup"),
				  jstr(doc, "name"));
		if (rc == AMLR_OK)
			rc = table_put(ops ? &arm->ops : &arm->ws, key, doc);
		else
			amlr_json_free(parsed);
		key = NULL;
		parsed = NULL;
		if (rc != AMLR_OK)
			amlr_error_set(err, rc, "out of memory");
	}
done:
	if (d)
		closedir(d);
	amlr_json_free(parsed);
	amlr_buf_release(&path);
	amlr_buf_release_secret(&text);
	return rc;
}

/* Set integer member @p key of @p o to @p now if it is later; 1 if so. */
static int clamp(json_object *o, const char *key, int64_t now)
{
	if (jint(o, key) <= now)
		return 0;
	return jset(o, key, json_object_new_int64(now)) == AMLR_OK;
}

/*
 * After a restart, nothing is in flight: every operation that was ends
 * now, with the outcome it was given when it started, and a web service
 * whose operation file is missing gets one, so that no operation a
 * client may poll ever vanishes.
 */
static amlr_code resolve(struct emu_arm *arm, amlr_error *err, int64_t now)
{
	struct json_object_iterator it, end;
	json_object *ws, *ref, *op = NULL;
	char *key = NULL, loc[64];
	size_t i;
	int changed;
	amlr_code rc = AMLR_OK;

	for (i = 0; i < arm->ops.n && rc == AMLR_OK; i++)
		if (clamp(arm->ops.v[i].doc, "endMs", now))
			rc = save(arm->op_dir, arm->ops.v[i].key,
				  arm->ops.v[i].doc);
	for (i = 0; i < arm->ws.n && rc == AMLR_OK; i++) {
		ws = arm->ws.v[i].doc;
		ref = jget(ws, "operation");
		changed = clamp(ref, "endMs", now);
		it = json_object_iter_begin(jget(ws, "regions"));
		end = json_object_iter_end(jget(ws, "regions"));
		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it))
			if (json_object_get_int64(
				    json_object_iter_peek_value(&it)) > now)
				changed |= json_object_set_int64(
						   json_object_iter_peek_value(
							   &it),
						   now) == 1;
		if (changed)
			rc = save(arm->ws_dir, arm->ws.v[i].key, ws);
		if (rc != AMLR_OK ||
		    (rc = lower_dup(&key, jstr(ref, "id"))) != AMLR_OK)
			break;
		if (table_get(&arm->ops, key)) {
			free(key);
			key = NULL;
			continue;
		}
		free(key);
		key = NULL;
		rc = AMLR_EFAIL;
		if (!(op = json_object_new_object()) ||
		    jset_str(op, "id", jstr(ref, "id")) != AMLR_OK ||
		    jset_str(op, "subscriptionId",
			     jstr(ws, "subscriptionId")) != AMLR_OK)
			break;
		normalize(loc, sizeof(loc), jstr(ws, "location"));
		if (jset_str(op, "location", loc) != AMLR_OK ||
		    jset_str(op, "kind", "put") != AMLR_OK ||
		    jset_str(op, "resourceGroup", jstr(ws, "resourceGroup")) !=
			    AMLR_OK ||
		    jset_str(op, "name", jstr(ws, "name")) != AMLR_OK ||
		    jset(op, "startMs",
			 json_object_new_int64(jint(ref, "endMs"))) !=
			    AMLR_OK ||
		    jset(op, "endMs",
			 json_object_new_int64(jint(ref, "endMs"))) !=
			    AMLR_OK ||
		    jset(op, "failed",
			 json_object_new_boolean(jtrue(ref, "failed"))) !=
			    AMLR_OK)
			break;
		rc = keep_op(arm, op);
		op = NULL;
	}
	json_object_put(op);
	if (rc != AMLR_OK)
		amlr_error_set(err, rc, "cannot write the state under '%s'",
			       arm->ws_dir ? arm->ws_dir : "(memory)");
	return rc;
}

static amlr_code make_dir(amlr_error *err, const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return AMLR_OK;
	return amlr_error_set(err, AMLR_EIO, "cannot create '%s': %s", path,
			      strerror(errno));
}

amlr_code emu_arm_new(struct emu_arm **out, amlr_error *err,
		      struct emu_world *world)
{
	struct emu_arm *arm = NULL;
	amlr_buf dir = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(arm = calloc(1, sizeof(*arm)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (pthread_mutex_init(&arm->lock, NULL) != 0) {
		free(arm);
		arm = NULL;
		amlr_error_set(err, rc, "cannot create a mutex");
		goto done;
	}
	arm->world = world;
	if (world->cfg.state_dir) {
		if ((rc = amlr_buf_printf(&dir, "%s/arm",
					  world->cfg.state_dir)) != AMLR_OK ||
		    (rc = make_dir(err, dir.ptr)) != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
		if (amlr_buf_puts(&dir, "/webservices") != AMLR_OK ||
		    !(arm->ws_dir = strdup(dir.ptr)))
			goto done;
		dir.len -= strlen("/webservices");
		dir.ptr[dir.len] = '\0';
		if (amlr_buf_puts(&dir, "/operations") != AMLR_OK ||
		    !(arm->op_dir = strdup(dir.ptr)))
			goto done;
		if ((rc = make_dir(err, arm->ws_dir)) != AMLR_OK ||
		    (rc = make_dir(err, arm->op_dir)) != AMLR_OK ||
		    (rc = load_dir(arm, err, arm->ws_dir, 0)) != AMLR_OK ||
		    (rc = load_dir(arm, err, arm->op_dir, 1)) != AMLR_OK ||
		    (rc = resolve(arm, err, now_ms())) != AMLR_OK)
			goto done;
	}
	*out = arm;
	arm = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL && err && err->code == AMLR_OK)
		amlr_error_set(err, rc, "out of memory");
	amlr_buf_release(&dir);
	emu_arm_free(arm);
	return rc;
}

void emu_arm_free(struct emu_arm *arm)
{
	if (!arm)
		return;
	table_release(&arm->ws);
	table_release(&arm->ops);
	free(arm->ws_dir);
	free(arm->op_dir);
	pthread_mutex_destroy(&arm->lock);
	free(arm);
}

/* In @p props (a copy), each asset on the model used now (--swap-delay). */
static amlr_code models_in_use(json_object *props, json_object *ws,
			       struct emu_arm *arm)
{
	json_object *assets = jget(props, "assets"), *loc;
	struct json_object_iterator it, end;
	const char *key, *uri, *used;
	int64_t now = now_ms();

	if (!json_object_is_type(assets, json_type_object))
		return AMLR_OK;
	it = json_object_iter_begin(assets);
	end = json_object_iter_end(assets);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		loc = jget(json_object_iter_peek_value(&it), "locationInfo");
		if (!(uri = jstr(loc, "uri")))
			continue;
		used = model_in_use(ws, key, uri, now,
				    arm->world->cfg.swap_delay_ms);
		if (used != uri && jset_str(loc, "uri", used) != AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

amlr_code emu_arm_ws_by_service(struct emu_arm *arm, amlr_json **props_out,
				const char *sub, const char *service_id)
{
	json_object *copy = NULL, *doc;
	const char *s;
	char nodash[64];
	size_t i, j, k;
	amlr_code rc = AMLR_ENOTFOUND;

	*props_out = NULL;
	pthread_mutex_lock(&arm->lock);
	for (i = 0; i < arm->ws.n; i++) {
		doc = arm->ws.v[i].doc;
		s = jstr(doc, "subscriptionId");
		for (j = k = 0; s && s[j] && k + 1 < sizeof(nodash); j++)
			if (s[j] != '-')
				nodash[k++] = s[j];
		nodash[k] = '\0';
		if (strcasecmp(nodash, sub) != 0 || !jstr(doc, "serviceId") ||
		    strcasecmp(jstr(doc, "serviceId"), service_id) != 0)
			continue;
		rc = (copy = jcopy(jget(doc, "properties"))) ? AMLR_OK
							     : AMLR_EFAIL;
		if (rc == AMLR_OK)
			rc = models_in_use(copy, doc, arm);
		break;
	}
	pthread_mutex_unlock(&arm->lock);
	if (rc == AMLR_OK)
		*props_out = amlr_json__wrap(copy);
	return rc;
}
