/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands on media sessions: create, update, destroy, bridge,
 * unbridge; `show sessions` (filter by worker, call tag or address) and
 * `show session ID` with counters and the quality estimate. Each command
 * goes to the worker that owns the session's port; the reply waits for its
 * ack. The SIP side calls the same session_* functions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_cmd.h"
#include "dp_link.h"
#include "dtmf.h"
#include "mgmt/mgmt.h"
#include "prompt.h"
#include "quality.h"

#define SESSION_ARGS                                                                                                  \
	"[remote IP:PORT] [strict] [jbuf] [pts PT,..] [tel PT] [clock HZ] [ptime MS] [timeout S] [learn N] [ssrc N] " \
	"[tag N] [codec NAME[/RATE]] [codec-pt PT]"

static int
parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* Parse session options into p; on error, a one-line reason in err. */
static int
parse_opts(int argc, char **argv, struct td_dp_cmd_session *p, int32_t *worker, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i];
		uint32_t v;
		if (strcmp(k, "strict") == 0) {
			p->flags |= TD_DP_SESS_F_STRICT_SOURCE;
			continue;
		}
		if (strcmp(k, "jbuf") == 0) {
			p->flags |= TD_DP_SESS_F_JITTER_BUFFER;
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "'%s' needs a value", k);
			return -EINVAL;
		}
		const char *val = argv[++i];
		if (strcmp(k, "remote") == 0) {
			char ip[64];
			const char *colon = strrchr(val, ':');
			struct in_addr a;
			if (colon == NULL || (size_t)(colon - val) >= sizeof(ip) ||
			    parse_u32(colon + 1, 65535, &v) < 0 || v == 0) {
				snprintf(err, errlen, "bad remote '%s' (want IP:PORT)", val);
				return -EINVAL;
			}
			memcpy(ip, val, (size_t)(colon - val));
			ip[colon - val] = '\0';
			if (inet_pton(AF_INET, ip, &a) != 1) {
				snprintf(err, errlen, "bad remote address '%s'", ip);
				return -EINVAL;
			}
			p->remote_ip = a.s_addr;
			p->remote_port = (uint16_t)v;
		} else if (strcmp(k, "codec") == 0) {
			/* NAME[/RATE] as in SDP's rtpmap; the dataplane knows the
			 * codecs and checks the rest. */
			const char *slash = strchr(val, '/');
			size_t len = slash ? (size_t)(slash - val) : strlen(val);
			if (len == 0 || len > sizeof(p->codec) ||
			    (slash && (parse_u32(slash + 1, 192000, &v) < 0 || v == 0))) {
				snprintf(err, errlen,
					 "bad codec '%s' (want NAME or NAME/RATE, e.g. PCMA or opus/48000)", val);
				return -EINVAL;
			}
			memset(p->codec, 0, sizeof(p->codec));
			memcpy(p->codec, val, len);
			if (slash)
				p->clock_rate = v;
		} else if (strcmp(k, "codec-pt") == 0) {
			if (parse_u32(val, 127, &v) < 0) {
				snprintf(err, errlen, "bad codec-pt '%s' (0..127)", val);
				return -EINVAL;
			}
			p->codec_pt = (uint8_t)v;
		} else if (strcmp(k, "pts") == 0) {
			char buf[128];
			snprintf(buf, sizeof(buf), "%s", val);
			p->n_pts = 0;
			for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (parse_u32(t, 127, &v) < 0 || p->n_pts == sizeof(p->pts)) {
					snprintf(err, errlen, "bad payload types '%s' (up to 16, 0..127)", val);
					return -EINVAL;
				}
				p->pts[p->n_pts++] = (uint8_t)v;
			}
		} else {
			static const struct {
				const char *key;
				uint32_t max;
			} nums[] = {{"tel", 127},   {"clock", 192000},	  {"ptime", 1000},     {"timeout", 65535},
				    {"learn", 255}, {"ssrc", UINT32_MAX}, {"tag", UINT32_MAX}, {"worker", 63}};
			unsigned int j;
			for (j = 0; j < sizeof(nums) / sizeof(nums[0]) && strcmp(nums[j].key, k); j++)
				;
			if (j == sizeof(nums) / sizeof(nums[0])) {
				snprintf(err, errlen, "unknown option '%s'", k);
				return -EINVAL;
			}
			if (parse_u32(val, nums[j].max, &v) < 0) {
				snprintf(err, errlen, "bad %s '%s' (0..%u)", k, val, nums[j].max);
				return -EINVAL;
			}
			switch (j) {
			case 0:
				p->tel_event_pt = (uint8_t)v;
				break;
			case 1:
				p->clock_rate = v;
				break;
			case 2:
				p->ptime_ms = (uint16_t)v;
				break;
			case 3:
				p->media_timeout_s = (uint16_t)v;
				break;
			case 4:
				p->learn_pkts = (uint8_t)v;
				break;
			case 5:
				p->ssrc = v;
				break;
			case 6:
				p->call_tag = v;
				break;
			default:
				if (worker == NULL) {
					snprintf(err, errlen, "a session stays on its worker");
					return -EINVAL;
				}
				*worker = (int32_t)v;
			}
		}
	}
	return 0;
}

/* The worker that owns a session id's port, or -1. */
static int
session_worker(const struct td_dp_shm *shm, uint32_t id)
{
	uint16_t port = TD_DP_SESSION_PORT(id);
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++)
		if (port >= shm->hdr->workers[w].rtp_port_lo && port <= shm->hdr->workers[w].rtp_port_hi)
			return (int)w;
	return -1;
}

static const char *
session_strerror(int res)
{
	switch (res) {
	case -ENOSPC:
		return "no session left on the worker (budget reached)";
	case -ENOENT:
		return "no such session";
	case -EXDEV:
		return "the sessions belong to different workers";
	case -EBUSY:
		return "already bridged to another session, in a conference, or in a monitor";
	case -ENOTCONN:
		return "not bridged";
	case -EINVAL:
		return "invalid parameters (with a codec: a name the dataplane knows, a payload type for a dynamic "
		       "codec, its own clock rate, and a ptime of whole frames up to 60 ms)";
	case -ETIMEDOUT:
		return "the dataplane did not answer in time";
	default:
		return strerror(-res);
	}
}

struct pending_cmd {
	struct td_mgmt_req *req;
	uint16_t type;
	uint32_t worker;
};

static void
session_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct pending_cmd *pc = arg;
	int res = ack ? ack->ack.result : err;
	if (ack == NULL) {
		/* The link's errors, not the worker's answer. */
		const char *why = err == -ENOTCONN  ? "the dataplane is not running or went away"
				  : err == -ENOBUFS ? "the worker's command ring is full"
						    : session_strerror(err);
		td_mgmt_reply(pc->req, TD_MGMT_FAILED, json_pack("{s:i}", "result", res), "worker %u: %s", pc->worker,
			      why);
	} else if (res < 0) {
		/* Past create, the only budget left to run out of is the
		 * transcoders'. */
		const char *why = res == -ENOSPC && pc->type != TD_DP_CMD_SESSION_CREATE
					  ? "no transcoder left on the worker (budget reached, see --transcoders)"
					  : session_strerror(res);
		td_mgmt_reply(pc->req, TD_MGMT_FAILED, json_pack("{s:i}", "result", res), "%s", why);
	} else if (pc->type == TD_DP_CMD_SESSION_CREATE) {
		uint32_t id = ack->ack.session;
		td_mgmt_reply(pc->req, TD_MGMT_OK,
			      json_pack("{s:I,s:i,s:i}", "session", (json_int_t)id, "port", TD_DP_SESSION_PORT(id),
					"worker", pc->worker),
			      "session %u created on worker %u, port %u", id, pc->worker, TD_DP_SESSION_PORT(id));
	} else {
		td_mgmt_reply(pc->req, TD_MGMT_OK, json_pack("{s:i}", "result", 0), "ok");
	}
	free(pc);
}

static void
send_cmd(struct td_mgmt_req *req, uint32_t worker, struct td_dp_msg *m)
{
	struct pending_cmd *pc = malloc(sizeof(*pc));
	if (pc == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	*pc = (struct pending_cmd){.req = req, .type = m->hdr.type, .worker = worker};
	/* The ack, or the failure to send, comes through session_ack. */
	if (dp_link_send(worker, m, session_ack, pc, 2000) == -ENOMEM) {
		free(pc);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
	}
}

static const struct td_dp_shm *
need_dataplane(struct td_mgmt_req *req)
{
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL)
		dp_cmd_not_running(req);
	return shm;
}

/* A session id argument: its worker, or a usage reply and -1. */
static int
id_arg(struct td_mgmt_req *req, const struct td_dp_shm *shm, const char *s, uint32_t *id)
{
	int w;
	if (parse_u32(s, UINT32_MAX, id) < 0 || *id == 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", s);
		return -1;
	}
	if ((w = session_worker(shm, *id)) < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u (port outside every worker's range)", *id);
	return w;
}

static void
cmd_create(struct td_mgmt_req *req, int argc, char **argv)
{
	struct td_dp_msg m;
	char err[160];
	int32_t worker = -1;

	td_dp_msg_init(&m, TD_DP_CMD_SESSION_CREATE, 0);
	if (parse_opts(argc, argv, &m.sess, &worker, err, sizeof(err)) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	const struct td_dp_shm *shm = need_dataplane(req);
	if (shm == NULL)
		return;
	if (worker >= (int32_t)shm->hdr->n_workers) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "no worker %d (the dataplane has %u)", worker,
			      shm->hdr->n_workers);
		return;
	}
	if (worker < 0) {
		/* The least loaded worker takes it. */
		uint64_t best = UINT64_MAX;
		for (uint32_t w = 0; w < shm->hdr->n_workers; w++) {
			struct td_dp_worker_stats s;
			td_dp_stats_read(td_dp_shm_stats(shm, w), &s);
			if (s.sessions < best) {
				best = s.sessions;
				worker = (int32_t)w;
			}
		}
	}
	send_cmd(req, (uint32_t)worker, &m);
}

static void
cmd_update(struct td_mgmt_req *req, int argc, char **argv)
{
	struct td_dp_msg m;
	char err[160];
	uint32_t id;

	if (argc < 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "session update needs a session id");
		return;
	}
	td_dp_msg_init(&m, TD_DP_CMD_SESSION_UPDATE, 0);
	if (parse_opts(argc - 1, argv + 1, &m.sess, NULL, err, sizeof(err)) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	const struct td_dp_shm *shm = need_dataplane(req);
	int w;
	if (shm == NULL || (w = id_arg(req, shm, argv[0], &id)) < 0)
		return;
	m.sess.session = id;
	send_cmd(req, (uint32_t)w, &m);
}

/* destroy, bridge, unbridge: one or two ids. */
static void
ref_cmd(struct td_mgmt_req *req, int argc, char **argv, uint16_t type, int want)
{
	struct td_dp_msg m;
	uint32_t a, b = 0;
	int wa, wb;

	if (argc != want) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "expected %d session id%s, got %d", want, want > 1 ? "s" : "",
			      argc);
		return;
	}
	const struct td_dp_shm *shm = need_dataplane(req);
	if (shm == NULL || (wa = id_arg(req, shm, argv[0], &a)) < 0)
		return;
	if (want == 2) {
		if ((wb = id_arg(req, shm, argv[1], &b)) < 0)
			return;
		if (wa != wb) {
			td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%s", session_strerror(-EXDEV));
			return;
		}
	}
	td_dp_msg_init(&m, type, 0);
	m.ref.session = a;
	m.ref.peer = b;
	send_cmd(req, (uint32_t)wa, &m);
}

static void
cmd_destroy(struct td_mgmt_req *req, int argc, char **argv)
{
	ref_cmd(req, argc, argv, TD_DP_CMD_SESSION_DESTROY, 1);
}

static void
cmd_bridge(struct td_mgmt_req *req, int argc, char **argv)
{
	ref_cmd(req, argc, argv, TD_DP_CMD_SESSION_BRIDGE, 2);
}

static void
cmd_unbridge(struct td_mgmt_req *req, int argc, char **argv)
{
	ref_cmd(req, argc, argv, TD_DP_CMD_SESSION_UNBRIDGE, 1);
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *
ip_str(uint32_t ip, char *buf)
{
	if (ip == 0)
		return strcpy(buf, "-");
	return inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

static json_t *
session_json(uint32_t worker, const struct td_dp_session_stats *s, struct td_quality *q)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	double rate = s->clock_rate ? s->clock_rate : 8000;
	struct td_quality_in in = {
		.pt = s->rx_pt,
		.loss_pct = s->expected ? 100.0 * s->lost / s->expected : 0,
		.jitter_ms = s->jitter16 / 16.0 / rate * 1000,
		.rtt_ms = s->rtt_us / 1000.0,
		.ptime_ms = s->ptime_ms,
	};
	td_quality_estimate(&in, q);
	static const char *const latch[] = {"learning", "latched", "locked"};
	json_t *j = json_pack("{s:I,s:i,s:i,s:I,s:I,s:s,s:i,s:s,s:s,s:i,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			      "session", (json_int_t)s->session, "port", TD_DP_SESSION_PORT(s->session), "worker",
			      worker, "call_tag", (json_int_t)s->call_tag, "peer", (json_int_t)s->peer, "remote",
			      ip_str(s->remote_ip, a), "remote_port", s->remote_port, "latch",
			      latch[s->latched < 3 ? s->latched : 0], "source", ip_str(s->latched_ip, b), "source_port",
			      s->latched_port, "strict", (s->flags & TD_DP_SESS_F_STRICT_SOURCE) != 0, "jitter_buffer",
			      (s->flags & TD_DP_SESS_F_JITTER_BUFFER) != 0, "rtp_rx_pkts", (json_int_t)s->rtp_rx_pkts,
			      "rtp_rx_bytes", (json_int_t)s->rtp_rx_bytes, "rtp_tx_pkts", (json_int_t)s->rtp_tx_pkts,
			      "rtp_tx_bytes", (json_int_t)s->rtp_tx_bytes, "rtcp_rx_pkts", (json_int_t)s->rtcp_rx_pkts,
			      "rtcp_tx_pkts", (json_int_t)s->rtcp_tx_pkts, "dropped", (json_int_t)s->dropped,
			      "src_rejected", (json_int_t)s->src_rejected);
	json_object_update_new(
		j, json_pack("{s:I,s:i,s:f,s:I,s:I,s:i,s:i,s:f,s:i,s:i,s:f,s:f,s:b,s:I,s:I,s:i,s:i}", "expected",
			     (json_int_t)s->expected, "lost", s->lost, "loss_pct", in.loss_pct, "misordered",
			     (json_int_t)s->misordered, "duplicates", (json_int_t)s->duplicates, "source_changes",
			     s->source_changes, "ssrc_changes", s->ssrc_changes, "jitter_ms", in.jitter_ms, "rtt_us",
			     s->rtt_us, "peer_cum_lost", s->peer_cum_lost, "r_factor", q->r, "mos", q->mos, "timed_out",
			     s->timed_out != 0, "rx_ssrc", (json_int_t)s->rx_ssrc, "tx_ssrc", (json_int_t)s->tx_ssrc,
			     "ptime_ms", s->ptime_ms, "clock_rate", s->clock_rate));
	json_object_update_new(j,
			       json_pack("{s:s#,s:i,s:b}", "codec", s->codec, (int)strnlen(s->codec, sizeof(s->codec)),
					 "codec_pt", s->codec_pt, "transcoding", s->transcoding != 0));
	return j;
}

#define APPEND(...)                                                             \
	do {                                                                    \
		int n_ = snprintf(text + off, sizeof(text) - off, __VA_ARGS__); \
		if (n_ > 0 && (size_t)n_ < sizeof(text) - off)                  \
			off += (size_t)n_;                                      \
	} while (0)

static void
cmd_show_sessions(struct td_mgmt_req *req, int argc, char **argv)
{
	int32_t only_worker = -1;
	int64_t only_tag = -1;
	uint32_t only_addr = 0, v;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "'%s' needs a value", argv[i]);
			return;
		}
		if (strcmp(argv[i], "worker") == 0 && parse_u32(argv[i + 1], 63, &v) == 0) {
			only_worker = (int32_t)v;
		} else if (strcmp(argv[i], "call") == 0 && parse_u32(argv[i + 1], UINT32_MAX, &v) == 0) {
			only_tag = v;
		} else if (strcmp(argv[i], "address") == 0 && inet_pton(AF_INET, argv[i + 1], &only_addr) == 1) {
		} else {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad filter '%s %s' (worker N, call TAG, address IP)",
				      argv[i], argv[i + 1]);
			return;
		}
	}
	const struct td_dp_shm *shm = need_dataplane(req);
	if (shm == NULL)
		return;
	json_t *list = json_array();
	static char text[65536];
	size_t off = 0;
	APPEND("%-10s %-6s %-3s %-8s %-10s %-21s %-21s %-8s %10s %10s %7s %5s", "SESSION", "PORT", "W", "CALL", "PEER",
	       "REMOTE", "SOURCE", "LATCH", "RX", "TX", "LOST", "MOS");
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++) {
		if (only_worker >= 0 && (uint32_t)only_worker != w)
			continue;
		for (uint32_t i = 0; i < shm->hdr->workers[w].n_sessions; i++) {
			struct td_dp_session_stats s;
			td_dp_session_read(td_dp_shm_session_stats(shm, w, i), &s);
			if (s.session == 0 || (only_tag >= 0 && s.call_tag != only_tag) ||
			    (only_addr && s.remote_ip != only_addr && s.latched_ip != only_addr))
				continue;
			struct td_quality q;
			json_t *j = session_json(w, &s, &q);
			char rem[32], src[32], a[INET_ADDRSTRLEN];
			snprintf(rem, sizeof(rem), "%s:%u", ip_str(s.remote_ip, a), s.remote_port);
			snprintf(src, sizeof(src), "%s:%u", ip_str(s.latched_ip, a), s.latched_port);
			APPEND("\n%-10u %-6u %-3u %-8u %-10u %-21s %-21s %-8s %10llu %10llu %7d %5.2f", s.session,
			       TD_DP_SESSION_PORT(s.session), w, s.call_tag, s.peer, rem, src,
			       json_string_value(json_object_get(j, "latch")), (unsigned long long)s.rtp_rx_pkts,
			       (unsigned long long)s.rtp_tx_pkts, s.lost, q.mos);
			json_array_append_new(list, j);
		}
	}
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "sessions", list), "%s", text);
}

static void
cmd_show_session(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id;
	int w;

	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show session needs exactly one session id");
		return;
	}
	const struct td_dp_shm *shm = need_dataplane(req);
	if (shm == NULL || (w = id_arg(req, shm, argv[0], &id)) < 0)
		return;
	uint32_t slot = (uint32_t)(TD_DP_SESSION_PORT(id) - shm->hdr->workers[w].rtp_port_lo) / 2;
	struct td_dp_session_stats s;
	if (slot < shm->hdr->workers[w].n_sessions)
		td_dp_session_read(td_dp_shm_session_stats(shm, (uint32_t)w, slot), &s);
	if (slot >= shm->hdr->workers[w].n_sessions || s.session != id) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u", id);
		return;
	}
	struct td_quality q;
	json_t *j = session_json((uint32_t)w, &s, &q);
	char text[2048], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t off = 0;
	APPEND("session %u: worker %d, port %u (RTCP %u), call %u, peer %u\n", id, w, TD_DP_SESSION_PORT(id),
	       TD_DP_SESSION_PORT(id) + 1, s.call_tag, s.peer);
	APPEND("  remote %s:%u%s%s, source %s:%u (%s)\n", ip_str(s.remote_ip, a), s.remote_port,
	       (s.flags & TD_DP_SESS_F_STRICT_SOURCE) ? " strict" : "",
	       (s.flags & TD_DP_SESS_F_JITTER_BUFFER) ? " jbuf" : "", ip_str(s.latched_ip, b), s.latched_port,
	       json_string_value(json_object_get(j, "latch")));
	APPEND("  rtp in %llu pkts %llu bytes, out %llu pkts %llu bytes; rtcp in %llu, out %llu\n",
	       (unsigned long long)s.rtp_rx_pkts, (unsigned long long)s.rtp_rx_bytes, (unsigned long long)s.rtp_tx_pkts,
	       (unsigned long long)s.rtp_tx_bytes, (unsigned long long)s.rtcp_rx_pkts,
	       (unsigned long long)s.rtcp_tx_pkts);
	APPEND("  dropped %llu (source refused %llu), source changes %u, ssrc changes %u%s\n",
	       (unsigned long long)s.dropped, (unsigned long long)s.src_rejected, s.source_changes, s.ssrc_changes,
	       s.timed_out ? ", media timed out" : "");
	if (s.codec[0])
		APPEND("  codec %.*s/%u, payload type %u, ptime %u ms%s\n", (int)strnlen(s.codec, sizeof(s.codec)),
		       s.codec, s.clock_rate, s.codec_pt, s.ptime_ms, s.transcoding ? ", transcoding" : "");
	/* Counts from the dataplane; the digits themselves from control's
	 * DTMF module, which saw the events. */
	struct dtmf_session_info di = {0};
	bool known = dtmf_session_get(id, &di);
	const char *det = !(s.dtmf_detect & TD_DP_DTMF_DETECT_ON)	 ? "off"
			  : (s.dtmf_detect & TD_DP_DTMF_DETECT_SUPPRESS) ? "on, suppressing"
									 : "on";
	if (s.dtmf_rx || s.dtmf_tx || s.dtmf_detect || known)
		APPEND("  dtmf %u received, %u sent, in-band detection %s%s; last \"%s\"%s%s%s\n", s.dtmf_rx, s.dtmf_tx,
		       det, s.transcoding ? " (transcoding: always)" : "", di.last, known ? " (" : "",
		       known ? dtmf_source_name(di.last_source) : "", known ? ")" : "");
	json_object_set_new(j, "dtmf",
			    json_pack("{s:i,s:i,s:b,s:b,s:s,s:s}", "received", s.dtmf_rx, "sent", s.dtmf_tx, "detect",
				      (s.dtmf_detect & TD_DP_DTMF_DETECT_ON) != 0, "suppress",
				      (s.dtmf_detect & TD_DP_DTMF_DETECT_SUPPRESS) != 0, "last", di.last, "source",
				      known ? dtmf_source_name(di.last_source) : ""));
	/* What control plays to it (prompt.c), and how the last play ended. */
	struct play_info pl;
	json_t *pj = json_object();
	if (play_session_get(id, &pl)) {
		uint64_t ms = (realtime_ns() - pl.since_ns) / 1000000ull;
		APPEND("  playing %s%s for %llu.%01llu s%s\n", pl.what, pl.loop ? " (loop)" : "",
		       (unsigned long long)ms / 1000, (unsigned long long)ms % 1000 / 100,
		       pl.started ? "" : " (starting)");
		json_object_set_new(pj, "playing",
				    json_pack("{s:s,s:b,s:b,s:I}", "what", pl.what, "loop", pl.loop, "started",
					      pl.started, "since_ns", (json_int_t)pl.since_ns));
	}
	int why;
	uint32_t frames;
	uint64_t at;
	char what[PROMPT_NAME_MAX + 1];
	if (play_last_done(id, &why, &frames, what, sizeof(what), &at)) {
		APPEND("  last play %s: %s, %u.%02u s sent\n", what, play_why_name(why), frames / 50, frames % 50 * 2);
		json_object_set_new(pj, "last",
				    json_pack("{s:s,s:i,s:s,s:i,s:I}", "what", what, "why", why, "why_text",
					      play_why_name(why), "frames", (int)frames, "at_ns", (json_int_t)at));
	}
	json_object_set_new(j, "play", pj);
	APPEND("  expected %u, lost %d (%.2f %%), jitter %.2f ms, rtt %.1f ms: R %.1f, MOS %.2f", s.expected, s.lost,
	       json_real_value(json_object_get(j, "loss_pct")), json_real_value(json_object_get(j, "jitter_ms")),
	       s.rtt_us / 1000.0, q.r, q.mos);
	td_mgmt_reply(req, TD_MGMT_OK, j, "%s", text);
}

TD_CMD_REGISTER(session_create, "session create", SESSION_ARGS " [worker N]",
		"a media session on a worker (the least loaded unless given); prints its id and port", cmd_create)
TD_CMD_REGISTER(session_update, "session update", "ID " SESSION_ARGS,
		"replace a session's parameters (a new remote learns afresh)", cmd_update)
TD_CMD_REGISTER(session_destroy, "session destroy", "ID", "end a session (unbridging it)", cmd_destroy)
TD_CMD_REGISTER(session_bridge, "session bridge", "ID ID",
		"relay two sessions' media to each other (transcoding when their codecs or ptimes differ)", cmd_bridge)
TD_CMD_REGISTER(session_unbridge, "session unbridge", "ID", "stop relaying between a session and its peer",
		cmd_unbridge)
TD_CMD_REGISTER(show_sessions, "show sessions", "[worker N] [call TAG] [address IP]",
		"media sessions with counters and MOS", cmd_show_sessions)
TD_CMD_REGISTER(show_session, "show session", "ID", "one session: counters, loss, jitter, RTT, R factor, MOS",
		cmd_show_session)
