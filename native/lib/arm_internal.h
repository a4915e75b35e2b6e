/* SPDX-License-Identifier: MIT */
/* Pieces of the Resource Manager session shared inside libamlr. */
#ifndef AMLR_ARM_INTERNAL_H
#define AMLR_ARM_INTERNAL_H

#include "amlr/arm.h"

/* The error record of the session's client. */
amlr_error *amlr_arm__err(amlr_arm *arm);

/* @p s percent-encoded for a query value (RFC 3986 unreserved kept);
 * caller frees; NULL without memory. */
char *amlr_arm__escape(const char *s);

#endif
