/* What examd keeps in memory to check a save before sending it: each attempt's question snapshot
 * (question ids, types, number of options), which never changes after the start; and, per attempt,
 * the session last found allowed to save into it (issue #20): its token, its user, the time it stops
 * being valid, trusted only together with the revocation counter (auth_epoch, migration 0030) that
 * this process has applied from the LISTEN connection (api/trust.c). Every trust held is valid as of
 * the applied counter; PostgreSQL compares that counter with its own in the save's statement. */
#ifndef EXAMD_API_SHAPES_H
#define EXAMD_API_SHAPES_H

#include <stdbool.h>

#include "db/pool.h"
#include "domain/attempt.h"

enum shapes_found {
	SHAPES_UNKNOWN,     /* the attempt's snapshot is not in memory (or still loading) */
	SHAPES_NO_QUESTION, /* known, without this question */
	SHAPES_FOUND,
};

/* A save refreshes its session's last_seen (which the database compares with now() - 30 s) when
 * this process has not asked for that for the same session and attempt for this many seconds. */
#define SHAPES_TOUCH_SECONDS 15

/* A save's trust: the applied revocation counter and the session's end (seconds since 1970 as the
 * database reported them); epoch < 0 when the save is not trusted. */
struct shapes_trust {
	long long epoch;
	double until;
};

/* The question of an attempt, from memory; thread-safe. *touch: the save with session token_hash
 * should refresh the session's last_seen (and it is now counted as asked for, SHAPES_TOUCH_SECONDS).
 * *trust: the save's trust (none when it touches: the touch goes with the full check). */
enum shapes_found shapes_lookup(long long attempt, long long question, const char *token_hash, enum attempt_qtype *type,
				int *n_options, bool *touch, struct shapes_trust *trust);

/* The database checked session token_hash of `username` in full for a save into attempt, at
 * revocation counter epoch, and found it valid until `until`: remembered unless this process is not
 * listening or has applied a later counter since (a revocation may have passed it by). */
void shapes_trust_record(long long attempt, const char *token_hash, const char *username, long long epoch,
			 double until);

/* The LISTEN connection is up, at revocation counter epoch (every trust is dropped: what came
 * before was not heard), or down (epoch < 0: every trust is dropped, none is given until it is up). */
void shapes_trust_reset(long long epoch);
/* A revocation notification: counter epoch ended session token_hash (kind 's'), changed user
 * `key` (kind 'u') or anything (kind '*'). A gap in the counter drops every trust. */
void shapes_trust_revoke(long long epoch, char kind, const char *key);
/* The applied counter (-1 while not listening) and the trusts held, for /metrics. */
void shapes_trust_counts(long long *epoch, unsigned long *trusted);

/* Loads an attempt's snapshot in the background on db (the calling worker's pool), unless it is in
 * memory or loading already. The table is direct-mapped (SHAPES_SLOTS attempts): an attempt that
 * meets another's slot replaces it and is loaded again when needed. */
void shapes_load(struct db_pool *db, long long attempt);

/* Puts an attempt's snapshot in memory as a finished load does (n questions: ids, types, option
 * counts), replacing whatever held its slot; for the unit tests. false: out of memory. */
bool shapes_put(long long attempt, int n, const long long *ids, const enum attempt_qtype *types, const int *n_options);

/* Snapshots in memory and loads sent (for /metrics). */
void shapes_counts(unsigned long *cached, unsigned long *loads);

#endif
