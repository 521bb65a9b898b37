/* Unit tests for domain/attempt: scoring an attempt given as JSON (SPEC §3.1), end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/attempt.h"

/* The default thresholds of SPEC §2, as the database hands them over. */
#define BANDS                                                                                                 \
	"[{\"score\": 6, \"min\": \"91\"}, {\"score\": 5, \"min\": \"81\"}, {\"score\": 4, \"min\": \"71\"}," \
	" {\"score\": 3, \"min\": \"61\"}, {\"score\": 2, \"min\": \"41\"}, {\"score\": 1, \"min\": \"0\"}]"

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!j)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	return j;
}

static json_t *bands(void)
{
	return load(BANDS);
}

/* Scores input (consumed); on SCORE_OK returns the result, else fails the test. */
static json_t *score_ok(json_t *input)
{
	json_t *out = NULL;
	char err[256] = "";
	enum score_status st = attempt_score_json(input, &out, err, sizeof err);
	json_decref(input);
	if (st != SCORE_OK)
		fail_msg("scoring failed with %d: %s", (int)st, err);
	assert_non_null(out);
	return out;
}

static json_t *score_text(const char *text)
{
	return score_ok(load(text));
}

/* Asserts that scoring text fails with `want` (or any failure when want is SCORE_OK), sets *out
 * to NULL and explains itself, mentioning `needle` when given. */
static void expect_fail(const char *text, enum score_status want, const char *needle)
{
	json_t *input = load(text);
	json_t sentinel;
	json_t *out = &sentinel;
	char err[256] = "";
	enum score_status st = attempt_score_json(input, &out, err, sizeof err);
	json_decref(input);
	if (st == SCORE_OK) {
		json_decref(out);
		fail_msg("input was accepted: %s", text);
	}
	if (want != SCORE_OK && st != want)
		fail_msg("status %d (%s), want %d, for %s", (int)st, err, (int)want, text);
	assert_null(out);
	assert_true(err[0] != '\0');
	if (needle && !strstr(err, needle))
		fail_msg("message \"%s\" does not mention \"%s\"", err, needle);
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

static json_int_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *qscore(json_t *out, const char *id)
{
	return str(json_object_get(out, "question_scores"), id);
}

/* One question object. */
static json_t *question(json_int_t id, const char *sub, const char *type, const char *points, json_t *key,
			json_t *answer)
{
	json_t *q = json_pack("{s:I,s:s,s:s,s:s,s:o}", "id", id, "subtopic", sub, "type", type, "points", points, "key",
			      key);
	assert_non_null(q);
	json_object_set_new(q, "answer", answer ? answer : json_null());
	return q;
}

/* {"questions": qs, "weights": weights, "bands": default} with weights given as text. */
static json_t *input(json_t *qs, const char *weights)
{
	json_t *in = json_pack("{s:o,s:o,s:o}", "questions", qs, "weights", load(weights), "bands", bands());
	assert_non_null(in);
	return in;
}

/* ---- the SPEC worked example ---- */

static void test_spec_worked_example(void **state)
{
	(void)state;
	static const char *const subs[] = {"telecom_industry_overview", "company_overview", "laws_and_regulations",
					   "company_rules_and_policies"};
	static const int right[] = {8, 9, 7, 10};
	json_t *qs = json_array();
	json_int_t id = 1;
	for (int s = 0; s < 4; s++)
		for (int i = 0; i < 10; i++, id++)
			json_array_append_new(qs, question(id, subs[s], "truefalse", "1.00", json_true(),
							   json_boolean(i < right[s])));
	json_t *out = score_ok(input(qs, "{\"telecom_industry_overview\": \"30\", \"company_overview\": \"30\","
					 " \"laws_and_regulations\": \"20\", \"company_rules_and_policies\": \"20\"}"));
	assert_string_equal(str(out, "standard_score"), "85.00");
	assert_int_equal(num(out, "rounded"), 85);
	assert_int_equal(num(out, "band"), 5);
	assert_string_equal(str(out, "band_name_zh"), "达标");
	assert_true(json_is_false(json_object_get(out, "equal_weights")));

	static const char *const earned[] = {"8.00", "9.00", "7.00", "10.00"};
	static const char *const score[] = {"80.00", "90.00", "70.00", "100.00"};
	static const char *const weight[] = {"30", "30", "20", "20"};
	json_t *ss = json_object_get(out, "subtopic_scores");
	assert_true(json_is_array(ss));
	assert_int_equal(json_array_size(ss), 4);
	for (size_t s = 0; s < 4; s++) {
		json_t *r = json_array_get(ss, s);
		assert_string_equal(str(r, "subtopic"), subs[s]);
		assert_int_equal(num(r, "questions"), 10);
		assert_string_equal(str(r, "earned"), earned[s]);
		assert_string_equal(str(r, "possible"), "10.00");
		assert_string_equal(str(r, "score"), score[s]);
		assert_string_equal(str(r, "weight"), weight[s]);
	}

	json_t *qsc = json_object_get(out, "question_scores");
	assert_true(json_is_object(qsc));
	assert_int_equal(json_object_size(qsc), 40);
	assert_string_equal(qscore(out, "1"), "1.00");
	assert_string_equal(qscore(out, "8"), "1.00");
	assert_string_equal(qscore(out, "9"), "0.00");
	assert_string_equal(qscore(out, "10"), "0.00");
	assert_string_equal(qscore(out, "19"), "1.00");
	assert_string_equal(qscore(out, "20"), "0.00");
	assert_string_equal(qscore(out, "40"), "1.00");
	int ones = 0;
	const char *k;
	json_t *v;
	json_object_foreach(qsc, k, v)
	{
		assert_true(json_is_string(v));
		ones += !strcmp(json_string_value(v), "1.00");
	}
	assert_int_equal(ones, 34);
	json_decref(out);
}

/* ---- points-weighted scores and the half-up edge ---- */

static void test_points_weighted_90_50(void **state)
{
	(void)state;
	json_t *out = score_text("{\"questions\": ["
				 "{\"id\": 1, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"181.00\","
				 " \"key\": \"A\", \"answer\": \"A\"},"
				 "{\"id\": 2, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"19.00\","
				 " \"key\": \"A\", \"answer\": \"B\"}],"
				 " \"weights\": {\"s\": \"1\"}, \"bands\": " BANDS "}");
	assert_string_equal(str(out, "standard_score"), "90.50");
	assert_int_equal(num(out, "rounded"), 91);
	assert_int_equal(num(out, "band"), 6);
	assert_string_equal(str(out, "band_name_zh"), "超标");
	json_t *r = json_array_get(json_object_get(out, "subtopic_scores"), 0);
	assert_string_equal(str(r, "earned"), "181.00");
	assert_string_equal(str(r, "possible"), "200.00");
	assert_string_equal(str(r, "score"), "90.50");
	assert_string_equal(str(r, "weight"), "1");
	assert_string_equal(qscore(out, "1"), "181.00");
	assert_string_equal(qscore(out, "2"), "0.00");
	json_decref(out);
}

/* 180.99 of 200 = 90.495 exactly: stored half-up as 90.50, so R = 91 (SPEC §3.1). */
static void test_half_up_edge(void **state)
{
	(void)state;
	json_t *out = score_text("{\"questions\": ["
				 "{\"id\": 1, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"180.99\","
				 " \"key\": \"A\", \"answer\": \"A\"},"
				 "{\"id\": 2, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"19.01\","
				 " \"key\": \"A\", \"answer\": null}],"
				 " \"weights\": {\"s\": \"0.5\"}, \"bands\": " BANDS "}");
	assert_string_equal(str(out, "standard_score"), "90.50");
	assert_int_equal(num(out, "rounded"), 91);
	assert_int_equal(num(out, "band"), 6);
	assert_string_equal(str(json_array_get(json_object_get(out, "subtopic_scores"), 0), "weight"), "0.5");
	json_decref(out);
}

/* Weighted across subtopics with fractional weights, exact: (1·100 + 2·50) / 3 = 66.666… → 66.67. */
static void test_fractional_weights(void **state)
{
	(void)state;
	json_t *out = score_text("{\"questions\": ["
				 "{\"id\": 1, \"subtopic\": \"a\", \"type\": \"truefalse\", \"points\": \"1.00\","
				 " \"key\": true, \"answer\": true},"
				 "{\"id\": 2, \"subtopic\": \"b\", \"type\": \"truefalse\", \"points\": \"1.00\","
				 " \"key\": true, \"answer\": true},"
				 "{\"id\": 3, \"subtopic\": \"b\", \"type\": \"truefalse\", \"points\": \"1.00\","
				 " \"key\": true, \"answer\": false}],"
				 " \"weights\": {\"a\": \"0.125\", \"b\": \"0.25\"}, \"bands\": " BANDS "}");
	assert_string_equal(str(out, "standard_score"), "66.67");
	assert_int_equal(num(out, "rounded"), 67);
	assert_int_equal(num(out, "band"), 3);
	assert_string_equal(str(out, "band_name_zh"), "大部分达标");
	json_t *ss = json_object_get(out, "subtopic_scores");
	assert_string_equal(str(json_array_get(ss, 0), "weight"), "0.125");
	assert_string_equal(str(json_array_get(ss, 1), "weight"), "0.25");
	assert_string_equal(str(json_array_get(ss, 1), "score"), "50.00");
	json_decref(out);
}

/* ---- unanswered ---- */

static void test_unanswered(void **state)
{
	(void)state;
	json_t *out = score_text("{\"questions\": ["
				 "{\"id\": 7, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"1.00\","
				 " \"key\": \"A\", \"answer\": null},"
				 "{\"id\": 8, \"subtopic\": \"s\", \"type\": \"multiple\", \"points\": \"2.00\","
				 " \"key\": [\"A\", \"B\"], \"answer\": null},"
				 "{\"id\": 9, \"subtopic\": \"s\", \"type\": \"truefalse\", \"points\": \"1.00\","
				 " \"key\": false, \"answer\": null},"
				 "{\"id\": 10, \"subtopic\": \"s\", \"type\": \"fill\", \"points\": \"1.00\","
				 " \"key\": [\"5G\"]}],"
				 " \"weights\": {\"s\": \"1\"}, \"bands\": " BANDS "}");
	assert_string_equal(str(out, "standard_score"), "0.00");
	assert_int_equal(num(out, "rounded"), 0);
	assert_int_equal(num(out, "band"), 1);
	assert_string_equal(str(out, "band_name_zh"), "差距很大");
	for (int id = 7; id <= 10; id++) {
		char k[8];
		snprintf(k, sizeof k, "%d", id);
		assert_string_equal(qscore(out, k), "0.00");
	}
	json_t *r = json_array_get(json_object_get(out, "subtopic_scores"), 0);
	assert_string_equal(str(r, "earned"), "0.00");
	assert_string_equal(str(r, "possible"), "5.00");
	assert_string_equal(str(r, "score"), "0.00");
	json_decref(out);
}

/* ---- per question type: question_scores tells right from wrong ---- */

/* Scores one question of type with key (JSON text) for each answer (JSON text, NULL = absent)
 * and checks the earned points against want ("1.00" right, "0.00" wrong). */
static void check_answers(const char *type, const char *key, const char *const *answers, const bool *right, size_t n)
{
	json_t *qs = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(qs, question((json_int_t)(i + 1), "s", type, "1.00", load(key),
						   answers[i] ? load(answers[i]) : NULL));
	json_t *out = score_ok(input(qs, "{\"s\": \"1\"}"));
	size_t nright = 0;
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "%zu", i + 1);
		const char *got = qscore(out, id);
		if (strcmp(got, right[i] ? "1.00" : "0.00") != 0)
			fail_msg("%s key %s answer %s: earned %s, want %s", type, key,
				 answers[i] ? answers[i] : "(none)", got, right[i] ? "1.00" : "0.00");
		nright += right[i];
	}
	char earned[32];
	snprintf(earned, sizeof earned, "%zu.00", nright);
	assert_string_equal(str(json_array_get(json_object_get(out, "subtopic_scores"), 0), "earned"), earned);
	json_decref(out);
}

static void test_single(void **state)
{
	(void)state;
	static const char *const answers[] = {"\"B\"", "\"C\"",   "\"A\"", "\"b\"", "\"BB\"", "\"I\"",
					      "\"\"",  "[\"B\"]", "true",  "2",     "{}",     NULL};
	static const bool right[] = {true, false, false, false, false, false, false, false, false, false, false, false};
	check_answers("single", "\"B\"", answers, right, sizeof answers / sizeof answers[0]);
	/* The bank's Chinese type name works the same. */
	check_answers("单选", "\"B\"", answers, right, sizeof answers / sizeof answers[0]);
	/* H is the last label. */
	static const char *const h[] = {"\"H\"", "\"G\""};
	static const bool hr[] = {true, false};
	check_answers("single", "\"H\"", h, hr, 2);
}

static void test_multiple_all_or_nothing(void **state)
{
	(void)state;
	static const char *const answers[] = {
		"[\"A\", \"C\"]",        /* exact */
		"[\"C\", \"A\"]",        /* exact, other order */
		"[\"A\"]",               /* subset */
		"[\"C\"]",               /* subset */
		"[\"A\", \"B\", \"C\"]", /* superset */
		"[\"A\", \"B\"]",        /* overlap */
		"[]",                    /* empty */
		"\"A\"",                 /* wrong type */
		"\"AC\"",                /* wrong type */
		"[\"A\", \"c\"]",        /* not a label */
		"[\"A\", 3]",            /* not a label */
		"true",                  /* wrong type */
		NULL,                    /* unanswered */
	};
	static const bool right[] = {true,  true,  false, false, false, false, false,
				     false, false, false, false, false, false};
	check_answers("multiple", "[\"A\", \"C\"]", answers, right, sizeof answers / sizeof answers[0]);
	check_answers("多选", "[\"C\", \"A\"]", answers, right, sizeof answers / sizeof answers[0]);
}

static void test_truefalse(void **state)
{
	(void)state;
	static const char *const answers[] = {"false", "true", "\"false\"", "0", "null", "[false]", NULL};
	static const bool right[] = {true, false, false, false, false, false, false};
	check_answers("truefalse", "false", answers, right, sizeof answers / sizeof answers[0]);
	static const char *const answers_t[] = {"true", "false", "\"true\"", "1"};
	static const bool right_t[] = {true, false, false, false};
	check_answers("判断", "true", answers_t, right_t, sizeof answers_t / sizeof answers_t[0]);
}

static void test_fill(void **state)
{
	(void)state;
	static const char *const answers[] = {
		"\" ５ｇ \"",           /* NFKC + trim + case fold */
		"\"5G\"",               /* exact */
		"\"5g\"",               /* case fold */
		"\"\\u30005G\\u3000\"", /* ideographic spaces trimmed */
		"\"５Ｇ\"",             /* full width */
		"\"4G\"",               /* wrong */
		"\"5 G\"",              /* inner space kept */
		"\"\"",                 /* empty */
		"5",                    /* wrong type */
		"[\"5G\"]",             /* wrong type */
		"true",                 /* wrong type */
		NULL,                   /* unanswered */
	};
	static const bool right[] = {true, true, true, true, true, false, false, false, false, false, false, false};
	check_answers("fill", "[\"5G\"]", answers, right, sizeof answers / sizeof answers[0]);

	/* Any of several accepted answers. */
	static const char *const several[] = {"\"FIBER\"", "\"光纤\"", "\" Fibre\"", "\"copper\""};
	static const bool several_right[] = {true, true, true, false};
	check_answers("填空", "[\"光纤\", \"fiber\", \"fibre\"]", several, several_right, 4);
}

/* question_scores carries each question's own points, keyed by id as text. */
static void test_question_scores_keys(void **state)
{
	(void)state;
	json_t *out =
		score_text("{\"questions\": ["
			   "{\"id\": 1234567890123, \"subtopic\": \"a\", \"type\": \"single\", \"points\": \"2.50\","
			   " \"key\": \"D\", \"answer\": \"D\"},"
			   "{\"id\": 42, \"subtopic\": \"b\", \"type\": \"fill\", \"points\": \"3\","
			   " \"key\": [\"x\"], \"answer\": \"X\"},"
			   "{\"id\": 43, \"subtopic\": \"b\", \"type\": \"fill\", \"points\": \"0.5\","
			   " \"key\": [\"x\"], \"answer\": \"y\"}],"
			   " \"weights\": {\"a\": \"1\", \"b\": \"1\"}, \"bands\": " BANDS "}");
	json_t *qsc = json_object_get(out, "question_scores");
	assert_int_equal(json_object_size(qsc), 3);
	assert_string_equal(qscore(out, "1234567890123"), "2.50");
	assert_string_equal(qscore(out, "42"), "3.00");
	assert_string_equal(qscore(out, "43"), "0.00");
	json_t *ss = json_object_get(out, "subtopic_scores");
	assert_int_equal(json_array_size(ss), 2);
	assert_string_equal(str(json_array_get(ss, 0), "subtopic"), "a");
	assert_string_equal(str(json_array_get(ss, 1), "subtopic"), "b");
	assert_string_equal(str(json_array_get(ss, 1), "earned"), "3.00");
	assert_string_equal(str(json_array_get(ss, 1), "possible"), "3.50");
	assert_string_equal(str(json_array_get(ss, 1), "score"), "85.71");
	assert_int_equal(num(json_array_get(ss, 1), "questions"), 2);
	/* (100 + 85.714…) / 2 = 92.857… */
	assert_string_equal(str(out, "standard_score"), "92.86");
	assert_int_equal(num(out, "band"), 6);
	json_decref(out);
}

/* ---- weights ---- */

static void test_zero_weights_fall_back_to_equal(void **state)
{
	(void)state;
	static const char *const qs = "{\"questions\": ["
				      "{\"id\": 1, \"subtopic\": \"a\", \"type\": \"truefalse\", \"points\": \"1.00\","
				      " \"key\": true, \"answer\": true},"
				      "{\"id\": 2, \"subtopic\": \"b\", \"type\": \"truefalse\", \"points\": \"1.00\","
				      " \"key\": true, \"answer\": true},"
				      "{\"id\": 3, \"subtopic\": \"b\", \"type\": \"truefalse\", \"points\": \"1.00\","
				      " \"key\": true, \"answer\": false}],"
				      " \"bands\": " BANDS ", \"weights\": ";
	char text[2048];
	/* All present subtopics weigh 0: equal weights, (100 + 50) / 2. */
	snprintf(text, sizeof text, "%s{\"a\": \"0\", \"b\": \"0.000000\"}}", qs);
	json_t *out = score_text(text);
	assert_string_equal(str(out, "standard_score"), "75.00");
	assert_int_equal(num(out, "band"), 4);
	assert_true(json_is_true(json_object_get(out, "equal_weights")));
	assert_string_equal(str(json_array_get(json_object_get(out, "subtopic_scores"), 0), "weight"), "1");
	assert_string_equal(str(json_array_get(json_object_get(out, "subtopic_scores"), 1), "weight"), "1");
	json_decref(out);
	/* A weight on an absent subtopic does not count towards the sum. */
	snprintf(text, sizeof text, "%s{\"a\": \"0\", \"b\": \"0\", \"c\": \"5\"}}", qs);
	out = score_text(text);
	assert_string_equal(str(out, "standard_score"), "75.00");
	assert_true(json_is_true(json_object_get(out, "equal_weights")));
	json_decref(out);
	/* One zero among positive weights is a real zero: only b counts. */
	snprintf(text, sizeof text, "%s{\"a\": \"0\", \"b\": \"2\"}}", qs);
	out = score_text(text);
	assert_string_equal(str(out, "standard_score"), "50.00");
	assert_int_equal(num(out, "band"), 2);
	assert_true(json_is_false(json_object_get(out, "equal_weights")));
	assert_string_equal(str(json_array_get(json_object_get(out, "subtopic_scores"), 0), "weight"), "0");
	json_decref(out);
}

static void test_no_questions(void **state)
{
	(void)state;
	json_t *out = score_text("{\"questions\": [], \"weights\": {\"a\": \"1\"}, \"bands\": " BANDS "}");
	assert_string_equal(str(out, "standard_score"), "0.00");
	assert_int_equal(num(out, "band"), 1);
	assert_int_equal(json_array_size(json_object_get(out, "subtopic_scores")), 0);
	assert_int_equal(json_object_size(json_object_get(out, "question_scores")), 0);
	json_decref(out);
}

/* ---- malformed input ---- */

#define Q_OK \
	"{\"id\": 1, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"1.00\", \"key\": \"A\", \"answer\": \"A\"}"
#define W_OK "{\"s\": \"1\"}"
#define WITH_Q(q) "{\"questions\": [" Q_OK ", " q "], \"weights\": " W_OK ", \"bands\": " BANDS "}"
#define WITH_W(w) "{\"questions\": [" Q_OK "], \"weights\": " w ", \"bands\": " BANDS "}"
#define WITH_B(b) "{\"questions\": [" Q_OK "], \"weights\": " W_OK ", \"bands\": " b "}"

static void test_malformed_top_level(void **state)
{
	(void)state;
	expect_fail("{\"weights\": " W_OK ", \"bands\": " BANDS "}", SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail("{\"questions\": [" Q_OK "], \"bands\": " BANDS "}", SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail("{\"questions\": [" Q_OK "], \"weights\": " W_OK "}", SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail("{\"questions\": " Q_OK ", \"weights\": " W_OK ", \"bands\": " BANDS "}",
		    SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail(WITH_W("[\"1\"]"), SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail(WITH_B("[]"), SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail(WITH_B("{\"6\": \"91\"}"), SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail("[]", SCORE_ERR_INVALID_ARGUMENT, NULL);
	expect_fail("null", SCORE_ERR_INVALID_ARGUMENT, NULL);

	json_t sentinel;
	json_t *out = &sentinel;
	char err[128] = "";
	assert_int_not_equal(attempt_score_json(NULL, &out, err, sizeof err), SCORE_OK);
	assert_null(out);
	assert_true(err[0] != '\0');
}

static void test_malformed_questions(void **state)
{
	(void)state;
	/* Points. */
	expect_fail(
		WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"abc\", \"key\": \"A\"}"),
		SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"type\": \"single\", \"points\": 1, \"key\": \"A\"}"),
		    SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(
		WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"1.005\", \"key\": \"A\"}"),
		SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"0\", \"key\": \"A\"}"),
		    SCORE_ERR_INVALID_QUESTION, NULL);
	expect_fail(
		WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"-1.00\", \"key\": \"A\"}"),
		SCORE_ERR_INVALID_QUESTION, NULL);
	/* Subtopic and type. */
	expect_fail(WITH_Q("{\"id\": 7, \"type\": \"single\", \"points\": \"1.00\", \"key\": \"A\"}"),
		    SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(WITH_Q("{\"id\": 7, \"subtopic\": 5, \"type\": \"single\", \"points\": \"1.00\", \"key\": \"A\"}"),
		    SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(
		WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"type\": \"essay\", \"points\": \"1.00\", \"key\": \"A\"}"),
		SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(WITH_Q("{\"id\": 7, \"subtopic\": \"s\", \"points\": \"1.00\", \"key\": \"A\"}"),
		    SCORE_ERR_INVALID_QUESTION, "question 7");
	expect_fail(WITH_Q("\"question\""), SCORE_ERR_INVALID_QUESTION, NULL);
	/* Keys that do not fit the type. */
	static const char *const bad_keys[][2] = {
		{"single", "\"Z\""},   {"single", "\"I\""},     {"single", "\"AB\""}, {"single", "\"a\""},
		{"single", "1"},       {"single", "[\"A\"]"},   {"single", "null"},   {"multiple", "[]"},
		{"multiple", "\"A\""}, {"multiple", "[\"Z\"]"}, {"multiple", "[1]"},  {"truefalse", "\"true\""},
		{"truefalse", "1"},    {"truefalse", "null"},   {"fill", "[]"},       {"fill", "\"5G\""},
		{"fill", "[5]"},       {"fill", "[\"5G\", 5]"}, {"fill", "null"},
	};
	for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text,
			 "{\"questions\": [" Q_OK
			 ", {\"id\": 9, \"subtopic\": \"s\", \"type\": \"%s\", \"points\": \"1.00\","
			 " \"key\": %s, \"answer\": null}], \"weights\": " W_OK ", \"bands\": " BANDS "}",
			 bad_keys[i][0], bad_keys[i][1]);
		expect_fail(text, SCORE_ERR_INVALID_QUESTION, NULL);
	}
	/* A question without a key at all. */
	expect_fail(WITH_Q("{\"id\": 9, \"subtopic\": \"s\", \"type\": \"single\", \"points\": \"1.00\"}"),
		    SCORE_ERR_INVALID_QUESTION, "question 9");
}

static void test_malformed_weights(void **state)
{
	(void)state;
	expect_fail(WITH_W("{\"s\": \"0.1234567\"}"), SCORE_ERR_INVALID_WEIGHT, "s");
	expect_fail(WITH_W("{\"s\": \"abc\"}"), SCORE_ERR_INVALID_WEIGHT, NULL);
	expect_fail(WITH_W("{\"s\": 30}"), SCORE_ERR_INVALID_WEIGHT, NULL);
	expect_fail(WITH_W("{\"s\": null}"), SCORE_ERR_INVALID_WEIGHT, NULL);
	expect_fail(WITH_W("{\"s\": \"-1\"}"), SCORE_ERR_INVALID_WEIGHT, NULL);
	expect_fail(WITH_W("{\"s\": \"1e3\"}"), SCORE_ERR_INVALID_WEIGHT, NULL);
	/* A bad weight fails even when its subtopic is absent from the attempt. */
	expect_fail(WITH_W("{\"s\": \"1\", \"other\": \"x\"}"), SCORE_ERR_INVALID_WEIGHT, "other");
	/* A present subtopic without a weight. */
	expect_fail(WITH_W("{\"other\": \"1\"}"), SCORE_ERR_MISSING_WEIGHT, NULL);
	/* Six decimals are fine. */
	json_t *out = score_text(WITH_W("{\"s\": \"0.123456\"}"));
	assert_string_equal(str(json_array_get(json_object_get(out, "subtopic_scores"), 0), "weight"), "0.123456");
	json_decref(out);
}

static void test_malformed_bands(void **state)
{
	(void)state;
	expect_fail(WITH_B("[{\"score\": 6, \"min\": \"90.5\"}, {\"score\": 1, \"min\": \"0\"}]"),
		    SCORE_ERR_INVALID_BANDS, "band");
	expect_fail(WITH_B("[{\"score\": 6, \"min\": 91}, {\"score\": 1, \"min\": \"0\"}]"), SCORE_ERR_INVALID_BANDS,
		    "band");
	expect_fail(WITH_B("[{\"score\": 6}]"), SCORE_ERR_INVALID_BANDS, NULL);
	expect_fail(WITH_B("[\"91\"]"), SCORE_ERR_INVALID_BANDS, NULL);
	expect_fail(WITH_B("[{\"score\": 7, \"min\": \"0\"}]"), SCORE_ERR_INVALID_BANDS, NULL);
	expect_fail(WITH_B("[{\"score\": -1, \"min\": \"0\"}]"), SCORE_ERR_INVALID_BANDS, NULL);
	/* A whole-number min written with zero decimals is still whole. */
	json_t *out = score_text(WITH_B("[{\"score\": 6, \"min\": \"91.00\"}, {\"score\": 1, \"min\": \"0\"}]"));
	assert_int_equal(num(out, "band"), 6);
	json_decref(out);
}

/* ---- memory safety with many accepted fill answers ---- */

/* One fill question with more accepted answers than the scorer's internal table holds
 * (ATTEMPT_MAX_QUESTIONS * 4). It must be scored or refused cleanly, never written past the
 * table. Runs last: under ASan an overflow ends the executable. */
static void test_fill_many_accepted_answers(void **state)
{
	(void)state;
	size_t n = ATTEMPT_MAX_QUESTIONS * 4 + 1;
	json_t *key = json_array();
	for (size_t i = 0; i < n; i++) {
		char s[32];
		snprintf(s, sizeof s, "a%zu", i);
		json_array_append_new(key, json_string(s));
	}
	char last[32];
	snprintf(last, sizeof last, "a%zu", n - 1);
	json_t *qs = json_array();
	json_array_append_new(qs, question(1, "s", "fill", "1.00", key, json_string(last)));
	json_t *in = input(qs, W_OK);
	json_t *out = NULL;
	char err[256] = "";
	enum score_status st = attempt_score_json(in, &out, err, sizeof err);
	json_decref(in);
	if (st == SCORE_OK) {
		assert_string_equal(qscore(out, "1"), "1.00");
		json_decref(out);
	} else {
		assert_null(out);
		assert_true(err[0] != '\0');
	}
}

/* The compact text of examd_attempts_scoring_text gives the same input, and the same score, as the JSON
 * document: the worked example of SPEC §3.1 (subtopic scores 80, 90, 70, 100 over weights 30, 30, 20, 20),
 * with a tab and a line feed inside a fill answer, a cleared answer (JSON null) and a missing one. */
static void test_input_from_text(void **state)
{
	(void)state;
	const char *text = "open\t-42\t{\"a\": \"30\", \"b\": \"30\", \"c\": \"20\", \"d\": \"20\"}\t" BANDS
			   "\n1\ta\tsingle\t4.00\t\"B\"\t\"B\""
			   "\n2\ta\ttruefalse\t1.00\ttrue\tfalse"
			   "\n3\tb\tmultiple\t9.00\t[\"A\", \"C\"]\t[\"A\", \"C\"]"
			   "\n4\tb\tfill\t1.00\t[\"5G\", \"x\\ty\"]\t\"x\\ty\\nz\""
			   "\n5\tc\tsingle\t7.00\t\"A\"\t\"A\""
			   "\n6\tc\tsingle\t3.00\t\"C\"\tnull"
			   "\n7\td\tsingle\t1.00\t\"D\"\t\"D\"";
	char err[128] = "";
	json_t *in = attempt_input_from_text(text, err, sizeof err);
	if (!in)
		fail_msg("%s", err);
	assert_string_equal(json_string_value(json_object_get(in, "status")), "open");
	assert_string_equal(json_string_value(json_object_get(in, "answers_version")), "-42");
	json_t *qs = json_object_get(in, "questions");
	assert_int_equal(json_array_size(qs), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(qs, 3), "answer")), "x\ty\nz");
	assert_true(json_is_null(json_object_get(json_array_get(qs, 5), "answer")));
	json_t *out = score_ok(in);
	/* a: 4 of 5 = 80; b: 9 of 10 = 90; c: 7 of 10 = 70; d: 100 -> 85.00 */
	assert_string_equal(json_string_value(json_object_get(out, "standard_score")), "85.00");
	assert_int_equal(json_integer_value(json_object_get(out, "band")), 5);
	json_decref(out);

	/* no questions at all: the head line alone */
	in = attempt_input_from_text("submitted\t0\t{}\t" BANDS, err, sizeof err);
	assert_non_null(in);
	assert_int_equal(json_array_size(json_object_get(in, "questions")), 0);
	json_decref(in);

	const char *bad[] = {"",
			     "open\t1",
			     "open\t1\t{}\tnot json",
			     "open\t1\t{}\t[]\n1\ta\tsingle",
			     "open\t1\t{}\t[]\nx\ta\tsingle\t1\t\"A\"\t",
			     "open\t1\t{}\t[]\n1\ta\tsingle\t1\t{bad\t"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		assert_null(attempt_input_from_text(bad[i], err, sizeof err));
		assert_true(err[0] != '\0');
	}
}

/* ------------------------------------------------------------------ answers checked before saving */

static void expect_normal(enum attempt_qtype type, int n_options, const char *answer_json, const char *want)
{
	json_error_t e;
	json_t *a = json_loads(answer_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	assert_non_null(a);
	char *got = attempt_answer_normal(type, n_options, a);
	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else {
		assert_null(got);
	}
	free(got);
	json_decref(a);
}

static void test_answer_normal_single(void **state)
{
	(void)state;
	expect_normal(ATTEMPT_Q_SINGLE, 4, "\"A\"", "\"A\"");
	expect_normal(ATTEMPT_Q_SINGLE, 4, "\"D\"", "\"D\"");
	expect_normal(ATTEMPT_Q_SINGLE, 4, "\"E\"", NULL);
	expect_normal(ATTEMPT_Q_SINGLE, 4, "\"a\"", NULL);
	expect_normal(ATTEMPT_Q_SINGLE, 4, "\"AB\"", NULL);
	expect_normal(ATTEMPT_Q_SINGLE, 4, "\"\"", NULL);
	expect_normal(ATTEMPT_Q_SINGLE, 4, "[\"A\"]", NULL);
	expect_normal(ATTEMPT_Q_SINGLE, 4, "true", NULL);
	expect_normal(ATTEMPT_Q_SINGLE, 4, "null", "null");
	expect_normal(ATTEMPT_Q_SINGLE, 0, "\"A\"", "\"A\""); /* as SQL: greatest(n, 1) */
	expect_normal(ATTEMPT_Q_SINGLE, 0, "\"B\"", NULL);
}

static void test_answer_normal_multiple(void **state)
{
	(void)state;
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "[\"C\",\"A\",\"E\"]", "[\"A\",\"C\",\"E\"]");
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "[\"B\"]", "[\"B\"]");
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "[]", NULL);
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "[\"A\",\"A\"]", NULL);
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "[\"A\",\"F\"]", NULL);
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "[\"A\",1]", NULL);
	expect_normal(ATTEMPT_Q_MULTIPLE, 5, "\"A\"", NULL);
}

static void test_answer_normal_truefalse_and_fill(void **state)
{
	(void)state;
	expect_normal(ATTEMPT_Q_TRUEFALSE, 0, "true", "true");
	expect_normal(ATTEMPT_Q_TRUEFALSE, 0, "false", "false");
	expect_normal(ATTEMPT_Q_TRUEFALSE, 0, "\"true\"", NULL);
	expect_normal(ATTEMPT_Q_TRUEFALSE, 0, "1", NULL);
	expect_normal(ATTEMPT_Q_FILL, 0, "\"5G \\\"核心网\\\"\"", "\"5G \\\"核心网\\\"\"");
	expect_normal(ATTEMPT_Q_FILL, 0, "[\"x\"]", NULL);
	expect_normal(ATTEMPT_Q_FILL, 0, "\"a\\u0000b\"", NULL);
	/* 1000 code points (3 bytes each) pass, 1001 do not */
	char buf[3 * 1001 + 3];
	char *p = buf;
	*p++ = '"';
	for (int i = 0; i < 1000; i++) {
		memcpy(p, "网", 3);
		p += 3;
	}
	strcpy(p, "\"");
	json_t *a = json_loads(buf, JSON_DECODE_ANY, NULL);
	char *got = attempt_answer_normal(ATTEMPT_Q_FILL, 0, a);
	assert_non_null(got);
	free(got);
	json_decref(a);
	memcpy(p, "网\"", 5);
	a = json_loads(buf, JSON_DECODE_ANY, NULL);
	assert_null(attempt_answer_normal(ATTEMPT_Q_FILL, 0, a));
	json_decref(a);
	assert_null(attempt_answer_normal(ATTEMPT_Q_FILL, 0, NULL));
}

static void test_qtype_parse(void **state)
{
	(void)state;
	enum attempt_qtype t;
	assert_true(attempt_qtype_parse("multiple", &t));
	assert_int_equal(t, ATTEMPT_Q_MULTIPLE);
	assert_true(attempt_qtype_parse("fill", &t));
	assert_int_equal(t, ATTEMPT_Q_FILL);
	assert_false(attempt_qtype_parse("essay", &t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_worked_example),
		cmocka_unit_test(test_points_weighted_90_50),
		cmocka_unit_test(test_half_up_edge),
		cmocka_unit_test(test_fractional_weights),
		cmocka_unit_test(test_unanswered),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_multiple_all_or_nothing),
		cmocka_unit_test(test_truefalse),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_question_scores_keys),
		cmocka_unit_test(test_zero_weights_fall_back_to_equal),
		cmocka_unit_test(test_no_questions),
		cmocka_unit_test(test_malformed_top_level),
		cmocka_unit_test(test_malformed_questions),
		cmocka_unit_test(test_malformed_weights),
		cmocka_unit_test(test_malformed_bands),
		cmocka_unit_test(test_fill_many_accepted_answers),
		cmocka_unit_test(test_input_from_text),
		cmocka_unit_test(test_answer_normal_single),
		cmocka_unit_test(test_answer_normal_multiple),
		cmocka_unit_test(test_answer_normal_truefalse_and_fill),
		cmocka_unit_test(test_qtype_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
