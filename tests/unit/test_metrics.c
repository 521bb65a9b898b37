/* Unit tests for http/metrics: counters by route and status class, histograms, rendering.
 * The counters are process-wide, so each test observes into its own route slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "http/metrics.h"
#include "http/router.h"

static const struct route routes[] = {
	/* 0: counters */ {"GET", "/m/counted", NULL, 0, BODY_NONE, false},
	/* 1: histogram */ {"POST", "/m/timed/{id}", NULL, 0, BODY_JSON, false},
	/* 2: never observed */ {"GET", "/m/idle", NULL, 0, BODY_NONE, false},
	/* 3: odd statuses */ {"PUT", "/m/odd", NULL, 0, BODY_NONE, false},
};
static const int nroutes = sizeof routes / sizeof routes[0];

static const char *const bucket_labels[] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
					    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
#define NBUCKETS (sizeof bucket_labels / sizeof bucket_labels[0])

/* Renders the metrics into a malloc'd NUL-terminated string. */
static char *render(void)
{
	struct evbuffer *buf = evbuffer_new();
	assert_non_null(buf);
	metrics_render(buf, routes, nroutes);
	size_t n = evbuffer_get_length(buf);
	char *text = malloc(n + 1);
	assert_non_null(text);
	assert_int_equal(evbuffer_remove(buf, text, n), (int)n);
	text[n] = '\0';
	evbuffer_free(buf);
	return text;
}

/* The value of the sample line "<series> <value>", or -1 when there is no such line. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		if (!eol)
			fail_msg("unterminated line: %s", line);
		if (!strncmp(line, series, n) && line[n] == ' ') {
			char *end;
			double v = strtod(line + n + 1, &end);
			assert_ptr_equal(end, eol);
			return v;
		}
		line = eol + 1;
	}
	return -1;
}

static void expect_sample(const char *text, const char *series, double want)
{
	double got = sample(text, series);
	if (got != want)
		fail_msg("%s: expected %g, got %g\n%s", series, want, got, text);
}

static void test_help_and_type_lines(void **state)
{
	(void)state;
	char *text = render();
	assert_non_null(strstr(text, "# TYPE examd_http_requests_total counter\n"));
	assert_non_null(strstr(text, "# HELP examd_http_requests_total "));
	assert_non_null(strstr(text, "# TYPE examd_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(text, "# HELP examd_http_request_duration_seconds "));
	free(text);
}

static void test_counter_by_status_class(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		metrics_observe(0, 200, 100);
	metrics_observe(0, 204, 100);
	metrics_observe(0, 404, 100);
	metrics_observe(0, 503, 100);
	metrics_observe(0, 599, 100);
	char *text = render();
#define C0(cls) "examd_http_requests_total{method=\"GET\",route=\"/m/counted\",code=\"" cls "\"}"
	expect_sample(text, C0("2xx"), 4);
	expect_sample(text, C0("4xx"), 1);
	expect_sample(text, C0("5xx"), 2);
	/* Classes without requests have no line. */
	expect_sample(text, C0("1xx"), -1);
	expect_sample(text, C0("3xx"), -1);
#undef C0
	expect_sample(text, "examd_http_request_duration_seconds_count{method=\"GET\",route=\"/m/counted\"}", 7);
	free(text);

	/* Counting continues from there. */
	metrics_observe(0, 201, 100);
	metrics_observe(0, 301, 100);
	text = render();
	expect_sample(text, "examd_http_requests_total{method=\"GET\",route=\"/m/counted\",code=\"2xx\"}", 5);
	expect_sample(text, "examd_http_requests_total{method=\"GET\",route=\"/m/counted\",code=\"3xx\"}", 1);
	free(text);
}

static void test_histogram_cumulative(void **state)
{
	(void)state;
	/* Durations in microseconds, including bucket edges and one beyond the last bucket. */
	static const int64_t us[] = {500, 1000, 1001, 30000, 2000000, 20000000};
	static const double want_cumulative[NBUCKETS] = {2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5};
	for (size_t i = 0; i < sizeof us / sizeof us[0]; i++)
		metrics_observe(1, 200, us[i]);
	char *text = render();
#define H1 "{method=\"POST\",route=\"/m/timed/{id}\""
	char series[256];
	double prev = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		snprintf(series, sizeof series, "examd_http_request_duration_seconds_bucket" H1 ",le=\"%s\"}",
			 bucket_labels[i]);
		double v = sample(text, series);
		if (v != want_cumulative[i])
			fail_msg("%s: expected %g, got %g", series, want_cumulative[i], v);
		assert_true(v >= prev);
		prev = v;
	}
	expect_sample(text, "examd_http_request_duration_seconds_bucket" H1 ",le=\"+Inf\"}", 6);
	expect_sample(text, "examd_http_request_duration_seconds_count" H1 "}", 6);
	expect_sample(text, "examd_http_request_duration_seconds_sum" H1 "}", 22.032501);
	expect_sample(text, "examd_http_requests_total" H1 ",code=\"2xx\"}", 6);
#undef H1
	free(text);
}

static void test_unmatched_route(void **state)
{
	(void)state;
	metrics_observe(-1, 404, 200);
	metrics_observe(-1, 404, 300);
	/* Indexes beyond the metrics table count as unmatched too. */
	metrics_observe(METRICS_MAX_ROUTES, 405, 400);
	metrics_observe(100000, 400, 400);
	char *text = render();
	expect_sample(text, "examd_http_requests_total{method=\"\",route=\"unmatched\",code=\"4xx\"}", 4);
	expect_sample(text, "examd_http_request_duration_seconds_count{method=\"\",route=\"unmatched\"}", 4);
	expect_sample(text, "examd_http_request_duration_seconds_bucket{method=\"\",route=\"unmatched\",le=\"+Inf\"}",
		      4);
	expect_sample(text, "examd_http_request_duration_seconds_bucket{method=\"\",route=\"unmatched\",le=\"0.001\"}",
		      4);
	free(text);
}

static void test_idle_route_not_rendered(void **state)
{
	(void)state;
	char *text = render();
	assert_null(strstr(text, "route=\"/m/idle\""));
	free(text);
}

static void test_out_of_range_status(void **state)
{
	(void)state;
	metrics_observe(3, 200, 10);
	metrics_observe(3, 0, 10);
	metrics_observe(3, 600, 10);
	char *text = render();
	expect_sample(text, "examd_http_requests_total{method=\"PUT\",route=\"/m/odd\",code=\"2xx\"}", 1);
	assert_null(strstr(text, "code=\"0xx\""));
	assert_null(strstr(text, "code=\"6xx\""));
	/* Still timed. */
	expect_sample(text, "examd_http_request_duration_seconds_count{method=\"PUT\",route=\"/m/odd\"}", 3);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_type_lines),  cmocka_unit_test(test_counter_by_status_class),
		cmocka_unit_test(test_histogram_cumulative), cmocka_unit_test(test_unmatched_route),
		cmocka_unit_test(test_out_of_range_status),  cmocka_unit_test(test_idle_route_not_rendered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
