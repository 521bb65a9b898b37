/* One-shot synchronous statements for the command-line tools (never used on a loop thread). */
#ifndef EXAMD_DB_SYNC_H
#define EXAMD_DB_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Connects, runs one parameterised statement, and returns the first column of the first row
 * (malloc'd; NULL when there is no row). false with a message in err on any failure. */
bool db_sync_value(const char *conninfo, const char *sql, int n, const char *const *params, char **out, char *err,
		   size_t errlen) MUST_CHECK;

#endif
