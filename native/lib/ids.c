/* SPDX-License-Identifier: MIT */
/* Request ids, clocks, the User-Agent and non-secret randomness. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "amlr/version.h"
#include "http_internal.h"

/*
 * getrandom(), not OpenSSL's RAND_bytes(): nothing here is a secret, and
 * starting OpenSSL's generator costs a run a sixth of its start-up.
 */
static void fill(void *p, size_t n)
{
	struct timespec ts;
	unsigned char *b = p;
	size_t i;

	if (getrandom(p, n, GRND_NONBLOCK) == (ssize_t)n)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < n; i++)
		b[i] = (unsigned char)((unsigned long)ts.tv_nsec >>
					       (i % 4 * 8) ^
				       (unsigned long)getpid() * (i + 1) ^
				       (unsigned long)ts.tv_sec);
}

void amlr_http__new_guid(char out[AMLR_HTTP__GUID_SIZE])
{
	unsigned char b[16];

	fill(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, AMLR_HTTP__GUID_SIZE,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

uint32_t amlr_http__random_u32(void)
{
	uint32_t r;

	fill(&r, sizeof(r));
	return r;
}

uint64_t amlr_http__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void amlr_http__sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

amlr_code amlr_http__user_agent(amlr_buf *out, const char *extra)
{
	/* curl_version_info(), not curl_version(): the latter starts
	 * libldap, which loads SASL plugins, on every run. */
	if (amlr_buf_printf(out, "amlretrain/%s libcurl/%s", AMLR_VERSION,
			    curl_version_info(CURLVERSION_NOW)->version) !=
	    AMLR_OK)
		return AMLR_EFAIL;
	if (extra && amlr_buf_printf(out, " %s", extra) != AMLR_OK)
		return AMLR_EFAIL;
	return AMLR_OK;
}
