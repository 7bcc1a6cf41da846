/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show dataplane`: generation, workers, ports, link state and counters,
 * drops by reason, read lock-free from the segment. `ping dataplane`: a
 * PING through every worker's rings, with the round trip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_link.h"
#include "mgmt/mgmt.h"

static void
not_running(struct td_mgmt_req *req)
{
	td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:b,s:s}", "running", 0, "reason", dp_link_reason()),
		      "dataplane not running: %s", dp_link_reason());
}

static uint64_t
realtime_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

#define APPEND(...)                                                             \
	do {                                                                    \
		int n_ = snprintf(text + off, sizeof(text) - off, __VA_ARGS__); \
		if (n_ > 0 && (size_t)n_ < sizeof(text) - off)                  \
			off += (size_t)n_;                                      \
	} while (0)

static void
cmd_show_dataplane(struct td_mgmt_req *req, int argc, char **argv)
{
	(void)argv;
	if (argc) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected argument '%s' (show dataplane takes none)",
			      argv[0]);
		return;
	}
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL) {
		not_running(req);
		return;
	}
	const struct td_dp_shm_hdr *h = shm->hdr;
	char text[16384];
	size_t off = 0;
	uint64_t totals[TD_DP_DROP_MAX] = {0};
	uint64_t up = realtime_s() - h->start_ns / 1000000000ull;

	APPEND("generation %llu, pid %d, up %llus, %u worker(s), %u port(s)\n", (unsigned long long)h->generation,
	       h->pid, (unsigned long long)up, h->n_workers, h->n_ports);
	json_t *jports = json_array();
	APPEND("ports:\n");
	for (uint32_t i = 0; i < h->n_ports; i++) {
		struct td_dp_port_info p;
		char mac[18], ip[INET_ADDRSTRLEN] = "-";
		td_dp_port_read(&h->ports[i], &p);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p.mac[0], p.mac[1], p.mac[2], p.mac[3],
			 p.mac[4], p.mac[5]);
		if (p.ipv4)
			inet_ntop(AF_INET, &p.ipv4, ip, sizeof(ip));
		APPEND("  %u %s (%s) %s %s link %s %u Mb/s, rx %llu pkts %llu bytes, tx %llu pkts %llu bytes, "
		       "missed %llu, rx errors %llu, tx errors %llu, no mbuf %llu\n",
		       i, p.name, p.driver, mac, ip, p.link_up ? "up" : "down", p.link_speed,
		       (unsigned long long)p.ipackets, (unsigned long long)p.ibytes, (unsigned long long)p.opackets,
		       (unsigned long long)p.obytes, (unsigned long long)p.imissed, (unsigned long long)p.ierrors,
		       (unsigned long long)p.oerrors, (unsigned long long)p.rx_nombuf);
		json_array_append_new(jports,
				      json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
						"id", i, "name", p.name, "driver", p.driver, "mac", mac, "ipv4", ip,
						"link_up", p.link_up, "speed", p.link_speed, "rx_queues", p.rx_queues,
						"tx_queues", p.tx_queues, "ipackets", (json_int_t)p.ipackets,
						"opackets", (json_int_t)p.opackets, "ibytes", (json_int_t)p.ibytes,
						"obytes", (json_int_t)p.obytes, "imissed", (json_int_t)p.imissed,
						"ierrors", (json_int_t)p.ierrors, "oerrors", (json_int_t)p.oerrors,
						"rx_nombuf", (json_int_t)p.rx_nombuf));
	}
	json_t *jworkers = json_array();
	APPEND("workers:\n");
	for (uint32_t w = 0; w < h->n_workers; w++) {
		struct td_dp_worker_stats s;
		const struct td_dp_worker_desc *d = &h->workers[w];
		td_dp_stats_read(td_dp_shm_stats(shm, w), &s);
		APPEND("  %u lcore %u ports %u-%u: rx %llu pkts, tx %llu pkts, arp replies %llu, echo replies %llu, "
		       "sessions %llu of %u, commands %llu, events %llu (lost %llu)\n",
		       w, s.lcore_id, d->rtp_port_lo, d->rtp_port_hi, (unsigned long long)s.rx_pkts,
		       (unsigned long long)s.tx_pkts, (unsigned long long)s.arp_replies,
		       (unsigned long long)s.icmp_echo_replies, (unsigned long long)s.sessions, d->n_sessions,
		       (unsigned long long)s.cmds, (unsigned long long)s.events, (unsigned long long)s.event_ring_full);
		json_t *jd = json_object();
		for (uint32_t i = 0; i < h->n_drops; i++) {
			totals[i] += s.drops[i];
			if (s.drops[i])
				json_object_set_new(jd, h->drop_names[i], json_integer((json_int_t)s.drops[i]));
		}
		json_array_append_new(
			jworkers,
			json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:o}",
				  "index", w, "lcore", s.lcore_id, "loops", (json_int_t)s.loops, "rx_pkts",
				  (json_int_t)s.rx_pkts, "rx_bytes", (json_int_t)s.rx_bytes, "tx_pkts",
				  (json_int_t)s.tx_pkts, "tx_bytes", (json_int_t)s.tx_bytes, "arp_replies",
				  (json_int_t)s.arp_replies, "arp_requests", (json_int_t)s.arp_requests,
				  "icmp_echo_replies", (json_int_t)s.icmp_echo_replies, "cmds", (json_int_t)s.cmds,
				  "events", (json_int_t)s.events, "event_ring_full", (json_int_t)s.event_ring_full,
				  "handoff_in", (json_int_t)s.handoff_in, "sessions", (json_int_t)s.sessions,
				  "sessions_refused", (json_int_t)s.sessions_refused, "session_budget", d->n_sessions,
				  "rtp_port_lo", d->rtp_port_lo, "rtp_port_hi", d->rtp_port_hi, "drops", jd));
	}
	json_t *jdrops = json_object();
	APPEND("drops:");
	bool any = false;
	for (uint32_t i = 0; i < h->n_drops; i++) {
		json_object_set_new(jdrops, h->drop_names[i], json_integer((json_int_t)totals[i]));
		if (totals[i]) {
			APPEND("\n  %-24s %llu", h->drop_names[i], (unsigned long long)totals[i]);
			any = true;
		}
	}
	if (!any)
		APPEND(" none");
	json_t *data =
		json_pack("{s:b,s:I,s:i,s:I,s:o,s:o,s:o}", "running", 1, "generation", (json_int_t)h->generation, "pid",
			  h->pid, "uptime_s", (json_int_t)up, "workers", jworkers, "ports", jports, "drops", jdrops);
	td_mgmt_reply(req, TD_MGMT_OK, data, "%s", text);
}

struct ping {
	struct td_mgmt_req *req;
	uint32_t n, done, failed;
	uint64_t sent_ns;
	json_t *list;
};

static void
ping_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct ping *p = arg;
	int res = ack ? ack->ack.result : err;
	uint64_t rtt_us = (td_dp_now_ns() - p->sent_ns) / 1000;

	json_array_append_new(p->list, json_pack("{s:i,s:i,s:I}", "worker", ack ? ack->hdr.worker : -1, "result", res,
						 "rtt_us", (json_int_t)rtt_us));
	if (res != 0)
		p->failed++;
	if (++p->done < p->n)
		return;
	char text[4096];
	size_t off = 0;
	size_t i;
	json_t *e;
	json_array_foreach (p->list, i, e) {
		int r = (int)json_integer_value(json_object_get(e, "result"));
		APPEND("worker %lld: %s, %lld us\n", json_integer_value(json_object_get(e, "worker")),
		       r == 0 ? "ok" : strerror(-r), json_integer_value(json_object_get(e, "rtt_us")));
	}
	if (off)
		text[off - 1] = '\0';
	td_mgmt_reply(p->req, p->failed ? TD_MGMT_FAILED : TD_MGMT_OK, json_pack("{s:o}", "workers", p->list), "%s",
		      text);
	free(p);
}

static void
cmd_ping_dataplane(struct td_mgmt_req *req, int argc, char **argv)
{
	if (argc) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected argument '%s' (ping dataplane takes none)",
			      argv[0]);
		return;
	}
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL) {
		not_running(req);
		return;
	}
	struct ping *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	p->req = req;
	p->n = shm->hdr->n_workers;
	p->list = json_array();
	p->sent_ns = td_dp_now_ns();
	uint32_t n = p->n;
	for (uint32_t w = 0; w < n; w++) {
		struct td_dp_msg m;
		td_dp_msg_init(&m, TD_DP_CMD_PING, 0);
		m.ping.cookie = w;
		int ret = dp_link_send(w, &m, ping_ack, p, 1000);
		if (ret < 0)
			ping_ack(p, NULL, ret); /* may reply and free p on the last */
	}
}

TD_CMD_REGISTER(show_dataplane, "show dataplane", "",
		"generation, workers, ports and link state, counters, drops by reason", cmd_show_dataplane)
TD_CMD_REGISTER(ping_dataplane, "ping dataplane", "", "a command round trip through every worker", cmd_ping_dataplane)
