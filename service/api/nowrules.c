/* The rules at "now" handed to SQL (see nowrules.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "domain/catalog.h"
#include "domain/rules.h"

struct nowrules {
	struct rules_model model;
	char stamp[64];
	bool loaded;
	/* The levels of each grade in the version `levels_of` as JSON text, made on first use after a
	 * reload or when another version comes into force. */
	int levels_of;
	char *levels[RULES_GRADES + 1];
};

struct nowrules *nowrules_new(void)
{
	return calloc(1, sizeof(struct nowrules));
}

static void levels_clear(struct nowrules *c)
{
	for (int g = 0; g <= RULES_GRADES; g++) {
		free(c->levels[g]);
		c->levels[g] = NULL;
	}
	c->levels_of = 0;
}

void nowrules_free(struct nowrules *c)
{
	if (!c)
		return;
	levels_clear(c);
	rules_model_free(&c->model);
	free(c);
}

const char *nowrules_stamp(const struct nowrules *c)
{
	return c && c->loaded ? c->stamp : NULL;
}

/* A stamp "max(version):count(*)" as two numbers; false when it is not one. */
static bool stamp_parse(const char *s, long long *max, long long *count)
{
	char *end;
	*max = strtoll(s ? s : "", &end, 10);
	if (!s || end == s || *end != ':')
		return false;
	const char *p = end + 1;
	*count = strtoll(p, &end, 10);
	return end != p && *end == '\0';
}

bool nowrules_load(struct nowrules *c, const char *stamp, const char *rules_json)
{
	struct rules_model m = {0};
	char why[160];
	/* Replies come back in any order: a reply read before a newer version was added must not
	 * replace versions another reply already brought (versions are only ever added). */
	long long max, count, cmax, ccount;
	if (c && c->loaded && stamp_parse(stamp, &max, &count) && stamp_parse(c->stamp, &cmax, &ccount) &&
	    (max < cmax || (max == cmax && count <= ccount)))
		return true;
	if (!c || !rules_model_parse(rules_json, &m, why, sizeof why)) {
		log_error("the model versions could not be read: %s", c ? why : "out of memory");
		rules_model_free(&m);
		return false;
	}
	levels_clear(c);
	rules_model_free(&c->model);
	c->model = m;
	snprintf(c->stamp, sizeof c->stamp, "%s", stamp ? stamp : "");
	c->loaded = true;
	return true;
}

/* The levels grade g requires in version v as a JSON object text (cached); NULL when out of memory. */
static const char *levels_text(struct nowrules *c, const struct rules_version *v, int g)
{
	if (c->levels_of != v->version) {
		levels_clear(c);
		c->levels_of = v->version;
	}
	if (!c->levels[g]) {
		json_t *o = rules_grade_levels_json(v, catalog_default(), g);
		c->levels[g] = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
	}
	return c->levels[g];
}

char *api_now_json(struct req *r, size_t n, const char *const *users, const int *grades)
{
	struct nowrules *c = api_nowrules(r);
	if (!c || !c->loaded)
		return NULL;
	const struct rules_version *v = rules_version_at(&c->model, r->user.now_us);
	struct strbuf t = {0};
	char num[32];
	/* The levels of the grades that occur (all four for a set; the caller's own for one). */
	bool seen[RULES_GRADES + 1] = {false};
	for (size_t i = 0; i < n; i++)
		if (grades[i] >= 1 && grades[i] <= RULES_GRADES)
			seen[grades[i]] = true;
	snprintf(num, sizeof num, "%d", v ? v->version : 0);
	strbuf_puts(&t, "{\"version\":");
	strbuf_puts(&t, v ? num : "null");
	strbuf_puts(&t, ",\"levels\":{");
	bool first = true;
	for (int g = 1; v && g <= RULES_GRADES; g++) {
		if (!seen[g])
			continue;
		const char *lv = levels_text(c, v, g);
		if (!lv) {
			t.failed = true;
			break;
		}
		snprintf(num, sizeof num, "%s\"%d\":", first ? "" : ",", g);
		strbuf_puts(&t, num);
		strbuf_puts(&t, lv);
		first = false;
	}
	strbuf_puts(&t, "},\"grades\":{");
	first = true;
	for (size_t i = 0; i < n; i++) {
		if (grades[i] < 1 || grades[i] > RULES_GRADES)
			continue;
		if (!first)
			strbuf_puts(&t, ",");
		util_json_string(users[i], strbuf_put, &t);
		snprintf(num, sizeof num, ":%d", grades[i]);
		strbuf_puts(&t, num);
		first = false;
	}
	strbuf_puts(&t, "}}");
	return strbuf_take(&t);
}

int api_version_now(struct req *r)
{
	struct nowrules *c = api_nowrules(r);
	const struct rules_version *v = c && c->loaded ? rules_version_at(&c->model, r->user.now_us) : NULL;
	return v ? v->version : 0;
}

char *api_now_caller(struct req *r)
{
	const char *user = r->user.username;
	return api_now_json(r, 1, &user, &r->user.grade);
}

struct now_all {
	struct req *r;
	void (*next)(struct req *r, const char *now);
};

static void on_grades_all(const struct db_result *res, void *arg)
{
	struct now_all *a = arg;
	struct req *r = a->r;
	void (*next)(struct req *, const char *) = a->next;
	free(a);
	if (db_result_status(res) != DB_OK) {
		api_reply_db_failure(r, res);
		return;
	}
	int n = db_result_rows(res);
	const char **users = calloc((size_t)n + 1, sizeof *users);
	int *grades = calloc((size_t)n + 1, sizeof *grades);
	char *now = NULL;
	bool ok = users && grades;
	if (ok && n > 0)
		r->user.now_us = db_result_long(res, 0, 2); /* the statement's now() */
	for (int i = 0; ok && i < n; i++) {
		users[i] = db_result_value(res, i, 0);
		grades[i] = rules_grade_packed_at(db_result_value(res, i, 1), r->user.now_us);
		if (grades[i] < 0) {
			log_error("the grade history of %s is malformed", users[i]);
			grades[i] = 0;
		}
	}
	if (ok)
		now = api_now_json(r, (size_t)n, users, grades);
	free(users);
	free(grades);
	if (!now) {
		struct nowrules *c = api_nowrules(r);
		req_reply_error(r, 503, "unavailable", "%s",
				c && c->loaded ? "out of memory" : "the competency model is not available");
		return;
	}
	next(r, now);
	free(now);
}

void api_now_all(struct req *r, void (*next)(struct req *r, const char *now))
{
	struct now_all *a = malloc(sizeof *a);
	if (!a) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	*a = (struct now_all){r, next};
	if (!db_query(api_db(r), "SELECT g.username, g.grades, examd_now_us() FROM examd_grades_all() g", 0, NULL,
		      on_grades_all, a)) {
		free(a);
		req_reply_error(r, 503, "unavailable", "the database is unavailable; try again shortly");
	}
}
