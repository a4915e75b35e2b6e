/* SPDX-License-Identifier: MIT */
/* What the libFuzzer harnesses share: the entry point, input as a string. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer calls this once per input; 0 always (-1 rejects the input). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A NUL-terminated copy of the input, for parsers of C strings (an
 * embedded NUL ends the string there, as it would for any caller).
 * Ownership: the caller free()s it; NULL without memory.
 */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		if (size)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/*
 * A property the parser promises does not hold: report it and abort, so
 * that libFuzzer saves the input as a crash.
 */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
