/* SPDX-License-Identifier: MIT */
/* Microsoft.MachineLearning/webServices through Resource Manager. */
#ifndef AMLR_WEBSERVICE_H
#define AMLR_WEBSERVICE_H

#include "common.h"

#include "arm.h"
#include "error.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMLR_WEBSERVICE_API_VERSION "2017-01-01"
#define AMLR_WEBSERVICE_API_PREVIEW "2016-05-01-preview"

/* Which web service; all strings borrowed. */
typedef struct amlr_webservice_ref {
	const char *subscription_id;
	const char *resource_group;
	const char *name;
	const char *api_version; /* NULL: AMLR_WEBSERVICE_API_VERSION */
} amlr_webservice_ref;

/**
 * The resource path "subscriptions/S/resourceGroups/G/providers/
 * Microsoft.MachineLearning/webServices/N", names percent-encoded.
 *
 * @return AMLR_OK; AMLR_EINVAL for a missing part or a name with a
 *	character Azure refuses (< > * % & : ? + / \ or a control
 *	character, or a trailing space); AMLR_EFAIL
 * Ownership: *out belongs to the caller (free()).
 */
AMLR_EXTERN amlr_code amlr_webservice_path(char **out, amlr_error *err,
					   const amlr_webservice_ref *ref);

/**
 * GET a web service (with @p region, its regional properties).
 * @return AMLR_OK, AMLR_ENOTFOUND (WebServiceNotFound,
 *	PerRegionPayloadNotFound), the codes of amlr_arm_get()
 * Ownership: *out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_webservice_get(amlr_json **out, amlr_arm *arm,
					  const amlr_webservice_ref *ref,
					  const char *region);

/**
 * Every web service of a resource group, or of the subscription when
 * @p resource_group is NULL, every page followed.
 * Ownership: *out (an array) belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_webservice_list(amlr_json **out, amlr_arm *arm,
					   const char *subscription_id,
					   const char *resource_group,
					   const char *api_version);

/** The keys ({primary, secondary}: secrets).  Ownership: the caller's. */
AMLR_EXTERN amlr_code amlr_webservice_keys(amlr_json **out, amlr_arm *arm,
					   const amlr_webservice_ref *ref);

/**
 * CreateRegionalBlob for @p region, waiting for the operation.
 * @return AMLR_OK or the codes of amlr_arm_wait()
 */
AMLR_EXTERN amlr_code amlr_webservice_add_region(amlr_arm *arm,
						 const amlr_webservice_ref *ref,
						 const char *region);

/**
 * PATCH (@p method "PATCH") or PUT (@p method "PUT") the web service with
 * the JSON @p body, wait for the long-running operation, and GET the
 * result.
 *
 * @param[out] out the web service afterwards; may be NULL
 * @return AMLR_OK, AMLR_ECONFLICT (read-only, commitment plan, storage
 *	account), AMLR_ESERVER (the operation ended Failed), the codes of
 *	amlr_arm_send() and amlr_arm_wait()
 * Ownership: *out belongs to the caller.
 */
AMLR_EXTERN amlr_code amlr_webservice_write(amlr_json **out, amlr_arm *arm,
					    const amlr_webservice_ref *ref,
					    const char *method,
					    const char *body);

/**
 * DELETE the web service and wait until it is gone.
 * @return AMLR_OK (also when it did not exist, as the service says)
 */
AMLR_EXTERN amlr_code amlr_webservice_remove(amlr_arm *arm,
					     const amlr_webservice_ref *ref);

#ifdef __cplusplus
}
#endif

#endif
