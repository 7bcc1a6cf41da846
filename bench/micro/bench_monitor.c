/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-monitor: the cost of one monitored call per 20 ms on one core,
 * through the dataplane's own worker code (td_eth_input -> relay with the
 * monitor's in-place mix -> tx to net_null, then the media tick that sends
 * each supervisor its mix). CALLS calls of three PCMA sessions each
 * (customer bridged to agent, supervisor); per 20 ms each of the three
 * sends one 160-octet packet and one tick runs. Measured in each mode
 * (off, listen, whisper, barge), and the same feed with no monitor at all
 * (the supervisor's packets then dropped as unbridged); the feed alone
 * (mbuf allocation, copy, tx to null) is taken off. Prints ns per call per
 * 20 ms and monitored calls per core (20 ms / cost). Medians of 5 rounds.
 *
 *   td-bench-monitor [--calls N] [--frames N]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "conf/conf.h"
#include "conf/monitor.h"
#include "ctl/ctl.h"
#include "dataplane/api/td_dp_shm.h"
#include "media/media.h"
#include "net/neigh.h"
#include "net/net.h"
#include "port/port.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"

#define FRAME_LEN (14 + 20 + 8 + 12 + 160)
#define ROUNDS	  5
#define CALLS_MAX 1000

static struct td_worker w;
static struct rte_ring *handoff[1];
static struct td_dp_shm *shm;

static int
command(struct td_dp_msg *m, uint32_t *session)
{
	struct td_dp_msg ack;
	if (td_dp_msg_send(w.cmd, m) < 0)
		exit(3);
	td_ctl_poll(&w);
	while (td_dp_msg_recv(w.evt, &ack) == 0) {
		if (ack.hdr.type != TD_DP_EVT_ACK)
			continue;
		if (session)
			*session = ack.ack.session;
		return ack.ack.result;
	}
	return -EIO;
}

static void
must(int ret, const char *what)
{
	if (ret != 0) {
		fprintf(stderr, "td-bench-monitor: %s: %d\n", what, ret);
		exit(3);
	}
}

/* An RTP frame (PCMA, A-law silence-ish pattern) from src to our port. */
static void
build_frame(uint8_t *f, uint32_t src_ip, uint32_t dst_ip, uint16_t dport, uint32_t k, uint8_t fill)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(udp + 1);

	memset(f, 0, FRAME_LEN);
	eth->dst_addr = td_ports[0].mac;
	eth->src_addr = (struct rte_ether_addr){{0x02, 0, 0, 0, (uint8_t)(k >> 8), (uint8_t)k}};
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(FRAME_LEN - 14);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src_ip;
	ip->dst_addr = dst_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(4000);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(FRAME_LEN - 34);
	rtp[0] = 0x80;
	rtp[1] = 8;
	rtp[11] = (uint8_t)k;
	for (int i = 0; i < 160; i++)
		rtp[12 + i] = (uint8_t)(fill ^ (i & 0x3f));
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint8_t (*frames)[FRAME_LEN];
static uint32_t n_frames;

/* One 20 ms: every frame in, then one media tick (its TSC moved on by a
 * tick so that it is due). feed: the same packets to net_null only. */
static void
step(struct rte_mempool *mp, bool feed)
{
	struct rte_mbuf *pkts[32];
	for (uint32_t k = 0; k < n_frames; k += 32) {
		unsigned int n = n_frames - k < 32 ? n_frames - k : 32;
		if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0)
			exit(4);
		for (unsigned int i = 0; i < n; i++) {
			memcpy(rte_pktmbuf_mtod(pkts[i], void *), frames[k + i], FRAME_LEN);
			pkts[i]->data_len = pkts[i]->pkt_len = FRAME_LEN;
			pkts[i]->port = td_ports[0].port_id;
		}
		if (feed) {
			uint16_t sent = rte_eth_tx_burst(td_ports[0].port_id, 0, pkts, (uint16_t)n);
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		} else {
			td_eth_input(&w, 0, pkts, (uint16_t)n);
			td_worker_flush(&w, 0);
		}
	}
	if (!feed) {
		w.media->next_tick = 0;
		td_media_tick(&w, w.media->conf->mon->last_tick + w.media->tick_tsc + 1);
	}
}

int
main(int argc, char **argv)
{
	uint32_t calls = 300, n = 500;
	char prefix[32];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
			n = (uint32_t)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: td-bench-monitor [--calls N] [--frames N]\n");
			return 2;
		}
	}
	if (calls == 0 || calls > CALLS_MAX || n == 0) {
		fprintf(stderr, "td-bench-monitor: --calls 1..%d, --frames > 0\n", CALLS_MAX);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "tdbm%d", getpid());
	char *eal[] = {"td-bench-monitor", "-l",	  "0",
		       "--no-huge",	   "-m",	  "512",
		       "--no-pci",	   "--no-shconf", "--no-telemetry",
		       "--file-prefix",	   prefix,	  "--log-level",
		       "lib.eal:error",	   "--vdev",	  "net_null0"};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("bench", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	char err[256];
	uint32_t our_ip = htonl(0x0a000001);
	td_port_set_ipv4(0, our_ip, 16);
	if (mp == NULL || td_port_init_all(mp, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "td-bench-monitor: %s\n", mp ? err : "no memory");
		return 1;
	}
	uint16_t lo = 20000, hi = (uint16_t)(lo + 6 * calls + 5);
	struct td_dp_shm_conf conf = {1, 1024, td_rtp_slots(1, lo, hi, 0)};
	char name[64];
	snprintf(name, sizeof(name), "/td-bench-mon-%d", getpid());
	shm = td_dp_shm_create(name, &conf);
	if (shm == NULL)
		return 1;
	w.st = td_dp_shm_stats(shm, 0);
	w.cmd = td_dp_shm_cmd_ring(shm, 0);
	w.evt = td_dp_shm_evt_ring(shm, 0);
	handoff[0] = rte_ring_create("bench_handoff", 64, 0, RING_F_SC_DEQ);
	w.handoff = handoff[0];
	w.handoff_to = handoff;
	if (td_rtp_init(&w, 1, lo, hi, 0, shm) < 0 || td_neigh_init(&w, 1, mp) < 0 ||
	    td_media_init(&w, 1, 1, mp, shm) < 0 || td_conf_init(&w, 1, 3 * calls) < 0)
		return 1;

	frames = malloc((size_t)calls * 3 * FRAME_LEN);
	uint32_t(*ids)[3] = malloc(sizeof(*ids) * calls);
	if (frames == NULL || ids == NULL)
		return 1;
	for (uint32_t k = 0; k < calls; k++) {
		for (int r = 0; r < 3; r++) {
			struct td_dp_msg m;
			uint32_t ip = htonl(0x0a010000 + 4 * k + (uint32_t)r);
			struct rte_ether_addr mac = {{0x02, 0, 0, 1, (uint8_t)(k >> 8), (uint8_t)k}};
			td_neigh_learn(&w, 0, ip, &mac);
			td_dp_msg_init(&m, TD_DP_CMD_SESSION_CREATE, 1);
			m.sess.remote_ip = ip;
			m.sess.remote_port = 4000;
			memcpy(m.sess.codec, "PCMA", 4);
			must(command(&m, &ids[k][r]), "session create");
			build_frame(frames[3 * k + (uint32_t)r], ip, our_ip, TD_DP_SESSION_PORT(ids[k][r]), k,
				    (uint8_t)(0x55 + 16 * r));
		}
		struct td_dp_msg m;
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_BRIDGE, 2);
		m.ref.session = ids[k][0];
		m.ref.peer = ids[k][1];
		must(command(&m, NULL), "bridge");
	}
	n_frames = 3 * calls;

	static const char *const modes[] = {"none", "off", "listen", "whisper", "barge"};
	double feed[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = rte_rdtsc();
		for (uint32_t f = 0; f < n; f++)
			step(mp, true);
		feed[r] = (double)(rte_rdtsc() - t0) / n;
	}
	qsort(feed, ROUNDS, sizeof(double), cmp_d);
	double hz = (double)rte_get_tsc_hz(), feed_ns = feed[ROUNDS / 2] * 1e9 / hz / calls;
	printf("%d calls, %u frames a round, feed alone %.0f ns per call-frame\n", calls, n, feed_ns);
	printf("%-8s %14s %16s\n", "mode", "ns/call-20ms", "calls per core");
	for (int mode = 0; mode < 5; mode++) {
		if (mode > 0)
			for (uint32_t k = 0; k < calls; k++) {
				struct td_dp_msg m;
				td_dp_msg_init(&m, TD_DP_CMD_MONITOR, 3);
				m.monitor = (struct td_dp_cmd_monitor){
					.agent = ids[k][1], .supervisor = ids[k][2], .mode = (uint8_t)(mode - 1)};
				must(command(&m, NULL), "monitor");
			}
		double t[ROUNDS];
		for (uint32_t f = 0; f < 10; f++)
			step(mp, false); /* the queues fill to their cushion */
		for (int r = 0; r < ROUNDS; r++) {
			uint64_t t0 = rte_rdtsc();
			for (uint32_t f = 0; f < n; f++)
				step(mp, false);
			t[r] = (double)(rte_rdtsc() - t0) / n;
		}
		qsort(t, ROUNDS, sizeof(double), cmp_d);
		double ns = t[ROUNDS / 2] * 1e9 / hz / calls - feed_ns;
		printf("%-8s %14.0f %16.0f\n", modes[mode], ns, ns > 0 ? 20e6 / ns : 0);
	}
	free(frames);
	free(ids);
	td_conf_fini(&w, 1);
	td_port_close_all();
	td_dp_shm_close(shm);
	rte_eal_cleanup();
	return 0;
}
