/* Exam scoring (SPEC §3.1, §3.2): question correctness, subtopic scores,
 * the weighted standard score, bands and grading across attempts.  Pure:
 * no I/O, no floating point; the only rounding of the standard score is
 * the final half-up to hundredths. */
#ifndef EXAMD_DOMAIN_SCORE_H
#define EXAMD_DOMAIN_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCORE_MUST_CHECK __attribute__((warn_unused_result))

/* Distinct subtopics one attempt may hold (an item has a handful). */
#define SCORE_MAX_SUBTOPICS 64u
/* Options are labelled A..H. */
#define SCORE_MAX_OPTIONS 8u
/* Bands run 0..6 (the rating scale). */
#define SCORE_BAND_MIN 0
#define SCORE_BAND_MAX 6
#define SCORE_DEFAULT_BAND_COUNT 6u

enum score_status {
	SCORE_OK = 0,
	SCORE_ERR_INVALID_QUESTION, /* bad type, points <= 0, bad key, NULL subtopic */
	SCORE_ERR_MISSING_WEIGHT,   /* a subtopic present in the attempt has no weight */
	SCORE_ERR_INVALID_WEIGHT,   /* negative, or one subtopic weighted twice */
	SCORE_ERR_INVALID_BANDS,    /* no thresholds, or a score outside 0..6 */
	SCORE_ERR_TOO_MANY_SUBTOPICS,
	SCORE_ERR_OVERFLOW,         /* sums beyond int64 (absurd points or weights) */
	SCORE_ERR_EMPTY,            /* grading with no attempts */
	SCORE_ERR_INVALID_ARGUMENT, /* NULL where an array is required, bad enum */
	SCORE_ERR_NOMEM,
};

const char *score_status_str(enum score_status st);

enum score_qtype {
	SCORE_Q_SINGLE = 0,
	SCORE_Q_MULTIPLE,
	SCORE_Q_TRUEFALSE,
	SCORE_Q_FILL,
};

/* "single" | "multiple" | "truefalse" | "fill", or the bank's Chinese
 * aliases 单选 | 多选 | 判断 | 填空.  Exact match; false for anything else. */
bool score_qtype_parse(const char *s, enum score_qtype *out) SCORE_MUST_CHECK;
/* The English name, or NULL for a value outside the enum. */
const char *score_qtype_name(enum score_qtype t);

/* Option labels as a bitmask: bit i is label 'A' + i. */
#define SCORE_LABEL_BIT(ch) ((uint8_t)(1u << ((ch) - 'A')))

/* The key of a question; only the member of its type is read. */
struct score_key {
	char label;                  /* single: 'A'..'H' */
	uint8_t labels;              /* multiple: non-empty set */
	bool truth;                  /* truefalse */
	const char *const *accepted; /* fill: accepted answers, NUL-terminated */
	size_t accepted_count;       /* fill: >= 1 */
};

/* The given answer; only the member of the question's type is read. */
struct score_answer {
	bool given;       /* false: unanswered, earns 0 */
	char label;       /* single */
	uint8_t labels;   /* multiple: the exact set chosen */
	bool truth;       /* truefalse */
	const char *text; /* fill: any bytes, need not be UTF-8 */
	size_t text_len;
};

struct score_question {
	const char *subtopic; /* borrowed; results point at it */
	enum score_qtype type;
	int64_t points; /* hundredths, > 0 (1 point = 100) */
	struct score_key key;
	struct score_answer answer;
};

/* Validates the question (SCORE_ERR_INVALID_QUESTION) and sets *correct.
 * An unanswered question, an answer label outside A..H, an empty multiple
 * answer or fill text that is not UTF-8 is simply incorrect. */
enum score_status score_question_correct(const struct score_question *q, bool *correct) SCORE_MUST_CHECK;

/* A subtopic's relative weight, in millionths (DECIMAL_SCALE_WEIGHT):
 * "30" -> 30000000, "0.125" -> 125000. */
struct score_weight {
	const char *subtopic;
	int64_t weight;
};

/* An exam band threshold: the band is the highest `score` whose `min` <= R,
 * where R is the stored standard score rounded half-up to an integer. */
struct score_band {
	int score;   /* 0..6 */
	int64_t min; /* whole points */
};

/* The defaults of SPEC §2: 6 >= 91, 5 >= 81, 4 >= 71, 3 >= 61, 2 >= 41, 1 >= 0. */
void score_bands_default(struct score_band out[SCORE_DEFAULT_BAND_COUNT]);

/* The Chinese name of a band 0..6 (0 尚不具备 … 5 达标, 6 超标), else NULL. */
const char *score_band_name_zh(int band);

/* R = standard (hundredths) rounded half-up to an integer, and its band.
 * With no threshold at or below R the band is 0 (尚不具备).  rounded may be
 * NULL. */
enum score_status score_band_for(int64_t standard, const struct score_band *bands, size_t n_bands, int64_t *rounded,
				 int *band) SCORE_MUST_CHECK;

struct score_subtopic_result {
	const char *subtopic; /* borrowed from the first question of the subtopic */
	size_t questions;
	int64_t earned;   /* hundredths */
	int64_t possible; /* hundredths */
	int64_t score;    /* 100 × earned / possible in hundredths, half-up
                             (display only: S is computed from exact ratios) */
	int64_t weight;   /* millionths, the weight that entered the mean:
                             the looked-up one, or 1000000 each when equal
                             weights apply */
};

struct score_result {
	int64_t standard; /* S in hundredths, half-up from the exact value */
	int64_t rounded;  /* R */
	int band;
	bool equal_weights; /* no weights given, or those present summed to 0 */
	size_t n_subtopics; /* in order of first appearance */
	struct score_subtopic_result subtopics[SCORE_MAX_SUBTOPICS];
};

/* Scores one attempt.  weights == NULL (with n_weights 0) means equal
 * weights; otherwise every subtopic present must have exactly one weight
 * (extra entries for absent subtopics are ignored).  An attempt with no
 * questions scores 0.00.  *out is fully written on SCORE_OK only. */
enum score_status score_attempt(const struct score_question *questions, size_t n_questions,
				const struct score_weight *weights, size_t n_weights, const struct score_band *bands,
				size_t n_bands, struct score_result *out) SCORE_MUST_CHECK;

enum score_grading {
	SCORE_GRADING_HIGHEST = 0,
	SCORE_GRADING_LATEST,
	SCORE_GRADING_FIRST,
	SCORE_GRADING_AVERAGE,
};

/* "highest" | "latest" | "first" | "average"; false for anything else. */
bool score_grading_parse(const char *s, enum score_grading *out) SCORE_MUST_CHECK;
const char *score_grading_name(enum score_grading g);

#endif
