/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-memory segment between tongdai-dataplane and its readers.
 *
 * The dataplane creates one POSIX shared-memory object per instance (default
 * name TD_DP_SHM_DEFAULT) and removes it when it stops; it is the only writer
 * of the header. Inside the segment, per worker: one command ring (control is
 * the single producer, the worker the single consumer), one event ring (the
 * worker produces, control consumes), both made with rte_ring_init() so that
 * control never needs rte_eal_init(); and one stats block written only by its
 * worker under a sequence counter, read lock-free by anybody
 * (td_dp_stats_read()). Nothing in the segment is a pointer: every reference is
 * an offset from the segment's start, so each process may map it anywhere.
 *
 * Errors: constructors return NULL with errno set, others 0 or -errno; the
 * attach error text names what was found and what was expected.
 */
#ifndef TD_DP_SHM_H
#define TD_DP_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "td_dp_msg.h"

#define TD_DP_SHM_MAGIC		0x21696164676e6f74ULL /* "tongdai!" in memory order (little-endian) */
#define TD_DP_ABI_VERSION	1
#define TD_DP_SHM_DEFAULT	"/tongdai"

#define TD_DP_MAX_WORKERS	64
#define TD_DP_MAX_PORTS		8
#define TD_DP_DROP_MAX		64
#define TD_DP_NAME_LEN		32
#define TD_DP_RING_SIZE_DEFAULT 1024 /* power of two; usable slots: size - 1 */

enum td_dp_state {
	TD_DP_STATE_STARTING = 1, /* segment made, not yet serving */
	TD_DP_STATE_RUNNING = 2,  /* workers polling their rings */
	TD_DP_STATE_STOPPED = 3,  /* dataplane left (cleanly) */
};

/*
 * Per-worker counters. Written only by the owning worker between two
 * increments of seq (odd while writing); see td_dp_stats_read().
 */
struct td_dp_worker_stats {
	uint32_t seq;
	uint32_t lcore_id;
	uint64_t loops;
	uint64_t busy_tsc; /* TSC cycles of loops that found work (load) */
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t arp_replies;
	uint64_t arp_requests;	   /* sent to resolve a media peer */
	uint64_t neigh_learned;	   /* ARP answers to us, learnt */
	uint64_t neigh_share_lost; /* learn ring of another worker full */
	uint64_t handoff_in;	   /* packets handed over by other workers */
	uint64_t handoff_out;	   /* packets handed to their owner worker */
	uint64_t sessions;	   /* live media sessions */
	uint64_t sessions_refused; /* creates refused: over budget */
	uint64_t icmp_echo_replies;
	uint64_t cmds;
	uint64_t events;
	uint64_t event_ring_full; /* events lost: control not draining */
	uint64_t drops[TD_DP_DROP_MAX];
	/* Appended in the block's tail padding, so that the layout readers
	 * already know stays as it was. */
	uint32_t transcoders_max;     /* the worker's transcoding budget (--transcoders) */
	uint32_t transcoders_used;    /* bridged pairs transcoding now */
	uint64_t transcoders_refused; /* bridges and updates refused: budget reached */
	uint32_t dtmf_chans_max;      /* DTMF detectors / tone generators of the worker */
	uint32_t dtmf_chans_used;
	uint64_t dtmf_chans_refused; /* wanted one and found the pool empty */
} __attribute__((aligned(64)));

/* Per-port facts and NIC counters, written by the dataplane's main lcore. */
struct td_dp_port_info {
	uint32_t seq;
	uint16_t port_id;
	uint8_t link_up;
	uint8_t mac[6];
	uint32_t link_speed; /* Mbit/s */
	uint32_t ipv4;	     /* network order; the dataplane's own address */
	uint16_t rx_queues;
	uint16_t tx_queues;
	char name[64];
	char driver[32];
	uint64_t ipackets;
	uint64_t opackets;
	uint64_t ibytes;
	uint64_t obytes;
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t oerrors;
	uint64_t rx_nombuf;
} __attribute__((aligned(64)));

/*
 * Per-session counters and quality figures, one slot per session a worker can
 * hold (slot i is the worker's i-th even port). Written only by the owning
 * worker under seq; session == 0 marks a free slot.
 */
struct td_dp_session_stats {
	uint32_t seq;
	uint32_t session;
	uint32_t call_tag;
	uint32_t peer;
	uint32_t remote_ip;
	uint16_t remote_port;
	uint8_t latched; /* 0 learning, 1 latched (window open), 2 locked */
	uint8_t flags;
	uint32_t latched_ip;
	uint16_t latched_port;
	uint16_t ptime_ms;
	uint32_t clock_rate;
	uint32_t rx_ssrc;     /* SSRC of the stream received */
	uint32_t tx_ssrc;     /* SSRC sent toward this session's peer */
	uint64_t created_ns;  /* CLOCK_REALTIME */
	uint64_t last_rx_tsc; /* TSC at the last RTP in, 0 never; see tsc_hz */
	uint64_t rtp_rx_pkts;
	uint64_t rtp_rx_bytes;
	uint64_t rtp_tx_pkts;
	uint64_t rtp_tx_bytes;
	uint64_t rtcp_rx_pkts;
	uint64_t rtcp_tx_pkts;
	uint64_t dropped;      /* any reason, this session's ports */
	uint64_t src_rejected; /* of those: from a source not allowed */
	uint32_t expected;     /* RFC 3550 A.3, stream received */
	int32_t lost;
	uint32_t jitter16; /* A.8 interarrival jitter x 16, timestamp units */
	uint32_t misordered;
	uint32_t duplicates;
	uint32_t source_changes;
	uint32_t ssrc_changes;
	uint32_t rtt_us;      /* from RTCP reports of this session's peer; 0: unknown */
	uint32_t peer_jitter; /* the peer's report on what it receives (ts units) */
	int32_t peer_cum_lost;
	uint8_t peer_fraction_lost; /* /256 */
	uint8_t timed_out;
	uint8_t rx_pt; /* payload type of the last RTP in */
	uint8_t reserved;
	/* In the tail padding, as above. */
	char codec[8];	     /* the codec this leg speaks, "" if none */
	uint8_t codec_pt;    /* its payload type */
	uint8_t transcoding; /* 1: its media is decoded and re-encoded for the peer */
	uint8_t dtmf_detect; /* TD_DP_DTMF_DETECT_* set by control */
	uint32_t dtmf_rx;    /* key presses received (TD_DP_EVT_DTMF sent) */
	uint32_t dtmf_tx;    /* digits sent toward its remote */
} __attribute__((aligned(64)));

struct td_dp_worker_desc {
	uint64_t cmd_ring_off;
	uint64_t evt_ring_off;
	uint64_t stats_off;
	uint64_t sess_stats_off;
	uint32_t lcore_id;
	uint32_t n_sessions;  /* session slots: the worker's admission budget */
	uint16_t rtp_port_lo; /* first even port this worker owns */
	uint16_t rtp_port_hi; /* last port it owns (odd, RTCP) */
	uint32_t reserved;
};

/* What the dataplane asks of a new segment. */
struct td_dp_shm_conf {
	uint32_t n_workers;
	uint32_t ring_size;	      /* power of two */
	uint32_t sessions_per_worker; /* may be 0 */
};

struct td_dp_shm_hdr {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t hdr_size;
	uint64_t seg_size;
	uint64_t generation; /* differs on every dataplane start */
	int32_t pid;
	uint32_t state;	     /* enum td_dp_state, release/acquire */
	int32_t control_pid; /* the one attached control, 0 if none */
	uint32_t n_workers;
	uint32_t n_ports;
	uint32_t n_drops;
	uint32_t ring_size;
	uint32_t msg_size;
	uint64_t start_ns;	/* CLOCK_REALTIME at start */
	uint64_t heartbeat_ns;	/* CLOCK_MONOTONIC, main lcore, every ~100 ms */
	uint64_t heartbeat_tsc; /* the TSC at that moment: turns TSC stamps into ages */
	uint64_t tsc_hz;
	char drop_names[TD_DP_DROP_MAX][TD_DP_NAME_LEN];
	struct td_dp_port_info ports[TD_DP_MAX_PORTS];
	struct td_dp_worker_desc workers[TD_DP_MAX_WORKERS];
};

struct rte_ring;

struct td_dp_shm {
	struct td_dp_shm_hdr *hdr;
	size_t size;
	int fd;
	bool owner; /* created it: unlinks it on close */
	char name[64];
};

/*
 * Dataplane: make a fresh segment, replacing one left by a dataplane that
 * died; fails with EEXIST while a live dataplane owns the name.
 */
struct td_dp_shm *td_dp_shm_create(const char *name, const struct td_dp_shm_conf *conf);
/* Dataplane: the segment is complete; readers may use it. */
void td_dp_shm_publish(struct td_dp_shm *shm);

/*
 * Readers: map an existing segment and check it. Returns 0 or -errno and, on
 * failure, a one-line reason in err: -ENOENT no segment, -EPROTO wrong magic
 * or ABI version (naming both), -EAGAIN still starting or already stopped.
 */
int td_dp_shm_attach(const char *name, struct td_dp_shm **shmp, char *err, size_t errlen);

/* Unmap; the creator also marks the segment stopped and unlinks it. */
void td_dp_shm_close(struct td_dp_shm *shm);

/* Does pid name a live process (not gone, not a zombie)? */
bool td_dp_pid_alive(int32_t pid);
/* Is the process behind the segment still there and beating? */
bool td_dp_shm_alive(const struct td_dp_shm *shm, uint64_t max_silence_ns);
/* Does the name still lead to this very segment (not a newer one)? */
bool td_dp_shm_is_current(const struct td_dp_shm *shm);

struct rte_ring *td_dp_shm_cmd_ring(const struct td_dp_shm *shm, uint32_t worker);
struct rte_ring *td_dp_shm_evt_ring(const struct td_dp_shm *shm, uint32_t worker);
struct td_dp_worker_stats *td_dp_shm_stats(const struct td_dp_shm *shm, uint32_t worker);
/* Slot i of a worker's session stats (i < workers[worker].n_sessions). */
struct td_dp_session_stats *td_dp_shm_session_stats(const struct td_dp_shm *shm, uint32_t worker, uint32_t i);

/* Consistent snapshot of a worker's counters, without locks. */
void td_dp_stats_read(const struct td_dp_worker_stats *s, struct td_dp_worker_stats *out);
void td_dp_port_read(const struct td_dp_port_info *p, struct td_dp_port_info *out);
void td_dp_session_read(const struct td_dp_session_stats *s, struct td_dp_session_stats *out);

/* Writer side of the sequence counter (one writer per block). */
static inline void
td_dp_seq_begin(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
td_dp_seq_end(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

/* One record onto / off a ring; 0 or -ENOBUFS / -ENOENT. */
int td_dp_msg_send(struct rte_ring *r, const struct td_dp_msg *m);
int td_dp_msg_recv(struct rte_ring *r, struct td_dp_msg *m);

uint64_t td_dp_now_ns(void); /* CLOCK_MONOTONIC */

#endif
