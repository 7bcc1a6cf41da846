/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drop reason registry: filled by constructors before main(), read-only after.
 * Registering more than TD_DP_DROP_MAX reasons, or one name twice, is a
 * programming error caught before the dataplane starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"

static const char *names[TD_DP_DROP_MAX];
static uint16_t n_names;

uint16_t
td_drop_register(const char *name)
{
	for (uint16_t i = 0; i < n_names; i++) {
		if (strcmp(names[i], name) == 0) {
			fprintf(stderr, "tongdai-dataplane: drop reason '%s' registered twice\n", name);
			abort();
		}
	}
	if (n_names >= TD_DP_DROP_MAX || strlen(name) >= TD_DP_NAME_LEN) {
		fprintf(stderr, "tongdai-dataplane: cannot register drop reason '%s' (max %d, name < %d chars)\n", name,
			TD_DP_DROP_MAX, TD_DP_NAME_LEN);
		abort();
	}
	names[n_names] = name;
	return n_names++;
}

uint16_t
td_drop_count(void)
{
	return n_names;
}

const char *
td_drop_name(uint16_t id)
{
	return id < n_names ? names[id] : NULL;
}
