/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP transport: see the header. Ownership: a static table of
 * connections; each owns its socket, a receive buffer (allocated the first
 * time a message is left incomplete by a read, kept until the connection
 * ends) and an output queue (allocated the first time the socket does not
 * take a whole message, grown by doubling up to SIP_TCP_MAX_QUEUE). Reads go
 * to one static buffer while no partial message is pending, so an idle or
 * well-behaved connection costs no buffer at all.
 *
 * A connection is ended at once (conn_drop) or gracefully (conn_finish:
 * what is queued is flushed, then our FIN, then we wait for the peer's for
 * SIP_TCP_LINGER_MS, reading and discarding, so that closing with unread
 * input does not turn into a reset that destroys our error response).
 * While its input is being framed, a connection is never freed: the UA core
 * may send on it from inside sip_transport_deliver, and a failure there only
 * marks it; the framing loop frees it when it returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "sip_msg.h"
#include "sip_tcp.h"
#include "sip_transport.h"

#define RX_CAP		(SIP_MAX_MSG + 4096)
#define TX_MIN		4096
#define ACCEPT_BATCH	64
#define TICK_MS		100
#define ACCEPT_PAUSE_MS 100
#define SLOT_BITS	12
#define GEN_MAX		((1u << (32 - SLOT_BITS)) - 1)
#define HASH_SIZE	1024

_Static_assert(SIP_TCP_MAX_CONN == 1u << SLOT_BITS, "the id holds the slot in SLOT_BITS bits");

enum conn_state {
	CONN_FREE = 0,
	CONN_CONNECTING, /* outbound, connect() in progress: sends are queued */
	CONN_OPEN,
	CONN_CLOSING, /* our error answer is going out; input is discarded */
};

struct conn {
	enum conn_state state;
	int fd;
	uint32_t id;  /* generation << SLOT_BITS | slot; 0 when free */
	uint32_t gen; /* of the slot's last use */
	bool outbound;
	bool framing; /* conn_frame is running: do not free */
	bool doomed;  /* to be freed as soon as conn_frame returns */
	bool wr_shut;
	struct sip_peer peer; /* the remote end; .conn = id */
	uint64_t last_ms;     /* traffic either way; the linger deadline when CLOSING */
	char *rx;
	size_t rx_len;
	char *tx;
	size_t tx_head, tx_len, tx_cap; /* queued octets are tx[tx_head, tx_head + tx_len) */
	uint32_t hnext;			/* hash chain by address: slot + 1, 0 at the end */
	uint32_t fnext;			/* free list: slot + 1 */
};

static struct conn conns[SIP_TCP_MAX_CONN];
static uint32_t hash_head[HASH_SIZE]; /* slot + 1 */
static uint32_t free_head, free_tail; /* slot + 1: oldest freed first, so ids age */
static int lfd = -1, timer_fd = -1;
static uint64_t accept_resume_ms; /* 0: accepting */
static struct in_addr bind_addr;
static char listen_addr[64];
static struct sip_tcp_stats st;

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t
addr_hash(const struct sip_peer *p)
{
	uint32_t a;
	memcpy(&a, p->addr, 4);
	return ((a ^ p->port) * 2654435761u) >> 22 & (HASH_SIZE - 1);
}

static void
hash_add(struct conn *c)
{
	uint32_t h = addr_hash(&c->peer);
	c->hnext = hash_head[h];
	hash_head[h] = (uint32_t)(c - conns) + 1;
}

static void
hash_del(struct conn *c)
{
	uint32_t *pp = &hash_head[addr_hash(&c->peer)];
	while (*pp && &conns[*pp - 1] != c)
		pp = &conns[*pp - 1].hnext;
	if (*pp)
		*pp = c->hnext;
}

static bool
conn_usable(const struct conn *c)
{
	return (c->state == CONN_OPEN || c->state == CONN_CONNECTING) && !c->doomed;
}

static struct conn *
conn_by_id(uint32_t id)
{
	struct conn *c = &conns[id & (SIP_TCP_MAX_CONN - 1)];
	return c->id == id && conn_usable(c) ? c : NULL;
}

static struct conn *
conn_by_addr(const struct sip_peer *p)
{
	for (uint32_t i = hash_head[addr_hash(p)]; i; i = conns[i - 1].hnext) {
		struct conn *c = &conns[i - 1];
		if (c->peer.port == p->port && memcmp(c->peer.addr, p->addr, 4) == 0 && conn_usable(c))
			return c;
	}
	return NULL;
}

static void conn_event(int fd, uint32_t events, void *arg);

/* A free slot, oldest freed first, watched by the loop; NULL when the table
 * is full or the loop cannot watch fd (-ENOSPC, -EMFILE in errno). */
static struct conn *
conn_alloc(int fd, const struct sockaddr_in *sa, bool outbound)
{
	if (free_head == 0) {
		errno = ENOSPC;
		return NULL;
	}
	struct conn *c = &conns[free_head - 1];
	int ret = td_loop_fd_add(fd, outbound ? EPOLLIN | EPOLLOUT : EPOLLIN, conn_event, c);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	free_head = c->fnext;
	if (free_head == 0)
		free_tail = 0;
	uint32_t gen = c->gen == GEN_MAX ? 1 : c->gen + 1;
	*c = (struct conn){
		.state = outbound ? CONN_CONNECTING : CONN_OPEN,
		.fd = fd,
		.gen = gen,
		.id = gen << SLOT_BITS | (uint32_t)(c - conns),
		.outbound = outbound,
		.last_ms = now_ms(),
		.peer = {.family = AF_INET, .port = ntohs(sa->sin_port), .transport = SIP_TRANSPORT_TCP},
	};
	memcpy(c->peer.addr, &sa->sin_addr, 4);
	c->peer.conn = c->id;
	hash_add(c);
	st.active++;
	return c;
}

static void
conn_free(struct conn *c)
{
	uint32_t slot = (uint32_t)(c - conns);

	td_loop_fd_del(c->fd);
	close(c->fd);
	hash_del(c);
	st.tx_discarded += c->tx_len;
	free(c->rx);
	free(c->tx);
	uint32_t gen = c->gen;
	*c = (struct conn){.fd = -1, .gen = gen};
	if (free_tail)
		conns[free_tail - 1].fnext = slot + 1;
	else
		free_head = slot + 1;
	free_tail = slot + 1;
	st.closed++;
	st.active--;
}

/* End now, or as soon as the framing loop on it returns. */
static void
conn_drop(struct conn *c)
{
	if (c->framing)
		c->doomed = true;
	else
		conn_free(c);
}

static void
conn_watch(struct conn *c)
{
	uint32_t ev = EPOLLIN;
	if (c->state == CONN_CONNECTING || c->tx_len)
		ev |= EPOLLOUT;
	td_loop_fd_mod(c->fd, ev);
}

/* What the socket takes now; <0: the connection is broken. */
static ssize_t
conn_write_now(struct conn *c, const char *buf, size_t len)
{
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return n;
}

/* Append to the output queue; -ENOBUFS beyond SIP_TCP_MAX_QUEUE. */
static int
conn_queue(struct conn *c, const char *buf, size_t len)
{
	if (c->tx_len + len > SIP_TCP_MAX_QUEUE)
		return -ENOBUFS;
	if (c->tx_head + c->tx_len + len > c->tx_cap) {
		if (c->tx_len + len <= c->tx_cap) {
			memmove(c->tx, c->tx + c->tx_head, c->tx_len);
		} else {
			size_t cap = c->tx_cap ? c->tx_cap : TX_MIN;
			while (cap < c->tx_len + len)
				cap *= 2;
			char *p = malloc(cap);
			if (p == NULL)
				return -ENOMEM;
			if (c->tx_len)
				memcpy(p, c->tx + c->tx_head, c->tx_len);
			free(c->tx);
			c->tx = p;
			c->tx_cap = cap;
		}
		c->tx_head = 0;
	}
	memcpy(c->tx + c->tx_head + c->tx_len, buf, len);
	c->tx_len += len;
	return 0;
}

/* Send one message on c: written at once when nothing waits before it,
 * otherwise queued behind what waits. */
static int
conn_send(struct conn *c, const char *buf, size_t len)
{
	size_t done = 0;

	if (c->state == CONN_OPEN && c->tx_len == 0) {
		ssize_t n = conn_write_now(c, buf, len);
		if (n < 0) {
			st.tx_errors++;
			conn_drop(c);
			return -EIO;
		}
		done = (size_t)n;
	}
	if (done < len) {
		int ret = conn_queue(c, buf + done, len - done);
		if (ret < 0) {
			/* A peer that does not read: a stream cannot skip a
			 * message, so the connection goes. */
			if (ret == -ENOBUFS)
				st.tx_overflow++;
			else
				st.tx_errors++;
			conn_drop(c);
			return ret;
		}
		conn_watch(c);
	}
	c->last_ms = now_ms();
	st.tx++;
	st.tx_bytes += len;
	return 0;
}

/* A new outbound connection toward `to`; the bytes sent before it is up
 * wait in its queue. */
static int
conn_connect(const struct sip_peer *to, struct conn **cp)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port)};
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = bind_addr};
	int one = 1;

	memcpy(&sa.sin_addr, to->addr, 4);
	if (free_head == 0)
		return -ENOSPC;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* From the address we listen on, so that the peer sees the address
	 * our Via and Contact name. */
	if ((bind_addr.s_addr != INADDR_ANY && bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) ||
	    (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)) {
		int e = errno;
		close(fd);
		return -e;
	}
	*cp = conn_alloc(fd, &sa, true);
	if (*cp == NULL) {
		int e = errno;
		close(fd);
		return -e;
	}
	return 0;
}

static int
tcp_send(const struct sip_peer *to, const char *buf, size_t len)
{
	struct conn *c = NULL;
	uint32_t a;

	if (lfd < 0)
		return -ENOTCONN;
	/* §18.2.2: a response goes back on the connection its request came
	 * on; when that is gone, to a connection toward the same address. */
	if (to->conn)
		c = conn_by_id(to->conn);
	if (c == NULL && to->family == AF_INET)
		c = conn_by_addr(to);
	if (c == NULL) {
		if (to->family != AF_INET) {
			st.tx_errors++;
			return -ENOTCONN;
		}
		memcpy(&a, to->addr, 4);
		a = ntohl(a);
		if (a == 0xffffffffu || a >= 0xe0000000u || a == 0 || to->port == 0) {
			st.refused_dest++;
			return -EHOSTUNREACH;
		}
		if (conn_connect(to, &c) < 0) {
			st.connect_failed++;
			st.tx_errors++;
			return -EIO;
		}
	}
	return conn_send(c, buf, len);
}

/* Queue flushed after an error answer: send our FIN, then wait for the
 * peer's. */
static void
conn_shut(struct conn *c)
{
	if (!c->wr_shut && c->tx_len == 0) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
}

/* End c gracefully: what is queued goes out first. */
static void
conn_finish(struct conn *c)
{
	c->state = CONN_CLOSING;
	c->rx_len = 0;
	c->last_ms = now_ms() + SIP_TCP_LINGER_MS;
	conn_shut(c);
}

/*
 * After a request whose start line failed (400, 505), the parser has split
 * the headers but not framed the message: frame it by its one Content-Length
 * so that the stream goes on. 0: it cannot be framed.
 */
static size_t
frame_after_error(const char *p, size_t len, const struct sip_msg *m)
{
	const struct sip_hdr *cl = m->first[SIP_HDR_CONTENT_LENGTH];
	size_t v = 0;

	if (cl == NULL || m->count[SIP_HDR_CONTENT_LENGTH] != 1 || cl->value.len == 0 || cl->value.len > 6)
		return 0;
	for (uint32_t i = 0; i < cl->value.len; i++) {
		if (cl->value.p[i] < '0' || cl->value.p[i] > '9')
			return 0;
		v = v * 10 + (size_t)(cl->value.p[i] - '0');
	}
	const char *end = memmem(p, len < SIP_MAX_MSG ? len : SIP_MAX_MSG, "\r\n\r\n", 4);
	if (end == NULL)
		return 0;
	size_t size = (size_t)(end - p) + 4 + v;
	return size <= SIP_MAX_MSG ? size : 0;
}

/*
 * Every whole message in buf[0, len): the octets used. Stops at a partial
 * message, or when the connection is ended (framing error, or a send on it
 * failed from inside the delivery).
 */
static size_t
conn_frame(struct conn *c, const char *buf, size_t len)
{
	static struct sip_msg m;
	struct sip_err err;
	size_t off = 0;

	c->framing = true;
	while (off < len && c->state == CONN_OPEN && !c->doomed) {
		const char *p = buf + off;
		size_t n = len - off;

		/* RFC 5626 §4.4.1: a CRLFCRLF ping gets a CRLF pong; a lone
		 * CRLF between messages is ignored (RFC 3261 §7.5). A prefix
		 * of a ping waits for the rest. */
		if (p[0] == '\r') {
			if (n >= 4 && memcmp(p, "\r\n\r\n", 4) == 0) {
				st.keepalives++;
				off += 4;
				conn_send(c, "\r\n", 2);
				continue;
			}
			if (n < 4 && memcmp(p, "\r\n\r\n", n) == 0)
				break;
			if (p[1] == '\n') {
				off += 2;
				continue;
			}
		}
		int ret = sip_msg_parse(p, n, true, &m, &err);
		if (ret == -EAGAIN)
			break;
		if (ret == 0) {
			st.rx++;
			off += m.size;
			sip_transport_deliver(&m, p, m.size, &c->peer);
			continue;
		}
		size_t size = m.size ? m.size : m.is_request ? frame_after_error(p, n, &m) : 0;
		if (size > n)
			break; /* framed, but its body is still on the way */
		st.malformed++;
		/* §17.1.1.3: an ACK is never answered, even a broken one. */
		if (m.is_request && err.code && m.first[SIP_HDR_VIA] && (n < 4 || memcmp(p, "ACK ", 4) != 0))
			sip_transport_reject(&m, &c->peer, err.code, err.reason, NULL);
		if (size == 0) {
			/* §18.3: without a valid Content-Length the end of
			 * this message, and so the start of the next, is
			 * unknown: the stream cannot go on. */
			st.framing_errors++;
			if (conn_usable(c))
				conn_finish(c);
			break;
		}
		off += size;
	}
	c->framing = false;
	return off;
}

static bool
all_crlf(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static void
conn_readable(struct conn *c)
{
	static char scratch[RX_CAP];
	char *buf = c->rx ? c->rx : scratch;
	size_t have = c->rx ? c->rx_len : 0;

	if (c->state == CONN_CLOSING) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);
		if (n > 0)
			st.rx_bytes += (uint64_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_free(c);
		return;
	}
	if (have == RX_CAP) { /* cannot happen: a full buffer always frames or fails */
		st.framing_errors++;
		conn_free(c);
		return;
	}
	ssize_t n = recv(c->fd, buf + have, RX_CAP - have, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (!all_crlf(buf, have))
			st.partial++;
		conn_free(c);
		return;
	}
	if (n == 0) {
		if (!all_crlf(buf, have))
			st.partial++;
		conn_free(c);
		return;
	}
	st.rx_bytes += (uint64_t)n;
	c->last_ms = now_ms();
	have += (size_t)n;
	size_t used = conn_frame(c, buf, have);
	if (c->doomed) {
		conn_free(c);
		return;
	}
	if (c->state == CONN_CLOSING)
		return;
	size_t rest = have - used;
	if (rest && buf == scratch) {
		c->rx = malloc(RX_CAP);
		if (c->rx == NULL) {
			st.partial++;
			conn_free(c);
			return;
		}
		memcpy(c->rx, scratch + used, rest);
	} else if (rest && used) {
		memmove(c->rx, c->rx + used, rest);
	}
	c->rx_len = rest;
}

static void
conn_writable(struct conn *c)
{
	if (c->state == CONN_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof(e);
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
			st.connect_failed++;
			conn_free(c);
			return;
		}
		/* An event left over from an earlier socket on the same
		 * descriptor: not connected yet. */
		if (getpeername(c->fd, (struct sockaddr *)&sa, &sl) < 0)
			return;
		c->state = CONN_OPEN;
		st.connected++;
	}
	while (c->tx_len) {
		ssize_t n = conn_write_now(c, c->tx + c->tx_head, c->tx_len);
		if (n < 0) {
			st.tx_errors++;
			conn_free(c);
			return;
		}
		if (n == 0)
			break;
		c->tx_head += (size_t)n;
		c->tx_len -= (size_t)n;
		c->last_ms = c->state == CONN_CLOSING ? c->last_ms : now_ms();
	}
	if (c->tx_len == 0)
		c->tx_head = 0;
	if (c->state == CONN_CLOSING)
		conn_shut(c);
	conn_watch(c);
}

static void
conn_event(int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	/* Decided by the system calls, not by the flags: an event may be left
	 * over from an earlier connection on the same descriptor. */
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		conn_writable(c);
	if (c->state != CONN_FREE && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_readable(c);
}

static void
accept_pause(bool on)
{
	if (on) {
		accept_resume_ms = now_ms() + ACCEPT_PAUSE_MS;
		td_loop_fd_mod(lfd, 0);
	} else {
		accept_resume_ms = 0;
		td_loop_fd_mod(lfd, EPOLLIN);
	}
}

static void
on_accept(int fd, uint32_t events, void *arg)
{
	(void)events;
	(void)arg;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int one = 1;
		int cfd = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* The pending connection stays in the backlog and
				 * keeps the socket readable: stop watching it for a
				 * while rather than spin. */
				st.accept_paused++;
				accept_pause(true);
				return;
			}
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return; /* EAGAIN: drained */
		}
		if (sl != sizeof(sa) || sa.sin_family != AF_INET || conn_alloc(cfd, &sa, false) == NULL) {
			st.refused++;
			close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		st.accepted++;
	}
}

static void
on_tick(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	uint64_t now = now_ms();

	if (accept_resume_ms && now >= accept_resume_ms)
		accept_pause(false);
	if (st.active == 0)
		return;
	for (uint32_t i = 0; i < SIP_TCP_MAX_CONN; i++) {
		struct conn *c = &conns[i];
		if (c->state == CONN_FREE)
			continue;
		if (c->state == CONN_CLOSING) {
			if (now >= c->last_ms)
				conn_free(c);
		} else if (now - c->last_ms >= SIP_TCP_IDLE_MS) {
			if (c->rx_len && !all_crlf(c->rx, c->rx_len))
				st.partial++;
			if (c->state == CONN_CONNECTING)
				st.connect_failed++;
			st.idle_closed++;
			conn_free(c);
		}
	}
}

int
sip_tcp_open(const char *where, char *err, size_t errlen)
{
	char host[48];
	const char *colon = strrchr(where, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char *end;
	long port;
	int one = 1, ret;

	if (lfd >= 0) {
		snprintf(err, errlen, "SIP over TCP already listens on %s", listen_addr);
		return -EALREADY;
	}
	if (colon == NULL || (size_t)(colon - where) >= sizeof(host)) {
		snprintf(err, errlen, "bad SIP TCP address '%s' (want IP:PORT)", where);
		return -EINVAL;
	}
	memcpy(host, where, (size_t)(colon - where));
	host[colon - where] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end || port < 1 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "bad SIP TCP address '%s' (want IP:PORT)", where);
		return -EINVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, SOMAXCONN) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen for SIP on tcp %s: %s", where, strerror(-ret));
		goto fail;
	}
	ret = td_loop_fd_add(lfd, EPOLLIN, on_accept, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "cannot watch the SIP TCP socket: %s", strerror(-ret));
		goto fail;
	}
	ret = td_loop_timer_add(TICK_MS, on_tick, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "cannot make the SIP TCP timer: %s", strerror(-ret));
		td_loop_fd_del(lfd);
		goto fail;
	}
	timer_fd = ret;
	free_head = free_tail = 0;
	memset(hash_head, 0, sizeof(hash_head));
	for (uint32_t i = 0; i < SIP_TCP_MAX_CONN; i++) {
		conns[i].fd = -1;
		conns[i].fnext = i + 2 <= SIP_TCP_MAX_CONN ? i + 2 : 0;
	}
	free_head = 1;
	free_tail = SIP_TCP_MAX_CONN;
	bind_addr = sa.sin_addr;
	accept_resume_ms = 0;
	snprintf(listen_addr, sizeof(listen_addr), "%s", where);
	sip_transport_register(SIP_TRANSPORT_TCP, tcp_send);
	return 0;
fail:
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
	return ret;
}

void
sip_tcp_close(void)
{
	if (lfd < 0)
		return;
	sip_transport_register(SIP_TRANSPORT_TCP, NULL);
	for (uint32_t i = 0; i < SIP_TCP_MAX_CONN; i++)
		if (conns[i].state != CONN_FREE)
			conn_free(&conns[i]);
	/* The loop closes its own timers in td_loop_fini. */
	td_loop_fd_del(timer_fd);
	timer_fd = -1;
	td_loop_fd_del(lfd);
	close(lfd);
	lfd = -1;
	listen_addr[0] = '\0';
}

void
sip_tcp_stats_get(struct sip_tcp_stats *out)
{
	*out = st;
}

const char *
sip_tcp_listen_addr(void)
{
	return listen_addr;
}
