/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contact center in tongdai-control: cc_start() after the store and
 * the loop are up (configuration loaded, records attached, a CC_TICK_MS
 * timer running cc_tick() and the group commit every CC_FLUSH_MS);
 * cc_stop() writes the last records, before the store closes.
 */
#ifndef TD_CC_MAIN_H
#define TD_CC_MAIN_H

#include <stddef.h>

int cc_start(char *err, size_t errlen);
void cc_stop(void);

#endif
