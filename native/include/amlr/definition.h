/* SPDX-License-Identifier: MIT */
/* Web-service definitions: import, Az-compatible export, model references. */
#ifndef AMLR_DEFINITION_H
#define AMLR_DEFINITION_H

#include "common.h"

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A definition is a Microsoft.MachineLearning/webServices resource as JSON:
 * what Export-AzMlWebService writes ({properties, location, tags}) or a
 * whole resource as GET returns it ({id, name, type, location, tags,
 * properties}).  The functions here work offline on amlr_json values.
 *
 * A *normalised* definition (amlr_definition_import(),
 * amlr_definition_normalize()) has every known member under the casing of
 * the 2017-01-01 spec and in the order the Az module writes, members that
 * are JSON null dropped (the SDK omits nulls), unknown members kept as
 * they are after the known ones, dictionary keys (asset ids, node ids,
 * parameter names, ...) verbatim, and parameters in the 2017-01-01 shape
 * {"value": ..., "certificateThumbprint": ...}.  Read-only members (id,
 * name, type, createdOn, modifiedOn, provisioningState, swaggerLocation)
 * are kept; export and request bodies drop them.
 *
 * Secrets: a definition may hold `properties.keys` and
 * `properties.storageAccount.key` (GET never returns them; they are only
 * there when the input had them).  Nothing here adds, logs or prints them;
 * callers release buffers holding an export with amlr_buf_release_secret().
 */

/* The api-versions of Microsoft.MachineLearning/webServices. */
#define AMLR_DEFINITION_API_2017 "2017-01-01"
#define AMLR_DEFINITION_API_PREVIEW "2016-05-01-preview"

/**
 * Read a definition file as Import-AzMlWebService accepts it and normalise
 * it.  Accepted: UTF-8 with or without a BOM, UTF-16 with a BOM (what
 * Windows PowerShell's Out-File writes), LF or CRLF, any casing of known
 * member names, unknown members, both parameter shapes (2016-05-01-preview
 * plain values, 2017-01-01 objects), a whole resource or an export.
 *
 * Checked: the JSON syntax (errors give the line, column and byte offset;
 * a truncated file says so), the encoding, the type of every known member
 * and the members the spec requires (`properties`, `properties.packageType`
 * = "Graph", each asset's name, type, locationInfo and locationInfo.uri,
 * ...), maxConcurrentCalls' range, integers that fit 64 bits.  Errors name
 * the JSON path, e.g.
 * "properties.assets.asset1.locationInfo: expected an object, not a string".
 * Read-only members are kept (export drops them).
 *
 * @param[out] out the normalised definition
 * @param err details on failure; may be NULL
 * @param text the file's bytes (need not be NUL-terminated)
 * @param len their number
 * @return AMLR_OK; AMLR_EINVAL for anything wrong with the text (empty,
 *	encoding, syntax, types, missing members); AMLR_EFAIL without memory
 * Ownership: *out belongs to the caller (amlr_json_free()); NULL on error.
 */
AMLR_EXTERN amlr_code amlr_definition_import(amlr_json **out, amlr_error *err,
					     const char *text, size_t len);

/**
 * Normalise an already parsed definition (a GET reply, say) with the same
 * checks as amlr_definition_import().
 *
 * @param[out] out a normalised deep copy; @p resource is not changed
 * @param err details on failure; may be NULL
 * @param resource the definition or resource
 * @return AMLR_OK, AMLR_EINVAL (with the JSON path), AMLR_EFAIL
 * Ownership: *out belongs to the caller (amlr_json_free()).
 */
AMLR_EXTERN amlr_code amlr_definition_normalize(amlr_json **out,
						amlr_error *err,
						const amlr_json *resource);

/**
 * Write a definition the way Export-AzMlWebService does: read-only members
 * dropped (id, name, type, createdOn, modifiedOn, provisioningState,
 * swaggerLocation), nulls dropped, keys in the Az module's order
 * (properties, location, tags; inside properties packageType, package,
 * then the spec's order), 2-space indentation, `"key": value`, strings
 * escaped as Newtonsoft.Json does, LF line ends, UTF-8 without a BOM and
 * a final newline.  The same input always gives the same bytes.
 *
 * Members the input lacks are not invented: a GET reply has no `keys`,
 * no `storageAccount.key` and usually no `commitmentPlan`, and neither
 * has its export.  The input need not be complete (a sparse list item
 * exports what it has), but the types of known members are checked.
 *
 * @param out the text is appended here
 * @param err details on failure; may be NULL
 * @param resource a definition or a resource (normalised or not)
 * @return AMLR_OK, AMLR_EINVAL (a member of the wrong type, with its
 *	path), AMLR_EFAIL without memory (@p out may then hold a part)
 * Ownership: @p out stays the caller's; release it with
 *	amlr_buf_release_secret() when the definition may hold keys.
 */
AMLR_EXTERN amlr_code amlr_definition_export(amlr_buf *out, amlr_error *err,
					     const amlr_json *resource);

/* How to build a PUT or PATCH body. */
typedef struct amlr_definition_body_opts {
	/* AMLR_DEFINITION_API_2017 (NULL means it) or _PREVIEW */
	const char *api_version;
	/* non-NULL: replaces `location`, as New-AzMlWebService -Location
	 * does with -DefinitionFile; NULL keeps the definition's */
	const char *location;
	/* 1 for a PUT (create or replace: `location` is required), 0 for a
	 * PATCH */
	int create;
} amlr_definition_body_opts;

#define AMLR_DEFINITION_BODY_OPTS_INIT \
	{                              \
		NULL, NULL, 0          \
	}

/**
 * The request body New-AzMlWebService (PUT) and Update-AzMlWebService
 * -ServiceUpdates (PATCH) send for a definition: the export's layout and
 * order without the final newline, so that for api-version 2017-01-01 the
 * bytes equal the recorded bodies (which differ only by CRLF line ends).
 * For 2016-05-01-preview, parameters become plain strings and the
 * 2017-only payloadsInBlobStorage/payloadsLocation are left out; a value
 * that the preview shape cannot carry (a certificate thumbprint, a
 * non-string value, payloads kept in blob storage) is an error rather
 * than a silent loss.
 *
 * @param out the body is appended here
 * @param err details on failure; may be NULL
 * @param def the definition (normalised or not)
 * @param opts NULL for the defaults (2017-01-01, PATCH, own location)
 * @return AMLR_OK; AMLR_EINVAL for an unknown api-version, a definition
 *	that amlr_definition_import() would refuse, or a PUT without a
 *	location; AMLR_EFAIL without memory
 * Ownership: @p out stays the caller's; release it with
 *	amlr_buf_release_secret() (the body may carry keys).
 */
AMLR_EXTERN amlr_code amlr_definition_request_body(
	amlr_buf *out, amlr_error *err, const amlr_json *def,
	const amlr_definition_body_opts *opts);

/**
 * Find the asset that holds the trained model (the `.ilearner`).
 *
 * With @p asset NULL: the only asset of type "Resource" whose name ends in
 * "[trained model]" (both compared without regard to case: the docs spell
 * it "[Trained Model]" too).  Otherwise @p asset is an asset id (a key of
 * properties.assets, matched exactly) or else an asset name (exactly); the
 * asset must be of type "Resource".
 *
 * @param[out] asset_id_out the asset's id (its key in properties.assets)
 * @param err details on failure; may be NULL
 * @param def a normalised definition, or a GET reply
 * @param asset NULL, an asset id or an asset name
 * @return AMLR_OK; AMLR_EINVAL when there is no such asset or several
 *	(the message lists the candidates, ids and names), when the named
 *	asset is not a Resource, or when the definition has no inline
 *	assets (payloads in blob storage, a sparse list item)
 * Ownership: *asset_id_out is borrowed from @p def and valid while its
 *	properties.assets object is not replaced or freed.
 */
AMLR_EXTERN amlr_code amlr_definition_find_model(const char **asset_id_out,
						 amlr_error *err,
						 const amlr_json *def,
						 const char *asset);

/**
 * The current locationInfo.uri of an asset.
 *
 * @return the URI, or NULL when the asset or its uri is missing
 * Ownership: borrowed from @p def.
 */
AMLR_EXTERN const char *amlr_definition_model_uri(const amlr_json *def,
						  const char *asset_id);

/**
 * Whether @p uri may be a model reference: https:// (or http:// to a
 * loopback host), no user information, no SAS signature (the service
 * reads models with its own storage account key).  Messages never quote
 * the URI.
 *
 * @return AMLR_OK, AMLR_EINVAL, AMLR_EFAIL
 */
AMLR_EXTERN amlr_code amlr_definition_check_model_uri(amlr_error *err,
						      const char *uri);

/**
 * Point an asset at a new model: replace only
 * properties.assets.<asset_id>.locationInfo.uri, in place, so that the
 * export differs from the previous one in that line alone.
 *
 * The URI must be an https:// URL, or http:// to a loopback host (the
 * emulator), and must carry neither user credentials nor a SAS signature
 * (`sig=`): the service reads the blob with its storage account, and the
 * definition file must not hold a secret.  Messages never quote the URI.
 *
 * @param def a normalised definition (changed on success only)
 * @param err details on failure; may be NULL
 * @param asset_id the asset's key in properties.assets
 * @param uri the new model's blob URL (BaseLocation + RelativeLocation)
 * @return AMLR_OK; AMLR_EINVAL for a refused URI or a missing asset or
 *	locationInfo.uri; AMLR_EFAIL without memory
 * Ownership: @p uri is copied.
 */
AMLR_EXTERN amlr_code amlr_definition_set_model_uri(amlr_json *def,
						    amlr_error *err,
						    const char *asset_id,
						    const char *uri);

/**
 * Whether a definition holds secrets: `properties.keys`,
 * `properties.storageAccount.key`, or a non-empty `credentials` of an
 * asset's locationInfo or of payloadsLocation (a storage connection
 * string).  A file written from such a definition should be 0600 and its
 * buffer released with amlr_buf_release_secret().  A GET reply has none.
 *
 * @return 1 when it holds one, else 0
 */
AMLR_EXTERN int amlr_definition_has_secrets(const amlr_json *def);

/**
 * Whether two definitions say the same thing: equal after normalisation,
 * ignoring read-only members, nulls, member order and key casing.
 * Write-only members (keys, storageAccount.key) count like any other, so
 * compare a GET reply with a definition that lacks them, or strip them.
 * Definitions that cannot be normalised are compared as plain JSON.
 *
 * @return 1 when equal, 0 when not (or out of memory)
 */
AMLR_EXTERN int amlr_definition_equal(const amlr_json *a, const amlr_json *b);

#ifdef __cplusplus
}
#endif

#endif
