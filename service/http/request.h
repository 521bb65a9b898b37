/* One HTTP request in flight: its context, and the only ways to answer it (exactly once). */
#ifndef EXAMD_HTTP_REQUEST_H
#define EXAMD_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQ_MAX_PARAMS 4 /* = ROUTER_MAX_PARAMS (router.c captures them) */

struct evhttp_request;
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
	struct evhttp_request *ev;
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
	char *body; /* NUL-terminated copy of the body, or NULL */
	size_t body_len;
	void *data; /* handler state, freed with data_free */
	void (*data_free)(void *);
};

struct req *req_new(struct evhttp_request *ev, struct worker *w);

const char *req_method_name(const struct req *r);
const char *req_header(const struct req *r, const char *name);
const char *req_query(const struct req *r, const char *name); /* NULL when absent */
/* The client's address: the peer's, or behind a trusted proxy the last X-Forwarded-For entry. */
const char *req_client_address(struct req *r);
/* Copies the body (NUL-terminated); false when it exceeds limit. */
bool req_read_body(struct req *r, size_t limit);

/* After the worker's evhttp is freed (shutdown past the drain deadline), a statement's late
 * callback may still answer: its request and connection are gone, and the reply functions only
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
