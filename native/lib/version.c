/* SPDX-License-Identifier: MIT */
/* Versions of libamlr and of its dependencies, read at run time. */
#include <curl/curl.h>
#include <json-c/json.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>

#include "amlr/version.h"

const char *amlr_version(void)
{
	return AMLR_VERSION;
}

const amlr_dep_version *amlr_dep_versions(void)
{
	static amlr_dep_version deps[5];

	/* Filled on each call from the libraries' own run-time answers. */
	deps[0].name = "libcurl";
	deps[0].version = curl_version_info(CURLVERSION_NOW)->version;
	deps[1].name = "json-c";
	deps[1].version = json_c_version();
	deps[2].name = "libxml2";
	deps[2].version = LIBXML_DOTTED_VERSION;
	deps[3].name = "OpenSSL";
	deps[3].version = OpenSSL_version(OPENSSL_VERSION_STRING);
	deps[4].name = NULL;
	deps[4].version = NULL;
	return deps;
}
