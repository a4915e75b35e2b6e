/* SPDX-License-Identifier: MIT */
/* Fuzz amlr_sas_parse() and amlr_sas_parse_time(): SAS tokens and times. */
#include "fuzz.h"

#include <time.h>

#include "amlr/buf.h"
#include "amlr/sas.h"
#include "amlr/secret.h"

/* A parsed token's canonical form parses again to the same canonical form. */
static void roundtrip(const amlr_sas *sas)
{
	amlr_sas *again = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char *q1 = NULL, *q2 = NULL;

	if (amlr_sas_to_query(&q1, sas) != AMLR_OK)
		goto done;
	FUZZ_CHECK(amlr_sas_parse(&again, &err, q1, 0) == AMLR_OK);
	FUZZ_CHECK(amlr_sas_is_account(again) == amlr_sas_is_account(sas));
	if (amlr_sas_to_query(&q2, again) != AMLR_OK)
		goto done;
	FUZZ_CHECK(strcmp(q1, q2) == 0);
done:
	amlr_secret_free(q1);
	amlr_secret_free(q2);
	amlr_sas_free(again);
}

/* The string-to-sign of whatever was parsed can be computed. */
static void string_to_sign(const amlr_sas *sas)
{
	amlr_sas_values v = AMLR_SAS_VALUES_INIT;
	amlr_buf b = AMLR_BUF_INIT;

	amlr_sas_values_of(&v, sas);
	if (amlr_sas_is_account(sas))
		(void)amlr_sas_account_string_to_sign(&b, "account", &v);
	else
		(void)amlr_sas_service_string_to_sign(&b, "account", "c",
						      "b/x.csv", &v);
	amlr_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	amlr_sas *sas = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char *text = fuzz_strdup(data, size);
	char formatted[AMLR_SAS_TIME_SIZE];
	time_t t, t2;
	unsigned flags;

	if (!text)
		return 0;
	for (flags = 0; flags <= AMLR_SAS_STRICT; flags++) {
		amlr_error_clear(&err);
		if (amlr_sas_parse(&sas, &err, text, flags) == AMLR_OK) {
			(void)amlr_sas_get(sas, "sp");
			(void)amlr_sas_check_time(&err, sas, 1700000000, 300);
			string_to_sign(sas);
			roundtrip(sas);
		} else {
			FUZZ_CHECK(sas == NULL);
			FUZZ_CHECK(err.code != AMLR_OK && err.message[0]);
		}
		amlr_sas_free(sas);
		sas = NULL;
	}
	/* A time that parses formats and parses back to itself. */
	if (amlr_sas_parse_time(&t, text) == AMLR_OK) {
		amlr_sas_format_time(formatted, t);
		FUZZ_CHECK(amlr_sas_parse_time(&t2, formatted) == AMLR_OK);
		FUZZ_CHECK(t == t2);
	}
	free(text);
	return 0;
}
