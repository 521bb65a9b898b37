/* Question banks, questions and blueprints (SPEC §4.3, §5). Bank files are parsed on the
 * offload pool (a 20 MiB upload must not stall a loop), then imported by one statement. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "core/log.h"
#include "domain/blueprint.h"
#include "http/offload.h"

/* ------------------------------------------------------------------ import */

char *banks_questions_param(const struct bank *b)
{
	json_t *all = json_array();
	for (size_t i = 0; all && i < b->question_count; i++) {
		const struct bank_question *q = &b->questions[i];
		char hash[BANK_HASH_HEX_LEN + 1];
		json_t *o = bank_question_to_json(q);
		if (!o || !bank_question_content_hash(q, hash)) {
			json_decref(o);
			json_decref(all);
			return NULL;
		}
		json_object_set_new(o, "content_hash", json_string(hash));
		json_object_set_new(o, "row", json_integer((json_int_t)q->row));
		json_array_append_new(all, o);
	}
	char *text = all ? json_dumps(all, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(all);
	return text;
}

json_t *banks_rejection_report(const struct bank *b, bool dry_run)
{
	char message[160];
	snprintf(message, sizeof message, "%zu of %zu rows rejected; nothing was imported", b->rows_rejected,
		 b->rows_seen);
	if (b->rows_rejected == 0)
		snprintf(message, sizeof message, "the file was rejected; nothing was imported");
	return json_pack("{s:{s:s,s:s},s:b,s:i,s:i,s:i,s:I,s:o}", "error", "code", "validation_failed", "message",
			 message, "dry_run", dry_run, "created", 0, "updated", 0, "unchanged", 0, "rejected",
			 (json_int_t)(b->rows_rejected ? b->rows_rejected : 1), "errors", bank_errors_to_json(b));
}

/* An import in four steps: parse (offload), fetch the pool the file joins (database), lint the
 * file against it (offload), import (database); the report gets the warnings and baselines. */
struct import_job {
	bool csv;
	bool dry_run;
	enum bank_status status;
	struct bank bank;
	char *param; /* the validated questions as one JSON array */
	char *scope; /* banklint_import_scope */
	char *pool;  /* the answer of banklint_pool_sql */
	size_t pool_len;
	bool linted;
	json_t *warnings, *baselines;
};

static void import_job_free(void *arg)
{
	struct import_job *j = arg;
	if (!j)
		return;
	bank_free(&j->bank);
	free(j->param);
	free(j->scope);
	free(j->pool);
	json_decref(j->warnings);
	json_decref(j->baselines);
	free(j);
}

/* Runs on an offload thread; the request is not touched by its loop meanwhile. */
static void import_parse(void *arg)
{
	struct req *r = arg;
	struct import_job *j = r->data;
	const struct catalog *cat = catalog_default();
	j->status = j->csv ? bank_parse_csv(cat, r->body, r->body_len, &j->bank)
			   : bank_parse_json(cat, r->body, r->body_len, &j->bank);
	if (j->status == BANK_OK)
		j->param = banks_questions_param(&j->bank);
	if (j->status != BANK_NOMEM)
		j->scope = banklint_import_scope(&j->bank);
}

/* The report with the lint's warnings and baselines added. */
static void reply_report(struct req *r, int status, json_t *report)
{
	struct import_job *j = r->data;
	if (!report) {
		req_reply_error(r, 503, "unavailable", "out of memory while writing the report");
		return;
	}
	if (j->bank.encoding)
		json_object_set_new(report, "encoding", json_string(j->bank.encoding));
	json_object_set(report, "warnings", j->warnings);
	json_object_set(report, "baselines", j->baselines);
	req_reply_json(r, status, report);
}

static void on_imported(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) == DB_ERROR && !strcmp(db_result_sqlstate(res), "23505")) {
		req_reply_error(r, 409, "conflict",
				"another import changed the same questions at the same time; retry");
		return;
	}
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	json_error_t err;
	reply_report(r, 200, json_loadb(db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0), 0, &err));
}

static void import_linted(void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* finished after shutdown: only free */
		req_reply_empty(r, 503);
		return;
	}
	struct import_job *j = r->data;
	if (!j->linted) {
		req_reply_error(r, 503, "unavailable", "out of memory while checking the bank");
		return;
	}
	if (j->status == BANK_INVALID) {
		reply_report(r, 422, banks_rejection_report(&j->bank, j->dry_run));
		return;
	}
	char source[96];
	snprintf(source, sizeof source, "bank:%s:%zu questions", j->csv ? "csv" : "json", j->bank.question_count);
	const char *params[] = {j->param, j->dry_run ? "true" : "false", r->user.username, req_client_address(r),
				source};
	api_query(r, "SELECT examd_bank_import($1::jsonb, $2::boolean, $3, $4, $5)::text", 5, params, on_imported);
}

/* Runs on an offload thread. */
static void import_lint(void *arg)
{
	struct req *r = arg;
	struct import_job *j = r->data;
	j->linted = banklint_import_report(&j->bank, j->pool, j->pool_len, &j->warnings, &j->baselines);
}

static void on_pool(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct import_job *j = r->data;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	/* The result is cleared after this callback: the offload thread gets its own copy. */
	j->pool_len = (size_t)db_result_length(res, 0, 0);
	j->pool = malloc(j->pool_len + 1);
	if (!j->pool) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	memcpy(j->pool, db_result_value(res, 0, 0), j->pool_len);
	j->pool[j->pool_len] = '\0';
	if (!offload_submit(r->worker->server->offload, r->worker->base, import_lint, import_linted, r))
		api_reply_busy(r);
}

static void import_parsed(void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* finished after shutdown: only free */
		req_reply_empty(r, 503);
		return;
	}
	struct import_job *j = r->data;
	if (j->status == BANK_NOMEM || (j->status == BANK_OK && !j->param) || !j->scope) {
		req_reply_error(r, 503, "unavailable", "out of memory while reading the bank");
		return;
	}
	char version[16];
	snprintf(version, sizeof version, "%d", api_version_now(r));
	const char *params[] = {j->scope, version};
	api_query(r, banklint_pool_sql, 2, params, on_pool);
}

static bool content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Reads a boolean query parameter; absent = def. false (and a 400 reply) when malformed. */
bool api_query_bool(struct req *r, const char *name, int def, int *out)
{
	const char *v = req_query(r, name);
	if (!v || !*v) {
		*out = def;
		return true;
	}
	if (!strcmp(v, "true") || !strcmp(v, "1")) {
		*out = 1;
		return true;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		*out = 0;
		return true;
	}
	req_reply_error(r, 400, "invalid_field", "%s must be true or false", name);
	return false;
}

void banks_import(struct req *r)
{
	int dry_run;
	if (!api_query_bool(r, "dry_run", 0, &dry_run))
		return;
	const char *ct = req_header(r, "Content-Type");
	bool csv = content_type_is(ct, "text/csv");
	if (!csv && !content_type_is(ct, "application/json")) {
		req_reply_error(r, 400, "invalid_field", "Content-Type must be text/csv or application/json");
		return;
	}
	struct import_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	j->csv = csv;
	j->dry_run = dry_run;
	r->data = j;
	r->data_free = import_job_free;
	if (!offload_submit(r->worker->server->offload, r->worker->base, import_parse, import_parsed, r))
		api_reply_busy(r);
}

/* ------------------------------------------------------------------ questions */

/* The questions that match the list's filters, with their model order (one CTE for the JSON page,
 * its count and the CSV export). $5: stem or external_id contains it (LIKE wildcards escaped). */
#define QUESTIONS_FILTERED                                                                                     \
	"WITH f AS (SELECT q AS row, q.id, i.position AS ip, s.position AS sp, l.rank AS lr,"                  \
	"                  i.name_zh AS item_zh, s.name_zh AS sub_zh, l.name_zh AS level_zh"                   \
	"           FROM questions q JOIN model_items i ON i.code = q.item"                                    \
	"           JOIN model_subtopics s ON s.item = q.item AND s.code = q.subtopic"                         \
	"           JOIN model_levels l ON l.code = q.level,"                                                  \
	"           LATERAL (SELECT '%' || replace(replace(replace($5::text, '\\', '\\\\'), '%', '\\%'), '_'," \
	"                          '\\_') || '%' AS pat) w"                                                    \
	"           WHERE ($1::text IS NULL OR q.item = $1) AND ($2::text IS NULL OR q.subtopic = $2)"         \
	"             AND ($3::text IS NULL OR q.level = $3) AND ($4::boolean IS NULL OR q.active = $4)"       \
	"             AND ($5::text IS NULL OR q.stem ILIKE w.pat OR q.external_id ILIKE w.pat)"               \
	"             AND ($6::text IS NULL OR q.type = $6))"

static const char *const sql_questions_page = QUESTIONS_FILTERED
	" SELECT json_build_object('total', (SELECT count(*) FROM f), 'offset', $8::int, 'limit', $7::int,"
	"   'questions', coalesce((SELECT json_agg(examd_question_json(p.row) ORDER BY p.ip, p.sp, p.lr, p.id)"
	"                          FROM (SELECT * FROM f ORDER BY ip, sp, lr, id LIMIT $7::int OFFSET $8::int) p),"
	"                         '[]'))::text";

/* The bank as a CSV file that Excel opens and that imports back unchanged: Chinese headers, the
 * Chinese names of item, subtopic, level and type (the importer reads them), UTF-8 with BOM.
 * A cell Excel would run as a formula gets a leading apostrophe, which the importer drops again. */
static const char *const sql_questions_csv = QUESTIONS_FILTERED
	" SELECT E'\\uFEFF' || '编号,知识项,知识点,级别,题型,题干,A,B,C,D,E,F,G,H,答案,分值,解析' || E'\\r\\n'"
	"        || coalesce(string_agg(c.line, '' ORDER BY f.ip, f.sp, f.lr, f.id), '')"
	" FROM f CROSS JOIN LATERAL ("
	"   SELECT string_agg(CASE WHEN v ~ '^[-=+@\\t\\r]' THEN '\"''' || replace(v, '\"', '\"\"') || '\"'"
	"                          WHEN v ~ '[\",\\r\\n]' THEN '\"' || replace(v, '\"', '\"\"') || '\"'"
	"                          ELSE v END, ',' ORDER BY o) || E'\\r\\n' AS line"
	"   FROM unnest(ARRAY[coalesce((f.row).external_id, ''), f.item_zh, f.sub_zh, f.level_zh,"
	"     CASE (f.row).type WHEN 'single' THEN '单选' WHEN 'multiple' THEN '多选' WHEN 'truefalse' THEN '判断'"
	"                       ELSE '填空' END,"
	"     (f.row).stem, coalesce((f.row).options->>0, ''), coalesce((f.row).options->>1, ''),"
	"     coalesce((f.row).options->>2, ''), coalesce((f.row).options->>3, ''), coalesce((f.row).options->>4, ''),"
	"     coalesce((f.row).options->>5, ''), coalesce((f.row).options->>6, ''), coalesce((f.row).options->>7, ''),"
	"     CASE (f.row).type WHEN 'single' THEN (f.row).answer #>> '{}'"
	"       WHEN 'truefalse' THEN CASE WHEN (f.row).answer = 'true'::jsonb THEN '对' ELSE '错' END"
	"       ELSE (SELECT string_agg(a, CASE WHEN (f.row).type = 'fill' THEN '|' ELSE '' END ORDER BY n)"
	"             FROM jsonb_array_elements_text((f.row).answer) WITH ORDINALITY x(a, n)) END,"
	"     trim_scale((f.row).points)::text, (f.row).explanation]) WITH ORDINALITY u(v, o)) c";

static void on_questions_csv(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	req_add_header(r, "Content-Disposition", "attachment; filename=\"questions.csv\"");
	req_reply(r, 200, "text/csv; charset=utf-8", db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0));
}

void questions_list(struct req *r)
{
	const struct catalog *cat = catalog_default();
	const char *item = req_query(r, "item"), *subtopic = req_query(r, "subtopic"), *level = req_query(r, "level");
	const char *text = req_query(r, "q"), *type = req_query(r, "type"), *format = req_query(r, "format");
	const char *limit = req_query(r, "limit"), *offset = req_query(r, "offset");
	const struct catalog_item *it = item && *item ? catalog_item_find(cat, item) : NULL;
	const struct catalog_level *lv = level && *level ? catalog_level_find(cat, level) : NULL;
	const struct catalog_subtopic *st = subtopic && *subtopic ? catalog_subtopic_find_any(cat, subtopic) : NULL;
	if ((item && *item && (!it || it->assessment != CATALOG_ASSESS_EXAM)) || (level && *level && !lv) ||
	    (subtopic && *subtopic && (!st || (it && st->item != it)))) {
		req_reply_error(r, 400, "invalid_field",
				"item, subtopic and level must be codes (or names) of the model");
		return;
	}
	if (type && *type && strcmp(type, "single") && strcmp(type, "multiple") && strcmp(type, "truefalse") &&
	    strcmp(type, "fill")) {
		req_reply_error(r, 400, "invalid_field", "type must be single, multiple, truefalse or fill");
		return;
	}
	long lim = 0, off = 0;
	if (limit && *limit && !util_parse_long(limit, 1, 1000, &lim)) {
		req_reply_error(r, 400, "invalid_field", "limit must be a number from 1 to 1000");
		return;
	}
	if (offset && *offset && !util_parse_long(offset, 0, 100000000, &off)) {
		req_reply_error(r, 400, "invalid_field", "offset must be a number from 0");
		return;
	}
	bool csv = false;
	if (format && *format && strcmp(format, "json") != 0) {
		if (strcmp(format, "csv") != 0) {
			req_reply_error(r, 400, "invalid_field", "format must be json or csv");
			return;
		}
		csv = true;
	}
	if (text && strlen(text) > 200) {
		req_reply_error(r, 400, "invalid_field", "q must be at most 200 bytes");
		return;
	}
	int active;
	if (!api_query_bool(r, "active", -1, &active))
		return;
	char lim_text[24], off_text[24];
	snprintf(lim_text, sizeof lim_text, "%ld", lim);
	snprintf(off_text, sizeof off_text, "%ld", off);
	const char *params[] = {it ? it->code : NULL,        st ? st->code : NULL,
				lv ? lv->code : NULL,        active < 0 ? NULL : (active ? "true" : "false"),
				text && *text ? text : NULL, type && *type ? type : NULL,
				lim ? lim_text : NULL,       off_text};
	if (csv)
		(void)api_query(r, sql_questions_csv, 6, params, on_questions_csv);
	else
		api_query_json(r, 200, sql_questions_page, 8, params);
}

/* What retiring a question would break: the draw rows of blueprints that its pool could no longer
 * fill (rows already short are named too). 404 for an unknown question. */
void questions_impact(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	const char *params[] = {r->params[0]};
	api_query_json(r, 200,
		       "SELECT json_build_object('question_id', q.id, 'active', q.active, 'blueprints', coalesce(("
		       "  SELECT json_agg(json_build_object('item', d.item, 'level', d.level, 'subtopic', d.subtopic,"
		       "                  'draw_level', d.draw_level, 'count', d.count, 'available', a.n,"
		       "                  'available_after', a.n - 1) ORDER BY d.item, d.level, d.position)"
		       "  FROM blueprint_draws d,"
		       "       LATERAL (SELECT count(*)::int AS n FROM questions x WHERE x.active AND x.item = d.item"
		       "                AND x.subtopic = d.subtopic AND x.level = d.draw_level) a"
		       "  WHERE q.active AND d.item = q.item AND d.subtopic = q.subtopic AND d.draw_level = q.level"
		       "    AND a.n - 1 < d.count), '[]'))::text"
		       " FROM questions q WHERE q.id = $1::bigint",
		       1, params);
}

/* Re-activates a retired question: 409 while another version (same external_id) or an identical
 * question is active. Idempotent for an active question. */
static const char *const sql_question_activate =
	"WITH q AS (SELECT * FROM questions WHERE id = $1::bigint),"
	" c AS (SELECT EXISTS (SELECT 1 FROM questions x, q WHERE x.active AND x.id <> q.id"
	"                      AND (x.external_id = q.external_id OR x.content_hash = q.content_hash)) AS clash),"
	" u AS (UPDATE questions SET active = true, retired_at = NULL"
	"       WHERE id = $1::bigint AND NOT active AND NOT (SELECT clash FROM c) RETURNING id, external_id),"
	" a AS (INSERT INTO audit_log (actor, action, target, address, detail)"
	"       SELECT $2, 'question.activate', 'question:' || id, $3, jsonb_build_object('external_id', external_id)"
	"       FROM u)"
	" SELECT CASE WHEN NOT q.active AND c.clash THEN 'conflict' ELSE 'ok' END,"
	"        (examd_question_json(q)::jsonb || CASE WHEN EXISTS (SELECT 1 FROM u)"
	"           THEN jsonb_build_object('active', true, 'retired_at', NULL) ELSE '{}' END)::text"
	" FROM questions q, c WHERE q.id = $1::bigint";

static void on_question_activated(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) == DB_ERROR && !strcmp(db_result_sqlstate(res), "23505")) {
		req_reply_error(r, 409, "conflict", "another version of this question is active");
		return;
	}
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	if (!strcmp(db_result_value(res, 0, 0), "conflict")) {
		api_reply_status(r, "conflict",
				 "another version of this question (same external_id or content) is active;"
				 " edit that one");
		return;
	}
	req_reply_json_text(r, 200, db_result_value(res, 0, 1), (size_t)db_result_length(res, 0, 1));
}

void questions_activate(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	const char *params[] = {r->params[0], r->user.username, req_client_address(r)};
	(void)api_query(r, sql_question_activate, 3, params, on_question_activated);
}

static void on_question_retired(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) == DB_OK && db_result_rows(res) == 1 &&
	    !strcmp(db_result_value(res, 0, 0), "not_found"))
		api_reply_status(r, "not_found", "no such resource");
	else
		api_reply_typed(r, res, 200);
}

void questions_retire(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	const char *params[] = {r->params[0], r->user.username, req_client_address(r)};
	(void)api_query(r, "SELECT status, message, body::text FROM examd_question_retire($1::bigint, $2, $3)", 3,
			params, on_question_retired);
}

/* ------------------------------------------------------------------ blueprints */

/* The exam named by the path, or a 404 reply. */
static bool blueprint_path(struct req *r, const struct catalog_item **item, const struct catalog_level **level)
{
	const struct catalog *cat = catalog_default();
	*item = catalog_item_find(cat, r->params[0]);
	*level = catalog_level_find(cat, r->params[1]);
	if (!*item || (*item)->assessment != CATALOG_ASSESS_EXAM || !*level) {
		req_reply_error(r, 404, "not_found",
				"no such exam: the item must be an exam item and the level a level");
		return false;
	}
	return true;
}

static void on_blueprint_put(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	/* status, message, body: the blueprint, or the draw rows the pool cannot fill (migration 0025) */
	const char *status = db_result_value(res, 0, 0);
	if (!strcmp(status, "pool_too_small")) {
		json_error_t err;
		json_t *shortages =
			json_loadb(db_result_value(res, 0, 2), (size_t)db_result_length(res, 0, 2), 0, &err);
		api_reply_status_extra(r, status, db_result_value(res, 0, 1), "shortages", shortages);
		return;
	}
	api_reply_typed(r, res, 200);
}

void blueprints_put(struct req *r)
{
	const struct catalog_item *item;
	const struct catalog_level *level;
	if (!blueprint_path(r, &item, &level))
		return;
	json_t *body = api_json_body(r);
	if (!body)
		return;
	struct blueprint bp;
	char msg[256];
	enum blueprint_status st = blueprint_parse(catalog_default(), item, level, body, &bp, msg, sizeof msg);
	json_decref(body);
	if (st != BLUEPRINT_OK) {
		req_reply_error(r, st == BLUEPRINT_BAD_FIELD ? 400 : 422,
				st == BLUEPRINT_BAD_FIELD ? "invalid_field" : "validation_failed", "%s", msg);
		return;
	}
	char tl[16], ma[16];
	snprintf(tl, sizeof tl, "%d", bp.time_limit_seconds);
	snprintf(ma, sizeof ma, "%d", bp.max_attempts);
	json_t *draws = blueprint_draws_json(&bp);
	char *draws_text = draws ? json_dumps(draws, JSON_COMPACT) : NULL;
	json_decref(draws);
	const char *params[] = {item->code,
				level->code,
				tl,
				ma,
				bp.grading,
				draws_text ? draws_text : "[]",
				r->user.username,
				req_client_address(r),
				bp.practice_allowed < 0 ? NULL
				: bp.practice_allowed   ? "true"
							: "false"};
	api_query(r,
		  "SELECT status, message, body::text"
		  " FROM examd_blueprint_put($1, $2, $3::int, $4::int, $5, $6::jsonb, $7, $8, $9::boolean)",
		  9, params, on_blueprint_put);
	free(draws_text);
}

void blueprints_get(struct req *r)
{
	const struct catalog_item *item;
	const struct catalog_level *level;
	if (!blueprint_path(r, &item, &level))
		return;
	const char *params[] = {item->code, level->code};
	api_query_json(r, 200, "SELECT examd_blueprint_json($1, $2)::text", 2, params);
}

void blueprints_list(struct req *r)
{
	api_query_json(
		r, 200,
		"SELECT json_build_object('blueprints', coalesce(json_agg(examd_blueprint_json(b.item, b.level)"
		"         || jsonb_build_object('broken', EXISTS (SELECT 1 FROM blueprint_draws d WHERE d.item = b.item"
		"              AND d.level = b.level AND d.count > (SELECT count(*) FROM questions q WHERE q.active"
		"              AND q.item = d.item AND q.subtopic = d.subtopic AND q.level = d.draw_level)))"
		"         ORDER BY i.position, l.rank), '[]'))::text"
		" FROM blueprints b JOIN model_items i ON i.code = b.item JOIN model_levels l ON l.code = b.level",
		0, NULL);
}

/* ------------------------------------------------------------------ results of one exam */

/* The closed attempts of one exam (item x level), one row per attempt: the employee (names only,
 * no profile), which of their attempts it is (第 n 次, in start order, open attempts counted) of
 * the blueprint's maximum, score, band and time. Names in pinyin order (ICU collation zh-x-icu). */
#define RESULTS_FILTERED                                                                                                 \
	"WITH a AS (SELECT a.*, row_number() OVER (PARTITION BY a.username ORDER BY a.started_at, a.id) AS n,"           \
	"                  count(*) OVER (PARTITION BY a.username) AS used"                                              \
	"           FROM attempts a WHERE a.item = $1 AND a.level = $2),"                                                \
	" f AS (SELECT a.id, a.username, a.status, a.started_at, a.submitted_at, a.standard_score, a.band, a.n, a.used," \
	"              u.name, u.department"                                                                             \
	"       FROM a JOIN users u ON u.username = a.username,"                                                         \
	"            LATERAL (SELECT '%' || replace(replace(replace($3::text, '\\', '\\\\'), '%', '\\%'), '_', '\\_')"   \
	"                            || '%' AS pat) w"                                                                   \
	"       WHERE a.status <> 'open' AND ($3::text IS NULL OR u.name ILIKE w.pat OR u.username ILIKE w.pat"          \
	"                                     OR u.department ILIKE w.pat))"

static const char *const sql_results_page = RESULTS_FILTERED
	" SELECT json_build_object('item', $1::text, 'level', $2::text,"
	"   'max_attempts', (SELECT max_attempts FROM blueprints WHERE item = $1 AND level = $2),"
	"   'total', (SELECT count(*) FROM f), 'employees', (SELECT count(DISTINCT username) FROM f),"
	"   'offset', $5::int, 'limit', $4::int,"
	"   'results', coalesce((SELECT json_agg(json_build_object('attempt_id', p.id, 'username', p.username,"
	"        'name', p.name, 'department', p.department, 'attempt_no', p.n, 'attempts_used', p.used,"
	"        'status', p.status, 'standard_score', p.standard_score, 'band', p.band,"
	"        'band_name_zh', (SELECT name_zh FROM model_rating_scale WHERE score = p.band),"
	"        'started_at', examd_ts(p.started_at), 'submitted_at', examd_ts(p.submitted_at)) ORDER BY p.o)"
	"      FROM (SELECT f.*, row_number() OVER (ORDER BY f.name COLLATE \"zh-x-icu\", f.username, f.n) AS o"
	"            FROM f ORDER BY o LIMIT $4::int OFFSET $5::int) p), '[]'))::text";

/* The same as a CSV file for Excel (UTF-8 with BOM, Chinese headers, Beijing time); user text that
 * Excel would run as a formula is prefixed with an apostrophe. */
static const char *const sql_results_csv = RESULTS_FILTERED
	" SELECT E'\\uFEFF' || '工号,姓名,部门,第几次,已考次数,最多次数,状态,标准分,等级,等级名称,交卷时间（北京时间）'"
	"        || E'\\r\\n' || coalesce(string_agg(c.line, '' ORDER BY f.name COLLATE \"zh-x-icu\", f.username, f.n), '')"
	" FROM f CROSS JOIN LATERAL ("
	"   SELECT string_agg(CASE WHEN v ~ '^[-=+@\\t\\r]' THEN '\"''' || replace(v, '\"', '\"\"') || '\"'"
	"                          WHEN v ~ '[\",\\r\\n]' THEN '\"' || replace(v, '\"', '\"\"') || '\"'"
	"                          ELSE v END, ',' ORDER BY o) || E'\\r\\n' AS line"
	"   FROM unnest(ARRAY[f.username, f.name, f.department, f.n::text, f.used::text,"
	"     coalesce((SELECT max_attempts::text FROM blueprints WHERE item = $1 AND level = $2), ''),"
	"     CASE f.status WHEN 'auto_submitted' THEN '超时自动交卷' ELSE '已交卷' END,"
	"     coalesce(f.standard_score::text, ''), coalesce(f.band::text, ''),"
	"     coalesce((SELECT name_zh FROM model_rating_scale WHERE score = f.band), ''),"
	"     coalesce(to_char(f.submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), '')])"
	"   WITH ORDINALITY u(v, o)) c";

static void on_results_csv(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	req_add_header(r, "Content-Disposition", "attachment; filename=\"results.csv\"");
	req_reply(r, 200, "text/csv; charset=utf-8", db_result_value(res, 0, 0), (size_t)db_result_length(res, 0, 0));
}

void blueprints_results(struct req *r)
{
	const struct catalog_item *item;
	const struct catalog_level *level;
	if (!blueprint_path(r, &item, &level))
		return;
	const char *text = req_query(r, "q"), *format = req_query(r, "format");
	const char *limit = req_query(r, "limit"), *offset = req_query(r, "offset");
	long lim = 0, off = 0;
	if (limit && *limit && !util_parse_long(limit, 1, 1000, &lim)) {
		req_reply_error(r, 400, "invalid_field", "limit must be a number from 1 to 1000");
		return;
	}
	if (offset && *offset && !util_parse_long(offset, 0, 100000000, &off)) {
		req_reply_error(r, 400, "invalid_field", "offset must be a number from 0");
		return;
	}
	bool csv = false;
	if (format && *format && strcmp(format, "json") != 0) {
		if (strcmp(format, "csv") != 0) {
			req_reply_error(r, 400, "invalid_field", "format must be json or csv");
			return;
		}
		csv = true;
	}
	if (text && strlen(text) > 200) {
		req_reply_error(r, 400, "invalid_field", "q must be at most 200 bytes");
		return;
	}
	char lim_text[24], off_text[24];
	snprintf(lim_text, sizeof lim_text, "%ld", lim);
	snprintf(off_text, sizeof off_text, "%ld", off);
	const char *params[] = {item->code, level->code, text && *text ? text : NULL, lim ? lim_text : NULL, off_text};
	if (csv)
		(void)api_query(r, sql_results_csv, 3, params, on_results_csv);
	else
		api_query_json(r, 200, sql_results_page, 5, params);
}
