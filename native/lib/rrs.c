/* SPDX-License-Identifier: MIT */
/* Request-Response Service (RRS 2.0) client: execute in both formats. */
#include <stdlib.h>
#include <string.h>

#include "amlr/buf.h"
#include "amlr/rrs.h"
#include "bes_internal.h"
#include "http_internal.h"

struct amlr_rrs {
	struct amlr_bes__endpoint ep;
};

amlr_code amlr_rrs_new(amlr_rrs **out, amlr_client *client,
		       const char *api_location, const char *api_key)
{
	amlr_rrs *rrs;
	amlr_code rc;

	*out = NULL;
	if (!(rrs = calloc(1, sizeof(*rrs))))
		return amlr_error_set(amlr_client__err(client), AMLR_EFAIL,
				      "out of memory");
	if ((rc = amlr_bes__endpoint_init(&rrs->ep, client, api_location,
					  api_key)) != AMLR_OK) {
		free(rrs);
		return rc;
	}
	*out = rrs;
	return AMLR_OK;
}

void amlr_rrs_free(amlr_rrs *rrs)
{
	if (!rrs)
		return;
	amlr_bes__endpoint_release(&rrs->ep);
	free(rrs);
}

amlr_code amlr_rrs_execute(amlr_json **out, amlr_rrs *rrs,
			   amlr_rrs_format format, const amlr_json *request)
{
	amlr_error *err = amlr_client__err(rrs->ep.client);
	amlr_error perr = AMLR_ERROR_INIT;
	amlr_buf body = AMLR_BUF_INIT;
	amlr_response *resp = NULL;
	const char *text;
	size_t len;
	amlr_code rc;

	*out = NULL;
	if (amlr_json_serialize(&body, request, 0) != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if ((rc = amlr_bes__send(
		     &resp, &rrs->ep, "POST",
		     format == AMLR_RRS_SWAGGER
			     ? "/execute?api-version=2.0&format=swagger"
			     : "/execute?api-version=2.0&details=true",
		     body.ptr, body.len, 0)) != AMLR_OK)
		goto done;
	text = amlr_response_body(resp, &len);
	if (amlr_json_parse(out, &perr, text, len) != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_ESERVER,
				    "the scoring reply is not JSON (%s)",
				    perr.message);
		goto done;
	}
done:
	amlr_response_free(resp);
	amlr_buf_release(&body);
	return rc;
}

/* Add cell @p v of column @p name to a row: as it is to a swagger row
 * object, as text to a details row (§2.1: cells "usually sent as
 * strings"); null stays null.  AMLR_EINVAL for an array or object. */
static amlr_code add_cell(amlr_json *row, amlr_rrs_format format,
			  const char *name, const amlr_json *v)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *cell = NULL;
	amlr_json_type t = amlr_json_type_of(v);
	amlr_code rc;

	if (t == AMLR_JSON_ARRAY || t == AMLR_JSON_OBJECT)
		return AMLR_EINVAL;
	if (format == AMLR_RRS_SWAGGER)
		return amlr_json_set(row, name, amlr_json_ref((amlr_json *)v));
	if (t == AMLR_JSON_STRING)
		rc = amlr_json_new_string(&cell, amlr_json_str(v));
	else if (t != AMLR_JSON_NULL &&
		 (rc = amlr_json_serialize(&text, v, 0)) == AMLR_OK)
		rc = amlr_json_new_string(&cell, text.ptr);
	else
		rc = t == AMLR_JSON_NULL ? AMLR_OK : rc;
	amlr_buf_release(&text);
	if (rc != AMLR_OK)
		return rc;
	return amlr_json_append(row, cell); /* steals */
}

amlr_code amlr_rrs_request_from_rows(amlr_json **out, amlr_error *err,
				     amlr_rrs_format format,
				     const char *input_name,
				     const amlr_json *names,
				     const amlr_json *rows)
{
	amlr_json *doc = NULL, *inputs = NULL, *table = NULL, *values = NULL;
	amlr_json *row_out = NULL, *params = NULL;
	const amlr_json *row;
	const char *name;
	size_t ncols = amlr_json_len(names), r, c;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (amlr_json_type_of(names) != AMLR_JSON_ARRAY || !ncols) {
		rc = amlr_error_set(err, AMLR_EINVAL, "no column names");
		goto done;
	}
	for (c = 0; c < ncols; c++)
		if (!amlr_json_str(amlr_json_at(names, c))) {
			rc = amlr_error_set(err, AMLR_EINVAL,
					    "column name %zu is not a string",
					    c + 1);
			goto done;
		}
	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_new_object(&inputs) != AMLR_OK ||
	    amlr_json_new_object(&params) != AMLR_OK ||
	    amlr_json_new_array(&values) != AMLR_OK)
		goto done;
	for (r = 0; r < amlr_json_len(rows); r++) {
		row = amlr_json_at(rows, r);
		if (amlr_json_type_of(row) != AMLR_JSON_ARRAY ||
		    amlr_json_len(row) != ncols) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"row %zu has %zu values; there are %zu columns",
				r + 1, amlr_json_len(row), ncols);
			goto done;
		}
		if ((format == AMLR_RRS_SWAGGER
			     ? amlr_json_new_object(&row_out)
			     : amlr_json_new_array(&row_out)) != AMLR_OK)
			goto done;
		for (c = 0; c < ncols; c++) {
			name = amlr_json_str(amlr_json_at(names, c));
			rc = add_cell(row_out, format, name,
				      amlr_json_at(row, c));
			if (rc == AMLR_EINVAL) {
				amlr_error_set(
					err, rc,
					"row %zu, column '%s': not a single value",
					r + 1, name);
				goto done;
			}
			if (rc != AMLR_OK)
				goto done;
		}
		rc = amlr_json_append(values, row_out); /* steals */
		row_out = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	rc = AMLR_EFAIL;
	if (format == AMLR_RRS_SWAGGER) {
		table = values;
		values = NULL;
	} else {
		if (amlr_json_new_object(&table) != AMLR_OK ||
		    amlr_json_set(table, "ColumnNames",
				  amlr_json_ref((amlr_json *)names)) != AMLR_OK)
			goto done;
		rc = amlr_json_set(table, "Values", values); /* steals */
		values = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	rc = amlr_json_set(inputs, input_name, table); /* steals */
	table = NULL;
	if (rc == AMLR_OK)
		rc = amlr_json_set(doc, "Inputs", inputs); /* steals */
	inputs = NULL;
	if (rc == AMLR_OK)
		rc = amlr_json_set(doc, "GlobalParameters",
				   params); /* steals */
	params = NULL;
	if (rc != AMLR_OK)
		goto done;
	*out = doc;
	doc = NULL;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_json_free(row_out);
	amlr_json_free(params);
	amlr_json_free(values);
	amlr_json_free(table);
	amlr_json_free(inputs);
	amlr_json_free(doc);
	return rc;
}
