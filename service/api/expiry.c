/* The auto-submitter (SPEC §4.4): attempts still open at deadline + grace are closed by the
 * service, within 2 seconds, exactly once across processes, also when thousands share one deadline
 * (a session's closes_at). Worker 0 of every process runs it. Due attempts are claimed in batches
 * with a lease (examd_attempts_claim, migration 0020: FOR UPDATE SKIP LOCKED, so processes take
 * disjoint batches), scored on the offload pool with the exact scorer (domain/attempt.c), and
 * closed with one statement per batch (examd_attempt_close_batch: each attempt under its advisory
 * lock with the digest check of examd_attempt_close). Several batches run at once; while claims
 * come back full the next one is claimed at once. A batch that fails is closed attempt by attempt,
 * and an attempt that still fails is parked for a later try, so it never blocks the queue. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/attempt.h"
#include "http/offload.h"

#define EXPIRY_TICK_MS 250
#define EXPIRY_MAX_ROUNDS 5 /* scoring again after an answer arrived in between, then park */
#define EXPIRY_RATE_BUCKETS 16
#define EXPIRY_RATE_WINDOW 5

/* ------------------------------------------------------------------ metrics (all processes' worker 0 write) */

static _Atomic unsigned long long closes_total, batches_total, parked_total, failures_total;
static struct {
	_Atomic long long second;
	_Atomic unsigned long long count;
} rate[EXPIRY_RATE_BUCKETS];

static void rate_add(unsigned long long n)
{
	long long now = (long long)time(NULL);
	int b = (int)(now % EXPIRY_RATE_BUCKETS);
	if (atomic_load(&rate[b].second) != now) {
		atomic_store(&rate[b].count, 0);
		atomic_store(&rate[b].second, now);
	}
	atomic_fetch_add(&rate[b].count, n);
	atomic_fetch_add(&closes_total, n);
}

static double rate_per_second(void)
{
	long long now = (long long)time(NULL);
	unsigned long long sum = 0;
	for (int k = 1; k <= EXPIRY_RATE_WINDOW; k++) {
		int b = (int)((now - k) % EXPIRY_RATE_BUCKETS);
		if (atomic_load(&rate[b].second) == now - k)
			sum += atomic_load(&rate[b].count);
	}
	return (double)sum / EXPIRY_RATE_WINDOW;
}

void expiry_metrics(struct evbuffer *out, long long open, long long due, double oldest, long long parked)
{
	evbuffer_add_printf(
		out,
		"# HELP examd_autosubmit_closes_total Attempts closed by the auto-submitter of this process.\n"
		"# TYPE examd_autosubmit_closes_total counter\nexamd_autosubmit_closes_total %llu\n"
		"# HELP examd_autosubmit_closes_per_second Auto-submitted closes per second, last 5 seconds.\n"
		"# TYPE examd_autosubmit_closes_per_second gauge\nexamd_autosubmit_closes_per_second %.1f\n"
		"# HELP examd_autosubmit_batches_total Close batches run by this process.\n"
		"# TYPE examd_autosubmit_batches_total counter\nexamd_autosubmit_batches_total %llu\n"
		"# HELP examd_autosubmit_failures_total Close statements that failed (the batch was split).\n"
		"# TYPE examd_autosubmit_failures_total counter\nexamd_autosubmit_failures_total %llu\n"
		"# HELP examd_autosubmit_parked_total Attempts this process parked for a later try.\n"
		"# TYPE examd_autosubmit_parked_total counter\nexamd_autosubmit_parked_total %llu\n",
		atomic_load(&closes_total), rate_per_second(), atomic_load(&batches_total),
		atomic_load(&failures_total), atomic_load(&parked_total));
	if (open < 0)
		return;
	evbuffer_add_printf(
		out,
		"# HELP examd_open_attempts Exam attempts currently open.\n"
		"# TYPE examd_open_attempts gauge\nexamd_open_attempts %lld\n"
		"# HELP examd_attempts_due Open attempts past deadline + grace (all processes).\n"
		"# TYPE examd_attempts_due gauge\nexamd_attempts_due %lld\n"
		"# HELP examd_attempts_oldest_overdue_seconds Seconds the oldest due attempt is past deadline + grace.\n"
		"# TYPE examd_attempts_oldest_overdue_seconds gauge\nexamd_attempts_oldest_overdue_seconds %.3f\n"
		"# HELP examd_attempts_parked Open attempts that failed to close at least once.\n"
		"# TYPE examd_attempts_parked gauge\nexamd_attempts_parked %lld\n",
		open, due, oldest, parked);
}

/* ------------------------------------------------------------------ state */

struct expiry;

/* One batch in flight: claimed → scored (offload) → closed → rescored (changed) | split | parked. */
struct xslot {
	struct expiry *x;
	bool busy;
	bool full;  /* the claim came back full: claim again at once */
	int round;  /* scoring rounds of this batch */
	int n;      /* rows of the current input */
	char **ids; /* n */
	char **inputs;
	/* scored (filled by the offload job) */
	char **elems; /* per scored attempt: {"id","version","result"} */
	char **elem_ids;
	int nelems;
	char **bad; /* could not be scored: park */
	int nbad;
	int single; /* next element when closing one by one */
	int64_t started_us, claimed_us, scored_us;
	int closed, already;
	bool split;
	char **changed;
	int nchanged;
	char **carry; /* could not be closed in an earlier round of this batch: parked at its end */
	int ncarry;
};

struct expiry {
	struct worker *w;
	struct db_pool *db; /* the closer's own connections: a wave never queues request traffic */
	struct event *timer;
	struct xslot *slots;
	int nslots, busy;
	bool stopping;
	char owner[96];
	char grace[16], batch[16], lease[16];
};

static void slot_claim(struct xslot *s);
static void slot_finish(struct xslot *s);
static void slot_close_batch(struct xslot *s);

/* Every statement of the closer: none once stopping (the pool is being freed). */
static bool xquery(struct xslot *s, const char *sql, int n, const char *const *params, db_callback cb)
{
	if (s->x->stopping)
		return false;
	return db_query(s->x->db, sql, n, params, cb, s);
}

static void strv_free(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void slot_reset_input(struct xslot *s)
{
	strv_free(s->ids, s->n);
	strv_free(s->inputs, s->n);
	s->ids = s->inputs = NULL;
	s->n = 0;
}

static void slot_reset_scored(struct xslot *s)
{
	strv_free(s->elems, s->nelems);
	strv_free(s->elem_ids, s->nelems);
	strv_free(s->bad, s->nbad);
	s->elems = s->elem_ids = s->bad = NULL;
	s->nelems = s->nbad = 0;
}

static void expiry_free(struct expiry *x)
{
	db_pool_free(x->db); /* runs the callbacks of what was in flight */
	for (int i = 0; i < x->nslots; i++) {
		slot_reset_input(&x->slots[i]);
		slot_reset_scored(&x->slots[i]);
		strv_free(x->slots[i].changed, x->slots[i].nchanged);
		strv_free(x->slots[i].carry, x->slots[i].ncarry);
	}
	free(x->slots);
	event_free(x->timer);
	free(x);
}

/* A PostgreSQL array literal of ids ("{1,2,3}"); NULL when memory is short. */
static char *ids_array(char **ids, int n)
{
	size_t len = 3;
	for (int i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	char *out = malloc(len), *p = out;
	if (!out)
		return NULL;
	*p++ = '{';
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", ids[i]);
	*p++ = '}';
	*p = '\0';
	return out;
}

/* ------------------------------------------------------------------ parking */

static void on_parked(const struct db_result *res, void *arg)
{
	struct xslot *s = arg;
	if (db_result_status(res) == DB_OK && db_result_rows(res) == 1)
		atomic_fetch_add(&parked_total, (unsigned long long)db_result_long(res, 0, 0));
	else
		log_warning("parking attempts failed: %s", db_result_message(res));
	slot_finish(s);
}

/* Parks ids (taking ownership of the vector), then finishes the slot. */
static void slot_park(struct xslot *s, char **ids, int n)
{
	char *arr = ids_array(ids, n);
	log_json(LOG_WARNING, json_pack("{s:s,s:i,s:s}", "msg", "attempts parked after failing to close", "count", n,
					"attempts", arr ? arr : ""));
	strv_free(ids, n);
	const char *params[] = {arr, s->x->owner};
	bool queued = arr && xquery(s, "SELECT examd_attempts_park($1::bigint[], $2)", 2, params, on_parked);
	free(arr);
	if (!queued)
		slot_finish(s); /* the lease runs out and the attempts are tried again */
}

/* ------------------------------------------------------------------ scoring (offload pool) */

static void score_work(void *arg)
{
	struct xslot *s = arg;
	s->elems = calloc((size_t)s->n + 1, sizeof *s->elems);
	s->elem_ids = calloc((size_t)s->n + 1, sizeof *s->elem_ids);
	s->bad = calloc((size_t)s->n + 1, sizeof *s->bad);
	if (!s->elems || !s->elem_ids || !s->bad)
		return; /* done() sees nelems == nbad == 0 with n > 0: the lease runs out */
	for (int i = 0; i < s->n; i++) {
		char err[256] = "unreadable scoring input";
		json_t *input = attempt_input_from_text(s->inputs[i], err, sizeof err);
		free(s->inputs[i]);
		s->inputs[i] = NULL;
		const char *status = json_string_value(json_object_get(input, "status"));
		if (input && status && strcmp(status, "open") != 0) { /* closed meanwhile (a submit) */
			json_decref(input);
			continue;
		}
		json_t *result = NULL;
		enum score_status st =
			input ? attempt_score_json(input, &result, err, sizeof err) : SCORE_ERR_INVALID_ARGUMENT;
		if (st != SCORE_OK) {
			log_error("attempt %s cannot be scored: %s", s->ids[i], err);
			json_decref(input);
			s->bad[s->nbad++] = strdup(s->ids[i]);
			continue;
		}
		json_t *elem = json_pack("{s:s,s:O,s:o}", "id", s->ids[i], "version",
					 json_object_get(input, "answers_version"), "result", result);
		json_decref(input);
		char *text = elem ? json_dumps(elem, JSON_COMPACT) : NULL;
		json_decref(elem);
		if (!text) {
			s->bad[s->nbad++] = strdup(s->ids[i]);
			continue;
		}
		s->elem_ids[s->nelems] = strdup(s->ids[i]);
		s->elems[s->nelems++] = text;
	}
}

static void score_done(void *arg)
{
	struct xslot *s = arg;
	s->scored_us = util_now_us();
	slot_reset_input(s);
	if (!s->elems) { /* out of memory: leave it to the lease */
		slot_reset_scored(s);
		slot_finish(s);
		return;
	}
	s->single = -1;
	s->split = false;
	slot_close_batch(s);
}

static void slot_score(struct xslot *s)
{
	if (!offload_submit_to(s->x->w->server->offload, OFFLOAD_CLOSE, s->x->w->base, score_work, score_done, s)) {
		/* The pool is full: the claims stay leased and are tried again when the lease runs out. */
		slot_reset_input(s);
		slot_finish(s);
	}
}

/* Takes the rows (id, scoring input) of a claim or a re-read. */
static bool slot_take_rows(struct xslot *s, const struct db_result *res)
{
	int n = db_result_rows(res);
	s->ids = calloc((size_t)n + 1, sizeof *s->ids);
	s->inputs = calloc((size_t)n + 1, sizeof *s->inputs);
	if (!s->ids || !s->inputs)
		return false;
	for (int i = 0; i < n; i++) {
		s->ids[i] = strdup(db_result_value(res, i, 0));
		s->inputs[i] = strdup(db_result_value(res, i, 1));
		s->n = i + 1;
		if (!s->ids[i] || !s->inputs[i])
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ closing */

static void slot_after_close(struct xslot *s);

static void on_batch_closed(const struct db_result *res, void *arg)
{
	struct xslot *s = arg;
	if (db_result_status(res) == DB_OK) {
		for (int i = 0; i < db_result_rows(res); i++) {
			const char *outcome = db_result_value(res, i, 1);
			if (!strcmp(outcome, "closed"))
				s->closed++;
			else if (!strcmp(outcome, "changed")) {
				char **v = realloc(s->changed, (size_t)(s->nchanged + 1) * sizeof *v);
				if (v) {
					s->changed = v;
					s->changed[s->nchanged++] = strdup(db_result_value(res, i, 0));
				}
			} else
				s->already++;
		}
		if (s->single < 0) {
			rate_add((unsigned long long)s->closed);
			s->single = s->nelems; /* all done */
		} else {
			if (db_result_rows(res) == 1 && !strcmp(db_result_value(res, 0, 1), "closed"))
				rate_add(1);
			s->single++;
		}
		slot_after_close(s);
		return;
	}
	atomic_fetch_add(&failures_total, 1);
	if (db_result_status(res) == DB_UNAVAILABLE) {
		/* No connection or a timeout: nothing is known; the lease runs out and the attempts return. */
		log_warning("closing a batch failed: %s", db_result_message(res));
		slot_reset_scored(s);
		slot_finish(s);
		return;
	}
	if (s->single < 0) {
		/* One attempt spoils the statement for all: close them one by one to find it. */
		log_warning("closing a batch of %d attempts failed (%s): closing them one by one", s->nelems,
			    db_result_message(res));
		s->split = true;
		s->single = 0;
		slot_close_batch(s);
		return;
	}
	/* This attempt fails alone: park it. */
	log_warning("closing attempt %s failed: %s", s->elem_ids[s->single], db_result_message(res));
	char **v = realloc(s->bad, (size_t)(s->nbad + 1) * sizeof *v);
	if (v) {
		s->bad = v;
		s->bad[s->nbad++] = strdup(s->elem_ids[s->single]);
	}
	s->single++;
	slot_after_close(s);
}

/* Sends the whole batch (single < 0) or its element number single. */
static void slot_close_batch(struct xslot *s)
{
	struct expiry *x = s->x;
	if (!s->nelems) {
		slot_after_close(s);
		return;
	}
	char *text;
	if (s->single < 0) {
		size_t len = 3;
		for (int i = 0; i < s->nelems; i++)
			len += strlen(s->elems[i]) + 1;
		text = malloc(len);
		if (text) {
			char *p = text;
			*p++ = '[';
			for (int i = 0; i < s->nelems; i++) {
				if (i)
					*p++ = ',';
				size_t l = strlen(s->elems[i]);
				memcpy(p, s->elems[i], l);
				p += l;
			}
			*p++ = ']';
			*p = '\0';
		}
	} else {
		size_t l = strlen(s->elems[s->single]);
		text = malloc(l + 3);
		if (text)
			snprintf(text, l + 3, "[%s]", s->elems[s->single]);
	}
	const char *params[] = {text, x->grace};
	bool queued = text && xquery(s,
				     "SELECT id, outcome FROM examd_attempt_close_batch($1::jsonb, 'auto_submitted',"
				     " $2::int, 'examd')",
				     2, params, on_batch_closed);
	free(text);
	if (!queued) {
		slot_reset_scored(s);
		slot_finish(s);
	}
}

static void on_reread(const struct db_result *res, void *arg)
{
	struct xslot *s = arg;
	if (db_result_status(res) != DB_OK || !db_result_rows(res)) {
		slot_finish(s);
		return;
	}
	if (!slot_take_rows(s, res)) {
		slot_reset_input(s);
		slot_finish(s);
		return;
	}
	slot_score(s);
}

/* After the batch statement, or after one element when split. */
static void slot_after_close(struct xslot *s)
{
	if (s->split && s->single < s->nelems) {
		slot_close_batch(s);
		return;
	}
	if (s->nelems) {
		atomic_fetch_add(&batches_total, 1);
		int64_t now = util_now_us();
		log_json(LOG_INFO, json_pack("{s:s,s:i,s:i,s:i,s:i,s:I,s:I,s:I}", "msg", "auto-submit batch", "closed",
					     s->closed, "already", s->already, "changed", s->nchanged, "round",
					     s->round, "claim_ms", (json_int_t)((s->claimed_us - s->started_us) / 1000),
					     "score_ms", (json_int_t)((s->scored_us - s->claimed_us) / 1000),
					     "close_ms", (json_int_t)((now - s->scored_us) / 1000)));
	}
	char **bad = s->bad;
	int nbad = s->nbad;
	s->bad = NULL;
	s->nbad = 0;
	slot_reset_scored(s);
	if (s->nchanged && ++s->round < EXPIRY_MAX_ROUNDS) {
		/* An answer saved before the deadline + grace committed after the scoring input was read:
		 * score those attempts again. */
		char *arr = ids_array(s->changed, s->nchanged);
		strv_free(s->changed, s->nchanged);
		s->changed = NULL;
		s->nchanged = 0;
		const char *params[] = {arr};
		bool queued = arr && xquery(s, "SELECT id, input FROM examd_attempts_scoring_text($1::bigint[])", 1,
					    params, on_reread);
		free(arr);
		char **v = nbad ? realloc(s->carry, (size_t)(s->ncarry + nbad) * sizeof *v) : NULL;
		if (v) {
			s->carry = v;
			for (int i = 0; i < nbad; i++)
				s->carry[s->ncarry++] = bad[i];
			free(bad);
		} else {
			strv_free(bad, nbad); /* no memory: the lease brings them back */
		}
		if (!queued)
			slot_finish(s);
		return;
	}
	if (s->ncarry) {
		char **v = realloc(bad, (size_t)(nbad + s->ncarry) * sizeof *v);
		if (v) {
			bad = v;
			for (int i = 0; i < s->ncarry; i++)
				bad[nbad++] = s->carry[i];
			free(s->carry);
		} else {
			strv_free(s->carry, s->ncarry);
		}
		s->carry = NULL;
		s->ncarry = 0;
	}
	if (s->nchanged) { /* still changing after every round: park them with the failures */
		char **v = realloc(bad, (size_t)(nbad + s->nchanged) * sizeof *v);
		if (v) {
			bad = v;
			for (int i = 0; i < s->nchanged; i++)
				bad[nbad++] = s->changed[i];
			free(s->changed);
		} else {
			strv_free(s->changed, s->nchanged);
		}
		s->changed = NULL;
		s->nchanged = 0;
	}
	if (nbad) {
		slot_park(s, bad, nbad);
		return;
	}
	free(bad);
	slot_finish(s);
}

/* ------------------------------------------------------------------ claiming */

static void on_cells_flushed(const struct db_result *res, void *arg)
{
	struct xslot *s = arg;
	if (db_result_status(res) == DB_ERROR)
		log_warning("writing queued attempt cells failed: %s", db_result_message(res));
	slot_finish(s);
}

/* Nothing is due: write the statistics cells of recent closes (queued by the close, migration 0020). */
static void slot_flush_cells(struct xslot *s)
{
	if (!xquery(s, "SELECT examd_attempt_cells_flush(NULL, NULL, 500)", 0, NULL, on_cells_flushed))
		slot_finish(s);
}

static void on_claimed(const struct db_result *res, void *arg)
{
	struct xslot *s = arg;
	struct expiry *x = s->x;
	if (db_result_status(res) != DB_OK) {
		if (db_result_status(res) == DB_ERROR)
			log_warning("claiming due attempts failed: %s", db_result_message(res));
		s->full = false;
		slot_finish(s);
		return;
	}
	int n = db_result_rows(res);
	s->full = n >= atoi(x->batch);
	if (!n) {
		slot_flush_cells(s);
		return;
	}
	s->claimed_us = util_now_us();
	if (s->full && !x->stopping) /* more are due: put every idle slot to work */
		for (int i = 0; i < x->nslots; i++)
			if (!x->slots[i].busy)
				slot_claim(&x->slots[i]);
	if (!slot_take_rows(s, res)) {
		slot_reset_input(s);
		slot_finish(s);
		return;
	}
	slot_score(s);
}

static void slot_claim(struct xslot *s)
{
	struct expiry *x = s->x;
	s->busy = true;
	x->busy++;
	s->round = 0;
	s->closed = s->already = 0;
	s->started_us = util_now_us();
	const char *params[] = {x->grace, x->batch, x->lease, x->owner};
	if (!xquery(s, "SELECT id, input FROM examd_attempts_claim($1::int, $2::int, $3::int, $4)", 4, params,
		    on_claimed)) {
		s->full = false;
		slot_finish(s);
	}
}

static void slot_finish(struct xslot *s)
{
	struct expiry *x = s->x;
	strv_free(s->changed, s->nchanged);
	s->changed = NULL;
	s->nchanged = 0;
	strv_free(s->carry, s->ncarry);
	s->carry = NULL;
	s->ncarry = 0;
	s->busy = false;
	x->busy--;
	if (x->stopping)
		return;
	if (s->full) {
		s->full = false;
		slot_claim(s);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct expiry *x = arg;
	/* One probe per tick; a full batch wakes the other slots (on_claimed). */
	for (int i = 0; i < x->nslots; i++)
		if (!x->slots[i].busy) {
			slot_claim(&x->slots[i]);
			return;
		}
}

void *autosubmit_start(struct worker *w)
{
	const struct config *cfg = w->server->cfg;
	struct expiry *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->w = w;
	x->nslots = cfg->close_concurrency > 0 ? cfg->close_concurrency : 1;
	x->slots = calloc((size_t)x->nslots, sizeof *x->slots);
	x->timer = event_new(w->base, -1, EV_PERSIST, on_tick, x);
	x->db = db_pool_new(w->base, cfg->database_url, x->nslots + 1, 1000, cfg->db_prepare != 0);
	if (!x->slots || !x->timer || !x->db) {
		free(x->slots);
		if (x->timer)
			event_free(x->timer);
		db_pool_free(x->db);
		free(x);
		return NULL;
	}
	db_pool_set_timeout(x->db, cfg->db_timeout_ms);
	for (int i = 0; i < x->nslots; i++)
		x->slots[i].x = x;
	char host[64] = "";
	gethostname(host, sizeof host - 1);
	snprintf(x->owner, sizeof x->owner, "%s:%ld", host, (long)getpid());
	snprintf(x->grace, sizeof x->grace, "%d", cfg->grace_seconds);
	snprintf(x->batch, sizeof x->batch, "%d", cfg->close_batch);
	snprintf(x->lease, sizeof x->lease, "%d", cfg->close_lease_ms);
	struct timeval tv = {0, EXPIRY_TICK_MS * 1000};
	event_add(x->timer, &tv);
	return x;
}

void autosubmit_stop(void *handle)
{
	struct expiry *x = handle;
	if (!x)
		return;
	event_del(x->timer);
	x->stopping = true;
}

void autosubmit_free(void *handle)
{
	struct expiry *x = handle;
	if (!x)
		return;
	x->stopping = true;
	expiry_free(x); /* the pool's failed statements run their callbacks first; they start nothing new */
}
