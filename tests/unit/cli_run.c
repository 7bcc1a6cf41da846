/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands through the management dispatcher in unit tests: see cli_run.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli_run.h"
#include "mgmt/mgmt.h"

static void
sink_cb(void *ctx, const char *line, size_t len)
{
	struct cli_sink *s = ctx;
	json_error_t e;
	json_decref(s->last);
	s->last = json_loadb(line, len, 0, &e);
	assert_non_null(s->last);
}

int
cli_run(struct cli_sink *s, const char *argv_json)
{
	char line[2048];
	snprintf(line, sizeof(line), "{\"id\": 1, \"argv\": %s, \"json\": true}", argv_json);
	json_decref(s->last);
	s->last = NULL;
	assert_int_equal(td_mgmt_handle_line(line, strlen(line), sink_cb, s), 0);
	assert_non_null(s->last);
	return (int)json_integer_value(json_object_get(s->last, "status"));
}

const char *
cli_text(const struct cli_sink *s)
{
	return json_string_value(json_object_get(s->last, "text"));
}

json_t *
cli_data(const struct cli_sink *s)
{
	return json_object_get(s->last, "data");
}

void
cli_refused(struct cli_sink *s, const char *argv_json, int status, const char *reason)
{
	int got = cli_run(s, argv_json);
	if (got != status || strstr(cli_text(s), reason) == NULL)
		fail_msg("%s: status %d '%s', expected %d saying '%s'", argv_json, got, cli_text(s), status, reason);
}

void
cli_sink_free(struct cli_sink *s)
{
	json_decref(s->last);
	s->last = NULL;
}
