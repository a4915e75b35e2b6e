/* SPDX-License-Identifier: MIT */
/* Wiping secrets with OpenSSL's cleanse, which the optimiser cannot drop. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "amlr/secret.h"

void amlr_secret_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

void amlr_secret_free(char *s)
{
	if (!s)
		return;
	amlr_secret_wipe(s, strlen(s));
	free(s);
}

int amlr_secret_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	/* CRYPTO_memcmp's time depends on the length only. */
	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}
