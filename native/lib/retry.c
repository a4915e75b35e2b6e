/* SPDX-License-Identifier: MIT */
/* Retry decisions: which statuses, how long to wait. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "amlr/retry.h"

#define DAY_MS (24ull * 3600 * 1000)

int amlr_retry_status_retryable(long status)
{
	switch (status) {
	case 408:
	case 429:
	case 500:
	case 502:
	case 503:
	case 504:
		return 1;
	default:
		return 0;
	}
}

uint64_t amlr_retry_backoff_cap_ms(const amlr_retry_policy *policy,
				   unsigned retry)
{
	uint64_t cap = policy->base_delay_ms;
	unsigned i;

	for (i = 1; i < retry && cap < policy->max_delay_ms; i++)
		cap *= 2;
	return cap < policy->max_delay_ms ? cap : policy->max_delay_ms;
}

uint64_t amlr_retry_backoff_ms(const amlr_retry_policy *policy, unsigned retry,
			       uint32_t rnd)
{
	return (uint64_t)rnd % (amlr_retry_backoff_cap_ms(policy, retry) + 1);
}

/* Non-negative decimal integer, whole string (blanks around allowed). */
static int parse_uint(uint64_t *out, const char *s)
{
	char *end;
	unsigned long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return 0;
	*out = errno == ERANGE ? UINT64_MAX : v;
	return 1;
}

int amlr_retry_parse_after(uint64_t *out_ms, const char *value, time_t now)
{
	uint64_t secs;
	time_t when;

	if (!value)
		return 0;
	if (parse_uint(&secs, value)) {
		*out_ms = secs > DAY_MS / 1000 ? DAY_MS : secs * 1000;
		return 1;
	}
	/* libcurl's parser knows all three HTTP-date forms of RFC 9110. */
	if ((when = curl_getdate(value, NULL)) == -1)
		return 0;
	if (when <= now)
		*out_ms = 0;
	else if ((uint64_t)(when - now) > DAY_MS / 1000)
		*out_ms = DAY_MS;
	else
		*out_ms = (uint64_t)(when - now) * 1000;
	return 1;
}

int amlr_retry_parse_after_ms(uint64_t *out_ms, const char *value)
{
	uint64_t ms;

	if (!value || !parse_uint(&ms, value))
		return 0;
	*out_ms = ms > DAY_MS ? DAY_MS : ms;
	return 1;
}
