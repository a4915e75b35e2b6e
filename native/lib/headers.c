/* SPDX-License-Identifier: MIT */
/* The headers of a reply, as libcurl hands them over line by line. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amlr/secret.h"
#include "http_internal.h"

void amlr_http__headers_clear(struct amlr_http__headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		amlr_secret_free(h->v[i].value); /* a Set-Cookie, a token */
	}
	h->n = 0;
}

void amlr_http__headers_release(struct amlr_http__headers *h)
{
	amlr_http__headers_clear(h);
	free(h->v);
	h->v = NULL;
	h->cap = 0;
}

const char *amlr_http__headers_get(const struct amlr_http__headers *h,
				   const char *name)
{
	size_t i;

	for (i = h->n; i-- > 0;)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

size_t amlr_http__on_header(char *data, size_t size, size_t n, void *userp)
{
	struct amlr_http__headers *hs = userp;
	struct amlr_http__header *h;
	size_t len = size * n, nlen, vstart, vend;
	const char *colon;

	/* Each reply (100 Continue, then the final one) starts anew. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		amlr_http__headers_clear(hs);
		return len;
	}
	if (!(colon = memchr(data, ':', len)) || data[0] == ' ' ||
	    data[0] == '\t')
		return len;
	nlen = (size_t)(colon - data);
	vstart = nlen + 1;
	vend = len;
	while (vstart < vend && (data[vstart] == ' ' || data[vstart] == '\t'))
		vstart++;
	while (vend > vstart && strchr(" \t\r\n", data[vend - 1]))
		vend--;
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 16;

		if (!(h = realloc(hs->v, cap * sizeof(*h))))
			return 0;
		hs->v = h;
		hs->cap = cap;
	}
	h = &hs->v[hs->n];
	h->name = strndup(data, nlen);
	h->value = strndup(data + vstart, vend - vstart);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return 0;
	}
	hs->n++;
	return len;
}
