/* Process-wide request metrics (lock-free counters), rendered in Prometheus text format. */
#include "http/metrics.h"

#include <event2/buffer.h>
#include <stdatomic.h>
#include <stdio.h>

#include "http/router.h"

static const double bucket_seconds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof bucket_seconds / sizeof bucket_seconds[0])

struct route_metrics {
	_Atomic uint64_t by_class[6]; /* index status/100 */
	_Atomic uint64_t buckets[NBUCKETS];
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
};

static struct route_metrics metrics[METRICS_MAX_ROUTES + 1];

void metrics_observe(int route_index, int status, int64_t duration_us)
{
	int slot = route_index < 0 || route_index >= METRICS_MAX_ROUTES ? METRICS_MAX_ROUTES : route_index;
	struct route_metrics *m = &metrics[slot];
	int cls = status / 100;
	if (cls < 1 || cls > 5)
		cls = 0;
	atomic_fetch_add_explicit(&m->by_class[cls], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, (uint64_t)(duration_us > 0 ? duration_us : 0), memory_order_relaxed);
	for (size_t i = 0; i < NBUCKETS; i++)
		if ((double)duration_us <= bucket_seconds[i] * 1e6) {
			atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);
			break;
		}
}

static void route_label(const struct route *routes, int nroutes, int slot, char *buf, size_t len)
{
	if (slot < nroutes)
		snprintf(buf, len, "method=\"%s\",route=\"%s\"", routes[slot].method, routes[slot].pattern);
	else
		snprintf(buf, len, "method=\"\",route=\"unmatched\"");
}

void metrics_render(struct evbuffer *out, const struct route *routes, int nroutes)
{
	char label[256];
	evbuffer_add_printf(out, "# HELP examd_http_requests_total HTTP requests answered, by route and status class.\n"
				 "# TYPE examd_http_requests_total counter\n");
	for (int slot = 0; slot <= METRICS_MAX_ROUTES; slot++) {
		if (slot >= nroutes && slot != METRICS_MAX_ROUTES)
			continue;
		struct route_metrics *m = &metrics[slot];
		route_label(routes, nroutes, slot, label, sizeof label);
		for (int cls = 1; cls <= 5; cls++) {
			uint64_t v = atomic_load(&m->by_class[cls]);
			if (v)
				evbuffer_add_printf(out, "examd_http_requests_total{%s,code=\"%dxx\"} %llu\n", label,
						    cls, (unsigned long long)v);
		}
	}
	evbuffer_add_printf(out, "# HELP examd_http_request_duration_seconds Time from request to reply, by route.\n"
				 "# TYPE examd_http_request_duration_seconds histogram\n");
	for (int slot = 0; slot <= METRICS_MAX_ROUTES; slot++) {
		if (slot >= nroutes && slot != METRICS_MAX_ROUTES)
			continue;
		struct route_metrics *m = &metrics[slot];
		uint64_t count = atomic_load(&m->count);
		if (!count)
			continue;
		route_label(routes, nroutes, slot, label, sizeof label);
		uint64_t cumulative = 0;
		for (size_t i = 0; i < NBUCKETS; i++) {
			cumulative += atomic_load(&m->buckets[i]);
			evbuffer_add_printf(out, "examd_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
					    label, bucket_seconds[i], (unsigned long long)cumulative);
		}
		evbuffer_add_printf(out, "examd_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", label,
				    (unsigned long long)count);
		evbuffer_add_printf(out, "examd_http_request_duration_seconds_sum{%s} %.6f\n", label,
				    (double)atomic_load(&m->sum_us) / 1e6);
		evbuffer_add_printf(out, "examd_http_request_duration_seconds_count{%s} %llu\n", label,
				    (unsigned long long)count);
	}
}
