/* Readiness for the next grade (SPEC §4.6b): an employee's evidence held against the levels that
 * grade g-1 requires in the model version in force, with the rules of domain/rules.c, so
 * that evidence counts only at the level it was taken or rated (SPEC §3.2-§3.3). Pure. */
#ifndef EXAMD_DOMAIN_READINESS_H
#define EXAMD_DOMAIN_READINESS_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/catalog.h"
#include "domain/rules.h"
#include "domain/profile.h"

/* Order of the listing: ready first, top_grade last. */
enum readiness_status { READINESS_READY, READINESS_NEARLY, READINESS_NOT_READY, READINESS_TOP_GRADE };
#define READINESS_STATUSES 4

enum readiness_item { READINESS_MET, READINESS_BELOW, READINESS_MISSING };

/* "nearly": at most this many items below, each at most this many tenths below the standard. */
#define READINESS_NEARLY_ITEMS 2
#define READINESS_NEARLY_TENTHS 10

struct readiness {
	enum readiness_status status;
	int next_grade; /* grade - 1; 0 for grade 1 and for an employee without a grade */
	int met, below, missing;
	struct profile_value value[RULES_ITEMS];
	enum readiness_item item[RULES_ITEMS];
};

/* met (actual >= 5), below (< 5) or missing (no evidence). */
enum readiness_item readiness_item_of(struct profile_value v);

/* The status from the values held against the next grade's levels (n items): ready when all are
 * met; nearly when none is missing and at most 2 are below, each by at most one point; else
 * not_ready. Also fills the counts and per-item statuses of out. */
void readiness_classify(const struct profile_value *values, size_t n, struct readiness *out);

/* One employee at time t from their parsed evidence: grade 1 at t gives top_grade (no items); grade
 * 2..4 the values at the levels of grade grade-1 (rules_evaluate); no grade gives not_ready with every
 * item missing. false when the evidence is out of range. */
bool readiness_of(const struct rules_model *rules, const struct catalog *cat, int64_t t,
		  const struct rules_evidence *ev, struct readiness *out);

const char *readiness_status_name(enum readiness_status s);
const char *readiness_status_zh(enum readiness_status s);
const char *readiness_item_name(enum readiness_item s);

/* Stable order of n entries by status (ready, nearly, not_ready, top_grade), keeping the given
 * order (by name) inside each status: idx receives the entries' indexes. status[k] is entry k's. */
void readiness_order(const enum readiness_status *status, size_t n, size_t *idx);

#endif
