/* SPDX-License-Identifier: MIT */
/* One pass over text that replaces every secret value by REDACTED. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "amlr/redact.h"

/* Header lines whose whole value is a secret. */
static const char *const secret_headers[] = {
	"authorization",
	"proxy-authorization",
	"api-key",
	"ocp-apim-subscription-key",
	"x-identity-header",
	"cookie",
	"set-cookie",
	"secret", /* MSI_SECRET of legacy managed identity */
	NULL,
};

/* `name=value` pairs in queries, forms and SAS tokens. */
static const char *const secret_params[] = {
	"sig",	    "client_secret", "client_assertion", "assertion",
	"password", "refresh_token", "access_token",	 NULL,
};

/* `Name=value;` pairs in connection strings (the value may hold '&'). */
static const char *const secret_settings[] = {
	"accountkey",
	"sharedaccesssignature",
	NULL,
};

/* JSON members whose string value is a secret. */
static const char *const secret_members[] = {
	"access_token",	    "refresh_token", "id_token", "client_secret",
	"client_assertion", "password",	     "primary",	 "secondary",
	"primarykey",	    "secondarykey",  "key",	 "apikey",
	"sastoken",	    "sasblobtoken",  NULL,
};

struct scan {
	const char *s;
	size_t len;
};

/* The length of the name of @p list that @p p starts with, followed by
 * @p after; 0 when none does.  Names are compared case-insensitively. */
static size_t match_name(const struct scan *sc, size_t i,
			 const char *const *list, char after)
{
	size_t n;

	for (; *list; list++) {
		n = strlen(*list);
		if (i + n < sc->len && strncasecmp(sc->s + i, *list, n) == 0 &&
		    sc->s[i + n] == after)
			return n;
	}
	return 0;
}

static int is_param_boundary(char c)
{
	return c == '?' || c == '&' || c == ';' || c == '"' || c == '\'' ||
	       c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(';
}

/* Index of the end of a value that stops at any char of @p stops. */
static size_t value_end(const struct scan *sc, size_t i, const char *stops)
{
	while (i < sc->len && !strchr(stops, sc->s[i]) &&
	       !isspace((unsigned char)sc->s[i]))
		i++;
	return i;
}

/* Header "Name: value" at the start of a line: returns the index where
 * the value ends, and *vstart where it starts; 0 when no match. */
static size_t match_header(const struct scan *sc, size_t i, size_t *vstart)
{
	size_t n = match_name(sc, i, secret_headers, ':');
	size_t j;

	if (!n)
		return 0;
	j = i + n + 1;
	while (j < sc->len && (sc->s[j] == ' ' || sc->s[j] == '\t'))
		j++;
	*vstart = j;
	while (j < sc->len && sc->s[j] != '\r' && sc->s[j] != '\n')
		j++;
	return j;
}

/* JSON `"name" : "value"`: returns the index of the value's closing quote
 * and *vstart the index after its opening quote; 0 when no match. */
static size_t match_member(const struct scan *sc, size_t i, size_t *vstart)
{
	size_t n = match_name(sc, i + 1, secret_members, '"');
	size_t j;

	if (!n)
		return 0;
	j = i + 1 + n + 1;
	while (j < sc->len && isspace((unsigned char)sc->s[j]))
		j++;
	if (j >= sc->len || sc->s[j] != ':')
		return 0;
	j++;
	while (j < sc->len && isspace((unsigned char)sc->s[j]))
		j++;
	if (j >= sc->len || sc->s[j] != '"')
		return 0;
	*vstart = ++j;
	while (j < sc->len && sc->s[j] != '"') {
		if (sc->s[j] == '\\' && j + 1 < sc->len)
			j++;
		j++;
	}
	return j;
}

amlr_code amlr_redact(amlr_buf *out, const char *text, size_t len)
{
	struct scan sc = { text, len };
	size_t i = 0, copied = 0, vstart = 0, vend, n;
	int line_start = 1;

	while (i < len) {
		vend = 0;
		if (line_start)
			vend = match_header(&sc, i, &vstart);
		if (!vend && text[i] == '"')
			vend = match_member(&sc, i, &vstart);
		if (!vend && (i == 0 || is_param_boundary(text[i - 1]))) {
			if ((n = match_name(&sc, i, secret_settings, '='))) {
				vstart = i + n + 1;
				vend = value_end(&sc, vstart, ";\"'<>");
			} else if ((n = match_name(&sc, i, secret_params,
						   '='))) {
				vstart = i + n + 1;
				vend = value_end(&sc, vstart, "&;\"'<>#");
			}
		}
		line_start = text[i] == '\n';
		if (!vend) {
			i++;
			continue;
		}
		if (amlr_buf_put(out, text + copied, vstart - copied) ||
		    amlr_buf_puts(out, AMLR_REDACTED))
			return AMLR_EFAIL;
		copied = i = vend;
		line_start = 0;
	}
	return amlr_buf_put(out, text + copied, len - copied);
}
