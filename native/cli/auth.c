/* SPDX-License-Identifier: MIT */
/* Building the cloud and the credential from the environment and options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cmd.h"
#include "out.h"

#define TOKEN_FILE_MAX (64 * 1024)

struct cli_auth {
	amlr_cloud cloud; /* with the environment's overrides */
	amlr_cloud *loaded; /* a profile file's cloud, or NULL */
	char *authority; /* overrides, with their trailing '/' */
	char *arm;
	int cloud_state; /* 0 not yet, 1 made, -1 failed (reported) */
	amlr_credential *cred;
	int cred_rc; /* the exit code when the credential failed */
	char *token; /* from --token-file: a secret */
	const char *token_origin;
	char *cache_path;
	int cache_state;
};

/* A variable's value; unset and empty are the same. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static struct cli_auth *auth_of(struct cli_ctx *ctx)
{
	if (!ctx->auth)
		ctx->auth = calloc(1, sizeof(*ctx->auth));
	return ctx->auth;
}

void cli_auth_release(struct cli_ctx *ctx)
{
	struct cli_auth *a = ctx->auth;

	if (!a)
		return;
	amlr_credential_free(a->cred);
	amlr_cloud_free(a->loaded);
	free(a->authority);
	free(a->arm);
	amlr_secret_free(a->token);
	free(a->cache_path);
	free(a);
	ctx->auth = NULL;
}

/* A copy of @p url ending in '/'; NULL without memory. */
static char *with_slash(const char *url)
{
	size_t n = strlen(url);
	char *s = malloc(n + 2);

	if (!s)
		return NULL;
	memcpy(s, url, n + 1);
	if (n && url[n - 1] != '/') {
		s[n] = '/';
		s[n + 1] = '\0';
	}
	return s;
}

static const char *cloud_choices(void)
{
	return "AzureCloud, AzureChinaCloud, AzureUSGovernment, or a profile file";
}

const amlr_cloud *cli_cloud(struct cli_ctx *ctx)
{
	struct cli_auth *a = auth_of(ctx);
	const char *name, *authority, *arm;
	const amlr_cloud *base = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	struct stat st;

	if (!a) {
		cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return NULL;
	}
	if (a->cloud_state)
		return a->cloud_state > 0 ? &a->cloud : NULL;
	a->cloud_state = -1;
	name = ctx->cloud_arg ? ctx->cloud_arg : env("AMLR_CLOUD");
	if (!name) {
		base = amlr_cloud_builtin("AzureCloud");
	} else if (!(base = amlr_cloud_builtin(name))) {
		if (stat(name, &st) != 0) {
			cli_failf(ctx, AMLR_EINVAL,
				  "unknown cloud '%s' (expected %s)", name,
				  cloud_choices());
			return NULL;
		}
		if (amlr_cloud_load(&a->loaded, &err, name) != AMLR_OK) {
			err.code = AMLR_EINVAL;
			cli_fail(ctx, &err);
			return NULL;
		}
		base = a->loaded;
	}
	a->cloud = *base;
	authority = env("AZURE_AUTHORITY_HOST");
	arm = env("AMLR_ARM_ENDPOINT");
	if ((authority && !(a->authority = with_slash(authority))) ||
	    (arm && !(a->arm = with_slash(arm)))) {
		cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return NULL;
	}
	if (a->authority)
		a->cloud.authority_host = a->authority;
	if (a->arm)
		a->cloud.arm_endpoint = a->arm;
	/* Endpoints of no named cloud: say so rather than borrow a name. */
	if (!a->loaded && ((a->authority &&
			    strcmp(a->authority, base->authority_host) != 0) ||
			   (a->arm && strcmp(a->arm, base->arm_endpoint) != 0)))
		a->cloud.name = "Custom";
	a->cloud_state = 1;
	return &a->cloud;
}

/* mkdir that accepts an existing directory. */
static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	return errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)
		       ? 0
		       : -1;
}

const char *cli_token_cache_path(struct cli_ctx *ctx)
{
	struct cli_auth *a = auth_of(ctx);
	const char *xdg = env("XDG_CACHE_HOME"), *home = env("HOME");
	char base[4096], dir[4200], file[4300];
	struct stat st;

	if (!a || a->cache_state)
		return a ? a->cache_path : NULL;
	a->cache_state = 1;
	/* XDG: a relative XDG_CACHE_HOME is invalid and ignored. */
	if (xdg && xdg[0] == '/')
		snprintf(base, sizeof(base), "%s", xdg);
	else if (home)
		snprintf(base, sizeof(base), "%s/.cache", home);
	else
		return NULL;
	snprintf(dir, sizeof(dir), "%s/amlretrain", base);
	snprintf(file, sizeof(file), "%s/tokens.json", dir);
	/* Without a private directory there is no cache, and no failure. */
	if (make_dir(base) != 0 || make_dir(dir) != 0 || lstat(dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    ((st.st_mode & 077) && chmod(dir, 0700) != 0))
		return NULL;
	a->cache_path = strdup(file);
	return a->cache_path;
}

/* AZURE_TOKEN_CREDENTIALS: which kinds the chain may use. */
static int token_credentials(unsigned *chain, const char *v)
{
	static const struct {
		const char *name;
		unsigned kinds;
	} names[] = {
		{ "dev", AMLR_CRED_BIT(AMLR_CRED_AZURE_CLI) },
		{ "prod", AMLR_CRED_BIT(AMLR_CRED_CLIENT_SECRET) |
				  AMLR_CRED_BIT(AMLR_CRED_CLIENT_CERTIFICATE) |
				  AMLR_CRED_BIT(AMLR_CRED_WORKLOAD_IDENTITY) |
				  AMLR_CRED_BIT(AMLR_CRED_MANAGED_IDENTITY) },
		{ "EnvironmentCredential",
		  AMLR_CRED_BIT(AMLR_CRED_CLIENT_SECRET) |
			  AMLR_CRED_BIT(AMLR_CRED_CLIENT_CERTIFICATE) },
		{ "WorkloadIdentityCredential",
		  AMLR_CRED_BIT(AMLR_CRED_WORKLOAD_IDENTITY) },
		{ "ManagedIdentityCredential",
		  AMLR_CRED_BIT(AMLR_CRED_MANAGED_IDENTITY) },
		{ "AzureCliCredential", AMLR_CRED_BIT(AMLR_CRED_AZURE_CLI) },
	};
	size_t i;

	*chain = 0;
	if (!v)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(v, names[i].name) == 0) {
			/* an explicit token is never excluded */
			*chain =
				names[i].kinds | AMLR_CRED_BIT(AMLR_CRED_TOKEN);
			return 0;
		}
	return -1;
}

/* The token of --token-file: its first line, without blanks. */
static int read_token_file(struct cli_ctx *ctx, struct cli_auth *a)
{
	amlr_buf buf = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	char *s, *e;
	int rc = 0;

	if (amlr_file_read(&buf, &err, ctx->token_file, TOKEN_FILE_MAX) !=
	    AMLR_OK) {
		err.code = AMLR_EINVAL;
		rc = cli_fail(ctx, &err);
		goto done;
	}
	for (s = buf.ptr; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n';
	     s++)
		;
	e = s + strcspn(s, "\r\n");
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == s) {
		rc = cli_failf(ctx, AMLR_EINVAL, "token file '%s' is empty",
			       ctx->token_file);
		goto done;
	}
	if (!(a->token = strndup(s, (size_t)(e - s)))) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	a->token_origin = "--token-file";
done:
	amlr_buf_release_secret(&buf);
	return rc;
}

static int truthy(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

amlr_credential *cli_credential(struct cli_ctx *ctx, int *rc)
{
	struct cli_auth *a = auth_of(ctx);
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	const amlr_cloud *cloud;
	const char *chain;

	*rc = 0;
	if (!a) {
		*rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		return NULL;
	}
	if (a->cred || a->cred_rc) {
		*rc = a->cred_rc;
		return a->cred;
	}
	a->cred_rc = AMLR_EINVAL;
	if (!(cloud = cli_cloud(ctx))) {
		*rc = a->cred_rc;
		return NULL;
	}
	chain = env("AZURE_TOKEN_CREDENTIALS");
	if (token_credentials(&o.chain, chain) != 0) {
		*rc = a->cred_rc = cli_failf(
			ctx, AMLR_EINVAL,
			"invalid AZURE_TOKEN_CREDENTIALS '%s' (expected dev, prod, EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential or AzureCliCredential)",
			chain);
		return NULL;
	}
	if (ctx->token_file) {
		if ((*rc = a->cred_rc = read_token_file(ctx, a)) != 0)
			return NULL;
		o.access_token = a->token;
	} else if ((o.access_token = env("AMLR_ACCESS_TOKEN"))) {
		a->token_origin = "AMLR_ACCESS_TOKEN";
	}
	o.authority_host = cloud->authority_host;
	o.tenant_id = env("AZURE_TENANT_ID");
	o.client_id = env("AZURE_CLIENT_ID");
	o.client_secret = env("AZURE_CLIENT_SECRET");
	o.certificate_path = env("AZURE_CLIENT_CERTIFICATE_PATH");
	o.certificate_password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD");
	o.send_certificate_chain =
		truthy(env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"));
	o.federated_token_file = env("AZURE_FEDERATED_TOKEN_FILE");
	o.identity_endpoint = env("IDENTITY_ENDPOINT");
	o.identity_header = env("IDENTITY_HEADER");
	o.msi_endpoint = env("MSI_ENDPOINT");
	o.msi_secret = env("MSI_SECRET");
	o.imds_env_endpoint = env("IMDS_ENDPOINT");
	/* As DefaultAzureCredential: AZURE_CLIENT_ID also names a
	 * user-assigned managed identity. */
	o.managed_identity_client_id = o.client_id;
	o.imds_endpoint = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	o.cache_path = cli_token_cache_path(ctx);
	if (amlr_credential_new(&a->cred, &err, &o) != AMLR_OK) {
		*rc = a->cred_rc = cli_fail(ctx, &err);
		return NULL;
	}
	a->cred_rc = 0;
	if (amlr_credential_kind_of(a->cred) != AMLR_CRED_TOKEN)
		a->token_origin = NULL;
	return a->cred;
}

const char *cli_token_origin(struct cli_ctx *ctx)
{
	return ctx->auth ? ctx->auth->token_origin : NULL;
}

int cli_token(char **token, time_t *expires, struct cli_ctx *ctx,
	      const char *resource)
{
	const amlr_cloud *cloud;
	amlr_credential *cred;
	amlr_client *client;
	int rc;

	*token = NULL;
	if (!(cloud = cli_cloud(ctx)))
		return AMLR_EINVAL;
	if (!(cred = cli_credential(ctx, &rc)))
		return rc;
	if (!resource)
		resource = cloud->arm_audience;
	if (ctx->debug && amlr_credential_kind_of(cred) != AMLR_CRED_TOKEN &&
	    amlr_credential_cached_token(NULL, NULL, cred, resource) == AMLR_OK)
		fprintf(stderr, "* token for %s from the cache\n", resource);
	if (!(client = cli_client(ctx)))
		return AMLR_EFAIL;
	if (amlr_credential_get_token(token, expires, cred, client, resource) !=
	    AMLR_OK)
		return cli_fail(ctx, amlr_credential_error(cred));
	return 0;
}

int cli_arm_token(char **token, struct cli_ctx *ctx)
{
	return cli_token(token, NULL, ctx, NULL);
}

const char *cli_subscription_default(void)
{
	return env("AZURE_SUBSCRIPTION_ID");
}

const char *cli_credential_kind_name(amlr_credential_kind kind)
{
	switch (kind) {
	case AMLR_CRED_TOKEN:
		return "accessToken";
	case AMLR_CRED_CLIENT_SECRET:
		return "clientSecret";
	case AMLR_CRED_CLIENT_CERTIFICATE:
		return "clientCertificate";
	case AMLR_CRED_WORKLOAD_IDENTITY:
		return "workloadIdentity";
	case AMLR_CRED_MANAGED_IDENTITY:
		return "managedIdentity";
	case AMLR_CRED_AZURE_CLI:
		return "azureCli";
	default:
		return "managedIdentityOrAzureCli";
	}
}

/* "2026-11-26T22:51:07Z", or JSON null for 0 (unknown). */
static amlr_code set_time(amlr_json *obj, const char *key, time_t t)
{
	char when[32];
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm))
		return amlr_json_set(obj, key, NULL);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return amlr_json_set_str(obj, key, when);
}

int cli_identity_json(amlr_json **out, struct cli_ctx *ctx, const char *token,
		      time_t expires, const char *resource)
{
	const amlr_cloud *cloud = cli_cloud(ctx);
	amlr_credential *cred;
	amlr_json *doc = NULL, *claims = NULL;
	amlr_credential_kind kind;
	const char *origin = cli_token_origin(ctx), *tenant, *client;
	char desc[128];
	int rc;

	*out = NULL;
	if (!cloud)
		return AMLR_EINVAL;
	if (!(cred = cli_credential(ctx, &rc)))
		return rc;
	kind = amlr_credential_kind_of(cred);
	/* Claims are shown, never trusted: they are not verified here. */
	if (token)
		amlr_credential_token_claims(&claims, NULL, token);
	tenant = amlr_json_get_str(claims, "tid");
	if (!tenant && kind != AMLR_CRED_TOKEN && kind != AMLR_CRED_AZURE_CLI)
		tenant = env("AZURE_TENANT_ID");
	client = amlr_json_get_str(claims, "appid");
	if (!client)
		client = amlr_json_get_str(claims, "azp");
	if (!client && (kind == AMLR_CRED_CLIENT_SECRET ||
			kind == AMLR_CRED_CLIENT_CERTIFICATE ||
			kind == AMLR_CRED_WORKLOAD_IDENTITY))
		client = env("AZURE_CLIENT_ID");
	if (origin)
		snprintf(desc, sizeof(desc), "%s (%s)",
			 amlr_credential_source(cred), origin);
	else
		snprintf(desc, sizeof(desc), "%s",
			 amlr_credential_source(cred));
	if (amlr_json_new_object(&doc) != AMLR_OK ||
	    amlr_json_set_str(doc, "source", cli_credential_kind_name(kind)) !=
		    AMLR_OK ||
	    amlr_json_set_str(doc, "sourceDescription", desc) != AMLR_OK ||
	    amlr_json_set_str(doc, "cloud", cloud->name) != AMLR_OK ||
	    amlr_json_set_str(doc, "tenantId", tenant) != AMLR_OK ||
	    amlr_json_set_str(doc, "clientId", client) != AMLR_OK ||
	    amlr_json_set_str(doc, "objectId",
			      amlr_json_get_str(claims, "oid")) != AMLR_OK ||
	    amlr_json_set_str(doc, "subscription",
			      cli_subscription_default()) != AMLR_OK ||
	    amlr_json_set_str(doc, "resource", resource) != AMLR_OK ||
	    set_time(doc, "expiresOn", expires) != AMLR_OK) {
		rc = cli_failf(ctx, AMLR_EFAIL, "out of memory");
		goto done;
	}
	*out = doc;
	doc = NULL;
	rc = 0;
done:
	amlr_json_free(claims);
	amlr_json_free(doc);
	return rc;
}
