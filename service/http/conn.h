/* Client connections of a worker, from accept to close: HTTP/1.1 (and 1.0) over a socket, plain or
 * TLS, read into one flat buffer and written straight from the reply.
 *
 * A connection reads as bytes arrive, finds each request's header block, checks it
 * (http/headcheck.c) and asks the application for the route's body limit before any body byte is
 * kept. A request that may not be read (a body over the route's limit, a malformed or oversized
 * header block, a connection over the cap) is answered at once in the JSON error envelope and its
 * body is never buffered. One request per connection is with the application at a time; bytes the
 * client pipelines meanwhile wait in the buffer.
 *
 * The read interest stays registered for the connection's life (no epoll_ctl per request), and a
 * reply is written from the loop turn that makes it (one writev); only a reply the socket cannot
 * take at once waits for the write interest. libevent's evhttp did the same work with about three
 * times the CPU per request (tests/bench/README.md, "The HTTP layer"). */
#ifndef EXAMD_HTTP_CONN_H
#define EXAMD_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;
struct evconnlistener;
struct sockaddr;
struct worker;
struct conn;

/* A header name the client may not send (kept from the evhttp front end, which used it to carry
 * a refusal to the handler; a client that sends it is still refused). */
#define CONN_REFUSED_HEADER "X-Examd-Refused"

/* Largest header block (request line and headers) that is read. */
#define CONN_MAX_HEADER_BYTES (64 * 1024)

/* The listener's callback: starts serving the accepted socket (the worker is arg). */
void conn_accept(struct evconnlistener *l, int fd, struct sockaddr *sa, int salen, void *arg);

/* Sends a reply: head (status line and headers, already formatted) then body (moved out of it;
 * may be NULL). close: the connection closes once the reply is written. The request that was with
 * the application is done: the next one the client sent is read. */
void conn_send(struct conn *c, const char *head, size_t head_len, struct evbuffer *body, bool close);

/* Closes every connection of the worker (its loop has stopped); requests still with the
 * application lose their connection and only free themselves when answered. */
void conn_worker_exit(struct worker *w);

#endif
