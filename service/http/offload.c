/* A small thread pool for CPU-heavy work (password hashing) that must not run on a loop thread.
 * Results come back to the submitting worker's event loop through event_base_once, which is
 * thread-safe once evthread_use_pthreads() has run. */
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
	struct event_base *base;
	offload_fn work, done;
	void *arg;
};

struct offload {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	STAILQ_HEAD(, job) jobs;
	long pending;
	bool stopping;
	int nthreads;
	pthread_t *threads;
};

static void job_done(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	j->done(j->arg);
	free(j);
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
		while (STAILQ_EMPTY(&o->jobs) && !o->stopping)
			pthread_cond_wait(&o->cond, &o->lock);
		struct job *j = STAILQ_FIRST(&o->jobs);
		if (j)
			STAILQ_REMOVE_HEAD(&o->jobs, link);
		pthread_mutex_unlock(&o->lock);
		if (!j)
			return NULL;
		j->work(j->arg);
		pthread_mutex_lock(&o->lock);
		o->pending--;
		pthread_mutex_unlock(&o->lock);
		struct timeval now = {0, 0};
		if (event_base_once(j->base, -1, EV_TIMEOUT, job_done, j, &now) != 0) {
			/* The loop is gone: finish here rather than leak. */
			j->done(j->arg);
			free(j);
		}
	}
}

struct offload *offload_new(int threads)
{
	struct offload *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cond, NULL);
	STAILQ_INIT(&o->jobs);
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
	for (int i = 0; i < o->nthreads; i++)
		pthread_join(o->threads[i], NULL);
	free(o->threads);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cond);
	free(o);
}

bool offload_submit(struct offload *o, struct event_base *base, offload_fn work, offload_fn done, void *arg)
{
	struct job *j = malloc(sizeof *j);
	if (!j)
		return false;
	*j = (struct job){.base = base, .work = work, .done = done, .arg = arg};
	pthread_mutex_lock(&o->lock);
	bool ok = !o->stopping;
	if (ok) {
		STAILQ_INSERT_TAIL(&o->jobs, j, link);
		o->pending++;
		pthread_cond_signal(&o->cond);
	}
	pthread_mutex_unlock(&o->lock);
	if (!ok)
		free(j);
	return ok;
}

long offload_pending(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	long n = o->pending;
	pthread_mutex_unlock(&o->lock);
	return n;
}
