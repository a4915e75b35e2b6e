/* SPDX-License-Identifier: MIT */
/* --secrets-log FILE: every secret the emulator holds or issues (canary). */
#ifndef EMU_SECRETS_LOG_H
#define EMU_SECRETS_LOG_H

#include <stddef.h>

#include "amlr/error.h"

/*
 * The secret canary (tests/canary/run, docs/canary.md) scans everything
 * the CLI, the scripts and the PowerShell module printed or wrote for the
 * secrets in play.  It can only look for values it knows: with
 * --secrets-log FILE the emulator appends each one, "KIND<TAB>VALUE\n",
 * when it comes to hold it (the seed's client secrets, storage account
 * keys and workspace tokens, the managed identity header) or makes it
 * (the signature of each token it issues, each key it generates for a web
 * service or an endpoint).  The file is created 0600 and only appended
 * to, one write() per line, so that several emulators share one file.
 * One log per process, opened before the services are made and closed
 * after they are freed; without it every call here does nothing.
 */

/**
 * Open (create 0600, or append to) the secrets log at @p path.
 *
 * @return AMLR_OK; AMLR_EIO when the file cannot be opened
 * Ownership: the log is the process's until emu_secrets_log_close().
 */
amlr_code emu_secrets_log_open(amlr_error *err, const char *path);

/** Close the log, if open; later records are dropped. */
void emu_secrets_log_close(void);

/**
 * Append one secret of kind @p kind ("client-secret", "account-key", ...)
 * to the log, if open.  Values that are NULL or empty, or that hold a tab
 * or a line break, are skipped; a failed write is ignored (the canary
 * then misses a value, it does not stop the emulator).
 * Ownership: both strings borrowed for the call.
 */
void emu_secrets_log_record(const char *kind, const char *value);

#endif
