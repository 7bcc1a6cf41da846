/* SPDX-License-Identifier: BSD-3-Clause */
/* The SIP UA core: see the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "b2bua.h"
#include "log.h"
#include "registrar.h"
#include "sip_core.h"
#include "sip_resp.h"
#include "sip_transport.h"
#include "sip_udp.h"

#define OPTIONS_EXTRA                   \
	"Allow: " SIP_CORE_ALLOW "\r\n" \
	"Accept: application/sdp\r\n"   \
	"Supported: replaces\r\n"

struct tsx_bind {
	sip_core_tsx_cb_t cb;
	uint64_t cookie;
};

static struct sip_tsx_layer layer;
static bool layer_up;
static struct sip_core_stats st;
static uint64_t rng_state;

uint64_t
sip_core_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct sip_tsx_layer *
sip_core_tsx(void)
{
	return layer_up ? &layer : NULL;
}

void
sip_core_stats_get(struct sip_core_stats *out)
{
	*out = st;
}

/* xorshift64*: tokens need to be unpredictable enough for tags and
 * branches (RFC 3261 §19.3 asks for 32 bits of randomness); the seed comes
 * from getrandom. */
static uint64_t
rng_next(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

void
sip_core_token(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t r = 0;
	if (n == 0)
		return;
	for (size_t i = 0; i + 1 < n; i++) {
		if (i % 16 == 0)
			r = rng_next();
		out[i] = hex[r & 15];
		r >>= 4;
	}
	out[n - 1] = '\0';
}

const char *
sip_core_via_transport(const struct sip_peer *to)
{
	return to->transport == SIP_TRANSPORT_TCP ? "TCP" : to->transport == SIP_TRANSPORT_TLS ? "TLS" : "UDP";
}

/* The source address the kernel would use toward to, cached for the last
 * destination: connect() on a UDP socket sends nothing. */
static int
route_source(const struct sip_peer *to, struct in_addr *src)
{
	static struct sip_peer last;
	static struct in_addr last_src;
	static bool have;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port ? to->port : 5060)};
	socklen_t sl = sizeof(sa);
	int fd;

	if (have && memcmp(last.addr, to->addr, 4) == 0) {
		*src = last_src;
		return 0;
	}
	memcpy(&sa.sin_addr, to->addr, 4);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	last = *to;
	last_src = sa.sin_addr;
	have = true;
	*src = sa.sin_addr;
	return 0;
}

const char *
sip_core_local_hostport(const struct sip_peer *to, char *buf, size_t len)
{
	const char *l = sip_udp_listen_addr();
	const char *colon = strrchr(l, ':');
	char ip[INET_ADDRSTRLEN] = "127.0.0.1";
	unsigned port = colon ? (unsigned)atoi(colon + 1) : 5060;

	if (colon && (size_t)(colon - l) < sizeof(ip) && strncmp(l, "0.0.0.0", 7) != 0) {
		memcpy(ip, l, (size_t)(colon - l));
		ip[colon - l] = '\0';
	} else {
		struct in_addr src;
		if (route_source(to, &src) == 0)
			inet_ntop(AF_INET, &src, ip, sizeof(ip));
	}
	snprintf(buf, len, "%s:%u", ip, port ? port : 5060);
	return buf;
}

int
sip_core_contact(const struct sip_peer *to, char *buf, size_t len)
{
	char hp[64];
	int n = snprintf(buf, len, "Contact: <sip:tongdai@%s%s>\r\n", sip_core_local_hostport(to, hp, sizeof(hp)),
			 to->transport == SIP_TRANSPORT_TCP ? ";transport=tcp" : "");
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

void
sip_core_tsx_bind(struct sip_tsx *t, sip_core_tsx_cb_t cb, uint64_t cookie)
{
	struct tsx_bind *b = t->user;
	if (b == NULL) {
		b = malloc(sizeof(*b));
		if (b == NULL)
			return;
		t->user = b;
	}
	b->cb = cb;
	b->cookie = cookie;
}

int
sip_core_respond(struct sip_tsx *t, const struct sip_msg *req, uint16_t code, const char *reason, const char *to_tag,
		 const char *extra, const char *body, size_t body_len)
{
	static char buf[SIP_MAX_MSG];
	char tag[17];

	if (to_tag == NULL) {
		sip_core_token(tag, sizeof(tag));
		to_tag = tag;
	}
	int len = sip_resp_build_body(req, code, reason, extra, to_tag, "application/sdp", body, body_len, buf,
				      sizeof(buf));
	if (len < 0)
		return len;
	if (code >= 300)
		st.rejected++;
	return sip_tsx_respond(&layer, t, buf, (size_t)len, code, sip_core_now_ms());
}

int
sip_core_request(const char *buf, size_t len, enum sip_method method, const char *branch, const struct sip_peer *to,
		 sip_core_tsx_cb_t cb, uint64_t cookie, struct sip_tsx **tp)
{
	struct sip_tsx *t;
	struct sip_str br = {.p = branch, .len = (uint32_t)strlen(branch)};
	int ret = sip_tsx_client_new(&layer, buf, len, method, br, to, to->transport != SIP_TRANSPORT_UDP,
				     sip_core_now_ms(), &t);
	if (ret < 0)
		return ret;
	sip_core_tsx_bind(t, cb, cookie);
	if (tp)
		*tp = t;
	return 0;
}

int
sip_core_send_raw(const struct sip_peer *to, const char *buf, size_t len)
{
	return sip_transport_send(to, buf, len);
}

static void
tsx_send(void *arg, const struct sip_tsx *t, const char *buf, size_t len, bool reliable)
{
	(void)arg;
	(void)reliable;
	/* A failed send over UDP is left to the retransmission timers; TCP
	 * reconnects in the transport. */
	sip_transport_send(&t->peer, buf, len);
}

static void
answer_request(struct sip_tsx *t, const struct sip_msg *m)
{
	struct sip_err err;
	char extra[512];

	if (sip_uas_check(m, &err, extra, sizeof(extra) - 2) < 0) {
		if (extra[0])
			strcat(extra, "\r\n");
		sip_core_respond(t, m, err.code, err.reason, NULL, extra[0] ? extra : NULL, NULL, 0);
		return;
	}
	switch (m->method) {
	case SIP_M_OPTIONS:
		sip_core_respond(t, m, 200, "OK", NULL, OPTIONS_EXTRA, NULL, 0);
		return;
	case SIP_M_REGISTER:
		registrar_request(t, m);
		return;
	case SIP_M_INVITE:
		if (m->to.tag.len)
			b2bua_in_dialog(t, m);
		else
			b2bua_invite(t, m);
		return;
	case SIP_M_CANCEL: {
		struct sip_tsx *inv = sip_tsx_find_invite_for_cancel(&layer, t);
		if (inv == NULL || !b2bua_owns_invite(inv)) {
			st.no_dialog++;
			sip_core_respond(t, m, 481, "Call/Transaction Does Not Exist", NULL, NULL, NULL, 0);
			return;
		}
		/* §9.2: the CANCEL is answered before the 487 it causes. */
		sip_core_respond(t, m, 200, "OK", NULL, NULL, NULL, 0);
		b2bua_cancel(inv);
		return;
	}
	default:
		break;
	}
	if (m->to.tag.len) {
		b2bua_in_dialog(t, m);
		return;
	}
	if (m->method == SIP_M_BYE) {
		st.no_dialog++;
		sip_core_respond(t, m, 481, "Call/Transaction Does Not Exist", NULL, NULL, NULL, 0);
		return;
	}
	sip_core_respond(t, m, 405, "Method Not Allowed", NULL, "Allow: " SIP_CORE_ALLOW "\r\n", NULL, 0);
}

void
sip_core_no_dialog(struct sip_tsx *t, const struct sip_msg *m)
{
	st.no_dialog++;
	sip_core_respond(t, m, 481, "Call/Transaction Does Not Exist", NULL, NULL, NULL, 0);
}

static void
tsx_tu(void *arg, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m)
{
	struct tsx_bind *b = t ? t->user : NULL;
	(void)arg;

	switch (ev) {
	case SIP_TSX_EV_REQUEST:
		st.requests++;
		answer_request(t, m);
		return;
	case SIP_TSX_EV_RESPONSE_STRAY:
		b2bua_stray_response(m);
		return;
	case SIP_TSX_EV_ACK_2XX:
		b2bua_ack(m);
		return;
	case SIP_TSX_EV_TIMEOUT:
		st.tu_timeouts++;
		break;
	default:
		break;
	}
	if (b && b->cb)
		b->cb(b->cookie, t, ev, m);
	if (ev == SIP_TSX_EV_TERMINATED && b) {
		free(b);
		t->user = NULL;
	}
}

static const char *cur_raw;
static size_t cur_len;

const char *
sip_core_current_raw(size_t *len)
{
	*len = cur_len;
	return cur_raw;
}

bool
sip_core_tsx_cookie(const struct sip_tsx *t, uint64_t *cookie)
{
	const struct tsx_bind *b = t->user;
	if (b == NULL)
		return false;
	*cookie = b->cookie;
	return true;
}

/* User agents of SIP scanners and war-diallers: their requests are
 * dropped unanswered, so they learn nothing about the users here. */
static bool
is_scanner(const struct sip_msg *m)
{
	static const char *const agents[] = {"friendly-scanner", "sipvicious", "sipcli",
					     "vaxsipuseragent",	 "sundayddr",  "iwar",
					     "sip-scan",	 "pplsip",     "smap"};
	for (uint32_t i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		if (!sip_str_ieq(h->name, "User-Agent"))
			continue;
		for (size_t k = 0; k < sizeof(agents) / sizeof(agents[0]); k++) {
			size_t n = strlen(agents[k]);
			for (uint32_t o = 0; o + n <= h->value.len; o++)
				if (strncasecmp(h->value.p + o, agents[k], n) == 0)
					return true;
		}
	}
	return false;
}

#define RATE_SLOTS 4096

struct rate_slot {
	uint32_t addr;
	uint32_t tokens_milli; /* tokens * 1000 */
	uint64_t last_ms;
};

static struct rate_slot rate_table[RATE_SLOTS];
static uint32_t rate_per_s;

void
sip_core_set_rate_limit(uint32_t per_second)
{
	rate_per_s = per_second;
	memset(rate_table, 0, sizeof(rate_table));
}

/* One token per request from an IPv4 source; a slot shared by two
 * addresses (hash collision) is taken over by the newer one. */
static bool
rate_ok(const struct sip_peer *from, uint64_t now)
{
	uint32_t a;
	if (rate_per_s == 0 || from->family != AF_INET)
		return true;
	memcpy(&a, from->addr, 4);
	struct rate_slot *s = &rate_table[(a * 2654435761u) >> 20 & (RATE_SLOTS - 1)];
	uint64_t burst = (uint64_t)rate_per_s * 2 * 1000;
	if (s->addr != a || s->last_ms == 0) {
		*s = (struct rate_slot){.addr = a, .tokens_milli = (uint32_t)burst, .last_ms = now};
	} else {
		uint64_t t = s->tokens_milli + (now - s->last_ms) * rate_per_s;
		s->tokens_milli = (uint32_t)(t > burst ? burst : t);
		s->last_ms = now;
	}
	if (s->tokens_milli < 1000)
		return false;
	s->tokens_milli -= 1000;
	return true;
}

static uint32_t max_cps, shed_wait_ms;
static uint64_t cps_tokens_milli, cps_last_ms;
static bool behind; /* messages wait too long to be read */

void
sip_core_set_overload(uint32_t cps, uint32_t wait_ms)
{
	max_cps = cps;
	shed_wait_ms = wait_ms;
	cps_tokens_milli = (uint64_t)cps * 1000;
	cps_last_ms = 0;
	behind = false;
}

/* Every message read moves the overload state: hysteresis between the
 * threshold and half of it. */
static void
overload_track(void)
{
	uint32_t wait = sip_transport_wait();
	if (shed_wait_ms == 0)
		return;
	if (wait >= shed_wait_ms)
		behind = true;
	else if (wait < shed_wait_ms / 2)
		behind = false;
}

const char *
sip_core_shed_invite(void)
{
	if (behind) {
		st.shed_wait++;
		return "Service Unavailable (overloaded)";
	}
	if (max_cps) {
		uint64_t now = sip_core_now_ms(), cap = (uint64_t)max_cps * 1000;
		if (cps_last_ms) {
			cps_tokens_milli += (now - cps_last_ms) * max_cps;
			if (cps_tokens_milli > cap)
				cps_tokens_milli = cap;
		}
		cps_last_ms = now;
		if (cps_tokens_milli < 1000) {
			st.shed_cps++;
			return "Service Unavailable (call rate)";
		}
		cps_tokens_milli -= 1000;
	}
	return NULL;
}

static void
on_rx(const struct sip_msg *m, const char *raw, size_t len, const struct sip_peer *from)
{
	overload_track();
	if (m->is_request && is_scanner(m)) {
		st.scanners++;
		return;
	}
	if (m->is_request && !rate_ok(from, sip_core_now_ms())) {
		st.rate_limited++;
		return;
	}
	cur_raw = raw;
	cur_len = len;
	bool reliable = from->transport != SIP_TRANSPORT_UDP;
	int ret = sip_tsx_layer_recv(&layer, m, raw, len, from, reliable, sip_core_now_ms());
	if (ret == -ENOSPC && m->is_request && m->method != SIP_M_ACK) {
		/* Every transaction slot is taken: shed load statelessly. */
		st.overload_503++;
		sip_transport_reject(m, from, 503, "Service Unavailable", "Retry-After: 5\r\n");
	}
	cur_raw = NULL;
	cur_len = 0;
}

void
sip_core_tick(void)
{
	if (!layer_up)
		return;
	uint64_t now = sip_core_now_ms();
	if (sip_tsx_layer_next_due(&layer) <= now)
		sip_tsx_layer_tick(&layer, now);
	b2bua_tick(now);
	registrar_tick(now);
}

int
sip_core_init(void)
{
	struct sip_tsx_cfg cfg = {.send = tsx_send, .tu = tsx_tu, .max_tsx = 65536};
	uint64_t seed;
	int ret;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	rng_state = seed | 1;
	ret = sip_tsx_layer_init(&layer, &cfg);
	if (ret < 0)
		return ret;
	layer_up = true;
	sip_transport_set_rx(on_rx);
	return 0;
}

void
sip_core_fini(void)
{
	sip_transport_set_rx(NULL);
	if (!layer_up)
		return;
	b2bua_fini();
	/* Free the bindings the layer's own cleanup would not see. */
	for (uint32_t i = 0; i < layer.cfg.max_tsx; i++) {
		if (layer.tsx[i].used && layer.tsx[i].user) {
			free(layer.tsx[i].user);
			layer.tsx[i].user = NULL;
		}
	}
	sip_tsx_layer_fini(&layer);
	layer_up = false;
}
