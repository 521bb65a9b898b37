/* Item statistics (see itemstats.h). Two passes over the cells: means first,
 * then centred sums, so that a constant column gives a variance of exactly zero
 * rather than rounding noise. */
#include "domain/itemstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Variances below this are zero (proportions in 0..1: real variances are far
 * larger). */
#define ZERO_VAR 1e-12
/* Above this many question pairs the reliability is not computed (memory). */
#define MAX_PAIRS 20000000u

const struct itemstats_thresholds itemstats_default_thresholds = {
	.too_hard = 0.20,
	.too_easy = 0.90,
	.low_discrimination = 0.20,
	.unused_distractor = 0.05,
	.group_fraction = 0.27,
	.alpha_unsatisfactory = 0.64,
	.min_responses = 10,
};

static const char *const flag_codes[ITEMSTATS_NFLAGS] = {
	"too_hard",           "too_easy",
	"low_discrimination", "negative_discrimination",
	"unused_distractor",  "distractor_beats_key",
};

const char *itemstats_flag_code(int i)
{
	return i >= 0 && i < ITEMSTATS_NFLAGS ? flag_codes[i] : NULL;
}

static struct itemstats_num num(double v)
{
	return (struct itemstats_num){true, v};
}

static const struct itemstats_num none = {false, 0};

double itemstats_round4(double v)
{
	return round(v * 10000.0) / 10000.0;
}

/* Per question accumulators. */
struct qacc {
	size_t n, n_upper, n_lower, n_rest;
	double sum, sum_upper, sum_lower;
	double ss;                /* centred sum of squares of the scores */
	double rest_sum;          /* of the rest scores (mean of the attempt's other questions) */
	double rx, rxx, ryy, rxy; /* centred sums of (score, rest) pairs */
	size_t chosen[ITEMSTATS_MAX_OPTIONS], chosen_upper[ITEMSTATS_MAX_OPTIONS];
};

/* Pair accumulators over the upper triangle: attempts holding both questions,
 * and the sums of their scores centred on each question's overall mean. */
struct pacc {
	double n, sx, sy, sxy;
};

static size_t pair_index(size_t i, size_t j, size_t nq)
{
	/* i < j; row i of the upper triangle starts after rows 0..i-1. */
	return i * nq - i * (i + 1) / 2 + (j - i - 1);
}

struct order_item {
	double total;
	size_t index;
};

static int by_total_desc(const void *a, const void *b)
{
	const struct order_item *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The reliability: alpha = k·c / (v + (k-1)·c), with v the mean item variance,
 * c the mean covariance of the question pairs that met in at least two
 * attempts, and k the mean form length. On a complete matrix this is exactly
 * Cronbach's alpha (KR-20 for 0/1 scores). */
static struct itemstats_num reliability(const struct itemstats_matrix *m, const struct qacc *acc, double k)
{
	size_t nq = m->nquestions;
	double vsum = 0;
	size_t vn = 0;
	for (size_t q = 0; q < nq; q++)
		if (acc[q].n >= 2) {
			vsum += acc[q].ss / (double)(acc[q].n - 1);
			vn++;
		}
	if (vn == 0 || nq < 2 || k < 2)
		return none;
	size_t npairs = nq * (nq - 1) / 2;
	if (npairs > MAX_PAIRS)
		return none;
	struct pacc *p = calloc(npairs, sizeof *p);
	if (!p)
		return none;
	for (size_t a = 0; a < m->nattempts; a++) {
		const struct itemstats_attempt *at = &m->attempts[a];
		const struct itemstats_cell *c = m->cells + at->first_cell;
		for (size_t x = 0; x < at->ncells; x++) {
			size_t qi = c[x].question;
			double dx = c[x].score - acc[qi].sum / (double)acc[qi].n;
			for (size_t y = x + 1; y < at->ncells; y++) {
				size_t qj = c[y].question;
				if (qi == qj)
					continue;
				double dy = c[y].score - acc[qj].sum / (double)acc[qj].n;
				struct pacc *e;
				if (qi < qj) {
					e = &p[pair_index(qi, qj, nq)];
					e->sx += dx;
					e->sy += dy;
				} else {
					e = &p[pair_index(qj, qi, nq)];
					e->sx += dy;
					e->sy += dx;
				}
				e->n += 1;
				e->sxy += dx * dy;
			}
		}
	}
	double csum = 0;
	size_t cn = 0;
	for (size_t i = 0; i < npairs; i++)
		if (p[i].n >= 2) {
			csum += (p[i].sxy - p[i].sx * p[i].sy / p[i].n) / (p[i].n - 1);
			cn++;
		}
	free(p);
	if (cn == 0)
		return none;
	double v = vsum / (double)vn, c = csum / (double)cn;
	double denom = v + (k - 1) * c;
	if (!(denom > ZERO_VAR))
		return none;
	return num(k * c / denom);
}

bool itemstats_compute(const struct itemstats_matrix *m, const struct itemstats_thresholds *t,
		       struct itemstats_qresult *qout, struct itemstats_bresult *bout)
{
	size_t nq = m->nquestions, na = m->nattempts;
	memset(bout, 0, sizeof *bout);
	for (size_t q = 0; q < nq; q++)
		memset(&qout[q], 0, sizeof qout[q]);
	for (size_t q = 0; q < nq; q++)
		if (m->questions[q].noptions < 0 || m->questions[q].noptions > ITEMSTATS_MAX_OPTIONS)
			return false;
	for (size_t a = 0; a < na; a++) {
		const struct itemstats_attempt *at = &m->attempts[a];
		if (at->first_cell > m->ncells || at->ncells > m->ncells - at->first_cell)
			return false;
		for (size_t x = 0; x < at->ncells; x++)
			if (m->cells[at->first_cell + x].question >= nq)
				return false;
	}
	struct qacc *acc = calloc(nq ? nq : 1, sizeof *acc);
	signed char *group = calloc(na ? na : 1, 1);
	double *attempt_sum = calloc(na ? na : 1, sizeof *attempt_sum);
	struct order_item *order = calloc(na ? na : 1, sizeof *order);
	if (!acc || !group || !attempt_sum || !order) {
		free(acc);
		free(group);
		free(attempt_sum);
		free(order);
		return false;
	}

	/* The blueprint: attempts, mean, SD of the standard scores, mean form length.
   */
	bout->attempts = na;
	double tsum = 0, cellsum = 0;
	for (size_t a = 0; a < na; a++) {
		tsum += m->attempts[a].total;
		cellsum += (double)m->attempts[a].ncells;
	}
	double tvar = 0;
	if (na >= 1) {
		double mean = tsum / (double)na;
		bout->mean = num(mean);
		bout->form_length = cellsum / (double)na;
		for (size_t a = 0; a < na; a++)
			tvar += (m->attempts[a].total - mean) * (m->attempts[a].total - mean);
		if (na >= 2) {
			tvar /= (double)(na - 1);
			if (tvar < ZERO_VAR)
				tvar = 0;
			bout->sd = num(sqrt(tvar));
		}
	}

	/* Upper and lower groups by standard score (ties: the earlier attempt first).
   */
	size_t g = (size_t)floor(t->group_fraction * (double)na + 0.5);
	if (g >= 1 && 2 * g <= na && tvar > 0) {
		for (size_t a = 0; a < na; a++)
			order[a] = (struct order_item){m->attempts[a].total, a};
		if (na > 1)
			qsort(order, na, sizeof *order, by_total_desc);
		for (size_t i = 0; i < g; i++) {
			group[order[i].index] = 1;
			group[order[na - 1 - i].index] = -1;
		}
	}

	/* Pass 1: counts, sums, option choices. */
	for (size_t a = 0; a < na; a++) {
		const struct itemstats_attempt *at = &m->attempts[a];
		const struct itemstats_cell *c = m->cells + at->first_cell;
		for (size_t x = 0; x < at->ncells; x++) {
			struct qacc *q = &acc[c[x].question];
			int nopt = m->questions[c[x].question].noptions;
			q->n++;
			q->sum += c[x].score;
			attempt_sum[a] += c[x].score;
			if (group[a] > 0) {
				q->n_upper++;
				q->sum_upper += c[x].score;
			} else if (group[a] < 0) {
				q->n_lower++;
				q->sum_lower += c[x].score;
			}
			for (int o = 0; o < nopt; o++)
				if (c[x].chosen & (1u << o)) {
					q->chosen[o]++;
					if (group[a] > 0)
						q->chosen_upper[o]++;
				}
			if (at->ncells >= 2)
				q->n_rest++;
		}
	}
	/* The rest score of a cell: the mean of the attempt's other questions (forms
   * have one length per blueprint, so means and sums rank alike; the mean also
   * copes with a changed blueprint). */
	for (size_t a = 0; a < na; a++) {
		const struct itemstats_attempt *at = &m->attempts[a];
		if (at->ncells < 2)
			continue;
		const struct itemstats_cell *c = m->cells + at->first_cell;
		for (size_t x = 0; x < at->ncells; x++)
			acc[c[x].question].rest_sum += (attempt_sum[a] - c[x].score) / (double)(at->ncells - 1);
	}

	/* Pass 2: centred sums for the SD and the item-rest correlation. */
	for (size_t a = 0; a < na; a++) {
		const struct itemstats_attempt *at = &m->attempts[a];
		const struct itemstats_cell *c = m->cells + at->first_cell;
		for (size_t x = 0; x < at->ncells; x++) {
			struct qacc *q = &acc[c[x].question];
			double dx = c[x].score - q->sum / (double)q->n;
			q->ss += dx * dx;
			if (at->ncells >= 2) {
				double rest = (attempt_sum[a] - c[x].score) / (double)(at->ncells - 1);
				double dy = rest - q->rest_sum / (double)q->n_rest;
				q->rx += dx;
				q->rxx += dx * dx;
				q->ryy += dy * dy;
				q->rxy += dx * dy;
			}
		}
	}

	for (size_t qi = 0; qi < nq; qi++) {
		const struct qacc *q = &acc[qi];
		const struct itemstats_question *qq = &m->questions[qi];
		struct itemstats_qresult *r = &qout[qi];
		r->responses = q->n;
		if (q->n >= 1)
			r->facility = num(q->sum / (double)q->n);
		double var = q->n >= 2 ? q->ss / (double)(q->n - 1) : 0;
		if (var < ZERO_VAR)
			var = 0;
		if (q->n >= 2)
			r->sd = num(sqrt(var));
		if (q->n_upper >= 1 && q->n_lower >= 1)
			r->discrimination = num(q->sum_upper / (double)q->n_upper - q->sum_lower / (double)q->n_lower);
		if (q->n_rest >= 2 && q->rxx >= ZERO_VAR * (double)q->n_rest && q->ryy >= ZERO_VAR * (double)q->n_rest)
			r->point_biserial = num(q->rxy / sqrt(q->rxx * q->ryy));
		for (int o = 0; o < qq->noptions && q->n; o++)
			r->share[o] = (double)q->chosen[o] / (double)q->n;

		if (q->n < t->min_responses || q->n == 0)
			continue;
		if (r->facility.has && r->facility.v < t->too_hard)
			r->flags |= ITEMSTATS_TOO_HARD;
		if (r->facility.has && r->facility.v > t->too_easy)
			r->flags |= ITEMSTATS_TOO_EASY;
		if (r->discrimination.has && r->discrimination.v < t->low_discrimination)
			r->flags |= ITEMSTATS_LOW_DISCRIMINATION;
		if (r->point_biserial.has && r->point_biserial.v < 0)
			r->flags |= ITEMSTATS_NEGATIVE_DISCRIMINATION;
		if (qq->noptions > 0 && qq->key) {
			size_t key_min = (size_t)-1;
			for (int o = 0; o < qq->noptions; o++)
				if ((qq->key & (1u << o)) && q->chosen_upper[o] < key_min)
					key_min = q->chosen_upper[o];
			for (int o = 0; o < qq->noptions; o++) {
				if (qq->key & (1u << o))
					continue;
				if (r->share[o] < t->unused_distractor)
					r->flags |= ITEMSTATS_UNUSED_DISTRACTOR;
				if (q->n_upper >= 1 && q->chosen_upper[o] > key_min)
					r->flags |= ITEMSTATS_DISTRACTOR_BEATS_KEY;
			}
		}
	}

	bout->alpha = reliability(m, acc, bout->form_length);
	if (bout->alpha.has && bout->sd.has) {
		double rest = 1 - bout->alpha.v;
		bout->sem = num(bout->sd.v * sqrt(rest > 0 ? rest : 0));
	}
	free(acc);
	free(group);
	free(attempt_sum);
	free(order);
	return true;
}

int itemstats_band_of(double score, const struct itemstats_band *bands, size_t nbands)
{
	/* The stored score is rounded half-up to 2 decimals, the band from that
   * rounded to an integer (SPEC §3.1); the small epsilon keeps x.xx5 from
   * falling below in binary. */
	double cents = floor(score * 100.0 + 0.5 + 1e-7) / 100.0;
	double r = floor(cents + 0.5 + 1e-9);
	int band = 0;
	double best = -1;
	for (size_t i = 0; i < nbands; i++)
		if (bands[i].min <= r && bands[i].min > best) {
			best = bands[i].min;
			band = bands[i].score;
		}
	return band;
}

int itemstats_band_certain(double score, struct itemstats_num sem, const struct itemstats_band *bands, size_t nbands)
{
	if (!sem.has || !(sem.v >= 0) || nbands == 0)
		return -1;
	double lo = score - sem.v, hi = score + sem.v;
	if (lo < 0)
		lo = 0;
	if (hi > 100)
		hi = 100;
	return itemstats_band_of(lo, bands, nbands) == itemstats_band_of(hi, bands, nbands);
}

size_t itemstats_bands_parse(const char *text, struct itemstats_band *bands, size_t cap)
{
	size_t n = 0;
	while (text && *text && n < cap) {
		char *end;
		long score = strtol(text, &end, 10);
		if (end == text || *end != ':')
			break;
		const char *p = end + 1;
		double min = strtod(p, &end);
		if (end == p)
			break;
		bands[n++] = (struct itemstats_band){(int)score, min};
		text = *end == ',' ? end + 1 : end;
	}
	return n;
}
