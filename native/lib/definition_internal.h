/* SPDX-License-Identifier: MIT */
/* Pieces of the definitions module shared between its files. */
#ifndef AMLR_DEFINITION_INTERNAL_H
#define AMLR_DEFINITION_INTERNAL_H

#include <stddef.h>

#include "amlr/buf.h"
#include "amlr/error.h"
#include "json_internal.h"

/*
 * Decode a definition file (UTF-8 with or without a BOM, UTF-16 with a
 * BOM), check that it is valid UTF-8 and parse it as one JSON value.
 * Errors (AMLR_EINVAL) give the line, the column and, for UTF-8 files,
 * the byte offset in the file; a truncated text says so.
 * Ownership: *out belongs to the caller (json_object_put()).
 */
amlr_code amlr_definition__parse(json_object **out, amlr_error *err,
				 const char *text, size_t len);

/* How amlr_definition__normalize() treats its input. */
#define AMLR_DEFINITION__STRICT 1u /* check required members, packageType */
#define AMLR_DEFINITION__DROP_RO 2u /* leave out read-only members */
#define AMLR_DEFINITION__PREVIEW 4u /* a 2016-05-01-preview request body */

/*
 * A normalised deep copy of the definition or resource @p in (see
 * amlr/definition.h): known members in the spec's casing and the Az
 * module's order, nulls dropped, unknown members after them, parameters
 * as objects (or, with _PREVIEW, plain strings).  Errors (AMLR_EINVAL)
 * name the JSON path.
 * Ownership: *out belongs to the caller (json_object_put()).
 */
amlr_code amlr_definition__normalize(json_object **out, amlr_error *err,
				     json_object *in, unsigned mode);

/*
 * Append @p obj as Newtonsoft.Json's Formatting.Indented writes it (two
 * spaces, `"key": value`, `{}` and `[]` when empty, its string escapes),
 * with LF line ends and no final newline.  Numbers keep their text.
 */
amlr_code amlr_definition__write(amlr_buf *out, json_object *obj);

/*
 * Append the JSON path of member @p key to @p path (of length *len, size
 * @p size): ".key", "key" at the root, or "['odd key']" when the key is
 * not a plain identifier.  Truncates quietly when the buffer is full.
 */
void amlr_definition__path_key(char *path, size_t size, size_t *len,
			       const char *key);

#endif
