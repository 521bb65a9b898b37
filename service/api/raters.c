/* Rater quality (issue #19): GET /api/v1/raters/quality?period=&department=&format=json|csv (hr,
 * admin). PostgreSQL returns one row: the period, every rating of that period packed as text with
 * the raters and cells numbered, and the raters' names; an offload thread parses it, keeps each
 * rater's latest rating per (employee, item) (domain/rules.c), computes the figures and flags
 * (domain/raterq.c) and writes the JSON or CSV. */
#include <event2/buffer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "domain/raterq.h"
#include "domain/rules.h"
#include "http/offload.h"

/* $1 period (NULL: the period of the newest rating, among the department's employees when $2 is
 * given), $2 department (NULL: every employee). The ratings: every rating of the period, whatever
 * level it was made against, with its rated_at (µs) and id; raters_quality_document keeps each
 * rater's latest per employee and item (rules_latest_per_rater, domain/rules.c). Raters and employees
 * are numbered here; a cell (what one rater rates once) is employee number × 32 + item position, so
 * that only small hash joins are needed (numbering the (employee, item) pairs sorted 665,000 rows on
 * disk, measured 2026-12-02). */
const char raters_sql[] =
	"WITH dept AS MATERIALIZED (SELECT u.username FROM users u WHERE $2::text IS NOT NULL AND u.role = 'employee'"
	"                           AND u.department = $2),"
	" p AS MATERIALIZED (SELECT coalesce($1::text, (SELECT r.period FROM behaviour_ratings r"
	"       WHERE $2::text IS NULL OR r.employee IN (SELECT username FROM dept)"
	"       ORDER BY r.rated_at DESC, r.id DESC LIMIT 1)) AS period),"
	" l AS MATERIALIZED (SELECT l.rater, l.relation, l.score, l.employee, l.item, l.rated_at, l.id"
	"       FROM behaviour_ratings l JOIN p ON l.period = p.period"
	"       WHERE $2::text IS NULL OR l.employee IN (SELECT username FROM dept)),"
	" r AS MATERIALIZED (SELECT x.rater, row_number() OVER (ORDER BY x.rater) - 1 AS no"
	"       FROM (SELECT DISTINCT rater FROM l) x),"
	" e AS MATERIALIZED (SELECT x.employee, row_number() OVER () - 1 AS no"
	"       FROM (SELECT DISTINCT employee FROM l) x)"
	" SELECT p.period,"
	"  (SELECT string_agg(concat_ws(':', r.no, e.no * 32 + i.position, l.relation, l.score,"
	"                               (extract(epoch FROM l.rated_at) * 1000000)::bigint, l.id), ',')"
	"   FROM l JOIN r ON r.rater = l.rater JOIN e ON e.employee = l.employee JOIN model_items i ON i.code = l.item),"
	"  (SELECT coalesce(json_agg(json_build_array(r.rater, u.name) ORDER BY r.no), '[]')::text"
	"   FROM r LEFT JOIN users u ON u.username = r.rater),"
	"  (SELECT count(*) FROM e)"
	" FROM p";

/* Figures rounded for output. */
static json_t *rounded(double v, double scale)
{
	return json_real(round(v * scale) / scale);
}

static json_t *agreement_json(const struct raterq_agreement *a)
{
	double k;
	bool has_k = raterq_kappa(a, &k);
	return json_pack("{s:I,s:o,s:o,s:o}", "pairs", (json_int_t)a->pairs, "exact",
			 a->pairs ? rounded((double)a->exact / (double)a->pairs, 1000) : json_null(), "within_one",
			 a->pairs ? rounded((double)a->within_one / (double)a->pairs, 1000) : json_null(), "kappa",
			 has_k ? rounded(k, 1000) : json_null());
}

static int flag_count(uint32_t f)
{
	int n = 0;
	for (; f; f &= f - 1)
		n++;
	return n;
}

struct ranked {
	size_t index;
	int flags;
	const char *rater;
};

static int by_flags_then_rater(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->flags != y->flags)
		return x->flags > y->flags ? -1 : 1;
	return strcmp(x->rater, y->rater);
}

json_t *raters_quality_document(const char *period, const char *packed, const char *names, long employees, char *why,
				size_t whylen)
{
	json_error_t jerr;
	json_t *list = json_loads(names ? names : "[]", 0, &jerr), *doc = NULL;
	struct raterq_rating *ratings = NULL;
	struct rules_rated *rated = NULL;
	bool *keep = NULL;
	struct raterq_rater *out = NULL;
	struct ranked *rank = NULL;
	size_t nraters = json_array_size(list), n = 0, cap = 0;
	if (!json_is_array(list)) {
		snprintf(why, whylen, "malformed rater names");
		goto done;
	}
	/* "rater:cell:relation:score:rated_at:id,..." */
	for (const char *p = packed ? packed : ""; *p;) {
		char *end;
		unsigned long rater = strtoul(p, &end, 10), cell;
		if (*end != ':')
			goto malformed;
		cell = strtoul(end + 1, &end, 10);
		if (*end != ':')
			goto malformed;
		const char *rel = end + 1, *colon = strchr(rel, ':');
		if (!colon || colon - rel > 15)
			goto malformed;
		char relname[16];
		memcpy(relname, rel, (size_t)(colon - rel));
		relname[colon - rel] = '\0';
		unsigned long score = strtoul(colon + 1, &end, 10);
		if (*end != ':')
			goto malformed;
		long long at = strtoll(end + 1, &end, 10), id;
		if (*end != ':')
			goto malformed;
		id = strtoll(end + 1, &end, 10);
		int relation = raterq_relation_of(relname);
		if (relation < 0 || rater >= nraters || cell > UINT32_MAX || score > 6 || (*end && *end != ','))
			goto malformed;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct raterq_rating *grown = realloc(ratings, cap * sizeof *ratings);
			struct rules_rated *grown_rated = grown ? realloc(rated, cap * sizeof *rated) : NULL;
			if (grown)
				ratings = grown;
			if (!grown || !grown_rated) {
				snprintf(why, whylen, "out of memory");
				goto done;
			}
			rated = grown_rated;
		}
		rated[n] = (struct rules_rated){(int64_t)cell, (int64_t)rater, at, id};
		ratings[n++] =
			(struct raterq_rating){(uint32_t)rater, (uint32_t)cell, (uint8_t)relation, (uint8_t)score};
		p = *end ? end + 1 : end;
	}
	/* Each rater's latest rating per employee and item (SPEC §3.3, the rules module's selection). */
	keep = calloc(n ? n : 1, sizeof *keep);
	if (!keep || !rules_latest_per_rater(rated, n, INT64_MAX, keep)) {
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	size_t kept = 0;
	for (size_t k = 0; k < n; k++)
		if (keep[k])
			ratings[kept++] = ratings[k];
	n = kept;
	out = calloc(nraters ? nraters : 1, sizeof *out);
	rank = calloc(nraters ? nraters : 1, sizeof *rank);
	struct raterq_agreement overall;
	if (!out || !rank || !raterq_compute(ratings, n, nraters, raterq_rules, raterq_nrules, out, &overall)) {
		snprintf(why, whylen, "the figures could not be computed");
		goto done;
	}
	for (size_t k = 0; k < nraters; k++) {
		const char *rater = json_string_value(json_array_get(json_array_get(list, k), 0));
		rank[k] = (struct ranked){k, flag_count(out[k].flags), rater ? rater : ""};
	}
	if (nraters > 1)
		qsort(rank, nraters, sizeof *rank, by_flags_then_rater);
	json_t *raters = json_array(), *rules = json_array(), *counts = json_object();
	for (size_t f = 0; f < raterq_nrules; f++) {
		const struct raterq_rule *rule = &raterq_rules[f];
		json_array_append_new(rules, json_pack("{s:s,s:s,s:s,s:s,s:f,s:I}", "flag", rule->flag, "name_zh",
						       rule->name_zh, "metric", raterq_metric_name(rule->metric), "op",
						       raterq_op_name(rule->op), "threshold", rule->threshold,
						       "min_count", (json_int_t)rule->min_count));
		json_object_set_new(counts, rule->flag, json_integer(0));
	}
	long flagged = 0;
	for (size_t k = 0; k < nraters; k++) {
		const struct raterq_rater *r = &out[rank[k].index];
		const json_t *entry = json_array_get(list, rank[k].index);
		json_t *relations = json_array(), *flags = json_array();
		for (int x = 0; x < RATERQ_RELATIONS; x++)
			if (r->relations & (1u << x))
				json_array_append_new(relations, json_string(raterq_relation_name(x)));
		for (size_t f = 0; f < raterq_nrules; f++)
			if (r->flags & (1u << f)) {
				json_array_append_new(flags, json_string(raterq_rules[f].flag));
				json_object_set_new(
					counts, raterq_rules[f].flag,
					json_integer(json_integer_value(json_object_get(counts, raterq_rules[f].flag)) +
						     1));
			}
		if (r->flags)
			flagged++;
		double len = 0, share = 0;
		int mode = 0;
		bool has_len = raterq_leniency(r, &len), has_mode = raterq_mode(r, &mode, &share);
		json_t *name = json_array_get(entry, 1);
		json_array_append_new(raters, json_pack("{s:O,s:O,s:o,s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "rater",
							json_array_get(entry, 0), "name",
							json_is_string(name) ? name : json_null(), "relations",
							relations, "ratings", (json_int_t)r->ratings, "mean",
							rounded(raterq_mean(r), 100), "shared", (json_int_t)r->shared,
							"leniency", has_len ? rounded(len, 100) : json_null(), "mode",
							has_mode ? json_integer(mode) : json_null(), "mode_share",
							has_mode ? rounded(share, 1000) : json_null(), "agreement",
							agreement_json(&r->agreement), "flags", flags));
	}
	json_object_set_new(counts, "flagged_raters", json_integer(flagged));
	doc = json_pack("{s:o,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "period", period ? json_string(period) : json_null(),
			"raters_count", (json_int_t)nraters, "ratings", (json_int_t)n, "employees",
			(json_int_t)employees, "agreement", agreement_json(&overall), "counts", counts, "rules", rules,
			"raters", raters);
	goto done;
malformed:
	snprintf(why, whylen, "malformed packed ratings");
done:
	json_decref(list);
	free(ratings);
	free(rated);
	free(keep);
	free(out);
	free(rank);
	return doc;
}

/* ------------------------------------------------------------------ the route */

struct job {
	bool csv;
	char *period, *packed, *names, *department;
	long employees;
	json_t *doc;
	struct evbuffer *out;
	char why[96];
};

static void job_free(void *arg)
{
	struct job *j = arg;
	if (!j)
		return;
	free(j->period);
	free(j->packed);
	free(j->names);
	free(j->department);
	json_decref(j->doc);
	if (j->out)
		evbuffer_free(j->out);
	free(j);
}

/* A number cell: empty for null, else as JSON writes it. */
static bool csv_number(struct evbuffer *out, const json_t *v)
{
	if (json_is_integer(v))
		return evbuffer_add_printf(out, "%lld", (long long)json_integer_value(v)) >= 0;
	if (json_is_real(v)) {
		char buf[64];
		snprintf(buf, sizeof buf, "%.3f", json_real_value(v));
		/* Trailing zeros off, as in the JSON. */
		char *end = buf + strlen(buf) - 1;
		while (end > buf && *end == '0')
			*end-- = '\0';
		if (*end == '.')
			*end = '\0';
		return evbuffer_add(out, buf, strlen(buf)) == 0;
	}
	return true;
}

/* Same conventions as the profile listing's CSV: UTF-8 with BOM, CRLF, formula-safe text cells. */
static bool write_csv(struct evbuffer *out, const json_t *doc)
{
	bool ok = evbuffer_add(out, "\xEF\xBB\xBF", 3) == 0 &&
		  evbuffer_add_printf(out,
				      "period,rater,name,relations,ratings,mean,shared,leniency,mode,mode_share,pairs,"
				      "exact,within_one,kappa,flags\r\n") >= 0;
	const char *period = json_string_value(json_object_get(doc, "period"));
	size_t i, k;
	const json_t *r, *v;
	json_array_foreach(json_object_get(doc, "raters"), i, r)
	{
		char joined[256];
		size_t len = 0;
		if (period)
			ok = ok && api_csv_cell(out, period);
		ok = ok && evbuffer_add(out, ",", 1) == 0 &&
		     api_csv_cell(out, json_string_value(json_object_get(r, "rater")));
		ok = ok && evbuffer_add(out, ",", 1) == 0;
		if (json_is_string(json_object_get(r, "name")))
			ok = ok && api_csv_cell(out, json_string_value(json_object_get(r, "name")));
		joined[0] = '\0';
		json_array_foreach(json_object_get(r, "relations"), k, v) len +=
			(size_t)snprintf(joined + len, len < sizeof joined ? sizeof joined - len : 0, "%s%s",
					 k ? ";" : "", json_string_value(v));
		ok = ok && evbuffer_add_printf(out, ",%s", joined) >= 0;
		static const char *const nums[] = {"ratings", "mean", "shared", "leniency", "mode", "mode_share"};
		for (size_t c = 0; c < sizeof nums / sizeof nums[0]; c++)
			ok = ok && evbuffer_add(out, ",", 1) == 0 && csv_number(out, json_object_get(r, nums[c]));
		const json_t *a = json_object_get(r, "agreement");
		static const char *const agree[] = {"pairs", "exact", "within_one", "kappa"};
		for (size_t c = 0; c < sizeof agree / sizeof agree[0]; c++)
			ok = ok && evbuffer_add(out, ",", 1) == 0 && csv_number(out, json_object_get(a, agree[c]));
		len = 0;
		joined[0] = '\0';
		json_array_foreach(json_object_get(r, "flags"), k, v) len +=
			(size_t)snprintf(joined + len, len < sizeof joined ? sizeof joined - len : 0, "%s%s",
					 k ? ";" : "", json_string_value(v));
		ok = ok && evbuffer_add_printf(out, ",%s\r\n", joined) >= 0;
	}
	return ok;
}

/* On an offload thread. */
static void job_work(void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	j->doc = raters_quality_document(j->period, j->packed, j->names, j->employees, j->why, sizeof j->why);
	if (!j->doc)
		return;
	if (j->department)
		json_object_set_new(j->doc, "department", json_string(j->department));
	if (j->csv) {
		j->out = evbuffer_new();
		if (!j->out || !write_csv(j->out, j->doc)) {
			snprintf(j->why, sizeof j->why, "out of memory");
			json_decref(j->doc);
			j->doc = NULL;
		}
	}
}

static void job_done(void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	if (!j->doc) {
		log_error("rater quality: %s", j->why);
		req_reply_error(r, 503, "unavailable", "the rater quality could not be computed");
		return;
	}
	if (j->csv) {
		struct evbuffer *out = j->out;
		j->out = NULL;
		req_add_header(r, "Content-Disposition", "attachment; filename=\"rater-quality.csv\"");
		req_reply_evbuffer(r, 200, "text/csv; charset=utf-8", out);
		return;
	}
	json_t *doc = j->doc;
	j->doc = NULL;
	req_reply_json(r, 200, doc);
}

bool raters_row_copy(const struct db_result *res, char **period, char **packed, char **names, long *employees)
{
	*period = *packed = *names = NULL;
	*employees = 0;
	if (db_result_rows(res) != 1)
		return false;
	if (!db_result_isnull(res, 0, 0) && !(*period = strdup(db_result_value(res, 0, 0))))
		return false;
	if (!db_result_isnull(res, 0, 1) && !(*packed = strdup(db_result_value(res, 0, 1))))
		return false;
	if (!(*names = strdup(db_result_isnull(res, 0, 2) ? "[]" : db_result_value(res, 0, 2))))
		return false;
	*employees = db_result_long(res, 0, 3);
	return true;
}

static void on_rows(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct job *j = r->data;
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	if (!raters_row_copy(res, &j->period, &j->packed, &j->names, &j->employees)) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	if (!offload_submit(r->worker->server->offload, r->worker->base, job_work, job_done, r))
		api_reply_busy(r);
}

void raters_quality(struct req *r)
{
	const char *period = req_query(r, "period"), *format = req_query(r, "format");
	const char *department = req_query(r, "department");
	if (period && *period && !api_period_ok(period)) {
		req_reply_error(r, 400, "invalid_field", "period must be a label of 1-32 characters, e.g. 2026H2");
		return;
	}
	if (department && strlen(department) > 200) {
		req_reply_error(r, 400, "invalid_field", "department is too long");
		return;
	}
	if (format && *format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		req_reply_error(r, 400, "invalid_field", "format must be json or csv");
		return;
	}
	struct job *j = calloc(1, sizeof *j);
	if (!j || (department && *department && !(j->department = strdup(department)))) {
		free(j);
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	j->csv = format && !strcmp(format, "csv");
	r->data = j;
	r->data_free = job_free;
	const char *params[] = {period && *period ? period : NULL, j->department};
	api_query(r, raters_sql, 2, params, on_rows);
}
