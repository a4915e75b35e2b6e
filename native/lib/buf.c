/* SPDX-License-Identifier: MIT */
/* The growable byte buffer. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/buf.h"
#include "amlr/secret.h"

amlr_code amlr_buf_grow(amlr_buf *buf, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - buf->len - 1)
		return AMLR_EFAIL;
	need = buf->len + extra + 1;
	if (buf->ptr && need <= buf->cap)
		return AMLR_OK;
	cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (!(p = realloc(buf->ptr, cap)))
		return AMLR_EFAIL;
	if (!buf->ptr)
		p[0] = '\0';
	buf->ptr = p;
	buf->cap = cap;
	return AMLR_OK;
}

amlr_code amlr_buf_put(amlr_buf *buf, const void *data, size_t len)
{
	if (amlr_buf_grow(buf, len) != AMLR_OK)
		return AMLR_EFAIL;
	if (len)
		memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
	return AMLR_OK;
}

amlr_code amlr_buf_puts(amlr_buf *buf, const char *s)
{
	return amlr_buf_put(buf, s, strlen(s));
}

amlr_code amlr_buf_vprintf(amlr_buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || amlr_buf_grow(buf, (size_t)n) != AMLR_OK)
		return AMLR_EFAIL;
	vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return AMLR_OK;
}

amlr_code amlr_buf_printf(amlr_buf *buf, const char *fmt, ...)
{
	va_list ap;
	amlr_code rc;

	va_start(ap, fmt);
	rc = amlr_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return rc;
}

void amlr_buf_clear(amlr_buf *buf)
{
	buf->len = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

char *amlr_buf_detach(amlr_buf *buf)
{
	char *p;

	if (!buf->ptr && amlr_buf_grow(buf, 0) != AMLR_OK)
		return NULL;
	p = buf->ptr;
	buf->ptr = NULL;
	buf->len = 0;
	buf->cap = 0;
	return p;
}

void amlr_buf_release(amlr_buf *buf)
{
	free(buf->ptr);
	buf->ptr = NULL;
	buf->len = 0;
	buf->cap = 0;
}

void amlr_buf_release_secret(amlr_buf *buf)
{
	if (buf->ptr)
		amlr_secret_wipe(buf->ptr, buf->cap);
	amlr_buf_release(buf);
}
