/* SPDX-License-Identifier: MIT */
/* Reading files, and writing them atomically (temp file, fsync, rename). */
#ifndef AMLR_FILEIO_H
#define AMLR_FILEIO_H

#include "common.h"

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An atomic file: the data goes to a temporary file in the target's
 * directory, and only amlr_afile_commit() puts it in place (fsync of the
 * file, rename over the target, fsync of the directory).  Until then the
 * old file, if any, is untouched; amlr_afile_free() without a commit
 * removes the temporary file, so that nothing is ever left half-written.
 */
typedef struct amlr_afile amlr_afile;

/**
 * Start writing @p path.
 *
 * @param[out] out the open file, owned by the caller
 * @param err details on failure; may be NULL
 * @param path the final name; its directory must exist
 * @param mode permission bits of the new file (e.g. 0600 for secrets)
 * @return AMLR_OK, AMLR_EIO (with errno's text), AMLR_EFAIL without memory
 * Ownership: *out belongs to the caller; end with amlr_afile_free().
 */
AMLR_EXTERN amlr_code amlr_afile_open(amlr_afile **out, amlr_error *err,
				      const char *path, mode_t mode);

/** Append bytes; AMLR_EIO when the write fails (e.g. disk full). */
AMLR_EXTERN amlr_code amlr_afile_write(amlr_afile *f, amlr_error *err,
				       const void *data, size_t len);

/**
 * Flush, fsync and rename over the target.  After a failure the target is
 * unchanged and the temporary file is gone.  Either way @p f is finished:
 * only amlr_afile_free() may follow.
 */
AMLR_EXTERN amlr_code amlr_afile_commit(amlr_afile *f, amlr_error *err);

/** Abandon (when not committed) and free; accepts NULL. */
AMLR_EXTERN void amlr_afile_free(amlr_afile *f);

/**
 * Write a whole file atomically: the target holds either its old content
 * or all of @p data, never a part.
 *
 * @return AMLR_OK, AMLR_EIO, AMLR_EFAIL
 */
AMLR_EXTERN amlr_code amlr_file_write_atomic(amlr_error *err, const char *path,
					     const void *data, size_t len,
					     mode_t mode);

/**
 * Read a whole file (or "-" for standard input) into @p out, appending.
 *
 * @param max refuse files larger than this many bytes (0: no limit)
 * @return AMLR_OK, AMLR_EIO (missing, unreadable, too large), AMLR_EFAIL
 */
AMLR_EXTERN amlr_code amlr_file_read(amlr_buf *out, amlr_error *err,
				     const char *path, size_t max);

#ifdef __cplusplus
}
#endif

#endif
