/* Profile maths (SPEC §3.3, §3.4): behaviour values from the kept ratings' aggregates, gaps,
 * statuses and the summary. Pure and exact: values are tenths, means hundredths. */
#ifndef EXAMD_DOMAIN_PROFILE_H
#define EXAMD_DOMAIN_PROFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/catalog.h"

#define PROFILE_STANDARD_TENTHS 50 /* the standard: 5 */

enum profile_status { PROFILE_BELOW, PROFILE_MEETS, PROFILE_EXCEEDS, PROFILE_MISSING };

struct profile_value {
	bool has;   /* false: no evidence (missing, never 0) */
	int tenths; /* the actual value x 10 */
};

/* The weighted mean of the kept ratings, rounded half-up to one decimal: wsum = Σ w·score and
 * wtot = Σ w as decimal strings (weights have at most 6 decimals), ssum = Σ score over n ratings.
 * When wtot is 0 the ratings count equally. n == 0 gives no value. false on malformed input. */
bool profile_behaviour_value(const char *wsum, const char *wtot, int64_t ssum, int n, struct profile_value *out);

/* The same from Σ w·s and Σ w in millionths (weights scaled by 10^6), Σ score and the count. */
bool profile_behaviour_scaled(int64_t ws, int64_t wt, int64_t ssum, int64_t n, struct profile_value *out);

/* An exam band as a value. */
struct profile_value profile_exam_value(int band);

enum profile_status profile_status_of(struct profile_value v);
const char *profile_status_name(enum profile_status s);

/* The 18 values in model order -> {"below","meets","exceeds","missing","categories":[{"category",
 * "name_zh","items","with_evidence","mean"}]} with mean (half-up, 2 decimals) over items with evidence,
 * null when none. */
json_t *profile_summary_json(const struct catalog *cat, const struct profile_value *values, size_t n);

/* Behaviour evidence as an employee may see it (SPEC §4.5: raters stay anonymous to the employee):
 * the full evidence of one item ([{"relation","score",...}], one kept rating per rater) reduced to
 * one entry per relation, [{"relation","count","mean"}], relations in model order (self, supervisor,
 * peer, subordinate, customer, hr; any other after them, in order of appearance), mean = the plain
 * mean of that relation's scores rounded half-up to one decimal (a JSON real). Nothing else of a
 * rating is carried over: no rater, no single score, no note, no time. NULL when a rating has no
 * relation or no whole score 0..6, or on out of memory. */
json_t *profile_relation_summary_json(const json_t *ratings);

/* A value as JSON: an integer for whole values (exam bands), else one decimal; null when missing. */
json_t *profile_value_json(struct profile_value v);
/* actual - 5, null when missing. */
json_t *profile_gap_json(struct profile_value v);

#endif
