/* Unit tests for behaviour-rating import parsing and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/ratings.h"

#define HEADER "employee,item,score,relation,period,rated_level,rated_at,note,rater\n"
#define MIN_HEADER "employee,item,score,period\n"

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

static enum ratings_status parse_csv(const char *text, struct rating_batch *b)
{
	return ratings_parse_csv(cat(), text, strlen(text), b);
}

static enum ratings_status parse_json(const char *text, struct rating_batch *b)
{
	return ratings_parse_json(cat(), text, strlen(text), b);
}

static void dump_errors(const struct rating_batch *b)
{
	for (size_t i = 0; i < b->error_count; i++)
		print_message("  error row %zu column '%s': %s\n", b->errors[i].row, b->errors[i].column,
			      b->errors[i].message);
}

/* Asserts an error with exactly this row and column whose message contains
 * want. */
static void expect_error(const struct rating_batch *b, size_t row, const char *column, const char *want)
{
	for (size_t i = 0; i < b->error_count; i++) {
		const struct row_error *e = &b->errors[i];
		if (e->row == row && strcmp(e->column, column) == 0 && strstr(e->message, want))
			return;
	}
	dump_errors(b);
	fail_msg("no error at row %zu column '%s' containing '%s'", row, column, want);
}

static void expect_no_errors(const struct rating_batch *b)
{
	if (b->error_count) {
		dump_errors(b);
		fail_msg("%zu unexpected errors", b->error_count);
	}
}

/* The only error of a one-row batch is at row, column. */
static void expect_single_csv_error(const char *text, size_t row, const char *column, const char *want)
{
	struct rating_batch b;
	assert_int_equal(parse_csv(text, &b), RATINGS_INVALID);
	expect_error(&b, row, column, want);
	if (b.error_count != 1) {
		dump_errors(&b);
		fail_msg("expected exactly one error for: %s", text);
	}
	assert_int_equal(b.count, 0);
	ratings_free(&b);
}

static void expect_single_json_error(const char *text, size_t row, const char *column, const char *want)
{
	struct rating_batch b;
	assert_int_equal(parse_json(text, &b), RATINGS_INVALID);
	expect_error(&b, row, column, want);
	if (b.error_count != 1) {
		dump_errors(&b);
		fail_msg("expected exactly one error for: %s", text);
	}
	ratings_free(&b);
}

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void expect_json(json_t *got, const char *want)
{
	json_t *exp = load(want);
	assert_non_null(got);
	if (!json_equal(got, exp)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		print_message("got %s\n", g);
		free(g);
		json_decref(got);
		json_decref(exp);
		fail_msg("JSON differs from %s", want);
	}
	json_decref(got);
	json_decref(exp);
}

/* A CSV with the minimal header and one row with the given score. */
static void check_csv_score(const char *score, bool ok, const char *want)
{
	char text[256];
	snprintf(text, sizeof text, MIN_HEADER "alice,execution,%s,2026H2\n", score);
	if (ok) {
		struct rating_batch b;
		assert_int_equal(parse_csv(text, &b), RATINGS_OK);
		ratings_free(&b);
	} else {
		expect_single_csv_error(text, 1, "score", want);
	}
}

/* ---- CSV ---- */

static void csv_full_row(void **state)
{
	struct rating_batch b;
	const char *text =
		HEADER "alice,execution,5,peer,2026H2,senior,2026-07-01T09:30:00+08:00,\"Good, steady\",bob\n"
		       "bob , resilience , 0 ,,2026H2,,, ,\n";
	assert_int_equal(parse_csv(text, &b), RATINGS_OK);
	expect_no_errors(&b);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.rows_seen, 2);
	assert_int_equal(b.rows_rejected, 0);

	const struct rating_row *r = &b.rows[0];
	assert_int_equal(r->row, 1);
	assert_string_equal(r->employee, "alice");
	assert_string_equal(r->item->code, "execution");
	assert_int_equal(r->score, 5);
	assert_string_equal(r->relation, "peer");
	assert_string_equal(r->period, "2026H2");
	assert_string_equal(r->rated_level->code, "senior");
	assert_string_equal(r->rated_at, "2026-07-01T09:30:00+08:00");
	assert_string_equal(r->note, "Good, steady");
	assert_string_equal(r->rater, "bob");

	r = &b.rows[1];
	assert_int_equal(r->row, 2);
	assert_string_equal(r->employee, "bob"); /* trimmed */
	assert_string_equal(r->item->code, "resilience");
	assert_int_equal(r->score, 0);
	assert_string_equal(r->relation, "supervisor");
	assert_null(r->rated_level);
	assert_null(r->rated_at);
	assert_null(r->note);
	assert_null(r->rater);

	expect_json(ratings_rows_json(&b, "hr1"),
		    "[{\"row\":1,\"employee\":\"alice\",\"item\":\"execution\",\"score\":5,"
		    "\"relation\":\"peer\",\"period\":\"2026H2\",\"rated_level\":\"senior\","
		    "\"rated_at\":\"2026-07-01T09:30:00+08:00\",\"note\":\"Good, steady\",\"rater\":\"bob\"},"
		    "{\"row\":2,\"employee\":\"bob\",\"item\":\"resilience\",\"score\":0,"
		    "\"relation\":\"supervisor\",\"period\":\"2026H2\",\"rated_level\":null,"
		    "\"rated_at\":null,\"note\":null,\"rater\":\"hr1\"}]");
	expect_json(ratings_errors_json(&b), "[]");
	ratings_free(&b);
}

static void csv_defaults_minimal_header(void **state)
{
	struct rating_batch b;
	assert_int_equal(parse_csv(MIN_HEADER "alice,coordination,6,2026H1\n", &b), RATINGS_OK);
	assert_int_equal(b.count, 1);
	assert_string_equal(b.rows[0].relation, "supervisor");
	assert_null(b.rows[0].rater);
	expect_json(ratings_rows_json(&b, NULL),
		    "[{\"row\":1,\"employee\":\"alice\",\"item\":\"coordination\",\"score\":6,"
		    "\"relation\":\"supervisor\",\"period\":\"2026H1\",\"rated_level\":null,"
		    "\"rated_at\":null,\"note\":null,\"rater\":null}]");
	ratings_free(&b);
}

static void csv_any_order_case_bom_crlf(void **state)
{
	struct rating_batch b;
	const char *text = "\xEF\xBB\xBF"
			   "PERIOD,Score,Note,Item,Employee\r\n"
			   "2026H2,4,\"line one\nline two\",needs_analysis,carol\r\n";
	assert_int_equal(parse_csv(text, &b), RATINGS_OK);
	expect_no_errors(&b);
	assert_int_equal(b.count, 1);
	assert_string_equal(b.rows[0].employee, "carol");
	assert_string_equal(b.rows[0].item->code, "needs_analysis");
	assert_int_equal(b.rows[0].score, 4);
	assert_string_equal(b.rows[0].note, "line one\nline two");
	ratings_free(&b);
}

static void csv_chinese_headers_and_values(void **state)
{
	struct rating_batch b;
	const char *text = "员工,素质项,分数,评价关系,考核周期,评价级别,评价时间,备注,评价人\n"
			   "alice,成就导向,5,同事,2026年下半年,高级,2026-07-01 09:30:00Z,表现良好,王经理\n"
			   "bob,客户关系能力,3,自评,2026H2,初级,,,\n"
			   "carol,execution,2,上级,2026H2,中级,,,\n"
			   "dave,execution,2,下属,2026H2,资深,,,\n"
			   "erin,execution,2,客户,2026H2,,,,\n"
			   "fay,execution,2,人力资源,2026H2,,,,\n";
	assert_int_equal(parse_csv(text, &b), RATINGS_OK);
	expect_no_errors(&b);
	assert_int_equal(b.count, 6);
	assert_string_equal(b.rows[0].item->code, "achievement_orientation");
	assert_string_equal(b.rows[0].relation, "peer");
	assert_string_equal(b.rows[0].period, "2026年下半年");
	assert_string_equal(b.rows[0].rated_level->code, "senior");
	assert_string_equal(b.rows[0].rated_at, "2026-07-01 09:30:00Z");
	assert_string_equal(b.rows[0].note, "表现良好");
	assert_string_equal(b.rows[0].rater, "王经理");
	assert_string_equal(b.rows[1].item->code, "customer_relationship");
	assert_string_equal(b.rows[1].relation, "self");
	assert_string_equal(b.rows[1].rated_level->code, "junior");
	assert_string_equal(b.rows[2].relation, "supervisor");
	assert_string_equal(b.rows[2].rated_level->code, "intermediate");
	assert_string_equal(b.rows[3].relation, "subordinate");
	assert_string_equal(b.rows[3].rated_level->code, "expert");
	assert_string_equal(b.rows[4].relation, "customer");
	assert_string_equal(b.rows[5].relation, "hr");
	ratings_free(&b);

	/* The other aliases. */
	assert_int_equal(parse_csv("能力项,评分,关系,周期,员工\n执行能力,1,HR,2026H2,alice\n", &b), RATINGS_OK);
	expect_no_errors(&b);
	assert_string_equal(b.rows[0].item->code, "execution");
	assert_int_equal(b.rows[0].score, 1);
	assert_string_equal(b.rows[0].relation, "hr");
	ratings_free(&b);
}

static void csv_header_errors(void **state)
{
	struct rating_batch b;
	assert_int_equal(parse_csv("employee,item,relation\nalice,execution,peer\n", &b), RATINGS_INVALID);
	expect_error(&b, 0, "score", "required column score (评分) is missing");
	expect_error(&b, 0, "period", "required column period (周期) is missing");
	assert_int_equal(b.error_count, 2);
	assert_int_equal(b.count, 0);
	ratings_free(&b);

	assert_int_equal(parse_csv("employee,员工,item,score,period\na,a,execution,5,P\n", &b), RATINGS_INVALID);
	expect_error(&b, 0, "employee", "column employee appears more than once (columns 1 and 2)");
	ratings_free(&b);

	/* Unknown column: reported on row 0, rows are still checked. */
	assert_int_equal(parse_csv("employee,item,score,period,grade\n"
				   "alice,execution,5,2026H2,3\n"
				   "bob,execution,9,2026H2,3\n",
				   &b),
			 RATINGS_INVALID);
	expect_error(&b, 0, "grade", "unknown column 'grade'");
	expect_error(&b, 2, "score", "score must be from 0 to 6");
	assert_int_equal(b.error_count, 2);
	ratings_free(&b);

	expect_single_csv_error("", 0, "", "the file is empty");
	expect_single_csv_error("\xEF\xBB\xBF", 0, "", "the file is empty");
	expect_single_csv_error(HEADER, 0, "", "no rating rows");
	expect_single_csv_error(HEADER ",,,,,,,,\n", 0, "", "no rating rows");
	expect_single_csv_error("employee,\"item\nx,score,period\n", 0, "", "CSV error in the header");
}

static void csv_item_rules(void **state)
{
	expect_single_csv_error(MIN_HEADER "alice,general_knowledge,5,2026H2\n", 1, "item", "scored by exams");
	expect_single_csv_error(MIN_HEADER "alice,通用基础知识,5,2026H2\n", 1, "item",
				"general_knowledge (通用基础知识) is a knowledge item scored by exams");
	expect_single_csv_error(MIN_HEADER "alice,flying,5,2026H2\n", 1, "item", "unknown item 'flying'");
	expect_single_csv_error(MIN_HEADER "alice, ,5,2026H2\n", 1, "item", "item is required");

	struct rating_batch b;
	assert_int_equal(parse_csv(MIN_HEADER "alice,EXECUTION,5,2026H2\n", &b), RATINGS_OK);
	assert_string_equal(b.rows[0].item->code, "execution");
	ratings_free(&b);
}

static void csv_score_rules(void **state)
{
	check_csv_score("0", true, NULL);
	check_csv_score("6", true, NULL);
	check_csv_score(" 3 ", true, NULL);
	check_csv_score("05", true, NULL);
	check_csv_score("5.0", false, "score must be a whole number from 0 to 6, got '5.0'");
	check_csv_score("-1", false, "whole number from 0 to 6, got '-1'");
	check_csv_score("+1", false, "whole number");
	check_csv_score("abc", false, "whole number from 0 to 6, got 'abc'");
	check_csv_score("五", false, "whole number");
	check_csv_score("7", false, "score must be from 0 to 6, got '7'");
	check_csv_score("99999999999999999999", false, "must be from 0 to 6");
	check_csv_score("", false, "score is required");
}

static void csv_relation_rules(void **state)
{
	static const char *ok[][2] = {
		{"self", "self"},         {"Supervisor", "supervisor"},
		{"peer", "peer"},         {"subordinate", "subordinate"},
		{"customer", "customer"}, {"hr", "hr"},
		{"自评", "self"},         {"人力资源", "hr"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char text[256];
		struct rating_batch b;
		snprintf(text, sizeof text, HEADER "alice,execution,5,%s,2026H2,,,,\n", ok[i][0]);
		assert_int_equal(parse_csv(text, &b), RATINGS_OK);
		assert_string_equal(b.rows[0].relation, ok[i][1]);
		ratings_free(&b);
	}
	expect_single_csv_error(HEADER "alice,execution,5,boss,2026H2,,,,\n", 1, "relation", "unknown relation 'boss'");
	assert_string_equal(ratings_relation_find(" 同事 "), "peer");
	assert_null(ratings_relation_find("manager"));
	assert_null(ratings_relation_find(NULL));
}

static void csv_period_rules(void **state)
{
	expect_single_csv_error(MIN_HEADER "alice,execution,5,\n", 1, "period", "period is required");
	expect_single_csv_error(MIN_HEADER "alice,execution,5,  \n", 1, "period", "period is required");
	/* 32 bytes are fine, 33 are not. */
	struct rating_batch b;
	assert_int_equal(parse_csv(MIN_HEADER "a,execution,5,12345678901234567890123456789012\n", &b), RATINGS_OK);
	ratings_free(&b);
	expect_single_csv_error(MIN_HEADER "a,execution,5,123456789012345678901234567890123\n", 1, "period",
				"period is too long (at most 32 bytes)");
	expect_single_csv_error(MIN_HEADER "a,execution,5,\"2026\tH2\"\n", 1, "period", "control characters");
	expect_single_csv_error(MIN_HEADER "a,execution,5,\"2026\nH2\"\n", 1, "period", "control characters");
}

static void csv_level_rules(void **state)
{
	expect_single_csv_error(HEADER "alice,execution,5,,2026H2,master,,,\n", 1, "rated_level",
				"unknown level 'master'");
	struct rating_batch b;
	assert_int_equal(parse_csv(HEADER "alice,execution,5,,2026H2,Expert,,,\n", &b), RATINGS_OK);
	assert_string_equal(b.rows[0].rated_level->code, "expert");
	ratings_free(&b);
}

static void csv_employee_rules(void **state)
{
	expect_single_csv_error(MIN_HEADER ",execution,5,2026H2\n", 1, "employee", "employee is required");
	expect_single_csv_error(MIN_HEADER "bad name,execution,5,2026H2\n", 1, "employee",
				"employee must be a username");
	expect_single_csv_error(MIN_HEADER "_alice,execution,5,2026H2\n", 1, "employee", "got '_alice'");
	struct rating_batch b;
	assert_int_equal(parse_csv(MIN_HEADER "a.b-c_d@x,execution,5,2026H2\n", &b), RATINGS_OK);
	assert_string_equal(b.rows[0].employee, "a.b-c_d@x");
	ratings_free(&b);
}

static void csv_note_and_rater_limits(void **state)
{
	size_t cap = 8192;
	char *text = malloc(cap);
	char *note = malloc(2002);
	char *rater = malloc(202);
	assert_non_null(text);
	assert_non_null(note);
	assert_non_null(rater);
	memset(note, 'n', 2001);
	note[2001] = '\0';
	memset(rater, 'r', 201);
	rater[201] = '\0';
	struct rating_batch b;

	/* At the limits. */
	snprintf(text, cap, HEADER "alice,execution,5,,P,,,%.2000s,%.200s\n", note, rater);
	assert_int_equal(parse_csv(text, &b), RATINGS_OK);
	assert_int_equal(strlen(b.rows[0].note), 2000);
	assert_int_equal(strlen(b.rows[0].rater), 200);
	ratings_free(&b);

	/* One byte over each: two errors on the same row. */
	snprintf(text, cap, HEADER "alice,execution,5,,P,,,%s,%s\n", note, rater);
	assert_int_equal(parse_csv(text, &b), RATINGS_INVALID);
	expect_error(&b, 1, "note", "note is too long (at most 2000 bytes)");
	expect_error(&b, 1, "rater", "rater is too long (at most 200 bytes)");
	assert_int_equal(b.error_count, 2);
	assert_int_equal(b.rows_rejected, 1);
	ratings_free(&b);

	expect_single_csv_error(HEADER "alice,execution,5,,P,,,,\"x\ty\"\n", 1, "rater", "control characters");
	expect_single_csv_error(HEADER "alice,execution,5,,P,,,\"bell\x07\",\n", 1, "note", "control characters");
	free(text);
	free(note);
	free(rater);
}

static void csv_rated_at(void **state)
{
	expect_single_csv_error(HEADER "alice,execution,5,,P,,2026-02-30T10:00:00Z,,\n", 1, "rated_at",
				"is not a real calendar date, got '2026-02-30T10:00:00Z'");
	expect_single_csv_error(HEADER "alice,execution,5,,P,,2026-07-01,,\n", 1, "rated_at",
				"must be an RFC 3339 timestamp");
	expect_single_csv_error(HEADER "alice,execution,5,,P,,2026-07-01T10:00:00,,\n", 1, "rated_at",
				"needs a time zone");
	struct rating_batch b;
	assert_int_equal(parse_csv(HEADER "alice,execution,5,,P,, 2026-07-01T10:00:00.5Z ,,\n", &b), RATINGS_OK);
	assert_string_equal(b.rows[0].rated_at, "2026-07-01T10:00:00.5Z");
	ratings_free(&b);
}

static void timestamp_rules(void **state)
{
	static const char *good[] = {
		"2026-07-01T09:30:00+08:00",
		"2026-07-01 09:30:00Z",
		"2026-07-01t09:30:00z",
		"2026-07-01T09:30:00.123456Z",
		"2026-07-01T09:30:00.123456789-05:30",
		"2024-02-29T00:00:00Z",
		"2000-02-29T23:59:59+00:00",
		"0001-01-01T00:00:00Z",
		"2026-12-31T23:59:59-23:59",
	};
	static const char *bad[] = {
		"",
		"yesterday",
		"2026-07-01",
		"2026-07-01T09:30:00",
		"2026-07-01T09:30Z",
		"2026-02-30T00:00:00Z",
		"2025-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-01-00T00:00:00Z",
		"0000-01-01T00:00:00Z",
		"2026-07-01T24:00:00Z",
		"2026-07-01T09:60:00Z",
		"2026-07-01T09:30:60Z",
		"2026-07-01T09:30:00+24:00",
		"2026-07-01T09:30:00+08:60",
		"2026-07-01T09:30:00+0800",
		"2026-07-01T09:30:00+08",
		"2026-7-01T09:30:00Z",
		"2026-07-01T9:30:00Z",
		"2026-07-01T09:30:00.Z",
		"2026-07-01T09:30:00.1234567890Z",
		"2026-07-01T09:30:00Z ",
		"2026-07-01T09:30:00ZZ",
		"2026-07-01X09:30:00Z",
		"2026-07-01  09:30:00Z",
		"+2026-07-01T09:30:00Z",
		"2026/07/01T09:30:00Z",
		"2026-07-01T09:30:00 +08:00",
		"2026-07-01T09:30:00UTC",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		if (!ratings_timestamp_valid(good[i]))
			fail_msg("rejected %s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (ratings_timestamp_valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_false(ratings_timestamp_valid(NULL));
}

static void csv_collects_all_row_errors(void **state)
{
	struct rating_batch b;
	const char *text = HEADER "alice,execution,5,,2026H2,,,,\n"
				  "\n"         /* blank line: not a record */
				  ",,,,,,,,\n" /* empty cells: a record, skipped */
				  "bob,flying,7,boss,,master,2026-02-30T00:00:00Z,,\n"
				  "carol,execution,5,,2026H2,,,,,extra\n"
				  "dave,execution,4,,2026H2,,,,\n";
	assert_int_equal(parse_csv(text, &b), RATINGS_INVALID);
	expect_error(&b, 3, "item", "unknown item 'flying'");
	expect_error(&b, 3, "score", "got '7'");
	expect_error(&b, 3, "relation", "unknown relation 'boss'");
	expect_error(&b, 3, "period", "period is required");
	expect_error(&b, 3, "rated_level", "unknown level 'master'");
	expect_error(&b, 3, "rated_at", "not a real calendar date");
	expect_error(&b, 4, "", "row has 10 fields but the header has 9 columns");
	assert_int_equal(b.error_count, 7);
	assert_int_equal(b.error_total, 7);
	assert_int_equal(b.rows_seen, 4);
	assert_int_equal(b.rows_rejected, 2);
	assert_int_equal(b.count, 2); /* the valid ones, for the record; nothing is imported */
	assert_int_equal(b.rows[0].row, 1);
	assert_int_equal(b.rows[1].row, 5);
	expect_json(
		ratings_errors_json(&b),
		"[{\"row\":3,\"column\":\"item\",\"code\":\"unknown_behaviour_item\",\"details\":{\"value\":\"flying\"},\"message\":\"unknown item 'flying' (use a behaviour item code or its Chinese name)\"},"
		"{\"row\":3,\"column\":\"score\",\"code\":\"score_range\",\"details\":{\"value\":\"7\"},\"message\":\"score must be from 0 to 6, got '7'\"},"
		"{\"row\":3,\"column\":\"relation\",\"code\":\"unknown_relation\",\"details\":{\"value\":\"boss\"},\"message\":\"unknown relation 'boss' (use self, supervisor, peer, subordinate, customer, hr or 自评, 上级, 同事, 下属, 客户, 人力资源)\"},"
		"{\"row\":3,\"column\":\"period\",\"code\":\"required\",\"details\":{},\"message\":\"period is required (e.g. 2026H2)\"},"
		"{\"row\":3,\"column\":\"rated_level\",\"code\":\"unknown_level\",\"details\":{\"value\":\"master\"},\"message\":\"unknown level 'master' (use junior, intermediate, senior, expert or 初级, 中级, 高级, 资深)\"},"
		"{\"row\":3,\"column\":\"rated_at\",\"code\":\"invalid_time\",\"details\":{\"value\":\"2026-02-30T00:00:00Z\"},\"message\":\"rated_at is not a real calendar date, got '2026-02-30T00:00:00Z'\"},"
		"{\"row\":4,\"column\":\"\",\"code\":\"field_count\",\"details\":{\"count\":10,\"expected\":9},\"message\":\"row has 10 fields but the header has 9 columns\"}]");
	ratings_free(&b);
}

static void csv_unnamed_column(void **state)
{
	struct rating_batch b;
	/* An unnamed column is fine while empty. */
	assert_int_equal(parse_csv("employee,,item,score,period\nalice,,execution,5,P\n", &b), RATINGS_OK);
	ratings_free(&b);
	expect_single_csv_error("employee,,item,score,period\nalice,x,execution,5,P\n", 1, "",
				"a column without a header name");
}

static void csv_syntax_error_stops(void **state)
{
	struct rating_batch b;
	const char *text = MIN_HEADER "alice,execution,5,P\n"
				      "bob,exec\"ution,5,P\n"
				      "carol,execution,99,P\n";
	assert_int_equal(parse_csv(text, &b), RATINGS_INVALID);
	expect_error(&b, 2, "item", "CSV error on line 3");
	assert_int_equal(b.error_count, 1);
	assert_int_equal(b.rows_seen, 2);
	assert_int_equal(b.rows_rejected, 1);
	ratings_free(&b);
}

static void csv_error_cap(void **state)
{
	size_t n = 1500;
	size_t cap = 64 + n * 32;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t len = (size_t)snprintf(text, cap, MIN_HEADER);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "u%zu,execution,9,P\n", i);
	struct rating_batch b;
	assert_int_equal(ratings_parse_csv(cat(), text, len, &b), RATINGS_INVALID);
	assert_int_equal(b.error_count, RATINGS_MAX_ERRORS);
	assert_int_equal(b.error_total, n);
	assert_int_equal(b.rows_rejected, n);
	assert_int_equal(b.rows_seen, n);
	expect_error(&b, 1000, "score", "got '9'");
	ratings_free(&b);
	free(text);
}

static void csv_row_cap(void **state)
{
	size_t n = RATINGS_MAX_ROWS + 1;
	size_t cap = 64 + n * 24;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t len = (size_t)snprintf(text, cap, MIN_HEADER);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "u,execution,5,P\n");
	struct rating_batch b;
	assert_int_equal(ratings_parse_csv(cat(), text, len, &b), RATINGS_INVALID);
	expect_error(&b, 0, "", "too many ratings in one import (at most 100000)");
	assert_int_equal(b.error_count, 1);
	assert_int_equal(b.rows_seen, RATINGS_MAX_ROWS);
	ratings_free(&b);

	/* Exactly the cap is fine. */
	len -= strlen("u,execution,5,P\n");
	assert_int_equal(ratings_parse_csv(cat(), text, len, &b), RATINGS_OK);
	assert_int_equal(b.count, RATINGS_MAX_ROWS);
	ratings_free(&b);
	free(text);
}

/* ---- JSON ---- */

static void json_array_and_wrapped(void **state)
{
	static const char *rows =
		"[{\"employee\":\"alice\",\"item\":\"execution\",\"score\":5,\"relation\":\"peer\","
		"\"period\":\"2026H2\",\"rated_level\":\"senior\",\"rated_at\":\"2026-07-01T09:30:00Z\","
		"\"note\":\" ok \",\"rater\":\"bob\"},"
		"{\"employee\":\"carol\",\"item\":\"情绪控制能力\",\"score\":0,\"period\":\"2026H2\","
		"\"relation\":null,\"rated_level\":null,\"rated_at\":null,\"note\":\"\",\"rater\":null}]";
	static const char *want = "[{\"row\":1,\"employee\":\"alice\",\"item\":\"execution\",\"score\":5,"
				  "\"relation\":\"peer\",\"period\":\"2026H2\",\"rated_level\":\"senior\","
				  "\"rated_at\":\"2026-07-01T09:30:00Z\",\"note\":\"ok\",\"rater\":\"bob\"},"
				  "{\"row\":2,\"employee\":\"carol\",\"item\":\"emotional_control\",\"score\":0,"
				  "\"relation\":\"supervisor\",\"period\":\"2026H2\",\"rated_level\":null,"
				  "\"rated_at\":null,\"note\":null,\"rater\":\"me\"}]";
	struct rating_batch b;
	assert_int_equal(parse_json(rows, &b), RATINGS_OK);
	expect_no_errors(&b);
	assert_int_equal(b.rows_seen, 2);
	expect_json(ratings_rows_json(&b, "me"), want);
	ratings_free(&b);

	char wrapped[1024];
	snprintf(wrapped, sizeof wrapped, "{\"ratings\": %s}", rows);
	assert_int_equal(parse_json(wrapped, &b), RATINGS_OK);
	expect_json(ratings_rows_json(&b, "me"), want);
	ratings_free(&b);
}

static void json_chinese_keys(void **state)
{
	struct rating_batch b;
	assert_int_equal(parse_json("[{\"员工\":\"alice\",\"能力项\":\"协调能力\",\"评分\":4,"
				    "\"评价关系\":\"客户\",\"考核周期\":\"2026H2\",\"评价级别\":\"中级\","
				    "\"评价时间\":\"2026-01-02T03:04:05+08:00\",\"备注\":\"好\",\"评价人\":\"李四\"}]",
				    &b),
			 RATINGS_OK);
	expect_no_errors(&b);
	expect_json(ratings_rows_json(&b, "hr1"),
		    "[{\"row\":1,\"employee\":\"alice\",\"item\":\"coordination\",\"score\":4,"
		    "\"relation\":\"customer\",\"period\":\"2026H2\",\"rated_level\":\"intermediate\","
		    "\"rated_at\":\"2026-01-02T03:04:05+08:00\",\"note\":\"好\",\"rater\":\"李四\"}]");
	ratings_free(&b);
}

static void json_score_types(void **state)
{
#define ROW(score) "[{\"employee\":\"a\",\"item\":\"execution\",\"score\":" score ",\"period\":\"P\"}]"
	expect_single_json_error(ROW("\"5\""), 1, "score", "score must be a JSON integer from 0 to 6, not a string");
	expect_single_json_error(ROW("5.0"), 1, "score",
				 "score must be a whole number from 0 to 6 (a JSON integer), got 5.0");
	expect_single_json_error(ROW("4.5"), 1, "score", "got 4.5");
	expect_single_json_error(ROW("7"), 1, "score", "score must be from 0 to 6, got 7");
	expect_single_json_error(ROW("-1"), 1, "score", "got -1");
	expect_single_json_error(ROW("true"), 1, "score", "not a boolean");
	expect_single_json_error(ROW("null"), 1, "score", "score is required");
	expect_single_json_error(ROW("[5]"), 1, "score", "not an array");
#undef ROW
	expect_single_json_error("[{\"employee\":\"a\",\"item\":\"execution\",\"period\":\"P\"}]", 1, "score",
				 "score is required");
}

static void json_field_types_and_keys(void **state)
{
	expect_single_json_error("[{\"employee\":42,\"item\":\"execution\",\"score\":5,\"period\":\"P\"}]", 1,
				 "employee", "employee must be a string, not an integer");
	expect_single_json_error("[{\"employee\":\"a\",\"item\":\"execution\",\"score\":5,\"period\":2026}]", 1,
				 "period", "period must be a string, not an integer");
	expect_single_json_error("[{\"employee\":\"a\",\"item\":[\"execution\"],\"score\":5,\"period\":\"P\"}]", 1,
				 "item", "item must be a string, not an array");
	expect_single_json_error(
		"[{\"employee\":\"a\",\"item\":\"execution\",\"score\":5,\"period\":\"P\",\"grade\":3}]", 1, "grade",
		"unknown field 'grade'");
	expect_single_json_error(
		"[{\"employee\":\"a\",\"员工\":\"b\",\"item\":\"execution\",\"score\":5,\"period\":\"P\"}]", 1,
		"employee", "employee is given twice (as 'employee' and '员工')");
	expect_single_json_error("[{\"employee\":\"a\",\"item\":\"general_knowledge\",\"score\":5,\"period\":\"P\"}]",
				 1, "item", "scored by exams");

	/* Keys are case-insensitive like CSV headers. */
	struct rating_batch b;
	assert_int_equal(parse_json("[{\"Employee\":\"a\",\"ITEM\":\"execution\",\"Score\":5,\"Period\":\"P\"}]", &b),
			 RATINGS_OK);
	ratings_free(&b);
}

static void json_row_numbers_and_shapes(void **state)
{
	struct rating_batch b;
	assert_int_equal(parse_json("[{\"employee\":\"a\",\"item\":\"execution\",\"score\":5,\"period\":\"P\"},"
				    "\"not an object\","
				    "{\"employee\":\"b\",\"item\":\"execution\",\"score\":5},"
				    "{\"employee\":\"c\",\"item\":\"execution\",\"score\":6,\"period\":\"P\","
				    "\"rated_at\":\"2026-02-29T00:00:00Z\"}]",
				    &b),
			 RATINGS_INVALID);
	expect_error(&b, 2, "", "each rating must be a JSON object, got a string");
	expect_error(&b, 3, "period", "period is required");
	expect_error(&b, 4, "rated_at", "not a real calendar date");
	assert_int_equal(b.error_count, 3);
	assert_int_equal(b.rows_seen, 4);
	assert_int_equal(b.rows_rejected, 3);
	assert_int_equal(b.count, 1);
	ratings_free(&b);
}

static void json_top_level(void **state)
{
	expect_single_json_error("[]", 0, "", "the import has no ratings");
	expect_single_json_error("{\"ratings\": []}", 0, "", "the import has no ratings");
	expect_single_json_error("{}", 0, "ratings", "expected a JSON array of ratings");
	expect_single_json_error("{\"ratings\": {}}", 0, "ratings", "ratings must be an array, not an object");
	expect_single_json_error("42", 0, "", "got an integer");
	expect_single_json_error("[{\"employee\":\"a\"", 0, "", "invalid JSON on line 1");
	expect_single_json_error("", 0, "", "invalid JSON");
	expect_single_json_error("[{\"employee\":\"a\",\"employee\":\"b\"}]", 0, "", "duplicate");

	struct rating_batch b;
	assert_int_equal(parse_json("{\"questions\": []}", &b), RATINGS_INVALID);
	expect_error(&b, 0, "questions", "unknown field 'questions'");
	expect_error(&b, 0, "ratings", "expected a JSON array of ratings");
	assert_int_equal(b.error_count, 2);
	ratings_free(&b);
	assert_int_equal(ratings_parse_json(cat(), NULL, 0, &b), RATINGS_INVALID);
	ratings_free(&b);
	assert_int_equal(ratings_parse_csv(cat(), NULL, 0, &b), RATINGS_INVALID);
	ratings_free(&b);
	assert_int_equal(ratings_parse_csv(NULL, "x", 1, &b), RATINGS_INVALID);
	expect_error(&b, 0, "", "no competency model");
	ratings_free(&b);
	assert_int_equal(ratings_parse_json(NULL, "[]", 2, &b), RATINGS_INVALID);
	ratings_free(&b);
	ratings_free(NULL);
}

static void json_row_cap(void **state)
{
	size_t n = RATINGS_MAX_ROWS + 1;
	char *text = malloc(n * 3 + 4);
	assert_non_null(text);
	size_t len = 0;
	text[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			text[len++] = ',';
		text[len++] = '{';
		text[len++] = '}';
	}
	text[len++] = ']';
	struct rating_batch b;
	assert_int_equal(ratings_parse_json(cat(), text, len, &b), RATINGS_INVALID);
	expect_error(&b, 0, "", "too many ratings in one import (at most 100000)");
	assert_int_equal(b.error_count, 1);
	assert_int_equal(b.rows_seen, 0);
	ratings_free(&b);
	free(text);
}

/* Found by fuzz_request: a bad escape before a Chinese character made the JSON parser's message
 * quote half a character, and the error list could not be turned into JSON. */
static void json_error_message_stays_valid_utf8(void **state)
{
	(void)state;
	const char *text = "{\"ratings\": [{\"employee\": \"alice\", \"item\": \"execution\", \"score\": \"ok\"}, "
			   "{\"\xe5\x91\x98\xe5\xb7\xa5\": \"carol.w\", \"\xe8\x83\xbd\xe5\x8a\x9b\xe9\xa1\xb9\": "
			   "\"\xe6\x89\xa7\xe8\xa1\x8c\xe8\x83\xbd\\\xe5\x8a\x9b\", \"score\": 6}]}";
	struct rating_batch b;
	assert_int_equal(ratings_parse_json(cat(), text, strlen(text), &b), RATINGS_INVALID);
	json_t *j = ratings_errors_json(&b);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), b.error_count);
	char *dumped = json_dumps(j, JSON_COMPACT);
	assert_non_null(dumped);
	free(dumped);
	json_decref(j);
	ratings_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_full_row),
		cmocka_unit_test(csv_defaults_minimal_header),
		cmocka_unit_test(csv_any_order_case_bom_crlf),
		cmocka_unit_test(csv_chinese_headers_and_values),
		cmocka_unit_test(csv_header_errors),
		cmocka_unit_test(csv_item_rules),
		cmocka_unit_test(csv_score_rules),
		cmocka_unit_test(csv_relation_rules),
		cmocka_unit_test(csv_period_rules),
		cmocka_unit_test(csv_level_rules),
		cmocka_unit_test(csv_employee_rules),
		cmocka_unit_test(csv_note_and_rater_limits),
		cmocka_unit_test(csv_rated_at),
		cmocka_unit_test(timestamp_rules),
		cmocka_unit_test(csv_collects_all_row_errors),
		cmocka_unit_test(csv_unnamed_column),
		cmocka_unit_test(csv_syntax_error_stops),
		cmocka_unit_test(csv_error_cap),
		cmocka_unit_test(csv_row_cap),
		cmocka_unit_test(json_array_and_wrapped),
		cmocka_unit_test(json_chinese_keys),
		cmocka_unit_test(json_score_types),
		cmocka_unit_test(json_field_types_and_keys),
		cmocka_unit_test(json_row_numbers_and_shapes),
		cmocka_unit_test(json_top_level),
		cmocka_unit_test(json_row_cap),
		cmocka_unit_test(json_error_message_stays_valid_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
