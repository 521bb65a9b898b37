/* The department summary: mean (half-up, hundredths), 达标率 over those with evidence, the
 * distribution by whole score, and missing values counted but never as 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/deptsummary.h"

static struct profile_value val(int tenths)
{
	return (struct profile_value){true, tenths};
}
static const struct profile_value none = {false, 0};

static void test_mean_rate_and_distribution(void **state)
{
	(void)state;
	struct dept_item_summary s = {0};
	/* 4.5, 5, 6, missing, 2.5 -> mean (45+50+60+25)/4 = 45 tenths = 4.50; meets or exceeds 2 of 4 */
	dept_summary_add(&s, val(45));
	dept_summary_add(&s, val(50));
	dept_summary_add(&s, val(60));
	dept_summary_add(&s, none);
	dept_summary_add(&s, val(25));
	assert_int_equal(s.employees, 5);
	assert_int_equal(s.assessed, 4);
	int64_t mean, rate;
	assert_true(dept_summary_mean(&s, &mean));
	assert_int_equal(mean, 450);
	assert_true(dept_summary_meets_rate(&s, &rate));
	assert_int_equal(rate, 500);
	assert_int_equal(s.counts[PROFILE_BELOW], 2);
	assert_int_equal(s.counts[PROFILE_MEETS], 1);
	assert_int_equal(s.counts[PROFILE_EXCEEDS], 1);
	assert_int_equal(s.counts[PROFILE_MISSING], 1);
	int want[7] = {0, 0, 1, 0, 1, 1, 1};
	for (int i = 0; i < 7; i++)
		assert_int_equal(s.distribution[i], want[i]);
}

static void test_half_up(void **state)
{
	(void)state;
	struct dept_item_summary s = {0};
	/* 5, 5, 4 -> 14/3 = 4.666.. -> 4.67; rate 2/3 = 666.67 permille -> 667 */
	dept_summary_add(&s, val(50));
	dept_summary_add(&s, val(50));
	dept_summary_add(&s, val(40));
	int64_t mean, rate;
	assert_true(dept_summary_mean(&s, &mean));
	assert_int_equal(mean, 467);
	assert_true(dept_summary_meets_rate(&s, &rate));
	assert_int_equal(rate, 667);
	/* 0.5 up: 4.1 + 4.2 -> 4.15 exactly; 1 of 8 -> 125 permille */
	struct dept_item_summary t = {0};
	dept_summary_add(&t, val(41));
	dept_summary_add(&t, val(42));
	assert_true(dept_summary_mean(&t, &mean));
	assert_int_equal(mean, 415);
	struct dept_item_summary u = {0};
	for (int i = 0; i < 8; i++)
		dept_summary_add(&u, val(i ? 30 : 60));
	assert_true(dept_summary_meets_rate(&u, &rate));
	assert_int_equal(rate, 125);
}

static void test_nobody_assessed(void **state)
{
	(void)state;
	struct dept_item_summary s = {0};
	int64_t x;
	assert_false(dept_summary_mean(&s, &x));
	dept_summary_add(&s, none);
	assert_false(dept_summary_mean(&s, &x));
	assert_false(dept_summary_meets_rate(&s, &x));
	assert_int_equal(s.counts[PROFILE_MISSING], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mean_rate_and_distribution),
		cmocka_unit_test(test_half_up),
		cmocka_unit_test(test_nobody_assessed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
