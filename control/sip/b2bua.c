/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA: see the header. Calls live in two hash tables: by our call
 * number, and by each leg's dialog key (Call-ID and our tag). Dataplane
 * commands are asynchronous; their callbacks carry the call number, never
 * a pointer, so an ack for a call that ended meanwhile finds nothing (and a
 * session created for it is destroyed at once).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b2bua.h"
#include "codecs/td_codec.h"
#include "call_store.h"
#include "log.h"
#include "media/dp_link.h"
#include "registrar.h"
#include "sdp.h"
#include "sip_auth.h"
#include "sip_core.h"
#include "sip_resp.h"
#include "sip_transport.h"
#include "sip_uri.h"
#include "store/users.h"
#include "trunk.h"

#define CALL_BUCKETS	   16384
#define CALL_LINGER_MS	   4000
#define DP_TIMEOUT_MS	   2000
#define B_INVITE_NO_ANSWER 120000 /* give up ringing after two minutes */
#define XFER_NO_ANSWER	   30000  /* a transfer target, after 30 s */

enum dp_step {
	STEP_CREATE_A = 1,
	STEP_CREATE_B,
	STEP_BRIDGE,
	STEP_UPDATE,
	STEP_DESTROY,
	STEP_ANSWER,	    /* B's answer is in the dataplane: now answer A */
	STEP_XFER_CREATE,   /* transfer: the new callee's session */
	STEP_XFER_UNBRIDGE, /* A away from the referrer's session */
	STEP_XFER_BRIDGE,   /* A with the new callee's session */
	STEP_XFER_RETURN,   /* failed transfer: A with the referrer's session again */
	STEP_PLAY,	    /* ringback on A's session started or stopped */
	STEP_ATX_CREATE,    /* attended transfer: the target's session moved to our worker */
	STEP_ATX_BRIDGE,    /* the transferee with the target */
};

struct leg {
	struct call *call;
	int side; /* 0: A, the caller; 1: B, the callee */
	char call_id[128];
	char local_tag[24];
	char remote_tag[96];
	char local_uri[320];  /* our end of the dialog, as a name-addr */
	char remote_uri[320]; /* the far end */
	char remote_target[256];
	char route[512]; /* the route set: Route header value, "" when none */
	struct sip_peer peer;
	uint32_t local_cseq;
	uint32_t remote_cseq;
	uint32_t session;	/* dataplane session id; 0: none */
	struct sdp_session sdp; /* the far end's last SDP */
	bool have_sdp;
	uint64_t sdp_version; /* of the SDP we send on this leg */
	bool bye_sent;
	char codec[8];	  /* set only when the call transcodes: what this leg speaks */
	uint8_t codec_pt; /* its payload type on this leg */
	struct leg *hnext;
	struct leg *anext; /* leg A: by Call-ID and the caller's tag */
};

struct call {
	uint32_t id;
	enum call_state state;
	struct leg a, b;
	uint32_t worker;
	char from_user[64], to_user[64];
	uint64_t created_ms, answered_ms, ended_ms;
	uint16_t end_code;
	char end_reason[64];
	/* leg A's INVITE: its server transaction and a copy of its bytes
	 * (responses are built from it later). */
	struct sip_tsx *a_inv;
	char *a_inv_raw;
	size_t a_inv_len;
	bool a_final_sent;
	/* leg B's INVITE client transaction, and what a CANCEL needs */
	struct sip_tsx *b_inv;
	char b_branch[40];
	char b_ruri[256];
	bool b_provisional, b_final, b_answered, cancel_pending;
	uint32_t b_inv_cseq;		/* of B's INVITE: 1, more after a challenge */
	char trunk[TRUNK_NAME_MAX + 1]; /* leg B goes to this trunk */
	bool b_auth_sent;		/* B's challenge answered (once) */
	uint64_t b_deadline;
	/* the 2xx to A, resent until its ACK (RFC 3261 §13.3.1.4) */
	char *a_2xx;
	size_t a_2xx_len;
	uint64_t a_2xx_next, a_2xx_interval, a_2xx_deadline;
	/* the ACK sent to B, resent when B resends its 2xx */
	char *b_ack;
	size_t b_ack_len;
	/* a re-INVITE or UPDATE relayed from one leg to the other */
	struct sip_tsx *re_srv; /* the originator's server transaction */
	char *re_raw;		/* its request */
	size_t re_len;
	int re_from; /* side it came from, -1: none */
	enum sip_method re_method;
	/* blind transfer (REFER from B): the referrer's leg while the new
	 * callee is called; c->b is the new leg */
	struct leg *xfer_old;
	bool xfer;
	char xfer_prev_user[64]; /* the referrer's user, back if it fails */
	/* attended transfer (REFER with Replaces): the target's leg took
	 * the referrer's slot (atx_side); the transferee is offered the
	 * target's media, then both are bridged. atx_move: the target's
	 * session was on another worker; it gets a new one here and a
	 * re-INVITE for it. */
	bool atx, atx_move;
	int atx_side;
	uint32_t atx_old_worker, atx_old_session;
	bool local_offer; /* a re-INVITE of ours is out on a leg */
	/* local ringback: A was answered early (180 + SDP) with its own G.711
	 * payload type ringback_pt (-1: never) and hears a ringback tone
	 * from the dataplane while ringing */
	int16_t ringback_pt;
	bool ringing;
	bool persisted;			/* in the calls database */
	bool recovered, seen_a, seen_b; /* read back after a restart */
	struct call *hnext;
	struct call *all_next, *all_prev;
};

static struct b2bua_cfg cfg = {.max_calls = 10000, .media_timeout_s = 60, .auth_calls = true};
static struct b2bua_stats st;
static struct call *by_id[CALL_BUCKETS];
/* Legs hashed by Call-ID and a tag, chained through one of their own
 * pointers: by_dialog on our tag (every leg), by_caller on the caller's
 * tag (legs A, to recognise an INVITE resent after our 2xx). */
struct leg_table {
	struct leg *bucket[CALL_BUCKETS];
	size_t next; /* offset of the chain pointer in struct leg */
	size_t tag;  /* offset of the keying tag in struct leg */
};
static struct leg_table by_dialog = {.next = offsetof(struct leg, hnext), .tag = offsetof(struct leg, local_tag)};
static struct leg_table by_caller = {.next = offsetof(struct leg, anext), .tag = offsetof(struct leg, remote_tag)};
static struct call *all_calls;
static uint32_t next_call_id = 1;
static uint32_t next_worker;

static void call_end(struct call *c, uint16_t code, const char *reason);
static void call_persist(struct call *c);
static void reconcile_dump(const struct td_dp_msg *ev);
static void reconcile_start(void);
static bool reconcile_pending;
static uint32_t reconcile_acks; /* SESSION_DUMP acks still awaited */

const char *
call_state_name(enum call_state s)
{
	static const char *const n[] = {"setup", "outgoing", "early", "answered", "confirmed", "ended"};
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

void
b2bua_configure(const struct b2bua_cfg *c)
{
	cfg = *c;
	if (cfg.max_calls == 0)
		cfg.max_calls = 10000;
	if (cfg.media_timeout_s == 0)
		cfg.media_timeout_s = 60;
}

void
b2bua_stats_get(struct b2bua_stats *out)
{
	*out = st;
}

/* --- tables --- */

static uint32_t
hash_bytes(const char *p, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

static uint32_t
dialog_hash(const char *call_id, size_t cid_len, const char *tag, size_t tag_len)
{
	return hash_bytes(tag, tag_len, hash_bytes(call_id, cid_len, 2166136261u)) & (CALL_BUCKETS - 1);
}

static struct call *
call_find(uint32_t id)
{
	for (struct call *c = by_id[id & (CALL_BUCKETS - 1)]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

static struct leg **
chain(const struct leg_table *t, struct leg *l)
{
	return (struct leg **)((char *)l + t->next);
}

static uint32_t
leg_hash(const struct leg_table *t, const struct leg *l)
{
	const char *tag = (const char *)l + t->tag;
	return dialog_hash(l->call_id, strlen(l->call_id), tag, strlen(tag));
}

static void
table_add(struct leg_table *t, struct leg *l)
{
	uint32_t h = leg_hash(t, l);
	*chain(t, l) = t->bucket[h];
	t->bucket[h] = l;
}

static void
table_del(struct leg_table *t, struct leg *l)
{
	for (struct leg **pp = &t->bucket[leg_hash(t, l)]; *pp; pp = chain(t, *pp)) {
		if (*pp == l) {
			*pp = *chain(t, l);
			return;
		}
	}
}

/* by_dialog: the leg whose dialog a message belongs to, by its Call-ID and
 * our tag (the To tag of a request sent to us, the From tag of a response
 * to ours). by_caller: leg A of the call an INVITE without To tag made, by
 * its Call-ID and the caller's From tag (RFC 3261 §8.2.2.2, RFC 6026). */
static struct leg *
table_find(struct leg_table *t, struct sip_str call_id, struct sip_str tag)
{
	for (struct leg *l = t->bucket[dialog_hash(call_id.p, call_id.len, tag.p, tag.len)]; l; l = *chain(t, l))
		if (sip_str_eq(call_id, l->call_id) && sip_str_eq(tag, (const char *)l + t->tag))
			return l;
	return NULL;
}

static void
call_link_id(struct call *c)
{
	uint32_t b = c->id & (CALL_BUCKETS - 1);
	c->hnext = by_id[b];
	by_id[b] = c;
}

static void
call_unlink_id(struct call *c)
{
	for (struct call **pp = &by_id[c->id & (CALL_BUCKETS - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			return;
		}
	}
}

static struct call *
call_new(void)
{
	struct call *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	do
		c->id = next_call_id++;
	while (c->id == 0 || call_find(c->id));
	c->a.call = c->b.call = c;
	c->a.side = 0;
	c->b.side = 1;
	c->re_from = -1;
	c->ringback_pt = -1;
	c->created_ms = sip_core_now_ms();
	call_link_id(c);
	c->all_next = all_calls;
	if (all_calls)
		all_calls->all_prev = c;
	all_calls = c;
	st.active++;
	return c;
}

static void
call_free(struct call *c)
{
	call_unlink_id(c);
	if (c->a.call_id[0]) {
		table_del(&by_dialog, &c->a);
		table_del(&by_caller, &c->a);
	}
	if (c->b.call_id[0])
		table_del(&by_dialog, &c->b);
	if (c->xfer_old) {
		table_del(&by_dialog, c->xfer_old);
		free(c->xfer_old);
	}
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		all_calls = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	free(c->a_inv_raw);
	free(c->a_2xx);
	free(c->b_ack);
	free(c->re_raw);
	free(c);
}

/* --- building messages --- */

/* A request inside leg l's dialog (or the INVITE that makes it: no remote
 * tag yet). branch: filled with the new branch. */
static int
build_request(struct leg *l, const char *method, const char *ruri, uint32_t cseq, const char *cseq_method,
	      const char *branch, const char *extra, const char *body, size_t body_len, char *buf, size_t max)
{
	struct sip_out o = {.p = buf, .max = max};
	char hp[64];

	sip_core_local_hostport(&l->peer, hp, sizeof(hp));
	sip_out_put(&o, "%s %s SIP/2.0\r\n", method, ruri);
	sip_out_put(&o, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n", sip_core_via_transport(&l->peer), hp, branch);
	sip_out_put(&o, "Max-Forwards: 70\r\n");
	sip_out_put(&o, "From: %s;tag=%s\r\n", l->local_uri, l->local_tag);
	if (l->remote_tag[0])
		sip_out_put(&o, "To: %s;tag=%s\r\n", l->remote_uri, l->remote_tag);
	else
		sip_out_put(&o, "To: %s\r\n", l->remote_uri);
	sip_out_put(&o, "Call-ID: %s\r\n", l->call_id);
	sip_out_put(&o, "CSeq: %u %s\r\n", cseq, cseq_method ? cseq_method : method);
	/* §12.2.1.1: inside a dialog, its route set (loose routers). */
	if (l->remote_tag[0] && l->route[0])
		sip_out_put(&o, "Route: %s\r\n", l->route);
	sip_out_put(&o, "User-Agent: tongdai/%s\r\n", TD_VERSION);
	if (extra)
		sip_out_put(&o, "%s", extra);
	if (body && body_len && extra && strstr(extra, "Content-Type:"))
		sip_out_put(&o, "Content-Length: %zu\r\n\r\n%.*s", body_len, (int)body_len, body);
	else if (body && body_len)
		sip_out_put(&o, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%.*s", body_len,
			    (int)body_len, body);
	else
		sip_out_put(&o, "Content-Length: 0\r\n\r\n");
	return o.full ? -ENOBUFS : (int)o.len;
}

static void
new_branch(char *out, size_t n)
{
	char tok[24];
	sip_core_token(tok, sizeof(tok));
	snprintf(out, n, SIP_TSX_BRANCH_COOKIE "%s", tok);
}

/* The dataplane's media address: its first port's. */
static uint32_t
media_ip(void)
{
	const struct td_dp_shm *shm = dp_link_shm();
	struct td_dp_port_info p;
	if (shm == NULL)
		return 0;
	td_dp_port_read(&shm->hdr->ports[0], &p);
	return p.ipv4;
}

/* Our SDP for leg l: the far end's offer or answer on the other leg,
 * pointed at l's dataplane session. */
static int
build_sdp(struct leg *l, const struct sdp_session *from, char *buf, size_t max)
{
	struct sdp_session s = *from;
	uint32_t ip = media_ip();

	s.sess_id = ((uint64_t)l->call->id << 1) | (uint64_t)l->side;
	s.sess_version = ++l->sdp_version;
	snprintf(s.origin_user, sizeof(s.origin_user), "tongdai");
	inet_ntop(AF_INET, &ip, s.origin_addr, sizeof(s.origin_addr));
	s.conn_addr = ip;
	/* Hold by c=0.0.0.0 (RFC 2543) is kept as such. */
	if (s.audio.addr != 0)
		s.audio.addr = ip;
	s.audio.port = l->session ? TD_DP_SESSION_PORT(l->session) : 0;
	return sdp_build(&s, buf, max);
}

static const struct sip_msg *
reparse(const char *raw, size_t len)
{
	static struct sip_msg m;
	struct sip_err err;
	return sip_msg_parse(raw, len, false, &m, &err) < 0 ? NULL : &m;
}

/* Respond on leg A's INVITE; a 2xx is kept and resent until the ACK. */
static void
respond_a(struct call *c, uint16_t code, const char *reason, const char *body, size_t body_len)
{
	static char buf[SIP_MAX_MSG];
	char extra[320];
	const struct sip_msg *m;
	int len;

	if (c->a_final_sent || c->a_inv == NULL || (m = reparse(c->a_inv_raw, c->a_inv_len)) == NULL)
		return;
	extra[0] = '\0';
	if (code < 300 && code > 100) {
		if (sip_core_contact(&c->a.peer, extra, sizeof(extra)) < 0)
			extra[0] = '\0';
		if (code >= 200)
			strncat(extra, "Allow: " SIP_CORE_ALLOW "\r\n", sizeof(extra) - strlen(extra) - 1);
	}
	if (code == 503)
		snprintf(extra, sizeof(extra), "Retry-After: 5\r\n");
	len = sip_resp_build_body(m, code, reason, extra[0] ? extra : NULL, c->a.local_tag, "application/sdp", body,
				  body_len, buf, sizeof(buf));
	if (len < 0)
		return;
	if (code >= 200) {
		c->a_final_sent = true;
		if (code < 300) {
			free(c->a_2xx);
			c->a_2xx = malloc((size_t)len);
			if (c->a_2xx) {
				memcpy(c->a_2xx, buf, (size_t)len);
				c->a_2xx_len = (size_t)len;
				uint64_t now = sip_core_now_ms();
				c->a_2xx_interval = SIP_TSX_T1_MS;
				c->a_2xx_next =
					c->a.peer.transport == SIP_TRANSPORT_UDP ? now + SIP_TSX_T1_MS : UINT64_MAX;
				c->a_2xx_deadline = now + 64 * SIP_TSX_T1_MS;
			}
		}
	}
	struct sip_tsx *t = c->a_inv;
	if (code >= 200)
		c->a_inv = NULL; /* the layer may free it on a 2xx */
	sip_tsx_respond(sip_core_tsx(), t, buf, (size_t)len, code, sip_core_now_ms());
}

/* The codecs the dataplane can transcode between, in our preference. */
static const struct {
	const char *name;
	uint8_t pt; /* static, or TD_CODEC_PT_DYNAMIC */
	uint32_t clock;
	uint8_t channels;
} xcodecs[] = {
	{"PCMA", 8, 8000, 1},
	{"PCMU", 0, 8000, 1},
	{"G722", 9, 8000, 1},
	{"G729", 18, 8000, 1},
	{"opus", TD_CODEC_PT_DYNAMIC, 48000, 2},
};

static const struct sdp_fmt *
fmt_named(const struct sdp_media *m, const char *name)
{
	for (unsigned i = 0; i < m->n_fmts; i++)
		if (strcasecmp(m->fmts[i].name, name) == 0)
			return &m->fmts[i];
	return NULL;
}

static bool
is_xcodec(const char *name)
{
	for (unsigned k = 0; k < sizeof(xcodecs) / sizeof(xcodecs[0]); k++)
		if (strcasecmp(xcodecs[k].name, name) == 0)
			return true;
	return false;
}

/* The offer toward B: A's formats first (no transcoding when B takes one
 * of them), then every codec we transcode from that A lacks. */
static void
offer_transcodable(struct sdp_media *m)
{
	bool any = false;
	for (unsigned i = 0; i < m->n_fmts; i++)
		any |= is_xcodec(m->fmts[i].name);
	if (!any)
		return; /* nothing of A's could be transcoded */
	for (unsigned k = 0; k < sizeof(xcodecs) / sizeof(xcodecs[0]) && m->n_fmts < SDP_MAX_FMTS; k++) {
		if (fmt_named(m, xcodecs[k].name))
			continue;
		uint8_t pt = xcodecs[k].pt;
		if (pt == TD_CODEC_PT_DYNAMIC) {
			/* a dynamic payload type A does not use */
			for (pt = 96; pt < 128; pt++) {
				bool used = false;
				for (unsigned i = 0; i < m->n_fmts; i++)
					used |= m->fmts[i].pt == pt;
				if (!used)
					break;
			}
			if (pt == 128)
				continue;
		} else {
			bool used = false;
			for (unsigned i = 0; i < m->n_fmts; i++)
				used |= m->fmts[i].pt == pt;
			if (used)
				continue;
		}
		struct sdp_fmt *f = &m->fmts[m->n_fmts++];
		memset(f, 0, sizeof(*f));
		f->pt = pt;
		snprintf(f->name, sizeof(f->name), "%s", xcodecs[k].name);
		f->clock = xcodecs[k].clock;
		f->channels = xcodecs[k].channels;
	}
}

/* After B's answer: when B chose a codec A did not offer, both legs get a
 * codec and the dataplane transcodes between them. Returns true then. */
/* The codec a leg's SDP puts first: what it sends. */
static const struct sdp_fmt *
active_fmt(const struct sdp_media *m)
{
	for (unsigned i = 0; i < m->n_fmts; i++)
		if (strcasecmp(m->fmts[i].name, "telephone-event") != 0)
			return &m->fmts[i];
	return NULL;
}

static bool
choose_codecs(struct call *c)
{
	const struct sdp_media *bm = &c->b.sdp.audio, *am = &c->a.sdp.audio;
	const struct sdp_fmt *fb = active_fmt(bm), *fa = NULL;
	c->a.codec[0] = c->b.codec[0] = '\0';
	if (c->ringback_pt >= 0) {
		/* A has its answer already (the 180 of the ringback): it
		 * keeps that codec, B's is transcoded to it if it differs. */
		for (unsigned i = 0; i < am->n_fmts && fa == NULL; i++)
			if (am->fmts[i].pt == c->ringback_pt)
				fa = &am->fmts[i];
		if (fb == NULL || fa == NULL || strcasecmp(fb->name, fa->name) == 0 || !is_xcodec(fb->name))
			return false;
		snprintf(c->a.codec, sizeof(c->a.codec), "%.7s", fa->name);
		c->a.codec_pt = fa->pt;
		snprintf(c->b.codec, sizeof(c->b.codec), "%.7s", fb->name);
		c->b.codec_pt = fb->pt;
		return true;
	}
	if (fb == NULL || fmt_named(am, fb->name) || !is_xcodec(fb->name))
		return false;
	for (unsigned i = 0; i < am->n_fmts && fa == NULL; i++)
		if (is_xcodec(am->fmts[i].name))
			fa = &am->fmts[i];
	if (fa == NULL)
		return false;
	snprintf(c->a.codec, sizeof(c->a.codec), "%.7s", fa->name);
	c->a.codec_pt = fa->pt;
	snprintf(c->b.codec, sizeof(c->b.codec), "%.7s", fb->name);
	c->b.codec_pt = fb->pt;
	return true;
}

/* The answer to A when the call transcodes: A's own codec (and its
 * telephone-event), at A's session. */
static int
build_answer_a(struct call *c, char *buf, size_t max)
{
	struct sdp_session s = c->a.sdp;
	struct sdp_media *m = &s.audio;
	unsigned n = 0;
	for (unsigned i = 0; i < m->n_fmts; i++)
		if (strcasecmp(m->fmts[i].name, c->a.codec) == 0 || (int)m->fmts[i].pt == m->tel_event_pt)
			m->fmts[n++] = m->fmts[i];
	m->n_fmts = (uint8_t)n;
	m->dir = m->dir == SDP_SENDONLY ? SDP_RECVONLY : m->dir == SDP_RECVONLY ? SDP_SENDONLY : m->dir;
	return build_sdp(&c->a, &s, buf, max);
}

/* --- the dataplane side --- */

static uint64_t
dp_cookie(struct call *c, enum dp_step step)
{
	return (uint64_t)c->id << 8 | (uint64_t)step;
}

static void dp_ack(void *arg, const struct td_dp_msg *ack, int err);

static int
dp_send(struct call *c, struct td_dp_msg *m, enum dp_step step)
{
	return dp_link_send(c->worker, m, dp_ack, (void *)(uintptr_t)dp_cookie(c, step), DP_TIMEOUT_MS);
}

static void
dp_session_params(struct call *c, struct leg *l, struct td_dp_msg *m, uint16_t type)
{
	td_dp_msg_init(m, type, 0);
	m->sess.session = type == TD_DP_CMD_SESSION_UPDATE ? l->session : 0;
	m->sess.call_tag = c->id;
	m->sess.media_timeout_s = cfg.media_timeout_s;
	if (l->codec[0]) {
		memcpy(m->sess.codec, l->codec, sizeof(m->sess.codec));
		m->sess.codec_pt = l->codec_pt;
		/* What we decode waits in a jitter buffer first. */
		m->sess.flags |= TD_DP_SESS_F_JITTER_BUFFER;
	}
	if (l->have_sdp) {
		const struct sdp_media *a = &l->sdp.audio;
		m->sess.remote_ip = a->addr;
		m->sess.remote_port = a->port;
		m->sess.ptime_ms = a->ptime;
		if (a->n_fmts)
			m->sess.clock_rate = a->fmts[0].clock;
		if (a->tel_event_pt >= 0)
			m->sess.tel_event_pt = (uint8_t)a->tel_event_pt;
		/* The payload types A offered: what a tone played to it is
		 * encoded by (a session without a codec plays G.711). */
		if (l->side == 0 && c->ringback_pt >= 0)
			for (unsigned i = 0; i < a->n_fmts && m->sess.n_pts < sizeof(m->sess.pts); i++)
				m->sess.pts[m->sess.n_pts++] = a->fmts[i].pt;
	}
}

static void
dp_destroy_session(uint32_t worker, uint32_t session)
{
	struct td_dp_msg m;
	if (session == 0)
		return;
	td_dp_msg_init(&m, TD_DP_CMD_SESSION_DESTROY, 0);
	m.ref.session = session;
	dp_link_send(worker, &m, dp_ack, (void *)(uintptr_t)STEP_DESTROY, DP_TIMEOUT_MS);
}

static void
dp_update_leg(struct call *c, struct leg *l)
{
	struct td_dp_msg m;
	if (l->session == 0)
		return;
	dp_session_params(c, l, &m, TD_DP_CMD_SESSION_UPDATE);
	dp_send(c, &m, STEP_UPDATE);
}

static void send_b_invite(struct call *c);
static void answer_a(struct call *c);
static void atx_moved(struct call *c, uint32_t session);
static void atx_done(struct call *c);

static void
dp_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	uint64_t cookie = (uint64_t)(uintptr_t)arg;
	enum dp_step step = (enum dp_step)(cookie & 0xff);
	struct call *c = call_find((uint32_t)(cookie >> 8));
	int res = ack ? ack->ack.result : err;
	struct td_dp_msg m;

	if (step == STEP_DESTROY)
		return;
	if (c == NULL || c->state == CALL_ENDED) {
		/* The call ended while the dataplane worked: nothing may
		 * stay behind for it. */
		if (ack && res == 0 && ack->ack.session &&
		    (step == STEP_CREATE_A || step == STEP_CREATE_B || step == STEP_XFER_CREATE ||
		     step == STEP_ATX_CREATE))
			dp_destroy_session(ack->hdr.worker, ack->ack.session);
		return;
	}
	if (res < 0) {
		if (step == STEP_UPDATE || step == STEP_PLAY) {
			LOG_WARN("call %u: dataplane refused a %s: %s", c->id,
				 step == STEP_PLAY ? "ringback play or stop" : "session update", strerror(-res));
			return;
		}
		LOG_WARN("call %u: dataplane: %s", c->id, strerror(-res));
		st.overload++;
		call_end(c, 503, "Media Resources Unavailable");
		return;
	}
	switch (step) {
	case STEP_CREATE_A:
	case STEP_CREATE_B:
		/* Both sessions are asked for at once; the second ack bridges. */
		if (step == STEP_CREATE_A)
			c->a.session = ack->ack.session;
		else
			c->b.session = ack->ack.session;
		if (c->a.session == 0 || c->b.session == 0)
			break;
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_BRIDGE, 0);
		m.ref.session = c->a.session;
		m.ref.peer = c->b.session;
		if (dp_send(c, &m, STEP_BRIDGE) == -ENOMEM)
			call_end(c, 500, "Server Internal Error");
		break;
	case STEP_BRIDGE:
		send_b_invite(c);
		break;
	case STEP_ANSWER:
		answer_a(c);
		break;
	case STEP_XFER_CREATE:
		c->b.session = ack->ack.session;
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_UNBRIDGE, 0);
		m.ref.session = c->a.session;
		if (dp_send(c, &m, STEP_XFER_UNBRIDGE) == -ENOMEM)
			call_end(c, 500, "Server Internal Error");
		break;
	case STEP_XFER_UNBRIDGE:
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_BRIDGE, 0);
		m.ref.session = c->a.session;
		m.ref.peer = c->b.session;
		if (dp_send(c, &m, STEP_XFER_BRIDGE) == -ENOMEM)
			call_end(c, 500, "Server Internal Error");
		break;
	case STEP_XFER_BRIDGE:
		/* The referrer's session stays until the target answers:
		 * the caller goes back to it if the transfer fails. */
		send_b_invite(c);
		break;
	case STEP_ATX_CREATE:
		atx_moved(c, ack->ack.session);
		break;
	case STEP_ATX_BRIDGE:
		atx_done(c);
		break;
	default:
		break;
	}
}

void
b2bua_dp_event(const struct td_dp_msg *ev)
{
	if (ev->hdr.type == TD_DP_EVT_SESSION_DUMP && reconcile_acks) {
		reconcile_dump(ev);
		return;
	}
	if (ev->hdr.type != TD_DP_EVT_MEDIA_TIMEOUT)
		return;
	struct call *c = call_find(ev->sevt.call_tag);
	if (c == NULL || c->state == CALL_ENDED)
		return;
	if (ev->sevt.session != c->a.session && ev->sevt.session != c->b.session)
		return;
	LOG_INFO("call %u: no media for %u ms, hanging up", c->id, ev->sevt.idle_ms);
	st.media_timeouts++;
	call_end(c, 408, "Media Timeout");
}

/* --- ending --- */

static void leg_tsx_cb(uint64_t cookie, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m);

static void
send_bye(struct call *c, struct leg *l, const char *reason)
{
	static char buf[SIP_MAX_MSG];
	char branch[40], extra[160];
	int len;

	if (l->bye_sent || l->remote_tag[0] == '\0')
		return;
	l->bye_sent = true;
	new_branch(branch, sizeof(branch));
	snprintf(extra, sizeof(extra), "Reason: SIP;text=\"%s\"\r\n", reason);
	len = build_request(l, "BYE", l->remote_target, ++l->local_cseq, NULL, branch, extra, NULL, 0, buf,
			    sizeof(buf));
	if (len > 0)
		sip_core_request(buf, (size_t)len, SIP_M_BYE, branch, &l->peer, leg_tsx_cb,
				 (uint64_t)c->id << 8 | 0x10 | (uint64_t)l->side, NULL);
}

static void
send_cancel(struct call *c)
{
	static char buf[SIP_MAX_MSG];
	struct leg *l = &c->b;
	char saved[sizeof(l->remote_tag)];
	int len;

	/* §9.1: a CANCEL has the INVITE's Request-URI, top Via, Call-ID,
	 * From and To (without the tag a provisional response gave) and
	 * CSeq number. */
	memcpy(saved, l->remote_tag, sizeof(saved));
	l->remote_tag[0] = '\0';
	len = build_request(l, "CANCEL", c->b_ruri, c->b_inv_cseq, NULL, c->b_branch, NULL, NULL, 0, buf, sizeof(buf));
	memcpy(l->remote_tag, saved, sizeof(saved));
	if (len > 0)
		sip_core_request(buf, (size_t)len, SIP_M_CANCEL, c->b_branch, &l->peer, leg_tsx_cb,
				 (uint64_t)c->id << 8 | 0x20, NULL);
	c->cancel_pending = false;
}

static void
call_end(struct call *c, uint16_t code, const char *reason)
{
	if (c->state == CALL_ENDED)
		return;
	bool was_answered = c->state == CALL_ANSWERED || c->state == CALL_CONFIRMED;
	c->end_code = code;
	snprintf(c->end_reason, sizeof(c->end_reason), "%s", reason);
	/* Leg A: a final response if it has none, else BYE. */
	if (!c->a_final_sent)
		respond_a(c, code >= 300 ? code : 500, code >= 300 ? reason : "Server Internal Error", NULL, 0);
	else if (was_answered)
		send_bye(c, &c->a, reason);
	/* Leg B: CANCEL an INVITE still ringing, BYE an answered one. */
	if (c->b_inv && !c->b_final) {
		if (c->b_provisional)
			send_cancel(c);
		else
			c->cancel_pending = true;
	} else if (c->b_answered && c->b.remote_tag[0]) {
		send_bye(c, &c->b, reason);
	}
	if (c->xfer_old) {
		send_bye(c, c->xfer_old, reason);
		dp_destroy_session(c->worker, c->xfer_old->session);
		c->xfer_old->session = 0;
	}
	if (was_answered)
		st.completed++;
	else if (code == 487)
		st.cancelled++;
	else
		st.failed++;
	dp_destroy_session(c->worker, c->a.session);
	dp_destroy_session(c->worker, c->b.session);
	c->a.session = c->b.session = 0;
	c->state = CALL_ENDED;
	c->ended_ms = sip_core_now_ms();
	if (c->persisted) {
		call_store_del(c->id);
		c->persisted = false;
	}
	free(c->a_2xx);
	c->a_2xx = NULL;
	st.active--;
}

int
b2bua_hangup(uint32_t call_id, const char *why)
{
	struct call *c = call_find(call_id);
	if (c == NULL)
		return -ENOENT;
	if (c->state == CALL_ENDED)
		return -EALREADY;
	call_end(c, c->state >= CALL_ANSWERED ? 200 : 480, why);
	return 0;
}

/* --- leg B: the INVITE out and its responses --- */

static void
send_b_invite_auth(struct call *c, const char *auth)
{
	static char buf[SIP_MAX_MSG];
	char sdp[4096], extra[1536];
	int sdp_len, len;

	struct sdp_session offer = c->a.sdp;
	offer_transcodable(&offer.audio);
	sdp_len = build_sdp(&c->b, &offer, sdp, sizeof(sdp));
	if (sdp_len < 0 || sip_core_contact(&c->b.peer, extra, sizeof(extra)) < 0) {
		call_end(c, 500, "Server Internal Error");
		return;
	}
	strncat(extra, "Allow: " SIP_CORE_ALLOW "\r\n", sizeof(extra) - strlen(extra) - 1);
	if (auth)
		strncat(extra, auth, sizeof(extra) - strlen(extra) - 1);
	new_branch(c->b_branch, sizeof(c->b_branch));
	/* §22.2: the retry after a challenge is the same dialog's next CSeq. */
	c->b.local_cseq = auth ? c->b_inv_cseq + 1 : 1;
	c->b_inv_cseq = c->b.local_cseq;
	len = build_request(&c->b, "INVITE", c->b_ruri, c->b_inv_cseq, NULL, c->b_branch, extra, sdp, (size_t)sdp_len,
			    buf, sizeof(buf));
	if (len < 0 || sip_core_request(buf, (size_t)len, SIP_M_INVITE, c->b_branch, &c->b.peer, leg_tsx_cb,
					(uint64_t)c->id << 8 | 1, &c->b_inv) < 0) {
		call_end(c, 503, "Service Unavailable");
		return;
	}
	c->b_deadline = sip_core_now_ms() + (c->xfer ? XFER_NO_ANSWER : B_INVITE_NO_ANSWER);
	if (c->xfer || auth)
		return; /* A is answered already, or has its 100 */
	c->state = CALL_OUTGOING;
	respond_a(c, 100, "Trying", NULL, 0);
}

static void
send_b_invite(struct call *c)
{
	send_b_invite_auth(c, NULL);
}

/* A trunk's 401/407 to our INVITE: the same INVITE again with the trunk's
 * credentials, once (RFC 3261 §22.2). False when it cannot be answered. */
static bool
trunk_challenge(struct call *c, const struct sip_msg *m)
{
	struct sip_auth_client ac = {0};
	char hdr[1024];

	if (c->trunk[0] == '\0' || c->b_auth_sent || c->xfer || c->state == CALL_ENDED)
		return false;
	if (sip_auth_client_parse(m, &ac) < 0 ||
	    trunk_auth_header(c->trunk, &ac, "INVITE", c->b_ruri, hdr, sizeof(hdr)) < 0)
		return false;
	c->b_auth_sent = true;
	c->b_final = false;
	c->b_provisional = false;
	send_b_invite_auth(c, hdr);
	return true;
}

static void
take_sdp(struct leg *l, const struct sip_msg *m)
{
	struct sdp_session s;
	char err[128];
	if (m->body.len == 0)
		return;
	if (sdp_parse(m->body.p, m->body.len, &s, err, sizeof(err)) < 0) {
		LOG_WARN("call %u: bad SDP from leg %c: %s", l->call->id, l->side ? 'B' : 'A', err);
		return;
	}
	l->sdp = s;
	l->have_sdp = true;
}

static void
take_remote(struct leg *l, const struct sip_msg *m, bool target)
{
	const struct sip_hdr *ct = m->first[SIP_HDR_CONTACT];
	struct sip_addr a;
	if (m->to.tag.len && l->remote_tag[0] == '\0')
		sip_str_copy(m->to.tag, l->remote_tag, sizeof(l->remote_tag));
	if (target && ct && sip_addr_parse(ct->value, &a) == 0)
		sip_str_copy(a.uri, l->remote_target, sizeof(l->remote_target));
}

/* The route set of leg l from m's Record-Route entries (§12.1.1: in order
 * for the INVITE we answer; §12.1.2: reversed for a response to ours).
 * Entries are split at commas outside <> and quotes. -ENOBUFS when it
 * does not fit (the leg keeps none). */
static int
take_route(struct leg *l, const struct sip_msg *m, bool reverse)
{
	struct sip_str e[16];
	unsigned n = 0;
	struct sip_out o = {.p = l->route, .max = sizeof(l->route)};

	l->route[0] = '\0';
	for (uint32_t i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		if (h->id != SIP_HDR_RECORD_ROUTE)
			continue;
		uint32_t k = 0, start = 0;
		bool angle = false, quote = false;
		for (; k <= h->value.len; k++) {
			char ch = k < h->value.len ? h->value.p[k] : ',';
			if (quote) {
				quote = ch != '"';
				continue;
			}
			if (ch == '"')
				quote = true;
			else if (ch == '<')
				angle = true;
			else if (ch == '>')
				angle = false;
			else if (ch == ',' && !angle) {
				struct sip_str v = {h->value.p + start, k - start};
				while (v.len && (*v.p == ' ' || *v.p == '\t' || *v.p == '\r' || *v.p == '\n')) {
					v.p++;
					v.len--;
				}
				while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t' ||
						 v.p[v.len - 1] == '\r' || v.p[v.len - 1] == '\n'))
					v.len--;
				if (v.len) {
					if (n == sizeof(e) / sizeof(e[0]))
						return -ENOBUFS;
					e[n++] = v;
				}
				start = k + 1;
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		const struct sip_str *v = &e[reverse ? n - 1 - i : i];
		if (i)
			sip_out_write(&o, ", ", 2);
		sip_out_write(&o, v->p, v->len);
	}
	if (o.full || o.len >= o.max) {
		l->route[0] = '\0';
		return -ENOBUFS;
	}
	l->route[o.len] = '\0';
	return 0;
}

/* The ACK for a 2xx to our INVITE on leg l (§13.2.2.4): a new transaction
 * of its own, sent outside the transaction layer. */
static void
ack_leg(struct call *c, struct leg *l, uint32_t cseq)
{
	static char buf[SIP_MAX_MSG];
	char branch[40];
	new_branch(branch, sizeof(branch));
	int len = build_request(l, "ACK", l->remote_target, cseq, NULL, branch, NULL, NULL, 0, buf, sizeof(buf));
	if (len < 0)
		return;
	if (l->side == 1 && cseq == c->b_inv_cseq) {
		free(c->b_ack);
		c->b_ack = malloc((size_t)len);
		if (c->b_ack) {
			memcpy(c->b_ack, buf, (size_t)len);
			c->b_ack_len = (size_t)len;
		}
	}
	sip_core_send_raw(&l->peer, buf, (size_t)len);
}

static void xfer_response(struct call *c, const struct sip_msg *m);

static void
play_cmd(struct call *c, uint16_t type)
{
	struct td_dp_msg dm;
	td_dp_msg_init(&dm, type, 0);
	dm.play.session = c->a.session;
	if (type == TD_DP_CMD_PLAY) {
		dm.play.tone = TD_DP_TONE_RINGBACK;
		dm.play.flags = TD_DP_PLAY_LOOP;
	}
	dp_send(c, &dm, STEP_PLAY);
}

/* B rings without early media: A is answered early (180 with SDP, RFC
 * 3960: phones still show ringing) with its own first codec when that is G.711 and hears a ringback tone from the
 * dataplane until B answers or sends media of its own. false: A's
 * first codec is not G.711, nothing done (A then gets a plain 180). */
static bool
ringback_start(struct call *c)
{
	const struct sdp_fmt *f = active_fmt(&c->a.sdp.audio);
	char sdp[4096];
	int len;

	if (f == NULL || (f->pt != 0 && f->pt != 8) || c->a.session == 0)
		return false;
	c->ringback_pt = f->pt;
	struct sdp_session s = c->a.sdp;
	struct sdp_media *am = &s.audio;
	unsigned n = 0;
	for (unsigned i = 0; i < am->n_fmts; i++)
		if (am->fmts[i].pt == f->pt || (int)am->fmts[i].pt == am->tel_event_pt)
			am->fmts[n++] = am->fmts[i];
	am->n_fmts = (uint8_t)n;
	am->dir = am->dir == SDP_SENDONLY ? SDP_RECVONLY : am->dir == SDP_RECVONLY ? SDP_SENDONLY : am->dir;
	if ((len = build_sdp(&c->a, &s, sdp, sizeof(sdp))) < 0) {
		c->ringback_pt = -1;
		return false;
	}
	dp_update_leg(c, &c->a); /* A's payload types, for the tone's encoding */
	play_cmd(c, TD_DP_CMD_PLAY);
	c->ringing = true;
	st.ringbacks++;
	respond_a(c, 180, "Ringing", sdp, (size_t)len);
	return true;
}

static void
ringback_stop(struct call *c)
{
	if (!c->ringing)
		return;
	c->ringing = false;
	play_cmd(c, TD_DP_CMD_PLAY_STOP);
}

static void
b_invite_response(struct call *c, const struct sip_msg *m)
{
	char sdp[4096];
	int sdp_len = -1;

	if (c->xfer) {
		xfer_response(c, m);
		return;
	}

	if (m->status < 200) {
		if (m->status == 100)
			return;
		c->b_provisional = true;
		if (c->state == CALL_ENDED) {
			if (c->cancel_pending)
				send_cancel(c);
			return;
		}
		take_remote(&c->b, m, true);
		c->state = CALL_EARLY;
		if (m->body.len) {
			take_sdp(&c->b, m);
			if (c->b.have_sdp) {
				ringback_stop(c); /* B's own early media from now */
				dp_update_leg(c, &c->b);
				sdp_len = build_sdp(&c->a, &c->b.sdp, sdp, sizeof(sdp));
			}
		} else if (c->ringing || (c->ringback_pt < 0 && !c->b.have_sdp && ringback_start(c))) {
			return;
		}
		respond_a(c, m->status == 183 || sdp_len > 0 ? 183 : 180,
			  m->status == 183 || sdp_len > 0 ? "Session Progress" : "Ringing", sdp_len > 0 ? sdp : NULL,
			  sdp_len > 0 ? (size_t)sdp_len : 0);
		return;
	}
	c->b_final = true;
	if ((m->status == 401 || m->status == 407) && trunk_challenge(c, m))
		return;
	if (m->status >= 300) {
		if (c->state != CALL_ENDED) {
			char reason[64];
			snprintf(reason, sizeof(reason), "%.*s", (int)m->reason.len, m->reason.p);
			/* B's challenge is for us, not for the caller. */
			uint16_t code = m->status == 401 || m->status == 407 ? 403 : m->status;
			call_end(c, code, reason[0] ? reason : "Failed");
		}
		return;
	}
	/* 2xx: the dialog with B is confirmed by our ACK. */
	c->b_answered = true;
	ringback_stop(c);
	take_remote(&c->b, m, true);
	if (c->b.remote_target[0] == '\0')
		snprintf(c->b.remote_target, sizeof(c->b.remote_target), "%s", c->b_ruri);
	if (take_route(&c->b, m, true) < 0)
		LOG_WARN("call %u: leg B's route set is too long: requests go without it", c->id);
	ack_leg(c, &c->b, m->cseq);
	if (c->state == CALL_ENDED) {
		/* Answered after we gave up (CANCEL crossed the 200). */
		send_bye(c, &c->b, "Call ended");
		return;
	}
	take_sdp(&c->b, m);
	if (!c->b.have_sdp) {
		st.no_media++;
		call_end(c, 488, "Not Acceptable Here (no SDP answer)");
		return;
	}
	/* A hears the answer once B's address is in the dataplane, so that
	 * the caller's first packets already have somewhere to go. When B
	 * chose a codec A lacks, A's session gets A's codec first; the
	 * update of B then makes the pair transcode (or is refused for the
	 * worker's transcoding budget: 503). */
	struct td_dp_msg dm;
	if (choose_codecs(c)) {
		dp_session_params(c, &c->a, &dm, TD_DP_CMD_SESSION_UPDATE);
		if (dp_send(c, &dm, STEP_UPDATE) == -ENOMEM) {
			call_end(c, 500, "Server Internal Error");
			return;
		}
	}
	dp_session_params(c, &c->b, &dm, TD_DP_CMD_SESSION_UPDATE);
	if (dp_send(c, &dm, STEP_ANSWER) == -ENOMEM)
		call_end(c, 500, "Server Internal Error");
}

static void
answer_a(struct call *c)
{
	char sdp[4096];
	int sdp_len =
		c->a.codec[0] ? build_answer_a(c, sdp, sizeof(sdp)) : build_sdp(&c->a, &c->b.sdp, sdp, sizeof(sdp));
	if (sdp_len < 0) {
		call_end(c, 500, "Server Internal Error");
		return;
	}
	if (c->a.codec[0])
		st.transcoded++;
	c->state = CALL_ANSWERED;
	c->answered_ms = sip_core_now_ms();
	st.answered++;
	respond_a(c, 200, "OK", sdp, (size_t)sdp_len);
	call_persist(c);
}

/* A re-INVITE/UPDATE we relayed got its final response on the other leg. */
static void
reinvite_response(struct call *c, struct leg *to, const struct sip_msg *m)
{
	static char buf[SIP_MAX_MSG];
	struct leg *from = to->side ? &c->a : &c->b;
	const struct sip_msg *req;
	char sdp[4096];
	int sdp_len = -1;

	if (m->status < 200)
		return;
	if (m->status < 300 && m->cseq_method == SIP_M_INVITE)
		ack_leg(c, to, m->cseq);
	if (m->status < 300 && m->body.len) {
		take_sdp(to, m);
		dp_update_leg(c, to);
		sdp_len = build_sdp(from, &to->sdp, sdp, sizeof(sdp));
	}
	if (c->re_srv && (req = reparse(c->re_raw, c->re_len)) != NULL) {
		char extra[320] = "";
		if (m->status < 300)
			sip_core_contact(&from->peer, extra, sizeof(extra));
		char reason[64];
		snprintf(reason, sizeof(reason), "%.*s", (int)m->reason.len, m->reason.p);
		int len = sip_resp_build_body(req, m->status, reason[0] ? reason : "OK", extra[0] ? extra : NULL,
					      from->local_tag, "application/sdp", sdp_len > 0 ? sdp : NULL,
					      sdp_len > 0 ? (size_t)sdp_len : 0, buf, sizeof(buf));
		if (len > 0)
			sip_tsx_respond(sip_core_tsx(), c->re_srv, buf, (size_t)len, m->status, sip_core_now_ms());
	}
	c->re_srv = NULL;
	free(c->re_raw);
	c->re_raw = NULL;
	c->re_from = -1;
}

static void local_offer_response(struct call *c, struct leg *to, const struct sip_msg *m);
static void xfer_fail(struct call *c, uint16_t code, const char *reason);
static void call_swap_legs(struct call *c);

static void
leg_tsx_cb(uint64_t cookie, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m)
{
	struct call *c = call_find((uint32_t)(cookie >> 8));
	unsigned what = cookie & 0xff;

	if (c == NULL)
		return;
	switch (what) {
	case 0: /* A's INVITE server transaction */
		if (ev == SIP_TSX_EV_TERMINATED && c->a_inv == t)
			c->a_inv = NULL;
		if (ev == SIP_TSX_EV_TRANSPORT_ERROR)
			call_end(c, 503, "Caller unreachable");
		return;
	case 1: /* B's INVITE */
		if (ev == SIP_TSX_EV_RESPONSE) {
			b_invite_response(c, m);
		} else if (ev == SIP_TSX_EV_TIMEOUT || ev == SIP_TSX_EV_TRANSPORT_ERROR) {
			c->b_final = true;
			if (c->xfer && c->b_inv == t)
				xfer_fail(c, ev == SIP_TSX_EV_TIMEOUT ? 408 : 503,
					  ev == SIP_TSX_EV_TIMEOUT ? "Request Timeout" : "Service Unavailable");
			else if (!c->xfer)
				call_end(c, ev == SIP_TSX_EV_TIMEOUT ? 408 : 503,
					 ev == SIP_TSX_EV_TIMEOUT ? "Request Timeout" : "Service Unavailable");
		} else if (ev == SIP_TSX_EV_TERMINATED && c->b_inv == t) {
			c->b_inv = NULL;
		}
		return;
	case 0x40: /* a re-INVITE of ours to A */
	case 0x41: /* ... to B */
		if (ev == SIP_TSX_EV_RESPONSE) {
			local_offer_response(c, what & 1 ? &c->b : &c->a, m);
		} else if (ev == SIP_TSX_EV_TIMEOUT || ev == SIP_TSX_EV_TRANSPORT_ERROR) {
			c->local_offer = false;
			call_end(c, 408, "Request Timeout");
		}
		return;
	case 2: /* re-INVITE/UPDATE relayed to A */
	case 3: /* ... to B */
		if (ev == SIP_TSX_EV_RESPONSE)
			reinvite_response(c, what == 2 ? &c->a : &c->b, m);
		else if ((ev == SIP_TSX_EV_TIMEOUT || ev == SIP_TSX_EV_TRANSPORT_ERROR) && c->re_srv)
			call_end(c, 408, "Request Timeout");
		return;
	default: /* BYE, CANCEL: nothing to do with their answers */
		return;
	}
}

/* The originator's server transaction of a relayed re-INVITE/UPDATE. */
static void
reinvite_srv_cb(uint64_t cookie, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m)
{
	struct call *c = call_find((uint32_t)(cookie >> 8));
	(void)m;
	if (c && ev == SIP_TSX_EV_TERMINATED && c->re_srv == t)
		c->re_srv = NULL;
}

/* --- leg A: the INVITE in --- */

static bool
authorize_caller(struct sip_tsx *t, const struct sip_msg *m, struct td_user *u)
{
	char hdr[1024];
	enum sip_auth_result r = sip_auth_verify(m, true, sip_core_now_ms(), u);
	switch (r) {
	case SIP_AUTH_OK:
		return true;
	case SIP_AUTH_MISSING:
	case SIP_AUTH_STALE:
		if (sip_auth_challenge(true, r == SIP_AUTH_STALE, sip_core_now_ms(), hdr, sizeof(hdr)) < 0)
			sip_core_respond(t, m, 500, "Server Internal Error", NULL, NULL, NULL, 0);
		else
			sip_core_respond(t, m, 407, "Proxy Authentication Required", NULL, hdr, NULL, 0);
		st.challenged++;
		return false;
	case SIP_AUTH_MALFORMED:
	case SIP_AUTH_BAD_URI:
	case SIP_AUTH_WRONG_REALM:
		sip_core_respond(t, m, 400, "Bad Proxy-Authorization", NULL, NULL, NULL, 0);
		st.auth_failed++;
		return false;
	default:
		sip_core_respond(t, m, 403, "Forbidden", NULL, NULL, NULL, 0);
		st.auth_failed++;
		return false;
	}
}

/* The name-addr of a From/To value without its tag. */
static void
name_addr(const struct sip_addr *a, char *buf, size_t len)
{
	if (a->display.len)
		snprintf(buf, len, "%.*s <%.*s>", (int)a->display.len, a->display.p, (int)a->uri.len, a->uri.p);
	else
		snprintf(buf, len, "<%.*s>", (int)a->uri.len, a->uri.p);
}

void
b2bua_invite(struct sip_tsx *t, const struct sip_msg *m)
{
	struct td_user caller, callee;
	struct reg_contact contact;
	struct sip_uri ruri;
	char user[64], err[128];
	struct call *c;
	struct td_dp_msg dm;

	struct leg *dup = table_find(&by_caller, m->call_id, m->from.tag);
	if (dup) {
		/* The same INVITE again after its transaction ended: resend
		 * our 2xx if it is still unacknowledged; a new INVITE with the
		 * same Call-ID and tag but a new CSeq is refused. */
		struct call *dc = dup->call;
		if (m->cseq == dup->remote_cseq && dc->a_2xx) {
			/* The 2xx ends this transaction as it did the first. */
			sip_tsx_respond(sip_core_tsx(), t, dc->a_2xx, dc->a_2xx_len, 200, sip_core_now_ms());
			return;
		}
		sip_core_respond(t, m, 482, "Loop Detected", NULL, NULL, NULL, 0);
		return;
	}
	st.invites++;
	if (m->max_forwards == 0) {
		sip_core_respond(t, m, 483, "Too Many Hops", NULL, NULL, NULL, 0);
		return;
	}
	if (st.active >= cfg.max_calls || dp_link_shm() == NULL) {
		st.overload++;
		sip_core_respond(t, m, 503, "Service Unavailable", NULL, "Retry-After: 5\r\n", NULL, 0);
		return;
	}
	const char *shed = sip_core_shed_invite();
	if (shed) {
		st.overload++;
		sip_core_respond(t, m, 503, shed, NULL, "Retry-After: 5\r\n", NULL, 0);
		return;
	}
	/* Trunks: a carrier's INVITE (from one of its sources) is for one
	 * of its DIDs and needs no credentials; a number matching a dial
	 * prefix goes out through a trunk, only for an authenticated caller,
	 * even with --no-call-auth. */
	const struct trunk_cfg *tin = trunk_by_source(&t->peer), *tout = NULL;
	char dial[TRUNK_NUMBER_LEN + 1] = "";
	bool authed = false;
	bool have_user =
		sip_uri_parse(m->ruri, &ruri) == 0 && ruri.user.len && sip_str_copy(ruri.user, user, sizeof(user)) >= 0;
	if (tin) {
		const char *ext = have_user ? trunk_did_ext(tin, user) : NULL;
		struct sip_uri tu;
		char to_user[64];
		/* The number may be in To when the Request-URI is our Contact. */
		if (ext == NULL && sip_uri_parse(m->to.uri, &tu) == 0 && tu.user.len &&
		    sip_str_copy(tu.user, to_user, sizeof(to_user)) >= 0)
			ext = trunk_did_ext(tin, to_user);
		if (ext == NULL) {
			st.not_found++;
			trunk_count(tin->name, TRUNK_NO_DID);
			sip_core_respond(t, m, 404, "Not Found", NULL, NULL, NULL, 0);
			return;
		}
		snprintf(user, sizeof(user), "%s", ext);
		have_user = true;
	} else {
		if (have_user && td_user_get(user, &callee) < 0)
			tout = trunk_route_out(user, dial, sizeof(dial));
		if (cfg.auth_calls || tout) {
			if (!authorize_caller(t, m, &caller)) {
				if (tout)
					trunk_count(tout->name, TRUNK_DENIED_OUT);
				return;
			}
			authed = true;
		}
	}
	if (!have_user) {
		st.not_found++;
		sip_core_respond(t, m, 404, "Not Found", NULL, NULL, NULL, 0);
		return;
	}
	if (tout == NULL && td_user_get(user, &callee) < 0) {
		st.not_found++;
		sip_core_respond(t, m, 404, "Not Found", NULL, NULL, NULL, 0);
		return;
	}
	if (tout == NULL && registrar_lookup(user, &contact) < 0) {
		st.unavailable++;
		sip_core_respond(t, m, 480, "Temporarily Unavailable", NULL, NULL, NULL, 0);
		return;
	}
	c = call_new();
	if (c == NULL) {
		sip_core_respond(t, m, 500, "Server Internal Error", NULL, NULL, NULL, 0);
		return;
	}
	take_sdp(&c->a, m);
	if (!c->a.have_sdp || c->a.sdp.n_audio == 0 || c->a.sdp.audio.port == 0) {
		/* An INVITE without an offer (RFC 3264 §5 delayed offer) is
		 * not supported yet: say so rather than guess. */
		st.no_media++;
		sip_core_respond(t, m, 488, "Not Acceptable Here", NULL, NULL, NULL, 0);
		st.active--;
		call_free(c);
		return;
	}
	/* Leg A: its dialog from the INVITE (§12.1.1). */
	c->a_inv = t;
	sip_core_tsx_bind(t, leg_tsx_cb, (uint64_t)c->id << 8 | 0);
	size_t raw_len;
	const char *raw = sip_core_current_raw(&raw_len);
	c->a_inv_raw = raw ? malloc(raw_len) : NULL;
	if (c->a_inv_raw == NULL) {
		sip_core_respond(t, m, 500, "Server Internal Error", NULL, NULL, NULL, 0);
		st.active--;
		call_free(c);
		return;
	}
	memcpy(c->a_inv_raw, raw, raw_len);
	c->a_inv_len = raw_len;
	sip_str_copy(m->call_id, c->a.call_id, sizeof(c->a.call_id));
	sip_core_token(c->a.local_tag, sizeof(c->a.local_tag));
	sip_str_copy(m->from.tag, c->a.remote_tag, sizeof(c->a.remote_tag));
	name_addr(&m->to, c->a.local_uri, sizeof(c->a.local_uri));
	name_addr(&m->from, c->a.remote_uri, sizeof(c->a.remote_uri));
	take_remote(&c->a, m, true);
	if (c->a.remote_target[0] == '\0')
		sip_str_copy(m->from.uri, c->a.remote_target, sizeof(c->a.remote_target));
	if (take_route(&c->a, m, false) < 0) {
		sip_core_respond(t, m, 500, "Server Internal Error (route set too long)", NULL, NULL, NULL, 0);
		st.active--;
		call_free(c);
		return;
	}
	c->a.peer = t->peer;
	c->a.remote_cseq = m->cseq;
	c->a.local_cseq = 0;
	table_add(&by_dialog, &c->a);
	table_add(&by_caller, &c->a);
	snprintf(c->from_user, sizeof(c->from_user), "%s", authed ? caller.name : "");
	if (!authed) {
		struct sip_uri fu;
		if (sip_uri_parse(m->from.uri, &fu) == 0)
			sip_str_copy(fu.user, c->from_user, sizeof(c->from_user));
	}
	snprintf(c->to_user, sizeof(c->to_user), "%s", user);

	/* Leg B: a new dialog toward the callee's newest binding, sent to
	 * where its REGISTER came from. */
	sip_core_token(c->b.call_id, 33); /* 128 random bits */
	strcat(c->b.call_id, "@tongdai");
	sip_core_token(c->b.local_tag, sizeof(c->b.local_tag));
	if (tout) {
		/* Toward the carrier: the number at its host, from its account. */
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, tout->addr, ip, sizeof(ip));
		snprintf(c->b_ruri, sizeof(c->b_ruri), "sip:%s@%s:%u", dial, ip, tout->port);
		if (tout->user[0])
			snprintf(c->b.local_uri, sizeof(c->b.local_uri), "<sip:%s@%s>", tout->user, ip);
		else
			snprintf(c->b.local_uri, sizeof(c->b.local_uri), "%s", c->a.remote_uri);
		snprintf(c->b.remote_uri, sizeof(c->b.remote_uri), "<sip:%s@%s>", dial, ip);
		c->b.peer = (struct sip_peer){.family = AF_INET, .port = tout->port, .transport = SIP_TRANSPORT_UDP};
		memcpy(c->b.peer.addr, tout->addr, 4);
		snprintf(c->trunk, sizeof(c->trunk), "%s", tout->name);
		snprintf(c->to_user, sizeof(c->to_user), "%s", dial);
		trunk_count(tout->name, TRUNK_CALL_OUT);
	} else {
		snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", contact.uri);
		snprintf(c->b.local_uri, sizeof(c->b.local_uri), "%s", c->a.remote_uri);
		name_addr(&m->to, c->b.remote_uri, sizeof(c->b.remote_uri));
		c->b.peer = contact.source;
		if (tin)
			trunk_count(tin->name, TRUNK_CALL_IN);
	}
	table_add(&by_dialog, &c->b);
	(void)err;

	/* The dataplane: two sessions on one worker, bridged; then B's INVITE. */
	const struct td_dp_shm *shm = dp_link_shm();
	c->worker = next_worker++ % shm->hdr->n_workers;
	dp_session_params(c, &c->a, &dm, TD_DP_CMD_SESSION_CREATE);
	if (dp_send(c, &dm, STEP_CREATE_A) == -ENOMEM) {
		call_end(c, 500, "Server Internal Error");
		return;
	}
	dp_session_params(c, &c->b, &dm, TD_DP_CMD_SESSION_CREATE);
	if (dp_send(c, &dm, STEP_CREATE_B) == -ENOMEM)
		call_end(c, 500, "Server Internal Error");
}

/* --- blind transfer: REFER from the callee's leg --- */

/* NOTIFY of the transfer's progress to the referrer (RFC 3515 §2.4.4). */
static void
xfer_notify(struct call *c, struct leg *old, uint16_t code, const char *reason)
{
	static char buf[SIP_MAX_MSG];
	char branch[40], extra[320], frag[96];
	int n, len;

	if (old == NULL || old->bye_sent)
		return;
	n = snprintf(frag, sizeof(frag), "SIP/2.0 %u %s\r\n", code, reason);
	new_branch(branch, sizeof(branch));
	snprintf(extra, sizeof(extra),
		 "Event: refer\r\nSubscription-State: %s\r\nContent-Type: message/sipfrag;version=2.0\r\n",
		 code >= 200 ? "terminated;reason=noresource" : "active;expires=60");
	len = build_request(old, "NOTIFY", old->remote_target, ++old->local_cseq, NULL, branch, extra, frag, (size_t)n,
			    buf, sizeof(buf));
	if (len > 0)
		sip_core_request(buf, (size_t)len, SIP_M_NOTIFY, branch, &old->peer, leg_tsx_cb,
				 (uint64_t)c->id << 8 | 0x30, NULL);
}

/* The target did not answer: the referrer hears why; the caller goes back
 * to the referrer when it is still there (RFC 5589 §6), else the call,
 * whose caller has no one left to talk to, ends. A 2xx from the target
 * crossing our CANCEL afterwards is not acknowledged: the target's phone
 * gives up on it by itself (RFC 3261 §13.3.1.4). */
static void
xfer_fail(struct call *c, uint16_t code, const char *reason)
{
	struct leg *old = c->xfer_old;
	struct td_dp_msg dm;

	xfer_notify(c, old, code, reason);
	c->xfer = false;
	st.transfers_failed++;
	if (old == NULL || old->bye_sent || old->session == 0) {
		call_end(c, 200, "Transfer failed");
		return;
	}
	/* The referrer's dialog back in leg B; the target's session goes
	 * (which unbridges the caller's) and the caller's is bridged with
	 * the referrer's again. */
	dp_destroy_session(c->worker, c->b.session);
	table_del(&by_dialog, &c->b);
	table_del(&by_dialog, old);
	c->b = *old;
	c->b.hnext = NULL;
	table_add(&by_dialog, &c->b);
	free(old);
	c->xfer_old = NULL;
	snprintf(c->to_user, sizeof(c->to_user), "%s", c->xfer_prev_user);
	c->b_inv = NULL;
	c->b_provisional = c->cancel_pending = false;
	c->b_final = c->b_answered = true;
	td_dp_msg_init(&dm, TD_DP_CMD_SESSION_BRIDGE, 0);
	dm.ref.session = c->a.session;
	dm.ref.peer = c->b.session;
	if (dp_send(c, &dm, STEP_XFER_RETURN) == -ENOMEM)
		call_end(c, 500, "Server Internal Error");
	call_persist(c);
}

static void
xfer_response(struct call *c, const struct sip_msg *m)
{
	char reason[64];

	snprintf(reason, sizeof(reason), "%.*s", (int)m->reason.len, m->reason.p);
	if (m->status < 200) {
		if (m->status > 100) {
			c->b_provisional = true;
			take_remote(&c->b, m, true);
			if (c->cancel_pending) {
				send_cancel(c);
				return;
			}
			xfer_notify(c, c->xfer_old, m->status, reason[0] ? reason : "Ringing");
		}
		return;
	}
	c->b_final = true;
	if (m->status >= 300) {
		xfer_fail(c, m->status, reason[0] ? reason : "Failed");
		return;
	}
	c->b_answered = true;
	take_remote(&c->b, m, true);
	if (c->b.remote_target[0] == '\0')
		snprintf(c->b.remote_target, sizeof(c->b.remote_target), "%s", c->b_ruri);
	if (take_route(&c->b, m, true) < 0)
		LOG_WARN("call %u: leg B's route set is too long: requests go without it", c->id);
	ack_leg(c, &c->b, m->cseq);
	take_sdp(&c->b, m);
	dp_update_leg(c, &c->b);
	xfer_notify(c, c->xfer_old, 200, "OK");
	if (c->xfer_old) {
		dp_destroy_session(c->worker, c->xfer_old->session);
		c->xfer_old->session = 0;
		send_bye(c, c->xfer_old, "Transferred");
	}
	c->xfer = false;
	st.transfers++;
	call_persist(c);
}

/* REFER (RFC 3515) from leg l: the party l talks to is put through to the
 * target, the referrer's leg ends. */
static void
xfer_start(struct call *c, struct leg *l, struct sip_tsx *t, const struct sip_msg *m)
{
	const struct sip_hdr *h = m->first[SIP_HDR_REFER_TO];
	struct td_user target;
	struct reg_contact contact;
	struct sip_addr to;
	struct sip_uri u;
	char user[64];
	struct td_dp_msg dm;

	if (h == NULL || sip_addr_parse(h->value, &to) < 0 || sip_uri_parse(to.uri, &u) < 0 || u.user.len == 0 ||
	    sip_str_copy(u.user, user, sizeof(user)) < 0) {
		sip_core_respond(t, m, 400, "Bad Refer-To", l->local_tag, NULL, NULL, 0);
		return;
	}
	if (td_user_get(user, &target) < 0) {
		sip_core_respond(t, m, 404, "Not Found", l->local_tag, NULL, NULL, 0);
		return;
	}
	if (registrar_lookup(user, &contact) < 0) {
		sip_core_respond(t, m, 480, "Temporarily Unavailable", l->local_tag, NULL, NULL, 0);
		return;
	}
	struct leg *old = malloc(sizeof(*old));
	if (old == NULL) {
		sip_core_respond(t, m, 500, "Server Internal Error", l->local_tag, NULL, NULL, 0);
		return;
	}
	sip_core_respond(t, m, 202, "Accepted", l->local_tag, NULL, NULL, 0);
	if (l->side == 0)
		call_swap_legs(c); /* the transfer works on leg B */

	/* The referrer's dialog moves out of the call's leg B. */
	table_del(&by_dialog, &c->b);
	*old = c->b;
	old->hnext = NULL;
	table_add(&by_dialog, old);
	c->xfer_old = old;
	xfer_notify(c, old, 100, "Trying");

	/* A new leg B toward the target's newest binding. */
	struct leg *b = &c->b;
	memset(b, 0, sizeof(*b));
	b->call = c;
	b->side = 1;
	sip_core_token(b->call_id, 33);
	strcat(b->call_id, "@tongdai");
	sip_core_token(b->local_tag, sizeof(b->local_tag));
	snprintf(b->local_uri, sizeof(b->local_uri), "%s", c->a.remote_uri);
	snprintf(b->remote_uri, sizeof(b->remote_uri), "<%.*s>", (int)to.uri.len, to.uri.p);
	b->peer = contact.source;
	table_add(&by_dialog, b);
	snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", contact.uri);
	snprintf(c->xfer_prev_user, sizeof(c->xfer_prev_user), "%s", c->to_user);
	snprintf(c->to_user, sizeof(c->to_user), "%s", user);
	c->b_inv = NULL;
	c->b_provisional = c->b_final = c->b_answered = c->cancel_pending = false;
	free(c->b_ack);
	c->b_ack = NULL;
	c->xfer = true;

	dp_session_params(c, b, &dm, TD_DP_CMD_SESSION_CREATE);
	if (dp_send(c, &dm, STEP_XFER_CREATE) == -ENOMEM)
		call_end(c, 500, "Server Internal Error");
}

/* --- attended transfer: REFER with Replaces --- */

/* A re-INVITE of ours on leg to (no request of the other leg behind it):
 * an offer of the active codec of sdp (with its telephone-event), and
 * with more_codecs every codec we transcode from, sendrecv. */
static int
local_offer(struct call *c, struct leg *to, const struct sdp_session *sdp, bool more_codecs)
{
	static char buf[SIP_MAX_MSG];
	struct sdp_session offer = *sdp;
	struct sdp_media *am = &offer.audio;
	const struct sdp_fmt *f = active_fmt(&sdp->audio);
	char body[4096], branch[40], extra[320];
	unsigned n = 0;
	int body_len, len;

	for (unsigned i = 0; i < am->n_fmts; i++)
		if (&sdp->audio.fmts[i] == f || (int)am->fmts[i].pt == am->tel_event_pt)
			am->fmts[n++] = am->fmts[i];
	am->n_fmts = (uint8_t)n;
	if (more_codecs)
		offer_transcodable(am);
	am->dir = SDP_SENDRECV;
	body_len = build_sdp(to, &offer, body, sizeof(body));
	if (body_len < 0 || sip_core_contact(&to->peer, extra, sizeof(extra)) < 0)
		return -ENOBUFS;
	new_branch(branch, sizeof(branch));
	len = build_request(to, "INVITE", to->remote_target, ++to->local_cseq, NULL, branch, extra, body,
			    (size_t)body_len, buf, sizeof(buf));
	if (len < 0)
		return len;
	if (sip_core_request(buf, (size_t)len, SIP_M_INVITE, branch, &to->peer, leg_tsx_cb,
			     (uint64_t)c->id << 8 | 0x40 | (uint64_t)to->side, NULL) < 0)
		return -EIO;
	c->local_offer = true;
	return 0;
}

static struct leg *
atx_target(struct call *c)
{
	return c->atx_side ? &c->b : &c->a;
}

static struct leg *
atx_transferee(struct call *c)
{
	return c->atx_side ? &c->a : &c->b;
}

/* The target's session lives on our worker now: offer the transferee
 * the target's media (it was most likely on hold). */
static void
atx_offer(struct call *c)
{
	if (local_offer(c, atx_transferee(c), &atx_target(c)->sdp, true) < 0) {
		xfer_notify(c, c->xfer_old, 500, "Server Internal Error");
		call_end(c, 500, "Server Internal Error");
	}
}

static void
atx_moved(struct call *c, uint32_t session)
{
	/* The old session, on the other worker, is no longer used. */
	dp_destroy_session(c->atx_old_worker, c->atx_old_session);
	c->atx_old_session = 0;
	atx_target(c)->session = session;
	atx_offer(c);
}

/* The transferee answered: codecs chosen like for a new call (each side
 * keeps its own; the dataplane transcodes when they differ), then the
 * bridge. */
static void
atx_join(struct call *c)
{
	struct leg *x = atx_transferee(c), *t = atx_target(c);
	const struct sdp_fmt *fx = active_fmt(&x->sdp.audio), *ft = active_fmt(&t->sdp.audio);
	struct td_dp_msg dm;

	x->codec[0] = t->codec[0] = '\0';
	if (fx && ft && strcasecmp(fx->name, ft->name) != 0 && is_xcodec(fx->name) && is_xcodec(ft->name)) {
		snprintf(x->codec, sizeof(x->codec), "%.7s", fx->name);
		x->codec_pt = fx->pt;
		snprintf(t->codec, sizeof(t->codec), "%.7s", ft->name);
		t->codec_pt = ft->pt;
	}
	dp_update_leg(c, x);
	dp_update_leg(c, t); /* also gives it this call's tag */
	td_dp_msg_init(&dm, TD_DP_CMD_SESSION_BRIDGE, 0);
	dm.ref.session = x->session;
	dm.ref.peer = t->session;
	if (dp_send(c, &dm, STEP_ATX_BRIDGE) == -ENOMEM)
		call_end(c, 500, "Server Internal Error");
}

static void
atx_done(struct call *c)
{
	c->atx = false;
	xfer_notify(c, c->xfer_old, 200, "OK");
	if (c->xfer_old)
		send_bye(c, c->xfer_old, "Transferred");
	st.transfers++;
	if (c->atx_move && local_offer(c, atx_target(c), &atx_target(c)->sdp, false) < 0)
		call_end(c, 500, "Server Internal Error");
	c->atx_move = false;
	call_persist(c);
}

static void
local_offer_response(struct call *c, struct leg *to, const struct sip_msg *m)
{
	char reason[64];

	if (m->status < 200)
		return;
	c->local_offer = false;
	if (m->status >= 300) {
		snprintf(reason, sizeof(reason), "%.*s", (int)m->reason.len, m->reason.p);
		if (c->atx) {
			xfer_notify(c, c->xfer_old, m->status, reason[0] ? reason : "Failed");
			st.transfers_failed++;
		}
		/* Its media cannot follow: the call cannot go on. */
		call_end(c, 200, c->atx ? "Transfer failed" : "Media update refused");
		return;
	}
	ack_leg(c, to, m->cseq);
	take_sdp(to, m);
	if (c->atx)
		atx_join(c);
	else
		dp_update_leg(c, to);
}

/* Replaces names the referrer's dialog with the target, by its Call-ID and
 * tags as the target sees them (RFC 3891 §3): our tag is the to-tag. Some
 * phones swap them; both ways are looked up. */
static struct leg *
atx_find(const struct sip_replaces *rp)
{
	struct sip_str cid = {rp->call_id, (uint32_t)strlen(rp->call_id)};
	struct sip_str tt = {rp->to_tag, (uint32_t)strlen(rp->to_tag)};
	struct sip_str ft = {rp->from_tag, (uint32_t)strlen(rp->from_tag)};
	struct leg *r = table_find(&by_dialog, cid, tt);

	if (r && strcmp(r->remote_tag, rp->from_tag) == 0)
		return r;
	r = table_find(&by_dialog, cid, ft);
	return r && strcmp(r->remote_tag, rp->to_tag) == 0 ? r : NULL;
}

/* REFER with Replaces on leg l of c: the party l talks to (the
 * transferee) is joined with the party of the replaced dialog (the
 * target); both of the referrer's dialogs end. */
static void
atx_start(struct call *c, struct leg *l, struct sip_tsx *t, const struct sip_msg *m, const struct sip_replaces *rp)
{
	struct leg *r = atx_find(rp), *old;
	struct call *c2 = r ? r->call : NULL;

	if (r == NULL || c2 == c || r == c2->xfer_old || c2->state != CALL_CONFIRMED || c2->xfer || c2->atx ||
	    c2->xfer_old || c2->re_from >= 0 || c2->local_offer || (rp->early_only && c2->state >= CALL_ANSWERED)) {
		/* What the target would have answered an INVITE with
		 * this Replaces (RFC 3891 §3). */
		sip_core_respond(t, m, 202, "Accepted", l->local_tag, NULL, NULL, 0);
		xfer_notify(c, l, 481, "Call/Transaction Does Not Exist");
		st.transfers_failed++;
		return;
	}
	if ((old = malloc(sizeof(*old))) == NULL) {
		sip_core_respond(t, m, 500, "Server Internal Error", l->local_tag, NULL, NULL, 0);
		return;
	}
	sip_core_respond(t, m, 202, "Accepted", l->local_tag, NULL, NULL, 0);
	xfer_notify(c, l, 100, "Trying");

	struct leg *tl = r->side ? &c2->a : &c2->b; /* the target, in c2 */
	int side = l->side;

	/* The referrer's dialog moves out of its slot... */
	table_del(&by_dialog, l);
	table_del(&by_caller, l);
	*old = *l;
	old->hnext = old->anext = NULL;
	table_add(&by_dialog, old);
	c->xfer_old = old;
	dp_destroy_session(c->worker, old->session);
	old->session = 0;
	/* ... and the target's takes it. */
	table_del(&by_dialog, tl);
	table_del(&by_caller, tl);
	*l = *tl;
	l->call = c;
	l->side = side;
	l->hnext = l->anext = NULL;
	table_add(&by_dialog, l);
	snprintf(side ? c->to_user : c->from_user, sizeof(c->to_user), "%s", tl->side ? c2->to_user : c2->from_user);
	if (side == 1) {
		free(c->b_ack); /* the 2xx it acknowledged was the referrer's */
		c->b_ack = NULL;
	}
	c->atx = true;
	c->atx_side = side;
	c->local_offer = true; /* no offer from either side meanwhile */

	/* The other call ends: the referrer's second dialog gets its BYE,
	 * its session goes; the target's slot there is left empty. */
	uint32_t old_worker = c2->worker, tsess = tl->session;
	tl->call_id[0] = '\0';
	tl->remote_tag[0] = '\0';
	tl->session = 0;
	tl->bye_sent = true;
	call_end(c2, 200, "Transferred");

	if (old_worker == c->worker) {
		atx_offer(c);
		return;
	}
	/* Sessions are bridged on one worker only: the target gets a new
	 * session on ours and will be re-INVITEd to it. */
	struct td_dp_msg dm;
	c->atx_move = true;
	c->atx_old_worker = old_worker;
	c->atx_old_session = tsess;
	l->session = 0;
	dp_session_params(c, l, &dm, TD_DP_CMD_SESSION_CREATE);
	if (dp_send(c, &dm, STEP_ATX_CREATE) == -ENOMEM) {
		dp_destroy_session(old_worker, tsess);
		call_end(c, 500, "Server Internal Error");
	}
}

/* --- requests inside a dialog --- */

static void
relay_offer(struct call *c, struct leg *from, struct sip_tsx *t, const struct sip_msg *m)
{
	static char buf[SIP_MAX_MSG];
	struct leg *to = from->side ? &c->a : &c->b;
	char sdp[4096], branch[40], extra[320];
	size_t raw_len;
	const char *raw = sip_core_current_raw(&raw_len);
	const char *method = m->method == SIP_M_INVITE ? "INVITE" : "UPDATE";
	int sdp_len, len;

	if (c->re_from >= 0 || c->local_offer) {
		/* §14.1: one offer at a time per dialog. */
		sip_core_respond(t, m, 491, "Request Pending", from->local_tag, NULL, NULL, 0);
		return;
	}
	if (m->body.len == 0 || raw == NULL) {
		sip_core_respond(t, m, 488, "Not Acceptable Here (offer required)", from->local_tag, NULL, NULL, 0);
		return;
	}
	take_sdp(from, m);
	if (!from->have_sdp) {
		sip_core_respond(t, m, 488, "Not Acceptable Here (bad SDP)", from->local_tag, NULL, NULL, 0);
		return;
	}
	st.reinvites++;
	dp_update_leg(c, from);
	sdp_len = build_sdp(to, &from->sdp, sdp, sizeof(sdp));
	if (sdp_len < 0 || sip_core_contact(&to->peer, extra, sizeof(extra)) < 0) {
		sip_core_respond(t, m, 500, "Server Internal Error", from->local_tag, NULL, NULL, 0);
		return;
	}
	new_branch(branch, sizeof(branch));
	len = build_request(to, method, to->remote_target, ++to->local_cseq, NULL, branch, extra, sdp, (size_t)sdp_len,
			    buf, sizeof(buf));
	if (len < 0 || sip_core_request(buf, (size_t)len, m->method, branch, &to->peer, leg_tsx_cb,
					(uint64_t)c->id << 8 | (uint64_t)(2 + to->side), NULL) < 0) {
		sip_core_respond(t, m, 500, "Server Internal Error", from->local_tag, NULL, NULL, 0);
		return;
	}
	c->re_raw = malloc(raw_len);
	if (c->re_raw)
		memcpy(c->re_raw, raw, raw_len);
	c->re_len = raw_len;
	c->re_srv = t;
	c->re_from = from->side;
	c->re_method = m->method;
	call_persist(c); /* our CSeq on the other leg moved */
	sip_core_tsx_bind(t, reinvite_srv_cb, (uint64_t)c->id << 8 | 4);
}

/* Legs A and B of a confirmed call trade places, so that a REFER from the
 * caller is handled like one from the callee: A's INVITE is answered and
 * acknowledged, nothing of it is needed any more (leg A's entry in
 * by_caller goes: an INVITE resent that late is not recognised). */
static void
call_swap_legs(struct call *c)
{
	struct leg l;
	char user[sizeof(c->from_user)];

	table_del(&by_dialog, &c->a);
	table_del(&by_caller, &c->a);
	table_del(&by_dialog, &c->b);
	l = c->a;
	c->a = c->b;
	c->b = l;
	c->a.side = 0;
	c->b.side = 1;
	c->a.hnext = c->a.anext = c->b.hnext = c->b.anext = NULL;
	table_add(&by_dialog, &c->a);
	table_add(&by_dialog, &c->b);
	memcpy(user, c->from_user, sizeof(user));
	memcpy(c->from_user, c->to_user, sizeof(user));
	memcpy(c->to_user, user, sizeof(user));
	free(c->b_ack); /* it acknowledged the old B's 2xx */
	c->b_ack = NULL;
}

/* REFER on leg l: attended transfer when Refer-To carries Replaces, else
 * blind. */
static void
refer(struct call *c, struct leg *l, struct sip_tsx *t, const struct sip_msg *m)
{
	const struct sip_hdr *h = m->first[SIP_HDR_REFER_TO];
	struct sip_replaces rp;
	struct sip_addr to;
	char v[400];
	int n;

	/* A transfer done before (its referrer gone) leaves nothing that
	 * stops the next one. */
	if (c->xfer_old && c->xfer_old->bye_sent && !c->xfer && !c->atx) {
		table_del(&by_dialog, c->xfer_old);
		free(c->xfer_old);
		c->xfer_old = NULL;
	}
	if (c->state != CALL_CONFIRMED || c->xfer || c->atx || c->xfer_old || c->re_from >= 0 || c->local_offer) {
		sip_core_respond(t, m, 491, "Request Pending", l->local_tag, NULL, NULL, 0);
		return;
	}
	if (h == NULL || sip_addr_parse(h->value, &to) < 0) {
		sip_core_respond(t, m, 400, "Bad Refer-To", l->local_tag, NULL, NULL, 0);
		return;
	}
	n = sip_uri_header(to.uri, "Replaces", v, sizeof(v));
	if (n >= 0) {
		if (sip_replaces_parse(v, &rp) < 0) {
			sip_core_respond(t, m, 400, "Bad Replaces", l->local_tag, NULL, NULL, 0);
			return;
		}
		atx_start(c, l, t, m, &rp);
		return;
	}
	if (n != -ENOENT) {
		sip_core_respond(t, m, 400, "Bad Refer-To", l->local_tag, NULL, NULL, 0);
		return;
	}
	xfer_start(c, l, t, m);
}

void
b2bua_in_dialog(struct sip_tsx *t, const struct sip_msg *m)
{
	struct leg *l = table_find(&by_dialog, m->call_id, m->to.tag);
	struct call *c;

	if (l == NULL) {
		sip_core_no_dialog(t, m);
		return;
	}
	c = l->call;
	if (l == c->xfer_old) {
		/* The referrer, transfer under way or done: it may only hang
		 * up (its BYE must not end the caller's call). */
		if (m->method == SIP_M_BYE) {
			l->bye_sent = true;
			sip_core_respond(t, m, 200, "OK", l->local_tag, NULL, NULL, 0);
		} else {
			sip_core_respond(t, m, m->method == SIP_M_NOTIFY || m->method == SIP_M_INFO ? 200 : 491,
					 m->method == SIP_M_NOTIFY || m->method == SIP_M_INFO ? "OK"
											      : "Request Pending",
					 l->local_tag, NULL, NULL, 0);
		}
		return;
	}
	if (c->state == CALL_ENDED) {
		/* A BYE crossing ours is answered; anything else is late. */
		if (m->method == SIP_M_BYE)
			sip_core_respond(t, m, 200, "OK", l->local_tag, NULL, NULL, 0);
		else
			sip_core_no_dialog(t, m);
		return;
	}
	if (l->remote_cseq && m->cseq < l->remote_cseq && m->method != SIP_M_ACK) {
		sip_core_respond(t, m, 500, "Server Internal Error (CSeq out of order)", l->local_tag, NULL, NULL, 0);
		return;
	}
	l->remote_cseq = m->cseq;
	switch (m->method) {
	case SIP_M_BYE:
		sip_core_respond(t, m, 200, "OK", l->local_tag, NULL, NULL, 0);
		l->bye_sent = true; /* the dialog is over: no BYE back */
		call_end(c, c->state >= CALL_ANSWERED ? 200 : 487,
			 l->side		     ? "Callee hung up"
			 : c->state >= CALL_ANSWERED ? "Caller hung up"
						     : "Request Terminated");
		return;
	case SIP_M_INVITE:
		if (c->state != CALL_CONFIRMED && c->state != CALL_ANSWERED) {
			sip_core_respond(t, m, 491, "Request Pending", l->local_tag, NULL, NULL, 0);
			return;
		}
		relay_offer(c, l, t, m);
		return;
	case SIP_M_UPDATE:
		if (c->state < CALL_EARLY) {
			sip_core_respond(t, m, 491, "Request Pending", l->local_tag, NULL, NULL, 0);
			return;
		}
		relay_offer(c, l, t, m);
		return;
	case SIP_M_REFER:
		refer(c, l, t, m);
		return;
	case SIP_M_INFO:
	case SIP_M_NOTIFY:
	case SIP_M_OPTIONS:
	case SIP_M_MESSAGE:
		sip_core_respond(t, m, 200, "OK", l->local_tag, NULL, NULL, 0);
		return;
	default:
		sip_core_respond(t, m, 501, "Not Implemented", l->local_tag, "Allow: " SIP_CORE_ALLOW "\r\n", NULL, 0);
		return;
	}
}

bool
b2bua_owns_invite(const struct sip_tsx *invite)
{
	uint64_t cookie;
	return sip_core_tsx_cookie(invite, &cookie) && (cookie & 0xff) == 0 && call_find((uint32_t)(cookie >> 8));
}

int
b2bua_cancel(struct sip_tsx *invite)
{
	uint64_t cookie;
	struct call *c;

	if (!sip_core_tsx_cookie(invite, &cookie) || (cookie & 0xff) != 0 ||
	    (c = call_find((uint32_t)(cookie >> 8))) == NULL)
		return -ENOENT;
	/* §9.2: after the final response a CANCEL changes nothing. */
	if (!c->a_final_sent)
		call_end(c, 487, "Request Terminated");
	return 0;
}

void
b2bua_ack(const struct sip_msg *m)
{
	struct leg *l = table_find(&by_dialog, m->call_id, m->to.tag);
	if (l == NULL)
		return;
	struct call *c = l->call;
	if (l->side == 0 && c->a_2xx) {
		free(c->a_2xx);
		c->a_2xx = NULL;
		if (c->state == CALL_ANSWERED)
			c->state = CALL_CONFIRMED;
	}
}

void
b2bua_stray_response(const struct sip_msg *m)
{
	/* A 2xx to our INVITE resent because our ACK was lost. */
	if (m->status < 200 || m->status >= 300 || m->cseq_method != SIP_M_INVITE)
		return;
	struct leg *l = table_find(&by_dialog, m->call_id, m->from.tag);
	if (l == NULL)
		return;
	struct call *c = l->call;
	if (l->side == 1 && m->cseq == c->b_inv_cseq && c->b_ack)
		sip_core_send_raw(&l->peer, c->b_ack, c->b_ack_len);
	else
		ack_leg(c, l, m->cseq);
}

void
b2bua_tick(uint64_t now)
{
	static uint64_t next_scan, next_sync;
	if (now < next_scan)
		return;
	next_scan = now + 20;
	if (reconcile_pending)
		reconcile_start();
	if (now >= next_sync) {
		next_sync = now + 1000;
		call_store_sync();
	}
	for (struct call *c = all_calls, *next; c; c = next) {
		next = c->all_next;
		if (c->state == CALL_ENDED) {
			if (now - c->ended_ms >= CALL_LINGER_MS && c->b_inv == NULL)
				call_free(c);
			continue;
		}
		if (c->a_2xx && now >= c->a_2xx_next) {
			if (now >= c->a_2xx_deadline) {
				/* §13.3.1.4: no ACK within 64*T1 ends the call. */
				st.ack_timeouts++;
				call_end(c, 408, "No ACK");
				continue;
			}
			sip_core_send_raw(&c->a.peer, c->a_2xx, c->a_2xx_len);
			c->a_2xx_interval =
				c->a_2xx_interval * 2 < SIP_TSX_T2_MS ? c->a_2xx_interval * 2 : SIP_TSX_T2_MS;
			c->a_2xx_next = now + c->a_2xx_interval;
		}
		if ((c->state == CALL_OUTGOING || c->state == CALL_EARLY) && now >= c->b_deadline)
			call_end(c, 480, "No Answer");
		if (c->xfer && c->b_inv && !c->b_final && now >= c->b_deadline) {
			/* A transfer target ringing too long: its 487 fails the
			 * transfer (the caller goes back to the referrer). */
			c->b_deadline = UINT64_MAX;
			if (c->b_provisional)
				send_cancel(c);
			else
				c->cancel_pending = true;
		}
	}
}

void
b2bua_fini(void)
{
	while (all_calls)
		call_free(all_calls);
	st.active = 0;
}

static json_t *
call_json(const struct call *c, uint64_t now)
{
	char pa[48], pb[48];
	uint64_t dur = c->answered_ms ? ((c->ended_ms ? c->ended_ms : now) - c->answered_ms) / 1000 : 0;
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:i,s:{s:s,s:s,s:I},s:{s:s,s:s,s:I},s:i,s:s}", "id",
			 (json_int_t)c->id, "state", call_state_name(c->state), "from", c->from_user, "to", c->to_user,
			 "age_s", (json_int_t)((now - c->created_ms) / 1000), "duration_s", (json_int_t)dur, "worker",
			 (int)c->worker, "a", "peer", sip_peer_str(&c->a.peer, pa, sizeof(pa)), "call_id", c->a.call_id,
			 "session", (json_int_t)c->a.session, "b", "peer", sip_peer_str(&c->b.peer, pb, sizeof(pb)),
			 "call_id", c->b.call_id, "session", (json_int_t)c->b.session, "end_code", c->end_code,
			 "end_reason", c->end_reason);
}

json_t *
b2bua_calls_json(void)
{
	json_t *a = json_array();
	uint64_t now = sip_core_now_ms();
	for (const struct call *c = all_calls; c; c = c->all_next)
		if (c->state != CALL_ENDED)
			json_array_append_new(a, call_json(c, now));
	return a;
}

json_t *
b2bua_call_json(uint32_t id)
{
	const struct call *c = call_find(id);
	return c ? call_json(c, sip_core_now_ms()) : NULL;
}

/* --- surviving a restart of control --- */

static json_t *
leg_json(const struct leg *l)
{
	char addr[INET6_ADDRSTRLEN] = "";
	inet_ntop(l->peer.family == AF_INET6 ? AF_INET6 : AF_INET, l->peer.addr, addr, sizeof(addr));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:i,s:s,s:i,s:i},s:I,s:I,s:I,s:I,s:b}", "call_id", l->call_id,
			 "local_tag", l->local_tag, "remote_tag", l->remote_tag, "local_uri", l->local_uri,
			 "remote_uri", l->remote_uri, "remote_target", l->remote_target, "route", l->route, "peer",
			 "family", l->peer.family, "addr", addr, "port", l->peer.port, "transport",
			 (int)l->peer.transport, "local_cseq", (json_int_t)l->local_cseq, "remote_cseq",
			 (json_int_t)l->remote_cseq, "session", (json_int_t)l->session, "sdp_version",
			 (json_int_t)l->sdp_version, "bye_sent", l->bye_sent);
}

static void
call_persist(struct call *c)
{
	json_t *rec = json_pack("{s:i,s:s,s:s,s:s,s:o,s:o}", "worker", (int)c->worker, "from", c->from_user, "to",
				c->to_user, "b_ruri", c->b_ruri, "a", leg_json(&c->a), "b", leg_json(&c->b));
	int ret = call_store_put(c->id, rec);
	if (ret < 0 && ret != -ENOTCONN)
		LOG_WARN("call %u: cannot keep it in the store: %s", c->id, strerror(-ret));
	c->persisted = ret == 0;
}

static int
leg_load(json_t *o, struct leg *l)
{
	const char *cid, *lt, *rt, *lu, *ru, *tg, *addr, *route = "";
	int family, port, tp, bye = 0;
	json_int_t lc, rc, sess, ver;
	if (json_unpack(o, "{s:s,s:s,s:s,s:s,s:s,s:s,s?s,s:{s:i,s:s,s:i,s:i},s:I,s:I,s:I,s:I,s?b}", "call_id", &cid,
			"local_tag", &lt, "remote_tag", &rt, "local_uri", &lu, "remote_uri", &ru, "remote_target", &tg,
			"route", &route, "peer", "family", &family, "addr", &addr, "port", &port, "transport", &tp,
			"local_cseq", &lc, "remote_cseq", &rc, "session", &sess, "sdp_version", &ver, "bye_sent",
			&bye) < 0)
		return -EINVAL;
	snprintf(l->call_id, sizeof(l->call_id), "%s", cid);
	snprintf(l->local_tag, sizeof(l->local_tag), "%s", lt);
	snprintf(l->remote_tag, sizeof(l->remote_tag), "%s", rt);
	snprintf(l->local_uri, sizeof(l->local_uri), "%s", lu);
	snprintf(l->remote_uri, sizeof(l->remote_uri), "%s", ru);
	snprintf(l->remote_target, sizeof(l->remote_target), "%s", tg);
	snprintf(l->route, sizeof(l->route), "%s", route);
	l->peer = (struct sip_peer){
		.family = (uint8_t)family, .port = (uint16_t)port, .transport = (enum sip_transport)tp};
	if (inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, addr, l->peer.addr) != 1)
		return -EINVAL;
	l->local_cseq = (uint32_t)lc;
	l->remote_cseq = (uint32_t)rc;
	l->session = (uint32_t)sess;
	l->sdp_version = (uint64_t)ver;
	l->bye_sent = bye;
	return 0;
}

static void
recover_one(uint32_t id, json_t *rec, void *arg)
{
	unsigned *n = arg;
	const char *from, *to, *ruri;
	int worker;
	json_t *a, *b;
	struct call *c;

	if (json_unpack(rec, "{s:i,s:s,s:s,s:s,s:o,s:o}", "worker", &worker, "from", &from, "to", &to, "b_ruri", &ruri,
			"a", &a, "b", &b) < 0 ||
	    call_find(id) || (c = call_new()) == NULL) {
		LOG_WARN("call %u: its stored record is unreadable, dropped", id);
		call_store_del(id);
		return;
	}
	/* call_new gave another number: take the stored one back. */
	call_unlink_id(c);
	c->id = id;
	call_link_id(c);
	if (id >= next_call_id)
		next_call_id = id + 1;
	if (leg_load(a, &c->a) < 0 || leg_load(b, &c->b) < 0) {
		LOG_WARN("call %u: its stored record is unreadable, dropped", id);
		call_store_del(id);
		st.active--;
		call_free(c);
		return;
	}
	c->worker = (uint32_t)worker;
	snprintf(c->from_user, sizeof(c->from_user), "%s", from);
	snprintf(c->to_user, sizeof(c->to_user), "%s", to);
	snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", ruri);
	c->state = CALL_CONFIRMED;
	c->a_final_sent = c->b_final = c->b_answered = true;
	c->answered_ms = c->created_ms;
	c->recovered = true;
	c->persisted = true;
	table_add(&by_dialog, &c->a);
	table_add(&by_caller, &c->a);
	table_add(&by_dialog, &c->b);
	(*n)++;
}

int
b2bua_recover(char *err, size_t errlen)
{
	unsigned n = 0;
	int ret = call_store_open(err, errlen);
	if (ret < 0)
		return ret;
	call_store_foreach(recover_one, &n);
	if (n) {
		LOG_INFO("recovered %u established call(s); checking their media with the dataplane", n);
		reconcile_pending = true;
	}
	return (int)n;
}

/* The dataplane's dump after a restart of control: sessions of calls we
 * know are kept, sessions nobody owns are destroyed, and recovered calls
 * whose media is gone are hung up. */
static void
reconcile_dump(const struct td_dp_msg *ev)
{
	const struct td_dp_evt_dump *d = &ev->dump;
	struct call *c = call_find(d->call_tag);
	if (c && c->state != CALL_ENDED && (d->session == c->a.session || d->session == c->b.session)) {
		if (d->session == c->a.session)
			c->seen_a = true;
		else
			c->seen_b = true;
		return;
	}
	LOG_INFO("session %u (call %u) belongs to no call: destroyed", d->session, d->call_tag);
	dp_destroy_session(ev->hdr.worker, d->session);
}

static void
reconcile_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	(void)arg;
	(void)ack;
	if (err < 0) {
		/* No answer: try again on a later tick. */
		reconcile_pending = true;
		reconcile_acks = 0;
		return;
	}
	if (--reconcile_acks)
		return;
	for (struct call *c = all_calls, *next; c; c = next) {
		next = c->all_next;
		if (!c->recovered || c->state == CALL_ENDED)
			continue;
		c->recovered = false;
		if (!c->seen_a || !c->seen_b) {
			LOG_WARN("call %u: its media is gone from the dataplane, hanging up", c->id);
			call_end(c, 200, "Media lost");
		}
	}
	LOG_INFO("recovered calls reconciled with the dataplane");
}

static void
reconcile_start(void)
{
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL)
		return;
	reconcile_pending = false;
	reconcile_acks = shm->hdr->n_workers;
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++) {
		struct td_dp_msg m;
		td_dp_msg_init(&m, TD_DP_CMD_SESSION_DUMP, 0);
		if (dp_link_send(w, &m, reconcile_ack, NULL, DP_TIMEOUT_MS) == -ENOMEM)
			reconcile_acks--;
	}
}
