/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The UDP transport and the stateless part of the UAS: see the header.
 * Datagrams are read in batches of at most 64 per readiness event so that
 * a flood cannot starve the rest of the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "sip_msg.h"
#include "sip_resp.h"
#include "sip_udp.h"

#define RX_BATCH 64

static int fd = -1;
static char listen_addr[64];
static struct sip_udp_stats st;

static void
send_to(const struct sockaddr_in *to, const char *buf, size_t len, uint16_t code)
{
	uint32_t a = ntohl(to->sin_addr.s_addr);
	/* No answer to an address that reaches many (RFC 4475 §3.3.10). */
	if (a == 0xffffffffu || a >= 0xe0000000u || a == 0) {
		st.refused_dest++;
		return;
	}
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)len) {
		st.tx_errors++;
		return;
	}
	st.tx++;
	st.by_class[code / 100 < 7 ? code / 100 : 0]++;
}

static void
respond(const struct sip_msg *req, const struct sockaddr_in *from, uint16_t code, const char *reason, const char *extra)
{
	char buf[SIP_MAX_MSG], tag[17];
	uint64_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint64_t)random() << 32 | (uint64_t)random();
	snprintf(tag, sizeof(tag), "%016llx", (unsigned long long)r);
	int len = sip_resp_build(req, code, reason, extra, tag, buf, sizeof(buf));
	if (len < 0) {
		st.dropped++;
		return;
	}
	send_to(from, buf, (size_t)len, code);
}

static void
handle(const char *buf, size_t len, const struct sockaddr_in *from)
{
	static struct sip_msg m;
	struct sip_err err;
	char extra[512];

	st.rx++;
	st.rx_bytes += len;
	if (sip_msg_parse(buf, len, false, &m, &err) < 0) {
		st.malformed++;
		if (m.is_request && err.code)
			respond(&m, from, err.code, err.reason, NULL);
		else
			st.dropped++;
		return;
	}
	if (!m.is_request) {
		/* No client transactions yet: nothing waits for a response. */
		st.responses++;
		return;
	}
	st.requests++;
	if (sip_uas_check(&m, &err, extra, sizeof(extra) - 2) < 0) {
		if (m.method == SIP_M_ACK)
			return; /* never answer an ACK */
		if (extra[0])
			strcat(extra, "\r\n");
		respond(&m, from, err.code, err.reason, extra[0] ? extra : NULL);
		return;
	}
	switch (m.method) {
	case SIP_M_ACK:
		return;
	case SIP_M_OPTIONS:
		respond(&m, from, 200, "OK",
			"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, REFER, NOTIFY, INFO, PRACK\r\n"
			"Accept: application/sdp\r\n");
		return;
	default:
		break;
	}
	/* Dialogs and transactions do not exist yet: a request inside one, or
	 * a CANCEL, names something we do not have (§12.2.2, §9.2). */
	if (m.to.tag.len || m.method == SIP_M_CANCEL || m.method == SIP_M_BYE) {
		respond(&m, from, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	respond(&m, from, 501, "Not Implemented", NULL);
}

static void
on_readable(int sfd, uint32_t events, void *arg)
{
	static char buf[SIP_MAX_MSG];
	(void)events;
	(void)arg;
	for (int i = 0; i < RX_BATCH; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(sfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return; /* EAGAIN: drained */
		if (fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		handle(buf, (size_t)n, &from);
	}
}

int
sip_udp_open(const char *listen, char *err, size_t errlen)
{
	char host[48];
	const char *colon = strrchr(listen, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(err, errlen, "bad SIP address '%s' (want IP:PORT)", listen);
		return -EINVAL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "bad SIP address '%s' (want IP:PORT)", listen);
		return -EINVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot listen for SIP on udp %s: %s", listen, strerror(e));
		if (fd >= 0)
			close(fd);
		fd = -1;
		return -e;
	}
	int ret = td_loop_fd_add(fd, EPOLLIN, on_readable, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "cannot watch the SIP socket: %s", strerror(-ret));
		close(fd);
		fd = -1;
		return ret;
	}
	snprintf(listen_addr, sizeof(listen_addr), "%s", listen);
	return 0;
}

void
sip_udp_close(void)
{
	if (fd < 0)
		return;
	td_loop_fd_del(fd);
	close(fd);
	fd = -1;
	listen_addr[0] = '\0';
}

void
sip_udp_stats_get(struct sip_udp_stats *out)
{
	*out = st;
}

const char *
sip_udp_listen_addr(void)
{
	return listen_addr;
}
