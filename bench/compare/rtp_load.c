/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtp-load: the traffic generator of the side-by-side relay and transcoding
 * benchmarks. It plays N G.711 A-law streams (172-byte RTP, one packet per
 * stream every 20 ms; the audio is a two-tone signal, so that a transcoder
 * has real work and no encoder can take it for silence) from one local
 * address to N relay ports, and counts what the relay sends back to one
 * receive port, per stream by the SSRC it carries. A relay that gives a
 * transcoded stream an SSRC of its own is counted in one pool: the loss is
 * right in total, not per stream. The same binary drives every server
 * compared, so that only the server differs.
 *
 * Usage: rtp-load SRC_IP SRC_PORT DST_IP PORTS_FILE RECV_PORT SECONDS
 * PORTS_FILE: one relay port per line (the streams). Prints one JSON line:
 * sent, received, lost, streams with any loss, duration.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#define MAX_STREAMS 20000
#define PKT	    172
#define BATCH	    64

static uint16_t ports[MAX_STREAMS];
static uint32_t n_streams;
static uint64_t got_per[MAX_STREAMS], sent_per[MAX_STREAMS];
static uint64_t got_other;	     /* RTP with an SSRC we did not send */
static uint64_t got_bytes, got_pkts; /* RTP payload octets received: shows what codec came back */
#define AUDIO_FRAMES 50		     /* one second of A-law, looped */
static uint8_t audio[AUDIO_FRAMES][PKT - 12];
static atomic_int stop_rx;
static int rx_fd;

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *
rx_main(void *arg)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	(void)arg;
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	/* recvmmsg's own timeout is only looked at after a datagram came;
	 * SO_RCVTIMEO makes an idle receiver see the stop flag. */
	struct timeval tv = {0, 100000};
	setsockopt(rx_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&stop_rx)) {
		int n = recvmmsg(rx_fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_len < 12)
				continue;
			got_bytes += msgs[i].msg_len - 12;
			got_pkts++;
			uint32_t ssrc = (uint32_t)bufs[i][8] << 24 | bufs[i][9] << 16 | bufs[i][10] << 8 | bufs[i][11];
			if (ssrc >= 0x10000 && ssrc - 0x10000 < n_streams)
				got_per[ssrc - 0x10000]++;
			else
				got_other++;
		}
	}
	return NULL;
}

static int
bind_udp(const char *ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;
	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

int
main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: rtp-load SRC_IP SRC_PORT DST_IP PORTS_FILE RECV_PORT SECONDS\n");
		return 2;
	}
	FILE *f = fopen(argv[4], "r");
	unsigned int p;
	while (f && n_streams < MAX_STREAMS && fscanf(f, "%u", &p) == 1)
		ports[n_streams++] = (uint16_t)p;
	if (f)
		fclose(f);
	if (n_streams == 0) {
		fprintf(stderr, "rtp-load: no ports in %s\n", argv[4]);
		return 2;
	}
	int tx = bind_udp(argv[1], (uint16_t)atoi(argv[2]));
	rx_fd = bind_udp(argv[1], (uint16_t)atoi(argv[5]));
	if (tx < 0 || rx_fd < 0) {
		fprintf(stderr, "rtp-load: cannot bind: %s\n", strerror(errno));
		return 1;
	}
	struct sockaddr_in dst = {.sin_family = AF_INET};
	inet_pton(AF_INET, argv[3], &dst.sin_addr);
	double seconds = atof(argv[6]);
	/* 425 Hz + 1250 Hz at about -12 dBm0, A-law by spandsp */
	for (int i = 0; i < AUDIO_FRAMES * (PKT - 12); i++) {
		double t = i / 8000.0;
		double v = 4000.0 * sin(2 * M_PI * 425 * t) + 3000.0 * sin(2 * M_PI * 1250 * t);
		audio[i / (PKT - 12)][i % (PKT - 12)] = linear_to_alaw((int16_t)v);
	}
	pthread_t th;
	pthread_create(&th, NULL, rx_main, NULL);

	/* Each stream sends every 20 ms, streams spread evenly over the 20 ms. */
	static uint8_t bufs[BATCH][PKT];
	static struct sockaddr_in to[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9), next = 0;
	uint64_t period = 20000000ull / n_streams; /* ns between packets */
	uint64_t sent = 0, k = 0;
	while (now_ns() < end) {
		uint64_t now = now_ns() - t0;
		int n = 0;
		while (next <= now && n < BATCH) {
			uint32_t s = (uint32_t)(k % n_streams);
			uint32_t seq = (uint32_t)(k / n_streams);
			uint8_t *b = bufs[n];
			b[0] = 0x80;
			b[1] = 8;
			b[2] = (uint8_t)(seq >> 8);
			b[3] = (uint8_t)seq;
			uint32_t ts = seq * 160, ssrc = 0x10000 + s;
			for (int i = 0; i < 4; i++) {
				b[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
				b[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
			}
			memcpy(b + 12, audio[seq % AUDIO_FRAMES], PKT - 12);
			to[n] = dst;
			to[n].sin_port = htons(ports[s]);
			iov[n] = (struct iovec){b, PKT};
			msgs[n] = (struct mmsghdr){.msg_hdr = {.msg_name = &to[n],
							       .msg_namelen = sizeof(to[n]),
							       .msg_iov = &iov[n],
							       .msg_iovlen = 1}};
			sent_per[s]++;
			n++;
			k++;
			next += period;
		}
		if (n) {
			int done = 0;
			while (done < n) {
				int r = sendmmsg(tx, msgs + done, (unsigned)(n - done), 0);
				if (r < 0) {
					if (errno == EAGAIN || errno == ENOBUFS)
						continue;
					break;
				}
				done += r;
			}
			sent += (uint64_t)done;
		} else {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	usleep(500000); /* what is in flight arrives */
	atomic_store(&stop_rx, 1);
	pthread_join(th, NULL);
	uint64_t got = 0, bad = 0;
	for (uint32_t s = 0; s < n_streams; s++) {
		got += got_per[s] < sent_per[s] ? got_per[s] : sent_per[s];
		if (got_per[s] < sent_per[s] && got_other == 0)
			bad++;
	}
	got += got_other;
	if (got > sent)
		got = sent;
	printf("{\"streams\":%u,\"seconds\":%.1f,\"sent\":%llu,\"received\":%llu,\"lost\":%llu,"
	       "\"loss_pct\":%.5f,\"streams_with_loss\":%llu,\"payload_avg\":%.1f}\n",
	       n_streams, seconds, (unsigned long long)sent, (unsigned long long)got, (unsigned long long)(sent - got),
	       sent ? 100.0 * (double)(sent - got) / (double)sent : 0, (unsigned long long)bad,
	       got_pkts ? (double)got_bytes / (double)got_pkts : 0);
	return 0;
}
