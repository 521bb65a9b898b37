/* An employee's attempts, numbered per exam (第 n 次: start order within item x level, as in the
 * trainers' results list): the employee's own, or any employee's for hr and admin (?username=). */
#include <string.h>

#include "api/api.h"

void attempts_history(struct req *r)
{
	const char *who = req_query(r, "username"), *item = req_query(r, "item");
	bool staff = !strcmp(r->user.role, "hr") || !strcmp(r->user.role, "admin");
	if (!who || !*who)
		who = r->user.username;
	if (!staff && strcmp(who, r->user.username) != 0) {
		req_reply_error(r, 403, "forbidden", "employees read their own attempts only");
		return;
	}
	const struct catalog_item *it = item && *item ? catalog_item_find(catalog_default(), item) : NULL;
	if (item && *item && (!it || it->assessment != CATALOG_ASSESS_EXAM)) {
		req_reply_error(r, 400, "invalid_field", "item must be an exam item of the model");
		return;
	}
	const char *params[] = {who, it ? it->code : NULL};
	api_query_json(
		r, 200,
		"SELECT json_build_object('username', $1::text, 'attempts', coalesce(json_agg(json_build_object("
		"  'attempt_id', a.id, 'item', a.item, 'level', a.level, 'attempt_no', a.n, 'status', a.status,"
		"  'standard_score', a.standard_score, 'band', a.band,"
		"  'band_name_zh', (SELECT name_zh FROM model_rating_scale WHERE score = a.band),"
		"  'started_at', examd_ts(a.started_at), 'submitted_at', examd_ts(a.submitted_at))"
		"  ORDER BY a.item, a.level, a.n), '[]'))::text"
		" FROM (SELECT a.*, row_number() OVER (PARTITION BY a.item, a.level ORDER BY a.started_at, a.id) AS n"
		"       FROM attempts a WHERE a.username = $1 AND ($2::text IS NULL OR a.item = $2)) a",
		2, params);
}
