/* The application's part of each worker: its database pool, its grouped saves (api/saves.c), the
 * parsed model versions (api/nowrules.c) and,
 * on worker 0 of every process, the background work: housekeeping every minute (expired sessions,
 * old login failures), the exam auto-submitter (api/expiry.c), the SEM refresher (api/stats.c) and
 * the process's revocation listener (api/trust.c). */
#include <event2/event.h>
#include <stdlib.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "api/trust.h"
#include "core/log.h"

/* Per-worker state: the saves of every worker; housekeeping and the auto-submitter on worker 0. */
struct background {
	struct event *housekeeping;
	void *autosubmit;
	void *stats;
	struct saves *saves;
	struct nowrules *now; /* the parsed model versions (api/nowrules.c) */
	struct worker *w;
};

static void on_housekeeping_done(const struct db_result *res, void *arg)
{
	if (db_result_status(res) == DB_ERROR)
		log_warning("housekeeping failed: %s", db_result_message(res));
}

static void on_housekeeping(evutil_socket_t fd, short what, void *arg)
{
	struct background *b = arg;
	if (!db_query(
		    b->w->db,
		    "WITH s AS (DELETE FROM sessions WHERE expires_at < now() OR last_seen < now() - interval '1 day')"
		    " DELETE FROM login_failures WHERE at < now() - interval '1 day'",
		    0, NULL, on_housekeeping_done, NULL))
		log_debug("housekeeping skipped: database unavailable");
}

void api_worker_start(struct server *s, struct worker *w)
{
	struct background *b = calloc(1, sizeof *b);
	if (!b)
		return;
	b->w = w;
	b->saves = saves_new(w, s->cfg->db_pool_size);
	b->now = nowrules_new();
	if (w->index == 0) {
		b->housekeeping = event_new(w->base, -1, EV_PERSIST, on_housekeeping, b);
		struct timeval tv = {60, 0};
		event_add(b->housekeeping, &tv);
		b->autosubmit = autosubmit_start(w);
		b->stats = stats_refresher_start(w);
		trust_start(s->cfg);
	}
	w->app = b;
}

struct saves *api_saves(struct req *r)
{
	struct background *b = r->worker->app;
	return b ? b->saves : NULL;
}

struct nowrules *api_nowrules(struct req *r)
{
	struct background *b = r->worker->app;
	return b ? b->now : NULL;
}

void api_worker_stop(struct server *s, struct worker *w)
{
	struct background *b = w->app;
	if (!b)
		return;
	if (b->housekeeping)
		event_free(b->housekeeping);
	b->housekeeping = NULL;
	autosubmit_stop(b->autosubmit);
	stats_refresher_stop(b->stats);
	b->stats = NULL;
}

bool api_worker_init(struct server *s, struct worker *w)
{
	const struct config *cfg = s->cfg;
	w->db = db_pool_new(w->base, cfg->database_url, cfg->db_pool_size, cfg->db_queue_max, cfg->db_prepare != 0);
	if (!w->db)
		return false;
	db_pool_set_timeout(w->db, cfg->db_timeout_ms);
	return true;
}

void api_worker_exit(struct server *s, struct worker *w)
{
	if (w->index == 0)
		trust_stop(); /* joins the listener thread: after the loops, never on one */
	/* Fails what is still queued or running; the callbacks find their requests orphaned. */
	db_pool_free(w->db);
	w->db = NULL;
	struct background *b = w->app;
	if (!b)
		return;
	saves_free(b->saves);
	nowrules_free(b->now);
	autosubmit_free(b->autosubmit);
	free(b);
	w->app = NULL;
}
