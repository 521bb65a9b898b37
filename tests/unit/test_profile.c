/* Profile maths: behaviour values (weighted, half-up to one decimal), statuses, gaps, summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_behaviour_values),
		cmocka_unit_test(test_behaviour_rejects_malformed),
		cmocka_unit_test(test_status_and_gap),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
