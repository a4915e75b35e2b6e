/* SPDX-License-Identifier: MIT */
/* Resource Manager: bearer-token requests, paging, long-running operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amlr/arm.h"
#include "amlr/buf.h"
#include "amlr/secret.h"
#include "arm_internal.h"
#include "http_internal.h"

#define MAX_PAGES 100000

struct amlr_arm {
	amlr_client *client; /* borrowed */
	amlr_credential *cred; /* borrowed */
	char *endpoint; /* always ends in '/' */
	char *audience;
	amlr_arm_opts opts;
	amlr_arm_progress_cb progress;
	void *progress_payload;
};

amlr_code amlr_arm_new(amlr_arm **out, amlr_client *client,
		       amlr_credential *cred, const amlr_arm_opts *opts)
{
	static const amlr_arm_opts defaults = AMLR_ARM_OPTS_INIT;
	amlr_arm *arm = NULL;
	amlr_buf ep = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!opts->endpoint || !*opts->endpoint) {
		rc = amlr_error_set(amlr_client__err(client), AMLR_EINVAL,
				    "no Resource Manager endpoint");
		goto done;
	}
	if (!(arm = calloc(1, sizeof(*arm))))
		goto done;
	arm->client = client;
	arm->cred = cred;
	arm->opts = *opts;
	if (arm->opts.poll_min_ms == 0)
		arm->opts.poll_min_ms = 1;
	if (arm->opts.poll_max_ms < arm->opts.poll_min_ms)
		arm->opts.poll_max_ms = arm->opts.poll_min_ms;
	if (amlr_buf_puts(&ep, opts->endpoint) != AMLR_OK ||
	    (ep.ptr[ep.len - 1] != '/' && amlr_buf_puts(&ep, "/") != AMLR_OK))
		goto done;
	if (!(arm->audience =
		      strdup(opts->audience ? opts->audience : ep.ptr)) ||
	    !(arm->endpoint = amlr_buf_detach(&ep)))
		goto done;
	*out = arm;
	arm = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(amlr_client__err(client), rc, "out of memory");
	amlr_buf_release(&ep);
	amlr_arm_free(arm);
	return rc;
}

void amlr_arm_free(amlr_arm *arm)
{
	if (!arm)
		return;
	free(arm->endpoint);
	free(arm->audience);
	free(arm);
}

amlr_error *amlr_arm__err(amlr_arm *arm)
{
	return amlr_client__err(arm->client);
}

char *amlr_arm__escape(const char *s)
{
	amlr_buf b = AMLR_BUF_INIT;
	const unsigned char *p;
	int ok = 1;

	for (p = (const unsigned char *)s; ok && *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
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

void amlr_arm_set_progress_cb(amlr_arm *arm, amlr_arm_progress_cb cb,
			      void *payload)
{
	arm->progress = cb;
	arm->progress_payload = payload;
}

/* endpoint + path, plus api-version unless the URL carries one. */
static amlr_code build_url(amlr_buf *url, const amlr_arm *arm, const char *path,
			   const char *api_version)
{
	int absolute = strncmp(path, "https://", 8) == 0 ||
		       strncmp(path, "http://", 7) == 0;

	if (!absolute && amlr_buf_puts(url, arm->endpoint) != AMLR_OK)
		return AMLR_EFAIL;
	if (!absolute)
		while (*path == '/')
			path++;
	if (amlr_buf_puts(url, path) != AMLR_OK)
		return AMLR_EFAIL;
	if (api_version && !strstr(url->ptr, "api-version=") &&
	    amlr_buf_printf(url, "%capi-version=%s",
			    strchr(url->ptr, '?') ? '&' : '?',
			    api_version) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

amlr_code amlr_arm_send(amlr_response **out, amlr_arm *arm, const char *method,
			const char *path, const char *api_version,
			const char *body, unsigned flags)
{
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_buf url = AMLR_BUF_INIT, auth = AMLR_BUF_INIT;
	const char *headers[4] = { NULL, "Accept: application/json", NULL,
				   NULL };
	char *token = NULL;
	amlr_code rc;

	*out = NULL;
	if (build_url(&url, arm, path, api_version) != AMLR_OK) {
		rc = amlr_error_set(amlr_client__err(arm->client), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	if ((rc = amlr_credential_get_token(&token, NULL, arm->cred,
					    arm->client, arm->audience)) !=
	    AMLR_OK)
		goto done;
	if (amlr_buf_printf(&auth, "Authorization: Bearer %s", token) !=
	    AMLR_OK) {
		rc = amlr_error_set(amlr_client__err(arm->client), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	headers[0] = auth.ptr;
	if (body)
		headers[2] = "Content-Type: application/json; charset=utf-8";
	req.method = method;
	req.url = url.ptr;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.flags = flags;
	rc = amlr_http_send(out, arm->client, &req);
done:
	amlr_secret_free(token);
	amlr_buf_release_secret(&auth);
	amlr_buf_release(&url);
	return rc;
}

/* Parse a response's body as JSON; AMLR_ESERVER when it is not. */
static amlr_code body_json(amlr_json **out, amlr_arm *arm,
			   const amlr_response *resp, const char *what)
{
	amlr_error perr = AMLR_ERROR_INIT;
	size_t len;
	const char *body = amlr_response_body(resp, &len);

	if (amlr_json_parse(out, &perr, body, len) == AMLR_OK)
		return AMLR_OK;
	return amlr_error_set(amlr_client__err(arm->client), AMLR_ESERVER,
			      "%s: the reply is not JSON (%s)", what,
			      perr.message);
}

amlr_code amlr_arm_get(amlr_json **out, amlr_arm *arm, const char *path,
		       const char *api_version)
{
	amlr_response *resp = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_arm_send(&resp, arm, "GET", path, api_version, NULL,
				0)) != AMLR_OK)
		goto done;
	rc = body_json(out, arm, resp, "GET");
done:
	amlr_response_free(resp);
	return rc;
}

amlr_code amlr_arm_list(amlr_json **out, amlr_arm *arm, const char *path,
			const char *api_version)
{
	amlr_json *items = NULL, *page = NULL, *value, *item;
	char *next = NULL, *prev = NULL;
	const char *link;
	size_t i, pages;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_array(&items)) != AMLR_OK)
		goto oom;
	for (pages = 0; pages < MAX_PAGES; pages++) {
		if ((rc = amlr_arm_get(&page, arm, next ? next : path,
				       next ? NULL : api_version)) != AMLR_OK)
			goto done;
		value = amlr_json_get(page, "value");
		if (amlr_json_type_of(value) != AMLR_JSON_ARRAY &&
		    amlr_json_get(page, "value")) {
			rc = amlr_error_set(
				amlr_client__err(arm->client), AMLR_ESERVER,
				"list page without a 'value' array");
			goto done;
		}
		for (i = 0; i < amlr_json_len(value); i++) {
			item = amlr_json_at(value, i);
			/* The array takes a reference of its own. */
			if (amlr_json_append(items, amlr_json_ref(item)) !=
			    AMLR_OK)
				goto oom;
		}
		link = amlr_json_get_str(page, "nextLink");
		free(prev);
		prev = next;
		next = NULL;
		if (!link || !*link)
			break;
		if (prev && strcmp(prev, link) == 0) {
			rc = amlr_error_set(
				amlr_client__err(arm->client), AMLR_ESERVER,
				"the list's nextLink points at the same page again");
			goto done;
		}
		if (!(next = strdup(link)))
			goto oom;
		amlr_json_free(page);
		page = NULL;
	}
	*out = items;
	items = NULL;
	rc = AMLR_OK;
	goto done;
oom:
	rc = amlr_error_set(amlr_client__err(arm->client), AMLR_EFAIL,
			    "out of memory");
done:
	free(prev);
	free(next);
	amlr_json_free(page);
	amlr_json_free(items);
	return rc;
}

static int terminal(const char *status)
{
	return status && (strcasecmp(status, "Succeeded") == 0 ||
			  strcasecmp(status, "Failed") == 0 ||
			  strcasecmp(status, "Canceled") == 0 ||
			  strcasecmp(status, "Cancelled") == 0);
}

/* The status of an operation-status document or of a resource. */
static const char *status_of(const amlr_json *doc)
{
	const char *s = amlr_json_get_str(doc, "status");

	if (!s)
		s = amlr_json_get_str(doc, "provisioningState");
	if (!s)
		s = amlr_json_get_str(amlr_json_get(doc, "properties"),
				      "provisioningState");
	return s;
}

/* A failed operation: the service's error, ARM's or this RP's shape. */
static amlr_code operation_failed(amlr_arm *arm, const amlr_json *doc,
				  const char *status, const char *request_id)
{
	amlr_error *err = amlr_client__err(arm->client);
	const amlr_json *e = amlr_json_get(doc, "error");
	const char *code, *msg;

	if (!e)
		e = amlr_json_get(doc, "errorInfo");
	if (!e)
		e = amlr_json_get(amlr_json_get(doc, "properties"),
				  "errorInfo");
	code = amlr_json_get_str(e, "code");
	msg = amlr_json_get_str(e, "message");
	amlr_error_set(err, AMLR_ESERVER, "the operation ended %s%s%s", status,
		       msg ? ": " : "", msg ? msg : "");
	if (code)
		snprintf(err->service_code, sizeof(err->service_code), "%s",
			 code);
	if (request_id)
		snprintf(err->request_id, sizeof(err->request_id), "%s",
			 request_id);
	return AMLR_ESERVER;
}

/* How long to wait before the next poll. */
static unsigned long long next_wait(const amlr_arm *arm,
				    const amlr_response *resp,
				    unsigned long long elapsed)
{
	uint64_t ms;
	unsigned long long w = elapsed / 8;

	if (resp &&
	    (amlr_retry_parse_after_ms(
		     &ms, amlr_response_header(resp, "retry-after-ms")) ||
	     amlr_retry_parse_after(&ms,
				    amlr_response_header(resp, "Retry-After"),
				    time(NULL))))
		return ms;
	if (w < arm->opts.poll_min_ms)
		w = arm->opts.poll_min_ms;
	if (w > arm->opts.poll_max_ms)
		w = arm->opts.poll_max_ms;
	return w;
}

enum monitor { BY_ASYNC_OPERATION, BY_LOCATION, BY_RESOURCE };

amlr_code amlr_arm_wait(amlr_json **out, amlr_arm *arm,
			const amlr_response *initial, const char *resource_path,
			const char *api_version)
{
	amlr_response *poll = NULL;
	amlr_json *doc = NULL;
	amlr_arm_progress p = { NULL, 0, 0 };
	const char *url, *status = NULL, *rid;
	char *monitor_url = NULL, *initial_rid = NULL;
	enum monitor how;
	unsigned long long start = amlr_http__now_ms(), wait;
	long code;
	amlr_code rc = AMLR_OK;

	if (out)
		*out = NULL;
	rid = amlr_response_header(initial, "x-ms-request-id");
	if (rid && !(initial_rid = strdup(rid)))
		goto oom;
	if ((url = amlr_response_header(initial, "Azure-AsyncOperation")))
		how = BY_ASYNC_OPERATION;
	else if ((url = amlr_response_header(initial, "Location")))
		how = BY_LOCATION;
	else
		how = BY_RESOURCE;
	if (url && !(monitor_url = strdup(url)))
		goto oom;
	/* Finished already: a 200/201 without a monitor, or a 204. */
	code = amlr_response_status(initial);
	if (how == BY_RESOURCE) {
		if (code == 204 || !resource_path)
			goto finished;
		if (body_json(&doc, arm, initial, "reply") == AMLR_OK)
			status = status_of(doc);
		if (!status || terminal(status))
			goto check;
	}
	wait = next_wait(arm, initial, 0);
	for (;;) {
		if (amlr_http__now_ms() - start + wait >
		    arm->opts.lro_timeout_ms) {
			rc = amlr_error_set(
				amlr_client__err(arm->client), AMLR_ENET,
				"the operation was still %s after %llu s",
				status ? status : "running",
				(amlr_http__now_ms() - start) / 1000);
			goto done;
		}
		amlr_http__sleep_ms(wait);
		amlr_json_free(doc);
		doc = NULL;
		amlr_response_free(poll);
		poll = NULL;
		if ((rc = amlr_arm_send(&poll, arm, "GET",
					how == BY_RESOURCE ? resource_path
							   : monitor_url,
					how == BY_RESOURCE ? api_version : NULL,
					NULL, 0)) != AMLR_OK)
			goto done;
		p.polls++;
		p.elapsed_ms = amlr_http__now_ms() - start;
		if (how == BY_LOCATION) {
			code = amlr_response_status(poll);
			status = code == 202 ? "InProgress" : "Succeeded";
		} else {
			if ((rc = body_json(&doc, arm, poll,
					    "operation status")) != AMLR_OK)
				goto done;
			status = status_of(doc);
			if (!status && how == BY_RESOURCE)
				status = "Succeeded";
			if (!status) {
				rc = amlr_error_set(
					amlr_client__err(arm->client),
					AMLR_ESERVER,
					"the operation status has no 'status'");
				goto done;
			}
		}
		p.status = status;
		if (arm->progress && arm->progress(&p, arm->progress_payload)) {
			rc = amlr_error_set(
				amlr_client__err(arm->client), AMLR_EIO,
				"stopped waiting for the operation");
			goto done;
		}
		if (terminal(status))
			break;
		wait = next_wait(arm, poll, p.elapsed_ms);
	}
check:
	if (status && strcasecmp(status, "Succeeded") != 0) {
		rc = operation_failed(arm, doc, status, initial_rid);
		goto done;
	}
finished:
	if (out && resource_path)
		rc = amlr_arm_get(out, arm, resource_path, api_version);
	goto done;
oom:
	rc = amlr_error_set(amlr_client__err(arm->client), AMLR_EFAIL,
			    "out of memory");
done:
	free(monitor_url);
	free(initial_rid);
	amlr_json_free(doc);
	amlr_response_free(poll);
	return rc;
}
