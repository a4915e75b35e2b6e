/* SPDX-License-Identifier: MIT */
/* The fault engine: faults from --faults FILE or the admin route, chosen. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amlr/buf.h"
#include "amlr/fileio.h"
#include "faults.h"
#include "json_internal.h"

#define FAULT_FILE_MAX ((size_t)1 << 20) /* bytes of --faults FILE */
#define PATH_MAX_LEN 1024 /* of a fault's path pattern */
#define WILDCARDS_MAX 8 /* '*' runs in a pattern: bounds the matching */
#define CODE_MAX 63 /* fits emu_faults_take_lro_failure()'s code[64] */
#define MESSAGE_MAX 255 /* and its message[256] */
#define BODY_MAX ((size_t)1 << 20)
#define HEADERS_MAX 16
#define TIME_SIZE 96 /* a UTC time; roomy for snprintf's checks */
#define ADMIN_PREFIX "/_emulator/" /* never meets a fault */

enum error_format { FORMAT_ARM, FORMAT_STORAGE, FORMAT_ENTRA };

/* The members of a fault, as bits: which ones each kind takes. */
enum member {
	M_METHOD = 1 << 0,
	M_PATH = 1 << 1,
	M_KIND = 1 << 2,
	M_COUNT = 1 << 3,
	M_RATE = 1 << 4,
	M_STATUS = 1 << 5,
	M_CODE = 1 << 6,
	M_MESSAGE = 1 << 7,
	M_RETRY_AFTER = 1 << 8,
	M_RETRY_AFTER_MS = 1 << 9,
	M_FORMAT = 1 << 10,
	M_HEADERS = 1 << 11,
	M_BODY = 1 << 12,
	M_CONTENT_TYPE = 1 << 13,
	M_DELAY = 1 << 14
};

#define M_COMMON (M_METHOD | M_PATH | M_KIND | M_COUNT | M_RATE)

static const struct member_name {
	enum member bit;
	const char *name;
} members[] = {
	{ M_METHOD, "method" },
	{ M_PATH, "path" },
	{ M_KIND, "kind" },
	{ M_COUNT, "count" },
	{ M_RATE, "rate" },
	{ M_STATUS, "status" },
	{ M_CODE, "code" },
	{ M_MESSAGE, "message" },
	{ M_RETRY_AFTER, "retryAfter" },
	{ M_RETRY_AFTER_MS, "retryAfterMs" },
	{ M_FORMAT, "errorFormat" },
	{ M_HEADERS, "headers" },
	{ M_BODY, "body" },
	{ M_CONTENT_TYPE, "contentType" },
	{ M_DELAY, "delayMs" },
};

#define NMEMBERS (sizeof(members) / sizeof(members[0]))

static const struct kind_spec {
	const char *name;
	enum emu_fault_kind kind;
	unsigned int allowed; /* enum member bits */
} kinds[] = {
	{ "status", EMU_FAULT_STATUS,
	  M_COMMON | M_STATUS | M_CODE | M_MESSAGE | M_RETRY_AFTER |
		  M_RETRY_AFTER_MS | M_FORMAT | M_HEADERS },
	{ "body", EMU_FAULT_BODY,
	  M_COMMON | M_STATUS | M_BODY | M_CONTENT_TYPE | M_RETRY_AFTER |
		  M_RETRY_AFTER_MS | M_HEADERS },
	{ "delay", EMU_FAULT_DELAY, M_COMMON | M_DELAY },
	{ "reset", EMU_FAULT_RESET, M_COMMON },
	{ "truncate", EMU_FAULT_TRUNCATE, M_COMMON },
	{ "lro-failed", EMU_FAULT_LRO_FAILED, M_COMMON | M_CODE | M_MESSAGE },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Each service's usual code for a status: ARM, Storage, Entra ID. */
static const struct status_codes {
	unsigned int status;
	const char *code[3];
} status_codes[] = {
	{ 400, { "BadRequest", "InvalidInput", "invalid_request" } },
	{ 401,
	  { "InvalidAuthenticationToken", "NoAuthenticationInformation",
	    "invalid_client" } },
	{ 403,
	  { "AuthorizationFailed", "AuthorizationFailure",
	    "unauthorized_client" } },
	{ 404, { "NotFound", "ResourceNotFound", "invalid_request" } },
	{ 408,
	  { "RequestTimeout", "OperationTimedOut",
	    "temporarily_unavailable" } },
	{ 409, { "Conflict", "ResourceAlreadyExists", "invalid_request" } },
	{ 412, { "PreconditionFailed", "ConditionNotMet", "invalid_request" } },
	{ 429, { "TooManyRequests", "ServerBusy", "temporarily_unavailable" } },
	{ 500, { "InternalServerError", "InternalError", "server_error" } },
	{ 502, { "BadGateway", "InternalError", "server_error" } },
	{ 503,
	  { "ServiceUnavailable", "ServerBusy", "temporarily_unavailable" } },
	{ 504,
	  { "GatewayTimeout", "OperationTimedOut",
	    "temporarily_unavailable" } },
};

#define NSTATUS_CODES (sizeof(status_codes) / sizeof(status_codes[0]))

struct fault {
	long id;
	char method[16]; /* upper case, or "*" */
	char *path;
	const struct kind_spec *kind;
	unsigned int status;
	char *code; /* NULL: from the status */
	char *message; /* NULL: a default */
	long retry_after; /* seconds; -1: none */
	long retry_after_ms; /* -1: none */
	long delay_ms;
	long count; /* -1: no count */
	long remaining; /* of count */
	double rate; /* 0: every match */
	enum error_format format;
	char *body;
	size_t body_len;
	char *content_type;
	char *header_names[HEADERS_MAX];
	char *header_values[HEADERS_MAX];
	size_t nheaders;
	uint64_t prng;
	unsigned long hits;
	char *spec; /* the fault as given, compact JSON, for listing */
};

struct emu_faults {
	pthread_mutex_t lock;
	struct fault **v; /* in the order added */
	size_t n;
	size_t cap;
	long next_id;
	unsigned long seed;
};

/* --- parsing -------------------------------------------------------------*/

static void fault_free(struct fault *f)
{
	size_t i;

	if (!f)
		return;
	free(f->path);
	free(f->code);
	free(f->message);
	free(f->body);
	free(f->content_type);
	for (i = 0; i < f->nheaders; i++) {
		free(f->header_names[i]);
		free(f->header_values[i]);
	}
	free(f->spec);
	free(f);
}

static const struct kind_spec *find_kind(const char *name)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

static enum member find_member(const char *name)
{
	size_t i;

	for (i = 0; i < NMEMBERS; i++)
		if (strcmp(members[i].name, name) == 0)
			return members[i].bit;
	return 0;
}

/* An integer member within [min, max], or an error naming it. */
static amlr_code get_long(long *out, amlr_error *err, const char *where,
			  const char *key, const amlr_json *v, long min,
			  long max)
{
	int64_t n;

	if (!amlr_json_int(&n, v) || n < min || n > max)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.%s: expected an integer from %ld to %ld", where,
			key, min, max);
	*out = (long)n;
	return AMLR_OK;
}

/* A string member of at most @p max bytes, without control characters. */
static amlr_code get_str(char **out, amlr_error *err, const char *where,
			 const char *key, const amlr_json *v, size_t max,
			 int allow_empty)
{
	const char *s = amlr_json_str(v);
	size_t i, n;

	if (!s)
		return amlr_error_set(err, AMLR_EINVAL,
				      "%s.%s: expected a string", where, key);
	n = strlen(s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			break;
	if (n > max || i < n || (!n && !allow_empty))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.%s: expected a %sstring of at most %zu characters without control characters",
			where, key, allow_empty ? "" : "non-empty ", max);
	if (!(*out = strdup(s)))
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	return AMLR_OK;
}

/* An HTTP token (RFC 9110): method and header names. */
static int is_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

static amlr_code parse_method(struct fault *f, amlr_error *err,
			      const char *where, const amlr_json *v)
{
	const char *s = amlr_json_str(v);
	size_t i;

	if (!s || strlen(s) >= sizeof(f->method) ||
	    (strcmp(s, "*") != 0 && !is_token(s)))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.method: expected a method such as \"GET\", or \"*\"",
			where);
	for (i = 0; s[i]; i++)
		f->method[i] =
			(char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A'
							  : s[i]);
	f->method[i] = '\0';
	return AMLR_OK;
}

static amlr_code parse_path(struct fault *f, amlr_error *err, const char *where,
			    const amlr_json *v)
{
	const char *s;
	size_t stars = 0;
	amlr_code rc;

	if ((rc = get_str(&f->path, err, where, "path", v, PATH_MAX_LEN, 0)) !=
	    AMLR_OK)
		return rc;
	for (s = f->path; *s; s++)
		if (*s == '*' && (s == f->path || s[-1] != '*'))
			stars++;
	if (f->path[0] != '/' || stars > WILDCARDS_MAX)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.path: expected a path starting with '/' with at most %d wildcards",
			where, WILDCARDS_MAX);
	return AMLR_OK;
}

static amlr_code parse_rate(struct fault *f, amlr_error *err, const char *where,
			    const amlr_json *v)
{
	amlr_json_type t = amlr_json_type_of(v);

	if (t == AMLR_JSON_INT || t == AMLR_JSON_DOUBLE)
		f->rate = json_object_get_double(amlr_json__c(v));
	if ((t != AMLR_JSON_INT && t != AMLR_JSON_DOUBLE) || !(f->rate > 0) ||
	    f->rate > 1)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.rate: expected a number above 0 and at most 1",
			where);
	return AMLR_OK;
}

static amlr_code parse_format(struct fault *f, amlr_error *err,
			      const char *where, const amlr_json *v)
{
	const char *s = amlr_json_str(v);

	if (s && strcmp(s, "arm") == 0)
		f->format = FORMAT_ARM;
	else if (s && strcmp(s, "storage") == 0)
		f->format = FORMAT_STORAGE;
	else if (s && strcmp(s, "entra") == 0)
		f->format = FORMAT_ENTRA;
	else
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.errorFormat: expected \"arm\", \"storage\" or \"entra\"",
			where);
	return AMLR_OK;
}

/* Header names the server owns: a fault must not set them. */
static int reserved_header(const char *name)
{
	static const char *const names[] = { "Content-Length", "Date",
					     "Connection", "Transfer-Encoding",
					     "Content-Type" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(names[i], name) == 0)
			return 1;
	return 0;
}

static amlr_code parse_headers(struct fault *f, amlr_error *err,
			       const char *where, const amlr_json *v)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	const char *name;
	amlr_json *val;
	char sub[96];
	amlr_code rc;

	if (amlr_json_type_of(v) != AMLR_JSON_OBJECT ||
	    amlr_json_len(v) > HEADERS_MAX)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.headers: expected an object of at most %d headers",
			where, HEADERS_MAX);
	while (amlr_json_next(&name, &val, v, &it)) {
		if (!is_token(name) || strlen(name) > 64 ||
		    reserved_header(name))
			return amlr_error_set(
				err, AMLR_EINVAL,
				"%s.headers: '%.64s' is not a header name a fault may set",
				where, name);
		snprintf(sub, sizeof(sub), "headers.%s", name);
		rc = get_str(&f->header_values[f->nheaders], err, where, sub,
			     val, 4096, 1);
		if (rc != AMLR_OK)
			return rc;
		if (!(f->header_names[f->nheaders] = strdup(name))) {
			free(f->header_values[f->nheaders]);
			return amlr_error_set(err, AMLR_EFAIL, "out of memory");
		}
		f->nheaders++;
	}
	return AMLR_OK;
}

static amlr_code parse_body(struct fault *f, amlr_error *err, const char *where,
			    const amlr_json *v)
{
	const char *s = amlr_json_str(v);

	if (!s || strlen(s) > BODY_MAX)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"%s.body: expected a string of at most %zu bytes",
			where, BODY_MAX);
	f->body_len = strlen(s);
	if (!(f->body = strdup(s)))
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	return AMLR_OK;
}

/* One member, already known to be allowed for the fault's kind. */
static amlr_code parse_member(struct fault *f, amlr_error *err,
			      const char *where, enum member m, const char *key,
			      const amlr_json *v)
{
	long n = 0, lo;
	amlr_code rc;

	switch (m) {
	case M_METHOD:
		return parse_method(f, err, where, v);
	case M_PATH:
		return parse_path(f, err, where, v);
	case M_KIND:
		return AMLR_OK; /* read first */
	case M_COUNT:
		return get_long(&f->count, err, where, key, v, 1, 1000000000);
	case M_RATE:
		return parse_rate(f, err, where, v);
	case M_STATUS:
		/* An error status, or any final status for a given body. */
		lo = f->kind->kind == EMU_FAULT_STATUS ? 400 : 200;
		rc = get_long(&n, err, where, key, v, lo, 599);
		f->status = (unsigned int)n;
		return rc;
	case M_CODE:
		return get_str(&f->code, err, where, key, v, CODE_MAX, 0);
	case M_MESSAGE:
		return get_str(&f->message, err, where, key, v, MESSAGE_MAX, 1);
	case M_RETRY_AFTER:
		return get_long(&f->retry_after, err, where, key, v, 0, 86400);
	case M_RETRY_AFTER_MS:
		return get_long(&f->retry_after_ms, err, where, key, v, 0,
				86400000);
	case M_FORMAT:
		return parse_format(f, err, where, v);
	case M_HEADERS:
		return parse_headers(f, err, where, v);
	case M_BODY:
		return parse_body(f, err, where, v);
	case M_CONTENT_TYPE:
		return get_str(&f->content_type, err, where, key, v, 256, 0);
	case M_DELAY:
		return get_long(&f->delay_ms, err, where, key, v, 0, 600000);
	}
	return AMLR_OK;
}

/*
 * One fault from its JSON object; @p where is its JSON path for messages.
 * Members are checked against the kind first, so a typo is caught.
 */
static amlr_code parse_fault(struct fault **out, amlr_error *err,
			     const amlr_json *obj, const char *where)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	struct fault *f = NULL;
	amlr_buf spec = AMLR_BUF_INIT;
	const char *key, *kind;
	amlr_json *val;
	unsigned int seen = 0;
	enum member m;
	amlr_code rc = AMLR_EINVAL;

	*out = NULL;
	if (amlr_json_type_of(obj) != AMLR_JSON_OBJECT) {
		amlr_error_set(err, rc, "%s: expected a fault object", where);
		goto done;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	f->method[0] = '*';
	f->retry_after = f->retry_after_ms = f->count = -1;
	if (!(kind = amlr_json_get_str(obj, "kind")) ||
	    !(f->kind = find_kind(kind))) {
		amlr_error_set(
			err, rc,
			"%s.kind: expected \"status\", \"body\", \"delay\", \"reset\", \"truncate\" or \"lro-failed\"",
			where);
		goto done;
	}
	while (amlr_json_next(&key, &val, obj, &it)) {
		if (!(m = find_member(key))) {
			amlr_error_set(err, rc, "%s.%.64s: unknown member",
				       where, key);
			goto done;
		}
		if (!(f->kind->allowed & m)) {
			amlr_error_set(err, rc, "%s.%s: not used by kind '%s'",
				       where, key, f->kind->name);
			goto done;
		}
		if ((rc = parse_member(f, err, where, m, key, val)) != AMLR_OK)
			goto done;
		rc = AMLR_EINVAL;
		seen |= m;
	}
	if (!(seen & M_PATH) ||
	    (f->kind->kind == EMU_FAULT_DELAY && !(seen & M_DELAY))) {
		amlr_error_set(err, rc, "%s: member '%s' is required", where,
			       seen & M_PATH ? "delayMs" : "path");
		goto done;
	}
	if (!f->status)
		f->status = f->kind->kind == EMU_FAULT_BODY ? 200 : 500;
	f->remaining = f->count;
	if ((rc = amlr_json_serialize(&spec, obj, 0)) != AMLR_OK ||
	    !(f->spec = amlr_buf_detach(&spec))) {
		rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
		goto done;
	}
	*out = f;
	f = NULL;
	rc = AMLR_OK;
done:
	amlr_buf_release(&spec);
	fault_free(f);
	return rc;
}

/* --- matching ------------------------------------------------------------*/

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * Whether @p s matches the pattern @p p, ignoring case: '*' matches any
 * run within a segment, '**' any run across segments; "/ ** /" (without
 * the spaces) also matches a single '/'.  Recursive, but the number of
 * wildcards is bounded when a fault is added.
 */
static int glob(const char *p, const char *s)
{
	int whole;

	for (;;) {
		if (p[0] == '*' && p[1] == '*') {
			whole = p[-1] == '/'; /* never p[0]: paths start '/' */
			while (*p == '*')
				p++;
			if (!*p)
				return 1;
			if (whole && *p == '/' && glob(p + 1, s))
				return 1;
			for (;; s++) {
				if (glob(p, s))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (*p == '*') {
			p++;
			for (;; s++) {
				if (glob(p, s))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		}
		if (!*p)
			return !*s;
		if (!*s || ascii_lower((unsigned char)*p) !=
				   ascii_lower((unsigned char)*s))
			return 0;
		p++;
		s++;
	}
}

static int is_admin(const char *path)
{
	size_t n = strlen(ADMIN_PREFIX);

	return strncasecmp(path, ADMIN_PREFIX, n) == 0 ||
	       strcasecmp(path, "/_emulator") == 0;
}

static int matches(const struct fault *f, const struct emu_req *req)
{
	return (strcmp(f->method, "*") == 0 ||
		strcmp(f->method, req->method) == 0) &&
	       glob(f->path, req->path);
}

/* splitmix64 (Steele, Lea, Flood 2014): small, fast, good enough here. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Whether the fault fires for one more matching request; counts it. */
static int fires(struct fault *f)
{
	double u;

	if (f->count >= 0 && f->remaining == 0)
		return 0;
	if (f->rate > 0) {
		u = (double)(splitmix64(&f->prng) >> 11) * 0x1.0p-53;
		if (!(u < f->rate))
			return 0;
	}
	if (f->count >= 0)
		f->remaining--;
	f->hits++;
	return 1;
}

/* "fault=status:503 fault-id=2", into @p out and appended to req's note. */
static void note(char *out, size_t size, const struct fault *f,
		 const struct emu_req *req)
{
	char detail[32];
	size_t len;

	if (f->kind->kind == EMU_FAULT_STATUS ||
	    f->kind->kind == EMU_FAULT_BODY)
		snprintf(detail, sizeof(detail), "%s:%u", f->kind->name,
			 f->status);
	else if (f->kind->kind == EMU_FAULT_DELAY)
		snprintf(detail, sizeof(detail), "delay:%ld", f->delay_ms);
	else
		snprintf(detail, sizeof(detail), "%s", f->kind->name);
	snprintf(out, size, "fault=%s fault-id=%ld", detail, f->id);
	if (!req->note)
		return;
	len = strlen(req->note);
	snprintf(req->note + len, EMU_FAULT_NOTE_SIZE - len, "%s%s",
		 len ? " " : "", out);
}

/* --- responses -----------------------------------------------------------*/

static const char *default_code(unsigned int status, enum error_format fmt)
{
	size_t i;

	for (i = 0; i < NSTATUS_CODES; i++)
		if (status_codes[i].status == status)
			return status_codes[i].code[fmt];
	/* The class's usual code: the first 4xx or 5xx row. */
	return status_codes[status >= 500 ? 8 : 0].code[fmt];
}

/* Now in UTC, ISO 8601 with 7 decimals as Azure writes it. */
static void utc_now(char out[TIME_SIZE], int entra)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (entra) /* "2026-11-26 21:43:51Z" */
		snprintf(out, TIME_SIZE, "%04d-%02d-%02d %02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, TIME_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%07ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 100);
}

static amlr_code put_xml(amlr_buf *b, const char *s)
{
	amlr_code rc = AMLR_OK;

	for (; *s && rc == AMLR_OK; s++) {
		if (*s == '&')
			rc = amlr_buf_puts(b, "&amp;");
		else if (*s == '<')
			rc = amlr_buf_puts(b, "&lt;");
		else if (*s == '>')
			rc = amlr_buf_puts(b, "&gt;");
		else
			rc = amlr_buf_put(b, s, 1);
	}
	return rc;
}

/* Blob Storage's error: XML body and x-ms-error-code (notes §3.7). */
static amlr_code storage_error(struct emu_resp *resp, unsigned int status,
			       const char *code, const char *message)
{
	const char *id = emu_resp_header(resp, "x-ms-request-id");
	amlr_buf b = AMLR_BUF_INIT;
	char now[TIME_SIZE];
	amlr_code rc;

	utc_now(now, 0);
	rc = amlr_buf_puts(
		&b, "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		    "<Error><Code>");
	if (rc == AMLR_OK)
		rc = put_xml(&b, code);
	if (rc == AMLR_OK)
		rc = amlr_buf_puts(&b, "</Code><Message>");
	if (rc == AMLR_OK)
		rc = put_xml(&b, message);
	if (rc == AMLR_OK)
		rc = amlr_buf_printf(&b,
				     "\nRequestId:%s\nTime:%s</Message>"
				     "</Error>",
				     id ? id : "", now);
	if (rc == AMLR_OK)
		rc = emu_resp_body(resp, status, "application/xml", b.ptr,
				   b.len);
	if (rc == AMLR_OK)
		rc = emu_resp_set_header(resp, "x-ms-error-code", code);
	amlr_buf_release(&b);
	return rc;
}

/* Microsoft Entra ID's OAuth error object. */
static amlr_code entra_error(struct emu_resp *resp, unsigned int status,
			     const char *code, const char *message,
			     const struct emu_req *req)
{
	const char *id = emu_resp_header(resp, "x-ms-request-id");
	const char *corr = emu_req_header(req, "client-request-id");
	amlr_json *body = NULL, *codes = NULL;
	amlr_buf desc = AMLR_BUF_INIT;
	char now[TIME_SIZE], guid[EMU_GUID_SIZE];
	amlr_code rc;

	utc_now(now, 1);
	if (!corr || strlen(corr) > 64) {
		if ((rc = emu_guid_new(guid)) != AMLR_OK)
			goto done;
		corr = guid;
	}
	if ((rc = amlr_buf_printf(&desc,
				  "%s\r\nTrace ID: %s\r\nCorrelation ID: %s"
				  "\r\nTimestamp: %s",
				  message, id ? id : "", corr, now)) !=
		    AMLR_OK ||
	    (rc = amlr_json_new_object(&body)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&codes)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "error", code)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "error_description", desc.ptr)) !=
		    AMLR_OK)
		goto done;
	rc = amlr_json_set(body, "error_codes", codes); /* steals */
	codes = NULL;
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "timestamp", now)) != AMLR_OK ||
	    (rc = amlr_json_set_str(body, "trace_id", id ? id : "")) !=
		    AMLR_OK ||
	    (rc = amlr_json_set_str(body, "correlation_id", corr)) != AMLR_OK)
		goto done;
	rc = emu_resp_json(resp, status, body);
done:
	amlr_json_free(codes);
	amlr_json_free(body);
	amlr_buf_release(&desc);
	return rc;
}

/* The answer of a status or body fault, headers included. */
static amlr_code respond(struct emu_resp *resp, const struct fault *f,
			 const struct emu_req *req)
{
	const char *code =
		f->code ? f->code : default_code(f->status, f->format);
	char message[MESSAGE_MAX + 1], n[24];
	size_t i;
	amlr_code rc;

	if (f->message)
		snprintf(message, sizeof(message), "%s", f->message);
	else
		snprintf(message, sizeof(message),
			 "injected by amlretrain-emulator (fault %ld)", f->id);
	if ((rc = emu_router_finish(resp, req)) != AMLR_OK)
		return rc;
	if (f->kind->kind == EMU_FAULT_BODY)
		rc = emu_resp_body(resp, f->status,
				   f->content_type
					   ? f->content_type
					   : "application/json; charset=utf-8",
				   f->body ? f->body : "", f->body_len);
	else if (f->format == FORMAT_STORAGE)
		rc = storage_error(resp, f->status, code, message);
	else if (f->format == FORMAT_ENTRA)
		rc = entra_error(resp, f->status, code, message, req);
	else
		rc = emu_resp_arm_error(resp, f->status, code, "%s", message);
	if (rc == AMLR_OK && f->retry_after >= 0) {
		snprintf(n, sizeof(n), "%ld", f->retry_after);
		rc = emu_resp_set_header(resp, "Retry-After", n);
	}
	if (rc == AMLR_OK && f->retry_after_ms >= 0) {
		snprintf(n, sizeof(n), "%ld", f->retry_after_ms);
		rc = emu_resp_set_header(resp, "x-ms-retry-after-ms", n);
	}
	for (i = 0; i < f->nheaders && rc == AMLR_OK; i++)
		rc = emu_resp_set_header(resp, f->header_names[i],
					 f->header_values[i]);
	return rc;
}

/* --- the engine ----------------------------------------------------------*/

amlr_code emu_faults_pick(struct emu_fault_action *out, struct emu_resp *resp,
			  struct emu_faults *faults, const struct emu_req *req)
{
	struct fault *f = NULL;
	size_t i;
	amlr_code rc = AMLR_OK;

	memset(out, 0, sizeof(*out));
	if (!faults || is_admin(req->path))
		return AMLR_OK;
	pthread_mutex_lock(&faults->lock);
	for (i = 0; i < faults->n && !f; i++)
		if (faults->v[i]->kind->kind != EMU_FAULT_LRO_FAILED &&
		    matches(faults->v[i], req) && fires(faults->v[i]))
			f = faults->v[i];
	if (f) {
		out->kind = f->kind->kind;
		out->delay_ms = f->delay_ms;
		note(out->note, sizeof(out->note), f, req);
		if (out->kind == EMU_FAULT_STATUS ||
		    out->kind == EMU_FAULT_BODY)
			rc = respond(resp, f, req);
	}
	pthread_mutex_unlock(&faults->lock);
	return rc;
}

int emu_faults_take_lro_failure(struct emu_faults *faults,
				const struct emu_req *req, char code[64],
				char message[256])
{
	struct fault *f = NULL;
	char ignored[EMU_FAULT_NOTE_SIZE];
	size_t i;

	if (!faults || is_admin(req->path))
		return 0;
	pthread_mutex_lock(&faults->lock);
	for (i = 0; i < faults->n && !f; i++)
		if (faults->v[i]->kind->kind == EMU_FAULT_LRO_FAILED &&
		    matches(faults->v[i], req) && fires(faults->v[i]))
			f = faults->v[i];
	if (f) {
		snprintf(code, 64, "%s",
			 f->code ? f->code : "InternalServerError");
		if (f->message)
			snprintf(message, 256, "%s", f->message);
		else
			snprintf(message, 256,
				 "injected by amlretrain-emulator (fault %ld)",
				 f->id);
		note(ignored, sizeof(ignored), f, req);
	}
	pthread_mutex_unlock(&faults->lock);
	return f != NULL;
}

/* The fault as listed: "id", the members as given, "remaining", "hits". */
static amlr_code describe(amlr_json **out, const struct fault *f)
{
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	amlr_json *spec = NULL, *obj = NULL, *val;
	const char *key;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_parse(&spec, NULL, f->spec, strlen(f->spec))) !=
		    AMLR_OK ||
	    (rc = amlr_json_new_object(&obj)) != AMLR_OK ||
	    (rc = amlr_json_set_int(obj, "id", f->id)) != AMLR_OK)
		goto done;
	while (rc == AMLR_OK && amlr_json_next(&key, &val, spec, &it))
		rc = amlr_json_set(obj, key,
				   amlr_json__wrap(json_object_get(
					   amlr_json__c(val)))); /* steals */
	if (rc != AMLR_OK)
		goto done;
	if (f->count >= 0)
		rc = amlr_json_set_int(obj, "remaining", f->remaining);
	else
		rc = amlr_json_set(obj, "remaining", NULL);
	if (rc != AMLR_OK ||
	    (rc = amlr_json_set_int(obj, "hits", (int64_t)f->hits)) != AMLR_OK)
		goto done;
	*out = obj;
	obj = NULL;
done:
	amlr_json_free(obj);
	amlr_json_free(spec);
	return rc;
}

#define FAULTS_MAX 1024

amlr_code emu_faults_add(amlr_json **added, amlr_error *err,
			 struct emu_faults *faults, const amlr_json *fault,
			 const char *where)
{
	struct fault *f = NULL, **v;
	size_t cap;
	uint64_t seed;
	amlr_code rc;

	if (added)
		*added = NULL;
	if ((rc = parse_fault(&f, err, fault, where)) != AMLR_OK)
		return rc;
	pthread_mutex_lock(&faults->lock);
	if (faults->n == FAULTS_MAX) {
		rc = amlr_error_set(err, AMLR_EINVAL,
				    "%s: there are %d faults already", where,
				    FAULTS_MAX);
		goto done;
	}
	if (faults->n == faults->cap) {
		cap = faults->cap ? faults->cap * 2 : 8;
		if (!(v = realloc(faults->v, cap * sizeof(*v)))) {
			rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
			goto done;
		}
		faults->v = v;
		faults->cap = cap;
	}
	f->id = ++faults->next_id;
	/* Each fault its own stream: adding one leaves the others' alone. */
	seed = (uint64_t)faults->seed ^
	       ((uint64_t)f->id * 0xd1b54a32d192ed03ULL);
	f->prng = splitmix64(&seed);
	if (added && (rc = describe(added, f)) != AMLR_OK) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	faults->v[faults->n++] = f;
	f = NULL;
done:
	pthread_mutex_unlock(&faults->lock);
	fault_free(f);
	return rc;
}

amlr_code emu_faults_list(amlr_json **out, struct emu_faults *faults)
{
	amlr_json *list = NULL, *arr = NULL, *item;
	size_t i;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_object(&list)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&arr)) != AMLR_OK)
		goto done;
	pthread_mutex_lock(&faults->lock);
	rc = amlr_json_set_int(list, "faultSeed", (int64_t)faults->seed);
	for (i = 0; i < faults->n && rc == AMLR_OK; i++)
		if ((rc = describe(&item, faults->v[i])) == AMLR_OK)
			rc = amlr_json_append(arr, item); /* steals */
	pthread_mutex_unlock(&faults->lock);
	if (rc != AMLR_OK)
		goto done;
	rc = amlr_json_set(list, "value", arr); /* steals */
	arr = NULL;
	if (rc != AMLR_OK)
		goto done;
	*out = list;
	list = NULL;
done:
	amlr_json_free(arr);
	amlr_json_free(list);
	return rc;
}

size_t emu_faults_clear(struct emu_faults *faults)
{
	size_t i, n;

	pthread_mutex_lock(&faults->lock);
	n = faults->n;
	for (i = 0; i < n; i++)
		fault_free(faults->v[i]);
	faults->n = 0;
	pthread_mutex_unlock(&faults->lock);
	return n;
}

int emu_faults_remove(struct emu_faults *faults, long id)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&faults->lock);
	for (i = 0; i < faults->n && !found; i++) {
		if (faults->v[i]->id != id)
			continue;
		fault_free(faults->v[i]);
		memmove(&faults->v[i], &faults->v[i + 1],
			(faults->n - i - 1) * sizeof(faults->v[0]));
		faults->n--;
		found = 1;
	}
	pthread_mutex_unlock(&faults->lock);
	return found;
}

/* --faults FILE: a JSON array of faults. */
static amlr_code load_file(struct emu_faults *faults, amlr_error *err,
			   const char *path)
{
	amlr_buf text = AMLR_BUF_INIT;
	amlr_json *doc = NULL;
	amlr_error sub = AMLR_ERROR_INIT;
	char where[32];
	size_t i;
	amlr_code rc;

	if ((rc = amlr_file_read(&text, &sub, path, FAULT_FILE_MAX)) !=
	    AMLR_OK) {
		amlr_error_set(err, rc, "cannot read the fault file: %s",
			       sub.message);
		goto done;
	}
	if ((rc = amlr_json_parse(&doc, &sub, text.ptr ? text.ptr : "",
				  text.len)) != AMLR_OK) {
		amlr_error_set(err, rc, "invalid fault file '%s': %s", path,
			       sub.message);
		goto done;
	}
	if (amlr_json_type_of(doc) != AMLR_JSON_ARRAY) {
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"invalid fault file '%s': $: expected an array of faults",
			path);
		goto done;
	}
	for (i = 0; i < amlr_json_len(doc) && rc == AMLR_OK; i++) {
		snprintf(where, sizeof(where), "$[%zu]", i);
		rc = emu_faults_add(NULL, &sub, faults, amlr_json_at(doc, i),
				    where);
		if (rc != AMLR_OK)
			amlr_error_set(err, rc, "invalid fault file '%s': %s",
				       path, sub.message);
	}
done:
	amlr_json_free(doc);
	amlr_buf_release(&text);
	return rc;
}

amlr_code emu_faults_new(struct emu_faults **out, amlr_error *err,
			 const struct emu_config *cfg)
{
	struct emu_faults *faults = NULL;
	amlr_code rc = AMLR_EFAIL;

	*out = NULL;
	if (!(faults = calloc(1, sizeof(*faults)))) {
		amlr_error_set(err, rc, "out of memory");
		goto done;
	}
	if (pthread_mutex_init(&faults->lock, NULL) != 0) {
		free(faults);
		faults = NULL;
		amlr_error_set(err, rc, "cannot create a lock");
		goto done;
	}
	faults->seed = cfg->fault_seed;
	if (cfg->faults_file &&
	    (rc = load_file(faults, err, cfg->faults_file)) != AMLR_OK)
		goto done;
	*out = faults;
	faults = NULL;
	rc = AMLR_OK;
done:
	emu_faults_free(faults);
	return rc;
}

void emu_faults_free(struct emu_faults *faults)
{
	if (!faults)
		return;
	emu_faults_clear(faults);
	pthread_mutex_destroy(&faults->lock);
	free(faults->v);
	free(faults);
}
