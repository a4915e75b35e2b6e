/* SPDX-License-Identifier: MIT */
/* Pieces of the fleet engine shared between its files: the journal. */
#ifndef AMLR_FLEET_INTERNAL_H
#define AMLR_FLEET_INTERNAL_H

#include "amlr/error.h"
#include "amlr/fleet.h"
#include "amlr/json.h"

/* The phases a target's journal lines name, in their order. */
#define FLEET_PHASE_SUBMITTED "submitted" /* the job exists, id known */
#define FLEET_PHASE_RUNNING "running" /* the job was started */
#define FLEET_PHASE_TRAINED "trained" /* the job finished: the model */
#define FLEET_PHASE_PATCHING "patching" /* a PATCH to the model may be sent */
#define FLEET_PHASE_PATCHED "patched" /* the PATCH succeeded */
#define FLEET_PHASE_DONE "done" /* verified */
#define FLEET_PHASE_FAILED "failed" /* with exitCode and message */

/* The journal file, opened for appending. */
struct amlr_fleet__journal {
	int fd; /* -1: none */
};

/*
 * Open (create, 0600) @p path for appending.  When the file is empty,
 * @p header (one JSON object, no newline) is written first; when its last
 * line is torn (no newline at the end), a newline is written so that the
 * next record starts a line of its own.
 */
amlr_code amlr_fleet__journal_open(struct amlr_fleet__journal *j,
				   amlr_error *err, const char *path,
				   const char *header);

/*
 * Append one record as one write(2): {"endpoint", "phase", "jobId",
 * "model", "exitCode", "message", "time"} (null members left out).  With
 * @p sync the data is on disk when it returns (fdatasync).
 */
amlr_code amlr_fleet__journal_append(struct amlr_fleet__journal *j,
				     amlr_error *err, const char *endpoint,
				     const char *phase, const char *job_id,
				     const char *model, amlr_code code,
				     const char *message, int sync);

void amlr_fleet__journal_close(struct amlr_fleet__journal *j);

/*
 * The journal's view, as amlr_fleet_journal_read(), each entry with
 * "resumeFrom" too: the phase a new run goes on from ("start" when
 * nothing is kept: no record, or a job that failed, was cancelled or
 * timed out) and "resumeJobId" (the job a new run goes on with, or null).
 */
amlr_code amlr_fleet__journal_load(amlr_json **out, amlr_json **header_out,
				   amlr_error *err, const char *path);

#endif
