/* SPDX-License-Identifier: MIT */
/* Backups of a web service's definition, taken before every change. */
#ifndef CLI_BACKUP_H
#define CLI_BACKUP_H

#include "amlr/webservice.h"
#include "cmd.h"

/* A backup as read back: the web service it is of, and its definition. */
struct cli_backup {
	char *subscription_id;
	char *resource_group;
	char *name;
	char *api_version;
	amlr_json *definition;
};

#define CLI_BACKUP_INIT                      \
	{                                    \
		NULL, NULL, NULL, NULL, NULL \
	}

/*
 * The backup directory: @p arg (--backup-dir), else $AMLR_BACKUP_DIR,
 * else $XDG_STATE_HOME/amlretrain/backups, else
 * ~/.local/state/amlretrain/backups; made (0700) when missing.  Returns 0
 * or the exit code after printing the error.
 */
int cli_backup_dir(char **out, struct cli_ctx *ctx, const char *arg);

/*
 * Write a backup of @p ws (a GET reply) into @p dir: one 0600 file per
 * change, named after the web service and the time, written atomically.
 * Returns 0 or the exit code after printing the error.
 */
int cli_backup_write(char **path_out, struct cli_ctx *ctx, const char *dir,
		     const amlr_webservice_ref *ref, const amlr_json *ws);

/* The newest backup of @p ref in @p dir; exit 4 when there is none. */
int cli_backup_latest(char **path_out, struct cli_ctx *ctx, const char *dir,
		      const amlr_webservice_ref *ref);

/* Read a backup file.  Returns 0 or the exit code after the error. */
int cli_backup_read(struct cli_backup *out, struct cli_ctx *ctx,
		    const char *path);

void cli_backup_release(struct cli_backup *b);

/*
 * The generic layer under the web service backups above, for any kind of
 * object (classic endpoints too).  An object is named by its @p parts
 * (NULL-terminated, e.g. subscription, group, name): its backups are the
 * files "<parts joined by _>_<UTC time>.json" in the backup directory.
 */

/* "2026-01-01T00:00:00Z", now, for a backup's takenAt. */
void cli_backup_taken_at(char *out, size_t n);

/*
 * Write @p doc into @p dir as a new 0600 backup of the object @p parts
 * names, atomically.  Returns 0 or the exit code after printing the error.
 */
int cli_backup_save(char **path_out, struct cli_ctx *ctx, const char *dir,
		    const char *const *parts, const amlr_json *doc);

/*
 * The newest backup of the object @p parts names; exit 4 "no backup of
 * <what> in '<dir>'" when there is none.
 */
int cli_backup_newest(char **path_out, struct cli_ctx *ctx, const char *dir,
		      const char *const *parts, const char *what);

/* Read a backup file as JSON.  Returns 0 or the exit code after the
 * error (2 when it is not JSON). */
int cli_backup_load(amlr_json **out, struct cli_ctx *ctx, const char *path);

#endif
