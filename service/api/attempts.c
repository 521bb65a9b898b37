/* Timed exams (SPEC §4.4): the exam list, starting (or resuming) an attempt, saving answers
 * (committed before the 200, api/saves.c), submitting and the proctor's close. Closing one attempt
 * is api/closer.c (the exact pure scorer, then examd_attempt_close, so that an attempt closes
 * exactly once, whichever process gets there); the auto-submitter is api/expiry.c. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "api/closer.h"
#include "core/log.h"
#include "domain/itemstats.h"
#include "domain/rules.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define SEM_MIN_ATTEMPTS STR(ITEMSTATS_SEM_MIN_ATTEMPTS)

static void grace_text(const struct config *cfg, char buf[16])
{
	snprintf(buf, 16, "%d", cfg->grace_seconds);
}

/* ------------------------------------------------------------------ the attempt document */

/* The measurement error of a closed attempt's result (SPEC §4.6a): the blueprint's SEM once it
 * rests on enough attempts, and whether score ± SEM stays in one band. The document is not parsed
 * again (its exact decimals, "85.00", must stay as PostgreSQL wrote them): "result" is its last
 * member, so the two fields go in before the final "}}". false when the text does not end so. */
static bool reply_with_measurement_error(struct req *r, int status, const struct db_result *res, const char *text,
					 size_t len)
{
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n'))
		len--;
	size_t inner = len ? len - 1 : 0;
	while (inner && (text[inner - 1] == ' ' || text[inner - 1] == '\n'))
		inner--;
	if (len < 2 || text[len - 1] != '}' || !inner || text[inner - 1] != '}' || db_result_isnull(res, 0, 5))
		return false;
	struct itemstats_num sem = {false, 0};
	if (!db_result_isnull(res, 0, 3)) {
		sem.has = true;
		sem.v = atof(db_result_value(res, 0, 3));
	}
	struct itemstats_band bands[16];
	size_t nb = itemstats_bands_parse(db_result_value(res, 0, 4), bands, 16);
	int certain = itemstats_band_certain(atof(db_result_value(res, 0, 5)), sem, bands, nb);
	char extra[96], semtext[32] = "null";
	if (sem.has)
		snprintf(semtext, sizeof semtext, "%.2f", round(sem.v * 100) / 100);
	snprintf(extra, sizeof extra, ",\"sem\":%s,\"band_certain\":%s}}", semtext,
		 certain < 0 ? "null"
		 : certain   ? "true"
			     : "false");
	size_t head = inner - 1, elen = strlen(extra);
	char *out = malloc(head + elen);
	if (!out)
		return false;
	memcpy(out, text, head);
	memcpy(out + head, extra, elen);
	req_reply_json_text(r, status, out, head + elen);
	free(out);
	return true;
}

/* One employee's closed attempts as the rules module sees them at T (examd_exam_evidence and
 * examd_rules_evidence): used[k] when attempt k counts (SPEC §3.2). */
struct exam_eval {
	struct rules_model model;
	struct rules_evidence ev;
	struct rules_result res;
	bool *used;
};

static void exam_eval_free(struct exam_eval *e)
{
	rules_model_free(&e->model);
	rules_evidence_free(&e->ev);
	free(e->used);
}

static bool exam_eval(struct exam_eval *e, const char *rules, const char *grades, const char *exam, int64_t at)
{
	char why[128] = "";
	memset(e, 0, sizeof *e);
	if (!rules || !rules_model_parse(rules, &e->model, why, sizeof why) ||
	    !rules_evidence_parse(&e->ev, grades, exam, NULL)) {
		log_error("exam evidence: %s", *why ? why : "malformed evidence");
		return false;
	}
	e->used = calloc(e->ev.nattempts + 1, sizeof *e->used);
	return e->used &&
	       rules_evaluate(&e->model, catalog_default(), &e->ev, at, RULES_HELD, &e->res, e->used, NULL, NULL);
}

/* The last "needle" in text[0, len); NULL when none. */
static const char *find_last(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = len >= n ? len - n + 1 : 0; i-- > 0;)
		if (!memcmp(text + i, needle, n))
			return text + i;
	return NULL;
}

#define COUNTED_PLACE "\"counted\": null"

/* The attempt document with its "counted" decided by the rules module: examd_attempt_json leaves
 * "counted": null in a closed attempt's result where it may count (an unescaped quote can only
 * open a key, so the text cannot occur inside a string). *out is malloc'd; false on malformed evidence
 * or out of memory. */
static bool attempt_counted(const struct db_result *res, const char *id, char **out, size_t *outlen)
{
	const char *text = db_result_value(res, 0, 0);
	size_t len = (size_t)db_result_length(res, 0, 0);
	const char *place = find_last(text, len, COUNTED_PLACE);
	*out = NULL;
	if (!place)
		return true;
	if (db_result_isnull(res, 0, 8))
		return false;
	struct exam_eval e;
	bool ok = exam_eval(&e, db_result_value(res, 0, 8),
			    db_result_isnull(res, 0, 6) ? NULL : db_result_value(res, 0, 6),
			    db_result_isnull(res, 0, 7) ? NULL : db_result_value(res, 0, 7), db_result_long(res, 0, 9));
	bool counted = false;
	long want = atol(id);
	for (size_t k = 0; ok && k < e.ev.nattempts; k++)
		if (e.ev.attempts[k].id == want)
			counted = e.used[k];
	exam_eval_free(&e);
	if (!ok)
		return false;
	const char *value = counted ? "\"counted\": true" : "\"counted\": false";
	size_t head = (size_t)(place - text), vlen = strlen(value), tail = len - head - strlen(COUNTED_PLACE);
	if (!(*out = malloc(head + vlen + tail)))
		return false;
	memcpy(*out, text, head);
	memcpy(*out + head, value, vlen);
	memcpy(*out + head + vlen, place + strlen(COUNTED_PLACE), tail);
	*outlen = head + vlen + tail;
	return true;
}

struct attempt_reply {
	int status;
	char id[24];
};

static void on_attempt_json(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct attempt_reply *a = r->data;
	int status = a->status;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1 || db_result_isnull(res, 0, 0)) {
		req_reply_error(r, 404, "not_found", "no such attempt");
		return;
	}
	/* Employees see their own attempts only; HR and admin see all (SPEC §1). */
	if (!strcmp(r->user.role, "employee") && strcmp(db_result_value(res, 0, 1), r->user.username) != 0) {
		req_reply_error(r, 404, "not_found", "no such attempt");
		return;
	}
	/* Open attempts (the exam-start storm) pass through untouched. */
	if (strcmp(db_result_value(res, 0, 2), "t") != 0) {
		req_reply_json_text(r, status, db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0));
		return;
	}
	char *patched;
	size_t plen = 0;
	if (!attempt_counted(res, a->id, &patched, &plen)) {
		log_error("attempt %s: the counted attempt could not be decided", a->id);
		req_reply_error(r, 503, "unavailable", "the attempt could not be shown");
		return;
	}
	const char *text = patched ? patched : db_result_value(res, 0, 0);
	size_t len = patched ? plen : (size_t)db_result_length(res, 0, 0);
	if (!reply_with_measurement_error(r, status, res, text, len))
		req_reply_json_text(r, status, text, len);
	free(patched);
}

/* The evidence columns (6-9) only for an attempt that may count: the employee's closed attempts, the
 * rules document and T (now, in µs). OFFSET 0 keeps the lateral subquery apart, so that its condition
 * is a one-time filter before the function (an open attempt, the exam-start storm, never calls it)
 * rather than a join filter after it. */
void attempts_reply(struct req *r, const char *id, int status)
{
	char grace[16];
	grace_text(api_cfg(r), grace);
	struct attempt_reply *a = calloc(1, sizeof *a);
	if (!a) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	a->status = status;
	snprintf(a->id, sizeof a->id, "%s", id);
	if (r->data_free)
		r->data_free(r->data);
	r->data = a;
	r->data_free = free;
	const char *params[] = {id, grace};
	api_query(
		r,
		"SELECT examd_attempt_json(a.id, $2::int)::text, a.username, a.status <> 'open', s.sem,"
		" CASE WHEN a.status <> 'open' THEN examd_bands_text(a.model_version) END, a.standard_score,"
		" e.grades, e.exam, CASE WHEN e.counts THEN examd_rules_evidence() END,"
		" (extract(epoch FROM now()) * 1000000)::bigint"
		" FROM attempts a LEFT JOIN blueprint_sem s ON s.item = a.item AND s.level = a.level"
		"  AND s.attempts >= " SEM_MIN_ATTEMPTS
		" LEFT JOIN LATERAL (SELECT true AS counts, x.grades, x.exam FROM examd_exam_evidence(a.username, now()) x"
		"  WHERE a.status IN ('submitted', 'auto_submitted') OFFSET 0) e ON true"
		" WHERE a.id = $1::bigint",
		2, params, on_attempt_json);
}

static bool attempt_id_param(struct req *r, int index)
{
	long v;
	if (util_parse_long(r->params[index], 1, 9000000000000000000L, &v))
		return true;
	req_reply_error(r, 404, "not_found", "no such attempt");
	return false;
}

void attempts_get(struct req *r)
{
	if (!attempt_id_param(r, 0))
		return;
	attempts_reply(r, r->params[0], 200);
}

/* ------------------------------------------------------------------ exams */

/* The exams document (column 0), the items of its exams in order (1), the caller's exam evidence
 * (2 grades, 3 attempts, 4 the ids whose session results are not out yet), the rules document (5), T
 * (6, µs) and the band names (7). */
enum { X_DOC, X_ITEMS, X_GRADES, X_EXAM, X_HIDDEN, X_RULES, X_ATUS, X_SCALE };

static bool put_evbuffer(void *ctx, const char *p, size_t n)
{
	return evbuffer_add(ctx, p, n) == 0;
}

static bool id_listed(const char *list, int64_t id)
{
	for (const char *p = list; p && *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (v == id)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* The counted result of item position pos as examd_exams_for wrote it before the rules moved to C
 * (jsonb's key order and spacing): null without a score or while a counted attempt's session
 * results are not out. */
static bool counted_result(struct evbuffer *out, const struct exam_eval *e, int pos, const char *hidden, json_t *scale)
{
	const struct rules_item *it = &e->res.item[pos - 1];
	if (!it->level || !it->has_score)
		return evbuffer_add_printf(out, "null") > 0;
	struct counted_id {
		int64_t started, id;
	} *ids = malloc((e->ev.nattempts + 1) * sizeof *ids);
	size_t n = 0;
	if (!ids)
		return false;
	for (size_t k = 0; k < e->ev.nattempts; k++) {
		if (!e->used[k] || e->ev.attempts[k].position != pos)
			continue;
		if (id_listed(hidden, e->ev.attempts[k].id)) {
			free(ids);
			return evbuffer_add_printf(out, "null") > 0;
		}
		ids[n].started = e->ev.attempts[k].started;
		ids[n++].id = e->ev.attempts[k].id;
	}
	/* In the order (started_at, id), insertion-sorted: a handful (at most max_attempts, 100). */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (ids[j - 1].started > ids[j].started ||
					     (ids[j - 1].started == ids[j].started && ids[j - 1].id > ids[j].id));
		     j--) {
			int64_t s = ids[j].started, d = ids[j].id;
			ids[j] = ids[j - 1];
			ids[j - 1].started = s;
			ids[j - 1].id = d;
		}
	bool ok = true;
	if (it->value.has)
		ok = evbuffer_add_printf(out, "{\"band\": %d, \"attempt_ids\": [", it->value.tenths / 10) > 0;
	else
		ok = evbuffer_add_printf(out, "{\"band\": null, \"attempt_ids\": [") > 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = evbuffer_add_printf(out, "%s%lld", i ? ", " : "", (long long)ids[i].id) > 0;
	ok = ok && evbuffer_add_printf(out, "], \"band_name_zh\": ") > 0;
	char key[16];
	snprintf(key, sizeof key, "%d", it->value.tenths / 10);
	const char *name = it->value.has ? json_string_value(json_object_get(scale, key)) : NULL;
	ok = ok && (name ? util_json_string(name, put_evbuffer, out) : evbuffer_add(out, "null", 4) == 0);
	free(ids);
	return ok && evbuffer_add_printf(out, ", \"standard_score\": %lld.%02lld}", (long long)(it->score / 100),
					 (long long)(it->score % 100)) > 0;
}

#define COUNTED_RESULT_PLACE "\"counted_result\": null"

static void on_exams(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *col[X_SCALE + 1];
	for (int c = 0; c <= X_SCALE; c++)
		col[c] = db_result_isnull(res, 0, c) ? NULL : db_result_value(res, 0, c);
	struct exam_eval e = {0};
	json_error_t jerr;
	json_t *scale = col[X_SCALE] ? json_loads(col[X_SCALE], 0, &jerr) : json_object();
	struct evbuffer *out = evbuffer_new();
	bool ok = col[X_DOC] && scale && out &&
		  exam_eval(&e, col[X_RULES], col[X_GRADES], col[X_EXAM], db_result_long(res, 0, X_ATUS));
	/* Each exam's "counted_result": null, in the order of the items listed (an unescaped quote can
	 * only open a key, so the text cannot occur inside a string). */
	const char *p = col[X_DOC], *items = col[X_ITEMS] ? col[X_ITEMS] : "";
	while (ok && *items) {
		const char *comma = strchr(items, ',');
		size_t n = comma ? (size_t)(comma - items) : strlen(items);
		char code[64];
		snprintf(code, sizeof code, "%.*s", (int)(n < 63 ? n : 63), items);
		items = comma ? comma + 1 : items + n;
		const struct catalog_item *it = catalog_item_find(catalog_default(), code);
		const char *place = strstr(p, COUNTED_RESULT_PLACE);
		ok = it && place && evbuffer_add(out, p, (size_t)(place - p)) == 0 &&
		     evbuffer_add_printf(out, "\"counted_result\": ") > 0 &&
		     counted_result(out, &e, (int)it->position + 1, col[X_HIDDEN], scale);
		if (ok)
			p = place + strlen(COUNTED_RESULT_PLACE);
	}
	ok = ok && evbuffer_add(out, p, strlen(p)) == 0;
	exam_eval_free(&e);
	json_decref(scale);
	if (!ok) {
		if (out)
			evbuffer_free(out);
		log_error("exams of %s: the counted results could not be decided", r->user.username);
		req_reply_error(r, 503, "unavailable", "the exams could not be listed");
		return;
	}
	size_t len = evbuffer_get_length(out);
	req_reply_json_text(r, 200, (const char *)evbuffer_pullup(out, -1), len);
	evbuffer_free(out);
}

void exams_list(struct req *r)
{
	char *now = api_now_caller(r);
	if (!now) {
		req_reply_error(r, 503, "unavailable", "the competency model is not available");
		return;
	}
	const char *params[] = {r->user.username, now};
	/* available: the blueprint has draw rows and the active pool fills each of them (else the page
	 * offers no start button and says why). */
	api_query(r,
		  "WITH x AS (SELECT json_build_object('exams', coalesce(json_agg(e.value::jsonb || jsonb_build_object("
		  "  'available', EXISTS (SELECT 1 FROM blueprint_draws d WHERE d.item = e.value->>'item'"
		  "                       AND d.level = e.value->>'level')"
		  "    AND NOT EXISTS (SELECT 1 FROM blueprint_draws d WHERE d.item = e.value->>'item'"
		  "                    AND d.level = e.value->>'level' AND d.count > (SELECT count(*) FROM questions q"
		  "                    WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic"
		  "                    AND q.level = d.draw_level))) ORDER BY e.n), '[]'))::text AS doc,"
		  "  string_agg(e.value->>'item', ',' ORDER BY e.n) AS items"
		  " FROM json_array_elements(examd_exams_for($1, $2::jsonb)->'exams') WITH ORDINALITY e(value, n))"
		  " SELECT x.doc, x.items, v.grades, v.exam, v.hidden, examd_rules_evidence(),"
		  "  (extract(epoch FROM now()) * 1000000)::bigint,"
		  "  (SELECT json_object_agg(s.score, s.name_zh) FROM model_rating_scale s)::text"
		  " FROM x CROSS JOIN examd_exam_evidence($1, now()) v",
		  2, params, on_exams);
	free(now);
}

/* ------------------------------------------------------------------ start */

struct start_state {
	char item[64]; /* "" = the session's only exam */
	char mode[16];
	char session[24];
	bool retried;
};

static void start_run(struct req *r);

static void on_expired_closed(struct closer *c, bool ok)
{
	struct req *r = c->arg;
	free(c);
	if (!ok) {
		req_reply_error(r, 503, "unavailable", "the previous attempt could not be closed; try again shortly");
		return;
	}
	start_run(r);
}

/* The start's typed result (examd_attempt_begin, migration 0025): status, message, attempt_id. */
static void on_started(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct start_state *s = r->data;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *status = db_result_value(res, 0, 0);
	char aid[24];
	snprintf(aid, sizeof aid, "%s", db_result_value(res, 0, 2));
	if (!strcmp(status, "expired") && !s->retried) {
		/* An open attempt past its time that the auto-submitter has not reached yet. */
		s->retried = true;
		struct closer *c =
			closer_new(api_db(r), api_cfg(r), aid, "auto_submitted", "examd", on_expired_closed, r);
		if (!c)
			req_reply_error(r, 503, "unavailable", "out of memory");
		else
			closer_read(c);
	} else if (!strcmp(status, "expired")) {
		req_reply_error(r, 503, "unavailable", "the attempt could not be started; try again shortly");
	} else if (!strcmp(status, "created") || !strcmp(status, "resumed")) {
		free(r->data);
		r->data = NULL;
		attempts_reply(r, aid, api_status_http(status));
	} else {
		api_reply_status(r, status, db_result_value(res, 0, 1));
	}
}

static void start_run(struct req *r)
{
	struct start_state *s = r->data;
	char grace[16];
	grace_text(api_cfg(r), grace);
	/* The level the caller's grade requires now, and the grade a session's cohort is matched
	 * against, are the rules module's (api/nowrules.c). */
	char *now = api_now_caller(r);
	if (!now) {
		req_reply_error(r, 503, "unavailable", "the competency model is not available");
		return;
	}
	const char *params[] = {r->user.username, s->item[0] ? s->item : NULL,       grace,
				s->mode,          s->session[0] ? s->session : NULL, now};
	api_query(
		r,
		"SELECT status, message, attempt_id FROM examd_attempt_begin($1, $2, $3::int, $4, $5::bigint, $6::jsonb)",
		6, params, on_started);
	free(now);
}

void attempts_begin(struct req *r, const char *mode, const char *session, const char *item)
{
	struct start_state *s = calloc(1, sizeof *s);
	if (!s) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	snprintf(s->item, sizeof s->item, "%s", item ? item : "");
	snprintf(s->mode, sizeof s->mode, "%s", mode);
	snprintf(s->session, sizeof s->session, "%s", session ? session : "");
	r->data = s;
	r->data_free = free;
	start_run(r);
}

void attempts_start(struct req *r)
{
	json_t *body = api_json_body(r);
	if (!body)
		return;
	const char *item = json_string_value(json_object_get(body, "item"));
	const struct catalog_item *it = item ? catalog_item_find(catalog_default(), item) : NULL;
	json_t *practice = json_object_get(body, "practice");
	size_t fields = 1 + (practice != NULL);
	if (!it || it->assessment != CATALOG_ASSESS_EXAM || json_object_size(body) != fields ||
	    (practice && !json_is_boolean(practice))) {
		json_decref(body);
		req_reply_error(r, 400, "invalid_field",
				"the body must be {\"item\": one of general_knowledge, professional_knowledge, "
				"job_knowledge, job_skills, \"practice\"?: true|false}");
		return;
	}
	bool is_practice = json_is_true(practice);
	json_decref(body);
	attempts_begin(r, is_practice ? "practice" : "exam", NULL, it->code);
}

/* POST /api/v1/sessions/{id}/attempts {"item"?}: an attempt in a session (the session's checks come
 * before the body's: 404, then the window's 409, then the item). */
void sessions_start(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such session");
		return;
	}
	const char *code = NULL;
	bool bad = false;
	if (r->body_len) {
		json_error_t jerr;
		json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
		json_t *item = json_object_get(body, "item");
		const struct catalog_item *it =
			json_is_string(item) ? catalog_item_find(catalog_default(), json_string_value(item)) : NULL;
		bad = !json_is_object(body) || json_object_size(body) > 1 || (json_object_size(body) == 1 && !item) ||
		      (item && !json_is_null(item) && (!it || it->assessment != CATALOG_ASSESS_EXAM));
		code = it ? it->code : NULL;
		json_decref(body);
	}
	/* A bad body is reported after the session's own checks: an unknown item then names no exam. */
	attempts_begin(r, "session", r->params[0], bad ? "(invalid)" : code);
}

/* POST /api/v1/attempts/{id}/close: the proctor closes an attempt early, with its saved answers. */
static void on_proctor_closed(struct closer *c, bool ok)
{
	struct req *r = c->arg;
	char id[24];
	snprintf(id, sizeof id, "%s", c->id);
	free(c);
	if (!ok) {
		req_reply_error(r, 503, "unavailable", "the attempt could not be closed; try again shortly");
		return;
	}
	attempts_reply(r, id, 200);
}

static void on_proctor_access(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	const char *access = db_result_rows(res) == 1 ? db_result_value(res, 0, 0) : "not_found";
	if (strcmp(access, "ok") != 0) {
		api_reply_status(r, access,
				 !strcmp(access, "forbidden") ? "only the session's creator, hr or admin may close it"
							      : "no such attempt");
		return;
	}
	if (strcmp(db_result_value(res, 0, 1), "open") != 0) {
		req_reply_error(r, 409, "attempt_closed", "the attempt is already closed");
		return;
	}
	struct closer *c =
		closer_new(api_db(r), api_cfg(r), r->params[0], "submitted", r->user.username, on_proctor_closed, r);
	if (!c) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	closer_read(c);
}

void attempts_close_early(struct req *r)
{
	if (!attempt_id_param(r, 0))
		return;
	const char *params[] = {r->params[0], r->user.username, r->user.role};
	api_query(r,
		  "SELECT CASE WHEN $3 IN ('hr', 'admin') THEN 'ok' WHEN a.session_id IS NULL THEN 'forbidden'"
		  " ELSE examd_session_access(a.session_id, $2, $3) END, a.status"
		  " FROM attempts a WHERE a.id = $1::bigint",
		  3, params, on_proctor_access);
}

/* ------------------------------------------------------------------ answers */

void attempts_save_answer(struct req *r)
{
	long qid;
	if (!attempt_id_param(r, 0))
		return;
	if (!util_parse_long(r->params[1], 1, 9000000000000000000L, &qid)) {
		req_reply_error(r, 404, "not_found", "this question is not part of the attempt");
		return;
	}
	saves_submit(r, api_saves(r));
}

/* ------------------------------------------------------------------ submit */

static void on_submit_closed(struct closer *c, bool ok)
{
	struct req *r = c->arg;
	char id[24];
	snprintf(id, sizeof id, "%s", c->id);
	free(c);
	if (!ok) {
		req_reply_error(r, 503, "unavailable", "the attempt could not be submitted; try again shortly");
		return;
	}
	attempts_reply(r, id, 200);
}

static void on_submit_owner(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1) {
		req_reply_error(r, 404, "not_found", "no such attempt");
		return;
	}
	/* Submitting a closed attempt again changes nothing and answers with its result. */
	struct closer *c =
		closer_new(api_db(r), api_cfg(r), r->params[0], "submitted", r->user.username, on_submit_closed, r);
	if (!c) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	closer_read(c);
}

void attempts_submit(struct req *r)
{
	if (!attempt_id_param(r, 0))
		return;
	const char *params[] = {r->params[0], r->user.username};
	api_query(r, "SELECT status FROM attempts WHERE id = $1::bigint AND username = $2", 2, params, on_submit_owner);
}
