/* SPDX-License-Identifier: MIT */
/* Built-in Azure clouds and custom cloud profiles loaded from a file. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "amlr/buf.h"
#include "amlr/cloud.h"
#include "amlr/fileio.h"
#include "amlr/json.h"
#include "http_internal.h"

#define PROFILE_MAX (64 * 1024)

/*
 * Endpoints from notes/auth-storage.md §1.1 (azure-cli cloud.py) and, for
 * the classic ML management host, notes/classic-bes-rrs.md §0: Studio
 * (classic) was offered in the public cloud only.
 */
static const amlr_cloud azure_cloud = {
	"AzureCloud",
	"https://login.microsoftonline.com/",
	"https://management.azure.com/",
	"https://management.azure.com/",
	"https://management.azureml.net/",
	"core.windows.net",
	"https://storage.azure.com/",
};

static const amlr_cloud azure_china_cloud = {
	"AzureChinaCloud",
	"https://login.chinacloudapi.cn/",
	"https://management.chinacloudapi.cn/",
	"https://management.chinacloudapi.cn/",
	NULL,
	"core.chinacloudapi.cn",
	"https://storage.azure.com/",
};

static const amlr_cloud azure_us_government = {
	"AzureUSGovernment",
	"https://login.microsoftonline.us/",
	"https://management.usgovcloudapi.net/",
	"https://management.usgovcloudapi.net/",
	NULL,
	"core.usgovcloudapi.net",
	"https://storage.azure.com/",
};

static const amlr_cloud *const builtins[] = {
	&azure_cloud,
	&azure_china_cloud,
	&azure_us_government,
	NULL,
};

/* A loaded cloud: the public struct first, so that the pointers match. */
enum {
	F_NAME,
	F_AUTHORITY,
	F_ARM,
	F_AUDIENCE,
	F_CLASSIC,
	F_SUFFIX,
	F_STORAGE,
	F_COUNT
};

struct cloud_owned {
	amlr_cloud pub;
	char *field[F_COUNT];
};

/* What each field is called in the three accepted formats. */
static const struct field_names {
	const char *json; /* amlretrain's profile */
	const char *az_section; /* `az cloud show`: "endpoints" or "suffixes" */
	const char *az; /* ... and the member there */
	const char *env; /* shell exports */
	int is_url;
} names[F_COUNT] = {
	{ "name", NULL, "name", "AMLR_CLOUD_NAME", 0 },
	{ "authorityHost", "endpoints", "activeDirectory",
	  "AZURE_AUTHORITY_HOST", 1 },
	{ "resourceManager", "endpoints", "resourceManager",
	  "AMLR_ARM_ENDPOINT", 1 },
	{ "resourceManagerAudience", "endpoints", "activeDirectoryResourceId",
	  "AMLR_ARM_AUDIENCE", 1 },
	{ "classicManagement", NULL, NULL, "AMLR_CLASSIC_ENDPOINT", 1 },
	{ "storageSuffix", "suffixes", "storageEndpoint", "AMLR_STORAGE_SUFFIX",
	  0 },
	{ "storageAudience", NULL, NULL, "AMLR_STORAGE_AUDIENCE", 1 },
};

const amlr_cloud *amlr_cloud_builtin(const char *name)
{
	const amlr_cloud *const *c;

	if (!name)
		return NULL;
	for (c = builtins; *c; c++)
		if (strcasecmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

const amlr_cloud *const *amlr_cloud_builtins(void)
{
	return builtins;
}

void amlr_cloud_free(amlr_cloud *cloud)
{
	struct cloud_owned *c = (struct cloud_owned *)cloud;
	int i;

	if (!c)
		return;
	for (i = 0; i < F_COUNT; i++)
		free(c->field[i]);
	free(c);
}

/* A member of an object, its name matched case-insensitively. */
static amlr_json *get_ci(const amlr_json *obj, const char *key)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *k;
	amlr_json *v;

	while (amlr_json_next(&k, &v, obj, &it))
		if (strcasecmp(k, key) == 0)
			return v;
	return NULL;
}

/* Store a field's value, checking URLs and adding their trailing '/'. */
static amlr_code set_field(struct cloud_owned *c, amlr_error *err,
			   const char *path, int f, const char *value)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	size_t len;
	amlr_code rc = AMLR_EINVAL;

	free(c->field[f]);
	c->field[f] = NULL;
	if (!value || !*value)
		return AMLR_OK;
	len = strlen(value);
	if (names[f].is_url) {
		if (!(u = curl_url())) {
			rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
			goto done;
		}
		if (curl_url_set(u, CURLUPART_URL, value, 0) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) !=
			    CURLUE_OK ||
		    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		    !(strcmp(scheme, "https") == 0 ||
		      (strcmp(scheme, "http") == 0 &&
		       amlr_http__is_loopback(host)))) {
			amlr_error_set(
				err, rc,
				"cloud profile '%s': '%s' must be an https:// URL (or http:// to a loopback address)",
				path, names[f].json);
			goto done;
		}
	}
	if (!(c->field[f] = malloc(len + 2))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	memcpy(c->field[f], value, len + 1);
	if (names[f].is_url && value[len - 1] != '/') {
		c->field[f][len] = '/';
		c->field[f][len + 1] = '\0';
	}
	rc = AMLR_OK;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static amlr_code from_json(struct cloud_owned *c, amlr_error *err,
			   const char *path, const amlr_json *doc)
{
	const amlr_json *endpoints = get_ci(doc, "endpoints");
	const amlr_json *where;
	amlr_json *v;
	amlr_code rc = AMLR_OK;
	int f;

	if (amlr_json_type_of(doc) != AMLR_JSON_OBJECT)
		return amlr_error_set(err, AMLR_EINVAL,
				      "cloud profile '%s': not a JSON object",
				      path);
	for (f = 0; f < F_COUNT && rc == AMLR_OK; f++) {
		if (amlr_json_type_of(endpoints) == AMLR_JSON_OBJECT) {
			/* `az cloud show` */
			if (!names[f].az)
				continue;
			where = names[f].az_section
					? get_ci(doc, names[f].az_section)
					: doc;
			v = get_ci(where, names[f].az);
		} else {
			v = get_ci(doc, names[f].json);
		}
		if (v && amlr_json_type_of(v) != AMLR_JSON_STRING)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"cloud profile '%s': '%s' must be a string",
				path, names[f].json);
		rc = set_field(c, err, path, f, amlr_json_str(v));
	}
	return rc;
}

/* One shell word: 'single quoted' (with '\'' escapes), "double" or bare. */
static amlr_code shell_value(amlr_buf *out, const char *s, const char *end)
{
	amlr_code rc = AMLR_OK;

	while (s < end && rc == AMLR_OK) {
		if (*s == '\'') {
			const char *q =
				memchr(s + 1, '\'', (size_t)(end - s - 1));

			if (!q)
				return AMLR_EINVAL;
			rc = amlr_buf_put(out, s + 1, (size_t)(q - s - 1));
			s = q + 1;
		} else if (*s == '"') {
			const char *q =
				memchr(s + 1, '"', (size_t)(end - s - 1));

			if (!q)
				return AMLR_EINVAL;
			rc = amlr_buf_put(out, s + 1, (size_t)(q - s - 1));
			s = q + 1;
		} else if (*s == '\\' && s + 1 < end) {
			rc = amlr_buf_put(out, s + 1, 1);
			s += 2;
		} else if (isspace((unsigned char)*s) || *s == ';' ||
			   *s == '#') {
			break;
		} else {
			rc = amlr_buf_put(out, s++, 1);
		}
	}
	return rc;
}

static amlr_code from_exports(struct cloud_owned *c, amlr_error *err,
			      const char *path, const char *text, size_t len)
{
	const char *line = text, *end = text + len, *eol, *s, *eq;
	amlr_buf value = AMLR_BUF_INIT;
	amlr_code rc = AMLR_OK;
	int f, lineno = 0;

	for (; line < end && rc == AMLR_OK; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		lineno++;
		for (s = line; s < eol && isspace((unsigned char)*s); s++)
			;
		if (s == eol || *s == '#')
			continue;
		if ((size_t)(eol - s) > 7 && strncmp(s, "export ", 7) == 0)
			for (s += 7; s < eol && *s == ' '; s++)
				;
		eq = memchr(s, '=', (size_t)(eol - s));
		if (!eq) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"cloud profile '%s': line %d is not NAME=VALUE",
				path, lineno);
			break;
		}
		for (f = 0; f < F_COUNT; f++)
			if (strlen(names[f].env) == (size_t)(eq - s) &&
			    strncmp(names[f].env, s, (size_t)(eq - s)) == 0)
				break;
		if (f == F_COUNT)
			continue; /* other exports (AMLR_EMULATOR_URL, ...) */
		amlr_buf_clear(&value);
		if ((rc = shell_value(&value, eq + 1, eol)) == AMLR_EINVAL) {
			amlr_error_set(
				err, rc,
				"cloud profile '%s': line %d has an unterminated quote",
				path, lineno);
			break;
		}
		if (rc == AMLR_OK)
			rc = set_field(c, err, path, f,
				       value.ptr ? value.ptr : "");
	}
	if (rc == AMLR_EFAIL && err && !err->code)
		amlr_error_set(err, rc, "out of memory");
	amlr_buf_release(&value);
	return rc;
}

amlr_code amlr_cloud_load(amlr_cloud **out, amlr_error *err, const char *path)
{
	struct cloud_owned *c = NULL;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	amlr_error perr = AMLR_ERROR_INIT;
	const amlr_cloud *base = &azure_cloud;
	size_t i = 0;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_file_read(&text, err, path, PROFILE_MAX)) != AMLR_OK)
		goto done;
	if (!(c = calloc(1, sizeof(*c)))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (text.len >= 3 && memcmp(text.ptr, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < text.len && isspace((unsigned char)text.ptr[i]))
		i++;
	if (i < text.len && text.ptr[i] == '{') {
		if ((rc = amlr_json_parse(&doc, &perr, text.ptr, text.len)) !=
		    AMLR_OK) {
			amlr_error_set(err, rc, "cloud profile '%s': %s", path,
				       perr.message);
			goto done;
		}
		rc = from_json(c, err, path, doc);
	} else {
		rc = from_exports(c, err, path, text.ptr ? text.ptr : "",
				  text.len);
	}
	if (rc != AMLR_OK)
		goto done;
	if (!c->field[F_AUTHORITY] || !c->field[F_ARM]) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"cloud profile '%s': missing '%s' (the %s endpoint)",
			path,
			c->field[F_AUTHORITY] ? names[F_ARM].json
					      : names[F_AUTHORITY].json,
			c->field[F_AUTHORITY] ? "Resource Manager"
					      : "identity service");
		goto done;
	}
	/* Defaults: a name, the ARM endpoint as its own audience, and the
	 * public storage audience (what the SDKs ask for everywhere). */
	if ((!c->field[F_NAME] && !(c->field[F_NAME] = strdup("Custom"))) ||
	    (!c->field[F_AUDIENCE] &&
	     !(c->field[F_AUDIENCE] = strdup(c->field[F_ARM]))) ||
	    (!c->field[F_STORAGE] &&
	     !(c->field[F_STORAGE] = strdup(base->storage_audience)))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	c->pub.name = c->field[F_NAME];
	c->pub.authority_host = c->field[F_AUTHORITY];
	c->pub.arm_endpoint = c->field[F_ARM];
	c->pub.arm_audience = c->field[F_AUDIENCE];
	c->pub.management_endpoint = c->field[F_CLASSIC];
	c->pub.storage_suffix = c->field[F_SUFFIX];
	c->pub.storage_audience = c->field[F_STORAGE];
	*out = &c->pub;
	c = NULL;
done:
	amlr_json_free(doc);
	amlr_buf_release(&text);
	amlr_cloud_free(c ? &c->pub : NULL);
	return rc;
}
