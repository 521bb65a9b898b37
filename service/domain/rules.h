/* The scoring rules of SPEC §3.2-§3.4, the only implementation: every reader (exams and an
 * attempt's "counted", the single profile and its chart and report, the HR listing, its CSV, gaps and
 * department summary, readiness, trends, the department report) hands the raw evidence gathered by
 * SQL to these functions. Pure: which attempt counts under the blueprint's grading with its
 * tie-breaks, the grade held at a time, the model version in force and the level it requires, each
 * rater's latest rating, the level a rating was made against (a NULL rated_level resolved at
 * rated_at), the relation weights of the version in force at T, and the value (status and gap are
 * profile.h's). */
#ifndef EXAMD_DOMAIN_RULES_H
#define EXAMD_DOMAIN_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/catalog.h"
#include "domain/profile.h"

#define RULES_ITEMS 18
#define RULES_GRADES 4
#define RULES_LEVEL_MAX 32
#define RULES_RELATIONS 6 /* self, supervisor, peer, subordinate, customer, hr */
#define RULES_GRADINGS (RULES_ITEMS * 8)
#define RULES_WEIGHT_TEXT 32
#define RULES_HELD (-1) /* rules_evaluate's as_grade: the grade held at T */

enum rules_grading { RULES_HIGHEST, RULES_LATEST, RULES_FIRST, RULES_AVERAGE };

/* One model version: its start, the level each grade requires of each item, the band thresholds and
 * the relation weights. */
struct rules_version {
	int version;
	int64_t from; /* effective_from, microseconds since the epoch */
	/* The level required of each grade (1..4) for each item position (1..18); "" when none. */
	char level[RULES_GRADES][RULES_ITEMS][RULES_LEVEL_MAX];
	/* Band thresholds in millionths for the scores 1..6 (index 0 unused); has_band[s] when set. */
	int64_t band_min[7];
	bool has_band[7];
	/* Relation weights in millionths, 1 where the version sets none; the version's text of each
	 * weight ("" for the default) for the evidence the profile shows. */
	int64_t weight[RULES_RELATIONS];
	char weight_text[RULES_RELATIONS][RULES_WEIGHT_TEXT];
};

/* Every model version (ordered by effective_from, then version) and the blueprints' gradings. */
struct rules_model {
	struct rules_version *versions;
	size_t nversions;
	struct {
		int position;
		char level[RULES_LEVEL_MAX];
		enum rules_grading grading;
	} grading[RULES_GRADINGS];
	size_t gradings;
};

/* Parses examd_rules_evidence()'s JSON: {"versions": [{"version", "from" (µs), "levels": [[grade,
 * position, level], ...], "bands": [[score, "min"], ...], "weights": {relation: "w"}}, ...],
 * "grading": [[position, level, grading], ...]}. false (and a reason in err) when malformed; out
 * is then empty. rules_model_free releases it (also after a failure). */
bool rules_model_parse(const char *json, struct rules_model *out, char *err, size_t errlen);
void rules_model_free(struct rules_model *m);

/* The grading named by a blueprint: highest, latest, average; anything else counts as first. */
enum rules_grading rules_grading_of(const char *name);

/* ------------------------------------------------------------------ evidence */

struct rules_grade {
	int64_t from; /* effective_from (µs); the history is in the order (effective_from, id) */
	int grade;
};

struct rules_attempt {
	int position;
	char level[RULES_LEVEL_MAX];
	int64_t started, id;
	int64_t score; /* hundredths, when has_score */
	bool has_score, has_band;
	int band;
};

struct rules_rating {
	int position, relation; /* relation: index in self, supervisor, peer, subordinate, customer, hr */
	int64_t rater;          /* the rater's number within the employee's evidence */
	int64_t rated_at, id;
	char rated_level[RULES_LEVEL_MAX]; /* "" for NULL */
	int score;
};

/* One employee's raw evidence: the grade history, the closed attempts submitted by T, and the
 * ratings of the period (any rated_at; those after T are ignored). Arrays grow as needed. */
struct rules_evidence {
	struct rules_grade *grades;
	struct rules_attempt *attempts;
	struct rules_rating *ratings;
	size_t ngrades, nattempts, nratings;
	size_t cap_grades, cap_attempts, cap_ratings;
};

/* Parses the packed columns of examd_evidence_packed (migration 0024) into ev (reusing its arrays):
 *   grades   from:grade,...                                   in the order (effective_from, id)
 *   exam     position:level:started:id:standard_score:band,... (score and band empty when NULL)
 *   ratings  position:rater:relation:rated_level:rated_at:id:score,... (rated_level empty when NULL;
 *            relation 0..5 in the order self, supervisor, peer, subordinate, customer, hr)
 * Times in microseconds since the epoch; NULL or "" for none. false when malformed or out of memory. */
bool rules_evidence_parse(struct rules_evidence *ev, const char *grades, const char *exam, const char *ratings);
void rules_evidence_free(struct rules_evidence *ev);

/* ------------------------------------------------------------------ the rules */

/* The version in force at t: the latest effective_from <= t (the higher version on a tie); NULL
 * before the first. */
const struct rules_version *rules_version_at(const struct rules_model *m, int64_t t);

/* The grade held at t: the latest grade from at or before t (the later entry on a tie); before the
 * first recorded grade, that first grade; 0 without a history. */
int rules_grade_at(const struct rules_evidence *ev, int64_t t);

/* The level that grade requires of the item position (1..18) in version v; NULL when none. */
const char *rules_level_of(const struct rules_version *v, int grade, int position);

/* The grading of the blueprint for (position, level); highest without a blueprint. */
enum rules_grading rules_grading_at(const struct rules_model *m, int position, const char *level);

/* Each rater's latest rating (SPEC §3.3): one entry per rating; group is what a rater rates once
 * (an item of one employee and period), rater the rater's number. */
struct rules_rated {
	int64_t group, rater, rated_at, id;
};

/* keep[k] when rating k is its rater's latest in its group among those with rated_at <= t (by rated_at,
 * then the higher id); false for the others and for those after t. false when out of memory. */
bool rules_latest_per_rater(const struct rules_rated *r, size_t n, int64_t t, bool *keep)
	__attribute__((warn_unused_result));

/* One item of a profile at T. */
struct rules_item {
	const char *level;          /* required at T (points into the model); NULL when none */
	struct profile_value value; /* the band or the behaviour value; missing when no evidence */
	bool has_score;             /* exam: the counted standard score, or the average rounded half-up */
	int64_t score;              /* to 2 decimals, in hundredths */
	size_t used;                /* attempts counted or ratings kept */
};

struct rules_result {
	int grade;                           /* held at T (0: none) */
	const struct rules_version *version; /* in force at T; NULL when none */
	struct rules_item item[RULES_ITEMS];
};

/* The 18 items of one employee at time t (µs). as_grade: RULES_HELD for the grade held at t, else
 * the grade whose levels the evidence is held against (readiness: the next grade; 0: none, every
 * item missing). Optional outputs, one entry per evidence entry: attempt_used[k] when attempt k
 * counts (the one picked, or every attempt of an average); rating_weight[k] the weight in millionths
 * of rating k when kept, else -1 (and rating_weight_text[k] the version's text of that weight, NULL
 * for the default 1). false when the evidence is out of range. */
bool rules_evaluate(const struct rules_model *m, const struct catalog *cat, const struct rules_evidence *ev, int64_t t,
		    int as_grade, struct rules_result *out, bool *attempt_used, int64_t *rating_weight,
		    const char **rating_weight_text);

/* The values only, from the packed columns parsed into ev (the caller's, reused from employee to
 * employee): what the listings call per employee. grade_out (optional): the grade held at t. */
bool rules_values(const struct rules_model *m, const struct catalog *cat, int64_t t, int as_grade,
		  struct rules_evidence *ev, const char *grades, const char *exam, const char *ratings,
		  struct profile_value out[RULES_ITEMS], int *grade_out);

/* ------------------------------------------------------------------ now, for statements that act */

/* The grade held at t by one packed grade history (examd_grades_packed: "from:grade,..." in the order
 * (effective_from, id)): 0 without a history, -1 when malformed or out of memory. */
int rules_grade_packed_at(const char *packed, int64_t t);
/* The same once (from, grade) is recorded after that history (it is then the last entry among those
 * with the same effective_from): what a grade change answers as the grade held at t. */
int rules_grade_packed_with(const char *packed, int64_t from, int grade, int64_t t);

/* The levels grade requires in version v: {item code: level, ...} (an item without a level is left
 * out; empty for no version or no such grade). NULL when out of memory. One grade's part of the
 * "levels" of the p_now parameter (api/nowrules.c, migrations/functions/model.sql). */
json_t *rules_grade_levels_json(const struct rules_version *v, const struct catalog *cat, int grade);

#endif
