/* The rules at "now" for the statements that act now (an exam start, the exams list, sessions and
 * their cohorts, the users list and a grade change): examd decides the grade held now and the level
 * it requires with domain/rules.c and hands the answer to SQL as one jsonb parameter, p_now
 * ({"grades": {username: grade}, "levels": {"<grade>": {item: level}}, "version": the version in
 * force}, looked up by examd_now_grade/examd_now_level/examd_now_version in
 * migrations/functions/model.sql).
 *
 * Each worker keeps the parsed model versions. The authentication statement returns the model's
 * stamp (examd_model_stamp) and, only when it differs from the worker's, examd_rules_evidence(); the
 * caller's grade history comes with it, so r->user.grade is the rules module's answer at the
 * statement's now() (r->user.now_us). */
#ifndef EXAMD_API_NOWRULES_H
#define EXAMD_API_NOWRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

struct nowrules;
struct nowrules *nowrules_new(void);
void nowrules_free(struct nowrules *c);

/* The worker's cache (api/worker.c); NULL when it could not be allocated. */
struct nowrules *api_nowrules(struct req *r);

/* The stamp of the cached model versions; NULL when none is cached. */
const char *nowrules_stamp(const struct nowrules *c);
/* Replaces the cached versions with examd_rules_evidence()'s JSON under stamp, unless the cache
 * already holds as new a stamp; false (the cache unchanged) when it does not parse. */
bool nowrules_load(struct nowrules *c, const char *stamp, const char *rules_json);

/* p_now for n users and their grades now (grade 0: none, left out), with the levels of the version
 * in force at r->user.now_us. NULL when out of memory or no model is cached; free() it. */
char *api_now_json(struct req *r, size_t n, const char *const *users, const int *grades);
/* The model version in force at r->user.now_us; 0 when none (or no model is cached). */
int api_version_now(struct req *r);
/* p_now for the caller alone. */
char *api_now_caller(struct req *r);
/* Reads every grade history, computes each grade held now and calls next with p_now (the text is
 * freed after next returns; statements copy their parameters). Replies 503 itself on failure. */
void api_now_all(struct req *r, void (*next)(struct req *r, const char *now));

#endif
