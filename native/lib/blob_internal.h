/* SPDX-License-Identifier: MIT */
/* Blob Storage's parts reached from outside blob.c (the fuzz harness). */
#ifndef AMLR_BLOB_INTERNAL_H
#define AMLR_BLOB_INTERNAL_H

#include <stddef.h>

#include "amlr/blob.h"
#include "amlr/error.h"

/*
 * Parse one page of a List Blobs reply (<EnumerationResults>): call @p cb
 * for each <Blob> and <BlobPrefix> of <Blobs> until it returns non-zero
 * (then *stop is set), and give <NextMarker>.
 *
 * @param[out] marker NextMarker (free()), NULL on the last page
 * @param err details on failure
 * @param body the reply's bytes, @p len of them (need not end in NUL)
 * @param container names the list in messages and each item's container
 * @return AMLR_OK; AMLR_ESERVER (not XML, not a list, an item without a
 *	name or with a bad encoded name); AMLR_EFAIL without memory
 * Ownership: the items passed to @p cb are borrowed for the call.
 */
amlr_code amlr_blob__parse_list(amlr_error *err, const char *body, size_t len,
				const char *container, char **marker,
				amlr_blob_list_cb cb, void *payload, int *stop);

#endif
