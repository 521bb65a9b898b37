/* Exact scaled-integer decimals: parsing, formatting and once-rounded
 * arithmetic with 128-bit intermediates. */
#include "domain/decimal.h"

#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

static const int64_t POW10[DECIMAL_MAX_SCALE + 1] = {
	1LL,
	10LL,
	100LL,
	1000LL,
	10000LL,
	100000LL,
	1000000LL,
	10000000LL,
	100000000LL,
	1000000000LL,
	10000000000LL,
	100000000000LL,
	1000000000000LL,
	10000000000000LL,
	100000000000000LL,
	1000000000000000LL,
	10000000000000000LL,
	100000000000000000LL,
	1000000000000000000LL,
};

const char *decimal_status_str(enum decimal_status st)
{
	switch (st) {
	case DECIMAL_OK:
		return "ok";
	case DECIMAL_ERR_SYNTAX:
		return "not a decimal number";
	case DECIMAL_ERR_PRECISION:
		return "too many decimal places";
	case DECIMAL_ERR_RANGE:
		return "number out of range";
	case DECIMAL_ERR_DIV_ZERO:
		return "division by zero";
	case DECIMAL_ERR_SCALE:
		return "scale out of range";
	case DECIMAL_ERR_BUFFER:
		return "buffer too small";
	}
	return "unknown decimal status";
}

int64_t decimal_pow10(unsigned n)
{
	return n <= DECIMAL_MAX_SCALE ? POW10[n] : 0;
}

/* 10^n as i128 for n <= 36 (10^36 < 2^127). */
static i128 pow10_i128(unsigned n)
{
	if (n <= DECIMAL_MAX_SCALE)
		return POW10[n];
	return (i128)POW10[DECIMAL_MAX_SCALE] * POW10[n - DECIMAL_MAX_SCALE];
}

static bool fits_i64(i128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

/* num / den rounded half away from zero.  Magnitudes are taken in u128, so
 * any i128 operands work; a quotient beyond int64 is DECIMAL_ERR_RANGE. */
static enum decimal_status div_round(i128 num, i128 den, i128 *out)
{
	if (den == 0)
		return DECIMAL_ERR_DIV_ZERO;
	bool neg = (num < 0) != (den < 0);
	u128 n = num < 0 ? (u128)0 - (u128)num : (u128)num;
	u128 d = den < 0 ? (u128)0 - (u128)den : (u128)den;
	u128 q = n / d;
	u128 r = n % d;
	/* r >= d - r  <=>  2r >= d, without computing 2r. */
	if (r >= d - r)
		q++;
	if (q > (u128)INT64_MAX + 1u)
		return DECIMAL_ERR_RANGE;
	i128 sq = (i128)q;
	*out = neg ? -sq : sq;
	return DECIMAL_OK;
}

static enum decimal_status narrow(i128 v, int64_t *out)
{
	if (!fits_i64(v))
		return DECIMAL_ERR_RANGE;
	*out = (int64_t)v;
	return DECIMAL_OK;
}

enum decimal_status decimal_parse_n(const char *s, size_t len, unsigned scale, int64_t *out)
{
	if (scale > DECIMAL_MAX_SCALE)
		return DECIMAL_ERR_SCALE;
	if (s == NULL)
		return DECIMAL_ERR_SYNTAX;

	size_t i = 0;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		neg = s[i] == '-';
		i++;
	}

	/* Accumulate the magnitude as a positive u128 up to 2^63, so INT64_MIN
     * units parse too; anything larger is out of range. */
	const u128 limit = (u128)INT64_MAX + 1u;
	u128 mag = 0;
	bool overflow = false;
	size_t int_digits = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
		if (!overflow) {
			mag = mag * 10u + (u128)(unsigned)(s[i] - '0');
			if (mag > limit)
				overflow = true;
		}
	}
	if (int_digits == 0)
		return DECIMAL_ERR_SYNTAX;

	unsigned frac_used = 0;
	bool lost = false;
	if (i < len && s[i] == '.') {
		i++;
		size_t frac_digits = 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++) {
			if (frac_used < scale) {
				if (!overflow) {
					mag = mag * 10u + (u128)(unsigned)(s[i] - '0');
					if (mag > limit)
						overflow = true;
				}
				frac_used++;
			} else if (s[i] != '0') {
				lost = true;
			}
		}
		if (frac_digits == 0)
			return DECIMAL_ERR_SYNTAX;
	}
	if (i != len)
		return DECIMAL_ERR_SYNTAX;
	if (lost)
		return DECIMAL_ERR_PRECISION;

	/* Pad the missing fractional digits; mag <= 2^63 and 10^18 keep this
     * inside u128 before the range check. */
	if (!overflow)
		mag *= (u128)(uint64_t)POW10[scale - frac_used];
	if (overflow || mag > limit || (!neg && mag == limit))
		return DECIMAL_ERR_RANGE;

	if (neg)
		*out = mag == limit ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return DECIMAL_OK;
}

enum decimal_status decimal_parse(const char *s, unsigned scale, int64_t *out)
{
	if (s == NULL)
		return DECIMAL_ERR_SYNTAX;
	return decimal_parse_n(s, strlen(s), scale, out);
}

enum decimal_status decimal_format(int64_t v, unsigned scale, char *buf, size_t cap)
{
	if (scale > DECIMAL_MAX_SCALE)
		return DECIMAL_ERR_SCALE;
	if (buf == NULL || cap == 0)
		return DECIMAL_ERR_BUFFER;

	/* Digits right to left, least significant first. */
	char tmp[DECIMAL_FORMAT_MAX];
	size_t n = 0;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	unsigned digits = 0;
	do {
		if (digits == scale && scale > 0)
			tmp[n++] = '.';
		tmp[n++] = (char)('0' + (int)(mag % 10u));
		mag /= 10u;
		digits++;
	} while (mag > 0 || digits <= scale);
	if (v < 0)
		tmp[n++] = '-';

	if (n + 1 > cap) {
		buf[0] = '\0';
		return DECIMAL_ERR_BUFFER;
	}
	for (size_t k = 0; k < n; k++)
		buf[k] = tmp[n - 1 - k];
	buf[n] = '\0';
	return DECIMAL_OK;
}

enum decimal_status decimal_format_trim(int64_t v, unsigned scale, char *buf, size_t cap)
{
	enum decimal_status st = decimal_format(v, scale, buf, cap);
	if (st != DECIMAL_OK || scale == 0)
		return st;
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		n--;
	if (n > 0 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	return DECIMAL_OK;
}

enum decimal_status decimal_rescale(int64_t v, unsigned from, unsigned to, int64_t *out)
{
	if (from > DECIMAL_MAX_SCALE || to > DECIMAL_MAX_SCALE)
		return DECIMAL_ERR_SCALE;
	if (to >= from)
		return narrow((i128)v * POW10[to - from], out);
	i128 q;
	enum decimal_status st = div_round(v, POW10[from - to], &q);
	if (st != DECIMAL_OK)
		return st;
	return narrow(q, out);
}

enum decimal_status decimal_round(int64_t v, unsigned scale, unsigned digits, int64_t *out)
{
	if (scale > DECIMAL_MAX_SCALE)
		return DECIMAL_ERR_SCALE;
	if (digits >= scale) {
		*out = v;
		return DECIMAL_OK;
	}
	i128 q;
	enum decimal_status st = div_round(v, POW10[scale - digits], &q);
	if (st != DECIMAL_OK)
		return st;
	return narrow(q * POW10[scale - digits], out);
}

enum decimal_status decimal_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return DECIMAL_ERR_RANGE;
	*out = r;
	return DECIMAL_OK;
}

enum decimal_status decimal_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return DECIMAL_ERR_RANGE;
	*out = r;
	return DECIMAL_OK;
}

/* num × 10^shift / den, once rounded; a negative shift moves the power of
 * ten to the denominator. */
static enum decimal_status scaled_ratio(i128 num, i128 den, int shift, int64_t *out)
{
	if (den == 0)
		return DECIMAL_ERR_DIV_ZERO;
	if (shift >= 0) {
		if (__builtin_mul_overflow(num, pow10_i128((unsigned)shift), &num))
			return DECIMAL_ERR_RANGE;
	} else {
		if (__builtin_mul_overflow(den, pow10_i128((unsigned)-shift), &den))
			return DECIMAL_ERR_RANGE;
	}
	i128 q;
	enum decimal_status st = div_round(num, den, &q);
	if (st != DECIMAL_OK)
		return st;
	return narrow(q, out);
}

enum decimal_status decimal_mul(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale, int64_t *out)
{
	if (as > DECIMAL_MAX_SCALE || bs > DECIMAL_MAX_SCALE || out_scale > DECIMAL_MAX_SCALE)
		return DECIMAL_ERR_SCALE;
	/* |a × b| <= 2^126: exact in i128. */
	i128 p = (i128)a * b;
	return scaled_ratio(p, 1, (int)out_scale - (int)(as + bs), out);
}

enum decimal_status decimal_div(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale, int64_t *out)
{
	if (as > DECIMAL_MAX_SCALE || bs > DECIMAL_MAX_SCALE || out_scale > DECIMAL_MAX_SCALE)
		return DECIMAL_ERR_SCALE;
	if (b == 0)
		return DECIMAL_ERR_DIV_ZERO;
	/* (a / 10^as) / (b / 10^bs) × 10^out = a × 10^(bs + out - as) / b */
	return scaled_ratio(a, b, (int)(bs + out_scale) - (int)as, out);
}

enum decimal_status decimal_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out)
{
	if (c == 0)
		return DECIMAL_ERR_DIV_ZERO;
	i128 q;
	enum decimal_status st = div_round((i128)a * b, c, &q);
	if (st != DECIMAL_OK)
		return st;
	return narrow(q, out);
}
