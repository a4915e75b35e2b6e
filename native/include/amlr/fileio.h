/* SPDX-License-Identifier: MIT */
/* Reading files, and writing them atomically (temp file, fsync, rename). */
#ifndef AMLR_FILEIO_H
#define AMLR_FILEIO_H

#include "common.h"

#include <stddef.h>
#include <stdint.h>
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

/**
 * Start or continue writing @p path resumably: the data goes to
 * "PATH.partial", and "PATH.partial.version" records @p version (what the
 * content is of: e.g. a blob's ETag and length).  A "PATH.partial" that an
 * earlier, interrupted run left for the same version is continued: *have
 * is the number of bytes it holds, and writes append to them; for another
 * version (or none) it starts again from 0.  amlr_afile_commit() puts the
 * whole in place atomically and removes the version file;
 * amlr_afile_keep() leaves both for a later run; amlr_afile_free() alone
 * removes both, as for amlr_afile_open().
 *
 * @param version one line, no newline; at most 1 KiB
 * @param[out] have the bytes already there (0 for a fresh start)
 * @return AMLR_OK, AMLR_EINVAL (a bad name or version), AMLR_EIO, AMLR_EFAIL
 * Ownership: *out belongs to the caller; end with amlr_afile_free().
 */
AMLR_EXTERN amlr_code amlr_afile_open_resumable(amlr_afile **out,
						amlr_error *err,
						const char *path, mode_t mode,
						const char *version,
						uint64_t *have);

/**
 * Read back the first @p len bytes already in a resumable file (to hash
 * what an earlier run wrote), calling @p cb on chunks of them.
 *
 * @return AMLR_OK; AMLR_EIO (a short read); what @p cb returned
 */
AMLR_EXTERN amlr_code
amlr_afile_reread(amlr_afile *f, amlr_error *err, uint64_t len,
		  amlr_code (*cb)(const void *data, size_t n, void *payload),
		  void *payload);

/**
 * Stop writing a resumable file but keep what it holds, for a later
 * amlr_afile_open_resumable() of the same version (after a network
 * failure).  Only amlr_afile_free() may follow.
 */
AMLR_EXTERN void amlr_afile_keep(amlr_afile *f);

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
