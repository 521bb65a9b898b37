/* Loads the competency model's vocabulary and answers code/name lookups.
 * The catalog is immutable after catalog_load, so it is shared freely. */
#include "domain/catalog.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char examd_model_json[];
extern const size_t examd_model_json_len;

/* Generous bounds so a hostile model version cannot make us allocate much. */
#define CATALOG_MAX_ENTRIES 256
#define CATALOG_MAX_TEXT 1024

struct catalog {
	struct catalog_category *categories;
	size_t ncategories;
	struct catalog_level *levels;
	size_t nlevels;
	struct catalog_item *items;
	size_t nitems;
	struct catalog_subtopic *subtopics;
	size_t nsubtopics;
	/* Every string above points into this list of owned copies. */
	char **strings;
	size_t nstrings;
	size_t capstrings;
};

static const struct {
	const char *code;
	const char *name_zh;
} qtype_names[CATALOG_QTYPE_COUNT] = {
	[CATALOG_QTYPE_SINGLE] = {"single", "单选"},
	[CATALOG_QTYPE_MULTIPLE] = {"multiple", "多选"},
	[CATALOG_QTYPE_TRUEFALSE] = {"truefalse", "判断"},
	[CATALOG_QTYPE_FILL] = {"fill", "填空"},
};

/* ---- text helpers ---- */

/* Decodes one well-formed UTF-8 sequence; returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	if (len == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1Fu, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0Fu, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

static bool is_space_cp(uint32_t cp)
{
	if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20)
		return true;
	if (cp < 0x80)
		return false;
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

const char *catalog_trim(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = len, end = 0;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode(p + i, len - i, &cp);
		bool space = n > 0 && is_space_cp(cp);
		if (n == 0)
			n = 1; /* an invalid byte is content, not space */
		if (!space) {
			if (start == len)
				start = i;
			end = i + n;
		}
		i += n;
	}
	if (start == len) {
		*out_len = 0;
		return s + len;
	}
	*out_len = end - start;
	return s + start;
}

/* code: ASCII case-insensitive; Chinese name: exact. Input already trimmed. */
static bool matches(const char *code, const char *name_zh, const char *s, size_t n)
{
	if (code && strlen(code) == n && strncasecmp(code, s, n) == 0)
		return true;
	return name_zh && strlen(name_zh) == n && memcmp(name_zh, s, n) == 0;
}

/* ---- loading ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *keep_string(struct catalog *c, const char *s)
{
	if (c->nstrings == c->capstrings) {
		size_t cap = c->capstrings ? c->capstrings * 2 : 64;
		char **n = realloc(c->strings, cap * sizeof *n);
		if (!n)
			return NULL;
		c->strings = n;
		c->capstrings = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	c->strings[c->nstrings++] = copy;
	return copy;
}

/* Fetches a string member. Codes must be non-empty identifiers-ish text
 * without surrounding whitespace, so that trimmed input can match them. */
static bool get_text(struct catalog *c, json_t *obj, const char *key, bool required, const char **out,
		     const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return true;
		set_err(err, errlen, "%s: missing \"%s\"", where, key);
		return false;
	}
	if (!json_is_string(v)) {
		set_err(err, errlen, "%s: \"%s\" must be a string", where, key);
		return false;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), tlen;
	if (len == 0 || len > CATALOG_MAX_TEXT || strlen(s) != len || catalog_trim(s, len, &tlen) != s || tlen != len) {
		set_err(err, errlen, "%s: \"%s\" must be non-empty trimmed text of at most %d bytes", where, key,
			CATALOG_MAX_TEXT);
		return false;
	}
	*out = keep_string(c, s);
	if (!*out) {
		set_err(err, errlen, "out of memory");
		return false;
	}
	return true;
}

static json_t *get_array(json_t *root, const char *key, bool required, char *err, size_t errlen)
{
	json_t *a = json_object_get(root, key);
	if (!a && !required)
		return NULL;
	if (!json_is_array(a)) {
		set_err(err, errlen, "\"%s\" must be an array", key);
		return NULL;
	}
	if (json_array_size(a) > CATALOG_MAX_ENTRIES) {
		set_err(err, errlen, "\"%s\" has more than %d entries", key, CATALOG_MAX_ENTRIES);
		return NULL;
	}
	return a;
}

static bool load_categories(struct catalog *c, json_t *root, char *err, size_t errlen)
{
	json_t *a = get_array(root, "categories", true, err, errlen);
	if (!a)
		return false;
	if (json_array_size(a) == 0) {
		set_err(err, errlen, "\"categories\" is empty");
		return false;
	}
	c->categories = calloc(json_array_size(a), sizeof *c->categories);
	if (!c->categories) {
		set_err(err, errlen, "out of memory");
		return false;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		char where[64];
		snprintf(where, sizeof where, "categories[%zu]", i);
		struct catalog_category *cat = &c->categories[i];
		if (!json_is_object(v)) {
			set_err(err, errlen, "%s must be an object", where);
			return false;
		}
		if (!get_text(c, v, "code", true, &cat->code, where, err, errlen) ||
		    !get_text(c, v, "name_zh", true, &cat->name_zh, where, err, errlen) ||
		    !get_text(c, v, "name_en", false, &cat->name_en, where, err, errlen))
			return false;
		cat->position = i;
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(c->categories[j].code, cat->code) == 0 ||
			    strcmp(c->categories[j].name_zh, cat->name_zh) == 0) {
				set_err(err, errlen, "%s: duplicate category \"%s\"", where, cat->code);
				return false;
			}
		}
		c->ncategories = i + 1;
	}
	return true;
}

static bool load_levels(struct catalog *c, json_t *root, char *err, size_t errlen)
{
	json_t *a = get_array(root, "levels", true, err, errlen);
	if (!a)
		return false;
	if (json_array_size(a) == 0) {
		set_err(err, errlen, "\"levels\" is empty");
		return false;
	}
	c->levels = calloc(json_array_size(a), sizeof *c->levels);
	if (!c->levels) {
		set_err(err, errlen, "out of memory");
		return false;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		char where[64];
		snprintf(where, sizeof where, "levels[%zu]", i);
		struct catalog_level *lv = &c->levels[i];
		if (!json_is_object(v)) {
			set_err(err, errlen, "%s must be an object", where);
			return false;
		}
		if (!get_text(c, v, "code", true, &lv->code, where, err, errlen) ||
		    !get_text(c, v, "name_zh", true, &lv->name_zh, where, err, errlen) ||
		    !get_text(c, v, "name_en", false, &lv->name_en, where, err, errlen))
			return false;
		lv->rank = (int)i;
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(c->levels[j].code, lv->code) == 0 ||
			    strcmp(c->levels[j].name_zh, lv->name_zh) == 0) {
				set_err(err, errlen, "%s: duplicate level \"%s\"", where, lv->code);
				return false;
			}
		}
		c->nlevels = i + 1;
	}
	return true;
}

static bool load_items(struct catalog *c, json_t *root, char *err, size_t errlen)
{
	json_t *a = get_array(root, "items", true, err, errlen);
	if (!a)
		return false;
	size_t n = json_array_size(a);
	if (n == 0) {
		set_err(err, errlen, "\"items\" is empty");
		return false;
	}
	c->items = calloc(n, sizeof *c->items);
	if (!c->items) {
		set_err(err, errlen, "out of memory");
		return false;
	}

	/* First pass: count subtopics so the array never moves afterwards. */
	size_t nsub = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		json_t *subs = json_is_object(v) ? json_object_get(v, "subtopics") : NULL;
		if (json_is_array(subs))
			nsub += json_array_size(subs);
	}
	if (nsub > CATALOG_MAX_ENTRIES) {
		set_err(err, errlen, "more than %d subtopics", CATALOG_MAX_ENTRIES);
		return false;
	}
	if (nsub > 0) {
		c->subtopics = calloc(nsub, sizeof *c->subtopics);
		if (!c->subtopics) {
			set_err(err, errlen, "out of memory");
			return false;
		}
	}

	json_array_foreach(a, i, v)
	{
		char where[64];
		snprintf(where, sizeof where, "items[%zu]", i);
		struct catalog_item *it = &c->items[i];
		if (!json_is_object(v)) {
			set_err(err, errlen, "%s must be an object", where);
			return false;
		}
		const char *category, *assessment;
		if (!get_text(c, v, "code", true, &it->code, where, err, errlen) ||
		    !get_text(c, v, "name_zh", true, &it->name_zh, where, err, errlen) ||
		    !get_text(c, v, "name_en", false, &it->name_en, where, err, errlen) ||
		    !get_text(c, v, "category", true, &category, where, err, errlen) ||
		    !get_text(c, v, "assessment", true, &assessment, where, err, errlen))
			return false;
		it->position = i;
		it->category = catalog_category_find(c, category);
		if (!it->category) {
			set_err(err, errlen, "%s: unknown category \"%s\"", where, category);
			return false;
		}
		if (strcmp(assessment, "exam") == 0) {
			it->assessment = CATALOG_ASSESS_EXAM;
		} else if (strcmp(assessment, "behaviour") == 0) {
			it->assessment = CATALOG_ASSESS_BEHAVIOUR;
		} else {
			set_err(err, errlen, "%s: assessment must be \"exam\" or \"behaviour\"", where);
			return false;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(c->items[j].code, it->code) == 0 ||
			    strcmp(c->items[j].name_zh, it->name_zh) == 0) {
				set_err(err, errlen, "%s: duplicate item \"%s\"", where, it->code);
				return false;
			}
		}
		c->nitems = i + 1;

		json_t *subs = json_object_get(v, "subtopics");
		it->subtopic_first = c->nsubtopics;
		it->subtopic_count = 0;
		if (it->assessment == CATALOG_ASSESS_BEHAVIOUR) {
			if (subs && !(json_is_array(subs) && json_array_size(subs) == 0)) {
				set_err(err, errlen, "%s: a behaviour item has no subtopics", where);
				return false;
			}
			continue;
		}
		if (!json_is_array(subs) || json_array_size(subs) == 0) {
			set_err(err, errlen, "%s: an exam item needs a non-empty \"subtopics\" array", where);
			return false;
		}
		size_t k;
		json_t *sv;
		json_array_foreach(subs, k, sv)
		{
			char swhere[96];
			snprintf(swhere, sizeof swhere, "items[%zu].subtopics[%zu]", i, k);
			struct catalog_subtopic *st = &c->subtopics[c->nsubtopics];
			if (!json_is_object(sv)) {
				set_err(err, errlen, "%s must be an object", swhere);
				return false;
			}
			if (!get_text(c, sv, "code", true, &st->code, swhere, err, errlen) ||
			    !get_text(c, sv, "name_zh", true, &st->name_zh, swhere, err, errlen) ||
			    !get_text(c, sv, "name_en", false, &st->name_en, swhere, err, errlen))
				return false;
			/* Unique model-wide, so a code alone identifies a subtopic. */
			for (size_t j = 0; j < c->nsubtopics; j++) {
				if (strcasecmp(c->subtopics[j].code, st->code) == 0 ||
				    strcmp(c->subtopics[j].name_zh, st->name_zh) == 0) {
					set_err(err, errlen, "%s: duplicate subtopic \"%s\"", swhere, st->code);
					return false;
				}
			}
			st->item = it;
			st->index = c->nsubtopics;
			st->position = k;
			c->nsubtopics++;
			it->subtopic_count++;
		}
	}
	return true;
}

bool catalog_load(const char *json, size_t len, struct catalog **out, char *err, size_t errlen)
{
	*out = NULL;
	set_err(err, errlen, "%s", "");
	if (!json) {
		set_err(err, errlen, "no model data");
		return false;
	}
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		set_err(err, errlen, "model JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
		return false;
	}
	struct catalog *c = calloc(1, sizeof *c);
	if (!c) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (!json_is_object(root)) {
		set_err(err, errlen, "model JSON must be an object");
		goto fail;
	}
	if (!load_categories(c, root, err, errlen) || !load_levels(c, root, err, errlen) ||
	    !load_items(c, root, err, errlen))
		goto fail;
	json_decref(root);
	*out = c;
	return true;
fail:
	catalog_free(c);
	json_decref(root);
	return false;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nstrings; i++)
		free(c->strings[i]);
	free(c->strings);
	free(c->categories);
	free(c->levels);
	free(c->items);
	free(c->subtopics);
	free(c);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct catalog *default_catalog;

static void default_init(void)
{
	char err[256];
	if (!catalog_load(examd_model_json, examd_model_json_len, &default_catalog, err, sizeof err))
		default_catalog = NULL;
}

const struct catalog *catalog_default(void)
{
	pthread_once(&default_once, default_init);
	return default_catalog;
}

/* ---- accessors ---- */

size_t catalog_category_count(const struct catalog *c)
{
	return c ? c->ncategories : 0;
}

const struct catalog_category *catalog_category_at(const struct catalog *c, size_t i)
{
	return c && i < c->ncategories ? &c->categories[i] : NULL;
}

size_t catalog_level_count(const struct catalog *c)
{
	return c ? c->nlevels : 0;
}

const struct catalog_level *catalog_level_at(const struct catalog *c, size_t rank)
{
	return c && rank < c->nlevels ? &c->levels[rank] : NULL;
}

size_t catalog_item_count(const struct catalog *c)
{
	return c ? c->nitems : 0;
}

const struct catalog_item *catalog_item_at(const struct catalog *c, size_t position)
{
	return c && position < c->nitems ? &c->items[position] : NULL;
}

size_t catalog_subtopic_count(const struct catalog *c)
{
	return c ? c->nsubtopics : 0;
}

const struct catalog_subtopic *catalog_subtopic_at(const struct catalog *c, size_t index)
{
	return c && index < c->nsubtopics ? &c->subtopics[index] : NULL;
}

const struct catalog_subtopic *catalog_item_subtopic(const struct catalog *c, const struct catalog_item *item, size_t k)
{
	if (!c || !item || k >= item->subtopic_count)
		return NULL;
	return catalog_subtopic_at(c, item->subtopic_first + k);
}

/* ---- lookups ---- */

const struct catalog_category *catalog_category_find(const struct catalog *c, const char *s)
{
	if (!c || !s)
		return NULL;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	for (size_t i = 0; i < c->ncategories; i++)
		if (matches(c->categories[i].code, c->categories[i].name_zh, t, n))
			return &c->categories[i];
	return NULL;
}

const struct catalog_level *catalog_level_find(const struct catalog *c, const char *s)
{
	if (!c || !s)
		return NULL;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	for (size_t i = 0; i < c->nlevels; i++)
		if (matches(c->levels[i].code, c->levels[i].name_zh, t, n))
			return &c->levels[i];
	return NULL;
}

const struct catalog_item *catalog_item_find(const struct catalog *c, const char *s)
{
	if (!c || !s)
		return NULL;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	for (size_t i = 0; i < c->nitems; i++)
		if (matches(c->items[i].code, c->items[i].name_zh, t, n))
			return &c->items[i];
	return NULL;
}

const struct catalog_subtopic *catalog_subtopic_find_any(const struct catalog *c, const char *s)
{
	if (!c || !s)
		return NULL;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	for (size_t i = 0; i < c->nsubtopics; i++)
		if (matches(c->subtopics[i].code, c->subtopics[i].name_zh, t, n))
			return &c->subtopics[i];
	return NULL;
}

const struct catalog_subtopic *catalog_subtopic_find(const struct catalog *c, const struct catalog_item *item,
						     const char *s)
{
	const struct catalog_subtopic *st = catalog_subtopic_find_any(c, s);
	return st && item && st->item == item ? st : NULL;
}

bool catalog_qtype_find(const char *s, enum catalog_qtype *out)
{
	if (!s)
		return false;
	size_t n;
	const char *t = catalog_trim(s, strlen(s), &n);
	for (int i = 0; i < CATALOG_QTYPE_COUNT; i++) {
		if (matches(qtype_names[i].code, qtype_names[i].name_zh, t, n)) {
			*out = (enum catalog_qtype)i;
			return true;
		}
	}
	return false;
}

const char *catalog_qtype_code(enum catalog_qtype t)
{
	return (unsigned)t < CATALOG_QTYPE_COUNT ? qtype_names[t].code : "unknown";
}

const char *catalog_qtype_name_zh(enum catalog_qtype t)
{
	return (unsigned)t < CATALOG_QTYPE_COUNT ? qtype_names[t].name_zh : "未知";
}

const char *catalog_assessment_code(enum catalog_assessment a)
{
	return a == CATALOG_ASSESS_EXAM ? "exam" : "behaviour";
}
