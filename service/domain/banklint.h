/* Bank quality checks ("lint", issue 16 part 3, SPEC §4.6a): warnings about questions that a
 * test-wise candidate can answer without knowing the subject, and the surface-cue baseline, the
 * expected standard score of a candidate who answers by such cues alone. Pure: no I/O. */
#ifndef EXAMD_DOMAIN_BANKLINT_H
#define EXAMD_DOMAIN_BANKLINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/bank.h"
#include "domain/catalog.h"

#define BANKLINT_MUST_CHECK __attribute__((warn_unused_result))

/* Warnings kept per run; more are counted (warning_total) but not stored. */
#define BANKLINT_MAX_WARNINGS 20000

enum banklint_code {
	BANKLINT_KEY_LONGEST,
	BANKLINT_FEW_OPTIONS,
	BANKLINT_FEW_DISTRACTORS,
	BANKLINT_ABSOLUTE_WORDING,
	BANKLINT_ANSWER_LEAK,
	BANKLINT_STEM_GIVES_ANSWER,
	BANKLINT_NEAR_DUPLICATE,
	BANKLINT_SINGLE_FILL_ANSWER,
	BANKLINT_KEY_POSITION_BIAS,
};
#define BANKLINT_CODE_COUNT 9

/* "key_longest", "few_options", ... (the wire codes of SPEC §4.6a). */
const char *banklint_code_str(enum banklint_code c);

/* The word list and thresholds: data, in one place (banklint_config_default), which a caller
 * may copy and change. Words are compared after NFKC and case folding. */
struct banklint_config {
	const char *const *absolute_words;
	size_t absolute_word_count;
	size_t few_options_below;          /* single: warn with fewer options than this (4) */
	size_t few_distractors_below;      /* multiple: warn with fewer wrong options than this (2) */
	size_t leak_min_chars;             /* answer_leak: accepted answers shorter than this are skipped (2) */
	size_t initials_min, initials_max; /* stem_gives_answer: answers of 2..6 Latin letters */
	double near_duplicate_jaccard;     /* bigram Jaccard at or above this is a near-duplicate (0.6) */
	size_t position_cell_min;          /* key_position_bias: cells with at least this many singles (4) */
	double position_max_share;         /* ...where one letter holds more than this share (0.5) */
};

const struct banklint_config *banklint_config_default(void);

/* A set of questions (borrowed for the lifetime of the lint). labels, when not NULL, name each
 * question in messages ("question 17 (GK-1)"); the default is "row N (external_id)". */
struct banklint_set {
	const struct bank_question *questions;
	size_t count;
	const char *const *labels;
};

struct banklint_warning {
	size_t index; /* into the checked set */
	enum banklint_code code;
	char *message; /* English */
};

struct banklint; /* opaque: the normalised questions, warnings and cue probabilities */

/* Checks every question of `checked` against itself and (for answer_leak, near_duplicate and the
 * cells of key_position_bias) against `others` too: the other active questions that stay in the
 * pool (may be NULL). Warnings name only questions of `checked`; a pair check between a checked
 * question and another one warns on the checked one. cfg NULL = the defaults. NULL on allocation
 * failure. */
BANKLINT_MUST_CHECK struct banklint *banklint_run(const struct banklint_config *cfg, const struct banklint_set *checked,
						  const struct banklint_set *others);
void banklint_free(struct banklint *l);

size_t banklint_warning_count(const struct banklint *l);
size_t banklint_warning_total(const struct banklint *l); /* also those beyond the cap */
const struct banklint_warning *banklint_warning_at(const struct banklint *l, size_t i);

/* The cue strategy's probability of being right on question i of the checked set (index < count)
 * or of the others (index >= checked count, minus it): 0..1. */
double banklint_cue_probability(const struct banklint *l, size_t index);

/* One draw row of a blueprint: count questions of (subtopic, level). */
struct banklint_draw {
	const struct catalog_subtopic *subtopic;
	const struct catalog_level *level;
	int count;
};

/* The surface-cue baseline of an exam over the lint's pool (checked and others together): per
 * subtopic 100 x expected cue points / expected points over its draw rows (for one row: sum of
 * p x points / sum of points over the cell), then the mean over the subtopics drawn weighted by
 * weights[subtopic->position] (NULL, or all zero: equal weights). Draw rows of empty cells and
 * subtopics without questions are left out. False when no draw row has a question. */
BANKLINT_MUST_CHECK bool banklint_baseline(const struct banklint *l, const struct banklint_draw *draws, size_t ndraws,
					   const double *weights, double *score);

/* The draw rows of an exam at level without a blueprint: every subtopic of item that has
 * questions at level in the pool, one each. Returns how many rows were written (<= max). */
size_t banklint_default_draws(const struct banklint *l, const struct catalog *cat, const struct catalog_item *item,
			      const struct catalog_level *level, struct banklint_draw *out, size_t max);

/* Warnings as [{"row","external_id","code","message","item","subtopic","level"}...]; with ids
 * (one per checked question) "id" replaces "row". NULL on allocation failure. */
json_t *banklint_warnings_json(const struct banklint *l, const long long *ids);

/* Baselines of every (item, level) that has questions in the checked set, over the whole pool,
 * with default draws and equal weights: [{"item","level","score"}...] in model order. */
json_t *banklint_file_baselines_json(const struct banklint *l, const struct catalog *cat);

#endif
