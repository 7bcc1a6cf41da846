/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-relay: cycles per packet of the RTP relay on one core. The
 * dataplane's own worker code (td_eth_input -> rtp relay -> tx) runs on the
 * main lcore against net_null (whose tx frees the packets), fed with G.711
 * RTP frames for PAIRS bridged session pairs, over a sweep of burst sizes.
 * Each burst costs what an rx PMD would (mbuf allocation and a 214-byte
 * copy); the same loop without the relay is measured too, so that
 * "relay" = "total" - "feed" is the relay's own cost.
 *
 * Usage: td-bench-relay [--pairs N] [--packets N] [--bursts 8,32,...] [--json]
 * Exits non-zero if the relay did not relay every packet.
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

#include "dataplane/api/td_dp_shm.h"
#include "ctl/ctl.h"
#include "drop.h"
#include "net/neigh.h"
#include "net/net.h"
#include "port/port.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"

#define FRAME_LEN (14 + 20 + 8 + 12 + 160)
#define MAX_BURST 256

static struct td_worker w;
static struct rte_ring *handoff[1];
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
			fprintf(stderr, "td-bench-relay: command %u failed: %d\n", m->hdr.type, ack.ack.result);
			exit(3);
		}
		return ack.ack.session;
	}
	return 0;
}

/* An RTP frame from peer k's address to our port. */
static void
build_frame(uint8_t *f, const struct rte_ether_addr *dst, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
	    uint16_t dport, uint32_t k)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(udp + 1);

	memset(f, 0, FRAME_LEN);
	eth->dst_addr = *dst;
	eth->src_addr = (struct rte_ether_addr){{0x02, 0, 0, 0, (uint8_t)(k >> 8), (uint8_t)k}};
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(FRAME_LEN - 14);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src_ip;
	ip->dst_addr = dst_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(FRAME_LEN - 34);
	rtp[0] = 0x80;
	rtp[1] = 8;
	rtp[11] = (uint8_t)k;
	memset(rtp + 12, 0xd5, 160);
}

static int
parse_bursts(char *s, unsigned int *b, int max)
{
	int n = 0;
	for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ","))
		b[n++] = (unsigned int)atoi(t);
	return n;
}

int
main(int argc, char **argv)
{
	unsigned int pairs = 1000, bursts[8] = {8, 32, 64, 128, 256};
	int n_bursts = 5;
	uint64_t packets = 20000000;
	int json = 0;
	char prefix[32];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
			pairs = (unsigned int)atoi(argv[++i]);
		else if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc)
			packets = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--bursts") == 0 && i + 1 < argc)
			n_bursts = parse_bursts(argv[++i], bursts, 8);
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else {
			fprintf(stderr,
				"usage: td-bench-relay [--pairs N] [--packets N] [--bursts 8,32,..] [--json]\n");
			return 2;
		}
	}
	if (pairs == 0 || pairs > 4000 || n_bursts == 0) {
		fprintf(stderr, "td-bench-relay: --pairs 1..4000 and at least one burst size\n");
		return 2;
	}
	for (int i = 0; i < n_bursts; i++)
		if (bursts[i] == 0 || bursts[i] > MAX_BURST)
			return 2;

	snprintf(prefix, sizeof(prefix), "tdbench%d", getpid());
	char *eal[] = {"td-bench-relay", "-l",		"0",
		       "--no-huge",	 "-m",		"512",
		       "--no-pci",	 "--no-shconf", "--no-telemetry",
		       "--file-prefix",	 prefix,	"--log-level",
		       "lib.eal:error",	 "--vdev",	"net_null0"};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("bench", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	char err[256];
	uint32_t our_ip = htonl(0x0a000001);
	td_port_set_ipv4(0, our_ip, 16);
	if (mp == NULL || td_port_init_all(mp, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "td-bench-relay: %s\n", mp ? err : "no memory");
		return 1;
	}
	uint16_t lo = 20000, hi = (uint16_t)(lo + 4 * pairs + 3);
	struct td_dp_shm_conf conf = {1, 1024, td_rtp_slots(1, lo, hi, 0)};
	char name[64];
	snprintf(name, sizeof(name), "/td-bench-%d", getpid());
	shm = td_dp_shm_create(name, &conf);
	w.st = td_dp_shm_stats(shm, 0);
	w.cmd = td_dp_shm_cmd_ring(shm, 0);
	w.evt = td_dp_shm_evt_ring(shm, 0);
	handoff[0] = rte_ring_create("bench_handoff", 64, 0, RING_F_SC_DEQ);
	w.handoff = handoff[0];
	w.handoff_to = handoff;
	if (td_rtp_init(&w, 1, lo, hi, 0, shm) < 0 || td_neigh_init(&w, 1, mp) < 0)
		return 1;

	/* Pairs: A from its own 10.1.x.y:4000 (strict), B toward one of 64 far
	 * hosts 10.2.0.z:5000 (agents' phones, a trunk's media gateways). */
	uint8_t(*frames)[FRAME_LEN] = malloc((size_t)pairs * FRAME_LEN);
	for (uint32_t k = 0; k < pairs; k++) {
		struct td_dp_msg m;
		uint32_t a_ip = htonl(0x0a010000 + k), b_ip = htonl(0x0a020000 + k % 64);
		struct rte_ether_addr mac = {{0x02, 0, 0, 1, (uint8_t)(k >> 8), (uint8_t)k}};
		td_neigh_learn(&w, 0, a_ip, &mac);
		td_neigh_learn(&w, 0, b_ip, &mac);
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_CREATE, 1);
		m.sess.remote_ip = a_ip;
		m.sess.remote_port = 4000;
		m.sess.flags = TD_DP_SESS_F_STRICT_SOURCE;
		uint32_t a = command(&m);
		m.sess.remote_ip = b_ip;
		m.sess.remote_port = 5000;
		uint32_t b = command(&m);
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_BRIDGE, 2);
		m.ref.session = a;
		m.ref.peer = b;
		command(&m);
		build_frame(frames[k], &td_ports[0].mac, a_ip, 4000, our_ip, TD_DP_SESSION_PORT(a), k);
	}

	uint64_t hz = rte_get_tsc_hz();
	struct rte_mbuf *pkts[MAX_BURST];
	int status = 0;
	if (!json)
		printf("%-6s %12s %12s %12s %10s\n", "burst", "total c/pkt", "feed c/pkt", "relay c/pkt", "relay Mpps");
	for (int bi = 0; bi < n_bursts; bi++) {
		unsigned int burst = bursts[bi];
		uint64_t cyc[2] = {0, 0}, done[2] = {0, 0};
		/* pass 0: feed only (alloc, copy, tx to null); pass 1: feed + relay */
		for (int pass = 0; pass < 2; pass++) {
			uint32_t k = 0;
			struct td_dp_worker_stats before;
			td_dp_stats_read(w.st, &before);
			uint64_t t0 = rte_rdtsc();
			while (done[pass] < packets) {
				if (rte_pktmbuf_alloc_bulk(mp, pkts, burst) != 0)
					return 4;
				for (unsigned int i = 0; i < burst; i++) {
					memcpy(rte_pktmbuf_mtod(pkts[i], void *), frames[k], FRAME_LEN);
					pkts[i]->data_len = pkts[i]->pkt_len = FRAME_LEN;
					pkts[i]->port = td_ports[0].port_id;
					k = k + 1 == pairs ? 0 : k + 1;
				}
				if (pass == 0) {
					uint16_t sent = rte_eth_tx_burst(td_ports[0].port_id, 0, pkts, (uint16_t)burst);
					rte_pktmbuf_free_bulk(pkts + sent, burst - sent);
				} else {
					td_dp_seq_begin(&w.st->seq);
					w.st->rx_pkts += burst;
					td_eth_input(&w, 0, pkts, (uint16_t)burst);
					td_worker_flush(&w, 0);
					td_dp_seq_end(&w.st->seq);
				}
				done[pass] += burst;
			}
			cyc[pass] = rte_rdtsc() - t0;
			if (pass == 1) {
				struct td_dp_worker_stats after;
				td_dp_stats_read(w.st, &after);
				uint64_t relayed = after.tx_pkts - before.tx_pkts, dropped = 0;
				for (uint16_t i = 0; i < td_drop_count(); i++)
					dropped += after.drops[i] - before.drops[i];
				if (relayed != done[1] || dropped) {
					fprintf(stderr,
						"td-bench-relay: burst %u relayed %llu of %llu, %llu dropped:", burst,
						(unsigned long long)relayed, (unsigned long long)done[1],
						(unsigned long long)dropped);
					for (uint16_t i = 0; i < td_drop_count(); i++)
						if (after.drops[i] != before.drops[i])
							fprintf(stderr, " %s %llu", td_drop_name(i),
								(unsigned long long)(after.drops[i] - before.drops[i]));
					fprintf(stderr, "\n");
					status = 1;
				}
			}
		}
		double feed = (double)cyc[0] / (double)done[0], total = (double)cyc[1] / (double)done[1];
		double relay = total - feed, mpps = relay > 0 ? (double)hz / relay / 1e6 : 0;
		if (json)
			printf("{\"burst\":%u,\"pairs\":%u,\"packets\":%llu,\"total_cycles\":%.1f,\"feed_cycles\":%.1f,"
			       "\"relay_cycles\":%.1f,\"relay_mpps\":%.2f,\"tsc_hz\":%llu}\n",
			       burst, pairs, (unsigned long long)done[1], total, feed, relay, mpps,
			       (unsigned long long)hz);
		else
			printf("%-6u %12.1f %12.1f %12.1f %10.2f\n", burst, total, feed, relay, mpps);
		fflush(stdout);
	}
	free(frames);
	td_port_close_all();
	td_dp_shm_close(shm);
	rte_eal_cleanup();
	return status;
}
