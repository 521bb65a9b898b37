/* Sessions: login (throttled, scrypt verified off the loop), logout, the caller, and the
 * bearer-token check that every authenticated route goes through. */
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "core/log.h"
#include "core/password.h"
#include "domain/rules.h"
#include "http/offload.h"

#define LOGIN_WINDOW_SECONDS 900
#define LOGIN_MAX_USER_FAILURES 10
#define LOGIN_MAX_ADDRESS_FAILURES 50

/* ------------------------------------------------------------------ authentication */

/* The caller, their grade history (the grade held now is decided in C, domain/rules.c), the
 * statement's now(), the model stamp and, when the worker's cached versions have another stamp ($3),
 * the versions themselves (api/nowrules.c). */
static const char *const sql_session =
	"WITH s AS ("
	"  SELECT u.username, u.name, u.role, u.department, examd_grades_packed(u.username) AS grades"
	"  FROM sessions s JOIN users u ON u.username = s.username"
	"  WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active"
	"    AND s.last_seen > now() - make_interval(secs => $2::int)"
	"), touch AS ("
	"  UPDATE sessions SET last_seen = now()"
	"  WHERE token_hash = $1 AND last_seen < now() - interval '30 seconds' AND EXISTS (SELECT 1 FROM s)"
	") SELECT s.username, s.name, s.role, s.department, s.grades, examd_now_us(), m.stamp,"
	"         CASE WHEN m.stamp IS DISTINCT FROM $3 THEN examd_rules_evidence() END"
	"  FROM s CROSS JOIN (SELECT examd_model_stamp() AS stamp) m";

struct auth_state {
	void (*next)(struct req *r);
};

static void copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void on_session(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	void (*next)(struct req *) = (void (*)(struct req *))r->data;
	r->data = NULL;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1) {
		req_reply_error(r, 401, "unauthenticated", "the session is invalid or has expired; log in again");
		return;
	}
	copy_field(r->user.username, sizeof r->user.username, db_result_value(res, 0, 0));
	copy_field(r->user.name, sizeof r->user.name, db_result_value(res, 0, 1));
	copy_field(r->user.role, sizeof r->user.role, db_result_value(res, 0, 2));
	copy_field(r->user.department, sizeof r->user.department, db_result_value(res, 0, 3));
	r->user.now_us = db_result_long(res, 0, 5);
	r->user.grade = rules_grade_packed_at(db_result_value(res, 0, 4), r->user.now_us);
	/* A model that does not parse is logged (nowrules_load) and leaves the cache as it was: only the
	 * requests that need the levels now then answer 503. */
	if (!db_result_isnull(res, 0, 7))
		(void)nowrules_load(api_nowrules(r), db_result_value(res, 0, 6), db_result_value(res, 0, 7));
	if (r->user.grade < 0) {
		log_error("the grade history of %s is malformed", r->user.username);
		r->user.grade = 0;
	}
	r->authed = true;
	next(r);
}

bool auth_token_hash(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		req_reply_error(r, 401, "unauthenticated", "log in first: an Authorization: Bearer token is required");
		return false;
	}
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	size_t len = strlen(token);
	if (len < 16 || len > 128) {
		req_reply_error(r, 401, "unauthenticated", "the session is invalid or has expired; log in again");
		return false;
	}
	unsigned char digest[32];
	util_sha256(token, len, digest);
	util_hex_encode(digest, sizeof digest, r->token_hash);
	return true;
}

void auth_authenticate(struct req *r, void (*next)(struct req *r))
{
	if (!auth_token_hash(r))
		return;
	char idle[16];
	snprintf(idle, sizeof idle, "%d", api_cfg(r)->session_idle_seconds);
	const char *params[] = {r->token_hash, idle, nowrules_stamp(api_nowrules(r))};
	r->data = (void *)next;
	r->data_free = NULL;
	api_query(r, sql_session, 3, params, on_session);
}

/* ------------------------------------------------------------------ login */

struct login {
	struct req *r;
	char *username;
	char *password;
	char *stored;
	const char *dummy;
	bool user_exists;
	bool held_user, held_address; /* in-flight slots taken */
	char user_key[80], address_key[80];
	enum password_result verdict;
};

static void login_release(struct login *l);

static void login_free(void *arg)
{
	struct login *l = arg;
	if (!l)
		return;
	login_release(l);
	if (l->password) {
		OPENSSL_cleanse(l->password, strlen(l->password));
		free(l->password);
	}
	free(l->username);
	free(l->stored);
	free(l);
}

/* Counts the window's failures and records this attempt as a failure, in one statement under a
 * per-username and per-address lock (migration 0015): concurrent guesses see each other, so at
 * most LOGIN_MAX_USER_FAILURES of them ever reach the password hash. */
static const char *const sql_login_begin =
	"SELECT failure_id, retry_after, password_hash FROM examd_login_begin($1, $2, $3::int, $4::int, $5::int)";

static const char *const sql_login_failed =
	"INSERT INTO audit_log (actor, action, target, address, detail)"
	" VALUES ($1, 'login.failed', 'user:' || $1, $2, jsonb_build_object('known_user', $3::boolean))";

static const char *const sql_login_ok =
	"WITH s AS (INSERT INTO sessions (token_hash, username, expires_at, address)"
	"           VALUES ($1, $2, now() + make_interval(secs => $3::int), $4) RETURNING expires_at),"
	" a AS (INSERT INTO audit_log (actor, action, target, address) VALUES ($2, 'login', 'user:' || $2, $4)),"
	" c AS (DELETE FROM login_failures WHERE username = $2)"
	" SELECT json_build_object('token', $5::text, 'expires_at', examd_ts(s.expires_at),"
	"                          'user', examd_user_json($2, NULL))::text, examd_grades_packed($2), examd_now_us()"
	" FROM s";

/* Verifications of a password against a hash (logins only), for /metrics and the throttle test. */
static _Atomic unsigned long password_checks;

unsigned long auth_password_checks(void)
{
	return atomic_load(&password_checks);
}

/* A hash to verify against when the user does not exist, so timing does not tell: the salt and
 * digest are arbitrary, the cost is the configured one (the cost of real users' hashes). */
static const char *dummy_hash(const struct config *cfg)
{
	static _Thread_local char hash[128];
	static _Thread_local int made_for;
	if (made_for != cfg->scrypt_log2n) {
		snprintf(hash, sizeof hash,
			 "$scrypt$ln=%d,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			 cfg->scrypt_log2n);
		made_for = cfg->scrypt_log2n;
	}
	return hash;
}

/* Logins waiting for their password check, per username and per address, in this process. */
#define LOGIN_INFLIGHT_SLOTS 256
#define LOGIN_MAX_INFLIGHT_USER 2
#define LOGIN_MAX_INFLIGHT_ADDRESS 8

static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[80];
	int n;
} inflight[LOGIN_INFLIGHT_SLOTS];

/* Counts one more in-flight login for key; false when key is at max (or the table is full). */
static bool inflight_take(const char *key, int max)
{
	bool ok = false;
	int free_slot = -1;
	pthread_mutex_lock(&inflight_lock);
	for (int i = 0; i < LOGIN_INFLIGHT_SLOTS; i++) {
		if (inflight[i].n > 0 && !strcmp(inflight[i].key, key)) {
			if (inflight[i].n < max) {
				inflight[i].n++;
				ok = true;
			}
			free_slot = -2;
			break;
		}
		if (inflight[i].n == 0 && free_slot == -1)
			free_slot = i;
	}
	if (free_slot >= 0) {
		snprintf(inflight[free_slot].key, sizeof inflight[free_slot].key, "%s", key);
		inflight[free_slot].n = 1;
		ok = true;
	}
	pthread_mutex_unlock(&inflight_lock);
	return ok;
}

static void inflight_give(const char *key)
{
	pthread_mutex_lock(&inflight_lock);
	for (int i = 0; i < LOGIN_INFLIGHT_SLOTS; i++)
		if (inflight[i].n > 0 && !strcmp(inflight[i].key, key)) {
			inflight[i].n--;
			break;
		}
	pthread_mutex_unlock(&inflight_lock);
}

static void on_login_ok(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	/* The user's grade is the one held now by the rules module. */
	json_t *doc = json_loads(db_result_value(res, 0, 0), 0, NULL);
	int grade = rules_grade_packed_at(db_result_value(res, 0, 1), db_result_long(res, 0, 2));
	json_t *user = doc ? json_object_get(doc, "user") : NULL;
	if (!user || json_object_set_new(user, "grade", grade > 0 ? json_integer(grade) : json_null()) < 0) {
		json_decref(doc);
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	req_reply_json(r, 200, doc);
}

static void on_login_failed(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	req_reply_error(r, 401, "unauthenticated", "wrong username or password");
}

static void login_verify_work(void *arg)
{
	struct login *l = arg;
	atomic_fetch_add(&password_checks, 1);
	l->verdict = password_verify(l->password, l->stored ? l->stored : l->dummy);
}

static void login_release(struct login *l)
{
	if (l->held_user) {
		inflight_give(l->user_key);
		l->held_user = false;
	}
	if (l->held_address) {
		inflight_give(l->address_key);
		l->held_address = false;
	}
}

static void login_verify_done(void *arg)
{
	struct login *l = arg;
	struct req *r = l->r;
	login_release(l);
	if (req_orphaned(r)) {
		req_reply_empty(r, 503);
		return;
	}
	if (!l->user_exists || l->verdict != PASSWORD_MATCH) {
		/* The failure is already recorded (examd_login_begin); only the audit line is left. */
		const char *params[] = {l->username, req_client_address(r), l->user_exists ? "true" : "false"};
		(void)api_query(r, sql_login_failed, 3, params, on_login_failed);
		return;
	}
	unsigned char raw[32], digest[32];
	char token[48], hash[65], ttl[16];
	if (!util_random_bytes(raw, sizeof raw)) {
		req_reply_error(r, 503, "unavailable", "no randomness available");
		return;
	}
	util_base64url_encode(raw, sizeof raw, token);
	util_sha256(token, strlen(token), digest);
	util_hex_encode(digest, sizeof digest, hash);
	snprintf(ttl, sizeof ttl, "%d", api_cfg(r)->session_ttl_seconds);
	const char *params[] = {hash, l->username, ttl, req_client_address(r), token};
	(void)api_query(r, sql_login_ok, 5, params, on_login_ok);
	OPENSSL_cleanse(token, sizeof token);
}

static void reply_throttled(struct req *r, long wait, const char *why)
{
	char retry[24];
	if (wait < 1)
		wait = 1;
	snprintf(retry, sizeof retry, "%ld", wait);
	req_add_header(r, "Retry-After", retry);
	req_reply_error(r, 429, "rate_limited", "%s; try again in %ld seconds", why, wait);
}

static void on_login_begin(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct login *l = r->data;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_isnull(res, 0, 0)) {
		reply_throttled(r, db_result_long(res, 0, 1), "too many failed logins");
		return;
	}
	/* Recorded as a failure already: past the in-flight caps it stays one, unverified. */
	snprintf(l->user_key, sizeof l->user_key, "u:%s", l->username);
	snprintf(l->address_key, sizeof l->address_key, "a:%s", req_client_address(r));
	if (!(l->held_user = inflight_take(l->user_key, LOGIN_MAX_INFLIGHT_USER)) ||
	    !(l->held_address = inflight_take(l->address_key, LOGIN_MAX_INFLIGHT_ADDRESS))) {
		login_release(l);
		reply_throttled(r, 1, "too many logins in progress");
		return;
	}
	l->user_exists = !db_result_isnull(res, 0, 2);
	l->stored = l->user_exists ? strdup(db_result_value(res, 0, 2)) : NULL;
	l->dummy = dummy_hash(api_cfg(r));
	if (l->user_exists && !l->stored) {
		login_release(l);
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!offload_submit_to(r->worker->server->offload, OFFLOAD_LOGIN, r->worker->base, login_verify_work,
			       login_verify_done, l)) {
		login_release(l);
		api_reply_busy(r);
	}
}

void auth_login(struct req *r)
{
	json_t *body = api_json_body(r);
	if (!body)
		return;
	const char *username = json_string_value(json_object_get(body, "username"));
	const char *password = json_string_value(json_object_get(body, "password"));
	if (!username || !password || !*username || strlen(username) > 64 || strlen(password) > PASSWORD_MAX_LEN) {
		json_decref(body);
		req_reply_error(r, 400, "invalid_field", "username and password must be non-empty strings");
		return;
	}
	struct login *l = calloc(1, sizeof *l);
	if (!l) {
		json_decref(body);
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	l->r = r;
	l->username = strdup(username);
	l->password = strdup(password);
	json_decref(body);
	OPENSSL_cleanse(r->body, r->body_len); /* the password is not kept in the body copy */
	r->data = l;
	r->data_free = login_free;
	if (!l->username || !l->password) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	char window[16], umax[16], amax[16];
	snprintf(window, sizeof window, "%d", LOGIN_WINDOW_SECONDS);
	snprintf(umax, sizeof umax, "%d", LOGIN_MAX_USER_FAILURES);
	snprintf(amax, sizeof amax, "%d", LOGIN_MAX_ADDRESS_FAILURES);
	const char *params[] = {l->username, req_client_address(r), window, umax, amax};
	(void)api_query(r, sql_login_begin, 5, params, on_login_begin);
}

/* ------------------------------------------------------------------ logout, me */

static void on_logout(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	req_reply_empty(r, 204);
}

void auth_logout(struct req *r)
{
	const char *params[] = {r->token_hash, r->user.username, req_client_address(r)};
	(void)api_query(
		r,
		"WITH d AS (DELETE FROM sessions WHERE token_hash = $1)"
		" INSERT INTO audit_log (actor, action, target, address) VALUES ($2, 'logout', 'user:' || $2, $3)",
		3, params, on_logout);
}

void auth_me(struct req *r)
{
	char grade[16];
	snprintf(grade, sizeof grade, "%d", r->user.grade);
	const char *params[] = {r->user.username, r->user.grade > 0 ? grade : NULL};
	api_query_json(r, 200, "SELECT examd_user_json($1, $2::int)::text", 2, params);
}
