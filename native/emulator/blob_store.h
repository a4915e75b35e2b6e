/* SPDX-License-Identifier: MIT */
/* The emulator's Blob Storage: containers, blobs, blocks, on disk. */
#ifndef EMU_BLOB_STORE_H
#define EMU_BLOB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/sharedkey.h"
#include "emu.h"

/*
 * Layout under <state dir>/blob/ (a private temporary directory, removed
 * at exit, when the emulator keeps no state):
 *
 *   HEX(account)/HEX(container)/container.json   name, ETag, times
 *   HEX(account)/HEX(container)/meta/SHA256(blob).json
 *	a committed blob: its name, properties and ordered block list
 *   HEX(account)/HEX(container)/data/RANDOM       one block's bytes
 *
 * File names are derived from the names, never the names themselves, so
 * no name can reach outside the directory.  A block's data is written and
 * fsync'd before any metadata names it, and a blob's metadata is replaced
 * atomically (amlr_file_write_atomic()), so a blob appears only when
 * committed, whole: a process killed during a block upload leaves data
 * files nothing names, removed at the next start.  Uncommitted blocks
 * live in memory (their data on disk) and do not survive a restart.
 *
 * Every function is thread-safe (one lock; block data is written outside
 * it).
 */
struct emu_blob;

#define EMU_BLOB_ETAG_SIZE 24 /* "\"0x1D9C...\"" */
#define EMU_BLOB_TYPE_SIZE 128

/* Properties of a container or a committed blob, copied out. */
struct emu_blob_info {
	uint64_t size;
	char etag[EMU_BLOB_ETAG_SIZE]; /* with its quotes */
	char last_modified[AMLR_HTTP_DATE_SIZE];
	char created[AMLR_HTTP_DATE_SIZE];
	char content_type[EMU_BLOB_TYPE_SIZE];
	char md5[32]; /* base64, "" when unknown */
};

/* Why a call was refused: an HTTP status and Storage's error code. */
struct emu_blob_fail {
	unsigned status;
	const char *code; /* "BlobNotFound" */
	char message[256];
};

/**
 * Open (and load) the store: under @p state_dir/blob, or a temporary
 * directory when @p state_dir is NULL.  Data files no blob names are
 * removed.
 *
 * @return AMLR_OK, AMLR_EIO (directories, unreadable state), AMLR_EFAIL
 * Ownership: *out is the caller's, for emu_blob_free().
 */
amlr_code emu_blob_new(struct emu_blob **out, amlr_error *err,
		       const char *state_dir);

/** Free the store (removing a temporary directory); accepts NULL. */
void emu_blob_free(struct emu_blob *store);

/**
 * Append `export AZURE_STORAGE_CONNECTION_STRING='...'` for the seed's
 * development account (devstoreaccount1, else the first storage account),
 * with BlobEndpoint=<url>/<account>.  Nothing without storage accounts.
 */
amlr_code emu_blob_env(amlr_buf *out, const struct emu_world *world,
		       const char *url);

/*
 * The operations below return AMLR_OK; a refusal the client caused with
 * @p fail filled (AMLR_EINVAL, AMLR_ENOTFOUND, AMLR_ECONFLICT); or
 * AMLR_EIO / AMLR_EFAIL for the emulator's own failures (answer 500).
 */

amlr_code emu_blob_container_create(struct emu_blob *s,
				    struct emu_blob_fail *fail,
				    const char *account, const char *container,
				    struct emu_blob_info *out);

amlr_code emu_blob_container_delete(struct emu_blob *s,
				    struct emu_blob_fail *fail,
				    const char *account, const char *container);

amlr_code emu_blob_container_get(struct emu_blob *s, struct emu_blob_fail *fail,
				 const char *account, const char *container,
				 struct emu_blob_info *out);

/* Conditions of a write or read (NULL: none). */
struct emu_blob_cond {
	const char *if_match; /* an ETag, or "*" */
	const char *if_none_match; /* an ETag, or "*" */
};

/**
 * Put Blob: store @p data as the whole blob.  @p md5 is the blob's
 * Content-MD5 to keep (already checked by the caller), NULL to compute it.
 */
amlr_code emu_blob_put(struct emu_blob *s, struct emu_blob_fail *fail,
		       const char *account, const char *container,
		       const char *name, const void *data, size_t len,
		       const char *content_type, const char *md5,
		       const struct emu_blob_cond *cond,
		       struct emu_blob_info *out);

/** Put Block: keep @p data as uncommitted block @p block_id (base64). */
amlr_code emu_blob_put_block(struct emu_blob *s, struct emu_blob_fail *fail,
			     const char *account, const char *container,
			     const char *name, const char *block_id,
			     const void *data, size_t len);

/**
 * Put Block List: commit the blocks the XML body lists (Latest,
 * Committed, Uncommitted); the other uncommitted blocks are dropped.
 */
amlr_code emu_blob_put_block_list(struct emu_blob *s,
				  struct emu_blob_fail *fail,
				  const char *account, const char *container,
				  const char *name, const char *xml, size_t len,
				  const char *content_type, const char *md5,
				  const struct emu_blob_cond *cond,
				  struct emu_blob_info *out);

/* A byte range asked for: bytes=first-last (last UINT64_MAX: to the end). */
struct emu_blob_range {
	int given;
	uint64_t first;
	uint64_t last;
};

/**
 * Get Blob / Get Blob Properties: the blob's properties and, with @p data,
 * the bytes of @p range (the whole blob without one) appended to it;
 * *offset and *len tell which.  A range starting at or past the end is
 * refused with 416 InvalidRange.
 */
amlr_code emu_blob_read(struct emu_blob *s, struct emu_blob_fail *fail,
			const char *account, const char *container,
			const char *name, const struct emu_blob_cond *cond,
			const struct emu_blob_range *range,
			struct emu_blob_info *out, uint64_t *offset,
			uint64_t *len, amlr_buf *data);

amlr_code emu_blob_delete(struct emu_blob *s, struct emu_blob_fail *fail,
			  const char *account, const char *container,
			  const char *name);

/**
 * List Blobs: append the <Blob> and <BlobPrefix> elements of one page to
 * @p xml, in name order, from @p marker on; *next gets the marker of the
 * next page (caller frees) or NULL.
 */
amlr_code emu_blob_list(struct emu_blob *s, struct emu_blob_fail *fail,
			const char *account, const char *container,
			const char *prefix, const char *delimiter,
			const char *marker, unsigned max, amlr_buf *xml,
			char **next);

/** Append @p s escaped for XML text and attributes. */
amlr_code emu_blob_xml_escape(amlr_buf *out, const char *s);

#endif
