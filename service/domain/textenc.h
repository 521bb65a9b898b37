/* Character encodings of uploaded text: Excel on Chinese Windows saves "CSV (逗号分隔)" in
 * GBK (code page 936), so an upload that is not UTF-8 is read as GB18030 (a superset of GBK and
 * GB2312) through the C library's iconv. */
#ifndef EXAMD_DOMAIN_TEXTENC_H
#define EXAMD_DOMAIN_TEXTENC_H

#include <stdbool.h>
#include <stddef.h>

enum textenc {
	TEXTENC_UTF8,    /* valid UTF-8 (with or without a BOM): used as it is */
	TEXTENC_GB18030, /* converted from GB18030/GBK into *out */
	TEXTENC_UNKNOWN, /* neither: used as it is (the parser reports the invalid UTF-8) */
	TEXTENC_NOMEM,
};

/* Whether buf (len bytes) is well-formed UTF-8 (RFC 3629). */
bool textenc_is_utf8(const char *buf, size_t len);

/* Decides the encoding of buf. For TEXTENC_GB18030, *out (malloc'd, NUL-terminated, the
 * caller frees it) and *out_len hold the UTF-8 text; otherwise *out is NULL. */
enum textenc textenc_to_utf8(const char *buf, size_t len, char **out, size_t *out_len)
	__attribute__((warn_unused_result));

/* "utf-8", "gb18030" or "unknown". */
const char *textenc_name(enum textenc e);

#endif
