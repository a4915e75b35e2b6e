/* SPDX-License-Identifier: MIT */
/* The emulated directory and subscriptions: the seed, loaded at start. */
#ifndef EMU_SEED_H
#define EMU_SEED_H

#include <stddef.h>

#include <openssl/x509.h>

#include "amlr/buf.h"
#include "amlr/error.h"

/*
 * The seed (manifests/emulator/seed.schema.json) declares tenants,
 * service principals with their secrets and certificates, managed
 * identities, subscriptions with their role assignments and resource
 * groups, storage accounts, and the world made from them at start:
 * classic workspaces with their web services, Resource Manager web
 * services and trained models (manifests/emulator/demo.json, the
 * built-in seed).  Files it names (definitions, training data, the data
 * directory) are relative to the seed file's directory; for the built-in
 * seed, to manifests/emulator/ above the executable (a build tree) or
 * share/amlretrain/emulator/ beside its bin/ (an installed tree).  It is read
 * once before the server starts and never changes afterwards, so lookups need
 * no lock.  Every pointer returned below is borrowed from the seed and lives as
 * long as it. Identifiers (GUIDs, names, domains) are compared
 * case-insensitively.
 */
struct emu_seed;

struct emu_seed_tenant {
	char *id; /* GUID */
	char *domain; /* "contoso.onmicrosoft.com" */
};

/* A certificate registered for a service principal. */
struct emu_seed_cert {
	X509 *x509;
	unsigned char sha1[20]; /* of the DER: x5t */
	unsigned char sha256[32]; /* of the DER: x5t#S256 */
};

/* A service principal (an application's identity in its tenant). */
struct emu_seed_principal {
	const struct emu_seed_tenant *tenant;
	char *client_id; /* appId */
	char *object_id;
	char *display_name;
	char **secrets; /* client secrets, by value (a test fixture) */
	size_t nsecrets;
	struct emu_seed_cert *certs;
	size_t ncerts;
};

/* A managed identity; the first of the seed is the system-assigned one. */
struct emu_seed_identity {
	const struct emu_seed_tenant *tenant;
	char *client_id;
	char *object_id;
	char *display_name;
};

/* Built-in roles; what each allows (emu_seed_role_allows()). */
enum emu_seed_role {
	EMU_ROLE_READER, /* reads only */
	EMU_ROLE_CONTRIBUTOR, /* everything but access management */
	EMU_ROLE_OWNER /* everything */
};

struct emu_seed_assignment {
	char *principal_id; /* object id of a principal or identity */
	enum emu_seed_role role;
};

struct emu_seed_group {
	char *name;
	char *location; /* "southcentralus" */
};

struct emu_seed_subscription {
	char *id; /* GUID */
	const struct emu_seed_tenant *tenant;
	char *display_name;
	struct emu_seed_assignment *assignments;
	size_t nassignments;
	struct emu_seed_group *groups;
	size_t ngroups;
};

struct emu_seed_storage {
	char *name; /* "devstoreaccount1" */
	char *key; /* base64 account key */
};

/* A web service made at start from a definition file (its "properties"). */
struct emu_seed_service {
	char *id; /* classic: 32 hex digits; Resource Manager: NULL */
	char *subscription_id; /* Resource Manager: its subscription, group */
	char *group;
	char *name;
	char *description; /* may be NULL */
	char *definition; /* the definition file, resolved */
	char *role; /* "training", "predictive" (for the exports) or NULL */
};

/* A classic Machine Learning Studio workspace. */
struct emu_seed_workspace {
	char *id; /* 32 hex digits */
	char *name;
	char *location; /* "South Central US" */
	int free_tier; /* sku "Free": Low throttling, 3 endpoints */
	char *token; /* the authorization token */
	struct emu_seed_service *services;
	size_t nservices;
};

/* A model trained at start, unless its blob exists. */
struct emu_seed_model {
	char *account;
	char *container;
	char *blob;
	char *data; /* the training CSV file, resolved */
	char *label;
};

/* The whole seed, read-only for the services. */
struct emu_seed {
	struct emu_seed_tenant *tenants;
	size_t ntenants;
	struct emu_seed_principal *principals;
	size_t nprincipals;
	struct emu_seed_identity *identities;
	size_t nidentities;
	struct emu_seed_subscription *subscriptions;
	size_t nsubscriptions;
	struct emu_seed_storage *storage;
	size_t nstorage;
	struct emu_seed_workspace *workspaces;
	size_t nworkspaces;
	struct emu_seed_service *services; /* Resource Manager web services */
	size_t nservices;
	struct emu_seed_model *models;
	size_t nmodels;
	char *data_dir; /* dataDirectory, resolved; NULL: none */
};

/**
 * Load the seed from @p path, or the built-in default when @p path is
 * NULL.  Certificate files named in the seed are relative to its
 * directory.  Every reference must resolve (a principal's tenant, a role
 * assignment's principal), identifiers must be unique, and there must be
 * at least one tenant.
 *
 * @param[out] out the seed, owned by the caller
 * @param err one line naming the file and the JSON path on failure, as
 *	"seed 'FILE': $.servicePrincipals[1].clientId: expected a string"
 * @return AMLR_OK; AMLR_EINVAL for an invalid seed; AMLR_EIO when the
 *	file (or a certificate file) cannot be read, or the built-in seed's
 *	manifests/ directory cannot be found; AMLR_EFAIL
 * Ownership: *out is the caller's, for emu_seed_free().
 */
amlr_code emu_seed_new(struct emu_seed **out, amlr_error *err,
		       const char *path);

/** Free the seed, wiping its secrets; accepts NULL. */
void emu_seed_free(struct emu_seed *seed);

/** The built-in seed's JSON text (static). */
const char *emu_seed_default_json(void);

/** A tenant by id or domain, or NULL. */
const struct emu_seed_tenant *emu_seed_tenant(const struct emu_seed *seed,
					      const char *id_or_domain);

/** A service principal of @p tenant by client id, or NULL. */
const struct emu_seed_principal *
emu_seed_principal(const struct emu_seed *seed,
		   const struct emu_seed_tenant *tenant, const char *client_id);

/**
 * A managed identity: by @p client_id, else by @p object_id, else (both
 * NULL) the system-assigned one (the first).  NULL when none matches.
 */
const struct emu_seed_identity *emu_seed_identity(const struct emu_seed *seed,
						  const char *client_id,
						  const char *object_id);

/** A subscription by id, or NULL. */
const struct emu_seed_subscription *
emu_seed_subscription(const struct emu_seed *seed, const char *id);

/**
 * The role of principal @p object_id on @p sub, the strongest when it has
 * several; -1 when it has none.
 */
int emu_seed_role(const struct emu_seed_subscription *sub,
		  const char *object_id);

/** Whether @p role may perform an action with HTTP method @p method. */
int emu_seed_role_allows(enum emu_seed_role role, const char *method);

/** A resource group of @p sub by name, or NULL. */
const struct emu_seed_group *
emu_seed_group(const struct emu_seed_subscription *sub, const char *name);

/** A classic workspace by id (case-insensitive), or NULL. */
const struct emu_seed_workspace *emu_seed_workspace(const struct emu_seed *seed,
						    const char *id);

/** A storage account by name (case-sensitive, as Storage), or NULL. */
const struct emu_seed_storage *emu_seed_storage(const struct emu_seed *seed,
						const char *name);

#endif
