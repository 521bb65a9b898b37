/* Behaviour ratings import (SPEC §4.5): JSON or CSV, parsed off the loop, all or nothing. The
 * records table behaviour_ratings (§6) is also written directly by other systems. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/ratings.h"
#include "http/offload.h"

struct ratings_job {
	bool csv;
	bool dry_run; /* ?dry_run=true: parse and check the employees, write nothing */
	enum ratings_status status;
	struct rating_batch batch;
	char *param;
};

static void ratings_job_free(void *arg)
{
	struct ratings_job *j = arg;
	if (!j)
		return;
	ratings_free(&j->batch);
	free(j->param);
	free(j);
}

static json_t *rejection(size_t rejected, json_t *errors, bool dry_run, const char *encoding)
{
	char message[160];
	snprintf(message, sizeof message, "%zu rows rejected; nothing was imported", rejected ? rejected : 1);
	json_t *o = json_pack("{s:{s:s,s:s},s:b,s:i,s:I,s:o}", "error", "code", "validation_failed", "message", message,
			      "dry_run", dry_run, "created", 0, "rejected", (json_int_t)(rejected ? rejected : 1),
			      "errors", errors);
	if (o && encoding)
		json_object_set_new(o, "encoding", json_string(encoding));
	return o;
}

/* Runs on an offload thread. */
static void ratings_parse(void *arg)
{
	struct req *r = arg;
	struct ratings_job *j = r->data;
	const struct catalog *cat = catalog_default();
	j->status = j->csv ? ratings_parse_csv(cat, r->body, r->body_len, &j->batch)
			   : ratings_parse_json(cat, r->body, r->body_len, &j->batch);
	if (j->status == RATINGS_OK) {
		json_t *rows = ratings_rows_json(&j->batch, r->user.username);
		j->param = rows ? json_dumps(rows, JSON_COMPACT) : NULL;
		json_decref(rows);
	}
}

static void on_ratings_imported(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		api_reply_db_failure(r, res);
		return;
	}
	/* status ('ok' | 'rows_rejected'), created, errors (the row errors: data of the report) */
	struct ratings_job *j = r->data;
	const char *status = db_result_value(res, 0, 0);
	if (!strcmp(status, "rows_rejected")) {
		json_error_t jerr;
		json_t *errors = json_loadb(db_result_value(res, 0, 2), (size_t)db_result_length(res, 0, 2), 0, &jerr);
		if (!json_is_array(errors)) {
			json_decref(errors);
			req_reply_error(r, 503, "unavailable", "unexpected reply from the database");
			return;
		}
		req_reply_json(r, api_status_http(status),
			       rejection(json_array_size(errors), errors, j->dry_run, j->batch.encoding));
		return;
	}
	if (strcmp(status, "ok") != 0) {
		api_reply_status(r, status, NULL);
		return;
	}
	/* A dry run wrote nothing: created is what a real import would create. */
	json_int_t created = j->dry_run ? (json_int_t)j->batch.count : (json_int_t)db_result_long(res, 0, 1);
	json_t *out =
		json_pack("{s:I,s:b,s:i,s:[]}", "created", created, "dry_run", j->dry_run, "rejected", 0, "errors");
	if (out && j->batch.encoding)
		json_object_set_new(out, "encoding", json_string(j->batch.encoding));
	if (!out) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	req_reply_json(r, j->dry_run ? 200 : 201, out);
}

static void ratings_parsed(void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* finished after shutdown: only free */
		req_reply_empty(r, 503);
		return;
	}
	struct ratings_job *j = r->data;
	if (j->status == RATINGS_NOMEM || (j->status == RATINGS_OK && !j->param)) {
		req_reply_error(r, 503, "unavailable", "out of memory while reading the ratings");
		return;
	}
	if (j->status == RATINGS_INVALID) {
		req_reply_json(r, 422,
			       rejection(j->batch.rows_rejected, ratings_errors_json(&j->batch), j->dry_run,
					 j->batch.encoding));
		return;
	}
	if (j->dry_run) {
		const char *params[] = {j->param};
		api_query(r,
			  "SELECT CASE WHEN e IS NULL THEN 'ok' ELSE 'rows_rejected' END, 0, e::text"
			  " FROM examd_ratings_check($1::jsonb) e",
			  1, params, on_ratings_imported);
		return;
	}
	const char *params[] = {j->param, r->user.username, req_client_address(r)};
	api_query(r, "SELECT status, created, errors::text FROM examd_ratings_import($1::jsonb, $2, $3)", 3, params,
		  on_ratings_imported);
}

void ratings_import(struct req *r)
{
	int dry_run;
	if (!api_query_bool(r, "dry_run", 0, &dry_run))
		return;
	const char *ct = req_header(r, "Content-Type");
	bool csv = ct && !strncasecmp(ct, "text/csv", 8);
	if (!csv && !(ct && !strncasecmp(ct, "application/json", 16))) {
		req_reply_error(r, 400, "invalid_field", "Content-Type must be text/csv or application/json");
		return;
	}
	struct ratings_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	j->csv = csv;
	j->dry_run = dry_run != 0;
	r->data = j;
	r->data_free = ratings_job_free;
	if (!offload_submit(r->worker->server->offload, r->worker->base, ratings_parse, ratings_parsed, r))
		api_reply_busy(r);
}
