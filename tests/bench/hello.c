/* hello: the HTTP ceiling for examd's benchmarks. A minimal libevent server with the same shape as
 * examd's front end (N worker threads, each with its own event base and SO_REUSEPORT listener,
 * backlog 1024) answering every request like examd's /healthz: 200 {"status":"ok"} with the same
 * headers. Built by tests/bench/run.sh with cc.
 *
 *   hello --port P [--workers N] [--engine lean|evhttp]   prints "listening" once every worker listens
 *
 * lean (the default): what examd's http/conn.c does at the least: a persistent read event per
 * connection, read(2) into a buffer, find each request's end (headers and Content-Length), one
 * write(2) of the replies. evhttp: libevent's HTTP server, which examd used until 2026-12-02. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int port, workers = 2;
static int lean = 1;

/* ---- lean ---- */

struct lconn {
	int fd;
	struct event *ev;
	size_t len;
	char buf[16384];
};

static void lean_close(struct lconn *c)
{
	event_free(c->ev);
	close(c->fd);
	free(c);
}

static void lean_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct lconn *c = arg;
	ssize_t n = read(fd, c->buf + c->len, sizeof c->buf - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		lean_close(c);
		return;
	}
	c->len += (size_t)n;
	char out[8192], date[40];
	size_t olen = 0;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (!end)
			break;
		size_t head = (size_t)(end + 4 - c->buf), body = 0;
		for (char *p = c->buf; p && p < end; p = memchr(p, '\n', (size_t)(end - p)), p = p ? p + 1 : NULL)
			if (!strncasecmp(p, "Content-Length:", 15))
				body = strtoul(p + 15, NULL, 10);
		if (head + body > sizeof c->buf) {
			lean_close(c);
			return;
		}
		if (c->len < head + body || olen + 512 > sizeof out)
			break;
		olen += (size_t)snprintf(
			out + olen, sizeof out - olen,
			"HTTP/1.1 200 OK\r\nDate: %s\r\nContent-Length: 15\r\n"
			"Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
			"Referrer-Policy: no-referrer\r\nCache-Control: no-store\r\n"
			"Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n\r\n"
			"{\"status\":\"ok\"}",
			date);
		memmove(c->buf, c->buf + head + body, c->len - head - body);
		c->len -= head + body;
	}
	if (olen && write(fd, out, olen) < 0 && errno != EAGAIN)
		lean_close(c);
}

static void lean_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)sa;
	(void)salen;
	struct lconn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	c->ev = event_new(arg, fd, EV_READ | EV_PERSIST, lean_read, c);
	event_add(c->ev, NULL);
}

/* ---- evhttp ---- */

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	static const char ok[] = "{\"status\":\"ok\"}";
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	struct evbuffer *buf = evbuffer_new();
	evbuffer_add(buf, ok, sizeof ok - 1);
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

static void *worker(void *arg)
{
	pthread_barrier_t *ready = arg;
	struct event_base *base = event_base_new();
	struct evhttp *http = base && !lean ? evhttp_new(base) : NULL;
	if (!base || (!lean && !http)) {
		fprintf(stderr, "hello: cannot create the event base\n");
		exit(1);
	}
	if (http) {
		evhttp_set_gencb(http, on_request, NULL);
		evhttp_set_timeout(http, 30);
		evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	}
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	struct evconnlistener *l = evconnlistener_new_bind(base, lean ? lean_accept : NULL, lean ? base : NULL,
							   LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
								   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
							   1024, (struct sockaddr *)&sin, sizeof sin);
	if (!l || (http && !evhttp_bind_listener(http, l))) {
		fprintf(stderr, "hello: cannot listen on 127.0.0.1:%d\n", port);
		exit(1);
	}
	pthread_barrier_wait(ready);
	event_base_dispatch(base);
	return NULL;
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--workers"))
			workers = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--engine"))
			lean = strcmp(argv[i + 1], "evhttp") != 0;
	}
	if (port <= 0 || workers < 1) {
		fprintf(stderr, "usage: hello --port P [--workers N] [--engine lean|evhttp]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_barrier_t ready;
	pthread_barrier_init(&ready, NULL, (unsigned)workers + 1);
	pthread_t *th = calloc((size_t)workers, sizeof *th);
	for (int i = 0; i < workers; i++)
		pthread_create(&th[i], NULL, worker, &ready);
	pthread_barrier_wait(&ready);
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	return 0;
}
