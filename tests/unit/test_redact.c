/* SPDX-License-Identifier: MIT */
/* Redaction: every kind of secret that can reach a trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "amlr/redact.h"

static char *redact(const char *in)
{
	amlr_buf out = AMLR_BUF_INIT;

	assert_int_equal(amlr_redact(&out, in, strlen(in)), AMLR_OK);
	return amlr_buf_detach(&out);
}

static void expect(const char *in, const char *want)
{
	char *got = redact(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_redact__authorization_headers(void **state)
{
	(void)state;
	expect("GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer eyJ0.eyJ1.sig\r\nAccept: */*\r\n",
	       "GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: REDACTED\r\nAccept: */*\r\n");
	expect("authorization:SharedKey devstoreaccount1:abc=\n",
	       "authorization:REDACTED\n");
	expect("Proxy-Authorization: Basic dTpw\r\n",
	       "Proxy-Authorization: REDACTED\r\n");
}

static void test_redact__api_key_headers(void **state)
{
	(void)state;
	expect("api-key: k1\r\nOcp-Apim-Subscription-Key: k2\r\nX-IDENTITY-HEADER: k3\r\n",
	       "api-key: REDACTED\r\nOcp-Apim-Subscription-Key: REDACTED\r\nX-IDENTITY-HEADER: REDACTED\r\n");
	/* Only at the start of a line: a body mentioning it is left alone. */
	expect("the api-key: header", "the api-key: header");
}

static void test_redact__sas_signature(void **state)
{
	(void)state;
	expect("PUT /c/b?sv=2021-08-06&se=2030-01-01&sp=rw&sig=abc%2Bdef%3D HTTP/1.1",
	       "PUT /c/b?sv=2021-08-06&se=2030-01-01&sp=rw&sig=REDACTED HTTP/1.1");
	expect("{\"SasBlobToken\":\"?sv=1&sig=s3cr3t&se=2\"}",
	       "{\"SasBlobToken\":\"REDACTED\"}");
	expect("https://a/b?sig=x", "https://a/b?sig=REDACTED");
	/* A parameter that merely ends in "sig" is not a signature. */
	expect("?xsig=keep&sig=drop", "?xsig=keep&sig=REDACTED");
}

static void test_redact__connection_strings(void **state)
{
	(void)state;
	expect("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Eby8vdM02xNO==;EndpointSuffix=core.windows.net",
	       "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=core.windows.net");
	expect("BlobEndpoint=https://a/;SharedAccessSignature=sv=1&ss=b&sig=zz;",
	       "BlobEndpoint=https://a/;SharedAccessSignature=REDACTED;");
}

static void test_redact__token_request_forms(void **state)
{
	(void)state;
	expect("grant_type=client_credentials&client_id=id&client_secret=p%40ss&scope=x",
	       "grant_type=client_credentials&client_id=id&client_secret=REDACTED&scope=x");
	expect("client_assertion_type=urn%3Aietf%3Ajwt-bearer&client_assertion=eyJ.eyJ.sig&client_id=1",
	       "client_assertion_type=urn%3Aietf%3Ajwt-bearer&client_assertion=REDACTED&client_id=1");
}

static void test_redact__json_members(void **state)
{
	(void)state;
	expect("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ0eXAi.x.y\"}",
	       "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"REDACTED\"}");
	/* ARM listKeys and the storage account key of a definition. */
	expect("{\"primary\": \"p\\\"q\", \"secondary\" : \"s\"}",
	       "{\"primary\": \"REDACTED\", \"secondary\" : \"REDACTED\"}");
	expect("{\"storageAccount\":{\"name\":\"st\",\"key\":\"K==\"}}",
	       "{\"storageAccount\":{\"name\":\"st\",\"key\":\"REDACTED\"}}");
	expect("{\"PrimaryKey\":\"a\",\"apiKey\":\"b\",\"client_secret\":\"c\"}",
	       "{\"PrimaryKey\":\"REDACTED\",\"apiKey\":\"REDACTED\",\"client_secret\":\"REDACTED\"}");
	/* Names that only contain a secret's name, and non-string values. */
	expect("{\"keyVault\":\"v\",\"monkey\":\"m\",\"key\":5}",
	       "{\"keyVault\":\"v\",\"monkey\":\"m\",\"key\":5}");
}

static void test_redact__truncated_secret_is_still_hidden(void **state)
{
	(void)state;
	expect("{\"access_token\":\"eyJ0eXAiOiJKV1Qi",
	       "{\"access_token\":\"REDACTED");
	expect("Authorization: Bearer eyJ", "Authorization: REDACTED");
}

static void test_redact__plain_text_unchanged(void **state)
{
	static const char text[] =
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"name\":\"ws1\",\"location\":\"westus\"}";

	(void)state;
	expect(text, text);
	expect("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact__authorization_headers),
		cmocka_unit_test(test_redact__api_key_headers),
		cmocka_unit_test(test_redact__sas_signature),
		cmocka_unit_test(test_redact__connection_strings),
		cmocka_unit_test(test_redact__token_request_forms),
		cmocka_unit_test(test_redact__json_members),
		cmocka_unit_test(test_redact__truncated_secret_is_still_hidden),
		cmocka_unit_test(test_redact__plain_text_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
