/* SPDX-License-Identifier: MIT */
/* BES 2.0 jobs, RRS execute and swagger.json on both kinds of endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amlr/secret.h"
#include "bes_store.h"
#include "graph.h"
#include "learn.h"
#include "router.h"

/*
 * The execution URLs of a Resource Manager web service, as its portal
 * shows them (../shared/reference/notes/classic-bes-rrs.md §2.2) beside
 * its swaggerLocation: {emulator}/subscriptions/{subscription without
 * dashes}/services/{32 hex}; and of a classic endpoint, its ApiLocation
 * {emulator}/workspaces/{workspace}/services/{endpoint guid} (§0, §1.1).
 * Under each: /jobs, /jobs/{id}/start, /jobs/{id}, /execute, each with
 * api-version=2.0 and `Authorization: Bearer <primary or secondary key>`,
 * and /swagger.json (no key, api-version optional).
 */
#define BASE "/subscriptions/{sub}/services/{svc}"
#define CLASSIC_BASE "/workspaces/{ws}/services/{svc}"
#define API_VERSION "2.0"
#define DEFAULT_CALLS 4 /* realtimeConfiguration's minimum (ARM spec) */

amlr_code emu_bes_send_error(struct emu_resp *resp, unsigned status,
			     const char *code, const char *detail,
			     const char *target, const char *message)
{
	/* As a real 401 from BES: the detail says why (classic-bes-rrs.md). */
	const char *detail_message = strcmp(code, "Unauthorized") == 0
					     ? "Invalid credentials provided."
					     : message;
	amlr_json *doc = NULL, *e = NULL, *details = NULL, *d = NULL;
	amlr_code rc;

	if ((rc = amlr_json_new_object(&doc)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&e)) != AMLR_OK ||
	    (rc = amlr_json_set_str(e, "code", code)) != AMLR_OK ||
	    (rc = amlr_json_set_str(e, "message", message)) != AMLR_OK)
		goto done;
	if (detail && *detail) {
		if ((rc = amlr_json_new_array(&details)) != AMLR_OK ||
		    (rc = amlr_json_new_object(&d)) != AMLR_OK ||
		    (rc = amlr_json_set_str(d, "code", detail)) != AMLR_OK ||
		    (target && *target &&
		     (rc = amlr_json_set_str(d, "target", target)) !=
			     AMLR_OK) ||
		    (rc = amlr_json_set_str(d, "message", detail_message)) !=
			    AMLR_OK)
			goto done;
		rc = amlr_json_append(details, d);
		d = NULL;
		if (rc != AMLR_OK)
			goto done;
		rc = amlr_json_set(e, "details", details);
		details = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	rc = amlr_json_set(doc, "error", e);
	e = NULL;
	if (rc == AMLR_OK)
		rc = emu_resp_json(resp, status, doc);
done:
	amlr_json_free(d);
	amlr_json_free(details);
	amlr_json_free(e);
	amlr_json_free(doc);
	return rc;
}

/* Which kind of execution URL the request came to, and its ids. */
static void call_of(struct emu_bes_call *call, const struct emu_req *req,
		    const amlr_json *props)
{
	call->base_url = req->ctx->base_url;
	call->kind = emu_req_param(req, "ws") ? EMU_BES_CLASSIC : EMU_BES_ARM;
	call->scope = call->kind == EMU_BES_CLASSIC ? emu_req_param(req, "ws")
						    : emu_req_param(req, "sub");
	call->target = emu_req_param(req, "svc");
	call->props = props;
}

/*
 * Find the web service of the URL and check the api-version and the key:
 * 1 with *props_out (the caller frees it), 0 answered, -1 failure.
 */
static int admit(amlr_json **props_out, struct emu_req *req,
		 struct emu_resp *resp)
{
	struct emu_bes_call call;
	const char *v = emu_req_query(req, "api-version");
	const char *auth = emu_req_header(req, "Authorization");
	const amlr_json *keys;
	amlr_json *props = NULL;
	int primary, secondary;
	amlr_code rc;

	*props_out = NULL;
	if (!v || strcmp(v, API_VERSION) != 0)
		return emu_bes_send_error(resp, 400, "BadArgument",
					  "BadVersionCall", "api-version",
					  "The api-version must be 2.0.") ==
				       AMLR_OK
			       ? 0
			       : -1;
	call_of(&call, req, NULL);
	rc = emu_bes_props(&props, req->ctx->world, call.kind, call.scope,
			   call.target);
	if (rc == AMLR_ENOTFOUND)
		return emu_bes_send_error(resp, 404, "NotFound",
					  "WebServiceNotFound", NULL,
					  "Web service not found.") == AMLR_OK
			       ? 0
			       : -1;
	if (rc != AMLR_OK)
		return -1;
	keys = amlr_json_get(props, "keys");
	if (auth && strncmp(auth, "Bearer ", 7) == 0) {
		/* Both compared, in time independent of the key's value. */
		primary = amlr_secret_equal(
			auth + 7, amlr_json_get_str(keys, "primary")
					  ? amlr_json_get_str(keys, "primary")
					  : "");
		secondary = amlr_secret_equal(
			auth + 7, amlr_json_get_str(keys, "secondary")
					  ? amlr_json_get_str(keys, "secondary")
					  : "");
		if ((primary || secondary) && auth[7]) {
			*props_out = props;
			return 1;
		}
	}
	amlr_json_free(props);
	return emu_bes_send_error(
		       resp, 401, "Unauthorized", "ScoreRequestUnauthorized",
		       NULL,
		       "Request is unauthorized to access resource.") == AMLR_OK
		       ? 0
		       : -1;
}

amlr_code emu_bes_answer(struct emu_resp *resp, struct emu_bes_result *res)
{
	if (res->status >= 400)
		return emu_bes_send_error(resp, res->status, res->code,
					  res->detail_code, res->target,
					  res->message);
	if (res->body.ptr)
		return emu_resp_body(resp, res->status,
				     "application/json; charset=utf-8",
				     res->body.ptr, res->body.len);
	return emu_resp_body(resp, res->status, NULL, NULL, 0);
}

/* The request body as JSON: 1, 0 (answered 400), -1. */
static int body_json(amlr_json **out, struct emu_req *req,
		     struct emu_resp *resp)
{
	if (amlr_json_parse(out, NULL, req->body, req->body_len) == AMLR_OK)
		return 1;
	return emu_bes_send_error(
		       resp, 400, "BadArgument", "RequestBodyInvalid", NULL,
		       "The request body is missing or is not valid JSON.") ==
			       AMLR_OK
		       ? 0
		       : -1;
}

enum job_op { JOB_SUBMIT, JOB_START, JOB_STATUS, JOB_CANCEL };

static amlr_code job_route(struct emu_req *req, struct emu_resp *resp,
			   enum job_op op)
{
	struct emu_bes_result res = EMU_BES_RESULT_INIT;
	struct emu_bes_call call;
	struct emu_bes *bes = req->ctx->world->bes;
	amlr_json *props = NULL, *body = NULL;
	const char *id = emu_req_param(req, "job");
	int ok;
	amlr_code rc = AMLR_EFAIL;

	if ((ok = admit(&props, req, resp)) != 1) {
		rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
		goto done;
	}
	call_of(&call, req, props);
	switch (op) {
	case JOB_SUBMIT:
		if ((ok = body_json(&body, req, resp)) != 1) {
			rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
			goto done;
		}
		rc = emu_bes_submit(bes, &res, &call, body);
		break;
	case JOB_START:
		rc = emu_bes_start(bes, &res, &call, id);
		break;
	case JOB_STATUS:
		rc = emu_bes_status(bes, &res, &call, id);
		break;
	case JOB_CANCEL:
		rc = emu_bes_cancel(bes, &res, &call, id);
		break;
	}
	if (rc == AMLR_OK)
		rc = emu_bes_answer(resp, &res);
done:
	emu_bes_result_release(&res);
	amlr_json_free(body);
	amlr_json_free(props);
	return rc;
}

static amlr_code h_submit(struct emu_req *req, struct emu_resp *resp)
{
	return job_route(req, resp, JOB_SUBMIT);
}

static amlr_code h_start(struct emu_req *req, struct emu_resp *resp)
{
	return job_route(req, resp, JOB_START);
}

static amlr_code h_status(struct emu_req *req, struct emu_resp *resp)
{
	return job_route(req, resp, JOB_STATUS);
}

static amlr_code h_cancel(struct emu_req *req, struct emu_resp *resp)
{
	return job_route(req, resp, JOB_CANCEL);
}

/* --- RRS ---------------------------------------------------------------- */

/* A cell as text: strings as they are, numbers and booleans as JSON. */
static amlr_code cell_text(amlr_buf *out, const amlr_json *v)
{
	amlr_buf_clear(out);
	if (!v)
		return amlr_buf_puts(out, "");
	if (amlr_json_type_of(v) == AMLR_JSON_STRING)
		return amlr_buf_puts(out, amlr_json_str(v));
	return amlr_json_serialize(out, v, 0);
}

/* Append one CSV record of @p n cells. */
static amlr_code put_row(FILE *f, amlr_buf *cells, size_t n)
{
	const char **fields = calloc(n + 1, sizeof(*fields));
	size_t i;
	learn_code lc;

	if (!fields)
		return AMLR_EFAIL;
	for (i = 0; i < n; i++)
		fields[i] = cells[i].ptr ? cells[i].ptr : "";
	lc = learn_csv_write_row(f, fields, n, NULL);
	free((void *)fields);
	return lc == LEARN_OK ? AMLR_OK : AMLR_EFAIL;
}

/*
 * One input as CSV: {"ColumnNames":[...],"Values":[[...]]} or, with
 * format=swagger, [{"col": value, ...}, ...].  1, 0 (@p why set), -1.
 */
static int input_csv(amlr_buf *out, char *why, size_t why_size,
		     const char *name, const amlr_json *in, int swagger)
{
	const amlr_json *cols, *rows, *row;
	amlr_json *names = NULL, *v;
	amlr_json_iter it;
	amlr_buf *cells = NULL;
	const char *key;
	char *mem = NULL;
	size_t memlen = 0, n, i, k;
	FILE *f = NULL;
	int ok = -1;

	if (swagger) {
		if (amlr_json_type_of(in) != AMLR_JSON_ARRAY ||
		    amlr_json_len(in) == 0)
			goto bad;
		if (amlr_json_new_array(&names) != AMLR_OK)
			goto done;
		for (i = 0; i < amlr_json_len(in); i++) {
			row = amlr_json_at(in, i);
			if (amlr_json_type_of(row) != AMLR_JSON_OBJECT)
				goto bad;
			it = (amlr_json_iter)AMLR_JSON_ITER_INIT;
			while (amlr_json_next(&key, &v, row, &it)) {
				for (k = 0; k < amlr_json_len(names); k++)
					if (strcmp(amlr_json_str(amlr_json_at(
							   names, k)),
						   key) == 0)
						break;
				if (k < amlr_json_len(names))
					continue;
				if (amlr_json_new_string(&v, key) != AMLR_OK ||
				    amlr_json_append(names, v) != AMLR_OK)
					goto done;
			}
		}
		cols = names;
		rows = in;
	} else {
		cols = amlr_json_get(in, "ColumnNames");
		rows = amlr_json_get(in, "Values");
		if (amlr_json_type_of(cols) != AMLR_JSON_ARRAY ||
		    amlr_json_type_of(rows) != AMLR_JSON_ARRAY ||
		    amlr_json_len(cols) == 0)
			goto bad;
	}
	n = amlr_json_len(cols);
	if (!(cells = calloc(n, sizeof(*cells))) ||
	    !(f = open_memstream(&mem, &memlen)))
		goto done;
	for (k = 0; k < n; k++)
		if (amlr_json_type_of(amlr_json_at(cols, k)) !=
			    AMLR_JSON_STRING ||
		    cell_text(&cells[k], amlr_json_at(cols, k)) != AMLR_OK)
			goto bad;
	if (put_row(f, cells, n) != AMLR_OK)
		goto done;
	for (i = 0; i < amlr_json_len(rows); i++) {
		row = amlr_json_at(rows, i);
		if (!swagger && (amlr_json_type_of(row) != AMLR_JSON_ARRAY ||
				 amlr_json_len(row) != n)) {
			snprintf(why, why_size,
				 "input '%s': row %zu must have %zu values",
				 name, i + 1, n);
			ok = 0;
			goto done;
		}
		for (k = 0; k < n; k++)
			if (cell_text(
				    &cells[k],
				    swagger ? amlr_json_get(
						      row,
						      amlr_json_str(
							      amlr_json_at(cols,
									   k)))
					    : amlr_json_at(row, k)) != AMLR_OK)
				goto done;
		if (put_row(f, cells, n) != AMLR_OK)
			goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto done;
	}
	f = NULL;
	ok = amlr_buf_put(out, mem, memlen) == AMLR_OK ? 1 : -1;
	goto done;
bad:
	snprintf(why, why_size,
		 swagger ? "input '%s' must be an array of row objects"
			 : "input '%s' must have ColumnNames and Values",
		 name);
	ok = 0;
done:
	if (f)
		fclose(f);
	free(mem);
	for (k = 0; cells && k < amlr_json_len(cols); k++)
		amlr_buf_release(&cells[k]);
	free(cells);
	amlr_json_free(names);
	return ok;
}

/* The .NET type name of output column @p col, from the output schema. */
static const char *column_type(const amlr_json *props, const char *output,
			       const char *col)
{
	const amlr_json *c = amlr_json_get(
		amlr_json_get(
			amlr_json_get(
				amlr_json_get(amlr_json_get(props, "output"),
					      "properties"),
				output),
			"properties"),
		col);
	const char *type = amlr_json_get_str(c, "type");
	const char *format = amlr_json_get_str(c, "format");

	if (strcmp(col, "Scored Probabilities") == 0)
		return "Double";
	if (!type)
		return "String";
	if (strcmp(type, "Integer") == 0)
		return format && strcmp(format, "Int64") == 0 ? "Int64"
							      : "Int32";
	if (strcmp(type, "Number") == 0)
		return format && strcmp(format, "Float") == 0 ? "Single"
							      : "Double";
	if (strcmp(type, "Boolean") == 0)
		return "Boolean";
	return "String";
}

static amlr_code str_array(amlr_json *arr, const char *s)
{
	amlr_json *v = NULL;
	amlr_code rc;

	if ((rc = amlr_json_new_string(&v, s)) != AMLR_OK)
		return rc;
	return amlr_json_append(arr, v);
}

/* One output's CSV as RRS shows it (details table, or swagger rows). */
static amlr_code output_json(amlr_json **out, const amlr_json *props,
			     const struct emu_graph_output *o, int swagger,
			     int details)
{
	const char *const *header, *const *fields;
	amlr_json *names = NULL, *types = NULL, *values = NULL, *row = NULL;
	amlr_json *value = NULL;
	learn_csv *r = NULL;
	FILE *f = NULL;
	size_t n, k;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(f = fmemopen(o->data, o->len, "r")) ||
	    learn_csv_open(&r, f, NULL) != LEARN_OK)
		goto done;
	n = learn_csv_columns(r);
	header = learn_csv_header(r);
	if (amlr_json_new_array(&values) != AMLR_OK)
		goto done;
	for (;;) {
		if (learn_csv_next(&fields, r, NULL) != LEARN_OK)
			goto done;
		if (!fields)
			break;
		if (swagger ? amlr_json_new_object(&row)
			    : amlr_json_new_array(&row))
			goto done;
		for (k = 0; k < n; k++)
			if ((swagger ? amlr_json_set_str(row, header[k],
							 fields[k])
				     : str_array(row, fields[k])) != AMLR_OK)
				goto done;
		rc = amlr_json_append(values, row);
		row = NULL;
		if (rc != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
	}
	if (swagger) {
		*out = values;
		values = NULL;
		rc = AMLR_OK;
		goto done;
	}
	if (amlr_json_new_array(&names) != AMLR_OK ||
	    amlr_json_new_array(&types) != AMLR_OK)
		goto done;
	for (k = 0; k < n; k++)
		if (str_array(names, header[k]) != AMLR_OK ||
		    str_array(types, column_type(props, o->name, header[k])) !=
			    AMLR_OK)
			goto done;
	if (amlr_json_new_object(&value) != AMLR_OK)
		goto done;
	rc = amlr_json_set(value, "ColumnNames", names);
	names = NULL;
	if (rc == AMLR_OK && details) {
		rc = amlr_json_set(value, "ColumnTypes", types);
		types = NULL;
	}
	if (rc == AMLR_OK) {
		rc = amlr_json_set(value, "Values", values);
		values = NULL;
	}
	if (rc != AMLR_OK || (rc = amlr_json_new_object(out)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(*out, "type", "table")) == AMLR_OK)
		rc = amlr_json_set(*out, "value", value);
	value = NULL;
	if (rc != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
	}
done:
	learn_csv_free(r);
	if (f)
		fclose(f);
	amlr_json_free(row);
	amlr_json_free(names);
	amlr_json_free(types);
	amlr_json_free(values);
	amlr_json_free(value);
	return rc;
}

static amlr_code rrs_model_get(const learn_model **out, void **handle,
			       char *err, const char *name, const char *uri,
			       void *payload)
{
	const struct emu_req *req = payload;

	(void)name;
	return emu_bes_model_get(out, handle, err, req->ctx->world->bes,
				 req->ctx->base_url, uri);
}

static void rrs_model_put(void *handle, void *payload)
{
	const struct emu_req *req = payload;

	emu_bes_model_put(req->ctx->world->bes, handle);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static amlr_code h_execute(struct emu_req *req, struct emu_resp *resp)
{
	const char *fmt = emu_req_query(req, "format");
	const char *det = emu_req_query(req, "details");
	int swagger = fmt && strcmp(fmt, "swagger") == 0;
	int details = det && strcmp(det, "true") == 0;
	amlr_json *props = NULL, *body = NULL, *doc = NULL, *results = NULL;
	amlr_json *one = NULL, *ins, *val;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	struct emu_graph_input *inputs = NULL;
	struct emu_graph_output *outs = NULL;
	amlr_buf *csv = NULL;
	const char *key;
	char why[EMU_GRAPH_ERR_SIZE] = "";
	enum emu_graph_kind kind;
	size_t n_in = 0, n_out = 0, i;
	struct emu_graph_models models = { rrs_model_get, rrs_model_put, req };
	struct emu_bes_call call;
	struct emu_bes *bes = req->ctx->world->bes;
	long delay = req->ctx->world->cfg.execute_delay_ms;
	struct timespec pause = { delay / 1000, (delay % 1000) * 1000000L };
	int64_t t0 = mono_ms(), max = 0;
	int ok, slot = 0;
	amlr_code rc = AMLR_EFAIL;

	if ((ok = admit(&props, req, resp)) != 1 ||
	    (ok = body_json(&body, req, resp)) != 1) {
		rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
		goto done;
	}
	/*
	 * At most MaxConcurrentCalls (classic) or maxConcurrentCalls calls in
	 * flight per endpoint; beyond them 503 at once (notes §1.7, §3.3).
	 */
	call_of(&call, req, props);
	if (!amlr_json_int(
		    &max,
		    amlr_json_get(amlr_json_get(props, "realtimeConfiguration"),
				  "maxConcurrentCalls")) ||
	    max < 1)
		max = DEFAULT_CALLS;
	if (!(slot = emu_bes_slot_take(bes, call.kind, call.scope, call.target,
				       (long)max))) {
		rc = emu_bes_send_error(
			resp, 503, "ServiceUnavailable", "RequestThrottled",
			NULL,
			"The request was throttled: the endpoint's "
			"maximum of concurrent calls is reached.");
		goto done;
	}
	if (delay > 0) /* --execute-delay: hold the call (tests) */
		nanosleep(&pause, NULL);
	ins = amlr_json_get(body, "Inputs");
	if (amlr_json_type_of(ins) != AMLR_JSON_OBJECT) {
		rc = emu_bes_send_error(resp, 400, "BadArgument",
					"MissingRequestInput", "Inputs",
					"The request has no Inputs.");
		goto done;
	}
	if ((key = emu_graph_missing_global(
		     props, amlr_json_get(body, "GlobalParameters")))) {
		snprintf(why, sizeof(why), "global parameter '%s' is required",
			 key);
		rc = emu_bes_send_error(resp, 400, "BadArgument",
					"MissingRequiredGlobalParameters", key,
					why);
		goto done;
	}
	/* RRS cannot produce trained models, only BES can (§2.2). */
	for (i = 0; (key = emu_graph_io_name(props, 1, i)); i++) {
		if (emu_graph_output_kind(&kind, why, props, key) != AMLR_OK ||
		    kind != EMU_GRAPH_MODEL)
			continue;
		snprintf(
			why, sizeof(why),
			"output '%s' is a trained model: only the batch execution service writes one",
			key);
		rc = emu_bes_send_error(resp, 400, "BadArgument",
					"InvalidOutputType", key, why);
		goto done;
	}
	if (!(inputs = calloc(amlr_json_len(ins) + 1, sizeof(*inputs))) ||
	    !(csv = calloc(amlr_json_len(ins) + 1, sizeof(*csv))))
		goto done;
	while (amlr_json_next(&key, &val, ins, &it)) {
		ok = input_csv(&csv[n_in], why, sizeof(why), key, val, swagger);
		if (ok != 1) {
			rc = ok == 0 ? emu_bes_send_error(
					       resp, 400, "BadUserArgument",
					       "InputParseError", key, why)
				     : AMLR_EFAIL;
			goto done;
		}
		inputs[n_in].name = key;
		inputs[n_in].data = csv[n_in].ptr;
		inputs[n_in].len = csv[n_in].len;
		n_in++;
	}
	rc = emu_graph_run(&outs, &n_out, why, props, inputs, n_in,
			   amlr_json_get(body, "GlobalParameters"), NULL, 0,
			   &models);
	if (rc == AMLR_EINVAL || rc == AMLR_ENOTFOUND) {
		rc = emu_bes_send_error(resp, 400, "ModuleExecutionError",
					"ModuleExecutionError", NULL, why);
		goto done;
	}
	if (rc != AMLR_OK || (rc = amlr_json_new_object(&doc)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&results)) != AMLR_OK)
		goto done;
	for (i = 0; i < n_out; i++) {
		if ((rc = output_json(&one, props, &outs[i], swagger,
				      details)) != AMLR_OK)
			goto done;
		rc = amlr_json_set(results, outs[i].name, one); /* steals */
		one = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	rc = amlr_json_set(doc, "Results", results);
	results = NULL;
	if (rc == AMLR_OK && !swagger &&
	    ((rc = amlr_json_set_int(doc, "ContainerAllocationDurationMs",
				     0)) != AMLR_OK ||
	     (rc = amlr_json_set_int(doc, "ExecutionDurationMs",
				     mono_ms() - t0)) != AMLR_OK ||
	     (rc = amlr_json_new_bool(&one, 1)) != AMLR_OK ||
	     (rc = amlr_json_set(doc, "IsWarmContainer", one)) != AMLR_OK)) {
		one = NULL;
		goto done;
	}
	one = NULL;
	if (rc == AMLR_OK)
		rc = emu_resp_json(resp, 200, doc);
done:
	if (slot)
		emu_bes_slot_put(bes, call.kind, call.scope, call.target);
	emu_graph_outputs_free(outs, n_out);
	for (i = 0; csv && i < n_in; i++)
		amlr_buf_release(&csv[i]);
	free(csv);
	free(inputs);
	amlr_json_free(one);
	amlr_json_free(results);
	amlr_json_free(doc);
	amlr_json_free(body);
	amlr_json_free(props);
	return rc;
}

/* --- swagger.json ------------------------------------------------------- */

/*
 * The endpoint's swagger 2.0 document (notes §1.1, §2.2): execute with
 * format=swagger, the four jobs operations and swagger.json itself,
 * securityDefinitions api_key (header Authorization), and the input and
 * output item schemas from the definition's input and output.
 */
static const char swagger_template[] =
	"{\"swagger\":\"2.0\","
	"\"info\":{\"version\":\"2.0\",\"title\":\"\",\"description\":\"\"},"
	"\"host\":\"\",\"basePath\":\"\",\"schemes\":[\"http\"],"
	"\"consumes\":[\"application/json\"],"
	"\"produces\":[\"application/json\"],"
	"\"securityDefinitions\":{\"api_key\":{\"type\":\"apiKey\","
	"\"name\":\"Authorization\",\"in\":\"header\","
	"\"description\":\"For example: Bearer abc123\"}},"
	"\"paths\":{"
	"\"/swagger.json\":{\"get\":{\"summary\":\"Get swagger API document "
	"for the web service\",\"operationId\":\"getSwaggerDocument\","
	"\"parameters\":[{\"name\":\"api-version\",\"in\":\"query\","
	"\"required\":false,\"type\":\"string\",\"default\":\"2.0\","
	"\"enum\":[\"2.0\"]}],"
	"\"responses\":{\"200\":{\"description\":\"Success\"}}}},"
	"\"/execute?api-version=2.0&format=swagger\":{\"post\":{"
	"\"summary\":\"Execute the web service and get a response "
	"synchronously\",\"operationId\":\"execute\","
	"\"parameters\":[{\"name\":\"executionRequest\",\"in\":\"body\","
	"\"required\":true,\"schema\":{\"$ref\":"
	"\"#/definitions/ExecutionRequest\"}}],"
	"\"security\":[{\"api_key\":[]}],"
	"\"responses\":{\"200\":{\"description\":\"Success\",\"schema\":"
	"{\"$ref\":\"#/definitions/ExecutionResults\"}},"
	"\"default\":{\"description\":\"Failure\",\"schema\":{\"$ref\":"
	"\"#/definitions/ErrorResponse\"}}}}},"
	"\"/jobs?api-version=2.0\":{\"post\":{\"summary\":\"Submit an "
	"asynchronous execution job\",\"operationId\":\"submitjob\","
	"\"parameters\":[{\"name\":\"batchExecutionRequest\",\"in\":\"body\","
	"\"required\":true,\"schema\":{\"$ref\":"
	"\"#/definitions/BatchExecutionRequest\"}}],"
	"\"security\":[{\"api_key\":[]}],"
	"\"responses\":{\"200\":{\"description\":\"The job id\","
	"\"schema\":{\"type\":\"string\"}},\"default\":{\"description\":"
	"\"Failure\",\"schema\":{\"$ref\":\"#/definitions/ErrorResponse\"}}}}},"
	"\"/jobs/{jobId}/start?api-version=2.0\":{\"post\":{\"summary\":"
	"\"Start a submitted job\",\"operationId\":\"startjob\","
	"\"parameters\":[{\"name\":\"jobId\",\"in\":\"path\","
	"\"required\":true,\"type\":\"string\"}],"
	"\"security\":[{\"api_key\":[]}],"
	"\"responses\":{\"204\":{\"description\":\"Successfully started\"},"
	"\"default\":{\"description\":\"Failure\",\"schema\":{\"$ref\":"
	"\"#/definitions/ErrorResponse\"}}}}},"
	"\"/jobs/{jobId}?api-version=2.0\":{\"get\":{\"summary\":\"Get the "
	"status of a job\",\"operationId\":\"getjobstatus\","
	"\"parameters\":[{\"name\":\"jobId\",\"in\":\"path\","
	"\"required\":true,\"type\":\"string\"}],"
	"\"security\":[{\"api_key\":[]}],"
	"\"responses\":{\"200\":{\"description\":\"Success\",\"schema\":"
	"{\"$ref\":\"#/definitions/BatchExecutionStatus\"}},"
	"\"default\":{\"description\":\"Failure\",\"schema\":{\"$ref\":"
	"\"#/definitions/ErrorResponse\"}}}},"
	"\"delete\":{\"summary\":\"Cancel a job\",\"operationId\":"
	"\"canceljob\",\"parameters\":[{\"name\":\"jobId\",\"in\":\"path\","
	"\"required\":true,\"type\":\"string\"}],"
	"\"security\":[{\"api_key\":[]}],"
	"\"responses\":{\"204\":{\"description\":\"Successfully "
	"cancelled\"},\"default\":{\"description\":\"Failure\",\"schema\":"
	"{\"$ref\":\"#/definitions/ErrorResponse\"}}}}}},"
	"\"definitions\":{"
	"\"AzureBlobDataReference\":{\"type\":\"object\",\"properties\":{"
	"\"ConnectionString\":{\"type\":\"string\"},"
	"\"RelativeLocation\":{\"type\":\"string\"},"
	"\"BaseLocation\":{\"type\":\"string\"},"
	"\"SasBlobToken\":{\"type\":\"string\"}}},"
	"\"BatchExecutionStatus\":{\"type\":\"object\",\"properties\":{"
	"\"StatusCode\":{\"type\":\"string\",\"enum\":[\"NotStarted\","
	"\"Running\",\"Failed\",\"Cancelled\",\"Finished\"],"
	"\"default\":\"NotStarted\"},"
	"\"Results\":{\"type\":\"object\",\"additionalProperties\":"
	"{\"$ref\":\"#/definitions/AzureBlobDataReference\"}},"
	"\"Details\":{\"type\":\"string\"}}},"
	"\"ErrorResponse\":{\"type\":\"object\",\"properties\":{\"error\":"
	"{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\"},"
	"\"message\":{\"type\":\"string\"},\"details\":{\"type\":\"array\","
	"\"items\":{\"type\":\"object\",\"properties\":{\"code\":{\"type\":"
	"\"string\"},\"target\":{\"type\":\"string\"},\"message\":{\"type\":"
	"\"string\"}}}}}}}}}}";

/* A column of the definition's input/output as a swagger property. */
static amlr_code column_schema(amlr_json **out, const amlr_json *col)
{
	const char *type = amlr_json_get_str(col, "type");
	const char *format = amlr_json_get_str(col, "format");
	const char *t = "string", *f = NULL;
	amlr_code rc;

	if (type && strcmp(type, "Integer") == 0) {
		t = "integer";
		f = format && strcmp(format, "Int64") == 0 ? "int64" : "int32";
	} else if (type && strcmp(type, "Number") == 0) {
		t = "number";
		f = format && strcmp(format, "Float") == 0 ? "float" : "double";
	} else if (type && strcmp(type, "Boolean") == 0) {
		t = "boolean";
	}
	if ((rc = amlr_json_new_object(out)) != AMLR_OK)
		return rc;
	if ((rc = amlr_json_set_str(*out, "type", t)) != AMLR_OK ||
	    (f && (rc = amlr_json_set_str(*out, "format", f)) != AMLR_OK)) {
		amlr_json_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Add to @p defs a "<name>Item" schema per input (@p output 0) or output
 * of @p props, and to @p holder (Inputs or Results) an array of them.
 */
static amlr_code io_schemas(amlr_json *defs, amlr_json *holder,
			    const amlr_json *props, int output)
{
	const amlr_json *spec =
		amlr_json_get(amlr_json_get(props, output ? "output" : "input"),
			      "properties");
	amlr_json *item = NULL, *cols = NULL, *arr = NULL, *ref = NULL, *v;
	amlr_json_iter it;
	amlr_buf key = AMLR_BUF_INIT;
	const char *name, *col;
	size_t i;
	amlr_code rc = AMLR_OK;

	for (i = 0;
	     rc == AMLR_OK && (name = emu_graph_io_name(props, output, i));
	     i++) {
		amlr_buf_clear(&key);
		if ((rc = amlr_json_new_object(&item)) != AMLR_OK ||
		    (rc = amlr_json_new_object(&cols)) != AMLR_OK ||
		    (rc = amlr_json_set_str(item, "type", "object")) != AMLR_OK)
			break;
		it = (amlr_json_iter)AMLR_JSON_ITER_INIT;
		while (rc == AMLR_OK &&
		       amlr_json_next(&col, &v,
				      amlr_json_get(amlr_json_get(spec, name),
						    "properties"),
				      &it)) {
			amlr_json *c = NULL;

			if ((rc = column_schema(&c, v)) == AMLR_OK)
				rc = amlr_json_set(cols, col, c);
		}
		if (rc != AMLR_OK)
			break;
		rc = amlr_json_set(item, "properties", cols);
		cols = NULL;
		if (rc != AMLR_OK ||
		    (rc = amlr_buf_printf(&key, "%sItem", name)) != AMLR_OK)
			break;
		rc = amlr_json_set(defs, key.ptr, item);
		item = NULL;
		if (rc != AMLR_OK ||
		    (rc = amlr_json_new_object(&arr)) != AMLR_OK ||
		    (rc = amlr_json_set_str(arr, "type", "array")) != AMLR_OK ||
		    (rc = amlr_json_new_object(&ref)) != AMLR_OK)
			break;
		amlr_buf_clear(&key);
		if ((rc = amlr_buf_printf(&key, "#/definitions/%sItem",
					  name)) != AMLR_OK ||
		    (rc = amlr_json_set_str(ref, "$ref", key.ptr)) != AMLR_OK)
			break;
		rc = amlr_json_set(arr, "items", ref);
		ref = NULL;
		if (rc == AMLR_OK)
			rc = amlr_json_set(holder, name, arr);
		arr = NULL;
	}
	amlr_json_free(item);
	amlr_json_free(cols);
	amlr_json_free(arr);
	amlr_json_free(ref);
	amlr_buf_release(&key);
	return rc;
}

/* {"type":"object","properties":{@p key: {"type":"object",
 * "properties": *inner}}}, with *inner (new) to fill. */
static amlr_code wrapper(amlr_json **out, amlr_json **inner, const char *key)
{
	amlr_json *props = NULL, *mid = NULL;
	amlr_code rc;

	*out = *inner = NULL;
	if ((rc = amlr_json_new_object(out)) != AMLR_OK ||
	    (rc = amlr_json_set_str(*out, "type", "object")) != AMLR_OK ||
	    (rc = amlr_json_new_object(&props)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&mid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(mid, "type", "object")) != AMLR_OK ||
	    (rc = amlr_json_new_object(inner)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(mid, "properties", *inner);
	if (rc == AMLR_OK) {
		rc = amlr_json_set(props, key, mid);
		mid = NULL;
	}
	if (rc == AMLR_OK) {
		rc = amlr_json_set(*out, "properties", props);
		props = NULL;
	}
done:
	amlr_json_free(props);
	amlr_json_free(mid);
	if (rc != AMLR_OK) {
		amlr_json_free(*out);
		*out = *inner = NULL;
	}
	return rc;
}

/* BatchExecutionRequest: Inputs, Outputs, GlobalParameters (§1.2). */
static const char batch_request[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"Inputs\":{\"type\":\"object\",\"additionalProperties\":"
	"{\"$ref\":\"#/definitions/AzureBlobDataReference\"}},"
	"\"Outputs\":{\"type\":\"object\",\"additionalProperties\":"
	"{\"$ref\":\"#/definitions/AzureBlobDataReference\"}},"
	"\"GlobalParameters\":{\"type\":\"object\"}}}";

static amlr_code swagger_doc(amlr_json **out, const struct emu_req *req,
			     const amlr_json *props)
{
	const char *base = req->ctx->base_url, *host = strstr(base, "://");
	const char *title = amlr_json_get_str(props, "title");
	const char *epname = amlr_json_get_str(props, "endpointName");
	amlr_json *doc = NULL, *info, *defs, *req_def = NULL, *inputs, *globals;
	amlr_json *res_def = NULL, *results, *v = NULL;
	amlr_buf path = AMLR_BUF_INIT;
	const char *p;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_parse(&doc, NULL, swagger_template,
				  sizeof(swagger_template) - 1)) != AMLR_OK)
		goto done;
	info = amlr_json_get(doc, "info");
	defs = amlr_json_get(doc, "definitions");
	/* The path as sent, up to /swagger.json: the execution base. */
	p = strstr(req->path, "/swagger.json");
	if ((rc = amlr_buf_put(&path, req->path,
			       p ? (size_t)(p - req->path)
				 : strlen(req->path))) != AMLR_OK ||
	    (rc = amlr_json_set_str(info, "title", title ? title : "")) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(
		     info, "description",
		     amlr_json_get_str(props, "description")
			     ? amlr_json_get_str(props, "description")
			     : "")) != AMLR_OK ||
	    (rc = amlr_json_set_str(info, "x-endpoint-name",
				    epname ? epname : "default")) != AMLR_OK ||
	    (rc = amlr_json_set_str(doc, "host", host ? host + 3 : base)) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(doc, "basePath", path.ptr)) != AMLR_OK)
		goto done;
	if (strncmp(base, "https://", 8) == 0) {
		if ((rc = amlr_json_new_array(&v)) != AMLR_OK ||
		    (rc = str_array(v, "https")) != AMLR_OK ||
		    (rc = amlr_json_set(doc, "schemes", v)) != AMLR_OK) {
			v = NULL;
			goto done;
		}
		v = NULL;
	}
	if ((rc = wrapper(&req_def, &inputs, "Inputs")) != AMLR_OK ||
	    (rc = io_schemas(defs, inputs, props, 0)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&globals)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(globals, "type", "object")) != AMLR_OK ||
	    (rc = amlr_json_set(amlr_json_get(req_def, "properties"),
				"GlobalParameters", globals)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(defs, "ExecutionRequest", req_def);
	req_def = NULL;
	if (rc != AMLR_OK ||
	    (rc = wrapper(&res_def, &results, "Results")) != AMLR_OK ||
	    (rc = io_schemas(defs, results, props, 1)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(defs, "ExecutionResults", res_def);
	res_def = NULL;
	if (rc != AMLR_OK ||
	    (rc = amlr_json_parse(&res_def, NULL, batch_request,
				  sizeof(batch_request) - 1)) != AMLR_OK)
		goto done;
	rc = amlr_json_set(defs, "BatchExecutionRequest", res_def);
	res_def = NULL;
	if (rc == AMLR_OK) {
		*out = doc;
		doc = NULL;
	}
done:
	amlr_json_free(doc);
	amlr_json_free(req_def);
	amlr_json_free(res_def);
	amlr_buf_release(&path);
	return rc;
}

/* GET {base}/swagger.json: no key needed; api-version optional (§1.1). */
static amlr_code h_swagger(struct emu_req *req, struct emu_resp *resp)
{
	const char *v = emu_req_query(req, "api-version");
	struct emu_bes_call call;
	amlr_json *props = NULL, *doc = NULL;
	amlr_code rc;

	if (v && strcmp(v, API_VERSION) != 0)
		return emu_bes_send_error(resp, 400, "BadArgument",
					  "BadVersionCall", "api-version",
					  "The api-version must be 2.0.");
	call_of(&call, req, NULL);
	rc = emu_bes_props(&props, req->ctx->world, call.kind, call.scope,
			   call.target);
	if (rc == AMLR_ENOTFOUND)
		return emu_bes_send_error(resp, 404, "NotFound",
					  "WebServiceNotFound", NULL,
					  "Web service not found.");
	if (rc == AMLR_OK && (rc = swagger_doc(&doc, req, props)) == AMLR_OK)
		rc = emu_resp_json(resp, 200, doc);
	amlr_json_free(doc);
	amlr_json_free(props);
	return rc;
}

const struct emu_route emu_bes_routes[] = {
	{ "POST", BASE "/jobs", h_submit },
	{ "POST", BASE "/jobs/{job}/start", h_start },
	{ "GET", BASE "/jobs/{job}", h_status },
	{ "DELETE", BASE "/jobs/{job}", h_cancel },
	{ "POST", BASE "/execute", h_execute },
	{ "GET", BASE "/swagger.json", h_swagger },
	{ "POST", CLASSIC_BASE "/jobs", h_submit },
	{ "POST", CLASSIC_BASE "/jobs/{job}/start", h_start },
	{ "GET", CLASSIC_BASE "/jobs/{job}", h_status },
	{ "DELETE", CLASSIC_BASE "/jobs/{job}", h_cancel },
	{ "POST", CLASSIC_BASE "/execute", h_execute },
	{ "GET", CLASSIC_BASE "/swagger.json", h_swagger },
	EMU_ROUTES_END,
};
