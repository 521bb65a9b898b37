/* Command-line tools: user add, bank import, bank lint, blueprint put, demo simulate. They talk to the database
 * synchronously (they are not servers) through the same SQL functions as the API; bank lint needs none. */
#include "cli.h"

#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "core/password.h"
#include "db/sync.h"
#include "domain/bank.h"
#include "domain/attempt.h"
#include "domain/banklint.h"
#include "domain/blueprint.h"
#include "domain/catalog.h"
#include "domain/rules.h"

#define CLI_MAX_FILE (64L * 1024 * 1024)

/* Splits argv[3..] into the command's own options (name -> value or flag) and the rest,
 * which are configuration flags. */
struct cli_opt {
	const char *name;
	bool takes_value;
	const char *value;
	bool seen;
};

static bool parse_opts(int argc, char **argv, struct cli_opt *opts, size_t nopts, const char **positional,
		       struct config *cfg)
{
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0;
	if (!rest)
		return false;
	for (int i = 3; i < argc; i++) {
		struct cli_opt *o = NULL;
		for (size_t k = 0; k < nopts; k++)
			if (!strcmp(argv[i], opts[k].name))
				o = &opts[k];
		if (o && o->takes_value && i + 1 < argc) {
			o->value = argv[++i];
			o->seen = true;
		} else if (o && !o->takes_value) {
			o->seen = true;
		} else if (positional && !*positional && argv[i][0] != '-') {
			*positional = argv[i];
		} else {
			rest[nrest++] = argv[i];
			if (i + 1 < argc && strchr(argv[i], '=') == NULL && argv[i + 1][0] != '-')
				rest[nrest++] = argv[++i];
		}
	}
	bool ok = load_config(cfg, nrest, rest, 0);
	free(rest);
	return ok;
}

static char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && n <= CLI_MAX_FILE && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
			if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
				free(buf);
				buf = NULL;
			} else {
				buf[n] = '\0';
				*len = (size_t)n;
			}
		}
	}
	fclose(f);
	return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int cli_user_add(int argc, char **argv)
{
	struct cli_opt opts[] = {
		{.name = "--username", .takes_value = true},   {.name = "--role", .takes_value = true},
		{.name = "--name", .takes_value = true},       {.name = "--grade", .takes_value = true},
		{.name = "--department", .takes_value = true}, {.name = "--if-missing", .takes_value = false}};
	struct config cfg;
	if (!parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0], NULL, &cfg))
		return 2;
	const char *username = opts[0].value, *role = opts[1].value, *name = opts[2].value, *grade = opts[3].value;
	const char *department = opts[4].value ? opts[4].value : "";
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
	bool hashed = password_hash(password, cfg.scrypt_log2n, hash, sizeof hash);
	OPENSSL_cleanse(password, sizeof password);
	if (!hashed) {
		fprintf(stderr, "examd user add: password hashing failed\n");
		return 1;
	}
	const char *params[] = {username, name ? name : username, role, department, hash, grade};
	char *count = NULL, err[512];
	bool ok = db_sync_value(
		cfg.database_url,
		"WITH u AS (INSERT INTO users (username, name, role, department, password_hash)"
		"           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING username),"
		" g AS (INSERT INTO user_grades (username, grade, recorded_by) SELECT username, $6::int, 'examd-cli'"
		"       FROM u WHERE $6::int IS NOT NULL),"
		" a AS (INSERT INTO audit_log (actor, action, target, detail) SELECT 'examd-cli', 'user.create',"
		"       'user:' || username, jsonb_build_object('role', $3::text, 'grade', $6::int) FROM u)"
		" SELECT count(*) FROM u",
		6, params, &count, err, sizeof err);
	OPENSSL_cleanse(hash, sizeof hash);
	int rc = 0;
	if (!ok) {
		fprintf(stderr, "examd user add: %s", err);
		rc = 1;
	} else if (!count || strcmp(count, "1") != 0) {
		if (opts[5].seen) {
			printf("user %s already exists\n", username);
		} else {
			fprintf(stderr, "examd user add: user %s already exists\n", username);
			rc = 1;
		}
	} else {
		printf("user %s added (%s)\n", username, role);
	}
	free(count);
	config_free(&cfg);
	return rc;
}

int cli_bank_import(int argc, char **argv)
{
	struct cli_opt opts[] = {{.name = "--dry-run", .takes_value = false}};
	const char *path = NULL;
	struct config cfg;
	if (!parse_opts(argc, argv, opts, 1, &path, &cfg))
		return 2;
	if (!path) {
		fprintf(stderr, "examd bank import: name the bank file (CSV or JSON)\n");
		return 2;
	}
	size_t len = 0;
	char *buf = read_whole_file(path, &len);
	if (!buf) {
		fprintf(stderr, "examd bank import: cannot read %s (at most 64 MiB)\n", path);
		return 1;
	}
	bool dry_run = opts[0].seen;
	struct bank bank;
	enum bank_status st = ends_with(path, ".json") ? bank_parse_json(catalog_default(), buf, len, &bank)
						       : bank_parse_csv(catalog_default(), buf, len, &bank);
	free(buf);
	int rc = 0;
	if (st == BANK_INVALID) {
		json_t *report = banks_rejection_report(&bank, dry_run);
		char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "");
		free(text);
		json_decref(report);
		rc = 1;
	} else if (st != BANK_OK) {
		fprintf(stderr, "examd bank import: out of memory\n");
		rc = 1;
	} else {
		char *param = banks_questions_param(&bank), *report = NULL, err[512];
		char source[4200];
		snprintf(source, sizeof source, "file:%s", path);
		const char *params[] = {param, dry_run ? "true" : "false", "examd-cli", "", source};
		if (!param || !db_sync_value(cfg.database_url,
					     "SELECT examd_bank_import($1::jsonb, $2::boolean, $3, $4, $5)::text", 5,
					     params, &report, err, sizeof err)) {
			fprintf(stderr, "examd bank import: %s\n", param ? err : "out of memory");
			rc = 1;
		} else {
			printf("%s\n", report ? report : "");
		}
		free(report);
		free(param);
	}
	bank_free(&bank);
	config_free(&cfg);
	return rc;
}

int cli_blueprint_put(int argc, char **argv)
{
	const char *path = NULL;
	struct config cfg;
	if (!parse_opts(argc, argv, NULL, 0, &path, &cfg))
		return 2;
	json_error_t jerr;
	json_t *doc = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	json_t *list = json_object_get(doc, "blueprints");
	if (!json_is_array(list)) {
		fprintf(stderr, "examd blueprint put: %s must be JSON {\"blueprints\": [...]}%s%s\n",
			path ? path : "FILE", doc ? "" : ": ", doc ? "" : (path ? jerr.text : "no file named"));
		json_decref(doc);
		config_free(&cfg);
		return 2;
	}
	const struct catalog *cat = catalog_default();
	int rc = 0;
	size_t i;
	json_t *entry;
	json_array_foreach(list, i, entry)
	{
		const struct catalog_item *item =
			catalog_item_find(cat, json_string_value(json_object_get(entry, "item")));
		const struct catalog_level *level =
			catalog_level_find(cat, json_string_value(json_object_get(entry, "level")));
		struct blueprint bp;
		char msg[256];
		if (!item || item->assessment != CATALOG_ASSESS_EXAM || !level) {
			fprintf(stderr, "examd blueprint put: blueprints[%zu]: unknown exam item or level\n", i);
			rc = 1;
			continue;
		}
		if (blueprint_parse(cat, item, level, entry, &bp, msg, sizeof msg) != BLUEPRINT_OK) {
			fprintf(stderr, "examd blueprint put: %s/%s: %s\n", item->code, level->code, msg);
			rc = 1;
			continue;
		}
		char tl[16], ma[16], err[512], *out = NULL;
		snprintf(tl, sizeof tl, "%d", bp.time_limit_seconds);
		snprintf(ma, sizeof ma, "%d", bp.max_attempts);
		json_t *draws = blueprint_draws_json(&bp);
		char *draws_text = json_dumps(draws, JSON_COMPACT);
		json_decref(draws);
		const char *params[] = {item->code, level->code, tl, ma, bp.grading, draws_text, "examd-cli", ""};
		if (!db_sync_value(cfg.database_url,
				   "SELECT CASE status WHEN 'ok' THEN 'ok'"
				   " ELSE status || ': ' || coalesce(body::text, '') END"
				   " FROM examd_blueprint_put($1, $2, $3::int, $4::int, $5, $6::jsonb, $7, $8)",
				   8, params, &out, err, sizeof err)) {
			fprintf(stderr, "examd blueprint put: %s/%s: %s\n", item->code, level->code, err);
			rc = 1;
		} else if (!out || strcmp(out, "ok") != 0) {
			fprintf(stderr, "examd blueprint put: %s/%s: %s\n", item->code, level->code,
				out ? out : "no result");
			rc = 1;
		} else {
			int questions = 0;
			for (size_t k = 0; k < bp.ndraws; k++)
				questions += bp.draws[k].count;
			printf("blueprint %s/%s: %d questions in %d s, %d attempts, %s\n", item->code, level->code,
			       questions, bp.time_limit_seconds, bp.max_attempts, bp.grading);
		}
		free(out);
		free(draws_text);
	}
	json_decref(doc);
	config_free(&cfg);
	return rc;
}

/* Baselines of the blueprints in a {"blueprints": [...]} file whose item has questions in the lint's
 * pool, with equal subtopic weights (the seeded model's). NULL (and a message) when the file is bad. */
static json_t *blueprint_baselines(const struct banklint *l, const struct bank *bank, const char *path)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	json_t *list = json_object_get(doc, "blueprints");
	if (!json_is_array(list)) {
		fprintf(stderr, "examd bank lint: %s must be JSON {\"blueprints\": [...]}%s%s\n", path, doc ? "" : ": ",
			doc ? "" : jerr.text);
		json_decref(doc);
		return NULL;
	}
	const struct catalog *cat = catalog_default();
	json_t *out = json_array();
	size_t i;
	json_t *entry;
	json_array_foreach(list, i, entry)
	{
		const struct catalog_item *item =
			catalog_item_find(cat, json_string_value(json_object_get(entry, "item")));
		const struct catalog_level *level =
			catalog_level_find(cat, json_string_value(json_object_get(entry, "level")));
		struct blueprint bp;
		char msg[256];
		if (!item || item->assessment != CATALOG_ASSESS_EXAM || !level ||
		    blueprint_parse(cat, item, level, entry, &bp, msg, sizeof msg) != BLUEPRINT_OK) {
			fprintf(stderr, "examd bank lint: %s: blueprints[%zu] is not a valid blueprint\n", path, i);
			json_decref(out);
			json_decref(doc);
			return NULL;
		}
		bool present = false;
		for (size_t k = 0; k < bank->question_count && !present; k++)
			present = bank->questions[k].item == item;
		if (!present)
			continue;
		struct banklint_draw draws[BLUEPRINT_MAX_DRAWS];
		for (size_t k = 0; k < bp.ndraws; k++)
			draws[k] = (struct banklint_draw){bp.draws[k].subtopic, bp.draws[k].level, bp.draws[k].count};
		double score;
		json_t *o = json_pack("{s:s,s:s,s:b}", "item", item->code, "level", level->code, "blueprint", 1);
		json_object_set_new(o, "score",
				    banklint_baseline(l, draws, bp.ndraws, NULL, &score)
					    ? json_real(round(score * 100.0) / 100.0)
					    : json_null());
		json_array_append_new(out, o);
	}
	json_decref(doc);
	return out;
}

int cli_bank_lint(int argc, char **argv)
{
	const char *path = NULL, *blueprints = NULL;
	bool as_json = false;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			as_json = true;
		else if (!strcmp(argv[i], "--blueprints") && i + 1 < argc)
			blueprints = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			fprintf(stderr, "examd bank lint: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "examd bank lint: name the bank file (CSV or JSON)\n");
		return 2;
	}
	size_t len = 0;
	char *buf = read_whole_file(path, &len);
	if (!buf) {
		fprintf(stderr, "examd bank lint: cannot read %s (at most 64 MiB)\n", path);
		return 2;
	}
	struct bank bank;
	enum bank_status st = ends_with(path, ".json") ? bank_parse_json(catalog_default(), buf, len, &bank)
						       : bank_parse_csv(catalog_default(), buf, len, &bank);
	free(buf);
	if (st != BANK_OK) {
		for (size_t i = 0; i < bank.error_count; i++)
			fprintf(stderr, "%s: row %zu, column %s: %s\n", path, bank.errors[i].row,
				bank.errors[i].column[0] ? bank.errors[i].column : "-", bank.errors[i].message);
		if (st == BANK_INVALID)
			fprintf(stderr, "examd bank lint: %s does not parse (%zu errors); nothing was checked\n", path,
				bank.error_total);
		else
			fprintf(stderr, "examd bank lint: out of memory\n");
		bank_free(&bank);
		return st == BANK_INVALID ? 2 : 1;
	}
	struct banklint_set set = {bank.questions, bank.question_count, NULL};
	struct banklint *l = banklint_run(NULL, &set, NULL);
	json_t *warnings = l ? banklint_warnings_json(l, NULL) : NULL;
	json_t *baselines = !l           ? NULL
			    : blueprints ? blueprint_baselines(l, &bank, blueprints)
					 : banklint_file_baselines_json(l, catalog_default());
	int rc = 0;
	if (!l || !warnings) {
		fprintf(stderr, "examd bank lint: out of memory\n");
		rc = 1;
	} else if (!baselines) {
		rc = 2; /* the blueprints file was reported */
	} else if (as_json) {
		json_t *doc = json_pack("{s:O,s:O,s:I}", "warnings", warnings, "baselines", baselines, "questions",
					(json_int_t)bank.question_count);
		char *text =
			doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(doc);
	} else {
		size_t i;
		json_t *w;
		json_array_foreach(warnings, i, w)
		{
			const char *ext = json_string_value(json_object_get(w, "external_id"));
			printf("row %" JSON_INTEGER_FORMAT "\t%s\t%s\t%s\n",
			       json_integer_value(json_object_get(w, "row")), ext ? ext : "-",
			       json_string_value(json_object_get(w, "code")),
			       json_string_value(json_object_get(w, "message")));
		}
		json_t *b;
		json_array_foreach(baselines, i, b)
		{
			json_t *score = json_object_get(b, "score");
			printf("baseline\t%s\t%s\t%s%.2f\n", json_string_value(json_object_get(b, "item")),
			       json_string_value(json_object_get(b, "level")),
			       json_object_get(b, "blueprint") ? "blueprint " : "", json_number_value(score));
		}
		fprintf(stderr,
			"%zu questions, %zu warnings; baseline = expected standard score of a cue-only guesser (%s)\n",
			bank.question_count, banklint_warning_total(l),
			blueprints ? "per blueprint, equal subtopic weights"
				   : "per item and level of the file, equal weights");
	}
	json_decref(warnings);
	json_decref(baselines);
	banklint_free(l);
	bank_free(&bank);
	return rc;
}

/* Closes the open attempts in ids (a JSON array) with the exact scorer, as a submit would.
 * Returns how many closed, or -1. */
static long demo_close(const char *url, const char *ids, char *err, size_t errlen)
{
	char *inputs = NULL, *closed = NULL;
	const char *p1[] = {ids};
	if (!db_sync_value(
		    url,
		    "SELECT coalesce(json_agg(examd_attempt_scoring_input(x::bigint) ORDER BY x::bigint), '[]')::text"
		    " FROM jsonb_array_elements_text($1::jsonb) x",
		    1, p1, &inputs, err, errlen))
		return -1;
	json_error_t jerr;
	json_t *list = json_loads(inputs ? inputs : "[]", 0, &jerr);
	free(inputs);
	json_t *out = json_array();
	size_t i;
	json_t *input;
	json_array_foreach(list, i, input)
	{
		json_t *result = NULL;
		char msg[256];
		if (attempt_score_json(input, &result, msg, sizeof msg) != SCORE_OK) {
			snprintf(err, errlen, "attempt %lld cannot be scored: %s",
				 (long long)json_integer_value(json_object_get(input, "attempt_id")), msg);
			json_decref(list);
			json_decref(out);
			return -1;
		}
		json_array_append_new(out,
				      json_pack("{s:O,s:O,s:o}", "id", json_object_get(input, "attempt_id"), "version",
						json_object_get(input, "answers_version"), "result", result));
	}
	json_decref(list);
	char *text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	const char *p2[] = {text ? text : "[]"};
	bool ok = db_sync_value(
		url,
		"SELECT count(*) FILTER (WHERE examd_attempt_close((e->>'id')::bigint, (e->>'version')::bigint,"
		"  'submitted', 10, e->'result', 'examd-demo') = 'closed')::text"
		" FROM jsonb_array_elements($1::jsonb) e",
		1, p2, &closed, err, errlen);
	free(text);
	long n = ok && closed ? atol(closed) : -1;
	free(closed);
	return n;
}

/* The model version in force now (domain/rules.c on the database's versions and clock); 0 on failure. */
static int demo_version_now(const char *url, char *err, size_t errlen)
{
	char *rules = NULL, *now = NULL;
	struct rules_model m = {0};
	int version = 0;
	snprintf(err, errlen, "the model versions could not be read");
	if (db_sync_value(url, "SELECT examd_rules_evidence()::text", 0, NULL, &rules, err, errlen) &&
	    db_sync_value(url, "SELECT examd_now_us()::text", 0, NULL, &now, err, errlen) && rules && now &&
	    rules_model_parse(rules, &m, err, errlen)) {
		const struct rules_version *v = rules_version_at(&m, atoll(now));
		version = v ? v->version : 0;
		if (!v)
			snprintf(err, errlen, "no model version is in force");
	}
	rules_model_free(&m);
	free(rules);
	free(now);
	return version;
}

int cli_demo_simulate(int argc, char **argv)
{
	struct cli_opt opts[] = {{"--employees", true, NULL, false}, {"--seed", true, NULL, false}};
	struct config cfg;
	if (!parse_opts(argc, argv, opts, 2, NULL, &cfg))
		return 2;
	long employees = 60, seed = 2026;
	if ((opts[0].seen && !util_parse_long(opts[0].value, 1, 999, &employees)) ||
	    (opts[1].seen && !util_parse_long(opts[1].value, 0, 1000000000L, &seed))) {
		fprintf(stderr, "examd demo simulate: --employees 1..999, --seed a number\n");
		config_free(&cfg);
		return 2;
	}
	static const char *const levels[] = {"junior", "intermediate", "senior", "expert"};
	char nbuf[16], sbuf[24], err[512];
	snprintf(nbuf, sizeof nbuf, "%ld", employees);
	snprintf(sbuf, sizeof sbuf, "%ld", seed);
	int rc = 0;
	long total = 0;
	char vbuf[16];
	snprintf(vbuf, sizeof vbuf, "%d", demo_version_now(cfg.database_url, err, sizeof err));
	if (!strcmp(vbuf, "0")) {
		fprintf(stderr, "examd demo simulate: %s\n", err);
		rc = 1;
	}
	for (size_t i = 0; i < sizeof levels / sizeof levels[0] && rc == 0; i++) {
		char *ids = NULL;
		const char *params[] = {nbuf, sbuf, levels[i], vbuf};
		if (!db_sync_value(cfg.database_url,
				   "SELECT array_to_json(examd_demo_simulate($1::int, $2::bigint, $3, $4::int))::text",
				   4, params, &ids, err, sizeof err)) {
			fprintf(stderr, "examd demo simulate: %s: %s\n", levels[i], err);
			rc = 1;
		} else {
			long n = demo_close(cfg.database_url, ids ? ids : "[]", err, sizeof err);
			if (n < 0) {
				fprintf(stderr, "examd demo simulate: %s: %s\n", levels[i], err);
				rc = 1;
			}
			total += n > 0 ? n : 0;
		}
		free(ids);
	}
	if (rc == 0)
		printf("demo: %ld simulated attempts closed (%ld employees, seed %ld)\n", total, employees, seed);
	config_free(&cfg);
	return rc;
}
