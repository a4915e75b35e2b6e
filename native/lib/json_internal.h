/* SPDX-License-Identifier: MIT */
/* The bridge between amlr_json and json-c, for libamlr and the emulator. */
#ifndef AMLR_JSON_INTERNAL_H
#define AMLR_JSON_INTERNAL_H

#include <json-c/json.h>

#include "amlr/json.h"

/* An amlr_json is a json_object under another name; never dereferenced. */
static inline json_object *amlr_json__c(const amlr_json *json)
{
	return (json_object *)json;
}

static inline amlr_json *amlr_json__wrap(json_object *obj)
{
	return (amlr_json *)obj;
}

#endif
