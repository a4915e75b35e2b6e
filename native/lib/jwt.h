/* SPDX-License-Identifier: MIT */
/* JWTs inside libamlr: RS256 client assertions, base64url, claims. */
#ifndef AMLR_JWT_H
#define AMLR_JWT_H

#include <stddef.h>
#include <time.h>

#include "amlr/buf.h"
#include "amlr/error.h"
#include "amlr/json.h"

/* A certificate and its RSA private key, ready to sign assertions. */
struct jwt_signer;

/* Lifetime of a client assertion (MSAL's: ten minutes). */
#define AMLR_JWT_ASSERTION_LIFETIME_S 600

/*
 * Load a certificate and its private key: PEM with both (the key may be
 * encrypted with @p password), or PKCS#12 (PFX) protected by @p password.
 * The key must be RSA and match the certificate.  @p password may be NULL.
 *
 * @return AMLR_OK; AMLR_EIO (unreadable file); AMLR_EINVAL (no
 *	certificate or key, wrong password, not RSA, mismatch); AMLR_EFAIL
 * Ownership: *out belongs to the caller (amlr_jwt__signer_free()).
 */
amlr_code amlr_jwt__signer_load(struct jwt_signer **out, amlr_error *err,
				const char *path, const char *password);

/* Free a signer, its key wiped by OpenSSL; accepts NULL. */
void amlr_jwt__signer_free(struct jwt_signer *s);

/* base64url(SHA-1(DER of the certificate)), unpadded.  Borrowed. */
const char *amlr_jwt__signer_x5t(const struct jwt_signer *s);

/* base64url(SHA-256(DER of the certificate)), unpadded.  Borrowed. */
const char *amlr_jwt__signer_x5t_s256(const struct jwt_signer *s);

/*
 * A client assertion (notes/auth-storage.md §1.3): header
 * {"alg":"RS256","typ":"JWT","x5t":...,"x5t#S256":...[,"x5c":[...]]},
 * claims {"aud":@p audience,"iss":@p client_id,"sub":@p client_id,
 * "jti":random GUID,"nbf":@p now,"iat":@p now,"exp":@p now + 600},
 * signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
 *
 * @param with_x5c add the certificate (standard base64 DER) as x5c
 * @return AMLR_OK, AMLR_EFAIL (OpenSSL or memory)
 * Ownership: *out belongs to the caller (amlr_secret_free()).
 */
amlr_code amlr_jwt__client_assertion(char **out, amlr_error *err,
				     const struct jwt_signer *s,
				     const char *audience,
				     const char *client_id, time_t now,
				     int with_x5c);

/* Append base64url of @p data, without padding. */
amlr_code amlr_jwt__b64url_encode(amlr_buf *out, const void *data, size_t len);

/*
 * Append the bytes of base64url (or standard base64) text, padding
 * optional.  AMLR_EINVAL for a character outside the alphabets.
 */
amlr_code amlr_jwt__b64url_decode(amlr_buf *out, const char *text, size_t len);

/*
 * The claims (second part) of a JWT as JSON, not verified.
 * AMLR_EINVAL when @p jwt is not three base64url parts with JSON claims.
 */
amlr_code amlr_jwt__claims(amlr_json **out, amlr_error *err, const char *jwt);

#endif
