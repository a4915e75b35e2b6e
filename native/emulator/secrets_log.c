/* SPDX-License-Identifier: MIT */
/* --secrets-log FILE: every secret the emulator holds or issues (canary). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/secret.h"
#include "secrets_log.h"

/* Set once in main() before any thread starts; read-only afterwards. */
static int log_fd = -1;

amlr_code emu_secrets_log_open(amlr_error *err, const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return amlr_error_set(err, AMLR_EIO,
				      "cannot open secrets log '%s': %s", path,
				      strerror(errno));
	emu_secrets_log_close();
	log_fd = fd;
	return AMLR_OK;
}

void emu_secrets_log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void emu_secrets_log_record(const char *kind, const char *value)
{
	amlr_buf line = AMLR_BUF_INIT;
	ssize_t n;

	if (log_fd < 0 || !kind || !value || !*value ||
	    strpbrk(value, "\t\r\n"))
		return;
	if (amlr_buf_printf(&line, "%s\t%s\n", kind, value) != AMLR_OK)
		goto done;
	/* One write: O_APPEND keeps lines of several emulators whole. */
	do
		n = write(log_fd, line.ptr, line.len);
	while (n < 0 && errno == EINTR);
done:
	amlr_buf_release_secret(&line);
}
