/* SPDX-License-Identifier: MIT */
/* Interpreting CSV values: blanks, missing markers, numbers; formatting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn_internal.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

const char *learn_value_trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	while (n && is_blank(s[n - 1]))
		n--;
	*len = n;
	return s;
}

int learn_value_missing(const char *s, size_t len)
{
	return len == 0 || (len == 1 && s[0] == '?') ||
	       (len == 2 && s[0] == 'N' && s[1] == 'A');
}

/*
 * Only decimal notation counts: strtod() alone would also take "inf",
 * "nan" and "0x1p3", which in a CSV are text.  @p s lies inside a
 * NUL-terminated field, so strtod() stops at its end or at a blank.
 */
int learn_value_number(double *out, const char *s, size_t len)
{
	size_t i;
	int digits = 0;
	int64_t n = 0;
	char *end;
	double v;

	if (len == 0)
		return 0;
	/* integers of up to 15 digits are exact in a double: no strtod() */
	i = s[0] == '-' ? 1 : 0;
	if (len > i && len - i <= 15) {
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n = n * 10 + (s[i] - '0');
		if (i == len) {
			*out = s[0] == '-' ? -(double)n : (double)n;
			return 1;
		}
	}
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			digits = 1;
		else if (c != '.' && c != 'e' && c != 'E' && c != '+' &&
			 c != '-')
			return 0;
	}
	if (!digits)
		return 0;
	v = strtod(s, &end);
	if (end != s + len || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

int learn_value_cmp(const char *s, size_t len, const char *z)
{
	const unsigned char *a = (const unsigned char *)s;
	const unsigned char *b = (const unsigned char *)z;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!b[i])
			return 1;
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return b[len] ? -1 : 0;
}

/*
 * 15 significant digits always read back exactly when any representation
 * of at most 15 digits does (DBL_DIG), and %g drops trailing zeros, so
 * trying 15, 16 then 17 digits yields the shortest form.
 */
char *learn_format_double(char *buf, size_t size, double v)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, size, "%s", v < 0 ? "-Infinity" : "Infinity");
		return buf;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, size, "%.17g", v);
	return buf;
}
