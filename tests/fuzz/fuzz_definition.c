/* SPDX-License-Identifier: MIT */
/* Fuzz definition import, export, request bodies and the model patch. */
#include "fuzz.h"

#include "amlr/buf.h"
#include "amlr/definition.h"
#include "amlr/json.h"

/* A model URI as `webservice update --set-model` writes it. */
#define FUZZ_MODEL_URI "https://acct.blob.core.windows.net/models/new.ilearner"

/* PUT and PATCH bodies in both api-versions. */
static void bodies(const amlr_json *def)
{
	static const char *const versions[] = { AMLR_DEFINITION_API_2017,
						AMLR_DEFINITION_API_PREVIEW };
	amlr_definition_body_opts opts = AMLR_DEFINITION_BODY_OPTS_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf body = AMLR_BUF_INIT;
	size_t i;
	int create;

	for (i = 0; i < 2; i++)
		for (create = 0; create <= 1; create++) {
			opts.api_version = versions[i];
			opts.create = create;
			opts.location = create ? "westeurope" : NULL;
			(void)amlr_definition_request_body(&body, &err, def,
							   &opts);
			amlr_buf_release_secret(&body);
		}
}

/*
 * An export imports again to an equal definition, and exporting that
 * gives the same bytes (Export-AzMlWebService, then Import-...).
 */
static void roundtrip(const amlr_json *def)
{
	amlr_buf first = AMLR_BUF_INIT, second = AMLR_BUF_INIT;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_json *again = NULL;

	if (amlr_definition_export(&first, &err, def) != AMLR_OK)
		goto done;
	FUZZ_CHECK(amlr_definition_import(&again, &err, first.ptr, first.len) ==
		   AMLR_OK);
	FUZZ_CHECK(amlr_definition_export(&second, &err, again) == AMLR_OK);
	FUZZ_CHECK(first.len == second.len &&
		   memcmp(first.ptr, second.ptr, first.len) == 0);
done:
	amlr_json_free(again);
	amlr_buf_release_secret(&first);
	amlr_buf_release_secret(&second);
}

/* The model patch: find the [trained model] asset, point it elsewhere. */
static void patch(amlr_json *def)
{
	amlr_error err = AMLR_ERROR_INIT;
	const char *asset = NULL, *uri;

	if (amlr_definition_find_model(&asset, &err, def, NULL) != AMLR_OK)
		return;
	(void)amlr_definition_model_uri(def, asset);
	if (amlr_definition_set_model_uri(def, &err, asset, FUZZ_MODEL_URI) !=
	    AMLR_OK)
		return;
	uri = amlr_definition_model_uri(def, asset);
	FUZZ_CHECK(uri && strcmp(uri, FUZZ_MODEL_URI) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	amlr_json *def = NULL, *parsed = NULL, *norm = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	amlr_buf out = AMLR_BUF_INIT;
	amlr_code rc;

	rc = amlr_definition_import(&def, &err, (const char *)data, size);
	if (rc != AMLR_OK) {
		FUZZ_CHECK(def == NULL && err.code == rc && err.message[0]);
		/* Any JSON is still exported as a sparse item would be. */
		if (amlr_json_parse(&parsed, NULL, (const char *)data, size) ==
		    AMLR_OK) {
			(void)amlr_definition_export(&out, &err, parsed);
			(void)amlr_definition_has_secrets(parsed);
			(void)amlr_definition_equal(parsed, parsed);
		}
		goto done;
	}
	/* Normalising a normalised definition changes nothing. */
	FUZZ_CHECK(amlr_definition_normalize(&norm, &err, def) == AMLR_OK);
	FUZZ_CHECK(amlr_definition_equal(def, norm));
	(void)amlr_definition_has_secrets(def);
	bodies(def);
	roundtrip(def);
	patch(def);
	bodies(def);
	roundtrip(def);
done:
	amlr_buf_release_secret(&out);
	amlr_json_free(norm);
	amlr_json_free(parsed);
	amlr_json_free(def);
	return 0;
}
