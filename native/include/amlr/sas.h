/* SPDX-License-Identifier: MIT */
/* Shared Access Signatures for Blob Storage: generating and parsing. */
#ifndef AMLR_SAS_H
#define AMLR_SAS_H

#include "common.h"

#include <time.h>

#include "buf.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The signed version (sv) of the SASs libamlr makes. */
#define AMLR_SAS_VERSION "2022-11-02"

/* Size of a SAS time "2024-01-01T00:00:00Z" with its NUL. */
#define AMLR_SAS_TIME_SIZE 21

/*
 * The fields of a SAS, unencoded; NULL for an absent field.  Account SASs
 * use services and resource_types, service SASs resource (and the
 * optional identifier, snapshot and response-header overrides).
 */
typedef struct amlr_sas_values {
	const char *version; /* sv; NULL: AMLR_SAS_VERSION */
	const char *permissions; /* sp, letters in canonical order */
	const char *start; /* st */
	const char *expiry; /* se */
	const char *ip; /* sip */
	const char *protocol; /* spr: "https" or "https,http" */
	const char *services; /* ss (account SAS): "b" */
	const char *resource_types; /* srt (account SAS): "sco" */
	const char *resource; /* sr (service SAS): "b", "c", "bs", "bv" */
	const char *identifier; /* si: a stored access policy */
	const char *snapshot; /* snapshot time or version id, for bs/bv */
	const char *encryption_scope; /* ses */
	const char *cache_control; /* rscc */
	const char *content_disposition; /* rscd */
	const char *content_encoding; /* rsce */
	const char *content_language; /* rscl */
	const char *content_type; /* rsct */
} amlr_sas_values;

#define AMLR_SAS_VALUES_INIT                                                \
	{                                                                   \
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
			NULL, NULL, NULL, NULL, NULL, NULL, NULL            \
	}

/**
 * Append the string-to-sign of an account SAS (the layout of @p v's
 * version: with the encryption-scope line from 2020-12-06 on).
 *
 * @return AMLR_OK or AMLR_EFAIL
 * Ownership: appended to the caller's @p out; nothing kept.
 */
AMLR_EXTERN amlr_code amlr_sas_account_string_to_sign(amlr_buf *out,
						      const char *account,
						      const amlr_sas_values *v);

/**
 * Append the string-to-sign of a service SAS for a container (@p blob
 * NULL) or a blob, whose canonical resource is "/blob/ACCOUNT/CONTAINER
 * [/BLOB]" with the names unencoded; the layout follows @p v's version
 * (2015-04-05, 2018-11-09, 2020-12-06 and later).
 *
 * @return AMLR_OK or AMLR_EFAIL
 * Ownership: appended to the caller's @p out; nothing kept.
 */
AMLR_EXTERN amlr_code amlr_sas_service_string_to_sign(amlr_buf *out,
						      const char *account,
						      const char *container,
						      const char *blob,
						      const amlr_sas_values *v);

/**
 * Make an account SAS token: the query string (without '?'), values
 * percent-encoded, `sig` last.
 *
 * @param[out] out the token; a secret: free with amlr_secret_free()
 * @param key the account key (base64)
 * @return AMLR_OK; AMLR_EINVAL (no permissions, expiry, services or
 *	resource types; a bad key or time); AMLR_EFAIL
 * Ownership: *out is the caller's.
 */
AMLR_EXTERN amlr_code amlr_sas_account_new(char **out, amlr_error *err,
					   const char *account, const char *key,
					   const amlr_sas_values *v);

/**
 * Make a service SAS token for a container (@p blob NULL, sr=c) or a
 * blob (sr=b unless @p v says otherwise).
 *
 * @param[out] out the token; a secret: free with amlr_secret_free()
 * @return AMLR_OK; AMLR_EINVAL (no permissions or expiry, bad key or
 *	time, permissions not valid for a blob SAS); AMLR_EFAIL
 * Ownership: *out is the caller's.
 */
AMLR_EXTERN amlr_code amlr_sas_service_new(char **out, amlr_error *err,
					   const char *account, const char *key,
					   const char *container,
					   const char *blob,
					   const amlr_sas_values *v);

/* A parsed SAS token. */
typedef struct amlr_sas amlr_sas;

#define AMLR_SAS_STRICT 1u /* a field that is not a SAS field is an error */

/**
 * Parse a SAS token (a query string, with or without a leading '?').
 * Checks: no field twice; sv and sig present, sig base64; se and sp
 * present unless si names a stored policy; either sr (service SAS) or ss
 * and srt (account SAS); known permission, service and resource-type
 * letters; st and se valid times; spr "https" or "https,http".  Without
 * AMLR_SAS_STRICT other query arguments (comp, restype, ...) are ignored.
 * Messages name the field, never the signature.
 *
 * @param[out] out the parsed token, owned by the caller
 * @return AMLR_OK, AMLR_EINVAL, AMLR_EFAIL
 * Ownership: *out is the caller's (amlr_sas_free()).
 */
AMLR_EXTERN amlr_code amlr_sas_parse(amlr_sas **out, amlr_error *err,
				     const char *query, unsigned flags);

/** Free a parsed token, wiping it; accepts NULL. */
AMLR_EXTERN void amlr_sas_free(amlr_sas *sas);

/**
 * The decoded value of field @p name ("sp", "se", ...), or NULL.
 * Ownership: borrowed from @p sas.
 */
AMLR_EXTERN const char *amlr_sas_get(const amlr_sas *sas, const char *name);

/** 1 for an account SAS (ss/srt), 0 for a service SAS (sr). */
AMLR_EXTERN int amlr_sas_is_account(const amlr_sas *sas);

/**
 * Point the fields of @p out at the values of @p sas (borrowed), to
 * recompute its string-to-sign.
 */
AMLR_EXTERN void amlr_sas_values_of(amlr_sas_values *out, const amlr_sas *sas);

/**
 * The token again, in its canonical form (fields in the order libamlr
 * writes them, values encoded, sig last).
 *
 * @param[out] out a secret: amlr_secret_free()
 * @return AMLR_OK or AMLR_EFAIL
 */
AMLR_EXTERN amlr_code amlr_sas_to_query(char **out, const amlr_sas *sas);

/**
 * Parse a SAS time: "YYYY-MM-DD", "YYYY-MM-DDThh:mmZ",
 * "YYYY-MM-DDThh:mm:ssZ", with optional fractional seconds; UTC.
 *
 * @return AMLR_OK or AMLR_EINVAL
 */
AMLR_EXTERN amlr_code amlr_sas_parse_time(time_t *out, const char *text);

/** Format @p t as "YYYY-MM-DDThh:mm:ssZ". */
AMLR_EXTERN void amlr_sas_format_time(char out[AMLR_SAS_TIME_SIZE], time_t t);

/**
 * Whether the token is valid at @p now and still @p margin_s seconds
 * later: AMLR_EAUTH "SAS expired at ..." / "SAS not valid before ...".
 * A token without se (stored policy) passes.
 *
 * @return AMLR_OK or AMLR_EAUTH
 */
AMLR_EXTERN amlr_code amlr_sas_check_time(amlr_error *err, const amlr_sas *sas,
					  time_t now, long margin_s);

#ifdef __cplusplus
}
#endif

#endif
