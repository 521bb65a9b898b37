/* The HTTP server: one event base + evhttp per worker thread, all on one SO_REUSEPORT port. */
#ifndef EXAMD_HTTP_SERVER_H
#define EXAMD_HTTP_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/util.h"

struct event_base;
struct evhttp;
struct evconnlistener;
struct db_pool;
struct offload;
struct req;
struct server;
struct worker;
struct event;

typedef void (*server_dispatch_fn)(struct req *r);
typedef void (*server_worker_hook)(struct server *s, struct worker *w);

struct worker {
	int index;
	struct server *server;
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener;
	struct db_pool *db;
	pthread_t thread;
	int inflight;
	bool draining;
	int64_t drain_deadline_us;
	struct event *drain_timer;
	void *app; /* per-worker state of the application (timers etc.) */
	/* Connections that have sent a request, to cap them (a pointer set, open addressing). */
	void **conns;
	size_t conns_cap, conns_used, conns_live;
};

struct server {
	const struct config *cfg;
	struct worker *workers;
	int nworkers;
	int port; /* the bound port */
	struct offload *offload;
	server_dispatch_fn dispatch;
	server_worker_hook worker_start; /* runs on each worker's thread before its loop */
	server_worker_hook worker_stop;  /* runs on each worker's thread when draining starts */
	server_worker_hook worker_exit;  /* runs after every worker stopped and this one's pool is freed */
	void *ssl_ctx;                   /* SSL_CTX * when TLS is on */
};

/* Binds and starts the workers; returns false (logged) when it cannot listen. */
bool server_start(struct server *s) MUST_CHECK;
/* Asks every worker to drain (finish in-flight requests) and stop; then joins them. */
void server_stop(struct server *s);

/* Called by the request layer. */
void worker_request_started(struct worker *w);
void worker_request_finished(struct worker *w);

#endif
