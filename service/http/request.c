/* One HTTP request in flight: its context, and the only ways to answer it (exactly once).
 * Every reply goes through req_reply, which adds the common headers, writes the access
 * log line, counts metrics and frees the context. */
#include "http/request.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/conn.h"
#include "http/metrics.h"
#include "http/worker.h"

struct req *req_new(struct evhttp_request *ev, struct worker *w)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->ev = ev;
	r->worker = w;
	r->route_index = -1;
	r->start_us = util_monotonic_us();
	worker_request_started(w);
	return r;
}

static void req_free(struct req *r)
{
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	if (r->query) {
		evhttp_clear_headers(r->query);
		free(r->query);
	}
	if (r->data_free)
		r->data_free(r->data);
	free(r->path);
	free(r->body);
	/* In flight from req_new to here: a request whose client left is freed all the same. */
	worker_request_finished(r->worker);
	free(r);
}

/* After the worker's evhttp is freed (shutdown past the drain deadline), a statement's late
 * callback may still answer: its request and connection are gone, so only r is freed. */
bool req_orphaned(const struct req *r)
{
	return r->worker->http == NULL;
}

const char *req_method_name(const struct req *r)
{
	if (req_orphaned(r))
		return "-";
	switch (evhttp_request_get_command(r->ev)) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "UNKNOWN";
}

const char *req_header(const struct req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

const char *req_query(const struct req *r, const char *name)
{
	return r->query ? evhttp_find_header(r->query, name) : NULL;
}

/* Whether addr is one of the comma-separated addresses in list. */
static bool address_listed(const char *list, const char *addr)
{
	size_t n = strlen(addr);
	for (const char *p = list; n && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && !strncmp(p, addr, n))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

const char *req_client_address(struct req *r)
{
	if (r->client[0])
		return r->client;
	struct evhttp_connection *conn = evhttp_request_get_connection(r->ev);
	char *peer = NULL;
	uint16_t port;
	if (conn)
		evhttp_connection_get_peer(conn, &peer, &port);
	snprintf(r->client, sizeof r->client, "%s", peer ? peer : "");
	const char *xff = req_header(r, "X-Forwarded-For");
	if (xff && peer && address_listed(r->worker->server->cfg->trusted_proxies, peer)) {
		/* The proxy appends the address it saw: the last entry is the one to believe. */
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ')
			last++;
		size_t len = strcspn(last, " ");
		if (len > 0 && len < sizeof r->client && strspn(last, "0123456789abcdefABCDEF.:") >= len)
			snprintf(r->client, sizeof r->client, "%.*s", (int)len, last);
	}
	return r->client;
}

bool req_read_body(struct req *r, size_t limit)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	if (len > limit)
		return false;
	free(r->body);
	r->body = malloc(len + 1);
	if (!r->body)
		return false;
	evbuffer_copyout(in, r->body, len);
	r->body[len] = '\0';
	r->body_len = len;
	return true;
}

void req_add_header(struct req *r, const char *name, const char *value)
{
	if (req_orphaned(r))
		return;
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

/* The access log line, formatted by hand: it is written for every request, and building it
 * with jansson was the largest single cost of an autosave in examd (tests/bench notes). */
static void access_log(struct req *r, int status, size_t len, int64_t micros)
{
	if (log_get_level() > LOG_INFO)
		return;
	char line[1024], ts[40];
	const char *uri = evhttp_request_get_uri(r->ev);
	char path[512];
	/* The path without the query string: it may carry search terms, never secrets. */
	snprintf(path, sizeof path, "%s", uri ? uri : "");
	path[strcspn(path, "?")] = '\0';
	util_format_time_us(util_now_us(), ts, sizeof ts);
	size_t n = (size_t)snprintf(line, sizeof line,
				    "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"method\":\"%s\","
				    "\"path\":\"",
				    ts, req_method_name(r));
	n = log_escape(line, n, sizeof line - 200, path);
	n += (size_t)snprintf(line + n, sizeof line - n, "\",\"status\":%d,\"bytes\":%zu,\"ms\":%.3f,\"remote\":\"",
			      status, len, (double)micros / 1000.0);
	n = log_escape(line, n, sizeof line - 100, req_client_address(r));
	if (r->authed) {
		n += (size_t)snprintf(line + n, sizeof line - n, "\",\"user\":\"");
		n = log_escape(line, n, sizeof line - 8, r->user.username);
	}
	n += (size_t)snprintf(line + n, sizeof line - n, "\"}");
	log_line(line, n < sizeof line ? n : sizeof line - 1);
}

/* Sends the reply; body (may be NULL) is handed to evhttp and freed here. */
static void reply_send(struct req *r, int status, const char *content_type, struct evbuffer *body)
{
	if (req_orphaned(r)) {
		if (body)
			evbuffer_free(body);
		req_free(r);
		return;
	}
	size_t len = body ? evbuffer_get_length(body) : 0;
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	if (content_type)
		evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	if (!evhttp_find_header(h, "Cache-Control"))
		evhttp_add_header(h, "Cache-Control", "no-store");
	if (!evhttp_find_header(h, "Content-Security-Policy"))
		evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	if (r->worker->server->ssl_ctx)
		evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
	if (body && evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD)
		evbuffer_drain(body, len);
	int64_t micros = util_monotonic_us() - r->start_us;
	access_log(r, status, len, micros);
	metrics_observe(r->route_index, status, micros);
	/* The reply counts until it is written (or its connection closes), so that a draining
	 * worker does not close a connection with an unsent reply. */
	conn_reply_started(r->worker, r->ev);
	evhttp_send_reply(r->ev, status, NULL, body);
	if (body)
		evbuffer_free(body);
	req_free(r);
}

/* A reply that cannot be built (out of memory): the fixed 503 envelope, with no allocation. */
static void reply_out_of_memory(struct req *r)
{
	static const char text[] = "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\"}}";
	struct evbuffer *buf = evbuffer_new();
	if (buf && evbuffer_add_reference(buf, text, sizeof text - 1, NULL, NULL) != 0) {
		evbuffer_free(buf);
		buf = NULL;
	}
	if (!req_orphaned(r) && !evhttp_find_header(evhttp_request_get_output_headers(r->ev), "Retry-After"))
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "2");
	reply_send(r, 503, "application/json; charset=utf-8", buf);
}

void req_reply(struct req *r, int status, const char *content_type, const void *body, size_t len)
{
	if (req_orphaned(r)) {
		req_free(r);
		return;
	}
	struct evbuffer *buf = NULL;
	if (body && len) {
		buf = evbuffer_new();
		if (!buf || evbuffer_add(buf, body, len) != 0) {
			if (buf)
				evbuffer_free(buf);
			reply_out_of_memory(r);
			return;
		}
	}
	reply_send(r, status, content_type, buf);
}

void req_reply_evbuffer(struct req *r, int status, const char *content_type, struct evbuffer *body)
{
	reply_send(r, status, content_type, body);
}

void req_reply_json_text(struct req *r, int status, const char *json, size_t len)
{
	req_reply(r, status, "application/json; charset=utf-8", json, len);
}

void req_reply_json(struct req *r, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(body);
	if (!text) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	req_reply_json_text(r, status, text, strlen(text));
	free(text);
}

void req_reply_empty(struct req *r, int status)
{
	req_reply(r, status, NULL, NULL, 0);
}

void req_reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	util_utf8_clip(message);
	if ((status == 503 || status == 429) && !req_orphaned(r)) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
		if (!evhttp_find_header(h, "Retry-After"))
			evhttp_add_header(h, "Retry-After", status == 503 ? "2" : "60");
	}
	req_reply_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}
