/* SPDX-License-Identifier: MIT */
/* The versions of libamlr and of the libraries under it. */
#ifndef AMLR_VERSION_H
#define AMLR_VERSION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMLR_VERSION "0.1.0"

/** libamlr's version string, e.g. "0.1.0".  Static. */
AMLR_EXTERN const char *amlr_version(void);

/* One dependency and the version in use at run time. */
typedef struct amlr_dep_version {
	const char *name; /* "libcurl", "json-c", "libxml2", "OpenSSL" */
	const char *version;
} amlr_dep_version;

/**
 * The run-time versions of libamlr's dependencies, terminated by an entry
 * whose name is NULL.  Static.
 */
AMLR_EXTERN const amlr_dep_version *amlr_dep_versions(void);

#ifdef __cplusplus
}
#endif

#endif
