/* Trends over periods (see trends.h). */
#include "domain/trends.h"

int trends_band(struct profile_value v)
{
	if (!v.has)
		return TRENDS_MISSING;
	int b = v.tenths / 10;
	return b < 0 ? 0 : b > 6 ? 6 : b;
}

void trends_add_values(struct trends_period *p, const struct profile_value v[TRENDS_ITEMS])
{
	for (size_t i = 0; i < TRENDS_ITEMS; i++) {
		p->counts[i][trends_band(v[i])]++;
		if (v[i].has) {
			p->sum_tenths[i] += v[i].tenths;
			p->with_value[i]++;
		}
	}
}
