/* SPDX-License-Identifier: MIT */
/* Issuing and checking the emulator's RS256 access tokens; JWT helpers. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "amlr/fileio.h"
#include "amlr/secret.h"
#include "router.h"
#include "secrets_log.h"
#include "tokens.h"

#define KEY_FILE "identity-signing-key.pem"
#define KEY_BITS 2048
#define KEY_FILE_MAX 65536
#define JTI_MAX 100000 /* remembered assertions; more are refused */

struct jti_entry {
	char *key; /* "<client id>\n<jti>" */
	long long exp;
};

struct emu_tokens {
	EVP_PKEY *key;
	char kid[32]; /* base64url SHA-1 of the public key */
	long lifetime;
	char identity_header[48];
	pthread_mutex_t lock; /* guards jtis */
	struct jti_entry *jtis;
	size_t njtis;
	size_t jtis_cap;
};

amlr_code emu_tokens_b64url(amlr_buf *out, const void *data, size_t len)
{
	size_t n = 4 * ((len + 2) / 3), i;
	char *p;
	int w;

	if (len > INT_MAX / 2 || amlr_buf_grow(out, n + 1) != AMLR_OK)
		return AMLR_EFAIL;
	p = out->ptr + out->len;
	w = EVP_EncodeBlock((unsigned char *)p, data, (int)len);
	while (w > 0 && p[w - 1] == '=')
		w--;
	for (i = 0; i < (size_t)w; i++) {
		if (p[i] == '+')
			p[i] = '-';
		else if (p[i] == '/')
			p[i] = '_';
	}
	out->len += (size_t)w;
	out->ptr[out->len] = '\0';
	return AMLR_OK;
}

/*
 * Decode @p n characters of base64url (no padding, no other characters)
 * into a new buffer.  Returns AMLR_EINVAL for bad input.
 */
static amlr_code b64url_decode(unsigned char **out, size_t *out_len,
			       const char *s, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *std = NULL, *bin = NULL;
	size_t i, pad, padded;
	int w;
	amlr_code rc = AMLR_EINVAL;

	*out = NULL;
	*out_len = 0;
	if (n % 4 == 1 || n > INT_MAX / 2)
		goto done;
	pad = (4 - n % 4) % 4;
	padded = n + pad;
	rc = AMLR_EFAIL;
	if (!(std = malloc(padded + 1)) || !(bin = malloc(padded / 4 * 3 + 1)))
		goto done;
	rc = AMLR_EINVAL;
	for (i = 0; i < n; i++) {
		if (!s[i] || !strchr(alphabet, s[i]))
			goto done;
		std[i] = s[i] == '-'   ? '+'
			 : s[i] == '_' ? '/'
				       : (unsigned char)s[i];
	}
	for (i = n; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	w = padded ? EVP_DecodeBlock(bin, std, (int)padded) : 0;
	if (w < 0 || (size_t)w < pad)
		goto done;
	*out_len = (size_t)w - pad;
	bin[*out_len] = '\0';
	*out = bin;
	bin = NULL;
	rc = AMLR_OK;
done:
	free(std);
	free(bin);
	return rc;
}

/* Decode one base64url part into a JSON object. */
static amlr_code decode_json_part(amlr_json **out, const char *s, size_t n)
{
	unsigned char *bin = NULL;
	size_t len;
	amlr_code rc;

	*out = NULL;
	if ((rc = b64url_decode(&bin, &len, s, n)) != AMLR_OK)
		goto done;
	rc = amlr_json_parse(out, NULL, (const char *)bin, len);
	if (rc == AMLR_OK && amlr_json_type_of(*out) != AMLR_JSON_OBJECT) {
		amlr_json_free(*out);
		*out = NULL;
		rc = AMLR_EINVAL;
	}
done:
	free(bin);
	return rc;
}

amlr_code emu_tokens_jwt_parse(struct emu_jwt *jwt, const char *text)
{
	const char *dot1, *dot2;
	amlr_code rc = AMLR_EINVAL;

	memset(jwt, 0, sizeof(*jwt));
	if (!(dot1 = strchr(text, '.')) || !(dot2 = strchr(dot1 + 1, '.')) ||
	    strchr(dot2 + 1, '.') || dot1 == text || dot2 == dot1 + 1)
		goto done;
	if ((rc = decode_json_part(&jwt->header, text,
				   (size_t)(dot1 - text))) != AMLR_OK ||
	    (rc = decode_json_part(&jwt->claims, dot1 + 1,
				   (size_t)(dot2 - dot1 - 1))) != AMLR_OK ||
	    (rc = b64url_decode(&jwt->sig, &jwt->sig_len, dot2 + 1,
				strlen(dot2 + 1))) != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (!(jwt->signing_input = strndup(text, (size_t)(dot2 - text))))
		goto done;
	rc = AMLR_OK;
done:
	return rc;
}

void emu_tokens_jwt_release(struct emu_jwt *jwt)
{
	amlr_json_free(jwt->header);
	amlr_json_free(jwt->claims);
	amlr_secret_free(jwt->signing_input);
	free(jwt->sig);
	memset(jwt, 0, sizeof(*jwt));
}

int emu_tokens_jwt_verify_rs256(const struct emu_jwt *jwt, EVP_PKEY *pkey)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (!jwt->sig_len || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		goto done;
	if (!(md = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto done;
	ok = EVP_DigestVerify(md, jwt->sig, jwt->sig_len,
			      (const unsigned char *)jwt->signing_input,
			      strlen(jwt->signing_input)) == 1;
done:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* RS256 signature of @p input, appended base64url to @p out. */
static amlr_code sign_rs256(amlr_buf *out, EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t len = 0;
	amlr_code rc = AMLR_EFAIL;

	if (!(md = EVP_MD_CTX_new()) ||
	    EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(md, NULL, &len, (const unsigned char *)input,
			   strlen(input)) != 1 ||
	    !(sig = malloc(len)) ||
	    EVP_DigestSign(md, sig, &len, (const unsigned char *)input,
			   strlen(input)) != 1)
		goto done;
	rc = emu_tokens_b64url(out, sig, len);
done:
	free(sig);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

/* kid: base64url of the SHA-1 of the public key's DER. */
static amlr_code key_id(struct emu_tokens *t)
{
	unsigned char *der = NULL, md[20];
	amlr_buf b = AMLR_BUF_INIT;
	int n;
	amlr_code rc = AMLR_EFAIL;

	if ((n = i2d_PUBKEY(t->key, &der)) <= 0 ||
	    EVP_Digest(der, (size_t)n, md, NULL, EVP_sha1(), NULL) != 1 ||
	    emu_tokens_b64url(&b, md, sizeof(md)) != AMLR_OK ||
	    b.len >= sizeof(t->kid))
		goto done;
	memcpy(t->kid, b.ptr, b.len + 1);
	rc = AMLR_OK;
done:
	OPENSSL_free(der);
	amlr_buf_release(&b);
	ERR_clear_error();
	return rc;
}

/* Read the PEM key at @p path. */
static amlr_code load_key(EVP_PKEY **out, amlr_error *err, const char *path)
{
	amlr_buf pem = AMLR_BUF_INIT;
	BIO *bio = NULL;
	amlr_code rc;

	if ((rc = amlr_file_read(&pem, err, path, KEY_FILE_MAX)) != AMLR_OK)
		goto done;
	rc = AMLR_EIO;
	if (!(bio = BIO_new_mem_buf(pem.ptr, (int)pem.len)) ||
	    !(*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) ||
	    EVP_PKEY_get_base_id(*out) != EVP_PKEY_RSA) {
		EVP_PKEY_free(*out);
		*out = NULL;
		amlr_error_set(err, rc,
			       "signing key '%s' is not an RSA private key "
			       "in PEM; remove it to make a new one",
			       path);
		goto done;
	}
	rc = AMLR_OK;
done:
	BIO_free(bio);
	amlr_buf_release_secret(&pem);
	ERR_clear_error();
	return rc;
}

/* Make a key; save it at @p path (0600, atomically) unless NULL. */
static amlr_code make_key(EVP_PKEY **out, amlr_error *err, const char *path)
{
	BIO *bio = NULL;
	char *data;
	long len;
	amlr_code rc = AMLR_EFAIL;

	if (!(*out = EVP_RSA_gen(KEY_BITS))) {
		amlr_error_set(err, rc, "cannot make a signing key");
		goto done;
	}
	if (!path) {
		rc = AMLR_OK;
		goto done;
	}
	if (!(bio = BIO_new(BIO_s_secmem())) ||
	    PEM_write_bio_PrivateKey(bio, *out, NULL, NULL, 0, NULL, NULL) !=
		    1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0) {
		amlr_error_set(err, rc, "cannot encode the signing key");
		goto done;
	}
	rc = amlr_file_write_atomic(err, path, data, (size_t)len, 0600);
done:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

amlr_code emu_tokens_new(struct emu_tokens **out, amlr_error *err,
			 const struct emu_config *cfg)
{
	struct emu_tokens *t = NULL;
	amlr_buf path = AMLR_BUF_INIT, hdr = AMLR_BUF_INIT;
	unsigned char rnd[32];
	struct stat st;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		t = NULL;
		amlr_error_set(err, rc, "cannot make a lock");
		goto done;
	}
	t->lifetime = cfg->token_lifetime_s;
	if (cfg->state_dir &&
	    amlr_buf_printf(&path, "%s/" KEY_FILE, cfg->state_dir) != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (path.ptr && stat(path.ptr, &st) == 0)
		rc = load_key(&t->key, err, path.ptr);
	else
		rc = make_key(&t->key, err, path.ptr);
	if (rc != AMLR_OK)
		goto done;
	rc = AMLR_EFAIL;
	if (key_id(t) != AMLR_OK || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    emu_tokens_b64url(&hdr, rnd, sizeof(rnd)) != AMLR_OK ||
	    hdr.len >= sizeof(t->identity_header)) {
		amlr_error_set(err, rc, "cannot make the identity secrets");
		goto done;
	}
	memcpy(t->identity_header, hdr.ptr, hdr.len + 1);
	*out = t;
	t = NULL;
	rc = AMLR_OK;
done:
	amlr_secret_wipe(rnd, sizeof(rnd));
	amlr_buf_release_secret(&hdr);
	amlr_buf_release(&path);
	emu_tokens_free(t);
	return rc;
}

void emu_tokens_free(struct emu_tokens *t)
{
	size_t i;

	if (!t)
		return;
	EVP_PKEY_free(t->key);
	for (i = 0; i < t->njtis; i++)
		free(t->jtis[i].key);
	free(t->jtis);
	pthread_mutex_destroy(&t->lock);
	amlr_secret_wipe(t, sizeof(*t));
	free(t);
}

long emu_tokens_lifetime(const struct emu_tokens *t)
{
	return t->lifetime;
}

const char *emu_tokens_identity_header(const struct emu_tokens *t)
{
	return t->identity_header;
}

/* Append "<b64url(JSON)>" of @p json to @p out. */
static amlr_code put_part(amlr_buf *out, const amlr_json *json)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_code rc;

	if ((rc = amlr_json_serialize(&text, json, 0)) == AMLR_OK)
		rc = emu_tokens_b64url(out, text.ptr, text.len);
	amlr_buf_release(&text);
	return rc;
}

/* The claims object of an access token, in Entra's v1 order. */
static amlr_code claims_json(amlr_json **out, const struct emu_token_claims *c)
{
	char uti[EMU_GUID_SIZE];
	amlr_json *j = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = emu_guid_new(uti)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&j)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(j, "aud", c->aud)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "iss", c->iss)) != AMLR_OK ||
	    (rc = amlr_json_set_int(j, "iat", c->iat)) != AMLR_OK ||
	    (rc = amlr_json_set_int(j, "nbf", c->nbf)) != AMLR_OK ||
	    (rc = amlr_json_set_int(j, "exp", c->exp)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "appid", c->appid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "appidacr", c->appidacr)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "idp", c->iss)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "idtyp", "app")) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "oid", c->oid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "sub", c->oid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "tid", c->tid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "uti", uti)) != AMLR_OK ||
	    (rc = amlr_json_set_str(j, "ver", "1.0")) != AMLR_OK)
		goto done;
	*out = j;
	j = NULL;
done:
	amlr_json_free(j);
	return rc;
}

amlr_code emu_tokens_issue(char **out, struct emu_token_claims *claims_out,
			   struct emu_tokens *t,
			   const struct emu_token_claims *in)
{
	struct emu_token_claims c = *in;
	amlr_json *header = NULL, *claims = NULL;
	amlr_buf input = AMLR_BUF_INIT, jwt = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	c.iat = (long long)time(NULL);
	c.nbf = c.iat;
	c.exp = c.iat + t->lifetime;
	if ((rc = amlr_json_new_object(&header)) != AMLR_OK ||
	    (rc = amlr_json_set_str(header, "typ", "JWT")) != AMLR_OK ||
	    (rc = amlr_json_set_str(header, "alg", "RS256")) != AMLR_OK ||
	    (rc = amlr_json_set_str(header, "x5t", t->kid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(header, "kid", t->kid)) != AMLR_OK ||
	    (rc = claims_json(&claims, &c)) != AMLR_OK)
		goto done;
	if ((rc = put_part(&input, header)) != AMLR_OK ||
	    (rc = amlr_buf_puts(&input, ".")) != AMLR_OK ||
	    (rc = put_part(&input, claims)) != AMLR_OK ||
	    (rc = amlr_buf_put(&jwt, input.ptr, input.len)) != AMLR_OK ||
	    (rc = amlr_buf_puts(&jwt, ".")) != AMLR_OK ||
	    (rc = sign_rs256(&jwt, t->key, input.ptr)) != AMLR_OK)
		goto done;
	if (!(*out = amlr_buf_detach(&jwt))) {
		rc = AMLR_EFAIL;
		goto done;
	}
	/* The signature: what makes a bearer token (secrets_log.h). */
	emu_secrets_log_record("bearer-token", strrchr(*out, '.') + 1);
	if (claims_out)
		*claims_out = c;
done:
	amlr_json_free(header);
	amlr_json_free(claims);
	amlr_buf_release_secret(&input);
	amlr_buf_release_secret(&jwt);
	return rc;
}

/* Copy string claim @p name into @p dst; 0 when absent or too long. */
static int claim_str(char *dst, size_t size, const amlr_json *claims,
		     const char *name)
{
	const char *s = amlr_json_get_str(claims, name);

	if (!s || strlen(s) >= size)
		return 0;
	memcpy(dst, s, strlen(s) + 1);
	return 1;
}

static int claim_int(long long *dst, const amlr_json *claims, const char *name)
{
	int64_t v;

	if (!amlr_json_int(&v, amlr_json_get(claims, name)))
		return 0;
	*dst = (long long)v;
	return 1;
}

amlr_code emu_tokens_verify(enum emu_token_check *check,
			    struct emu_token_claims *claims,
			    const struct emu_tokens *t, const char *text)
{
	struct emu_jwt jwt = EMU_JWT_INIT;
	struct emu_token_claims c;
	const char *alg, *kid;
	long long now;
	amlr_code rc;

	memset(&c, 0, sizeof(c));
	*check = EMU_TOKEN_MALFORMED;
	rc = emu_tokens_jwt_parse(&jwt, text);
	if (rc != AMLR_OK) {
		rc = rc == AMLR_EINVAL ? AMLR_OK : rc;
		goto done;
	}
	alg = amlr_json_get_str(jwt.header, "alg");
	kid = amlr_json_get_str(jwt.header, "kid");
	if (!alg || strcmp(alg, "RS256") != 0)
		goto done;
	*check = EMU_TOKEN_BAD_SIGNATURE;
	if (!kid || strcmp(kid, t->kid) != 0 ||
	    !emu_tokens_jwt_verify_rs256(&jwt, t->key))
		goto done;
	*check = EMU_TOKEN_MALFORMED;
	if (!claim_str(c.aud, sizeof(c.aud), jwt.claims, "aud") ||
	    !claim_str(c.iss, sizeof(c.iss), jwt.claims, "iss") ||
	    !claim_str(c.tid, sizeof(c.tid), jwt.claims, "tid") ||
	    !claim_str(c.oid, sizeof(c.oid), jwt.claims, "oid") ||
	    !claim_str(c.appid, sizeof(c.appid), jwt.claims, "appid") ||
	    !claim_int(&c.nbf, jwt.claims, "nbf") ||
	    !claim_int(&c.exp, jwt.claims, "exp"))
		goto done;
	(void)claim_str(c.appidacr, sizeof(c.appidacr), jwt.claims, "appidacr");
	(void)claim_int(&c.iat, jwt.claims, "iat");
	now = (long long)time(NULL);
	if (now < c.nbf)
		*check = EMU_TOKEN_NOT_YET_VALID;
	else if (now >= c.exp)
		*check = EMU_TOKEN_EXPIRED;
	else
		*check = EMU_TOKEN_VALID;
	*claims = c;
done:
	emu_tokens_jwt_release(&jwt);
	return rc;
}

/* Set member @p name to base64url of the big number @p param of the key. */
static amlr_code set_bn(amlr_json *jwk, const char *name, EVP_PKEY *key,
			const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char *bin = NULL;
	amlr_buf b = AMLR_BUF_INIT;
	int n;
	amlr_code rc = AMLR_EFAIL;

	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1 ||
	    !(bin = malloc((size_t)BN_num_bytes(bn) + 1)))
		goto done;
	n = BN_bn2bin(bn, bin);
	if ((rc = emu_tokens_b64url(&b, bin, (size_t)n)) == AMLR_OK)
		rc = amlr_json_set_str(jwk, name, b.ptr);
done:
	BN_free(bn);
	free(bin);
	amlr_buf_release(&b);
	ERR_clear_error();
	return rc;
}

amlr_code emu_tokens_jwks(amlr_json **out, const struct emu_tokens *t)
{
	amlr_json *set = NULL, *keys = NULL, *jwk = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_object(&set)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&keys)) != AMLR_OK ||
	    (rc = amlr_json_new_object(&jwk)) != AMLR_OK)
		goto done;
	if ((rc = amlr_json_set_str(jwk, "kty", "RSA")) != AMLR_OK ||
	    (rc = amlr_json_set_str(jwk, "use", "sig")) != AMLR_OK ||
	    (rc = amlr_json_set_str(jwk, "kid", t->kid)) != AMLR_OK ||
	    (rc = amlr_json_set_str(jwk, "x5t", t->kid)) != AMLR_OK ||
	    (rc = set_bn(jwk, "n", t->key, OSSL_PKEY_PARAM_RSA_N)) != AMLR_OK ||
	    (rc = set_bn(jwk, "e", t->key, OSSL_PKEY_PARAM_RSA_E)) != AMLR_OK)
		goto done;
	rc = amlr_json_append(keys, jwk); /* steals */
	jwk = NULL;
	if (rc != AMLR_OK)
		goto done;
	rc = amlr_json_set(set, "keys", keys); /* steals */
	keys = NULL;
	if (rc != AMLR_OK)
		goto done;
	*out = set;
	set = NULL;
done:
	amlr_json_free(jwk);
	amlr_json_free(keys);
	amlr_json_free(set);
	return rc;
}

int emu_tokens_claim_jti(struct emu_tokens *t, const char *client_id,
			 const char *jti, long long exp)
{
	struct jti_entry *p;
	amlr_buf key = AMLR_BUF_INIT;
	long long now = (long long)time(NULL);
	size_t i, j, cap;
	int result = -1;

	if (amlr_buf_printf(&key, "%s\n%s", client_id, jti) != AMLR_OK)
		return -1;
	pthread_mutex_lock(&t->lock);
	/* Forget the assertions that expired: they cannot be replayed. */
	for (i = j = 0; i < t->njtis; i++) {
		if (t->jtis[i].exp < now) {
			free(t->jtis[i].key);
			continue;
		}
		t->jtis[j++] = t->jtis[i];
	}
	t->njtis = j;
	for (i = 0; i < t->njtis; i++) {
		if (strcmp(t->jtis[i].key, key.ptr) == 0) {
			result = 0;
			goto done;
		}
	}
	if (t->njtis >= JTI_MAX)
		goto done;
	if (t->njtis == t->jtis_cap) {
		cap = t->jtis_cap ? t->jtis_cap * 2 : 64;
		if (!(p = realloc(t->jtis, cap * sizeof(*p))))
			goto done;
		t->jtis = p;
		t->jtis_cap = cap;
	}
	t->jtis[t->njtis].key = amlr_buf_detach(&key);
	if (!t->jtis[t->njtis].key)
		goto done;
	t->jtis[t->njtis].exp = exp;
	t->njtis++;
	result = 1;
done:
	pthread_mutex_unlock(&t->lock);
	amlr_buf_release(&key);
	return result;
}
