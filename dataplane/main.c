/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tongdai-dataplane: the DPDK primary process. The main lcore initialises
 * EAL (every EAL option passes through untouched), sets up the ports, creates
 * the shared segment with one command and one event ring per worker, launches
 * the workers, then keeps house: heartbeat, port facts and the codec states
 * the workers released (re-initialised here) every 100 ms, until
 * SIGINT/SIGTERM. Nothing is left behind on any exit path: the segment is
 * created last and removed first.
 *
 * Usage: tongdai-dataplane [EAL options] -- [--ip A.B.C.D/N]... [--shm NAME]
 *        [--ring-size N] [--rtp-ports LO-HI] [--sessions N] [--transcoders N]
 *        [--busy-poll | --idle-sleep-us N] [--record-dir DIR] [--recordings N]
 *        [--record-buffers N] [--conf-slots N]
 * Exit: 0 clean stop, 1 start-up failure, 2 bad options.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "api/td_dp_shm.h"
#include "drop.h"
#include "conf/conf.h"
#include "media/media.h"
#include "media/xcode.h"
#include "net/neigh.h"
#include "port/port.h"
#include "record/record.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"

#define PROG		"tongdai-dataplane"
#define HOUSEKEEPING_US 100000

static struct {
	const char *shm_name;
	uint32_t ring_size;
	uint32_t idle_sleep_us;
	uint32_t rtp_lo, rtp_hi;
	uint32_t max_sessions;	/* per worker; 0: one per even port */
	uint32_t transcoders;	/* per worker */
	const char *record_dir; /* NULL: no recording */
	uint32_t recordings;	/* per worker */
	uint32_t record_buffers;
	uint32_t conf_slots; /* conference participants per worker */
} opt = {
	.shm_name = TD_DP_SHM_DEFAULT,
	.ring_size = TD_DP_RING_SIZE_DEFAULT,
	.idle_sleep_us = 100,
	.rtp_lo = 30000,
	.rtp_hi = 39999,
	.transcoders = TD_XCODE_DEFAULT,
	.recordings = TD_REC_SLOTS_DEFAULT,
	.record_buffers = TD_REC_BUFFERS_DEFAULT,
	.conf_slots = TD_CONF_DEFAULT_SLOTS,
};

static volatile sig_atomic_t quit;
static struct td_worker workers[TD_DP_MAX_WORKERS];
static struct rte_ring *handoff[TD_DP_MAX_WORKERS];

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [EAL options] -- [options]\n"
		"  --ip A.B.C.D[/N]   address of the next port, in port order (repeat per port)\n"
		"  --shm NAME         shared-memory segment name (default " TD_DP_SHM_DEFAULT ")\n"
		"  --ring-size N      command/event ring slots per worker, a power of two (default %u)\n"
		"  --rtp-ports LO-HI  UDP ports for media, split between the workers (default 30000-39999)\n"
		"  --sessions N       media sessions per worker at most (default: one per even port)\n"
		"  --transcoders N    transcoding pairs per worker at most, 0 .. %u (default %u)\n"
		"  --conf-slots N     conference participants per worker at most, 0 .. %u (default %u)\n"
		"  --idle-sleep-us N  idle workers sleep N us between polls (default 100)\n"
		"  --busy-poll        idle workers spin (production; same as --idle-sleep-us 0)\n"
		"  --record-dir DIR   write recordings under DIR (default: recording refused)\n"
		"  --recordings N     live recordings per worker at most, 1 .. 1024 (default %u)\n"
		"  --record-buffers N recording tap buffers, all workers, 64 .. 1048576 (default %u)\n"
		"  -h, --help         this text\n"
		"EAL options are DPDK's own, e.g. -l 0,1 --no-huge -m 256 --vdev net_af_packet0,iface=veth0\n",
		TD_DP_RING_SIZE_DEFAULT, TD_XCODE_MAX, TD_XCODE_DEFAULT, TD_CONF_SLOTS_MAX, TD_CONF_DEFAULT_SLOTS,
		TD_REC_SLOTS_DEFAULT, TD_REC_BUFFERS_DEFAULT);
}

static int
parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || x > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int
parse_ipv4(const char *s, uint32_t *ip, uint8_t *plen)
{
	char buf[32];
	uint32_t n = 32;
	char *slash;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_u32(slash + 1, &n) < 0 || n == 0 || n > 32)
			return -EINVAL;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1 || a.s_addr == 0)
		return -EINVAL;
	*ip = a.s_addr;
	*plen = (uint8_t)n;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ip", required_argument, NULL, 'i'},	       {"shm", required_argument, NULL, 's'},
		{"ring-size", required_argument, NULL, 'r'},   {"idle-sleep-us", required_argument, NULL, 'I'},
		{"busy-poll", no_argument, NULL, 'b'},	       {"help", no_argument, NULL, 'h'},
		{"rtp-ports", required_argument, NULL, 'p'},   {"sessions", required_argument, NULL, 'S'},
		{"transcoders", required_argument, NULL, 'T'}, {"record-dir", required_argument, NULL, 'R'},
		{"recordings", required_argument, NULL, 'N'},  {"record-buffers", required_argument, NULL, 'B'},
		{"conf-slots", required_argument, NULL, 'C'},  {NULL, 0, NULL, 0},
	};
	uint16_t n_ip = 0;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': {
			uint32_t ip;
			uint8_t plen;
			if (parse_ipv4(optarg, &ip, &plen) < 0 || td_port_set_ipv4(n_ip, ip, plen) < 0) {
				fprintf(stderr, PROG ": bad --ip '%s' (want A.B.C.D or A.B.C.D/N, at most %d)\n",
					optarg, TD_MAX_PORTS);
				return -EINVAL;
			}
			n_ip++;
			break;
		}
		case 's':
			opt.shm_name = optarg;
			break;
		case 'r':
			if (parse_u32(optarg, &opt.ring_size) < 0 || opt.ring_size < 2 ||
			    (opt.ring_size & (opt.ring_size - 1)) || opt.ring_size > (1u << 20)) {
				fprintf(stderr, PROG ": bad --ring-size '%s' (a power of two, 2 .. 1048576)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'I':
			if (parse_u32(optarg, &opt.idle_sleep_us) < 0 || opt.idle_sleep_us > 1000000) {
				fprintf(stderr, PROG ": bad --idle-sleep-us '%s' (0 .. 1000000)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'b':
			opt.idle_sleep_us = 0;
			break;
		case 'p': {
			char lo[16], hi[16], extra;
			if (sscanf(optarg, "%15[0-9]-%15[0-9]%c", lo, hi, &extra) != 2 ||
			    parse_u32(lo, &opt.rtp_lo) < 0 || parse_u32(hi, &opt.rtp_hi) < 0 || opt.rtp_lo < 1024 ||
			    (opt.rtp_lo & 1) || opt.rtp_hi > 65535 || opt.rtp_hi <= opt.rtp_lo) {
				fprintf(stderr,
					PROG ": bad --rtp-ports '%s' (LO-HI, LO even and >= 1024, HI <= 65535)\n",
					optarg);
				return -EINVAL;
			}
			break;
		}
		case 'S':
			if (parse_u32(optarg, &opt.max_sessions) < 0 || opt.max_sessions == 0 ||
			    opt.max_sessions > 32768) {
				fprintf(stderr, PROG ": bad --sessions '%s' (1 .. 32768)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'T':
			if (parse_u32(optarg, &opt.transcoders) < 0 || opt.transcoders > TD_XCODE_MAX) {
				fprintf(stderr, PROG ": bad --transcoders '%s' (0 .. %u)\n", optarg, TD_XCODE_MAX);
				return -EINVAL;
			}
			break;
		case 'R':
			if (optarg[0] == '\0') {
				fprintf(stderr, PROG ": bad --record-dir '' (a directory)\n");
				return -EINVAL;
			}
			opt.record_dir = optarg;
			break;
		case 'N':
			if (parse_u32(optarg, &opt.recordings) < 0 || opt.recordings == 0 || opt.recordings > 1024) {
				fprintf(stderr, PROG ": bad --recordings '%s' (1 .. 1024)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'B':
			if (parse_u32(optarg, &opt.record_buffers) < 0 || opt.record_buffers < 64 ||
			    opt.record_buffers > (1u << 20)) {
				fprintf(stderr, PROG ": bad --record-buffers '%s' (64 .. 1048576)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'C':
			if (parse_u32(optarg, &opt.conf_slots) < 0 || opt.conf_slots > TD_CONF_SLOTS_MAX) {
				fprintf(stderr, PROG ": bad --conf-slots '%s' (0 .. %u)\n", optarg, TD_CONF_SLOTS_MAX);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, PROG ": option '%s' needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static struct rte_mempool *
pool_create(uint16_t n_workers)
{
	/* Every rx and tx descriptor of every queue may hold an mbuf, plus one
	 * burst per worker in flight and the per-lcore caches. */
	unsigned int n = rte_eth_dev_count_avail() * n_workers * (TD_RX_DESC + TD_TX_DESC) +
			 (n_workers + 1) * (256 + TD_RX_BURST * 2);
	if (n < 8191)
		n = 8191;
	return rte_pktmbuf_pool_create("td_mbuf", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
}

static struct td_dp_shm *
segment_create(uint16_t n_workers)
{
	struct td_dp_shm_conf conf = {
		.n_workers = n_workers,
		.ring_size = opt.ring_size,
		.sessions_per_worker = td_rtp_slots(n_workers, opt.rtp_lo, opt.rtp_hi, opt.max_sessions),
	};
	struct td_dp_shm *shm = td_dp_shm_create(opt.shm_name, &conf);
	if (shm == NULL) {
		if (errno == EEXIST)
			fprintf(stderr, PROG ": another dataplane is running on segment %s\n", opt.shm_name);
		else
			fprintf(stderr, PROG ": cannot create segment %s: %s\n", opt.shm_name, strerror(errno));
		return NULL;
	}
	struct td_dp_shm_hdr *h = shm->hdr;
	h->n_drops = td_drop_count();
	for (uint16_t i = 0; i < h->n_drops; i++)
		snprintf(h->drop_names[i], TD_DP_NAME_LEN, "%s", td_drop_name(i));
	h->tsc_hz = rte_get_tsc_hz();
	h->heartbeat_tsc = rte_rdtsc();
	td_port_publish(h);
	return shm;
}

/* Everything a worker owns besides its rings: sessions, neighbours, the
 * ring other workers hand it packets on. */
static int
workers_prepare(struct td_dp_shm *shm, uint16_t n_workers, struct rte_mempool *mp)
{
	int ret;

	if (td_rtp_slots(n_workers, opt.rtp_lo, opt.rtp_hi, opt.max_sessions) == 0) {
		fprintf(stderr, PROG ": --rtp-ports %u-%u is too small for %u workers\n", opt.rtp_lo, opt.rtp_hi,
			n_workers);
		return -EINVAL;
	}
	ret = td_rtp_init(workers, n_workers, opt.rtp_lo, opt.rtp_hi, opt.max_sessions, shm);
	if (ret == 0)
		ret = td_neigh_init(workers, n_workers, mp);
	/* Every codec state is made here, before the workers run: some codec
	 * libraries allocate when they initialise. */
	if (ret == 0)
		ret = td_media_init(workers, n_workers, opt.transcoders, mp, shm);
	if (ret == 0 &&
	    (ret = td_rec_init(workers, n_workers, opt.record_dir, opt.recordings, opt.record_buffers)) < 0) {
		fprintf(stderr, PROG ": cannot record in --record-dir %s: %s\n", opt.record_dir, strerror(-ret));
		return ret;
	}
	if (ret == 0)
		ret = td_conf_init(workers, n_workers, opt.conf_slots);
	for (uint16_t i = 0; ret == 0 && i < n_workers; i++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "td_handoff_%u", i);
		handoff[i] = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (handoff[i] == NULL)
			ret = -ENOMEM;
		workers[i].handoff = handoff[i];
		workers[i].handoff_to = handoff;
	}
	if (ret < 0)
		fprintf(stderr, PROG ": cannot prepare the workers: %s (more memory: -m, or hugepages)\n",
			strerror(-ret));
	return ret;
}

static void
workers_release(uint16_t n_workers)
{
	td_rtp_fini(workers, n_workers);
	td_neigh_fini(workers, n_workers);
	td_conf_fini(workers, n_workers);
	td_media_fini(workers, n_workers);
	td_rec_fini(workers, n_workers);
	for (uint16_t i = 0; i < n_workers; i++) {
		struct rte_mbuf *m = NULL;
		while (handoff[i] && rte_ring_dequeue(handoff[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(handoff[i]);
		handoff[i] = NULL;
	}
}

int
main(int argc, char **argv)
{
	struct td_dp_shm *shm = NULL;
	struct rte_mempool *mp;
	char err[256];
	int ret, status = 1;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, PROG ": EAL initialisation failed: %s (check the EAL options before '--')\n",
			rte_strerror(rte_errno));
		return 2;
	}
	argc -= ret;
	argv += ret;
	argv[0] = PROG;
	if (parse_args(argc, argv) < 0) {
		rte_eal_cleanup();
		return 2;
	}

	unsigned int n_lcores = rte_lcore_count();
	if (n_lcores < 2 || n_lcores - 1 > TD_DP_MAX_WORKERS) {
		fprintf(stderr, PROG ": need the main lcore and 1 to %d workers (e.g. -l 0,1), got %u lcores\n",
			TD_DP_MAX_WORKERS, n_lcores);
		rte_eal_cleanup();
		return 2;
	}
	uint16_t n_workers = n_lcores - 1;

	mp = pool_create(n_workers);
	if (mp == NULL) {
		fprintf(stderr, PROG ": cannot allocate packet buffers: %s (more memory: -m, or hugepages)\n",
			rte_strerror(rte_errno));
		goto out;
	}
	if (td_port_init_all(mp, n_workers, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	shm = segment_create(n_workers);
	if (shm == NULL)
		goto out;
	if (workers_prepare(shm, n_workers, mp) < 0)
		goto out;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* A file-size limit ends a recording as a full disk does (EFBIG),
	 * not the process. */
	signal(SIGXFSZ, SIG_IGN);
	if ((ret = td_recorder_start()) < 0) {
		fprintf(stderr, PROG ": cannot start the recorder thread: %s\n", strerror(-ret));
		goto out;
	}

	unsigned int lcore, w = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		struct td_worker *wk = &workers[w];
		wk->index = (uint16_t)w;
		wk->lcore_id = lcore;
		wk->st = td_dp_shm_stats(shm, w);
		wk->st->lcore_id = lcore;
		wk->cmd = td_dp_shm_cmd_ring(shm, w);
		wk->evt = td_dp_shm_evt_ring(shm, w);
		wk->idle_sleep_us = opt.idle_sleep_us;
		shm->hdr->workers[w].lcore_id = lcore;
		rte_eal_remote_launch(td_worker_main, wk, lcore);
		w++;
	}
	td_dp_shm_publish(shm);

	printf(PROG ": running, generation %llu, %u worker(s), segment %s\n", (unsigned long long)shm->hdr->generation,
	       n_workers, opt.shm_name);
	for (uint16_t i = 0; i < td_n_ports; i++) {
		char ip[INET_ADDRSTRLEN] = "-";
		struct in_addr a = {.s_addr = td_ports[i].ipv4};
		if (a.s_addr)
			inet_ntop(AF_INET, &a, ip, sizeof(ip));
		printf(PROG ": port %u (%s) " RTE_ETHER_ADDR_PRT_FMT " %s\n", i, shm->hdr->ports[i].name,
		       RTE_ETHER_ADDR_BYTES(&td_ports[i].mac), ip);
	}
	fflush(stdout);

	while (!quit) {
		usleep(HOUSEKEEPING_US);
		__atomic_store_n(&shm->hdr->heartbeat_tsc, rte_rdtsc(), __ATOMIC_RELAXED);
		__atomic_store_n(&shm->hdr->heartbeat_ns, td_dp_now_ns(), __ATOMIC_RELAXED);
		td_port_publish(shm->hdr);
		td_media_service(workers, n_workers);
	}
	printf(PROG ": stopping\n");
	status = 0;
	td_worker_stop();
	rte_eal_mp_wait_lcore();
	td_recorder_stop();
out:
	/* The segment goes first: readers must not see a dataplane that is
	 * no longer serving. */
	td_dp_shm_close(shm);
	td_port_close_all();
	workers_release(n_workers);
	if (mp)
		rte_mempool_free(mp);
	rte_eal_cleanup();
	return status;
}
