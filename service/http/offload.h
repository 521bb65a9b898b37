/* A small thread pool for CPU-heavy work (password hashing) that must not run on a loop thread.
 * Results come back to the submitting worker's event loop. */
#ifndef EXAMD_HTTP_OFFLOAD_H
#define EXAMD_HTTP_OFFLOAD_H

#include <stdbool.h>

#include "core/util.h"

struct event_base;
struct offload;

typedef void (*offload_fn)(void *arg);

struct offload *offload_new(int threads);
void offload_free(struct offload *o); /* finishes queued jobs first */
/* work(arg) runs on a pool thread, then done(arg) on base's loop thread. */
bool offload_submit(struct offload *o, struct event_base *base, offload_fn work, offload_fn done, void *arg) MUST_CHECK;
long offload_pending(struct offload *o);

#endif
