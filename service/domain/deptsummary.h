/* The department summary of the HR listing (issue 18): per item, over the listed employees, the
 * mean actual value, the share that meets the standard (达标率: meets or exceeds, among those with
 * evidence), the status counts and the distribution of values by whole score 0..6. Pure and exact:
 * values are tenths, the mean is rounded half-up to hundredths, the rate to tenths of a percent. */
#ifndef EXAMD_DOMAIN_DEPTSUMMARY_H
#define EXAMD_DOMAIN_DEPTSUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/profile.h"

struct dept_item_summary {
	int employees;       /* listed */
	int assessed;        /* with evidence */
	int64_t sum_tenths;  /* of the assessed values */
	int counts[4];       /* by enum profile_status */
	int distribution[7]; /* assessed values by whole score (floor), 0..6 */
};

/* Adds one employee's value of an item. */
void dept_summary_add(struct dept_item_summary *s, struct profile_value v);

/* The mean in hundredths, half-up; false when nobody has evidence. */
bool dept_summary_mean(const struct dept_item_summary *s, int64_t *hundredths);

/* 达标率 in tenths of a percent (meets + exceeds over assessed), half-up; false when nobody has evidence. */
bool dept_summary_meets_rate(const struct dept_item_summary *s, int64_t *permille);

#endif
