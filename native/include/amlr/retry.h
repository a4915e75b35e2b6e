/* SPDX-License-Identifier: MIT */
/* The retry policy shared by every call to a service. */
#ifndef AMLR_RETRY_H
#define AMLR_RETRY_H

#include "common.h"

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Exponential backoff with full jitter: before retry n (n = 1 for the
 * first retry) wait a uniformly random time in [0, min(max_delay_ms,
 * base_delay_ms * 2^(n-1))], unless the server said how long to wait
 * (Retry-After, x-ms-retry-after-ms, retry-after-ms).  Give up after
 * max_attempts tries, or when the next wait would end past max_total_ms
 * after the first try started.
 */
typedef struct amlr_retry_policy {
	unsigned max_attempts; /* tries in all, the first included; >= 1 */
	unsigned base_delay_ms;
	unsigned max_delay_ms;
	unsigned max_total_ms;
} amlr_retry_policy;

#define AMLR_RETRY_POLICY_INIT        \
	{                             \
		4, 800, 60000, 300000 \
	}

/** 1 for the statuses worth another try: 408, 429, 500, 502, 503, 504. */
AMLR_EXTERN int amlr_retry_status_retryable(long status);

/**
 * The ceiling of the random wait before retry @p retry (1-based), in
 * milliseconds: min(max_delay_ms, base_delay_ms * 2^(retry-1)).
 */
AMLR_EXTERN uint64_t amlr_retry_backoff_cap_ms(const amlr_retry_policy *policy,
					       unsigned retry);

/**
 * The wait before retry @p retry given a uniform random number @p rnd:
 * rnd mod (cap + 1), so always within [0, cap] (full jitter).
 */
AMLR_EXTERN uint64_t amlr_retry_backoff_ms(const amlr_retry_policy *policy,
					   unsigned retry, uint32_t rnd);

/**
 * Parse a Retry-After value: delta-seconds ("120") or an HTTP-date (any
 * of the three forms of RFC 9110), relative to @p now.  A date in the past
 * gives 0.  Values are capped at one day.
 *
 * @param[out] out_ms the wait in milliseconds
 * @return 1 when parsed, 0 when @p value is NULL or malformed
 */
AMLR_EXTERN int amlr_retry_parse_after(uint64_t *out_ms, const char *value,
				       time_t now);

/**
 * Parse x-ms-retry-after-ms / retry-after-ms: non-negative milliseconds
 * (capped at one day).
 *
 * @return 1 when parsed, 0 when @p value is NULL or malformed
 */
AMLR_EXTERN int amlr_retry_parse_after_ms(uint64_t *out_ms, const char *value);

#ifdef __cplusplus
}
#endif

#endif
