/* SPDX-License-Identifier: MIT */
/* Managed identity: App Service/Automation, legacy MSI, Cloud Shell, Azure
 * Arc's challenge, IMDS (notes/auth-storage.md §1.6). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amlr/buf.h"
#include "amlr/http.h"
#include "amlr/secret.h"
#include "credential_internal.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_PATH "/metadata/identity/oauth2/token"
#define ARC_DEFAULT "http://127.0.0.1:40342/metadata/identity/oauth2/token"
#define ARC_KEY_DIR "/var/opt/azcmagent/tokens"
#define ARC_KEY_MAX 4096

/* The api-version each source speaks. */
static const char *const api_version[] = {
	"2019-08-01", /* MI_APP_SERVICE */
	"2017-09-01", /* MI_MSI_2017 */
	NULL, /* MI_CLOUD_SHELL: none */
	"2020-06-01", /* MI_ARC */
	"2018-02-01", /* MI_IMDS */
};

/* The name of the user-assigned identity's client id parameter. */
static const char *const client_param[] = {
	"client_id", "clientid", NULL, NULL, "client_id",
};

const char *amlr_credential__mi_url(const amlr_credential *c)
{
	switch (c->mi) {
	case MI_APP_SERVICE:
		return c->o.identity_endpoint;
	case MI_MSI_2017:
	case MI_CLOUD_SHELL:
		return c->o.msi_endpoint;
	case MI_ARC:
		return c->o.identity_endpoint ? c->o.identity_endpoint
					      : ARC_DEFAULT;
	default:
		return c->o.imds_endpoint ? c->o.imds_endpoint : IMDS_DEFAULT;
	}
}

/* The endpoint URL with the source's query. */
static amlr_code build_url(amlr_buf *url, const amlr_credential *c,
			   const char *resource)
{
	const char *base = amlr_credential__mi_url(c);
	const char *uami = c->o.managed_identity_client_id;
	size_t len = strlen(base);
	amlr_buf q = AMLR_BUF_INIT;
	amlr_code rc = AMLR_OK;

	if (c->mi == MI_IMDS) {
		while (len && base[len - 1] == '/')
			len--;
		rc = amlr_buf_printf(url, "%.*s%s", (int)len, base, IMDS_PATH);
	} else {
		rc = amlr_buf_puts(url, base);
	}
	if (c->mi == MI_CLOUD_SHELL)
		return rc; /* the resource goes in the form body */
	if (rc == AMLR_OK)
		rc = amlr_credential__form_add(&q, "api-version",
					       api_version[c->mi]);
	if (rc == AMLR_OK)
		rc = amlr_credential__form_add(&q, "resource", resource);
	if (rc == AMLR_OK && uami && *uami && client_param[c->mi])
		rc = amlr_credential__form_add(&q, client_param[c->mi], uami);
	if (rc == AMLR_OK)
		rc = amlr_buf_printf(url, "%c%s",
				     strchr(url->ptr, '?') ? '&' : '?', q.ptr);
	amlr_buf_release(&q);
	return rc;
}

/*
 * Azure Arc's challenge names a file: accept it only inside the agent's
 * key directory, named *.key, a regular file of at most 4 KiB
 * (what MSAL and the Azure SDKs check before reading it).
 */
static amlr_code read_arc_key(amlr_buf *key, amlr_credential *c,
			      const char *challenge)
{
	const char *dir = c->o.arc_key_dir ? c->o.arc_key_dir : ARC_KEY_DIR;
	const char *path, *slash;
	size_t dlen = strlen(dir), n;
	struct stat st;
	ssize_t got;
	int fd = -1;
	amlr_code rc = AMLR_EAUTH;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (!challenge || strncasecmp(challenge, "Basic realm=", 12) != 0) {
		amlr_error_set(
			&c->err, rc,
			"azure arc: the 401 reply has no 'Basic realm=' challenge");
		goto done;
	}
	path = challenge + 12;
	slash = strrchr(path, '/');
	n = strlen(path);
	if (!slash || (size_t)(slash - path) != dlen ||
	    strncmp(path, dir, dlen) != 0 || n < 5 ||
	    strcmp(path + n - 4, ".key") != 0 || strstr(path, "/..")) {
		amlr_error_set(
			&c->err, rc,
			"azure arc: refusing the challenge file '%s' (not a .key file in '%.*s')",
			path, (int)dlen, dir);
		goto done;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		amlr_error_set(
			&c->err, rc,
			"azure arc: cannot read '%s': %s (is this user in the himds group?)",
			path, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > ARC_KEY_MAX || st.st_size == 0) {
		amlr_error_set(
			&c->err, rc,
			"azure arc: '%s' is not a key file of at most %d bytes",
			path, ARC_KEY_MAX);
		goto done;
	}
	if (amlr_buf_grow(key, (size_t)st.st_size + 1) != AMLR_OK) {
		rc = amlr_error_set(&c->err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	while ((got = read(fd, key->ptr + key->len, key->cap - key->len - 1)) >
		       0 ||
	       (got < 0 && errno == EINTR)) {
		if (got > 0)
			key->len += (size_t)got;
		key->ptr[key->len] = '\0';
	}
	if (got < 0 || key->len == 0) {
		amlr_error_set(&c->err, rc, "azure arc: cannot read '%s'",
			       path);
		goto done;
	}
	rc = AMLR_OK;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Arc: the first request must be refused with the challenge. */
static amlr_code arc_challenge(amlr_buf *auth_line, amlr_credential *c,
			       amlr_client *client, const char *url)
{
	static const char *const headers[] = { "Metadata: true", NULL };
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	amlr_buf key = AMLR_BUF_INIT;
	amlr_code rc;

	req.url = url;
	req.headers = headers;
	req.flags = AMLR_REQ_LINK_LOCAL | AMLR_REQ_ANY_STATUS;
	if ((rc = amlr_http_send(&resp, client, &req)) != AMLR_OK) {
		c->err = *amlr_client_error(client);
		goto done;
	}
	if (amlr_response_status(resp) != 401) {
		rc = amlr_error_set(
			&c->err, AMLR_EAUTH,
			"azure arc: expected a 401 challenge, got HTTP %ld",
			amlr_response_status(resp));
		goto done;
	}
	if ((rc = read_arc_key(&key, c,
			       amlr_response_header(
				       resp, "WWW-Authenticate"))) != AMLR_OK)
		goto done;
	if ((rc = amlr_buf_printf(auth_line, "Authorization: Basic %s",
				  key.ptr)) != AMLR_OK)
		amlr_error_set(&c->err, rc, "out of memory");
done:
	amlr_buf_release_secret(&key);
	amlr_response_free(resp);
	return rc;
}

amlr_code amlr_credential__mi_token(char **token_out, time_t *expires_out,
				    amlr_credential *c, amlr_client *client,
				    const char *resource, time_t now, int probe,
				    int *unavailable)
{
	const char *headers[4] = { NULL, NULL, NULL, NULL };
	amlr_request req = AMLR_REQUEST_INIT;
	amlr_response *resp = NULL;
	amlr_buf url = AMLR_BUF_INIT, secret = AMLR_BUF_INIT;
	amlr_buf form = AMLR_BUF_INIT;
	const char *body;
	size_t len;
	amlr_code rc;

	*unavailable = 0;
	if ((c->mi == MI_ARC || c->mi == MI_CLOUD_SHELL) &&
	    c->o.managed_identity_client_id &&
	    *c->o.managed_identity_client_id) {
		rc = amlr_error_set(
			&c->err, AMLR_EINVAL,
			"%s supports only the system-assigned identity, not client id '%s'",
			c->mi == MI_ARC ? "azure arc" : "cloud shell",
			c->o.managed_identity_client_id);
		goto done;
	}
	if ((rc = build_url(&url, c, resource)) != AMLR_OK) {
		amlr_error_set(&c->err, rc, "out of memory");
		goto done;
	}
	req.url = url.ptr;
	req.headers = headers;
	req.flags = AMLR_REQ_LINK_LOCAL | (probe ? AMLR_REQ_PROBE : 0);
	switch (c->mi) {
	case MI_APP_SERVICE:
		rc = amlr_buf_printf(&secret, "X-IDENTITY-HEADER: %s",
				     c->o.identity_header);
		headers[0] = secret.ptr;
		break;
	case MI_MSI_2017:
		rc = amlr_buf_printf(&secret, "secret: %s", c->o.msi_secret);
		headers[0] = secret.ptr;
		headers[1] = "Metadata: true";
		break;
	case MI_CLOUD_SHELL:
		req.method = "POST";
		headers[0] = "Metadata: true";
		headers[1] = "Content-Type: application/x-www-form-urlencoded";
		rc = amlr_credential__form_add(&form, "resource", resource);
		req.body = form.ptr;
		req.body_len = form.len;
		break;
	case MI_ARC:
		if ((rc = arc_challenge(&secret, c, client, url.ptr)) !=
		    AMLR_OK)
			goto done;
		headers[0] = secret.ptr;
		headers[1] = "Metadata: true";
		break;
	case MI_IMDS:
		headers[0] = "Metadata: true";
		break;
	}
	if (rc != AMLR_OK) {
		amlr_error_set(&c->err, rc, "out of memory");
		goto done;
	}
	if ((rc = amlr_http_send(&resp, client, &req)) != AMLR_OK) {
		c->err = *amlr_client_error(client);
		/* Nothing listens, or IMDS has no identity for this VM. */
		if (probe && (rc == AMLR_ENET || c->err.http_status == 400))
			*unavailable = 1;
		if (c->err.http_status == 400 || c->err.http_status == 401 ||
		    c->err.http_status == 403 || *unavailable)
			rc = c->err.code = AMLR_EAUTH;
		goto done;
	}
	body = amlr_response_body(resp, &len);
	rc = amlr_credential__parse_reply(token_out, expires_out, &c->err,
					  "managed identity", body, len, now);
done:
	amlr_response_free(resp);
	amlr_buf_release_secret(&secret);
	amlr_buf_release(&form);
	amlr_buf_release(&url);
	return rc;
}
