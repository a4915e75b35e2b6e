/* SPDX-License-Identifier: MIT */
/* Process-wide set-up of the libraries underneath. */
#include <curl/curl.h>

#include "amlr/amlr.h"

amlr_code amlr_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? AMLR_OK
								 : AMLR_EFAIL;
}

void amlr_global_cleanup(void)
{
	curl_global_cleanup();
}
