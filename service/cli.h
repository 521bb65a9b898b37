/* Command-line tools of examd besides serve and migrate. */
#ifndef EXAMD_CLI_H
#define EXAMD_CLI_H

#include <stdbool.h>

#include "core/config.h"

/* In main.c: environment + flags from argv[start..], with the usual checks. */
bool load_config(struct config *cfg, int argc, char **argv, int start);

int cli_user_add(int argc, char **argv);
int cli_bank_import(int argc, char **argv);
int cli_blueprint_put(int argc, char **argv);
/* examd bank lint FILE [--blueprints FILE] [--json]: no database; 0, or 2 when FILE does not parse. */
int cli_bank_lint(int argc, char **argv);
/* examd demo simulate [--employees N] [--seed S]: closed attempts of simulated employees. */
int cli_demo_simulate(int argc, char **argv);

#endif
