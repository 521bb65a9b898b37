/* Profile maths (SPEC §3.3, §3.4): behaviour values, gaps, statuses and the summary. */
#include "domain/profile.h"

#include <stdlib.h>
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

/* The relations in model order (model_relations.position). */
static const char *const relation_order[] = {"self", "supervisor", "peer", "subordinate", "customer", "hr"};
#define RELATION_KNOWN (sizeof relation_order / sizeof *relation_order)

struct relation_group {
	const char *relation; /* borrowed from the ratings */
	size_t rank;          /* model position, or after them in order of appearance */
	int64_t count, sum;
};

json_t *profile_relation_summary_json(const json_t *ratings)
{
	if (!json_is_array(ratings))
		return NULL;
	size_t n = json_array_size(ratings), groups = 0, i;
	struct relation_group *g = calloc(n ? n : 1, sizeof *g);
	json_t *out = NULL, *e;
	if (!g)
		return NULL;
	json_array_foreach(ratings, i, e)
	{
		const char *relation = json_string_value(json_object_get(e, "relation"));
		json_t *score = json_object_get(e, "score");
		if (!relation || !json_is_integer(score) || json_integer_value(score) < 0 ||
		    json_integer_value(score) > 6)
			goto done;
		size_t k = 0;
		while (k < groups && strcmp(g[k].relation, relation) != 0)
			k++;
		if (k == groups) {
			size_t rank = RELATION_KNOWN + k;
			for (size_t r = 0; r < RELATION_KNOWN; r++)
				if (!strcmp(relation_order[r], relation))
					rank = r;
			g[groups++] = (struct relation_group){relation, rank, 0, 0};
		}
		g[k].count++;
		g[k].sum += json_integer_value(score);
	}
	/* Insertion sort by rank: a handful of groups. */
	for (size_t a = 1; a < groups; a++)
		for (size_t b = a; b > 0 && g[b - 1].rank > g[b].rank; b--) {
			struct relation_group t = g[b];
			g[b] = g[b - 1];
			g[b - 1] = t;
		}
	json_t *arr = json_array();
	if (!arr)
		goto done;
	for (size_t k = 0; k < groups; k++) {
		int64_t tenths;
		json_t *o;
		if (decimal_muldiv(g[k].sum, 10, g[k].count, &tenths) != DECIMAL_OK ||
		    !(o = json_pack("{s:s,s:I,s:f}", "relation", g[k].relation, "count", (json_int_t)g[k].count, "mean",
				    (double)tenths / 10.0)) ||
		    json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			goto done;
		}
	}
	out = arr;
done:
	free(g);
	return out;
}
