/* The header block of an HTTP/1.x request, checked before its body is read (pure: no I/O).
 * Stricter than libevent's own parser, so that whatever libevent would refuse with its HTML page
 * is refused here first, in the JSON envelope. */
#ifndef EXAMD_HTTP_HEADCHECK_H
#define EXAMD_HTTP_HEADCHECK_H

#include <stdbool.h>
#include <stddef.h>

struct head {
	/* The request line. */
	char method[16];
	size_t target_off, target_len; /* in the block: the request target (path and query) */
	size_t path_len;               /* the target up to '?' */
	/* What the headers say. */
	long long content_length; /* -1 when absent */
	bool chunked;             /* Transfer-Encoding: chunked */
	bool has_bearer;          /* Authorization: Bearer ... */
	bool expect_continue;     /* Expect: 100-continue: the client waits before sending its body */
	/* When refused: status, SPEC error code and an English message. */
	int status;
	const char *code;
	const char *message;
};

enum head_verdict { HEAD_OK, HEAD_BAD };

/* Checks a complete header block (request line, headers, the empty line; LF or CRLF line ends)
 * of len bytes. reserved: a header name the client may not send (compared case-insensitively). */
enum head_verdict head_check(const char *block, size_t len, const char *reserved, struct head *h);

/* The length of the header block at the start of data (through its empty line), or 0 when data
 * holds no complete block yet. scan (may be NULL): where the search resumes, 0 at first; it is
 * left at the start of the incomplete line, so a sender that trickles its block costs linear time,
 * and reset to 0 once the block is found. */
size_t head_block_length(const char *data, size_t len, size_t *scan);

/* Splits a checked request target (origin or absolute form; NUL-terminated) into its path and query,
 * in place (NULs): the path of an absolute form is what follows its authority ("/" when nothing
 * does), and a fragment is dropped. *query is NULL when there is no '?'. Neither is decoded. */
void head_split_target(char *target, const char **path, const char **query);

#endif
