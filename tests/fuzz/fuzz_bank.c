/* libFuzzer target for the question bank parsers (domain/bank_*.c) and the
 * CSV reader under them (domain/csv.c); built and run by tests/fuzz/run.sh.
 *
 * Input convention: the first byte selects the format by its lowest bit,
 * the rest of the input is the file.
 *   odd  (e.g. 'c' = 0x63): CSV  -> bank_parse_csv, then the raw csv reader
 *                            over the same bytes, with default and tight limits
 *   even (e.g. 'j' = 0x6a): JSON -> bank_parse_json
 * Seed files in tests/fuzz/corpus/ start with 'c' or 'j' accordingly.
 *
 * Besides the sanitizers, the target traps on broken contracts of the
 * headers: status vs. error counts, the error cap, a valid question that
 * cannot be turned into JSON or hashed, a CSV field whose length or
 * NUL-termination disagrees with csv_field, an error that does not stick. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/bank.h"
#include "domain/catalog.h"
#include "domain/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                              \
	do {                                                                                                     \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_bank: contract broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                 \
		}                                                                                                \
	} while (0)

/* Reads the whole input as CSV; every field is touched so ASan sees any
 * out-of-bounds span. */
static void drive_csv(const char *buf, size_t len, const struct csv_limits *limits)
{
	struct csv_reader *r = NULL;
	if (!csv_reader_new(buf, len, limits, &r))
		return; /* out of memory */
	/* Every call consumes input or ends, so len + 2 calls must reach an end. */
	for (size_t guard = 0; guard < len + 2; guard++) {
		enum csv_status s = csv_next(r);
		if (s == CSV_END)
			break;
		if (s != CSV_RECORD) {
			CHECK(csv_status_message(s) != NULL);
			(void)csv_line(r);
			(void)csv_error_field(r);
			(void)csv_record_number(r);
			enum csv_status again = csv_next(r);
			CHECK(again == s); /* errors stick */
			break;
		}
		(void)csv_record_number(r);
		(void)csv_line(r);
		size_t n = csv_field_count(r);
		CHECK(n >= 1);
		for (size_t i = 0; i < n; i++) {
			size_t flen = (size_t)-1;
			const char *f = csv_field(r, i, &flen);
			CHECK(f != NULL);
			CHECK(strlen(f) == flen); /* NUL-terminated, no inner NUL */
			if (limits && limits->max_field_bytes)
				CHECK(flen <= limits->max_field_bytes);
		}
		if (limits && limits->max_columns)
			CHECK(n <= limits->max_columns);
	}
	csv_reader_free(r);
}

static void exercise_bank(const struct bank *b, enum bank_status st)
{
	if (st == BANK_NOMEM)
		return; /* partial results by design */
	CHECK((st == BANK_OK) == (b->error_total == 0));
	CHECK(b->error_count <= b->error_total);
	CHECK(b->error_count <= BANK_MAX_ERRORS);
	CHECK(b->question_count <= BANK_MAX_QUESTIONS);
	CHECK(b->rows_rejected <= b->rows_seen);

	json_t *errs = bank_errors_to_json(b);
	CHECK(errs != NULL); /* NULL means out of memory or an invalid UTF-8 message */
	CHECK(json_array_size(errs) == b->error_count);
	char *dump = json_dumps(errs, JSON_COMPACT);
	CHECK(dump != NULL);
	free(dump);
	json_decref(errs);

	for (size_t i = 0; i < b->question_count; i++) {
		const struct bank_question *q = &b->questions[i];
		CHECK(q->item && q->subtopic && q->level && q->stem);
		CHECK(q->subtopic->item == q->item);
		CHECK(q->points_centi > 0 && q->points_centi <= BANK_MAX_POINTS_CENTI);
		CHECK(q->option_count <= BANK_MAX_OPTIONS);

		json_t *j = bank_question_to_json(q);
		CHECK(j != NULL);
		char *s = json_dumps(j, JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
		CHECK(s != NULL);
		free(s);
		json_decref(j);

		char hash[BANK_HASH_HEX_LEN + 1];
		CHECK(bank_question_content_hash(q, hash));
		CHECK(strlen(hash) == BANK_HASH_HEX_LEN);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct catalog *cat;
	if (!cat) {
		cat = catalog_default();
		CHECK(cat != NULL);
	}
	if (size == 0)
		return 0;
	bool csv = (data[0] & 1) != 0;
	size_t len = size - 1;
	/* An exact-size copy so reads past the end hit ASan's redzone (and
	 * the parsers never rely on a NUL after the buffer). */
	char *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);

	struct bank b;
	enum bank_status st = csv ? bank_parse_csv(cat, buf, len, &b) : bank_parse_json(cat, buf, len, &b);
	exercise_bank(&b, st);
	bank_free(&b);

	if (csv) {
		drive_csv(buf, len, NULL);
		const struct csv_limits tight = {.max_columns = 3, .max_field_bytes = 8};
		drive_csv(buf, len, &tight);
	}
	free(buf);
	return 0;
}
