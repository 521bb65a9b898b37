/* The hand-written JSON escaping of the access log, and the log writer thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#define WRITERS 4
#define LINES 5000

static void *write_lines(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < LINES; i++) {
		char line[96];
		int n = snprintf(line, sizeof line, "{\"msg\":\"request\",\"t\":%d,\"i\":%d}", id, i);
		log_line(line, (size_t)n);
	}
	return NULL;
}

/* With the writer thread, lines from many threads arrive whole, each thread's in order, none lost,
 * and a warning written meanwhile is among them; log_stop_writer writes everything left. */
static void test_writer_thread_keeps_every_line_whole_and_in_order(void **state)
{
	(void)state;
	char path[] = "/tmp/examd-test-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	int saved = dup(fileno(stderr));
	assert_true(log_reopen(path));
	assert_true(log_start_writer());
	pthread_t t[WRITERS];
	for (int k = 0; k < WRITERS; k++)
		assert_int_equal(pthread_create(&t[k], NULL, write_lines, (void *)(intptr_t)k), 0);
	log_warning("in the middle");
	for (int k = 0; k < WRITERS; k++)
		pthread_join(t[k], NULL);
	log_stop_writer();
	fflush(stderr);
	dup2(saved, fileno(stderr));
	close(saved);

	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int next[WRITERS] = {0};
	int warnings = 0, lines = 0;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		assert_non_null(o); /* whole lines only */
		lines++;
		if (!strcmp(json_string_value(json_object_get(o, "msg")), "in the middle")) {
			warnings++;
		} else {
			int id = (int)json_integer_value(json_object_get(o, "t"));
			assert_true(id >= 0 && id < WRITERS);
			assert_int_equal(json_integer_value(json_object_get(o, "i")), next[id]);
			next[id]++;
		}
		json_decref(o);
	}
	fclose(f);
	unlink(path);
	assert_int_equal(warnings, 1);
	for (int k = 0; k < WRITERS; k++)
		assert_int_equal(next[k], LINES);
	assert_int_equal(lines, WRITERS * LINES + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_makes_valid_json),
		cmocka_unit_test(test_escape_cuts_at_a_character_boundary),
		cmocka_unit_test(test_writer_thread_keeps_every_line_whole_and_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
