/* The department summary: see deptsummary.h. */
#include "domain/deptsummary.h"

void dept_summary_add(struct dept_item_summary *s, struct profile_value v)
{
	s->employees++;
	s->counts[profile_status_of(v)]++;
	if (!v.has)
		return;
	s->assessed++;
	s->sum_tenths += v.tenths;
	int whole = v.tenths / 10; /* values are 0..6, never negative */
	if (whole < 0)
		whole = 0;
	if (whole > 6)
		whole = 6;
	s->distribution[whole]++;
}

/* n / d rounded half-up, for n >= 0 and d > 0. */
static int64_t div_half_up(int64_t n, int64_t d)
{
	return (2 * n + d) / (2 * d);
}

bool dept_summary_mean(const struct dept_item_summary *s, int64_t *hundredths)
{
	if (s->assessed == 0)
		return false;
	*hundredths = div_half_up(s->sum_tenths * 10, s->assessed);
	return true;
}

bool dept_summary_meets_rate(const struct dept_item_summary *s, int64_t *permille)
{
	if (s->assessed == 0)
		return false;
	*permille = div_half_up((int64_t)(s->counts[PROFILE_MEETS] + s->counts[PROFILE_EXCEEDS]) * 1000, s->assessed);
	return true;
}
