/* Trends over periods (issue #19): the band a value falls in, and a department's band distribution
 * per item and period from its employees' values (decided by domain/rules.c). Pure. */
#ifndef EXAMD_DOMAIN_TRENDS_H
#define EXAMD_DOMAIN_TRENDS_H

#include <stdbool.h>

#include "domain/catalog.h"
#include "domain/profile.h"

#define TRENDS_ITEMS 18
#define TRENDS_BANDS 8 /* 0..6, then missing */
#define TRENDS_MISSING 7

/* The band of a value: its whole part (a behaviour mean of 4.9 is in band 4, so bands 5 and 6 are
 * exactly the items that meet the standard), TRENDS_MISSING without evidence. */
int trends_band(struct profile_value v);

/* One period of a department: counts[item position][band] over its employees, and the sum of the
 * values in tenths and their number per item (for the mean). */
struct trends_period {
	long counts[TRENDS_ITEMS][TRENDS_BANDS];
	long sum_tenths[TRENDS_ITEMS], with_value[TRENDS_ITEMS];
};

/* Adds one employee's 18 values (model order) to p. */
void trends_add_values(struct trends_period *p, const struct profile_value v[TRENDS_ITEMS]);

#endif
