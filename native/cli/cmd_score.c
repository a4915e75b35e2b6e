/* SPDX-License-Identifier: MIT */
/* amlretrain score: request-response scoring (RRS) of CSV or JSON rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/rrs.h"
#include "job.h"
#include "out.h"

#define INPUT_MAX ((size_t)64 << 20)

static const char *const format_choices[] = { "details", "swagger", NULL };

static const struct cli_opt score_opts[] = {
	CLI_EXEC_OPTS,
	{ "input", 'i', CLI_OPT_VALUE, "FILE",
	  "the rows: CSV with a header row, or JSON ('-': standard input)",
	  NULL, CLI_OPT_REQUIRED },
	{ "input-name", 0, CLI_OPT_VALUE, "NAME",
	  "the web service input the rows go to (default input1)", NULL, 0 },
	{ "param", 'p', CLI_OPT_VALUE, "NAME=VALUE",
	  "a global parameter of the web service", NULL, CLI_OPT_REPEAT },
	{ "format", 0, CLI_OPT_VALUE, "FORMAT",
	  "details (default: ColumnNames and Values) or swagger (row objects)",
	  format_choices, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct cli_usage score_usage = {
	"amlretrain score",
	"--input FILE|- [--format details|swagger] [options]",
	"Score rows with a web service (request-response) and print the reply.",
	"The rows are CSV with a header row (RFC 4180 quoting), or JSON: an\n"
	"array of row objects, or a whole request body ({\"Inputs\": ...}),\n"
	"sent as it is.  The reply is printed as the service gave it; with\n"
	"-o table, each output's rows under its column names.\n\n"
	"The endpoint is --api-location (default $" CLI_API_LOCATION_ENV
	"); its API key\n"
	"comes from $" CLI_API_KEY_ENV
	" or --api-key-file FILE, never from the\n"
	"command line.",
	score_opts,
	NULL,
	0,
};

/* Column names: the members of every row object, in first-seen order. */
static amlr_code rows_of_objects(amlr_json **names_out, amlr_json **rows_out,
				 amlr_error *err, const amlr_json *arr)
{
	amlr_json_iter it;
	amlr_json *names = NULL, *rows = NULL, *row = NULL, *seen = NULL;
	const amlr_json *obj;
	const char *key;
	amlr_json *val;
	size_t r, c;
	amlr_code rc = AMLR_EFAIL;

	*names_out = NULL;
	*rows_out = NULL;
	if (amlr_json_new_array(&names) != AMLR_OK ||
	    amlr_json_new_array(&rows) != AMLR_OK ||
	    amlr_json_new_object(&seen) != AMLR_OK)
		goto done;
	for (r = 0; r < amlr_json_len(arr); r++) {
		obj = amlr_json_at(arr, r);
		if (amlr_json_type_of(obj) != AMLR_JSON_OBJECT) {
			rc = amlr_error_set(err, AMLR_EINVAL,
					    "row %zu is not a JSON object",
					    r + 1);
			goto done;
		}
		memset(&it, 0, sizeof(it));
		while (amlr_json_next(&key, &val, obj, &it)) {
			if (amlr_json_get(seen, key))
				continue;
			if (amlr_json_set_int(seen, key, 1) != AMLR_OK ||
			    amlr_json_new_string(&row, key) != AMLR_OK ||
			    amlr_json_append(names, row) != AMLR_OK) {
				row = NULL;
				goto done;
			}
			row = NULL;
		}
	}
	for (r = 0; r < amlr_json_len(arr); r++) {
		obj = amlr_json_at(arr, r);
		if (amlr_json_new_array(&row) != AMLR_OK)
			goto done;
		for (c = 0; c < amlr_json_len(names); c++)
			if (amlr_json_append(
				    row,
				    amlr_json_ref(amlr_json_get(
					    obj, amlr_json_str(amlr_json_at(
							 names, c))))) !=
			    AMLR_OK)
				goto done;
		rc = amlr_json_append(rows, row); /* steals */
		row = NULL;
		if (rc != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
	}
	*names_out = names;
	*rows_out = rows;
	names = NULL;
	rows = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_json_free(seen);
	amlr_json_free(row);
	amlr_json_free(names);
	amlr_json_free(rows);
	return rc;
}

static int looks_like_json(const char *path, const char *text, size_t len)
{
	size_t n = strlen(path), i = 0;

	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		return 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

/* The request body of --input, in the shape of @p format. */
static int build_request(amlr_json **out, struct cli_ctx *ctx,
			 const struct cli_args *args, amlr_rrs_format format)
{
	const char *path = cli_arg(args, "input");
	const char *input = cli_arg(args, "input-name")
				    ? cli_arg(args, "input-name")
				    : "input1";
	amlr_buf text = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *doc = NULL, *names = NULL, *rows = NULL;
	amlr_code code;
	int rc = 0;

	*out = NULL;
	if (amlr_file_read(&text, &err, path, INPUT_MAX) != AMLR_OK) {
		err.code = AMLR_EINVAL;
		rc = cli_fail(ctx, &err);
		goto done;
	}
	if (!text.ptr && amlr_buf_puts(&text, "") != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (looks_like_json(path, text.ptr, text.len)) {
		if (amlr_json_parse(&doc, &err, text.ptr, text.len) !=
		    AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EINVAL, "%s: %s", path,
				       err.message);
			goto done;
		}
		if (amlr_json_type_of(doc) == AMLR_JSON_OBJECT) {
			if (!amlr_json_get(doc, "Inputs")) {
				rc = cli_failf(
					ctx, AMLR_EINVAL,
					"%s: a JSON object must be a request body with \"Inputs\"; or give an array of row objects",
					path);
				goto done;
			}
			*out = doc;
			doc = NULL;
			goto done;
		}
		if (amlr_json_type_of(doc) != AMLR_JSON_ARRAY) {
			rc = cli_failf(
				ctx, AMLR_EINVAL,
				"%s: expected an array of row objects or a request body",
				path);
			goto done;
		}
		code = rows_of_objects(&names, &rows, &err, doc);
	} else {
		code = cli_csv_parse(&names, &rows, &err, text.ptr, text.len);
	}
	if (code == AMLR_OK)
		code = amlr_rrs_request_from_rows(out, &err, format, input,
						  names, rows);
	if (code != AMLR_OK)
		rc = cli_failf(ctx, code, "%s: %s", path, err.message);
done:
	amlr_json_free(names);
	amlr_json_free(rows);
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return rc;
}

/* A details output as row objects under its ColumnNames. */
static amlr_code details_rows(amlr_json **out, const amlr_json *output)
{
	const amlr_json *value = amlr_json_get(output, "value");
	const amlr_json *names = amlr_json_get(value, "ColumnNames");
	const amlr_json *values = amlr_json_get(value, "Values");
	amlr_json *rows = NULL, *row = NULL;
	const amlr_json *src;
	const char *name;
	size_t r, c;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (amlr_json_new_array(&rows) != AMLR_OK)
		goto done;
	for (r = 0; r < amlr_json_len(values); r++) {
		src = amlr_json_at(values, r);
		if (amlr_json_new_object(&row) != AMLR_OK)
			goto done;
		for (c = 0; c < amlr_json_len(src); c++) {
			char fallback[32];

			name = amlr_json_str(amlr_json_at(names, c));
			if (!name) {
				snprintf(fallback, sizeof(fallback),
					 "column%zu", c + 1);
				name = fallback;
			}
			if (amlr_json_set(row, name,
					  amlr_json_ref(amlr_json_at(
						  src, c))) != AMLR_OK)
				goto done;
		}
		rc = amlr_json_append(rows, row); /* steals */
		row = NULL;
		if (rc != AMLR_OK)
			goto done;
		rc = AMLR_EFAIL;
	}
	*out = rows;
	rows = NULL;
	rc = AMLR_OK;
done:
	amlr_json_free(row);
	amlr_json_free(rows);
	return rc;
}

/* -o table/tsv: every output's rows (a heading when there are several). */
static int emit_tables(struct cli_ctx *ctx, const amlr_json *reply)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const amlr_json *results = amlr_json_get(reply, "Results");
	amlr_json *out, *rows = NULL;
	const char *name;
	size_t i = 0;
	int rc = 0;

	while (!rc && amlr_json_next(&name, &out, results, &it)) {
		if (amlr_json_len(results) > 1 && ctx->output == CLI_OUT_TABLE)
			printf("%s%s:\n", i ? "\n" : "", name);
		i++;
		if (amlr_json_type_of(out) == AMLR_JSON_ARRAY)
			rows = amlr_json_ref(out); /* swagger */
		else if (details_rows(&rows, out) != AMLR_OK)
			return cli_failf(ctx, AMLR_EFAIL, "out of memory");
		if (amlr_json_len(rows))
			rc = cli_emit(ctx, rows);
		amlr_json_free(rows);
		rows = NULL;
	}
	return rc;
}

int cmd_score(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args args = CLI_ARGS_INIT;
	struct cli_exec e = CLI_EXEC_INIT;
	amlr_json *req = NULL, *reply = NULL;
	amlr_rrs_format format = AMLR_RRS_DETAILS;
	amlr_client *client;
	amlr_rrs *rrs = NULL;
	int rc;

	if ((rc = cli_parse(&args, ctx, &score_usage, argc, argv)) != 0)
		goto done;
	if (cli_arg(&args, "format") &&
	    strcmp(cli_arg(&args, "format"), "swagger") == 0)
		format = AMLR_RRS_SWAGGER;
	if ((rc = cli_exec_resolve(&e, ctx, &score_usage, &args)) != 0 ||
	    (rc = build_request(&req, ctx, &args, format)) != 0 ||
	    (rc = cli_job_params(req, ctx, &score_usage, &args)) != 0)
		goto done;
	if (!(client = cli_client(ctx))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (amlr_rrs_new(&rrs, client, e.location, e.key) != AMLR_OK ||
	    amlr_rrs_execute(&reply, rrs, format, req) != AMLR_OK) {
		rc = cli_fail(ctx, amlr_client_error(client));
		goto done;
	}
	if (ctx->output == CLI_OUT_JSON)
		rc = cli_emit(ctx, reply);
	else
		rc = emit_tables(ctx, reply);
done:
	amlr_json_free(reply);
	amlr_json_free(req);
	amlr_rrs_free(rrs);
	cli_exec_release(&e);
	cli_args_release(&args);
	return rc;
}
