/* Client connections of a worker, from accept to close (see conn.h). */
#include "http/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "http/headcheck.h"
#include "http/worker.h"

/* A closing connection keeps reading (and dropping) what the client still sends for this long
 * after its last reply is written, so that the client reads the reply instead of a reset. */
#define LINGER_SECONDS 5

/* The body of a refused request, when it says how long it is, is skipped as it arrives (never
 * buffered) and the connection goes on: a client that reads the answer at once gets it at once, and
 * one that sends its whole body first still finds the answer (not a reset). Past this size, or
 * when the request's end cannot be known, the connection closes after the answer. */
#define SKIP_MAX ((long long)64 * 1024 * 1024)

/* The input buffer starts at this size and shrinks back to it after a large request. */
#define IN_START 4096

struct conn {
	TAILQ_ENTRY(conn) link;
	struct worker *w;
	int fd;
	SSL *ssl; /* NULL: plain */
	struct event *rev, *wev;
	char *in;
	size_t in_len, in_cap;
	size_t scan;          /* where the search for the end of the header block resumes */
	size_t head_len;      /* a checked header block waits for its body: its length */
	size_t body_len;      /* and the body's */
	long long skip_left;  /* body bytes of a refused request still to drop */
	struct evbuffer *out; /* written and not yet taken by the socket */
	struct req *req;      /* the request with the application (at most one) */
	bool over_cap;        /* accepted past EXAMD_MAX_CONNECTIONS: its first request is refused */
	bool closing;         /* close once out is written */
	bool lingering;       /* out written, our side shut: dropping what comes until EOF */
	bool peer_eof;        /* the client shut its side */
	bool reading;         /* the read interest is registered */
	bool writing;         /* out holds bytes: counted in w->writing */
	bool in_process;      /* conn_process is on the stack: c is closed only when it returns */
	bool failed;          /* the socket failed: close as soon as nothing of c is on the stack */
	bool tls_read_wants_write;
	char peer[64];
};

/* ---- lifetime ---- */

static void conn_close(struct conn *c)
{
	struct worker *w = c->w;
	if (c->req)
		w->server->req_detach(c->req);
	if (c->writing)
		w->writing--;
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	if (c->out)
		evbuffer_free(c->out);
	free(c->in);
	TAILQ_REMOVE(&w->conn_list, c, link);
	atomic_fetch_sub(&w->conns_live, 1);
	free(c);
}

void conn_worker_exit(struct worker *w)
{
	struct conn *c;
	while ((c = TAILQ_FIRST(&w->conn_list)) != NULL)
		conn_close(c);
}

static void read_interest(struct conn *c, bool on)
{
	if (on == c->reading)
		return;
	c->reading = on;
	if (on)
		event_add(c->rev, c->lingering ? &(struct timeval){LINGER_SECONDS, 0} : c->w->conn_timeout);
	else
		event_del(c->rev);
}

/* How many bytes the buffer may hold now: the pending request whole, or a header block at most. */
static size_t in_wanted(const struct conn *c)
{
	if (c->lingering)
		return IN_START;
	if (c->head_len)
		return c->head_len + c->body_len + 1;
	return CONN_MAX_HEADER_BYTES + 1;
}

/* ---- writing ---- */

static void set_writing(struct conn *c, bool on)
{
	if (on == c->writing)
		return;
	c->writing = on;
	if (on) {
		c->w->writing++;
		event_add(c->wev, c->w->conn_timeout);
	} else {
		c->w->writing--;
		if (!c->tls_read_wants_write)
			event_del(c->wev);
	}
}

/* Writes what the socket takes. Returns false when the connection failed. */
static bool flush_out(struct conn *c)
{
	while (evbuffer_get_length(c->out) > 0) {
		if (!c->ssl) {
			int n = evbuffer_write(c->out, c->fd);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				return false;
			}
			if (n == 0)
				break;
			continue;
		}
		struct evbuffer_iovec v;
		if (evbuffer_peek(c->out, -1, NULL, &v, 1) < 1)
			break;
		size_t len = v.iov_len > 16384 ? 16384 : v.iov_len;
		ERR_clear_error();
		int n = SSL_write(c->ssl, v.iov_base, (int)len);
		if (n > 0) {
			evbuffer_drain(c->out, (size_t)n);
			continue;
		}
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			break; /* WANT_READ: the read interest stays registered while a reply waits */
		return false;
	}
	return true;
}

static void conn_process(struct conn *c);

static void start_linger(struct conn *c)
{
	c->lingering = true;
	if (c->ssl)
		(void)SSL_shutdown(c->ssl); /* one try: the close_notify, if the socket takes it */
	shutdown(c->fd, SHUT_WR);
	c->in_len = 0;
	if (c->peer_eof) {
		conn_close(c);
		return;
	}
	/* Re-armed with the linger timeout. */
	read_interest(c, false);
	read_interest(c, true);
}

/* What the connection does next, when nothing of it is on the stack: close, linger, wait for the
 * application or the socket, or read on. */
static void conn_settle(struct conn *c)
{
	if (c->failed) {
		conn_close(c);
		return;
	}
	if (c->lingering)
		return;
	if (c->writing) {
		read_interest(c, !c->peer_eof && c->in_len < in_wanted(c));
		return;
	}
	if (c->closing && !c->req) {
		start_linger(c);
		return;
	}
	if (c->peer_eof && !c->req) {
		/* Nothing more can come: a partial request is dropped. */
		conn_close(c);
		return;
	}
	/* A client that pipelines without reading its replies is not read further while the request
	 * with the application waits. */
	read_interest(c, !c->peer_eof && c->in_len < in_wanted(c));
}

/* Writes out what it can; failures and closing are settled by the caller's conn_settle. */
static void conn_write(struct conn *c)
{
	if (!flush_out(c)) {
		c->failed = true;
		return;
	}
	set_writing(c, evbuffer_get_length(c->out) > 0);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct conn *c = arg;
	if (what & EV_TIMEOUT) {
		conn_close(c); /* the client stopped reading its reply */
		return;
	}
	if (c->tls_read_wants_write) {
		c->tls_read_wants_write = false;
		if (!c->writing)
			event_del(c->wev);
		event_active(c->rev, EV_READ, 1);
	}
	conn_write(c);
	if (!c->failed && !c->writing && !c->req && !c->closing && !c->lingering && c->in_len > 0) {
		conn_process(c); /* requests that waited for this reply to be written */
		return;
	}
	conn_settle(c);
}

void conn_send(struct conn *c, const char *head, size_t head_len, struct evbuffer *body, bool close)
{
	c->req = NULL;
	if (close)
		c->closing = true;
	if (evbuffer_add(c->out, head, head_len) != 0 || (body && evbuffer_add_buffer(c->out, body) != 0))
		c->failed = true;
	else
		conn_write(c);
	if (c->in_process)
		return; /* conn_process goes on with the next request */
	/* From the application's callback: requests the client pipelined meanwhile are read from the
	 * next loop turn, never from inside that callback. */
	if (!c->failed && !c->closing && (c->in_len > 0 || (c->ssl && SSL_pending(c->ssl) > 0)))
		event_active(c->rev, EV_READ, 1);
	conn_settle(c);
}

/* ---- refusing a request ---- */

/* Answers the request at the front of the buffer with a refusal (c->head_len bytes of header block,
 * 0 when its end is unknown). body: the refused request's body length (-1: unknown; then everything
 * after it is dropped and the connection closes). */
static void refuse(struct conn *c, const struct head *h, int status, const char *code, const char *message,
		   long long body)
{
	bool close = body < 0 || body > SKIP_MAX;
	char method[16] = "GET", target[520] = "/";
	if (h && h->method[0] && h->target_len && h->target_len <= 512) {
		snprintf(method, sizeof method, "%s", h->method);
		memcpy(target, c->in + h->target_off, h->target_len);
		target[h->target_len] = '\0';
	}
	size_t drop = c->head_len;
	c->head_len = 0;
	c->body_len = 0;
	c->scan = 0;
	if (close) {
		c->closing = true;
		c->in_len = 0;
	} else {
		memmove(c->in, c->in + drop, c->in_len - drop);
		c->in_len -= drop;
		c->skip_left = body;
	}
	if (!c->w->server->req_refuse(c, c->w, method, target, c->peer, close, status, code, message))
		c->failed = true;
}

/* ---- reading ---- */

/* Makes room for need bytes in all. */
static bool in_reserve(struct conn *c, size_t need)
{
	if (need <= c->in_cap)
		return true;
	size_t cap = c->in_cap ? c->in_cap : IN_START;
	while (cap < need)
		cap *= 2;
	char *p = realloc(c->in, cap);
	if (!p)
		return false;
	c->in = p;
	c->in_cap = cap;
	return true;
}

/* Checks the header block of length blen at the front of the buffer: refused, or pending. */
static void check_head(struct conn *c, size_t blen)
{
	c->head_len = blen;
	struct head h;
	enum head_verdict v = head_check(c->in, blen, CONN_REFUSED_HEADER, &h);
	long long body = h.content_length > 0 ? h.content_length : 0;
	if (v != HEAD_OK) {
		refuse(c, NULL, h.status, h.code, h.message, -1);
		return;
	}
	if (c->over_cap) {
		refuse(c, &h, 503, "unavailable", "too many connections; try again shortly", -1);
		return;
	}
	char path[1024];
	size_t plen = h.path_len < sizeof path - 1 ? h.path_len : sizeof path - 1;
	memcpy(path, c->in + h.target_off, plen);
	path[plen] = '\0';
	const struct server *srv = c->w->server;
	bool auth_first = false;
	size_t limit = srv->body_limit ? srv->body_limit(srv->cfg, h.method, path, h.has_bearer, &auth_first)
				       : (size_t)srv->cfg->max_json_body;
	/* After Expect: 100-continue is answered with a refusal, no body comes: close. */
	long long refused_body = h.expect_continue ? -1 : body;
	if (body > 0 && (unsigned long long)body > limit && auth_first && !h.has_bearer) {
		refuse(c, &h, 401, "unauthenticated", "log in first: an Authorization: Bearer token is required",
		       refused_body);
		return;
	}
	if (body > 0 && (unsigned long long)body > limit) {
		char msg[128];
		snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", limit);
		refuse(c, &h, 413, "too_large", msg, refused_body);
		return;
	}
	c->body_len = (size_t)body;
	if (h.expect_continue && body > 0 && c->in_len < blen + (size_t)body) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		if (evbuffer_add(c->out, cont, sizeof cont - 1) != 0)
			c->failed = true;
		else
			conn_write(c);
	}
}

/* Hands the complete request at the front of the buffer to the application. */
static void dispatch(struct conn *c)
{
	size_t total = c->head_len + c->body_len;
	struct req *r;
	if (c->in_len == total) {
		/* The usual case: the buffer holds this request only, and the request takes it over. */
		r = c->w->server->req_new(c, c->w, c->in, c->head_len, c->body_len, c->peer);
		if (r) {
			c->in = NULL;
			c->in_cap = 0;
			c->in_len = 0;
		}
	} else {
		char *copy = malloc(total + 1);
		if (copy)
			memcpy(copy, c->in, total);
		r = copy ? c->w->server->req_new(c, c->w, copy, c->head_len, c->body_len, c->peer) : NULL;
		if (!r)
			free(copy);
		else {
			memmove(c->in, c->in + total, c->in_len - total);
			c->in_len -= total;
		}
	}
	c->head_len = 0;
	c->body_len = 0;
	if (!r) {
		static const char oom[] =
			"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; "
			"charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: "
			"61\r\n\r\n{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\"}}";
		c->in_len = 0;
		conn_send(c, oom, sizeof oom - 1, NULL, true);
		return;
	}
	c->req = r;
	c->w->server->dispatch(r);
}

/* Works through what the buffer holds, in order, while no request is with the application. */
static void conn_process(struct conn *c)
{
	c->in_process = true;
	/* The next request is read only once the last reply is written: a client that pipelines and does
	 * not read makes the connection wait (bounded input, one reply), not grow. */
	while (!c->req && !c->closing && !c->failed && !c->writing && c->in_len > 0) {
		if (c->skip_left > 0) {
			size_t k = (unsigned long long)c->skip_left < c->in_len ? (size_t)c->skip_left : c->in_len;
			memmove(c->in, c->in + k, c->in_len - k);
			c->in_len -= k;
			c->skip_left -= (long long)k;
			continue;
		}
		if (!c->head_len) {
			size_t blen = head_block_length(c->in, c->in_len, &c->scan);
			if (!blen) {
				if (c->in_len > CONN_MAX_HEADER_BYTES)
					refuse(c, NULL, 431, "too_large", "the request headers are too large", -1);
				break;
			}
			if (blen > CONN_MAX_HEADER_BYTES) {
				refuse(c, NULL, 431, "too_large", "the request headers are too large", -1);
				break;
			}
			check_head(c, blen);
			if (!c->head_len)
				continue; /* refused */
		}
		/* Room for the whole request and the body's NUL, then wait for it or hand it over. */
		if (!in_reserve(c, c->head_len + c->body_len + 1)) {
			c->head_len = 0;
			refuse(c, NULL, 503, "unavailable", "out of memory", -1);
			break;
		}
		if (c->in_len < c->head_len + c->body_len)
			break;
		dispatch(c);
	}
	c->in_process = false;
	conn_settle(c);
}

/* Reads what the socket holds. Returns 1 (read), 0 (nothing now), -1 (EOF), -2 (failed). */
static int read_some(struct conn *c)
{
	size_t want = in_wanted(c);
	if (c->in_len >= want)
		return 0;
	if (c->in_len == c->in_cap) {
		size_t need = c->in_len + IN_START < want ? c->in_len + IN_START : want;
		if (!in_reserve(c, need))
			return -2;
	}
	size_t room = c->in_cap - c->in_len;
	if (!c->ssl) {
		ssize_t n = read(c->fd, c->in + c->in_len, room);
		if (n > 0) {
			c->in_len += (size_t)n;
			return 1;
		}
		if (n == 0)
			return -1;
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -2;
	}
	ERR_clear_error();
	int n = SSL_read(c->ssl, c->in + c->in_len, room > (1u << 30) ? 1 << 30 : (int)room);
	if (n > 0) {
		c->in_len += (size_t)n;
		return 1;
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->tls_read_wants_write = true;
		event_add(c->wev, c->w->conn_timeout);
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		return -1;
	default:
		return -2;
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct conn *c = arg;
	if ((what & EV_TIMEOUT) && (c->lingering || (!c->req && !c->writing))) {
		/* Idle, or a slow client, past the request timeout (a request with the application or a
		 * reply being written is not idle); or the linger is over. */
		conn_close(c);
		return;
	}
	if (what & EV_READ) {
		for (int turns = 0; turns < 64; turns++) { /* a client that never stops sending shares the loop */
			int got = read_some(c);
			if (got == 1) {
				if (c->lingering) {
					c->in_len = 0;
					continue;
				}
				/* A plain socket that filled the room may hold more; TLS may hold a record's rest. */
				if (c->ssl || c->in_len == c->in_cap)
					continue;
				break;
			}
			if (got == 0)
				break;
			if (got == -2 || c->lingering) {
				conn_close(c);
				return;
			}
			c->peer_eof = true;
			break;
		}
	}
	if (c->lingering)
		return;
	if (c->writing && c->ssl)
		conn_write(c); /* a TLS write that waited for the peer's bytes may go on now */
	conn_process(c);
}

/* ---- accept ---- */

void conn_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)salen;
	struct worker *w = arg;
	struct conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->w = w;
	c->fd = fd;
	atomic_fetch_add(&w->conns_live, 1);
	TAILQ_INSERT_TAIL(&w->conn_list, c, link);
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof c->peer);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, c->peer, sizeof c->peer);
	if ((long)atomic_load(&w->conns_live) > (long)w->server->cfg->max_connections)
		c->over_cap = true;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->out = evbuffer_new();
	c->rev = event_new(w->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	c->wev = event_new(w->base, fd, EV_WRITE | EV_PERSIST, on_writable, c);
	if (!c->out || !c->rev || !c->wev) {
		log_warning("cannot set up a new connection (out of memory)");
		conn_close(c);
		return;
	}
	if (w->server->ssl_ctx) {
		c->ssl = SSL_new(w->server->ssl_ctx);
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
			/* Never a plain connection on the TLS port. */
			log_warning("cannot set up TLS for a new connection (out of memory?)");
			conn_close(c);
			return;
		}
		SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		SSL_set_accept_state(c->ssl);
	}
	read_interest(c, true);
}
