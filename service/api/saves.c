/* Saving answers (SPEC §4.4: committed before the 200), grouped per worker.
 *
 * What a save checks where (issue #20): examd keeps each attempt's question snapshot in memory
 * (api/shapes.c; it never changes after the start) and checks there that the question belongs to the
 * attempt and that the answer fits its type and option labels, and normalises it. Such a "checked"
 * save with a seq goes to PostgreSQL as one row of a set-wise upsert (examd_answer_save_group) that
 * is guarded by what can change at any moment and therefore is read in the transaction: the session
 * (logout, expiry, idle, deactivation), the attempt's owner, and the attempt still open within
 * deadline + grace under the attempt's save lock (closes, voids, a moved deadline). A save examd could
 * not check (snapshot not loaded yet, an invalid answer, no seq), or a checked one that fails the
 * guard, is one call of examd_answer_save_typed inside the same statement, which names the refusal.
 * A checked save whose session the database checked in full for this attempt before is trusted
 * (api/shapes.h, api/trust.h): it carries the revocation counter its process had applied and the
 * session's end, and the statement skips the session and user rows only while the database's
 * counter is still that one, so a logout holds on every process at once even before its
 * notification arrives; the attempt is read by every save, so a close does too.
 * examd sorts the group's attempts for their locks and says which saves refresh their session's
 * last_seen (at most every SHAPES_TOUCH_SECONDS per session and attempt on each process; the database
 * moves last_seen when it is over 30 s old, so while an examinee saves it lags at most 45 s behind,
 * within the shortest idle limit of 60 s). Measured 2026-12-02 (tests/bench/README.md): with both in
 * examd an 8-save call runs 6,036-6,537 times a second instead of 5,453-6,054.
 *
 * Each worker lets at most `slots` statements of saves run at once (two; the other connections of
 * its pool stay free for other requests), and the second only once the first has run
 * EXAMD_SAVE_SECOND_SLOT_MS (20 ms): saves that arrive meanwhile wait, and the next statement sends
 * all of them (up to SAVES_BATCH_MAX) as one statement and one transaction
 * (examd_answer_save_group). At low load every save goes alone, at once; under load one commit
 * serves many saves, and with one statement at a time per worker the groups are twice as large as
 * with two (measured 2026-12-02 at 64 connections: 0.07 commits per save instead of 0.12, and a
 * quarter less PostgreSQL time per save; tests/bench/README.md). A statement that is slower than that,
 * usually one waiting on a lock (a close, an answer row held by another writer), lets a second one
 * start beside it; a group whose statement fails as a whole is sent again save by save, so one
 * save's failure is never another's. A statement that holds its slot longer than
 * EXAMD_SAVE_SLOT_WAIT_MS gives the slot up and finishes whenever it can, so one blocked attempt
 * does not hold up the worker's other saves. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/shapes.h"
#include "core/log.h"

#define SAVES_BATCH_MAX 64 /* at most 64: on_group marks the answered saves in a 64-bit mask */
#define SAVES_PENDING_MAX 4096

static atomic_ulong stat_statements, stat_grouped, stat_retried, stat_slow, stat_checked, stat_trusted;
static atomic_long stat_queued; /* saves waiting for a slot, all workers */

/* One save: the request and its validated parameters. */
struct save {
	struct req *r;
	json_t *answer; /* NULL when the body was malformed (reported by SQL after 404/409) */
	bool bad_json;
	bool has_seq;
	long long seq;
	long long attempt, question;
	char *norm;                /* the answer checked in memory and normalised (JSON text), or NULL */
	bool touch;                /* checked: the statement refreshes the session's last_seen (api/shapes.h) */
	bool shape_unknown;        /* the attempt's snapshot was not in memory: load it after a save succeeds */
	struct shapes_trust trust; /* checked: the session is trusted from memory (api/shapes.h) */
};

static void save_release(struct save *v)
{
	json_decref(v->answer);
	v->answer = NULL;
	free(v->norm);
	v->norm = NULL;
}

struct saves {
	struct worker *w;
	int slots, busy;
	int late;      /* statements holding a slot that have run longer than EXAMD_SAVE_SECOND_SLOT_MS */
	bool draining; /* inside drain(): a statement that fails at once must not start another drain */
	struct save *pending;
	size_t npending, cap;
};

struct group {
	struct saves *s;
	struct event *slow; /* fires after EXAMD_SAVE_SECOND_SLOT_MS (late) and EXAMD_SAVE_SLOT_WAIT_MS
			     * (gives up its slot) */
	bool holds_slot, late;
	size_t n;
	struct save items[];
};

void saves_metrics(struct evbuffer *out)
{
	evbuffer_add_printf(
		out,
		"# HELP examd_autosave_statements_total Statements that saved answers (one or more each).\n"
		"# TYPE examd_autosave_statements_total counter\nexamd_autosave_statements_total %lu\n"
		"# HELP examd_autosave_grouped_total Answers saved in a statement together with others.\n"
		"# TYPE examd_autosave_grouped_total counter\nexamd_autosave_grouped_total %lu\n"
		"# HELP examd_autosave_retried_total Answers sent again alone after their group's statement failed.\n"
		"# TYPE examd_autosave_retried_total counter\nexamd_autosave_retried_total %lu\n"
		"# HELP examd_autosave_slow_total Save statements that gave up their slot (still running after EXAMD_SAVE_SLOT_WAIT_MS).\n"
		"# TYPE examd_autosave_slow_total counter\nexamd_autosave_slow_total %lu\n"
		"# HELP examd_autosave_checked_total Answers checked in memory and sent to the set-wise upsert.\n"
		"# TYPE examd_autosave_checked_total counter\nexamd_autosave_checked_total %lu\n"
		"# HELP examd_autosave_trusted_total Answers saved without reading their session: trusted from memory, no revocation since.\n"
		"# TYPE examd_autosave_trusted_total counter\nexamd_autosave_trusted_total %lu\n",
		atomic_load(&stat_statements), atomic_load(&stat_grouped), atomic_load(&stat_retried),
		atomic_load(&stat_slow), atomic_load(&stat_checked), atomic_load(&stat_trusted));
	unsigned long cached, loads;
	shapes_counts(&cached, &loads);
	evbuffer_add_printf(
		out,
		"# HELP examd_autosave_queued Saves waiting for a statement slot, all workers.\n"
		"# TYPE examd_autosave_queued gauge\nexamd_autosave_queued %ld\n"
		"# HELP examd_autosave_snapshots Attempts whose question snapshot is in memory.\n"
		"# TYPE examd_autosave_snapshots gauge\nexamd_autosave_snapshots %lu\n"
		"# HELP examd_autosave_snapshot_loads_total Question snapshots loaded from the database.\n"
		"# TYPE examd_autosave_snapshot_loads_total counter\nexamd_autosave_snapshot_loads_total %lu\n",
		atomic_load(&stat_queued), cached, loads);
}

struct saves *saves_new(struct worker *w, int pool_size)
{
	struct saves *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->w = w;
	/* Two statements at a time (one when the pool has two connections or fewer): enough that one
	 * group waiting on a lock does not hold up the worker's other saves, few enough that under
	 * load the groups grow. Measured 2026-11-26 at 52bba8e (tests/bench/README.md). */
	s->slots = pool_size > 2 ? 2 : 1;
	return s;
}

void saves_free(struct saves *s)
{
	if (!s)
		return;
	/* The pool is gone: every statement's callback has run and sent nothing new. */
	atomic_fetch_sub(&stat_queued, (long)s->npending);
	for (size_t i = 0; i < s->npending; i++) {
		save_release(&s->pending[i]);
		req_reply_error(s->pending[i].r, 503, "unavailable", "the service is shutting down");
	}
	free(s->pending);
	free(s);
}

/* ------------------------------------------------------------------ the reply of one save */

/* The columns of a save's outcome, in both statements: i, status, username, message, seq, stale,
 * saved_at (examd_answer_save_typed, migration 0025); the group's rows add the revocation counter
 * and the session's end when the save was checked in full (examd_answer_save_group). */
enum {
	SAVE_C_I,
	SAVE_C_STATUS,
	SAVE_C_USERNAME,
	SAVE_C_MESSAGE,
	SAVE_C_SEQ,
	SAVE_C_STALE,
	SAVE_C_SAVED_AT,
	SAVE_C_EPOCH,
	SAVE_C_UNTIL
};

/* Answers the save from row `row`; true when it was saved ('ok'). */
static bool reply_saved(struct req *r, bool bad_json, const struct db_result *res, int row)
{
	const char *status = db_result_value(res, row, SAVE_C_STATUS);
	if (!db_result_isnull(res, row, SAVE_C_USERNAME)) {
		snprintf(r->user.username, sizeof r->user.username, "%s", db_result_value(res, row, SAVE_C_USERNAME));
		r->authed = true;
	}
	if (strcmp(status, "ok") != 0) {
		/* A body that was not JSON travelled without an answer: its refusal names the JSON. */
		api_reply_status(r, bad_json && !strcmp(status, "invalid_field") ? "bad_json" : status,
				 db_result_value(res, row, SAVE_C_MESSAGE));
		return false;
	}
	/* {"seq", "stale"?, "saved_at"}: a number and an RFC 3339 time, nothing to escape. */
	char body[160];
	int n = snprintf(body, sizeof body, "{\"seq\":%s%s,\"saved_at\":\"%s\"}", db_result_value(res, row, SAVE_C_SEQ),
			 !strcmp(db_result_value(res, row, SAVE_C_STALE), "t") ? ",\"stale\":true" : "",
			 db_result_value(res, row, SAVE_C_SAVED_AT));
	if (n < 0 || (size_t)n >= sizeof body) {
		req_reply_error(r, 503, "unavailable", "unexpected reply from the database");
		return false;
	}
	req_reply_json_text(r, 200, body, (size_t)n);
	return true;
}

/* ------------------------------------------------------------------ one save alone */

/* Sends the one-save statement for v; its one row is (0, the save's outcome columns). false: not sent. */
static bool query_one(struct db_pool *db, const struct config *cfg, const struct save *v, db_callback cb, void *arg)
{
	char *answer_text = v->answer ? json_dumps(v->answer, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (v->answer && !answer_text)
		return false;
	char seqbuf[24], grace[16], idle[16];
	snprintf(seqbuf, sizeof seqbuf, "%lld", v->seq);
	snprintf(grace, sizeof grace, "%d", cfg->grace_seconds);
	snprintf(idle, sizeof idle, "%d", cfg->session_idle_seconds);
	const char *params[] = {v->r->token_hash,           idle, v->r->params[0], v->r->params[1], answer_text,
				v->has_seq ? seqbuf : NULL, grace};
	bool sent =
		db_query(db,
			 "SELECT 0, status, username, message, seq, stale, saved_at FROM examd_answer_save_typed($1,"
			 " $2::int, $3::bigint, $4::bigint, $5::jsonb, $6::bigint, $7::int)",
			 7, params, cb, arg);
	free(answer_text);
	return sent;
}

static void on_saved_alone(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	bool bad_json = r->data != NULL;
	r->data = NULL;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	reply_saved(r, bad_json, res, 0);
}

/* Sends one save as its own statement (outside the slots: the retry of a failed group). */
static void send_alone(struct save *v)
{
	struct req *r = v->r;
	r->data = v->bad_json ? (void *)1 : NULL;
	r->data_free = NULL;
	atomic_fetch_add(&stat_statements, 1);
	if (!query_one(api_db(r), api_cfg(r), v, on_saved_alone, r))
		req_reply_error(r, 503, "unavailable", "the database is unavailable; try again shortly");
	save_release(v);
}

/* ------------------------------------------------------------------ groups */

static void send_group(struct saves *s, struct save *items, size_t n);

/* A new statement may start: a slot is free and every statement holding one is late. */
static bool can_send(const struct saves *s)
{
	return s->busy < s->slots && s->late >= s->busy;
}

/* Sends the saves that waited, in groups, while slots are free. Each group leaves the queue before
 * it is sent: db_query may fail it (and run on_group) before returning. */
static void drain(struct saves *s)
{
	if (s->draining)
		return;
	s->draining = true;
	while (s->npending > 0 && can_send(s)) {
		struct save group[SAVES_BATCH_MAX];
		size_t n = s->npending < SAVES_BATCH_MAX ? s->npending : SAVES_BATCH_MAX;
		memcpy(group, s->pending, n * sizeof *group);
		memmove(s->pending, s->pending + n, (s->npending - n) * sizeof *s->pending);
		s->npending -= n;
		atomic_fetch_sub(&stat_queued, (long)n);
		/* The set-wise upsert writes each answer row once: saves of the same question in one group
		 * go through the per-save check, in arrival order. */
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (group[i].attempt == group[j].attempt && group[i].question == group[j].question) {
					free(group[i].norm);
					group[i].norm = NULL;
					free(group[j].norm);
					group[j].norm = NULL;
				}
		send_group(s, group, n);
	}
	s->draining = false;
}

static void release_slot(struct group *g)
{
	if (g->holds_slot) {
		g->holds_slot = false;
		g->s->busy--;
		if (g->late)
			g->s->late--;
	}
}

static void arm_timer(struct group *g, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(g->slow, &tv);
}

/* First after EXAMD_SAVE_SECOND_SLOT_MS: the statement is late, another may start beside it; then, at
 * EXAMD_SAVE_SLOT_WAIT_MS, it gives up its slot. */
static void on_slow(evutil_socket_t fd, short what, void *arg)
{
	struct group *g = arg;
	(void)fd;
	(void)what;
	if (g->holds_slot && !g->late) {
		const struct config *cfg = g->s->w->server->cfg;
		g->late = true;
		g->s->late++;
		if (cfg->save_slot_wait_ms > cfg->save_second_slot_ms) {
			arm_timer(g, cfg->save_slot_wait_ms - cfg->save_second_slot_ms);
			drain(g->s);
			return;
		}
	}
	atomic_fetch_add(&stat_slow, 1);
	release_slot(g);
	drain(g->s);
}

/* A checked save's row: one checked in full and saved leaves its session's trust for the next
 * saves (api/shapes.h); one that went without reading its session is counted. */
static void note_trust(const struct save *v, const struct db_result *res, int row)
{
	if (!v->norm || db_result_isnull(res, row, SAVE_C_EPOCH))
		return; /* answered by the per-save function (saved or refused) */
	if (db_result_isnull(res, row, SAVE_C_UNTIL))
		atomic_fetch_add(&stat_trusted, 1);
	else
		shapes_trust_record(v->attempt, v->r->token_hash, db_result_value(res, row, SAVE_C_USERNAME),
				    strtoll(db_result_value(res, row, SAVE_C_EPOCH), NULL, 10),
				    strtod(db_result_value(res, row, SAVE_C_UNTIL), NULL));
}

static void on_group(const struct db_result *res, void *arg)
{
	struct group *g = arg;
	struct saves *s = g->s;
	release_slot(g);
	if (g->slow)
		event_free(g->slow);
	if (db_result_status(res) == DB_OK) {
		/* Committed: each row answers its save; a save without a row (never expected) gets a 503,
		 * not a second try, since the statement that may have saved it committed. */
		uint64_t answered = 0;
		for (int k = 0; k < db_result_rows(res); k++) {
			long i = db_result_long(res, k, 0);
			if (i < 0 || i >= (long)g->n || (answered >> i & 1))
				continue;
			answered |= UINT64_C(1) << i;
			struct save *v = &g->items[i];
			/* Before the reply, which frees the request (and its token hash). A refusal comes from
			 * the per-save function, without a counter, so note_trust passes it by. */
			if (!v->shape_unknown && db_result_cols(res) > SAVE_C_UNTIL)
				note_trust(v, res, k);
			if (reply_saved(v->r, v->bad_json, res, k) && v->shape_unknown)
				shapes_load(s->w->db, v->attempt);
			save_release(v);
		}
		for (size_t i = 0; i < g->n; i++)
			if (!(answered >> i & 1)) {
				log_error("a group of %zu saves committed without a result for one of them", g->n);
				save_release(&g->items[i]);
				req_reply_error(g->items[i].r, 503, "unavailable",
						"unexpected reply from the database");
			}
	} else if (db_result_status(res) == DB_ERROR && g->n > 1) {
		/* The group failed as a whole (a deadlock, one save's error): each save
		 * again on its own, outside the slots. */
		log_warning("a group of %zu saves failed (%s); sending them one by one", g->n, db_result_sqlstate(res));
		atomic_fetch_add(&stat_retried, g->n);
		for (size_t i = 0; i < g->n; i++)
			send_alone(&g->items[i]);
	} else {
		for (size_t i = 0; i < g->n; i++) {
			save_release(&g->items[i]);
			api_reply_db_failure(g->items[i].r, res);
		}
	}
	free(g);
	drain(s);
}

static void fail_all(struct save *items, size_t n, const char *message)
{
	for (size_t i = 0; i < n; i++) {
		save_release(&items[i]);
		req_reply_error(items[i].r, 503, "unavailable", "%s", message);
	}
}

/* Appends text to a PostgreSQL array literal as one quoted element. */
static void array_add_text(struct evbuffer *b, const char *text)
{
	evbuffer_add(b, "\"", 1);
	for (;;) {
		size_t plain = strcspn(text, "\"\\");
		evbuffer_add(b, text, plain);
		text += plain;
		if (!*text)
			break;
		evbuffer_add(b, "\\", 1);
		evbuffer_add(b, text++, 1);
	}
	evbuffer_add(b, "\"", 1);
}

enum {
	GA_TOKENS,
	GA_ATTEMPTS,
	GA_QUESTIONS,
	GA_ANSWERS,
	GA_SEQS,
	GA_CHECKED,
	GA_TOUCH,
	GA_EPOCHS,
	GA_UNTIL,
	GA_LOCKS,
	GA_N
};

/* The saves of a group as examd_answer_save_group's array parameters; false: no memory. */
static bool group_arrays(const struct save *items, size_t n, struct evbuffer *a[GA_N])
{
	/* The attempts of the checked saves, each once, ascending: the order their locks are taken in. */
	long long locks[SAVES_BATCH_MAX];
	size_t n_locks = 0;
	for (size_t i = 0; i < n; i++) {
		if (!items[i].norm)
			continue;
		long long at = items[i].attempt;
		size_t j = n_locks;
		while (j > 0 && locks[j - 1] > at)
			j--;
		if (j > 0 && locks[j - 1] == at)
			continue;
		memmove(locks + j + 1, locks + j, (n_locks - j) * sizeof *locks);
		locks[j] = at;
		n_locks++;
	}
	evbuffer_add(a[GA_LOCKS], "{", 1);
	for (size_t j = 0; j < n_locks; j++)
		evbuffer_add_printf(a[GA_LOCKS], j ? ",%lld" : "%lld", locks[j]);
	for (size_t i = 0; i < n; i++) {
		const struct save *v = &items[i];
		const char *sep = i ? "," : "{";
		for (int k = 0; k < GA_LOCKS; k++)
			evbuffer_add(a[k], sep, 1);
		array_add_text(a[GA_TOKENS], v->r->token_hash);
		evbuffer_add_printf(a[GA_ATTEMPTS], "%lld", v->attempt);
		evbuffer_add_printf(a[GA_QUESTIONS], "%lld", v->question);
		if (v->norm) {
			array_add_text(a[GA_ANSWERS], v->norm);
		} else if (v->answer) {
			char *text = json_dumps(v->answer, JSON_COMPACT | JSON_ENCODE_ANY);
			if (!text)
				return false;
			array_add_text(a[GA_ANSWERS], text);
			free(text);
		} else {
			evbuffer_add(a[GA_ANSWERS], "NULL", 4);
		}
		if (v->has_seq)
			evbuffer_add_printf(a[GA_SEQS], "%lld", v->seq);
		else
			evbuffer_add(a[GA_SEQS], "NULL", 4);
		evbuffer_add(a[GA_CHECKED], v->norm ? "t" : "f", 1);
		evbuffer_add(a[GA_TOUCH], v->norm && v->touch ? "t" : "f", 1);
		if (v->norm && v->trust.epoch >= 0) {
			evbuffer_add_printf(a[GA_EPOCHS], "%lld", v->trust.epoch);
			evbuffer_add_printf(a[GA_UNTIL], "%.6f", v->trust.until);
		} else {
			evbuffer_add(a[GA_EPOCHS], "NULL", 4);
			evbuffer_add(a[GA_UNTIL], "NULL", 4);
		}
	}
	for (int k = 0; k < GA_N; k++)
		if (evbuffer_add(a[k], "}", 2) != 0 || !evbuffer_pullup(a[k], -1))
			return false;
	return true;
}

/* Sends n saves as one statement (one save: the plain one); takes ownership of the items (copied). */
static void send_group(struct saves *s, struct save *items, size_t n)
{
	struct group *g = malloc(sizeof *g + n * sizeof *items);
	/* One save that examd could not check goes alone to examd_answer_save_typed; everything else as
	 * arrays to examd_answer_save_group. */
	bool alone = n == 1 && !items[0].norm;
	struct evbuffer *a[GA_N] = {NULL};
	bool arrays = !alone;
	for (int k = 0; arrays && k < GA_N; k++)
		arrays = (a[k] = evbuffer_new()) != NULL;
	if (!g || (!alone && !(arrays && group_arrays(items, n, a)))) {
		free(g);
		for (int k = 0; k < GA_N; k++)
			if (a[k])
				evbuffer_free(a[k]);
		fail_all(items, n, "out of memory");
		return;
	}
	g->s = s;
	g->n = n;
	memcpy(g->items, items, n * sizeof *items);
	const struct config *cfg = s->w->server->cfg;
	/* It holds a slot until it finishes or outlives the slot wait. Counted before it is sent: a
	 * statement that fails at once runs on_group inside db_query. */
	g->holds_slot = true;
	g->late = false;
	s->busy++;
	g->slow = evtimer_new(s->w->base, on_slow, g);
	if (g->slow)
		arm_timer(g, cfg->save_slot_wait_ms < cfg->save_second_slot_ms ? cfg->save_slot_wait_ms
									       : cfg->save_second_slot_ms);
	atomic_fetch_add(&stat_statements, 1);
	if (n > 1)
		atomic_fetch_add(&stat_grouped, n);
	for (size_t i = 0; i < n; i++)
		if (items[i].norm)
			atomic_fetch_add(&stat_checked, 1);
	bool sent;
	if (alone) {
		sent = query_one(s->w->db, cfg, &g->items[0], on_group, g);
	} else {
		char grace[16], idle[16];
		snprintf(grace, sizeof grace, "%d", cfg->grace_seconds);
		snprintf(idle, sizeof idle, "%d", cfg->session_idle_seconds);
		const char *params[GA_N + 2];
		for (int k = 0; k < GA_N; k++)
			params[k] = (const char *)evbuffer_pullup(a[k], -1);
		params[GA_N] = idle;
		params[GA_N + 1] = grace;
		sent = db_query(
			s->w->db,
			"SELECT i, status, username, message, seq, stale, saved_at, epoch, valid_until FROM"
			" examd_answer_save_group($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[],"
			" $6::boolean[], $11::int, $12::int, $10::bigint[], $7::boolean[], $8::bigint[],"
			" $9::double precision[])",
			GA_N + 2, params, on_group, g);
	}
	for (int k = 0; k < GA_N; k++)
		if (a[k])
			evbuffer_free(a[k]);
	if (!sent) {
		release_slot(g);
		if (g->slow)
			event_free(g->slow);
		fail_all(g->items, n, "the database is unavailable; try again shortly");
		free(g);
	}
}

/* ------------------------------------------------------------------ the handler */

void saves_submit(struct req *r, struct saves *s)
{
	struct save v = {.r = r};
	/* The body is checked after the attempt (404) and its state (409), in SQL: a malformed
	 * body travels without an answer and is reported last. */
	json_error_t jerr;
	json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
	json_t *answer = json_object_get(body, "answer");
	json_t *seq = json_object_get(body, "seq");
	const char *key;
	json_t *x;
	bool ok = json_is_object(body) && answer &&
		  (!seq || json_is_null(seq) || (json_is_integer(seq) && json_integer_value(seq) >= 0));
	json_object_foreach(body, key, x)
	{
		if (strcmp(key, "answer") != 0 && strcmp(key, "seq") != 0)
			ok = false;
	}
	v.bad_json = body == NULL;
	v.answer = ok ? json_incref(answer) : NULL;
	v.has_seq = ok && seq && json_is_integer(seq);
	v.seq = v.has_seq ? (long long)json_integer_value(seq) : 0;
	json_decref(body);
	/* attempts_save_answer checked both ids */
	v.attempt = strtoll(r->params[0], NULL, 10);
	v.question = strtoll(r->params[1], NULL, 10);
	enum attempt_qtype type;
	int n_options;
	v.trust.epoch = -1;
	switch (v.has_seq ? shapes_lookup(v.attempt, v.question, r->token_hash, &type, &n_options, &v.touch, &v.trust)
			  : SHAPES_NO_QUESTION) {
	case SHAPES_FOUND:
		v.norm = attempt_answer_normal(type, n_options, v.answer);
		break;
	case SHAPES_UNKNOWN:
		v.shape_unknown = true;
		break;
	case SHAPES_NO_QUESTION:
		break;
	}
	if (!s) { /* no group state (out of memory at start-up): alone */
		send_alone(&v);
		return;
	}
	if (can_send(s) && s->npending == 0) {
		send_group(s, &v, 1);
		return;
	}
	if (s->npending >= SAVES_PENDING_MAX) {
		save_release(&v);
		req_reply_error(r, 503, "unavailable", "too many answers waiting to be saved; try again shortly");
		return;
	}
	if (s->npending == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct save *grown = realloc(s->pending, cap * sizeof *grown);
		if (!grown) {
			save_release(&v);
			req_reply_error(r, 503, "unavailable", "out of memory");
			return;
		}
		s->pending = grown;
		s->cap = cap;
	}
	s->pending[s->npending++] = v;
	atomic_fetch_add(&stat_queued, 1);
}
