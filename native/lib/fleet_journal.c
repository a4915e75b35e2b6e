/* SPDX-License-Identifier: MIT */
/* The fleet's journal: JSON lines appended one write(2) each, and replay. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/fileio.h"
#include "fleet_internal.h"

#define JOURNAL_MAX ((size_t)256 << 20)

/* Write all of @p data, through EINTR and short writes. */
static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

amlr_code amlr_fleet__journal_open(struct amlr_fleet__journal *j,
				   amlr_error *err, const char *path,
				   const char *header)
{
	amlr_buf line = AMLR_BUF_INIT;
	struct stat st;
	char last;
	amlr_code rc = AMLR_EIO;

	j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0 || fstat(j->fd, &st) != 0) {
		amlr_error_set(err, rc, "cannot open the state file '%s': %s",
			       path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		amlr_error_set(err, rc, "the state file '%s' is not a file",
			       path);
		goto done;
	}
	/* It holds no secret, but what a fleet did is nobody else's. */
	if ((st.st_mode & 07777) != 0600 && fchmod(j->fd, 0600) != 0) {
		amlr_error_set(err, rc, "cannot make '%s' private: %s", path,
			       strerror(errno));
		goto done;
	}
	if (st.st_size == 0) {
		if (amlr_buf_printf(&line, "%s\n", header) != AMLR_OK) {
			rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
			goto done;
		}
	} else if (pread(j->fd, &last, 1, st.st_size - 1) != 1) {
		amlr_error_set(err, rc, "cannot read the state file '%s': %s",
			       path, strerror(errno));
		goto done;
	} else if (last != '\n' && amlr_buf_puts(&line, "\n") != AMLR_OK) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (line.len && write_all(j->fd, line.ptr, line.len) != 0) {
		amlr_error_set(err, rc, "cannot write the state file '%s': %s",
			       path, strerror(errno));
		goto done;
	}
	rc = AMLR_OK;
done:
	if (rc != AMLR_OK)
		amlr_fleet__journal_close(j);
	amlr_buf_release(&line);
	return rc;
}

void amlr_fleet__journal_close(struct amlr_fleet__journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

amlr_code amlr_fleet__journal_append(struct amlr_fleet__journal *j,
				     amlr_error *err, const char *endpoint,
				     const char *phase, const char *job_id,
				     const char *model, amlr_code code,
				     const char *message, int sync)
{
	amlr_json *rec = NULL;
	amlr_buf line = AMLR_BUF_INIT;
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	amlr_code rc = AMLR_EFAIL;

	if (j->fd < 0)
		return AMLR_OK;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (amlr_json_new_object(&rec) != AMLR_OK ||
	    amlr_json_set_str(rec, "endpoint", endpoint) != AMLR_OK ||
	    amlr_json_set_str(rec, "phase", phase) != AMLR_OK ||
	    (job_id && amlr_json_set_str(rec, "jobId", job_id) != AMLR_OK) ||
	    (model && amlr_json_set_str(rec, "model", model) != AMLR_OK) ||
	    amlr_json_set_int(rec, "exitCode", code) != AMLR_OK ||
	    (message &&
	     amlr_json_set_str(rec, "message", message) != AMLR_OK) ||
	    amlr_json_set_str(rec, "time", when) != AMLR_OK ||
	    amlr_json_serialize(&line, rec, 0) != AMLR_OK ||
	    amlr_buf_puts(&line, "\n") != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	/* One write(2) of a whole line: O_APPEND keeps lines apart. */
	rc = AMLR_EIO;
	if (write_all(j->fd, line.ptr, line.len) != 0 ||
	    (sync && fdatasync(j->fd) != 0)) {
		amlr_error_set(err, rc, "cannot write the state file: %s",
			       strerror(errno));
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_buf_release(&line);
	amlr_json_free(rec);
	return rc;
}

/* A failure after which a new run starts the target over (a new job). */
static int restarts(int64_t code)
{
	return code == AMLR_EJOBFAILED || code == AMLR_ECANCELLED ||
	       code == AMLR_ETIMEOUT;
}

/* Fold record @p rec into @p entry, the view of its endpoint. */
static amlr_code fold(amlr_json *entry, const amlr_json *rec)
{
	const char *phase = amlr_json_get_str(rec, "phase");
	const char *job = amlr_json_get_str(rec, "jobId");
	const char *model = amlr_json_get_str(rec, "model");
	const char *msg = amlr_json_get_str(rec, "message");
	int64_t code = 0;
	int failed = strcmp(phase, FLEET_PHASE_FAILED) == 0;

	amlr_json_int(&code, amlr_json_get(rec, "exitCode"));
	if (amlr_json_set_str(entry, "phase", phase) != AMLR_OK ||
	    (job && amlr_json_set_str(entry, "jobId", job) != AMLR_OK) ||
	    (model && amlr_json_set_str(entry, "model", model) != AMLR_OK) ||
	    amlr_json_set_int(entry, "exitCode", code) != AMLR_OK ||
	    amlr_json_set_str(entry, "message", msg) != AMLR_OK ||
	    amlr_json_set_str(entry, "time", amlr_json_get_str(rec, "time")) !=
		    AMLR_OK)
		return AMLR_EFAIL;
	if (failed && !restarts(code))
		return AMLR_OK; /* go on from the last phase reached */
	if (failed)
		return amlr_json_set_str(entry, "resumeFrom", "start") !=
					       AMLR_OK ||
				       amlr_json_set_str(entry, "resumeJobId",
							 NULL) != AMLR_OK
			       ? AMLR_EFAIL
			       : AMLR_OK;
	if (amlr_json_set_str(entry, "resumeFrom", phase) != AMLR_OK ||
	    (job && amlr_json_set_str(entry, "resumeJobId", job) != AMLR_OK))
		return AMLR_EFAIL;
	return AMLR_OK;
}

/* A new entry of the view for @p endpoint. */
static amlr_code new_entry(amlr_json **out, const char *endpoint)
{
	*out = NULL;
	if (amlr_json_new_object(out) != AMLR_OK ||
	    amlr_json_set_str(*out, "endpoint", endpoint) != AMLR_OK ||
	    amlr_json_set_str(*out, "phase", NULL) != AMLR_OK ||
	    amlr_json_set_str(*out, "jobId", NULL) != AMLR_OK ||
	    amlr_json_set_str(*out, "model", NULL) != AMLR_OK ||
	    amlr_json_set_int(*out, "exitCode", 0) != AMLR_OK ||
	    amlr_json_set_str(*out, "message", NULL) != AMLR_OK ||
	    amlr_json_set_str(*out, "time", NULL) != AMLR_OK ||
	    amlr_json_set_str(*out, "resumeFrom", "start") != AMLR_OK ||
	    amlr_json_set_str(*out, "resumeJobId", NULL) != AMLR_OK) {
		amlr_json_free(*out);
		*out = NULL;
		return AMLR_EFAIL;
	}
	return AMLR_OK;
}

/* The view's entry for @p endpoint (a linear search: journals are read
 * once per run, and a fleet is a few thousand endpoints at most). */
static amlr_json *find_entry(const amlr_json *view, const char *endpoint)
{
	size_t i, n = amlr_json_len(view);
	const char *name;

	for (i = n; i-- > 0;) {
		name = amlr_json_get_str(amlr_json_at(view, i), "endpoint");
		if (name && strcmp(name, endpoint) == 0)
			return amlr_json_at(view, i);
	}
	return NULL;
}

amlr_code amlr_fleet__journal_load(amlr_json **out, amlr_json **header_out,
				   amlr_error *err, const char *path)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *view = NULL, *rec = NULL, *entry = NULL, *header = NULL;
	const char *line, *end, *name, *phase;
	struct stat st;
	amlr_code rc;

	*out = NULL;
	if (header_out)
		*header_out = NULL;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		rc = amlr_error_set(err, AMLR_ENOTFOUND,
				    "state file '%s' not found", path);
		goto done;
	}
	if ((rc = amlr_file_read(&text, err, path, JOURNAL_MAX)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (amlr_json_new_array(&view) != AMLR_OK)
		goto done;
	for (line = text.ptr; line && *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			break; /* torn: the write that was cut short */
		amlr_json_free(rec);
		rec = NULL;
		if (end == line ||
		    amlr_json_parse(&rec, NULL, line, (size_t)(end - line)) !=
			    AMLR_OK ||
		    amlr_json_type_of(rec) != AMLR_JSON_OBJECT)
			continue; /* torn earlier, then a newline was added */
		if (!header && amlr_json_get_str(rec, "fleet")) {
			header = rec;
			rec = NULL;
			continue;
		}
		name = amlr_json_get_str(rec, "endpoint");
		phase = amlr_json_get_str(rec, "phase");
		if (!name || !phase)
			continue;
		if (!(entry = find_entry(view, name))) {
			if (new_entry(&entry, name) != AMLR_OK ||
			    amlr_json_append(view, entry) != AMLR_OK)
				goto done;
		}
		if (fold(entry, rec) != AMLR_OK)
			goto done;
	}
	*out = view;
	view = NULL;
	if (header_out) {
		*header_out = header;
		header = NULL;
	}
	rc = AMLR_OK;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_json_free(rec);
	amlr_json_free(header);
	amlr_json_free(view);
	amlr_buf_release(&text);
	return rc;
}

amlr_code amlr_fleet_journal_read(amlr_json **out, amlr_json **header_out,
				  amlr_error *err, const char *path)
{
	return amlr_fleet__journal_load(out, header_out, err, path);
}

unsigned amlr_fleet_shard_of(const char *endpoint, unsigned n)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)endpoint; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return n ? (unsigned)(h % n) : 0;
}
