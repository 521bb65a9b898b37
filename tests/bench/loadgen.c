/* loadgen: a small HTTP/1.1 keep-alive load generator for examd's benchmarks (libevent, one event
 * base per thread). Built by tests/bench/run.sh with cc; not part of examd.
 *
 *   loadgen --port P (--path /healthz | --requests FILE) [options]
 *
 * Requests FILE: one request per line, tab-separated: METHOD PATH TOKEN BODY ("-" for none).
 * Requests are taken in file order by all connections together (one shared index), so a file
 * written round-robin over attempts keeps concurrent saves on different attempts.
 *
 *   --connections C   load connections (closed loop: each sends its next request when the
 *                     previous answer is in; open loop: the pool that carries --rate)
 *   --threads T       event-loop threads (default 2)
 *   --duration S      measured seconds (after --warmup S, default 0)
 *   --rate R          open loop: R requests/s on a fixed schedule; latency counts from the
 *                     scheduled time, so queueing behind a slow server is included
 *   --once            send every request of the file exactly once, then stop
 *   --hold N          N extra keep-alive connections held open (opened at --connect-rate per
 *                     second), each sending GET /healthz every --ping S seconds (default 20)
 *   --timeout S       a request unanswered after S seconds is an error (default 30)
 *
 * Prints one JSON object: requests, status counts, errors, throughput and latency percentiles
 * (microsecond resolution, all samples kept and sorted), plus the held connections' state.
 * No pass/fail: the figures are for the bench table. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct tpl {
	char *buf;
	size_t len;
};

static struct {
	const char *host;
	int port;
	const char *path;
	const char *file;
	const char *label;
	int conns, threads, hold;
	double duration, warmup, rate, timeout, ping, connect_rate;
	bool once;
} opt = {"127.0.0.1", 0, NULL, NULL, "load", 16, 2, 0, 10, 0, 0, 30, 20, 2000, false};

static struct tpl *tpls;
static size_t ntpl;
static struct tpl ping_tpl;
static atomic_size_t next_index;
static atomic_int threads_done;
static struct sockaddr_in server_addr;

enum cstate { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY, C_FINISHED };

struct conn {
	struct thr *t;
	int fd;
	struct event *ev;
	enum cstate state;
	bool hold, is_ping, ever_ok, last_ok;
	const struct tpl *req;
	size_t woff;
	int64_t t_sched, t_sent, last_used, retry_at;
	char *rbuf;
	size_t rlen, rcap;
	bool in_idle;
	TAILQ_ENTRY(conn) idle_link;
};
TAILQ_HEAD(conn_list, conn);

struct stats {
	uint32_t *lat; /* microseconds */
	size_t n, cap;
	uint64_t status[600];
	uint64_t conn_errors, timeouts, reconnects, fd_errors, warm, unfinished, completed;
	uint64_t ping_ok, ping_err;
	uint32_t *plat;
	size_t pn, pcap;
	size_t pending_max;
};

struct thr {
	int id;
	pthread_t th;
	struct event_base *base;
	struct conn *conns;
	int nload, nhold, hold_opened;
	struct conn_list idle;
	int64_t *ring; /* open loop: scheduled times waiting for a free connection */
	size_t rhead, rtail, rcap;
	double rate;
	uint64_t issued;
	int64_t start_us, warm_us, end_us;
	struct event *tick;
	struct stats st;
	bool stopping;
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void push_u32(uint32_t **a, size_t *n, size_t *cap, uint32_t v)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 65536;
		*a = realloc(*a, *cap * sizeof **a);
		if (!*a) {
			perror("realloc");
			exit(2);
		}
	}
	(*a)[(*n)++] = v;
}

static void conn_connect(struct conn *c);
static void conn_send(struct conn *c, const struct tpl *req, int64_t sched);
static void conn_ready(struct conn *c);

static void conn_close(struct conn *c)
{
	struct thr *t = c->t;
	if (c->in_idle) {
		TAILQ_REMOVE(&t->idle, c, idle_link);
		c->in_idle = false;
	}
	if (c->ev) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = C_DOWN;
	c->rlen = 0;
}

/* The connection broke or timed out: count, close, and connect again (now or shortly). */
static void conn_fail(struct conn *c, bool during_request, bool timeout)
{
	struct thr *t = c->t;
	int64_t n = now_us();
	enum cstate was = c->state;
	if (during_request) {
		if (c->is_ping) {
			t->st.ping_err++;
		} else if (n >= t->warm_us) {
			if (timeout)
				t->st.timeouts++;
			else
				t->st.conn_errors++;
		}
		c->last_ok = false;
	} else if (was == C_IDLE) {
		t->st.reconnects++;
	}
	conn_close(c);
	c->retry_at = during_request || was == C_CONNECTING ? n + 100000 : n;
	if (!t->stopping)
		conn_connect(c);
}

/* Parses a complete response if there is one: returns the status, 0 if more bytes are needed,
 * -1 if malformed. *close_after is set for "Connection: close". */
static int parse_response(struct conn *c, bool *close_after)
{
	char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
	if (!end)
		return 0;
	size_t hlen = (size_t)(end - c->rbuf) + 4;
	if (c->rlen < 12 || strncmp(c->rbuf, "HTTP/1.", 7) != 0)
		return -1;
	int status = atoi(c->rbuf + 9);
	long clen = -1;
	*close_after = false;
	for (char *p = c->rbuf; p < end;) {
		char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
		if (!eol)
			break;
		if (eol - p > 15 && !strncasecmp(p, "Content-Length:", 15))
			clen = strtol(p + 15, NULL, 10);
		else if (eol - p > 11 && !strncasecmp(p, "Connection:", 11) && strcasestr(p, "close") &&
			 strcasestr(p, "close") < eol)
			*close_after = true;
		else if (eol - p > 18 && !strncasecmp(p, "Transfer-Encoding:", 18))
			return -1; /* chunked replies are not expected from examd or the hello server */
		p = eol + 2;
	}
	if (clen < 0)
		clen = 0;
	if (c->rlen < hlen + (size_t)clen)
		return 0;
	if (status < 100 || status > 599)
		return -1;
	return status;
}

static void on_response(struct conn *c, int status, bool close_after)
{
	struct thr *t = c->t;
	int64_t n = now_us();
	c->state = C_IDLE;
	c->rlen = 0;
	c->last_used = n;
	if (!c->is_ping)
		t->st.completed++; /* every answer, in the window or not */
	if (c->is_ping) {
		bool ok = status >= 200 && status < 300;
		if (!ok) {
			t->st.ping_err++;
		} else if (c->t_sent >= t->warm_us) { /* latency of pings after the warm-up (the connect ramp) */
			t->st.ping_ok++;
			push_u32(&t->st.plat, &t->st.pn, &t->st.pcap, (uint32_t)(n - c->t_sent));
		}
		if (ok && !c->ever_ok) /* first answer: spread this connection's pings over the interval */
			c->last_used = n - (int64_t)((double)rand() / RAND_MAX * opt.ping * 1e6);
		c->ever_ok |= ok;
		c->last_ok = ok;
	} else if (t->rate > 0 ? c->t_sched >= t->warm_us && c->t_sched <= t->end_us
			       : n >= t->warm_us && n <= t->end_us) {
		t->st.status[status]++;
		int64_t lat = n - c->t_sched;
		push_u32(&t->st.lat, &t->st.n, &t->st.cap, lat > 0 ? (uint32_t)lat : 0);
	} else if (n < t->warm_us) {
		t->st.warm++;
	}
	if (close_after) {
		conn_close(c);
		if (!t->stopping)
			conn_connect(c);
		return;
	}
	conn_ready(c);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			c->t->st.conn_errors++;
			conn_fail(c, false, false);
			return;
		}
		event_del(c->ev);
		event_assign(c->ev, c->t->base, fd, EV_READ | EV_PERSIST, on_event, c);
		event_add(c->ev, NULL);
		c->state = C_IDLE;
		c->last_used = now_us();
		if (c->hold) {
			c->t->hold_opened++;
			c->is_ping = true;
			conn_send(c, &ping_tpl, now_us());
		} else {
			conn_ready(c);
		}
		return;
	}
	if (what & EV_WRITE) {
		ssize_t w = write(fd, c->req->buf + c->woff, c->req->len - c->woff);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			conn_fail(c, true, false);
			return;
		}
		if (w > 0)
			c->woff += (size_t)w;
		if (c->woff == c->req->len) {
			event_del(c->ev);
			event_assign(c->ev, c->t->base, fd, EV_READ | EV_PERSIST, on_event, c);
			event_add(c->ev, NULL);
		}
		return;
	}
	for (;;) {
		if (c->rcap - c->rlen < 16384) {
			c->rcap = c->rcap ? c->rcap * 2 : 32768;
			c->rbuf = realloc(c->rbuf, c->rcap);
			if (!c->rbuf) {
				perror("realloc");
				exit(2);
			}
		}
		ssize_t r = read(fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (r <= 0) {
			conn_fail(c, c->state == C_BUSY, false);
			return;
		}
		c->rlen += (size_t)r;
		if ((size_t)r < c->rcap - c->rlen + (size_t)r)
			break;
	}
	if (c->state != C_BUSY) {
		c->rlen = 0; /* nothing asked: ignore */
		return;
	}
	bool close_after = false;
	int status = parse_response(c, &close_after);
	if (status < 0) {
		conn_fail(c, true, false);
		return;
	}
	if (status > 0)
		on_response(c, status, close_after);
}

static void conn_connect(struct conn *c)
{
	struct thr *t = c->t;
	int64_t n = now_us();
	if (c->retry_at > n) {
		c->state = C_DOWN; /* the tick connects it later */
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		t->st.fd_errors++;
		c->retry_at = n + 1000000;
		c->state = C_DOWN;
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	c->state = C_CONNECTING;
	c->ev = event_new(t->base, fd, EV_WRITE, on_event, c);
	if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0 && errno != EINPROGRESS) {
		t->st.conn_errors++;
		conn_close(c);
		c->retry_at = n + 100000;
		return;
	}
	event_add(c->ev, NULL);
}

static void conn_send(struct conn *c, const struct tpl *req, int64_t sched)
{
	c->req = req;
	c->woff = 0;
	c->t_sched = sched;
	c->t_sent = now_us();
	c->state = C_BUSY;
	c->rlen = 0;
	ssize_t w = write(c->fd, req->buf, req->len);
	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		conn_fail(c, true, false);
		return;
	}
	if (w > 0)
		c->woff = (size_t)w;
	if (c->woff < req->len) {
		event_del(c->ev);
		event_assign(c->ev, c->t->base, c->fd, EV_WRITE | EV_PERSIST, on_event, c);
		event_add(c->ev, NULL);
	}
}

static const struct tpl *next_tpl(void)
{
	size_t i = atomic_fetch_add(&next_index, 1);
	if (opt.once && i >= ntpl)
		return NULL;
	return &tpls[i % ntpl];
}

/* An idle load connection: send the next request (closed loop), or the oldest scheduled one
 * (open loop), or wait in the idle queue. */
static void conn_ready(struct conn *c)
{
	struct thr *t = c->t;
	c->is_ping = false;
	if (c->hold || t->stopping)
		return;
	if (t->rate > 0) {
		if (t->rhead != t->rtail) {
			int64_t sched = t->ring[t->rhead++ % t->rcap];
			conn_send(c, next_tpl(), sched);
		} else if (!c->in_idle) {
			TAILQ_INSERT_TAIL(&t->idle, c, idle_link);
			c->in_idle = true;
		}
		return;
	}
	const struct tpl *req = next_tpl();
	if (!req) {
		c->state = C_FINISHED;
		return;
	}
	conn_send(c, req, now_us());
}

static bool all_finished(struct thr *t)
{
	for (int i = 0; i < t->nload; i++)
		if (t->conns[i].state != C_FINISHED)
			return false;
	return true;
}

static bool open_loop_in_flight(struct thr *t)
{
	if (t->rhead != t->rtail)
		return true;
	for (int i = 0; i < t->nload; i++)
		if (t->conns[i].state == C_BUSY)
			return true;
	return false;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct thr *t = arg;
	int64_t n = now_us();
	bool stop = false;
	if (opt.once)
		stop = all_finished(t);
	else if (n >= t->end_us)
		stop = t->rate <= 0 || n >= t->end_us + 5000000 || !open_loop_in_flight(t);
	if (stop) {
		t->stopping = true;
		if (opt.once)
			t->end_us = n;
		if (t->rate > 0) { /* scheduled in the window but never answered: the server fell behind */
			for (int i = 0; i < t->nload; i++)
				if (t->conns[i].state == C_BUSY && !t->conns[i].is_ping &&
				    t->conns[i].t_sched <= t->end_us)
					t->st.unfinished++;
			t->st.unfinished += t->rtail - t->rhead;
		}
		event_base_loopbreak(t->base);
		return;
	}
	/* Open loop: everything scheduled up to now goes out on a free connection or waits. */
	if (t->rate > 0 && n >= t->start_us && n < t->end_us) {
		/* request k is due at start + k / rate: k = 0 at once, then one every 1 / rate */
		uint64_t due = (uint64_t)((double)(n - t->start_us) * t->rate / 1e6) + 1;
		while (t->issued < due) {
			int64_t sched = t->start_us + (int64_t)((double)t->issued * 1e6 / t->rate);
			t->issued++;
			struct conn *c = TAILQ_FIRST(&t->idle);
			if (c) {
				TAILQ_REMOVE(&t->idle, c, idle_link);
				c->in_idle = false;
				conn_send(c, next_tpl(), sched);
			} else {
				if (t->rtail - t->rhead == t->rcap) {
					size_t ncap = t->rcap * 2;
					int64_t *nr = malloc(ncap * sizeof *nr);
					for (size_t i = t->rhead; i < t->rtail; i++)
						nr[i - t->rhead] = t->ring[i % t->rcap];
					t->rtail -= t->rhead;
					t->rhead = 0;
					free(t->ring);
					t->ring = nr;
					t->rcap = ncap;
				}
				t->ring[t->rtail++ % t->rcap] = sched;
				if (t->rtail - t->rhead > t->st.pending_max)
					t->st.pending_max = t->rtail - t->rhead;
			}
		}
	}
	/* Timeouts, reconnects, held connections: opening at the connect rate, and pings. */
	int64_t timeout = (int64_t)(opt.timeout * 1e6), ping = (int64_t)(opt.ping * 1e6);
	double elapsed = (double)(n - t->start_us) / 1e6 + 1.0;
	int may_open = (int)(elapsed * opt.connect_rate / opt.threads) - t->hold_opened;
	static __thread int64_t last_scan;
	if (n - last_scan < 50000)
		return;
	last_scan = n;
	int total = t->nload + t->nhold;
	for (int i = 0; i < total; i++) {
		struct conn *c = &t->conns[i];
		if (c->state == C_BUSY && n - c->t_sent > timeout) {
			conn_fail(c, true, true);
		} else if (c->state == C_DOWN && c->fd < 0 && c->retry_at <= n) {
			if (c->hold && !c->ever_ok && c->retry_at == 0) {
				if (may_open <= 0)
					continue;
				may_open--;
			}
			c->retry_at = 0;
			conn_connect(c);
			if (c->hold && c->state == C_DOWN && c->retry_at == 0)
				c->retry_at = n + 1000000;
		} else if (c->hold && c->state == C_IDLE && n - c->last_used > ping) {
			c->is_ping = true;
			conn_send(c, &ping_tpl, n);
		}
	}
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	/* A precise clock: by default libevent times events with CLOCK_MONOTONIC_COARSE (a kernel tick,
	 * 4 ms here), which would hold open-loop sends back by milliseconds. */
	struct event_config *cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	t->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!t->base) {
		fprintf(stderr, "event_base_new failed\n");
		exit(2);
	}
	TAILQ_INIT(&t->idle);
	t->rcap = 4096;
	t->ring = malloc(t->rcap * sizeof *t->ring);
	int total = t->nload + t->nhold;
	t->conns = calloc((size_t)total, sizeof *t->conns);
	int64_t n = now_us();
	t->start_us = n + 200000; /* connections first */
	t->warm_us = t->start_us + (int64_t)(opt.warmup * 1e6);
	t->end_us = t->warm_us + (int64_t)(opt.duration * 1e6);
	if (opt.once)
		t->warm_us = 0, t->end_us = INT64_MAX;
	for (int i = 0; i < total; i++) {
		struct conn *c = &t->conns[i];
		c->t = t;
		c->fd = -1;
		c->state = C_DOWN;
		c->hold = i >= t->nload;
		/* spread the pings of held connections over the ping interval */
		c->last_used = n - (int64_t)((double)rand() / RAND_MAX * opt.ping * 1e6);
		if (!c->hold)
			conn_connect(c);
	}
	struct timeval tv = {0, t->rate > 0 ? 250 : 20000}; /* open loop: sends within 0.25 ms of schedule */
	t->tick = event_new(t->base, -1, EV_PERSIST, on_tick, t);
	event_add(t->tick, &tv);
	event_base_dispatch(t->base);
	atomic_fetch_add(&threads_done, 1);
	return NULL;
}

static void build_tpl(struct tpl *t, const char *method, const char *path, const char *token, const char *body)
{
	char auth[512] = "";
	if (token && strcmp(token, "-") != 0)
		snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
	bool has_body = body && strcmp(body, "-") != 0;
	bool needs_len = has_body || !strcmp(method, "POST") || !strcmp(method, "PUT");
	size_t blen = has_body ? strlen(body) : 0;
	char clen[96] = "";
	if (needs_len)
		snprintf(clen, sizeof clen, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
	size_t cap = strlen(method) + strlen(path) + strlen(auth) + strlen(clen) + blen + 128;
	t->buf = malloc(cap);
	int len = snprintf(t->buf, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: examd-loadgen\r\n%s%s\r\n%s",
			   method, path, opt.host, opt.port, auth, clen, has_body ? body : "");
	t->len = (size_t)len;
}

static void load_file(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		exit(2);
	}
	size_t cap = 1024;
	tpls = malloc(cap * sizeof *tpls);
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		char *fields[4] = {0};
		char *p = line;
		for (int i = 0; i < 4; i++) {
			fields[i] = p;
			p = i < 3 ? strchr(p, '\t') : NULL;
			if (i < 3) {
				if (!p) {
					fprintf(stderr, "%s: a line needs 4 tab-separated fields\n", file);
					exit(2);
				}
				*p++ = '\0';
			}
		}
		if (ntpl == cap)
			tpls = realloc(tpls, (cap *= 2) * sizeof *tpls);
		build_tpl(&tpls[ntpl++], fields[0], fields[1], fields[2], fields[3]);
	}
	free(line);
	fclose(f);
	if (!ntpl) {
		fprintf(stderr, "%s: no requests\n", file);
		exit(2);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double q)
{
	if (!n)
		return 0;
	size_t i = (size_t)ceil(q * (double)n);
	if (i < 1)
		i = 1;
	return v[i - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && (i++, 1))
		if (ARG("--host"))
			opt.host = v;
		else if (ARG("--port"))
			opt.port = atoi(v);
		else if (ARG("--path"))
			opt.path = v;
		else if (ARG("--requests"))
			opt.file = v;
		else if (ARG("--label"))
			opt.label = v;
		else if (ARG("--connections"))
			opt.conns = atoi(v);
		else if (ARG("--threads"))
			opt.threads = atoi(v);
		else if (ARG("--hold"))
			opt.hold = atoi(v);
		else if (ARG("--duration"))
			opt.duration = atof(v);
		else if (ARG("--warmup"))
			opt.warmup = atof(v);
		else if (ARG("--rate"))
			opt.rate = atof(v);
		else if (ARG("--timeout"))
			opt.timeout = atof(v);
		else if (ARG("--ping"))
			opt.ping = atof(v);
		else if (ARG("--connect-rate"))
			opt.connect_rate = atof(v);
		else if (!strcmp(a, "--once"))
			opt.once = true;
		else {
			fprintf(stderr,
				"loadgen: unknown or incomplete option %s (see the comment at the top of loadgen.c)\n",
				a);
			return 2;
		}
	}
	if (!opt.port || (!opt.path && !opt.file) || opt.threads < 1 || opt.conns < 1) {
		fprintf(stderr, "usage: loadgen --port P (--path P | --requests FILE) [--connections C] [--threads T] "
				"[--duration S] [--warmup S] [--rate R] [--once] [--hold N] [--ping S]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)getpid());
	memset(&server_addr, 0, sizeof server_addr);
	server_addr.sin_family = AF_INET;
	server_addr.sin_port = htons((uint16_t)opt.port);
	if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) {
		fprintf(stderr, "loadgen: --host must be a numeric IPv4 address\n");
		return 2;
	}
	if (opt.file) {
		load_file(opt.file);
	} else {
		tpls = calloc(1, sizeof *tpls);
		ntpl = 1;
		build_tpl(&tpls[0], "GET", opt.path, NULL, NULL);
	}
	build_tpl(&ping_tpl, "GET", "/healthz", NULL, NULL);
	if (opt.threads > opt.conns)
		opt.threads = opt.conns;
	struct thr *ts = calloc((size_t)opt.threads, sizeof *ts);
	for (int i = 0; i < opt.threads; i++) {
		ts[i].id = i;
		ts[i].nload = opt.conns / opt.threads + (i < opt.conns % opt.threads);
		ts[i].nhold = opt.hold / opt.threads + (i < opt.hold % opt.threads);
		ts[i].rate = opt.rate / opt.threads;
	}
	int64_t t0 = now_us();
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&ts[i].th, NULL, thread_main, &ts[i]);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(ts[i].th, NULL);
	int64_t t1 = now_us();

	/* Merge. */
	struct stats all = {0};
	int64_t start = INT64_MAX, end = 0;
	int hold_open = 0, hold_ok_end = 0, hold_ever = 0, load_up = 0;
	for (int i = 0; i < opt.threads; i++) {
		struct thr *t = &ts[i];
		struct stats *s = &t->st;
		for (size_t k = 0; k < s->n; k++)
			push_u32(&all.lat, &all.n, &all.cap, s->lat[k]);
		for (size_t k = 0; k < s->pn; k++)
			push_u32(&all.plat, &all.pn, &all.pcap, s->plat[k]);
		for (int k = 0; k < 600; k++)
			all.status[k] += s->status[k];
		all.conn_errors += s->conn_errors;
		all.timeouts += s->timeouts;
		all.reconnects += s->reconnects;
		all.fd_errors += s->fd_errors;
		all.ping_ok += s->ping_ok;
		all.ping_err += s->ping_err;
		all.warm += s->warm;
		all.unfinished += s->unfinished;
		all.completed += s->completed;
		all.pending_max += s->pending_max;
		int64_t ws = opt.once ? t->start_us - 200000 : t->warm_us;
		if (ws < start)
			start = ws;
		if (t->end_us > end)
			end = t->end_us;
		for (int k = 0; k < t->nload + t->nhold; k++) {
			struct conn *c = &t->conns[k];
			bool up = c->state == C_IDLE || c->state == C_BUSY || c->state == C_FINISHED;
			if (c->hold) {
				hold_open += up;
				hold_ok_end += up && c->last_ok;
				hold_ever += c->ever_ok;
			} else {
				load_up += up;
			}
		}
	}
	if (opt.once) {
		start = t0;
		end = t1;
	}
	qsort(all.lat, all.n, sizeof *all.lat, cmp_u32);
	qsort(all.plat, all.pn, sizeof *all.plat, cmp_u32);
	double secs = (double)(end - start) / 1e6;
	uint64_t ok = 0, bad = 0;
	for (int k = 0; k < 600; k++) {
		if (k >= 200 && k < 300)
			ok += all.status[k];
		else
			bad += all.status[k];
	}
	double sum = 0;
	for (size_t k = 0; k < all.n; k++)
		sum += all.lat[k];
	printf("{\"label\":\"%s\",\"seconds\":%.3f,\"requests\":%zu,\"ok\":%llu,\"non_2xx\":%llu,\"conn_errors\":%llu,"
	       "\"timeouts\":%llu,\"unfinished\":%llu,\"errors\":%llu,\"rps\":%.1f,\"ok_rps\":%.1f,\"mean_ms\":%.3f,\"p50_ms\":%.3f,"
	       "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"reconnects\":%llu,\"fd_errors\":%llu,"
	       "\"pending_max\":%zu,\"completed\":%llu,\"rate\":%.1f,\"connections\":%d,\"load_connections_up\":%d,\"status\":{",
	       opt.label, secs, all.n, (unsigned long long)ok, (unsigned long long)bad,
	       (unsigned long long)all.conn_errors, (unsigned long long)all.timeouts,
	       (unsigned long long)all.unfinished,
	       (unsigned long long)(bad + all.conn_errors + all.timeouts + all.unfinished), secs > 0 ? all.n / secs : 0,
	       secs > 0 ? ok / secs : 0, all.n ? sum / all.n / 1000.0 : 0, pct(all.lat, all.n, 0.50),
	       pct(all.lat, all.n, 0.90), pct(all.lat, all.n, 0.99), pct(all.lat, all.n, 0.999),
	       all.n ? all.lat[all.n - 1] / 1000.0 : 0, (unsigned long long)all.reconnects,
	       (unsigned long long)all.fd_errors, all.pending_max, (unsigned long long)all.completed, opt.rate,
	       opt.conns, load_up);
	bool first = true;
	for (int k = 0; k < 600; k++) {
		if (all.status[k]) {
			printf("%s\"%d\":%llu", first ? "" : ",", k, (unsigned long long)all.status[k]);
			first = false;
		}
	}
	printf("},\"hold\":{\"asked\":%d,\"open_at_end\":%d,\"ok_at_end\":%d,\"ever_ok\":%d,\"pings_ok\":%llu,"
	       "\"pings_failed\":%llu,\"ping_p99_ms\":%.3f}}\n",
	       opt.hold, hold_open, hold_ok_end, hold_ever, (unsigned long long)all.ping_ok,
	       (unsigned long long)all.ping_err, pct(all.plat, all.pn, 0.99));
	return 0;
}
