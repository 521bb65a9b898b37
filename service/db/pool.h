/* A per-worker pool of non-blocking libpq connections driven by the worker's event loop. */
#ifndef EXAMD_DB_POOL_H
#define EXAMD_DB_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

struct event_base;
struct db_pool;
struct db_result;

enum db_status {
	DB_OK,          /* the statement succeeded */
	DB_UNAVAILABLE, /* no connection, connection lost, timeout, server shutting down: answer 503 */
	DB_ERROR,       /* the statement failed; see db_result_sqlstate */
};

typedef void (*db_callback)(const struct db_result *res, void *arg);

struct db_pool_stats {
	int size, connected, busy;
	long queued;
	uint64_t queries, failures, reconnects;
	uint64_t prepared, prepare_resets; /* executions by name; statements forgotten */
	uint64_t timeouts;                 /* statements given up: no answer, or waited too long */
};

/* prepare: statements of at most DB_PREPARE_MAX_SQL bytes are prepared once per connection (on
 * first use) and then executed by name; longer, analytic ones are planned per call with their
 * actual parameters. A prepared execution that fails because the statement is unknown to the
 * server (a pooler that switched server connections) or its cached plan went stale (a migration)
 * is retried once unprepared, and the connection forgets its statements. */
#define DB_PREPARE_MAX_SQL 600
struct db_pool *db_pool_new(struct event_base *base, const char *conninfo, int size, int queue_max, bool prepare);
/* Bounds how long a statement may run, and wait in the queue, before it fails with DB_UNAVAILABLE
 * (a running one's connection is then dropped and made anew). 0: no bound. */
void db_pool_set_timeout(struct db_pool *pool, int timeout_ms);
/* Fails every queued and in-flight query with DB_UNAVAILABLE and closes the connections; their
 * callbacks run before this returns (the loop has stopped). */
void db_pool_free(struct db_pool *pool);
bool db_pool_connected(const struct db_pool *pool);
void db_pool_get_stats(const struct db_pool *pool, struct db_pool_stats *out);

/* Queues one parameterised statement; params are copied (NULL = SQL NULL).
 * cb runs later on the loop (never before this returns), exactly once, unless this returns false
 * (no live connection or the queue is full), in which case it never runs. */
bool db_query(struct db_pool *pool, const char *sql, int nparams, const char *const *params, db_callback cb,
	      void *arg) MUST_CHECK;

/* Takes a result out of its callback (call it there): the copy stays valid after the callback
 * returns, until db_result_free, and may be read on another thread (one at a time). NULL when
 * out of memory (res is then untouched). */
struct db_result *db_result_keep(const struct db_result *res);
void db_result_free(struct db_result *res);

enum db_status db_result_status(const struct db_result *res);
const char *db_result_sqlstate(const struct db_result *res); /* "" when none */
const char *db_result_message(const struct db_result *res);
int db_result_rows(const struct db_result *res);
int db_result_cols(const struct db_result *res);
bool db_result_isnull(const struct db_result *res, int row, int col);
const char *db_result_value(const struct db_result *res, int row, int col); /* "" for NULL */
int db_result_length(const struct db_result *res, int row, int col);
long db_result_long(const struct db_result *res, int row, int col);

#endif
