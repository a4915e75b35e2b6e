/* SPDX-License-Identifier: MIT */
/* Whole-file reads and atomic writes (temp file, fsync, rename). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amlr/fileio.h"

struct amlr_afile {
	int fd; /* -1 once closed */
	char *path; /* the target */
	char *tmp; /* the temporary file, NULL once renamed or removed */
	char *version; /* resumable: the version file, NULL when gone */
	mode_t mode;
};

#define VERSION_MAX 1024

/* The directory part of @p path ("." when there is none); caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

amlr_code amlr_afile_open(amlr_afile **out, amlr_error *err, const char *path,
			  mode_t mode)
{
	amlr_afile *f = NULL;
	size_t n;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!path || !*path || path[strlen(path) - 1] == '/')
		return amlr_error_set(err, AMLR_EINVAL,
				      "invalid file name '%s'",
				      path ? path : "");
	if (!(f = calloc(1, sizeof(*f))))
		goto done;
	f->fd = -1;
	f->mode = mode;
	n = strlen(path) + sizeof(".tmp-XXXXXX");
	if (!(f->path = strdup(path)) || !(f->tmp = malloc(n)))
		goto done;
	snprintf(f->tmp, n, "%s.tmp-XXXXXX", path);
	if ((f->fd = mkstemp(f->tmp)) < 0) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot create '%s': %s",
				    path, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		goto done;
	}
	if (fchmod(f->fd, mode) != 0) {
		rc = amlr_error_set(err, AMLR_EIO,
				    "cannot set mode of '%s': %s", path,
				    strerror(errno));
		goto done;
	}
	*out = f;
	f = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_afile_free(f);
	return rc;
}

amlr_code amlr_afile_write(amlr_afile *f, amlr_error *err, const void *data,
			   size_t len)
{
	const char *p = data;
	ssize_t n;

	if (f->fd < 0)
		return amlr_error_set(err, AMLR_EIO, "'%s' is already closed",
				      f->path);
	while (len > 0) {
		n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return amlr_error_set(
				err, AMLR_EIO, "cannot write '%s': %s", f->path,
				n < 0 ? strerror(errno) : "no space left");
		p += n;
		len -= (size_t)n;
	}
	return AMLR_OK;
}

static void sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd;

	/* Best effort: some file systems refuse fsync on directories. */
	if (dir && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

amlr_code amlr_afile_commit(amlr_afile *f, amlr_error *err)
{
	amlr_code rc = AMLR_EIO;
	int fd = f->fd;

	f->fd = -1;
	if (fd < 0) {
		amlr_error_set(err, rc, "'%s' is already closed", f->path);
		goto done;
	}
	if (fsync(fd) != 0) {
		amlr_error_set(err, rc, "cannot sync '%s': %s", f->path,
			       strerror(errno));
		close(fd);
		goto done;
	}
	if (close(fd) != 0) {
		amlr_error_set(err, rc, "cannot write '%s': %s", f->path,
			       strerror(errno));
		goto done;
	}
	if (rename(f->tmp, f->path) != 0) {
		amlr_error_set(err, rc, "cannot replace '%s': %s", f->path,
			       strerror(errno));
		goto done;
	}
	free(f->tmp);
	f->tmp = NULL;
	sync_dir(f->path);
	if (f->version) {
		unlink(f->version);
		free(f->version);
		f->version = NULL;
	}
	rc = AMLR_OK;
done:
	if (f->tmp) {
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
	return rc;
}

void amlr_afile_free(amlr_afile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	if (f->version)
		unlink(f->version);
	free(f->tmp);
	free(f->version);
	free(f->path);
	free(f);
}

void amlr_afile_keep(amlr_afile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->tmp);
	free(f->version);
	f->tmp = NULL;
	f->version = NULL;
}

/* The version an earlier run recorded for @p path, or "" (no file). */
static void recorded_version(char *out, size_t size, const char *vpath)
{
	int fd = open(vpath, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

amlr_code amlr_afile_open_resumable(amlr_afile **out, amlr_error *err,
				    const char *path, mode_t mode,
				    const char *version, uint64_t *have)
{
	char before[VERSION_MAX + 2];
	amlr_afile *f = NULL;
	struct stat st;
	amlr_buf line = AMLR_BUF_INIT;
	int flags = O_RDWR | O_CREAT | O_CLOEXEC;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	*have = 0;
	if (!path || !*path || path[strlen(path) - 1] == '/')
		return amlr_error_set(err, AMLR_EINVAL,
				      "invalid file name '%s'",
				      path ? path : "");
	if (!version || strlen(version) > VERSION_MAX || strchr(version, '\n'))
		return amlr_error_set(err, AMLR_EINVAL, "invalid version");
	if (!(f = calloc(1, sizeof(*f))))
		goto done;
	f->fd = -1;
	f->mode = mode;
	if (!(f->path = strdup(path)) ||
	    amlr_buf_printf(&line, "%s.partial", path) != AMLR_OK ||
	    !(f->tmp = strdup(line.ptr)) ||
	    amlr_buf_puts(&line, ".version") != AMLR_OK ||
	    !(f->version = strdup(line.ptr)))
		goto done;
	recorded_version(before, sizeof(before), f->version);
	if (strcmp(before, version) != 0 || stat(f->tmp, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		flags |= O_TRUNC;
	else
		*have = (uint64_t)st.st_size;
	if ((f->fd = open(f->tmp, flags, mode)) < 0 ||
	    fchmod(f->fd, mode) != 0 ||
	    lseek(f->fd, (off_t)*have, SEEK_SET) < 0) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot create '%s': %s",
				    f->tmp, strerror(errno));
		*have = 0;
		goto done;
	}
	amlr_buf_clear(&line);
	if ((flags & O_TRUNC) &&
	    ((rc = amlr_buf_printf(&line, "%s\n", version)) != AMLR_OK ||
	     (rc = amlr_file_write_atomic(err, f->version, line.ptr, line.len,
					  0600)) != AMLR_OK))
		goto done;
	*out = f;
	f = NULL;
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_buf_release(&line);
	amlr_afile_free(f);
	return rc;
}

amlr_code amlr_afile_reread(amlr_afile *f, amlr_error *err, uint64_t len,
			    amlr_code (*cb)(const void *data, size_t n,
					    void *payload),
			    void *payload)
{
	char chunk[65536];
	uint64_t off = 0;
	ssize_t n;
	amlr_code rc;

	while (off < len) {
		n = pread(f->fd, chunk,
			  len - off < sizeof(chunk) ? (size_t)(len - off)
						    : sizeof(chunk),
			  (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return amlr_error_set(err, AMLR_EIO,
					      "cannot read '%s' back", f->tmp);
		if ((rc = cb(chunk, (size_t)n, payload)) != AMLR_OK)
			return rc;
		off += (uint64_t)n;
	}
	return AMLR_OK;
}

amlr_code amlr_file_write_atomic(amlr_error *err, const char *path,
				 const void *data, size_t len, mode_t mode)
{
	amlr_afile *f = NULL;
	amlr_code rc;

	if ((rc = amlr_afile_open(&f, err, path, mode)) != AMLR_OK)
		goto done;
	if ((rc = amlr_afile_write(f, err, data, len)) != AMLR_OK)
		goto done;
	rc = amlr_afile_commit(f, err);
done:
	amlr_afile_free(f);
	return rc;
}

amlr_code amlr_file_read(amlr_buf *out, amlr_error *err, const char *path,
			 size_t max)
{
	int fd = -1;
	ssize_t n;
	size_t total = 0;
	amlr_code rc = AMLR_EIO;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		amlr_error_set(err, rc, "cannot open '%s': %s", path,
			       strerror(errno));
		goto done;
	}
	for (;;) {
		if (amlr_buf_grow(out, 65536) != AMLR_OK) {
			rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
			goto done;
		}
		n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			amlr_error_set(err, rc, "cannot read '%s': %s", path,
				       strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		total += (size_t)n;
		if (max && total > max) {
			amlr_error_set(err, rc, "'%s' is larger than %zu bytes",
				       path, max);
			goto done;
		}
	}
	rc = AMLR_OK;
done:
	if (fd > STDIN_FILENO)
		close(fd);
	return rc;
}
