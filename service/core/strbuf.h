/* A growable text buffer (always NUL-terminated once written to). After the first failed growth
 * every write is dropped and `failed` stays set, so a writer checks once at the end. */
#ifndef EXAMD_CORE_STRBUF_H
#define EXAMD_CORE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* NULL until the first write */
	size_t len, cap;
	bool failed;
};

/* Room for extra more bytes (and the NUL); false when it could not grow (or had failed before). */
bool strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_putn(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strbuf_putn for callbacks of the shape util_put_fn / a write sink: false once failed. */
bool strbuf_put(void *sb, const char *s, size_t n);
/* The text (the caller frees it), or NULL after a failure (the buffer is then freed) or when nothing
 * was written; sb is empty after. */
char *strbuf_take(struct strbuf *sb);

#endif
