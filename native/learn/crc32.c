/* SPDX-License-Identifier: MIT */
/* CRC-32 (IEEE 802.3), the checksum of .ilearner files. */
#include "learn_internal.h"

/*
 * Why CRC-32 and not a cryptographic hash: the checksum catches accidental
 * damage (a truncated upload, a flipped byte); integrity against a forger
 * is the storage's job (SAS, HTTPS).  A few lines keep learn/ free of
 * dependencies; the check value 0xCBF43926 of "123456789" is unit-tested.
 * Bitwise, without a table: models are kilobytes, and there is no shared
 * state for the emulator's worker threads to race on.
 */
uint32_t learn_crc32_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;
	unsigned k;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}
