/* SPDX-License-Identifier: MIT */
/* CSV (RFC 4180) with a header row, into column names and rows for RRS. */
#include <stdlib.h>
#include <string.h>

#include "job.h"

struct csv {
	const char *p, *end;
	size_t line; /* of the current position, 1-based */
	amlr_buf cell;
	amlr_error *err;
};

/* Read one field into c->cell; *eol set when the record ends after it. */
static amlr_code field(struct csv *c, int *eol)
{
	size_t start_line = c->line;

	amlr_buf_clear(&c->cell);
	if (amlr_buf_put(&c->cell, "", 0) != AMLR_OK)
		return AMLR_EFAIL;
	*eol = 0;
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			if (c->p >= c->end)
				return amlr_error_set(
					c->err, AMLR_EINVAL,
					"line %zu: a quoted field is not closed",
					start_line);
			if (*c->p == '"') {
				if (c->p + 1 < c->end && c->p[1] == '"') {
					if (amlr_buf_put(&c->cell, "\"", 1))
						return AMLR_EFAIL;
					c->p += 2;
					continue;
				}
				c->p++;
				break;
			}
			if (*c->p == '\n')
				c->line++;
			if (amlr_buf_put(&c->cell, c->p, 1) != AMLR_OK)
				return AMLR_EFAIL;
			c->p++;
		}
		if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
		    !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n'))
			return amlr_error_set(
				c->err, AMLR_EINVAL,
				"line %zu: text after the closing quote of a field",
				c->line);
	} else {
		const char *s = c->p;

		while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
		       !(*c->p == '\r' && c->p + 1 < c->end &&
			 c->p[1] == '\n')) {
			if (*c->p == '"')
				return amlr_error_set(
					c->err, AMLR_EINVAL,
					"line %zu: a quote inside an unquoted field (quote the whole field)",
					c->line);
			c->p++;
		}
		if (amlr_buf_put(&c->cell, s, (size_t)(c->p - s)) != AMLR_OK)
			return AMLR_EFAIL;
	}
	if (c->p >= c->end) {
		*eol = 1;
	} else if (*c->p == ',') {
		c->p++;
	} else {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
		*eol = 1;
	}
	return AMLR_OK;
}

/* One record into a new array; *out NULL for an empty line. */
static amlr_code record(amlr_json **out, struct csv *c)
{
	amlr_json *row = NULL, *s = NULL;
	int eol = 0;
	amlr_code rc;

	*out = NULL;
	if (*c->p == '\n' ||
	    (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
		return AMLR_OK;
	}
	if (amlr_json_new_array(&row) != AMLR_OK)
		return AMLR_EFAIL;
	while (!eol) {
		if ((rc = field(c, &eol)) != AMLR_OK)
			goto done;
		if ((rc = amlr_json_new_string(&s, c->cell.ptr)) != AMLR_OK ||
		    (rc = amlr_json_append(row, s)) != AMLR_OK) /* steals */
			goto done;
		s = NULL;
	}
	*out = row;
	row = NULL;
	rc = AMLR_OK;
done:
	amlr_json_free(row);
	return rc;
}

amlr_code cli_csv_parse(amlr_json **names, amlr_json **rows, amlr_error *err,
			const char *text, size_t len)
{
	struct csv c = { text, text + len, 1, AMLR_BUF_INIT, err };
	amlr_json *head = NULL, *all = NULL, *row = NULL;
	size_t line;
	amlr_code rc = AMLR_EFAIL;

	*names = NULL;
	*rows = NULL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	if (amlr_json_new_array(&all) != AMLR_OK)
		goto done;
	while (c.p < c.end) {
		line = c.line;
		if ((rc = record(&row, &c)) != AMLR_OK)
			goto done;
		if (!row)
			continue;
		if (!head) {
			head = row;
		} else if (amlr_json_len(row) != amlr_json_len(head)) {
			rc = amlr_error_set(
				err, AMLR_EINVAL,
				"line %zu: %zu fields; the header has %zu",
				line, amlr_json_len(row), amlr_json_len(head));
			goto done;
		} else if ((rc = amlr_json_append(all, row)) != AMLR_OK) {
			row = NULL; /* stolen */
			goto done;
		}
		row = NULL;
	}
	if (!head) {
		rc = amlr_error_set(err, AMLR_EINVAL, "no header row");
		goto done;
	}
	*names = head;
	*rows = all;
	head = NULL;
	all = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_buf_release(&c.cell);
	amlr_json_free(row);
	amlr_json_free(head);
	amlr_json_free(all);
	return rc;
}
