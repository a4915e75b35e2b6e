/* SPDX-License-Identifier: MIT */
/* Atomic writes: all or nothing, even when the disk fills mid-way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "amlr/fileio.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/amlr-unit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/definition.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char p[512];
	DIR *d = opendir(f->dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void assert_content(const char *path, const char *want)
{
	amlr_buf b = AMLR_BUF_INIT;

	assert_int_equal(amlr_file_read(&b, NULL, path, 0), AMLR_OK);
	assert_string_equal(b.ptr ? b.ptr : "", want);
	amlr_buf_release(&b);
}

static void test_fileio__write_creates_with_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(amlr_file_write_atomic(NULL, f->path, "{}", 2, 0600),
			 AMLR_OK);
	assert_content(f->path, "{}");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(entries(f->dir), 1);
}

static void test_fileio__write_replaces(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(amlr_file_write_atomic(NULL, f->path, "old", 3, 0644),
			 AMLR_OK);
	assert_int_equal(amlr_file_write_atomic(NULL, f->path, "new", 3, 0644),
			 AMLR_OK);
	assert_content(f->path, "new");
	assert_int_equal(entries(f->dir), 1);
}

static void test_fileio__full_disk_keeps_old_file(void **state)
{
	struct fixture *f = *state;
	amlr_error err = AMLR_ERROR_INIT;
	struct rlimit saved, small;
	size_t len = 256 * 1024;
	char *big = malloc(len);

	assert_non_null(big);
	memset(big, 'x', len);
	assert_int_equal(amlr_file_write_atomic(NULL, f->path, "old", 3, 0644),
			 AMLR_OK);
	/* A file-size limit makes write() fail part-way, as a full disk
	 * does, and works for root too (unlike a read-only directory). */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(amlr_file_write_atomic(&err, f->path, big, len, 0644),
			 AMLR_EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(err.code, AMLR_EIO);
	assert_non_null(strstr(err.message, "cannot write"));
	assert_content(f->path, "old");
	assert_int_equal(entries(f->dir), 1); /* no temporary file left */
	free(big);
}

static void test_fileio__missing_directory(void **state)
{
	struct fixture *f = *state;
	amlr_error err = AMLR_ERROR_INIT;
	char path[256];

	snprintf(path, sizeof(path), "%s/no/such/dir/file", f->dir);
	assert_int_equal(amlr_file_write_atomic(&err, path, "x", 1, 0644),
			 AMLR_EIO);
	assert_non_null(strstr(err.message, "cannot create"));
	assert_int_equal(entries(f->dir), 0);
}

static void test_fileio__abandon_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	amlr_afile *af = NULL;

	assert_int_equal(amlr_file_write_atomic(NULL, f->path, "old", 3, 0644),
			 AMLR_OK);
	assert_int_equal(amlr_afile_open(&af, NULL, f->path, 0644), AMLR_OK);
	assert_int_equal(amlr_afile_write(af, NULL, "partial", 7), AMLR_OK);
	assert_int_equal(entries(f->dir), 2);
	amlr_afile_free(af); /* e.g. the download failed */
	assert_content(f->path, "old");
	assert_int_equal(entries(f->dir), 1);
	amlr_afile_free(NULL);
}

static void test_fileio__read_limits(void **state)
{
	struct fixture *f = *state;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf b = AMLR_BUF_INIT;

	assert_int_equal(amlr_file_read(&b, &err, f->path, 0), AMLR_EIO);
	assert_non_null(strstr(err.message, "cannot open"));
	assert_int_equal(
		amlr_file_write_atomic(NULL, f->path, "0123456789", 10, 0644),
		AMLR_OK);
	assert_int_equal(amlr_file_read(&b, &err, f->path, 5), AMLR_EIO);
	assert_non_null(strstr(err.message, "larger than"));
	amlr_buf_release(&b);
	assert_int_equal(amlr_file_read(&b, &err, f->path, 10), AMLR_OK);
	assert_int_equal(b.len, 10);
	amlr_buf_release(&b);
}

static amlr_code collect(const void *data, size_t n, void *payload)
{
	return amlr_buf_put(payload, data, n);
}

/* An interrupted write of the same version continues; another restarts. */
static void test_fileio__resumable(void **state)
{
	struct fixture *f = *state;
	amlr_buf back = AMLR_BUF_INIT;
	amlr_afile *a = NULL;
	uint64_t have = 99;

	assert_int_equal(amlr_afile_open_resumable(&a, NULL, f->path, 0600,
						   "etag1 10", &have),
			 AMLR_OK);
	assert_int_equal(have, 0);
	assert_int_equal(amlr_afile_write(a, NULL, "01234", 5), AMLR_OK);
	amlr_afile_keep(a); /* a network failure: keep what came */
	amlr_afile_free(a);
	assert_int_equal(entries(f->dir), 2); /* .partial, .partial.version */

	assert_int_equal(amlr_afile_open_resumable(&a, NULL, f->path, 0600,
						   "etag1 10", &have),
			 AMLR_OK);
	assert_int_equal(have, 5);
	assert_int_equal(amlr_afile_reread(a, NULL, have, collect, &back),
			 AMLR_OK);
	assert_int_equal(back.len, 5);
	assert_memory_equal(back.ptr, "01234", 5);
	assert_int_equal(amlr_afile_write(a, NULL, "56789", 5), AMLR_OK);
	assert_int_equal(amlr_afile_commit(a, NULL), AMLR_OK);
	amlr_afile_free(a);
	assert_content(f->path, "0123456789");
	assert_int_equal(entries(f->dir), 1); /* the target alone */

	/* another version: a fresh start; given up: nothing left */
	assert_int_equal(amlr_afile_open_resumable(&a, NULL, f->path, 0600,
						   "etag1 10", &have),
			 AMLR_OK);
	assert_int_equal(amlr_afile_write(a, NULL, "xy", 2), AMLR_OK);
	amlr_afile_keep(a);
	amlr_afile_free(a);
	assert_int_equal(amlr_afile_open_resumable(&a, NULL, f->path, 0600,
						   "etag2 10", &have),
			 AMLR_OK);
	assert_int_equal(have, 0);
	amlr_afile_free(a);
	assert_int_equal(entries(f->dir), 1);
	assert_content(f->path, "0123456789");
	amlr_buf_release(&back);
}

static void test_fileio__invalid_name(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;

	(void)state;
	assert_int_equal(amlr_file_write_atomic(&err, "", "x", 1, 0644),
			 AMLR_EINVAL);
	assert_int_equal(amlr_file_write_atomic(&err, "/tmp/", "x", 1, 0644),
			 AMLR_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_fileio__write_creates_with_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio__write_replaces,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fileio__full_disk_keeps_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio__missing_directory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fileio__abandon_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio__read_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fileio__resumable, setup,
						teardown),
		cmocka_unit_test(test_fileio__invalid_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
