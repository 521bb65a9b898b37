/* Unit tests for domain/textnorm: NFKC + case fold + trim, invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/textnorm.h"

static void expect_norm(const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	enum textnorm_status st = textnorm_normalize(in, strlen(in), &out, &len);
	if (st != TEXTNORM_OK)
		fail_msg("normalize \"%s\": %s", in, textnorm_status_str(st));
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static bool matches(const char *given, const char *const *accepted, size_t n)
{
	bool m = true;
	assert_int_equal(textnorm_match(given, strlen(given), accepted, n, &m), TEXTNORM_OK);
	return m;
}

static void test_normalize(void **state)
{
	(void)state;
	expect_norm("５Ｇ", "5g"); /* fullwidth → ASCII, then folded */
	expect_norm(" ＳＬＡ ", "sla");
	expect_norm("\u3000SLA\u3000", "sla"); /* ideographic spaces */
	expect_norm("\t\n SLA \r\n", "sla");
	expect_norm("\u2028SLA\u2029\xc2\x85", "sla"); /* line/paragraph separators, NEL */
	expect_norm("\u00a0x\u202f", "x");             /* no-break spaces */
	expect_norm("Straße", "strasse");
	expect_norm("ＳＤ－ＷＡＮ", "sd-wan");
	expect_norm("ﬁber", "fiber");     /* ligature */
	expect_norm("e\u0301", "\u00e9"); /* composed after folding */
	expect_norm("①", "1");
	expect_norm("政企 客户", "政企 客户"); /* inner space kept */
	expect_norm("   ", "");
	expect_norm("", "");
	/* Zero-width space is not White_Space: kept, so it cannot fake a trim. */
	expect_norm("\u200bx", "\u200bx");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\xff",             /* never valid */
		"5G\xc0\xaf",       /* overlong '/' */
		"\xed\xa0\x80",     /* UTF-16 surrogate */
		"\xe4\xb8",         /* truncated 3-byte sequence */
		"\xf4\x90\x80\x80", /* above U+10FFFF */
		"\200abc",          /* stray continuation byte (0x80; octal ends after 3 digits) */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *out = (char *)1;
		assert_int_equal(textnorm_normalize(bad[i], strlen(bad[i]), &out, NULL), TEXTNORM_ERR_INVALID_UTF8);
		assert_null(out);
	}
	/* Truncation inside a valid sequence via len is invalid too. */
	char *out = NULL;
	assert_int_equal(textnorm_normalize("政", 2, &out, NULL), TEXTNORM_ERR_INVALID_UTF8);
	assert_null(out);
	assert_int_equal(textnorm_normalize(NULL, 3, &out, NULL), TEXTNORM_ERR_INVALID_UTF8);
	assert_int_equal(textnorm_normalize(NULL, 0, &out, NULL), TEXTNORM_OK);
	assert_string_equal(out, "");
	free(out);
}

static void test_too_long(void **state)
{
	(void)state;
	size_t n = TEXTNORM_MAX_INPUT + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	char *out = (char *)1;
	assert_int_equal(textnorm_normalize(big, n, &out, NULL), TEXTNORM_ERR_TOO_LONG);
	assert_null(out);
	/* At the limit it still works, and decomposition growth is handled. */
	assert_int_equal(textnorm_normalize(big, n - 1, &out, NULL), TEXTNORM_OK);
	assert_int_equal(strlen(out), n - 1);
	free(out);
	bool m = true;
	static const char *const acc[] = {"a"};
	assert_int_equal(textnorm_match(big, n, acc, 1, &m), TEXTNORM_OK);
	assert_false(m);
	free(big);
}

static void test_match(void **state)
{
	(void)state;
	static const char *const fiveg[] = {"5G", "第五代移动通信"};
	assert_true(matches("５Ｇ", fiveg, 2));
	assert_true(matches("5g", fiveg, 2));
	assert_true(matches(" ５g\u3000", fiveg, 2));
	assert_true(matches("第五代移动通信", fiveg, 2));
	assert_false(matches("5G+", fiveg, 2)); /* near miss */
	assert_false(matches("5 G", fiveg, 2));
	assert_false(matches("5", fiveg, 2));
	assert_false(matches("", fiveg, 2));
	assert_false(matches("   ", fiveg, 2));

	static const char *const sla[] = {"sla"};
	assert_true(matches(" ＳＬＡ ", sla, 1));
	assert_false(matches("s la", sla, 1));

	/* Invalid UTF-8 never matches, on either side. */
	assert_false(matches("5G\xff", fiveg, 2));
	assert_false(matches("\xff", fiveg, 2));
	static const char *const bad_key[] = {"\xff", "ok"};
	assert_false(matches("\xff", bad_key, 2));
	assert_true(matches("OK", bad_key, 2));

	/* An accepted answer that normalises to "" matches nothing. */
	static const char *const empty_key[] = {"", "  "};
	assert_false(matches("", empty_key, 2));
	assert_false(matches(" ", empty_key, 2));

	/* NULL entries and a NULL list are skipped, not dereferenced. */
	static const char *const with_null[] = {NULL, "x"};
	assert_true(matches("X", with_null, 2));
	assert_false(matches("X", NULL, 3));
	assert_false(matches("X", fiveg, 0));

	/* Embedded NUL is compared, not treated as the end. */
	static const char *const ab[] = {"a"};
	bool m = true;
	assert_int_equal(textnorm_match("a\0b", 3, ab, 1, &m), TEXTNORM_OK);
	assert_false(m);
	assert_string_equal(textnorm_status_str(TEXTNORM_ERR_INVALID_UTF8), "invalid UTF-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
