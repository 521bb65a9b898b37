/* Unit tests for core/password: scrypt hashing, verification of stored strings, the policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/password.h"

#define TEST_LOG2N 10
#define PREFIX10 "$scrypt$ln=10,r=8,p=1$"

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void hash_ok(const char *pw, int log2n, char out[PASSWORD_HASH_MAX])
{
	memset(out, 0, PASSWORD_HASH_MAX);
	assert_true(password_hash(pw, log2n, out, PASSWORD_HASH_MAX));
}

static void test_hash_then_verify_matches(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX];
	hash_ok("correct horse battery", TEST_LOG2N, h);
	assert_int_equal(password_verify("correct horse battery", h), PASSWORD_MATCH);
}

static void test_wrong_password_mismatches(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX];
	hash_ok("correct horse battery", TEST_LOG2N, h);
	assert_int_equal(password_verify("correct horse batterY", h), PASSWORD_MISMATCH);
	assert_int_equal(password_verify("correct horse batter", h), PASSWORD_MISMATCH);
	assert_int_equal(password_verify("correct horse battery ", h), PASSWORD_MISMATCH);
	assert_int_equal(password_verify("", h), PASSWORD_MISMATCH);
}

static void test_hash_format(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX];
	hash_ok("format-check", TEST_LOG2N, h);
	/* "$scrypt$ln=10,r=8,p=1$<22 chars: 16-byte salt>$<43 chars: 32-byte key>" */
	assert_int_equal(strncmp(h, PREFIX10, strlen(PREFIX10)), 0);
	const char *salt = h + strlen(PREFIX10);
	const char *dollar = strchr(salt, '$');
	assert_non_null(dollar);
	assert_int_equal(dollar - salt, 22);
	assert_int_equal(strspn(salt, b64url_alphabet), 22);
	const char *key = dollar + 1;
	assert_int_equal(strlen(key), 43);
	assert_int_equal(strspn(key, b64url_alphabet), 43);
	assert_true(strlen(h) < PASSWORD_HASH_MAX);
}

static void test_same_password_different_salt(void **state)
{
	(void)state;
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
	hash_ok("same password", TEST_LOG2N, a);
	hash_ok("same password", TEST_LOG2N, b);
	assert_string_not_equal(a, b);
	/* The salts differ, not only the keys. */
	assert_memory_not_equal(a + strlen(PREFIX10), b + strlen(PREFIX10), 22);
	assert_int_equal(password_verify("same password", a), PASSWORD_MATCH);
	assert_int_equal(password_verify("same password", b), PASSWORD_MATCH);
}

static void test_production_cost(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX];
	hash_ok("production cost pw", 15, h);
	assert_int_equal(strncmp(h, "$scrypt$ln=15,r=8,p=1$", 22), 0);
	assert_int_equal(password_verify("production cost pw", h), PASSWORD_MATCH);
	assert_int_equal(password_verify("production cost pW", h), PASSWORD_MISMATCH);
}

static void test_hash_rejects_bad_arguments(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX];
	assert_false(password_hash("password", 0, h, sizeof h));
	assert_false(password_hash("password", 23, h, sizeof h));
	/* An output buffer too small for the string fails instead of truncating. */
	assert_false(password_hash("password", TEST_LOG2N, h, 40));
	assert_false(password_hash("password", TEST_LOG2N, h, 88)); /* needs 88 + NUL */
	assert_true(password_hash("password", TEST_LOG2N, h, 89));
	assert_int_equal(strlen(h), 88);
}

static void test_tampering_mismatches(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX], t[PASSWORD_HASH_MAX];
	hash_ok("tamper me", TEST_LOG2N, h);
	size_t salt_at = strlen(PREFIX10), key_at = strlen(h) - 43;
	/* Change a salt character. */
	memcpy(t, h, sizeof t);
	t[salt_at] = t[salt_at] == 'A' ? 'B' : 'A';
	assert_int_equal(password_verify("tamper me", t), PASSWORD_MISMATCH);
	/* Change a key character. */
	memcpy(t, h, sizeof t);
	t[key_at + 5] = t[key_at + 5] == 'A' ? 'B' : 'A';
	assert_int_equal(password_verify("tamper me", t), PASSWORD_MISMATCH);
	/* A different cost gives a different key. */
	memcpy(t, h, sizeof t);
	t[strlen("$scrypt$ln=1")] = '1'; /* ln=10 -> ln=11 */
	assert_int_equal(strncmp(t, "$scrypt$ln=11,", 14), 0);
	assert_int_equal(password_verify("tamper me", t), PASSWORD_MISMATCH);
}

/* A valid 16-byte salt and 32-byte key, for building stored strings by hand. */
#define SALT "AAECAwQFBgcICQoLDA0ODw"
#define KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static void test_malformed_stored_strings(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"$",
		"$scrypt$",
		"$scrypt$ln=10",
		"$scrypt$ln=10,r=8",
		"$scrypt$ln=10,r=8,p=1",
		"$scrypt$ln=10,r=8,p=1$",
		"$scrypt$ln=10,r=8,p=1$" SALT,
		"$scrypt$ln=10,r=8,p=1$" SALT "$",
		"$scrypt$ln=10,r=8,p=1$$" KEY,
		"$scrypt$ln=10,r=8,p=1$" SALT KEY,
		"$bcrypt$ln=10,r=8,p=1$" SALT "$" KEY,
		"scrypt$ln=10,r=8,p=1$" SALT "$" KEY,
		"$scrypt$n=10,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=x,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=10;r=8;p=1$" SALT "$" KEY,
		/* Bad base64 in the salt or the key. */
		"$scrypt$ln=10,r=8,p=1$AAECAwQF!gcICQoLDA0ODw$" KEY,
		"$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$" KEY,
		"$scrypt$ln=10,r=8,p=1$" SALT "$AAECAwQFBgcICQoLDA0ODxAREhMU+RYXGBkaGxwdHh8",
		"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY "=",
		"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY "$",
		"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY " ",
		/* Impossible base64 lengths (4k+1). */
		"$scrypt$ln=10,r=8,p=1$" SALT "AAA$" KEY,
		"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY "AA",
		/* Salt shorter than 8 bytes, key shorter than 16 bytes. */
		"$scrypt$ln=10,r=8,p=1$AAECAwQFBg$" KEY,
		"$scrypt$ln=10,r=8,p=1$" SALT "$AAECAwQFBgcICQoLDA0O",
		/* A salt of 64 characters or more, a key longer than 64 bytes. */
		"$scrypt$ln=10,r=8,p=1$"
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v$" KEY,
		"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY KEY "AA",
		/* Absurd or out-of-range parameters. */
		"$scrypt$ln=60,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=64,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=23,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=0,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=-1,r=8,p=1$" SALT "$" KEY,
		"$scrypt$ln=10,r=0,p=1$" SALT "$" KEY,
		"$scrypt$ln=10,r=-8,p=1$" SALT "$" KEY,
		"$scrypt$ln=10,r=33,p=1$" SALT "$" KEY,
		"$scrypt$ln=10,r=1000000,p=1$" SALT "$" KEY,
		"$scrypt$ln=10,r=8,p=0$" SALT "$" KEY,
		"$scrypt$ln=10,r=8,p=17$" SALT "$" KEY,
		/* More memory than the verifier allows (2^22 * 128 * 32 bytes). */
		"$scrypt$ln=22,r=32,p=1$" SALT "$" KEY,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum password_result res = password_verify("password", bad[i]);
		if (res != PASSWORD_MALFORMED)
			fail_msg("stored string %zu \"%s\": expected MALFORMED, got %d", i, bad[i], (int)res);
	}
	assert_int_equal(password_verify("password", NULL), PASSWORD_MALFORMED);
	/* The hand-built string itself is well formed: only the key is wrong. */
	assert_int_equal(password_verify("password", "$scrypt$ln=10,r=8,p=1$" SALT "$" KEY), PASSWORD_MISMATCH);
}

static void test_truncated_stored_strings(void **state)
{
	(void)state;
	char h[PASSWORD_HASH_MAX], t[PASSWORD_HASH_MAX];
	hash_ok("truncate me", TEST_LOG2N, h);
	size_t len = strlen(h), key_at = len - 43;
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(t, h, cut);
		t[cut] = '\0';
		/* Up to 21 key characters (15 bytes) nothing can be verified. */
		if (cut < key_at + 22) {
			if (password_verify("truncate me", t) != PASSWORD_MALFORMED)
				fail_msg("prefix of %zu chars \"%s\" not MALFORMED", cut, t);
		}
		/* Whatever the cut, a wrong password never matches. */
		assert_int_not_equal(password_verify("truncate mE", t), PASSWORD_MATCH);
	}
}

static void test_policy(void **state)
{
	(void)state;
	char pw[300];
	assert_non_null(password_policy_error(""));
	assert_non_null(password_policy_error("1234567"));
	assert_null(password_policy_error("12345678"));
	memset(pw, 'x', 256);
	pw[256] = '\0';
	assert_null(password_policy_error(pw));
	memset(pw, 'x', 257);
	pw[257] = '\0';
	const char *why = password_policy_error(pw);
	assert_non_null(why);
	assert_non_null(strstr(why, "256"));
	why = password_policy_error("short");
	assert_non_null(why);
	assert_non_null(strstr(why, "8"));
}

static void test_long_password_round_trip(void **state)
{
	(void)state;
	char pw[PASSWORD_MAX_LEN + 1], h[PASSWORD_HASH_MAX];
	memset(pw, 'p', PASSWORD_MAX_LEN);
	pw[PASSWORD_MAX_LEN] = '\0';
	hash_ok(pw, TEST_LOG2N, h);
	assert_int_equal(password_verify(pw, h), PASSWORD_MATCH);
	pw[PASSWORD_MAX_LEN - 1] = 'q';
	assert_int_equal(password_verify(pw, h), PASSWORD_MISMATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_then_verify_matches),
		cmocka_unit_test(test_wrong_password_mismatches),
		cmocka_unit_test(test_hash_format),
		cmocka_unit_test(test_same_password_different_salt),
		cmocka_unit_test(test_production_cost),
		cmocka_unit_test(test_hash_rejects_bad_arguments),
		cmocka_unit_test(test_tampering_mismatches),
		cmocka_unit_test(test_malformed_stored_strings),
		cmocka_unit_test(test_truncated_stored_strings),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_long_password_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
