/* Unit tests for the request side of the HTTP layer that needs no socket: http/headcheck (the
 * header block's end, its checks, the target split) and how http/request indexes a checked block
 * (headers, keep-alive, body). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/headcheck.h"
#include "http/request.h"
#include "http/worker.h"

static void test_block_length_finds_the_first_empty_line(void **state)
{
	(void)state;
	const char crlf[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
	assert_int_equal(head_block_length(crlf, sizeof crlf - 1, NULL), sizeof crlf - 1 - 4);
	const char lf[] = "GET / HTTP/1.1\nHost: x\n\nrest";
	assert_int_equal(head_block_length(lf, sizeof lf - 1, NULL), sizeof lf - 1 - 4);
	const char partial[] = "GET / HTTP/1.1\r\nHost: x\r\n";
	assert_int_equal(head_block_length(partial, sizeof partial - 1, NULL), 0);
	/* A CR alone does not end a line. */
	const char cr[] = "GET / HTTP/1.1\r\r\r";
	assert_int_equal(head_block_length(cr, sizeof cr - 1, NULL), 0);
	/* Resumed: the search starts at the incomplete line it stopped at. */
	size_t scan = 0;
	assert_int_equal(head_block_length(crlf, 20, &scan), 0);
	assert_int_equal(scan, strlen("GET / HTTP/1.1\r\n"));
	assert_int_equal(head_block_length(crlf, sizeof crlf - 1, &scan), sizeof crlf - 1 - 4);
	assert_int_equal(scan, 0);
}

static enum head_verdict check(const char *block, struct head *h)
{
	return head_check(block, strlen(block), "X-Examd-Refused", h);
}

static void test_check_reads_what_the_connection_needs(void **state)
{
	(void)state;
	struct head h;
	const char *b = "PUT /api/v1/attempts/1/answers/2?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
			"Authorization: Bearer abc\r\nExpect: 100-continue\r\n\r\n";
	assert_int_equal(check(b, &h), HEAD_OK);
	assert_string_equal(h.method, "PUT");
	assert_int_equal(h.content_length, 12);
	assert_true(h.has_bearer);
	assert_true(h.expect_continue);
	assert_int_equal(h.target_len, strlen("/api/v1/attempts/1/answers/2?x=1"));
	assert_int_equal(h.path_len, strlen("/api/v1/attempts/1/answers/2"));
	assert_memory_equal(b + h.target_off, "/api/v1/attempts/1/answers/2?x=1", h.target_len);
}

static void test_check_refuses_what_would_split_or_smuggle(void **state)
{
	(void)state;
	struct head h;
	assert_int_equal(check("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(h.status, 400);
	assert_int_equal(check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(h.status, 411);
	assert_int_equal(check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", &h),
			 HEAD_BAD);
	assert_int_equal(h.status, 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nX-Examd-Refused: 200 ok\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(check("GET / HTTP/1.1\r\nA\rB: c\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(check("GET /\x01 HTTP/1.1\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(check("GET / HTTP/2.0\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(check("BREW / HTTP/1.1\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(h.status, 405);
	assert_int_equal(check("GET /\r\n\r\n", &h), HEAD_BAD);
	assert_int_equal(check("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", &h), HEAD_BAD);
}

static void split(const char *in, const char *want_path, const char *want_query)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", in);
	const char *path = NULL, *query = NULL;
	head_split_target(buf, &path, &query);
	assert_non_null(path);
	assert_string_equal(path, want_path);
	if (want_query)
		assert_string_equal(query, want_query);
	else
		assert_null(query);
}

static void test_split_target_forms(void **state)
{
	(void)state;
	split("/api/v1/exams", "/api/v1/exams", NULL);
	split("/api/v1/users?role=hr&q=%E5%BC%A0", "/api/v1/users", "role=hr&q=%E5%BC%A0");
	split("/a?", "/a", "");
	split("/a#frag", "/a", NULL);
	split("/a?x=1#frag?y", "/a", "x=1");
	split("/a?x=1?y=2", "/a", "x=1?y=2");
	split("http://examd.example/api/v1/me?x=1", "/api/v1/me", "x=1");
	split("HTTPS://examd.example:8443/healthz", "/healthz", NULL);
	split("http://examd.example", "/", NULL);
	split("http://examd.example?x=1", "/", "x=1");
	split("*", "*", NULL);
}

/* A request made from a block as the connection hands it over (buf has room past the body). */
static struct req *request(struct worker *w, const char *head, const char *body)
{
	size_t hl = strlen(head), bl = strlen(body);
	char *buf = malloc(hl + bl + 1);
	assert_non_null(buf);
	memcpy(buf, head, hl);
	memcpy(buf + hl, body, bl);
	struct req *r = req_new(NULL, w, buf, hl, bl, "192.0.2.7");
	assert_non_null(r);
	return r;
}

static void done(struct req *r)
{
	/* No connection: the reply is dropped and the request freed. */
	req_reply_empty(r, 204);
}

static void test_requests_index_their_headers_and_body(void **state)
{
	(void)state;
	struct server srv = {0};
	struct worker w = {0};
	w.server = &srv;
	struct req *r = request(&w,
				"PUT /api/v1/attempts/3/answers/4?seq=2 HTTP/1.1  \r\nHost: x\r\n"
				"authorization:   Bearer t0k  \r\nX-Long: a\r\n b\r\nContent-Length: 14\r\n\r\n",
				"{\"answer\":\"A\"}");
	/* Trailing spaces after the version are dropped, as head_check allows them. */
	assert_string_equal(req_method_name(r), "PUT");
	assert_string_equal(req_header(r, "Authorization"), "Bearer t0k");
	assert_string_equal(req_header(r, "host"), "x");
	assert_string_equal(req_header(r, "X-Long"), "a");
	assert_null(req_header(r, "Cookie"));
	assert_true(r->keep_alive);
	assert_int_equal(r->minor, 1);
	assert_string_equal(r->raw_query, "seq=2");
	assert_int_equal(w.inflight, 1);
	assert_false(req_read_body(r, 13));
	assert_true(req_read_body(r, 14));
	assert_int_equal(r->body_len, 14);
	assert_string_equal(r->body, "{\"answer\":\"A\"}");
	done(r);
	assert_int_equal(w.inflight, 0);

	r = request(&w, "GET /healthz HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", "");
	assert_false(r->keep_alive);
	assert_string_equal(r->raw_path, "/healthz");
	assert_true(req_read_body(r, 0));
	assert_int_equal(r->body_len, 0);
	done(r);
	r = request(&w, "GET / HTTP/1.0\r\n\r\n", "");
	assert_false(r->keep_alive);
	assert_int_equal(r->minor, 0);
	done(r);
	r = request(&w, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "");
	assert_true(r->keep_alive);
	done(r);
	assert_int_equal(w.inflight, 0);
}

static void test_reply_headers_never_carry_a_line_break(void **state)
{
	(void)state;
	struct server srv = {0};
	struct worker w = {0};
	w.server = &srv;
	struct req *r = request(&w, "GET / HTTP/1.1\r\n\r\n", "");
	req_add_header(r, "Content-Disposition", "attachment; filename=\"a.csv\"");
	req_add_header(r, "X-Evil", "a\r\nSet-Cookie: x=1");
	req_add_header(r, "X-Evil\r\nSet-Cookie", "1");
	assert_non_null(r->out_headers);
	assert_int_equal(r->out_len, strlen("Content-Disposition: attachment; filename=\"a.csv\"\r\n"));
	assert_memory_equal(r->out_headers, "Content-Disposition: attachment; filename=\"a.csv\"\r\n", r->out_len);
	done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_length_finds_the_first_empty_line),
		cmocka_unit_test(test_check_reads_what_the_connection_needs),
		cmocka_unit_test(test_check_refuses_what_would_split_or_smuggle),
		cmocka_unit_test(test_split_target_forms),
		cmocka_unit_test(test_requests_index_their_headers_and_body),
		cmocka_unit_test(test_reply_headers_never_carry_a_line_break),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
