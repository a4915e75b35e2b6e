/* SPDX-License-Identifier: MIT */
/* Declarations every public header shares. */
#ifndef AMLR_COMMON_H
#define AMLR_COMMON_H

/*
 * Marks the public API: libamlr is built with -fvisibility=hidden, so only
 * functions declared with AMLR_EXTERN are exported from the shared library.
 */
#if defined(__GNUC__)
#define AMLR_EXTERN __attribute__((visibility("default")))
#else
#define AMLR_EXTERN
#endif

#endif
