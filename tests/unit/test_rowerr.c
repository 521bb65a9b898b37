/* Unit tests for import error codes: every message format of the bank and ratings parsers has a
 * code of its own, and its parameters come out by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/bank.h"
#include "domain/catalog.h"
#include "domain/ratings.h"
#include "domain/rowerr.h"

static const struct row_error *find(const struct row_error *e, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].code, code))
			return &e[i];
	for (size_t i = 0; i < n; i++)
		print_message("row %zu %s %s: %s\n", e[i].row, e[i].column, e[i].code, e[i].message);
	fail_msg("no error with code %s", code);
	return NULL;
}

static void test_bank_letter_details(void **state)
{
	(void)state;
	const char *csv = "item,subtopic,level,type,stem,a,b,answer\n"
			  "general_knowledge,telecom_industry_overview,junior,single,题干一,甲,乙,A\n"
			  "general_knowledge,telecom_industry_overview,junior,single,题干二,甲,乙,E\n";
	struct bank b;
	assert_int_equal(bank_parse_csv(catalog_default(), csv, strlen(csv), &b), BANK_INVALID);
	const struct row_error *e = find(b.errors, b.error_count, "answer_letter_no_option");
	assert_int_equal(e->row, 2);
	assert_string_equal(e->column, "answer");
	assert_string_equal(json_string_value(json_object_get(e->details, "letter")), "E");
	json_t *j = row_errors_json(b.errors, b.error_count);
	assert_non_null(j);
	json_t *first = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(first, "code")), "answer_letter_no_option");
	assert_true(json_is_object(json_object_get(first, "details")));
	assert_non_null(json_object_get(first, "message"));
	json_decref(j);
	bank_free(&b);
}

static void test_ratings_score_details(void **state)
{
	(void)state;
	const char *csv = "employee,item,score,period\nemp3,achievement_orientation,7,2026H2\n"
			  "emp3,achievement_orientation,5,2026H2,extra\n";
	struct rating_batch rb;
	assert_int_equal(ratings_parse_csv(catalog_default(), csv, strlen(csv), &rb), RATINGS_INVALID);
	const struct row_error *e = find(rb.errors, rb.error_count, "score_range");
	assert_int_equal(e->row, 1);
	assert_string_equal(json_string_value(json_object_get(e->details, "value")), "7");
	e = find(rb.errors, rb.error_count, "field_count");
	assert_int_equal(json_integer_value(json_object_get(e->details, "count")), 5);
	assert_int_equal(json_integer_value(json_object_get(e->details, "expected")), 4);
	ratings_free(&rb);

	const char *unknown = "employee,item,score,评价周期\n";
	assert_int_equal(ratings_parse_csv(catalog_default(), unknown, strlen(unknown), &rb), RATINGS_INVALID);
	e = find(rb.errors, rb.error_count, "unknown_column");
	assert_string_equal(json_string_value(json_object_get(e->details, "value")), "评价周期");
	ratings_free(&rb);
}

/* Every add_error format of the bank parser (domain/bank_*.c) and ratings.c is in the table (else the
 * UI could only say "invalid value"). Reads the sources: the formats are the first string literal
 * after the column. Returns how many formats were checked. */
static size_t check_source(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	size_t checked = 0;
	for (char *p = strstr(text, "add_error("); p; p = strstr(p + 1, "add_error(")) {
		if (!strncmp(p, "add_error(struct", 16))
			continue;
		/* Skip to the format: the first '"' after the second comma at depth 0. */
		char *q = p + strlen("add_error(");
		int commas = 0, depth = 0;
		for (; *q && commas < 3; q++) {
			if (*q == '"') { /* a string literal among the first arguments (the column) */
				for (q++; *q && *q != '"'; q++)
					if (*q == '\\')
						q++;
				continue;
			}
			if (*q == '(')
				depth++;
			else if (*q == ')')
				depth--;
			else if (*q == ',' && depth == 0)
				commas++;
		}
		/* q is after the third comma: the format, possibly several adjacent literals. */
		char fmt[512];
		size_t k = 0;
		for (;;) {
			while (*q == ' ' || *q == '\t' || *q == '\n')
				q++;
			if (*q != '"')
				break;
			for (q++; *q && *q != '"' && k < sizeof fmt - 1; q++) {
				if (*q == '\\') {
					q++;
					fmt[k++] = *q;
				} else {
					fmt[k++] = *q;
				}
			}
			q++;
			/* JSON_INTEGER_FORMAT between literals */
			while (*q == ' ')
				q++;
			if (!strncmp(q, "JSON_INTEGER_FORMAT", 19)) {
				memcpy(fmt + k, JSON_INTEGER_FORMAT, strlen(JSON_INTEGER_FORMAT));
				k += strlen(JSON_INTEGER_FORMAT);
				q += 19;
			}
		}
		fmt[k] = '\0';
		if (!k)
			continue;
		if (!strcmp(rowerr_code_of(fmt, NULL), "invalid_value"))
			fail_msg("%s: format without a code: \"%s\"", path, fmt);
		checked++;
	}
	return checked;
}

static void test_every_format_has_a_code(void **state)
{
	(void)state;
	size_t bank = check_source(EXAMD_SOURCE_DIR "/service/domain/bank_row.c") +
		      check_source(EXAMD_SOURCE_DIR "/service/domain/bank_csv.c") +
		      check_source(EXAMD_SOURCE_DIR "/service/domain/bank_json.c");
	assert_true(bank > 40);
	assert_true(check_source(EXAMD_SOURCE_DIR "/service/domain/ratings.c") > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bank_letter_details),
		cmocka_unit_test(test_ratings_score_details),
		cmocka_unit_test(test_every_format_has_a_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
