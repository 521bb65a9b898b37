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
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "http/conn.h"
#include "http/headcheck.h"
#include "http/metrics.h"
#include "http/worker.h"

/* Indexes the header block in place: the request line's parts and each header's name and value
 * become NUL-terminated strings in buf. The block was checked (http/headcheck.c). */
static bool parse_head(struct req *r, char *block, size_t len)
{
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += block[i] == '\n';
	r->hdr = malloc(sizeof *r->hdr * 2 * (size_t)(lines > 0 ? lines : 1));
	if (!r->hdr)
		return false;
	size_t pos = 0;
	bool first = true;
	while (pos < len) {
		char *line = block + pos;
		char *nl = memchr(line, '\n', len - pos);
		if (!nl)
			break;
		pos = (size_t)(nl - block) + 1;
		char *end = nl;
		if (end > line && end[-1] == '\r')
			end--;
		*end = '\0';
		if (first) {
			/* METHOD SP target SP HTTP/1.x (trailing spaces allowed) */
			first = false;
			while (end > line && end[-1] == ' ')
				*--end = '\0';
			char *sp1 = strchr(line, ' ');
			char *sp2 = strrchr(line, ' ');
			if (!sp1 || !sp2 || sp2 == sp1)
				return false;
			*sp1 = '\0';
			*sp2 = '\0';
			snprintf(r->method, sizeof r->method, "%s", line);
			r->target = sp1 + 1;
			r->minor = sp2[8] == '0' ? 0 : 1;
			continue;
		}
		if (end == line)
			break;
		if (*line == ' ' || *line == '\t')
			continue; /* an obsolete continuation line: its header keeps its first line */
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		r->hdr[2 * r->nhdr] = line;
		r->hdr[2 * r->nhdr + 1] = v;
		r->nhdr++;
	}
	return r->target != NULL;
}

/* Whether the comma-separated list value holds token (case-insensitively). */
static bool list_has(const char *value, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = value; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		size_t t = len;
		while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
			t--;
		if (t == n && !strncasecmp(p, token, n))
			return true;
		p += len;
	}
	return false;
}

static struct req *req_alloc(struct conn *c, struct worker *w, const char *peer)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->conn = c;
	r->worker = w;
	r->route_index = -1;
	r->start_us = util_monotonic_us();
	snprintf(r->peer, sizeof r->peer, "%s", peer ? peer : "");
	return r;
}

struct req *req_new(struct conn *c, struct worker *w, char *buf, size_t head_len, size_t body_len, const char *peer)
{
	struct req *r = req_alloc(c, w, peer);
	if (!r)
		return NULL;
	r->in_body_off = head_len;
	r->in_body_len = body_len;
	buf[head_len + body_len] = '\0';
	if (!parse_head(r, buf, head_len)) {
		free(r->hdr);
		free(r);
		return NULL;
	}
	r->buf = buf;
	head_split_target((char *)r->target, &r->raw_path, &r->raw_query);
	const char *connection = req_header(r, "Connection");
	if (r->minor == 0)
		r->keep_alive = connection && list_has(connection, "keep-alive");
	else
		r->keep_alive = !(connection && list_has(connection, "close"));
	worker_request_started(w);
	return r;
}

bool req_refuse(struct conn *c, struct worker *w, const char *method, const char *target, const char *peer, bool close,
		int status, const char *code, const char *message)
{
	struct req *r = req_alloc(c, w, peer);
	if (!r)
		return false;
	size_t tlen = strlen(target);
	r->buf = malloc(tlen + 1);
	if (!r->buf) {
		free(r);
		return false;
	}
	memcpy(r->buf, target, tlen + 1);
	snprintf(r->method, sizeof r->method, "%s", method);
	r->target = r->buf;
	r->raw_path = r->target;
	r->minor = 1;
	r->keep_alive = !close;
	worker_request_started(w);
	if (status == 503)
		req_add_header(r, "Retry-After", "5");
	req_reply_error(r, status, code, "%s", message);
	return true;
}

void req_detach(struct req *r)
{
	r->conn = NULL;
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
	free(r->hdr);
	free(r->out_headers);
	free(r->buf);
	/* In flight from req_new to here: a request whose client left is freed all the same. */
	worker_request_finished(r->worker);
	free(r);
}

/* After the worker's loop stopped (shutdown past the drain deadline), a statement's late callback
 * may still answer: its request's connection is gone, so only r is freed. */
bool req_orphaned(const struct req *r)
{
	return r->worker->stopped;
}

const char *req_method_name(const struct req *r)
{
	return r->method;
}

const char *req_header(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (!strcasecmp(r->hdr[2 * i], name))
			return r->hdr[2 * i + 1];
	return NULL;
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
	const char *peer = r->peer[0] ? r->peer : NULL;
	snprintf(r->client, sizeof r->client, "%s", r->peer);
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
	if (r->in_body_len > limit || !r->buf)
		return false;
	r->body = r->buf + r->in_body_off;
	r->body_len = r->in_body_len;
	return true;
}

/* Whether the reply already has header name. */
static bool out_has(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t pos = 0; pos < r->out_len;) {
		const char *line = r->out_headers + pos;
		if (!strncasecmp(line, name, n) && line[n] == ':')
			return true;
		const char *nl = memchr(line, '\n', r->out_len - pos);
		if (!nl)
			break;
		pos = (size_t)(nl - r->out_headers) + 1;
	}
	return false;
}

void req_add_header(struct req *r, const char *name, const char *value)
{
	if (req_orphaned(r))
		return;
	size_t nl = strlen(name), vl = strlen(value);
	/* A line break in a header would split the reply (response splitting): never sent. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
		log_warning("a reply header \"%s\" with a line break was not sent", name);
		return;
	}
	size_t need = r->out_len + nl + vl + 4 + 1;
	if (need > r->out_cap) {
		size_t cap = r->out_cap ? r->out_cap : 256;
		while (cap < need)
			cap *= 2;
		char *p = realloc(r->out_headers, cap);
		if (!p)
			return;
		r->out_headers = p;
		r->out_cap = cap;
	}
	char *p = r->out_headers + r->out_len;
	memcpy(p, name, nl);
	p[nl] = ':';
	p[nl + 1] = ' ';
	memcpy(p + nl + 2, value, vl);
	p[nl + 2 + vl] = '\r';
	p[nl + 3 + vl] = '\n';
	r->out_len += nl + vl + 4;
}

/* The access log line, formatted by hand: it is written for every request, and building it
 * with jansson was the largest single cost of an autosave in examd (tests/bench notes). */
static void access_log(struct req *r, int status, size_t len, int64_t micros)
{
	if (log_get_level() > LOG_INFO)
		return;
	char line[1024], ts[40];
	char path[512];
	/* The path without the query string: it may carry search terms, never secrets. */
	snprintf(path, sizeof path, "%s", r->raw_path ? r->raw_path : r->target ? r->target : "");
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

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 422:
		return "Unprocessable Content";
	case 423:
		return "Locked";
	case 428:
		return "Precondition Required";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
}

/* The Date header's value, formatted once a second per thread. */
static const char *http_date(void)
{
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char text[40];
	time_t now = time(NULL);
	if (now != cached_sec) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		cached_sec = now;
	}
	return text;
}

/* Sends the reply; body (may be NULL) is moved to the connection and freed here. */
static void reply_send(struct req *r, int status, const char *content_type, struct evbuffer *body)
{
	if (req_orphaned(r) || !r->conn) {
		if (body)
			evbuffer_free(body);
		req_free(r);
		return;
	}
	size_t len = body ? evbuffer_get_length(body) : 0;
	if (content_type)
		req_add_header(r, "Content-Type", content_type);
	req_add_header(r, "X-Content-Type-Options", "nosniff");
	req_add_header(r, "Referrer-Policy", "no-referrer");
	if (!out_has(r, "Cache-Control"))
		req_add_header(r, "Cache-Control", "no-store");
	if (!out_has(r, "Content-Security-Policy"))
		req_add_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	if (r->worker->server->ssl_ctx)
		req_add_header(r, "Strict-Transport-Security", "max-age=31536000");
	bool head = !strcmp(r->method, "HEAD");
	bool no_body = status == 204 || status == 304 || status < 200;
	if (body && (head || no_body))
		evbuffer_drain(body, len);
	/* A draining worker closes each connection after its reply: the client goes to another process. */
	bool close = !r->keep_alive || r->worker->draining;
	int64_t micros = util_monotonic_us() - r->start_us;
	access_log(r, status, len, micros);
	metrics_observe(r->route_index, status, micros);
	char stack[2048];
	size_t cap = r->out_len + 256;
	char *h = cap <= sizeof stack ? stack : malloc(cap);
	if (!h) {
		if (body)
			evbuffer_free(body);
		struct conn *c = r->conn;
		req_free(r);
		static const char oom[] =
			"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		conn_send(c, oom, sizeof oom - 1, NULL, true);
		return;
	}
	int n = snprintf(h, cap, "HTTP/1.%d %d %s\r\nDate: %s\r\n", r->minor, status, reason_phrase(status),
			 http_date());
	if (!no_body)
		n += snprintf(h + n, cap - (size_t)n, "Content-Length: %zu\r\n", len);
	if (r->out_len) {
		memcpy(h + n, r->out_headers, r->out_len);
		n += (int)r->out_len;
	}
	if (close)
		n += snprintf(h + n, cap - (size_t)n, "Connection: close\r\n\r\n");
	else if (r->minor == 0)
		n += snprintf(h + n, cap - (size_t)n, "Connection: keep-alive\r\n\r\n");
	else
		n += snprintf(h + n, cap - (size_t)n, "\r\n");
	struct conn *c = r->conn;
	/* The request is done before its connection goes on (which may read the next one). */
	req_free(r);
	conn_send(c, h, (size_t)n, body, close);
	if (h != stack)
		free(h);
	if (body)
		evbuffer_free(body);
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
	if (!out_has(r, "Retry-After"))
		req_add_header(r, "Retry-After", "2");
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
	if ((status == 503 || status == 429) && !out_has(r, "Retry-After"))
		req_add_header(r, "Retry-After", status == 503 ? "2" : "60");
	req_reply_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}
