/* SPDX-License-Identifier: MIT */
/* Fuzz the List Blobs reply parser (amlr_blob__parse_list, libxml2). */
#include "fuzz.h"

#include <libxml/parser.h>

#include "amlr/blob.h"
#include "blob_internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Every item the parser gives has a name and its container. */
static int on_item(const amlr_blob_props *item, void *payload)
{
	size_t *count = payload;

	FUZZ_CHECK(item->name != NULL);
	FUZZ_CHECK(item->container && strcmp(item->container, "models") == 0);
	if (!item->is_prefix && item->content_md5)
		FUZZ_CHECK(*item->content_md5 != '\0');
	return ++*count >= 1000; /* as a caller stopping early would */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	amlr_error err = AMLR_ERROR_INIT;
	char *marker = NULL;
	size_t count = 0;
	int stop = 0;
	amlr_code rc;

	rc = amlr_blob__parse_list(&err, (const char *)data, size, "models",
				   &marker, on_item, &count, &stop);
	if (rc == AMLR_OK)
		FUZZ_CHECK(!marker || *marker);
	else
		FUZZ_CHECK(err.code == rc && err.message[0]);
	free(marker);
	return 0;
}
