/* Closing one attempt with its saved answers: read the scoring input, score it with the exact scorer
 * (domain/attempt.c), close it with examd_attempt_close; again when an answer arrived in between.
 * Used by submit, the proctor's close and a start that finds an expired open attempt. */
#ifndef EXAMD_API_CLOSER_H
#define EXAMD_API_CLOSER_H

#include <stdbool.h>

#include "core/config.h"
#include "db/pool.h"

struct closer;
typedef void (*closer_done)(struct closer *c, bool ok);

/* Scores and closes one attempt: read the scoring input, score, close; again if an answer
 * arrived in between (the close refuses a stale digest of the answers, migration 0010).
 * done runs once (ok: closed now or already closed) and owns c: it frees it. */
struct closer {
	struct db_pool *db;
	const struct config *cfg;
	char id[24];
	char status[16]; /* submitted | auto_submitted */
	char actor[72];
	int tries;
	closer_done done;
	void *arg;
	char version[24];
};

/* A closer of attempt id as status (submitted | auto_submitted) by actor; NULL when out of memory. */
struct closer *closer_new(struct db_pool *db, const struct config *cfg, const char *id, const char *status,
			  const char *actor, closer_done done, void *arg);
/* Starts it: reads the attempt's scoring input (done runs later, or at once when nothing was sent). */
void closer_read(struct closer *c);

#endif
