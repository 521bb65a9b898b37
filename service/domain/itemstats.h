/* Item statistics of one exam blueprint (SPEC §4.6a): per question facility,
 * SD, discrimination index, item-rest point-biserial, option shares and flags;
 * per blueprint mean, SD, reliability (alpha from the mean item variance and
 * mean inter-item covariance, which fits randomly drawn forms) and the standard
 * error of measurement. Pure: no I/O. Statistics are doubles. */
#ifndef EXAMD_DOMAIN_ITEMSTATS_H
#define EXAMD_DOMAIN_ITEMSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define ITEMSTATS_MAX_OPTIONS 8
/* A blueprint's SEM is shown on results and profiles once it rests on this many
 * attempts. */
#define ITEMSTATS_SEM_MIN_ATTEMPTS 30

/* Flag bits, in the order of itemstats_flag_code. */
enum itemstats_flag {
	ITEMSTATS_TOO_HARD = 1u << 0,
	ITEMSTATS_TOO_EASY = 1u << 1,
	ITEMSTATS_LOW_DISCRIMINATION = 1u << 2,
	ITEMSTATS_NEGATIVE_DISCRIMINATION = 1u << 3,
	ITEMSTATS_UNUSED_DISTRACTOR = 1u << 4,
	ITEMSTATS_DISTRACTOR_BEATS_KEY = 1u << 5,
};
#define ITEMSTATS_NFLAGS 6

/* The thresholds, kept as data (defaults from Moodle's quiz statistics guide
 * and Ebel & Frisbie). */
struct itemstats_thresholds {
	double too_hard;             /* facility below this: too_hard (0.20) */
	double too_easy;             /* facility above this: too_easy (0.90) */
	double low_discrimination;   /* discrimination index below this:
                                  low_discrimination (0.20) */
	double unused_distractor;    /* a wrong option chosen by fewer than this share
                                  (0.05) */
	double group_fraction;       /* upper and lower groups: this fraction of the
                                  attempts (0.27) */
	double alpha_unsatisfactory; /* reliability below this is reported as
                                  unsatisfactory (0.64) */
	size_t min_responses;        /* a question is flagged only from this many responses
                           (10) */
};
extern const struct itemstats_thresholds itemstats_default_thresholds;

/* One question: its options in the bank's own order and the key as a bit set
 * over them (bit 0 = A). noptions 0 for true/false and fill-in questions. */
struct itemstats_question {
	int64_t id;
	int noptions;
	unsigned key;
};

/* One answered (or unanswered) question of an attempt: the proportion of its
 * points earned (0..1) and the options chosen, as bits in the bank's order. */
struct itemstats_cell {
	size_t question; /* index into the questions */
	double score;
	unsigned chosen;
};

/* One closed attempt: its standard score (0..100) and its cells. */
struct itemstats_attempt {
	double total;
	size_t first_cell, ncells;
};

struct itemstats_matrix {
	const struct itemstats_question *questions;
	size_t nquestions;
	const struct itemstats_attempt *attempts;
	size_t nattempts;
	const struct itemstats_cell *cells;
	size_t ncells;
};

/* A figure that may be missing (not computable: too few responses, zero
 * variance). */
struct itemstats_num {
	bool has;
	double v;
};

struct itemstats_qresult {
	size_t responses;
	struct itemstats_num facility, sd, discrimination, point_biserial;
	double share[ITEMSTATS_MAX_OPTIONS]; /* of the responses, per option in bank
                                          order */
	unsigned flags;
};

struct itemstats_bresult {
	size_t attempts;
	double form_length; /* mean questions per attempt (k of the reliability
                         formula) */
	struct itemstats_num mean, sd, alpha, sem;
};

/* Computes every statistic; qout has nquestions elements. false only when out
 * of memory or the matrix is malformed (a cell naming no question, options
 * beyond ITEMSTATS_MAX_OPTIONS). */
bool itemstats_compute(const struct itemstats_matrix *m, const struct itemstats_thresholds *t,
		       struct itemstats_qresult *qout, struct itemstats_bresult *bout) MUST_CHECK;

/* The flag code of bit index i (0..ITEMSTATS_NFLAGS-1), e.g. "too_hard". */
const char *itemstats_flag_code(int i);

/* An exam band threshold: a standard score rounded half-up to an integer R gets
 * the band of the highest min <= R. */
struct itemstats_band {
	int score;
	double min;
};

/* Reads "6:91,5:81,4:71" (score:min pairs) into bands; returns how many were read. */
size_t itemstats_bands_parse(const char *text, struct itemstats_band *bands, size_t cap);

/* The band of a (real) standard score: rounded half-up to 2 decimals, then to
 * an integer. */
int itemstats_band_of(double score, const struct itemstats_band *bands, size_t nbands);

/* Whether score ± sem (clamped to 0..100) stays inside one band: 1 yes, 0 no,
 * -1 unknown (sem missing or negative, no bands). */
int itemstats_band_certain(double score, struct itemstats_num sem, const struct itemstats_band *bands, size_t nbands);

/* Rounds to 4 decimals for output (half away from zero). */
double itemstats_round4(double v);

#endif
