/* Unit tests for domain/banklint: each check with its negative case, pair checks against other
 * active questions, the surface-cue probabilities and baselines (hand-computed), and speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "domain/bank.h"
#include "domain/banklint.h"

#define HEADER "external_id,item,subtopic,level,type,stem,a,b,c,d,e,answer,points\n"
#define GK "general_knowledge,telecom_industry_overview,junior"
#define GK_CO "general_knowledge,company_overview,junior"
#define GK_TIO_I "general_knowledge,telecom_industry_overview,intermediate"
#define PK "professional_knowledge,management_fundamentals,junior"

static void parse(const char *rows, struct bank *b)
{
	char *text = NULL;
	assert_true(asprintf(&text, HEADER "%s", rows) > 0);
	enum bank_status st = bank_parse_csv(catalog_default(), text, strlen(text), b);
	if (st != BANK_OK) {
		for (size_t i = 0; i < b->error_count; i++)
			print_message("row %zu %s: %s\n", b->errors[i].row, b->errors[i].column, b->errors[i].message);
	}
	assert_int_equal(st, BANK_OK);
	free(text);
}

static struct banklint *lint(const struct bank *b, const struct bank *others)
{
	struct banklint_set c = {b->questions, b->question_count, NULL};
	struct banklint_set o = {others ? others->questions : NULL, others ? others->question_count : 0, NULL};
	struct banklint *l = banklint_run(NULL, &c, others ? &o : NULL);
	assert_non_null(l);
	return l;
}

/* How many warnings of code name question row of the checked bank. */
static size_t count(const struct banklint *l, const struct bank *b, size_t row, enum banklint_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < banklint_warning_count(l); i++) {
		const struct banklint_warning *w = banklint_warning_at(l, i);
		if (w->code == code && b->questions[w->index].row == row)
			n++;
	}
	return n;
}

static size_t count_code(const struct banklint *l, enum banklint_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < banklint_warning_count(l); i++)
		n += banklint_warning_at(l, i)->code == code;
	return n;
}

static const char *message(const struct banklint *l, const struct bank *b, size_t row, enum banklint_code code)
{
	for (size_t i = 0; i < banklint_warning_count(l); i++) {
		const struct banklint_warning *w = banklint_warning_at(l, i);
		if (w->code == code && b->questions[w->index].row == row)
			return w->message;
	}
	return "";
}

static void test_key_longest_and_few_options(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK ",single,问一,甲,乙乙,丙,丁,,B,1\n"     /* key strictly longest */
	      "2," GK ",single,问二,甲,乙乙,丙丙,丁,,B,1\n"   /* longest tied: no */
	      "3," GK ",single,问三,甲甲甲,乙,丙,丁,,B,1\n"   /* longest is not the key */
	      "4," GK ",single,问四,甲,乙,丙,,,A,1\n"         /* 3 options */
	      "5," GK ",single,问五,ＡＢＣ,abcd,ab,a,,B,1\n", /* NFKC: ＡＢＣ has 3 code points */
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count(l, &b, 1, BANKLINT_KEY_LONGEST), 1);
	assert_non_null(strstr(message(l, &b, 1, BANKLINT_KEY_LONGEST), "key B"));
	assert_int_equal(count(l, &b, 2, BANKLINT_KEY_LONGEST), 0);
	assert_int_equal(count(l, &b, 3, BANKLINT_KEY_LONGEST), 0);
	assert_int_equal(count(l, &b, 5, BANKLINT_KEY_LONGEST), 1);
	assert_int_equal(count(l, &b, 4, BANKLINT_FEW_OPTIONS), 1);
	assert_int_equal(count_code(l, BANKLINT_FEW_OPTIONS), 1);
	banklint_free(l);
	bank_free(&b);
}

static void test_few_distractors(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK ",multiple,多一,甲,乙,丙,丁,,ABC,1\n" /* one wrong option */
	      "2," GK ",multiple,多二,甲,乙,丙,丁,,AB,1\n"  /* two wrong: fine */
	      "3," GK ",multiple,多三,甲,乙,丙,,,AB,1\n",   /* one wrong of three */
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count(l, &b, 1, BANKLINT_FEW_DISTRACTORS), 1);
	assert_int_equal(count(l, &b, 2, BANKLINT_FEW_DISTRACTORS), 0);
	assert_int_equal(count(l, &b, 3, BANKLINT_FEW_DISTRACTORS), 1);
	banklint_free(l);
	bank_free(&b);
}

static void test_absolute_wording(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK ",truefalse,光纤一定比铜缆带宽更高。,,,,,,false,1\n"
	      "2," GK ",truefalse,光纤比铜缆带宽更高。,,,,,,true,1\n"
	      "3," GK ",truefalse,所 有 基站都需要备用电源。,,,,,,false,1\n", /* spaces dropped */
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count(l, &b, 1, BANKLINT_ABSOLUTE_WORDING), 1);
	assert_non_null(strstr(message(l, &b, 1, BANKLINT_ABSOLUTE_WORDING), "一定"));
	assert_int_equal(count(l, &b, 2, BANKLINT_ABSOLUTE_WORDING), 0);
	assert_int_equal(count(l, &b, 3, BANKLINT_ABSOLUTE_WORDING), 1);
	banklint_free(l);

	/* The word list is data: a caller's own list replaces the defaults. */
	static const char *const words[] = {"光纤"};
	struct banklint_config cfg = *banklint_config_default();
	cfg.absolute_words = words;
	cfg.absolute_word_count = 1;
	struct banklint_set c = {b.questions, b.question_count, NULL};
	l = banklint_run(&cfg, &c, NULL);
	assert_non_null(l);
	assert_int_equal(count(l, &b, 1, BANKLINT_ABSOLUTE_WORDING), 1);
	assert_int_equal(count(l, &b, 2, BANKLINT_ABSOLUTE_WORDING), 1);
	assert_int_equal(count(l, &b, 3, BANKLINT_ABSOLUTE_WORDING), 0);
	banklint_free(l);
	bank_free(&b);
}

static void test_answer_leak(void **state)
{
	(void)state;
	struct bank b, others;
	parse("1," GK ",fill,我国电信业的主管部门是____。,,,,,,工业和信息化部|工信部,1\n"
	      "2," GK_CO ",single,哪个部门发放电信业务经营许可证？,工业 和 信息化部,商务部,发改委,国资委,,A,1\n"
	      "3," PK ",truefalse,工信部负责企业的绩效管理。,,,,,,false,1\n" /* another item: no leak */
	      "4," GK ",fill,光纤到户的英文缩写是____。,,,,,,FTTH|F,1\n"     /* one-letter answers are skipped */
	      "5," GK_CO ",truefalse,企业文化中F代表什么并不重要。,,,,,,false,1\n",
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count(l, &b, 1, BANKLINT_ANSWER_LEAK), 1);
	assert_non_null(strstr(message(l, &b, 1, BANKLINT_ANSWER_LEAK), "row 2 (2)"));
	assert_int_equal(count(l, &b, 2, BANKLINT_ANSWER_LEAK), 0); /* the warning names the fill-in */
	assert_int_equal(count(l, &b, 4, BANKLINT_ANSWER_LEAK), 0);
	assert_int_equal(count_code(l, BANKLINT_ANSWER_LEAK), 1);
	banklint_free(l);

	/* Against the other active questions: a new question that gives away an old fill-in's answer
	 * is warned about, and so is a new fill-in whose answer an old question shows. */
	parse("9," GK_CO ",fill,企业的统一社会信用代码由____位组成。,,,,,,十八|18,1\n"
	      "10," GK ",single,下列哪项属于光纤到户（FTTH）的优点？,带宽高,不需要光猫,无需布线,免费,,A,1\n",
	      &others);
	struct banklint_set c = {b.questions, b.question_count, NULL};
	struct banklint_set o = {others.questions, others.question_count, NULL};
	l = banklint_run(NULL, &c, &o);
	assert_non_null(l);
	assert_int_equal(count(l, &b, 4, BANKLINT_ANSWER_LEAK), 1); /* FTTH in the old question 10 */
	assert_non_null(strstr(message(l, &b, 4, BANKLINT_ANSWER_LEAK), "active question 10"));
	banklint_free(l);
	/* ...and the other way round: checked = the old pool's fill-in, others = the new file. */
	c = (struct banklint_set){others.questions, others.question_count, NULL};
	o = (struct banklint_set){b.questions, b.question_count, NULL};
	l = banklint_run(NULL, &c, &o);
	assert_non_null(l);
	assert_int_equal(count(l, &others, 2, BANKLINT_ANSWER_LEAK), 1);
	assert_non_null(strstr(message(l, &others, 2, BANKLINT_ANSWER_LEAK), "an accepted answer of the fill-in"));
	banklint_free(l);
	bank_free(&others);
	bank_free(&b);
}

static void test_stem_gives_answer_and_single_fill(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK ",fill,Internet Data Center 的英文缩写是____。,,,,,,IDC|I.D.C.,1\n"
	      "2," GK ",fill,Total Cost of Ownership 的英文缩写是____。,,,,,,TCO|总拥有成本,1\n"
	      "3," GK ",fill,Mean Time To Repair（平均修复时间）缩写为____。,,,,,,mttr,1\n"
	      "4," GK ",fill,数据中心的英文缩写是____。,,,,,,IDC|互联网数据中心,1\n"
	      "5," GK ",fill,服务等级协议（SLA）中规定的是服务____。,,,,,,sla|等级,1\n"
	      "6," GK ",fill,Internet 和 Data Center 合起来缩写是____。,,,,,,IDC|IDCS,1\n" /* not consecutive */
	      "7," GK ",fill,第五代移动通信的简称是____。,,,,,,5G|５Ｇ,1\n",               /* one answer after NFKC */
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count(l, &b, 1, BANKLINT_STEM_GIVES_ANSWER), 1);
	assert_non_null(strstr(message(l, &b, 1, BANKLINT_STEM_GIVES_ANSWER), "internet data center"));
	assert_int_equal(count(l, &b, 2, BANKLINT_STEM_GIVES_ANSWER), 1);
	assert_int_equal(count(l, &b, 3, BANKLINT_STEM_GIVES_ANSWER), 1);
	assert_int_equal(count(l, &b, 4, BANKLINT_STEM_GIVES_ANSWER), 0);
	assert_int_equal(count(l, &b, 5, BANKLINT_STEM_GIVES_ANSWER), 1);
	assert_int_equal(count(l, &b, 6, BANKLINT_STEM_GIVES_ANSWER), 0);
	assert_int_equal(count(l, &b, 3, BANKLINT_SINGLE_FILL_ANSWER), 1);
	assert_int_equal(count(l, &b, 7, BANKLINT_SINGLE_FILL_ANSWER), 1);
	assert_int_equal(count(l, &b, 1, BANKLINT_SINGLE_FILL_ANSWER), 0); /* IDC and I.D.C. differ: two */
	banklint_free(l);
	bank_free(&b);
}

static void test_near_duplicate(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK
	      ",single,我国电信行业的主管部门是哪个部门？,国家发展和改革委员会,工业和信息化部,商务部,国资委,,B,1\n"
	      "2," GK_CO
	      ",single,我国电信行业的主管部门是哪一个部门？,国家发展改革委员会,工业和信息化部,商务部,国资委,,B,1\n"
	      "3," GK ",single,5G 技术规范主要由哪个国际标准化组织制定？,IEEE,W3C,IETF,3GPP,,D,1\n"
	      "4," PK
	      ",single,我国电信行业的主管部门是哪个部门？,国家发展和改革委员会,工业和信息化部,商务部,国资委,,B,1\n",
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count(l, &b, 2, BANKLINT_NEAR_DUPLICATE), 1); /* on the later row, naming the earlier */
	assert_non_null(strstr(message(l, &b, 2, BANKLINT_NEAR_DUPLICATE), "row 1 (1)"));
	assert_int_equal(count(l, &b, 1, BANKLINT_NEAR_DUPLICATE), 0);
	assert_int_equal(count(l, &b, 3, BANKLINT_NEAR_DUPLICATE), 0);
	assert_int_equal(count(l, &b, 4, BANKLINT_NEAR_DUPLICATE), 0); /* another item */
	assert_int_equal(count_code(l, BANKLINT_NEAR_DUPLICATE), 1);
	banklint_free(l);

	/* The threshold is data: at 0.99 the pair is no longer a near-duplicate. */
	struct banklint_config cfg = *banklint_config_default();
	cfg.near_duplicate_jaccard = 0.99;
	struct banklint_set c = {b.questions, b.question_count, NULL};
	l = banklint_run(&cfg, &c, NULL);
	assert_non_null(l);
	assert_int_equal(count_code(l, BANKLINT_NEAR_DUPLICATE), 0);
	banklint_free(l);
	bank_free(&b);
}

static void test_key_position_bias(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK ",single,位一,甲,乙,丙,丁,,A,1\n"
	      "2," GK ",single,位二,甲,乙,丙,丁,,B,1\n"
	      "3," GK ",single,位三,甲,乙,丙,丁,,B,1\n"
	      "4," GK ",single,位四,甲,乙,丙,丁,,B,1\n"
	      "5," GK_CO ",single,位五,甲,乙,丙,丁,,A,1\n" /* 2 of 4 is not more than half */
	      "6," GK_CO ",single,位六,甲,乙,丙,丁,,A,1\n"
	      "7," GK_CO ",single,位七,甲,乙,丙,丁,,C,1\n"
	      "8," GK_CO ",single,位八,甲,乙,丙,丁,,D,1\n"
	      "9," GK_TIO_I ",single,位九,甲,乙,丙,丁,,A,1\n" /* 3 singles: too few to judge */
	      "10," GK_TIO_I ",single,位十,甲,乙,丙,丁,,A,1\n"
	      "11," GK_TIO_I ",single,位十一,甲,乙,丙,丁,,A,1\n",
	      &b);
	struct banklint *l = lint(&b, NULL);
	assert_int_equal(count_code(l, BANKLINT_KEY_POSITION_BIAS), 1);
	assert_int_equal(count(l, &b, 2, BANKLINT_KEY_POSITION_BIAS), 1);
	assert_non_null(strstr(message(l, &b, 2, BANKLINT_KEY_POSITION_BIAS), "B in 3 of the 4"));
	banklint_free(l);
	bank_free(&b);
}

/* Cue probabilities (bank-rules.md) and a subtopic score worked by hand:
 *  1 single, B strictly longest and the key         p = 1     points 1
 *  2 single, equal lengths, D absolute, key A        p = 1/3   points 2
 *  3 multiple, D the one shortest, key ABC           p = 1     points 1
 *  4 multiple, A and B tie shortest, key BCD         p = 1/2   points 1
 *  5 multiple, A absolute, picks BCD, key CD         p = 0     points 1
 *  6 truefalse, absolute, key false                  p = 1     points 1
 *  7 truefalse, plain, key true                      p = 1/2   points 1
 *  8 fill, the stem does not give it                 p = 0     points 1
 * sum p x points = 1 + 2/3 + 1 + 1/2 + 0 + 1 + 1/2 + 0 = 14/3; points 9;
 * telecom_industry_overview/junior = 100 x (14/3) / 9 = 51.851851...
 * company_overview/junior: one plain true/false = 50.
 * Equal weights: (51.8518 + 50) / 2 = 50.925926; weights 1:3 = (51.8518 + 150) / 4 = 50.462963.
 * Intermediate blueprint drawing 3 from tio/intermediate (one absolute true statement, p = 0,
 * points 1) and 1 from tio/junior: earned 3 x 0 + 1 x (14/3)/8 = 7/12, possible 3 + 9/8 = 33/8,
 * score 100 x (7/12) / (33/8) = 14.141414... */
static void test_baseline(void **state)
{
	(void)state;
	struct bank b;
	parse("1," GK ",single,基一,甲,乙乙,丙,丁,,B,1\n"
	      "2," GK ",single,基二,甲甲,乙乙,丙丙,一定,,A,2\n"
	      "3," GK ",multiple,基三,甲甲,乙乙,丙丙,丁,,ABC,1\n"
	      "4," GK ",multiple,基四,甲,乙,丙丙,丁丁,,BCD,1\n"
	      "5," GK ",multiple,基五,必须甲,乙乙,丙丙,丁丁,,CD,1\n"
	      "6," GK ",truefalse,基站一定需要备用电源。,,,,,,false,1\n"
	      "7," GK ",truefalse,基站需要备用电源。,,,,,,true,1\n"
	      "8," GK ",fill,基站的英文缩写是____。,,,,,,BTS|基站收发台,1\n"
	      "9," GK_CO ",truefalse,公司有章程。,,,,,,true,1\n"
	      "10," GK_TIO_I ",truefalse,所有基站都需要备用电源。,,,,,,true,1\n",
	      &b);
	struct banklint *l = lint(&b, NULL);
	const double want[] = {1, 1.0 / 3, 1, 0.5, 0, 1, 0.5, 0, 0.5, 0};
	for (size_t i = 0; i < 10; i++)
		assert_float_equal(banklint_cue_probability(l, i), want[i], 1e-12);

	const struct catalog *cat = catalog_default();
	const struct catalog_item *gk = catalog_item_find(cat, "general_knowledge");
	const struct catalog_level *junior = catalog_level_find(cat, "junior"),
				   *inter = catalog_level_find(cat, "intermediate");
	const struct catalog_subtopic *tio = catalog_subtopic_find(cat, gk, "telecom_industry_overview");
	const struct catalog_subtopic *co = catalog_subtopic_find(cat, gk, "company_overview");
	double score;

	struct banklint_draw one[] = {{tio, junior, 3}};
	assert_true(banklint_baseline(l, one, 1, NULL, &score));
	assert_float_equal(score, 100.0 * (14.0 / 3) / 9, 1e-9);

	struct banklint_draw draws[8];
	size_t nd = banklint_default_draws(l, cat, gk, junior, draws, 8);
	assert_int_equal(nd, 2);
	assert_true(banklint_baseline(l, draws, nd, NULL, &score));
	assert_float_equal(score, 50.925925925925926, 1e-9);
	double weights[4] = {0};
	weights[tio->position] = 1;
	weights[co->position] = 3;
	assert_true(banklint_baseline(l, draws, nd, weights, &score));
	assert_float_equal(score, 50.462962962962963, 1e-9);

	struct banklint_draw bp[] = {{tio, inter, 3}, {tio, junior, 1}};
	assert_true(banklint_baseline(l, bp, 2, NULL, &score));
	assert_float_equal(score, 14.141414141414142, 1e-9);

	/* A draw row of an empty cell, and no rows at all. */
	const struct catalog_subtopic *laws = catalog_subtopic_find(cat, gk, "laws_and_regulations");
	struct banklint_draw empty[] = {{laws, junior, 3}};
	assert_false(banklint_baseline(l, empty, 1, NULL, &score));
	assert_false(banklint_baseline(l, NULL, 0, NULL, &score));

	json_t *base = banklint_file_baselines_json(l, cat);
	assert_int_equal(json_array_size(base), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(base, 0), "level")), "junior");
	assert_float_equal(json_real_value(json_object_get(json_array_get(base, 0), "score")), 50.93, 1e-9);
	json_decref(base);

	json_t *warnings = banklint_warnings_json(l, NULL);
	assert_non_null(warnings);
	assert_int_equal(json_array_size(warnings), banklint_warning_count(l));
	json_t *w0 = json_array_get(warnings, 0);
	assert_true(json_is_integer(json_object_get(w0, "row")));
	assert_non_null(json_object_get(w0, "external_id"));
	assert_non_null(json_object_get(w0, "code"));
	json_decref(warnings);
	banklint_free(l);
	bank_free(&b);
}

/* 2,000 questions of one item: the pair checks must stay well under a second. */
static void test_two_thousand_questions_are_linted(void **state)
{
	(void)state;
	static const char *const subs[] = {"telecom_industry_overview", "company_overview", "laws_and_regulations",
					   "company_rules_and_policies"};
	static const char *const words[] = {"网络", "客户", "业务", "资费", "宽带", "光纤", "基站",
					    "套餐", "合同", "服务", "质量", "故障", "流程", "制度",
					    "安全", "数据", "营销", "渠道", "政企", "方案"};
	size_t cap = 4u << 20, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, HEADER);
	uint32_t seed = 12345;
	const char *w[16];
	for (int i = 0; i < 2000; i++) {
		const char *sub = subs[i % 4];
		const char *lvl = (i / 4) % 2 ? "senior" : "junior";
		for (int j = 0; j < 16; j++) {
			seed = seed * 1103515245u + 12345u;
			w[j] = words[(seed >> 16) % 20u];
		}
		if (i % 8 == 7) {
			len += (size_t)snprintf(
				text + len, cap - len,
				"X%d,general_knowledge,%s,%s,fill,第%d题：%s%s%s的____是什么？,,,,,,%s%s%d|答%d,1\n", i,
				sub, lvl, i, w[0], w[1], w[2], w[3], w[4], i, i);
		} else {
			len += (size_t)snprintf(
				text + len, cap - len,
				"X%d,general_knowledge,%s,%s,single,第%d题：关于%s%s%s%s的说法哪项正确？,%s%s,%s%s,%s%s,%s%s,,A,1\n",
				i, sub, lvl, i, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10],
				w[11]);
		}
	}
	struct bank b;
	assert_int_equal(bank_parse_csv(catalog_default(), text, len, &b), BANK_OK);
	assert_int_equal(b.question_count, 2000);
	free(text);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct banklint *l = lint(&b, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Speed is a benchmark's business (the time is printed, not asserted): here, that a bank of
	 * 2,000 questions is linted at all, with its positional and fill-in checks. */
	assert_non_null(l);
	print_message("linted 2000 questions in %.3f s, %zu warnings\n", secs, banklint_warning_total(l));
	banklint_free(l);
	bank_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_longest_and_few_options),
		cmocka_unit_test(test_few_distractors),
		cmocka_unit_test(test_absolute_wording),
		cmocka_unit_test(test_answer_leak),
		cmocka_unit_test(test_stem_gives_answer_and_single_fill),
		cmocka_unit_test(test_near_duplicate),
		cmocka_unit_test(test_key_position_bias),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_two_thousand_questions_are_linted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
