/* The competency model's fixed vocabulary (categories, levels, items,
 * subtopics, question types) loaded once from the model JSON, for lookups. */
#ifndef EXAMD_DOMAIN_CATALOG_H
#define EXAMD_DOMAIN_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#define CATALOG_MUST_CHECK __attribute__((warn_unused_result))

struct catalog; /* opaque, immutable once loaded */

enum catalog_assessment {
	CATALOG_ASSESS_EXAM,
	CATALOG_ASSESS_BEHAVIOUR,
};

enum catalog_qtype {
	CATALOG_QTYPE_SINGLE,
	CATALOG_QTYPE_MULTIPLE,
	CATALOG_QTYPE_TRUEFALSE,
	CATALOG_QTYPE_FILL,
};
#define CATALOG_QTYPE_COUNT 4

/* Read-only descriptors; pointers stay valid for the catalog's lifetime. */
struct catalog_category {
	const char *code;
	const char *name_zh;
	const char *name_en;
	size_t position; /* 0-based, model order */
};

struct catalog_level {
	const char *code;
	const char *name_zh;
	const char *name_en;
	int rank; /* 0 junior .. 3 expert: model order */
};

struct catalog_item {
	const char *code;
	const char *name_zh;
	const char *name_en;
	const struct catalog_category *category;
	enum catalog_assessment assessment;
	size_t position;       /* 0-based, model order */
	size_t subtopic_first; /* index into catalog_subtopic_at() */
	size_t subtopic_count; /* 0 for behaviour items */
};

struct catalog_subtopic {
	const char *code;
	const char *name_zh;
	const char *name_en;
	const struct catalog_item *item;
	size_t index;    /* global index, grouped by item in model order */
	size_t position; /* 0-based within its item */
};

/* Parses and checks the model JSON (codes unique, references resolve). On
 * failure *out is NULL and err holds a message. */
CATALOG_MUST_CHECK bool catalog_load(const char *json, size_t len, struct catalog **out, char *err, size_t errlen);
void catalog_free(struct catalog *c);

/* The model embedded in the binary, loaded on first use (thread-safe). NULL
 * only if the embedded data is broken. Never free it. */
const struct catalog *catalog_default(void);

size_t catalog_category_count(const struct catalog *c);
const struct catalog_category *catalog_category_at(const struct catalog *c, size_t i);
size_t catalog_level_count(const struct catalog *c);
const struct catalog_level *catalog_level_at(const struct catalog *c, size_t rank);
size_t catalog_item_count(const struct catalog *c);
const struct catalog_item *catalog_item_at(const struct catalog *c, size_t position);
size_t catalog_subtopic_count(const struct catalog *c);
const struct catalog_subtopic *catalog_subtopic_at(const struct catalog *c, size_t index);
/* k-th subtopic (0-based) of item, or NULL. */
const struct catalog_subtopic *catalog_item_subtopic(const struct catalog *c, const struct catalog_item *item,
						     size_t k);

/* Lookups take a code (ASCII case-insensitive) or the exact Chinese name;
 * surrounding ASCII/Unicode whitespace is ignored. NULL when unknown. */
const struct catalog_category *catalog_category_find(const struct catalog *c, const char *s);
const struct catalog_level *catalog_level_find(const struct catalog *c, const char *s);
const struct catalog_item *catalog_item_find(const struct catalog *c, const char *s);
/* Only subtopics of item; NULL for a subtopic of another item. */
const struct catalog_subtopic *catalog_subtopic_find(const struct catalog *c, const struct catalog_item *item,
						     const char *s);
/* Any item's subtopic (subtopic codes and names are unique model-wide). */
const struct catalog_subtopic *catalog_subtopic_find_any(const struct catalog *c, const char *s);

/* single/单选, multiple/多选, truefalse/判断, fill/填空. */
CATALOG_MUST_CHECK bool catalog_qtype_find(const char *s, enum catalog_qtype *out);
const char *catalog_qtype_code(enum catalog_qtype t);
const char *catalog_qtype_name_zh(enum catalog_qtype t);
const char *catalog_assessment_code(enum catalog_assessment a);

/* The trimming rule the lookups use: skips leading and trailing ASCII
 * whitespace and Unicode White_Space (U+00A0, U+3000, ...) and U+FEFF.
 * Returns the start of the trimmed span and stores its length. */
const char *catalog_trim(const char *s, size_t len, size_t *out_len);

#endif
