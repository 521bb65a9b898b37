/* Exact decimals as scaled 64-bit integers: a value v at scale s means
 * v / 10^s.  No floating point anywhere; every operation is overflow-checked
 * and rounds half away from zero (half-up for the non-negative scores). */
#ifndef EXAMD_DOMAIN_DECIMAL_H
#define EXAMD_DOMAIN_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECIMAL_MUST_CHECK __attribute__((warn_unused_result))

/* 10^18 is the largest power of ten an int64_t holds. */
#define DECIMAL_MAX_SCALE 18u

/* Scales the service uses: scores and points in hundredths, weights in
 * millionths (weights arrive as strings with up to 6 decimals). */
#define DECIMAL_SCALE_CENTS 2u
#define DECIMAL_SCALE_WEIGHT 6u

/* Longest text decimal_format writes for any int64 at any scale, plus NUL:
 * sign, "0.", 18 digits or 19 digits and a point. */
#define DECIMAL_FORMAT_MAX 24u

enum decimal_status {
	DECIMAL_OK = 0,
	DECIMAL_ERR_SYNTAX,    /* not [+-]digits[.digits] */
	DECIMAL_ERR_PRECISION, /* non-zero digits beyond the requested scale */
	DECIMAL_ERR_RANGE,     /* the result does not fit an int64 */
	DECIMAL_ERR_DIV_ZERO,
	DECIMAL_ERR_SCALE,  /* a scale above DECIMAL_MAX_SCALE */
	DECIMAL_ERR_BUFFER, /* output buffer too small */
};

const char *decimal_status_str(enum decimal_status st);

/* 10^n for n <= DECIMAL_MAX_SCALE, else 0. */
int64_t decimal_pow10(unsigned n);

/* Parses "85", "-0", "+1.5", "90.495" into units of 10^-scale.  Grammar:
 * [+-]? [0-9]+ ( "." [0-9]+ )? with nothing around it (no spaces, no
 * exponent, no ".5" or "5.").  Digits beyond the scale must be zeros
 * ("1.50" at scale 1 is fine, "1.55" is DECIMAL_ERR_PRECISION): parsing
 * never rounds silently.  "-0" gives 0.  *out is written only on success. */
enum decimal_status decimal_parse(const char *s, unsigned scale, int64_t *out) DECIMAL_MUST_CHECK;
/* The same for a buffer of len bytes that need not be NUL-terminated (an
 * embedded NUL is a syntax error). */
enum decimal_status decimal_parse_n(const char *s, size_t len, unsigned scale, int64_t *out) DECIMAL_MUST_CHECK;

/* Writes v at scale with exactly `scale` fractional digits: (8500, 2) ->
 * "85.00", (-5, 3) -> "-0.005", (85, 0) -> "85".  NUL-terminated; cap of
 * DECIMAL_FORMAT_MAX always suffices. */
enum decimal_status decimal_format(int64_t v, unsigned scale, char *buf, size_t cap) DECIMAL_MUST_CHECK;
/* Like decimal_format but drops trailing fractional zeros and a bare point:
 * (125000, 6) -> "0.125", (30000000, 6) -> "30". */
enum decimal_status decimal_format_trim(int64_t v, unsigned scale, char *buf, size_t cap) DECIMAL_MUST_CHECK;

/* Converts v from scale `from` to scale `to`, rounding half away from zero
 * when digits are dropped: (90495, 3 -> 2) = 9050, (9049, 2 -> 0) = 90. */
enum decimal_status decimal_rescale(int64_t v, unsigned from, unsigned to, int64_t *out) DECIMAL_MUST_CHECK;

/* Rounds v (at scale) to `digits` decimals, keeping the scale:
 * (90495, 3, 2) = 90500. digits >= scale leaves v unchanged. */
enum decimal_status decimal_round(int64_t v, unsigned scale, unsigned digits, int64_t *out) DECIMAL_MUST_CHECK;

/* Checked addition and subtraction of two values at the same scale. */
enum decimal_status decimal_add(int64_t a, int64_t b, int64_t *out) DECIMAL_MUST_CHECK;
enum decimal_status decimal_sub(int64_t a, int64_t b, int64_t *out) DECIMAL_MUST_CHECK;

/* a (scale as) × b (scale bs), as a value at out_scale, rounded once. */
enum decimal_status decimal_mul(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale,
				int64_t *out) DECIMAL_MUST_CHECK;

/* a (scale as) / b (scale bs), as a value at out_scale, rounded once. */
enum decimal_status decimal_div(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale,
				int64_t *out) DECIMAL_MUST_CHECK;

/* round(a × b / c) with a 128-bit intermediate, so a × b never overflows:
 * the one-rounding ratio the scoring needs (e.g. 10000 × earned / possible
 * = a percentage in hundredths). */
enum decimal_status decimal_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out) DECIMAL_MUST_CHECK;

#endif
