/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-jbuf: nanoseconds per put + get of the jitter buffer on one
 * core, the per-stream cost the media tick pays every 20 ms. STREAMS
 * buffers (8 kHz, 20 ms frames of 160 bytes, default delays) are fed a
 * frame each per tick, with every fourth pair of packets swapped, so that
 * the caches see many streams as a worker would; each then gives the
 * frame due. Reports the mean over all ticks.
 *
 * Usage: td-bench-jbuf [--streams N] [--ticks N]
 * Exits non-zero if a stream did not play every frame in order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/media/jbuf.h"

#define FRAME	160
#define PAYLOAD 160

static double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	unsigned long streams = 1000, ticks = 3000;
	struct td_jbuf_cfg cfg = {.clock_rate = 8000, .frame_ticks = FRAME};
	uint8_t payload[PAYLOAD];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--streams") == 0)
			streams = strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--ticks") == 0)
			ticks = strtoul(argv[i + 1], NULL, 0);
		else
			break;
	}
	if (argc % 2 == 0 || streams == 0 || ticks < 10) {
		fprintf(stderr, "usage: td-bench-jbuf [--streams N] [--ticks N]\n");
		return 2;
	}
	size_t size = (td_jbuf_size(&cfg) + 63) & ~(size_t)63;
	uint8_t *mem = aligned_alloc(64, size * streams);
	uint32_t *next = calloc(streams, sizeof(*next));
	if (mem == NULL || next == NULL) {
		fprintf(stderr, "td-bench-jbuf: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (unsigned long s = 0; s < streams; s++)
		if (td_jbuf_init(mem + s * size, size, &cfg) != 0)
			return 1;
	memset(payload, 0x55, sizeof(payload));

	unsigned long bad = 0;
	double t0 = now_ns();
	for (unsigned long t = 0; t < ticks; t++) {
		uint64_t now = (uint64_t)t * FRAME;
		/* frame t arrives at tick t, except that 4i+1 comes before 4i */
		uint32_t k = (t % 4 == 0) ? (uint32_t)t + 1 : (t % 4 == 1) ? (uint32_t)t - 1 : (uint32_t)t;
		memcpy(payload, &k, sizeof(k));
		for (unsigned long s = 0; s < streams; s++) {
			struct td_jbuf *jb = (struct td_jbuf *)(mem + s * size);
			struct td_jbuf_frame f;
			td_jbuf_put(jb, (uint16_t)k, k * FRAME, false, payload, sizeof(payload), now);
			if (td_jbuf_get(jb, now, &f) == TD_JBUF_FRAME) {
				uint32_t got;
				memcpy(&got, f.payload, sizeof(got));
				bad += got != next[s]++;
			}
		}
	}
	double ns = (now_ns() - t0) / ((double)ticks * streams);

	for (unsigned long s = 0; s < streams; s++) {
		struct td_jbuf_stats st;
		td_jbuf_stats((struct td_jbuf *)(mem + s * size), &st);
		bad += st.lost + st.late + st.skipped_for_drift + st.skipped_for_delay;
	}
	printf("jbuf: %lu streams, %lu ticks: %.1f ns per put+get (%zu bytes per buffer)\n", streams, ticks, ns,
	       td_jbuf_size(&cfg));
	free(mem);
	free(next);
	if (bad) {
		fprintf(stderr, "td-bench-jbuf: %lu frames out of order, lost or skipped\n", bad);
		return 1;
	}
	return 0;
}
