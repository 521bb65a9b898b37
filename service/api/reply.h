/* Replies shared by the API handlers: the one table from a statement's status to the HTTP status and
 * SPEC error code (§4), database failures, a busy server, and statements whose value is the reply. */
#ifndef EXAMD_API_REPLY_H
#define EXAMD_API_REPLY_H

#include <jansson.h>
#include <stdbool.h>

#include "db/pool.h"
#include "http/request.h"

/* One status a statement can return (migrations: status text), and how it is answered. */
struct api_status {
	const char *status;
	int http;
	const char *code;    /* the SPEC error code; NULL for a success */
	const char *message; /* the message when the statement gives none */
};

/* The table, in the order of SPEC §4's checks; api_nstatuses entries. */
extern const struct api_status api_statuses[];
extern const int api_nstatuses;

/* The entry of status, NULL when the table has none. */
const struct api_status *api_status_find(const char *status);

/* The HTTP status of a statement's status; 503 for one the table does not know. */
int api_status_http(const char *status);

/* Replies with the error of a refusal: the table's HTTP status and code, with message (NULL or empty:
 * the table's). A status the table does not know, or a success, is a bug between SQL and C: logged as
 * an error and answered 503 unavailable (SPEC §4 allows no other 5xx). */
void api_reply_status(struct req *r, const char *status, const char *message);

/* api_reply_status with one more member beside "error" (steals value), e.g. pool_too_small's
 * "shortages"; value NULL (out of memory): 503. */
void api_reply_status_extra(struct req *r, const char *status, const char *message, const char *key, json_t *value);

/* The reply of a statement with the typed columns (status, message, body): body with ok_http when
 * the status is 'ok', else api_reply_status. Failures and a missing row reply 503. */
void api_reply_typed(struct req *r, const struct db_result *res, int ok_http);

/* Maps a failed database result to 503 unavailable (outage or unexpected error), logged. */
void api_reply_db_failure(struct req *r, const struct db_result *res);

/* 503 unavailable with Retry-After: the work pool's queue is full (or the server is stopping). */
void api_reply_busy(struct req *r);

/* Replies with the statement's single JSON value (status), or missing_status + code + message
 * when there is no row; database failures reply 503. */
void api_reply_value(struct req *r, const struct db_result *res, int status, int missing_status,
		     const char *missing_code, const char *missing_message);

/* Sends a statement; on queue/connection failure replies 503 and returns false. */
bool api_query(struct req *r, const char *sql, int n, const char *const *params, db_callback cb);

/* Runs a statement whose single row/column is a JSON document and replies with it
 * (status on success, 404 not_found when no row). Failures reply 503. */
void api_query_json(struct req *r, int status, const char *sql, int n, const char *const *params);

#endif
