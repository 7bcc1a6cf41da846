/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-record: what concurrent stereo recordings cost. N bridged-pair
 * recordings (G.711 both sides, 20 ms packets) run in real time for S
 * seconds through the dataplane's own code: the worker-side tap
 * (td_rec_tap_slow, timed in cycles per call) and the recorder thread
 * (decode, placement, WAV writing through io_uring into DIR). Reported: the
 * recorder thread's CPU (process CPU minus this thread's), the recordings
 * one core of recorder would carry at that rate, and the disk throughput
 * they need (bytes on disk per second of run).
 *
 * Usage: td-bench-record [--recordings N] [--seconds S] [--dir DIR] [--buffers N] [--json]
 * (--buffers: the tap pool, default 8 per recording + 1024)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ring.h>

#include "dataplane/api/td_dp_shm.h"
#include "dataplane/ctl/ctl.h"
#include "dataplane/drop.h"
#include "dataplane/record/record.h"
#include "dataplane/rtp/rtp_hdr.h"
#include "dataplane/rtp/rtp_session.h"
#include "dataplane/worker/worker.h"

static struct td_worker w;
static struct td_dp_shm *shm;

static uint32_t
command(struct td_dp_msg *m)
{
	struct td_dp_msg ack;
	if (td_dp_msg_send(w.cmd, m) < 0)
		exit(3);
	td_ctl_poll(&w);
	while (td_dp_msg_recv(w.evt, &ack) == 0) {
		if (ack.hdr.type != TD_DP_EVT_ACK)
			continue;
		if (ack.ack.result != 0) {
			fprintf(stderr, "td-bench-record: command %u failed: %d\n", m->hdr.type, ack.ack.result);
			exit(3);
		}
		return ack.ack.session;
	}
	return 0;
}

static double
cpu_s(int who)
{
	struct timespec ts;
	if (who == 0) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"recordings", required_argument, NULL, 'n'}, {"seconds", required_argument, NULL, 's'},
		{"dir", required_argument, NULL, 'd'},	      {"json", no_argument, NULL, 'j'},
		{"buffers", required_argument, NULL, 'b'},    {NULL, 0, NULL, 0}};
	uint32_t n = 200, secs = 10, buffers = 0;
	const char *dir = NULL;
	bool json = false;
	char prefix[64], tmpl[] = "/tmp/td-bench-rec-XXXXXX";
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = (uint32_t)atoi(optarg);
			break;
		case 's':
			secs = (uint32_t)atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'b':
			buffers = (uint32_t)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: td-bench-record [--recordings N] [--seconds S] [--dir DIR] [--buffers "
					"N] [--json]\n");
			return 2;
		}
	}
	if (n == 0 || n > 1024 || secs == 0)
		return 2;
	if (buffers == 0)
		buffers = 8 * n + 1024;
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL)
		return 1;

	snprintf(prefix, sizeof(prefix), "tdbrec%d", getpid());
	char *eal[] = {"td-bench-record", "-l",		 "0",
		       "--no-huge",	  "-m",		 "512",
		       "--no-pci",	  "--no-shconf", "--no-telemetry",
		       "--file-prefix",	  prefix,	 "--log-level",
		       "lib.eal:error"};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	uint16_t plo = 20000, phi = (uint16_t)(plo + 4 * n + 3);
	struct td_dp_shm_conf conf = {1, 1024, td_rtp_slots(1, plo, phi, 0)};
	char name[64];
	snprintf(name, sizeof(name), "/td-bench-rec-%d", getpid());
	shm = td_dp_shm_create(name, &conf);
	if (shm == NULL)
		return 1;
	w.st = td_dp_shm_stats(shm, 0);
	w.cmd = td_dp_shm_cmd_ring(shm, 0);
	w.evt = td_dp_shm_evt_ring(shm, 0);
	if (td_rtp_init(&w, 1, plo, phi, 0, shm) < 0 || td_rec_init(&w, 1, dir, n, buffers) < 0 ||
	    td_recorder_start() < 0) {
		fprintf(stderr, "td-bench-record: set-up failed\n");
		return 1;
	}

	struct td_rtp_session **sess = calloc(2 * (size_t)n, sizeof(*sess));
	for (uint32_t k = 0; k < n; k++) {
		struct td_dp_msg m;
		uint32_t id[2];
		for (int s = 0; s < 2; s++) {
			td_dp_msg_init(&m, TD_DP_CMD_SESSION_CREATE, 1);
			m.sess.pts[0] = s ? 8 : 0;
			m.sess.n_pts = 1;
			id[s] = command(&m);
			sess[2 * k + s] = td_rtp_lookup(w.rtp, TD_DP_SESSION_PORT(id[s]));
		}
		td_dp_msg_init(&m, TD_DP_CMD_RECORD_START, 1);
		m.rec_start = (struct td_dp_cmd_rec_start){
			.rec_id = k + 1, .customer = id[0], .agent = id[1], .mode = TD_DP_REC_STEREO};
		snprintf(m.rec_start.name, sizeof(m.rec_start.name), "r%u.wav", k);
		command(&m);
	}

	/* One 20 ms G.711 packet per side; a tone's bytes, so decoding does
	 * real work. */
	uint8_t pkt[2][12 + 160];
	for (int s = 0; s < 2; s++) {
		pkt[s][0] = 0x80;
		pkt[s][1] = s ? 8 : 0;
		for (int i = 0; i < 160; i++)
			pkt[s][12 + i] = (uint8_t)(0x55 ^ (i * 37));
	}
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), tap_cycles = 0, taps = 0;
	double cpu0 = cpu_s(0), me0 = cpu_s(1);
	uint32_t ticks = secs * 50;
	for (uint32_t t = 0; t < ticks; t++) {
		uint64_t due = t0 + hz / 50 * t;
		while (rte_rdtsc() < due)
			usleep(200);
		uint64_t a = rte_rdtsc();
		for (uint32_t k = 0; k < 2 * n; k++) {
			struct rtp_info ri = {.payload_off = 12,
					      .payload_len = 160,
					      .pt = (uint8_t)(k & 1 ? 8 : 0),
					      .seq = (uint16_t)t,
					      .ts = 160 * t,
					      .ssrc = k};
			td_rec_tap_slow(&w, sess[k], pkt[k & 1], &ri, a);
		}
		tap_cycles += rte_rdtsc() - a;
		taps += 2 * n;
		td_rec_poll(&w);
		struct td_dp_msg ev;
		while (td_dp_msg_recv(w.evt, &ev) == 0)
			;
	}
	double wall = (double)(rte_rdtsc() - t0) / (double)hz;
	double rec_cpu = (cpu_s(0) - cpu0) - (cpu_s(1) - me0);
	td_recorder_stop();

	uint64_t bytes = 0;
	for (uint32_t k = 0; k < n; k++) {
		char p[512];
		struct stat st;
		snprintf(p, sizeof(p), "%s/r%u.wav", dir, k);
		if (stat(p, &st) == 0)
			bytes += (uint64_t)st.st_size;
		unlink(p);
	}
	if (dir == tmpl)
		rmdir(tmpl);
	struct td_dp_worker_stats ws;
	td_dp_stats_read(w.st, &ws);
	uint64_t lost = 0;
	for (uint16_t i = 0; i < TD_DP_DROP_MAX; i++)
		if (ws.drops[i]) {
			lost += ws.drops[i];
			fprintf(stderr, "td-bench-record: %s %llu\n", td_drop_name(i), (unsigned long long)ws.drops[i]);
		}
	double load = rec_cpu / wall;
	double per_core = load > 0 ? n / load : 0;
	double mbps = (double)bytes / wall / 1e6;
	if (json)
		printf("{\"recordings\": %u, \"seconds\": %.2f, \"recorder_cpu\": %.4f, \"recordings_per_core\": %.0f, "
		       "\"disk_MBps\": %.2f, \"disk_MBps_per_core\": %.2f, \"tap_cycles\": %.1f, \"taps_lost\": "
		       "%llu}\n",
		       n, wall, load, per_core, mbps, per_core > 0 ? mbps * per_core / n : 0,
		       (double)tap_cycles / (double)taps, (unsigned long long)lost);
	else
		printf("%u stereo recordings for %.1f s: recorder thread %.1f %% of a core -> %.0f recordings per "
		       "core; "
		       "disk %.2f MB/s (%.2f MB/s at a full core); worker tap %.1f cycles per packet; %llu taps lost\n",
		       n, wall, 100 * load, per_core, mbps, per_core > 0 ? mbps * per_core / n : 0,
		       (double)tap_cycles / (double)taps, (unsigned long long)lost);
	td_rec_fini(&w, 1);
	td_dp_shm_close(shm);
	rte_eal_cleanup();
	return 0;
}
