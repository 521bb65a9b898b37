/* The header block of an HTTP/1.x request, checked before its body is read (pure: no I/O). */
#include "http/headcheck.h"

#include <string.h>
#include <strings.h>

static enum head_verdict bad(struct head *h, int status, const char *code, const char *message)
{
	h->status = status;
	h->code = code;
	h->message = message;
	return HEAD_BAD;
}

size_t head_block_length(const char *data, size_t len, size_t *scan)
{
	/* A line ends with LF (CR before it optional); the block ends with the first empty line. */
	size_t line = scan ? *scan : 0;
	for (size_t i = line; i < len; i++) {
		if (data[i] != '\n')
			continue;
		size_t n = i - line;
		if (n > 0 && data[i - 1] == '\r')
			n--;
		if (n == 0) {
			if (scan)
				*scan = 0;
			return i + 1;
		}
		line = i + 1;
	}
	if (scan)
		*scan = line; /* the start of the line that is not complete yet */
	return 0;
}

static bool is_tchar(unsigned char c)
{
	/* RFC 9110 token characters. */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};

static bool parse_request_line(const char *p, size_t n, struct head *h, enum head_verdict *v)
{
	while (n > 0 && p[n - 1] == ' ')
		n--; /* libevent drops trailing spaces too */
	const char *sp1 = memchr(p, ' ', n);
	if (!sp1) {
		*v = bad(h, 400, "bad_request", "the request line is malformed");
		return false;
	}
	size_t mlen = (size_t)(sp1 - p);
	const char *target = sp1 + 1;
	const char *end = p + n;
	const char *sp2 = NULL;
	for (const char *q = end; q > target; q--)
		if (q[-1] == ' ') {
			sp2 = q - 1;
			break;
		}
	if (!sp2 || sp2 == target || mlen == 0) {
		*v = bad(h, 400, "bad_request", "the request line is malformed");
		return false;
	}
	bool known = false;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strlen(methods[i]) == mlen && !memcmp(methods[i], p, mlen))
			known = true;
	if (!known) {
		*v = bad(h, mlen < sizeof h->method ? 405 : 400,
			 mlen < sizeof h->method ? "method_not_allowed" : "bad_request",
			 "the request method is not supported");
		return false;
	}
	memcpy(h->method, p, mlen);
	h->method[mlen] = '\0';
	size_t tlen = (size_t)(sp2 - target);
	if (memchr(target, ' ', tlen)) {
		*v = bad(h, 400, "bad_request", "the request target contains a space");
		return false;
	}
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] < 0x21 || (unsigned char)target[i] == 0x7f) {
			*v = bad(h, 400, "bad_request", "the request target contains a control character");
			return false;
		}
	if (target[0] != '/' && !(tlen >= 7 && !strncasecmp(target, "http://", 7)) &&
	    !(tlen >= 8 && !strncasecmp(target, "https://", 8)) && !(tlen == 1 && target[0] == '*')) {
		*v = bad(h, 400, "bad_request", "the request target must be a path");
		return false;
	}
	h->target_off = (size_t)(target - p);
	h->target_len = tlen;
	const char *qm = memchr(target, '?', tlen);
	h->path_len = qm ? (size_t)(qm - target) : tlen;
	const char *version = sp2 + 1;
	size_t vlen = (size_t)(end - version);
	if (vlen != 8 || memcmp(version, "HTTP/1.", 7) != 0 || (version[7] != '0' && version[7] != '1')) {
		*v = bad(h, 400, "bad_request", "only HTTP/1.0 and HTTP/1.1 are served");
		return false;
	}
	return true;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(name, want, n);
}

static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t'))
		(*v)++, (*n)--;
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

enum head_verdict head_check(const char *block, size_t len, const char *reserved, struct head *h)
{
	memset(h, 0, sizeof *h);
	h->content_length = -1;
	enum head_verdict v = HEAD_OK;
	size_t pos = 0;
	bool first = true, have_header = false;
	while (pos < len) {
		const char *nl = memchr(block + pos, '\n', len - pos);
		if (!nl)
			return bad(h, 400, "bad_request", "the header block is incomplete");
		size_t n = (size_t)(nl - (block + pos));
		if (n > 0 && block[pos + n - 1] == '\r')
			n--;
		const char *line = block + pos;
		pos = (size_t)(nl - block) + 1;
		if (memchr(line, '\r', n) || memchr(line, '\0', n))
			return bad(h, 400, "bad_request", "a header line contains a stray CR or NUL");
		if (first) {
			first = false;
			if (!parse_request_line(line, n, h, &v))
				return v;
			h->target_off += (size_t)(line - block);
			continue;
		}
		if (n == 0)
			break; /* the end of the block */
		if (line[0] == ' ' || line[0] == '\t') {
			/* An obsolete continuation line: libevent joins it to the header before. */
			if (!have_header)
				return bad(h, 400, "bad_request", "a continuation line comes before any header");
			continue;
		}
		const char *colon = memchr(line, ':', n);
		if (!colon || colon == line)
			return bad(h, 400, "bad_request", "a header line has no name");
		size_t nlen = (size_t)(colon - line);
		for (size_t i = 0; i < nlen; i++)
			if (!is_tchar((unsigned char)line[i]))
				return bad(h, 400, "bad_request", "a header name contains an invalid character");
		have_header = true;
		const char *value = colon + 1;
		size_t vlen = n - nlen - 1;
		trim(&value, &vlen);
		if (reserved && name_is(line, nlen, reserved))
			return bad(h, 400, "bad_request", "a reserved header was sent");
		if (name_is(line, nlen, "Content-Length")) {
			if (vlen == 0 || vlen > 18)
				return bad(h, 400, "bad_request", "the Content-Length header is malformed");
			long long cl = 0;
			for (size_t i = 0; i < vlen; i++) {
				if (value[i] < '0' || value[i] > '9')
					return bad(h, 400, "bad_request", "the Content-Length header is malformed");
				cl = cl * 10 + (value[i] - '0');
			}
			if (h->content_length >= 0 && h->content_length != cl)
				return bad(h, 400, "bad_request", "conflicting Content-Length headers");
			h->content_length = cl;
		} else if (name_is(line, nlen, "Transfer-Encoding")) {
			if (vlen == 7 && !strncasecmp(value, "chunked", 7))
				h->chunked = true;
			else if (vlen != 8 || strncasecmp(value, "identity", 8) != 0)
				return bad(h, 400, "bad_request", "this transfer encoding is not supported");
		} else if (name_is(line, nlen, "Expect")) {
			if (vlen == 12 && !strncasecmp(value, "100-continue", 12))
				h->expect_continue = true;
		} else if (name_is(line, nlen, "Authorization")) {
			if (vlen > 7 && !strncasecmp(value, "Bearer ", 7))
				h->has_bearer = true;
		}
	}
	if (h->chunked && h->content_length >= 0)
		return bad(h, 400, "bad_request", "both Content-Length and Transfer-Encoding were sent");
	if (h->chunked)
		return bad(h, 411, "length_required", "send the body with a Content-Length header");
	return HEAD_OK;
}

void head_split_target(char *target, const char **path, const char **query)
{
	char *p = target;
	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strstr(p, "://") + 3;
		p += strcspn(p, "/?#");
		if (*p != '/') {
			/* No path: "/" (the query, if any, is kept). */
			static const char root[] = "/";
			char *q = *p == '?' ? p + 1 : NULL;
			if (q)
				q[strcspn(q, "#")] = '\0';
			*path = root;
			*query = q;
			return;
		}
	}
	p[strcspn(p, "#")] = '\0';
	char *q = strchr(p, '?');
	if (q)
		*q++ = '\0';
	*path = p;
	*query = q;
}
