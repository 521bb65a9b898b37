/* Trends over periods (issue #19). A period's values are the profile as at the end of that period:
 * T = the newest rated_at among the ratings of that period (the employee's own for one employee,
 * the department's employees' for a department), with that period's ratings and the closed attempts
 * submitted by T, as raw evidence (examd_evidence_one, examd_evidence_packed) on which domain/rules.c
 * applies SPEC §3.2-§3.4 (the grade held and the model version in force at T). Periods are those with
 * ratings, ordered by T.
 *   GET /api/v1/employees/{username}/trends    the employee (own), hr, admin: per period the 18 values
 *   GET /api/v1/departments/{department}/trends hr, admin: per period and item the band distribution
 * Only values leave the server: raters stay anonymous. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/rules.h"
#include "domain/trends.h"
#include "http/offload.h"

/* ------------------------------------------------------------------ one employee */

/* One row per period (by T), a single row with a NULL period when there is none; the employee's grade
 * history as of now for the grade shown with the name; the rules document on the first row. */
static const char sql_employee[] =
	"WITH u AS MATERIALIZED (SELECT u.username, u.name, u.department FROM users u"
	"                        WHERE u.username = $1 AND u.role = 'employee'),"
	" p AS MATERIALIZED (SELECT r.period, max(r.rated_at) AS at FROM behaviour_ratings r"
	"                    WHERE r.employee = $1 GROUP BY r.period)"
	" SELECT u.username, u.name, u.department, (SELECT g.grades FROM examd_exam_evidence(u.username, now()) g),"
	"        (extract(epoch FROM now()) * 1000000)::bigint,"
	"        CASE WHEN row_number() OVER (ORDER BY x.at, x.period) = 1 THEN examd_rules_evidence() END,"
	"        x.period, examd_ts(x.at), (extract(epoch FROM x.at) * 1000000)::bigint, x.grades, x.exam, x.ratings"
	" FROM u LEFT JOIN LATERAL (SELECT p.period, p.at, d.grades, d.exam, d.ratings FROM p"
	"       CROSS JOIN LATERAL examd_evidence_one(u.username, p.at, p.period) d) x ON true"
	" ORDER BY x.at, x.period";

enum {
	E_USERNAME,
	E_NAME,
	E_DEPARTMENT,
	E_GRADES_NOW,
	E_NOW,
	E_RULES,
	E_PERIOD,
	E_AT,
	E_ATUS,
	E_GRADES,
	E_EXAM,
	E_RATINGS
};

static const char *val(const struct db_result *res, int row, int col)
{
	return db_result_isnull(res, row, col) ? NULL : db_result_value(res, row, col);
}

/* One period of one employee: {"period","at","model_version","grade","values","required_levels"}. */
static json_t *employee_period(const struct rules_model *m, const struct db_result *res, int row,
			       struct rules_evidence *ev)
{
	const struct catalog *cat = catalog_default();
	struct rules_result out;
	if (!rules_evidence_parse(ev, val(res, row, E_GRADES), val(res, row, E_EXAM), val(res, row, E_RATINGS)) ||
	    !rules_evaluate(m, cat, ev, db_result_long(res, row, E_ATUS), RULES_HELD, &out, NULL, NULL, NULL))
		return NULL;
	json_t *values = json_object(), *levels = json_object();
	for (size_t i = 0; i < TRENDS_ITEMS; i++) {
		const char *code = catalog_item_at(cat, i)->code;
		json_object_set_new(values, code, profile_value_json(out.item[i].value));
		json_object_set_new(levels, code, out.item[i].level ? json_string(out.item[i].level) : json_null());
	}
	return json_pack("{s:s,s:s,s:I,s:o,s:o,s:o}", "period", val(res, row, E_PERIOD), "at", val(res, row, E_AT),
			 "model_version", (json_int_t)(out.version ? out.version->version : 0), "grade",
			 out.grade ? json_integer(out.grade) : json_null(), "values", values, "required_levels",
			 levels);
}

static void on_employee(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	int rows = db_result_rows(res);
	if (rows == 0) {
		req_reply_error(r, 404, "not_found", "no such employee");
		return;
	}
	const struct catalog *cat = catalog_default();
	struct rules_model m;
	struct rules_evidence ev = {0};
	char why[128] = "";
	json_t *periods = json_array();
	bool ok = val(res, 0, E_RULES) && rules_model_parse(val(res, 0, E_RULES), &m, why, sizeof why);
	for (int row = 0; ok && row < rows; row++) {
		if (!val(res, row, E_PERIOD))
			continue;
		json_t *p = employee_period(&m, res, row, &ev);
		ok = p && json_array_append_new(periods, p) == 0;
	}
	/* The grade shown with the name: the one held now. */
	int grade = ok && rules_evidence_parse(&ev, val(res, 0, E_GRADES_NOW), NULL, NULL)
			    ? rules_grade_at(&ev, db_result_long(res, 0, E_NOW))
			    : 0;
	rules_evidence_free(&ev);
	if (val(res, 0, E_RULES))
		rules_model_free(&m);
	if (!ok) {
		log_error("trends of %s: %s", r->params[0], *why ? why : "malformed evidence");
		json_decref(periods);
		req_reply_error(r, 503, "unavailable", "the trends could not be computed");
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < TRENDS_ITEMS; i++)
		json_array_append_new(items, json_string(catalog_item_at(cat, i)->code));
	req_reply_json(r, 200,
		       json_pack("{s:{s:s,s:s,s:s,s:o},s:o,s:o}", "employee", "username", val(res, 0, E_USERNAME),
				 "name", val(res, 0, E_NAME) ? val(res, 0, E_NAME) : "", "department",
				 val(res, 0, E_DEPARTMENT) ? val(res, 0, E_DEPARTMENT) : "", "grade",
				 grade ? json_integer(grade) : json_null(), "items", items, "periods", periods));
}

void trends_employee(struct req *r)
{
	const char *target = r->params[0];
	if (!strcmp(r->user.role, "employee") && strcmp(target, r->user.username) != 0) {
		req_reply_error(r, 403, "forbidden", "you may read your own trends only");
		return;
	}
	const char *params[] = {target};
	api_query(r, sql_employee, 1, params, on_employee);
}

/* ------------------------------------------------------------------ a department */

/* One row per period (by T) and employee with that employee's raw evidence as of T; a single row
 * with the department's size and a NULL period when it has no period; the rules document on the
 * first row. */
static const char sql_department[] =
	"WITH e AS MATERIALIZED (SELECT u.username FROM users u WHERE u.role = 'employee' AND u.active"
	"                        AND u.department = $1),"
	" p AS MATERIALIZED (SELECT r.period, max(r.rated_at) AS at FROM behaviour_ratings r"
	"                    WHERE r.employee IN (SELECT username FROM e) GROUP BY r.period)"
	" SELECT (SELECT count(*) FROM e), x.period, examd_ts(x.at), (extract(epoch FROM x.at) * 1000000)::bigint,"
	"        x.grades, x.exam, x.ratings,"
	"        CASE WHEN row_number() OVER (ORDER BY x.at, x.period, x.username) = 1 THEN examd_rules_evidence() END"
	" FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT p.period, p.at, d.username, d.grades, d.exam, d.ratings FROM p"
	"       CROSS JOIN LATERAL examd_evidence_packed(ARRAY(SELECT username FROM e), p.at, p.period) d) x ON true"
	" ORDER BY x.at, x.period, x.username";

enum { D_EMPLOYEES, D_PERIOD, D_AT, D_ATUS, D_GRADES, D_EXAM, D_RATINGS, D_RULES };

struct dept_job {
	struct db_result *res; /* kept for the offload thread */
	json_t *doc;
	char why[128];
};

static void dept_job_free(void *arg)
{
	struct dept_job *j = arg;
	if (!j)
		return;
	db_result_free(j->res);
	json_decref(j->doc);
	free(j);
}

static json_t *dept_period_json(const struct catalog *cat, const char *period, const char *at,
				const struct trends_period *t)
{
	json_t *items = json_array();
	for (size_t i = 0; i < TRENDS_ITEMS; i++) {
		json_t *counts = json_array();
		for (int b = 0; b < TRENDS_MISSING; b++)
			json_array_append_new(counts, json_integer(t->counts[i][b]));
		long with = t->with_value[i];
		/* The mean of the values, half-up to 2 decimals (from tenths: exact). */
		json_t *mean =
			with ? json_real((double)((t->sum_tenths[i] * 10 + with / 2) / with) / 100.0) : json_null();
		json_array_append_new(items,
				      json_pack("{s:s,s:o,s:I,s:I,s:o}", "item", catalog_item_at(cat, i)->code,
						"counts", counts, "missing", (json_int_t)t->counts[i][TRENDS_MISSING],
						"met", (json_int_t)(t->counts[i][5] + t->counts[i][6]), "mean", mean));
	}
	return json_pack("{s:s,s:s,s:o}", "period", period, "at", at, "items", items);
}

/* On an offload thread: each employee's values by the rules, counted per period. */
static void dept_work(void *arg)
{
	struct req *r = arg;
	struct dept_job *j = r->data;
	const struct db_result *res = j->res;
	const struct catalog *cat = catalog_default();
	int rows = db_result_rows(res);
	struct rules_model m;
	struct rules_evidence ev = {0};
	static _Thread_local struct trends_period t;
	json_t *periods = json_array();
	if (!val(res, 0, D_RULES) || !rules_model_parse(val(res, 0, D_RULES), &m, j->why, sizeof j->why)) {
		json_decref(periods);
		return;
	}
	bool ok = true;
	for (int row = 0; ok && row < rows;) {
		const char *period = val(res, row, D_PERIOD);
		if (!period) {
			row++;
			continue;
		}
		memset(&t, 0, sizeof t);
		int first = row;
		for (; ok && row < rows && val(res, row, D_PERIOD) && !strcmp(val(res, row, D_PERIOD), period) &&
		       !strcmp(val(res, row, D_AT), val(res, first, D_AT));
		     row++) {
			struct profile_value v[RULES_ITEMS];
			ok = rules_values(&m, cat, db_result_long(res, row, D_ATUS), RULES_HELD, &ev,
					  val(res, row, D_GRADES), val(res, row, D_EXAM), val(res, row, D_RATINGS), v,
					  NULL);
			if (ok)
				trends_add_values(&t, v);
		}
		ok = ok &&
		     json_array_append_new(periods, dept_period_json(cat, period, val(res, first, D_AT), &t)) == 0;
	}
	rules_evidence_free(&ev);
	rules_model_free(&m);
	if (!ok) {
		snprintf(j->why, sizeof j->why, "malformed evidence");
		json_decref(periods);
		return;
	}
	json_t *codes = json_array();
	for (size_t i = 0; i < TRENDS_ITEMS; i++)
		json_array_append_new(codes, json_string(catalog_item_at(cat, i)->code));
	j->doc = json_pack("{s:s,s:I,s:[iiiiiiis],s:o,s:o}", "department", r->params[0], "employees",
			   (json_int_t)db_result_long(res, 0, D_EMPLOYEES), "bands", 0, 1, 2, 3, 4, 5, 6, "missing",
			   "items", codes, "periods", periods);
}

static void dept_done(void *arg)
{
	struct req *r = arg;
	struct dept_job *j = r->data;
	if (!j->doc) {
		log_error("trends of department %s: %s", r->params[0], *j->why ? j->why : "malformed evidence");
		req_reply_error(r, 503, "unavailable", "the trends could not be computed");
		return;
	}
	json_t *doc = j->doc;
	j->doc = NULL;
	req_reply_json(r, 200, doc);
}

static void on_department(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct dept_job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) == 0 || db_result_long(res, 0, D_EMPLOYEES) == 0) {
		req_reply_error(r, 404, "not_found", "no such department");
		return;
	}
	if (!(j->res = db_result_keep(res))) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, dept_work, dept_done, r))
		api_reply_busy(r);
}

void trends_department(struct req *r)
{
	struct dept_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = j;
	r->data_free = dept_job_free;
	const char *params[] = {r->params[0]};
	api_query(r, sql_department, 1, params, on_department);
}
