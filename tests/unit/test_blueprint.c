/* Unit tests for domain/blueprint: every rule of a blueprint body (SPEC §4.3) for one exam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/blueprint.h"

/* The exam used by most tests: general_knowledge (4 subtopics) at senior (rank 2). */
#define ITEM "general_knowledge"
#define LEVEL "senior"
#define DRAW(sub, lv, n) "{\"subtopic\": \"" sub "\", \"level\": \"" lv "\", \"count\": " #n "}"
#define ONE_DRAW "[" DRAW("laws_and_regulations", "senior", 5) "]"

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

static const struct catalog_item *item(const char *code)
{
	const struct catalog_item *it = catalog_item_find(cat(), code);
	assert_non_null(it);
	return it;
}

static const struct catalog_level *level(const char *code)
{
	const struct catalog_level *lv = catalog_level_find(cat(), code);
	assert_non_null(lv);
	return lv;
}

/* Parses text (which must be valid JSON) as the body for exam (it, lv). */
static enum blueprint_status parse_for(const char *it, const char *lv, const char *text, struct blueprint *bp,
				       char *msg, size_t msglen)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!body)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	msg[0] = '\0';
	enum blueprint_status st = blueprint_parse(cat(), item(it), level(lv), body, bp, msg, msglen);
	json_decref(body);
	return st;
}

static enum blueprint_status parse(const char *text, struct blueprint *bp, char *msg, size_t msglen)
{
	return parse_for(ITEM, LEVEL, text, bp, msg, msglen);
}

/* Asserts status and that the message mentions `needle`. */
#define EXPECT(text, status, needle)                                                                 \
	do {                                                                                         \
		struct blueprint bp_;                                                                \
		char msg_[256];                                                                      \
		enum blueprint_status st_ = parse((text), &bp_, msg_, sizeof msg_);                  \
		if (st_ != (status))                                                                 \
			print_error("body %s: status %d, message \"%s\"\n", (text), (int)st_, msg_); \
		assert_int_equal(st_, (status));                                                     \
		if ((status) != BLUEPRINT_OK && strstr(msg_, (needle)) == NULL)                      \
			fail_msg("message \"%s\" does not mention \"%s\"", msg_, (needle));          \
	} while (0)

#define EXPECT_OK(text) EXPECT((text), BLUEPRINT_OK, "")

/* A body with the given extra members before "draws". */
#define BODY(extra, draws) "{" extra "\"draws\": " draws "}"
#define WITH_TIME(extra) "{\"time_limit_seconds\": 600, " extra "\"draws\": " ONE_DRAW "}"

/* ---- defaults and the accepted shape ---- */

static void test_defaults(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 600, ", ONE_DRAW), &bp, msg, sizeof msg), BLUEPRINT_OK);
	assert_ptr_equal(bp.item, item(ITEM));
	assert_ptr_equal(bp.level, level(LEVEL));
	assert_int_equal(bp.time_limit_seconds, 600);
	assert_int_equal(bp.max_attempts, 3);
	assert_non_null(bp.grading);
	assert_string_equal(bp.grading, "highest");
	assert_int_equal(bp.ndraws, 1);
	assert_string_equal(bp.draws[0].subtopic->code, "laws_and_regulations");
	assert_ptr_equal(bp.draws[0].subtopic->item, item(ITEM));
	assert_ptr_equal(bp.draws[0].level, level("senior"));
	assert_int_equal(bp.draws[0].count, 5);
}

static void test_nulls_mean_defaults(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	assert_int_equal(parse(WITH_TIME("\"max_attempts\": null, \"grading\": null, "), &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_int_equal(bp.max_attempts, 3);
	assert_string_equal(bp.grading, "highest");
}

static void test_full_body(void **state)
{
	(void)state;
	static const char *const methods[] = {"highest", "latest", "first", "average"};
	for (size_t i = 0; i < 4; i++) {
		char text[512];
		snprintf(text, sizeof text,
			 "{\"item\": \"general_knowledge\", \"level\": \"senior\", \"time_limit_seconds\": 1800, "
			 "\"max_attempts\": 5, \"grading\": \"%s\", \"draws\": [" DRAW(
				 "company_overview", "junior", 2) ", " DRAW("laws_and_regulations", "senior", 3) "]}",
			 methods[i]);
		struct blueprint bp;
		char msg[256];
		assert_int_equal(parse(text, &bp, msg, sizeof msg), BLUEPRINT_OK);
		assert_int_equal(bp.time_limit_seconds, 1800);
		assert_int_equal(bp.max_attempts, 5);
		assert_string_equal(bp.grading, methods[i]);
		assert_true(blueprint_grading_valid(bp.grading));
		assert_int_equal(bp.ndraws, 2);
		assert_string_equal(bp.draws[0].subtopic->code, "company_overview");
		assert_string_equal(bp.draws[0].level->code, "junior");
		assert_int_equal(bp.draws[0].count, 2);
		assert_string_equal(bp.draws[1].subtopic->code, "laws_and_regulations");
		assert_string_equal(bp.draws[1].level->code, "senior");
		assert_int_equal(bp.draws[1].count, 3);
	}
}

/* ---- time_limit_seconds ---- */

static void test_time_limit_bounds(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	EXPECT(BODY("\"time_limit_seconds\": 29, ", ONE_DRAW), BLUEPRINT_INVALID, "time_limit_seconds");
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 30, ", ONE_DRAW), &bp, msg, sizeof msg), BLUEPRINT_OK);
	assert_int_equal(bp.time_limit_seconds, 30);
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 86400, ", ONE_DRAW), &bp, msg, sizeof msg), BLUEPRINT_OK);
	assert_int_equal(bp.time_limit_seconds, 86400);
	EXPECT(BODY("\"time_limit_seconds\": 86401, ", ONE_DRAW), BLUEPRINT_INVALID, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": 0, ", ONE_DRAW), BLUEPRINT_INVALID, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": -600, ", ONE_DRAW), BLUEPRINT_INVALID, "time_limit_seconds");
	/* Beyond int: still a clean 422, never a wrapped value. */
	EXPECT(BODY("\"time_limit_seconds\": 4294967896, ", ONE_DRAW), BLUEPRINT_INVALID, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": -9223372036854775807, ", ONE_DRAW), BLUEPRINT_INVALID,
	       "time_limit_seconds");
}

static void test_time_limit_required_and_typed(void **state)
{
	(void)state;
	EXPECT(BODY("", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": null, ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": \"600\", ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": 600.0, ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": 600.5, ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": true, ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": [600], ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
	EXPECT(BODY("\"time_limit_seconds\": {}, ", ONE_DRAW), BLUEPRINT_BAD_FIELD, "time_limit_seconds");
}

/* ---- max_attempts ---- */

static void test_max_attempts_bounds(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	EXPECT(WITH_TIME("\"max_attempts\": 0, "), BLUEPRINT_INVALID, "max_attempts");
	assert_int_equal(parse(WITH_TIME("\"max_attempts\": 1, "), &bp, msg, sizeof msg), BLUEPRINT_OK);
	assert_int_equal(bp.max_attempts, 1);
	assert_int_equal(parse(WITH_TIME("\"max_attempts\": 100, "), &bp, msg, sizeof msg), BLUEPRINT_OK);
	assert_int_equal(bp.max_attempts, 100);
	EXPECT(WITH_TIME("\"max_attempts\": 101, "), BLUEPRINT_INVALID, "max_attempts");
	EXPECT(WITH_TIME("\"max_attempts\": -1, "), BLUEPRINT_INVALID, "max_attempts");
	EXPECT(WITH_TIME("\"max_attempts\": 4294967299, "), BLUEPRINT_INVALID, "max_attempts");
}

static void test_max_attempts_types(void **state)
{
	(void)state;
	EXPECT(WITH_TIME("\"max_attempts\": \"3\", "), BLUEPRINT_BAD_FIELD, "max_attempts");
	EXPECT(WITH_TIME("\"max_attempts\": 2.5, "), BLUEPRINT_BAD_FIELD, "max_attempts");
	EXPECT(WITH_TIME("\"max_attempts\": 3.0, "), BLUEPRINT_BAD_FIELD, "max_attempts");
	EXPECT(WITH_TIME("\"max_attempts\": false, "), BLUEPRINT_BAD_FIELD, "max_attempts");
	EXPECT(WITH_TIME("\"max_attempts\": [3], "), BLUEPRINT_BAD_FIELD, "max_attempts");
}

/* ---- grading ---- */

static void test_grading_rejected(void **state)
{
	(void)state;
	EXPECT(WITH_TIME("\"grading\": \"median\", "), BLUEPRINT_BAD_FIELD, "grading");
	EXPECT(WITH_TIME("\"grading\": \"Highest\", "), BLUEPRINT_BAD_FIELD, "grading");
	EXPECT(WITH_TIME("\"grading\": \"highest \", "), BLUEPRINT_BAD_FIELD, "grading");
	EXPECT(WITH_TIME("\"grading\": \"\", "), BLUEPRINT_BAD_FIELD, "grading");
	EXPECT(WITH_TIME("\"grading\": 1, "), BLUEPRINT_BAD_FIELD, "grading");
	EXPECT(WITH_TIME("\"grading\": true, "), BLUEPRINT_BAD_FIELD, "grading");
	EXPECT(WITH_TIME("\"grading\": [\"highest\"], "), BLUEPRINT_BAD_FIELD, "grading");
}

static void test_grading_valid(void **state)
{
	(void)state;
	assert_true(blueprint_grading_valid("highest"));
	assert_true(blueprint_grading_valid("latest"));
	assert_true(blueprint_grading_valid("first"));
	assert_true(blueprint_grading_valid("average"));
	assert_false(blueprint_grading_valid(NULL));
	assert_false(blueprint_grading_valid(""));
	assert_false(blueprint_grading_valid("HIGHEST"));
	assert_false(blueprint_grading_valid("highest "));
	assert_false(blueprint_grading_valid("high"));
	assert_false(blueprint_grading_valid("highestx"));
	assert_false(blueprint_grading_valid("median"));
	assert_false(blueprint_grading_valid("最高"));
}

/* ---- unknown fields and non-object bodies ---- */

static void test_unknown_fields(void **state)
{
	(void)state;
	EXPECT(WITH_TIME("\"foo\": 1, "), BLUEPRINT_BAD_FIELD, "foo");
	EXPECT(WITH_TIME("\"Grading\": \"highest\", "), BLUEPRINT_BAD_FIELD, "Grading");
	EXPECT(WITH_TIME("\"time_limit\": 600, "), BLUEPRINT_BAD_FIELD, "time_limit");
	EXPECT(WITH_TIME("\"pool\": null, "), BLUEPRINT_BAD_FIELD, "pool");
}

static void test_non_object_body(void **state)
{
	(void)state;
	static const char *const bodies[] = {"[]",  "[{\"time_limit_seconds\": 600}]", "\"blueprint\"", "42", "null",
					     "true"};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		struct blueprint bp;
		char msg[256];
		assert_int_equal(parse(bodies[i], &bp, msg, sizeof msg), BLUEPRINT_BAD_FIELD);
		assert_non_null(strstr(msg, "object"));
	}
	struct blueprint bp;
	char msg[256] = "";
	assert_int_equal(blueprint_parse(cat(), item(ITEM), level(LEVEL), NULL, &bp, msg, sizeof msg),
			 BLUEPRINT_BAD_FIELD);
	assert_true(msg[0] != '\0');
}

/* ---- draws: shape ---- */

static void test_draws_missing_or_wrong_type(void **state)
{
	(void)state;
	EXPECT("{\"time_limit_seconds\": 600}", BLUEPRINT_BAD_FIELD, "draws");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "null"), BLUEPRINT_BAD_FIELD, "draws");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", DRAW("laws_and_regulations", "senior", 5)), BLUEPRINT_BAD_FIELD,
	       "draws");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "\"laws_and_regulations\""), BLUEPRINT_BAD_FIELD, "draws");
}

static void test_draws_empty(void **state)
{
	(void)state;
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[]"), BLUEPRINT_INVALID, "draws");
}

/* Builds {"time_limit_seconds": 600, "draws": [n rows]} cycling through the 16 distinct
 * (subtopic, level) pairs of general_knowledge at or below expert. */
static char *many_draws(size_t n)
{
	static const char *const subs[] = {"telecom_industry_overview", "company_overview", "laws_and_regulations",
					   "company_rules_and_policies"};
	static const char *const levels[] = {"junior", "intermediate", "senior", "expert"};
	json_t *draws = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(draws, json_pack("{s:s,s:s,s:i}", "subtopic", subs[i % 4], "level",
						       levels[(i / 4) % 4], "count", 1));
	json_t *body = json_pack("{s:i,s:o}", "time_limit_seconds", 600, "draws", draws);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	assert_non_null(text);
	return text;
}

static void test_draws_too_many(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	char *text = many_draws(65);
	assert_int_equal(parse_for(ITEM, "expert", text, &bp, msg, sizeof msg), BLUEPRINT_INVALID);
	assert_non_null(strstr(msg, "draws"));
	assert_non_null(strstr(msg, "64"));
	free(text);
	/* 64 rows pass the row limit: what stops them is the 17th row repeating the 1st. */
	text = many_draws(64);
	assert_int_equal(parse_for(ITEM, "expert", text, &bp, msg, sizeof msg), BLUEPRINT_INVALID);
	assert_non_null(strstr(msg, "draws[16]"));
	free(text);
	/* 16 distinct rows are all accepted. */
	text = many_draws(16);
	assert_int_equal(parse_for(ITEM, "expert", text, &bp, msg, sizeof msg), BLUEPRINT_OK);
	assert_int_equal(bp.ndraws, 16);
	free(text);
}

static void test_draw_row_shape(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"\"laws_and_regulations\"",
		"null",
		"[\"laws_and_regulations\", \"senior\", 5]",
		"{}",
		"{\"level\": \"senior\", \"count\": 5}",
		"{\"subtopic\": \"laws_and_regulations\", \"count\": 5}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": \"senior\"}",
		"{\"subtopic\": 3, \"level\": \"senior\", \"count\": 5}",
		"{\"subtopic\": null, \"level\": \"senior\", \"count\": 5}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": 2, \"count\": 5}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": \"senior\", \"count\": \"5\"}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": \"senior\", \"count\": 5.0}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": \"senior\", \"count\": null}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": \"senior\", \"count\": true}",
		"{\"subtopic\": \"laws_and_regulations\", \"level\": \"senior\", \"count\": 5, \"type\": \"single\"}",
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "{\"time_limit_seconds\": 600, \"draws\": [%s]}", rows[i]);
		EXPECT(text, BLUEPRINT_BAD_FIELD, "draws[0]");
		/* The index names the offending row. */
		snprintf(text, sizeof text,
			 "{\"time_limit_seconds\": 600, \"draws\": [" DRAW("company_overview", "junior", 1) ", %s]}",
			 rows[i]);
		EXPECT(text, BLUEPRINT_BAD_FIELD, "draws[1]");
	}
}

/* ---- draws: subtopics and levels ---- */

static void test_draw_unknown_level(void **state)
{
	(void)state;
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("laws_and_regulations", "master", 5) "]"),
	       BLUEPRINT_BAD_FIELD, "draws[0].level");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("laws_and_regulations", "", 5) "]"), BLUEPRINT_BAD_FIELD,
	       "draws[0].level");
}

static void test_draw_subtopic_of_another_item(void **state)
{
	(void)state;
	/* marketing belongs to professional_knowledge. */
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("marketing", "senior", 5) "]"), BLUEPRINT_INVALID,
	       "draws[0].subtopic");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("市场营销专业知识", "senior", 5) "]"), BLUEPRINT_INVALID,
	       "draws[0].subtopic");
	EXPECT(BODY("\"time_limit_seconds\": 600, ",
		    "[" DRAW("company_overview", "senior", 1) ", " DRAW("computer_operation", "junior", 1) "]"),
	       BLUEPRINT_INVALID, "draws[1].subtopic");
	/* The same subtopic is fine in its own item's exam. */
	struct blueprint bp;
	char msg[256];
	assert_int_equal(parse_for("professional_knowledge", "senior",
				   BODY("\"time_limit_seconds\": 600, ", "[" DRAW("marketing", "senior", 5) "]"), &bp,
				   msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_string_equal(bp.draws[0].subtopic->code, "marketing");
}

static void test_draw_unknown_subtopic(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	assert_int_not_equal(parse(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("no_such_subtopic", "senior", 5) "]"),
				   &bp, msg, sizeof msg),
			     BLUEPRINT_OK);
	assert_non_null(strstr(msg, "draws[0].subtopic"));
	assert_non_null(strstr(msg, "no_such_subtopic"));
}

static void test_draw_chinese_names(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 600, ",
				    "[" DRAW("法律法规", "高级", 4) ", " DRAW("企业概况", "初级", 2) ", " DRAW(
					    "电信行业概况", "中级", 3) "]"),
			       &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_int_equal(bp.ndraws, 3);
	assert_string_equal(bp.draws[0].subtopic->code, "laws_and_regulations");
	assert_string_equal(bp.draws[0].level->code, "senior");
	assert_string_equal(bp.draws[1].subtopic->code, "company_overview");
	assert_string_equal(bp.draws[1].level->code, "junior");
	assert_string_equal(bp.draws[2].subtopic->code, "telecom_industry_overview");
	assert_string_equal(bp.draws[2].level->code, "intermediate");
	/* Codes are matched without regard to ASCII case. */
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("Laws_And_Regulations", "SENIOR", 1) "]"),
			       &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_string_equal(bp.draws[0].subtopic->code, "laws_and_regulations");
	assert_string_equal(bp.draws[0].level->code, "senior");
}

static void test_draw_level_widening(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	/* An intermediate exam may draw junior and intermediate questions... */
	assert_int_equal(
		parse_for(ITEM, "intermediate",
			  BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "junior", 2) ", " DRAW(
									"company_overview", "intermediate", 3) "]"),
			  &bp, msg, sizeof msg),
		BLUEPRINT_OK);
	assert_int_equal(bp.ndraws, 2);
	/* ...but nothing above its level. */
	assert_int_equal(
		parse_for(ITEM, "intermediate",
			  BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "junior", 2) ", " DRAW(
									"company_overview", "senior", 3) "]"),
			  &bp, msg, sizeof msg),
		BLUEPRINT_INVALID);
	assert_non_null(strstr(msg, "draws[1]"));
	assert_non_null(strstr(msg, "senior"));
	assert_int_equal(parse_for(ITEM, "intermediate",
				   BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "资深", 1) "]"),
				   &bp, msg, sizeof msg),
			 BLUEPRINT_INVALID);
	assert_non_null(strstr(msg, "draws[0]"));
	/* A junior exam draws only junior questions. */
	assert_int_equal(parse_for(ITEM, "junior",
				   BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "junior", 1) "]"),
				   &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_int_equal(
		parse_for(ITEM, "junior",
			  BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "intermediate", 1) "]"),
			  &bp, msg, sizeof msg),
		BLUEPRINT_INVALID);
	assert_non_null(strstr(msg, "draws[0]"));
	/* An expert exam may draw from every level. */
	assert_int_equal(parse_for(ITEM, "expert",
				   BODY("\"time_limit_seconds\": 600, ",
					"[" DRAW("company_overview", "junior", 1) ", " DRAW(
						"company_overview", "intermediate",
						1) ", " DRAW("company_overview", "senior",
							     1) ", " DRAW("company_overview", "expert", 1) "]"),
				   &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_int_equal(bp.ndraws, 4);
}

/* ---- draws: count and duplicates ---- */

static void test_draw_count_bounds(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "senior", 0) "]"), BLUEPRINT_INVALID,
	       "draws[0].count");
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "senior", 1) "]"),
			       &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_int_equal(bp.draws[0].count, 1);
	assert_int_equal(parse(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "senior", 500) "]"),
			       &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	assert_int_equal(bp.draws[0].count, 500);
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "senior", 501) "]"),
	       BLUEPRINT_INVALID, "draws[0].count");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "senior", -1) "]"), BLUEPRINT_INVALID,
	       "draws[0].count");
	EXPECT(BODY("\"time_limit_seconds\": 600, ", "[" DRAW("company_overview", "senior", 4294967297) "]"),
	       BLUEPRINT_INVALID, "draws[0].count");
	EXPECT(BODY("\"time_limit_seconds\": 600, ",
		    "[" DRAW("company_overview", "senior", 1) ", " DRAW("laws_and_regulations", "senior", 501) "]"),
	       BLUEPRINT_INVALID, "draws[1].count");
}

static void test_draw_duplicates(void **state)
{
	(void)state;
	EXPECT(BODY("\"time_limit_seconds\": 600, ",
		    "[" DRAW("company_overview", "senior", 1) ", " DRAW("company_overview", "senior", 2) "]"),
	       BLUEPRINT_INVALID, "draws[1]");
	/* The same row spelt with the Chinese names is still the same row. */
	EXPECT(BODY("\"time_limit_seconds\": 600, ",
		    "[" DRAW("company_overview", "senior", 1) ", " DRAW("laws_and_regulations", "junior",
									1) ", " DRAW("企业概况", "高级", 2) "]"),
	       BLUEPRINT_INVALID, "draws[0]");
	EXPECT(BODY("\"time_limit_seconds\": 600, ",
		    "[" DRAW("company_overview", "senior", 1) ", " DRAW("laws_and_regulations", "junior",
									1) ", " DRAW("企业概况", "高级", 2) "]"),
	       BLUEPRINT_INVALID, "draws[2]");
	/* Same subtopic at two levels, or two subtopics at one level: distinct rows. */
	EXPECT_OK(BODY("\"time_limit_seconds\": 600, ",
		       "[" DRAW("company_overview", "senior", 1) ", " DRAW("company_overview", "junior", 2) ", " DRAW(
			       "laws_and_regulations", "senior", 3) "]"));
}

/* ---- item and level in the body ---- */

static void test_body_item_level_match_path(void **state)
{
	(void)state;
	EXPECT_OK(WITH_TIME("\"item\": \"general_knowledge\", \"level\": \"senior\", "));
	EXPECT_OK(WITH_TIME("\"item\": \"通用基础知识\", \"level\": \"高级\", "));
	EXPECT_OK(WITH_TIME("\"item\": \"General_Knowledge\", "));
	EXPECT_OK(WITH_TIME("\"level\": \"senior\", "));
}

static void test_body_item_level_contradict_path(void **state)
{
	(void)state;
	EXPECT(WITH_TIME("\"item\": \"professional_knowledge\", "), BLUEPRINT_INVALID, "item");
	EXPECT(WITH_TIME("\"item\": \"no_such_item\", "), BLUEPRINT_INVALID, "item");
	EXPECT(WITH_TIME("\"level\": \"junior\", "), BLUEPRINT_INVALID, "level");
	EXPECT(WITH_TIME("\"level\": \"资深\", "), BLUEPRINT_INVALID, "level");
	EXPECT(WITH_TIME("\"item\": \"general_knowledge\", \"level\": \"expert\", "), BLUEPRINT_INVALID, "level");
}

/* A body item or level that is not a string is a wrong type: 400 invalid_field (SPEC §4,
 * blueprint.h: BAD_FIELD is "wrong type"), not a 422. */
static void test_body_item_level_wrong_type(void **state)
{
	(void)state;
	EXPECT(WITH_TIME("\"item\": 9, "), BLUEPRINT_BAD_FIELD, "item");
	EXPECT(WITH_TIME("\"level\": 2, "), BLUEPRINT_BAD_FIELD, "level");
	EXPECT(WITH_TIME("\"item\": [\"general_knowledge\"], "), BLUEPRINT_BAD_FIELD, "item");
}

/* ---- blueprint_draws_json ---- */

static void test_draws_json(void **state)
{
	(void)state;
	struct blueprint bp;
	char msg[256];
	assert_int_equal(parse_for(ITEM, "expert",
				   BODY("\"time_limit_seconds\": 600, ",
					"[" DRAW("企业规章制度", "资深",
						 7) ", " DRAW("Telecom_Industry_Overview", "junior",
							      1) ", " DRAW("company_overview", "中级", 500) "]"),
				   &bp, msg, sizeof msg),
			 BLUEPRINT_OK);
	json_t *got = blueprint_draws_json(&bp);
	assert_non_null(got);
	json_error_t jerr;
	json_t *want =
		json_loads("[{\"subtopic\": \"company_rules_and_policies\", \"level\": \"expert\", \"count\": 7},"
			   " {\"subtopic\": \"telecom_industry_overview\", \"level\": \"junior\", \"count\": 1},"
			   " {\"subtopic\": \"company_overview\", \"level\": \"intermediate\", \"count\": 500}]",
			   0, &jerr);
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *s = json_dumps(got, JSON_COMPACT);
		print_error("got %s\n", s);
		free(s);
	}
	assert_true(json_equal(got, want));
	/* Exactly three members per row, count as an integer. */
	for (size_t i = 0; i < json_array_size(got); i++) {
		assert_int_equal(json_object_size(json_array_get(got, i)), 3);
		assert_true(json_is_integer(json_object_get(json_array_get(got, i), "count")));
	}
	json_decref(got);
	json_decref(want);

	struct blueprint empty;
	memset(&empty, 0, sizeof empty);
	got = blueprint_draws_json(&empty);
	assert_non_null(got);
	assert_true(json_is_array(got));
	assert_int_equal(json_array_size(got), 0);
	json_decref(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_nulls_mean_defaults),
		cmocka_unit_test(test_full_body),
		cmocka_unit_test(test_time_limit_bounds),
		cmocka_unit_test(test_time_limit_required_and_typed),
		cmocka_unit_test(test_max_attempts_bounds),
		cmocka_unit_test(test_max_attempts_types),
		cmocka_unit_test(test_grading_rejected),
		cmocka_unit_test(test_grading_valid),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_non_object_body),
		cmocka_unit_test(test_draws_missing_or_wrong_type),
		cmocka_unit_test(test_draws_empty),
		cmocka_unit_test(test_draws_too_many),
		cmocka_unit_test(test_draw_row_shape),
		cmocka_unit_test(test_draw_unknown_level),
		cmocka_unit_test(test_draw_subtopic_of_another_item),
		cmocka_unit_test(test_draw_unknown_subtopic),
		cmocka_unit_test(test_draw_chinese_names),
		cmocka_unit_test(test_draw_level_widening),
		cmocka_unit_test(test_draw_count_bounds),
		cmocka_unit_test(test_draw_duplicates),
		cmocka_unit_test(test_body_item_level_match_path),
		cmocka_unit_test(test_body_item_level_contradict_path),
		cmocka_unit_test(test_body_item_level_wrong_type),
		cmocka_unit_test(test_draws_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
