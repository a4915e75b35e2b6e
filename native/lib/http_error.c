/* SPDX-License-Identifier: MIT */
/* Turning an HTTP error reply into an amlr_error, for every Azure shape. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "amlr/json.h"
#include "http_internal.h"

static void copy_field(char *dst, size_t n, const char *src, int one_line)
{
	size_t i;

	snprintf(dst, n, "%s", src ? src : "");
	for (i = 0; dst[i]; i++) {
		if (dst[i] == '\r' || dst[i] == '\n') {
			if (one_line) {
				dst[i] = '\0';
				break;
			}
			dst[i] = ' ';
		}
	}
}

/* A member by either spelling ("code" or "Code"). */
static const char *member(const amlr_json *obj, const char *lower,
			  const char *upper)
{
	const char *s = amlr_json_get_str(obj, lower);

	return s ? s : amlr_json_get_str(obj, upper);
}

/* ARM's details, one "Code: message" each, as many as fit. */
static void details_of(amlr_error *err, const amlr_json *details)
{
	const amlr_json *d;
	const char *code, *msg;
	size_t i, used = 0;
	int n;

	for (i = 0; i < amlr_json_len(details); i++) {
		d = amlr_json_at(details, i);
		code = member(d, "code", "Code");
		msg = member(d, "message", "Message");
		if (!code && !msg)
			continue;
		n = snprintf(err->details + used, sizeof(err->details) - used,
			     "%s%s%s%s", used ? "; " : "", code ? code : "",
			     code && msg ? ": " : "", msg ? msg : "");
		if (n < 0 || (size_t)n >= sizeof(err->details) - used)
			break;
		used += (size_t)n;
	}
	for (i = 0; i < used; i++)
		if (err->details[i] == '\n' || err->details[i] == '\r')
			err->details[i] = ' ';
}

static int from_json(amlr_error *err, const char *body, size_t len)
{
	amlr_json *doc = NULL, *e;
	const char *code = NULL, *msg = NULL;
	int one_line = 0;

	if (amlr_json_parse(&doc, NULL, body, len) != AMLR_OK)
		return 0;
	e = amlr_json_get(doc, "error");
	if (!e)
		e = amlr_json_get(doc, "Error");
	if (amlr_json_type_of(e) == AMLR_JSON_OBJECT) {
		code = member(e, "code", "Code");
		msg = member(e, "message", "Message");
	} else if (amlr_json_str(e)) {
		/* Entra ID: the description's later lines are trace ids. */
		code = amlr_json_str(e);
		msg = amlr_json_get_str(doc, "error_description");
		one_line = 1;
	} else {
		code = member(doc, "code", "Code");
		msg = member(doc, "message", "Message");
	}
	if (code)
		copy_field(err->service_code, sizeof(err->service_code), code,
			   1);
	if (amlr_json_type_of(e) == AMLR_JSON_OBJECT) {
		copy_field(err->target, sizeof(err->target),
			   member(e, "target", "Target"), 1);
		details_of(err, amlr_json_get(e, "details"));
	}
	if (msg && *msg)
		copy_field(err->message, sizeof(err->message), msg, one_line);
	amlr_json_free(doc);
	return code || msg;
}

static const char *xml_child_text(xmlNode *parent, const char *name,
				  xmlChar **hold)
{
	xmlNode *n;

	for (n = parent->children; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0) {
			*hold = xmlNodeGetContent(n);
			return (const char *)*hold;
		}
	}
	return NULL;
}

static int from_xml(amlr_error *err, const char *body, size_t len)
{
	xmlDoc *doc;
	xmlNode *root;
	xmlChar *code = NULL, *msg = NULL;
	int found = 0;

	if (len > 1 << 20)
		return 0;
	doc = xmlReadMemory(body, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc)
		return 0;
	root = xmlDocGetRootElement(doc);
	if (root && strcmp((const char *)root->name, "Error") == 0) {
		if (xml_child_text(root, "Code", &code))
			copy_field(err->service_code, sizeof(err->service_code),
				   (const char *)code, 1);
		/* Storage messages end with RequestId/Time lines. */
		if (xml_child_text(root, "Message", &msg) && *msg)
			copy_field(err->message, sizeof(err->message),
				   (const char *)msg, 1);
		found = code || msg;
	}
	xmlFree(code);
	xmlFree(msg);
	xmlFreeDoc(doc);
	return found;
}

void amlr_http__url_for_message(char *out, size_t n, const char *url)
{
	size_t len = strcspn(url, "?#");

	snprintf(out, n, "%.*s", (int)len, url);
}

void amlr_http__error_from_reply(amlr_error *err, long status,
				 const char *method, const char *url,
				 const char *body, size_t len,
				 const char *x_ms_error_code,
				 const char *request_id)
{
	char where[256];
	size_t i = 0;

	amlr_error_clear(err);
	err->code = amlr_code_from_http(status);
	if (err->code == AMLR_OK)
		err->code = AMLR_ESERVER;
	err->http_status = (int)status;
	while (body && i < len && strchr(" \t\r\n", body[i]))
		i++;
	if (body && i < len) {
		if (body[i] == '{')
			from_json(err, body + i, len - i);
		else if (body[i] == '<')
			from_xml(err, body + i, len - i);
	}
	if (x_ms_error_code && *x_ms_error_code)
		copy_field(err->service_code, sizeof(err->service_code),
			   x_ms_error_code, 1);
	if (!err->message[0]) {
		amlr_http__url_for_message(where, sizeof(where), url);
		snprintf(err->message, sizeof(err->message),
			 "%s %s returned HTTP %ld", method, where, status);
	}
	if (request_id)
		copy_field(err->request_id, sizeof(err->request_id), request_id,
			   1);
}

int amlr_http__is_loopback(const char *host)
{
	if (!host)
		return 0;
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0)
		return 1;
	/* 127.0.0.0/8 in dotted form, and nothing that merely starts so. */
	if (strncmp(host, "127.", 4) == 0) {
		int a, b, c, d;
		char tail;

		return sscanf(host, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) ==
			       4 &&
		       b >= 0 && b <= 255 && c >= 0 && c <= 255 && d >= 0 &&
		       d <= 255;
	}
	return 0;
}
