/* Model versions: validation of a POST /api/v1/model/versions body (SPEC §2.1,
 * §4.2) into normalised overrides with every number as an exact decimal string. */
#ifndef EXAMD_DOMAIN_MODELVER_H
#define EXAMD_DOMAIN_MODELVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/catalog.h"

#define MODELVER_MUST_CHECK __attribute__((warn_unused_result))

/* Longest note, in bytes. */
#define MODELVER_NOTE_MAX 500
/* Largest subtopic or rater weight: keeps Σ w·s in int64 at scale 6 downstream. */
#define MODELVER_WEIGHT_MAX 1000000
/* Decimals a weight may carry (DECIMAL_SCALE_WEIGHT). */
#define MODELVER_WEIGHT_DECIMALS 6
/* Exam bands are scores 1..6, each with a whole-number minimum 0..100. */
#define MODELVER_BAND_COUNT 6
#define MODELVER_RELATION_COUNT 6

enum modelver_status {
	MODELVER_OK,
	MODELVER_BAD_FIELD, /* wrong type, missing or unknown field, unknown enum value: 400 invalid_field */
	MODELVER_INVALID,   /* well-formed but rejected: 422 validation_failed */
};

/* Validates body (borrowed) against cat's codes; item, level and subtopic
 * lookups take a code or the Chinese name, the output always holds codes.
 * On OK, *out (owned by the caller, json_decref) is
 *   {"effective_from": "<as given>" | null, "note": "<as given>",
 *    "required_levels": [{"grade": 4, "item": "execution", "level": "intermediate"}...],
 *    "subtopic_weights": [{"item", "level", "weights": {"<subtopic>": "30", ...}}...],
 *    "exam_bands": [{"score": 6, "min": "91"}, ... score 6 down to 1],   (only if given)
 *    "rater_weights": {"supervisor": "3", ...}}                           (only if given)
 * required_levels ordered by grade descending then item model order (as GET
 * /api/v1/model); subtopic_weights by item then level, each with every
 * subtopic of the item in model order; rater_weights in relation order
 * (self, supervisor, peer, subordinate, customer, hr). The two arrays are
 * always present (possibly empty). JSON null counts as absent; an empty
 * required_levels, subtopic_weights or rater_weights changes nothing (an
 * empty exam_bands is refused: it must list six). Weights are trimmed decimals with at
 * most 6 decimals ("0.1", "30"), band minimums whole numbers.
 * Otherwise *out is NULL and msg names the offending field's path
 * (e.g. "subtopic_weights[1].weights.marketing"). */
MODELVER_MUST_CHECK enum modelver_status modelver_parse(const struct catalog *cat, json_t *body, json_t **out,
							char *msg, size_t msglen);

/* True for a strict RFC 3339 timestamp: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM),
 * upper-case T and Z, a real calendar date from year 0001, seconds 00..59. */
MODELVER_MUST_CHECK bool modelver_timestamp_valid(const char *s);

#endif
