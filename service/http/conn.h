/* Client connections of a worker, from accept to close: counted at accept (the connection cap),
 * and each request's header block checked as it arrives, before libevent reads its body. A request
 * that may not be read (a body over the route's limit, a malformed or oversized header block, a
 * connection over the cap or without TLS on a TLS port) reaches the handler as a refusal that is
 * answered in the JSON error envelope, and its body is never buffered. */
#ifndef EXAMD_HTTP_CONN_H
#define EXAMD_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct event_base;
struct evhttp_request;
struct worker;

/* The header a refused request carries to the handler (set only by this module: a client that
 * sends it is refused). Its value: "<status> <code> <message>". */
#define CONN_REFUSED_HEADER "X-Examd-Refused"

/* Largest header block (request line and headers) that is read. */
#define CONN_MAX_HEADER_BYTES (64 * 1024)

/* evhttp's bufferevent callback: makes the connection's bufferevent (TLS when configured) and
 * starts tracking it. Never returns a plain socket for a TLS server. */
struct bufferevent *conn_accept(struct event_base *base, void *worker);

/* The request was handed to evhttp for writing / has been written (replies in flight, so that a
 * draining worker waits for them and no more). */
void conn_reply_started(struct worker *w, struct evhttp_request *ev);

/* Frees what is left of the worker's connection records (after evhttp_free). */
void conn_worker_exit(struct worker *w);

#endif
