/* Trends over periods (see trends.h). */
#include "domain/trends.h"

#include <stdlib.h>
#include <string.h>

static bool int_text(const char *s, long lo, long hi, long *out)
{
	if (!s || !*s)
		return false;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

bool trends_value(bool exam, const char *band, const char *wsum, const char *wtot, const char *ssum, const char *n,
		  struct profile_value *out)
{
	*out = (struct profile_value){false, 0};
	long b, count, s;
	if (exam) {
		if (!band || !*band)
			return true;
		if (!int_text(band, 0, 6, &b))
			return false;
		*out = profile_exam_value((int)b);
		return true;
	}
	if (!n || !*n || !strcmp(n, "0"))
		return true;
	if (!int_text(n, 1, 1000000, &count) || !int_text(ssum, 0, 6000000, &s) || !wsum || !wtot)
		return false;
	return profile_behaviour_value(wsum, wtot, s, (int)count, out);
}

int trends_band(struct profile_value v)
{
	if (!v.has)
		return TRENDS_MISSING;
	int b = v.tenths / 10;
	return b < 0 ? 0 : b > 6 ? 6 : b;
}

bool trends_add_packed(const struct catalog *cat, const char *packed, struct trends_period *p)
{
	const char *s = packed ? packed : "";
	while (*s) {
		const char *end = strchr(s, ';');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char row[256], *f[6];
		if (len >= sizeof row)
			return false;
		memcpy(row, s, len);
		row[len] = '\0';
		char *cur = row;
		int k = 0;
		for (; k < 6; k++) {
			f[k] = cur;
			char *colon = strchr(cur, ':');
			if (!colon)
				break;
			*colon = '\0';
			cur = colon + 1;
		}
		if (k != 5 || strchr(cur, ':'))
			return false;
		const struct catalog_item *it = catalog_item_find(cat, f[0]);
		if (!it || it->position >= TRENDS_ITEMS)
			return false;
		struct profile_value v;
		if (!trends_value(it->assessment == CATALOG_ASSESS_EXAM, f[1], f[2], f[3], f[4], f[5], &v))
			return false;
		size_t i = it->position;
		p->counts[i][trends_band(v)]++;
		if (v.has) {
			p->sum_tenths[i] += v.tenths;
			p->with_value[i]++;
		}
		s = end ? end + 1 : s + len;
	}
	return true;
}
