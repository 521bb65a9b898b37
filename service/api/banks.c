/* Question banks, questions and blueprints (SPEC §4.3, §5). Bank files are parsed on the
 * offload pool (a 20 MiB upload must not stall a loop), then imported by one statement. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
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
	json_object_set(report, "warnings", j->warnings);
	json_object_set(report, "baselines", j->baselines);
	req_reply_json(r, status, report);
}

static void on_imported(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) == DB_ERROR && !strcmp(db_result_sqlstate(res), "23505")) {
		req_reply_error(r, 409, "conflict", "another import changed the same questions at the same time; retry");
		return;
	}
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		req_reply_db_failure(r, res);
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
		req_reply_db_failure(r, res);
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
	const char *params[] = {j->scope};
	api_query(r, banklint_pool_sql, 1, params, on_pool);
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
static bool query_bool(struct req *r, const char *name, int def, int *out)
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
	if (!query_bool(r, "dry_run", 0, &dry_run))
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

void questions_list(struct req *r)
{
	const struct catalog *cat = catalog_default();
	const char *item = req_query(r, "item"), *subtopic = req_query(r, "subtopic"), *level = req_query(r, "level");
	const struct catalog_item *it = item && *item ? catalog_item_find(cat, item) : NULL;
	const struct catalog_level *lv = level && *level ? catalog_level_find(cat, level) : NULL;
	const struct catalog_subtopic *st = subtopic && *subtopic ? catalog_subtopic_find_any(cat, subtopic) : NULL;
	if ((item && *item && (!it || it->assessment != CATALOG_ASSESS_EXAM)) || (level && *level && !lv) ||
	    (subtopic && *subtopic && (!st || (it && st->item != it)))) {
		req_reply_error(r, 400, "invalid_field", "item, subtopic and level must be codes (or names) of the model");
		return;
	}
	int active;
	if (!query_bool(r, "active", -1, &active))
		return;
	const char *params[] = {it ? it->code : NULL, st ? st->code : NULL, lv ? lv->code : NULL,
				active < 0 ? NULL : (active ? "true" : "false")};
	api_query_json(r, 200,
		       "SELECT json_build_object('questions', coalesce(json_agg(examd_question_json(q)"
		       "         ORDER BY i.position, s.position, l.rank, q.id), '[]'))::text"
		       " FROM questions q JOIN model_items i ON i.code = q.item"
		       " JOIN model_subtopics s ON s.item = q.item AND s.code = q.subtopic"
		       " JOIN model_levels l ON l.code = q.level"
		       " WHERE ($1::text IS NULL OR q.item = $1) AND ($2::text IS NULL OR q.subtopic = $2)"
		       "   AND ($3::text IS NULL OR q.level = $3) AND ($4::boolean IS NULL OR q.active = $4)",
		       4, params);
}

void questions_retire(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	const char *params[] = {r->params[0], r->user.username, req_client_address(r)};
	api_query_json(r, 200, "SELECT examd_question_retire($1::bigint, $2, $3)::text", 3, params);
}

/* ------------------------------------------------------------------ blueprints */

/* The exam named by the path, or a 404 reply. */
static bool blueprint_path(struct req *r, const struct catalog_item **item, const struct catalog_level **level)
{
	const struct catalog *cat = catalog_default();
	*item = catalog_item_find(cat, r->params[0]);
	*level = catalog_level_find(cat, r->params[1]);
	if (!*item || (*item)->assessment != CATALOG_ASSESS_EXAM || !*level) {
		req_reply_error(r, 404, "not_found", "no such exam: the item must be an exam item and the level a level");
		return false;
	}
	return true;
}

static void on_blueprint_put(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		req_reply_db_failure(r, res);
		return;
	}
	json_error_t err;
	json_t *out = json_loads(db_result_value(res, 0, 0), 0, &err);
	json_t *shortages = json_object_get(out, "shortages");
	if (shortages) {
		json_t *body = json_pack("{s:{s:s,s:s},s:O}", "error", "code", "pool_too_small", "message",
					 "the active questions cannot fill every draw row", "shortages", shortages);
		json_decref(out);
		req_reply_json(r, 422, body);
		return;
	}
	json_t *bp = json_incref(json_object_get(out, "blueprint"));
	json_decref(out);
	req_reply_json(r, 200, bp);
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
				bp.practice_allowed < 0 ? NULL : bp.practice_allowed ? "true" : "false"};
	api_query(r, "SELECT examd_blueprint_put($1, $2, $3::int, $4::int, $5, $6::jsonb, $7, $8, $9::boolean)::text", 9,
		  params, on_blueprint_put);
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
	api_query_json(r, 200,
		       "SELECT json_build_object('blueprints', coalesce(json_agg(examd_blueprint_json(b.item, b.level)"
		       "         ORDER BY i.position, l.rank), '[]'))::text"
		       " FROM blueprints b JOIN model_items i ON i.code = b.item JOIN model_levels l ON l.code = b.level",
		       0, NULL);
}
