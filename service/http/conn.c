/* Client connections of a worker, from accept to close.
 *
 * evhttp 2.1 reads a whole request body before it calls the application, and answers its own
 * errors with HTML. So each connection's input buffer carries a callback that runs as bytes
 * arrive, before evhttp parses them: it finds each request's header block, checks it
 * (http/headcheck.c) and asks the application for the route's body limit. A request that may not
 * be read is replaced, header block and all, by a bodiless request that carries the refusal in
 * CONN_REFUSED_HEADER and asks for the connection to close; whatever else the client sends is
 * dropped as it arrives. The handler then answers in the JSON envelope.
 *
 * A connection is counted when it is accepted (not at its first request) and until evhttp frees
 * it (its close callback), which also settles the replies it was still writing. */
#include "http/conn.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/headcheck.h"
#include "http/worker.h"

enum refusal { REFUSE_NONE, REFUSE_CAP, REFUSE_TLS };

struct conn_ctx {
	TAILQ_ENTRY(conn_ctx) link;
	struct worker *w;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* known from the first loop turn after accept */
	struct evbuffer_cb_entry *cb;
	int fd;
	enum refusal refuse;    /* decided at accept: answered at the first request */
	bool discarding;        /* a request was refused and the connection closes: every further byte is dropped */
	bool in_cb;             /* our own changes to the buffer do not re-enter */
	struct evbuffer *stage; /* bytes received but not checked yet: evhttp does not see them */
	size_t scan;            /* where the search for the end of the staged header block resumes */
	long long body_left;    /* body bytes of the checked request still to pass on */
	long long skip_left;    /* body bytes of a refused request still to drop */
	int writing;            /* replies given to evhttp and not yet written */
};

/* ---- the per-worker table of connections by socket ---- */

static bool fd_map_set(struct worker *w, int fd, struct conn_ctx *c)
{
	if (fd < 0)
		return false;
	if ((size_t)fd >= w->conn_by_fd_cap) {
		size_t cap = w->conn_by_fd_cap ? w->conn_by_fd_cap : 1024;
		while (cap <= (size_t)fd)
			cap *= 2;
		void **fresh = realloc(w->conn_by_fd, cap * sizeof *fresh);
		if (!fresh)
			return false;
		memset(fresh + w->conn_by_fd_cap, 0, (cap - w->conn_by_fd_cap) * sizeof *fresh);
		w->conn_by_fd = fresh;
		w->conn_by_fd_cap = cap;
	}
	w->conn_by_fd[fd] = c;
	return true;
}

static struct conn_ctx *fd_map_get(struct worker *w, int fd)
{
	return fd >= 0 && (size_t)fd < w->conn_by_fd_cap ? w->conn_by_fd[fd] : NULL;
}

/* ---- lifetime ---- */

static void conn_forget(struct conn_ctx *c)
{
	struct worker *w = c->w;
	if (c->cb)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->cb);
	if (fd_map_get(w, c->fd) == c)
		w->conn_by_fd[c->fd] = NULL;
	w->writing -= c->writing;
	TAILQ_REMOVE(&w->conn_list, c, link);
	atomic_fetch_sub(&w->conns_live, 1);
	evbuffer_free(c->stage);
	free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	conn_forget(arg);
}

/* Learns the evhttp connection (the argument of the callbacks evhttp set on our bufferevent). */
static void conn_bind(struct conn_ctx *c)
{
	if (c->evcon)
		return;
	void *arg = NULL;
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
	if (!arg)
		return;
	c->evcon = arg;
	c->fd = bufferevent_getfd(c->bev);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	if (!fd_map_set(c->w, c->fd, c))
		c->fd = -1;
}

static void on_accepted(evutil_socket_t fd, short what, void *arg)
{
	conn_bind(arg);
}

/* ---- refusing a request ---- */

/* The body of a refused request, when it says how long it is, is skipped as it arrives (never
 * buffered) and the connection goes on: a client that reads the answer at once gets it at once, and
 * one that sends its whole body first still finds the answer (not a reset). Past this size, or
 * when the request's end cannot be known, the connection closes after the answer. */
#define SKIP_MAX ((long long)64 * 1024 * 1024)

/* Answers the request at the front of the stage with a refusal: its header block is dropped and a
 * bodiless request carrying the refusal goes to evhttp instead. body: the refused request's body
 * length (-1: unknown; then everything after it is dropped and the connection closes). */
static void refuse(struct conn_ctx *c, struct evbuffer *in, size_t blen, const char *method, const char *target,
		   size_t tlen, int status, const char *code, const char *message, long long body)
{
	char head[1024];
	bool close = body < 0 || body > SKIP_MAX;
	if (!method || !target || tlen == 0 || tlen > 512) {
		method = "GET";
		target = "/";
		tlen = 1;
	}
	int n = snprintf(head, sizeof head,
			 "%s %.*s HTTP/1.1\r\nHost: examd\r\n%s" CONN_REFUSED_HEADER ": %d %s %s\r\n\r\n", method,
			 (int)tlen, target, close ? "Connection: close\r\n" : "", status, code, message);
	if (close) {
		evbuffer_drain(c->stage, evbuffer_get_length(c->stage));
		c->discarding = true;
	} else {
		evbuffer_drain(c->stage, blen);
		c->skip_left = body;
	}
	if (n > 0 && (size_t)n < sizeof head)
		evbuffer_add(in, head, (size_t)n);
}

/* Finds the end of the header block at the front of the stage, scanning only what was not scanned
 * before (a slow sender costs linear time). Returns its length, or 0 when it is not complete. */
static size_t block_end(struct conn_ctx *c)
{
	struct evbuffer_ptr p;
	for (;;) {
		if (evbuffer_ptr_set(c->stage, &p, c->scan, EVBUFFER_PTR_SET) != 0)
			return 0;
		struct evbuffer_ptr nl = evbuffer_search(c->stage, "\n", 1, &p);
		if (nl.pos < 0)
			return 0;
		size_t line = c->scan, at = (size_t)nl.pos, n = at - line;
		if (n == 1) {
			char ch;
			evbuffer_copyout_from(c->stage, &p, &ch, 1);
			if (ch == '\r')
				n = 0;
		}
		c->scan = at + 1;
		if (n == 0)
			return at + 1; /* an empty line: the end (or, first, an empty request line) */
	}
}

/* Passes on, checks or drops what the stage holds, in order. */
static void process_stage(struct conn_ctx *c, struct evbuffer *in)
{
	while (!c->discarding && evbuffer_get_length(c->stage) > 0) {
		size_t have = evbuffer_get_length(c->stage);
		if (c->skip_left > 0) {
			size_t k = (unsigned long long)c->skip_left < have ? (size_t)c->skip_left : have;
			evbuffer_drain(c->stage, k);
			c->skip_left -= (long long)k;
			continue;
		}
		if (c->body_left > 0) {
			size_t k = (unsigned long long)c->body_left < have ? (size_t)c->body_left : have;
			evbuffer_remove_buffer(c->stage, in, k);
			c->body_left -= (long long)k;
			continue;
		}
		size_t blen = block_end(c);
		if (!blen) {
			if (have > CONN_MAX_HEADER_BYTES)
				refuse(c, in, 0, NULL, NULL, 0, 431, "too_large", "the request headers are too large",
				       -1);
			return;
		}
		c->scan = 0;
		if (blen > CONN_MAX_HEADER_BYTES) {
			refuse(c, in, blen, NULL, NULL, 0, 431, "too_large", "the request headers are too large", -1);
			return;
		}
		char *block = malloc(blen + 1);
		if (!block) {
			refuse(c, in, blen, NULL, NULL, 0, 503, "unavailable", "out of memory", -1);
			return;
		}
		evbuffer_copyout(c->stage, block, blen);
		block[blen] = '\0';
		struct head h;
		enum head_verdict v = head_check(block, blen, CONN_REFUSED_HEADER, &h);
		const char *target = v == HEAD_OK ? block + h.target_off : NULL;
		long long body = h.content_length > 0 ? h.content_length : 0;
		if (v != HEAD_OK) {
			refuse(c, in, blen, NULL, NULL, 0, h.status, h.code, h.message, -1);
		} else if (c->refuse == REFUSE_CAP) {
			refuse(c, in, blen, h.method, target, h.target_len, 503, "unavailable",
			       "too many connections; try again shortly", -1);
		} else if (c->refuse == REFUSE_TLS) {
			refuse(c, in, blen, NULL, NULL, 0, 503, "unavailable",
			       "the secure connection could not be set up", -1);
		} else {
			char path[1024];
			size_t plen = h.path_len < sizeof path - 1 ? h.path_len : sizeof path - 1;
			memcpy(path, target, plen);
			path[plen] = '\0';
			const struct server *srv = c->w->server;
			bool auth_first = false;
			size_t limit = srv->body_limit
					       ? srv->body_limit(srv->cfg, h.method, path, h.has_bearer, &auth_first)
					       : (size_t)srv->cfg->max_json_body;
			/* After Expect: 100-continue is answered with a refusal, no body comes: close. */
			long long refused_body = h.expect_continue ? -1 : body;
			if (body > 0 && (unsigned long long)body > limit && auth_first && !h.has_bearer) {
				refuse(c, in, blen, h.method, target, h.target_len, 401, "unauthenticated",
				       "log in first: an Authorization: Bearer token is required", refused_body);
			} else if (body > 0 && (unsigned long long)body > limit) {
				char msg[128];
				snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", limit);
				refuse(c, in, blen, h.method, target, h.target_len, 413, "too_large", msg,
				       refused_body);
			} else {
				evbuffer_remove_buffer(c->stage, in, blen);
				c->body_left = body;
			}
		}
		free(block);
	}
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn_ctx *c = arg;
	if (c->in_cb || !info->n_added)
		return;
	c->in_cb = true;
	conn_bind(c);
	/* The new bytes (at the end) go to the stage; evhttp sees them only once they are checked. */
	size_t len = evbuffer_get_length(buf), fresh = info->n_added;
	if (fresh > len)
		fresh = len;
	struct evbuffer *tmp = c->discarding ? NULL : evbuffer_new();
	if (tmp) {
		evbuffer_remove_buffer(buf, tmp, len - fresh); /* what evhttp has not read yet: keep it */
		evbuffer_add_buffer(c->stage, buf);            /* the new bytes */
		evbuffer_add_buffer(buf, tmp);
		evbuffer_free(tmp);
		process_stage(c, buf);
	} else {
		/* Refused and closing (or out of memory): drop the new bytes. */
		struct evbuffer *keep = evbuffer_new();
		if (keep) {
			evbuffer_remove_buffer(buf, keep, len - fresh);
			evbuffer_drain(buf, evbuffer_get_length(buf));
			evbuffer_add_buffer(buf, keep);
			evbuffer_free(keep);
		} else {
			evbuffer_drain(buf, len);
		}
		c->discarding = true;
	}
	c->in_cb = false;
}

/* ---- accept ---- */

struct bufferevent *conn_accept(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	struct bufferevent *bev = NULL;
	enum refusal refuse_why = REFUSE_NONE;
	if (w->server->ssl_ctx) {
		SSL *ssl = SSL_new(w->server->ssl_ctx);
		if (ssl)
			bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
							     BEV_OPT_CLOSE_ON_FREE);
		if (!bev) {
			/* Never a plain socket that serves requests on the TLS port: it only refuses. */
			refuse_why = REFUSE_TLS;
			log_warning("cannot set up TLS for a new connection (out of memory?)");
		}
	}
	if (!bev)
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL; /* the server then refuses plain requests on a TLS port (server.c) */
	struct conn_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return bev; /* untracked: evhttp's own body cap still bounds it */
	c->w = w;
	c->bev = bev;
	c->fd = -1;
	c->refuse = refuse_why;
	if (refuse_why == REFUSE_NONE && (long)atomic_load(&w->conns_live) >= (long)w->server->cfg->max_connections)
		c->refuse = REFUSE_CAP;
	c->stage = evbuffer_new();
	c->cb = c->stage ? evbuffer_add_cb(bufferevent_get_input(bev), on_input, c) : NULL;
	if (!c->cb) {
		if (c->stage)
			evbuffer_free(c->stage);
		free(c);
		return bev;
	}
	atomic_fetch_add(&w->conns_live, 1);
	TAILQ_INSERT_TAIL(&w->conn_list, c, link);
	/* evhttp sets its callbacks (and so tells which connection this is) when this returns. */
	struct timeval now = {0, 0};
	if (event_base_once(base, -1, EV_TIMEOUT, on_accepted, c, &now) != 0)
		(void)0; /* bound on its first bytes instead */
	return bev;
}

/* ---- replies in flight ---- */

static void on_reply_written(struct evhttp_request *ev, void *arg)
{
	struct conn_ctx *c = arg;
	c->writing--;
	c->w->writing--;
}

void conn_reply_started(struct worker *w, struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	if (!evcon)
		return;
	struct conn_ctx *c = fd_map_get(w, bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)));
	if (!c || c->evcon != evcon)
		return;
	c->writing++;
	w->writing++;
	evhttp_request_set_on_complete_cb(ev, on_reply_written, c);
}

void conn_worker_exit(struct worker *w)
{
	/* Connections evhttp_free closed were forgotten in on_close; these were never bound. */
	struct conn_ctx *c;
	while ((c = TAILQ_FIRST(&w->conn_list)) != NULL) {
		TAILQ_REMOVE(&w->conn_list, c, link);
		atomic_fetch_sub(&w->conns_live, 1);
		evbuffer_free(c->stage);
		free(c);
	}
	free(w->conn_by_fd);
	w->conn_by_fd = NULL;
	w->conn_by_fd_cap = 0;
}
