/* Method + pattern routing with {param} segments. */
#include "http/router.h"

#include <stdlib.h>
#include <string.h>

int role_bit(const char *role)
{
	if (!strcmp(role, "employee"))
		return ROLE_EMPLOYEE;
	if (!strcmp(role, "trainer"))
		return ROLE_TRAINER;
	if (!strcmp(role, "hr"))
		return ROLE_HR;
	if (!strcmp(role, "admin"))
		return ROLE_ADMIN;
	return 0;
}

/* Matches path against pattern; captured segments go to out (borrowed spans). */
static bool match_pattern(const char *pattern, const char *path, const char **starts, size_t *lens, int *n)
{
	*n = 0;
	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		const char *pend = strchr(pattern, '/');
		size_t plen = pend ? (size_t)(pend - pattern) : strlen(pattern);
		const char *send = strchr(path, '/');
		size_t slen = send ? (size_t)(send - path) : strlen(path);
		if (plen > 1 && pattern[0] == '{' && pattern[plen - 1] == '}') {
			if (slen == 0 || *n >= ROUTER_MAX_PARAMS)
				return false;
			starts[*n] = path;
			lens[*n] = slen;
			(*n)++;
		} else if (plen != slen || strncmp(pattern, path, plen) != 0) {
			return false;
		}
		pattern += plen;
		path += slen;
	}
	return *pattern == '\0' && *path == '\0';
}

enum router_match router_match(const struct route *routes, int n, const char *method, const char *path,
			       char *params[ROUTER_MAX_PARAMS], int *nparams_out, int *index)
{
	bool path_known = false;
	const char *starts[ROUTER_MAX_PARAMS];
	size_t lens[ROUTER_MAX_PARAMS];
	int nparams;
	*index = -1;
	for (int i = 0; i < n; i++) {
		if (!match_pattern(routes[i].pattern, path, starts, lens, &nparams))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
			continue;
		for (int j = 0; j < nparams; j++) {
			params[j] = strndup(starts[j], lens[j]);
			if (!params[j]) {
				for (int k = 0; k < j; k++) {
					free(params[k]);
					params[k] = NULL;
				}
				*nparams_out = 0;
				return ROUTER_NO_MEMORY;
			}
		}
		*nparams_out = nparams;
		*index = i;
		return ROUTER_FOUND;
	}
	return path_known ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}

int router_find(const struct route *routes, int n, const char *method, const char *path)
{
	const char *starts[ROUTER_MAX_PARAMS];
	size_t lens[ROUTER_MAX_PARAMS];
	int nparams;
	for (int i = 0; i < n; i++)
		if (match_pattern(routes[i].pattern, path, starts, lens, &nparams) &&
		    (!strcmp(routes[i].method, method) ||
		     (!strcmp(method, "HEAD") && !strcmp(routes[i].method, "GET"))))
			return i;
	return -1;
}
