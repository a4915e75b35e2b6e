/* SPDX-License-Identifier: MIT */
/* Batch Execution Service jobs: their state, files and worker threads. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amlr/amlr.h"
#include "amlr/connstr.h"
#include "amlr/fileio.h"
#include "amlr/sas.h"
#include "amlr/secret.h"
#include "amlr/sharedkey.h"
#include "arm_store.h"
#include "bes_external.h"
#include "bes_store.h"
#include "blob_store.h"
#include "classic_store.h"
#include "graph.h"
#include "seed.h"

#define WORKERS 2
#define JOB_ID_SIZE 33 /* 32 hex digits */
#define JOB_FILE_MAX (1u << 20)
#define SAS_LIFETIME_S (24 * 3600 + 5 * 60) /* as the documented tokens */
#define SAS_BACKDATE_S (5 * 60)
#define DEFAULT_CONTAINER "experimentoutput"
#define INTERRUPTED \
	"the job was interrupted: the emulator stopped while it was running"
#define CREDS_LOST \
	"the job's storage credentials were not kept across the emulator's restart; submit it again"
#define RESULTS_SAS_LOST \
	"no SasBlobToken for outputs in other storage accounts: the job's storage credentials were not kept across the emulator's restart"
#define EXTERNAL_INPUT_MAX (256u << 20)
/* A model in another storage account: at most this big, and its ETag asked
 * again (a HEAD) at most this often; a new URI is always read at once. */
#define EXTERNAL_MODEL_MAX (64u << 20)
#define EXTERNAL_RECHECK_MS 5000

struct job {
	char id[JOB_ID_SIZE];
	amlr_json *doc; /* the job file's document */
	/* keys and SASs of its external blobs (bes_external.h): never on
	 * disk; kept while the job may still run, or has results */
	struct emu_bes_secrets *secrets;
};

/* The RRS calls in flight on one endpoint (or web service). */
struct slot {
	char *key; /* "kind scope target" */
	long n;
	struct slot *next;
};

/* A parsed model of a blob, at one ETag, lent to graph runs. */
struct cached_model {
	char *uri;
	char etag[EMU_BLOB_ETAG_SIZE];
	learn_model *model;
	unsigned refs; /* runs using it */
	int stale; /* out of the cache: freed with its last borrower */
	int external; /* in another account (bes_external.h) */
	int64_t checked_ms; /* external: when its ETag was last asked */
	struct cached_model *next;
};

struct emu_bes {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct emu_world *world;
	char *dir; /* <state>/bes; NULL: in memory only */
	struct job *jobs;
	size_t n;
	size_t cap;
	char (*queue)[JOB_ID_SIZE]; /* started jobs, oldest first */
	size_t qn;
	size_t qcap;
	struct cached_model *models; /* guarded by lock */
	struct slot *slots; /* guarded by lock */
	pthread_t threads[WORKERS];
	size_t nthreads;
	int stopping;
	int curl_ready; /* amlr_global_init() done: external blobs */
};

/*
 * A job's document:
 *   {"id", "kind" ("arm" or "classic"), "scope" (the subscription without
 *    dashes, or the workspace), "target" (the web service's id, or the
 *    endpoint's guid), "baseUrl", "state", "createdMs",
 *    "inputs": {name: {"account","container","blob"}},
 *    "outputs": {name: {"account","container","blob"}},
 *    "globals": {...}, "details": "..."}
 * where a blob in another storage account (bes_external.h) also has
 * "endpoint", "external": true and "auth"; its credential is in memory.
 */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

void emu_bes_result_release(struct emu_bes_result *res)
{
	amlr_buf_release(&res->body);
	*res = (struct emu_bes_result)EMU_BES_RESULT_INIT;
}

/* --- jobs in memory and on disk ----------------------------------------- */

static struct job *find_job(struct emu_bes *bes, const char *id)
{
	size_t i;

	for (i = 0; id && i < bes->n; i++)
		if (strcasecmp(bes->jobs[i].id, id) == 0)
			return &bes->jobs[i];
	return NULL;
}

/* Add job @p id; it takes @p doc and @p secrets on success. */
static amlr_code add_job(struct emu_bes *bes, const char *id, amlr_json *doc,
			 struct emu_bes_secrets *secrets)
{
	struct job *v;

	if (bes->n == bes->cap) {
		v = realloc(bes->jobs,
			    (bes->cap ? bes->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return AMLR_EFAIL;
		bes->jobs = v;
		bes->cap = bes->cap ? bes->cap * 2 : 16;
	}
	snprintf(bes->jobs[bes->n].id, JOB_ID_SIZE, "%s", id);
	bes->jobs[bes->n].secrets = secrets;
	bes->jobs[bes->n++].doc = doc;
	return AMLR_OK;
}

/* Write @p doc as its job file (0600), atomically; nothing without a dir. */
static amlr_code save(struct emu_bes *bes, const amlr_json *doc)
{
	amlr_buf text = AMLR_BUF_INIT, path = AMLR_BUF_INIT;
	amlr_code rc;

	if (!bes->dir)
		return AMLR_OK;
	if ((rc = amlr_json_serialize(&text, doc, 0)) != AMLR_OK ||
	    (rc = amlr_buf_printf(&path, "%s/%s.json", bes->dir,
				  amlr_json_get_str(doc, "id"))) != AMLR_OK)
		goto done;
	rc = amlr_file_write_atomic(NULL, path.ptr, text.ptr, text.len, 0600);
done:
	amlr_buf_release(&text);
	amlr_buf_release(&path);
	return rc;
}

static int is_job_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == JOB_ID_SIZE - 1;
}

/* Whether a blob of job @p doc is in another storage account. */
static int has_external(const amlr_json *doc)
{
	static const char *const sides[] = { "inputs", "outputs" };
	amlr_json_iter it;
	const char *name;
	amlr_json *loc;
	size_t i;

	for (i = 0; i < 2; i++) {
		it = (amlr_json_iter)AMLR_JSON_ITER_INIT;
		while (amlr_json_next(&name, &loc, amlr_json_get(doc, sides[i]),
				      &it))
			if (emu_bes_ext_is(loc))
				return 1;
	}
	return 0;
}

static amlr_code load_one(struct emu_bes *bes, amlr_error *err,
			  const char *file)
{
	amlr_buf path = AMLR_BUF_INIT, text = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	const char *id, *state;
	int lost;
	amlr_code rc;

	if ((rc = amlr_buf_printf(&path, "%s/%s", bes->dir, file)) != AMLR_OK)
		goto done;
	if ((rc = amlr_file_read(&text, err, path.ptr, JOB_FILE_MAX)) !=
	    AMLR_OK)
		goto done;
	if (amlr_json_parse(&doc, NULL, text.ptr ? text.ptr : "", text.len) !=
		    AMLR_OK ||
	    !(id = amlr_json_get_str(doc, "id")) || !is_job_id(id) ||
	    !(state = amlr_json_get_str(doc, "state"))) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot read job file '%s'",
				    path.ptr);
		goto done;
	}
	/* Jobs of Resource Manager services before classic ones existed. */
	if (!amlr_json_get_str(doc, "kind") &&
	    ((rc = amlr_json_set_str(doc, "kind", "arm")) != AMLR_OK ||
	     (rc = amlr_json_set_str(doc, "scope",
				     amlr_json_get_str(doc, "subscription"))) !=
		     AMLR_OK ||
	     (rc = amlr_json_set_str(doc, "target",
				     amlr_json_get_str(doc, "service"))) !=
		     AMLR_OK))
		goto done;
	/* A job not yet run with blobs in another account: their keys and
	 * SASs were in the memory of the emulator that stopped. */
	lost = strcmp(state, "NotStarted") == 0 && has_external(doc);
	if (strcmp(state, "Running") == 0 &&
	    ((rc = amlr_json_set_str(doc, "state", "Failed")) != AMLR_OK ||
	     (rc = amlr_json_set_str(doc, "details", INTERRUPTED)) != AMLR_OK ||
	     (rc = save(bes, doc)) != AMLR_OK))
		goto done;
	if (lost &&
	    ((rc = amlr_json_set_str(doc, "state", "Failed")) != AMLR_OK ||
	     (rc = amlr_json_set_str(doc, "details", CREDS_LOST)) != AMLR_OK ||
	     (rc = save(bes, doc)) != AMLR_OK))
		goto done;
	if ((rc = add_job(bes, id, doc, NULL)) != AMLR_OK)
		goto done;
	doc = NULL;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_json_free(doc);
	amlr_buf_release(&path);
	amlr_buf_release(&text);
	return rc;
}

static amlr_code load_jobs(struct emu_bes *bes, amlr_error *err)
{
	DIR *d;
	struct dirent *e;
	size_t len;
	amlr_code rc = AMLR_OK;

	if (mkdir(bes->dir, 0700) != 0 && errno != EEXIST)
		return amlr_error_set(err, AMLR_EIO, "cannot create '%s': %s",
				      bes->dir, strerror(errno));
	if (!(d = opendir(bes->dir)))
		return amlr_error_set(err, AMLR_EIO, "cannot read '%s': %s",
				      bes->dir, strerror(errno));
	while (rc == AMLR_OK && (e = readdir(d))) {
		len = strlen(e->d_name);
		if (len != JOB_ID_SIZE - 1 + 5 ||
		    strcmp(e->d_name + len - 5, ".json") != 0)
			continue; /* temporary files of atomic writes, ... */
		rc = load_one(bes, err, e->d_name);
	}
	closedir(d);
	return rc;
}

/* --- blob locations ------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A percent-decoded copy of @p n bytes at @p s; NULL without memory. */
static char *decoded(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, j;
	int hi, lo;

	if (!out)
		return NULL;
	for (i = j = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

/*
 * The account a BaseLocation or blob URL names, and where the rest of it
 * starts: "{base_url}/ACCOUNT/..." or "http(s)://ACCOUNT.blob.core...".
 */
static amlr_code split_host(char **account, const char **rest,
			    const char *base_url, const char *url)
{
	static const char *const loopback[] = { "127.0.0.1", "localhost",
						"[::1]", NULL };
	size_t n = strlen(base_url), h;
	const char *p, *end;
	int i;

	*account = NULL;
	if (strncasecmp(url, base_url, n) == 0 && url[n] == '/') {
		p = url + n + 1;
		goto path_style;
	}
	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return AMLR_EINVAL;
	/*
	 * Path-style on a loopback host, whatever the port: the emulator's
	 * URLs of an earlier start (a port of its own) stay valid.
	 */
	h = strcspn(p, ":/?");
	for (i = 0; loopback[i]; i++)
		if (h == strlen(loopback[i]) &&
		    strncasecmp(p, loopback[i], h) == 0) {
			p += strcspn(p, "/?");
			if (*p != '/')
				return AMLR_EINVAL;
			p++;
			goto path_style;
		}
	end = strchr(p, '.');
	if (!end || strncasecmp(end, ".blob.core.windows.net", 22) != 0 ||
	    (end[22] != '/' && end[22] != '\0'))
		return AMLR_EINVAL;
	*rest = end + 22 + (end[22] == '/');
	goto take;
path_style:
	end = p + strcspn(p, "/?");
	*rest = *end == '/' ? end + 1 : end;
take:
	if (end == p)
		return AMLR_EINVAL;
	return (*account = decoded(p, (size_t)(end - p))) ? AMLR_OK
							  : AMLR_EFAIL;
}

/* "CONTAINER/BLOB" (a leading '/' allowed) into its two parts. */
static amlr_code split_path(char **container, char **blob, const char *path)
{
	size_t n, c;

	*container = *blob = NULL;
	while (*path == '/')
		path++;
	n = strcspn(path, "?");
	c = strcspn(path, "/");
	if (c == 0 || c >= n || c + 1 == n)
		return AMLR_EINVAL;
	if (!(*container = decoded(path, c)) ||
	    !(*blob = decoded(path + c + 1, n - c - 1))) {
		free(*container);
		*container = NULL;
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

amlr_code emu_bes_url_path(amlr_buf *out, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[4];
	amlr_code rc = AMLR_OK;

	for (p = (const unsigned char *)s; *p && rc == AMLR_OK; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			rc = amlr_buf_put(out, (const char *)p, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = digits[*p >> 4];
		esc[2] = digits[*p & 15];
		esc[3] = '\0';
		rc = amlr_buf_puts(out, esc);
	}
	return rc;
}

amlr_code emu_bes_blob_of_url(char **account, char **container, char **blob,
			      const char *base_url, const char *url)
{
	const char *rest = NULL;
	amlr_code rc;

	*container = *blob = NULL;
	if ((rc = split_host(account, &rest, base_url, url)) != AMLR_OK)
		return rc;
	if ((rc = split_path(container, blob, rest)) != AMLR_OK) {
		free(*account);
		*account = NULL;
	}
	return rc;
}

/*
 * Why @p token does not let one do @p perms (any of these letters) on
 * the blob, or NULL when it does.  Checked as the blob endpoint does:
 * signature, validity window, service, resource type, permissions.
 */
static const char *sas_refusal(const char *account, const char *key,
			       const char *container, const char *blob,
			       const char *token, const char *perms)
{
	amlr_sas *sas = NULL;
	amlr_sas_values v;
	amlr_buf sts = AMLR_BUF_INIT;
	char sig[AMLR_SHAREDKEY_SIG_SIZE] = "";
	const char *sr, *sp, *p, *why = "the SAS token is not valid";
	time_t st, se, now = time(NULL);

	if (amlr_sas_parse(&sas, NULL, token[0] == '?' ? token + 1 : token,
			   0) != AMLR_OK)
		goto done;
	amlr_sas_values_of(&v, sas);
	sr = amlr_sas_get(sas, "sr");
	if (sr ? amlr_sas_service_string_to_sign(
			 &sts, account, container,
			 strcmp(sr, "c") == 0 ? NULL : blob, &v)
	       : amlr_sas_account_string_to_sign(&sts, account, &v))
		goto done;
	if (amlr_sharedkey_hmac(sig, NULL, key, sts.ptr, sts.len) != AMLR_OK ||
	    !amlr_secret_equal(sig, amlr_sas_get(sas, "sig"))) {
		why = "the SAS token's signature does not match";
		goto done;
	}
	if ((v.start && amlr_sas_parse_time(&st, v.start) == AMLR_OK &&
	     now < st) ||
	    (v.expiry && amlr_sas_parse_time(&se, v.expiry) == AMLR_OK &&
	     now >= se)) {
		why = "the SAS token has expired or is not valid yet";
		goto done;
	}
	if (!sr && (!strchr(v.services ? v.services : "", 'b') ||
		    !strchr(v.resource_types ? v.resource_types : "", 'o'))) {
		why = "the SAS token is not for blobs";
		goto done;
	}
	sp = v.permissions ? v.permissions : "";
	for (p = perms; *p && !strchr(sp, *p); p++)
		;
	why = *p ? NULL : "the SAS token lacks the permission needed";
done:
	amlr_secret_wipe(sig, sizeof(sig));
	amlr_buf_release(&sts);
	amlr_sas_free(sas);
	return why;
}

static amlr_code location_new(amlr_json **out, const char *account,
			      const char *container, const char *blob)
{
	amlr_code rc;

	if ((rc = amlr_json_new_object(out)) != AMLR_OK)
		return rc;
	if ((rc = amlr_json_set_str(*out, "account", account)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "container", container)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "blob", blob)) != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Resolve blob reference @p ref of input or output @p name into @p *out
 * ({"account","container","blob"}): 1 done, 0 refused (@p res), -1 failed.
 * With @p secret_out, a blob of another storage account is resolved too
 * (bes_external.h), its credential into *secret_out; without, only the
 * emulator's own accounts are.
 */
static int resolve(amlr_json **out, char **secret_out,
		   struct emu_bes_result *res, struct emu_bes *bes,
		   const char *base_url, const char *name, const amlr_json *ref,
		   int write)
{
	const struct emu_seed_storage *acct;
	amlr_connstr *cs = NULL;
	const char *text, *rel, *base, *token, *why, *rest;
	char *account = NULL, *container = NULL, *blob = NULL;
	int ok = -1;
	amlr_code rc;

	rel = amlr_json_get_str(ref, "RelativeLocation");
	text = amlr_json_get_str(ref, "ConnectionString");
	base = amlr_json_get_str(ref, "BaseLocation");
	token = amlr_json_get_str(ref, "SasBlobToken");
	if (amlr_json_type_of(ref) != AMLR_JSON_OBJECT || !rel || !*rel ||
	    ((!text || !*text) && (!base || !*base))) {
		ok = refuse(
			res, 400, "BadArgument",
			write ? "MissingOutputOverrideSpecification"
			      : "MissingInputBlobInformation",
			name,
			"'%s' needs a RelativeLocation and a ConnectionString or a BaseLocation",
			name);
		goto done;
	}
	if ((rc = split_path(&container, &blob, rel)) != AMLR_OK) {
		ok = rc == AMLR_EFAIL
			     ? -1
			     : refuse(res, 400, "BadArgument",
				      "InputBlobRelativeLocationInvalid", name,
				      "the RelativeLocation of '%s' must be 'container/blob'",
				      name);
		goto done;
	}
	if (text && *text) {
		if (amlr_connstr_parse(&cs, NULL, text) == AMLR_OK &&
		    secret_out &&
		    !emu_bes_ext_is_own(base_url, bes->world->seed,
					amlr_connstr_blob_endpoint(cs))) {
			ok = emu_bes_ext_resolve(out, secret_out, res, name, cs,
						 NULL, NULL, container, blob,
						 write);
			goto done;
		}
		if (!cs || !amlr_connstr_account(cs)) {
			ok = refuse(res, 400, "BadArgument",
				    "InvalidBlobConnectionString", name,
				    "the ConnectionString of '%s' is not valid",
				    name);
			goto done;
		}
		if (!(account = strdup(amlr_connstr_account(cs))))
			goto done;
	} else {
		if (secret_out &&
		    !emu_bes_ext_is_own(base_url, bes->world->seed, base)) {
			ok = emu_bes_ext_resolve(out, secret_out, res, name,
						 NULL, base, token, container,
						 blob, write);
			goto done;
		}
		rc = split_host(&account, &rest, base_url, base);
		if (rc == AMLR_EFAIL)
			goto done;
		if (rc != AMLR_OK || *rest) {
			ok = refuse(
				res, 400, "BadArgument", "InvalidBlob", name,
				"the BaseLocation of '%s' is not a storage account of the emulator",
				name);
			goto done;
		}
	}
	acct = emu_seed_storage(bes->world->seed, account);
	if (!acct) {
		ok = refuse(
			res, 400, "BadArgument", "InvalidBlob", name,
			"storage account '%s' of '%s' is not one of the emulator's",
			account, name);
		goto done;
	}
	if (cs && amlr_connstr_key(cs)) {
		if (!amlr_secret_equal(amlr_connstr_key(cs), acct->key)) {
			ok = refuse(
				res, 400, "BadArgument",
				"InvalidBlobConnectionString", name,
				"the account key of '%s' is not the key of '%s'",
				name, account);
			goto done;
		}
	} else {
		if (cs)
			token = amlr_connstr_sas(cs);
		why = token && *token
			      ? sas_refusal(account, acct->key, container, blob,
					    token, write ? "wc" : "r")
			      : "there is no SAS token";
		if (why) {
			ok = refuse(res, 400, "BadArgument", "InvalidBlob",
				    name, "'%s': %s", name, why);
			goto done;
		}
	}
	ok = location_new(out, account, container, blob) == AMLR_OK ? 1 : -1;
done:
	amlr_connstr_free(cs);
	free(account);
	free(container);
	free(blob);
	return ok;
}

int emu_bes_resolve(amlr_json **out, struct emu_bes_result *res,
		    struct emu_bes *bes, const char *base_url, const char *name,
		    const amlr_json *ref, int write)
{
	return resolve(out, NULL, res, bes, base_url, name, ref, write);
}

int emu_bes_resolve_external(amlr_json **out, char **secret_out,
			     struct emu_bes_result *res, struct emu_bes *bes,
			     const char *base_url, const char *name,
			     const amlr_json *ref, int write)
{
	*out = NULL;
	*secret_out = NULL;
	return resolve(out, secret_out, res, bes, base_url, name, ref, write);
}

/* Resolve @p ref for a job, keeping an external blob's credential. */
static int job_resolve(amlr_json **out, struct emu_bes_secrets **secrets,
		       struct emu_bes_result *res, struct emu_bes *bes,
		       const char *base_url, const char *name,
		       const amlr_json *ref, int write)
{
	char *secret = NULL;
	int ok;

	*out = NULL;
	if ((ok = resolve(out, &secret, res, bes, base_url, name, ref,
			  write)) != 1 ||
	    !secret)
		return ok;
	if (emu_bes_secrets_put(secrets, write, name, secret) != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
		return -1;
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* --- submit -------------------------------------------------------------- */

static int graph_has(const amlr_json *props, int output, const char *name)
{
	const char *io;
	size_t i;

	for (i = 0; (io = emu_graph_io_name(props, output, i)); i++)
		if (strcmp(io, name) == 0)
			return 1;
	return 0;
}

/* Resolve the job's inputs into @p out: 1, 0 (refused), -1. */
static int take_inputs(amlr_json *out, struct emu_bes_secrets **secrets,
		       struct emu_bes_result *res, struct emu_bes *bes,
		       const struct emu_bes_call *call, const amlr_json *body)
{
	const amlr_json *inputs = amlr_json_get(body, "Inputs");
	const amlr_json *single = amlr_json_get(body, "Input");
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	struct emu_blob_fail bf;
	struct emu_blob_info info;
	const char *name;
	amlr_json *ref, *loc = NULL;
	uint64_t off, len;
	int ok;
	size_t i;

	if (inputs && single)
		return refuse(res, 400, "BadArgument",
			      "DuplicateInputInBatchCall", "Input",
			      "cannot specify both single and multiple input");
	if (single) {
		if (!(name = emu_graph_io_name(call->props, 0, 0)))
			return refuse(res, 400, "BadArgument",
				      "InvalidInputNames", "Input",
				      "the web service has no input");
		if ((ok = job_resolve(&loc, secrets, res, bes, call->base_url,
				      name, single, 0)) != 1)
			return ok;
		if (amlr_json_set(out, name, loc) != AMLR_OK)
			return -1;
	} else if (inputs && amlr_json_type_of(inputs) != AMLR_JSON_OBJECT) {
		return refuse(res, 400, "BadArgument", "RequestBodyInvalid",
			      "Inputs", "Inputs must be an object");
	}
	while (amlr_json_next(&name, &ref, inputs, &it)) {
		if (!graph_has(call->props, 0, name))
			return refuse(res, 400, "BadArgument",
				      "InvalidInputNames", name,
				      "the web service has no input '%s'",
				      name);
		if ((ok = job_resolve(&loc, secrets, res, bes, call->base_url,
				      name, ref, 0)) != 1)
			return ok;
		if (amlr_json_set(out, name, loc) != AMLR_OK)
			return -1;
	}
	for (i = 0; (name = emu_graph_io_name(call->props, 0, i)); i++)
		if (!amlr_json_get(out, name))
			return refuse(res, 400, "BadArgument",
				      "BatchJobInputsNotSpecified", name,
				      "input '%s' is required", name);
	it = (amlr_json_iter)AMLR_JSON_ITER_INIT;
	while (amlr_json_next(&name, &ref, out, &it)) {
		if (emu_bes_ext_is(ref)) {
			if ((ok = emu_bes_ext_check_input(
				     res, name, ref,
				     emu_bes_secrets_get(*secrets, 0, name))) !=
			    1)
				return ok;
			continue;
		}
		memset(&bf, 0, sizeof(bf));
		switch (emu_blob_read(bes->world->blob, &bf,
				      amlr_json_get_str(ref, "account"),
				      amlr_json_get_str(ref, "container"),
				      amlr_json_get_str(ref, "blob"), NULL,
				      NULL, &info, &off, &len, NULL)) {
		case AMLR_OK:
			break;
		case AMLR_ENOTFOUND:
			return refuse(res, 400, "BadArgument", "BlobNotFound",
				      name, "input blob '%s/%s' not found",
				      amlr_json_get_str(ref, "container"),
				      amlr_json_get_str(ref, "blob"));
		case AMLR_EINVAL:
		case AMLR_ECONFLICT:
			return refuse(res, 400, "BadArgument", "InvalidBlob",
				      name, "input blob '%s/%s': %s",
				      amlr_json_get_str(ref, "container"),
				      amlr_json_get_str(ref, "blob"),
				      bf.message);
		default:
			return -1;
		}
	}
	return 1;
}

/* Whether output @p name is a trained model: 1, 0, or -1 (no graph). */
static int output_is_model(const amlr_json *props, const char *name)
{
	char err[EMU_GRAPH_ERR_SIZE];
	enum emu_graph_kind kind;

	if (emu_graph_output_kind(&kind, err, props, name) != AMLR_OK)
		return -1; /* the job fails when it runs, saying why */
	return kind == EMU_GRAPH_MODEL;
}

/* The account that takes outputs without an override. */
static const struct emu_seed_storage *default_account(struct emu_bes *bes,
						      const amlr_json *props)
{
	const struct emu_seed_storage *a;
	const char *name = amlr_json_get_str(
		amlr_json_get(props, "storageAccount"), "name");
	const struct emu_seed *seed = bes->world->seed;

	if (name && (a = emu_seed_storage(seed, name)))
		return a;
	if ((a = emu_seed_storage(seed, "devstoreaccount1")))
		return a;
	return seed && seed->nstorage ? &seed->storage[0] : NULL;
}

/* Resolve the outputs (overrides, else defaults) into @p out. */
static int take_outputs(amlr_json *out, struct emu_bes_secrets **secrets,
			struct emu_bes_result *res, struct emu_bes *bes,
			const struct emu_bes_call *call, const amlr_json *body,
			const char *job_id)
{
	const amlr_json *outputs = amlr_json_get(body, "Outputs");
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const struct emu_seed_storage *acct;
	const char *name, *blob;
	amlr_json *ref, *loc = NULL;
	char path[128];
	size_t i;
	int ok, model;

	if (outputs && amlr_json_type_of(outputs) != AMLR_JSON_OBJECT)
		return refuse(res, 400, "BadArgument", "RequestBodyInvalid",
			      "Outputs", "Outputs must be an object");
	while (amlr_json_next(&name, &ref, outputs, &it)) {
		if (!graph_has(call->props, 1, name))
			return refuse(res, 400, "BadArgument",
				      "InvalidOutputOverrideName", name,
				      "the web service has no output '%s'",
				      name);
		if ((ok = job_resolve(&loc, secrets, res, bes, call->base_url,
				      name, ref, 1)) != 1)
			return ok;
		blob = amlr_json_get_str(loc, "blob");
		model = output_is_model(call->props, name);
		if ((model == 1 && !ends_with(blob, ".ilearner")) ||
		    (model == 0 && !ends_with(blob, ".csv") &&
		     !ends_with(blob, ".tsv") && !ends_with(blob, ".arff"))) {
			amlr_json_free(loc);
			return refuse(
				res, 400, "BadArgument", "InvalidBlobExtension",
				name,
				"output '%s' must be written to a blob ending in %s",
				name,
				model ? ".ilearner" : ".csv, .tsv or .arff");
		}
		if (amlr_json_set(out, name, loc) != AMLR_OK)
			return -1;
	}
	for (i = 0; (name = emu_graph_io_name(call->props, 1, i)); i++) {
		if (amlr_json_get(out, name))
			continue;
		if (!(acct = default_account(bes, call->props)))
			return refuse(
				res, 400, "BadArgument",
				"MissingRequiredOutputOverrides", name,
				"output '%s' needs an override: the emulator has no storage account",
				name);
		snprintf(path, sizeof(path), "%s/%s%s", job_id, name,
			 output_is_model(call->props, name) == 1 ? ".ilearner"
								 : ".csv");
		if (location_new(&loc, acct->name, DEFAULT_CONTAINER, path) !=
			    AMLR_OK ||
		    amlr_json_set(out, name, loc) != AMLR_OK)
			return -1;
	}
	return 1;
}

static const char *kind_name(enum emu_bes_kind kind)
{
	return kind == EMU_BES_CLASSIC ? "classic" : "arm";
}

static amlr_code new_job_id(char out[JOB_ID_SIZE])
{
	char guid[EMU_GUID_SIZE];
	size_t i, j;
	amlr_code rc;

	if ((rc = emu_guid_new(guid)) != AMLR_OK)
		return rc;
	for (i = j = 0; guid[i] && j + 1 < JOB_ID_SIZE; i++)
		if (guid[i] != '-')
			out[j++] = guid[i];
	out[j] = '\0';
	return AMLR_OK;
}

static amlr_code json_string_body(struct emu_bes_result *res, const char *s)
{
	amlr_json *v = NULL;
	amlr_code rc;

	if ((rc = amlr_json_new_string(&v, s)) == AMLR_OK)
		rc = amlr_json_serialize(&res->body, v, 0);
	amlr_json_free(v);
	return rc;
}

/* amlr_json_set(), which steals *val even when it fails: *val is NULL. */
static amlr_code set_taken(amlr_json *obj, const char *key, amlr_json **val)
{
	amlr_json *v = *val;

	*val = NULL;
	return amlr_json_set(obj, key, v);
}

amlr_code emu_bes_submit(struct emu_bes *bes, struct emu_bes_result *res,
			 const struct emu_bes_call *call, const amlr_json *body)
{
	amlr_json *doc = NULL, *inputs = NULL, *outputs = NULL;
	struct emu_bes_secrets *secrets = NULL;
	const amlr_json *globals;
	amlr_buf gtext = AMLR_BUF_INIT;
	const char *missing;
	char id[JOB_ID_SIZE];
	amlr_json *gcopy = NULL;
	int ok;
	amlr_code rc = AMLR_EFAIL;

	if (amlr_json_type_of(body) != AMLR_JSON_OBJECT) {
		refuse(res, 400, "BadArgument", "RequestBodyInvalid", NULL,
		       "the request body must be a JSON object");
		rc = AMLR_OK;
		goto done;
	}
	globals = amlr_json_get(body, "GlobalParameters");
	if (globals && amlr_json_type_of(globals) != AMLR_JSON_OBJECT) {
		refuse(res, 400, "BadArgument", "RequestBodyInvalid",
		       "GlobalParameters",
		       "GlobalParameters must be an object");
		rc = AMLR_OK;
		goto done;
	}
	if ((missing = emu_graph_missing_global(call->props, globals))) {
		refuse(res, 400, "BadArgument",
		       "MissingRequiredGlobalParameters", missing,
		       "global parameter '%s' is required", missing);
		rc = AMLR_OK;
		goto done;
	}
	if ((rc = new_job_id(id)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&inputs)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&outputs)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if ((ok = take_inputs(inputs, &secrets, res, bes, call, body)) != 1 ||
	    (ok = take_outputs(outputs, &secrets, res, bes, call, body, id)) !=
		    1) {
		rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
		goto done;
	}
	if (globals) {
		if (amlr_json_serialize(&gtext, globals, 0) != AMLR_OK ||
		    amlr_json_parse(&gcopy, NULL, gtext.ptr, gtext.len) !=
			    AMLR_OK)
			goto done;
	} else if (amlr_json_new_object(&gcopy) != AMLR_OK) {
		goto done;
	}
	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_set_str(doc, "id", id) != AMLR_OK ||
	    amlr_json_set_str(doc, "kind", kind_name(call->kind)) != AMLR_OK ||
	    amlr_json_set_str(doc, "scope", call->scope) != AMLR_OK ||
	    amlr_json_set_str(doc, "target", call->target) != AMLR_OK ||
	    amlr_json_set_str(doc, "baseUrl", call->base_url) != AMLR_OK ||
	    amlr_json_set_str(doc, "state", "NotStarted") != AMLR_OK ||
	    amlr_json_set_int(doc, "createdMs", now_ms()) != AMLR_OK ||
	    set_taken(doc, "inputs", &inputs) != AMLR_OK ||
	    set_taken(doc, "outputs", &outputs) != AMLR_OK ||
	    set_taken(doc, "globals", &gcopy) != AMLR_OK ||
	    amlr_json_set_str(doc, "details", NULL) != AMLR_OK)
		goto done;
	pthread_mutex_lock(&bes->lock);
	if ((rc = save(bes, doc)) == AMLR_OK &&
	    (rc = add_job(bes, id, doc, secrets)) == AMLR_OK) {
		doc = NULL;
		secrets = NULL;
	}
	pthread_mutex_unlock(&bes->lock);
	if (rc != AMLR_OK)
		goto done;
	res->status = 200;
	rc = json_string_body(res, id);
done:
	emu_bes_secrets_free(secrets);
	amlr_json_free(doc);
	amlr_json_free(inputs);
	amlr_json_free(outputs);
	amlr_json_free(gcopy);
	amlr_buf_release(&gtext);
	return rc;
}

/* --- start, status, cancel ------------------------------------------------ */

/* The job @p id of the web service of @p call, or NULL (404 in @p res). */
static struct job *own_job(struct emu_bes *bes, struct emu_bes_result *res,
			   const struct emu_bes_call *call, const char *id)
{
	struct job *j = find_job(bes, id);

	if (j &&
	    strcmp(amlr_json_get_str(j->doc, "kind"), kind_name(call->kind)) ==
		    0 &&
	    strcasecmp(amlr_json_get_str(j->doc, "target"), call->target) ==
		    0 &&
	    strcasecmp(amlr_json_get_str(j->doc, "scope"), call->scope) == 0)
		return j;
	refuse(res, 404, "NotFound", "JobNotFound", id, "job '%s' not found",
	       id);
	return NULL;
}

static amlr_code set_state(struct emu_bes *bes, struct job *j,
			   const char *state, const char *details)
{
	amlr_code rc;

	if ((rc = amlr_json_set_str(j->doc, "state", state)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j->doc, "details", details)) != AMLR_OK)
		return rc;
	/* Credentials are kept only for what can still use them: a run, or
	 * the read SAS of results. */
	if (strcmp(state, "Failed") == 0 || strcmp(state, "Cancelled") == 0) {
		emu_bes_secrets_free(j->secrets);
		j->secrets = NULL;
	} else if (strcmp(state, "Finished") == 0) {
		emu_bes_secrets_drop(&j->secrets, 0);
	}
	return save(bes, j->doc);
}

amlr_code emu_bes_start(struct emu_bes *bes, struct emu_bes_result *res,
			const struct emu_bes_call *call, const char *id)
{
	char(*q)[JOB_ID_SIZE];
	struct job *j;
	const char *state;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&bes->lock);
	if (!(j = own_job(bes, res, call, id)))
		goto done;
	state = amlr_json_get_str(j->doc, "state");
	if (strcmp(state, "NotStarted") != 0) {
		refuse(res, 400, "InvalidOperation", "CannotStartJob", id,
		       "job cannot be started because it is in %s state",
		       state);
		goto done;
	}
	if (bes->qn == bes->qcap) {
		q = realloc(bes->queue,
			    (bes->qcap ? bes->qcap * 2 : 8) * sizeof(*q));
		if (!q) {
			rc = AMLR_EFAIL;
			goto done;
		}
		bes->queue = q;
		bes->qcap = bes->qcap ? bes->qcap * 2 : 8;
	}
	if ((rc = set_state(bes, j, "Running", NULL)) != AMLR_OK)
		goto done;
	snprintf(bes->queue[bes->qn++], JOB_ID_SIZE, "%s", j->id);
	pthread_cond_signal(&bes->wake);
	res->status = 204;
done:
	pthread_mutex_unlock(&bes->lock);
	return rc;
}

amlr_code emu_bes_cancel(struct emu_bes *bes, struct emu_bes_result *res,
			 const struct emu_bes_call *call, const char *id)
{
	struct job *j;
	const char *state;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&bes->lock);
	if (!(j = own_job(bes, res, call, id)))
		goto done;
	state = amlr_json_get_str(j->doc, "state");
	if ((strcmp(state, "NotStarted") == 0 ||
	     strcmp(state, "Running") == 0) &&
	    (rc = set_state(bes, j, "Cancelled", NULL)) != AMLR_OK)
		goto done;
	res->status = 204;
done:
	pthread_mutex_unlock(&bes->lock);
	return rc;
}

/*
 * Fill the Results entry @p entry of blob CONTAINER/BLOB: BaseLocation
 * @p base (ending in '/'), RelativeLocation and SasBlobToken: a fresh
 * read-only service SAS (sr=b, sp=r, SAS_LIFETIME_S from SAS_BACKDATE_S
 * ago) signed with the account key @p key; else @p sas as given (it reads
 * only if it was made to); else null (the job's credentials were lost).
 * @p entry then holds a SAS.
 */
static amlr_code result_entry(amlr_json *entry, const char *base,
			      const char *account, const char *container,
			      const char *blob, const char *key,
			      const char *sas)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_buf s = AMLR_BUF_INIT;
	char st[AMLR_SAS_TIME_SIZE], se[AMLR_SAS_TIME_SIZE];
	char *token = NULL;
	time_t now = time(NULL);
	amlr_code rc;

	if ((rc = amlr_json_set_str(entry, "BaseLocation", base)) != AMLR_OK ||
	    (rc = amlr_buf_printf(&s, "%s/%s", container, blob)) != AMLR_OK ||
	    (rc = amlr_json_set_str(entry, "RelativeLocation", s.ptr)) !=
		    AMLR_OK)
		goto done;
	amlr_buf_clear(&s);
	if (key) {
		amlr_sas_format_time(st, now - SAS_BACKDATE_S);
		amlr_sas_format_time(se, now + SAS_LIFETIME_S);
		v.permissions = "r";
		v.start = st;
		v.expiry = se;
		v.resource = "b";
		if (amlr_sas_service_new(&token, NULL, account, key, container,
					 blob, &v) != AMLR_OK) {
			rc = AMLR_EFAIL;
			goto done;
		}
		sas = token;
	}
	if (!sas) {
		rc = amlr_json_set_str(entry, "SasBlobToken", NULL);
		goto done;
	}
	if ((rc = amlr_buf_printf(&s, "?%s", sas)) == AMLR_OK)
		rc = amlr_json_set_str(entry, "SasBlobToken", s.ptr);
done:
	amlr_secret_free(token);
	amlr_buf_release_secret(&s);
	return rc;
}

amlr_code emu_bes_blob_ref(amlr_json **out, struct emu_bes *bes,
			   const char *base_url, const amlr_json *loc,
			   int connstr)
{
	const struct emu_seed_storage *acct;
	amlr_buf base = AMLR_BUF_INIT;
	const char *account = amlr_json_get_str(loc, "account");
	amlr_code rc;

	if ((rc = amlr_json_new_object(out)) != AMLR_OK)
		return rc;
	if (!(acct = emu_seed_storage(bes->world->seed, account))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if ((connstr && (rc = amlr_json_set_str(*out, "ConnectionString",
						NULL)) != AMLR_OK) ||
	    (rc = amlr_buf_printf(&base, "%s/%s/", base_url, account)) !=
		    AMLR_OK)
		goto done;
	rc = result_entry(*out, base.ptr, account,
			  amlr_json_get_str(loc, "container"),
			  amlr_json_get_str(loc, "blob"), acct->key, NULL);
done:
	amlr_buf_release(&base);
	if (rc != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * A Results entry for external blob @p loc: a fresh SAS when the job was
 * given the account key @p secret, the SAS it was given otherwise, null
 * when @p secret is NULL (lost in a restart).
 */
static amlr_code external_ref(amlr_json **out, const amlr_json *loc,
			      const char *secret)
{
	amlr_buf base = AMLR_BUF_INIT;
	const char *auth = amlr_json_get_str(loc, "auth");
	int key = auth && strcmp(auth, "key") == 0;
	amlr_code rc;

	if ((rc = amlr_json_new_object(out)) != AMLR_OK)
		return rc;
	if ((rc = amlr_json_set_str(*out, "ConnectionString", NULL)) !=
		    AMLR_OK ||
	    (rc = amlr_buf_printf(&base, "%s/",
				  amlr_json_get_str(loc, "endpoint"))) !=
		    AMLR_OK)
		goto done;
	rc = result_entry(*out, base.ptr, amlr_json_get_str(loc, "account"),
			  amlr_json_get_str(loc, "container"),
			  amlr_json_get_str(loc, "blob"), key ? secret : NULL,
			  key ? NULL : secret);
done:
	amlr_buf_release(&base);
	if (rc != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
	}
	return rc;
}

amlr_code emu_bes_status(struct emu_bes *bes, struct emu_bes_result *res,
			 const struct emu_bes_call *call, const char *id)
{
	amlr_json *doc = NULL, *results = NULL, *entry = NULL, *loc;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	struct job *j;
	const char *state, *name, *details, *secret;
	int lost = 0;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&bes->lock);
	if (!(j = own_job(bes, res, call, id)))
		goto done;
	state = amlr_json_get_str(j->doc, "state");
	if ((rc = amlr_json_new_object(&doc)) != AMLR_OK ||
	    (rc = amlr_json_set_str(doc, "StatusCode", state)) != AMLR_OK)
		goto done;
	if (strcmp(state, "Finished") == 0) {
		if ((rc = amlr_json_new_object(&results)) != AMLR_OK)
			goto done;
		while (amlr_json_next(&name, &loc,
				      amlr_json_get(j->doc, "outputs"), &it)) {
			if (emu_bes_ext_is(loc)) {
				secret = emu_bes_secrets_get(j->secrets, 1,
							     name);
				lost |= !secret;
				rc = external_ref(&entry, loc, secret);
			} else {
				rc = emu_bes_blob_ref(&entry, bes,
						      call->base_url, loc, 1);
			}
			if (rc != AMLR_OK ||
			    (rc = amlr_json_set(results, name, entry)) !=
				    AMLR_OK)
				goto done;
			entry = NULL;
		}
	}
	rc = amlr_json_set(doc, "Results", results);
	results = NULL;
	details = amlr_json_get_str(j->doc, "details");
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_str(doc, "Details",
				    lost && !details ? RESULTS_SAS_LOST
						     : details)) != AMLR_OK)
		goto done;
	res->status = 200;
	rc = amlr_json_serialize(&res->body, doc, 0);
done:
	pthread_mutex_unlock(&bes->lock);
	amlr_json_free(doc);
	amlr_json_free(results);
	return rc;
}

/* --- running jobs ------------------------------------------------------- */

/* --- models of Resource assets, cached by URI and ETag ------------------ */

static void cached_free(struct cached_model *c)
{
	if (!c)
		return;
	learn_model_free(c->model);
	free(c->uri);
	free(c);
}

/* Drop @p c from the cache; it goes when its last borrower is done. */
static void cached_unlink(struct emu_bes *bes, struct cached_model *c)
{
	struct cached_model **p;

	for (p = &bes->models; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->next = NULL;
	c->stale = 1;
	if (c->refs == 0)
		cached_free(c);
}

/* The cached model of @p uri with @p etag, lent (refs + 1), or NULL. */
static struct cached_model *cached_take(struct emu_bes *bes, const char *uri,
					const char *etag)
{
	struct cached_model *c;

	for (c = bes->models; c; c = c->next)
		if (strcmp(c->uri, uri) == 0)
			break;
	if (c && strcmp(c->etag, etag) != 0) {
		cached_unlink(bes, c); /* the blob changed: a new model */
		c = NULL;
	}
	if (c)
		c->refs++;
	return c;
}

/* Say why the model blob cannot be used; AMLR_EINVAL for the caller. */
static amlr_code blob_refused(char *err, amlr_code rc, const char *container,
			      const char *blob, const struct emu_blob_fail *bf)
{
	if (rc != AMLR_ENOTFOUND && rc != AMLR_EINVAL && rc != AMLR_ECONFLICT)
		return rc;
	snprintf(err, EMU_GRAPH_ERR_SIZE, "model blob '%s/%s': %s", container,
		 blob, bf->code ? bf->code : "not readable");
	return AMLR_EINVAL;
}

/*
 * Parse @p data, the model blob @p what (CONTAINER/BLOB) of @p uri with
 * @p etag, and lend it from the cache (*c_out, refs + 1): another thread
 * may have loaded the same blob meanwhile.
 */
static amlr_code cache_load(struct cached_model **c_out, char *err,
			    struct emu_bes *bes, const char *uri,
			    const char *etag, const amlr_buf *data,
			    const char *what, int external)
{
	struct cached_model *c, *fresh = NULL;
	char lerr[LEARN_ERR_SIZE] = "";
	learn_code lc;
	amlr_code rc = AMLR_EFAIL;

	*c_out = NULL;
	if (!(fresh = calloc(1, sizeof(*fresh))) || !(fresh->uri = strdup(uri)))
		goto done;
	snprintf(fresh->etag, sizeof(fresh->etag), "%s", etag);
	fresh->external = external;
	fresh->checked_ms = now_ms();
	lc = learn_model_load(&fresh->model, data->ptr ? data->ptr : "",
			      data->len, lerr);
	if (lc != LEARN_OK) {
		snprintf(err, EMU_GRAPH_ERR_SIZE, "model blob '%s': %s", what,
			 lerr);
		rc = lc == LEARN_ENOMEM ? AMLR_EFAIL : AMLR_EINVAL;
		goto done;
	}
	pthread_mutex_lock(&bes->lock);
	if (!(c = cached_take(bes, uri, fresh->etag))) {
		c = fresh;
		fresh = NULL;
		c->refs = 1;
		c->next = bes->models;
		bes->models = c;
	}
	pthread_mutex_unlock(&bes->lock);
	*c_out = c;
	rc = AMLR_OK;
done:
	cached_free(fresh);
	return rc;
}

/* A model of another account whose ETag was asked lately, lent, or NULL. */
static struct cached_model *cached_recent(struct emu_bes *bes, const char *uri)
{
	struct cached_model *c;
	int64_t now = now_ms();

	pthread_mutex_lock(&bes->lock);
	for (c = bes->models; c; c = c->next)
		if (c->external && strcmp(c->uri, uri) == 0)
			break;
	if (c && now - c->checked_ms >= 0 &&
	    now - c->checked_ms < EXTERNAL_RECHECK_MS)
		c->refs++;
	else
		c = NULL;
	pthread_mutex_unlock(&bes->lock);
	return c;
}

/*
 * The model at @p uri, a blob of another storage account with a SAS
 * (bes_external.h): the SAS checked as a job input's, the ETag asked at
 * most every EXTERNAL_RECHECK_MS, the blob read when it changed.  Every
 * failure is AMLR_EINVAL with @p err (never the SAS), but memory.
 */
static amlr_code external_model_get(struct cached_model **c_out, char *err,
				    struct emu_bes *bes, const char *base_url,
				    const char *uri)
{
	struct emu_bes_result res = EMU_BES_RESULT_INIT;
	struct cached_model *c = NULL;
	amlr_json *ref = NULL, *loc = NULL;
	amlr_buf data = AMLR_BUF_INIT;
	char *base = NULL, *rel = NULL, *token = NULL, *secret = NULL;
	char etag[EMU_BLOB_ETAG_SIZE] = "";
	int ok;
	amlr_code rc;

	*c_out = NULL;
	if ((*c_out = cached_recent(bes, uri)))
		return AMLR_OK;
	rc = emu_bes_ext_split_url(&base, &rel, &token, uri);
	if (rc == AMLR_EINVAL)
		snprintf(err, EMU_GRAPH_ERR_SIZE, "'%.*s' is not a blob's URL",
			 (int)strcspn(uri, "?"), uri);
	if (rc != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (amlr_json_new_object(&ref) != AMLR_OK ||
	    amlr_json_set_str(ref, "BaseLocation", base) != AMLR_OK ||
	    amlr_json_set_str(ref, "RelativeLocation", rel) != AMLR_OK ||
	    amlr_json_set_str(ref, "SasBlobToken", token) != AMLR_OK)
		goto done;
	ok = resolve(&loc, &secret, &res, bes, base_url, rel, ref, 0);
	if (ok == 0 || (ok == 1 && !secret)) {
		snprintf(err, EMU_GRAPH_ERR_SIZE, "model blob %.400s",
			 ok == 0 ? res.message
				 : "is not a blob of the emulator's storage");
		rc = AMLR_EINVAL;
		goto done;
	}
	if (ok != 1)
		goto done;
	snprintf(rel, strlen(rel) + 1, "%s/%s",
		 amlr_json_get_str(loc, "container"),
		 amlr_json_get_str(loc, "blob"));
	rc = emu_bes_ext_model_etag(etag, sizeof(etag), err, loc, secret);
	if (rc == AMLR_OK) {
		pthread_mutex_lock(&bes->lock);
		if ((c = cached_take(bes, uri, etag)))
			c->checked_ms = now_ms();
		pthread_mutex_unlock(&bes->lock);
		if (c)
			goto found;
		rc = emu_bes_ext_model_read(&data, etag, sizeof(etag), err, loc,
					    secret, EXTERNAL_MODEL_MAX);
	}
	if (rc != AMLR_OK) {
		rc = rc == AMLR_EFAIL ? AMLR_EFAIL : AMLR_EINVAL;
		goto done;
	}
	if ((rc = cache_load(&c, err, bes, uri, etag, &data, rel, 1)) !=
	    AMLR_OK)
		goto done;
found:
	*c_out = c;
	rc = AMLR_OK;
done:
	emu_bes_result_release(&res);
	amlr_buf_release(&data);
	amlr_json_free(ref);
	amlr_json_free(loc);
	amlr_secret_free(secret);
	amlr_secret_free(token);
	free(base);
	free(rel);
	return rc;
}

int emu_bes_model_is_external(struct emu_bes *bes, const char *base_url,
			      const char *uri)
{
	return strchr(uri, '?') &&
	       !emu_bes_ext_is_own(base_url, bes->world->seed, uri);
}

amlr_code emu_bes_model_get(const learn_model **out, void **handle, char *err,
			    struct emu_bes *bes, const char *base_url,
			    const char *uri)
{
	struct emu_blob_fail bf;
	struct emu_blob_info info;
	struct cached_model *c = NULL;
	amlr_buf data = AMLR_BUF_INIT, what = AMLR_BUF_INIT;
	char *account = NULL, *container = NULL, *blob = NULL;
	uint64_t off = 0, len = 0;
	amlr_code rc;

	*out = NULL;
	*handle = NULL;
	/* Not the emulator's storage, with a SAS: another account's. */
	if (emu_bes_model_is_external(bes, base_url, uri)) {
		if ((rc = external_model_get(&c, err, bes, base_url, uri)) !=
		    AMLR_OK)
			goto done;
		goto found;
	}
	rc = emu_bes_blob_of_url(&account, &container, &blob, base_url, uri);
	if (rc == AMLR_EINVAL)
		snprintf(err, EMU_GRAPH_ERR_SIZE,
			 "'%.*s' is not a blob of the emulator's storage",
			 (int)strcspn(uri, "?"), uri);
	if (rc != AMLR_OK)
		goto done;
	/* The properties only: a cached model whose ETag still holds. */
	memset(&bf, 0, sizeof(bf));
	rc = emu_blob_read(bes->world->blob, &bf, account, container, blob,
			   NULL, NULL, &info, &off, &len, NULL);
	if (rc != AMLR_OK) {
		rc = blob_refused(err, rc, container, blob, &bf);
		goto done;
	}
	pthread_mutex_lock(&bes->lock);
	c = cached_take(bes, uri, info.etag);
	pthread_mutex_unlock(&bes->lock);
	if (c)
		goto found;
	memset(&bf, 0, sizeof(bf));
	rc = emu_blob_read(bes->world->blob, &bf, account, container, blob,
			   NULL, NULL, &info, &off, &len, &data);
	if (rc != AMLR_OK) {
		rc = blob_refused(err, rc, container, blob, &bf);
		goto done;
	}
	if ((rc = amlr_buf_printf(&what, "%s/%s", container, blob)) !=
		    AMLR_OK ||
	    (rc = cache_load(&c, err, bes, uri, info.etag, &data, what.ptr,
			     0)) != AMLR_OK)
		goto done;
found:
	*out = c->model;
	*handle = c;
	rc = AMLR_OK;
done:
	amlr_buf_release(&data);
	amlr_buf_release(&what);
	free(account);
	free(container);
	free(blob);
	return rc;
}

void emu_bes_model_put(struct emu_bes *bes, void *handle)
{
	struct cached_model *c = handle;

	if (!c)
		return;
	pthread_mutex_lock(&bes->lock);
	if (--c->refs == 0 && c->stale)
		cached_free(c);
	pthread_mutex_unlock(&bes->lock);
}

/* emu_graph_models for a job: payload is {bes, base_url}. */
static amlr_code job_model_get(const learn_model **out, void **handle,
			       char *err, const char *name, const char *uri,
			       void *payload)
{
	void **ctx = payload;

	(void)name;
	return emu_bes_model_get(out, handle, err, ctx[0], ctx[1], uri);
}

static void job_model_put(void *handle, void *payload)
{
	void **ctx = payload;

	emu_bes_model_put(ctx[0], handle);
}

/* Sleep @p ms in short steps; 0 when the job should stop waiting. */
static int wait_delay(struct emu_bes *bes, const char *id, long ms)
{
	struct timespec step = { 0, 20 * 1000000L };
	struct job *j;
	int go = 1;

	for (; ms > 0 && go; ms -= 20) {
		nanosleep(&step, NULL);
		pthread_mutex_lock(&bes->lock);
		j = find_job(bes, id);
		go = !bes->stopping && j &&
		     strcmp(amlr_json_get_str(j->doc, "state"), "Running") == 0;
		pthread_mutex_unlock(&bes->lock);
	}
	return go;
}

/* Read input @p name's blob @p loc into @p out; @p details on error. */
static amlr_code read_input(amlr_buf *out, char details[EMU_GRAPH_ERR_SIZE],
			    struct emu_bes *bes,
			    const struct emu_bes_secrets *secrets,
			    const char *name, const amlr_json *loc)
{
	struct emu_blob_fail bf;
	struct emu_blob_info info;
	uint64_t off, len;
	amlr_code rc;

	if (emu_bes_ext_is(loc))
		return emu_bes_ext_read(out, details, name, loc,
					emu_bes_secrets_get(secrets, 0, name),
					EXTERNAL_INPUT_MAX);
	memset(&bf, 0, sizeof(bf));
	rc = emu_blob_read(bes->world->blob, &bf,
			   amlr_json_get_str(loc, "account"),
			   amlr_json_get_str(loc, "container"),
			   amlr_json_get_str(loc, "blob"), NULL, NULL, &info,
			   &off, &len, out);
	if (rc != AMLR_OK)
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "input '%s': blob '%s/%s': %s", name,
			 amlr_json_get_str(loc, "container"),
			 amlr_json_get_str(loc, "blob"),
			 bf.code ? bf.code : "cannot be read");
	return rc;
}

/* Read the inputs, run the graph, write the outputs; @p details on error. */
static amlr_code run_job(struct emu_bes *bes, const amlr_json *doc,
			 const struct emu_bes_secrets *secrets,
			 char details[EMU_GRAPH_ERR_SIZE])
{
	const amlr_json *ins = amlr_json_get(doc, "inputs");
	const amlr_json *outs = amlr_json_get(doc, "outputs");
	const char *base_url = amlr_json_get_str(doc, "baseUrl");
	struct emu_graph_input *inputs = NULL;
	struct emu_graph_output *res = NULL;
	const char **wanted = NULL;
	amlr_buf *data = NULL;
	amlr_json *props = NULL, *loc;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	struct emu_blob_fail bf;
	struct emu_blob_info info;
	void *ctx[2];
	struct emu_graph_models models = { job_model_get, job_model_put, NULL };
	const char *name;
	size_t n_in = amlr_json_len(ins), n_out = amlr_json_len(outs), i = 0;
	size_t n_res = 0;
	amlr_code rc;

	rc = emu_bes_props(&props, bes->world,
			   strcmp(amlr_json_get_str(doc, "kind"), "classic") ==
					   0
				   ? EMU_BES_CLASSIC
				   : EMU_BES_ARM,
			   amlr_json_get_str(doc, "scope"),
			   amlr_json_get_str(doc, "target"));
	if (rc == AMLR_ENOTFOUND)
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "the web service no longer exists");
	if (rc != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (!(inputs = calloc(n_in + 1, sizeof(*inputs))) ||
	    !(data = calloc(n_in + 1, sizeof(*data))) ||
	    !(wanted = calloc(n_out + 1, sizeof(*wanted))))
		goto done;
	for (i = 0; amlr_json_next(&name, &loc, ins, &it); i++) {
		if ((rc = read_input(&data[i], details, bes, secrets, name,
				     loc)) != AMLR_OK)
			goto done;
		inputs[i].name = name;
		inputs[i].data = data[i].ptr ? data[i].ptr : "";
		inputs[i].len = data[i].len;
	}
	it = (amlr_json_iter)AMLR_JSON_ITER_INIT;
	for (i = 0; amlr_json_next(&name, &loc, outs, &it); i++)
		wanted[i] = name;
	ctx[0] = bes;
	ctx[1] = (void *)base_url;
	models.payload = ctx;
	if ((rc = emu_graph_run(&res, &n_res, details, props, inputs, n_in,
				amlr_json_get(doc, "globals"), wanted, n_out,
				&models)) != AMLR_OK)
		goto done;
	for (i = 0; i < n_res; i++) {
		loc = amlr_json_get(outs, res[i].name);
		if (emu_bes_ext_is(loc)) {
			if ((rc = emu_bes_ext_write(
				     details, res[i].name, loc,
				     emu_bes_secrets_get(secrets, 1,
							 res[i].name),
				     res[i].data, res[i].len,
				     res[i].kind == EMU_GRAPH_MODEL
					     ? "application/octet-stream"
					     : "text/csv")) != AMLR_OK)
				goto done;
			continue;
		}
		memset(&bf, 0, sizeof(bf));
		rc = emu_blob_container_create(
			bes->world->blob, &bf,
			amlr_json_get_str(loc, "account"),
			amlr_json_get_str(loc, "container"), &info);
		if (rc == AMLR_ECONFLICT)
			rc = AMLR_OK;
		memset(&bf, 0, sizeof(bf));
		if (rc == AMLR_OK)
			rc = emu_blob_put(bes->world->blob, &bf,
					  amlr_json_get_str(loc, "account"),
					  amlr_json_get_str(loc, "container"),
					  amlr_json_get_str(loc, "blob"),
					  res[i].data, res[i].len,
					  res[i].kind == EMU_GRAPH_MODEL
						  ? "application/octet-stream"
						  : "text/csv",
					  NULL, NULL, &info);
		if (rc != AMLR_OK) {
			snprintf(details, EMU_GRAPH_ERR_SIZE,
				 "output '%s': blob '%s/%s': %s", res[i].name,
				 amlr_json_get_str(loc, "container"),
				 amlr_json_get_str(loc, "blob"),
				 bf.code ? bf.code : "cannot be written");
			goto done;
		}
	}
done:
	if (rc != AMLR_OK && !details[0])
		snprintf(details, EMU_GRAPH_ERR_SIZE,
			 "internal error while running the job");
	emu_graph_outputs_free(res, n_res);
	for (i = 0; data && i < n_in; i++)
		amlr_buf_release(&data[i]);
	free(data);
	free(inputs);
	free((void *)wanted);
	amlr_json_free(props);
	return rc;
}

/* A copy of @p doc, for use outside the lock. */
static amlr_json *copy_doc(const amlr_json *doc)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *copy = NULL;

	if (amlr_json_serialize(&text, doc, 0) == AMLR_OK)
		amlr_json_parse(&copy, NULL, text.ptr, text.len);
	amlr_buf_release(&text);
	return copy;
}

static void *worker(void *arg)
{
	struct emu_bes *bes = arg;
	char id[JOB_ID_SIZE], details[EMU_GRAPH_ERR_SIZE];
	struct emu_bes_secrets *secrets;
	amlr_json *doc;
	struct job *j;
	amlr_code rc;

	for (;;) {
		pthread_mutex_lock(&bes->lock);
		while (!bes->stopping && bes->qn == 0)
			pthread_cond_wait(&bes->wake, &bes->lock);
		if (bes->stopping) {
			pthread_mutex_unlock(&bes->lock);
			break;
		}
		snprintf(id, sizeof(id), "%s", bes->queue[0]);
		memmove(bes->queue, bes->queue + 1,
			--bes->qn * sizeof(*bes->queue));
		j = find_job(bes, id);
		doc = j ? copy_doc(j->doc) : NULL;
		secrets = NULL;
		if (doc &&
		    emu_bes_secrets_copy(&secrets, j->secrets) != AMLR_OK) {
			amlr_json_free(doc);
			doc = NULL;
		}
		pthread_mutex_unlock(&bes->lock);
		if (!doc)
			continue;
		details[0] = '\0';
		if (bes->world->cfg.job_delay_ms > 0 &&
		    !wait_delay(bes, id, bes->world->cfg.job_delay_ms)) {
			emu_bes_secrets_free(secrets);
			amlr_json_free(doc);
			continue; /* cancelled, or the emulator stops */
		}
		rc = run_job(bes, doc, secrets, details);
		emu_bes_secrets_free(secrets);
		amlr_json_free(doc);
		pthread_mutex_lock(&bes->lock);
		j = find_job(bes, id);
		if (j &&
		    strcmp(amlr_json_get_str(j->doc, "state"), "Running") == 0)
			set_state(bes, j, rc == AMLR_OK ? "Finished" : "Failed",
				  rc == AMLR_OK ? NULL : details);
		pthread_mutex_unlock(&bes->lock);
	}
	return NULL;
}

/* --- the service -------------------------------------------------------- */

amlr_code emu_bes_new(struct emu_bes **out, amlr_error *err,
		      struct emu_world *world)
{
	struct emu_bes *bes;
	amlr_buf dir = AMLR_BUF_INIT;
	sigset_t all, old;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(bes = calloc(1, sizeof(*bes))))
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	pthread_mutex_init(&bes->lock, NULL);
	pthread_cond_init(&bes->wake, NULL);
	bes->world = world;
	if (world->cfg.state_dir) {
		if (amlr_buf_printf(&dir, "%s/bes", world->cfg.state_dir) !=
		    AMLR_OK) {
			amlr_error_set(err, rc, "out of memory");
			goto done;
		}
		bes->dir = amlr_buf_detach(&dir);
		if ((rc = load_jobs(bes, err)) != AMLR_OK)
			goto done;
	}
	/* libcurl's process-wide set-up, before any thread may use it. */
	if (amlr_global_init() != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EFAIL,
				    "cannot initialise libcurl");
		goto done;
	}
	bes->curl_ready = 1;
	/*
	 * Workers take no signals: SIGINT and SIGTERM are for the main
	 * thread's sigwait(), which blocks them only after this.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; bes->nthreads < WORKERS; bes->nthreads++)
		if (pthread_create(&bes->threads[bes->nthreads], NULL, worker,
				   bes) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (bes->nthreads < WORKERS) {
		rc = amlr_error_set(err, AMLR_EFAIL,
				    "cannot start a job worker");
		goto done;
	}
	*out = bes;
	bes = NULL;
	rc = AMLR_OK;
done:
	amlr_buf_release(&dir);
	emu_bes_free(bes);
	return rc;
}

void emu_bes_free(struct emu_bes *bes)
{
	size_t i;

	if (!bes)
		return;
	pthread_mutex_lock(&bes->lock);
	bes->stopping = 1;
	pthread_cond_broadcast(&bes->wake);
	pthread_mutex_unlock(&bes->lock);
	for (i = 0; i < bes->nthreads; i++)
		pthread_join(bes->threads[i], NULL);
	for (i = 0; i < bes->n; i++) {
		amlr_json_free(bes->jobs[i].doc);
		emu_bes_secrets_free(bes->jobs[i].secrets);
	}
	while (bes->models)
		cached_unlink(bes, bes->models);
	free(bes->jobs);
	while (bes->slots) {
		struct slot *next = bes->slots->next;

		free(bes->slots->key);
		free(bes->slots);
		bes->slots = next;
	}
	free(bes->queue);
	free(bes->dir);
	if (bes->curl_ready)
		amlr_global_cleanup();
	pthread_cond_destroy(&bes->wake);
	pthread_mutex_destroy(&bes->lock);
	free(bes);
}

/* --- the one lookup, and RRS call slots ------------------------------- */

amlr_code emu_bes_props(amlr_json **props_out, struct emu_world *world,
			enum emu_bes_kind kind, const char *scope,
			const char *target)
{
	*props_out = NULL;
	if (!scope || !target)
		return AMLR_ENOTFOUND;
	if (kind == EMU_BES_CLASSIC)
		return emu_classic_exec_props(world->classic, props_out, scope,
					      target);
	return emu_arm_ws_by_service(world->arm, props_out, scope, target);
}

static amlr_code slot_key(amlr_buf *out, enum emu_bes_kind kind,
			  const char *scope, const char *target)
{
	size_t i;
	amlr_code rc;

	if ((rc = amlr_buf_printf(out, "%s %s %s", kind_name(kind), scope,
				  target)) != AMLR_OK)
		return rc;
	for (i = 0; i < out->len; i++) /* the URL's ids ignore case */
		if (out->ptr[i] >= 'A' && out->ptr[i] <= 'Z')
			out->ptr[i] = (char)(out->ptr[i] - 'A' + 'a');
	return AMLR_OK;
}

int emu_bes_slot_take(struct emu_bes *bes, enum emu_bes_kind kind,
		      const char *scope, const char *target, long max)
{
	amlr_buf key = AMLR_BUF_INIT;
	struct slot *sl;
	int taken = 0;

	if (slot_key(&key, kind, scope, target) != AMLR_OK)
		return 0;
	pthread_mutex_lock(&bes->lock);
	for (sl = bes->slots; sl && strcmp(sl->key, key.ptr) != 0;
	     sl = sl->next)
		;
	if (!sl && (sl = calloc(1, sizeof(*sl)))) {
		sl->key = amlr_buf_detach(&key);
		sl->next = bes->slots;
		bes->slots = sl;
	}
	if (sl && sl->n < max) {
		sl->n++;
		taken = 1;
	}
	pthread_mutex_unlock(&bes->lock);
	amlr_buf_release(&key);
	return taken;
}

void emu_bes_slot_put(struct emu_bes *bes, enum emu_bes_kind kind,
		      const char *scope, const char *target)
{
	amlr_buf key = AMLR_BUF_INIT;
	struct slot *sl;

	if (slot_key(&key, kind, scope, target) != AMLR_OK)
		return;
	pthread_mutex_lock(&bes->lock);
	for (sl = bes->slots; sl; sl = sl->next)
		if (strcmp(sl->key, key.ptr) == 0 && sl->n > 0) {
			sl->n--;
			break;
		}
	pthread_mutex_unlock(&bes->lock);
	amlr_buf_release(&key);
}

/* --- the seeded world: models, Resource Manager web services ----------- */

/* Train seed model @p m into its blob, unless the blob exists. */
static amlr_code seed_model(struct emu_bes *bes, amlr_error *err,
			    const struct emu_seed_model *m)
{
	learn_train_opts opts = LEARN_TRAIN_OPTS_INIT;
	struct emu_blob_fail bf;
	struct emu_blob_info info;
	amlr_buf csv = AMLR_BUF_INIT;
	learn_model *model = NULL;
	char lerr[LEARN_ERR_SIZE] = "", *bytes = NULL;
	uint64_t off, len;
	size_t n = 0;
	amlr_code rc;

	memset(&bf, 0, sizeof(bf));
	rc = emu_blob_container_create(bes->world->blob, &bf, m->account,
				       m->container, &info);
	if (rc != AMLR_OK && rc != AMLR_ECONFLICT)
		goto fail;
	memset(&bf, 0, sizeof(bf));
	rc = emu_blob_read(bes->world->blob, &bf, m->account, m->container,
			   m->blob, NULL, NULL, &info, &off, &len, NULL);
	if (rc == AMLR_OK)
		goto done; /* kept from an earlier start */
	if ((rc = amlr_file_read(&csv, err, m->data, 64u << 20)) != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EIO, "seed: cannot read '%s'",
				    m->data);
		goto done;
	}
	opts.label = m->label;
	if (learn_train_mem(&model, csv.ptr ? csv.ptr : "", csv.len, &opts,
			    lerr) != LEARN_OK ||
	    learn_model_save(&bytes, &n, model, lerr) != LEARN_OK) {
		rc = amlr_error_set(err, AMLR_EIO, "seed: '%s': %s", m->data,
				    lerr);
		goto done;
	}
	memset(&bf, 0, sizeof(bf));
	rc = emu_blob_put(bes->world->blob, &bf, m->account, m->container,
			  m->blob, bytes, n, "application/octet-stream", NULL,
			  NULL, &info);
fail:
	if (rc != AMLR_OK && rc != AMLR_EFAIL)
		rc = amlr_error_set(err, AMLR_EIO,
				    "seed: cannot store model '%s/%s': %s",
				    m->container, m->blob, bf.message);
done:
	free(bytes);
	learn_model_free(model);
	amlr_buf_release(&csv);
	return rc;
}

static void seed_call(struct emu_arm_call *call, const char *base_url,
		      const struct emu_seed_service *v)
{
	memset(call, 0, sizeof(*call));
	call->base_url = base_url;
	call->api = EMU_ARM_STABLE;
	call->sub = v->subscription_id;
	call->rg = v->group;
	call->name = v->name;
}

/* Create seed web service @p v from its definition, unless it exists. */
static amlr_code seed_service(struct emu_bes *bes, amlr_error *err,
			      const struct emu_seed_service *v)
{
	struct emu_arm_result res = EMU_ARM_RESULT_INIT;
	struct emu_arm_call call;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *def = NULL;
	amlr_code rc;

	seed_call(&call, "", v);
	if ((rc = emu_arm_ws_get(bes->world->arm, &res, &call, NULL)) !=
	    AMLR_OK)
		goto done;
	if (res.status == 200)
		goto done; /* kept from an earlier start */
	emu_arm_result_release(&res);
	if ((rc = amlr_file_read(&text, err, v->definition, 16u << 20)) !=
	    AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EIO, "seed: cannot read '%s'",
				    v->definition);
		goto done;
	}
	if (amlr_json_parse(&def, NULL, text.ptr, text.len) != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EIO, "seed: '%s' is not JSON",
				    v->definition);
		goto done;
	}
	if ((rc = emu_arm_ws_put(bes->world->arm, &res, &call, def)) != AMLR_OK)
		goto done;
	if (res.status >= 400)
		rc = amlr_error_set(err, AMLR_EIO, "seed: '%s': %s",
				    v->definition, res.message);
done:
	emu_arm_result_release(&res);
	amlr_json_free(def);
	amlr_buf_release(&text);
	return rc;
}

amlr_code emu_bes_seed(struct emu_bes *bes, amlr_error *err)
{
	const struct emu_seed *seed = bes->world->seed;
	size_t i;
	amlr_code rc = AMLR_OK;

	for (i = 0; rc == AMLR_OK && i < seed->nmodels; i++)
		rc = seed_model(bes, err, &seed->models[i]);
	for (i = 0; rc == AMLR_OK && i < seed->nservices; i++)
		rc = seed_service(bes, err, &seed->services[i]);
	if (rc == AMLR_EFAIL && !err->message[0])
		amlr_error_set(err, rc, "out of memory");
	return rc;
}

static amlr_code export(amlr_buf *out, const char *name, const char *value)
{
	return amlr_buf_printf(out, "export %s='%s'\n", name, value);
}

/* The first seeded Resource Manager web service of @p role, or NULL. */
static const struct emu_seed_service *seed_role(const struct emu_seed *seed,
						const char *role)
{
	size_t i;

	for (i = 0; i < seed->nservices; i++)
		if (seed->services[i].role &&
		    strcmp(seed->services[i].role, role) == 0)
			return &seed->services[i];
	return NULL;
}

/* AMLR_TRAINING_API_LOCATION and _KEY of the training service @p v. */
static amlr_code training_env(amlr_buf *out, struct emu_bes *bes,
			      const char *url, const struct emu_seed_service *v)
{
	struct emu_arm_result res = EMU_ARM_RESULT_INIT;
	struct emu_arm_call call;
	amlr_json *doc = NULL;
	amlr_buf loc = AMLR_BUF_INIT;
	const char *swagger;
	size_t n;
	amlr_code rc = AMLR_EFAIL;

	seed_call(&call, url, v);
	if (emu_arm_ws_get(bes->world->arm, &res, &call, NULL) != AMLR_OK ||
	    res.status != 200 ||
	    amlr_json_parse(&doc, NULL, res.body.ptr, res.body.len) !=
		    AMLR_OK ||
	    !(swagger = amlr_json_get_str(amlr_json_get(doc, "properties"),
					  "swaggerLocation")))
		goto done;
	/* The execution URL: swaggerLocation without "/swagger.json". */
	n = strlen(swagger);
	if (n > 13 && strcmp(swagger + n - 13, "/swagger.json") == 0)
		n -= 13;
	if (amlr_buf_put(&loc, swagger, n) != AMLR_OK ||
	    export(out, "AMLR_TRAINING_API_LOCATION", loc.ptr) != AMLR_OK)
		goto done;
	amlr_json_free(doc);
	doc = NULL;
	emu_arm_result_release(&res);
	if (emu_arm_ws_keys(bes->world->arm, &res, &call) != AMLR_OK ||
	    res.status != 200 ||
	    amlr_json_parse(&doc, NULL, res.body.ptr, res.body.len) !=
		    AMLR_OK ||
	    !amlr_json_get_str(doc, "primary"))
		goto done;
	rc = export(out, "AMLR_TRAINING_API_KEY",
		    amlr_json_get_str(doc, "primary"));
done:
	amlr_json_free(doc);
	emu_arm_result_release(&res);
	amlr_buf_release(&loc);
	return rc;
}

amlr_code emu_bes_env(amlr_buf *out, struct emu_bes *bes, const char *url)
{
	const struct emu_seed *seed = bes->world->seed;
	const struct emu_seed_service *v;
	amlr_code rc = AMLR_OK;

	if ((v = seed_role(seed, "training")))
		rc = training_env(out, bes, url, v);
	if (rc == AMLR_OK && (v = seed_role(seed, "predictive")))
		rc = export(out, "AMLR_PREDICTIVE_NAME", v->name);
	if (rc == AMLR_OK && seed->data_dir)
		rc = export(out, "AMLR_DATA_DIR", seed->data_dir);
	return rc;
}
