/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics from the records (cc_store.h) over a time range [from, to) in
 * ms. Per queue, from the CDRs of callers that arrived in the range:
 * offered, the dispositions, ASA (mean wait of answered callers), AHT (mean
 * talk plus wrap-up), service level (answered within the queue's N s over
 * offered minus those abandoned within N s), abandon rate. Per agent and
 * per queue, from the events in the range: offers, answers, unanswered
 * offers, talk time, staffed time (logged in, not paused) and busy time
 * (on a call or in wrap-up); occupancy = busy / staffed.
 */
#ifndef TD_CC_REPORT_H
#define TD_CC_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "acd.h"

struct cc_queue_kpi {
	char queue[CC_NAME_MAX];
	uint64_t offered, disp[CC_DISPOSITION_COUNT];
	uint64_t answered_in_sl, abandoned_in_sl;
	uint64_t wait_ms, handle_ms; /* sums over answered callers */
	uint64_t staffed_ms, busy_ms;
	double asa_s, aht_s, sl_pct, abandon_pct, occupancy_pct;
};

struct cc_agent_stat {
	char agent[CC_NAME_MAX];
	uint64_t offered, answered, unanswered, talk_ms;
	uint64_t staffed_ms, busy_ms;
	double occupancy_pct;
};

/* Arrays in name order, freed by the caller: the count, or -errno. */
int cc_report_queues(uint64_t from, uint64_t to, struct cc_queue_kpi **out);
int cc_report_agents(uint64_t from, uint64_t to, struct cc_agent_stat **out);

#endif
