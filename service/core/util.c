/* Small helpers: time, encodings, random tokens, hashing. */
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t util_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void util_format_time_us(int64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)((us % 1000000) / 1000));
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void util_base64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;
	while (i + 2 < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
		i += 3;
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

long util_base64url_decode(const char *in, unsigned char *out, size_t outcap)
{
	size_t n = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	return (long)o;
}

void util_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

bool util_random_bytes(unsigned char *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1;
}

/* OpenSSL 3 looks the algorithm up on every EVP_Digest with EVP_sha256(); fetch it once. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void util_sha256(const void *data, size_t n, unsigned char out[32])
{
	unsigned int len = 32;
	pthread_once(&sha256_once, sha256_fetch);
	EVP_Digest(data, n, out, &len, sha256_md ? sha256_md : EVP_sha256(), NULL);
}

bool util_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool util_parse_long(const char *s, long min, long max, long *out)
{
	/* strtol would skip leading white space; a number here is digits with an optional '-'. */
	if (!s || !(*s == '-' ? s[1] >= '0' && s[1] <= '9' : *s >= '0' && *s <= '9'))
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is invalid or cut short. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) || (s[0] == 0xF0 && s[1] < 0x90) ||
	    (s[0] == 0xF4 && s[1] > 0x8F))
		return 0;
	return n;
}

void util_utf8_clip(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n) {
			p += n;
			continue;
		}
		/* A lead byte whose continuation bytes run into the end: the cut of a bounded print. */
		size_t rest = strlen((char *)p);
		size_t need = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
		bool cut = *p >= 0xC2 && *p <= 0xF4 && rest < need;
		for (size_t i = 1; cut && i < rest; i++)
			cut = (p[i] & 0xC0) == 0x80;
		if (cut) {
			*p = '\0';
			return;
		}
		*p++ = '?';
	}
}

bool util_username_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > UTIL_USERNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '_' || c == '.' || c == '@' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

bool util_json_string(const char *s, util_put_fn put, void *ctx)
{
	const char *run = s;
	if (!put(ctx, "\"", 1))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		char esc[8];
		int n = ch == '"' || ch == '\\' ? snprintf(esc, sizeof esc, "\\%c", ch)
						: snprintf(esc, sizeof esc, "\\u%04x", ch);
		if (!put(ctx, run, (size_t)(p - run)) || !put(ctx, esc, (size_t)n))
			return false;
		run = p + 1;
	}
	return put(ctx, run, strlen(run)) && put(ctx, "\"", 1);
}
