/* SPDX-License-Identifier: MIT */
/* Injected failures: configured at start or at run time, logged. */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include "amlr/error.h"
#include "emu.h"
#include "router.h"

/*
 * A fault matches a method (or any) and a path pattern and applies to the
 * next N matching requests, or to a fraction of them chosen by a PRNG
 * seeded from --fault-seed.  Kinds: a status with an ARM error body
 * (optionally Retry-After), a delay, a connection reset, a truncated body,
 * and "lro-failed": the long-running operation the request starts ends
 * Failed.  The server applies every kind but the last before routing; the
 * Resource Manager service asks for the last one itself.
 */

/**
 * Whether a long-running operation started by this request must end
 * Failed (a matching "lro-failed" fault, consumed).  Thread-safe.
 *
 * @param[out] code the error code to report (e.g. "InternalServerError")
 * @param[out] message its message
 * @return 1 when the operation must fail, else 0
 */
int emu_faults_take_lro_failure(struct emu_faults *faults,
				const struct emu_req *req, char code[64],
				char message[256]);

#endif
