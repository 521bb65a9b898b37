/* The row/column error list of an import (banks, ratings): capped, growing, with a count of all. */
#ifndef EXAMD_DOMAIN_ROWERR_H
#define EXAMD_DOMAIN_ROWERR_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct row_error {
	size_t row;    /* 1-based data row; 0 = the file, its header or its top level */
	char *column;  /* the spec's column name, "" if none */
	char *message; /* English */
};

struct row_error_list {
	struct row_error **items; /* the owner's array */
	size_t *count, *cap, *total;
	size_t max; /* kept at most; later ones only counted */
};

/* Appends one error (all are counted; at most max are kept). false only when out of memory. */
bool row_errors_addv(const struct row_error_list *l, size_t row, const char *column, const char *fmt, va_list ap);
void row_errors_free(struct row_error *items, size_t count);
/* [{"row","column","message"}...]; NULL when out of memory. */
json_t *row_errors_json(const struct row_error *items, size_t count);

#endif
