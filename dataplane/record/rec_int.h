/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the worker side (rec_tap.c) and the recorder thread (recorder.c)
 * share: per worker, the ring of buffers toward the recorder (the worker
 * produces, the recorder consumes), the ring of results back (the reverse),
 * and the worker's recording slots, which only the worker touches.
 */
#ifndef TD_REC_INT_H
#define TD_REC_INT_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "record/record.h"

struct td_rec_slot {
	uint32_t rec_id; /* 0: free */
	uint32_t sess[2];
	uint8_t mode;
	uint8_t state;	    /* enum td_dp_rec_state */
	uint8_t files_left; /* DONE results still to come */
	uint32_t gaps;
	uint64_t bytes; /* from the recorder's progress */
	uint32_t duration_ms;
	struct td_rec_msg *stop; /* taken at start: a stop is never refused for want of a buffer */
};

struct td_rec_worker {
	struct rte_ring *to_rec;   /* struct td_rec_msg *: worker -> recorder */
	struct rte_ring *from_rec; /* struct td_rec_result: recorder -> worker */
	uint32_t n_slots;
	struct td_rec_slot *slot;
};

struct td_rec_global {
	int dirfd; /* --record-dir, -1: none */
	uint16_t n_workers;
	uint32_t n_slots;
	struct rte_mempool *pool;
	struct td_rec_worker *w[64];
};
extern struct td_rec_global td_rec;

#endif
