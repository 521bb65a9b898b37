/* Profile maths: behaviour values (weighted, half-up to one decimal), statuses, gaps, summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "domain/profile.h"

static int behaviour(const char *wsum, const char *wtot, int64_t ssum, int n)
{
	struct profile_value v;
	assert_true(profile_behaviour_value(wsum, wtot, ssum, n, &v));
	return v.has ? v.tenths : -1;
}

static void test_behaviour_values(void **state)
{
	(void)state;
	/* SPEC §3.3 examples: a supervisor's 5 and a peer's 4 -> 4.5; supervisor weight 3 -> 19/4 = 4.75 -> 4.8. */
	assert_int_equal(behaviour("9", "2", 9, 2), 45);
	assert_int_equal(behaviour("19", "4", 9, 2), 48);
	/* Half-up at the edge: 4.25 -> 4.3, 4.249999 -> 4.2. */
	assert_int_equal(behaviour("17", "4", 0, 4), 43);
	assert_int_equal(behaviour("4.249999", "1", 0, 1), 42);
	/* Thirds: (5+5+4)/3 = 4.666... -> 4.7. */
	assert_int_equal(behaviour("14", "3", 14, 3), 47);
	/* Weights that sum to 0: equal weights over the n ratings. */
	assert_int_equal(behaviour("0", "0", 9, 2), 45);
	assert_int_equal(behaviour("0.000000", "0.000000", 1, 3), 3);
	/* Fractional weights with six decimals: (0.5*6 + 0.25*2) / 0.75 = 4.666... -> 4.7. */
	assert_int_equal(behaviour("3.500000", "0.750000", 8, 2), 47);
	/* No ratings: no value (missing, never 0). */
	assert_int_equal(behaviour(NULL, NULL, 0, 0), -1);
	assert_int_equal(behaviour("0", "1", 0, 1), 0);
}

static void test_behaviour_rejects_malformed(void **state)
{
	(void)state;
	struct profile_value v;
	assert_false(profile_behaviour_value("abc", "1", 1, 1, &v));
	assert_false(profile_behaviour_value("1", "x", 1, 1, &v));
	assert_false(profile_behaviour_value("1.0000001", "1", 1, 1, &v)); /* more than 6 decimals */
	assert_false(profile_behaviour_value("-1", "1", 1, 1, &v));
	assert_false(profile_behaviour_value("70", "10", 70, 10, &v)); /* 7.0 is off the 0..6 scale */
	assert_false(profile_behaviour_value(NULL, "1", 1, 1, &v));
}

static void test_status_and_gap(void **state)
{
	(void)state;
	struct profile_value missing = {false, 0}, below = {true, 45}, meets = {true, 50}, exceeds = {true, 60};
	assert_int_equal(profile_status_of(missing), PROFILE_MISSING);
	assert_int_equal(profile_status_of(below), PROFILE_BELOW);
	assert_int_equal(profile_status_of(meets), PROFILE_MEETS);
	assert_int_equal(profile_status_of(exceeds), PROFILE_EXCEEDS);
	assert_int_equal(profile_status_of((struct profile_value){true, 49}), PROFILE_BELOW);
	assert_int_equal(profile_status_of((struct profile_value){true, 51}), PROFILE_EXCEEDS);
	assert_string_equal(profile_status_name(PROFILE_EXCEEDS), "exceeds");

	json_t *g = profile_gap_json(below);
	assert_true(json_is_real(g));
	assert_true(json_real_value(g) > -0.51 && json_real_value(g) < -0.49);
	json_decref(g);
	g = profile_gap_json(exceeds);
	assert_true(json_is_integer(g));
	assert_int_equal(json_integer_value(g), 1);
	json_decref(g);
	g = profile_gap_json(missing);
	assert_true(json_is_null(g));
	json_decref(g);
	json_t *a = profile_value_json(missing);
	assert_true(json_is_null(a)); /* never 0 */
	json_decref(a);
	a = profile_value_json(profile_exam_value(5));
	assert_true(json_is_integer(a));
	assert_int_equal(json_integer_value(a), 5);
	json_decref(a);
	assert_false(profile_exam_value(7).has);
	assert_false(profile_exam_value(-1).has);
}

static void test_summary(void **state)
{
	(void)state;
	const struct catalog *cat = catalog_default();
	assert_non_null(cat);
	struct profile_value v[18];
	memset(v, 0, sizeof v);
	/* basic (items 0-7): 4.5, 5, 6 -> mean 5.1666 -> 5.17; professional (8-11): one exam 5 -> 5.00;
	 * functional (12-17): none -> null. */
	v[0] = (struct profile_value){true, 45};
	v[1] = (struct profile_value){true, 50};
	v[2] = (struct profile_value){true, 60};
	v[8] = profile_exam_value(5);
	json_t *s = profile_summary_json(cat, v, 18);
	assert_int_equal(json_integer_value(json_object_get(s, "below")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "meets")), 2);
	assert_int_equal(json_integer_value(json_object_get(s, "exceeds")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "missing")), 14);
	json_t *cats = json_object_get(s, "categories");
	assert_int_equal(json_array_size(cats), 3);
	json_t *basic = json_array_get(cats, 0);
	assert_string_equal(json_string_value(json_object_get(basic, "category")), "basic");
	assert_int_equal(json_integer_value(json_object_get(basic, "items")), 8);
	assert_int_equal(json_integer_value(json_object_get(basic, "with_evidence")), 3);
	double mean = json_real_value(json_object_get(basic, "mean"));
	assert_true(mean > 5.1699 && mean < 5.1701);
	json_t *prof = json_array_get(cats, 1);
	assert_true(json_real_value(json_object_get(prof, "mean")) > 4.999);
	assert_true(json_is_null(json_object_get(json_array_get(cats, 2), "mean")));
	json_decref(s);
}

/* The relation summary of a JSON evidence array, dumped compactly; NULL when refused. */
static char *relations(const char *evidence)
{
	json_error_t err;
	json_t *ev = json_loads(evidence, 0, &err);
	assert_non_null(ev);
	json_t *sum = profile_relation_summary_json(ev);
	json_decref(ev);
	if (!sum)
		return NULL;
	char *text = json_dumps(sum, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(sum);
	return text;
}

static void expect_relations(const char *evidence, const char *want)
{
	char *got = relations(evidence);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_relation_summary(void **state)
{
	(void)state;
	expect_relations("[]", "[]");
	/* Two peers 4 and 6 -> 5.0; nothing of a single rating is carried over. */
	expect_relations("[{\"rating_id\":7,\"rater\":\"同事甲\",\"relation\":\"peer\",\"score\":4,\"weight\":1,"
			 "\"rated_level\":null,\"rated_at\":\"2026-06-01T00:00:00Z\",\"note\":\"需加强\"},"
			 "{\"rating_id\":8,\"rater\":\"同事乙\",\"relation\":\"peer\",\"score\":6,\"note\":null}]",
			 "[{\"relation\":\"peer\",\"count\":2,\"mean\":5.0}]");
	/* Model order (self, supervisor, peer, subordinate, customer, hr), whatever the order of the ratings;
	 * means half-up to one decimal: (4+4+5)/3 = 4.333 -> 4.3, (5+6)/2 = 5.5, (2+3+3)/3 = 2.667 -> 2.7. */
	expect_relations("[{\"relation\":\"customer\",\"score\":4},{\"relation\":\"hr\",\"score\":0},"
			 "{\"relation\":\"customer\",\"score\":4},{\"relation\":\"self\",\"score\":6},"
			 "{\"relation\":\"customer\",\"score\":5},{\"relation\":\"supervisor\",\"score\":5},"
			 "{\"relation\":\"supervisor\",\"score\":6},{\"relation\":\"subordinate\",\"score\":2},"
			 "{\"relation\":\"subordinate\",\"score\":3},{\"relation\":\"subordinate\",\"score\":3}]",
			 "[{\"relation\":\"self\",\"count\":1,\"mean\":6.0},"
			 "{\"relation\":\"supervisor\",\"count\":2,\"mean\":5.5},"
			 "{\"relation\":\"subordinate\",\"count\":3,\"mean\":2.7},"
			 "{\"relation\":\"customer\",\"count\":3,\"mean\":4.3},"
			 "{\"relation\":\"hr\",\"count\":1,\"mean\":0.0}]");
	/* 1/6 = 0.1666 -> 0.2; 0.25 (1,0,0,0) -> 0.3 half-up. */
	expect_relations("[{\"relation\":\"peer\",\"score\":1},{\"relation\":\"peer\",\"score\":0},"
			 "{\"relation\":\"peer\",\"score\":0},{\"relation\":\"peer\",\"score\":0}]",
			 "[{\"relation\":\"peer\",\"count\":4,\"mean\":0.3}]");
	/* A relation the model does not know (another system wrote the table) comes after the known ones. */
	expect_relations("[{\"relation\":\"mentor\",\"score\":3},{\"relation\":\"peer\",\"score\":5}]",
			 "[{\"relation\":\"peer\",\"count\":1,\"mean\":5.0},"
			 "{\"relation\":\"mentor\",\"count\":1,\"mean\":3.0}]");
	/* Malformed evidence is refused, never passed through. */
	expect_relations("[{\"rater\":\"x\",\"score\":3}]", NULL);
	expect_relations("[{\"relation\":\"peer\",\"score\":7}]", NULL);
	expect_relations("[{\"relation\":\"peer\",\"score\":4.5}]", NULL);
	expect_relations("[{\"relation\":\"peer\"}]", NULL);
	expect_relations("[3]", NULL);
	expect_relations("{}", NULL);
	assert_null(profile_relation_summary_json(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_behaviour_values), cmocka_unit_test(test_behaviour_rejects_malformed),
		cmocka_unit_test(test_status_and_gap),   cmocka_unit_test(test_summary),
		cmocka_unit_test(test_relation_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
