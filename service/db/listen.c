/* The LISTEN thread (see listen.h). It polls its socket with a short timeout so that a stop is
 * noticed quickly; the periodic probe and TCP keepalives (as the pool's connections have) notice a
 * server that vanished. */
#include "db/listen.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

#define LISTEN_POLL_MS 250

struct db_listener {
	pthread_t thread;
	atomic_bool stop;
	atomic_bool up;
	atomic_ulong connects, notifications;
	char *conninfo, *application_name;
	int retry_ms;
	struct db_listener_ops ops;
};

/* Sleeps ms in steps, returning early when asked to stop. */
static void pause_ms(struct db_listener *l, int ms)
{
	while (ms > 0 && !atomic_load(&l->stop)) {
		int step = ms < LISTEN_POLL_MS ? ms : LISTEN_POLL_MS;
		struct timespec ts = {step / 1000, (long)(step % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* Connects, listens and probes; on success returns the connection and has called on_up. */
static PGconn *listen_connect(struct db_listener *l, char *why, size_t whylen)
{
	static const char *const keys[] = {"fallback_application_name", "keepalives",       "keepalives_idle",
					   "keepalives_interval",       "keepalives_count", "tcp_user_timeout",
					   "connect_timeout",           "dbname",           NULL};
	const char *vals[] = {l->application_name, "1", "10", "5", "3", "30000", "3", l->conninfo, NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		snprintf(why, whylen, "%s", pg ? PQerrorMessage(pg) : "out of memory");
		PQfinish(pg);
		return NULL;
	}
	char *channel = PQescapeIdentifier(pg, l->ops.channel, strlen(l->ops.channel));
	char sql[160];
	snprintf(sql, sizeof sql, "LISTEN %s", channel ? channel : "\"\"");
	PQfreemem(channel);
	PGresult *res = PQexec(pg, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	res = ok ? PQexec(pg, l->ops.probe_sql) : NULL;
	ok = ok && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 1;
	if (!ok) {
		snprintf(why, whylen, "%s", PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
		return NULL;
	}
	if (!l->ops.on_up(PQgetvalue(res, 0, 0), l->ops.arg)) {
		snprintf(why, whylen, "the probe found the connection not listening (a transaction pooler?)");
		PQclear(res);
		PQfinish(pg);
		return NULL;
	}
	atomic_store(&l->up, true);
	atomic_fetch_add(&l->connects, 1);
	PQclear(res);
	return pg;
}

/* Hands over every notification read so far; false when the connection failed. */
static bool listen_drain(struct db_listener *l, PGconn *pg)
{
	if (!PQconsumeInput(pg))
		return false;
	PGnotify *n;
	while ((n = PQnotifies(pg)) != NULL) {
		atomic_fetch_add(&l->notifications, 1);
		l->ops.on_notify(n->extra, l->ops.arg);
		PQfreemem(n);
	}
	return PQstatus(pg) == CONNECTION_OK;
}

/* Runs the probe again; notifications that arrived before its reply are handed over first. false:
 * the connection failed, or the value says it is of no use (why says so then). */
static bool listen_recheck(struct db_listener *l, PGconn *pg, char *why, size_t whylen)
{
	PGresult *res = PQexec(pg, l->ops.probe_sql);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 1 &&
		  listen_drain(l, pg);
	if (ok && !l->ops.on_recheck(PQgetvalue(res, 0, 0), l->ops.arg)) {
		snprintf(why, whylen, "the probe found the connection not listening (a transaction pooler?)");
		ok = false;
	}
	PQclear(res);
	return ok && PQstatus(pg) == CONNECTION_OK;
}

static void *listen_main(void *arg)
{
	struct db_listener *l = arg;
	char why[512];
	bool reported = false; /* a failure to connect is logged once until the next success */
	while (!atomic_load(&l->stop)) {
		why[0] = '\0';
		PGconn *pg = listen_connect(l, why, sizeof why);
		if (!pg) {
			why[strcspn(why, "\n")] = '\0';
			if (!reported)
				log_warning("cannot listen for revocations (%s); saves are checked in the database,"
					    " trying again every %d ms",
					    why, l->retry_ms);
			reported = true;
			l->ops.on_down(why, l->ops.arg);
			pause_ms(l, l->retry_ms);
			continue;
		}
		reported = false;
		log_info("listening for revocations on channel %s", l->ops.channel);
		/* Notifications that came with the probe's reply are already read. */
		bool alive = listen_drain(l, pg);
		int idle_ms = 0;
		while (alive && !atomic_load(&l->stop)) {
			struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
			int k = poll(&p, 1, LISTEN_POLL_MS);
			if (k > 0)
				alive = listen_drain(l, pg);
			else if (k < 0)
				alive = false;
			idle_ms += LISTEN_POLL_MS; /* roughly: the recheck needs no precision */
			if (alive && idle_ms >= DB_LISTEN_RECHECK_MS) {
				idle_ms = 0;
				alive = listen_recheck(l, pg, why, sizeof why);
			}
		}
		atomic_store(&l->up, false);
		if (!atomic_load(&l->stop)) {
			if (!why[0])
				snprintf(why, sizeof why, "%s", PQerrorMessage(pg));
			why[strcspn(why, "\n")] = '\0';
			log_warning("the revocation listener lost its connection (%s); saves are checked in the "
				    "database until it is back",
				    why[0] ? why : "closed");
			l->ops.on_down(why, l->ops.arg);
			PQfinish(pg);
			pause_ms(l, l->retry_ms);
		} else {
			PQfinish(pg);
		}
	}
	return NULL;
}

struct db_listener *db_listener_start(const char *conninfo, const char *application_name, int retry_ms,
				      const struct db_listener_ops *ops)
{
	struct db_listener *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->conninfo = strdup(conninfo);
	l->application_name = strdup(application_name);
	l->retry_ms = retry_ms;
	l->ops = *ops;
	atomic_init(&l->stop, false);
	atomic_init(&l->up, false);
	if (!l->conninfo || !l->application_name || pthread_create(&l->thread, NULL, listen_main, l) != 0) {
		free(l->conninfo);
		free(l->application_name);
		free(l);
		return NULL;
	}
	return l;
}

void db_listener_stop(struct db_listener *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	free(l->conninfo);
	free(l->application_name);
	free(l);
}

void db_listener_get_stats(struct db_listener *l, struct db_listener_stats *out)
{
	out->up = atomic_load(&l->up);
	out->connects = atomic_load(&l->connects);
	out->notifications = atomic_load(&l->notifications);
}
