/* Rater quality: leniency, the single-value share, supervisor-peer agreement and the weighted kappa,
 * flags. Every expectation is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/raterq.h"

enum { SUP = RATERQ_SUPERVISOR, PEER = RATERQ_PEER, CUST = RATERQ_CUSTOMER };

static bool has_flag(const struct raterq_rater *r, const char *flag)
{
	for (size_t k = 0; k < raterq_nrules; k++)
		if (!strcmp(raterq_rules[k].flag, flag))
			return (r->flags >> k) & 1u;
	fail_msg("no rule %s", flag);
	return false;
}

/* One cell rated 6, 4, 2 by three raters: the others' means are 3, 4, 5, so the leniencies are
 * +3, 0, -3. A second cell rated by rater 0 alone is not shared and does not count. */
static void test_leniency_by_hand(void **state)
{
	(void)state;
	struct raterq_rating in[] = {{0, 1, CUST, 6}, {1, 1, CUST, 4}, {2, 1, CUST, 2}, {0, 2, CUST, 0}};
	struct raterq_rater out[3];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, 4, 3, raterq_rules, raterq_nrules, out, &all));
	double l;
	assert_int_equal(out[0].ratings, 2);
	assert_float_equal(raterq_mean(&out[0]), 3.0, 1e-12);
	assert_int_equal(out[0].shared, 1);
	assert_true(raterq_leniency(&out[0], &l));
	assert_float_equal(l, 3.0, 1e-12);
	assert_true(raterq_leniency(&out[1], &l));
	assert_float_equal(l, 0.0, 1e-12);
	assert_true(raterq_leniency(&out[2], &l));
	assert_float_equal(l, -3.0, 1e-12);
	assert_int_equal(all.pairs, 0); /* no supervisor or peer */
	/* Only 1 shared rating: below the 5 the flags need. */
	assert_false(has_flag(&out[0], "lenient"));
	assert_false(has_flag(&out[2], "severe"));
}

/* A rater alone on every cell has no leniency (undefined, not 0). */
static void test_leniency_undefined_alone(void **state)
{
	(void)state;
	struct raterq_rating in[] = {{0, 1, SUP, 5}, {0, 2, SUP, 5}};
	struct raterq_rater out[1];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, 2, 1, raterq_rules, raterq_nrules, out, &all));
	double l;
	assert_false(raterq_leniency(&out[0], &l));
	assert_int_equal(out[0].shared, 0);
}

/* Rater 0 gives 6 on five cells where raters 1..4 give 4: others' mean 4, so leniency +2 over 5
 * shared ratings: lenient. Raters 1..4: each 4 against the others' (4+4+4+6)/4 = 4.5: -0.5, no
 * flag. Rater 0 also gives one value only: 5 of 5 = share 1.0: single_value too. */
static void test_flags_lenient_and_single(void **state)
{
	(void)state;
	struct raterq_rating in[25];
	size_t n = 0;
	for (uint32_t c = 0; c < 5; c++) {
		in[n++] = (struct raterq_rating){0, c, CUST, 6};
		for (uint32_t r = 1; r <= 4; r++)
			in[n++] = (struct raterq_rating){r, c, CUST, 4};
	}
	struct raterq_rater out[5];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, n, 5, raterq_rules, raterq_nrules, out, &all));
	double l;
	assert_true(raterq_leniency(&out[0], &l));
	assert_float_equal(l, 2.0, 1e-12);
	assert_true(has_flag(&out[0], "lenient"));
	assert_true(has_flag(&out[0], "single_value"));
	assert_false(has_flag(&out[0], "severe"));
	assert_true(raterq_leniency(&out[1], &l));
	assert_float_equal(l, -0.5, 1e-12);
	assert_false(has_flag(&out[1], "severe"));
	/* Raters 1..4 also give one value only (4 five times). */
	assert_true(has_flag(&out[1], "single_value"));
}

/* The single-value share: 6,6,6,6,5 -> mode 6, share 4/5 = 0.8 (flagged: at least 0.8 of at least
 * 5); 6,6,6,5 -> share 0.75 and only 4 ratings: not flagged. Ties go to the higher value. */
static void test_mode_share(void **state)
{
	(void)state;
	struct raterq_rating a[] = {{0, 1, SUP, 6}, {0, 2, SUP, 6}, {0, 3, SUP, 6}, {0, 4, SUP, 6}, {0, 5, SUP, 5}};
	struct raterq_rater out[1];
	struct raterq_agreement all;
	int mode;
	double share;
	assert_true(raterq_compute(a, 5, 1, raterq_rules, raterq_nrules, out, &all));
	assert_true(raterq_mode(&out[0], &mode, &share));
	assert_int_equal(mode, 6);
	assert_float_equal(share, 0.8, 1e-12);
	assert_true(has_flag(&out[0], "single_value"));
	assert_true(raterq_compute(a + 1, 4, 1, raterq_rules, raterq_nrules, out, &all));
	assert_true(raterq_mode(&out[0], &mode, &share));
	assert_float_equal(share, 0.75, 1e-12);
	assert_false(has_flag(&out[0], "single_value"));
	struct raterq_rating tie[] = {{0, 1, SUP, 3}, {0, 2, SUP, 4}};
	assert_true(raterq_compute(tie, 2, 1, raterq_rules, raterq_nrules, out, &all));
	assert_true(raterq_mode(&out[0], &mode, &share));
	assert_int_equal(mode, 4);
	assert_float_equal(share, 0.5, 1e-12);
}

/* Pairs (supervisor, peer): (5,5) (5,4) (4,4) (3,4). Weights 1 - |i-j|/6.
 * po = (1 + 5/6 + 1 + 5/6) / 4 = 11/12. Marginals: supervisor 5: 1/2, 4: 1/4, 3: 1/4; peer 5: 1/4, 4: 3/4.
 * pe = 1/2 (1/4 + 3/4 * 5/6) + 1/4 (1/4 * 5/6 + 3/4) + 1/4 (1/4 * 4/6 + 3/4 * 5/6) = 7/16 + 23/96 + 19/96 = 7/8.
 * kappa = (11/12 - 7/8) / (1 - 7/8) = 1/3. Exact 2 of 4, within one 4 of 4. */
static void test_kappa_by_hand(void **state)
{
	(void)state;
	struct raterq_rating in[] = {{0, 1, SUP, 5}, {1, 1, PEER, 5}, {0, 2, SUP, 5}, {1, 2, PEER, 4},
				     {0, 3, SUP, 4}, {1, 3, PEER, 4}, {0, 4, SUP, 3}, {1, 4, PEER, 4}};
	struct raterq_rater out[2];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, 8, 2, raterq_rules, raterq_nrules, out, &all));
	assert_int_equal(all.pairs, 4);
	assert_int_equal(all.exact, 2);
	assert_int_equal(all.within_one, 4);
	double k;
	assert_true(raterq_kappa(&all, &k));
	assert_float_equal(k, 1.0 / 3.0, 1e-12);
	/* Each side's own pairs are the same four. */
	assert_int_equal(out[0].agreement.pairs, 4);
	assert_int_equal(out[1].agreement.pairs, 4);
	assert_true(raterq_kappa(&out[1].agreement, &k));
	assert_float_equal(k, 1.0 / 3.0, 1e-12);
}

/* Two supervisors and one peer on one cell make two pairs; the peer holds both, each supervisor one. */
static void test_pairs_per_cell(void **state)
{
	(void)state;
	struct raterq_rating in[] = {{0, 7, SUP, 5}, {1, 7, SUP, 3}, {2, 7, PEER, 4}, {3, 7, CUST, 0}};
	struct raterq_rater out[4];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, 4, 4, raterq_rules, raterq_nrules, out, &all));
	assert_int_equal(all.pairs, 2);
	assert_int_equal(all.exact, 0);
	assert_int_equal(all.within_one, 2);
	assert_int_equal(all.m[5][4], 1);
	assert_int_equal(all.m[3][4], 1);
	assert_int_equal(out[0].agreement.pairs, 1);
	assert_int_equal(out[1].agreement.pairs, 1);
	assert_int_equal(out[2].agreement.pairs, 2);
	assert_int_equal(out[3].agreement.pairs, 0);
}

/* Degenerate kappas: no pairs; one and the same value on both sides (pe = 1): undefined. One value
 * on one side only (supervisor always 5, peers 4, 5, 6): po = (5/6 + 1 + 5/6) / 3 = 8/9 and
 * pe = 1/3 (5/6 + 1 + 5/6) = 8/9, so kappa = 0, defined. Perfect agreement over several values: 1.
 * Complete disagreement at the ends (0 vs 6, 6 vs 0): po = 0, pe = 1/2 * 1/2 * (1 + 1) = 1/2 ... with
 * weights w(0,0) = w(6,6) = 1, w(0,6) = 0: pe = 1/4 + 1/4 = 1/2, kappa = (0 - 1/2) / (1/2) = -1. */
static void test_kappa_degenerate(void **state)
{
	(void)state;
	struct raterq_agreement a;
	double k;
	memset(&a, 0, sizeof a);
	assert_false(raterq_kappa(&a, &k));
	a.m[5][5] = 3;
	a.pairs = 3;
	assert_false(raterq_kappa(&a, &k));

	memset(&a, 0, sizeof a);
	a.m[5][4] = a.m[5][5] = a.m[5][6] = 1;
	a.pairs = 3;
	assert_true(raterq_kappa(&a, &k));
	assert_float_equal(k, 0.0, 1e-12);

	memset(&a, 0, sizeof a);
	a.m[2][2] = a.m[4][4] = a.m[6][6] = 2;
	a.pairs = 6;
	assert_true(raterq_kappa(&a, &k));
	assert_float_equal(k, 1.0, 1e-12);

	memset(&a, 0, sizeof a);
	a.m[0][6] = a.m[6][0] = 1;
	a.pairs = 2;
	assert_true(raterq_kappa(&a, &k));
	assert_float_equal(k, -1.0, 1e-12);
}

/* Ten pairs of complete disagreement give kappa -1 with 10 pairs: low_agreement for both sides;
 * with 9 pairs it is not raised (min 10). */
static void test_low_agreement_flag(void **state)
{
	(void)state;
	struct raterq_rating in[20];
	for (uint32_t c = 0; c < 10; c++) {
		in[2 * c] = (struct raterq_rating){0, c, SUP, (uint8_t)(c % 2 ? 6 : 0)};
		in[2 * c + 1] = (struct raterq_rating){1, c, PEER, (uint8_t)(c % 2 ? 0 : 6)};
	}
	struct raterq_rater out[2];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, 20, 2, raterq_rules, raterq_nrules, out, &all));
	assert_true(has_flag(&out[0], "low_agreement"));
	assert_true(has_flag(&out[1], "low_agreement"));
	assert_true(raterq_compute(in, 18, 2, raterq_rules, raterq_nrules, out, &all));
	assert_false(has_flag(&out[0], "low_agreement"));
}

/* Exactly at the thresholds: leniency -1.0 over 5 shared ratings is severe; out-of-range input fails. */
static void test_threshold_edges_and_bad_input(void **state)
{
	(void)state;
	/* Rater 0 gives 3 where rater 1 gives 4 on five cells: leniency -1 (severe), rater 1 +1 (lenient). */
	struct raterq_rating in[10];
	for (uint32_t c = 0; c < 5; c++) {
		in[2 * c] = (struct raterq_rating){0, c, CUST, 3};
		in[2 * c + 1] = (struct raterq_rating){1, c, CUST, 4};
	}
	struct raterq_rater out[2];
	struct raterq_agreement all;
	assert_true(raterq_compute(in, 10, 2, raterq_rules, raterq_nrules, out, &all));
	assert_true(has_flag(&out[0], "severe"));
	assert_true(has_flag(&out[1], "lenient"));
	struct raterq_rating bad[] = {{0, 1, SUP, 7}};
	assert_false(raterq_compute(bad, 1, 1, raterq_rules, raterq_nrules, out, &all));
	struct raterq_rating bad_rater[] = {{3, 1, SUP, 2}};
	assert_false(raterq_compute(bad_rater, 1, 1, raterq_rules, raterq_nrules, out, &all));
	assert_int_equal(raterq_relation_of("peer"), RATERQ_PEER);
	assert_int_equal(raterq_relation_of("boss"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leniency_by_hand),
		cmocka_unit_test(test_leniency_undefined_alone),
		cmocka_unit_test(test_flags_lenient_and_single),
		cmocka_unit_test(test_mode_share),
		cmocka_unit_test(test_kappa_by_hand),
		cmocka_unit_test(test_pairs_per_cell),
		cmocka_unit_test(test_kappa_degenerate),
		cmocka_unit_test(test_low_agreement_flag),
		cmocka_unit_test(test_threshold_edges_and_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
