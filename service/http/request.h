/* One HTTP request in flight: its context, and the only ways to answer it (exactly once). */
#ifndef EXAMD_HTTP_REQUEST_H
#define EXAMD_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQ_MAX_PARAMS 4 /* = ROUTER_MAX_PARAMS (router.c captures them) */

struct conn;
struct worker;
struct route;

/* The authenticated caller. */
struct req_user {
	char username[72];
	char name[256];
	char role[16];
	char department[256];
	int grade;      /* held now (0 when none) */
	int64_t now_us; /* the database's now() when the caller was authenticated, µs since the epoch */
};

struct req {
	struct conn *conn; /* NULL once the client's connection is gone: the reply is then dropped */
	struct worker *worker;
	const struct route *route;
	int route_index; /* for metrics; -1 when unmatched */
	char *path;      /* decoded path */
	char *params[REQ_MAX_PARAMS];
	int nparams;
	struct evkeyvalq *query; /* parsed query string */
	bool authed;
	struct req_user user;
	char token_hash[65]; /* hex SHA-256 of the bearer token */
	char client[64];     /* the resolved client address, filled on first use */
	int64_t start_us;
	char *body; /* the body, NUL-terminated (in buf), once req_read_body accepted it; or NULL */
	size_t body_len;
	void *data; /* handler state, freed with data_free */
	void (*data_free)(void *);
	/* The request as received (request.c's own): */
	char *buf; /* the header block then the body, each NUL-terminated */
	size_t in_body_off, in_body_len;
	char method[16];
	const char *target;               /* the request target, NUL-terminated */
	const char *raw_path, *raw_query; /* the target's path and query (NULL: none), not decoded */
	int minor;                        /* HTTP/1.minor */
	bool keep_alive;                  /* the client keeps the connection after the reply */
	int nhdr;
	const char **hdr;  /* name, value, name, value ... (in buf) */
	char *out_headers; /* the reply's own headers, "Name: value\r\n" each */
	size_t out_len, out_cap;
	char peer[64];
};

/* A request from its connection: buf (taken over; room for one byte past the body) holds the
 * checked header block (head_len bytes) and the body. NULL when out of memory (buf not taken). */
struct req *req_new(struct conn *c, struct worker *w, char *buf, size_t head_len, size_t body_len, const char *peer);
/* Answers a request refused from its header block at once, in the JSON error envelope (a 503 with
 * Retry-After: 5); close: the connection closes after the answer. False when out of memory. */
bool req_refuse(struct conn *c, struct worker *w, const char *method, const char *target, const char *peer, bool close,
		int status, const char *code, const char *message);
/* Its connection closed: the reply, when it comes, is dropped. */
void req_detach(struct req *r);

const char *req_method_name(const struct req *r);
const char *req_header(const struct req *r, const char *name);
const char *req_query(const struct req *r, const char *name); /* NULL when absent */
/* The client's address: the peer's, or behind a trusted proxy the last X-Forwarded-For entry. */
const char *req_client_address(struct req *r);
/* Copies the body (NUL-terminated); false when it exceeds limit. */
bool req_read_body(struct req *r, size_t limit);

/* After the worker's loop stopped and its connections closed (shutdown past the drain deadline), a
 * statement's late callback may still answer: its connection is gone, and the reply functions only
 * free r. Handlers that do more than reply check this first. */
bool req_orphaned(const struct req *r);

/* The reply functions answer the request and free r. */
void req_reply(struct req *r, int status, const char *content_type, const void *body, size_t len);
void req_reply_json(struct req *r, int status, json_t *body); /* steals body */
/* Sends body as it is (no copy) and frees it. */
struct evbuffer;
void req_reply_evbuffer(struct req *r, int status, const char *content_type, struct evbuffer *body);
void req_reply_json_text(struct req *r, int status, const char *json, size_t len);
void req_reply_empty(struct req *r, int status);
void req_reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void req_add_header(struct req *r, const char *name, const char *value);

#endif
