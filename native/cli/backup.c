/* SPDX-License-Identifier: MIT */
/* Backup files: where they live, how they are named, written and read. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "amlr/definition.h"
#include "backup.h"
#include "out.h"

#define BACKUP_MAX ((size_t)256 << 20)

void cli_backup_release(struct cli_backup *b)
{
	free(b->subscription_id);
	free(b->resource_group);
	free(b->name);
	free(b->api_version);
	amlr_json_free(b->definition);
	memset(b, 0, sizeof(*b));
}

/* mkdir -p with mode 0700 for what it makes. */
static int make_dirs(struct cli_ctx *ctx, const char *path)
{
	char *p = strdup(path), *s;
	struct stat st;
	int rc = 0;

	if (!p)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	for (s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST) {
				rc = cli_failf(ctx, AMLR_EIO,
					       "cannot create '%s': %s", p,
					       strerror(errno));
				goto done;
			}
			*s = '/';
			continue;
		}
		break;
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		rc = cli_failf(ctx, AMLR_EIO, "cannot create '%s': %s", p,
			       strerror(errno));
		goto done;
	}
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = cli_failf(ctx, AMLR_EIO,
			       "backup directory '%s' is not a directory", p);
done:
	free(p);
	return rc;
}

int cli_backup_dir(char **out, struct cli_ctx *ctx, const char *arg)
{
	amlr_buf b = AMLR_BUF_INIT;
	const char *env = getenv("AMLR_BACKUP_DIR");
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int rc;

	*out = NULL;
	if (arg && *arg)
		rc = amlr_buf_puts(&b, arg);
	else if (env && *env)
		rc = amlr_buf_puts(&b, env);
	else if (state && *state == '/')
		rc = amlr_buf_printf(&b, "%s/amlretrain/backups", state);
	else if (home && *home)
		rc = amlr_buf_printf(&b, "%s/.local/state/amlretrain/backups",
				     home);
	else
		return cli_failf(
			ctx, AMLR_EIO,
			"no backup directory: set HOME, XDG_STATE_HOME or use --backup-dir");
	if (rc != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	if ((rc = make_dirs(ctx, b.ptr)) != 0) {
		amlr_buf_release(&b);
		return rc;
	}
	*out = amlr_buf_detach(&b);
	return 0;
}

/* A file-name part: [a-z0-9.-] kept (ARM names are case-insensitive),
 * everything else %XX, so that "_" separates parts without ambiguity. */
static amlr_code put_part(amlr_buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '.' || *p == '-') {
			char c = (char)tolower(*p);

			if (amlr_buf_put(b, &c, 1) != AMLR_OK)
				return AMLR_EFAIL;
		} else if (amlr_buf_printf(b, "%%%02X", *p) != AMLR_OK) {
			return AMLR_EFAIL;
		}
	}
	return AMLR_OK;
}

/* "part1_part2_..._": the file-name prefix of one object's backups. */
static amlr_code prefix_of(amlr_buf *b, const char *const *parts)
{
	for (; *parts; parts++)
		if (put_part(b, *parts) || amlr_buf_puts(b, "_"))
			return AMLR_EFAIL;
	return AMLR_OK;
}

void cli_backup_taken_at(char *out, size_t n)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cli_backup_save(char **path_out, struct cli_ctx *ctx, const char *dir,
		    const char *const *parts, const amlr_json *doc)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf path = AMLR_BUF_INIT, text = AMLR_BUF_INIT;
	struct timespec now;
	struct tm tm;
	struct stat st;
	char stamp[64];
	size_t base;
	int rc = 0, i;

	*path_out = NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d%02d%02dT%02d%02d%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(now.tv_nsec / 1000000));
	if (amlr_json_serialize(&text, doc, AMLR_JSON_PRETTY) ||
	    amlr_buf_puts(&text, "\n") || amlr_buf_printf(&path, "%s/", dir) ||
	    prefix_of(&path, parts) || amlr_buf_puts(&path, stamp)) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	/* Two changes in one millisecond keep both backups. */
	base = path.len;
	for (i = 1; lstat(path.ptr, &st) == 0 || errno != ENOENT; i++) {
		path.len = base;
		if (amlr_buf_printf(&path, "-%d", i) != AMLR_OK) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	if (amlr_buf_puts(&path, ".json") != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (amlr_file_write_atomic(&err, path.ptr, text.ptr, text.len, 0600) !=
	    AMLR_OK) {
		rc = cli_failf(ctx, err.code, "cannot write the backup: %s",
			       err.message);
		goto done;
	}
	*path_out = amlr_buf_detach(&path);
done:
	amlr_buf_release_secret(&text);
	amlr_buf_release(&path);
	return rc;
}

int cli_backup_write(char **path_out, struct cli_ctx *ctx, const char *dir,
		     const amlr_webservice_ref *ref, const amlr_json *ws)
{
	const char *parts[] = { ref->subscription_id, ref->resource_group,
				ref->name, NULL };
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *doc = NULL, *meta = NULL, *def = NULL;
	char taken[40];
	int rc = 0;

	*path_out = NULL;
	cli_backup_taken_at(taken, sizeof(taken));
	if (amlr_definition_normalize(&def, &err, ws) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_ESERVER,
			       "cannot back up the web service: %s",
			       err.message);
		goto done;
	}
	if (amlr_json_new_object(&doc) || amlr_json_new_object(&meta) ||
	    amlr_json_set_int(meta, "version", 1) ||
	    amlr_json_set_str(meta, "subscriptionId", ref->subscription_id) ||
	    amlr_json_set_str(meta, "resourceGroup", ref->resource_group) ||
	    amlr_json_set_str(meta, "name", ref->name) ||
	    amlr_json_set_str(meta, "apiVersion",
			      ref->api_version ? ref->api_version
					       : AMLR_WEBSERVICE_API_VERSION) ||
	    amlr_json_set_str(meta, "takenAt", taken) ||
	    amlr_json_set(doc, "amlretrainBackup", amlr_json_ref(meta)) ||
	    amlr_json_set(doc, "definition", amlr_json_ref(def))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	rc = cli_backup_save(path_out, ctx, dir, parts, doc);
done:
	amlr_json_free(def);
	amlr_json_free(meta);
	amlr_json_free(doc);
	return rc;
}

int cli_backup_newest(char **path_out, struct cli_ctx *ctx, const char *dir,
		      const char *const *parts, const char *what)
{
	amlr_buf prefix = AMLR_BUF_INIT;
	struct dirent *e;
	char *best = NULL;
	DIR *d = NULL;
	size_t n;
	int rc = 0;

	*path_out = NULL;
	if (prefix_of(&prefix, parts) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (!(d = opendir(dir))) {
		rc = cli_failf(ctx, AMLR_EIO, "cannot read '%s': %s", dir,
			       strerror(errno));
		goto done;
	}
	while ((e = readdir(d))) {
		n = strlen(e->d_name);
		/* The time stamp after the prefix sorts as text; a digit
		 * must follow, so that the prefix of one object never
		 * matches another with more parts. */
		if (strncmp(e->d_name, prefix.ptr, prefix.len) != 0 ||
		    !isdigit((unsigned char)e->d_name[prefix.len]) || n < 5 ||
		    strcmp(e->d_name + n - 5, ".json") != 0 ||
		    (best && strcmp(e->d_name, best) <= 0))
			continue;
		free(best);
		if (!(best = strdup(e->d_name))) {
			rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
			goto done;
		}
	}
	if (!best) {
		rc = cli_failf(ctx, AMLR_ENOTFOUND, "no backup of %s in '%s'",
			       what, dir);
		goto done;
	}
	prefix.len = 0;
	if (amlr_buf_printf(&prefix, "%s/%s", dir, best) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	*path_out = amlr_buf_detach(&prefix);
done:
	if (d)
		closedir(d);
	free(best);
	amlr_buf_release(&prefix);
	return rc;
}

int cli_backup_latest(char **path_out, struct cli_ctx *ctx, const char *dir,
		      const amlr_webservice_ref *ref)
{
	const char *parts[] = { ref->subscription_id, ref->resource_group,
				ref->name, NULL };
	amlr_buf what = AMLR_BUF_INIT;
	int rc;

	if (amlr_buf_printf(&what, "web service '%s'", ref->name) != AMLR_OK)
		return cli_failf(ctx, AMLR_EFAIL, "out of memory");
	rc = cli_backup_newest(path_out, ctx, dir, parts, what.ptr);
	amlr_buf_release(&what);
	return rc;
}

int cli_backup_load(amlr_json **out, struct cli_ctx *ctx, const char *path)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf text = AMLR_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (amlr_file_read(&text, &err, path, BACKUP_MAX) != AMLR_OK)
		rc = cli_fail(ctx, &err);
	else if (amlr_json_parse(out, &err, text.ptr ? text.ptr : "",
				 text.len) != AMLR_OK)
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: %s", path, err.message);
	amlr_buf_release_secret(&text);
	return rc;
}

static int take_str(char **out, const amlr_json *obj, const char *key)
{
	const char *s = amlr_json_get_str(obj, key);

	return s && *s && (*out = strdup(s)) ? 0 : -1;
}

int cli_backup_read(struct cli_backup *b, struct cli_ctx *ctx, const char *path)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *doc = NULL, *meta, *def;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	if ((rc = cli_backup_load(&doc, ctx, path)) != 0)
		goto done;
	meta = amlr_json_get(doc, "amlretrainBackup");
	def = amlr_json_get(doc, "definition");
	if (!meta || !def ||
	    take_str(&b->subscription_id, meta, "subscriptionId") ||
	    take_str(&b->resource_group, meta, "resourceGroup") ||
	    take_str(&b->name, meta, "name") ||
	    take_str(&b->api_version, meta, "apiVersion")) {
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: not an amlretrain backup",
			       path);
		goto done;
	}
	if (amlr_definition_normalize(&b->definition, &err, def) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EINVAL, "%s: definition.%s", path,
			       err.message);
		goto done;
	}
done:
	if (rc)
		cli_backup_release(b);
	amlr_json_free(doc);
	return rc;
}
