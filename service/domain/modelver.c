/* Model versions: validation of a POST /api/v1/model/versions body (SPEC §2.1,
 * §4.2). Numbers leave as exact decimal strings so no double reaches the database. */
#include "domain/modelver.h"

#include "core/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/decimal.h"

#define GRADE_COUNT 4

/* model_relations, in position order. */
static const char *const relations[MODELVER_RELATION_COUNT] = {"self",        "supervisor", "peer",
							       "subordinate", "customer",   "hr"};

struct ctx {
	const struct catalog *cat;
	char *msg;
	size_t msglen;
};

__attribute__((format(printf, 3, 4))) static enum modelver_status fail(struct ctx *c, enum modelver_status st,
								       const char *fmt, ...)
{
	if (c->msg && c->msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg, c->msglen, fmt, ap);
		va_end(ap);
	}
	return st;
}

static enum modelver_status nomem(struct ctx *c)
{
	return fail(c, MODELVER_INVALID, "out of memory");
}

/* Unknown members are a 400: a misspelt override must not pass silently. */
static enum modelver_status only_fields(struct ctx *c, json_t *obj, const char *path, const char *const *fields,
					size_t n)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = !strcmp(key, fields[i]);
		if (!known)
			return *path ? fail(c, MODELVER_BAD_FIELD, "unknown field %s.%s", path, key)
				     : fail(c, MODELVER_BAD_FIELD, "unknown field \"%s\"", key);
	}
	return MODELVER_OK;
}

/* A required text member of obj. *out is always set: the text, or NULL when the member is missing or
 * not text (fail() is variadic and not inlined, so a caller cannot see that it never returns OK). */
static enum modelver_status text_field(struct ctx *c, json_t *obj, const char *path, const char *name, const char **out)
{
	json_t *v = json_object_get(obj, name);
	*out = NULL;
	if (!v || json_is_null(v))
		return fail(c, MODELVER_BAD_FIELD, "%s.%s is required", path, name);
	if (!json_is_string(v))
		return fail(c, MODELVER_BAD_FIELD, "%s.%s must be text", path, name);
	*out = json_string_value(v);
	return MODELVER_OK;
}

/* A JSON number >= 0 with at most 6 decimals, as millionths. jansson hands
 * reals over as doubles: "%.6f" is exact for every value with <= 6 decimals
 * up to MODELVER_WEIGHT_MAX (13 significant digits), and reading it back
 * gives the same double only if nothing was dropped. */
static enum modelver_status weight_parse(struct ctx *c, json_t *v, const char *path, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0)
			return fail(c, MODELVER_INVALID, "%s must be at least 0", path);
		if (n > MODELVER_WEIGHT_MAX)
			return fail(c, MODELVER_INVALID, "%s must be at most %d", path, MODELVER_WEIGHT_MAX);
		*out = (int64_t)n * decimal_pow10(MODELVER_WEIGHT_DECIMALS);
		return MODELVER_OK;
	}
	if (!json_is_real(v))
		return fail(c, MODELVER_BAD_FIELD, "%s must be a number", path);
	double d = json_real_value(v);
	if (!isfinite(d) || d < 0)
		return fail(c, MODELVER_INVALID, "%s must be at least 0", path);
	if (d > MODELVER_WEIGHT_MAX)
		return fail(c, MODELVER_INVALID, "%s must be at most %d", path, MODELVER_WEIGHT_MAX);
	char buf[48];
	snprintf(buf, sizeof buf, "%.*f", MODELVER_WEIGHT_DECIMALS, d);
	if (strtod(buf, NULL) != d || decimal_parse(buf, MODELVER_WEIGHT_DECIMALS, out) != DECIMAL_OK)
		return fail(c, MODELVER_INVALID, "%s must have at most %d decimals", path, MODELVER_WEIGHT_DECIMALS);
	return MODELVER_OK;
}

static json_t *weight_json(int64_t v)
{
	char buf[DECIMAL_FORMAT_MAX];
	if (decimal_format_trim(v, MODELVER_WEIGHT_DECIMALS, buf, sizeof buf) != DECIMAL_OK)
		return NULL;
	return json_string(buf);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n ASCII digits; stops at the first non-digit (also a NUL, so
 * a short string never reads past its end). */
static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool modelver_timestamp_valid(const char *s)
{
	int y, mo, d, h, mi, se;
	if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		return false;
	/* Year 0000 has no PostgreSQL equivalent; leap seconds are not accepted. */
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		p += 6;
	} else {
		return false;
	}
	return *p == '\0';
}

/* ---------------------------------------------------------------- required_levels */

static enum modelver_status parse_required_levels(struct ctx *c, json_t *arr, json_t *out)
{
	static const char *const fields[] = {"grade", "item", "level"};
	if (!json_is_array(arr))
		return fail(c, MODELVER_BAD_FIELD, "required_levels must be an array of {grade, item, level}");
	size_t ni = catalog_item_count(c->cat);
	/* [grade - 1][item position]: the level, for duplicates and the output order. */
	const struct catalog_level **table = calloc(GRADE_COUNT * ni + 1, sizeof *table);
	if (!table)
		return nomem(c);
	enum modelver_status st = MODELVER_OK;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		char path[48];
		snprintf(path, sizeof path, "required_levels[%zu]", i);
		if (!json_is_object(e)) {
			st = fail(c, MODELVER_BAD_FIELD, "%s must be an object {grade, item, level}", path);
			goto done;
		}
		if ((st = only_fields(c, e, path, fields, 3)) != MODELVER_OK)
			goto done;
		json_t *g = json_object_get(e, "grade");
		if (!g || json_is_null(g)) {
			st = fail(c, MODELVER_BAD_FIELD, "%s.grade is required", path);
			goto done;
		}
		if (!json_is_integer(g) || json_integer_value(g) < 1 || json_integer_value(g) > GRADE_COUNT) {
			st = fail(c, MODELVER_BAD_FIELD, "%s.grade must be a whole number from 1 to %d", path,
				  GRADE_COUNT);
			goto done;
		}
		int grade = (int)json_integer_value(g);
		const char *is, *ls;
		if ((st = text_field(c, e, path, "item", &is)) != MODELVER_OK ||
		    (st = text_field(c, e, path, "level", &ls)) != MODELVER_OK)
			goto done;
		const struct catalog_item *item = catalog_item_find(c->cat, is);
		if (!item) {
			st = fail(c, MODELVER_BAD_FIELD, "%s.item \"%s\" is not an item", path, is);
			goto done;
		}
		const struct catalog_level *level = catalog_level_find(c->cat, ls);
		if (!level) {
			st = fail(c, MODELVER_BAD_FIELD, "%s.level \"%s\" is not a level", path, ls);
			goto done;
		}
		const struct catalog_level **slot = &table[(size_t)(grade - 1) * ni + item->position];
		if (*slot) {
			st = fail(c, MODELVER_INVALID, "%s: grade %d, item %s is given twice", path, grade, item->code);
			goto done;
		}
		*slot = level;
	}
	for (int g = GRADE_COUNT; g >= 1; g--)
		for (size_t p = 0; p < ni; p++) {
			const struct catalog_level *level = table[(size_t)(g - 1) * ni + p];
			if (level && json_array_append_new(out, json_pack("{s:i, s:s, s:s}", "grade", g, "item",
									  catalog_item_at(c->cat, p)->code, "level",
									  level->code))) {
				st = nomem(c);
				goto done;
			}
		}
done:
	free(table);
	return st;
}

/* ---------------------------------------------------------------- subtopic_weights */

/* The weights of one (item, level): every subtopic of item once, sum > 0.
 * *out holds them by subtopic code in model order. */
static enum modelver_status parse_weights(struct ctx *c, json_t *w, const char *path, const struct catalog_item *item,
					  json_t **out)
{
	*out = NULL;
	if (!w || json_is_null(w))
		return fail(c, MODELVER_BAD_FIELD, "%s.weights is required", path);
	if (!json_is_object(w))
		return fail(c, MODELVER_BAD_FIELD, "%s.weights must be an object {subtopic: number}", path);
	size_t n = item->subtopic_count;
	int64_t *vals = calloc(n + 1, sizeof *vals);
	bool *seen = calloc(n + 1, sizeof *seen);
	enum modelver_status st = MODELVER_OK;
	json_t *obj = NULL;
	if (!vals || !seen) {
		st = nomem(c);
		goto done;
	}
	const char *key;
	json_t *v;
	json_object_foreach(w, key, v)
	{
		char wpath[160];
		snprintf(wpath, sizeof wpath, "%s.weights.%s", path, key);
		if (!json_is_number(v)) {
			st = fail(c, MODELVER_BAD_FIELD, "%s must be a number", wpath);
			goto done;
		}
		const struct catalog_subtopic *sub = catalog_subtopic_find(c->cat, item, key);
		if (!sub) {
			st = fail(c, MODELVER_INVALID, "%s: \"%s\" is not a subtopic of %s", wpath, key, item->code);
			goto done;
		}
		if (seen[sub->position]) { /* its code and its Chinese name */
			st = fail(c, MODELVER_INVALID, "%s: subtopic %s is given twice", wpath, sub->code);
			goto done;
		}
		seen[sub->position] = true;
		if ((st = weight_parse(c, v, wpath, &vals[sub->position])) != MODELVER_OK)
			goto done;
	}
	int64_t sum = 0;
	for (size_t k = 0; k < n; k++) {
		if (!seen[k]) {
			st = fail(c, MODELVER_INVALID,
				  "%s.weights lacks subtopic %s (every subtopic of %s needs a weight)", path,
				  catalog_item_subtopic(c->cat, item, k)->code, item->code);
			goto done;
		}
		sum += vals[k]; /* n × 10^12 at most: no overflow */
	}
	if (sum <= 0) {
		st = fail(c, MODELVER_INVALID, "%s.weights must not all be 0", path);
		goto done;
	}
	if (!(obj = json_object())) {
		st = nomem(c);
		goto done;
	}
	for (size_t k = 0; k < n; k++)
		if (json_object_set_new(obj, catalog_item_subtopic(c->cat, item, k)->code, weight_json(vals[k]))) {
			st = nomem(c);
			goto done;
		}
	*out = obj;
	obj = NULL;
done:
	json_decref(obj);
	free(vals);
	free(seen);
	return st;
}

static enum modelver_status parse_subtopic_weights(struct ctx *c, json_t *arr, json_t *out)
{
	static const char *const fields[] = {"item", "level", "weights"};
	if (!json_is_array(arr))
		return fail(c, MODELVER_BAD_FIELD, "subtopic_weights must be an array of {item, level, weights}");
	size_t ni = catalog_item_count(c->cat), nl = catalog_level_count(c->cat);
	/* [item position][level rank]: the normalised weights. */
	json_t **table = calloc(ni * nl + 1, sizeof *table);
	if (!table)
		return nomem(c);
	enum modelver_status st = MODELVER_OK;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		char path[48];
		snprintf(path, sizeof path, "subtopic_weights[%zu]", i);
		if (!json_is_object(e)) {
			st = fail(c, MODELVER_BAD_FIELD, "%s must be an object {item, level, weights}", path);
			goto done;
		}
		const char *is, *ls;
		if ((st = only_fields(c, e, path, fields, 3)) != MODELVER_OK ||
		    (st = text_field(c, e, path, "item", &is)) != MODELVER_OK ||
		    (st = text_field(c, e, path, "level", &ls)) != MODELVER_OK)
			goto done;
		const struct catalog_item *item = catalog_item_find(c->cat, is);
		if (!item) {
			st = fail(c, MODELVER_BAD_FIELD, "%s.item \"%s\" is not an item", path, is);
			goto done;
		}
		const struct catalog_level *level = catalog_level_find(c->cat, ls);
		if (!level) {
			st = fail(c, MODELVER_BAD_FIELD, "%s.level \"%s\" is not a level", path, ls);
			goto done;
		}
		if (item->assessment != CATALOG_ASSESS_EXAM) {
			st = fail(c, MODELVER_INVALID, "%s.item %s is not an exam item", path, item->code);
			goto done;
		}
		json_t **slot = &table[item->position * nl + (size_t)level->rank];
		if (*slot) {
			st = fail(c, MODELVER_INVALID, "%s: item %s, level %s is given twice", path, item->code,
				  level->code);
			goto done;
		}
		if ((st = parse_weights(c, json_object_get(e, "weights"), path, item, slot)) != MODELVER_OK)
			goto done;
	}
	for (size_t p = 0; p < ni; p++)
		for (size_t r = 0; r < nl; r++) {
			json_t *w = table[p * nl + r];
			if (!w)
				continue;
			table[p * nl + r] = NULL; /* the pack takes it */
			if (json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "item",
								 catalog_item_at(c->cat, p)->code, "level",
								 catalog_level_at(c->cat, r)->code, "weights", w))) {
				st = nomem(c);
				goto done;
			}
		}
done:
	for (size_t k = 0; k < ni * nl; k++)
		json_decref(table[k]);
	free(table);
	return st;
}

/* ---------------------------------------------------------------- exam_bands */

static enum modelver_status parse_exam_bands(struct ctx *c, json_t *arr, json_t **out)
{
	static const char *const fields[] = {"score", "min"};
	*out = NULL;
	if (!json_is_array(arr))
		return fail(c, MODELVER_BAD_FIELD, "exam_bands must be an array of {score, min}");
	int mins[MODELVER_BAND_COUNT + 1] = {0};
	bool seen[MODELVER_BAND_COUNT + 1] = {false};
	enum modelver_status st;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		char path[48];
		snprintf(path, sizeof path, "exam_bands[%zu]", i);
		if (!json_is_object(e))
			return fail(c, MODELVER_BAD_FIELD, "%s must be an object {score, min}", path);
		if ((st = only_fields(c, e, path, fields, 2)) != MODELVER_OK)
			return st;
		json_t *s = json_object_get(e, "score"), *m = json_object_get(e, "min");
		if (!s || json_is_null(s))
			return fail(c, MODELVER_BAD_FIELD, "%s.score is required", path);
		if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > MODELVER_BAND_COUNT)
			return fail(c, MODELVER_BAD_FIELD, "%s.score must be a whole number from 1 to %d", path,
				    MODELVER_BAND_COUNT);
		if (!m || json_is_null(m))
			return fail(c, MODELVER_BAD_FIELD, "%s.min is required", path);
		if (!json_is_number(m))
			return fail(c, MODELVER_BAD_FIELD, "%s.min must be a number", path);
		int score = (int)json_integer_value(s);
		if (seen[score])
			return fail(c, MODELVER_INVALID, "%s: score %d is given twice", path, score);
		/* 71.0 is a whole number; 70.5 is not. */
		double d = json_number_value(m);
		if (json_is_real(m) && (!isfinite(d) || d != floor(d)))
			return fail(c, MODELVER_INVALID, "%s.min must be a whole number", path);
		if (json_is_integer(m) ? (json_integer_value(m) < 0 || json_integer_value(m) > 100)
				       : (d < 0 || d > 100))
			return fail(c, MODELVER_INVALID, "%s.min must be from 0 to 100", path);
		seen[score] = true;
		mins[score] = json_is_integer(m) ? (int)json_integer_value(m) : (int)d;
	}
	for (int s = 1; s <= MODELVER_BAND_COUNT; s++)
		if (!seen[s])
			return fail(c, MODELVER_INVALID, "exam_bands lacks score %d (give exactly the scores 1 to %d)",
				    s, MODELVER_BAND_COUNT);
	if (mins[1] != 0)
		return fail(c, MODELVER_INVALID, "exam_bands: the min of score 1 must be 0");
	for (int s = 2; s <= MODELVER_BAND_COUNT; s++)
		if (mins[s] <= mins[s - 1])
			return fail(c, MODELVER_INVALID,
				    "exam_bands: the min of score %d (%d) must be above that of score %d (%d)", s,
				    mins[s], s - 1, mins[s - 1]);
	json_t *bands = json_array();
	if (!bands)
		return nomem(c);
	for (int s = MODELVER_BAND_COUNT; s >= 1; s--) {
		char buf[16];
		snprintf(buf, sizeof buf, "%d", mins[s]);
		if (json_array_append_new(bands, json_pack("{s:i, s:s}", "score", s, "min", buf))) {
			json_decref(bands);
			return nomem(c);
		}
	}
	*out = bands;
	return MODELVER_OK;
}

/* ---------------------------------------------------------------- rater_weights */

/* Some relations may be left out: the database keeps their previous weights. */
static enum modelver_status parse_rater_weights(struct ctx *c, json_t *obj, json_t **out)
{
	*out = NULL;
	if (!json_is_object(obj))
		return fail(c, MODELVER_BAD_FIELD, "rater_weights must be an object {relation: number}");
	int64_t vals[MODELVER_RELATION_COUNT] = {0};
	bool given[MODELVER_RELATION_COUNT] = {false};
	enum modelver_status st;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		size_t r = 0;
		while (r < MODELVER_RELATION_COUNT && strcmp(key, relations[r]))
			r++;
		if (r == MODELVER_RELATION_COUNT)
			return fail(
				c, MODELVER_BAD_FIELD,
				"rater_weights.%s is not a relation (self, supervisor, peer, subordinate, customer, hr)",
				key);
		char path[64];
		snprintf(path, sizeof path, "rater_weights.%s", relations[r]);
		if ((st = weight_parse(c, v, path, &vals[r])) != MODELVER_OK)
			return st;
		given[r] = true;
	}
	if (json_object_size(obj) == 0)
		return MODELVER_OK; /* changes nothing */
	bool all = true, zero = true;
	for (size_t r = 0; r < MODELVER_RELATION_COUNT; r++) {
		all &= given[r];
		zero &= vals[r] == 0;
	}
	if (all && zero)
		return fail(c, MODELVER_INVALID, "rater_weights must not all be 0");
	json_t *res = json_object();
	if (!res)
		return nomem(c);
	for (size_t r = 0; r < MODELVER_RELATION_COUNT; r++)
		if (given[r] && json_object_set_new(res, relations[r], weight_json(vals[r]))) {
			json_decref(res);
			return nomem(c);
		}
	*out = res;
	return MODELVER_OK;
}

/* ---------------------------------------------------------------- the body */

/* An optional member: absent and null are the same. */
static json_t *optional(json_t *body, const char *name)
{
	json_t *v = json_object_get(body, name);
	return json_is_null(v) ? NULL : v;
}

static enum modelver_status parse(const struct catalog *cat, json_t *body, json_t **out, char *msg, size_t msglen)
{
	static const char *const fields[] = {"effective_from",   "note",       "required_levels",
					     "subtopic_weights", "exam_bands", "rater_weights"};
	struct ctx c = {cat, msg, msglen};
	enum modelver_status st;
	json_t *res = NULL, *levels = NULL, *weights = NULL, *bands = NULL, *raters = NULL, *v;
	*out = NULL;
	if (msg && msglen)
		msg[0] = '\0';
	if (!cat)
		return fail(&c, MODELVER_INVALID, "the competency model is not loaded");
	if (!json_is_object(body))
		return fail(&c, MODELVER_BAD_FIELD, "the body must be a JSON object");
	if ((st = only_fields(&c, body, "", fields, sizeof fields / sizeof fields[0])) != MODELVER_OK)
		return st;

	v = json_object_get(body, "note");
	if (!v || json_is_null(v))
		return fail(&c, MODELVER_BAD_FIELD, "note is required");
	if (!json_is_string(v))
		return fail(&c, MODELVER_BAD_FIELD, "note must be text");
	const char *note = json_string_value(v);
	size_t note_len = json_string_length(v), trimmed;
	if (note_len > MODELVER_NOTE_MAX)
		return fail(&c, MODELVER_INVALID, "note must be at most %d bytes", MODELVER_NOTE_MAX);
	if (strlen(note) != note_len) /* PostgreSQL text holds no NUL */
		return fail(&c, MODELVER_INVALID, "note must not contain NUL characters");
	catalog_trim(note, note_len, &trimmed);
	if (trimmed == 0)
		return fail(&c, MODELVER_INVALID, "note must not be empty");

	json_t *eff = optional(body, "effective_from");
	if (eff && !json_is_string(eff))
		return fail(&c, MODELVER_BAD_FIELD, "effective_from must be an RFC 3339 timestamp or null");
	if (eff && (strlen(json_string_value(eff)) != json_string_length(eff) ||
		    !modelver_timestamp_valid(json_string_value(eff))))
		return fail(&c, MODELVER_BAD_FIELD,
			    "effective_from \"%s\" is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.frac] with Z or "
			    "+HH:MM)",
			    json_string_value(eff));

	if (!(levels = json_array()) || !(weights = json_array())) {
		st = nomem(&c);
		goto fail;
	}
	if ((v = optional(body, "required_levels")) && (st = parse_required_levels(&c, v, levels)) != MODELVER_OK)
		goto fail;
	if ((v = optional(body, "subtopic_weights")) && (st = parse_subtopic_weights(&c, v, weights)) != MODELVER_OK)
		goto fail;
	if ((v = optional(body, "exam_bands")) && (st = parse_exam_bands(&c, v, &bands)) != MODELVER_OK)
		goto fail;
	if ((v = optional(body, "rater_weights")) && (st = parse_rater_weights(&c, v, &raters)) != MODELVER_OK)
		goto fail;
	if (!json_array_size(levels) && !json_array_size(weights) && !bands && !raters) {
		st = fail(&c, MODELVER_INVALID,
			  "nothing to change: give required_levels, subtopic_weights, exam_bands or rater_weights");
		goto fail;
	}

	/* A copy: the body stays the caller's. */
	res = json_pack("{s:o, s:s, s:O, s:O}", "effective_from",
			eff ? json_string(json_string_value(eff)) : json_null(), "note", note, "required_levels",
			levels, "subtopic_weights", weights);
	if (!res || (bands && json_object_set(res, "exam_bands", bands)) ||
	    (raters && json_object_set(res, "rater_weights", raters))) {
		st = nomem(&c);
		goto fail;
	}
	*out = res;
	res = NULL;
	st = MODELVER_OK;
fail:
	json_decref(res);
	json_decref(levels);
	json_decref(weights);
	json_decref(bands);
	json_decref(raters);
	return st;
}

enum modelver_status modelver_parse(const struct catalog *cat, json_t *body, json_t **out, char *msg, size_t msglen)
{
	if (msglen)
		msg[0] = '\0';
	enum modelver_status st = parse(cat, body, out, msg, msglen);
	util_utf8_clip(msg); /* a quoted client key may have been cut mid-character */
	return st;
}
