/* Replies shared by the API handlers. The status table is the one place where what a statement
 * returns (a short status: 'not_found', 'attempt_closed', ...) becomes an HTTP status and a SPEC
 * error code; handlers pass the statement's status and message through it. */
#include <stdint.h>
#include <string.h>

#include "api/reply.h"
#include "core/log.h"
#include "http/router.h"
#include "http/server.h"

const struct api_status api_statuses[] = {
	{"ok", 200, NULL, NULL},
	{"created", 201, NULL, NULL},
	{"resumed", 200, NULL, NULL},
	{"unauthenticated", 401, "unauthenticated", "the session is invalid or has expired; log in again"},
	{"forbidden", 403, "forbidden", "your role may not do this"},
	{"not_found", 404, "not_found", "not found"},
	{"not_open", 409, "not_open", "the session is not open yet"},
	{"closed", 409, "closed", "the session is closed"},
	{"attempt_closed", 409, "attempt_closed", "the attempt is closed"},
	{"attempts_exhausted", 409, "attempts_exhausted", "every attempt is used"},
	{"conflict", 409, "conflict", "the current state does not allow this"},
	{"bad_json", 400, "bad_json", "the body is not valid JSON"},
	{"invalid_field", 400, "invalid_field", "a field is invalid"},
	{"validation_failed", 422, "validation_failed", "the request was refused"},
	{"exam_unavailable", 422, "exam_unavailable", "this exam cannot be taken now"},
	{"pool_too_small", 422, "pool_too_small", "the active questions cannot fill every draw row"},
	{"rows_rejected", 422, "validation_failed", "rows were rejected; nothing was imported"},
};
const int api_nstatuses = sizeof api_statuses / sizeof api_statuses[0];

const struct api_status *api_status_find(const char *status)
{
	for (int i = 0; status && i < api_nstatuses; i++)
		if (!strcmp(status, api_statuses[i].status))
			return &api_statuses[i];
	return NULL;
}

int api_status_http(const char *status)
{
	const struct api_status *s = api_status_find(status);
	return s ? s->http : 503;
}

void api_reply_status(struct req *r, const char *status, const char *message)
{
	const struct api_status *s = api_status_find(status);
	if (!s || !s->code) {
		log_error("%s status \"%s\" on %s %s", s ? "a success" : "an unknown", status ? status : "(null)",
			  req_method_name(r), r->route ? r->route->pattern : "");
		req_reply_error(r, 503, "unavailable", "unexpected reply from the database");
		return;
	}
	req_reply_error(r, s->http, s->code, "%s", message && *message ? message : s->message);
}

void api_reply_status_extra(struct req *r, const char *status, const char *message, const char *key, json_t *value)
{
	const struct api_status *s = api_status_find(status);
	if (!value) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!s || !s->code) {
		json_decref(value);
		api_reply_status(r, status, message);
		return;
	}
	json_t *body = json_pack("{s:{s:s,s:s},s:o}", "error", "code", s->code, "message",
				 message && *message ? message : s->message, key, value);
	if (!body) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	req_reply_json(r, s->http, body);
}

void api_reply_typed(struct req *r, const struct db_result *res, int ok_http)
{
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *status = db_result_value(res, 0, 0);
	if (strcmp(status, "ok") != 0) {
		api_reply_status(r, status, db_result_value(res, 0, 1));
		return;
	}
	req_reply_json_text(r, ok_http, db_result_value(res, 0, 2), (size_t)db_result_length(res, 0, 2));
}

void api_reply_db_failure(struct req *r, const struct db_result *res)
{
	if (db_result_status(res) == DB_ERROR)
		log_error("database error on %s %s: %s (%s)", req_method_name(r), r->route ? r->route->pattern : "",
			  db_result_message(res), db_result_sqlstate(res));
	else if (*db_result_sqlstate(res))
		/* The server said why (disk full, statement timeout, shutting down): operators need it. */
		log_warning("database unavailable on %s %s: %s (%s)", req_method_name(r),
			    r->route ? r->route->pattern : "", db_result_message(res), db_result_sqlstate(res));
	req_reply_error(r, 503, "unavailable", "the database is unavailable; try again shortly");
}

void api_reply_busy(struct req *r)
{
	req_add_header(r, "Retry-After", "5");
	req_reply_error(r, 503, "unavailable", "the server is busy; try again in a few seconds");
}

bool api_query(struct req *r, const char *sql, int n, const char *const *params, db_callback cb)
{
	if (db_query(r->worker->db, sql, n, params, cb, r))
		return true;
	req_reply_error(r, 503, "unavailable", "the database is unavailable; try again shortly");
	return false;
}

void api_reply_value(struct req *r, const struct db_result *res, int status, int missing_status,
		     const char *missing_code, const char *missing_message)
{
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) == 0 || db_result_isnull(res, 0, 0)) {
		req_reply_error(r, missing_status, missing_code, "%s", missing_message);
		return;
	}
	req_reply_json_text(r, status, db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0));
}

static void on_json_query(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	int status = (int)(intptr_t)r->data;
	r->data = NULL;
	api_reply_value(r, res, status, 404, "not_found", "no such resource");
}

void api_query_json(struct req *r, int status, const char *sql, int n, const char *const *params)
{
	r->data = (void *)(intptr_t)status;
	r->data_free = NULL;
	if (!api_query(r, sql, n, params, on_json_query))
		return;
}
