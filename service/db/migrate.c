/* Schema migrations and the model's version-1 seed. Synchronous libpq: for the CLI and
 * start-up only, never on an event-loop thread. */
#include "db/migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

extern const char examd_model_json[];

#define MIGRATE_LOCK_KEY "7311560234407012001" /* an arbitrary constant shared by all examd processes */

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

static bool apply_one(PGconn *db, const char *dir, const char *name)
{
	const char *params[] = {name};
	PGresult *r = PQexecParams(db, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
	bool done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	bool failed = PQresultStatus(r) != PGRES_TUPLES_OK;
	PQclear(r);
	if (failed) {
		log_error("cannot read schema_migrations: %s", PQerrorMessage(db));
		return false;
	}
	if (done)
		return true;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *sql = read_file(path);
	if (!sql) {
		log_error("cannot read migration %s", path);
		return false;
	}
	bool ok = exec_ok(db, "BEGIN", 0, NULL, "BEGIN");
	if (ok) {
		PGresult *res = PQexec(db, sql);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			log_error("migration %s failed: %s", name, PQerrorMessage(db));
		PQclear(res);
	}
	ok = ok && exec_ok(db, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, params, "recording a migration");
	ok = ok && exec_ok(db, "COMMIT", 0, NULL, "COMMIT");
	if (!ok)
		PQclear(PQexec(db, "ROLLBACK"));
	else
		log_json(LOG_INFO, json_pack("{s:s,s:s}", "msg", "migration applied", "version", name));
	free(sql);
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
			log_error("the database has migration %s, which this examd does not know: it was migrated by a newer "
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
	DIR *d = ok ? opendir(dir) : NULL;
	if (ok && !d) {
		log_error("cannot open the migrations folder %s", dir);
		ok = false;
	}
	char **names = NULL;
	size_t n = 0;
	regex_t re;
	regcomp(&re, "^[0-9]{4}_[a-z0-9_]+\\.sql$", REG_EXTENDED | REG_NOSUB);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (regexec(&re, e->d_name, 0, NULL, 0) != 0)
			continue;
		char **grown = realloc(names, (n + 1) * sizeof *names);
		if (!grown)
			break;
		names = grown;
		names[n++] = strdup(e->d_name);
	}
	regfree(&re);
	if (d)
		closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	ok = ok && schema_not_newer(db, names, n);
	for (size_t i = 0; ok && i < n; i++)
		ok = apply_one(db, dir, names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ok = ok && seed_model(db);
	PQclear(PQexecParams(db, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, lock, NULL, NULL, 0));
	bool lost = PQstatus(db) != CONNECTION_OK;
	PQfinish(db);
	return ok ? MIGRATE_OK : lost ? MIGRATE_UNREACHABLE : MIGRATE_FAILED;
}
