/* Fill-answer normalisation on top of utf8proc: one utf8proc_map pass
 * (compatibility decomposition, case fold, recomposition = NFKC + fold),
 * then trimming of White_Space code points at both ends. */
#include "domain/textnorm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

const char *textnorm_status_str(enum textnorm_status st)
{
	switch (st) {
	case TEXTNORM_OK:
		return "ok";
	case TEXTNORM_ERR_INVALID_UTF8:
		return "invalid UTF-8";
	case TEXTNORM_ERR_TOO_LONG:
		return "text too long";
	case TEXTNORM_ERR_NOMEM:
		return "out of memory";
	}
	return "unknown textnorm status";
}

/* The Unicode White_Space property (PropList.txt); a fixed, short list. */
static bool is_space(utf8proc_int32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

enum textnorm_status textnorm_normalize(const char *s, size_t len, char **out, size_t *out_len)
{
	return textnorm_normalize_ex(s, len, true, out, out_len);
}

bool textnorm_is_space(int cp)
{
	return is_space((utf8proc_int32_t)cp);
}

bool textnorm_is_punct(int cp)
{
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
		return true;
	default:
		return false;
	}
}

bool textnorm_next(const char *s, size_t len, size_t *pos, int *cp)
{
	if (*pos >= len)
		return false;
	utf8proc_int32_t c;
	utf8proc_ssize_t step =
		utf8proc_iterate((const utf8proc_uint8_t *)s + *pos, (utf8proc_ssize_t)(len - *pos), &c);
	if (step <= 0)
		return false;
	*pos += (size_t)step;
	*cp = (int)c;
	return true;
}

enum textnorm_status textnorm_normalize_ex(const char *s, size_t len, bool fold, char **out, size_t *out_len)
{
	*out = NULL;
	if (len > TEXTNORM_MAX_INPUT)
		return TEXTNORM_ERR_TOO_LONG;
	if (s == NULL && len > 0)
		return TEXTNORM_ERR_INVALID_UTF8;

	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t n = 0;
	if (len > 0) {
		/* Without UTF8PROC_NULLTERM utf8proc reads exactly len bytes. */
		n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &mapped,
				 (utf8proc_option_t)(UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_STABLE |
						     (fold ? UTF8PROC_CASEFOLD : 0)));
		if (n < 0) {
			free(mapped);
			return n == UTF8PROC_ERROR_NOMEM ? TEXTNORM_ERR_NOMEM : TEXTNORM_ERR_INVALID_UTF8;
		}
	}

	/* Trim: find the first and one-past-last non-space code point.  The
     * mapped text is valid UTF-8, so iterate cannot fail here. */
	size_t start = (size_t)n, end = 0;
	utf8proc_ssize_t pos = 0;
	while (pos < n) {
		utf8proc_int32_t c;
		utf8proc_ssize_t step = utf8proc_iterate(mapped + pos, n - pos, &c);
		if (step <= 0) {
			free(mapped);
			return TEXTNORM_ERR_INVALID_UTF8;
		}
		if (!is_space(c)) {
			if (start == (size_t)n)
				start = (size_t)pos;
			end = (size_t)(pos + step);
		}
		pos += step;
	}
	size_t keep = start < end ? end - start : 0;

	char *res = malloc(keep + 1);
	if (res == NULL) {
		free(mapped);
		return TEXTNORM_ERR_NOMEM;
	}
	if (keep > 0)
		memcpy(res, mapped + start, keep);
	res[keep] = '\0';
	free(mapped);
	*out = res;
	if (out_len != NULL)
		*out_len = keep;
	return TEXTNORM_OK;
}

enum textnorm_status textnorm_match(const char *given, size_t given_len, const char *const *accepted, size_t n,
				    bool *matched)
{
	*matched = false;
	char *g = NULL;
	size_t glen = 0;
	enum textnorm_status st = textnorm_normalize(given, given_len, &g, &glen);
	if (st == TEXTNORM_ERR_NOMEM)
		return st;
	if (st != TEXTNORM_OK || glen == 0) {
		free(g);
		return TEXTNORM_OK;
	}

	for (size_t i = 0; i < n && !*matched; i++) {
		if (accepted == NULL || accepted[i] == NULL)
			continue;
		char *a = NULL;
		size_t alen = 0;
		st = textnorm_normalize(accepted[i], strlen(accepted[i]), &a, &alen);
		if (st == TEXTNORM_ERR_NOMEM) {
			free(g);
			return st;
		}
		if (st == TEXTNORM_OK && alen == glen && memcmp(a, g, glen) == 0)
			*matched = true;
		free(a);
	}
	free(g);
	return TEXTNORM_OK;
}
