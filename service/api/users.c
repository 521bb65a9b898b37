/* Users: HR manages employees, admin manages everyone. Passwords are hashed off the loop;
 * grade changes are kept with their time; password changes and deactivation end sessions. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "domain/rules.h"
#include "core/log.h"
#include "core/password.h"
#include "http/offload.h"

struct user_edit {
	char *username;
	char *name;
	char *role;
	char *department;
	int grade;        /* 0 = unchanged / none */
	char *grade_from; /* when the new grade takes effect (RFC 3339); NULL = now */
	int active;       /* -1 unchanged */
	char *password;
	char hash[PASSWORD_HASH_MAX];
	bool hashed;
	json_t *changes; /* for the audit log: field names and values, never the password */
	int decided;     /* times the grade change was decided (the history changed in between) */
};

static void user_edit_free(void *arg)
{
	struct user_edit *e = arg;
	if (!e)
		return;
	if (e->password) {
		OPENSSL_cleanse(e->password, strlen(e->password));
		free(e->password);
	}
	OPENSSL_cleanse(e->hash, sizeof e->hash);
	free(e->username);
	free(e->name);
	free(e->role);
	free(e->department);
	free(e->grade_from);
	json_decref(e->changes);
	free(e);
}

static bool valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return false;
	return true;
}

/* Loose shape check of a time before PostgreSQL parses it (as profiles' at): a date, then time-ish
 * characters; PostgreSQL's own refusal is answered 400 too. */
static bool time_shape_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 10 || n > 40 || !isdigit((unsigned char)s[0]) || s[4] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789-:.TZ+ tz", s[i]))
			return false;
	return true;
}

/* Reads "grade": a whole number 1..4. */
static bool parse_grade(json_t *v, int *out)
{
	if (!json_is_integer(v))
		return false;
	json_int_t g = json_integer_value(v);
	if (g < 1 || g > 4)
		return false;
	*out = (int)g;
	return true;
}

/* Runs on an offload thread: scrypt never runs on a loop thread. */
static void hash_run(void *arg)
{
	struct req *r = arg;
	struct user_edit *e = r->data;
	e->hashed = password_hash(e->password, api_cfg(r)->scrypt_log2n, e->hash, sizeof e->hash);
}

/* ------------------------------------------------------------------ create */

static const char *const sql_user_create =
	"WITH u AS (INSERT INTO users (username, name, role, department, password_hash)"
	"           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING username, created_at),"
	" g AS (INSERT INTO user_grades (username, grade, recorded_by)"
	"       SELECT username, $6::int, $7 FROM u WHERE $6::int IS NOT NULL),"
	" a AS (INSERT INTO audit_log (actor, action, target, address, detail)"
	"       SELECT $7, 'user.create', 'user:' || username, $8,"
	"              jsonb_build_object('role', $3::text, 'grade', $6::int, 'department', $4::text) FROM u)"
	" SELECT json_build_object('username', username, 'name', $2::text, 'role', $3::text, 'grade', $6::int,"
	"                          'department', $4::text, 'active', true, 'created_at', examd_ts(created_at))::text"
	" FROM u";

static void on_user_created(const struct db_result *res, void *arg)
{
	/* No row: ON CONFLICT DO NOTHING met an existing username. */
	api_reply_value(arg, res, 201, 409, "conflict", "a user with this username already exists");
}

static void create_hashed(void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* finished after shutdown: only free */
		req_reply_empty(r, 503);
		return;
	}
	struct user_edit *e = r->data;
	if (!e->hashed) {
		req_reply_error(r, 503, "unavailable", "password hashing failed");
		return;
	}
	char grade[8] = "";
	if (e->grade)
		snprintf(grade, sizeof grade, "%d", e->grade);
	const char *params[] = {e->username,      e->name,
				e->role,          e->department,
				e->hash,          e->grade ? grade : NULL,
				r->user.username, req_client_address(r)};
	(void)api_query(r, sql_user_create, 8, params, on_user_created);
}

static const char *const create_fields[] = {"username", "name", "role", "grade", "department", "password", NULL};

static bool only_known_fields(struct req *r, json_t *body, const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
	{
		bool found = false;
		for (int i = 0; known[i]; i++)
			if (!strcmp(known[i], key))
				found = true;
		if (!found) {
			req_reply_error(r, 400, "invalid_field", "unknown field \"%s\"", key);
			return false;
		}
	}
	return true;
}

void users_create(struct req *r)
{
	json_t *body = api_json_body(r);
	if (!body)
		return;
	struct user_edit *e = calloc(1, sizeof *e);
	r->data = e;
	r->data_free = user_edit_free;
	if (!e) {
		json_decref(body);
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	const char *role = json_string_value(json_object_get(body, "role"));
	/* 403 comes before the body's own errors: HR may create employees only. */
	if (role && role_bit(role) && strcmp(r->user.role, "admin") != 0 && strcmp(role, "employee") != 0) {
		json_decref(body);
		req_reply_error(r, 403, "forbidden", "HR may create employees only");
		return;
	}
	if (!only_known_fields(r, body, create_fields)) {
		json_decref(body);
		return;
	}
	const char *username = json_string_value(json_object_get(body, "username"));
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *department = json_string_value(json_object_get(body, "department"));
	const char *password = json_string_value(json_object_get(body, "password"));
	json_t *grade = json_object_get(body, "grade");
	json_t *dept = json_object_get(body, "department");
	const char *problem = NULL, *field = NULL;
	if (!username || !util_username_valid(username))
		field = "username", problem = "must be 1-64 letters, digits or _.@- starting with a letter or digit";
	else if (!name || !*name || !valid_text(name, 200))
		field = "name", problem = "must be a non-empty string of at most 200 bytes";
	else if (!role || !role_bit(role))
		field = "role", problem = "must be employee, trainer, hr or admin";
	else if (dept && !json_is_null(dept) && (!department || !valid_text(department, 200)))
		field = "department", problem = "must be a string of at most 200 bytes";
	else if (!password)
		field = "password", problem = "is required";
	else if (!strcmp(role, "employee") && !parse_grade(grade, &e->grade))
		field = "grade", problem = "is required for employees: a number from 1 to 4";
	else if (strcmp(role, "employee") != 0 && grade && !json_is_null(grade) && !parse_grade(grade, &e->grade))
		field = "grade", problem = "must be a number from 1 to 4";
	if (field) {
		json_decref(body);
		req_reply_error(r, 400, "invalid_field", "%s %s", field, problem);
		return;
	}
	const char *weak = password_policy_error(password);
	if (weak) {
		json_decref(body);
		req_reply_error(r, 422, "validation_failed", "%s", weak);
		return;
	}
	e->username = strdup(username);
	e->name = strdup(name);
	e->role = strdup(role);
	e->department = strdup(department ? department : "");
	e->password = strdup(password);
	json_decref(body);
	OPENSSL_cleanse(r->body, r->body_len);
	if (!offload_submit(r->worker->server->offload, r->worker->base, hash_run, create_hashed, r))
		api_reply_busy(r);
}

/* ------------------------------------------------------------------ list */

/* A validated list request waiting for the grades held now. */
struct list_query {
	const char *params[8]; /* into r's query string, or lim/off */
	char lim[24], off[24];
};

static void list_run(struct req *r, const char *now);

/* Filters: role, department (exact, SPEC), grade; and for the people pages department_like
 * (contains, case-insensitive), q (name or username contains), active; limit/offset pages with the
 * total. Names in pinyin order (ICU collation zh-x-icu) within each department. */
void users_list(struct req *r)
{
	const char *role = req_query(r, "role");
	const char *department = req_query(r, "department");
	const char *grade = req_query(r, "grade");
	const char *like = req_query(r, "department_like"), *text = req_query(r, "q");
	const char *limit = req_query(r, "limit"), *offset = req_query(r, "offset");
	long g, lim = 0, off = 0;
	if (role && *role && !role_bit(role)) {
		req_reply_error(r, 400, "invalid_field", "role must be employee, trainer, hr or admin");
		return;
	}
	if (grade && *grade && !util_parse_long(grade, 1, 4, &g)) {
		req_reply_error(r, 400, "invalid_field", "grade must be a number from 1 to 4");
		return;
	}
	if (limit && *limit && !util_parse_long(limit, 1, 1000, &lim)) {
		req_reply_error(r, 400, "invalid_field", "limit must be a number from 1 to 1000");
		return;
	}
	if (offset && *offset && !util_parse_long(offset, 0, 100000000, &off)) {
		req_reply_error(r, 400, "invalid_field", "offset must be a number from 0");
		return;
	}
	if ((like && strlen(like) > 200) || (text && strlen(text) > 200)) {
		req_reply_error(r, 400, "invalid_field", "department_like and q must be at most 200 bytes");
		return;
	}
	int active;
	if (!api_query_bool(r, "active", -1, &active))
		return;
	struct list_query *q = calloc(1, sizeof *q);
	if (!q) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	snprintf(q->lim, sizeof q->lim, "%ld", lim);
	snprintf(q->off, sizeof q->off, "%ld", off);
	const char *params[] = {role && *role ? role : NULL,
				department,
				grade && *grade ? grade : NULL,
				like && *like ? like : NULL,
				text && *text ? text : NULL,
				active < 0 ? NULL : (active ? "true" : "false"),
				lim ? q->lim : NULL,
				q->off};
	memcpy(q->params, params, sizeof params);
	r->data = q;
	r->data_free = free;
	/* The grade held now of every user comes from the rules module (api/nowrules.c). */
	api_now_all(r, list_run);
}

static void list_run(struct req *r, const char *now)
{
	struct list_query *q = r->data;
	const char *params[9];
	memcpy(params, q->params, sizeof q->params);
	params[8] = now;
	r->data = NULL; /* api_query_json takes r->data; q is freed once the statement copied its parameters */
	r->data_free = NULL;
	api_query_json(
		r, 200,
		"WITH f AS (SELECT u.username, u.name, u.department FROM users u"
		"  WHERE ($1::text IS NULL OR u.role = $1) AND ($2::text IS NULL OR u.department = $2)"
		"    AND ($3::int IS NULL OR examd_now_grade($9::jsonb, u.username) = $3::int)"
		"    AND ($4::text IS NULL OR u.department ILIKE '%' || replace(replace(replace($4, '\\', '\\\\'), '%',"
		"                                 '\\%'), '_', '\\_') || '%')"
		"    AND ($5::text IS NULL OR u.name ILIKE '%' || replace(replace(replace($5, '\\', '\\\\'), '%', '\\%'),"
		"                                 '_', '\\_') || '%'"
		"         OR u.username ILIKE '%' || replace(replace(replace($5, '\\', '\\\\'), '%', '\\%'), '_', '\\_')"
		"                                 || '%')"
		"    AND ($6::boolean IS NULL OR u.active = $6::boolean))"
		" SELECT json_build_object('total', (SELECT count(*) FROM f), 'offset', $8::int, 'limit', $7::int,"
		"   'users', coalesce((SELECT json_agg(examd_user_json(p.username, examd_now_grade($9::jsonb, p.username))"
		"                                      ORDER BY p.o)"
		"     FROM (SELECT username, row_number() OVER (ORDER BY department, name COLLATE \"zh-x-icu\", username) AS o"
		"           FROM f ORDER BY o LIMIT $7::int OFFSET $8::int) p), '[]'))::text",
		9, params);
	free(q);
}

/* ------------------------------------------------------------------ update */

/* The grade history as the change finds it, to decide with the rules module (domain/rules.c)
 * whether the new grade differs from the one held at its date, and what is held now. */
static const char *const sql_user_grades =
	"SELECT examd_grades_packed($1), examd_now_us(),"
	"       (extract(epoch FROM coalesce($2::timestamptz, now())) * 1000000)::bigint";

/* $6: the grade to record (NULL: none), $11: the grade held now afterwards, $12: the history the
 * decision was made on; when it changed in between (examd_user_history_unchanged locks the user and
 * reads it anew), nothing is written and the change is decided again (the second column tells a
 * missing user from a changed history). */
static const char *const sql_user_update =
	"WITH u AS (UPDATE users SET name = coalesce($2, name), department = coalesce($3, department),"
	"             active = coalesce($4::boolean, active), password_hash = coalesce($5, password_hash),"
	"             password_changed_at = CASE WHEN $5::text IS NULL THEN password_changed_at ELSE now() END,"
	"             updated_at = now()"
	"           WHERE username = $1 AND examd_user_history_unchanged($1, $12)"
	"           RETURNING username, name, role, department, active, created_at),"
	" g AS (INSERT INTO user_grades (username, grade, effective_from, recorded_by)"
	"       SELECT username, $6::int, coalesce($10::timestamptz, now()), $7 FROM u WHERE $6::int IS NOT NULL),"
	" s AS (DELETE FROM sessions WHERE username = $1 AND ($5::text IS NOT NULL OR $4::boolean = false)"
	"       AND EXISTS (SELECT 1 FROM u)),"
	" a AS (INSERT INTO audit_log (actor, action, target, address, detail)"
	"       SELECT $7, 'user.update', 'user:' || $1, $8, $9::jsonb FROM u)"
	" SELECT (SELECT json_build_object('username', username, 'name', name, 'role', role, 'grade', $11::int,"
	"                                  'department', department, 'active', active,"
	"                                  'created_at', examd_ts(created_at))::text FROM u),"
	"        EXISTS (SELECT 1 FROM users WHERE username = $1)";

static void update_decide(struct req *r);

static void on_user_updated(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct user_edit *e = r->data;
	if (db_result_status(res) == DB_OK && db_result_rows(res) == 1 && db_result_isnull(res, 0, 0) &&
	    !strcmp(db_result_value(res, 0, 1), "t")) {
		/* The grade history changed since it was read: decide again, a few times. */
		if (++e->decided < 5)
			update_decide(r);
		else
			req_reply_error(r, 409, "conflict", "the user's grades kept changing meanwhile; try again");
		return;
	}
	api_reply_value(r, res, 200, 404, "not_found", "no such user");
}

static bool bad_time(struct req *r, const struct db_result *res)
{
	/* grade_effective_from passed the loose check but is no time PostgreSQL knows. */
	if (db_result_status(res) == DB_ERROR &&
	    (!strcmp(db_result_sqlstate(res), "22007") || !strcmp(db_result_sqlstate(res), "22008"))) {
		req_reply_error(r, 400, "invalid_field", "grade_effective_from must be an RFC 3339 time");
		return true;
	}
	return false;
}

static void on_user_grades(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct user_edit *e = r->data;
	if (bad_time(r, res))
		return;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *history = db_result_isnull(res, 0, 0) ? NULL : db_result_value(res, 0, 0);
	int64_t now = db_result_long(res, 0, 1), from = db_result_long(res, 0, 2);
	/* A grade is recorded unless the same grade is already recorded as held at its date (the grade a
	 * record before the first one would fall back to does not count: "grade 2 from now" is kept
	 * when the only record says 2 from next month). The history is in effective_from order. */
	bool record = e->grade && (!history || strtoll(history, NULL, 10) > from ||
				   rules_grade_packed_at(history, from) != e->grade);
	int held = record ? rules_grade_packed_with(history, from, e->grade, now) : rules_grade_packed_at(history, now);
	char grade[8], held_text[8];
	snprintf(grade, sizeof grade, "%d", e->grade);
	snprintf(held_text, sizeof held_text, "%d", held);
	char *changes = json_dumps(e->changes, JSON_COMPACT);
	const char *params[] = {e->username,
				e->name,
				e->department,
				e->active < 0 ? NULL : (e->active ? "true" : "false"),
				e->password ? e->hash : NULL,
				record ? grade : NULL,
				r->user.username,
				req_client_address(r),
				changes ? changes : "{}",
				e->grade_from,
				held > 0 ? held_text : NULL,
				history};
	(void)api_query(r, sql_user_update, 12, params, on_user_updated);
	free(changes);
}

static void update_decide(struct req *r)
{
	struct user_edit *e = r->data;
	const char *params[] = {e->username, e->grade_from};
	(void)api_query(r, sql_user_grades, 2, params, on_user_grades);
}

static void update_apply(void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* finished after shutdown: only free */
		req_reply_empty(r, 503);
		return;
	}
	struct user_edit *e = r->data;
	if (e->password && !e->hashed) {
		req_reply_error(r, 503, "unavailable", "password hashing failed");
		return;
	}
	update_decide(r);
}

static const char *const update_fields[] = {"name",     "grade", "grade_effective_from", "department", "active",
					    "password", NULL};

static void on_update_target(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct user_edit *e = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1) {
		req_reply_error(r, 404, "not_found", "no such user");
		return;
	}
	const char *target_role = db_result_value(res, 0, 0);
	if (strcmp(r->user.role, "admin") != 0 && strcmp(target_role, "employee") != 0) {
		req_reply_error(r, 403, "forbidden", "HR may edit employees only");
		return;
	}
	json_t *body = api_json_body(r);
	if (!body)
		return;
	if (!only_known_fields(r, body, update_fields)) {
		json_decref(body);
		return;
	}
	e->changes = json_object();
	e->active = -1;
	json_t *v;
	const char *problem = NULL;
	if ((v = json_object_get(body, "name"))) {
		if (!json_is_string(v) || !*json_string_value(v) || !valid_text(json_string_value(v), 200))
			problem = "name must be a non-empty string of at most 200 bytes";
		else
			e->name = strdup(json_string_value(v));
	}
	if (!problem && (v = json_object_get(body, "department"))) {
		if (!json_is_string(v) || !valid_text(json_string_value(v), 200))
			problem = "department must be a string of at most 200 bytes";
		else
			e->department = strdup(json_string_value(v));
	}
	if (!problem && (v = json_object_get(body, "active"))) {
		if (!json_is_boolean(v))
			problem = "active must be true or false";
		else
			e->active = json_is_true(v);
	}
	if (!problem && (v = json_object_get(body, "grade"))) {
		if (!parse_grade(v, &e->grade))
			problem = "grade must be a number from 1 to 4";
		else if (strcmp(target_role, "employee") != 0)
			problem = "only employees have a grade";
	}
	if (!problem && (v = json_object_get(body, "grade_effective_from"))) {
		if (!json_object_get(body, "grade"))
			problem = "grade_effective_from needs grade";
		else if (!json_is_string(v) || !time_shape_ok(json_string_value(v)))
			problem = "grade_effective_from must be an RFC 3339 time";
		else
			e->grade_from = strdup(json_string_value(v));
	}
	if (!problem && (v = json_object_get(body, "password"))) {
		if (!json_is_string(v))
			problem = "password must be a string";
		else
			e->password = strdup(json_string_value(v));
	}
	if (problem) {
		json_decref(body);
		req_reply_error(r, 400, "invalid_field", "%s", problem);
		return;
	}
	const char *key;
	json_object_foreach(body, key, v)
	{
		if (strcmp(key, "password") != 0)
			json_object_set(e->changes, key, v);
	}
	if (e->password)
		json_object_set_new(e->changes, "password_changed", json_true());
	json_decref(body);
	OPENSSL_cleanse(r->body, r->body_len);
	if (e->password) {
		const char *weak = password_policy_error(e->password);
		if (weak) {
			req_reply_error(r, 422, "validation_failed", "%s", weak);
			return;
		}
		if (!offload_submit(r->worker->server->offload, r->worker->base, hash_run, update_apply, r))
			api_reply_busy(r);
		return;
	}
	update_apply(r);
}

void users_update(struct req *r)
{
	struct user_edit *e = calloc(1, sizeof *e);
	r->data = e;
	r->data_free = user_edit_free;
	if (!e) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	e->username = strdup(r->params[0]);
	const char *params[] = {e->username};
	(void)api_query(r, "SELECT role FROM users WHERE username = $1", 1, params, on_update_target);
}
