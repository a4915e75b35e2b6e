/* SPDX-License-Identifier: MIT */
/* Retry policy: which statuses retry, backoff bounds, Retry-After forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "amlr/retry.h"

/* 2015-10-21 07:28:00 UTC, the date of RFC 9110's examples' era. */
#define NOW ((time_t)1445412480)

static void test_retry__retryable_statuses(void **state)
{
	static const long yes[] = { 408, 429, 500, 502, 503, 504 };
	static const long no[] = { 200, 201, 202, 204, 301, 400, 401,
				   403, 404, 409, 412, 501, 505 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(amlr_retry_status_retryable(yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(amlr_retry_status_retryable(no[i]));
}

static void test_retry__backoff_cap_doubles_then_caps(void **state)
{
	amlr_retry_policy p = { 10, 800, 60000, 300000 };

	(void)state;
	assert_int_equal(amlr_retry_backoff_cap_ms(&p, 1), 800);
	assert_int_equal(amlr_retry_backoff_cap_ms(&p, 2), 1600);
	assert_int_equal(amlr_retry_backoff_cap_ms(&p, 3), 3200);
	assert_int_equal(amlr_retry_backoff_cap_ms(&p, 7), 51200);
	assert_int_equal(amlr_retry_backoff_cap_ms(&p, 8), 60000);
	assert_int_equal(amlr_retry_backoff_cap_ms(&p, 1000), 60000);
}

static void test_retry__full_jitter_stays_within_bounds(void **state)
{
	amlr_retry_policy p = { 10, 800, 60000, 300000 };
	uint32_t rnd;
	unsigned retry;
	uint64_t d, cap;

	(void)state;
	for (retry = 1; retry <= 12; retry++) {
		cap = amlr_retry_backoff_cap_ms(&p, retry);
		for (rnd = 0; rnd < 100000; rnd += 7) {
			d = amlr_retry_backoff_ms(&p, retry, rnd * 2654435761u);
			assert_true(d <= cap);
		}
		/* Both ends of the range are reachable. */
		assert_int_equal(amlr_retry_backoff_ms(&p, retry, 0), 0);
		assert_int_equal(
			amlr_retry_backoff_ms(&p, retry, (uint32_t)cap), cap);
	}
}

static void test_retry__after_delta_seconds(void **state)
{
	uint64_t ms = 1;

	(void)state;
	assert_true(amlr_retry_parse_after(&ms, "0", NOW));
	assert_int_equal(ms, 0);
	assert_true(amlr_retry_parse_after(&ms, "17", NOW));
	assert_int_equal(ms, 17000);
	assert_true(amlr_retry_parse_after(&ms, " 5 ", NOW));
	assert_int_equal(ms, 5000);
	/* Absurd values are capped at a day, never overflow. */
	assert_true(amlr_retry_parse_after(&ms, "99999999999999999999", NOW));
	assert_int_equal(ms, 86400000);
}

static void test_retry__after_http_date(void **state)
{
	uint64_t ms = 1;

	(void)state;
	/* IMF-fixdate, 30 s after NOW. */
	assert_true(amlr_retry_parse_after(&ms, "Wed, 21 Oct 2015 07:28:30 GMT",
					   NOW));
	assert_int_equal(ms, 30000);
	/* The obsolete RFC 850 and asctime forms, 60 s after NOW. */
	assert_true(amlr_retry_parse_after(
		&ms, "Wednesday, 21-Oct-15 07:29:00 GMT", NOW));
	assert_int_equal(ms, 60000);
	assert_true(
		amlr_retry_parse_after(&ms, "Wed Oct 21 07:29:00 2015", NOW));
	assert_int_equal(ms, 60000);
	/* A date in the past means: now. */
	assert_true(amlr_retry_parse_after(&ms, "Wed, 21 Oct 2015 07:00:00 GMT",
					   NOW));
	assert_int_equal(ms, 0);
}

static void test_retry__after_malformed(void **state)
{
	uint64_t ms = 42;

	(void)state;
	assert_false(amlr_retry_parse_after(&ms, NULL, NOW));
	assert_false(amlr_retry_parse_after(&ms, "", NOW));
	assert_false(amlr_retry_parse_after(&ms, "-5", NOW));
	assert_false(amlr_retry_parse_after(&ms, "soon", NOW));
	assert_false(amlr_retry_parse_after(&ms, "1.5", NOW));
	assert_int_equal(ms, 42);
}

static void test_retry__after_ms(void **state)
{
	uint64_t ms = 0;

	(void)state;
	assert_true(amlr_retry_parse_after_ms(&ms, "250"));
	assert_int_equal(ms, 250);
	assert_true(amlr_retry_parse_after_ms(&ms, "999999999999"));
	assert_int_equal(ms, 86400000);
	assert_false(amlr_retry_parse_after_ms(&ms, NULL));
	assert_false(amlr_retry_parse_after_ms(&ms, "12ms"));
	assert_false(amlr_retry_parse_after_ms(&ms, "-1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry__retryable_statuses),
		cmocka_unit_test(test_retry__backoff_cap_doubles_then_caps),
		cmocka_unit_test(test_retry__full_jitter_stays_within_bounds),
		cmocka_unit_test(test_retry__after_delta_seconds),
		cmocka_unit_test(test_retry__after_http_date),
		cmocka_unit_test(test_retry__after_malformed),
		cmocka_unit_test(test_retry__after_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
