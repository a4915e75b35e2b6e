/* SPDX-License-Identifier: MIT */
/* amlretrain-emulator: options, start-up, waiting for a signal, shutdown. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/fileio.h"
#include "arm_store.h"
#include "bes_store.h"
#include "blob_store.h"
#include "classic_store.h"
#include "emu.h"
#include "faults.h"
#include "router.h"
#include "secrets_log.h"
#include "seed.h"
#include "server.h"
#include "throttle.h"
#include "tokens.h"

#define PROG "amlretrain-emulator"
#define DEFAULT_LISTEN "127.0.0.1:0"

enum opt_id {
	OPT_LISTEN,
	OPT_ENV_FILE,
	OPT_PRINT_ENV,
	OPT_STATE_DIR,
	OPT_SEED,
	OPT_FAULTS,
	OPT_FAULT_SEED,
	OPT_LOG,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_MANAGED_IDENTITY,
	OPT_PROVISIONING_DELAY,
	OPT_TOKEN_LIFETIME,
	OPT_PAGE_SIZE,
	OPT_ARM_READS,
	OPT_ARM_WRITES,
	OPT_JOB_DELAY,
	OPT_SWAP_DELAY,
	OPT_EXECUTE_DELAY,
	OPT_CONCURRENCY_LIMIT,
	OPT_DEMO,
	OPT_SECRETS_LOG,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION
};

/* The options, as data: parsing and --help both read this table. */
static const struct opt_spec {
	enum opt_id id;
	char short_name; /* 0: none */
	const char *long_name;
	const char *arg; /* NULL: takes no value */
	const char *help;
} opt_specs[] = {
	{ OPT_LISTEN, 0, "listen", "HOST:PORT",
	  "serve on HOST:PORT (default " DEFAULT_LISTEN ")" },
	{ OPT_ENV_FILE, 0, "env-file", "FILE",
	  "write the AMLR_EMULATOR_* exports to FILE" },
	{ OPT_PRINT_ENV, 0, "print-env", NULL,
	  "print the same exports on standard output" },
	{ OPT_STATE_DIR, 0, "state", "DIR",
	  "keep the services' state in DIR (survives restarts)" },
	{ OPT_STATE_DIR, 0, "state-dir", "DIR", "the same as --state" },
	{ OPT_SEED, 0, "seed", "FILE",
	  "tenants, principals, subscriptions (default: built in)" },
	{ OPT_FAULTS, 0, "faults", "FILE", "inject the failures FILE lists" },
	{ OPT_FAULT_SEED, 0, "fault-seed", "N",
	  "seed of the random choice of rate faults (default 1)" },
	{ OPT_LOG, 0, "log", "FILE", "append an access log to FILE" },
	{ OPT_TLS_CERT, 0, "tls-cert", "FILE",
	  "serve https with this certificate (PEM)" },
	{ OPT_TLS_KEY, 0, "tls-key", "FILE", "the key of --tls-cert (PEM)" },
	{ OPT_MANAGED_IDENTITY, 0, "managed-identity", NULL,
	  "also export IDENTITY_ENDPOINT and IDENTITY_HEADER" },
	{ OPT_PROVISIONING_DELAY, 0, "provisioning-delay", "MS",
	  "time an operation stays in progress (default 500)" },
	{ OPT_TOKEN_LIFETIME, 0, "token-lifetime", "SECONDS",
	  "lifetime of issued tokens (default 3600)" },
	{ OPT_PAGE_SIZE, 0, "page-size", "N",
	  "items per page of a list (default 100)" },
	{ OPT_ARM_READS, 0, "arm-reads", "N",
	  "Resource Manager reads per subscription and hour (default 12000)" },
	{ OPT_ARM_WRITES, 0, "arm-writes", "N",
	  "Resource Manager writes per subscription and hour (default 1200)" },
	{ OPT_JOB_DELAY, 0, "job-delay", "MS",
	  "time a started batch job waits before it runs (default 0)" },
	{ OPT_SWAP_DELAY, 0, "swap-delay", "MS",
	  "time before a new model is used for scoring (default 0)" },
	{ OPT_EXECUTE_DELAY, 0, "execute-delay", "MS",
	  "time each RRS call holds its call slot (tests; default 0)" },
	{ OPT_CONCURRENCY_LIMIT, 0, "concurrency-limit", "N",
	  "at most N requests in flight, else 503 at once (default: none)" },
	{ OPT_DEMO, 0, "demo", NULL,
	  "accepted for compatibility: the census world is the default" },
	{ OPT_SECRETS_LOG, 0, "secrets-log", "FILE",
	  "append each secret held or issued to FILE (0600; tests)" },
	{ OPT_VERBOSE, 'v', "verbose", NULL,
	  "log each request on standard error" },
	{ OPT_HELP, 'h', "help", NULL, "show this help and exit" },
	{ OPT_VERSION, 0, "version", NULL, "show the version and exit" },
};

#define NOPTS (sizeof(opt_specs) / sizeof(opt_specs[0]))

struct options {
	struct emu_listen listen;
	const char *env_file;
	int print_env;
	int help;
	int version;
	long concurrency_limit; /* --concurrency-limit N; 0: none */
	const char *secrets_log; /* --secrets-log FILE; NULL: none */
	struct emu_config cfg;
};

static void usage(FILE *out)
{
	const struct opt_spec *o;
	char left[40];
	size_t i;

	fputs("usage: " PROG " [options]\n\n"
	      "A local stand-in for the Azure services amlretrain uses (Entra ID,\n"
	      "Resource Manager, classic ML management, BES/RRS, Blob Storage).\n"
	      "Serves until SIGINT or SIGTERM.\n\n"
	      "options:\n",
	      out);
	for (i = 0; i < NOPTS; i++) {
		o = &opt_specs[i];
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
			 o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ',
			 o->short_name ? ',' : ' ', o->long_name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-24s %s\n", left, o->help);
	}
	fputs("\nHOST is an IPv4 address, localhost or [IPv6]; port 0 picks a free\n"
	      "port.  The exports (AMLR_EMULATOR_URL, AMLR_EMULATOR_PID) are\n"
	      "written once the emulator serves; FILE gets mode 0600 and is\n"
	      "removed when it stops.  DIR is created if missing.\n",
	      out);
}

static const struct opt_spec *find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strlen(opt_specs[i].long_name) == len &&
		    strncmp(opt_specs[i].long_name, name, len) == 0)
			return &opt_specs[i];
	return NULL;
}

static const struct opt_spec *find_short(char c)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opt_specs[i].short_name && opt_specs[i].short_name == c)
			return &opt_specs[i];
	return NULL;
}

/* A whole decimal number within [min, max]. */
static amlr_code number(long *out, amlr_error *err, const struct opt_spec *spec,
			const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"invalid value '%s' for '--%s' (expected %ld to %ld)",
			value, spec->long_name, min, max);
	*out = v;
	return AMLR_OK;
}

static amlr_code apply(struct options *o, amlr_error *err,
		       const struct opt_spec *spec, const char *value)
{
	struct emu_config *c = &o->cfg;
	long n;
	amlr_code rc;

	switch (spec->id) {
	case OPT_LISTEN:
		return emu_server_parse_listen(&o->listen, err, value);
	case OPT_ENV_FILE:
		o->env_file = value;
		break;
	case OPT_PRINT_ENV:
		o->print_env = 1;
		break;
	case OPT_STATE_DIR:
		c->state_dir = value;
		break;
	case OPT_SEED:
		c->seed_file = value;
		break;
	case OPT_FAULTS:
		c->faults_file = value;
		break;
	case OPT_FAULT_SEED:
		if ((rc = number(&n, err, spec, value, 0, LONG_MAX)) != AMLR_OK)
			return rc;
		c->fault_seed = (unsigned long)n;
		break;
	case OPT_LOG:
		c->log_file = value;
		break;
	case OPT_TLS_CERT:
		c->tls_cert = value;
		break;
	case OPT_TLS_KEY:
		c->tls_key = value;
		break;
	case OPT_MANAGED_IDENTITY:
		c->managed_identity = 1;
		break;
	case OPT_PROVISIONING_DELAY:
		return number(&c->provisioning_delay_ms, err, spec, value, 0,
			      3600000);
	case OPT_TOKEN_LIFETIME:
		return number(&c->token_lifetime_s, err, spec, value, 1,
			      86400 * 30);
	case OPT_PAGE_SIZE:
		return number(&c->page_size, err, spec, value, 1, 100000);
	case OPT_ARM_READS:
		return number(&c->arm_reads, err, spec, value, 1, 1000000000);
	case OPT_ARM_WRITES:
		return number(&c->arm_writes, err, spec, value, 1, 1000000000);
	case OPT_JOB_DELAY:
		return number(&c->job_delay_ms, err, spec, value, 0, 3600000);
	case OPT_SWAP_DELAY:
		return number(&c->swap_delay_ms, err, spec, value, 0, 3600000);
	case OPT_EXECUTE_DELAY:
		return number(&c->execute_delay_ms, err, spec, value, 0, 60000);
	case OPT_CONCURRENCY_LIMIT:
		return number(&o->concurrency_limit, err, spec, value, 1,
			      100000);
	case OPT_DEMO:
		break; /* the seed makes the census world now */
	case OPT_SECRETS_LOG:
		o->secrets_log = value;
		break;
	case OPT_VERBOSE:
		c->verbose = 1;
		break;
	case OPT_HELP:
		o->help = 1;
		break;
	case OPT_VERSION:
		o->version = 1;
		break;
	}
	return AMLR_OK;
}

/*
 * `--name VALUE`, `--name=VALUE`, `-x`; no bundling.  Messages name the
 * option, never a value that could be a secret typed in the wrong place.
 */
static amlr_code parse_args(struct options *o, amlr_error *err, int argc,
			    char **argv)
{
	const struct opt_spec *spec;
	const char *arg, *value, *eq;
	size_t len;
	int i;
	amlr_code rc = AMLR_OK;

	for (i = 1; i < argc && rc == AMLR_OK; i++) {
		arg = argv[i];
		eq = NULL;
		if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0)
			return amlr_error_set(err, AMLR_EINVAL,
					      "unexpected argument '%s'", arg);
		if (arg[1] == '-') {
			eq = strchr(arg, '=');
			len = eq ? (size_t)(eq - arg) : strlen(arg);
			spec = find_long(arg + 2, len - 2);
		} else {
			len = strlen(arg);
			spec = len == 2 ? find_short(arg[1]) : NULL;
		}
		if (!spec)
			return amlr_error_set(err, AMLR_EINVAL,
					      "unknown option '%.*s'", (int)len,
					      arg);
		value = NULL;
		if (spec->arg && eq)
			value = eq + 1;
		else if (spec->arg && i + 1 < argc)
			value = argv[++i];
		else if (spec->arg)
			return amlr_error_set(err, AMLR_EINVAL,
					      "option '--%s' needs a value",
					      spec->long_name);
		else if (eq)
			return amlr_error_set(err, AMLR_EINVAL,
					      "option '--%s' takes no value",
					      spec->long_name);
		if (value && !*value)
			return amlr_error_set(
				err, AMLR_EINVAL,
				"option '--%s' needs a non-empty value",
				spec->long_name);
		rc = apply(o, err, spec, value);
	}
	return rc;
}

/* mkdir -p, new directories private to the user. */
static amlr_code make_dirs(amlr_error *err, const char *path)
{
	struct stat st;
	char *p = NULL, *s;
	char c;
	amlr_code rc = AMLR_EIO;

	if (!(p = strdup(path))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			amlr_error_set(err, rc, "cannot create '%s': %s", p,
				       strerror(errno));
			goto done;
		}
		*s = c;
		if (!c)
			break;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		amlr_error_set(err, rc,
			       "state directory '%s' is not a directory", path);
		goto done;
	}
	rc = AMLR_OK;
done:
	free(p);
	return rc;
}

/* --secrets-log: the secrets the seed gives the services (secrets_log.h). */
static void log_seed_secrets(const struct emu_seed *seed)
{
	size_t i, j;

	for (i = 0; i < seed->nprincipals; i++)
		for (j = 0; j < seed->principals[i].nsecrets; j++)
			emu_secrets_log_record("client-secret",
					       seed->principals[i].secrets[j]);
	for (i = 0; i < seed->nstorage; i++)
		emu_secrets_log_record("account-key", seed->storage[i].key);
	for (i = 0; i < seed->nworkspaces; i++)
		emu_secrets_log_record("workspace-token",
				       seed->workspaces[i].token);
}

/* Block the stop signals in every thread; main collects them by sigwait. */
static amlr_code prepare_signals(amlr_error *err, sigset_t *stop)
{
	struct sigaction dfl, ign;
	amlr_code rc = AMLR_OK;

	memset(&dfl, 0, sizeof(dfl));
	memset(&ign, 0, sizeof(ign));
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&ign.sa_mask);
	dfl.sa_handler = SIG_DFL;
	ign.sa_handler = SIG_IGN;
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGTERM);
	/*
	 * A shell starts background jobs with SIGINT ignored, and sigwait() on
	 * an ignored signal is unspecified: restore the default first.  A
	 * client hanging up (SIGPIPE) must not end the emulator.
	 */
	if (sigaction(SIGINT, &dfl, NULL) != 0 ||
	    sigaction(SIGTERM, &dfl, NULL) != 0 ||
	    sigaction(SIGPIPE, &ign, NULL) != 0 ||
	    (errno = pthread_sigmask(SIG_BLOCK, stop, NULL)) != 0)
		rc = amlr_error_set(err, AMLR_EFAIL,
				    "cannot set up signals: %s",
				    strerror(errno));
	return rc;
}

/*
 * Both --env-file and --print-env say this, in shell syntax: what a client
 * needs to use the emulator.  Each service appends its own exports.
 */
static amlr_code env_text(amlr_buf *out, const struct emu_world *world,
			  const char *url)
{
	amlr_code rc;

	(void)world;
	rc = amlr_buf_printf(out,
			     "export AMLR_EMULATOR_URL='%s'\n"
			     "export AMLR_EMULATOR_PID='%ld'\n",
			     url, (long)getpid());
	/* Services: rc = emu_<service>_env(out, world, url) here. */
	if (rc == AMLR_OK)
		rc = emu_identity_env(out, world, url);
	if (rc == AMLR_OK)
		rc = emu_blob_env(out, world, url);
	if (rc == AMLR_OK)
		rc = emu_bes_env(out, world->bes, url);
	if (rc == AMLR_OK)
		rc = emu_classic_env(out, world->classic, url);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct emu_world world;
	struct emu_server_opts sopts;
	struct emu_server *srv = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf env = AMLR_BUF_INIT;
	sigset_t stop;
	int sig, env_written = 0, usage_error = 1;
	amlr_code rc;

	memset(&o, 0, sizeof(o));
	memset(&world, 0, sizeof(world));
	o.cfg.provisioning_delay_ms = EMU_DEFAULT_PROVISIONING_DELAY_MS;
	o.cfg.token_lifetime_s = EMU_DEFAULT_TOKEN_LIFETIME_S;
	o.cfg.page_size = EMU_DEFAULT_PAGE_SIZE;
	o.cfg.arm_reads = EMU_DEFAULT_ARM_READS;
	o.cfg.arm_writes = EMU_DEFAULT_ARM_WRITES;
	o.cfg.fault_seed = 1;
	rc = emu_server_parse_listen(&o.listen, &err, DEFAULT_LISTEN);
	if (rc == AMLR_OK)
		rc = parse_args(&o, &err, argc, argv);
	if (rc != AMLR_OK || o.help) {
		if (rc == AMLR_OK)
			usage(stdout);
		goto done;
	}
	usage_error = 0; /* later errors are not about the command line */
	if (o.version) {
		printf("%s %s\nlibmicrohttpd %s\n", PROG, EMU_VERSION,
		       MHD_get_version());
		goto done;
	}
	if (o.cfg.state_dir &&
	    (rc = make_dirs(&err, o.cfg.state_dir)) != AMLR_OK)
		goto done;
	world.cfg = o.cfg;
	if (o.secrets_log &&
	    (rc = emu_secrets_log_open(&err, o.secrets_log)) != AMLR_OK)
		goto done;
	/* Services: each emu_<service>_new() here, its _free() below. */
	if ((rc = emu_faults_new(&world.faults, &err, &world.cfg)) != AMLR_OK ||
	    (rc = emu_throttle_new(&world.throttle, &err, &world.cfg)) !=
		    AMLR_OK)
		goto done;
	if ((rc = emu_seed_new(&world.seed, &err, o.cfg.seed_file)) !=
		    AMLR_OK ||
	    (rc = emu_tokens_new(&world.tokens, &err, &world.cfg)) != AMLR_OK)
		goto done;
	log_seed_secrets(world.seed);
	emu_secrets_log_record("identity-header",
			       emu_tokens_identity_header(world.tokens));
	if ((rc = emu_arm_new(&world.arm, &err, &world)) != AMLR_OK)
		goto done;
	if ((rc = emu_blob_new(&world.blob, &err, o.cfg.state_dir)) != AMLR_OK)
		goto done;
	if ((rc = emu_classic_new(&world.classic, &err, &world)) != AMLR_OK)
		goto done;
	if ((rc = emu_bes_new(&world.bes, &err, &world)) != AMLR_OK ||
	    (rc = emu_bes_seed(world.bes, &err)) != AMLR_OK)
		goto done;
	if ((rc = prepare_signals(&err, &stop)) != AMLR_OK)
		goto done;
	memset(&sopts, 0, sizeof(sopts));
	sopts.listen = o.listen;
	sopts.state_dir = o.cfg.state_dir;
	sopts.verbose = o.cfg.verbose;
	sopts.world = &world;
	sopts.log_file = o.cfg.log_file;
	sopts.tls_cert = o.cfg.tls_cert;
	sopts.tls_key = o.cfg.tls_key;
	sopts.concurrency_limit = o.concurrency_limit;
	if ((rc = emu_server_start(&srv, &err, &sopts)) != AMLR_OK)
		goto done;
	if ((rc = env_text(&env, &world, emu_server_url(srv))) != AMLR_OK ||
	    (rc = emu_server_env(&env, srv)) != AMLR_OK) {
		amlr_error_set(&err, rc, "out of memory");
		goto done;
	}
	if (o.env_file) {
		rc = amlr_file_write_atomic(&err, o.env_file, env.ptr, env.len,
					    0600);
		if (rc != AMLR_OK) {
			/* Any failure but memory is local I/O: exit 9. */
			if (rc != AMLR_EFAIL)
				rc = err.code = AMLR_EIO;
			goto done;
		}
		env_written = 1;
	}
	if (o.print_env && (fputs(env.ptr, stdout) == EOF || fflush(stdout))) {
		rc = amlr_error_set(&err, AMLR_EIO,
				    "cannot write to standard output: %s",
				    strerror(errno));
		goto done;
	}
	if (o.cfg.verbose)
		fprintf(stderr, PROG ": serving on %s\n", emu_server_url(srv));
	while (sigwait(&stop, &sig) != 0)
		;
	if (o.cfg.verbose)
		fprintf(stderr, PROG ": %s received, stopping\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM");
done:
	emu_server_free(srv);
	/* Services: each emu_<service>_free() here, in reverse order. */
	emu_bes_free(world.bes);
	emu_classic_free(world.classic);
	emu_blob_free(world.blob);
	emu_arm_free(world.arm);
	emu_tokens_free(world.tokens);
	emu_seed_free(world.seed);
	emu_throttle_free(world.throttle);
	emu_faults_free(world.faults);
	emu_secrets_log_close();
	if (env_written && unlink(o.env_file) != 0 && errno != ENOENT)
		fprintf(stderr, PROG ": cannot remove '%s': %s\n", o.env_file,
			strerror(errno));
	if (rc == AMLR_OK && (fflush(stdout) != 0 || ferror(stdout)))
		rc = amlr_error_set(&err, AMLR_EIO,
				    "cannot write to standard output");
	if (rc != AMLR_OK)
		fprintf(stderr, PROG ": %s\n", err.message);
	if (rc == AMLR_EINVAL && usage_error)
		fputs("usage: " PROG " [options]; see '" PROG " --help'\n",
		      stderr);
	amlr_buf_release(&env);
	return (int)rc;
}
