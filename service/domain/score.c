/* Attempt scoring.  The standard score S = 100 × Σ W_k·e_k/p_k / Σ W_k is
 * kept as one exact fraction of small fixed-size big integers and rounded
 * once, half-up, to hundredths: no subtopic score is rounded before the
 * weighting, so every half-up edge (90.495 -> 90.50) comes out right. */
#include "domain/score.h"

#include <string.h>

#include "domain/decimal.h"
#include "domain/textnorm.h"

__extension__ typedef unsigned __int128 u128;

const char *score_status_str(enum score_status st)
{
	switch (st) {
	case SCORE_OK:
		return "ok";
	case SCORE_ERR_INVALID_QUESTION:
		return "invalid question";
	case SCORE_ERR_MISSING_WEIGHT:
		return "a subtopic has no weight";
	case SCORE_ERR_INVALID_WEIGHT:
		return "invalid subtopic weight";
	case SCORE_ERR_INVALID_BANDS:
		return "invalid band thresholds";
	case SCORE_ERR_TOO_MANY_SUBTOPICS:
		return "too many subtopics";
	case SCORE_ERR_OVERFLOW:
		return "score arithmetic overflow";
	case SCORE_ERR_EMPTY:
		return "no attempts";
	case SCORE_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case SCORE_ERR_NOMEM:
		return "out of memory";
	}
	return "unknown score status";
}

/* ---- names ---------------------------------------------------------- */

struct name_entry {
	const char *name;
	int value;
};

static const struct name_entry QTYPE_NAMES[] = {
	{"single", SCORE_Q_SINGLE},  {"multiple", SCORE_Q_MULTIPLE}, {"truefalse", SCORE_Q_TRUEFALSE},
	{"fill", SCORE_Q_FILL},      {"单选", SCORE_Q_SINGLE},       {"多选", SCORE_Q_MULTIPLE},
	{"判断", SCORE_Q_TRUEFALSE}, {"填空", SCORE_Q_FILL},
};

static const struct name_entry GRADING_NAMES[] = {
	{"highest", SCORE_GRADING_HIGHEST},
	{"latest", SCORE_GRADING_LATEST},
	{"first", SCORE_GRADING_FIRST},
	{"average", SCORE_GRADING_AVERAGE},
};

static bool name_lookup(const struct name_entry *t, size_t n, const char *s, int *out)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, s) == 0) {
			*out = t[i].value;
			return true;
		}
	}
	return false;
}

bool score_qtype_parse(const char *s, enum score_qtype *out)
{
	int v;
	if (!name_lookup(QTYPE_NAMES, sizeof QTYPE_NAMES / sizeof QTYPE_NAMES[0], s, &v))
		return false;
	*out = (enum score_qtype)v;
	return true;
}

const char *score_qtype_name(enum score_qtype t)
{
	switch (t) {
	case SCORE_Q_SINGLE:
		return "single";
	case SCORE_Q_MULTIPLE:
		return "multiple";
	case SCORE_Q_TRUEFALSE:
		return "truefalse";
	case SCORE_Q_FILL:
		return "fill";
	}
	return NULL;
}

bool score_grading_parse(const char *s, enum score_grading *out)
{
	int v;
	if (!name_lookup(GRADING_NAMES, sizeof GRADING_NAMES / sizeof GRADING_NAMES[0], s, &v))
		return false;
	*out = (enum score_grading)v;
	return true;
}

const char *score_grading_name(enum score_grading g)
{
	switch (g) {
	case SCORE_GRADING_HIGHEST:
		return "highest";
	case SCORE_GRADING_LATEST:
		return "latest";
	case SCORE_GRADING_FIRST:
		return "first";
	case SCORE_GRADING_AVERAGE:
		return "average";
	}
	return NULL;
}

/* ---- bands ---------------------------------------------------------- */

void score_bands_default(struct score_band out[SCORE_DEFAULT_BAND_COUNT])
{
	static const struct score_band def[SCORE_DEFAULT_BAND_COUNT] = {
		{6, 91}, {5, 81}, {4, 71}, {3, 61}, {2, 41}, {1, 0},
	};
	memcpy(out, def, sizeof def);
}

const char *score_band_name_zh(int band)
{
	static const char *const names[] = {
		"尚不具备", "差距很大", "差距明显", "大部分达标", "基本达标", "达标", "超标",
	};
	if (band < SCORE_BAND_MIN || band > SCORE_BAND_MAX)
		return NULL;
	return names[band];
}

static enum score_status bands_check(const struct score_band *bands, size_t n)
{
	if (bands == NULL || n == 0)
		return SCORE_ERR_INVALID_BANDS;
	for (size_t i = 0; i < n; i++)
		if (bands[i].score < SCORE_BAND_MIN || bands[i].score > SCORE_BAND_MAX)
			return SCORE_ERR_INVALID_BANDS;
	return SCORE_OK;
}

enum score_status score_band_for(int64_t standard, const struct score_band *bands, size_t n_bands, int64_t *rounded,
				 int *band)
{
	enum score_status st = bands_check(bands, n_bands);
	if (st != SCORE_OK)
		return st;
	int64_t r;
	if (decimal_rescale(standard, DECIMAL_SCALE_CENTS, 0, &r) != DECIMAL_OK)
		return SCORE_ERR_OVERFLOW;
	int best = SCORE_BAND_MIN;
	bool found = false;
	for (size_t i = 0; i < n_bands; i++) {
		if (bands[i].min <= r && (!found || bands[i].score > best)) {
			best = bands[i].score;
			found = true;
		}
	}
	if (rounded != NULL)
		*rounded = r;
	*band = best;
	return SCORE_OK;
}

/* ---- questions ------------------------------------------------------ */

static bool label_ok(char c)
{
	return c >= 'A' && c < (char)('A' + SCORE_MAX_OPTIONS);
}

enum score_status score_question_correct(const struct score_question *q, bool *correct)
{
	*correct = false;
	if (q == NULL || q->subtopic == NULL || q->points <= 0)
		return SCORE_ERR_INVALID_QUESTION;
	const struct score_key *k = &q->key;
	const struct score_answer *a = &q->answer;
	switch (q->type) {
	case SCORE_Q_SINGLE:
		if (!label_ok(k->label))
			return SCORE_ERR_INVALID_QUESTION;
		*correct = a->given && a->label == k->label;
		return SCORE_OK;
	case SCORE_Q_MULTIPLE:
		if (k->labels == 0)
			return SCORE_ERR_INVALID_QUESTION;
		/* All or nothing: exactly the key's set, no subset or superset. */
		*correct = a->given && a->labels == k->labels;
		return SCORE_OK;
	case SCORE_Q_TRUEFALSE:
		*correct = a->given && a->truth == k->truth;
		return SCORE_OK;
	case SCORE_Q_FILL: {
		if (k->accepted == NULL || k->accepted_count == 0)
			return SCORE_ERR_INVALID_QUESTION;
		if (!a->given)
			return SCORE_OK;
		bool m = false;
		if (textnorm_match(a->text, a->text_len, k->accepted, k->accepted_count, &m) != TEXTNORM_OK)
			return SCORE_ERR_NOMEM;
		*correct = m;
		return SCORE_OK;
	}
	}
	return SCORE_ERR_INVALID_QUESTION;
}

/* ---- exact fractions ------------------------------------------------ */

/* Unsigned big integers, little-endian 64-bit limbs.  The product of up to
 * SCORE_MAX_SUBTOPICS denominators below 2^63, times a few more 64-bit
 * factors and 20000, stays under 64 × 63 + 3 × 64 + 15 bits < 72 limbs. */
#define BN_LIMBS 72u

struct bn {
	size_t n; /* limbs in use; limb[n - 1] != 0 unless n == 0 */
	uint64_t limb[BN_LIMBS];
};

static void bn_set(struct bn *a, uint64_t v)
{
	a->n = v != 0;
	a->limb[0] = v;
}

static bool bn_mul_u64(struct bn *a, uint64_t m)
{
	if (m == 0) {
		a->n = 0;
		return true;
	}
	uint64_t carry = 0;
	for (size_t i = 0; i < a->n; i++) {
		u128 p = (u128)a->limb[i] * m + carry;
		a->limb[i] = (uint64_t)p;
		carry = (uint64_t)(p >> 64);
	}
	if (carry != 0) {
		if (a->n == BN_LIMBS)
			return false;
		a->limb[a->n++] = carry;
	}
	return true;
}

static bool bn_add(struct bn *a, const struct bn *b)
{
	size_t n = a->n > b->n ? a->n : b->n;
	uint64_t carry = 0;
	for (size_t i = 0; i < n; i++) {
		u128 s = (u128)(i < a->n ? a->limb[i] : 0) + (i < b->n ? b->limb[i] : 0) + carry;
		a->limb[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	a->n = n;
	if (carry != 0) {
		if (n == BN_LIMBS)
			return false;
		a->limb[a->n++] = carry;
	}
	return true;
}

static int bn_cmp(const struct bn *a, const struct bn *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (size_t i = a->n; i-- > 0;)
		if (a->limb[i] != b->limb[i])
			return a->limb[i] < b->limb[i] ? -1 : 1;
	return 0;
}

struct exact_work {
	struct bn num, den, tmp;
};

/* S in hundredths, half-up: with T = Σ W_k·e_k/p_k = N/D (exact),
 * 100·S = 10000·N / (D·ΣW), and half-up is floor((20000·N + D·ΣW) /
 * (2·D·ΣW)).  The quotient lies in 0..10000 (e_k <= p_k), so a binary
 * search with multiplications is all the division needed. */
static enum score_status exact_standard(const struct score_subtopic_result *subs, size_t n, int64_t weight_sum,
					struct exact_work *w, int64_t *out)
{
	struct bn *N = &w->num, *D = &w->den, *t = &w->tmp;
	bn_set(N, 0);
	bn_set(D, 1);
	for (size_t k = 0; k < n; k++) {
		if (subs[k].weight == 0)
			continue; /* contributes 0; keeps the numbers small */
		/* N/D + W·e/p = (N·p + D·W·e) / (D·p) */
		*t = *D;
		if (!bn_mul_u64(t, (uint64_t)subs[k].weight) || !bn_mul_u64(t, (uint64_t)subs[k].earned) ||
		    !bn_mul_u64(N, (uint64_t)subs[k].possible) || !bn_add(N, t) ||
		    !bn_mul_u64(D, (uint64_t)subs[k].possible))
			return SCORE_ERR_OVERFLOW;
	}
	/* num = 20000·N + D·ΣW ; den = 2·D·ΣW (reuse N and D). */
	*t = *D;
	if (!bn_mul_u64(t, (uint64_t)weight_sum) || !bn_mul_u64(N, 20000u) || !bn_add(N, t) ||
	    !bn_mul_u64(D, (uint64_t)weight_sum) || !bn_mul_u64(D, 2u))
		return SCORE_ERR_OVERFLOW;

	int64_t lo = 0, hi = 10000;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;
		*t = *D;
		if (!bn_mul_u64(t, (uint64_t)mid))
			return SCORE_ERR_OVERFLOW;
		if (bn_cmp(t, N) <= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	*out = lo;
	return SCORE_OK;
}

/* ---- attempts ------------------------------------------------------- */

static enum score_status find_weight(const struct score_weight *weights, size_t n, const char *subtopic, int64_t *out)
{
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(weights[i].subtopic, subtopic) != 0)
			continue;
		if (found)
			return SCORE_ERR_INVALID_WEIGHT;
		found = true;
		*out = weights[i].weight;
	}
	return found ? SCORE_OK : SCORE_ERR_MISSING_WEIGHT;
}

enum score_status score_attempt(const struct score_question *questions, size_t n_questions,
				const struct score_weight *weights, size_t n_weights, const struct score_band *bands,
				size_t n_bands, struct score_result *out)
{
	if (out == NULL || (questions == NULL && n_questions > 0) || (weights == NULL && n_weights > 0))
		return SCORE_ERR_INVALID_ARGUMENT;
	enum score_status st = bands_check(bands, n_bands);
	if (st != SCORE_OK)
		return st;
	for (size_t i = 0; i < n_weights; i++)
		if (weights[i].subtopic == NULL || weights[i].weight < 0)
			return SCORE_ERR_INVALID_WEIGHT;

	struct score_result r;
	memset(&r, 0, sizeof r);

	for (size_t i = 0; i < n_questions; i++) {
		const struct score_question *q = &questions[i];
		bool correct;
		st = score_question_correct(q, &correct);
		if (st != SCORE_OK)
			return st;
		size_t k = 0;
		while (k < r.n_subtopics && strcmp(r.subtopics[k].subtopic, q->subtopic) != 0)
			k++;
		if (k == r.n_subtopics) {
			if (k == SCORE_MAX_SUBTOPICS)
				return SCORE_ERR_TOO_MANY_SUBTOPICS;
			r.subtopics[k].subtopic = q->subtopic;
			r.n_subtopics++;
		}
		struct score_subtopic_result *s = &r.subtopics[k];
		s->questions++;
		if (__builtin_add_overflow(s->possible, q->points, &s->possible))
			return SCORE_ERR_OVERFLOW;
		if (correct && __builtin_add_overflow(s->earned, q->points, &s->earned))
			return SCORE_ERR_OVERFLOW;
	}

	int64_t weight_sum = 0;
	if (weights != NULL) {
		for (size_t k = 0; k < r.n_subtopics; k++) {
			st = find_weight(weights, n_weights, r.subtopics[k].subtopic, &r.subtopics[k].weight);
			if (st != SCORE_OK)
				return st;
			if (__builtin_add_overflow(weight_sum, r.subtopics[k].weight, &weight_sum))
				return SCORE_ERR_OVERFLOW;
		}
	}
	if (weight_sum == 0) {
		/* SPEC §3.1: no weights, or the present ones sum to 0 → equal. */
		r.equal_weights = true;
		const int64_t one = decimal_pow10(DECIMAL_SCALE_WEIGHT);
		for (size_t k = 0; k < r.n_subtopics; k++)
			r.subtopics[k].weight = one;
		weight_sum = (int64_t)r.n_subtopics * one;
	}

	for (size_t k = 0; k < r.n_subtopics; k++) {
		struct score_subtopic_result *s = &r.subtopics[k];
		if (decimal_muldiv(s->earned, 10000, s->possible, &s->score) != DECIMAL_OK)
			return SCORE_ERR_OVERFLOW;
	}

	if (r.n_subtopics == 0) {
		r.standard = 0;
	} else {
		struct exact_work work;
		st = exact_standard(r.subtopics, r.n_subtopics, weight_sum, &work, &r.standard);
		if (st != SCORE_OK)
			return st;
	}

	st = score_band_for(r.standard, bands, n_bands, &r.rounded, &r.band);
	if (st != SCORE_OK)
		return st;
	*out = r;
	return SCORE_OK;
}
