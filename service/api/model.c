/* The competency model: the version in force, and every version, as stored. */
#include <stdlib.h>
#include <string.h>

#include "domain/modelver.h"

#include "api/api.h"
#include "api/nowrules.h"

/* $1: a version number (the version in force now is the rules module's, api_version_now). */
static const char *const sql_model =
	"WITH v AS (SELECT version, effective_from, note, created_by, created_at FROM model_versions"
	"           WHERE version = $1::int)"
	" SELECT json_build_object("
	"  'version', v.version, 'effective_from', examd_ts(v.effective_from), 'note', v.note,"
	"  'created_by', v.created_by, 'created_at', examd_ts(v.created_at),"
	"  'categories', (SELECT json_agg(json_build_object('code', code, 'name_zh', name_zh, 'name_en', name_en)"
	"                 ORDER BY position) FROM model_categories),"
	"  'levels', (SELECT json_agg(json_build_object('code', code, 'rank', rank, 'name_zh', name_zh,"
	"             'name_en', name_en, 'definition_zh', definition_zh) ORDER BY rank) FROM model_levels),"
	"  'grades', (SELECT json_agg(json_build_object('grade', grade, 'name_zh', name_zh, 'name_en', name_en)"
	"             ORDER BY grade DESC) FROM model_grades),"
	"  'rating_scale', (SELECT json_agg(json_build_object('score', score, 'name_zh', name_zh, 'name_en', name_en)"
	"                   ORDER BY score) FROM model_rating_scale),"
	"  'relations', (SELECT json_agg(json_build_object('code', code, 'name_zh', name_zh) ORDER BY position)"
	"                FROM model_relations),"
	"  'items', (SELECT json_agg(json_build_object('code', i.code, 'category', i.category,"
	"              'assessment', i.assessment, 'name_zh', i.name_zh, 'name_en', i.name_en,"
	"              'definition_zh', i.definition_zh, 'definition_en', i.definition_en,"
	"              'subtopics', coalesce((SELECT json_agg(json_build_object('code', s.code, 'name_zh', s.name_zh,"
	"                             'name_en', s.name_en) ORDER BY s.position)"
	"                           FROM model_subtopics s WHERE s.item = i.code), '[]'),"
	"              'levels', i.levels) ORDER BY i.position) FROM model_items i),"
	"  'required_levels', (SELECT json_agg(json_build_object('grade', r.grade, 'item', r.item, 'level', r.level)"
	"                      ORDER BY r.grade DESC, i.position)"
	"                      FROM model_required_levels r JOIN model_items i ON i.code = r.item"
	"                      WHERE r.version = v.version),"
	"  'subtopic_weights', (SELECT json_agg(json_build_object('item', item, 'level', level, 'weights', weights)"
	"                       ORDER BY ipos, lrank) FROM ("
	"                         SELECT w.item, w.level, i.position AS ipos, l.rank AS lrank,"
	"                                json_object_agg(w.subtopic, w.weight ORDER BY s.position) AS weights"
	"                         FROM model_subtopic_weights w JOIN model_items i ON i.code = w.item"
	"                         JOIN model_levels l ON l.code = w.level"
	"                         JOIN model_subtopics s ON s.item = w.item AND s.code = w.subtopic"
	"                         WHERE w.version = v.version GROUP BY w.item, w.level, i.position, l.rank) x),"
	"  'exam_bands', (SELECT json_agg(json_build_object('score', score, 'min', min) ORDER BY score DESC)"
	"                 FROM model_exam_bands WHERE version = v.version),"
	"  'rater_weights', (SELECT json_object_agg(w.relation, w.weight ORDER BY m.position)"
	"                    FROM model_rater_weights w JOIN model_relations m ON m.code = w.relation"
	"                    WHERE w.version = v.version)"
	" )::text FROM v";

void model_get(struct req *r)
{
	char version[16];
	snprintf(version, sizeof version, "%d", api_version_now(r));
	const char *params[] = {version};
	api_query_json(r, 200, sql_model, 1, params);
}

void model_version_get(struct req *r)
{
	long n;
	if (!util_parse_long(r->params[0], 1, 1000000000, &n)) {
		req_reply_error(r, 404, "not_found", "no such model version");
		return;
	}
	const char *params[] = {r->params[0]};
	api_query_json(r, 200, sql_model, 1, params);
}

void model_versions_list(struct req *r)
{
	char version[16];
	snprintf(version, sizeof version, "%d", api_version_now(r));
	const char *params[] = {api_version_now(r) ? version : NULL};
	api_query_json(
		r, 200,
		"SELECT json_build_object('current', $1::int, 'versions',"
		"  coalesce(json_agg(json_build_object('version', version, 'effective_from', examd_ts(effective_from),"
		"    'note', note, 'created_by', created_by, 'created_at', examd_ts(created_at)) ORDER BY version), '[]'))::text"
		" FROM model_versions",
		1, params);
}

static void on_version_full(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1 || db_result_isnull(res, 0, 0)) {
		api_reply_db_failure(r, res);
		return;
	}
	req_reply_json_text(r, 201, db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0));
}

static void on_version_created(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) == DB_ERROR && !strncmp(db_result_sqlstate(res), "22", 2)) {
		req_reply_error(r, 400, "invalid_field", "effective_from must be an RFC 3339 time");
		return;
	}
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	/* status, message, version (migration 0025) */
	if (strcmp(db_result_value(res, 0, 0), "ok") != 0) {
		api_reply_status(r, db_result_value(res, 0, 0), db_result_value(res, 0, 1));
		return;
	}
	char n[24];
	snprintf(n, sizeof n, "%s", db_result_value(res, 0, 2));
	const char *params[] = {n};
	api_query(r, sql_model, 1, params, on_version_full);
}

void model_versions_create(struct req *r)
{
	json_t *body = api_json_body(r);
	if (!body)
		return;
	json_t *overrides = NULL;
	char msg[256];
	enum modelver_status st = modelver_parse(catalog_default(), body, &overrides, msg, sizeof msg);
	json_decref(body);
	if (st != MODELVER_OK) {
		req_reply_error(r, st == MODELVER_BAD_FIELD ? 400 : 422,
				st == MODELVER_BAD_FIELD ? "invalid_field" : "validation_failed", "%s", msg);
		return;
	}
	char *text = json_dumps(overrides, JSON_COMPACT);
	json_decref(overrides);
	const char *params[] = {text, r->user.username, req_client_address(r)};
	api_query(r, "SELECT status, message, version FROM examd_model_version_create($1::jsonb, $2, $3)", 3, params,
		  on_version_created);
	free(text);
}
