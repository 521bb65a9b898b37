/* Unit tests for the status table (api/reply.c): every status a statement can return is in it, each
 * refusal has the HTTP status SPEC §4 gives its code, and an unknown status answers 503. */
#include <dirent.h>
#include <regex.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "api/reply.h"

/* SPEC §4's error codes with their HTTP status (not_open and closed: the sessions' 409s, README). */
static const struct {
	const char *code;
	int http;
} spec_codes[] = {
	{"bad_json", 400},         {"invalid_field", 400},  {"unauthenticated", 401},    {"forbidden", 403},
	{"not_found", 404},        {"attempt_closed", 409}, {"attempts_exhausted", 409}, {"conflict", 409},
	{"not_open", 409},         {"closed", 409},         {"validation_failed", 422},  {"pool_too_small", 422},
	{"exam_unavailable", 422},
};

/* Statuses that their callers act on before the table: 'expired' (close the open attempt, then start). */
static const char *const handled_by_callers[] = {"expired"};

static int spec_http(const char *code)
{
	for (size_t i = 0; i < sizeof spec_codes / sizeof spec_codes[0]; i++)
		if (!strcmp(spec_codes[i].code, code))
			return spec_codes[i].http;
	return -1;
}

static void test_refusals_have_their_spec_status(void **state)
{
	(void)state;
	int refusals = 0;
	for (int i = 0; i < api_nstatuses; i++) {
		const struct api_status *s = &api_statuses[i];
		for (int k = 0; k < i; k++)
			if (!strcmp(api_statuses[k].status, s->status))
				fail_msg("status %s is in the table twice", s->status);
		if (!s->code) {
			assert_true(s->http == 200 || s->http == 201);
			continue;
		}
		refusals++;
		if (spec_http(s->code) != s->http)
			fail_msg("status %s: %d %s, SPEC §4 says %d", s->status, s->http, s->code, spec_http(s->code));
		assert_non_null(s->message);
		assert_true(strlen(s->message) > 0);
	}
	/* Every SPEC code that a statement can refuse with has its status. */
	for (size_t i = 0; i < sizeof spec_codes / sizeof spec_codes[0]; i++) {
		const struct api_status *s = api_status_find(spec_codes[i].code);
		if (!s || strcmp(s->code, spec_codes[i].code) != 0)
			fail_msg("no status for code %s", spec_codes[i].code);
	}
	assert_true(refusals >= (int)(sizeof spec_codes / sizeof spec_codes[0]));
}

static void test_lookup(void **state)
{
	(void)state;
	assert_int_equal(api_status_http("ok"), 200);
	assert_int_equal(api_status_http("created"), 201);
	assert_int_equal(api_status_http("resumed"), 200);
	assert_int_equal(api_status_http("attempt_closed"), 409);
	assert_int_equal(api_status_http("pool_too_small"), 422);
	const struct api_status *rows = api_status_find("rows_rejected");
	assert_non_null(rows);
	assert_int_equal(rows->http, 422);
	assert_string_equal(rows->code, "validation_failed");
	/* Unknown: no entry, and 503 (SPEC §4: no 5xx but 503), never a guess such as 422. */
	assert_null(api_status_find("no_such_status"));
	assert_null(api_status_find(NULL));
	assert_null(api_status_find("OK"));
	assert_int_equal(api_status_http("no_such_status"), 503);
	assert_int_equal(api_status_http(NULL), 503);
	assert_int_equal(api_status_http(""), 503);
}

/* Every `status := '...'` of the SQL functions (all .sql files under migrations/) is a status of the
 * table or one its caller handles first. */
static int scan_sql(const char *dir, regex_t *re, int *found)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[1024];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_sql(path, re, found);
			continue;
		}
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 4, ".sql") != 0)
			continue;
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char line[4096];
		while (fgets(line, sizeof line, f)) {
			regmatch_t m[2];
			const char *p = line;
			while (regexec(re, p, 2, m, 0) == 0) {
				char status[64];
				int len = (int)(m[1].rm_eo - m[1].rm_so);
				snprintf(status, sizeof status, "%.*s", len, p + m[1].rm_so);
				bool known = api_status_find(status) != NULL;
				for (size_t k = 0; k < sizeof handled_by_callers / sizeof *handled_by_callers; k++)
					known |= !strcmp(status, handled_by_callers[k]);
				if (!known)
					fail_msg("%s returns status '%s', which the table does not know", path, status);
				(*found)++;
				p += m[0].rm_eo;
			}
		}
		fclose(f);
	}
	closedir(d);
	return 0;
}

static void test_every_sql_status_is_known(void **state)
{
	(void)state;
	regex_t re;
	/* status := '...', but not NEW.status := (a row's column, in a trigger) */
	assert_int_equal(regcomp(&re, "[^.[:alnum:]_]status := '([a-z_]+)'", REG_EXTENDED), 0);
	int found = 0;
	assert_int_equal(scan_sql(EXAMD_SOURCE_DIR "/migrations", &re, &found), 0);
	regfree(&re);
	/* The typed functions of migration 0025 return at least these many (a pattern that stopped
	 * matching would pass vacuously otherwise). */
	assert_true(found >= 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_have_their_spec_status),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_every_sql_status_is_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
