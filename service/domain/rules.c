/* The scoring rules of SPEC §3.2-§3.4 on raw evidence (see rules.h and migration 0024). */
#include "domain/rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/decimal.h"

static const char *const relations[RULES_RELATIONS] = {"self", "supervisor", "peer", "subordinate", "customer", "hr"};

static bool fail(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return false;
}

enum rules_grading rules_grading_of(const char *name)
{
	if (!strcmp(name, "highest"))
		return RULES_HIGHEST;
	if (!strcmp(name, "latest"))
		return RULES_LATEST;
	if (!strcmp(name, "average"))
		return RULES_AVERAGE;
	return RULES_FIRST;
}

static bool copy_level_n(char dst[RULES_LEVEL_MAX], const char *src, size_t n)
{
	if (n == 0 || n >= RULES_LEVEL_MAX || memchr(src, ':', n) || memchr(src, ',', n))
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

static bool copy_level(char dst[RULES_LEVEL_MAX], const char *src)
{
	return copy_level_n(dst, src, strlen(src));
}

/* ------------------------------------------------------------------ the model */

static bool parse_version(json_t *o, struct rules_version *v, char *err, size_t errlen)
{
	json_t *levels = json_object_get(o, "levels"), *bands = json_object_get(o, "bands");
	json_t *weights = json_object_get(o, "weights"), *from = json_object_get(o, "from");
	json_t *version = json_object_get(o, "version");
	if (!json_is_integer(version) || !json_is_integer(from) || !json_is_array(levels) || !json_is_array(bands) ||
	    !json_is_object(weights))
		return fail(err, errlen, "rules: a version needs version, from, levels, bands and weights");
	v->version = (int)json_integer_value(version);
	v->from = (int64_t)json_integer_value(from);
	for (size_t r = 0; r < RULES_RELATIONS; r++)
		v->weight[r] = 1000000;
	size_t i;
	json_t *e;
	json_array_foreach(levels, i, e)
	{
		json_int_t g = json_integer_value(json_array_get(e, 0)), p = json_integer_value(json_array_get(e, 1));
		const char *lv = json_string_value(json_array_get(e, 2));
		if (json_array_size(e) != 3 || g < 1 || g > RULES_GRADES || p < 1 || p > RULES_ITEMS || !lv ||
		    !copy_level(v->level[g - 1][p - 1], lv))
			return fail(err, errlen, "rules: a required level is malformed");
	}
	json_array_foreach(bands, i, e)
	{
		json_int_t s = json_integer_value(json_array_get(e, 0));
		const char *min = json_string_value(json_array_get(e, 1));
		int64_t m;
		if (json_array_size(e) != 2 || s < 1 || s > 6 || !min ||
		    decimal_parse(min, DECIMAL_SCALE_WEIGHT, &m) != DECIMAL_OK || m < 0 || m > 100000000)
			return fail(err, errlen, "rules: a band threshold is malformed");
		v->band_min[s] = m;
		v->has_band[s] = true;
	}
	for (size_t r = 0; r < RULES_RELATIONS; r++) {
		json_t *w = json_object_get(weights, relations[r]);
		if (!w)
			continue;
		const char *text = json_string_value(w);
		if (!text || strlen(text) >= RULES_WEIGHT_TEXT ||
		    decimal_parse(text, DECIMAL_SCALE_WEIGHT, &v->weight[r]) != DECIMAL_OK || v->weight[r] < 0)
			return fail(err, errlen, "rules: a relation weight is malformed");
		memcpy(v->weight_text[r], text, strlen(text) + 1);
	}
	return true;
}

static int version_cmp(const void *a, const void *b)
{
	const struct rules_version *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->version > y->version) - (x->version < y->version);
}

static bool parse_model(json_t *doc, struct rules_model *out, char *err, size_t errlen)
{
	json_t *versions = json_object_get(doc, "versions"), *grading = json_object_get(doc, "grading");
	if (!json_is_array(versions) || !json_is_array(grading))
		return fail(err, errlen, "rules: versions and grading are required");
	size_t i;
	json_t *v;
	if (json_array_size(versions)) {
		out->versions = calloc(json_array_size(versions), sizeof *out->versions);
		if (!out->versions)
			return fail(err, errlen, "rules: out of memory");
	}
	json_array_foreach(versions, i, v)
	{
		if (!parse_version(v, &out->versions[i], err, errlen))
			return false;
		out->nversions++;
	}
	if (out->nversions > 1)
		qsort(out->versions, out->nversions, sizeof *out->versions, version_cmp);
	json_array_foreach(grading, i, v)
	{
		json_int_t p = json_integer_value(json_array_get(v, 0));
		const char *lv = json_string_value(json_array_get(v, 1)), *g = json_string_value(json_array_get(v, 2));
		if (json_array_size(v) != 3 || p < 1 || p > RULES_ITEMS || !lv || !g ||
		    out->gradings >= RULES_GRADINGS || !copy_level(out->grading[out->gradings].level, lv))
			return fail(err, errlen, "rules: a blueprint grading is malformed");
		out->grading[out->gradings].position = (int)p;
		out->grading[out->gradings].grading = rules_grading_of(g);
		out->gradings++;
	}
	return true;
}

bool rules_model_parse(const char *json, struct rules_model *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	json_error_t jerr;
	json_t *doc = json ? json_loads(json, 0, &jerr) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fail(err, errlen, "rules: not a JSON object");
	}
	bool ok = parse_model(doc, out, err, errlen);
	json_decref(doc);
	if (!ok)
		rules_model_free(out);
	return ok;
}

void rules_model_free(struct rules_model *m)
{
	if (!m)
		return;
	free(m->versions);
	m->versions = NULL;
	m->nversions = 0;
	m->gradings = 0;
}

const struct rules_version *rules_version_at(const struct rules_model *m, int64_t t)
{
	const struct rules_version *v = NULL;
	for (size_t i = 0; i < m->nversions && m->versions[i].from <= t; i++)
		v = &m->versions[i];
	return v;
}

const char *rules_level_of(const struct rules_version *v, int grade, int position)
{
	if (!v || grade < 1 || grade > RULES_GRADES || position < 1 || position > RULES_ITEMS)
		return NULL;
	const char *lv = v->level[grade - 1][position - 1];
	return *lv ? lv : NULL;
}

enum rules_grading rules_grading_at(const struct rules_model *m, int position, const char *level)
{
	for (size_t i = 0; i < m->gradings; i++)
		if (m->grading[i].position == position && !strcmp(m->grading[i].level, level))
			return m->grading[i].grading;
	return RULES_HIGHEST;
}

/* ------------------------------------------------------------------ packed evidence */

/* One entry of a packed list ("f1:f2:...,f1:f2:...,..."), read field by field in one pass: p is the
 * next field, NULL once the last one was read, when *list has moved past the entry. */
struct fields {
	const char **list;
	const char *p;
};

static bool next_entry(const char **list, struct fields *f)
{
	if (!*list || !**list)
		return false;
	f->list = list;
	f->p = *list;
	return true;
}

/* Moves past the field that ends at q (':' another follows; ',' or the end: the entry's last). */
static void field_end(struct fields *f, const char *q)
{
	if (*q == ':') {
		f->p = q + 1;
	} else {
		f->p = NULL;
		*f->list = *q ? q + 1 : q;
	}
}

static bool next_field(struct fields *f, const char **s, size_t *n)
{
	if (!f->p)
		return false;
	const char *q = f->p;
	while (*q && *q != ':' && *q != ',')
		q++;
	*s = f->p;
	*n = (size_t)(q - f->p);
	field_end(f, q);
	return true;
}

static bool field_done(const struct fields *f)
{
	return f->p == NULL;
}

/* An integer field of at most 18 digits, with an optional '-'. */
static bool field_int(struct fields *f, int64_t *out)
{
	if (!f->p)
		return false;
	const char *q = f->p;
	bool neg = *q == '-';
	if (neg)
		q++;
	const char *digits = q;
	int64_t v = 0;
	while (*q >= '0' && *q <= '9' && q - digits < 18)
		v = v * 10 + (*q++ - '0');
	if (q == digits || (*q && *q != ':' && *q != ','))
		return false;
	field_end(f, q);
	*out = neg ? -v : v;
	return true;
}

static bool field_range(struct fields *f, int64_t lo, int64_t hi, int *out)
{
	int64_t v;
	if (!field_int(f, &v) || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static bool field_decimal(struct fields *f, unsigned scale, int64_t *out, bool *has)
{
	const char *s;
	size_t n;
	if (!next_field(f, &s, &n))
		return false;
	*has = n > 0;
	return n == 0 || decimal_parse_n(s, n, scale, out) == DECIMAL_OK;
}

/* A level field; empty gives "" when allow_empty. */
static bool field_level(struct fields *f, char dst[RULES_LEVEL_MAX], bool allow_empty)
{
	const char *s;
	size_t n;
	if (!next_field(f, &s, &n))
		return false;
	if (n == 0) {
		dst[0] = '\0';
		return allow_empty;
	}
	return copy_level_n(dst, s, n);
}

static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t want = *cap ? 2 * *cap : 32;
	void *p = realloc(*arr, want * size);
	if (!p)
		return false;
	*arr = p;
	*cap = want;
	return true;
}

bool rules_evidence_parse(struct rules_evidence *ev, const char *grades, const char *exam, const char *ratings)
{
	struct fields f;
	ev->ngrades = ev->nattempts = ev->nratings = 0;
	while (next_entry(&grades, &f)) {
		if (!grow((void **)&ev->grades, &ev->cap_grades, ev->ngrades, sizeof *ev->grades))
			return false;
		struct rules_grade *g = &ev->grades[ev->ngrades];
		if (!field_int(&f, &g->from) || !field_range(&f, 1, RULES_GRADES, &g->grade) || !field_done(&f))
			return false;
		ev->ngrades++;
	}
	while (next_entry(&exam, &f)) {
		if (!grow((void **)&ev->attempts, &ev->cap_attempts, ev->nattempts, sizeof *ev->attempts))
			return false;
		struct rules_attempt *a = &ev->attempts[ev->nattempts];
		int64_t band = 0;
		if (!field_range(&f, 1, RULES_ITEMS, &a->position) || !field_level(&f, a->level, false) ||
		    !field_int(&f, &a->started) || !field_int(&f, &a->id) ||
		    !field_decimal(&f, DECIMAL_SCALE_CENTS, &a->score, &a->has_score) ||
		    !field_decimal(&f, 0, &band, &a->has_band) || !field_done(&f) ||
		    (a->has_band && (band < 0 || band > 6)) || (a->has_score && (a->score < 0 || a->score > 10000)))
			return false;
		a->band = (int)band;
		ev->nattempts++;
	}
	while (next_entry(&ratings, &f)) {
		if (!grow((void **)&ev->ratings, &ev->cap_ratings, ev->nratings, sizeof *ev->ratings))
			return false;
		struct rules_rating *r = &ev->ratings[ev->nratings];
		if (!field_range(&f, 1, RULES_ITEMS, &r->position) || !field_int(&f, &r->rater) ||
		    !field_range(&f, 0, RULES_RELATIONS - 1, &r->relation) || !field_level(&f, r->rated_level, true) ||
		    !field_int(&f, &r->rated_at) || !field_int(&f, &r->id) || !field_range(&f, 0, 6, &r->score) ||
		    !field_done(&f))
			return false;
		ev->nratings++;
	}
	return true;
}

void rules_evidence_free(struct rules_evidence *ev)
{
	if (!ev)
		return;
	free(ev->grades);
	free(ev->attempts);
	free(ev->ratings);
	memset(ev, 0, sizeof *ev);
}

int rules_grade_at(const struct rules_evidence *ev, int64_t t)
{
	if (ev->ngrades == 0)
		return 0;
	int grade = 0;
	for (size_t i = 0; i < ev->ngrades; i++)
		if (ev->grades[i].from <= t)
			grade = ev->grades[i].grade; /* in (effective_from, id) order: the last one at or before t */
	return grade ? grade : ev->grades[0].grade;
}

/* ------------------------------------------------------------------ exam items (§3.2) */

/* true when a counts before b under the grading (the first in this order is the one that counts):
 * highest by score (a NULL score last), latest by started_at descending, first by started_at; then
 * the earlier started_at, then the lower id. */
static bool attempt_before(enum rules_grading g, const struct rules_attempt *a, const struct rules_attempt *b)
{
	if (g == RULES_HIGHEST && a->has_score != b->has_score)
		return a->has_score;
	if (g == RULES_HIGHEST && a->has_score && a->score != b->score)
		return a->score > b->score;
	if (g == RULES_LATEST && a->started != b->started)
		return a->started > b->started;
	if (a->started != b->started)
		return a->started < b->started;
	return a->id < b->id;
}

/* The band of an averaged score (hundredths) in version v: the highest band whose threshold the
 * score rounded half-up to a whole number reaches; 0 when none does. */
static int average_band(const struct rules_version *v, int64_t cents)
{
	int64_t whole;
	if (decimal_muldiv(cents, 1, 100, &whole) != DECIMAL_OK)
		return 0;
	for (int s = 6; s >= 1; s--)
		if (v->has_band[s] && v->band_min[s] <= whole * 1000000)
			return s;
	return 0;
}

static bool exam_item(const struct rules_model *m, const struct rules_version *v, const struct rules_evidence *ev,
		      int position, const char *level, struct rules_item *out, bool *attempt_used)
{
	enum rules_grading g = rules_grading_at(m, position, level);
	const struct rules_attempt *best = NULL;
	size_t best_k = 0, count = 0;
	int64_t sum = 0, scored = 0;
	for (size_t k = 0; k < ev->nattempts; k++) {
		const struct rules_attempt *a = &ev->attempts[k];
		if (a->position != position || strcmp(a->level, level) != 0)
			continue; /* attempts at another level never count */
		count++;
		if (g == RULES_AVERAGE) {
			if (a->has_score) {
				if (decimal_add(sum, a->score, &sum) != DECIMAL_OK)
					return false;
				scored++;
			}
			if (attempt_used)
				attempt_used[k] = true;
		} else if (!best || attempt_before(g, a, best)) {
			best = a;
			best_k = k;
		}
	}
	if (count == 0)
		return true;
	if (g == RULES_AVERAGE) {
		/* The mean of the scores, rounded half-up to 2 decimals, banded in the version at T; the
		 * mean of no scores reaches no band (0). */
		int64_t mean = 0;
		if (scored && decimal_muldiv(sum, 1, scored, &mean) != DECIMAL_OK)
			return false;
		out->has_score = scored > 0;
		out->score = mean;
		out->value = profile_exam_value(scored ? average_band(v, mean) : 0);
		out->used = count;
		return true;
	}
	out->has_score = best->has_score;
	out->score = best->score;
	if (best->has_band)
		out->value = profile_exam_value(best->band);
	out->used = 1;
	if (attempt_used)
		attempt_used[best_k] = true;
	return true;
}

/* ------------------------------------------------------------------ behaviour items (§3.3) */

/* A rating as the latest-per-rater selection sorts it. */
struct rating_key {
	int64_t group, rater, rated_at, id;
	size_t k;
};

/* By group and rater, then the latest first (by rated_at, then id). */
static int rating_key_cmp(const void *a, const void *b)
{
	const struct rating_key *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->rater != y->rater)
		return x->rater < y->rater ? -1 : 1;
	if (x->rated_at != y->rated_at)
		return x->rated_at > y->rated_at ? -1 : 1;
	return (x->id < y->id) - (x->id > y->id);
}

bool rules_latest_per_rater(const struct rules_rated *r, size_t n, int64_t t, bool *keep)
{
	struct rating_key small[128], *keys = small;
	size_t m = 0;
	if (n)
		memset(keep, 0, n * sizeof *keep);
	if (n > sizeof small / sizeof small[0] && !(keys = malloc(n * sizeof *keys)))
		return false;
	for (size_t k = 0; k < n; k++)
		if (r[k].rated_at <= t)
			keys[m++] = (struct rating_key){r[k].group, r[k].rater, r[k].rated_at, r[k].id, k};
	/* Evidence packed in this order (examd_behaviour_evidence_repack) needs no sort. */
	size_t sorted = 1;
	while (sorted < m && rating_key_cmp(&keys[sorted - 1], &keys[sorted]) <= 0)
		sorted++;
	if (sorted < m)
		qsort(keys, m, sizeof *keys, rating_key_cmp);
	for (size_t i = 0; i < m; i++)
		if (!i || keys[i].group != keys[i - 1].group || keys[i].rater != keys[i - 1].rater)
			keep[keys[i].k] = true;
	if (keys != small)
		free(keys);
	return true;
}

/* The level a rating was made against: its own, else the level required of the employee at
 * rated_at (the grade held then, in the version in force then); NULL when none. */
static const char *rated_level_of(const struct rules_model *m, const struct rules_evidence *ev,
				  const struct rules_rating *r)
{
	if (*r->rated_level)
		return r->rated_level;
	int grade = rules_grade_at(ev, r->rated_at);
	return rules_level_of(rules_version_at(m, r->rated_at), grade, r->position);
}

/* Per behaviour item: the sums of the kept ratings. */
struct beh_acc {
	int64_t ws, wt, ssum, n;
};

/* Each rater's latest rating as of t per item, kept when it was made against the level required at
 * T, weighted by the relation weights of the version at T. */
static bool behaviour_pass(const struct rules_model *m, const struct rules_version *v, const struct rules_evidence *ev,
			   int64_t t, struct rules_item item[RULES_ITEMS], struct beh_acc acc[RULES_ITEMS],
			   int64_t *rating_weight, const char **rating_weight_text)
{
	struct rules_rated small[128], *rated = small;
	bool small_keep[128], *keep = small_keep;
	size_t n = ev->nratings;
	if (n > sizeof small / sizeof small[0] &&
	    (!(rated = malloc(n * sizeof *rated)) || !(keep = malloc(n * sizeof *keep)))) {
		if (rated != small)
			free(rated);
		return false;
	}
	for (size_t k = 0; k < n; k++)
		rated[k] = (struct rules_rated){ev->ratings[k].position, ev->ratings[k].rater, ev->ratings[k].rated_at,
						ev->ratings[k].id};
	bool ok = n == 0 || rules_latest_per_rater(rated, n, t, keep);
	for (size_t k = 0; k < n && ok; k++) {
		const struct rules_rating *r = &ev->ratings[k];
		if (!keep[k] || !item[r->position - 1].level)
			continue;
		struct beh_acc *a = &acc[r->position - 1];
		const char *lv = rated_level_of(m, ev, r);
		if (!lv || strcmp(lv, item[r->position - 1].level) != 0)
			continue;
		int64_t w = v->weight[r->relation], x;
		ok = decimal_muldiv(w, r->score, 1, &x) == DECIMAL_OK && decimal_add(a->ws, x, &a->ws) == DECIMAL_OK &&
		     decimal_add(a->wt, w, &a->wt) == DECIMAL_OK;
		a->ssum += r->score;
		a->n++;
		if (rating_weight)
			rating_weight[k] = w;
		if (rating_weight_text)
			rating_weight_text[k] = *v->weight_text[r->relation] ? v->weight_text[r->relation] : NULL;
	}
	if (rated != small) {
		free(rated);
		free(keep);
	}
	return ok;
}

bool rules_evaluate(const struct rules_model *m, const struct catalog *cat, const struct rules_evidence *ev, int64_t t,
		    int as_grade, struct rules_result *out, bool *attempt_used, int64_t *rating_weight,
		    const char **rating_weight_text)
{
	memset(out, 0, sizeof *out);
	if (attempt_used)
		memset(attempt_used, 0, ev->nattempts * sizeof *attempt_used);
	for (size_t k = 0; rating_weight && k < ev->nratings; k++)
		rating_weight[k] = -1;
	if (rating_weight_text)
		memset(rating_weight_text, 0, ev->nratings * sizeof *rating_weight_text);
	out->grade = rules_grade_at(ev, t);
	out->version = rules_version_at(m, t);
	int grade = as_grade == RULES_HELD ? out->grade : as_grade;
	bool exam[RULES_ITEMS];
	for (int i = 0; i < RULES_ITEMS; i++) {
		const struct catalog_item *ci = catalog_item_at(cat, (size_t)i);
		exam[i] = ci && ci->assessment == CATALOG_ASSESS_EXAM;
		/* No level required: no evidence counts. */
		out->item[i].level = ci ? rules_level_of(out->version, grade, i + 1) : NULL;
		if (out->item[i].level && exam[i] &&
		    !exam_item(m, out->version, ev, i + 1, out->item[i].level, &out->item[i], attempt_used))
			return false;
	}
	struct rules_item beh[RULES_ITEMS];
	struct beh_acc acc[RULES_ITEMS];
	memset(acc, 0, sizeof acc);
	for (int i = 0; i < RULES_ITEMS; i++)
		beh[i].level = exam[i] ? NULL : out->item[i].level;
	if (!behaviour_pass(m, out->version, ev, t, beh, acc, rating_weight, rating_weight_text))
		return false;
	for (int i = 0; i < RULES_ITEMS; i++) {
		if (!beh[i].level)
			continue;
		out->item[i].used = (size_t)acc[i].n;
		/* Weighted mean half-up to 1 decimal; equal weights when the kept weights sum to 0. */
		if (!profile_behaviour_scaled(acc[i].ws, acc[i].wt, acc[i].ssum, acc[i].n, &out->item[i].value))
			return false;
	}
	return true;
}

bool rules_values(const struct rules_model *m, const struct catalog *cat, int64_t t, int as_grade,
		  struct rules_evidence *ev, const char *grades, const char *exam, const char *ratings,
		  struct profile_value out[RULES_ITEMS], int *grade_out)
{
	struct rules_result res;
	if (!rules_evidence_parse(ev, grades, exam, ratings) ||
	    !rules_evaluate(m, cat, ev, t, as_grade, &res, NULL, NULL, NULL))
		return false;
	for (int i = 0; i < RULES_ITEMS; i++)
		out[i] = res.item[i].value;
	if (grade_out)
		*grade_out = res.grade;
	return true;
}

/* ------------------------------------------------------------------ now */

int rules_grade_packed_at(const char *packed, int64_t t)
{
	struct rules_evidence ev = {0};
	int grade = rules_evidence_parse(&ev, packed, NULL, NULL) ? rules_grade_at(&ev, t) : -1;
	rules_evidence_free(&ev);
	return grade;
}

int rules_grade_packed_with(const char *packed, int64_t from, int grade, int64_t t)
{
	struct rules_evidence ev = {0};
	int held = -1;
	if (rules_evidence_parse(&ev, packed, NULL, NULL) &&
	    grow((void **)&ev.grades, &ev.cap_grades, ev.ngrades, sizeof *ev.grades)) {
		size_t at = ev.ngrades;
		while (at > 0 && ev.grades[at - 1].from > from)
			at--;
		memmove(&ev.grades[at + 1], &ev.grades[at], (ev.ngrades - at) * sizeof *ev.grades);
		ev.grades[at] = (struct rules_grade){from, grade};
		ev.ngrades++;
		held = rules_grade_at(&ev, t);
	}
	rules_evidence_free(&ev);
	return held;
}

json_t *rules_grade_levels_json(const struct rules_version *v, const struct catalog *cat, int grade)
{
	json_t *levels = json_object();
	for (int pos = 1; levels && pos <= RULES_ITEMS; pos++) {
		const struct catalog_item *ci = catalog_item_at(cat, (size_t)(pos - 1));
		const char *lv = rules_level_of(v, grade, pos);
		if (ci && lv && json_object_set_new(levels, ci->code, json_string(lv)) < 0) {
			json_decref(levels);
			return NULL;
		}
	}
	return levels;
}
