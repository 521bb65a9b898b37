/* Readiness for the next grade (SPEC §4.6b): statuses, per-item statuses, the level the evidence must
 * have been taken or rated at, and the listing's order. Expectations worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "domain/catalog.h"
#include "domain/rules.h"
#include "domain/readiness.h"

static const char *const grade_level[5] = {"", "expert", "senior", "intermediate", "junior"};

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

static void make_rules(struct rules_model *r)
{
	static char json[8192];
	size_t n = (size_t)snprintf(json, sizeof json, "{\"versions\":[{\"version\":1,\"from\":0,\"levels\":[");
	for (int g = 1; g <= 4; g++)
		for (int p = 1; p <= RULES_ITEMS; p++)
			n += (size_t)snprintf(json + n, sizeof json - n, "%s[%d,%d,\"%s\"]",
					      g == 1 && p == 1 ? "" : ",", g, p, grade_level[g]);
	snprintf(json + n, sizeof json - n,
		 "],\"bands\":[[6,\"91\"],[5,\"81\"],[4,\"71\"],[3,\"61\"],[2,\"41\"],[1,\"0\"]],"
		 "\"weights\":{}}],\"grading\":[]}");
	char err[128] = "";
	if (!rules_model_parse(json, r, err, sizeof err))
		fail_msg("rules rejected: %s", err);
}

/* Packed evidence for every item at level: exams with band[i] (0 = no attempt), behaviour items one
 * supervisor rating of value[i] (-1 = none). tenths: behaviour as two raters' sum when odd. */
struct evidence {
	char exam[4096], beh[8192];
};

static void pack(struct evidence *e, const char *level, const int *band_or_score)
{
	size_t ne = 0, nb = 0;
	e->exam[0] = e->beh[0] = '\0';
	for (size_t i = 0; i < RULES_ITEMS; i++) {
		const struct catalog_item *it = catalog_item_at(cat(), i);
		int v = band_or_score[i];
		if (v < 0)
			continue;
		if (it->assessment == CATALOG_ASSESS_EXAM)
			ne += (size_t)snprintf(e->exam + ne, sizeof e->exam - ne, "%s%zu:%s:1000:%zu:%d.00:%d",
					       ne ? "," : "", i + 1, level, i + 1, 40 + 10 * v, v);
		else
			nb += (size_t)snprintf(e->beh + nb, sizeof e->beh - nb, "%s%zu:1:1:%s:1000:%zu:%d",
					       nb ? "," : "", i + 1, level, i + 1, v);
	}
}

static void all(int *v, int x)
{
	for (int i = 0; i < RULES_ITEMS; i++)
		v[i] = x;
}

static int first_of(enum catalog_assessment a, int k)
{
	for (size_t i = 0; i < RULES_ITEMS; i++)
		if (catalog_item_at(cat(), i)->assessment == a && k-- == 0)
			return (int)i;
	fail_msg("no such item");
	return 0;
}

static struct readiness check(int grade, const struct evidence *e)
{
	struct rules_model r;
	struct rules_evidence ev = {0};
	struct readiness out;
	char grades[32];
	snprintf(grades, sizeof grades, "0:%d", grade);
	make_rules(&r);
	assert_true(
		rules_evidence_parse(&ev, grade ? grades : NULL, *e->exam ? e->exam : NULL, *e->beh ? e->beh : NULL));
	assert_true(readiness_of(&r, cat(), 2000, &ev, &out));
	rules_evidence_free(&ev);
	rules_model_free(&r);
	return out;
}

static void top_grade(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 6);
	pack(&e, "expert", v);
	struct readiness out = check(1, &e);
	assert_int_equal(out.status, READINESS_TOP_GRADE);
	assert_int_equal(out.next_grade, 0);
	assert_string_equal(readiness_status_name(out.status), "top_grade");
}

static void all_met_is_ready(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 5);
	pack(&e, "senior", v); /* grade 3 -> grade 2 requires senior */
	struct readiness out = check(3, &e);
	assert_int_equal(out.status, READINESS_READY);
	assert_int_equal(out.next_grade, 2);
	assert_int_equal(out.met, 18);
	assert_int_equal(out.below + out.missing, 0);
}

/* Evidence at the employee's own level says nothing about the next grade: every item is missing. */
static void current_level_evidence_is_missing(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 6);
	pack(&e, "intermediate", v);
	struct readiness out = check(3, &e);
	assert_int_equal(out.status, READINESS_NOT_READY);
	assert_int_equal(out.missing, 18);
	for (int i = 0; i < RULES_ITEMS; i++) {
		assert_int_equal(out.item[i], READINESS_MISSING);
		assert_false(out.value[i].has);
	}
}

static void one_missing_item(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 6);
	v[first_of(CATALOG_ASSESS_BEHAVIOUR, 3)] = -1;
	pack(&e, "junior", v); /* grade 4 -> grade 3 requires intermediate */
	struct readiness out = check(4, &e);
	assert_int_equal(out.missing, 18); /* junior evidence does not count for intermediate */
	pack(&e, "intermediate", v);
	out = check(4, &e);
	assert_int_equal(out.status, READINESS_NOT_READY);
	assert_int_equal(out.missing, 1);
	assert_int_equal(out.met, 17);
	assert_int_equal(out.item[first_of(CATALOG_ASSESS_BEHAVIOUR, 3)], READINESS_MISSING);
}

static void two_items_one_point_short_is_nearly(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 5);
	v[first_of(CATALOG_ASSESS_EXAM, 1)] = 4;      /* band 4 */
	v[first_of(CATALOG_ASSESS_BEHAVIOUR, 0)] = 4; /* rating 4 */
	pack(&e, "expert", v);
	struct readiness out = check(2, &e);
	assert_int_equal(out.status, READINESS_NEARLY);
	assert_int_equal(out.below, 2);
	assert_int_equal(out.next_grade, 1);
	assert_int_equal(out.item[first_of(CATALOG_ASSESS_EXAM, 1)], READINESS_BELOW);
	assert_int_equal(out.value[first_of(CATALOG_ASSESS_EXAM, 1)].tenths, 40);
}

static void three_items_short_is_not_ready(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 6);
	v[first_of(CATALOG_ASSESS_BEHAVIOUR, 0)] = 4;
	v[first_of(CATALOG_ASSESS_BEHAVIOUR, 1)] = 4;
	v[first_of(CATALOG_ASSESS_BEHAVIOUR, 2)] = 4;
	pack(&e, "senior", v);
	struct readiness out = check(3, &e);
	assert_int_equal(out.status, READINESS_NOT_READY);
	assert_int_equal(out.below, 3);
}

static void one_item_two_points_short_is_not_ready(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 5);
	v[first_of(CATALOG_ASSESS_BEHAVIOUR, 5)] = 3;
	pack(&e, "senior", v);
	struct readiness out = check(3, &e);
	assert_int_equal(out.status, READINESS_NOT_READY);
	assert_int_equal(out.below, 1);
}

/* The boundary in tenths: 4.0 is within one point, 3.9 is not. */
static void classify_boundaries(void **state)
{
	(void)state;
	struct profile_value v[RULES_ITEMS];
	struct readiness out;
	for (int i = 0; i < RULES_ITEMS; i++)
		v[i] = (struct profile_value){true, 50};
	v[0].tenths = 40;
	v[7].tenths = 45;
	readiness_classify(v, RULES_ITEMS, &out);
	assert_int_equal(out.status, READINESS_NEARLY);
	v[7].tenths = 39;
	readiness_classify(v, RULES_ITEMS, &out);
	assert_int_equal(out.status, READINESS_NOT_READY);
	v[7].tenths = 62;
	v[3] = (struct profile_value){false, 0};
	readiness_classify(v, RULES_ITEMS, &out);
	assert_int_equal(out.status, READINESS_NOT_READY); /* one below by one point, but one missing */
	assert_int_equal(out.missing, 1);
	assert_int_equal(out.below, 1);
	v[3] = (struct profile_value){true, 60};
	readiness_classify(v, RULES_ITEMS, &out);
	assert_int_equal(out.status, READINESS_NEARLY);
	v[0].tenths = 50;
	readiness_classify(v, RULES_ITEMS, &out);
	assert_int_equal(out.status, READINESS_READY);
	assert_int_equal(out.met, 18);
}

static void no_grade(void **state)
{
	(void)state;
	int v[RULES_ITEMS];
	struct evidence e;
	all(v, 6);
	pack(&e, "senior", v);
	struct readiness out = check(0, &e);
	assert_int_equal(out.status, READINESS_NOT_READY);
	assert_int_equal(out.missing, 18);
	assert_int_equal(out.next_grade, 0);
}

static void malformed_evidence(void **state)
{
	(void)state;
	struct rules_evidence ev = {0};
	assert_false(rules_evidence_parse(&ev, "0:3", "1:senior:x", NULL));
	assert_false(rules_evidence_parse(&ev, "0:5", NULL, NULL));                 /* grades are 1..4 */
	assert_false(rules_evidence_parse(&ev, "0:3", NULL, "2:1:6:senior:1:1:3")); /* relations are 0..5 */
	rules_evidence_free(&ev);
}

static void order_by_status_stable(void **state)
{
	(void)state;
	enum readiness_status s[] = {READINESS_TOP_GRADE, READINESS_NOT_READY, READINESS_READY,
				     READINESS_NEARLY,    READINESS_READY,     READINESS_NOT_READY};
	size_t idx[6];
	readiness_order(s, 6, idx);
	size_t want[] = {2, 4, 3, 1, 5, 0};
	for (int i = 0; i < 6; i++)
		assert_int_equal(idx[i], want[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(top_grade),
		cmocka_unit_test(all_met_is_ready),
		cmocka_unit_test(current_level_evidence_is_missing),
		cmocka_unit_test(one_missing_item),
		cmocka_unit_test(two_items_one_point_short_is_nearly),
		cmocka_unit_test(three_items_short_is_not_ready),
		cmocka_unit_test(one_item_two_points_short_is_not_ready),
		cmocka_unit_test(classify_boundaries),
		cmocka_unit_test(no_grade),
		cmocka_unit_test(malformed_evidence),
		cmocka_unit_test(order_by_status_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
