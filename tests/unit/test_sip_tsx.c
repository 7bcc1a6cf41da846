/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RFC 3261 §17 transaction layer on a fake clock: every state machine's
 * transitions and every timer at its exact millisecond, over UDP and over a
 * reliable transport; absorption of retransmissions; ACK and CANCEL
 * matching; the RFC 2543 fallback (RFC 4475 inv2543, badbranch); a full
 * table. Messages are literal strings parsed with sip_msg_parse. Each case
 * ends with an empty table; the ASan build checks that nothing leaked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip_tsx.h"

#define MAX_LOG 128

struct sent {
	uint64_t at;
	const struct sip_tsx *t;
	bool reliable;
	struct sip_peer to; /* the transaction's peer when it sent */
	char buf[1024];
	size_t len;
};

struct event {
	uint64_t at;
	enum sip_tsx_event ev;
	struct sip_tsx *t;
	uint16_t status;	/* of m, for responses */
	enum sip_method method; /* of m, for requests */
};

static struct {
	struct sip_tsx_layer l;
	uint64_t now;
	struct sent sent[MAX_LOG];
	unsigned int n_sent;
	struct event ev[MAX_LOG];
	unsigned int n_ev;
	struct sip_tsx *req_t; /* the last SIP_TSX_EV_REQUEST's transaction */
	uint16_t answer;       /* respond with this from inside the REQUEST event */
	int answer_ret;
} F;

static struct sip_msg msg;
static struct sip_peer peer = {.family = 2, .addr = {192, 0, 2, 1}, .port = 5060};

static void
fake_send(void *arg, const struct sip_tsx *t, const char *buf, size_t len, bool reliable)
{
	(void)arg;
	assert_true(F.n_sent < MAX_LOG);
	struct sent *s = &F.sent[F.n_sent++];
	s->at = F.now;
	s->t = t;
	s->reliable = reliable;
	s->to = t->peer;
	s->len = len < sizeof(s->buf) - 1 ? len : sizeof(s->buf) - 1;
	memcpy(s->buf, buf, s->len);
	s->buf[s->len] = '\0';
}

static const char resp_486[] = "SIP/2.0 486 Busy Here\r\n"
			       "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1\r\n"
			       "From: <sip:alice@example.com>;tag=a1\r\n"
			       "To: <sip:bob@example.com>;tag=s1\r\n"
			       "Call-ID: call1@192.0.2.1\r\n"
			       "CSeq: 1 INVITE\r\n"
			       "Content-Length: 0\r\n\r\n";

static void
fake_tu(void *arg, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m)
{
	(void)arg;
	assert_true(F.n_ev < MAX_LOG);
	struct event *e = &F.ev[F.n_ev++];
	*e = (struct event){.at = F.now, .ev = ev, .t = t};
	if (m) {
		e->status = m->status;
		e->method = m->method;
	}
	if (ev == SIP_TSX_EV_REQUEST) {
		F.req_t = t;
		if (F.answer)
			F.answer_ret = sip_tsx_respond(&F.l, t, resp_486, sizeof(resp_486) - 1, F.answer, F.now);
	}
}

static void
layer_up(uint32_t max_tsx)
{
	struct sip_tsx_cfg cfg = {.max_tsx = max_tsx, .send = fake_send, .tu = fake_tu};
	assert_int_equal(sip_tsx_layer_init(&F.l, &cfg), 0);
}

static int
setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	layer_up(16);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	/* Every case lets its transactions run to their end. */
	assert_int_equal(F.l.n_used, 0);
	assert_int_equal(F.l.n_timers, 0);
	sip_tsx_layer_fini(&F.l);
	return 0;
}

/* Advances the clock one millisecond at a time, so that each timer is seen
 * at the exact millisecond it fires. */
static void
run_until(uint64_t end)
{
	while (F.now < end) {
		F.now++;
		sip_tsx_layer_tick(&F.l, F.now);
	}
}

static int
deliver_from(const char *s, bool reliable, const struct sip_peer *from)
{
	struct sip_err err;
	assert_int_equal(sip_msg_parse(s, strlen(s), false, &msg, &err), 0);
	return sip_tsx_layer_recv(&F.l, &msg, s, strlen(s), from, reliable, F.now);
}

static int
deliver(const char *s, bool reliable)
{
	return deliver_from(s, reliable, &peer);
}

/* A request from 192.0.2.1. `via_params` is the top Via's parameters
 * (";branch=..." or "" for an RFC 2543 peer). */
static const char *
req(char *b, size_t n, const char *method, const char *via_params, unsigned int cseq, const char *to_tag)
{
	snprintf(b, n,
		 "%s sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1:5060%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>%s%s\r\n"
		 "Call-ID: call1@192.0.2.1\r\n"
		 "CSeq: %u %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 method, via_params, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method);
	return b;
}

static const char *
resp(char *b, size_t n, unsigned int status, const char *branch, const char *cseq_method, const char *to_tag)
{
	snprintf(b, n,
		 "SIP/2.0 %u Whatever\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=%s\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>%s%s\r\n"
		 "Call-ID: call1@192.0.2.1\r\n"
		 "CSeq: 1 %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 status, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq_method);
	return b;
}

static void
assert_sent_at(const uint64_t *at, unsigned int n)
{
	assert_int_equal(F.n_sent, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(F.sent[i].at, at[i]);
}

static void
assert_event(unsigned int i, enum sip_tsx_event ev, uint64_t at)
{
	assert_true(i < F.n_ev);
	assert_string_equal(sip_tsx_event_name(F.ev[i].ev), sip_tsx_event_name(ev));
	assert_int_equal(F.ev[i].at, at);
}

static struct sip_tsx *
client_new(const char *method, const char *branch, bool reliable)
{
	char b[1024], vp[128];
	struct sip_tsx *t = NULL;
	snprintf(vp, sizeof(vp), ";branch=%s", branch);
	req(b, sizeof(b), method, vp, 1, NULL);
	struct sip_str br = {branch, (uint32_t)strlen(branch)};
	struct sip_str name = {method, (uint32_t)strlen(method)};
	assert_int_equal(sip_tsx_client_new(&F.l, b, strlen(b), sip_method_of(name), br, &peer, reliable, F.now, &t),
			 0);
	assert_non_null(t);
	return t;
}

/* Client INVITE (RFC 3261 §17.1.1). */

static void
test_client_invite_timer_a_b(void **state)
{
	(void)state;
	struct sip_tsx *t = client_new("INVITE", "z9hG4bKc1", false);
	assert_int_equal(t->state, SIP_TSX_CALLING);
	assert_int_equal(sip_tsx_layer_next_due(&F.l), 500);
	run_until(40000);
	/* Timer A doubles from T1; Timer B = 64*T1 ends it. */
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	assert_sent_at(at, 7);
	for (unsigned int i = 1; i < 7; i++)
		assert_memory_equal(F.sent[i].buf, F.sent[0].buf, F.sent[0].len);
	assert_int_equal(F.n_ev, 2);
	assert_event(0, SIP_TSX_EV_TIMEOUT, 32000);
	assert_event(1, SIP_TSX_EV_TERMINATED, 32000);
	assert_int_equal(F.l.stats.timeouts, 1);
}

static void
test_client_invite_reliable_timer_b(void **state)
{
	(void)state;
	client_new("INVITE", "z9hG4bKc1", true);
	run_until(40000);
	static const uint64_t at[] = {0};
	assert_sent_at(at, 1);
	assert_true(F.sent[0].reliable);
	assert_int_equal(F.n_ev, 2);
	assert_event(0, SIP_TSX_EV_TIMEOUT, 32000);
}

static void
test_client_invite_non2xx_ack_timer_d(void **state)
{
	(void)state;
	char b[1024];
	struct sip_tsx *t = client_new("INVITE", "z9hG4bKc1", false);
	run_until(600);
	/* Calling → Proceeding: the provisional goes up, retransmissions and
	 * Timer B stop. */
	assert_int_equal(deliver(resp(b, sizeof(b), 180, "z9hG4bKc1", "INVITE", "r1"), false), 0);
	assert_int_equal(t->state, SIP_TSX_PROCEEDING);
	assert_int_equal(F.n_ev, 1);
	assert_event(0, SIP_TSX_EV_RESPONSE, 600);
	assert_int_equal(F.ev[0].status, 180);
	run_until(40000);
	assert_int_equal(F.n_sent, 2); /* 0 and 500 */
	assert_int_equal(F.n_ev, 1);

	/* Proceeding → Completed: the layer acks the 486 itself. */
	assert_int_equal(deliver(resp(b, sizeof(b), 486, "z9hG4bKc1", "INVITE", "r1"), false), 0);
	assert_int_equal(t->state, SIP_TSX_COMPLETED);
	assert_int_equal(F.n_ev, 2);
	assert_event(1, SIP_TSX_EV_RESPONSE, 40000);
	assert_int_equal(F.ev[1].status, 486);
	assert_int_equal(F.n_sent, 3);
	struct sent *ack = &F.sent[2];
	struct sip_err err;
	assert_int_equal(sip_msg_parse(ack->buf, ack->len, false, &msg, &err), 0);
	assert_int_equal(msg.method, SIP_M_ACK);
	assert_true(sip_str_eq(msg.ruri, "sip:bob@example.com"));
	assert_true(sip_str_eq(msg.via.branch, "z9hG4bKc1"));
	assert_int_equal(msg.count[SIP_HDR_VIA], 1);
	assert_int_equal(msg.cseq, 1);
	assert_int_equal(msg.cseq_method, SIP_M_ACK);
	assert_true(sip_str_eq(msg.to.tag, "r1"));
	assert_true(sip_str_eq(msg.from.tag, "a1"));
	assert_true(sip_str_eq(msg.call_id, "call1@192.0.2.1"));

	/* A retransmitted final is acked again, not passed up. */
	run_until(41000);
	assert_int_equal(deliver(resp(b, sizeof(b), 486, "z9hG4bKc1", "INVITE", "r1"), false), 0);
	assert_int_equal(F.n_sent, 4);
	assert_memory_equal(F.sent[3].buf, F.sent[2].buf, F.sent[2].len);
	assert_int_equal(F.n_ev, 2);
	assert_int_equal(F.l.stats.absorbed, 1);

	/* Timer D: 32 s after the final. */
	run_until(71999);
	assert_int_equal(F.n_ev, 2);
	run_until(72000);
	assert_int_equal(F.n_ev, 3);
	assert_event(2, SIP_TSX_EV_TERMINATED, 72000);
	assert_int_equal(F.n_sent, 4);
}

static void
test_client_invite_non2xx_reliable(void **state)
{
	(void)state;
	char b[1024];
	client_new("INVITE", "z9hG4bKc1", true);
	run_until(100);
	/* Timer D is 0: the 486 is acked and the transaction ends at once. */
	assert_int_equal(deliver(resp(b, sizeof(b), 486, "z9hG4bKc1", "INVITE", "r1"), true), 0);
	assert_int_equal(F.n_sent, 2);
	assert_true(strncmp(F.sent[1].buf, "ACK ", 4) == 0);
	assert_int_equal(F.n_ev, 2);
	assert_event(0, SIP_TSX_EV_RESPONSE, 100);
	assert_event(1, SIP_TSX_EV_TERMINATED, 100);
}

static void
test_client_invite_2xx(void **state)
{
	(void)state;
	char b[1024];
	client_new("INVITE", "z9hG4bKc1", false);
	run_until(700);
	/* A 2xx goes up and ends the transaction; the TU acks it. */
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKc1", "INVITE", "r1"), false), 0);
	assert_int_equal(F.n_ev, 2);
	assert_event(0, SIP_TSX_EV_RESPONSE, 700);
	assert_int_equal(F.ev[0].status, 200);
	assert_event(1, SIP_TSX_EV_TERMINATED, 700);
	assert_int_equal(F.n_sent, 2); /* no ACK from the layer */
	/* Its retransmission reaches the TU outside any transaction. */
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKc1", "INVITE", "r1"), false), 0);
	assert_int_equal(F.n_ev, 3);
	assert_event(2, SIP_TSX_EV_RESPONSE_STRAY, 700);
	assert_null(F.ev[2].t);
	run_until(40000);
	assert_int_equal(F.n_sent, 2);
}

static void
test_client_match_by_method(void **state)
{
	(void)state;
	char b[1024];
	struct sip_tsx *inv = client_new("INVITE", "z9hG4bKc1", true);
	struct sip_tsx *can = client_new("CANCEL", "z9hG4bKc1", true);
	assert_ptr_not_equal(inv, can);
	/* Same branch, CSeq method CANCEL: the CANCEL's transaction. */
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKc1", "CANCEL", "r1"), true), 0);
	assert_ptr_equal(F.ev[0].t, can);
	assert_event(1, SIP_TSX_EV_TERMINATED, 0);
	assert_ptr_equal(F.ev[1].t, can);
	assert_int_equal(deliver(resp(b, sizeof(b), 487, "z9hG4bKc1", "INVITE", "r1"), true), 0);
	assert_ptr_equal(F.ev[2].t, inv);
	assert_int_equal(F.ev[2].status, 487);
	/* Another branch matches nothing. */
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKother", "INVITE", "r1"), true), 0);
	assert_event(4, SIP_TSX_EV_RESPONSE_STRAY, 0);
	assert_int_equal(F.l.stats.stray, 1);
}

/* Client non-INVITE (RFC 3261 §17.1.2). */

static void
test_client_non_invite_timer_e_f(void **state)
{
	(void)state;
	client_new("OPTIONS", "z9hG4bKo1", false);
	run_until(40000);
	/* Timer E doubles from T1 up to T2; Timer F = 64*T1. */
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
	assert_sent_at(at, 11);
	assert_int_equal(F.n_ev, 2);
	assert_event(0, SIP_TSX_EV_TIMEOUT, 32000);
	assert_event(1, SIP_TSX_EV_TERMINATED, 32000);
}

static void
test_client_non_invite_proceeding_timer_k(void **state)
{
	(void)state;
	char b[1024];
	struct sip_tsx *t = client_new("OPTIONS", "z9hG4bKo1", false);
	run_until(600);
	assert_int_equal(deliver(resp(b, sizeof(b), 100, "z9hG4bKo1", "OPTIONS", NULL), false), 0);
	assert_int_equal(t->state, SIP_TSX_PROCEEDING);
	/* In Proceeding Timer E fires every T2. */
	run_until(10000);
	static const uint64_t at[] = {0, 500, 1500, 5500, 9500};
	assert_sent_at(at, 5);
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKo1", "OPTIONS", "r1"), false), 0);
	assert_int_equal(t->state, SIP_TSX_COMPLETED);
	assert_int_equal(F.n_ev, 2);
	assert_event(1, SIP_TSX_EV_RESPONSE, 10000);
	/* Completed absorbs retransmitted responses for Timer K = T4. */
	run_until(12000);
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKo1", "OPTIONS", "r1"), false), 0);
	assert_int_equal(F.n_ev, 2);
	run_until(14999);
	assert_int_equal(F.n_ev, 2);
	run_until(15000);
	assert_event(2, SIP_TSX_EV_TERMINATED, 15000);
	assert_int_equal(F.n_sent, 5);
}

static void
test_client_non_invite_reliable(void **state)
{
	(void)state;
	char b[1024];
	client_new("OPTIONS", "z9hG4bKo1", true);
	run_until(300);
	/* No Timer E; Timer K is 0. */
	assert_int_equal(deliver(resp(b, sizeof(b), 200, "z9hG4bKo1", "OPTIONS", "r1"), true), 0);
	assert_int_equal(F.n_sent, 1);
	assert_int_equal(F.n_ev, 2);
	assert_event(1, SIP_TSX_EV_TERMINATED, 300);
	/* And without a response, Timer F alone. */
	client_new("OPTIONS", "z9hG4bKo2", true);
	run_until(40000);
	assert_int_equal(F.n_sent, 2);
	assert_event(2, SIP_TSX_EV_TIMEOUT, 32300);
}

static void
test_client_transport_error(void **state)
{
	(void)state;
	struct sip_tsx *t = client_new("INVITE", "z9hG4bKc1", false);
	assert_int_equal(sip_tsx_transport_error(&F.l, t), 0);
	assert_int_equal(F.n_ev, 2);
	assert_event(0, SIP_TSX_EV_TRANSPORT_ERROR, 0);
	assert_event(1, SIP_TSX_EV_TERMINATED, 0);
	run_until(40000);
	assert_int_equal(F.n_sent, 1);
}

/* Server INVITE (RFC 3261 §17.2.1). */

static void
test_server_invite_auto_trying_timer_g_h(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	assert_int_equal(F.n_ev, 1);
	assert_event(0, SIP_TSX_EV_REQUEST, 0);
	struct sip_tsx *t = F.req_t;
	assert_int_equal(t->state, SIP_TSX_PROCEEDING);
	/* A silent TU: the layer sends 100 Trying after 200 ms. */
	run_until(199);
	assert_int_equal(F.n_sent, 0);
	run_until(200);
	assert_int_equal(F.n_sent, 1);
	struct sip_err err;
	assert_int_equal(sip_msg_parse(F.sent[0].buf, F.sent[0].len, false, &msg, &err), 0);
	assert_int_equal(msg.status, 100);
	assert_true(sip_str_eq(msg.via.branch, "z9hG4bKinv1"));
	assert_int_equal(msg.to.tag.len, 0);
	assert_true(sip_str_eq(msg.call_id, "call1@192.0.2.1"));
	assert_int_equal(msg.cseq_method, SIP_M_INVITE);
	/* A retransmitted INVITE gets the last provisional, not the TU. */
	run_until(500);
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	assert_int_equal(F.n_ev, 1);
	assert_int_equal(F.n_sent, 2);
	assert_string_equal(F.sent[1].buf, F.sent[0].buf);

	run_until(1000);
	assert_int_equal(sip_tsx_respond(&F.l, t, resp_486, sizeof(resp_486) - 1, 486, F.now), 0);
	assert_int_equal(t->state, SIP_TSX_COMPLETED);
	/* Timer G doubles from T1 to T2; Timer H = 64*T1 after the final. */
	run_until(40000);
	static const uint64_t at[] = {200, 500, 1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500};
	assert_sent_at(at, 13);
	for (unsigned int i = 2; i < 13; i++)
		assert_string_equal(F.sent[i].buf, resp_486);
	assert_int_equal(F.n_ev, 3);
	assert_event(1, SIP_TSX_EV_TIMEOUT, 33000);
	assert_event(2, SIP_TSX_EV_TERMINATED, 33000);
}

static void
test_server_invite_ack_timer_i(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	struct sip_tsx *t = F.req_t;
	run_until(100);
	assert_int_equal(sip_tsx_respond(&F.l, t, resp_486, sizeof(resp_486) - 1, 486, F.now), 0);
	/* A retransmitted INVITE in Completed gets the final again. */
	run_until(300);
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	run_until(2000);
	static const uint64_t at[] = {100, 300, 600, 1600};
	assert_sent_at(at, 4);
	/* The ACK (same branch) is absorbed: Confirmed, Timer G stops. */
	assert_int_equal(deliver(req(b, sizeof(b), "ACK", ";branch=z9hG4bKinv1", 1, "s1"), false), 0);
	assert_int_equal(t->state, SIP_TSX_CONFIRMED);
	assert_int_equal(F.n_ev, 1);
	run_until(3000);
	assert_int_equal(deliver(req(b, sizeof(b), "ACK", ";branch=z9hG4bKinv1", 1, "s1"), false), 0);
	assert_int_equal(F.n_ev, 1);
	/* Timer I = T4 after the first ACK. */
	run_until(6999);
	assert_int_equal(F.n_ev, 1);
	run_until(7000);
	assert_event(1, SIP_TSX_EV_TERMINATED, 7000);
	run_until(40000);
	assert_int_equal(F.n_sent, 4);
	assert_int_equal(F.n_ev, 2);
}

static void
test_server_invite_reliable(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), true), 0);
	struct sip_tsx *t = F.req_t;
	assert_int_equal(sip_tsx_respond(&F.l, t, resp_486, sizeof(resp_486) - 1, 486, F.now), 0);
	run_until(1000);
	assert_int_equal(F.n_sent, 1); /* no Timer G */
	/* Timer I is 0: the ACK ends the transaction. */
	assert_int_equal(deliver(req(b, sizeof(b), "ACK", ";branch=z9hG4bKinv1", 1, "s1"), true), 0);
	assert_event(1, SIP_TSX_EV_TERMINATED, 1000);
	/* Without an ACK, Timer H on any transport. */
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv2", 1, NULL), true), 0);
	assert_int_equal(sip_tsx_respond(&F.l, F.req_t, resp_486, sizeof(resp_486) - 1, 486, F.now), 0);
	run_until(40000);
	assert_int_equal(F.n_sent, 2);
	assert_event(3, SIP_TSX_EV_TIMEOUT, 33000);
}

static void
test_server_invite_2xx_and_ack(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	struct sip_tsx *t = F.req_t;
	run_until(50);
	/* The TU's 180 makes the automatic 100 moot and is what a
	 * retransmitted INVITE gets back. */
	static const char r180[] = "SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t, r180, sizeof(r180) - 1, 180, F.now), 0);
	run_until(500);
	assert_int_equal(F.n_sent, 1);
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	assert_int_equal(F.n_sent, 2);
	assert_string_equal(F.sent[1].buf, r180);
	/* The 2xx ends the transaction at once. */
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 200, F.now), 0);
	assert_int_equal(F.n_ev, 2);
	assert_event(1, SIP_TSX_EV_TERMINATED, 500);
	/* Its ACK has a branch of its own and reaches the TU as such. */
	assert_int_equal(deliver(req(b, sizeof(b), "ACK", ";branch=z9hG4bKack1", 1, "s1"), false), 0);
	assert_int_equal(F.n_ev, 3);
	assert_event(2, SIP_TSX_EV_ACK_2XX, 500);
	assert_null(F.ev[2].t);
	assert_int_equal(F.ev[2].method, SIP_M_ACK);
	run_until(40000);
	assert_int_equal(F.n_sent, 3);
}

static void
test_server_invite_no_auto_trying(void **state)
{
	(void)state;
	char b[1024];
	sip_tsx_layer_fini(&F.l);
	struct sip_tsx_cfg cfg = {.no_auto_trying = true, .send = fake_send, .tu = fake_tu};
	assert_int_equal(sip_tsx_layer_init(&F.l, &cfg), 0);
	assert_int_equal(F.l.cfg.max_tsx, SIP_TSX_MAX);
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	run_until(1000);
	assert_int_equal(F.n_sent, 0);
	/* Nothing to resend yet. */
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	assert_int_equal(F.n_sent, 0);
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, F.req_t, r200, sizeof(r200) - 1, 200, F.now), 0);
	assert_int_equal(F.n_ev, 2);
}

/* Server non-INVITE (RFC 3261 §17.2.2). */

static void
test_server_non_invite_timer_j(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), false), 0);
	struct sip_tsx *t = F.req_t;
	assert_int_equal(t->state, SIP_TSX_TRYING);
	/* Trying: a retransmission is dropped; no 100 on non-INVITE. */
	run_until(500);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), false), 0);
	assert_int_equal(F.n_sent, 0);
	assert_int_equal(F.n_ev, 1);
	/* Proceeding: the provisional is resent. */
	static const char r100[] = "SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t, r100, sizeof(r100) - 1, 100, F.now), 0);
	assert_int_equal(t->state, SIP_TSX_PROCEEDING);
	run_until(700);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), false), 0);
	assert_int_equal(F.n_sent, 2);
	/* Completed: the final is resent for Timer J = 64*T1. */
	run_until(1000);
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 200, F.now), 0);
	assert_int_equal(t->state, SIP_TSX_COMPLETED);
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 200, F.now), -EINVAL);
	run_until(1500);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), false), 0);
	static const uint64_t at[] = {500, 700, 1000, 1500};
	assert_sent_at(at, 4);
	assert_string_equal(F.sent[3].buf, r200);
	assert_int_equal(F.l.stats.absorbed, 3);
	run_until(32999);
	assert_int_equal(F.n_ev, 1);
	run_until(33000);
	assert_event(1, SIP_TSX_EV_TERMINATED, 33000);
	assert_int_equal(F.n_sent, 4);
}

/* A retransmission that comes from elsewhere (a new connection, another
 * transport) is answered there; the transaction keeps its own peer. */
static void
test_server_retransmission_from_new_peer(void **state)
{
	(void)state;
	char b[1024];
	struct sip_peer tcp = peer;
	tcp.transport = SIP_TRANSPORT_TCP;
	tcp.conn = 7;
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo2", 1, NULL), false), 0);
	struct sip_tsx *t = F.req_t;
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 200, F.now), 0);
	run_until(100);
	assert_int_equal(deliver_from(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo2", 1, NULL), true, &tcp), 0);
	assert_int_equal(F.n_sent, 2);
	assert_true(F.sent[1].reliable);
	assert_int_equal(F.sent[1].to.transport, SIP_TRANSPORT_TCP);
	assert_int_equal(F.sent[1].to.conn, 7);
	assert_string_equal(F.sent[1].buf, r200);
	/* the same source again: answered to the transaction's peer */
	run_until(200);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo2", 1, NULL), false), 0);
	assert_int_equal(F.n_sent, 3);
	assert_false(F.sent[2].reliable);
	assert_int_equal(F.sent[2].to.transport, peer.transport);
	assert_int_equal(F.sent[2].to.conn, 0);
	assert_false(t->reliable);
	assert_int_equal(F.l.stats.absorbed, 2);
	run_until(33000);
	assert_event(1, SIP_TSX_EV_TERMINATED, 32000);
}

static void
test_server_non_invite_reliable_in_callback(void **state)
{
	(void)state;
	char b[1024];
	/* The TU answers from inside the REQUEST event; over a reliable
	 * transport Timer J is 0 and the transaction is gone on return. */
	F.answer = 200;
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), true), 0);
	assert_int_equal(F.answer_ret, 0);
	assert_int_equal(F.n_sent, 1);
	assert_int_equal(F.n_ev, 2);
	assert_event(1, SIP_TSX_EV_TERMINATED, 0);
	assert_int_equal(F.l.n_used, 0);
	/* With the transaction gone a retransmission is new to the layer. */
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), true), 0);
	assert_int_equal(F.n_ev, 4);
}

/* Matching (RFC 3261 §17.2.3, §9.2). */

static void
test_server_match_sent_by_and_method(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), true), 0);
	/* Same branch, another sent-by: another transaction. */
	snprintf(b, sizeof(b),
		 "OPTIONS sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKo1\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: call1@192.0.2.1\r\n"
		 "CSeq: 1 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_int_equal(deliver(b, true), 0);
	/* The default port is the port: 192.0.2.1 is 192.0.2.1:5060. */
	snprintf(b, sizeof(b),
		 "OPTIONS sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKo1\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: call1@192.0.2.1\r\n"
		 "CSeq: 1 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_int_equal(deliver(b, true), 0);
	/* Same branch, another method: another transaction. */
	assert_int_equal(deliver(req(b, sizeof(b), "INFO", ";branch=z9hG4bKo1", 1, NULL), true), 0);
	assert_int_equal(F.n_ev, 3);
	assert_int_equal(F.l.n_used, 3);
	assert_int_equal(F.l.stats.absorbed, 1);
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	for (unsigned int i = 0; i < F.l.cfg.max_tsx; i++)
		if (F.l.tsx[i].used)
			assert_int_equal(sip_tsx_respond(&F.l, &F.l.tsx[i], r200, sizeof(r200) - 1, 200, F.now), 0);
}

static void
test_cancel_matches_invite(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	struct sip_tsx *inv = F.req_t;
	/* The CANCEL has a transaction of its own, with the INVITE's branch. */
	assert_int_equal(deliver(req(b, sizeof(b), "CANCEL", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	struct sip_tsx *can = F.req_t;
	assert_ptr_not_equal(can, inv);
	assert_int_equal(can->kind, SIP_TSX_SERVER_NON_INVITE);
	assert_int_equal(F.ev[1].method, SIP_M_CANCEL);
	assert_ptr_equal(sip_tsx_find_invite_for_cancel(&F.l, can), inv);
	assert_null(sip_tsx_find_invite_for_cancel(&F.l, inv));
	/* A CANCEL with another branch cancels nothing (481). */
	assert_int_equal(deliver(req(b, sizeof(b), "CANCEL", ";branch=z9hG4bKother", 1, NULL), false), 0);
	assert_null(sip_tsx_find_invite_for_cancel(&F.l, F.req_t));
	struct sip_tsx *stray = F.req_t;

	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char r481[] = "SIP/2.0 481 No\r\nContent-Length: 0\r\n\r\n";
	static const char r487[] = "SIP/2.0 487 Terminated\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, can, r200, sizeof(r200) - 1, 200, F.now), 0);
	assert_int_equal(sip_tsx_respond(&F.l, stray, r481, sizeof(r481) - 1, 481, F.now), 0);
	assert_int_equal(sip_tsx_respond(&F.l, inv, r487, sizeof(r487) - 1, 487, F.now), 0);
	assert_int_equal(deliver(req(b, sizeof(b), "ACK", ";branch=z9hG4bKinv1", 1, "s1"), false), 0);
	assert_int_equal(inv->state, SIP_TSX_CONFIRMED);
	run_until(40000);
}

/* RFC 4475 §3.3.15 inv2543: no branch, no tags. */
static const char inv2543[] = "INVITE sip:UserB@example.com SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP iftgw.example.com\r\n"
			      "From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n"
			      "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\r\n"
			      "To: sip:+16505552222@ss1.example.net;user=phone\r\n"
			      "Call-ID: inv2543.1717@ift.client.example.com\r\n"
			      "CSeq: 56 INVITE\r\n"
			      "Content-Type: application/sdp\r\n"
			      "\r\n"
			      "v=0\r\n"
			      "o=mhandley 29739 7272939 IN IP4 192.0.2.5\r\n"
			      "s=-\r\n"
			      "c=IN IP4 192.0.2.5\r\n"
			      "t=0 0\r\n"
			      "m=audio 49217 RTP/AVP 0\r\n";

static const char resp2543[] = "SIP/2.0 486 Busy Here\r\n"
			       "Via: SIP/2.0/UDP iftgw.example.com\r\n"
			       "From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n"
			       "To: sip:+16505552222@ss1.example.net;user=phone;tag=s2543\r\n"
			       "Call-ID: inv2543.1717@ift.client.example.com\r\n"
			       "CSeq: 56 INVITE\r\n"
			       "Content-Length: 0\r\n\r\n";

static const char *
ack2543(char *b, size_t n, const char *to_tag)
{
	snprintf(b, n,
		 "ACK sip:UserB@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP iftgw.example.com\r\n"
		 "From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n"
		 "To: sip:+16505552222@ss1.example.net;user=phone;tag=%s\r\n"
		 "Call-ID: inv2543.1717@ift.client.example.com\r\n"
		 "CSeq: 56 ACK\r\n"
		 "Content-Length: 0\r\n\r\n",
		 to_tag);
	return b;
}

static void
test_rfc2543_fallback(void **state)
{
	(void)state;
	char b[1024];
	assert_int_equal(deliver(inv2543, false), 0);
	struct sip_tsx *t = F.req_t;
	assert_true(t->rfc2543);
	assert_int_equal(t->cseq, 56);
	/* The retransmission matches on Request-URI, tags, Call-ID, CSeq and
	 * top Via, and reaches the TU once. */
	assert_int_equal(deliver(inv2543, false), 0);
	assert_int_equal(F.n_ev, 1);
	assert_int_equal(F.l.stats.absorbed, 1);
	/* Another CSeq is another transaction. */
	char other[sizeof(inv2543)];
	memcpy(other, inv2543, sizeof(inv2543));
	char *cs = strstr(other, "CSeq: 56");
	cs[7] = '7';
	assert_int_equal(deliver(other, false), 0);
	assert_int_equal(F.n_ev, 2);
	struct sip_tsx *t57 = F.req_t;
	assert_ptr_not_equal(t57, t);

	assert_int_equal(sip_tsx_respond(&F.l, t, resp2543, sizeof(resp2543) - 1, 486, F.now), 0);
	assert_int_equal(sip_tsx_respond(&F.l, t57, resp2543, sizeof(resp2543) - 1, 486, F.now), 0);
	/* An ACK whose To tag is not the one of our response matches nothing:
	 * it goes to the TU as an ACK outside transactions. */
	assert_int_equal(deliver(ack2543(b, sizeof(b), "nottag"), false), 0);
	assert_event(2, SIP_TSX_EV_ACK_2XX, 0);
	assert_int_equal(t->state, SIP_TSX_COMPLETED);
	/* The ACK with our tag, CSeq number 56 and method ACK is absorbed. */
	assert_int_equal(deliver(ack2543(b, sizeof(b), "s2543"), false), 0);
	assert_int_equal(t->state, SIP_TSX_CONFIRMED);
	assert_int_equal(t57->state, SIP_TSX_COMPLETED);
	assert_int_equal(F.n_ev, 3);
	run_until(40000);
}

static void
test_rfc2543_cancel(void **state)
{
	(void)state;
	assert_int_equal(deliver(inv2543, false), 0);
	struct sip_tsx *inv = F.req_t;
	char can[sizeof(inv2543)];
	snprintf(can, sizeof(can),
		 "CANCEL sip:UserB@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP iftgw.example.com\r\n"
		 "From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n"
		 "To: sip:+16505552222@ss1.example.net;user=phone\r\n"
		 "Call-ID: inv2543.1717@ift.client.example.com\r\n"
		 "CSeq: 56 CANCEL\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_int_equal(deliver(can, false), 0);
	struct sip_tsx *c = F.req_t;
	assert_ptr_not_equal(c, inv);
	assert_ptr_equal(sip_tsx_find_invite_for_cancel(&F.l, c), inv);
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, c, r200, sizeof(r200) - 1, 200, F.now), 0);
	assert_int_equal(sip_tsx_respond(&F.l, inv, r200, sizeof(r200) - 1, 200, F.now), 0);
	run_until(40000);
}

/* RFC 4475 §3.1.2.15 badbranch: the cookie alone names no transaction. */
static void
test_badbranch(void **state)
{
	(void)state;
	static const char bad[] = "OPTIONS sip:user@example.com SIP/2.0\r\n"
				  "To: sip:user@example.com\r\n"
				  "From: sip:caller@example.org;tag=33242\r\n"
				  "Max-Forwards: 3\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\r\n"
				  "Accept: application/sdp\r\n"
				  "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\r\n"
				  "CSeq: 8 OPTIONS\r\n"
				  "l: 0\r\n\r\n";
	assert_int_equal(deliver(bad, false), 0);
	assert_true(F.req_t->rfc2543);
	assert_int_equal(deliver(bad, false), 0);
	assert_int_equal(F.n_ev, 1);
	assert_int_equal(F.l.stats.absorbed, 1);
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, F.req_t, r200, sizeof(r200) - 1, 200, F.now), 0);
	run_until(40000);
}

/* Bounds and arguments. */

static void
test_table_full(void **state)
{
	(void)state;
	char b[1024];
	sip_tsx_layer_fini(&F.l);
	layer_up(2);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bK1", 1, NULL), true), 0);
	struct sip_tsx *t1 = F.req_t;
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bK2", 1, NULL), true), 0);
	/* Full: the caller answers 503 statelessly. */
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bK3", 1, NULL), true), -ENOSPC);
	assert_int_equal(F.l.stats.refused, 1);
	assert_int_equal(F.n_ev, 2);
	/* A retransmission of a known one still matches. */
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bK1", 1, NULL), true), 0);
	req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKc", 1, NULL);
	struct sip_tsx *t = NULL;
	assert_int_equal(sip_tsx_client_new(&F.l, b, strlen(b), SIP_M_OPTIONS, (struct sip_str){"z9hG4bKc", 8}, &peer,
					    true, F.now, &t),
			 -ENOSPC);
	/* A slot comes back when a transaction ends. */
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t1, r200, sizeof(r200) - 1, 200, F.now), 0);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bK3", 1, NULL), true), 0);
	for (unsigned int i = 0; i < F.l.cfg.max_tsx; i++)
		if (F.l.tsx[i].used)
			assert_int_equal(sip_tsx_respond(&F.l, &F.l.tsx[i], r200, sizeof(r200) - 1, 200, F.now), 0);
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	char b[1024];
	struct sip_tsx *t = NULL;
	struct sip_tsx_cfg cfg = {0};
	struct sip_tsx_layer l2;
	assert_int_equal(sip_tsx_layer_init(&l2, &cfg), -EINVAL);

	req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKc1", 1, NULL);
	/* An ACK has no client transaction; the branch must be the request's
	 * and an RFC 3261 one; the method must be the request's. */
	assert_int_equal(sip_tsx_client_new(&F.l, b, strlen(b), SIP_M_ACK, (struct sip_str){"z9hG4bKc1", 9}, &peer,
					    false, 0, &t),
			 -EINVAL);
	assert_int_equal(sip_tsx_client_new(&F.l, b, strlen(b), SIP_M_OPTIONS, (struct sip_str){"z9hG4bKc2", 9}, &peer,
					    false, 0, &t),
			 -EINVAL);
	assert_int_equal(
		sip_tsx_client_new(&F.l, b, strlen(b), SIP_M_OPTIONS, (struct sip_str){"abc", 3}, &peer, false, 0, &t),
		-EINVAL);
	assert_int_equal(sip_tsx_client_new(&F.l, b, strlen(b), SIP_M_INVITE, (struct sip_str){"z9hG4bKc1", 9}, &peer,
					    false, 0, &t),
			 -EINVAL);
	assert_int_equal(sip_tsx_client_new(&F.l, b, SIP_MAX_MSG + 1, SIP_M_OPTIONS, (struct sip_str){"z9hG4bKc1", 9},
					    &peer, false, 0, &t),
			 -EMSGSIZE);
	assert_int_equal(F.n_sent, 0);
	assert_int_equal(sip_tsx_layer_next_due(&F.l), UINT64_MAX);

	/* A client transaction takes no response from the TU. */
	t = client_new("OPTIONS", "z9hG4bKc1", true);
	static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 200, 0), -EINVAL);
	assert_int_equal(sip_tsx_transport_error(&F.l, t), 0);

	/* Server: status in range, a response that fits. */
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKs1", 1, NULL), true), 0);
	t = F.req_t;
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 99, 0), -EINVAL);
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 700, 0), -EINVAL);
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, 0, 200, 0), -EMSGSIZE);
	assert_int_equal(sip_tsx_respond(&F.l, t, r200, sizeof(r200) - 1, 200, 0), 0);
	assert_string_equal(sip_tsx_state_name(SIP_TSX_CONFIRMED), "confirmed");
}

/* Freeing a layer with transactions still running releases them (the ASan
 * build checks), without events. */
static void
test_fini_with_live_transactions(void **state)
{
	(void)state;
	char b[1024];
	client_new("INVITE", "z9hG4bKc1", false);
	client_new("OPTIONS", "z9hG4bKc2", false);
	assert_int_equal(deliver(req(b, sizeof(b), "INVITE", ";branch=z9hG4bKinv1", 1, NULL), false), 0);
	assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", ";branch=z9hG4bKo1", 1, NULL), false), 0);
	assert_int_equal(F.l.n_used, 4);
	unsigned int n_ev = F.n_ev;
	sip_tsx_layer_fini(&F.l);
	assert_int_equal(F.n_ev, n_ev);
	layer_up(16);
}

/* Many transactions at once: the timer heap keeps every one on time. */
static void
test_many_timers(void **state)
{
	(void)state;
	char b[1024];
	sip_tsx_layer_fini(&F.l);
	layer_up(64);
	for (unsigned int i = 0; i < 64; i++) {
		char vp[64];
		snprintf(vp, sizeof(vp), ";branch=z9hG4bKm%u", i);
		F.now = i * 7;
		assert_int_equal(deliver(req(b, sizeof(b), "OPTIONS", vp, 1, NULL), false), 0);
		static const char r200[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
		assert_int_equal(sip_tsx_respond(&F.l, F.req_t, r200, sizeof(r200) - 1, 200, F.now), 0);
	}
	assert_int_equal(F.l.n_timers, 64);
	assert_int_equal(sip_tsx_layer_next_due(&F.l), 32000);
	/* A late tick fires all that are due, in order. */
	F.n_ev = 0;
	F.now = 32000 + 63 * 7;
	sip_tsx_layer_tick(&F.l, F.now);
	assert_int_equal(F.n_ev, 64);
	for (unsigned int i = 1; i < 64; i++)
		assert_true(F.ev[i].t != F.ev[i - 1].t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_invite_timer_a_b, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_invite_reliable_timer_b, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_invite_non2xx_ack_timer_d, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_invite_non2xx_reliable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_invite_2xx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_match_by_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_non_invite_timer_e_f, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_non_invite_proceeding_timer_k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_non_invite_reliable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_transport_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_invite_auto_trying_timer_g_h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_invite_ack_timer_i, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_invite_reliable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_invite_2xx_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_invite_no_auto_trying, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_non_invite_timer_j, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_retransmission_from_new_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_non_invite_reliable_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_match_sent_by_and_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_matches_invite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc2543_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc2543_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_badbranch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_with_live_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_timers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
