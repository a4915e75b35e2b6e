/* SPDX-License-Identifier: MIT */
/* The fleet engine: many targets' state machines over one curl multi. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "amlr/bes.h"
#include "amlr/buf.h"
#include "amlr/classic.h"
#include "amlr/connstr.h"
#include "amlr/fleet.h"
#include "amlr/sas.h"
#include "amlr/secret.h"
#include "fleet_internal.h"
#include "http_internal.h"

#define RESP_MAX ((size_t)8 << 20)
#define PROGRESS_EVERY_MS 200
#define DEFAULT_POLL_MIN_MS 250
#define DEFAULT_POLL_MAX_MS 5000
#define DEFAULT_SAS_LIFETIME_S (24 * 3600 + 300)
#define JOB_ID_MAX 128
#define TRACE_LINE_MAX 512
#define THROTTLED_MAX 32 /* waits a server asked for, per request */

/* What a target does next: one request each, in this order. */
enum step {
	ST_QUEUED, /* not started */
	ST_CHECK, /* GET the endpoint (create) */
	ST_CREATE, /* PUT it */
	ST_SUBMIT, /* POST .../jobs */
	ST_START, /* POST .../jobs/{id}/start */
	ST_POLL, /* GET .../jobs/{id} */
	ST_CANCEL, /* DELETE .../jobs/{id} after the timeout */
	ST_PRECHECK, /* GET the endpoint: patched already? (resumed) */
	ST_PATCH, /* PATCH the endpoint */
	ST_VERIFY, /* GET the endpoint: at the new model? */
	ST_END /* finished: res says how */
};

/* The names of the steps, for results and messages. */
static const char *const step_names[] = {
	"queued", "create", "create", "submit", "start", "polling",
	"cancel", "patch",  "patch",  "verify", "done",
};

struct target {
	char *endpoint;
	char *input; /* retrain: container/blob */
	char *resource; /* NULL: the fleet's */
	enum step step;
	int running; /* a transfer is in flight */
	uint64_t wake_ms; /* the next request not before */
	/* the request in flight (or the last one) */
	CURL *h;
	const char *method;
	char *url;
	struct curl_slist *headers; /* secrets: wiped */
	amlr_buf body; /* secret: wiped */
	amlr_buf resp;
	struct amlr_http__headers rh;
	char errbuf[CURL_ERROR_SIZE];
	char request_id[AMLR_HTTP__GUID_SIZE];
	unsigned attempt; /* 1 for the first try */
	unsigned throttled; /* retries after 429/503 with a wait given */
	uint64_t first_ms;
	/* the job */
	char *job_id;
	int need_start; /* resumed after submit: start it if NotStarted */
	uint64_t job_start_ms; /* when the wait began (for the timeout) */
	unsigned polls;
	int repoll_for_sas; /* resumed: poll only to get a fresh SAS */
	/* the model */
	char *base; /* BaseLocation */
	char *rel; /* RelativeLocation */
	char *sas; /* SasBlobToken: a secret */
	char *model; /* base + rel, no SAS */
	char *container; /* set-model: the blob's container and name */
	char *blob;
	const char *journalled; /* the last phase written, or NULL */
	/* the result */
	char *message;
	amlr_fleet_result res;
};

struct amlr_fleet {
	amlr_fleet_opts o; /* strings copied below */
	char *mgmt; /* M/workspaces/{ws}/webservices/{svc}/endpoints */
	char *mgmt_root; /* the management base URL */
	char *workspace, *webservice;
	char *token; /* secret */
	char *connstr; /* secret */
	char *bes; /* ApiLocation, normal form */
	char *api_key; /* secret */
	char *container, *prefix, *input_name, *output_name, *resource;
	char *journal_path;
	int mgmt_loopback, bes_loopback;
	amlr_connstr *cs;
	char *blob_base; /* BlobEndpoint + "/" */
	char *user_agent;
	char *ca_bundle;
	char correlation_id[AMLR_HTTP__GUID_SIZE];
	struct target *t;
	size_t n, cap;
	amlr_json *view; /* the journal's, when resuming */
	struct amlr_fleet__journal j;
	/* a run */
	CURLM *multi;
	CURL **pool;
	size_t npool;
	struct target **active;
	size_t nactive, next;
	uint64_t start_ms, last_progress_ms;
	size_t done, failed;
	amlr_error err; /* the engine's, for the run */
	amlr_fleet_progress_cb progress;
	void *progress_payload;
	amlr_trace_cb trace;
	void *trace_payload;
};

/* --- small helpers ------------------------------------------------------ */

static amlr_code oom(amlr_error *err)
{
	return amlr_error_set(err, AMLR_EFAIL, "out of memory");
}

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (!s)
		return 0;
	return (*out = strdup(s)) ? 0 : -1;
}

__attribute__((format(printf, 2, 3))) static void tracef(amlr_fleet *f,
							 const char *fmt, ...)
{
	char line[TRACE_LINE_MAX];
	va_list ap;
	int n;

	if (!f->trace)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	f->trace(AMLR_TRACE_INFO, line, (size_t)n, f->trace_payload);
}

/* An identifier as one URL path segment (unreserved characters kept). */
static amlr_code put_segment(amlr_buf *b, const char *s)
{
	const unsigned char *p;
	amlr_code rc = AMLR_OK;

	for (p = (const unsigned char *)s; *p && rc == AMLR_OK; p++)
		rc = isalnum(*p) || strchr("-._~", *p)
			     ? amlr_buf_put(b, p, 1)
			     : amlr_buf_printf(b, "%%%02X", *p);
	return rc;
}

/* A blob path ("container/a/b.ilearner"): segments encoded, '/' kept. */
static amlr_code put_path(amlr_buf *b, const char *s)
{
	const unsigned char *p;
	amlr_code rc = AMLR_OK;

	for (p = (const unsigned char *)s; *p && rc == AMLR_OK; p++)
		rc = isalnum(*p) || strchr("-._~/", *p)
			     ? amlr_buf_put(b, p, 1)
			     : amlr_buf_printf(b, "%%%02X", *p);
	return rc;
}

/*
 * BaseLocation + RelativeLocation as one URL without a query: exactly
 * one '/' between them, whatever each side brings (notes §1.3).
 */
static char *join_location(const char *base, const char *rel)
{
	amlr_buf b = AMLR_BUF_INIT;
	size_t bn = strlen(base), rn;

	while (bn > 0 && base[bn - 1] == '/')
		bn--;
	while (*rel == '/')
		rel++;
	rn = strcspn(rel, "?#");
	if (amlr_buf_put(&b, base, bn) != AMLR_OK ||
	    amlr_buf_puts(&b, "/") != AMLR_OK ||
	    amlr_buf_put(&b, rel, rn) != AMLR_OK) {
		amlr_buf_release(&b);
		return NULL;
	}
	return amlr_buf_detach(&b);
}

/* Check an http(s) URL: https, or http to a loopback host. */
static amlr_code check_url(int *loopback, amlr_error *err, const char *url,
			   const char *what)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	amlr_code rc = AMLR_EINVAL;

	*loopback = 0;
	if (!u) {
		rc = oom(err);
		goto done;
	}
	if (!url || !*url ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		amlr_error_set(err, rc, "%s is not a URL", what);
		goto done;
	}
	*loopback = amlr_http__is_loopback(host);
	if (strcmp(scheme, "https") != 0 &&
	    !(strcmp(scheme, "http") == 0 && *loopback)) {
		amlr_error_set(err, rc,
			       "%s must be https:// (http:// only to loopback)",
			       what);
		goto done;
	}
	rc = AMLR_OK;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The ApiLocation without query, trailing '/', "/jobs" or "/execute". */
static char *normal_api_location(const char *api)
{
	size_t n = strcspn(api, "?#");
	char *s;

	for (;;) {
		while (n > 0 && api[n - 1] == '/')
			n--;
		if (n >= 5 && strncmp(api + n - 5, "/jobs", 5) == 0)
			n -= 5;
		else if (n >= 8 && strncmp(api + n - 8, "/execute", 8) == 0)
			n -= 8;
		else
			break;
	}
	if (!(s = malloc(n + 1)))
		return NULL;
	memcpy(s, api, n);
	s[n] = '\0';
	return s;
}

/* "container/blob": a container name of the service's rule and a blob. */
static int blob_ref_valid(const char *ref)
{
	const char *slash = ref ? strchr(ref, '/') : NULL;
	size_t n, i;

	if (!slash || !slash[1] || strchr(ref, '?') || strchr(ref, '#'))
		return 0;
	n = (size_t)(slash - ref);
	if (n < 3 || n > 63 || ref[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)ref[i]) ||
		      isdigit((unsigned char)ref[i]) || ref[i] == '-'))
			return 0;
	return 1;
}

static int ends_with_ilearner(const char *s)
{
	size_t n = strlen(s);

	return n > 9 && strcasecmp(s + n - 9, ".ilearner") == 0;
}

/* --- the fleet ---------------------------------------------------------- */

const char *amlr_fleet_status_name(amlr_fleet_status status)
{
	switch (status) {
	case AMLR_FLEET_DONE:
		return "done";
	case AMLR_FLEET_DONE_EARLIER:
		return "done-earlier";
	case AMLR_FLEET_FAILED:
		return "failed";
	case AMLR_FLEET_NOT_RUN:
		break;
	}
	return "not-run";
}

/* The first line of a new journal: which fleet it belongs to. */
static amlr_code journal_header(amlr_buf *out, const amlr_fleet *f)
{
	amlr_json *h = NULL;
	amlr_code rc = AMLR_EFAIL;

	if (amlr_json_new_object(&h) == AMLR_OK &&
	    amlr_json_set_str(h, "fleet", "amlretrain") == AMLR_OK &&
	    amlr_json_set_int(h, "version", 1) == AMLR_OK &&
	    amlr_json_set_str(h, "mode",
			      f->o.mode == AMLR_FLEET_RETRAIN
				      ? "retrain"
				      : "set-model") == AMLR_OK &&
	    amlr_json_set_str(h, "workspace", f->workspace) == AMLR_OK &&
	    amlr_json_set_str(h, "webservice", f->webservice) == AMLR_OK &&
	    amlr_json_serialize(out, h, 0) == AMLR_OK)
		rc = AMLR_OK;
	amlr_json_free(h);
	return rc;
}

/* Read the journal, check that it is this fleet's, open it to append. */
static amlr_code open_journal(amlr_fleet *f, amlr_error *err)
{
	amlr_json *header = NULL;
	amlr_buf line = AMLR_BUF_INIT;
	const char *mode, *ws, *svc;
	const char *want =
		f->o.mode == AMLR_FLEET_RETRAIN ? "retrain" : "set-model";
	amlr_code rc;

	rc = amlr_fleet__journal_load(&f->view, &header, err, f->journal_path);
	if (rc == AMLR_ENOTFOUND) {
		amlr_error_clear(err);
		rc = AMLR_OK;
	}
	if (rc != AMLR_OK)
		goto done;
	if (header) {
		mode = amlr_json_get_str(header, "mode");
		ws = amlr_json_get_str(header, "workspace");
		svc = amlr_json_get_str(header, "webservice");
		if (!mode || !ws || !svc || strcmp(mode, want) != 0 ||
		    strcmp(ws, f->workspace) != 0 ||
		    strcmp(svc, f->webservice) != 0) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"the state file '%s' belongs to another fleet (%s of web service '%s'): use another state file",
				f->journal_path, mode ? mode : "?",
				svc ? svc : "?");
			goto done;
		}
	}
	if (journal_header(&line, f) != AMLR_OK) {
		rc = oom(err);
		goto done;
	}
	rc = amlr_fleet__journal_open(&f->j, err, f->journal_path, line.ptr);
done:
	amlr_json_free(header);
	amlr_buf_release(&line);
	return rc;
}

amlr_code amlr_fleet_new(amlr_fleet **out, amlr_error *err,
			 const amlr_fleet_opts *opts)
{
	amlr_fleet *f = NULL;
	amlr_buf b = AMLR_BUF_INIT;
	const char *ep;
	int lb;
	amlr_code rc = AMLR_EINVAL;

	*out = NULL;
	amlr_error_clear(err);
	if (!(f = calloc(1, sizeof(*f)))) {
		rc = oom(err);
		goto done;
	}
	f->j.fd = -1;
	f->o = *opts;
	if (!f->o.concurrency)
		f->o.concurrency = AMLR_FLEET_DEFAULT_CONCURRENCY;
	if (f->o.concurrency > AMLR_FLEET_MAX_CONCURRENCY) {
		amlr_error_set(err, rc, "the concurrency must be 1 to %d",
			       AMLR_FLEET_MAX_CONCURRENCY);
		goto done;
	}
	if (!f->o.poll_min_ms)
		f->o.poll_min_ms = DEFAULT_POLL_MIN_MS;
	if (!f->o.poll_max_ms)
		f->o.poll_max_ms = DEFAULT_POLL_MAX_MS;
	if (f->o.poll_min_ms > f->o.poll_max_ms)
		f->o.poll_min_ms = f->o.poll_max_ms;
	if (!f->o.sas_lifetime_s)
		f->o.sas_lifetime_s = DEFAULT_SAS_LIFETIME_S;
	if (!opts->workspace_id || !*opts->workspace_id) {
		amlr_error_set(err, rc, "no workspace id given");
		goto done;
	}
	if (!opts->webservice_id || !*opts->webservice_id) {
		amlr_error_set(err, rc, "no web service id given");
		goto done;
	}
	if (!opts->workspace_token || !*opts->workspace_token) {
		amlr_error_set(err, rc, "no workspace token given");
		goto done;
	}
	if ((rc = check_url(&f->mgmt_loopback, err, opts->management_endpoint,
			    "the management endpoint")) != AMLR_OK)
		goto done;
	if (!opts->connection_string || !*opts->connection_string) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "no storage connection string given");
		goto done;
	}
	if ((rc = amlr_connstr_parse(&f->cs, err, opts->connection_string)) !=
	    AMLR_OK)
		goto done;
	rc = AMLR_EINVAL;
	if (!amlr_connstr_account(f->cs) || !amlr_connstr_key(f->cs)) {
		amlr_error_set(
			err, rc,
			"the storage connection string needs AccountName and AccountKey (jobs and model SASs are made with the key)");
		goto done;
	}
	if (!(ep = amlr_connstr_blob_endpoint(f->cs))) {
		amlr_error_set(
			err, rc,
			"the storage connection string has no blob endpoint");
		goto done;
	}
	if ((rc = check_url(&lb, err, ep, "the blob endpoint")) != AMLR_OK)
		goto done;
	rc = AMLR_EINVAL;
	if (opts->mode == AMLR_FLEET_RETRAIN) {
		if (!opts->api_location || !opts->api_key || !*opts->api_key) {
			amlr_error_set(
				err, rc,
				"retraining needs the training endpoint's API location and key");
			goto done;
		}
		if ((rc = check_url(&f->bes_loopback, err, opts->api_location,
				    "the API location")) != AMLR_OK)
			goto done;
		rc = AMLR_EINVAL;
		if (!opts->container || !*opts->container) {
			amlr_error_set(
				err, rc,
				"retraining needs a container for the models");
			goto done;
		}
		if (!blob_ref_valid(opts->container) &&
		    (amlr_buf_printf(&b, "%s/x", opts->container) != AMLR_OK ||
		     !blob_ref_valid(b.ptr))) {
			amlr_error_set(
				err, rc,
				"invalid container name '%.64s': 3-63 lower-case letters, digits and hyphens",
				opts->container);
			goto done;
		}
		amlr_buf_clear(&b);
	}
	rc = AMLR_EFAIL;
	/* The management path of the endpoints, ids encoded. */
	ep = opts->management_endpoint;
	if (amlr_buf_put(&b, ep, strlen(ep) - (ep[strlen(ep) - 1] == '/')) !=
		    AMLR_OK ||
	    amlr_buf_puts(&b, "/workspaces/") != AMLR_OK ||
	    put_segment(&b, opts->workspace_id) != AMLR_OK ||
	    amlr_buf_puts(&b, "/webservices/") != AMLR_OK ||
	    put_segment(&b, opts->webservice_id) != AMLR_OK ||
	    amlr_buf_puts(&b, "/endpoints") != AMLR_OK ||
	    !(f->mgmt = amlr_buf_detach(&b)))
		goto done;
	if (amlr_buf_printf(&b, "%s/", amlr_connstr_blob_endpoint(f->cs)) !=
		    AMLR_OK ||
	    !(f->blob_base = amlr_buf_detach(&b)))
		goto done;
	if (dup_opt(&f->mgmt_root, opts->management_endpoint) ||
	    dup_opt(&f->workspace, opts->workspace_id) ||
	    dup_opt(&f->webservice, opts->webservice_id) ||
	    dup_opt(&f->token, opts->workspace_token) ||
	    dup_opt(&f->connstr, opts->connection_string) ||
	    dup_opt(&f->api_key, opts->api_key) ||
	    dup_opt(&f->container, opts->container) ||
	    dup_opt(&f->prefix, opts->prefix) ||
	    dup_opt(&f->input_name,
		    opts->input_name ? opts->input_name : "input1") ||
	    dup_opt(&f->output_name,
		    opts->output_name ? opts->output_name : "output1") ||
	    dup_opt(&f->resource, opts->resource) ||
	    dup_opt(&f->journal_path, opts->journal) ||
	    dup_opt(&f->ca_bundle, opts->http.ca_bundle))
		goto done;
	if (opts->api_location &&
	    !(f->bes = normal_api_location(opts->api_location)))
		goto done;
	if (amlr_http__user_agent(&b, opts->http.user_agent) != AMLR_OK ||
	    !(f->user_agent = amlr_buf_detach(&b)))
		goto done;
	/* Only the copies are used from here on. */
	f->o.management_endpoint = f->o.workspace_id = NULL;
	f->o.workspace_token = f->o.webservice_id = NULL;
	f->o.connection_string = f->o.api_location = f->o.api_key = NULL;
	f->o.container = f->o.prefix = f->o.input_name = NULL;
	f->o.output_name = f->o.resource = f->o.journal = NULL;
	f->o.http.ca_bundle = f->o.http.user_agent = NULL;
	f->o.http.correlation_id = NULL;
	if (opts->http.correlation_id)
		snprintf(f->correlation_id, sizeof(f->correlation_id), "%s",
			 opts->http.correlation_id);
	else
		amlr_http__new_guid(f->correlation_id);
	if (f->journal_path && (rc = open_journal(f, err)) != AMLR_OK)
		goto done;
	*out = f;
	f = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL && err->code == AMLR_OK)
		oom(err);
	amlr_buf_release(&b);
	amlr_fleet_free(f);
	return rc;
}

static void target_release(struct target *t)
{
	free(t->endpoint);
	free(t->input);
	free(t->resource);
	free(t->url);
	amlr_buf_release_secret(&t->body);
	amlr_buf_release_secret(&t->resp);
	amlr_http__headers_release(&t->rh);
	free(t->job_id);
	free(t->base);
	free(t->rel);
	amlr_secret_free(t->sas);
	free(t->model);
	free(t->container);
	free(t->blob);
	free(t->message);
}

/* Wipe the header lines (a token or key is among them) and free them. */
static void headers_free(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		amlr_secret_wipe(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

void amlr_fleet_free(amlr_fleet *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++) {
		headers_free(f->t[i].headers);
		target_release(&f->t[i]);
	}
	free(f->t);
	free(f->mgmt);
	free(f->mgmt_root);
	free(f->workspace);
	free(f->webservice);
	amlr_secret_free(f->token);
	amlr_secret_free(f->connstr);
	free(f->bes);
	amlr_secret_free(f->api_key);
	free(f->container);
	free(f->prefix);
	free(f->input_name);
	free(f->output_name);
	free(f->resource);
	free(f->journal_path);
	amlr_connstr_free(f->cs);
	free(f->blob_base);
	free(f->user_agent);
	free(f->ca_bundle);
	amlr_json_free(f->view);
	amlr_fleet__journal_close(&f->j);
	free(f);
}

void amlr_fleet_set_progress_cb(amlr_fleet *f, amlr_fleet_progress_cb cb,
				void *payload)
{
	f->progress = cb;
	f->progress_payload = payload;
}

void amlr_fleet_set_trace_cb(amlr_fleet *f, amlr_trace_cb cb, void *payload)
{
	f->trace = cb;
	f->trace_payload = payload;
}

size_t amlr_fleet_count(const amlr_fleet *f)
{
	return f->n;
}

const amlr_fleet_result *amlr_fleet_result_at(const amlr_fleet *f, size_t i)
{
	return i < f->n ? &f->t[i].res : NULL;
}

/* Point the result's strings at the target's current values. */
static void sync_result(struct target *t)
{
	t->res.endpoint = t->endpoint;
	t->res.message = t->message;
	t->res.job_id = t->job_id;
	t->res.model = t->model;
}

/* Where a set-model target's blob is: base, rel and the joined model. */
static amlr_code set_model_location(amlr_fleet *f, struct target *t,
				    const char *ref)
{
	amlr_buf rel = AMLR_BUF_INIT;
	const char *slash = strchr(ref, '/');
	amlr_code rc = AMLR_EFAIL;

	if (!(t->container = strndup(ref, (size_t)(slash - ref))) ||
	    !(t->blob = strdup(slash + 1)) || put_path(&rel, ref) != AMLR_OK ||
	    !(t->rel = amlr_buf_detach(&rel)) ||
	    !(t->base = strdup(f->blob_base)) ||
	    !(t->model = join_location(t->base, t->rel)))
		goto done;
	rc = AMLR_OK;
done:
	amlr_buf_release(&rel);
	return rc;
}

amlr_code amlr_fleet_add(amlr_fleet *f, amlr_error *err,
			 const amlr_fleet_target *target)
{
	struct target *t, *grown;
	const char *ref;
	size_t i;
	amlr_code rc;

	amlr_error_clear(err);
	if ((rc = amlr_classic_check_endpoint_name(err, target->endpoint)) !=
	    AMLR_OK)
		return rc;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->t[i].endpoint, target->endpoint) == 0)
			return amlr_error_set(err, AMLR_EINVAL,
					      "endpoint '%s' is listed twice",
					      target->endpoint);
	ref = f->o.mode == AMLR_FLEET_RETRAIN ? target->input : target->model;
	if (!ref || !*ref)
		return amlr_error_set(
			err, AMLR_EINVAL, "endpoint '%s' has no %s",
			target->endpoint,
			f->o.mode == AMLR_FLEET_RETRAIN ? "input" : "model");
	if (!blob_ref_valid(ref))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid blob reference '%.128s' of endpoint '%s': expected CONTAINER/BLOB",
			ref, target->endpoint);
	if (f->o.mode == AMLR_FLEET_SET_MODEL && !ends_with_ilearner(ref))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"the model '%.128s' of endpoint '%s' is not a .ilearner blob",
			ref, target->endpoint);
	if (f->n == f->cap) {
		if (!(grown = realloc(f->t, (f->cap ? f->cap * 2 : 64) *
						    sizeof(*grown))))
			return oom(err);
		f->t = grown;
		f->cap = f->cap ? f->cap * 2 : 64;
	}
	t = &f->t[f->n];
	memset(t, 0, sizeof(*t));
	t->res.status = AMLR_FLEET_NOT_RUN;
	t->res.phase = "queued";
	if (!(t->endpoint = strdup(target->endpoint)) ||
	    (f->o.mode == AMLR_FLEET_RETRAIN &&
	     !(t->input = strdup(target->input))) ||
	    (target->resource && *target->resource &&
	     !(t->resource = strdup(target->resource))) ||
	    (f->o.mode == AMLR_FLEET_SET_MODEL &&
	     set_model_location(f, t, ref) != AMLR_OK)) {
		target_release(t);
		return oom(err);
	}
	sync_result(t);
	f->n++;
	return AMLR_OK;
}

/* --- requests ----------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct target *t = userp;
	size_t len = size * n;

	if (len > RESP_MAX - t->resp.len ||
	    amlr_buf_put(&t->resp, data, len) != AMLR_OK)
		return 0;
	return len;
}

static const char *resource_of(const amlr_fleet *f, const struct target *t)
{
	return t->resource ? t->resource : f->resource;
}

static amlr_code add_header(struct curl_slist **l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static amlr_code add_header(struct curl_slist **l, const char *fmt, ...)
{
	amlr_buf line = AMLR_BUF_INIT;
	struct curl_slist *n;
	va_list ap;
	amlr_code rc;

	va_start(ap, fmt);
	rc = amlr_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (rc == AMLR_OK) {
		if ((n = curl_slist_append(*l, line.ptr)))
			*l = n;
		else
			rc = AMLR_EFAIL;
	}
	amlr_buf_release_secret(&line);
	return rc;
}

/*
 * Send the target's request: @p method on t->url with t->body (when
 * @p with_body) and the bearer secret of the management API (@p bes 0)
 * or of the batch endpoint.  A new request id unless it is a retry.
 */
static amlr_code send_request(amlr_fleet *f, struct target *t,
			      const char *method, int with_body, int bes)
{
	CURL *h;
	amlr_code rc = AMLR_EFAIL;

	if (!f->npool)
		return amlr_error_set(&f->err, AMLR_EFAIL,
				      "no free transfer (a bug)");
	h = f->pool[--f->npool];
	t->h = h;
	t->method = method;
	headers_free(t->headers);
	t->headers = NULL;
	amlr_buf_release_secret(&t->resp);
	amlr_http__headers_clear(&t->rh);
	t->errbuf[0] = '\0';
	if (t->attempt == 0) {
		t->attempt = 1;
		t->throttled = 0;
		t->first_ms = amlr_http__now_ms();
		amlr_http__new_guid(t->request_id);
	}
	if (add_header(&t->headers, "Authorization: Bearer %s",
		       bes ? f->api_key : f->token) != AMLR_OK ||
	    add_header(&t->headers, "Accept: application/json") != AMLR_OK ||
	    add_header(&t->headers, "x-ms-client-request-id: %s",
		       t->request_id) != AMLR_OK ||
	    add_header(&t->headers, "x-ms-correlation-request-id: %s",
		       f->correlation_id) != AMLR_OK ||
	    add_header(&t->headers, "Expect:") != AMLR_OK ||
	    (with_body &&
	     add_header(&t->headers,
			"Content-Type: application/json; charset=utf-8") !=
		     AMLR_OK)) {
		amlr_error_set(&f->err, rc, "out of memory");
		goto done;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, t->url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, t);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, f->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, amlr_http__on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &t->rh);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	if (f->o.http.connect_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 f->o.http.connect_timeout_ms);
	if (f->o.http.timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, f->o.http.timeout_ms);
	if (f->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, f->ca_bundle);
	if (bes ? f->bes_loopback : f->mgmt_loopback)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (with_body || strcmp(method, "POST") == 0) {
		/* Our buffer, not a copy: it is wiped after the transfer. */
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 with_body && t->body.ptr ? t->body.ptr : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
				 with_body ? (long)t->body.len : 0L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (curl_multi_add_handle(f->multi, h) != CURLM_OK) {
		amlr_error_set(&f->err, rc, "cannot start a transfer");
		goto done;
	}
	t->running = 1;
	rc = AMLR_OK;
done:
	if (rc != AMLR_OK) {
		f->pool[f->npool++] = h;
		t->h = NULL;
	}
	return rc;
}

/* t->url = the endpoint's management URL. */
static amlr_code endpoint_url(amlr_fleet *f, struct target *t)
{
	amlr_buf b = AMLR_BUF_INIT;

	free(t->url);
	t->url = NULL;
	if (amlr_buf_printf(&b, "%s/%s", f->mgmt, t->endpoint) != AMLR_OK ||
	    !(t->url = amlr_buf_detach(&b)))
		return oom(&f->err);
	return AMLR_OK;
}

/* t->url = {api}/jobs[/{id}[tail]]?api-version=2.0 */
static amlr_code job_url(amlr_fleet *f, struct target *t, const char *tail)
{
	amlr_buf b = AMLR_BUF_INIT;

	free(t->url);
	t->url = NULL;
	if (amlr_buf_printf(&b, "%s/jobs", f->bes) != AMLR_OK ||
	    (t->job_id && amlr_buf_printf(&b, "/%s%s", t->job_id,
					  tail ? tail : "") != AMLR_OK) ||
	    amlr_buf_puts(&b, "?api-version=2.0") != AMLR_OK ||
	    !(t->url = amlr_buf_detach(&b)))
		return oom(&f->err);
	return AMLR_OK;
}

/* @p s as a JSON string, quotes included (written here, not by json-c,
 * whose copies of a secret could not be wiped). */
static amlr_code put_json_string(amlr_buf *b, const char *s)
{
	const unsigned char *p;
	amlr_code rc = amlr_buf_puts(b, "\"");

	for (p = (const unsigned char *)s; *p && rc == AMLR_OK; p++) {
		if (*p == '"' || *p == '\\')
			rc = amlr_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			rc = amlr_buf_printf(b, "\\u%04x", *p);
		else
			rc = amlr_buf_put(b, p, 1);
	}
	return rc == AMLR_OK ? amlr_buf_puts(b, "\"") : rc;
}

/* One AzureBlobDataReference in account-key form (§1.2). */
static amlr_code put_blob_ref(amlr_buf *b, const char *name,
			      const char *connstr, const char *rel)
{
	amlr_code rc;

	if ((rc = put_json_string(b, name)) != AMLR_OK ||
	    (rc = amlr_buf_puts(b, ":{\"ConnectionString\":")) != AMLR_OK ||
	    (rc = put_json_string(b, connstr)) != AMLR_OK ||
	    (rc = amlr_buf_puts(b, ",\"RelativeLocation\":")) != AMLR_OK ||
	    (rc = put_json_string(b, rel)) != AMLR_OK)
		return rc;
	return amlr_buf_puts(b, "}");
}

/* The BatchExecutionRequest of a target (holds the account key). */
static amlr_code job_request(amlr_fleet *f, struct target *t)
{
	amlr_buf out = AMLR_BUF_INIT;
	amlr_buf *b = &t->body;
	amlr_code rc = AMLR_EFAIL;

	amlr_buf_release_secret(b);
	if (amlr_buf_printf(&out, "%s/", f->container) != AMLR_OK ||
	    (f->prefix && *f->prefix &&
	     amlr_buf_printf(&out, "%s/", f->prefix) != AMLR_OK) ||
	    amlr_buf_printf(&out, "%s.ilearner", t->endpoint) != AMLR_OK ||
	    amlr_buf_puts(b, "{\"Inputs\":{") != AMLR_OK ||
	    put_blob_ref(b, f->input_name, f->connstr, t->input) != AMLR_OK ||
	    amlr_buf_puts(b, "},\"Outputs\":{") != AMLR_OK ||
	    put_blob_ref(b, f->output_name, f->connstr, out.ptr) != AMLR_OK ||
	    amlr_buf_puts(b, "},\"GlobalParameters\":{}}") != AMLR_OK)
		goto done;
	rc = AMLR_OK;
done:
	if (rc != AMLR_OK)
		oom(&f->err);
	amlr_buf_release(&out);
	return rc;
}

/* A read SAS for a set-model target's blob, from the account key. */
static amlr_code make_sas(amlr_fleet *f, struct target *t, amlr_error *err)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	char st[AMLR_SAS_TIME_SIZE], se[AMLR_SAS_TIME_SIZE];
	char *q = NULL;
	amlr_buf b = AMLR_BUF_INIT;
	time_t now = time(NULL);
	amlr_code rc;

	amlr_sas_format_time(st, now - 300);
	amlr_sas_format_time(se, now + (time_t)f->o.sas_lifetime_s);
	v.permissions = "r";
	v.start = st;
	v.expiry = se;
	v.resource = "b";
	if ((rc = amlr_sas_service_new(&q, err, amlr_connstr_account(f->cs),
				       amlr_connstr_key(f->cs), t->container,
				       t->blob, &v)) != AMLR_OK)
		goto done;
	if (amlr_buf_printf(&b, "%s%s", q[0] == '?' ? "" : "?", q) != AMLR_OK) {
		rc = oom(err);
		goto done;
	}
	amlr_secret_free(t->sas);
	t->sas = amlr_buf_detach(&b);
done:
	amlr_secret_free(q);
	amlr_buf_release_secret(&b);
	return rc;
}

/* --- the state machine -------------------------------------------------- */

/* Write a phase to the journal (and remember it); engine errors only. */
static amlr_code journal(amlr_fleet *f, struct target *t, const char *phase,
			 int sync)
{
	amlr_code rc;

	rc = amlr_fleet__journal_append(&f->j, &f->err, t->endpoint, phase,
					t->job_id, t->model, t->res.code,
					t->message, sync);
	if (rc == AMLR_OK)
		t->journalled = phase;
	return rc;
}

/* The target is over: remove it from the active list (at compaction). */
static void finish(amlr_fleet *f, struct target *t, amlr_fleet_status st)
{
	t->res.status = st;
	t->res.phase = st == AMLR_FLEET_FAILED ? step_names[t->step] : "done";
	t->step = ST_END;
	sync_result(t);
	if (st == AMLR_FLEET_FAILED)
		f->failed++;
	else
		f->done++;
}

/* Fail a target with @p code and a message; journals it. */
__attribute__((format(printf, 4, 5))) static amlr_code
fail(amlr_fleet *f, struct target *t, amlr_code code, const char *fmt, ...)
{
	amlr_buf m = AMLR_BUF_INIT;
	va_list ap;
	amlr_code rc;
	enum step at = t->step;

	va_start(ap, fmt);
	rc = amlr_buf_vprintf(&m, fmt, ap);
	va_end(ap);
	free(t->message);
	t->message = rc == AMLR_OK ? amlr_buf_detach(&m) : NULL;
	amlr_buf_release(&m);
	t->res.code = code;
	tracef(f, "fleet: %s: failed (%s): %s", t->endpoint, step_names[at],
	       t->message ? t->message : "");
	rc = journal(f, t, FLEET_PHASE_FAILED, 0);
	finish(f, t, AMLR_FLEET_FAILED);
	t->res.phase = step_names[at];
	return rc;
}

/* Go to @p step, its first request not before @p delay_ms from now. */
static void go(struct target *t, enum step step, uint64_t delay_ms)
{
	t->step = step;
	t->attempt = 0;
	t->wake_ms = amlr_http__now_ms() + delay_ms;
}

/* After the endpoint is known to exist: the job, or the PATCH. */
static void after_endpoint(amlr_fleet *f, struct target *t)
{
	if (f->o.mode == AMLR_FLEET_RETRAIN && t->job_id) {
		/* Made again on a resumed run: its job has the model. */
		t->repoll_for_sas = 1;
		go(t, ST_POLL, 0);
		return;
	}
	go(t, f->o.mode == AMLR_FLEET_RETRAIN ? ST_SUBMIT : ST_PATCH, 0);
}

/* The next poll of the job, or its cancel past the timeout. */
static void next_poll(amlr_fleet *f, struct target *t)
{
	amlr_bes_wait_opts w = AMLR_BES_WAIT_OPTS_INIT;
	uint64_t now = amlr_http__now_ms();

	if (f->o.job_timeout_ms &&
	    now - t->job_start_ms >= f->o.job_timeout_ms) {
		go(t, ST_CANCEL, 0);
		return;
	}
	w.poll_min_ms = f->o.poll_min_ms;
	w.poll_max_ms = f->o.poll_max_ms;
	go(t, ST_POLL, amlr_bes_poll_delay_ms(&w, t->polls + 1));
	t->polls++;
}

/* Issue the request of the target's step. */
static amlr_code issue(amlr_fleet *f, struct target *t)
{
	amlr_error e = AMLR_ERROR_INIT;
	amlr_classic_resource r;
	amlr_code rc;

	switch (t->step) {
	case ST_CHECK:
	case ST_PRECHECK:
	case ST_VERIFY:
		if ((rc = endpoint_url(f, t)) != AMLR_OK)
			return rc;
		return send_request(f, t, "GET", 0, 0);
	case ST_CREATE:
		if ((rc = endpoint_url(f, t)) != AMLR_OK)
			return rc;
		amlr_buf_release_secret(&t->body);
		if (amlr_buf_puts(
			    &t->body,
			    "{\"Description\":null,\"ThrottleLevel\":null,\"MaxConcurrentCalls\":null}") !=
		    AMLR_OK)
			return oom(&f->err);
		return send_request(f, t, "PUT", 1, 0);
	case ST_SUBMIT:
		free(t->job_id);
		t->job_id = NULL;
		if ((rc = job_url(f, t, NULL)) != AMLR_OK ||
		    (rc = job_request(f, t)) != AMLR_OK)
			return rc;
		return send_request(f, t, "POST", 1, 1);
	case ST_START:
		if ((rc = job_url(f, t, "/start")) != AMLR_OK)
			return rc;
		return send_request(f, t, "POST", 0, 1);
	case ST_POLL:
		if ((rc = job_url(f, t, NULL)) != AMLR_OK)
			return rc;
		return send_request(f, t, "GET", 0, 1);
	case ST_CANCEL:
		if ((rc = job_url(f, t, NULL)) != AMLR_OK)
			return rc;
		return send_request(f, t, "DELETE", 0, 1);
	case ST_PATCH:
		if (t->attempt == 0 && f->o.mode == AMLR_FLEET_SET_MODEL &&
		    make_sas(f, t, &e) != AMLR_OK)
			return e.code == AMLR_EFAIL
				       ? oom(&f->err)
				       : fail(f, t, e.code, "%s", e.message);
		/* Journalled first: a resumed run looks before it patches. */
		if (t->attempt == 0 &&
		    (!t->journalled ||
		     strcmp(t->journalled, FLEET_PHASE_PATCHING) != 0) &&
		    (rc = journal(f, t, FLEET_PHASE_PATCHING, 0)) != AMLR_OK)
			return rc;
		if ((rc = endpoint_url(f, t)) != AMLR_OK)
			return rc;
		r.name = resource_of(f, t);
		r.base_location = t->base;
		r.relative_location = t->rel;
		r.sas_blob_token = t->sas;
		amlr_buf_release_secret(&t->body);
		if ((rc = amlr_classic_patch_body(&t->body, &e, &r, 1)) !=
		    AMLR_OK)
			return rc == AMLR_EFAIL
				       ? oom(&f->err)
				       : fail(f, t, rc, "%s", e.message);
		return send_request(f, t, "PATCH", 1, 0);
	case ST_QUEUED:
	case ST_END:
		break;
	}
	return AMLR_OK;
}

/* A failure before anything was sent: a submit may be tried again. */
static int never_sent(CURLcode cc)
{
	return cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_COULDNT_CONNECT;
}

/*
 * Schedule another try if the policy allows; 1 when scheduled.  A 429 or
 * 503 that says when to come back is a queue, not a failure: it does not
 * use up the policy's tries (up to THROTTLED_MAX of them, within the
 * policy's total time), and a quarter of its wait is added at random so
 * that the targets it turned away do not all come back at once.
 */
static int retry(amlr_fleet *f, struct target *t, long status)
{
	const amlr_retry_policy *p = &f->o.http.retry;
	uint64_t delay = 0, now = amlr_http__now_ms();
	int given = 0, throttled;

	if (status)
		given = amlr_retry_parse_after_ms(
				&delay,
				amlr_http__headers_get(
					&t->rh, "x-ms-retry-after-ms")) ||
			amlr_retry_parse_after_ms(
				&delay, amlr_http__headers_get(
						&t->rh, "retry-after-ms")) ||
			amlr_retry_parse_after(
				&delay,
				amlr_http__headers_get(&t->rh, "Retry-After"),
				time(NULL));
	throttled = given && (status == 429 || status == 503) &&
		    t->throttled < THROTTLED_MAX;
	if (!throttled && t->attempt >= p->max_attempts)
		return 0;
	if (!given)
		delay = amlr_retry_backoff_ms(p, t->attempt,
					      amlr_http__random_u32());
	else if (throttled)
		delay += amlr_http__random_u32() % (delay / 4 + 1);
	if (now - t->first_ms + delay > p->max_total_ms)
		return 0;
	if (status)
		tracef(f, "fleet: %s: retry in %llu ms: HTTP %ld from %s",
		       t->endpoint, (unsigned long long)delay, status,
		       t->method);
	else
		tracef(f, "fleet: %s: retry %u of %u in %llu ms: %s from %s",
		       t->endpoint, t->attempt, p->max_attempts - 1,
		       (unsigned long long)delay,
		       t->errbuf[0] ? t->errbuf : "transfer failed", t->method);
	if (throttled)
		t->throttled++;
	else
		t->attempt++;
	t->wake_ms = now + delay;
	return 1;
}

/* The reply's JSON, or NULL. */
static amlr_json *reply_json(const struct target *t)
{
	amlr_json *doc = NULL;

	if (!t->resp.len ||
	    amlr_json_parse(&doc, NULL, t->resp.ptr, t->resp.len) != AMLR_OK)
		return NULL;
	return doc;
}

/* Where the endpoint's resource points now (joined, no SAS), or NULL. */
static char *resource_location(const amlr_fleet *f, const struct target *t,
			       const amlr_json *ep, int *found)
{
	const amlr_json *list = amlr_json_get(ep, "Resources"), *r, *loc;
	const char *name = resource_of(f, t), *rn, *base, *rel;
	size_t i;

	*found = 0;
	for (i = 0; i < amlr_json_len(list); i++) {
		r = amlr_json_at(list, i);
		rn = amlr_json_get_str(r, "Name");
		if (!rn || strcmp(rn, name) != 0)
			continue;
		*found = 1;
		loc = amlr_json_get(r, "Location");
		base = amlr_json_get_str(loc, "BaseLocation");
		rel = amlr_json_get_str(loc, "RelativeLocation");
		return base && rel ? join_location(base, rel) : NULL;
	}
	return NULL;
}

/* A job id reply: a JSON string of [A-Za-z0-9_-]. */
static char *parse_job_id(const struct target *t)
{
	amlr_json *doc = reply_json(t);
	const char *s = amlr_json_str(doc);
	char *id = NULL;
	size_t n;

	if (s && (n = strlen(s)) > 0 && n <= JOB_ID_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-_") == n)
		id = strdup(s);
	amlr_json_free(doc);
	return id;
}

/* StatusCode as a string or the legacy integer (notes §1.3); -1 else. */
static int job_state(const amlr_json *doc)
{
	static const char *const names[] = { "NotStarted", "Running", "Failed",
					     "Cancelled", "Finished" };
	const amlr_json *v = amlr_json_get(doc, "StatusCode");
	const char *s = amlr_json_str(v);
	int64_t n;
	int i;

	if (s) {
		for (i = 0; i < 5; i++)
			if (strcasecmp(s, names[i]) == 0)
				return i;
		return strcasecmp(s, "Canceled") == 0 ? AMLR_BES_CANCELLED : -1;
	}
	if (amlr_json_int(&n, v) && n >= 0 && n <= 4)
		return (int)n;
	return -1;
}

/* A finished job: take its output's location and SAS. */
static amlr_code take_output(amlr_fleet *f, struct target *t,
			     const amlr_json *doc, int *ok)
{
	const amlr_json *res = amlr_json_get(doc, "Results"), *o;
	const char *base, *rel, *sas;

	*ok = 0;
	o = amlr_json_get(res, f->output_name);
	if (!o && strcmp(f->output_name, "output1") == 0)
		o = amlr_json_get(doc, "Result"); /* the legacy form */
	base = amlr_json_get_str(o, "BaseLocation");
	rel = amlr_json_get_str(o, "RelativeLocation");
	sas = amlr_json_get_str(o, "SasBlobToken");
	if (!base || !rel || !sas)
		return AMLR_OK;
	free(t->base);
	free(t->rel);
	amlr_secret_free(t->sas);
	free(t->model);
	t->base = t->rel = t->sas = t->model = NULL;
	if (!(t->base = strdup(base)) || !(t->rel = strdup(rel)) ||
	    !(t->sas = strdup(sas)) || !(t->model = join_location(base, rel)))
		return oom(&f->err);
	*ok = 1;
	return AMLR_OK;
}

/* A 2xx reply to the target's request. */
static amlr_code succeeded(amlr_fleet *f, struct target *t)
{
	amlr_json *doc = NULL;
	char *where = NULL;
	const char *details;
	int state, found, ok;
	amlr_code rc = AMLR_OK;

	switch (t->step) {
	case ST_CHECK:
	case ST_CREATE:
		after_endpoint(f, t);
		break;
	case ST_SUBMIT:
		if (!(t->job_id = parse_job_id(t))) {
			rc = fail(f, t, AMLR_ESERVER,
				  "the job submission's reply is no job id");
			break;
		}
		/* On disk before the start: never a second job. */
		if ((rc = journal(f, t, FLEET_PHASE_SUBMITTED, 1)) != AMLR_OK)
			break;
		go(t, ST_START, 0);
		break;
	case ST_START:
		if ((rc = journal(f, t, FLEET_PHASE_RUNNING, 0)) != AMLR_OK)
			break;
		t->job_start_ms = amlr_http__now_ms();
		t->polls = 0;
		next_poll(f, t);
		break;
	case ST_POLL:
		doc = reply_json(t);
		state = job_state(doc);
		if (state < 0) {
			rc = fail(f, t, AMLR_ESERVER,
				  "job %s: the status reply has no StatusCode",
				  t->job_id);
		} else if (state == AMLR_BES_NOT_STARTED && t->need_start) {
			t->need_start = 0;
			go(t, ST_START, 0);
		} else if (state == AMLR_BES_NOT_STARTED ||
			   state == AMLR_BES_RUNNING) {
			t->need_start = 0;
			next_poll(f, t);
		} else if (state == AMLR_BES_FAILED) {
			details = amlr_json_get_str(doc, "Details");
			rc = fail(f, t, AMLR_EJOBFAILED, "job %s failed: %s",
				  t->job_id, details ? details : "no details");
		} else if (state == AMLR_BES_CANCELLED) {
			rc = fail(f, t, AMLR_ECANCELLED, "job %s was cancelled",
				  t->job_id);
		} else if ((rc = take_output(f, t, doc, &ok)) != AMLR_OK) {
			break;
		} else if (!ok) {
			rc = fail(
				f, t, AMLR_ESERVER,
				"job %s finished without the location of '%s'",
				t->job_id, f->output_name);
		} else if (t->repoll_for_sas) {
			t->repoll_for_sas = 0;
			go(t, ST_PATCH, 0);
		} else if ((rc = journal(f, t, FLEET_PHASE_TRAINED, 0)) ==
			   AMLR_OK) {
			go(t, ST_PATCH, 0);
		}
		break;
	case ST_CANCEL:
		rc = fail(f, t, AMLR_ETIMEOUT,
			  "job %s still running after %llu s: cancelled",
			  t->job_id,
			  (unsigned long long)(f->o.job_timeout_ms / 1000));
		break;
	case ST_PRECHECK:
	case ST_VERIFY:
		doc = reply_json(t);
		where = resource_location(f, t, doc, &found);
		if (where && t->model && strcmp(where, t->model) == 0) {
			tracef(f, "fleet: %s: at %s", t->endpoint, t->model);
			if ((rc = journal(f, t, FLEET_PHASE_DONE, 0)) ==
			    AMLR_OK)
				finish(f, t, AMLR_FLEET_DONE);
		} else if (t->step == ST_PRECHECK) {
			/* Not patched yet: a retrained model needs a fresh
			 * SAS from the job first. */
			if (f->o.mode == AMLR_FLEET_RETRAIN && !t->sas) {
				t->repoll_for_sas = 1;
				go(t, ST_POLL, 0);
			} else {
				go(t, ST_PATCH, 0);
			}
		} else if (!found) {
			rc = fail(f, t, AMLR_ESERVER,
				  "endpoint '%s' has no resource '%s'",
				  t->endpoint, resource_of(f, t));
		} else {
			rc = fail(
				f, t, AMLR_ESERVER,
				"endpoint '%s': resource '%s' is at '%s' after the update, not at '%s'",
				t->endpoint, resource_of(f, t),
				where ? where : "nowhere", t->model);
		}
		break;
	case ST_PATCH:
		if ((rc = journal(f, t, FLEET_PHASE_PATCHED, 0)) == AMLR_OK)
			go(t, ST_VERIFY, 0);
		break;
	case ST_QUEUED:
	case ST_END:
		break;
	}
	free(where);
	amlr_json_free(doc);
	return rc;
}

/* A transfer of the target ended with @p cc. */
static amlr_code completed(amlr_fleet *f, struct target *t, CURLcode cc)
{
	amlr_error e = AMLR_ERROR_INIT;
	char where[256];
	const char *rid;
	CURL *h = t->h;
	long status = 0;
	int submit = t->step == ST_SUBMIT;

	t->running = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	f->pool[f->npool++] = h;
	t->h = NULL;
	headers_free(t->headers);
	t->headers = NULL;
	amlr_buf_release_secret(&t->body);
	amlr_http__url_for_message(where, sizeof(where), t->url);
	if (cc != CURLE_OK) {
		if (amlr_http__transient(cc) && (!submit || never_sent(cc)) &&
		    retry(f, t, 0))
			return AMLR_OK;
		return fail(
			f, t, AMLR_ENET, "%s %s: %s%s", t->method, where,
			t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc),
			submit && !never_sent(cc)
				? " (a job may have been registered; it was not started)"
				: "");
	}
	if (status >= 200 && status < 300) {
		t->attempt = 0;
		return succeeded(f, t);
	}
	if ((t->step == ST_CHECK || t->step == ST_PRECHECK) && status == 404 &&
	    f->o.create) {
		tracef(f, "fleet: %s: not found, adding it", t->endpoint);
		go(t, ST_CREATE, 0);
		return AMLR_OK;
	}
	if (t->step == ST_START && status == 400 && t->resp.ptr &&
	    strstr(t->resp.ptr, "CannotStartJob")) {
		/* Started by an earlier try whose answer was lost. */
		t->job_start_ms = amlr_http__now_ms();
		t->polls = 0;
		go(t, ST_POLL, 0);
		return AMLR_OK;
	}
	if ((submit ? status == 429 || status == 503
		    : amlr_retry_status_retryable(status)) &&
	    retry(f, t, status))
		return AMLR_OK;
	if (status >= 300 && status < 400)
		return fail(f, t, AMLR_ESERVER, "%s %s: unexpected HTTP %ld",
			    t->method, where, status);
	rid = amlr_http__headers_get(&t->rh, "x-ms-request-id");
	amlr_http__error_from_reply(
		&e, status, t->method, t->url, t->resp.ptr, t->resp.len,
		amlr_http__headers_get(&t->rh, "x-ms-error-code"),
		rid ? rid : t->request_id);
	return fail(f, t, e.code, "%s", e.message);
}

/* --- a run -------------------------------------------------------------- */

static amlr_json *view_of(const amlr_fleet *f, const char *endpoint)
{
	size_t i;
	const char *name;

	for (i = 0; i < amlr_json_len(f->view); i++) {
		name = amlr_json_get_str(amlr_json_at(f->view, i), "endpoint");
		if (name && strcmp(name, endpoint) == 0)
			return amlr_json_at(f->view, i);
	}
	return NULL;
}

/* The phase names a journal line may hold, as ours (static strings). */
static const char *known_phase(const char *p)
{
	static const char *const phases[] = {
		FLEET_PHASE_SUBMITTED, FLEET_PHASE_RUNNING, FLEET_PHASE_TRAINED,
		FLEET_PHASE_PATCHING,  FLEET_PHASE_PATCHED, FLEET_PHASE_DONE,
		FLEET_PHASE_FAILED,
	};
	size_t i;

	for (i = 0; p && i < sizeof(phases) / sizeof(phases[0]); i++)
		if (strcmp(p, phases[i]) == 0)
			return phases[i];
	return NULL;
}

/* Set where a target starts: from scratch or where the journal says. */
static amlr_code prepare(amlr_fleet *f, struct target *t)
{
	const amlr_json *v = view_of(f, t->endpoint);
	const char *from = known_phase(amlr_json_get_str(v, "resumeFrom"));
	const char *job = amlr_json_get_str(v, "resumeJobId");
	const char *model = amlr_json_get_str(v, "model");
	int retrain = f->o.mode == AMLR_FLEET_RETRAIN;

	t->step = ST_QUEUED;
	t->attempt = 0;
	free(t->message);
	t->message = NULL;
	t->res.code = AMLR_OK;
	t->res.resumed = 0;
	t->journalled = known_phase(amlr_json_get_str(v, "phase"));
	/* A set-model row that names another model is a new intent. */
	if (from && !retrain && (!model || strcmp(model, t->model) != 0))
		from = NULL;
	if (from && retrain && !job)
		from = NULL;
	if (from && retrain && !model &&
	    (strcmp(from, FLEET_PHASE_PATCHING) == 0 ||
	     strcmp(from, FLEET_PHASE_PATCHED) == 0 ||
	     strcmp(from, FLEET_PHASE_DONE) == 0))
		from = FLEET_PHASE_TRAINED;
	if (retrain && from) {
		free(t->job_id);
		free(t->model);
		t->job_id = strdup(job);
		t->model = model ? strdup(model) : NULL;
		if (!t->job_id || (model && !t->model))
			return oom(&f->err);
	}
	sync_result(t);
	if (!from) {
		t->res.phase = "queued";
		return AMLR_OK;
	}
	t->res.resumed = 1;
	if (strcmp(from, FLEET_PHASE_DONE) == 0) {
		finish(f, t, AMLR_FLEET_DONE_EARLIER);
		return AMLR_OK;
	}
	if (strcmp(from, FLEET_PHASE_SUBMITTED) == 0)
		t->need_start = 1;
	if (strcmp(from, FLEET_PHASE_PATCHING) == 0)
		t->step = ST_PRECHECK;
	else if (strcmp(from, FLEET_PHASE_PATCHED) == 0)
		t->step = ST_VERIFY;
	else
		t->step = ST_POLL; /* submitted, running, trained */
	return AMLR_OK;
}

/* Find the [trained model] resource when some target names none. */
static amlr_code discover(amlr_fleet *f)
{
	amlr_client_opts co = f->o.http;
	amlr_classic_opts o = AMLR_CLASSIC_OPTS_INIT;
	amlr_client *client = NULL;
	amlr_classic *c = NULL;
	amlr_json *list = NULL;
	const amlr_json *res;
	const char *name, *pick;
	size_t i, k, n, hits;
	amlr_code rc;

	for (i = 0; i < f->n && (f->t[i].resource || f->t[i].step == ST_END);
	     i++)
		;
	if (f->resource || i == f->n)
		return AMLR_OK;
	co.ca_bundle = f->ca_bundle;
	co.correlation_id = f->correlation_id;
	if ((rc = amlr_client_new(&client, &co)) != AMLR_OK) {
		oom(&f->err);
		goto done;
	}
	o.endpoint = f->mgmt_root;
	o.workspace_id = f->workspace;
	o.token = f->token;
	if ((rc = amlr_classic_new(&c, client, &o)) != AMLR_OK ||
	    (rc = amlr_classic_endpoint_list(&list, c, f->webservice)) !=
		    AMLR_OK) {
		f->err = *amlr_client_error(client);
		goto done;
	}
	rc = AMLR_EINVAL;
	for (i = 0; i < amlr_json_len(list) && !f->resource; i++) {
		res = amlr_json_get(amlr_json_at(list, i), "Resources");
		n = amlr_json_len(res);
		pick = NULL;
		for (k = 0, hits = 0; k < n; k++) {
			name = amlr_json_get_str(amlr_json_at(res, k), "Name");
			if (name && strlen(name) >= 15 &&
			    strcasecmp(name + strlen(name) - 15,
				       "[trained model]") == 0) {
				pick = name;
				hits++;
			}
		}
		if (hits > 1) {
			amlr_error_set(
				&f->err, rc,
				"the endpoints of web service '%s' have several [trained model] resources: name one in the 'resource' column",
				f->webservice);
			goto done;
		}
		if (pick && !(f->resource = strdup(pick))) {
			rc = oom(&f->err);
			goto done;
		}
	}
	if (!f->resource) {
		amlr_error_set(
			&f->err, rc,
			"no endpoint of web service '%s' has a [trained model] resource to update",
			f->webservice);
		goto done;
	}
	tracef(f, "fleet: resource '%s'", f->resource);
	rc = AMLR_OK;
done:
	amlr_json_free(list);
	amlr_classic_free(c);
	amlr_client_free(client);
	return rc;
}

static void report(amlr_fleet *f, int force)
{
	amlr_fleet_progress p;
	uint64_t now = amlr_http__now_ms();

	if (!f->progress ||
	    (!force && now - f->last_progress_ms < PROGRESS_EVERY_MS))
		return;
	f->last_progress_ms = now;
	p.total = f->n;
	p.done = f->done;
	p.failed = f->failed;
	p.in_flight = f->nactive;
	p.queued = f->n - f->done - f->failed - f->nactive;
	p.elapsed_ms = now - f->start_ms;
	f->progress(&p, f->progress_payload);
}

/* Drop finished targets from the active list. */
static void compact(amlr_fleet *f)
{
	size_t i, k;

	for (i = 0, k = 0; i < f->nactive; i++)
		if (f->active[i]->step != ST_END)
			f->active[k++] = f->active[i];
	f->nactive = k;
}

/* The loop: activate, issue what is due, wait for transfers and timers. */
static amlr_code loop(amlr_fleet *f)
{
	struct target *t;
	CURLMsg *msg;
	uint64_t now, wait;
	size_t i;
	int running, left, progressed;
	amlr_code rc = AMLR_OK;

	for (;;) {
		now = amlr_http__now_ms();
		while (f->nactive < f->o.concurrency && f->next < f->n) {
			t = &f->t[f->next++];
			if (t->step == ST_END)
				continue;
			if (t->step == ST_QUEUED) {
				if (f->o.create && !t->res.resumed)
					t->step = ST_CHECK;
				else
					after_endpoint(f, t);
			}
			t->wake_ms = now;
			t->job_start_ms = now; /* a resumed job's wait */
			t->res.phase = step_names[t->step];
			f->active[f->nactive++] = t;
		}
		if (f->nactive == 0)
			break;
		wait = 200;
		for (i = 0; i < f->nactive && rc == AMLR_OK; i++) {
			t = f->active[i];
			if (t->running || t->step == ST_END)
				continue;
			if (t->wake_ms <= now)
				rc = issue(f, t);
			else if (t->wake_ms - now < wait)
				wait = t->wake_ms - now;
		}
		compact(f);
		if (rc != AMLR_OK)
			break;
		curl_multi_perform(f->multi, &running);
		progressed = 0;
		while (rc == AMLR_OK &&
		       (msg = curl_multi_info_read(f->multi, &left))) {
			char *p = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  &p);
			t = (struct target *)(void *)p;
			curl_multi_remove_handle(f->multi, msg->easy_handle);
			rc = completed(f, t, msg->data.result);
			if (t->step != ST_END)
				t->res.phase = step_names[t->step];
			progressed = 1;
		}
		compact(f);
		if (rc != AMLR_OK)
			break;
		report(f, 0);
		if (!progressed)
			curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL);
	}
	return rc;
}

amlr_code amlr_fleet_run(amlr_fleet *f, amlr_error *err)
{
	struct target *t;
	size_t i;
	amlr_code rc = AMLR_EFAIL;

	amlr_error_clear(err);
	amlr_error_clear(&f->err);
	f->done = f->failed = 0;
	f->nactive = f->next = 0;
	f->start_ms = amlr_http__now_ms();
	f->last_progress_ms = 0;
	if (!(f->multi = curl_multi_init()) ||
	    !(f->pool = calloc(f->o.concurrency, sizeof(*f->pool))) ||
	    !(f->active = calloc(f->o.concurrency, sizeof(*f->active)))) {
		oom(&f->err);
		goto done;
	}
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
			  (long)f->o.concurrency * 2);
	for (f->npool = 0; f->npool < f->o.concurrency; f->npool++)
		if (!(f->pool[f->npool] = curl_easy_init())) {
			oom(&f->err);
			goto done;
		}
	for (i = 0; i < f->n; i++)
		if ((rc = prepare(f, &f->t[i])) != AMLR_OK)
			goto done;
	/* Only for targets that will patch: a finished fleet sends nothing. */
	if ((rc = discover(f)) != AMLR_OK)
		goto done;
	report(f, 1);
	rc = loop(f);
	report(f, 1);
done:
	for (i = 0; i < f->n; i++) {
		t = &f->t[i];
		if (t->running) {
			curl_multi_remove_handle(f->multi, t->h);
			f->pool[f->npool++] = t->h;
			t->h = NULL;
			t->running = 0;
		}
		headers_free(t->headers);
		t->headers = NULL;
		amlr_buf_release_secret(&t->body);
		amlr_buf_release_secret(&t->resp);
		amlr_secret_free(t->sas);
		t->sas = NULL;
		if (t->step != ST_END && rc != AMLR_OK) {
			t->res.status = AMLR_FLEET_NOT_RUN;
			t->res.code = rc;
		}
		sync_result(t);
	}
	for (i = 0; f->pool && i < f->npool; i++)
		curl_easy_cleanup(f->pool[i]);
	free(f->pool);
	f->pool = NULL;
	f->npool = 0;
	free(f->active);
	f->active = NULL;
	if (f->multi)
		curl_multi_cleanup(f->multi);
	f->multi = NULL;
	if (rc != AMLR_OK)
		*err = f->err;
	return rc;
}
