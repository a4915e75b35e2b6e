/* SPDX-License-Identifier: MIT */
/* Blob Storage client: containers, parallel block upload, ranged download. */
#ifndef AMLR_BLOB_H
#define AMLR_BLOB_H

#include "common.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "connstr.h"
#include "error.h"
#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A client of one blob endpoint with one credential: Shared Key (account
 * name and key), a SAS token, or none (public containers).  It owns one
 * libcurl multi handle whose connections are reused by every call and by
 * the parallel transfers of a large upload or download.  Requests carry
 * x-ms-version, x-ms-date, an x-ms-client-request-id per request and the
 * client's x-ms-correlation-request-id, all of them signed with Shared
 * Key; retries follow the retry policy of the options (a Shared Key
 * request is signed again with a fresh date on every try).  Traces are
 * redacted (amlr_redact()).  Not for concurrent use from several threads.
 */
typedef struct amlr_blob amlr_blob;

/* Called after each block or range: bytes done of @p total. */
typedef void (*amlr_blob_progress_cb)(uint64_t done, uint64_t total,
				      void *payload);

typedef struct amlr_blob_opts {
	amlr_client_opts http; /* CA bundle, timeouts, retry policy, ids */
	size_t block_size; /* 0: 8 MiB; block of uploads, range of downloads */
	size_t single_put_max; /* 0: block_size; larger files go in blocks */
	unsigned parallel; /* 0: 4 transfers at once (at most 32) */
	const char *version; /* x-ms-version; NULL: AMLR_STORAGE_VERSION */
} amlr_blob_opts;

#define AMLR_BLOB_OPTS_INIT                          \
	{                                            \
		AMLR_CLIENT_OPTS_INIT, 0, 0, 0, NULL \
	}

/* What a blob (or, when listing with a delimiter, a prefix) is. */
typedef struct amlr_blob_props {
	char *container;
	char *name;
	int is_prefix; /* a BlobPrefix of a delimited listing: name only */
	uint64_t content_length;
	char *content_type; /* NULL when unknown, as every string below */
	char *content_md5; /* base64 */
	char *etag;
	char *last_modified; /* RFC 1123 */
	char *creation_time;
	char *blob_type; /* "BlockBlob" */
} amlr_blob_props;

#define AMLR_BLOB_PROPS_INIT                                         \
	{                                                            \
		NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL \
	}

/** Free the strings of @p p; it is AMLR_BLOB_PROPS_INIT afterwards. */
AMLR_EXTERN void amlr_blob_props_release(amlr_blob_props *p);

/**
 * Make a client for @p endpoint ("https://acct.blob.core.windows.net",
 * or path-style "http://127.0.0.1:10000/devstoreaccount1").
 *
 * @param account account name, needed with @p key
 * @param key account key (base64) for Shared Key, or NULL
 * @param sas SAS token (query without '?') when there is no key, or NULL
 * @return AMLR_OK; AMLR_EINVAL (endpoint not https nor http to loopback,
 *	key without account, bad key, malformed SAS); AMLR_EFAIL
 * Ownership: *out is the caller's (amlr_blob_free()); the strings are
 *	copied, the secrets wiped when the client is freed.
 */
AMLR_EXTERN amlr_code amlr_blob_new(amlr_blob **out, amlr_error *err,
				    const char *endpoint, const char *account,
				    const char *key, const char *sas,
				    const amlr_blob_opts *opts);

/**
 * Make a client from a parsed connection string (amlr_connstr_parse()).
 *
 * @return as amlr_blob_new()
 * Ownership: *out is the caller's; @p cs is not kept.
 */
AMLR_EXTERN amlr_code amlr_blob_from_connstr(amlr_blob **out, amlr_error *err,
					     const amlr_connstr *cs,
					     const amlr_blob_opts *opts);

/**
 * Make a client from a container or blob URL carrying a SAS
 * ("https://acct.blob.core.windows.net/c/dir/b.txt?sv=...&sig=...").  On
 * an IP or localhost host the first path segment is the account, as
 * Azurite and the emulator address it.
 *
 * @param[out] container_out the container named by the URL
 * @param[out] name_out the blob name (decoded), or NULL for a container
 * @return AMLR_OK; AMLR_EINVAL (no container in the URL, no or malformed
 *	SAS, bad scheme); AMLR_EFAIL
 * Ownership: all three outputs are the caller's (free() the names).
 */
AMLR_EXTERN amlr_code amlr_blob_from_url(amlr_blob **out, char **container_out,
					 char **name_out, amlr_error *err,
					 const char *url,
					 const amlr_blob_opts *opts);

/** Free a client, wiping its credentials; accepts NULL. */
AMLR_EXTERN void amlr_blob_free(amlr_blob *blob);

/**
 * Details of the last failed call; code AMLR_OK after a success.
 * Ownership: borrowed, valid until the next call.
 */
AMLR_EXTERN const amlr_error *amlr_blob_error(const amlr_blob *blob);

/** The endpoint, without a trailing '/'.  Borrowed. */
AMLR_EXTERN const char *amlr_blob_endpoint(const amlr_blob *blob);

/** The account name, or NULL.  Borrowed. */
AMLR_EXTERN const char *amlr_blob_account(const amlr_blob *blob);

/** Install (or with NULL remove) the trace callback (redacted text). */
AMLR_EXTERN void amlr_blob_set_trace_cb(amlr_blob *blob, amlr_trace_cb cb,
					void *payload);

/** Install (or with NULL remove) the progress callback. */
AMLR_EXTERN void amlr_blob_set_progress_cb(amlr_blob *blob,
					   amlr_blob_progress_cb cb,
					   void *payload);

/**
 * Create a container; one that exists already is fine (idempotent).
 *
 * @param[out] created 1 when it was created now, 0 when it existed (may
 *	be NULL)
 * @return AMLR_OK, AMLR_EINVAL (invalid name), AMLR_EAUTH, AMLR_ENET,
 *	AMLR_ESERVER, ...: the code of the reply (error.h)
 * Ownership: nothing kept; details on amlr_blob_error().
 */
AMLR_EXTERN amlr_code amlr_blob_container_create(int *created, amlr_blob *blob,
						 const char *container);

/**
 * Delete a container and its blobs.
 *
 * @return AMLR_OK, AMLR_ENOTFOUND, AMLR_EAUTH, ...
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_blob_container_delete(amlr_blob *blob,
						 const char *container);

/**
 * Upload a local file as a block blob, replacing any blob of that name.
 * Up to single_put_max bytes: one Put Blob; above: Put Block of
 * block_size bytes, `parallel` at a time, each with its Content-MD5
 * (checked by the service), then Put Block List.  (The whole blob's MD5 is
 * kept only for a single Put Blob: hashing it twice would cost the
 * throughput of large uploads, as in Microsoft's SDKs.)  Memory stays within
 * about parallel * block_size whatever the file's size.  A file that shrinks,
 * changes or disappears during the upload fails it with AMLR_EIO before
 * the block list is committed: the blob is then as it was before.
 *
 * @param[out] out what was stored (may be NULL)
 * @param content_type NULL: application/octet-stream
 * @return AMLR_OK; AMLR_EIO (the local file); the code of the reply
 * Ownership: *out is the caller's (amlr_blob_props_release()).
 */
AMLR_EXTERN amlr_code amlr_blob_upload(amlr_blob_props *out, amlr_blob *blob,
				       const char *container, const char *name,
				       const char *path,
				       const char *content_type);

/**
 * Download a blob into @p path, atomically (amlr_afile): the target is
 * either left as it was or holds the whole blob.  Resumable: the bytes
 * go to PATH.partial first; after a network or service failure (or a
 * kill) they stay there, and a later download of the same version of the
 * blob (ETag and length) to the same path fetches only the rest.  Other
 * failures (local I/O, the blob replaced meanwhile, a bad MD5) remove it. Large
 *blobs come in ranges of block_size, `parallel` at a time, pinned to the blob's
 *ETag (If-Match) so that a blob replaced meanwhile fails the download
 * (AMLR_ECONFLICT) instead of mixing versions; the length and, when the
 * blob has one, the MD5 are checked (AMLR_ESERVER on a mismatch).
 *
 * @param[out] out the blob's properties (may be NULL)
 * @param mode permission bits of a new file (e.g. 0644; 0600 for secrets)
 * @return AMLR_OK; AMLR_EIO (the local file: directory missing, disk
 *	full); the code of the reply
 * Ownership: *out is the caller's (amlr_blob_props_release()).
 */
AMLR_EXTERN amlr_code amlr_blob_download(amlr_blob_props *out, amlr_blob *blob,
					 const char *container,
					 const char *name, const char *path,
					 mode_t mode);

/**
 * Get a blob's properties (HEAD).
 *
 * @return AMLR_OK, AMLR_ENOTFOUND, AMLR_EAUTH, ...
 * Ownership: *out is the caller's (amlr_blob_props_release()).
 */
AMLR_EXTERN amlr_code amlr_blob_get_properties(amlr_blob_props *out,
					       amlr_blob *blob,
					       const char *container,
					       const char *name);

/* Receives each listed blob or prefix; non-zero stops the listing. */
typedef int (*amlr_blob_list_cb)(const amlr_blob_props *item, void *payload);

/**
 * List the blobs of a container, following NextMarker until the end.
 *
 * @param prefix only names starting with it, or NULL
 * @param delimiter e.g. "/": names past it are folded into prefixes
 * @param page_size maxresults per request; 0 for the service's default
 * @return AMLR_OK (also when @p cb stopped it), AMLR_ENOTFOUND,
 *	AMLR_ESERVER (unparseable XML), ...
 * Ownership: each item is borrowed for the callback's duration.
 */
AMLR_EXTERN amlr_code amlr_blob_list(amlr_blob *blob, const char *container,
				     const char *prefix, const char *delimiter,
				     unsigned page_size, amlr_blob_list_cb cb,
				     void *payload);

/**
 * Delete a blob.
 *
 * @return AMLR_OK, AMLR_ENOTFOUND, AMLR_EAUTH, ...
 * Ownership: nothing kept.
 */
AMLR_EXTERN amlr_code amlr_blob_delete(amlr_blob *blob, const char *container,
				       const char *name);

/**
 * The URL of a blob (or, with @p name NULL, a container) with a service
 * SAS signed by the client's account key: protocol https,http, start 15
 * minutes in the past for clock skew.
 *
 * @param permissions e.g. "r", "rl", "racwdl" (canonical order)
 * @return AMLR_OK; AMLR_EINVAL (no account key, bad permissions, expiry
 *	in the past); AMLR_EFAIL
 * Ownership: *out is the caller's; a secret: amlr_secret_free().
 */
AMLR_EXTERN amlr_code amlr_blob_sas_url(char **out, amlr_blob *blob,
					const char *container, const char *name,
					const char *permissions, time_t expiry);

/**
 * Whether @p name is a valid container name (3-63 of a-z, 0-9, '-', not
 * starting or ending with '-', no "--").
 *
 * @return 1 or 0
 */
AMLR_EXTERN int amlr_blob_container_name_valid(const char *name);

#ifdef __cplusplus
}
#endif

#endif
