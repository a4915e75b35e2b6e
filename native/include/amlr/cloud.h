/* SPDX-License-Identifier: MIT */
/* The endpoints of an Azure cloud (public, China, US Government, custom). */
#ifndef AMLR_CLOUD_H
#define AMLR_CLOUD_H

#include "common.h"

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

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
 * AzureChinaCloud, AzureUSGovernment.  Static; NULL when unknown.
 */
AMLR_EXTERN const amlr_cloud *amlr_cloud_builtin(const char *name);

#ifdef __cplusplus
}
#endif

#endif
