/* The HTTP server: one event loop per worker thread, all on one SO_REUSEPORT port. */
#ifndef EXAMD_HTTP_SERVER_H
#define EXAMD_HTTP_SERVER_H

#include "http/worker.h"

/* Binds and starts the workers; returns false (logged) when it cannot listen. */
bool server_start(struct server *s) MUST_CHECK;
/* Asks every worker to drain (finish in-flight requests) and stop; then joins them. */
void server_stop(struct server *s);
struct evbuffer;
/* The loop-lag histogram and the largest lag since the previous call, per worker, in Prometheus
 * text format (examd_loop_lag_seconds, examd_loop_lag_max_seconds). */
void server_render_loop_lag(struct evbuffer *out, struct server *s);

#endif
