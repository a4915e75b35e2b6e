/* SPDX-License-Identifier: MIT */
/* Batch Execution Service (BES 2.0) client: jobs over the shared client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "amlr/bes.h"
#include "amlr/buf.h"
#include "amlr/secret.h"
#include "bes_internal.h"
#include "http_internal.h"

#define API_VERSION "api-version=2.0"
#define JOB_ID_MAX 128

struct amlr_bes {
	struct amlr_bes__endpoint ep;
};

static int ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);

	return n >= t && strncasecmp(s + n - t, tail, t) == 0;
}

amlr_code amlr_bes__endpoint_init(struct amlr_bes__endpoint *ep,
				  amlr_client *client, const char *api_location,
				  const char *api_key)
{
	amlr_error *err = amlr_client__err(client);
	const unsigned char *k;
	const char *host, *path;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	ep->client = client;
	amlr_error_clear(err);
	if (!api_location || (strncmp(api_location, "https://", 8) != 0 &&
			      strncmp(api_location, "http://", 7) != 0))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"the API location must be an https:// URL (the endpoint's ApiLocation)");
	if (!api_key || !*api_key)
		return amlr_error_set(err, AMLR_EINVAL, "no API key");
	for (k = (const unsigned char *)api_key; *k; k++)
		if (*k < 0x20 || *k == 0x7f)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"the API key holds a control character");
	/* Drop the query ("?api-version=2.0"), a trailing '/', and the
	 * operation the URL may have been copied with (/jobs, /execute). */
	n = strcspn(api_location, "?#");
	while (n && api_location[n - 1] == '/')
		n--;
	if (ends_with(api_location, n, "/jobs"))
		n -= 5;
	else if (ends_with(api_location, n, "/execute"))
		n -= 8;
	while (n && api_location[n - 1] == '/')
		n--;
	host = strstr(api_location, "://") + 3;
	path = host + strcspn(host, "/?#");
	if ((size_t)(path - api_location) >= n)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"the API location names no service: expected https://HOST/workspaces/WS/services/ID");
	if (!(ep->base = strndup(api_location, n)) ||
	    !(ep->key = strdup(api_key))) {
		amlr_bes__endpoint_release(ep);
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	}
	return AMLR_OK;
}

void amlr_bes__endpoint_release(struct amlr_bes__endpoint *ep)
{
	free(ep->base);
	amlr_secret_free(ep->key);
	ep->base = NULL;
	ep->key = NULL;
}

amlr_code amlr_bes__send(amlr_response **out, struct amlr_bes__endpoint *ep,
			 const char *method, const char *path, const char *body,
			 size_t len, unsigned flags)
{
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_buf url = AMLR_BUF_INIT, auth = AMLR_BUF_INIT;
	const char *headers[4] = { NULL, "Accept: application/json", NULL,
				   NULL };
	amlr_code rc;

	*out = NULL;
	if (amlr_buf_printf(&url, "%s%s", ep->base, path) != AMLR_OK ||
	    amlr_buf_printf(&auth, "Authorization: Bearer %s", ep->key) !=
		    AMLR_OK) {
		rc = amlr_error_set(amlr_client__err(ep->client), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	headers[0] = auth.ptr;
	/* A body-less POST still goes with Content-Length: 0 (http.c). */
	if (body)
		headers[2] = "Content-Type: application/json; charset=utf-8";
	req.method = method;
	req.url = url.ptr;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? len : 0;
	req.flags = flags;
	rc = amlr_http_send(out, ep->client, &req);
done:
	amlr_buf_release_secret(&auth);
	amlr_buf_release(&url);
	return rc;
}

amlr_code amlr_bes_new(amlr_bes **out, amlr_client *client,
		       const char *api_location, const char *api_key)
{
	amlr_bes *bes;
	amlr_code rc;

	*out = NULL;
	if (!(bes = calloc(1, sizeof(*bes))))
		return amlr_error_set(amlr_client__err(client), AMLR_EFAIL,
				      "out of memory");
	if ((rc = amlr_bes__endpoint_init(&bes->ep, client, api_location,
					  api_key)) != AMLR_OK) {
		free(bes);
		return rc;
	}
	*out = bes;
	return AMLR_OK;
}

void amlr_bes_free(amlr_bes *bes)
{
	if (!bes)
		return;
	amlr_bes__endpoint_release(&bes->ep);
	free(bes);
}

const char *amlr_bes_api_location(const amlr_bes *bes)
{
	return bes->ep.base;
}

const char *amlr_bes_state_name(amlr_bes_state state)
{
	switch (state) {
	case AMLR_BES_NOT_STARTED:
		return "NotStarted";
	case AMLR_BES_RUNNING:
		return "Running";
	case AMLR_BES_FAILED:
		return "Failed";
	case AMLR_BES_CANCELLED:
		return "Cancelled";
	case AMLR_BES_FINISHED:
		return "Finished";
	}
	return "Unknown";
}

/* Job ids are 32 hex digits; accept what can go in a path unescaped. */
static int id_valid(const char *id)
{
	size_t n;

	if (!id)
		return 0;
	n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		       "0123456789-_");
	return n > 0 && n <= JOB_ID_MAX && !id[n];
}

static amlr_code check_id(amlr_bes *bes, const char *id)
{
	if (id_valid(id))
		return AMLR_OK;
	return amlr_error_set(
		amlr_client__err(bes->ep.client), AMLR_EINVAL,
		"invalid job id '%.*s': letters, digits, '-' and '_' only",
		JOB_ID_MAX, id ? id : "");
}

amlr_code amlr_bes_submit(char **job_id_out, amlr_bes *bes,
			  const amlr_json *request)
{
	amlr_buf body = AMLR_BUF_INIT;
	amlr_response *resp = NULL;
	amlr_json *doc = NULL;
	const char *text;
	char *id = NULL;
	size_t len, i, j;
	amlr_code rc;

	*job_id_out = NULL;
	if (amlr_json_serialize(&body, request, 0) != AMLR_OK) {
		rc = amlr_error_set(amlr_client__err(bes->ep.client),
				    AMLR_EFAIL, "out of memory");
		goto done;
	}
	/* Never blindly again: a retry after the request may have arrived
	 * could register a second job (ARCHITECTURE.md §3, retry). */
	if ((rc = amlr_bes__send(&resp, &bes->ep, "POST", "/jobs?" API_VERSION,
				 body.ptr, body.len,
				 AMLR_REQ_NON_IDEMPOTENT)) != AMLR_OK)
		goto done;
	text = amlr_response_body(resp, &len);
	/* A JSON string, quotes included (§1.1); azuremlps strips every '"'
	 * and the Python sample the first and last byte, so a bare id is
	 * taken too. */
	if (amlr_json_parse(&doc, NULL, text, len) == AMLR_OK &&
	    amlr_json_str(doc)) {
		id = strdup(amlr_json_str(doc));
	} else if ((id = malloc(len + 1))) {
		for (i = 0, j = 0; i < len; i++)
			if (!strchr("\" \t\r\n", text[i]))
				id[j++] = text[i];
		id[j] = '\0';
	}
	if (!id) {
		rc = amlr_error_set(amlr_client__err(bes->ep.client),
				    AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (!id_valid(id)) {
		rc = amlr_error_set(
			amlr_client__err(bes->ep.client), AMLR_ESERVER,
			"the job submission answered HTTP %ld without a job id",
			amlr_response_status(resp));
		goto done;
	}
	*job_id_out = id;
	id = NULL;
done:
	free(id);
	amlr_json_free(doc);
	amlr_response_free(resp);
	amlr_buf_release_secret(&body); /* connection strings, SAS tokens */
	return rc;
}

/* POST .../start or DELETE ...: a body-less request expecting 2xx. */
static amlr_code job_call(amlr_bes *bes, const char *method, const char *id,
			  const char *suffix, const char *body)
{
	amlr_response *resp = NULL;
	amlr_buf path = AMLR_BUF_INIT;
	amlr_code rc;

	if ((rc = check_id(bes, id)) != AMLR_OK)
		return rc;
	if (amlr_buf_printf(&path, "/jobs/%s%s?" API_VERSION, id, suffix) !=
	    AMLR_OK)
		return amlr_error_set(amlr_client__err(bes->ep.client),
				      AMLR_EFAIL, "out of memory");
	rc = amlr_bes__send(&resp, &bes->ep, method, path.ptr, body,
			    body ? strlen(body) : 0, 0);
	amlr_response_free(resp);
	amlr_buf_release(&path);
	return rc;
}

amlr_code amlr_bes_start(amlr_bes *bes, const char *job_id)
{
	return job_call(bes, "POST", job_id, "/start", "{}");
}

amlr_code amlr_bes_cancel(amlr_bes *bes, const char *job_id)
{
	return job_call(bes, "DELETE", job_id, "", NULL);
}

void amlr_bes_status_release(amlr_bes_status *s)
{
	if (!s)
		return;
	amlr_json_free(s->doc);
	s->doc = NULL;
	s->details = NULL;
	s->state = AMLR_BES_NOT_STARTED;
}

/* StatusCode as the swagger's string (any case, and azuremlps's one-L
 * "Canceled") or the 2015 doc's integer (§1.3); -1 when neither. */
static int parse_state(const amlr_json *v)
{
	static const char *const names[] = { "NotStarted", "Running", "Failed",
					     "Cancelled", "Finished" };
	const char *s = amlr_json_str(v);
	int64_t n;
	int i;

	if (amlr_json_int(&n, v))
		return n >= 0 && n <= 4 ? (int)n : -1;
	if (!s)
		return -1;
	for (i = 0; i < 5; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return strcasecmp(s, "Canceled") == 0 ? AMLR_BES_CANCELLED : -1;
}

static int is_status_key(const char *key)
{
	/* One 2016 doc example spells it "Status Code" (§1.6). */
	return strcasecmp(key, "StatusCode") == 0 ||
	       strcasecmp(key, "Status Code") == 0;
}

/* The normal form of a status document (see amlr_bes_status). */
static amlr_code normalise(amlr_json **out, int *state, const amlr_json *raw)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	amlr_json *doc = NULL, *results = NULL;
	amlr_json *legacy = NULL;
	const char *key;
	amlr_json *val;
	int has_results = 0, has_details = 0, has_legacy = 0;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	*state = -1;
	if (amlr_json_new_object(&doc) != AMLR_OK)
		goto done;
	while (amlr_json_next(&key, &val, raw, &it)) {
		if (is_status_key(key)) {
			if ((*state = parse_state(val)) < 0) {
				rc = AMLR_ESERVER;
				goto done;
			}
			if (amlr_json_set_str(doc, "StatusCode",
					      amlr_bes_state_name((
						      amlr_bes_state)*state)) !=
			    AMLR_OK)
				goto done;
			continue;
		}
		if (strcmp(key, "Result") == 0) {
			/* The 2015 service's one output (§1.6). */
			has_legacy = 1;
			legacy = val;
			continue;
		}
		if (strcmp(key, "Results") == 0)
			has_results = 1;
		else if (strcmp(key, "Details") == 0)
			has_details = 1;
		if (amlr_json_set(doc, key, amlr_json_ref(val)) != AMLR_OK)
			goto done;
	}
	if (*state < 0) {
		rc = AMLR_ESERVER;
		goto done;
	}
	if (!has_results) {
		if (has_legacy &&
		    amlr_json_type_of(legacy) == AMLR_JSON_OBJECT) {
			if (amlr_json_new_object(&results) != AMLR_OK ||
			    amlr_json_set(results, "output1",
					  amlr_json_ref(legacy)) != AMLR_OK)
				goto done;
		}
		if (amlr_json_set(doc, "Results", results) != AMLR_OK) {
			results = NULL;
			goto done;
		}
		results = NULL;
	}
	if (!has_details && amlr_json_set(doc, "Details", NULL) != AMLR_OK)
		goto done;
	*out = doc;
	doc = NULL;
	rc = AMLR_OK;
done:
	amlr_json_free(results);
	amlr_json_free(doc);
	return rc;
}

amlr_code amlr_bes_status_get(amlr_bes_status *out, amlr_bes *bes,
			      const char *job_id)
{
	amlr_error *err = amlr_client__err(bes->ep.client);
	amlr_error perr = AMLR_ERROR_INIT;
	amlr_response *resp = NULL;
	amlr_buf path = AMLR_BUF_INIT;
	amlr_json *raw = NULL;
	const char *text;
	size_t len;
	int state;
	amlr_code rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_id(bes, job_id)) != AMLR_OK)
		goto done;
	if (amlr_buf_printf(&path, "/jobs/%s?" API_VERSION, job_id) !=
	    AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = amlr_bes__send(&resp, &bes->ep, "GET", path.ptr, NULL, 0,
				 0)) != AMLR_OK)
		goto done;
	text = amlr_response_body(resp, &len);
	if (amlr_json_parse(&raw, &perr, text, len) != AMLR_OK ||
	    amlr_json_type_of(raw) != AMLR_JSON_OBJECT) {
		rc = amlr_error_set(
			err, AMLR_ESERVER,
			"the status of job '%s' is not a JSON object%s%s%s",
			job_id, perr.message[0] ? " (" : "", perr.message,
			perr.message[0] ? ")" : "");
		goto done;
	}
	if ((rc = normalise(&out->doc, &state, raw)) != AMLR_OK) {
		if (rc == AMLR_ESERVER)
			amlr_error_set(
				err, rc,
				"the status of job '%s' has no known StatusCode",
				job_id);
		else
			amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	out->state = (amlr_bes_state)state;
	out->details = amlr_json_get_str(out->doc, "Details");
done:
	amlr_json_free(raw);
	amlr_response_free(resp);
	amlr_buf_release(&path);
	return rc;
}

unsigned amlr_bes_poll_delay_ms(const amlr_bes_wait_opts *opts, unsigned poll)
{
	static const amlr_bes_wait_opts defaults = AMLR_BES_WAIT_OPTS_INIT;
	uint64_t d, max;
	unsigned i;

	if (!opts)
		opts = &defaults;
	d = opts->poll_min_ms ? opts->poll_min_ms : defaults.poll_min_ms;
	max = opts->poll_max_ms ? opts->poll_max_ms : defaults.poll_max_ms;
	if (max < d)
		max = d;
	for (i = 1; i < poll && d < max; i++)
		d += d / 2 ? d / 2 : 1;
	return (unsigned)(d < max ? d : max);
}

static void fmt_duration(char *out, size_t n, uint64_t ms)
{
	if (ms % 1000)
		snprintf(out, n, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(out, n, "%llu s", (unsigned long long)(ms / 1000));
}

/* The terminal states' codes, with the messages callers print. */
static amlr_code terminal(amlr_bes *bes, const amlr_bes_status *s,
			  const char *id)
{
	amlr_error *err = amlr_client__err(bes->ep.client);

	switch (s->state) {
	case AMLR_BES_FINISHED:
		amlr_error_clear(err);
		return AMLR_OK;
	case AMLR_BES_FAILED:
		return amlr_error_set(err, AMLR_EJOBFAILED,
				      "job '%s' failed: %s", id,
				      s->details && *s->details
					      ? s->details
					      : "the service gave no Details");
	default:
		return amlr_error_set(err, AMLR_ECANCELLED,
				      "job '%s' was cancelled", id);
	}
}

amlr_code amlr_bes_wait(amlr_bes_status *out, amlr_bes *bes, const char *job_id,
			const amlr_bes_wait_opts *opts, amlr_bes_progress_cb cb,
			void *payload)
{
	static const amlr_bes_wait_opts defaults = AMLR_BES_WAIT_OPTS_INIT;
	amlr_error *err = amlr_client__err(bes->ep.client);
	amlr_bes_progress p;
	amlr_error cancel_err;
	uint64_t start = amlr_http__now_ms(), delay;
	char waited[32], state[16];
	amlr_code rc;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (!opts)
		opts = &defaults;
	p.job_id = job_id;
	for (;;) {
		amlr_bes_status_release(out);
		if ((rc = amlr_bes_status_get(out, bes, job_id)) != AMLR_OK)
			goto done;
		p.polls++;
		p.state = out->state;
		p.elapsed_ms = amlr_http__now_ms() - start;
		if (out->state == AMLR_BES_FINISHED ||
		    out->state == AMLR_BES_FAILED ||
		    out->state == AMLR_BES_CANCELLED) {
			p.next_poll_ms = 0;
			if (cb && cb(&p, payload)) {
				rc = amlr_error_set(
					err, AMLR_EIO,
					"stopped waiting for job '%s'", job_id);
				goto done;
			}
			rc = terminal(bes, out, job_id);
			goto done;
		}
		if (opts->timeout_ms && p.elapsed_ms >= opts->timeout_ms)
			break;
		delay = amlr_bes_poll_delay_ms(opts, p.polls);
		if (opts->timeout_ms && p.elapsed_ms + delay > opts->timeout_ms)
			delay = opts->timeout_ms - p.elapsed_ms;
		p.next_poll_ms = (unsigned)delay;
		if (cb && cb(&p, payload)) {
			rc = amlr_error_set(err, AMLR_EIO,
					    "stopped waiting for job '%s'",
					    job_id);
			goto done;
		}
		amlr_http__sleep_ms(delay);
	}
	/* Past the timeout: cancel, as Microsoft's sample does (§1.4). */
	fmt_duration(waited, sizeof(waited), opts->timeout_ms);
	snprintf(state, sizeof(state), "%s", amlr_bes_state_name(out->state));
	amlr_bes_status_release(out);
	if (opts->no_cancel) {
		rc = amlr_error_set(err, AMLR_ETIMEOUT,
				    "job '%s' still %s after %s (left running)",
				    job_id, state, waited);
		goto done;
	}
	if (amlr_bes_cancel(bes, job_id) != AMLR_OK) {
		cancel_err = *err;
		rc = amlr_error_set(
			err, AMLR_ETIMEOUT,
			"job '%s' still %s after %s, and cancelling it failed: %s",
			job_id, state, waited, cancel_err.message);
		goto done;
	}
	rc = amlr_error_set(err, AMLR_ETIMEOUT,
			    "job '%s' still %s after %s: cancelled", job_id,
			    state, waited);
done:
	if (rc != AMLR_OK && rc != AMLR_EJOBFAILED && rc != AMLR_ECANCELLED)
		amlr_bes_status_release(out);
	return rc;
}

/* The SHA-256 of a file's content. */
static amlr_code sha256_file(unsigned char d[EVP_MAX_MD_SIZE], amlr_error *err,
			     const char *path)
{
	unsigned char chunk[65536];
	EVP_MD_CTX *md = NULL;
	unsigned dlen = 0;
	FILE *f = NULL;
	size_t n;
	amlr_code rc = AMLR_EFAIL;

	if (!(f = fopen(path, "rb"))) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot read '%s': %s", path,
				    strerror(errno));
		goto done;
	}
	if (!(md = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (!EVP_DigestUpdate(md, chunk, n))
			break;
	if (ferror(f) || n > 0) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot read '%s'", path);
		goto done;
	}
	if (!EVP_DigestFinal_ex(md, d, &dlen) || dlen != 32) {
		rc = amlr_error_set(err, AMLR_EFAIL, "cannot hash '%s'", path);
		goto done;
	}
	rc = AMLR_OK;
done:
	EVP_MD_CTX_free(md);
	if (f)
		fclose(f);
	return rc;
}

/* Append @p n bytes of @p s, with '-' for characters not in @p keep. */
static amlr_code put_safe(amlr_buf *b, const char *s, size_t n,
			  const char *keep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (amlr_buf_put(b, strchr(keep, s[i]) ? s + i : "-", 1) !=
		    AMLR_OK)
			return AMLR_EFAIL;
	return AMLR_OK;
}

amlr_code amlr_bes_input_blob_name(char **out, amlr_error *err,
				   const char *path)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char d[EVP_MAX_MD_SIZE];
	amlr_buf name = AMLR_BUF_INIT;
	const char *base, *dot;
	size_t stem;
	amlr_code rc;

	*out = NULL;
	if ((rc = sha256_file(d, err, path)) != AMLR_OK)
		goto done;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	stem = (size_t)(dot - base);
	rc = AMLR_EFAIL;
	if ((stem ? put_safe(&name, base, stem,
			     "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789._-")
		  : amlr_buf_puts(&name, "input")) != AMLR_OK ||
	    amlr_buf_printf(&name, "-%02x%02x%02x%02x%02x%02x%02x%02x", d[0],
			    d[1], d[2], d[3], d[4], d[5], d[6],
			    d[7]) != AMLR_OK ||
	    (*dot &&
	     (amlr_buf_puts(&name, ".") != AMLR_OK ||
	      put_safe(&name, dot + 1, strlen(dot + 1), alnum) != AMLR_OK)) ||
	    !(*out = amlr_buf_detach(&name))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_buf_release(&name);
	return rc;
}
