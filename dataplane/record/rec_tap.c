/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording, the worker's side: the RECORD_* commands, the tap on received
 * RTP, and the results from the recorder thread turned into events. Runs on
 * the worker that owns the recorded sessions: no allocation, lock, syscall
 * or log. Setup and teardown (td_rec_init/fini) on the main lcore.
 *
 * A tap never waits: a payload that finds no free buffer (or a payload too
 * long for one) is not recorded, counted under record_no_buffer (or
 * record_too_long) and as a gap of its recording; the packet itself goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ctl/ctl.h"
#include "drop.h"
#include "record/rec_int.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"

TD_DROP_REGISTER(record_no_buffer)
TD_DROP_REGISTER(record_too_long)

struct td_rec_global td_rec = {.dirfd = -1};

static struct td_rec_slot *
slot_find(struct td_worker *w, uint32_t rec_id)
{
	struct td_rec_worker *rw = w->rec;

	if (rw == NULL || rec_id == 0)
		return NULL;
	for (uint32_t i = 0; i < rw->n_slots; i++)
		if (rw->slot[i].rec_id == rec_id)
			return &rw->slot[i];
	return NULL;
}

/* Names stay inside the record directory: relative, no "..", a plain
 * character set, components not empty. */
static bool
name_ok(const char *name)
{
	size_t len = strnlen(name, TD_DP_REC_NAME_MAX);

	if (len == 0 || len == TD_DP_REC_NAME_MAX || name[0] == '/' || name[len - 1] == '/')
		return false;
	if (strstr(name, "..") != NULL || strstr(name, "//") != NULL)
		return false;
	/* Room for "-mono" before ".wav" in BOTH mode. */
	if (len + 5 >= TD_DP_REC_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-' || c == '/'))
			return false;
	}
	return true;
}

static struct td_rtp_session *
sess_get(struct td_worker *w, uint32_t id)
{
	struct td_rtp_session *s = td_rtp_lookup(w->rtp, TD_DP_SESSION_PORT(id));
	return s != NULL && s->id == id ? s : NULL;
}

static void
sess_detach(struct td_worker *w, struct td_rec_slot *sl)
{
	for (int i = 0; i < 2; i++) {
		struct td_rtp_session *s = sl->sess[i] ? sess_get(w, sl->sess[i]) : NULL;
		if (s != NULL && s->rec_slot1 == (uint16_t)(sl - w->rec->slot) + 1)
			s->rec_slot1 = 0;
		sl->sess[i] = 0;
	}
}

static int
ctl_record_start(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	const struct td_dp_cmd_rec_start *c = &cmd->rec_start;
	struct td_rec_worker *rw = w->rec;
	struct td_rtp_session *s[2] = {NULL, NULL};
	struct td_rec_slot *sl = NULL;
	struct td_rec_msg *m[2];

	(void)ack;
	if (rw == NULL || td_rec.dirfd < 0)
		return -ENOTSUP;
	if (c->rec_id == 0 || c->mode < TD_DP_REC_STEREO || c->mode > TD_DP_REC_BOTH || !name_ok(c->name))
		return -EINVAL;
	if ((c->customer == 0 && c->agent == 0) || c->customer == c->agent)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		uint32_t id = i ? c->agent : c->customer;
		if (id == 0)
			continue;
		if ((s[i] = sess_get(w, id)) == NULL)
			return -ENOENT;
		if (s[i]->rec_slot1)
			return -EBUSY;
	}
	if (slot_find(w, c->rec_id) != NULL)
		return -EBUSY;
	for (uint32_t i = 0; i < rw->n_slots && sl == NULL; i++)
		if (rw->slot[i].rec_id == 0)
			sl = &rw->slot[i];
	if (sl == NULL)
		return -ENOSPC;
	if (rte_mempool_get_bulk(td_rec.pool, (void **)m, 2) < 0)
		return -ENOSPC;

	uint16_t idx = (uint16_t)(sl - rw->slot);
	*sl = (struct td_rec_slot){
		.rec_id = c->rec_id,
		.sess = {c->customer, c->agent},
		.mode = c->mode,
		.state = TD_DP_REC_ACTIVE,
		.files_left = c->mode == TD_DP_REC_BOTH ? 2 : 1,
		.stop = m[1],
	};
	m[0]->kind = TD_REC_MSG_START;
	m[0]->slot = idx;
	m[0]->rec_id = c->rec_id;
	m[0]->tsc = rte_rdtsc();
	m[0]->start.mode = c->mode;
	memcpy(m[0]->start.name, c->name, TD_DP_REC_NAME_MAX);
	/* The ring holds every buffer of the pool: it cannot be full. */
	rte_ring_enqueue(rw->to_rec, m[0]);
	for (int i = 0; i < 2; i++)
		if (s[i] != NULL) {
			s[i]->rec_slot1 = idx + 1;
			s[i]->rec_side = (uint8_t)i;
		}
	return 0;
}

static int
ctl_record_pause(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_rec_slot *sl = slot_find(w, cmd->rec_ref.rec_id);

	(void)ack;
	if (sl == NULL)
		return -ENOENT;
	if (sl->state != TD_DP_REC_ACTIVE && sl->state != TD_DP_REC_PAUSED)
		return -EALREADY;
	/* Taps stop at once; the recorder fills the span with silence. */
	sl->state = cmd->rec_ref.pause ? TD_DP_REC_PAUSED : TD_DP_REC_ACTIVE;
	return 0;
}

static void
slot_stop(struct td_worker *w, struct td_rec_slot *sl)
{
	struct td_rec_msg *m = sl->stop;

	sess_detach(w, sl);
	sl->state = TD_DP_REC_STOPPING;
	if (m == NULL)
		return;
	sl->stop = NULL;
	m->kind = TD_REC_MSG_STOP;
	m->slot = (uint16_t)(sl - w->rec->slot);
	m->rec_id = sl->rec_id;
	m->tsc = rte_rdtsc();
	rte_ring_enqueue(w->rec->to_rec, m);
}

static int
ctl_record_stop(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_rec_slot *sl = slot_find(w, cmd->rec_ref.rec_id);

	(void)ack;
	if (sl == NULL)
		return -ENOENT;
	if (sl->state == TD_DP_REC_STOPPING)
		return -EALREADY;
	slot_stop(w, sl);
	return 0;
}

static void
slot_event(struct td_worker *w, const struct td_rec_slot *sl, struct td_dp_evt_rec *e)
{
	e->rec_id = sl->rec_id;
	e->files = sl->mode == TD_DP_REC_BOTH ? 2 : 1;
	e->gaps = sl->gaps;
	e->customer = sl->sess[0];
	e->agent = sl->sess[1];
	(void)w;
}

static int
ctl_record_status(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_rec_worker *rw = w->rec;
	uint32_t n = 0;

	if (rw == NULL)
		return 0;
	for (uint32_t i = 0; i < rw->n_slots; i++) {
		const struct td_rec_slot *sl = &rw->slot[i];
		struct td_dp_msg m;
		if (sl->rec_id == 0)
			continue;
		td_dp_msg_init(&m, TD_DP_EVT_RECORD, cmd->hdr.req_id);
		m.hdr.worker = w->index;
		slot_event(w, sl, &m.rec);
		m.rec.state = sl->state;
		m.rec.bytes = sl->bytes;
		m.rec.duration_ms = sl->duration_ms;
		if (td_worker_event(w, &m) < 0) {
			ack->ack.count = n;
			return -ENOBUFS;
		}
		n++;
	}
	ack->ack.count = n;
	return 0;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_RECORD_START, ctl_record_start)
TD_CTL_CMD_REGISTER(TD_DP_CMD_RECORD_PAUSE, ctl_record_pause)
TD_CTL_CMD_REGISTER(TD_DP_CMD_RECORD_STOP, ctl_record_stop)
TD_CTL_CMD_REGISTER(TD_DP_CMD_RECORD_STATUS, ctl_record_status)

void
td_rec_tap_slow(struct td_worker *w, struct td_rtp_session *s, const uint8_t *rtp, const struct rtp_info *ri,
		uint64_t tsc)
{
	struct td_rec_worker *rw = w->rec;
	struct td_rec_slot *sl = &rw->slot[s->rec_slot1 - 1];
	struct td_rec_msg *m;

	if (sl->state != TD_DP_REC_ACTIVE)
		return;
	if (unlikely(ri->payload_len > TD_REC_PAYLOAD_MAX)) {
		w->st->drops[td_drop_record_too_long]++;
		sl->gaps++;
		return;
	}
	if (unlikely(rte_mempool_get(td_rec.pool, (void **)&m) < 0)) {
		w->st->drops[td_drop_record_no_buffer]++;
		sl->gaps++;
		return;
	}
	m->kind = TD_REC_MSG_TAP;
	m->side = s->rec_side;
	m->pt = ri->pt;
	m->codec_pt = s->p.codec_pt;
	m->slot = (uint16_t)(s->rec_slot1 - 1);
	m->len = ri->payload_len;
	m->rec_id = sl->rec_id;
	m->rtp_ts = ri->ts;
	m->tsc = tsc;
	memcpy(m->codec, s->p.codec, sizeof(m->codec));
	memcpy(m->payload, rtp + ri->payload_off, ri->payload_len);
	rte_ring_enqueue(rw->to_rec, m);
}

unsigned int
td_rec_poll(struct td_worker *w)
{
	struct td_rec_worker *rw = w->rec;
	struct td_rec_result r;
	unsigned int n = 0;

	if (rw == NULL)
		return 0;
	/* A result leaves the ring only when its event has room: a done
	 * recording is never lost to a busy control. */
	while (n < 8 && rte_ring_free_count(w->evt) > 0 && rte_ring_dequeue_elem(rw->from_rec, &r, sizeof(r)) == 0) {
		struct td_rec_slot *sl = r.slot < rw->n_slots ? &rw->slot[r.slot] : NULL;
		n++;
		if (sl == NULL || sl->rec_id != r.rec_id)
			continue;
		sl->bytes = r.bytes;
		sl->duration_ms = r.duration_ms;
		if (r.kind != TD_REC_RES_DONE)
			continue;
		struct td_dp_msg m;
		td_dp_msg_init(&m, TD_DP_EVT_RECORD, 0);
		m.hdr.worker = w->index;
		slot_event(w, sl, &m.rec);
		m.rec.state = TD_DP_REC_DONE;
		m.rec.file = r.file;
		m.rec.complete = r.complete;
		m.rec.error = r.error;
		m.rec.bytes = r.bytes;
		m.rec.duration_ms = r.duration_ms;
		m.rec.gaps = sl->gaps + r.late;
		memcpy(m.rec.sha256, r.sha256, sizeof(m.rec.sha256));
		td_worker_event(w, &m);
		/* A file ended by an error ends the recording: stop tapping. */
		if (sl->state != TD_DP_REC_STOPPING)
			slot_stop(w, sl);
		if (sl->files_left > 0 && --sl->files_left == 0) {
			if (sl->stop != NULL)
				rte_mempool_put(td_rec.pool, sl->stop);
			*sl = (struct td_rec_slot){0};
		}
	}
	return n;
}

void
td_rec_session_end(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_rec_slot *sl;

	if (s->rec_slot1 == 0 || w->rec == NULL)
		return;
	sl = &w->rec->slot[s->rec_slot1 - 1];
	for (int i = 0; i < 2; i++)
		if (sl->sess[i] == s->id)
			sl->sess[i] = 0;
	s->rec_slot1 = 0;
	/* Both sides gone: nothing more to record. */
	if (sl->sess[0] == 0 && sl->sess[1] == 0 && sl->state != TD_DP_REC_STOPPING)
		slot_stop(w, sl);
}

static unsigned int
pow2_above(unsigned int n)
{
	unsigned int p = 2;
	while (p <= n)
		p <<= 1;
	return p;
}

int
td_rec_init(struct td_worker *workers, uint16_t n_workers, const char *dir, uint32_t slots, uint32_t buffers)
{
	char name[RTE_RING_NAMESIZE];

	td_rec.n_workers = n_workers;
	td_rec.n_slots = slots;
	if (dir == NULL)
		return 0;
	td_rec.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (td_rec.dirfd < 0)
		return -errno;
	td_rec.pool = rte_mempool_create("td_rec_buf", buffers, sizeof(struct td_rec_msg), 0, 0, NULL, NULL, NULL, NULL,
					 SOCKET_ID_ANY, 0);
	if (td_rec.pool == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_rec_worker *rw = rte_zmalloc("td_rec_worker", sizeof(*rw), 0);
		if (rw == NULL)
			return -ENOMEM;
		td_rec.w[i] = rw;
		workers[i].rec = rw;
		rw->n_slots = slots;
		rw->slot = rte_zmalloc("td_rec_slots", sizeof(*rw->slot) * slots, 0);
		snprintf(name, sizeof(name), "td_rec_to_%u", i);
		/* Every buffer fits at once (plus room): an enqueue never fails. */
		rw->to_rec = rte_ring_create(name, pow2_above(buffers), SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "td_rec_from_%u", i);
		rw->from_rec = rte_ring_create_elem(name, sizeof(struct td_rec_result), pow2_above(4 * slots),
						    SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rw->slot == NULL || rw->to_rec == NULL || rw->from_rec == NULL)
			return -ENOMEM;
	}
	return 0;
}

void
td_rec_fini(struct td_worker *workers, uint16_t n_workers)
{
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_rec_worker *rw = td_rec.w[i];
		if (rw == NULL)
			continue;
		rte_ring_free(rw->to_rec);
		rte_ring_free(rw->from_rec);
		rte_free(rw->slot);
		rte_free(rw);
		td_rec.w[i] = NULL;
		workers[i].rec = NULL;
	}
	rte_mempool_free(td_rec.pool);
	td_rec.pool = NULL;
	if (td_rec.dirfd >= 0)
		close(td_rec.dirfd);
	td_rec.dirfd = -1;
}
