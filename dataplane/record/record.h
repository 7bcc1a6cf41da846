/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call recording: worker taps and the recorder thread (docs/recording.md).
 *
 * A worker that owns a recorded session copies each received RTP payload
 * (td_rec_tap, from the relay path) into a buffer from a pool made at start
 * and puts it on its ring to the recorder thread; it never waits: with no
 * buffer free the payload is not recorded, counted under the drop reason
 * record_no_buffer and as a gap of the recording. The recorder thread (not a
 * worker: recorder.c) decodes, places the audio by arrival time in 20 ms
 * slots, writes WAV files through io_uring (wav.c) and sends results back on
 * a second ring to the owning worker, which alone writes its event ring.
 *
 * Threads: td_rec_init/fini and td_recorder_start/stop on the main lcore;
 * the ctl handlers, td_rec_tap, td_rec_poll and td_rec_session_end on the
 * owning worker (no allocation, lock, syscall or log); the rest on the
 * recorder thread.
 */
#ifndef TD_RECORD_H
#define TD_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "api/td_dp_msg.h"

#define TD_REC_SLOTS_DEFAULT   32   /* live recordings per worker (--recordings) */
#define TD_REC_BUFFERS_DEFAULT 8192 /* tap buffers, all workers (--record-buffers) */
#define TD_REC_PAYLOAD_MAX     640  /* RTP payload bytes a tap keeps (longer: a gap) */
#define TD_REC_RATE	       8000 /* recordings are 8 kHz, 16-bit */

enum td_rec_kind {
	TD_REC_MSG_TAP = 1,   /* one received payload */
	TD_REC_MSG_START = 2, /* open the files */
	TD_REC_MSG_STOP = 3,  /* write out and close */
};

/* What a worker hands the recorder: one pool buffer. */
struct td_rec_msg {
	uint8_t kind;
	uint8_t side; /* 0 customer (left), 1 agent (right) */
	uint8_t pt;
	uint8_t codec_pt; /* the session's codec PT (0: its static one) */
	uint16_t slot;	  /* the worker's recording slot */
	uint16_t len;
	uint32_t rec_id;
	uint32_t rtp_ts;
	uint64_t tsc;  /* arrival */
	char codec[8]; /* the session's codec name, "" for a plain relay */
	union {
		uint8_t payload[TD_REC_PAYLOAD_MAX];
		struct {
			uint8_t mode;
			char name[TD_DP_REC_NAME_MAX];
		} start;
	};
};

enum td_rec_res_kind {
	TD_REC_RES_PROGRESS = 1, /* bytes and duration so far */
	TD_REC_RES_DONE = 2,	 /* one file closed */
};

/* What the recorder hands back to the worker (an rte_ring element). */
struct td_rec_result {
	uint8_t kind;
	uint8_t file;
	uint8_t complete;
	uint8_t reserved;
	uint16_t slot;
	uint16_t reserved2;
	uint32_t rec_id;
	int32_t error;
	uint32_t duration_ms;
	uint32_t late; /* payloads that came too late or too early for their slot */
	uint64_t bytes;
	uint8_t sha256[32];
};
_Static_assert(sizeof(struct td_rec_result) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

struct td_worker;
struct td_rtp_session;
struct rte_mbuf;
struct rtp_info;

/* Main lcore: rings, slots and the buffer pool for every worker; the
 * recorder thread's state. dir: --record-dir (NULL: recording refused). */
int td_rec_init(struct td_worker *workers, uint16_t n_workers, const char *dir, uint32_t slots, uint32_t buffers);
void td_rec_fini(struct td_worker *workers, uint16_t n_workers);
int td_recorder_start(void);
/* Closes every open file as it stands (a stopping dataplane). */
void td_recorder_stop(void);

/* Worker: one received RTP packet of a recorded session. */
void td_rec_tap_slow(struct td_worker *w, struct td_rtp_session *s, const uint8_t *rtp, const struct rtp_info *ri,
		     uint64_t tsc);
/* Worker: results from the recorder into events; returns how many. */
unsigned int td_rec_poll(struct td_worker *w);
/* Worker: a session goes: its side of any recording goes silent. */
void td_rec_session_end(struct td_worker *w, struct td_rtp_session *s);

#endif
