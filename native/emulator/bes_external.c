/* SPDX-License-Identifier: MIT */
/* BES job blobs in storage accounts other than the emulator's own. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "amlr/blob.h"
#include "amlr/fileio.h"
#include "amlr/redact.h"
#include "amlr/sas.h"
#include "amlr/secret.h"
#include "bes_external.h"
#include "graph.h"

/* At submit: one HEAD, soon given up (the route's thread waits for it). */
#define PROBE_CONNECT_MS 2000
#define PROBE_TIMEOUT_MS 5000
/* When the job runs: a few tries, bounded, so that no worker hangs. */
#define RUN_CONNECT_MS 5000
#define RUN_TIMEOUT_MS 60000
#define RUN_ATTEMPTS 3
#define RUN_BASE_DELAY_MS 200
#define RUN_MAX_DELAY_MS 2000
#define RUN_TOTAL_MS 30000
/* A model read while scoring: a request waits for it, so sooner given up. */
#define MODEL_CONNECT_MS 3000
#define MODEL_TIMEOUT_MS 20000
#define MODEL_TOTAL_MS 20000

/* The timeouts of a client: a check at submit, a job's transfer, a model. */
enum mode { PROBE, RUN, MODEL };

struct emu_bes_secrets {
	int output;
	char *name;
	char *secret; /* the account key, or the SAS token without '?' */
	struct emu_bes_secrets *next;
};

/* Fill @p res with a 400 BadArgument; returns 0 (refused). */
static int refuse(struct emu_bes_result *res, const char *detail,
		  const char *target, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(struct emu_bes_result *res, const char *detail,
		  const char *target, const char *fmt, ...)
{
	va_list ap;

	res->status = 400;
	snprintf(res->code, sizeof(res->code), "BadArgument");
	snprintf(res->detail_code, sizeof(res->detail_code), "%s", detail);
	snprintf(res->target, sizeof(res->target), "%s", target);
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return 0;
}

/* --- URLs ----------------------------------------------------------------- */

/* The parts of "scheme://host[:port]/..." that say where it goes. */
struct origin {
	char scheme[8];
	char host[256];
	long port;
	const char *path; /* from the '/' after the authority, or "" */
};

static int parse_origin(struct origin *o, const char *url)
{
	const char *p = strstr(url, "://"), *h, *end, *colon = NULL;
	char *stop;
	size_t n;

	if (!p || (size_t)(p - url) >= sizeof(o->scheme))
		return -1;
	snprintf(o->scheme, sizeof(o->scheme), "%.*s", (int)(p - url), url);
	if (strcasecmp(o->scheme, "https") == 0)
		o->port = 443;
	else if (strcasecmp(o->scheme, "http") == 0)
		o->port = 80;
	else
		return -1;
	h = p + 3;
	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		if (!(p = memchr(h, ']', (size_t)(end - h))))
			return -1;
		n = (size_t)(p - h) + 1;
		colon = p[1] == ':' ? p + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = colon ? (size_t)(colon - h) : (size_t)(end - h);
	}
	if (n == 0 || n >= sizeof(o->host))
		return -1;
	snprintf(o->host, sizeof(o->host), "%.*s", (int)n, h);
	if (colon) {
		errno = 0;
		o->port = strtol(colon + 1, &stop, 10);
		if (errno || stop != end || o->port <= 0 || o->port > 65535)
			return -1;
	}
	o->path = *end == '/' ? end : "";
	return 0;
}

static int is_loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 ||
	       strcmp(host, "[::1]") == 0 || strncmp(host, "127.", 4) == 0;
}

/* A host given by address (path-style URLs: the account comes first). */
static int is_address(const char *host)
{
	return is_loopback(host) || host[0] == '[' ||
	       strspn(host, "0123456789.") == strlen(host);
}

int emu_bes_ext_is_own(const char *base_url, const struct emu_seed *seed,
		       const char *endpoint)
{
	struct origin a, b;
	char account[64];
	size_t n;

	if (parse_origin(&a, base_url) != 0 || parse_origin(&b, endpoint) != 0)
		return 0;
	if (strcasecmp(a.scheme, b.scheme) == 0 && a.port == b.port &&
	    (strcasecmp(a.host, b.host) == 0 ||
	     (is_loopback(a.host) && is_loopback(b.host))))
		return 1;
	n = strcspn(b.host, ".");
	if (n == 0 || n >= sizeof(account) ||
	    strcasecmp(b.host + n, ".blob.core.windows.net") != 0)
		return 0;
	snprintf(account, sizeof(account), "%.*s", (int)n, b.host);
	return emu_seed_storage(seed, account) != NULL;
}

/* The account an endpoint names: its first path segment on an address,
 * else its host's first label; "" when there is none. */
static char *account_of(const char *endpoint)
{
	struct origin o;
	const char *p;

	if (parse_origin(&o, endpoint) != 0)
		return strdup("");
	if (is_address(o.host)) {
		p = o.path + (*o.path == '/');
		return strndup(p, strcspn(p, "/?#"));
	}
	return strndup(o.host, strcspn(o.host, "."));
}

/* --- resolving at submit -------------------------------------------------- */

/* Why SAS @p token does not allow @p perms (any of them), or NULL. */
static const char *sas_refusal(const char *token, const char *perms)
{
	amlr_sas *sas = NULL;
	amlr_sas_values v;
	const char *why = "the SAS token is not valid", *sp, *p;

	if (amlr_sas_parse(&sas, NULL, token, 0) != AMLR_OK)
		goto done;
	amlr_sas_values_of(&v, sas);
	if (amlr_sas_check_time(NULL, sas, time(NULL), 0) != AMLR_OK) {
		why = "the SAS token has expired or is not valid yet";
		goto done;
	}
	if (amlr_sas_is_account(sas) &&
	    (!strchr(v.services ? v.services : "", 'b') ||
	     !strchr(v.resource_types ? v.resource_types : "", 'o'))) {
		why = "the SAS token is not for blobs";
		goto done;
	}
	sp = v.permissions ? v.permissions : "";
	for (p = perms; *p && !strchr(sp, *p); p++)
		;
	/* Without sp, a stored access policy says: the service decides. */
	why = (*p || !v.permissions)
		      ? NULL
		      : "the SAS token lacks the permission needed";
done:
	amlr_sas_free(sas);
	return why;
}

/* A client for the reference: the key form or the SAS form. */
static amlr_code client_new(amlr_blob **out, amlr_error *err,
			    const amlr_json *loc, const char *secret,
			    enum mode mode)
{
	amlr_blob_opts opts = AMLR_BLOB_OPTS_INIT;
	const char *auth = amlr_json_get_str(loc, "auth");
	int key = auth && strcmp(auth, "key") == 0;

	opts.http.user_agent = "amlretrain-emulator";
	opts.http.connect_timeout_ms = mode == PROBE   ? PROBE_CONNECT_MS
				       : mode == MODEL ? MODEL_CONNECT_MS
						       : RUN_CONNECT_MS;
	opts.http.timeout_ms = mode == PROBE   ? PROBE_TIMEOUT_MS
			       : mode == MODEL ? MODEL_TIMEOUT_MS
					       : RUN_TIMEOUT_MS;
	opts.http.retry.max_attempts = mode == PROBE ? 1 : RUN_ATTEMPTS;
	opts.http.retry.base_delay_ms = RUN_BASE_DELAY_MS;
	opts.http.retry.max_delay_ms = RUN_MAX_DELAY_MS;
	opts.http.retry.max_total_ms =
		mode == MODEL ? MODEL_TOTAL_MS : RUN_TOTAL_MS;
	opts.parallel = 1;
	return amlr_blob_new(out, err, amlr_json_get_str(loc, "endpoint"),
			     key ? amlr_json_get_str(loc, "account") : NULL,
			     key ? secret : NULL, key ? NULL : secret, &opts);
}

static amlr_code record_new(amlr_json **out, const char *account,
			    const char *container, const char *blob,
			    const char *endpoint, const char *auth)
{
	amlr_json *yes = NULL;
	amlr_code rc;

	if ((rc = amlr_json_new_object(out)) != AMLR_OK)
		return rc;
	if ((rc = amlr_json_set_str(*out, "account", account)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "container", container)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "blob", blob)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "endpoint", endpoint)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "auth", auth)) != AMLR_OK ||
	    (rc = amlr_json_new_bool(&yes, 1)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(*out, "external", yes); /* steals */
done:
	if (rc != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
	}
	return rc;
}

int emu_bes_ext_resolve(amlr_json **loc_out, char **secret_out,
			struct emu_bes_result *res, const char *name,
			const amlr_connstr *cs, const char *base,
			const char *token, const char *container,
			const char *blob, int write)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob *client = NULL;
	amlr_json *loc = NULL;
	char *endpoint = NULL, *account = NULL, *secret = NULL;
	const char *key = NULL, *why, *detail;
	size_t n;
	int ok = -1;

	*loc_out = NULL;
	*secret_out = NULL;
	detail = cs ? "InvalidBlobConnectionString" : "InvalidBlob";
	if (cs) {
		key = amlr_connstr_key(cs);
		token = amlr_connstr_sas(cs);
		if (!key && (!token || !*token)) {
			ok = refuse(
				res, detail, name,
				"the ConnectionString of '%s' has neither an AccountKey nor a SharedAccessSignature",
				name);
			goto done;
		}
		endpoint = strdup(amlr_connstr_blob_endpoint(cs));
	} else {
		n = strlen(base);
		while (n && base[n - 1] == '/')
			n--;
		endpoint = strndup(base, n);
	}
	if (!endpoint)
		goto done;
	if (!key && (!token || !*token)) {
		ok = refuse(res, detail, name, "'%s': there is no SAS token",
			    name);
		goto done;
	}
	if (!key) {
		token += *token == '?';
		if ((why = sas_refusal(token, write ? "cw" : "r"))) {
			ok = refuse(res, detail, name, "'%s': %s", name, why);
			goto done;
		}
	}
	if (!(account = cs && amlr_connstr_account(cs)
				? strdup(amlr_connstr_account(cs))
				: account_of(endpoint)) ||
	    !(secret = strdup(key ? key : token)))
		goto done;
	if (record_new(&loc, account, container, blob, endpoint,
		       key ? "key" : "sas") != AMLR_OK)
		goto done;
	/* The endpoint and credential as libamlr takes them (no network). */
	if (client_new(&client, &err, loc, secret, PROBE) != AMLR_OK) {
		if (err.code == AMLR_EFAIL)
			goto done;
		ok = refuse(res, detail, name, "'%s': %s", name, err.message);
		goto done;
	}
	*loc_out = loc;
	*secret_out = secret;
	loc = NULL;
	secret = NULL;
	ok = 1;
done:
	amlr_blob_free(client);
	amlr_json_free(loc);
	amlr_secret_free(secret);
	free(endpoint);
	free(account);
	return ok;
}

/* @p msg with any secret replaced, into @p out (@p n bytes). */
static void redacted(char *out, size_t n, const char *msg)
{
	amlr_buf r = AMLR_BUF_INIT;

	if (amlr_redact(&r, msg, strlen(msg)) == AMLR_OK && r.ptr)
		snprintf(out, n, "%s", r.ptr);
	else
		snprintf(out, n, "the storage service refused the request");
	amlr_buf_release(&r);
}

int emu_bes_ext_check_input(struct emu_bes_result *res, const char *name,
			    const amlr_json *loc, const char *secret)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob_props props = AMLR_BLOB_PROPS_INIT;
	amlr_blob *client = NULL;
	const char *container = amlr_json_get_str(loc, "container");
	const char *blob = amlr_json_get_str(loc, "blob");
	char msg[256];
	int ok = -1;

	if (client_new(&client, &err, loc, secret, PROBE) != AMLR_OK)
		goto done;
	switch (amlr_blob_get_properties(&props, client, container, blob)) {
	case AMLR_OK:
		ok = 1;
		break;
	case AMLR_ENOTFOUND:
		ok = refuse(res, "BlobNotFound", name,
			    "input blob '%s/%s' not found", container, blob);
		break;
	case AMLR_EAUTH:
	case AMLR_EINVAL:
		redacted(msg, sizeof(msg), amlr_blob_error(client)->message);
		ok = refuse(res, "InvalidBlob", name, "input blob '%s/%s': %s",
			    container, blob, msg);
		break;
	case AMLR_EFAIL:
		break;
	default:
		ok = 1; /* not reachable now: the job says so when it runs */
		break;
	}
done:
	amlr_blob_props_release(&props);
	amlr_blob_free(client);
	return ok;
}

/* --- running -------------------------------------------------------------- */

/* Say why a transfer of @p name's blob failed, in the job's Details. */
static void failed(char *details, const char *what, const char *name,
		   const amlr_json *loc, const amlr_error *err)
{
	char msg[256];

	redacted(msg, sizeof(msg),
		 err->message[0] ? err->message : amlr_strerror(err->code));
	if (!name) {
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "%s blob '%s/%s' at %s: %s", what,
			 amlr_json_get_str(loc, "container"),
			 amlr_json_get_str(loc, "blob"),
			 amlr_json_get_str(loc, "endpoint"), msg);
		return;
	}
	snprintf(details, EMU_GRAPH_ERR_SIZE, "%s '%s': blob '%s/%s' at %s: %s",
		 what, name, amlr_json_get_str(loc, "container"),
		 amlr_json_get_str(loc, "blob"),
		 amlr_json_get_str(loc, "endpoint"), msg);
}

/* A private temporary file; *path_out is the caller's. */
static amlr_code temp_file(char **path_out, int *fd_out)
{
	const char *dir = getenv("TMPDIR");
	amlr_buf path = AMLR_BUF_INIT;
	int fd;

	*path_out = NULL;
	if (amlr_buf_printf(&path, "%s/amlr-bes-XXXXXX",
			    dir && *dir ? dir : "/tmp") != AMLR_OK)
		return AMLR_EFAIL;
	if ((fd = mkstemp(path.ptr)) < 0) {
		amlr_buf_release(&path);
		return AMLR_EIO;
	}
	*fd_out = fd;
	*path_out = amlr_buf_detach(&path);
	return AMLR_OK;
}

/* Remove @p path and what a download may have left beside it. */
static void temp_remove(const char *path)
{
	amlr_buf partial = AMLR_BUF_INIT;

	if (!path)
		return;
	unlink(path);
	if (amlr_buf_printf(&partial, "%s.partial", path) == AMLR_OK)
		unlink(partial.ptr);
	amlr_buf_release(&partial);
}

/* Read the blob at @p loc (input @p name, or a model when NULL). */
static amlr_code fetch(amlr_buf *out, amlr_blob_props *props, char *details,
		       const char *name, const amlr_json *loc,
		       const char *secret, size_t max, enum mode mode)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob *client = NULL;
	const char *what = name ? "input" : "model";
	char *path = NULL;
	int fd = -1;
	amlr_code rc;

	if (!secret) {
		rc = AMLR_EAUTH;
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "%s '%s': the job's storage credentials were not kept",
			 what, name ? name : amlr_json_get_str(loc, "blob"));
		goto done;
	}
	if ((rc = client_new(&client, &err, loc, secret, mode)) != AMLR_OK) {
		failed(details, what, name, loc, &err);
		goto done;
	}
	if ((rc = temp_file(&path, &fd)) != AMLR_OK) {
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "%s '%s': no temporary file: %s", what,
			 name ? name : amlr_json_get_str(loc, "blob"),
			 strerror(errno));
		goto done;
	}
	close(fd);
	rc = amlr_blob_download(props, client,
				amlr_json_get_str(loc, "container"),
				amlr_json_get_str(loc, "blob"), path, 0600);
	if (rc != AMLR_OK) {
		failed(details, what, name, loc, amlr_blob_error(client));
		goto done;
	}
	if ((rc = amlr_file_read(out, &err, path, max)) != AMLR_OK)
		failed(details, what, name, loc, &err);
done:
	temp_remove(path);
	free(path);
	amlr_blob_free(client);
	return rc;
}

amlr_code emu_bes_ext_read(amlr_buf *out, char *details, const char *name,
			   const amlr_json *loc, const char *secret, size_t max)
{
	return fetch(out, NULL, details, name, loc, secret, max, RUN);
}

/* --- models ------------------------------------------------------------- */

amlr_code emu_bes_ext_split_url(char **base, char **rel, char **token,
				const char *url)
{
	struct origin o;
	const char *p, *q, *query = strchr(url, '?');
	size_t n;

	*base = *rel = *token = NULL;
	if (!query || !query[1] || parse_origin(&o, url) != 0 || !*o.path ||
	    o.path > query)
		return AMLR_EINVAL;
	p = o.path + 1;
	if (is_address(o.host)) {
		/* Path-style: the account is the first segment. */
		n = strcspn(p, "/?#");
		if (n == 0 || p[n] != '/')
			return AMLR_EINVAL;
		p += n + 1;
	}
	q = p + strcspn(p, "?#");
	if (q == p)
		return AMLR_EINVAL;
	if (!(*base = strndup(url, (size_t)(p - url))) ||
	    !(*rel = strndup(p, (size_t)(q - p))) ||
	    !(*token = strndup(query + 1, strcspn(query + 1, "#")))) {
		free(*base);
		free(*rel);
		amlr_secret_free(*token);
		*base = *rel = *token = NULL;
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* Keep @p props' ETag in @p etag (@p n bytes), or "" without one. */
static void etag_of(char *etag, size_t n, const amlr_blob_props *props)
{
	snprintf(etag, n, "%s", props->etag ? props->etag : "");
}

amlr_code emu_bes_ext_model_etag(char *etag, size_t n, char *details,
				 const amlr_json *loc, const char *secret)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob_props props = AMLR_BLOB_PROPS_INIT;
	amlr_blob *client = NULL;
	amlr_code rc;

	if ((rc = client_new(&client, &err, loc, secret, MODEL)) != AMLR_OK) {
		failed(details, "model", NULL, loc, &err);
		goto done;
	}
	rc = amlr_blob_get_properties(&props, client,
				      amlr_json_get_str(loc, "container"),
				      amlr_json_get_str(loc, "blob"));
	if (rc != AMLR_OK) {
		failed(details, "model", NULL, loc, amlr_blob_error(client));
		goto done;
	}
	etag_of(etag, n, &props);
done:
	amlr_blob_props_release(&props);
	amlr_blob_free(client);
	return rc;
}

amlr_code emu_bes_ext_model_read(amlr_buf *out, char *etag, size_t n,
				 char *details, const amlr_json *loc,
				 const char *secret, size_t max)
{
	amlr_blob_props props = AMLR_BLOB_PROPS_INIT;
	amlr_code rc;

	rc = fetch(out, &props, details, NULL, loc, secret, max, MODEL);
	if (rc == AMLR_OK)
		etag_of(etag, n, &props);
	amlr_blob_props_release(&props);
	return rc;
}

/* Write @p len bytes to @p fd, whole. */
static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

amlr_code emu_bes_ext_write(char *details, const char *name,
			    const amlr_json *loc, const char *secret,
			    const void *data, size_t len,
			    const char *content_type)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_blob *client = NULL;
	const char *auth = amlr_json_get_str(loc, "auth");
	const char *container = amlr_json_get_str(loc, "container");
	char *path = NULL;
	int fd = -1;
	amlr_code rc;

	if (!secret) {
		rc = AMLR_EAUTH;
		snprintf(
			details, EMU_GRAPH_ERR_SIZE,
			"output '%s': the job's storage credentials were not kept",
			name);
		goto done;
	}
	if ((rc = client_new(&client, &err, loc, secret, RUN)) != AMLR_OK) {
		failed(details, "output", name, loc, &err);
		goto done;
	}
	if ((rc = temp_file(&path, &fd)) != AMLR_OK) {
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "output '%s': no temporary file: %s", name,
			 strerror(errno));
		goto done;
	}
	if (write_all(fd, data, len) != 0 || close(fd) != 0) {
		fd = -1;
		rc = AMLR_EIO;
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "output '%s': cannot write a temporary file: %s", name,
			 strerror(errno));
		goto done;
	}
	fd = -1;
	/* With the account key the container is made as for the emulator's
	 * own accounts; a SAS for one blob cannot make it. */
	if (auth && strcmp(auth, "key") == 0 &&
	    (rc = amlr_blob_container_create(NULL, client, container)) !=
		    AMLR_OK) {
		failed(details, "output", name, loc, amlr_blob_error(client));
		goto done;
	}
	rc = amlr_blob_upload(NULL, client, container,
			      amlr_json_get_str(loc, "blob"), path,
			      content_type);
	if (rc != AMLR_OK)
		failed(details, "output", name, loc, amlr_blob_error(client));
done:
	if (fd >= 0)
		close(fd);
	temp_remove(path);
	free(path);
	amlr_blob_free(client);
	return rc;
}

int emu_bes_ext_is(const amlr_json *loc)
{
	int v = 0;

	return amlr_json_bool(&v, amlr_json_get(loc, "external")) && v;
}

/* --- secrets in memory ------------------------------------------------------
 */

static void secret_node_free(struct emu_bes_secrets *s)
{
	amlr_secret_free(s->secret);
	free(s->name);
	free(s);
}

amlr_code emu_bes_secrets_put(struct emu_bes_secrets **list, int output,
			      const char *name, char *secret)
{
	struct emu_bes_secrets *s, **p;

	for (p = list; *p; p = &(*p)->next)
		if ((*p)->output == output && strcmp((*p)->name, name) == 0) {
			s = *p;
			*p = s->next;
			secret_node_free(s);
			break;
		}
	if (!(s = calloc(1, sizeof(*s))) || !(s->name = strdup(name))) {
		free(s);
		amlr_secret_free(secret);
		return AMLR_EFAIL;
	}
	s->output = output;
	s->secret = secret;
	s->next = *list;
	*list = s;
	return AMLR_OK;
}

void emu_bes_secrets_drop(struct emu_bes_secrets **list, int output)
{
	struct emu_bes_secrets *s;

	while (*list) {
		if ((*list)->output != output) {
			list = &(*list)->next;
			continue;
		}
		s = *list;
		*list = s->next;
		secret_node_free(s);
	}
}

const char *emu_bes_secrets_get(const struct emu_bes_secrets *list, int output,
				const char *name)
{
	for (; list; list = list->next)
		if (list->output == output && strcmp(list->name, name) == 0)
			return list->secret;
	return NULL;
}

amlr_code emu_bes_secrets_copy(struct emu_bes_secrets **out,
			       const struct emu_bes_secrets *list)
{
	char *secret;

	*out = NULL;
	for (; list; list = list->next) {
		if (!(secret = strdup(list->secret)) ||
		    emu_bes_secrets_put(out, list->output, list->name,
					secret) != AMLR_OK) {
			emu_bes_secrets_free(*out);
			*out = NULL;
			return AMLR_EFAIL;
		}
	}
	return AMLR_OK;
}

void emu_bes_secrets_free(struct emu_bes_secrets *list)
{
	struct emu_bes_secrets *next;

	for (; list; list = next) {
		next = list->next;
		secret_node_free(list);
	}
}
