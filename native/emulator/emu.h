/* SPDX-License-Identifier: MIT */
/* The emulated cloud: its configuration and the services' shared state. */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include "amlr/buf.h"
#include "amlr/error.h"

/* Settings from the command line; strings borrowed from argv. */
struct emu_config {
	const char *seed_file; /* --seed FILE; NULL: the built-in seed */
	const char *state_dir; /* --state DIR; NULL: state in memory only */
	const char *faults_file; /* --faults FILE; NULL: none */
	const char *log_file; /* --log FILE: access log; NULL: none */
	const char *tls_cert; /* --tls-cert FILE (with --tls-key): https */
	const char *tls_key;
	int managed_identity; /* --managed-identity: export IDENTITY_* */
	long provisioning_delay_ms; /* --provisioning-delay MS */
	long token_lifetime_s; /* --token-lifetime SECONDS */
	long page_size; /* --page-size N: items per list page */
	long arm_reads; /* --arm-reads N: read budget per subscription */
	long arm_writes; /* --arm-writes N: write budget per subscription */
	unsigned long fault_seed; /* --fault-seed N: rate faults' PRNG */
	long job_delay_ms; /* --job-delay MS: BES jobs wait before running */
	long swap_delay_ms; /* --swap-delay MS: a new model is used after it */
	long execute_delay_ms; /* --execute-delay MS: RRS holds its call */
	int verbose; /* -v: a stderr line per request */
};

#define EMU_DEFAULT_PROVISIONING_DELAY_MS 500
#define EMU_DEFAULT_TOKEN_LIFETIME_S 3600
#define EMU_DEFAULT_PAGE_SIZE 100
#define EMU_DEFAULT_ARM_READS 12000 /* refilled per hour, as ARM's budget */
#define EMU_DEFAULT_ARM_WRITES 1200

/*
 * Everything the handlers share: the configuration and one pointer per
 * service, each made by its module's emu_<service>_new() in main.c before
 * the server starts and freed after it stops.  Each service guards its own
 * state with its own lock: handlers run on several threads.
 */
struct emu_world {
	struct emu_config cfg;
	struct emu_seed *seed; /* seed.h: tenants, principals, subscriptions */
	struct emu_tokens *tokens; /* tokens.h: issuing, verifying tokens */
	struct emu_arm *arm; /* arm_store.h: web services, operations */
	struct emu_faults *faults; /* faults.h: injected failures */
	struct emu_throttle *throttle; /* throttle.h: ARM budgets */
	struct emu_blob *blob; /* blob_store.h: containers and blobs */
	struct emu_bes *bes; /* bes_store.h: batch execution jobs */
	struct emu_classic *classic; /* classic_store.h: classic endpoints */
};

#endif
