/* Behaviour-rating imports (SPEC §4.5, §6): parse CSV or JSON, validate every
 * row against the catalog, all or nothing. No I/O: the API layer inserts. */
#ifndef EXAMD_DOMAIN_RATINGS_H
#define EXAMD_DOMAIN_RATINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/catalog.h"
#include "core/util.h"
#include "domain/rowerr.h"

#define RATINGS_MUST_CHECK __attribute__((warn_unused_result))

#define RATINGS_MAX_ROWS 100000
#define RATINGS_MAX_ERRORS 1000
#define RATINGS_MAX_EMPLOYEE UTIL_USERNAME_MAX /* the users.username rule */
#define RATINGS_MAX_PERIOD 32
#define RATINGS_MAX_NOTE 2000
#define RATINGS_MAX_RATER 200
#define RATINGS_MIN_SCORE 0
#define RATINGS_MAX_SCORE 6

struct rating_row {
	size_t row;                              /* 1-based data row (CSV header excluded; JSON index + 1) */
	char *employee;                          /* a well-formed username; existence is the database's call */
	const struct catalog_item *item;         /* a behaviour item; borrowed from the catalog */
	int score;                               /* 0..6 */
	const char *relation;                    /* static code: self|supervisor|peer|subordinate|customer|hr */
	char *period;                            /* non-empty, <= 32 bytes, no control characters */
	const struct catalog_level *rated_level; /* NULL when empty or absent */
	char *rated_at;                          /* NULL = now; else a checked RFC 3339 timestamp as given */
	char *note;                              /* NULL when empty or absent; <= 2000 bytes */
	char *rater;                             /* NULL = the caller; <= 200 bytes */
};

struct rating_batch {
	struct rating_row *rows;
	size_t count;
	struct row_error *errors; /* at most RATINGS_MAX_ERRORS kept */
	size_t error_count;
	size_t error_total;   /* all errors found, kept or not */
	size_t rows_seen;     /* data rows read (blank CSV rows skipped) */
	size_t rows_rejected; /* data rows with at least one error */
	const char *encoding; /* CSV: "utf-8" or "gb18030" (converted); NULL for JSON */
	/* internal bookkeeping */
	size_t row_cap;
	size_t error_cap;
};

enum ratings_status {
	RATINGS_OK,      /* no errors: every row is a valid rating */
	RATINGS_INVALID, /* see errors; rows holds those that were valid */
	RATINGS_NOMEM,
};

/* Both parsers zero *out first; call ratings_free on it in every case.
 * CSV: UTF-8 (BOM accepted), RFC 4180, a header row with the columns
 * employee,item,score,period (required) and relation,rated_level,rated_at,
 * note,rater in any order, English names case-insensitive or their Chinese
 * aliases. JSON: an array of objects with the same keys, or
 * {"ratings": [...]}; score is a JSON integer, the rest strings or null.
 * A syntax error stops parsing; row errors are all collected up to the cap. */
RATINGS_MUST_CHECK enum ratings_status ratings_parse_csv(const struct catalog *cat, const char *buf, size_t len,
							 struct rating_batch *out);
RATINGS_MUST_CHECK enum ratings_status ratings_parse_json(const struct catalog *cat, const char *buf, size_t len,
							  struct rating_batch *out);
void ratings_free(struct rating_batch *b); /* NULL is a no-op */

/* [{"row","employee","item","score","relation","period","rated_level",
 *   "rated_at","note","rater"}], item and rated_level as codes; absent
 * values null; rater falls back to default_rater (null if that is NULL).
 * NULL on allocation failure. */
json_t *ratings_rows_json(const struct rating_batch *b, const char *default_rater);

/* [{"row","column","message"}] for the import report. */
json_t *ratings_errors_json(const struct rating_batch *b);

/* The relation code (static) for a code (ASCII case-insensitive) or its
 * Chinese name 自评/上级/同事/下属/客户/人力资源, trimmed; NULL when unknown. */
const char *ratings_relation_find(const char *s);

/* Strict RFC 3339 date-time: YYYY-MM-DD, 'T' (or 't' or one space),
 * HH:MM:SS, an optional fraction of 1..9 digits, then 'Z' or +HH:MM/-HH:MM.
 * The date must exist (no 2026-02-30); hours 00..23, no leap second. */
bool ratings_timestamp_valid(const char *s);

#endif
