/* Readiness for the next grade (SPEC §4.6b): GET /api/v1/profiles/readiness. The database returns
 * the HR listing's packed evidence, one row per employee (migration 0013; 0018 for employees rated
 * after now); an offload thread applies the listing's rules at the next grade's levels
 * (domain/readiness.c), orders by status then name, and writes the JSON or CSV. */
#include <event2/buffer.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/readiness.h"
#include "http/offload.h"

/* Each employee's evidence as of now (examd_evidence_packed, migration 0024) with their place in the
 * order by name (ord: sorting the narrow users rows, not the wide evidence rows, which would spill to
 * disk), and the model's versions once, on one row. $1 department, $2 period, $3 one employee (all
 * NULL-able). The grade filter is applied in C to the grade held now (rules_grade_at). */
const char readiness_sql[] =
	"WITH t AS MATERIALIZED (SELECT x.at, examd_ts(x.at) AS at_text,"
	"                               (extract(epoch FROM x.at) * 1000000)::bigint AS at_us"
	"                        FROM (SELECT now() AS at) x),"
	" e AS MATERIALIZED (SELECT u.username, u.name, u.department, row_number() OVER (ORDER BY u.name, u.username) AS ord"
	"       FROM users u WHERE u.role = 'employee' AND u.active"
	"       AND ($1::text IS NULL OR u.department = $1)"
	"       AND ($3::text IS NULL OR u.username = $3)),"
	" d AS MATERIALIZED (SELECT d.*, row_number() OVER () AS n"
	"       FROM t CROSS JOIN LATERAL examd_evidence_packed(ARRAY(SELECT username FROM e), t.at, $2) d)"
	" SELECT d.username, d.grades, d.period, d.exam, d.ratings, e.name, e.department, t.at_text,"
	"        CASE WHEN d.n = 1 THEN examd_rules_evidence() END, e.ord, t.at_us"
	" FROM d CROSS JOIN t JOIN e ON e.username = d.username";

enum { R_USERNAME, R_GRADES, R_PERIOD, R_EXAM, R_RATINGS, R_NAME, R_DEPARTMENT, R_AT, R_RULES, R_ORD, R_ATUS, R_COLS };
#define TEXT_COLS 7 /* username .. department */
_Static_assert((int)R_RULES == (int)READINESS_C_RULES && (int)R_ORD == (int)READINESS_C_ORD &&
		       (int)R_RATINGS == (int)READINESS_C_RATINGS && (int)R_AT == (int)READINESS_C_AT &&
		       (int)R_GRADES == (int)READINESS_C_GRADES && (int)R_EXAM == (int)READINESS_C_EXAM &&
		       (int)R_ATUS == (int)READINESS_C_ATUS,
	       "api.h names the columns of readiness_sql");

struct emp {
	char *f[TEXT_COLS]; /* NULL for SQL NULL */
	long ord;           /* place in the order by name */
	int grade;          /* held now; 0 when none */
	bool listed;        /* passes the grade filter */
	struct readiness rd;
};

struct job {
	bool csv, failed;
	int grade; /* ?grade=, 0 for every grade */
	struct emp *emps;
	size_t n;
	char *rules_text, *at;
	int version; /* in force at the time (rules_version_at) */
	int64_t at_us;
	struct rules_model rules;
	struct evbuffer *out;
	bool out_failed;
};

static void job_free(void *arg)
{
	struct job *j = arg;
	if (!j)
		return;
	for (size_t k = 0; k < j->n; k++)
		for (int c = 0; c < TEXT_COLS; c++)
			free(j->emps[k].f[c]);
	free(j->emps);
	free(j->rules_text);
	free(j->at);
	rules_model_free(&j->rules);
	if (j->out)
		evbuffer_free(j->out);
	free(j);
}

static void add(struct job *j, const void *p, size_t n)
{
	if (evbuffer_add(j->out, p, n) != 0)
		j->out_failed = true;
}

static void addf(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(j->out, fmt, ap) < 0)
		j->out_failed = true;
	va_end(ap);
}

static bool put_job(void *ctx, const char *p, size_t n)
{
	add(ctx, p, n);
	return !((struct job *)ctx)->out_failed;
}

/* A JSON string (the database's text is valid UTF-8), or null. */
static void jstr(struct job *j, const char *s)
{
	if (!s)
		add(j, "null", 4);
	else
		(void)util_json_string(s, put_job, j);
}

/* A value as the listing writes it: whole, or one decimal. */
static void value(struct job *j, struct profile_value v, const char *missing)
{
	if (!v.has)
		add(j, missing, strlen(missing));
	else if (v.tenths % 10 == 0)
		addf(j, "%d", v.tenths / 10);
	else
		addf(j, "%d.%d", v.tenths / 10, v.tenths % 10);
}

static void write_json(struct job *j, const size_t *order)
{
	const struct catalog *cat = catalog_default();
	addf(j, "{\"at\":");
	jstr(j, j->at ? j->at : "");
	addf(j, ",\"model_version\":%d,\"employees\":[", j->version);
	for (size_t k = 0; k < j->n; k++) {
		const struct emp *e = &j->emps[order[k]];
		const struct readiness *rd = &e->rd;
		addf(j, "%s{\"username\":", k ? "," : "");
		jstr(j, e->f[R_USERNAME]);
		addf(j, ",\"name\":");
		jstr(j, e->f[R_NAME]);
		addf(j, ",\"department\":");
		jstr(j, e->f[R_DEPARTMENT]);
		if (e->grade)
			addf(j, ",\"grade\":%d", e->grade);
		else
			addf(j, ",\"grade\":null");
		if (rd->next_grade)
			addf(j, ",\"next_grade\":%d", rd->next_grade);
		else
			addf(j, ",\"next_grade\":null");
		addf(j, ",\"period\":");
		jstr(j, e->f[R_PERIOD]);
		addf(j, ",\"status\":\"%s\",\"met\":%d,\"below\":%d,\"missing\":%d,\"items\":[",
		     readiness_status_name(rd->status), rd->met, rd->below, rd->missing);
		if (rd->status != READINESS_TOP_GRADE)
			for (int i = 0; i < RULES_ITEMS; i++) {
				const char *lv =
					rules_level_of(rules_version_at(&j->rules, j->at_us), rd->next_grade, i + 1);
				addf(j, "%s{\"item\":\"%s\",\"required_level\":", i ? "," : "",
				     catalog_item_at(cat, (size_t)i)->code);
				jstr(j, lv);
				addf(j, ",\"actual\":");
				value(j, rd->value[i], "null");
				addf(j, ",\"status\":\"%s\"}", readiness_item_name(rd->item[i]));
			}
		add(j, "]}", 2);
	}
	addf(j, "],\"counts\":{");
	int counts[READINESS_STATUSES] = {0};
	for (size_t k = 0; k < j->n; k++)
		counts[j->emps[k].rd.status]++;
	for (int s = 0; s < READINESS_STATUSES; s++)
		addf(j, "%s\"%s\":%d", s ? "," : "", readiness_status_name((enum readiness_status)s), counts[s]);
	addf(j, "},\"items\":[");
	for (int i = 0; i < RULES_ITEMS; i++)
		addf(j, "%s\"%s\"", i ? "," : "", catalog_item_at(cat, (size_t)i)->code);
	add(j, "]}", 2);
}

/* Same conventions as the profile listing's CSV: UTF-8 with BOM, CRLF, formula-safe cells. */
static void write_csv(struct job *j, const size_t *order)
{
	const struct catalog *cat = catalog_default();
	add(j, "\xEF\xBB\xBF", 3);
	addf(j, "username,name,department,grade,period,next_grade,status");
	for (int i = 0; i < RULES_ITEMS; i++)
		addf(j, ",%s", catalog_item_at(cat, (size_t)i)->code);
	addf(j, ",met,below,missing\r\n");
	for (size_t k = 0; k < j->n && !j->out_failed; k++) {
		const struct emp *e = &j->emps[order[k]];
		const struct readiness *rd = &e->rd;
		static const int text_cols[] = {R_USERNAME, R_NAME, R_DEPARTMENT, -1, R_PERIOD};
		for (size_t c = 0; c < sizeof text_cols / sizeof text_cols[0]; c++) {
			if (c)
				add(j, ",", 1);
			if (text_cols[c] < 0) {
				if (e->grade)
					addf(j, "%d", e->grade);
			} else if (e->f[text_cols[c]] && !api_csv_cell(j->out, e->f[text_cols[c]])) {
				j->out_failed = true;
			}
		}
		add(j, ",", 1);
		if (rd->next_grade)
			addf(j, "%d", rd->next_grade);
		addf(j, ",%s", readiness_status_name(rd->status));
		for (int i = 0; i < RULES_ITEMS; i++) {
			add(j, ",", 1);
			if (rd->status != READINESS_TOP_GRADE)
				value(j, rd->value[i], "");
		}
		if (rd->status == READINESS_TOP_GRADE)
			addf(j, ",,,\r\n");
		else
			addf(j, ",%d,%d,%d\r\n", rd->met, rd->below, rd->missing);
	}
}

static int by_ord(const void *a, const void *b)
{
	long x = ((const struct emp *)a)->ord, y = ((const struct emp *)b)->ord;
	return x < y ? -1 : x > y;
}

/* On an offload thread. */
static void job_work(void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	const struct catalog *cat = catalog_default();
	char why[128] = "";
	size_t *order = NULL;
	enum readiness_status *status = NULL;
	struct rules_evidence ev = {0};
	if (j->n && (!j->rules_text || !rules_model_parse(j->rules_text, &j->rules, why, sizeof why))) {
		log_error("readiness: %s", *why ? why : "no rules row");
		goto fail;
	}
	const struct rules_version *version = j->n ? rules_version_at(&j->rules, j->at_us) : NULL;
	j->version = version ? version->version : 0;
	order = malloc((j->n ? j->n : 1) * sizeof *order);
	status = malloc((j->n ? j->n : 1) * sizeof *status);
	j->out = evbuffer_new();
	if (!order || !status || !j->out)
		goto fail;
	size_t listed = 0;
	for (size_t k = 0; k < j->n; k++) {
		struct emp *e = &j->emps[k];
		if (!rules_evidence_parse(&ev, e->f[R_GRADES], e->f[R_EXAM], e->f[R_RATINGS]) ||
		    !readiness_of(&j->rules, cat, j->at_us, &ev, &e->rd)) {
			/* Never a listing that silently leaves someone out. */
			log_error("readiness: malformed evidence for %s", e->f[R_USERNAME]);
			goto fail;
		}
		e->grade = rules_grade_at(&ev, j->at_us);
		e->listed = !j->grade || e->grade == j->grade;
		listed += e->listed;
	}
	/* The grade filter, then by name (ord), then stably by status. */
	qsort(j->emps, j->n, sizeof *j->emps, by_ord);
	for (size_t k = 0, w = 0; k < j->n; k++) {
		struct emp *e = &j->emps[k];
		if (e->listed) {
			struct emp keep = *e;
			*e = j->emps[w];
			j->emps[w++] = keep;
		}
	}
	for (size_t k = listed; k < j->n; k++)
		for (int c = 0; c < TEXT_COLS; c++) {
			free(j->emps[k].f[c]);
			j->emps[k].f[c] = NULL;
		}
	j->n = listed;
	for (size_t k = 0; k < j->n; k++)
		status[k] = j->emps[k].rd.status;
	readiness_order(status, j->n, order);
	if (j->csv)
		write_csv(j, order);
	else
		write_json(j, order);
	if (j->out_failed)
		goto fail;
	free(order);
	free(status);
	rules_evidence_free(&ev);
	return;
fail:
	j->failed = true;
	free(order);
	free(status);
	rules_evidence_free(&ev);
}

static void job_done(void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	if (j->failed) {
		req_reply_error(r, 503, "unavailable", "the readiness listing could not be computed");
		return;
	}
	struct evbuffer *out = j->out;
	j->out = NULL;
	if (j->csv) {
		req_add_header(r, "Content-Disposition", "attachment; filename=\"readiness.csv\"");
		req_reply_evbuffer(r, 200, "text/csv; charset=utf-8", out);
	} else {
		req_reply_evbuffer(r, 200, "application/json; charset=utf-8", out);
	}
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
	bool ok = true;
	j->emps = calloc(rows > 0 ? (size_t)rows : 1, sizeof *j->emps);
	if (!j->emps)
		ok = false;
	for (int row = 0; ok && row < rows; row++) {
		struct emp *e = &j->emps[j->n++];
		for (int c = 0; c < TEXT_COLS; c++)
			e->f[c] = dup_or_null(res, row, c, &ok);
		e->ord = db_result_long(res, row, R_ORD);
		if (!db_result_isnull(res, row, R_RULES))
			j->rules_text = dup_or_null(res, row, R_RULES, &ok);
	}
	if (rows) {
		j->at = dup_or_null(res, 0, R_AT, &ok);
		j->at_us = db_result_long(res, 0, R_ATUS);
	}
	if (!ok) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, job_work, job_done, r))
		api_reply_busy(r);
}

void readiness_list(struct req *r)
{
	const char *department = req_query(r, "department"), *grade = req_query(r, "grade");
	const char *period = req_query(r, "period"), *format = req_query(r, "format");
	long g;
	if (grade && *grade && !util_parse_long(grade, 1, 4, &g)) {
		req_reply_error(r, 400, "invalid_field", "grade must be a number from 1 to 4");
		return;
	}
	if (period && *period && !api_period_ok(period)) {
		req_reply_error(r, 400, "invalid_field", "period must be a label of 1-32 characters, e.g. 2026H2");
		return;
	}
	if (format && *format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		req_reply_error(r, 400, "invalid_field", "format must be json or csv");
		return;
	}
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	j->csv = format && !strcmp(format, "csv");
	j->grade = grade && *grade ? (int)g : 0;
	r->data = j;
	r->data_free = job_free;
	const char *params[] = {department && *department ? department : NULL, period && *period ? period : NULL, NULL};
	api_query(r, readiness_sql, 3, params, on_rows);
}

bool readiness_row(const struct db_result *res, int row, struct readiness *out, struct rules_model *rules,
		   struct rules_evidence *ev)
{
	char why[128] = "";
	int with_rules = 0, rows = db_result_rows(res);
	while (with_rules < rows && db_result_isnull(res, with_rules, R_RULES))
		with_rules++;
	if (row >= rows || with_rules == rows ||
	    !rules_model_parse(db_result_value(res, with_rules, R_RULES), rules, why, sizeof why)) {
		log_error("readiness: %s", *why ? why : "no rules row");
		return false;
	}
	const char *cols[3];
	static const int c[3] = {R_GRADES, R_EXAM, R_RATINGS};
	for (int k = 0; k < 3; k++)
		cols[k] = db_result_isnull(res, row, c[k]) ? NULL : db_result_value(res, row, c[k]);
	return rules_evidence_parse(ev, cols[0], cols[1], cols[2]) &&
	       readiness_of(rules, catalog_default(), db_result_long(res, row, R_ATUS), ev, out);
}
