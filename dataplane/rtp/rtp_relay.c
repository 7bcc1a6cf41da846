/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay path, on the worker that owns the destination port: UDP checks,
 * hand-off to the owner when another worker's queue got the packet, RTP
 * (RFC 3550 §5.1) and RTCP (§6.4, A.2) checks, symmetric-RTP latching with a
 * bounded learning window then strict source (a third party spraying the port
 * neither receives media nor moves the latch: no RTP Bleed), receive
 * statistics, and the rewrite toward the bridged session's peer: addresses,
 * ports, and SSRC/sequence/timestamp kept continuous across source changes.
 * A session of a transcoding pair hands its RTP to the transcoder instead
 * (media/xcode_rtp.c), whose packets come back through td_rtp_send.
 * Every packet is sent or dropped under a named reason. No allocation, lock,
 * syscall or log.
 */
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "drop.h"
#include "media/dtmf.h"
#include "media/media.h"
#include "net/neigh.h"
#include "record/record.h"
#include "rtcp.h"
#include "rtp_hdr.h"
#include "rtp_session.h"
#include "conf/conf.h"
#include "conf/monitor.h"
#include "worker/worker.h"

TD_DROP_REGISTER(udp_short)
TD_DROP_REGISTER(udp_bad_length)
TD_DROP_DECLARE(udp_no_session);
TD_DROP_REGISTER(handoff_full)
TD_DROP_REGISTER(rtp_no_session)
TD_DROP_REGISTER(rtp_short)
TD_DROP_REGISTER(rtp_bad_version)
TD_DROP_REGISTER(rtp_bad_csrc)
TD_DROP_REGISTER(rtp_bad_ext)
TD_DROP_REGISTER(rtp_bad_padding)
TD_DROP_REGISTER(rtp_bad_pt)
TD_DROP_REGISTER(rtp_source_not_allowed)
TD_DROP_REGISTER(rtp_unbridged)
TD_DROP_REGISTER(rtp_no_destination)
TD_DROP_REGISTER(rtcp_short)
TD_DROP_REGISTER(rtcp_bad_version)
TD_DROP_REGISTER(rtcp_bad_type)
TD_DROP_REGISTER(rtcp_bad_length)
TD_DROP_REGISTER(rtcp_source_not_allowed)
TD_DROP_REGISTER(tx_no_neighbor)
TD_DROP_DECLARE(play_peer_muted);

static inline void
sess_drop(struct td_worker *w, struct td_rtp_session *s, struct rte_mbuf *m, uint16_t reason)
{
	s->st->dropped++;
	td_drop(w->st, m, reason);
}

/* May this source send to the session? Only its signalled address when the
 * session is strict and that address is known. */
static inline bool
source_allowed(const struct td_rtp_session *s, uint32_t ip)
{
	return !(s->p.flags & TD_DP_SESS_F_STRICT_SOURCE) || s->p.remote_ip == 0 || s->p.remote_ip == ip;
}

/*
 * Symmetric RTP latching. Learning: the first packet from an allowed source
 * latches it. Open: for learn_pkts packets (counted whoever sends them, so a
 * sprayer cannot keep the window open) an allowed source may move the latch
 * (NAT rebinding, early media from another port). Locked: only the latched
 * source passes. Returns false when the packet must be dropped.
 */
static bool
latch_check(struct td_worker *w, struct td_rtp_session *s, uint16_t port, const struct rte_ether_hdr *eth, uint32_t ip,
	    uint16_t sport)
{
	bool same = s->latch != TD_RTP_LEARNING && s->src_ip == ip && s->src_port == sport;

	if (!same) {
		if (s->latch == TD_RTP_LOCKED || !source_allowed(s, ip))
			return false;
		uint32_t old_ip = s->src_ip;
		uint16_t old_port = s->src_port;
		bool first = s->latch == TD_RTP_LEARNING;
		s->latch = TD_RTP_OPEN;
		s->src_ip = ip;
		s->src_port = sport;
		s->src_mac = eth->src_addr;
		s->tx_port = port;
		s->rtcp_latched = false;
		s->st->latched = s->latch;
		s->st->latched_ip = ip;
		s->st->latched_port = sport;
		if (!first)
			s->st->source_changes++;
		td_rtp_event(w, first ? TD_DP_EVT_FIRST_PACKET : TD_DP_EVT_SOURCE_CHANGED, s, old_ip, old_port, 0);
	}
	if (s->latch == TD_RTP_OPEN && (s->learn_left == 0 || --s->learn_left == 0)) {
		s->latch = TD_RTP_LOCKED;
		s->st->latched = s->latch;
	}
	return true;
}

/* Where a packet for session s goes: out of its bridged session b's port,
 * to b's peer (its latched source, else its signalled remote) at the MAC
 * learnt from it or from ARP. */
struct route {
	struct td_rtp_session *b;
	uint32_t ip;
	uint16_t port;
	uint16_t out_port; /* td_ports index */
	struct rte_ether_addr mac;
};

static bool sess_route(struct td_worker *w, struct td_rtp_session *s, struct td_rtp_session *b, struct rte_mbuf *m,
		       uint16_t in_port, bool rtcp, struct route *r);

/* Fill r, or drop m under the reason that stops it and return false. */
static bool
peer_route(struct td_worker *w, struct td_rtp_session *s, struct rte_mbuf *m, uint16_t in_port, bool rtcp,
	   struct route *r)
{
	if (s->peer == TD_RTP_NO_PEER) {
		sess_drop(w, s, m, td_drop_rtp_unbridged);
		return false;
	}
	return sess_route(w, s, &w->rtp->s[s->peer], m, in_port, rtcp, r);
}

/* Fill r toward b's own remote (drops counted on s), or drop m and return false. */
static bool
sess_route(struct td_worker *w, struct td_rtp_session *s, struct td_rtp_session *b, struct rte_mbuf *m,
	   uint16_t in_port, bool rtcp, struct route *r)
{
	r->b = b;
	if (b->latch != TD_RTP_LEARNING) {
		r->ip = b->src_ip;
		r->port = rtcp ? (b->rtcp_latched ? b->rtcp_port : (uint16_t)(b->src_port + 1)) : b->src_port;
		r->mac = b->src_mac;
		r->out_port = b->tx_port;
		return true;
	}
	if (b->p.remote_ip == 0 || b->p.remote_port == 0) {
		sess_drop(w, s, m, td_drop_rtp_no_destination);
		return false;
	}
	r->ip = b->p.remote_ip;
	r->port = (uint16_t)(b->p.remote_port + (rtcp ? 1 : 0));
	r->out_port = in_port;
	if (!td_neigh_resolve(w, r->out_port, r->ip, &r->mac)) {
		sess_drop(w, s, m, td_drop_tx_no_neighbor);
		return false;
	}
	return true;
}

/* Rewrite the stream sent toward b's peer so that it stays one stream. */
static void
tx_rewrite(struct td_rtp_session *b, struct rtp_hdr *h, const struct rtp_info *ri, uint64_t now, uint64_t tsc_hz)
{
	struct td_rtp_tx *tx = &b->tx;

	if (!tx->init) {
		tx->init = true;
		tx->in_ssrc = ri->ssrc;
		if (tx->out_ssrc == 0)
			tx->out_ssrc = ri->ssrc;
		tx->seq_delta = 0;
		tx->ts_delta = 0;
		tx->last_seq = ri->seq;
		tx->last_ts = ri->ts;
		b->st->tx_ssrc = tx->out_ssrc;
	} else if (ri->ssrc != tx->in_ssrc) {
		/* A new source: continue from the last packet sent, one
		 * sequence number on and the timestamp advanced by the time
		 * that passed (at least one packet's worth), RFC 3550 §5.1:
		 * timestamps must advance with the sampling clock. */
		uint32_t rate = b->p.clock_rate;
		uint64_t elapsed = (now - tx->last_tsc) * rate / tsc_hz;
		uint32_t min_step = rate / 1000 * b->p.ptime_ms;
		if (elapsed < min_step)
			elapsed = min_step;
		tx->seq_delta = (uint16_t)(tx->last_seq + 1 - ri->seq);
		tx->ts_delta = tx->last_ts + (uint32_t)elapsed - ri->ts;
		tx->in_ssrc = ri->ssrc;
		b->st->ssrc_changes++;
	}
	uint16_t seq = (uint16_t)(ri->seq + tx->seq_delta);
	uint32_t ts = ri->ts + tx->ts_delta;
	h->seq = rte_cpu_to_be_16(seq);
	h->ts = rte_cpu_to_be_32(ts);
	h->ssrc = rte_cpu_to_be_32(tx->out_ssrc);
	/* Reordered packets keep their place; only newer ones move the end. */
	if ((int16_t)(seq - tx->last_seq) > 0) {
		tx->last_seq = seq;
		tx->last_ts = ts;
	}
	tx->last_tsc = now;
}

/* Address the datagram from b's local port to b's peer and queue it. */
static void
send_to_peer(struct td_worker *w, const struct route *r, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	     struct rte_udp_hdr *udp, uint16_t tot, bool rtcp)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct td_port *p = &td_ports[r->out_port];

	eth->dst_addr = r->mac;
	eth->src_addr = p->mac;
	ip->src_addr = p->ipv4;
	ip->dst_addr = r->ip;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(r->b->port + (rtcp ? 1 : 0)));
	udp->dst_port = rte_cpu_to_be_16(r->port);
	/* RFC 768: zero means no checksum over IPv4; the payload is relayed
	 * unchanged, and recomputing it per packet buys the peer nothing. */
	udp->dgram_cksum = 0;
	rte_pktmbuf_trim(m, m->data_len - (uint16_t)(sizeof(*eth) + tot));
	td_worker_tx(w, r->out_port, m);
}

static void
rtp_input(struct td_worker *w, struct td_rtp_session *s, uint16_t port, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	  struct rte_udp_hdr *udp, uint16_t tot)
{
	static const uint16_t *const reasons[] = {
		[RTP_SHORT] = &td_drop_rtp_short,
		[RTP_BAD_VERSION] = &td_drop_rtp_bad_version,
		[RTP_BAD_CSRC] = &td_drop_rtp_bad_csrc,
		[RTP_BAD_EXT] = &td_drop_rtp_bad_ext,
		[RTP_BAD_PADDING] = &td_drop_rtp_bad_padding,
	};
	uint8_t *payload = (uint8_t *)(udp + 1);
	uint16_t len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp);
	struct rtp_info ri;
	enum rtp_check rc = rtp_hdr_check(payload, len, &ri);

	if (unlikely(rc != RTP_OK)) {
		sess_drop(w, s, m, *reasons[rc]);
		return;
	}
	if (!latch_check(w, s, port, rte_pktmbuf_mtod(m, struct rte_ether_hdr *), ip->src_addr,
			 rte_be_to_cpu_16(udp->src_port))) {
		s->st->src_rejected++;
		sess_drop(w, s, m, td_drop_rtp_source_not_allowed);
		return;
	}
	if (s->p.n_pts && ri.pt != s->p.tel_event_pt) {
		uint8_t i;
		for (i = 0; i < s->p.n_pts && s->p.pts[i] != ri.pt; i++)
			;
		if (i == s->p.n_pts) {
			sess_drop(w, s, m, td_drop_rtp_bad_pt);
			return;
		}
	}

	uint64_t now = rte_rdtsc();
	uint64_t hz = w->rtp->tsc_hz;
	rtp_rx_stats_update(&s->rx, &ri, (uint32_t)(now / (hz / s->p.clock_rate)));
	s->last_rx_tsc = now;
	s->timed_out = false;
	s->st->timed_out = 0;
	s->st->last_rx_tsc = now;
	s->st->rtp_rx_pkts++;
	s->st->rtp_rx_bytes += len;
	s->st->rx_ssrc = ri.ssrc;
	s->st->rx_pt = ri.pt;
	s->st->expected = rtp_rx_stats_expected(&s->rx);
	s->st->lost = rtp_rx_stats_lost(&s->rx);
	s->st->jitter16 = s->rx.jitter16;
	s->st->misordered = s->rx.misordered;
	s->st->duplicates = s->rx.duplicates;

	bool telev = s->p.tel_event_pt && ri.pt == s->p.tel_event_pt;
	/* Recording taps what arrived, before relay or transcoding; key
	 * presses are not audio. */
	if (unlikely(s->rec_slot1) && !telev)
		td_rec_tap_slow(w, s, payload, &ri, now);
	if (telev) {
		/* RFC 4733: one event per key press; bad ones go no further,
		 * good ones are relayed, or re-made by a transcoding pair. */
		bool consumed;
		uint16_t reason;
		if (!td_dtmf_rx_telev(w, s, m, payload, &ri, &consumed, &reason)) {
			sess_drop(w, s, m, reason);
			return;
		}
		if (consumed)
			return;
	} else if (s->conf) {
		td_conf_rx(w, s, port, m, payload, &ri);
		return;
	} else if (s->xc) {
		td_xcode_rx(w, s, port, m, payload, &ri);
		return;
	} else if (unlikely(s->dtmf.flags)) {
		td_dtmf_relay_detect(w, s, payload, &ri);
	}
	/* A monitored call (conf/monitor.h): the supervisor's packets are
	 * taken, the call's relayed on, with the supervisor mixed in where it
	 * is heard. */
	if (unlikely(s->mon != NULL) && !telev && td_monitor_rx(w, s, port, m, payload, &ri))
		return;
	/* The peer hears a prompt instead (media/prompt.h): detection above
	 * still saw this packet, the peer does not. */
	if (unlikely(s->peer != TD_RTP_NO_PEER && w->rtp->s[s->peer].play.slot1)) {
		sess_drop(w, s, m, td_drop_play_peer_muted);
		return;
	}
	struct route r;
	if (!peer_route(w, s, m, port, false, &r))
		return;
	struct td_rtp_session *b = r.b;
	if (!telev && unlikely(b->dtmf.out.n || b->dtmf.out.state))
		td_dtmf_relay_tones(w, s, b, payload, &ri);
	td_dp_seq_begin(&b->st->seq);
	tx_rewrite(b, (struct rtp_hdr *)payload, &ri, now, hz);
	b->st->rtp_tx_pkts++;
	b->st->rtp_tx_bytes += len;
	td_dp_seq_end(&b->st->seq);
	send_to_peer(w, &r, m, ip, udp, tot, false);
}

static void
send_built(struct td_worker *w, const struct route *rp, struct rte_mbuf *m)
{
	struct route r = *rp;
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t tot = (uint16_t)(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth) + tot - len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	/* RFC 791: IHL 5, no options; never fragmented. */
	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16(tot),
		.next_proto_id = IPPROTO_UDP,
	};
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(tot - sizeof(*ip)));
	send_to_peer(w, &r, m, ip, udp, tot, false);
}

bool
td_rtp_send(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m)
{
	struct route r;

	if (!peer_route(w, s, m, in_port, false, &r))
		return false;
	send_built(w, &r, m);
	return true;
}

bool
td_rtp_send_own(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m)
{
	struct route r;

	if (!sess_route(w, s, s, m, in_port, false, &r))
		return false;
	send_built(w, &r, m);
	return true;
}

static void
rtcp_input(struct td_worker *w, struct td_rtp_session *s, uint16_t port, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	   struct rte_udp_hdr *udp, uint16_t tot)
{
	static const uint16_t *const reasons[] = {
		[RTCP_SHORT] = &td_drop_rtcp_short,
		[RTCP_BAD_VERSION] = &td_drop_rtcp_bad_version,
		[RTCP_BAD_TYPE] = &td_drop_rtcp_bad_type,
		[RTCP_BAD_LENGTH] = &td_drop_rtcp_bad_length,
	};
	uint8_t *payload = (uint8_t *)(udp + 1);
	uint16_t len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp);
	struct rtcp_info info;
	enum rtcp_check rc = rtcp_parse(payload, len, &info);

	if (unlikely(rc != RTCP_OK)) {
		sess_drop(w, s, m, *reasons[rc]);
		return;
	}
	/* RTCP comes from the latched RTP source's address (its port may
	 * differ, RFC 3605 aside) or, before latching, an allowed one. */
	uint32_t sip = ip->src_addr;
	uint16_t sport = rte_be_to_cpu_16(udp->src_port);
	if ((s->latch != TD_RTP_LEARNING && sip != s->src_ip) ||
	    (s->latch == TD_RTP_LEARNING && !source_allowed(s, sip))) {
		s->st->src_rejected++;
		sess_drop(w, s, m, td_drop_rtcp_source_not_allowed);
		return;
	}
	if (s->latch != TD_RTP_LEARNING) {
		s->rtcp_latched = true;
		s->rtcp_port = sport;
	}

	uint64_t now = rte_rdtsc();
	uint64_t hz = w->rtp->tsc_hz;
	s->st->rtcp_rx_pkts++;
	/* Reports on the stream we send toward this session's peer. RTT per
	 * RFC 3550 §6.4.1: A - LSR - DLSR, with A our time of forwarding the
	 * SR that LSR names (so the figure is this leg's round trip). */
	for (uint8_t i = 0; i < info.n_blocks; i++) {
		const struct rtcp_block *blk = &info.blocks[i];
		if (!s->tx.init || blk->ssrc != s->tx.out_ssrc)
			continue;
		s->st->peer_fraction_lost = blk->fraction_lost;
		s->st->peer_cum_lost = blk->cum_lost;
		s->st->peer_jitter = blk->jitter;
		if (blk->lsr != 0 && blk->lsr == s->sr_lsr) {
			uint64_t since_us = (now - s->sr_fwd_tsc) * 1000000 / hz;
			uint64_t dlsr_us = (uint64_t)blk->dlsr * 1000000 / 65536;
			s->st->rtt_us = since_us > dlsr_us ? (uint32_t)(since_us - dlsr_us) : 0;
		}
	}

	struct route r;
	if (!peer_route(w, s, m, port, true, &r))
		return;
	struct td_rtp_session *b = r.b;
	if (info.has_sr) {
		b->sr_lsr = info.sr_ntp_mid;
		b->sr_fwd_tsc = now;
	}
	/* The sender's SSRC follows the RTP rewrite toward b's peer. */
	if (b->tx.init && info.ssrc == b->tx.in_ssrc && b->tx.out_ssrc != b->tx.in_ssrc)
		*(rte_be32_t *)(payload + 4) = rte_cpu_to_be_32(b->tx.out_ssrc);
	td_dp_seq_begin(&b->st->seq);
	b->st->rtcp_tx_pkts++;
	td_dp_seq_end(&b->st->seq);
	send_to_peer(w, &r, m, ip, udp, tot, true);
}

void
td_rtp_udp_input(struct td_worker *w, uint16_t port, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint16_t ihl,
		 uint16_t tot)
{
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)((uint8_t *)ip + ihl);

	if (unlikely(tot - ihl < (int)sizeof(*udp))) {
		td_drop(w->st, m, td_drop_udp_short);
		return;
	}
	uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < sizeof(*udp) || ulen != tot - ihl)) {
		td_drop(w->st, m, td_drop_udp_bad_length);
		return;
	}
	uint16_t dport = rte_be_to_cpu_16(udp->dst_port);
	int owner = td_rtp_owner(dport);
	if (owner < 0) {
		td_drop(w->st, m, td_drop_udp_no_session);
		return;
	}
	if (owner != w->index) {
		/* RSS put it on our queue; its session lives elsewhere. */
		if (rte_ring_enqueue(w->handoff_to[owner], m) != 0) {
			td_drop(w->st, m, td_drop_handoff_full);
			return;
		}
		w->st->handoff_out++;
		return;
	}
	struct td_rtp_session *s = td_rtp_lookup(w->rtp, dport);
	if (s == NULL) {
		td_drop(w->st, m, td_drop_rtp_no_session);
		return;
	}
	td_dp_seq_begin(&s->st->seq);
	if (dport & 1)
		rtcp_input(w, s, port, m, ip, udp, tot);
	else
		rtp_input(w, s, port, m, ip, udp, tot);
	td_dp_seq_end(&s->st->seq);
}
