/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RFC 3261 §17 transaction layer (contract in sip_tsx.h). Transactions
 * live in one table allocated at init, found through a hash on the branch
 * (or on the Call-ID for RFC 2543 peers), and each has at most two timers
 * armed, a retransmission one (A, E, G, or the 100 Trying delay) and a
 * waiting one (B, D, F, K, H, I, J), kept in one min-heap: a tick costs
 * O(log n) per due timer, never a scan of the table. The only allocations
 * are a transaction's copied keys and the bytes it may have to resend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip_tsx.h"

#define NONE UINT32_MAX

/* The two timer slots of a transaction. */
#define SLOT_RETX 0
#define SLOT_WAIT 1

enum tsx_timer {
	TMR_NONE = 0,
	TMR_A, /* client INVITE: resend the request */
	TMR_B, /* client INVITE: no response */
	TMR_D, /* client INVITE: absorb final-response retransmissions */
	TMR_E, /* client non-INVITE: resend the request */
	TMR_F, /* client non-INVITE: no final response */
	TMR_K, /* client non-INVITE: absorb response retransmissions */
	TMR_G, /* server INVITE: resend the final response */
	TMR_H, /* server INVITE: no ACK */
	TMR_I, /* server INVITE: absorb ACK retransmissions */
	TMR_J, /* server non-INVITE: absorb request retransmissions */
	TMR_TRYING,
};

struct sip_tsx_timer {
	uint64_t due;
	uint64_t seq;
	uint32_t tsx;
	uint8_t slot;
};

struct buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void
buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
buf_str(struct buf *b, struct sip_str s)
{
	buf_put(b, s.p, s.len);
}

static void
buf_lit(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void
buf_hdr(struct buf *b, const char *name, struct sip_str value)
{
	buf_lit(b, name);
	buf_lit(b, ": ");
	buf_str(b, value);
	buf_lit(b, "\r\n");
}

static bool
str_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool
str_ieq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

/* RFC 3261 §17.2.3: only a branch with the magic cookie identifies a
 * transaction. The cookie alone (RFC 4475 §3.1.2.15 badbranch) identifies
 * nothing, so such a request is matched the RFC 2543 way. */
static bool
branch_is_3261(struct sip_str b)
{
	size_t n = strlen(SIP_TSX_BRANCH_COOKIE);
	return b.len > n && memcmp(b.p, SIP_TSX_BRANCH_COOKIE, n) == 0;
}

/* RFC 3261 §18.2.1 / §19.1.2: an absent port is the transport's default. */
static uint16_t
port_or_default(uint16_t port, struct sip_str transport)
{
	if (port)
		return port;
	return sip_str_ieq(transport, "TLS") ? 5061 : 5060;
}

static uint32_t
hash_str(struct sip_str s)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < s.len; i++)
		h = (h ^ (uint8_t)s.p[i]) * 16777619u;
	return h;
}

static struct sip_str
tsx_key(const struct sip_tsx *t)
{
	return t->rfc2543 ? t->call_id : t->branch;
}

/* The timer heap, ordered by (due, seq) so that timers due at one instant
 * fire in the order they were armed: runs are reproducible. */

static bool
tmr_before(const struct sip_tsx_timer *a, const struct sip_tsx_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_put(struct sip_tsx_layer *l, uint32_t i, struct sip_tsx_timer e)
{
	l->heap[i] = e;
	l->tsx[e.tsx].heap_pos[e.slot] = (int32_t)i;
}

static void
heap_up(struct sip_tsx_layer *l, uint32_t i)
{
	struct sip_tsx_timer e = l->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!tmr_before(&e, &l->heap[p]))
			break;
		heap_put(l, i, l->heap[p]);
		i = p;
	}
	heap_put(l, i, e);
}

static void
heap_down(struct sip_tsx_layer *l, uint32_t i)
{
	struct sip_tsx_timer e = l->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= l->n_timers)
			break;
		if (c + 1 < l->n_timers && tmr_before(&l->heap[c + 1], &l->heap[c]))
			c++;
		if (!tmr_before(&l->heap[c], &e))
			break;
		heap_put(l, i, l->heap[c]);
		i = c;
	}
	heap_put(l, i, e);
}

static void
timer_stop(struct sip_tsx_layer *l, struct sip_tsx *t, unsigned int slot)
{
	int32_t pos = t->heap_pos[slot];
	if (pos < 0)
		return;
	t->heap_pos[slot] = -1;
	t->timer[slot] = TMR_NONE;
	uint32_t last = --l->n_timers;
	if ((uint32_t)pos == last)
		return;
	heap_put(l, (uint32_t)pos, l->heap[last]);
	if (pos > 0 && tmr_before(&l->heap[pos], &l->heap[(pos - 1) / 2]))
		heap_up(l, (uint32_t)pos);
	else
		heap_down(l, (uint32_t)pos);
}

static void
timer_start(struct sip_tsx_layer *l, struct sip_tsx *t, unsigned int slot, enum tsx_timer id, uint64_t due)
{
	timer_stop(l, t, slot);
	struct sip_tsx_timer e = {
		.due = due,
		.seq = l->timer_seq++,
		.tsx = (uint32_t)(t - l->tsx),
		.slot = (uint8_t)slot,
	};
	t->timer[slot] = (uint8_t)id;
	heap_put(l, l->n_timers++, e);
	heap_up(l, l->n_timers - 1);
}

/* The table and its hash. */

static struct sip_tsx *
tsx_alloc(struct sip_tsx_layer *l)
{
	if (l->free_head == NONE)
		return NULL;
	struct sip_tsx *t = &l->tsx[l->free_head];
	l->free_head = t->next;
	uint32_t gen = t->gen;
	memset(t, 0, sizeof(*t));
	t->gen = gen;
	t->used = true;
	t->heap_pos[0] = t->heap_pos[1] = -1;
	t->next = NONE;
	l->n_used++;
	return t;
}

static void
tsx_free(struct sip_tsx_layer *l, struct sip_tsx *t)
{
	free(t->keys);
	free(t->buf);
	t->keys = t->buf = NULL;
	t->used = false;
	t->state = SIP_TSX_TERMINATED;
	/* Whoever held t across a callback sees the change (tsx_alive). */
	t->gen++;
	t->next = l->free_head;
	l->free_head = (uint32_t)(t - l->tsx);
	l->n_used--;
}

static void
hash_insert(struct sip_tsx_layer *l, struct sip_tsx *t)
{
	uint32_t b = hash_str(tsx_key(t)) & l->mask;
	t->next = l->bucket[b];
	l->bucket[b] = (uint32_t)(t - l->tsx);
}

static void
hash_remove(struct sip_tsx_layer *l, struct sip_tsx *t)
{
	uint32_t idx = (uint32_t)(t - l->tsx);
	uint32_t *pp = &l->bucket[hash_str(tsx_key(t)) & l->mask];
	while (*pp != NONE) {
		if (*pp == idx) {
			*pp = t->next;
			t->next = NONE;
			return;
		}
		pp = &l->tsx[*pp].next;
	}
}

/* Copies the keys a transaction matches on out of a message that will not
 * outlive the call, into one allocation. */
static int
tsx_keys_copy(struct sip_tsx *t, const struct sip_msg *m)
{
	const struct sip_str src[] = {m->via.branch, m->call_id,  m->from.tag,	   m->to.tag,
				      m->ruri,	     m->via.host, m->via.transport};
	struct sip_str *const dst[] = {&t->branch, &t->call_id,	 &t->from_tag,	   &t->to_tag,
				       &t->ruri,   &t->via_host, &t->via_transport};
	size_t total = 1;
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		total += src[i].len;
	char *p = malloc(total);
	if (p == NULL)
		return -ENOMEM;
	t->keys = p;
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		if (src[i].len)
			memcpy(p, src[i].p, src[i].len);
		*dst[i] = (struct sip_str){p, src[i].len};
		p += src[i].len;
	}
	t->via_port = m->via.port;
	t->cseq = m->cseq;
	return 0;
}

static bool
tsx_alive(const struct sip_tsx *t, uint32_t gen)
{
	return t->gen == gen;
}

/* Tells the TU; false if t ended meanwhile (the TU may answer, and so end
 * t, from inside the callback). */
static bool
tsx_tu(struct sip_tsx_layer *l, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m)
{
	uint32_t gen = t ? t->gen : 0;
	l->cfg.tu(l->cfg.arg, t, ev, m);
	return t == NULL || tsx_alive(t, gen);
}

static void
tsx_send(struct sip_tsx_layer *l, const struct sip_tsx *t, const char *buf, size_t len)
{
	l->cfg.send(l->cfg.arg, t, buf, len, t->reliable);
}

static void
tsx_resend(struct sip_tsx_layer *l, struct sip_tsx *t)
{
	if (t->buf == NULL || !t->buf_sent)
		return;
	l->stats.resent++;
	tsx_send(l, t, t->buf, t->len);
}

static void
tsx_terminate(struct sip_tsx_layer *l, struct sip_tsx *t)
{
	if (!t->used || t->state == SIP_TSX_TERMINATED)
		return;
	t->state = SIP_TSX_TERMINATED;
	timer_stop(l, t, SLOT_RETX);
	timer_stop(l, t, SLOT_WAIT);
	hash_remove(l, t);
	tsx_tu(l, t, SIP_TSX_EV_TERMINATED, NULL);
	tsx_free(l, t);
}

/* The next retransmission keeps to the schedule (from the due time, not the
 * tick that noticed it) unless the tick came so late that it would fire at
 * once again: then it counts from now, so a late tick never bursts. */
static uint64_t
next_due(uint64_t due, uint32_t interval, uint64_t now)
{
	uint64_t n = due + interval;
	return n > now ? n : now + interval;
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Building messages. */

/* The first element of a Via value that may hold several. Via parameters
 * are tokens or quoted strings; a comma ends the element only outside
 * quotes. */
static struct sip_str
via_first(struct sip_str v)
{
	bool quoted = false;
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.p[i] == '"')
			quoted = !quoted;
		else if (v.p[i] == '\\' && quoted)
			i++;
		else if (v.p[i] == ',' && !quoted)
			return (struct sip_str){v.p, i};
	}
	return v;
}

/* RFC 3261 §17.1.1.3: the ACK for a non-2xx final response. Request-URI,
 * Call-ID, From, CSeq number and Route set of the INVITE; To of the
 * response (with its tag); one Via, the INVITE's top one, so that it has
 * the INVITE's branch. Replaces t->buf (the INVITE is never resent now). */
static int
client_ack_build(struct sip_tsx *t, const struct sip_msg *resp)
{
	struct sip_msg *inv = malloc(sizeof(*inv));
	struct sip_err err;
	int ret = -ENOMEM;
	if (inv == NULL)
		return ret;
	if (sip_msg_parse(t->buf, t->len, false, inv, &err) < 0 || inv->first[SIP_HDR_VIA] == NULL ||
	    inv->first[SIP_HDR_FROM] == NULL || resp->first[SIP_HDR_TO] == NULL) {
		ret = -EINVAL;
		goto out;
	}
	size_t cap = t->len + resp->first[SIP_HDR_TO]->value.len + 128;
	struct buf b = {.p = malloc(cap), .cap = cap};
	if (b.p == NULL)
		goto out;
	char num[32];
	buf_lit(&b, "ACK ");
	buf_str(&b, inv->ruri);
	buf_lit(&b, " SIP/2.0\r\n");
	buf_hdr(&b, "Via", via_first(inv->first[SIP_HDR_VIA]->value));
	for (uint32_t i = 0; i < inv->n_hdrs; i++)
		if (inv->hdrs[i].id == SIP_HDR_ROUTE)
			buf_hdr(&b, "Route", inv->hdrs[i].value);
	buf_hdr(&b, "From", inv->first[SIP_HDR_FROM]->value);
	buf_hdr(&b, "To", resp->first[SIP_HDR_TO]->value);
	buf_hdr(&b, "Call-ID", inv->call_id);
	snprintf(num, sizeof(num), "%u ACK", inv->cseq);
	buf_hdr(&b, "CSeq", (struct sip_str){num, (uint32_t)strlen(num)});
	snprintf(num, sizeof(num), "%d", inv->max_forwards >= 0 ? inv->max_forwards : 70);
	buf_hdr(&b, "Max-Forwards", (struct sip_str){num, (uint32_t)strlen(num)});
	buf_lit(&b, "Content-Length: 0\r\n\r\n");
	if (b.overflow) {
		free(b.p);
		ret = -EMSGSIZE;
		goto out;
	}
	free(t->buf);
	t->buf = b.p;
	t->len = b.len;
	t->buf_sent = true;
	ret = 0;
out:
	free(inv);
	return ret;
}

/* RFC 3261 §8.2.6.1: a 100 Trying copies Via (all, in order), From, To
 * (no tag added), Call-ID, CSeq and Timestamp from the request. */
static int
server_trying_build(struct sip_tsx *t, const struct sip_msg *m, size_t raw_len)
{
	static const char *const names[SIP_HDR__COUNT] = {
		[SIP_HDR_VIA] = "Via",	       [SIP_HDR_FROM] = "From", [SIP_HDR_TO] = "To",
		[SIP_HDR_CALL_ID] = "Call-ID", [SIP_HDR_CSEQ] = "CSeq",
	};
	/* Expanded compact names add at most a few octets per header. */
	size_t cap = raw_len + 16 * (size_t)m->n_hdrs + 64;
	struct buf b = {.p = malloc(cap), .cap = cap};
	if (b.p == NULL)
		return -ENOMEM;
	buf_lit(&b, "SIP/2.0 100 Trying\r\n");
	for (uint32_t i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		if (names[h->id])
			buf_hdr(&b, names[h->id], h->value);
		else if (h->id == SIP_HDR_OTHER && sip_str_ieq(h->name, "Timestamp"))
			buf_hdr(&b, "Timestamp", h->value);
	}
	buf_lit(&b, "Content-Length: 0\r\n\r\n");
	if (b.overflow) {
		free(b.p);
		return -EMSGSIZE;
	}
	t->buf = b.p;
	t->len = b.len;
	t->buf_sent = false;
	return 0;
}

/* Matching. */

/* RFC 3261 §17.2.3, RFC 2543 fallback: the ACK's To tag is the one of the
 * response the transaction sent. */
static bool
sent_response_to_tag_eq(const struct sip_tsx *t, struct sip_str tag)
{
	if (t->buf == NULL || !t->buf_sent || t->status < 200)
		return false;
	struct sip_msg *r = malloc(sizeof(*r));
	struct sip_err err;
	bool eq = false;
	if (r == NULL)
		return false;
	if (sip_msg_parse(t->buf, t->len, false, r, &err) == 0)
		eq = str_eq(r->to.tag, tag);
	free(r);
	return eq;
}

static bool
server_match(const struct sip_tsx *t, const struct sip_msg *m, bool rfc2543, enum sip_method method)
{
	if (t->kind != SIP_TSX_SERVER_INVITE && t->kind != SIP_TSX_SERVER_NON_INVITE)
		return false;
	if (t->state == SIP_TSX_TERMINATED || t->rfc2543 != rfc2543 || t->method != method)
		return false;
	if (!rfc2543)
		/* §17.2.3: the branch, the sent-by of the top Via, and the
		 * method (INVITE for an ACK). The branch is echoed verbatim, so
		 * it compares octet for octet. */
		return str_eq(t->branch, m->via.branch) && str_ieq(t->via_host, m->via.host) &&
		       port_or_default(t->via_port, t->via_transport) == port_or_default(m->via.port, m->via.transport);
	/* §17.2.3 RFC 2543 fallback: Request-URI, To tag, From tag, Call-ID,
	 * CSeq and top Via of the request that made the transaction; an ACK
	 * matches on the CSeq number and the To tag of our response. The URIs
	 * are compared octet for octet: a retransmission repeats them. */
	if (!str_eq(t->call_id, m->call_id) || t->cseq != m->cseq || !str_eq(t->from_tag, m->from.tag) ||
	    !str_eq(t->ruri, m->ruri) || !str_ieq(t->via_host, m->via.host) ||
	    !str_ieq(t->via_transport, m->via.transport) ||
	    port_or_default(t->via_port, t->via_transport) != port_or_default(m->via.port, m->via.transport) ||
	    !str_eq(t->branch, m->via.branch))
		return false;
	if (m->method == SIP_M_ACK)
		return sent_response_to_tag_eq(t, m->to.tag);
	return str_eq(t->to_tag, m->to.tag);
}

static struct sip_tsx *
server_find(struct sip_tsx_layer *l, const struct sip_msg *m, bool rfc2543, enum sip_method method)
{
	struct sip_str key = rfc2543 ? m->call_id : m->via.branch;
	for (uint32_t i = l->bucket[hash_str(key) & l->mask]; i != NONE; i = l->tsx[i].next)
		if (server_match(&l->tsx[i], m, rfc2543, method))
			return &l->tsx[i];
	return NULL;
}

/* §17.1.3: the branch of the top Via and the CSeq method. */
static struct sip_tsx *
client_find(struct sip_tsx_layer *l, const struct sip_msg *m)
{
	for (uint32_t i = l->bucket[hash_str(m->via.branch) & l->mask]; i != NONE; i = l->tsx[i].next) {
		struct sip_tsx *t = &l->tsx[i];
		if ((t->kind == SIP_TSX_CLIENT_INVITE || t->kind == SIP_TSX_CLIENT_NON_INVITE) &&
		    t->state != SIP_TSX_TERMINATED && !t->rfc2543 && t->method == m->cseq_method &&
		    str_eq(t->branch, m->via.branch))
			return t;
	}
	return NULL;
}

struct sip_tsx *
sip_tsx_find_invite_for_cancel(struct sip_tsx_layer *l, const struct sip_tsx *c)
{
	if (l == NULL || c == NULL || !c->used || c->method != SIP_M_CANCEL)
		return NULL;
	/* §9.2: the CANCEL matches the INVITE's transaction as a request of
	 * method INVITE would; its To tag is the INVITE's (none, usually). */
	struct sip_msg key = {
		.is_request = true,
		.method = SIP_M_INVITE,
		.ruri = c->ruri,
		.call_id = c->call_id,
		.cseq = c->cseq,
		.cseq_method = SIP_M_INVITE,
		.from = {.tag = c->from_tag},
		.to = {.tag = c->to_tag},
		.via = {.transport = c->via_transport, .host = c->via_host, .port = c->via_port, .branch = c->branch},
	};
	struct sip_tsx *t = server_find(l, &key, c->rfc2543, SIP_M_INVITE);
	return t && t->kind == SIP_TSX_SERVER_INVITE ? t : NULL;
}

/* The client state machines. */

/* RFC 3261 §17.1.1.2, figure 5. */
static void
client_invite_response(struct sip_tsx_layer *l, struct sip_tsx *t, const struct sip_msg *m, uint64_t now)
{
	uint16_t st = m->status;

	if (t->state == SIP_TSX_COMPLETED) {
		/* Retransmitted finals are answered with the same ACK, not
		 * passed up; provisionals and 2xx have no business here. */
		l->stats.absorbed++;
		if (st >= 300)
			tsx_resend(l, t);
		return;
	}
	t->status = st;
	if (st < 200) {
		/* Any provisional stops the retransmissions, and Timer B only
		 * guards the Calling state. */
		if (t->state == SIP_TSX_CALLING) {
			t->state = SIP_TSX_PROCEEDING;
			timer_stop(l, t, SLOT_RETX);
			timer_stop(l, t, SLOT_WAIT);
		}
		tsx_tu(l, t, SIP_TSX_EV_RESPONSE, m);
		return;
	}
	if (st < 300) {
		/* A 2xx ends the transaction: the TU acks it, and the 2xx
		 * retransmissions reach it as stray responses. */
		if (tsx_tu(l, t, SIP_TSX_EV_RESPONSE, m))
			tsx_terminate(l, t);
		return;
	}
	timer_stop(l, t, SLOT_RETX);
	timer_stop(l, t, SLOT_WAIT);
	t->state = SIP_TSX_COMPLETED;
	if (client_ack_build(t, m) == 0)
		tsx_send(l, t, t->buf, t->len);
	if (!tsx_tu(l, t, SIP_TSX_EV_RESPONSE, m))
		return;
	/* Timer D: 32 s to absorb retransmitted finals over UDP; a reliable
	 * transport retransmits nothing. */
	if (t->reliable)
		tsx_terminate(l, t);
	else
		timer_start(l, t, SLOT_WAIT, TMR_D, now + SIP_TSX_TIMER_D_MS);
}

/* RFC 3261 §17.1.2.2, figure 6. */
static void
client_non_invite_response(struct sip_tsx_layer *l, struct sip_tsx *t, const struct sip_msg *m, uint64_t now)
{
	uint16_t st = m->status;

	if (t->state == SIP_TSX_COMPLETED) {
		l->stats.absorbed++;
		return;
	}
	t->status = st;
	if (st < 200) {
		/* Timer E keeps running; from now on it fires every T2. */
		t->state = SIP_TSX_PROCEEDING;
		tsx_tu(l, t, SIP_TSX_EV_RESPONSE, m);
		return;
	}
	timer_stop(l, t, SLOT_RETX);
	timer_stop(l, t, SLOT_WAIT);
	t->state = SIP_TSX_COMPLETED;
	if (!tsx_tu(l, t, SIP_TSX_EV_RESPONSE, m))
		return;
	if (t->reliable)
		tsx_terminate(l, t);
	else
		timer_start(l, t, SLOT_WAIT, TMR_K, now + l->cfg.t4_ms);
}

static int
recv_response(struct sip_tsx_layer *l, const struct sip_msg *m, uint64_t now)
{
	struct sip_tsx *t = client_find(l, m);
	if (t == NULL) {
		/* §18.1.2: a response no transaction claims goes to the core. */
		l->stats.stray++;
		tsx_tu(l, NULL, SIP_TSX_EV_RESPONSE_STRAY, m);
		return 0;
	}
	if (m->status < 100 || m->status > 699)
		return -EINVAL;
	if (t->kind == SIP_TSX_CLIENT_INVITE)
		client_invite_response(l, t, m, now);
	else
		client_non_invite_response(l, t, m, now);
	return 0;
}

/* The server state machines. */

/* A request that matched t: a retransmission, or the ACK of a non-2xx.
 * A retransmission is answered where it came from: a client that lost its
 * connection and sent again over a new one (or over another transport)
 * waits there, not on the old one. The transaction's own retransmissions
 * keep to the peer of the request that created it. */
static void
server_request_again(struct sip_tsx_layer *l, struct sip_tsx *t, const struct sip_msg *m, const struct sip_peer *from,
		     bool reliable, uint64_t now)
{
	if (m->method == SIP_M_ACK) {
		/* §17.2.1: the ACK confirms a non-2xx final; Timer G and H
		 * stop, Timer I absorbs further ACKs (none over a reliable
		 * transport). */
		if (t->state == SIP_TSX_COMPLETED) {
			timer_stop(l, t, SLOT_RETX);
			timer_stop(l, t, SLOT_WAIT);
			t->state = SIP_TSX_CONFIRMED;
			if (t->reliable)
				tsx_terminate(l, t);
			else
				timer_start(l, t, SLOT_WAIT, TMR_I, now + l->cfg.t4_ms);
		} else if (t->state == SIP_TSX_CONFIRMED) {
			l->stats.absorbed++;
		} else {
			l->stats.ack_ignored++;
		}
		return;
	}
	l->stats.absorbed++;
	/* §17.2.1, §17.2.2: in Proceeding the last provisional is resent, in
	 * Completed the final; in Trying (non-INVITE, nothing sent yet) and
	 * Confirmed the retransmission is dropped. */
	if (t->state != SIP_TSX_PROCEEDING && t->state != SIP_TSX_COMPLETED)
		return;
	if (sip_peer_eq(from, &t->peer) && from->conn == t->peer.conn) {
		tsx_resend(l, t);
		return;
	}
	struct sip_peer own = t->peer;
	bool own_reliable = t->reliable;
	t->peer = *from;
	t->reliable = reliable;
	tsx_resend(l, t);
	t->peer = own;
	t->reliable = own_reliable;
}

static int
recv_request(struct sip_tsx_layer *l, const struct sip_msg *m, size_t len, const struct sip_peer *from, bool reliable,
	     uint64_t now)
{
	bool rfc2543 = !branch_is_3261(m->via.branch);
	enum sip_method method = m->method == SIP_M_ACK ? SIP_M_INVITE : m->method;
	struct sip_tsx *t = server_find(l, m, rfc2543, method);
	if (t) {
		server_request_again(l, t, m, from, reliable, now);
		return 0;
	}
	if (m->method == SIP_M_ACK) {
		/* §17.1.1.3: the ACK for a 2xx is a transaction of its own
		 * that nobody answers; the TU matches it to its dialog. */
		tsx_tu(l, NULL, SIP_TSX_EV_ACK_2XX, m);
		return 0;
	}
	t = tsx_alloc(l);
	if (t == NULL) {
		l->stats.refused++;
		return -ENOSPC;
	}
	t->kind = m->method == SIP_M_INVITE ? SIP_TSX_SERVER_INVITE : SIP_TSX_SERVER_NON_INVITE;
	t->state = m->method == SIP_M_INVITE ? SIP_TSX_PROCEEDING : SIP_TSX_TRYING;
	t->method = m->method;
	t->reliable = reliable;
	t->rfc2543 = rfc2543;
	t->peer = *from;
	if (tsx_keys_copy(t, m) < 0) {
		tsx_free(l, t);
		return -ENOMEM;
	}
	/* §17.2.1: if the TU is silent for 200 ms, the transaction sends
	 * 100 Trying itself. Built now, while the request is at hand. */
	if (t->kind == SIP_TSX_SERVER_INVITE && !l->cfg.no_auto_trying && server_trying_build(t, m, len) == 0)
		timer_start(l, t, SLOT_RETX, TMR_TRYING, now + SIP_TSX_TRYING_MS);
	hash_insert(l, t);
	l->stats.created++;
	tsx_tu(l, t, SIP_TSX_EV_REQUEST, m);
	return 0;
}

int
sip_tsx_layer_recv(struct sip_tsx_layer *l, const struct sip_msg *m, const char *raw, size_t len,
		   const struct sip_peer *from, bool reliable, uint64_t now_ms)
{
	(void)raw;
	if (l == NULL || m == NULL || from == NULL)
		return -EINVAL;
	/* Every key starts at the top Via (§8.1.1.7, §17.1.3, §17.2.3). */
	if (m->via.host.len == 0)
		return -EINVAL;
	if (!m->is_request)
		return recv_response(l, m, now_ms);
	return recv_request(l, m, len, from, reliable, now_ms);
}

int
sip_tsx_respond(struct sip_tsx_layer *l, struct sip_tsx *t, const char *resp, size_t len, uint16_t status,
		uint64_t now_ms)
{
	if (l == NULL || t == NULL || resp == NULL || !t->used || status < 100 || status > 699)
		return -EINVAL;
	if (t->kind != SIP_TSX_SERVER_INVITE && t->kind != SIP_TSX_SERVER_NON_INVITE)
		return -EINVAL;
	/* One final response per transaction (§17.2.1, §17.2.2). */
	if (t->state != SIP_TSX_TRYING && t->state != SIP_TSX_PROCEEDING)
		return -EINVAL;
	if (len == 0 || len > SIP_MAX_MSG)
		return -EMSGSIZE;
	char *copy = malloc(len);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, resp, len);
	free(t->buf);
	t->buf = copy;
	t->len = len;
	t->buf_sent = true;
	t->status = status;
	/* Any response from the TU makes the automatic 100 moot. */
	timer_stop(l, t, SLOT_RETX);
	tsx_send(l, t, t->buf, t->len);

	if (status < 200) {
		t->state = SIP_TSX_PROCEEDING;
		return 0;
	}
	t->state = SIP_TSX_COMPLETED;
	if (t->kind == SIP_TSX_SERVER_INVITE) {
		/* §17.2.1: a 2xx ends the transaction; its retransmission until
		 * the ACK is the TU's job (§13.3.1.4). */
		if (status < 300) {
			tsx_terminate(l, t);
			return 0;
		}
		/* Timer G resends the final over UDP; Timer H gives up on the
		 * ACK on any transport. */
		if (!t->reliable) {
			t->interval = l->cfg.t1_ms;
			timer_start(l, t, SLOT_RETX, TMR_G, now_ms + t->interval);
		}
		timer_start(l, t, SLOT_WAIT, TMR_H, now_ms + 64 * (uint64_t)l->cfg.t1_ms);
		return 0;
	}
	/* §17.2.2: Timer J absorbs request retransmissions over UDP. */
	if (t->reliable)
		tsx_terminate(l, t);
	else
		timer_start(l, t, SLOT_WAIT, TMR_J, now_ms + 64 * (uint64_t)l->cfg.t1_ms);
	return 0;
}

int
sip_tsx_client_new(struct sip_tsx_layer *l, const char *req, size_t len, enum sip_method method, struct sip_str branch,
		   const struct sip_peer *to, bool reliable, uint64_t now_ms, struct sip_tsx **tp)
{
	if (l == NULL || req == NULL || to == NULL || tp == NULL)
		return -EINVAL;
	/* §17.1: an ACK has no client transaction. */
	if (method == SIP_M_ACK || method == SIP_M_UNKNOWN || !branch_is_3261(branch))
		return -EINVAL;
	if (len == 0 || len > SIP_MAX_MSG)
		return -EMSGSIZE;
	struct sip_msg *m = malloc(sizeof(*m));
	struct sip_err err;
	struct sip_tsx *t = NULL;
	int ret = -ENOMEM;
	if (m == NULL)
		return ret;
	/* The request must be what the caller says: its CSeq method and top
	 * Via branch are what responses are matched on (§17.1.3). */
	if (sip_msg_parse(req, len, false, m, &err) < 0 || !m->is_request || m->method != method ||
	    m->cseq_method != method || !str_eq(m->via.branch, branch)) {
		ret = -EINVAL;
		goto out;
	}
	t = tsx_alloc(l);
	if (t == NULL) {
		l->stats.refused++;
		ret = -ENOSPC;
		goto out;
	}
	t->kind = method == SIP_M_INVITE ? SIP_TSX_CLIENT_INVITE : SIP_TSX_CLIENT_NON_INVITE;
	t->state = method == SIP_M_INVITE ? SIP_TSX_CALLING : SIP_TSX_TRYING;
	t->method = method;
	t->reliable = reliable;
	t->peer = *to;
	t->buf = malloc(len);
	if (t->buf == NULL || tsx_keys_copy(t, m) < 0) {
		tsx_free(l, t);
		goto out;
	}
	memcpy(t->buf, req, len);
	t->len = len;
	t->buf_sent = true;
	hash_insert(l, t);
	l->stats.created++;
	/* §17.1.1.2 Timers A and B, §17.1.2.2 Timers E and F: resend from T1
	 * over UDP only; give up after 64*T1 on any transport. */
	if (!reliable) {
		t->interval = l->cfg.t1_ms;
		timer_start(l, t, SLOT_RETX, method == SIP_M_INVITE ? TMR_A : TMR_E, now_ms + t->interval);
	}
	timer_start(l, t, SLOT_WAIT, method == SIP_M_INVITE ? TMR_B : TMR_F, now_ms + 64 * (uint64_t)l->cfg.t1_ms);
	*tp = t;
	ret = 0;
	tsx_send(l, t, t->buf, t->len);
out:
	free(m);
	return ret;
}

int
sip_tsx_transport_error(struct sip_tsx_layer *l, struct sip_tsx *t)
{
	if (l == NULL || t == NULL || !t->used || t->state == SIP_TSX_TERMINATED)
		return -EINVAL;
	if (tsx_tu(l, t, SIP_TSX_EV_TRANSPORT_ERROR, NULL))
		tsx_terminate(l, t);
	return 0;
}

static void
timer_fire(struct sip_tsx_layer *l, struct sip_tsx *t, enum tsx_timer id, uint64_t due, uint64_t now)
{
	switch (id) {
	case TMR_A:
		/* §17.1.1.2: A doubles without bound (B ends it first). */
		tsx_resend(l, t);
		t->interval *= 2;
		timer_start(l, t, SLOT_RETX, TMR_A, next_due(due, t->interval, now));
		break;
	case TMR_E:
		/* §17.1.2.2: doubling up to T2 in Trying, T2 in Proceeding. */
		tsx_resend(l, t);
		t->interval = t->state == SIP_TSX_TRYING ? min_u32(2 * t->interval, l->cfg.t2_ms) : l->cfg.t2_ms;
		timer_start(l, t, SLOT_RETX, TMR_E, next_due(due, t->interval, now));
		break;
	case TMR_G:
		/* §17.2.1: doubling up to T2. */
		tsx_resend(l, t);
		t->interval = min_u32(2 * t->interval, l->cfg.t2_ms);
		timer_start(l, t, SLOT_RETX, TMR_G, next_due(due, t->interval, now));
		break;
	case TMR_TRYING:
		if (t->state == SIP_TSX_PROCEEDING && t->buf && !t->buf_sent) {
			t->buf_sent = true;
			t->status = 100;
			tsx_send(l, t, t->buf, t->len);
		}
		break;
	case TMR_B:
	case TMR_F:
	case TMR_H:
		l->stats.timeouts++;
		if (tsx_tu(l, t, SIP_TSX_EV_TIMEOUT, NULL))
			tsx_terminate(l, t);
		break;
	case TMR_D:
	case TMR_K:
	case TMR_I:
	case TMR_J:
		tsx_terminate(l, t);
		break;
	case TMR_NONE:
		break;
	}
}

void
sip_tsx_layer_tick(struct sip_tsx_layer *l, uint64_t now_ms)
{
	while (l->n_timers && l->heap[0].due <= now_ms) {
		struct sip_tsx_timer e = l->heap[0];
		struct sip_tsx *t = &l->tsx[e.tsx];
		enum tsx_timer id = (enum tsx_timer)t->timer[e.slot];
		timer_stop(l, t, e.slot);
		timer_fire(l, t, id, e.due, now_ms);
	}
}

uint64_t
sip_tsx_layer_next_due(const struct sip_tsx_layer *l)
{
	return l->n_timers ? l->heap[0].due : UINT64_MAX;
}

int
sip_tsx_layer_init(struct sip_tsx_layer *l, const struct sip_tsx_cfg *cfg)
{
	if (l == NULL || cfg == NULL || cfg->send == NULL || cfg->tu == NULL)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	if (l->cfg.t1_ms == 0)
		l->cfg.t1_ms = SIP_TSX_T1_MS;
	if (l->cfg.t2_ms == 0)
		l->cfg.t2_ms = SIP_TSX_T2_MS;
	if (l->cfg.t4_ms == 0)
		l->cfg.t4_ms = SIP_TSX_T4_MS;
	if (l->cfg.max_tsx == 0)
		l->cfg.max_tsx = SIP_TSX_MAX;
	/* Heap positions are int32_t, two timers per transaction. */
	if (l->cfg.max_tsx > (1u << 24) || l->cfg.t2_ms < l->cfg.t1_ms)
		return -EINVAL;
	uint32_t n_buckets = 1;
	while (n_buckets < l->cfg.max_tsx)
		n_buckets <<= 1;
	l->mask = n_buckets - 1;
	l->tsx = calloc(l->cfg.max_tsx, sizeof(*l->tsx));
	l->bucket = malloc(n_buckets * sizeof(*l->bucket));
	l->heap = calloc(2 * (size_t)l->cfg.max_tsx, sizeof(*l->heap));
	if (l->tsx == NULL || l->bucket == NULL || l->heap == NULL) {
		free(l->tsx);
		free(l->bucket);
		free(l->heap);
		memset(l, 0, sizeof(*l));
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n_buckets; i++)
		l->bucket[i] = NONE;
	for (uint32_t i = 0; i < l->cfg.max_tsx; i++) {
		l->tsx[i].state = SIP_TSX_TERMINATED;
		l->tsx[i].heap_pos[0] = l->tsx[i].heap_pos[1] = -1;
		l->tsx[i].next = i + 1 < l->cfg.max_tsx ? i + 1 : NONE;
	}
	l->free_head = 0;
	return 0;
}

void
sip_tsx_layer_fini(struct sip_tsx_layer *l)
{
	if (l == NULL || l->tsx == NULL)
		return;
	for (uint32_t i = 0; i < l->cfg.max_tsx; i++) {
		free(l->tsx[i].keys);
		free(l->tsx[i].buf);
	}
	free(l->tsx);
	free(l->bucket);
	free(l->heap);
	memset(l, 0, sizeof(*l));
}

const char *
sip_tsx_state_name(enum sip_tsx_state s)
{
	static const char *const names[] = {
		[SIP_TSX_CALLING] = "calling",	     [SIP_TSX_TRYING] = "trying",
		[SIP_TSX_PROCEEDING] = "proceeding", [SIP_TSX_COMPLETED] = "completed",
		[SIP_TSX_CONFIRMED] = "confirmed",   [SIP_TSX_TERMINATED] = "terminated",
	};
	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *
sip_tsx_event_name(enum sip_tsx_event ev)
{
	static const char *const names[] = {
		[SIP_TSX_EV_REQUEST] = "request",
		[SIP_TSX_EV_RESPONSE] = "response",
		[SIP_TSX_EV_RESPONSE_STRAY] = "response-stray",
		[SIP_TSX_EV_ACK_2XX] = "ack-2xx",
		[SIP_TSX_EV_TIMEOUT] = "timeout",
		[SIP_TSX_EV_TRANSPORT_ERROR] = "transport-error",
		[SIP_TSX_EV_TERMINATED] = "terminated",
	};
	return (unsigned int)ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "?";
}
