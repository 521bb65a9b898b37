/* Rater quality (issue #19): per rater, the number of ratings and the mean given, leniency against
 * the other raters of the same employees and items, the share of the single most frequent value,
 * and the agreement of supervisor and peer ratings of the same employee and item (exact, within one
 * point, linearly weighted Cohen's kappa on the 0..6 scale), with flags whose thresholds are data.
 * Pure: the caller gives each rater's latest rating per (employee, item) of one period, with the
 * raters and the (employee, item) cells numbered. */
#ifndef EXAMD_DOMAIN_RATERQ_H
#define EXAMD_DOMAIN_RATERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATERQ_VALUES 7 /* the rating scale 0..6 */

/* The relations of SPEC §6, in this order. */
enum raterq_relation { RATERQ_SELF, RATERQ_SUPERVISOR, RATERQ_PEER, RATERQ_SUBORDINATE, RATERQ_CUSTOMER, RATERQ_HR };
#define RATERQ_RELATIONS 6

/* A relation's index, -1 when unknown. */
int raterq_relation_of(const char *name);
const char *raterq_relation_name(int relation);

struct raterq_rating {
	uint32_t rater;   /* 0 .. nraters-1 */
	uint32_t cell;    /* one number per (employee, item) */
	uint8_t relation; /* enum raterq_relation */
	uint8_t score;    /* 0..6 */
};

/* Pairs of a supervisor's and a peer's rating of the same employee and item: m[supervisor][peer]. */
struct raterq_agreement {
	long pairs, exact, within_one;
	long m[RATERQ_VALUES][RATERQ_VALUES];
};

/* Linearly weighted Cohen's kappa of the pairs in a (weights 1 - |i - j| / 6): (po - pe) / (1 - pe)
 * with po the weighted observed agreement and pe the agreement expected from the two marginals.
 * false when it is undefined: no pairs, or pe = 1 (both sides used one and the same value only). */
bool raterq_kappa(const struct raterq_agreement *a, double *kappa);

enum raterq_metric {
	RATERQ_LENIENCY,   /* count: shared ratings */
	RATERQ_MODE_SHARE, /* count: ratings */
	RATERQ_KAPPA,      /* count: supervisor-peer pairs */
};
enum raterq_op { RATERQ_AT_LEAST, RATERQ_AT_MOST, RATERQ_BELOW };

/* A flag: raised when the metric is defined, its count is at least min_count, and metric op
 * threshold holds. */
struct raterq_rule {
	const char *flag, *name_zh;
	enum raterq_metric metric;
	enum raterq_op op;
	double threshold;
	long min_count;
};
/* The rules in force: lenient, severe, single_value, low_agreement. At most 32. */
extern const struct raterq_rule raterq_rules[];
extern const size_t raterq_nrules;
const char *raterq_metric_name(enum raterq_metric m);
const char *raterq_op_name(enum raterq_op op);

struct raterq_rater {
	long ratings, sum;          /* mean given = sum / ratings */
	long shared;                /* ratings of a cell that another rater also rated */
	double leniency_sum;        /* over those: the rating minus the mean of the other raters' ratings of the cell */
	long counts[RATERQ_VALUES]; /* ratings per value */
	unsigned relations;         /* bit per relation used */
	struct raterq_agreement agreement; /* this rater's supervisor-peer pairs */
	uint32_t flags;                    /* bit k: raterq_rules[k] */
};

/* Fills out[0..nraters-1] and overall (every supervisor-peer pair). false when a rating is out of
 * range (rater, relation, score) or memory runs out. Flags are applied with rules (n of them). */
bool raterq_compute(const struct raterq_rating *ratings, size_t n, size_t nraters, const struct raterq_rule *rules,
		    size_t nrules, struct raterq_rater *out, struct raterq_agreement *overall)
	__attribute__((warn_unused_result));

double raterq_mean(const struct raterq_rater *r);
/* Leniency: the mean over the rater's shared ratings of (rating - mean of the others' ratings of
 * the same cell); false when the rater shares no cell. */
bool raterq_leniency(const struct raterq_rater *r, double *out);
/* The most frequent value (ties: the higher value) and its share of the ratings; false without ratings. */
bool raterq_mode(const struct raterq_rater *r, int *value, double *share);
/* The flags of r under rules (bit k: rules[k]). */
uint32_t raterq_flags(const struct raterq_rater *r, const struct raterq_rule *rules, size_t nrules);

#endif
