/* SPDX-License-Identifier: MIT */
/* Fuzz the emulator's requests: target decoding, routing, every handler. */
#include "fuzz.h"

#include <sys/stat.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/connstr.h"
#include "amlr/sas.h"
#include "amlr/secret.h"
#include "arm_store.h"
#include "bes_store.h"
#include "blob_store.h"
#include "classic_store.h"
#include "emu.h"
#include "faults.h"
#include "router.h"
#include "seed.h"
#include "throttle.h"
#include "tokens.h"

/*
 * An input is one HTTP request as text:
 *
 *	METHOD TARGET
 *	Name: value
 *	...
 *	<empty line>
 *	body
 *
 * "@NAME@" in the target, a header value or the body stands for a
 * credential the world made: the variables the emulator exports
 * (@AZURE_TENANT_ID@, @AMLR_TRAINING_API_KEY@, ...), @ARM_TOKEN@ and
 * @STORAGE_TOKEN@ (bearer tokens of the seed's first principal) and @SAS@
 * (an account SAS of devstoreaccount1), so that the fuzzer gets past
 * authentication.  The request goes through the throttle and the router,
 * as the server sends it; the world (the built-in seed's file
 * manifests/emulator/demo.json, state in memory) is made once and remade
 * every WORLD_RUNS inputs, so that what requests store does not grow
 * without bound.
 */

#define BASE_URL "http://127.0.0.1:10000"
#define WORLD_RUNS 20000
#define SUBST_MAX 48

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct emu_world world;
static struct emu_ctx ctx;
static unsigned long runs;
/* AMLR_FUZZ_TRACE=1: a line per request on stderr (seeds, reproducers). */
static int trace;

/* "@NAME@" and what it stands for. */
static struct {
	char *name;
	char *value;
} subst[SUBST_MAX];
static size_t nsubst;

static void add_subst(const char *name, size_t name_len, const char *value,
		      size_t value_len)
{
	FUZZ_CHECK(nsubst < SUBST_MAX);
	subst[nsubst].name = malloc(name_len + 3);
	FUZZ_CHECK(subst[nsubst].name != NULL);
	snprintf(subst[nsubst].name, name_len + 3, "@%.*s@", (int)name_len,
		 name);
	subst[nsubst].value = strndup(value, value_len);
	FUZZ_CHECK(subst[nsubst].value != NULL);
	nsubst++;
}

/* A URL of the emulator also as @NAME_PATH@: its path, for targets. */
static void add_path(const char *name, size_t name_len, const char *value,
		     size_t value_len)
{
	char path_name[64];
	size_t base = strlen(BASE_URL);

	if (value_len <= base || memcmp(value, BASE_URL, base) != 0 ||
	    value[base] != '/' || name_len + 6 > sizeof(path_name))
		return;
	snprintf(path_name, sizeof(path_name), "%.*s_PATH", (int)name_len,
		 name);
	add_subst(path_name, strlen(path_name), value + base, value_len - base);
}

/* The "export NAME='value'" lines of the services' exports. */
static void add_exports(const amlr_buf *env)
{
	const char *line = env->ptr, *end, *eq;

	while (line && *line) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (strncmp(line, "export ", 7) == 0 &&
		    (eq = memchr(line, '=', (size_t)(end - line))) &&
		    eq[1] == '\'' && end - eq >= 3 && end[-1] == '\'') {
			add_subst(line + 7, (size_t)(eq - line - 7), eq + 2,
				  (size_t)(end - eq - 3));
			add_path(line + 7, (size_t)(eq - line - 7), eq + 2,
				 (size_t)(end - eq - 3));
		}
		line = *end ? end + 1 : end;
	}
}

static void add_token(const char *name, const char *aud)
{
	const struct emu_seed_principal *p = &world.seed->principals[0];
	struct emu_token_claims in;
	char *jwt = NULL;

	memset(&in, 0, sizeof(in));
	snprintf(in.aud, sizeof(in.aud), "%s", aud);
	snprintf(in.iss, sizeof(in.iss), "%s/%s/", BASE_URL, p->tenant->id);
	snprintf(in.tid, sizeof(in.tid), "%s", p->tenant->id);
	snprintf(in.oid, sizeof(in.oid), "%s", p->object_id);
	snprintf(in.appid, sizeof(in.appid), "%s", p->client_id);
	snprintf(in.appidacr, sizeof(in.appidacr), "1");
	FUZZ_CHECK(emu_tokens_issue(&jwt, NULL, world.tokens, &in) == AMLR_OK);
	add_subst(name, strlen(name), jwt, strlen(jwt));
	amlr_secret_free(jwt);
}

static void add_sas(void)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	char *sas = NULL;

	v.permissions = "rwdlacup";
	v.expiry = "2099-01-01T00:00:00Z";
	v.services = "b";
	v.resource_types = "sco";
	FUZZ_CHECK(amlr_sas_account_new(&sas, &err, AMLR_DEV_ACCOUNT,
					AMLR_DEV_ACCOUNT_KEY, &v) == AMLR_OK);
	add_subst("SAS", 3, sas, strlen(sas));
	amlr_secret_free(sas);
}

/*
 * The built-in seed's file, found in any directory above the executable
 * (the emulator's own search stops a few levels up, and a fuzzing build
 * may be deeper); NULL: the emulator's search.
 */
static char seed_path[4096];

static const char *find_seed(void)
{
	static const char probe[] = "/manifests/emulator/demo.json";
	char exe[sizeof(seed_path) - sizeof(probe)], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	while ((slash = strrchr(exe, '/'))) {
		*slash = '\0';
		snprintf(seed_path, sizeof(seed_path), "%s%s", exe, probe);
		if (stat(seed_path, &st) == 0)
			return seed_path;
	}
	return NULL;
}

static void world_free(void)
{
	size_t i;

	emu_bes_free(world.bes);
	emu_classic_free(world.classic);
	emu_blob_free(world.blob);
	emu_arm_free(world.arm);
	emu_tokens_free(world.tokens);
	emu_seed_free(world.seed);
	emu_throttle_free(world.throttle);
	emu_faults_free(world.faults);
	memset(&world, 0, sizeof(world));
	for (i = 0; i < nsubst; i++) {
		free(subst[i].name);
		amlr_secret_free(subst[i].value);
	}
	nsubst = 0;
}

/* What main.c makes, in its order, with its defaults. */
static void world_new(void)
{
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf env = AMLR_BUF_INIT;

	memset(&world, 0, sizeof(world));
	world.cfg.provisioning_delay_ms = 0;
	world.cfg.token_lifetime_s = EMU_DEFAULT_TOKEN_LIFETIME_S;
	world.cfg.page_size = 3; /* pages reached with few items */
	world.cfg.arm_reads = EMU_DEFAULT_ARM_READS;
	world.cfg.arm_writes = EMU_DEFAULT_ARM_WRITES;
	world.cfg.fault_seed = 1;
	if (emu_faults_new(&world.faults, &err, &world.cfg) != AMLR_OK ||
	    emu_throttle_new(&world.throttle, &err, &world.cfg) != AMLR_OK ||
	    emu_seed_new(&world.seed, &err, find_seed()) != AMLR_OK ||
	    emu_tokens_new(&world.tokens, &err, &world.cfg) != AMLR_OK ||
	    emu_arm_new(&world.arm, &err, &world) != AMLR_OK ||
	    emu_blob_new(&world.blob, &err, NULL) != AMLR_OK ||
	    emu_classic_new(&world.classic, &err, &world) != AMLR_OK ||
	    emu_bes_new(&world.bes, &err, &world) != AMLR_OK ||
	    emu_bes_seed(world.bes, &err) != AMLR_OK) {
		fprintf(stderr, "fuzz_emulator: cannot make the world: %s\n",
			err.message);
		abort();
	}
	FUZZ_CHECK(world.seed->nprincipals > 0);
	FUZZ_CHECK(emu_identity_env(&env, &world, BASE_URL) == AMLR_OK &&
		   emu_blob_env(&env, &world, BASE_URL) == AMLR_OK &&
		   emu_bes_env(&env, world.bes, BASE_URL) == AMLR_OK &&
		   emu_classic_env(&env, world.classic, BASE_URL) == AMLR_OK);
	add_exports(&env);
	amlr_buf_release_secret(&env);
	add_token("ARM_TOKEN", "https://management.azure.com/");
	add_token("STORAGE_TOKEN", "https://storage.azure.com/");
	add_sas();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx.base_url = BASE_URL;
	ctx.state_dir = NULL;
	ctx.world = &world;
	trace = getenv("AMLR_FUZZ_TRACE") != NULL;
	world_new();
	atexit(world_free);
	return 0;
}

/*
 * @p text with every "@NAME@" replaced, NUL-terminated, its length in
 * *len_out (NUL bytes of the input kept); NULL without memory.
 */
static char *expand(size_t *len_out, const char *text, size_t len)
{
	amlr_buf out = AMLR_BUF_INIT;
	char *result = NULL;
	size_t i = 0, k, n;
	int hit;

	while (i < len) {
		hit = 0;
		for (k = 0; !hit && k < nsubst && text[i] == '@'; k++) {
			n = strlen(subst[k].name);
			if (n > len - i || memcmp(text + i, subst[k].name, n))
				continue;
			if (amlr_buf_puts(&out, subst[k].value) != AMLR_OK)
				goto done;
			i += n;
			hit = 1;
		}
		if (!hit && amlr_buf_put(&out, text + i++, 1) != AMLR_OK)
			goto done;
	}
	if (amlr_buf_put(&out, "", 0) != AMLR_OK)
		goto done;
	*len_out = out.len;
	result = amlr_buf_detach(&out);
done:
	amlr_buf_release(&out);
	return result;
}

/* Split at the next LF (a CR before it dropped): the line, NUL-ended. */
static char *next_line(char **cursor)
{
	char *line = *cursor, *nl = strchr(line, '\n');

	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	if (*line && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	return line;
}

/* What the server does with a request it has read (server.c, build()). */
static void serve(char *head, const char *body, size_t body_len)
{
	struct emu_req req;
	struct emu_resp resp = EMU_RESP_INIT;
	char *cursor = head, *line, *sp, *colon, *value;
	char header[64], hvalue[24];
	amlr_code rc;
	int admitted;

	line = next_line(&cursor);
	if (!(sp = strchr(line, ' ')) || sp == line)
		return;
	*sp = '\0';
	rc = emu_req_init(&req, line, sp + 1, &ctx);
	if (rc == AMLR_EFAIL)
		goto done;
	while (*cursor && *(line = next_line(&cursor))) {
		if (!(colon = strchr(line, ':')) || colon == line)
			continue;
		*colon = '\0';
		for (value = colon + 1; *value == ' '; value++)
			;
		if (emu_req_add_header(&req, line, value) != AMLR_OK)
			goto done;
	}
	req.body = body;
	req.body_len = body_len;
	if (rc != AMLR_OK) {
		FUZZ_CHECK(rc == AMLR_EINVAL);
		if (emu_resp_arm_error(&resp, 400, "BadRequest",
				       "the request target is not a valid "
				       "path") == AMLR_OK)
			(void)emu_router_finish(&resp, &req);
		goto done;
	}
	admitted =
		emu_throttle_admit(header, hvalue, world.throttle, &req, &resp);
	FUZZ_CHECK(admitted >= 0);
	if (!admitted)
		goto done;
	if (emu_router_dispatch(&resp, &req) != AMLR_OK)
		goto done;
	/* Every answer is complete: a status and the ids every one has. */
	FUZZ_CHECK(resp.status >= 100 && resp.status <= 599);
	FUZZ_CHECK(emu_resp_header(&resp, "x-ms-request-id") != NULL);
	if (trace)
		fprintf(stderr, "fuzz_emulator: %u for %s %s: %.*s\n",
			resp.status, req.method, req.raw_path,
			(int)(resp.body.len < 200 ? resp.body.len : 200),
			resp.body.ptr ? resp.body.ptr : "");
done:
	emu_resp_release(&resp);
	emu_req_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *split;
	char *head = NULL, *body = NULL;
	size_t head_len, body_len = 0, n;

	if (++runs % WORLD_RUNS == 0) {
		world_free();
		world_new();
	}
	/* The head ends at the first empty line; the body is the rest. */
	split = NULL;
	for (head_len = 0; head_len + 1 < size; head_len++)
		if (data[head_len] == '\n' &&
		    (data[head_len + 1] == '\n' ||
		     (data[head_len + 1] == '\r' && head_len + 2 < size &&
		      data[head_len + 2] == '\n'))) {
			split = (const char *)data + head_len + 1;
			break;
		}
	if (!split)
		head_len = size;
	if (!(head = expand(&n, (const char *)data, head_len)))
		return 0;
	if (split) {
		split += *split == '\r' ? 2 : 1;
		body = expand(&body_len, split,
			      size - (size_t)(split - (const char *)data));
		if (!body)
			goto done;
	}
	serve(head, body ? body : "", body_len);
done:
	free(head);
	free(body);
	return 0;
}
