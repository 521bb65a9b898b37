/* The HR listing's per-item rules (SPEC §3.2, §3.3) applied to one employee's packed evidence
 * (migration 0013, examd_profile_listing_packed): which closed attempt counts under the item's
 * grading, the behaviour summary kept at the required level, and the relation weights. Pure: the
 * same rules as the database's examd_profile_data, which the single profile uses, and which the
 * integration tests compare with this code employee by employee. */
#ifndef EXAMD_DOMAIN_LISTING_H
#define EXAMD_DOMAIN_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/catalog.h"
#include "domain/profile.h"

#define LISTING_ITEMS 18
#define LISTING_GRADES 4
#define LISTING_LEVEL_MAX 32
#define LISTING_RELATIONS 6 /* self, supervisor, peer, subordinate, customer, hr: the summary's order */
#define LISTING_GRADINGS (LISTING_ITEMS * 8)

enum listing_grading { LISTING_HIGHEST, LISTING_LATEST, LISTING_FIRST, LISTING_AVERAGE };

/* The rules of the model version in force at the listing's time (examd_listing_rules). */
struct listing_rules {
	/* The level required of each grade (1..4) for each item position (1..18); "" when none. */
	char level[LISTING_GRADES][LISTING_ITEMS][LISTING_LEVEL_MAX];
	/* Blueprint gradings by (position, level); highest where none. */
	struct {
		int position;
		char level[LISTING_LEVEL_MAX];
		enum listing_grading grading;
	} grading[LISTING_GRADINGS];
	size_t gradings;
	/* Band thresholds in millionths for the scores 1..6 (index 0 unused); has_band[s] when set. */
	int64_t band_min[7];
	bool has_band[7];
	/* Relation weights in millionths; 1 where the version sets none. */
	int64_t weight[LISTING_RELATIONS];
};

/* Parses examd_listing_rules' JSON: {"levels": [[grade, position, level], ...], "grading":
 * [[position, level, grading], ...], "bands": [[score, "min"], ...], "weights": {relation: "w"}}.
 * false (and a reason in err) when malformed. */
bool listing_rules_parse(const char *json, struct listing_rules *out, char *err, size_t errlen);

/* The grading named by a blueprint: highest, latest, average; anything else counts as first
 * (the earliest attempt), as in examd_profile_data. */
enum listing_grading listing_grading_of(const char *name);

/* The 18 values of one employee in model order. grade: 1..4, or 0 when the employee has none (then
 * every item is missing). exam, behaviour, behaviour_weighted: the packed columns of
 * examd_profile_listing_packed, NULL when empty; when behaviour_weighted is set it replaces
 * behaviour. false when a packed column is malformed. */
bool listing_values(const struct listing_rules *rules, const struct catalog *cat, int grade, const char *exam,
		    const char *behaviour, const char *behaviour_weighted, struct profile_value out[LISTING_ITEMS]);

#endif
