/* Process-wide request metrics (lock-free counters), rendered in Prometheus text format. */
#ifndef EXAMD_HTTP_METRICS_H
#define EXAMD_HTTP_METRICS_H

#include <stdint.h>

#define METRICS_MAX_ROUTES 96

struct evbuffer;
struct route;

/* route_index -1 counts as "unmatched". */
void metrics_observe(int route_index, int status, int64_t duration_us);
void metrics_render(struct evbuffer *out, const struct route *routes, int nroutes);

#endif
