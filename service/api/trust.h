/* The revocation listener of a process (issue #20): a LISTEN connection on channel examd_auth
 * (db/listen.c) whose notifications drop the save trusts they concern (api/shapes.c). While it is
 * not connected no save is trusted and every save is checked in full in the database. */
#ifndef EXAMD_API_TRUST_H
#define EXAMD_API_TRUST_H

#include "core/config.h"

struct evbuffer;

/* Starts the listener (once per process); false when its thread cannot start (saves are then
 * always checked in full). */
bool trust_start(const struct config *cfg);
void trust_stop(void);
void trust_metrics(struct evbuffer *out);

/* Parses a notification "<counter> <kind> [<key>]"; false when it is not one. */
bool trust_parse(const char *payload, long long *epoch, char *kind, const char **key);

#endif
