/* hello: the HTTP ceiling for examd's benchmarks. A minimal libevent evhttp server with the same
 * shape as examd's front end (N worker threads, each with its own event base, evhttp and
 * SO_REUSEPORT listener, backlog 1024, the same timeout) answering every request like examd's
 * /healthz: 200 {"status":"ok"} with the same headers. Built by tests/bench/run.sh with cc.
 *
 *   hello --port P [--workers N]      prints "listening" once every worker listens */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int port, workers = 2;

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
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	if (!http) {
		fprintf(stderr, "hello: cannot create the event base\n");
		exit(1);
	}
	evhttp_set_gencb(http, on_request, NULL);
	evhttp_set_timeout(http, 30);
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	struct evconnlistener *l = evconnlistener_new_bind(base, NULL, NULL,
							   LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
								   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
							   1024, (struct sockaddr *)&sin, sizeof sin);
	if (!l || !evhttp_bind_listener(http, l)) {
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
	}
	if (port <= 0 || workers < 1) {
		fprintf(stderr, "usage: hello --port P [--workers N]\n");
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
