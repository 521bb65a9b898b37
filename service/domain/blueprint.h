/* Exam blueprints: validation of a blueprint body (SPEC §4.3) against the model's codes. */
#ifndef EXAMD_DOMAIN_BLUEPRINT_H
#define EXAMD_DOMAIN_BLUEPRINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/catalog.h"

#define BLUEPRINT_MAX_DRAWS 64
#define BLUEPRINT_MIN_SECONDS 30
#define BLUEPRINT_MAX_SECONDS 86400
#define BLUEPRINT_MAX_ATTEMPTS 100
#define BLUEPRINT_MAX_COUNT 500

struct blueprint_draw {
	const struct catalog_subtopic *subtopic;
	const struct catalog_level *level;
	int count;
};

struct blueprint {
	const struct catalog_item *item;
	const struct catalog_level *level;
	int time_limit_seconds;
	int max_attempts;
	const char *grading;  /* "highest", "latest", "first", "average" (static strings) */
	int practice_allowed; /* 1, 0, or -1 when the body leaves it out (keep it) */
	struct blueprint_draw draws[BLUEPRINT_MAX_DRAWS];
	size_t ndraws;
};

enum blueprint_status {
	BLUEPRINT_OK,
	BLUEPRINT_BAD_FIELD, /* wrong type, unknown field or enum value: 400 invalid_field */
	BLUEPRINT_INVALID,   /* well-formed but rejected: 422 validation_failed */
};

/* Validates body for the exam of item at level. msg explains the first problem. */
enum blueprint_status blueprint_parse(const struct catalog *cat, const struct catalog_item *item,
				      const struct catalog_level *level, json_t *body, struct blueprint *out, char *msg,
				      size_t msglen);

/* [{"subtopic","level","count"}...] with codes. */
json_t *blueprint_draws_json(const struct blueprint *bp);

/* True for the four grading methods. */
bool blueprint_grading_valid(const char *s);

#endif
