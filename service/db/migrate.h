/* Schema migrations and the model's version-1 seed. Synchronous libpq: for the CLI and
 * start-up only, never on an event-loop thread. */
#ifndef EXAMD_DB_MIGRATE_H
#define EXAMD_DB_MIGRATE_H

#include <stdbool.h>

#include "core/util.h"

/* Under an advisory lock: applies pending migrations/NNNN_*.sql in order (each in its own
 * transaction, recorded with its checksum in schema_migrations; a changed applied file is refused),
 * then every migrations/functions/<area>.sql whose checksum changed (one transaction, recorded in
 * schema_functions), then seeds model version 1 if absent. Safe to run concurrently from several
 * processes. */
enum migrate_result {
	MIGRATE_OK,
	MIGRATE_UNREACHABLE, /* the database did not answer: worth retrying */
	MIGRATE_FAILED,      /* a migration failed or the schema is newer than this examd */
};
enum migrate_result migrate_run(const char *conninfo, const char *dir) MUST_CHECK;

#endif
