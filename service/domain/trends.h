/* Trends over periods (issue #19): the value of one item from the profile rules' evidence row
 * (examd_profile_data), the band a value falls in, and a department's band distribution per item
 * and period from the packed rows of one period. Pure. */
#ifndef EXAMD_DOMAIN_TRENDS_H
#define EXAMD_DOMAIN_TRENDS_H

#include <stdbool.h>

#include "domain/catalog.h"
#include "domain/profile.h"

#define TRENDS_ITEMS 18
#define TRENDS_BANDS 8	 /* 0..6, then missing */
#define TRENDS_MISSING 7

/* One item's value: an exam band (band: text, NULL when no attempt counts) or the behaviour
 * aggregate (wsum, wtot, ssum, n as text; n NULL or 0 when no rating counts), by the profile rules
 * (domain/profile.c). false when malformed. */
bool trends_value(bool exam, const char *band, const char *wsum, const char *wtot, const char *ssum, const char *n,
		  struct profile_value *out);

/* The band of a value: its whole part (a behaviour mean of 4.9 is in band 4, so bands 5 and 6 are
 * exactly the items that meet the standard), TRENDS_MISSING without evidence. */
int trends_band(struct profile_value v);

/* One period of a department: counts[item position][band] over its employees, and the sum of the
 * values in tenths and their number per item (for the mean). */
struct trends_period {
	long counts[TRENDS_ITEMS][TRENDS_BANDS];
	long sum_tenths[TRENDS_ITEMS], with_value[TRENDS_ITEMS];
};

/* Adds packed rows "item:band:wsum:wtot:ssum:n;..." (empty fields for NULL; one row per employee
 * and item) to p. false when malformed (unknown item, bad numbers). */
bool trends_add_packed(const struct catalog *cat, const char *packed, struct trends_period *p);

#endif
