/* Unit tests for question bank parsing, validation and canonical forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/bank.h"

#define HEADER "item,subtopic,level,type,stem,a,b,c,d,e,f,g,h,answer,points,explanation,external_id\n"

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

static enum bank_status parse_csv(const char *text, struct bank *b)
{
	return bank_parse_csv(cat(), text, strlen(text), b);
}

static enum bank_status parse_json(const char *text, struct bank *b)
{
	return bank_parse_json(cat(), text, strlen(text), b);
}

static void dump_errors(const struct bank *b)
{
	for (size_t i = 0; i < b->error_count; i++)
		print_message("  error row %zu column '%s': %s\n", b->errors[i].row, b->errors[i].column,
			      b->errors[i].message);
}

/* Asserts an error with exactly this row and column whose message contains
 * want. */
static void expect_error(const struct bank *b, size_t row, const char *column, const char *want)
{
	for (size_t i = 0; i < b->error_count; i++) {
		const struct row_error *e = &b->errors[i];
		if (e->row == row && strcmp(e->column, column) == 0 && strstr(e->message, want))
			return;
	}
	dump_errors(b);
	fail_msg("no error at row %zu column '%s' containing '%s'", row, column, want);
}

static void expect_no_errors(const struct bank *b)
{
	if (b->error_count) {
		dump_errors(b);
		fail_msg("%zu unexpected errors", b->error_count);
	}
}

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void expect_json(const struct bank_question *q, const char *want)
{
	json_t *got = bank_question_to_json(q);
	json_t *exp = load(want);
	assert_non_null(got);
	if (!json_equal(got, exp)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
		fail_msg("got %s", g);
	}
	json_decref(got);
	json_decref(exp);
}

/* ---- a valid file with every type ---- */

static const char valid_csv[] =
	"\xEF\xBB\xBF" HEADER "general_knowledge,laws_and_regulations,junior,single,\" Which law governs contracts? \","
	"Civil Code,Criminal Law,Tax Law,,,,,,b,,Because.,GK-1\r\n"
	"professional_knowledge,telecom_technology,intermediate,multiple,Pick the wireless ones,"
	"5G,\"Fibre, FTTH\",Wi-Fi,LTE,,,,,\"d, a ,C\",2.5,,PK-7\r\n"
	"job_knowledge,professional_conduct,senior,truefalse,\"Gifts \"\"from\"\" clients are fine.\","
	",,,,,,,,错,1,,\r\n"
	"job_skills,business_english,expert,fill,\"第五代移动通信的缩写是\n(两个字符)\",,,,,,,,,"
	"\" 5G |\xE3\x80\x80第五代 \",0.5,, \r\n";

static void test_valid_csv_every_type(void **state)
{
	(void)state;
	struct bank b;
	assert_int_equal(parse_csv(valid_csv, &b), BANK_OK);
	expect_no_errors(&b);
	assert_int_equal(b.question_count, 4);
	assert_int_equal(b.rows_seen, 4);
	assert_int_equal(b.rows_rejected, 0);

	const struct bank_question *q = &b.questions[0];
	assert_int_equal(q->row, 1);
	assert_string_equal(q->item->code, "general_knowledge");
	assert_string_equal(q->subtopic->code, "laws_and_regulations");
	assert_string_equal(q->level->code, "junior");
	assert_int_equal(q->type, CATALOG_QTYPE_SINGLE);
	assert_string_equal(q->stem, "Which law governs contracts?");
	assert_int_equal(q->option_count, 3);
	assert_string_equal(q->options[0], "Civil Code");
	assert_string_equal(q->options[2], "Tax Law");
	assert_null(q->options[3]);
	assert_int_equal(q->answer_mask, 1u << 1);
	assert_int_equal(q->points_centi, 100);
	assert_string_equal(q->explanation, "Because.");
	assert_string_equal(q->external_id, "GK-1");
	expect_json(q, "{\"item\":\"general_knowledge\",\"subtopic\":\"laws_and_regulations\","
		       "\"level\":\"junior\",\"type\":\"single\",\"stem\":\"Which law governs contracts?\","
		       "\"options\":[\"Civil Code\",\"Criminal Law\",\"Tax Law\"],\"answer\":\"B\","
		       "\"points\":1,\"explanation\":\"Because.\",\"external_id\":\"GK-1\"}");

	q = &b.questions[1];
	assert_int_equal(q->row, 2);
	assert_int_equal(q->type, CATALOG_QTYPE_MULTIPLE);
	assert_int_equal(q->option_count, 4);
	assert_string_equal(q->options[1], "Fibre, FTTH");
	assert_int_equal(q->answer_mask, 0xDu); /* A, C, D */
	assert_int_equal(q->points_centi, 250);
	assert_null(q->explanation);
	expect_json(q, "{\"item\":\"professional_knowledge\",\"subtopic\":\"telecom_technology\","
		       "\"level\":\"intermediate\",\"type\":\"multiple\",\"stem\":\"Pick the wireless ones\","
		       "\"options\":[\"5G\",\"Fibre, FTTH\",\"Wi-Fi\",\"LTE\"],\"answer\":[\"A\",\"C\",\"D\"],"
		       "\"points\":2.5,\"explanation\":null,\"external_id\":\"PK-7\"}");

	q = &b.questions[2];
	assert_int_equal(q->type, CATALOG_QTYPE_TRUEFALSE);
	assert_false(q->answer_bool);
	assert_int_equal(q->option_count, 0);
	assert_string_equal(q->stem, "Gifts \"from\" clients are fine.");
	assert_null(q->external_id);
	expect_json(q, "{\"item\":\"job_knowledge\",\"subtopic\":\"professional_conduct\","
		       "\"level\":\"senior\",\"type\":\"truefalse\",\"stem\":\"Gifts \\\"from\\\" clients are fine.\","
		       "\"options\":[],\"answer\":false,\"points\":1,\"explanation\":null,"
		       "\"external_id\":null}");

	q = &b.questions[3];
	assert_int_equal(q->row, 4);
	assert_int_equal(q->type, CATALOG_QTYPE_FILL);
	assert_string_equal(q->stem, "第五代移动通信的缩写是\n(两个字符)");
	assert_int_equal(q->fill_count, 2);
	assert_string_equal(q->fill_answers[0], "5G");
	assert_string_equal(q->fill_answers[1], "第五代");
	assert_int_equal(q->points_centi, 50);
	assert_null(q->external_id);
	expect_json(q, "{\"item\":\"job_skills\",\"subtopic\":\"business_english\",\"level\":\"expert\","
		       "\"type\":\"fill\",\"stem\":\"第五代移动通信的缩写是\\n(两个字符)\",\"options\":[],"
		       "\"answer\":[\"5G\",\"第五代\"],\"points\":0.5,\"explanation\":null,"
		       "\"external_id\":null}");
	bank_free(&b);
	assert_null(b.questions);
	bank_free(&b); /* twice is harmless */
	bank_free(NULL);
}

static void test_chinese_headers_and_names(void **state)
{
	(void)state;
	const char *csv = "题型,知识项,知识点,级别,题干,A,B,C,答案,分值,解析,编号\n"
			  "单选,通用基础知识,法律法规,初级,合同适用哪部法律?,民法典,刑法,,A,2,,Z-1\n"
			  "多选,专业基础知识,电信技术知识,中级,哪些是无线技术?,5G,光纤,WiFi,A C,,,\n"
			  "判断,岗位基础知识,职业规范知识,高级,可以收受客户礼品。,,,,对,,,\n"
			  "填空,岗位基本技能,\xE3\x80\x80电信业务英语词汇及营销常用英语 ,资深,"
			  "\"5G 的中文是?\",,,,第五代|第五代移动通信,,,\n";
	struct bank b;
	assert_int_equal(parse_csv(csv, &b), BANK_OK);
	expect_no_errors(&b);
	assert_int_equal(b.question_count, 4);
	assert_string_equal(b.questions[0].item->code, "general_knowledge");
	assert_string_equal(b.questions[0].subtopic->code, "laws_and_regulations");
	assert_string_equal(b.questions[0].level->code, "junior");
	assert_int_equal(b.questions[0].type, CATALOG_QTYPE_SINGLE);
	assert_int_equal(b.questions[0].points_centi, 200);
	assert_int_equal(b.questions[0].option_count, 2);
	assert_string_equal(b.questions[0].external_id, "Z-1");
	assert_int_equal(b.questions[1].type, CATALOG_QTYPE_MULTIPLE);
	assert_int_equal(b.questions[1].answer_mask, 0x5u);
	assert_string_equal(b.questions[1].level->code, "intermediate");
	assert_int_equal(b.questions[2].type, CATALOG_QTYPE_TRUEFALSE);
	assert_true(b.questions[2].answer_bool);
	assert_string_equal(b.questions[2].level->code, "senior");
	assert_int_equal(b.questions[3].type, CATALOG_QTYPE_FILL);
	assert_string_equal(b.questions[3].subtopic->code, "business_english");
	assert_string_equal(b.questions[3].level->code, "expert");
	assert_int_equal(b.questions[3].fill_count, 2);
	assert_string_equal(b.questions[3].fill_answers[1], "第五代移动通信");
	bank_free(&b);

	/* English names are case-insensitive */
	const char *upper = "ITEM,SubTopic,Level,TYPE,Stem,A,B,Answer,Points,Explanation,External_ID\n"
			    "general_knowledge,company_overview,junior,single,Q?,x,y,a,,,\n";
	assert_int_equal(parse_csv(upper, &b), BANK_OK);
	expect_no_errors(&b);
	assert_int_equal(b.question_count, 1);
	bank_free(&b);
}

/* ---- every row rule, with its exact row and column ---- */

struct rule_case {
	const char *line; /* 17 fields, HEADER order */
	const char *column;
	const char *message;
};

static void test_row_rules(void **state)
{
	(void)state;
	static const struct rule_case cases[] = {
		{"nosuch,laws_and_regulations,junior,single,S01,x,y,,,,,,,A,,,", "item", "unknown item 'nosuch'"},
		{"成就导向,laws_and_regulations,junior,single,S02,x,y,,,,,,,A,,,", "item",
		 "achievement_orientation (成就导向) is rated by behaviour"},
		{",laws_and_regulations,junior,single,S03,x,y,,,,,,,A,,,", "item", "item is required"},
		{"professional_knowledge,laws_and_regulations,junior,single,S04,x,y,,,,,,,A,,,", "subtopic",
		 "subtopic laws_and_regulations belongs to item general_knowledge, not to item professional_knowledge"},
		{"general_knowledge,no_such_topic,junior,single,S05,x,y,,,,,,,A,,,", "subtopic",
		 "unknown subtopic 'no_such_topic' for item general_knowledge"},
		{"general_knowledge,laws_and_regulations,master,single,S06,x,y,,,,,,,A,,,", "level",
		 "unknown level 'master'"},
		{"general_knowledge,laws_and_regulations,junior,essay,S07,x,y,,,,,,,A,,,", "type",
		 "unknown type 'essay'"},
		{"general_knowledge,laws_and_regulations,junior,single,\" \t\",x,y,,,,,,,A,,,", "stem",
		 "stem is required"},
		{"general_knowledge,laws_and_regulations,junior,single,S09,x,y,,w,,,,,A,,,", "c",
		 "option c is empty but option d is given"},
		{"general_knowledge,laws_and_regulations,junior,single,S10,x,,,,,,,,A,,,", "b",
		 "a single question needs at least 2 options, got 1"},
		{"general_knowledge,laws_and_regulations,junior,multiple,S11,,,,,,,,,AB,,,", "a",
		 "a multiple question needs at least 2 options, got 0"},
		{"general_knowledge,laws_and_regulations,junior,truefalse,S12,x,,,,,,,,true,,,", "a",
		 "a truefalse question takes no options"},
		{"general_knowledge,laws_and_regulations,junior,fill,S13,,x,,,,,,,foo,,,", "b",
		 "a fill question takes no options, but option b is given"},
		{"general_knowledge,laws_and_regulations,junior,single,S14,x,y,z,,,,,,E,,,", "answer",
		 "answer letter E has no option"},
		{"general_knowledge,laws_and_regulations,junior,single,S15,x,y,z,,,,,,AB,,,", "answer",
		 "single answer must be exactly one letter"},
		{"general_knowledge,laws_and_regulations,junior,multiple,S16,x,y,z,,,,,,a,,,", "answer",
		 "multiple answer needs at least 2 distinct letters"},
		{"general_knowledge,laws_and_regulations,junior,multiple,S17,x,y,z,,,,,,A;a,,,", "answer",
		 "answer letter A is given twice"},
		{"general_knowledge,laws_and_regulations,junior,multiple,S18,x,y,z,,,,,,A?,,,", "answer",
		 "multiple answer must be option letters like ACD"},
		{"general_knowledge,laws_and_regulations,junior,multiple,S19,x,y,z,,,,,,AD,,,", "answer",
		 "answer letter D has no option"},
		{"general_knowledge,laws_and_regulations,junior,truefalse,S20,,,,,,,,,maybe,,,", "answer",
		 "truefalse answer must be true, false, T, F, 对 or 错, got 'maybe'"},
		{"general_knowledge,laws_and_regulations,junior,fill,S21,,,,,,,,,a|| b,,,", "answer",
		 "fill answer alternative 2 is empty"},
		{"general_knowledge,laws_and_regulations,junior,fill,S22,,,,,,,,, ,,,", "answer", "answer is required"},
		{"general_knowledge,laws_and_regulations,junior,single,S23,x,y,,,,,,,A,0,,", "points",
		 "points must be greater than 0"},
		{"general_knowledge,laws_and_regulations,junior,single,S24,x,y,,,,,,,A,-1,,", "points",
		 "points must be greater than 0"},
		{"general_knowledge,laws_and_regulations,junior,single,S25,x,y,,,,,,,A,abc,,", "points",
		 "points must be a positive number"},
		{"general_knowledge,laws_and_regulations,junior,single,S26,x,y,,,,,,,A,1.234,,", "points",
		 "points may have at most 2 decimals"},
		/* duplicates of the valid first row */
		{"general_knowledge,法律法规,初级,single,  The valid one ,p,q,,,,,,,B,,,OTHER", "stem",
		 "duplicate question: row 1 has the same item, subtopic, level and stem"},
		{"general_knowledge,laws_and_regulations,junior,single,S28,x,y,,,,,,,A,,,E-1", "external_id",
		 "external_id 'E-1' is already used by row 1"},
	};
	const size_t n = sizeof cases / sizeof *cases;
	char *csv = malloc(64 * 1024);
	assert_non_null(csv);
	size_t used = (size_t)sprintf(csv, "%s", HEADER);
	used += (size_t)sprintf(csv + used, "general_knowledge,laws_and_regulations,junior,single,"
					    "The valid one,x,y,,,,,,,A,,,E-1\n");
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(csv + used, "%s\n", cases[i].line);
	/* The same item/level/stem under another subtopic is no duplicate. */
	used += (size_t)sprintf(csv + used, "general_knowledge,company_overview,junior,single,"
					    "The valid one,x,y,,,,,,,A,,,\n");

	struct bank b;
	assert_int_equal(bank_parse_csv(cat(), csv, used, &b), BANK_INVALID);
	for (size_t i = 0; i < n; i++)
		expect_error(&b, i + 2, cases[i].column, cases[i].message);
	if (b.error_count != n) {
		dump_errors(&b);
		fail_msg("expected exactly %zu errors, got %zu", n, b.error_count);
	}
	assert_int_equal(b.error_total, n);
	assert_int_equal(b.rows_rejected, n);
	assert_int_equal(b.rows_seen, n + 2);
	assert_int_equal(b.question_count, 2);
	assert_int_equal(b.questions[0].row, 1);
	assert_int_equal(b.questions[1].row, n + 2);

	json_t *errs = bank_errors_to_json(&b);
	assert_non_null(errs);
	assert_int_equal(json_array_size(errs), n);
	json_t *e0 = json_array_get(errs, 0);
	assert_int_equal(json_integer_value(json_object_get(e0, "row")), 2);
	assert_string_equal(json_string_value(json_object_get(e0, "column")), "item");
	assert_non_null(json_string_value(json_object_get(e0, "message")));
	json_decref(errs);
	bank_free(&b);
	free(csv);
}

static void test_several_errors_in_one_row(void **state)
{
	(void)state;
	struct bank b;
	const char *csv = HEADER "general_knowledge,telecom_products,master,single,,x,y,,,,,,,Z,0,,\n";
	assert_int_equal(parse_csv(csv, &b), BANK_INVALID);
	expect_error(&b, 1, "subtopic", "belongs to item professional_knowledge");
	expect_error(&b, 1, "level", "unknown level");
	expect_error(&b, 1, "stem", "stem is required");
	expect_error(&b, 1, "answer", "single answer must be one option letter A..H, got 'Z'");
	expect_error(&b, 1, "points", "greater than 0");
	assert_int_equal(b.error_count, 5);
	assert_int_equal(b.rows_rejected, 1);
	assert_int_equal(b.question_count, 0);
	bank_free(&b);
}

static void test_header_errors(void **state)
{
	(void)state;
	struct bank b;
	assert_int_equal(parse_csv("item,subtopic,level,stem,a,b\nx,y,z,w,1,2\n", &b), BANK_INVALID);
	expect_error(&b, 0, "type", "required column type (题型) is missing");
	expect_error(&b, 0, "answer", "required column answer (答案) is missing");
	assert_int_equal(b.error_count, 2);
	bank_free(&b);

	/* unknown column: reported once, rows still checked */
	const char *unk = "item,subtopic,level,type,stem,a,b,answer,difficulty\n"
			  "general_knowledge,company_overview,junior,single,Q1,x,y,A,hard\n"
			  "general_knowledge,company_overview,junior,single,Q2,x,y,C,easy\n";
	assert_int_equal(parse_csv(unk, &b), BANK_INVALID);
	expect_error(&b, 0, "difficulty", "unknown column 'difficulty'");
	expect_error(&b, 2, "answer", "answer letter C has no option");
	assert_int_equal(b.error_count, 2);
	bank_free(&b);

	assert_int_equal(parse_csv("item,subtopic,level,type,stem,answer,答案\n", &b), BANK_INVALID);
	expect_error(&b, 0, "answer", "appears more than once");
	bank_free(&b);

	assert_int_equal(parse_csv("", &b), BANK_INVALID);
	expect_error(&b, 0, "", "empty");
	bank_free(&b);

	assert_int_equal(parse_csv("\xEF\xBB\xBF" HEADER "\n,,,,\n", &b), BANK_INVALID);
	expect_error(&b, 0, "", "no question rows");
	bank_free(&b);
}

static void test_csv_shape_errors(void **state)
{
	(void)state;
	struct bank b;
	/* blank lines are skipped, all-empty rows keep their number */
	const char *csv = "item,subtopic,level,type,stem,a,b,answer\n"
			  "\n"
			  ",,,,,,,\n"
			  "general_knowledge,company_overview,junior,single,Q1,x,y,A,extra\n"
			  "general_knowledge,company_overview,junior,single,Q2,x,y,B\n"
			  "general_knowledge,company_overview,junior,single,\"Q3\"oops,x,y,B\n"
			  "general_knowledge,company_overview,junior,single,Q4,x,y,B\n";
	assert_int_equal(parse_csv(csv, &b), BANK_INVALID);
	expect_error(&b, 2, "", "row has 9 fields but the header has 8 columns");
	expect_error(&b, 4, "stem", "CSV error on line 6: text after the closing \"");
	assert_int_equal(b.error_count, 2);
	assert_int_equal(b.question_count, 1); /* parsing stops at the syntax error */
	assert_int_equal(b.questions[0].row, 3);
	bank_free(&b);

	const char *unterminated = HEADER "general_knowledge,company_overview,junior,single,\"Q1,x\n";
	assert_int_equal(parse_csv(unterminated, &b), BANK_INVALID);
	expect_error(&b, 1, "stem", "CSV error on line 2: unterminated quoted field");
	bank_free(&b);

	const char *bad_utf8 = HEADER "general_knowledge,company_overview,junior,single,Q\xFF,x,y,,,,,,,A,,,\n";
	assert_int_equal(parse_csv(bad_utf8, &b), BANK_INVALID);
	expect_error(&b, 1, "stem", "invalid UTF-8");
	bank_free(&b);
}

/* ---- points ---- */

/* A cell the export wrote with a leading apostrophe (so that Excel shows a formula as text) reads
 * back without it; an apostrophe before anything else stays. */
static void test_export_apostrophe_dropped(void **state)
{
	(void)state;
	const char *csv = "题型,知识项,知识点,级别,题干,A,B,答案,编号\n"
			  "单选,岗位基本技能,计算机操作知识,初级,\"'=B2*C2 的结果?\",'=B2*C2,'-1,A,X-1\n"
			  "单选,岗位基本技能,计算机操作知识,初级,'引号开头的题干,'甲,乙,A,X-2\n";
	struct bank b;
	enum bank_status st = parse_csv(csv, &b);
	expect_no_errors(&b);
	assert_int_equal(st, BANK_OK);
	assert_string_equal(b.questions[0].stem, "=B2*C2 的结果?");
	assert_string_equal(b.questions[0].options[0], "=B2*C2");
	assert_string_equal(b.questions[0].options[1], "-1");
	assert_string_equal(b.questions[1].stem, "'引号开头的题干");
	assert_string_equal(b.questions[1].options[0], "'甲");
	bank_free(&b);
}

static void test_points(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t centi;
	} good[] = {{"1", 100},       {"2.5", 250}, {"0.25", 25}, {"2.50", 250}, {" 3 ", 300},
		    {"1000", 100000}, {"0.01", 1},  {"007", 700}, {"2.500", 250}};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		int64_t v = 0;
		const char *why = "x";
		if (!bank_parse_points(good[i].in, &v, &why))
			fail_msg("'%s' rejected: %s", good[i].in, why);
		assert_int_equal(v, good[i].centi);
		assert_null(why);
	}
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
		{"0", "greater than 0"},     {"0.00", "greater than 0"},
		{"-1", "greater than 0"},    {"-2.5", "greater than 0"},
		{"abc", "positive number"},  {"1.234", "at most 2 decimals"},
		{"", "positive number"},     {"1.", "positive number"},
		{".5", "positive number"},   {"1e2", "positive number"},
		{"+1", "positive number"},   {"1,5", "positive number"},
		{"1000.01", "at most 1000"}, {"99999999999999999999", "at most 1000"},
		{"-", "positive number"},    {"--1", "positive number"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t v = -7;
		const char *why = NULL;
		if (bank_parse_points(bad[i].in, &v, &why))
			fail_msg("'%s' accepted", bad[i].in);
		assert_non_null(why);
		if (!strstr(why, bad[i].why))
			fail_msg("'%s': got '%s'", bad[i].in, why);
		assert_int_equal(v, -7);
	}
}

/* ---- JSON ---- */

static void test_json_valid(void **state)
{
	(void)state;
	const char *js =
		"{\"questions\":["
		"{\"item\":\"通用基础知识\",\"subtopic\":\"company_overview\",\"level\":\"初级\","
		"\"type\":\"single\",\"stem\":\" Q1 \",\"options\":[\"x\",\" y \"],\"answer\":\"b\","
		"\"points\":2.5,\"explanation\":\"why\",\"external_id\":42},"
		"{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\",\"level\":\"junior\","
		"\"type\":\"多选\",\"stem\":\"Q2\",\"options\":[\"x\",\"y\",\"z\"],\"answer\":[\"c\",\"A\"]},"
		"{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\",\"level\":\"junior\","
		"\"type\":\"multiple\",\"stem\":\"Q3\",\"options\":[\"x\",\"y\",\"z\"],\"answer\":\"C,b\","
		"\"points\":\"0.75\"},"
		"{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\",\"level\":\"junior\","
		"\"type\":\"truefalse\",\"stem\":\"Q4\",\"answer\":true,\"options\":[]},"
		"{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\",\"level\":\"junior\","
		"\"type\":\"truefalse\",\"stem\":\"Q5\",\"answer\":\"F\",\"points\":3},"
		"{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\",\"level\":\"junior\","
		"\"type\":\"fill\",\"stem\":\"Q6\",\"answer\":[\" 5G\",\"第五代|移动\"],\"explanation\":null},"
		"{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\",\"level\":\"junior\","
		"\"type\":\"fill\",\"stem\":\"Q7\",\"answer\":\"a | b\",\"id\":9,\"version\":2,\"active\":true}"
		"]}";
	struct bank b;
	assert_int_equal(parse_json(js, &b), BANK_OK);
	expect_no_errors(&b);
	assert_int_equal(b.question_count, 7);
	const struct bank_question *q = b.questions;
	assert_int_equal(q[0].row, 1);
	assert_string_equal(q[0].stem, "Q1");
	assert_string_equal(q[0].options[1], "y");
	assert_int_equal(q[0].answer_mask, 2u);
	assert_int_equal(q[0].points_centi, 250);
	assert_string_equal(q[0].external_id, "42");
	assert_int_equal(q[1].answer_mask, 5u);
	assert_int_equal(q[2].answer_mask, 6u);
	assert_int_equal(q[2].points_centi, 75);
	assert_true(q[3].answer_bool);
	assert_false(q[4].answer_bool);
	assert_int_equal(q[4].points_centi, 300);
	assert_int_equal(q[5].fill_count, 2);
	assert_string_equal(q[5].fill_answers[0], "5G");
	assert_string_equal(q[5].fill_answers[1], "第五代|移动"); /* a list entry is one answer */
	assert_null(q[5].explanation);
	assert_int_equal(q[6].fill_count, 2);
	assert_string_equal(q[6].fill_answers[1], "b");
	assert_int_equal(q[6].row, 7);
	expect_json(&q[1], "{\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\","
			   "\"level\":\"junior\",\"type\":\"multiple\",\"stem\":\"Q2\","
			   "\"options\":[\"x\",\"y\",\"z\"],\"answer\":[\"A\",\"C\"],\"points\":1,"
			   "\"explanation\":null,\"external_id\":null}");
	bank_free(&b);

	/* a bare array is accepted too */
	assert_int_equal(parse_json("[{\"item\":\"job_skills\",\"subtopic\":\"computer_operation\","
				    "\"level\":\"senior\",\"type\":\"fill\",\"stem\":\"Q\","
				    "\"answer\":\"x\"}]",
				    &b),
			 BANK_OK);
	assert_int_equal(b.question_count, 1);
	bank_free(&b);
}

static void test_json_errors(void **state)
{
	(void)state;
	const char *base = "\"item\":\"general_knowledge\",\"subtopic\":\"company_overview\","
			   "\"level\":\"junior\",";
	char js[8192];
	snprintf(
		js, sizeof js,
		"{\"questions\":["
		"{%s\"type\":\"single\",\"stem\":\"Q1\",\"options\":[\"x\"],\"answer\":\"A\"},"
		"{%s\"type\":\"single\",\"stem\":\"Q2\",\"options\":[\"x\",\"y\"],\"answer\":\"E\"},"
		"{%s\"type\":\"truefalse\",\"stem\":\"Q3\",\"options\":[\"x\"],\"answer\":true},"
		"{%s\"type\":\"single\",\"stem\":\"Q4\",\"options\":[\"x\",\"y\"],\"answer\":\"A\",\"colour\":1},"
		"{%s\"type\":\"single\",\"stem\":\"Q5\",\"a\":\"x\",\"b\":\"y\",\"answer\":\"A\"},"
		"{%s\"type\":\"single\",\"stem\":true,\"options\":[\"x\",\"y\"],\"answer\":\"A\"},"
		"{%s\"type\":\"single\",\"stem\":\"Q7\",\"options\":[\"x\",\"y\"],\"answer\":[\"A\"]},"
		"{%s\"type\":\"multiple\",\"stem\":\"Q8\",\"options\":[\"x\",\"y\",\"z\"],\"answer\":[\"A\",\"A\"]},"
		"{%s\"type\":\"single\",\"stem\":\"Q9\",\"options\":[\"x\",\"y\"],\"answer\":\"A\",\"points\":1.234},"
		"{%s\"type\":\"single\",\"stem\":\"Q10\",\"options\":[\"x\",\" \"],\"answer\":\"A\"},"
		"{%s\"type\":\"single\",\"stem\":\"Q11\",\"options\":[\"x\",2],\"answer\":\"A\"},"
		"{%s\"type\":\"fill\",\"stem\":\"Q12\",\"answer\":false},"
		"{%s\"type\":\"truefalse\",\"stem\":\"Q13\",\"answer\":[\"true\"]},"
		"{%s\"type\":\"fill\",\"stem\":\"Q14\",\"answer\":[\"x\",\"  \"]},"
		"{%s\"type\":\"fill\",\"stem\":\"Q15\"},"
		"{%s\"type\":\"single\",\"stem\":\"Q16\",\"options\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],\"answer\":\"A\"},"
		"17,"
		"{%s\"type\":\"single\",\"stem\":\"Q18\",\"options\":[\"x\",\"y\"],\"answer\":\"A\",\"points\":0}"
		"]}",
		base, base, base, base, base, base, base, base, base, base, base, base, base, base, base, base, base);
	struct bank b;
	assert_int_equal(parse_json(js, &b), BANK_INVALID);
	expect_error(&b, 1, "options", "a single question needs at least 2 options, got 1");
	expect_error(&b, 2, "answer", "answer letter E has no option");
	expect_error(&b, 3, "options", "a truefalse question takes no options");
	expect_error(&b, 4, "colour", "unknown field 'colour'");
	expect_error(&b, 5, "a", "use the options array");
	expect_error(&b, 5, "b", "use the options array");
	expect_error(&b, 6, "stem", "stem must be a string");
	expect_error(&b, 7, "answer", "single answer must be one letter as a string");
	expect_error(&b, 8, "answer", "answer letter A is given twice");
	expect_error(&b, 9, "points", "at most 2 decimals");
	expect_error(&b, 10, "options", "option 2 (B) is empty");
	expect_error(&b, 11, "options", "option 2 must be a string");
	expect_error(&b, 12, "answer", "fill answer must be text");
	expect_error(&b, 13, "answer", "truefalse answer must be");
	expect_error(&b, 14, "answer", "fill answer 2 is empty");
	expect_error(&b, 15, "answer", "answer is required");
	expect_error(&b, 16, "options", "at most 8 options");
	expect_error(&b, 17, "", "question must be a JSON object");
	expect_error(&b, 18, "points", "greater than 0");
	if (b.error_count != 19) {
		dump_errors(&b);
		fail_msg("expected 19 errors, got %zu", b.error_count);
	}
	assert_int_equal(b.question_count, 0);
	assert_int_equal(b.rows_rejected, 18);
	bank_free(&b);

	assert_int_equal(parse_json("{\"questions\": [", &b), BANK_INVALID);
	expect_error(&b, 0, "", "invalid JSON on line 1");
	bank_free(&b);
	assert_int_equal(parse_json("{\"items\": []}", &b), BANK_INVALID);
	expect_error(&b, 0, "questions", "expected an object");
	bank_free(&b);
	assert_int_equal(parse_json("{\"questions\": []}", &b), BANK_INVALID);
	expect_error(&b, 0, "questions", "no questions");
	bank_free(&b);
	assert_int_equal(bank_parse_json(cat(), NULL, 0, &b), BANK_INVALID);
	bank_free(&b);
}

/* ---- canonical content hash ---- */

static void hash_of(const char *csv, char out[BANK_HASH_HEX_LEN + 1])
{
	struct bank b;
	assert_int_equal(parse_csv(csv, &b), BANK_OK);
	assert_int_equal(b.question_count, 1);
	assert_true(bank_question_content_hash(&b.questions[0], out));
	assert_int_equal(strlen(out), BANK_HASH_HEX_LEN);
	bank_free(&b);
}

static void test_content_hash(void **state)
{
	(void)state;
	char h1[65], h2[65], h3[65], h4[65], h5[65], h6[65], hj[65];
	hash_of(HEADER "general_knowledge,company_overview,junior,multiple,Q,x,y,z,,,,,,AC,,expl,E1\n", h1);
	/* same content written differently: names, answer order, spacing, other
	 * explanation and external_id */
	hash_of("知识项,知识点,级别,题型,题干,A,B,C,答案,分值,解析\n"
		"通用基础知识,企业概况,初级,多选, Q ,x, y,z,\"c, a\",1.00,other\n",
		h2);
	assert_string_equal(h1, h2);
	hash_of(HEADER "general_knowledge,company_overview,junior,multiple,Q,x,y,z,,,,,,AB,,expl,E1\n", h3);
	assert_string_not_equal(h1, h3); /* answer changed */
	hash_of(HEADER "general_knowledge,company_overview,junior,multiple,Q,x,y,z,,,,,,AC,2,expl,E1\n", h4);
	assert_string_not_equal(h1, h4); /* points changed */
	hash_of(HEADER "general_knowledge,company_overview,junior,multiple,Q,x,y,w,,,,,,AC,,expl,E1\n", h5);
	assert_string_not_equal(h1, h5); /* an option changed */
	hash_of(HEADER "general_knowledge,company_overview,intermediate,multiple,Q,x,y,z,,,,,,AC,,,\n", h6);
	assert_string_not_equal(h1, h6); /* level changed */

	struct bank b;
	assert_int_equal(parse_json("{\"questions\":[{\"item\":\"general_knowledge\","
				    "\"subtopic\":\"company_overview\",\"level\":\"junior\","
				    "\"type\":\"multiple\",\"stem\":\"Q\",\"options\":[\"x\",\"y\",\"z\"],"
				    "\"answer\":[\"A\",\"C\"]}]}",
				    &b),
			 BANK_OK);
	assert_true(bank_question_content_hash(&b.questions[0], hj));
	assert_string_equal(h1, hj); /* same content from JSON */
	bank_free(&b);

	/* fill: the split between answers matters */
	char f1[65], f2[65];
	hash_of(HEADER "job_skills,computer_operation,junior,fill,Q,,,,,,,,,ab|c,,,\n", f1);
	hash_of(HEADER "job_skills,computer_operation,junior,fill,Q,,,,,,,,,a|bc,,,\n", f2);
	assert_string_not_equal(f1, f2);
}

static void test_letters(void **state)
{
	(void)state;
	char out[BANK_MAX_OPTIONS + 1];
	bank_answer_letters(0x0Du, out);
	assert_string_equal(out, "ACD");
	bank_answer_letters(0, out);
	assert_string_equal(out, "");
	bank_answer_letters(0xFFu, out);
	assert_string_equal(out, "ABCDEFGH");

	struct bank b;
	/* every accepted separator */
	assert_int_equal(parse_csv(HEADER "general_knowledge,company_overview,junior,multiple,Q,1,2,3,4,5,6,7,8,"
					  "\"h\xEF\xBC\x8C"
					  "b\xE3\x80\x81"
					  "D a\",,,\n",
				   &b),
			 BANK_OK);
	bank_answer_letters(b.questions[0].answer_mask, out);
	assert_string_equal(out, "ABDH");
	bank_free(&b);
}

/* ---- caps ---- */

static void test_error_cap(void **state)
{
	(void)state;
	size_t rows = BANK_MAX_ERRORS + 500;
	size_t cap = strlen(HEADER) + rows * 80 + 1;
	char *csv = malloc(cap);
	assert_non_null(csv);
	size_t used = (size_t)sprintf(csv, "%s", HEADER);
	for (size_t i = 0; i < rows; i++)
		used += (size_t)sprintf(csv + used, "nosuch,company_overview,junior,single,Q%zu,x,y,,,,,,,A,,,\n", i);
	struct bank b;
	assert_int_equal(bank_parse_csv(cat(), csv, used, &b), BANK_INVALID);
	assert_int_equal(b.error_count, BANK_MAX_ERRORS);
	assert_int_equal(b.error_total, rows);
	assert_int_equal(b.rows_rejected, rows);
	assert_int_equal(b.errors[BANK_MAX_ERRORS - 1].row, BANK_MAX_ERRORS);
	bank_free(&b);
	free(csv);
}

static void test_question_cap(void **state)
{
	(void)state;
	size_t rows = BANK_MAX_QUESTIONS + 5;
	size_t cap = strlen(HEADER) + rows * 80 + 1;
	char *csv = malloc(cap);
	assert_non_null(csv);
	size_t used = (size_t)sprintf(csv, "%s", HEADER);
	for (size_t i = 0; i < rows; i++)
		used += (size_t)sprintf(csv + used, "job_skills,computer_operation,junior,fill,Q%zu,,,,,,,,,x,,,\n", i);
	struct bank b;
	assert_int_equal(bank_parse_csv(cat(), csv, used, &b), BANK_INVALID);
	assert_int_equal(b.question_count, BANK_MAX_QUESTIONS);
	expect_error(&b, BANK_MAX_QUESTIONS + 1, "", "too many questions");
	assert_int_equal(b.error_count, 1);
	bank_free(&b);
	free(csv);
}

/* Truncated and garbled variants of a valid file never crash or leak. */
static void test_garbage_does_not_crash(void **state)
{
	(void)state;
	const size_t len = sizeof valid_csv - 1;
	char *buf = malloc(len);
	assert_non_null(buf);
	uint32_t seed = 99;
	for (size_t cut = 0; cut <= len; cut += 3) {
		for (int v = 0; v < 3; v++) {
			memcpy(buf, valid_csv, len);
			if (v && cut < len) {
				seed = seed * 1103515245u + 12345u;
				buf[cut] = "\",\n|A \xFF\x00"[(seed >> 16) % 8];
			}
			struct bank b;
			enum bank_status s = bank_parse_csv(cat(), buf, cut, &b);
			assert_true(s == BANK_OK || s == BANK_INVALID);
			bank_free(&b);
			s = bank_parse_json(cat(), buf, cut, &b);
			assert_int_equal(s, BANK_INVALID);
			bank_free(&b);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_csv_every_type),
		cmocka_unit_test(test_chinese_headers_and_names),
		cmocka_unit_test(test_export_apostrophe_dropped),
		cmocka_unit_test(test_row_rules),
		cmocka_unit_test(test_several_errors_in_one_row),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_csv_shape_errors),
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_content_hash),
		cmocka_unit_test(test_letters),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_question_cap),
		cmocka_unit_test(test_garbage_does_not_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
