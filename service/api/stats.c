/* Item statistics (SPEC §4.6a): GET /blueprints/{item}/{level}/stats and /questions/{id}/stats,
 * and the background refresher of each blueprint's SEM (blueprint_sem) on worker 0. PostgreSQL
 * gathers one compact row per closed attempt (attempt_cells, migration 0015) in one statement;
 * the rows are copied off the result on the loop, then parsed, computed (domain/itemstats.c) and
 * written as JSON or CSV on the offload pool. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/itemstats.h"
#include "http/offload.h"

static const char *const sql_gather = "SELECT kind, id, a, b, c, d, e FROM examd_stats_gather($1, $2, $3)";

/* ------------------------------------------------------------------ the job */

struct row {
	int kind;
	int64_t id;
	char *f[5];
};

/* A question of the item with what the output shows of it. */
struct qmeta {
	int64_t id;
	char *external_id, *type, *subtopic_level_stem;
};

struct stats_job {
	char item[64], level[64], mode[8];
	int64_t question; /* > 0: one question's stats */
	bool csv, sem_only;
	struct row *rows;
	size_t nrows;
	/* from the summary row */
	bool exists;
	char cells_count[24], cells_max[24];
	/* results */
	bool failed;
	struct itemstats_bresult br;
	struct evbuffer *out;
	bool found_question;
};

static void job_free(void *arg)
{
	struct stats_job *j = arg;
	if (!j)
		return;
	for (size_t i = 0; i < j->nrows; i++)
		for (int k = 0; k < 5; k++)
			free(j->rows[i].f[k]);
	free(j->rows);
	if (j->out)
		evbuffer_free(j->out);
	free(j);
}

/* Copies the gathered rows (the result is cleared after the callback). */
static bool job_take_rows(struct stats_job *j, const struct db_result *res)
{
	int n = db_result_rows(res);
	j->rows = calloc(n > 0 ? (size_t)n : 1, sizeof *j->rows);
	if (!j->rows)
		return false;
	for (int i = 0; i < n; i++) {
		struct row *rw = &j->rows[j->nrows++];
		rw->kind = (int)db_result_long(res, i, 0);
		rw->id = db_result_long(res, i, 1);
		for (int k = 0; k < 5; k++) {
			if (db_result_isnull(res, i, 2 + k))
				continue;
			rw->f[k] = strdup(db_result_value(res, i, 2 + k));
			if (!rw->f[k])
				return false;
		}
		if (rw->kind == 2) {
			j->exists = rw->f[1] && !strcmp(rw->f[1], "true");
			snprintf(j->cells_count, sizeof j->cells_count, "%lld", (long long)rw->id);
			snprintf(j->cells_max, sizeof j->cells_max, "%s", rw->f[0] ? rw->f[0] : "0");
		}
	}
	return true;
}

static int by_id(const void *a, const void *b)
{
	int64_t x = ((const struct qmeta *)a)->id, y = ((const struct qmeta *)b)->id;
	return x < y ? -1 : x > y;
}

static int rows_by_id(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static unsigned label_bits(const char *s, int noptions)
{
	unsigned bits = 0;
	for (; s && *s; s++)
		if (*s >= 'A' && *s < 'A' + noptions)
			bits |= 1u << (*s - 'A');
	return bits;
}

static void put_num(json_t *o, const char *key, struct itemstats_num v)
{
	json_object_set_new(o, key, v.has ? json_real(itemstats_round4(v.v)) : json_null());
}

static void csv_num(struct evbuffer *out, struct itemstats_num v)
{
	if (v.has)
		evbuffer_add_printf(out, "%.4f", itemstats_round4(v.v));
}

/* One question as JSON. */
static json_t *question_json(const struct qmeta *m, const struct itemstats_question *q,
			     const struct itemstats_qresult *r)
{
	const char *sls = m->subtopic_level_stem ? m->subtopic_level_stem : "";
	const char *c1 = strchr(sls, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(m->id));
	json_object_set_new(o, "external_id",
			    m->external_id && *m->external_id ? json_string(m->external_id) : json_null());
	json_object_set_new(o, "type", json_string(m->type ? m->type : ""));
	json_object_set_new(o, "subtopic", c1 ? json_stringn(sls, (size_t)(c1 - sls)) : json_string(""));
	json_object_set_new(o, "question_level", c2 ? json_stringn(c1 + 1, (size_t)(c2 - c1 - 1)) : json_string(""));
	json_object_set_new(o, "stem", json_string(c2 ? c2 + 1 : ""));
	json_object_set_new(o, "responses", json_integer((json_int_t)r->responses));
	put_num(o, "facility", r->facility);
	put_num(o, "sd", r->sd);
	put_num(o, "discrimination", r->discrimination);
	put_num(o, "point_biserial", r->point_biserial);
	json_t *opts = json_array();
	for (int k = 0; k < q->noptions; k++) {
		char label[2] = {(char)('A' + k), 0};
		json_array_append_new(opts,
				      json_pack("{s:s,s:o,s:b}", "label", label, "share",
						r->responses ? json_real(itemstats_round4(r->share[k])) : json_null(),
						"key", (q->key >> k) & 1u));
	}
	json_object_set_new(o, "options", opts);
	json_t *flags = json_array();
	for (int f = 0; f < ITEMSTATS_NFLAGS; f++)
		if (r->flags & (1u << f))
			json_array_append_new(flags, json_string(itemstats_flag_code(f)));
	json_object_set_new(o, "flags", flags);
	return o;
}

static json_t *thresholds_json(const struct itemstats_thresholds *t)
{
	return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:I}", "too_hard", t->too_hard, "too_easy", t->too_easy,
			 "low_discrimination", t->low_discrimination, "unused_distractor", t->unused_distractor,
			 "group_fraction", t->group_fraction, "alpha_unsatisfactory", t->alpha_unsatisfactory,
			 "min_responses", (json_int_t)t->min_responses, "sem_min_attempts",
			 (json_int_t)ITEMSTATS_SEM_MIN_ATTEMPTS);
}

static void write_csv(struct evbuffer *out, const struct qmeta *meta, const struct itemstats_question *qs,
		      const struct itemstats_qresult *qr, size_t nq)
{
	evbuffer_add(out, "\xEF\xBB\xBF", 3);
	evbuffer_add_printf(out, "id,external_id,subtopic,type,responses,facility,sd,discrimination,point_biserial");
	for (int k = 0; k < ITEMSTATS_MAX_OPTIONS; k++)
		evbuffer_add_printf(out, ",%c", 'A' + k);
	evbuffer_add_printf(out, ",key,flags,stem\r\n");
	for (size_t i = 0; i < nq; i++) {
		if (!qr[i].responses)
			continue;
		const char *sls = meta[i].subtopic_level_stem ? meta[i].subtopic_level_stem : "";
		const char *c1 = strchr(sls, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		evbuffer_add_printf(out, "%lld,", (long long)meta[i].id);
		api_csv_cell(out, meta[i].external_id ? meta[i].external_id : "");
		evbuffer_add_printf(out, ",%.*s,%s,%zu,", c1 ? (int)(c1 - sls) : 0, sls,
				    meta[i].type ? meta[i].type : "", qr[i].responses);
		csv_num(out, qr[i].facility);
		evbuffer_add(out, ",", 1);
		csv_num(out, qr[i].sd);
		evbuffer_add(out, ",", 1);
		csv_num(out, qr[i].discrimination);
		evbuffer_add(out, ",", 1);
		csv_num(out, qr[i].point_biserial);
		for (int k = 0; k < ITEMSTATS_MAX_OPTIONS; k++) {
			evbuffer_add(out, ",", 1);
			if (k < qs[i].noptions)
				evbuffer_add_printf(out, "%.4f", itemstats_round4(qr[i].share[k]));
		}
		evbuffer_add(out, ",", 1);
		for (int k = 0; k < qs[i].noptions; k++)
			if ((qs[i].key >> k) & 1u)
				evbuffer_add_printf(out, "%c", 'A' + k);
		evbuffer_add(out, ",", 1);
		for (int f = 0, n = 0; f < ITEMSTATS_NFLAGS; f++)
			if (qr[i].flags & (1u << f))
				evbuffer_add_printf(out, "%s%s", n++ ? " " : "", itemstats_flag_code(f));
		evbuffer_add(out, ",", 1);
		api_csv_cell(out, c2 ? c2 + 1 : "");
		evbuffer_add(out, "\r\n", 2);
	}
}

/* On an offload thread: parse the rows, compute, write the reply body. */
static void job_compute(struct stats_job *j)
{
	size_t nq = 0, na = 0, ncells = 0;
	for (size_t i = 0; i < j->nrows; i++) {
		if (j->rows[i].kind == 0)
			nq++;
		else if (j->rows[i].kind == 1) {
			na++;
			for (const char *p = j->rows[i].f[1]; p && *p; p++)
				ncells += *p == ';';
			ncells++;
		}
	}
	struct qmeta *meta = calloc(nq ? nq : 1, sizeof *meta);
	struct itemstats_question *qs = calloc(nq ? nq : 1, sizeof *qs);
	struct itemstats_qresult *qr = calloc(nq ? nq : 1, sizeof *qr);
	struct itemstats_attempt *at = calloc(na ? na : 1, sizeof *at);
	struct itemstats_cell *cells = calloc(ncells ? ncells : 1, sizeof *cells);
	const struct row **arows = calloc(na ? na : 1, sizeof *arows);
	json_t *doc = NULL;
	if (!meta || !qs || !qr || !at || !cells || !arows)
		goto fail;
	size_t qi = 0, ai = 0;
	for (size_t i = 0; i < j->nrows; i++) {
		struct row *rw = &j->rows[i];
		if (rw->kind == 0)
			meta[qi++] = (struct qmeta){rw->id, rw->f[0], rw->f[1], rw->f[4]};
		else if (rw->kind == 1)
			arows[ai++] = rw;
	}
	if (nq > 1)
		qsort(meta, nq, sizeof *meta, by_id);
	for (size_t i = 0; i < nq; i++)
		qs[i].id = meta[i].id;
	/* The option counts and keys live in the same rows: a second pass by id. */
	for (size_t i = 0; i < j->nrows; i++) {
		struct row *rw = &j->rows[i];
		if (rw->kind != 0)
			continue;
		struct qmeta probe = {.id = rw->id};
		struct qmeta *m = bsearch(&probe, meta, nq, sizeof *meta, by_id);
		if (!m)
			continue;
		size_t k = (size_t)(m - meta);
		long n = rw->f[2] ? atol(rw->f[2]) : 0;
		qs[k].noptions = n < 0 ? 0 : n > ITEMSTATS_MAX_OPTIONS ? ITEMSTATS_MAX_OPTIONS : (int)n;
		qs[k].key = label_bits(rw->f[3], qs[k].noptions);
	}
	/* Attempts in id order: ties in the groups go to the earlier attempt. */
	if (na > 1)
		qsort(arows, na, sizeof *arows, rows_by_id);
	size_t nc = 0;
	for (size_t a = 0; a < na; a++) {
		const struct row *rw = arows[a];
		at[a].total = rw->f[0] ? atof(rw->f[0]) : 0;
		at[a].first_cell = nc;
		const char *p = rw->f[1] ? rw->f[1] : "";
		while (*p && nc < ncells) {
			/* qid:earned:possible:chosen */
			char *end;
			long long qid = strtoll(p, &end, 10);
			double earned = 0, possible = 0;
			if (*end == ':')
				earned = strtod(end + 1, &end);
			if (*end == ':')
				possible = strtod(end + 1, &end);
			const char *chosen = *end == ':' ? end + 1 : end;
			const char *next = strchr(chosen, ';');
			struct qmeta probe = {.id = qid};
			struct qmeta *m = bsearch(&probe, meta, nq, sizeof *meta, by_id);
			if (m) {
				size_t k = (size_t)(m - meta);
				unsigned bits = 0;
				for (const char *c = chosen; *c && *c != ';'; c++)
					if (*c >= 'A' && *c < 'A' + qs[k].noptions)
						bits |= 1u << (*c - 'A');
				double s = possible > 0 ? earned / possible : 0;
				cells[nc++] = (struct itemstats_cell){k, s < 0 ? 0 : s > 1 ? 1 : s, bits};
			}
			p = next ? next + 1 : chosen + strlen(chosen);
		}
		at[a].ncells = nc - at[a].first_cell;
	}
	struct itemstats_matrix mx = {qs, nq, at, na, cells, nc};
	const struct itemstats_thresholds *t = &itemstats_default_thresholds;
	if (!itemstats_compute(&mx, t, qr, &j->br))
		goto fail;
	if (j->sem_only)
		goto done;
	j->out = evbuffer_new();
	if (!j->out)
		goto fail;
	if (j->csv) {
		write_csv(j->out, meta, qs, qr, nq);
		goto done;
	}
	if (j->question > 0) {
		struct qmeta probe = {.id = j->question};
		struct qmeta *m = bsearch(&probe, meta, nq, sizeof *meta, by_id);
		if (!m)
			goto done; /* found_question stays false */
		size_t k = (size_t)(m - meta);
		doc = question_json(m, &qs[k], &qr[k]);
		json_object_set_new(doc, "item", json_string(j->item));
		json_object_set_new(doc, "level", json_string(j->level));
		json_object_set_new(doc, "attempts_mode", json_string(j->mode));
		j->found_question = true;
	} else {
		json_t *list = json_array();
		for (size_t i = 0; i < nq; i++)
			if (qr[i].responses)
				json_array_append_new(list, question_json(&meta[i], &qs[i], &qr[i]));
		doc = json_pack("{s:s,s:s,s:s,s:I}", "item", j->item, "level", j->level, "attempts_mode", j->mode,
				"attempts", (json_int_t)j->br.attempts);
		put_num(doc, "mean", j->br.mean);
		put_num(doc, "sd", j->br.sd);
		put_num(doc, "alpha", j->br.alpha);
		put_num(doc, "sem", j->br.sem);
		json_object_set_new(doc, "form_length", json_real(itemstats_round4(j->br.form_length)));
		json_object_set_new(doc, "alpha_unsatisfactory",
				    j->br.alpha.has ? json_boolean(j->br.alpha.v < t->alpha_unsatisfactory)
						    : json_null());
		json_object_set_new(doc, "alpha_method", json_string("mean_covariance"));
		json_object_set_new(doc, "thresholds", thresholds_json(t));
		json_object_set_new(doc, "questions", list);
	}
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	if (!text)
		goto fail;
	evbuffer_add(j->out, text, strlen(text));
	free(text);
	goto done;
fail:
	j->failed = true;
done:
	json_decref(doc);
	free(meta);
	free(qs);
	free(qr);
	free(at);
	free(cells);
	free(arows);
}

/* ------------------------------------------------------------------ the routes */

static void job_work(void *arg)
{
	struct req *r = arg;
	job_compute(r->data);
}

static void job_done(void *arg)
{
	struct req *r = arg;
	struct stats_job *j = r->data;
	if (j->failed) {
		req_reply_error(r, 503, "unavailable", "the statistics could not be computed");
		return;
	}
	if (j->question > 0 && !j->found_question) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	size_t len = evbuffer_get_length(j->out);
	const char *body = (const char *)evbuffer_pullup(j->out, -1);
	if (j->csv) {
		char disp[200];
		snprintf(disp, sizeof disp, "attachment; filename=\"stats-%s-%s.csv\"", j->item, j->level);
		req_add_header(r, "Content-Disposition", disp);
		req_reply(r, 200, "text/csv; charset=utf-8", body ? body : "", len);
	} else {
		req_reply_json_text(r, 200, body ? body : "{}", len);
	}
}

static void on_gathered(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct stats_job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (!job_take_rows(j, res)) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!j->exists && j->question <= 0) {
		req_reply_error(r, 404, "not_found", "no blueprint for this exam");
		return;
	}
	/* 404 before 400 (SPEC §4): the query parameters are judged once the object is known. */
	if (!j->mode[0]) {
		req_reply_error(r, 400, "invalid_field", "attempts must be first or all, format json or csv");
		return;
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, job_work, job_done, r))
		req_reply_error(r, 503, "unavailable", "the server is shutting down");
}

/* attempts=first|all and format=json|csv; an empty mode marks a bad parameter (a 400 later). */
static struct stats_job *job_from_query(struct req *r)
{
	struct stats_job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	const char *attempts = req_query(r, "attempts"), *format = req_query(r, "format");
	bool ok = true;
	if (!attempts || !*attempts || !strcmp(attempts, "first"))
		snprintf(j->mode, sizeof j->mode, "first");
	else if (!strcmp(attempts, "all"))
		snprintf(j->mode, sizeof j->mode, "all");
	else
		ok = false;
	if (format && *format && strcmp(format, "json") != 0) {
		if (!strcmp(format, "csv"))
			j->csv = true;
		else
			ok = false;
	}
	if (!ok)
		j->mode[0] = '\0';
	return j;
}

static void gather(struct req *r, struct stats_job *j)
{
	const char *params[] = {j->item, j->level, j->mode[0] ? j->mode : "first"};
	api_query(r, sql_gather, 3, params, on_gathered);
}

void stats_blueprint(struct req *r)
{
	const struct catalog *cat = catalog_default();
	const struct catalog_item *item = catalog_item_find(cat, r->params[0]);
	const struct catalog_level *level = catalog_level_find(cat, r->params[1]);
	if (!item || item->assessment != CATALOG_ASSESS_EXAM || !level) {
		req_reply_error(r, 404, "not_found",
				"no such exam: the item must be an exam item and the level a level");
		return;
	}
	struct stats_job *j = job_from_query(r);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	snprintf(j->item, sizeof j->item, "%s", item->code);
	snprintf(j->level, sizeof j->level, "%s", level->code);
	r->data = j;
	r->data_free = job_free;
	gather(r, j);
}

static void on_question_found(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct stats_job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (db_result_rows(res) != 1) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	snprintf(j->item, sizeof j->item, "%s", db_result_value(res, 0, 0));
	snprintf(j->level, sizeof j->level, "%s", db_result_value(res, 0, 1));
	gather(r, j);
}

void stats_question(struct req *r)
{
	long id;
	if (!util_parse_long(r->params[0], 1, 9000000000000000000L, &id)) {
		req_reply_error(r, 404, "not_found", "no such question");
		return;
	}
	struct stats_job *j = job_from_query(r);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	j->question = id;
	j->csv = false;
	r->data = j;
	r->data_free = job_free;
	/* The blueprint of the question's own item and level (where the draws take it from). */
	const char *params[] = {r->params[0]};
	api_query(r, "SELECT item, level FROM questions WHERE id = $1::bigint", 1, params, on_question_found);
}

/* ------------------------------------------------------------------ the SEM refresher */

/* On worker 0 of every process: every EXAMD_STATS_REFRESH_SECONDS, the blueprints whose
 * attempt_cells changed since blueprint_sem was written are computed again, one at a time
 * (first attempts), and their row replaced. Several processes may do the same work; the rows
 * they write are the same. */
struct refresher {
	struct worker *w;
	struct event *timer;
	bool running, stopping;
	char (*stale)[2][64];
	int n, next;
	struct stats_job *job;
};

static void refresher_next(struct refresher *f);

static void refresher_finish(struct refresher *f)
{
	free(f->stale);
	f->stale = NULL;
	f->n = f->next = 0;
	job_free(f->job);
	f->job = NULL;
	f->running = false;
	if (f->stopping) {
		event_free(f->timer);
		free(f);
	}
}

static void on_sem_written(const struct db_result *res, void *arg)
{
	struct refresher *f = arg;
	if (db_result_status(res) != DB_OK)
		log_warning("item statistics: writing the SEM failed: %s", db_result_message(res));
	refresher_next(f);
}

static void fmt_num(char buf[32], struct itemstats_num v, const char **param)
{
	if (!v.has || !isfinite(v.v)) {
		*param = NULL;
		return;
	}
	snprintf(buf, 32, "%.10g", v.v);
	*param = buf;
}

static void refresh_work(void *arg)
{
	struct refresher *f = arg;
	job_compute(f->job);
}

static void refresh_done(void *arg)
{
	struct refresher *f = arg;
	struct stats_job *j = f->job;
	if (f->stopping || j->failed) {
		refresher_next(f);
		return;
	}
	char n[24], mean[32], sd[32], alpha[32], sem[32];
	const char *params[9] = {j->item, j->level, n, NULL, NULL, NULL, NULL, j->cells_count, j->cells_max};
	snprintf(n, sizeof n, "%zu", j->br.attempts);
	fmt_num(mean, j->br.mean, &params[3]);
	fmt_num(sd, j->br.sd, &params[4]);
	fmt_num(alpha, j->br.alpha, &params[5]);
	fmt_num(sem, j->br.sem, &params[6]);
	if (!db_query(
		    f->w->db,
		    "INSERT INTO blueprint_sem (item, level, attempts, mean, sd, alpha, sem, cells_count, cells_max,"
		    " computed_at) VALUES ($1, $2, $3::int, $4::float8, $5::float8, $6::float8, $7::float8,"
		    " $8::bigint, $9::bigint, now())"
		    " ON CONFLICT (item, level) DO UPDATE SET attempts = EXCLUDED.attempts, mean = EXCLUDED.mean,"
		    " sd = EXCLUDED.sd, alpha = EXCLUDED.alpha, sem = EXCLUDED.sem, cells_count = EXCLUDED.cells_count,"
		    " cells_max = EXCLUDED.cells_max, computed_at = now()",
		    9, params, on_sem_written, f))
		refresher_finish(f);
}

static void on_refresh_gathered(const struct db_result *res, void *arg)
{
	struct refresher *f = arg;
	if (db_result_status(res) != DB_OK || f->stopping || !job_take_rows(f->job, res)) {
		refresher_next(f);
		return;
	}
	if (!offload_submit(f->w->server->offload, f->w->base, refresh_work, refresh_done, f))
		refresher_finish(f);
}

static void refresher_next(struct refresher *f)
{
	job_free(f->job);
	f->job = NULL;
	if (f->stopping || f->next >= f->n) {
		refresher_finish(f);
		return;
	}
	struct stats_job *j = calloc(1, sizeof *j);
	if (!j) {
		refresher_finish(f);
		return;
	}
	snprintf(j->item, sizeof j->item, "%s", f->stale[f->next][0]);
	snprintf(j->level, sizeof j->level, "%s", f->stale[f->next][1]);
	snprintf(j->mode, sizeof j->mode, "first");
	j->sem_only = true;
	f->job = j;
	f->next++;
	const char *params[] = {j->item, j->level, j->mode};
	if (!db_query(f->w->db, sql_gather, 3, params, on_refresh_gathered, f))
		refresher_finish(f);
}

static void on_stale(const struct db_result *res, void *arg)
{
	struct refresher *f = arg;
	int n = db_result_status(res) == DB_OK ? db_result_rows(res) : 0;
	f->stale = n ? calloc((size_t)n, sizeof *f->stale) : NULL;
	for (int i = 0; f->stale && i < n; i++) {
		snprintf(f->stale[f->n][0], 64, "%s", db_result_value(res, i, 0));
		snprintf(f->stale[f->n][1], 64, "%s", db_result_value(res, i, 1));
		f->n++;
	}
	refresher_next(f);
}

static void on_refresh_tick(evutil_socket_t fd, short what, void *arg)
{
	struct refresher *f = arg;
	if (f->running)
		return;
	f->running = true;
	if (!db_query(f->w->db, "SELECT item, level FROM examd_stats_stale()", 0, NULL, on_stale, f))
		f->running = false;
}

void *stats_refresher_start(struct worker *w)
{
	int seconds = w->server->cfg->stats_refresh_seconds;
	if (seconds <= 0)
		return NULL;
	struct refresher *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->w = w;
	f->timer = event_new(w->base, -1, EV_PERSIST, on_refresh_tick, f);
	struct timeval tv = {seconds, 0};
	event_add(f->timer, &tv);
	return f;
}

void stats_refresher_stop(void *handle)
{
	struct refresher *f = handle;
	if (!f)
		return;
	event_del(f->timer);
	f->stopping = true;
	if (!f->running) {
		event_free(f->timer);
		free(f);
	}
}
