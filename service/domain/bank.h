/* Question bank files (SPEC §5): parse CSV or JSON, validate every row
 * against the catalog, and give each question a canonical content form. */
#ifndef EXAMD_DOMAIN_BANK_H
#define EXAMD_DOMAIN_BANK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/catalog.h"
#include "domain/rowerr.h"

#define BANK_MUST_CHECK __attribute__((warn_unused_result))

#define BANK_MAX_OPTIONS 8
#define BANK_MAX_ERRORS 1000
#define BANK_MAX_QUESTIONS 100000
#define BANK_MAX_TEXT (64u * 1024u)  /* bytes per text field */
#define BANK_MAX_POINTS_CENTI 100000 /* 1000.00 points */
#define BANK_HASH_HEX_LEN 64

struct bank_question {
	size_t row;                              /* 1-based data row (CSV header excluded; JSON index + 1) */
	const struct catalog_item *item;         /* an exam item; borrowed from the catalog */
	const struct catalog_subtopic *subtopic; /* belongs to item */
	const struct catalog_level *level;
	enum catalog_qtype type;
	char *stem;
	char *options[BANK_MAX_OPTIONS]; /* single/multiple: option_count >= 2 */
	size_t option_count;             /* truefalse/fill: 0 */
	/* single: exactly one bit; multiple: two or more; bit i = letter 'A' + i */
	unsigned answer_mask;
	bool answer_bool;    /* truefalse */
	char **fill_answers; /* fill: accepted answers, trimmed, non-empty */
	size_t fill_count;
	int64_t points_centi; /* points x 100, > 0; default 100 */
	char *explanation;    /* NULL when absent or empty */
	char *external_id;    /* NULL when absent or empty */
};

struct bank {
	struct bank_question *questions;
	size_t question_count;
	struct row_error *errors; /* at most BANK_MAX_ERRORS kept */
	size_t error_count;
	size_t error_total;   /* all errors found, kept or not */
	size_t rows_rejected; /* data rows with at least one error */
	size_t rows_seen;     /* data rows read (blank rows skipped) */
	const char *encoding; /* CSV: "utf-8" or "gb18030" (converted); NULL for JSON */
	/* internal bookkeeping */
	size_t question_cap;
	size_t error_cap;
};

enum bank_status {
	BANK_OK,      /* no errors: every row is a valid question */
	BANK_INVALID, /* see errors; questions holds the rows that were valid */
	BANK_NOMEM,
};

/* Both parsers fill *out (which they zero first); call bank_free on it in
 * every case. A syntax error in the file stops parsing (it is reported with
 * the row it was found in); row errors are all collected up to the cap. */
BANK_MUST_CHECK enum bank_status bank_parse_csv(const struct catalog *cat, const char *buf, size_t len,
						struct bank *out);
BANK_MUST_CHECK enum bank_status bank_parse_json(const struct catalog *cat, const char *buf, size_t len,
						 struct bank *out);
void bank_free(struct bank *b);

/* {"item","subtopic","level","type","stem","options":[...],"answer",
 *  "points","explanation","external_id"} with codes for item, subtopic,
 * level and type; answer "B" | ["A","C"] | true | ["5G","第五代"]; points an
 * integer when whole, else a real (dump with JSON_REAL_PRECISION(15) to get
 * "2.5" style output). NULL on allocation failure. */
json_t *bank_question_to_json(const struct bank_question *q);

/* Answer alone in the API form above. */
json_t *bank_answer_to_json(const struct bank_question *q);

/* Letters of an option mask, sorted ("ACD"); out needs BANK_MAX_OPTIONS+1. */
void bank_answer_letters(unsigned mask, char out[BANK_MAX_OPTIONS + 1]);

/* SHA-256 (lower-case hex) of item, subtopic, level, type, stem, options,
 * answer and points in a length-prefixed canonical form: equal exactly when
 * that content is equal. Explanation and external_id are not included. */
BANK_MUST_CHECK bool bank_question_content_hash(const struct bank_question *q, char out[BANK_HASH_HEX_LEN + 1]);

/* [{"row","column","message"}...] for the import report. */
json_t *bank_errors_to_json(const struct bank *b);

/* Parses "1", "2.5", "0.25" into hundredths. False (with a message) for
 * anything else: not a number, <= 0, more than 2 decimals, too large. */
BANK_MUST_CHECK bool bank_parse_points(const char *s, int64_t *centi, const char **why);

#endif
