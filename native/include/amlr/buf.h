/* SPDX-License-Identifier: MIT */
/* A growable byte buffer, always NUL-terminated for convenience. */
#ifndef AMLR_BUF_H
#define AMLR_BUF_H

#include "common.h"

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Caller-allocated: `amlr_buf b = AMLR_BUF_INIT;` ... `amlr_buf_release(&b);`.
 * `ptr` is NULL until the first append; `len` excludes the terminating NUL
 * that is always kept after the data once `ptr` is set.
 */
typedef struct amlr_buf {
	char *ptr;
	size_t len;
	size_t cap;
} amlr_buf;

#define AMLR_BUF_INIT      \
	{                  \
		NULL, 0, 0 \
	}

/** Append @p len bytes; AMLR_EFAIL when out of memory (buffer unchanged). */
AMLR_EXTERN amlr_code amlr_buf_put(amlr_buf *buf, const void *data, size_t len);

/** Append a NUL-terminated string. */
AMLR_EXTERN amlr_code amlr_buf_puts(amlr_buf *buf, const char *s);

/** Append formatted text. */
AMLR_EXTERN amlr_code amlr_buf_printf(amlr_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Append formatted text from a va_list. */
AMLR_EXTERN amlr_code amlr_buf_vprintf(amlr_buf *buf, const char *fmt,
				       va_list ap)
	__attribute__((format(printf, 2, 0)));

/** Make room for @p extra more bytes (plus the NUL). */
AMLR_EXTERN amlr_code amlr_buf_grow(amlr_buf *buf, size_t extra);

/** Empty the buffer, keeping its memory. */
AMLR_EXTERN void amlr_buf_clear(amlr_buf *buf);

/**
 * Hand the contents over: returns the string (caller frees with free()),
 * leaves the buffer empty.  Returns an empty heap string for an empty
 * buffer, NULL only when out of memory.
 */
AMLR_EXTERN char *amlr_buf_detach(amlr_buf *buf);

/** Free the memory; the buffer is AMLR_BUF_INIT afterwards. */
AMLR_EXTERN void amlr_buf_release(amlr_buf *buf);

/** Like amlr_buf_release(), but wipes the bytes first (secrets). */
AMLR_EXTERN void amlr_buf_release_secret(amlr_buf *buf);

#ifdef __cplusplus
}
#endif

#endif
