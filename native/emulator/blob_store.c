/* SPDX-License-Identifier: MIT */
/* The emulator's Blob Storage state: memory index, files under the state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "amlr/fileio.h"
#include "amlr/json.h"
#include "blob_store.h"
#include "seed.h"

#define PATH_SIZE 4096
#define FILE_ID_SIZE 33 /* 32 hex digits */

struct block {
	char *id; /* base64 block id; "" for a Put Blob's single block */
	char file[FILE_ID_SIZE];
	uint64_t size;
};

struct blob {
	char *name;
	struct emu_blob_info info;
	struct block *blocks;
	size_t nblocks;
};

/* The uncommitted blocks of one blob name. */
struct pending {
	char *name;
	struct block *blocks;
	size_t nblocks;
};

struct container {
	char *account;
	char *name;
	char dir[PATH_SIZE];
	struct emu_blob_info info;
	struct blob **blobs; /* sorted by name */
	size_t nblobs, cap;
	struct pending *pending;
	size_t npending;
};

struct emu_blob {
	pthread_mutex_t lock;
	char root[PATH_SIZE];
	int temporary;
	struct container **c;
	size_t nc;
	uint64_t last_etag;
};

/* --- small helpers ------------------------------------------------------ */

static amlr_code refuse(struct emu_blob_fail *fail, unsigned status,
			const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static amlr_code refuse(struct emu_blob_fail *fail, unsigned status,
			const char *code, const char *fmt, ...)
{
	va_list ap;

	fail->status = status;
	fail->code = code;
	va_start(ap, fmt);
	vsnprintf(fail->message, sizeof(fail->message), fmt, ap);
	va_end(ap);
	return status == 404   ? AMLR_ENOTFOUND
	       : status == 409 ? AMLR_ECONFLICT
	       : status == 412 ? AMLR_ECONFLICT
			       : AMLR_EINVAL;
}

static int pathf(char out[PATH_SIZE], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Format a path; 0, or -1 when it does not fit. */
static int pathf(char out[PATH_SIZE], const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_SIZE, fmt, ap);
	va_end(ap);
	return n < 0 || n >= PATH_SIZE ? -1 : 0;
}

static void hex_of(char *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The hex of a short name (accounts, containers: 63 bytes at most). */
static int hex_name(char out[130], const char *name)
{
	size_t n = strlen(name);

	if (n > 64)
		return -1;
	hex_of(out, (const unsigned char *)name, n);
	return 0;
}

static int unhex_name(char out[65], const char *hex)
{
	size_t n = strlen(hex), i;
	unsigned v;

	if (n % 2 || n / 2 > 64)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return strlen(out) == n / 2 ? 0 : -1;
}

static void sha_name(char out[65], const char *name)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(name, strlen(name), d, &n, EVP_sha256(), NULL);
	hex_of(out, d, n > 32 ? 32 : n);
}

static amlr_code new_file_id(char out[FILE_ID_SIZE])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return AMLR_EFAIL;
	hex_of(out, r, sizeof(r));
	return AMLR_OK;
}

/* A fresh ETag, unique and growing, and the time for Last-Modified. */
static void stamp(struct emu_blob *s, struct emu_blob_info *info, int created)
{
	struct timespec ts;
	uint64_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100u;
	if (t <= s->last_etag)
		t = s->last_etag + 1;
	s->last_etag = t;
	snprintf(info->etag, sizeof(info->etag), "\"0x%015llX\"",
		 (unsigned long long)(t & 0xFFFFFFFFFFFFFFFull));
	amlr_http_date(info->last_modified, ts.tv_sec);
	if (created)
		memcpy(info->created, info->last_modified,
		       sizeof(info->created));
}

static int mkdir_p(const char *path)
{
	char p[PATH_SIZE];
	char *s;

	if (pathf(p, "%s", path) != 0)
		return -1;
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '\0')
			return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
}

/* rm -r of a directory of ours (no symlinks followed). */
static void remove_tree(const char *path)
{
	char p[PATH_SIZE];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(path);

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (pathf(p, "%s/%s", path, e->d_name) != 0)
			continue;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static void data_path(char out[PATH_SIZE], const struct container *c,
		      const char *file)
{
	if (pathf(out, "%s/data/%s", c->dir, file) != 0)
		out[0] = '\0';
}

static void drop_data(const struct container *c, const struct block *b)
{
	char p[PATH_SIZE];

	if (!b->file[0])
		return;
	data_path(p, c, b->file);
	if (p[0])
		unlink(p);
}

static void blocks_free(struct block *b, size_t n)
{
	size_t i;

	for (i = 0; b && i < n; i++)
		free(b[i].id);
	free(b);
}

static void blob_free(struct blob *b)
{
	if (!b)
		return;
	free(b->name);
	blocks_free(b->blocks, b->nblocks);
	free(b);
}

static void container_free(struct container *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nblobs; i++)
		blob_free(c->blobs[i]);
	free(c->blobs);
	for (i = 0; i < c->npending; i++) {
		free(c->pending[i].name);
		blocks_free(c->pending[i].blocks, c->pending[i].nblocks);
	}
	free(c->pending);
	free(c->account);
	free(c->name);
	free(c);
}

static struct container *find_container(struct emu_blob *s, const char *account,
					const char *name)
{
	size_t i;

	for (i = 0; i < s->nc; i++)
		if (strcmp(s->c[i]->account, account) == 0 &&
		    strcmp(s->c[i]->name, name) == 0)
			return s->c[i];
	return NULL;
}

/* The index of the first blob whose name is >= @p name. */
static size_t lower_bound(const struct container *c, const char *name)
{
	size_t lo = 0, hi = c->nblobs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(c->blobs[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct blob *find_blob(const struct container *c, const char *name)
{
	size_t i = lower_bound(c, name);

	return i < c->nblobs && strcmp(c->blobs[i]->name, name) == 0
		       ? c->blobs[i]
		       : NULL;
}

static struct pending *find_pending(const struct container *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npending; i++)
		if (strcmp(c->pending[i].name, name) == 0)
			return &c->pending[i];
	return NULL;
}

/* --- persistence -------------------------------------------------------- */

static amlr_code write_json(const char *path, const amlr_json *doc)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_code rc;

	if ((rc = amlr_json_serialize(&text, doc, 0)) == AMLR_OK)
		rc = amlr_file_write_atomic(NULL, path, text.ptr, text.len,
					    0600);
	amlr_buf_release(&text);
	return rc;
}

static amlr_code info_to_json(amlr_json *o, const struct emu_blob_info *i)
{
	if (amlr_json_set_int(o, "size", (int64_t)i->size) != AMLR_OK ||
	    amlr_json_set_str(o, "etag", i->etag) != AMLR_OK ||
	    amlr_json_set_str(o, "lastModified", i->last_modified) != AMLR_OK ||
	    amlr_json_set_str(o, "created", i->created) != AMLR_OK ||
	    amlr_json_set_str(o, "contentType", i->content_type) != AMLR_OK ||
	    amlr_json_set_str(o, "contentMd5", i->md5) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void info_from_json(struct emu_blob_info *i, const amlr_json *o)
{
	int64_t v = 0;

	if (amlr_json_int(&v, amlr_json_get(o, "size")) && v >= 0)
		i->size = (uint64_t)v;
	copy_str(i->etag, sizeof(i->etag), amlr_json_get_str(o, "etag"));
	copy_str(i->last_modified, sizeof(i->last_modified),
		 amlr_json_get_str(o, "lastModified"));
	copy_str(i->created, sizeof(i->created),
		 amlr_json_get_str(o, "created"));
	copy_str(i->content_type, sizeof(i->content_type),
		 amlr_json_get_str(o, "contentType"));
	copy_str(i->md5, sizeof(i->md5), amlr_json_get_str(o, "contentMd5"));
}

static amlr_code save_container(const struct container *c)
{
	char p[PATH_SIZE];
	amlr_json *o = NULL;
	amlr_code rc = AMLR_EFAIL;

	if (pathf(p, "%s/container.json", c->dir) != 0)
		return AMLR_EIO;
	if (amlr_json_new_object(&o) == AMLR_OK &&
	    amlr_json_set_str(o, "account", c->account) == AMLR_OK &&
	    amlr_json_set_str(o, "name", c->name) == AMLR_OK &&
	    info_to_json(o, &c->info) == AMLR_OK)
		rc = write_json(p, o);
	amlr_json_free(o);
	return rc;
}

static amlr_code save_blob(const struct container *c, const struct blob *b)
{
	char p[PATH_SIZE], key[65];
	amlr_json *o = NULL, *arr = NULL, *e = NULL;
	size_t i;
	amlr_code rc = AMLR_EFAIL;

	sha_name(key, b->name);
	if (pathf(p, "%s/meta/%s.json", c->dir, key) != 0)
		return AMLR_EIO;
	if (amlr_json_new_object(&o) != AMLR_OK ||
	    amlr_json_set_str(o, "name", b->name) != AMLR_OK ||
	    info_to_json(o, &b->info) != AMLR_OK ||
	    amlr_json_new_array(&arr) != AMLR_OK)
		goto done;
	for (i = 0; i < b->nblocks; i++) {
		if (amlr_json_new_object(&e) != AMLR_OK ||
		    amlr_json_set_str(e, "id", b->blocks[i].id) != AMLR_OK ||
		    amlr_json_set_str(e, "file", b->blocks[i].file) !=
			    AMLR_OK ||
		    amlr_json_set_int(e, "size", (int64_t)b->blocks[i].size) !=
			    AMLR_OK ||
		    amlr_json_append(arr, e) != AMLR_OK) /* steals e */
			goto done;
		e = NULL;
	}
	if (amlr_json_set(o, "blocks", arr) != AMLR_OK) /* steals arr */
		goto done;
	arr = NULL;
	rc = write_json(p, o);
done:
	amlr_json_free(e);
	amlr_json_free(arr);
	amlr_json_free(o);
	return rc;
}

static void unlink_meta(const struct container *c, const char *name)
{
	char p[PATH_SIZE], key[65];

	sha_name(key, name);
	if (pathf(p, "%s/meta/%s.json", c->dir, key) == 0)
		unlink(p);
}

static amlr_code insert_blob(struct container *c, struct blob *b)
{
	size_t i = lower_bound(c, b->name);
	struct blob **p;

	if (c->nblobs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		if (!(p = realloc(c->blobs, cap * sizeof(*p))))
			return AMLR_EFAIL;
		c->blobs = p;
		c->cap = cap;
	}
	memmove(&c->blobs[i + 1], &c->blobs[i],
		(c->nblobs - i) * sizeof(*c->blobs));
	c->blobs[i] = b;
	c->nblobs++;
	return AMLR_OK;
}

static amlr_code load_blob(struct container *c, const char *path)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL, *arr, *e;
	struct blob *b = NULL;
	const char *name, *id, *file;
	int64_t v;
	size_t i, n;
	amlr_code rc = AMLR_EIO;

	if (amlr_file_read(&text, NULL, path, 1 << 26) != AMLR_OK ||
	    amlr_json_parse(&doc, NULL, text.ptr, text.len) != AMLR_OK ||
	    !(name = amlr_json_get_str(doc, "name")) ||
	    !(arr = amlr_json_get(doc, "blocks")))
		goto done;
	rc = AMLR_EFAIL;
	n = amlr_json_len(arr);
	if (!(b = calloc(1, sizeof(*b))) || !(b->name = strdup(name)) ||
	    !(b->blocks = calloc(n ? n : 1, sizeof(*b->blocks))))
		goto done;
	info_from_json(&b->info, doc);
	for (i = 0; i < n; i++) {
		e = amlr_json_at(arr, i);
		id = amlr_json_get_str(e, "id");
		file = amlr_json_get_str(e, "file");
		v = -1;
		if (!id || !file || strlen(file) != FILE_ID_SIZE - 1 ||
		    strspn(file, "0123456789abcdef") != FILE_ID_SIZE - 1 ||
		    !amlr_json_int(&v, amlr_json_get(e, "size")) || v < 0) {
			rc = AMLR_EIO;
			goto done;
		}
		if (!(b->blocks[i].id = strdup(id)))
			goto done;
		memcpy(b->blocks[i].file, file, FILE_ID_SIZE);
		b->blocks[i].size = (uint64_t)v;
		b->nblocks++;
	}
	if (find_blob(c, b->name)) {
		rc = AMLR_EIO;
		goto done;
	}
	if ((rc = insert_blob(c, b)) == AMLR_OK)
		b = NULL;
done:
	blob_free(b);
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return rc;
}

static int referenced(const struct container *c, const char *file)
{
	size_t i, j;

	for (i = 0; i < c->nblobs; i++)
		for (j = 0; j < c->blobs[i]->nblocks; j++)
			if (strcmp(c->blobs[i]->blocks[j].file, file) == 0)
				return 1;
	return 0;
}

/* Read meta/, then drop what nothing names in data/ (and stray temps). */
static amlr_code load_contents(struct container *c, amlr_error *err)
{
	char dir[PATH_SIZE], p[PATH_SIZE];
	struct dirent *e;
	DIR *d;
	size_t n;
	amlr_code rc;

	if (pathf(dir, "%s/meta", c->dir) != 0 || !(d = opendir(dir)))
		return amlr_error_set(err, AMLR_EIO, "cannot read '%s/meta'",
				      c->dir);
	while ((e = readdir(d))) {
		n = strlen(e->d_name);
		if (e->d_name[0] == '.' || pathf(p, "%s/%s", dir, e->d_name))
			continue;
		if (n != 69 || strcmp(e->d_name + 64, ".json") != 0) {
			unlink(p); /* a temporary file of an interrupted write
				    */
			continue;
		}
		if ((rc = load_blob(c, p)) != AMLR_OK) {
			closedir(d);
			return amlr_error_set(err, rc, "cannot load '%s'", p);
		}
	}
	closedir(d);
	if (pathf(dir, "%s/data", c->dir) != 0 || !(d = opendir(dir)))
		return amlr_error_set(err, AMLR_EIO, "cannot read '%s/data'",
				      c->dir);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !referenced(c, e->d_name) &&
		    pathf(p, "%s/%s", dir, e->d_name) == 0)
			unlink(p);
	closedir(d);
	return AMLR_OK;
}

static amlr_code add_container(struct emu_blob *s, struct container *c)
{
	struct container **p = realloc(s->c, (s->nc + 1) * sizeof(*p));

	if (!p)
		return AMLR_EFAIL;
	s->c = p;
	s->c[s->nc++] = c;
	return AMLR_OK;
}

static amlr_code load_container(struct emu_blob *s, amlr_error *err,
				const char *acct_hex, const char *cont_hex)
{
	char account[65], name[65], p[PATH_SIZE];
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	struct container *c = NULL;
	amlr_code rc = AMLR_EIO;

	if (unhex_name(account, acct_hex) || unhex_name(name, cont_hex))
		return AMLR_OK; /* not ours */
	if (!(c = calloc(1, sizeof(*c))) || !(c->account = strdup(account)) ||
	    !(c->name = strdup(name))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (pathf(c->dir, "%s/%s/%s", s->root, acct_hex, cont_hex) ||
	    pathf(p, "%s/container.json", c->dir)) {
		amlr_error_set(err, rc, "state path too long");
		goto done;
	}
	if (amlr_file_read(&text, NULL, p, 1 << 20) != AMLR_OK ||
	    amlr_json_parse(&doc, NULL, text.ptr, text.len) != AMLR_OK) {
		/* Created, then killed before container.json: not there. */
		remove_tree(c->dir);
		rc = AMLR_OK;
		goto done;
	}
	info_from_json(&c->info, doc);
	if ((rc = load_contents(c, err)) != AMLR_OK)
		goto done;
	if ((rc = add_container(s, c)) != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	c = NULL;
done:
	container_free(c);
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return rc;
}

static amlr_code load(struct emu_blob *s, amlr_error *err)
{
	char p[PATH_SIZE];
	struct dirent *a, *c;
	DIR *da = opendir(s->root), *dc;
	amlr_code rc = AMLR_OK;

	if (!da)
		return amlr_error_set(err, AMLR_EIO, "cannot read '%s': %s",
				      s->root, strerror(errno));
	while (rc == AMLR_OK && (a = readdir(da))) {
		if (a->d_name[0] == '.' ||
		    pathf(p, "%s/%s", s->root, a->d_name))
			continue;
		if (!(dc = opendir(p)))
			continue;
		while (rc == AMLR_OK && (c = readdir(dc)))
			if (c->d_name[0] != '.')
				rc = load_container(s, err, a->d_name,
						    c->d_name);
		closedir(dc);
	}
	closedir(da);
	return rc;
}

amlr_code emu_blob_new(struct emu_blob **out, amlr_error *err,
		       const char *state_dir)
{
	struct emu_blob *s = NULL;
	const char *tmp = getenv("TMPDIR");
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	pthread_mutex_init(&s->lock, NULL);
	rc = AMLR_EIO;
	if (state_dir) {
		if (pathf(s->root, "%s/blob", state_dir) || mkdir_p(s->root)) {
			amlr_error_set(err, rc, "cannot create '%s/blob': %s",
				       state_dir, strerror(errno));
			goto done;
		}
	} else {
		if (pathf(s->root, "%s/amlr-emu-blob-XXXXXX",
			  tmp && *tmp ? tmp : "/tmp") ||
		    !mkdtemp(s->root)) {
			amlr_error_set(
				err, rc,
				"cannot create a temporary directory: %s",
				strerror(errno));
			s->root[0] = '\0';
			goto done;
		}
		s->temporary = 1;
	}
	if ((rc = load(s, err)) != AMLR_OK)
		goto done;
	*out = s;
	s = NULL;
done:
	emu_blob_free(s);
	return rc;
}

void emu_blob_free(struct emu_blob *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nc; i++)
		container_free(s->c[i]);
	free(s->c);
	if (s->temporary && s->root[0])
		remove_tree(s->root);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

amlr_code emu_blob_env(amlr_buf *out, const struct emu_world *world,
		       const char *url)
{
	const struct emu_seed_storage *a;

	if (!world->seed || !world->seed->nstorage)
		return AMLR_OK;
	a = emu_seed_storage(world->seed, "devstoreaccount1");
	if (!a)
		a = &world->seed->storage[0];
	return amlr_buf_printf(
		out,
		"export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=%s;AccountName=%s;AccountKey=%s;BlobEndpoint=%s/%s;'\n",
		strncmp(url, "https:", 6) == 0 ? "https" : "http", a->name,
		a->key, url, a->name);
}

/* --- containers --------------------------------------------------------- */

amlr_code emu_blob_container_create(struct emu_blob *s,
				    struct emu_blob_fail *fail,
				    const char *account, const char *container,
				    struct emu_blob_info *out)
{
	char ah[130], ch[130], p[PATH_SIZE];
	struct container *c = NULL;
	amlr_code rc = AMLR_EFAIL;

	pthread_mutex_lock(&s->lock);
	if (find_container(s, account, container)) {
		rc = refuse(fail, 409, "ContainerAlreadyExists",
			    "The specified container already exists.");
		goto done;
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->account = strdup(account)) ||
	    !(c->name = strdup(container)))
		goto done;
	rc = AMLR_EIO;
	if (hex_name(ah, account) || hex_name(ch, container) ||
	    pathf(c->dir, "%s/%s/%s", s->root, ah, ch) ||
	    pathf(p, "%s/meta", c->dir) || mkdir_p(p) ||
	    pathf(p, "%s/data", c->dir) || mkdir_p(p))
		goto done;
	stamp(s, &c->info, 1);
	if ((rc = save_container(c)) != AMLR_OK) {
		remove_tree(c->dir);
		goto done;
	}
	if ((rc = add_container(s, c)) != AMLR_OK)
		goto done;
	*out = c->info;
	c = NULL;
	rc = AMLR_OK;
done:
	container_free(c);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

amlr_code emu_blob_container_delete(struct emu_blob *s,
				    struct emu_blob_fail *fail,
				    const char *account, const char *container)
{
	char p[PATH_SIZE];
	size_t i;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nc; i++)
		if (strcmp(s->c[i]->account, account) == 0 &&
		    strcmp(s->c[i]->name, container) == 0)
			break;
	if (i == s->nc) {
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
		goto done;
	}
	/* container.json first: a crash mid-way leaves no container. */
	if (pathf(p, "%s/container.json", s->c[i]->dir) == 0)
		unlink(p);
	remove_tree(s->c[i]->dir);
	container_free(s->c[i]);
	s->c[i] = s->c[--s->nc];
done:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

amlr_code emu_blob_container_get(struct emu_blob *s, struct emu_blob_fail *fail,
				 const char *account, const char *container,
				 struct emu_blob_info *out)
{
	struct container *c;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&s->lock);
	if (!(c = find_container(s, account, container)))
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
	else
		*out = c->info;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* --- writing blobs ------------------------------------------------------ */

/* Write @p data into a new data file of @p c, durably; outside the lock. */
static amlr_code write_data(char file[FILE_ID_SIZE], const char *dir,
			    const void *data, size_t len)
{
	char p[PATH_SIZE];
	size_t done = 0;
	ssize_t w;
	int fd;
	amlr_code rc = AMLR_EIO;

	if (new_file_id(file) != AMLR_OK)
		return AMLR_EFAIL;
	if (pathf(p, "%s/data/%s", dir, file) ||
	    (fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return rc;
	while (done < len) {
		w = write(fd, (const char *)data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done == len && fdatasync(fd) == 0)
		rc = AMLR_OK;
	if (close(fd) != 0)
		rc = AMLR_EIO;
	if (rc != AMLR_OK)
		unlink(p);
	return rc;
}

static amlr_code md5_b64(char out[32], const void *data, size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, d, &n, EVP_md5(), NULL))
		return AMLR_EFAIL;
	EVP_EncodeBlock((unsigned char *)out, d, (int)n);
	return AMLR_OK;
}

static amlr_code check_cond(struct emu_blob_fail *fail, const struct blob *b,
			    const struct emu_blob_cond *cond, int write)
{
	if (!cond)
		return AMLR_OK;
	if (cond->if_match && (!b || (strcmp(cond->if_match, "*") != 0 &&
				      strcmp(cond->if_match, b->info.etag))))
		return refuse(
			fail, 412, "ConditionNotMet",
			"The condition specified using HTTP conditional header(s) is not met.");
	if (cond->if_none_match && b &&
	    (strcmp(cond->if_none_match, "*") == 0 ||
	     strcmp(cond->if_none_match, b->info.etag) == 0))
		return write ? refuse(fail, 409, "BlobAlreadyExists",
				      "The specified blob already exists.")
			     : refuse(fail, 304, "ConditionNotMet",
				      "The condition specified using HTTP conditional header(s) is not met.");
	return AMLR_OK;
}

/*
 * Make @p nb (its blocks set) the committed blob @p name: write its
 * metadata, then drop the blocks of the blob it replaces that it does
 * not reuse.  Called with the lock held; takes @p nb either way.
 */
static amlr_code commit(struct emu_blob *s, struct container *c,
			struct blob *nb, struct emu_blob_info *out)
{
	struct blob *old = find_blob(c, nb->name);
	size_t i, j;
	int kept;
	amlr_code rc;

	if ((rc = save_blob(c, nb)) != AMLR_OK) {
		blob_free(nb);
		return rc;
	}
	if (old) {
		for (i = 0; i < old->nblocks; i++) {
			for (kept = 0, j = 0; j < nb->nblocks && !kept; j++)
				kept = strcmp(old->blocks[i].file,
					      nb->blocks[j].file) == 0;
			if (!kept)
				drop_data(c, &old->blocks[i]);
		}
		blocks_free(old->blocks, old->nblocks);
		old->blocks = nb->blocks;
		old->nblocks = nb->nblocks;
		old->info = nb->info;
		nb->blocks = NULL;
		nb->nblocks = 0;
		blob_free(nb);
		nb = old;
	} else if ((rc = insert_blob(c, nb)) != AMLR_OK) {
		unlink_meta(c, nb->name);
		blob_free(nb);
		return rc;
	}
	(void)s;
	*out = nb->info;
	return AMLR_OK;
}

/* Forget the uncommitted blocks of @p name (their files unless kept). */
static void drop_pending(struct container *c, const char *name,
			 const struct blob *keep)
{
	struct pending *p = find_pending(c, name);
	size_t i, j;
	int kept;

	if (!p)
		return;
	for (i = 0; i < p->nblocks; i++) {
		for (kept = 0, j = 0; keep && j < keep->nblocks && !kept; j++)
			kept = strcmp(p->blocks[i].file,
				      keep->blocks[j].file) == 0;
		if (!kept)
			drop_data(c, &p->blocks[i]);
	}
	blocks_free(p->blocks, p->nblocks);
	free(p->name);
	*p = c->pending[--c->npending];
}

/* Copy the container's directory under the lock (it may go away). */
static amlr_code container_dir(struct emu_blob *s, struct emu_blob_fail *fail,
			       const char *account, const char *container,
			       char dir[PATH_SIZE])
{
	struct container *c;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&s->lock);
	if (!(c = find_container(s, account, container)))
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
	else
		memcpy(dir, c->dir, PATH_SIZE);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The container again after writing outside the lock, same directory. */
static struct container *relock(struct emu_blob *s, struct emu_blob_fail *fail,
				const char *account, const char *container,
				const char *dir, amlr_code *rc)
{
	struct container *c;

	pthread_mutex_lock(&s->lock);
	c = find_container(s, account, container);
	if (!c || strcmp(c->dir, dir) != 0) {
		*rc = refuse(fail, 404, "ContainerNotFound",
			     "The specified container does not exist.");
		return NULL;
	}
	return c;
}

amlr_code emu_blob_put(struct emu_blob *s, struct emu_blob_fail *fail,
		       const char *account, const char *container,
		       const char *name, const void *data, size_t len,
		       const char *content_type, const char *md5,
		       const struct emu_blob_cond *cond,
		       struct emu_blob_info *out)
{
	char dir[PATH_SIZE], file[FILE_ID_SIZE], p[PATH_SIZE];
	struct container *c;
	struct blob *nb = NULL;
	amlr_code rc;

	if ((rc = container_dir(s, fail, account, container, dir)) != AMLR_OK)
		return rc;
	if ((rc = write_data(file, dir, data, len)) != AMLR_OK)
		return rc;
	if (!(c = relock(s, fail, account, container, dir, &rc)))
		goto fail_unlocked;
	if ((rc = check_cond(fail, find_blob(c, name), cond, 1)) != AMLR_OK)
		goto fail_locked;
	rc = AMLR_EFAIL;
	if (!(nb = calloc(1, sizeof(*nb))) || !(nb->name = strdup(name)) ||
	    !(nb->blocks = calloc(1, sizeof(*nb->blocks))) ||
	    !(nb->blocks[0].id = strdup("")))
		goto fail_locked;
	nb->nblocks = 1;
	memcpy(nb->blocks[0].file, file, FILE_ID_SIZE);
	nb->blocks[0].size = len;
	nb->info.size = len;
	copy_str(nb->info.content_type, sizeof(nb->info.content_type),
		 content_type);
	if (md5)
		copy_str(nb->info.md5, sizeof(nb->info.md5), md5);
	else if (md5_b64(nb->info.md5, data, len) != AMLR_OK)
		goto fail_locked;
	stamp(s, &nb->info, !find_blob(c, name));
	if (find_blob(c, name))
		memcpy(nb->info.created, find_blob(c, name)->info.created,
		       sizeof(nb->info.created));
	rc = commit(s, c, nb, out); /* takes nb */
	nb = NULL;
	if (rc == AMLR_OK)
		drop_pending(c, name, NULL);
	else if (pathf(p, "%s/data/%s", dir, file) == 0)
		unlink(p);
	pthread_mutex_unlock(&s->lock);
	return rc;
fail_locked:
	blob_free(nb);
	pthread_mutex_unlock(&s->lock);
fail_unlocked:
	if (pathf(p, "%s/data/%s", dir, file) == 0)
		unlink(p);
	return rc;
}

static int block_id_valid(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n % 4 || n > 88)
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      (c == '=' && i >= n - 2)))
			return 0;
	}
	return 1;
}

amlr_code emu_blob_put_block(struct emu_blob *s, struct emu_blob_fail *fail,
			     const char *account, const char *container,
			     const char *name, const char *block_id,
			     const void *data, size_t len)
{
	char dir[PATH_SIZE], file[FILE_ID_SIZE], p[PATH_SIZE];
	struct container *c;
	struct pending *pd, *np;
	struct block *nbk;
	size_t i;
	amlr_code rc;

	if (!block_id_valid(block_id))
		return refuse(
			fail, 400, "InvalidQueryParameterValue",
			"Value for one of the query parameters specified in the request URI is invalid.");
	if ((rc = container_dir(s, fail, account, container, dir)) != AMLR_OK)
		return rc;
	if ((rc = write_data(file, dir, data, len)) != AMLR_OK)
		return rc;
	if (!(c = relock(s, fail, account, container, dir, &rc)))
		goto fail_unlocked;
	rc = AMLR_EFAIL;
	if (!(pd = find_pending(c, name))) {
		if (!(np = realloc(c->pending,
				   (c->npending + 1) * sizeof(*np))))
			goto fail_locked;
		c->pending = np;
		pd = &c->pending[c->npending];
		memset(pd, 0, sizeof(*pd));
		if (!(pd->name = strdup(name)))
			goto fail_locked;
		c->npending++;
	}
	for (i = 0; i < pd->nblocks; i++)
		if (strcmp(pd->blocks[i].id, block_id) == 0)
			break;
	if (i < pd->nblocks) {
		/* Same id again: the newer data replaces the older. */
		drop_data(c, &pd->blocks[i]);
		memcpy(pd->blocks[i].file, file, FILE_ID_SIZE);
		pd->blocks[i].size = len;
	} else {
		if (!(nbk = realloc(pd->blocks,
				    (pd->nblocks + 1) * sizeof(*nbk))))
			goto fail_locked;
		pd->blocks = nbk;
		if (!(nbk[pd->nblocks].id = strdup(block_id)))
			goto fail_locked;
		memcpy(nbk[pd->nblocks].file, file, FILE_ID_SIZE);
		nbk[pd->nblocks].size = len;
		pd->nblocks++;
	}
	pthread_mutex_unlock(&s->lock);
	return AMLR_OK;
fail_locked:
	pthread_mutex_unlock(&s->lock);
fail_unlocked:
	if (pathf(p, "%s/data/%s", dir, file) == 0)
		unlink(p);
	return rc;
}

/* Resolve one <Latest>/<Committed>/<Uncommitted> entry into @p out. */
static int resolve_block(struct block *out, const struct blob *old,
			 const struct pending *pd, const char *kind,
			 const char *id)
{
	const struct block *found = NULL;
	size_t i;

	if (pd && strcmp(kind, "Committed") != 0)
		for (i = 0; i < pd->nblocks && !found; i++)
			if (strcmp(pd->blocks[i].id, id) == 0)
				found = &pd->blocks[i];
	if (!found && old && strcmp(kind, "Uncommitted") != 0)
		for (i = 0; i < old->nblocks && !found; i++)
			if (strcmp(old->blocks[i].id, id) == 0)
				found = &old->blocks[i];
	if (!found)
		return -1;
	memcpy(out->file, found->file, FILE_ID_SIZE);
	out->size = found->size;
	return (out->id = strdup(id)) ? 0 : -2;
}

amlr_code emu_blob_put_block_list(struct emu_blob *s,
				  struct emu_blob_fail *fail,
				  const char *account, const char *container,
				  const char *name, const char *xml, size_t len,
				  const char *content_type, const char *md5,
				  const struct emu_blob_cond *cond,
				  struct emu_blob_info *out)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *n;
	xmlChar *text;
	struct container *c;
	struct blob *nb = NULL, *old;
	size_t count = 0;
	int r;
	amlr_code rc;

	if (len > 0x7fffffff ||
	    !(doc = xmlReadMemory(xml, (int)len, NULL, NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR |
					  XML_PARSE_NOWARNING)) ||
	    !(root = xmlDocGetRootElement(doc)) ||
	    strcmp((const char *)root->name, "BlockList") != 0) {
		if (doc)
			xmlFreeDoc(doc);
		return refuse(fail, 400, "InvalidXmlDocument",
			      "XML specified is not syntactically valid.");
	}
	for (n = root->children; n; n = n->next)
		count += n->type == XML_ELEMENT_NODE;
	pthread_mutex_lock(&s->lock);
	if (!(c = find_container(s, account, container))) {
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
		goto done;
	}
	old = find_blob(c, name);
	if ((rc = check_cond(fail, old, cond, 1)) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (!(nb = calloc(1, sizeof(*nb))) || !(nb->name = strdup(name)) ||
	    !(nb->blocks = calloc(count ? count : 1, sizeof(*nb->blocks))))
		goto done;
	for (n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		text = xmlNodeGetContent(n);
		r = text && (strcmp((const char *)n->name, "Latest") == 0 ||
			     strcmp((const char *)n->name, "Committed") == 0 ||
			     strcmp((const char *)n->name, "Uncommitted") == 0)
			    ? resolve_block(&nb->blocks[nb->nblocks], old,
					    find_pending(c, name),
					    (const char *)n->name,
					    (const char *)text)
			    : -1;
		xmlFree(text);
		if (r == -2)
			goto done;
		if (r == -1) {
			rc = refuse(fail, 400, "InvalidBlockList",
				    "The specified block list is invalid.");
			goto done;
		}
		nb->info.size += nb->blocks[nb->nblocks].size;
		nb->nblocks++;
	}
	copy_str(nb->info.content_type, sizeof(nb->info.content_type),
		 content_type);
	copy_str(nb->info.md5, sizeof(nb->info.md5), md5);
	stamp(s, &nb->info, !old);
	if (old)
		memcpy(nb->info.created, old->info.created,
		       sizeof(nb->info.created));
	rc = commit(s, c, nb, out); /* takes nb */
	if (rc == AMLR_OK)
		drop_pending(c, name, find_blob(c, name));
	nb = NULL;
done:
	blob_free(nb);
	pthread_mutex_unlock(&s->lock);
	xmlFreeDoc(doc);
	return rc;
}

/* --- reading blobs ------------------------------------------------------ */

amlr_code emu_blob_read(struct emu_blob *s, struct emu_blob_fail *fail,
			const char *account, const char *container,
			const char *name, const struct emu_blob_cond *cond,
			const struct emu_blob_range *range,
			struct emu_blob_info *out, uint64_t *offset,
			uint64_t *len, amlr_buf *data)
{
	struct container *c;
	struct blob *b;
	int *fds = NULL;
	uint64_t *sizes = NULL, pos, first, last, want, skip, n;
	size_t nb = 0, i;
	char p[PATH_SIZE];
	ssize_t got;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&s->lock);
	if (!(c = find_container(s, account, container))) {
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
		goto unlock;
	}
	if (!(b = find_blob(c, name))) {
		rc = refuse(fail, 404, "BlobNotFound",
			    "The specified blob does not exist.");
		goto unlock;
	}
	if ((rc = check_cond(fail, b, cond, 0)) != AMLR_OK)
		goto unlock;
	*out = b->info;
	first = 0;
	last = b->info.size ? b->info.size - 1 : 0;
	if (range && range->given) {
		if (range->first >= b->info.size) {
			rc = refuse(
				fail, 416, "InvalidRange",
				"The range specified is invalid for the current size of the resource.");
			goto unlock;
		}
		first = range->first;
		if (range->last < last)
			last = range->last;
	}
	*offset = first;
	*len = b->info.size ? last - first + 1 : 0;
	if (!data || !*len)
		goto unlock;
	/* Open the blocks now: a concurrent overwrite may unlink them. */
	nb = b->nblocks;
	rc = AMLR_EFAIL;
	if (!(fds = calloc(nb, sizeof(*fds))) ||
	    !(sizes = calloc(nb, sizeof(*sizes))))
		goto unlock;
	for (i = 0; i < nb; i++)
		fds[i] = -1;
	rc = AMLR_EIO;
	for (i = 0, pos = 0; i < nb; pos += b->blocks[i].size, i++) {
		sizes[i] = b->blocks[i].size;
		if (pos + sizes[i] <= first || pos > last)
			continue;
		data_path(p, c, b->blocks[i].file);
		if (!p[0] || (fds[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			goto unlock;
	}
	rc = AMLR_OK;
unlock:
	pthread_mutex_unlock(&s->lock);
	if (rc != AMLR_OK || !fds)
		goto done;
	if (amlr_buf_grow(data, (size_t)*len) != AMLR_OK) {
		rc = AMLR_EFAIL;
		goto done;
	}
	for (i = 0, pos = 0; i < nb && rc == AMLR_OK; pos += sizes[i], i++) {
		if (fds[i] < 0)
			continue;
		skip = first > pos ? first - pos : 0;
		want = sizes[i] - skip;
		if (pos + sizes[i] - 1 > last)
			want -= pos + sizes[i] - 1 - last;
		for (n = 0; n < want;) {
			got = pread(fds[i], data->ptr + data->len,
				    (size_t)(want - n), (off_t)(skip + n));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				rc = AMLR_EIO;
				break;
			}
			n += (uint64_t)got;
			data->len += (size_t)got;
		}
	}
	data->ptr[data->len] = '\0';
done:
	for (i = 0; fds && i < nb; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(sizes);
	return rc;
}

amlr_code emu_blob_delete(struct emu_blob *s, struct emu_blob_fail *fail,
			  const char *account, const char *container,
			  const char *name)
{
	struct container *c;
	struct blob *b;
	size_t i, j;
	amlr_code rc = AMLR_OK;

	pthread_mutex_lock(&s->lock);
	if (!(c = find_container(s, account, container))) {
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
		goto done;
	}
	if (!(b = find_blob(c, name))) {
		rc = refuse(fail, 404, "BlobNotFound",
			    "The specified blob does not exist.");
		goto done;
	}
	unlink_meta(c, name); /* gone from here on, even after a crash */
	for (j = 0; j < b->nblocks; j++)
		drop_data(c, &b->blocks[j]);
	drop_pending(c, name, NULL);
	i = lower_bound(c, name);
	blob_free(c->blobs[i]);
	memmove(&c->blobs[i], &c->blobs[i + 1],
		(c->nblobs - i - 1) * sizeof(*c->blobs));
	c->nblobs--;
done:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* --- listing ------------------------------------------------------------ */

amlr_code emu_blob_xml_escape(amlr_buf *out, const char *s)
{
	const char *rep;
	char ch[2] = { 0, 0 };

	for (; *s; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			ch[0] = *s;
			rep = ch;
		}
		if (amlr_buf_puts(out, rep) != AMLR_OK)
			return AMLR_EFAIL;
	}
	return AMLR_OK;
}

static amlr_code put_blob_xml(amlr_buf *x, const struct blob *b)
{
	const struct emu_blob_info *i = &b->info;

	if (amlr_buf_puts(x, "<Blob><Name>") != AMLR_OK ||
	    emu_blob_xml_escape(x, b->name) != AMLR_OK ||
	    amlr_buf_printf(
		    x,
		    "</Name><Properties><Creation-Time>%s</Creation-Time><Last-Modified>%s</Last-Modified><Etag>%s</Etag><Content-Length>%llu</Content-Length><Content-Type>",
		    i->created, i->last_modified, i->etag,
		    (unsigned long long)i->size) != AMLR_OK ||
	    emu_blob_xml_escape(x, i->content_type) != AMLR_OK ||
	    amlr_buf_printf(
		    x,
		    "</Content-Type><Content-Encoding /><Content-Language /><Content-MD5>%s</Content-MD5><Cache-Control /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties></Blob>",
		    i->md5) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}

amlr_code emu_blob_list(struct emu_blob *s, struct emu_blob_fail *fail,
			const char *account, const char *container,
			const char *prefix, const char *delimiter,
			const char *marker, unsigned max, amlr_buf *xml,
			char **next)
{
	struct container *c;
	const char *name, *rest, *d;
	char *last_prefix = NULL, *item = NULL;
	size_t i, plen = prefix ? strlen(prefix) : 0, ilen;
	unsigned count = 0;
	amlr_code rc = AMLR_OK;

	*next = NULL;
	pthread_mutex_lock(&s->lock);
	if (!(c = find_container(s, account, container))) {
		rc = refuse(fail, 404, "ContainerNotFound",
			    "The specified container does not exist.");
		goto done;
	}
	for (i = lower_bound(c, marker && *marker ? marker : ""); i < c->nblobs;
	     i++) {
		name = c->blobs[i]->name;
		if (plen && strncmp(name, prefix, plen) != 0) {
			if (strcmp(name, prefix) > 0)
				break;
			continue;
		}
		rest = name + plen;
		d = delimiter && *delimiter ? strstr(rest, delimiter) : NULL;
		ilen = d ? (size_t)(d - name) + strlen(delimiter)
			 : strlen(name);
		if (d && last_prefix && strlen(last_prefix) == ilen &&
		    strncmp(last_prefix, name, ilen) == 0)
			continue;
		free(item);
		if (!(item = strndup(name, ilen))) {
			rc = AMLR_EFAIL;
			goto done;
		}
		if (count == max) {
			*next = item;
			item = NULL;
			break;
		}
		count++;
		if (d) {
			free(last_prefix);
			last_prefix = item;
			item = NULL;
			if (amlr_buf_puts(xml, "<BlobPrefix><Name>") !=
				    AMLR_OK ||
			    emu_blob_xml_escape(xml, last_prefix) != AMLR_OK ||
			    amlr_buf_puts(xml, "</Name></BlobPrefix>") !=
				    AMLR_OK) {
				rc = AMLR_EFAIL;
				goto done;
			}
		} else if (put_blob_xml(xml, c->blobs[i]) != AMLR_OK) {
			rc = AMLR_EFAIL;
			goto done;
		}
	}
done:
	pthread_mutex_unlock(&s->lock);
	free(item);
	free(last_prefix);
	return rc;
}
