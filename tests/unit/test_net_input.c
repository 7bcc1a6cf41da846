/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's own network stack (dataplane/net/): ARP replies (RFC 826),
 * ICMP echo replies (RFC 792) and the IPv4 checks (RFC 791, RFC 1812
 * §5.2.2). Frames are built byte by byte and fed to td_eth_input() on a worker
 * made by hand: EAL runs without hugepages and no port is started, since
 * replies only queue in w.tx. Each malformed class must land under exactly its
 * own drop name with nothing queued, and every mbuf must be back in the pool
 * after each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "drop.h"
#include "net/neigh.h"
#include "net/net.h"
#include "port/port.h"
#include "worker/worker.h"

#define POOL_SIZE 255

TD_DROP_DECLARE(eth_short);
TD_DROP_DECLARE(arp_not_for_us);
TD_DROP_DECLARE(ip_bad_checksum);
TD_DROP_DECLARE(udp_no_session);

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6] = {0};
static const uint8_t our_ip[4] = {192, 0, 2, 1};
static const uint8_t peer_ip[4] = {192, 0, 2, 2};
static const uint8_t other_ip[4] = {192, 0, 2, 99};

static struct rte_mempool *mp;
static struct td_dp_worker_stats stats;
static struct td_worker w;

/* Frame building, in network byte order, independent of DPDK's structs. */

struct frame {
	uint8_t b[256];
	uint16_t len;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071: one's complement of the one's complement sum of 16-bit words. */
static uint16_t
cksum(const uint8_t *p, uint16_t len)
{
	uint32_t sum = 0;
	for (uint16_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put16(f->b + 12, type);
	f->len = 14;
}

static void
arp(struct frame *f, const uint8_t *dst, uint16_t op, const uint8_t *sha, const uint8_t *spa, const uint8_t *tha,
    const uint8_t *tpa)
{
	eth(f, dst, sha, 0x0806);
	uint8_t *a = f->b + 14;
	put16(a, 1);	      /* hardware: Ethernet */
	put16(a + 2, 0x0800); /* protocol: IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	f->len = 14 + 28;
}

/* An IPv4 header of 20 bytes with a correct checksum; l4 bytes follow. */
static uint8_t *
ipv4(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t l4)
{
	eth(f, our_mac, peer_mac, 0x0800);
	uint8_t *ip = f->b + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 20 + l4);
	put16(ip + 4, 0x1234); /* identification */
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, cksum(ip, 20));
	f->len = 14 + 20 + l4;
	return ip + 20;
}

static void
ip_recksum(struct frame *f)
{
	uint8_t *ip = f->b + 14;
	put16(ip + 10, 0);
	put16(ip + 10, cksum(ip, (uint16_t)((ip[0] & 0xf) * 4)));
}

/* ICMP of type/code with id 0x4242, sequence 7 and `data` payload bytes. */
static void
icmp(struct frame *f, uint8_t type, uint8_t code, uint16_t data)
{
	uint8_t *c = ipv4(f, peer_ip, our_ip, 1, 8 + data);
	c[0] = type;
	c[1] = code;
	put16(c + 2, 0);
	put16(c + 4, 0x4242);
	put16(c + 6, 7);
	for (uint16_t i = 0; i < data; i++)
		c[8 + i] = (uint8_t)(0xa0 + i);
	put16(c + 2, cksum(c, 8 + data));
}

static struct rte_mbuf *
mbuf_of(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, f->len);
	assert_non_null(p);
	memcpy(p, f->b, f->len);
	return m;
}

static uint16_t
drop_id(const char *name)
{
	for (uint16_t i = 0; i < td_drop_count(); i++)
		if (strcmp(td_drop_name(i), name) == 0)
			return i;
	fail_msg("no drop reason named %s", name);
	return UINT16_MAX;
}

static uint64_t
drops_total(const struct td_dp_worker_stats *st)
{
	uint64_t n = 0;
	for (uint16_t i = 0; i < TD_DP_DROP_MAX; i++)
		n += st->drops[i];
	return n;
}

/* Per-test setup: a failed test may leave replies queued; they must not
 * fail the next one. */
static int
tx_reset(void **state)
{
	(void)state;
	for (uint16_t i = 0; i < w.tx[0].n; i++)
		rte_pktmbuf_free(w.tx[0].pkts[i]);
	w.tx[0].n = 0;
	return 0;
}

/* Frees what the worker queued, then checks that every mbuf is back. */
static void
tx_drain(void)
{
	tx_reset(NULL);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

/* One frame in; it must be dropped under `reason` alone, with no reply. */
static void
expect_drop(const struct frame *f, const char *reason)
{
	struct td_dp_worker_stats before = stats;
	struct rte_mbuf *m = mbuf_of(f);
	uint16_t id = drop_id(reason);

	assert_int_equal(td_eth_input(&w, 0, &m, 1), 1);
	if (stats.drops[id] != before.drops[id] + 1)
		fail_msg("%s: counted %llu, expected %llu", reason, (unsigned long long)stats.drops[id],
			 (unsigned long long)before.drops[id] + 1);
	assert_int_equal(drops_total(&stats), drops_total(&before) + 1);
	assert_int_equal(w.tx[0].n, 0);
	assert_int_equal(stats.arp_replies, before.arp_replies);
	assert_int_equal(stats.icmp_echo_replies, before.icmp_echo_replies);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

static int
group_setup(void **state)
{
	(void)state;
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "td_test_net_%d", (int)getpid());
	char *eal[] = {
		"test_net_input", "--no-huge",	    "-m",   "128",	   "--no-pci",
		"--no-shconf",	  "--no-telemetry", "-l",   "0",	   "--vdev",
		"net_null0",	  "--file-prefix",  prefix, "--log-level", "lib.eal:error",
	};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return -1;
	/* No per-lcore cache: the available count is then exact. */
	mp = rte_pktmbuf_pool_create("td_test_net", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return -1;

	memset(&td_ports[0], 0, sizeof(td_ports[0]));
	td_ports[0].port_id = 0;
	td_ports[0].n_queues = 1;
	memcpy(td_ports[0].mac.addr_bytes, our_mac, 6);
	memcpy(&td_ports[0].ipv4, our_ip, 4);
	td_ports[0].plen = 24;
	td_n_ports = 1;

	w.index = 0;
	w.st = &stats;
	if (td_neigh_init(&w, 1, mp) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	td_neigh_fini(&w, 1);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}

static void
test_drop_names_registered(void **state)
{
	(void)state;
	static const char *const names[] = {
		"eth_short",	   "eth_not_for_us", "eth_unknown_type", "arp_bad",	  "arp_not_for_us",
		"arp_not_request", "ip_short",	     "ip_bad_version",	 "ip_bad_length", "ip_bad_checksum",
		"ip_not_for_us",   "ip_fragment",    "ip_unknown_proto", "icmp_short",	  "icmp_bad_checksum",
		"icmp_unhandled",  "udp_no_session",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		drop_id(names[i]);
	/* The names are the globals the code counts with. */
	assert_int_equal(drop_id("eth_short"), td_drop_eth_short);
	assert_int_equal(drop_id("udp_no_session"), td_drop_udp_no_session);
}

/* RFC 826 "Packet reception": the request comes back as a reply from us. */
static void
test_arp_request_answered(void **state)
{
	(void)state;
	struct frame f;
	uint64_t replies = stats.arp_replies;
	uint64_t drops = drops_total(&stats);

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	struct rte_mbuf *m = mbuf_of(&f);
	assert_int_equal(td_eth_input(&w, 0, &m, 1), 1);
	assert_int_equal(stats.arp_replies, replies + 1);
	assert_int_equal(drops_total(&stats), drops);
	assert_int_equal(w.tx[0].n, 1);

	struct rte_mbuf *r = w.tx[0].pkts[0];
	assert_int_equal(rte_pktmbuf_pkt_len(r), 42);
	const uint8_t *b = rte_pktmbuf_mtod(r, const uint8_t *);
	assert_memory_equal(b, peer_mac, 6);
	assert_memory_equal(b + 6, our_mac, 6);
	assert_int_equal(get16(b + 12), 0x0806);
	const uint8_t *a = b + 14;
	assert_int_equal(get16(a), 1);
	assert_int_equal(get16(a + 2), 0x0800);
	assert_int_equal(a[4], 6);
	assert_int_equal(a[5], 4);
	assert_int_equal(get16(a + 6), 2); /* reply */
	assert_memory_equal(a + 8, our_mac, 6);
	assert_memory_equal(a + 14, our_ip, 4);
	assert_memory_equal(a + 18, peer_mac, 6);
	assert_memory_equal(a + 24, peer_ip, 4);
	tx_drain();
}

/* An ARP reply to us teaches us the sender and is consumed, not dropped. */
static void
test_arp_reply_learnt(void **state)
{
	(void)state;
	struct frame f;
	struct td_dp_worker_stats before = stats;
	static const uint8_t ip[4] = {192, 0, 2, 3};
	static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};

	arp(&f, our_mac, 2, mac, ip, our_mac, our_ip);
	struct rte_mbuf *m = mbuf_of(&f);
	assert_int_equal(td_eth_input(&w, 0, &m, 1), 1);
	assert_int_equal(w.tx[0].n, 0);
	assert_int_equal(drops_total(&stats), drops_total(&before));
	assert_int_equal(stats.arp_replies, before.arp_replies);
	assert_int_equal(stats.neigh_learned, before.neigh_learned + 1);
	tx_drain();
}

/* RFC 792 echo: same identifier, sequence and data, type 0, addresses
 * swapped, both checksums valid; the Ethernet padding is not echoed. */
static void
test_icmp_echo_answered(void **state)
{
	(void)state;
	struct frame f;
	uint64_t replies = stats.icmp_echo_replies;
	uint64_t drops = drops_total(&stats);

	icmp(&f, 8, 0, 5); /* IPv4 total length 33: the frame is padded to 60 */
	struct frame req = f;
	memset(f.b + f.len, 0, 60 - f.len);
	f.len = 60;
	struct rte_mbuf *m = mbuf_of(&f);
	assert_int_equal(td_eth_input(&w, 0, &m, 1), 1);
	assert_int_equal(stats.icmp_echo_replies, replies + 1);
	assert_int_equal(drops_total(&stats), drops);
	assert_int_equal(w.tx[0].n, 1);

	struct rte_mbuf *r = w.tx[0].pkts[0];
	assert_int_equal(r->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(r), 14 + 33);
	assert_int_equal(rte_pktmbuf_data_len(r), 14 + 33);
	const uint8_t *b = rte_pktmbuf_mtod(r, const uint8_t *);
	assert_memory_equal(b, peer_mac, 6);
	assert_memory_equal(b + 6, our_mac, 6);
	assert_int_equal(get16(b + 12), 0x0800);

	const uint8_t *ip = b + 14;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get16(ip + 2), 33);
	assert_int_equal(ip[9], 1);
	assert_true(ip[8] > 0);
	assert_memory_equal(ip + 12, our_ip, 4);
	assert_memory_equal(ip + 16, peer_ip, 4);
	assert_int_equal(cksum(ip, 20), 0);

	const uint8_t *c = ip + 20;
	const uint8_t *q = req.b + 14 + 20;
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 0);
	assert_int_equal(cksum(c, 13), 0);
	assert_memory_equal(c + 4, q + 4, 4 + 5); /* identifier, sequence, data */
	tx_drain();
}

/* A burst mixing answers and drops: each is handled on its own. */
static void
test_mixed_burst(void **state)
{
	(void)state;
	struct frame f;
	struct rte_mbuf *pkts[4];
	struct td_dp_worker_stats before = stats;

	icmp(&f, 8, 0, 16);
	pkts[0] = mbuf_of(&f);
	f.b[14 + 10] ^= 0xff; /* IP checksum */
	pkts[1] = mbuf_of(&f);
	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	pkts[2] = mbuf_of(&f);
	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, other_ip);
	pkts[3] = mbuf_of(&f);

	assert_int_equal(td_eth_input(&w, 0, pkts, 4), 4);
	assert_int_equal(w.tx[0].n, 2);
	assert_int_equal(stats.icmp_echo_replies, before.icmp_echo_replies + 1);
	assert_int_equal(stats.arp_replies, before.arp_replies + 1);
	assert_int_equal(drops_total(&stats), drops_total(&before) + 2);
	assert_int_equal(stats.drops[td_drop_ip_bad_checksum], before.drops[td_drop_ip_bad_checksum] + 1);
	assert_int_equal(stats.drops[td_drop_arp_not_for_us], before.drops[td_drop_arp_not_for_us] + 1);
	assert_int_equal(get16(rte_pktmbuf_mtod(w.tx[0].pkts[0], uint8_t *) + 12), 0x0800);
	assert_int_equal(get16(rte_pktmbuf_mtod(w.tx[0].pkts[1], uint8_t *) + 12), 0x0806);
	tx_drain();
}

static void
test_eth_drops(void **state)
{
	(void)state;
	struct frame f;

	eth(&f, our_mac, peer_mac, 0x0800);
	f.len = 10;
	expect_drop(&f, "eth_short");

	icmp(&f, 8, 0, 4);
	memcpy(f.b, other_mac, 6);
	expect_drop(&f, "eth_not_for_us");

	/* A multicast address that is not broadcast is not ours either. */
	icmp(&f, 8, 0, 4);
	memcpy(f.b, (const uint8_t[]){0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, 6);
	expect_drop(&f, "eth_not_for_us");

	eth(&f, our_mac, peer_mac, 0x86dd); /* IPv6 */
	memset(f.b + 14, 0, 40);
	f.b[14] = 0x60;
	f.len = 14 + 40;
	expect_drop(&f, "eth_unknown_type");
	tx_drain();
}

static void
test_arp_drops(void **state)
{
	(void)state;
	struct frame f;

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	f.len = 14 + 20; /* cut inside the addresses */
	expect_drop(&f, "arp_bad");

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	put16(f.b + 14, 6); /* hardware: IEEE 802 */
	expect_drop(&f, "arp_bad");

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	put16(f.b + 16, 0x86dd); /* protocol: IPv6 */
	expect_drop(&f, "arp_bad");

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	f.b[14 + 4] = 8; /* hardware address length */
	expect_drop(&f, "arp_bad");

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, our_ip);
	f.b[14 + 5] = 16; /* protocol address length */
	expect_drop(&f, "arp_bad");

	arp(&f, bcast_mac, 1, peer_mac, peer_ip, zero_mac, other_ip);
	expect_drop(&f, "arp_not_for_us");

	arp(&f, bcast_mac, 3, peer_mac, peer_ip, zero_mac, our_ip); /* RARP request */
	expect_drop(&f, "arp_not_request");
	tx_drain();
}

static void
test_ip_drops(void **state)
{
	(void)state;
	struct frame f;

	eth(&f, our_mac, peer_mac, 0x0800);
	memset(f.b + 14, 0, 19);
	f.b[14] = 0x45;
	f.len = 14 + 19;
	expect_drop(&f, "ip_short");

	icmp(&f, 8, 0, 4);
	f.b[14] = 0x65; /* version 6 behind the IPv4 ethertype */
	ip_recksum(&f);
	expect_drop(&f, "ip_bad_version");

	icmp(&f, 8, 0, 4);
	f.b[14] = 0x44; /* header of four words */
	expect_drop(&f, "ip_bad_length");

	icmp(&f, 8, 0, 4);
	put16(f.b + 14 + 2, get16(f.b + 14 + 2) + 1); /* one byte beyond the frame */
	ip_recksum(&f);
	expect_drop(&f, "ip_bad_length");

	icmp(&f, 8, 0, 4);
	f.b[14] = 0x46; /* options claimed... */
	put16(f.b + 14 + 2, 20);
	ip_recksum(&f);
	expect_drop(&f, "ip_bad_length"); /* ...longer than the total length */

	icmp(&f, 8, 0, 4);
	f.b[14 + 10] ^= 0x01;
	expect_drop(&f, "ip_bad_checksum");

	icmp(&f, 8, 0, 4);
	memcpy(f.b + 14 + 16, other_ip, 4);
	ip_recksum(&f);
	expect_drop(&f, "ip_not_for_us");

	/* Broadcast at the link layer does not make a foreign IP ours. */
	icmp(&f, 8, 0, 4);
	memcpy(f.b, bcast_mac, 6);
	memcpy(f.b + 14 + 16, (const uint8_t[]){192, 0, 2, 255}, 4);
	ip_recksum(&f);
	expect_drop(&f, "ip_not_for_us");

	icmp(&f, 8, 0, 4);
	put16(f.b + 14 + 6, 0x2000); /* more fragments */
	ip_recksum(&f);
	expect_drop(&f, "ip_fragment");

	icmp(&f, 8, 0, 4);
	put16(f.b + 14 + 6, 0x0001); /* last fragment, offset 8 bytes */
	ip_recksum(&f);
	expect_drop(&f, "ip_fragment");

	ipv4(&f, peer_ip, our_ip, 6, 20); /* TCP */
	expect_drop(&f, "ip_unknown_proto");
	tx_drain();
}

static void
test_icmp_udp_drops(void **state)
{
	(void)state;
	struct frame f;

	uint8_t *c = ipv4(&f, peer_ip, our_ip, 1, 4);
	c[0] = 8;
	c[1] = 0;
	put16(c + 2, 0xf7ff);
	expect_drop(&f, "icmp_short");

	icmp(&f, 8, 0, 4);
	f.b[14 + 20 + 8] ^= 0xff; /* data changed after the checksum */
	expect_drop(&f, "icmp_bad_checksum");

	icmp(&f, 0, 0, 4); /* an echo reply */
	expect_drop(&f, "icmp_unhandled");

	icmp(&f, 13, 0, 12); /* timestamp request */
	expect_drop(&f, "icmp_unhandled");

	icmp(&f, 8, 1, 4); /* echo with a code it does not have */
	expect_drop(&f, "icmp_unhandled");

	c = ipv4(&f, peer_ip, our_ip, 17, 8 + 12);
	put16(c, 5060);
	put16(c + 2, 40000); /* no worker owns it: no ranges configured */
	put16(c + 4, 8 + 12);
	put16(c + 6, 0);
	memset(c + 8, 0x80, 12);
	expect_drop(&f, "udp_no_session");
	tx_drain();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_drop_names_registered, tx_reset),
		cmocka_unit_test_setup(test_arp_request_answered, tx_reset),
		cmocka_unit_test_setup(test_arp_reply_learnt, tx_reset),
		cmocka_unit_test_setup(test_icmp_echo_answered, tx_reset),
		cmocka_unit_test_setup(test_mixed_burst, tx_reset),
		cmocka_unit_test_setup(test_eth_drops, tx_reset),
		cmocka_unit_test_setup(test_arp_drops, tx_reset),
		cmocka_unit_test_setup(test_ip_drops, tx_reset),
		cmocka_unit_test_setup(test_icmp_udp_drops, tx_reset),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
