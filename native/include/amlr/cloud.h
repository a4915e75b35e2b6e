/* SPDX-License-Identifier: MIT */
/* The endpoints of an Azure cloud (public, China, US Government, custom). */
#ifndef AMLR_CLOUD_H
#define AMLR_CLOUD_H

#include "common.h"

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Endpoints end with '/' (the storage suffix is a bare domain).  A member
 * is NULL when the cloud does not offer that service (the classic ML
 * management API exists only in AzureCloud).
 */
typedef struct amlr_cloud {
	const char *name; /* "AzureCloud", or a custom profile's name */
	const char *authority_host; /* "https://login.microsoftonline.com/" */
	const char *arm_endpoint; /* "https://management.azure.com/" */
	const char *arm_audience; /* token resource for Resource Manager */
	const char *management_endpoint; /* classic ML management API */
	const char *storage_suffix; /* "core.windows.net" */
	const char *storage_audience; /* "https://storage.azure.com/" */
} amlr_cloud;

/**
 * A built-in cloud by name (case-insensitive): AzureCloud,
 * AzureChinaCloud, AzureUSGovernment.
 *
 * @return the cloud, or NULL when the name is unknown
 * Ownership: static, never freed.
 */
AMLR_EXTERN const amlr_cloud *amlr_cloud_builtin(const char *name);

/**
 * The built-in clouds, in a NULL-terminated array (for help texts).
 *
 * @return the array
 * Ownership: static, never freed.
 */
AMLR_EXTERN const amlr_cloud *const *amlr_cloud_builtins(void);

/**
 * Load a custom cloud profile: a JSON file in amlretrain's format
 * (docs/cloud-profile.md: name, authorityHost, resourceManager, ...), the
 * output of `az cloud show` (endpoints, suffixes), or shell exports as
 * amlretrain-emulator --print-env writes them (AZURE_AUTHORITY_HOST,
 * AMLR_ARM_ENDPOINT, ...).  Endpoints must be https:// URLs, or http://
 * to a loopback address; a missing trailing '/' is added.
 *
 * @param[out] out the cloud, owned by the caller
 * @param err details on failure; may be NULL
 * @return AMLR_OK; AMLR_EIO when the file cannot be read; AMLR_EINVAL for
 *	malformed content or a missing authority or Resource Manager
 *	endpoint (the message names the member); AMLR_EFAIL without memory
 * Ownership: *out belongs to the caller (amlr_cloud_free()).
 */
AMLR_EXTERN amlr_code amlr_cloud_load(amlr_cloud **out, amlr_error *err,
				      const char *path);

/**
 * Free a cloud made by amlr_cloud_load(); accepts NULL.  Never pass a
 * built-in cloud.
 */
AMLR_EXTERN void amlr_cloud_free(amlr_cloud *cloud);

#ifdef __cplusplus
}
#endif

#endif
