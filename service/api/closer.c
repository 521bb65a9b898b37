/* Closing one attempt (api/closer.h): the scoring input, the exact scorer, the conditional close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/closer.h"
#include "core/log.h"
#include "domain/attempt.h"

#define CLOSE_MAX_TRIES 5

static void on_closed(const struct db_result *res, void *arg)
{
	struct closer *c = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		log_warning("closing attempt %s failed: %s", c->id, db_result_message(res));
		c->done(c, false);
		return;
	}
	if (!strcmp(db_result_value(res, 0, 0), "changed") && ++c->tries < CLOSE_MAX_TRIES) {
		closer_read(c);
		return;
	}
	c->done(c, strcmp(db_result_value(res, 0, 0), "changed") != 0);
}

static void on_scoring_input(const struct db_result *res, void *arg)
{
	struct closer *c = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1 || db_result_isnull(res, 0, 0)) {
		c->done(c, false);
		return;
	}
	json_error_t jerr;
	json_t *input = json_loads(db_result_value(res, 0, 0), 0, &jerr);
	const char *status = json_string_value(json_object_get(input, "status"));
	if (!input || !status || strcmp(status, "open") != 0) {
		json_decref(input);
		c->done(c, input != NULL); /* already closed: nothing to do */
		return;
	}
	snprintf(c->version, sizeof c->version, "%lld",
		 (long long)json_integer_value(json_object_get(input, "answers_version")));
	json_t *result = NULL;
	char err[256];
	enum score_status st = attempt_score_json(input, &result, err, sizeof err);
	json_decref(input);
	if (st != SCORE_OK) {
		log_error("attempt %s cannot be scored: %s", c->id, err);
		c->done(c, false);
		return;
	}
	char *text = json_dumps(result, JSON_COMPACT);
	json_decref(result);
	char grace[16];
	snprintf(grace, sizeof grace, "%d", c->cfg->grace_seconds);
	const char *params[] = {c->id, c->version, c->status, grace, text, c->actor};
	bool queued = db_query(c->db, "SELECT examd_attempt_close($1::bigint, $2::bigint, $3, $4::int, $5::jsonb, $6)",
			       6, params, on_closed, c);
	free(text);
	if (!queued)
		c->done(c, false);
}

void closer_read(struct closer *c)
{
	const char *params[] = {c->id};
	if (!db_query(c->db, "SELECT examd_attempt_scoring_input($1::bigint)::text", 1, params, on_scoring_input, c))
		c->done(c, false);
}

struct closer *closer_new(struct db_pool *db, const struct config *cfg, const char *id, const char *status,
			  const char *actor, closer_done done, void *arg)
{
	struct closer *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->db = db;
	c->cfg = cfg;
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->status, sizeof c->status, "%s", status);
	snprintf(c->actor, sizeof c->actor, "%s", actor);
	c->done = done;
	c->arg = arg;
	return c;
}
