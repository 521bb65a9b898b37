/* What the parts of the bank parser share (domain/bank_parse.c: context, errors, points, the public entry points; bank_row.c: the
 * rules of SPEC §5 for one row; bank_csv.c and bank_json.c: the two file formats reduced to one
 * row_in; bank_canon.c: canonical JSON and the content hash). Not for use outside domain/bank*.c. */
#ifndef EXAMD_DOMAIN_BANK_PARSE_H
#define EXAMD_DOMAIN_BANK_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/bank.h"

#define BANK_MAX_EXTERNAL_ID 256
#define BANK_MAX_FILL_ANSWERS 256

enum field {
	F_ITEM,
	F_SUBTOPIC,
	F_LEVEL,
	F_TYPE,
	F_STEM,
	F_A,
	F_H = F_A + BANK_MAX_OPTIONS - 1,
	F_ANSWER,
	F_POINTS,
	F_EXPLANATION,
	F_EXTERNAL_ID,
	F_COUNT
};

struct bank_field {
	const char *name; /* the spec's column name, case-insensitive */
	const char *zh;   /* Chinese alias, exact */
	const char *zh2;  /* second alias, exact */
	bool required;
};
extern const struct bank_field bank_fields[F_COUNT];

struct strset {
	char **keys;
	size_t *rows;
	size_t cap; /* power of two */
	size_t count;
};

struct ctx {
	const struct catalog *cat;
	struct bank *b;
	bool nomem;
	bool stop;
	struct strset stems;
	struct strset external_ids;
};

enum answer_kind { AIN_NONE, AIN_TEXT, AIN_BOOL, AIN_LIST };

struct row_in {
	size_t row;
	bool json;
	const char *f[F_COUNT]; /* raw values; NULL = absent (JSON: no a..h) */
	bool bad[F_COUNT];      /* already reported while extracting */
	/* JSON options */
	const char *opts[BANK_MAX_OPTIONS];
	size_t nopts;
	bool bad_options;
	/* answer (CSV: always text) */
	enum answer_kind akind;
	bool abool;
	const char **alist;
	size_t alist_n;
};

/* The field whose name (or Chinese alias) is name[0..len), -1 when none. */
int bank_field_find(const char *name, size_t len);
bool bank_is_option(int f);
void bank_strset_free(struct strset *s);
/* false when out of memory; *existing = the row of an equal key already present (0 when new). */
bool bank_strset_add(struct strset *s, char *key, size_t row, size_t *existing);
void bank_add_error(struct ctx *x, size_t row, const char *column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void bank_question_free(struct bank_question *q);
bool bank_push_question(struct ctx *x, struct bank_question *q);
/* Checks one row by every rule of SPEC §5 and keeps the question when it passes. */
void bank_validate_row(struct ctx *x, const struct row_in *in, size_t errors_before);
/* Frees the context's sets; the parse's status. */
enum bank_status bank_finish(struct ctx *x);

#endif
