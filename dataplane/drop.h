/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Named drop reasons. A file that can drop a packet registers its reasons with
 * TD_DROP_REGISTER(name) at file scope; ids are given out by constructors
 * before main(), so no central list exists. The names are copied into the
 * shared segment at start so that control and the CLI print them. Counting a
 * drop (td_drop()) is a store to the worker's own stats block: worker-safe.
 */
#ifndef TD_DROP_H
#define TD_DROP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "api/td_dp_shm.h"

uint16_t td_drop_register(const char *name);
uint16_t td_drop_count(void);
const char *td_drop_name(uint16_t id);

#define TD_DROP_REGISTER(reason)                                             \
	uint16_t td_drop_##reason;                                           \
	static void __attribute__((constructor)) td_drop_init_##reason(void) \
	{                                                                    \
		td_drop_##reason = td_drop_register(#reason);                \
	}

#define TD_DROP_DECLARE(reason) extern uint16_t td_drop_##reason

static inline void
td_drop(struct td_dp_worker_stats *st, struct rte_mbuf *m, uint16_t reason)
{
	st->drops[reason]++;
	rte_pktmbuf_free(m);
}

#endif
