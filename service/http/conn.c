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
#include "http/server.h"

enum refusal { REFUSE_NONE, REFUSE_CAP, REFUSE_TLS };

struct conn_ctx {
	TAILQ_ENTRY(conn_ctx) link;
	struct worker *w;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* known from the first loop turn after accept */
	struct evbuffer_cb_entry *cb;
	int fd;
	enum refusal refuse; /* decided at accept: answered at the first request */
	bool discarding;     /* a request was refused: every further byte is dropped */
	char *refusal;       /* the refusal, held back until the refused body has been dropped */
	long long drop_left; /* body bytes of the refused request still to drop before the refusal */
	bool in_cb;          /* our own changes to the buffer do not re-enter */
	size_t checked;      /* bytes at the front of the input already checked (headers and body) */
	long long body_left; /* body bytes of the checked request still to arrive */
	size_t scan;         /* where the search for the end of the next header block resumes */
	int writing;         /* replies given to evhttp and not yet written */
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
	free(c->refusal);
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

/* Puts the held refusal where evhttp reads next (after the checked prefix). */
static void refusal_deliver(struct conn_ctx *c, struct evbuffer *buf)
{
	if (!c->refusal)
		return;
	evbuffer_add(buf, c->refusal, strlen(c->refusal));
	c->checked = evbuffer_get_length(buf);
	free(c->refusal);
	c->refusal = NULL;
}

/* Drops everything after the checked prefix. */
static void drop_tail(struct conn_ctx *c, struct evbuffer *buf)
{
	size_t len = evbuffer_get_length(buf);
	if (len <= c->checked)
		return;
	struct evbuffer *keep = evbuffer_new();
	if (!keep) {
		evbuffer_drain(buf, len); /* nothing better to do: the connection will time out */
		c->checked = 0;
		return;
	}
	evbuffer_remove_buffer(buf, keep, c->checked);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evbuffer_add_buffer(buf, keep);
	evbuffer_free(keep);
}

/* The body of a refused request is dropped as it arrives, up to this much, before the refusal is
 * answered, so that a client that sends its whole body before it reads finds the answer (and not a
 * reset connection). Past it the refusal is answered at once. */
#define DROP_MAX ((long long)64 * 1024 * 1024)

/* Replaces everything from the checked prefix on with a bodiless request that carries the
 * refusal; the rest of the request, and anything after it, is dropped. body_left: body bytes of
 * the refused request not yet in the buffer. */
static void refuse_after(struct conn_ctx *c, struct evbuffer *buf, const char *method, const char *target, size_t tlen,
			 int status, const char *code, const char *message, long long body_left)
{
	char head[1024];
	if (!method || !target || tlen == 0 || tlen > 512) {
		method = "GET";
		target = "/";
		tlen = 1;
	}
	int n = snprintf(head, sizeof head,
			 "%s %.*s HTTP/1.1\r\nHost: examd\r\nConnection: close\r\n" CONN_REFUSED_HEADER
			 ": %d %s %s\r\n\r\n",
			 method, (int)tlen, target, status, code, message);
	drop_tail(c, buf);
	c->discarding = true;
	if (n <= 0 || (size_t)n >= sizeof head || !(c->refusal = strdup(head)))
		return; /* the connection times out */
	c->drop_left = body_left > 0 && body_left <= DROP_MAX ? body_left : 0;
	if (c->drop_left == 0)
		refusal_deliver(c, buf);
}

static void refuse(struct conn_ctx *c, struct evbuffer *buf, const char *method, const char *target, size_t tlen,
		   int status, const char *code, const char *message)
{
	refuse_after(c, buf, method, target, tlen, status, code, message, 0);
}

/* Checks the next header block, starting at c->checked; false when it is not complete yet or the
 * request was refused (nothing more to check). */
static bool check_next(struct conn_ctx *c, struct evbuffer *buf)
{
	size_t len = evbuffer_get_length(buf);
	if (c->scan < c->checked)
		c->scan = c->checked;
	/* Find the end of the block: scan only what was not scanned before (a slow sender costs
	 * linear time), one line at a time. */
	struct evbuffer_ptr p;
	if (evbuffer_ptr_set(buf, &p, c->scan, EVBUFFER_PTR_SET) != 0)
		return false;
	size_t end = 0;
	for (;;) {
		struct evbuffer_ptr nl = evbuffer_search(buf, "\n", 1, &p);
		if (nl.pos < 0)
			break;
		size_t line_start = c->scan;
		size_t at = (size_t)nl.pos;
		size_t n = at - line_start;
		if (n == 1) {
			char ch;
			struct evbuffer_ptr q = p;
			evbuffer_copyout_from(buf, &q, &ch, 1);
			if (ch == '\r')
				n = 0;
		}
		c->scan = at + 1;
		if (n == 0 && line_start > c->checked) {
			end = at + 1;
			break;
		}
		if (n == 0 && line_start == c->checked) {
			end = at + 1; /* an empty request line: headcheck refuses it */
			break;
		}
		if (evbuffer_ptr_set(buf, &p, c->scan, EVBUFFER_PTR_SET) != 0)
			break;
	}
	if (!end) {
		if (len - c->checked > CONN_MAX_HEADER_BYTES)
			refuse(c, buf, NULL, NULL, 0, 431, "too_large", "the request headers are too large");
		return false;
	}
	size_t blen = end - c->checked;
	if (blen > CONN_MAX_HEADER_BYTES) {
		refuse(c, buf, NULL, NULL, 0, 431, "too_large", "the request headers are too large");
		return false;
	}
	char *block = malloc(blen + 1);
	if (!block) {
		refuse(c, buf, NULL, NULL, 0, 503, "unavailable", "out of memory");
		return false;
	}
	struct evbuffer_ptr from;
	evbuffer_ptr_set(buf, &from, c->checked, EVBUFFER_PTR_SET);
	evbuffer_copyout_from(buf, &from, block, blen);
	block[blen] = '\0';
	struct head h;
	enum head_verdict v = head_check(block, blen, CONN_REFUSED_HEADER, &h);
	const char *target = v == HEAD_OK ? block + h.target_off : NULL;
	if (v != HEAD_OK) {
		refuse(c, buf, NULL, NULL, 0, h.status, h.code, h.message);
	} else if (c->refuse == REFUSE_CAP) {
		refuse(c, buf, h.method, target, h.target_len, 503, "unavailable", "too many connections; try again shortly");
	} else if (c->refuse == REFUSE_TLS) {
		refuse(c, buf, NULL, NULL, 0, 503, "unavailable", "the secure connection could not be set up");
	} else {
		char path[1024];
		size_t plen = h.path_len < sizeof path - 1 ? h.path_len : sizeof path - 1;
		memcpy(path, target, plen);
		path[plen] = '\0';
		const struct server *srv = c->w->server;
		bool auth_first = false;
		size_t limit = srv->body_limit ? srv->body_limit(srv->cfg, h.method, path, h.has_bearer, &auth_first)
					       : (size_t)srv->cfg->max_json_body;
		/* The body that follows in the buffer is dropped now, the rest as it comes. */
		long long still = h.expect_continue ? 0 : h.content_length - (long long)(len - end);
		if (h.content_length > 0 && (unsigned long long)h.content_length > limit && auth_first && !h.has_bearer) {
			refuse_after(c, buf, h.method, target, h.target_len, 401, "unauthenticated",
				     "log in first: an Authorization: Bearer token is required", still);
		} else if (h.content_length > 0 && (unsigned long long)h.content_length > limit) {
			char msg[128];
			snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", limit);
			refuse_after(c, buf, h.method, target, h.target_len, 413, "too_large", msg, still);
		} else {
			size_t have = len - end;
			long long body = h.content_length > 0 ? h.content_length : 0;
			size_t take = (unsigned long long)body < have ? (size_t)body : have;
			c->checked = end + take;
			c->body_left = body - (long long)take;
			c->scan = c->checked;
			free(block);
			return true;
		}
	}
	free(block);
	return false;
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn_ctx *c = arg;
	if (c->in_cb)
		return;
	if (info->n_deleted) {
		/* evhttp consumed from the front. */
		size_t d = info->n_deleted;
		c->checked = d < c->checked ? c->checked - d : 0;
		c->scan = d < c->scan ? c->scan - d : 0;
	}
	if (!info->n_added)
		return;
	c->in_cb = true;
	conn_bind(c);
	if (c->discarding) {
		/* Keep what evhttp has not read yet of the refusal; drop the new bytes. */
		size_t fresh = info->n_added;
		drop_tail(c, buf);
		if (c->refusal) {
			c->drop_left -= (long long)fresh;
			if (c->drop_left <= 0)
				refusal_deliver(c, buf);
		}
		c->in_cb = false;
		return;
	}
	size_t fresh = info->n_added;
	if (c->body_left > 0) {
		size_t take = (unsigned long long)c->body_left < fresh ? (size_t)c->body_left : fresh;
		c->checked += take;
		c->scan = c->checked;
		c->body_left -= (long long)take;
	}
	while (!c->discarding && c->body_left == 0 && c->checked < evbuffer_get_length(buf) && check_next(c, buf))
		;
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
			bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
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
	c->cb = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
	if (!c->cb) {
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
		free(c->refusal);
		free(c);
	}
	free(w->conn_by_fd);
	w->conn_by_fd = NULL;
	w->conn_by_fd_cap = 0;
}
