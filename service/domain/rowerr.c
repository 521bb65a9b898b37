/* The row/column error list of an import (banks, ratings). */
#include "domain/rowerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "domain/catalog.h"

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
	char *msg = NULL;
	int rc = vasprintf(&msg, fmt, ap);
	char *col = strdup(column ? column : "");
	if (rc < 0 || !col) {
		if (rc >= 0)
			free(msg);
		free(col);
		return false;
	}
	/* Messages quote the input, and a parser's message may cut a character in two: the list
	 * goes back to the client as JSON, which must be valid UTF-8. */
	util_utf8_clip(msg);
	util_utf8_clip(col);
	(*l->items)[(*l->count)++] = (struct row_error){.row = row, .column = col, .message = msg};
	return true;
}

void row_errors_free(struct row_error *items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(items[i].column);
		free(items[i].message);
	}
	free(items);
}

json_t *row_errors_json(const struct row_error *items, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < count; i++) {
		const struct row_error *e = &items[i];
		json_t *o = json_pack("{s:I, s:s, s:s}", "row", (json_int_t)e->row, "column", e->column, "message",
				      e->message);
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
