/* SPDX-License-Identifier: MIT */
/* JSON values for callers of libamlr, backed by json-c. */
#ifndef AMLR_JSON_H
#define AMLR_JSON_H

#include "common.h"

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An opaque JSON value (a json-c object underneath; public headers never
 * expose json-c).  Ownership follows json-c's reference counting:
 *
 *  - a value returned through an out-parameter (amlr_json_parse(),
 *    amlr_json_new_*) holds one reference owned by the caller, released with
 *    amlr_json_free();
 *  - a value *returned* by a getter (amlr_json_get(), amlr_json_at()) is
 *    borrowed from its parent and lives as long as the parent does;
 *  - amlr_json_set() and amlr_json_append() steal the caller's reference
 *    to the value they store, even when they fail.
 */
typedef struct amlr_json amlr_json;

typedef enum {
	AMLR_JSON_NULL,
	AMLR_JSON_BOOL,
	AMLR_JSON_INT,
	AMLR_JSON_DOUBLE,
	AMLR_JSON_STRING,
	AMLR_JSON_ARRAY,
	AMLR_JSON_OBJECT
} amlr_json_type;

/* Serialisation flags. */
#define AMLR_JSON_PRETTY 1u /* two-space indentation */

/**
 * Parse one JSON document (json-c's strict mode; a leading UTF-8 BOM is
 * skipped; anything but whitespace after the value is an error).
 *
 * @param[out] out the value, owned by the caller
 * @param err details on failure; may be NULL
 * @return AMLR_OK, AMLR_EINVAL for malformed text, AMLR_EFAIL without memory
 * Ownership: *out belongs to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_json_parse(amlr_json **out, amlr_error *err,
				      const char *text, size_t len);

/**
 * Take one more reference to @p json (for storing a borrowed value in a
 * second place).  Returns @p json; accepts NULL.
 */
AMLR_EXTERN amlr_json *amlr_json_ref(amlr_json *json);

/** Release the caller's reference; accepts NULL. */
AMLR_EXTERN void amlr_json_free(amlr_json *json);

/** The type of a value; NULL is AMLR_JSON_NULL. */
AMLR_EXTERN amlr_json_type amlr_json_type_of(const amlr_json *json);

/**
 * Member @p key of an object (exact match), or NULL when absent, when the
 * member is JSON null, or when @p obj is not an object.
 * Ownership: borrowed from @p obj.
 */
AMLR_EXTERN amlr_json *amlr_json_get(const amlr_json *obj, const char *key);

/** Element @p i of an array, or NULL.  Ownership: borrowed. */
AMLR_EXTERN amlr_json *amlr_json_at(const amlr_json *arr, size_t i);

/** Number of elements of an array or members of an object, else 0. */
AMLR_EXTERN size_t amlr_json_len(const amlr_json *json);

/**
 * The string of a string value, or NULL for any other type.
 * Ownership: borrowed from @p json.
 */
AMLR_EXTERN const char *amlr_json_str(const amlr_json *json);

/** The member @p key if it is a string, else NULL.  Borrowed. */
AMLR_EXTERN const char *amlr_json_get_str(const amlr_json *obj,
					  const char *key);

/** Integer value; 1 and *out set for an INT value, else 0. */
AMLR_EXTERN int amlr_json_int(int64_t *out, const amlr_json *json);

/** Number value (integer or double); 1 and *out set for one, else 0. */
AMLR_EXTERN int amlr_json_number(double *out, const amlr_json *json);

/** Boolean value; 1 and *out (0 or 1) set for a boolean, else 0. */
AMLR_EXTERN int amlr_json_bool(int *out, const amlr_json *json);

/*
 * Iterating the members of an object in document order:
 *
 *	amlr_json_iter it = AMLR_JSON_ITER_INIT;
 *	const char *key;
 *	amlr_json *val;
 *	while (amlr_json_next(&key, &val, obj, &it)) ...
 *
 * Keys and values are borrowed; the object must not change meanwhile.
 */
typedef struct amlr_json_iter {
	const void *pos;
	int started;
} amlr_json_iter;

#define AMLR_JSON_ITER_INIT \
	{                   \
		NULL, 0     \
	}

/** Next member; returns 0 at the end or when @p obj is not an object. */
AMLR_EXTERN int amlr_json_next(const char **key, amlr_json **val,
			       const amlr_json *obj, amlr_json_iter *it);

/** New empty object / array / string / integer / boolean (caller owns). */
AMLR_EXTERN amlr_code amlr_json_new_object(amlr_json **out);
AMLR_EXTERN amlr_code amlr_json_new_array(amlr_json **out);
AMLR_EXTERN amlr_code amlr_json_new_string(amlr_json **out, const char *s);
AMLR_EXTERN amlr_code amlr_json_new_int(amlr_json **out, int64_t v);
AMLR_EXTERN amlr_code amlr_json_new_bool(amlr_json **out, int v);
/** New number (serialised with 15 significant digits). */
AMLR_EXTERN amlr_code amlr_json_new_double(amlr_json **out, double v);

/**
 * Set member @p key of @p obj to @p val (NULL stores JSON null), replacing
 * any previous value.  Ownership: steals @p val, also on failure.
 */
AMLR_EXTERN amlr_code amlr_json_set(amlr_json *obj, const char *key,
				    amlr_json *val);

/** Convenience: set a string member (NULL stores JSON null). */
AMLR_EXTERN amlr_code amlr_json_set_str(amlr_json *obj, const char *key,
					const char *s);

/** Convenience: set an integer member. */
AMLR_EXTERN amlr_code amlr_json_set_int(amlr_json *obj, const char *key,
					int64_t v);

/** Append @p val to an array.  Ownership: steals @p val. */
AMLR_EXTERN amlr_code amlr_json_append(amlr_json *arr, amlr_json *val);

/**
 * Append the serialised value to @p out, without a trailing newline.
 * Slashes are not escaped; keys keep document order.
 *
 * @param flags 0 for compact, AMLR_JSON_PRETTY for indented
 */
AMLR_EXTERN amlr_code amlr_json_serialize(amlr_buf *out, const amlr_json *json,
					  unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
