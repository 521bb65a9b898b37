/* What examd keeps in memory to check a save before sending it: each attempt's question snapshot
 * (question ids, types, number of options), which never changes after the start. */
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

/* The question of an attempt, from memory; thread-safe. *touch: the save with session token_hash
 * should refresh the session's last_seen (and it is now counted as asked for, SHAPES_TOUCH_SECONDS). */
enum shapes_found shapes_lookup(long long attempt, long long question, const char *token_hash, enum attempt_qtype *type,
				int *n_options, bool *touch);

/* Loads an attempt's snapshot in the background on db (the calling worker's pool), unless it is in
 * memory or loading already. The table is direct-mapped (SHAPES_SLOTS attempts): an attempt that
 * meets another's slot replaces it and is loaded again when needed. */
void shapes_load(struct db_pool *db, long long attempt);

/* Snapshots in memory and loads sent (for /metrics). */
void shapes_counts(unsigned long *cached, unsigned long *loads);

#endif
