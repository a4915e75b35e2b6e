/* SPDX-License-Identifier: MIT */
/* libamlr: retraining Azure Machine Learning Studio web services. */
#ifndef AMLR_AMLR_H
#define AMLR_AMLR_H

/*
 * Memory ownership, once for the whole library:
 *
 * 1. A pointer handed out through an out-parameter (the first parameters,
 *    named out or *_out) belongs to the caller, who releases it with the
 *    matching _free() (objects) or _release() (caller-allocated structs
 *    such as amlr_buf).  Every _free() accepts NULL.
 * 2. A pointer *returned* by a function is borrowed from the object it
 *    came from and stays valid while that object lives unchanged.
 * 3. Input strings are borrowed for the duration of the call.
 * 4. Functions that store a value they were given say "steals" when they
 *    take over the caller's reference (amlr_json_set()).
 * 5. Secrets (tokens, keys, SAS signatures, connection strings) are wiped
 *    before their memory is freed and never reach a trace.
 *
 * Errors: every fallible call returns an amlr_code (error.h); the details
 * are on the handle (amlr_client_error()) or, for calls without a handle,
 * in the amlr_error the caller passes.  The library never prints, exits or
 * reads the environment.
 */

#include "common.h"
#include "bes.h"
#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "fleet.h"
#include "http.h"
#include "json.h"
#include "redact.h"
#include "retry.h"
#include "rrs.h"
#include "secret.h"
#include "version.h"

/**
 * Initialise the libraries underneath (libcurl's global state).  Call once
 * from the main thread before any other thread exists.
 *
 * @return AMLR_OK or AMLR_EFAIL
 */
AMLR_EXTERN amlr_code amlr_global_init(void);

/** Undo amlr_global_init(). */
AMLR_EXTERN void amlr_global_cleanup(void);

#endif
