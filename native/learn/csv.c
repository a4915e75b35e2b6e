/* SPDX-License-Identifier: MIT */
/* RFC 4180 CSV: a streaming reader (one record in memory) and a writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn_internal.h"

#define IBUF_SIZE 65536
#define C_EOF (-1)
#define C_ERR (-2)

struct learn_csv {
	FILE *in;
	unsigned char *ibuf;
	size_t ipos;
	size_t ilen;
	int at_start; /* nothing read yet: drop a byte order mark */
	/* the current record: fields NUL-terminated one after another */
	char *rec;
	size_t rec_len;
	size_t rec_cap;
	size_t *offs;
	size_t n_fields;
	size_t offs_cap;
	const char **fields;
	/* the header */
	char *hdr_rec;
	const char **header;
	size_t n_columns;
	unsigned long line; /* the line being read */
	unsigned long rec_line; /* the line where the last record began */
};

static int fill(struct learn_csv *r)
{
	r->ilen = fread(r->ibuf, 1, IBUF_SIZE, r->in);
	r->ipos = 0;
	if (r->ilen)
		return 0;
	return ferror(r->in) ? C_ERR : C_EOF;
}

static inline int peek(struct learn_csv *r)
{
	int rc;

	if (r->ipos < r->ilen)
		return r->ibuf[r->ipos];
	if ((rc = fill(r)) < 0)
		return rc;
	return r->ibuf[r->ipos];
}

static inline int get(struct learn_csv *r)
{
	int c = peek(r);

	if (c >= 0)
		r->ipos++;
	return c;
}

/* Append @p n bytes to the field that began at @p field_start. */
static learn_code append(struct learn_csv *r, const void *p, size_t n,
			 size_t field_start, char *err)
{
	char *q;
	size_t cap;

	if (r->rec_len - field_start + n > LEARN_CSV_MAX_FIELD) {
		learn_err_set(err, "line %lu: a field is longer than %u bytes",
			      r->line, LEARN_CSV_MAX_FIELD);
		return LEARN_ECSV;
	}
	if (r->rec_len + n > LEARN_CSV_MAX_RECORD) {
		learn_err_set(err, "line %lu: a record is longer than %u bytes",
			      r->rec_line, LEARN_CSV_MAX_RECORD);
		return LEARN_ECSV;
	}
	if (r->rec_len + n + 1 > r->rec_cap) {
		cap = r->rec_cap ? r->rec_cap : 256;
		while (cap < r->rec_len + n + 1)
			cap *= 2;
		if (!(q = realloc(r->rec, cap))) {
			learn_err_set(err, "out of memory");
			return LEARN_ENOMEM;
		}
		r->rec = q;
		r->rec_cap = cap;
	}
	memcpy(r->rec + r->rec_len, p, n);
	r->rec_len += n;
	return LEARN_OK;
}

static learn_code put(struct learn_csv *r, char c, size_t field_start,
		      char *err)
{
	return append(r, &c, 1, field_start, err);
}

/*
 * Copy the run of bytes at the read position that @p stop does not flag,
 * straight from the input buffer: most fields are one run.
 */
static learn_code run(struct learn_csv *r, const unsigned char *stop,
		      size_t start, char *err)
{
	const unsigned char *p, *q, *e;
	learn_code rc;

	while (r->ipos < r->ilen || peek(r) >= 0) {
		p = r->ibuf + r->ipos;
		e = r->ibuf + r->ilen;
		for (q = p; q < e && !stop[*q]; q++)
			;
		if ((rc = append(r, p, (size_t)(q - p), start, err)))
			return rc;
		r->ipos += (size_t)(q - p);
		if (q < e)
			break;
	}
	return LEARN_OK;
}

/* bytes that end a run: in an unquoted field, in a quoted one */
static const unsigned char stop_plain[256] = {
	[0] = 1, [','] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1
};
static const unsigned char stop_quoted[256] = {
	[0] = 1, ['\n'] = 1, ['"'] = 1
};

static learn_code start_field(struct learn_csv *r, char *err)
{
	size_t *p;
	size_t cap;

	if (r->n_fields >= LEARN_CSV_MAX_COLUMNS) {
		learn_err_set(err, "line %lu: more than %u fields", r->rec_line,
			      LEARN_CSV_MAX_COLUMNS);
		return LEARN_ECSV;
	}
	if (r->n_fields == r->offs_cap) {
		cap = r->offs_cap ? r->offs_cap * 2 : 16;
		if (!(p = realloc(r->offs, cap * sizeof(*p)))) {
			learn_err_set(err, "out of memory");
			return LEARN_ENOMEM;
		}
		r->offs = p;
		r->offs_cap = cap;
	}
	r->offs[r->n_fields++] = r->rec_len;
	return LEARN_OK;
}

static learn_code io_error(const struct learn_csv *r, char *err)
{
	learn_err_set(err, "line %lu: read error: %s", r->line,
		      strerror(errno));
	return LEARN_EIO;
}

/* Consume a line break (LF, CRLF or a lone CR) whose first byte is @p c. */
static void end_line(struct learn_csv *r, int c)
{
	if (c == '\r' && peek(r) == '\n')
		r->ipos++;
	r->line++;
}

/* A quoted field, the opening quote consumed. */
static learn_code read_quoted(struct learn_csv *r, size_t start, char *err)
{
	unsigned long first = r->line;
	learn_code rc;
	int c;

	for (;;) {
		if ((rc = run(r, stop_quoted, start, err)) != LEARN_OK)
			return rc;
		c = get(r);
		if (c == C_ERR)
			return io_error(r, err);
		if (c == C_EOF) {
			learn_err_set(err,
				      "line %lu: unterminated quoted field",
				      first);
			return LEARN_ECSV;
		}
		if (c == '"') {
			if (peek(r) != '"')
				return LEARN_OK;
			r->ipos++;
		} else if (c == '\n') {
			r->line++;
		} else if (c == '\0') {
			learn_err_set(err, "line %lu: NUL byte in a field",
				      r->line);
			return LEARN_ECSV;
		}
		if ((rc = put(r, (char)c, start, err)) != LEARN_OK)
			return rc;
	}
}

/*
 * Read one record into r->rec / r->offs.  *got is 0 at the end of the
 * input.  Empty lines before the record are skipped.
 */
static learn_code read_record(struct learn_csv *r, int *got, char *err)
{
	learn_code rc;
	size_t start;
	int c;

	*got = 0;
	r->rec_len = 0;
	r->n_fields = 0;
	for (;;) {
		c = peek(r);
		if (c == C_ERR)
			return io_error(r, err);
		if (c == C_EOF)
			return LEARN_OK;
		if (r->at_start) {
			r->at_start = 0;
			if (r->ilen - r->ipos >= 3 &&
			    r->ibuf[r->ipos] == 0xEF &&
			    r->ibuf[r->ipos + 1] == 0xBB &&
			    r->ibuf[r->ipos + 2] == 0xBF) {
				r->ipos += 3;
				continue;
			}
		}
		if (c != '\n' && c != '\r')
			break;
		r->ipos++;
		end_line(r, c);
	}
	r->rec_line = r->line;
	for (;;) {
		if ((rc = start_field(r, err)) != LEARN_OK)
			return rc;
		start = r->rec_len;
		c = get(r);
		if (c == '"') {
			if ((rc = read_quoted(r, start, err)) != LEARN_OK)
				return rc;
			c = get(r);
			if (c != ',' && c != '\n' && c != '\r' && c != C_EOF) {
				if (c == C_ERR)
					return io_error(r, err);
				learn_err_set(
					err,
					"line %lu: text after a closing quote",
					r->line);
				return LEARN_ECSV;
			}
		} else {
			if (c >= 0 && !stop_plain[c]) {
				if ((rc = put(r, (char)c, start, err)) ||
				    (rc = run(r, stop_plain, start, err)))
					return rc;
				c = get(r);
			}
			while (c != ',' && c != '\n' && c != '\r' &&
			       c != C_EOF) {
				if (c == C_ERR)
					return io_error(r, err);
				if (c == '"') {
					learn_err_set(
						err,
						"line %lu: quote inside an unquoted field",
						r->line);
					return LEARN_ECSV;
				}
				if (c == '\0') {
					learn_err_set(
						err,
						"line %lu: NUL byte in a field",
						r->line);
					return LEARN_ECSV;
				}
				if ((rc = put(r, (char)c, start, err)) !=
				    LEARN_OK)
					return rc;
				c = get(r);
			}
		}
		if ((rc = put(r, '\0', start, err)) != LEARN_OK)
			return rc;
		if (c != ',')
			break;
	}
	if (c == '\n' || c == '\r')
		end_line(r, c);
	*got = 1;
	return LEARN_OK;
}

static learn_code point_fields(struct learn_csv *r, char *err)
{
	size_t i;

	if (!r->fields) {
		r->fields = calloc(r->n_columns ? r->n_columns : 1,
				   sizeof(*r->fields));
		if (!r->fields) {
			learn_err_set(err, "out of memory");
			return LEARN_ENOMEM;
		}
	}
	for (i = 0; i < r->n_fields; i++)
		r->fields[i] = r->rec + r->offs[i];
	return LEARN_OK;
}

learn_code learn_csv_open(learn_csv **out, FILE *in, char *err)
{
	struct learn_csv *r = NULL;
	learn_code rc = LEARN_ENOMEM;
	size_t i;
	int got;

	*out = NULL;
	if (err)
		err[0] = '\0';
	if (!(r = calloc(1, sizeof(*r))) || !(r->ibuf = malloc(IBUF_SIZE))) {
		learn_err_set(err, "out of memory");
		goto done;
	}
	r->in = in;
	r->at_start = 1;
	r->line = 1;
	if ((rc = read_record(r, &got, err)) != LEARN_OK)
		goto done;
	if (!got) {
		learn_err_set(err, "line 1: no header row (empty input)");
		rc = LEARN_ECSV;
		goto done;
	}
	r->n_columns = r->n_fields;
	rc = LEARN_ENOMEM;
	if (!(r->hdr_rec = malloc(r->rec_len)) ||
	    !(r->header = calloc(r->n_columns, sizeof(*r->header)))) {
		learn_err_set(err, "out of memory");
		goto done;
	}
	memcpy(r->hdr_rec, r->rec, r->rec_len);
	for (i = 0; i < r->n_columns; i++)
		r->header[i] = r->hdr_rec + r->offs[i];
	rc = LEARN_OK;
	*out = r;
	r = NULL;
done:
	learn_csv_free(r);
	return rc;
}

size_t learn_csv_columns(const learn_csv *r)
{
	return r->n_columns;
}

const char *const *learn_csv_header(const learn_csv *r)
{
	return r->header;
}

unsigned long learn_csv_line(const learn_csv *r)
{
	return r->rec_line;
}

learn_code learn_csv_next(const char *const **fields_out, learn_csv *r,
			  char *err)
{
	learn_code rc;
	int got;

	*fields_out = NULL;
	if ((rc = read_record(r, &got, err)) != LEARN_OK || !got)
		return rc;
	if (r->n_fields != r->n_columns) {
		learn_err_set(err,
			      "line %lu: %zu field%s where the header has %zu",
			      r->rec_line, r->n_fields,
			      r->n_fields == 1 ? "" : "s", r->n_columns);
		return LEARN_ECSV;
	}
	if ((rc = point_fields(r, err)) != LEARN_OK)
		return rc;
	*fields_out = r->fields;
	return LEARN_OK;
}

void learn_csv_free(learn_csv *r)
{
	if (!r)
		return;
	free(r->ibuf);
	free(r->rec);
	free(r->offs);
	free(r->fields);
	free(r->hdr_rec);
	free(r->header);
	free(r);
}

static int needs_quotes(const char *s)
{
	size_t n = strlen(s);

	if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
		  s[n - 1] == '\t'))
		return 1;
	return strpbrk(s, ",\"\r\n") != NULL;
}

learn_code learn_csv_write_row(FILE *out, const char *const *fields, size_t n,
			       char *err)
{
	return learn_csv_write_record(out, fields, n, "\r\n", err);
}

learn_code learn_csv_write_record(FILE *out, const char *const *fields,
				  size_t n, const char *eol, char *err)
{
	const char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			putc(',', out);
		if (!needs_quotes(fields[i])) {
			fputs(fields[i], out);
			continue;
		}
		putc('"', out);
		for (p = fields[i]; *p; p++) {
			if (*p == '"')
				putc('"', out);
			putc(*p, out);
		}
		putc('"', out);
	}
	fputs(eol, out);
	if (ferror(out)) {
		learn_err_set(err, "write error: %s", strerror(errno));
		return LEARN_EIO;
	}
	return LEARN_OK;
}
