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

/* The question of an attempt, from memory; thread-safe. */
enum shapes_found shapes_lookup(long long attempt, long long question, enum attempt_qtype *type, int *n_options);

/* Loads an attempt's snapshot in the background on db (the calling worker's pool), unless it is in
 * memory or loading already. The table is direct-mapped (SHAPES_SLOTS attempts): an attempt that
 * meets another's slot replaces it and is loaded again when needed. */
void shapes_load(struct db_pool *db, long long attempt);

/* Snapshots in memory and loads sent (for /metrics). */
void shapes_counts(unsigned long *cached, unsigned long *loads);

#endif
