/* The scoring rules of SPEC §3.2-§3.4 (domain/rules.c) on raw evidence. Every expectation is worked
 * out by hand from the SPEC. Times are small numbers of microseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "domain/catalog.h"
#include "domain/profile.h"
#include "domain/rules.h"

/* The level each grade requires by default (SPEC §2): 4 junior .. 1 expert. */
static const char *const grade_level[5] = {"", "expert", "senior", "intermediate", "junior"};

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

static int nth_pos(enum catalog_assessment a, int k)
{
	for (size_t i = 0; i < catalog_item_count(cat()); i++)
		if (catalog_item_at(cat(), i)->assessment == a && k-- == 0)
			return (int)i + 1;
	fail_msg("no such item");
	return 0;
}
static int epos(int k)
{
	return nth_pos(CATALOG_ASSESS_EXAM, k);
}
static int bpos(int k)
{
	return nth_pos(CATALOG_ASSESS_BEHAVIOUR, k);
}

/* One version's JSON: every (grade, item) at the default level shifted by `shift` grades (a shift
 * of 1 makes grade 4 require intermediate, ...; grade 1 stays expert), with bands and weights. */
static size_t version_json(char *out, size_t cap, int version, long from, int shift, const char *bands,
			   const char *weights)
{
	size_t n = (size_t)snprintf(out, cap, "{\"version\":%d,\"from\":%ld,\"levels\":[", version, from);
	for (int g = 1; g <= 4; g++)
		for (int p = 1; p <= RULES_ITEMS; p++) {
			int lg = g - shift < 1 ? 1 : g - shift;
			n += (size_t)snprintf(out + n, cap - n, "%s[%d,%d,\"%s\"]", g == 1 && p == 1 ? "" : ",", g, p,
					      grade_level[lg]);
		}
	n += (size_t)snprintf(out + n, cap - n, "],\"bands\":%s,\"weights\":%s}",
			      bands ? bands : "[[6,\"91\"],[5,\"81\"],[4,\"71\"],[3,\"61\"],[2,\"41\"],[1,\"0\"]]",
			      weights ? weights : "{}");
	return n;
}

/* A model: version 1 from time 0; when v2_from > 0 a version 2 from then with levels shifted by one
 * grade and bands2 / weights2. */
static void model(struct rules_model *m, const char *grading, const char *weights, long v2_from, const char *bands2,
		  const char *weights2)
{
	static char json[32768];
	size_t n = (size_t)snprintf(json, sizeof json, "{\"versions\":[");
	n += version_json(json + n, sizeof json - n, 1, 0, 0, NULL, weights);
	if (v2_from > 0) {
		n += (size_t)snprintf(json + n, sizeof json - n, ",");
		n += version_json(json + n, sizeof json - n, 2, v2_from, 1, bands2, weights2);
	}
	snprintf(json + n, sizeof json - n, "],\"grading\":%s}", grading ? grading : "[]");
	char err[128] = "";
	if (!rules_model_parse(json, m, err, sizeof err))
		fail_msg("model rejected: %s", err);
}

static struct rules_result result(const struct rules_model *m, const char *grades, const char *exam,
				  const char *ratings, long t)
{
	struct rules_evidence ev = {0};
	struct rules_result res;
	assert_true(rules_evidence_parse(&ev, grades, exam, ratings));
	assert_true(rules_evaluate(m, cat(), &ev, t, RULES_HELD, &res, NULL, NULL, NULL));
	rules_evidence_free(&ev);
	return res;
}

/* The value of item pos in tenths, -1 when missing. */
static int tenths(const struct rules_result *r, int pos)
{
	const struct profile_value v = r->item[pos - 1].value;
	return v.has ? v.tenths : -1;
}

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	static char bufs[16][4096];
	static int next;
	char *b = bufs[next++ % 16];
	va_list ap;
	va_start(ap, f);
	vsnprintf(b, sizeof bufs[0], f, ap);
	va_end(ap);
	return b;
}

/* ------------------------------------------------------------------ exams (§3.2) */

static const char *grading_of(int pos, const char *level, const char *g)
{
	return fmt("[[%d,\"%s\",\"%s\"]]", pos, level, g);
}

static void highest_with_ties_and_null(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(0);
	model(&m, NULL, NULL, 0, NULL, NULL); /* no blueprint: highest */
	/* Scores 70 (band 3), 85 (band 5, started 30), 85 (band 4 written, started 20, id 9), NULL score with
	 * band 6: the tie goes to the earlier start; a NULL score sorts last. */
	const char *exam = fmt("%d:junior:10:1:70.00:3,%d:junior:30:2:85.00:5,%d:junior:20:9:85.00:4,%d:junior:5:3::6",
			       p, p, p, p);
	struct rules_result r = result(&m, "0:4", exam, NULL, 100);
	assert_int_equal(tenths(&r, p), 40);
	assert_true(r.item[p - 1].has_score);
	assert_int_equal(r.item[p - 1].score, 8500);
	/* Same start: the lower id. */
	exam = fmt("%d:junior:20:7:85.00:5,%d:junior:20:6:85.00:2", p, p);
	r = result(&m, "0:4", exam, NULL, 100);
	assert_int_equal(tenths(&r, p), 20);
	/* Only NULL scores: the earliest of them. */
	exam = fmt("%d:junior:20:7::5,%d:junior:10:8::1", p, p);
	r = result(&m, "0:4", exam, NULL, 100);
	assert_int_equal(tenths(&r, p), 10);
	assert_false(r.item[p - 1].has_score);
	rules_model_free(&m);
}

static void latest_and_first(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(1);
	const char *exam =
		fmt("%d:junior:10:5:90.00:5,%d:junior:30:4:50.00:2,%d:junior:30:3:60.00:3,%d:junior:20:1:99.00:6", p, p,
		    p, p);
	model(&m, grading_of(p, "junior", "latest"), NULL, 0, NULL, NULL);
	struct rules_result r = result(&m, "0:4", exam, NULL, 100);
	assert_int_equal(tenths(&r, p), 30); /* started 30 twice: the lower id (3) */
	rules_model_free(&m);
	model(&m, grading_of(p, "junior", "first"), NULL, 0, NULL, NULL);
	r = result(&m, "0:4", exam, NULL, 100);
	assert_int_equal(tenths(&r, p), 50);
	rules_model_free(&m);
	/* An unknown grading name counts as first. */
	assert_int_equal(rules_grading_of("whatever"), RULES_FIRST);
}

static void average_rounds_then_bands_at_t(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(2);
	/* (80.00 + 81.00 + 80.99) / 3 = 80.663.. -> 80.66 -> whole 81 -> band 5 (>= 81). A NULL score is
	 * left out of the mean but its attempt is evidence. */
	const char *exam =
		fmt("%d:junior:1:1:80.00:4,%d:junior:2:2:81.00:5,%d:junior:3:3:80.99:4,%d:junior:4:4::", p, p, p, p);
	model(&m, grading_of(p, "junior", "average"), NULL, 0, NULL, NULL);
	struct rules_evidence ev = {0};
	struct rules_result r;
	bool used[4];
	assert_true(rules_evidence_parse(&ev, "0:4", exam, NULL));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, RULES_HELD, &r, used, NULL, NULL));
	assert_int_equal(tenths(&r, p), 50);
	assert_int_equal(r.item[p - 1].score, 8066);
	assert_true(used[0] && used[1] && used[2] && used[3]);
	/* 80.49 -> whole 80: band 4; 80.50 -> 81: band 5 (half-up). */
	assert_true(rules_evidence_parse(&ev, "0:4", fmt("%d:junior:1:1:80.49:4", p), NULL));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, RULES_HELD, &r, NULL, NULL, NULL));
	assert_int_equal(tenths(&r, p), 40);
	assert_true(rules_evidence_parse(&ev, "0:4", fmt("%d:junior:1:1:80.00:4,%d:junior:2:2:81.00:5", p, p), NULL));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, RULES_HELD, &r, NULL, NULL, NULL));
	assert_int_equal(r.item[p - 1].score, 8050);
	assert_int_equal(tenths(&r, p), 50);
	/* Only NULL scores: band 0, no score. */
	assert_true(rules_evidence_parse(&ev, "0:4", fmt("%d:junior:1:1::", p), NULL));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, RULES_HELD, &r, NULL, NULL, NULL));
	assert_int_equal(tenths(&r, p), 0);
	assert_false(r.item[p - 1].has_score);
	rules_model_free(&m);
	/* Banded with the version in force at T: version 2 (from 50) raises band 5 to 85 and requires
	 * intermediate of grade 4. */
	model(&m, fmt("[[%d,\"intermediate\",\"average\"]]", p), NULL, 50,
	      "[[6,\"95\"],[5,\"85\"],[4,\"71\"],[3,\"61\"],[2,\"41\"],[1,\"0\"]]", NULL);
	assert_true(rules_evidence_parse(&ev, "0:4", fmt("%d:intermediate:1:1:82.00:5", p), NULL));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, RULES_HELD, &r, NULL, NULL, NULL));
	assert_int_equal(r.version->version, 2);
	assert_int_equal(tenths(&r, p), 40);
	rules_evidence_free(&ev);
	rules_model_free(&m);
}

static void no_attempt_and_other_levels(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(0);
	model(&m, NULL, NULL, 0, NULL, NULL);
	struct rules_result r = result(&m, "0:4", NULL, NULL, 100);
	assert_int_equal(tenths(&r, p), -1);
	assert_int_equal(profile_status_of(r.item[p - 1].value), PROFILE_MISSING);
	/* A grade-4 employee (junior) with a senior attempt: it does not count. */
	r = result(&m, "0:4", fmt("%d:senior:1:1:99.00:6", p), NULL, 100);
	assert_int_equal(tenths(&r, p), -1);
	/* Without a grade nothing counts. */
	r = result(&m, NULL, fmt("%d:junior:1:1:99.00:6", p), NULL, 100);
	assert_int_equal(r.grade, 0);
	assert_null(r.item[p - 1].level);
	assert_int_equal(tenths(&r, p), -1);
	rules_model_free(&m);
}

static void grade_changes_around_t(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(0);
	model(&m, NULL, NULL, 0, NULL, NULL);
	const char *exam = fmt("%d:junior:1:1:99.00:6,%d:intermediate:2:2:75.00:4", p, p);
	/* Grade 4 from 10, grade 3 from 50 (two entries at 50: the later one, grade 3, holds). */
	const char *grades = "10:4,50:2,50:3";
	struct rules_result r = result(&m, grades, exam, NULL, 49);
	assert_int_equal(r.grade, 4);
	assert_int_equal(tenths(&r, p), 60);
	r = result(&m, grades, exam, NULL, 50);
	assert_int_equal(r.grade, 3);
	assert_string_equal(r.item[p - 1].level, "intermediate");
	assert_int_equal(tenths(&r, p), 40);
	/* Before the first recorded grade, the first applies. */
	r = result(&m, grades, exam, NULL, 5);
	assert_int_equal(r.grade, 4);
	rules_model_free(&m);
}

static void version_changes_around_t(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(0);
	model(&m, NULL, NULL, 50, NULL, NULL); /* version 2 from 50: grade 4 requires intermediate */
	const char *exam = fmt("%d:junior:1:1:99.00:6,%d:intermediate:2:2:75.00:4", p, p);
	struct rules_result r = result(&m, "0:4", exam, NULL, 49);
	assert_int_equal(r.version->version, 1);
	assert_int_equal(tenths(&r, p), 60);
	r = result(&m, "0:4", exam, NULL, 50);
	assert_int_equal(r.version->version, 2);
	assert_int_equal(tenths(&r, p), 40);
	assert_null(rules_version_at(&m, -1)); /* before the first version: none, every item missing */
	r = result(&m, "0:4", exam, NULL, -1);
	assert_int_equal(tenths(&r, p), -1);
	rules_model_free(&m);
}

/* ------------------------------------------------------------------ behaviour (§3.3) */

static void latest_per_rater(void **state)
{
	(void)state;
	struct rules_model m;
	int p = bpos(0);
	model(&m, NULL, NULL, 0, NULL, NULL);
	/* Rater 1: 2 at 10, 6 at 20 (latest), 0 at 200 (after T). Rater 2: 4 and 3 both at 15, ids 8 and 9:
	 * the higher id (3). Mean (6 + 3) / 2 = 4.5. */
	const char *rt =
		fmt("%d:1:1::10:1:2,%d:1:1::20:2:6,%d:1:1::200:3:0,%d:2:2::15:8:4,%d:2:2::15:9:3", p, p, p, p, p);
	struct rules_evidence ev = {0};
	struct rules_result r;
	int64_t w[5];
	assert_true(rules_evidence_parse(&ev, "0:4", NULL, rt));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, RULES_HELD, &r, NULL, w, NULL));
	assert_int_equal(tenths(&r, p), 45);
	assert_int_equal(r.item[p - 1].used, 2);
	assert_true(w[0] < 0 && w[1] == 1000000 && w[2] < 0 && w[3] < 0 && w[4] == 1000000);
	/* At T = 250 the rating at 200 is rater 1's latest: (0 + 3) / 2 = 1.5. */
	assert_true(rules_evaluate(&m, cat(), &ev, 250, RULES_HELD, &r, NULL, NULL, NULL));
	assert_int_equal(tenths(&r, p), 15);
	rules_evidence_free(&ev);
	rules_model_free(&m);
}

/* The selection on its own (rater quality uses it on every rating of a period, no T): per group and
 * rater the latest by rated_at, then the higher id; ratings after T never. Over 128 entries too. */
static void latest_per_rater_selection(void **state)
{
	(void)state;
	struct rules_rated r[] = {
		{1, 1, 10, 1},  {1, 1, 20, 2}, {1, 1, 200, 3}, /* group 1, rater 1: 20 at T = 100, 200 without T */
		{1, 2, 15, 9},  {1, 2, 15, 8},                 /* the tie on rated_at: the higher id */
		{2, 1, 5, 4},                                  /* the same rater in another group */
		{3, 7, 300, 5},                                /* only after T: nothing at T = 100 */
	};
	bool keep[7];
	assert_true(rules_latest_per_rater(r, 7, 100, keep));
	bool at100[7] = {false, true, false, true, false, true, false};
	assert_memory_equal(keep, at100, sizeof keep);
	assert_true(rules_latest_per_rater(r, 7, INT64_MAX, keep));
	bool all[7] = {false, false, true, true, false, true, true};
	assert_memory_equal(keep, all, sizeof keep);
	assert_true(rules_latest_per_rater(r, 0, 100, keep));
	/* 300 ratings: 3 raters x 100 groups, each rater's last one (the highest rated_at) kept. */
	static struct rules_rated many[300];
	static bool kept[300];
	for (int k = 0; k < 300; k++)
		many[k] = (struct rules_rated){k % 100, k / 100 % 3, k, k};
	/* Rater k/100 rates group k%100 once each; add a later re-rating of group 0 by rater 0 at the end. */
	many[299] = (struct rules_rated){0, 0, 1000, 1000};
	assert_true(rules_latest_per_rater(many, 300, INT64_MAX, kept));
	size_t n = 0;
	for (int k = 0; k < 300; k++)
		n += kept[k];
	assert_int_equal(n, 299); /* rater 2 lost group 99 (entry 299 re-used), rater 0's group 0 twice: one kept */
	assert_false(kept[0]);
	assert_true(kept[299]);
	/* Already in the order the selection sorts into (group, rater, rated_at and id descending), as the
	 * cache packs them: the same choice without a sort, and T still applies. */
	struct rules_rated in_order[] = {
		{1, 1, 200, 3}, {1, 1, 20, 2}, {1, 1, 10, 1},  {1, 2, 15, 9},
		{1, 2, 15, 8},  {2, 1, 5, 4},  {3, 7, 300, 5},
	};
	assert_true(rules_latest_per_rater(in_order, 7, 100, keep));
	bool sorted_at100[7] = {false, true, false, true, false, true, false};
	assert_memory_equal(keep, sorted_at100, sizeof keep);
	assert_true(rules_latest_per_rater(in_order, 7, INT64_MAX, keep));
	bool sorted_all[7] = {true, false, false, true, false, true, true};
	assert_memory_equal(keep, sorted_all, sizeof keep);
}

static void null_rated_level_resolved_at_rated_at(void **state)
{
	(void)state;
	struct rules_model m;
	int p = bpos(1);
	/* Version 2 from 50 shifts levels by one grade (grade 4 -> intermediate). Grade 4 from 0, grade 3
	 * from 30. At T = 100 (version 2, grade 3 -> senior): a NULL-level rating at 20 (grade 4,
	 * version 1 -> junior) does not count; one at 40 (grade 3, version 1 -> intermediate) neither;
	 * one at 60 (grade 3, version 2 -> senior) counts; an explicit senior rating counts. */
	model(&m, NULL, NULL, 50, NULL, NULL);
	const char *rt = fmt("%d:1:1::20:1:1,%d:2:1::40:2:2,%d:3:1::60:3:4,%d:4:1:senior:10:4:5", p, p, p, p);
	struct rules_result r = result(&m, "0:4,30:3", NULL, rt, 100);
	assert_string_equal(r.item[p - 1].level, "senior");
	assert_int_equal(r.item[p - 1].used, 2);
	assert_int_equal(tenths(&r, p), 45);
	/* At T = 45 (version 1, grade 3 -> intermediate): the one at 40 (and none other) counts. */
	r = result(&m, "0:4,30:3", NULL, rt, 45);
	assert_int_equal(tenths(&r, p), 20);
	rules_model_free(&m);
}

static void relation_weights_at_t(void **state)
{
	(void)state;
	struct rules_model m;
	int p = bpos(2);
	/* supervisor 6 (weight 3), peer 3 (weight 1), self 0 (weight 0): (18 + 3) / 4 = 5.25 -> 5.3. */
	const char *rt = fmt("%d:1:1::1:1:6,%d:2:2::2:2:3,%d:3:0::3:3:0", p, p, p);
	model(&m, NULL, "{\"supervisor\":\"3\",\"self\":\"0\"}", 50, NULL,
	      "{\"supervisor\":\"0\",\"peer\":\"0\",\"self\":\"0\"}");
	struct rules_evidence ev = {0};
	struct rules_result r;
	int64_t w[3];
	const char *wt[3];
	assert_true(rules_evidence_parse(&ev, "0:4", NULL, rt));
	/* Version 1 at T (levels as of rated_at are junior in both versions for ratings before 50). */
	assert_true(rules_evaluate(&m, cat(), &ev, 40, RULES_HELD, &r, NULL, w, wt));
	assert_int_equal(tenths(&r, p), 53);
	assert_int_equal(w[0], 3000000);
	assert_string_equal(wt[0], "3");
	assert_null(wt[1]); /* the default weight 1 */
	rules_evidence_free(&ev);
	/* At T = 100 version 2 requires intermediate of grade 4: rate at that level explicitly; all weights
	 * 0 -> equal weights: (6 + 3 + 0) / 3 = 3.0. */
	rt = fmt("%d:1:1:intermediate:1:1:6,%d:2:2:intermediate:2:2:3,%d:3:0:intermediate:3:3:0", p, p, p);
	struct rules_result r2 = result(&m, "0:4", NULL, rt, 100);
	assert_int_equal(tenths(&r2, p), 30);
	rules_model_free(&m);
}

static void behaviour_rounding_half_up(void **state)
{
	(void)state;
	struct rules_model m;
	int p = bpos(3);
	model(&m, NULL, "{\"supervisor\":\"0.5\",\"peer\":\"0.25\",\"self\":\"0.25\"}", 0, NULL, NULL);
	/* Weights 0.5 / 0.25 / 0.25 (supervisor, peer, self): 5, 4, 4 -> 4.5; 5, 4, 5 -> 4.75 -> 4.8 and
	 * 4, 5, 4 -> 4.25 -> 4.3 (half-up at the x.x5 edge, in exact decimals). */
	struct rules_result r = result(&m, "0:4", NULL, fmt("%d:1:1::1:1:5,%d:2:2::1:2:4,%d:3:0::1:3:4", p, p, p), 100);
	assert_int_equal(tenths(&r, p), 45);
	r = result(&m, "0:4", NULL, fmt("%d:1:1::1:1:5,%d:2:2::1:2:4,%d:3:0::1:3:5", p, p, p), 100);
	assert_int_equal(tenths(&r, p), 48);
	r = result(&m, "0:4", NULL, fmt("%d:1:1::1:1:4,%d:2:2::1:2:5,%d:3:0::1:3:4", p, p, p), 100);
	assert_int_equal(tenths(&r, p), 43); /* 0.5·4 + 0.25·5 + 0.25·4 = 4.25 -> 4.3 */
	rules_model_free(&m);
}

/* ------------------------------------------------------------------ status and gap (§3.4) */

static void status_gap_missing(void **state)
{
	(void)state;
	struct rules_model m;
	int e = epos(0), b = bpos(0), b2 = bpos(1);
	model(&m, NULL, NULL, 0, NULL, NULL);
	struct rules_result r =
		result(&m, "0:4", fmt("%d:junior:1:1:85.00:5", e), fmt("%d:1:1::1:1:6,%d:1:1::1:2:4", b, b2), 100);
	assert_int_equal(profile_status_of(r.item[e - 1].value), PROFILE_MEETS);
	assert_int_equal(profile_status_of(r.item[b - 1].value), PROFILE_EXCEEDS);
	assert_int_equal(profile_status_of(r.item[b2 - 1].value), PROFILE_BELOW);
	assert_int_equal(profile_status_of(r.item[bpos(2) - 1].value), PROFILE_MISSING);
	json_t *gap = profile_gap_json(r.item[b2 - 1].value);
	assert_true(json_is_integer(gap) && json_integer_value(gap) == -1);
	json_decref(gap);
	gap = profile_gap_json(r.item[bpos(2) - 1].value);
	assert_true(json_is_null(gap));
	json_decref(gap);
	rules_model_free(&m);
}

/* The next grade's levels (readiness): evidence at the employee's own level does not count there. */
static void held_against_another_grade(void **state)
{
	(void)state;
	struct rules_model m;
	int p = epos(0);
	model(&m, NULL, NULL, 0, NULL, NULL);
	struct rules_evidence ev = {0};
	struct rules_result r;
	assert_true(
		rules_evidence_parse(&ev, "0:4", fmt("%d:junior:1:1:99.00:6,%d:intermediate:1:2:70.00:3", p, p), NULL));
	assert_true(rules_evaluate(&m, cat(), &ev, 100, 3, &r, NULL, NULL, NULL));
	assert_int_equal(r.grade, 4);
	assert_int_equal(tenths(&r, p), 30);
	assert_true(rules_evaluate(&m, cat(), &ev, 100, 0, &r, NULL, NULL, NULL));
	assert_int_equal(tenths(&r, p), -1);
	rules_evidence_free(&ev);
	rules_model_free(&m);
}

static void malformed(void **state)
{
	(void)state;
	struct rules_model m;
	char err[128];
	assert_false(rules_model_parse("{}", &m, err, sizeof err));
	assert_false(rules_model_parse("{\"versions\":[{\"version\":1}],\"grading\":[]}", &m, err, sizeof err));
	struct rules_evidence ev = {0};
	assert_false(rules_evidence_parse(&ev, "x:4", NULL, NULL));
	assert_false(rules_evidence_parse(&ev, NULL, "19:junior:1:1:5.00:1", NULL));  /* no item 19 */
	assert_false(rules_evidence_parse(&ev, NULL, "1:junior:1:1:100.01:1", NULL)); /* scores are 0..100 */
	assert_false(rules_evidence_parse(&ev, NULL, NULL, "5:1:1::1:1:7"));          /* ratings are 0..6 */
	assert_false(rules_evidence_parse(&ev, NULL, NULL, "5:1:1:a,b:1:1:3"));
	assert_true(rules_evidence_parse(&ev, "-5:4", "", ""));
	assert_int_equal(rules_grade_at(&ev, -10), 4);
	rules_evidence_free(&ev);
}

/* ------------------------------------------------------------------ now (what SQL is handed) */

static void grade_from_packed_history(void **state)
{
	(void)state;
	/* 4 from 10, 3 from 20, and at 20 also 2 recorded later: the later entry wins the tie. */
	const char *h = "10:4,20:3,20:2,40:1";
	assert_int_equal(rules_grade_packed_at(h, 5), 4); /* before the first record: the first */
	assert_int_equal(rules_grade_packed_at(h, 10), 4);
	assert_int_equal(rules_grade_packed_at(h, 19), 4);
	assert_int_equal(rules_grade_packed_at(h, 20), 2);
	assert_int_equal(rules_grade_packed_at(h, 39), 2);
	assert_int_equal(rules_grade_packed_at(h, 40), 1);
	assert_int_equal(rules_grade_packed_at(NULL, 40), 0); /* no history: none */
	assert_int_equal(rules_grade_packed_at("", 40), 0);
	assert_int_equal(rules_grade_packed_at("10:5", 40), -1); /* grades are 1..4 */
	assert_int_equal(rules_grade_packed_at("10", 40), -1);
	assert_int_equal(rules_grade_packed_at("x:4", 40), -1);
}

static void grade_after_a_change(void **state)
{
	(void)state;
	const char *h = "10:4,30:3";
	/* A change in the past, with a later record after it: the later one still holds now. */
	assert_int_equal(rules_grade_packed_with(h, 20, 2, 50), 3);
	assert_int_equal(rules_grade_packed_with(h, 20, 2, 25), 2);
	/* At the same time as an existing record: recorded later, so it wins the tie. */
	assert_int_equal(rules_grade_packed_with(h, 30, 1, 50), 1);
	/* In the future: not yet held now; before every record it is not the first either. */
	assert_int_equal(rules_grade_packed_with(h, 60, 1, 50), 3);
	assert_int_equal(rules_grade_packed_with(h, 5, 1, 1), 1); /* the new first record */
	/* Without a history, a future first grade is held now (before the first record, the first). */
	assert_int_equal(rules_grade_packed_with(NULL, 60, 2, 50), 2);
	assert_int_equal(rules_grade_packed_with("bad", 60, 2, 50), -1);
}

static void levels_of_the_version_at_t(void **state)
{
	(void)state;
	struct rules_model m;
	model(&m, NULL, NULL, 50, NULL, NULL); /* version 2 from 50: levels shifted by one grade */
	const char *code = catalog_item_at(cat(), (size_t)epos(0) - 1)->code;
	const struct rules_version *v49 = rules_version_at(&m, 49), *v50 = rules_version_at(&m, 50);
	json_t *g4at49 = rules_grade_levels_json(v49, cat(), 4), *g1at49 = rules_grade_levels_json(v49, cat(), 1);
	json_t *g4at50 = rules_grade_levels_json(v50, cat(), 4);
	assert_non_null(g4at49);
	assert_non_null(g1at49);
	assert_non_null(g4at50);
	assert_string_equal(json_string_value(json_object_get(g4at49, code)), "junior");
	assert_string_equal(json_string_value(json_object_get(g1at49, code)), "expert");
	assert_string_equal(json_string_value(json_object_get(g4at50, code)), "intermediate");
	assert_int_equal(json_object_size(g4at49), RULES_ITEMS);
	json_decref(g4at49);
	json_decref(g1at49);
	json_decref(g4at50);
	/* Before the first version, or for no grade: no levels. */
	json_t *none = rules_grade_levels_json(rules_version_at(&m, -1), cat(), 4),
	       *nograde = rules_grade_levels_json(v50, cat(), 0);
	assert_non_null(none);
	assert_non_null(nograde);
	assert_int_equal(json_object_size(none), 0);
	assert_int_equal(json_object_size(nograde), 0);
	json_decref(none);
	json_decref(nograde);
	rules_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(highest_with_ties_and_null),
		cmocka_unit_test(latest_and_first),
		cmocka_unit_test(average_rounds_then_bands_at_t),
		cmocka_unit_test(no_attempt_and_other_levels),
		cmocka_unit_test(grade_changes_around_t),
		cmocka_unit_test(version_changes_around_t),
		cmocka_unit_test(latest_per_rater),
		cmocka_unit_test(latest_per_rater_selection),
		cmocka_unit_test(null_rated_level_resolved_at_rated_at),
		cmocka_unit_test(relation_weights_at_t),
		cmocka_unit_test(behaviour_rounding_half_up),
		cmocka_unit_test(status_gap_missing),
		cmocka_unit_test(held_against_another_grade),
		cmocka_unit_test(malformed),
		cmocka_unit_test(grade_from_packed_history),
		cmocka_unit_test(grade_after_a_change),
		cmocka_unit_test(levels_of_the_version_at_t),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
