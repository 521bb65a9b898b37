/* Unit tests for core/strbuf: growth across the first buffer, printf longer than its small buffer,
 * binary bytes, the put callback, and taking the text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/strbuf.h"
#include "core/util.h"

static void grows_and_stays_terminated(void **state)
{
	(void)state;
	struct strbuf sb = {0};
	for (int i = 0; i < 1000; i++)
		strbuf_puts(&sb, "abc");
	assert_false(sb.failed);
	assert_int_equal(sb.len, 3000);
	assert_int_equal(strlen(sb.buf), 3000);
	assert_memory_equal(sb.buf + 2997, "abc", 4);
	char *text = strbuf_take(&sb);
	assert_non_null(text);
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	free(text);
}

static void printf_short_and_long(void **state)
{
	(void)state;
	struct strbuf sb = {0};
	strbuf_printf(&sb, "%d:%s", 42, "x");
	char long_arg[1000];
	memset(long_arg, 'y', sizeof long_arg - 1);
	long_arg[sizeof long_arg - 1] = '\0';
	strbuf_printf(&sb, "[%s]", long_arg); /* longer than printf's 256-byte first try */
	assert_int_equal(sb.len, 4 + 1001);
	assert_memory_equal(sb.buf, "42:x[yyy", 8);
	assert_int_equal(sb.buf[sb.len - 1], ']');
	free(strbuf_take(&sb));
}

static void binary_bytes_and_the_put_callback(void **state)
{
	(void)state;
	struct strbuf sb = {0};
	assert_true(strbuf_put(&sb, "a\0b", 3));
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, "a\0b", 3);
	/* As a util_put_fn: a JSON string escaped into the buffer. */
	assert_true(util_json_string("q\"", strbuf_put, &sb));
	assert_memory_equal(sb.buf + 3, "\"q\\\"\"", 5);
	free(strbuf_take(&sb));
}

static void failure_sticks_and_take_gives_null(void **state)
{
	(void)state;
	struct strbuf sb = {0};
	strbuf_puts(&sb, "kept");
	assert_false(strbuf_reserve(&sb, SIZE_MAX - 2)); /* cannot grow that far */
	assert_true(sb.failed);
	strbuf_puts(&sb, "dropped");
	assert_false(strbuf_put(&sb, "x", 1));
	assert_null(strbuf_take(&sb)); /* and the buffer is freed */
	assert_false(sb.failed);
	struct strbuf empty = {0};
	assert_null(strbuf_take(&empty)); /* nothing written */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_and_stays_terminated),
		cmocka_unit_test(printf_short_and_long),
		cmocka_unit_test(binary_bytes_and_the_put_callback),
		cmocka_unit_test(failure_sticks_and_take_gives_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
