/* A small thread pool for CPU-heavy work (password hashing, bank parsing) that must not run on a
 * loop thread. Results come back to the submitting worker's event loop.
 *
 * Two classes of work with their own bounded queues: logins (scrypt) and bulk work (imports and
 * other parsing). The threads take from the two queues in turn, so a flood of logins delays an
 * import by at most one login, and a full queue refuses new work (the caller answers 503 with
 * Retry-After) instead of growing without bound. */
#ifndef EXAMD_HTTP_OFFLOAD_H
#define EXAMD_HTTP_OFFLOAD_H

#include <stdbool.h>

#include "core/util.h"

struct event_base;
struct offload;

typedef void (*offload_fn)(void *arg);

/* Closing exams at their deadline (scoring batches) has a queue of its own, so that neither a
 * login flood nor a row of listings delays a close by more than one job each. */
enum offload_class { OFFLOAD_BULK, OFFLOAD_LOGIN, OFFLOAD_CLOSE, OFFLOAD_NCLASSES };

/* Jobs waiting or running per class before offload_submit refuses more. */
#define OFFLOAD_MAX_LOGIN 64
#define OFFLOAD_MAX_BULK 32
#define OFFLOAD_MAX_CLOSE 16

struct offload *offload_new(int threads);
/* Finishes queued jobs first; their done() callbacks are left active on their bases (run them
 * with one non-blocking loop pass per base before freeing it). */
void offload_free(struct offload *o);
/* work(arg) runs on a pool thread, then done(arg) on base's loop thread, always on a later loop
 * turn (never on the caller's stack). Must be called on base's loop thread. Returns false, and
 * neither function ever runs, when the class's queue is full, memory is short or the pool stops. */
bool offload_submit_to(struct offload *o, enum offload_class cls, struct event_base *base, offload_fn work,
		       offload_fn done, void *arg) MUST_CHECK;
/* offload_submit_to(o, OFFLOAD_BULK, ...). */
bool offload_submit(struct offload *o, struct event_base *base, offload_fn work, offload_fn done, void *arg) MUST_CHECK;
long offload_pending(struct offload *o);
long offload_pending_class(struct offload *o, enum offload_class cls);
/* Submissions refused because a queue was full, since start. */
long offload_refused(struct offload *o);

#endif
