/* Unit tests for domain/decimal: parsing, formatting, rounding, arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/decimal.h"

static int64_t parse_ok(const char *s, unsigned scale)
{
	int64_t v = -12345;
	enum decimal_status st = decimal_parse(s, scale, &v);
	if (st != DECIMAL_OK)
		fail_msg("parse \"%s\" at scale %u: %s", s, scale, decimal_status_str(st));
	return v;
}

static void parse_fails(const char *s, unsigned scale, enum decimal_status want)
{
	int64_t v = 777;
	enum decimal_status st = decimal_parse(s, scale, &v);
	if (st != want)
		fail_msg("parse \"%s\" at scale %u: got %s, want %s", s ? s : "(NULL)", scale, decimal_status_str(st),
			 decimal_status_str(want));
	assert_int_equal(v, 777); /* untouched on failure */
}

static void test_parse_valid(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("85", 2), 8500);
	assert_int_equal(parse_ok("90.495", 3), 90495);
	assert_int_equal(parse_ok("90.495", 6), 90495000);
	assert_int_equal(parse_ok("1.5", 2), 150);
	assert_int_equal(parse_ok("-0", 2), 0);
	assert_int_equal(parse_ok("-0.00", 2), 0);
	assert_int_equal(parse_ok("+2.5", 2), 250);
	assert_int_equal(parse_ok("-1.25", 2), -125);
	assert_int_equal(parse_ok("007", 0), 7);
	assert_int_equal(parse_ok("0.125", 6), 125000);
	assert_int_equal(parse_ok("30", 6), 30000000);
	assert_int_equal(parse_ok("0.000001", 6), 1);
	/* Zeros past the scale lose nothing. */
	assert_int_equal(parse_ok("1.50000000000000000000000000", 1), 15);
	assert_int_equal(parse_ok("9223372036854775807", 0), INT64_MAX);
	assert_int_equal(parse_ok("-9223372036854775808", 0), INT64_MIN);
	assert_int_equal(parse_ok("9.223372036854775807", 18), INT64_MAX);
	assert_int_equal(parse_ok("000000000000000000000000000001", 0), 1);

	int64_t v = 0;
	assert_int_equal(decimal_parse_n("12.345xyz", 5, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 1234);
}

static void test_parse_rejects(void **state)
{
	(void)state;
	parse_fails("", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("-", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("+", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("abc", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("1.", 2, DECIMAL_ERR_SYNTAX);
	parse_fails(".5", 2, DECIMAL_ERR_SYNTAX);
	parse_fails(" 1", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("1 ", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("1e2", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("1,5", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("1.2.3", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("--1", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("0x10", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("NaN", 2, DECIMAL_ERR_SYNTAX);
	parse_fails("١", 2, DECIMAL_ERR_SYNTAX); /* Arabic-Indic one: not ASCII */
	parse_fails("90.495", 2, DECIMAL_ERR_PRECISION);
	parse_fails("0.0000001", 6, DECIMAL_ERR_PRECISION);
	parse_fails("9223372036854775808", 0, DECIMAL_ERR_RANGE);
	parse_fails("-9223372036854775809", 0, DECIMAL_ERR_RANGE);
	parse_fails("92233720368547758070", 0, DECIMAL_ERR_RANGE);
	parse_fails("99999999999999999999999999999999999999999999", 2, DECIMAL_ERR_RANGE);
	parse_fails("10000000000000000", 3, DECIMAL_ERR_RANGE);
	parse_fails("1", DECIMAL_MAX_SCALE + 1, DECIMAL_ERR_SCALE);
	parse_fails(NULL, 2, DECIMAL_ERR_SYNTAX);

	int64_t v = 5;
	assert_int_equal(decimal_parse_n("1\0"
					 "5",
					 3, 0, &v),
			 DECIMAL_ERR_SYNTAX);
	assert_int_equal(v, 5);
}

static void expect_format(int64_t v, unsigned scale, const char *want)
{
	char buf[DECIMAL_FORMAT_MAX];
	assert_int_equal(decimal_format(v, scale, buf, sizeof buf), DECIMAL_OK);
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	(void)state;
	expect_format(8500, 2, "85.00");
	expect_format(9050, 2, "90.50");
	expect_format(5, 2, "0.05");
	expect_format(0, 2, "0.00");
	expect_format(0, 0, "0");
	expect_format(85, 0, "85");
	expect_format(-5, 3, "-0.005");
	expect_format(-125, 2, "-1.25");
	expect_format(INT64_MAX, 0, "9223372036854775807");
	expect_format(INT64_MIN, 0, "-9223372036854775808");
	expect_format(INT64_MIN, 18, "-9.223372036854775808");
	expect_format(-1, 18, "-0.000000000000000001");

	char buf[DECIMAL_FORMAT_MAX];
	assert_int_equal(decimal_format_trim(125000, 6, buf, sizeof buf), DECIMAL_OK);
	assert_string_equal(buf, "0.125");
	assert_int_equal(decimal_format_trim(30000000, 6, buf, sizeof buf), DECIMAL_OK);
	assert_string_equal(buf, "30");
	assert_int_equal(decimal_format_trim(0, 6, buf, sizeof buf), DECIMAL_OK);
	assert_string_equal(buf, "0");
	assert_int_equal(decimal_format_trim(100, 0, buf, sizeof buf), DECIMAL_OK);
	assert_string_equal(buf, "100");

	char small[5];
	assert_int_equal(decimal_format(8500, 2, small, sizeof small), DECIMAL_ERR_BUFFER);
	assert_int_equal(decimal_format(850, 2, small, sizeof small), DECIMAL_OK);
	assert_string_equal(small, "8.50");
	assert_int_equal(decimal_format(1, 19, buf, sizeof buf), DECIMAL_ERR_SCALE);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"85.00", "90.50", "0.00", "0.01", "-1.25", "100.00", "12345678.90", "-0.05",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		int64_t v = parse_ok(texts[i], 2);
		char buf[DECIMAL_FORMAT_MAX];
		assert_int_equal(decimal_format(v, 2, buf, sizeof buf), DECIMAL_OK);
		assert_string_equal(buf, texts[i]);
	}
	/* Every value in a range survives format → parse at several scales. */
	for (unsigned scale = 0; scale <= DECIMAL_MAX_SCALE; scale += 3) {
		for (int64_t v = -1001; v <= 1001; v += 7) {
			char buf[DECIMAL_FORMAT_MAX];
			assert_int_equal(decimal_format(v, scale, buf, sizeof buf), DECIMAL_OK);
			assert_int_equal(parse_ok(buf, scale), v);
		}
	}
	int64_t v;
	char buf[DECIMAL_FORMAT_MAX];
	assert_int_equal(decimal_format(INT64_MIN, 7, buf, sizeof buf), DECIMAL_OK);
	assert_int_equal(decimal_parse(buf, 7, &v), DECIMAL_OK);
	assert_int_equal(v, INT64_MIN);
}

static void test_rescale_round(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(decimal_rescale(90495, 3, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 9050);
	assert_int_equal(decimal_rescale(90494, 3, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 9049);
	assert_int_equal(decimal_rescale(9050, 2, 0, &v), DECIMAL_OK);
	assert_int_equal(v, 91);
	assert_int_equal(decimal_rescale(9049, 2, 0, &v), DECIMAL_OK);
	assert_int_equal(v, 90);
	assert_int_equal(decimal_rescale(4050, 2, 0, &v), DECIMAL_OK);
	assert_int_equal(v, 41);
	assert_int_equal(decimal_rescale(-4050, 2, 0, &v), DECIMAL_OK);
	assert_int_equal(v, -41); /* half away from zero */
	assert_int_equal(decimal_rescale(-4049, 2, 0, &v), DECIMAL_OK);
	assert_int_equal(v, -40);
	assert_int_equal(decimal_rescale(85, 0, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 8500);
	assert_int_equal(decimal_rescale(INT64_MAX, 0, 1, &v), DECIMAL_ERR_RANGE);
	assert_int_equal(decimal_rescale(INT64_MAX, 18, 0, &v), DECIMAL_OK);
	assert_int_equal(v, 9);
	assert_int_equal(decimal_rescale(INT64_MIN, 1, 0, &v), DECIMAL_OK);
	assert_int_equal(v, -922337203685477581LL);
	assert_int_equal(decimal_rescale(1, 0, 19, &v), DECIMAL_ERR_SCALE);

	assert_int_equal(decimal_round(90495, 3, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 90500);
	assert_int_equal(decimal_round(90494999, 6, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 90490000);
	assert_int_equal(decimal_round(1234, 2, 5, &v), DECIMAL_OK);
	assert_int_equal(v, 1234);
	assert_int_equal(decimal_round(INT64_MAX, 0, 0, &v), DECIMAL_OK);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(decimal_round(INT64_MAX, 1, 0, &v), DECIMAL_ERR_RANGE);
}

static void test_mul_div(void **state)
{
	(void)state;
	int64_t v;
	/* 30 × 0.125 = 3.75 */
	assert_int_equal(decimal_mul(30000000, 6, 125000, 6, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 375);
	/* 1.005 × 1 at 2 decimals rounds half-up */
	assert_int_equal(decimal_mul(1005, 3, 1, 0, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 101);
	/* 0.333 × 0.5 = 0.1665 → 0.167 */
	assert_int_equal(decimal_mul(333, 3, 5, 1, 3, &v), DECIMAL_OK);
	assert_int_equal(v, 167);
	assert_int_equal(decimal_mul(-333, 3, 5, 1, 3, &v), DECIMAL_OK);
	assert_int_equal(v, -167);
	/* Large operands do not overflow the intermediate. */
	assert_int_equal(decimal_mul(INT64_MAX, 18, 1000000000000000000LL, 18, 18, &v), DECIMAL_OK);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(decimal_mul(INT64_MAX, 0, 2, 0, 0, &v), DECIMAL_ERR_RANGE);
	assert_int_equal(decimal_mul(3, 0, 7, 0, 18, &v), DECIMAL_ERR_RANGE);

	/* 1 / 3 at 2 decimals = 0.33, 2 / 3 = 0.67 */
	assert_int_equal(decimal_div(1, 0, 3, 0, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 33);
	assert_int_equal(decimal_div(2, 0, 3, 0, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 67);
	/* 8.5 / 0.125 = 68 */
	assert_int_equal(decimal_div(850, 2, 125000, 6, 0, &v), DECIMAL_OK);
	assert_int_equal(v, 68);
	/* 181.99 / 2 = 90.995 → 91.00 at 2 decimals, 91 at 0 */
	assert_int_equal(decimal_div(18199, 2, 2, 0, 3, &v), DECIMAL_OK);
	assert_int_equal(v, 90995);
	assert_int_equal(decimal_div(18099, 2, 2, 0, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 9050);
	assert_int_equal(decimal_div(-1, 0, 2, 0, 0, &v), DECIMAL_OK);
	assert_int_equal(v, -1);
	assert_int_equal(decimal_div(1, 0, -3, 0, 2, &v), DECIMAL_OK);
	assert_int_equal(v, -33);
	assert_int_equal(decimal_div(1, 0, 0, 0, 2, &v), DECIMAL_ERR_DIV_ZERO);
	assert_int_equal(decimal_div(INT64_MAX, 0, 1, 18, 18, &v), DECIMAL_ERR_RANGE);
	assert_int_equal(decimal_div(INT64_MIN, 0, -1, 0, 0, &v), DECIMAL_ERR_RANGE);
	assert_int_equal(decimal_div(1, 18, 1, 0, 0, &v), DECIMAL_OK);
	assert_int_equal(v, 0);

	/* muldiv: 10000 × earned / possible, the percentage in hundredths. */
	assert_int_equal(decimal_muldiv(100, 10000, 300, &v), DECIMAL_OK);
	assert_int_equal(v, 3333);
	assert_int_equal(decimal_muldiv(200, 10000, 300, &v), DECIMAL_OK);
	assert_int_equal(v, 6667);
	assert_int_equal(decimal_muldiv(INT64_MAX, INT64_MAX, INT64_MAX, &v), DECIMAL_OK);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(decimal_muldiv(17001, 1, 2, &v), DECIMAL_OK);
	assert_int_equal(v, 8501);
	assert_int_equal(decimal_muldiv(1, 1, 0, &v), DECIMAL_ERR_DIV_ZERO);
	assert_int_equal(decimal_muldiv(INT64_MAX, 2, 1, &v), DECIMAL_ERR_RANGE);
}

static void test_add_sub(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(decimal_add(8500, 5, &v), DECIMAL_OK);
	assert_int_equal(v, 8505);
	assert_int_equal(decimal_add(INT64_MAX, 1, &v), DECIMAL_ERR_RANGE);
	assert_int_equal(decimal_sub(INT64_MIN, 1, &v), DECIMAL_ERR_RANGE);
	assert_int_equal(decimal_sub(5, 8500, &v), DECIMAL_OK);
	assert_int_equal(v, -8495);
	assert_int_equal(decimal_pow10(2), 100);
	assert_int_equal(decimal_pow10(19), 0);
	assert_string_equal(decimal_status_str(DECIMAL_ERR_PRECISION), "too many decimal places");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),   cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_format),        cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rescale_round), cmocka_unit_test(test_mul_div),
		cmocka_unit_test(test_add_sub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
