/* Encoding detection and GB18030 -> UTF-8 conversion of uploads (banks, ratings). */
#include "domain/textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool textenc_is_utf8(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		unsigned char lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return false;
		}
		if (len - i <= k)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t j = 2; j <= k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

enum textenc textenc_to_utf8(const char *buf, size_t len, char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (!buf || textenc_is_utf8(buf, len))
		return TEXTENC_UTF8;
	/* A NUL byte is never text; leave it to the parser's own error. */
	if (memchr(buf, 0, len))
		return TEXTENC_UNKNOWN;
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return TEXTENC_UNKNOWN;
	/* A GB18030 character is 1, 2 or 4 bytes and becomes at most 4 bytes of UTF-8: 2 x len + 4
	 * always suffices (1 -> 1, 2 -> <= 3, 4 -> 4). */
	if (len > (SIZE_MAX - 8) / 2) {
		iconv_close(cd);
		return TEXTENC_NOMEM;
	}
	size_t cap = 2 * len + 4;
	char *dst = malloc(cap + 1);
	if (!dst) {
		iconv_close(cd);
		return TEXTENC_NOMEM;
	}
	char *in = (char *)buf;
	size_t in_left = len;
	char *o = dst;
	size_t o_left = cap;
	size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
	bool ok = rc != (size_t)-1 && in_left == 0;
	if (ok)
		ok = iconv(cd, NULL, NULL, &o, &o_left) != (size_t)-1;
	iconv_close(cd);
	if (!ok) {
		free(dst);
		return TEXTENC_UNKNOWN;
	}
	size_t n = (size_t)(o - dst);
	dst[n] = '\0';
	/* The result must itself be valid UTF-8 for the parsers (iconv guarantees it; checked anyway). */
	if (!textenc_is_utf8(dst, n)) {
		free(dst);
		return TEXTENC_UNKNOWN;
	}
	*out = dst;
	*out_len = n;
	return TEXTENC_GB18030;
}

const char *textenc_name(enum textenc e)
{
	switch (e) {
	case TEXTENC_UTF8:
		return "utf-8";
	case TEXTENC_GB18030:
		return "gb18030";
	case TEXTENC_UNKNOWN:
	case TEXTENC_NOMEM:
		break;
	}
	return "unknown";
}
