/* SPDX-License-Identifier: MIT */
/* RS256 client assertions from a certificate, base64url, JWT claims. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "amlr/fileio.h"
#include "amlr/secret.h"
#include "http_internal.h"
#include "jwt.h"

#define CERT_FILE_MAX (1024 * 1024)
#define X5T_MAX 64 /* base64url of 32 bytes is 43 characters */

struct jwt_signer {
	X509 *cert;
	EVP_PKEY *key;
	char x5t[X5T_MAX];
	char x5t_s256[X5T_MAX];
	char *x5c; /* standard base64 of the DER certificate */
};

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

amlr_code amlr_jwt__b64url_encode(amlr_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char q[4];
	uint32_t v;
	size_t i, n;
	amlr_code rc = AMLR_OK;

	for (i = 0; i < len && rc == AMLR_OK; i += 3) {
		n = len - i < 3 ? len - i : 3;
		v = (uint32_t)p[i] << 16;
		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		q[0] = b64url_chars[(v >> 18) & 63];
		q[1] = b64url_chars[(v >> 12) & 63];
		q[2] = b64url_chars[(v >> 6) & 63];
		q[3] = b64url_chars[v & 63];
		rc = amlr_buf_put(out, q, n + 1);
	}
	if (rc == AMLR_OK && !out->ptr)
		rc = amlr_buf_puts(out, "");
	amlr_secret_wipe(q, sizeof(q));
	return rc;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

amlr_code amlr_jwt__b64url_decode(amlr_buf *out, const char *text, size_t len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	unsigned char byte;
	size_t i;
	int v;
	amlr_code rc = AMLR_OK;

	while (len && text[len - 1] == '=')
		len--;
	for (i = 0; i < len && rc == AMLR_OK; i++) {
		if ((v = b64_value(text[i])) < 0)
			return AMLR_EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (unsigned char)(acc >> bits);
			rc = amlr_buf_put(out, &byte, 1);
		}
	}
	/* A lone trailing character cannot encode a byte. */
	if (rc == AMLR_OK && len % 4 == 1)
		rc = AMLR_EINVAL;
	if (rc == AMLR_OK && !out->ptr)
		rc = amlr_buf_puts(out, "");
	return rc;
}

/* Record @p code with the message and OpenSSL's first reason, if any. */
static amlr_code ssl_fail(amlr_error *err, amlr_code code, const char *what)
{
	char reason[256] = "";
	unsigned long e = ERR_peek_error();

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	if (reason[0])
		return amlr_error_set(err, code, "%s (%s)", what, reason);
	return amlr_error_set(err, code, "%s", what);
}

/* OpenSSL's passphrase callback: never prompts on a terminal. */
static int pem_password(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t n;

	(void)rwflag;
	if (!pw)
		return -1;
	n = strlen(pw);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw, n);
	return (int)n;
}

static amlr_code read_pem(struct jwt_signer *s, amlr_error *err,
			  const char *path, const amlr_buf *data,
			  const char *password)
{
	BIO *bio = NULL;
	char what[512];
	amlr_code rc = AMLR_EINVAL;

	if (!(bio = BIO_new_mem_buf(data->ptr, (int)data->len))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	/* Each read scans the whole file: key and certificate in any order. */
	if (!(s->cert = PEM_read_bio_X509(bio, NULL, pem_password, NULL))) {
		snprintf(what, sizeof(what), "no certificate in '%s'", path);
		rc = ssl_fail(err, rc, what);
		goto done;
	}
	BIO_free(bio);
	if (!(bio = BIO_new_mem_buf(data->ptr, (int)data->len))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	s->key = PEM_read_bio_PrivateKey(bio, NULL, pem_password,
					 (void *)password);
	if (!s->key) {
		if (strstr(data->ptr, "ENCRYPTED") && !password)
			snprintf(
				what, sizeof(what),
				"the private key in '%s' is encrypted and no password was given",
				path);
		else if (strstr(data->ptr, "ENCRYPTED"))
			snprintf(
				what, sizeof(what),
				"cannot decrypt the private key in '%s': wrong password",
				path);
		else
			snprintf(
				what, sizeof(what),
				"no private key in '%s' (a PEM file needs the certificate and its key)",
				path);
		rc = ssl_fail(err, rc, what);
		goto done;
	}
	rc = AMLR_OK;
done:
	BIO_free(bio);
	return rc;
}

static amlr_code read_pfx(struct jwt_signer *s, amlr_error *err,
			  const char *path, const amlr_buf *data,
			  const char *password)
{
	BIO *bio = NULL;
	PKCS12 *p12 = NULL;
	STACK_OF(X509) *ca = NULL;
	char what[512];
	amlr_code rc = AMLR_EINVAL;

	if (!(bio = BIO_new_mem_buf(data->ptr, (int)data->len))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (!(p12 = d2i_PKCS12_bio(bio, NULL))) {
		snprintf(what, sizeof(what),
			 "'%s' is neither PEM nor PKCS#12 (PFX)", path);
		rc = ssl_fail(err, rc, what);
		goto done;
	}
	if (!PKCS12_parse(p12, password ? password : "", &s->key, &s->cert,
			  &ca)) {
		snprintf(what, sizeof(what),
			 "cannot open the PKCS#12 file '%s': wrong password?",
			 path);
		rc = ssl_fail(err, rc, what);
		goto done;
	}
	if (!s->cert || !s->key) {
		rc = amlr_error_set(
			err, rc, "'%s' lacks the certificate or its key", path);
		goto done;
	}
	rc = AMLR_OK;
done:
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	BIO_free(bio);
	return rc;
}

static amlr_code thumbprint(char *out, size_t n, const X509 *cert,
			    const EVP_MD *md)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	amlr_buf b = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EFAIL;

	if (X509_digest(cert, md, d, &dlen) != 1)
		goto done;
	if ((rc = amlr_jwt__b64url_encode(&b, d, dlen)) != AMLR_OK)
		goto done;
	snprintf(out, n, "%s", b.ptr);
done:
	amlr_buf_release(&b);
	return rc;
}

static amlr_code der_base64(char **out, const X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (len <= 0)
		goto done;
	if (!(*out = malloc(4 * (((size_t)len + 2) / 3) + 1)))
		goto done;
	EVP_EncodeBlock((unsigned char *)*out, der, len);
	rc = AMLR_OK;
done:
	OPENSSL_free(der);
	return rc;
}

amlr_code amlr_jwt__signer_load(struct jwt_signer **out, amlr_error *err,
				const char *path, const char *password)
{
	struct jwt_signer *s = NULL;
	amlr_buf data = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_file_read(&data, err, path, CERT_FILE_MAX)) != AMLR_OK)
		goto done;
	if (!(s = calloc(1, sizeof(*s)))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	if (data.ptr && strstr(data.ptr, "-----BEGIN"))
		rc = read_pem(s, err, path, &data, password);
	else if (data.len)
		rc = read_pfx(s, err, path, &data, password);
	else
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "certificate file '%s' is empty", path);
	if (rc != AMLR_OK)
		goto done;
	if (EVP_PKEY_get_base_id(s->key) != EVP_PKEY_RSA) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"the key in '%s' is not an RSA key (RS256 needs one)",
			path);
		goto done;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		rc = ssl_fail(err, AMLR_EINVAL,
			      "the private key does not match the certificate");
		goto done;
	}
	if ((rc = thumbprint(s->x5t, sizeof(s->x5t), s->cert, EVP_sha1())) !=
		    AMLR_OK ||
	    (rc = thumbprint(s->x5t_s256, sizeof(s->x5t_s256), s->cert,
			     EVP_sha256())) != AMLR_OK ||
	    (rc = der_base64(&s->x5c, s->cert)) != AMLR_OK) {
		rc = ssl_fail(err, AMLR_EFAIL, "cannot hash the certificate");
		goto done;
	}
	*out = s;
	s = NULL;
done:
	ERR_clear_error();
	amlr_jwt__signer_free(s);
	amlr_buf_release_secret(&data);
	return rc;
}

void amlr_jwt__signer_free(struct jwt_signer *s)
{
	if (!s)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	free(s->x5c);
	free(s);
}

const char *amlr_jwt__signer_x5t(const struct jwt_signer *s)
{
	return s->x5t;
}

const char *amlr_jwt__signer_x5t_s256(const struct jwt_signer *s)
{
	return s->x5t_s256;
}

/* Serialise @p doc compactly and append its base64url. */
static amlr_code b64_json(amlr_buf *out, const amlr_json *doc)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_code rc;

	if ((rc = amlr_json_serialize(&text, doc, 0)) == AMLR_OK)
		rc = amlr_jwt__b64url_encode(out, text.ptr, text.len);
	amlr_buf_release(&text);
	return rc;
}

static amlr_code build_parts(amlr_buf *out, const struct jwt_signer *s,
			     const char *audience, const char *client_id,
			     time_t now, int with_x5c)
{
	amlr_json *hdr = NULL, *claims = NULL, *chain = NULL, *x5c = NULL;
	char jti[37];
	amlr_code rc;

	amlr_http__new_guid(jti);
	if ((rc = amlr_json_new_object(&hdr)) != AMLR_OK ||
	    (rc = amlr_json_set_str(hdr, "alg", "RS256")) != AMLR_OK ||
	    (rc = amlr_json_set_str(hdr, "typ", "JWT")) != AMLR_OK ||
	    (rc = amlr_json_set_str(hdr, "x5t", s->x5t)) != AMLR_OK ||
	    (rc = amlr_json_set_str(hdr, "x5t#S256", s->x5t_s256)) != AMLR_OK)
		goto done;
	if (with_x5c) {
		if ((rc = amlr_json_new_array(&chain)) != AMLR_OK ||
		    (rc = amlr_json_new_string(&x5c, s->x5c)) != AMLR_OK)
			goto done;
		rc = amlr_json_append(chain, x5c); /* steals */
		x5c = NULL;
		if (rc != AMLR_OK)
			goto done;
		rc = amlr_json_set(hdr, "x5c", chain); /* steals */
		chain = NULL;
		if (rc != AMLR_OK)
			goto done;
	}
	if ((rc = amlr_json_new_object(&claims)) != AMLR_OK ||
	    (rc = amlr_json_set_str(claims, "aud", audience)) != AMLR_OK ||
	    (rc = amlr_json_set_str(claims, "iss", client_id)) != AMLR_OK ||
	    (rc = amlr_json_set_str(claims, "sub", client_id)) != AMLR_OK ||
	    (rc = amlr_json_set_str(claims, "jti", jti)) != AMLR_OK ||
	    (rc = amlr_json_set_int(claims, "nbf", (int64_t)now)) != AMLR_OK ||
	    (rc = amlr_json_set_int(claims, "iat", (int64_t)now)) != AMLR_OK ||
	    (rc = amlr_json_set_int(
		     claims, "exp",
		     (int64_t)now + AMLR_JWT_ASSERTION_LIFETIME_S)) != AMLR_OK)
		goto done;
	if ((rc = b64_json(out, hdr)) != AMLR_OK ||
	    (rc = amlr_buf_puts(out, ".")) != AMLR_OK)
		goto done;
	rc = b64_json(out, claims);
done:
	amlr_json_free(x5c);
	amlr_json_free(chain);
	amlr_json_free(claims);
	amlr_json_free(hdr);
	return rc;
}

amlr_code amlr_jwt__client_assertion(char **out, amlr_error *err,
				     const struct jwt_signer *s,
				     const char *audience,
				     const char *client_id, time_t now,
				     int with_x5c)
{
	amlr_buf jwt = AMLR_BUF_INIT;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	amlr_code rc;

	*out = NULL;
	if ((rc = build_parts(&jwt, s, audience, client_id, now, with_x5c)) !=
	    AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	rc = AMLR_EFAIL;
	if (!(md = EVP_MD_CTX_new()) ||
	    EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, s->key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)jwt.ptr,
			   jwt.len) != 1 ||
	    !(sig = OPENSSL_malloc(siglen)) ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)jwt.ptr,
			   jwt.len) != 1) {
		ssl_fail(err, rc, "cannot sign the client assertion");
		goto done;
	}
	if (amlr_buf_puts(&jwt, ".") != AMLR_OK ||
	    amlr_jwt__b64url_encode(&jwt, sig, siglen) != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (!(*out = amlr_buf_detach(&jwt))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	rc = AMLR_OK;
done:
	OPENSSL_free(sig);
	EVP_MD_CTX_free(md);
	amlr_buf_release_secret(&jwt);
	return rc;
}

amlr_code amlr_jwt__claims(amlr_json **out, amlr_error *err, const char *jwt)
{
	const char *p1, *p2;
	amlr_buf text = AMLR_BUF_INIT;
	amlr_code rc = AMLR_EINVAL;

	*out = NULL;
	if (!jwt || !(p1 = strchr(jwt, '.')) || !(p2 = strchr(p1 + 1, '.')) ||
	    strchr(p2 + 1, '.')) {
		amlr_error_set(err, rc, "the token is not a JWT");
		goto done;
	}
	if (amlr_jwt__b64url_decode(&text, p1 + 1, (size_t)(p2 - p1 - 1)) !=
		    AMLR_OK ||
	    amlr_json_parse(out, NULL, text.ptr, text.len) != AMLR_OK ||
	    amlr_json_type_of(*out) != AMLR_JSON_OBJECT) {
		amlr_json_free(*out);
		*out = NULL;
		amlr_error_set(err, rc, "the token's claims are not JSON");
		goto done;
	}
	rc = AMLR_OK;
done:
	amlr_buf_release_secret(&text);
	return rc;
}
