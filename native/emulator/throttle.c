/* SPDX-License-Identifier: MIT */
/* Per-subscription token buckets for Resource Manager reads and writes. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "throttle.h"

#define HOUR_S 3600.0 /* ARM's limits are per hour */
#define SUB_ID_MAX 128 /* longer ids are not charged (ARM has none) */
#define BUCKETS_MAX 4096 /* subscriptions tracked at once */
#define CAPACITY_MAX 1000000000L
#define SUBSCRIPTIONS "/subscriptions/"

enum { READS, WRITES };

static const char *const kind_name[] = { "reads", "writes" };

struct bucket {
	char id[SUB_ID_MAX + 1];
	double tokens[2]; /* READS, WRITES */
	double last; /* monotonic seconds of the last refill */
};

struct emu_throttle {
	pthread_mutex_t lock;
	long capacity[2];
	struct bucket *v;
	size_t n;
	size_t cap;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Add the tokens earned since the last refill, up to the capacity. */
static void refill(const struct emu_throttle *t, struct bucket *b, double now)
{
	int k;

	for (k = READS; k <= WRITES; k++) {
		b->tokens[k] +=
			(now - b->last) * (double)t->capacity[k] / HOUR_S;
		if (b->tokens[k] > (double)t->capacity[k])
			b->tokens[k] = (double)t->capacity[k];
	}
	b->last = now;
}

static void fill(const struct emu_throttle *t, struct bucket *b, double now)
{
	b->tokens[READS] = (double)t->capacity[READS];
	b->tokens[WRITES] = (double)t->capacity[WRITES];
	b->last = now;
}

/*
 * Make room for one more bucket when the table is full: a full bucket is
 * the same as none, so those go first; failing that, the least recently
 * used one.
 */
static void evict(struct emu_throttle *t, double now)
{
	size_t i, j = 0, lru = 0;

	for (i = 0; i < t->n; i++) {
		refill(t, &t->v[i], now);
		if (t->v[i].tokens[READS] < (double)t->capacity[READS] ||
		    t->v[i].tokens[WRITES] < (double)t->capacity[WRITES])
			t->v[j++] = t->v[i];
	}
	t->n = j;
	if (t->n < BUCKETS_MAX)
		return;
	for (i = 1; i < t->n; i++)
		if (t->v[i].last < t->v[lru].last)
			lru = i;
	t->v[lru] = t->v[--t->n];
}

/* The bucket of subscription @p id (@p len bytes), refilled; NULL: OOM. */
static struct bucket *find(struct emu_throttle *t, const char *id, size_t len,
			   double now)
{
	struct bucket *b, *v;
	size_t i, cap;

	for (i = 0; i < t->n; i++) {
		b = &t->v[i];
		if (strlen(b->id) == len && strncasecmp(b->id, id, len) == 0) {
			refill(t, b, now);
			return b;
		}
	}
	if (t->n == BUCKETS_MAX)
		evict(t, now);
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if (!(v = realloc(t->v, cap * sizeof(*v))))
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	b = &t->v[t->n++];
	memcpy(b->id, id, len);
	b->id[len] = '\0';
	fill(t, b, now);
	return b;
}

/* READS, WRITES, or -1 for a method ARM does not charge. */
static int kind_of(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return READS;
	if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0 ||
	    strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0)
		return WRITES;
	return -1;
}

/* Whether @p rest, a path's part after the segment @p seg, is under it. */
static int under(const char *rest, const char *seg)
{
	size_t n = strlen(seg);

	return strncasecmp(rest, seg, n) == 0 &&
	       (rest[n] == '\0' || rest[n] == '/');
}

/*
 * The subscription id of a Resource Manager path: /subscriptions/{id}
 * itself, or under its /resourceGroups or /providers.  Length, or 0 for
 * any other path: the RRS and BES execution endpoints under
 * /subscriptions/{id}/services are the web service's own host, not
 * Resource Manager, and draw on no ARM budget.
 */
static size_t subscription_of(const char **id, const char *path)
{
	size_t n = strlen(SUBSCRIPTIONS), len;
	const char *rest;

	if (strncasecmp(path, SUBSCRIPTIONS, n) != 0)
		return 0;
	*id = path + n;
	len = strcspn(*id, "/");
	rest = *id + len;
	if (rest[0] == '\0' || strcmp(rest, "/") == 0 ||
	    under(rest, "/resourceGroups") || under(rest, "/providers"))
		return len;
	return 0;
}

/* ARM's answer to an empty bucket. */
static amlr_code throttled(struct emu_resp *resp, const struct emu_req *req,
			   const char *header, const char *value,
			   const char *sub, int k, long capacity, long retry)
{
	char n[24];
	amlr_code rc;

	snprintf(n, sizeof(n), "%ld", retry);
	if ((rc = emu_resp_arm_error(
		     resp, 429, "SubscriptionRequestsThrottled",
		     "Number of '%s' requests for subscription '%s' actually exceeded the limit of '%ld' for time interval '01:00:00'. Please try again after '%ld' seconds.",
		     k == READS ? "read" : "write", sub, capacity, retry)) !=
		    AMLR_OK ||
	    (rc = emu_resp_set_header(resp, "Retry-After", n)) != AMLR_OK ||
	    (rc = emu_resp_set_header(resp, header, value)) != AMLR_OK)
		return rc;
	return emu_router_finish(resp, req);
}

int emu_throttle_admit(char header[64], char value[24],
		       struct emu_throttle *throttle, const struct emu_req *req,
		       struct emu_resp *resp)
{
	struct bucket *b;
	char sub[SUB_ID_MAX + 1];
	const char *id = NULL;
	size_t len;
	long remaining = 0, retry = 0, capacity;
	int k, admitted;

	header[0] = value[0] = '\0';
	if (!throttle || (k = kind_of(req->method)) < 0)
		return 1;
	len = subscription_of(&id, req->path);
	if (len == 0 || len > SUB_ID_MAX)
		return 1;
	pthread_mutex_lock(&throttle->lock);
	capacity = throttle->capacity[k];
	if (!(b = find(throttle, id, len, now_s()))) {
		pthread_mutex_unlock(&throttle->lock);
		return -1;
	}
	admitted = b->tokens[k] >= 1;
	if (admitted) {
		b->tokens[k] -= 1;
		remaining = (long)floor(b->tokens[k]);
	} else {
		/* Seconds until the bucket holds a whole token again. */
		retry = (long)ceil((1 - b->tokens[k]) * HOUR_S /
				   (double)capacity);
		if (retry < 1)
			retry = 1;
	}
	pthread_mutex_unlock(&throttle->lock);
	snprintf(header, 64, "x-ms-ratelimit-remaining-subscription-%s",
		 kind_name[k]);
	snprintf(value, 24, "%ld", remaining);
	if (admitted)
		return 1;
	memcpy(sub, id, len);
	sub[len] = '\0';
	return throttled(resp, req, header, value, sub, k, capacity, retry) ==
			       AMLR_OK
		       ? 0
		       : -1;
}

amlr_code emu_throttle_get(amlr_json **out, struct emu_throttle *throttle)
{
	amlr_json *obj = NULL, *arr = NULL, *item = NULL;
	struct bucket *b;
	double now = now_s();
	size_t i;
	amlr_code rc;

	*out = NULL;
	if ((rc = amlr_json_new_object(&obj)) != AMLR_OK ||
	    (rc = amlr_json_new_array(&arr)) != AMLR_OK)
		goto done;
	pthread_mutex_lock(&throttle->lock);
	if ((rc = amlr_json_set_int(obj, "reads", throttle->capacity[READS])) ==
	    AMLR_OK)
		rc = amlr_json_set_int(obj, "writes",
				       throttle->capacity[WRITES]);
	for (i = 0; i < throttle->n && rc == AMLR_OK; i++) {
		b = &throttle->v[i];
		refill(throttle, b, now);
		if ((rc = amlr_json_new_object(&item)) != AMLR_OK ||
		    (rc = amlr_json_set_str(item, "subscriptionId", b->id)) !=
			    AMLR_OK ||
		    (rc = amlr_json_set_int(
			     item, "readsRemaining",
			     (int64_t)floor(b->tokens[READS]))) != AMLR_OK ||
		    (rc = amlr_json_set_int(
			     item, "writesRemaining",
			     (int64_t)floor(b->tokens[WRITES]))) != AMLR_OK)
			break;
		rc = amlr_json_append(arr, item); /* steals */
		item = NULL;
	}
	pthread_mutex_unlock(&throttle->lock);
	if (rc != AMLR_OK)
		goto done;
	rc = amlr_json_set(obj, "subscriptions", arr); /* steals */
	arr = NULL;
	if (rc != AMLR_OK)
		goto done;
	*out = obj;
	obj = NULL;
done:
	amlr_json_free(item);
	amlr_json_free(arr);
	amlr_json_free(obj);
	return rc;
}

/* Member @p key of @p obj as an integer in [min, max]; 0 if absent. */
static amlr_code setting(long *out, int *present, amlr_error *err,
			 const amlr_json *obj, const char *key, long min,
			 long max)
{
	amlr_json *v = amlr_json_get(obj, key);
	int64_t n;

	*present = v != NULL;
	if (!v)
		return AMLR_OK;
	if (!amlr_json_int(&n, v) || n < min || n > max)
		return amlr_error_set(
			err, AMLR_EINVAL,
			"$.%s: expected an integer from %ld to %ld", key, min,
			max);
	*out = (long)n;
	return AMLR_OK;
}

amlr_code emu_throttle_set(amlr_error *err, struct emu_throttle *throttle,
			   const amlr_json *settings)
{
	static const char *const known[] = { "reads", "writes",
					     "subscriptionId", "readsRemaining",
					     "writesRemaining" };
	amlr_json_iter it = AMLR_JSON_ITER_INIT;
	amlr_json *val;
	struct bucket *b;
	const char *key, *sub;
	long cap[2], left[2] = { 0, 0 };
	int has_cap[2] = { 0, 0 }, has_left[2] = { 0, 0 }, k;
	double now = now_s();
	size_t i, n;
	amlr_code rc = AMLR_OK;

	if (amlr_json_type_of(settings) != AMLR_JSON_OBJECT)
		return amlr_error_set(err, AMLR_EINVAL,
				      "$: expected an object");
	while (amlr_json_next(&key, &val, settings, &it)) {
		for (n = 0; n < sizeof(known) / sizeof(known[0]); n++)
			if (strcmp(known[n], key) == 0)
				break;
		if (n == sizeof(known) / sizeof(known[0]))
			return amlr_error_set(err, AMLR_EINVAL,
					      "$.%.64s: unknown member", key);
	}
	sub = amlr_json_get_str(settings, "subscriptionId");
	if (amlr_json_get(settings, "subscriptionId") &&
	    (!sub || !*sub || strlen(sub) > SUB_ID_MAX || strchr(sub, '/')))
		return amlr_error_set(
			err, AMLR_EINVAL,
			"$.subscriptionId: expected a subscription id");
	pthread_mutex_lock(&throttle->lock);
	cap[READS] = throttle->capacity[READS];
	cap[WRITES] = throttle->capacity[WRITES];
	for (k = READS; k <= WRITES && rc == AMLR_OK; k++)
		rc = setting(&cap[k], &has_cap[k], err, settings, kind_name[k],
			     1, CAPACITY_MAX);
	if (rc == AMLR_OK)
		rc = setting(&left[READS], &has_left[READS], err, settings,
			     "readsRemaining", 0, cap[READS]);
	if (rc == AMLR_OK)
		rc = setting(&left[WRITES], &has_left[WRITES], err, settings,
			     "writesRemaining", 0, cap[WRITES]);
	if (rc == AMLR_OK && (has_left[READS] || has_left[WRITES]) && !sub)
		rc = amlr_error_set(
			err, AMLR_EINVAL,
			"$.subscriptionId: required with readsRemaining or writesRemaining");
	if (rc != AMLR_OK)
		goto done;
	if (has_cap[READS] || has_cap[WRITES]) {
		throttle->capacity[READS] = cap[READS];
		throttle->capacity[WRITES] = cap[WRITES];
		for (i = 0; i < throttle->n; i++)
			fill(throttle, &throttle->v[i], now);
	}
	if (sub) {
		if (!(b = find(throttle, sub, strlen(sub), now))) {
			rc = amlr_error_set(err, AMLR_EFAIL, "out of memory");
			goto done;
		}
		for (k = READS; k <= WRITES; k++)
			if (has_left[k])
				b->tokens[k] = (double)left[k];
	}
done:
	pthread_mutex_unlock(&throttle->lock);
	return rc;
}

amlr_code emu_throttle_new(struct emu_throttle **out, amlr_error *err,
			   const struct emu_config *cfg)
{
	struct emu_throttle *t;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return amlr_error_set(err, AMLR_EFAIL, "out of memory");
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return amlr_error_set(err, AMLR_EFAIL, "cannot create a lock");
	}
	t->capacity[READS] =
		cfg->arm_reads > 0 ? cfg->arm_reads : EMU_DEFAULT_ARM_READS;
	t->capacity[WRITES] =
		cfg->arm_writes > 0 ? cfg->arm_writes : EMU_DEFAULT_ARM_WRITES;
	*out = t;
	return AMLR_OK;
}

void emu_throttle_free(struct emu_throttle *throttle)
{
	if (!throttle)
		return;
	pthread_mutex_destroy(&throttle->lock);
	free(throttle->v);
	free(throttle);
}
