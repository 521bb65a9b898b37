/* Combined competency profiles (SPEC §3.2-§3.4, §4.5): one employee's profile and radar chart,
 * the HR listing (JSON or CSV for Excel) and the gaps query. The database gathers the raw evidence
 * (examd_evidence_packed and examd_evidence_one, migration 0024); the rules are domain/rules.c's, the arithmetic profile.c's. */
#include <ctype.h>
#include <math.h>
#include <event2/buffer.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/csv.h"
#include "domain/empreport.h"
#include "domain/deptsummary.h"
#include "domain/itemstats.h"
#include "domain/rules.h"
#include "domain/profile.h"
#include "domain/radar.h"
#include "domain/readiness.h"
#include "domain/report.h"
#include "http/offload.h"

#define NITEMS 18
#define STR_(x) #x
#define STR(x) STR_(x)
#define SEM_MIN_ATTEMPTS STR(ITEMSTATS_SEM_MIN_ATTEMPTS)

/* Loose shape check of `at` before PostgreSQL parses it: digits, a date, and time-ish characters. */
static bool at_param_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 10 || n > 40 || !isdigit((unsigned char)s[0]) || s[4] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789-:.TZ+ tz", s[i]))
			return false;
	return true;
}

/* Reads ?at= and ?period=; returns the message of the first malformed one (NULL when both are
 * well-formed). */
static const char *profile_param_error(struct req *r, const char **at, const char **period)
{
	*at = req_query(r, "at");
	*period = req_query(r, "period");
	if (*at && !**at)
		*at = NULL;
	if (*period && !**period)
		*period = NULL;
	if (*at && !at_param_ok(*at))
		return "at must be an RFC 3339 time, e.g. 2026-06-30T00:00:00Z";
	if (*period && !api_period_ok(*period))
		return "period must be a label of 1-32 characters, e.g. 2026H2";
	return NULL;
}

/* Reads ?at= and ?period=; replies 400 and returns false when malformed. */
static bool profile_params(struct req *r, const char **at, const char **period)
{
	const char *bad = profile_param_error(r, at, period);
	if (bad) {
		req_reply_error(r, 400, "invalid_field", "%s", bad);
		return false;
	}
	return true;
}

/* A malformed query parameter of a single profile: 404 when the employee does not exist (the check
 * order is 401, 403, 404, then 400), else 400 with message. */
static void on_profile_exists(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	char *message = r->data;
	r->data = NULL;
	r->data_free = NULL;
	if (db_result_status(res) != DB_OK)
		api_reply_db_failure(r, res);
	else if (db_result_rows(res) == 0)
		req_reply_error(r, 404, "not_found", "no such employee");
	else
		req_reply_error(r, 400, "invalid_field", "%s", message);
	free(message);
}

static void reply_bad_param_or_unknown(struct req *r, const char *message)
{
	char *copy = strdup(message);
	if (!copy) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = copy;
	r->data_free = free;
	const char *params[] = {r->params[0]};
	api_query(r, "SELECT 1 FROM users WHERE username = $1 AND role = 'employee'", 1, params, on_profile_exists);
}

static bool is_bad_time(const struct db_result *res)
{
	return db_result_status(res) == DB_ERROR && !strncmp(db_result_sqlstate(res), "22", 2);
}

/* ------------------------------------------------------------------ one employee */

/* One row: the employee's raw evidence as of T (examd_evidence_packed), the model's versions, and what
 * the document shows of each attempt and rating (keyed by id; a rating's "weight" is a placeholder
 * that keeps its place in the object and is set from the rules), the blueprints' SEMs. */
static const char *const sql_profile =
	"WITH t AS MATERIALIZED (SELECT x.at, examd_ts(x.at) AS at_text,"
	"                               (extract(epoch FROM x.at) * 1000000)::bigint AS at_us"
	"                        FROM (SELECT coalesce($2::timestamptz, now()) AS at) x),"
	" d AS MATERIALIZED (SELECT u.username, u.name, u.department, d.period, d.grades, d.exam, d.ratings"
	"       FROM users u CROSS JOIN t CROSS JOIN LATERAL examd_evidence_one(u.username, t.at, $3) d"
	"       WHERE u.username = $1 AND u.role = 'employee')"
	" SELECT d.username, d.period, d.grades, d.exam, d.ratings, d.name, d.department, t.at_text, t.at_us,"
	"        examd_rules_evidence(),"
	"        (SELECT string_agg(concat_ws(':', s.item, s.level, coalesce(s.sem::text, '')), ',') FROM blueprint_sem s"
	"         WHERE s.attempts >= " SEM_MIN_ATTEMPTS "),"
	"        (SELECT json_object_agg(a.id, jsonb_build_object('attempt_id', a.id, 'standard_score', a.standard_score,"
	"                'band', a.band, 'status', a.status, 'submitted_at', examd_ts(a.submitted_at)))::text"
	"         FROM attempts a WHERE a.username = d.username AND a.status IN ('submitted', 'auto_submitted')"
	"          AND a.submitted_at <= t.at),"
	"        (SELECT json_object_agg(r.id, jsonb_build_object('rating_id', r.id, 'rater', r.rater, 'relation', r.relation,"
	"                'score', r.score, 'weight', 1, 'rated_level', r.rated_level, 'rated_at', examd_ts(r.rated_at),"
	"                'note', r.note))::text"
	"         FROM behaviour_ratings r WHERE r.employee = d.username AND r.period = d.period AND r.rated_at <= t.at)"
	" FROM d CROSS JOIN t";

enum {
	C_USERNAME,
	C_PERIOD,
	C_GRADES,
	C_EXAM,
	C_RATINGS,
	C_NAME,
	C_DEPARTMENT,
	C_AT,
	C_ATUS,
	C_RULES,
	C_SEMS,
	C_ATTEMPTS,
	C_RATINGS_SHOWN
};

static const char *col(const struct db_result *res, int c)
{
	return db_result_isnull(res, 0, c) ? NULL : db_result_value(res, 0, c);
}

/* The SEM of the blueprint (item, level) from "item:level:sem,..."; has = false when unknown. */
static struct itemstats_num sem_of(const char *sems, const char *item, const char *level)
{
	struct itemstats_num sem = {false, 0};
	size_t ni = strlen(item), nl = strlen(level);
	for (const char *p = sems; p && *p;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > ni + nl + 2 && !memcmp(p, item, ni) && p[ni] == ':' &&
		    !memcmp(p + ni + 1, level, nl) && p[ni + 1 + nl] == ':') {
			const char *v = p + ni + nl + 2;
			sem.has = true;
			sem.v = atof(v);
			return sem;
		}
		p = *end ? end + 1 : end;
	}
	return sem;
}

/* An exam item's measurement error (SPEC §4.6a): its blueprint's SEM once known, and whether
 * the counted score ± SEM stays inside one band (null without a score or a SEM). */
static void add_measurement_error(json_t *o, const struct db_result *res, const struct rules_version *v,
				  const struct rules_item *it, const char *code)
{
	struct itemstats_num sem =
		it->level ? sem_of(col(res, C_SEMS), code, it->level) : (struct itemstats_num){false, 0};
	int certain = -1;
	if (it->has_score) {
		struct itemstats_band bands[7];
		size_t nb = 0;
		for (int score = 6; v && score >= 1; score--) /* the thresholds of the version in force at T */
			if (v->has_band[score])
				bands[nb++] = (struct itemstats_band){score, (double)v->band_min[score] / 1e6};
		certain = itemstats_band_certain((double)it->score / 100.0, sem, bands, nb);
	}
	json_object_set_new(o, "sem", sem.has ? json_real(round(sem.v * 100) / 100) : json_null());
	json_object_set_new(o, "band_certain", certain < 0 ? json_null() : json_boolean(certain));
}

/* Evaluation of one employee's evidence with the evidence entries the rules used. */
struct profile_eval {
	struct rules_model model;
	struct rules_evidence ev;
	struct rules_result res;
	bool *used;
	int64_t *weight;
	const char **weight_text;
};

static void profile_eval_free(struct profile_eval *p)
{
	rules_model_free(&p->model);
	rules_evidence_free(&p->ev);
	free(p->used);
	free(p->weight);
	free(p->weight_text);
}

static bool profile_eval(const struct db_result *res, struct profile_eval *p)
{
	char why[128] = "";
	if (!col(res, C_RULES) || !rules_model_parse(col(res, C_RULES), &p->model, why, sizeof why) ||
	    !rules_evidence_parse(&p->ev, col(res, C_GRADES), col(res, C_EXAM), col(res, C_RATINGS))) {
		log_error("profile: %s", *why ? why : "malformed evidence");
		return false;
	}
	p->used = calloc(p->ev.nattempts + 1, sizeof *p->used);
	p->weight = calloc(p->ev.nratings + 1, sizeof *p->weight);
	p->weight_text = calloc(p->ev.nratings + 1, sizeof *p->weight_text);
	return p->used && p->weight && p->weight_text &&
	       rules_evaluate(&p->model, catalog_default(), &p->ev, db_result_long(res, 0, C_ATUS), RULES_HELD, &p->res,
			      p->used, p->weight, p->weight_text);
}

/* The evidence entry k sorts before j: attempts by started_at, ratings by rated_at (then id). */
struct shown {
	int64_t at, id;
	size_t k;
};

static int shown_cmp(const void *a, const void *b)
{
	const struct shown *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* The evidence of item position pos (1-based): the counted attempts or the kept ratings (with their
 * weight), as the database shows them; NULL on out of memory or an entry without details. */
static json_t *item_evidence(const struct profile_eval *p, bool exam, int pos, json_t *attempts, json_t *ratings)
{
	size_t n = exam ? p->ev.nattempts : p->ev.nratings, m = 0;
	struct shown *list = calloc(n + 1, sizeof *list);
	json_t *out = json_array();
	if (!list || !out)
		goto fail;
	for (size_t k = 0; k < n; k++) {
		if (exam && p->used[k] && p->ev.attempts[k].position == pos)
			list[m++] = (struct shown){p->ev.attempts[k].started, p->ev.attempts[k].id, k};
		else if (!exam && p->weight[k] >= 0 && p->ev.ratings[k].position == pos)
			list[m++] = (struct shown){p->ev.ratings[k].rated_at, p->ev.ratings[k].id, k};
	}
	qsort(list, m, sizeof *list, shown_cmp);
	for (size_t i = 0; i < m; i++) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)list[i].id);
		json_t *d = json_object_get(exam ? attempts : ratings, key);
		if (!json_is_object(d))
			goto fail;
		if (exam) {
			json_array_append(out, d);
			continue;
		}
		json_t *copy = json_copy(d);
		const char *wt = p->weight_text[list[i].k];
		json_error_t jerr;
		json_t *w = wt ? json_loads(wt, JSON_DECODE_ANY, &jerr) : json_integer(1);
		if (!copy || !w || json_object_set_new(copy, "weight", w) != 0 || json_array_append_new(out, copy) != 0)
			goto fail;
	}
	free(list);
	return out;
fail:
	free(list);
	json_decref(out);
	return NULL;
}

/* Builds the profile document from the employee's row; NULL when it is malformed.
 * anonymous (an employee reading their own profile, SPEC §4.5): behaviour evidence per relation only,
 * {"relation","count","mean"}, never a rater, a single rating or a note. */
static json_t *profile_document(const struct db_result *res, struct profile_value values[NITEMS], bool anonymous)
{
	const struct catalog *cat = catalog_default();
	struct profile_eval p = {0};
	json_error_t jerr;
	json_t *attempts = col(res, C_ATTEMPTS) ? json_loads(col(res, C_ATTEMPTS), 0, &jerr) : json_object();
	json_t *ratings = col(res, C_RATINGS_SHOWN) ? json_loads(col(res, C_RATINGS_SHOWN), 0, &jerr) : json_object();
	json_t *items = json_array(), *doc = NULL;
	if (db_result_rows(res) != 1 || !attempts || !ratings || !items || !profile_eval(res, &p))
		goto done;
	for (int i = 0; i < NITEMS; i++) {
		const struct catalog_item *it = catalog_item_at(cat, (size_t)i);
		const struct rules_item *ri = &p.res.item[i];
		bool exam = it->assessment == CATALOG_ASSESS_EXAM;
		values[i] = ri->value;
		enum profile_status st = profile_status_of(values[i]);
		json_t *evidence = item_evidence(&p, exam, i + 1, attempts, ratings);
		if (!evidence)
			goto done;
		bool by_relation = anonymous && !exam;
		if (by_relation) {
			json_t *summary = profile_relation_summary_json(evidence);
			json_decref(evidence);
			if (!summary)
				goto done;
			evidence = summary;
		}
		json_t *o =
			json_pack("{s:s,s:s,s:s,s:s,s:o,s:i,s:o,s:o,s:s,s:s,s:o}", "item", it->code, "name_zh",
				  it->name_zh, "category", it->category->code, "source", exam ? "exam" : "behaviour",
				  "required_level", ri->level ? json_string(ri->level) : json_null(), "standard", 5,
				  "actual", profile_value_json(values[i]), "gap", profile_gap_json(values[i]), "status",
				  profile_status_name(st), "evidence_kind",
				  exam          ? "attempts"
				  : by_relation ? "relations"
						: "ratings",
				  "evidence", evidence);
		if (exam && ri->has_score)
			json_object_set_new(o, "exam_score", json_real((double)ri->score / 100.0));
		if (exam)
			add_measurement_error(o, res, p.res.version, ri, it->code);
		json_array_append_new(items, o);
	}
	const char *period = col(res, C_PERIOD);
	doc = json_pack("{s:{s:s,s:s,s:s,s:o},s:s,s:I,s:o,s:O,s:o}", "employee", "username",
			db_result_value(res, 0, C_USERNAME), "name", db_result_value(res, 0, C_NAME), "department",
			db_result_value(res, 0, C_DEPARTMENT), "grade",
			p.res.grade ? json_integer(p.res.grade) : json_null(), "at", db_result_value(res, 0, C_AT),
			"model_version", (json_int_t)(p.res.version ? p.res.version->version : 0), "period",
			period ? json_string(period) : json_null(), "items", items, "summary",
			profile_summary_json(cat, values, NITEMS));
done:
	json_decref(items);
	json_decref(attempts);
	json_decref(ratings);
	profile_eval_free(&p);
	return doc;
}

static void on_profile(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	bool svg = r->data != NULL;
	r->data = NULL;
	if (is_bad_time(res)) {
		/* The employee is looked up first: 404 comes before 400. */
		reply_bad_param_or_unknown(r, "at must be an RFC 3339 time");
		return;
	}
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) == 0) {
		req_reply_error(r, 404, "not_found", "no such employee");
		return;
	}
	struct profile_value values[NITEMS];
	/* Decided from the caller's role, never from the request: an employee reads only their own
	 * profile (profile_start), and raters stay anonymous to them; HR and admin see the evidence. */
	json_t *doc = profile_document(res, values, !strcmp(r->user.role, "employee"));
	if (!doc) {
		log_error("profile of %s: unexpected rows from the database", r->params[0]);
		req_reply_error(r, 503, "unavailable", "the profile could not be computed");
		return;
	}
	if (!svg) {
		req_reply_json(r, 200, doc);
		return;
	}
	const struct catalog *cat = catalog_default();
	struct radar_axis axes[NITEMS];
	char notes[NITEMS][128];
	json_t *items = json_object_get(doc, "items");
	for (int i = 0; i < NITEMS; i++) {
		axes[i] = (struct radar_axis){catalog_item_at(cat, (size_t)i)->name_zh, values[i].has, values[i].tenths,
					      NULL};
		/* An exam item's evidence in the tooltip: the counted score and its measurement error. */
		json_t *it = json_array_get(items, (size_t)i);
		json_t *score = json_object_get(it, "exam_score"), *sem = json_object_get(it, "sem");
		if (!json_is_number(score))
			continue;
		if (json_is_number(sem))
			snprintf(notes[i], sizeof notes[i], "标准分 %.2f，测量误差 ±%.1f 分%s",
				 json_number_value(score), json_number_value(sem),
				 json_is_false(json_object_get(it, "band_certain")) ? "，可能跨越等级" : "");
		else
			snprintf(notes[i], sizeof notes[i], "标准分 %.2f，测量误差尚未确定", json_number_value(score));
		axes[i].note = notes[i];
	}
	char title[512], gradebuf[40] = "", periodbuf[72] = "";
	json_t *emp = json_object_get(doc, "employee");
	json_t *grade = json_object_get(emp, "grade");
	json_t *period = json_object_get(doc, "period");
	if (json_is_integer(grade))
		snprintf(gradebuf, sizeof gradebuf, " · 客户经理%lld级", (long long)json_integer_value(grade));
	if (json_is_string(period))
		snprintf(periodbuf, sizeof periodbuf, " · %s", json_string_value(period));
	snprintf(title, sizeof title, "%s（%s）能力素质画像%s%s", json_string_value(json_object_get(emp, "name")),
		 json_string_value(json_object_get(emp, "username")), gradebuf, periodbuf);
	json_decref(doc);
	/* ?size=: the canvas in px (a phone asks for its width, so that the labels stay readable). */
	long size = 600;
	const char *size_param = req_query(r, "size");
	if (size_param && *size_param && !util_parse_long(size_param, 300, 1200, &size))
		size = 600;
	char *text = radar_svg(axes, NITEMS, title, (int)size);
	if (!text) {
		req_reply_error(r, 503, "unavailable", "the chart could not be drawn");
		return;
	}
	req_add_header(r, "Content-Security-Policy",
		       "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'");
	req_reply(r, 200, "image/svg+xml; charset=utf-8", text, strlen(text));
	free(text);
}

static void profile_start(struct req *r, bool svg)
{
	const char *target = r->params[0];
	/* An employee reads only their own profile; trainers none (route roles). */
	if (!strcmp(r->user.role, "employee") && strcmp(target, r->user.username) != 0) {
		req_reply_error(r, 403, "forbidden", "you may read your own profile only");
		return;
	}
	const char *at, *period;
	const char *bad = profile_param_error(r, &at, &period);
	if (bad) {
		reply_bad_param_or_unknown(r, bad);
		return;
	}
	r->data = svg ? (void *)1 : NULL;
	r->data_free = NULL;
	const char *params[] = {target, at, period};
	api_query(r, sql_profile, 3, params, on_profile);
}

void profiles_get(struct req *r)
{
	profile_start(r, false);
}
void profiles_svg(struct req *r)
{
	profile_start(r, true);
}

/* ------------------------------------------------------------------ the HR listing and gaps */

/* One row of raw evidence per employee (examd_evidence_packed, migration 0024); the model's versions
 * come once, on one row. $1 department, $2 period, $3 at. The grade filter is applied in C to the
 * grade held at T (rules_grade_at), so that it cannot disagree with the values. */
static const char *const sql_listing =
	"WITH t AS MATERIALIZED (SELECT x.at, examd_ts(x.at) AS at_text,"
	"                               (extract(epoch FROM x.at) * 1000000)::bigint AS at_us"
	"                        FROM (SELECT coalesce($3::timestamptz, now()) AS at) x),"
	" e AS (SELECT u.username FROM users u WHERE u.role = 'employee' AND u.active"
	"       AND ($1::text IS NULL OR u.department = $1)),"
	" d AS (SELECT d.*, row_number() OVER () AS n"
	"       FROM t CROSS JOIN LATERAL examd_evidence_packed(ARRAY(SELECT username FROM e), t.at, $2) d)"
	" SELECT d.username, d.grades, d.period, d.exam, d.ratings, u.name, u.department,"
	"        t.at_text, CASE WHEN d.n = 1 THEN examd_rules_evidence() END, t.at_us"
	" FROM d CROSS JOIN t JOIN users u ON u.username = d.username"
	" ORDER BY u.department, u.name COLLATE \"zh-x-icu\", d.username"; /* names in pinyin order */

enum { L_USERNAME, L_GRADES, L_PERIOD, L_EXAM, L_RATINGS, L_NAME, L_DEPARTMENT, L_AT, L_RULES, L_ATUS };

enum listing_kind { LIST_JSON, LIST_CSV, LIST_GAPS, LIST_SUMMARY };

struct listing {
	enum listing_kind kind;
	int grade;        /* ?grade=: only employees of this grade at T; 0 for all */
	const char *item; /* gaps: only this item */
	long limit;
	/* Computed and written on the offload pool: a listing of 10,000 employees would otherwise hold
	 * the worker's loop (and every examinee on it) for a tenth of a second or more. */
	struct db_result *res; /* the rows, kept past their callback */
	struct evbuffer *out;  /* the reply body */
	const char *error;     /* NULL, or why there is no listing (503) */
};

static void listing_free(void *arg)
{
	struct listing *l = arg;
	db_result_free(l->res);
	if (l->out)
		evbuffer_free(l->out);
	free(l);
}

/* The listing's writers append to one evbuffer; a failed append (out of memory) is remembered,
 * and the reply is then a 503, never a truncated 200. The writers run on one thread at a time. */
static _Thread_local bool out_failed;

static void out_add(struct evbuffer *out, const void *p, size_t n)
{
	if (evbuffer_add(out, p, n) != 0)
		out_failed = true;
}

static void out_printf(struct evbuffer *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(out, fmt, ap) < 0)
		out_failed = true;
	va_end(ap);
}

static bool put_evbuffer(void *ctx, const char *p, size_t n)
{
	if (evbuffer_add(ctx, p, n) != 0)
		out_failed = true;
	return !out_failed;
}

/* One cell, quoted as needed and with formulas neutralised for Excel (csv_write_cell).
 * false: out of memory, the buffer is short. */
static bool csv_cell(struct evbuffer *out, const char *s)
{
	return csv_write_cell(s, put_evbuffer, out);
}

/* One cell for any CSV writer of the API (csv_write_cell); false: out of memory. */
bool api_csv_cell(struct evbuffer *out, const char *s)
{
	return csv_cell(out, s);
}

/* A value as the listing writes it: an integer when whole, else one decimal (the single profile's
 * JSON numbers); nothing (CSV) or null (JSON) when missing. */
static void value_text(struct evbuffer *out, struct profile_value v)
{
	if (v.tenths % 10 == 0)
		out_printf(out, "%d", v.tenths / 10);
	else
		out_printf(out, "%s%d.%d", v.tenths < 0 ? "-" : "", abs(v.tenths) / 10, abs(v.tenths) % 10);
}

static void csv_value(struct evbuffer *out, struct profile_value v)
{
	if (v.has)
		value_text(out, v);
}

static void json_value(struct evbuffer *out, struct profile_value v)
{
	if (v.has)
		value_text(out, v);
	else
		out_add(out, "null", 4);
}

/* A JSON string. The database's text is valid UTF-8; quotes, backslashes and controls are escaped. */
static void json_str(struct evbuffer *out, const char *s)
{
	(void)util_json_string(s, put_evbuffer, out);
}

/* A string column, or null when empty (grade, period). */
static void json_str_or_null(struct evbuffer *out, const char *s, bool number)
{
	if (!*s)
		out_add(out, "null", 4);
	else if (number)
		out_add(out, s, strlen(s));
	else
		json_str(out, s);
}

/* One employee of the listing: the row and the computed values. */
struct listed {
	int row;
	int grade; /* held at T; 0 when none */
	int counts[4];
	struct profile_value values[NITEMS];
};

struct gap_entry {
	int gap_tenths;
	size_t order; /* listing order, for stable ties */
	const struct listed *who;
	int item;
};

static int gap_cmp(const void *a, const void *b)
{
	const struct gap_entry *x = a, *y = b;
	if (x->gap_tenths != y->gap_tenths)
		return x->gap_tenths < y->gap_tenths ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The fields every listing entry starts with: "username","name","department","grade","period". */
static void json_employee(struct evbuffer *out, const struct db_result *res, const struct listed *e)
{
	int row = e->row;
	out_printf(out, "{\"username\":");
	json_str(out, db_result_value(res, row, L_USERNAME));
	out_printf(out, ",\"name\":");
	json_str(out, db_result_value(res, row, L_NAME));
	out_printf(out, ",\"department\":");
	json_str(out, db_result_value(res, row, L_DEPARTMENT));
	if (e->grade)
		out_printf(out, ",\"grade\":%d", e->grade);
	else
		out_printf(out, ",\"grade\":null");
	out_printf(out, ",\"period\":");
	json_str_or_null(out, db_result_value(res, row, L_PERIOD), false);
}

static void write_csv(struct evbuffer *out, const struct db_result *res, const struct listed *emps, size_t n)
{
	const struct catalog *cat = catalog_default();
	out_add(out, "\xEF\xBB\xBF", 3);
	out_printf(out, "username,name,department,grade,period");
	for (int i = 0; i < NITEMS; i++)
		out_printf(out, ",%s", catalog_item_at(cat, (size_t)i)->code);
	out_printf(out, ",below,meets,exceeds,missing\r\n");
	for (size_t k = 0; k < n; k++) {
		const struct listed *e = &emps[k];
		api_csv_cell(out, db_result_value(res, e->row, L_USERNAME));
		out_add(out, ",", 1);
		api_csv_cell(out, db_result_value(res, e->row, L_NAME));
		out_add(out, ",", 1);
		api_csv_cell(out, db_result_value(res, e->row, L_DEPARTMENT));
		if (e->grade)
			out_printf(out, ",%d,", e->grade);
		else
			out_add(out, ",,", 2);
		api_csv_cell(out, db_result_value(res, e->row, L_PERIOD));
		for (int i = 0; i < NITEMS; i++) {
			out_add(out, ",", 1);
			csv_value(out, e->values[i]);
		}
		out_printf(out, ",%d,%d,%d,%d\r\n", e->counts[0], e->counts[1], e->counts[2], e->counts[3]);
	}
}

static void write_employees(struct evbuffer *out, const struct db_result *res, const struct listed *emps, size_t n)
{
	const struct catalog *cat = catalog_default();
	for (size_t k = 0; k < n; k++) {
		const struct listed *e = &emps[k];
		if (k)
			out_add(out, ",", 1);
		json_employee(out, res, e);
		out_printf(out, ",\"actual\":{");
		for (int i = 0; i < NITEMS; i++) {
			out_printf(out, "%s\"%s\":", i ? "," : "", catalog_item_at(cat, (size_t)i)->code);
			json_value(out, e->values[i]);
		}
		out_printf(out, "},\"summary\":{\"below\":%d,\"meets\":%d,\"exceeds\":%d,\"missing\":%d}}",
			   e->counts[0], e->counts[1], e->counts[2], e->counts[3]);
	}
}

/* Worst first: the largest gap below the standard; ties keep the listing's order. false: no memory. */
static bool write_gaps(struct evbuffer *out, const struct db_result *res, const struct listed *emps, size_t n,
		       const struct listing *l)
{
	const struct catalog *cat = catalog_default();
	size_t count = 0, cap = 0;
	struct gap_entry *gaps = NULL;
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < NITEMS; i++) {
			const struct catalog_item *it = catalog_item_at(cat, (size_t)i);
			if (profile_status_of(emps[k].values[i]) != PROFILE_BELOW ||
			    (l->item && strcmp(l->item, it->code)))
				continue;
			if (count == cap) {
				struct gap_entry *grown = realloc(gaps, (cap = cap ? 2 * cap : 1024) * sizeof *gaps);
				if (!grown) {
					free(gaps);
					return false;
				}
				gaps = grown;
			}
			gaps[count] = (struct gap_entry){emps[k].values[i].tenths - PROFILE_STANDARD_TENTHS, count,
							 &emps[k], i};
			count++;
		}
	if (count)
		if (count > 1)
			qsort(gaps, count, sizeof *gaps, gap_cmp);
	for (size_t k = 0; k < count && (long)k < l->limit; k++) {
		const struct catalog_item *it = catalog_item_at(cat, (size_t)gaps[k].item);
		struct profile_value v = gaps[k].who->values[gaps[k].item];
		if (k)
			out_add(out, ",", 1);
		json_employee(out, res, gaps[k].who);
		out_printf(out, ",\"item\":\"%s\",\"name_zh\":", it->code);
		json_str(out, it->name_zh);
		out_printf(out, ",\"source\":\"%s\",\"actual\":",
			   it->assessment == CATALOG_ASSESS_EXAM ? "exam" : "behaviour");
		json_value(out, v);
		out_printf(out, ",\"gap\":");
		json_value(out, (struct profile_value){true, v.tenths - PROFILE_STANDARD_TENTHS});
		out_add(out, "}", 1);
	}
	free(gaps);
	return true;
}

/* The department summary: per item in model order, over the listed employees (deptsummary.h). */
static void write_summary(struct evbuffer *out, const struct listed *emps, size_t n)
{
	const struct catalog *cat = catalog_default();
	int overall[4] = {0};
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < NITEMS; i++)
			overall[profile_status_of(emps[k].values[i])]++;
	out_printf(out,
		   "\"employees\":%zu,\"statuses\":{\"below\":%d,\"meets\":%d,\"exceeds\":%d,\"missing\":%d},"
		   "\"summary\":[",
		   n, overall[0], overall[1], overall[2], overall[3]);
	for (int i = 0; i < NITEMS; i++) {
		const struct catalog_item *it = catalog_item_at(cat, (size_t)i);
		struct dept_item_summary s = {0};
		for (size_t k = 0; k < n; k++)
			dept_summary_add(&s, emps[k].values[i]);
		int64_t mean, rate;
		out_printf(out, "%s{\"item\":\"%s\",\"name_zh\":", i ? "," : "", it->code);
		json_str(out, it->name_zh);
		out_printf(out, ",\"source\":\"%s\",\"assessed\":%d,\"mean\":",
			   it->assessment == CATALOG_ASSESS_EXAM ? "exam" : "behaviour", s.assessed);
		if (dept_summary_mean(&s, &mean))
			out_printf(out, "%lld.%02lld", (long long)(mean / 100), (long long)(mean % 100));
		else
			out_add(out, "null", 4);
		out_printf(out, ",\"meets_rate\":");
		if (dept_summary_meets_rate(&s, &rate))
			out_printf(out, "%lld.%lld", (long long)(rate / 10), (long long)(rate % 10));
		else
			out_add(out, "null", 4);
		out_printf(out, ",\"below\":%d,\"meets\":%d,\"exceeds\":%d,\"missing\":%d,\"distribution\":[",
			   s.counts[0], s.counts[1], s.counts[2], s.counts[3]);
		for (int v = 0; v <= 6; v++)
			out_printf(out, "%s%d", v ? "," : "", s.distribution[v]);
		out_add(out, "]}", 2);
	}
	out_add(out, "]", 1);
}

/* On an offload thread: the per-item rules for every employee, then the JSON or CSV. */
static void listing_work(void *arg)
{
	struct req *r = arg;
	struct listing *l = r->data;
	const struct db_result *res = l->res;
	const struct catalog *cat = catalog_default();
	struct evbuffer *out = l->out;
	int rows = db_result_rows(res);
	struct rules_model *rules = calloc(1, sizeof *rules);
	struct rules_evidence ev = {0};
	struct listed *emps = calloc(rows ? (size_t)rows : 1, sizeof *emps);
	out_failed = false;
	char why[128] = "";
	int with_rules = 0;
	while (with_rules < rows && db_result_isnull(res, with_rules, L_RULES))
		with_rules++;
	if (!rules || !emps ||
	    (rows && (with_rules == rows ||
		      !rules_model_parse(db_result_value(res, with_rules, L_RULES), rules, why, sizeof why)))) {
		log_error("profile listing: %s", !rules || !emps ? "out of memory" : *why ? why : "no rules row");
		l->error = "the listing could not be computed";
		goto done;
	}
	size_t n = 0;
	for (int row = 0; row < rows; row++) {
		struct listed *e = &emps[n];
		e->row = row;
		if (!rules_values(rules, cat, db_result_long(res, row, L_ATUS), RULES_HELD, &ev,
				  db_result_isnull(res, row, L_GRADES) ? NULL : db_result_value(res, row, L_GRADES),
				  db_result_isnull(res, row, L_EXAM) ? NULL : db_result_value(res, row, L_EXAM),
				  db_result_isnull(res, row, L_RATINGS) ? NULL : db_result_value(res, row, L_RATINGS),
				  e->values, &e->grade)) {
			/* Never a listing that silently leaves someone out. */
			log_error("profile listing: malformed evidence for %s", db_result_value(res, row, L_USERNAME));
			l->error = "the listing could not be computed";
			goto done;
		}
		if (l->grade && e->grade != l->grade)
			continue;
		for (int i = 0; i < NITEMS; i++)
			e->counts[profile_status_of(e->values[i])]++;
		n++;
	}
	if (l->kind == LIST_CSV) {
		write_csv(out, res, emps, n);
		goto done;
	}
	const struct rules_version *version = rows ? rules_version_at(rules, db_result_long(res, 0, L_ATUS)) : NULL;
	out_printf(out, "{\"at\":");
	json_str(out, rows ? db_result_value(res, 0, L_AT) : "");
	if (l->kind == LIST_SUMMARY) {
		out_printf(out, ",\"model_version\":%d,", version ? version->version : 0);
		write_summary(out, emps, n);
		out_printf(out, "}");
		goto done;
	}
	out_printf(out, ",\"model_version\":%d,\"%s\":[", version ? version->version : 0,
		   l->kind == LIST_GAPS ? "gaps" : "employees");
	if (l->kind == LIST_GAPS) {
		if (!write_gaps(out, res, emps, n, l)) {
			l->error = "out of memory";
			goto done;
		}
	} else {
		write_employees(out, res, emps, n);
	}
	out_printf(out, "],\"items\":[");
	for (int i = 0; i < NITEMS; i++)
		out_printf(out, "%s\"%s\"", i ? "," : "", catalog_item_at(cat, (size_t)i)->code);
	out_printf(out, "]}");
done:
	if (!l->error && out_failed)
		l->error = "out of memory while writing the reply";
	out_failed = false;
	free(emps);
	rules_evidence_free(&ev);
	rules_model_free(rules);
	free(rules);
	/* The rows are not needed on the loop: free them here, off it. */
	db_result_free(l->res);
	l->res = NULL;
}

static void listing_done(void *arg)
{
	struct req *r = arg;
	struct listing *l = r->data;
	if (req_orphaned(r) || l->error) {
		req_reply_error(r, 503, "unavailable", "%s", l->error ? l->error : "shutting down");
		return;
	}
	struct evbuffer *out = l->out;
	l->out = NULL;
	if (l->kind == LIST_CSV) {
		req_add_header(r, "Content-Disposition", "attachment; filename=\"profiles.csv\"");
		req_reply_evbuffer(r, 200, "text/csv; charset=utf-8", out);
	} else {
		req_reply_evbuffer(r, 200, "application/json; charset=utf-8", out);
	}
}

static void on_listing(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct listing *l = r->data;
	if (is_bad_time(res)) {
		req_reply_error(r, 400, "invalid_field", "at must be an RFC 3339 time");
		return;
	}
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	l->out = evbuffer_new();
	l->res = l->out ? db_result_keep(res) : NULL;
	if (!l->res) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, listing_work, listing_done, r))
		api_reply_busy(r);
}

static void listing_start(struct req *r, enum listing_kind kind)
{
	const char *department = req_query(r, "department"), *grade = req_query(r, "grade");
	const char *format = req_query(r, "format"), *item = req_query(r, "item"), *limit = req_query(r, "limit");
	const char *at, *period;
	long g, lim = 1000;
	if (!profile_params(r, &at, &period))
		return;
	if (grade && *grade && !util_parse_long(grade, 1, 4, &g)) {
		req_reply_error(r, 400, "invalid_field", "grade must be a number from 1 to 4");
		return;
	}
	if (kind == LIST_JSON && format && *format && strcmp(format, "json") != 0) {
		if (strcmp(format, "csv") != 0) {
			req_reply_error(r, 400, "invalid_field", "format must be json or csv");
			return;
		}
		kind = LIST_CSV;
	}
	const struct catalog_item *it = item && *item ? catalog_item_find(catalog_default(), item) : NULL;
	if (item && *item && !it) {
		req_reply_error(r, 400, "invalid_field", "item must be an item code of the model");
		return;
	}
	if (limit && *limit && !util_parse_long(limit, 1, 100000, &lim)) {
		req_reply_error(r, 400, "invalid_field", "limit must be a number from 1 to 100000");
		return;
	}
	struct listing *l = calloc(1, sizeof *l);
	if (!l) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	l->kind = kind;
	l->grade = grade && *grade ? (int)g : 0;
	l->item = it ? it->code : NULL;
	l->limit = lim;
	r->data = l;
	r->data_free = listing_free;
	const char *params[] = {department && *department ? department : NULL, period, at};
	api_query(r, sql_listing, 3, params, on_listing);
}

void profiles_list(struct req *r)
{
	listing_start(r, LIST_JSON);
}
void profiles_gaps(struct req *r)
{
	listing_start(r, LIST_GAPS);
}

/* ------------------------------------------------------------------ the printable report */

/* GET /api/v1/employees/{username}/report.pdf (SPEC §4.6b): the profile (as the caller may see it:
 * an employee reading their own gets per-relation evidence only, SPEC §4.5), then the readiness for
 * the next grade, then the chart and the PDF drawn on an offload thread. */
struct report_job {
	json_t *profile;
	struct profile_value values[NITEMS];
	struct readiness rd;
	struct rules_model rules;
	struct rules_evidence ev;
	char levels[NITEMS][RULES_LEVEL_MAX];
	unsigned char *pdf;
	size_t len;
	char why[160];
};

static void report_job_free(void *arg)
{
	struct report_job *j = arg;
	if (!j)
		return;
	json_decref(j->profile);
	rules_model_free(&j->rules);
	rules_evidence_free(&j->ev);
	free(j->pdf);
	free(j);
}

static void report_work(void *arg)
{
	struct req *r = arg;
	struct report_job *j = r->data;
	const struct catalog *cat = catalog_default();
	struct radar_axis axes[NITEMS];
	const char *levels[NITEMS];
	for (int i = 0; i < NITEMS; i++) {
		axes[i] = (struct radar_axis){catalog_item_at(cat, (size_t)i)->name_zh, j->values[i].has,
					      j->values[i].tenths, NULL};
		levels[i] = j->levels[i][0] ? j->levels[i] : NULL;
	}
	char *svg = radar_svg(axes, NITEMS, NULL, 600);
	json_t *doc = svg ? empreport_document(j->profile, &j->rd, levels, svg) : NULL;
	free(svg);
	if (!doc)
		snprintf(j->why, sizeof j->why, "the report could not be composed");
	else if (!report_pdf(doc, &j->pdf, &j->len, j->why, sizeof j->why))
		j->pdf = NULL;
	json_decref(doc);
}

static void report_done(void *arg)
{
	struct req *r = arg;
	struct report_job *j = r->data;
	if (!j->pdf) {
		log_error("report of %s: %s", r->params[0], j->why);
		req_reply_error(r, 503, "unavailable", "the report could not be drawn");
		return;
	}
	req_add_header(r, "Content-Disposition", "inline; filename=\"report.pdf\"");
	req_reply(r, 200, "application/pdf", j->pdf, j->len);
}

static void on_report_readiness(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct report_job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1 || !readiness_row(res, 0, &j->rd, &j->rules, &j->ev)) {
		req_reply_error(r, 503, "unavailable", "the readiness could not be computed");
		return;
	}
	const struct rules_version *v = rules_version_at(&j->rules, db_result_long(res, 0, READINESS_C_ATUS));
	for (int i = 0; i < NITEMS; i++) {
		const char *lv = rules_level_of(v, j->rd.next_grade, i + 1);
		if (lv)
			snprintf(j->levels[i], sizeof j->levels[i], "%s", lv);
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, report_work, report_done, r))
		api_reply_busy(r);
}

static void on_report_profile(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct report_job *j = r->data;
	if (is_bad_time(res)) {
		report_job_free(j);
		r->data = NULL;
		r->data_free = NULL;
		reply_bad_param_or_unknown(r, "at must be an RFC 3339 time");
		return;
	}
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) == 0) {
		req_reply_error(r, 404, "not_found", "no such employee");
		return;
	}
	j->profile = profile_document(res, j->values, !strcmp(r->user.role, "employee"));
	if (!j->profile) {
		req_reply_error(r, 503, "unavailable", "the profile could not be computed");
		return;
	}
	const char *period = json_string_value(json_object_get(j->profile, "period"));
	const char *params[] = {NULL, period, r->params[0]};
	api_query(r, readiness_sql, 3, params, on_report_readiness);
}

void profiles_report_pdf(struct req *r)
{
	const char *target = r->params[0];
	if (!strcmp(r->user.role, "employee") && strcmp(target, r->user.username) != 0) {
		req_reply_error(r, 403, "forbidden", "you may read your own report only");
		return;
	}
	const char *at, *period;
	const char *bad = profile_param_error(r, &at, &period);
	if (bad) {
		reply_bad_param_or_unknown(r, bad);
		return;
	}
	struct report_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = j;
	r->data_free = report_job_free;
	const char *params[] = {target, at, period};
	api_query(r, sql_profile, 3, params, on_report_profile);
}
void profiles_summary(struct req *r)
{
	listing_start(r, LIST_SUMMARY);
}
