/* Operations endpoints: liveness, readiness (the database answers), Prometheus metrics and the audit log. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/trust.h"
#include "http/server.h"
#include "http/metrics.h"
#include "core/log.h"
#include "http/offload.h"

void ops_healthz(struct req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	req_reply_json_text(r, 200, ok, sizeof ok - 1);
}

static void on_ready(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (db_result_status(res) != DB_OK) {
		req_reply_error(r, 503, "unavailable", "the database does not answer");
		return;
	}
	static const char ok[] = "{\"status\":\"ready\"}";
	req_reply_json_text(r, 200, ok, sizeof ok - 1);
}

void ops_readyz(struct req *r)
{
	if (!db_query(api_db(r), "SELECT 1", 0, NULL, on_ready, r))
		req_reply_error(r, 503, "unavailable", "the database does not answer");
}

static void render_pool(struct evbuffer *out, struct server *s)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{"examd_db_pool_connections", "gauge", "Database connections configured, per worker."},
		{"examd_db_pool_connected", "gauge", "Database connections up, per worker."},
		{"examd_db_pool_busy", "gauge", "Database connections running a statement, per worker."},
		{"examd_db_pool_queued", "gauge", "Statements waiting for a connection, per worker."},
		{"examd_db_queries_total", "counter", "Statements sent, per worker."},
		{"examd_db_failures_total", "counter", "Statements that failed, per worker."},
		{"examd_db_connects_total", "counter", "Connection attempts, per worker."},
		{"examd_db_prepared_total", "counter",
		 "Statements executed by name (prepared on the connection), per worker."},
		{"examd_db_prepare_resets_total", "counter",
		 "Times a connection forgot its prepared statements, per worker."},
		{"examd_db_timeouts_total", "counter",
		 "Statements given up (no answer in EXAMD_DB_TIMEOUT_MS, or waited that long), per worker."},
	};
	for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name, m[k].type);
		for (int i = 0; i < s->nworkers; i++) {
			struct db_pool_stats st;
			if (!s->workers[i].db)
				continue;
			db_pool_get_stats(s->workers[i].db, &st);
			unsigned long long v = k == 0   ? (unsigned long long)st.size
					       : k == 1 ? (unsigned long long)st.connected
					       : k == 2 ? (unsigned long long)st.busy
					       : k == 3 ? (unsigned long long)st.queued
					       : k == 4 ? st.queries
					       : k == 5 ? st.failures
					       : k == 6 ? st.reconnects
					       : k == 7 ? st.prepared
					       : k == 8 ? st.prepare_resets
							: st.timeouts;
			evbuffer_add_printf(out, "%s{worker=\"%d\"} %llu\n", m[k].name, i, v);
		}
	}
	evbuffer_add_printf(out, "# HELP examd_http_connections Client connections open, per worker.\n"
				 "# TYPE examd_http_connections gauge\n");
	for (int i = 0; i < s->nworkers; i++)
		evbuffer_add_printf(out, "examd_http_connections{worker=\"%d\"} %ld\n", i,
				    atomic_load(&s->workers[i].conns_live));
	evbuffer_add_printf(
		out,
		"# HELP examd_offload_pending Jobs (password hashing, imports) waiting or running, by class.\n"
		"# TYPE examd_offload_pending gauge\nexamd_offload_pending{class=\"login\"} %ld\n"
		"examd_offload_pending{class=\"bulk\"} %ld\nexamd_offload_pending{class=\"close\"} %ld\n"
		"# HELP examd_offload_refused_total Jobs refused because their queue was full.\n"
		"# TYPE examd_offload_refused_total counter\nexamd_offload_refused_total %ld\n"
		"# HELP examd_password_checks_total Password verifications run for logins.\n"
		"# TYPE examd_password_checks_total counter\nexamd_password_checks_total %lu\n",
		offload_pending_class(s->offload, OFFLOAD_LOGIN), offload_pending_class(s->offload, OFFLOAD_BULK),
		offload_pending_class(s->offload, OFFLOAD_CLOSE), offload_refused(s->offload), auth_password_checks());
}

struct expiry_gauges {
	long long open, due, parked;
	double oldest;
};

static void metrics_send(struct req *r, const struct expiry_gauges *g)
{
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		req_reply_error(r, 503, "unavailable", "out of memory");
		return;
	}
	metrics_render(out, api_routes, api_nroutes);
	render_pool(out, r->worker->server);
	server_render_loop_lag(out, r->worker->server);
	saves_metrics(out);
	trust_metrics(out);
	expiry_metrics(out, g ? g->open : -1, g ? g->due : 0, g ? g->oldest : 0, g ? g->parked : 0);
	size_t len = evbuffer_get_length(out);
	char *text = malloc(len + 1);
	if (text) {
		evbuffer_copyout(out, text, len);
		req_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	} else {
		req_reply_error(r, 503, "unavailable", "out of memory");
	}
	free(text);
	evbuffer_free(out);
}

static void on_open_attempts(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	if (req_orphaned(r)) { /* shutting down: nothing to render for */
		req_reply_empty(r, 503);
		return;
	}
	if (db_result_status(res) != DB_OK || db_result_rows(res) != 1) {
		metrics_send(r, NULL);
		return;
	}
	struct expiry_gauges g = {db_result_long(res, 0, 0), db_result_long(res, 0, 1), db_result_long(res, 0, 3),
				  atof(db_result_value(res, 0, 2))};
	metrics_send(r, &g);
}

void ops_metrics(struct req *r)
{
	/* The attempt gauges need the database; the rest is rendered without it. */
	char grace[16];
	snprintf(grace, sizeof grace, "%d", api_cfg(r)->grace_seconds);
	const char *params[] = {grace};
	if (!db_query(api_db(r), "SELECT open, due, oldest_overdue_seconds, parked FROM examd_expiry_gauges($1::int)",
		      1, params, on_open_attempts, r))
		metrics_send(r, NULL);
}

/* The audit log for admins: GET /api/v1/audit?since=&actor=&action=&limit=, newest first.
 * action matches exactly or as a prefix ("attempt" matches attempt.start, attempt.submitted...). */
void ops_audit(struct req *r)
{
	const char *since = req_query(r, "since"), *actor = req_query(r, "actor"), *action = req_query(r, "action");
	const char *limit = req_query(r, "limit");
	long n = 200;
	if (limit && *limit && !util_parse_long(limit, 1, 5000, &n)) {
		req_reply_error(r, 400, "invalid_field", "limit must be a number from 1 to 5000");
		return;
	}
	if (since && *since && (strlen(since) > 40 || strspn(since, "0123456789-:.TZ+ tz") != strlen(since))) {
		req_reply_error(r, 400, "invalid_field", "since must be an RFC 3339 time");
		return;
	}
	char nbuf[16];
	snprintf(nbuf, sizeof nbuf, "%ld", n);
	const char *params[] = {since && *since ? since : NULL, actor && *actor ? actor : NULL,
				action && *action ? action : NULL, nbuf};
	api_query_json(
		r, 200,
		"SELECT json_build_object('entries', coalesce(json_agg(json_build_object('id', id, 'at', examd_ts(at),"
		"  'actor', actor, 'action', action, 'target', target, 'address', address, 'detail', detail)"
		"  ORDER BY id DESC), '[]'))::text"
		" FROM (SELECT * FROM audit_log WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz)"
		"   AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3 OR action LIKE $3 || '.%')"
		"   ORDER BY id DESC LIMIT $4::int) a",
		4, params);
}
