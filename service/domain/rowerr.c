/* The row/column error list of an import (banks, ratings). */
#include "domain/rowerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "domain/catalog.h"

/* Every message format of the bank and ratings imports, with its code and argument names. The
 * format string is the key, so a message's wording and its code stay side by side; a format not
 * listed gets "invalid_value" (tests/unit/test_rowerr.c checks that every add_error format of
 * bank.c and ratings.c is listed). */
struct rowerr_code {
	const char *fmt;
	const char *code;
	const char *params[4];
};

static const struct rowerr_code rowerr_codes[] = {
	{"single answer must be one option letter A..H, got '%s'", "answer_single_letter", {"value"}},
	{"multiple answer must be option letters like ACD or A,C,D, got '%s'", "answer_multiple_letters", {"value"}},
	{"answer letter %c is given twice", "answer_letter_twice", {"letter"}},
	{"single answer must be exactly one letter, got '%s'", "answer_single_letter", {"value"}},
	{"multiple answer needs at least 2 distinct letters, got '%s'", "answer_multiple_two", {"value"}},
	{"multiple answer needs at least 2 distinct letters", "answer_multiple_two", {NULL}},
	{"answer letter %c has no option", "answer_letter_no_option", {"letter"}},
	{"answer is required", "required", {NULL}},
	{"a %s answer must be option letters, not true/false", "answer_not_letters", {"type"}},
	{"single answer must be one letter as a string, not a list", "answer_single_letter", {NULL}},
	{"multiple answer list must hold single letters A..H, got '%s'", "answer_multiple_letters", {"value"}},
	{"truefalse answer must be true, false, T, F, 对 or 错, got '%s'", "answer_truefalse", {"value"}},
	{"fill answer must be text, not true/false", "answer_fill_text", {NULL}},
	{"fill answer %zu is empty", "answer_fill_empty", {"index"}},
	{"fill answer alternative %zu is empty (check the '|' separators)", "answer_fill_empty", {"index"}},
	{"fill answer has more than %d alternatives", "answer_fill_too_many", {"max"}},
	{"answer list has more than %d entries", "answer_fill_too_many", {"max"}},
	{"answer list entry %zu must be a string", "answer_not_text", {"index"}},
	{"answer must be a string, a list of strings or true/false", "answer_not_text", {NULL}},
	{"%s is too long (at most %zu bytes)", "too_long", {"field", "max"}},
	{"item is required", "required", {NULL}},
	{"subtopic is required", "required", {NULL}},
	{"level is required", "required", {NULL}},
	{"type is required", "required", {NULL}},
	{"stem is required", "required", {NULL}},
	{"score is required", "required", {NULL}},
	{"employee is required", "required", {NULL}},
	{"period is required (e.g. 2026H2)", "required", {NULL}},
	{"unknown item '%s' (use an item code or its Chinese name)", "unknown_item", {"value"}},
	{"unknown item '%s' (use a behaviour item code or its Chinese name)", "unknown_behaviour_item", {"value"}},
	{"item %s (%s) is rated by behaviour, not by exam; questions are only for exam items",
	 "item_not_exam",
	 {"item", "item_zh"}},
	{"item %s (%s) is a knowledge item scored by exams; it cannot be rated",
	 "item_not_behaviour",
	 {"item", "item_zh"}},
	{"unknown subtopic '%s' for item %s", "unknown_subtopic", {"value", "item"}},
	{"unknown subtopic '%s'", "unknown_subtopic", {"value"}},
	{"subtopic %s belongs to item %s, not to item %s", "subtopic_other_item", {"subtopic", "subtopic_item", "item"}},
	{"unknown level '%s' (use junior, intermediate, senior, expert or 初级, 中级, 高级, 资深)",
	 "unknown_level",
	 {"value"}},
	{"unknown type '%s' (use single, multiple, truefalse, fill or 单选, 多选, 判断, 填空)",
	 "unknown_type",
	 {"value"}},
	{"option %zu (%c) is empty", "option_empty", {"index", "letter"}},
	{"option %zu is too long (at most %u bytes)", "too_long", {"index", "max"}},
	{"option %c is empty but option %c is given; options must be contiguous from a",
	 "options_gap",
	 {"letter", "later"}},
	{"a %s question needs at least 2 options, got %d", "options_too_few", {"type", "count"}},
	{"a %s question takes no options, but option %c is given", "options_not_allowed", {"type", "letter"}},
	{"%s, got '%s'", "invalid_points", {NULL, "value"}},
	{"external_id '%s' is already used by row %zu", "duplicate_external_id", {"value", "other_row"}},
	{"duplicate question: row %zu has the same item, subtopic, level and stem '%s'",
	 "duplicate_question",
	 {"other_row", "stem"}},
	{"too many questions in one file (at most %d)", "too_many_rows", {"max"}},
	{"too many ratings in one import (at most %d)", "too_many_rows", {"max"}},
	{"no competency model loaded", "no_model", {NULL}},
	{"the file is empty: expected a header row", "empty_file", {NULL}},
	{"CSV error in the header on line %zu: %s", "csv_syntax", {"line", NULL}},
	{"CSV error on line %zu: %s", "csv_syntax", {"line", NULL}},
	{"unknown column '%s'", "unknown_column", {"value"}},
	{"unknown column '%s' (expected employee, item, score, relation, period, rated_level, rated_at, note, rater)",
	 "unknown_column",
	 {"value"}},
	{"column %s appears more than once (columns %d and %zu)", "duplicate_column", {"field", "first", "second"}},
	{"required column %s (%s) is missing", "missing_column", {"field", "field_zh"}},
	{"row has %zu fields but the header has %zu columns", "field_count", {"count", "expected"}},
	{"row has a value in a column without a header name", "unnamed_column", {NULL}},
	{"the file has a header but no question rows", "no_rows", {NULL}},
	{"the file has a header but no rating rows", "no_rows", {NULL}},
	{"the file has no questions", "no_rows", {NULL}},
	{"the import has no ratings", "no_rows", {NULL}},
	{"question must be a JSON object", "json_shape", {NULL}},
	{"options must be an array of strings", "json_shape", {NULL}},
	{"at most %d options are allowed, got %zu", "options_too_many", {"max", "count"}},
	{"option %zu must be a string", "json_shape", {"index"}},
	{"unknown field '%s'", "unknown_column", {"value"}},
	{"use the options array instead of field '%s'", "json_shape", {"value"}},
	{"%s must be a string", "json_shape", {"field"}},
	{"invalid JSON on line %d, column %d: %s", "json_syntax", {"line", "position", NULL}},
	{"expected an object {\"questions\": [...]}", "json_shape", {NULL}},
	{"%s must not contain control characters", "control_characters", {"field"}},
	{"score must be from 0 to 6, got %" JSON_INTEGER_FORMAT, "score_range", {"value"}},
	{"score must be a whole number from 0 to 6, got '%s'", "score_range", {"value"}},
	{"score must be from 0 to 6, got '%s'", "score_range", {"value"}},
	{"score must be a whole number from 0 to 6 (a JSON integer), got %s", "score_range", {"value"}},
	{"score must be a JSON integer from 0 to 6, not %s", "score_range", {NULL}},
	{"employee must be a username (1-64 letters, digits or _.@- starting with a letter or digit), got '%s'",
	 "invalid_username",
	 {"value"}},
	{"unknown relation '%s' (use self, supervisor, peer, subordinate, customer, hr or 自评, 上级, 同事, 下属, 客户, "
	 "人力资源)",
	 "unknown_relation",
	 {"value"}},
	{"rated_at %s, got '%s'", "invalid_time", {NULL, "value"}},
	{"each rating must be a JSON object, got %s", "json_shape", {NULL}},
	{"%s is given twice (as '%s' and '%s')", "duplicate_column", {"field", "value", "other"}},
	{"%s must be a string, not %s", "json_shape", {"field", NULL}},
	{"unknown field '%s' (expected {\"ratings\": [...]})", "unknown_column", {"value"}},
	{"expected a JSON array of ratings or {\"ratings\": [...]}", "json_shape", {NULL}},
	{"ratings must be an array, not %s", "json_shape", {NULL}},
	{"expected a JSON array of ratings or {\"ratings\": [...]}, got %s", "json_shape", {NULL}},
};

const char *rowerr_code_of(const char *fmt, const char *const **params)
{
	static const char *const none[4] = {NULL};
	for (size_t i = 0; fmt && i < sizeof rowerr_codes / sizeof rowerr_codes[0]; i++)
		if (!strcmp(rowerr_codes[i].fmt, fmt)) {
			if (params)
				*params = rowerr_codes[i].params;
			return rowerr_codes[i].code;
		}
	if (params)
		*params = none;
	return "invalid_value";
}

/* Takes the arguments of fmt off ap in order and keeps the named ones in an object. Handles the
 * conversions the import messages use: %s %c %d %u %zu %ld %lld (no widths or precisions). */
static json_t *rowerr_details(const char *fmt, const char *const *names, va_list ap)
{
	json_t *o = json_object();
	size_t k = 0;
	for (const char *p = fmt; o && *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		int lmod = 0; /* 1: z, 2: l, 3: ll */
		if (*p == 'z')
			lmod = 1, p++;
		else if (*p == 'l' && p[1] == 'l')
			lmod = 3, p += 2;
		else if (*p == 'l')
			lmod = 2, p++;
		json_t *v = NULL;
		switch (*p) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			char buf[72];
			char clipped[72];
			snprintf(clipped, sizeof clipped, "%s", import_clip(s ? s : "", buf));
			util_utf8_clip(clipped);
			v = json_string(clipped);
			break;
		}
		case 'c':
			v = json_sprintf("%c", (char)va_arg(ap, int));
			break;
		case 'd':
			v = json_integer(lmod == 3   ? (json_int_t)va_arg(ap, long long)
					 : lmod == 2 ? (json_int_t)va_arg(ap, long)
						     : (json_int_t)va_arg(ap, int));
			break;
		case 'u':
			v = json_integer(lmod == 1   ? (json_int_t)va_arg(ap, size_t)
					 : lmod == 3 ? (json_int_t)va_arg(ap, unsigned long long)
					 : lmod == 2 ? (json_int_t)va_arg(ap, unsigned long)
						     : (json_int_t)va_arg(ap, unsigned));
			break;
		default: /* not a conversion the table knows: stop, keep what was read */
			return o;
		}
		if (!*p)
			break;
		const char *name = k < 4 ? names[k] : NULL;
		k++;
		if (v && name)
			json_object_set_new(o, name, v);
		else
			json_decref(v);
	}
	return o;
}

bool row_errors_addv(const struct row_error_list *l, size_t row, const char *column, const char *fmt, va_list ap)
{
	(*l->total)++;
	if (*l->count >= l->max)
		return true;
	if (*l->count == *l->cap) {
		size_t cap = *l->cap ? *l->cap * 2 : 16;
		if (cap > l->max)
			cap = l->max;
		struct row_error *e = realloc(*l->items, cap * sizeof *e);
		if (!e)
			return false;
		*l->items = e;
		*l->cap = cap;
	}
	const char *const *names;
	const char *code = rowerr_code_of(fmt, &names);
	va_list aq;
	va_copy(aq, ap);
	json_t *details = rowerr_details(fmt, names, aq);
	va_end(aq);
	char *msg = NULL;
	int rc = vasprintf(&msg, fmt, ap);
	char *col = strdup(column ? column : "");
	if (rc < 0 || !col || !details) {
		if (rc >= 0)
			free(msg);
		free(col);
		json_decref(details);
		return false;
	}
	/* Messages quote the input, and a parser's message may cut a character in two: the list
	 * goes back to the client as JSON, which must be valid UTF-8. */
	util_utf8_clip(msg);
	util_utf8_clip(col);
	(*l->items)[(*l->count)++] =
		(struct row_error){.row = row, .column = col, .message = msg, .code = code, .details = details};
	return true;
}

void row_errors_free(struct row_error *items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(items[i].column);
		free(items[i].message);
		json_decref(items[i].details);
	}
	free(items);
}

json_t *row_errors_json(const struct row_error *items, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < count; i++) {
		const struct row_error *e = &items[i];
		json_t *o =
			json_pack("{s:I, s:s, s:s, s:s, s:O}", "row", (json_int_t)e->row, "column", e->column, "code",
				  e->code ? e->code : "invalid_value", "message", e->message, "details", e->details);
		if (!o || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

char *import_dup_trim(const char *s, bool *nomem)
{
	if (!s)
		return NULL;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	if (n == 0)
		return NULL;
	char *d = strndup(t, n);
	if (!d)
		*nomem = true;
	return d;
}

const char *import_clip(const char *s, char buf[72])
{
	size_t n = strlen(s);
	if (n <= 60)
		return s;
	size_t cut = 60;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(buf, s, cut);
	memcpy(buf + cut, "...", 4);
	return buf;
}

bool import_name_is(const char *want, const char *name, size_t len, bool fold)
{
	if (!want || strlen(want) != len)
		return false;
	return fold ? strncasecmp(want, name, len) == 0 : memcmp(want, name, len) == 0;
}

bool import_grow(void **items, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return true;
	size_t want = *cap ? *cap * 2 : 64;
	void *n = realloc(*items, want * size);
	if (!n)
		return false;
	*items = n;
	*cap = want;
	return true;
}
