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
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "sip_msg.h"
#include "sip_transport.h"
#include "sip_udp.h"

#define RX_BATCH 64

static int fd = -1;
static char listen_addr[64];
static struct sip_udp_stats st;

static void
peer_of(const struct sockaddr_in *sa, struct sip_peer *p)
{
	*p = (struct sip_peer){.family = AF_INET, .port = ntohs(sa->sin_port), .transport = SIP_TRANSPORT_UDP};
	memcpy(p->addr, &sa->sin_addr, 4);
}

/* The transport's send: one datagram, never to an address that reaches
 * many (RFC 4475 §3.3.10). */
static int
udp_send(const struct sip_peer *to, const char *buf, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port)};
	uint32_t a;

	if (fd < 0 || to->family != AF_INET)
		return -ENOTCONN;
	memcpy(&sa.sin_addr, to->addr, 4);
	a = ntohl(sa.sin_addr.s_addr);
	if (a == 0xffffffffu || a >= 0xe0000000u || a == 0 || to->port == 0) {
		st.refused_dest++;
		return -EHOSTUNREACH;
	}
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len) {
		st.tx_errors++;
		return -EIO;
	}
	st.tx++;
	if (len > 12 && memcmp(buf, "SIP/2.0 ", 8) == 0 && buf[8] >= '1' && buf[8] <= '6')
		st.by_class[buf[8] - '0']++;
	return 0;
}

static void
handle(const char *buf, size_t len, const struct sockaddr_in *sa)
{
	static struct sip_msg m;
	struct sip_peer from;
	struct sip_err err;

	peer_of(sa, &from);
	st.rx++;
	st.rx_bytes += len;
	if (sip_msg_parse(buf, len, false, &m, &err) < 0) {
		st.malformed++;
		/* An ACK is never answered, not even a broken one (RFC 3261 §17). */
		if (m.is_request && err.code && m.first[SIP_HDR_VIA] && m.method != SIP_M_ACK)
			sip_transport_reject(&m, &from, err.code, err.reason, NULL);
		else
			st.dropped++;
		return;
	}
	if (m.is_request)
		st.requests++;
	else
		st.responses++;
	sip_transport_deliver(&m, buf, m.size, &from);
}

/* ms between the kernel's receive timestamp of msg and now (0: none). */
static uint32_t
queue_wait(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		struct timespec ts, now;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t d = (int64_t)(now.tv_sec - ts.tv_sec) * 1000 + (now.tv_nsec - ts.tv_nsec) / 1000000;
		return d > 0 ? (uint32_t)(d > UINT32_MAX ? UINT32_MAX : d) : 0;
	}
	return 0;
}

static void
on_readable(int sfd, uint32_t events, void *arg)
{
	static char buf[SIP_MAX_MSG];
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	(void)events;
	(void)arg;
	for (int i = 0; i < RX_BATCH; i++) {
		struct sockaddr_in from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		ssize_t n = recvmsg(sfd, &mh, 0);
		if (n < 0)
			return; /* EAGAIN: drained */
		if (mh.msg_namelen != sizeof(from) || from.sin_family != AF_INET)
			continue;
		uint32_t wait = queue_wait(&mh);
		sip_transport_set_wait(wait);
		if (wait > st.wait_max_ms)
			st.wait_max_ms = wait;
		handle(buf, (size_t)n, &from);
		sip_transport_set_wait(0);
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
	/* The kernel stamps each datagram: how long it waited for us. */
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		LOG_WARN("SIP udp: no receive timestamps (%s): overload by queue wait is off", strerror(errno));
	int ret = td_loop_fd_add(fd, EPOLLIN, on_readable, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "cannot watch the SIP socket: %s", strerror(-ret));
		close(fd);
		fd = -1;
		return ret;
	}
	snprintf(listen_addr, sizeof(listen_addr), "%s", listen);
	sip_transport_register(SIP_TRANSPORT_UDP, udp_send);
	return 0;
}

void
sip_udp_close(void)
{
	if (fd < 0)
		return;
	sip_transport_register(SIP_TRANSPORT_UDP, NULL);
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
