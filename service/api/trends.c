/* Trends over periods (issue #19). A period's values are the profile as at the end of that period:
 * T = the newest rated_at among the ratings of that period (the employee's own for one employee,
 * the department's employees' for a department), with that period's ratings and the exam results
 * counted at T by the profile rules (examd_profile_data, SPEC §3.2-§3.4: the grade held and the
 * model version in force at T). Periods are those with ratings, ordered by T.
 *   GET /api/v1/employees/{username}/trends    the employee (own), hr, admin: per period the 18 values
 *   GET /api/v1/departments/{department}/trends hr, admin: per period and item the band distribution
 * Only values leave the server: raters stay anonymous. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/trends.h"
#include "http/offload.h"

/* ------------------------------------------------------------------ one employee */

static const char sql_employee[] =
	"WITH p AS MATERIALIZED (SELECT r.period, max(r.rated_at) AS at FROM behaviour_ratings r"
	"                        WHERE r.employee = $1 GROUP BY r.period)"
	" SELECT u.username, u.name, u.department, examd_grade_at(u.username, now()), x.period, examd_ts(x.at),"
	"        x.item, x.required_level, x.assessment, x.exam_band::text, x.wsum::text, x.wtot::text, x.ssum::text,"
	"        x.n::text, examd_model_version_at(x.at), x.grade"
	" FROM users u LEFT JOIN LATERAL (SELECT p.period, p.at, d.item, d.required_level, d.assessment, d.exam_band,"
	"       d.wsum, d.wtot, d.ssum, d.n, d.grade FROM p"
	"       CROSS JOIN LATERAL examd_profile_data(ARRAY[u.username], p.at, p.period, false) d) x ON true"
	" WHERE u.username = $1 AND u.role = 'employee'"
	" ORDER BY x.at, x.period";

enum { E_USERNAME, E_NAME, E_DEPARTMENT, E_GRADE, E_PERIOD, E_AT, E_ITEM, E_LEVEL, E_ASSESSMENT, E_BAND, E_WSUM,
       E_WTOT, E_SSUM, E_N, E_VERSION, E_PGRADE };

static const char *val(const struct db_result *res, int row, int col)
{
	return db_result_isnull(res, row, col) ? NULL : db_result_value(res, row, col);
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
	json_t *periods = json_array(), *cur = NULL, *values = NULL, *levels = NULL;
	const char *cur_period = NULL;
	for (int row = 0; row < rows; row++) {
		const char *period = val(res, row, E_PERIOD), *item = val(res, row, E_ITEM);
		if (!period || !item)
			continue;
		if (!cur_period || strcmp(cur_period, period) != 0) {
			cur_period = period;
			values = json_object();
			levels = json_object();
			const char *g = val(res, row, E_PGRADE);
			cur = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o}", "period", period, "at", val(res, row, E_AT), "model_version",
					(json_int_t)db_result_long(res, row, E_VERSION), "grade",
					g ? json_integer(atoi(g)) : json_null(), "values", values, "required_levels", levels);
			json_array_append_new(periods, cur);
		}
		const struct catalog_item *it = catalog_item_find(cat, item);
		struct profile_value v;
		if (!it || !trends_value(it->assessment == CATALOG_ASSESS_EXAM, val(res, row, E_BAND), val(res, row, E_WSUM),
					 val(res, row, E_WTOT), val(res, row, E_SSUM), val(res, row, E_N), &v)) {
			log_error("trends of %s: unexpected rows from the database", r->params[0]);
			json_decref(periods);
			req_reply_error(r, 503, "unavailable", "the trends could not be computed");
			return;
		}
		json_object_set_new(values, it->code, profile_value_json(v));
		const char *lv = val(res, row, E_LEVEL);
		json_object_set_new(levels, it->code, lv ? json_string(lv) : json_null());
	}
	json_t *items = json_array();
	for (size_t i = 0; i < TRENDS_ITEMS; i++)
		json_array_append_new(items, json_string(catalog_item_at(cat, i)->code));
	const char *grade = val(res, 0, E_GRADE);
	req_reply_json(r, 200,
		       json_pack("{s:{s:s,s:s,s:s,s:o},s:o,s:o}", "employee", "username", val(res, 0, E_USERNAME), "name",
				 val(res, 0, E_NAME) ? val(res, 0, E_NAME) : "", "department",
				 val(res, 0, E_DEPARTMENT) ? val(res, 0, E_DEPARTMENT) : "", "grade",
				 grade ? json_integer(atoi(grade)) : json_null(), "items", items, "periods", periods));
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

/* One row per period (by T), its employees' items packed "item:band:wsum:wtot:ssum:n;..."; a first row
 * with the department's size even when it has no period (period NULL). */
static const char sql_department[] =
	"WITH e AS MATERIALIZED (SELECT u.username FROM users u WHERE u.role = 'employee' AND u.active"
	"                        AND u.department = $1),"
	" p AS MATERIALIZED (SELECT r.period, max(r.rated_at) AS at FROM behaviour_ratings r"
	"                    WHERE r.employee IN (SELECT username FROM e) GROUP BY r.period)"
	" SELECT (SELECT count(*) FROM e), x.period, examd_ts(x.at), x.packed"
	" FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT p.period, p.at,"
	"       (SELECT string_agg(concat_ws(':', d.item, coalesce(d.exam_band::text, ''), coalesce(d.wsum::text, ''),"
	"               coalesce(d.wtot::text, ''), coalesce(d.ssum::text, ''), coalesce(d.n::text, '')), ';')"
	"        FROM examd_profile_data(ARRAY(SELECT username FROM e), p.at, p.period, false) d) AS packed"
	"       FROM p) x ON true"
	" ORDER BY x.at, x.period";

struct dept_period {
	char *period, *at, *packed;
	struct trends_period t;
};

struct dept_job {
	long employees;
	size_t n;
	struct dept_period *p;
	json_t *doc;
};

static void dept_job_free(void *arg)
{
	struct dept_job *j = arg;
	if (!j)
		return;
	for (size_t k = 0; k < j->n; k++) {
		free(j->p[k].period);
		free(j->p[k].at);
		free(j->p[k].packed);
	}
	free(j->p);
	json_decref(j->doc);
	free(j);
}

/* On an offload thread. */
static void dept_work(void *arg)
{
	struct req *r = arg;
	struct dept_job *j = r->data;
	const struct catalog *cat = catalog_default();
	json_t *periods = json_array();
	for (size_t k = 0; k < j->n; k++) {
		struct dept_period *p = &j->p[k];
		if (!trends_add_packed(cat, p->packed, &p->t)) {
			json_decref(periods);
			return;
		}
		json_t *items = json_array();
		for (size_t i = 0; i < TRENDS_ITEMS; i++) {
			json_t *counts = json_array();
			for (int b = 0; b < TRENDS_MISSING; b++)
				json_array_append_new(counts, json_integer(p->t.counts[i][b]));
			long with = p->t.with_value[i];
			/* The mean of the values, half-up to 2 decimals (from tenths: exact). */
			json_t *mean = with ? json_real((double)((p->t.sum_tenths[i] * 10 + with / 2) / with) / 100.0) : json_null();
			json_array_append_new(items, json_pack("{s:s,s:o,s:I,s:I,s:o}", "item", catalog_item_at(cat, i)->code,
							       "counts", counts, "missing",
							       (json_int_t)p->t.counts[i][TRENDS_MISSING], "met",
							       (json_int_t)(p->t.counts[i][5] + p->t.counts[i][6]), "mean", mean));
		}
		json_array_append_new(periods, json_pack("{s:s,s:s,s:o}", "period", p->period, "at", p->at, "items", items));
	}
	json_t *codes = json_array();
	for (size_t i = 0; i < TRENDS_ITEMS; i++)
		json_array_append_new(codes, json_string(catalog_item_at(cat, i)->code));
	j->doc = json_pack("{s:s,s:I,s:[iiiiiiis],s:o,s:o}", "department", r->params[0], "employees",
			   (json_int_t)j->employees, "bands", 0, 1, 2, 3, 4, 5, 6, "missing", "items", codes, "periods",
			   periods);
}

static void dept_done(void *arg)
{
	struct req *r = arg;
	struct dept_job *j = r->data;
	if (!j->doc) {
		log_error("trends of department %s: malformed evidence", r->params[0]);
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
	int rows = db_result_rows(res);
	j->employees = rows ? db_result_long(res, 0, 0) : 0;
	if (j->employees == 0) {
		req_reply_error(r, 404, "not_found", "no such department");
		return;
	}
	j->p = calloc((size_t)rows, sizeof *j->p);
	if (!j->p) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	for (int row = 0; row < rows; row++) {
		if (db_result_isnull(res, row, 1))
			continue;
		struct dept_period *p = &j->p[j->n++];
		p->period = strdup(db_result_value(res, row, 1));
		p->at = strdup(db_result_value(res, row, 2));
		p->packed = strdup(db_result_isnull(res, row, 3) ? "" : db_result_value(res, row, 3));
		if (!p->period || !p->at || !p->packed) {
			req_reply_error(r, 503, "unavailable", "out of memory");
			return;
		}
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
