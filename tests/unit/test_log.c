/* The hand-written JSON escaping of the access log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/log.h"

static void test_escape_makes_valid_json(void **state)
{
	(void)state;
	char buf[256] = "{\"p\":\"";
	size_t n = log_escape(buf, strlen(buf), sizeof buf - 3, "/a\"b\\c\n\x01\x7f/张/\xff");
	memcpy(buf + n, "\"}", 3);
	json_error_t err;
	json_t *o = json_loads(buf, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "p")), "/a\"b\\c\n\x01\x7f/张/?");
	json_decref(o);
}

static void test_escape_cuts_at_a_character_boundary(void **state)
{
	(void)state;
	char buf[16] = "";
	size_t n = log_escape(buf, 0, sizeof buf, "张张张张张张张张"); /* 24 bytes into a small buffer */
	assert_true(n < sizeof buf);
	assert_int_equal(n % 3, 0); /* whole characters only */
	assert_int_equal(strlen(buf), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_makes_valid_json),
		cmocka_unit_test(test_escape_cuts_at_a_character_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
