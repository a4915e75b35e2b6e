/* SPDX-License-Identifier: MIT */
/* Rendering results (json, table, tsv) and reporting errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "opt.h"
#include "out.h"

/* A cell as text: strings raw, scalars serialised, blanks for null. */
static amlr_code cell_text(amlr_buf *out, const amlr_json *v)
{
	size_t start = out->len, i;

	switch (amlr_json_type_of(v)) {
	case AMLR_JSON_NULL:
		return AMLR_OK;
	case AMLR_JSON_STRING:
		if (amlr_buf_puts(out, amlr_json_str(v)) != AMLR_OK)
			return AMLR_EFAIL;
		break;
	default:
		if (amlr_json_serialize(out, v, 0) != AMLR_OK)
			return AMLR_EFAIL;
	}
	/* One row per line, one cell per tab: flatten what would break it. */
	for (i = start; i < out->len; i++)
		if (out->ptr[i] == '\t' || out->ptr[i] == '\n' ||
		    out->ptr[i] == '\r')
			out->ptr[i] = ' ';
	return AMLR_OK;
}

static int is_scalar(const amlr_json *v)
{
	amlr_json_type t = amlr_json_type_of(v);

	return t != AMLR_JSON_ARRAY && t != AMLR_JSON_OBJECT;
}

/*
 * Rows are the elements of an array (or the one object given); columns
 * are the scalar members of the first row, as the Azure CLI's table.
 */
struct grid {
	const char **cols;
	size_t ncols;
	char **cells; /* nrows * ncols */
	size_t nrows;
};

static void grid_release(struct grid *g)
{
	size_t i;

	for (i = 0; g->cells && i < g->nrows * g->ncols; i++)
		free(g->cells[i]);
	free(g->cells);
	free(g->cols);
}

static amlr_code grid_build(struct grid *g, const amlr_json *doc)
{
	static const char *value_col = "value";
	const amlr_json *first;
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *val;
	amlr_buf cell = AMLR_BUF_INIT;
	size_t r, c;
	int array = amlr_json_type_of(doc) == AMLR_JSON_ARRAY;

	memset(g, 0, sizeof(*g));
	g->nrows = array ? amlr_json_len(doc) : 1;
	first = array ? amlr_json_at(doc, 0) : doc;
	if (!(g->cols = calloc(amlr_json_len(first) + 1, sizeof(char *))))
		return AMLR_EFAIL;
	if (amlr_json_type_of(first) == AMLR_JSON_OBJECT) {
		while (amlr_json_next(&key, &val, first, &it))
			if (is_scalar(val))
				g->cols[g->ncols++] = key;
	} else if (g->nrows) {
		g->cols[g->ncols++] = value_col;
	}
	if (!(g->cells = calloc(g->nrows * g->ncols + 1, sizeof(char *))))
		return AMLR_EFAIL;
	for (r = 0; r < g->nrows; r++) {
		const amlr_json *row = array ? amlr_json_at(doc, r) : doc;

		for (c = 0; c < g->ncols; c++) {
			amlr_buf_clear(&cell);
			if (cell_text(
				    &cell,
				    g->cols[c] == value_col
					    ? row
					    : amlr_json_get(row, g->cols[c])) !=
			    AMLR_OK)
				goto fail;
			if (!(g->cells[r * g->ncols + c] =
				      amlr_buf_detach(&cell)))
				goto fail;
		}
	}
	amlr_buf_release(&cell);
	return AMLR_OK;
fail:
	amlr_buf_release(&cell);
	return AMLR_EFAIL;
}

static void print_row(const char *const *cells, size_t n, const size_t *w)
{
	size_t c;

	for (c = 0; c < n; c++) {
		if (!w)
			printf("%s%s", c ? "\t" : "", cells[c]);
		else if (c + 1 < n)
			printf("%-*s  ", (int)w[c], cells[c]);
		else
			printf("%s", cells[c]);
	}
	putchar('\n');
}

static amlr_code emit_grid(const amlr_json *doc, int header)
{
	struct grid g;
	size_t *w = NULL, r, c;
	char **dashes = NULL;
	amlr_code rc = AMLR_EFAIL;

	if (grid_build(&g, doc) != AMLR_OK)
		goto done;
	if (header && g.ncols) {
		if (!(w = calloc(g.ncols, sizeof(*w))) ||
		    !(dashes = calloc(g.ncols, sizeof(*dashes))))
			goto done;
		for (c = 0; c < g.ncols; c++) {
			w[c] = strlen(g.cols[c]);
			for (r = 0; r < g.nrows; r++)
				if (strlen(g.cells[r * g.ncols + c]) > w[c])
					w[c] = strlen(g.cells[r * g.ncols + c]);
			if (!(dashes[c] = malloc(w[c] + 1)))
				goto done;
			memset(dashes[c], '-', w[c]);
			dashes[c][w[c]] = '\0';
		}
		print_row(g.cols, g.ncols, w);
		print_row((const char *const *)dashes, g.ncols, w);
	}
	for (r = 0; r < g.nrows; r++)
		print_row((const char *const *)&g.cells[r * g.ncols], g.ncols,
			  header ? w : NULL);
	rc = AMLR_OK;
done:
	for (c = 0; dashes && c < g.ncols; c++)
		free(dashes[c]);
	free(dashes);
	free(w);
	grid_release(&g);
	return rc;
}

int cli_emit(struct cli_ctx *ctx, const amlr_json *doc)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_code rc = AMLR_OK;

	if (ctx->capture) {
		amlr_json_free(*ctx->capture);
		*ctx->capture = amlr_json_ref((amlr_json *)doc);
		return AMLR_OK;
	}
	if (ctx->output == CLI_OUT_JSON) {
		if (amlr_json_serialize(&text, doc,
					isatty(STDOUT_FILENO) ? AMLR_JSON_PRETTY
							      : 0) != AMLR_OK ||
		    amlr_buf_puts(&text, "\n") != AMLR_OK)
			rc = AMLR_EFAIL;
		else
			fwrite(text.ptr, 1, text.len, stdout);
	} else {
		rc = emit_grid(doc, ctx->output == CLI_OUT_TABLE);
	}
	amlr_buf_release(&text);
	if (rc != AMLR_OK)
		return cli_failf(ctx, rc, "out of memory");
	return ferror(stdout) ? AMLR_EIO : AMLR_OK;
}

int cli_emit_raw(struct cli_ctx *ctx, const char *data, size_t len)
{
	(void)ctx;
	fwrite(data, 1, len, stdout);
	return ferror(stdout) ? AMLR_EIO : AMLR_OK;
}

static void print_json_error(const amlr_error *err)
{
	amlr_json *doc = NULL, *e = NULL;
	amlr_buf text = AMLR_BUF_INIT;

	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_new_object(&e) != AMLR_OK)
		goto done;
	amlr_json_set_int(e, "exitCode", err->code);
	amlr_json_set_str(e, "category", amlr_code_category(err->code));
	amlr_json_set_str(e, "code",
			  err->service_code[0] ? err->service_code : NULL);
	amlr_json_set_str(e, "message", err->message);
	if (err->http_status)
		amlr_json_set_int(e, "httpStatus", err->http_status);
	else
		amlr_json_set(e, "httpStatus", NULL);
	amlr_json_set_str(e, "requestId",
			  err->request_id[0] ? err->request_id : NULL);
	amlr_json_set_str(e, "target", err->target[0] ? err->target : NULL);
	amlr_json_set_str(e, "details", err->details[0] ? err->details : NULL);
	amlr_json_set(doc, "error", e); /* steals e */
	e = NULL;
	if (amlr_json_serialize(&text, doc, 0) == AMLR_OK)
		fprintf(stderr, "%s\n", text.ptr);
done:
	if (!text.len) /* out of memory: still one valid JSON line */
		fprintf(stderr,
			"{\"error\":{\"exitCode\":%d,\"category\":\"%s\",\"code\":null,\"message\":\"out of memory\",\"httpStatus\":null,\"requestId\":null,\"target\":null,\"details\":null}}\n",
			err->code, amlr_code_category(err->code));
	amlr_buf_release(&text);
	amlr_json_free(e);
	amlr_json_free(doc);
}

static void print_text_error(struct cli_ctx *ctx, const amlr_error *err)
{
	fprintf(stderr, "amlretrain: %s%s%s%s\n",
		err->message[0] ? err->message : amlr_strerror(err->code),
		err->details[0] ? " (" : "", err->details,
		err->details[0] ? ")" : "");
	if (!ctx->verbose || !err->request_id[0])
		return;
	if (err->http_status)
		fprintf(stderr, "amlretrain: request-id %s (HTTP %d %s)\n",
			err->request_id, err->http_status, err->service_code);
	else
		fprintf(stderr, "amlretrain: request-id %s\n", err->request_id);
}

int cli_fail(struct cli_ctx *ctx, const amlr_error *err)
{
	amlr_code code = err->code ? err->code : AMLR_EFAIL;

	if (err != &ctx->last_error)
		ctx->last_error = *err;
	if (ctx->errfmt == CLI_ERR_JSON)
		print_json_error(err);
	else
		print_text_error(ctx, err);
	return (int)code;
}

int cli_fail_usage(struct cli_ctx *ctx, const amlr_error *err,
		   const struct cli_usage *usage)
{
	if (ctx->errfmt == CLI_ERR_TEXT)
		fprintf(stderr, "amlretrain: %s\n", err->message);
	fprintf(stderr, "usage: %s %s\nTry '%s --help' for more information.\n",
		usage->path, usage->synopsis, usage->path);
	if (ctx->errfmt == CLI_ERR_JSON)
		print_json_error(err);
	return AMLR_EINVAL;
}

int cli_failf(struct cli_ctx *ctx, amlr_code code, const char *fmt, ...)
{
	amlr_error err = AMLR_ERROR_INIT;
	char msg[AMLR_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	amlr_error_set(&err, code, "%s", msg);
	return cli_fail(ctx, &err);
}

int cli_finish(struct cli_ctx *ctx, int rc)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (failed)
		return cli_failf(ctx, AMLR_EIO,
				 "cannot write standard output: %s",
				 strerror(saved ? saved : EIO));
	return rc;
}

int cli_confirm(const char *question)
{
	char line[16];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

char *cli_read_secret(const char *prompt)
{
	struct termios saved, quiet;
	char line[1024];
	char *s = NULL;
	size_t n;
	int tty = tcgetattr(STDIN_FILENO, &saved) == 0;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tty) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(line, sizeof(line), stdin)) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		s = strdup(line);
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	amlr_secret_wipe(line, sizeof(line));
	return s;
}
