/* Exam blueprints: validation of a blueprint body (SPEC §4.3) against the model's codes. */
#include "domain/blueprint.h"

#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char *const gradings[] = {"highest", "latest", "first", "average"};

bool blueprint_grading_valid(const char *s)
{
	for (size_t i = 0; s && i < sizeof gradings / sizeof gradings[0]; i++)
		if (!strcmp(s, gradings[i]))
			return true;
	return false;
}

static bool int_field(json_t *body, const char *name, int def, bool required, int *out, enum blueprint_status *st,
		      char *msg, size_t msglen)
{
	json_t *v = json_object_get(body, name);
	if (!v || json_is_null(v)) {
		if (required) {
			snprintf(msg, msglen, "%s is required", name);
			*st = BLUEPRINT_BAD_FIELD;
			return false;
		}
		*out = def;
		return true;
	}
	if (!json_is_integer(v)) {
		snprintf(msg, msglen, "%s must be a whole number", name);
		*st = BLUEPRINT_BAD_FIELD;
		return false;
	}
	json_int_t n = json_integer_value(v);
	if (n < -1000000000 || n > 1000000000) {
		snprintf(msg, msglen, "%s is out of range", name);
		*st = BLUEPRINT_INVALID;
		return false;
	}
	*out = (int)n;
	return true;
}

static enum blueprint_status parse(const struct catalog *cat, const struct catalog_item *item,
				   const struct catalog_level *level, json_t *body, struct blueprint *out, char *msg,
				   size_t msglen)
{
	static const char *const fields[] = {"time_limit_seconds", "max_attempts", "grading", "draws", "item", "level",
					     "practice_allowed"};
	enum blueprint_status st = BLUEPRINT_OK;
	memset(out, 0, sizeof *out);
	out->item = item;
	out->level = level;
	if (!json_is_object(body)) {
		snprintf(msg, msglen, "the body must be a JSON object");
		return BLUEPRINT_BAD_FIELD;
	}
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
			known |= !strcmp(key, fields[i]);
		if (!known) {
			snprintf(msg, msglen, "unknown field \"%s\"", key);
			return BLUEPRINT_BAD_FIELD;
		}
	}
	/* "item" and "level" may repeat the path, but not contradict it. */
	json_t *bi = json_object_get(body, "item"), *bl = json_object_get(body, "level");
	if ((bi && !json_is_string(bi)) || (bl && !json_is_string(bl))) {
		snprintf(msg, msglen, "item and level must be text");
		return BLUEPRINT_BAD_FIELD;
	}
	if ((bi && catalog_item_find(cat, json_string_value(bi)) != item) ||
	    (bl && catalog_level_find(cat, json_string_value(bl)) != level)) {
		snprintf(msg, msglen, "item and level in the body must match the path");
		return BLUEPRINT_INVALID;
	}
	if (!int_field(body, "time_limit_seconds", 0, true, &out->time_limit_seconds, &st, msg, msglen) ||
	    !int_field(body, "max_attempts", 3, false, &out->max_attempts, &st, msg, msglen))
		return st;
	if (out->time_limit_seconds < BLUEPRINT_MIN_SECONDS || out->time_limit_seconds > BLUEPRINT_MAX_SECONDS) {
		snprintf(msg, msglen, "time_limit_seconds must be between %d and %d", BLUEPRINT_MIN_SECONDS,
			 BLUEPRINT_MAX_SECONDS);
		return BLUEPRINT_INVALID;
	}
	if (out->max_attempts < 1 || out->max_attempts > BLUEPRINT_MAX_ATTEMPTS) {
		snprintf(msg, msglen, "max_attempts must be between 1 and %d", BLUEPRINT_MAX_ATTEMPTS);
		return BLUEPRINT_INVALID;
	}
	json_t *g = json_object_get(body, "grading");
	out->grading = "highest";
	if (g && !json_is_null(g)) {
		const char *gs = json_string_value(g);
		if (!blueprint_grading_valid(gs)) {
			snprintf(msg, msglen, "grading must be highest, latest, first or average");
			return BLUEPRINT_BAD_FIELD;
		}
		for (size_t i = 0; i < sizeof gradings / sizeof gradings[0]; i++)
			if (!strcmp(gs, gradings[i]))
				out->grading = gradings[i];
	}
	json_t *pa = json_object_get(body, "practice_allowed");
	out->practice_allowed = -1;
	if (pa && !json_is_null(pa)) {
		if (!json_is_boolean(pa)) {
			snprintf(msg, msglen, "practice_allowed must be true or false");
			return BLUEPRINT_BAD_FIELD;
		}
		out->practice_allowed = json_is_true(pa);
	}
	json_t *draws = json_object_get(body, "draws");
	if (!json_is_array(draws)) {
		snprintf(msg, msglen, "draws must be an array of {subtopic, level, count}");
		return BLUEPRINT_BAD_FIELD;
	}
	if (json_array_size(draws) == 0 || json_array_size(draws) > BLUEPRINT_MAX_DRAWS) {
		snprintf(msg, msglen, "draws must have 1 to %d rows", BLUEPRINT_MAX_DRAWS);
		return BLUEPRINT_INVALID;
	}
	size_t i;
	json_t *d;
	json_array_foreach(draws, i, d)
	{
		const char *sub = json_string_value(json_object_get(d, "subtopic"));
		const char *lv = json_string_value(json_object_get(d, "level"));
		json_t *count = json_object_get(d, "count");
		if (!json_is_object(d) || !sub || !lv || !json_is_integer(count) || json_object_size(d) != 3) {
			snprintf(msg, msglen,
				 "draws[%zu] must be {\"subtopic\": text, \"level\": text, \"count\": number}", i);
			return BLUEPRINT_BAD_FIELD;
		}
		struct blueprint_draw *row = &out->draws[i];
		row->level = catalog_level_find(cat, lv);
		if (!row->level) {
			snprintf(msg, msglen, "draws[%zu].level \"%s\" is not a level", i, lv);
			return BLUEPRINT_BAD_FIELD;
		}
		row->subtopic = catalog_subtopic_find(cat, item, sub);
		if (!row->subtopic) {
			snprintf(msg, msglen, "draws[%zu].subtopic \"%s\" is not a subtopic of %s", i, sub, item->code);
			return BLUEPRINT_INVALID;
		}
		if (row->level->rank > level->rank) {
			snprintf(msg, msglen, "draws[%zu] draws from %s, above the exam's level %s", i,
				 row->level->code, level->code);
			return BLUEPRINT_INVALID;
		}
		json_int_t n = json_integer_value(count);
		if (n < 1 || n > BLUEPRINT_MAX_COUNT) {
			snprintf(msg, msglen, "draws[%zu].count must be between 1 and %d", i, BLUEPRINT_MAX_COUNT);
			return BLUEPRINT_INVALID;
		}
		row->count = (int)n;
		for (size_t j = 0; j < i; j++)
			if (out->draws[j].subtopic == row->subtopic && out->draws[j].level == row->level) {
				snprintf(msg, msglen, "draws[%zu] repeats the subtopic and level of draws[%zu]", i, j);
				return BLUEPRINT_INVALID;
			}
		out->ndraws = i + 1;
	}
	return BLUEPRINT_OK;
}

enum blueprint_status blueprint_parse(const struct catalog *cat, const struct catalog_item *item,
				      const struct catalog_level *level, json_t *body, struct blueprint *out, char *msg,
				      size_t msglen)
{
	if (msglen)
		msg[0] = '\0';
	enum blueprint_status st = parse(cat, item, level, body, out, msg, msglen);
	util_utf8_clip(msg); /* a quoted client key may have been cut mid-character */
	return st;
}

json_t *blueprint_draws_json(const struct blueprint *bp)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < bp->ndraws; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:i}", "subtopic", bp->draws[i].subtopic->code, "level",
						   bp->draws[i].level->code, "count", bp->draws[i].count));
	return a;
}
