/* SPDX-License-Identifier: MIT */
/* Wiping secrets before their memory is released. */
#ifndef AMLR_SECRET_H
#define AMLR_SECRET_H

#include "common.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Overwrite @p len bytes at @p p so that the compiler cannot skip it. */
AMLR_EXTERN void amlr_secret_wipe(void *p, size_t len);

/**
 * Wipe a NUL-terminated secret (token, key, SAS, connection string) and
 * free() it.  Accepts NULL.
 */
AMLR_EXTERN void amlr_secret_free(char *s);

/**
 * Compare two secrets (NUL-terminated) in time that depends only on their
 * lengths, not on where they differ.  NULL equals nothing.
 *
 * @return 1 when equal, else 0
 */
AMLR_EXTERN int amlr_secret_equal(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
