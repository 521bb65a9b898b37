/* Schema migrations, function files and the model's version-1 seed. Synchronous libpq: for the
 * CLI and start-up only, never on an event-loop thread.
 *
 * migrations/NNNN_*.sql hold schema changes: each is applied once, in order, in its own
 * transaction, and recorded in schema_migrations with its SHA-256; a recorded file that changed
 * afterwards is refused (numbered migrations are immutable). migrations/functions/<area>.sql hold every
 * function and trigger, one file per area, written with CREATE OR REPLACE: a file is applied
 * whenever its SHA-256 differs from the one recorded in schema_functions (Flyway's repeatable
 * migrations), all changed files in one transaction, after the numbered ones. */
#include "db/migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

extern const char examd_model_json[];

#define MIGRATE_LOCK_KEY "7311560234407012001" /* an arbitrary constant shared by all examd processes */

/* The last numbered migration written before functions moved to migrations/functions/ (main at
 * efaa608, 2026-12-02). Migrations up to it no longer create functions, and three of them no
 * longer run the data moves that called those functions: a database migrated part of the way to
 * it has to be brought there by an examd of that time first. */
#define MIGRATE_SPLIT_VERSION "0023_ratings_errors_with_codes.sql"

#define SHA256_HEX 65

static bool exec_ok(PGconn *db, const char *sql, int n, const char *const *params, const char *what)
{
	PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		log_error("%s failed: %s", what, PQerrorMessage(db));
	PQclear(r);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = '\0';
	fclose(f);
	return buf;
}

/* A script's result: the last statement's (an all-comment file is an empty query). */
static bool script_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static bool sha256_hex(const char *text, char out[SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL))
		return false;
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return true;
}

/* *applied is set when the migration ran now. */
static bool apply_one(PGconn *db, const char *dir, const char *name, bool *applied)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *sql = read_file(path);
	char sum[SHA256_HEX] = "";
	if (!sql || !sha256_hex(sql, sum)) {
		log_error("cannot read migration %s", path);
		free(sql);
		return false;
	}
	const char *params[] = {name, sum};
	PGresult *r = PQexecParams(db, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, NULL, params,
				   NULL, NULL, 0);
	bool failed = PQresultStatus(r) != PGRES_TUPLES_OK;
	bool done = !failed && PQntuples(r) == 1;
	/* Recorded without a checksum: applied before checksums were kept (and possibly since rewritten
	 * when functions moved out): accepted as it is. */
	bool changed = done && !PQgetisnull(r, 0, 0) && strcmp(PQgetvalue(r, 0, 0), sum) != 0;
	PQclear(r);
	if (failed || changed) {
		if (failed)
			log_error("cannot read schema_migrations: %s", PQerrorMessage(db));
		else
			log_error("migration %s was changed after it was applied to this database: numbered migrations "
				  "are immutable; put the change in a new migration (or a function file)",
				  name);
		free(sql);
		return false;
	}
	if (done) {
		free(sql);
		return true;
	}
	bool ok = exec_ok(db, "BEGIN", 0, NULL, "BEGIN");
	if (ok) {
		PGresult *res = PQexec(db, sql);
		ok = script_ok(res);
		if (!ok)
			log_error("migration %s failed: %s", name, PQerrorMessage(db));
		PQclear(res);
	}
	ok = ok && exec_ok(db, "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", 2, params,
			   "recording a migration");
	ok = ok && exec_ok(db, "COMMIT", 0, NULL, "COMMIT");
	if (!ok)
		PQclear(PQexec(db, "ROLLBACK"));
	else
		log_json(LOG_INFO, json_pack("{s:s,s:s}", "msg", "migration applied", "version", name));
	*applied = *applied || ok;
	free(sql);
	return ok;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* The sorted names in dir matching pattern (an extended regex); NULL on error, *n = 0 when none. */
static char **list_files(const char *dir, const char *pattern, size_t *n, bool missing_ok)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (!missing_ok)
			log_error("cannot open the migrations folder %s", dir);
		return missing_ok ? calloc(1, sizeof(char *)) : NULL;
	}
	char **names = calloc(1, sizeof *names);
	regex_t re;
	regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	struct dirent *e;
	while (names && (e = readdir(d)) != NULL) {
		if (regexec(&re, e->d_name, 0, NULL, 0) != 0)
			continue;
		char **grown = realloc(names, (*n + 2) * sizeof *names);
		if (!grown) {
			free_names(names, *n);
			names = NULL;
			break;
		}
		names = grown;
		names[*n] = strdup(e->d_name);
		if (!names[*n]) {
			free_names(names, *n);
			names = NULL;
			break;
		}
		names[++*n] = NULL;
	}
	regfree(&re);
	closedir(d);
	if (!names) {
		log_error("out of memory listing %s", dir);
		*n = 0;
		return NULL;
	}
	qsort(names, *n, sizeof *names, cmp_names);
	return names;
}

/* A database migrated part of the way to MIGRATE_SPLIT_VERSION (see there). */
static bool not_partly_legacy(PGconn *db)
{
	const char *params[] = {MIGRATE_SPLIT_VERSION};
	PGresult *r = PQexecParams(db,
				   "SELECT count(*) FILTER (WHERE version <= $1), bool_or(version = $1)"
				   " FROM schema_migrations",
				   1, NULL, params, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		log_error("cannot read schema_migrations: %s", PQerrorMessage(db));
	else if (strcmp(PQgetvalue(r, 0, 0), "0") != 0 && strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
		log_error("this database was migrated by an examd older than 2026-12-02 (it lacks %s): migrate it "
			  "with examd at commit efaa608 first, then with this one",
			  MIGRATE_SPLIT_VERSION);
		ok = false;
	}
	PQclear(r);
	return ok;
}

/* Applies every function file whose checksum changed (every file when all is set: a numbered
 * migration just ran, and it may have dropped what a file defines, e.g. a trigger with its table),
 * in one transaction, with body checks off (a file may call a function of a file applied after it). */
static bool apply_functions(PGconn *db, const char *dir, bool all)
{
	char fdir[4096];
	snprintf(fdir, sizeof fdir, "%s/functions", dir);
	size_t n = 0;
	char **names = list_files(fdir, "^[a-z0-9_]+\\.sql$", &n, true);
	if (!names)
		return false;
	bool ok = exec_ok(
		db,
		"CREATE TABLE IF NOT EXISTS schema_functions ("
		" file text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
		0, NULL, "creating schema_functions");
	ok = ok && exec_ok(db, "BEGIN", 0, NULL, "BEGIN");
	ok = ok && exec_ok(db, "SET LOCAL check_function_bodies = off", 0, NULL, "SET");
	for (size_t i = 0; ok && i < n; i++) {
		char path[8192], sum[SHA256_HEX] = "";
		snprintf(path, sizeof path, "%s/%s", fdir, names[i]);
		char *sql = read_file(path);
		if (!sql || !sha256_hex(sql, sum)) {
			log_error("cannot read function file %s", path);
			free(sql);
			ok = false;
			break;
		}
		const char *params[] = {names[i], sum};
		PGresult *r = PQexecParams(db, "SELECT 1 FROM schema_functions WHERE file = $1 AND checksum = $2", 2,
					   NULL, params, NULL, NULL, 0);
		bool same = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		if (ok && (all || !same)) {
			PGresult *res = PQexec(db, sql);
			ok = script_ok(res);
			if (!ok)
				log_error("function file %s failed: %s", names[i], PQerrorMessage(db));
			PQclear(res);
			ok = ok &&
			     exec_ok(db,
				     "INSERT INTO schema_functions (file, checksum) VALUES ($1, $2)"
				     " ON CONFLICT (file) DO UPDATE SET checksum = excluded.checksum, applied_at = now()",
				     2, params, "recording a function file");
			if (ok)
				log_json(LOG_INFO, json_pack("{s:s,s:s,s:s}", "msg", "function file applied", "file",
							     names[i], "checksum", sum));
		}
		free(sql);
	}
	ok = ok && exec_ok(db, "COMMIT", 0, NULL, "COMMIT");
	if (!ok)
		PQclear(PQexec(db, "ROLLBACK"));
	free_names(names, n);
	return ok;
}

/* A database migrated by a newer examd has versions this one does not know: refuse to run
 * against it rather than misread a schema we do not understand. */
static bool schema_not_newer(PGconn *db, char **names, size_t n)
{
	PGresult *r = PQexec(db, "SELECT version FROM schema_migrations ORDER BY version");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		const char *v = PQgetvalue(r, i, 0);
		bool known = false;
		for (size_t k = 0; k < n && !known; k++)
			known = strcmp(names[k], v) == 0;
		if (!known) {
			log_error(
				"the database has migration %s, which this examd does not know: it was migrated by a newer "
				"examd; run that version (or restore a matching backup)",
				v);
			ok = false;
		}
	}
	PQclear(r);
	return ok;
}

/* Version 1 of the model, straight from the embedded model data ($1). */
static const char *const seed_statements[] = {
	"INSERT INTO model_categories (code, position, name_zh, name_en, description_zh, description_en) "
	"SELECT c->>'code', o, c->>'name_zh', c->>'name_en', coalesce(c->>'description_zh', ''), "
	"       coalesce(c->>'description_en', '') "
	"FROM jsonb_array_elements($1::jsonb->'categories') WITH ORDINALITY AS t(c, o)",

	"INSERT INTO model_levels (code, rank, name_zh, name_en, definition_zh, definition_en) "
	"SELECT l->>'code', o - 1, l->>'name_zh', l->>'name_en', coalesce(l->'definition_zh', '[]'), "
	"       coalesce(l->>'definition_en', '') "
	"FROM jsonb_array_elements($1::jsonb->'levels') WITH ORDINALITY AS t(l, o)",

	"INSERT INTO model_grades (grade, name_zh, name_en, default_level) "
	"SELECT (g->>'grade')::int, g->>'name_zh', g->>'name_en', g->>'required_level' "
	"FROM jsonb_array_elements($1::jsonb->'grades') AS t(g)",

	"INSERT INTO model_items (code, position, category, assessment, name_zh, name_en, definition_zh, "
	"                         definition_en, levels) "
	"SELECT i->>'code', o, i->>'category', i->>'assessment', i->>'name_zh', i->>'name_en', "
	"       coalesce(i->>'definition_zh', ''), coalesce(i->>'definition_en', ''), coalesce(i->'levels', '{}') "
	"FROM jsonb_array_elements($1::jsonb->'items') WITH ORDINALITY AS t(i, o)",

	"INSERT INTO model_subtopics (item, code, position, name_zh, name_en) "
	"SELECT i->>'code', s->>'code', so, s->>'name_zh', s->>'name_en' "
	"FROM jsonb_array_elements($1::jsonb->'items') AS t(i), "
	"     jsonb_array_elements(coalesce(i->'subtopics', '[]')) WITH ORDINALITY AS u(s, so)",

	"INSERT INTO model_rating_scale (score, name_zh, name_en) "
	"SELECT (r->>'score')::int, r->>'name_zh', r->>'name_en' "
	"FROM jsonb_array_elements($1::jsonb->'rating_scale') AS t(r)",

	"INSERT INTO model_versions (version, effective_from, note, created_by) "
	"SELECT 1, '1970-01-01T00:00:00Z', 'seed default (' || ($1::jsonb->>'source') || ')', 'examd'",

	"INSERT INTO model_required_levels (version, grade, item, level) "
	"SELECT 1, g.grade, i.code, g.default_level FROM model_grades g CROSS JOIN model_items i "
	"WHERE $1::jsonb IS NOT NULL",

	"INSERT INTO model_subtopic_weights (version, item, level, subtopic, weight) "
	"SELECT 1, s.item, l.code, s.code, 1 FROM model_subtopics s CROSS JOIN model_levels l "
	"WHERE $1::jsonb IS NOT NULL",

	"INSERT INTO model_exam_bands (version, score, min) "
	"SELECT 1, (b->>'score')::int, (b->>'min')::numeric "
	"FROM jsonb_array_elements($1::jsonb->'exam_bands') AS t(b)",

	"INSERT INTO model_rater_weights (version, relation, weight) "
	"SELECT 1, code, 1 FROM model_relations WHERE $1::jsonb IS NOT NULL",

	"INSERT INTO audit_log (actor, action, target, detail) "
	"VALUES ('examd', 'model.seed', 'model_version:1', jsonb_build_object('source', $1::jsonb->>'source'))",
};

static bool seed_model(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT 1 FROM model_versions WHERE version = 1");
	bool failed = PQresultStatus(r) != PGRES_TUPLES_OK;
	bool present = !failed && PQntuples(r) == 1;
	PQclear(r);
	if (failed) {
		log_error("cannot read model_versions: %s", PQerrorMessage(db));
		return false;
	}
	if (present)
		return true;
	const char *params[] = {examd_model_json};
	bool ok = exec_ok(db, "BEGIN", 0, NULL, "BEGIN");
	for (size_t i = 0; ok && i < sizeof seed_statements / sizeof seed_statements[0]; i++)
		ok = exec_ok(db, seed_statements[i], 1, params, "seeding the model");
	ok = ok && exec_ok(db, "COMMIT", 0, NULL, "COMMIT");
	if (!ok)
		PQclear(PQexec(db, "ROLLBACK"));
	else
		log_info("model version 1 seeded from the competency model data");
	return ok;
}

enum migrate_result migrate_run(const char *conninfo, const char *dir)
{
	const char *keys[] = {"fallback_application_name", "dbname", NULL};
	const char *vals[] = {"examd-migrate", conninfo, NULL};
	PGconn *db = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db) != CONNECTION_OK) {
		log_error("cannot connect to the database: %s", PQerrorMessage(db));
		PQfinish(db);
		return MIGRATE_UNREACHABLE;
	}
	PQclear(PQexec(db, "SET client_min_messages = warning"));
	const char *lock[] = {MIGRATE_LOCK_KEY};
	/* Wait for another examd's migration, saying so rather than hanging silently. */
	bool ok = false, told = false;
	for (;;) {
		PGresult *r = PQexecParams(db, "SELECT pg_try_advisory_lock($1::bigint)", 1, NULL, lock, NULL, NULL, 0);
		bool answered = PQresultStatus(r) == PGRES_TUPLES_OK;
		ok = answered && !strcmp(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
		if (ok || !answered)
			break;
		if (!told)
			log_info("waiting for another examd to finish migrating the database");
		told = true;
		usleep(200 * 1000);
	}
	if (!ok)
		log_error("taking the migration lock failed: %s", PQerrorMessage(db));
	ok = ok && exec_ok(db,
			   "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
			   0, NULL, "creating schema_migrations");
	ok = ok && exec_ok(db, "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text", 0, NULL,
			   "adding schema_migrations.checksum");
	size_t n = 0;
	char **names = ok ? list_files(dir, "^[0-9]{4}_[a-z0-9_]+\\.sql$", &n, false) : NULL;
	ok = ok && names && schema_not_newer(db, names, n) && not_partly_legacy(db);
	bool migrated = false;
	for (size_t i = 0; ok && i < n; i++)
		ok = apply_one(db, dir, names[i], &migrated);
	free_names(names, n);
	ok = ok && apply_functions(db, dir, migrated);
	ok = ok && seed_model(db);
	PQclear(PQexecParams(db, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, lock, NULL, NULL, 0));
	bool lost = PQstatus(db) != CONNECTION_OK;
	PQfinish(db);
	return ok ? MIGRATE_OK : lost ? MIGRATE_UNREACHABLE : MIGRATE_FAILED;
}
