/* SPDX-License-Identifier: MIT */
/* Definition files as text: encodings, parse errors with positions, writer. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "amlr/definition.h"
#include "definition_internal.h"

/* Deep enough for any definition (exampleRequest cells included). */
#define MAX_DEPTH 64

/* Where a byte offset lies, for messages: 1-based line and column. */
struct text_pos {
	size_t line;
	size_t column;
};

static struct text_pos position_of(const char *text, size_t off)
{
	struct text_pos pos = { 1, 1 };
	size_t i;

	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			pos.line++;
			pos.column = 1;
		} else {
			pos.column++;
		}
	}
	return pos;
}

/*
 * Record an error about the text at @p off of the decoded text; @p base is
 * the length of what preceded it in the file (a UTF-8 BOM), or SIZE_MAX
 * when the file was converted (UTF-16) and byte offsets would mislead.
 */
static amlr_code text_error(amlr_error *err, const char *text, size_t off,
			    size_t base, const char *what)
{
	struct text_pos pos = position_of(text, off);

	if (base == SIZE_MAX)
		return amlr_error_set(err, AMLR_EINVAL,
				      "%s at line %zu, column %zu", what,
				      pos.line, pos.column);
	return amlr_error_set(err, AMLR_EINVAL,
			      "%s at line %zu, column %zu (byte %zu)", what,
			      pos.line, pos.column, base + off);
}

static amlr_code put_utf8(amlr_buf *out, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xC0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (c & 0x3F));
		n = 4;
	}
	return amlr_buf_put(out, b, n);
}

/* UTF-16 (after its BOM) to UTF-8, refusing unpaired surrogates. */
static amlr_code utf16_to_utf8(amlr_buf *out, amlr_error *err,
			       const unsigned char *p, size_t len, int big)
{
	size_t i;
	uint32_t c, lo;

	if (len % 2)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid UTF-16: the text ends in the middle of a character");
	for (i = 0; i < len; i += 2) {
		c = big ? (uint32_t)(p[i] << 8 | p[i + 1])
			: (uint32_t)(p[i + 1] << 8 | p[i]);
		if (c >= 0xD800 && c <= 0xDBFF && i + 3 < len) {
			lo = big ? (uint32_t)(p[i + 2] << 8 | p[i + 3])
				 : (uint32_t)(p[i + 3] << 8 | p[i + 2]);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) +
				    (lo - 0xDC00);
				i += 2;
			}
		}
		if (c >= 0xD800 && c <= 0xDFFF)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"invalid UTF-16: unpaired surrogate at byte %zu",
				i + 2);
		if (put_utf8(out, c) != AMLR_OK)
			return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	}
	return AMLR_OK;
}

/*
 * Offset of the first byte that is not valid UTF-8 (or is NUL, which no
 * JSON text holds unescaped), or @p len when all is well.
 */
static size_t utf8_invalid_at(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		if (p[i] == 0)
			return i;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xC2 && p[i] <= 0xDF) {
			n = 1;
			c = p[i] & 0x1F;
		} else if (p[i] >= 0xE0 && p[i] <= 0xEF) {
			n = 2;
			c = p[i] & 0x0F;
		} else if (p[i] >= 0xF0 && p[i] <= 0xF4) {
			n = 3;
			c = p[i] & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return i;
			c = c << 6 | (p[i + k] & 0x3F);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
			return i;
		i += n + 1;
	}
	return len;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static amlr_code parse_json(json_object **out, amlr_error *err,
			    const char *text, size_t len, size_t base)
{
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t end, bad;
	char what[128];
	amlr_code rc = AMLR_EINVAL;

	if ((bad = utf8_invalid_at((const unsigned char *)text, len)) < len) {
		rc = text_error(err, text, bad, base, "invalid UTF-8");
		goto done;
	}
	for (end = 0; end < len && is_space(text[end]); end++)
		;
	if (end == len) {
		amlr_error_set(err, rc, "the definition is empty");
		goto done;
	}
	if (len > INT32_MAX) {
		amlr_error_set(err, rc, "the definition is too large");
		goto done;
	}
	if (!(tok = json_tokener_new_ex(MAX_DEPTH))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		text_error(
			err, text, len, base,
			"invalid JSON: the text ends too early (truncated?)");
		goto done;
	}
	if (jerr != json_tokener_success) {
		snprintf(what, sizeof(what), "invalid JSON (%s)",
			 json_tokener_error_desc(jerr));
		text_error(err, text, json_tokener_get_parse_end(tok), base,
			   what);
		goto done;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (!is_space(text[end])) {
			text_error(err, text, end, base,
				   "invalid JSON: more text after the value");
			goto done;
		}
	}
	*out = obj;
	obj = NULL;
	rc = AMLR_OK;
done:
	json_object_put(obj);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

amlr_code amlr_definition__parse(json_object **out, amlr_error *err,
				 const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	amlr_buf utf8 = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if (len >= 4 && (memcmp(p, "\xFF\xFE\0\0", 4) == 0 ||
			 memcmp(p, "\0\0\xFE\xFF", 4) == 0)) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"the definition is UTF-32 text; save it as UTF-8");
	} else if (len >= 2 && (memcmp(p, "\xFF\xFE", 2) == 0 ||
				memcmp(p, "\xFE\xFF", 2) == 0)) {
		/* Windows PowerShell's Out-File writes UTF-16 with a BOM. */
		rc = utf16_to_utf8(&utf8, err, p + 2, len - 2, p[0] == 0xFE);
		if (rc == AMLR_OK)
			rc = parse_json(out, err, utf8.ptr ? utf8.ptr : "",
					utf8.len, SIZE_MAX);
	} else if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		rc = parse_json(out, err, text + 3, len - 3, 3);
	} else {
		rc = parse_json(out, err, text, len, 0);
	}
	/* The text may hold keys: wipe the converted copy. */
	amlr_buf_release_secret(&utf8);
	return rc;
}

/* --- writing ----------------------------------------------------------- */

static amlr_code put_indent(amlr_buf *out, size_t depth)
{
	static const char spaces[] = "                                ";
	size_t n = 2 * depth, k;
	amlr_code rc = AMLR_OK;

	while (n && rc == AMLR_OK) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		rc = amlr_buf_put(out, spaces, k);
		n -= k;
	}
	return rc;
}

/*
 * A string as Newtonsoft.Json escapes it by default: the quote, the
 * backslash, control characters (short forms where JSON has them, else
 * \u00xx in lower case) and U+0085, U+2028, U+2029; everything else as is.
 */
static amlr_code put_string(amlr_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start = 0;
	char esc[8];
	const char *e;
	size_t skip;
	amlr_code rc;

	if ((rc = amlr_buf_put(out, "\"", 1)) != AMLR_OK)
		return rc;
	for (i = 0; i < len; i++) {
		e = NULL;
		skip = 1;
		switch (p[i]) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\t':
			e = "\\t";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\r':
			e = "\\r";
			break;
		default:
			if (p[i] < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
				e = esc;
			} else if (p[i] == 0xC2 && i + 1 < len &&
				   p[i + 1] == 0x85) {
				e = "\\u0085";
				skip = 2;
			} else if (p[i] == 0xE2 && i + 2 < len &&
				   p[i + 1] == 0x80 &&
				   (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
				e = p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
				skip = 3;
			}
		}
		if (!e)
			continue;
		if ((rc = amlr_buf_put(out, s + start, i - start)) != AMLR_OK ||
		    (rc = amlr_buf_puts(out, e)) != AMLR_OK)
			return rc;
		i += skip - 1;
		start = i + 1;
	}
	if ((rc = amlr_buf_put(out, s + start, len - start)) != AMLR_OK)
		return rc;
	return amlr_buf_put(out, "\"", 1);
}

static amlr_code write_value(amlr_buf *out, json_object *obj, size_t depth)
{
	struct lh_entry *e;
	const char *s;
	size_t i, n, len;
	amlr_code rc = AMLR_OK;

	switch (json_object_get_type(obj)) {
	case json_type_null:
		return amlr_buf_puts(out, "null");
	case json_type_string:
		return put_string(out, json_object_get_string(obj),
				  (size_t)json_object_get_string_len(obj));
	case json_type_array:
		if (!(n = json_object_array_length(obj)))
			return amlr_buf_puts(out, "[]");
		rc = amlr_buf_puts(out, "[");
		for (i = 0; i < n && rc == AMLR_OK; i++) {
			if ((rc = amlr_buf_puts(out, i ? ",\n" : "\n")) ==
				    AMLR_OK &&
			    (rc = put_indent(out, depth + 1)) == AMLR_OK)
				rc = write_value(
					out, json_object_array_get_idx(obj, i),
					depth + 1);
		}
		if (rc == AMLR_OK &&
		    (rc = amlr_buf_puts(out, "\n")) == AMLR_OK &&
		    (rc = put_indent(out, depth)) == AMLR_OK)
			rc = amlr_buf_puts(out, "]");
		return rc;
	case json_type_object:
		if (!json_object_object_length(obj))
			return amlr_buf_puts(out, "{}");
		rc = amlr_buf_puts(out, "{");
		n = 0;
		for (e = json_object_get_object(obj)->head; e && rc == AMLR_OK;
		     e = e->next) {
			s = (const char *)lh_entry_k(e);
			if ((rc = amlr_buf_puts(out, n++ ? ",\n" : "\n")) !=
				    AMLR_OK ||
			    (rc = put_indent(out, depth + 1)) != AMLR_OK ||
			    (rc = put_string(out, s, strlen(s))) != AMLR_OK ||
			    (rc = amlr_buf_puts(out, ": ")) != AMLR_OK)
				break;
			rc = write_value(out, (json_object *)lh_entry_v(e),
					 depth + 1);
		}
		if (rc == AMLR_OK &&
		    (rc = amlr_buf_puts(out, "\n")) == AMLR_OK &&
		    (rc = put_indent(out, depth)) == AMLR_OK)
			rc = amlr_buf_puts(out, "}");
		return rc;
	case json_type_boolean:
	case json_type_int:
	case json_type_double:
	default:
		/* json-c keeps a parsed number's own text */
		s = json_object_to_json_string_length(
			obj, JSON_C_TO_STRING_PLAIN, &len);
		return s ? amlr_buf_put(out, s, len) : AMLR_EFAIL;
	}
}

amlr_code amlr_definition__write(amlr_buf *out, json_object *obj)
{
	return write_value(out, obj, 0);
}

void amlr_definition__path_key(char *path, size_t size, size_t *len,
			       const char *key)
{
	const char *k;
	int plain = *key != '\0', n;

	for (k = key; *k && plain; k++)
		plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			(*k >= '0' && *k <= '9') || *k == '_' || *k == '-' ||
			*k == '$';
	if (*len >= size)
		return;
	if (plain)
		n = snprintf(path + *len, size - *len, "%s%s", *len ? "." : "",
			     key);
	else
		n = snprintf(path + *len, size - *len, "['%s']", key);
	if (n < 0)
		return;
	*len = (size_t)n < size - *len ? *len + (size_t)n : size - 1;
}
