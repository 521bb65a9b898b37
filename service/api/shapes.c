/* Attempts' question snapshots and save trusts in memory (see shapes.h): one process-wide
 * direct-mapped table under a mutex, shared by the workers; lookups copy a few numbers out under the
 * lock. The applied revocation counter lives under the same lock, so a trust is recorded or given
 * out in one order with every revocation the LISTEN thread applies. */
#include "api/shapes.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define SHAPES_SLOTS 65536 /* 512 kB of pointers; ~1 kB per loaded 40-question attempt */

struct shape_q {
	long long id;
	unsigned char type, n_options;
};

struct shape {
	long long attempt;
	uint64_t stamp; /* which load this is: a finished load fills only its own placeholder */
	bool loading;
	uint64_t touch_key;  /* the session (a hash of its token hash) that last asked for a touch */
	int64_t touched_sec; /* when, on the monotonic clock */
	bool trusted;        /* trust_token of trust_user may save until trust_until (see shapes.h) */
	double trust_until;
	char trust_token[65];
	char trust_user[72];
	int n;
	struct shape_q q[]; /* sorted by id */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct shape *table[SHAPES_SLOTS];
static uint64_t next_stamp;
static unsigned long n_cached, n_loads;
static long long applied = -1; /* the revocation counter applied; -1: not listening */
static unsigned long n_trusted;

static size_t slot_of(long long attempt)
{
	uint64_t h = (uint64_t)attempt * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(h >> 48) & (SHAPES_SLOTS - 1);
}

static int cmp_q(const void *a, const void *b)
{
	long long x = ((const struct shape_q *)a)->id, y = ((const struct shape_q *)b)->id;
	return x < y ? -1 : x > y;
}

static uint64_t token_key(const char *token_hash)
{
	uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)token_hash; *p; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	return h | 1; /* never 0, the value of "no session yet" */
}

enum shapes_found shapes_lookup(long long attempt, long long question, const char *token_hash, enum attempt_qtype *type,
				int *n_options, bool *touch, struct shapes_trust *trust)
{
	enum shapes_found found = SHAPES_UNKNOWN;
	*touch = false;
	trust->epoch = -1;
	trust->until = 0;
	uint64_t key = token_key(token_hash);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	pthread_mutex_lock(&lock);
	struct shape *s = table[slot_of(attempt)];
	if (s && s->attempt == attempt && !s->loading) {
		struct shape_q qkey = {.id = question};
		const struct shape_q *q = bsearch(&qkey, s->q, (size_t)s->n, sizeof *s->q, cmp_q);
		found = q ? SHAPES_FOUND : SHAPES_NO_QUESTION;
		if (q) {
			*type = (enum attempt_qtype)q->type;
			*n_options = q->n_options;
			if (s->touch_key != key || now.tv_sec - s->touched_sec >= SHAPES_TOUCH_SECONDS) {
				*touch = true;
				s->touch_key = key;
				s->touched_sec = now.tv_sec;
			} else if (s->trusted && applied >= 0 && !strcmp(s->trust_token, token_hash)) {
				trust->epoch = applied;
				trust->until = s->trust_until;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

/* Under the lock: drops the trust of s. */
static void untrust(struct shape *s)
{
	if (s && s->trusted) {
		s->trusted = false;
		n_trusted--;
	}
}

void shapes_trust_record(long long attempt, const char *token_hash, const char *username, long long epoch, double until)
{
	if (strlen(token_hash) >= sizeof table[0]->trust_token || strlen(username) >= sizeof table[0]->trust_user)
		return;
	pthread_mutex_lock(&lock);
	struct shape *s = table[slot_of(attempt)];
	/* A check at a counter older than the applied one may predate a revocation applied since. */
	if (s && s->attempt == attempt && !s->loading && applied >= 0 && epoch >= applied) {
		if (!s->trusted)
			n_trusted++;
		s->trusted = true;
		s->trust_until = until;
		strcpy(s->trust_token, token_hash);
		strcpy(s->trust_user, username);
	}
	pthread_mutex_unlock(&lock);
}

/* Under the lock: drops every trust. */
static void untrust_all(void)
{
	for (size_t i = 0; n_trusted > 0 && i < SHAPES_SLOTS; i++)
		untrust(table[i]);
}

void shapes_trust_reset(long long epoch)
{
	pthread_mutex_lock(&lock);
	untrust_all();
	applied = epoch < 0 ? -1 : epoch;
	pthread_mutex_unlock(&lock);
}

void shapes_trust_revoke(long long epoch, char kind, const char *key)
{
	pthread_mutex_lock(&lock);
	if (applied >= 0) {
		if (kind == '*' || epoch > applied + 1) {
			untrust_all(); /* anything, or a gap: notifications were missed */
		} else {
			for (size_t i = 0; n_trusted > 0 && i < SHAPES_SLOTS; i++) {
				struct shape *s = table[i];
				if (s && s->trusted && !strcmp(kind == 's' ? s->trust_token : s->trust_user, key))
					untrust(s);
			}
		}
		if (epoch > applied)
			applied = epoch;
	}
	pthread_mutex_unlock(&lock);
}

void shapes_trust_counts(long long *epoch, unsigned long *trusted)
{
	pthread_mutex_lock(&lock);
	*epoch = applied;
	*trusted = n_trusted;
	pthread_mutex_unlock(&lock);
}

struct load {
	long long attempt;
	uint64_t stamp;
};

/* Under the lock: the slot's shape if it is the placeholder of this load. */
static struct shape **own_slot(const struct load *l)
{
	struct shape **slot = &table[slot_of(l->attempt)];
	return *slot && (*slot)->attempt == l->attempt && (*slot)->stamp == l->stamp && (*slot)->loading ? slot : NULL;
}

static void on_loaded(const struct db_result *res, void *arg)
{
	struct load *l = arg;
	int n = db_result_status(res) == DB_OK ? db_result_rows(res) : -1;
	struct shape *s = n >= 0 ? malloc(sizeof *s + (size_t)n * sizeof s->q[0]) : NULL;
	for (int k = 0; s && k < n; k++) {
		enum attempt_qtype t;
		long n_opt = db_result_long(res, k, 2);
		/* A type or an option count examd cannot check leaves the whole attempt to the database. */
		if (!attempt_qtype_parse(db_result_value(res, k, 1), &t) || n_opt < 0 || n_opt > 255) {
			free(s);
			s = NULL;
			break;
		}
		s->q[k] = (struct shape_q){.id = strtoll(db_result_value(res, k, 0), NULL, 10),
					   .type = (unsigned char)t,
					   .n_options = (unsigned char)n_opt};
	}
	if (s) {
		s->attempt = l->attempt;
		s->stamp = l->stamp;
		s->loading = false;
		s->touch_key = 0;
		s->touched_sec = 0;
		s->trusted = false;
		s->n = n;
		qsort(s->q, (size_t)n, sizeof *s->q, cmp_q);
	}
	pthread_mutex_lock(&lock);
	struct shape **slot = own_slot(l);
	if (slot) {
		untrust(*slot);
		free(*slot);
		*slot = s; /* NULL when the load failed: the next save asks again */
		if (s)
			n_cached++;
		s = NULL;
	}
	pthread_mutex_unlock(&lock);
	free(s); /* replaced meanwhile by another attempt's load */
	free(l);
}

void shapes_load(struct db_pool *db, long long attempt)
{
	struct load *l = malloc(sizeof *l);
	struct shape *p = malloc(sizeof *p);
	if (!l || !p) {
		free(l);
		free(p);
		return;
	}
	pthread_mutex_lock(&lock);
	struct shape **slot = &table[slot_of(attempt)];
	if (*slot && (*slot)->attempt == attempt) {
		pthread_mutex_unlock(&lock);
		free(l);
		free(p);
		return;
	}
	if (*slot && !(*slot)->loading)
		n_cached--;
	untrust(*slot);
	free(*slot);
	*p = (struct shape){.attempt = attempt, .stamp = ++next_stamp, .loading = true};
	*slot = p;
	*l = (struct load){.attempt = attempt, .stamp = p->stamp};
	n_loads++;
	pthread_mutex_unlock(&lock);
	char id[24];
	snprintf(id, sizeof id, "%lld", attempt);
	const char *params[] = {id};
	if (!db_query(db, "SELECT question_id, type, n_options FROM examd_attempt_questions_shape($1::bigint)", 1,
		      params, on_loaded, l)) {
		pthread_mutex_lock(&lock);
		struct shape **mine = own_slot(l);
		if (mine) {
			untrust(*mine);
			free(*mine);
			*mine = NULL;
		}
		pthread_mutex_unlock(&lock);
		free(l);
	}
}

bool shapes_put(long long attempt, int n, const long long *ids, const enum attempt_qtype *types, const int *n_options)
{
	struct shape *s = malloc(sizeof *s + (size_t)n * sizeof s->q[0]);
	if (!s)
		return false;
	*s = (struct shape){.attempt = attempt, .n = n};
	for (int k = 0; k < n; k++)
		s->q[k] = (struct shape_q){
			.id = ids[k], .type = (unsigned char)types[k], .n_options = (unsigned char)n_options[k]};
	qsort(s->q, (size_t)n, sizeof *s->q, cmp_q);
	pthread_mutex_lock(&lock);
	struct shape **slot = &table[slot_of(attempt)];
	if (*slot && !(*slot)->loading)
		n_cached--;
	untrust(*slot);
	free(*slot);
	s->stamp = ++next_stamp;
	*slot = s;
	n_cached++;
	pthread_mutex_unlock(&lock);
	return true;
}

void shapes_counts(unsigned long *cached, unsigned long *loads)
{
	pthread_mutex_lock(&lock);
	*cached = n_cached;
	*loads = n_loads;
	pthread_mutex_unlock(&lock);
}
