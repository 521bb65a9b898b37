/* Unit tests for upload encodings: UTF-8 as it is, GBK/GB18030 converted, and the imports that
 * use them (a GBK bank and a GBK ratings file parse like their UTF-8 originals). */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/bank.h"
#include "domain/catalog.h"
#include "domain/ratings.h"
#include "domain/textenc.h"

/* UTF-8 text re-encoded as GBK by iconv itself (what Excel writes on Chinese Windows). */
static char *to_gbk(const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open("GBK", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t n = strlen(utf8), cap = 2 * n + 4, left = cap;
	char *out = malloc(cap), *o = out, *in = (char *)utf8;
	assert_non_null(out);
	assert_true(iconv(cd, &in, &n, &o, &left) != (size_t)-1);
	iconv_close(cd);
	*len = cap - left;
	return out;
}

static void test_utf8_kept(void **state)
{
	(void)state;
	char *out;
	size_t n;
	assert_int_equal(textenc_to_utf8("a,b\n中文\n", 12, &out, &n), TEXTENC_UTF8);
	assert_null(out);
	const char bom[] = "\xEF\xBB\xBF知识项\n";
	assert_int_equal(textenc_to_utf8(bom, sizeof bom - 1, &out, &n), TEXTENC_UTF8);
	assert_null(out);
	assert_int_equal(textenc_to_utf8("", 0, &out, &n), TEXTENC_UTF8);
}

static void test_gbk_converted(void **state)
{
	(void)state;
	size_t glen;
	char *gbk = to_gbk("知识项,题干\n通用知识,政企客户\n", &glen);
	assert_false(textenc_is_utf8(gbk, glen));
	char *out;
	size_t n;
	assert_int_equal(textenc_to_utf8(gbk, glen, &out, &n), TEXTENC_GB18030);
	assert_string_equal(out, "知识项,题干\n通用知识,政企客户\n");
	assert_int_equal(n, strlen(out));
	free(out);
	free(gbk);
	assert_string_equal(textenc_name(TEXTENC_GB18030), "gb18030");
}

static void test_not_text(void **state)
{
	(void)state;
	char *out;
	size_t n;
	/* A lone lead byte at the end is neither UTF-8 nor GB18030. */
	assert_int_equal(textenc_to_utf8("ab\x81", 3, &out, &n), TEXTENC_UNKNOWN);
	assert_null(out);
	/* NUL bytes: left to the parser. */
	assert_int_equal(textenc_to_utf8("a\0\xff", 3, &out, &n), TEXTENC_UNKNOWN);
	assert_null(out);
}

static void test_gbk_bank_parses(void **state)
{
	(void)state;
	const char *csv =
		"知识项,知识点,级别,题型,题干,A,B,答案\n"
		"general_knowledge,telecom_industry_overview,初级,单选,政企客户部面向哪类客户？,政府与企业,个人,A\n";
	struct bank b;
	size_t glen;
	char *gbk = to_gbk(csv, &glen);
	enum bank_status s = bank_parse_csv(catalog_default(), gbk, glen, &b);
	if (s != BANK_OK)
		for (size_t i = 0; i < b.error_count; i++)
			print_message("row %zu %s: %s\n", b.errors[i].row, b.errors[i].column, b.errors[i].message);
	assert_int_equal(s, BANK_OK);
	assert_int_equal(b.question_count, 1);
	assert_string_equal(b.encoding, "gb18030");
	assert_string_equal(b.questions[0].stem, "政企客户部面向哪类客户？");
	bank_free(&b);
	free(gbk);
	assert_int_equal(bank_parse_csv(catalog_default(), csv, strlen(csv), &b), BANK_OK);
	assert_string_equal(b.encoding, "utf-8");
	bank_free(&b);
}

static void test_gbk_ratings_parse(void **state)
{
	(void)state;
	const char *csv = "员工,能力项,分数,周期,备注\nemp3,achievement_orientation,5,2026H2,表现良好\n";
	struct rating_batch rb;
	size_t glen;
	char *gbk = to_gbk(csv, &glen);
	enum ratings_status s = ratings_parse_csv(catalog_default(), gbk, glen, &rb);
	if (s != RATINGS_OK)
		for (size_t i = 0; i < rb.error_count; i++)
			print_message("row %zu %s: %s\n", rb.errors[i].row, rb.errors[i].column, rb.errors[i].message);
	assert_int_equal(s, RATINGS_OK);
	assert_int_equal(rb.count, 1);
	assert_string_equal(rb.encoding, "gb18030");
	ratings_free(&rb);
	free(gbk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_kept),         cmocka_unit_test(test_gbk_converted),
		cmocka_unit_test(test_not_text),          cmocka_unit_test(test_gbk_bank_parses),
		cmocka_unit_test(test_gbk_ratings_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
