/* SPDX-License-Identifier: MIT */
/* The webServices operations of Microsoft.MachineLearning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amlr/buf.h"
#include "amlr/webservice.h"
#include "arm_internal.h"

static const char *version_of(const amlr_webservice_ref *ref)
{
	return ref->api_version ? ref->api_version
				: AMLR_WEBSERVICE_API_VERSION;
}

/* Resource names Azure accepts, percent-encoded for a path. */
static amlr_code put_name(amlr_buf *out, amlr_error *err, const char *what,
			  const char *name)
{
	const unsigned char *p;
	size_t n;

	if (!name || !*name)
		return amlr_error_set(err, AMLR_EINVAL, "no %s given", what);
	n = strlen(name);
	if (n > 260 || name[n - 1] == ' ' || strpbrk(name, "<>*%&:?+/\\"))
		return amlr_error_set(err, AMLR_EINVAL, "invalid %s '%s'", what,
				      name);
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return amlr_error_set(err, AMLR_EINVAL,
					      "invalid %s: a control character",
					      what);
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~()", *p)) {
			if (amlr_buf_put(out, p, 1) != AMLR_OK)
				return AMLR_EFAIL;
		} else if (amlr_buf_printf(out, "%%%02X", *p) != AMLR_OK) {
			return AMLR_EFAIL;
		}
	}
	return AMLR_OK;
}

static amlr_code rg_path(amlr_buf *out, amlr_error *err,
			 const char *subscription_id,
			 const char *resource_group)
{
	amlr_code rc;

	if (amlr_buf_puts(out, "subscriptions/") != AMLR_OK)
		return AMLR_EFAIL;
	if ((rc = put_name(out, err, "subscription", subscription_id)))
		return rc;
	if (!resource_group)
		return AMLR_OK;
	if (amlr_buf_puts(out, "/resourceGroups/") != AMLR_OK)
		return AMLR_EFAIL;
	return put_name(out, err, "resource group", resource_group);
}

amlr_code amlr_webservice_path(char **out, amlr_error *err,
			       const amlr_webservice_ref *ref)
{
	amlr_buf b = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if (!ref->resource_group) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "no resource group given");
		goto done;
	}
	if ((rc = rg_path(&b, err, ref->subscription_id,
			  ref->resource_group)) != AMLR_OK)
		goto done;
	if (amlr_buf_puts(&b, "/providers/Microsoft.MachineLearning/"
			      "webServices/") != AMLR_OK) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if ((rc = put_name(&b, err, "web service name", ref->name)) != AMLR_OK)
		goto done;
	if (!(*out = amlr_buf_detach(&b)))
		rc = AMLR_EFAIL;
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(err, rc, "out of memory");
	amlr_buf_release(&b);
	return rc;
}

amlr_code amlr_webservice_get(amlr_json **out, amlr_arm *arm,
			      const amlr_webservice_ref *ref,
			      const char *region)
{
	amlr_buf path = AMLR_BUF_INIT;
	char *base = NULL;
	char *enc = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_webservice_path(&base, amlr_arm__err(arm), ref)) !=
	    AMLR_OK)
		goto done;
	if (amlr_buf_puts(&path, base) != AMLR_OK) {
		rc = AMLR_EFAIL;
		goto done;
	}
	if (region) {
		if (!(enc = amlr_arm__escape(region)) ||
		    amlr_buf_printf(&path, "?region=%s", enc) != AMLR_OK) {
			rc = AMLR_EFAIL;
			goto done;
		}
	}
	rc = amlr_arm_get(out, arm, path.ptr, version_of(ref));
done:
	if (rc == AMLR_EFAIL)
		amlr_error_set(amlr_arm__err(arm), rc, "out of memory");
	free(enc);
	free(base);
	amlr_buf_release(&path);
	return rc;
}

amlr_code amlr_webservice_list(amlr_json **out, amlr_arm *arm,
			       const char *subscription_id,
			       const char *resource_group,
			       const char *api_version)
{
	amlr_buf path = AMLR_BUF_INIT;
	amlr_code rc;

	*out = NULL;
	if ((rc = rg_path(&path, amlr_arm__err(arm), subscription_id,
			  resource_group)) != AMLR_OK)
		goto done;
	if (amlr_buf_puts(&path, "/providers/Microsoft.MachineLearning/"
				 "webServices") != AMLR_OK) {
		rc = amlr_error_set(amlr_arm__err(arm), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	rc = amlr_arm_list(out, arm, path.ptr,
			   api_version ? api_version
				       : AMLR_WEBSERVICE_API_VERSION);
done:
	amlr_buf_release(&path);
	return rc;
}

amlr_code amlr_webservice_keys(amlr_json **out, amlr_arm *arm,
			       const amlr_webservice_ref *ref)
{
	amlr_buf path = AMLR_BUF_INIT;
	char *base = NULL;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_webservice_path(&base, amlr_arm__err(arm), ref)) !=
	    AMLR_OK)
		goto done;
	/* listKeys is a GET in this provider (notes/arm-webservices.md §2). */
	if (amlr_buf_printf(&path, "%s/listKeys", base) != AMLR_OK) {
		rc = amlr_error_set(amlr_arm__err(arm), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	rc = amlr_arm_get(out, arm, path.ptr, version_of(ref));
done:
	free(base);
	amlr_buf_release(&path);
	return rc;
}

/* Send @p method with @p body, then follow the operation it starts. */
static amlr_code run_operation(amlr_json **out, amlr_arm *arm,
			       const char *method, const char *path,
			       const char *resource_path,
			       const char *api_version, const char *body)
{
	amlr_response *resp = NULL;
	amlr_code rc;

	if ((rc = amlr_arm_send(&resp, arm, method, path, api_version, body,
				0)) != AMLR_OK)
		goto done;
	rc = amlr_arm_wait(out, arm, resp, resource_path, api_version);
done:
	amlr_response_free(resp);
	return rc;
}

amlr_code amlr_webservice_add_region(amlr_arm *arm,
				     const amlr_webservice_ref *ref,
				     const char *region)
{
	amlr_buf path = AMLR_BUF_INIT;
	char *base = NULL, *enc = NULL;
	amlr_code rc;

	if ((rc = amlr_webservice_path(&base, amlr_arm__err(arm), ref)) !=
	    AMLR_OK)
		goto done;
	if (!region || !*region) {
		rc = amlr_error_set(amlr_arm__err(arm), AMLR_EINVAL,
				    "no region given");
		goto done;
	}
	if (!(enc = amlr_arm__escape(region)) ||
	    amlr_buf_printf(&path, "%s/CreateRegionalBlob?region=%s", base,
			    enc) != AMLR_OK) {
		rc = amlr_error_set(amlr_arm__err(arm), AMLR_EFAIL,
				    "out of memory");
		goto done;
	}
	rc = run_operation(NULL, arm, "POST", path.ptr, NULL, version_of(ref),
			   NULL);
done:
	free(enc);
	free(base);
	amlr_buf_release(&path);
	return rc;
}

amlr_code amlr_webservice_write(amlr_json **out, amlr_arm *arm,
				const amlr_webservice_ref *ref,
				const char *method, const char *body)
{
	char *path = NULL;
	amlr_code rc;

	if (out)
		*out = NULL;
	if ((rc = amlr_webservice_path(&path, amlr_arm__err(arm), ref)) !=
	    AMLR_OK)
		goto done;
	rc = run_operation(out, arm, method, path, path, version_of(ref), body);
done:
	free(path);
	return rc;
}

amlr_code amlr_webservice_remove(amlr_arm *arm, const amlr_webservice_ref *ref)
{
	char *path = NULL;
	amlr_code rc;

	if ((rc = amlr_webservice_path(&path, amlr_arm__err(arm), ref)) !=
	    AMLR_OK)
		goto done;
	rc = run_operation(NULL, arm, "DELETE", path, NULL, version_of(ref),
			   NULL);
done:
	free(path);
	return rc;
}
