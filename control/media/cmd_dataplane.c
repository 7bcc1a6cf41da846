/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show dataplane`: the attached dataplane's generation, pid, state and
 * uptime, its ports (link, NIC counters), its workers (traffic, local
 * answers, rings, drops by reason) and the drop totals, read lock-free from
 * the segment (td_dp_stats_read, td_dp_port_read) on the event loop. Replies
 * at once; status 1 "dataplane not running: <why>" while detached.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_cmd.h"
#include "dp_link.h"
#include "mgmt/mgmt.h"

#define DROP_COLS_MAX 8 /* workers shown one column each in the drop table */

typedef unsigned long long ull;

static const char *
state_name(uint32_t s)
{
	switch (s) {
	case TD_DP_STATE_STARTING:
		return "starting";
	case TD_DP_STATE_RUNNING:
		return "running";
	case TD_DP_STATE_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

static const char *
event_name(uint16_t type)
{
	switch (type) {
	case TD_DP_EVT_ACK:
		return "ack";
	case TD_DP_EVT_SESSION_DUMP:
		return "session_dump";
	case TD_DP_EVT_FIRST_PACKET:
		return "first_packet";
	case TD_DP_EVT_SOURCE_CHANGED:
		return "source_changed";
	case TD_DP_EVT_MEDIA_TIMEOUT:
		return "media_timeout";
	default:
		return NULL;
	}
}

void
dp_cmd_not_running(struct td_mgmt_req *req)
{
	td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:b,s:s}", "running", 0, "reason", dp_link_reason()),
		      "dataplane not running: %s", dp_link_reason());
}

static void
port_json_text(const struct td_dp_port_info *p, uint32_t i, json_t *jports, FILE *t1, FILE *t2)
{
	char mac[18], ip[INET_ADDRSTRLEN] = "-", link[32];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1], p->mac[2], p->mac[3],
		 p->mac[4], p->mac[5]);
	if (p->ipv4)
		inet_ntop(AF_INET, &p->ipv4, ip, sizeof(ip));
	if (p->link_up)
		snprintf(link, sizeof(link), "up %u Mb/s", p->link_speed);
	else
		snprintf(link, sizeof(link), "down");
	fprintf(t1, "%-5u %-16s %-15s %-18s %-15s %-15s %4u %4u\n", i, p->name, p->driver, mac, ip, link, p->rx_queues,
		p->tx_queues);
	fprintf(t2, "%-5u %14llu %14llu %16llu %16llu %9llu %9llu %9llu %10llu\n", i, (ull)p->ipackets,
		(ull)p->opackets, (ull)p->ibytes, (ull)p->obytes, (ull)p->imissed, (ull)p->ierrors, (ull)p->oerrors,
		(ull)p->rx_nombuf);
	json_array_append_new(jports,
			      json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:I,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "id",
					(int)i, "name", p->name, "driver", p->driver, "mac", mac, "ipv4", ip, "link_up",
					(int)p->link_up, "speed", (json_int_t)p->link_speed, "rx_queues",
					(int)p->rx_queues, "tx_queues", (int)p->tx_queues, "ipackets",
					(json_int_t)p->ipackets, "opackets", (json_int_t)p->opackets, "ibytes",
					(json_int_t)p->ibytes, "obytes", (json_int_t)p->obytes, "imissed",
					(json_int_t)p->imissed, "ierrors", (json_int_t)p->ierrors, "oerrors",
					(json_int_t)p->oerrors, "rx_nombuf", (json_int_t)p->rx_nombuf));
}

static void
cmd_show_dataplane(struct td_mgmt_req *req, int argc, char **argv)
{
	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL) {
		dp_cmd_not_running(req);
		return;
	}
	const struct td_dp_shm_hdr *h = shm->hdr;
	uint32_t n_workers = h->n_workers, n_ports = h->n_ports, n_drops = h->n_drops;
	struct td_dp_worker_stats *ws = calloc(n_workers, sizeof(*ws));
	char *text = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	size_t len = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0;
	FILE *f = open_memstream(&text, &len), *t1 = open_memstream(&s1, &l1), *t2 = open_memstream(&s2, &l2);
	FILE *t3 = open_memstream(&s3, &l3), *t4 = open_memstream(&s4, &l4);
	if (ws == NULL || !f || !t1 || !t2 || !t3 || !t4) {
		FILE *all[] = {f, t1, t2, t3, t4};
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (all[i])
				fclose(all[i]);
		free(ws);
		free(text);
		free(s1);
		free(s2);
		free(s3);
		free(s4);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}

	/* Header. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t start_s = h->start_ns / 1000000000ull;
	uint64_t up = (uint64_t)now.tv_sec > start_s ? (uint64_t)now.tv_sec - start_s : 0;
	const char *state = state_name(__atomic_load_n(&h->state, __ATOMIC_ACQUIRE));
	char started[32] = "?";
	struct tm tm;
	time_t st = (time_t)start_s;
	if (localtime_r(&st, &tm))
		strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "dataplane generation %llu: pid %d, %s, up %llud %02llu:%02llu:%02llu (since %s)\n",
		(ull)h->generation, h->pid, state, (ull)(up / 86400), (ull)(up / 3600 % 24), (ull)(up / 60 % 60),
		(ull)(up % 60), started);
	fprintf(f, "%u worker%s, %u port%s, rings of %u\n", n_workers, n_workers == 1 ? "" : "s", n_ports,
		n_ports == 1 ? "" : "s", h->ring_size);

	/* Ports. */
	json_t *jports = json_array();
	for (uint32_t i = 0; i < n_ports; i++) {
		struct td_dp_port_info p;
		td_dp_port_read(&h->ports[i], &p);
		p.name[sizeof(p.name) - 1] = p.driver[sizeof(p.driver) - 1] = '\0';
		port_json_text(&p, i, jports, t1, t2);
	}
	fclose(t1);
	fclose(t2);
	if (n_ports) {
		fprintf(f, "\n%-5s %-16s %-15s %-18s %-15s %-15s %4s %4s\n%s", "port", "name", "driver", "mac", "ipv4",
			"link", "rxq", "txq", s1);
		fprintf(f, "\n%-5s %14s %14s %16s %16s %9s %9s %9s %10s\n%s", "port", "ipackets", "opackets", "ibytes",
			"obytes", "imissed", "ierrors", "oerrors", "rx_nombuf", s2);
	}

	/* Drop names are fixed-size fields: bound them. */
	char names[TD_DP_DROP_MAX][TD_DP_NAME_LEN + 1];
	for (uint32_t i = 0; i < n_drops; i++) {
		memcpy(names[i], h->drop_names[i], TD_DP_NAME_LEN);
		names[i][TD_DP_NAME_LEN] = '\0';
	}

	/* Workers. */
	json_t *jworkers = json_array(), *jdrops = json_object();
	uint64_t totals[TD_DP_DROP_MAX] = {0};
	for (uint32_t w = 0; w < n_workers; w++) {
		struct td_dp_worker_stats *s = &ws[w];
		const struct td_dp_worker_desc *d = &h->workers[w];
		uint64_t drops = 0;
		td_dp_stats_read(td_dp_shm_stats(shm, w), s);
		json_t *jd = json_object();
		for (uint32_t i = 0; i < n_drops; i++) {
			totals[i] += s->drops[i];
			drops += s->drops[i];
			if (s->drops[i])
				json_object_set_new(jd, names[i], json_integer((json_int_t)s->drops[i]));
		}
		char ports[16], sess[32];
		snprintf(ports, sizeof(ports), "%u-%u", d->rtp_port_lo, d->rtp_port_hi);
		snprintf(sess, sizeof(sess), "%llu/%u", (ull)s->sessions, d->n_sessions);
		fprintf(t3, "%-6u %5u %-12s %-11s %14llu %12llu %14llu %12llu %14llu\n", w, s->lcore_id, ports, sess,
			(ull)s->loops, (ull)s->rx_pkts, (ull)s->rx_bytes, (ull)s->tx_pkts, (ull)s->tx_bytes);
		fprintf(t4, "%-6u %11llu %12llu %10llu %10llu %15llu %12llu\n", w, (ull)s->arp_replies,
			(ull)s->icmp_echo_replies, (ull)s->cmds, (ull)s->events, (ull)s->event_ring_full, (ull)drops);
		json_t *jw = json_pack(
			"{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "index", (int)w,
			"lcore", (int)s->lcore_id, "loops", (json_int_t)s->loops, "busy_tsc", (json_int_t)s->busy_tsc,
			"rx_pkts", (json_int_t)s->rx_pkts, "rx_bytes", (json_int_t)s->rx_bytes, "tx_pkts",
			(json_int_t)s->tx_pkts, "tx_bytes", (json_int_t)s->tx_bytes, "arp_replies",
			(json_int_t)s->arp_replies, "arp_requests", (json_int_t)s->arp_requests, "icmp_echo_replies",
			(json_int_t)s->icmp_echo_replies, "cmds", (json_int_t)s->cmds, "events", (json_int_t)s->events,
			"event_ring_full", (json_int_t)s->event_ring_full, "handoff_in", (json_int_t)s->handoff_in,
			"handoff_out", (json_int_t)s->handoff_out, "sessions", (json_int_t)s->sessions);
		json_object_set_new(jw, "sessions_refused", json_integer((json_int_t)s->sessions_refused));
		json_object_set_new(jw, "session_budget", json_integer(d->n_sessions));
		json_object_set_new(jw, "rtp_port_lo", json_integer(d->rtp_port_lo));
		json_object_set_new(jw, "rtp_port_hi", json_integer(d->rtp_port_hi));
		json_object_set_new(jw, "drops", jd);
		json_array_append_new(jworkers, jw);
	}
	fclose(t3);
	fclose(t4);
	fprintf(f, "\n%-6s %5s %-12s %-11s %14s %12s %14s %12s %14s\n%s", "worker", "lcore", "rtp ports", "sessions",
		"loops", "rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes", s3);
	fprintf(f, "\n%-6s %11s %12s %10s %10s %15s %12s\n%s", "worker", "arp_replies", "echo_replies", "cmds",
		"events", "event_ring_full", "drops", s4);

	/* Drops by reason: every worker's column (up to a few), then the total. */
	bool any = false;
	uint32_t cols = n_workers <= DROP_COLS_MAX && n_workers > 1 ? n_workers : 0;
	for (uint32_t i = 0; i < n_drops; i++) {
		const char *name = names[i];
		json_object_set_new(jdrops, name, json_integer((json_int_t)totals[i]));
		if (totals[i] == 0)
			continue;
		if (!any) {
			fprintf(f, "\n%-32s", "drop reason");
			for (uint32_t w = 0; w < cols; w++)
				fprintf(f, " %9s%-3u", "worker ", w);
			fprintf(f, " %14s\n", "total");
			any = true;
		}
		fprintf(f, "%-32s", name);
		for (uint32_t w = 0; w < cols; w++)
			fprintf(f, " %12llu", (ull)ws[w].drops[i]);
		fprintf(f, " %14llu\n", (ull)totals[i]);
	}
	if (!any)
		fprintf(f, "\ndrops: none\n");

	/* What control itself saw on the rings. */
	struct dp_link_stats ls;
	dp_link_stats_get(&ls);
	json_t *jev = json_object();
	fprintf(f, "\nevents received:");
	for (uint16_t t = TD_DP_EVT_ACK; t < TD_DP_EVT_ACK + 64; t++) {
		const char *en = event_name(t);
		if (en == NULL)
			continue;
		json_object_set_new(jev, en, json_integer((json_int_t)dp_link_events(t)));
		fprintf(f, " %s %llu", en, (ull)dp_link_events(t));
	}
	fprintf(f, "\ncommands sent %llu, acked %llu, timed out %llu, not sent %llu, waiting %llu\n", (ull)ls.sent,
		(ull)ls.acked, (ull)ls.timeouts, (ull)ls.send_failed, (ull)ls.pending);
	fclose(f);
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';

	json_t *data = json_pack("{s:b,s:s,s:I,s:i,s:I,s:I,s:i,s:i,s:o,s:o,s:o}", "running", 1, "state", state,
				 "generation", (json_int_t)h->generation, "pid", (int)h->pid, "uptime_s",
				 (json_int_t)up, "start_ns", (json_int_t)h->start_ns, "n_workers", (int)n_workers,
				 "ring_size", (int)h->ring_size, "workers", jworkers, "ports", jports, "drops", jdrops);
	json_object_set_new(data, "tsc_hz", json_integer((json_int_t)h->tsc_hz));
	json_object_set_new(data, "events", jev);
	json_object_set_new(data, "commands",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "sent", (json_int_t)ls.sent, "acked",
				      (json_int_t)ls.acked, "timed_out", (json_int_t)ls.timeouts, "not_sent",
				      (json_int_t)ls.send_failed, "stray_acks", (json_int_t)ls.stray_acks, "waiting",
				      (json_int_t)ls.pending));
	td_mgmt_reply(req, TD_MGMT_OK, data, "%s", text);
	free(ws);
	free(text);
	free(s1);
	free(s2);
	free(s3);
	free(s4);
}

TD_CMD_REGISTER(show_dataplane, "show dataplane", "",
		"generation, uptime, ports, workers, counters and drops by reason", cmd_show_dataplane)
