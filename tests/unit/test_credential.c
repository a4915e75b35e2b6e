/* SPDX-License-Identifier: MIT */
/* Credentials: the chain's order, RS256 assertions, the token cache, and
 * every token source against a scripted loopback server
 * (notes/auth-storage.md §1). */
#define _GNU_SOURCE /* strcasestr, for reading recorded requests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "amlr/amlr.h"
#include "amlr/credential.h"
#include "helper_server.h"
#include "credential_internal.h"
#include "jwt.h"
#include "token_cache.h"

#define ARM "https://management.azure.com/"

/* --- the scripted loopback server: tests/unit/helper_server.c --------- */

/* A loopback port nothing listens on (bound, then released). */
static int unused_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static const char *reply(const char *status, const char *extra,
			 const char *body)
{
	static char pool[4 * TEST_MAX_REPLIES][4096];
	static int next;
	char *b = pool[next++ % (4 * TEST_MAX_REPLIES)];

	snprintf(b, sizeof(pool[0]),
		 "HTTP/1.1 %s\r\nConnection: close\r\n"
		 "Content-Type: application/json\r\n%s"
		 "Content-Length: %zu\r\n\r\n%s",
		 status, extra, strlen(body), body);
	return b;
}

static void header_of(char *out, size_t n, const char *req, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	out[0] = '\0';
	if (!(p = strcasestr(req, pat)))
		return;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	snprintf(out, n, "%.*s", (int)strcspn(p, "\r\n"), p);
}

/* The value of form field @p name in a request's body, still encoded. */
static void form_of(char *out, size_t n, const char *req, const char *name)
{
	const char *body = strstr(req, "\r\n\r\n"), *p;
	size_t nl = strlen(name);

	out[0] = '\0';
	for (p = body ? body + 4 : ""; p && *p; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			snprintf(out, n, "%.*s", (int)strcspn(p + nl + 1, "&"),
				 p + nl + 1);
			return;
		}
	}
}

static amlr_client *client(void)
{
	amlr_client_opts o = AMLR_CLIENT_OPTS_INIT;
	amlr_client *c = NULL;

	o.retry.max_attempts = 1;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	assert_int_equal(amlr_client_new(&c, &o), AMLR_OK);
	return c;
}

/* --- files -------------------------------------------------------------- */

static char tmpdir[256];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* --- certificates made for the tests ------------------------------------ */

static EVP_PKEY *rsa_key;
static X509 *cert;

static X509 *make_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"amlr-unit-test", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* PEM with the certificate and the key (encrypted when @p password). */
static void write_pem(const char *path, X509 *x, EVP_PKEY *key,
		      const char *password)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (password)
		assert_int_equal(PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(),
						      NULL, 0, NULL,
						      (void *)password),
				 1);
	else
		assert_int_equal(
			PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL),
			1);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_credential.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	rsa_key = EVP_RSA_gen(2048);
	if (!rsa_key)
		return -1;
	cert = make_cert(rsa_key);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(cert);
	EVP_PKEY_free(rsa_key);
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Standard base64 of OpenSSL turned into unpadded base64url. */
static void openssl_b64url(char *out, size_t n, const unsigned char *data,
			   size_t len)
{
	unsigned char buf[1024];
	size_t i, m;

	assert_true(4 * ((len + 2) / 3) < sizeof(buf));
	EVP_EncodeBlock(buf, data, (int)len);
	for (i = 0, m = 0; buf[i] && buf[i] != '=' && m + 1 < n; i++)
		out[m++] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : buf[i];
	out[m] = '\0';
}

/* Base64url text decoded by OpenSSL (not by the code under test). */
static size_t openssl_unb64url(unsigned char *out, size_t n, const char *s,
			       size_t len)
{
	char buf[2048];
	size_t i;
	int got;

	assert_true(len + 4 < sizeof(buf));
	for (i = 0; i < len; i++)
		buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		buf[i++] = '=';
	buf[i] = '\0';
	assert_true(3 * (i / 4) <= n);
	got = EVP_DecodeBlock(out, (unsigned char *)buf, (int)i);
	assert_true(got >= 0);
	return (size_t)got - (len % 4 == 2 ? 2 : len % 4 == 3 ? 1 : 0);
}

/* The JSON of a JWT part (0 header, 1 claims), decoded by OpenSSL. */
static amlr_json *jwt_part(const char *jwt, int part)
{
	unsigned char raw[2048];
	const char *p = jwt, *end;
	amlr_json *doc = NULL;
	size_t len;

	for (; part > 0; part--)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	len = openssl_unb64url(raw, sizeof(raw) - 1, p, (size_t)(end - p));
	assert_int_equal(amlr_json_parse(&doc, NULL, (char *)raw, len),
			 AMLR_OK);
	return doc;
}

static int64_t int_of(const amlr_json *obj, const char *key)
{
	int64_t v = -1;

	assert_true(amlr_json_int(&v, amlr_json_get(obj, key)));
	return v;
}

/* RS256 verified with the certificate's public key. */
static int signature_ok(const char *jwt, X509 *x)
{
	const char *sig = strrchr(jwt, '.') + 1;
	unsigned char raw[1024];
	size_t len = openssl_unb64url(raw, sizeof(raw), sig, strlen(sig));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	assert_int_equal(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL,
					      X509_get0_pubkey(x)),
			 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0);
	ok = EVP_DigestVerify(md, raw, len, (const unsigned char *)jwt,
			      (size_t)(sig - 1 - jwt)) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

/* --- the chain's order -------------------------------------------------- */

static amlr_credential_kind kind_for(const amlr_credential_opts *o,
				     const char **source)
{
	amlr_credential *c = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_credential_kind k;

	assert_int_equal(amlr_credential_new(&c, &err, o), AMLR_OK);
	k = amlr_credential_kind_of(c);
	if (source)
		*source = amlr_credential_source(c);
	amlr_credential_free(c);
	return k;
}

static void test_credential__chain_order(void **state)
{
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	const char *src;
	char agent[512];

	(void)state;
	o.arc_agent_file = "/nonexistent/himds";
	/* Nothing set: IMDS is probed, then the Azure CLI. */
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_CHAIN);
	assert_string_equal(src, "managed identity (IMDS) or Azure CLI");
	/* Managed identity settings beat the Azure CLI. */
	o.identity_endpoint = "http://127.0.0.1:1/msi/token";
	o.identity_header = "h";
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_MANAGED_IDENTITY);
	assert_string_equal(src, "managed identity (IDENTITY_ENDPOINT)");
	/* Workload identity beats managed identity. */
	o.tenant_id = "t";
	o.client_id = "c";
	o.federated_token_file = "/var/run/token";
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_WORKLOAD_IDENTITY);
	/* A certificate beats workload identity. */
	o.certificate_path = "/x/cert.pem";
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_CLIENT_CERTIFICATE);
	assert_string_equal(src, "environment (client certificate)");
	/* A secret beats a certificate (EnvironmentCredential's order). */
	o.client_secret = "s";
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_CLIENT_SECRET);
	assert_string_equal(src, "environment (client secret)");
	/* An explicit token beats everything. */
	o.access_token = "tok";
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_TOKEN);
	/* A service principal needs the tenant and the client id. */
	o.access_token = NULL;
	o.tenant_id = "";
	assert_int_equal(kind_for(&o, NULL), AMLR_CRED_MANAGED_IDENTITY);
	o.tenant_id = "t";
	o.client_id = NULL;
	assert_int_equal(kind_for(&o, NULL), AMLR_CRED_MANAGED_IDENTITY);
	/* chain limits the kinds: AZURE_TOKEN_CREDENTIALS=dev. */
	o.client_id = "c";
	o.chain = AMLR_CRED_BIT(AMLR_CRED_AZURE_CLI);
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_AZURE_CLI);
	assert_string_equal(src, "Azure CLI");
	o.chain = AMLR_CRED_BIT(AMLR_CRED_MANAGED_IDENTITY);
	assert_int_equal(kind_for(&o, NULL), AMLR_CRED_MANAGED_IDENTITY);
	o.chain = AMLR_CRED_BIT(AMLR_CRED_CLIENT_CERTIFICATE);
	assert_int_equal(kind_for(&o, NULL), AMLR_CRED_CLIENT_CERTIFICATE);
	/* Which managed identity: MSAL's detection order. */
	memset(&o, 0, sizeof(o));
	o.arc_agent_file = "/nonexistent/himds";
	o.msi_endpoint = "http://127.0.0.1:1/msi";
	o.msi_secret = "m";
	o.identity_endpoint = "http://127.0.0.1:1/id";
	o.imds_env_endpoint = "http://127.0.0.1:1";
	assert_int_equal(kind_for(&o, &src), AMLR_CRED_MANAGED_IDENTITY);
	assert_string_equal(src, "managed identity (MSI_ENDPOINT)");
	o.msi_secret = NULL;
	kind_for(&o, &src);
	assert_string_equal(src, "managed identity (Cloud Shell)");
	o.msi_endpoint = NULL;
	kind_for(&o, &src);
	assert_string_equal(src, "managed identity (Azure Arc)");
	o.imds_env_endpoint = NULL;
	assert_int_equal(kind_for(&o, NULL), AMLR_CRED_CHAIN);
	/* The Arc agent installed: Arc even without the variables. */
	path_in(agent, sizeof(agent), "himds");
	write_file(agent, "", 0755);
	o.arc_agent_file = agent;
	kind_for(&o, &src);
	assert_string_equal(src, "managed identity (Azure Arc)");
	/* Nothing allowed, nothing found. */
	memset(&o, 0, sizeof(o));
	o.chain = AMLR_CRED_BIT(AMLR_CRED_CLIENT_SECRET);
	{
		amlr_credential *c = NULL;
		amlr_error err = AMLR_ERROR_INIT;

		assert_int_equal(amlr_credential_new(&c, &err, &o), AMLR_EAUTH);
		assert_null(c);
		assert_non_null(strstr(err.message, "no credentials found"));
	}
}

static void test_credential__explicit_kind_needs_its_settings(void **state)
{
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_error err = AMLR_ERROR_INIT;

	(void)state;
	o.kind = AMLR_CRED_CLIENT_SECRET;
	o.tenant_id = "t";
	o.client_id = "c";
	assert_int_equal(amlr_credential_new(&c, &err, &o), AMLR_EAUTH);
	assert_non_null(strstr(err.message, "AZURE_CLIENT_SECRET"));
	o.kind = AMLR_CRED_TOKEN;
	assert_int_equal(amlr_credential_new(&c, &err, &o), AMLR_EAUTH);
	/* A tenant goes into a URL path: nothing but a name or GUID. */
	o.kind = AMLR_CRED_CHAIN;
	o.client_secret = "s";
	o.tenant_id = "../common?x=1";
	assert_int_equal(amlr_credential_new(&c, &err, &o), AMLR_EINVAL);
	assert_string_equal(err.message, "invalid tenant id '../common?x=1'");
	assert_null(c);
	amlr_credential_free(NULL);
}

/* --- RS256 client assertions -------------------------------------------- */

static void test_credential__b64url_known_answer(void **state)
{
	/* notes/auth-storage.md §1.3: SHA-1 84E05C1D... gives this x5t. */
	static const unsigned char sha1[20] = {
		0x84, 0xE0, 0x5C, 0x1D, 0x98, 0xBC, 0xE3, 0xA5, 0x42, 0x1D,
		0x22, 0x5B, 0x14, 0x0B, 0x36, 0xE8, 0x6A, 0x3D, 0x55, 0x34,
	};
	amlr_buf b = AMLR_BUF_INIT, d = AMLR_BUF_INIT;

	(void)state;
	assert_int_equal(amlr_jwt__b64url_encode(&b, sha1, sizeof(sha1)),
			 AMLR_OK);
	assert_string_equal(b.ptr, "hOBcHZi846VCHSJbFAs26Go9VTQ");
	assert_int_equal(amlr_jwt__b64url_decode(&d, b.ptr, b.len), AMLR_OK);
	assert_int_equal(d.len, sizeof(sha1));
	assert_memory_equal(d.ptr, sha1, sizeof(sha1));
	amlr_buf_clear(&d);
	assert_int_equal(amlr_jwt__b64url_decode(&d, "a*b", 3), AMLR_EINVAL);
	amlr_buf_release(&b);
	amlr_buf_release(&d);
}

static void test_credential__rs256_assertion_verifies(void **state)
{
	struct jwt_signer *s = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *hdr, *claims;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char pem[512], want[128], jti[64], *jwt = NULL, *jwt2 = NULL;
	const char *aud =
		"https://login.microsoftonline.com/t1/oauth2/v2.0/token";
	time_t now = 1700000000;

	(void)state;
	path_in(pem, sizeof(pem), "sp.pem");
	write_pem(pem, cert, rsa_key, NULL);
	assert_int_equal(amlr_jwt__signer_load(&s, &err, pem, NULL), AMLR_OK);
	assert_int_equal(
		amlr_jwt__client_assertion(&jwt, &err, s, aud, "app-1", now, 0),
		AMLR_OK);
	hdr = jwt_part(jwt, 0);
	claims = jwt_part(jwt, 1);
	assert_int_equal(amlr_json_len(hdr), 4);
	assert_string_equal(amlr_json_get_str(hdr, "alg"), "RS256");
	assert_string_equal(amlr_json_get_str(hdr, "typ"), "JWT");
	/* x5t: base64url of the SHA-1 of the DER certificate. */
	assert_int_equal(X509_digest(cert, EVP_sha1(), md, &mdlen), 1);
	openssl_b64url(want, sizeof(want), md, mdlen);
	assert_string_equal(amlr_json_get_str(hdr, "x5t"), want);
	assert_int_equal(strlen(want), 27);
	assert_int_equal(X509_digest(cert, EVP_sha256(), md, &mdlen), 1);
	openssl_b64url(want, sizeof(want), md, mdlen);
	assert_string_equal(amlr_json_get_str(hdr, "x5t#S256"), want);
	assert_string_equal(amlr_json_get_str(claims, "aud"), aud);
	assert_string_equal(amlr_json_get_str(claims, "iss"), "app-1");
	assert_string_equal(amlr_json_get_str(claims, "sub"), "app-1");
	assert_int_equal(strlen(amlr_json_get_str(claims, "jti")), 36);
	snprintf(jti, sizeof(jti), "%s", amlr_json_get_str(claims, "jti"));
	assert_int_equal(int_of(claims, "nbf"), now);
	assert_int_equal(int_of(claims, "iat"), now);
	assert_int_equal(int_of(claims, "exp"), now + 600);
	assert_true(signature_ok(jwt, cert));
	/* A changed byte breaks the signature. */
	jwt[10] = jwt[10] == 'A' ? 'B' : 'A';
	assert_false(signature_ok(jwt, cert));
	/* A fresh jti for every assertion; x5c on request. */
	assert_int_equal(amlr_jwt__client_assertion(&jwt2, &err, s, aud,
						    "app-1", now, 1),
			 AMLR_OK);
	amlr_json_free(claims);
	claims = jwt_part(jwt2, 1);
	amlr_json_free(hdr);
	hdr = jwt_part(jwt2, 0);
	assert_string_not_equal(amlr_json_get_str(claims, "jti"), jti);
	assert_int_equal(amlr_json_len(amlr_json_get(hdr, "x5c")), 1);
	assert_true(signature_ok(jwt2, cert));
	amlr_json_free(hdr);
	amlr_json_free(claims);
	amlr_secret_free(jwt);
	amlr_secret_free(jwt2);
	amlr_jwt__signer_free(s);
	amlr_jwt__signer_free(NULL);
}

static void test_credential__certificate_files(void **state)
{
	struct jwt_signer *s = NULL, *p12s = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	EVP_PKEY *other = EVP_RSA_gen(1024), *ec = EVP_EC_gen("P-256");
	X509 *ec_cert = make_cert(ec);
	PKCS12 *p12;
	FILE *f;
	char path[512], x5t[64];

	(void)state;
	/* An encrypted key needs its password, and the right one. */
	path_in(path, sizeof(path), "enc.pem");
	write_pem(path, cert, rsa_key, "pa55 word!");
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, "pa55 word!"),
			 AMLR_OK);
	snprintf(x5t, sizeof(x5t), "%s", amlr_jwt__signer_x5t(s));
	amlr_jwt__signer_free(s);
	s = NULL;
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, "wrong"),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "wrong password"));
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, NULL),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "no password was given"));
	assert_null(s);
	/* PKCS#12 (PFX) with a password: the same thumbprint. */
	path_in(path, sizeof(path), "sp.pfx");
	p12 = PKCS12_create("pfx-pw", "sp", rsa_key, cert, NULL, 0, 0, 0, 0, 0);
	assert_non_null(p12);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(i2d_PKCS12_fp(f, p12), 1);
	fclose(f);
	PKCS12_free(p12);
	assert_int_equal(amlr_jwt__signer_load(&p12s, &err, path, "pfx-pw"),
			 AMLR_OK);
	assert_string_equal(amlr_jwt__signer_x5t(p12s), x5t);
	amlr_jwt__signer_free(p12s);
	assert_int_equal(amlr_jwt__signer_load(&p12s, &err, path, "nope"),
			 AMLR_EINVAL);
	/* A key that is not the certificate's. */
	path_in(path, sizeof(path), "mismatch.pem");
	write_pem(path, cert, other, NULL);
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, NULL),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "does not match"));
	/* RS256 needs RSA. */
	path_in(path, sizeof(path), "ec.pem");
	write_pem(path, ec_cert, ec, NULL);
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, NULL),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "not an RSA key"));
	/* Only a key; nothing at all. */
	path_in(path, sizeof(path), "key-only.pem");
	assert_non_null(f = fopen(path, "w"));
	PEM_write_PrivateKey(f, rsa_key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, NULL),
			 AMLR_EINVAL);
	assert_non_null(strstr(err.message, "no certificate"));
	path_in(path, sizeof(path), "missing.pem");
	assert_int_equal(amlr_jwt__signer_load(&s, &err, path, NULL), AMLR_EIO);
	assert_null(s);
	X509_free(ec_cert);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other);
}

/* --- the token cache ---------------------------------------------------- */

static const struct token_key key_a = { "https://login.microsoftonline.com",
					"tenant-1", "client-1", ARM, "" };
static const struct token_key key_b = { "https://login.microsoftonline.com",
					"tenant-1", "client-1",
					"https://storage.azure.com/", "" };
/* key_a, signed in with another secret: never served key_a's token. */
static const struct token_key key_a_other = {
	"https://login.microsoftonline.com", "tenant-1", "client-1", ARM,
	"0123456789abcdef0123"
};

static size_t cache_entries(const char *path)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	size_t n;

	assert_int_equal(amlr_file_read(&text, NULL, path, 0), AMLR_OK);
	assert_int_equal(amlr_json_parse(&doc, NULL, text.ptr, text.len),
			 AMLR_OK);
	n = amlr_json_len(amlr_json_get(doc, "tokens"));
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_credential__cache_mode_expiry_and_margin(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	char path[512], lock[600], *tok = NULL;
	time_t now = time(NULL), exp = now + 3600, got = 0;

	(void)state;
	path_in(path, sizeof(path), "cache-expiry.json");
	snprintf(lock, sizeof(lock), "%s.lock", path);
	assert_int_equal(amlr_token_cache__get(&tok, &got, path, &key_a, now),
			 AMLR_ENOTFOUND);
	assert_int_equal(
		amlr_token_cache__put(&err, path, &key_a, "tok-A", exp, now),
		AMLR_OK);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(lock), 0600);
	assert_int_equal(amlr_token_cache__get(&tok, &got, path, &key_a, now),
			 AMLR_OK);
	assert_string_equal(tok, "tok-A");
	assert_int_equal(got, exp);
	amlr_secret_free(tok);
	/* Served while more than five minutes remain, refreshed after. */
	assert_int_equal(
		amlr_token_cache__get(NULL, NULL, path, &key_a, exp - 301),
		AMLR_OK);
	assert_int_equal(
		amlr_token_cache__get(NULL, NULL, path, &key_a, exp - 300),
		AMLR_ENOTFOUND);
	assert_int_equal(amlr_token_cache__get(NULL, NULL, path, &key_b, now),
			 AMLR_ENOTFOUND);
	/* Another secret for the same principal is not served its token:
	 * a wrong secret must fail, not ride on a cached sign-in. */
	assert_int_equal(
		amlr_token_cache__get(NULL, NULL, path, &key_a_other, now),
		AMLR_ENOTFOUND);
	/* Keys are kept apart; a new token replaces its key's old one. */
	assert_int_equal(
		amlr_token_cache__put(&err, path, &key_b, "tok-B", exp, now),
		AMLR_OK);
	assert_int_equal(amlr_token_cache__put(&err, path, &key_a, "tok-A2",
					       exp + 10, now),
			 AMLR_OK);
	assert_int_equal(cache_entries(path), 2);
	assert_int_equal(amlr_token_cache__get(&tok, &got, path, &key_a, now),
			 AMLR_OK);
	assert_string_equal(tok, "tok-A2");
	amlr_secret_free(tok);
	assert_int_equal(amlr_token_cache__get(&tok, NULL, path, &key_b, now),
			 AMLR_OK);
	assert_string_equal(tok, "tok-B");
	amlr_secret_free(tok);
	/* Expired entries are dropped by the next write. */
	assert_int_equal(amlr_token_cache__put(&err, path, &key_b, "tok-B2",
					       exp + 7200, exp + 20),
			 AMLR_OK);
	assert_int_equal(cache_entries(path), 1);
	assert_int_equal(mode_of(path), 0600);
}

static void test_credential__cache_unusable_file_is_replaced(void **state)
{
	amlr_error err = AMLR_ERROR_INIT;
	char path[512], other[512], *tok = NULL;
	time_t now = time(NULL);

	(void)state;
	path_in(path, sizeof(path), "cache-corrupt.json");
	/* Corrupt: ignored, then replaced by a good file. */
	write_file(path, "{\"version\":1,\"tokens\":[{\"accessTo", 0600);
	assert_int_equal(amlr_token_cache__get(&tok, NULL, path, &key_a, now),
			 AMLR_ENOTFOUND);
	assert_int_equal(amlr_token_cache__put(&err, path, &key_a, "tok-A",
					       now + 3600, now),
			 AMLR_OK);
	assert_int_equal(amlr_token_cache__get(&tok, NULL, path, &key_a, now),
			 AMLR_OK);
	assert_string_equal(tok, "tok-A");
	amlr_secret_free(tok);
	assert_int_equal(cache_entries(path), 1);
	/* Readable by others: not trusted; rewritten 0600. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(amlr_token_cache__get(NULL, NULL, path, &key_a, now),
			 AMLR_ENOTFOUND);
	assert_int_equal(amlr_token_cache__put(&err, path, &key_b, "tok-B",
					       now + 3600, now),
			 AMLR_OK);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(cache_entries(path), 1);
	/* Another version, or a symbolic link: ignored. */
	write_file(path, "{\"version\":2,\"tokens\":[]}", 0600);
	assert_int_equal(amlr_token_cache__get(NULL, NULL, path, &key_b, now),
			 AMLR_ENOTFOUND);
	path_in(other, sizeof(other), "cache-elsewhere.json");
	assert_int_equal(amlr_token_cache__put(&err, other, &key_a, "tok-X",
					       now + 3600, now),
			 AMLR_OK);
	unlink(path);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(amlr_token_cache__get(NULL, NULL, path, &key_a, now),
			 AMLR_ENOTFOUND);
	/* The put replaces the link, not its target. */
	assert_int_equal(amlr_token_cache__put(&err, path, &key_b, "tok-B",
					       now + 3600, now),
			 AMLR_OK);
	{
		struct stat st;

		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
	}
	assert_int_equal(cache_entries(other), 1);
	assert_int_equal(amlr_token_cache__get(&tok, NULL, other, &key_a, now),
			 AMLR_OK);
	assert_string_equal(tok, "tok-X");
	amlr_secret_free(tok);
}

static void test_credential__cache_concurrent_writers(void **state)
{
	enum { PROCS = 4, EACH = 25 };
	char path[512], client_id[32];
	struct token_key k = key_a;
	time_t now = time(NULL);
	pid_t pids[PROCS];
	int i, j, status, ok;

	(void)state;
	path_in(path, sizeof(path), "cache-concurrent.json");
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			ok = 1;
			for (j = 0; j < EACH; j++) {
				snprintf(client_id, sizeof(client_id), "c%d-%d",
					 i, j);
				k.client = client_id;
				ok &= amlr_token_cache__put(NULL, path, &k,
							    "tok", now + 3600,
							    now) == AMLR_OK;
			}
			_exit(ok ? 0 : 1);
		}
	}
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* Nobody lost anybody's token. */
	assert_int_equal(cache_entries(path), PROCS * EACH);
	for (i = 0; i < PROCS; i++)
		for (j = 0; j < EACH; j++) {
			snprintf(client_id, sizeof(client_id), "c%d-%d", i, j);
			k.client = client_id;
			assert_int_equal(amlr_token_cache__get(NULL, NULL, path,
							       &k, now),
					 AMLR_OK);
		}
}

/* --- tokens from each source, over a scripted server -------------------- */

static const char entra_ok[] =
	"{\"token_type\":\"Bearer\",\"expires_in\":3599,"
	"\"ext_expires_in\":3599,\"access_token\":\"eyJ0.sp-token.sig\"}";

static void base_url(char *out, size_t n, const struct test_server *s,
		     const char *path)
{
	snprintf(out, n, "http://127.0.0.1:%d%s", s->port, path);
}

static void test_credential__secret_token_then_cache(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL, *c2 = NULL;
	amlr_client *cl = client();
	amlr_buf text = AMLR_BUF_INIT;
	char authority[128], cache[512], v[256], *tok = NULL;
	time_t now = time(NULL), exp = 0;

	(void)state;
	s.replies[0] = reply("200 OK", "", entra_ok);
	s.nreplies = 1;
	test_server_start(&s);
	base_url(authority, sizeof(authority), &s, "/");
	path_in(cache, sizeof(cache), "tokens-secret.json");
	o.authority_host = authority;
	o.tenant_id = "tenant-1";
	o.client_id = "client-1";
	o.client_secret = "s3cr~t+/=&x";
	o.cache_path = cache;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_OK);
	assert_string_equal(tok, "eyJ0.sp-token.sig");
	/* expires_in as a number: seconds from now */
	assert_true(exp >= now + 3599 && exp <= now + 3599 + 5);
	amlr_secret_free(tok);
	assert_non_null(strstr(s.requests[0],
			       "POST /tenant-1/oauth2/v2.0/token HTTP/1.1"));
	header_of(v, sizeof(v), s.requests[0], "content-type");
	assert_string_equal(v, "application/x-www-form-urlencoded");
	form_of(v, sizeof(v), s.requests[0], "grant_type");
	assert_string_equal(v, "client_credentials");
	form_of(v, sizeof(v), s.requests[0], "client_id");
	assert_string_equal(v, "client-1");
	form_of(v, sizeof(v), s.requests[0], "scope");
	assert_string_equal(v, "https%3A%2F%2Fmanagement.azure.com%2F.default");
	form_of(v, sizeof(v), s.requests[0], "client_secret");
	assert_string_equal(v, "s3cr~t%2B%2F%3D%26x");
	/* Again: from memory; a new credential (process): from the file. */
	assert_int_equal(
		amlr_credential_get_token(&tok, NULL, c, cl, ARM ".default"),
		AMLR_OK);
	amlr_secret_free(tok);
	assert_int_equal(amlr_credential_new(&c2, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_cached_token(NULL, &exp, c2, ARM),
			 AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c2, cl, ARM),
			 AMLR_OK);
	assert_string_equal(tok, "eyJ0.sp-token.sig");
	amlr_secret_free(tok);
	assert_int_equal(amlr_credential_cached_token(
				 NULL, NULL, c2, "https://storage.azure.com/"),
			 AMLR_ENOTFOUND);
	test_server_stop(&s);
	assert_int_equal(s.served, 1);
	/* The cache holds the token, never the secret; mode 0600. */
	assert_int_equal(mode_of(cache), 0600);
	assert_int_equal(amlr_file_read(&text, NULL, cache, 0), AMLR_OK);
	assert_null(strstr(text.ptr, "s3cr"));
	assert_non_null(strstr(text.ptr, "\"tenant\":\"tenant-1\""));
	amlr_buf_release(&text);
	amlr_credential_free(c2);
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__bad_secret_is_auth_error(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	const amlr_error *e;
	char authority[128], *tok = NULL;

	(void)state;
	s.replies[0] =
		reply("401 Unauthorized", "",
		      "{\"error\":\"invalid_client\",\"error_description\":"
		      "\"AADSTS7000215: Invalid client secret provided.\\r\\n"
		      "Trace ID: 0e5e\\r\\nCorrelation ID: 77c1\","
		      "\"error_codes\":[7000215],\"trace_id\":\"0e5e\"}");
	s.nreplies = 1;
	test_server_start(&s);
	base_url(authority, sizeof(authority), &s, "");
	o.authority_host = authority; /* no trailing slash: one is added */
	o.tenant_id = "tenant-1";
	o.client_id = "client-1";
	o.client_secret = "wrong";
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c, cl, ARM),
			 AMLR_EAUTH);
	assert_null(tok);
	e = amlr_credential_error(c);
	assert_int_equal(e->code, AMLR_EAUTH);
	assert_int_equal(e->http_status, 401);
	assert_string_equal(e->service_code, "invalid_client");
	assert_string_equal(e->message,
			    "AADSTS7000215: Invalid client secret provided.");
	/* The client carries the same error, for callers that report it. */
	assert_int_equal(amlr_client_error(cl)->code, AMLR_EAUTH);
	assert_string_equal(amlr_client_error(cl)->message, e->message);
	test_server_stop(&s);
	assert_non_null(strstr(s.requests[0], "POST /tenant-1/oauth2/v2.0/"));
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__certificate_assertion_sent(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	amlr_json *claims;
	char authority[128], url[192], pem[512], v[4096], *tok = NULL;

	(void)state;
	s.replies[0] = reply("200 OK", "", entra_ok);
	s.nreplies = 1;
	test_server_start(&s);
	base_url(authority, sizeof(authority), &s, "/");
	base_url(url, sizeof(url), &s, "/tenant-2/oauth2/v2.0/token");
	path_in(pem, sizeof(pem), "sp-cert.pem");
	write_pem(pem, cert, rsa_key, "pem-pw");
	o.authority_host = authority;
	o.tenant_id = "tenant-2";
	o.client_id = "client-2";
	o.certificate_path = pem;
	o.certificate_password = "pem-pw";
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c, cl, ARM),
			 AMLR_OK);
	amlr_secret_free(tok);
	test_server_stop(&s);
	form_of(v, sizeof(v), s.requests[0], "client_assertion_type");
	assert_string_equal(
		v,
		"urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer");
	form_of(v, sizeof(v), s.requests[0], "client_secret");
	assert_string_equal(v, "");
	form_of(v, sizeof(v), s.requests[0], "client_assertion");
	/* aud is the very URL the assertion was posted to. */
	claims = jwt_part(v, 1);
	assert_string_equal(amlr_json_get_str(claims, "aud"), url);
	assert_string_equal(amlr_json_get_str(claims, "iss"), "client-2");
	assert_true(signature_ok(v, cert));
	amlr_json_free(claims);
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__workload_identity_file(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char authority[128], file[512], v[512], *tok = NULL;

	(void)state;
	s.replies[0] = reply("200 OK", "", entra_ok);
	s.nreplies = 1;
	test_server_start(&s);
	base_url(authority, sizeof(authority), &s, "/");
	path_in(file, sizeof(file), "federated-token");
	write_file(file, "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl\n", 0600);
	o.authority_host = authority;
	o.tenant_id = "tenant-3";
	o.client_id = "client-3";
	o.federated_token_file = file;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_string_equal(amlr_credential_source(c),
			    "workload identity (federated token file)");
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c, cl, ARM),
			 AMLR_OK);
	amlr_secret_free(tok);
	test_server_stop(&s);
	form_of(v, sizeof(v), s.requests[0], "client_assertion");
	assert_string_equal(v, "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl");
	amlr_credential_free(c);
	amlr_client_free(cl);
}

/* App Service / Automation: expires_on as an epoch string. */
static void test_credential__identity_endpoint(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char endpoint[128], body[256], v[256], cache[512], *tok = NULL;
	time_t exp = 0, on = time(NULL) + 7200;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"access_token\":\"mi-token\",\"expires_on\":\"%lld\","
		 "\"resource\":\"" ARM "\",\"token_type\":\"Bearer\","
		 "\"client_id\":\"uami-1\"}",
		 (long long)on);
	s.replies[0] = reply("200 OK", "", body);
	s.nreplies = 1;
	test_server_start(&s);
	base_url(endpoint, sizeof(endpoint), &s, "/msi/token");
	path_in(cache, sizeof(cache), "tokens-mi.json");
	o.identity_endpoint = endpoint;
	o.identity_header = "id-header-secret";
	o.managed_identity_client_id = "uami-1";
	o.cache_path = cache;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(
		amlr_credential_get_token(&tok, &exp, c, cl, ARM ".default"),
		AMLR_OK);
	assert_string_equal(tok, "mi-token");
	assert_int_equal(exp, on);
	amlr_secret_free(tok);
	test_server_stop(&s);
	assert_non_null(strstr(
		s.requests[0],
		"GET /msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F&client_id=uami-1 HTTP/1.1"));
	header_of(v, sizeof(v), s.requests[0], "x-identity-header");
	assert_string_equal(v, "id-header-secret");
	/* Cached per endpoint and identity. */
	amlr_credential_free(c);
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_cached_token(&tok, NULL, c, ARM),
			 AMLR_OK);
	assert_string_equal(tok, "mi-token");
	amlr_secret_free(tok);
	amlr_credential_free(c);
	amlr_client_free(cl);
}

/* Collects a client's trace. */
static void collect_trace(amlr_trace_kind kind, const char *text, size_t len,
			  void *payload)
{
	(void)kind;
	amlr_buf_put(payload, text, len);
	amlr_buf_puts(payload, "\n");
}

/* Legacy MSI: header `secret`, clientid, expires_on as a number. */
static void test_credential__legacy_msi_endpoint(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	amlr_buf trace = AMLR_BUF_INIT;
	char endpoint[128], body[256], v[256], *tok = NULL;
	time_t exp = 0, on = time(NULL) + 600;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"access_token\":\"msi-token\",\"expires_on\":%lld}",
		 (long long)on);
	s.replies[0] = reply("200 OK", "", body);
	s.nreplies = 1;
	test_server_start(&s);
	base_url(endpoint, sizeof(endpoint), &s, "/MSI/token/");
	amlr_client_set_trace_cb(cl, collect_trace, &trace);
	o.msi_endpoint = endpoint;
	o.msi_secret = "msi-secret";
	o.managed_identity_client_id = "uami-2";
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_OK);
	assert_int_equal(exp, on);
	amlr_secret_free(tok);
	test_server_stop(&s);
	assert_non_null(strstr(s.requests[0],
			       "GET /MSI/token/?api-version=2017-09-01&"));
	assert_non_null(strstr(s.requests[0], "&clientid=uami-2 HTTP/1.1"));
	header_of(v, sizeof(v), s.requests[0], "secret");
	assert_string_equal(v, "msi-secret");
	/* --debug shows neither the secret nor the token. */
	assert_non_null(strstr(trace.ptr, "secret: REDACTED"));
	assert_null(strstr(trace.ptr, "msi-secret"));
	assert_null(strstr(trace.ptr, "msi-token"));
	amlr_buf_release(&trace);
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__azure_arc_challenge(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char endpoint[128], imds[128], keys[512], key[600], realm[700];
	char v[256], *tok = NULL;

	(void)state;
	path_in(keys, sizeof(keys), "azcmagent-tokens");
	assert_int_equal(mkdir(keys, 0700), 0);
	snprintf(key, sizeof(key), "%s/0b7e.key", keys);
	write_file(key, "arc-challenge-secret", 0600);
	snprintf(realm, sizeof(realm), "WWW-Authenticate: Basic realm=%s\r\n",
		 key);
	s.replies[0] = reply("401 Unauthorized", realm, "");
	s.replies[1] =
		reply("200 OK", "",
		      "{\"access_token\":\"arc-token\",\"expires_in\":\"3600\","
		      "\"expires_on\":\"1\",\"token_type\":\"Bearer\"}");
	s.nreplies = 2;
	test_server_start(&s);
	base_url(endpoint, sizeof(endpoint), &s,
		 "/metadata/identity/oauth2/token");
	base_url(imds, sizeof(imds), &s, "");
	o.identity_endpoint = endpoint;
	o.imds_env_endpoint = imds;
	o.arc_key_dir = keys;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_string_equal(amlr_credential_source(c),
			    "managed identity (Azure Arc)");
	/* expires_in (a string) wins over expires_on */
	{
		time_t now = time(NULL), exp = 0;

		assert_int_equal(
			amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			AMLR_OK);
		assert_true(exp >= now + 3600 && exp <= now + 3605);
	}
	assert_string_equal(tok, "arc-token");
	amlr_secret_free(tok);
	test_server_stop(&s);
	assert_non_null(strstr(
		s.requests[0],
		"GET /metadata/identity/oauth2/token?api-version=2020-06-01&resource="));
	header_of(v, sizeof(v), s.requests[0], "metadata");
	assert_string_equal(v, "true");
	header_of(v, sizeof(v), s.requests[0], "authorization");
	assert_string_equal(v, "");
	header_of(v, sizeof(v), s.requests[1], "authorization");
	assert_string_equal(v, "Basic arc-challenge-secret");
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__azure_arc_refuses_foreign_file(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char endpoint[128], keys[512], key[600], realm[700], *tok = NULL;

	(void)state;
	path_in(keys, sizeof(keys), "arc-keys-2");
	assert_int_equal(mkdir(keys, 0700), 0);
	/* A file outside the agent's directory: never read or sent. */
	path_in(key, sizeof(key), "elsewhere.key");
	write_file(key, "not-for-you", 0600);
	snprintf(realm, sizeof(realm), "WWW-Authenticate: Basic realm=%s\r\n",
		 key);
	s.replies[0] = reply("401 Unauthorized", realm, "");
	s.nreplies = 1;
	test_server_start(&s);
	base_url(endpoint, sizeof(endpoint), &s,
		 "/metadata/identity/oauth2/token");
	o.identity_endpoint = endpoint;
	o.imds_env_endpoint = endpoint;
	o.arc_key_dir = keys;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c, cl, ARM),
			 AMLR_EAUTH);
	assert_non_null(strstr(amlr_credential_error(c)->message, "refusing"));
	test_server_stop(&s);
	assert_int_equal(s.served, 1);
	amlr_credential_free(c);
	amlr_client_free(cl);
}

/* Nothing configured: IMDS answers the probe. */
static void test_credential__chain_finds_imds(void **state)
{
	struct test_server s = { 0 };
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char imds[128], v[64], *tok = NULL;

	(void)state;
	s.replies[0] = reply("200 OK", "",
			     "{\"access_token\":\"imds-token\","
			     "\"refresh_token\":\"\",\"expires_in\":\"3599\","
			     "\"token_type\":\"Bearer\"}");
	s.nreplies = 1;
	test_server_start(&s);
	base_url(imds, sizeof(imds), &s, "/");
	o.imds_endpoint = imds;
	o.arc_agent_file = "/nonexistent/himds";
	o.az_path = "/nonexistent/az";
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_kind_of(c), AMLR_CRED_CHAIN);
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c, cl, ARM),
			 AMLR_OK);
	assert_string_equal(tok, "imds-token");
	assert_int_equal(amlr_credential_kind_of(c),
			 AMLR_CRED_MANAGED_IDENTITY);
	assert_string_equal(amlr_credential_source(c),
			    "managed identity (IMDS)");
	amlr_secret_free(tok);
	test_server_stop(&s);
	assert_non_null(strstr(
		s.requests[0],
		"GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F HTTP/1.1"));
	header_of(v, sizeof(v), s.requests[0], "metadata");
	assert_string_equal(v, "true");
	amlr_credential_free(c);
	amlr_client_free(cl);
}

/* A fake az that records its arguments and prints @p output. */
static void fake_az(char *out, size_t n, const char *name, const char *script)
{
	char text[2048];

	path_in(out, n, name);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s.args'\n%s\n", out,
		 script);
	write_file(out, text, 0755);
}

static void test_credential__chain_falls_back_to_azure_cli(void **state)
{
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	amlr_buf args = AMLR_BUF_INIT;
	char imds[128], az[512], argsf[600], *tok = NULL;
	time_t exp = 0;

	(void)state;
	snprintf(imds, sizeof(imds), "http://127.0.0.1:%d", unused_port());
	fake_az(az, sizeof(az), "az-ok",
		"echo '{\"accessToken\":\"az-token\","
		"\"expiresOn\":\"2099-01-01 00:00:00.000000\","
		"\"expires_on\":4070908800,\"subscription\":\"sub\","
		"\"tenant\":\"ten\",\"tokenType\":\"Bearer\"}'");
	o.imds_endpoint = imds;
	o.arc_agent_file = "/nonexistent/himds";
	o.az_path = az;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_OK);
	assert_string_equal(tok, "az-token");
	assert_int_equal(exp, 4070908800);
	assert_int_equal(amlr_credential_kind_of(c), AMLR_CRED_AZURE_CLI);
	amlr_secret_free(tok);
	snprintf(argsf, sizeof(argsf), "%s.args", az);
	assert_int_equal(amlr_file_read(&args, NULL, argsf, 0), AMLR_OK);
	assert_string_equal(args.ptr, "account\nget-access-token\n--output\n"
				      "json\n--resource\n" ARM "\n");
	amlr_buf_release(&args);
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__azure_cli_outputs(void **state)
{
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char az[512], *tok = NULL;
	struct tm tm;
	time_t exp = 0;

	(void)state;
	o.kind = AMLR_CRED_AZURE_CLI;
	/* Older CLIs: only expiresOn, in local time. */
	fake_az(az, sizeof(az), "az-old",
		"echo '{\"accessToken\":\"az-old\","
		"\"expiresOn\":\"2098-07-01 13:14:15.123456\"}'");
	o.az_path = az;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_OK);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 198;
	tm.tm_mon = 6;
	tm.tm_mday = 1;
	tm.tm_hour = 13;
	tm.tm_min = 14;
	tm.tm_sec = 15;
	tm.tm_isdst = -1;
	assert_int_equal(exp, mktime(&tm));
	amlr_secret_free(tok);
	amlr_credential_free(c);
	/* Not signed in: az's own complaint, exit 3. */
	fake_az(az, sizeof(az), "az-nologin",
		"echo \"ERROR: Please run 'az login' to setup account.\" >&2\n"
		"exit 1");
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_EAUTH);
	assert_string_equal(
		amlr_credential_error(c)->message,
		"azure cli: ERROR: Please run 'az login' to setup account.");
	amlr_credential_free(c);
	/* Not JSON. */
	fake_az(az, sizeof(az), "az-text", "echo 'hello'");
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_EAUTH);
	assert_non_null(
		strstr(amlr_credential_error(c)->message, "unexpected output"));
	amlr_credential_free(c);
	/* Too slow. */
	fake_az(az, sizeof(az), "az-slow", "exec sleep 5");
	o.az_timeout_ms = 300;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, cl, ARM),
			 AMLR_EAUTH);
	assert_non_null(
		strstr(amlr_credential_error(c)->message, "did not finish"));
	amlr_credential_free(c);
	amlr_client_free(cl);
}

static void test_credential__chain_with_nothing_available(void **state)
{
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_client *cl = client();
	char imds[128], *tok = NULL;

	(void)state;
	snprintf(imds, sizeof(imds), "http://127.0.0.1:%d", unused_port());
	o.imds_endpoint = imds;
	o.arc_agent_file = "/nonexistent/himds";
	o.az_path = "/nonexistent/az";
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, NULL, c, cl, ARM),
			 AMLR_EAUTH);
	assert_null(tok);
	assert_non_null(strstr(amlr_credential_error(c)->message,
			       "no credentials found"));
	amlr_credential_free(c);
	amlr_client_free(cl);
}

/* A JWT with these claims (unsigned: the client never verifies). */
static char *make_jwt(const char *claims)
{
	amlr_buf b = AMLR_BUF_INIT;

	amlr_jwt__b64url_encode(&b, "{\"alg\":\"none\"}", 14);
	amlr_buf_puts(&b, ".");
	amlr_jwt__b64url_encode(&b, claims, strlen(claims));
	amlr_buf_puts(&b, ".c2ln");
	return amlr_buf_detach(&b);
}

static void test_credential__explicit_token_and_claims(void **state)
{
	amlr_credential_opts o = AMLR_CREDENTIAL_OPTS_INIT;
	amlr_credential *c = NULL;
	amlr_json *claims = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char body[256], *jwt, *tok = NULL;
	time_t exp = 0, later = time(NULL) + 1000;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"aud\":\"" ARM "\",\"tid\":\"t-1\",\"oid\":\"o-1\","
		 "\"appid\":\"a-1\",\"exp\":%lld}",
		 (long long)later);
	jwt = make_jwt(body);
	o.access_token = jwt;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, NULL, ARM),
			 AMLR_OK);
	assert_string_equal(tok, jwt);
	assert_int_equal(exp, later);
	assert_int_equal(amlr_credential_token_claims(&claims, &err, tok),
			 AMLR_OK);
	assert_string_equal(amlr_json_get_str(claims, "tid"), "t-1");
	assert_string_equal(amlr_json_get_str(claims, "oid"), "o-1");
	amlr_json_free(claims);
	amlr_secret_free(tok);
	amlr_credential_free(c);
	free(jwt);
	/* Expired: refused before anything is sent. */
	jwt = make_jwt("{\"exp\":1000000000}");
	o.access_token = jwt;
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, NULL, ARM),
			 AMLR_EAUTH);
	assert_string_equal(
		amlr_credential_error(c)->message,
		"the access token given expired at 2001-09-09T01:46:40Z");
	assert_int_equal(amlr_credential_cached_token(NULL, NULL, c, ARM),
			 AMLR_ENOTFOUND);
	amlr_credential_free(c);
	free(jwt);
	/* Opaque: used as is, expiry unknown. */
	o.access_token = "opaque-token";
	assert_int_equal(amlr_credential_new(&c, NULL, &o), AMLR_OK);
	assert_int_equal(amlr_credential_get_token(&tok, &exp, c, NULL, ARM),
			 AMLR_OK);
	assert_int_equal(exp, 0);
	amlr_secret_free(tok);
	assert_int_equal(
		amlr_credential_token_claims(&claims, &err, "opaque-token"),
		AMLR_EINVAL);
	amlr_credential_free(c);
}

/* --- replies and times -------------------------------------------------- */

static void test_credential__reply_expiry_shapes(void **state)
{
	static const struct {
		const char *body;
		time_t want; /* 0: now + 3599 */
	} cases[] = {
		{ "{\"access_token\":\"a\",\"expires_in\":3599}", 0 },
		{ "{\"access_token\":\"a\",\"expires_in\":\"3599\"}", 0 },
		{ "{\"access_token\":\"a\",\"expires_on\":\"1505390400\"}",
		  1505390400 },
		{ "{\"access_token\":\"a\",\"expires_on\":1505390400}",
		  1505390400 },
		{ "{\"access_token\":\"a\",\"expires_on\":"
		  "\"09/14/2017 00:00:00 PM +00:00\"}",
		  1505390400 },
		{ "{\"access_token\":\"a\",\"expires_on\":"
		  "\"2017-09-14T14:00:00.1234567+02:00\"}",
		  1505390400 },
		{ "{\"access_token\":\"a\",\"expires_on\":"
		  "\"Thu, 14 Sep 2017 12:00:00 GMT\"}",
		  1505390400 },
	};
	amlr_error err = AMLR_ERROR_INIT;
	time_t now = 1700000000, exp;
	char *tok = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		exp = 0;
		assert_int_equal(amlr_credential__parse_reply(
					 &tok, &exp, &err, "test",
					 cases[i].body, strlen(cases[i].body),
					 now),
				 AMLR_OK);
		assert_int_equal(exp,
				 cases[i].want ? cases[i].want : now + 3599);
		amlr_secret_free(tok);
	}
	assert_int_equal(amlr_credential__parse_reply(
				 &tok, &exp, &err, "test",
				 "{\"access_token\":\"a\"}", 20, now),
			 AMLR_ESERVER);
	assert_string_equal(
		err.message,
		"test: the reply has neither expires_in nor expires_on");
	assert_int_equal(amlr_credential__parse_reply(&tok, &exp, &err, "test",
						      "{\"expires_in\":1}", 16,
						      now),
			 AMLR_ESERVER);
	assert_int_equal(
		amlr_credential__parse_reply(
			&tok, &exp, &err, "test",
			"{\"access_token\":\"a\",\"expires_on\":\"soon\"}", 41,
			now),
		AMLR_ESERVER);
	assert_int_equal(amlr_credential__parse_reply(&tok, &exp, &err, "test",
						      "<html>", 6, now),
			 AMLR_ESERVER);
	assert_null(tok);
	/* tests/fuzz/regressions/token: now + expires_in overflowed */
	assert_int_equal(amlr_credential__parse_reply(
				 &tok, &exp, &err, "test",
				 "{\"access_token\":\"a\",\"expires_in\":"
				 "9223372036854775807}",
				 53, now),
			 AMLR_ESERVER);
	assert_string_equal(err.message,
			    "test: the token's expires_in is out of range");
	assert_null(tok);
}

static void test_credential__parse_time(void **state)
{
	time_t t = 0;

	(void)state;
	assert_true(amlr_credential__parse_time(&t, "2017-09-14 12:00:00Z"));
	assert_int_equal(t, 1505390400);
	assert_true(amlr_credential__parse_time(&t, "2017-09-14T12:00:00"));
	assert_int_equal(t, 1505390400);
	assert_true(
		amlr_credential__parse_time(&t, "2017-09-14T07:00:00-0500"));
	assert_int_equal(t, 1505390400);
	assert_true(amlr_credential__parse_time(
		&t, "09/14/2017 12:30:00 AM +00:00"));
	assert_int_equal(t, 1505349000);
	assert_false(amlr_credential__parse_time(&t, "yesterday"));
	assert_false(amlr_credential__parse_time(&t, "2017-13-01T00:00:00Z"));
	assert_false(
		amlr_credential__parse_time(&t, "2017-09-14T12:00:00 EST"));
	assert_false(amlr_credential__parse_time(&t, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credential__chain_order),
		cmocka_unit_test(
			test_credential__explicit_kind_needs_its_settings),
		cmocka_unit_test(test_credential__b64url_known_answer),
		cmocka_unit_test(test_credential__rs256_assertion_verifies),
		cmocka_unit_test(test_credential__certificate_files),
		cmocka_unit_test(test_credential__cache_mode_expiry_and_margin),
		cmocka_unit_test(
			test_credential__cache_unusable_file_is_replaced),
		cmocka_unit_test(test_credential__cache_concurrent_writers),
		cmocka_unit_test(test_credential__secret_token_then_cache),
		cmocka_unit_test(test_credential__bad_secret_is_auth_error),
		cmocka_unit_test(test_credential__certificate_assertion_sent),
		cmocka_unit_test(test_credential__workload_identity_file),
		cmocka_unit_test(test_credential__identity_endpoint),
		cmocka_unit_test(test_credential__legacy_msi_endpoint),
		cmocka_unit_test(test_credential__azure_arc_challenge),
		cmocka_unit_test(
			test_credential__azure_arc_refuses_foreign_file),
		cmocka_unit_test(test_credential__chain_finds_imds),
		cmocka_unit_test(
			test_credential__chain_falls_back_to_azure_cli),
		cmocka_unit_test(test_credential__azure_cli_outputs),
		cmocka_unit_test(test_credential__chain_with_nothing_available),
		cmocka_unit_test(test_credential__explicit_token_and_claims),
		cmocka_unit_test(test_credential__reply_expiry_shapes),
		cmocka_unit_test(test_credential__parse_time),
	};
	int rc;

	amlr_global_init();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	amlr_global_cleanup();
	return rc;
}
