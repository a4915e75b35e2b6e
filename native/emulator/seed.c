/* SPDX-License-Identifier: MIT */
/* Loading and checking the seed (built in, or --seed FILE); lookups. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amlr/fileio.h"
#include "amlr/json.h"
#include "amlr/secret.h"
#include "seed.h"

#define SEED_FILE_MAX ((size_t)16 << 20)
#define CERT_FILE_MAX ((size_t)1 << 20)
#define PATH_MAX_LEN 160 /* longest JSON path in a message */

#define SEARCH_UP 5 /* directories above the executable's */

/* The built-in seed: manifests/emulator/demo.json without $schema. */
static const char default_seed[] =
	"{\n"
	" \"tenants\": [\n"
	"  {\n"
	"   \"id\": \"6f577a24-dae7-49b1-b84a-efe3b6148402\",\n"
	"   \"domain\": \"amlremulator.onmicrosoft.com\"\n"
	"  },\n"
	"  {\n"
	"   \"id\": \"4ce1b6f4-8110-48e9-bba9-a8efe4c032a5\",\n"
	"   \"domain\": \"fabrikam-emulator.onmicrosoft.com\"\n"
	"  }\n"
	" ],\n"
	" \"servicePrincipals\": [\n"
	"  {\n"
	"   \"tenantId\": \"6f577a24-dae7-49b1-b84a-efe3b6148402\",\n"
	"   \"clientId\": \"1823824e-fbc9-4b97-a02c-789405762845\",\n"
	"   \"objectId\": \"ccc81484-2567-4331-b0c5-f36405f0f2c6\",\n"
	"   \"displayName\": \"amlretrain-ci\",\n"
	"   \"secrets\": [\n"
	"    {\n"
	"     \"value\": \"kD38Q~emulator.Secret_NotForProduction-1a\"\n"
	"    }\n"
	"   ]\n"
	"  },\n"
	"  {\n"
	"   \"tenantId\": \"6f577a24-dae7-49b1-b84a-efe3b6148402\",\n"
	"   \"clientId\": \"e160ea12-44b1-4fc1-840f-b8a139118477\",\n"
	"   \"objectId\": \"d927f005-8412-4384-97ff-acca3f13c362\",\n"
	"   \"displayName\": \"amlretrain-no-access\",\n"
	"   \"secrets\": [\n"
	"    {\n"
	"     \"value\": \"nA78Q~no.access_principal-NotForProduction\"\n"
	"    }\n"
	"   ]\n"
	"  },\n"
	"  {\n"
	"   \"tenantId\": \"4ce1b6f4-8110-48e9-bba9-a8efe4c032a5\",\n"
	"   \"clientId\": \"b84d5f36-897d-454b-b6bd-6cc883262a57\",\n"
	"   \"objectId\": \"a8268cd8-8eac-46cd-adb0-e22cf9a0e8b1\",\n"
	"   \"displayName\": \"fabrikam-ci\",\n"
	"   \"secrets\": [\n"
	"    {\n"
	"     \"value\": \"fB28Q~other.tenant_principal-NotForProduct\"\n"
	"    }\n"
	"   ]\n"
	"  }\n"
	" ],\n"
	" \"managedIdentities\": [\n"
	"  {\n"
	"   \"tenantId\": \"6f577a24-dae7-49b1-b84a-efe3b6148402\",\n"
	"   \"clientId\": \"124419b2-234d-4ce2-8f15-74b03730a184\",\n"
	"   \"objectId\": \"2ba5d85f-9f4e-4d4b-9c71-ff406f465492\",\n"
	"   \"displayName\": \"amlretrain-automation\"\n"
	"  },\n"
	"  {\n"
	"   \"tenantId\": \"6f577a24-dae7-49b1-b84a-efe3b6148402\",\n"
	"   \"clientId\": \"53d8668c-1811-4ae7-a3a6-2e068b44e26c\",\n"
	"   \"objectId\": \"b5daac1c-4508-4b4e-ab6b-54aa86ab0a2e\",\n"
	"   \"displayName\": \"amlretrain-reader\"\n"
	"  }\n"
	" ],\n"
	" \"subscriptions\": [\n"
	"  {\n"
	"   \"id\": \"aff76706-c240-4893-80a2-a07cca67b456\",\n"
	"   \"tenantId\": \"6f577a24-dae7-49b1-b84a-efe3b6148402\",\n"
	"   \"displayName\": \"Emulator Subscription\",\n"
	"   \"roleAssignments\": [\n"
	"    {\n"
	"     \"principalId\": \"ccc81484-2567-4331-b0c5-f36405f0f2c6\",\n"
	"     \"roleDefinitionName\": \"Contributor\"\n"
	"    },\n"
	"    {\n"
	"     \"principalId\": \"2ba5d85f-9f4e-4d4b-9c71-ff406f465492\",\n"
	"     \"roleDefinitionName\": \"Contributor\"\n"
	"    },\n"
	"    {\n"
	"     \"principalId\": \"b5daac1c-4508-4b4e-ab6b-54aa86ab0a2e\",\n"
	"     \"roleDefinitionName\": \"Reader\"\n"
	"    }\n"
	"   ],\n"
	"   \"resourceGroups\": [\n"
	"    {\n"
	"     \"name\": \"amlr-rg\",\n"
	"     \"location\": \"southcentralus\"\n"
	"    },\n"
	"    {\n"
	"     \"name\": \"amlr-rg-westeurope\",\n"
	"     \"location\": \"westeurope\"\n"
	"    }\n"
	"   ]\n"
	"  },\n"
	"  {\n"
	"   \"id\": \"06ced51f-c552-4917-a701-8a8b0322fb77\",\n"
	"   \"tenantId\": \"4ce1b6f4-8110-48e9-bba9-a8efe4c032a5\",\n"
	"   \"displayName\": \"Fabrikam Subscription\",\n"
	"   \"roleAssignments\": [\n"
	"    {\n"
	"     \"principalId\": \"a8268cd8-8eac-46cd-adb0-e22cf9a0e8b1\",\n"
	"     \"roleDefinitionName\": \"Owner\"\n"
	"    }\n"
	"   ],\n"
	"   \"resourceGroups\": [\n"
	"    {\n"
	"     \"name\": \"fabrikam-rg\",\n"
	"     \"location\": \"westeurope\"\n"
	"    }\n"
	"   ]\n"
	"  }\n"
	" ],\n"
	" \"storageAccounts\": [\n"
	"  {\n"
	"   \"name\": \"devstoreaccount1\",\n"
	"   \"key\": \"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErC"
	"z4I6tq/K1SZFPTOtr/KBHBeksoGMGw==\"\n"
	"  },\n"
	"  {\n"
	"   \"name\": \"amlrstorage\",\n"
	"   \"key\": \"KUltv88jLpJxf6lXHXUbAsotel1hKOwW2v5EogRFYBRw6+zDfIGaLwRv"
	"hvoBj0MWxq1EwgE956qc+1O00LwCZw==\"\n"
	"  }\n"
	" ],\n"
	" \"workspaces\": [\n"
	"  {\n"
	"   \"id\": \"8b841df9d60a4d54bcebd4948b10a5db\",\n"
	"   \"name\": \"amlr-workspace\",\n"
	"   \"location\": \"South Central US\",\n"
	"   \"sku\": \"Standard\",\n"
	"   \"authorizationToken\": \"8031455fa5490105baca1b90c42ae6bd\",\n"
	"   \"webServices\": [\n"
	"    {\n"
	"     \"id\": \"18ee8be9b45f0d7b4043065f964c8916\",\n"
	"     \"name\": \"Census Model [Training Exp.]\",\n"
	"     \"description\": \"Retrains the census income model: input1 is th"
	"e training data, output1 the trained model, output2 its evaluation.\","
	"\n"
	"     \"definition\": \"../definitions/census-training.json\",\n"
	"     \"role\": \"training\"\n"
	"    },\n"
	"    {\n"
	"     \"id\": \"3b7088b0c58f5832416408435a72e1b8\",\n"
	"     \"name\": \"Census Model [Predictive Exp.]\",\n"
	"     \"description\": \"Scores income with the census model; add an en"
	"dpoint and PATCH its [trained model] to retrain.\",\n"
	"     \"definition\": \"../definitions/census-predictive.json\",\n"
	"     \"role\": \"predictive\"\n"
	"    }\n"
	"   ]\n"
	"  }\n"
	" ],\n"
	" \"webServices\": [\n"
	"  {\n"
	"   \"subscriptionId\": \"aff76706-c240-4893-80a2-a07cca67b456\",\n"
	"   \"resourceGroup\": \"amlr-rg\",\n"
	"   \"name\": \"census-training\",\n"
	"   \"definition\": \"../definitions/census-training.json\",\n"
	"   \"role\": \"training\"\n"
	"  },\n"
	"  {\n"
	"   \"subscriptionId\": \"aff76706-c240-4893-80a2-a07cca67b456\",\n"
	"   \"resourceGroup\": \"amlr-rg\",\n"
	"   \"name\": \"census-predictive\",\n"
	"   \"definition\": \"../definitions/census-predictive.json\",\n"
	"   \"role\": \"predictive\"\n"
	"  }\n"
	" ],\n"
	" \"models\": [\n"
	"  {\n"
	"   \"storageAccount\": \"devstoreaccount1\",\n"
	"   \"container\": \"models\",\n"
	"   \"blob\": \"census-a.ilearner\",\n"
	"   \"trainingData\": \"../data/census-a.csv\",\n"
	"   \"label\": \"income\"\n"
	"  }\n"
	" ],\n"
	" \"dataDirectory\": \"../data\"\n"
	"}\n";

/* What loading needs besides the seed being built. */
struct loader {
	struct emu_seed *seed;
	amlr_error *err;
	const char *file; /* for messages */
	const char *dir; /* files named are relative to it; NULL: cwd */
	int no_dir; /* the built-in seed found no manifests/: files fail */
};

static amlr_code fail(struct loader *ld, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line: "seed 'FILE': $.path: what is wrong". */
static amlr_code fail(struct loader *ld, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return amlr_error_set(ld->err, AMLR_EINVAL, "%s: %s: %s", ld->file,
			      path, what);
}

static amlr_code oom(struct loader *ld)
{
	return amlr_error_set(ld->err, AMLR_EFAIL, "out of memory");
}

/* Only the members in @p allowed (NULL-terminated) may appear. */
static amlr_code only_members(struct loader *ld, const amlr_json *obj,
			      const char *path, const char *const *allowed)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *key;
	amlr_json *val;
	size_t i;

	while (amlr_json_next(&key, &val, obj, &it)) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (!allowed[i])
			return fail(ld, path, "unknown member '%s'", key);
	}
	return AMLR_OK;
}

/*
 * String member @p key of @p obj (at @p path), copied into *out; when
 * absent, NULL if optional, else an error.  Empty strings are refused.
 */
static amlr_code get_str(char **out, struct loader *ld, const amlr_json *obj,
			 const char *path, const char *key, int required)
{
	const amlr_json *v = amlr_json_get(obj, key);
	const char *s;

	*out = NULL;
	if (!v && !required)
		return AMLR_OK;
	if (!v)
		return fail(ld, path, "missing member '%s'", key);
	if (!(s = amlr_json_str(v)) || !*s)
		return fail(ld, path, "'%s' must be a non-empty string", key);
	if (!(*out = strdup(s)))
		return oom(ld);
	return AMLR_OK;
}

/* Whether @p s is a GUID: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", hex. */
static int is_guid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Like get_str(), for a required GUID. */
static amlr_code get_guid(char **out, struct loader *ld, const amlr_json *obj,
			  const char *path, const char *key)
{
	amlr_code rc;

	if ((rc = get_str(out, ld, obj, path, key, 1)) != AMLR_OK)
		return rc;
	if (!is_guid(*out))
		return fail(ld, path, "'%s' must be a GUID", key);
	return AMLR_OK;
}

/* Array member @p key (NULL and 0 when absent and optional). */
static amlr_code get_array(const amlr_json **out, size_t *n, struct loader *ld,
			   const amlr_json *obj, const char *path,
			   const char *key, int required)
{
	const amlr_json *v = amlr_json_get(obj, key);

	*out = NULL;
	*n = 0;
	if (!v && !required)
		return AMLR_OK;
	if (!v)
		return fail(ld, path, "missing member '%s'", key);
	if (amlr_json_type_of(v) != AMLR_JSON_ARRAY)
		return fail(ld, path, "'%s' must be an array", key);
	if (required && amlr_json_len(v) == 0)
		return fail(ld, path, "'%s' must not be empty", key);
	*out = v;
	*n = amlr_json_len(v);
	return AMLR_OK;
}

/* Element @p i of @p arr, which must be an object; its path in @p path. */
static amlr_code element(const amlr_json **out, char path[PATH_MAX_LEN],
			 struct loader *ld, const amlr_json *arr,
			 const char *parent, const char *key, size_t i)
{
	int n = snprintf(path, PATH_MAX_LEN, "%s.%s[%zu]", parent, key, i);

	if (n < 0 || n >= PATH_MAX_LEN) /* cannot happen: paths are short */
		return fail(ld, parent, "nested too deeply");
	*out = amlr_json_at(arr, i);
	if (amlr_json_type_of(*out) != AMLR_JSON_OBJECT)
		return fail(ld, path, "expected an object");
	return AMLR_OK;
}

static const struct emu_seed_tenant *find_tenant(const struct emu_seed *seed,
						 const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(seed->tenants[i].id, id) == 0 ||
		    (seed->tenants[i].domain &&
		     strcasecmp(seed->tenants[i].domain, id) == 0))
			return &seed->tenants[i];
	return NULL;
}

/* Whether @p object_id names a principal or identity loaded so far. */
static int known_object(const struct emu_seed *seed, const char *object_id)
{
	size_t i;

	for (i = 0; i < seed->nprincipals; i++)
		if (seed->principals[i].object_id &&
		    strcasecmp(seed->principals[i].object_id, object_id) == 0)
			return 1;
	for (i = 0; i < seed->nidentities; i++)
		if (seed->identities[i].object_id &&
		    strcasecmp(seed->identities[i].object_id, object_id) == 0)
			return 1;
	return 0;
}

static amlr_code load_tenants(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = { "id", "domain", NULL };
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *t;
	char path[PATH_MAX_LEN];
	size_t i, n;
	amlr_code rc;

	if ((rc = get_array(&arr, &n, ld, root, "$", "tenants", 1)) != AMLR_OK)
		return rc;
	if (!(seed->tenants = calloc(n, sizeof(*seed->tenants))))
		return oom(ld);
	seed->ntenants = n; /* all freed on failure, loaded or not */
	for (i = 0; i < n; i++) {
		struct emu_seed_tenant *tn = &seed->tenants[i];

		if ((rc = element(&t, path, ld, arr, "$", "tenants", i)) ||
		    (rc = only_members(ld, t, path, members)) ||
		    (rc = get_guid(&tn->id, ld, t, path, "id")) ||
		    (rc = get_str(&tn->domain, ld, t, path, "domain", 0)))
			return rc;
		if (find_tenant(seed, tn->id, i) ||
		    (tn->domain && find_tenant(seed, tn->domain, i)))
			return fail(ld, path, "duplicate tenant id or domain");
	}
	return AMLR_OK;
}

/* The tenant member @p key must name a tenant (or be absent: the first). */
static amlr_code get_tenant(const struct emu_seed_tenant **out,
			    struct loader *ld, const amlr_json *obj,
			    const char *path, int required)
{
	char *id = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = get_str(&id, ld, obj, path, "tenantId", required)))
		return rc;
	if (!id) {
		*out = &ld->seed->tenants[0];
		return AMLR_OK;
	}
	*out = find_tenant(ld->seed, id, ld->seed->ntenants);
	if (!*out)
		rc = fail(ld, path, "tenant '%s' is not in $.tenants", id);
	free(id);
	return rc;
}

/* Read a certificate from PEM text and compute its thumbprints. */
static amlr_code parse_cert(struct emu_seed_cert *out, struct loader *ld,
			    const char *path, const char *pem, size_t len)
{
	BIO *bio = NULL;
	EVP_PKEY *pub;
	unsigned int n;
	amlr_code rc = AMLR_OK;

	if (!(bio = BIO_new_mem_buf(pem, (int)len))) {
		rc = oom(ld);
		goto done;
	}
	if (!(out->x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		rc = fail(ld, path, "not a PEM certificate");
		goto done;
	}
	pub = X509_get0_pubkey(out->x509);
	if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
		rc = fail(ld, path, "the certificate's key must be RSA");
		goto done;
	}
	n = sizeof(out->sha1);
	if (X509_digest(out->x509, EVP_sha1(), out->sha1, &n) != 1 ||
	    (n = sizeof(out->sha256),
	     X509_digest(out->x509, EVP_sha256(), out->sha256, &n) != 1))
		rc = oom(ld);
done:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

static amlr_code load_cert(struct emu_seed_cert *out, struct loader *ld,
			   const amlr_json *c, const char *path)
{
	static const char *const members[] = { "pem", "file", NULL };
	char *pem = NULL, *file = NULL;
	amlr_buf text = AMLR_BUF_INIT, full = AMLR_BUF_INIT;
	amlr_code rc;

	if ((rc = only_members(ld, c, path, members)) ||
	    (rc = get_str(&pem, ld, c, path, "pem", 0)) ||
	    (rc = get_str(&file, ld, c, path, "file", 0)))
		goto done;
	if (!pem == !file) {
		rc = fail(ld, path, "give exactly one of 'pem' and 'file'");
		goto done;
	}
	if (pem) {
		rc = parse_cert(out, ld, path, pem, strlen(pem));
		goto done;
	}
	if (file[0] != '/' && ld->dir)
		rc = amlr_buf_printf(&full, "%s/%s", ld->dir, file);
	else
		rc = amlr_buf_puts(&full, file);
	if (rc != AMLR_OK) {
		rc = oom(ld);
		goto done;
	}
	if ((rc = amlr_file_read(&text, NULL, full.ptr, CERT_FILE_MAX))) {
		rc = amlr_error_set(ld->err, AMLR_EIO,
				    "%s: %s: cannot read certificate '%s'",
				    ld->file, path, full.ptr);
		goto done;
	}
	rc = parse_cert(out, ld, path, text.ptr, text.len);
done:
	free(pem);
	free(file);
	amlr_buf_release(&text);
	amlr_buf_release(&full);
	return rc;
}

static amlr_code load_credentials(struct emu_seed_principal *p,
				  struct loader *ld, const amlr_json *obj,
				  const char *parent)
{
	static const char *const members[] = { "value", NULL };
	const amlr_json *arr, *e;
	char path[PATH_MAX_LEN];
	size_t i, n;
	amlr_code rc;

	if ((rc = get_array(&arr, &n, ld, obj, parent, "secrets", 0)))
		return rc;
	if (n && !(p->secrets = calloc(n, sizeof(*p->secrets))))
		return oom(ld);
	p->nsecrets = n;
	for (i = 0; i < n; i++) {
		if ((rc = element(&e, path, ld, arr, parent, "secrets", i)) ||
		    (rc = only_members(ld, e, path, members)) ||
		    (rc = get_str(&p->secrets[i], ld, e, path, "value", 1)))
			return rc;
	}
	if ((rc = get_array(&arr, &n, ld, obj, parent, "certificates", 0)))
		return rc;
	if (n && !(p->certs = calloc(n, sizeof(*p->certs))))
		return oom(ld);
	p->ncerts = n;
	for (i = 0; i < n; i++) {
		if ((rc = element(&e, path, ld, arr, parent, "certificates",
				  i)))
			return rc;
		if ((rc = load_cert(&p->certs[i], ld, e, path)))
			return rc;
	}
	return AMLR_OK;
}

static amlr_code load_principals(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = { "tenantId", "clientId",
					       "objectId", "displayName",
					       "secrets",  "certificates",
					       NULL };
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN];
	size_t i, j, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, root, "$", "servicePrincipals", 0);
	if (rc || !n)
		return rc;
	if (!(seed->principals = calloc(n, sizeof(*seed->principals))))
		return oom(ld);
	seed->nprincipals = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_principal *p = &seed->principals[i];

		if ((rc = element(&o, path, ld, arr, "$", "servicePrincipals",
				  i)) ||
		    (rc = only_members(ld, o, path, members)) ||
		    (rc = get_tenant(&p->tenant, ld, o, path, 1)) ||
		    (rc = get_guid(&p->client_id, ld, o, path, "clientId")) ||
		    (rc = get_guid(&p->object_id, ld, o, path, "objectId")) ||
		    (rc = get_str(&p->display_name, ld, o, path, "displayName",
				  0)))
			return rc;
		for (j = 0; j < i; j++)
			if ((seed->principals[j].tenant == p->tenant &&
			     strcasecmp(seed->principals[j].client_id,
					p->client_id) == 0) ||
			    strcasecmp(seed->principals[j].object_id,
				       p->object_id) == 0)
				return fail(ld, path,
					    "duplicate clientId or objectId");
		if ((rc = load_credentials(p, ld, o, path)))
			return rc;
	}
	return AMLR_OK;
}

static amlr_code load_identities(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = { "tenantId", "clientId",
					       "objectId", "displayName",
					       NULL };
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN];
	size_t i, j, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, root, "$", "managedIdentities", 0);
	if (rc || !n)
		return rc;
	if (!(seed->identities = calloc(n, sizeof(*seed->identities))))
		return oom(ld);
	seed->nidentities = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_identity *m = &seed->identities[i];

		if ((rc = element(&o, path, ld, arr, "$", "managedIdentities",
				  i)) ||
		    (rc = only_members(ld, o, path, members)) ||
		    (rc = get_tenant(&m->tenant, ld, o, path, 0)) ||
		    (rc = get_guid(&m->client_id, ld, o, path, "clientId")) ||
		    (rc = get_guid(&m->object_id, ld, o, path, "objectId")) ||
		    (rc = get_str(&m->display_name, ld, o, path, "displayName",
				  0)))
			return rc;
		for (j = 0; j < seed->nprincipals; j++)
			if (strcasecmp(seed->principals[j].object_id,
				       m->object_id) == 0)
				return fail(ld, path, "duplicate objectId");
		for (j = 0; j < i; j++)
			if (strcasecmp(seed->identities[j].client_id,
				       m->client_id) == 0 ||
			    strcasecmp(seed->identities[j].object_id,
				       m->object_id) == 0)
				return fail(ld, path,
					    "duplicate clientId or objectId");
	}
	return AMLR_OK;
}

static amlr_code load_assignments(struct emu_seed_subscription *s,
				  struct loader *ld, const amlr_json *obj,
				  const char *parent)
{
	static const char *const members[] = { "principalId",
					       "roleDefinitionName", NULL };
	static const char *const roles[] = { "Reader", "Contributor", "Owner",
					     NULL };
	const amlr_json *arr, *e;
	char path[PATH_MAX_LEN];
	char *role = NULL;
	size_t i, n, r;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, obj, parent, "roleAssignments", 0);
	if (rc || !n)
		return rc;
	if (!(s->assignments = calloc(n, sizeof(*s->assignments))))
		return oom(ld);
	s->nassignments = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_assignment *a = &s->assignments[i];

		if ((rc = element(&e, path, ld, arr, parent, "roleAssignments",
				  i)) ||
		    (rc = only_members(ld, e, path, members)) ||
		    (rc = get_guid(&a->principal_id, ld, e, path,
				   "principalId")))
			return rc;
		if (!known_object(ld->seed, a->principal_id))
			return fail(ld, path,
				    "principal '%s' is neither a service "
				    "principal nor a managed identity",
				    a->principal_id);
		if ((rc = get_str(&role, ld, e, path, "roleDefinitionName", 1)))
			return rc;
		for (r = 0; roles[r] && strcasecmp(roles[r], role) != 0; r++)
			;
		free(role);
		role = NULL;
		if (!roles[r])
			return fail(ld, path,
				    "'roleDefinitionName' must be Owner, "
				    "Contributor or Reader");
		a->role = (enum emu_seed_role)r;
	}
	return AMLR_OK;
}

static amlr_code load_groups(struct emu_seed_subscription *s, struct loader *ld,
			     const amlr_json *obj, const char *parent)
{
	static const char *const members[] = { "name", "location", NULL };
	const amlr_json *arr, *e;
	char path[PATH_MAX_LEN];
	size_t i, j, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, obj, parent, "resourceGroups", 0);
	if (rc || !n)
		return rc;
	if (!(s->groups = calloc(n, sizeof(*s->groups))))
		return oom(ld);
	s->ngroups = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_group *g = &s->groups[i];

		if ((rc = element(&e, path, ld, arr, parent, "resourceGroups",
				  i)) ||
		    (rc = only_members(ld, e, path, members)) ||
		    (rc = get_str(&g->name, ld, e, path, "name", 1)) ||
		    (rc = get_str(&g->location, ld, e, path, "location", 1)))
			return rc;
		for (j = 0; j < i; j++)
			if (strcasecmp(s->groups[j].name, g->name) == 0)
				return fail(ld, path,
					    "duplicate resource group '%s'",
					    g->name);
	}
	return AMLR_OK;
}

static amlr_code load_subscriptions(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = { "id",
					       "tenantId",
					       "displayName",
					       "roleAssignments",
					       "resourceGroups",
					       NULL };
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN];
	size_t i, j, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, root, "$", "subscriptions", 0);
	if (rc || !n)
		return rc;
	if (!(seed->subscriptions = calloc(n, sizeof(*seed->subscriptions))))
		return oom(ld);
	seed->nsubscriptions = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_subscription *s = &seed->subscriptions[i];

		if ((rc = element(&o, path, ld, arr, "$", "subscriptions",
				  i)) ||
		    (rc = only_members(ld, o, path, members)) ||
		    (rc = get_guid(&s->id, ld, o, path, "id")) ||
		    (rc = get_tenant(&s->tenant, ld, o, path, 1)) ||
		    (rc = get_str(&s->display_name, ld, o, path, "displayName",
				  0)))
			return rc;
		for (j = 0; j < i; j++)
			if (strcasecmp(seed->subscriptions[j].id, s->id) == 0)
				return fail(ld, path,
					    "duplicate subscription '%s'",
					    s->id);
		if ((rc = load_assignments(s, ld, o, path)) ||
		    (rc = load_groups(s, ld, o, path)))
			return rc;
	}
	return AMLR_OK;
}

/* A storage account name as Azure allows: 3 to 24 lower-case letters, digits.
 */
static int storage_name_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");

	return s[n] == '\0' && n >= 3 && n <= 24;
}

/* A base64 key that decodes to at least 16 bytes. */
static int key_ok(const char *s)
{
	size_t n =
		strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789+/");

	n += strspn(s + n, "=");
	return s[n] == '\0' && n % 4 == 0 && n >= 24;
}

static amlr_code load_storage(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = { "name", "key", NULL };
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN];
	size_t i, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, root, "$", "storageAccounts", 0);
	if (rc || !n)
		return rc;
	if (!(seed->storage = calloc(n, sizeof(*seed->storage))))
		return oom(ld);
	seed->nstorage = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_storage *a = &seed->storage[i];

		if ((rc = element(&o, path, ld, arr, "$", "storageAccounts",
				  i)) ||
		    (rc = only_members(ld, o, path, members)) ||
		    (rc = get_str(&a->name, ld, o, path, "name", 1)) ||
		    (rc = get_str(&a->key, ld, o, path, "key", 1)))
			return rc;
		if (!storage_name_ok(a->name))
			return fail(ld, path,
				    "'name' must be 3 to 24 lower-case letters "
				    "and digits");
		if (!key_ok(a->key))
			return fail(ld, path, "'key' must be base64");
		if (emu_seed_storage(seed, a->name) != a) /* the first */
			return fail(ld, path, "duplicate storage account '%s'",
				    a->name);
	}
	return AMLR_OK;
}

/* Whether @p s is @p n lower-case hex digits. */
static int is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* Like get_str(), for a required 32-hex id. */
static amlr_code get_hex32(char **out, struct loader *ld, const amlr_json *obj,
			   const char *path, const char *key)
{
	amlr_code rc;

	if ((rc = get_str(out, ld, obj, path, key, 1)) != AMLR_OK)
		return rc;
	if (!is_hex(*out, 32))
		return fail(ld, path, "'%s' must be 32 lower-case hex digits",
			    key);
	return AMLR_OK;
}

/*
 * @p path made absolute (against the working directory) with its "." and
 * ".." segments resolved, as text: *out is the caller's.
 */
static amlr_code absolute(char **out, const char *path)
{
	amlr_buf b = AMLR_BUF_INIT;
	char cwd[4096], *p, *seg, *end;
	size_t cut;
	amlr_code rc;

	*out = NULL;
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return amlr_buf_puts(&b, path) == AMLR_OK &&
					       (*out = amlr_buf_detach(&b))
				       ? AMLR_OK
				       : AMLR_EFAIL;
		rc = amlr_buf_printf(&b, "%s/%s", cwd, path);
	} else {
		rc = amlr_buf_puts(&b, path);
	}
	if (rc != AMLR_OK)
		goto done;
	/* Rebuild in place: each segment appended after the kept ones. */
	p = b.ptr;
	cut = 0;
	for (seg = p + 1; seg && *seg; seg = end ? end + 1 : NULL) {
		end = strchr(seg, '/');
		if (end)
			*end = '\0';
		if (!*seg || strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			while (cut > 0 && p[cut] != '/')
				cut--;
			continue;
		}
		p[cut++] = '/';
		memmove(p + cut, seg, strlen(seg) + 1);
		cut += strlen(p + cut);
	}
	if (cut == 0)
		p[cut++] = '/';
	p[cut] = '\0';
	b.len = cut;
	if (!(*out = amlr_buf_detach(&b)))
		rc = AMLR_EFAIL;
done:
	amlr_buf_release(&b);
	return rc;
}

/*
 * File member @p key, resolved against the seed's directory and made
 * absolute: *out is NULL when absent and optional.
 */
static amlr_code get_file(char **out, struct loader *ld, const amlr_json *obj,
			  const char *path, const char *key, int required)
{
	amlr_buf full = AMLR_BUF_INIT;
	char *rel = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = get_str(&rel, ld, obj, path, key, required)) || !rel)
		return rc;
	if (rel[0] != '/' && ld->no_dir) {
		rc = amlr_error_set(
			ld->err, AMLR_EIO,
			"%s: %s: cannot find '%s': no manifests/emulator/ above the executable nor share/amlretrain/emulator/ beside it (use --seed FILE)",
			ld->file, path, rel);
		goto done;
	}
	if (rel[0] != '/' && ld->dir)
		rc = amlr_buf_printf(&full, "%s/%s", ld->dir, rel);
	else
		rc = amlr_buf_puts(&full, rel);
	if (rc != AMLR_OK) {
		rc = oom(ld);
		goto done;
	}
	if (absolute(out, full.ptr) != AMLR_OK)
		rc = oom(ld);
done:
	free(rel);
	amlr_buf_release(&full);
	return rc;
}

/* One web service: classic (@p classic, an "id") or Resource Manager. */
static amlr_code load_service(struct emu_seed_service *v, struct loader *ld,
			      const amlr_json *o, const char *path, int classic)
{
	static const char *const classic_members[] = {
		"id", "name", "description", "definition", "role", NULL
	};
	static const char *const arm_members[] = {
		"subscriptionId", "resourceGroup", "name",
		"definition",	  "role",	   NULL
	};
	const struct emu_seed_subscription *sub;
	amlr_code rc;

	if ((rc = only_members(ld, o, path,
			       classic ? classic_members : arm_members)) ||
	    (classic && (rc = get_hex32(&v->id, ld, o, path, "id"))) ||
	    (!classic &&
	     ((rc = get_guid(&v->subscription_id, ld, o, path,
			     "subscriptionId")) ||
	      (rc = get_str(&v->group, ld, o, path, "resourceGroup", 1)))) ||
	    (rc = get_str(&v->name, ld, o, path, "name", 1)) ||
	    (classic &&
	     (rc = get_str(&v->description, ld, o, path, "description", 0))) ||
	    (rc = get_file(&v->definition, ld, o, path, "definition", 1)) ||
	    (rc = get_str(&v->role, ld, o, path, "role", 0)))
		return rc;
	if (v->role && strcmp(v->role, "training") != 0 &&
	    strcmp(v->role, "predictive") != 0)
		return fail(ld, path, "'role' must be training or predictive");
	if (classic)
		return AMLR_OK;
	if (!(sub = emu_seed_subscription(ld->seed, v->subscription_id)))
		return fail(ld, path,
			    "subscription '%s' is not in "
			    "$.subscriptions",
			    v->subscription_id);
	if (!emu_seed_group(sub, v->group))
		return fail(ld, path,
			    "resource group '%s' is not in its "
			    "subscription",
			    v->group);
	return AMLR_OK;
}

static amlr_code load_services(struct emu_seed_service **out, size_t *nout,
			       struct loader *ld, const amlr_json *obj,
			       const char *parent, int classic)
{
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN];
	size_t i, j, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, obj, parent, "webServices", 0);
	if (rc || !n)
		return rc;
	if (!(*out = calloc(n, sizeof(**out))))
		return oom(ld);
	*nout = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_service *v = &(*out)[i];

		if ((rc = element(&o, path, ld, arr, parent, "webServices",
				  i)) ||
		    (rc = load_service(v, ld, o, path, classic)))
			return rc;
		for (j = 0; j < i; j++)
			if (classic ? strcmp((*out)[j].id, v->id) == 0
				    : strcasecmp((*out)[j].name, v->name) ==
						      0 &&
					      strcasecmp((*out)[j].group,
							 v->group) == 0)
				return fail(ld, path, "duplicate web service");
	}
	return AMLR_OK;
}

static amlr_code load_workspaces(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = {
		"id",	       "name", "location", "sku", "authorizationToken",
		"webServices", NULL
	};
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN], *sku = NULL;
	size_t i, j, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, root, "$", "workspaces", 0);
	if (rc || !n)
		return rc;
	if (!(seed->workspaces = calloc(n, sizeof(*seed->workspaces))))
		return oom(ld);
	seed->nworkspaces = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_workspace *w = &seed->workspaces[i];

		if ((rc = element(&o, path, ld, arr, "$", "workspaces", i)) ||
		    (rc = only_members(ld, o, path, members)) ||
		    (rc = get_hex32(&w->id, ld, o, path, "id")) ||
		    (rc = get_str(&w->name, ld, o, path, "name", 1)) ||
		    (rc = get_str(&w->location, ld, o, path, "location", 1)) ||
		    (rc = get_str(&w->token, ld, o, path, "authorizationToken",
				  1)) ||
		    (rc = get_str(&sku, ld, o, path, "sku", 1)))
			return rc;
		w->free_tier = strcmp(sku, "Free") == 0;
		if (!w->free_tier && strcmp(sku, "Standard") != 0)
			rc = fail(ld, path, "'sku' must be Free or Standard");
		free(sku);
		sku = NULL;
		if (rc)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(seed->workspaces[j].id, w->id) == 0)
				return fail(ld, path,
					    "duplicate workspace '%s'", w->id);
		if ((rc = load_services(&w->services, &w->nservices, ld, o,
					path, 1)))
			return rc;
		for (j = 0; j < w->nservices; j++) {
			size_t k, m;

			for (k = 0; k < i; k++)
				for (m = 0; m < seed->workspaces[k].nservices;
				     m++)
					if (strcmp(seed->workspaces[k]
							   .services[m]
							   .id,
						   w->services[j].id) == 0)
						return fail(
							ld, path,
							"web service '%s' is in two workspaces",
							w->services[j].id);
		}
	}
	return AMLR_OK;
}

static amlr_code load_models(struct loader *ld, const amlr_json *root)
{
	static const char *const members[] = { "storageAccount", "container",
					       "blob",		 "trainingData",
					       "label",		 NULL };
	struct emu_seed *seed = ld->seed;
	const amlr_json *arr, *o;
	char path[PATH_MAX_LEN];
	size_t i, n;
	amlr_code rc;

	rc = get_array(&arr, &n, ld, root, "$", "models", 0);
	if (rc || !n)
		return rc;
	if (!(seed->models = calloc(n, sizeof(*seed->models))))
		return oom(ld);
	seed->nmodels = n;
	for (i = 0; i < n; i++) {
		struct emu_seed_model *m = &seed->models[i];

		if ((rc = element(&o, path, ld, arr, "$", "models", i)) ||
		    (rc = only_members(ld, o, path, members)) ||
		    (rc = get_str(&m->account, ld, o, path, "storageAccount",
				  1)) ||
		    (rc = get_str(&m->container, ld, o, path, "container",
				  1)) ||
		    (rc = get_str(&m->blob, ld, o, path, "blob", 1)) ||
		    (rc = get_file(&m->data, ld, o, path, "trainingData", 1)) ||
		    (rc = get_str(&m->label, ld, o, path, "label", 1)))
			return rc;
		if (!emu_seed_storage(seed, m->account))
			return fail(ld, path,
				    "storage account '%s' is not in "
				    "$.storageAccounts",
				    m->account);
	}
	return AMLR_OK;
}

static amlr_code load(struct loader *ld, const char *text, size_t len)
{
	static const char *const members[] = { "$schema",
					       "tenants",
					       "servicePrincipals",
					       "managedIdentities",
					       "subscriptions",
					       "storageAccounts",
					       "workspaces",
					       "webServices",
					       "models",
					       "dataDirectory",
					       NULL };
	amlr_json *root = NULL;
	amlr_error perr = AMLR_ERROR_INIT;
	amlr_code rc;

	if ((rc = amlr_json_parse(&root, &perr, text, len)) != AMLR_OK) {
		rc = rc == AMLR_EINVAL ? fail(ld, "$", "%s", perr.message)
				       : oom(ld);
		goto done;
	}
	if (amlr_json_type_of(root) != AMLR_JSON_OBJECT) {
		rc = fail(ld, "$", "expected an object");
		goto done;
	}
	if ((rc = only_members(ld, root, "$", members)) ||
	    (rc = load_tenants(ld, root)) || (rc = load_principals(ld, root)) ||
	    (rc = load_identities(ld, root)) ||
	    (rc = load_subscriptions(ld, root)) ||
	    (rc = load_storage(ld, root)) || (rc = load_workspaces(ld, root)) ||
	    (rc = load_services(&ld->seed->services, &ld->seed->nservices, ld,
				root, "$", 0)) ||
	    (rc = load_models(ld, root)) ||
	    (rc = get_file(&ld->seed->data_dir, ld, root, "$", "dataDirectory",
			   0)))
		goto done;
done:
	amlr_json_free(root);
	return rc;
}

/*
 * The directory of the built-in seed's files: manifests/emulator/ in a
 * directory above the executable (a build tree), or
 * share/amlretrain/emulator/ beside the bin/ it is in (installed), or,
 * when the build defines AMLR_DATADIR (make install's DATADIR),
 * AMLR_DATADIR/amlretrain/emulator/.
 */
static amlr_code builtin_dir(char **out)
{
	static const char *const probes[] = {
		"/manifests/emulator/demo.json",
		"/share/amlretrain/emulator/demo.json", NULL
	};
	char exe[4096], *slash;
	amlr_buf probe = AMLR_BUF_INIT;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;
	size_t j;
	int i;
	amlr_code rc = AMLR_OK;

	*out = NULL;
	if (n <= 0)
		return AMLR_OK;
	exe[n] = '\0';
	for (i = 0; i < SEARCH_UP && !*out && (slash = strrchr(exe, '/'));
	     i++) {
		*slash = '\0';
		for (j = 0; probes[j] && !*out; j++) {
			amlr_buf_clear(&probe);
			if ((rc = amlr_buf_printf(&probe, "%s%s", exe,
						  probes[j])) != AMLR_OK)
				goto done;
			if (stat(probe.ptr, &st) != 0)
				continue;
			/* The directory of demo.json. */
			probe.ptr[probe.len - strlen("/demo.json")] = '\0';
			if (!(*out = strdup(probe.ptr)))
				rc = AMLR_EFAIL;
		}
	}
#ifdef AMLR_DATADIR
	/* An install whose data directory is not beside its bin/. */
	if (rc == AMLR_OK && !*out &&
	    stat(AMLR_DATADIR "/amlretrain/emulator/demo.json", &st) == 0 &&
	    !(*out = strdup(AMLR_DATADIR "/amlretrain/emulator")))
		rc = AMLR_EFAIL;
#endif
done:
	amlr_buf_release(&probe);
	return rc;
}

amlr_code emu_seed_new(struct emu_seed **out, amlr_error *err, const char *path)
{
	struct loader ld;
	amlr_buf text = AMLR_BUF_INIT, name = AMLR_BUF_INIT;
	char *dir = NULL, *slash;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.err = err;
	if (!(ld.seed = calloc(1, sizeof(*ld.seed)))) {
		rc = oom(&ld);
		goto done;
	}
	if (!path) {
		ld.file = "built-in seed";
		if (builtin_dir(&dir) != AMLR_OK) {
			rc = oom(&ld);
			goto done;
		}
		ld.dir = dir;
		ld.no_dir = !dir;
		rc = load(&ld, default_seed, sizeof(default_seed) - 1);
		goto done;
	}
	if (amlr_buf_printf(&name, "seed '%s'", path) != AMLR_OK ||
	    !(dir = strdup(path))) {
		rc = oom(&ld);
		goto done;
	}
	ld.file = name.ptr;
	if ((slash = strrchr(dir, '/'))) {
		slash[slash == dir] = '\0';
		ld.dir = dir;
	}
	if ((rc = amlr_file_read(&text, NULL, path, SEED_FILE_MAX))) {
		rc = amlr_error_set(err, AMLR_EIO, "cannot read seed '%s'",
				    path);
		goto done;
	}
	rc = load(&ld, text.ptr, text.len);
done:
	if (rc == AMLR_OK) {
		*out = ld.seed;
		ld.seed = NULL;
	}
	emu_seed_free(ld.seed);
	amlr_buf_release_secret(&text);
	amlr_buf_release(&name);
	free(dir);
	return rc;
}

static void services_free(struct emu_seed_service *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].subscription_id);
		free(v[i].group);
		free(v[i].name);
		free(v[i].description);
		free(v[i].definition);
		free(v[i].role);
	}
	free(v);
}

void emu_seed_free(struct emu_seed *seed)
{
	size_t i, j;

	if (!seed)
		return;
	for (i = 0; i < seed->ntenants; i++) {
		free(seed->tenants[i].id);
		free(seed->tenants[i].domain);
	}
	for (i = 0; i < seed->nprincipals; i++) {
		struct emu_seed_principal *p = &seed->principals[i];

		free(p->client_id);
		free(p->object_id);
		free(p->display_name);
		for (j = 0; j < p->nsecrets; j++)
			amlr_secret_free(p->secrets[j]);
		free(p->secrets);
		for (j = 0; j < p->ncerts; j++)
			X509_free(p->certs[j].x509);
		free(p->certs);
	}
	for (i = 0; i < seed->nidentities; i++) {
		free(seed->identities[i].client_id);
		free(seed->identities[i].object_id);
		free(seed->identities[i].display_name);
	}
	for (i = 0; i < seed->nsubscriptions; i++) {
		struct emu_seed_subscription *s = &seed->subscriptions[i];

		free(s->id);
		free(s->display_name);
		for (j = 0; j < s->nassignments; j++)
			free(s->assignments[j].principal_id);
		free(s->assignments);
		for (j = 0; j < s->ngroups; j++) {
			free(s->groups[j].name);
			free(s->groups[j].location);
		}
		free(s->groups);
	}
	for (i = 0; i < seed->nstorage; i++) {
		free(seed->storage[i].name);
		amlr_secret_free(seed->storage[i].key);
	}
	for (i = 0; i < seed->nworkspaces; i++) {
		struct emu_seed_workspace *w = &seed->workspaces[i];

		free(w->id);
		free(w->name);
		free(w->location);
		amlr_secret_free(w->token);
		services_free(w->services, w->nservices);
	}
	services_free(seed->services, seed->nservices);
	for (i = 0; i < seed->nmodels; i++) {
		free(seed->models[i].account);
		free(seed->models[i].container);
		free(seed->models[i].blob);
		free(seed->models[i].data);
		free(seed->models[i].label);
	}
	free(seed->workspaces);
	free(seed->models);
	free(seed->data_dir);
	free(seed->tenants);
	free(seed->principals);
	free(seed->identities);
	free(seed->subscriptions);
	free(seed->storage);
	free(seed);
}

const char *emu_seed_default_json(void)
{
	return default_seed;
}

const struct emu_seed_tenant *emu_seed_tenant(const struct emu_seed *seed,
					      const char *id_or_domain)
{
	return find_tenant(seed, id_or_domain, seed->ntenants);
}

const struct emu_seed_principal *
emu_seed_principal(const struct emu_seed *seed,
		   const struct emu_seed_tenant *tenant, const char *client_id)
{
	size_t i;

	for (i = 0; i < seed->nprincipals; i++)
		if (seed->principals[i].client_id &&
		    seed->principals[i].tenant == tenant &&
		    strcasecmp(seed->principals[i].client_id, client_id) == 0)
			return &seed->principals[i];
	return NULL;
}

const struct emu_seed_identity *emu_seed_identity(const struct emu_seed *seed,
						  const char *client_id,
						  const char *object_id)
{
	size_t i;

	if (!client_id && !object_id)
		return seed->nidentities ? &seed->identities[0] : NULL;
	for (i = 0; i < seed->nidentities; i++) {
		const struct emu_seed_identity *m = &seed->identities[i];

		if (client_id && m->client_id &&
		    strcasecmp(m->client_id, client_id) == 0)
			return m;
		if (!client_id && object_id && m->object_id &&
		    strcasecmp(m->object_id, object_id) == 0)
			return m;
	}
	return NULL;
}

const struct emu_seed_subscription *
emu_seed_subscription(const struct emu_seed *seed, const char *id)
{
	size_t i;

	for (i = 0; i < seed->nsubscriptions; i++)
		if (seed->subscriptions[i].id &&
		    strcasecmp(seed->subscriptions[i].id, id) == 0)
			return &seed->subscriptions[i];
	return NULL;
}

int emu_seed_role(const struct emu_seed_subscription *sub,
		  const char *object_id)
{
	size_t i;
	int role = -1;

	for (i = 0; i < sub->nassignments; i++)
		if (strcasecmp(sub->assignments[i].principal_id, object_id) ==
			    0 &&
		    (int)sub->assignments[i].role > role)
			role = (int)sub->assignments[i].role;
	return role;
}

int emu_seed_role_allows(enum emu_seed_role role, const char *method)
{
	if (role != EMU_ROLE_READER)
		return 1;
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

const struct emu_seed_group *
emu_seed_group(const struct emu_seed_subscription *sub, const char *name)
{
	size_t i;

	for (i = 0; i < sub->ngroups; i++)
		if (sub->groups[i].name &&
		    strcasecmp(sub->groups[i].name, name) == 0)
			return &sub->groups[i];
	return NULL;
}

const struct emu_seed_storage *emu_seed_storage(const struct emu_seed *seed,
						const char *name)
{
	size_t i;

	for (i = 0; i < seed->nstorage; i++)
		if (seed->storage[i].name &&
		    strcmp(seed->storage[i].name, name) == 0)
			return &seed->storage[i];
	return NULL;
}

const struct emu_seed_workspace *emu_seed_workspace(const struct emu_seed *seed,
						    const char *id)
{
	size_t i;

	for (i = 0; seed && id && i < seed->nworkspaces; i++)
		if (strcasecmp(seed->workspaces[i].id, id) == 0)
			return &seed->workspaces[i];
	return NULL;
}
