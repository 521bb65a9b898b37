/* RFC 4180 CSV reader over a memory buffer: pulls one record at a time,
 * strict about syntax, bounded in memory whatever the input. And the cell
 * writer of the CSV exports, safe to open in a spreadsheet. */
#ifndef EXAMD_DOMAIN_CSV_H
#define EXAMD_DOMAIN_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_MUST_CHECK __attribute__((warn_unused_result))

#define CSV_DEFAULT_MAX_COLUMNS 64
#define CSV_DEFAULT_MAX_FIELD (64u * 1024u)

enum csv_status {
	CSV_RECORD,                 /* a record is ready: csv_field_count/csv_field */
	CSV_END,                    /* no more records */
	CSV_ERR_UNTERMINATED_QUOTE, /* quoted field runs to the end of input */
	CSV_ERR_BARE_QUOTE,         /* '"' inside an unquoted field */
	CSV_ERR_TEXT_AFTER_QUOTE,   /* closing '"' followed by other than , or newline */
	CSV_ERR_FIELD_TOO_LARGE,
	CSV_ERR_TOO_MANY_COLUMNS,
	CSV_ERR_INVALID_UTF8,
	CSV_ERR_NUL_BYTE,
	CSV_ERR_NOMEM,
};

struct csv_limits {
	size_t max_columns;     /* fields per record; 0 = default */
	size_t max_field_bytes; /* bytes per field after unquoting; 0 = default */
};

struct csv_reader; /* opaque */

/* buf is borrowed and must outlive the reader. A leading UTF-8 BOM is
 * skipped. limits may be NULL for the defaults. */
CSV_MUST_CHECK bool csv_reader_new(const char *buf, size_t len, const struct csv_limits *limits,
				   struct csv_reader **out);
void csv_reader_free(struct csv_reader *r);

/* Reads the next record. Line ends are CRLF, LF or a lone CR; empty lines
 * are skipped. After an error, every further call returns the same error. */
CSV_MUST_CHECK enum csv_status csv_next(struct csv_reader *r);

/* Fields of the current record: NUL-terminated valid UTF-8 without NUL
 * bytes, valid until the next csv_next. */
size_t csv_field_count(const struct csv_reader *r);
const char *csv_field(const struct csv_reader *r, size_t i, size_t *len);

/* 1-based number of the current record (or of the record in which the
 * error was found), counting non-empty records only, header included. */
size_t csv_record_number(const struct csv_reader *r);
/* 1-based physical line where the current record starts, or where the error
 * is (for an unterminated quote: the line of the opening quote). */
size_t csv_line(const struct csv_reader *r);
/* 1-based field index in the record where the error was found. */
size_t csv_error_field(const struct csv_reader *r);

/* English description of a status, e.g. "unterminated quoted field". */
const char *csv_status_message(enum csv_status s);

/* ---- writing ---- */

/* true when a spreadsheet would take the cell for a formula (or strip its first
 * character and then take it for one): it starts with = + - @, a TAB or a CR. */
bool csv_cell_is_formula(const char *s);

/* Writes one cell of an export through put(ctx, bytes, n), which returns false
 * to stop (out of memory): as is when it needs nothing; else quoted, with
 * inner quotes doubled, when it holds , " CR or LF or is a formula; a formula
 * is neutralised with a leading ' inside the quotes (Excel shows the text).
 * false when put failed. */
CSV_MUST_CHECK bool csv_write_cell(const char *s, bool (*put)(void *ctx, const char *p, size_t n), void *ctx);

#endif
