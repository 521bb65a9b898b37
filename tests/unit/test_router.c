/* Unit tests for http/router: method + pattern matching, {param} capture, role bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/request.h"
#include "http/router.h"

static const struct route routes[] = {
	/* 0 */ {"GET", "/healthz", NULL, 0, BODY_NONE, false},
	/* 1 */ {"GET", "/api/v1/users", NULL, ROLE_HR | ROLE_ADMIN, BODY_NONE, true},
	/* 2 */ {"POST", "/api/v1/users", NULL, ROLE_HR | ROLE_ADMIN, BODY_JSON, true},
	/* 3 */ {"PATCH", "/api/v1/users/{username}", NULL, ROLE_HR | ROLE_ADMIN, BODY_JSON, true},
	/* 4 */ {"GET", "/api/v1/users/{username}", NULL, ROLE_ANY, BODY_NONE, true},
	/* 5 */ {"GET", "/api/v1/model/versions/{n}", NULL, ROLE_ANY, BODY_NONE, true},
	/* 6 */ {"PUT", "/api/v1/attempts/{id}/answers/{question_id}", NULL, ROLE_EMPLOYEE, BODY_JSON, true},
	/* 7 */ {"GET", "/api/v1/four/{a}/{b}/{c}/{d}", NULL, 0, BODY_NONE, false},
	/* 8 */ {"GET", "/api/v1/five/{a}/{b}/{c}/{d}/{e}", NULL, 0, BODY_NONE, false},
	/* 9 */ {"POST", "/api/v1/only-post", NULL, 0, BODY_JSON, false},
	/* 10 */ {"GET", "/", NULL, 0, BODY_NONE, false},
};
static const int nroutes = sizeof routes / sizeof routes[0];

static void free_params(struct req *r)
{
	for (int i = 0; i < REQ_MAX_PARAMS; i++) {
		free(r->params[i]);
		r->params[i] = NULL;
	}
	r->nparams = 0;
}

/* Matches and checks the outcome; on ROUTER_FOUND the params stay in *r for the caller. */
static void expect(const char *method, const char *path, enum router_match want, int want_index, struct req *r)
{
	memset(r, 0, sizeof *r);
	int index = 12345;
	enum router_match got = router_match(routes, nroutes, method, path, r->params, &r->nparams, &index);
	if (got != want)
		fail_msg("%s %s: expected result %d, got %d", method, path, (int)want, (int)got);
	if (index != want_index)
		fail_msg("%s %s: expected index %d, got %d", method, path, want_index, index);
	if (got != ROUTER_FOUND) {
		/* Nothing is captured (or leaked) when there is no match. */
		assert_int_equal(r->nparams, 0);
		for (int i = 0; i < REQ_MAX_PARAMS; i++)
			assert_null(r->params[i]);
	}
}

static void test_exact_paths(void **state)
{
	(void)state;
	struct req r;
	expect("GET", "/healthz", ROUTER_FOUND, 0, &r);
	assert_int_equal(r.nparams, 0);
	expect("GET", "/api/v1/users", ROUTER_FOUND, 1, &r);
	assert_int_equal(r.nparams, 0);
	expect("POST", "/api/v1/users", ROUTER_FOUND, 2, &r);
	expect("POST", "/api/v1/only-post", ROUTER_FOUND, 9, &r);
	expect("GET", "/", ROUTER_FOUND, 10, &r);
	assert_int_equal(r.nparams, 0);
}

static void test_param_capture(void **state)
{
	(void)state;
	struct req r;
	expect("PATCH", "/api/v1/users/alice", ROUTER_FOUND, 3, &r);
	assert_int_equal(r.nparams, 1);
	assert_string_equal(r.params[0], "alice");
	assert_null(r.params[1]);
	free_params(&r);

	/* The path arrives decoded; the segment is copied as is. */
	expect("GET", "/api/v1/users/j\xc3\xbcrgen o'neil", ROUTER_FOUND, 4, &r);
	assert_int_equal(r.nparams, 1);
	assert_string_equal(r.params[0], "j\xc3\xbcrgen o'neil");
	free_params(&r);

	expect("PUT", "/api/v1/attempts/42/answers/q-7", ROUTER_FOUND, 6, &r);
	assert_int_equal(r.nparams, 2);
	assert_string_equal(r.params[0], "42");
	assert_string_equal(r.params[1], "q-7");
	free_params(&r);

	expect("GET", "/api/v1/four/a/bb/ccc/dddd", ROUTER_FOUND, 7, &r);
	assert_int_equal(r.nparams, REQ_MAX_PARAMS);
	assert_string_equal(r.params[0], "a");
	assert_string_equal(r.params[1], "bb");
	assert_string_equal(r.params[2], "ccc");
	assert_string_equal(r.params[3], "dddd");
	free_params(&r);

	/* A param segment is one segment only. */
	expect("PATCH", "/api/v1/users/alice/extra", ROUTER_NOT_FOUND, -1, &r);
	expect("PUT", "/api/v1/attempts/42/answers", ROUTER_NOT_FOUND, -1, &r);
	expect("PUT", "/api/v1/attempts/42/replies/q-7", ROUTER_NOT_FOUND, -1, &r);
}

static void test_too_many_params(void **state)
{
	(void)state;
	struct req r;
	/* A pattern with more than REQ_MAX_PARAMS params never matches (and never
	 * writes past r->params: ASan checks). */
	expect("GET", "/api/v1/five/a/b/c/d/e", ROUTER_NOT_FOUND, -1, &r);
	expect("POST", "/api/v1/five/a/b/c/d/e", ROUTER_NOT_FOUND, -1, &r);
}

static void test_trailing_slash_and_near_misses(void **state)
{
	(void)state;
	struct req r;
	expect("GET", "/healthz/", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/api/v1/users/", ROUTER_NOT_FOUND, -1, &r);
	expect("PATCH", "/api/v1/users/alice/", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/healthzz", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/health", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/HEALTHZ", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "//healthz", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "healthz", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/api/v1", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "//", ROUTER_NOT_FOUND, -1, &r);
}

static void test_empty_segment_is_not_a_param(void **state)
{
	(void)state;
	struct req r;
	expect("GET", "/api/v1/model/versions/", ROUTER_NOT_FOUND, -1, &r);
	expect("PUT", "/api/v1/attempts//answers/q", ROUTER_NOT_FOUND, -1, &r);
	expect("PUT", "/api/v1/attempts/1/answers/", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/api/v1/four/a//c/d", ROUTER_NOT_FOUND, -1, &r);
}

static void test_method_mismatch(void **state)
{
	(void)state;
	struct req r;
	expect("DELETE", "/api/v1/users", ROUTER_BAD_METHOD, -1, &r);
	expect("PUT", "/healthz", ROUTER_BAD_METHOD, -1, &r);
	expect("GET", "/api/v1/only-post", ROUTER_BAD_METHOD, -1, &r);
	/* Two routes share the pattern (PATCH, GET); neither is DELETE. No param is kept. */
	expect("DELETE", "/api/v1/users/alice", ROUTER_BAD_METHOD, -1, &r);
	expect("POST", "/api/v1/model/versions/3", ROUTER_BAD_METHOD, -1, &r);
	/* Methods are case-sensitive. */
	expect("get", "/healthz", ROUTER_BAD_METHOD, -1, &r);
}

static void test_unknown_paths(void **state)
{
	(void)state;
	struct req r;
	expect("GET", "/nope", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "/api/v1/nope", ROUTER_NOT_FOUND, -1, &r);
	expect("DELETE", "/api/v1/nope/1", ROUTER_NOT_FOUND, -1, &r);
	expect("GET", "", ROUTER_NOT_FOUND, -1, &r);
	/* With no routes at all, everything is unknown. */
	memset(&r, 0, sizeof r);
	int index = 7;
	assert_int_equal(router_match(routes, 0, "GET", "/healthz", r.params, &r.nparams, &index), ROUTER_NOT_FOUND);
	assert_int_equal(index, -1);
}

static void test_head_matches_get(void **state)
{
	(void)state;
	struct req r;
	expect("HEAD", "/healthz", ROUTER_FOUND, 0, &r);
	expect("HEAD", "/api/v1/users", ROUTER_FOUND, 1, &r);
	expect("HEAD", "/api/v1/model/versions/3", ROUTER_FOUND, 5, &r);
	assert_int_equal(r.nparams, 1);
	assert_string_equal(r.params[0], "3");
	free_params(&r);
	/* HEAD is GET without a body, not any method. */
	expect("HEAD", "/api/v1/only-post", ROUTER_BAD_METHOD, -1, &r);
	/* The PATCH route comes first but HEAD still finds the GET one. */
	expect("HEAD", "/api/v1/users/bob", ROUTER_FOUND, 4, &r);
	assert_string_equal(r.params[0], "bob");
	free_params(&r);
}

static void test_first_matching_method_wins(void **state)
{
	(void)state;
	struct req r;
	/* Same pattern, the method picks the route. */
	expect("PATCH", "/api/v1/users/carol", ROUTER_FOUND, 3, &r);
	assert_string_equal(r.params[0], "carol");
	free_params(&r);
	expect("GET", "/api/v1/users/carol", ROUTER_FOUND, 4, &r);
	assert_string_equal(r.params[0], "carol");
	free_params(&r);
}

static void test_role_bit(void **state)
{
	(void)state;
	assert_int_equal(role_bit("employee"), ROLE_EMPLOYEE);
	assert_int_equal(role_bit("trainer"), ROLE_TRAINER);
	assert_int_equal(role_bit("hr"), ROLE_HR);
	assert_int_equal(role_bit("admin"), ROLE_ADMIN);
	assert_int_equal(ROLE_EMPLOYEE | ROLE_TRAINER | ROLE_HR | ROLE_ADMIN, ROLE_ANY);
	assert_int_equal(role_bit(""), 0);
	assert_int_equal(role_bit("Admin"), 0);
	assert_int_equal(role_bit("HR"), 0);
	assert_int_equal(role_bit("administrator"), 0);
	assert_int_equal(role_bit("adm"), 0);
	assert_int_equal(role_bit("employee "), 0);
	assert_int_equal(role_bit("root"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_paths),
		cmocka_unit_test(test_param_capture),
		cmocka_unit_test(test_too_many_params),
		cmocka_unit_test(test_trailing_slash_and_near_misses),
		cmocka_unit_test(test_empty_segment_is_not_a_param),
		cmocka_unit_test(test_method_mismatch),
		cmocka_unit_test(test_unknown_paths),
		cmocka_unit_test(test_head_matches_get),
		cmocka_unit_test(test_first_matching_method_wins),
		cmocka_unit_test(test_role_bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
