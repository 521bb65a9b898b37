/* examd: argv, configuration, start-up order, signals. */
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/api.h"
#include "cli.h"
#include "core/config.h"
#include "core/log.h"
#include "db/migrate.h"
#include "http/offload.h"
#include "http/server.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: examd serve [options]\n"
		"       examd migrate [options]\n"
		"       examd user add --username U --role R [--name N] [--grade G] [--department D] [--if-missing]\n"
		"                      (the password is read from the first line of standard input)\n"
		"       examd bank import FILE [--dry-run]   (a CSV or JSON question bank, SPEC section 5)\n"
		"       examd bank lint FILE [--blueprints FILE] [--json]\n"
		"                      (bank checks and surface-cue baselines of a bank file; no database)\n"
		"       examd blueprint put FILE             (JSON: {\"blueprints\": [{\"item\", \"level\", ...}]})\n"
		"       examd demo simulate [--employees N] [--seed S]\n"
		"                      (closed attempts of simulated employees on every blueprint, for statistics)\n"
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

bool load_config(struct config *cfg, int argc, char **argv, int start)
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
	if (cfg.log_file[0] && !log_reopen(cfg.log_file)) {
		fprintf(stderr, "examd: cannot open the log file %s\n", cfg.log_file);
		return 1;
	}
	if (evthread_use_pthreads() != 0) {
		log_error("libevent has no thread support");
		return 1;
	}
	/* Migrations run before any loop exists; wait a little for a database that is starting. */
	enum migrate_result migrated = cfg.migrate_on_start ? MIGRATE_UNREACHABLE : MIGRATE_OK;
	for (int i = 0; i < 30 && migrated == MIGRATE_UNREACHABLE &&
			(migrated = migrate_run(cfg.database_url, cfg.migrations_dir)) == MIGRATE_UNREACHABLE;
	     i++)
		sleep(1);
	if (migrated != MIGRATE_OK) {
		log_error("the database could not be migrated; giving up");
		return 1;
	}
	if (!static_load(cfg.web_dir))
		return 1;

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by every thread; main waits for them */
	signal(SIGPIPE, SIG_IGN);
	if (!log_start_writer()) {
		log_error("cannot start the log writer thread");
		return 1;
	}
	atexit(log_stop_writer); /* every return from here on writes what is buffered */

	struct server s = {
		.cfg = &cfg,
		.nworkers = cfg.workers,
		.dispatch = api_dispatch,
		.body_limit = api_body_limit,
		.worker_init = api_worker_init,
		.worker_start = api_worker_start,
		.worker_stop = api_worker_stop,
		.worker_exit = api_worker_exit,
	};
	s.offload = offload_new(cfg.hash_threads);
	if (!s.offload || !server_start(&s)) {
		log_error("examd could not start");
		return 1;
	}
	int sig = 0;
	/* SIGHUP reopens the log file (after rotation); SIGINT and SIGTERM stop. */
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
		if (cfg.log_file[0] && !log_reopen(cfg.log_file))
			log_error("cannot reopen the log file %s", cfg.log_file);
		log_info("SIGHUP: log file reopened");
	}
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
	enum migrate_result ok = migrate_run(cfg.database_url, cfg.migrations_dir);
	config_free(&cfg);
	return ok == MIGRATE_OK ? 0 : 1;
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
		return cli_user_add(argc, argv);
	if (!strcmp(argv[1], "bank") && argc > 2 && !strcmp(argv[2], "import"))
		return cli_bank_import(argc, argv);
	if (!strcmp(argv[1], "bank") && argc > 2 && !strcmp(argv[2], "lint"))
		return cli_bank_lint(argc, argv);
	if (!strcmp(argv[1], "blueprint") && argc > 2 && !strcmp(argv[2], "put"))
		return cli_blueprint_put(argc, argv);
	if (!strcmp(argv[1], "demo") && argc > 2 && !strcmp(argv[2], "simulate"))
		return cli_demo_simulate(argc, argv);
	fprintf(stderr, "examd: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
