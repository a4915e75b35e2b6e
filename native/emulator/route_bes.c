/* SPDX-License-Identifier: MIT */
/* BES 2.0 jobs and RRS execute on Resource Manager web services. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amlr/secret.h"
#include "arm_store.h"
#include "bes_store.h"
#include "graph.h"
#include "learn.h"
#include "router.h"

/*
 * The execution URLs of a Resource Manager web service, as its portal
 * shows them (../shared/reference/notes/classic-bes-rrs.md §2.2) beside
 * its swaggerLocation: {emulator}/subscriptions/{subscription without
 * dashes}/services/{32 hex}/jobs and .../execute, each with
 * api-version=2.0 and `Authorization: Bearer <primary or secondary key>`.
 */
#define BASE "/subscriptions/{sub}/services/{svc}"
#define API_VERSION "2.0"

/* {"error":{code, message, details:[{code, target, message}]}} */
static amlr_code send_error(struct emu_resp *resp, unsigned status,
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

/*
 * Find the web service of the URL and check the api-version and the key:
 * 1 with *props_out (the caller frees it), 0 answered, -1 failure.
 */
static int admit(amlr_json **props_out, struct emu_req *req,
		 struct emu_resp *resp)
{
	const char *v = emu_req_query(req, "api-version");
	const char *auth = emu_req_header(req, "Authorization");
	const amlr_json *keys;
	amlr_json *props = NULL;
	int primary, secondary;
	amlr_code rc;

	*props_out = NULL;
	if (!v || strcmp(v, API_VERSION) != 0)
		return send_error(resp, 400, "BadArgument", "BadVersionCall",
				  "api-version",
				  "The api-version must be 2.0.") == AMLR_OK
			       ? 0
			       : -1;
	rc = emu_arm_ws_by_service(req->ctx->world->arm, &props,
				   emu_req_param(req, "sub"),
				   emu_req_param(req, "svc"));
	if (rc == AMLR_ENOTFOUND)
		return send_error(resp, 404, "NotFound", "WebServiceNotFound",
				  NULL, "Web service not found.") == AMLR_OK
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
	return send_error(resp, 401, "Unauthorized", "ScoreRequestUnauthorized",
			  NULL,
			  "Request is unauthorized to access resource.") ==
			       AMLR_OK
		       ? 0
		       : -1;
}

static void call_of(struct emu_bes_call *call, const struct emu_req *req,
		    const amlr_json *props)
{
	call->base_url = req->ctx->base_url;
	call->sub = emu_req_param(req, "sub");
	call->service = emu_req_param(req, "svc");
	call->props = props;
}

static amlr_code answer(struct emu_resp *resp, struct emu_bes_result *res)
{
	if (res->status >= 400)
		return send_error(resp, res->status, res->code,
				  res->detail_code, res->target, res->message);
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
	return send_error(
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
		rc = answer(resp, &res);
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
	int64_t t0 = mono_ms();
	int ok;
	amlr_code rc = AMLR_EFAIL;

	if ((ok = admit(&props, req, resp)) != 1 ||
	    (ok = body_json(&body, req, resp)) != 1) {
		rc = ok == 0 ? AMLR_OK : AMLR_EFAIL;
		goto done;
	}
	ins = amlr_json_get(body, "Inputs");
	if (amlr_json_type_of(ins) != AMLR_JSON_OBJECT) {
		rc = send_error(resp, 400, "BadArgument", "MissingRequestInput",
				"Inputs", "The request has no Inputs.");
		goto done;
	}
	if ((key = emu_graph_missing_global(
		     props, amlr_json_get(body, "GlobalParameters")))) {
		snprintf(why, sizeof(why), "global parameter '%s' is required",
			 key);
		rc = send_error(resp, 400, "BadArgument",
				"MissingRequiredGlobalParameters", key, why);
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
		rc = send_error(resp, 400, "BadArgument", "InvalidOutputType",
				key, why);
		goto done;
	}
	if (!(inputs = calloc(amlr_json_len(ins) + 1, sizeof(*inputs))) ||
	    !(csv = calloc(amlr_json_len(ins) + 1, sizeof(*csv))))
		goto done;
	while (amlr_json_next(&key, &val, ins, &it)) {
		ok = input_csv(&csv[n_in], why, sizeof(why), key, val, swagger);
		if (ok != 1) {
			rc = ok == 0 ? send_error(resp, 400, "BadUserArgument",
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
		rc = send_error(resp, 400, "ModuleExecutionError",
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

const struct emu_route emu_bes_routes[] = {
	{ "POST", BASE "/jobs", h_submit },
	{ "POST", BASE "/jobs/{job}/start", h_start },
	{ "GET", BASE "/jobs/{job}", h_status },
	{ "DELETE", BASE "/jobs/{job}", h_cancel },
	{ "POST", BASE "/execute", h_execute },
	EMU_ROUTES_END,
};
