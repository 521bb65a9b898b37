/* Item statistics (domain/itemstats.c) pinned on small response matrices worked
 * out by hand (exact fractions; see the comments), plus the degenerate cases
 * and band certainty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "domain/itemstats.h"

#define EPS 1e-9
#define A (1u << 0)
#define B (1u << 1)
#define C (1u << 2)

/* A complete matrix of 0/1 scores; totals are 100 x the mean score (one
 * subtopic, equal points). chosen[a][q] are the options picked (0 for
 * true/false). */
struct fixture {
	struct itemstats_question q[8];
	struct itemstats_attempt at[16];
	struct itemstats_cell cells[128];
	struct itemstats_matrix m;
	struct itemstats_qresult qr[8];
	struct itemstats_bresult br;
};

static void build(struct fixture *f, size_t na, size_t nq, const int scores[][8], const unsigned chosen[][8])
{
	size_t nc = 0;
	for (size_t a = 0; a < na; a++) {
		double sum = 0;
		f->at[a].first_cell = nc;
		f->at[a].ncells = nq;
		for (size_t q = 0; q < nq; q++) {
			f->cells[nc++] = (struct itemstats_cell){q, scores[a][q], chosen ? chosen[a][q] : 0};
			sum += scores[a][q];
		}
		f->at[a].total = 100.0 * sum / (double)nq;
	}
	f->m = (struct itemstats_matrix){f->q, nq, f->at, na, f->cells, nc};
}

static struct itemstats_thresholds every_response(void)
{
	struct itemstats_thresholds t = itemstats_default_thresholds;
	t.min_responses = 1;
	return t;
}

/* 8 attempts x 4 questions:
 *   1111 1111 1110 1101 1010 1100 1000 0000  -> totals 100 100 75 75 50 50 25
 * 0. Mean 475/8 = 59.375; sample variance 69375/56 (SD 35.1971...). Facilities
 * 7/8, 5/8, 1/2, 3/8; item sample variances 1/8, 15/56, 2/7, 15/56 (sum 53/56);
 * raw total variance 111/56; KR-20 = 4/3 (1 - 53/111) = 232/333; SEM = SD
 * sqrt(101/333). Groups (27 % of 8 = 2): upper attempts 1, 2; lower 7, 8. */
static const int complete[8][8] = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 0}, {1, 1, 0, 1},
				   {1, 0, 1, 0}, {1, 1, 0, 0}, {1, 0, 0, 0}, {0, 0, 0, 0}};

static void test_complete_matrix_is_kr20(void **state)
{
	struct fixture f = {0};
	for (int q = 0; q < 4; q++)
		f.q[q] = (struct itemstats_question){100 + q, 0, 0};
	build(&f, 8, 4, complete, NULL);
	struct itemstats_thresholds t = every_response();
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_int_equal(f.br.attempts, 8);
	assert_true(f.br.mean.has && fabs(f.br.mean.v - 59.375) < EPS);
	assert_true(f.br.sd.has && fabs(f.br.sd.v - sqrt(69375.0 / 56)) < EPS);
	assert_true(fabs(f.br.form_length - 4) < EPS);
	assert_true(f.br.alpha.has && fabs(f.br.alpha.v - 232.0 / 333) < EPS);
	assert_true(f.br.sem.has && fabs(f.br.sem.v - sqrt(69375.0 / 56) * sqrt(101.0 / 333)) < EPS);
	const double fac[4] = {7.0 / 8, 5.0 / 8, 1.0 / 2, 3.0 / 8};
	const double var[4] = {1.0 / 8, 15.0 / 56, 2.0 / 7, 15.0 / 56};
	const double disc[4] = {0.5, 1, 1, 1};
	/* item-rest correlations: r(x_j, mean of the other three), worked out from
   * the table. */
	const double pbis[4] = {0.50709255283711, 0.6, 0.35603449745815596, 0.5163977794943222};
	for (int q = 0; q < 4; q++) {
		assert_int_equal(f.qr[q].responses, 8);
		assert_true(fabs(f.qr[q].facility.v - fac[q]) < EPS);
		assert_true(fabs(f.qr[q].sd.v - sqrt(var[q])) < EPS);
		assert_true(f.qr[q].discrimination.has && fabs(f.qr[q].discrimination.v - disc[q]) < EPS);
		assert_true(f.qr[q].point_biserial.has && fabs(f.qr[q].point_biserial.v - pbis[q]) < 1e-12);
		assert_int_equal(f.qr[q].flags, 0);
	}
}

/* The same attempts with a fifth, miskeyed question (only the weaker attempts
 * 5, 7, 8 "get it right") and options: question 2 is single choice A-D keyed B,
 * question 5 single choice A-C keyed C. Totals 80 80 60 60 60 40 40 20; the
 * upper group (attempts 1, 2) picks A on question 5. Question 5: facility 3/8,
 * D = 0 - 1 = -1, item-rest r = -0.80873608430318...; question 2: option D
 * chosen by nobody. KR-20 here is -1/6 (a miskeyed question drags it below
 * zero). */
static const int miskeyed[8][8] = {{1, 1, 1, 1, 0}, {1, 1, 1, 1, 0}, {1, 1, 1, 0, 0}, {1, 1, 0, 1, 0},
				   {1, 0, 1, 0, 1}, {1, 1, 0, 0, 0}, {1, 0, 0, 0, 1}, {0, 0, 0, 0, 1}};
static const unsigned miskeyed_chosen[8][8] = {{0, B, 0, 0, A}, {0, B, 0, 0, A}, {0, B, 0, 0, A}, {0, B, 0, 0, B},
					       {0, A, 0, 0, C}, {0, B, 0, 0, B}, {0, C, 0, 0, C}, {0, A, 0, 0, C}};

static void test_flags_on_a_miskeyed_question(void **state)
{
	struct fixture f = {0};
	for (int q = 0; q < 5; q++)
		f.q[q] = (struct itemstats_question){200 + q, 0, 0};
	f.q[1] = (struct itemstats_question){201, 4, B};
	f.q[4] = (struct itemstats_question){204, 3, C};
	build(&f, 8, 5, miskeyed, miskeyed_chosen);
	struct itemstats_thresholds t = every_response();
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_true(fabs(f.br.mean.v - 55) < EPS);
	assert_true(fabs(f.br.sd.v - sqrt(3000.0 / 7)) < EPS);
	assert_true(f.br.alpha.has && fabs(f.br.alpha.v + 1.0 / 6) < EPS);
	assert_true(f.br.sem.has && fabs(f.br.sem.v - sqrt(3000.0 / 7) * sqrt(7.0 / 6)) < EPS);

	assert_true(fabs(f.qr[4].facility.v - 3.0 / 8) < EPS);
	assert_true(fabs(f.qr[4].discrimination.v + 1) < EPS);
	assert_true(fabs(f.qr[4].point_biserial.v + 0.8087360843031886) < 1e-12);
	assert_true(fabs(f.qr[4].share[0] - 3.0 / 8) < EPS);
	assert_true(fabs(f.qr[4].share[1] - 2.0 / 8) < EPS);
	assert_true(fabs(f.qr[4].share[2] - 3.0 / 8) < EPS);
	assert_int_equal(f.qr[4].flags, ITEMSTATS_LOW_DISCRIMINATION | ITEMSTATS_NEGATIVE_DISCRIMINATION |
						ITEMSTATS_DISTRACTOR_BEATS_KEY);

	const double shares[4] = {2.0 / 8, 5.0 / 8, 1.0 / 8, 0};
	for (int o = 0; o < 4; o++)
		assert_true(fabs(f.qr[1].share[o] - shares[o]) < EPS);
	assert_int_equal(f.qr[1].flags, ITEMSTATS_UNUSED_DISTRACTOR);
	assert_int_equal(f.qr[0].flags, 0);
	assert_int_equal(f.qr[2].flags, 0);
	assert_int_equal(f.qr[3].flags, 0);

	/* With the default minimum of 10 responses, 8 responses raise no flag. */
	assert_true(itemstats_compute(&f.m, &itemstats_default_thresholds, f.qr, &f.br));
	for (int q = 0; q < 5; q++)
		assert_int_equal(f.qr[q].flags, 0);
	assert_string_equal(itemstats_flag_code(0), "too_hard");
	assert_string_equal(itemstats_flag_code(5), "distractor_beats_key");
	assert_null(itemstats_flag_code(6));
}

/* Randomly drawn forms of 2 of 3 questions (7 attempts). Item variances 3/10
 * (q1: 1,1,0,1,0), 3/10 (q2: 1,0,1,1,0) and 1/4 (q3: 0,1,1,1) -> mean 17/60.
 * Pairs: q1q2 over attempts 1, 4, 7 (1,1),(0,1),(0,0) -> cov 1/6; q1q3 over
 * attempts 2, 6 (1,0),(1,1) -> 0; q2q3 over 3, 5 (0,1),(1,1) -> 0; mean
 * covariance 1/18. k = 2: alpha = 2(1/18) / (17/60 + 1/18) = 20/61. */
static void test_random_forms(void **state)
{
	struct fixture f = {0};
	for (int q = 0; q < 3; q++)
		f.q[q] = (struct itemstats_question){300 + q, 0, 0};
	const size_t qs[7][2] = {{0, 1}, {0, 2}, {1, 2}, {0, 1}, {1, 2}, {0, 2}, {0, 1}};
	const int sc[7][2] = {{1, 1}, {1, 0}, {0, 1}, {0, 1}, {1, 1}, {1, 1}, {0, 0}};
	size_t nc = 0;
	for (size_t a = 0; a < 7; a++) {
		f.at[a] = (struct itemstats_attempt){50.0 * (sc[a][0] + sc[a][1]), nc, 2};
		for (int x = 0; x < 2; x++)
			f.cells[nc++] = (struct itemstats_cell){qs[a][x], sc[a][x], 0};
	}
	f.m = (struct itemstats_matrix){f.q, 3, f.at, 7, f.cells, nc};
	struct itemstats_thresholds t = every_response();
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_true(f.br.alpha.has && fabs(f.br.alpha.v - 20.0 / 61) < EPS);
	assert_int_equal(f.qr[0].responses, 5);
	assert_int_equal(f.qr[2].responses, 4);
	assert_true(fabs(f.qr[2].facility.v - 0.75) < EPS);
	/* totals 100 50 50 50 100 100 0: mean 450/7, SEM = SD sqrt(41/61) */
	double mean = 450.0 / 7, ss = 0;
	const double tot[7] = {100, 50, 50, 50, 100, 100, 0};
	for (int a = 0; a < 7; a++)
		ss += (tot[a] - mean) * (tot[a] - mean);
	assert_true(fabs(f.br.sem.v - sqrt(ss / 6) * sqrt(41.0 / 61)) < EPS);
}

static void test_everyone_right(void **state)
{
	struct fixture f = {0};
	static const int all[5][8] = {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
	static const unsigned ch[5][8] = {{A, 0, 0}, {A, 0, 0}, {A, 0, 0}, {A, 0, 0}, {A, 0, 0}};
	f.q[0] = (struct itemstats_question){1, 2, A};
	f.q[1] = (struct itemstats_question){2, 0, 0};
	f.q[2] = (struct itemstats_question){3, 0, 0};
	build(&f, 5, 3, all, ch);
	struct itemstats_thresholds t = every_response();
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_true(f.br.mean.has && fabs(f.br.mean.v - 100) < EPS);
	assert_true(f.br.sd.has && f.br.sd.v == 0);
	assert_false(f.br.alpha.has);
	assert_false(f.br.sem.has);
	for (int q = 0; q < 3; q++) {
		assert_true(f.qr[q].facility.v == 1);
		assert_true(f.qr[q].sd.has && f.qr[q].sd.v == 0);
		assert_false(f.qr[q].discrimination.has);
		assert_false(f.qr[q].point_biserial.has);
	}
	assert_int_equal(f.qr[0].flags, ITEMSTATS_TOO_EASY | ITEMSTATS_UNUSED_DISTRACTOR);
	assert_int_equal(f.qr[1].flags, ITEMSTATS_TOO_EASY);
}

static void test_one_respondent(void **state)
{
	struct fixture f = {0};
	static const int one[1][8] = {{1, 0}};
	f.q[0] = (struct itemstats_question){1, 0, 0};
	f.q[1] = (struct itemstats_question){2, 0, 0};
	build(&f, 1, 2, one, NULL);
	struct itemstats_thresholds t = every_response();
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_int_equal(f.br.attempts, 1);
	assert_true(f.br.mean.has && fabs(f.br.mean.v - 50) < EPS);
	assert_false(f.br.sd.has);
	assert_false(f.br.alpha.has);
	assert_false(f.br.sem.has);
	assert_true(f.qr[0].facility.has && f.qr[0].facility.v == 1);
	assert_false(f.qr[0].sd.has);
	assert_false(f.qr[0].discrimination.has);
	assert_false(f.qr[0].point_biserial.has);
}

/* Two attempts with the same total (10, 01): zero variance of the totals; item
 * variances 1/2, covariance -1/2, so alpha's denominator 1/2 + (2-1)(-1/2) is
 * zero. */
static void test_zero_variance(void **state)
{
	struct fixture f = {0};
	static const int same[2][8] = {{1, 0}, {0, 1}};
	f.q[0] = (struct itemstats_question){1, 0, 0};
	f.q[1] = (struct itemstats_question){2, 0, 0};
	build(&f, 2, 2, same, NULL);
	struct itemstats_thresholds t = every_response();
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_true(f.br.sd.has && f.br.sd.v == 0);
	assert_false(f.br.alpha.has);
	assert_false(f.br.sem.has);
	assert_false(f.qr[0].discrimination.has);
	assert_true(f.qr[0].point_biserial.has && fabs(f.qr[0].point_biserial.v + 1) < EPS);
	/* No attempts at all: nothing is computable, nothing fails. */
	f.m.nattempts = 0;
	assert_true(itemstats_compute(&f.m, &t, f.qr, &f.br));
	assert_false(f.br.mean.has);
	assert_int_equal(f.qr[0].responses, 0);
	assert_false(f.qr[0].facility.has);
}

static void test_malformed(void **state)
{
	struct fixture f = {0};
	static const int one[1][8] = {{1}};
	f.q[0] = (struct itemstats_question){1, 0, 0};
	build(&f, 1, 1, one, NULL);
	f.cells[0].question = 7;
	struct itemstats_thresholds t = every_response();
	assert_false(itemstats_compute(&f.m, &t, f.qr, &f.br));
	f.cells[0].question = 0;
	f.q[0].noptions = ITEMSTATS_MAX_OPTIONS + 1;
	assert_false(itemstats_compute(&f.m, &t, f.qr, &f.br));
}

static const struct itemstats_band bands[] = {{6, 91}, {5, 81}, {4, 71}, {3, 61}, {2, 41}, {1, 0}};

static void test_band_certain(void **state)
{
	struct itemstats_num sem3 = {true, 3}, sem5 = {true, 5}, unknown = {false, 0};
	assert_int_equal(itemstats_band_of(90.495, bands, 6), 6); /* 90.50 -> R 91 */
	assert_int_equal(itemstats_band_of(90.494, bands, 6), 5);
	assert_int_equal(itemstats_band_of(40.4, bands, 6), 1);
	assert_int_equal(itemstats_band_certain(85, sem3, bands, 6), 1); /* 82..88: band 5 */
	assert_int_equal(itemstats_band_certain(85, sem5, bands, 6), 0); /* 80..90: bands 4 and 5 */
	assert_int_equal(itemstats_band_certain(85, unknown, bands, 6), -1);
	assert_int_equal(itemstats_band_certain(98, sem5, bands, 6), 1); /* 93..100 (clamped) */
	assert_int_equal(itemstats_band_certain(2, sem5, bands, 6), 1);  /* 0..7 */
	assert_int_equal(itemstats_band_certain(75.5, (struct itemstats_num){true, 5}, bands, 6),
			 0); /* 70.5 -> R 71 vs 80.5 -> R 81 */
	assert_int_equal(itemstats_band_certain(75.4, (struct itemstats_num){true, 4.9}, bands, 6), 1); /* 70.5..80.3 */
	assert_true(itemstats_round4(0.123456) == 0.1235);
	struct itemstats_band parsed[8];
	assert_int_equal(itemstats_bands_parse("6:91,5:81,4:71,3:61,2:41,1:0", parsed, 8), 6);
	assert_int_equal(parsed[1].score, 5);
	assert_true(parsed[1].min == 81);
	assert_int_equal(itemstats_bands_parse("6:90.5", parsed, 8), 1);
	assert_true(parsed[0].min == 90.5);
	assert_int_equal(itemstats_bands_parse("", parsed, 8), 0);
	assert_int_equal(itemstats_bands_parse("x", parsed, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_matrix_is_kr20),
		cmocka_unit_test(test_flags_on_a_miskeyed_question),
		cmocka_unit_test(test_random_forms),
		cmocka_unit_test(test_everyone_right),
		cmocka_unit_test(test_one_respondent),
		cmocka_unit_test(test_zero_variance),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_band_certain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
