/* Unit tests for domain/score: SPEC §3.1 scoring edges, bands, §3.2 grading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/decimal.h"
#include "domain/score.h"

#define MAX_Q 512

struct attempt {
	size_t n;
	struct score_question q[MAX_Q];
};

static struct score_question *add_q(struct attempt *a, const char *sub, enum score_qtype type, int64_t points)
{
	assert_true(a->n < MAX_Q);
	struct score_question *q = &a->q[a->n++];
	memset(q, 0, sizeof *q);
	q->subtopic = sub;
	q->type = type;
	q->points = points;
	return q;
}

/* A single-choice question keyed B, answered right (B) or wrong (C). */
static void add_single(struct attempt *a, const char *sub, int64_t points, bool correct)
{
	struct score_question *q = add_q(a, sub, SCORE_Q_SINGLE, points);
	q->key.label = 'B';
	q->answer.given = true;
	q->answer.label = correct ? 'B' : 'C';
}

/* n one-point questions of which the first c are answered correctly. */
static void add_many(struct attempt *a, const char *sub, int n, int c)
{
	for (int i = 0; i < n; i++)
		add_single(a, sub, 100, i < c);
}

static int64_t pts(const char *text)
{
	int64_t v = 0;
	assert_int_equal(decimal_parse(text, DECIMAL_SCALE_CENTS, &v), DECIMAL_OK);
	return v;
}

static struct score_weight wt(const char *sub, const char *text)
{
	struct score_weight w = {.subtopic = sub, .weight = 0};
	assert_int_equal(decimal_parse(text, DECIMAL_SCALE_WEIGHT, &w.weight), DECIMAL_OK);
	return w;
}

static void score_ok(const struct attempt *a, const struct score_weight *w, size_t nw, struct score_result *r)
{
	struct score_band bands[SCORE_DEFAULT_BAND_COUNT];
	score_bands_default(bands);
	enum score_status st = score_attempt(a->q, a->n, w, nw, bands, SCORE_DEFAULT_BAND_COUNT, r);
	if (st != SCORE_OK)
		fail_msg("score_attempt: %s", score_status_str(st));
}

static enum score_status score_st(const struct attempt *a, const struct score_weight *w, size_t nw)
{
	struct score_band bands[SCORE_DEFAULT_BAND_COUNT];
	score_bands_default(bands);
	struct score_result r;
	return score_attempt(a->q, a->n, w, nw, bands, SCORE_DEFAULT_BAND_COUNT, &r);
}

static void expect_standard(const struct score_result *r, const char *standard, int64_t rounded, int band)
{
	char buf[DECIMAL_FORMAT_MAX];
	assert_int_equal(decimal_format(r->standard, DECIMAL_SCALE_CENTS, buf, sizeof buf), DECIMAL_OK);
	assert_string_equal(buf, standard);
	assert_int_equal(r->rounded, rounded);
	assert_int_equal(r->band, band);
}

/* ---- SPEC §3.1 --------------------------------------------------------- */

static void test_worked_example(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "s1", 10, 8); /* 80 */
	add_many(&a, "s2", 10, 9); /* 90 */
	add_many(&a, "s3", 10, 7); /* 70 */
	add_many(&a, "s4", 5, 5);  /* 100 */
	const struct score_weight w[] = {wt("s1", "30"), wt("s2", "30"), wt("s3", "20"), wt("s4", "20")};
	struct score_result r;
	score_ok(&a, w, 4, &r);
	expect_standard(&r, "85.00", 85, 5);
	assert_string_equal(score_band_name_zh(r.band), "达标");
	assert_false(r.equal_weights);
	assert_int_equal(r.n_subtopics, 4);
	assert_string_equal(r.subtopics[0].subtopic, "s1");
	assert_int_equal(r.subtopics[0].earned, 800);
	assert_int_equal(r.subtopics[0].possible, 1000);
	assert_int_equal(r.subtopics[0].score, 8000);
	assert_int_equal(r.subtopics[0].weight, 30000000);
	assert_int_equal(r.subtopics[0].questions, 10);
	assert_int_equal(r.subtopics[2].score, 7000);
	assert_int_equal(r.subtopics[3].earned, 500);
	assert_int_equal(r.subtopics[3].score, 10000);
	assert_int_equal(r.subtopics[3].weight, 20000000);
}

/* 23/25 = 92 (weight 43) and 13/16 = 81.25 (weight 7):
 * (43·92 + 7·81.25) / 50 = 4524.75 / 50 = 90.495 exactly. */
static void test_exact_90_495_rounds_up(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 25, 23);
	add_many(&a, "b", 16, 13);
	const struct score_weight w[] = {wt("a", "43"), wt("b", "7")};
	struct score_result r;
	score_ok(&a, w, 2, &r);
	expect_standard(&r, "90.50", 91, 6);
	assert_string_equal(score_band_name_zh(r.band), "超标");
	assert_int_equal(r.subtopics[1].score, 8125);
}

/* 15/16 = 93.75 (weight 241) and 1/30 = 3.333… (weight 9):
 * (241·93.75 + 9·10/3) / 250 = 22623.75 / 250 = 90.495 exactly, but with the
 * subtopic score pre-rounded to 3.33 it would be 90.49488 → 90.49 → band 5. */
static void test_exact_with_thirds_not_prerounded(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 16, 15);
	add_many(&a, "b", 30, 1);
	const struct score_weight w[] = {wt("a", "241"), wt("b", "9")};
	struct score_result r;
	score_ok(&a, w, 2, &r);
	expect_standard(&r, "90.50", 91, 6);
	assert_int_equal(r.subtopics[1].score, 333); /* display value only */

	/* The trap this guards against: weighting the displayed scores. */
	int64_t pre = 0;
	int64_t sum = 241 * r.subtopics[0].score + 9 * r.subtopics[1].score;
	assert_int_equal(decimal_muldiv(sum, 1, 250, &pre), DECIMAL_OK);
	assert_int_equal(pre, 9049);

	/* Weights given with decimals scale the same way. */
	const struct score_weight w2[] = {wt("a", "0.241"), wt("b", "0.009")};
	score_ok(&a, w2, 2, &r);
	expect_standard(&r, "90.50", 91, 6);
}

/* 19/20 = 95 (59) and 21/25 = 84 (41): (5605 + 3444) / 100 = 90.49. */
static void test_90_49_band_5(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 20, 19);
	add_many(&a, "b", 25, 21);
	const struct score_weight w[] = {wt("a", "59"), wt("b", "41")};
	struct score_result r;
	score_ok(&a, w, 2, &r);
	expect_standard(&r, "90.49", 90, 5);
}

/* 9/20 = 45 and 9/25 = 36, equal weights: 40.50 → R 41 → band 2. */
static void test_40_50_band_2(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 20, 9);
	add_many(&a, "b", 25, 9);
	struct score_result r;
	score_ok(&a, NULL, 0, &r);
	expect_standard(&r, "40.50", 41, 2);
	assert_true(r.equal_weights);
	assert_int_equal(r.subtopics[0].weight, 1000000);
	assert_string_equal(score_band_name_zh(r.band), "差距明显");
}

/* 11/25 = 44 (23) and 3/8 = 37.5 (27): (1012 + 1012.5) / 50 = 40.49 → band 1. */
static void test_40_49_band_1(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 25, 11);
	add_many(&a, "b", 8, 3);
	const struct score_weight w[] = {wt("a", "23"), wt("b", "27")};
	struct score_result r;
	score_ok(&a, w, 2, &r);
	expect_standard(&r, "40.49", 40, 1);
	assert_string_equal(score_band_name_zh(r.band), "差距很大");
}

static void test_nothing_answered(void **state)
{
	(void)state;
	struct attempt a = {0};
	for (int i = 0; i < 5; i++) {
		struct score_question *q = add_q(&a, i < 3 ? "a" : "b", SCORE_Q_SINGLE, 100);
		q->key.label = 'A';
		q->answer.label = 'A'; /* ignored: not given */
	}
	struct score_question *f = add_q(&a, "b", SCORE_Q_FILL, 100);
	static const char *const acc[] = {"x"};
	f->key.accepted = acc;
	f->key.accepted_count = 1;
	struct score_result r;
	score_ok(&a, NULL, 0, &r);
	expect_standard(&r, "0.00", 0, 1);
	assert_int_equal(r.subtopics[0].earned, 0);
	assert_int_equal(r.subtopics[0].possible, 300);
	assert_int_equal(r.subtopics[1].possible, 300);

	/* No questions at all also scores 0.00. */
	struct attempt empty = {0};
	score_ok(&empty, NULL, 0, &r);
	expect_standard(&r, "0.00", 0, 1);
	assert_int_equal(r.n_subtopics, 0);
}

static void test_full_marks(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 7, 7);
	add_many(&a, "b", 3, 3);
	const struct score_weight w[] = {wt("a", "0.125"), wt("b", "3")};
	struct score_result r;
	score_ok(&a, w, 2, &r);
	expect_standard(&r, "100.00", 100, 6);
}

static void test_zero_weight_excluded(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 4, 3); /* 75 */
	add_many(&a, "b", 4, 0); /* 0, weight 0 */
	add_many(&a, "c", 4, 4); /* 100 */
	const struct score_weight w[] = {wt("a", "1"), wt("b", "0"), wt("c", "1"), wt("unused", "5")};
	struct score_result r;
	score_ok(&a, w, 4, &r);
	expect_standard(&r, "87.50", 88, 5);
	assert_false(r.equal_weights);
	assert_int_equal(r.subtopics[1].weight, 0);
	assert_int_equal(r.subtopics[1].score, 0);
}

static void test_all_present_weights_zero(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 4, 4); /* 100 */
	add_many(&a, "b", 4, 1); /* 25 */
	/* "c" carries all the weight but is not in the attempt. */
	const struct score_weight w[] = {wt("a", "0"), wt("b", "0.000"), wt("c", "10")};
	struct score_result r;
	score_ok(&a, w, 3, &r);
	expect_standard(&r, "62.50", 63, 3);
	assert_true(r.equal_weights);
	assert_int_equal(r.subtopics[0].weight, 1000000);
	assert_int_equal(r.subtopics[1].weight, 1000000);
}

static void test_thirds(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 3, 1);
	struct score_result r;
	score_ok(&a, NULL, 0, &r);
	expect_standard(&r, "33.33", 33, 1);
	assert_int_equal(r.subtopics[0].score, 3333);

	struct attempt b = {0};
	add_many(&b, "a", 3, 2);
	score_ok(&b, NULL, 0, &r);
	expect_standard(&r, "66.67", 67, 3);
}

static void test_points_other_than_one(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_single(&a, "a", pts("2.5"), true);
	add_single(&a, "a", pts("1"), false);
	add_single(&a, "a", pts("1.5"), false);
	struct score_result r;
	score_ok(&a, NULL, 0, &r);
	expect_standard(&r, "50.00", 50, 2);
	assert_int_equal(r.subtopics[0].earned, 250);
	assert_int_equal(r.subtopics[0].possible, 500);

	/* 2.5 / 3.5 = 71.428… */
	struct attempt b = {0};
	add_single(&b, "a", pts("2.5"), true);
	add_single(&b, "a", pts("1"), false);
	score_ok(&b, NULL, 0, &r);
	expect_standard(&r, "71.43", 71, 4);
	assert_string_equal(score_band_name_zh(r.band), "基本达标");

	/* Points pull a subtopic score, not the count of questions: 1 of 2
     * right is 20% when the right one is worth 0.5 and the wrong one 2. */
	struct attempt c = {0};
	add_single(&c, "a", pts("0.5"), true);
	add_single(&c, "a", pts("2"), false);
	score_ok(&c, NULL, 0, &r);
	expect_standard(&r, "20.00", 20, 1);
}

static bool one_correct(const struct score_question *q)
{
	bool c = true;
	assert_int_equal(score_question_correct(q, &c), SCORE_OK);
	return c;
}

static void test_multiple_all_or_nothing(void **state)
{
	(void)state;
	struct score_question q;
	memset(&q, 0, sizeof q);
	q.subtopic = "a";
	q.type = SCORE_Q_MULTIPLE;
	q.points = 100;
	q.key.labels = SCORE_LABEL_BIT('A') | SCORE_LABEL_BIT('C') | SCORE_LABEL_BIT('D');

	q.answer.given = true;
	q.answer.labels = SCORE_LABEL_BIT('A') | SCORE_LABEL_BIT('C') | SCORE_LABEL_BIT('D');
	assert_true(one_correct(&q));
	q.answer.labels = SCORE_LABEL_BIT('A') | SCORE_LABEL_BIT('C'); /* subset */
	assert_false(one_correct(&q));
	q.answer.labels |= SCORE_LABEL_BIT('B') | SCORE_LABEL_BIT('D'); /* superset */
	assert_false(one_correct(&q));
	q.answer.labels = 0;
	assert_false(one_correct(&q));
	q.answer.labels = q.key.labels;
	q.answer.given = false;
	assert_false(one_correct(&q));

	/* In an attempt: right, subset, superset → 1 of 3. */
	struct attempt a = {0};
	uint8_t answers[3] = {
		SCORE_LABEL_BIT('A') | SCORE_LABEL_BIT('C') | SCORE_LABEL_BIT('D'),
		SCORE_LABEL_BIT('A') | SCORE_LABEL_BIT('D'),
		0xFF,
	};
	for (int i = 0; i < 3; i++) {
		struct score_question *p = add_q(&a, "m", SCORE_Q_MULTIPLE, 200);
		p->key.labels = q.key.labels;
		p->answer.given = true;
		p->answer.labels = answers[i];
	}
	struct score_result r;
	score_ok(&a, NULL, 0, &r);
	expect_standard(&r, "33.33", 33, 1);
	assert_int_equal(r.subtopics[0].earned, 200);
	assert_int_equal(r.subtopics[0].possible, 600);
}

static void test_single_and_truefalse(void **state)
{
	(void)state;
	struct score_question q;
	memset(&q, 0, sizeof q);
	q.subtopic = "a";
	q.type = SCORE_Q_SINGLE;
	q.points = 100;
	q.key.label = 'H';
	q.answer.given = true;
	q.answer.label = 'H';
	assert_true(one_correct(&q));
	q.answer.label = 'h';
	assert_false(one_correct(&q));
	q.answer.label = 'Z';
	assert_false(one_correct(&q));

	memset(&q, 0, sizeof q);
	q.subtopic = "a";
	q.type = SCORE_Q_TRUEFALSE;
	q.points = 100;
	q.key.truth = false;
	q.answer.given = true;
	q.answer.truth = false;
	assert_true(one_correct(&q));
	q.answer.truth = true;
	assert_false(one_correct(&q));
	q.key.truth = true;
	assert_true(one_correct(&q));
	q.answer.given = false;
	assert_false(one_correct(&q));
}

static void set_fill(struct score_question *q, const char *const *acc, size_t n, const char *text)
{
	memset(q, 0, sizeof *q);
	q->subtopic = "f";
	q->type = SCORE_Q_FILL;
	q->points = 100;
	q->key.accepted = acc;
	q->key.accepted_count = n;
	q->answer.given = text != NULL;
	q->answer.text = text;
	q->answer.text_len = text != NULL ? strlen(text) : 0;
}

static void test_fill(void **state)
{
	(void)state;
	static const char *const fiveg[] = {"5G", "第五代"};
	static const char *const sla[] = {"SLA"};
	struct score_question q;

	set_fill(&q, fiveg, 2, "５Ｇ");
	assert_true(one_correct(&q));
	set_fill(&q, fiveg, 2, "\u3000 5g ");
	assert_true(one_correct(&q));
	set_fill(&q, fiveg, 2, "第五代");
	assert_true(one_correct(&q));
	set_fill(&q, sla, 1, " ＳＬＡ ");
	assert_true(one_correct(&q));
	set_fill(&q, fiveg, 2, "5G网络"); /* near miss */
	assert_false(one_correct(&q));
	set_fill(&q, fiveg, 2, "5 G");
	assert_false(one_correct(&q));
	set_fill(&q, fiveg, 2, "");
	assert_false(one_correct(&q));
	set_fill(&q, fiveg, 2, NULL);
	assert_false(one_correct(&q));

	/* Invalid UTF-8: no match, no error, no crash. */
	set_fill(&q, fiveg, 2, "5G\xff");
	assert_false(one_correct(&q));
	set_fill(&q, fiveg, 2, "\xed\xa0\x80");
	assert_false(one_correct(&q));

	/* In an attempt the invalid answer simply earns nothing. */
	struct attempt a = {0};
	set_fill(add_q(&a, "f", SCORE_Q_FILL, 100), fiveg, 2, "５ｇ");
	set_fill(add_q(&a, "f", SCORE_Q_FILL, 100), fiveg, 2, "\xc0\xaf");
	struct score_result r;
	score_ok(&a, NULL, 0, &r);
	expect_standard(&r, "50.00", 50, 2);
}

static void test_invalid_input(void **state)
{
	(void)state;
	struct attempt a = {0};
	add_many(&a, "a", 2, 1);
	add_many(&a, "b", 2, 1);

	/* Missing, duplicate and negative weights are errors, not guesses. */
	const struct score_weight only_a[] = {wt("a", "1")};
	assert_int_equal(score_st(&a, only_a, 1), SCORE_ERR_MISSING_WEIGHT);
	assert_int_equal(score_st(&a, only_a, 0), SCORE_ERR_MISSING_WEIGHT);
	const struct score_weight dup[] = {wt("a", "1"), wt("b", "1"), wt("a", "2")};
	assert_int_equal(score_st(&a, dup, 3), SCORE_ERR_INVALID_WEIGHT);
	struct score_weight neg[] = {wt("a", "1"), wt("b", "1")};
	neg[1].weight = -1;
	assert_int_equal(score_st(&a, neg, 2), SCORE_ERR_INVALID_WEIGHT);
	assert_int_equal(score_st(&a, NULL, 2), SCORE_ERR_INVALID_ARGUMENT);

	/* Bad questions. */
	struct attempt b = {0};
	add_single(&b, "a", 0, true);
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].points = -100;
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].points = 100;
	b.q[0].key.label = 'I';
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].key.label = 'B';
	b.q[0].subtopic = NULL;
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].subtopic = "a";
	b.q[0].type = (enum score_qtype)42;
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].type = SCORE_Q_MULTIPLE;
	b.q[0].key.labels = 0;
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].type = SCORE_Q_FILL;
	b.q[0].key.accepted = NULL;
	assert_int_equal(score_st(&b, NULL, 0), SCORE_ERR_INVALID_QUESTION);
	b.q[0].type = SCORE_Q_SINGLE;
	assert_int_equal(score_st(&b, NULL, 0), SCORE_OK);

	/* Points that overflow the subtopic sum are reported, not wrapped. */
	struct attempt c = {0};
	add_single(&c, "a", INT64_MAX, true);
	add_single(&c, "a", 1, true);
	assert_int_equal(score_st(&c, NULL, 0), SCORE_ERR_OVERFLOW);

	/* Too many subtopics. */
	static char names[SCORE_MAX_SUBTOPICS + 1][8];
	struct attempt d = {0};
	for (size_t i = 0; i <= SCORE_MAX_SUBTOPICS; i++) {
		snprintf(names[i], sizeof names[i], "t%zu", i);
		add_single(&d, names[i], 100, true);
	}
	assert_int_equal(score_st(&d, NULL, 0), SCORE_ERR_TOO_MANY_SUBTOPICS);
	d.n--;
	assert_int_equal(score_st(&d, NULL, 0), SCORE_OK);

	/* Bad thresholds. */
	struct score_result r;
	struct score_band bad[] = {{7, 90}, {1, 0}};
	assert_int_equal(score_attempt(a.q, a.n, NULL, 0, bad, 2, &r), SCORE_ERR_INVALID_BANDS);
	assert_int_equal(score_attempt(a.q, a.n, NULL, 0, NULL, 0, &r), SCORE_ERR_INVALID_BANDS);
	assert_int_equal(score_attempt(NULL, 3, NULL, 0, bad + 1, 1, &r), SCORE_ERR_INVALID_ARGUMENT);
}

/* 64 subtopics with large, mutually awkward point totals and weights: the
 * exact fraction needs thousands of bits.  Expected value from Python's
 * fractions.Fraction: floor(100·S + 1/2) = 4749 (S = 47.4927…). */
static void test_many_subtopics_exact(void **state)
{
	(void)state;
	static char names[SCORE_MAX_SUBTOPICS][8];
	static struct attempt a;
	static struct score_weight w[SCORE_MAX_SUBTOPICS];
	a.n = 0;
	for (int64_t k = 0; k < (int64_t)SCORE_MAX_SUBTOPICS; k++) {
		snprintf(names[k], sizeof names[k], "t%d", (int)k);
		add_single(&a, names[k], 1000003 + 7919 * k, true);
		add_single(&a, names[k], 999983 + 104729 * k % 1000003, false);
		w[k].subtopic = names[k];
		w[k].weight = 123457 + 999331 * k;
	}
	struct score_result r;
	score_ok(&a, w, SCORE_MAX_SUBTOPICS, &r);
	expect_standard(&r, "47.49", 47, 2);
	assert_int_equal(r.n_subtopics, SCORE_MAX_SUBTOPICS);
}

/* ---- bands ----------------------------------------------------------- */

static void test_bands(void **state)
{
	(void)state;
	struct score_band d[SCORE_DEFAULT_BAND_COUNT];
	score_bands_default(d);
	assert_int_equal(d[0].score, 6);
	assert_int_equal(d[0].min, 91);
	assert_int_equal(d[5].score, 1);
	assert_int_equal(d[5].min, 0);

	static const struct {
		int64_t standard, rounded;
		int band;
	} cases[] = {
		{10000, 100, 6}, {9050, 91, 6}, {9049, 90, 5}, {8050, 81, 5}, {8049, 80, 4}, {7050, 71, 4},
		{6050, 61, 3},   {6049, 60, 2}, {4050, 41, 2}, {4049, 40, 1}, {0, 0, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t rounded = -1;
		int band = -1;
		assert_int_equal(score_band_for(cases[i].standard, d, SCORE_DEFAULT_BAND_COUNT, &rounded, &band),
				 SCORE_OK);
		assert_int_equal(rounded, cases[i].rounded);
		assert_int_equal(band, cases[i].band);
	}

	/* Thresholds come from the model version: unordered custom ones work,
     * and below every threshold is band 0. */
	const struct score_band custom[] = {{3, 50}, {6, 95}, {0, 0}, {5, 60}};
	int band = -1;
	assert_int_equal(score_band_for(9449, custom, 4, NULL, &band), SCORE_OK);
	assert_int_equal(band, 5);
	assert_int_equal(score_band_for(9450, custom, 4, NULL, &band), SCORE_OK);
	assert_int_equal(band, 6);
	assert_int_equal(score_band_for(5500, custom, 4, NULL, &band), SCORE_OK);
	assert_int_equal(band, 3);
	const struct score_band high[] = {{6, 91}, {5, 81}};
	assert_int_equal(score_band_for(5000, high, 2, NULL, &band), SCORE_OK);
	assert_int_equal(band, 0);
	const struct score_band neg[] = {{-1, 0}};
	assert_int_equal(score_band_for(5000, neg, 1, NULL, &band), SCORE_ERR_INVALID_BANDS);

	/* The band of an attempt uses the thresholds passed in. */
	struct attempt a = {0};
	add_many(&a, "a", 20, 19); /* 95 */
	struct score_result r;
	assert_int_equal(score_attempt(a.q, a.n, NULL, 0, custom, 4, &r), SCORE_OK);
	assert_int_equal(r.band, 6);
	assert_int_equal(score_attempt(a.q, a.n, NULL, 0, high, 2, &r), SCORE_OK);
	assert_int_equal(r.band, 6);
}

static void test_band_names(void **state)
{
	(void)state;
	static const char *const want[] = {"尚不具备", "差距很大", "差距明显", "大部分达标",
					   "基本达标", "达标",     "超标"};
	for (int b = 0; b <= 6; b++)
		assert_string_equal(score_band_name_zh(b), want[b]);
	assert_null(score_band_name_zh(-1));
	assert_null(score_band_name_zh(7));
}

/* ---- SPEC §3.2 ------------------------------------------------------- */

static void test_parse_names(void **state)
{
	(void)state;
	enum score_grading g = SCORE_GRADING_AVERAGE;
	assert_true(score_grading_parse("highest", &g));
	assert_int_equal(g, SCORE_GRADING_HIGHEST);
	assert_true(score_grading_parse("latest", &g));
	assert_int_equal(g, SCORE_GRADING_LATEST);
	assert_true(score_grading_parse("first", &g));
	assert_int_equal(g, SCORE_GRADING_FIRST);
	assert_true(score_grading_parse("average", &g));
	assert_int_equal(g, SCORE_GRADING_AVERAGE);
	g = SCORE_GRADING_LATEST;
	assert_false(score_grading_parse("Highest", &g));
	assert_false(score_grading_parse("best", &g));
	assert_false(score_grading_parse("", &g));
	assert_false(score_grading_parse(NULL, &g));
	assert_int_equal(g, SCORE_GRADING_LATEST);
	assert_string_equal(score_grading_name(SCORE_GRADING_AVERAGE), "average");
	assert_null(score_grading_name((enum score_grading)17));

	enum score_qtype t = SCORE_Q_FILL;
	assert_true(score_qtype_parse("single", &t));
	assert_int_equal(t, SCORE_Q_SINGLE);
	assert_true(score_qtype_parse("multiple", &t));
	assert_int_equal(t, SCORE_Q_MULTIPLE);
	assert_true(score_qtype_parse("truefalse", &t));
	assert_int_equal(t, SCORE_Q_TRUEFALSE);
	assert_true(score_qtype_parse("fill", &t));
	assert_int_equal(t, SCORE_Q_FILL);
	assert_true(score_qtype_parse("多选", &t));
	assert_int_equal(t, SCORE_Q_MULTIPLE);
	assert_true(score_qtype_parse("判断", &t));
	assert_int_equal(t, SCORE_Q_TRUEFALSE);
	t = SCORE_Q_SINGLE;
	assert_false(score_qtype_parse("essay", &t));
	assert_false(score_qtype_parse("fill ", &t));
	assert_false(score_qtype_parse(NULL, &t));
	assert_int_equal(t, SCORE_Q_SINGLE);
	assert_string_equal(score_qtype_name(SCORE_Q_TRUEFALSE), "truefalse");
	assert_null(score_qtype_name((enum score_qtype)9));
	assert_string_equal(score_status_str(SCORE_ERR_MISSING_WEIGHT), "a subtopic has no weight");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_exact_90_495_rounds_up),
		cmocka_unit_test(test_exact_with_thirds_not_prerounded),
		cmocka_unit_test(test_90_49_band_5),
		cmocka_unit_test(test_40_50_band_2),
		cmocka_unit_test(test_40_49_band_1),
		cmocka_unit_test(test_nothing_answered),
		cmocka_unit_test(test_full_marks),
		cmocka_unit_test(test_zero_weight_excluded),
		cmocka_unit_test(test_all_present_weights_zero),
		cmocka_unit_test(test_thirds),
		cmocka_unit_test(test_points_other_than_one),
		cmocka_unit_test(test_multiple_all_or_nothing),
		cmocka_unit_test(test_single_and_truefalse),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_many_subtopics_exact),
		cmocka_unit_test(test_bands),
		cmocka_unit_test(test_band_names),
		cmocka_unit_test(test_parse_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
