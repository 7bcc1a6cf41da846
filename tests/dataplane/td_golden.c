/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-golden: runs the dataplane's worker code on one net_pcap port (pcap in,
 * pcap out) under a scenario, for golden tests. The worker's functions are the
 * dataplane's own (dataplane/net, dataplane/rtp, dataplane/ctl); commands go
 * through the same command ring and dispatch as in tongdai-dataplane; packets
 * are taken one at a time at their pcap time offsets, so that timing-based
 * figures (jitter, RTT, timeouts) see the capture's timing.
 *
 * Usage: td-golden SCENARIO IN.pcap OUT.pcap REPORT.json
 * Scenario lines ('#' comments):
 *   ip A.B.C.D/N | ports LO-HI | transcoders N | conf-slots N   (before anything else)
 *   create NAME [remote=IP:PORT] [strict] [ssrc=N] [pts=a,b,..] [tel=PT]
 *               [clock=HZ] [ptime=MS] [learn=N] [timeout=S] [tag=N]
 *               [codec=NAME] [cpt=PT] [jbuf]
 *   update NAME ...same options...
 *   bridge A B | unbridge A | destroy A | dump
 *   detect A on|off [suppress]     in-band DTMF detection (TD_DP_CMD_DTMF_DETECT)
 *   dtmf A DIGITS [duration=MS] [pause=MS]   digits toward A's remote
 *   conf-create C | conf-destroy C    conferences numbered C (TD_DP_CMD_CONF_*)
 *   conf-join C A [speaker|listen|whisper B|muted] | conf-role A ROLE [B] | conf-leave A
 *   monitor AGENT off|listen|whisper|barge SUPERVISOR | monitor-stop AGENT   TD_DP_CMD_MONITOR
 *   run [N]       take N packets (all that are left without N)
 *   sleep MS      wait, then scan every session for media timeout
 *   wait MS       let MS pass with the media tick running (no packets)
 *   recdir DIR    record under DIR (before anything else; starts the recorder thread)
 *   record ID CUSTOMER|- AGENT|- NAME [stereo|mono|both]   TD_DP_CMD_RECORD_START
 *   recpause ID | recresume ID | recstop ID | recstatus
 *   load ID PATH | unload ID     TD_DP_CMD_PROMPT_LOAD / UNLOAD (done at once here)
 *   play A ID|ringback|busy|congestion [loop] | stopplay A    toward A's remote
 * After every packet and every sleep the media tick runs if it is due, and
 * after every command the main lcore's share of the transcoder pool.
 * The report holds the port's MAC, every command's result, every event, the
 * worker's counters and drops by name, and each named session's counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "api/td_dp_shm.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "drop.h"
#include "media/media.h"
#include "net/neigh.h"
#include "net/net.h"
#include "port/port.h"
#include "record/record.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"

#define MAX_NAMES 32
#define MAX_PKTS  100000

static struct {
	char name[32];
	uint32_t id;
} names[MAX_NAMES];
static int n_names;

static struct td_worker w;
static struct rte_ring *handoff[1];
static struct td_dp_shm *shm;
static json_t *j_cmds, *j_events;
static double pkt_ts[MAX_PKTS];
static unsigned int n_pkts, next_pkt;
static uint64_t t0_tsc;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "td-golden: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static const char *
name_of(uint32_t id)
{
	for (int i = 0; i < n_names; i++)
		if (names[i].id == id)
			return names[i].name;
	return "?";
}

static uint32_t
id_of(const char *name)
{
	for (int i = 0; i < n_names; i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].id;
	die("unknown session name '%s'", name);
	return 0;
}

static const char *
ip_str(uint32_t ip, char *buf)
{
	struct in_addr a = {.s_addr = ip};
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *
evt_name(uint16_t type)
{
	switch (type) {
	case TD_DP_EVT_ACK:
		return "ack";
	case TD_DP_EVT_SESSION_DUMP:
		return "dump";
	case TD_DP_EVT_FIRST_PACKET:
		return "first_packet";
	case TD_DP_EVT_SOURCE_CHANGED:
		return "source_changed";
	case TD_DP_EVT_MEDIA_TIMEOUT:
		return "media_timeout";
	case TD_DP_EVT_DTMF:
		return "dtmf";
	case TD_DP_EVT_RECORD:
		return "record";
	case TD_DP_EVT_CONF_TALKER:
		return "talker";
	case TD_DP_EVT_PLAYBACK_DONE:
		return "playback_done";
	case TD_DP_EVT_MONITOR:
		return "monitor";
	}
	return "unknown";
}

/* Drain the event ring; returns the last ack's result (or 1 if none). */
static int
drain_events(struct td_dp_msg *last_ack)
{
	struct td_dp_msg m;
	int res = 1;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	while (td_dp_msg_recv(w.evt, &m) == 0) {
		if (m.hdr.type == TD_DP_EVT_ACK) {
			res = m.ack.result;
			if (last_ack)
				*last_ack = m;
			continue;
		}
		json_t *e = json_pack("{s:s}", "type", evt_name(m.hdr.type));
		if (m.hdr.type == TD_DP_EVT_DTMF) {
			json_object_set_new(e, "session", json_string(name_of(m.dtmf.session)));
			json_object_set_new(e, "digit", json_sprintf("%c", m.dtmf.digit));
			json_object_set_new(e, "source",
					    json_string(m.dtmf.source == TD_DP_DTMF_RFC4733 ? "rfc4733" : "inband"));
			json_object_set_new(e, "duration_ms", json_integer(m.dtmf.duration_ms));
			json_object_set_new(e, "rtp_ts", json_integer(m.dtmf.rtp_ts));
			json_object_set_new(e, "end_seen", json_boolean(m.dtmf.end_seen));
		} else if (m.hdr.type == TD_DP_EVT_RECORD) {
			char hex[65];
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", m.rec.sha256[i]);
			json_object_set_new(e, "id", json_integer(m.rec.rec_id));
			json_object_set_new(e, "state", json_integer(m.rec.state));
			json_object_set_new(e, "file", json_integer(m.rec.file));
			json_object_set_new(e, "files", json_integer(m.rec.files));
			json_object_set_new(e, "complete", json_boolean(m.rec.complete));
			json_object_set_new(e, "error", json_integer(m.rec.error));
			json_object_set_new(e, "bytes", json_integer((json_int_t)m.rec.bytes));
			json_object_set_new(e, "duration_ms", json_integer(m.rec.duration_ms));
			json_object_set_new(e, "gaps", json_integer(m.rec.gaps));
			json_object_set_new(e, "sha256", json_string(hex));
		} else if (m.hdr.type == TD_DP_EVT_CONF_TALKER) {
			json_object_set_new(e, "conf", json_integer(m.talker.conf));
			json_object_set_new(e, "session", json_string(name_of(m.talker.session)));
			json_object_set_new(e, "talking", json_boolean(m.talker.talking));
		} else if (m.hdr.type == TD_DP_EVT_MONITOR) {
			json_object_set_new(e, "agent", json_string(name_of(m.mon_end.agent)));
			json_object_set_new(e, "customer", json_string(name_of(m.mon_end.customer)));
			json_object_set_new(e, "supervisor", json_string(name_of(m.mon_end.supervisor)));
			json_object_set_new(e, "why", json_integer(m.mon_end.why));
		} else if (m.hdr.type == TD_DP_EVT_PLAYBACK_DONE) {
			json_object_set_new(e, "session", json_string(name_of(m.play_done.session)));
			json_object_set_new(e, "prompt", json_integer(m.play_done.prompt));
			json_object_set_new(e, "tone", json_integer(m.play_done.tone));
			json_object_set_new(e, "why", json_integer(m.play_done.why));
			json_object_set_new(e, "frames", json_integer(m.play_done.frames));
			json_object_set_new(e, "loops", json_integer(m.play_done.loops));
		} else if (m.hdr.type == TD_DP_EVT_SESSION_DUMP) {
			json_object_set_new(e, "session", json_string(name_of(m.dump.session)));
			json_object_set_new(e, "peer", json_string(m.dump.peer ? name_of(m.dump.peer) : ""));
			json_object_set_new(e, "latched", json_integer(m.dump.latched));
		} else {
			json_object_set_new(e, "session", json_string(name_of(m.sevt.session)));
			json_object_set_new(e, "addr", json_sprintf("%s:%u", ip_str(m.sevt.addr, a), m.sevt.port));
			json_object_set_new(e, "old",
					    json_sprintf("%s:%u", ip_str(m.sevt.old_addr, b), m.sevt.old_port));
			json_object_set_new(e, "idle_ms", json_integer(m.sevt.idle_ms));
		}
		json_object_set_new(e, "at_packet", json_integer(next_pkt));
		json_array_append_new(j_events, e);
	}
	return res;
}

static int
command(struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	static uint64_t req;
	cmd->hdr.req_id = ++req;
	if (td_dp_msg_send(w.cmd, cmd) < 0)
		die("%s", "command ring full");
	td_ctl_poll(&w);
	td_rec_poll(&w);
	td_media_service(&w, 1);
	td_media_reclaim(&w);
	return drain_events(ack);
}

static void
parse_sess_opts(char **tok, int n, struct td_dp_cmd_session *p)
{
	for (int i = 0; i < n; i++) {
		char *v = strchr(tok[i], '=');
		if (strcmp(tok[i], "strict") == 0) {
			p->flags |= TD_DP_SESS_F_STRICT_SOURCE;
			continue;
		}
		if (strcmp(tok[i], "jbuf") == 0) {
			p->flags |= TD_DP_SESS_F_JITTER_BUFFER;
			continue;
		}
		if (v == NULL)
			die("bad option '%s'", tok[i]);
		*v++ = '\0';
		if (strcmp(tok[i], "remote") == 0) {
			char *c = strrchr(v, ':');
			struct in_addr a;
			if (c == NULL)
				die("bad remote '%s'", v);
			*c = '\0';
			if (inet_pton(AF_INET, v, &a) != 1)
				die("bad remote address '%s'", v);
			p->remote_ip = a.s_addr;
			p->remote_port = (uint16_t)atoi(c + 1);
		} else if (strcmp(tok[i], "ssrc") == 0) {
			p->ssrc = (uint32_t)strtoul(v, NULL, 0);
		} else if (strcmp(tok[i], "pts") == 0) {
			for (char *s = strtok(v, ","); s && p->n_pts < 16; s = strtok(NULL, ","))
				p->pts[p->n_pts++] = (uint8_t)atoi(s);
		} else if (strcmp(tok[i], "tel") == 0) {
			p->tel_event_pt = (uint8_t)atoi(v);
		} else if (strcmp(tok[i], "clock") == 0) {
			p->clock_rate = (uint32_t)atoi(v);
		} else if (strcmp(tok[i], "ptime") == 0) {
			p->ptime_ms = (uint16_t)atoi(v);
		} else if (strcmp(tok[i], "learn") == 0) {
			p->learn_pkts = (uint8_t)atoi(v);
		} else if (strcmp(tok[i], "timeout") == 0) {
			p->media_timeout_s = (uint16_t)atoi(v);
		} else if (strcmp(tok[i], "tag") == 0) {
			p->call_tag = (uint32_t)atoi(v);
		} else if (strcmp(tok[i], "codec") == 0) {
			size_t l = strlen(v);
			memcpy(p->codec, v, l < sizeof(p->codec) ? l : sizeof(p->codec));
		} else if (strcmp(tok[i], "cpt") == 0) {
			p->codec_pt = (uint8_t)atoi(v);
		} else {
			die("unknown option '%s'", tok[i]);
		}
	}
}

static void
run_packets(unsigned int n)
{
	struct rte_mbuf *m;
	double base = n_pkts ? pkt_ts[0] : 0;
	uint64_t hz = rte_get_tsc_hz();

	for (unsigned int i = 0; i < n; i++) {
		if (next_pkt < n_pkts) {
			/* Hold each packet until its time in the capture. */
			uint64_t due = t0_tsc + (uint64_t)((pkt_ts[next_pkt] - base) * (double)hz);
			while (rte_rdtsc() < due)
				;
		}
		if (rte_eth_rx_burst(td_ports[0].port_id, 0, &m, 1) == 0)
			break;
		next_pkt++;
		td_dp_seq_begin(&w.st->seq);
		w.st->rx_pkts++;
		td_eth_input(&w, 0, &m, 1);
		if (w.tx[0].n)
			td_worker_flush(&w, 0);
		td_dp_seq_end(&w.st->seq);
		td_media_tick(&w, rte_rdtsc());
		td_rec_poll(&w);
		drain_events(NULL);
	}
}

static void
scenario_line(char *line)
{
	char *tok[32];
	int n = 0;
	struct td_dp_msg cmd, ack = {0};
	int res;

	for (char *s = strtok(line, " \t\r\n"); s && n < 32; s = strtok(NULL, " \t\r\n"))
		tok[n++] = s;
	if (n == 0 || tok[0][0] == '#' || strcmp(tok[0], "ip") == 0 || strcmp(tok[0], "ports") == 0 ||
	    strcmp(tok[0], "transcoders") == 0 || strcmp(tok[0], "recdir") == 0 || strcmp(tok[0], "conf-slots") == 0)
		return;
	json_t *rec = json_pack("{s:s}", "cmd", tok[0]);

	if (strcmp(tok[0], "create") == 0 || strcmp(tok[0], "update") == 0) {
		bool create = tok[0][0] == 'c';
		if (n < 2)
			die("%s", "create/update NAME ...");
		td_dp_msg_init(&cmd, create ? TD_DP_CMD_SESSION_CREATE : TD_DP_CMD_SESSION_UPDATE, 0);
		if (!create)
			cmd.sess.session = id_of(tok[1]);
		parse_sess_opts(tok + 2, n - 2, &cmd.sess);
		res = command(&cmd, &ack);
		if (create && res == 0) {
			if (n_names == MAX_NAMES)
				die("%s", "too many sessions");
			snprintf(names[n_names].name, sizeof(names[0].name), "%s", tok[1]);
			names[n_names++].id = ack.ack.session;
			json_object_set_new(rec, "port", json_integer(TD_DP_SESSION_PORT(ack.ack.session)));
		}
		json_object_set_new(rec, "session", json_string(tok[1]));
	} else if (strcmp(tok[0], "bridge") == 0 || strcmp(tok[0], "unbridge") == 0 || strcmp(tok[0], "destroy") == 0) {
		static const struct {
			const char *w;
			uint16_t t;
		} map[] = {{"bridge", TD_DP_CMD_SESSION_BRIDGE},
			   {"unbridge", TD_DP_CMD_SESSION_UNBRIDGE},
			   {"destroy", TD_DP_CMD_SESSION_DESTROY}};
		uint16_t t = 0;
		for (unsigned i = 0; i < 3; i++)
			if (strcmp(map[i].w, tok[0]) == 0)
				t = map[i].t;
		if (n < 2 || (t == TD_DP_CMD_SESSION_BRIDGE && n < 3))
			die("%s: missing session name", tok[0]);
		td_dp_msg_init(&cmd, t, 0);
		cmd.ref.session = id_of(tok[1]);
		if (n > 2)
			cmd.ref.peer = id_of(tok[2]);
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "detect") == 0) {
		if (n < 3)
			die("%s", "detect NAME on|off [suppress]");
		td_dp_msg_init(&cmd, TD_DP_CMD_DTMF_DETECT, 0);
		cmd.dtmf_detect.session = id_of(tok[1]);
		cmd.dtmf_detect.flags = strcmp(tok[2], "on") == 0 ? TD_DP_DTMF_DETECT_ON : 0;
		if (n > 3 && strcmp(tok[3], "suppress") == 0)
			cmd.dtmf_detect.flags |= TD_DP_DTMF_DETECT_SUPPRESS;
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "dtmf") == 0) {
		if (n < 3)
			die("%s", "dtmf NAME DIGITS [duration=MS] [pause=MS]");
		td_dp_msg_init(&cmd, TD_DP_CMD_DTMF_SEND, 0);
		cmd.dtmf_send.session = id_of(tok[1]);
		size_t dl = strlen(tok[2]);
		memcpy(cmd.dtmf_send.digits, tok[2],
		       dl < sizeof(cmd.dtmf_send.digits) ? dl : sizeof(cmd.dtmf_send.digits));
		for (int i = 3; i < n; i++) {
			if (strncmp(tok[i], "duration=", 9) == 0)
				cmd.dtmf_send.duration_ms = (uint16_t)atoi(tok[i] + 9);
			else if (strncmp(tok[i], "pause=", 6) == 0)
				cmd.dtmf_send.pause_ms = (uint16_t)atoi(tok[i] + 6);
			else
				die("unknown dtmf option '%s'", tok[i]);
		}
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "record") == 0) {
		if (n < 5)
			die("%s", "record ID CUSTOMER|- AGENT|- NAME [stereo|mono|both]");
		td_dp_msg_init(&cmd, TD_DP_CMD_RECORD_START, 0);
		cmd.rec_start.rec_id = (uint32_t)strtoul(tok[1], NULL, 0);
		cmd.rec_start.customer = strcmp(tok[2], "-") ? id_of(tok[2]) : 0;
		cmd.rec_start.agent = strcmp(tok[3], "-") ? id_of(tok[3]) : 0;
		snprintf(cmd.rec_start.name, sizeof(cmd.rec_start.name), "%s", tok[4]);
		cmd.rec_start.mode = TD_DP_REC_STEREO;
		if (n > 5)
			cmd.rec_start.mode = strcmp(tok[5], "mono") == 0     ? TD_DP_REC_MONO
					     : strcmp(tok[5], "both") == 0   ? TD_DP_REC_BOTH
					     : strcmp(tok[5], "stereo") == 0 ? TD_DP_REC_STEREO
									     : 0;
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "recpause") == 0 || strcmp(tok[0], "recresume") == 0 ||
		   strcmp(tok[0], "recstop") == 0) {
		if (n < 2)
			die("%s: ID", tok[0]);
		td_dp_msg_init(&cmd, strcmp(tok[0], "recstop") == 0 ? TD_DP_CMD_RECORD_STOP : TD_DP_CMD_RECORD_PAUSE,
			       0);
		cmd.rec_ref.rec_id = (uint32_t)strtoul(tok[1], NULL, 0);
		cmd.rec_ref.pause = strcmp(tok[0], "recpause") == 0;
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "recstatus") == 0) {
		td_dp_msg_init(&cmd, TD_DP_CMD_RECORD_STATUS, 0);
		res = command(&cmd, &ack);
		json_object_set_new(rec, "count", json_integer(ack.ack.count));
	} else if (strncmp(tok[0], "conf-", 5) == 0) {
		static const struct {
			const char *w;
			uint16_t t;
		} map[] = {{"conf-create", TD_DP_CMD_CONF_CREATE},
			   {"conf-destroy", TD_DP_CMD_CONF_DESTROY},
			   {"conf-join", TD_DP_CMD_CONF_JOIN},
			   {"conf-role", TD_DP_CMD_CONF_ROLE},
			   {"conf-leave", TD_DP_CMD_CONF_LEAVE}};
		static const char *const roles[] = {"speaker", "listen", "whisper", "muted"};
		uint16_t t = 0;
		for (unsigned i = 0; i < 5; i++)
			if (strcmp(map[i].w, tok[0]) == 0)
				t = map[i].t;
		if (t == 0 || n < 2)
			die("bad conference command '%s'", tok[0]);
		td_dp_msg_init(&cmd, t, 0);
		int r = 1; /* where the role is */
		if (t == TD_DP_CMD_CONF_CREATE || t == TD_DP_CMD_CONF_DESTROY) {
			cmd.conf.conf = (uint32_t)strtoul(tok[1], NULL, 0);
		} else if (t == TD_DP_CMD_CONF_JOIN) {
			if (n < 3)
				die("%s", "conf-join C NAME [ROLE [TARGET]]");
			cmd.conf.conf = (uint32_t)strtoul(tok[1], NULL, 0);
			cmd.conf.session = id_of(tok[2]);
			r = 3;
		} else {
			cmd.conf.session = id_of(tok[1]);
			r = 2;
		}
		if (t == TD_DP_CMD_CONF_JOIN || t == TD_DP_CMD_CONF_ROLE) {
			cmd.conf.role = 0;
			if (n > r) {
				cmd.conf.role = 0xff;
				for (unsigned i = 0; i < 4; i++)
					if (strcmp(tok[r], roles[i]) == 0)
						cmd.conf.role = (uint8_t)i;
			}
			if (n > r + 1)
				cmd.conf.target = id_of(tok[r + 1]);
		}
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "monitor") == 0 || strcmp(tok[0], "monitor-stop") == 0) {
		static const char *const modes[] = {"off", "listen", "whisper", "barge"};
		bool stop = tok[0][7] == '-';
		if (n < (stop ? 2 : 4))
			die("%s", "monitor AGENT off|listen|whisper|barge SUPERVISOR | monitor-stop AGENT");
		td_dp_msg_init(&cmd, TD_DP_CMD_MONITOR, 0);
		cmd.monitor.agent = id_of(tok[1]);
		cmd.monitor.mode = stop ? TD_DP_MON_STOP : 0xff;
		for (unsigned i = 0; !stop && i < 4; i++)
			if (strcmp(tok[2], modes[i]) == 0)
				cmd.monitor.mode = (uint8_t)i;
		if (!stop)
			cmd.monitor.supervisor = id_of(tok[3]);
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "load") == 0 || strcmp(tok[0], "unload") == 0) {
		if (n < 2 || (tok[0][0] == 'l' && n < 3))
			die("%s", "load ID PATH | unload ID");
		td_dp_msg_init(&cmd, tok[0][0] == 'l' ? TD_DP_CMD_PROMPT_LOAD : TD_DP_CMD_PROMPT_UNLOAD, 0);
		cmd.prompt_load.prompt = (uint32_t)strtoul(tok[1], NULL, 0);
		if (n > 2)
			snprintf(cmd.prompt_load.path, sizeof(cmd.prompt_load.path), "%s", tok[2]);
		res = command(&cmd, &ack);
		json_object_set_new(rec, "count", json_integer(ack.ack.count));
	} else if (strcmp(tok[0], "play") == 0) {
		if (n < 3)
			die("%s", "play NAME ID|ringback|busy|congestion [loop]");
		td_dp_msg_init(&cmd, TD_DP_CMD_PLAY, 0);
		cmd.play.session = id_of(tok[1]);
		if (strcmp(tok[2], "ringback") == 0)
			cmd.play.tone = TD_DP_TONE_RINGBACK;
		else if (strcmp(tok[2], "busy") == 0)
			cmd.play.tone = TD_DP_TONE_BUSY;
		else if (strcmp(tok[2], "congestion") == 0)
			cmd.play.tone = TD_DP_TONE_CONGESTION;
		else
			cmd.play.prompt = (uint32_t)strtoul(tok[2], NULL, 0);
		if (n > 3 && strcmp(tok[3], "loop") == 0)
			cmd.play.flags = TD_DP_PLAY_LOOP;
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "stopplay") == 0) {
		if (n < 2)
			die("%s", "stopplay NAME");
		td_dp_msg_init(&cmd, TD_DP_CMD_PLAY_STOP, 0);
		cmd.play.session = id_of(tok[1]);
		res = command(&cmd, &ack);
	} else if (strcmp(tok[0], "dump") == 0) {
		td_dp_msg_init(&cmd, TD_DP_CMD_SESSION_DUMP, 0);
		res = command(&cmd, &ack);
		json_object_set_new(rec, "count", json_integer(ack.ack.count));
	} else if (strcmp(tok[0], "run") == 0) {
		run_packets(n > 1 ? (unsigned)atoi(tok[1]) : UINT32_MAX);
		res = 0;
	} else if (strcmp(tok[0], "wait") == 0) {
		uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * (uint64_t)atoi(n > 1 ? tok[1] : "0");
		while (rte_rdtsc() < end) {
			usleep(2000);
			td_media_tick(&w, rte_rdtsc());
			td_rec_poll(&w);
			drain_events(NULL);
		}
		res = 0;
	} else if (strcmp(tok[0], "sleep") == 0) {
		usleep((useconds_t)atoi(n > 1 ? tok[1] : "0") * 1000);
		td_rtp_timeout_scan(&w, w.rtp->n);
		td_media_tick(&w, rte_rdtsc());
		drain_events(NULL);
		res = 0;
	} else {
		die("unknown scenario command '%s'", tok[0]);
		return;
	}
	json_object_set_new(rec, "result", json_integer(res));
	json_array_append_new(j_cmds, rec);
}

static void
load_times(const char *in)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(in, err);
	if (p == NULL)
		die("cannot read %s", in);
	while (n_pkts < MAX_PKTS && pcap_next_ex(p, &h, &data) == 1)
		pkt_ts[n_pkts++] = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
	pcap_close(p);
}

static json_t *
session_json(uint32_t id)
{
	uint16_t port = TD_DP_SESSION_PORT(id);
	uint32_t slot = (uint32_t)(port - w.rtp->port_lo) >> 1;
	struct td_dp_session_stats st;
	char a[INET_ADDRSTRLEN];

	td_dp_session_read(td_dp_shm_session_stats(shm, 0, slot), &st);
	json_t *dtmf = json_pack("{s:i,s:i,s:i}", "rx", st.dtmf_rx, "tx", st.dtmf_tx, "detect", st.dtmf_detect);
	json_t *j = json_pack(
		"{s:i,s:b,s:i,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:f,s:i,s:i,s:i,s:i,s:I,s:I,"
		"s:i,s:i,s:i,s:s#,s:i,s:b}",
		"port", port, "live", st.session == id, "latched", st.latched, "latched_addr", ip_str(st.latched_ip, a),
		"latched_port", st.latched_port, "rtp_rx_pkts", (json_int_t)st.rtp_rx_pkts, "rtp_rx_bytes",
		(json_int_t)st.rtp_rx_bytes, "rtp_tx_pkts", (json_int_t)st.rtp_tx_pkts, "rtp_tx_bytes",
		(json_int_t)st.rtp_tx_bytes, "rtcp_rx_pkts", (json_int_t)st.rtcp_rx_pkts, "rtcp_tx_pkts",
		(json_int_t)st.rtcp_tx_pkts, "dropped", (json_int_t)st.dropped, "src_rejected",
		(json_int_t)st.src_rejected, "expected", st.expected, "lost", st.lost, "jitter_ts", st.jitter16 / 16.0,
		"source_changes", st.source_changes, "ssrc_changes", st.ssrc_changes, "rtt_us", st.rtt_us, "timed_out",
		st.timed_out, "rx_ssrc", (json_int_t)st.rx_ssrc, "tx_ssrc", (json_int_t)st.tx_ssrc,
		"peer_fraction_lost", st.peer_fraction_lost, "peer_cum_lost", st.peer_cum_lost, "peer_jitter",
		st.peer_jitter, "codec", st.codec, (int)strnlen(st.codec, sizeof(st.codec)), "codec_pt", st.codec_pt,
		"transcoding", st.transcoding != 0);
	json_object_set_new(j, "dtmf", dtmf);
	return j;
}

int
main(int argc, char **argv)
{
	char vdev[1200], prefix[64], line[512];
	uint32_t ip = 0, lo = 30000, hi = 30099, transcoders = 4, conf_slots = 8;
	uint8_t plen = 24;
	char recdir[256] = "";

	if (argc != 5) {
		fprintf(stderr, "usage: td-golden SCENARIO IN.pcap OUT.pcap REPORT.json\n");
		return 2;
	}
	FILE *sc = fopen(argv[1], "r");
	if (sc == NULL)
		die("cannot open scenario %s", argv[1]);
	while (fgets(line, sizeof(line), sc)) {
		unsigned a, b, c, d, l;
		if (sscanf(line, "ip %u.%u.%u.%u/%u", &a, &b, &c, &d, &l) == 5) {
			ip = htonl(a << 24 | b << 16 | c << 8 | d);
			plen = (uint8_t)l;
		}
		sscanf(line, "ports %u-%u", &lo, &hi);
		sscanf(line, "transcoders %u", &transcoders);
		sscanf(line, "recdir %255s", recdir);
		sscanf(line, "conf-slots %u", &conf_slots);
	}
	load_times(argv[2]);

	snprintf(vdev, sizeof(vdev), "net_pcap0,rx_pcap=%s,tx_pcap=%s", argv[2], argv[3]);
	snprintf(prefix, sizeof(prefix), "tdg%d", getpid());
	char *eal[] = {"td-golden",
		       "-l",
		       "0",
		       "--no-huge",
		       "-m",
		       "128",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--log-level",
		       "lib.eal:error",
		       "--file-prefix",
		       prefix,
		       "--vdev",
		       vdev};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		die("%s", "EAL init failed");
	struct rte_mempool *mp = rte_pktmbuf_pool_create("golden", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	char err[256];
	td_port_set_ipv4(0, ip, plen);
	if (mp == NULL || td_port_init_all(mp, 1, err, sizeof(err)) < 0)
		die("port: %s", err);

	char shm_name[64];
	snprintf(shm_name, sizeof(shm_name), "/td-golden-%d", getpid());
	struct td_dp_shm_conf conf = {.n_workers = 1,
				      .ring_size = 1024,
				      .sessions_per_worker = td_rtp_slots(1, (uint16_t)lo, (uint16_t)hi, 0)};
	shm = td_dp_shm_create(shm_name, &conf);
	if (shm == NULL)
		die("%s", "segment");
	w.index = 0;
	w.st = td_dp_shm_stats(shm, 0);
	w.cmd = td_dp_shm_cmd_ring(shm, 0);
	w.evt = td_dp_shm_evt_ring(shm, 0);
	handoff[0] = rte_ring_create("golden_handoff", 64, 0, RING_F_SC_DEQ);
	w.handoff = handoff[0];
	w.handoff_to = handoff;
	if (td_rtp_init(&w, 1, (uint16_t)lo, (uint16_t)hi, 0, shm) < 0 || td_neigh_init(&w, 1, mp) < 0 ||
	    td_media_init(&w, 1, transcoders, mp, shm) < 0 || td_conf_init(&w, 1, conf_slots) < 0)
		die("%s", "worker set-up");
	if (recdir[0] && (td_rec_init(&w, 1, recdir, 4, 1024) < 0 || td_recorder_start() < 0))
		die("cannot record in %s", recdir);

	j_cmds = json_array();
	j_events = json_array();
	t0_tsc = rte_rdtsc();
	rewind(sc);
	while (fgets(line, sizeof(line), sc))
		scenario_line(line);
	fclose(sc);

	/* The recorder closes what is still open, as a stopping dataplane's does. */
	td_recorder_stop();
	td_rec_poll(&w);
	drain_events(NULL);
	struct td_dp_worker_stats ws;
	td_dp_stats_read(w.st, &ws);
	json_t *drops = json_object(), *sess = json_object();
	for (uint16_t i = 0; i < td_drop_count(); i++)
		if (ws.drops[i])
			json_object_set_new(drops, td_drop_name(i), json_integer((json_int_t)ws.drops[i]));
	for (int i = 0; i < n_names; i++)
		json_object_set_new(sess, names[i].name, session_json(names[i].id));
	char mac[32];
	snprintf(mac, sizeof(mac), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&td_ports[0].mac));
	json_t *rep = json_pack("{s:s,s:o,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:I}}", "mac", mac, "commands",
				j_cmds, "events", j_events, "drops", drops, "sessions", sess, "worker", "rx_pkts",
				(json_int_t)ws.rx_pkts, "tx_pkts", (json_int_t)ws.tx_pkts, "arp_replies",
				(json_int_t)ws.arp_replies, "arp_requests", (json_int_t)ws.arp_requests, "sessions",
				(json_int_t)ws.sessions, "transcoders_max", ws.transcoders_max, "transcoders_used",
				ws.transcoders_used, "transcoders_refused", (json_int_t)ws.transcoders_refused);
	json_t *jw = json_object_get(rep, "worker");
	json_object_set_new(jw, "dtmf_chans_max", json_integer(ws.dtmf_chans_max));
	json_object_set_new(jw, "dtmf_chans_used", json_integer(ws.dtmf_chans_used));
	json_object_set_new(jw, "dtmf_chans_refused", json_integer((json_int_t)ws.dtmf_chans_refused));
	if (json_dump_file(rep, argv[4], JSON_INDENT(1)) < 0)
		die("cannot write %s", argv[4]);
	json_decref(rep);

	td_port_close_all(); /* flushes the tx pcap */
	td_media_fini(&w, 1);
	td_rec_fini(&w, 1);
	td_dp_shm_close(shm);
	rte_eal_cleanup();
	return 0;
}
