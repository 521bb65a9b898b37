/* Unit tests for the strict RFC 4180 reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/csv.h"

/* Reads the whole input; records become "f1|f2\n" lines in out. Returns the
 * final status (CSV_END or an error). */
static enum csv_status read_all(const char *buf, size_t len, const struct csv_limits *lim, char *out, size_t outlen,
				size_t *records)
{
	struct csv_reader *r = NULL;
	assert_true(csv_reader_new(buf, len, lim, &r));
	size_t used = 0;
	out[0] = '\0';
	*records = 0;
	enum csv_status s;
	while ((s = csv_next(r)) == CSV_RECORD) {
		(*records)++;
		assert_int_equal(csv_record_number(r), *records);
		for (size_t i = 0; i < csv_field_count(r); i++) {
			size_t n;
			const char *f = csv_field(r, i, &n);
			assert_non_null(f);
			assert_int_equal(strlen(f), n);
			used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "|" : "", f);
			assert_true(used < outlen);
		}
		used += (size_t)snprintf(out + used, outlen - used, "\n");
	}
	csv_reader_free(r);
	return s;
}

static void expect(const char *in, const char *want, size_t want_records)
{
	char out[4096];
	size_t n;
	assert_int_equal(read_all(in, strlen(in), NULL, out, sizeof out, &n), CSV_END);
	assert_string_equal(out, want);
	assert_int_equal(n, want_records);
}

static void test_simple(void **state)
{
	(void)state;
	expect("a,b,c\n1,2,3\n", "a|b|c\n1|2|3\n", 2);
	expect("a,,c\n,,\n", "a||c\n||\n", 2);
	expect("x\n", "x\n", 1);
	expect("", "", 0);
}

/* Found by the fuzzer: an empty quoted first field used to do arithmetic on a NULL buffer. */
static void test_empty_quoted_first_field(void **state)
{
	(void)state;
	expect("\"\"", "\n", 1);
	expect("\"\",x\n", "|x\n", 1);
}

static void test_quoting(void **state)
{
	(void)state;
	expect("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "a,b|say \"hi\"|\n", 1);
	expect("\"line1\nline2\",x\n", "line1\nline2|x\n", 1);
	expect("\"crlf\r\ninside\",y\r\n", "crlf\r\ninside|y\n", 1);
	expect("\"\"\"\"\n", "\"\n", 1);
	expect("1,\"\"\n", "1|\n", 1);
	/* Chinese text, quoted and not */
	expect("题干,\"选项，带逗号\"\n", "题干|选项，带逗号\n", 1);
}

static void test_bom_and_line_ends(void **state)
{
	(void)state;
	expect("\xEF\xBB\xBFitem,stem\r\nx,y\r\n", "item|stem\nx|y\n", 2);
	expect("\xEF\xBB\xBF", "", 0);
	expect("a,b\rc,d\r", "a|b\nc|d\n", 2);
	expect("a,b\nc,d", "a|b\nc|d\n", 2);           /* no final newline */
	expect("a,\"q\"", "a|q\n", 1);                 /* quoted last field at EOF */
	expect("a,", "a|\n", 1);                       /* trailing empty field at EOF */
	expect("\n\r\n\na\n\n\r\nb\n\n", "a\nb\n", 2); /* blank lines skipped */
	/* a BOM only at the start is special */
	expect("a\n\xEF\xBB\xBF"
	       "b\n",
	       "a\n\xEF\xBB\xBF"
	       "b\n",
	       2);
}

static void test_record_and_line_numbers(void **state)
{
	(void)state;
	const char *in = "h1,h2\n\n\"multi\nline\",x\n\nlast,y\n";
	struct csv_reader *r = NULL;
	assert_true(csv_reader_new(in, strlen(in), NULL, &r));
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_record_number(r), 1);
	assert_int_equal(csv_line(r), 1);
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_record_number(r), 2);
	assert_int_equal(csv_line(r), 3);
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_record_number(r), 3);
	assert_int_equal(csv_line(r), 6);
	assert_string_equal(csv_field(r, 0, NULL), "last");
	assert_null(csv_field(r, 2, NULL));
	assert_int_equal(csv_next(r), CSV_END);
	assert_int_equal(csv_next(r), CSV_END);
	csv_reader_free(r);
}

struct bad_case {
	const char *in;
	enum csv_status status;
	size_t record;
	size_t line;
	size_t field;
};

static void test_malformed(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"a,b\n1,\"open\n2,3\n", CSV_ERR_UNTERMINATED_QUOTE, 2, 2, 2},
		{"a,b\n1,2\n\nx,ab\"c\n", CSV_ERR_BARE_QUOTE, 3, 4, 2},
		{"a,b\n\"x\"y,2\n", CSV_ERR_TEXT_AFTER_QUOTE, 2, 2, 1},
		{"a,b\n\"x\" ,2\n", CSV_ERR_TEXT_AFTER_QUOTE, 2, 2, 1},
		{"a,b\n1,2\n\xC3\x28,x\n", CSV_ERR_INVALID_UTF8, 3, 3, 1},
		{"a\n\xED\xA0\x80\n", CSV_ERR_INVALID_UTF8, 2, 2, 1},     /* surrogate */
		{"a\n\xC0\xAF\n", CSV_ERR_INVALID_UTF8, 2, 2, 1},         /* overlong */
		{"a\n\xF4\x90\x80\x80\n", CSV_ERR_INVALID_UTF8, 2, 2, 1}, /* > U+10FFFF */
		{"a\n\"\xE4\xB8\"\n", CSV_ERR_INVALID_UTF8, 2, 2, 1},     /* truncated */
		{"a,b\nx,y\0z\n", CSV_ERR_NUL_BYTE, 2, 2, 2},
		{"\"never closed", CSV_ERR_UNTERMINATED_QUOTE, 1, 1, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct bad_case *c = &cases[i];
		size_t len = strlen(c->in);
		if (c->status == CSV_ERR_NUL_BYTE)
			len = 10; /* the literal holds a NUL */
		struct csv_reader *r = NULL;
		assert_true(csv_reader_new(c->in, len, NULL, &r));
		enum csv_status s;
		while ((s = csv_next(r)) == CSV_RECORD)
			;
		if (s != c->status)
			fail_msg("case %zu: got %s", i, csv_status_message(s));
		assert_int_equal(csv_record_number(r), c->record);
		assert_int_equal(csv_line(r), c->line);
		assert_int_equal(csv_error_field(r), c->field);
		assert_int_equal(csv_field_count(r), 0);
		/* sticky */
		assert_int_equal(csv_next(r), c->status);
		assert_string_not_equal(csv_status_message(s), "");
		csv_reader_free(r);
	}
}

static void test_unterminated_reports_opening_line(void **state)
{
	(void)state;
	const char *in = "h\nok\n\"starts here\nand\ngoes on";
	struct csv_reader *r = NULL;
	assert_true(csv_reader_new(in, strlen(in), NULL, &r));
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_next(r), CSV_ERR_UNTERMINATED_QUOTE);
	assert_int_equal(csv_record_number(r), 3);
	assert_int_equal(csv_line(r), 3);
	csv_reader_free(r);
}

static void test_limits(void **state)
{
	(void)state;
	struct csv_limits lim = {.max_columns = 3, .max_field_bytes = 5};
	char out[256];
	size_t n;
	const char *ok = "a,b,c\n12345,\"1\"\"345\",x\n";
	assert_int_equal(read_all(ok, strlen(ok), &lim, out, sizeof out, &n), CSV_END);
	assert_string_equal(out, "a|b|c\n12345|1\"345|x\n");

	const char *wide = "a,b,c\n1,2,3,4\n";
	assert_int_equal(read_all(wide, strlen(wide), &lim, out, sizeof out, &n), CSV_ERR_TOO_MANY_COLUMNS);
	assert_int_equal(n, 1);

	const char *big = "a\n123456\n";
	assert_int_equal(read_all(big, strlen(big), &lim, out, sizeof out, &n), CSV_ERR_FIELD_TOO_LARGE);
	const char *bigq = "a\n\"12\"\"456\"\n";
	assert_int_equal(read_all(bigq, strlen(bigq), &lim, out, sizeof out, &n), CSV_ERR_FIELD_TOO_LARGE);

	/* Default limits: 64 columns, 64 KiB per field. */
	char *row = malloc(65 * 2 + 2);
	assert_non_null(row);
	size_t k = 0;
	for (int i = 0; i < 65; i++) {
		row[k++] = 'x';
		row[k++] = i < 64 ? ',' : '\n';
	}
	row[k] = '\0';
	struct csv_reader *r = NULL;
	assert_true(csv_reader_new(row, k, NULL, &r));
	assert_int_equal(csv_next(r), CSV_ERR_TOO_MANY_COLUMNS);
	csv_reader_free(r);
	row[127] = '\n'; /* exactly 64 fields */
	assert_true(csv_reader_new(row, 128, NULL, &r));
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_field_count(r), 64);
	csv_reader_free(r);
	free(row);

	size_t huge = CSV_DEFAULT_MAX_FIELD + 1;
	char *field = malloc(huge);
	assert_non_null(field);
	memset(field, 'y', huge);
	assert_true(csv_reader_new(field, huge, NULL, &r));
	assert_int_equal(csv_next(r), CSV_ERR_FIELD_TOO_LARGE);
	csv_reader_free(r);
	assert_true(csv_reader_new(field, huge - 1, NULL, &r));
	assert_int_equal(csv_next(r), CSV_RECORD);
	assert_int_equal(csv_field_count(r), 1);
	csv_reader_free(r);
	free(field);
}

/* Every prefix and many byte-garbled variants of a tricky file must end in
 * CSV_END or an error, never a crash, leak or endless loop. */
static void test_garbage_does_not_crash(void **state)
{
	(void)state;
	static const char base[] = "\xEF\xBB\xBFitem,stem,a,b,answer\r\n"
				   "general_knowledge,\"多行\n题干, \"\"引号\"\"\",选项,\"B\",A\r\n"
				   "\n"
				   "x,\"\",,\"\"\"\",\r"
				   "last,row,without,newline,\xE6\x96\x87";
	const size_t len = sizeof base - 1;
	static const char junk[] = {'"', ',', '\n', '\r', '\0', (char)0xFF, (char)0xC3, 'a'};
	char *buf = malloc(len);
	assert_non_null(buf);
	struct csv_limits lim = {.max_columns = 4, .max_field_bytes = 16};
	uint32_t seed = 12345;
	for (size_t cut = 0; cut <= len; cut++) {
		for (int variant = 0; variant < 12; variant++) {
			memcpy(buf, base, len);
			if (variant > 0 && cut < len) {
				seed = seed * 1103515245u + 12345u;
				buf[cut] = junk[(seed >> 16) % sizeof junk];
			}
			for (int pass = 0; pass < 2; pass++) {
				struct csv_reader *r = NULL;
				assert_true(csv_reader_new(buf, cut, pass ? &lim : NULL, &r));
				size_t guard = 0;
				enum csv_status s;
				while ((s = csv_next(r)) == CSV_RECORD) {
					for (size_t i = 0; i < csv_field_count(r); i++) {
						size_t n;
						const char *f = csv_field(r, i, &n);
						assert_int_equal(strlen(f), n);
					}
					assert_true(++guard <= len + 1);
				}
				assert_true(s != CSV_RECORD);
				csv_reader_free(r);
			}
		}
	}
	free(buf);
	csv_reader_free(NULL);
}

/* ---- the export cell writer ---- */

struct sink {
	char buf[256];
	size_t len;
	size_t fail_after; /* puts that succeed before one fails; SIZE_MAX: never */
};

static bool sink_put(void *ctx, const char *p, size_t n)
{
	struct sink *k = ctx;
	if (k->fail_after == 0)
		return false;
	k->fail_after--;
	assert_true(k->len + n < sizeof k->buf);
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return true;
}

static const char *cell(const char *s)
{
	static struct sink k;
	k.len = 0;
	k.buf[0] = '\0';
	k.fail_after = SIZE_MAX;
	assert_true(csv_write_cell(s, sink_put, &k));
	return k.buf;
}

static void test_write_cell(void **state)
{
	(void)state;
	assert_string_equal(cell(""), "");
	assert_string_equal(cell("员工0"), "员工0");
	assert_string_equal(cell("a,b"), "\"a,b\"");
	assert_string_equal(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(cell("\"\""), "\"\"\"\"\"\"");
	assert_string_equal(cell("two\nlines"), "\"two\nlines\"");
	assert_string_equal(cell("a\rb"), "\"a\rb\"");
	/* Inside a cell, formula characters are harmless. */
	assert_string_equal(cell("a=b+c-d@e"), "a=b+c-d@e");
}

static void test_write_cell_neutralises_formulas(void **state)
{
	(void)state;
	assert_string_equal(cell("=SUM(A1)"), "\"'=SUM(A1)\"");
	assert_string_equal(cell("+1"), "\"'+1\"");
	assert_string_equal(cell("-1"), "\"'-1\"");
	assert_string_equal(cell("@cmd"), "\"'@cmd\"");
	assert_string_equal(cell("\t=1+1"), "\"'\t=1+1\"");
	/* A leading CR: a spreadsheet drops it and reads the rest as a formula. */
	assert_string_equal(cell("\r=cmd|' /C calc'!A0"), "\"'\r=cmd|' /C calc'!A0\"");
	assert_string_equal(cell("\r"), "\"'\r\"");
	assert_string_equal(cell("=\"x\""), "\"'=\"\"x\"\"\"");
	assert_true(csv_cell_is_formula("\rx"));
	assert_true(csv_cell_is_formula("\tx"));
	assert_false(csv_cell_is_formula(""));
	assert_false(csv_cell_is_formula("x\r"));
	assert_false(csv_cell_is_formula(" =1"));
}

static void test_write_cell_put_failure(void **state)
{
	(void)state;
	const char *inputs[] = {"plain", "=a\"b\"c", "a,b"};
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		struct sink all = {.len = 0, .fail_after = SIZE_MAX};
		assert_true(csv_write_cell(inputs[i], sink_put, &all));
		size_t puts = SIZE_MAX - all.fail_after;
		/* Any put that fails makes the whole cell fail; none is made after it. */
		for (size_t fail_after = 0; fail_after <= puts; fail_after++) {
			struct sink k = {.len = 0, .fail_after = fail_after};
			assert_int_equal(csv_write_cell(inputs[i], sink_put, &k), fail_after == puts);
			assert_int_equal(k.fail_after, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_empty_quoted_first_field),
		cmocka_unit_test(test_bom_and_line_ends),
		cmocka_unit_test(test_record_and_line_numbers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unterminated_reports_opening_line),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_garbage_does_not_crash),
		cmocka_unit_test(test_write_cell),
		cmocka_unit_test(test_write_cell_neutralises_formulas),
		cmocka_unit_test(test_write_cell_put_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
