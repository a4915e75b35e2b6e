/* SPDX-License-Identifier: MIT */
/* Clouds: the built-in endpoint sets and custom profiles in three formats
 * (notes/auth-storage.md §1.1, docs/cloud-profile.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "amlr/amlr.h"
#include "amlr/cloud.h"

static char tmpdir[256];
static char path[512];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cloud.XXXXXX");
	snprintf(path, sizeof(path), "%s/profile", mkdtemp(tmpdir));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

static void write_profile(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_cloud__builtins(void **state)
{
	const amlr_cloud *c;
	const amlr_cloud *const *all = amlr_cloud_builtins();

	(void)state;
	c = amlr_cloud_builtin("azurecloud");
	assert_non_null(c);
	assert_string_equal(c->name, "AzureCloud");
	assert_string_equal(c->authority_host,
			    "https://login.microsoftonline.com/");
	assert_string_equal(c->arm_endpoint, "https://management.azure.com/");
	assert_string_equal(c->arm_audience, "https://management.azure.com/");
	assert_string_equal(c->management_endpoint,
			    "https://management.azureml.net/");
	assert_string_equal(c->storage_suffix, "core.windows.net");
	assert_string_equal(c->storage_audience, "https://storage.azure.com/");
	c = amlr_cloud_builtin("AzureChinaCloud");
	assert_string_equal(c->authority_host,
			    "https://login.chinacloudapi.cn/");
	assert_string_equal(c->arm_endpoint,
			    "https://management.chinacloudapi.cn/");
	assert_string_equal(c->storage_suffix, "core.chinacloudapi.cn");
	assert_null(c->management_endpoint);
	c = amlr_cloud_builtin("AZUREUSGOVERNMENT");
	assert_string_equal(c->authority_host,
			    "https://login.microsoftonline.us/");
	assert_string_equal(c->arm_endpoint,
			    "https://management.usgovcloudapi.net/");
	assert_string_equal(c->storage_suffix, "core.usgovcloudapi.net");
	assert_null(amlr_cloud_builtin("AzureGermanCloud"));
	assert_null(amlr_cloud_builtin(NULL));
	assert_non_null(all[2]);
	assert_null(all[3]);
}

static void test_cloud__own_json_format(void **state)
{
	amlr_cloud *c = NULL;
	amlr_error err = AMLR_ERROR_INIT;

	(void)state;
	write_profile("\xef\xbb\xbf{\n"
		      "  \"$schema\": \"../docs/cloud-profile.md\",\n"
		      "  \"name\": \"AzureStackLab\",\n"
		      "  \"authorityHost\": \"https://login.lab.example\",\n"
		      "  \"ResourceManager\": \"https://arm.lab.example/\",\n"
		      "  \"storageSuffix\": \"blob.lab.example\",\n"
		      "  \"unknownField\": 1\n}\n");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_OK);
	assert_string_equal(c->name, "AzureStackLab");
	/* a trailing slash is added; keys match in any case */
	assert_string_equal(c->authority_host, "https://login.lab.example/");
	assert_string_equal(c->arm_endpoint, "https://arm.lab.example/");
	/* defaults: ARM is its own audience, public storage audience */
	assert_string_equal(c->arm_audience, "https://arm.lab.example/");
	assert_string_equal(c->storage_audience, "https://storage.azure.com/");
	assert_string_equal(c->storage_suffix, "blob.lab.example");
	assert_null(c->management_endpoint);
	amlr_cloud_free(c);
	amlr_cloud_free(NULL);
}

static void test_cloud__az_cloud_show_format(void **state)
{
	amlr_cloud *c = NULL;

	(void)state;
	write_profile(
		"{\"endpoints\":{\"activeDirectory\":\"https://127.0.0.1:8443/adfs\","
		"\"activeDirectoryResourceId\":\"https://management.core.windows.net/\","
		"\"management\":\"https://127.0.0.1:8443/\","
		"\"resourceManager\":\"https://127.0.0.1:8443/\"},"
		"\"isActive\":true,\"name\":\"emulator\","
		"\"suffixes\":{\"storageEndpoint\":\"core.windows.net\"}}");
	assert_int_equal(amlr_cloud_load(&c, NULL, path), AMLR_OK);
	assert_string_equal(c->name, "emulator");
	assert_string_equal(c->authority_host, "https://127.0.0.1:8443/adfs/");
	assert_string_equal(c->arm_endpoint, "https://127.0.0.1:8443/");
	assert_string_equal(c->arm_audience,
			    "https://management.core.windows.net/");
	assert_string_equal(c->storage_suffix, "core.windows.net");
	/* az's "management" is Service Management, not classic ML. */
	assert_null(c->management_endpoint);
	amlr_cloud_free(c);
}

static void test_cloud__emulator_exports(void **state)
{
	amlr_cloud *c = NULL;

	(void)state;
	write_profile(
		"export AMLR_EMULATOR_URL='http://127.0.0.1:40001'\n"
		"# a comment\n"
		"export AZURE_AUTHORITY_HOST='http://127.0.0.1:40001/'\n"
		"export AZURE_CLIENT_SECRET='never read'\n"
		"AMLR_ARM_ENDPOINT=\"http://localhost:40001\"\n"
		"export AMLR_CLASSIC_ENDPOINT=http://127.0.0.1:40001/classic\n");
	assert_int_equal(amlr_cloud_load(&c, NULL, path), AMLR_OK);
	assert_string_equal(c->name, "Custom");
	assert_string_equal(c->authority_host, "http://127.0.0.1:40001/");
	assert_string_equal(c->arm_endpoint, "http://localhost:40001/");
	assert_string_equal(c->management_endpoint,
			    "http://127.0.0.1:40001/classic/");
	amlr_cloud_free(c);
}

static void test_cloud__bad_profiles(void **state)
{
	amlr_cloud *c = NULL;
	amlr_error err = AMLR_ERROR_INIT;
	char msg[1024];

	(void)state;
	write_profile("{\"authorityHost\":\"https://login.example/\"}");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EINVAL);
	snprintf(
		msg, sizeof(msg),
		"cloud profile '%s': missing 'resourceManager' (the Resource Manager endpoint)",
		path);
	assert_string_equal(err.message, msg);
	/* Plain http only to loopback: a token must not travel in clear. */
	write_profile("{\"authorityHost\":\"http://login.example/\","
		      "\"resourceManager\":\"https://arm.example/\"}");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EINVAL);
	assert_non_null(strstr(err.message, "'authorityHost' must be an "
					    "https:// URL"));
	write_profile("{\"authorityHost\":42}");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EINVAL);
	assert_non_null(strstr(err.message, "must be a string"));
	write_profile("{\"authorityHost\":");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EINVAL);
	write_profile("export AZURE_AUTHORITY_HOST='https://x/\n");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EINVAL);
	assert_non_null(strstr(err.message, "unterminated quote"));
	write_profile("just words\n");
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EINVAL);
	assert_non_null(strstr(err.message, "line 1 is not NAME=VALUE"));
	unlink(path);
	assert_int_equal(amlr_cloud_load(&c, &err, path), AMLR_EIO);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cloud__builtins),
		cmocka_unit_test(test_cloud__own_json_format),
		cmocka_unit_test(test_cloud__az_cloud_show_format),
		cmocka_unit_test(test_cloud__emulator_exports),
		cmocka_unit_test(test_cloud__bad_profiles),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
