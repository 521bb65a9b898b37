/* The printable department report (issue #19): GET /api/v1/departments/{department}/report.pdf (hr,
 * admin). The readiness listing's rows of the department (readiness_sql: the raw evidence and the model's
 * versions), then the rater-quality row of the department's ratings
 * (raters_sql); an offload thread applies the listing's rules at each employee's own grade and at the
 * next, computes the rater figures, composes the document (domain/deptreport.c) and draws the PDF
 * (domain/report.c). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/deptreport.h"
#include "domain/report.h"
#include "http/offload.h"

struct emp {
	char *grades, *exam, *ratings;
};

struct job {
	struct emp *emps;
	size_t n;
	char *rules_text, *at;
	long version;
	int64_t at_us;
	char *period, *packed, *names;
	long rated_employees;
	struct rules_model rules;
	unsigned char *pdf;
	size_t len;
	char why[160];
};

static void job_free(void *arg)
{
	struct job *j = arg;
	if (!j)
		return;
	for (size_t k = 0; k < j->n; k++) {
		free(j->emps[k].grades);
		free(j->emps[k].exam);
		free(j->emps[k].ratings);
	}
	rules_model_free(&j->rules);
	free(j->emps);
	free(j->rules_text);
	free(j->at);
	free(j->period);
	free(j->packed);
	free(j->names);
	free(j->pdf);
	free(j);
}

/* On an offload thread. */
static void job_work(void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	const struct catalog *cat = catalog_default();
	struct profile_value(*values)[RULES_ITEMS] = calloc(j->n ? j->n : 1, sizeof *values);
	struct rules_evidence ev = {0};
	struct readiness *rd = calloc(j->n ? j->n : 1, sizeof *rd);
	json_t *raters = NULL, *doc = NULL;
	if (!values || !rd) {
		snprintf(j->why, sizeof j->why, "out of memory");
		goto done;
	}
	if (!j->rules_text || !rules_model_parse(j->rules_text, &j->rules, j->why, sizeof j->why))
		goto done;
	const struct rules_version *version = rules_version_at(&j->rules, j->at_us);
	j->version = version ? version->version : 0;
	for (size_t k = 0; k < j->n; k++) {
		const struct emp *e = &j->emps[k];
		if (!rules_values(&j->rules, cat, j->at_us, RULES_HELD, &ev, e->grades, e->exam, e->ratings, values[k],
				  NULL) ||
		    !readiness_of(&j->rules, cat, j->at_us, &ev, &rd[k])) {
			snprintf(j->why, sizeof j->why, "malformed evidence");
			goto done;
		}
	}
	raters = raters_quality_document(j->period, j->packed, j->names, j->rated_employees, j->why, sizeof j->why);
	if (!raters)
		goto done;
	struct deptreport_input in = {
		r->params[0], j->at, j->version, j->n, (const struct profile_value(*)[RULES_ITEMS])values, rd, raters};
	doc = deptreport_document(&in);
	if (!doc)
		snprintf(j->why, sizeof j->why, "the report could not be composed");
	else if (!report_pdf(doc, &j->pdf, &j->len, j->why, sizeof j->why))
		j->pdf = NULL;
done:
	json_decref(doc);
	json_decref(raters);
	rules_evidence_free(&ev);
	free(values);
	free(rd);
}

static void job_done(void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	if (!j->pdf) {
		log_error("department report of %s: %s", r->params[0], j->why);
		req_reply_error(r, 503, "unavailable", "the report could not be drawn");
		return;
	}
	req_add_header(r, "Content-Disposition", "inline; filename=\"department-report.pdf\"");
	req_reply(r, 200, "application/pdf", j->pdf, j->len);
}

static void on_raters(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (!raters_row_copy(res, &j->period, &j->packed, &j->names, &j->rated_employees)) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, job_work, job_done, r))
		api_reply_busy(r);
}

static char *dup_or_null(const struct db_result *res, int row, int col, bool *ok)
{
	if (db_result_isnull(res, row, col))
		return NULL;
	char *s = strdup(db_result_value(res, row, col));
	if (!s)
		*ok = false;
	return s;
}

static void on_rows(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	int rows = db_result_rows(res);
	if (rows == 0) {
		req_reply_error(r, 404, "not_found", "no such department");
		return;
	}
	bool ok = (j->emps = calloc((size_t)rows, sizeof *j->emps)) != NULL;
	for (int row = 0; ok && row < rows; row++) {
		struct emp *e = &j->emps[j->n++];
		e->grades = dup_or_null(res, row, READINESS_C_GRADES, &ok);
		e->exam = dup_or_null(res, row, READINESS_C_EXAM, &ok);
		e->ratings = dup_or_null(res, row, READINESS_C_RATINGS, &ok);
		if (!db_result_isnull(res, row, READINESS_C_RULES))
			j->rules_text = dup_or_null(res, row, READINESS_C_RULES, &ok);
	}
	if (ok) {
		j->at = dup_or_null(res, 0, READINESS_C_AT, &ok);
		j->at_us = db_result_long(res, 0, READINESS_C_ATUS);
	}
	if (!ok) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	const char *params[] = {NULL, r->params[0]};
	api_query(r, raters_sql, 2, params, on_raters);
}

void departments_report_pdf(struct req *r)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = j;
	r->data_free = job_free;
	const char *params[] = {r->params[0], NULL, NULL};
	api_query(r, readiness_sql, 3, params, on_rows);
}
