/* Configuration: one table of keys with defaults, read from EXAMD_* and overridden by flags. */
#ifndef EXAMD_CORE_CONFIG_H
#define EXAMD_CORE_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/util.h"

struct config {
	char *database_url;
	char *listen_database_url; /* the revocation listener's; empty: database_url; "off": none */
	char *http_host;
	int http_port;
	int workers;               /* event-loop threads; 0 = number of cores */
	int db_pool_size;          /* connections per worker */
	int db_queue_max;          /* queued queries per worker before 503 */
	int db_timeout_ms;         /* statement and queue-wait bound (db_pool_set_timeout); 0 = none */
	int db_prepare;            /* 1: prepare short statements per connection */
	int hash_threads;          /* password hashing threads */
	int scrypt_log2n;          /* scrypt cost for new hashes */
	int grace_seconds;         /* exam grace after the deadline */
	int close_batch;           /* attempts claimed and closed per auto-submit batch */
	int close_concurrency;     /* auto-submit batches in flight per process */
	int close_lease_ms;        /* how long a claim on due attempts holds */
	int stats_refresh_seconds; /* the SEM refresher's period (api/stats.c); 0 = off */
	int save_slot_wait_ms;     /* a save statement still running after this gives up its slot (api/saves.c) */
	int save_second_slot_ms;   /* a second save statement starts once the first has run this long */
	int session_idle_seconds;
	int session_ttl_seconds;
	int max_json_body;   /* bytes */
	int max_bank_body;   /* bytes */
	int max_connections; /* per worker */
	int request_timeout; /* seconds for reading a request */
	char *web_dir;
	char *migrations_dir;
	char *tls_cert;
	char *tls_key;
	char *log_level;
	char *log_file;        /* empty: stderr */
	char *trusted_proxies; /* comma-separated peer addresses whose X-Forwarded-For is believed */
	int migrate_on_start;
};

/* Fills cfg with defaults, then the environment. false + message on a bad value. */
bool config_load_env(struct config *cfg, char *err, size_t errlen) MUST_CHECK;
/* Applies "--flag value" / "--flag=value" pairs from argv[start..]; unknown flags fail. */
bool config_apply_flags(struct config *cfg, int argc, char **argv, int start, char *err, size_t errlen) MUST_CHECK;
void config_print_help(FILE *out);
void config_free(struct config *cfg);

#endif
