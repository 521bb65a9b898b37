/* Bank checks over the API (SPEC §4.6a): the pool that a bank file joins (the item's active
 * questions that an import does not replace, the blueprints and the subtopic weights in force),
 * fetched by one statement, and the lint over it, which runs on the offload pool. Used by the
 * import (api/banks.c) and by GET /api/v1/banks/lint. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "domain/banklint.h"
#include "domain/blueprint.h"
#include "http/offload.h"

/* $1 = {"items": [...], "external_ids": [...], "hashes": [...]}: the active questions of those items
 * except the ones the file names by external_id or by content, their blueprints, and the subtopic
 * weights of the model version in force ($2). The question objects are bank JSON rows (SPEC §5) plus id. */
const char banklint_pool_sql[] =
	"WITH s AS (SELECT $1::jsonb AS p),"
	" its AS (SELECT jsonb_array_elements_text(s.p->'items') AS item FROM s)"
	" SELECT json_build_object("
	"  'questions', coalesce((SELECT json_agg(json_build_object('id', q.id, 'item', q.item,"
	"        'subtopic', q.subtopic, 'level', q.level, 'type', q.type, 'stem', q.stem, 'options', q.options,"
	"        'answer', q.answer, 'points', trim_scale(q.points), 'external_id', q.external_id) ORDER BY q.id)"
	"     FROM questions q, s WHERE q.active AND q.item IN (SELECT item FROM its)"
	"       AND (q.external_id IS NULL OR NOT coalesce(s.p->'external_ids', '[]') ? q.external_id)"
	"       AND NOT coalesce(s.p->'hashes', '[]') ? q.content_hash), '[]'),"
	"  'blueprints', coalesce((SELECT json_agg(examd_blueprint_json(b.item, b.level))"
	"     FROM blueprints b WHERE b.item IN (SELECT item FROM its)), '[]'),"
	"  'weights', coalesce((SELECT json_agg(json_build_object('item', w.item, 'level', w.level,"
	"        'subtopic', w.subtopic, 'weight', w.weight))"
	"     FROM model_subtopic_weights w WHERE w.version = $2::int"
	"       AND w.item IN (SELECT item FROM its)), '[]'))::text";

/* ------------------------------------------------------------------ the pool */

struct lint_pool {
	struct bank bank; /* the active questions, as bank rows */
	long long *ids;   /* per question of bank (not per row) */
	char **labels;    /* per question: how messages name it */
	json_t *doc;      /* the statement's document: blueprints and weights */
};

static void pool_free(struct lint_pool *p)
{
	for (size_t i = 0; p->labels && i < p->bank.question_count; i++)
		free(p->labels[i]);
	free(p->labels);
	free(p->ids);
	json_decref(p->doc);
	bank_free(&p->bank);
	memset(p, 0, sizeof *p);
}

/* Parses the statement's text (on an offload thread). Rows the parser refuses (none in practice:
 * they were validated on import) are left out of the lint. */
static bool pool_parse(const char *text, size_t len, const char *label_prefix, struct lint_pool *p)
{
	memset(p, 0, sizeof *p);
	json_error_t err;
	p->doc = json_loadb(text, len, 0, &err);
	json_t *qs = json_object_get(p->doc, "questions");
	if (!json_is_array(qs))
		return false;
	if (json_array_size(qs) == 0)
		return true;
	enum bank_status st = bank_parse_json(catalog_default(), text, len, &p->bank);
	if (st == BANK_NOMEM)
		return false;
	size_t n = p->bank.question_count;
	p->ids = calloc(n ? n : 1, sizeof *p->ids);
	p->labels = calloc(n ? n : 1, sizeof *p->labels);
	if (!p->ids || !p->labels)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct bank_question *q = &p->bank.questions[i];
		p->ids[i] = (long long)json_integer_value(json_object_get(json_array_get(qs, q->row - 1), "id"));
		int rc = q->external_id
				 ? asprintf(&p->labels[i], "%s %lld (%s)", label_prefix, p->ids[i], q->external_id)
				 : asprintf(&p->labels[i], "%s %lld", label_prefix, p->ids[i]);
		if (rc < 0) {
			p->labels[i] = NULL;
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ baselines */

static void weights_of(json_t *doc, const struct catalog_item *item, const struct catalog_level *level, double *w)
{
	const struct catalog *cat = catalog_default();
	for (size_t k = 0; k < item->subtopic_count; k++)
		w[k] = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(doc, "weights"), i, e)
	{
		const char *it = json_string_value(json_object_get(e, "item"));
		const char *lv = json_string_value(json_object_get(e, "level"));
		if (!it || !lv || strcmp(it, item->code) || strcmp(lv, level->code))
			continue;
		const struct catalog_subtopic *st =
			catalog_subtopic_find(cat, item, json_string_value(json_object_get(e, "subtopic")));
		if (st)
			w[st->position] = json_number_value(json_object_get(e, "weight"));
	}
}

static json_t *find_blueprint(json_t *doc, const struct catalog_item *item, const struct catalog_level *level)
{
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(doc, "blueprints"), i, b)
	{
		const char *it = json_string_value(json_object_get(b, "item"));
		const char *lv = json_string_value(json_object_get(b, "level"));
		if (it && lv && !strcmp(it, item->code) && !strcmp(lv, level->code))
			return b;
	}
	return NULL;
}

/* [{"item","level","score","blueprint"}] in model order: every blueprint in doc, with its draws, and
 * (when file is not NULL) every (item, level) of the file without a blueprint, with a draw of each
 * subtopic it has at that level; subtopic weights of the model version in force. */
static json_t *baselines_json(const struct banklint *l, json_t *doc, const struct bank *file)
{
	const struct catalog *cat = catalog_default();
	json_t *all = json_array();
	for (size_t it = 0; all && it < catalog_item_count(cat); it++) {
		const struct catalog_item *item = catalog_item_at(cat, it);
		if (item->assessment != CATALOG_ASSESS_EXAM || item->subtopic_count > 64)
			continue;
		for (size_t lv = 0; lv < catalog_level_count(cat); lv++) {
			const struct catalog_level *level = catalog_level_at(cat, lv);
			json_t *bp = find_blueprint(doc, item, level);
			bool in_file = false;
			for (size_t i = 0; file && !bp && i < file->question_count && !in_file; i++)
				in_file = file->questions[i].item == item && file->questions[i].level == level;
			if (!bp && !in_file)
				continue;
			struct banklint_draw draws[BLUEPRINT_MAX_DRAWS];
			size_t nd = 0;
			if (bp) {
				size_t i;
				json_t *d;
				json_array_foreach(json_object_get(bp, "draws"), i, d)
				{
					const struct catalog_subtopic *st = catalog_subtopic_find(
						cat, item, json_string_value(json_object_get(d, "subtopic")));
					const struct catalog_level *dl =
						catalog_level_find(cat, json_string_value(json_object_get(d, "level")));
					if (st && dl && nd < BLUEPRINT_MAX_DRAWS)
						draws[nd++] = (struct banklint_draw){
							st, dl, (int)json_integer_value(json_object_get(d, "count"))};
				}
			} else {
				nd = banklint_default_draws(l, cat, item, level, draws, BLUEPRINT_MAX_DRAWS);
			}
			double w[64], score;
			weights_of(doc, item, level, w);
			json_t *o = json_pack("{s:s,s:s,s:b}", "item", item->code, "level", level->code, "blueprint",
					      bp != NULL);
			if (!o ||
			    json_object_set_new(o, "score",
						banklint_baseline(l, draws, nd, w, &score)
							? json_real(round(score * 100.0) / 100.0)
							: json_null()) ||
			    json_array_append_new(all, o)) {
				json_decref(all);
				return NULL;
			}
		}
	}
	return all;
}

/* ------------------------------------------------------------------ import */

char *banklint_import_scope(const struct bank *b)
{
	json_t *items = json_array(), *ext = json_array(), *hashes = json_array();
	json_t *scope = json_pack("{s:o,s:o,s:o}", "items", items, "external_ids", ext, "hashes", hashes);
	const struct catalog *cat = catalog_default();
	for (size_t it = 0; scope && it < catalog_item_count(cat); it++) {
		const struct catalog_item *item = catalog_item_at(cat, it);
		for (size_t i = 0; i < b->question_count; i++) {
			if (b->questions[i].item == item) {
				json_array_append_new(items, json_string(item->code));
				break;
			}
		}
	}
	for (size_t i = 0; scope && i < b->question_count; i++) {
		const struct bank_question *q = &b->questions[i];
		char hash[BANK_HASH_HEX_LEN + 1];
		if (q->external_id)
			json_array_append_new(ext, json_string(q->external_id));
		if (!bank_question_content_hash(q, hash)) {
			json_decref(scope);
			return NULL;
		}
		json_array_append_new(hashes, json_string(hash));
	}
	char *text = scope ? json_dumps(scope, JSON_COMPACT) : NULL;
	json_decref(scope);
	return text;
}

bool banklint_import_report(const struct bank *file, const char *pool_text, size_t pool_len, json_t **warnings,
			    json_t **baselines)
{
	*warnings = *baselines = NULL;
	struct lint_pool pool;
	bool ok = pool_parse(pool_text, pool_len, "active question", &pool);
	struct banklint *l = NULL;
	if (ok) {
		struct banklint_set checked = {file->questions, file->question_count, NULL};
		struct banklint_set others = {pool.bank.questions, pool.bank.question_count,
					      (const char *const *)pool.labels};
		l = banklint_run(NULL, &checked, &others);
		*warnings = l ? banklint_warnings_json(l, NULL) : NULL;
		*baselines = l ? baselines_json(l, pool.doc, file) : NULL;
	}
	ok = *warnings && *baselines;
	if (!ok) {
		json_decref(*warnings);
		json_decref(*baselines);
		*warnings = *baselines = NULL;
	}
	banklint_free(l);
	pool_free(&pool);
	return ok;
}

/* ------------------------------------------------------------------ GET /api/v1/banks/lint */

struct lint_job {
	char *text;
	size_t len;
	json_t *items;
	json_t *reply; /* NULL: out of memory */
};

static void lint_job_free(void *arg)
{
	struct lint_job *j = arg;
	if (!j)
		return;
	free(j->text);
	json_decref(j->items);
	json_decref(j->reply);
	free(j);
}

static void lint_work(void *arg)
{
	struct req *r = arg;
	struct lint_job *j = r->data;
	struct lint_pool pool;
	if (!pool_parse(j->text, j->len, "question", &pool)) {
		pool_free(&pool);
		return;
	}
	struct banklint_set checked = {pool.bank.questions, pool.bank.question_count, (const char *const *)pool.labels};
	struct banklint *l = banklint_run(NULL, &checked, NULL);
	json_t *warnings = l ? banklint_warnings_json(l, pool.ids) : NULL;
	json_t *baselines = l ? baselines_json(l, pool.doc, NULL) : NULL;
	if (warnings && baselines)
		j->reply =
			json_pack("{s:O,s:I,s:I,s:o,s:o}", "items", j->items, "questions",
				  (json_int_t)pool.bank.question_count, "warning_total",
				  (json_int_t)banklint_warning_total(l), "warnings", warnings, "baselines", baselines);
	else {
		json_decref(warnings);
		json_decref(baselines);
	}
	banklint_free(l);
	pool_free(&pool);
}

static void lint_done(void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* finished after shutdown: only free */
		req_reply_empty(r, 503);
		return;
	}
	struct lint_job *j = r->data;
	if (!j->reply) {
		req_reply_error(r, 503, "unavailable", "out of memory while checking the bank");
		return;
	}
	json_t *reply = j->reply;
	j->reply = NULL;
	req_reply_json(r, 200, reply);
}

static void on_lint_pool(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct lint_job *j = r->data;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	/* The result is cleared after this callback: the offload thread gets its own copy. */
	j->len = (size_t)db_result_length(res, 0, 0);
	j->text = malloc(j->len + 1);
	if (!j->text) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	memcpy(j->text, db_result_value(res, 0, 0), j->len);
	j->text[j->len] = '\0';
	if (!offload_submit(r->worker->server->offload, r->worker->base, lint_work, lint_done, r))
		api_reply_busy(r);
}

void banks_lint(struct req *r)
{
	const struct catalog *cat = catalog_default();
	const char *item = req_query(r, "item");
	struct lint_job *j = calloc(1, sizeof *j);
	if (!j || !(j->items = json_array())) {
		free(j);
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	r->data = j;
	r->data_free = lint_job_free;
	if (item && *item) {
		const struct catalog_item *it = catalog_item_find(cat, item);
		if (!it || it->assessment != CATALOG_ASSESS_EXAM) {
			req_reply_error(r, 400, "invalid_field", "item must be the code (or name) of an exam item");
			return;
		}
		json_array_append_new(j->items, json_string(it->code));
	} else {
		for (size_t i = 0; i < catalog_item_count(cat); i++)
			if (catalog_item_at(cat, i)->assessment == CATALOG_ASSESS_EXAM)
				json_array_append_new(j->items, json_string(catalog_item_at(cat, i)->code));
	}
	json_t *scope = json_pack("{s:O}", "items", j->items);
	char *text = scope ? json_dumps(scope, JSON_COMPACT) : NULL;
	json_decref(scope);
	if (!text) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	char version[16];
	snprintf(version, sizeof version, "%d", api_version_now(r));
	const char *params[] = {text, version};
	api_query(r, banklint_pool_sql, 2, params, on_lint_pool);
	free(text);
}
