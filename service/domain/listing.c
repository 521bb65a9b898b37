/* The HR listing's per-item rules on packed evidence (see listing.h and migration 0013). */
#include "domain/listing.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "domain/decimal.h"

static const char *const relations[LISTING_RELATIONS] = {"self", "supervisor", "peer", "subordinate", "customer", "hr"};

static bool fail(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return false;
}

enum listing_grading listing_grading_of(const char *name)
{
	if (!strcmp(name, "highest"))
		return LISTING_HIGHEST;
	if (!strcmp(name, "latest"))
		return LISTING_LATEST;
	if (!strcmp(name, "average"))
		return LISTING_AVERAGE;
	return LISTING_FIRST;
}

static bool copy_level(char dst[LISTING_LEVEL_MAX], const char *src)
{
	size_t n = strlen(src);
	if (n == 0 || n >= LISTING_LEVEL_MAX || strpbrk(src, ":,"))
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static bool parse_rules(json_t *doc, struct listing_rules *out, char *err, size_t errlen)
{
	json_t *levels = json_object_get(doc, "levels"), *grading = json_object_get(doc, "grading");
	json_t *bands = json_object_get(doc, "bands"), *weights = json_object_get(doc, "weights");
	if (!json_is_array(levels) || !json_is_array(grading) || !json_is_array(bands) || !json_is_object(weights))
		return fail(err, errlen, "rules: levels, grading, bands and weights are required");
	size_t i;
	json_t *v;
	json_array_foreach(levels, i, v)
	{
		json_int_t g = json_integer_value(json_array_get(v, 0)), p = json_integer_value(json_array_get(v, 1));
		const char *lv = json_string_value(json_array_get(v, 2));
		if (json_array_size(v) != 3 || g < 1 || g > LISTING_GRADES || p < 1 || p > LISTING_ITEMS || !lv ||
		    !copy_level(out->level[g - 1][p - 1], lv))
			return fail(err, errlen, "rules: a required level is malformed");
	}
	json_array_foreach(grading, i, v)
	{
		json_int_t p = json_integer_value(json_array_get(v, 0));
		const char *lv = json_string_value(json_array_get(v, 1)), *g = json_string_value(json_array_get(v, 2));
		if (json_array_size(v) != 3 || p < 1 || p > LISTING_ITEMS || !lv || !g || out->gradings >= LISTING_GRADINGS ||
		    !copy_level(out->grading[out->gradings].level, lv))
			return fail(err, errlen, "rules: a blueprint grading is malformed");
		out->grading[out->gradings].position = (int)p;
		out->grading[out->gradings].grading = listing_grading_of(g);
		out->gradings++;
	}
	json_array_foreach(bands, i, v)
	{
		json_int_t s = json_integer_value(json_array_get(v, 0));
		const char *min = json_string_value(json_array_get(v, 1));
		int64_t m;
		if (json_array_size(v) != 2 || s < 1 || s > 6 || !min || decimal_parse(min, DECIMAL_SCALE_WEIGHT, &m) != DECIMAL_OK ||
		    m < 0 || m > 100000000)
			return fail(err, errlen, "rules: a band threshold is malformed");
		out->band_min[s] = m;
		out->has_band[s] = true;
	}
	for (size_t r = 0; r < LISTING_RELATIONS; r++) {
		json_t *w = json_object_get(weights, relations[r]);
		if (!w)
			continue;
		if (!json_is_string(w) || decimal_parse(json_string_value(w), DECIMAL_SCALE_WEIGHT, &out->weight[r]) != DECIMAL_OK ||
		    out->weight[r] < 0)
			return fail(err, errlen, "rules: a relation weight is malformed");
	}
	return true;
}

bool listing_rules_parse(const char *json, struct listing_rules *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	for (size_t r = 0; r < LISTING_RELATIONS; r++)
		out->weight[r] = 1000000;
	json_error_t jerr;
	json_t *doc = json ? json_loads(json, 0, &jerr) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fail(err, errlen, "rules: not a JSON object");
	}
	bool ok = parse_rules(doc, out, err, errlen);
	json_decref(doc);
	return ok;
}

/* ------------------------------------------------------------------ packed text */

/* One field of a packed entry: [p, end) of the current entry, split at ':'. */
struct fields {
	const char *p, *end;
};

/* The next entry of a ',' separated list; false at the end. */
static bool next_entry(const char **list, struct fields *f)
{
	if (!*list || !**list)
		return false;
	const char *comma = strchr(*list, ',');
	f->p = *list;
	f->end = comma ? comma : *list + strlen(*list);
	*list = comma ? comma + 1 : f->end;
	return true;
}

/* The next field as a span; false past the entry's end. */
static bool next_field(struct fields *f, const char **s, size_t *n)
{
	if (!f->p)
		return false;
	const char *colon = memchr(f->p, ':', (size_t)(f->end - f->p));
	*s = f->p;
	*n = (size_t)((colon ? colon : f->end) - f->p);
	f->p = colon ? colon + 1 : NULL;
	return true;
}

static bool field_done(const struct fields *f) { return f->p == NULL; }

/* A non-negative integer field of at most 18 digits. */
static bool field_int(struct fields *f, int64_t *out)
{
	const char *s;
	size_t n;
	if (!next_field(f, &s, &n) || n == 0 || n > 18)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* A decimal field at scale; empty gives *has = false. */
static bool field_decimal(struct fields *f, unsigned scale, int64_t *out, bool *has)
{
	const char *s;
	size_t n;
	if (!next_field(f, &s, &n))
		return false;
	*has = n > 0;
	return n == 0 || decimal_parse_n(s, n, scale, out) == DECIMAL_OK;
}

static bool field_position(struct fields *f, int *pos)
{
	int64_t p;
	if (!field_int(f, &p) || p < 1 || p > LISTING_ITEMS)
		return false;
	*pos = (int)p;
	return true;
}

static enum listing_grading grading_at(const struct listing_rules *r, int position, const char *level)
{
	for (size_t i = 0; i < r->gradings; i++)
		if (r->grading[i].position == position && !strcmp(r->grading[i].level, level))
			return r->grading[i].grading;
	return LISTING_HIGHEST;
}

/* ------------------------------------------------------------------ exam items (§3.2) */

struct attempt {
	int64_t started, id, score;
	bool has_score, has_band;
	int band;
};

/* true when a counts before b under the grading (the first in this order is the one that counts). */
static bool attempt_before(enum listing_grading g, const struct attempt *a, const struct attempt *b)
{
	if (g == LISTING_HIGHEST && a->has_score != b->has_score)
		return a->has_score; /* a NULL score sorts last */
	if (g == LISTING_HIGHEST && a->has_score && a->score != b->score)
		return a->score > b->score;
	if (g == LISTING_LATEST && a->started != b->started)
		return a->started > b->started;
	if (a->started != b->started)
		return a->started < b->started;
	return a->id < b->id;
}

/* The band of the averaged score: the highest band whose threshold the rounded mean reaches, else 0. */
static int average_band(const struct listing_rules *r, int64_t sum, int64_t count)
{
	int64_t mean, rounded;
	if (count == 0)
		return 0; /* the mean of no scores is NULL, which reaches no threshold */
	if (decimal_muldiv(sum, 1, count, &mean) != DECIMAL_OK || decimal_muldiv(mean, 1, 100, &rounded) != DECIMAL_OK)
		return 0;
	for (int s = 6; s >= 1; s--)
		if (r->has_band[s] && r->band_min[s] <= rounded * 1000000)
			return s;
	return 0;
}

/* Per exam item: the attempt that counts so far, or the running sum for an average. */
struct exam_acc {
	bool found;
	struct attempt best;
	int64_t sum, count;
};

/* One pass over the attempts: each one at its item's required level is graded into acc. */
static bool exam_pass(const struct catalog *cat, const char *level[LISTING_ITEMS],
		      const enum listing_grading grading[LISTING_ITEMS], const char *exam, struct exam_acc acc[LISTING_ITEMS])
{
	struct fields f;
	while (next_entry(&exam, &f)) {
		int pos;
		int64_t band;
		struct attempt a = {0};
		const char *lv;
		size_t lvn;
		if (!field_position(&f, &pos) || !next_field(&f, &lv, &lvn) || !field_int(&f, &a.started) ||
		    !field_int(&f, &a.id) || !field_decimal(&f, DECIMAL_SCALE_CENTS, &a.score, &a.has_score) ||
		    !field_decimal(&f, 0, &band, &a.has_band) || !field_done(&f) || (a.has_band && (band < 0 || band > 6)))
			return false;
		int i = pos - 1;
		const struct catalog_item *it = catalog_item_at(cat, (size_t)i);
		if (a.has_score && (a.score < 0 || a.score > 10000))
			return false; /* standard scores are 0..100 */
		if (!it || it->assessment != CATALOG_ASSESS_EXAM || !*level[i] || lvn != strlen(level[i]) ||
		    memcmp(lv, level[i], lvn) != 0)
			continue;
		a.band = (int)band;
		if (grading[i] == LISTING_AVERAGE) {
			if (a.has_score && decimal_add(acc[i].sum, a.score, &acc[i].sum) != DECIMAL_OK)
				return false;
			acc[i].count += a.has_score;
		} else if (!acc[i].found || attempt_before(grading[i], &a, &acc[i].best)) {
			acc[i].best = a;
		}
		acc[i].found = true;
	}
	return true;
}

/* ------------------------------------------------------------------ behaviour items (§3.3) */

/* One pass over the per-relation summary: each entry kept at its item's required level gives
 * that item's value. */
static bool behaviour_pass(const struct listing_rules *r, const struct catalog *cat, const char *level[LISTING_ITEMS],
			   const char *beh, struct profile_value out[LISTING_ITEMS])
{
	struct fields f;
	while (next_entry(&beh, &f)) {
		int pos;
		const char *lv;
		size_t lvn;
		if (!field_position(&f, &pos) || !next_field(&f, &lv, &lvn))
			return false;
		int64_t ws = 0, wt = 0, ssum = 0, n = 0;
		for (size_t k = 0; k < LISTING_RELATIONS; k++) {
			int64_t cnt, sc, x, y;
			if (!field_int(&f, &cnt) || !field_int(&f, &sc) || cnt > 1000000000 || sc > 6 * cnt)
				return false;
			if (decimal_muldiv(r->weight[k], sc, 1, &x) != DECIMAL_OK ||
			    decimal_muldiv(r->weight[k], cnt, 1, &y) != DECIMAL_OK || decimal_add(ws, x, &ws) != DECIMAL_OK ||
			    decimal_add(wt, y, &wt) != DECIMAL_OK)
				return false;
			n += cnt;
			ssum += sc;
		}
		if (!field_done(&f))
			return false;
		int i = pos - 1;
		const struct catalog_item *it = catalog_item_at(cat, (size_t)i);
		if (!it || it->assessment != CATALOG_ASSESS_BEHAVIOUR || !*level[i] || lvn != strlen(level[i]) ||
		    memcmp(lv, level[i], lvn) != 0)
			continue;
		if (!profile_behaviour_scaled(ws, wt, ssum, n, &out[i]))
			return false;
	}
	return true;
}

/* The same from examd_profile_data's weighted sums (employees rated after T), whose levels are
 * already those required. */
static bool behaviour_weighted_pass(const struct catalog *cat, const char *beh, struct profile_value out[LISTING_ITEMS])
{
	struct fields f;
	while (next_entry(&beh, &f)) {
		int pos;
		int64_t ws, wt, ssum, n;
		bool has_ws, has_wt;
		if (!field_position(&f, &pos) || !field_decimal(&f, DECIMAL_SCALE_WEIGHT, &ws, &has_ws) ||
		    !field_decimal(&f, DECIMAL_SCALE_WEIGHT, &wt, &has_wt) || !field_int(&f, &ssum) || !field_int(&f, &n) ||
		    !field_done(&f) || !has_ws || !has_wt)
			return false;
		const struct catalog_item *it = catalog_item_at(cat, (size_t)(pos - 1));
		if (it && it->assessment == CATALOG_ASSESS_BEHAVIOUR && !profile_behaviour_scaled(ws, wt, ssum, n, &out[pos - 1]))
			return false;
	}
	return true;
}

bool listing_values(const struct listing_rules *rules, const struct catalog *cat, int grade, const char *exam,
		    const char *behaviour, const char *behaviour_weighted, struct profile_value out[LISTING_ITEMS])
{
	const char *level[LISTING_ITEMS];
	enum listing_grading grading[LISTING_ITEMS];
	struct exam_acc acc[LISTING_ITEMS];
	memset(acc, 0, sizeof acc);
	for (int i = 0; i < LISTING_ITEMS; i++) {
		level[i] = grade >= 1 && grade <= LISTING_GRADES ? rules->level[grade - 1][i] : "";
		grading[i] = *level[i] ? grading_at(rules, i + 1, level[i]) : LISTING_HIGHEST;
		out[i] = (struct profile_value){false, 0};
	}
	if (grade < 1 || grade > LISTING_GRADES)
		return true; /* no grade: no level is required, no evidence counts */
	if (!exam_pass(cat, level, grading, exam, acc))
		return false;
	if (behaviour_weighted ? !behaviour_weighted_pass(cat, behaviour_weighted, out)
			       : !behaviour_pass(rules, cat, level, behaviour, out))
		return false;
	for (int i = 0; i < LISTING_ITEMS; i++) {
		if (!acc[i].found)
			continue;
		if (grading[i] == LISTING_AVERAGE)
			out[i] = profile_exam_value(average_band(rules, acc[i].sum, acc[i].count));
		else if (acc[i].best.has_band)
			out[i] = profile_exam_value(acc[i].best.band);
	}
	return true;
}
