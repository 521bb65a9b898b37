/* Small helpers: time, encodings, random tokens, hashing. */
#ifndef EXAMD_CORE_UTIL_H
#define EXAMD_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MUST_CHECK __attribute__((warn_unused_result))

int64_t util_now_us(void);       /* wall clock, microseconds since the epoch */
int64_t util_monotonic_us(void); /* monotonic clock */
/* RFC 3339 UTC with milliseconds: 2026-11-26T16:37:55.123Z */
void util_format_time_us(int64_t us, char *buf, size_t len);

/* Unpadded base64url. out must hold 4*ceil(n/3)+1 bytes. */
void util_base64url_encode(const unsigned char *in, size_t n, char *out);
/* Returns the decoded length or -1 on invalid input / overflow of outcap. */
long util_base64url_decode(const char *in, unsigned char *out, size_t outcap);
void util_hex_encode(const unsigned char *in, size_t n, char *out);

/* Fills buf with n cryptographically random bytes. */
bool util_random_bytes(unsigned char *buf, size_t n) MUST_CHECK;
/* SHA-256 of data into out[32]. */
void util_sha256(const void *data, size_t n, unsigned char out[32]);
/* Constant-time comparison. */
bool util_ct_equal(const void *a, const void *b, size_t n);

/* Makes s valid UTF-8 in place: a multi-byte character cut off at the end (by a bounded
 * snprintf) is dropped and any other invalid byte becomes '?'. */
void util_utf8_clip(char *s);
/* The users.username rule (also the table's CHECK): 1-64 of [A-Za-z0-9_.@-], starting with a
 * letter or digit. */
#define UTIL_USERNAME_MAX 64
bool util_username_valid(const char *s);

/* Parses a decimal integer in [min,max]; false on anything else. */
bool util_parse_long(const char *s, long min, long max, long *out) MUST_CHECK;

/* Writes s (valid UTF-8) as a JSON string through put: quotes, backslashes and control characters
 * escaped. False as soon as put fails. */
typedef bool (*util_put_fn)(void *ctx, const char *p, size_t n);
bool util_json_string(const char *s, util_put_fn put, void *ctx);

#endif
