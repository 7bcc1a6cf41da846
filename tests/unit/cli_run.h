/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands through the management dispatcher in unit tests: run a command
 * line given as a JSON array of words and look at its one reply.
 */
#ifndef TD_TEST_CLI_RUN_H
#define TD_TEST_CLI_RUN_H

#include <jansson.h>

struct cli_sink {
	json_t *last; /* the last reply */
};

/* Run argv_json (e.g. ["show","queues"]) with --json; the reply's status. */
int cli_run(struct cli_sink *s, const char *argv_json);
const char *cli_text(const struct cli_sink *s);
json_t *cli_data(const struct cli_sink *s);
/* Fails the test unless the command answers status with a text holding reason. */
void cli_refused(struct cli_sink *s, const char *argv_json, int status, const char *reason);
void cli_sink_free(struct cli_sink *s);

#endif
