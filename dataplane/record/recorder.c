/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recorder thread: a plain pthread started by the main lcore, never a
 * worker, so it may wait for the disk, allocate codec states and sleep.
 *
 * It drains every worker's ring of tap buffers. Each recording keeps one
 * second of audio per side in a circular window indexed by sample time since
 * the recording started (8 kHz): a payload is decoded (G.711 directly, other
 * codecs through codecs/td_codec.h, resampled to 8 kHz) and placed where its
 * arrival time says, or right after the previous payload of its side when
 * the RTP timestamps are continuous and the arrival is within 250 ms of that
 * (so network jitter does not tear the audio). Both sides use the same clock,
 * so the channels stay aligned whatever either sends; a side that sends
 * nothing, or a paused recording, leaves silence. Audio older than
 * REC_DELAY_MS is written out every loop; files are flushed (data, then a
 * header that counts it) every REC_FLUSH_MS. A failed write ends that file
 * (wav.c) and the recording: its results go back to the owning worker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <rte_cycles.h>

#include "resample/resample.h"
#include "td_codec.h"
#include "record/rec_int.h"
#include "record/wav.h"

#define REC_SLOT_SAMPLES 160			   /* 20 ms */
#define REC_WIN		 TD_REC_RATE		   /* samples per side in the window: 1 s */
#define REC_DELAY_MS	 200			   /* how long a slot waits for late payloads */
#define REC_FLUSH_MS	 1000			   /* file flush period */
#define REC_FOLLOW	 (TD_REC_RATE / 4)	   /* 250 ms: continuous payloads follow each other */
#define REC_BUF_BYTES	 (2 * 2 * TD_REC_RATE * 2) /* 2 s of stereo per file */
#define REC_PCM_MAX	 5760			   /* 120 ms at 48 kHz */
#define REC_DRAIN_MAX	 16384			   /* buffers taken off one worker's ring per loop, at most */

struct rec_side {
	const struct td_codec_ops *ops;
	void *state;
	size_t state_cap;
	struct td_resample *rs;
	uint32_t rs_from;
	bool have_last;
	uint32_t next_ts; /* RTP timestamp the next continuous payload carries */
	uint64_t next_pos;
};

struct rec {
	uint32_t rec_id; /* 0: free */
	uint8_t mode;
	bool stopping;
	bool failed;
	uint8_t open; /* files still open: bit 0 stereo/only, bit 1 mono */
	uint64_t t0;
	uint64_t out_pos; /* samples written out */
	uint64_t last_flush;
	uint32_t late;
	struct td_wav wav[2];
	uint8_t *wbuf[2];
	int16_t win[2][REC_WIN];
	struct rec_side side[2];
};

/* Flushes on the ring together: submitted and waited for at once. */
#define REC_RING  256
#define REC_BATCH (REC_RING / 2)

struct batch_entry {
	uint16_t worker, slot;
	int file;
	struct rec *r;
};

static struct {
	pthread_t thread;
	bool running;
	volatile int quit;
	struct io_uring ring;
	uint64_t hz;
	struct rec *recs; /* n_workers * n_slots */
	struct batch_entry batch[REC_BATCH];
	unsigned int n_batch;
} rc;

static struct rec *
rec_of(uint16_t worker, uint16_t slot)
{
	return &rc.recs[(size_t)worker * td_rec.n_slots + slot];
}

static uint64_t
rec_now_pos(const struct rec *r, uint64_t tsc)
{
	return tsc > r->t0 ? (tsc - r->t0) * TD_REC_RATE / rc.hz : 0;
}

/* Results back to the worker; a done file waits until the ring takes it. */
static void
result_send(uint16_t worker, uint16_t slot, const struct rec *r, uint8_t kind, uint8_t file, int error,
	    const uint8_t *sha)
{
	const struct td_wav *wv = &r->wav[file];
	struct td_rec_result res = {
		.kind = kind,
		.file = file,
		.complete = error == 0,
		.slot = slot,
		.rec_id = r->rec_id,
		.error = error,
		.duration_ms = (uint32_t)td_wav_duration_ms(wv),
		.late = r->late,
		.bytes = TD_WAV_HDR_SIZE + wv->data_bytes,
	};
	struct rte_ring *ring = td_rec.w[worker]->from_rec;

	if (sha != NULL)
		memcpy(res.sha256, sha, sizeof(res.sha256));
	while (rte_ring_enqueue_elem(ring, &res, sizeof(res)) != 0) {
		if (kind != TD_REC_RES_DONE || rc.quit)
			return;
		usleep(1000);
	}
}

static void
file_close(uint16_t worker, uint16_t slot, struct rec *r, int file, int why)
{
	uint8_t sha[TD_WAV_SHA256];
	int err;

	if (!(r->open & (1u << file)))
		return;
	err = td_wav_close(&r->wav[file], sha);
	if (err == 0)
		err = why;
	r->open &= (uint8_t) ~(1u << file);
	result_send(worker, slot, r, TD_REC_RES_DONE, (uint8_t)file, err, sha);
}

static void
rec_free(struct rec *r)
{
	for (int i = 0; i < 2; i++) {
		struct rec_side *sd = &r->side[i];
		if (sd->ops != NULL && sd->ops->fini != NULL)
			sd->ops->fini(sd->state);
		td_resample_destroy(sd->rs);
		free(sd->state);
		free(r->wbuf[i]);
	}
	memset(r, 0, sizeof(*r));
}

static void
rec_start(uint16_t worker, const struct td_rec_msg *m)
{
	struct rec *r = rec_of(worker, m->slot);
	char mono[TD_DP_REC_NAME_MAX + 16];
	int err = 0;

	if (r->rec_id != 0)
		rec_free(r);
	r->rec_id = m->rec_id;
	r->mode = m->start.mode;
	r->t0 = m->tsc;
	r->last_flush = m->tsc;
	for (int i = 0; i < 2 && err == 0; i++) {
		const char *name = m->start.name;
		uint16_t ch = 2;
		if (i == 0 && r->mode == TD_DP_REC_MONO)
			ch = 1;
		if (i == 1) {
			if (r->mode != TD_DP_REC_BOTH)
				break;
			size_t len = strlen(name);
			if (len > 4 && strcmp(name + len - 4, ".wav") == 0)
				snprintf(mono, sizeof(mono), "%.*s-mono.wav", (int)(len - 4), name);
			else
				snprintf(mono, sizeof(mono), "%s-mono.wav", name);
			name = mono;
			ch = 1;
		}
		r->wbuf[i] = malloc(REC_BUF_BYTES);
		if (r->wbuf[i] == NULL)
			err = -ENOMEM;
		else
			err = td_wav_open(&r->wav[i], &rc.ring, td_rec.dirfd, name, ch, TD_REC_RATE, r->wbuf[i],
					  REC_BUF_BYTES);
		if (err == 0)
			r->open |= (uint8_t)(1u << i);
	}
	if (err != 0) {
		/* Every file the recording has is reported, the failed one
		 * with the error; the worker then stops it. */
		int files = r->mode == TD_DP_REC_BOTH ? 2 : 1;
		r->failed = true;
		for (int i = 0; i < files; i++) {
			if (r->open & (1u << i))
				file_close(worker, m->slot, r, i, -ECANCELED);
			else
				result_send(worker, m->slot, r, TD_REC_RES_DONE, (uint8_t)i, err, NULL);
		}
	}
}

/* The codec of a payload: the session's own when the PT is its, else a
 * static RFC 3551 type. */
static const struct td_codec_ops *
codec_of(const struct td_rec_msg *m)
{
	const struct td_codec_ops *ops;

	if (m->codec[0] != '\0') {
		char name[sizeof(m->codec) + 1];
		memcpy(name, m->codec, sizeof(m->codec));
		name[sizeof(m->codec)] = '\0';
		ops = td_codec_find(name);
		if (ops != NULL && m->pt == (m->codec_pt ? m->codec_pt : ops->static_pt))
			return ops;
	}
	for (ops = td_codec_first(); ops != NULL; ops = ops->next)
		if (ops->static_pt == m->pt)
			return ops;
	return NULL;
}

static int
side_codec(struct rec_side *sd, const struct td_codec_ops *ops)
{
	struct td_codec_params p = {.sample_rate = 0};
	uint32_t rate;

	if (sd->ops == ops)
		return 0;
	if (sd->ops != NULL && sd->ops->fini != NULL)
		sd->ops->fini(sd->state);
	sd->ops = NULL;
	if (ops->state_size > sd->state_cap) {
		free(sd->state);
		sd->state = calloc(1, ops->state_size);
		sd->state_cap = sd->state ? ops->state_size : 0;
		if (sd->state == NULL)
			return -ENOMEM;
	}
	/* Opus decodes at 8 kHz itself; others keep their rate and are
	 * resampled. */
	if (ops->static_pt == TD_CODEC_PT_DYNAMIC)
		p.sample_rate = TD_REC_RATE;
	if (ops->init != NULL && ops->init(sd->state, &p) < 0)
		return -EINVAL;
	rate = p.sample_rate ? p.sample_rate : ops->sample_rate;
	if (rate != TD_REC_RATE && (sd->rs == NULL || sd->rs_from != rate)) {
		td_resample_destroy(sd->rs);
		sd->rs = td_resample_create(rate, TD_REC_RATE, 3);
		sd->rs_from = rate;
		if (sd->rs == NULL)
			return -ENOMEM;
	} else if (rate == TD_REC_RATE) {
		td_resample_destroy(sd->rs);
		sd->rs = NULL;
	}
	sd->ops = ops;
	sd->have_last = false;
	return 0;
}

static void
rec_tap(struct rec *r, const struct td_rec_msg *m)
{
	static int16_t pcm[REC_PCM_MAX], pcm8[REC_PCM_MAX];
	struct rec_side *sd = &r->side[m->side & 1];
	const struct td_codec_ops *ops = codec_of(m);
	int16_t *out = pcm;
	int n;

	if (ops == NULL || side_codec(sd, ops) < 0) {
		r->late++;
		return;
	}
	n = ops->decode(sd->state, m->payload, m->len, pcm, REC_PCM_MAX);
	if (n <= 0) {
		r->late++;
		return;
	}
	uint32_t ts_step = (uint32_t)((uint64_t)n * ops->rtp_clock / (sd->rs ? sd->rs_from : TD_REC_RATE));
	if (sd->rs != NULL) {
		n = td_resample_process(sd->rs, pcm, (unsigned int)n, pcm8, REC_PCM_MAX);
		out = pcm8;
	}
	uint64_t arrival = rec_now_pos(r, m->tsc);
	uint64_t pos = arrival - arrival % REC_SLOT_SAMPLES;
	/* Continuous timestamps and an arrival near where the last payload
	 * ended: keep the audio contiguous. A jump (new source, re-INVITE,
	 * transfer, silence) realigns on the arrival time. */
	if (sd->have_last && m->rtp_ts == sd->next_ts && sd->next_pos + REC_FOLLOW >= arrival &&
	    arrival + REC_FOLLOW >= sd->next_pos)
		pos = sd->next_pos;
	sd->have_last = true;
	sd->next_ts = m->rtp_ts + ts_step;
	sd->next_pos = pos + (uint64_t)n;
	if (pos + (uint64_t)n <= r->out_pos || pos >= r->out_pos + REC_WIN - REC_SLOT_SAMPLES) {
		r->late++;
		return;
	}
	for (int i = 0; i < n; i++) {
		uint64_t p = pos + (uint64_t)i;
		if (p < r->out_pos || p >= r->out_pos + REC_WIN)
			continue;
		r->win[m->side & 1][p % REC_WIN] = out[i];
	}
}

static void batch_run(void);

static int16_t
mix(int16_t a, int16_t b)
{
	int32_t s = (int32_t)a + b;
	return (int16_t)(s > INT16_MAX ? INT16_MAX : s < INT16_MIN ? INT16_MIN : s);
}

/* Write out one slot (20 ms) of the window into every open file. */
static int
rec_emit(struct rec *r, int *failed_file)
{
	int16_t st[2 * REC_SLOT_SAMPLES], mo[REC_SLOT_SAMPLES];
	size_t base = r->out_pos % REC_WIN;

	for (int i = 0; i < REC_SLOT_SAMPLES; i++) {
		int16_t a = r->win[0][base + i], b = r->win[1][base + i];
		st[2 * i] = a;
		st[2 * i + 1] = b;
		mo[i] = mix(a, b);
		r->win[0][base + i] = 0;
		r->win[1][base + i] = 0;
	}
	r->out_pos += REC_SLOT_SAMPLES;
	for (int f = 0; f < 2; f++) {
		struct td_wav *wv = &r->wav[f];
		int err;
		if (!(r->open & (1u << f)))
			continue;
		if (td_wav_room(wv) < REC_SLOT_SAMPLES && (batch_run(), err = td_wav_flush(wv)) < 0) {
			*failed_file = f;
			return err;
		}
		err = td_wav_append(wv, wv->channels == 2 ? st : mo, REC_SLOT_SAMPLES);
		if (err < 0) {
			*failed_file = f;
			return err;
		}
	}
	return 0;
}

static void
rec_fail(uint16_t worker, uint16_t slot, struct rec *r, int file, int err)
{
	batch_run();
	/* The failed file closes with its error; a sibling file closes with
	 * what it has, marked cancelled. */
	r->failed = true;
	file_close(worker, slot, r, file, err);
	for (int f = 0; f < 2; f++)
		file_close(worker, slot, r, f, -ECANCELED);
}

/* Submit every queued flush, wait for all their completions, then finish
 * each: a failure ends its recording, a success is reported as progress. */
static void
batch_run(void)
{
	unsigned int n = rc.n_batch, left = 2 * n;
	struct io_uring_cqe *cqe;
	int err = 0;

	if (n == 0)
		return;
	rc.n_batch = 0;
	err = io_uring_submit_and_wait(&rc.ring, left);
	while (err >= 0 && left > 0) {
		if ((err = io_uring_wait_cqe(&rc.ring, &cqe)) < 0)
			break;
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		struct td_wav *wv = td_wav_cqe_writer(ud);
		if (wv != NULL)
			td_wav_flush_cqe(wv, ud, cqe->res);
		io_uring_cqe_seen(&rc.ring, cqe);
		left--;
	}
	/* Every flush finished first (a failure may write again, waiting);
	 * then what they mean for their recordings. */
	for (unsigned int i = 0; i < n; i++) {
		struct td_wav *wv = &rc.batch[i].r->wav[rc.batch[i].file];
		if (err < 0 && wv->cqes_left > 0) {
			/* The ring failed: nothing known of these writes. */
			wv->res_data = wv->res_hdr = err;
		}
		wv->cqes_left = 0;
		td_wav_flush_end(wv);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct batch_entry *b = &rc.batch[i];
		struct td_wav *wv = &b->r->wav[b->file];
		if (!(b->r->open & (1u << b->file)))
			continue;
		if (wv->error < 0)
			rec_fail(b->worker, b->slot, b->r, b->file, wv->error);
		else if (b->file == 0)
			result_send(b->worker, b->slot, b->r, TD_REC_RES_PROGRESS, 0, 0, NULL);
	}
}

/* Write out what is due, flush on schedule; all of it when stopping. */
static void
rec_service(uint16_t worker, uint16_t slot, struct rec *r, uint64_t now, bool final)
{
	uint64_t due = rec_now_pos(r, now);
	int file = 0, err = 0;

	if (r->open == 0)
		return;
	if (!final)
		due = due > REC_DELAY_MS * TD_REC_RATE / 1000 ? due - REC_DELAY_MS * TD_REC_RATE / 1000 : 0;
	while (r->out_pos + REC_SLOT_SAMPLES <= due && err == 0)
		err = rec_emit(r, &file);
	if (err == 0 && !final && now - r->last_flush >= rc.hz / 1000 * REC_FLUSH_MS) {
		/* On schedule: queued with the other files' flushes. */
		r->last_flush = now;
		for (file = 0; file < 2 && err == 0; file++) {
			if (!(r->open & (1u << file)))
				continue;
			if (rc.n_batch == REC_BATCH)
				batch_run();
			if (r->open == 0)
				return;
			err = td_wav_flush_submit(&r->wav[file]);
			if (err > 0) {
				rc.batch[rc.n_batch++] =
					(struct batch_entry){.worker = worker, .slot = slot, .file = file, .r = r};
				err = 0;
			}
		}
		file--;
	} else if (err == 0 && final) {
		batch_run(); /* the ring is this writer's alone while it waits */
		r->last_flush = now;
		for (file = 0; file < 2 && err == 0; file++)
			if (r->open & (1u << file))
				err = td_wav_flush(&r->wav[file]);
		file--;
	}
	if (err < 0)
		rec_fail(worker, slot, r, file, err);
}

static void
rec_stop(uint16_t worker, const struct td_rec_msg *m)
{
	struct rec *r = rec_of(worker, m->slot);

	if (r->rec_id != m->rec_id)
		return;
	rec_service(worker, m->slot, r, m->tsc, true);
	for (int f = 0; f < 2; f++)
		file_close(worker, m->slot, r, f, 0);
	rec_free(r);
}

static unsigned int
drain(uint16_t worker)
{
	struct td_rec_msg *msgs[64];
	unsigned int n = rte_ring_dequeue_burst(td_rec.w[worker]->to_rec, (void **)msgs, 64, NULL);

	for (unsigned int i = 0; i < n; i++) {
		const struct td_rec_msg *m = msgs[i];
		struct rec *r = rec_of(worker, m->slot);
		switch (m->kind) {
		case TD_REC_MSG_START:
			rec_start(worker, m);
			break;
		case TD_REC_MSG_STOP:
			rec_stop(worker, m);
			break;
		case TD_REC_MSG_TAP:
			if (r->rec_id == m->rec_id && r->open)
				rec_tap(r, m);
			break;
		}
	}
	if (n > 0)
		rte_mempool_put_bulk(td_rec.pool, (void **)msgs, n);
	return n;
}

static void *
recorder_main(void *arg)
{
	(void)arg;
	while (!rc.quit) {
		unsigned int got = 0;
		uint64_t now;
		/* Empty every ring before the per-recording work: buffers go
		 * back to the workers' pool as soon as possible. */
		for (uint16_t w = 0; w < td_rec.n_workers; w++) {
			unsigned int k, m = 0;
			while (m < REC_DRAIN_MAX && (k = drain(w)) > 0)
				m += k;
			got += m;
		}
		now = rte_rdtsc();
		for (uint16_t w = 0; w < td_rec.n_workers; w++)
			for (uint16_t s = 0; s < td_rec.n_slots; s++) {
				struct rec *r = rec_of(w, s);
				if (r->rec_id != 0)
					rec_service(w, s, r, now, false);
				/* Flushes wait for the disk: hand buffers back
				 * between batches, not only once per loop. */
				if ((s & 63) == 63) {
					batch_run();
					for (uint16_t v = 0; v < td_rec.n_workers; v++)
						got += drain(v);
				}
			}
		batch_run();
		if (got == 0)
			usleep(2000);
	}
	/* Stopping: whatever is open is written out and closed as it stands. */
	for (uint16_t w = 0; w < td_rec.n_workers; w++) {
		while (drain(w) > 0)
			;
		for (uint16_t s = 0; s < td_rec.n_slots; s++) {
			struct rec *r = rec_of(w, s);
			if (r->rec_id == 0)
				continue;
			rec_service(w, s, r, rte_rdtsc(), true);
			for (int f = 0; f < 2; f++)
				if (r->open & (1u << f)) {
					td_wav_close(&r->wav[f], NULL);
					r->open &= (uint8_t) ~(1u << f);
				}
			rec_free(r);
		}
	}
	return NULL;
}

int
td_recorder_start(void)
{
	int err;

	if (td_rec.dirfd < 0)
		return 0;
	rc.hz = rte_get_tsc_hz();
	rc.recs = calloc((size_t)td_rec.n_workers * td_rec.n_slots, sizeof(*rc.recs));
	if (rc.recs == NULL)
		return -ENOMEM;
	err = io_uring_queue_init(REC_RING, &rc.ring, 0);
	if (err < 0) {
		free(rc.recs);
		rc.recs = NULL;
		return err;
	}
	err = pthread_create(&rc.thread, NULL, recorder_main, NULL);
	if (err != 0) {
		io_uring_queue_exit(&rc.ring);
		free(rc.recs);
		rc.recs = NULL;
		return -err;
	}
	pthread_setname_np(rc.thread, "td-recorder");
	rc.running = true;
	return 0;
}

void
td_recorder_stop(void)
{
	if (!rc.running)
		return;
	rc.quit = 1;
	pthread_join(rc.thread, NULL);
	io_uring_queue_exit(&rc.ring);
	free(rc.recs);
	rc.recs = NULL;
	rc.running = false;
}
