/* Strict RFC 4180 reader. Memory is bounded by max_columns x max_field_bytes
 * for the current record, never by the size of the input. */
#include "domain/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/textenc.h"

struct csv_reader {
	const unsigned char *buf;
	size_t len;
	size_t pos;
	size_t line; /* physical line at pos */

	size_t max_columns;
	size_t max_field;

	/* Current record: fields stored back to back, each NUL-terminated. */
	char *data;
	size_t data_len;
	size_t data_cap;
	size_t *offsets;
	size_t *lengths;
	size_t nfields;
	size_t fields_cap;

	size_t record_no;
	size_t rec_line;
	size_t err_line;
	size_t err_field;
	enum csv_status failed; /* CSV_RECORD while healthy */
};

bool csv_reader_new(const char *buf, size_t len, const struct csv_limits *limits, struct csv_reader **out)
{
	*out = NULL;
	struct csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return false;
	r->buf = (const unsigned char *)(buf ? buf : "");
	r->len = buf ? len : 0;
	r->line = 1;
	r->max_columns = limits && limits->max_columns ? limits->max_columns : CSV_DEFAULT_MAX_COLUMNS;
	r->max_field = limits && limits->max_field_bytes ? limits->max_field_bytes : CSV_DEFAULT_MAX_FIELD;
	/* Keep sizes far from overflow in the capacity arithmetic below. */
	if (r->max_field > SIZE_MAX / 8)
		r->max_field = SIZE_MAX / 8;
	if (r->max_columns > SIZE_MAX / 64)
		r->max_columns = SIZE_MAX / 64;
	r->failed = CSV_RECORD;
	if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	*out = r;
	return true;
}

void csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->data);
	free(r->offsets);
	free(r->lengths);
	free(r);
}

static enum csv_status fail(struct csv_reader *r, enum csv_status s, size_t line)
{
	r->failed = s;
	r->err_line = line;
	r->err_field = r->nfields + 1;
	r->nfields = 0;
	r->data_len = 0;
	return s;
}

static bool reserve(struct csv_reader *r, size_t need)
{
	if (need <= r->data_cap)
		return true;
	size_t cap = r->data_cap ? r->data_cap : 256;
	while (cap < need)
		cap *= 2;
	char *d = realloc(r->data, cap);
	if (!d)
		return false;
	r->data = d;
	r->data_cap = cap;
	return true;
}

/* Appends bytes to the current field, which started at data offset start. */
static enum csv_status append(struct csv_reader *r, size_t start, const unsigned char *p, size_t n)
{
	if (memchr(p, '\0', n))
		return CSV_ERR_NUL_BYTE;
	if (r->data_len - start + n > r->max_field)
		return CSV_ERR_FIELD_TOO_LARGE;
	if (!reserve(r, r->data_len + n + 1))
		return CSV_ERR_NOMEM;
	memcpy(r->data + r->data_len, p, n);
	r->data_len += n;
	return CSV_RECORD;
}

static enum csv_status finish_field(struct csv_reader *r, size_t start)
{
	/* Reserve first: an empty first field has no buffer yet, and NULL + 0 is undefined. */
	if (!reserve(r, r->data_len + 1))
		return CSV_ERR_NOMEM;
	if (!textenc_is_utf8(r->data + start, r->data_len - start))
		return CSV_ERR_INVALID_UTF8;
	r->data[r->data_len++] = '\0';
	if (r->nfields == r->fields_cap) {
		size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
		size_t *o = realloc(r->offsets, cap * sizeof *o);
		if (!o)
			return CSV_ERR_NOMEM;
		r->offsets = o;
		size_t *l = realloc(r->lengths, cap * sizeof *l);
		if (!l)
			return CSV_ERR_NOMEM;
		r->lengths = l;
		r->fields_cap = cap;
	}
	r->offsets[r->nfields] = start;
	r->lengths[r->nfields] = r->data_len - 1 - start;
	r->nfields++;
	return CSV_RECORD;
}

/* Consumes one line end at pos if there is one; true if it did. */
static bool eat_newline(struct csv_reader *r)
{
	if (r->pos >= r->len)
		return false;
	if (r->buf[r->pos] == '\n') {
		r->pos++;
		r->line++;
		return true;
	}
	if (r->buf[r->pos] == '\r') {
		r->pos++;
		if (r->pos < r->len && r->buf[r->pos] == '\n')
			r->pos++;
		r->line++;
		return true;
	}
	return false;
}

enum csv_status csv_next(struct csv_reader *r)
{
	if (r->failed != CSV_RECORD)
		return r->failed;
	r->nfields = 0;
	r->data_len = 0;
	while (eat_newline(r))
		; /* empty lines are not records */
	if (r->pos >= r->len)
		return CSV_END;
	r->record_no++;
	r->rec_line = r->line;

	for (;;) {
		/* At the start of a field. */
		if (r->nfields >= r->max_columns)
			return fail(r, CSV_ERR_TOO_MANY_COLUMNS, r->line);
		size_t start = r->data_len;
		enum csv_status s;
		if (r->pos < r->len && r->buf[r->pos] == '"') {
			size_t quote_line = r->line;
			r->pos++;
			for (;;) {
				if (r->pos >= r->len)
					return fail(r, CSV_ERR_UNTERMINATED_QUOTE, quote_line);
				/* Copy the run up to the next quote in one go. */
				const unsigned char *p = r->buf + r->pos;
				const unsigned char *q = memchr(p, '"', r->len - r->pos);
				size_t run = q ? (size_t)(q - p) : r->len - r->pos;
				if (run > 0) {
					s = append(r, start, p, run);
					if (s != CSV_RECORD)
						return fail(r, s, r->line);
					for (size_t i = 0; i < run; i++) {
						if (p[i] == '\n' ||
						    (p[i] == '\r' && (i + 1 == run || p[i + 1] != '\n')))
							r->line++;
					}
					r->pos += run;
					continue;
				}
				/* At a quote: doubled means a literal quote. */
				if (r->pos + 1 < r->len && r->buf[r->pos + 1] == '"') {
					s = append(r, start, r->buf + r->pos, 1);
					if (s != CSV_RECORD)
						return fail(r, s, r->line);
					r->pos += 2;
					continue;
				}
				r->pos++;
				break;
			}
			if (r->pos < r->len && r->buf[r->pos] != ',' && r->buf[r->pos] != '\r' &&
			    r->buf[r->pos] != '\n')
				return fail(r, CSV_ERR_TEXT_AFTER_QUOTE, r->line);
		} else {
			size_t from = r->pos;
			while (r->pos < r->len) {
				unsigned char c = r->buf[r->pos];
				if (c == ',' || c == '\r' || c == '\n')
					break;
				if (c == '"')
					return fail(r, CSV_ERR_BARE_QUOTE, r->line);
				r->pos++;
			}
			s = append(r, start, r->buf + from, r->pos - from);
			if (s != CSV_RECORD)
				return fail(r, s, r->line);
		}
		s = finish_field(r, start);
		if (s != CSV_RECORD)
			return fail(r, s, r->line);
		if (r->pos < r->len && r->buf[r->pos] == ',') {
			r->pos++;
			continue;
		}
		(void)eat_newline(r);
		return CSV_RECORD;
	}
}

size_t csv_field_count(const struct csv_reader *r)
{
	return r->failed == CSV_RECORD ? r->nfields : 0;
}

const char *csv_field(const struct csv_reader *r, size_t i, size_t *len)
{
	if (r->failed != CSV_RECORD || i >= r->nfields) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = r->lengths[i];
	return r->data + r->offsets[i];
}

size_t csv_record_number(const struct csv_reader *r)
{
	return r->record_no;
}

size_t csv_line(const struct csv_reader *r)
{
	return r->failed == CSV_RECORD ? r->rec_line : r->err_line;
}

size_t csv_error_field(const struct csv_reader *r)
{
	return r->failed == CSV_RECORD ? 0 : r->err_field;
}

const char *csv_status_message(enum csv_status s)
{
	switch (s) {
	case CSV_RECORD:
		return "ok";
	case CSV_END:
		return "end of input";
	case CSV_ERR_UNTERMINATED_QUOTE:
		return "unterminated quoted field (missing closing \")";
	case CSV_ERR_BARE_QUOTE:
		return "a \" inside an unquoted field (quote the field and double the \")";
	case CSV_ERR_TEXT_AFTER_QUOTE:
		return "text after the closing \" of a quoted field";
	case CSV_ERR_FIELD_TOO_LARGE:
		return "field too large";
	case CSV_ERR_TOO_MANY_COLUMNS:
		return "too many columns";
	case CSV_ERR_INVALID_UTF8:
		return "invalid UTF-8 (save the file as UTF-8)";
	case CSV_ERR_NUL_BYTE:
		return "NUL byte in the data";
	case CSV_ERR_NOMEM:
		return "out of memory";
	}
	return "unknown CSV error";
}

/* ---- writing ---- */

bool csv_cell_is_formula(const char *s)
{
	return s[0] && strchr("=+-@\t\r", s[0]) != NULL;
}

bool csv_write_cell(const char *s, bool (*put)(void *ctx, const char *p, size_t n), void *ctx)
{
	bool formula = csv_cell_is_formula(s);
	if (!formula && !strpbrk(s, ",\"\r\n"))
		return put(ctx, s, strlen(s));
	if (!put(ctx, formula ? "\"'" : "\"", formula ? 2 : 1))
		return false;
	/* Runs up to and including each quote, whose double follows. */
	const char *run = s;
	for (const char *q; (q = strchr(run, '"')); run = q + 1)
		if (!put(ctx, run, (size_t)(q - run) + 1) || !put(ctx, "\"", 1))
			return false;
	return put(ctx, run, strlen(run)) && put(ctx, "\"", 1);
}
