/* Unit tests for domain/modelver: the model-version body, its rules and exact decimals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/modelver.h"

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

/* Parses text, runs modelver_parse and returns the status; *out_text gets
 * the compact normalised output on OK (caller frees), msg the message. */
static enum modelver_status run(const char *text, char **out_text, char *msg, size_t msglen)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!body)
		fail_msg("test body is not JSON (%s): %s", jerr.text, text);
	json_t *out = (json_t *)0x1;
	enum modelver_status st = modelver_parse(cat(), body, &out, msg, msglen);
	if (st == MODELVER_OK) {
		assert_non_null(out);
		if (out_text)
			*out_text = json_dumps(out, JSON_COMPACT);
	} else {
		assert_null(out);
		assert_true(msg[0] != '\0');
	}
	json_decref(out);
	json_decref(body);
	return st;
}

static void expect_ok(const char *text, const char *want)
{
	char msg[256] = "", *got = NULL;
	enum modelver_status st = run(text, &got, msg, sizeof msg);
	if (st != MODELVER_OK)
		fail_msg("%s\n  -> status %d: %s", text, st, msg);
	if (strcmp(got, want)) {
		print_error("body: %s\n got: %s\nwant: %s\n", text, got, want);
		free(got);
		fail();
	}
	free(got);
}

static void expect_fail(const char *text, enum modelver_status want, const char *needle)
{
	char msg[256] = "";
	enum modelver_status st = run(text, NULL, msg, sizeof msg);
	if (st != want || !strstr(msg, needle))
		fail_msg("%s\n  -> status %d (want %d): \"%s\" (want it to name \"%s\")", text, st, want, msg, needle);
}

#define BANDS_ITEMS                                                                                           \
	"{\"score\":1,\"min\":0},{\"score\":2,\"min\":41},{\"score\":3,\"min\":61},{\"score\":4,\"min\":71}," \
	"{\"score\":5,\"min\":81},{\"score\":6,\"min\":91}"
#define BANDS_OK "[" BANDS_ITEMS "]"

static void test_full_body_round_trips(void **state)
{
	(void)state;
	expect_ok(
		"{\"effective_from\":\"2030-01-01T08:00:00+08:00\",\"note\":\"Raise the bar\","
		"\"required_levels\":[{\"grade\":3,\"item\":\"job_skills\",\"level\":\"senior\"},"
		"{\"grade\":4,\"item\":\"执行能力\",\"level\":\"中级\"},"
		"{\"grade\":4,\"item\":\"achievement_orientation\",\"level\":\"expert\"}],"
		"\"subtopic_weights\":[{\"item\":\"professional_knowledge\",\"level\":\"senior\",\"weights\":"
		"{\"telecom_products\":0,\"management_fundamentals\":30,\"市场营销专业知识\":0.1,"
		"\"telecom_technology\":2.5}},"
		"{\"item\":\"general_knowledge\",\"level\":\"junior\",\"weights\":{\"company_rules_and_policies\":1,"
		"\"laws_and_regulations\":1,\"company_overview\":1.0,\"telecom_industry_overview\":1e1}}],"
		"\"exam_bands\":[{\"score\":1,\"min\":0},{\"score\":2,\"min\":40},{\"score\":3,\"min\":60.0},"
		"{\"score\":6,\"min\":90},{\"score\":4,\"min\":70},{\"score\":5,\"min\":80}],"
		"\"rater_weights\":{\"hr\":0,\"supervisor\":3,\"self\":0.5}}",
		"{\"effective_from\":\"2030-01-01T08:00:00+08:00\",\"note\":\"Raise the bar\","
		"\"required_levels\":[{\"grade\":4,\"item\":\"achievement_orientation\",\"level\":\"expert\"},"
		"{\"grade\":4,\"item\":\"execution\",\"level\":\"intermediate\"},"
		"{\"grade\":3,\"item\":\"job_skills\",\"level\":\"senior\"}],"
		"\"subtopic_weights\":[{\"item\":\"general_knowledge\",\"level\":\"junior\",\"weights\":"
		"{\"telecom_industry_overview\":\"10\",\"company_overview\":\"1\",\"laws_and_regulations\":\"1\","
		"\"company_rules_and_policies\":\"1\"}},"
		"{\"item\":\"professional_knowledge\",\"level\":\"senior\",\"weights\":"
		"{\"management_fundamentals\":\"30\",\"marketing\":\"0.1\",\"telecom_technology\":\"2.5\","
		"\"telecom_products\":\"0\"}}],"
		"\"exam_bands\":[{\"score\":6,\"min\":\"90\"},{\"score\":5,\"min\":\"80\"},{\"score\":4,\"min\":\"70\"},"
		"{\"score\":3,\"min\":\"60\"},{\"score\":2,\"min\":\"40\"},{\"score\":1,\"min\":\"0\"}],"
		"\"rater_weights\":{\"self\":\"0.5\",\"supervisor\":\"3\",\"hr\":\"0\"}}");
}

static void test_minimal_bodies(void **state)
{
	(void)state;
	expect_ok("{\"note\":\"n\",\"rater_weights\":{\"peer\":2}}",
		  "{\"effective_from\":null,\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],"
		  "\"rater_weights\":{\"peer\":\"2\"}}");
	expect_ok(
		"{\"effective_from\":null,\"note\":\"n\",\"exam_bands\":" BANDS_OK ",\"required_levels\":null}",
		"{\"effective_from\":null,\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],"
		"\"exam_bands\":[{\"score\":6,\"min\":\"91\"},{\"score\":5,\"min\":\"81\"},{\"score\":4,\"min\":\"71\"},"
		"{\"score\":3,\"min\":\"61\"},{\"score\":2,\"min\":\"41\"},{\"score\":1,\"min\":\"0\"}]}");
	/* Six relations, some zero, is fine; a note of exactly 500 bytes too. */
	char body[800];
	char note[501];
	memset(note, 'x', 500);
	note[500] = '\0';
	snprintf(body, sizeof body,
		 "{\"note\":\"%s\",\"rater_weights\":{\"self\":0,\"supervisor\":0,\"peer\":0,\"subordinate\":0,"
		 "\"customer\":0,\"hr\":0.000001}}",
		 note);
	char msg[256], *got = NULL;
	assert_int_equal(run(body, &got, msg, sizeof msg), MODELVER_OK);
	assert_non_null(strstr(got, "\"hr\":\"0.000001\""));
	free(got);
}

static void test_top_level_rules(void **state)
{
	(void)state;
	expect_fail("[]", MODELVER_BAD_FIELD, "JSON object");
	expect_fail("\"x\"", MODELVER_BAD_FIELD, "JSON object");
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"peer\":1},\"version\":3}", MODELVER_BAD_FIELD, "version");
	expect_fail("{\"rater_weights\":{\"peer\":1}}", MODELVER_BAD_FIELD, "note");
	expect_fail("{\"note\":null,\"rater_weights\":{\"peer\":1}}", MODELVER_BAD_FIELD, "note");
	expect_fail("{\"note\":5,\"rater_weights\":{\"peer\":1}}", MODELVER_BAD_FIELD, "note");
	expect_fail("{\"note\":\"\",\"rater_weights\":{\"peer\":1}}", MODELVER_INVALID, "note");
	expect_fail("{\"note\":\" \\u3000\\n\",\"rater_weights\":{\"peer\":1}}", MODELVER_INVALID, "note");
	expect_fail("{\"note\":\"a\\u0000b\",\"rater_weights\":{\"peer\":1}}", MODELVER_INVALID, "note");
	char body[800], note[502];
	memset(note, 'x', 501);
	note[501] = '\0';
	snprintf(body, sizeof body, "{\"note\":\"%s\",\"rater_weights\":{\"peer\":1}}", note);
	expect_fail(body, MODELVER_INVALID, "note");
	/* Nothing to change: absent, null or empty overrides. */
	expect_fail("{\"note\":\"n\"}", MODELVER_INVALID, "nothing to change");
	expect_fail("{\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],\"rater_weights\":{},"
		    "\"exam_bands\":null}",
		    MODELVER_INVALID, "nothing to change");
	expect_fail("{\"note\":\"n\",\"required_levels\":{}}", MODELVER_BAD_FIELD, "required_levels");
	expect_fail("{\"note\":\"n\",\"subtopic_weights\":{}}", MODELVER_BAD_FIELD, "subtopic_weights");
	expect_fail("{\"note\":\"n\",\"exam_bands\":{}}", MODELVER_BAD_FIELD, "exam_bands");
	expect_fail("{\"note\":\"n\",\"rater_weights\":[]}", MODELVER_BAD_FIELD, "rater_weights");
}

static void test_effective_from(void **state)
{
	(void)state;
	static const char *const good[] = {
		"2030-01-01T00:00:00Z",      "2024-02-29T12:00:00Z",
		"2000-02-29T23:59:59Z",      "2030-12-31T23:59:59.123456+08:00",
		"2030-01-01T00:00:00-00:00", "0001-01-01T00:00:00.5Z",
		"1999-04-30T10:20:30-23:59",
	};
	static const char *const bad[] = {
		"",
		"2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2030-04-31T00:00:00Z",
		"2030-13-01T00:00:00Z",
		"2030-00-01T00:00:00Z",
		"2030-01-00T00:00:00Z",
		"0000-01-01T00:00:00Z",
		"2030-01-01 00:00:00Z",
		"2030-01-01t00:00:00Z",
		"2030-01-01T00:00:00z",
		"2030-01-01T00:00:00",
		"2030-01-01",
		"2030-01-01T24:00:00Z",
		"2030-01-01T00:60:00Z",
		"2030-01-01T00:00:60Z",
		"2030-01-01T00:00:00.Z",
		"2030-01-01T00:00:00+0800",
		"2030-01-01T00:00:00+08",
		"2030-01-01T00:00:00+24:00",
		"2030-01-01T00:00:00+08:60",
		"2030-01-01T00:00:00Zx",
		"2030-1-01T00:00:00Z",
		"+2030-01-01T00:00:00Z",
		" 2030-01-01T00:00:00Z",
		"now",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (!modelver_timestamp_valid(good[i]))
			fail_msg("rejected %s", good[i]);
		char body[200], want[300];
		snprintf(body, sizeof body, "{\"effective_from\":\"%s\",\"note\":\"n\",\"rater_weights\":{\"hr\":1}}",
			 good[i]);
		snprintf(want, sizeof want,
			 "{\"effective_from\":\"%s\",\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],"
			 "\"rater_weights\":{\"hr\":\"1\"}}",
			 good[i]);
		expect_ok(body, want);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (modelver_timestamp_valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
		char body[200];
		snprintf(body, sizeof body, "{\"effective_from\":\"%s\",\"note\":\"n\",\"rater_weights\":{\"hr\":1}}",
			 bad[i]);
		expect_fail(body, MODELVER_BAD_FIELD, "effective_from");
	}
	assert_false(modelver_timestamp_valid(NULL));
	expect_fail("{\"effective_from\":1893456000,\"note\":\"n\",\"rater_weights\":{\"hr\":1}}", MODELVER_BAD_FIELD,
		    "effective_from");
	expect_fail("{\"effective_from\":\"2030-01-01T00:00:00Z\\u0000\",\"note\":\"n\",\"rater_weights\":{\"hr\":1}}",
		    MODELVER_BAD_FIELD, "effective_from");
}

static void test_required_levels_rules(void **state)
{
	(void)state;
#define RL(x) "{\"note\":\"n\",\"required_levels\":[{\"grade\":4,\"item\":\"execution\",\"level\":\"junior\"}," x "]}"
	expect_fail(RL("5"), MODELVER_BAD_FIELD, "required_levels[1]");
	expect_fail(RL("{\"grade\":4,\"item\":\"coordination\",\"level\":\"junior\",\"x\":1}"), MODELVER_BAD_FIELD,
		    "required_levels[1].x");
	expect_fail(RL("{\"item\":\"coordination\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].grade");
	expect_fail(RL("{\"grade\":\"4\",\"item\":\"coordination\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].grade");
	expect_fail(RL("{\"grade\":4.0,\"item\":\"coordination\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].grade");
	expect_fail(RL("{\"grade\":0,\"item\":\"coordination\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].grade");
	expect_fail(RL("{\"grade\":5,\"item\":\"coordination\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].grade");
	expect_fail(RL("{\"grade\":4,\"level\":\"junior\"}"), MODELVER_BAD_FIELD, "required_levels[1].item");
	expect_fail(RL("{\"grade\":4,\"item\":7,\"level\":\"junior\"}"), MODELVER_BAD_FIELD, "required_levels[1].item");
	expect_fail(RL("{\"grade\":4,\"item\":\"cooking\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].item");
	expect_fail(RL("{\"grade\":4,\"item\":\"coordination\"}"), MODELVER_BAD_FIELD, "required_levels[1].level");
	expect_fail(RL("{\"grade\":4,\"item\":\"coordination\",\"level\":\"guru\"}"), MODELVER_BAD_FIELD,
		    "required_levels[1].level");
	/* The same (grade, item), also through the Chinese name. */
	expect_fail(RL("{\"grade\":4,\"item\":\"执行能力\",\"level\":\"senior\"}"), MODELVER_INVALID,
		    "required_levels[1]");
	expect_ok(RL("{\"grade\":3,\"item\":\"execution\",\"level\":\"senior\"}"),
		  "{\"effective_from\":null,\"note\":\"n\",\"required_levels\":[{\"grade\":4,\"item\":\"execution\","
		  "\"level\":\"junior\"},{\"grade\":3,\"item\":\"execution\",\"level\":\"senior\"}],"
		  "\"subtopic_weights\":[]}");
#undef RL
}

#define GK_OK                                                                                 \
	"{\"telecom_industry_overview\":1,\"company_overview\":1,\"laws_and_regulations\":1," \
	"\"company_rules_and_policies\":1}"

static void test_subtopic_weights_rules(void **state)
{
	(void)state;
#define SW(x)                                                                                                           \
	"{\"note\":\"n\",\"subtopic_weights\":[{\"item\":\"general_knowledge\",\"level\":\"junior\",\"weights\":" GK_OK \
	"}," x "]}"
#define PK(w) SW("{\"item\":\"professional_knowledge\",\"level\":\"senior\",\"weights\":" w "}")
#define PK3 "\"management_fundamentals\":30,\"telecom_technology\":20,\"telecom_products\":20"
	expect_fail(SW("[]"), MODELVER_BAD_FIELD, "subtopic_weights[1]");
	expect_fail(SW("{\"item\":\"job_skills\",\"level\":\"junior\",\"weights\":{},\"extra\":1}"), MODELVER_BAD_FIELD,
		    "subtopic_weights[1].extra");
	expect_fail(SW("{\"level\":\"junior\",\"weights\":{}}"), MODELVER_BAD_FIELD, "subtopic_weights[1].item");
	expect_fail(SW("{\"item\":\"nope\",\"level\":\"junior\",\"weights\":{}}"), MODELVER_BAD_FIELD,
		    "subtopic_weights[1].item");
	expect_fail(SW("{\"item\":\"job_skills\",\"level\":1,\"weights\":{}}"), MODELVER_BAD_FIELD,
		    "subtopic_weights[1].level");
	expect_fail(SW("{\"item\":\"job_skills\",\"level\":\"nope\",\"weights\":{}}"), MODELVER_BAD_FIELD,
		    "subtopic_weights[1].level");
	expect_fail(SW("{\"item\":\"execution\",\"level\":\"junior\",\"weights\":{}}"), MODELVER_INVALID,
		    "subtopic_weights[1].item");
	expect_fail(SW("{\"item\":\"job_skills\",\"level\":\"junior\"}"), MODELVER_BAD_FIELD,
		    "subtopic_weights[1].weights");
	expect_fail(SW("{\"item\":\"job_skills\",\"level\":\"junior\",\"weights\":[1,2,3]}"), MODELVER_BAD_FIELD,
		    "subtopic_weights[1].weights");
	/* Duplicate (item, level), also through the Chinese names. */
	expect_fail(SW("{\"item\":\"通用基础知识\",\"level\":\"初级\",\"weights\":" GK_OK "}"), MODELVER_INVALID,
		    "subtopic_weights[1]");
	expect_fail(PK("{\"marketing\":\"40\"," PK3 "}"), MODELVER_BAD_FIELD, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":null," PK3 "}"), MODELVER_BAD_FIELD, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":true," PK3 "}"), MODELVER_BAD_FIELD, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{" PK3 "}"), MODELVER_INVALID, "marketing");
	expect_fail(PK("{\"marketing\":1,\"company_overview\":1," PK3 "}"), MODELVER_INVALID,
		    "subtopic_weights[1].weights.company_overview");
	expect_fail(PK("{\"marketing\":1,\"cooking\":1," PK3 "}"), MODELVER_INVALID,
		    "subtopic_weights[1].weights.cooking");
	expect_fail(PK("{\"marketing\":1,\"市场营销专业知识\":1," PK3 "}"), MODELVER_INVALID,
		    "subtopic_weights[1].weights");
	expect_fail(PK("{\"marketing\":-1," PK3 "}"), MODELVER_INVALID, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":-0.5," PK3 "}"), MODELVER_INVALID, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":0.1234567," PK3 "}"), MODELVER_INVALID, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":1000001," PK3 "}"), MODELVER_INVALID, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":1e300," PK3 "}"), MODELVER_INVALID, "subtopic_weights[1].weights.marketing");
	expect_fail(PK("{\"marketing\":0,\"management_fundamentals\":0,\"telecom_technology\":0.0,"
		       "\"telecom_products\":-0.0}"),
		    MODELVER_INVALID, "subtopic_weights[1].weights");
#undef PK3
#undef PK
#undef SW
}

static void test_exam_bands_rules(void **state)
{
	(void)state;
#define EB(a, b, c, d, e, f)                                                                  \
	"{\"note\":\"n\",\"exam_bands\":[{\"score\":1,\"min\":" a "},{\"score\":2,\"min\":" b \
	"},{\"score\":3,\"min\":" c "},{\"score\":4,\"min\":" d "},{\"score\":5,\"min\":" e   \
	"},{\"score\":6,\"min\":" f "}]}"
	expect_fail(EB("0", "41", "61", "71", "81", "\"91\""), MODELVER_BAD_FIELD, "exam_bands[5].min");
	expect_fail(EB("0", "41", "61", "71", "81", "null"), MODELVER_BAD_FIELD, "exam_bands[5].min");
	expect_fail(EB("0", "41", "61.5", "71", "81", "91"), MODELVER_INVALID, "exam_bands[2].min");
	expect_fail(EB("0", "41", "61", "71", "81", "101"), MODELVER_INVALID, "exam_bands[5].min");
	expect_fail(EB("0", "41", "61", "71", "81", "100.5"), MODELVER_INVALID, "exam_bands[5].min");
	expect_fail(EB("-1", "41", "61", "71", "81", "91"), MODELVER_INVALID, "exam_bands[0].min");
	expect_fail(EB("1", "41", "61", "71", "81", "91"), MODELVER_INVALID, "score 1");
	expect_fail(EB("0", "41", "61", "61", "81", "91"), MODELVER_INVALID, "score 4");
	expect_fail(EB("0", "41", "61", "71", "91", "81"), MODELVER_INVALID, "score 6");
	expect_ok(
		EB("0", "1", "2", "3", "4", "100.0"),
		"{\"effective_from\":null,\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],"
		"\"exam_bands\":[{\"score\":6,\"min\":\"100\"},{\"score\":5,\"min\":\"4\"},{\"score\":4,\"min\":\"3\"},"
		"{\"score\":3,\"min\":\"2\"},{\"score\":2,\"min\":\"1\"},{\"score\":1,\"min\":\"0\"}]}");
#undef EB
	expect_fail("{\"note\":\"n\",\"exam_bands\":[]}", MODELVER_INVALID, "exam_bands");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":1,\"min\":0}]}", MODELVER_INVALID, "score 2");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":1,\"min\":0},{\"score\":1,\"min\":0}]}",
		    MODELVER_INVALID, "exam_bands[1]");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":7,\"min\":0}]}", MODELVER_BAD_FIELD,
		    "exam_bands[0].score");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":0,\"min\":0}]}", MODELVER_BAD_FIELD,
		    "exam_bands[0].score");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":\"1\",\"min\":0}]}", MODELVER_BAD_FIELD,
		    "exam_bands[0].score");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"min\":0}]}", MODELVER_BAD_FIELD, "exam_bands[0].score");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":1,\"min\":0,\"name\":\"x\"}]}", MODELVER_BAD_FIELD,
		    "exam_bands[0].name");
	expect_fail("{\"note\":\"n\",\"exam_bands\":[1]}", MODELVER_BAD_FIELD, "exam_bands[0]");
	/* Seven entries: one score repeats. */
	expect_fail("{\"note\":\"n\",\"exam_bands\":[{\"score\":6,\"min\":95}," BANDS_ITEMS "]}", MODELVER_INVALID,
		    "exam_bands[6]");
}

static void test_rater_weights_rules(void **state)
{
	(void)state;
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"boss\":1}}", MODELVER_BAD_FIELD, "rater_weights.boss");
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"peer\":\"1\"}}", MODELVER_BAD_FIELD, "rater_weights.peer");
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"peer\":null}}", MODELVER_BAD_FIELD, "rater_weights.peer");
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"peer\":-1}}", MODELVER_INVALID, "rater_weights.peer");
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"peer\":1e-7}}", MODELVER_INVALID, "rater_weights.peer");
	expect_fail("{\"note\":\"n\",\"rater_weights\":{\"self\":0,\"supervisor\":0,\"peer\":0,\"subordinate\":0,"
		    "\"customer\":0,\"hr\":0.0}}",
		    MODELVER_INVALID, "rater_weights");
	/* Five zeros is fine: the sixth keeps its previous weight. */
	expect_ok(
		"{\"note\":\"n\",\"rater_weights\":{\"hr\":0,\"customer\":0,\"subordinate\":0,\"peer\":0,\"self\":0}}",
		"{\"effective_from\":null,\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],"
		"\"rater_weights\":{\"self\":\"0\",\"peer\":\"0\",\"subordinate\":\"0\",\"customer\":\"0\",\"hr\":\"0\"}}");
}

/* One rater weight given as raw JSON number text: the string it becomes, or
 * NULL when it must be refused with 422. */
static void check_decimal(const char *number, const char *want)
{
	char body[200], msg[256] = "", *got = NULL;
	snprintf(body, sizeof body, "{\"note\":\"n\",\"rater_weights\":{\"peer\":%s}}", number);
	enum modelver_status st = run(body, &got, msg, sizeof msg);
	if (!want) {
		if (st != MODELVER_INVALID || !strstr(msg, "rater_weights.peer"))
			fail_msg("%s: status %d \"%s\", want 422 naming rater_weights.peer", number, st, msg);
		return;
	}
	if (st != MODELVER_OK)
		fail_msg("%s: status %d \"%s\"", number, st, msg);
	char expect[200];
	snprintf(expect, sizeof expect,
		 "{\"effective_from\":null,\"note\":\"n\",\"required_levels\":[],\"subtopic_weights\":[],"
		 "\"rater_weights\":{\"peer\":\"%s\"}}",
		 want);
	if (strcmp(got, expect))
		fail_msg("%s became %s", number, got);
	free(got);
}

static void test_decimal_exactness(void **state)
{
	(void)state;
	check_decimal("0.1", "0.1");
	check_decimal("30", "30");
	check_decimal("30.0", "30");
	check_decimal("2.5", "2.5");
	check_decimal("0", "0");
	check_decimal("-0", "0");
	check_decimal("-0.0", "0");
	check_decimal("0.000001", "0.000001");
	check_decimal("0.123456", "0.123456");
	check_decimal("0.3", "0.3");
	check_decimal("1e2", "100");
	check_decimal("2.50000000", "2.5");
	check_decimal("123456.123456", "123456.123456");
	check_decimal("999999.999999", "999999.999999");
	check_decimal("1000000", "1000000");
	check_decimal("1000000.0", "1000000");
	check_decimal("0.1234567", NULL);
	check_decimal("1e-7", NULL);
	check_decimal("0.0000005", NULL);
	check_decimal("2.0000001", NULL);
	check_decimal("1000000.000001", NULL);
	check_decimal("1000001", NULL);
	check_decimal("9223372036854775807", NULL);
	check_decimal("1e308", NULL);
	check_decimal("-0.000001", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_body_round_trips), cmocka_unit_test(test_minimal_bodies),
		cmocka_unit_test(test_top_level_rules),       cmocka_unit_test(test_effective_from),
		cmocka_unit_test(test_required_levels_rules), cmocka_unit_test(test_subtopic_weights_rules),
		cmocka_unit_test(test_exam_bands_rules),      cmocka_unit_test(test_rater_weights_rules),
		cmocka_unit_test(test_decimal_exactness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
