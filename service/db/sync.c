/* One-shot synchronous statements for the command-line tools (never used on a loop thread). */
#include "db/sync.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool db_sync_value(const char *conninfo, const char *sql, int n, const char *const *params, char **out, char *err,
		   size_t errlen)
{
	const char *keys[] = {"fallback_application_name", "dbname", NULL};
	const char *vals[] = {"examd-cli", conninfo, NULL};
	*out = NULL;
	PGconn *db = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(db));
		PQfinish(db);
		return false;
	}
	PGresult *res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "%s", PQerrorMessage(db));
	else if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(db);
	return ok;
}
