/* Trends: an item's value from the profile rules' evidence, the band of a value (its whole part),
 * and a department period's band distribution from packed rows. Expectations by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/trends.h"

static void test_values_and_bands(void **state)
{
	(void)state;
	struct profile_value v;
	/* Exam band 4 -> 4.0; no attempt -> missing. */
	assert_true(trends_value(true, "4", NULL, NULL, NULL, NULL, &v));
	assert_true(v.has);
	assert_int_equal(v.tenths, 40);
	assert_true(trends_value(true, NULL, NULL, NULL, NULL, NULL, &v));
	assert_false(v.has);
	assert_int_equal(trends_band(v), TRENDS_MISSING);
	/* Ratings 5 and 4 with weights 1: (5 + 4) / 2 = 4.5 -> band 4 (whole part), not 5. */
	assert_true(trends_value(false, NULL, "9", "2", "9", "2", &v));
	assert_int_equal(v.tenths, 45);
	assert_int_equal(trends_band(v), 4);
	/* 4.95 rounds half-up to 5.0 first (the profile rule), then band 5. Weights 1, 1: 9.9/2. */
	assert_true(trends_value(false, NULL, "9.9", "2", "10", "2", &v));
	assert_int_equal(v.tenths, 50);
	assert_int_equal(trends_band(v), 5);
	/* No kept rating. */
	assert_true(trends_value(false, NULL, NULL, NULL, NULL, "0", &v));
	assert_false(v.has);
	assert_int_equal(trends_band((struct profile_value){true, 0}), 0);
	assert_int_equal(trends_band((struct profile_value){true, 60}), 6);
	/* Malformed. */
	assert_false(trends_value(true, "9", NULL, NULL, NULL, NULL, &v));
	assert_false(trends_value(false, NULL, "x", "2", "9", "2", &v));
}

static void test_packed_distribution(void **state)
{
	(void)state;
	const struct catalog *cat = catalog_default();
	const struct catalog_item *exam = catalog_item_find(cat, "job_skills"), *beh = catalog_item_find(cat, "customer_relationship");
	assert_non_null(exam);
	assert_non_null(beh);
	assert_int_equal(exam->assessment, CATALOG_ASSESS_EXAM);
	assert_int_not_equal(beh->assessment, CATALOG_ASSESS_EXAM);
	size_t e = exam->position, b = beh->position;
	char packed[512];
	/* Three employees: exam bands 5, 5 and none; behaviour 6 (one rating), 3.5 (3 + 4), none. */
	snprintf(packed, sizeof packed, "%s:5::::;%s:5::::;%s:::::;%s::6:1:6:1;%s::7:2:7:2;%s:::::0", exam->code,
		 exam->code, exam->code, beh->code, beh->code, beh->code);
	static struct trends_period p;
	memset(&p, 0, sizeof p);
	assert_true(trends_add_packed(cat, packed, &p));
	assert_int_equal(p.counts[e][5], 2);
	assert_int_equal(p.counts[e][TRENDS_MISSING], 1);
	assert_int_equal(p.with_value[e], 2);
	assert_int_equal(p.sum_tenths[e], 100);
	assert_int_equal(p.counts[b][6], 1);
	assert_int_equal(p.counts[b][3], 1);
	assert_int_equal(p.counts[b][TRENDS_MISSING], 1);
	assert_int_equal(p.sum_tenths[b], 95);
	assert_true(trends_add_packed(cat, "", &p));
	assert_false(trends_add_packed(cat, "no_such_item:5::::", &p));
	assert_false(trends_add_packed(cat, "x:5", &p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_values_and_bands), cmocka_unit_test(test_packed_distribution)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
