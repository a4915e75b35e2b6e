/* SPDX-License-Identifier: MIT */
/* BES job blobs in storage accounts other than the emulator's own. */
#ifndef EMU_BES_EXTERNAL_H
#define EMU_BES_EXTERNAL_H

#include <stddef.h>
#include <time.h>

#include "amlr/buf.h"
#include "amlr/connstr.h"
#include "amlr/error.h"
#include "amlr/json.h"
#include "bes_store.h"
#include "seed.h"

/*
 * A job's input or output may name a blob of any account reachable by
 * connection string or SAS, such as Azurite (issue #6;
 * ../shared/reference/notes/classic-bes-rrs.md §1.2): an "external" blob.
 * The emulator reads and writes it with libamlr's blob client (amlr/blob.h):
 * a download of each input, one Put Blob (or block list commit) per output,
 * so an output is written whole or not at all.
 *
 * The job file records where such a blob is, never how to get in:
 *   {"account", "container", "blob", "endpoint" (the blob endpoint, no
 *    trailing '/'), "external": true, "auth": "key" or "sas"}
 * The credential itself (the account key, or the SAS token without '?')
 * stays in memory (struct emu_bes_secrets), wiped when the job ends
 * without results or the emulator stops: a job not yet run when the
 * emulator restarts cannot run any more.
 *
 * Nothing here logs: messages that reach a job's Details are built from
 * names, codes and libamlr's messages (whose URLs never hold the query),
 * redacted once more with amlr_redact().
 */

/* The credentials of one job's external references, by input or output. */
struct emu_bes_secrets;

/**
 * Whether @p endpoint (a blob endpoint or a BaseLocation) is the
 * emulator's own storage: the origin of @p base_url (scheme, port, a host
 * equal or both loopback), or https://ACCOUNT.blob.core.windows.net with
 * ACCOUNT an account of @p seed.
 *
 * @return 1 own, 0 external
 */
int emu_bes_ext_is_own(const char *base_url, const struct emu_seed *seed,
		       const char *endpoint);

/**
 * Resolve the external reference @p name (an input, or with @p write an
 * output) at CONTAINER/BLOB: by the connection string @p cs (account key
 * or SharedAccessSignature), or when @p cs is NULL by @p base
 * (BaseLocation) and @p token (SasBlobToken).  Checked without the
 * network: a credential is there, the endpoint is one libamlr talks to, a
 * SAS parses, is in its validity window and grants reading (r) or writing
 * (c or w).
 *
 * @return 1 with *loc_out (the job file's record) and *secret_out; 0
 *	refused (@p res: 400 BadArgument, InvalidBlobConnectionString or
 *	InvalidBlob); -1 without memory
 * Ownership: *loc_out and *secret_out (a secret: amlr_secret_free()) are
 *	the caller's.
 */
int emu_bes_ext_resolve(amlr_json **loc_out, char **secret_out,
			struct emu_bes_result *res, const char *name,
			const amlr_connstr *cs, const char *base,
			const char *token, const char *container,
			const char *blob, int write);

/**
 * At submit: does input @p name's blob exist?  One HEAD, a short timeout,
 * no retry.  Unreachable accounts pass: the job fails when it runs.
 *
 * @return 1 exists (or could not be asked); 0 refused (@p res: 400
 *	BlobNotFound, or InvalidBlob when the account refuses access or the
 *	names); -1
 */
int emu_bes_ext_check_input(struct emu_bes_result *res, const char *name,
			    const amlr_json *loc, const char *secret);

/**
 * Read input @p name's blob at @p loc (at most @p max bytes) into @p out.
 *
 * @param details EMU_GRAPH_ERR_SIZE bytes for the job's Details
 * @return AMLR_OK; the code of the failure (AMLR_ENOTFOUND, AMLR_ENET,
 *	AMLR_EAUTH, ...) with @p details set
 * Ownership: @p out is the caller's buffer, appended to.
 */
amlr_code emu_bes_ext_read(amlr_buf *out, char *details, const char *name,
			   const amlr_json *loc, const char *secret,
			   size_t max);

/**
 * Write output @p name's @p len bytes to its blob at @p loc, whole or
 * not at all; its container is made first when the credential is the
 * account key.
 *
 * @param details EMU_GRAPH_ERR_SIZE bytes for the job's Details
 * @return AMLR_OK; the code of the failure, with @p details set
 */
amlr_code emu_bes_ext_write(char *details, const char *name,
			    const amlr_json *loc, const char *secret,
			    const void *data, size_t len,
			    const char *content_type);

/*
 * A model (a classic endpoint's resource, a Resource Manager web
 * service's Resource asset) may be in another account too: its location
 * is then the blob's URL with a SAS in the query, as the service kept it,
 * and emu_bes_model_get() reads it with these.
 */

/**
 * Split the blob URL @p url with a SAS into a BaseLocation *base (the
 * blob endpoint and '/': "http(s)://HOST[:PORT]/" or, on a host given by
 * address (path-style, Azurite), ".../ACCOUNT/"), the RelativeLocation
 * *rel ("CONTAINER/BLOB", still percent-encoded) and the SAS *token
 * (without '?').  No network, no check of the SAS.
 *
 * @return AMLR_OK; AMLR_EINVAL (no query, no container and blob name);
 *	AMLR_EFAIL
 * Ownership: the three strings are the caller's (*token a secret:
 *	amlr_secret_free()).
 */
amlr_code emu_bes_ext_split_url(char **base, char **rel, char **token,
				const char *url);

/**
 * The ETag of the model blob at @p loc (into @p etag, @p n bytes): one
 * HEAD, short timeouts, 3 tries.
 *
 * @param details EMU_GRAPH_ERR_SIZE bytes for the reason, redacted
 * @return AMLR_OK; the code of the failure (AMLR_ENOTFOUND, AMLR_EAUTH,
 *	AMLR_ENET, ...) with @p details set
 */
amlr_code emu_bes_ext_model_etag(char *etag, size_t n, char *details,
				 const amlr_json *loc, const char *secret);

/**
 * Read the model blob at @p loc (at most @p max bytes) into @p out, its
 * ETag into @p etag (@p n bytes); timeouts and tries as
 * emu_bes_ext_model_etag().
 *
 * @return AMLR_OK; the code of the failure with @p details set
 * Ownership: @p out is the caller's buffer, appended to.
 */
amlr_code emu_bes_ext_model_read(amlr_buf *out, char *etag, size_t n,
				 char *details, const amlr_json *loc,
				 const char *secret, size_t max);

/** Whether @p loc is an external blob's record. */
int emu_bes_ext_is(const amlr_json *loc);

/**
 * Keep @p secret (taken, even on failure) for output (@p output 1) or
 * input @p name, replacing any earlier one.
 *
 * @return AMLR_OK; AMLR_EFAIL (the secret is wiped and freed)
 * Ownership: *list is the caller's (emu_bes_secrets_free()).
 */
amlr_code emu_bes_secrets_put(struct emu_bes_secrets **list, int output,
			      const char *name, char *secret);

/** Wipe and drop the secrets of the outputs (@p output 1) or inputs. */
void emu_bes_secrets_drop(struct emu_bes_secrets **list, int output);

/** The secret of input or output @p name, or NULL.  Borrowed. */
const char *emu_bes_secrets_get(const struct emu_bes_secrets *list, int output,
				const char *name);

/**
 * A copy of @p list, for a worker outside the lock.
 *
 * @return AMLR_OK (*out NULL for an empty list); AMLR_EFAIL
 * Ownership: *out is the caller's (emu_bes_secrets_free()).
 */
amlr_code emu_bes_secrets_copy(struct emu_bes_secrets **out,
			       const struct emu_bes_secrets *list);

/** Wipe and free; accepts NULL. */
void emu_bes_secrets_free(struct emu_bes_secrets *list);

#endif
