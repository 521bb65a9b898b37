/* What the bank and ratings imports share: the row/column error list (capped, growing, with a
 * count of all), trimmed copies of cells, values quoted in messages, column-name matching and
 * growing the array of parsed rows. */
#ifndef EXAMD_DOMAIN_ROWERR_H
#define EXAMD_DOMAIN_ROWERR_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct row_error {
	size_t row;       /* 1-based data row; 0 = the file, its header or its top level */
	char *column;     /* the spec's column name, "" if none */
	char *message;    /* English */
	const char *code; /* stable snake_case code of the message (rowerr_code_of), static */
	json_t *details;  /* the message's parameters by name ({"letter":"E"}), owned; NULL if none */
};

struct row_error_list {
	struct row_error **items; /* the owner's array */
	size_t *count, *cap, *total;
	size_t max; /* kept at most; later ones only counted */
};

/* Appends one error (all are counted; at most max are kept). false only when out of memory. */
bool row_errors_addv(const struct row_error_list *l, size_t row, const char *column, const char *fmt, va_list ap);
/* The stable code of a message format ("invalid_value" for one without a code of its own), and
 * the names of its printf arguments in order (NULL entries: not kept as details, e.g. English
 * reasons). The web UI renders Chinese text from the code and the details. */
const char *rowerr_code_of(const char *fmt, const char *const **params);
void row_errors_free(struct row_error *items, size_t count);
/* [{"row","column","code","message","details"}...]; NULL when out of memory. */
json_t *row_errors_json(const struct row_error *items, size_t count);

/* Trimmed copy; NULL when empty after trimming (out-of-memory sets *nomem). */
char *import_dup_trim(const char *s, bool *nomem);
/* A value for quoting in a message: at most ~60 bytes, cut at a UTF-8 character boundary
 * (s itself, or buf with "..." appended). */
const char *import_clip(const char *s, char buf[72]);
/* Whether name (len bytes) is want: case-folded (ASCII) when fold; false for a NULL want. */
bool import_name_is(const char *want, const char *name, size_t len, bool fold);
/* Makes room for one more element in *items (count used of *cap, each size bytes), doubling
 * from 64. false when out of memory (the array is unchanged). */
bool import_grow(void **items, size_t *cap, size_t count, size_t size);

#endif
