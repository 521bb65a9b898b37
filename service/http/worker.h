/* The state the HTTP layer's modules share: the server, and each worker (one event loop thread
 * with its listener and client connections). server.c starts and stops them; request.c and
 * conn.c read them. */
#ifndef EXAMD_HTTP_WORKER_H
#define EXAMD_HTTP_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "core/config.h"
#include "core/util.h"

struct event_base;
struct evconnlistener;
struct db_pool;
struct offload;
struct req;
struct server;
struct worker;
struct event;
struct conn;
struct timeval;

typedef void (*server_dispatch_fn)(struct req *r);
typedef void (*server_worker_hook)(struct server *s, struct worker *w);

#define LOOP_LAG_BUCKETS 8
/* Upper bounds (ms) of the loop-lag histogram buckets; the last is +Inf. */
extern const double loop_lag_bounds_ms[LOOP_LAG_BUCKETS - 1];

struct worker {
	int index;
	struct server *server;
	struct event_base *base;
	struct evconnlistener *listener;
	struct db_pool *db; /* the application's (api) database pool; the HTTP layer never uses it */
	pthread_t thread;
	int inflight;
	bool draining;
	int64_t drain_deadline_us;
	struct event *drain_timer;
	void *app; /* per-worker state of the application (timers etc.) */
	/* Client connections (http/conn.c): counted from accept to close, by socket. */
	TAILQ_HEAD(, conn) conn_list;
	_Atomic long conns_live;            /* read by /metrics on other workers */
	int writing;                        /* connections with reply bytes the socket has not taken yet */
	const struct timeval *conn_timeout; /* EXAMD_REQUEST_TIMEOUT, as a common timeout of the base */
	bool stopped;                       /* the loop ended and the connections were closed */
	/* Loop lag (server.c): how late a 10 ms timer fires, i.e. how long the loop was held by other work. */
	struct event *lag_timer;
	int64_t lag_due_us;
	_Atomic int64_t lag_max_us;                     /* the largest since the last read (metrics) */
	_Atomic uint64_t lag_buckets[LOOP_LAG_BUCKETS]; /* counts per bucket of loop_lag_bounds_ms */
	_Atomic uint64_t lag_samples;
};

struct server {
	const struct config *cfg;
	struct worker *workers;
	int nworkers;
	int port; /* the bound port */
	struct offload *offload;
	server_dispatch_fn dispatch;
	/* The application's per-worker state (the database pool among it): made by worker_init on the
	 * starting thread, before the loops run; freed by worker_exit after every worker stopped. */
	bool (*worker_init)(struct server *s, struct worker *w);
	server_worker_hook worker_start; /* runs on each worker's thread before its loop */
	server_worker_hook worker_stop;  /* runs on each worker's thread when draining starts */
	server_worker_hook worker_exit;  /* runs after every worker stopped (frees what worker_init made) */
	void *ssl_ctx;                   /* SSL_CTX * when TLS is on */
	/* The largest body a request may carry, decided from its method, path and whether it has a
	 * bearer token, before the body is read (http/conn.c); auth_first: the route needs a session,
	 * so an anonymous request over the limit is answered 401. NULL: EXAMD_MAX_JSON_BODY for all. */
	size_t (*body_limit)(const struct config *cfg, const char *method, const char *path, bool has_bearer,
			     bool *auth_first);
	/* How http/conn.c makes requests: http/request.c's functions, wired by server_start (the
	 * connection module does not include the request module, which writes through it). */
	struct req *(*req_new)(struct conn *c, struct worker *w, char *buf, size_t head_len, size_t body_len,
			       const char *peer);
	bool (*req_refuse)(struct conn *c, struct worker *w, const char *method, const char *target, const char *peer,
			   bool close, int status, const char *code, const char *message);
	void (*req_detach)(struct req *r);
};

/* Requests in flight on a worker, from their context's creation to its release (request.c). */
static inline void worker_request_started(struct worker *w)
{
	w->inflight++;
}
static inline void worker_request_finished(struct worker *w)
{
	w->inflight--;
}

#endif
