/* The routing table (route -> roles, body kind, handler) and the dispatch order of checks:
 * route (404/405), authentication (401), role (403), body size (413), then the handler. */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"

#define HR_ADMIN (ROLE_HR | ROLE_ADMIN)
#define TRAINER_ADMIN (ROLE_TRAINER | ROLE_ADMIN)
#define STAFF (ROLE_TRAINER | ROLE_HR | ROLE_ADMIN)

const struct route api_routes[] = {
	{"GET", "/healthz", ops_healthz, 0, BODY_NONE, false},
	{"GET", "/readyz", ops_readyz, 0, BODY_NONE, false},
	{"GET", "/metrics", ops_metrics, 0, BODY_NONE, false},
	{"POST", "/api/v1/login", auth_login, 0, BODY_JSON, false},
	{"POST", "/api/v1/logout", auth_logout, ROLE_ANY, BODY_NONE, false},
	{"GET", "/api/v1/me", auth_me, ROLE_ANY, BODY_NONE, false},
	{"POST", "/api/v1/users", users_create, HR_ADMIN, BODY_JSON, false},
	{"GET", "/api/v1/users", users_list, HR_ADMIN, BODY_NONE, false},
	{"PATCH", "/api/v1/users/{username}", users_update, HR_ADMIN, BODY_JSON, false},
	{"POST", "/api/v1/banks", banks_import, TRAINER_ADMIN, BODY_BANK, false},
	{"GET", "/api/v1/banks/lint", banks_lint, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/questions", questions_list, TRAINER_ADMIN, BODY_NONE, false},
	{"DELETE", "/api/v1/questions/{id}", questions_retire, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/questions/{id}/impact", questions_impact, TRAINER_ADMIN, BODY_NONE, false},
	{"POST", "/api/v1/questions/{id}/activate", questions_activate, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/blueprints", blueprints_list, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/blueprints/{item}/{level}", blueprints_get, TRAINER_ADMIN, BODY_NONE, false},
	{"PUT", "/api/v1/blueprints/{item}/{level}", blueprints_put, TRAINER_ADMIN, BODY_JSON, false},
	{"GET", "/api/v1/blueprints/{item}/{level}/stats", stats_blueprint, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/blueprints/{item}/{level}/results", blueprints_results, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/questions/{id}/stats", stats_question, TRAINER_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/exams", exams_list, ROLE_EMPLOYEE, BODY_NONE, false},
	{"POST", "/api/v1/attempts", attempts_start, ROLE_EMPLOYEE, BODY_JSON, false},
	{"GET", "/api/v1/attempts", attempts_history, ROLE_EMPLOYEE | HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/attempts/{id}", attempts_get, ROLE_EMPLOYEE | HR_ADMIN, BODY_NONE, false},
	{"PUT", "/api/v1/attempts/{id}/answers/{question_id}", attempts_save_answer, ROLE_EMPLOYEE, BODY_JSON, true},
	{"POST", "/api/v1/attempts/{id}/submit", attempts_submit, ROLE_EMPLOYEE, BODY_NONE, false},
	{"POST", "/api/v1/attempts/{id}/close", attempts_close_early, STAFF, BODY_NONE, false},
	{"POST", "/api/v1/attempts/{id}/void", attempts_void, STAFF, BODY_JSON, false},
	{"POST", "/api/v1/sessions", sessions_create, STAFF, BODY_JSON, false},
	{"GET", "/api/v1/sessions", sessions_list, ROLE_ANY, BODY_NONE, false},
	{"GET", "/api/v1/sessions/{id}", sessions_get, ROLE_EMPLOYEE | STAFF, BODY_NONE, false},
	{"GET", "/api/v1/sessions/{id}/roster", sessions_roster, STAFF, BODY_NONE, false},
	{"GET", "/api/v1/sessions/{id}/overrides", sessions_overrides_list, STAFF, BODY_NONE, false},
	{"POST", "/api/v1/sessions/{id}/overrides", sessions_overrides_put, STAFF, BODY_JSON, false},
	{"POST", "/api/v1/sessions/{id}/attempts", sessions_start, ROLE_EMPLOYEE, BODY_JSON, false},
	{"GET", "/api/v1/employees/{username}/profile", profiles_get, ROLE_EMPLOYEE | HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/employees/{username}/profile.svg", profiles_svg, ROLE_EMPLOYEE | HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/employees/{username}/report.pdf", profiles_report_pdf, ROLE_EMPLOYEE | HR_ADMIN, BODY_NONE,
	 false},
	{"GET", "/api/v1/employees/{username}/trends", trends_employee, ROLE_EMPLOYEE | HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/departments/{department}/trends", trends_department, HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/departments/{department}/report.pdf", departments_report_pdf, HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/profiles", profiles_list, HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/profiles/gaps", profiles_gaps, HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/profiles/readiness", readiness_list, HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/profiles/summary", profiles_summary, HR_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/raters/quality", raters_quality, HR_ADMIN, BODY_NONE, false},
	{"POST", "/api/v1/behaviour-ratings", ratings_import, HR_ADMIN, BODY_BANK, false},
	{"POST", "/api/v1/model/versions", model_versions_create, HR_ADMIN, BODY_JSON, false},
	{"GET", "/api/v1/audit", ops_audit, ROLE_ADMIN, BODY_NONE, false},
	{"GET", "/api/v1/model", model_get, ROLE_ANY, BODY_NONE, false},
	{"GET", "/api/v1/model/versions", model_versions_list, ROLE_ANY, BODY_NONE, false},
	{"GET", "/api/v1/model/versions/{n}", model_version_get, ROLE_ANY, BODY_NONE, false},
};
const int api_nroutes = sizeof api_routes / sizeof api_routes[0];
_Static_assert(REQ_MAX_PARAMS == ROUTER_MAX_PARAMS, "a request holds every path parameter a route captures");

static void run_handler(struct req *r)
{
	const struct route *rt = r->route;
	if (rt->roles && !rt->self_auth && !(rt->roles & (unsigned)role_bit(r->user.role))) {
		req_reply_error(r, 403, "forbidden", "your role may not do this");
		return;
	}
	if (rt->body != BODY_NONE) {
		const struct config *cfg = api_cfg(r);
		size_t limit = (size_t)(rt->body == BODY_BANK ? cfg->max_bank_body : cfg->max_json_body);
		if (!req_read_body(r, limit)) {
			req_reply_error(r, 413, "too_large", "the request body is larger than %zu bytes", limit);
			return;
		}
	}
	rt->handler(r);
}

static bool is_api_path(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strcmp(path, "/api") || !strcmp(path, "/healthz") ||
	       !strcmp(path, "/readyz") || !strcmp(path, "/metrics");
}

/* The body limit of a request, from its method, raw path and whether it carries a bearer token,
 * decided before its body is read (http/conn.c). Uploads (banks, ratings) get the large limit only
 * with a token; a save a small one; everything else the JSON limit. auth_first: an anonymous
 * request over the limit is answered 401, as an authenticated route would answer it first. */
size_t api_body_limit(const struct config *cfg, const char *method, const char *path, bool has_bearer, bool *auth_first)
{
	int i = router_find(api_routes, api_nroutes, method, path);
	*auth_first = i >= 0 ? api_routes[i].roles != 0 : !strncmp(path, "/api/", 5);
	if (i < 0)
		return (size_t)cfg->max_json_body;
	if (api_routes[i].body == BODY_BANK && has_bearer)
		return (size_t)cfg->max_bank_body;
	if (api_routes[i].self_auth)
		return API_MAX_SAVE_BODY < (size_t)cfg->max_json_body ? API_MAX_SAVE_BODY : (size_t)cfg->max_json_body;
	return (size_t)cfg->max_json_body;
}

static void reply_not_found(struct req *r)
{
	req_reply_error(r, 404, "not_found", "no such resource");
}

static void reply_bad_method(struct req *r)
{
	req_reply_error(r, 405, "method_not_allowed", "%s is not allowed here", req_method_name(r));
}

/* The save route authenticates in its own statement; a malformed id is still answered only to a
 * caller with a valid session (401 first, then 404). */
static void reply_no_attempt(struct req *r)
{
	if (!(r->route->roles & (unsigned)role_bit(r->user.role)))
		req_reply_error(r, 403, "forbidden", "your role may not do this");
	else
		req_reply_error(r, 404, "not_found", "no such attempt or question");
}

static bool ids_ok(const struct req *r)
{
	long v;
	for (int i = 0; i < r->nparams; i++)
		if (!util_parse_long(r->params[i], 1, 9000000000000000000L, &v))
			return false;
	return true;
}

void api_dispatch(struct req *r)
{
	const char *raw_path = r->raw_path;
	size_t len = 0;
	r->path = raw_path ? evhttp_uridecode(raw_path, 0, &len) : NULL;
	if (!r->path || strlen(r->path) != len || !len) {
		req_reply_error(r, 400, "bad_request", "the request path is malformed");
		return;
	}
	const char *qs = r->raw_query;
	if (qs) {
		r->query = calloc(1, sizeof *r->query);
		if (!r->query || evhttp_parse_query_str(qs, r->query) != 0) {
			req_reply_error(r, 400, "bad_request", "the query string is malformed");
			return;
		}
	}
	if (!is_api_path(r->path)) {
		static_serve(r);
		return;
	}
	int index;
	switch (router_match(api_routes, api_nroutes, req_method_name(r), r->path, r->params, &r->nparams, &index)) {
	case ROUTER_NOT_FOUND:
		/* Under /api only a caller with a session learns which routes exist. */
		if (!strncmp(r->path, "/api/", 5))
			auth_authenticate(r, reply_not_found);
		else
			reply_not_found(r);
		return;
	case ROUTER_BAD_METHOD:
		if (!strncmp(r->path, "/api/", 5))
			auth_authenticate(r, reply_bad_method);
		else
			reply_bad_method(r);
		return;
	case ROUTER_NO_MEMORY:
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	case ROUTER_FOUND:
		break;
	}
	r->route = &api_routes[index];
	r->route_index = index;
	if (r->route->self_auth) {
		if (!ids_ok(r))
			auth_authenticate(r, reply_no_attempt);
		else if (auth_token_hash(r))
			run_handler(r);
	} else if (r->route->roles) {
		auth_authenticate(r, run_handler);
	} else {
		run_handler(r);
	}
}

json_t *api_json_body(struct req *r)
{
	json_error_t err;
	json_t *body = r->body ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err) : NULL;
	if (!body) {
		req_reply_error(r, 400, "bad_json", "the body is not valid JSON%s%s", r->body ? ": " : "",
				r->body ? err.text : "");
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		req_reply_error(r, 400, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	return body;
}

bool api_period_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return false;
	return true;
}
