/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The prompt store, on the main lcore (contract in prompt.h): loading a
 * file or a tone into a slot (resample, encode every kind once), unloading
 * when no play holds it, and the rings that carry PROMPT_LOAD / UNLOAD
 * from the workers and their acks back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "api/td_dp_shm.h"
#include "ctl/ctl.h"
#include "media.h"
#include "prompt.h"
#include "prompt_wav.h"
#include "resample/resample.h"
#include "rtp/rtp_session.h"
#include "td_codec.h"
#include "tone.h"
#include "worker/worker.h"

#define PROMPT_RING	    16
#define PROMPT_OPUS_COMPLEX 5

struct td_prompt td_prompts[TD_PROMPT_SLOTS];

static const struct {
	const char *codec;
	uint32_t rate;
} kinds[TD_PK_N] = {
	[TD_PK_PCMA] = {"PCMA", 8000}, [TD_PK_PCMU] = {"PCMU", 8000},  [TD_PK_G722] = {"G722", 16000},
	[TD_PK_G729] = {"G729", 8000}, [TD_PK_OPUS8] = {"opus", 8000}, [TD_PK_OPUS16] = {"opus", 16000},
};

/* in at from Hz -> *out at to Hz, the converter's delay taken off so that
 * sample i stays at time i. */
static int
resample(const int16_t *in, uint32_t n, uint32_t from, uint32_t to, int16_t **out, uint32_t *n_out)
{
	struct td_resample *r = td_resample_create(from, to, 5);
	if (r == NULL)
		return -ENOMEM;
	uint32_t want = (uint32_t)((uint64_t)n * to / from);
	uint32_t delay_in = (uint32_t)td_resample_delay(r);
	uint32_t skip = (uint32_t)((uint64_t)delay_in * to / from);
	uint32_t max = want + skip + 64;
	int16_t *buf = calloc(max, sizeof(*buf));
	int16_t *zeros = calloc(delay_in + 16, sizeof(*zeros));
	if (buf == NULL || zeros == NULL) {
		free(buf);
		free(zeros);
		td_resample_destroy(r);
		return -ENOMEM;
	}
	uint32_t got = 0;
	for (uint32_t i = 0; i < n; i += 4000) {
		unsigned int chunk = n - i < 4000 ? n - i : 4000;
		int k = td_resample_process(r, in + i, chunk, buf + got, max - got);
		if (k > 0)
			got += (uint32_t)k;
	}
	int k = td_resample_process(r, zeros, delay_in + 16, buf + got, max - got);
	if (k > 0)
		got += (uint32_t)k;
	td_resample_destroy(r);
	free(zeros);
	if (got < skip)
		skip = got;
	memmove(buf, buf + skip, (got - skip) * sizeof(*buf));
	got -= skip;
	*out = buf;
	*n_out = got < want ? got : want;
	return 0;
}

/* Encode pcm (rate Hz, n_frames * 20 ms, zero-padded) as kind k into p. */
static int
encode_kind(struct td_prompt *p, unsigned int k, const int16_t *pcm, uint32_t rate)
{
	const struct td_codec_ops *ops = td_codec_find(kinds[k].codec);
	if (ops == NULL)
		return -ENOENT;
	struct td_codec_params cp = {.sample_rate = kinds[k].rate, .complexity = PROMPT_OPUS_COMPLEX};
	void *st = aligned_alloc(64, (ops->state_size + 63) & ~(size_t)63);
	if (st == NULL)
		return -ENOMEM;
	int ret = ops->init(st, &cp);
	if (ret < 0) {
		free(st);
		return ret;
	}
	uint32_t spf = rate / 1000 * TD_PROMPT_FRAME_MS;
	for (uint32_t i = 0; i < p->n_frames; i++) {
		size_t at = (size_t)k * p->n_frames + i;
		ret = ops->encode(st, pcm + (size_t)i * spf, spf, p->frames + at * TD_PROMPT_FRAME_MAX,
				  TD_PROMPT_FRAME_MAX);
		if (ret < 0)
			break;
		p->lens[at] = (uint16_t)ret;
		ret = 0;
	}
	ops->fini(st);
	free(st);
	return ret;
}

/* Fill slot p from PCM at rate (8000 or 16000): both rates, every kind. */
static int
prompt_fill(struct td_prompt *p, const int16_t *pcm, uint32_t n, uint32_t rate)
{
	int16_t *at[2] = {NULL, NULL}; /* 8 kHz, 16 kHz, each padded to whole frames */
	uint32_t n_frames = (uint32_t)(((uint64_t)n * 1000 / rate + TD_PROMPT_FRAME_MS - 1) / TD_PROMPT_FRAME_MS);
	int ret = -ENOMEM;

	for (int r = 0; r < 2; r++) {
		uint32_t to = r ? 16000 : 8000;
		size_t len = (size_t)n_frames * (to / 1000 * TD_PROMPT_FRAME_MS);
		if ((at[r] = calloc(len, sizeof(int16_t))) == NULL)
			goto out;
		if (to == rate) {
			memcpy(at[r], pcm, (size_t)n * sizeof(int16_t));
			continue;
		}
		int16_t *rs;
		uint32_t rn;
		if ((ret = resample(pcm, n, rate, to, &rs, &rn)) < 0)
			goto out;
		memcpy(at[r], rs, (rn < len ? rn : len) * sizeof(int16_t));
		free(rs);
	}
	p->n_frames = n_frames;
	p->src_rate = rate;
	p->frames = malloc((size_t)TD_PK_N * n_frames * TD_PROMPT_FRAME_MAX);
	p->lens = malloc((size_t)TD_PK_N * n_frames * sizeof(uint16_t));
	ret = -ENOMEM;
	if (p->frames == NULL || p->lens == NULL)
		goto out;
	for (unsigned int k = 0; k < TD_PK_N; k++)
		if ((ret = encode_kind(p, k, at[kinds[k].rate == 16000], kinds[k].rate)) < 0)
			goto out;
	ret = 0;
out:
	if (ret < 0) {
		free(p->frames);
		free(p->lens);
		p->frames = NULL;
		p->lens = NULL;
	}
	free(at[0]);
	free(at[1]);
	return ret;
}

int
td_prompt_load(uint32_t id, const char *path)
{
	if (id == 0 || id > TD_DP_PROMPT_ID_MAX)
		return -EINVAL;
	if (memchr(path, '\0', TD_DP_PROMPT_PATH_MAX) == NULL || path[0] == '\0')
		return -EINVAL;
	struct td_prompt *p = &td_prompts[id];
	uint32_t state = __atomic_load_n(&p->state, __ATOMIC_SEQ_CST);
	if (state == TD_PROMPT_READY)
		return -EEXIST;
	if (state == TD_PROMPT_UNLOADING)
		return -EBUSY;
	struct td_prompt_pcm pcm;
	int ret = td_prompt_wav_read(path, &pcm);
	if (ret < 0)
		return ret;
	ret = prompt_fill(p, pcm.pcm, pcm.n, pcm.rate);
	free(pcm.pcm);
	if (ret < 0)
		return ret;
	snprintf(p->path, sizeof(p->path), "%s", path);
	__atomic_store_n(&p->plays, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->state, TD_PROMPT_READY, __ATOMIC_SEQ_CST);
	return (int)p->n_frames;
}

/* Free a slot no play holds; true when it is free now. */
static bool
prompt_reap(struct td_prompt *p)
{
	if (__atomic_load_n(&p->plays, __ATOMIC_SEQ_CST) != 0)
		return false;
	free(p->frames);
	free(p->lens);
	p->frames = NULL;
	p->lens = NULL;
	p->n_frames = 0;
	__atomic_store_n(&p->state, TD_PROMPT_FREE, __ATOMIC_RELEASE);
	return true;
}

int
td_prompt_unload(uint32_t id)
{
	if (id == 0 || id > TD_DP_PROMPT_ID_MAX)
		return -EINVAL;
	struct td_prompt *p = &td_prompts[id];
	if (__atomic_load_n(&p->state, __ATOMIC_SEQ_CST) != TD_PROMPT_READY)
		return -ENOENT;
	/* Workers count themselves in before they look at the state: once
	 * UNLOADING is visible no new play takes the slot, and a play that
	 * read READY is already counted when we look at plays. */
	__atomic_store_n(&p->state, TD_PROMPT_UNLOADING, __ATOMIC_SEQ_CST);
	prompt_reap(p);
	return 0;
}

int
td_prompt_init(struct td_worker *workers, uint16_t n_workers)
{
	for (uint8_t t = TD_DP_TONE_RINGBACK; t <= TD_DP_TONE_CONGESTION; t++) {
		struct td_prompt *p = &td_prompts[td_prompt_tone_slot(t)];
		if (p->state == TD_PROMPT_READY)
			continue; /* made by an earlier init in this process */
		int16_t *pcm;
		uint32_t n;
		const char *name;
		int ret = td_tone_cycle(t, &pcm, &n, &name);
		if (ret < 0)
			return ret;
		ret = prompt_fill(p, pcm, n, 8000);
		free(pcm);
		if (ret < 0)
			return ret;
		snprintf(p->path, sizeof(p->path), "%s", name);
		__atomic_store_n(&p->state, TD_PROMPT_READY, __ATOMIC_SEQ_CST);
	}
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_media *md = workers[i].media;
		char name[RTE_RING_NAMESIZE];
		if (md == NULL)
			return -EINVAL;
		md->play_list = rte_zmalloc("td_play", sizeof(uint32_t) * (workers[i].rtp->n + 1), 0);
		snprintf(name, sizeof(name), "td_prq%u", i);
		md->prompt_req = rte_ring_create_elem(name, sizeof(struct td_dp_msg), PROMPT_RING, SOCKET_ID_ANY,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "td_pra%u", i);
		md->prompt_ack = rte_ring_create_elem(name, sizeof(struct td_dp_msg), PROMPT_RING, SOCKET_ID_ANY,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (md->play_list == NULL || md->prompt_req == NULL || md->prompt_ack == NULL)
			return -ENOMEM;
		md->play_tick_tsc = rte_get_tsc_hz() / 1000 * TD_PROMPT_FRAME_MS;
	}
	return 0;
}

void
td_prompt_fini(struct td_worker *workers, uint16_t n_workers)
{
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_media *md = workers[i].media;
		if (md == NULL)
			continue;
		rte_free(md->play_list);
		rte_ring_free(md->prompt_req);
		rte_ring_free(md->prompt_ack);
		md->play_list = NULL;
		md->prompt_req = md->prompt_ack = NULL;
	}
}

void
td_prompt_service(struct td_worker *workers, uint16_t n_workers)
{
	struct td_dp_msg m;

	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_media *md = workers[i].media;
		if (md == NULL || md->prompt_req == NULL)
			continue;
		while (rte_ring_dequeue_elem(md->prompt_req, &m, sizeof(m)) == 0) {
			int ret = m.hdr.type == TD_DP_CMD_PROMPT_LOAD
					  ? td_prompt_load(m.prompt_load.prompt, m.prompt_load.path)
					  : td_prompt_unload(m.prompt_load.prompt);
			uint64_t req = m.hdr.req_id;
			uint16_t type = m.hdr.type;
			td_dp_msg_init(&m, TD_DP_EVT_ACK, req);
			m.hdr.worker = workers[i].index;
			m.ack.cmd_type = type;
			m.ack.result = ret < 0 ? ret : 0;
			m.ack.count = ret > 0 ? (uint32_t)ret : 0;
			/* The ring holds as many as the request ring: it has room. */
			rte_ring_enqueue_elem(md->prompt_ack, &m, sizeof(m));
		}
	}
	for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX; id++)
		if (__atomic_load_n(&td_prompts[id].state, __ATOMIC_ACQUIRE) == TD_PROMPT_UNLOADING)
			prompt_reap(&td_prompts[id]);
}

void
td_prompt_reclaim(struct td_worker *w)
{
	struct td_dp_msg m;

	if (w->media == NULL || w->media->prompt_ack == NULL)
		return;
	while (rte_ring_dequeue_elem(w->media->prompt_ack, &m, sizeof(m)) == 0) {
		m.ack.tsc = rte_rdtsc();
		td_worker_event(w, &m);
	}
}

/* Worker, command path: hand the load or unload to the main lcore. */
static int
ctl_prompt_handoff(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	(void)ack;
	if (w->media == NULL || w->media->prompt_req == NULL)
		return -ENOTSUP;
	if (cmd->prompt_load.prompt == 0 || cmd->prompt_load.prompt > TD_DP_PROMPT_ID_MAX)
		return -EINVAL;
	/* Ack ring room is the request ring's: a full one refuses here. */
	if (rte_ring_count(w->media->prompt_ack) + rte_ring_count(w->media->prompt_req) >= PROMPT_RING - 1)
		return -EBUSY;
	if (rte_ring_enqueue_elem(w->media->prompt_req, (void *)(uintptr_t)cmd, sizeof(*cmd)) != 0)
		return -EBUSY;
	return TD_CTL_DEFERRED;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_PROMPT_LOAD, ctl_prompt_handoff)

static int
ctl_prompt_unload(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	return ctl_prompt_handoff(w, cmd, ack);
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_PROMPT_UNLOAD, ctl_prompt_unload)
