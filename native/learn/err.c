/* SPDX-License-Identifier: MIT */
/* Result codes and the one-line messages of learn/. */
#include <stdarg.h>
#include <stdio.h>

#include "learn_internal.h"

const char *learn_strerror(learn_code code)
{
	switch (code) {
	case LEARN_OK:
		return "success";
	case LEARN_ENOMEM:
		return "out of memory";
	case LEARN_EINVAL:
		return "invalid argument";
	case LEARN_ECSV:
		return "malformed CSV";
	case LEARN_EDATA:
		return "unusable data";
	case LEARN_EMODEL:
		return "invalid .ilearner model";
	case LEARN_EIO:
		return "input/output error";
	case LEARN_ENUMERIC:
		return "numerical failure";
	}
	return "unknown error";
}

void learn_err_set(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	/* A longer message is cut: it stays one line either way. */
	vsnprintf(err, LEARN_ERR_SIZE, fmt, ap);
	va_end(ap);
}
