/* Normalisation of fill-in answers (SPEC §3.1): Unicode NFKC, case folding,
 * then trimming of Unicode white space, so "５Ｇ" equals "5g". */
#ifndef EXAMD_DOMAIN_TEXTNORM_H
#define EXAMD_DOMAIN_TEXTNORM_H

#include <stdbool.h>
#include <stddef.h>

#define TEXTNORM_MUST_CHECK __attribute__((warn_unused_result))

/* Inputs longer than this are refused (TEXTNORM_ERR_TOO_LONG): decomposition
 * can grow text many times over, and no fill answer is this long. */
#define TEXTNORM_MAX_INPUT (64u * 1024u)

enum textnorm_status {
	TEXTNORM_OK = 0,
	TEXTNORM_ERR_INVALID_UTF8, /* malformed, overlong, surrogate, > U+10FFFF */
	TEXTNORM_ERR_TOO_LONG,
	TEXTNORM_ERR_NOMEM,
};

const char *textnorm_status_str(enum textnorm_status st);

/* Normalises len bytes of s (need not be NUL-terminated; NULL with len 0 is
 * the empty string).  On success *out is a NUL-terminated malloc'd string
 * the caller frees with free(), *out_len its length (out_len may be NULL).
 * On failure *out is NULL. */
enum textnorm_status textnorm_normalize(const char *s, size_t len, char **out, size_t *out_len) TEXTNORM_MUST_CHECK;

/* As textnorm_normalize, with case folding only when fold is true (NFKC and
 * trimming always): option lengths are counted on NFKC text without folding. */
enum textnorm_status textnorm_normalize_ex(const char *s, size_t len, bool fold, char **out,
					   size_t *out_len) TEXTNORM_MUST_CHECK;

/* Decodes the code point of valid UTF-8 at s[*pos] (len bytes in all) and
 * advances *pos; false at the end or on a malformed sequence.  For text that
 * textnorm produced, which is always valid. */
bool textnorm_next(const char *s, size_t len, size_t *pos, int *cp);

/* Unicode White_Space, and the general categories P* (punctuation). */
bool textnorm_is_space(int cp);
bool textnorm_is_punct(int cp);

/* Whether `given` matches one of the n accepted answers (NUL-terminated)
 * after normalising both sides.  Text that is not valid UTF-8 or too long
 * never matches, on either side, and is not an error; an accepted answer
 * that normalises to "" matches nothing (an empty given answer matches
 * nothing either).  Only TEXTNORM_ERR_NOMEM is returned as an error, so a
 * match is never silently lost to an allocation failure. */
enum textnorm_status textnorm_match(const char *given, size_t given_len, const char *const *accepted, size_t n,
				    bool *matched) TEXTNORM_MUST_CHECK;

#endif
