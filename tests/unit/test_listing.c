/* The HR listing's per-item rules (SPEC §3.2, §3.3) on packed evidence: listing_rules_parse and
 * listing_values. Every expectation is worked out by hand from the SPEC's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "domain/catalog.h"
#include "domain/listing.h"
#include "domain/profile.h"

#define MISSING (-1)

/* The level each grade requires by default (SPEC §2): 4 junior .. 1 expert. */
static const char *const grade_level[5] = {"", "expert", "senior", "intermediate", "junior"};

/* The default exam band thresholds (SPEC §2): R >= 91 -> 6, 81 -> 5, 71 -> 4, 61 -> 3, 41 -> 2, else 1. */
static const char *const default_bands = "[[6,\"91\"],[5,\"81\"],[4,\"71\"],[3,\"61\"],[2,\"41\"],[1,\"0\"]]";

static const struct catalog *cat(void)
{
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	return c;
}

/* The k-th (0-based) item position (1-based) of the given assessment, from the catalog. */
static int nth_pos(enum catalog_assessment a, int k)
{
	for (size_t i = 0; i < catalog_item_count(cat()); i++)
		if (catalog_item_at(cat(), i)->assessment == a && k-- == 0)
			return (int)i + 1;
	fail_msg("no such item");
	return 0;
}
static int epos(int k) { return nth_pos(CATALOG_ASSESS_EXAM, k); }
static int bpos(int k) { return nth_pos(CATALOG_ASSESS_BEHAVIOUR, k); }

/* printf into one of a few rotating buffers, so several can be used in one call. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	static char bufs[32][4096];
	static int next;
	char *b = bufs[next++ % 32];
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(b, sizeof bufs[0], f, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof bufs[0]);
	return b;
}

/* Rules JSON with every (grade, item) at the default level; NULL parts take the defaults. */
static const char *rules_json(const char *grading, const char *bands, const char *weights)
{
	static char json[8192];
	size_t n = (size_t)snprintf(json, sizeof json, "{\"levels\":[");
	for (int g = 1; g <= 4; g++)
		for (int p = 1; p <= LISTING_ITEMS; p++)
			n += (size_t)snprintf(json + n, sizeof json - n, "%s[%d,%d,\"%s\"]", g == 1 && p == 1 ? "" : ",", g, p,
					      grade_level[g]);
	n += (size_t)snprintf(json + n, sizeof json - n, "],\"grading\":%s,\"bands\":%s,\"weights\":%s}",
			      grading ? grading : "[]", bands ? bands : default_bands, weights ? weights : "{}");
	assert_true(n < sizeof json);
	return json;
}

static void make_rules(struct listing_rules *r, const char *grading, const char *bands, const char *weights)
{
	char err[128] = "";
	if (!listing_rules_parse(rules_json(grading, bands, weights), r, err, sizeof err))
		fail_msg("rules rejected: %s", err);
}

/* listing_values, which must succeed; out is pre-filled with junk so every slot must be written. */
static void run(const struct listing_rules *r, int grade, const char *exam, const char *beh, const char *bw,
		struct profile_value out[LISTING_ITEMS])
{
	for (int i = 0; i < LISTING_ITEMS; i++)
		out[i] = (struct profile_value){true, 77};
	assert_true(listing_values(r, cat(), grade, exam, beh, bw, out));
}

/* The value of position pos (1-based) in tenths, MISSING when there is none. */
static int val(const struct profile_value *out, int pos)
{
	assert_true(pos >= 1 && pos <= LISTING_ITEMS);
	return out[pos - 1].has ? out[pos - 1].tenths : MISSING;
}

/* One item's value from the exam column alone. */
static int exam1(const struct listing_rules *r, int grade, const char *exam, int pos)
{
	struct profile_value out[LISTING_ITEMS];
	run(r, grade, exam, NULL, NULL, out);
	return val(out, pos);
}

/* One item's value from the behaviour column alone. */
static int beh1(const struct listing_rules *r, int grade, const char *beh, int pos)
{
	struct profile_value out[LISTING_ITEMS];
	run(r, grade, NULL, beh, NULL, out);
	return val(out, pos);
}

/* A behaviour summary entry: counts n[] and score sums s[] in the summary's relation order
 * (self, supervisor, peer, subordinate, customer, hr). */
static const char *beh_entry(int pos, const char *level, const int n[6], const int s[6])
{
	return fmt("%d:%s:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d:%d", pos, level, n[0], s[0], n[1], s[1], n[2], s[2], n[3],
		   s[3], n[4], s[4], n[5], s[5]);
}

static bool rejects_values(const struct listing_rules *r, int grade, const char *exam, const char *beh,
			   const char *bw)
{
	struct profile_value out[LISTING_ITEMS];
	return !listing_values(r, cat(), grade, exam, beh, bw, out);
}

/* ------------------------------------------------------------------ the catalog's layout */

static void test_catalog_layout(void **state)
{
	(void)state;
	static const char *const exams[] = {"general_knowledge", "professional_knowledge", "job_knowledge", "job_skills"};
	assert_int_equal(catalog_item_count(cat()), LISTING_ITEMS);
	for (int p = 1; p <= LISTING_ITEMS; p++) {
		const struct catalog_item *it = catalog_item_at(cat(), (size_t)p - 1);
		assert_non_null(it);
		assert_int_equal(it->position, p - 1);
		if (p >= 9 && p <= 12) {
			assert_int_equal(it->assessment, CATALOG_ASSESS_EXAM);
			assert_string_equal(it->code, exams[p - 9]);
		} else {
			assert_int_equal(it->assessment, CATALOG_ASSESS_BEHAVIOUR);
		}
	}
	assert_int_equal(epos(0), 9);
	assert_int_equal(epos(3), 12);
	assert_int_equal(bpos(0), 1);
	assert_int_equal(bpos(8), 13);
	assert_null(catalog_item_at(cat(), LISTING_ITEMS));
}

/* ------------------------------------------------------------------ rules */

static void test_grading_of(void **state)
{
	(void)state;
	assert_int_equal(listing_grading_of("highest"), LISTING_HIGHEST);
	assert_int_equal(listing_grading_of("latest"), LISTING_LATEST);
	assert_int_equal(listing_grading_of("average"), LISTING_AVERAGE);
	assert_int_equal(listing_grading_of("first"), LISTING_FIRST);
	/* Anything else counts as first, as in examd_profile_data. */
	assert_int_equal(listing_grading_of("best"), LISTING_FIRST);
	assert_int_equal(listing_grading_of(""), LISTING_FIRST);
	assert_int_equal(listing_grading_of("Highest"), LISTING_FIRST);
}

static void test_rules_parse(void **state)
{
	(void)state;
	struct listing_rules r;
	char err[128];

	/* Empty parts: no levels, no gradings, no bands, every weight 1. */
	assert_true(listing_rules_parse("{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{}}", &r, err, sizeof err));
	assert_int_equal(r.gradings, 0);
	for (int g = 0; g < LISTING_GRADES; g++)
		for (int p = 0; p < LISTING_ITEMS; p++)
			assert_string_equal(r.level[g][p], "");
	for (int s = 0; s <= 6; s++)
		assert_false(r.has_band[s]);
	for (int k = 0; k < LISTING_RELATIONS; k++)
		assert_int_equal(r.weight[k], 1000000);

	/* The full default plus gradings, weights with up to 6 decimals and an unknown relation (ignored). */
	assert_true(listing_rules_parse(
		rules_json("[[9,\"junior\",\"average\"],[10,\"senior\",\"latest\"],[11,\"expert\",\"first\"],"
			   "[12,\"intermediate\",\"whatever\"],[9,\"senior\",\"highest\"]]",
			   "[[6,\"90.5\"],[5,\"81\"],[1,\"0.000001\"]]",
			   "{\"self\":\"0.333333\",\"peer\":\"2.5\",\"hr\":\"0\",\"robot\":\"9\"}"),
		&r, err, sizeof err));
	assert_string_equal(r.level[0][0], "expert");
	assert_string_equal(r.level[1][8], "senior");
	assert_string_equal(r.level[2][17], "intermediate");
	assert_string_equal(r.level[3][11], "junior");
	assert_int_equal(r.gradings, 5);
	assert_int_equal(r.grading[0].position, 9);
	assert_string_equal(r.grading[0].level, "junior");
	assert_int_equal(r.grading[0].grading, LISTING_AVERAGE);
	assert_int_equal(r.grading[1].grading, LISTING_LATEST);
	assert_int_equal(r.grading[2].grading, LISTING_FIRST);
	assert_int_equal(r.grading[3].grading, LISTING_FIRST);
	assert_int_equal(r.grading[4].grading, LISTING_HIGHEST);
	assert_int_equal(r.grading[4].position, 9);
	assert_true(r.has_band[6] && r.has_band[5] && r.has_band[1]);
	assert_false(r.has_band[4] || r.has_band[3] || r.has_band[2] || r.has_band[0]);
	assert_int_equal(r.band_min[6], 90500000);
	assert_int_equal(r.band_min[5], 81000000);
	assert_int_equal(r.band_min[1], 1);
	/* self, supervisor, peer, subordinate, customer, hr */
	assert_int_equal(r.weight[0], 333333);
	assert_int_equal(r.weight[1], 1000000);
	assert_int_equal(r.weight[2], 2500000);
	assert_int_equal(r.weight[3], 1000000);
	assert_int_equal(r.weight[4], 1000000);
	assert_int_equal(r.weight[5], 0);

	/* A second parse starts afresh (no gradings or weights left over). */
	assert_true(listing_rules_parse(rules_json(NULL, NULL, NULL), &r, err, sizeof err));
	assert_int_equal(r.gradings, 0);
	assert_int_equal(r.weight[0], 1000000);
	assert_int_equal(r.weight[5], 1000000);
	assert_int_equal(r.band_min[6], 91000000);
	assert_int_equal(r.band_min[1], 0);
	assert_true(r.has_band[1]);

	/* The last of two levels for one (grade, item) holds. */
	assert_true(listing_rules_parse("{\"levels\":[[3,1,\"junior\"],[3,1,\"expert\"]],\"grading\":[],\"bands\":[],"
					"\"weights\":{}}",
					&r, err, sizeof err));
	assert_string_equal(r.level[2][0], "expert");
	assert_string_equal(r.level[2][1], "");
}

static void test_rules_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"42",
		"{}",
		/* each part is required, with its type */
		"{\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[]}",
		"{\"levels\":{},\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":[]}",
		/* levels */
		"{\"levels\":[[0,1,\"junior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[5,1,\"junior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,0,\"junior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,19,\"junior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1,\"\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1,\"jun:ior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1,\"jun,ior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1,\"abcdefghijklmnopqrstuvwxyz012345\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1,7]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[1,1,\"junior\",1]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[[\"1\",1,\"junior\"]],\"grading\":[],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[\"x\"],\"grading\":[],\"bands\":[],\"weights\":{}}",
		/* gradings */
		"{\"levels\":[],\"grading\":[[0,\"junior\",\"highest\"]],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[[19,\"junior\",\"highest\"]],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[[9,\"\",\"highest\"]],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[[9,\"junior\",null]],\"bands\":[],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[[9,\"junior\"]],\"bands\":[],\"weights\":{}}",
		/* bands */
		"{\"levels\":[],\"grading\":[],\"bands\":[[0,\"10\"]],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[[7,\"10\"]],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[[6,91]],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[[6,\"-1\"]],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[[6,\"91.0000001\"]],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[[6,\"ninety\"]],\"weights\":{}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[[6]],\"weights\":{}}",
		/* weights */
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{\"supervisor\":3}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{\"supervisor\":\"-1\"}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{\"peer\":\"0.0000001\"}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{\"hr\":\"abc\"}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{\"self\":null}}",
		"{\"levels\":[],\"grading\":[],\"bands\":[],\"weights\":{\"self\":\"1e3\"}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct listing_rules r;
		char err[128] = "";
		if (listing_rules_parse(bad[i], &r, err, sizeof err))
			fail_msg("accepted malformed rules #%zu: %s", i, bad[i]);
		assert_true(err[0] != '\0');
	}
	struct listing_rules r;
	assert_false(listing_rules_parse(NULL, &r, NULL, 0));
}

/* ------------------------------------------------------------------ no grade, no level */

static void test_no_grade_all_missing(void **state)
{
	(void)state;
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	int e = epos(0), b = bpos(0);
	const int n[6] = {1, 1, 1, 1, 1, 1}, s[6] = {5, 5, 5, 5, 5, 5};
	/* Evidence at every level, which would count for any grade 1..4. */
	const char *exam = fmt("%d:junior:1:1:95.00:6,%d:intermediate:1:2:95.00:6,%d:senior:1:3:95.00:6,%d:expert:1:4:95.00:6",
			       e, e, e, e);
	const char *beh = fmt("%s,%s,%s,%s", beh_entry(b, "junior", n, s), beh_entry(b, "intermediate", n, s),
			      beh_entry(b, "senior", n, s), beh_entry(b, "expert", n, s));
	const char *weighted = fmt("%d:9:2:9:2", b);
	const int grades[] = {0, -1, 5, 100};
	for (size_t g = 0; g < sizeof grades / sizeof *grades; g++) {
		struct profile_value out[LISTING_ITEMS];
		run(&r, grades[g], exam, beh, NULL, out);
		for (int p = 1; p <= LISTING_ITEMS; p++)
			assert_int_equal(val(out, p), MISSING);
		run(&r, grades[g], exam, NULL, weighted, out);
		for (int p = 1; p <= LISTING_ITEMS; p++)
			assert_int_equal(val(out, p), MISSING);
	}
	/* The same evidence counts for each real grade (so the above is not vacuous). */
	for (int g = 1; g <= 4; g++) {
		struct profile_value out[LISTING_ITEMS];
		run(&r, g, exam, beh, NULL, out);
		assert_int_equal(val(out, e), 60);
		assert_int_equal(val(out, b), 50);
		run(&r, g, exam, NULL, weighted, out);
		assert_int_equal(val(out, b), 45);
	}
	/* No evidence at all: every item missing, never 0. */
	struct profile_value out[LISTING_ITEMS];
	run(&r, 3, NULL, NULL, NULL, out);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		assert_int_equal(val(out, p), MISSING);
	run(&r, 3, "", "", NULL, out);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		assert_int_equal(val(out, p), MISSING);
}

static void test_item_without_required_level_missing(void **state)
{
	(void)state;
	int e1 = epos(0), e2 = epos(1), b1 = bpos(0), b2 = bpos(1);
	struct listing_rules r;
	char err[128];
	/* Grade 3 requires intermediate of e1 and b1 only; grade 4 requires nothing at all. */
	assert_true(listing_rules_parse(fmt("{\"levels\":[[3,%d,\"intermediate\"],[3,%d,\"intermediate\"]],\"grading\":[],"
					    "\"bands\":%s,\"weights\":{}}",
					    e1, b1, default_bands),
					&r, err, sizeof err));
	const int n[6] = {0, 1, 1, 0, 0, 0}, s[6] = {0, 5, 4, 0, 0, 0};
	const char *exam = fmt("%d:intermediate:1:1:85.00:5,%d:intermediate:1:2:85.00:5,%d:junior:1:3:85.00:5", e1, e2, e2);
	const char *beh = fmt("%s,%s,%s", beh_entry(b1, "intermediate", n, s), beh_entry(b2, "intermediate", n, s),
			      beh_entry(b2, "junior", n, s));
	struct profile_value out[LISTING_ITEMS];
	run(&r, 3, exam, beh, NULL, out);
	assert_int_equal(val(out, e1), 50);
	assert_int_equal(val(out, b1), 45);
	assert_int_equal(val(out, e2), MISSING);
	assert_int_equal(val(out, b2), MISSING);
	run(&r, 4, exam, beh, NULL, out);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		assert_int_equal(val(out, p), MISSING);
}

/* ------------------------------------------------------------------ behaviour items (§3.3) */

static void test_behaviour_spec_example(void **state)
{
	(void)state;
	int b = bpos(0);
	const int n[6] = {0, 1, 1, 0, 0, 0}, s[6] = {0, 5, 4, 0, 0, 0};
	const char *beh = beh_entry(b, "intermediate", n, s);
	struct listing_rules r;
	/* A supervisor's 5 and a peer's 4: 4.5. */
	make_rules(&r, NULL, NULL, NULL);
	assert_int_equal(beh1(&r, 3, beh, b), 45);
	/* Supervisor weight 3: (15 + 4) / 4 = 4.75 -> 4.8 (half-up). */
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"3\"}");
	assert_int_equal(beh1(&r, 3, beh, b), 48);
	/* Peer weight 3 instead: (5 + 12) / 4 = 4.25 -> 4.3 (half-up). */
	make_rules(&r, NULL, NULL, "{\"peer\":\"3\"}");
	assert_int_equal(beh1(&r, 3, beh, b), 43);
}

static void test_behaviour_required_level_only(void **state)
{
	(void)state;
	int b = bpos(0), b2 = bpos(5);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	const int n[6] = {1, 0, 0, 0, 0, 0};
	const int s2[6] = {2, 0, 0, 0, 0, 0}, s3[6] = {3, 0, 0, 0, 0, 0}, s4[6] = {4, 0, 0, 0, 0, 0},
		  s6[6] = {6, 0, 0, 0, 0, 0};
	const char *beh = fmt("%s,%s,%s,%s", beh_entry(b, "junior", n, s2), beh_entry(b, "intermediate", n, s3),
			      beh_entry(b, "senior", n, s4), beh_entry(b, "expert", n, s6));
	/* Each grade keeps only the summary at its required level. */
	assert_int_equal(beh1(&r, 4, beh, b), 20);
	assert_int_equal(beh1(&r, 3, beh, b), 30);
	assert_int_equal(beh1(&r, 2, beh, b), 40);
	assert_int_equal(beh1(&r, 1, beh, b), 60);
	/* Ratings only at levels other than the required one: missing, never 0. */
	const char *other = fmt("%s,%s", beh_entry(b, "junior", n, s6), beh_entry(b, "senior", n, s6));
	assert_int_equal(beh1(&r, 3, other, b), MISSING);
	/* A rating at the empty level (eff_level '' when no level was required at rated_at) does not
	 * match a required level. */
	assert_int_equal(beh1(&r, 3, beh_entry(b, "", n, s6), b), MISSING);
	/* A level code that only starts like the required one does not match. */
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediatex", n, s6), b), MISSING);
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermed", n, s6), b), MISSING);
	/* Items are independent; the others stay missing. */
	struct profile_value out[LISTING_ITEMS];
	run(&r, 3, NULL, fmt("%s,%s", beh_entry(b, "intermediate", n, s3), beh_entry(b2, "intermediate", n, s6)), NULL,
	    out);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		assert_int_equal(val(out, p), p == b ? 30 : p == b2 ? 60 : MISSING);
}

static void test_behaviour_each_relation_weight(void **state)
{
	(void)state;
	static const char *const names[LISTING_RELATIONS] = {"self", "supervisor", "peer", "subordinate", "customer", "hr"};
	int b = bpos(2);
	for (int k = 0; k < LISTING_RELATIONS; k++) {
		int j = (k + 1) % LISTING_RELATIONS;
		int n[6] = {0}, s[6] = {0};
		n[k] = 1, s[k] = 6;
		n[j] = 1, s[j] = 2;
		const char *beh = beh_entry(b, "intermediate", n, s);
		struct listing_rules r;
		make_rules(&r, NULL, NULL, NULL);
		/* Equal weights: (6 + 2) / 2 = 4.0. */
		assert_int_equal(beh1(&r, 3, beh, b), 40);
		/* Relation k weighs 3: (18 + 2) / 4 = 5.0 (3.0 if the weight went to relation j). */
		make_rules(&r, NULL, NULL, fmt("{\"%s\":\"3\"}", names[k]));
		assert_int_equal(beh1(&r, 3, beh, b), 50);
		/* Relation j weighs 3: (6 + 6) / 4 = 3.0. */
		make_rules(&r, NULL, NULL, fmt("{\"%s\":\"3\"}", names[j]));
		assert_int_equal(beh1(&r, 3, beh, b), 30);
	}
}

static void test_behaviour_weights(void **state)
{
	(void)state;
	int b = bpos(0);
	struct listing_rules r;
	/* self 1x6, supervisor 2 ratings summing 9, peer 1x3, subordinate 1x2, customer 1x1, hr 1x6. */
	const int n[6] = {1, 2, 1, 1, 1, 1}, s[6] = {6, 9, 3, 2, 1, 6};
	const char *beh = beh_entry(b, "intermediate", n, s);
	/* Equal: 27 / 7 = 3.857 -> 3.9. */
	make_rules(&r, NULL, NULL, NULL);
	assert_int_equal(beh1(&r, 3, beh, b), 39);
	/* Weights 2, 3, 0.5, 0, 1.5, 4: Σw·s = 12 + 27 + 1.5 + 0 + 1.5 + 24 = 66 over Σw = 2 + 6 + 0.5 + 0 + 1.5 + 4
	 * = 14: 4.714 -> 4.7 (a weight counts once per rating: supervisor's two ratings weigh 6). */
	make_rules(&r, NULL, NULL,
		   "{\"self\":\"2\",\"supervisor\":\"3\",\"peer\":\"0.5\",\"subordinate\":\"0\",\"customer\":\"1.5\","
		   "\"hr\":\"4\"}");
	assert_int_equal(beh1(&r, 3, beh, b), 47);

	/* A zero weight drops its relation while others weigh: self 6 (w 0) and peer 2 -> 2.0. */
	const int n2[6] = {1, 0, 1, 0, 0, 0}, s2[6] = {6, 0, 2, 0, 0, 0};
	make_rules(&r, NULL, NULL, "{\"self\":\"0\"}");
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n2, s2), b), 20);

	/* Kept ratings whose weights sum to 0: equal weights. Supervisor 5 + peer 4 -> 4.5. */
	const int n3[6] = {0, 1, 1, 0, 0, 0}, s3[6] = {0, 5, 4, 0, 0, 0};
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"0\",\"peer\":\"0.000000\"}");
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n3, s3), b), 45);
	/* Still equal weights when only relations without ratings weigh: 1 + 0 + 0 over 3 ratings -> 0.3. */
	const int n4[6] = {0, 1, 2, 0, 0, 0}, s4[6] = {0, 1, 0, 0, 0, 0};
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"0\",\"peer\":\"0\",\"hr\":\"5\"}");
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n4, s4), b), 3);

	/* Weights with 6 decimals, exact: supervisor 0.000001 (5) and peer 0.000019 (4): 4 + 1/20 = 4.05
	 * exactly -> 4.1 (half-up); with peer 0.000020, 4 + 1/21 = 4.0476 -> 4.0. */
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"0.000001\",\"peer\":\"0.000019\"}");
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n3, s3), b), 41);
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"0.000001\",\"peer\":\"0.000020\"}");
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n3, s3), b), 40);
	/* Supervisor 6 at weight 0.333333 and peer 3 at 0.666667: (1.999998 + 2.000001) / 1 = 3.999999 -> 4.0. */
	const int n5[6] = {0, 1, 1, 0, 0, 0}, s5[6] = {0, 6, 3, 0, 0, 0};
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"0.333333\",\"peer\":\"0.666667\"}");
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n5, s5), b), 40);
}

static void test_behaviour_rounding_and_counts(void **state)
{
	(void)state;
	int b = bpos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	static const struct {
		int n, s, tenths;
	} cases[] = {
		{4, 17, 43},  /* 4.25 -> 4.3 (half-up) */
		{4, 15, 38},  /* 3.75 -> 3.8 */
		{3, 14, 47},  /* 4.666 -> 4.7 */
		{3, 13, 43},  /* 4.333 -> 4.3 */
		{8, 35, 44},  /* 4.375 -> 4.4 */
		{20, 89, 45}, /* 4.45 -> 4.5 */
		{20, 1, 1},   /* 0.05 -> 0.1 */
		{1, 0, 0},    /* a rating of 0 is a value 0, not missing */
		{1, 6, 60},
		{2, 12, 60},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const int n[6] = {cases[i].n, 0, 0, 0, 0, 0}, s[6] = {cases[i].s, 0, 0, 0, 0, 0};
		assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", n, s), b), cases[i].tenths);
	}
	/* No kept rating at the required level (every count 0): missing. */
	const int z[6] = {0};
	assert_int_equal(beh1(&r, 3, beh_entry(b, "intermediate", z, z), b), MISSING);
}

static void test_behaviour_weighted_replaces(void **state)
{
	(void)state;
	int b = bpos(0), b2 = bpos(1), e = epos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, "{\"supervisor\":\"3\"}");
	const int n[6] = {1, 0, 0, 0, 0, 0}, s[6] = {2, 0, 0, 0, 0, 0};
	const char *beh = fmt("%s,%s", beh_entry(b, "intermediate", n, s), beh_entry(b2, "intermediate", n, s));
	struct profile_value out[LISTING_ITEMS];

	/* Without behaviour_weighted the summary counts. */
	run(&r, 3, NULL, beh, NULL, out);
	assert_int_equal(val(out, b), 20);
	assert_int_equal(val(out, b2), 20);
	/* With it, the summary is ignored entirely: b from the weighted sums (19/4 = 4.75 -> 4.8),
	 * b2 (only in the summary) missing. The weights of the rules are not applied again. */
	run(&r, 3, NULL, beh, fmt("%d:19:4:9:2", b), out);
	assert_int_equal(val(out, b), 48);
	assert_int_equal(val(out, b2), MISSING);
	/* An empty weighted column also replaces the summary. */
	run(&r, 3, NULL, beh, "", out);
	assert_int_equal(val(out, b), MISSING);
	assert_int_equal(val(out, b2), MISSING);

	/* Decimal sums with 6 decimals, half-up at the edge. */
	run(&r, 3, NULL, NULL, fmt("%d:4.25:1:4:1,%d:4.249999:1:4:1", b, b2), out);
	assert_int_equal(val(out, b), 43);
	assert_int_equal(val(out, b2), 42);
	run(&r, 3, NULL, NULL, fmt("%d:3.500000:0.750000:8:2", b), out); /* 4.666 -> 4.7 */
	assert_int_equal(val(out, b), 47);
	/* wtot 0: equal weights, ssum / n: 9/2 -> 4.5; 1/3 -> 0.3. */
	run(&r, 3, NULL, NULL, fmt("%d:0:0:9:2,%d:0.000000:0.000000:1:3", b, b2), out);
	assert_int_equal(val(out, b), 45);
	assert_int_equal(val(out, b2), 3);
	/* n 0: missing. */
	run(&r, 3, NULL, NULL, fmt("%d:0:0:0:0", b), out);
	assert_int_equal(val(out, b), MISSING);
	/* An entry at an exam position is ignored; the exam column still gives that item. */
	run(&r, 3, fmt("%d:intermediate:1:1:85.00:5", e), NULL, fmt("%d:6:1:6:1,%d:9:2:9:2", e, b), out);
	assert_int_equal(val(out, e), 50);
	assert_int_equal(val(out, b), 45);
	run(&r, 3, NULL, NULL, fmt("%d:6:1:6:1", e), out);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		assert_int_equal(val(out, p), MISSING);
}

/* ------------------------------------------------------------------ exam items (§3.2) */

static void test_exam_highest(void **state)
{
	(void)state;
	int p = epos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL); /* no blueprint grading: highest */
	/* The greatest score counts; entry order does not matter. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:300:3:70.00:4,%d:intermediate:100:1:85.50:5,"
					  "%d:intermediate:200:2:60.00:3",
					  p, p, p),
			       p),
			 50);
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:200:2:60.00:3,%d:intermediate:300:3:70.00:4,"
					  "%d:intermediate:100:1:85.50:5",
					  p, p, p),
			       p),
			 50);
	/* Scores differing in the last decimal. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:85.49:5,%d:intermediate:200:2:85.50:6", p, p), p), 60);
	/* Equal scores: the earliest started counts (not the smallest id, not the latest). */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:300:1:85.00:6,%d:intermediate:200:2:85.00:5,"
					  "%d:intermediate:400:3:85.00:3,%d:intermediate:100:4:80.00:4",
					  p, p, p, p),
			       p),
			 50);
	/* Equal scores and started: the smallest id counts. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:200:7:85.00:6,%d:intermediate:200:5:85.00:4,"
					  "%d:intermediate:200:9:85.00:3",
					  p, p, p),
			       p),
			 40);
	/* A NULL score ranks last, even with a higher band and an earlier start. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1::6,%d:intermediate:200:2:10.00:2", p, p), p), 20);
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:200:2:10.00:2,%d:intermediate:100:1::6", p, p), p), 20);
	/* All scores NULL: earliest started, then smallest id. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:300:1::6,%d:intermediate:200:2::3", p, p), p), 30);
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:200:9::6,%d:intermediate:200:2::3", p, p), p), 30);
	/* The chosen attempt's band is NULL: missing (not another attempt's band). */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:95.00:,%d:intermediate:200:2:50.00:2", p, p), p),
			 MISSING);
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1::", p), p), MISSING);
	/* Band 0 is a value 0, not missing. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:5.00:0", p), p), 0);
	/* The band comes from the attempt, not from re-banding the score. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:95.00:2", p), p), 20);
	/* Explicit "highest" grading behaves the same. */
	make_rules(&r, fmt("[[%d,\"intermediate\",\"highest\"]]", p), NULL, NULL);
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:300:1:85.00:6,%d:intermediate:200:2:85.00:5", p, p), p), 50);
}

static void test_exam_latest(void **state)
{
	(void)state;
	int p = epos(1);
	struct listing_rules r;
	make_rules(&r, fmt("[[%d,\"intermediate\",\"latest\"]]", p), NULL, NULL);
	/* The greatest started counts, whatever the scores and ids. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:9:95.00:6,%d:intermediate:300:2:50.00:2,"
					  "%d:intermediate:200:3:70.00:4",
					  p, p, p),
			       p),
			 20);
	/* Equal started: the smallest id. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:300:9:50.00:2,%d:intermediate:300:4:70.00:4,"
					  "%d:intermediate:100:1:95.00:6",
					  p, p, p),
			       p),
			 40);
	/* A NULL score does not matter to latest. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:95.00:6,%d:intermediate:200:2::3", p, p), p), 30);
	/* The latest attempt's band is NULL: missing. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:95.00:6,%d:intermediate:200:2:50.00:", p, p), p),
			 MISSING);
	/* Microsecond timestamps are compared in full. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:1700000000000001:1:95.00:6,"
					  "%d:intermediate:1700000000000000:2:50.00:2",
					  p, p),
			       p),
			 60);
	/* The grading is per (item, level): at junior this item grades highest. */
	assert_int_equal(exam1(&r, 4, fmt("%d:junior:100:1:95.00:6,%d:junior:300:2:50.00:2", p, p), p), 60);
}

static void test_exam_first(void **state)
{
	(void)state;
	int p = epos(2);
	struct listing_rules r;
	make_rules(&r, fmt("[[%d,\"intermediate\",\"first\"]]", p), NULL, NULL);
	/* The earliest started counts (here with the greatest id). */
	const char *ex = fmt("%d:intermediate:300:1:95.00:6,%d:intermediate:100:5:50.00:2,%d:intermediate:200:2:70.00:4", p,
			     p, p);
	assert_int_equal(exam1(&r, 3, ex, p), 20);
	/* Equal started: the smallest id. */
	const char *tie = fmt("%d:intermediate:100:8:95.00:6,%d:intermediate:100:3:50.00:2", p, p);
	assert_int_equal(exam1(&r, 3, tie, p), 20);
	/* The first attempt's band is NULL: missing. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:95.00:,%d:intermediate:200:2:50.00:2", p, p), p),
			 MISSING);
	/* An unknown grading name counts as first. */
	make_rules(&r, fmt("[[%d,\"intermediate\",\"best\"]]", p), NULL, NULL);
	assert_int_equal(exam1(&r, 3, ex, p), 20);
	assert_int_equal(exam1(&r, 3, tie, p), 20);
	/* Under the default (highest) the same attempts give 6. */
	make_rules(&r, NULL, NULL, NULL);
	assert_int_equal(exam1(&r, 3, ex, p), 60);
	assert_int_equal(exam1(&r, 3, tie, p), 60);
}

static int average_of(const struct listing_rules *r, int p, const char *scores)
{
	/* scores: a ';' separated list of scores (empty = NULL); each becomes an attempt with band 1. */
	char buf[1024] = "";
	size_t n = 0;
	int id = 1;
	const char *s = scores;
	for (;;) {
		const char *semi = strchr(s, ';');
		int len = semi ? (int)(semi - s) : (int)strlen(s);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%d:intermediate:%d:%d:%.*s:1", id > 1 ? "," : "", p,
				      100 * id, id, len, s);
		id++;
		if (!semi)
			break;
		s = semi + 1;
	}
	assert_true(n < sizeof buf);
	return exam1(r, 3, buf, p);
}

static void test_exam_average(void **state)
{
	(void)state;
	int p = epos(3);
	struct listing_rules r;
	make_rules(&r, fmt("[[%d,\"intermediate\",\"average\"]]", p), NULL, NULL);
	/* SPEC: 90.495 -> 90.50 -> R = 91 -> band 6 (the attempts' own bands do not matter). */
	assert_int_equal(average_of(&r, p, "90.49;90.50"), 60);
	assert_int_equal(average_of(&r, p, "90.49;90.49"), 50); /* 90.49 -> 90 */
	assert_int_equal(average_of(&r, p, "90.50"), 60);
	assert_int_equal(average_of(&r, p, "90.49"), 50);
	/* Each threshold's edge: 80.495 -> 81 -> 5, 70.495 -> 71 -> 4, 60.495 -> 61 -> 3, 40.495 -> 41 -> 2. */
	assert_int_equal(average_of(&r, p, "80.49;80.50"), 50);
	assert_int_equal(average_of(&r, p, "80.49;80.49"), 40);
	assert_int_equal(average_of(&r, p, "70.49;70.50"), 40);
	assert_int_equal(average_of(&r, p, "70.48;70.50"), 30); /* 70.49 -> 70 */
	assert_int_equal(average_of(&r, p, "60.49;60.50"), 30);
	assert_int_equal(average_of(&r, p, "40.49;40.50"), 20);
	assert_int_equal(average_of(&r, p, "40.49;40.49"), 10);
	assert_int_equal(average_of(&r, p, "0.00"), 10);
	assert_int_equal(average_of(&r, p, "100.00;100.00"), 60);
	/* Three scores: 271.50 / 3 = 90.50 -> 91 -> 6; 270.01 / 3 = 90.0033 -> 90.00 -> 90 -> 5. */
	assert_int_equal(average_of(&r, p, "90.49;90.49;90.52"), 60);
	assert_int_equal(average_of(&r, p, "90.00;90.00;90.01"), 50);
	/* 90.49 + 90.50 + 90.50 = 271.49 / 3 = 90.4966 -> 90.50 -> 91: the mean is rounded to 2 decimals first. */
	assert_int_equal(average_of(&r, p, "90.49;90.50;90.50"), 60);
	/* 90.49 * 3 + 90.50 = 361.97 / 4 = 90.4925 -> 90.49 -> 90. */
	assert_int_equal(average_of(&r, p, "90.49;90.49;90.49;90.50"), 50);
	/* NULL scores are left out of the mean (not counted as 0). */
	assert_int_equal(average_of(&r, p, "90.50;"), 60);
	assert_int_equal(average_of(&r, p, ";90.49;;90.50"), 60);
	/* Only NULL scores: the mean is NULL, which reaches no threshold: value 0 (not missing). */
	struct profile_value out[LISTING_ITEMS];
	run(&r, 3, fmt("%d:intermediate:100:1::6,%d:intermediate:200:2::5", p, p), NULL, NULL, out);
	assert_true(out[p - 1].has);
	assert_int_equal(out[p - 1].tenths, 0);
	/* Attempts with NULL bands still average. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:90.49:,%d:intermediate:200:2:90.50:", p, p), p), 60);
	/* Attempts at other levels are not averaged in. */
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate:100:1:90.00:5,%d:junior:200:2:10.00:1,%d:senior:300:3:10.00:1",
					  p, p, p),
			       p),
			 50);

	/* Custom thresholds (the version's bands), including fractional minimums and none reached. */
	make_rules(&r, fmt("[[%d,\"intermediate\",\"average\"]]", p), "[[6,\"95.5\"],[5,\"90\"]]", NULL);
	assert_int_equal(average_of(&r, p, "95.49;95.50"), 60); /* 95.495 -> 95.50 -> 96 >= 95.5 */
	assert_int_equal(average_of(&r, p, "95.49"), 50);       /* 95 < 95.5 */
	assert_int_equal(average_of(&r, p, "89.50"), 50);       /* 90 >= 90 */
	assert_int_equal(average_of(&r, p, "89.49"), 0);        /* below every threshold: 0, not missing */
	make_rules(&r, fmt("[[%d,\"intermediate\",\"average\"]]", p), "[]", NULL);
	assert_int_equal(average_of(&r, p, "100.00"), 0);
}

static void test_exam_required_level_only(void **state)
{
	(void)state;
	int p = epos(0);
	struct listing_rules r;
	/* average at junior only: grade 4 averages, grade 3 (intermediate) takes the highest. */
	make_rules(&r, fmt("[[%d,\"junior\",\"average\"]]", p), NULL, NULL);
	const char *ex = fmt("%d:junior:100:1:90.00:5,%d:junior:200:2:72.00:4,%d:intermediate:300:3:65.00:3,"
			     "%d:intermediate:400:4:85.00:5,%d:senior:500:5:99.00:6,%d:expert:600:6:40.00:1",
			     p, p, p, p, p, p);
	assert_int_equal(exam1(&r, 4, ex, p), 50); /* (90 + 72) / 2 = 81 -> 5 */
	assert_int_equal(exam1(&r, 3, ex, p), 50); /* highest at intermediate: 85.00, band 5 */
	assert_int_equal(exam1(&r, 2, ex, p), 60);
	assert_int_equal(exam1(&r, 1, ex, p), 10);
	/* Attempts only at other levels: missing. */
	assert_int_equal(exam1(&r, 3, fmt("%d:junior:100:1:99.00:6,%d:senior:200:2:99.00:6", p, p), p), MISSING);
	/* An empty level does not match a required level; nor does a prefix. */
	assert_int_equal(exam1(&r, 3, fmt("%d::100:1:99.00:6", p), p), MISSING);
	assert_int_equal(exam1(&r, 3, fmt("%d:inter:100:1:99.00:6", p), p), MISSING);
	assert_int_equal(exam1(&r, 3, fmt("%d:intermediate2:100:1:99.00:6", p), p), MISSING);
}

static void test_exam_items_independent(void **state)
{
	(void)state;
	int e0 = epos(0), e1 = epos(1), e2 = epos(2), e3 = epos(3), b = bpos(0);
	struct listing_rules r;
	make_rules(&r,
		   fmt("[[%d,\"intermediate\",\"latest\"],[%d,\"intermediate\",\"first\"],[%d,\"intermediate\",\"average\"]]",
		       e1, e2, e3),
		   NULL, NULL);
	/* The same three attempts on every exam item: started 100 (85.00, 5), 200 (95.00, 6), 300 (40.00, 1). */
	char exam[2048] = "";
	size_t n = 0;
	const int items[] = {e0, e1, e2, e3};
	for (int k = 0; k < 4; k++) {
		int id = 3 * k + 1;
		n += (size_t)snprintf(exam + n, sizeof exam - n,
				      "%s%d:intermediate:100:%d:85.00:5,%d:intermediate:200:%d:95.00:6,"
				      "%d:intermediate:300:%d:40.00:1",
				      k ? "," : "", items[k], id, items[k], id + 1, items[k], id + 2);
	}
	assert_true(n < sizeof exam);
	const int nn[6] = {1, 0, 0, 0, 0, 0}, ss[6] = {4, 0, 0, 0, 0, 0};
	struct profile_value out[LISTING_ITEMS];
	run(&r, 3, exam, beh_entry(b, "intermediate", nn, ss), NULL, out);
	assert_int_equal(val(out, e0), 60); /* highest: 95.00 */
	assert_int_equal(val(out, e1), 10); /* latest: 40.00 */
	assert_int_equal(val(out, e2), 50); /* first: 85.00 */
	assert_int_equal(val(out, e3), 40); /* average: 220 / 3 = 73.33 -> 73 -> 4 */
	assert_int_equal(val(out, b), 40);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		if (p != e0 && p != e1 && p != e2 && p != e3 && p != b)
			assert_int_equal(val(out, p), MISSING);
}

static void test_wrong_assessment_ignored(void **state)
{
	(void)state;
	int e = epos(0), b = bpos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	const int n[6] = {0, 1, 1, 0, 0, 0}, s[6] = {0, 5, 4, 0, 0, 0};
	struct profile_value out[LISTING_ITEMS];
	/* An exam attempt at a behaviour position and a behaviour summary at an exam position count for
	 * nothing. */
	run(&r, 3, fmt("%d:intermediate:100:1:85.00:5", b), beh_entry(e, "intermediate", n, s), NULL, out);
	for (int p = 1; p <= LISTING_ITEMS; p++)
		assert_int_equal(val(out, p), MISSING);
	/* Next to real evidence, which still counts. */
	run(&r, 3, fmt("%d:intermediate:100:1:95.00:6,%d:intermediate:100:2:85.00:5", b, e),
	    fmt("%s,%s", beh_entry(e, "intermediate", n, s), beh_entry(b, "intermediate", n, s)), NULL, out);
	assert_int_equal(val(out, e), 50);
	assert_int_equal(val(out, b), 45);
}

/* ------------------------------------------------------------------ malformed packed text */

static void test_malformed_exam_rejected(void **state)
{
	(void)state;
	int p = epos(0), b = bpos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	const char *ok = fmt("%d:intermediate:100:1:85.00:5", p);
	assert_false(rejects_values(&r, 3, ok, NULL, NULL));
	const char *bad[] = {
		fmt("%d:intermediate:abc:1:85.00:5", p),   /* started not a number */
		fmt("%d:intermediate::1:85.00:5", p),      /* started empty */
		fmt("%d:intermediate:-100:1:85.00:5", p),  /* started negative */
		fmt("%d:intermediate:100:x:85.00:5", p),   /* id not a number */
		fmt("%d:intermediate:100::85.00:5", p),    /* id empty */
		"0:intermediate:100:1:85.00:5",            /* position 0 */
		"19:intermediate:100:1:85.00:5",           /* position 19 */
		":intermediate:100:1:85.00:5",             /* no position */
		"x:intermediate:100:1:85.00:5",            /* position not a number */
		fmt("%d:intermediate:100:1:85.00:7", p),   /* band 7 */
		fmt("%d:intermediate:100:1:85.00:-1", p),  /* band -1 */
		fmt("%d:intermediate:100:1:85.00:x", p),   /* band not a number */
		fmt("%d:intermediate:100:1:85.00:4.5", p), /* band not whole */
		fmt("%d:intermediate:100:1:85.505:5", p),  /* score with 3 decimals */
		fmt("%d:intermediate:100:1:8x.00:5", p),   /* score not a number */
		fmt("%d:intermediate:100:1:.5:5", p),      /* score without digits before the point */
		fmt("%d:intermediate:100:1:85.00", p),     /* 5 fields */
		fmt("%d:intermediate:100:1:85.00:5:", p),  /* 7 fields */
		fmt("%d:intermediate:100:1:85.00:5:1", p), /* 7 fields */
		fmt("%d:intermediate", p),                 /* 2 fields */
		fmt("%d", p),                              /* 1 field */
		fmt("%s,,%s", ok, ok),                     /* an empty entry */
		fmt(",%s", ok),                            /* a leading empty entry */
		fmt("%s,%d:intermediate:100:2:85.00:9", ok, p), /* the second entry bad */
		/* Malformed entries are rejected even where they would not count. */
		fmt("%d:junior:abc:1:85.00:5", p),
		fmt("%d:intermediate:abc:1:85.00:5", b),
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (!rejects_values(&r, 3, bad[i], NULL, NULL))
			fail_msg("accepted malformed exam #%zu: %s", i, bad[i]);
}

static void test_malformed_behaviour_rejected(void **state)
{
	(void)state;
	int b = bpos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	const char *ok = fmt("%d:intermediate:0:0:1:5:1:4:0:0:0:0:0:0", b);
	assert_false(rejects_values(&r, 3, NULL, ok, NULL));
	const char *bad[] = {
		"0:intermediate:0:0:1:5:1:4:0:0:0:0:0:0",         /* position 0 */
		"19:intermediate:0:0:1:5:1:4:0:0:0:0:0:0",        /* position 19 */
		"x:intermediate:0:0:1:5:1:4:0:0:0:0:0:0",         /* position not a number */
		fmt("%d:intermediate:0:0:1:5:1:4:0:0:0:0:0", b),  /* 13 fields */
		fmt("%d:intermediate:0:0:1:5:1:4:0:0:0:0:0:0:0", b), /* 15 fields */
		fmt("%d:intermediate:0:0:1:x:1:4:0:0:0:0:0:0", b),   /* a sum not a number */
		fmt("%d:intermediate:0:0:1::1:4:0:0:0:0:0:0", b),    /* a sum empty */
		fmt("%d:intermediate:0:0:-1:5:1:4:0:0:0:0:0:0", b),  /* a negative count */
		fmt("%d:intermediate:0:0:1:7:1:4:0:0:0:0:0:0", b),   /* a sum above 6 per rating */
		fmt("%d:intermediate:0:0:1:5.0:1:4:0:0:0:0:0:0", b), /* a sum not whole */
		fmt("%d:intermediate", b),                           /* 2 fields */
		fmt("%s,,%s", ok, ok),                               /* an empty entry */
		fmt("%s,%d:intermediate:0:0:1:5:1:4:0:0:0:0:0:x", ok, b + 1),
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (!rejects_values(&r, 3, NULL, bad[i], NULL))
			fail_msg("accepted malformed behaviour #%zu: %s", i, bad[i]);
	/* A malformed exam column is rejected even when the behaviour column is fine, and vice versa. */
	assert_true(rejects_values(&r, 3, "0:intermediate:100:1:85.00:5", ok, NULL));
	assert_true(rejects_values(&r, 3, fmt("%d:intermediate:100:1:85.00:5", epos(0)),
				   fmt("%d:intermediate:0:0:1:x:1:4:0:0:0:0:0:0", b), NULL));
}

static void test_malformed_weighted_rejected(void **state)
{
	(void)state;
	int b = bpos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	assert_false(rejects_values(&r, 3, NULL, NULL, fmt("%d:19:4:9:2", b)));
	const char *bad[] = {
		fmt("%d:19:4:9", b),            /* 4 fields */
		fmt("%d:19:4:9:2:1", b),        /* 6 fields */
		fmt("%d::4:9:2", b),            /* wsum empty */
		fmt("%d:19::9:2", b),           /* wtot empty */
		fmt("%d:1.0000001:1:1:1", b),   /* wsum with 7 decimals */
		fmt("%d:abc:1:1:1", b),         /* wsum not a number */
		fmt("%d:19:4:x:2", b),          /* ssum not a number */
		fmt("%d:19:4:9:-2", b),         /* n negative */
		fmt("%d:-19:4:9:2", b),         /* a negative sum */
		fmt("%d:70:10:70:10", b),       /* 7.0: off the 0..6 scale */
		"0:19:4:9:2",                   /* position 0 */
		"19:19:4:9:2",                  /* position 19 */
		fmt("%d:19:4:9:2,,%d:19:4:9:2", b, b), /* an empty entry */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (!rejects_values(&r, 3, NULL, NULL, bad[i]))
			fail_msg("accepted malformed behaviour_weighted #%zu: %s", i, bad[i]);
	/* The weighted column replaces the summary, so a malformed summary beside it is not read... */
	assert_false(rejects_values(&r, 3, NULL, "garbage", fmt("%d:19:4:9:2", b)));
	/* ...and a malformed weighted column is rejected whatever the summary. */
	assert_true(rejects_values(&r, 3, NULL, fmt("%d:intermediate:0:0:1:5:1:4:0:0:0:0:0:0", b), "garbage"));
}

/* ------------------------------------------------------------------ findings (see the report) */

/* A required level that is absent must leave the item missing, whatever the packed level text.
 * Migration 0009 stores eff_level '' for ratings made when no level was required, and the exam
 * column could carry any level text: an entry whose level field is empty must not match the "" that
 * stands for "no required level". */
static void test_absent_requirement_never_matches_empty_level(void **state)
{
	(void)state;
	int e = epos(0), b = bpos(0), b2 = bpos(1);
	struct listing_rules r;
	char err[128];
	/* Grade 3 requires only b2 (so the listing has a grade and rules, but nothing for e and b). */
	assert_true(listing_rules_parse(fmt("{\"levels\":[[3,%d,\"intermediate\"]],\"grading\":[],\"bands\":%s,"
					    "\"weights\":{}}",
					    b2, default_bands),
					&r, err, sizeof err));
	const int n[6] = {0, 1, 1, 0, 0, 0}, s[6] = {0, 5, 4, 0, 0, 0};
	struct profile_value out[LISTING_ITEMS];
	run(&r, 3, NULL, fmt("%s,%s", beh_entry(b, "", n, s), beh_entry(b2, "intermediate", n, s)), NULL, out);
	assert_int_equal(val(out, b2), 45);
	assert_int_equal(val(out, b), MISSING);
	/* The exam column: either rejected as malformed or ignored, never counted. */
	for (int i = 0; i < LISTING_ITEMS; i++)
		out[i] = (struct profile_value){false, 0};
	if (listing_values(&r, cat(), 3, fmt("%d::100:1:85.00:5", e), NULL, NULL, out))
		assert_int_equal(val(out, e), MISSING);
}

/* The header's contract: false when a packed column is malformed. The exam column is checked entry
 * by entry wherever the entry belongs; the behaviour summary should be too. */
static void test_malformed_behaviour_rejected_where_not_counted(void **state)
{
	(void)state;
	int b = bpos(0), e = epos(0);
	struct listing_rules r;
	make_rules(&r, NULL, NULL, NULL);
	/* At a level the grade does not require. */
	assert_true(rejects_values(&r, 3, NULL, fmt("%d:junior:x", b), NULL));
	assert_true(rejects_values(&r, 3, NULL, fmt("%d:junior:0:0:1:5:1:4:0:0:0:0:0:0:0:0:0", b), NULL));
	/* At an exam position. */
	assert_true(rejects_values(&r, 3, NULL, fmt("%d:intermediate:x", e), NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_layout),
		cmocka_unit_test(test_grading_of),
		cmocka_unit_test(test_rules_parse),
		cmocka_unit_test(test_rules_parse_rejects),
		cmocka_unit_test(test_no_grade_all_missing),
		cmocka_unit_test(test_item_without_required_level_missing),
		cmocka_unit_test(test_behaviour_spec_example),
		cmocka_unit_test(test_behaviour_required_level_only),
		cmocka_unit_test(test_behaviour_each_relation_weight),
		cmocka_unit_test(test_behaviour_weights),
		cmocka_unit_test(test_behaviour_rounding_and_counts),
		cmocka_unit_test(test_behaviour_weighted_replaces),
		cmocka_unit_test(test_exam_highest),
		cmocka_unit_test(test_exam_latest),
		cmocka_unit_test(test_exam_first),
		cmocka_unit_test(test_exam_average),
		cmocka_unit_test(test_exam_required_level_only),
		cmocka_unit_test(test_exam_items_independent),
		cmocka_unit_test(test_wrong_assessment_ignored),
		cmocka_unit_test(test_malformed_exam_rejected),
		cmocka_unit_test(test_malformed_behaviour_rejected),
		cmocka_unit_test(test_malformed_weighted_rejected),
		cmocka_unit_test(test_absent_requirement_never_matches_empty_level),
		cmocka_unit_test(test_malformed_behaviour_rejected_where_not_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
