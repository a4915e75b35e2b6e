/* SPDX-License-Identifier: MIT */
/* Encoding helpers shared by the Storage modules (Shared Key, SAS, blob). */
#ifndef AMLR_SHAREDKEY_INTERNAL_H
#define AMLR_SHAREDKEY_INTERNAL_H

#include <stddef.h>

#include "amlr/buf.h"
#include "amlr/error.h"

/* Append standard base64 (with padding) of @p len bytes. */
amlr_code amlr_sharedkey__b64_encode(amlr_buf *out, const void *data,
				     size_t len);

/*
 * Decode standard base64 (padding required, no blanks) into a new buffer
 * *out of *n bytes (caller frees; wipe when secret).  AMLR_EINVAL when
 * @p s is not base64.
 */
amlr_code amlr_sharedkey__b64_decode(unsigned char **out, size_t *n,
				     const char *s);

/*
 * Append @p s percent-encoded: unreserved characters (RFC 3986) and those
 * in @p keep stay, every other byte becomes %XX (upper-case hex).
 */
amlr_code amlr_sharedkey__url_encode(amlr_buf *out, const char *s,
				     const char *keep);

/*
 * Append @p n bytes of @p s percent-decoded ('+' as a space when @p plus).
 * AMLR_EINVAL when the text decodes to a NUL byte.
 */
amlr_code amlr_sharedkey__url_decode(amlr_buf *out, const char *s, size_t n,
				     int plus);

#endif
