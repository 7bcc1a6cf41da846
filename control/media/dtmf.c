/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTMF on control's side (contract in dtmf.h). Subscribes to the dataplane's
 * events at start; keeps a fixed table of the sessions that sent digits,
 * replacing the one heard from longest ago when full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_link.h"
#include "dtmf.h"
#include "log.h"

struct dtmf_listener {
	dtmf_digit_cb_t cb;
	void *arg;
};

static struct dtmf_listener listeners[DTMF_LISTENERS_MAX];
static unsigned int n_listeners;
static struct dtmf_session_info table[DTMF_SESSIONS_MAX];

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
dtmf_source_name(uint8_t source)
{
	return source == TD_DP_DTMF_RFC4733 ? "rfc4733" : source == TD_DP_DTMF_INBAND ? "inband" : "?";
}

int
dtmf_on_digit(dtmf_digit_cb_t cb, void *arg)
{
	for (unsigned int i = 0; i < n_listeners; i++)
		if (listeners[i].cb == cb && listeners[i].arg == arg)
			return -EEXIST;
	if (n_listeners == DTMF_LISTENERS_MAX)
		return -ENOSPC;
	listeners[n_listeners++] = (struct dtmf_listener){.cb = cb, .arg = arg};
	return 0;
}

int
dtmf_off_digit(dtmf_digit_cb_t cb, void *arg)
{
	for (unsigned int i = 0; i < n_listeners; i++)
		if (listeners[i].cb == cb && listeners[i].arg == arg) {
			memmove(&listeners[i], &listeners[i + 1], (n_listeners - i - 1) * sizeof(listeners[0]));
			n_listeners--;
			return 0;
		}
	return -ENOENT;
}

static struct dtmf_session_info *
find(uint32_t session)
{
	for (unsigned int i = 0; i < DTMF_SESSIONS_MAX; i++)
		if (table[i].session == session)
			return &table[i];
	return NULL;
}

bool
dtmf_session_get(uint32_t session, struct dtmf_session_info *out)
{
	const struct dtmf_session_info *e = session ? find(session) : NULL;
	if (e == NULL)
		return false;
	*out = *e;
	return true;
}

/* The session's entry, taking a free one or the one heard from longest ago. */
static struct dtmf_session_info *
entry(uint32_t session)
{
	struct dtmf_session_info *e = find(session), *old = &table[0];
	if (e)
		return e;
	for (unsigned int i = 0; i < DTMF_SESSIONS_MAX; i++) {
		if (table[i].session == 0) {
			old = &table[i];
			break;
		}
		if (table[i].last_ns < old->last_ns)
			old = &table[i];
	}
	*old = (struct dtmf_session_info){.session = session};
	return old;
}

void
dtmf_dp_event(const struct td_dp_msg *m)
{
	if (m->hdr.type != TD_DP_EVT_DTMF)
		return;
	const struct td_dp_evt_dtmf *ev = &m->dtmf;
	struct dtmf_digit d = {
		.session = ev->session,
		.call_tag = ev->call_tag,
		.worker = m->hdr.worker,
		.digit = ev->digit,
		.source = ev->source,
		.duration_ms = ev->duration_ms,
		.rtp_ts = ev->rtp_ts,
	};
	if (ev->session == 0 || strchr("0123456789*#ABCD!", ev->digit) == NULL || ev->digit == '\0') {
		LOG_WARN("dtmf: bad event from worker %u (session %u, digit 0x%02x): ignored", m->hdr.worker,
			 ev->session, (unsigned char)ev->digit);
		return;
	}
	struct dtmf_session_info *e = entry(ev->session);
	size_t len = strlen(e->last);
	if (len == DTMF_LAST_MAX) {
		memmove(e->last, e->last + 1, DTMF_LAST_MAX - 1);
		len--;
	}
	e->last[len] = ev->digit;
	e->last[len + 1] = '\0';
	e->received++;
	e->last_source = ev->source;
	e->last_ns = realtime_ns();
	LOG_INFO("session %u (call %u): DTMF '%c' (%s, %u ms)", ev->session, ev->call_tag, ev->digit,
		 dtmf_source_name(ev->source), ev->duration_ms);
	for (unsigned int i = 0; i < n_listeners; i++)
		listeners[i].cb(listeners[i].arg, &d);
}

static void __attribute__((constructor)) dtmf_module_init(void)
{
	dp_link_on_event(dtmf_dp_event);
}

const char *
dtmf_strerror(int result)
{
	switch (result) {
	case -ENOENT:
		return "no such session";
	case -ENOTCONN:
		return "the session is not bridged, or the dataplane is not running";
	case -EINVAL:
		return "invalid digits or duration (digits 0-9 * # A-D, up to 32; duration 40..2000 ms)";
	case -EBUSY:
		return "too many digits still queued toward the session";
	case -EOPNOTSUPP:
		return "tones need G.711 on a relay session (or a transcoding pair)";
	case -ENOSPC:
		return "no DTMF detector or tone generator left on the worker";
	case -ETIMEDOUT:
		return "the dataplane did not answer in time";
	case -ENOBUFS:
		return "the worker's command ring is full";
	default:
		return strerror(-result);
	}
}

struct pending {
	dtmf_done_cb_t cb;
	void *arg;
};

static void
on_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct pending *p = arg;
	p->cb(p->arg, ack ? ack->ack.result : err);
	free(p);
}

static int
worker_of(uint32_t session, uint32_t *worker)
{
	const struct td_dp_shm *shm = dp_link_shm();
	uint16_t port = TD_DP_SESSION_PORT(session);
	if (shm == NULL)
		return -ENOTCONN;
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++)
		if (port >= shm->hdr->workers[w].rtp_port_lo && port <= shm->hdr->workers[w].rtp_port_hi) {
			*worker = w;
			return 0;
		}
	return -ENOENT;
}

static int
send_to(uint32_t session, struct td_dp_msg *m, dtmf_done_cb_t cb, void *arg)
{
	uint32_t worker;
	int ret = worker_of(session, &worker);
	if (ret < 0)
		return ret;
	struct pending *p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*p = (struct pending){.cb = cb, .arg = arg};
	/* From here the ack, or the link's failure, comes through on_ack. */
	if (dp_link_send(worker, m, on_ack, p, 2000) == -ENOMEM) {
		free(p);
		return -ENOMEM;
	}
	return 0;
}

int
dtmf_send(uint32_t session, const char *digits, uint16_t duration_ms, dtmf_done_cb_t cb, void *arg)
{
	struct td_dp_msg m;
	size_t len = strlen(digits);

	if (len == 0 || len > TD_DP_DTMF_DIGITS_MAX || strspn(digits, "0123456789*#ABCDabcd") != len ||
	    (duration_ms && (duration_ms < 40 || duration_ms > 2000)))
		return -EINVAL;
	td_dp_msg_init(&m, TD_DP_CMD_DTMF_SEND, 0);
	m.dtmf_send.session = session;
	m.dtmf_send.duration_ms = duration_ms;
	memcpy(m.dtmf_send.digits, digits, len);
	return send_to(session, &m, cb, arg);
}

int
dtmf_detect(uint32_t session, bool on, bool suppress, dtmf_done_cb_t cb, void *arg)
{
	struct td_dp_msg m;

	td_dp_msg_init(&m, TD_DP_CMD_DTMF_DETECT, 0);
	m.dtmf_detect.session = session;
	m.dtmf_detect.flags = (on ? TD_DP_DTMF_DETECT_ON : 0) | (suppress ? TD_DP_DTMF_DETECT_SUPPRESS : 0);
	return send_to(session, &m, cb, arg);
}
