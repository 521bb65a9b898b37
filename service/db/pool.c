/* A per-worker pool of non-blocking libpq connections driven by the worker's event loop.
 * Every libpq call here is non-blocking: connections start with PQconnectStartParams and
 * advance with PQconnectPoll; statements go out with PQsendQueryParams (or, once prepared on
 * the connection, PQsendQueryPrepared) and PQflush. */
#include "db/pool.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000
#define CONNECT_TIMEOUT_MS 5000
/* Statements prepared per connection, and invalidations after which a connection stops preparing
 * (a pooler in transaction mode that moves it between server connections). */
#define PREP_MAX 64
#define PREP_MAX_RESETS 3

struct db_result {
	enum db_status status;
	PGresult *pg;
	const char *message;
	bool kept;   /* the callback took pg (db_result_keep): the pool does not clear it */
	char *owned; /* a kept result's copy of message */
};

struct query {
	TAILQ_ENTRY(query) link;
	db_callback cb;
	void *arg;
	int nparams;
	char *sql;
	char **params;
	bool prepared;     /* sent by name */
	bool retried;      /* sent again unprepared after the name failed */
	int64_t queued_us; /* when it was queued (monotonic) */
	const char *why;   /* failed: the reason, delivered on a later loop turn */
};
TAILQ_HEAD(query_list, query);

/* A connection being started on the connector thread. */
struct start {
	TAILQ_ENTRY(start) link;      /* in the connector's queue */
	TAILQ_ENTRY(start) pool_link; /* in its pool's list until it comes back */
	struct db_pool *pool;
	struct conn *c;
	const char *conninfo;
	PGconn *pg;
	struct event *done_ev;
	bool abandoned; /* the pool gave up on it (timeout, shutdown): drop it when it comes back */
	bool taken;     /* the thread is working on it */
	bool done;      /* the thread is finished with it */
};

TAILQ_HEAD(start_list, start);

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY };

struct conn {
	struct db_pool *pool;
	int index;
	enum conn_state state;
	PGconn *pg;
	int fd;
	short armed; /* events the socket event waits for */
	struct event *sock_ev;
	struct event *backoff;       /* waits before reconnecting */
	struct event *connect_timer; /* bounds a connection attempt */
	struct event *stmt_timer;    /* bounds a statement: a server that stops answering */
	struct start *start;         /* the connection being started on the connector thread */
	int backoff_ms;
	struct query *current;
	PGresult *result; /* the result to deliver (the first error, else the last one) */
	/* Prepared statements: names examd_<pid>_<uid>_<gen>_<index>, unique per process and
	 * connection so that no two client connections ever mean different SQL by one name. */
	unsigned uid, gen;
	int nprep, preparing; /* preparing: index + 1 of the statement being prepared, else 0 */
	int resets;
	struct {
		uint64_t hash;
		char *sql;
	} preps[PREP_MAX];
	uint64_t preparing_hash;
};

struct db_pool {
	struct event_base *base;
	char *conninfo;
	int size;
	long queue_max;
	int timeout_ms; /* statement and queue-wait bound; 0 = none */
	struct conn *conns;
	struct query_list queue;
	struct query_list failed; /* failed statements whose callbacks run on the next loop turn */
	struct event *failed_ev;
	struct event *sweep;      /* fails statements that waited in the queue too long */
	struct start_list starts; /* starts out on the connector thread */
	_Atomic long queued;
	_Atomic int connected;
	_Atomic int connecting;
	_Atomic int busy;
	_Atomic uint64_t queries, failures, reconnects, timeouts;
	_Atomic uint64_t prepared, prepare_resets;
	bool closing;
	bool prepare;
};

static _Atomic unsigned next_conn_uid;

static uint64_t sql_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void prep_name(const struct conn *c, int index, char *out, size_t len)
{
	snprintf(out, len, "examd_%d_%u_%u_%d", (int)getpid(), c->uid, c->gen, index);
}

static int prep_find(const struct conn *c, const char *sql, uint64_t hash)
{
	for (int i = 0; i < c->nprep; i++)
		if (c->preps[i].hash == hash && !strcmp(c->preps[i].sql, sql))
			return i;
	return -1;
}

/* Forgets the connection's statements (new names from now on; a new server connection has none). */
static void prep_forget(struct conn *c)
{
	for (int i = 0; i < c->nprep; i++)
		free(c->preps[i].sql);
	c->nprep = 0;
	c->preparing = 0;
	c->gen++;
}

static void conn_start(struct conn *c);
static void conn_lost(struct conn *c, const char *why);
static void conn_dispatch(struct db_pool *pool);
static void conn_on_socket(evutil_socket_t fd, short what, void *arg);

static void conn_set_state(struct conn *c, enum conn_state state)
{
	struct db_pool *pool = c->pool;
	bool was_up = c->state == CONN_IDLE || c->state == CONN_BUSY;
	bool is_up = state == CONN_IDLE || state == CONN_BUSY;
	if (was_up && !is_up)
		atomic_fetch_sub(&pool->connected, 1);
	if (!was_up && is_up)
		atomic_fetch_add(&pool->connected, 1);
	if (c->state == CONN_CONNECTING && state != CONN_CONNECTING)
		atomic_fetch_sub(&pool->connecting, 1);
	if (c->state != CONN_CONNECTING && state == CONN_CONNECTING)
		atomic_fetch_add(&pool->connecting, 1);
	if (c->state == CONN_BUSY && state != CONN_BUSY)
		atomic_fetch_sub(&pool->busy, 1);
	if (c->state != CONN_BUSY && state == CONN_BUSY)
		atomic_fetch_add(&pool->busy, 1);
	c->state = state;
}

/* Waits on the connection's (possibly new) socket for the given events. */
static void conn_arm(struct conn *c, short what)
{
	int fd = PQsocket(c->pg);
	if (c->sock_ev && c->fd == fd && c->armed == what)
		return;
	if (c->sock_ev) {
		event_free(c->sock_ev);
		c->sock_ev = NULL;
	}
	c->fd = fd;
	c->armed = what;
	if (fd < 0)
		return;
	c->sock_ev = event_new(c->pool->base, fd, what | EV_PERSIST, conn_on_socket, c);
	if (!c->sock_ev || event_add(c->sock_ev, NULL) != 0) {
		/* A connection nobody waits on is useless: drop it (a reconnect follows the back-off). */
		if (c->sock_ev) {
			event_free(c->sock_ev);
			c->sock_ev = NULL;
		}
		conn_lost(c, "out of memory");
	}
}

static void query_free(struct query *q)
{
	if (!q)
		return;
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q);
}

/* Runs q's callback; true when the callback kept pg (db_result_keep). */
static bool query_finish(struct query *q, enum db_status status, PGresult *pg, const char *message)
{
	struct db_result res = {.status = status, .pg = pg, .message = message ? message : ""};
	q->cb(&res, q->arg);
	query_free(q);
	return res.kept;
}

struct db_result *db_result_keep(const struct db_result *res)
{
	struct db_result *copy = calloc(1, sizeof *copy);
	if (!copy)
		return NULL;
	copy->status = res->status;
	copy->owned = strdup(res->message ? res->message : "");
	if (!copy->owned) {
		free(copy);
		return NULL;
	}
	copy->message = copy->owned;
	copy->pg = res->pg;
	((struct db_result *)res)->kept = true; /* the pool hands pg over instead of clearing it */
	return copy;
}

void db_result_free(struct db_result *res)
{
	if (!res)
		return;
	if (res->pg)
		PQclear(res->pg);
	free(res->owned);
	free(res);
}

/* Fails q on a later loop turn: a callback never runs on the stack of db_query's caller. */
static void query_fail(struct db_pool *pool, struct query *q, const char *why)
{
	atomic_fetch_add(&pool->failures, 1);
	q->why = why;
	TAILQ_INSERT_TAIL(&pool->failed, q, link);
	event_active(pool->failed_ev, EV_TIMEOUT, 1);
}

static void deliver_failed(struct db_pool *pool)
{
	struct query *q;
	while ((q = TAILQ_FIRST(&pool->failed)) != NULL) {
		TAILQ_REMOVE(&pool->failed, q, link);
		query_finish(q, DB_UNAVAILABLE, NULL, q->why);
	}
}

static void on_failed(evutil_socket_t fd, short what, void *arg)
{
	deliver_failed(arg);
}

static void fail_queue(struct db_pool *pool, const char *why)
{
	struct query *q;
	while ((q = TAILQ_FIRST(&pool->queue)) != NULL) {
		TAILQ_REMOVE(&pool->queue, q, link);
		atomic_fetch_sub(&pool->queued, 1);
		query_fail(pool, q, why);
	}
}

/* Statements that waited in the queue longer than the timeout fail (503), oldest first. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;
	int64_t limit = util_monotonic_us() - (int64_t)pool->timeout_ms * 1000;
	struct query *q;
	while ((q = TAILQ_FIRST(&pool->queue)) != NULL && q->queued_us < limit) {
		TAILQ_REMOVE(&pool->queue, q, link);
		atomic_fetch_sub(&pool->queued, 1);
		atomic_fetch_add(&pool->timeouts, 1);
		query_fail(pool, q, "timed out waiting for a database connection");
	}
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	conn_start(c);
}

/* Drops the connection, fails its statement and schedules a reconnect. */
static void conn_lost(struct conn *c, const char *why)
{
	struct db_pool *pool = c->pool;
	bool was_up = c->state == CONN_IDLE || c->state == CONN_BUSY;
	if (c->sock_ev) {
		event_free(c->sock_ev); /* event_del before PQfinish */
		c->sock_ev = NULL;
	}
	evtimer_del(c->connect_timer);
	evtimer_del(c->stmt_timer);
	if (c->start) {
		/* Still being started on the connector thread: it comes back and is dropped there. */
		c->start->abandoned = true;
		c->start = NULL;
	}
	if (c->pg) {
		if (was_up)
			log_warning("database connection %d lost: %s", c->index, why);
		PQfinish(c->pg);
		c->pg = NULL;
	}
	if (c->result) {
		PQclear(c->result);
		c->result = NULL;
	}
	prep_forget(c);
	conn_set_state(c, CONN_DOWN);
	struct query *q = c->current;
	c->current = NULL;
	if (q)
		query_fail(pool, q, why);
	/* Queued statements wait for a connection that is being made, not for a back-off. */
	if (atomic_load(&pool->connected) == 0 && atomic_load(&pool->connecting) == 0)
		fail_queue(pool, "database unavailable");
	if (pool->closing)
		return;
	struct timeval tv = {c->backoff_ms / 1000, (c->backoff_ms % 1000) * 1000};
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	evtimer_add(c->backoff, &tv);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	conn_lost(arg, "connect timeout");
}

/* The server has not answered a statement within the timeout: the connection is given up (its
 * statement answers 503) and made anew, so a server or network that stopped answering without a
 * reset costs at most the timeout, never hours. */
static void on_stmt_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (c->state != CONN_BUSY)
		return;
	atomic_fetch_add(&c->pool->timeouts, 1);
	log_warning("database connection %d: no answer within %d ms; reconnecting", c->index, c->pool->timeout_ms);
	conn_lost(c, "the database did not answer in time");
}

static void conn_poll_connect(struct conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		conn_arm(c, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		conn_arm(c, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		evtimer_del(c->connect_timer);
		if (PQsetnonblocking(c->pg, 1) != 0) {
			conn_lost(c, "cannot set non-blocking mode");
			return;
		}
		if (c->backoff_ms > BACKOFF_MIN_MS)
			log_info("database connection %d established", c->index);
		c->backoff_ms = BACKOFF_MIN_MS;
		conn_set_state(c, CONN_IDLE);
		conn_arm(c, EV_READ); /* notice a server that goes away while idle */
		conn_dispatch(c->pool);
		return;
	default: {
		char why[256];
		snprintf(why, sizeof why, "%s", PQerrorMessage(c->pg));
		why[strcspn(why, "\n")] = '\0';
		conn_lost(c, why);
		return;
	}
	}
}

static void notice_sink(void *arg, const char *message)
{
	log_debug("database notice: %s", message);
}

/* ---- the connector thread ----
 * PQconnectStartParams may block: it resolves the host name (getaddrinfo) and reads the password
 * and service files. It runs on one process-wide thread; the new PGconn comes back to the pool's
 * loop through an event created on that loop, and is polled there without blocking. */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond, finished;
	TAILQ_HEAD(, start) queue;
	pthread_once_t once;
	bool running;
} connector = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	       PTHREAD_COND_INITIALIZER,  TAILQ_HEAD_INITIALIZER(connector.queue),
	       PTHREAD_ONCE_INIT,         false};

/* Default TCP options, before the user's connection string (which may override them): a server
 * that vanishes without a reset is noticed in about half a minute, not after the kernel's 2 hours. */
static const char *const start_keys[] = {
	"fallback_application_name", "keepalives",       "keepalives_idle", "keepalives_interval",
	"keepalives_count",          "tcp_user_timeout", "dbname",          NULL};

static void *connector_main(void *arg)
{
	for (;;) {
		pthread_mutex_lock(&connector.lock);
		while (TAILQ_EMPTY(&connector.queue))
			pthread_cond_wait(&connector.cond, &connector.lock);
		struct start *st = TAILQ_FIRST(&connector.queue);
		TAILQ_REMOVE(&connector.queue, st, link);
		st->taken = true;
		pthread_mutex_unlock(&connector.lock);
		const char *vals[] = {"examd", "1", "10", "5", "3", "30000", st->conninfo, NULL};
		PGconn *pg = PQconnectStartParams(start_keys, vals, 1);
		pthread_mutex_lock(&connector.lock);
		st->pg = pg;
		st->done = true;
		/* From here the start belongs to its loop (or to db_pool_free, waiting below). */
		event_active(st->done_ev, EV_TIMEOUT, 1);
		pthread_cond_broadcast(&connector.finished);
		pthread_mutex_unlock(&connector.lock);
	}
	return NULL;
}

static void connector_spawn(void)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	connector.running = pthread_create(&t, &attr, connector_main, NULL) == 0;
	pthread_attr_destroy(&attr);
	if (!connector.running)
		log_error("cannot start the database connector thread; connecting on the event loop");
}

static void conn_started(struct conn *c, PGconn *pg);

static void on_started(evutil_socket_t fd, short what, void *arg)
{
	struct start *st = arg;
	event_free(st->done_ev);
	TAILQ_REMOVE(&st->pool->starts, st, pool_link);
	if (st->abandoned) {
		if (st->pg)
			PQfinish(st->pg);
		free(st);
		return;
	}
	struct conn *c = st->c;
	PGconn *pg = st->pg;
	c->start = NULL;
	free(st);
	conn_started(c, pg);
}

static void conn_start(struct conn *c)
{
	struct db_pool *pool = c->pool;
	atomic_fetch_add(&pool->reconnects, 1);
	conn_set_state(c, CONN_CONNECTING);
	c->fd = -1;
	struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, 0};
	evtimer_add(c->connect_timer, &tv);
	pthread_once(&connector.once, connector_spawn);
	struct start *st = connector.running ? calloc(1, sizeof *st) : NULL;
	if (st)
		st->done_ev = event_new(pool->base, -1, 0, on_started, st);
	if (!st || !st->done_ev) {
		free(st);
		const char *vals[] = {"examd", "1", "10", "5", "3", "30000", pool->conninfo, NULL};
		conn_started(c, PQconnectStartParams(start_keys, vals, 1));
		return;
	}
	st->c = c;
	st->pool = pool;
	st->conninfo = pool->conninfo;
	c->start = st;
	TAILQ_INSERT_TAIL(&pool->starts, st, pool_link);
	pthread_mutex_lock(&connector.lock);
	TAILQ_INSERT_TAIL(&connector.queue, st, link);
	pthread_cond_signal(&connector.cond);
	pthread_mutex_unlock(&connector.lock);
}

/* Before a pool is freed: no start of its may still be on the connector thread. */
static void connector_forget(struct db_pool *pool)
{
	pthread_mutex_lock(&connector.lock);
	struct start *st;
	while ((st = TAILQ_FIRST(&pool->starts)) != NULL) {
		TAILQ_REMOVE(&pool->starts, st, pool_link);
		if (!st->abandoned)
			st->c->start = NULL;
		if (!st->taken) {
			TAILQ_REMOVE(&connector.queue, st, link);
		} else {
			while (!st->done)
				pthread_cond_wait(&connector.finished, &connector.lock);
			if (st->pg)
				PQfinish(st->pg);
		}
		event_free(st->done_ev);
		free(st);
	}
	pthread_mutex_unlock(&connector.lock);
}

static void conn_started(struct conn *c, PGconn *pg)
{
	c->pg = pg;
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		char why[256];
		snprintf(why, sizeof why, "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		conn_lost(c, why);
		return;
	}
	PQsetNoticeProcessor(c->pg, notice_sink, NULL);
	conn_arm(c, EV_WRITE);
}

static bool conn_prepared_step(struct conn *c);

static void conn_deliver(struct conn *c)
{
	if ((c->preparing || c->current->prepared) && PQstatus(c->pg) != CONNECTION_BAD && conn_prepared_step(c))
		return;
	struct query *q = c->current;
	PGresult *pg = c->result;
	c->current = NULL;
	c->result = NULL;
	evtimer_del(c->stmt_timer);
	conn_set_state(c, CONN_IDLE);
	conn_arm(c, EV_READ);
	enum db_status status = DB_OK;
	const char *message = "";
	ExecStatusType st = pg ? PQresultStatus(pg) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = pg ? PQresultErrorField(pg, PG_DIAG_SQLSTATE) : NULL;
		message = pg ? PQresultErrorMessage(pg) : "no result";
		/* Class 08 (connection), 57 (operator intervention: shutdown, timeouts) and
		 * 53 (insufficient resources) are outages, not the statement's fault. */
		if (!state || !strncmp(state, "08", 2) || !strncmp(state, "57", 2) || !strncmp(state, "53", 2))
			status = DB_UNAVAILABLE;
		else
			status = DB_ERROR;
		atomic_fetch_add(&c->pool->failures, 1);
	}
	bool kept = query_finish(q, status, pg, message);
	if (pg && !kept)
		PQclear(pg);
	if (PQstatus(c->pg) == CONNECTION_BAD)
		conn_lost(c, "connection closed");
	else
		conn_dispatch(c->pool);
}

static void conn_flush(struct conn *c)
{
	int r = PQflush(c->pg);
	if (r < 0)
		conn_lost(c, PQerrorMessage(c->pg));
	else
		conn_arm(c, r == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void conn_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (c->state == CONN_CONNECTING) {
		conn_poll_connect(c);
		return;
	}
	if (c->state == CONN_IDLE) {
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD)
			conn_lost(c, "server closed the connection");
		return;
	}
	if (c->state != CONN_BUSY)
		return;
	if (what & EV_WRITE) {
		conn_flush(c);
		if (c->state != CONN_BUSY)
			return;
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(c->pg)) {
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	if (c->armed & EV_WRITE) {
		conn_flush(c);
		if (c->state != CONN_BUSY)
			return;
	}
	while (!PQisBusy(c->pg)) {
		PGresult *r = PQgetResult(c->pg);
		if (!r) {
			conn_deliver(c);
			return;
		}
		bool keep_old = c->result && PQresultStatus(c->result) == PGRES_FATAL_ERROR;
		if (keep_old) {
			PQclear(r);
		} else {
			if (c->result)
				PQclear(c->result);
			c->result = r;
		}
	}
}

static void conn_send(struct conn *c, struct query *q)
{
	c->current = q;
	conn_set_state(c, CONN_BUSY);
	if (c->pool->timeout_ms > 0) {
		struct timeval tv = {c->pool->timeout_ms / 1000, (c->pool->timeout_ms % 1000) * 1000};
		evtimer_add(c->stmt_timer, &tv);
	}
	atomic_fetch_add(&c->pool->queries, 1);
	const char *const *params = (const char *const *)q->params;
	char name[64];
	int ok;
	q->prepared = false;
	if (c->pool->prepare && c->resets < PREP_MAX_RESETS && !q->retried && strlen(q->sql) <= DB_PREPARE_MAX_SQL) {
		uint64_t hash = sql_hash(q->sql);
		int index = prep_find(c, q->sql, hash);
		if (index >= 0) {
			prep_name(c, index, name, sizeof name);
			q->prepared = true;
			atomic_fetch_add(&c->pool->prepared, 1);
			ok = PQsendQueryPrepared(c->pg, name, q->nparams, params, NULL, NULL, 0);
		} else if (c->nprep < PREP_MAX) {
			/* Prepared first; conn_prepared_step then executes it by name. */
			prep_name(c, c->nprep, name, sizeof name);
			c->preparing = c->nprep + 1;
			c->preparing_hash = hash;
			ok = PQsendPrepare(c->pg, name, q->sql, q->nparams, NULL);
		} else {
			ok = PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, params, NULL, NULL, 0);
		}
	} else {
		ok = PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, params, NULL, NULL, 0);
	}
	if (!ok) {
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	conn_flush(c);
}

/* Called when a prepare or a prepared execution has completed. Returns true when the statement
 * went out again (executed by name after its prepare, or retried unprepared), false when
 * conn_deliver should deliver the result as it is. */
static bool conn_prepared_step(struct conn *c)
{
	struct query *q = c->current;
	PGresult *pg = c->result;
	const char *state = pg ? PQresultErrorField(pg, PG_DIAG_SQLSTATE) : NULL;
	if (c->preparing) {
		int index = c->preparing - 1;
		c->preparing = 0;
		if (pg && PQresultStatus(pg) == PGRES_COMMAND_OK && (c->preps[index].sql = strdup(q->sql)) != NULL) {
			c->preps[index].hash = c->preparing_hash;
			c->nprep = index + 1;
			PQclear(pg);
			c->result = NULL;
			char name[64];
			prep_name(c, index, name, sizeof name);
			q->prepared = true;
			atomic_fetch_add(&c->pool->prepared, 1);
			if (!PQsendQueryPrepared(c->pg, name, q->nparams, (const char *const *)q->params, NULL, NULL,
						 0))
				conn_lost(c, PQerrorMessage(c->pg));
			else
				conn_flush(c);
			return true;
		}
		if (!state || !strncmp(state, "08", 2))
			return false; /* the connection is going: deliver as it is */
		/* The name is taken (42P05: a pooler's server connection) or the statement is wrong:
		 * run it unprepared, which reports a wrong statement's own error. */
		if (!strcmp(state, "42P05")) {
			c->resets++;
			atomic_fetch_add(&c->pool->prepare_resets, 1);
			prep_forget(c);
		}
	} else if (q->prepared && state && (!strcmp(state, "26000") || !strcmp(state, "0A000"))) {
		/* An unknown name (a pooler moved us) or a plan made stale by a schema change. */
		c->resets++;
		atomic_fetch_add(&c->pool->prepare_resets, 1);
		prep_forget(c);
		if (c->resets == PREP_MAX_RESETS)
			log_warning("database connection %d: prepared statements keep disappearing (a pooler in "
				    "transaction mode?); it stops preparing; see EXAMD_DB_PREPARE",
				    c->index);
	} else {
		return false;
	}
	if (pg)
		PQclear(pg);
	c->result = NULL;
	q->retried = true;
	atomic_fetch_sub(&c->pool->queries, 1);
	conn_send(c, q);
	return true;
}

static void conn_dispatch(struct db_pool *pool)
{
	for (int i = 0; i < pool->size && !TAILQ_EMPTY(&pool->queue); i++) {
		struct conn *c = &pool->conns[i];
		if (c->state != CONN_IDLE)
			continue;
		struct query *q = TAILQ_FIRST(&pool->queue);
		TAILQ_REMOVE(&pool->queue, q, link);
		atomic_fetch_sub(&pool->queued, 1);
		conn_send(c, q);
	}
}

struct db_pool *db_pool_new(struct event_base *base, const char *conninfo, int size, int queue_max, bool prepare)
{
	struct db_pool *pool = calloc(1, sizeof *pool);
	if (!pool)
		return NULL;
	pool->base = base;
	pool->conninfo = strdup(conninfo);
	pool->size = size;
	pool->queue_max = queue_max;
	pool->prepare = prepare;
	pool->conns = calloc((size_t)size, sizeof *pool->conns);
	TAILQ_INIT(&pool->queue);
	TAILQ_INIT(&pool->failed);
	TAILQ_INIT(&pool->starts);
	pool->failed_ev = event_new(base, -1, 0, on_failed, pool);
	pool->sweep = event_new(base, -1, EV_PERSIST, on_sweep, pool);
	bool ok = pool->conninfo && pool->conns && pool->failed_ev && pool->sweep;
	for (int i = 0; ok && i < size; i++) {
		struct conn *c = &pool->conns[i];
		c->pool = pool;
		c->index = i;
		c->fd = -1;
		c->backoff_ms = BACKOFF_MIN_MS;
		c->uid = atomic_fetch_add(&next_conn_uid, 1);
		c->backoff = evtimer_new(base, on_backoff, c);
		c->connect_timer = evtimer_new(base, on_connect_timeout, c);
		c->stmt_timer = evtimer_new(base, on_stmt_timeout, c);
		ok = c->backoff && c->connect_timer && c->stmt_timer;
	}
	if (!ok) {
		for (int i = 0; pool->conns && i < size; i++) {
			struct conn *c = &pool->conns[i];
			if (c->backoff)
				event_free(c->backoff);
			if (c->connect_timer)
				event_free(c->connect_timer);
			if (c->stmt_timer)
				event_free(c->stmt_timer);
		}
		if (pool->failed_ev)
			event_free(pool->failed_ev);
		if (pool->sweep)
			event_free(pool->sweep);
		free(pool->conninfo);
		free(pool->conns);
		free(pool);
		return NULL;
	}
	for (int i = 0; i < size; i++)
		conn_start(&pool->conns[i]);
	return pool;
}

void db_pool_set_timeout(struct db_pool *pool, int timeout_ms)
{
	pool->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	evtimer_del(pool->sweep);
	if (pool->timeout_ms > 0) {
		int period = pool->timeout_ms < 4000 ? pool->timeout_ms / 4 + 1 : 1000;
		struct timeval tv = {period / 1000, (period % 1000) * 1000};
		evtimer_add(pool->sweep, &tv);
	}
}

void db_pool_free(struct db_pool *pool)
{
	if (!pool)
		return;
	pool->closing = true;
	connector_forget(pool);
	for (int i = 0; i < pool->size; i++) {
		struct conn *c = &pool->conns[i];
		conn_lost(c, "shutting down");
		event_free(c->backoff);
		event_free(c->connect_timer);
		event_free(c->stmt_timer);
	}
	fail_queue(pool, "shutting down");
	/* At shutdown the callbacks run here: the loop has stopped. */
	deliver_failed(pool);
	event_free(pool->failed_ev);
	event_free(pool->sweep);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

bool db_pool_connected(const struct db_pool *pool)
{
	return atomic_load(&((struct db_pool *)pool)->connected) > 0;
}

void db_pool_get_stats(const struct db_pool *pool, struct db_pool_stats *out)
{
	struct db_pool *p = (struct db_pool *)pool;
	out->size = p->size;
	out->connected = atomic_load(&p->connected);
	out->busy = atomic_load(&p->busy);
	out->queued = atomic_load(&p->queued);
	out->queries = atomic_load(&p->queries);
	out->failures = atomic_load(&p->failures);
	out->reconnects = atomic_load(&p->reconnects);
	out->prepared = atomic_load(&p->prepared);
	out->prepare_resets = atomic_load(&p->prepare_resets);
	out->timeouts = atomic_load(&p->timeouts);
}

bool db_query(struct db_pool *pool, const char *sql, int nparams, const char *const *params, db_callback cb, void *arg)
{
	if (pool->closing || atomic_load(&pool->queued) >= pool->queue_max)
		return false;
	if (atomic_load(&pool->connected) == 0 && atomic_load(&pool->connecting) == 0)
		return false;
	struct query *q = calloc(1, sizeof *q);
	if (!q)
		return false;
	q->cb = cb;
	q->arg = arg;
	q->nparams = nparams;
	q->sql = strdup(sql);
	q->params = nparams ? calloc((size_t)nparams, sizeof *q->params) : NULL;
	bool ok = q->sql && (nparams == 0 || q->params);
	for (int i = 0; ok && i < nparams; i++)
		if (params[i] && !(q->params[i] = strdup(params[i])))
			ok = false;
	if (!ok) {
		query_free(q);
		return false;
	}
	q->queued_us = util_monotonic_us();
	TAILQ_INSERT_TAIL(&pool->queue, q, link);
	atomic_fetch_add(&pool->queued, 1);
	conn_dispatch(pool);
	return true;
}

enum db_status db_result_status(const struct db_result *res)
{
	return res->status;
}

const char *db_result_sqlstate(const struct db_result *res)
{
	const char *s = res->pg ? PQresultErrorField(res->pg, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

const char *db_result_message(const struct db_result *res)
{
	if (res->pg) {
		const char *m = PQresultErrorField(res->pg, PG_DIAG_MESSAGE_PRIMARY);
		if (m)
			return m;
	}
	return res->message;
}

int db_result_rows(const struct db_result *res)
{
	return res->pg ? PQntuples(res->pg) : 0;
}
int db_result_cols(const struct db_result *res)
{
	return res->pg ? PQnfields(res->pg) : 0;
}

bool db_result_isnull(const struct db_result *res, int row, int col)
{
	if (!res->pg || row >= PQntuples(res->pg) || col >= PQnfields(res->pg))
		return true;
	return PQgetisnull(res->pg, row, col);
}

const char *db_result_value(const struct db_result *res, int row, int col)
{
	if (db_result_isnull(res, row, col))
		return "";
	return PQgetvalue(res->pg, row, col);
}

int db_result_length(const struct db_result *res, int row, int col)
{
	if (db_result_isnull(res, row, col))
		return 0;
	return PQgetlength(res->pg, row, col);
}

long db_result_long(const struct db_result *res, int row, int col)
{
	return strtol(db_result_value(res, row, col), NULL, 10);
}
