/* The revocation listener (see trust.h and the triggers in migrations/functions/users.sql). */
#include "api/trust.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/shapes.h"
#include "core/log.h"
#include "db/listen.h"

#define TRUST_RETRY_MS 2000

static struct db_listener *listener;
/* The listener thread's own: a counter the database had that this process had not heard of yet. */
static long long ahead = -1;

bool trust_parse(const char *payload, long long *epoch, char *kind, const char **key)
{
	char *end;
	errno = 0;
	long long n = strtoll(payload, &end, 10);
	if (errno || end == payload || n < 0 || *end != ' ')
		return false;
	*epoch = n;
	*kind = end[1];
	if (*kind == '*' && end[2] == '\0') {
		*key = "";
		return true;
	}
	if ((*kind == 's' || *kind == 'u') && end[2] == ' ' && end[3] != '\0') {
		*key = end + 3;
		return true;
	}
	return false;
}

/* The counter, or -1 when value is not one (NULL: the connection is not listening). */
static long long counter(const char *value)
{
	char *end;
	errno = 0;
	long long n = strtoll(value, &end, 10);
	return end != value && *end == '\0' && !errno && n >= 0 ? n : -1;
}

static bool on_up(const char *value, void *arg)
{
	(void)arg;
	long long n = counter(value);
	shapes_trust_reset(n);
	ahead = -1;
	return n >= 0;
}

/* The database's counter, every DB_LISTEN_RECHECK_MS. Notifications up to a counter read this way
 * arrive within milliseconds; one still not heard of at the next recheck was lost (a counter moved
 * by hand, a notification dropped), so every trust goes and the process starts again at the
 * counter. Until then the database's counter differs from the applied one and no save is trusted. */
static bool on_recheck(const char *value, void *arg)
{
	(void)arg;
	long long n = counter(value);
	if (n < 0) {
		shapes_trust_reset(-1);
		return false;
	}
	long long applied;
	unsigned long trusted;
	shapes_trust_counts(&applied, &trusted);
	if (ahead > applied) {
		log_warning("revocations up to %lld were not heard of; every trusted save is checked again", ahead);
		shapes_trust_reset(n);
		ahead = -1;
	} else {
		ahead = n > applied ? n : -1;
	}
	return true;
}

static void on_down(const char *why, void *arg)
{
	(void)why;
	(void)arg;
	shapes_trust_reset(-1);
}

static void on_notify(const char *payload, void *arg)
{
	(void)arg;
	long long epoch;
	char kind;
	const char *key;
	if (!trust_parse(payload, &epoch, &kind, &key)) {
		/* Its counter is unknown: every trust goes, the applied counter stays (the database's is
		 * then ahead of it until the next notification, which shows the gap). */
		log_warning("an unexpected revocation notification; every trusted save is checked again");
		shapes_trust_revoke(0, '*', "");
		return;
	}
	shapes_trust_revoke(epoch, kind, key);
}

bool trust_start(const struct config *cfg)
{
	if (listener)
		return true;
	static const struct db_listener_ops ops = {
		.channel = "examd_auth",
		/* NULL when this connection does not listen (behind a pooler that moved it) */
		.probe_sql = "SELECT CASE WHEN 'examd_auth' IN (SELECT pg_listening_channels()) THEN n END"
			     " FROM auth_epoch WHERE one",
		.on_up = on_up,
		.on_down = on_down,
		.on_notify = on_notify,
		.on_recheck = on_recheck,
	};
	const char *url = cfg->listen_database_url[0] ? cfg->listen_database_url : cfg->database_url;
	if (!strcmp(url, "off")) {
		log_info("no revocation listener (EXAMD_LISTEN_DATABASE_URL=off): every save is checked in full");
		return true;
	}
	char name[64];
	snprintf(name, sizeof name, "examd-listen/%ld", (long)getpid());
	listener = db_listener_start(url, name, TRUST_RETRY_MS, &ops);
	if (!listener)
		log_error("cannot start the revocation listener; every save is checked in full in the database");
	return listener != NULL;
}

void trust_stop(void)
{
	db_listener_stop(listener);
	listener = NULL;
	shapes_trust_reset(-1);
}

void trust_metrics(struct evbuffer *out)
{
	struct db_listener_stats st = {0};
	if (listener)
		db_listener_get_stats(listener, &st);
	long long epoch;
	unsigned long trusted;
	shapes_trust_counts(&epoch, &trusted);
	evbuffer_add_printf(
		out,
		"# HELP examd_auth_listener_up Whether the revocation listener is connected (1) or saves are checked in full (0).\n"
		"# TYPE examd_auth_listener_up gauge\nexamd_auth_listener_up %d\n"
		"# HELP examd_auth_listener_connects_total Connections the revocation listener has made.\n"
		"# TYPE examd_auth_listener_connects_total counter\nexamd_auth_listener_connects_total %lu\n"
		"# HELP examd_auth_notifications_total Revocation notifications received.\n"
		"# TYPE examd_auth_notifications_total counter\nexamd_auth_notifications_total %lu\n"
		"# HELP examd_auth_epoch The revocation counter this process has applied (-1: not listening).\n"
		"# TYPE examd_auth_epoch gauge\nexamd_auth_epoch %lld\n"
		"# HELP examd_autosave_trusts Attempts whose saving session is trusted from memory.\n"
		"# TYPE examd_autosave_trusts gauge\nexamd_autosave_trusts %lu\n",
		st.up ? 1 : 0, st.connects, st.notifications, epoch, trusted);
}
