/* examd: argv, configuration, start-up order, signals. */
#include <event2/event.h>
#include <event2/thread.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/api.h"
#include "core/config.h"
#include "core/log.h"
#include "core/password.h"
#include "db/migrate.h"
#include "http/offload.h"
#include "http/server.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: examd serve [options]\n"
		     "       examd migrate [options]\n"
		     "       examd user add --username U --role R [--name N] [--grade G] [--department D] [--if-missing]\n"
		     "                      (the password is read from the first line of standard input)\n"
		     "       examd help\n\n"
		     "options (each also read from its environment variable):\n");
	config_print_help(out);
}

static bool apply_log_level(const struct config *cfg)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(cfg->log_level, names[i])) {
			log_set_level((enum log_level)i);
			return true;
		}
	fprintf(stderr, "examd: EXAMD_LOG_LEVEL must be debug, info, warning or error\n");
	return false;
}

static bool load_config(struct config *cfg, int argc, char **argv, int start)
{
	char err[512];
	if (!config_load_env(cfg, err, sizeof err) || !config_apply_flags(cfg, argc, argv, start, err, sizeof err)) {
		fprintf(stderr, "examd: %s\n", err);
		return false;
	}
	if (!apply_log_level(cfg))
		return false;
	if (!cfg->database_url[0]) {
		fprintf(stderr, "examd: EXAMD_DATABASE_URL (or --database-url) is required\n");
		return false;
	}
	return true;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	if (!load_config(&cfg, argc, argv, 2))
		return 2;
	raise_nofile();
	if (evthread_use_pthreads() != 0) {
		log_error("libevent has no thread support");
		return 1;
	}
	/* Migrations run before any loop exists; wait a little for a database that is starting. */
	bool migrated = false;
	for (int i = 0; i < 30 && !(migrated = migrate_run(cfg.database_url, cfg.migrations_dir)); i++)
		sleep(1);
	if (!migrated) {
		log_error("the database could not be migrated; giving up");
		return 1;
	}
	if (!static_load(cfg.web_dir))
		return 1;

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by every thread; main waits for them */
	signal(SIGPIPE, SIG_IGN);

	struct server s = {
		.cfg = &cfg,
		.nworkers = cfg.workers,
		.dispatch = api_dispatch,
		.worker_start = api_worker_start,
		.worker_stop = api_worker_stop,
	};
	s.offload = offload_new(cfg.hash_threads);
	if (!s.offload || !server_start(&s)) {
		log_error("examd could not start");
		return 1;
	}
	int sig = 0;
	sigwait(&sigs, &sig);
	log_json(LOG_INFO, json_pack("{s:s,s:i}", "msg", "stopping", "signal", sig));
	server_stop(&s);
	offload_free(s.offload);
	config_free(&cfg);
	log_info("stopped");
	return 0;
}

static int cmd_migrate(int argc, char **argv)
{
	struct config cfg;
	if (!load_config(&cfg, argc, argv, 2))
		return 2;
	bool ok = migrate_run(cfg.database_url, cfg.migrations_dir);
	config_free(&cfg);
	return ok ? 0 : 1;
}

/* `examd user add`: its own flags first, the rest are configuration flags. */
static int cmd_user_add(int argc, char **argv)
{
	const char *username = NULL, *role = NULL, *name = NULL, *grade = NULL, *department = "";
	bool if_missing = false;
	int rest = argc;
	char **rest_argv = calloc((size_t)argc + 1, sizeof *rest_argv);
	int nrest = 0;
	for (int i = 3; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--username")     ? &username
				    : !strcmp(argv[i], "--role")       ? &role
				    : !strcmp(argv[i], "--name")       ? &name
				    : !strcmp(argv[i], "--grade")      ? &grade
				    : !strcmp(argv[i], "--department") ? &department
								       : NULL;
		if (slot && i + 1 < argc) {
			*slot = argv[++i];
		} else if (!strcmp(argv[i], "--if-missing")) {
			if_missing = true;
		} else {
			rest_argv[nrest++] = argv[i];
		}
	}
	(void)rest;
	struct config cfg;
	bool ok = load_config(&cfg, nrest, rest_argv, 0);
	free(rest_argv);
	if (!ok)
		return 2;
	long g = 0;
	if (!username || !role) {
		fprintf(stderr, "examd user add: --username and --role are required\n");
		return 2;
	}
	if (strcmp(role, "employee") && strcmp(role, "trainer") && strcmp(role, "hr") && strcmp(role, "admin")) {
		fprintf(stderr, "examd user add: --role must be employee, trainer, hr or admin\n");
		return 2;
	}
	if ((grade && !util_parse_long(grade, 1, 4, &g)) || (!strcmp(role, "employee") && !grade)) {
		fprintf(stderr, "examd user add: employees need --grade 1..4\n");
		return 2;
	}
	char password[PASSWORD_MAX_LEN + 2];
	if (!fgets(password, sizeof password, stdin)) {
		fprintf(stderr, "examd user add: no password on standard input\n");
		return 2;
	}
	password[strcspn(password, "\r\n")] = '\0';
	const char *weak = password_policy_error(password);
	if (weak) {
		fprintf(stderr, "examd user add: %s\n", weak);
		return 2;
	}
	char hash[PASSWORD_HASH_MAX];
	if (!password_hash(password, cfg.scrypt_log2n, hash, sizeof hash)) {
		fprintf(stderr, "examd user add: password hashing failed\n");
		return 1;
	}
	OPENSSL_cleanse(password, sizeof password);
	const char *keys[] = {"fallback_application_name", "dbname", NULL};
	const char *vals[] = {"examd-cli", cfg.database_url, NULL};
	PGconn *db = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "examd user add: cannot connect: %s", PQerrorMessage(db));
		PQfinish(db);
		return 1;
	}
	const char *params[] = {username, name ? name : username, role, department, hash, grade};
	PGresult *res = PQexecParams(
		db,
		"WITH u AS (INSERT INTO users (username, name, role, department, password_hash)"
		"           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING username),"
		" g AS (INSERT INTO user_grades (username, grade, recorded_by) SELECT username, $6::int, 'examd-cli'"
		"       FROM u WHERE $6::int IS NOT NULL),"
		" a AS (INSERT INTO audit_log (actor, action, target, detail) SELECT 'examd-cli', 'user.create',"
		"       'user:' || username, jsonb_build_object('role', $3::text, 'grade', $6::int) FROM u)"
		" SELECT count(*) FROM u",
		6, NULL, params, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "examd user add: %s", PQerrorMessage(db));
		rc = 1;
	} else if (strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
		if (if_missing) {
			printf("user %s already exists\n", username);
		} else {
			fprintf(stderr, "examd user add: user %s already exists\n", username);
			rc = 1;
		}
	} else {
		printf("user %s added (%s)\n", username, role);
	}
	PQclear(res);
	PQfinish(db);
	config_free(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc, argv);
	if (!strcmp(argv[1], "migrate"))
		return cmd_migrate(argc, argv);
	if (!strcmp(argv[1], "user") && argc > 2 && !strcmp(argv[2], "add"))
		return cmd_user_add(argc, argv);
	fprintf(stderr, "examd: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
