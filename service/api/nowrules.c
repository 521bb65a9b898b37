/* The rules at "now" handed to SQL (see nowrules.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/nowrules.h"
#include "core/log.h"
#include "domain/catalog.h"
#include "domain/rules.h"

struct nowrules {
	struct rules_model model;
	char stamp[64];
	bool loaded;
};

struct nowrules *nowrules_new(void)
{
	return calloc(1, sizeof(struct nowrules));
}

void nowrules_free(struct nowrules *c)
{
	if (!c)
		return;
	rules_model_free(&c->model);
	free(c);
}

const char *nowrules_stamp(const struct nowrules *c)
{
	return c && c->loaded ? c->stamp : NULL;
}

bool nowrules_load(struct nowrules *c, const char *stamp, const char *rules_json)
{
	struct rules_model m = {0};
	char why[160];
	if (!c || !rules_model_parse(rules_json, &m, why, sizeof why)) {
		log_error("the model versions could not be read: %s", c ? why : "out of memory");
		rules_model_free(&m);
		return false;
	}
	rules_model_free(&c->model);
	c->model = m;
	snprintf(c->stamp, sizeof c->stamp, "%s", stamp ? stamp : "");
	c->loaded = true;
	return true;
}

char *api_now_json(struct req *r, size_t n, const char *const *users, const int *grades)
{
	struct nowrules *c = api_nowrules(r);
	if (!c || !c->loaded)
		return NULL;
	json_t *doc = json_object(), *g = json_object();
	json_t *levels = rules_levels_json(&c->model, catalog_default(), r->user.now_us);
	const struct rules_version *v = rules_version_at(&c->model, r->user.now_us);
	bool ok = doc && g && levels && json_object_set(doc, "grades", g) == 0 &&
		  json_object_set(doc, "levels", levels) == 0 &&
		  json_object_set_new(doc, "version", v ? json_integer(v->version) : json_null()) == 0;
	for (size_t i = 0; ok && i < n; i++)
		if (grades[i] > 0)
			ok = json_object_set_new(g, users[i], json_integer(grades[i])) == 0;
	char *text = ok ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(g);
	json_decref(levels);
	json_decref(doc);
	return text;
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
		req_reply_error(r, 503, "unavailable", "out of memory");
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
