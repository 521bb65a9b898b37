/* Bank quality checks and the surface-cue baseline (rules: helpers/bank-rules.md, README "Bank
 * checks"). Every question is normalised once (NFKC, case folding, whitespace dropped); the pair
 * checks then run per item: answer_leak by substring search, near_duplicate by an all-pairs
 * bigram-set join with prefix filtering (only pairs sharing one of their rarest bigrams are
 * compared), which keeps 2,000 questions of one item well under a second. */
#include "domain/banklint.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/textnorm.h"

/* ------------------------------------------------------------------ data */

static const char *const default_absolute_words[] = {
	"只要", "一定", "无需", "所有", "全部", "绝不", "必然", "必须", "总是", "从不", "从来", "完全",
	"任何", "唯一", "一律", "永远", "绝对", "毫无", "根本", "只有", "仅需", "全都", "务必", "无论",
};

/* English function words that an abbreviation may skip ("Total Cost of Ownership" -> TCO). */
static const char *const initials_skip_words[] = {"of", "and", "the",  "for", "a",  "an", "to",
						  "in", "on",  "with", "by",  "at", "as", "or"};

static const struct banklint_config default_config = {
	.absolute_words = default_absolute_words,
	.absolute_word_count = sizeof default_absolute_words / sizeof default_absolute_words[0],
	.few_options_below = 4,
	.few_distractors_below = 2,
	.leak_min_chars = 2,
	.initials_min = 2,
	.initials_max = 6,
	.near_duplicate_jaccard = 0.6,
	.position_cell_min = 4,
	.position_max_share = 0.5,
};

const struct banklint_config *banklint_config_default(void)
{
	return &default_config;
}

static const char *const code_names[BANKLINT_CODE_COUNT] = {
	[BANKLINT_KEY_LONGEST] = "key_longest",
	[BANKLINT_FEW_OPTIONS] = "few_options",
	[BANKLINT_FEW_DISTRACTORS] = "few_distractors",
	[BANKLINT_ABSOLUTE_WORDING] = "absolute_wording",
	[BANKLINT_ANSWER_LEAK] = "answer_leak",
	[BANKLINT_STEM_GIVES_ANSWER] = "stem_gives_answer",
	[BANKLINT_NEAR_DUPLICATE] = "near_duplicate",
	[BANKLINT_SINGLE_FILL_ANSWER] = "single_fill_answer",
	[BANKLINT_KEY_POSITION_BIAS] = "key_position_bias",
};

const char *banklint_code_str(enum banklint_code c)
{
	return (unsigned)c < BANKLINT_CODE_COUNT ? code_names[c] : "unknown";
}

/* ------------------------------------------------------------------ state */

struct nq {
	const struct bank_question *q;
	bool checked;
	const char *label; /* borrowed from the caller, or own_label */
	char *own_label;
	char *stem_ws; /* NFKC + fold, whitespace kept (for initials) */
	char *stem;    /* NFKC + fold, whitespace dropped */
	char *opts[BANK_MAX_OPTIONS];
	size_t optlen[BANK_MAX_OPTIONS]; /* code points after NFKC and trimming */
	char **fills;                    /* distinct normalised accepted answers, whitespace dropped */
	size_t *fill_cps;
	size_t nfill;
	char *hay;         /* stem and options, separated by U+001F: answer_leak's haystack */
	uint64_t *bigrams; /* sorted unique bigrams, then ranks (uint32 in the low half) */
	size_t nbigrams;
	bool stem_absolute; /* stem contains an absolute word */
	const char *stem_absolute_word;
	unsigned option_absolute; /* options containing an absolute word */
	bool gives;               /* stem_gives_answer */
	double p;                 /* cue strategy's probability of being right */
};

struct banklint {
	const struct banklint_config *cfg;
	char **words; /* normalised absolute words */
	size_t nwords;
	struct nq *qs; /* checked first, then others */
	size_t n, nchecked;
	struct banklint_warning *warnings;
	size_t nwarn, capwarn, total;
	bool nomem;
};

static void warn(struct banklint *l, size_t index, enum banklint_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void warn(struct banklint *l, size_t index, enum banklint_code code, const char *fmt, ...)
{
	l->total++;
	if (l->nwarn >= BANKLINT_MAX_WARNINGS || l->nomem)
		return;
	if (l->nwarn == l->capwarn) {
		size_t cap = l->capwarn ? l->capwarn * 2 : 64;
		struct banklint_warning *w = realloc(l->warnings, cap * sizeof *w);
		if (!w) {
			l->nomem = true;
			return;
		}
		l->warnings = w;
		l->capwarn = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		l->nomem = true;
		return;
	}
	l->warnings[l->nwarn++] = (struct banklint_warning){.index = index, .code = code, .message = msg};
}

/* ------------------------------------------------------------------ text */

/* NFKC (+ fold), then whitespace dropped when drop_ws. Text that cannot be normalised (invalid
 * UTF-8 never passes the parser; an over-long field can) is used as it is. */
static char *norm(struct banklint *l, const char *s, bool fold, bool drop_ws)
{
	char *out = NULL;
	size_t n = 0;
	enum textnorm_status st = textnorm_normalize_ex(s ? s : "", s ? strlen(s) : 0, fold, &out, &n);
	if (st == TEXTNORM_ERR_NOMEM) {
		l->nomem = true;
		return NULL;
	}
	if (st != TEXTNORM_OK) {
		out = strdup(s ? s : "");
		if (!out) {
			l->nomem = true;
			return NULL;
		}
		n = strlen(out);
	}
	if (drop_ws) {
		size_t pos = 0, w = 0, start;
		int cp;
		while (start = pos, textnorm_next(out, n, &pos, &cp)) {
			if (!textnorm_is_space(cp)) {
				memmove(out + w, out + start, pos - start);
				w += pos - start;
			}
		}
		out[w] = '\0';
	}
	return out;
}

static size_t cp_count(const char *s)
{
	size_t pos = 0, n = 0, len = strlen(s);
	int cp;
	while (textnorm_next(s, len, &pos, &cp))
		n++;
	return n;
}

static const char *find_absolute(const struct banklint *l, const char *text)
{
	for (size_t i = 0; i < l->nwords; i++)
		if (l->words[i][0] && strstr(text, l->words[i]))
			return l->cfg->absolute_words[i];
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Character bigrams of stem + options, normalised, whitespace and punctuation dropped. */
static bool make_bigrams(struct nq *x)
{
	size_t total = strlen(x->stem);
	for (size_t i = 0; i < x->q->option_count; i++)
		total += strlen(x->opts[i]);
	x->bigrams = malloc((total + 1) * sizeof *x->bigrams);
	if (!x->bigrams)
		return false;
	int prev = -1;
	size_t n = 0;
	for (size_t part = 0; part <= x->q->option_count; part++) {
		const char *s = part == 0 ? x->stem : x->opts[part - 1];
		size_t pos = 0, len = strlen(s);
		int cp;
		while (textnorm_next(s, len, &pos, &cp)) {
			if (textnorm_is_punct(cp))
				continue;
			if (prev >= 0)
				x->bigrams[n++] = ((uint64_t)(uint32_t)prev << 21) | (uint32_t)cp;
			prev = cp;
		}
	}
	if (n > 1)
		qsort(x->bigrams, n, sizeof *x->bigrams, cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || x->bigrams[u - 1] != x->bigrams[i])
			x->bigrams[u++] = x->bigrams[i];
	x->nbigrams = u;
	return true;
}

/* ------------------------------------------------------------------ stem_gives_answer */

static bool is_skip_word(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof initials_skip_words / sizeof initials_skip_words[0]; i++)
		if (strlen(initials_skip_words[i]) == n && !memcmp(initials_skip_words[i], w, n))
			return true;
	return false;
}

static bool all_latin(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/* Whether ans (lower-case Latin letters) is the initials of consecutive English words of stem
 * (folded, whitespace kept): every word, or every word but inner function words. Words are runs
 * of Latin letters; consecutive words are separated by spaces or hyphens only. */
static bool initials_match(const char *stem, const char *ans, size_t alen, const char **from, size_t *fromlen)
{
	struct word {
		const char *s;
		size_t n;
		bool joined; /* to the previous word */
	} words[256];
	size_t nw = 0;
	const char *p = stem, *last_end = NULL;
	while (*p && nw < 256) {
		if (*p >= 'a' && *p <= 'z') {
			const char *s = p;
			while (*p >= 'a' && *p <= 'z')
				p++;
			bool joined = false;
			if (last_end) {
				joined = true;
				for (const char *g = last_end; g < s; g++)
					if (*g != ' ' && *g != '-' && *g != '\t')
						joined = false;
				if (last_end == s)
					joined = false;
			}
			words[nw++] = (struct word){s, (size_t)(p - s), joined};
			last_end = p;
		} else {
			p++;
		}
	}
	for (size_t i = 0; i < nw; i++) {
		for (int skip = 1; skip >= 0; skip--) {
			char got[16];
			size_t n = 0;
			for (size_t k = i; k < nw && (k == i || words[k].joined) && n < alen; k++) {
				if (skip && k > i && is_skip_word(words[k].s, words[k].n))
					continue;
				got[n++] = words[k].s[0];
				if (n == alen && !memcmp(got, ans, alen)) {
					*from = words[i].s;
					*fromlen = (size_t)(words[k].s + words[k].n - words[i].s);
					return true;
				}
			}
		}
	}
	return false;
}

static void check_stem_gives(struct banklint *l, size_t idx)
{
	struct nq *x = &l->qs[idx];
	for (size_t a = 0; a < x->nfill; a++) {
		const char *ans = x->fills[a];
		size_t alen = strlen(ans);
		if (strstr(x->stem, ans)) {
			x->gives = true;
			if (x->checked)
				warn(l, idx, BANKLINT_STEM_GIVES_ANSWER, "the accepted answer '%s' appears in the stem",
				     ans);
			return;
		}
		const char *from;
		size_t fromlen;
		if (alen >= l->cfg->initials_min && alen <= l->cfg->initials_max && all_latin(ans, alen) &&
		    initials_match(x->stem_ws, ans, alen, &from, &fromlen)) {
			x->gives = true;
			if (x->checked)
				warn(l, idx, BANKLINT_STEM_GIVES_ANSWER,
				     "the accepted answer '%s' is spelled out by the initials of '%.*s' in the stem",
				     ans, (int)fromlen, from);
			return;
		}
	}
}

/* ------------------------------------------------------------------ per question */

static size_t popcount(unsigned m)
{
	size_t n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

static bool prepare(struct banklint *l, size_t idx)
{
	struct nq *x = &l->qs[idx];
	const struct bank_question *q = x->q;
	if (!x->label) {
		int rc = x->checked ? (q->external_id ? asprintf(&x->own_label, "row %zu (%s)", q->row, q->external_id)
						      : asprintf(&x->own_label, "row %zu", q->row))
				    : (q->external_id ? asprintf(&x->own_label, "active question %s", q->external_id)
						      : asprintf(&x->own_label, "active question #%zu", q->row));
		if (rc < 0)
			return false;
		x->label = x->own_label;
	}
	if (!(x->stem_ws = norm(l, q->stem, true, false)) || !(x->stem = norm(l, q->stem, true, true)))
		return false;
	size_t haylen = strlen(x->stem) + 1;
	for (size_t i = 0; i < q->option_count; i++) {
		char *plain = norm(l, q->options[i], false, false);
		if (!plain || !(x->opts[i] = norm(l, q->options[i], true, true))) {
			free(plain);
			return false;
		}
		x->optlen[i] = cp_count(plain);
		free(plain);
		haylen += strlen(x->opts[i]) + 1;
	}
	x->hay = malloc(haylen + 1);
	if (!x->hay)
		return false;
	strcpy(x->hay, x->stem);
	for (size_t i = 0; i < q->option_count; i++) {
		strcat(x->hay, "\x1f");
		strcat(x->hay, x->opts[i]);
	}
	if (q->fill_count) {
		x->fills = calloc(q->fill_count, sizeof *x->fills);
		x->fill_cps = calloc(q->fill_count, sizeof *x->fill_cps);
		if (!x->fills || !x->fill_cps)
			return false;
		for (size_t i = 0; i < q->fill_count; i++) {
			char *a = norm(l, q->fill_answers[i], true, true);
			if (!a)
				return false;
			bool dup = !a[0];
			for (size_t k = 0; k < x->nfill && !dup; k++)
				dup = !strcmp(x->fills[k], a);
			if (dup) {
				free(a);
				continue;
			}
			x->fill_cps[x->nfill] = cp_count(a);
			x->fills[x->nfill++] = a;
		}
	}
	x->stem_absolute_word = find_absolute(l, x->stem);
	x->stem_absolute = x->stem_absolute_word != NULL;
	for (size_t i = 0; i < q->option_count; i++)
		if (find_absolute(l, x->opts[i]))
			x->option_absolute |= 1u << i;
	return make_bigrams(x);
}

/* The single's strictly longest option, or -1. */
static int strict_longest(const struct nq *x)
{
	int best = -1;
	bool tie = false;
	for (size_t i = 0; i < x->q->option_count; i++) {
		if (best < 0 || x->optlen[i] > x->optlen[best]) {
			best = (int)i;
			tie = false;
		} else if (x->optlen[i] == x->optlen[best]) {
			tie = true;
		}
	}
	return tie ? -1 : best;
}

/* The cue strategy of bank-rules.md, "Surface-cue baseline". */
static double cue_probability(const struct nq *x)
{
	const struct bank_question *q = x->q;
	unsigned all = (q->option_count >= 32 ? ~0u : (1u << q->option_count) - 1);
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE: {
		int longest = strict_longest(x);
		if (longest >= 0)
			return (q->answer_mask == 1u << longest) ? 1.0 : 0.0;
		unsigned left = all & ~x->option_absolute;
		if (!left)
			left = all;
		return (q->answer_mask & left) ? 1.0 / (double)popcount(left) : 0.0;
	}
	case CATALOG_QTYPE_MULTIPLE: {
		unsigned plain = all & ~x->option_absolute;
		if (x->option_absolute && popcount(plain) >= 2)
			return plain == q->answer_mask ? 1.0 : 0.0;
		size_t min = SIZE_MAX;
		for (size_t i = 0; i < q->option_count; i++)
			if (x->optlen[i] < min)
				min = x->optlen[i];
		size_t tied = 0;
		bool hit = false;
		for (size_t i = 0; i < q->option_count; i++) {
			if (x->optlen[i] != min)
				continue;
			tied++;
			if ((all & ~(1u << i)) == q->answer_mask)
				hit = true;
		}
		return hit ? 1.0 / (double)tied : 0.0;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		return x->stem_absolute ? (q->answer_bool ? 0.0 : 1.0) : 0.5;
	case CATALOG_QTYPE_FILL:
		return x->gives ? 1.0 : 0.0;
	}
	return 0.0;
}

static void check_single(struct banklint *l, size_t idx)
{
	const struct nq *x = &l->qs[idx];
	const struct bank_question *q = x->q;
	char letters[BANK_MAX_OPTIONS + 1];
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE: {
		int longest = strict_longest(x);
		if (longest >= 0 && q->answer_mask == 1u << longest) {
			size_t next = 0;
			for (size_t i = 0; i < q->option_count; i++)
				if ((int)i != longest && x->optlen[i] > next)
					next = x->optlen[i];
			warn(l, idx, BANKLINT_KEY_LONGEST,
			     "the key %c is strictly the longest option (%zu characters; the next longest has %zu)",
			     'A' + longest, x->optlen[longest], next);
		}
		if (q->option_count < l->cfg->few_options_below)
			warn(l, idx, BANKLINT_FEW_OPTIONS,
			     "single-choice question with %zu options (at least %zu expected)", q->option_count,
			     l->cfg->few_options_below);
		break;
	}
	case CATALOG_QTYPE_MULTIPLE: {
		size_t wrong = q->option_count - popcount(q->answer_mask);
		bank_answer_letters(q->answer_mask, letters);
		if (wrong < l->cfg->few_distractors_below)
			warn(l, idx, BANKLINT_FEW_DISTRACTORS,
			     "multiple-choice question with %zu wrong option%s of %zu (key %s; at least %zu wrong expected)",
			     wrong, wrong == 1 ? "" : "s", q->option_count, letters, l->cfg->few_distractors_below);
		break;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		if (x->stem_absolute)
			warn(l, idx, BANKLINT_ABSOLUTE_WORDING,
			     "true/false statement contains the absolute word '%s' (key: %s)", x->stem_absolute_word,
			     q->answer_bool ? "true" : "false");
		break;
	case CATALOG_QTYPE_FILL:
		if (x->nfill == 1)
			warn(l, idx, BANKLINT_SINGLE_FILL_ANSWER,
			     "fill-in with only one accepted answer ('%s'); accept the other usual wordings too",
			     x->fills[0]);
		break;
	}
}

/* ------------------------------------------------------------------ grouping */

/* Indices sorted by (item, subtopic, level, index), through one composite key per question (no
 * comparator context, so concurrent lints on several offload threads do not share state). */
static size_t *sorted_indices(struct banklint *l)
{
	size_t *idx = malloc((l->n ? l->n : 1) * sizeof *idx);
	if (!idx)
		return NULL;
	uint64_t *keys = malloc((l->n ? l->n : 1) * sizeof *keys);
	if (!keys) {
		free(idx);
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct bank_question *q = l->qs[i].q;
		keys[i] = ((uint64_t)q->item->position << 52) | ((uint64_t)q->subtopic->index << 40) |
			  ((uint64_t)(unsigned)q->level->rank << 36) | (uint64_t)i;
	}
	if (l->n > 1)
		qsort(keys, l->n, sizeof *keys, cmp_u64);
	for (size_t i = 0; i < l->n; i++)
		idx[i] = (size_t)(keys[i] & ((1ull << 36) - 1));
	free(keys);
	return idx;
}

static void check_positions(struct banklint *l, const size_t *idx)
{
	for (size_t s = 0; s < l->n;) {
		const struct bank_question *first = l->qs[idx[s]].q;
		size_t e = s;
		while (e < l->n && l->qs[idx[e]].q->subtopic == first->subtopic &&
		       l->qs[idx[e]].q->level == first->level)
			e++;
		size_t counts[BANK_MAX_OPTIONS] = {0}, singles = 0;
		for (size_t k = s; k < e; k++) {
			const struct bank_question *q = l->qs[idx[k]].q;
			if (q->type != CATALOG_QTYPE_SINGLE)
				continue;
			singles++;
			for (int b = 0; b < BANK_MAX_OPTIONS; b++)
				if (q->answer_mask == 1u << b)
					counts[b]++;
		}
		for (int b = 0; singles >= l->cfg->position_cell_min && b < BANK_MAX_OPTIONS; b++) {
			if ((double)counts[b] <= l->cfg->position_max_share * (double)singles)
				continue;
			size_t at = SIZE_MAX, any = SIZE_MAX;
			for (size_t k = s; k < e; k++) {
				const struct nq *x = &l->qs[idx[k]];
				if (!x->checked || x->q->type != CATALOG_QTYPE_SINGLE)
					continue;
				if (any == SIZE_MAX)
					any = idx[k];
				if (at == SIZE_MAX && x->q->answer_mask == 1u << b)
					at = idx[k];
			}
			if (at == SIZE_MAX)
				at = any;
			if (at != SIZE_MAX)
				warn(l, at, BANKLINT_KEY_POSITION_BIAS,
				     "the key is %c in %zu of the %zu single-choice questions of %s / %s / %s", 'A' + b,
				     counts[b], singles, first->item->code, first->subtopic->code, first->level->code);
		}
		s = e;
	}
}

/* answer_leak within each item: an accepted answer of a fill-in inside another question. */
static void check_leaks(struct banklint *l, const size_t *idx)
{
	for (size_t s = 0; s < l->n;) {
		const struct catalog_item *item = l->qs[idx[s]].q->item;
		size_t e = s;
		while (e < l->n && l->qs[idx[e]].q->item == item)
			e++;
		for (size_t f = s; f < e; f++) {
			const struct nq *fx = &l->qs[idx[f]];
			if (fx->q->type != CATALOG_QTYPE_FILL)
				continue;
			for (size_t a = 0; a < fx->nfill; a++) {
				const char *ans = fx->fills[a];
				if (fx->fill_cps[a] < l->cfg->leak_min_chars)
					continue;
				size_t hits = 0;
				const char *shown[3] = {0};
				for (size_t k = s; k < e; k++) {
					const struct nq *ox = &l->qs[idx[k]];
					if (k == f || (!fx->checked && !ox->checked) || !strstr(ox->hay, ans))
						continue;
					if (fx->checked) {
						if (hits < 3)
							shown[hits] = ox->label;
						hits++;
					} else {
						warn(l, idx[k], BANKLINT_ANSWER_LEAK,
						     "contains '%s', an accepted answer of the fill-in %s of the same item",
						     ans, fx->label);
					}
				}
				if (hits == 1)
					warn(l, idx[f], BANKLINT_ANSWER_LEAK,
					     "the accepted answer '%s' appears in %s of the same item", ans, shown[0]);
				else if (hits == 2)
					warn(l, idx[f], BANKLINT_ANSWER_LEAK,
					     "the accepted answer '%s' appears in %s and %s of the same item", ans,
					     shown[0], shown[1]);
				else if (hits == 3)
					warn(l, idx[f], BANKLINT_ANSWER_LEAK,
					     "the accepted answer '%s' appears in %s, %s and %s of the same item", ans,
					     shown[0], shown[1], shown[2]);
				else if (hits > 3)
					warn(l, idx[f], BANKLINT_ANSWER_LEAK,
					     "the accepted answer '%s' appears in %s, %s, %s and %zu more questions of the same item",
					     ans, shown[0], shown[1], shown[2], hits - 3);
			}
		}
		s = e;
	}
}

/* ------------------------------------------------------------------ near_duplicate */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

struct freq {
	uint64_t bigram;
	uint32_t count;
};

static int cmp_freq_bigram(const void *a, const void *b)
{
	return cmp_u64(&((const struct freq *)a)->bigram, &((const struct freq *)b)->bigram);
}

static size_t prefix_len(size_t n, double t)
{
	size_t need = (size_t)ceil(t * (double)n - 1e-9);
	if (need < 1)
		need = 1;
	return need > n ? 1 : n - need + 1;
}

/* Replaces every question's bigrams by their global ranks (rarest first), sorted. */
static bool rank_bigrams(struct banklint *l, size_t *nranks)
{
	size_t total = 0;
	for (size_t i = 0; i < l->n; i++)
		total += l->qs[i].nbigrams;
	uint64_t *all = malloc((total ? total : 1) * sizeof *all);
	if (!all)
		return false;
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->qs[i].nbigrams; j++)
			all[k++] = l->qs[i].bigrams[j];
	if (total > 1)
		qsort(all, total, sizeof *all, cmp_u64);
	struct freq *fr = malloc((total ? total : 1) * sizeof *fr);
	if (!fr) {
		free(all);
		return false;
	}
	size_t nf = 0;
	for (size_t i = 0; i < total; i++) {
		if (nf && fr[nf - 1].bigram == all[i])
			fr[nf - 1].count++;
		else
			fr[nf++] = (struct freq){all[i], 1};
	}
	free(all);
	/* rank = position in (count, bigram) order; stored by bigram for lookup */
	uint64_t *byfreq = malloc((nf ? nf : 1) * sizeof *byfreq);
	uint32_t *rank = malloc((nf ? nf : 1) * sizeof *rank);
	if (!byfreq || !rank) {
		free(byfreq);
		free(rank);
		free(fr);
		return false;
	}
	for (size_t i = 0; i < nf; i++)
		byfreq[i] = ((uint64_t)fr[i].count << 32) | (uint32_t)i; /* i: index in bigram order */
	if (nf > 1)
		qsort(byfreq, nf, sizeof *byfreq, cmp_u64);
	for (size_t r = 0; r < nf; r++)
		rank[(uint32_t)byfreq[r]] = (uint32_t)r;
	free(byfreq);
	*nranks = nf;
	for (size_t i = 0; i < l->n; i++) {
		struct nq *x = &l->qs[i];
		uint32_t *r = (uint32_t *)x->bigrams; /* reuse the buffer: 32-bit ranks */
		for (size_t j = 0; j < x->nbigrams; j++) {
			struct freq key = {.bigram = x->bigrams[j]};
			const struct freq *hit = bsearch(&key, fr, nf, sizeof *fr, cmp_freq_bigram);
			r[j] = rank[hit - fr];
		}
		if (x->nbigrams > 1)
			qsort(r, x->nbigrams, sizeof *r, cmp_u32);
	}
	free(rank);
	free(fr);
	return true;
}

/* Whether the bigram Jaccard of a and b reaches t (then *jac holds it). The merge stops as soon
 * as the bigrams left cannot bring the overlap up to what t needs. */
static bool jaccard_reaches(const struct nq *a, const struct nq *b, double t, double *jac)
{
	const uint32_t *x = (const uint32_t *)a->bigrams, *y = (const uint32_t *)b->bigrams;
	size_t na = a->nbigrams, nb = b->nbigrams;
	/* inter / (na + nb - inter) >= t  <=>  inter >= t (na + nb) / (1 + t) */
	double need = t * (double)(na + nb) / (1.0 + t) - 1e-9;
	size_t i = 0, j = 0, inter = 0;
	while (i < na && j < nb) {
		size_t left = na - i < nb - j ? na - i : nb - j;
		if ((double)(inter + left) < need)
			return false;
		if (x[i] == y[j]) {
			inter++;
			i++;
			j++;
		} else if (x[i] < y[j]) {
			i++;
		} else {
			j++;
		}
	}
	if ((double)inter < need)
		return false;
	*jac = (double)inter / (double)(na + nb - inter);
	return true;
}

static void check_near_duplicates(struct banklint *l)
{
	double t = l->cfg->near_duplicate_jaccard;
	size_t nranks = 0;
	if (!(t > 0.0) || t > 1.0)
		return;
	if (!rank_bigrams(l, &nranks)) {
		l->nomem = true;
		return;
	}
	/* (token, question) pairs of every question's prefix, sorted: one run per token */
	size_t total = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->qs[i].nbigrams)
			total += prefix_len(l->qs[i].nbigrams, t);
	uint64_t *post = malloc((total ? total : 1) * sizeof *post);
	size_t *run = calloc(nranks + 1, sizeof *run); /* run[token] = first entry of the token */
	size_t *stamp = malloc((l->n ? l->n : 1) * sizeof *stamp);
	if (!post || !run || !stamp) {
		l->nomem = true;
		goto done;
	}
	size_t np = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct nq *x = &l->qs[i];
		const uint32_t *r = (const uint32_t *)x->bigrams;
		stamp[i] = SIZE_MAX;
		if (!x->nbigrams)
			continue;
		for (size_t j = 0, p = prefix_len(x->nbigrams, t); j < p; j++)
			post[np++] = ((uint64_t)r[j] << 32) | (uint32_t)i;
	}
	if (np > 1)
		qsort(post, np, sizeof *post, cmp_u64);
	for (size_t k = np; k-- > 0;)
		run[post[k] >> 32] = k;
	/* Each question meets the earlier questions sharing one of its prefix tokens, once. */
	for (size_t i = 0; i < l->n; i++) {
		const struct nq *x = &l->qs[i];
		const uint32_t *r = (const uint32_t *)x->bigrams;
		if (!x->nbigrams)
			continue;
		for (size_t tk = 0, p = prefix_len(x->nbigrams, t); tk < p; tk++) {
			for (size_t k = run[r[tk]]; k < np && (post[k] >> 32) == r[tk]; k++) {
				size_t j = (size_t)(uint32_t)post[k];
				if (j >= i)
					break;
				if (stamp[j] == i)
					continue;
				stamp[j] = i;
				const struct nq *y = &l->qs[j];
				if (x->q->item != y->q->item || (!x->checked && !y->checked))
					continue;
				size_t lo = x->nbigrams < y->nbigrams ? x->nbigrams : y->nbigrams;
				size_t hi = x->nbigrams + y->nbigrams - lo;
				if ((double)lo < t * (double)hi - 1e-9)
					continue;
				double jac;
				if (!jaccard_reaches(x, y, t, &jac))
					continue;
				/* on the later checked question of the pair, naming the other */
				size_t on = x->checked ? i : j, other = on == i ? j : i;
				warn(l, on, BANKLINT_NEAR_DUPLICATE,
				     "nearly the same question as %s (character-bigram Jaccard %.2f)",
				     l->qs[other].label, jac);
			}
		}
	}
done:
	free(stamp);
	free(run);
	free(post);
}

/* ------------------------------------------------------------------ run */

static int cmp_warning(const void *a, const void *b)
{
	const struct banklint_warning *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	return strcmp(x->message, y->message);
}

struct banklint *banklint_run(const struct banklint_config *cfg, const struct banklint_set *checked,
			      const struct banklint_set *others)
{
	struct banklint *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->cfg = cfg ? cfg : &default_config;
	size_t nc = checked ? checked->count : 0, no = others ? others->count : 0;
	l->n = nc + no;
	l->nchecked = nc;
	l->qs = calloc(l->n ? l->n : 1, sizeof *l->qs);
	l->words = calloc(l->cfg->absolute_word_count ? l->cfg->absolute_word_count : 1, sizeof *l->words);
	if (!l->qs || !l->words)
		goto fail;
	for (size_t i = 0; i < l->cfg->absolute_word_count; i++) {
		if (!(l->words[i] = norm(l, l->cfg->absolute_words[i], true, true)))
			goto fail;
		l->nwords++;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct banklint_set *set = i < nc ? checked : others;
		size_t k = i < nc ? i : i - nc;
		struct nq *x = &l->qs[i];
		x->q = &set->questions[k];
		x->checked = i < nc;
		x->label = set->labels ? set->labels[k] : NULL;
		if (!prepare(l, i))
			goto fail;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->qs[i].q->type == CATALOG_QTYPE_FILL)
			check_stem_gives(l, i);
		l->qs[i].p = cue_probability(&l->qs[i]);
		if (l->qs[i].checked)
			check_single(l, i);
	}
	size_t *idx = sorted_indices(l);
	if (!idx)
		goto fail;
	check_positions(l, idx);
	check_leaks(l, idx);
	free(idx);
	check_near_duplicates(l);
	if (l->nomem)
		goto fail;
	if (l->nwarn > 1) /* qsort(NULL, 0) is undefined (glibc 2.36 declares it nonnull; UBSan stops on it) */
		qsort(l->warnings, l->nwarn, sizeof *l->warnings, cmp_warning);
	return l;
fail:
	banklint_free(l);
	return NULL;
}

void banklint_free(struct banklint *l)
{
	if (!l)
		return;
	for (size_t i = 0; l->qs && i < l->n; i++) {
		struct nq *x = &l->qs[i];
		free(x->own_label);
		free(x->stem_ws);
		free(x->stem);
		for (size_t k = 0; k < BANK_MAX_OPTIONS; k++)
			free(x->opts[k]);
		for (size_t k = 0; k < x->nfill; k++)
			free(x->fills[k]);
		free(x->fills);
		free(x->fill_cps);
		free(x->hay);
		free(x->bigrams);
	}
	free(l->qs);
	for (size_t i = 0; i < l->nwords; i++)
		free(l->words[i]);
	free(l->words);
	for (size_t i = 0; i < l->nwarn; i++)
		free(l->warnings[i].message);
	free(l->warnings);
	free(l);
}

size_t banklint_warning_count(const struct banklint *l)
{
	return l->nwarn;
}

size_t banklint_warning_total(const struct banklint *l)
{
	return l->total;
}

const struct banklint_warning *banklint_warning_at(const struct banklint *l, size_t i)
{
	return i < l->nwarn ? &l->warnings[i] : NULL;
}

double banklint_cue_probability(const struct banklint *l, size_t index)
{
	return index < l->n ? l->qs[index].p : 0.0;
}

/* ------------------------------------------------------------------ baseline */

bool banklint_baseline(const struct banklint *l, const struct banklint_draw *draws, size_t ndraws,
		       const double *weights, double *score)
{
	*score = 0.0;
	if (!ndraws)
		return false;
	const struct catalog_item *item = draws[0].subtopic ? draws[0].subtopic->item : NULL;
	if (!item || item->subtopic_count == 0 || item->subtopic_count > 64)
		return false;
	double earned[64] = {0}, possible[64] = {0};
	for (size_t d = 0; d < ndraws; d++) {
		const struct banklint_draw *dr = &draws[d];
		if (!dr->subtopic || dr->subtopic->item != item || dr->count <= 0)
			continue;
		double e = 0.0, p = 0.0;
		size_t n = 0;
		for (size_t i = 0; i < l->n; i++) {
			const struct bank_question *q = l->qs[i].q;
			if (q->subtopic != dr->subtopic || q->level != dr->level)
				continue;
			e += l->qs[i].p * (double)q->points_centi;
			p += (double)q->points_centi;
			n++;
		}
		if (!n)
			continue;
		/* expected points of count questions drawn at random from the cell */
		earned[dr->subtopic->position] += (double)dr->count * e / (double)n;
		possible[dr->subtopic->position] += (double)dr->count * p / (double)n;
	}
	bool use_weights = false;
	for (size_t s = 0; weights && s < item->subtopic_count; s++)
		if (possible[s] > 0 && weights[s] > 0)
			use_weights = true;
	double sum = 0.0, wsum = 0.0;
	for (size_t s = 0; s < item->subtopic_count; s++) {
		if (!(possible[s] > 0))
			continue;
		double w = use_weights ? weights[s] : 1.0;
		if (!(w > 0))
			continue;
		sum += w * 100.0 * earned[s] / possible[s];
		wsum += w;
	}
	if (!(wsum > 0))
		return false;
	*score = sum / wsum;
	return true;
}

size_t banklint_default_draws(const struct banklint *l, const struct catalog *cat, const struct catalog_item *item,
			      const struct catalog_level *level, struct banklint_draw *out, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < item->subtopic_count && n < max; k++) {
		const struct catalog_subtopic *st = catalog_item_subtopic(cat, item, k);
		for (size_t i = 0; st && i < l->n; i++) {
			if (l->qs[i].q->subtopic == st && l->qs[i].q->level == level) {
				out[n++] = (struct banklint_draw){st, level, 1};
				break;
			}
		}
	}
	return n;
}

/* ------------------------------------------------------------------ JSON */

json_t *banklint_warnings_json(const struct banklint *l, const long long *ids)
{
	json_t *all = json_array();
	for (size_t i = 0; all && i < l->nwarn; i++) {
		const struct banklint_warning *w = &l->warnings[i];
		const struct bank_question *q = l->qs[w->index].q;
		json_t *o = json_pack("{s:o,s:s,s:s,s:s,s:s,s:s}", "external_id",
				      q->external_id ? json_string(q->external_id) : json_null(), "code",
				      banklint_code_str(w->code), "message", w->message, "item", q->item->code,
				      "subtopic", q->subtopic->code, "level", q->level->code);
		if (!o ||
		    json_object_set_new(o, ids ? "id" : "row",
					json_integer(ids ? (json_int_t)ids[w->index] : (json_int_t)q->row)) ||
		    json_array_append_new(all, o)) {
			json_decref(all);
			return NULL;
		}
	}
	return all;
}

json_t *banklint_file_baselines_json(const struct banklint *l, const struct catalog *cat)
{
	json_t *all = json_array();
	for (size_t it = 0; all && it < catalog_item_count(cat); it++) {
		const struct catalog_item *item = catalog_item_at(cat, it);
		for (size_t lv = 0; lv < catalog_level_count(cat); lv++) {
			const struct catalog_level *level = catalog_level_at(cat, lv);
			bool present = false;
			for (size_t i = 0; i < l->nchecked && !present; i++)
				present = l->qs[i].q->item == item && l->qs[i].q->level == level;
			if (!present)
				continue;
			struct banklint_draw draws[64];
			size_t nd = banklint_default_draws(l, cat, item, level, draws, 64);
			double score;
			if (!banklint_baseline(l, draws, nd, NULL, &score))
				continue;
			json_t *o = json_pack("{s:s,s:s,s:f}", "item", item->code, "level", level->code, "score",
					      round(score * 100.0) / 100.0);
			if (!o || json_array_append_new(all, o)) {
				json_decref(all);
				return NULL;
			}
		}
	}
	return all;
}
