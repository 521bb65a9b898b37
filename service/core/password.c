/* Password hashing with scrypt (OpenSSL); parameters are stored with the hash. */
#include "core/password.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define SALT_LEN 16
#define KEY_LEN 32
#define SCRYPT_MAXMEM (512ull * 1024 * 1024)

static bool derive(const char *pw, const unsigned char *salt, size_t saltlen, int log2n, int r, int p,
		   unsigned char *key, size_t keylen)
{
	if (log2n < 1 || log2n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
		return false;
	return EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, (uint64_t)1 << log2n, (uint64_t)r, (uint64_t)p,
			      SCRYPT_MAXMEM, key, keylen) == 1;
}

bool password_hash(const char *pw, int log2n, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char salt64[32], key64[48];
	if (!util_random_bytes(salt, sizeof salt))
		return false;
	if (!derive(pw, salt, sizeof salt, log2n, 8, 1, key, sizeof key))
		return false;
	util_base64url_encode(salt, sizeof salt, salt64);
	util_base64url_encode(key, sizeof key, key64);
	int n = snprintf(out, outlen, "$scrypt$ln=%d,r=8,p=1$%s$%s", log2n, salt64, key64);
	return n > 0 && (size_t)n < outlen;
}

enum password_result password_verify(const char *pw, const char *stored)
{
	int log2n, r, p, consumed = 0;
	if (!stored || sscanf(stored, "$scrypt$ln=%d,r=%d,p=%d$%n", &log2n, &r, &p, &consumed) != 3 || !consumed)
		return PASSWORD_MALFORMED;
	const char *salt64 = stored + consumed;
	const char *dollar = strchr(salt64, '$');
	if (!dollar || dollar - salt64 >= 64)
		return PASSWORD_MALFORMED;
	char saltbuf[64];
	memcpy(saltbuf, salt64, (size_t)(dollar - salt64));
	saltbuf[dollar - salt64] = '\0';
	unsigned char salt[48], want[64], got[64];
	long saltlen = util_base64url_decode(saltbuf, salt, sizeof salt);
	long keylen = util_base64url_decode(dollar + 1, want, sizeof want);
	if (saltlen < 8 || keylen < 16)
		return PASSWORD_MALFORMED;
	if (!derive(pw, salt, (size_t)saltlen, log2n, r, p, got, (size_t)keylen))
		return PASSWORD_MALFORMED;
	return util_ct_equal(got, want, (size_t)keylen) ? PASSWORD_MATCH : PASSWORD_MISMATCH;
}

const char *password_policy_error(const char *pw)
{
	size_t n = strlen(pw);
	if (n < PASSWORD_MIN_LEN)
		return "password must have at least 8 characters";
	if (n > PASSWORD_MAX_LEN)
		return "password must have at most 256 bytes";
	return NULL;
}
