/* Exam sessions (考试安排, issue #17): creating and listing sessions, the live roster (JSON, CSV),
 * personal overrides and voiding attempts. Starting an attempt in a session is in api/attempts.c
 * (sessions_start); the rules (cohort, window, caps, hiding results) live in migration 0021. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "core/log.h"

static bool session_id_param(struct req *r)
{
	long v;
	if (util_parse_long(r->params[0], 1, 9000000000000000000L, &v))
		return true;
	req_reply_error(r, 404, "not_found", "no such session");
	return false;
}

/* A statement with the typed columns (status, message, body): body with r->data's HTTP status when 'ok'. */
static void on_doc(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	int status = (int)(intptr_t)r->data;
	r->data = NULL;
	api_reply_typed(r, res, status);
}

static void query_doc(struct req *r, int status, const char *sql, int n, const char *const *params)
{
	r->data = (void *)(intptr_t)status;
	r->data_free = NULL;
	api_query(r, sql, n, params, on_doc);
}

/* A session body (r->data, JSON text) and p_now: the statement, then the body is freed. */
static void doc_with_now(struct req *r, const char *sql, int status, const char *now, bool with_id)
{
	char *text = r->data;
	r->data = NULL;
	r->data_free = NULL;
	if (with_id) {
		const char *params[] = {r->params[0], text, r->user.username, req_client_address(r), now};
		query_doc(r, status, sql, 5, params);
	} else {
		const char *params[] = {text, r->user.username, req_client_address(r), now};
		query_doc(r, status, sql, 4, params);
	}
	free(text);
}

static void create_run(struct req *r, const char *now)
{
	doc_with_now(r, "SELECT status, message, body::text FROM examd_session_create($1::jsonb, $2, $3, $4::jsonb)",
		     201, now, false);
}

static void override_run(struct req *r, const char *now)
{
	doc_with_now(r,
		     "SELECT status, message, body::text"
		     " FROM examd_session_override_put($1::bigint, $2::jsonb, $3, $4, $5::jsonb)",
		     201, now, true);
}

/* ------------------------------------------------------------------ access */

typedef void (*session_next)(struct req *r);

/* The session's manager check (its creator, hr, admin) for the routes that only they reach; then next. */
static void on_access(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	session_next next = (session_next)(intptr_t)r->data;
	r->data = NULL;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *access = db_result_rows(res) == 1 ? db_result_value(res, 0, 0) : "not_found";
	if (strcmp(access, "ok") != 0) {
		bool forbidden = !strcmp(access, "forbidden");
		api_reply_status(r, forbidden ? "forbidden" : "not_found",
				 forbidden ? "only the session's creator, hr or admin may do this" : "no such session");
		return;
	}
	next(r);
}

static void with_access(struct req *r, session_next next)
{
	if (!session_id_param(r))
		return;
	const char *params[] = {r->params[0], r->user.username, r->user.role};
	r->data = (void *)(intptr_t)next;
	r->data_free = NULL;
	api_query(r, "SELECT examd_session_access($1::bigint, $2, $3)", 3, params, on_access);
}

/* ------------------------------------------------------------------ validation of bodies */

static bool string_array(json_t *v, size_t max_len)
{
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v) || json_array_size(v) > 5000)
		return false;
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || !json_string_length(e) || json_string_length(e) > max_len)
			return false;
	}
	return true;
}

/* Types and ranges of a session body; the times and the employees are checked by the statement. */
static bool session_body_valid(json_t *b, char *msg, size_t len)
{
	static const char *const fields[] = {
		"title",  "items", "cohort", "opens_at", "closes_at", "time_limit_seconds", "attempts_allowed",
		"results"};
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
			known |= !strcmp(key, fields[i]);
		if (!known) {
			snprintf(msg, len, "unknown field \"%s\"", key);
			return false;
		}
	}
	json_t *title = json_object_get(b, "title");
	if (!json_is_string(title) || !json_string_length(title) || json_string_length(title) > 600) {
		snprintf(msg, len, "title must be a text of 1 to 200 characters");
		return false;
	}
	json_t *items = json_object_get(b, "items");
	if (!json_is_array(items) || !json_array_size(items) || json_array_size(items) > 4) {
		snprintf(msg, len, "items must be a list of 1 to 4 {\"item\", \"level\"?}");
		return false;
	}
	size_t i;
	json_t *e;
	json_array_foreach(items, i, e)
	{
		const struct catalog_item *it =
			catalog_item_find(catalog_default(), json_string_value(json_object_get(e, "item")) ?: "");
		json_t *lv = json_object_get(e, "level");
		if (!json_is_object(e) || !it || it->assessment != CATALOG_ASSESS_EXAM ||
		    json_object_size(e) != 1 + (lv != NULL) ||
		    (lv && !json_is_null(lv) && !catalog_level_find(catalog_default(), json_string_value(lv) ?: ""))) {
			snprintf(msg, len, "items[%zu]: item must be an exam item and level a level code or null", i);
			return false;
		}
		for (size_t k = 0; k < i; k++)
			if (json_equal(json_object_get(json_array_get(items, k), "item"), json_object_get(e, "item"))) {
				snprintf(msg, len, "items[%zu]: the same exam twice", i);
				return false;
			}
	}
	json_t *c = json_object_get(b, "cohort");
	if (!json_is_object(c)) {
		snprintf(msg, len, "cohort must be {\"departments\"?, \"grades\"?, \"usernames\"?}");
		return false;
	}
	json_object_foreach(c, key, v)
	{
		if (strcmp(key, "departments") && strcmp(key, "grades") && strcmp(key, "usernames")) {
			snprintf(msg, len, "cohort: unknown field \"%s\"", key);
			return false;
		}
	}
	json_t *grades = json_object_get(c, "grades");
	if (!string_array(json_object_get(c, "departments"), 200) ||
	    !string_array(json_object_get(c, "usernames"), 64) ||
	    (grades && !json_is_null(grades) && !json_is_array(grades))) {
		snprintf(msg, len, "cohort: departments and usernames are lists of texts, grades a list of 1..4");
		return false;
	}
	json_array_foreach(grades, i, e)
	{
		if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 4) {
			snprintf(msg, len, "cohort: grades are numbers from 1 to 4");
			return false;
		}
	}
	if (!json_string_value(json_object_get(b, "opens_at")) || !json_string_value(json_object_get(b, "closes_at"))) {
		snprintf(msg, len, "opens_at and closes_at must be RFC 3339 times");
		return false;
	}
	json_t *tl = json_object_get(b, "time_limit_seconds"), *aa = json_object_get(b, "attempts_allowed");
	json_t *res = json_object_get(b, "results");
	if ((tl && !json_is_null(tl) &&
	     (!json_is_integer(tl) || json_integer_value(tl) < 60 || json_integer_value(tl) > 86400)) ||
	    (aa && (!json_is_integer(aa) || json_integer_value(aa) < 1 || json_integer_value(aa) > 100))) {
		snprintf(msg, len,
			 "time_limit_seconds is 60..86400 or null (the blueprint's); attempts_allowed 1..100");
		return false;
	}
	if (res && (!json_is_string(res) ||
		    (strcmp(json_string_value(res), "at_submit") && strcmp(json_string_value(res), "after_close")))) {
		snprintf(msg, len, "results must be at_submit or after_close");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ routes */

void sessions_create(struct req *r)
{
	json_t *body = api_json_body(r);
	if (!body)
		return;
	char msg[256];
	if (!session_body_valid(body, msg, sizeof msg)) {
		json_decref(body);
		req_reply_error(r, 400, "invalid_field", "%s", msg);
		return;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = text;
	r->data_free = free;
	api_now_all(r, create_run); /* the reply counts the invitees by their grades now */
}

/* Runs next with p_now: the caller's alone for an employee, everyone's for a manager (a session's
 * cohort by grade). */
static void with_now(struct req *r, void (*next)(struct req *r, const char *now))
{
	if (strcmp(r->user.role, "employee") != 0) {
		api_now_all(r, next);
		return;
	}
	char *now = api_now_caller(r);
	if (!now) {
		req_reply_error(r, 503, "unavailable", "the competency model is not available");
		return;
	}
	next(r, now);
	free(now);
}

static void list_run(struct req *r, const char *now)
{
	const char *params[] = {r->user.username, r->user.role, now};
	api_query_json(r, 200, "SELECT examd_sessions_for($1, $2, $3::jsonb)::text", 3, params);
}

void sessions_list(struct req *r)
{
	with_now(r, list_run);
}

/* Employees see a session they are invited to (with their own window); managers any they manage. */
static void get_run(struct req *r, const char *now)
{
	const char *params[] = {r->params[0], r->user.username, r->user.role, now};
	query_doc(r, 200,
		  "SELECT a.status,"
		  " CASE a.status WHEN 'forbidden' THEN 'only the session''s creator, hr or admin may read it'"
		  "  ELSE 'no such session' END,"
		  " CASE a.status WHEN 'ok'"
		  "  THEN examd_session_json($1::bigint, CASE WHEN $3 = 'employee' THEN $2 END, $4::jsonb)::text END"
		  " FROM (SELECT CASE WHEN $3 <> 'employee' THEN examd_session_access($1::bigint, $2, $3)"
		  "              WHEN examd_session_invited($1::bigint, $2, $4::jsonb) THEN 'ok' ELSE 'not_found' END"
		  "       AS status) a",
		  4, params);
}

void sessions_get(struct req *r)
{
	if (!session_id_param(r))
		return;
	with_now(r, get_run);
}

static void on_roster_csv(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	req_add_header(r, "Content-Disposition", "attachment; filename=\"roster.csv\"");
	req_reply(r, 200, "text/csv; charset=utf-8", db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0));
}

static void roster_run(struct req *r, const char *now)
{
	const char *format = req_query(r, "format");
	const char *params[] = {r->params[0], now};
	if (format && !strcmp(format, "csv"))
		api_query(r, "SELECT examd_session_roster_csv($1::bigint, $2::jsonb)", 2, params, on_roster_csv);
	else
		api_query_json(r, 200, "SELECT examd_session_roster($1::bigint, $2::jsonb)::text", 2, params);
}

static void roster_after_access(struct req *r)
{
	const char *format = req_query(r, "format");
	if (format && *format && strcmp(format, "csv") && strcmp(format, "json")) {
		req_reply_error(r, 400, "invalid_field", "format must be json or csv");
		return;
	}
	api_now_all(r, roster_run); /* the cohort by grade, each invitee's grade and level now */
}

void sessions_roster(struct req *r)
{
	with_access(r, roster_after_access);
}

static void overrides_list_after_access(struct req *r)
{
	const char *params[] = {r->params[0]};
	api_query_json(r, 200,
		       "SELECT jsonb_build_object('overrides', examd_session_overrides_json($1::bigint, NULL))::text",
		       1, params);
}

void sessions_overrides_list(struct req *r)
{
	with_access(r, overrides_list_after_access);
}

static void overrides_put_after_access(struct req *r)
{
	json_t *body = api_json_body(r);
	if (!body)
		return;
	const char *key;
	json_t *v;
	bool ok = json_is_string(json_object_get(body, "username")) &&
		  json_is_string(json_object_get(body, "reason")) &&
		  json_string_length(json_object_get(body, "reason")) > 0 &&
		  json_string_length(json_object_get(body, "reason")) <= 1500;
	json_object_foreach(body, key, v)
	{
		if (!strcmp(key, "extra_seconds"))
			ok &= json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 86400;
		else if (!strcmp(key, "extra_attempts"))
			ok &= json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100;
		else if (!strcmp(key, "opens_at") || !strcmp(key, "closes_at"))
			ok &= json_is_string(v) || json_is_null(v);
		else
			ok &= !strcmp(key, "username") || !strcmp(key, "reason");
	}
	if (!ok) {
		json_decref(body);
		req_reply_error(
			r, 400, "invalid_field",
			"the body is {\"username\", \"reason\", \"extra_seconds\"?: 0..86400, \"extra_attempts\"?: "
			"0..100, \"opens_at\"?, \"closes_at\"?}");
		return;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = text;
	r->data_free = free;
	api_now_all(r, override_run); /* whether the employee is invited depends on their grade now */
}

void sessions_overrides_put(struct req *r)
{
	with_access(r, overrides_put_after_access);
}

/* POST /api/v1/attempts/{id}/void {"reason"}: the statement checks access (403/404), state (409)
 * and the reason (422) in that order; the reply is the attempt as its owner now sees it. */
static void on_voided(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *status = db_result_value(res, 0, 0);
	if (r->data && !strcmp(status, "validation_failed"))
		req_reply_error(r, 400, "invalid_field", "the body is {\"reason\": text}");
	else if (strcmp(status, "ok") != 0)
		api_reply_status(r, status, db_result_value(res, 0, 1));
	else
		attempts_reply(r, r->params[0], 200);
}

void attempts_void(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such attempt");
		return;
	}
	const char *reason = NULL;
	char *copy = NULL;
	if (r->body_len) {
		json_error_t jerr;
		json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
		json_t *rv = json_object_get(body, "reason");
		/* A malformed body is answered after the access and state checks of the statement. */
		if (!json_is_object(body) || (rv && !json_is_string(rv)) || json_object_size(body) != (rv != NULL))
			r->data = (void *)1;
		else
			copy = rv ? strdup(json_string_value(rv)) : NULL;
		reason = copy;
		json_decref(body);
	}
	r->data_free = NULL;
	const char *params[] = {r->params[0], reason, r->user.username, r->user.role, req_client_address(r)};
	api_query(r, "SELECT status, message FROM examd_attempt_void($1::bigint, $2, $3, $4, $5)", 5, params,
		  on_voided);
	free(copy);
}
