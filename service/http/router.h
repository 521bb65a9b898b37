/* Method + pattern routing with {param} segments. */
#ifndef EXAMD_HTTP_ROUTER_H
#define EXAMD_HTTP_ROUTER_H

#include <stdbool.h>

/* Path parameters of a route ({name} segments) at most. */
#define ROUTER_MAX_PARAMS 4

struct req;

enum role_bits {
	ROLE_EMPLOYEE = 1,
	ROLE_TRAINER = 2,
	ROLE_HR = 4,
	ROLE_ADMIN = 8,
	ROLE_ANY = 15,
};

enum body_kind { BODY_NONE, BODY_JSON, BODY_BANK };

typedef void (*route_handler)(struct req *r);

struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/users/{username}" */
	route_handler handler;
	unsigned roles; /* 0 = no authentication */
	enum body_kind body;
	bool self_auth; /* the handler authenticates in its own statement (one round trip) */
};

enum router_match { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD, ROUTER_NO_MEMORY };

/* Finds the route for method+path; on ROUTER_FOUND fills params[0..*nparams) with the captured
 * segments (malloc'd, the caller frees them); otherwise leaves them NULL and *nparams 0. */
enum router_match router_match(const struct route *routes, int n, const char *method, const char *path,
			       char *params[ROUTER_MAX_PARAMS], int *nparams, int *index);
/* The index of the route for method+path (path not decoded), or -1; allocates nothing. */
int router_find(const struct route *routes, int n, const char *method, const char *path);
int role_bit(const char *role);

#endif
