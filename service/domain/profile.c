/* Profile maths (SPEC §3.3, §3.4): behaviour values, gaps, statuses and the summary. */
#include "domain/profile.h"

#include <string.h>

#include "domain/decimal.h"

bool profile_behaviour_scaled(int64_t ws, int64_t wt, int64_t ssum, int64_t n, struct profile_value *out)
{
	int64_t tenths;
	out->has = false;
	out->tenths = 0;
	if (n <= 0)
		return true;
	if (ws < 0 || wt < 0 || ssum < 0)
		return false;
	/* tenths = round_half_up(10 * Σw·s / Σw); equal weights when Σw = 0. */
	enum decimal_status st = wt > 0 ? decimal_muldiv(ws, 10, wt, &tenths) : decimal_muldiv(ssum, 10, n, &tenths);
	if (st != DECIMAL_OK || tenths < 0 || tenths > 60)
		return false;
	out->has = true;
	out->tenths = (int)tenths;
	return true;
}

bool profile_behaviour_value(const char *wsum, const char *wtot, int64_t ssum, int n, struct profile_value *out)
{
	int64_t ws, wt;
	out->has = false;
	out->tenths = 0;
	if (n <= 0)
		return true;
	if (!wsum || !wtot || decimal_parse(wsum, DECIMAL_SCALE_WEIGHT, &ws) != DECIMAL_OK ||
	    decimal_parse(wtot, DECIMAL_SCALE_WEIGHT, &wt) != DECIMAL_OK)
		return false;
	return profile_behaviour_scaled(ws, wt, ssum, n, out);
}

struct profile_value profile_exam_value(int band)
{
	struct profile_value v = {.has = band >= 0 && band <= 6, .tenths = band * 10};
	return v;
}

enum profile_status profile_status_of(struct profile_value v)
{
	if (!v.has)
		return PROFILE_MISSING;
	if (v.tenths < PROFILE_STANDARD_TENTHS)
		return PROFILE_BELOW;
	return v.tenths == PROFILE_STANDARD_TENTHS ? PROFILE_MEETS : PROFILE_EXCEEDS;
}

const char *profile_status_name(enum profile_status s)
{
	static const char *const names[] = {"below", "meets", "exceeds", "missing"};
	return (unsigned)s < 4 ? names[s] : "missing";
}

static json_t *tenths_json(int tenths)
{
	if (tenths % 10 == 0)
		return json_integer(tenths / 10);
	return json_real((double)tenths / 10.0);
}

json_t *profile_value_json(struct profile_value v)
{
	return v.has ? tenths_json(v.tenths) : json_null();
}

json_t *profile_gap_json(struct profile_value v)
{
	return v.has ? tenths_json(v.tenths - PROFILE_STANDARD_TENTHS) : json_null();
}

json_t *profile_summary_json(const struct catalog *cat, const struct profile_value *values, size_t n)
{
	int counts[4] = {0, 0, 0, 0};
	for (size_t i = 0; i < n; i++)
		counts[profile_status_of(values[i])]++;
	json_t *cats = json_array();
	for (size_t c = 0; c < catalog_category_count(cat); c++) {
		const struct catalog_category *category = catalog_category_at(cat, c);
		int64_t sum = 0;
		int items = 0, with = 0;
		for (size_t i = 0; i < n && i < catalog_item_count(cat); i++) {
			if (catalog_item_at(cat, i)->category != category)
				continue;
			items++;
			if (values[i].has) {
				with++;
				sum += values[i].tenths;
			}
		}
		int64_t mean = 0;
		json_t *mean_json = json_null();
		if (with > 0 && decimal_muldiv(sum, 10, with, &mean) == DECIMAL_OK)
			mean_json = json_real((double)mean / 100.0);
		json_array_append_new(cats, json_pack("{s:s,s:s,s:i,s:i,s:o}", "category", category->code, "name_zh",
						      category->name_zh, "items", items, "with_evidence", with, "mean",
						      mean_json));
	}
	return json_pack("{s:i,s:i,s:i,s:i,s:o}", "below", counts[PROFILE_BELOW], "meets", counts[PROFILE_MEETS],
			 "exceeds", counts[PROFILE_EXCEEDS], "missing", counts[PROFILE_MISSING], "categories", cats);
}
