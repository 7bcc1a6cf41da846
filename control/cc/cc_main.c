/* SPDX-License-Identifier: BSD-3-Clause */
/* The contact center's start and stop on control's loop: see cc_main.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acd.h"
#include "cc_main.h"
#include "cc_store.h"
#include "log.h"
#include "ivr.h"
#include "loop.h"
#include "media/prompt.h"
#include "route.h"

static unsigned int ticks;

static void
on_tick(int fd, uint32_t events, void *arg)
{
	(void)fd, (void)events, (void)arg;
	cc_tick();
	ivr_tick();
	if (++ticks % (CC_FLUSH_MS / CC_TICK_MS) == 0) {
		int ret = cc_records_flush();
		if (ret < 0)
			LOG_WARN("contact-center records not written yet (%zu kept): %s", cc_records_pending(),
				 strerror(-ret));
	}
}

int
cc_start(char *err, size_t errlen)
{
	int ret;

	cc_init(NULL, (uint64_t)time(NULL));
	ret = cc_store_open(err, errlen);
	if (ret == 0)
		ret = cc_load(err, errlen);
	if (ret == 0 && (ret = ivr_init(NULL)) < 0)
		snprintf(err, errlen, "IVR: out of memory");
	ivr_set_prompt_check(prompt_exists);
	if (ret == 0)
		ret = cc_route_load(err, errlen);
	if (ret == 0)
		ret = ivr_load(err, errlen);
	if (ret == 0 && (ret = cc_records_attach()) < 0)
		snprintf(err, errlen, "contact center: cannot record events: %s", strerror(-ret));
	if (ret == 0 && (ret = td_loop_timer_add(CC_TICK_MS, on_tick, NULL)) < 0)
		snprintf(err, errlen, "contact center: cannot make its timer: %s", strerror(-ret));
	return ret < 0 ? ret : 0;
}

void
cc_stop(void)
{
	int ret = cc_records_flush();
	if (ret < 0)
		LOG_ERR("contact-center records lost at stop (%zu): %s", cc_records_pending(), strerror(-ret));
	ivr_fini();
	cc_route_reset();
	cc_fini();
}
