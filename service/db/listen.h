/* A PostgreSQL LISTEN connection on a thread of its own (blocking libpq there; never on a loop
 * thread): it listens on one channel, reads one value with a probe statement each time it has
 * connected, and hands every notification to a callback, on its thread, in the order PostgreSQL
 * delivers them (commit order). A lost connection is reported and made again after a pause. */
#ifndef EXAMD_DB_LISTEN_H
#define EXAMD_DB_LISTEN_H

#include <stdbool.h>

struct db_listener;

#define DB_LISTEN_RECHECK_MS 2000

struct db_listener_ops {
	const char *channel;   /* a plain identifier, quoted by the listener */
	const char *probe_sql; /* run after LISTEN; its first value goes to on_up */
	/* Connected and listening: value is the probe's result ("" for NULL). false: the value says the
	 * connection is of no use; it is closed and made again after the pause. */
	bool (*on_up)(const char *value, void *arg);
	/* Not listening any more (the connection failed or was lost); notifications may be missed
	 * from here until the next on_up. */
	void (*on_down)(const char *why, void *arg);
	void (*on_notify)(const char *payload, void *arg);
	/* The probe's result again, every DB_LISTEN_RECHECK_MS while connected (after the
	 * notifications read before it were handed over). */
	bool (*on_recheck)(const char *value, void *arg);
	void *arg;
};

/* Starts the thread; application_name is the connection's fallback name (pg_stat_activity).
 * retry_ms: the pause before connecting again. NULL when the thread cannot start. */
struct db_listener *db_listener_start(const char *conninfo, const char *application_name, int retry_ms,
				      const struct db_listener_ops *ops);
/* Stops the thread (within about a quarter of a second) and frees the listener; NULL is ignored. */
void db_listener_stop(struct db_listener *l);

struct db_listener_stats {
	bool up;
	unsigned long connects, notifications;
};
void db_listener_get_stats(struct db_listener *l, struct db_listener_stats *out);

#endif
