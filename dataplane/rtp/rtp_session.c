/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session tables (made on the main lcore) and the session commands from
 * control (run on the owning worker through dataplane/ctl): create, update,
 * destroy, bridge, unbridge, dump. Every command is acked with 0 or -errno:
 * -ENOSPC over the worker's session budget, -ENOENT for an unknown or stale
 * id, -EXDEV for a session another worker owns, -EBUSY for a session already
 * bridged elsewhere, -EINVAL for bad parameters. A bridge, or an update of a
 * bridged session, that makes the pair a transcoding one (media/media.h)
 * takes a transcoder from the worker's budget, or is refused with -ENOSPC
 * and changes nothing. Also the media timeout scan.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "conf/conf.h"
#include "conf/monitor.h"
#include "ctl/ctl.h"
#include "media/dtmf.h"
#include "media/media.h"
#include "media/xcode.h"
#include "record/record.h"
#include "rtp_session.h"
#include "worker/worker.h"

struct td_rtp_ranges td_rtp_ranges;

uint32_t
td_rtp_slots(uint16_t n_workers, uint16_t lo, uint16_t hi, uint32_t max_sessions)
{
	if (n_workers == 0 || hi <= lo)
		return 0;
	uint32_t span = ((uint32_t)(hi - lo + 1) / n_workers) & ~1u;
	uint32_t slots = span / 2;
	return max_sessions && max_sessions < slots ? max_sessions : slots;
}

int
td_rtp_init(struct td_worker *workers, uint16_t n_workers, uint16_t lo, uint16_t hi, uint32_t max_sessions,
	    struct td_dp_shm *shm)
{
	uint32_t span = ((uint32_t)(hi - lo + 1) / n_workers) & ~1u;
	uint32_t slots = td_rtp_slots(n_workers, lo, hi, max_sessions);

	if ((lo & 1) || span < 2 || slots == 0)
		return -EINVAL;
	td_rtp_ranges = (struct td_rtp_ranges){.lo = lo, .span = (uint16_t)span, .n_workers = n_workers};
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_rtp_table *t = rte_zmalloc("td_rtp_table", sizeof(*t), RTE_CACHE_LINE_SIZE);
		if (t == NULL)
			return -ENOMEM;
		workers[i].rtp = t;
		t->s = rte_zmalloc("td_rtp_sessions", slots * sizeof(*t->s), RTE_CACHE_LINE_SIZE);
		t->free_q = rte_zmalloc("td_rtp_free", slots * sizeof(*t->free_q), RTE_CACHE_LINE_SIZE);
		if (t->s == NULL || t->free_q == NULL)
			return -ENOMEM;
		t->port_lo = (uint16_t)(lo + i * span);
		t->port_hi = (uint16_t)(t->port_lo + span - 1);
		t->n = slots;
		t->tsc_hz = rte_get_tsc_hz();
		for (uint32_t k = 0; k < slots; k++) {
			t->s[k].port = (uint16_t)(t->port_lo + 2 * k);
			t->s[k].peer = TD_RTP_NO_PEER;
			t->s[k].st = td_dp_shm_session_stats(shm, i, k);
			t->free_q[k] = k;
		}
		t->fq_len = slots;
		shm->hdr->workers[i].rtp_port_lo = t->port_lo;
		shm->hdr->workers[i].rtp_port_hi = t->port_hi;
	}
	return 0;
}

void
td_rtp_fini(struct td_worker *workers, uint16_t n_workers)
{
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_rtp_table *t = workers[i].rtp;
		if (t == NULL)
			continue;
		rte_free(t->s);
		rte_free(t->free_q);
		rte_free(t);
		workers[i].rtp = NULL;
	}
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	/* vDSO: no system call on the worker. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The session's configuration and latch as control and the CLI see them. */
static void
sess_publish(const struct td_rtp_session *s)
{
	struct td_dp_session_stats *st = s->st;
	td_dp_seq_begin(&st->seq);
	st->session = s->id;
	st->call_tag = s->p.call_tag;
	st->remote_ip = s->p.remote_ip;
	st->remote_port = s->p.remote_port;
	st->flags = (uint8_t)s->p.flags;
	st->ptime_ms = s->p.ptime_ms;
	st->clock_rate = s->p.clock_rate;
	st->latched = s->latch;
	st->latched_ip = s->src_ip;
	st->latched_port = s->src_port;
	st->tx_ssrc = s->tx.out_ssrc;
	memcpy(st->codec, s->p.codec, sizeof(st->codec));
	st->codec_pt = s->p.codec_pt;
	st->transcoding = s->xc != NULL;
	td_dp_seq_end(&st->seq);
}

static int
params_check(struct td_dp_cmd_session *p)
{
	if (p->n_pts > sizeof(p->pts) || p->tel_event_pt > 127 || p->ptime_ms > 1000)
		return -EINVAL;
	/* Before the defaults below: a codec sets its own clock. */
	if (td_xcode_params_check(p) < 0)
		return -EINVAL;
	for (uint8_t i = 0; i < p->n_pts; i++)
		if (p->pts[i] > 127)
			return -EINVAL;
	if (p->clock_rate == 0)
		p->clock_rate = 8000;
	if (p->clock_rate > 192000)
		return -EINVAL;
	if (p->ptime_ms == 0)
		p->ptime_ms = 20;
	if (p->learn_pkts == 0)
		p->learn_pkts = TD_RTP_LEARN_DEFAULT;
	return 0;
}

static void
latch_reset(struct td_rtp_session *s)
{
	s->latch = TD_RTP_LEARNING;
	s->learn_left = s->p.learn_pkts;
	s->src_ip = 0;
	s->src_port = 0;
	s->rtcp_latched = false;
}

/* The session an id names on this worker, or an error. */
static struct td_rtp_session *
sess_find(struct td_worker *w, uint32_t id, int *err)
{
	uint16_t port = TD_DP_SESSION_PORT(id);
	struct td_rtp_table *t = w->rtp;

	if (port < t->port_lo || port > t->port_hi || (port & 1)) {
		*err = td_rtp_owner(port) >= 0 ? -EXDEV : -ENOENT;
		return NULL;
	}
	struct td_rtp_session *s = td_rtp_lookup(t, port);
	if (s == NULL || s->id != id) {
		*err = -ENOENT;
		return NULL;
	}
	return s;
}

struct td_rtp_session *
td_rtp_find(struct td_worker *w, uint32_t id, int *err)
{
	return sess_find(w, id, err);
}

static int
ctl_session_create(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_rtp_table *t = w->rtp;
	struct td_dp_cmd_session p = cmd->sess;
	int ret;

	if ((ret = params_check(&p)) < 0)
		return ret;
	if (t->fq_len == 0) {
		w->st->sessions_refused++;
		return -ENOSPC;
	}
	uint32_t slot = t->free_q[t->fq_head];
	t->fq_head = (t->fq_head + 1) % t->n;
	t->fq_len--;
	t->used++;

	struct td_rtp_session *s = &t->s[slot];
	uint16_t reuse = (uint16_t)(s->reuse + 1);
	struct td_dp_session_stats *st = s->st;
	uint16_t port = s->port;
	*s = (struct td_rtp_session){
		.id = ((uint32_t)reuse << 16) | port,
		.port = port,
		.reuse = reuse,
		.peer = TD_RTP_NO_PEER,
		.p = p,
		.created_tsc = rte_rdtsc(),
		.st = st,
	};
	s->p.session = s->id;
	latch_reset(s);
	s->tx.out_ssrc = p.ssrc;

	td_dp_seq_begin(&st->seq);
	memset((uint8_t *)st + sizeof(st->seq), 0, sizeof(*st) - sizeof(st->seq));
	st->created_ns = realtime_ns();
	td_dp_seq_end(&st->seq);
	sess_publish(s);
	w->st->sessions = t->used;
	ack->ack.session = s->id;
	return 0;
}

static int
ctl_session_update(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_dp_cmd_session p = cmd->sess;
	int ret;
	struct td_rtp_session *s = sess_find(w, p.session, &ret);

	if (s == NULL)
		return ret;
	if ((ret = params_check(&p)) < 0)
		return ret;
	/* A new remote (re-INVITE, transfer) learns afresh; the stream sent
	 * toward it stays continuous through td_rtp_tx. */
	bool moved = p.remote_ip != s->p.remote_ip || p.remote_port != s->p.remote_port ||
		     (p.flags & TD_DP_SESS_F_STRICT_SOURCE) != (s->p.flags & TD_DP_SESS_F_STRICT_SOURCE);
	struct td_dp_cmd_session old = s->p;
	s->p = p;
	/* A monitored session keeps a codec its monitor can mix. */
	if (s->mon && (ret = td_monitor_session_check(w, s)) < 0) {
		s->p = old;
		return ret;
	}
	/* A codec or ptime change of a bridged pair may start, change or end
	 * its transcoding; refused, the session keeps what it had. */
	if (s->peer != TD_RTP_NO_PEER && (ret = td_xcode_update(w, s, &w->rtp->s[s->peer])) < 0) {
		s->p = old;
		return ret;
	}
	/* A participant's codec must stay one its conference can mix. */
	if (s->conf && (ret = td_conf_session_check(s)) < 0) {
		s->p = old;
		return ret;
	}
	if (moved)
		latch_reset(s);
	if (p.ssrc)
		s->tx.out_ssrc = p.ssrc;
	sess_publish(s);
	ack->ack.session = s->id;
	return 0;
}

static void
sess_unbridge(struct td_worker *w, struct td_rtp_session *s)
{
	if (s->peer == TD_RTP_NO_PEER)
		return;
	td_monitor_session_end(w, s, TD_DP_MON_UNBRIDGED);
	td_xcode_detach(w, s);
	struct td_rtp_session *b = &w->rtp->s[s->peer];
	b->peer = TD_RTP_NO_PEER;
	s->peer = TD_RTP_NO_PEER;
	td_dp_seq_begin(&b->st->seq);
	b->st->peer = 0;
	td_dp_seq_end(&b->st->seq);
	td_dp_seq_begin(&s->st->seq);
	s->st->peer = 0;
	td_dp_seq_end(&s->st->seq);
}

static int
ctl_session_destroy(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_rtp_table *t = w->rtp;
	int ret;
	struct td_rtp_session *s = sess_find(w, cmd->ref.session, &ret);

	(void)ack;
	if (s == NULL)
		return ret;
	td_monitor_session_end(w, s, TD_DP_MON_SESSION_GONE);
	sess_unbridge(w, s);
	td_conf_session_end(w, s);
	td_dtmf_session_end(w, s);
	td_rec_session_end(w, s);
	td_prompt_session_end(w, s);
	s->id = 0;
	td_dp_seq_begin(&s->st->seq);
	s->st->session = 0;
	td_dp_seq_end(&s->st->seq);
	uint32_t slot = (uint32_t)(s->port - t->port_lo) >> 1;
	t->free_q[(t->fq_head + t->fq_len) % t->n] = slot;
	t->fq_len++;
	t->used--;
	w->st->sessions = t->used;
	return 0;
}

static int
ctl_session_bridge(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	int ret;
	struct td_rtp_session *a = sess_find(w, cmd->ref.session, &ret), *b;

	(void)ack;
	if (a == NULL)
		return ret;
	if ((b = sess_find(w, cmd->ref.peer, &ret)) == NULL)
		return ret;
	if (a == b)
		return -EINVAL;
	uint32_t sa = (uint32_t)(a->port - w->rtp->port_lo) >> 1, sb = (uint32_t)(b->port - w->rtp->port_lo) >> 1;
	if (a->peer == sb && b->peer == sa)
		return 0;
	if (a->peer != TD_RTP_NO_PEER || b->peer != TD_RTP_NO_PEER || a->conf || b->conf || a->mon || b->mon)
		return -EBUSY;
	/* Admission first: a pair that needs a transcoder and finds none
	 * stays unbridged. */
	int xret = td_xcode_attach(w, a, b);
	if (xret < 0)
		return xret;
	a->peer = sb;
	b->peer = sa;
	td_dp_seq_begin(&a->st->seq);
	a->st->peer = b->id;
	td_dp_seq_end(&a->st->seq);
	td_dp_seq_begin(&b->st->seq);
	b->st->peer = a->id;
	td_dp_seq_end(&b->st->seq);
	return 0;
}

static int
ctl_session_unbridge(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	int ret;
	struct td_rtp_session *s = sess_find(w, cmd->ref.session, &ret);

	(void)ack;
	if (s == NULL)
		return ret;
	if (s->peer == TD_RTP_NO_PEER)
		return -ENOTCONN;
	sess_unbridge(w, s);
	return 0;
}

static int
ctl_session_dump(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_rtp_table *t = w->rtp;
	uint32_t sent = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct td_rtp_session *s = &t->s[i];
		struct td_dp_msg m;
		if (s->id == 0)
			continue;
		td_dp_msg_init(&m, TD_DP_EVT_SESSION_DUMP, cmd->hdr.req_id);
		m.hdr.worker = w->index;
		m.dump = (struct td_dp_evt_dump){
			.session = s->id,
			.call_tag = s->p.call_tag,
			.peer = s->peer == TD_RTP_NO_PEER ? 0 : t->s[s->peer].id,
			.remote_ip = s->p.remote_ip,
			.remote_port = s->p.remote_port,
			.flags = s->p.flags,
			.latched_ip = s->src_ip,
			.latched_port = s->src_port,
			.latched = s->latch,
			.n_pts = s->p.n_pts,
			.ssrc = s->p.ssrc,
			.clock_rate = s->p.clock_rate,
			.ptime_ms = s->p.ptime_ms,
			.media_timeout_s = s->p.media_timeout_s,
			.tel_event_pt = s->p.tel_event_pt,
			.codec_pt = s->p.codec_pt,
			.transcoding = s->xc != NULL,
		};
		memcpy(m.dump.pts, s->p.pts, sizeof(m.dump.pts));
		memcpy(m.dump.codec, s->p.codec, sizeof(m.dump.codec));
		/* The ring may fill on a large dump: report how far it got. */
		if (td_worker_event(w, &m) < 0) {
			ack->ack.count = sent;
			return -ENOBUFS;
		}
		sent++;
	}
	ack->ack.count = sent;
	return 0;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_SESSION_CREATE, ctl_session_create)
TD_CTL_CMD_REGISTER(TD_DP_CMD_SESSION_UPDATE, ctl_session_update)
TD_CTL_CMD_REGISTER(TD_DP_CMD_SESSION_DESTROY, ctl_session_destroy)
TD_CTL_CMD_REGISTER(TD_DP_CMD_SESSION_BRIDGE, ctl_session_bridge)
TD_CTL_CMD_REGISTER(TD_DP_CMD_SESSION_UNBRIDGE, ctl_session_unbridge)
TD_CTL_CMD_REGISTER(TD_DP_CMD_SESSION_DUMP, ctl_session_dump)

void
td_rtp_event(struct td_worker *w, uint16_t type, const struct td_rtp_session *s, uint32_t old_ip, uint16_t old_port,
	     uint32_t idle_ms)
{
	struct td_dp_msg m;
	td_dp_msg_init(&m, type, 0);
	m.hdr.worker = w->index;
	m.sevt = (struct td_dp_evt_session){
		.session = s->id,
		.call_tag = s->p.call_tag,
		.addr = s->src_ip,
		.port = s->src_port,
		.old_addr = old_ip,
		.old_port = old_port,
		.idle_ms = idle_ms,
	};
	td_worker_event(w, &m);
}

void
td_rtp_timeout_scan(struct td_worker *w, unsigned int n)
{
	struct td_rtp_table *t = w->rtp;
	uint64_t now = rte_rdtsc();

	if (t == NULL || t->used == 0)
		return;
	for (unsigned int i = 0; i < n; i++) {
		struct td_rtp_session *s = &t->s[t->scan];
		t->scan = t->scan + 1 == t->n ? 0 : t->scan + 1;
		if (s->id == 0 || s->p.media_timeout_s == 0 || s->timed_out)
			continue;
		uint64_t ref = s->last_rx_tsc ? s->last_rx_tsc : s->created_tsc;
		if (now - ref < (uint64_t)s->p.media_timeout_s * t->tsc_hz)
			continue;
		s->timed_out = true;
		td_dp_seq_begin(&s->st->seq);
		s->st->timed_out = 1;
		td_dp_seq_end(&s->st->seq);
		td_rtp_event(w, TD_DP_EVT_MEDIA_TIMEOUT, s, 0, 0, (uint32_t)((now - ref) * 1000 / t->tsc_hz));
	}
}
