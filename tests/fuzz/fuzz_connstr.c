/* SPDX-License-Identifier: MIT */
/* Fuzz amlr_connstr_parse(): Azure Storage connection strings. */
#include "fuzz.h"

#include <strings.h>

#include "amlr/connstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	amlr_connstr *cs = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char *text = fuzz_strdup(data, size);
	const char *endpoint;
	amlr_code rc;

	if (!text)
		return 0;
	rc = amlr_connstr_parse(&cs, &err, text);
	if (rc == AMLR_OK) {
		/* A parsed string always leads to a blob endpoint. */
		endpoint = amlr_connstr_blob_endpoint(cs);
		FUZZ_CHECK(endpoint != NULL);
		FUZZ_CHECK(strncasecmp(endpoint, "http://", 7) == 0 ||
			   strncasecmp(endpoint, "https://", 8) == 0);
		FUZZ_CHECK(!*endpoint || endpoint[strlen(endpoint) - 1] != '/');
		(void)amlr_connstr_account(cs);
		(void)amlr_connstr_key(cs);
		(void)amlr_connstr_sas(cs);
		(void)amlr_connstr_get(cs, "AccountName");
		(void)amlr_connstr_get(cs, "blobendpoint");
	} else {
		FUZZ_CHECK(cs == NULL);
		FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
	}
	amlr_connstr_free(cs);
	free(text);
	return 0;
}
