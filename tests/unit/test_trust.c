/* Unit tests for the save trusts of api/shapes.c and the notification format of api/trust.c
 * (issue #20): a trust is given only while the process listens, only to the session that was
 * checked, never with a touch due, and every revocation, gap, reset or loss of the listener
 * takes away what it concerns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/shapes.h"
#include "api/trust.h"

#define TOKEN_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TOKEN_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void put(long long attempt)
{
	long long ids[] = {11, 12};
	enum attempt_qtype types[] = {ATTEMPT_Q_SINGLE, ATTEMPT_Q_TRUEFALSE};
	int opts[] = {4, 0};
	assert_true(shapes_put(attempt, 2, ids, types, opts));
}

/* The trust a save of token into attempt would carry (-1: none). */
static long long trust_of(long long attempt, const char *token, double *until)
{
	enum attempt_qtype type;
	int n;
	bool touch;
	struct shapes_trust t;
	assert_int_equal(shapes_lookup(attempt, 11, token, &type, &n, &touch, &t), SHAPES_FOUND);
	if (until)
		*until = t.until;
	return t.epoch;
}

static unsigned long trusts(void)
{
	long long epoch;
	unsigned long n;
	shapes_trust_counts(&epoch, &n);
	return n;
}

static void test_parse_reads_the_three_kinds(void **state)
{
	(void)state;
	long long e;
	char kind;
	const char *key;
	assert_true(trust_parse("12 s " TOKEN_A, &e, &kind, &key));
	assert_int_equal(e, 12);
	assert_int_equal(kind, 's');
	assert_string_equal(key, TOKEN_A);
	assert_true(trust_parse("7 u 张三", &e, &kind, &key));
	assert_int_equal(kind, 'u');
	assert_string_equal(key, "张三");
	assert_true(trust_parse("0 *", &e, &kind, &key));
	assert_int_equal(kind, '*');
	const char *bad[] = {
		"", "x s a", "-1 s a", "5", "5 ", "5 s", "5 s ", "5 q a", "5 * x", "5s a", "99999999999999999999 *"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(trust_parse(bad[i], &e, &kind, &key));
}

static void test_no_trust_while_not_listening(void **state)
{
	(void)state;
	shapes_trust_reset(-1);
	put(101);
	shapes_trust_record(101, TOKEN_A, "e1", 3, 2e9);
	assert_int_equal(trusts(), 0);
	trust_of(101, TOKEN_A, NULL); /* the touch */
	assert_int_equal(trust_of(101, TOKEN_A, NULL), -1);
}

static void test_a_recorded_trust_is_given_to_its_session_only(void **state)
{
	(void)state;
	shapes_trust_reset(5);
	put(102);
	assert_int_equal(trust_of(102, TOKEN_A, NULL), -1); /* first save of this session: a touch, checked in full */
	shapes_trust_record(102, TOKEN_A, "e1", 5, 1.9e9);
	double until;
	assert_int_equal(trust_of(102, TOKEN_A, &until), 5);
	assert_true(until == 1.9e9);
	assert_int_equal(trusts(), 1);
	/* Another session of the attempt: no trust, and its touch moves the touch to it. */
	assert_int_equal(trust_of(102, TOKEN_B, NULL), -1);
	/* A trust recorded from a check at a later counter is given with the applied one. */
	shapes_trust_record(102, TOKEN_B, "e1", 9, 1.9e9);
	assert_int_equal(trust_of(102, TOKEN_B, NULL), 5);
	assert_int_equal(trust_of(102, TOKEN_A, NULL), -1);
	shapes_trust_reset(-1);
}

static void test_a_check_older_than_the_applied_counter_is_not_remembered(void **state)
{
	(void)state;
	shapes_trust_reset(8);
	put(103);
	trust_of(103, TOKEN_A, NULL);
	shapes_trust_record(103, TOKEN_A, "e1", 7, 2e9);
	assert_int_equal(trust_of(103, TOKEN_A, NULL), -1);
	assert_int_equal(trusts(), 0);
	shapes_trust_reset(-1);
}

static void test_revocations_take_what_they_name(void **state)
{
	(void)state;
	shapes_trust_reset(20);
	put(104);
	put(105);
	trust_of(104, TOKEN_A, NULL);
	trust_of(105, TOKEN_B, NULL);
	shapes_trust_record(104, TOKEN_A, "e1", 20, 2e9);
	shapes_trust_record(105, TOKEN_B, "e2", 20, 2e9);
	assert_int_equal(trusts(), 2);
	/* A session ended: its trust goes, the other stays, the counter moves on. */
	shapes_trust_revoke(21, 's', TOKEN_A);
	assert_int_equal(trust_of(104, TOKEN_A, NULL), -1);
	assert_int_equal(trust_of(105, TOKEN_B, NULL), 21);
	/* A second change of the same transaction (same counter): a user. */
	shapes_trust_revoke(21, 'u', "e2");
	assert_int_equal(trust_of(105, TOKEN_B, NULL), -1);
	assert_int_equal(trusts(), 0);
	long long epoch;
	unsigned long n;
	shapes_trust_counts(&epoch, &n);
	assert_int_equal(epoch, 21);
	shapes_trust_reset(-1);
}

static void test_a_gap_anything_or_the_listener_lost_drop_every_trust(void **state)
{
	(void)state;
	for (int way = 0; way < 3; way++) {
		shapes_trust_reset(30);
		put(106);
		trust_of(106, TOKEN_A, NULL);
		shapes_trust_record(106, TOKEN_A, "e1", 30, 2e9);
		shapes_trust_revoke(31, 's', TOKEN_B); /* someone else: kept */
		assert_int_equal(trust_of(106, TOKEN_A, NULL), 31);
		if (way == 0)
			shapes_trust_revoke(33, 's', TOKEN_B); /* 32 was missed */
		else if (way == 1)
			shapes_trust_revoke(32, '*', "");
		else
			shapes_trust_reset(-1);
		assert_int_equal(trust_of(106, TOKEN_A, NULL), -1);
		assert_int_equal(trusts(), 0);
	}
	shapes_trust_reset(-1);
}

static void test_a_replaced_snapshot_takes_its_trust_along(void **state)
{
	(void)state;
	shapes_trust_reset(40);
	put(107);
	trust_of(107, TOKEN_A, NULL);
	shapes_trust_record(107, TOKEN_A, "e1", 40, 2e9);
	assert_int_equal(trusts(), 1);
	put(107);
	assert_int_equal(trusts(), 0);
	assert_int_equal(trust_of(107, TOKEN_A, NULL), -1); /* a touch again */
	assert_int_equal(trust_of(107, TOKEN_A, NULL), -1);
	shapes_trust_reset(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_the_three_kinds),
		cmocka_unit_test(test_no_trust_while_not_listening),
		cmocka_unit_test(test_a_recorded_trust_is_given_to_its_session_only),
		cmocka_unit_test(test_a_check_older_than_the_applied_counter_is_not_remembered),
		cmocka_unit_test(test_revocations_take_what_they_name),
		cmocka_unit_test(test_a_gap_anything_or_the_listener_lost_drop_every_trust),
		cmocka_unit_test(test_a_replaced_snapshot_takes_its_trust_along),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
