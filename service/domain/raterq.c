/* Rater quality (see raterq.h). */
#include "domain/raterq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const relation_names[RATERQ_RELATIONS] = {"self",        "supervisor", "peer",
							     "subordinate", "customer",   "hr"};

int raterq_relation_of(const char *name)
{
	for (int i = 0; name && i < RATERQ_RELATIONS; i++)
		if (!strcmp(relation_names[i], name))
			return i;
	return -1;
}

const char *raterq_relation_name(int relation)
{
	return relation >= 0 && relation < RATERQ_RELATIONS ? relation_names[relation] : "";
}

/* The thresholds, kept as data: a rater is lenient or severe when their ratings lie a whole point
 * above or below the other raters' of the same employees and items, over at least 5 shared
 * ratings; single_value when one value makes up 80 % of at least 5 ratings (everyone gets a 6);
 * low_agreement when a supervisor's or peer's ratings agree with the other side's less than chance
 * would (weighted kappa below 0) over at least 10 pairs. */
const struct raterq_rule raterq_rules[] = {
	{"lenient", "偏宽", RATERQ_LENIENCY, RATERQ_AT_LEAST, 1.0, 5},
	{"severe", "偏严", RATERQ_LENIENCY, RATERQ_AT_MOST, -1.0, 5},
	{"single_value", "评分单一", RATERQ_MODE_SHARE, RATERQ_AT_LEAST, 0.8, 5},
	{"low_agreement", "上级与同事评价一致性低", RATERQ_KAPPA, RATERQ_BELOW, 0.0, 10},
};
const size_t raterq_nrules = sizeof raterq_rules / sizeof raterq_rules[0];
_Static_assert(sizeof raterq_rules / sizeof raterq_rules[0] <= 32, "flags are bits of a uint32_t");

const char *raterq_metric_name(enum raterq_metric m)
{
	switch (m) {
	case RATERQ_LENIENCY:
		return "leniency";
	case RATERQ_MODE_SHARE:
		return "mode_share";
	case RATERQ_KAPPA:
		return "kappa";
	}
	return "";
}

const char *raterq_op_name(enum raterq_op op)
{
	switch (op) {
	case RATERQ_AT_LEAST:
		return ">=";
	case RATERQ_AT_MOST:
		return "<=";
	case RATERQ_BELOW:
		return "<";
	}
	return "";
}

bool raterq_kappa(const struct raterq_agreement *a, double *kappa)
{
	if (a->pairs <= 0)
		return false;
	double n = (double)a->pairs, row[RATERQ_VALUES] = {0}, col[RATERQ_VALUES] = {0}, po = 0, pe = 0;
	for (int i = 0; i < RATERQ_VALUES; i++)
		for (int j = 0; j < RATERQ_VALUES; j++) {
			double w = 1.0 - fabs((double)(i - j)) / (RATERQ_VALUES - 1);
			po += w * (double)a->m[i][j];
			row[i] += (double)a->m[i][j];
			col[j] += (double)a->m[i][j];
		}
	po /= n;
	for (int i = 0; i < RATERQ_VALUES; i++)
		for (int j = 0; j < RATERQ_VALUES; j++)
			pe += (1.0 - fabs((double)(i - j)) / (RATERQ_VALUES - 1)) * (row[i] / n) * (col[j] / n);
	/* pe = 1 only when both sides used one and the same value: agreement beyond chance is then
	 * not measurable. */
	if (pe > 1.0 - 1e-12)
		return false;
	*kappa = (po - pe) / (1.0 - pe);
	return true;
}

double raterq_mean(const struct raterq_rater *r)
{
	return r->ratings ? (double)r->sum / (double)r->ratings : 0.0;
}

bool raterq_leniency(const struct raterq_rater *r, double *out)
{
	if (r->shared <= 0)
		return false;
	*out = r->leniency_sum / (double)r->shared;
	return true;
}

bool raterq_mode(const struct raterq_rater *r, int *value, double *share)
{
	if (r->ratings <= 0)
		return false;
	int best = 0;
	for (int v = 1; v < RATERQ_VALUES; v++)
		if (r->counts[v] >= r->counts[best])
			best = v;
	*value = best;
	*share = (double)r->counts[best] / (double)r->ratings;
	return true;
}

uint32_t raterq_flags(const struct raterq_rater *r, const struct raterq_rule *rules, size_t nrules)
{
	uint32_t flags = 0;
	for (size_t k = 0; k < nrules && k < 32; k++) {
		double v = 0;
		long count = 0;
		bool has = false;
		int mode;
		switch (rules[k].metric) {
		case RATERQ_LENIENCY:
			has = raterq_leniency(r, &v);
			count = r->shared;
			break;
		case RATERQ_MODE_SHARE:
			has = raterq_mode(r, &mode, &v);
			count = r->ratings;
			break;
		case RATERQ_KAPPA:
			has = raterq_kappa(&r->agreement, &v);
			count = r->agreement.pairs;
			break;
		}
		if (!has || count < rules[k].min_count)
			continue;
		/* A tolerance so that 0.8 of 5 ratings (4/5 in binary floating point) is "at least 0.8". */
		const double eps = 1e-9;
		bool hit = rules[k].op == RATERQ_AT_LEAST  ? v >= rules[k].threshold - eps
			   : rules[k].op == RATERQ_AT_MOST ? v <= rules[k].threshold + eps
							   : v < rules[k].threshold - eps;
		if (hit)
			flags |= 1u << k;
	}
	return flags;
}

static void add_pairs(struct raterq_agreement *a, int sup, const long peer[RATERQ_VALUES], long times)
{
	for (int p = 0; p < RATERQ_VALUES; p++) {
		long n = peer[p] * times;
		if (!n)
			continue;
		a->m[sup][p] += n;
		a->pairs += n;
		if (sup == p)
			a->exact += n;
		if (abs(sup - p) <= 1)
			a->within_one += n;
	}
}

static void add_pairs_col(struct raterq_agreement *a, const long sup[RATERQ_VALUES], int peer)
{
	for (int s = 0; s < RATERQ_VALUES; s++) {
		long n = sup[s];
		if (!n)
			continue;
		a->m[s][peer] += n;
		a->pairs += n;
		if (s == peer)
			a->exact += n;
		if (abs(s - peer) <= 1)
			a->within_one += n;
	}
}

static int by_cell(const void *a, const void *b)
{
	const struct raterq_rating *x = *(const struct raterq_rating *const *)a,
				   *y = *(const struct raterq_rating *const *)b;
	return x->cell < y->cell ? -1 : x->cell > y->cell;
}

bool raterq_compute(const struct raterq_rating *ratings, size_t n, size_t nraters, const struct raterq_rule *rules,
		    size_t nrules, struct raterq_rater *out, struct raterq_agreement *overall)
{
	memset(out, 0, nraters * sizeof *out);
	memset(overall, 0, sizeof *overall);
	for (size_t i = 0; i < n; i++)
		if (ratings[i].rater >= nraters || ratings[i].relation >= RATERQ_RELATIONS ||
		    ratings[i].score >= RATERQ_VALUES)
			return false;
	const struct raterq_rating **order = malloc((n ? n : 1) * sizeof *order);
	if (!order)
		return false;
	for (size_t i = 0; i < n; i++)
		order[i] = &ratings[i];
	if (n > 1)
		qsort(order, n, sizeof *order, by_cell);
	for (size_t start = 0; start < n;) {
		size_t end = start;
		long sum = 0, sup[RATERQ_VALUES] = {0}, peer[RATERQ_VALUES] = {0};
		while (end < n && order[end]->cell == order[start]->cell) {
			const struct raterq_rating *x = order[end];
			sum += x->score;
			if (x->relation == RATERQ_SUPERVISOR)
				sup[x->score]++;
			else if (x->relation == RATERQ_PEER)
				peer[x->score]++;
			end++;
		}
		long count = (long)(end - start);
		for (size_t k = start; k < end; k++) {
			const struct raterq_rating *x = order[k];
			struct raterq_rater *r = &out[x->rater];
			r->ratings++;
			r->sum += x->score;
			r->counts[x->score]++;
			r->relations |= 1u << x->relation;
			if (count > 1) {
				r->shared++;
				r->leniency_sum += (double)x->score - (double)(sum - x->score) / (double)(count - 1);
			}
			if (x->relation == RATERQ_SUPERVISOR)
				add_pairs(&r->agreement, x->score, peer, 1);
			else if (x->relation == RATERQ_PEER)
				add_pairs_col(&r->agreement, sup, x->score);
		}
		for (int s = 0; s < RATERQ_VALUES; s++)
			if (sup[s])
				add_pairs(overall, s, peer, sup[s]);
		start = end;
	}
	free(order);
	for (size_t k = 0; k < nraters; k++)
		out[k].flags = raterq_flags(&out[k], rules, nrules);
	return true;
}
