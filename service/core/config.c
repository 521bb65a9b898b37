/* Configuration: one table of keys with defaults, read from EXAMD_* and overridden by flags. */
#include "core/config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef EXAMD_DEFAULT_WEB_DIR
#define EXAMD_DEFAULT_WEB_DIR "service/web"
#endif
#ifndef EXAMD_DEFAULT_MIGRATIONS_DIR
#define EXAMD_DEFAULT_MIGRATIONS_DIR "migrations"
#endif

enum key_type { KEY_STRING, KEY_INT };

struct key {
	const char *env;
	const char *flag;
	enum key_type type;
	size_t offset;
	const char *def;
	long min, max;
	const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct key keys[] = {
	{"EXAMD_DATABASE_URL", "database-url", KEY_STRING, OFF(database_url), "", 0, 0, "libpq connection string"},
	{"EXAMD_LISTEN_DATABASE_URL", "listen-database-url", KEY_STRING, OFF(listen_database_url), "", 0, 0,
	 "the revocation listener's connection, direct or session-pooled (empty: EXAMD_DATABASE_URL; off: none)"},
	{"EXAMD_HTTP_HOST", "host", KEY_STRING, OFF(http_host), "127.0.0.1", 0, 0, "address to listen on"},
	{"EXAMD_HTTP_PORT", "port", KEY_INT, OFF(http_port), "8080", 0, 65535, "TCP port (0 = any free port)"},
	{"EXAMD_WORKERS", "workers", KEY_INT, OFF(workers), "0", 0, 256, "event-loop threads (0 = cores)"},
	{"EXAMD_DB_POOL_SIZE", "db-pool-size", KEY_INT, OFF(db_pool_size), "4", 1, 256,
	 "database connections per worker"},
	{"EXAMD_DB_PREPARE", "db-prepare", KEY_INT, OFF(db_prepare), "1", 0, 1,
	 "1: prepare short statements once per connection; 0: never (old PgBouncer)"},
	{"EXAMD_SAVE_SLOT_WAIT_MS", "save-slot-wait-ms", KEY_INT, OFF(save_slot_wait_ms), "1000", 10, 600000,
	 "after this long a save statement gives up its save slot to the saves behind it"},
	{"EXAMD_SAVE_SECOND_SLOT_MS", "save-second-slot-ms", KEY_INT, OFF(save_second_slot_ms), "20", 0, 600000,
	 "a worker's second save statement starts only once its first has run this long (0 = at once)"},
	{"EXAMD_DB_TIMEOUT_MS", "db-timeout-ms", KEY_INT, OFF(db_timeout_ms), "30000", 0, 3600000,
	 "a statement with no answer after this long fails (503) and its connection is made anew; also the longest wait for a connection (0 = no bound)"},
	{"EXAMD_DB_QUEUE_MAX", "db-queue-max", KEY_INT, OFF(db_queue_max), "20000", 1, 10000000,
	 "queued queries per worker before 503"},
	{"EXAMD_HASH_THREADS", "hash-threads", KEY_INT, OFF(hash_threads), "0", 0, 64,
	 "password hashing threads (0 = cores - 1, at least 1)"},
	{"EXAMD_SCRYPT_LOG2N", "scrypt-log2n", KEY_INT, OFF(scrypt_log2n), "15", 10, 20,
	 "scrypt cost 2^N for new password hashes"},
	{"EXAMD_GRACE_SECONDS", "grace-seconds", KEY_INT, OFF(grace_seconds), "10", 0, 3600,
	 "grace after an exam deadline"},
	{"EXAMD_CLOSE_BATCH", "close-batch", KEY_INT, OFF(close_batch), "250", 1, 5000,
	 "due attempts claimed, scored and closed per auto-submit batch"},
	{"EXAMD_CLOSE_CONCURRENCY", "close-concurrency", KEY_INT, OFF(close_concurrency), "3", 1, 64,
	 "auto-submit batches in flight per process (each holds one database connection while it closes)"},
	{"EXAMD_CLOSE_LEASE_MS", "close-lease-ms", KEY_INT, OFF(close_lease_ms), "1500", 200, 600000,
	 "a claim on due attempts lapses after this many milliseconds, so a process that died mid-close leaves them to the others"},
	{"EXAMD_STATS_REFRESH_SECONDS", "stats-refresh-seconds", KEY_INT, OFF(stats_refresh_seconds), "10", 0, 86400,
	 "recompute each blueprint's SEM this often after closes (0 = never)"},
	{"EXAMD_SESSION_IDLE_SECONDS", "session-idle-seconds", KEY_INT, OFF(session_idle_seconds), "7200", 60, 31536000,
	 "session idle expiry"},
	{"EXAMD_SESSION_TTL_SECONDS", "session-ttl-seconds", KEY_INT, OFF(session_ttl_seconds), "43200", 60, 31536000,
	 "session absolute expiry"},
	{"EXAMD_MAX_JSON_BODY", "max-json-body", KEY_INT, OFF(max_json_body), "1048576", 1024, 1073741824,
	 "JSON body limit (bytes)"},
	{"EXAMD_MAX_BANK_BODY", "max-bank-body", KEY_INT, OFF(max_bank_body), "20971520", 1024, 1073741824,
	 "bank upload limit (bytes)"},
	{"EXAMD_MAX_CONNECTIONS", "max-connections", KEY_INT, OFF(max_connections), "30000", 16, 10000000,
	 "open connections per worker"},
	{"EXAMD_REQUEST_TIMEOUT", "request-timeout", KEY_INT, OFF(request_timeout), "30", 1, 3600,
	 "seconds a connection may idle, or a reply wait for its reader"},
	{"EXAMD_WEB_DIR", "web-dir", KEY_STRING, OFF(web_dir), EXAMD_DEFAULT_WEB_DIR, 0, 0, "folder of the web UI"},
	{"EXAMD_MIGRATIONS_DIR", "migrations-dir", KEY_STRING, OFF(migrations_dir), EXAMD_DEFAULT_MIGRATIONS_DIR, 0, 0,
	 "folder of migrations/*.sql"},
	{"EXAMD_TLS_CERT", "tls-cert", KEY_STRING, OFF(tls_cert), "", 0, 0, "PEM certificate (enables HTTPS)"},
	{"EXAMD_TLS_KEY", "tls-key", KEY_STRING, OFF(tls_key), "", 0, 0, "PEM private key"},
	{"EXAMD_LOG_LEVEL", "log-level", KEY_STRING, OFF(log_level), "info", 0, 0, "debug, info, warning or error"},
	{"EXAMD_TRUSTED_PROXIES", "trusted-proxies", KEY_STRING, OFF(trusted_proxies), "", 0, 0,
	 "proxy addresses whose X-Forwarded-For names the client (e.g. 127.0.0.1)"},
	{"EXAMD_MIGRATE_ON_START", "migrate-on-start", KEY_INT, OFF(migrate_on_start), "1", 0, 1,
	 "1: serve migrates first; 0: run examd migrate yourself"},
	{"EXAMD_LOG_FILE", "log-file", KEY_STRING, OFF(log_file), "", 0, 0,
	 "append logs to this file (reopened on SIGHUP)"},
};

static bool set_key(struct config *cfg, const struct key *k, const char *value, char *err, size_t errlen)
{
	char *base = (char *)cfg + k->offset;
	if (k->type == KEY_STRING) {
		char **slot = (char **)(void *)base;
		free(*slot);
		*slot = strdup(value);
		return *slot != NULL;
	}
	long v;
	if (!util_parse_long(value, k->min, k->max, &v)) {
		snprintf(err, errlen, "%s: expected an integer in %ld..%ld, got \"%s\"", k->env, k->min, k->max, value);
		return false;
	}
	*(int *)(void *)base = (int)v;
	return true;
}

/* 0 workers means one per core, whether it came from the environment or a flag. */
static void resolve_workers(struct config *cfg)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (cfg->workers == 0)
		cfg->workers = n > 0 ? (int)n : 1;
	/* Hashing leaves a core to the loops and the database. */
	if (cfg->hash_threads == 0)
		cfg->hash_threads = n > 2 ? (int)n - 1 : 1;
}

bool config_load_env(struct config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = getenv(keys[i].env);
		if (!set_key(cfg, &keys[i], keys[i].def, err, errlen))
			return false;
		if (v && *v && !set_key(cfg, &keys[i], v, err, errlen))
			return false;
	}
	resolve_workers(cfg);
	return true;
}

bool config_apply_flags(struct config *cfg, int argc, char **argv, int start, char *err, size_t errlen)
{
	for (int i = start; i < argc; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument \"%s\"", arg);
			return false;
		}
		arg += 2;
		const char *eq = strchr(arg, '=');
		size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct key *k = NULL;
		for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++)
			if (strlen(keys[j].flag) == namelen && strncmp(keys[j].flag, arg, namelen) == 0)
				k = &keys[j];
		if (!k) {
			snprintf(err, errlen, "unknown option \"--%.*s\"", (int)namelen, arg);
			return false;
		}
		const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!value) {
			snprintf(err, errlen, "option --%s needs a value", k->flag);
			return false;
		}
		if (!set_key(cfg, k, value, err, errlen))
			return false;
	}
	resolve_workers(cfg);
	return true;
}

void config_print_help(FILE *out)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		fprintf(out, "  --%-22s %-28s %s (default: %s)\n", keys[i].flag, keys[i].env, keys[i].help,
			keys[i].def[0] ? keys[i].def : "none");
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].type == KEY_STRING) {
			char **slot = (char **)(void *)((char *)cfg + keys[i].offset);
			free(*slot);
			*slot = NULL;
		}
}
