/* Scores an attempt described as JSON (the snapshot with keys, the saved answers, the weights
 * and bands of its model version) with the exact scorer, and describes the result as JSON. */
#ifndef EXAMD_DOMAIN_ATTEMPT_H
#define EXAMD_DOMAIN_ATTEMPT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/score.h"

#define ATTEMPT_MAX_QUESTIONS 2000
#define ATTEMPT_MAX_ACCEPTED (ATTEMPT_MAX_QUESTIONS * 4) /* accepted fill answers over all questions */

/* input: {"questions": [{"id", "subtopic", "type", "points": "1.00", "key", "answer"}],
 *         "weights": {"<subtopic>": "30"}, "bands": [{"score": 6, "min": "91"}]}
 * key/answer: single "B", multiple ["A","C"], truefalse true, fill ["5G", ...] / "text"; answer null
 * when unanswered. On SCORE_OK, *out is
 *   {"standard_score": "85.00", "rounded": 85, "band": 5, "band_name_zh": "达标", "equal_weights": false,
 *    "subtopic_scores": [{"subtopic", "questions", "earned": "3.00", "possible": "4.00",
 *                         "score": "75.00", "weight": "30"}],
 *    "question_scores": {"<id>": "1.00"}}
 * with decimals as strings, exact. Otherwise err says why. */
enum score_status attempt_score_json(json_t *input, json_t **out, char *err, size_t errlen);

/* The compact scoring input of examd_attempts_scoring_text (migration 0020), as the JSON input above
 * plus "status" and "answers_version" (the digest, as a string): a head line
 * "status\tdigest\tweights\tbands" (weights and bands as JSON), then per question
 * "\nquestion_id\tsubtopic\ttype\tpoints\tkey\tanswer" (key and answer as JSON text; answer empty
 * when none was saved). NULL when the text does not have that shape (err says why). */
json_t *attempt_input_from_text(const char *text, char *err, size_t errlen);

/* The question types of an attempt's snapshot (attempt_questions.type). */
enum attempt_qtype { ATTEMPT_Q_SINGLE, ATTEMPT_Q_MULTIPLE, ATTEMPT_Q_TRUEFALSE, ATTEMPT_Q_FILL };

/* "single", "multiple", "truefalse", "fill" -> *out; false for any other text. */
bool attempt_qtype_parse(const char *text, enum attempt_qtype *out);

/* The answer as examd_answer_save_typed would store it, as compact JSON text (malloc'd), when it is
 * valid for a question of this type with n_options options (labels 'A' .. 'A' + n_options - 1):
 * null (clears); single "B"; multiple a non-empty list of distinct labels, stored sorted; truefalse a
 * boolean; fill a text of at most 1000 code points. NULL when it is not (or memory ran out): the
 * database then checks the save and names the refusal. */
char *attempt_answer_normal(enum attempt_qtype type, int n_options, const json_t *answer);

#endif
