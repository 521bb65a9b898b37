/* Shared helpers of the API handlers: body parsing, validation replies, audit, SQL-built JSON. */
#ifndef EXAMD_API_API_H
#define EXAMD_API_API_H

#include <jansson.h>
#include <stdbool.h>

#include "api/reply.h"
#include "core/config.h"
#include "db/pool.h"
#include "domain/bank.h"
#include "http/request.h"
#include "http/router.h"
#include "http/server.h"

#define api_cfg(r) ((r)->worker->server->cfg)
#define api_db(r) ((r)->worker->db)

/* The routing table (api/routes.c). */
extern const struct route api_routes[];
extern const int api_nroutes;
void api_dispatch(struct req *r);
/* The largest body of a save (an answer of at most 1,000 characters, JSON-escaped). */
#define API_MAX_SAVE_BODY ((size_t)16 * 1024)
size_t api_body_limit(const struct config *cfg, const char *method, const char *path, bool has_bearer,
		      bool *auth_first);
/* Makes the worker's database pool (on the starting thread, before the loops). */
bool api_worker_init(struct server *s, struct worker *w);
void api_worker_start(struct server *s, struct worker *w);
void api_worker_stop(struct server *s, struct worker *w);
/* After every worker stopped: frees the pool (every statement's callback runs) and the rest. */
void api_worker_exit(struct server *s, struct worker *w);

/* Saving answers, grouped per worker (api/saves.c). */
struct saves;
struct evbuffer;
struct saves *saves_new(struct worker *w, int pool_size);
void saves_free(struct saves *s);
/* Saves the answer of r (attempt and question ids already validated); s may be NULL. */
void saves_submit(struct req *r, struct saves *s);
void saves_metrics(struct evbuffer *out);
/* The worker's saves state (api/worker.c), NULL when it could not be allocated. */
struct saves *api_saves(struct req *r);

/* Parses r->body as a JSON object; on failure replies 400 bad_json and returns NULL. */
json_t *api_json_body(struct req *r);

/* An assessment period label (?period=): 1-32 characters, no control characters. */
bool api_period_ok(const char *s);

/* Writes s as one CSV cell (RFC 4180 quoting; text that Excel would read as a formula gets a ');
 * false when the buffer could not grow (out of memory). */
bool api_csv_cell(struct evbuffer *out, const char *s);

/* Reads a boolean query parameter (true/false/1/0); absent = def. false (and a 400 reply) when malformed. */
bool api_query_bool(struct req *r, const char *name, int def, int *out);

/* Handlers (one file per resource). */
void ops_healthz(struct req *r);
void ops_readyz(struct req *r);
void ops_metrics(struct req *r);
void ops_audit(struct req *r);
bool static_load(const char *dir) MUST_CHECK;
void static_serve(struct req *r);

void auth_login(struct req *r);
void auth_logout(struct req *r);
void auth_me(struct req *r);
/* Password verifications run for logins since start (all workers). */
unsigned long auth_password_checks(void);
/* Hashes the bearer token into r->token_hash; replies 401 and returns false when there is none. */
bool auth_token_hash(struct req *r);
/* Resolves the bearer token into r->user, then calls next (or replies 401/503). */
void auth_authenticate(struct req *r, void (*next)(struct req *r));

void users_create(struct req *r);
void users_list(struct req *r);
void users_update(struct req *r);

void banks_import(struct req *r);
void questions_list(struct req *r);
void questions_retire(struct req *r);
void questions_impact(struct req *r);
void questions_activate(struct req *r);
void blueprints_results(struct req *r);
void blueprints_put(struct req *r);
void blueprints_get(struct req *r);
void blueprints_list(struct req *r);
struct bank;
/* The validated questions of a bank as the JSON parameter of examd_bank_import (malloc'd). */
char *banks_questions_param(const struct bank *b);
/* The 422 report of a rejected bank file. */
json_t *banks_rejection_report(const struct bank *b, bool dry_run);

/* Bank checks (api/banklint.c). GET /api/v1/banks/lint?item= */
void banks_lint(struct req *r);
/* The statement that fetches the pool a bank joins: $1 = banklint_import_scope(), $2 = the model
 * version in force (api_version_now). */
extern const char banklint_pool_sql[];
/* {"items","external_ids","hashes"} of a parsed bank (malloc'd JSON), NULL on allocation failure. */
char *banklint_import_scope(const struct bank *b);
/* The import report's "warnings" and "baselines" for file against the pool text of banklint_pool_sql.
 * CPU-heavy: offload threads only. False on allocation failure. */
bool banklint_import_report(const struct bank *file, const char *pool_text, size_t pool_len, json_t **warnings,
			    json_t **baselines) MUST_CHECK;

void exams_list(struct req *r);
/* Starts or resumes an attempt: mode "exam", "practice" or "session" (session id; item NULL = its only exam). */
void attempts_begin(struct req *r, const char *mode, const char *session, const char *item);
/* Replies with the attempt document (examd_attempt_json) as r's caller may see it. */
void attempts_reply(struct req *r, const char *id, int status);
void attempts_close_early(struct req *r);
void attempts_void(struct req *r);
/* Exam sessions (api/sessions.c). */
void sessions_create(struct req *r);
void sessions_list(struct req *r);
void sessions_get(struct req *r);
void sessions_roster(struct req *r);
void sessions_overrides_list(struct req *r);
void sessions_overrides_put(struct req *r);
void sessions_start(struct req *r);
void attempts_start(struct req *r);
void attempts_get(struct req *r);
void attempts_save_answer(struct req *r);
void attempts_submit(struct req *r);
/* The auto-submitter of a worker (api/expiry.c). */
void *autosubmit_start(struct worker *w);
void autosubmit_stop(void *handle);
/* After the loop stopped (api_worker_exit): closes its connections and frees it. */
void autosubmit_free(void *handle);
/* Its metrics; open < 0 when the gauges could not be read from the database. */
void expiry_metrics(struct evbuffer *out, long long open, long long due, double oldest, long long parked);

void profiles_get(struct req *r);
void profiles_svg(struct req *r);
void profiles_list(struct req *r);
void profiles_gaps(struct req *r);
/* Readiness for the next grade (api/readiness.c). */
void readiness_list(struct req *r);
/* Its statement: $1 department, $2 grade, $3 period, $4 username (NULL: any). */
extern const char readiness_sql[];
/* Its columns. */
enum {
	READINESS_C_USERNAME,
	READINESS_C_GRADES,
	READINESS_C_PERIOD,
	READINESS_C_EXAM,
	READINESS_C_RATINGS,
	READINESS_C_NAME,
	READINESS_C_DEPARTMENT,
	READINESS_C_AT,
	READINESS_C_RULES,
	READINESS_C_ORD,
	READINESS_C_ATUS
};
struct readiness;
struct rules_model;
struct rules_evidence;
/* The readiness of one row of readiness_sql ($1 department, $2 period, $3 employee); rules and ev:
 * scratch space the caller frees (rules_model_free, rules_evidence_free); false when malformed. */
bool readiness_row(const struct db_result *res, int row, struct readiness *out, struct rules_model *rules,
		   struct rules_evidence *ev);
/* Rater quality (api/raters.c): GET /api/v1/raters/quality. */
void raters_quality(struct req *r);
/* Its statement: $1 period (NULL: the newest rating's), $2 department (NULL: all); one row. */
extern const char raters_sql[];
/* Copies the row of raters_sql (malloc'd strings); false when out of memory or no row. */
bool raters_row_copy(const struct db_result *res, char **period, char **packed, char **names, long *employees);
/* The rater-quality document from that row (CPU: offload threads); NULL (and why) when malformed. */
json_t *raters_quality_document(const char *period, const char *packed, const char *names, long employees, char *why,
				size_t whylen);
/* Trends over periods (api/trends.c). */
void trends_employee(struct req *r);
void trends_department(struct req *r);
/* GET /api/v1/departments/{department}/report.pdf (api/deptreport.c). */
void departments_report_pdf(struct req *r);
/* GET /api/v1/employees/{username}/report.pdf (api/profiles.c). */
void profiles_report_pdf(struct req *r);
void profiles_summary(struct req *r);
void attempts_history(struct req *r);
void ratings_import(struct req *r);
void model_versions_create(struct req *r);

/* Item statistics (api/stats.c): the routes, and the SEM refresher on worker 0. */
void stats_blueprint(struct req *r);
void stats_question(struct req *r);
void *stats_refresher_start(struct worker *w);
void stats_refresher_stop(void *handle);

void model_get(struct req *r);
void model_versions_list(struct req *r);
void model_version_get(struct req *r);

#endif
