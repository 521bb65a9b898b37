/* The HTTP server: one event base per worker thread with its listener and connections
 * (http/conn.c), all on one SO_REUSEPORT port.
 * Shutdown drains: listeners close, in-flight requests finish (bounded), then pools close. */
#include "http/server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "http/conn.h"
#include "http/offload.h"
#include "http/request.h"

#define DRAIN_SECONDS 10

static bool worker_listen(struct worker *w, int port)
{
	const struct config *cfg = w->server->cfg;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sslen;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, cfg->http_host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		sslen = sizeof *in4;
	} else if (inet_pton(AF_INET6, cfg->http_host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		sslen = sizeof *in6;
	} else {
		log_error("EXAMD_HTTP_HOST must be a numeric IPv4 or IPv6 address, got \"%s\"", cfg->http_host);
		return false;
	}
	w->listener = evconnlistener_new_bind(w->base, conn_accept, w,
					      LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_FREE |
						      LEV_OPT_CLOSE_ON_EXEC,
					      1024, (struct sockaddr *)&ss, (int)sslen);
	if (!w->listener) {
		log_error("cannot listen on %s:%d: %s", cfg->http_host, port,
			  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return false;
	}
	return true;
}

static int listener_port(struct evconnlistener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static bool worker_init(struct worker *w, int port)
{
	const struct config *cfg = w->server->cfg;
	/* The epoll change list: only the net change of a loop turn to a descriptor's interest reaches
	 * the kernel (a connection's write interest is added only for a reply the socket could not take
	 * at once). No descriptor examd watches is a dup() of another, the change list's one caveat. */
	struct event_config *ecfg = event_config_new();
	if (ecfg)
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = ecfg ? event_base_new_with_config(ecfg) : NULL;
	if (ecfg)
		event_config_free(ecfg);
	if (!w->base)
		return false;
	TAILQ_INIT(&w->conn_list);
	struct timeval tv = {cfg->request_timeout, 0};
	w->conn_timeout = event_base_init_common_timeout(w->base, &tv);
	if (!w->conn_timeout)
		return false;
	if (!worker_listen(w, port))
		return false;
	return !w->server->worker_init || w->server->worker_init(w->server, w);
}

const double loop_lag_bounds_ms[LOOP_LAG_BUCKETS - 1] = {1, 2, 5, 10, 25, 50, 100};
#define LAG_PERIOD_US 10000

/* Fires every 10 ms; the delay past its due time is how long the loop was busy with something else
 * (a callback that ran long, or the thread waiting for a CPU). */
static void on_lag_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	int64_t now = util_monotonic_us();
	int64_t lag = w->lag_due_us ? now - w->lag_due_us : 0;
	if (lag < 0)
		lag = 0;
	w->lag_due_us = now + LAG_PERIOD_US;
	int64_t max = atomic_load_explicit(&w->lag_max_us, memory_order_relaxed);
	if (lag > max)
		atomic_store_explicit(&w->lag_max_us, lag, memory_order_relaxed);
	int b = 0;
	while (b < LOOP_LAG_BUCKETS - 1 && (double)lag / 1000.0 > loop_lag_bounds_ms[b])
		b++;
	atomic_fetch_add_explicit(&w->lag_buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->lag_samples, 1, memory_order_relaxed);
}

static void lag_start(struct worker *w)
{
	struct timeval tv = {0, LAG_PERIOD_US};
	w->lag_timer = event_new(w->base, -1, EV_PERSIST, on_lag_tick, w);
	w->lag_due_us = util_monotonic_us() + LAG_PERIOD_US;
	if (!w->lag_timer || event_add(w->lag_timer, &tv) != 0)
		log_warning("worker %d: no loop-lag probe (out of memory)", w->index);
}

void server_render_loop_lag(struct evbuffer *out, struct server *s)
{
	evbuffer_add_printf(out,
			    "# HELP examd_loop_lag_seconds How late a 10 ms timer fires on each worker's event loop "
			    "(the time the loop was held by other work).\n# TYPE examd_loop_lag_seconds histogram\n");
	for (int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		uint64_t cum = 0;
		for (int b = 0; b < LOOP_LAG_BUCKETS; b++) {
			cum += atomic_load_explicit(&w->lag_buckets[b], memory_order_relaxed);
			if (b < LOOP_LAG_BUCKETS - 1)
				evbuffer_add_printf(out,
						    "examd_loop_lag_seconds_bucket{worker=\"%d\",le=\"%g\"} %llu\n", i,
						    loop_lag_bounds_ms[b] / 1000.0, (unsigned long long)cum);
			else
				evbuffer_add_printf(out,
						    "examd_loop_lag_seconds_bucket{worker=\"%d\",le=\"+Inf\"} %llu\n",
						    i, (unsigned long long)cum);
		}
		evbuffer_add_printf(out, "examd_loop_lag_seconds_count{worker=\"%d\"} %llu\n", i,
				    (unsigned long long)atomic_load_explicit(&w->lag_samples, memory_order_relaxed));
	}
	evbuffer_add_printf(out,
			    "# HELP examd_loop_lag_max_seconds The largest loop lag on each worker since the previous "
			    "scrape.\n# TYPE examd_loop_lag_max_seconds gauge\n");
	for (int i = 0; i < s->nworkers; i++) {
		int64_t max = atomic_exchange_explicit(&s->workers[i].lag_max_us, 0, memory_order_relaxed);
		evbuffer_add_printf(out, "examd_loop_lag_max_seconds{worker=\"%d\"} %.6f\n", i, (double)max / 1e6);
	}
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if ((w->inflight > 0 || w->writing > 0) && util_monotonic_us() < w->drain_deadline_us)
		return;
	if (w->inflight > 0 || w->writing > 0)
		log_warning("worker %d stopping with %d requests unfinished and %d replies unsent", w->index,
			    w->inflight, w->writing);
	event_base_loopexit(w->base, NULL);
}

static void on_drain_start(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (w->draining)
		return;
	w->draining = true;
	if (w->listener)
		evconnlistener_disable(w->listener);
	if (w->server->worker_stop)
		w->server->worker_stop(w->server, w);
	w->drain_deadline_us = util_monotonic_us() + DRAIN_SECONDS * 1000000LL;
	w->drain_timer = event_new(w->base, -1, EV_PERSIST, on_drain_tick, w);
	struct timeval tv = {0, 20000};
	if (!w->drain_timer || event_add(w->drain_timer, &tv) != 0) {
		log_warning("worker %d: cannot wait for in-flight requests (out of memory); stopping now", w->index);
		event_base_loopexit(w->base, NULL);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (w->server->worker_start)
		w->server->worker_start(w->server, w);
	lag_start(w);
	event_base_dispatch(w->base);
	/* Client connections close; requests still with the application are abandoned (their late
	 * replies only free them). */
	if (w->drain_timer)
		event_free(w->drain_timer);
	if (w->lag_timer)
		event_free(w->lag_timer);
	if (w->listener)
		evconnlistener_free(w->listener);
	w->listener = NULL;
	w->stopped = true;
	conn_worker_exit(w);
	/* The pool stays until every worker has stopped (server_stop): another worker's /metrics
	 * may still read its counters. */
	return NULL;
}

static bool tls_setup(struct server *s)
{
	const struct config *cfg = s->cfg;
	if (!cfg->tls_cert[0] && !cfg->tls_key[0])
		return true;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return false;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
		log_error("cannot configure TLS (protocol versions and ciphers)");
		SSL_CTX_free(ctx);
		return false;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_error("cannot load the TLS certificate \"%s\" and key \"%s\"", cfg->tls_cert, cfg->tls_key);
		SSL_CTX_free(ctx);
		return false;
	}
	/* A connection must be possible before the port opens: never a TLS port that cannot speak TLS. */
	SSL *probe = SSL_new(ctx);
	if (!probe) {
		log_error("TLS is configured but no TLS connection can be made with \"%s\"", cfg->tls_cert);
		SSL_CTX_free(ctx);
		return false;
	}
	SSL_free(probe);
	s->ssl_ctx = ctx;
	return true;
}

bool server_start(struct server *s)
{
	s->req_new = req_new;
	s->req_refuse = req_refuse;
	s->req_detach = req_detach;
	if (!tls_setup(s))
		return false;
	s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
	if (!s->workers)
		return false;
	int port = s->cfg->http_port;
	for (int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		w->index = i;
		w->server = s;
		if (!worker_init(w, port))
			return false;
		if (i == 0) {
			port = listener_port(w->listener);
			s->port = port;
		}
	}
	/* Logged before the loops start: every socket listens already, and no request can be answered
	 * before this line is written (a log watcher, or a rotation right after the first answer,
	 * finds it in the file of the start). */
	log_json(LOG_INFO, json_pack("{s:s,s:s,s:i,s:i,s:b}", "msg", "listening", "host", s->cfg->http_host, "port",
				     port, "workers", s->nworkers, "tls", s->ssl_ctx != NULL));
	for (int i = 0; i < s->nworkers; i++)
		if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
			log_error("cannot start worker thread %d", i);
			return false;
		}
	return true;
}

void server_stop(struct server *s)
{
	struct timeval now = {0, 0};
	for (int i = 0; i < s->nworkers; i++)
		event_base_once(s->workers[i].base, -1, EV_TIMEOUT, on_drain_start, &s->workers[i], &now);
	for (int i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i].thread, NULL);
	/* No hashing thread may post a result to a base once the bases go. */
	offload_free(s->offload);
	s->offload = NULL;
	/* Jobs finished after their loop stopped left their completion active: run them once, on
	 * this thread (the workers are gone), so that they free their requests. */
	for (int i = 0; i < s->nworkers; i++)
		event_base_loop(s->workers[i].base, EVLOOP_NONBLOCK);
	for (int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		/* The application frees its state (its pool fails what is still queued or running; the
		 * callbacks find their requests orphaned, the worker's loop having stopped, and only free them). */
		if (s->worker_exit)
			s->worker_exit(s, w);
		event_base_free(w->base);
	}
	free(s->workers);
	s->workers = NULL;
	if (s->ssl_ctx)
		SSL_CTX_free(s->ssl_ctx);
	s->ssl_ctx = NULL;
}
