/* A small thread pool for CPU-heavy work that must not run on a loop thread.
 * Each job's completion event is created on the submitting loop thread, so posting the result
 * back (event_active, thread-safe once evthread_use_pthreads() has run) cannot fail and never
 * runs loop code on a pool thread. */
#include "http/offload.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct job {
	STAILQ_ENTRY(job) link;
	struct event *done_ev;
	enum offload_class cls;
	offload_fn work, done;
	void *arg;
};

struct offload {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	STAILQ_HEAD(, job) jobs[OFFLOAD_NCLASSES];
	long pending[OFFLOAD_NCLASSES];
	long refused;
	unsigned turn; /* the class to look at first: the threads alternate */
	bool stopping;
	int nthreads;
	pthread_t *threads;
};

static const long class_max[OFFLOAD_NCLASSES] = {
	[OFFLOAD_BULK] = OFFLOAD_MAX_BULK, [OFFLOAD_LOGIN] = OFFLOAD_MAX_LOGIN, [OFFLOAD_CLOSE] = OFFLOAD_MAX_CLOSE};

static void job_done(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	event_free(j->done_ev);
	j->done(j->arg);
	free(j);
}

/* Takes the next job, alternating between the classes; NULL when there is none. Lock held. */
static struct job *next_job(struct offload *o)
{
	for (unsigned k = 0; k < OFFLOAD_NCLASSES; k++) {
		unsigned cls = (o->turn + k) % OFFLOAD_NCLASSES;
		struct job *j = STAILQ_FIRST(&o->jobs[cls]);
		if (j) {
			STAILQ_REMOVE_HEAD(&o->jobs[cls], link);
			o->turn = cls + 1;
			return j;
		}
	}
	return NULL;
}

static void *offload_main(void *arg)
{
	struct offload *o = arg;
#ifdef __linux__
	/* Below the event loops and PostgreSQL: a login storm must not starve exam traffic
	 * (tests/bench: autosave p99 went from 4 ms to 1.2 s while two hash threads ran at full priority). */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
		(void)0; /* not fatal: the threads then share the CPU at the default priority */
#endif
	for (;;) {
		pthread_mutex_lock(&o->lock);
		struct job *j;
		while (!(j = next_job(o)) && !o->stopping)
			pthread_cond_wait(&o->cond, &o->lock);
		pthread_mutex_unlock(&o->lock);
		if (!j)
			return NULL;
		j->work(j->arg);
		pthread_mutex_lock(&o->lock);
		o->pending[j->cls]--;
		pthread_mutex_unlock(&o->lock);
		/* After this call j belongs to the loop thread. */
		event_active(j->done_ev, EV_TIMEOUT, 1);
	}
}

struct offload *offload_new(int threads)
{
	struct offload *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cond, NULL);
	for (int c = 0; c < OFFLOAD_NCLASSES; c++)
		STAILQ_INIT(&o->jobs[c]);
	o->threads = calloc((size_t)threads, sizeof *o->threads);
	for (int i = 0; o->threads && i < threads; i++)
		if (pthread_create(&o->threads[i], NULL, offload_main, o) == 0)
			o->nthreads++;
	if (o->nthreads == 0) {
		offload_free(o);
		return NULL;
	}
	return o;
}

void offload_free(struct offload *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	o->stopping = true;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	/* The threads finish what is queued (next_job before stopping), then leave. */
	for (int i = 0; i < o->nthreads; i++)
		pthread_join(o->threads[i], NULL);
	free(o->threads);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cond);
	free(o);
}

bool offload_submit_to(struct offload *o, enum offload_class cls, struct event_base *base, offload_fn work,
		       offload_fn done, void *arg)
{
	if (!o || (unsigned)cls >= OFFLOAD_NCLASSES)
		return false;
	struct job *j = malloc(sizeof *j);
	if (!j)
		return false;
	*j = (struct job){.cls = cls, .work = work, .done = done, .arg = arg};
	j->done_ev = event_new(base, -1, 0, job_done, j);
	if (!j->done_ev) {
		free(j);
		return false;
	}
	pthread_mutex_lock(&o->lock);
	bool ok = !o->stopping && o->pending[cls] < class_max[cls];
	if (ok) {
		STAILQ_INSERT_TAIL(&o->jobs[cls], j, link);
		o->pending[cls]++;
		pthread_cond_signal(&o->cond);
	} else if (!o->stopping) {
		o->refused++;
	}
	pthread_mutex_unlock(&o->lock);
	if (!ok) {
		event_free(j->done_ev);
		free(j);
	}
	return ok;
}

bool offload_submit(struct offload *o, struct event_base *base, offload_fn work, offload_fn done, void *arg)
{
	return offload_submit_to(o, OFFLOAD_BULK, base, work, done, arg);
}

long offload_pending_class(struct offload *o, enum offload_class cls)
{
	pthread_mutex_lock(&o->lock);
	long n = o->pending[cls];
	pthread_mutex_unlock(&o->lock);
	return n;
}

long offload_pending(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	long n = 0;
	for (int c = 0; c < OFFLOAD_NCLASSES; c++)
		n += o->pending[c];
	pthread_mutex_unlock(&o->lock);
	return n;
}

long offload_refused(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	long n = o->refused;
	pthread_mutex_unlock(&o->lock);
	return n;
}
