/* Trends: the band of a value (its whole part) and a department period's band distribution from its
 * employees' values. Expectations by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/trends.h"

static void test_bands(void **state)
{
	(void)state;
	assert_int_equal(trends_band((struct profile_value){false, 0}), TRENDS_MISSING);
	assert_int_equal(trends_band((struct profile_value){true, 0}), 0);
	assert_int_equal(trends_band((struct profile_value){true, 49}), 4); /* 4.9 does not meet 5 */
	assert_int_equal(trends_band((struct profile_value){true, 50}), 5);
	assert_int_equal(trends_band((struct profile_value){true, 60}), 6);
}

static void test_distribution(void **state)
{
	(void)state;
	const struct catalog *cat = catalog_default();
	const struct catalog_item *exam = catalog_item_find(cat, "job_skills"),
				  *beh = catalog_item_find(cat, "customer_relationship");
	assert_non_null(exam);
	assert_non_null(beh);
	size_t e = exam->position, b = beh->position;
	/* Three employees: exam bands 5, 5 and none; behaviour 6, 3.5, none. */
	static struct trends_period p;
	memset(&p, 0, sizeof p);
	struct profile_value v[3][TRENDS_ITEMS];
	memset(v, 0, sizeof v);
	v[0][e] = profile_exam_value(5);
	v[1][e] = profile_exam_value(5);
	v[0][b] = (struct profile_value){true, 60};
	v[1][b] = (struct profile_value){true, 35};
	for (int k = 0; k < 3; k++)
		trends_add_values(&p, v[k]);
	assert_int_equal(p.counts[e][5], 2);
	assert_int_equal(p.counts[e][TRENDS_MISSING], 1);
	assert_int_equal(p.with_value[e], 2);
	assert_int_equal(p.sum_tenths[e], 100);
	assert_int_equal(p.counts[b][6], 1);
	assert_int_equal(p.counts[b][3], 1);
	assert_int_equal(p.counts[b][TRENDS_MISSING], 1);
	assert_int_equal(p.sum_tenths[b], 95);
	/* Every other item: missing for all three. */
	assert_int_equal(
		p.counts[(e + 1) % TRENDS_ITEMS == b ? (e + 2) % TRENDS_ITEMS : (e + 1) % TRENDS_ITEMS][TRENDS_MISSING],
		3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_bands), cmocka_unit_test(test_distribution)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
